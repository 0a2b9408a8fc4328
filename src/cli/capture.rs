//! `permitkit capture finger …`: one capture from a fingerprint scanner, with its quality.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use anyhow::Context;
use clap::{Args, Subcommand};

use permitkit::{
    biometrics::FingerPosition,
    devices::scanner,
    quality::{Verdict, finger},
};

/// Capture from a device.
#[derive(Debug, Args)]
pub struct CaptureArgs {
    #[command(subcommand)]
    command: CaptureCommand,
}

#[derive(Debug, Subcommand)]
enum CaptureCommand {
    /// Capture one finger from a fingerprint scanner and save it as PNG.
    Finger(FingerCaptureArgs),
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

/// Runs a `capture` subcommand.
pub fn run(args: CaptureArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        CaptureCommand::Finger(a) => finger_cmd(a),
    }
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
