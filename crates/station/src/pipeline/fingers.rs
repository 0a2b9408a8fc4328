//! Fingerprints for the enrollment: the document profile's finger rule turned into a selection
//! rule (each required finger with the substitutes of the same hand, best of N, the enrolment
//! threshold), the captures, and WSQ compression for DG3.

use serde::Serialize;

use crate::applicant::FingerCapture;
use crate::finger_selection::{SelectedFinger, SelectionRule, Slot};
use permitkit_biometrics::{FingerPosition, wsq};
use permitkit_model::profiles::DocumentProfile;

/// The selection rule a document profile asks for.
pub fn rule_for(profile: &DocumentProfile) -> SelectionRule {
    let f = &profile.fingers;
    let side = |p: FingerPosition| p.name().split('-').next().unwrap_or("").to_owned();
    let slots = f
        .required
        .iter()
        .map(|&wanted| {
            let mut candidates = vec![wanted];
            candidates.extend(
                f.substitutes
                    .iter()
                    .copied()
                    .filter(|s| side(*s) == side(wanted) && !f.required.contains(s)),
            );
            Slot { candidates }
        })
        .collect();
    SelectionRule {
        slots,
        attempts: f.attempts,
        good_enough: f.min_quality.saturating_add(15).clamp(70, 100),
        threshold: f.min_quality,
    }
}

/// What the journal records about one accepted finger.
#[derive(Debug, Clone, Serialize)]
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
    pub skipped: Vec<String>,
    /// WSQ bytes.
    pub wsq_bytes: usize,
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
            skipped: s
                .skipped
                .iter()
                .map(|k| format!("{}: {}", k.finger, k.reason))
                .collect(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use permitkit_model::profiles::Registry;

    #[test]
    fn the_permit_profile_keeps_substitutes_on_the_same_hand() {
        let r = Registry::builtin().unwrap();
        let rule = rule_for(r.document("ua-temporary-residence-permit").unwrap());
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
}
