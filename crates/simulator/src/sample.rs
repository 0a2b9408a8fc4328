//! Synthetic personalization input of realistic sizes, for tests and benchmarks (feature
//! `test-util`). The content is structurally plausible BER-TLV (EF.COM lists the data groups,
//! ICAO Doc 9303-10 §4.6.1; DG1 holds a TD1 MRZ, §4.7.1; EF.CardAccess a PACEInfo, 9303-11
//! §9.2.1) but the biometric blocks and EF.SOD are filler: nothing here passes passive
//! authentication.

use permitkit_chip::crypto::Cipher;
use permitkit_chip::perso::PersoInput;
use permitkit_iso7816::tlv::{self, Tag};
use permitkit_lds::security_infos::{PaceInfo, PaceMapping, PaceProtocol, SecurityInfo};
use permitkit_lds::{CardAccess, Ef, SecurityInfos};
use permitkit_model::secret::{SecretBytes, SecretString};

/// MRZ information of the ICAO 9303-11 Appendix D example (`L898902C<` / 690806 / 940623).
pub const SAMPLE_MRZ_INFORMATION: &[u8] = b"L898902C<369080619406236";
/// The sample CAN.
pub const SAMPLE_CAN: &str = "123456";

/// A PACEInfo for generic mapping ECDH with `cipher` on standardized domain `parameter_id`.
pub fn pace_info(cipher: Cipher, parameter_id: u32) -> PaceInfo {
    let protocol = PaceProtocol {
        mapping: PaceMapping::Generic,
        ecdh: true,
        cipher,
    };
    PaceInfo {
        // The table names every generic-mapping ECDH protocol.
        protocol: protocol
            .oid()
            .unwrap_or(permitkit_lds::security_infos::ID_PACE),
        version: 2,
        parameter_id: Some(parameter_id),
    }
}

fn filler(tag: u32, len: usize, seed: u8) -> Vec<u8> {
    // A simple deterministic byte pattern (not all zeros, so corruption is visible).
    let body: Vec<u8> = (0..len)
        .map(|i| {
            u8::try_from(i % 251)
                .unwrap_or(0)
                .wrapping_mul(31)
                .wrapping_add(seed)
        })
        .collect();
    tlv::encode(Tag::new(tag), &body).unwrap_or_default()
}

/// A personalization input: EF.COM, DG1 (TD1 MRZ), DG2 of about `dg2_len` bytes, DG3 of about
/// `dg3_len` bytes (0 = none), EF.SOD filler, and EF.CardAccess when `pace` is given (PACE
/// offered, with the sample CAN stored).
pub fn sample_input(pace: Option<PaceInfo>, dg2_len: usize, dg3_len: usize) -> PersoInput {
    let td1 = b"I<UTOL898902C<3<<<<<<<<<<<<<<<6908061F9406236UTO<<<<<<<<<<<2ERIKSSON<<ANNA<MARIA<<<<<<<<<<";
    let mrz = tlv::encode(Tag::new(0x5F1F), td1).unwrap_or_default();
    let dg1 = tlv::encode(Tag::new(0x61), &mrz).unwrap_or_default();
    let mut tags = vec![0x61u8, 0x75];
    if dg3_len > 0 {
        tags.push(0x63);
    }
    let mut w = tlv::Writer::new();
    w.constructed(Tag::new(0x60), |w| {
        w.primitive(Tag::new(0x5F01), b"0107");
        w.primitive(Tag::new(0x5F36), b"040000");
        w.primitive(Tag::new(0x5C), &tags);
    });
    let com = w.finish().unwrap_or_default();
    let mut files = vec![
        (Ef::Com, com),
        (Ef::DG1, dg1),
        (Ef::DG2, filler(0x75, dg2_len.saturating_sub(4).max(1), 2)),
    ];
    if dg3_len > 0 {
        files.push((Ef::DG3, filler(0x63, dg3_len.saturating_sub(4), 3)));
    }
    files.push((Ef::Sod, filler(0x77, 1800, 7)));
    if let Some(info) = pace {
        let card_access = CardAccess {
            infos: SecurityInfos(vec![SecurityInfo::Pace(info)]),
        };
        files.push((Ef::CardAccess, card_access.encode().unwrap_or_default()));
    }
    PersoInput {
        files,
        mrz_information: SecretBytes::from_slice(SAMPLE_MRZ_INFORMATION),
        can: pace.map(|_| SecretString::from(SAMPLE_CAN)),
        aa_private_key: None,
        aa_key_on_chip: false,
        ca_keys: Vec::new(),
        ca_keys_on_chip: false,
        trust_point: None,
    }
}

/// [`sample_input`] plus an ECDSA P-256 Active Authentication key: DG15 carries its public
/// key (and EF.COM lists DG15), the input carries the private key.
pub fn sample_input_with_aa(pace: Option<PaceInfo>, dg2_len: usize, dg3_len: usize) -> PersoInput {
    use p256::pkcs8::{EncodePrivateKey, EncodePublicKey};
    let mut input = sample_input(pace, dg2_len, dg3_len);
    let Ok(key) = p256::SecretKey::from_slice(&[0x5A; 32]) else {
        return input;
    };
    let (Ok(private), Ok(public)) = (key.to_pkcs8_der(), key.public_key().to_public_key_der())
    else {
        return input;
    };
    let dg15 = tlv::encode(Tag::new(0x6F), public.as_bytes()).unwrap_or_default();
    for (ef, data) in &mut input.files {
        if *ef == Ef::Com {
            let mut w = tlv::Writer::new();
            let mut tags = vec![0x61u8, 0x75];
            if dg3_len > 0 {
                tags.push(0x63);
            }
            tags.push(0x6F);
            w.constructed(Tag::new(0x60), |w| {
                w.primitive(Tag::new(0x5F01), b"0107");
                w.primitive(Tag::new(0x5F36), b"040000");
                w.primitive(Tag::new(0x5C), &tags);
            });
            *data = w.finish().unwrap_or_default();
        }
    }
    input.files.push((Ef::DG15, dg15));
    input.aa_private_key = Some(SecretBytes::from_slice(private.as_bytes()));
    input
}
