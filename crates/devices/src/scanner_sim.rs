//! The simulated fingerprint scanner (selector `sim` or `sim:<seed>`): synthetic prints from
//! [`permitkit_synth`], one distinct finger per position of a simulated person, a new impression
//! per capture, and scriptable poor captures (blur, low contrast, partial, smudged/wet, dry,
//! empty) and failures (disconnect, timeout).
//!
//! Nothing here sleeps: a simulated timeout returns [`CaptureError::Timeout`] at once, reporting
//! the configured timeout, so tests that exercise it run instantly.

use std::{collections::VecDeque, time::Duration};

use super::{
    CaptureError, DeviceInfo,
    scanner::{DEFAULT_TIMEOUT, FingerImage, FingerprintScanner, ImpressionType, SCANNER_PPI},
};
use permitkit_biometrics::FingerPosition;
use permitkit_synth::{Condition, MasterFinger};

/// What the next capture does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SimEvent {
    /// A capture in the given condition.
    Capture(Condition),
    /// The device disappears; every later capture fails until [`SimScanner::reconnect`].
    Disconnect,
    /// No finger within the timeout.
    Timeout,
}

/// The simulated scanner.
#[derive(Debug, Clone)]
pub struct SimScanner {
    info: DeviceInfo,
    seed: u64,
    timeout: Duration,
    size: (u32, u32),
    script: VecDeque<SimEvent>,
    finger_conditions: Vec<(FingerPosition, Condition)>,
    impressions: [u32; 11],
    connected: bool,
    /// Grown fingers, kept so that repeated captures only re-render.
    fingers: Vec<(FingerPosition, MasterFinger)>,
}

impl SimScanner {
    /// A simulated person with seed `seed`, all fingers normal, 400 × 500 captures.
    pub fn new(seed: u64) -> Self {
        Self {
            info: DeviceInfo {
                selector: format!("sim:{seed}"),
                name: "Simulated fingerprint scanner".into(),
                backend: "simulator".into(),
                usb_id: None,
                serial: Some(format!("SIM-{seed:016X}")),
            },
            seed,
            timeout: DEFAULT_TIMEOUT,
            size: (400, 500),
            script: VecDeque::new(),
            finger_conditions: Vec::new(),
            impressions: [0; 11],
            connected: true,
            fingers: Vec::new(),
        }
    }

    /// Sets the timeout reported by simulated timeouts.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the capture size (pixels at 500 ppi; within [`synth::MIN_SIZE`]..=[`synth::MAX_SIZE`]).
    pub fn with_size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self.fingers.clear();
        self
    }

    /// Every capture of `finger` comes out in `condition` (e.g. [`Condition::Empty`] for a
    /// missing finger, [`Condition::Dry`] for worn skin), unless the script says otherwise.
    pub fn with_finger_condition(mut self, finger: FingerPosition, condition: Condition) -> Self {
        self.finger_conditions.retain(|(f, _)| *f != finger);
        self.finger_conditions.push((finger, condition));
        self
    }

    /// Queues `event` for a future capture; queued events are used first, in order.
    pub fn push(&mut self, event: SimEvent) {
        self.script.push_back(event);
    }

    /// Plugs the device back in after a simulated disconnect.
    pub fn reconnect(&mut self) {
        self.connected = true;
    }

    /// The synthetic-print seed used for `finger` of this simulated person.
    pub fn finger_seed(&self, finger: FingerPosition) -> u64 {
        self.seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(u64::from(finger.code()))
    }
}

impl FingerprintScanner for SimScanner {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn capture(&mut self, finger: FingerPosition) -> Result<FingerImage, CaptureError> {
        let device = self.info.selector.clone();
        if !self.connected {
            return Err(CaptureError::Disconnected { device });
        }
        let fallback = self
            .finger_conditions
            .iter()
            .find(|(f, _)| *f == finger)
            .map_or(Condition::Normal, |(_, c)| *c);
        let condition = match self.script.pop_front() {
            Some(SimEvent::Capture(c)) => c,
            Some(SimEvent::Disconnect) => {
                self.connected = false;
                return Err(CaptureError::Disconnected { device });
            }
            Some(SimEvent::Timeout) => {
                return Err(CaptureError::Timeout {
                    device,
                    seconds: self.timeout.as_secs_f64(),
                });
            }
            None => fallback,
        };
        let slot = self
            .impressions
            .get_mut(usize::from(finger.code()))
            .ok_or_else(|| CaptureError::Device {
                device: device.clone(),
                message: format!("no such finger {finger}"),
            })?;
        let impression = *slot;
        *slot = slot.wrapping_add(1);
        let master = match self.fingers.iter().position(|(f, _)| *f == finger) {
            Some(i) => self.fingers.get(i).map(|(_, m)| m),
            None => {
                let m = MasterFinger::new(self.finger_seed(finger), None, self.size.0, self.size.1)
                    .map_err(|e| CaptureError::Image {
                        device: device.clone(),
                        source: e.into(),
                    })?;
                self.fingers.push((finger, m));
                self.fingers.last().map(|(_, m)| m)
            }
        };
        let image = master
            .ok_or_else(|| CaptureError::Device {
                device,
                message: "simulated finger missing".into(),
            })?
            .impression(condition, impression);
        Ok(FingerImage {
            image,
            ppi: SCANNER_PPI,
            position: finger,
            impression: ImpressionType::LivePlain,
            device: self.info.clone(),
        })
    }
}
