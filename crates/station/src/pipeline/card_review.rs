//! The operator's review of the card before it is written: once the ChipImage is built and
//! signed (the `chip-image` step) and before `personalize` writes a byte of it, the
//! [`Observer`](super::Observer) is shown everything that goes on the chip — every elementary
//! file with its size against the chip profile's budget (`max_ef_size`, `max_files`), the
//! portrait's and the signature's JPEG against the document profile's byte budgets, which data
//! groups Extended Access Control protects — and answers with a [`CardDecision`].
//!
//! - [`CardDecision::NotAsked`] (the default: `enroll`, a station that does not review):
//!   nothing is journaled and the card is written, unless a file is over its budget.
//! - [`CardDecision::Write`]: journaled (`card-review`, with the operator), then written.
//! - [`CardDecision::Stop`] and [`CardDecision::Undecided`]: journaled, and the enrolment stops
//!   before the card with a [`StepError`] of the `personalize` step; a resume shows the review
//!   again.
//!
//! A file over its budget is never written: the enrolment stops with
//! [`StepError::OverBudget`] whatever the answer. The review is asked only while the journal
//! has no record of `personalize` — a card already being written (a card pulled mid-write, put
//! back) is finished without asking again. The review itself carries personal data (the DG1
//! MRZ, DG11, DG12) and biometrics (DG2, DG3, DG7): its `Debug` shows sizes only, and nothing of
//! it is journaled or logged.

use permitkit_lds::{ChipImage, Dg2, Dg7, Ef, FaceBdb};
use permitkit_model::secret::SecretBytes;

use super::chip_image::HeldImage;
use super::{EnrolError, Event, Run, StepError};
use crate::applicant::Applicant;
use crate::step::Step;

/// The journal event kind of a review's outcome.
pub const JOURNAL_EVENT: &str = "card-review";

/// One elementary file and its size against the chip's budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSize {
    /// The file.
    pub ef: Ef,
    /// Its size, bytes.
    pub size: usize,
    /// The largest file the chip holds (chip profile `max_ef_size`).
    pub limit: usize,
}

impl FileSize {
    /// The file is larger than the chip holds.
    pub fn over(&self) -> bool {
        self.size > self.limit
    }
}

/// An image inside a data group: the portrait in DG2, the signature in DG7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImagePart {
    /// The portrait's JPEG (DG2), against the document profile's `portrait.max_bytes`.
    Portrait,
    /// The signature's JPEG (DG7), against `signature.max_bytes`.
    Signature,
}

impl std::fmt::Display for ImagePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ImagePart::Portrait => "the portrait in DG2",
            ImagePart::Signature => "the signature in DG7",
        })
    }
}

/// An image's size against the document profile's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageSize {
    /// Which image.
    pub part: ImagePart,
    /// Its JPEG, bytes.
    pub size: usize,
    /// The document profile's budget, bytes.
    pub limit: usize,
}

/// Something over its budget: the card is not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OverBudget {
    /// A file larger than the chip holds.
    #[error("{ef} is {size} bytes, beyond the {limit} bytes a file of this chip holds")]
    File {
        /// The file.
        ef: Ef,
        /// Its size.
        size: usize,
        /// The chip's `max_ef_size`.
        limit: usize,
    },
    /// More files than the chip holds.
    #[error("{count} files, beyond the {limit} this chip holds")]
    Files {
        /// Files in the ChipImage.
        count: usize,
        /// The chip's `max_files`.
        limit: usize,
    },
    /// An image beyond the document's byte budget.
    #[error("{part} is {size} bytes, beyond the document's {limit}-byte budget")]
    Image {
        /// Which image.
        part: ImagePart,
        /// Its size.
        size: usize,
        /// The budget.
        limit: usize,
    },
}

/// What the operator reviews before the card is written; see the module's documentation.
pub struct CardReview<'a> {
    /// The ChipImage as it will be written (personal data and biometrics: shown, never logged).
    pub image: &'a ChipImage,
    /// Every file, in the ChipImage's order, with its size and the chip's budget.
    pub files: Vec<FileSize>,
    /// The most files the chip holds (chip profile `max_files`).
    pub max_files: usize,
    /// The portrait's and the signature's JPEG against the document profile's budgets.
    pub images: Vec<ImageSize>,
    /// The data groups only an inspection system that passed Terminal Authentication reads
    /// (the document profile's `[chip.eac]`; empty without EAC).
    pub eac_data_groups: Vec<u8>,
}

impl std::fmt::Debug for CardReview<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardReview")
            .field("files", &self.files)
            .field("max_files", &self.max_files)
            .field("images", &self.images)
            .field("eac_data_groups", &self.eac_data_groups)
            .finish_non_exhaustive()
    }
}

impl CardReview<'_> {
    /// Everything over its budget (empty: the card can be written).
    pub fn over_budget(&self) -> Vec<OverBudget> {
        over_budget(&self.files, self.max_files, &self.images)
    }

    /// The portrait's JPEG as DG2 holds it (a biometric sample: zeroized when dropped).
    pub fn portrait_jpeg(&self) -> Option<SecretBytes> {
        let dg2 = Dg2::parse(self.image.file(Ef::DG2)?).ok()?;
        dg2.faces.into_iter().find_map(|face| match face.record {
            FaceBdb::Iso19794_5(record) => record
                .images
                .into_iter()
                .next()
                .map(|i| SecretBytes::new(i.image)),
            FaceBdb::Other { .. } => None,
        })
    }

    /// The signature's JPEG as DG7 holds it (zeroized when dropped).
    pub fn signature_jpeg(&self) -> Option<SecretBytes> {
        let dg7 = Dg7::parse(self.image.file(Ef::DG7)?).ok()?;
        dg7.images.into_iter().next().map(SecretBytes::new)
    }
}

/// Every file over the chip's budget, too many files, every image over the document's budget.
pub fn over_budget(files: &[FileSize], max_files: usize, images: &[ImageSize]) -> Vec<OverBudget> {
    let mut out: Vec<OverBudget> = files
        .iter()
        .filter(|f| f.over())
        .map(|f| OverBudget::File {
            ef: f.ef,
            size: f.size,
            limit: f.limit,
        })
        .collect();
    if files.len() > max_files {
        out.push(OverBudget::Files {
            count: files.len(),
            limit: max_files,
        });
    }
    out.extend(
        images
            .iter()
            .filter(|i| i.size > i.limit)
            .map(|i| OverBudget::Image {
                part: i.part,
                size: i.size,
                limit: i.limit,
            }),
    );
    out
}

/// The operator's answer to a [`CardReview`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CardDecision {
    /// No review at this station: the card is written (nothing journaled).
    NotAsked,
    /// The operator confirmed: write the card.
    Write {
        /// Who confirmed (journaled).
        operator: String,
    },
    /// The operator stopped before the card: nothing is written, the enrolment can be resumed
    /// (and reviewed again) or abandoned.
    Stop {
        /// Who stopped it (journaled).
        operator: String,
    },
    /// No answer came (the operator did not answer in time, say): nothing is written.
    Undecided {
        /// Why, for the operator.
        reason: String,
    },
}

/// Sizes of the images inside DG2 and DG7 against the document profile's budgets.
fn image_sizes(image: &ChipImage, applicant: &Applicant) -> Vec<ImageSize> {
    let profile = &applicant.document_profile;
    let mut out = Vec::new();
    let portrait = image
        .file(Ef::DG2)
        .and_then(|b| Dg2::parse(b).ok())
        .and_then(|dg2| {
            dg2.faces.into_iter().find_map(|f| match f.record {
                FaceBdb::Iso19794_5(r) => r.images.first().map(|i| i.image.len()),
                FaceBdb::Other { .. } => None,
            })
        });
    if let Some(size) = portrait {
        out.push(ImageSize {
            part: ImagePart::Portrait,
            size,
            limit: profile.portrait.max_bytes,
        });
    }
    let signature = image
        .file(Ef::DG7)
        .and_then(|b| Dg7::parse(b).ok())
        .and_then(|dg7| dg7.images.first().map(Vec::len));
    if let Some(size) = signature {
        out.push(ImageSize {
            part: ImagePart::Signature,
            size,
            limit: profile.signature.max_bytes,
        });
    }
    out
}

/// Asks the observer for its word on the card about to be written (unless the journal shows
/// `personalize` begun), journals the answer, and stops the enrolment unless the card is to be
/// written and nothing is over its budget.
pub(super) fn run(
    run: &mut Run<'_>,
    held: &HeldImage,
    applicant: &Applicant,
) -> Result<(), EnrolError> {
    let step = Step::Personalize;
    let begun = run
        .station
        .journal
        .step(&run.id, step)
        .map_err(|e| run.error(step, StepError::Journal(e)))?;
    if begun.is_some() {
        return Ok(());
    }
    let limit = run.station.chip.max_ef_size;
    let review = CardReview {
        image: &held.image,
        files: held
            .image
            .files()
            .map(|(ef, bytes)| FileSize {
                ef,
                size: bytes.len(),
                limit,
            })
            .collect(),
        max_files: run.station.chip.max_files,
        images: image_sizes(&held.image, applicant),
        eac_data_groups: applicant
            .document_profile
            .chip
            .eac
            .as_ref()
            .map(|e| e.data_groups.clone())
            .unwrap_or_default(),
    };
    let decision = run.observer.review_card(&review);
    let over = review.over_budget();
    let journaled = match &decision {
        CardDecision::NotAsked => None,
        CardDecision::Write { operator } => {
            Some(format!("write the card: confirmed by {operator}"))
        }
        CardDecision::Stop { operator } => Some(format!("not written: stopped by {operator}")),
        CardDecision::Undecided { reason } => Some(format!("not written: {reason}")),
    };
    if let Some(message) = journaled {
        run.station
            .journal
            .event(&run.id, JOURNAL_EVENT, &message)
            .map_err(|e| run.error(step, StepError::Journal(e)))?;
    }
    let refused = match decision {
        _ if !over.is_empty() => Some(StepError::OverBudget(over)),
        CardDecision::NotAsked | CardDecision::Write { .. } => None,
        CardDecision::Stop { operator } => Some(StepError::NotWrittenAtReview { operator }),
        CardDecision::Undecided { reason } => Some(StepError::ReviewUndecided { reason }),
    };
    match refused {
        None => Ok(()),
        Some(source) => {
            let message = super::error::chain(&source);
            run.observer.event(&Event::StepFailed {
                step,
                error: message,
                cause: source.cause(),
            });
            Err(run.error(step, source))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_budget_names_each_file_the_count_and_the_images() {
        let file = |ef, size| FileSize {
            ef,
            size,
            limit: 100,
        };
        let files = [file(Ef::DG1, 93), file(Ef::DG2, 101)];
        let images = [
            ImageSize {
                part: ImagePart::Portrait,
                size: 8,
                limit: 8,
            },
            ImageSize {
                part: ImagePart::Signature,
                size: 9,
                limit: 8,
            },
        ];
        assert!(over_budget(&files[..1], 2, &images[..1]).is_empty());
        let over = over_budget(&files, 1, &images);
        assert_eq!(
            over.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "DG2 is 101 bytes, beyond the 100 bytes a file of this chip holds",
                "2 files, beyond the 1 this chip holds",
                "the signature in DG7 is 9 bytes, beyond the document's 8-byte budget",
            ]
        );
    }
}
