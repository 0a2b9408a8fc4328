//! The `signature` step: the displayed signature for DG7 (ICAO Doc 9303-10 §4.7.7), captured on
//! the station's signature pad, which ends a signature by its profile's end rule, and prepared
//! to the document profile's size and byte budget. The pen strokes never leave the station:
//! only their counts are recorded, and the prepared JPEG is kept in the journal, encrypted.

use serde::{Deserialize, Serialize};

use super::{EnrolError, Run, StepError, StepOutput};
use crate::applicant::Applicant;
use crate::step::Step;
use permitkit_biometrics::signature;
use permitkit_model::profiles::station::SlotKind;

/// The name of the encrypted signature JPEG in the journal.
const SIGNATURE_BLOB: &str = "signature.jpg";

/// The result of the `signature` step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case", deny_unknown_fields)]
#[non_exhaustive]
pub enum SignatureRecord {
    /// A signature was captured and prepared for DG7.
    Captured {
        /// Pen strokes (0 for a scanned image).
        strokes: usize,
        /// Pen samples.
        points: usize,
        /// Width of the DG7 image, pixels.
        width: u32,
        /// Height of the DG7 image, pixels.
        height: u32,
        /// JPEG size, bytes.
        jpeg_bytes: usize,
        /// JPEG quality that met the budget.
        jpeg_quality: u8,
    },
    /// The document carries no DG7.
    NotOnDocument,
}

impl StepOutput for SignatureRecord {
    const STEP: Step = Step::Signature;

    fn summary(&self) -> String {
        match self {
            SignatureRecord::NotOnDocument => "not on this document".into(),
            SignatureRecord::Captured {
                strokes,
                width,
                height,
                jpeg_bytes,
                ..
            } => format!("{strokes} strokes, {width}x{height} JPEG {jpeg_bytes} bytes"),
        }
    }
}

/// Runs (or restores) the step and returns its record with the DG7 JPEG, if any.
pub(super) fn run(
    run: &mut Run<'_>,
    applicant: &Applicant,
) -> Result<(SignatureRecord, Option<Vec<u8>>), EnrolError> {
    let record = run.step(|run| {
        if !applicant.document_profile.data_groups.contains(&7) {
            return Ok(SignatureRecord::NotOnDocument);
        }
        capture(run, applicant)
    })?;
    let jpeg = match record {
        SignatureRecord::NotOnDocument => None,
        SignatureRecord::Captured { .. } => {
            Some(run.blob(Step::Signature, SIGNATURE_BLOB)?.expose().to_vec())
        }
    };
    Ok((record, jpeg))
}

fn capture(run: &mut Run<'_>, applicant: &Applicant) -> Result<SignatureRecord, StepError> {
    let station = &mut *run.station;
    let slot = &station.devices.signature_pad;
    let mut pad = station
        .factory
        .signature_pad(slot)
        .map_err(|source| StepError::OpenDevice {
            device: SlotKind::SignaturePad,
            selector: slot.selector.to_string(),
            source,
        })?;
    let capture = pad
        .capture(slot.timeout)
        .map_err(StepError::SignatureCapture)?;
    let s = &applicant.document_profile.signature;
    let prepared = signature::prepare(&capture.to_image(), s.width, s.height, s.max_bytes)
        .map_err(StepError::SignatureImage)?;
    station
        .journal
        .put_blob(&run.id, SIGNATURE_BLOB, &prepared.jpeg)
        .map_err(StepError::Journal)?;
    Ok(SignatureRecord::Captured {
        strokes: capture.strokes.len(),
        points: capture.point_count(),
        width: prepared.image.width(),
        height: prepared.image.height(),
        jpeg_bytes: prepared.jpeg.len(),
        jpeg_quality: prepared.quality,
    })
}
