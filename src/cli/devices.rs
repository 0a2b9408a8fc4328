//! `permitkit devices list`: what is attached, and which hardware profile each device matched.
//!
//! Every kind is listed: the simulators (always present), webcams (V4L2, feature `camera`),
//! fingerprint scanners (libfprint, feature `libfprint`), signature pads (evdev pens, feature
//! `evdev`) and contactless readers (PC/SC, feature `pcsc`). Matching: cameras by USB id,
//! scanners by libfprint driver, pads by evdev device name, readers by PC/SC name pattern. A
//! backend that is not compiled in, or that fails (no pcscd), is reported on its own line and
//! the others are still listed.

use std::{path::PathBuf, process::ExitCode};

use clap::Subcommand;
use permitkit_model::profiles::Registry;
use serde::Serialize;

/// `permitkit devices` subcommands.
#[derive(Debug, Subcommand)]
pub enum DevicesCommand {
    /// List attached and simulated devices with their matched profiles.
    List {
        /// Extra profiles folder overriding the built-ins.
        #[arg(long, value_name = "DIR")]
        profiles: Option<PathBuf>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

/// One device line.
#[derive(Debug, Serialize)]
struct Found {
    kind: &'static str,
    selector: String,
    name: String,
    backend: String,
    profile: Option<String>,
    note: Option<String>,
}

/// Runs `permitkit devices …`.
pub fn run(c: DevicesCommand) -> anyhow::Result<ExitCode> {
    let DevicesCommand::List { profiles, json } = c;
    let mut registry = Registry::builtin()?;
    if let Some(d) = &profiles {
        registry = registry.with_dir(d)?;
    }
    let mut found = simulators();
    found.extend(cameras(&registry));
    found.extend(scanners(&registry));
    found.extend(pads(&registry));
    found.extend(readers(&registry));
    if json {
        println!("{}", serde_json::to_string_pretty(&found)?);
        return Ok(ExitCode::SUCCESS);
    }
    let w = |f: fn(&Found) -> usize| found.iter().map(f).max().unwrap_or(0);
    let (wk, ws, wn) = (
        w(|f| f.kind.len()).max(4),
        w(|f| f.selector.len()).max(8),
        w(|f| f.name.chars().count()).max(4),
    );
    println!(
        "{:wk$}  {:ws$}  {:wn$}  PROFILE",
        "KIND", "SELECTOR", "NAME"
    );
    for f in &found {
        let profile = match (&f.profile, &f.note) {
            (Some(p), _) => p.clone(),
            (None, Some(n)) => format!("- ({n})"),
            (None, None) => "- (no profile matched)".into(),
        };
        println!(
            "{:wk$}  {:ws$}  {:wn$}  {profile}",
            f.kind, f.selector, f.name
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn simulators() -> Vec<Found> {
    let sim = |kind, selector: &str, name: &str, profile: Option<&str>| Found {
        kind,
        selector: selector.into(),
        name: name.into(),
        backend: "simulator".into(),
        profile: profile.map(str::to_owned),
        note: None,
    };
    vec![
        sim(
            "camera",
            "sim",
            "Simulated camera (embedded portrait)",
            None,
        ),
        sim(
            "scanner",
            "sim",
            "Simulated fingerprint scanner",
            Some("simulator"),
        ),
        sim(
            "signature-pad",
            "sim",
            "Simulated signature pad",
            Some("simulator"),
        ),
        sim(
            "card-reader",
            "sim",
            "In-process virtual chip",
            Some("chip: permitkit-virtual"),
        ),
    ]
}

fn unavailable(kind: &'static str, backend: &str, note: String) -> Found {
    Found {
        kind,
        selector: format!("{backend}:*"),
        name: "-".into(),
        backend: backend.into(),
        profile: None,
        note: Some(note),
    }
}

#[cfg(feature = "camera")]
fn cameras(registry: &Registry) -> Vec<Found> {
    match permitkit_devices::camera_nokhwa::list() {
        Ok(list) => list
            .into_iter()
            .map(|d| Found {
                kind: "camera",
                profile: d.usb_id.and_then(|(v, p)| {
                    registry
                        .cameras
                        .values()
                        .find(|(c, _)| c.usb_vendor == Some(v) && c.usb_product == Some(p))
                        .map(|(c, _)| c.id.clone())
                }),
                selector: d.selector,
                name: d.name,
                backend: d.backend,
                note: None,
            })
            .collect(),
        Err(e) => vec![unavailable("camera", "v4l", e.to_string())],
    }
}

#[cfg(not(feature = "camera"))]
fn cameras(_: &Registry) -> Vec<Found> {
    vec![unavailable(
        "camera",
        "v4l",
        "built without feature `camera`".into(),
    )]
}

#[cfg(feature = "libfprint")]
fn scanners(registry: &Registry) -> Vec<Found> {
    permitkit_devices::scanner_libfprint::list()
        .into_iter()
        .map(|d| {
            let driver = d
                .backend
                .strip_prefix("libfprint/")
                .unwrap_or_default()
                .to_owned();
            Found {
                kind: "scanner",
                profile: registry
                    .scanners
                    .values()
                    .find(|(s, _)| s.libfprint_driver.as_deref() == Some(driver.as_str()))
                    .map(|(s, _)| s.id.clone()),
                selector: d.selector,
                name: d.name,
                backend: d.backend,
                note: None,
            }
        })
        .collect()
}

#[cfg(not(feature = "libfprint"))]
fn scanners(_: &Registry) -> Vec<Found> {
    vec![unavailable(
        "scanner",
        "libfprint",
        "built without feature `libfprint`".into(),
    )]
}

#[cfg(feature = "evdev")]
fn pads(registry: &Registry) -> Vec<Found> {
    permitkit_devices::signature_evdev::pen_devices()
        .into_iter()
        .map(|d| Found {
            kind: "signature-pad",
            selector: format!("evdev:{}", d.path.display()),
            profile: registry
                .signature_pads
                .values()
                .find(|(p, _)| p.evdev_name.as_deref() == Some(d.name.as_str()))
                .map(|(p, _)| p.id.clone()),
            name: d.name,
            backend: "evdev".into(),
            note: None,
        })
        .collect()
}

#[cfg(not(feature = "evdev"))]
fn pads(_: &Registry) -> Vec<Found> {
    vec![unavailable(
        "signature-pad",
        "evdev",
        "built without feature `evdev`".into(),
    )]
}

#[cfg(feature = "pcsc")]
fn readers(registry: &Registry) -> Vec<Found> {
    match permitkit_devices::reader_pcsc::list_readers() {
        Ok(list) => list
            .into_iter()
            .map(|r| Found {
                kind: "card-reader",
                selector: format!("pcsc:{}", r.name),
                profile: registry.reader_for_name(&r.name).map(|p| p.id.clone()),
                note: Some(
                    if r.card_present {
                        "card present"
                    } else {
                        "no card"
                    }
                    .into(),
                ),
                name: r.name,
                backend: "pcsc".into(),
            })
            .collect(),
        Err(e) => vec![unavailable("card-reader", "pcsc", e.to_string())],
    }
}

#[cfg(not(feature = "pcsc"))]
fn readers(_: &Registry) -> Vec<Found> {
    vec![unavailable(
        "card-reader",
        "pcsc",
        "built without feature `pcsc`".into(),
    )]
}
