//! The NIST_COM comment: image attributes as `NAME value` lines inside a COM segment.
//!
//! ANSI/NIST-ITL and NIST NBIS (`nistcom.c`) convention: the first line is `NIST_COM n` where
//! `n` counts the attribute lines including itself; WSQ encoders add PIX_WIDTH, PIX_HEIGHT,
//! PIX_DEPTH, PPI, LOSSY, COLORSPACE, COMPRESSION and WSQ_BITRATE. NBIS 5.0 writes them in
//! that order, separated by `\n`, without a trailing newline.

/// The header that marks a NIST_COM comment.
pub(crate) const HEADER: &str = "NIST_COM";

/// The NIST_COM text an encoder writes for an 8-bit grey image.
pub(crate) fn for_wsq(width: u32, height: u32, ppi: u16, bitrate: f32) -> String {
    let attributes = [
        ("PIX_WIDTH", width.to_string()),
        ("PIX_HEIGHT", height.to_string()),
        ("PIX_DEPTH", "8".to_string()),
        ("PPI", ppi.to_string()),
        ("LOSSY", "1".to_string()),
        ("COLORSPACE", "GRAY".to_string()),
        ("COMPRESSION", "WSQ".to_string()),
        ("WSQ_BITRATE", format!("{bitrate:.6}")),
    ];
    let mut text = format!("{HEADER} {}", attributes.len() + 1);
    for (name, value) in attributes {
        text.push('\n');
        text.push_str(name);
        text.push(' ');
        text.push_str(&value);
    }
    text
}

/// The attributes of a comment if it is a NIST_COM (`None` otherwise).
pub(crate) fn parse(comment: &[u8]) -> Option<Vec<(String, String)>> {
    let text = String::from_utf8_lossy(comment);
    let mut lines = text.split(['\n', '\r']).filter(|l| !l.trim().is_empty());
    let first = lines.next()?;
    if first.split_whitespace().next() != Some(HEADER) {
        return None;
    }
    Some(
        lines
            .filter_map(|line| {
                let line = line.trim_matches(char::from(0)).trim();
                let (name, value) = line.split_once(char::is_whitespace)?;
                Some((name.to_string(), value.trim().to_string()))
            })
            .collect(),
    )
}

/// The PPI attribute, when positive and representable.
pub(crate) fn ppi(attributes: &[(String, String)]) -> Option<u16> {
    attributes
        .iter()
        .find(|(name, _)| name == "PPI")
        .and_then(|(_, value)| value.parse::<u16>().ok())
        .filter(|&ppi| ppi > 0)
}

/// The WSQ_BITRATE attribute.
pub(crate) fn bitrate(attributes: &[(String, String)]) -> Option<f32> {
    attributes
        .iter()
        .find(|(name, _)| name == "WSQ_BITRATE")
        .and_then(|(_, value)| value.parse::<f32>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_reference_layout() {
        // Byte-for-byte the comment NBIS 5.0 writes for a 320x300 image at 0.75 bpp.
        assert_eq!(
            for_wsq(320, 300, 500, 0.75),
            "NIST_COM 9\nPIX_WIDTH 320\nPIX_HEIGHT 300\nPIX_DEPTH 8\nPPI 500\nLOSSY 1\n\
             COLORSPACE GRAY\nCOMPRESSION WSQ\nWSQ_BITRATE 0.750000"
        );
    }

    #[test]
    fn reads_attributes_and_ignores_other_comments() {
        let attributes = parse(for_wsq(10, 20, 1000, 2.25).as_bytes()).unwrap();
        assert_eq!(ppi(&attributes), Some(1000));
        assert_eq!(bitrate(&attributes), Some(2.25));
        assert_eq!(parse(b"scanned at station 4"), None);
        let unknown = parse(b"NIST_COM 2\nPPI -1").unwrap();
        assert_eq!(ppi(&unknown), None);
    }
}
