//! The signature drawn on screen: a [`SignaturePad`] whose pen is the operator's browser. The
//! signature step opens it when the operator chose "sign on screen" or when the station has no
//! pad (no device matches its selector, or its backend is not compiled in); its capture waits for the image the browser
//! uploads ([`crate::signature_upload`] checks it), and returns it as a scanned pad would — an
//! image, no strokes — so the pipeline prepares it for DG7 (ICAO Doc 9303-10 §4.7.7) and keeps
//! it in the journal exactly as a pad's capture.
//!
//! [`DeskFactory`] is the station's device factory with that one change; every other device
//! comes from the factory it wraps.

use std::sync::Arc;
use std::time::Duration;

use permitkit_devices::CaptureError;
use permitkit_devices::DeviceInfo;
use permitkit_devices::camera::Camera;
use permitkit_devices::card_reader::{CardReader, CardReaderError};
use permitkit_devices::factory::{
    CameraSlot, CardReaderSlot, DeviceFactory, ScannerSlot, SignaturePadSlot,
};
use permitkit_devices::scanner::FingerprintScanner;
use permitkit_devices::signature_pad::{SignatureCapture, SignaturePad};

use crate::enrolment::Enrolment;

/// How long the signature step waits for a signature drawn on screen (the applicant is turned
/// to the screen, reads, signs, perhaps redoes it).
pub const SCREEN_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The selector the screen's pad reports.
pub const SCREEN_SELECTOR: &str = "screen";

/// The operator's browser as the signature pad of one enrolment.
#[derive(Debug)]
pub(super) struct ScreenPad {
    info: DeviceInfo,
    enrolment: Arc<Enrolment>,
    why: String,
}

impl ScreenPad {
    fn new(enrolment: Arc<Enrolment>, why: String) -> Self {
        Self {
            info: DeviceInfo {
                selector: SCREEN_SELECTOR.to_owned(),
                name: "Signature drawn on the operator's screen".to_owned(),
                backend: "station-web".to_owned(),
                usb_id: None,
                serial: None,
            },
            enrolment,
            why,
        }
    }
}

impl SignaturePad for ScreenPad {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn capture(&mut self, _timeout: Duration) -> Result<SignatureCapture, CaptureError> {
        let image = self
            .enrolment
            .await_signature(&self.why, SCREEN_TIMEOUT)
            .map_err(|e| CaptureError::Timeout {
                device: SCREEN_SELECTOR.to_owned(),
                seconds: e.0.as_secs_f64(),
            })?;
        Ok(SignatureCapture {
            strokes: Vec::new(),
            area: None,
            image: Some(image),
            device: self.info.clone(),
        })
    }
}

/// The station's device factory for one enrolment, with the screen as its signature pad when
/// asked for or when the station has no pad.
pub(super) struct DeskFactory {
    pub inner: Box<dyn DeviceFactory>,
    pub enrolment: Arc<Enrolment>,
}

impl DeviceFactory for DeskFactory {
    fn camera(&mut self, slot: &CameraSlot) -> Result<Box<dyn Camera>, CaptureError> {
        self.inner.camera(slot)
    }

    fn scanner(&mut self, slot: &ScannerSlot) -> Result<Box<dyn FingerprintScanner>, CaptureError> {
        self.inner.scanner(slot)
    }

    fn signature_pad(
        &mut self,
        slot: &SignaturePadSlot,
    ) -> Result<Box<dyn SignaturePad>, CaptureError> {
        let screen = |why: String| -> Box<dyn SignaturePad> {
            Box::new(ScreenPad::new(Arc::clone(&self.enrolment), why))
        };
        if self.enrolment.sign_on_screen {
            return Ok(screen("the operator chose to sign on screen".to_owned()));
        }
        match self.inner.signature_pad(slot) {
            Err(e @ (CaptureError::NotFound { .. } | CaptureError::NotCompiled { .. })) => {
                tracing::info!(enrolment = %self.enrolment.id, "no signature pad: signing on screen");
                Ok(screen(format!("no signature pad ({e})")))
            }
            other => other,
        }
    }

    fn card_reader(&mut self, slot: &CardReaderSlot) -> Result<CardReader, CardReaderError> {
        self.inner.card_reader(slot)
    }
}
