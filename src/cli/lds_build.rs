//! `permitkit lds build`: an applicant file and its prepared captures in, a signed ChipImage
//! folder out — for a separate personalization desk (`card personalize --image`).
//!
//! The folder holds biometrics in clear (DG2 face, DG3 fingers, DG7 signature) and the chip's
//! keys (`chip-keys.json`: CAN and Active Authentication private key), so it is written only
//! when asked for with `--out`, only into a new or empty folder (never over another card's
//! keys), and every file through the private-file writer (mode 0600). Delete it once the card
//! is personalized and verified. (`enroll` keeps the same content encrypted in its journal
//! instead.)

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::SystemTime,
};

use anyhow::{Context, bail};
use clap::Args;
use image::ImageDecoder;
use permitkit_biometrics::{FingerPosition, face_record, signature, wsq};
use permitkit_lds as lds;
use permitkit_model::profiles::{Registry, quality::QualityProfile};
use permitkit_pki::{DocumentSigner, signer::FileKeySignature};
use permitkit_quality::{face, finger};
use permitkit_station::applicant::{
    self, Applicant, Captures, ChipSecrets, FingerCapture, Portrait,
};
use permitkit_station::pipeline::timestamp;

/// Arguments of `lds build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The applicant file (TOML).
    #[arg(long)]
    applicant: PathBuf,
    /// The portrait, a JPEG already cropped and sized for the chip.
    #[arg(long)]
    photo: PathBuf,
    /// Eye centres in the portrait, subject's left then right: LX,LY,RX,RY (default: located by
    /// the face gate's eye finder).
    #[arg(long)]
    eyes: Option<String>,
    /// A finger: POSITION=FILE (right-index=ri.png); PNG/JPEG are WSQ-compressed, WSQ is kept.
    #[arg(long = "finger", value_name = "POSITION=FILE")]
    fingers: Vec<String>,
    /// The signature image (any grey or colour image; cropped, binarised and scaled).
    #[arg(long)]
    signature: Option<PathBuf>,
    /// Folder with ds.pem and ds-key.pem (see `pki init`).
    #[arg(long)]
    pki: PathBuf,
    /// Output folder, new or empty: it receives biometrics and the chip's private keys (mode
    /// 0600).
    #[arg(long)]
    out: PathBuf,
    /// Extra profiles folder (overrides built-ins).
    #[arg(long)]
    profiles: Option<PathBuf>,
    /// Personalization system serial number written to DG12.
    #[arg(long, default_value = "permitkit")]
    device: String,
}

/// Runs `lds build`.
pub fn run(a: BuildArgs) -> anyhow::Result<ExitCode> {
    refuse_used_folder(&a.out)?;
    let mut registry = Registry::builtin()?;
    if let Some(dir) = &a.profiles {
        registry = registry.with_dir(dir)?;
    }
    let text = std::fs::read_to_string(&a.applicant)
        .with_context(|| format!("reading {}", a.applicant.display()))?;
    let applicant = Applicant::parse(&a.applicant.display().to_string(), &text, &registry)?;
    let profile = &applicant.document_profile;
    let captures = Captures {
        portrait: portrait(&a.photo, a.eyes.as_deref())?,
        fingers: a
            .fingers
            .iter()
            .map(|f| finger_capture(f, profile.fingers.wsq_bitrate))
            .collect::<anyhow::Result<_>>()?,
        signature_jpeg: match &a.signature {
            Some(p) => {
                let img = image::open(p).with_context(|| format!("reading {}", p.display()))?;
                let s = &profile.signature;
                Some(signature::prepare(&img.into_luma8(), s.width, s.height, s.max_bytes)?.jpeg)
            }
            None => None,
        },
    };
    if !captures.fingers.is_empty() && !applicant.writes_fingerprints() {
        eprintln!(
            "note: {} fingers given but the holder gave no written consent: DG3 is not written",
            captures.fingers.len()
        );
    }
    let secrets =
        ChipSecrets::generate(profile.chip.can_digits, profile.chip.active_authentication)?;
    let now = SystemTime::now();
    let enrolment = applicant::enrolment(
        &applicant,
        &captures,
        &secrets,
        Some((timestamp(now), a.device.clone())),
    )?;
    let signer = DocumentSigner::load_dir(&a.pki)?;
    let image = lds::build::<_, FileKeySignature>(
        &enrolment,
        signer.certificate_der(),
        signer.signer(),
        now,
    )?;
    let manifest = image
        .save_dir(&a.out)
        .with_context(|| format!("writing {}", a.out.display()))?;
    println!(
        "ChipImage for {} written to {}",
        applicant.application,
        a.out.display()
    );
    for f in &manifest.files {
        let sha = f.sha256.get(..16).unwrap_or(&f.sha256);
        println!("  {:<11} {:>6} bytes  {sha}", f.name, f.size);
    }
    println!("  chip-keys.json (CAN and Active Authentication private key)");
    println!(
        "Every file is mode 0600: the folder holds biometrics (DG2, DG3, DG7) and the chip's \
         private key in clear; delete it once the card is personalized and verified."
    );
    Ok(ExitCode::SUCCESS)
}

/// Refuses an `--out` folder that exists and is not empty: it may hold another card's keys.
fn refuse_used_folder(out: &Path) -> anyhow::Result<()> {
    let used = match std::fs::read_dir(out) {
        Ok(mut entries) => entries.next().is_some(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(e).with_context(|| format!("reading {}", out.display())),
    };
    if used {
        bail!(
            "{} is not empty (it may hold another card's ChipImage and keys): choose a new --out",
            out.display()
        );
    }
    Ok(())
}

fn portrait(path: &Path, eyes: Option<&str>) -> anyhow::Result<Portrait> {
    let jpeg = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        bail!(
            "{}: not a JPEG (prepare the photo for the chip first)",
            path.display()
        );
    }
    let decoder = image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(&jpeg))
        .with_context(|| format!("{}: not a readable JPEG", path.display()))?;
    let (w, h) = decoder.dimensions();
    let colour_space = match decoder.color_type() {
        image::ColorType::L8 => face_record::COLOUR_SPACE_GREY8,
        _ => face_record::COLOUR_SPACE_RGB24,
    };
    let (left_eye, right_eye) = match eyes {
        Some(e) => {
            let v: Vec<u16> = e
                .split(',')
                .map(|n| n.trim().parse())
                .collect::<Result<_, _>>()
                .with_context(|| format!("--eyes {e:?}: expected LX,LY,RX,RY"))?;
            let [lx, ly, rx, ry] = v[..] else {
                bail!("--eyes {e:?}: expected four numbers LX,LY,RX,RY");
            };
            if lx <= rx {
                bail!("--eyes: the subject's left eye appears on the image's right (LX > RX)");
            }
            (Some((lx, ly)), Some((rx, ry)))
        }
        None => {
            let img = face::decode(&jpeg, face::ImageLimits::default())?;
            let mut gate = face::FaceAssessor::new(QualityProfile::builtin_default()?)?;
            let subject = gate.assess(&img).subject.with_context(|| {
                format!(
                    "{}: no face found; give the eye centres with --eyes",
                    path.display()
                )
            })?;
            let eyes = subject.geometry.eyes;
            let px = |v: f32| u16::try_from(face::raster::round_u(v)).unwrap_or(u16::MAX);
            (
                Some((px(eyes.left.x), px(eyes.left.y))),
                Some((px(eyes.right.x), px(eyes.right.y))),
            )
        }
    };
    Ok(Portrait {
        width: u16::try_from(w).context("portrait width")?,
        height: u16::try_from(h).context("portrait height")?,
        jpeg,
        colour_space,
        left_eye,
        right_eye,
    })
}

fn finger_capture(spec: &str, bitrate: f32) -> anyhow::Result<FingerCapture> {
    let (pos, file) = spec
        .split_once('=')
        .with_context(|| format!("--finger {spec:?}: expected POSITION=FILE"))?;
    let position: FingerPosition = pos.parse()?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {file}"))?;
    let (img, wsq_bytes) = if bytes.starts_with(&[0xFF, 0xA0]) {
        let decoded = wsq::decode(&bytes).with_context(|| format!("{file}: WSQ"))?;
        (decoded.into_gray_image(), bytes)
    } else {
        let img = finger::decode_image(&bytes).with_context(|| format!("{file}: image"))?;
        let w = wsq::encode(&img, &wsq::EncodeOptions::default().with_bitrate(bitrate))?;
        (img, w)
    };
    let q = finger::assess(&img, 500).with_context(|| format!("{file}: quality"))?;
    Ok(FingerCapture {
        position,
        quality: q.score,
        width: u16::try_from(img.width()).context("finger width")?,
        height: u16::try_from(img.height()).context("finger height")?,
        wsq: wsq_bytes,
    })
}
