//! Capture devices and card readers, each behind a trait with a simulator beside the real
//! backend (ARCHITECTURE.md §4). Devices are chosen by selector strings: `sim`,
//! `pcsc:<reader name glob>`, `still:<path>`, `v4l:<id>`, `libfprint:<n>`, `image:<file>`,
//! `evdev:<path or name>`.
//!
//! Only this module, the vpcd bridge and the CLI do I/O.

mod atomic_file;
pub mod camera;
#[cfg(feature = "camera")]
pub mod camera_nokhwa;
pub mod camera_sim;
pub mod card_feeder;
pub mod card_reader;
pub mod chip_image_dir;
pub mod factory;
pub mod file_journal;
mod info;
pub mod pen_events;
pub mod scanner;
#[cfg(feature = "libfprint")]
pub mod scanner_libfprint;
pub mod scanner_sim;
#[cfg(all(feature = "evdev", target_os = "linux"))]
pub mod signature_evdev;
pub mod signature_image;
pub mod signature_ink;
pub mod signature_pad;
pub mod signature_sim;
pub mod sim_state;
pub mod still;
pub mod vpcd;

pub use info::{CaptureError, DeviceInfo, ImageError};
#[cfg(feature = "pcsc")]
pub mod reader_pcsc;
