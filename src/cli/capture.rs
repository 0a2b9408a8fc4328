//! `permitkit capture …`: capture from a device.
//!
//! - `capture photo`: live portrait capture. Each preview frame is downscaled and assessed; the
//!   operator sees the first problem to fix; the still is taken (at full resolution, then
//!   prepared for DG2) once every check passes on the profile's number of consecutive frames, or
//!   the command gives up after the profile's timeout.
//! - `capture finger`: one capture from a fingerprint scanner, with its quality.
//! - `capture signature`: one signature from a signature pad (simulator, scanned image or
//!   evdev pen), saved as PNG and, with a document profile, prepared as the DG7 JPEG.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use anyhow::Context;
use clap::{Args, Subcommand};
use permitkit_biometrics::FingerPosition;
use permitkit_devices::{camera, scanner};
use permitkit_model::profiles::camera::CameraProfile;
use permitkit_quality::{
    Verdict,
    face::{FaceAssessor, PortraitRequest, PortraitType},
    finger,
};
use permitkit_station::pipeline::photo::{FrameOutcome, live_capture};

use super::photo::{Common, load_profile};

/// Capture from a device.
#[derive(Debug, Args)]
pub struct CaptureArgs {
    #[command(subcommand)]
    command: CaptureCommand,
}

#[derive(Debug, Subcommand)]
enum CaptureCommand {
    /// Capture the applicant's portrait and write the DG2 JPEG.
    Photo(PhotoCapture),
    /// Capture one finger from a fingerprint scanner and save it as PNG.
    Finger(FingerCaptureArgs),
    /// Capture a signature from a signature pad; save it as PNG and optionally as the DG7 JPEG.
    Signature(SignatureCaptureArgs),
}

#[derive(Debug, Args)]
struct PhotoCapture {
    /// Camera selector: sim, sim:bad, sim:nobody, still:<file or folder> or v4l:<id>.
    #[arg(long)]
    camera: String,
    /// Output JPEG.
    #[arg(long, value_name = "FACE.jpg")]
    out: PathBuf,
    /// Camera profile id (default: matched by USB id).
    #[arg(long, value_name = "ID")]
    camera_profile: Option<String>,
    /// Give up after this many seconds (default: the quality profile's).
    #[arg(long)]
    timeout: Option<f64>,
    /// Byte budget of the JPEG (default: the quality profile's).
    #[arg(long, value_name = "N")]
    max_bytes: Option<usize>,
    /// Token frontal instead of full frontal.
    #[arg(long)]
    token: bool,
    #[command(flatten)]
    common: Common,
}

/// Runs `permitkit capture …`.
pub fn run(args: CaptureArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        CaptureCommand::Photo(p) => capture_photo(p),
        CaptureCommand::Finger(a) => finger_cmd(a),
        CaptureCommand::Signature(a) => signature_cmd(a),
    }
}

fn capture_photo(args: PhotoCapture) -> anyhow::Result<ExitCode> {
    let profile = load_profile(args.common.profile.as_deref())?;
    let cam_profile = args
        .camera_profile
        .as_deref()
        .map(CameraProfile::builtin)
        .transpose()?;
    let rules = profile.capture.clone();
    let timeout = Duration::from_secs_f64(args.timeout.unwrap_or(rules.timeout_seconds).max(0.0));
    let mut gate = FaceAssessor::new(profile)?;
    let mut cam = camera::open(&args.camera, cam_profile.as_ref())?;
    eprintln!("camera: {}", cam.info());
    let request = PortraitRequest {
        image_type: if args.token {
            PortraitType::TokenFrontal
        } else {
            PortraitType::FullFrontal
        },
        max_bytes: args.max_bytes,
    };
    let min_face = cam_profile.as_ref().map_or(0.0, |c| c.min_face_px as f32);
    let mut last_hint = String::new();
    let mut on_frame = |o: &FrameOutcome| match o {
        FrameOutcome::Guidance { frame, message, .. } => {
            if *message != last_hint {
                eprintln!("frame {frame}: {message}");
                last_hint.clone_from(message);
            }
        }
        FrameOutcome::Good {
            frame,
            streak,
            needed,
        } => eprintln!("frame {frame}: good ({streak}/{needed})"),
    };
    let capture = live_capture(
        cam.as_mut(),
        &mut gate,
        &request,
        timeout,
        min_face,
        &mut on_frame,
    )?;
    let p = capture.portrait.sample();
    std::fs::write(&args.out, p.jpeg.expose())
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "{}: {}×{}, {} bytes, eyes ({:.1}, {:.1}) / ({:.1}, {:.1}), after {} frames",
        args.out.display(),
        p.width,
        p.height,
        p.jpeg.len(),
        p.left_eye.x,
        p.left_eye.y,
        p.right_eye.x,
        p.right_eye.y,
        capture.frames
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
struct FingerCaptureArgs {
    /// Scanner selector: sim, sim:<seed>, libfprint:<n>.
    #[arg(long, default_value = "sim")]
    scanner: String,
    /// Finger position, e.g. right-index, left-thumb.
    #[arg(long, default_value = "right-index")]
    finger: FingerPosition,
    /// Seconds to wait for the finger.
    #[arg(long, default_value_t = 20.0)]
    timeout: f64,
    /// Enrolment threshold for the verdict and exit code.
    #[arg(long, default_value_t = finger::DEFAULT_ENROLMENT_THRESHOLD)]
    threshold: u8,
    /// Output PNG file.
    #[arg(long)]
    out: PathBuf,
}

fn finger_cmd(a: FingerCaptureArgs) -> anyhow::Result<ExitCode> {
    let timeout = Duration::try_from_secs_f64(a.timeout).context("--timeout")?;
    let mut device = scanner::open(&a.scanner, timeout)?;
    eprintln!("{}: place the {} on the scanner", device.info(), a.finger);
    let capture = device.capture(a.finger)?;
    capture
        .image
        .save_with_format(&a.out, image::ImageFormat::Png)
        .with_context(|| format!("writing {}", a.out.display()))?;
    let q = finger::assess(&capture.image, capture.ppi)?;
    let verdict = q.verdict(a.threshold);
    println!(
        "{}: {} {}×{} at {} ppi, quality {} / 100: {verdict}",
        a.out.display(),
        a.finger,
        capture.image.width(),
        capture.image.height(),
        capture.ppi,
        q.score
    );
    for f in &q.flags {
        println!("  {}: {}", f, f.advice());
    }
    Ok(if verdict == Verdict::Fail {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

#[derive(Debug, Args)]
struct SignatureCaptureArgs {
    /// Signature pad selector: sim, sim:<seed>, image:<file>, evdev:<path or device name>.
    #[arg(long, default_value = "sim")]
    pad: String,
    /// Output PNG: the signature as captured (pen strokes rendered at the pad's aspect ratio).
    #[arg(long, value_name = "SIG.png")]
    out: PathBuf,
    /// Also write the DG7 JPEG, sized and budgeted by --document-profile.
    #[arg(long, value_name = "DG7.jpg", requires = "document_profile")]
    jpeg: Option<PathBuf>,
    /// Document profile id whose [signature] rules give the DG7 size and byte budget.
    #[arg(long, value_name = "ID", requires = "jpeg")]
    document_profile: Option<String>,
    /// Signature pad profile id for the timeout, idle end and end button (default: simulator,
    /// scanned-image, or the profile whose evdev_name is the selector's device name).
    #[arg(long, value_name = "ID")]
    pad_profile: Option<String>,
    /// Seconds to wait for the pen (overrides the pad profile).
    #[arg(long)]
    timeout: Option<f64>,
    /// Seconds without pen contact that end a started signature (overrides the pad profile).
    #[arg(long)]
    idle_end: Option<f64>,
    /// Extra profiles folder (overrides built-ins).
    #[arg(long, value_name = "DIR")]
    profiles: Option<PathBuf>,
}

fn signature_cmd(a: SignatureCaptureArgs) -> anyhow::Result<ExitCode> {
    use permitkit_biometrics::signature::{self, MIN_INK_FRACTION, SignatureError};
    use permitkit_devices::signature_pad::{self, EndRule, PadSelector};
    use permitkit_model::profiles::Registry;
    let mut registry = Registry::builtin()?;
    if let Some(dir) = &a.profiles {
        registry = registry.with_dir(dir)?;
    }
    let selector: PadSelector = a.pad.parse()?;
    // Without --pad-profile: the backend's own profile, or for a pen named like a profile's
    // evdev_name, that profile.
    let default_profile = match &selector {
        PadSelector::Sim { .. } => Some("simulator"),
        PadSelector::Image(_) => Some("scanned-image"),
        PadSelector::Evdev(name) => registry
            .signature_pads
            .values()
            .find(|(p, _)| p.evdev_name.as_deref() == Some(name.as_str()))
            .map(|(p, _)| p.id.as_str()),
    };
    let pad_profile = match a.pad_profile.as_deref().or(default_profile) {
        Some(id) => Some(registry.signature_pad(id)?),
        None => None,
    };
    let mut end = pad_profile.map_or_else(EndRule::default, |p| p.end_rule());
    if let Some(s) = a.idle_end {
        end.idle = Duration::try_from_secs_f64(s).context("--idle-end")?;
    }
    let timeout = match a.timeout {
        Some(s) => Duration::try_from_secs_f64(s).context("--timeout")?,
        None => pad_profile.map_or(signature_pad::DEFAULT_TIMEOUT, |p| p.timeout()),
    };
    let document = a
        .document_profile
        .as_deref()
        .map(|id| registry.document(id))
        .transpose()?;
    let mut pad = signature_pad::open(&a.pad, end)?;
    eprintln!(
        "{}: sign on the pad (waiting {:.0} s; the signature ends {:.1} s after the pen lifts)",
        pad.info(),
        timeout.as_secs_f64(),
        end.idle.as_secs_f64()
    );
    let capture = pad.capture(timeout)?;
    let image = capture.to_image();
    image
        .save_with_format(&a.out, image::ImageFormat::Png)
        .with_context(|| format!("writing {}", a.out.display()))?;
    let ink = image.pixels().filter(|p| p.0[0] < 128).count() as f64
        / (f64::from(image.width()) * f64::from(image.height())).max(1.0);
    println!(
        "{}: {} strokes, {} points, {}×{}, {:.2} % ink",
        a.out.display(),
        capture.strokes.len(),
        capture.point_count(),
        image.width(),
        image.height(),
        ink * 100.0
    );
    let (Some(jpeg), Some(doc)) = (&a.jpeg, document) else {
        if ink < MIN_INK_FRACTION {
            eprintln!("the signature is blank: ask the applicant to sign again");
            return Ok(ExitCode::from(2));
        }
        return Ok(ExitCode::SUCCESS);
    };
    let rules = &doc.signature;
    match signature::prepare(&image, rules.width, rules.height, rules.max_bytes) {
        Ok(p) => {
            std::fs::write(jpeg, &p.jpeg).with_context(|| format!("writing {}", jpeg.display()))?;
            println!(
                "{}: DG7 signature {}×{}, {} bytes (budget {}), JPEG quality {}",
                jpeg.display(),
                p.image.width(),
                p.image.height(),
                p.jpeg.len(),
                rules.max_bytes,
                p.quality
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ SignatureError::Blank(_)) => {
            eprintln!("{e}: ask the applicant to sign again");
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.into()),
    }
}
