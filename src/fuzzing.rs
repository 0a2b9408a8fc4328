//! Entry points shared by the cargo-fuzz targets in `fuzz/` and the corpus replay test.
//!
//! Each function feeds arbitrary bytes to one parser (or state machine) and must return without
//! panicking, whatever the input. `fuzz/fuzz_targets/<name>.rs` is a one-line wrapper around the
//! function registered under `<name>` in [`TARGETS`], and `tests/fuzz_corpus.rs` replays every
//! file under `testdata/fuzz-corpus/<name>/` through the same function, so the corpus protects
//! ordinary `cargo test` runs too.

use crate::{apdu, biometrics::wsq, tlv};

/// A fuzz entry point: must return without panicking for any input.
pub type Entry = fn(&[u8]);

/// Every fuzz target: its name (the file stem under `fuzz/fuzz_targets/` and the corpus folder
/// under `testdata/fuzz-corpus/`) and its entry function.
pub const TARGETS: &[(&str, Entry)] = &[("tlv", tlv), ("apdu", apdu), ("wsq_decode", wsq_decode)];

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
