//! Webcams through `nokhwa` (feature `camera`; V4L2 on Linux, where its bindings need libclang
//! at build time).
//!
//! - Stable ids: a webcam is opened by its `/dev/v4l/by-id/…` name (udev derives it from the
//!   USB vendor, product and serial, so it survives re-plugging and reboots), by a
//!   `/dev/videoN` path, or by a bare index. USB ids are read from sysfs
//!   (`/sys/class/video4linux/videoN/device/../idVendor`) to pick the camera profile.
//! - Mode: the profile's resolution, pixel format and frame rate, or the closest the device
//!   offers. Frames are decoded here with `image` (MJPEG) or converted (YUYV, BT.601), under
//!   the same [`ImageLimits`] as files.
//! - Controls: where the device allows, automatic exposure and white balance are switched off
//!   and the profile's values set (V4L2 `exposure_auto` = manual, `exposure_absolute`,
//!   `white_balance_automatic` = off, `white_balance_temperature`); a device that refuses keeps
//!   its automatic controls and a warning is logged.
//! - nokhwa's camera is not `Send`, so it lives on its own thread and [`NokhwaCamera`] talks to
//!   it through channels.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, ControlValueSetter, FrameFormat, KnownCameraControl,
    RequestedFormat, RequestedFormatType, Resolution,
};

use super::camera::{Camera, Frame};
use super::{CaptureError, DeviceInfo, ImageError};
use permitkit_model::profiles::camera::{CameraProfile, PixelFormat};
use permitkit_quality::face::{ImageLimits, decode};

/// V4L2 control ids (linux/v4l2-controls.h).
const V4L2_CID_AUTO_WHITE_BALANCE: u32 = 0x0098_090c;
const V4L2_CID_WHITE_BALANCE_TEMPERATURE: u32 = 0x0098_091a;
const V4L2_CID_EXPOSURE_AUTO: u32 = 0x009a_0901;
const V4L2_CID_EXPOSURE_ABSOLUTE: u32 = 0x009a_0902;
/// `V4L2_EXPOSURE_MANUAL`.
const EXPOSURE_MANUAL: i64 = 1;

const BY_ID: &str = "/dev/v4l/by-id";

/// Lists attached webcams, each with the selector that opens it again.
pub fn list() -> Result<Vec<DeviceInfo>, CaptureError> {
    let cams = nokhwa::query(ApiBackend::Video4Linux).map_err(|e| CaptureError::Device {
        device: "v4l".into(),
        message: e.to_string(),
    })?;
    let by_id = stable_names();
    Ok(cams
        .into_iter()
        .map(|c| {
            let index = c.index().as_index().unwrap_or(u32::MAX);
            let stable = by_id
                .iter()
                .find(|(_, n)| *n == index)
                .map(|(name, _)| name.clone());
            DeviceInfo {
                selector: format!(
                    "v4l:{}",
                    stable.clone().unwrap_or_else(|| index.to_string())
                ),
                name: c.human_name(),
                backend: "v4l2".into(),
                usb_id: usb_id(index),
                serial: stable,
            }
        })
        .collect())
}

/// `/dev/v4l/by-id` names and the video index each points to.
fn stable_names() -> Vec<(String, u32)> {
    let Ok(dir) = std::fs::read_dir(BY_ID) else {
        return Vec::new();
    };
    dir.filter_map(|e| {
        let e = e.ok()?;
        let target = std::fs::canonicalize(e.path()).ok()?;
        Some((
            e.file_name().to_string_lossy().into_owned(),
            video_index(&target)?,
        ))
    })
    .collect()
}

/// `N` of `/dev/videoN`.
fn video_index(path: &Path) -> Option<u32> {
    path.file_name()?
        .to_str()?
        .strip_prefix("video")?
        .parse()
        .ok()
}

/// Resolves a `v4l:` id to a device index.
fn resolve(id: &str) -> Result<u32, CaptureError> {
    let not_found = || CaptureError::NotFound {
        selector: format!("v4l:{id}"),
    };
    if let Ok(n) = id.parse::<u32>() {
        return Ok(n);
    }
    let path = if id.starts_with('/') {
        PathBuf::from(id)
    } else {
        Path::new(BY_ID).join(id)
    };
    let target = std::fs::canonicalize(&path).map_err(|_| not_found())?;
    video_index(&target).ok_or_else(not_found)
}

/// USB vendor and product of `/dev/videoN`, from sysfs.
fn usb_id(index: u32) -> Option<(u16, u16)> {
    let dev = PathBuf::from(format!("/sys/class/video4linux/video{index}/device/.."));
    let read = |name: &str| {
        let s = std::fs::read_to_string(dev.join(name)).ok()?;
        u16::from_str_radix(s.trim(), 16).ok()
    };
    Some((read("idVendor")?, read("idProduct")?))
}

enum Request {
    Frame,
}

/// A webcam on its own thread.
pub struct NokhwaCamera {
    info: DeviceInfo,
    requests: Sender<Request>,
    frames: Receiver<Result<Frame, CaptureError>>,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for NokhwaCamera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NokhwaCamera")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl NokhwaCamera {
    /// Opens the webcam `id` (see the module doc) in the mode of `profile`, or of the built-in
    /// profile for its USB id, or in its highest resolution.
    pub fn open(id: &str, profile: Option<&CameraProfile>) -> Result<Self, CaptureError> {
        let index = resolve(id)?;
        let usb = usb_id(index);
        let profile = profile
            .cloned()
            .or_else(|| usb.and_then(|(v, p)| CameraProfile::for_usb(v, p)));
        let selector = format!("v4l:{id}");
        let (ready_tx, ready_rx) = channel::<Result<String, CaptureError>>();
        let (req_tx, req_rx) = channel::<Request>();
        let (frame_tx, frame_rx) = channel();
        let device = selector.clone();
        let worker = std::thread::Builder::new()
            .name(format!("camera {selector}"))
            .spawn(move || run(index, device, profile, ready_tx, req_rx, frame_tx))
            .map_err(|e| CaptureError::Device {
                device: selector.clone(),
                message: e.to_string(),
            })?;
        let name = ready_rx.recv().map_err(|_| CaptureError::Disconnected {
            device: selector.clone(),
        })??;
        Ok(Self {
            info: DeviceInfo {
                selector,
                name,
                backend: "v4l2".into(),
                usb_id: usb,
                serial: None,
            },
            requests: req_tx,
            frames: frame_rx,
            worker: Some(worker),
        })
    }
}

impl Drop for NokhwaCamera {
    fn drop(&mut self) {
        // Closing the request channel ends the worker's loop.
        let (tx, _) = channel();
        drop(std::mem::replace(&mut self.requests, tx));
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

impl Camera for NokhwaCamera {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn capture(&mut self) -> Result<Frame, CaptureError> {
        let gone = || CaptureError::Disconnected {
            device: self.info.selector.clone(),
        };
        self.requests.send(Request::Frame).map_err(|_| gone())?;
        self.frames.recv().map_err(|_| gone())?
    }
}

fn run(
    index: u32,
    device: String,
    profile: Option<CameraProfile>,
    ready: Sender<Result<String, CaptureError>>,
    requests: Receiver<Request>,
    frames: Sender<Result<Frame, CaptureError>>,
) {
    let err = |message: String| CaptureError::Device {
        device: device.clone(),
        message,
    };
    let requested = match &profile {
        Some(p) => {
            let fmt = match p.mode.format {
                PixelFormat::Yuyv => FrameFormat::YUYV,
                PixelFormat::Mjpeg | PixelFormat::Still => FrameFormat::MJPEG,
            };
            RequestedFormatType::Closest(CameraFormat::new(
                Resolution::new(p.mode.width, p.mode.height),
                fmt,
                p.mode.fps,
            ))
        }
        None => RequestedFormatType::AbsoluteHighestResolution,
    };
    let opened = nokhwa::Camera::with_backend(
        CameraIndex::Index(index),
        RequestedFormat::new::<RgbFormat>(requested),
        ApiBackend::Video4Linux,
    )
    .and_then(|mut cam| cam.open_stream().map(|()| cam));
    let mut cam = match opened {
        Ok(cam) => cam,
        Err(e) => {
            let _ = ready.send(Err(err(e.to_string())));
            return;
        }
    };
    if let Some(p) = &profile {
        lock_controls(&mut cam, p, &device);
    }
    if ready.send(Ok(cam.info().human_name())).is_err() {
        return;
    }
    let mut sequence = 0u64;
    while let Ok(Request::Frame) = requests.recv() {
        let frame = cam
            .frame()
            .map_err(|e| err(e.to_string()))
            .and_then(|buf| to_rgb(&buf, &device).map(|image| Frame { image, sequence }));
        sequence += 1;
        if frames.send(frame).is_err() {
            break;
        }
    }
    let _ = cam.stop_stream();
}

fn lock_controls(cam: &mut nokhwa::Camera, p: &CameraProfile, device: &str) {
    let mut set = |id: u32, value: i64, what: &str| {
        if let Err(e) = cam.set_camera_control(
            KnownCameraControl::Other(u128::from(id)),
            ControlValueSetter::Integer(value),
        ) {
            tracing::warn!(
                "{device}: cannot set {what}: {e}; the device keeps its automatic control"
            );
        }
    };
    let c = &p.controls;
    if c.lock_exposure {
        set(V4L2_CID_EXPOSURE_AUTO, EXPOSURE_MANUAL, "manual exposure");
        if let Some(t) = c.exposure_time_100us {
            set(V4L2_CID_EXPOSURE_ABSOLUTE, t, "exposure time");
        }
    }
    if c.lock_white_balance {
        set(V4L2_CID_AUTO_WHITE_BALANCE, 0, "fixed white balance");
        if let Some(k) = c.white_balance_kelvin {
            set(
                V4L2_CID_WHITE_BALANCE_TEMPERATURE,
                k,
                "white-balance temperature",
            );
        }
    }
}

/// Decodes one buffer to RGB under the default image limits.
fn to_rgb(buf: &nokhwa::Buffer, device: &str) -> Result<image::RgbImage, CaptureError> {
    let bad = |source: ImageError| CaptureError::Image {
        device: device.to_owned(),
        source,
    };
    let res = buf.resolution();
    let (w, h) = (res.width(), res.height());
    let limits = ImageLimits::default();
    if w == 0 || h == 0 || w > limits.max_side || h > limits.max_side {
        return Err(bad(ImageError::Size {
            width: w,
            height: h,
            max: limits.max_side,
        }));
    }
    let short = |format| {
        bad(ImageError::Buffer {
            len: buf.buffer().len(),
            width: w,
            height: h,
            format,
        })
    };
    match buf.source_frame_format() {
        FrameFormat::MJPEG => decode(buf.buffer(), limits).map_err(|e| bad(e.into())),
        FrameFormat::YUYV => yuyv_to_rgb(buf.buffer(), w, h).ok_or_else(|| short("YUYV")),
        FrameFormat::RAWRGB => {
            image::RgbImage::from_raw(w, h, buf.buffer().to_vec()).ok_or_else(|| short("RGB"))
        }
        other => Err(bad(ImageError::PixelFormat(other.to_string()))),
    }
}

/// Packed YUYV 4:2:2 to RGB (BT.601, studio swing), `None` when the buffer is short.
pub fn yuyv_to_rgb(data: &[u8], w: u32, h: u32) -> Option<image::RgbImage> {
    let need = usize::try_from(u64::from(w) * u64::from(h) * 2).ok()?;
    let data = data.get(..need)?;
    let mut out = Vec::with_capacity(need / 2 * 3);
    let conv = |y: u8, u: u8, v: u8| {
        let c = f32::from(y) - 16.0;
        let d = f32::from(u) - 128.0;
        let e = f32::from(v) - 128.0;
        let px = |x: f32| permitkit_quality::face::raster::to_u8(x);
        [
            px(1.164 * c + 1.596 * e),
            px(1.164 * c - 0.392 * d - 0.813 * e),
            px(1.164 * c + 2.017 * d),
        ]
    };
    for q in data.chunks_exact(4) {
        if let [y0, u, y1, v] = *q {
            out.extend_from_slice(&conv(y0, u, v));
            out.extend_from_slice(&conv(y1, u, v));
        }
    }
    image::RgbImage::from_raw(w, h, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuyv_grey_and_short_buffers() {
        // Y = 126 (mid grey), U = V = 128 → about 128 grey.
        let img = yuyv_to_rgb(&[126, 128, 126, 128], 2, 1).unwrap();
        assert!(
            img.pixels()
                .all(|p| p.0.iter().all(|c| (*c as i32 - 128).abs() <= 1))
        );
        assert!(yuyv_to_rgb(&[1, 2, 3], 2, 1).is_none());
    }

    #[test]
    fn numeric_and_missing_ids() {
        assert_eq!(resolve("3").unwrap(), 3);
        assert!(matches!(
            resolve("no-such-camera-by-id"),
            Err(CaptureError::NotFound { .. })
        ));
        assert_eq!(video_index(Path::new("/dev/video12")), Some(12));
    }
}
