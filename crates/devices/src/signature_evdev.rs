//! Pen tablets and signature pads through the Linux input subsystem (selector
//! `evdev:<path or name>`, feature `evdev`, Linux only), read with the pure-Rust `evdev` crate.
//!
//! - Finding the pad: a `/dev/input/…` path (a stable `/dev/input/by-id/…` link is best) is
//!   opened as given; a name is matched against the pen devices present (those reporting
//!   `ABS_X`, `ABS_Y`, `ABS_PRESSURE` and `BTN_TOOL_PEN`), exactly first, then as a
//!   case-insensitive substring; more than one match is an error listing them. The in-kernel
//!   `wacom` driver names its pen device "<model> Pen" (`drivers/hid/wacom_sys.c`,
//!   `wacom_update_name`).
//! - Geometry: the axis ranges and resolutions (units per mm) come from the device
//!   (`EVIOCGABS`); points are in millimetres when it reports resolutions.
//! - Capture: the device is grabbed (`EVIOCGRAB`) so that the pen does not also move the
//!   desktop pointer, events queued before the capture are discarded, and events are read with
//!   `poll(2)` deadlines: no touch within the timeout is [`CaptureError::Timeout`]; once
//!   written, the signature ends after [`EndRule::idle`] without pen contact, when
//!   [`EndRule::button`] is pressed, or after [`EndRule::max_duration`]. A device that goes
//!   away (`ENODEV`) is [`CaptureError::Disconnected`].
//! - Events become strokes in [`super::pen_events`], which holds the protocol logic.

use std::{
    os::fd::AsFd,
    path::PathBuf,
    time::{Duration, Instant, SystemTime},
};

use evdev::{AbsoluteAxisCode, BusType, Device, KeyCode};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::{
    CaptureError, DeviceInfo,
    pen_events::{AxisRange, PenEvent, PenPhase, PenSetup, StrokeAssembler},
    signature_pad::{EndRule, SignatureCapture, SignaturePad},
};

/// Longest single wait in `poll(2)`, so that deadlines are checked often enough.
const POLL_SLICE: Duration = Duration::from_millis(100);

/// A pen device read through evdev.
pub struct EvdevPad {
    info: DeviceInfo,
    device: Device,
    setup: PenSetup,
    end: EndRule,
}

impl std::fmt::Debug for EvdevPad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvdevPad")
            .field("info", &self.info)
            .field("setup", &self.setup)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

/// A pen device found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PenDevice {
    /// Its event node.
    pub path: PathBuf,
    /// The name the driver gives it.
    pub name: String,
}

/// Every pen device present (readable by this process), sorted by path.
pub fn pen_devices() -> Vec<PenDevice> {
    let mut found: Vec<PenDevice> = evdev::enumerate()
        .filter(|(_, d)| is_pen(d))
        .map(|(path, d)| PenDevice {
            path,
            name: d.name().unwrap_or_default().to_owned(),
        })
        .collect();
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

impl EvdevPad {
    /// Opens the pen device `spec` (a path, or a name to match) with end rule `end`.
    pub fn open(spec: &str, end: EndRule) -> Result<Self, CaptureError> {
        let selector = format!("evdev:{spec}");
        let (path, device) = if spec.starts_with('/') {
            let device = Device::open(spec).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => CaptureError::NotFound {
                    selector: selector.clone(),
                },
                _ => CaptureError::Device {
                    device: selector.clone(),
                    message: format!("cannot open {spec}: {e}"),
                },
            })?;
            (PathBuf::from(spec), device)
        } else {
            find_by_name(spec, &selector)?
        };
        let setup = pen_setup(&device, end.button).map_err(|message| CaptureError::Device {
            device: selector.clone(),
            message: format!("{} is not a usable pen: {message}", path.display()),
        })?;
        let id = device.input_id();
        let info = DeviceInfo {
            selector,
            name: device.name().unwrap_or("unnamed input device").to_owned(),
            backend: "evdev".into(),
            usb_id: (id.bus_type() == BusType::BUS_USB).then(|| (id.vendor(), id.product())),
            serial: device
                .unique_name()
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        };
        Ok(Self {
            info,
            device,
            setup,
            end,
        })
    }

    /// The pen's axes as the device reports them.
    pub fn setup(&self) -> &PenSetup {
        &self.setup
    }

    fn io_error(&self, e: &std::io::Error) -> CaptureError {
        io_error(&self.info.selector, e)
    }

    /// Reads whatever is queued, feeding it to `sink`; `Ok(false)` when nothing was queued.
    fn read_queued(&mut self, sink: &mut dyn FnMut(PenEvent)) -> Result<bool, CaptureError> {
        let selector = &self.info.selector;
        match self.device.fetch_events() {
            Ok(events) => {
                for e in events {
                    sink(PenEvent {
                        time_us: micros(e.timestamp()),
                        kind: e.event_type().0,
                        code: e.code(),
                        value: e.value(),
                    });
                }
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(false),
            Err(e) => Err(io_error(selector, &e)),
        }
    }

    fn wait(&self, slice: Duration) -> Result<(), CaptureError> {
        let ms = u16::try_from(slice.min(POLL_SLICE).as_millis()).unwrap_or(100);
        let mut fds = [PollFd::new(self.device.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(self.io_error(&std::io::Error::from(e))),
        }
        let hung_up = fds
            .first()
            .and_then(|f| f.revents())
            .is_some_and(|r| r.intersects(PollFlags::POLLHUP | PollFlags::POLLERR));
        if hung_up {
            return Err(CaptureError::Disconnected {
                device: self.info.selector.clone(),
            });
        }
        Ok(())
    }

    fn collect(&mut self, timeout: Duration) -> Result<StrokeAssembler, CaptureError> {
        let mut strokes = StrokeAssembler::new(self.setup).map_err(|e| CaptureError::Device {
            device: self.info.selector.clone(),
            message: e.to_string(),
        })?;
        if let Ok(state) = self.device.get_abs_state() {
            let value =
                |code: AbsoluteAxisCode| state.get(usize::from(code.0)).map_or(0, |a| a.value);
            strokes.set_position(
                value(AbsoluteAxisCode::ABS_X),
                value(AbsoluteAxisCode::ABS_Y),
            );
        }
        // Events queued before the capture (an earlier applicant, a pen resting nearby) are
        // not part of this signature.
        while self.read_queued(&mut |_| {})? {}
        let start = Instant::now();
        let mut first_touch: Option<Instant> = None;
        let mut lifted: Option<Instant> = None;
        loop {
            let now = Instant::now();
            let deadline = match strokes.phase() {
                PenPhase::Ended => return Ok(strokes),
                PenPhase::Waiting => start + timeout,
                PenPhase::Writing => first_touch.unwrap_or(start) + self.end.max_duration,
                PenPhase::Lifted { .. } => {
                    let idle_end = lifted.unwrap_or(now) + self.end.idle;
                    idle_end.min(first_touch.unwrap_or(start) + self.end.max_duration)
                }
            };
            if now >= deadline {
                if strokes.phase() == PenPhase::Waiting {
                    return Err(CaptureError::Timeout {
                        device: self.info.selector.clone(),
                        seconds: timeout.as_secs_f64(),
                    });
                }
                return Ok(strokes);
            }
            self.wait(deadline - now)?;
            let before = strokes.phase();
            self.read_queued(&mut |e| strokes.push(e))?;
            let after = strokes.phase();
            if before == PenPhase::Waiting && after != PenPhase::Waiting {
                first_touch = Some(Instant::now());
            }
            // A new pen-up (its event time differs from the last one seen) restarts the idle
            // clock.
            if matches!(after, PenPhase::Lifted { .. }) && after != before {
                lifted = Some(Instant::now());
            }
        }
    }
}

impl SignaturePad for EvdevPad {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn capture(&mut self, timeout: Duration) -> Result<SignatureCapture, CaptureError> {
        self.device
            .set_nonblocking(true)
            .map_err(|e| self.io_error(&e))?;
        if let Err(e) = self.device.grab() {
            tracing::warn!(
                device = %self.info.selector,
                "cannot grab the pen device ({e}); it may also move the desktop pointer"
            );
        }
        let outcome = self.collect(timeout);
        let _ = self.device.ungrab();
        let strokes = outcome?;
        if strokes.truncated() {
            tracing::warn!(device = %self.info.selector, "signature cut at the stroke or point limit");
        }
        let (strokes, area) = strokes.finish();
        Ok(SignatureCapture {
            strokes,
            area: Some(area),
            image: None,
            device: self.info.clone(),
        })
    }
}

fn io_error(selector: &str, e: &std::io::Error) -> CaptureError {
    if e.raw_os_error() == Some(nix::libc::ENODEV) {
        CaptureError::Disconnected {
            device: selector.to_owned(),
        }
    } else {
        CaptureError::Device {
            device: selector.to_owned(),
            message: e.to_string(),
        }
    }
}

/// Whether `d` is a pen: absolute X, Y and pressure, and a pen tool.
fn is_pen(d: &Device) -> bool {
    let abs = d.supported_absolute_axes();
    let keys = d.supported_keys();
    abs.is_some_and(|a| {
        a.contains(AbsoluteAxisCode::ABS_X)
            && a.contains(AbsoluteAxisCode::ABS_Y)
            && a.contains(AbsoluteAxisCode::ABS_PRESSURE)
    }) && keys.is_some_and(|k| k.contains(KeyCode::BTN_TOOL_PEN))
}

fn find_by_name(name: &str, selector: &str) -> Result<(PathBuf, Device), CaptureError> {
    let pens: Vec<(PathBuf, Device)> = evdev::enumerate().filter(|(_, d)| is_pen(d)).collect();
    let exact: Vec<usize> = (0..pens.len())
        .filter(|&i| pens.get(i).and_then(|(_, d)| d.name()) == Some(name))
        .collect();
    let wanted = name.to_lowercase();
    let matches = if exact.is_empty() {
        (0..pens.len())
            .filter(|&i| {
                pens.get(i)
                    .and_then(|(_, d)| d.name())
                    .is_some_and(|n| n.to_lowercase().contains(&wanted))
            })
            .collect()
    } else {
        exact
    };
    match matches.as_slice() {
        [] => {
            let present: Vec<String> = pens
                .iter()
                .map(|(p, d)| format!("{} ({})", d.name().unwrap_or("?"), p.display()))
                .collect();
            Err(CaptureError::BadSelector {
                selector: selector.to_owned(),
                reason: if present.is_empty() {
                    "no pen device is present (or readable: see /dev/input permissions)".into()
                } else {
                    format!(
                        "no pen device named like that; present: {}",
                        present.join(", ")
                    )
                },
            })
        }
        [one] => {
            let mut pens = pens;
            let i = *one;
            if i < pens.len() {
                Ok(pens.swap_remove(i))
            } else {
                Err(CaptureError::NotFound {
                    selector: selector.to_owned(),
                })
            }
        }
        many => Err(CaptureError::BadSelector {
            selector: selector.to_owned(),
            reason: format!(
                "{} pen devices match; use a path: {}",
                many.len(),
                many.iter()
                    .filter_map(|&i| pens.get(i))
                    .map(|(p, d)| format!("{} ({})", d.name().unwrap_or("?"), p.display()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

/// Reads the pen's axes from the device.
fn pen_setup(d: &Device, end_button: Option<u16>) -> Result<PenSetup, String> {
    let abs = d
        .get_absinfo()
        .map_err(|e| format!("cannot read axis ranges: {e}"))?;
    let (mut x, mut y, mut pressure) = (None, None, None);
    for (code, info) in abs {
        let range = AxisRange {
            min: info.minimum(),
            max: info.maximum(),
            resolution: info.resolution(),
        };
        match code {
            AbsoluteAxisCode::ABS_X => x = Some(range),
            AbsoluteAxisCode::ABS_Y => y = Some(range),
            AbsoluteAxisCode::ABS_PRESSURE => pressure = Some(range),
            _ => {}
        }
    }
    let has_touch = d
        .supported_keys()
        .is_some_and(|k| k.contains(KeyCode::BTN_TOUCH));
    let setup = PenSetup {
        x: x.ok_or("no ABS_X axis")?,
        y: y.ok_or("no ABS_Y axis")?,
        pressure,
        has_touch,
        end_button,
    };
    setup.check().map_err(|e| e.to_string())?;
    Ok(setup)
}

/// Microseconds since the Unix epoch (0 for times before it).
fn micros(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}
