//! `permitkit photo`: check a portrait against the ICAO quality profile, and prepare the DG2
//! JPEG (ICAO crop, byte budget).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use permitkit_model::profiles::quality::QualityProfile;
use permitkit_quality::Verdict;
use permitkit_quality::face::{
    FaceAssessor, FaceError, ImageLimits, PortraitRequest, PortraitType, annotate, decode,
};

/// Portrait quality and DG2 preparation.
#[derive(Debug, Args)]
pub struct PhotoArgs {
    #[command(subcommand)]
    command: PhotoCommand,
}

#[derive(Debug, Subcommand)]
enum PhotoCommand {
    /// Assess a portrait: exit 0 pass (warnings allowed), 2 fail, 1 error.
    Check {
        /// PNG or JPEG file.
        image: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Write an annotated PNG (face box, eyes, crop, guide lines, findings).
        #[arg(long, value_name = "OUT.png")]
        annotate: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Crop and encode the DG2 portrait: exit 0 written, 2 rejected by a check, 1 error.
    Prepare {
        /// PNG or JPEG file.
        image: PathBuf,
        /// Output JPEG.
        #[arg(long, value_name = "FACE.jpg")]
        out: PathBuf,
        /// Byte budget of the JPEG (default: the quality profile's).
        #[arg(long, value_name = "N")]
        max_bytes: Option<usize>,
        /// Token frontal (ISO/IEC 19794-5 §9) instead of full frontal.
        #[arg(long)]
        token: bool,
        /// Also write the report (with output eye positions) as JSON to this file.
        #[arg(long, value_name = "REPORT.json")]
        report: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, Args)]
pub(crate) struct Common {
    /// Quality profile TOML (default: the built-in icao-portrait).
    #[arg(long, value_name = "FILE")]
    pub(crate) profile: Option<PathBuf>,
    /// Search for faces down to this width in pixels (default: from the profile), e.g. to find
    /// bystanders far behind the applicant.
    #[arg(long, value_name = "PX")]
    pub(crate) min_face: Option<f32>,
}

/// Loads the quality profile from a file or the built-in default.
pub(crate) fn load_profile(path: Option<&Path>) -> anyhow::Result<QualityProfile> {
    match path {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Ok(permitkit_model::profiles::parse(
                &p.display().to_string(),
                &text,
            )?)
        }
        None => Ok(QualityProfile::builtin_default()?),
    }
}

fn load_image(path: &Path) -> anyhow::Result<image::RgbImage> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    decode(&bytes, ImageLimits::default()).with_context(|| format!("{}", path.display()))
}

/// Runs `permitkit photo …`.
pub fn run(args: PhotoArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        PhotoCommand::Check {
            image,
            json,
            annotate: annotated,
            common,
        } => {
            let mut gate = FaceAssessor::new(load_profile(common.profile.as_deref())?)?;
            let img = load_image(&image)?;
            let assessment = match common.min_face {
                Some(px) => gate.assess_with_min_face(&img, px),
                None => gate.assess(&img),
            };
            let report = &assessment.report;
            if json {
                println!("{}", report.to_json());
            } else {
                println!("{}: {}", image.display(), report.verdict);
                for c in &report.checks {
                    println!(
                        "  {:<19} {:<4}  {}",
                        c.id.as_str(),
                        c.verdict.as_str(),
                        c.message
                    );
                }
            }
            if let Some(out) = annotated {
                annotate::annotate(&img, &assessment)
                    .save(&out)
                    .with_context(|| format!("writing {}", out.display()))?;
            }
            Ok(exit_for(report.verdict))
        }
        PhotoCommand::Prepare {
            image,
            out,
            max_bytes,
            token,
            report,
            common,
        } => {
            let mut gate = FaceAssessor::new(load_profile(common.profile.as_deref())?)?;
            let img = load_image(&image)?;
            let request = PortraitRequest {
                image_type: if token {
                    PortraitType::TokenFrontal
                } else {
                    PortraitType::FullFrontal
                },
                max_bytes,
            };
            let accepted = match gate.prepare(&img, &request) {
                Ok(a) => a,
                Err(FaceError::Rejected(r)) => {
                    eprintln!("{}: rejected", image.display());
                    for c in r.problems() {
                        eprintln!(
                            "  {:<19} {:<4}  {}",
                            c.id.as_str(),
                            c.verdict.as_str(),
                            c.message
                        );
                    }
                    return Ok(ExitCode::from(super::exit::CHECK_FAILED));
                }
                Err(e) => return Err(e.into()),
            };
            let p = accepted.sample();
            std::fs::write(&out, p.jpeg.expose())
                .with_context(|| format!("writing {}", out.display()))?;
            println!(
                "{}: {}×{} {:?}, {} bytes at JPEG quality {}, left eye ({:.1}, {:.1}), right eye ({:.1}, {:.1})",
                out.display(),
                p.width,
                p.height,
                p.image_type,
                p.jpeg.len(),
                p.jpeg_quality,
                p.left_eye.x,
                p.left_eye.y,
                p.right_eye.x,
                p.right_eye.y
            );
            for c in accepted.report().problems() {
                println!(
                    "  {:<19} {:<4}  {}",
                    c.id.as_str(),
                    c.verdict.as_str(),
                    c.message
                );
            }
            if let Some(path) = report {
                let json = serde_json::json!({
                    "output": {
                        "file": out.display().to_string(),
                        "width": p.width,
                        "height": p.height,
                        "image_type": p.image_type,
                        "face_image_type_code": p.image_type.code(),
                        "colour_space_code": p.colour_space.code(),
                        "bytes": p.jpeg.len(),
                        "jpeg_quality": p.jpeg_quality,
                        "left_eye": [p.left_eye.x, p.left_eye.y],
                        "right_eye": [p.right_eye.x, p.right_eye.y],
                    },
                    "quality": accepted.report(),
                });
                std::fs::write(&path, serde_json::to_string_pretty(&json)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// 0 for pass or warn, 2 for fail.
pub(crate) fn exit_for(v: Verdict) -> ExitCode {
    match v {
        Verdict::Fail => ExitCode::from(super::exit::CHECK_FAILED),
        _ => ExitCode::SUCCESS,
    }
}
