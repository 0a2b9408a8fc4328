//! PEM (RFC 7468) files with explanatory text: our key and certificate files start with lines
//! saying TEST ONLY before the encapsulation boundary, which RFC 7468 §5.2 allows and OpenSSL
//! skips; this module writes such files and finds the block when reading.

use der::pem::{self, LineEnding};

use super::PkiError;

/// The `label` block of `text` as DER, ignoring explanatory text around it.
pub(crate) fn decode(text: &str, label: &'static str, path: &str) -> Result<Vec<u8>, PkiError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin).ok_or_else(|| PkiError::NoPem {
        path: path.to_owned(),
        label,
    })?;
    let stop = text
        .get(start..)
        .and_then(|t| t.find(&end))
        .map(|i| start + i + end.len())
        .ok_or_else(|| PkiError::NoPem {
            path: path.to_owned(),
            label,
        })?;
    let block = text.get(start..stop).unwrap_or_default();
    let (found, der) =
        pem::decode_vec(block.as_bytes()).map_err(|e| PkiError::decode(path.to_owned(), e))?;
    if found != label {
        return Err(PkiError::NoPem {
            path: path.to_owned(),
            label,
        });
    }
    Ok(der)
}

/// `preamble` lines, then the PEM block.
pub(crate) fn encode(
    label: &'static str,
    der: &[u8],
    preamble: &[String],
) -> Result<String, PkiError> {
    let block =
        pem::encode_string(label, LineEnding::LF, der).map_err(|e| PkiError::encode(label, e))?;
    let mut out = String::new();
    for line in preamble {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&block);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_explanatory_text() {
        let text = encode("CERTIFICATE", &[0x30, 0x00], &["TEST ONLY".into()]).unwrap();
        assert!(text.starts_with("TEST ONLY\n-----BEGIN CERTIFICATE-----\n"));
        assert_eq!(
            decode(&text, "CERTIFICATE", "x.pem").unwrap(),
            vec![0x30, 0x00]
        );
        assert!(matches!(
            decode(&text, "PRIVATE KEY", "x.pem"),
            Err(PkiError::NoPem { .. })
        ));
    }
}
