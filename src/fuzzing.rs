//! Entry points shared by the cargo-fuzz targets in `fuzz/` and the corpus replay test.
//!
//! Each function feeds arbitrary bytes to one parser (or state machine) and must return without
//! panicking, whatever the input. `fuzz/fuzz_targets/<name>.rs` is a one-line wrapper around the
//! function registered under `<name>` in [`TARGETS`], and `tests/fuzz_corpus.rs` replays every
//! file under `testdata/fuzz-corpus/<name>/` through the same function, so the corpus protects
//! ordinary `cargo test` runs too.

use crate::{apdu, tlv};

/// A fuzz entry point: must return without panicking for any input.
pub type Entry = fn(&[u8]);

/// Every fuzz target: its name (the file stem under `fuzz/fuzz_targets/` and the corpus folder
/// under `testdata/fuzz-corpus/`) and its entry function.
pub const TARGETS: &[(&str, Entry)] = &[("tlv", tlv), ("apdu", apdu), ("face_image", face_image)];

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

/// Portrait images: decode under small limits, then run the whole quality assessment and, when
/// it passes, the crop and JPEG budget search. Nothing may panic whatever the pixels are.
pub fn face_image(data: &[u8]) {
    use crate::quality::face::{FaceAssessor, ImageLimits, PortraitRequest, decode};
    let limits = ImageLimits {
        max_side: 512,
        max_alloc: 16 << 20,
    };
    let Ok(image) = decode(data, limits) else {
        return;
    };
    let Ok(profile) = crate::profiles::quality::QualityProfile::builtin_default() else {
        return;
    };
    let Ok(mut gate) = FaceAssessor::new(profile) else {
        return;
    };
    let report = gate.assess(&image).report;
    assert!(!report.checks.is_empty(), "every assessment reports");
    let _ = gate.prepare(&image, &PortraitRequest::default());
}
