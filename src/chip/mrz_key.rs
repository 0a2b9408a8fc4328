//! The MRZ information that BAC and PACE-MRZ keys come from (ICAO Doc 9303-11 §4.3.2:
//! document number, date of birth and date of expiry, each followed by its check digit), taken
//! from a printed MRZ (ICAO 9303-5 TD1 3×30, 9303-4 TD3 2×44).
//!
//! A small self-contained reader for the three fields only, so the chip layer does not depend
//! on the full MRZ parser. TD1 long document numbers (more than 9 characters) continue in the
//! optional data field after a `<` in the check-digit position (9303-5 §4.2.4 note j).

use crate::chip::ChipError;
use crate::chip::perso::check_digit;
use crate::secret::SecretBytes;

fn bad(reason: impl Into<String>) -> ChipError {
    ChipError::CardMismatch(format!("MRZ: {}", reason.into()))
}

/// The MRZ information from a printed MRZ given as lines joined or separated by newlines.
/// Check digits are verified.
pub fn mrz_information(mrz: &str) -> Result<SecretBytes, ChipError> {
    let text: String = mrz.chars().filter(|c| !c.is_whitespace()).collect();
    if !text
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'<')
    {
        return Err(bad("only A-Z, 0-9 and < are allowed"));
    }
    let t = text.as_bytes();
    let field = |a: usize, b: usize| t.get(a..b).ok_or_else(|| bad("too short"));
    let (doc, doc_cd, dob, dob_cd, doe, doe_cd) = match t.len() {
        90 => {
            let mut doc = field(5, 14)?.to_vec();
            let mut cd = *t.get(14).ok_or_else(|| bad("too short"))?;
            if cd == b'<' {
                // Long document number: the rest sits in the optional data, CD last.
                let opt = field(15, 30)?;
                let end = opt.iter().position(|&b| b == b'<').unwrap_or(opt.len());
                let (rest, last) = opt
                    .get(..end)
                    .and_then(|r| r.split_last())
                    .map(|(l, r)| (r.to_vec(), *l))
                    .ok_or_else(|| bad("long document number without check digit"))?;
                doc.extend_from_slice(&rest);
                cd = last;
            }
            let l2 = 30;
            (
                doc,
                cd,
                field(l2, l2 + 6)?.to_vec(),
                *t.get(l2 + 6).ok_or_else(|| bad("too short"))?,
                field(l2 + 8, l2 + 14)?.to_vec(),
                *t.get(l2 + 14).ok_or_else(|| bad("too short"))?,
            )
        }
        88 => {
            let l2 = 44;
            (
                field(l2, l2 + 9)?.to_vec(),
                *t.get(l2 + 9).ok_or_else(|| bad("too short"))?,
                field(l2 + 13, l2 + 19)?.to_vec(),
                *t.get(l2 + 19).ok_or_else(|| bad("too short"))?,
                field(l2 + 21, l2 + 27)?.to_vec(),
                *t.get(l2 + 27).ok_or_else(|| bad("too short"))?,
            )
        }
        n => {
            return Err(bad(format!(
                "{n} characters; a TD1 MRZ has 90 (3×30), a TD3 MRZ 88 (2×44)"
            )));
        }
    };
    let mut info = Vec::with_capacity(doc.len() + 15);
    for (f, cd, name) in [
        (&doc, doc_cd, "document number"),
        (&dob, dob_cd, "date of birth"),
        (&doe, doe_cd, "date of expiry"),
    ] {
        if check_digit(f) != cd {
            return Err(bad(format!("{name} check digit does not match")));
        }
        info.extend_from_slice(f);
        info.push(cd);
    }
    Ok(SecretBytes::new(info))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn td1_and_td3_give_the_9303_11_mrz_information() {
        // ICAO 9303-5 Appendix A TD1 specimen (document L898902C, 690806, 940623).
        let td1 = "I<UTOL898902C<3<<<<<<<<<<<<<<<\n6908061F9406236UTO<<<<<<<<<<<1\nERIKSSON<<ANNA<MARIA<<<<<<<<<<";
        assert_eq!(
            mrz_information(td1).unwrap().expose(),
            b"L898902C<369080619406236"
        );
        // ICAO 9303-4 TD3 specimen.
        let td3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10";
        assert_eq!(
            mrz_information(td3).unwrap().expose(),
            b"L898902C3674081221204159"
        );
        assert!(mrz_information(&td1.replace("9406236", "9406237")).is_err());
        assert!(mrz_information("short").is_err());
    }

    #[test]
    fn td1_long_document_number() {
        // 9303-5 §4.2.4 note j example: D23145890734 with check digit 9.
        let l1 = "I<UTOD23145890<7349<<<<<<<<<<<";
        let l2 = "3407127M9507122UTO<<<<<<<<<<<2";
        let l3 = "STEVENSON<<PETER<JOHN<<<<<<<<<";
        let info = mrz_information(&format!("{l1}{l2}{l3}")).unwrap();
        assert_eq!(info.expose(), b"D23145890734934071279507122");
    }
}
