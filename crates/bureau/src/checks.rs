//! The checks a package passes before the bureau signs anything — the station's own checks,
//! called from `permitkit-station` and `permitkit-quality`, not rewritten here:
//! - the applicant file through `Applicant::parse_for` (ICAO 9303-3 MRZ rules, dates, the
//!   document profile's limits and terms, and a document number already issued refused unless
//!   the application declares the card its replacement);
//! - each finger decoded (WSQ, bounded by the codec's limits), scored again by the station's
//!   quality measure and held to the station's enrolment threshold (`pipeline::rule_for`), on a
//!   finger the document profile asks for;
//! - the portrait decoded within the image limits and of the size the package declares; the
//!   portrait budget, fingerprint consent and signature rules then run in
//!   `applicant::enrolment` when the ChipImage is built.

use permitkit_biometrics::wsq;
use permitkit_lds::mrz::Date;
use permitkit_model::Verdict;
use permitkit_model::profiles::Registry;
use permitkit_quality::{face, finger};
use permitkit_station::applicant::{Applicant, Captures, Issuance, IssuedNumbers};
use permitkit_station::pipeline::rule_for;

use crate::package::{FORMAT, Package};
use crate::refusal::Refusal;

/// A package that passed every check.
pub struct Checked {
    /// The validated application.
    pub applicant: Applicant,
    /// Its captures.
    pub captures: Captures,
}

/// Checks the applicant file alone (no register of issued numbers): enough to learn the
/// application number and the document number before the database is asked.
pub fn applicant(package: &Package, registry: &Registry) -> Result<Applicant, Refusal> {
    if package.format != FORMAT {
        return Err(Refusal::Format(format!(
            "package format {} (this bureau reads {FORMAT})",
            package.format
        )));
    }
    Applicant::parse_for("package", &package.applicant, registry, &Issuance::today())
        .map_err(Refusal::Applicant)
}

/// Every check, with `issued` the document numbers the bureau already holds.
pub fn check(
    package: &Package,
    registry: &Registry,
    issued: &IssuedNumbers,
) -> Result<Checked, Refusal> {
    let issuance = Issuance {
        today: Date::from_system_time(std::time::SystemTime::now()).unwrap_or(Date::UNIX_EPOCH),
        issued: Some(issued),
    };
    let applicant = Applicant::parse_for("package", &package.applicant, registry, &issuance)
        .map_err(Refusal::Applicant)?;
    let captures = package.captures().map_err(Refusal::Format)?;
    portrait(&captures)?;
    fingers(&applicant, &captures)?;
    Ok(Checked {
        applicant,
        captures,
    })
}

fn capture(part: &str, reason: impl Into<String>) -> Refusal {
    Refusal::Capture {
        part: part.to_owned(),
        reason: reason.into(),
    }
}

fn portrait(captures: &Captures) -> Result<(), Refusal> {
    let p = &captures.portrait;
    let image = face::decode(&p.jpeg, face::ImageLimits::default())
        .map_err(|e| capture("portrait", e.to_string()))?;
    if (image.width(), image.height()) != (u32::from(p.width), u32::from(p.height)) {
        return Err(capture(
            "portrait",
            format!(
                "is {}x{}, the package says {}x{}",
                image.width(),
                image.height(),
                p.width,
                p.height
            ),
        ));
    }
    Ok(())
}

fn fingers(applicant: &Applicant, captures: &Captures) -> Result<(), Refusal> {
    let profile = &applicant.document_profile;
    let rule = rule_for(profile, None);
    for f in &captures.fingers {
        let part = format!("fingers.{}", f.position);
        if !profile.fingers.required.contains(&f.position)
            && !profile.fingers.substitutes.contains(&f.position)
        {
            return Err(capture(
                &part,
                "is not a finger the document profile asks for",
            ));
        }
        let image = wsq::decode(&f.wsq).map_err(|e| capture(&part, e.to_string()))?;
        let gray = image.into_gray_image();
        if (gray.width(), gray.height()) != (u32::from(f.width), u32::from(f.height)) {
            return Err(capture(&part, "size differs from the package's"));
        }
        let quality = finger::assess(&gray, 500).map_err(|e| capture(&part, e.to_string()))?;
        if quality.verdict(rule.threshold) == Verdict::Fail {
            return Err(capture(
                &part,
                format!(
                    "quality {} is below the enrolment threshold {}",
                    quality.score, rule.threshold
                ),
            ));
        }
    }
    Ok(())
}
