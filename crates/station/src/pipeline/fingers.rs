//! The `fingers` step: the fingers for DG3 (ICAO Doc 9303-10 §4.7.3; ISO/IEC 19794-4 finger
//! images, WSQ-compressed). The document profile's finger rule and the scanner profile's
//! quality policy become a selection rule (each required finger with the substitutes of the same
//! hand, best of N, the enrolment threshold); the scanner profile's resolution is what the
//! captures are recorded at. Only with the holder's written consent where the document
//! requires it.

use serde::{Deserialize, Serialize};

use super::{EnrolError, Event, RestoreError, Run, StepError, StepOutput};
use crate::applicant::{Applicant, FingerCapture};
use crate::finger_selection::{
    self, MissingFinger, Progress, SelectedFinger, SelectionRule, Skipped, Slot,
};
use crate::step::Step;
use permitkit_biometrics::{FingerPosition, wsq};
use permitkit_model::profiles::station::SlotKind;
use permitkit_model::profiles::{DocumentProfile, scanner::ScannerProfile};

/// The selection rule for `document` on a scanner described by `scanner`.
///
/// The document profile names the fingers, their substitutes and its quality floor; the
/// scanner profile's policy, when the station names one, sets the attempts per finger (a small
/// sensor needs more) and may raise the threshold, never lower it below the document's floor.
pub fn rule_for(document: &DocumentProfile, scanner: Option<&ScannerProfile>) -> SelectionRule {
    let f = &document.fingers;
    let slots = f
        .required
        .iter()
        .map(|&wanted| {
            let mut candidates = vec![wanted];
            candidates.extend(
                f.substitutes
                    .iter()
                    .copied()
                    .filter(|s| s.hand() == wanted.hand() && !f.required.contains(s)),
            );
            Slot { candidates }
        })
        .collect();
    let (attempts, threshold) = match scanner {
        Some(s) => (
            s.quality.attempts,
            f.min_quality.max(s.quality.enrolment_threshold),
        ),
        None => (f.attempts, f.min_quality),
    };
    SelectionRule {
        slots,
        attempts,
        good_enough: threshold.saturating_add(15).clamp(70, 100),
        threshold,
    }
}

/// What the journal records about one accepted finger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FingerRecord {
    /// The finger wanted for the slot.
    pub wanted: FingerPosition,
    /// The finger captured (a substitute when it differs).
    pub captured: FingerPosition,
    /// Quality score 0–100.
    pub quality: u8,
    /// Captures tried for it.
    pub attempts: u8,
    /// Fingers passed over before it, with the reason.
    pub skipped: Vec<Skipped>,
    /// Resolution the image was recorded at, pixels per inch.
    pub ppi: u16,
    /// WSQ bytes.
    pub wsq_bytes: usize,
}

/// Why no fingers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum NoFingers {
    /// The document carries DG3, but the holder gave no written consent.
    NoConsent,
    /// The document carries no fingerprints.
    NotOnDocument,
}

impl NoFingers {
    fn message(self) -> &'static str {
        match self {
            NoFingers::NoConsent => "no written consent from the holder: DG3 is not written",
            NoFingers::NotOnDocument => "the document carries no fingerprints",
        }
    }
}

/// The result of the `fingers` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case", deny_unknown_fields)]
#[non_exhaustive]
pub enum FingersRecord {
    /// Fingers were captured; their WSQ images are in the journal, encrypted.
    Captured {
        /// One per slot of the selection rule, in order.
        fingers: Vec<FingerRecord>,
        /// The fingers declared missing before the capture, with cause and approver when
        /// given (absent from records journaled before they were kept, and when none).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        declared: Vec<MissingFinger>,
    },
    /// No fingers are written.
    NotWritten {
        /// Why.
        reason: NoFingers,
    },
}

impl StepOutput for FingersRecord {
    const STEP: Step = Step::Fingers;

    fn summary(&self) -> String {
        match self {
            FingersRecord::NotWritten { reason } => reason.message().to_owned(),
            FingersRecord::Captured { fingers, declared } => {
                let mut line = fingers
                    .iter()
                    .map(|r| {
                        if r.captured == r.wanted {
                            format!("{} {}", r.captured, r.quality)
                        } else {
                            format!("{} {} (instead of {})", r.captured, r.quality, r.wanted)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                if !declared.is_empty() {
                    line.push_str("; declared missing: ");
                    line.push_str(
                        &declared
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; "),
                    );
                }
                line
            }
        }
    }
}

/// The name of the encrypted WSQ image of `finger` in the journal.
fn blob_name(finger: FingerPosition) -> String {
    format!("finger-{finger}.wsq")
}

/// Runs (or restores) the step and returns its record with the fingers for DG3.
pub(super) fn run(
    run: &mut Run<'_>,
    applicant: &Applicant,
    missing: &[MissingFinger],
) -> Result<(FingersRecord, Vec<FingerCapture>), EnrolError> {
    let record = run.step(|run| {
        if !applicant.writes_fingerprints() {
            let reason = if applicant.document_profile.data_groups.contains(&3) {
                NoFingers::NoConsent
            } else {
                NoFingers::NotOnDocument
            };
            return Ok(FingersRecord::NotWritten { reason });
        }
        capture(run, &applicant.document_profile, missing)
    })?;
    let captures = match &record {
        FingersRecord::NotWritten { .. } => Vec::new(),
        FingersRecord::Captured { fingers, .. } => fingers
            .iter()
            .map(|f| restore(run, f))
            .collect::<Result<_, _>>()?,
    };
    Ok((record, captures))
}

fn capture(
    run: &mut Run<'_>,
    document: &DocumentProfile,
    missing: &[MissingFinger],
) -> Result<FingersRecord, StepError> {
    let Run {
        station,
        observer,
        id,
        ..
    } = run;
    let slot = &station.devices.scanner;
    let mut device = station
        .factory
        .scanner(slot)
        .map_err(|source| StepError::OpenDevice {
            device: SlotKind::Scanner,
            selector: slot.selector.to_string(),
            source,
        })?;
    let rule = rule_for(document, slot.profile.as_ref());
    let ppi = slot.profile.as_ref().map(|p| p.ppi);
    observer.event(&Event::FingersPlanned {
        slots: rule.slots.iter().map(|s| s.candidates.clone()).collect(),
        attempts: rule.attempts,
        threshold: rule.threshold,
        missing: missing.to_vec(),
    });
    // The selection reports to the observer between captures; the capture closure announces
    // each finger. Both need the observer: the reports wait in a queue the closure empties.
    let reports = std::cell::RefCell::new(Vec::new());
    let flush = |observer: &mut dyn super::Observer,
                 reports: &std::cell::RefCell<Vec<Progress>>| {
        for p in reports.borrow_mut().drain(..) {
            observer.event(&progress_event(p));
        }
    };
    let selected = finger_selection::select_observed(
        &rule,
        missing,
        |finger| {
            flush(&mut **observer, &reports);
            observer.event(&Event::PresentFinger { finger });
            let mut image = device.capture(finger)?;
            if let Some(ppi) = ppi {
                if image.ppi != ppi {
                    tracing::warn!(
                        "{} reports {} ppi; its profile says {ppi} ppi, which is recorded",
                        image.device.selector,
                        image.ppi
                    );
                }
                image.ppi = ppi;
            }
            Ok(image)
        },
        |p| reports.borrow_mut().push(p),
    );
    flush(&mut **observer, &reports);
    let selected = selected.map_err(StepError::FingerSelection)?;
    let (captures, records) =
        compress(&selected, document.fingers.wsq_bitrate).map_err(StepError::Wsq)?;
    for c in &captures {
        station
            .journal
            .put_blob(id, &blob_name(c.position), &c.wsq)
            .map_err(StepError::Journal)?;
    }
    Ok(FingersRecord::Captured {
        fingers: records,
        declared: missing.to_vec(),
    })
}

/// The event for the operator of a selection's report.
fn progress_event(p: Progress) -> Event {
    match p {
        Progress::Attempt {
            slot,
            finger,
            attempt,
            quality,
            passed,
            problem,
        } => Event::FingerAttempt {
            slot,
            finger,
            attempt,
            quality,
            passed,
            problem,
        },
        Progress::Accepted {
            slot,
            wanted,
            finger,
            quality,
            attempts,
        } => Event::FingerAccepted {
            slot,
            wanted,
            finger,
            quality,
            attempts,
        },
        Progress::Skipped { slot, skipped } => Event::FingerSkipped {
            slot,
            finger: skipped.finger,
            reason: skipped.reason,
        },
    }
}

/// Compresses the accepted captures to WSQ at `bitrate` for DG3.
pub fn compress(
    selected: &[SelectedFinger],
    bitrate: f32,
) -> Result<(Vec<FingerCapture>, Vec<FingerRecord>), wsq::WsqError> {
    let mut captures = Vec::with_capacity(selected.len());
    let mut records = Vec::with_capacity(selected.len());
    for s in selected {
        let (image, report) = (s.capture.sample(), s.capture.report());
        let data = wsq::encode(
            &image.image,
            &wsq::EncodeOptions::default()
                .with_bitrate(bitrate)
                .with_ppi(image.ppi),
        )?;
        let dims = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
        records.push(FingerRecord {
            wanted: s.wanted,
            captured: s.finger(),
            quality: report.score,
            attempts: s.attempts,
            skipped: s.skipped.clone(),
            ppi: image.ppi,
            wsq_bytes: data.len(),
        });
        captures.push(FingerCapture {
            position: s.finger(),
            quality: report.score,
            width: dims(image.image.width()),
            height: dims(image.image.height()),
            wsq: data,
        });
    }
    Ok((captures, records))
}

/// The finger `record` describes, its WSQ image read back from the journal.
fn restore(run: &Run<'_>, record: &FingerRecord) -> Result<FingerCapture, EnrolError> {
    let name = blob_name(record.captured);
    let wsq = run.blob(Step::Fingers, &name)?;
    let fail = |e| run.error(Step::Fingers, StepError::Restore(e));
    let info = wsq::inspect(wsq.expose()).map_err(|source| {
        fail(RestoreError::Wsq {
            name: name.clone(),
            source,
        })
    })?;
    let (Ok(width), Ok(height)) = (u16::try_from(info.width), u16::try_from(info.height)) else {
        return Err(fail(RestoreError::FingerSize {
            name,
            width: info.width,
            height: info.height,
        }));
    };
    Ok(FingerCapture {
        position: record.captured,
        quality: record.quality,
        width,
        height,
        wsq: wsq.expose().to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use permitkit_model::profiles::Registry;

    #[test]
    fn the_permit_profile_keeps_substitutes_on_the_same_hand() {
        let r = Registry::builtin().unwrap();
        let rule = rule_for(r.document("ua-temporary-residence-permit").unwrap(), None);
        use FingerPosition::*;
        assert_eq!(
            rule.slots[0].candidates,
            vec![RightIndex, RightMiddle, RightThumb, RightRing]
        );
        assert_eq!(
            rule.slots[1].candidates,
            vec![LeftIndex, LeftMiddle, LeftThumb, LeftRing]
        );
        assert_eq!((rule.attempts, rule.threshold), (3, 55));
        rule.check().unwrap();
    }

    #[test]
    fn the_scanner_policy_sets_attempts_and_may_only_raise_the_threshold() {
        let r = Registry::builtin().unwrap();
        let document = r.document("ua-temporary-residence-permit").unwrap();
        let mut small = r.scanner("veridicom-5thsense").unwrap().clone();
        let rule = rule_for(document, Some(&small));
        assert_eq!((rule.attempts, rule.threshold), (4, 55));
        small.quality.enrolment_threshold = 80;
        let rule = rule_for(document, Some(&small));
        assert_eq!((rule.threshold, rule.good_enough), (80, 95));
        small.quality.enrolment_threshold = 20;
        assert_eq!(
            rule_for(document, Some(&small)).threshold,
            55,
            "the document's floor holds"
        );
    }

    #[test]
    fn records_round_trip_and_refuse_missing_fields() {
        let record = FingersRecord::Captured {
            fingers: vec![FingerRecord {
                wanted: FingerPosition::RightIndex,
                captured: FingerPosition::RightMiddle,
                quality: 71,
                attempts: 2,
                skipped: vec![Skipped {
                    finger: FingerPosition::RightIndex,
                    reason: finger_selection::SkipReason::DeclaredMissing {
                        cause: Some(finger_selection::MissingCause::Amputated),
                        approved_by: Some("petro".into()),
                    },
                }],
                ppi: 500,
                wsq_bytes: 9000,
            }],
            declared: vec![MissingFinger {
                finger: FingerPosition::RightIndex,
                cause: Some(finger_selection::MissingCause::Amputated),
                approved_by: Some("petro".into()),
            }],
        };
        assert_eq!(
            record.summary(),
            "right-middle 71 (instead of right-index); declared missing: right-index \
             (amputated), approved by petro"
        );
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["outcome"], "captured");
        assert_eq!(
            serde_json::from_value::<FingersRecord>(json.clone()).unwrap(),
            record
        );
        let mut no_quality = json;
        no_quality["fingers"][0]
            .as_object_mut()
            .unwrap()
            .remove("quality");
        assert!(serde_json::from_value::<FingersRecord>(no_quality).is_err());
        // A record journaled before causes and approvers were kept still restores.
        let old = serde_json::json!({
            "outcome": "captured",
            "fingers": [{
                "wanted": "right-index", "captured": "right-middle", "quality": 71,
                "attempts": 2, "ppi": 500, "wsq_bytes": 9000,
                "skipped": [{ "finger": "right-index", "reason": "declared-missing" }]
            }]
        });
        let FingersRecord::Captured { fingers, declared } =
            serde_json::from_value::<FingersRecord>(old).unwrap()
        else {
            panic!("captured")
        };
        assert!(declared.is_empty());
        assert_eq!(
            fingers[0].skipped[0].reason,
            finger_selection::SkipReason::DeclaredMissing {
                cause: None,
                approved_by: None
            }
        );
        // An other cause keeps its words; an unknown field is still refused.
        let other = serde_json::to_value(MissingFinger {
            finger: FingerPosition::LeftIndex,
            cause: Some(finger_selection::MissingCause::Other("burn scar".into())),
            approved_by: Some("petro".into()),
        })
        .unwrap();
        assert_eq!(other["cause"]["other"], "burn scar");
        let mut unknown = other.clone();
        unknown["approver"] = "x".into();
        assert!(serde_json::from_value::<MissingFinger>(unknown).is_err());
        let skipped = FingersRecord::NotWritten {
            reason: NoFingers::NoConsent,
        };
        let json = serde_json::to_value(skipped.clone()).unwrap();
        assert_eq!(
            serde_json::from_value::<FingersRecord>(json).unwrap(),
            skipped
        );
    }
}
