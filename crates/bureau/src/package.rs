//! The application package a station sends: the applicant file exactly as the station
//! validated it, and the captures as the station accepted them (the portrait prepared for the
//! chip, WSQ fingers, the signature image). The request carrying it is signed by the station's
//! key ([`crate::auth`]) and the package sealed to the bureau's key-agreement key (CMS
//! EnvelopedData, `permitkit_pki::envelope`); the bureau keeps only the package's SHA-256 and
//! the station's signature.
//!
//! Binary parts travel as hex in JSON. `Debug` prints lengths, never content: the package is
//! personal data and biometrics.

use std::fmt;

use serde::{Deserialize, Serialize};

use permitkit_station::applicant::{Captures, FingerCapture, Portrait};

/// Package format version.
pub const FORMAT: u32 = 1;
/// Largest (sealed) package body the bureau reads (bytes).
pub const MAX_PACKAGE_BYTES: usize = 4 << 20;

/// One application package.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    /// Always [`FORMAT`].
    pub format: u32,
    /// The applicant file (TOML), as the station validated it.
    pub applicant: String,
    /// The portrait for DG2.
    pub portrait: PortraitPart,
    /// Accepted fingers for DG3.
    #[serde(default)]
    pub fingers: Vec<FingerPart>,
    /// The signature image (JPEG, hex) for DG7.
    #[serde(default)]
    pub signature_jpeg: Option<String>,
}

/// The portrait as prepared for the chip.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortraitPart {
    /// JPEG, hex.
    pub jpeg: String,
    /// Width, pixels.
    pub width: u16,
    /// Height, pixels.
    pub height: u16,
    /// ISO/IEC 19794-5 colour space code.
    pub colour_space: u8,
    /// Subject's left eye centre.
    pub left_eye: Option<(u16, u16)>,
    /// Subject's right eye centre.
    pub right_eye: Option<(u16, u16)>,
}

/// One accepted finger.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FingerPart {
    /// Finger position name (`right-index`).
    pub position: String,
    /// The station's quality score.
    pub quality: u8,
    /// Width, pixels.
    pub width: u16,
    /// Height, pixels.
    pub height: u16,
    /// WSQ, hex.
    pub wsq: String,
}

impl fmt::Debug for Package {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Package(format {}, applicant <{} bytes>, portrait <{} hex>, {} fingers, signature {})",
            self.format,
            self.applicant.len(),
            self.portrait.jpeg.len(),
            self.fingers.len(),
            self.signature_jpeg.is_some()
        )
    }
}

impl fmt::Debug for PortraitPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PortraitPart({}x{})", self.width, self.height)
    }
}

impl fmt::Debug for FingerPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FingerPart({}, q{})", self.position, self.quality)
    }
}

impl Package {
    /// The package of an applicant file and the station's accepted captures.
    pub fn new(applicant: String, captures: &Captures) -> Self {
        let p = &captures.portrait;
        Self {
            format: FORMAT,
            applicant,
            portrait: PortraitPart {
                jpeg: hex::encode(&p.jpeg),
                width: p.width,
                height: p.height,
                colour_space: p.colour_space,
                left_eye: p.left_eye,
                right_eye: p.right_eye,
            },
            fingers: captures
                .fingers
                .iter()
                .map(|f| FingerPart {
                    position: f.position.to_string(),
                    quality: f.quality,
                    width: f.width,
                    height: f.height,
                    wsq: hex::encode(&f.wsq),
                })
                .collect(),
            signature_jpeg: captures.signature_jpeg.as_ref().map(hex::encode),
        }
    }

    /// The captures, decoded; `Err` names the part that does not decode.
    pub fn captures(&self) -> Result<Captures, String> {
        let hex_part =
            |what: &str, s: &str| hex::decode(s).map_err(|_| format!("{what}: not hexadecimal"));
        let p = &self.portrait;
        let fingers = self
            .fingers
            .iter()
            .map(|f| {
                Ok(FingerCapture {
                    position: f
                        .position
                        .parse()
                        .map_err(|_| format!("fingers: unknown position {:?}", f.position))?,
                    quality: f.quality,
                    width: f.width,
                    height: f.height,
                    wsq: hex_part("fingers.wsq", &f.wsq)?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Captures {
            portrait: Portrait {
                jpeg: hex_part("portrait.jpeg", &p.jpeg)?,
                width: p.width,
                height: p.height,
                colour_space: p.colour_space,
                left_eye: p.left_eye,
                right_eye: p.right_eye,
            },
            fingers,
            signature_jpeg: self
                .signature_jpeg
                .as_deref()
                .map(|s| hex_part("signature_jpeg", s))
                .transpose()?,
        })
    }
}
