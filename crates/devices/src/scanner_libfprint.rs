//! Fingerprint scanners through libfprint 2 (feature `libfprint`; selector `libfprint:<n>`, the
//! n-th device libfprint enumerates). Only devices that deliver images work: libfprint's image
//! drivers (e.g. `uru4000` for DigitalPersona U.are.U 4000B/4500, `vcom5s`), and the
//! `virtual_image` test driver (`FP_VIRTUAL_IMAGE=<socket path>`). Match-on-chip sensors keep the
//! image inside the sensor and are refused.
//!
//! libfprint objects are GObjects bound to the thread and main context that created them, so a
//! worker thread owns the context and the device and serves capture requests over channels;
//! the scanner handle itself is `Send`. A capture that outlasts the timeout is cancelled through
//! a `GCancellable`. The binding is the `libfprint-rs` crate; this crate itself has no `unsafe`.

use std::{
    sync::mpsc::{self, Receiver, RecvTimeoutError, Sender},
    thread::JoinHandle,
    time::Duration,
};

use gio::prelude::CancellableExt;
use image::GrayImage;

use super::{
    CaptureError, DeviceInfo, ImageError,
    scanner::{FingerImage, FingerprintScanner, ImpressionType},
};
use permitkit_biometrics::FingerPosition;

/// Largest image accepted from a driver (pixels per side).
const MAX_SIDE: u32 = 2000;
/// How long to wait for a cancelled capture to wind down before giving up on the worker.
const CANCEL_GRACE: Duration = Duration::from_secs(5);

struct Raw {
    width: u32,
    height: u32,
    ppmm: f64,
    data: Vec<u8>,
}

enum Request {
    Capture(gio::Cancellable),
}

/// A libfprint device that delivers images.
pub struct LibfprintScanner {
    info: DeviceInfo,
    timeout: Duration,
    requests: Option<Sender<Request>>,
    replies: Receiver<Result<Raw, String>>,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for LibfprintScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LibfprintScanner")
            .field("info", &self.info)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Every device libfprint lists (whether or not it delivers images), each with the selector
/// that opens it; `backend` is `libfprint/<driver id>`, which scanner profiles match.
pub fn list() -> Vec<DeviceInfo> {
    let context = libfprint_rs::FpContext::new();
    context
        .devices()
        .iter()
        .enumerate()
        .map(|(index, dev)| DeviceInfo {
            selector: format!("libfprint:{index}"),
            name: dev.name(),
            backend: format!("libfprint/{}", dev.driver()),
            usb_id: None,
            serial: Some(dev.device_id()).filter(|s| !s.is_empty()),
        })
        .collect()
}

impl LibfprintScanner {
    /// Opens the `index`-th device libfprint lists; captures wait at most `timeout`.
    pub fn open(index: usize, timeout: Duration) -> Result<Self, CaptureError> {
        let selector = format!("libfprint:{index}");
        let (open_tx, open_rx) = mpsc::channel::<Result<DeviceInfo, CaptureError>>();
        let (req_tx, req_rx) = mpsc::channel::<Request>();
        let (rep_tx, rep_rx) = mpsc::channel::<Result<Raw, String>>();
        let sel = selector.clone();
        let worker = std::thread::Builder::new()
            .name(format!("libfprint-{index}"))
            .spawn(move || serve(index, &sel, &open_tx, &req_rx, &rep_tx))
            .map_err(|e| CaptureError::Device {
                device: selector.clone(),
                message: format!("cannot start the libfprint worker thread: {e}"),
            })?;
        let info = open_rx.recv().map_err(|_| CaptureError::Disconnected {
            device: selector.clone(),
        })??;
        Ok(Self {
            info,
            timeout,
            requests: Some(req_tx),
            replies: rep_rx,
            worker: Some(worker),
        })
    }
}

impl FingerprintScanner for LibfprintScanner {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn capture(&mut self, finger: FingerPosition) -> Result<FingerImage, CaptureError> {
        let device = self.info.selector.clone();
        let disconnected = || CaptureError::Disconnected {
            device: device.clone(),
        };
        let cancellable = gio::Cancellable::new();
        self.requests
            .as_ref()
            .ok_or_else(disconnected)?
            .send(Request::Capture(cancellable.clone()))
            .map_err(|_| disconnected())?;
        let raw = match self.replies.recv_timeout(self.timeout) {
            Ok(r) => r,
            Err(RecvTimeoutError::Timeout) => {
                cancellable.cancel();
                // Drain the cancelled capture so that the next request gets its own reply.
                let _ = self.replies.recv_timeout(CANCEL_GRACE);
                return Err(CaptureError::Timeout {
                    device,
                    seconds: self.timeout.as_secs_f64(),
                });
            }
            Err(RecvTimeoutError::Disconnected) => return Err(disconnected()),
        };
        let raw = raw.map_err(|message| CaptureError::Device {
            device: device.clone(),
            message,
        })?;
        let image_err = |source: ImageError| CaptureError::Image {
            device: device.clone(),
            source,
        };
        if raw.width == 0 || raw.height == 0 || raw.width > MAX_SIDE || raw.height > MAX_SIDE {
            return Err(image_err(ImageError::Size {
                width: raw.width,
                height: raw.height,
                max: MAX_SIDE,
            }));
        }
        let buffer = ImageError::Buffer {
            len: raw.data.len(),
            width: raw.width,
            height: raw.height,
            format: "gray",
        };
        let expected = u64::from(raw.width) * u64::from(raw.height);
        if raw.data.len() as u64 != expected {
            return Err(image_err(buffer));
        }
        let image = GrayImage::from_raw(raw.width, raw.height, raw.data)
            .ok_or_else(|| image_err(buffer))?;
        // libfprint reports pixels per millimetre; most drivers assume 500 ppi (19.685 px/mm).
        let ppi = (raw.ppmm * 25.4).round();
        let ppi = if (1.0..=f64::from(u16::MAX)).contains(&ppi) {
            #[expect(
                clippy::cast_possible_truncation,
                reason = "in the u16 range: checked above"
            )]
            let ppi = ppi as u16;
            ppi
        } else {
            super::scanner::SCANNER_PPI
        };
        Ok(FingerImage {
            image,
            ppi,
            position: finger,
            impression: ImpressionType::LivePlain,
            device: self.info.clone(),
        })
    }
}

impl Drop for LibfprintScanner {
    fn drop(&mut self) {
        // Closing the request channel ends the worker, which closes the device.
        self.requests = None;
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

/// The worker: opens the device, reports its identity, then serves captures until the request
/// channel closes.
fn serve(
    index: usize,
    selector: &str,
    open_tx: &Sender<Result<DeviceInfo, CaptureError>>,
    requests: &Receiver<Request>,
    replies: &Sender<Result<Raw, String>>,
) {
    let context = libfprint_rs::FpContext::new();
    let devices = context.devices();
    let Some(dev) = devices.get(index) else {
        let _ = open_tx.send(Err(CaptureError::NotFound {
            selector: selector.to_owned(),
        }));
        return;
    };
    if let Err(e) = dev.open_sync(None) {
        let _ = open_tx.send(Err(CaptureError::Device {
            device: selector.to_owned(),
            message: format!("cannot open {}: {e}", dev.name()),
        }));
        return;
    }
    let info = DeviceInfo {
        selector: selector.to_owned(),
        name: dev.name(),
        backend: format!("libfprint/{}", dev.driver()),
        usb_id: None,
        serial: Some(dev.device_id()).filter(|s| !s.is_empty()),
    };
    if open_tx.send(Ok(info)).is_err() {
        let _ = dev.close_sync(None);
        return;
    }
    while let Ok(Request::Capture(cancellable)) = requests.recv() {
        let outcome = dev
            .capture_sync(true, Some(&cancellable))
            .map(|img| Raw {
                width: img.width(),
                height: img.height(),
                ppmm: img.ppmm(),
                data: img.data(),
            })
            .map_err(|e| e.to_string());
        if replies.send(outcome).is_err() {
            break;
        }
    }
    let _ = dev.close_sync(None);
}
