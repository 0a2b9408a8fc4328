//! The applicant file: one application for a residence permit, as the front office records it
//! (TOML), validated into typed data the chip builder can trust.
//!
//! Every problem is reported with the field it concerns and why, in words an operator can act
//! on: `holder.date_of_birth: day 31 does not exist in February`. The checks combine ICAO Doc
//! 9303 rules (MRZ characters, name transliteration and truncation, dates, codes) with the
//! document profile's national rules (validity terms, fingerprint consent).
//!
//! ```toml
//! application = "TRP-2026-004211"
//! document_profile = "ua-temporary-residence-permit"
//!
//! [document]
//! number = "FT1234567"
//! date_of_issue = "2026-11-20"         # optional: today; not in the future
//! date_of_expiry = "2027-11-19"        # optional: the profile's default term
//! replaces = "FT1234567"               # optional: a new card under a number issued before
//! issuing_authority = "ДМС 8041"
//!
//! [holder]
//! surname = "DOE"                      # as the MRZ should spell it, or in national script
//! given_names = "JOHN MICHAEL"
//! name_script = "latin"                # latin, ukrainian, ukrainian-kmu55, russian, …
//! national_surname = "ДОУ"             # DG11, UTF-8
//! national_given_names = "ДЖОН МАЙКЛ"
//! nationality = "USA"                  # ICAO code; XXA for a stateless person
//! sex = "M"                            # M, F or X
//! date_of_birth = "1988-03-14"         # or "1988-03" / "1988" when unknown
//! personal_number = "19880314-01234"   # optional
//! place_of_birth = ["CHICAGO", "USA"]
//! address = ["вул. Хрещатик, 1, кв. 5", "м. Київ", "01001"]
//!
//! [consent]
//! fingerprints_on_chip = true          # the holder's written request
//! reference = "statement 123 of 2026-11-20"
//! ```

mod enrolment;
mod file;
mod issued;
mod validate;

pub use enrolment::{Captures, ChipSecrets, FingerCapture, Portrait, ca_key_request, enrolment};
pub use file::ApplicantFile;
pub use issued::IssuedNumbers;
pub use validate::{Applicant, ApplicantError, Issuance};
