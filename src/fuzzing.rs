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
pub const TARGETS: &[(&str, Entry)] = &[("tlv", tlv), ("apdu", apdu), ("mrz", mrz)];

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

/// MRZ text, names and dates: whatever parses must re-parse from its DG1 form to the same MRZ,
/// and every name that transliterates must render to a full-width field of MRZ characters.
///
/// The input is read as (lossy) UTF-8; for names, a first line break splits the primary from the
/// secondary identifier.
pub fn mrz(data: &[u8]) {
    use crate::lds::mrz::{Mrz, MrzFormat, MrzName, PartialDate, Script};
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
