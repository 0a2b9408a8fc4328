//! What every device reports about itself: the identity recorded with each capture and matched
//! against hardware profiles.

use std::fmt;

/// Identity of an attached (or simulated) device, used to match hardware profiles and to record
/// which device took a capture.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct DeviceInfo {
    /// The selector that opens this device again (`sim`, `still:face.jpg`, `v4l:0`, …).
    pub selector: String,
    /// Human-readable name as the device or driver reports it.
    pub name: String,
    /// Driver or backend (`simulator`, `libfprint`, `v4l2`, `pcsc`).
    pub backend: String,
    /// USB vendor and product id, when known.
    pub usb_id: Option<(u16, u16)>,
    /// Serial number or other stable id, when the device reports one.
    pub serial: Option<String>,
}

impl fmt::Display for DeviceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}, {})", self.name, self.backend, self.selector)?;
        if let Some((v, p)) = self.usb_id {
            write!(f, " [{v:04x}:{p:04x}]")?;
        }
        Ok(())
    }
}
