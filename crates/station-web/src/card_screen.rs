//! The review of the card before it is written (the station profile's `[web]
//! review_before_card`): once the ChipImage is signed, the station thread hands the pipeline's
//! [`CardReview`] to the enrolment's [`CardScreen`] as a [`CardSheet`] — what the operator's
//! page shows of it — and waits for the operator's answer (write the card, or stop before it),
//! an [`Awaited`] answer as the photo step's keep or retake is ([`crate::photo_screen`]).
//!
//! The sheet holds what goes on the chip as the operator checks it: the MRZ lines and the DG1
//! fields, DG11 and DG12, the fingers' positions and quality scores (never their images), the
//! signature's JPEG from DG7 (shown like the portrait, which the photo screen already holds),
//! whether Extended Access Control protects DG3, the Document Signer, and every elementary file
//! with its size against the chip's budget. It is personal data: held in memory only while the
//! review waits, dropped once answered, never journaled or logged (`Debug` shows sizes only).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use permitkit_lds::describe::{FingerSummary, describe};
use permitkit_lds::mrz::Mrz;
use permitkit_lds::{Dg1, Ef};
use permitkit_model::secret::SecretBytes;
use permitkit_station::pipeline::card_review::{
    CardDecision, CardReview, FileSize, ImageSize, OverBudget,
};

use crate::awaited::{Awaited, NotAwaited};

/// One field of DG1 as the MRZ holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dg1Field {
    /// Document code.
    DocumentCode,
    /// Issuing State.
    IssuingState,
    /// Document number.
    DocumentNumber,
    /// Primary identifier (surname).
    Surname,
    /// Secondary identifier (given names).
    GivenNames,
    /// Nationality.
    Nationality,
    /// Date of birth, `YYMMDD`.
    DateOfBirth,
    /// Sex.
    Sex,
    /// Date of expiry, `YYMMDD`.
    DateOfExpiry,
    /// Optional data.
    OptionalData,
}

/// What the operator's page shows of a [`CardReview`]; see the module's documentation.
pub struct CardSheet {
    /// The MRZ lines, as printed and as DG1 holds them.
    pub mrz: Vec<String>,
    /// DG1's fields.
    pub dg1: Vec<(Dg1Field, String)>,
    /// DG11's fields present (key as `permitkit_lds::describe` names it).
    pub personal: Vec<(&'static str, String)>,
    /// DG12's fields present.
    pub document: Vec<(&'static str, String)>,
    /// The portrait's width and height in DG2.
    pub face: Option<[u16; 2]>,
    /// DG3's fingers: position and quality score only.
    pub fingers: Vec<(String, u8)>,
    /// The signature's JPEG in DG7 (zeroized when dropped).
    pub signature: Option<Arc<SecretBytes>>,
    /// The data groups behind Extended Access Control.
    pub eac_data_groups: Vec<u8>,
    /// The Document Signer's subject, from EF.SOD.
    pub signer: Option<String>,
    /// EF.SOD's hash algorithm.
    pub hash_algorithm: Option<String>,
    /// Every file with its size and the chip's budget.
    pub files: Vec<FileSize>,
    /// The most files the chip holds.
    pub max_files: usize,
    /// The images against the document's budgets.
    pub images: Vec<ImageSize>,
    /// Everything over its budget: the card cannot be written.
    pub over: Vec<OverBudget>,
}

impl std::fmt::Debug for CardSheet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardSheet")
            .field("files", &self.files)
            .field("fingers", &self.fingers.len())
            .field("signature", &self.signature.as_ref().map(|s| s.len()))
            .field("over", &self.over)
            .finish_non_exhaustive()
    }
}

impl CardSheet {
    /// The sheet of `review`.
    pub fn of(review: &CardReview<'_>) -> Self {
        let d = describe(review.image.file_map());
        let dg1 = review
            .image
            .file(Ef::DG1)
            .and_then(|b| Dg1::parse(b).ok())
            .and_then(|dg1| Mrz::parse(dg1.mrz()).ok())
            .map(|m| dg1_fields(&m))
            .unwrap_or_default();
        Self {
            mrz: d.mrz.clone().unwrap_or_default(),
            dg1,
            personal: d.personal_details.clone().into_iter().collect(),
            document: d.document_details.clone().into_iter().collect(),
            face: d.faces.first().map(|f| f.size),
            fingers: d
                .fingers
                .iter()
                .map(|f: &FingerSummary| (f.position.clone(), f.quality))
                .collect(),
            signature: review.signature_jpeg().map(Arc::new),
            eac_data_groups: review.eac_data_groups.clone(),
            signer: d.sod.as_ref().and_then(|s| s.signer.clone()),
            hash_algorithm: d.sod.as_ref().map(|s| s.hash_algorithm.clone()),
            files: review.files.clone(),
            max_files: review.max_files,
            images: review.images.clone(),
            over: review.over_budget(),
        }
    }

    /// Whether Extended Access Control protects DG3 (the fingers).
    pub fn fingers_behind_eac(&self) -> bool {
        self.eac_data_groups.contains(&3)
    }
}

fn dg1_fields(m: &Mrz) -> Vec<(Dg1Field, String)> {
    let name = m.name();
    vec![
        (Dg1Field::DocumentCode, m.document_code().to_string()),
        (Dg1Field::IssuingState, m.issuing_state().to_string()),
        (Dg1Field::DocumentNumber, m.document_number().to_owned()),
        (Dg1Field::Surname, name.primary().join(" ")),
        (Dg1Field::GivenNames, name.secondary().join(" ")),
        (Dg1Field::Nationality, m.nationality().to_string()),
        (Dg1Field::DateOfBirth, m.date_of_birth().to_string()),
        (Dg1Field::Sex, m.sex().to_string()),
        (Dg1Field::DateOfExpiry, m.date_of_expiry().to_string()),
        (Dg1Field::OptionalData, m.optional_data().to_owned()),
    ]
}

/// The operator's answer on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardAnswer {
    /// Write the card.
    Write,
    /// Stop before the card.
    Stop,
}

/// The review as the enrolment holds it; see the module's documentation.
#[derive(Debug, Default)]
pub struct CardScreen {
    sheet: Mutex<Option<Arc<CardSheet>>>,
    answer: Awaited<(CardAnswer, String)>,
}

impl CardScreen {
    fn lock(&self) -> MutexGuard<'_, Option<Arc<CardSheet>>> {
        self.sheet.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The sheet, while the review waits for the operator.
    pub fn waiting(&self) -> Option<Arc<CardSheet>> {
        if self.answer.waiting() {
            self.lock().clone()
        } else {
            None
        }
    }

    /// The station thread's side: shows `sheet` and waits at most `timeout` for
    /// [`CardScreen::decide`]; `on_wait` wakes the progress page. The sheet is dropped once
    /// answered (or the time is out).
    pub fn await_decision(
        &self,
        sheet: CardSheet,
        timeout: Duration,
        on_wait: impl FnOnce(),
    ) -> CardDecision {
        *self.lock() = Some(Arc::new(sheet));
        let answer = self.answer.wait(timeout, on_wait);
        *self.lock() = None;
        match answer {
            Some((CardAnswer::Write, operator)) => CardDecision::Write { operator },
            Some((CardAnswer::Stop, operator)) => CardDecision::Stop { operator },
            None => CardDecision::Undecided {
                reason: format!(
                    "no one confirmed the card on screen within {} s",
                    timeout.as_secs()
                ),
            },
        }
    }

    /// The browser's side: `operator`'s answer.
    pub fn decide(&self, answer: CardAnswer, operator: &str) -> Result<(), NotAwaited> {
        self.answer.answer((answer, operator.to_owned()))
    }
}
