//! L0: the PACE integrated mapping and chip authentication mapping worked examples of ICAO
//! Doc 9303-11, replayed through the protocol code on both sides, byte for byte.
//!
//! - Appendix H.1 (PACE-IM, ECDH, brainpoolP256r1, AES-128, password CAN `123456`): the
//!   appendix gives the values of every step (nonces, keys, mapped generator, tokens) but no
//!   APDUs; the APDUs below are those values in the data objects of 9303-11 §4.4.4–§4.4.5
//!   (mapping answer `7C 00`, TR-03110-3 §B.1: the chip's mapping data is empty for IM).
//! - Appendix I.1 (PACE-CAM, ECDH, brainpoolP256r1, AES-128, MRZ password `C11T002JM4`,
//!   `9608122`, `2310314`): every APDU as printed. The appendix gives the chip's static public
//!   key but not its private key; `SK_IC = SKmap,IC · CA_IC⁻¹ mod n` from its values.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::collections::VecDeque;

use permitkit_chip::ca::{CaKeyPair, CaPublicKey};
use permitkit_chip::channel::{CardChannel, TransportError};
use permitkit_chip::ec::Domain;
use permitkit_chip::pace::{self, ChipStepResult, PaceChip, PaceParams, PacePassword};
use permitkit_chip::pace_cam;
use permitkit_chip::random::Replay;
use permitkit_iso7816::apdu::{CommandApdu, ResponseApdu};
use permitkit_lds::security_infos::{
    ID_PACE_ECDH_CAM_AES_128, ID_PACE_ECDH_IM_AES_128, PaceInfo, PaceMapping,
};
use permitkit_model::secret::{SecretBytes, SecretString};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace([' ', '\n'], "")).unwrap()
}

fn point(x: &str, y: &str) -> String {
    format!("04{}{}", x.replace(' ', ""), y.replace(' ', ""))
}

/// A channel that expects exact command bytes and answers prepared responses.
#[derive(Debug)]
struct Script(VecDeque<(Vec<u8>, Vec<u8>)>);

impl Script {
    fn new(pairs: &[(String, String)]) -> Self {
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

// Appendix H.1.
const H_S: &str = "2923BE84 E16CD6AE 529049F1 F1BBE9EB";
const H_Z: &str = "143DC40C 08C8E891 FBED7DED B92B64AD";
const H_T: &str = "5DD4CBFC 96F5453B 130D890A 1CDBAE32";
const H_SK_IC: &str = "107CF586 96EF6155 053340FD 633392BA 81909DF7 B9706F22 6F32086C 7AFF974A";
const H_SK_IFD: &str = "A73FB703 AC1436A1 8E0CFA5A BB3F7BEC 7A070E7A 6788486B EE230C4A 22762595";
const H_T_IC: &str = "75D4D96E 8D5B0308";
const H_T_IFD: &str = "450F02B8 6F6A0909";

fn h_pk_ic() -> String {
    point(
        "67F78E5F 7F768608 2B293E8D 087E0569 16D0F74B C01A5F89 57D0DE45 691E51E8",
        "932B69A9 62B52A09 85AD2C0A 271EE6A1 3A8ADDDC D1A3A994 B9DED257 F4D22753",
    )
}

fn h_pk_ifd() -> String {
    point(
        "89CBA23F FE96AA18 D824627C 3E934E54 A9FD0B87 A95D1471 DC1C0ABF DCD640D4",
        "6755DE9B 7B778280 B6BEBD57 439ADFEB 0E21FD4E D6DF4257 8C13418A 59B34C37",
    )
}

fn im_info() -> PaceInfo {
    PaceInfo {
        protocol: ID_PACE_ECDH_IM_AES_128,
        version: 2,
        parameter_id: Some(13),
    }
}

fn im_apdus() -> Vec<(String, String)> {
    let (pk_ifd, pk_ic) = (h_pk_ifd(), h_pk_ic());
    vec![
        (
            "0022C1A412800A04007F0007020204040283010284010D".into(),
            "9000".into(),
        ),
        (
            "10860000027C0000".into(),
            format!("7C1280 10{}9000", H_Z.replace(' ', "")),
        ),
        (
            format!("10860000147C128110{}00", H_T.replace(' ', "")),
            "7C009000".into(),
        ),
        (
            format!("10860000457C438341{pk_ifd}00"),
            format!("7C438441{pk_ic}9000"),
        ),
        (
            format!("008600000C7C0A8508{}00", H_T_IFD.replace(' ', "")),
            format!("7C0A8608{}9000", H_T_IC.replace(' ', "")),
        ),
    ]
}

#[test]
fn integrated_mapping_reader_replays_9303_11_appendix_h1() {
    let script = Script::new(&im_apdus());
    let mut rng = Replay::new([h(H_T), h(H_SK_IFD)]);
    let pwd = PacePassword::Can(SecretString::from("123456"));
    let done = pace::establish_with(script, &pwd, &im_info(), true, &mut rng).unwrap();
    assert_eq!(done.outcome.mapping, PaceMapping::Integrated);
    assert_eq!(done.outcome.chip_public_key, h(&h_pk_ic()));
    assert_eq!(done.outcome.terminal_public_key, h(&h_pk_ifd()));
    assert!(done.outcome.chip_authentication_data.is_none());
    assert_eq!(done.channel.session().unwrap().ssc(), [0u8; 16]);
}

/// Steps a [`PaceChip`] through the command data fields of `apdus` (from the second on) and
/// checks each answer against the worked example's response data.
fn replay_chip(chip: &mut PaceChip, apdus: &[(String, String)], rng: &mut Replay) {
    for (i, (command, response)) in apdus.iter().enumerate().skip(1) {
        let cmd = CommandApdu::parse(&h(command)).unwrap();
        let expected = h(response);
        let expected = &expected[..expected.len() - 2];
        let data = match chip
            .step(cmd.data(), rng)
            .unwrap_or_else(|e| panic!("step {i}: {e}"))
        {
            ChipStepResult::Continue(d) => {
                assert_eq!(cmd.cla(), 0x10, "step {i}");
                d
            }
            ChipStepResult::Established(done) => {
                assert_eq!(cmd.cla(), 0x00, "step {i}");
                done.data
            }
        };
        assert_eq!(
            hex::encode_upper(&data),
            hex::encode_upper(expected),
            "chip answer to step {i}"
        );
    }
}

#[test]
fn integrated_mapping_chip_replays_9303_11_appendix_h1() {
    let params = PaceParams::from_info(&im_info()).unwrap();
    let pwd = PacePassword::Can(SecretString::from("123456"));
    let mut chip = PaceChip::new(params, &pwd);
    let mut rng = Replay::new([h(H_S), h(H_SK_IC)]);
    replay_chip(&mut chip, &im_apdus(), &mut rng);
}

// Appendix I.1.
const I_SK_MAP_IFD: &str =
    "5D8BB87B D74D985A 4B7D4325 B9F7B976 FE835122 77340079 8914AA22 738135CC";
const I_SK_IFD: &str = "76ECFDAA 9841C323 A3F5FC5E 88B88DB3 EFF7E35E BF57A7E6 946CB630 006C2120";
const I_S: &str = "658B860B C94DF6F0 44FCE6D5 C82CF8E5";
const I_SK_MAP_IC: &str = "9E56A6B5 9C95D06E CE5CD10F 983BB2F4 F1943528 E577F238 81D89D8C 3BBEE0AA";
/// The appendix prints the chip's ephemeral private key `CD626EF3 … DAB79E78`, which is above
/// brainpoolP256r1's order n; a scalar in `[1, n-1]` is drawn here, the same key reduced modulo n
/// (`CD626EF3… − n`), which gives the same public key and shared secret.
const I_SK_IC_EPHEMERAL: &str =
    "23671718 20683879 C023083A 24FEEC74 99C71436 B5D85ECD 3F681BB9 436F47D1";
const I_CA_IC: &str = "85DC3FA9 3D0952BF A82F5FD1 89EE75BD 82F11D1F 0B8ED4BF 5319AC9B 53C426B3";

fn cam_info() -> PaceInfo {
    // PACEInfo 3012060A04007F000702020406020201 0202010D (Appendix I.1).
    PaceInfo {
        protocol: ID_PACE_ECDH_CAM_AES_128,
        version: 2,
        parameter_id: Some(13),
    }
}

fn cam_apdus() -> Vec<(String, String)> {
    [
        (
            "00 22 C1 A4 0F 80 0A 04 00 7F 00 07 02 02 04 06 02 83 01 01",
            "90 00",
        ),
        (
            "10 86 00 00 02 7C 00 00",
            "7C 12 80 10 CB 60 E8 E0 D8 5B 76 A9 BD 30 47 47 C2 AD 42 E2 90 00",
        ),
        (
            "10 86 00 00 45 7C 43 81 41 04 7F 1D 41 0A DB 7D DB 3B 84 BF 10 30 80 09 81 A9 10 5D \
             74 57 B4 A3 AD E0 02 38 4F 30 86 C6 7E DE 1A B8 89 10 4A 27 DB 6D 84 2B 01 90 20 FB \
             F3 CE AC B0 DC 62 7F 7B DC AC 29 96 9E 19 D0 E5 53 C1 00",
            "7C 43 82 41 04 A2 34 23 6A A9 B9 62 1E 8E FB 73 B5 24 5C 0E 09 D2 57 6E 52 77 18 3C \
             12 08 BD D5 52 80 CA E8 B3 04 F3 65 71 3A 35 6E 65 A4 51 E1 65 EC C9 AC 0A C4 6E 37 \
             71 34 2C 8F E5 AE DD 09 26 85 33 8E 23 90 00",
        ),
        (
            "10 86 00 00 45 7C 43 83 41 04 44 6C 93 40 84 D9 DA B8 63 94 4F 21 95 20 07 6C 29 EE \
             3F 7A E6 72 2B 11 FF 31 9E C1 C7 72 8F 95 54 83 40 0B FF 60 BF 0C 59 29 27 00 09 27 \
             7D C2 A5 15 E1 25 75 01 0A D9 BA 91 6C F1 BF 86 FE FC 00",
            "7C 43 84 41 04 02 AD 56 6F 3C 6E C7 F9 32 45 09 AD 50 A5 1F A5 20 30 78 2A 49 68 FC \
             FE DF 73 7D AE A9 93 33 31 11 C3 B9 B4 C2 28 77 89 BD 13 7E 7F 8A A8 82 E2 A3 C6 33 \
             CC D6 EC C2 C6 3C 57 AD 40 1A 09 C2 E1 90 00",
        ),
        (
            "00 86 00 00 0C 7C 0A 85 08 E8 6B D0 60 18 A1 CD 3B 00",
            "7C 3C 86 08 85 96 CF 05 5C 67 C1 A3 8A 30 1E EA 96 4D AA E3 72 AC 99 0E 3E FD E6 33 \
             33 53 BF C8 9A 67 04 D9 3D A8 79 8C F7 7F 5B 7A 54 BD 10 CB A3 72 B4 2B E0 B9 B5 F2 \
             8A A8 DE 2F 4F 92 90 00",
        ),
    ]
    .iter()
    .map(|(c, r)| (c.replace(' ', ""), r.replace(' ', "")))
    .collect()
}

fn cam_static_key() -> CaPublicKey {
    CaPublicKey {
        domain: Domain::BrainpoolP256r1,
        point: h(&point(
            "18727094 94399E74 70A6431B E25E83EE E24FEA56 8C2ED28D B48E05DB 3A610DC8",
            "84D256A4 0E35EFCB 59BF6753 D3A489D2 8C7A4D97 3C2DA138 A6E7A4A0 8F68E16F",
        )),
    }
}

fn cam_password() -> PacePassword {
    PacePassword::Mrz(SecretBytes::from_slice(b"C11T002JM496081222310314"))
}

#[test]
fn chip_authentication_mapping_reader_replays_9303_11_appendix_i1() {
    assert_eq!(
        pace::password_key(&cam_password(), permitkit_chip::crypto::Cipher::Aes128).expose(),
        h("4E6F6FBF 7BE748B9 32C7B741 61BBA9DF")
    );
    let script = Script::new(&cam_apdus());
    let mut rng = Replay::new([h(I_SK_MAP_IFD), h(I_SK_IFD)]);
    let done = pace::establish_with(script, &cam_password(), &cam_info(), false, &mut rng).unwrap();
    assert_eq!(done.outcome.mapping, PaceMapping::ChipAuthentication);
    let cam = done.outcome.chip_authentication_data.unwrap();
    assert_eq!(cam.ca_ic.expose(), h(I_CA_IC));
    pace_cam::verify(&cam, &cam_static_key()).unwrap();
}

#[test]
fn chip_authentication_mapping_chip_replays_9303_11_appendix_i1() {
    // SK_IC = SKmap,IC · CA_IC⁻¹ mod n (brainpoolP256r1's order n).
    let sk_ic = {
        use p256::elliptic_curve::PrimeField;
        let scalar = |hex_: &str| {
            let b: [u8; 32] = h(hex_).try_into().unwrap();
            bp256::Scalar::from_repr(b.into()).unwrap()
        };
        let inv = Option::<bp256::Scalar>::from(scalar(I_CA_IC).invert()).unwrap();
        (scalar(I_SK_MAP_IC) * inv).to_repr().to_vec()
    };
    let pkcs8 = {
        use bp256::elliptic_curve::SecretKey;
        use p256::pkcs8::EncodePrivateKey;
        let key = SecretKey::<bp256::BrainpoolP256r1>::from_slice(&sk_ic).unwrap();
        SecretBytes::from_slice(key.to_pkcs8_der().unwrap().as_bytes())
    };
    let key = CaKeyPair::from_pkcs8(Some(13), pkcs8).unwrap();
    assert_eq!(key.public_key().unwrap(), cam_static_key());
    let params = PaceParams::from_info(&cam_info()).unwrap();
    let mut chip = PaceChip::new(params, &cam_password()).with_chip_authentication_key(key);
    let mut rng = Replay::new([h(I_S), h(I_SK_MAP_IC), h(I_SK_IC_EPHEMERAL)]);
    replay_chip(&mut chip, &cam_apdus(), &mut rng);
}

#[test]
fn chip_authentication_mapping_refuses_another_chips_key_and_a_chip_without_one() {
    let script = Script::new(&cam_apdus());
    let mut rng = Replay::new([h(I_SK_MAP_IFD), h(I_SK_IFD)]);
    let done = pace::establish_with(script, &cam_password(), &cam_info(), false, &mut rng).unwrap();
    let cam = done.outcome.chip_authentication_data.unwrap();
    let forged = CaKeyPair::generate(
        Some(13),
        Domain::BrainpoolP256r1,
        &mut permitkit_chip::random::OsRandom,
    )
    .unwrap()
    .public_key()
    .unwrap();
    assert!(pace_cam::verify(&cam, &forged).is_err());
    // A chip that holds no Chip Authentication key cannot finish PACE-CAM.
    let params = PaceParams::from_info(&cam_info()).unwrap();
    let mut chip = PaceChip::new(params, &cam_password());
    let mut rng = Replay::new([h(I_S), h(I_SK_MAP_IC), h(I_SK_IC_EPHEMERAL)]);
    let apdus = cam_apdus();
    for (command, _) in apdus.iter().skip(1).take(3) {
        chip.step(CommandApdu::parse(&h(command)).unwrap().data(), &mut rng)
            .unwrap();
    }
    let last = CommandApdu::parse(&h(&apdus[4].0)).unwrap();
    assert!(chip.step(last.data(), &mut rng).is_err());
}
