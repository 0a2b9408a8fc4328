//! Device selectors: the strings that name a device in station profiles and on the command line
//! (`sim`, `still:<path>`, `v4l:<id>`, `libfprint:<n>`, `image:<file>`, `evdev:<name>`),
//! parsed once into typed values (ARCHITECTURE.md, "Devices"). The device backends open what a
//! selector names; profiles check selectors without knowing any backend.

use std::{fmt, path::PathBuf, str::FromStr};

/// A selector that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad device selector {selector:?}: {reason}")]
pub struct SelectorError {
    /// The selector given.
    pub selector: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A parsed camera selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraSelector {
    /// `sim` or `sim:<scenario>`: the simulated camera.
    Sim(String),
    /// `still:<path>`: replay an image file or every image in a folder.
    Still(PathBuf),
    /// `v4l:<id>`: a V4L2 webcam by stable id, device path or index.
    V4l(String),
}

impl FromStr for CameraSelector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| SelectorError {
            selector: s.to_owned(),
            reason: reason.to_owned(),
        };
        if s == "sim" {
            return Ok(CameraSelector::Sim(String::new()));
        }
        let (kind, rest) = s
            .split_once(':')
            .ok_or_else(|| bad("expected sim, still:<path> or v4l:<id>"))?;
        if rest.is_empty() {
            return Err(bad("nothing after the colon"));
        }
        match kind {
            "sim" => Ok(CameraSelector::Sim(rest.to_owned())),
            "still" => Ok(CameraSelector::Still(PathBuf::from(rest))),
            "v4l" => {
                if rest.chars().any(char::is_control) {
                    return Err(bad("control characters in the device id"));
                }
                Ok(CameraSelector::V4l(rest.to_owned()))
            }
            other => Err(bad(&format!(
                "unknown camera kind {other:?} (expected sim, still or v4l)"
            ))),
        }
    }
}

impl fmt::Display for CameraSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CameraSelector::Sim(s) if s.is_empty() => f.write_str("sim"),
            CameraSelector::Sim(s) => write!(f, "sim:{s}"),
            CameraSelector::Still(p) => write!(f, "still:{}", p.display()),
            CameraSelector::V4l(id) => write!(f, "v4l:{id}"),
        }
    }
}

/// A parsed scanner selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScannerSelector {
    /// The simulator with a seed (`sim` is seed 0).
    Sim {
        /// Seed of the simulated person's fingers.
        seed: u64,
    },
    /// A simulated scanner that is unplugged: every capture fails with a device error
    /// (`sim:unplugged`, for fault drills).
    SimUnplugged,
    /// The n-th device libfprint enumerates.
    Libfprint {
        /// Index in libfprint's device list, from 0.
        index: usize,
    },
}

impl FromStr for ScannerSelector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| SelectorError {
            selector: s.to_owned(),
            reason: reason.to_owned(),
        };
        let (kind, arg) = match s.split_once(':') {
            Some((k, a)) => (k, Some(a)),
            None => (s, None),
        };
        match (kind, arg) {
            ("sim", None) => Ok(ScannerSelector::Sim { seed: 0 }),
            ("sim", Some("unplugged")) => Ok(ScannerSelector::SimUnplugged),
            ("sim", Some(a)) => a
                .parse()
                .map(|seed| ScannerSelector::Sim { seed })
                .map_err(|_| bad("expected sim:<seed> (an unsigned integer) or sim:unplugged")),
            ("libfprint", Some(a)) => a
                .parse()
                .map(|index| ScannerSelector::Libfprint { index })
                .map_err(|_| bad("libfprint devices are chosen by index (libfprint:0)")),
            ("libfprint", None) => Err(bad("give a device index, e.g. libfprint:0")),
            _ => Err(bad("expected sim, sim:<seed> or libfprint:<n>")),
        }
    }
}

impl fmt::Display for ScannerSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScannerSelector::Sim { seed } => write!(f, "sim:{seed}"),
            ScannerSelector::SimUnplugged => f.write_str("sim:unplugged"),
            ScannerSelector::Libfprint { index } => write!(f, "libfprint:{index}"),
        }
    }
}

/// A parsed signature pad selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PadSelector {
    /// The simulator with a seed (`sim` is seed 0).
    Sim {
        /// Seed of the simulated signer.
        seed: u64,
    },
    /// A scanned image file.
    Image(PathBuf),
    /// A Linux input device, by `/dev/input/…` path or by device name.
    Evdev(String),
}

impl FromStr for PadSelector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| SelectorError {
            selector: s.to_owned(),
            reason: reason.to_owned(),
        };
        let (kind, arg) = match s.split_once(':') {
            Some((k, a)) => (k, Some(a)),
            None => (s, None),
        };
        match (kind, arg) {
            ("sim", None) => Ok(PadSelector::Sim { seed: 0 }),
            ("sim", Some(a)) => a
                .parse()
                .map(|seed| PadSelector::Sim { seed })
                .map_err(|_| bad("the simulator seed must be an unsigned integer (sim:42)")),
            ("image", Some(a)) if !a.is_empty() => Ok(PadSelector::Image(PathBuf::from(a))),
            ("evdev", Some(a)) if !a.trim().is_empty() => {
                if a.chars().any(char::is_control) {
                    return Err(bad("control characters in the device name"));
                }
                Ok(PadSelector::Evdev(a.to_owned()))
            }
            ("image", _) => Err(bad("give a file, e.g. image:signature.png")),
            ("evdev", _) => Err(bad(
                "give a device path or name, e.g. evdev:/dev/input/event5",
            )),
            _ => Err(bad(
                "expected sim, sim:<seed>, image:<file> or evdev:<path or name>",
            )),
        }
    }
}

impl fmt::Display for PadSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PadSelector::Sim { seed } => write!(f, "sim:{seed}"),
            PadSelector::Image(p) => write!(f, "image:{}", p.display()),
            PadSelector::Evdev(d) => write!(f, "evdev:{d}"),
        }
    }
}
