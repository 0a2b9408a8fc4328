//! Entry points shared by the cargo-fuzz targets in `fuzz/` and the corpus replay test.
//!
//! Each function feeds arbitrary bytes to one parser (or state machine) and must return without
//! panicking, whatever the input. `fuzz/fuzz_targets/<name>.rs` is a one-line wrapper around the
//! function registered under `<name>` in [`TARGETS`], and `tests/fuzz_corpus.rs` replays every
//! file under `testdata/fuzz-corpus/<name>/` through the same function, so the corpus protects
//! ordinary `cargo test` runs too.

use std::collections::BTreeMap;

use permitkit_biometrics::wsq;
use permitkit_biometrics::{
    cbeff::BiometricGroup, face_record::FacialRecord, finger_record::FingerImageRecord,
};
use permitkit_iso7816::apdu;
use permitkit_iso7816::tlv;
use permitkit_lds::{self as lds, Ef};

/// A fuzz entry point: must return without panicking for any input.
pub type Entry = fn(&[u8]);

/// Every fuzz target: its name (the file stem under `fuzz/fuzz_targets/` and the corpus folder
/// under `testdata/fuzz-corpus/`) and its entry function.
pub const TARGETS: &[(&str, Entry)] = &[
    ("tlv", tlv),
    ("apdu", apdu),
    ("lds_file", lds_file),
    ("sod", sod),
    ("biometric_record", biometric_record),
    ("sm_unwrap", sm_unwrap),
    ("virtual_chip", virtual_chip),
    ("card_access", card_access),
    ("bac_seed", bac_seed),
    ("chip_identity", chip_identity),
    ("chip_state", chip_state),
    ("mrz", mrz),
    ("wsq_decode", wsq_decode),
    ("finger_quality", finger_quality),
    ("face_image", face_image),
    ("signature_image", signature_image),
    ("signature_upload", signature_upload),
    ("pen_events", pen_events),
    ("station_profile", station_profile),
    ("profile_file", profile_file),
    ("applicant", applicant),
    ("envelope_open", envelope_open),
    ("chip_image_package", chip_image_package),
    ("cv_certificate", cv_certificate),
    ("master_list", master_list),
    ("deviation_list", deviation_list),
    ("trust_store", trust_store),
    ("card_security", card_security),
    ("chip_authentication", chip_authentication),
    ("pace_chip", pace_chip),
    ("pkcs11_uri", pkcs11_uri),
    ("audit_log", audit_log),
    ("create_file_fcp", create_file_fcp),
    ("finger_exceptions", finger_exceptions),
    ("bureau_package", bureau_package),
    ("bureau_request", bureau_request),
];

/// BER-TLV: read every object and descend into every constructed one.
pub fn tlv(data: &[u8]) {
    fn walk(mut reader: tlv::Reader<'_>) {
        while let Ok(t) = reader.read() {
            if let (true, Ok(children)) = (t.tag().is_constructed(), t.children()) {
                walk(children);
            }
        }
    }
    walk(tlv::Reader::new(data));
    let _ = tlv::encoded_len_from_header(data);
}

/// Command and response APDU parsing; whatever parses must re-encode to the same command.
pub fn apdu(data: &[u8]) {
    if let Ok(cmd) = apdu::CommandApdu::parse(data) {
        let again = apdu::CommandApdu::parse(&cmd.to_bytes());
        assert!(again.is_ok_and(|a| a == cmd), "command APDU round trip");
    }
    let _ = apdu::ResponseApdu::parse(data);
}

/// Every data-group parser; the first byte chooses which one reads the rest. What parses must
/// survive encode → parse unchanged (for the parsers whose encoding is canonical).
pub fn lds_file(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match selector % 10 {
        0 => {
            round_trip(body, lds::Com::parse, lds::Com::encode);
            if let Ok(strict) = lds::Com::parse_strict(body) {
                assert_eq!(
                    lds::Com::parse(body).ok(),
                    Some(strict),
                    "strict ⊂ tolerant"
                );
            }
        }
        1 => round_trip(body, lds::Dg1::parse, lds::Dg1::encode),
        2 => {
            if let Ok(v) = lds::Dg2::parse(body) {
                let _ = v.encode();
            }
        }
        3 => round_trip(body, lds::Dg3::parse, lds::Dg3::encode),
        4 => round_trip(body, lds::Dg7::parse, lds::Dg7::encode),
        5 => round_trip(body, lds::Dg11::parse, lds::Dg11::encode),
        6 => round_trip(body, lds::Dg12::parse, lds::Dg12::encode),
        7 => round_trip(body, lds::Dg14::parse, lds::Dg14::encode),
        8 => {
            if let Ok(v) = lds::Dg15::parse(body) {
                let _ = v.encode();
            }
        }
        _ => {
            let tolerant = lds::CardAccess::parse(body);
            if let Ok(strict) = lds::CardAccess::parse_strict(body) {
                assert_eq!(tolerant.ok(), Some(strict), "strict ⊂ tolerant");
            }
        }
    }
}

/// Parses `body`; when it parses and re-encodes, the encoding must parse to the same value.
fn round_trip<T: PartialEq + std::fmt::Debug, E>(
    body: &[u8],
    parse: fn(&[u8]) -> Result<T, E>,
    encode: fn(&T) -> Result<Vec<u8>, E>,
) {
    if let Ok(v) = parse(body)
        && let Ok(bytes) = encode(&v)
    {
        assert_eq!(parse(&bytes).ok(), Some(v), "parse(encode(x)) must equal x");
    }
}

/// EF.SOD: the tolerant reader, then passive authentication with no trust anchor (which must
/// report, never panic), with the input also offered as DG1 and DG2; the Document Signer's
/// scope read from every embedded certificate and from the input itself.
pub fn sod(data: &[u8]) {
    let _ = lds::sod::SignerScope::from_certificate(data);
    if let Ok(parsed) = lds::sod::ParsedSod::parse(data) {
        for cert in &parsed.certificates {
            let _ = lds::sod::SignerScope::from_certificate(cert);
        }
        let files = BTreeMap::from([(Ef::DG1, data.to_vec()), (Ef::DG2, data.to_vec())]);
        let report = permitkit_pki::passive_authentication(data, &files, &[], 0);
        assert!(!report.is_valid(), "no trust anchor can never verify");
    }
    let _ = lds::describe::describe(&BTreeMap::from([(Ef::Sod, data.to_vec())]));
}

/// ISO/IEC 19794-5 and 19794-4 records and the CBEFF group around them.
pub fn biometric_record(data: &[u8]) {
    if let Ok(r) = FacialRecord::parse(data)
        && let Ok(bytes) = r.encode()
    {
        let again = FacialRecord::parse(&bytes).map(|a| a.images);
        assert_eq!(again.ok(), Some(r.images), "face record round trip");
    }
    if let Ok(r) = FingerImageRecord::parse(data) {
        assert_eq!(
            r.encode().ok().as_deref(),
            Some(data),
            "finger record round trip"
        );
    }
    let _ = BiometricGroup::parse(&mut tlv::Reader::new(data));
}

/// Secure messaging, both sides: a response checked by the reader side and a command checked by
/// the chip side, with 3DES and AES-128 sessions (the MAC fails on almost every input; the
/// parsing before it and the error paths must never panic).
pub fn sm_unwrap(data: &[u8]) {
    use permitkit_chip::crypto::Cipher;
    use permitkit_chip::sm::SmSession;
    use permitkit_model::secret::SecretBytes;
    for cipher in [Cipher::Tdes, Cipher::Aes128] {
        let session = || {
            SmSession::new(
                cipher,
                SecretBytes::new(vec![0x11; cipher.key_len()]),
                SecretBytes::new(vec![0x22; cipher.key_len()]),
                &[],
            )
        };
        if let (Ok(mut s), Ok(r)) = (session(), apdu::ResponseApdu::parse(data)) {
            let _ = s.unprotect_response(&r);
        }
        if let (Ok(mut s), Ok(c)) = (session(), apdu::CommandApdu::parse(data)) {
            let _ = s.unprotect_command(&c);
        }
    }
}

/// A fresh virtual chip fed a sequence of APDUs, each prefixed by a one-byte length (`00` means
/// a 2-byte big-endian length follows), whatever their order or content.
pub fn virtual_chip(data: &[u8]) {
    use permitkit_simulator::{Card, CardConfig};
    let mut card = Card::new(CardConfig {
        max_ef_size: 4096,
        max_files: 8,
        ..CardConfig::default()
    });
    let mut rest = data;
    while let Some((&n, tail)) = rest.split_first() {
        let (len, tail) = if n == 0 {
            match tail.split_first_chunk::<2>() {
                Some((l, t)) => (usize::from(u16::from_be_bytes(*l)), t),
                None => break,
            }
        } else {
            (usize::from(n), tail)
        };
        let take = len.min(tail.len());
        let (apdu, next) = tail.split_at(take);
        let response = card.process(apdu);
        assert!(response.len() >= 2, "every answer carries a status word");
        rest = next;
    }
}

/// EF.CardAccess / SecurityInfos as an inspection system reads it: the lenient reader, the
/// PACE OID table, and a DER re-encoding that reads back and re-encodes to the same bytes.
pub fn card_access(data: &[u8]) {
    if let Ok(card_access) = lds::CardAccess::parse_lenient(data) {
        for info in card_access.pace_infos() {
            if let Some(p) = info.pace_protocol() {
                assert_eq!(p.oid(), Some(info.protocol), "PACE OID table round trip");
            }
        }
        let encoded = card_access.encode();
        assert!(encoded.is_ok(), "SecurityInfos re-encode");
        if let Ok(bytes) = encoded {
            let again = lds::CardAccess::parse(&bytes).and_then(|a| a.encode());
            assert_eq!(
                again.ok(),
                Some(bytes),
                "SecurityInfos read back and re-encode"
            );
        }
    }
}

/// The MRZ information splitter that builds the JMRTD PUT DATA `62` BAC seed.
pub fn bac_seed(data: &[u8]) {
    if let Ok(seed) = permitkit_chip::perso::bac_seed(data) {
        assert!(seed.len() >= 2 + 16, "BAC seed holds three fields");
    }
}

/// What the writer reads to identify a card before writing (untrusted chip answers): GET DATA
/// CPLC data, a chip serial as text, a life cycle status byte, the public key template of
/// GENERATE ASYMMETRIC KEY PAIR. What parses must encode back to the same bytes.
pub fn chip_identity(data: &[u8]) {
    use permitkit_chip::identity::{CardLife, ChipSerial, Cplc};
    if let Ok(cplc) = Cplc::parse(data) {
        assert_eq!(
            Cplc::parse(&cplc.encode()).ok(),
            Some(cplc),
            "CPLC round trip"
        );
        let serial = cplc.serial();
        assert_eq!(
            serial.as_str().parse::<ChipSerial>().ok(),
            Some(serial.clone()),
            "serial round trip"
        );
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(serial) = text.parse::<ChipSerial>()
    {
        assert_eq!(serial.as_str(), text, "a chip serial prints as it parsed");
    }
    if let Some(&b) = data.first()
        && let Some(life) = CardLife::from_status_byte(b)
    {
        assert_eq!(
            CardLife::from_status_byte(life.status_byte()),
            Some(life),
            "life cycle round trip"
        );
    }
    if let Ok(spki) = permitkit_chip::aa::public_key_from_template(data) {
        assert!(!spki.is_empty(), "a public key");
    }
}

/// A saved virtual chip state (JSON), loaded under small limits.
pub fn chip_state(data: &[u8]) {
    use permitkit_simulator::{CardConfig, state};
    if let Ok(text) = std::str::from_utf8(data) {
        let config = CardConfig {
            max_ef_size: 4096,
            max_files: 8,
            ..CardConfig::default()
        };
        if let Ok(card) = state::from_json(text, config) {
            let again = state::to_json(&card);
            assert!(again.is_ok(), "a loaded state saves again");
        }
    }
}

/// MRZ text, names and dates: whatever parses must re-parse from its DG1 form to the same MRZ,
/// and every name that transliterates must render to a full-width field of MRZ characters.
///
/// The input is read as (lossy) UTF-8; for names, a first line break splits the primary from the
/// secondary identifier.
pub fn mrz(data: &[u8]) {
    use permitkit_lds::mrz::{Mrz, MrzFormat, MrzName, PartialDate, Script};
    let text = String::from_utf8_lossy(data);
    if let Ok(m) = Mrz::parse(&text) {
        let again = Mrz::parse(&m.to_dg1_string());
        assert!(again.is_ok_and(|a| a == m), "MRZ round trip");
        assert!(m.mrz_information().len() >= 24, "MRZ information length");
    }
    let (primary, secondary) = text.split_once('\n').unwrap_or((&text, ""));
    for script in Script::ALL {
        if let Ok(name) = MrzName::new(primary, secondary, script) {
            for format in [MrzFormat::Td1, MrzFormat::Td3] {
                let field = name.to_field(format);
                assert_eq!(
                    field.as_str().len(),
                    format.name_width(),
                    "name field width"
                );
                assert!(
                    field
                        .as_str()
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b == b'<'),
                    "name field alphabet"
                );
            }
        }
    }
    if let Ok(date) = PartialDate::parse(&text) {
        assert_eq!(
            PartialDate::from_dg11(&date.to_dg11()),
            Ok(date),
            "DG11 date round trip"
        );
    }
}

/// WSQ decoding within small limits; whatever decodes has the frame's size, and the structure
/// walk agrees with the decoder about it.
pub fn wsq_decode(data: &[u8]) {
    let limits = wsq::DecodeLimits::new(512, 512);
    if let Ok(image) = wsq::decode_with_limits(data, &limits) {
        let expected = u64::from(image.width) * u64::from(image.height);
        assert_eq!(image.pixels.len() as u64, expected, "WSQ pixel count");
        let info = wsq::inspect(data);
        assert!(
            info.is_ok_and(|i| (i.width, i.height) == (image.width, image.height)),
            "WSQ inspect disagrees with decode"
        );
    }
}

/// Fingerprint quality on untrusted image bytes: decode (PNG/JPEG, size-limited), then assess;
/// a score is always 0–100 and every flag follows from the measures.
pub fn finger_quality(data: &[u8]) {
    if let Ok(img) = permitkit_quality::finger::decode_image(data)
        && let Ok(q) = permitkit_quality::finger::assess(&img, 500)
    {
        assert!(q.score <= 100, "score out of range");
        assert!(
            q.measures.foreground_fraction <= 1.0,
            "foreground share out of range"
        );
    }
}

/// Portrait images: decode under small limits, then run the whole quality assessment and, when
/// it passes, the crop and JPEG budget search. Nothing may panic whatever the pixels are.
pub fn face_image(data: &[u8]) {
    use permitkit_quality::face::{FaceAssessor, ImageLimits, PortraitRequest, decode};
    let limits = ImageLimits {
        max_side: 512,
        max_alloc: 16 << 20,
    };
    let Ok(image) = decode(data, limits) else {
        return;
    };
    let Ok(profile) = permitkit_model::profiles::quality::QualityProfile::builtin_default() else {
        return;
    };
    let Ok(mut gate) = FaceAssessor::new(profile) else {
        return;
    };
    let report = gate.assess(&image).report;
    assert!(!report.checks.is_empty(), "every assessment reports");
    let _ = gate.prepare(&image, &PortraitRequest::default());
}

/// Scanned signatures: image bytes → the `image:` signature pad (decoded under small limits) →
/// capture → DG7 preparation. What prepares fits the box and the byte budget.
pub fn signature_image(data: &[u8]) {
    use permitkit_biometrics::signature::prepare;
    use permitkit_devices::{signature_image::ImagePad, signature_pad::SignaturePad};
    use permitkit_quality::face::ImageLimits;
    let limits = ImageLimits {
        max_side: 1024,
        max_alloc: 16 << 20,
    };
    let Ok(mut pad) = ImagePad::from_bytes(data, "image:fuzz", "fuzz", limits) else {
        return;
    };
    let Ok(capture) = pad.capture(std::time::Duration::ZERO) else {
        return;
    };
    let image = capture.to_image();
    assert!(
        image.width() <= 1024 && image.height() <= 1024,
        "decoded past the limits"
    );
    if let Ok(p) = prepare(&image, 400, 150, 6000) {
        assert!(p.jpeg.len() <= 6000, "DG7 JPEG over budget");
        assert_eq!(p.image.dimensions(), (400, 150), "DG7 box");
    }
}

/// A signature drawn on the operator's screen, as uploaded: bytes → the station's checks
/// (size, PNG, bounded decode, ink) → DG7 preparation. What passes has ink and fits the limits.
pub fn signature_upload(data: &[u8]) {
    use permitkit_biometrics::signature::prepare;
    use permitkit_station_web::signature_upload::{LIMITS, MIN_SIDE, check};
    let Ok(image) = check(data) else {
        return;
    };
    let (w, h) = image.dimensions();
    assert!(
        w <= LIMITS.max_side && h <= LIMITS.max_side && w >= MIN_SIDE && h >= MIN_SIDE,
        "accepted past the limits: {w}x{h}"
    );
    assert!(
        image.pixels().any(|p| p.0[0] <= 128),
        "accepted without ink"
    );
    if let Ok(p) = prepare(&image, 400, 150, 6000) {
        assert!(p.jpeg.len() <= 6000, "DG7 JPEG over budget");
    }
}

/// The `missing_fingers` of an integration API create request (JSON) → finger exceptions →
/// the check against the EU default selection rule. What is accepted is bounded: at most ten,
/// an `other` cause in 1 to 200 characters.
pub fn finger_exceptions(data: &[u8]) {
    use permitkit_station::finger_selection::{MissingCause, SelectionRule};
    use permitkit_station_web::exceptions::{MAX_EXCEPTIONS, check, from_json};
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(list) = from_json(value, "api:fuzz") else {
        return;
    };
    assert!(list.len() <= MAX_EXCEPTIONS, "too many accepted");
    for e in &list {
        if let MissingCause::Other(text) = &e.cause {
            let n = text.chars().count();
            assert!(
                (1..=MissingCause::MAX_TEXT).contains(&n),
                "other cause of {n} chars"
            );
        }
        assert!(e.approved_by.is_none(), "approved by the request itself");
    }
    let _ = check(&SelectionRule::eu_default(), &list);
}

/// Linux input events from a pen → strokes → rendered image. Bytes 0..8 describe the pen
/// (`x_max`, `y_max`, `pressure_max` as little-endian u16, 0 meaning no pressure axis; a flags
/// byte: 1 BTN_TOUCH, 2 end button BTN_STYLUS2, 4 resolution 100/mm; one spare byte), then
/// 9-byte events (time step in µs as u16, type as u8, code as u16, value as i32, little-endian).
pub fn pen_events(data: &[u8]) {
    use permitkit_devices::{
        pen_events::{AxisRange, BTN_STYLUS2, PenEvent, PenSetup, StrokeAssembler},
        signature_ink::{RenderOptions, render},
        signature_pad::MAX_POINTS,
    };
    let Some((head, body)) = data.split_at_checked(8) else {
        return;
    };
    let word = |i: usize| {
        let b = head.get(i..i + 2).unwrap_or(&[0, 0]);
        i32::from(u16::from_le_bytes([
            b.first().copied().unwrap_or(0),
            b.get(1).copied().unwrap_or(0),
        ]))
    };
    let flags = head.get(6).copied().unwrap_or(0);
    let resolution = if flags & 4 != 0 { 100 } else { 0 };
    let axis = |max| AxisRange {
        min: 0,
        max,
        resolution,
    };
    let setup = PenSetup {
        x: axis(word(0)),
        y: axis(word(2)),
        pressure: (word(4) > 0).then(|| axis(word(4))),
        has_touch: flags & 1 != 0,
        end_button: (flags & 2 != 0).then_some(BTN_STYLUS2),
    };
    let Ok(mut strokes) = StrokeAssembler::new(setup) else {
        return;
    };
    let mut time = 0u64;
    for e in body.chunks_exact(9) {
        let b = |i: usize| e.get(i).copied().unwrap_or(0);
        time += u64::from(u16::from_le_bytes([b(0), b(1)]));
        strokes.push(PenEvent {
            time_us: time,
            kind: u16::from(b(2)),
            code: u16::from_le_bytes([b(3), b(4)]),
            value: i32::from_le_bytes([b(5), b(6), b(7), b(8)]),
        });
    }
    let (strokes, area) = strokes.finish();
    let points: usize = strokes.iter().map(|s| s.points.len()).sum();
    assert!(points <= MAX_POINTS, "point limit");
    for p in strokes.iter().flat_map(|s| &s.points) {
        assert!(
            p.x >= 0.0 && p.x <= area.width && p.y >= 0.0 && p.y <= area.height,
            "point outside the active area"
        );
        assert!((0.0..=1.0).contains(&p.pressure), "pressure out of range");
    }
    let options = RenderOptions {
        max_side: 256,
        ..RenderOptions::default()
    };
    let image = render(&strokes, area, &options);
    assert!(image.width() <= 256 && image.height() <= 256, "render size");
}

/// Station and signature pad profiles: TOML text → every problem (never a panic); a profile
/// that loads has no validation finding.
pub fn station_profile(data: &[u8]) {
    use permitkit_model::profiles::{
        Profile, parse_all, signature_pad::SignaturePadProfile, station::StationProfile,
    };
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = parse_all::<StationProfile>("stations/fuzz.toml", text) {
        assert!(p.validate().is_empty(), "loaded with problems");
    }
    if let Ok(p) = parse_all::<SignaturePadProfile>("signature-pads/fuzz.toml", text) {
        assert!(p.validate().is_empty(), "loaded with problems");
    }
}

/// Hardware, document and quality profile files of every other kind: a file that loads has no
/// validation problems left.
pub fn profile_file(data: &[u8]) {
    use permitkit_model::profiles::{
        ChipProfile, DocumentProfile, Profile, ReaderProfile, camera::CameraProfile, parse_all,
        quality::QualityProfile, scanner::ScannerProfile,
    };
    fn one<P: Profile>(kind: &str, text: &str) {
        if let Ok(p) = parse_all::<P>(&format!("{kind}/fuzz.toml"), text) {
            assert!(p.validate().is_empty(), "{kind}: loaded with problems");
        }
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    one::<DocumentProfile>("documents", text);
    one::<CameraProfile>("cameras", text);
    one::<QualityProfile>("quality", text);
    one::<ScannerProfile>("scanners", text);
    one::<ReaderProfile>("readers", text);
    one::<ChipProfile>("chips", text);
}

/// Applicant files against the built-in profiles: an applicant that validates yields an MRZ
/// that parses back with every check digit right.
pub fn applicant(data: &[u8]) {
    use std::sync::OnceLock;
    static REGISTRY: OnceLock<Option<permitkit_model::profiles::Registry>> = OnceLock::new();
    let Some(registry) = REGISTRY
        .get_or_init(|| permitkit_model::profiles::Registry::builtin().ok())
        .as_ref()
    else {
        return;
    };
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(a) = permitkit_station::applicant::Applicant::parse("applicant.toml", text, registry)
    {
        let lines = a.mrz.lines().join("\n");
        assert!(
            lds::mrz::Mrz::parse(&lines).is_ok(),
            "a valid applicant's MRZ does not parse back"
        );
    }
}

/// CV certificates (BSI TR-03110-3 Appendix C) as a file, as PSO:Verify Certificate data, and as
/// a chip's trust point: what decodes must encode back to the same bytes, and chain checks on
/// it return instead of panicking.
pub fn cv_certificate(data: &[u8]) {
    use permitkit_cvc::{DatePolicy, TrustPoint};
    if let Ok(cert) = permitkit_cvc::CvCertificate::decode(data) {
        assert_eq!(
            cert.to_bytes().ok().as_deref(),
            Some(data),
            "decode/encode round trip"
        );
        if let Ok(tp) = TrustPoint::from_certificate(&cert) {
            let date = cert.body().effective;
            let _ = tp
                .as_verified()
                .verify_next(&cert, date, DatePolicy::ChipCurrentDate);
        }
        let _ = permitkit_chip::ta::TaStore::personalize(&cert);
    }
    if let Ok(cert) = permitkit_cvc::CvCertificate::decode_pso(data) {
        assert_eq!(
            cert.pso_data().ok().as_deref(),
            Some(data),
            "PSO data round trip"
        );
    }
    let _ = permitkit_chip::ta::parse_ef_cvca(data);
}

/// RFC 7512 PKCS #11 URIs: whatever parses prints back to a URI that parses to the same value
/// (the PIN aside, which is never printed).
pub fn pkcs11_uri(data: &[u8]) {
    use permitkit_model::pkcs11_uri::Pkcs11Uri;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(uri) = Pkcs11Uri::parse(text) {
        let again = Pkcs11Uri::parse(&uri.to_string()).map(|mut again| {
            again.pin_value = uri.pin_value.clone();
            again
        });
        assert_eq!(again, Ok(uri), "PKCS #11 URI round trip");
    }
}

/// The audit log of EF.SOD signatures (JSON lines, sequence and hash chain): what parses has
/// consecutive sequence numbers from 1.
pub fn audit_log(data: &[u8]) {
    if let Ok(records) = permitkit_pki::audit::parse_records(data) {
        for (i, r) in records.iter().enumerate() {
            assert_eq!(usize::try_from(r.seq).ok(), Some(i + 1), "audit sequence");
        }
    }
}

/// The ChipImage envelope's recipient side: whatever bytes, opened with the fixture desk key of
/// `testdata/envelope` (what the seeds are sealed to); a content that opens is read as a
/// ChipImage package. Also the recipient-certificate reader.
pub fn envelope_open(data: &[u8]) {
    use permitkit_pki::{desk, envelope};
    use std::sync::OnceLock;
    static DESK: OnceLock<Option<desk::DeskKeyPair>> = OnceLock::new();
    let fixture = DESK.get_or_init(|| {
        let key = desk::key_from_bytes(
            include_bytes!("../../../testdata/envelope/desk-key.pem"),
            "desk-key.pem",
        )
        .ok()?;
        let cert = desk::certificate_from_bytes(
            include_bytes!("../../../testdata/envelope/desk.pem").to_vec(),
            "desk.pem",
        )
        .ok()?;
        desk::DeskKeyPair::new(cert, key).ok()
    });
    assert!(
        fixture.is_some(),
        "testdata/envelope/desk.pem and desk-key.pem do not load"
    );
    let Some(pair) = fixture else {
        return;
    };
    let _ = envelope::Recipient::from_certificate(data);
    if let Ok(der) = envelope::der_of_file(data)
        && let Ok(content) = envelope::open(&der, pair.key(), pair.certificate_der())
    {
        let _ = lds::ChipImage::from_package(&content);
    }
}

/// ChipImage packages: what parses is written back byte for byte.
pub fn chip_image_package(data: &[u8]) {
    if let Ok(image) = lds::ChipImage::from_package(data) {
        assert_eq!(image.to_package().as_slice(), data, "package round trip");
    }
}

/// CSCA master lists (ICAO 9303-12 §9): parsed, then verified against nothing — which must
/// fail, never panic; every listed certificate read as a trust anchor.
pub fn master_list(data: &[u8]) {
    use permitkit_pki::{master_list::MasterList, trust::Anchor};
    if let Ok(list) = MasterList::parse(data) {
        for cert in &list.certificates {
            let _ = Anchor::from_der(cert, "fuzz");
        }
        let verified = list.verify(&[], &|_| Vec::new(), 0);
        assert!(verified.is_err(), "no trust anchor can never verify");
    }
}

/// Deviation lists (ICAO 9303-12 §10): parsed, then verified against nothing.
pub fn deviation_list(data: &[u8]) {
    if let Ok(list) = permitkit_pki::deviation_list::DeviationList::parse(data) {
        assert!(list.verify(&[], &|_| Vec::new(), 0).is_err());
    }
}

/// Trust material as `--trust` reads it (PEM blocks or DER: certificates, CRLs, signed lists),
/// a CRL on its own, a certification request (`pki ds issue --csr`), and the linter's reading
/// of a certificate.
pub fn trust_store(data: &[u8]) {
    use permitkit_pki::{
        crl::Crl,
        ds_issue::CertificationRequest,
        lint::{LintOptions, lint},
        trust::TrustStoreBuilder,
    };
    let mut builder = TrustStoreBuilder::new();
    if builder.add_bytes("fuzz", data).is_ok() {
        let _ = builder.build(0);
    }
    if let Ok(crl) = Crl::parse(data) {
        let _ = crl.currency(0);
        let _ = crl.revoked_at(&[1]);
        let _ = crl.number_text();
    }
    let _ = CertificationRequest::from_der(data);
    let _ = lint(data, &LintOptions::default());
}

/// EF.CardSecurity (ICAO 9303-11 §9.2.3): the strict parser, then every Chip Authentication key
/// it offers read as a SubjectPublicKeyInfo and the PACE-CAM key picked for each parameter id;
/// what parses re-signs nothing but must re-encode its SecurityInfos.
pub fn card_security(data: &[u8]) {
    if let Ok(cs) = lds::CardSecurity::parse(data) {
        let offers = cs.infos.chip_authentication_offers(Ef::CardSecurity);
        assert!(offers.is_ok(), "a parsed EF.CardSecurity pairs its keys");
        for offer in offers.unwrap_or_default() {
            let _ = permitkit_chip::ca::CaParams::from_offer(&offer);
        }
        for id in [0, 12, 13] {
            let _ = permitkit_chip::pace_cam::select_key(&cs.infos, id);
        }
        assert!(
            cs.infos.to_der(Ef::CardSecurity).is_ok(),
            "SecurityInfos re-encode"
        );
    }
}

/// The Chip Authentication parsers both sides meet (9303-11 §6.2): a static public key as a
/// SubjectPublicKeyInfo, a public key template, the chip's key generation and key storage
/// requests, MSE:Set KAT / Set AT / GENERAL AUTHENTICATE on a chip holding one key, under secure
/// messaging, and a DG14 whose keys are paired.
pub fn chip_authentication(data: &[u8]) {
    use permitkit_chip::ca;
    if let Ok(key) = ca::CaPublicKey::from_spki(data) {
        let spki = key.to_spki();
        assert!(
            spki.as_deref()
                .map(ca::CaPublicKey::from_spki)
                .is_ok_and(|k| k.ok() == Some(key)),
            "SubjectPublicKeyInfo round trip"
        );
    }
    let _ = ca::public_key_from_template(data);
    let _ = ca::parse_generate_request(data);
    let _ = ca::parse_put_data(data);
    if let Ok(dg14) = lds::Dg14::parse(data) {
        assert!(
            dg14.chip_authentication().is_ok(),
            "a parsed DG14 pairs its keys"
        );
    }
    // The chip side: the input as the data field of each Chip Authentication command.
    let Some(key) = ca::CaKeyPair::from_pkcs8(None, chip_authentication_key()) else {
        return;
    };
    let keys = [key];
    let mut chip = permitkit_simulator::eac_ca::EacCa::default();
    for (p2, ins) in [(0xA6, 0x22), (0xA4, 0x22), (0x00, 0x86)] {
        let p1 = if ins == 0x22 { 0x41 } else { 0x00 };
        if let Ok(cmd) = apdu::CommandApdu::new(0x00, ins, p1, p2).with_data(data.to_vec()) {
            let _ = chip.process(&cmd, true, &keys);
        }
    }
    let _ = chip.take_restart();
}

/// A fixed P-256 Chip Authentication key (PKCS#8) for the chip side of the fuzz targets.
fn chip_authentication_key() -> permitkit_model::secret::SecretBytes {
    use p256::pkcs8::EncodePrivateKey;
    p256::SecretKey::from_slice(&[0x42; 32])
        .ok()
        .and_then(|k| k.to_pkcs8_der().ok())
        .map(|d| permitkit_model::secret::SecretBytes::from_slice(d.as_bytes()))
        .unwrap_or_default()
}

/// The chip side of PACE with the generic, integrated and chip authentication mappings: the
/// input, split at `7C` boundaries, fed as the data of the chained GENERAL AUTHENTICATE steps
/// (the first byte chooses mapping, cipher and curve).
pub fn pace_chip(data: &[u8]) {
    use permitkit_chip::pace::{PaceChip, PaceParams, PacePassword};
    use permitkit_lds::security_infos::{Cipher, PaceInfo, PaceMapping, PaceProtocol};
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let mapping = match selector % 3 {
        0 => PaceMapping::Generic,
        1 => PaceMapping::Integrated,
        _ => PaceMapping::ChipAuthentication,
    };
    let cipher = match (selector / 3) % 4 {
        0 if mapping != PaceMapping::ChipAuthentication => Cipher::Tdes,
        0 | 1 => Cipher::Aes128,
        2 => Cipher::Aes192,
        _ => Cipher::Aes256,
    };
    let parameter_id = if selector & 0x80 == 0 { 12 } else { 13 };
    let Some(protocol) = (PaceProtocol {
        mapping,
        ecdh: true,
        cipher,
    })
    .oid() else {
        return;
    };
    let Ok(params) = PaceParams::from_info(&PaceInfo {
        protocol,
        version: 2,
        parameter_id: Some(parameter_id),
    }) else {
        return;
    };
    let mut chip = PaceChip::new(params, &PacePassword::Can("123456".into()));
    if let Some(key) =
        permitkit_chip::ca::CaKeyPair::from_pkcs8(Some(parameter_id), chip_authentication_key())
    {
        chip = chip.with_chip_authentication_key(key);
    }
    let mut rng = permitkit_chip::random::OsRandom;
    let mut rest = body;
    while !rest.is_empty() {
        let len = tlv::encoded_len_from_header(rest)
            .unwrap_or(rest.len())
            .clamp(1, rest.len());
        let (step, tail) = rest.split_at(len);
        if chip.step(step, &mut rng).is_err() {
            return;
        }
        rest = tail;
    }
}

/// ISO/IEC 7816-9 CREATE FILE: the input as an FCP template ([`permitkit_iso7816::fcp::Fcp`];
/// a parsed one encodes and parses back to itself), then as the data of CREATE FILE sent to a
/// virtual chip of the `iso7816-9` dialect in the master file and in the application, each
/// answer a status word of ISO/IEC 7816-4 (`9000`, `6A80`, `6A84`, `6A89`).
pub fn create_file_fcp(data: &[u8]) {
    use permitkit_iso7816::fcp::Fcp;
    use permitkit_simulator::{Card, CardConfig};
    if let Ok(fcp) = Fcp::parse(data) {
        let again = fcp.encode().ok().and_then(|b| Fcp::parse(&b).ok());
        assert_eq!(again, Some(fcp), "FCP round trip");
    }
    let mut card = Card::new(CardConfig {
        max_ef_size: 4096,
        max_files: 4,
        dialect: permitkit_model::dialect::Dialect::Iso7816_9,
        ..CardConfig::default()
    });
    let select_app = apdu::CommandApdu::new(0x00, 0xA4, 0x04, 0x0C)
        .with_data(lds::EMRTD_AID.to_vec())
        .ok();
    for select in [None, select_app] {
        if let Some(s) = &select {
            let _ = card.process_command(s);
        }
        if let Ok(cmd) = apdu::CommandApdu::new(0x00, 0xE0, 0x00, 0x00).with_data(data.to_vec()) {
            let sw = card.process_command(&cmd).sw().0;
            assert!(
                matches!(sw, 0x9000 | 0x6A80 | 0x6A84 | 0x6A89 | 0x6700),
                "CREATE FILE answered {sw:04X}"
            );
        }
    }
}

/// A bureau application package as the intake reads it once the envelope is open: the JSON,
/// then the station's checks (format, applicant file, portrait and fingers decoded and scored).
/// A package that parses must serialize and parse back to the same JSON.
pub fn bureau_package(data: &[u8]) {
    use permitkit_bureau::{checks, package::Package};
    use std::sync::OnceLock;
    static REGISTRY: OnceLock<Option<permitkit_model::profiles::Registry>> = OnceLock::new();
    if data.len() > permitkit_bureau::package::MAX_PACKAGE_BYTES {
        return;
    }
    let Ok(package) = serde_json::from_slice::<Package>(data) else {
        return;
    };
    let again = serde_json::to_vec(&package).map(|json| serde_json::from_slice::<Package>(&json));
    assert!(
        matches!(again, Ok(Ok(_))),
        "a parsed package does not serialize and parse back"
    );
    let Some(registry) = REGISTRY
        .get_or_init(|| permitkit_model::profiles::Registry::builtin().ok())
        .as_ref()
    else {
        return;
    };
    let _ = checks::applicant(&package, registry);
    let _ = checks::check(
        &package,
        registry,
        &permitkit_station::applicant::IssuedNumbers::new(),
    );
}

/// A bureau request's authentication as the server reads it: the first line is the signature
/// header (hex of DER), the second the time header, the third the nonce, the rest the body;
/// verified against a fixed P-256 key.
pub fn bureau_request(data: &[u8]) {
    use permitkit_bureau::auth::{self, RequestHead};
    let mut parts = data.splitn(4, |b| *b == b'\n');
    let (Some(signature), Some(time), Some(nonce)) = (parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let body = parts.next().unwrap_or_default();
    let (Ok(signature), Ok(time), Ok(nonce)) = (
        std::str::from_utf8(signature),
        std::str::from_utf8(time),
        std::str::from_utf8(nonce),
    ) else {
        return;
    };
    let Ok(time) = time.parse::<i64>() else {
        return;
    };
    let _ = auth::nonce_is_well_formed(nonce);
    let _ = auth::check_time(time, 0);
    // A fixed public key (the P-256 base point) as a SubjectPublicKeyInfo.
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&P256_GENERATOR);
    let Ok(key) = key else {
        return;
    };
    let Ok(spki) = p256::pkcs8::EncodePublicKey::to_public_key_der(&key) else {
        return;
    };
    let head = RequestHead {
        method: "POST",
        path: "/v1/packages",
        time,
        nonce,
    };
    let _ = auth::verify(spki.as_bytes(), &head, body, signature);
}

/// SEC 2 §2.4.2: the uncompressed base point G of secp256r1.
const P256_GENERATOR: [u8; 65] = [
    0x04, 0x6B, 0x17, 0xD1, 0xF2, 0xE1, 0x2C, 0x42, 0x47, 0xF8, 0xBC, 0xE6, 0xE5, 0x63, 0xA4, 0x40,
    0xF2, 0x77, 0x03, 0x7D, 0x81, 0x2D, 0xEB, 0x33, 0xA0, 0xF4, 0xA1, 0x39, 0x45, 0xD8, 0x98, 0xC2,
    0x96, 0x4F, 0xE3, 0x42, 0xE2, 0xFE, 0x1A, 0x7F, 0x9B, 0x8E, 0xE7, 0xEB, 0x4A, 0x7C, 0x0F, 0x9E,
    0x16, 0x2B, 0xCE, 0x33, 0x57, 0x6B, 0x31, 0x5E, 0xCE, 0xCB, 0xB6, 0x40, 0x68, 0x37, 0xBF, 0x51,
    0xF5,
];
