//! Capture devices and card readers, each behind a trait with a simulator beside the real
//! backend (ARCHITECTURE.md §4). Devices are chosen by selector strings: `sim`,
//! `pcsc:<reader name glob>`, `still:<path>`, `v4l:<id>`, `libfprint:<n>`.
//!
//! Only this module, the vpcd bridge and the CLI do I/O.

pub mod info;

pub use info::{CaptureError, DeviceInfo};
#[cfg(feature = "pcsc")]
pub mod reader_pcsc;
