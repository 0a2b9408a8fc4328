//! MRZ check digits (ICAO Doc 9303-3 §4.9).
//!
//! Weights 7, 3, 1 repeating from the left; character values `0`–`9` → 0–9, `A`–`Z` → 10–35,
//! filler `<` → 0; the check digit is the weighted sum modulo 10.

use super::MrzError;

/// The weights, repeated from the first character.
const WEIGHTS: [u8; 3] = [7, 3, 1];

/// The check digit (0–9) of `field`, a string of MRZ characters (`A`–`Z`, `0`–`9`, `<`).
///
/// ```
/// use permitkit_lds::mrz::check_digit;
/// // ICAO Doc 9303-3 Appendix A: document number L898902C3 → 6.
/// assert_eq!(check_digit("L898902C3").unwrap(), 6);
/// ```
pub fn check_digit(field: &str) -> Result<u8, MrzError> {
    let mut sum = 0u8;
    for ((i, c), w) in field.chars().enumerate().zip(WEIGHTS.iter().cycle()) {
        let v = value(c).ok_or(MrzError::NotMrzCharacter {
            position: i + 1,
            found: c,
        })?;
        // v ≤ 35 and w ≤ 7: the sum stays below 255 when reduced at every step.
        sum = (sum + v * w) % 10;
    }
    Ok(sum)
}

/// The check digit of bytes already known to be MRZ characters; other bytes count as 0 (callers
/// validate the alphabet first).
pub(crate) fn of_bytes<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> u8 {
    let mut sum = 0u8;
    let bytes = parts.into_iter().flat_map(|p| p.iter().copied());
    for (b, w) in bytes.zip(WEIGHTS.iter().cycle()) {
        sum = (sum + value(char::from(b)).unwrap_or(0) * w) % 10;
    }
    sum
}

/// The ASCII digit of a check-digit value.
pub(crate) fn to_char(digit: u8) -> char {
    char::from(b'0' + digit % 10)
}

/// The value of one MRZ character, `None` outside the MRZ alphabet.
pub(crate) fn value(c: char) -> Option<u8> {
    let b = u8::try_from(c).ok()?;
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'Z' => Some(b - b'A' + 10),
        b'<' => Some(0),
        _ => None,
    }
}

/// True for the MRZ alphabet: `A`–`Z`, `0`–`9` and the filler `<` (9303-3 §4.3, Figure 4).
pub(crate) fn is_mrz_char(c: char) -> bool {
    value(c).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Worked examples: ICAO Doc 9303-3 Appendix A and docs/spec/lds.md §4 (recomputed there).
    #[test]
    fn check_digits_match_9303_worked_examples() {
        assert_eq!(check_digit("L898902C3").unwrap(), 6);
        assert_eq!(check_digit("740812").unwrap(), 2);
        assert_eq!(check_digit("120415").unwrap(), 9);
        assert_eq!(check_digit("ZE184226B<<<<<").unwrap(), 1);
        assert_eq!(check_digit("D23145890734").unwrap(), 9);
        assert_eq!(check_digit("D23145890").unwrap(), 7);
        assert_eq!(check_digit("L898902C<").unwrap(), 3);
        assert_eq!(check_digit("690806").unwrap(), 1);
        assert_eq!(check_digit("940623").unwrap(), 6);
    }

    #[test]
    fn composite_check_digits_match_9303_specimens() {
        // TD3 specimen (9303-4 Appendix): L2[1–10] + [14–20] + [22–43].
        assert_eq!(
            check_digit("L898902C3674081221204159ZE184226B<<<<<1").unwrap(),
            0
        );
        // TD1 specimen (9303-5 Appendix): L1[6–30] + L2[1–7] + L2[9–15] + L2[19–29].
        let td1 = "D231458907<<<<<<<<<<<<<<<".to_owned() + "7408122" + "1204159" + "<<<<<<<<<<<";
        assert_eq!(check_digit(&td1).unwrap(), 6);
    }

    #[test]
    fn partial_dates_count_fillers_as_zero() {
        // docs/spec/mrz-names.md §6 (verified there).
        assert_eq!(check_digit("7408<<").unwrap(), 7);
        assert_eq!(check_digit("74<<<<").unwrap(), 1);
        assert_eq!(check_digit("<<<<<<").unwrap(), 0);
    }

    #[test]
    fn empty_field_has_check_digit_zero() {
        assert_eq!(check_digit("").unwrap(), 0);
    }

    #[test]
    fn characters_outside_the_alphabet_are_refused_with_their_position() {
        assert_eq!(
            check_digit("L8989o2C3"),
            Err(MrzError::NotMrzCharacter {
                position: 6,
                found: 'o'
            })
        );
        assert!(check_digit("AB CD").is_err());
    }

    #[test]
    fn byte_and_string_forms_agree() {
        for s in ["L898902C3", "ZE184226B<<<<<", "D23145890734", ""] {
            assert_eq!(of_bytes([s.as_bytes()]), check_digit(s).unwrap());
        }
        assert_eq!(
            of_bytes(["L898902C".as_bytes(), b"3"]),
            check_digit("L898902C3").unwrap()
        );
    }
}
