//! L0: ICAO 9303-11 worked examples replayed through the real protocol code, byte for byte.
//!
//! Appendix D (BAC keys, EXTERNAL AUTHENTICATE, the secure-messaging SELECT and READ BINARY
//! APDUs), Appendix G.1 (PACE generic mapping on brainpoolP256r1: every command APDU and the
//! tokens), and the AES-256 secure-messaging vector, all as digested in
//! docs/spec/security-protocols.md with their sources.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::collections::VecDeque;

use permitkit_chip::bac::{self, BacKeys};
use permitkit_chip::channel::{CardChannel, TransportError};
use permitkit_chip::crypto::Cipher;
use permitkit_chip::pace::{self, PacePassword};
use permitkit_chip::random::Replay;
use permitkit_chip::secured::Secured;
use permitkit_chip::sm::SmSession;
use permitkit_iso7816::apdu::{CommandApdu, ResponseApdu};
use permitkit_lds::CardAccess;
use permitkit_lds::security_infos::{PaceInfo, PaceProtocol};
use permitkit_model::secret::SecretBytes;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace([' ', '\n'], "")).unwrap()
}

/// A channel that expects exact command bytes and answers prepared responses.
#[derive(Debug)]
struct Script(VecDeque<(Vec<u8>, Vec<u8>)>);

impl Script {
    fn new(pairs: &[(&str, &str)]) -> Self {
        Self(pairs.iter().map(|(c, r)| (h(c), h(r))).collect())
    }
}

impl CardChannel for Script {
    fn atr(&self) -> &[u8] {
        &[]
    }
    fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu, TransportError> {
        let (expected, response) = self.0.pop_front().expect("unexpected extra command");
        assert_eq!(
            hex::encode_upper(command.to_bytes()),
            hex::encode_upper(expected),
            "command differs from the worked example"
        );
        Ok(ResponseApdu::parse(&response).unwrap())
    }
    fn reset(&mut self) -> Result<(), TransportError> {
        Ok(())
    }
}

#[test]
fn bac_and_secure_messaging_replay_9303_11_appendix_d() {
    let keys = BacKeys::from_mrz_information(b"L898902C<369080619406236");
    assert_eq!(keys.k_enc.expose(), h("AB94FDECF2674FDFB9B391F85D7F76F2"));
    assert_eq!(keys.k_mac.expose(), h("7962D9ECE03D1ACD4C76089DCE131543"));
    let script = Script::new(&[
        ("0084000008", "4608F919887022129000"),
        (
            "0082000028 72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2 5F1448EEA8AD90A7 28",
            "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F 2F2D235D074D7449 9000",
        ),
        (
            "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800",
            "990290008E08FA855A5D4C50A8ED9000",
        ),
        (
            "0CB000000D9701048E08ED6705417E96BA5500",
            "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000",
        ),
        (
            "0CB000040D9701128E082EA28A70F3C7B53500",
            "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000",
        ),
    ]);
    let mut rng = Replay::new([h("781723860C06C226"), h("0B795240CB7049B01C19B33E32804F0B")]);
    let mut s = bac::authenticate_with(script, &keys, &mut rng).unwrap();
    assert_eq!(s.session().unwrap().ssc(), h("887022120C06C226"));

    let select = CommandApdu::new(0x00, 0xA4, 0x02, 0x0C)
        .with_data(vec![0x01, 0x1E])
        .unwrap();
    assert!(s.transmit(&select).unwrap().is_success());
    let r = s
        .transmit(&CommandApdu::new(0x00, 0xB0, 0x00, 0x00).with_le(4).unwrap())
        .unwrap();
    assert_eq!(r.data(), h("60145F01"));
    let r = s
        .transmit(
            &CommandApdu::new(0x00, 0xB0, 0x00, 0x04)
                .with_le(0x12)
                .unwrap(),
        )
        .unwrap();
    assert_eq!(r.data(), h("04303130365F36063034303030305C026175"));
    assert_eq!(s.session().unwrap().ssc(), h("887022120C06C22C"));
}

#[test]
fn aes_256_secure_messaging_vector() {
    let session = SmSession::new(
        Cipher::Aes256,
        SecretBytes::new(h(
            "74B94F408BBB2CD92571FD5B6370A94CCE7A2FA42AE3EB4DA47B97CE6EAA24C6",
        )),
        SecretBytes::new(h(
            "9E28D5D9FF1D979BE752E8926BF0E1D35A440FC0AEFC4AA3BC5610055AC8B113",
        )),
        &h("00000000000000000000000000000020"),
    )
    .unwrap();
    let script = Script::new(&[
        (
            "0CA4020C1D8711011D35E7EB510E21A0DD12380D9AD2B92D8E0828CB68B81D3FAFC000",
            "990290008E08E083EAA61ADABFCE9000",
        ),
        (
            "0CB000000D9701048E084AFC933E0CDBE5F000",
            "871101D8059A9CF835105082CA2B1837E4AEC0990290008E08B36DB56761D706BB9000",
        ),
    ]);
    let mut s = Secured::new(script, session);
    let select = CommandApdu::new(0x00, 0xA4, 0x02, 0x0C)
        .with_data(vec![0x01, 0x1E])
        .unwrap();
    assert!(s.transmit(&select).unwrap().is_success());
    let r = s
        .transmit(&CommandApdu::new(0x00, 0xB0, 0x00, 0x00).with_le(4).unwrap())
        .unwrap();
    assert_eq!(r.data(), h("60185F01"));
}

fn g1_info() -> PaceInfo {
    let infos = CardAccess::parse(&h("31143012060A04007F0007020204020202010202010D"))
        .unwrap()
        .pace_infos();
    assert_eq!(
        infos[0].pace_protocol(),
        Some(PaceProtocol::ECDH_GM_AES_128)
    );
    infos[0]
}

const PK_MAP_PCD: &str = "04 7ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E 544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D";
const PK_MAP_IC: &str = "04 824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57 30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54";
const PK_PCD: &str = "04 2DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C 3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462";
const PK_IC: &str = "04 9E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB 7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094";

#[test]
fn pace_generic_mapping_replays_9303_11_appendix_g1() {
    let script = Script::new(&[
        ("0022C1A412800A04007F0007020204020283010184010D", "9000"),
        (
            "10860000027C0000",
            "7C12801095A3A016522EE98D01E76CB6B98B42C39000",
        ),
        (
            &format!("10860000457C438141{PK_MAP_PCD}00"),
            &format!("7C438241{PK_MAP_IC}9000"),
        ),
        (
            &format!("10860000457C438341{PK_PCD}00"),
            &format!("7C438441{PK_IC}9000"),
        ),
        (
            "008600000C7C0A8508C2B0BD78D94BA86600",
            "7C0A86083ABB9674BCE93C089000",
        ),
    ]);
    let mut rng = Replay::new([
        h("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99"),
        h("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595"),
    ]);
    let pwd = PacePassword::Mrz(SecretBytes::from_slice(b"T22000129364081251010318"));
    let s = pace::authenticate_with(script, &pwd, &g1_info(), true, &mut rng).unwrap();
    let session = s.session().unwrap();
    assert_eq!(session.cipher(), Cipher::Aes128);
    assert_eq!(session.ssc(), [0u8; 16]);
}

#[test]
fn pace_without_parameter_id_omits_tag_84() {
    let script = Script::new(&[("0022C1A40F800A04007F00070202040202830101", "6A80")]);
    let pwd = PacePassword::Mrz(SecretBytes::from_slice(b"T22000129364081251010318"));
    let e = pace::authenticate_with(script, &pwd, &g1_info(), false, &mut Replay::default())
        .unwrap_err();
    assert!(e.to_string().contains("MSE:Set AT failed: 6A80"), "{e}");
}

#[test]
fn wrong_token_from_the_chip_is_access_denied() {
    let script = Script::new(&[
        ("0022C1A412800A04007F0007020204020283010184010D", "9000"),
        (
            "10860000027C0000",
            "7C12801095A3A016522EE98D01E76CB6B98B42C39000",
        ),
        (
            &format!("10860000457C438141{PK_MAP_PCD}00"),
            &format!("7C438241{PK_MAP_IC}9000"),
        ),
        (
            &format!("10860000457C438341{PK_PCD}00"),
            &format!("7C438441{PK_IC}9000"),
        ),
        (
            "008600000C7C0A8508C2B0BD78D94BA86600",
            "7C0A86083ABB9674BCE93C099000",
        ),
    ]);
    let mut rng = Replay::new([
        h("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99"),
        h("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595"),
    ]);
    let pwd = PacePassword::Mrz(SecretBytes::from_slice(b"T22000129364081251010318"));
    let e = pace::authenticate_with(script, &pwd, &g1_info(), true, &mut rng).unwrap_err();
    assert!(e.to_string().contains("PACE access denied"), "{e}");
}
