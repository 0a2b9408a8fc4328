//! The photo screen of one enrolment (issue 14 §3): what the operator's browser is shown of the
//! photo step, held in memory only — never journaled, logged or put in an event, since frames
//! and portraits are biometric samples.
//!
//! - The live preview: the latest frame the step assessed, with the face box, the eye line and
//!   the ICAO crop frame drawn over it ([`permitkit_quality::face::annotate::overlay`]), as a
//!   JPEG ([`encode`]). Only the latest is kept; it is dropped when the step ends. A browser
//!   waits for the frame after the one it has ([`PhotoScreen::next_after`]).
//! - The portrait kept for DG2 (the chip's crop, as the step prepared it), shown to the
//!   operator until the desk begins its next enrolment ([`PhotoScreen::forget_portrait`]).
//! - The review: with the station profile's `[web] photo_review`, the step waits after each
//!   capture for the operator to keep the portrait or take another
//!   ([`PhotoScreen::await_review`], [`PhotoScreen::decide`], an [`Awaited`] answer), as the
//!   review of the card before it is written waits ([`crate::card_screen`]).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::awaited::Awaited;

use image::codecs::jpeg::JpegEncoder;
use tokio::sync::watch;

use permitkit_model::secret::SecretBytes;
use permitkit_quality::face::annotate::overlay;
use permitkit_station::pipeline::{PortraitReview, PreviewFrame};

/// JPEG quality of the preview frames: enough to judge framing, small enough for 10+ frames a
/// second over the loopback (about 30 KB at 640×480).
pub const PREVIEW_QUALITY: u8 = 75;

/// The frame as the operator sees it: the overlay drawn on a copy of the image assessed, as a
/// JPEG (a biometric sample: zeroized when dropped).
pub fn encode(frame: &PreviewFrame<'_>) -> Result<SecretBytes, image::ImageError> {
    let mut image = frame.image.clone();
    overlay(&mut image, frame.assessment);
    let mut jpeg = Vec::with_capacity(64 * 1024);
    JpegEncoder::new_with_quality(&mut jpeg, PREVIEW_QUALITY).encode_image(&image)?;
    // The copy held pixels of the face: cleared before it is freed.
    zeroize_pixels(image);
    Ok(SecretBytes::new(jpeg))
}

fn zeroize_pixels(image: image::RgbImage) {
    let mut raw = image.into_raw();
    zeroize::Zeroize::zeroize(&mut raw);
}

/// The latest preview frame: its number in this enrolment's live view (1, 2, …) and its JPEG.
#[derive(Clone)]
pub struct LiveFrame {
    /// Frames shown so far in this enrolment, this one included.
    pub number: u64,
    /// The annotated JPEG.
    pub jpeg: Arc<SecretBytes>,
}

impl std::fmt::Debug for LiveFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LiveFrame({}, <{} bytes>)", self.number, self.jpeg.len())
    }
}

/// The enrolment is not waiting for the operator's word on a portrait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the photo step is not waiting for a review")]
pub struct NotReviewing;

/// The photo screen's state; see the module's documentation.
#[derive(Debug)]
pub struct PhotoScreen {
    inner: Mutex<Inner>,
    /// The number of the latest frame (0: none yet), bumped also when the preview ends.
    frames: watch::Sender<u64>,
    review: Awaited<PortraitReview>,
}

#[derive(Default)]
struct Inner {
    shown: u64,
    needed: u32,
    live: Option<LiveFrame>,
    portrait: Option<Arc<SecretBytes>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("shown", &self.shown)
            .field("live", &self.live)
            .field("portrait", &self.portrait.as_ref().map(|p| p.len()))
            .finish_non_exhaustive()
    }
}

impl Default for PhotoScreen {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            frames: watch::Sender::new(0),
            review: Awaited::default(),
        }
    }
}

impl PhotoScreen {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Shows `jpeg` as the latest frame, in place of the one before; `needed`: the good frames
    /// in a row that take the picture.
    pub fn show(&self, jpeg: SecretBytes, needed: u32) {
        let mut inner = self.lock();
        inner.shown = inner.shown.saturating_add(1);
        inner.needed = needed;
        let number = inner.shown;
        inner.live = Some(LiveFrame {
            number,
            jpeg: Arc::new(jpeg),
        });
        drop(inner);
        self.frames.send_replace(number);
    }

    /// The good frames in a row that take the picture (0 before the first frame).
    pub fn needed(&self) -> u32 {
        self.lock().needed
    }

    /// The step ended: the preview is dropped.
    pub fn end_live(&self) {
        let had = self.lock().live.take().is_some();
        if had {
            self.frames.send_modify(|_| {});
        }
    }

    /// The latest frame, while the step runs.
    pub fn latest(&self) -> Option<LiveFrame> {
        self.lock().live.clone()
    }

    /// The first frame numbered above `after`, waiting for it at most `wait`; at the end of
    /// the wait, the latest frame if there is one (the camera stalls), `None` if there is no
    /// preview (the step has not shown its first frame yet, or it ended).
    pub async fn next_after(&self, after: u64, wait: Duration) -> Option<LiveFrame> {
        let mut rx = self.frames.subscribe();
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            rx.borrow_and_update();
            if let Some(f) = self.latest().filter(|f| f.number > after) {
                return Some(f);
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return self.latest(),
            }
        }
    }

    /// Keeps the portrait taken for DG2, to be shown.
    pub fn keep_portrait(&self, jpeg: &SecretBytes) {
        self.lock().portrait = Some(Arc::new(SecretBytes::from_slice(jpeg.expose())));
        self.frames.send_modify(|_| {});
    }

    /// The portrait taken for DG2, while it is shown.
    pub fn portrait(&self) -> Option<Arc<SecretBytes>> {
        self.lock().portrait.clone()
    }

    /// Forgets the portrait (the next applicant is at the desk, or the enrolment was abandoned).
    pub fn forget_portrait(&self) {
        self.lock().portrait = None;
    }

    /// Whether the photo step waits for the operator's word on the portrait shown.
    pub fn reviewing(&self) -> bool {
        self.review.waiting()
    }

    /// The station thread's side: shows `jpeg` for review and waits at most `timeout` for the
    /// operator's [`PhotoScreen::decide`]; `on_wait` is called once the wait is visible (to
    /// wake the progress page).
    pub fn await_review(
        &self,
        jpeg: &SecretBytes,
        timeout: Duration,
        on_wait: impl FnOnce(),
    ) -> PortraitReview {
        self.lock().portrait = Some(Arc::new(SecretBytes::from_slice(jpeg.expose())));
        let outcome =
            self.review
                .wait(timeout, on_wait)
                .unwrap_or_else(|| PortraitReview::Undecided {
                    reason: format!(
                        "no one kept or retook it on screen within {} s",
                        timeout.as_secs()
                    ),
                });
        if outcome != PortraitReview::Keep {
            self.lock().portrait = None;
        }
        outcome
    }

    /// The browser's side: the operator keeps the portrait shown or asks for another.
    pub fn decide(&self, keep: bool) -> Result<(), NotReviewing> {
        self.review
            .answer(if keep {
                PortraitReview::Keep
            } else {
                PortraitReview::Retake
            })
            .map_err(|_| NotReviewing)
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "test code: an unexpected value fails the test loudly"
    )]

    use super::*;

    #[tokio::test]
    async fn only_the_latest_frame_is_kept_and_a_waiter_gets_the_next_one() {
        let p = Arc::new(PhotoScreen::default());
        assert!(p.latest().is_none());
        assert!(p.next_after(0, Duration::from_millis(1)).await.is_none());
        p.show(SecretBytes::new(vec![1]), 5);
        p.show(SecretBytes::new(vec![2]), 5);
        assert_eq!(p.needed(), 5);
        let f = p.latest().unwrap();
        assert_eq!((f.number, f.jpeg.expose()), (2, &[2u8][..]));
        // Asked for what follows frame 2: waits until frame 3 is shown.
        let waiter = {
            let p = Arc::clone(&p);
            tokio::spawn(async move { p.next_after(2, Duration::from_secs(60)).await })
        };
        tokio::task::yield_now().await;
        p.show(SecretBytes::new(vec![3]), 5);
        let next = waiter.await.unwrap().unwrap();
        assert_eq!((next.number, next.jpeg.expose()), (3, &[3u8][..]));
        // Already newer: at once.
        assert_eq!(
            p.next_after(1, Duration::from_secs(60))
                .await
                .unwrap()
                .number,
            3
        );
        // No newer frame in time: the same again.
        assert_eq!(
            p.next_after(3, Duration::from_millis(5))
                .await
                .unwrap()
                .number,
            3
        );
        // The step ends: nothing is kept, a waiter gets nothing.
        p.end_live();
        assert!(p.latest().is_none());
        assert!(p.next_after(3, Duration::from_millis(5)).await.is_none());
        // Frames of a retake go on numbering.
        p.show(SecretBytes::new(vec![4]), 5);
        assert_eq!(p.latest().unwrap().number, 4);
    }

    #[test]
    fn a_review_is_answered_once_and_only_while_awaited() {
        let p = Arc::new(PhotoScreen::default());
        assert_eq!(p.decide(true), Err(NotReviewing));
        let jpeg = SecretBytes::new(vec![0xFF, 0xD8]);
        assert!(matches!(
            p.await_review(&jpeg, Duration::from_millis(1), || {}),
            PortraitReview::Undecided { .. }
        ));
        assert!(!p.reviewing());
        assert!(p.portrait().is_none(), "an undecided portrait is not shown");
        for (keep, expected) in [
            (false, PortraitReview::Retake),
            (true, PortraitReview::Keep),
        ] {
            let waiter = {
                let p = Arc::clone(&p);
                let jpeg = jpeg.clone();
                std::thread::spawn(move || p.await_review(&jpeg, Duration::from_secs(60), || {}))
            };
            while !p.reviewing() {
                std::thread::yield_now();
            }
            assert_eq!(p.portrait().unwrap().expose(), jpeg.expose());
            p.decide(keep).unwrap();
            assert_eq!(p.decide(keep), Err(NotReviewing), "one word per portrait");
            assert_eq!(waiter.join().unwrap(), expected);
        }
        assert!(p.portrait().is_some(), "the portrait kept stays shown");
        p.forget_portrait();
        assert!(p.portrait().is_none());
    }
}
