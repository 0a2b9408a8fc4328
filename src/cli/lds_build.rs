//! `permitkit lds build`: an applicant file and its prepared captures in, a signed ChipImage
//! folder out — for a separate personalization desk (`card personalize --image`).
//!
//! The folder holds biometrics in clear (DG2 face, DG3 fingers, DG7 signature) and the chip's
//! keys (`chip-keys.json`: CAN and Active Authentication private key), so it is written only
//! when asked for with `--out`, only into a new or empty folder (never over another card's
//! keys), and every file through the private-file writer (mode 0600). Delete it once the card
//! is personalized and verified. (`enroll` keeps the same content encrypted in its journal
//! instead.) With `--seal-to DESK_CERT` the image never touches the disk in clear: `--out` is
//! one file, the image sealed to the desk's certificate (see `lds_seal`).

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::SystemTime,
};

use anyhow::{Context, bail};
use clap::Args;
use image::ImageDecoder;
use permitkit_biometrics::{FingerPosition, face_record, signature, wsq};
use permitkit_devices::chip_image_dir;
use permitkit_model::profiles::{Registry, quality::QualityProfile};
use permitkit_quality::{face, finger};
use permitkit_station::applicant::{
    self, Applicant, Captures, ChipSecrets, FingerCapture, Portrait,
};
use permitkit_station::pipeline::timestamp;
use permitkit_station::signer::StationSigner;

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
    /// Folder with ds.pem and ds-key.pem (see `pki init`); not needed when signing through a
    /// token (`--token-uri`).
    #[cfg_attr(feature = "pkcs11", arg(long, required_unless_present = "token_uri"))]
    #[cfg_attr(not(feature = "pkcs11"), arg(long, required = true))]
    pki: Option<PathBuf>,
    /// Sign EF.SOD with a Document Signer key on a PKCS #11 token, under its signing policy,
    /// every signature audited.
    #[cfg(feature = "pkcs11")]
    #[command(flatten)]
    token: super::pki_token::TokenSignerArgs,
    /// Output: a new or empty folder that receives biometrics and the chip's private keys in
    /// clear (every file mode 0600); with --seal-to, a new file holding the image sealed.
    #[arg(long)]
    out: PathBuf,
    /// Seal the image to this personalization desk certificate (PEM or DER, EC P-256) instead
    /// of writing a folder: --out is then one encrypted file (CMS EnvelopedData, AES-256, ECDH
    /// P-256) that only the desk's private key opens, and nothing is written in clear. In clear
    /// in the file: the certificate's issuer and serial number, the algorithms, the size.
    #[arg(long, value_name = "DESK_CERT")]
    seal_to: Option<PathBuf>,
    /// The chip's EAC trust point (CVCA certificate) when the document profile protects DG3 by
    /// Extended Access Control; default: the profile's `chip.eac.trust_point` in --pki
    /// (`eac/cvca.cvcert`, as `pki init` writes it).
    #[arg(long, value_name = "CVCA_CERT")]
    trust_point: Option<PathBuf>,
    /// Extra profiles folder (overrides built-ins).
    #[arg(long)]
    profiles: Option<PathBuf>,
    /// Personalization system serial number written to DG12.
    #[arg(long, default_value = "permitkit")]
    device: String,
}

/// Runs `lds build`.
pub fn run(a: BuildArgs) -> anyhow::Result<ExitCode> {
    let recipient = match &a.seal_to {
        Some(cert) => {
            super::lds_seal::refuse_existing(&a.out)?;
            Some(super::lds_seal::read_recipient(cert)?)
        }
        None => {
            refuse_used_folder(&a.out)?;
            None
        }
    };
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
        ChipSecrets::generate(profile.chip.can_digits, profile.chip.active_authentication)?
            .with_chip_authentication(profile, None)?;
    // Extended Access Control: the CVCA certificate the chip will trust.
    let trust_point = match (&a.trust_point, &a.pki, &profile.chip.eac) {
        (_, _, None) => None,
        (Some(path), _, Some(_)) => Some(permitkit_station::eac::load_trust_point(profile, path)?),
        (None, Some(pki), Some(_)) => permitkit_station::eac::trust_point_for(profile, pki)?,
        (None, None, Some(eac)) => bail!(
            "{} protects DG3 by Extended Access Control: give --trust-point CVCA_CERT (or --pki \
             DIR holding {})",
            profile.id,
            eac.trust_point
        ),
    };
    let secrets = match trust_point {
        Some(cvca) => secrets.with_trust_point(cvca),
        None => secrets,
    };
    let now = SystemTime::now();
    let enrolment = applicant::enrolment(
        &applicant,
        &captures,
        &secrets,
        Some((timestamp(now), a.device.clone())),
    )?;
    let signer = signer(&a)?;
    let image = signer.build(&enrolment, applicant.mrz.document_number(), now)?;
    if let Some(recipient) = &recipient {
        let size = super::lds_seal::write_sealed(&image, recipient, &a.out)?;
        println!(
            "ChipImage for {} ({} files, {} bytes) signed and sealed; nothing was written in clear.",
            applicant.application,
            image.files().count(),
            image.total_size()
        );
        super::lds_seal::report_sealed(&a.out, size, &recipient.1);
        return Ok(ExitCode::SUCCESS);
    }
    let manifest = chip_image_dir::save(&image, &a.out)
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
    println!(
        "  chip-keys.json (CAN, the chip's private keys{})",
        if image.keys().trust_point.is_some() {
            ", its EAC trust point"
        } else {
            ""
        }
    );
    println!(
        "Every file is mode 0600: the folder holds biometrics (DG2, DG3, DG7) and the chip's \
         private key in clear; delete it once the card is personalized and verified."
    );
    Ok(ExitCode::SUCCESS)
}

/// The token's guarded Document Signer when `--token-uri` is given, else the `--pki` files.
fn signer(a: &BuildArgs) -> anyhow::Result<StationSigner> {
    #[cfg(feature = "pkcs11")]
    if let Some(g) = a.token.open(&a.device, Path::new("."))? {
        return Ok(StationSigner::Guarded(g));
    }
    let Some(pki) = &a.pki else {
        bail!("give --pki DIR (the Document Signer files) or --token-uri");
    };
    Ok(StationSigner::files(pki)?)
}

/// Refuses an `--out` folder that exists and is not empty: it may hold another card's keys.
pub(super) fn refuse_used_folder(out: &Path) -> anyhow::Result<()> {
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
