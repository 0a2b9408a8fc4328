//! `permitkit finger …`: synthetic prints and fingerprint quality.

use std::{path::PathBuf, process::ExitCode};

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};

use permitkit_quality::{Verdict, finger};
use permitkit_synth::{self as synth, Condition, FingerClass, FingerprintSpec};

/// Fingerprint tools.
#[derive(Debug, Args)]
pub struct FingerArgs {
    #[command(subcommand)]
    command: FingerCommand,
}

#[derive(Debug, Subcommand)]
enum FingerCommand {
    /// Generate a synthetic fingerprint (500 ppi, 8-bit grey PNG).
    Synth(SynthArgs),
    /// Assess the quality of a fingerprint image (500 ppi PNG or JPEG).
    Quality(QualityArgs),
    /// WSQ: encode, decode, info.
    #[command(flatten)]
    Wsq(super::wsq::WsqCommand),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ClassArg {
    Arch,
    TentedArch,
    /// Left or right loop, chosen by the seed.
    Loop,
    LeftLoop,
    RightLoop,
    Whorl,
}

#[derive(Debug, Args)]
struct SynthArgs {
    /// Seed: the same seed always gives the same finger.
    #[arg(long)]
    seed: u64,
    /// Pattern class (default: drawn from population frequencies).
    #[arg(long, value_enum)]
    class: Option<ClassArg>,
    /// Image size WIDTHxHEIGHT in pixels (up to 800x750).
    #[arg(long, default_value = "400x500")]
    size: String,
    /// Capture condition: normal, dry, wet, blurred, low-contrast, partial, empty.
    #[arg(long, default_value = "normal")]
    condition: String,
    /// Impression number: other captures of the same finger.
    #[arg(long, default_value_t = 0)]
    impression: u32,
    /// Output PNG file.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct QualityArgs {
    /// Image file (PNG or JPEG, 8-bit grey or colour, 500 ppi).
    image: PathBuf,
    /// Resolution of the image in pixels per inch.
    #[arg(long, default_value_t = 500)]
    ppi: u16,
    /// Enrolment threshold for the verdict and exit code.
    #[arg(long, default_value_t = finger::DEFAULT_ENROLMENT_THRESHOLD)]
    threshold: u8,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs a `finger` subcommand.
pub fn run(args: FingerArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        FingerCommand::Synth(a) => synth_cmd(a),
        FingerCommand::Quality(a) => quality_cmd(a),
        FingerCommand::Wsq(c) => super::wsq::run(c),
    }
}

/// Parses `WIDTHxHEIGHT`.
pub fn parse_size(s: &str) -> anyhow::Result<(u32, u32)> {
    let Some((w, h)) = s.split_once(['x', 'X']) else {
        bail!("size {s:?}: expected WIDTHxHEIGHT, e.g. 400x500");
    };
    Ok((
        w.trim()
            .parse()
            .with_context(|| format!("width in {s:?}"))?,
        h.trim()
            .parse()
            .with_context(|| format!("height in {s:?}"))?,
    ))
}

fn synth_cmd(a: SynthArgs) -> anyhow::Result<ExitCode> {
    let (width, height) = parse_size(&a.size)?;
    let class = a.class.map(|c| match c {
        ClassArg::Arch => FingerClass::Arch,
        ClassArg::TentedArch => FingerClass::TentedArch,
        ClassArg::Loop if a.seed.is_multiple_of(2) => FingerClass::LeftLoop,
        ClassArg::Loop => FingerClass::RightLoop,
        ClassArg::LeftLoop => FingerClass::LeftLoop,
        ClassArg::RightLoop => FingerClass::RightLoop,
        ClassArg::Whorl => FingerClass::Whorl,
    });
    let condition: Condition = a.condition.parse()?;
    let spec = FingerprintSpec {
        seed: a.seed,
        class,
        width,
        height,
        condition,
        impression: a.impression,
    };
    let print = synth::generate_detailed(&spec)?;
    print
        .image
        .save_with_format(&a.out, image::ImageFormat::Png)
        .with_context(|| format!("writing {}", a.out.display()))?;
    eprintln!(
        "{}: {}×{} {} ({}), seed {}",
        a.out.display(),
        width,
        height,
        print.class,
        condition,
        a.seed
    );
    Ok(ExitCode::SUCCESS)
}

fn quality_cmd(a: QualityArgs) -> anyhow::Result<ExitCode> {
    let bytes =
        std::fs::read(&a.image).with_context(|| format!("reading {}", a.image.display()))?;
    let image = finger::decode_image(&bytes).with_context(|| a.image.display().to_string())?;
    let q = finger::assess(&image, a.ppi)?;
    let verdict = q.verdict(a.threshold);
    if a.json {
        let json = serde_json::json!({
            "score": q.score,
            "verdict": verdict,
            "threshold": a.threshold,
            "flags": q.flags,
            "measures": q.measures,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!(
            "score {} / 100: {verdict} (threshold {})",
            q.score, a.threshold
        );
        for f in &q.flags {
            println!("  {}: {}", f, f.advice());
        }
        let m = &q.measures;
        println!(
            "  OCL {:.2}  LCS {:.2}  FDA {:.2}  RVU {:.2}  OF {:.3}  sharpness {:.3}",
            m.ocl, m.lcs, m.fda, m.rvu, m.of, m.sharpness
        );
        println!(
            "  contrast {:.0}  ridge/valley {:.2}  period {:.1} px  brightness {:.0}  foreground {:.0} mm²",
            m.contrast, m.ridge_valley_ratio, m.ridge_period, m.mean_brightness, m.foreground_mm2
        );
    }
    Ok(if verdict == Verdict::Fail {
        ExitCode::from(super::exit::CHECK_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}
