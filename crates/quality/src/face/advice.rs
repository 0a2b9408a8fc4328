//! What a face check tells the operator, as data: one [`Advice`] per finding, with the figures
//! and the sides it speaks of, so that a screen can say it in its own language. Its `Display`
//! is the report's English message ([`Check::message`](super::Check::message)).
//!
//! Each advice belongs to one check, and so to the ICAO Doc 9303-3 photo requirement and the
//! ISO/IEC 29794-5 quality component(s) that check measures
//! ([`CheckId::component`](super::CheckId::component)).

use std::fmt;

use serde::Serialize;

/// A side of the image as the camera sees it (the subject's own left is on the image's right).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// The image's left.
    Left,
    /// The image's right.
    Right,
}

impl Side {
    /// The other side.
    pub fn opposite(self) -> Side {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
        }
    }
}

/// Which of the subject's eyes an advice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Eyes {
    /// Both eyes.
    Both,
    /// The eye on the image's left (the subject's right).
    ImageLeft,
    /// The eye on the image's right (the subject's left).
    ImageRight,
}

/// Where the ICAO crop (ISO/IEC 19794-5 §8.3) lacks room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Margin {
    /// Above the head.
    AboveHead,
    /// Below the chin.
    BelowChin,
    /// Above the head and below the chin.
    Both,
}

/// A colour cast on the green–red axis (CIELAB a*).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RedGreen {
    /// Green.
    Green,
    /// Red or magenta.
    RedMagenta,
}

/// A colour cast on the blue–yellow axis (CIELAB b*).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlueYellow {
    /// Blue.
    Blue,
    /// Yellow.
    Yellow,
}

/// The eyes-open figures, subject's right eye first, as fractions of the inter-eye distance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EyeFigures {
    /// Eyelid opening of each eye.
    pub lids: [f32; 2],
    /// Height of the visible iris band of each eye.
    pub iris_band: [f32; 2],
}

/// The glasses figures, as fractions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GlassesFigures {
    /// Strength of frame edges around the eyes.
    pub frames: f32,
    /// Share of the lens clipped white beyond the cheeks'.
    pub reflection: f32,
    /// Darkening of the skin seen through the lens.
    pub tint: f32,
}

/// The head-covering figures of the band above the forehead.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CoveringFigures {
    /// Share in a colour that is not hair's nor the background's.
    pub foreign: f32,
    /// Share smooth like cloth.
    pub smooth: f32,
    /// Median texture.
    pub texture: f32,
}

/// The exposure figures of the face, as fractions (0–1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ExposureFigures {
    /// Mean luminance.
    pub mean: f64,
    /// Standard deviation of the luminance.
    pub spread: f64,
    /// Share crushed to black.
    pub black: f64,
    /// Share clipped to white.
    pub clipped: f64,
}

/// The background figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BackgroundFigures {
    /// Texture.
    pub texture: f64,
    /// Colour spread (CIELAB ΔE).
    pub colour_spread: f64,
    /// Mean luminance (0–1).
    pub luminance: f64,
}

/// The colour figures of the skin (CIELAB means).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ColourFigures {
    /// Mean a*.
    pub a: f64,
    /// Mean b*.
    pub b: f64,
    /// Mean chroma.
    pub chroma: f64,
}

/// What a check found, for the operator: one variant per message, with its figures.
/// Degrees, shares and pixels are as measured; the messages round them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "advice", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Advice {
    /// No face found.
    NoFace,
    /// Exactly one face.
    OneFace,
    /// More faces than the applicant's.
    SeveralFaces {
        /// Faces found.
        count: usize,
    },
    /// The face mesh did not confirm the face: the landmark checks cannot run.
    FeaturesNotFound,
    /// Enough pixels between the eyes.
    EyeDistance {
        /// Inter-eye distance in pixels.
        pixels: f64,
    },
    /// Fewer pixels between the eyes than recommended.
    FewPixelsBetweenEyes {
        /// Inter-eye distance in pixels.
        pixels: f64,
        /// The recommended distance.
        recommended: f64,
    },
    /// Fewer pixels between the eyes than needed.
    TooFewPixelsBetweenEyes {
        /// Inter-eye distance in pixels.
        pixels: f64,
        /// The distance needed.
        needed: f64,
    },
    /// The eye line is level.
    EyeLineLevel {
        /// Whole degrees the eye line is within.
        within: f64,
    },
    /// The head is tilted (roll).
    HeadTilted {
        /// Degrees of tilt.
        degrees: f64,
        /// The side the head leans to.
        towards: Side,
    },
    /// The subject faces the camera.
    FacingCamera,
    /// The head is turned (yaw).
    HeadTurned {
        /// Degrees of turn.
        degrees: f64,
        /// The side the subject turns to.
        towards: Side,
    },
    /// The head is level (pitch).
    HeadLevel,
    /// The chin is raised.
    ChinRaised {
        /// Degrees of pitch.
        degrees: f64,
    },
    /// The head is bowed.
    HeadBowed {
        /// Degrees of pitch.
        degrees: f64,
    },
    /// The face is centred in the portrait.
    FaceCentred,
    /// The face is off centre.
    FaceOffCentre {
        /// Offset as a share of the portrait's width.
        share: f64,
        /// The side of centre the face is on.
        towards: Side,
    },
    /// No room for the crop on one side of the image.
    NoRoomBeside {
        /// The side lacking room.
        side: Side,
    },
    /// The head's height is right.
    HeadHeight {
        /// Head height as a share of the portrait's height.
        share: f64,
    },
    /// The head is too large in the portrait.
    HeadTooLarge {
        /// Head height as a share of the portrait's height.
        share: f64,
    },
    /// The head is too small in the portrait.
    HeadTooSmall {
        /// Head height as a share of the portrait's height.
        share: f64,
    },
    /// No room for the crop above the head, below the chin or both.
    NoRoomAboveOrBelow {
        /// Where room is missing.
        missing: Margin,
    },
    /// Both eyes open.
    EyesOpen {
        /// The measures.
        #[serde(flatten)]
        figures: EyeFigures,
    },
    /// An eye or both look closed.
    EyesClosed {
        /// Which.
        which: Eyes,
        /// The measures.
        #[serde(flatten)]
        figures: EyeFigures,
    },
    /// The mouth is closed.
    MouthClosed,
    /// The mouth is open.
    MouthOpen,
    /// Neutral expression.
    NeutralExpression,
    /// Smiling.
    Smiling,
    /// Both eyes clearly visible.
    EyesVisible,
    /// Glare over the eyes.
    GlareOverEyes,
    /// An eye or both hidden.
    EyesHidden {
        /// Which.
        which: Eyes,
    },
    /// No problem with glasses.
    NoGlassesProblem {
        /// The measures.
        #[serde(flatten)]
        figures: GlassesFigures,
    },
    /// Reflections on the glasses.
    GlassesReflection {
        /// The measures.
        #[serde(flatten)]
        figures: GlassesFigures,
    },
    /// Tinted lenses.
    TintedLenses {
        /// The measures.
        #[serde(flatten)]
        figures: GlassesFigures,
    },
    /// Clear glasses, allowed but better taken off.
    GlassesDiscouraged {
        /// The measures.
        #[serde(flatten)]
        figures: GlassesFigures,
    },
    /// Glasses, which the profile does not allow.
    GlassesNotAllowed {
        /// The measures.
        #[serde(flatten)]
        figures: GlassesFigures,
    },
    /// No head covering.
    NoHeadCovering {
        /// The measures.
        #[serde(flatten)]
        figures: CoveringFigures,
    },
    /// A head covering.
    HeadCovered {
        /// The measures.
        #[serde(flatten)]
        figures: CoveringFigures,
    },
    /// Even light on both halves of the face.
    EvenLight,
    /// A shadow on one half of the face.
    ShadowOnSide {
        /// The darker side.
        side: Side,
        /// How much darker, as a share.
        share: f64,
    },
    /// Good exposure.
    ExposureGood {
        /// The measures.
        #[serde(flatten)]
        figures: ExposureFigures,
    },
    /// The face is too dark.
    FaceTooDark {
        /// The measures.
        #[serde(flatten)]
        figures: ExposureFigures,
    },
    /// The face is too bright.
    FaceTooBright {
        /// The measures.
        #[serde(flatten)]
        figures: ExposureFigures,
    },
    /// Flat, low-contrast light.
    FlatLight {
        /// The measures.
        #[serde(flatten)]
        figures: ExposureFigures,
    },
    /// Parts of the face crushed to black.
    FaceCrushedBlack {
        /// The measures.
        #[serde(flatten)]
        figures: ExposureFigures,
    },
    /// Parts of the face clipped white.
    FaceBurntOut {
        /// The measures.
        #[serde(flatten)]
        figures: ExposureFigures,
    },
    /// Enough tonal range.
    TonalRange {
        /// Entropy in bits.
        bits: f64,
    },
    /// Too little tonal range.
    LowTonalRange {
        /// Entropy in bits.
        bits: f64,
    },
    /// The face is in focus.
    InFocus,
    /// The face is blurred.
    Blurred,
    /// No background around the head.
    NoBackgroundVisible,
    /// Plain, light background.
    PlainBackground {
        /// The measures.
        #[serde(flatten)]
        figures: BackgroundFigures,
    },
    /// The background is not plain.
    BackgroundNotPlain {
        /// The measures.
        #[serde(flatten)]
        figures: BackgroundFigures,
    },
    /// The background is too dark.
    BackgroundTooDark {
        /// The measures.
        #[serde(flatten)]
        figures: BackgroundFigures,
    },
    /// Natural colour.
    NaturalColour {
        /// The measures.
        #[serde(flatten)]
        figures: ColourFigures,
    },
    /// No colour in the face.
    NoColour {
        /// The measures.
        #[serde(flatten)]
        figures: ColourFigures,
    },
    /// A colour cast (at least one axis).
    ColourCast {
        /// The cast on the green–red axis, if any.
        red_green: Option<RedGreen>,
        /// The cast on the blue–yellow axis, if any.
        blue_yellow: Option<BlueYellow>,
        /// The measures.
        #[serde(flatten)]
        figures: ColourFigures,
    },
    /// No visible compression artefacts.
    NoCompressionArtefacts,
    /// JPEG block artefacts.
    BlockArtefacts,
    /// The image size is enough.
    ImageSize {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// The image is too small.
    ImageTooSmall {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
}

impl fmt::Display for EyeFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ([lr, ll], [ir, il]) = (self.lids, self.iris_band);
        write!(f, "lids {lr:.2} / {ll:.2}, iris band {ir:.2} / {il:.2} IED")
    }
}

impl fmt::Display for GlassesFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "frames {:.2}, reflection {:.1} %, tint {:.0} %",
            self.frames,
            100.0 * self.reflection,
            100.0 * self.tint
        )
    }
}

impl fmt::Display for CoveringFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.0} % of the band above the forehead in a colour not hair's, {:.0} % smooth like cloth; texture {:.3}",
            100.0 * self.foreign,
            100.0 * self.smooth,
            self.texture
        )
    }
}

impl fmt::Display for ExposureFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "mean {:.0} %, spread {:.0} %, {:.1} % black, {:.1} % clipped",
            self.mean * 100.0,
            self.spread * 100.0,
            self.black * 100.0,
            self.clipped * 100.0
        )
    }
}

impl fmt::Display for BackgroundFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "texture {:.1}, colour spread {:.1}, luminance {:.0} %",
            self.texture,
            self.colour_spread,
            self.luminance * 100.0
        )
    }
}

impl fmt::Display for ColourFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { a, b, chroma } = self;
        write!(f, "a* {a:.1}, b* {b:.1}, chroma {chroma:.1}")
    }
}

/// The English text of each advice: the report's message.
impl fmt::Display for Advice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Advice::NoFace => f.write_str(
                "no face found: ask the applicant to face the camera, check the framing and light",
            ),
            Advice::OneFace => f.write_str("one face"),
            Advice::SeveralFaces { count } => write!(
                f,
                "{count} faces in the picture: only the applicant may be visible, ask others to step out of view"
            ),
            Advice::FeaturesNotFound => f.write_str(
                "facial features not found: ask the applicant to face the camera with nothing covering the face",
            ),
            Advice::EyeDistance { pixels } => write!(f, "{pixels:.0} px between the eyes"),
            Advice::FewPixelsBetweenEyes {
                pixels,
                recommended,
            } => write!(
                f,
                "{pixels:.0} px between the eyes, {recommended:.0} px recommended: move the camera a little closer"
            ),
            Advice::TooFewPixelsBetweenEyes { pixels, needed } => write!(
                f,
                "only {pixels:.0} px between the eyes, at least {needed:.0} px needed: move the camera closer (or use a higher resolution)"
            ),
            Advice::EyeLineLevel { within } => write!(f, "eye line level within {within:.0}°"),
            Advice::HeadTilted { degrees, towards } => write!(
                f,
                "head tilted {degrees:.0}° towards the image's {} (the subject's {} shoulder): ask the applicant to hold the head straight",
                towards.word(),
                towards.opposite().word()
            ),
            Advice::FacingCamera => f.write_str("facing the camera"),
            Advice::HeadTurned { degrees, towards } => write!(
                f,
                "head turned about {degrees:.0}° towards the image's {}: ask the applicant to look straight into the camera",
                towards.word()
            ),
            Advice::HeadLevel => f.write_str("head level"),
            Advice::ChinRaised { degrees } => write!(
                f,
                "chin raised about {degrees:.0}°: ask the applicant to lower the chin and look straight into the camera"
            ),
            Advice::HeadBowed { degrees } => write!(
                f,
                "head bowed about {degrees:.0}°: ask the applicant to raise the chin and look straight into the camera"
            ),
            Advice::FaceCentred => f.write_str("face centred in the portrait"),
            Advice::FaceOffCentre { share, towards } => write!(
                f,
                "face {:.0} % of the portrait's width {} of centre: turn the camera to the {} or ask the applicant to move to the image's {}",
                share * 100.0,
                towards.word(),
                towards.word(),
                towards.opposite().word()
            ),
            Advice::NoRoomBeside { side } => write!(
                f,
                "not enough room on the image's {} for the ICAO crop: centre the face in the camera",
                side.word()
            ),
            Advice::HeadHeight { share } => {
                write!(f, "head {:.0} % of the portrait's height", share * 100.0)
            }
            Advice::HeadTooLarge { share } => write!(
                f,
                "head fills {:.0} % of the portrait's height: move the camera back",
                share * 100.0
            ),
            Advice::HeadTooSmall { share } => write!(
                f,
                "head only {:.0} % of the portrait's height: move the camera closer",
                share * 100.0
            ),
            Advice::NoRoomAboveOrBelow { missing } => {
                const ABOVE: &str = "above the head (raise the camera or lower the seat)";
                const BELOW: &str = "below the chin (lower the camera or raise the seat)";
                f.write_str("not enough room for the ICAO crop ")?;
                match missing {
                    Margin::AboveHead => f.write_str(ABOVE),
                    Margin::BelowChin => f.write_str(BELOW),
                    Margin::Both => write!(f, "{ABOVE} and {BELOW}"),
                }
            }
            Advice::EyesOpen { figures } => write!(f, "both eyes open ({figures})"),
            Advice::EyesClosed { which, figures } => write!(
                f,
                "{}: ask the applicant to open both eyes and look into the camera ({figures})",
                match which {
                    Eyes::Both => "the eyes look closed or half closed",
                    Eyes::ImageLeft =>
                        "the subject's right eye (image left) looks closed or half closed",
                    Eyes::ImageRight =>
                        "the subject's left eye (image right) looks closed or half closed",
                }
            ),
            Advice::MouthClosed => f.write_str("mouth closed"),
            Advice::MouthOpen => {
                f.write_str("mouth open: ask the applicant to close the mouth and relax the face")
            }
            Advice::NeutralExpression => f.write_str("neutral expression"),
            Advice::Smiling => f.write_str(
                "smiling: ask the applicant for a neutral expression, mouth closed, no smile",
            ),
            Advice::EyesVisible => f.write_str("eyes clearly visible"),
            Advice::GlareOverEyes => f.write_str(
                "glare over the eyes: tilt the glasses down a little or remove them, move the light",
            ),
            Advice::EyesHidden { which } => write!(
                f,
                "{} hidden: remove tinted glasses, move hair away from the eyes, remove anything covering them",
                match which {
                    Eyes::Both => "the eyes are",
                    Eyes::ImageLeft => "the subject's right eye (image left) is",
                    Eyes::ImageRight => "the subject's left eye (image right) is",
                }
            ),
            Advice::NoGlassesProblem { figures } => write!(f, "no glasses problem ({figures})"),
            Advice::GlassesReflection { figures } => write!(
                f,
                "reflection on the glasses: tilt the glasses down a little or move the light; or take off the glasses ({figures})"
            ),
            Advice::TintedLenses { figures } => write!(
                f,
                "tinted lenses: take off the glasses or wear clear ones ({figures})"
            ),
            Advice::GlassesDiscouraged { figures } => write!(
                f,
                "glasses: allowed if the eyes are clearly visible, but better taken off; check the frames do not cover the eyes ({figures})"
            ),
            Advice::GlassesNotAllowed { figures } => write!(
                f,
                "glasses are not allowed: take off the glasses ({figures})"
            ),
            Advice::NoHeadCovering { figures } => write!(f, "no head covering ({figures})"),
            Advice::HeadCovered { figures } => write!(
                f,
                "head covering: ask the applicant to remove hat or cap (religious coverings must leave the face from chin to forehead visible) ({figures})"
            ),
            Advice::EvenLight => f.write_str("even light on both sides of the face"),
            Advice::ShadowOnSide { side, share } => write!(
                f,
                "shadow on the image's {} side of the face (the subject's {}), {:.0} % darker: light that side or move the lamp to the front",
                side.word(),
                side.opposite().word(),
                share * 100.0
            ),
            Advice::ExposureGood { figures } => write!(f, "exposure good ({figures})"),
            Advice::FaceTooDark { figures } => write!(
                f,
                "face too dark: add light or raise the camera exposure ({figures})"
            ),
            Advice::FaceTooBright { figures } => write!(
                f,
                "face too bright: reduce the light or the camera exposure ({figures})"
            ),
            Advice::FlatLight { figures } => write!(
                f,
                "flat, low-contrast face: use more directional light, check the exposure ({figures})"
            ),
            Advice::FaceCrushedBlack { figures } => write!(
                f,
                "parts of the face are black: add light or raise the exposure ({figures})"
            ),
            Advice::FaceBurntOut { figures } => write!(
                f,
                "parts of the face are burnt out: reduce the light or the exposure, avoid flash glare ({figures})"
            ),
            Advice::TonalRange { bits } => write!(f, "{bits:.1} bits of tonal range in the face"),
            Advice::LowTonalRange { bits } => write!(
                f,
                "only {bits:.1} bits of tonal range in the face: improve the lighting and exposure (no heavy filtering)"
            ),
            Advice::InFocus => f.write_str("face in focus"),
            Advice::Blurred => f.write_str(
                "face blurred: refocus the camera, ask the applicant to keep still, clean the lens",
            ),
            Advice::NoBackgroundVisible => {
                f.write_str("no background visible around the head: move the camera back")
            }
            Advice::PlainBackground { figures } => {
                write!(f, "plain, light background ({figures})")
            }
            Advice::BackgroundNotPlain { figures } => write!(
                f,
                "background not plain ({figures}): use the plain screen behind the applicant, remove objects, flags, curtains and other people from view"
            ),
            Advice::BackgroundTooDark { figures } => write!(
                f,
                "background too dark ({figures}): use a light grey, blue or white background and light it"
            ),
            Advice::NaturalColour { figures } => write!(f, "natural colour ({figures})"),
            Advice::NoColour { figures } => write!(
                f,
                "no colour in the face, a colour photograph is required ({figures})"
            ),
            Advice::ColourCast {
                red_green,
                blue_yellow,
                figures,
            } => {
                let a = red_green.map(|c| match c {
                    RedGreen::Green => "green",
                    RedGreen::RedMagenta => "red/magenta",
                });
                let b = blue_yellow.map(|c| match c {
                    BlueYellow::Blue => "blue",
                    BlueYellow::Yellow => "yellow",
                });
                let cast: Vec<&str> = a.into_iter().chain(b).collect();
                write!(
                    f,
                    "{} colour cast: set the camera's white balance for the studio light ({figures})",
                    cast.join(" and ")
                )
            }
            Advice::NoCompressionArtefacts => f.write_str("no visible compression artefacts"),
            Advice::BlockArtefacts => f.write_str(
                "JPEG block artefacts: use the camera's original image or a higher JPEG quality",
            ),
            Advice::ImageSize { width, height } => write!(f, "{width}×{height} px"),
            Advice::ImageTooSmall { width, height } => write!(
                f,
                "{width}×{height} px is too small for an ICAO portrait: use the camera's full resolution"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_english_text_is_the_checks_message() {
        let cases = [
            (
                Advice::HeadTilted {
                    degrees: 7.4,
                    towards: Side::Right,
                },
                "head tilted 7° towards the image's right (the subject's left shoulder): ask the applicant to hold the head straight",
            ),
            (
                Advice::TooFewPixelsBetweenEyes {
                    pixels: 61.6,
                    needed: 90.0,
                },
                "only 62 px between the eyes, at least 90 px needed: move the camera closer (or use a higher resolution)",
            ),
            (
                Advice::FaceOffCentre {
                    share: 0.123,
                    towards: Side::Left,
                },
                "face 12 % of the portrait's width left of centre: turn the camera to the left or ask the applicant to move to the image's right",
            ),
            (
                Advice::NoRoomAboveOrBelow {
                    missing: Margin::Both,
                },
                "not enough room for the ICAO crop above the head (raise the camera or lower the seat) and below the chin (lower the camera or raise the seat)",
            ),
            (
                Advice::FaceTooDark {
                    figures: ExposureFigures {
                        mean: 0.214,
                        spread: 0.081,
                        black: 0.0312,
                        clipped: 0.0,
                    },
                },
                "face too dark: add light or raise the camera exposure (mean 21 %, spread 8 %, 3.1 % black, 0.0 % clipped)",
            ),
            (
                Advice::EyesClosed {
                    which: Eyes::ImageLeft,
                    figures: EyeFigures {
                        lids: [0.051, 0.204],
                        iris_band: [0.02, 0.19],
                    },
                },
                "the subject's right eye (image left) looks closed or half closed: ask the applicant to open both eyes and look into the camera (lids 0.05 / 0.20, iris band 0.02 / 0.19 IED)",
            ),
            (
                Advice::ShadowOnSide {
                    side: Side::Left,
                    share: 0.306,
                },
                "shadow on the image's left side of the face (the subject's right), 31 % darker: light that side or move the lamp to the front",
            ),
            (
                Advice::ColourCast {
                    red_green: Some(RedGreen::Green),
                    blue_yellow: Some(BlueYellow::Yellow),
                    figures: ColourFigures {
                        a: 4.04,
                        b: 31.26,
                        chroma: 32.0,
                    },
                },
                "green and yellow colour cast: set the camera's white balance for the studio light (a* 4.0, b* 31.3, chroma 32.0)",
            ),
            (
                Advice::GlassesReflection {
                    figures: GlassesFigures {
                        frames: 0.5,
                        reflection: 0.034,
                        tint: 0.1,
                    },
                },
                "reflection on the glasses: tilt the glasses down a little or move the light; or take off the glasses (frames 0.50, reflection 3.4 %, tint 10 %)",
            ),
            (
                Advice::ImageTooSmall {
                    width: 320,
                    height: 240,
                },
                "320×240 px is too small for an ICAO portrait: use the camera's full resolution",
            ),
            (Advice::OneFace, "one face"),
        ];
        for (advice, english) in cases {
            assert_eq!(advice.to_string(), english);
        }
    }

    #[test]
    fn advice_is_tagged_json_with_its_figures() {
        let json = serde_json::to_value(Advice::HeadTurned {
            degrees: 12.5,
            towards: Side::Left,
        })
        .ok();
        assert_eq!(
            json,
            Some(serde_json::json!({"advice": "head-turned", "degrees": 12.5, "towards": "left"}))
        );
        let json = serde_json::to_value(Advice::TonalRange { bits: 7.25 }).ok();
        assert_eq!(
            json,
            Some(serde_json::json!({"advice": "tonal-range", "bits": 7.25}))
        );
        let json = serde_json::to_value(Advice::NoColour {
            figures: ColourFigures {
                a: 1.0,
                b: 2.0,
                chroma: 2.5,
            },
        })
        .ok();
        assert_eq!(
            json,
            Some(serde_json::json!({"advice": "no-colour", "a": 1.0, "b": 2.0, "chroma": 2.5}))
        );
    }
}
