//! `permitkit finger encode|decode|info`: compress grey fingerprint images to WSQ, decompress and inspect WSQ files
//! (FBI IAFIS-IC-0110; see `permitkit_biometrics::wsq`).

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context;
use clap::Subcommand;
use permitkit_biometrics::wsq;

/// WSQ fingerprint images.
#[derive(Debug, Subcommand)]
pub(crate) enum WsqCommand {
    /// Compress an image (PNG, JPEG; converted to 8-bit grey) to WSQ.
    Encode {
        /// Input image.
        input: PathBuf,
        /// Output WSQ file.
        #[arg(long = "out")]
        output: PathBuf,
        /// Target bit rate in bits per pixel (0.75 FBI setting, 2.25 for about 5:1).
        #[arg(long, default_value_t = 0.75)]
        bitrate: f32,
        /// Scanning resolution recorded in the NIST_COM comment.
        #[arg(long, default_value_t = 500)]
        ppi: u16,
        /// Free-text comment stored in the file.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Decompress a WSQ file to an image (format from the output extension, e.g. .png).
    Decode {
        /// Input WSQ file.
        input: PathBuf,
        /// Output image.
        #[arg(long = "out")]
        output: PathBuf,
    },
    /// Print the frame size, resolution, comments and block structure of a WSQ file.
    Info {
        /// Input WSQ file.
        input: PathBuf,
    },
}

pub(crate) fn run(command: WsqCommand) -> anyhow::Result<ExitCode> {
    match command {
        WsqCommand::Encode {
            input,
            output,
            bitrate,
            ppi,
            comment,
        } => {
            let image = image::open(&input)
                .with_context(|| format!("reading {}", input.display()))?
                .into_luma8();
            let mut options = wsq::EncodeOptions::default()
                .with_bitrate(bitrate)
                .with_ppi(ppi);
            if let Some(text) = comment {
                options = options.with_comment(text);
            }
            let data = wsq::encode(&image, &options)
                .with_context(|| format!("encoding {}", input.display()))?;
            std::fs::write(&output, &data)
                .with_context(|| format!("writing {}", output.display()))?;
            let ratio = image.as_raw().len() as f64 / data.len() as f64;
            println!(
                "{}: {}x{} pixels, {} bytes ({ratio:.1}:1 at target {bitrate} bpp)",
                output.display(),
                image.width(),
                image.height(),
                data.len()
            );
        }
        WsqCommand::Decode { input, output } => {
            let data =
                std::fs::read(&input).with_context(|| format!("reading {}", input.display()))?;
            let decoded =
                wsq::decode(&data).with_context(|| format!("decoding {}", input.display()))?;
            let (width, height, ppi) = (decoded.width, decoded.height, decoded.ppi);
            decoded
                .into_gray_image()
                .save(&output)
                .with_context(|| format!("writing {}", output.display()))?;
            let ppi = ppi.map_or_else(|| "unknown".to_string(), |p| p.to_string());
            println!("{}: {width}x{height} pixels, {ppi} ppi", output.display());
        }
        WsqCommand::Info { input } => {
            let data =
                std::fs::read(&input).with_context(|| format!("reading {}", input.display()))?;
            let info =
                wsq::inspect(&data).with_context(|| format!("reading {}", input.display()))?;
            println!("size: {}x{} pixels", info.width, info.height);
            match info.ppi {
                Some(ppi) => println!("resolution: {ppi} ppi"),
                None => println!("resolution: not recorded"),
            }
            if let Some(bitrate) = info.bitrate {
                println!("target bit rate: {bitrate} bpp");
            }
            println!(
                "encoded: {} bytes, {:.2} bits per pixel",
                data.len(),
                8.0 * data.len() as f64 / (f64::from(info.width) * f64::from(info.height))
            );
            println!("blocks: {}", info.blocks);
            if let Some(ri) = info.restart_interval {
                println!("restart interval: {ri}");
            }
            println!("encoder: {}, software: {}", info.encoder, info.software);
            for comment in &info.comments {
                println!("comment:\n  {}", comment.replace('\n', "\n  "));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
