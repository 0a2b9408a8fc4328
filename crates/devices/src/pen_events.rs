//! Linux input events from a pen to strokes: the pure half of the evdev signature pad, kept
//! apart from the device so that it is tested and fuzzed without hardware.
//!
//! The Linux input protocol (kernel `Documentation/input/event-codes.rst`): a device reports
//! changes as `EV_ABS` (`ABS_X`, `ABS_Y`, `ABS_PRESSURE`) and `EV_KEY` (`BTN_TOUCH` when the tip
//! touches the surface, `BTN_TOOL_PEN` / `BTN_TOOL_RUBBER` when the tool is in range, side
//! buttons `BTN_STYLUS` / `BTN_STYLUS2`) events, and closes each consistent snapshot with
//! `EV_SYN SYN_REPORT`. `SYN_DROPPED` means the kernel buffer overflowed: events up to the next
//! `SYN_REPORT` are to be discarded. The numeric codes are the stable kernel ABI of
//! `include/uapi/linux/input-event-codes.h`.
//!
//! One point is recorded per `SYN_REPORT` while the tip touches; a stroke runs from the frame
//! where the tip lands to the frame where it lifts. Devices without `BTN_TOUCH` are read as
//! touching while the pressure is above zero. The eraser end does not ink.

use super::signature_pad::{MAX_POINTS, MAX_STROKES, PadArea, PenPoint, Stroke};
pub use permitkit_model::input_codes::*;

/// One input event: the fields of the kernel's `struct input_event`, with the time in
/// microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PenEvent {
    /// Event time in microseconds (any epoch; only differences are used).
    pub time_us: u64,
    /// `type` (`EV_SYN`, `EV_KEY`, `EV_ABS`, …).
    pub kind: u16,
    /// `code` (`ABS_X`, `BTN_TOUCH`, …).
    pub code: u16,
    /// `value`.
    pub value: i32,
}

/// The range the device reports for one absolute axis (`struct input_absinfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AxisRange {
    /// Smallest value.
    pub min: i32,
    /// Largest value.
    pub max: i32,
    /// Units per millimetre (0 when the device does not say).
    pub resolution: i32,
}

impl AxisRange {
    /// Number of units between `min` and `max`.
    fn span(&self) -> f64 {
        f64::from(self.max) - f64::from(self.min)
    }
}

/// What the pen reports and how the signature ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PenSetup {
    /// `ABS_X` range.
    pub x: AxisRange,
    /// `ABS_Y` range.
    pub y: AxisRange,
    /// `ABS_PRESSURE` range, if the device reports pressure.
    pub pressure: Option<AxisRange>,
    /// Whether the device reports `BTN_TOUCH` (otherwise contact is pressure above zero).
    pub has_touch: bool,
    /// A key or button code that ends the signature when pressed.
    pub end_button: Option<u16>,
}

/// Why a setup cannot describe a pen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PenSetupError {
    /// An axis range that is empty or reversed.
    #[error("{axis} range {min}..={max} is empty")]
    EmptyRange {
        /// `ABS_X`, `ABS_Y` or `ABS_PRESSURE`.
        axis: &'static str,
        /// Reported minimum.
        min: i32,
        /// Reported maximum.
        max: i32,
    },
    /// Neither `BTN_TOUCH` nor pressure: contact cannot be told from hovering.
    #[error("the device reports neither BTN_TOUCH nor ABS_PRESSURE")]
    NoContact,
}

impl PenSetup {
    /// Checks the ranges.
    pub fn check(&self) -> Result<(), PenSetupError> {
        let axes = [
            ("ABS_X", Some(self.x)),
            ("ABS_Y", Some(self.y)),
            ("ABS_PRESSURE", self.pressure),
        ];
        for (axis, range) in axes {
            if let Some(r) = range
                && r.max <= r.min
            {
                return Err(PenSetupError::EmptyRange {
                    axis,
                    min: r.min,
                    max: r.max,
                });
            }
        }
        if !self.has_touch && self.pressure.is_none() {
            return Err(PenSetupError::NoContact);
        }
        Ok(())
    }

    /// The active area in pad units: millimetres when both axes report a resolution, otherwise
    /// device units (assumed square).
    pub fn area(&self) -> PadArea {
        let (sx, sy, per_mm) = self.scale();
        PadArea {
            width: to_f32(self.x.span() * sx),
            height: to_f32(self.y.span() * sy),
            units_per_mm: per_mm,
        }
    }

    /// Factors from device units to pad units on x and y, and pad units per millimetre.
    fn scale(&self) -> (f64, f64, Option<f32>) {
        if self.x.resolution > 0 && self.y.resolution > 0 {
            (
                1.0 / f64::from(self.x.resolution),
                1.0 / f64::from(self.y.resolution),
                Some(1.0),
            )
        } else {
            (1.0, 1.0, None)
        }
    }
}

/// Where a capture stands after the events so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PenPhase {
    /// Nothing written yet.
    Waiting,
    /// The tip is on the pad.
    Writing,
    /// At least one stroke, and the tip is up; carries the time the tip last lifted (µs).
    Lifted {
        /// Event time of the last pen-up.
        since_us: u64,
    },
    /// The end button was pressed, or the limits were reached.
    Ended,
}

/// Builds strokes from pen events.
#[derive(Debug, Clone)]
pub struct StrokeAssembler {
    setup: PenSetup,
    scale: (f64, f64),
    area: PadArea,
    // Device state as of the events read so far.
    x: i32,
    y: i32,
    pressure: i32,
    touch: bool,
    rubber: bool,
    // State at the last SYN_REPORT.
    was_touching: bool,
    dropping: bool,
    first_time_us: Option<u64>,
    strokes: Vec<Stroke>,
    current: Option<Stroke>,
    points: usize,
    phase: PenPhase,
    truncated: bool,
}

impl StrokeAssembler {
    /// A fresh assembler for a pen described by `setup`.
    pub fn new(setup: PenSetup) -> Result<Self, PenSetupError> {
        setup.check()?;
        let (sx, sy, _) = setup.scale();
        Ok(Self {
            setup,
            scale: (sx, sy),
            area: setup.area(),
            x: setup.x.min,
            y: setup.y.min,
            pressure: 0,
            touch: false,
            rubber: false,
            was_touching: false,
            dropping: false,
            first_time_us: None,
            strokes: Vec::new(),
            current: None,
            points: 0,
            phase: PenPhase::Waiting,
            truncated: false,
        })
    }

    /// Sets the device state read before the first event (`EVIOCGABS` values), so that a pen
    /// already resting on the pad starts at the right place.
    pub fn set_position(&mut self, x: i32, y: i32) {
        self.x = x;
        self.y = y;
    }

    /// Feeds one event.
    pub fn push(&mut self, e: PenEvent) {
        if self.phase == PenPhase::Ended {
            return;
        }
        let first = *self.first_time_us.get_or_insert(e.time_us);
        match (e.kind, e.code) {
            (EV_SYN, SYN_DROPPED) => {
                // The snapshot is incomplete: discard up to the next SYN_REPORT, and end the
                // stroke, whose continuity is lost.
                self.dropping = true;
                self.close_stroke(e.time_us);
            }
            (EV_SYN, SYN_REPORT) => {
                if std::mem::take(&mut self.dropping) {
                    return;
                }
                self.frame(e.time_us, first);
            }
            _ if self.dropping => {}
            (EV_ABS, ABS_X) => self.x = e.value,
            (EV_ABS, ABS_Y) => self.y = e.value,
            (EV_ABS, ABS_PRESSURE) => self.pressure = e.value,
            (EV_KEY, BTN_TOUCH) => self.touch = e.value != 0,
            (EV_KEY, BTN_TOOL_RUBBER) => self.rubber = e.value != 0,
            (EV_KEY, code) if Some(code) == self.setup.end_button && e.value == 1 => {
                self.close_stroke(e.time_us);
                self.phase = PenPhase::Ended;
            }
            _ => {}
        }
    }

    /// Where the capture stands.
    pub fn phase(&self) -> PenPhase {
        self.phase
    }

    /// Number of finished and current strokes.
    pub fn stroke_count(&self) -> usize {
        self.strokes.len() + usize::from(self.current.is_some())
    }

    /// Whether samples were dropped because a limit was reached.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The strokes so far (a stroke still being written is closed) and the area they are on.
    pub fn finish(mut self) -> (Vec<Stroke>, PadArea) {
        if let Some(s) = self.current.take() {
            self.strokes.push(s);
        }
        (self.strokes, self.area)
    }

    fn touching(&self) -> bool {
        if self.rubber {
            return false;
        }
        if self.setup.has_touch {
            self.touch
        } else {
            self.pressure > self.setup.pressure.map_or(0, |p| p.min)
        }
    }

    fn frame(&mut self, time_us: u64, first: u64) {
        let touching = self.touching();
        if touching {
            if self.current.is_none() {
                if self.strokes.len() >= MAX_STROKES {
                    self.truncated = true;
                    self.phase = PenPhase::Ended;
                    return;
                }
                self.current = Some(Stroke::default());
            }
            if self.points >= MAX_POINTS {
                self.truncated = true;
                self.close_stroke(time_us);
                self.phase = PenPhase::Ended;
                return;
            }
            let point = self.point(time_us.saturating_sub(first));
            if let Some(s) = self.current.as_mut() {
                s.points.push(point);
                self.points += 1;
            }
            self.phase = PenPhase::Writing;
        } else if self.was_touching {
            self.close_stroke(time_us);
        }
        self.was_touching = touching;
    }

    fn close_stroke(&mut self, time_us: u64) {
        self.was_touching = false;
        if let Some(s) = self.current.take() {
            self.strokes.push(s);
        }
        if !self.strokes.is_empty() && self.phase != PenPhase::Ended {
            self.phase = PenPhase::Lifted { since_us: time_us };
        }
    }

    fn point(&self, t_us: u64) -> PenPoint {
        let x = (f64::from(self.x.clamp(self.setup.x.min, self.setup.x.max))
            - f64::from(self.setup.x.min))
            * self.scale.0;
        let y = (f64::from(self.y.clamp(self.setup.y.min, self.setup.y.max))
            - f64::from(self.setup.y.min))
            * self.scale.1;
        let pressure = match self.setup.pressure {
            Some(r) => (f64::from(self.pressure.clamp(r.min, r.max)) - f64::from(r.min)) / r.span(),
            // No pressure axis: a constant medium line.
            None => 0.5,
        };
        PenPoint {
            x: to_f32(x),
            y: to_f32(y),
            pressure: to_f32(pressure),
            t_ms: u32::try_from(t_us / 1000).unwrap_or(u32::MAX),
        }
    }
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "pad coordinates: f32 precision is ample"
)]
fn to_f32(v: f64) -> f32 {
    v as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(end_button: Option<u16>) -> PenSetup {
        PenSetup {
            x: AxisRange {
                min: 0,
                max: 15200,
                resolution: 100,
            },
            y: AxisRange {
                min: 0,
                max: 9500,
                resolution: 100,
            },
            pressure: Some(AxisRange {
                min: 0,
                max: 2047,
                resolution: 0,
            }),
            has_touch: true,
            end_button,
        }
    }

    fn ev(time_us: u64, kind: u16, code: u16, value: i32) -> PenEvent {
        PenEvent {
            time_us,
            kind,
            code,
            value,
        }
    }

    /// Events for a pen that lands at `(x, y)`, moves `n` steps right and lifts.
    fn stroke_events(t0: u64, x: i32, y: i32, n: i32) -> Vec<PenEvent> {
        let mut v = vec![
            ev(t0, EV_KEY, BTN_TOOL_PEN, 1),
            ev(t0, EV_ABS, ABS_X, x),
            ev(t0, EV_ABS, ABS_Y, y),
            ev(t0, EV_ABS, ABS_PRESSURE, 1000),
            ev(t0, EV_KEY, BTN_TOUCH, 1),
            ev(t0, EV_SYN, SYN_REPORT, 0),
        ];
        for i in 1..=n {
            let t = t0 + u64::try_from(i).unwrap() * 5000;
            v.push(ev(t, EV_ABS, ABS_X, x + i * 100));
            v.push(ev(t, EV_ABS, ABS_PRESSURE, 1000 + i * 10));
            v.push(ev(t, EV_SYN, SYN_REPORT, 0));
        }
        let t = t0 + u64::try_from(n + 1).unwrap() * 5000;
        v.push(ev(t, EV_KEY, BTN_TOUCH, 0));
        v.push(ev(t, EV_ABS, ABS_PRESSURE, 0));
        v.push(ev(t, EV_SYN, SYN_REPORT, 0));
        v
    }

    #[test]
    fn frames_become_points_in_millimetres() {
        let mut a = StrokeAssembler::new(setup(None)).unwrap();
        assert_eq!(a.phase(), PenPhase::Waiting);
        for e in stroke_events(1_000_000, 1000, 2000, 10) {
            a.push(e);
        }
        assert_eq!(
            a.phase(),
            PenPhase::Lifted {
                since_us: 1_055_000
            }
        );
        let (strokes, area) = a.finish();
        assert_eq!(area.width, 152.0);
        assert_eq!(area.height, 95.0);
        assert_eq!(area.units_per_mm, Some(1.0));
        assert_eq!(strokes.len(), 1);
        let p = &strokes[0].points;
        assert_eq!(p.len(), 11);
        assert_eq!((p[0].x, p[0].y, p[0].t_ms), (10.0, 20.0, 0));
        assert_eq!((p[10].x, p[10].t_ms), (20.0, 50));
        assert!((p[0].pressure - 1000.0 / 2047.0).abs() < 1e-6);
    }

    #[test]
    fn hovering_and_the_eraser_do_not_ink() {
        let mut a = StrokeAssembler::new(setup(None)).unwrap();
        a.push(ev(0, EV_KEY, BTN_TOOL_PEN, 1));
        a.push(ev(0, EV_ABS, ABS_X, 500));
        a.push(ev(0, EV_SYN, SYN_REPORT, 0));
        a.push(ev(10, EV_KEY, BTN_TOOL_PEN, 0));
        a.push(ev(10, EV_KEY, BTN_TOOL_RUBBER, 1));
        a.push(ev(10, EV_KEY, BTN_TOUCH, 1));
        a.push(ev(10, EV_SYN, SYN_REPORT, 0));
        assert_eq!(a.phase(), PenPhase::Waiting);
        assert!(a.finish().0.is_empty());
    }

    #[test]
    fn several_strokes_and_the_end_button() {
        let mut a = StrokeAssembler::new(setup(Some(BTN_STYLUS2))).unwrap();
        for e in stroke_events(0, 100, 100, 3)
            .into_iter()
            .chain(stroke_events(100_000, 1000, 200, 4))
        {
            a.push(e);
        }
        assert_eq!(a.stroke_count(), 2);
        a.push(ev(200_000, EV_KEY, BTN_STYLUS2, 1));
        assert_eq!(a.phase(), PenPhase::Ended);
        // Nothing after the end counts.
        for e in stroke_events(300_000, 100, 100, 3) {
            a.push(e);
        }
        let (s, _) = a.finish();
        assert_eq!(s.iter().map(|s| s.points.len()).collect::<Vec<_>>(), [4, 5]);
    }

    #[test]
    fn syn_dropped_discards_the_partial_frame_and_breaks_the_stroke() {
        let mut a = StrokeAssembler::new(setup(None)).unwrap();
        let events = stroke_events(0, 100, 100, 6);
        for e in &events[..9] {
            a.push(*e);
        }
        a.push(ev(20_000, EV_ABS, ABS_X, 9000));
        a.push(ev(20_000, EV_SYN, SYN_DROPPED, 0));
        a.push(ev(20_000, EV_ABS, ABS_X, 9100));
        a.push(ev(20_000, EV_SYN, SYN_REPORT, 0));
        for e in &events[9..] {
            a.push(*e);
        }
        let (s, _) = a.finish();
        assert_eq!(s.len(), 2, "the gap splits the stroke");
        assert!(
            s.iter().flat_map(|s| &s.points).all(|p| p.x < 90.0),
            "no point from the dropped frame"
        );
    }

    #[test]
    fn pressure_only_devices_and_bad_setups() {
        let mut s = setup(None);
        s.has_touch = false;
        let mut a = StrokeAssembler::new(s).unwrap();
        a.push(ev(0, EV_ABS, ABS_PRESSURE, 300));
        a.push(ev(0, EV_SYN, SYN_REPORT, 0));
        a.push(ev(5000, EV_ABS, ABS_PRESSURE, 0));
        a.push(ev(5000, EV_SYN, SYN_REPORT, 0));
        assert_eq!(a.finish().0.len(), 1);
        s.pressure = None;
        assert_eq!(
            StrokeAssembler::new(s).unwrap_err(),
            PenSetupError::NoContact
        );
        let mut s = setup(None);
        s.x.max = 0;
        assert!(matches!(
            StrokeAssembler::new(s).unwrap_err(),
            PenSetupError::EmptyRange { axis: "ABS_X", .. }
        ));
    }

    #[test]
    fn values_outside_the_range_are_clamped_and_limits_hold() {
        let mut a = StrokeAssembler::new(setup(None)).unwrap();
        a.push(ev(0, EV_ABS, ABS_X, i32::MAX));
        a.push(ev(0, EV_ABS, ABS_Y, i32::MIN));
        a.push(ev(0, EV_ABS, ABS_PRESSURE, -5));
        a.push(ev(0, EV_KEY, BTN_TOUCH, 1));
        a.push(ev(0, EV_SYN, SYN_REPORT, 0));
        for i in 0..(MAX_POINTS as u64 + 10) {
            a.push(ev(i, EV_SYN, SYN_REPORT, 0));
        }
        assert!(a.truncated());
        assert_eq!(a.phase(), PenPhase::Ended);
        let (s, area) = a.finish();
        let p = s[0].points[0];
        assert_eq!((p.x, p.y, p.pressure), (area.width, 0.0, 0.0));
        assert_eq!(s.iter().map(|s| s.points.len()).sum::<usize>(), MAX_POINTS);
    }
}
