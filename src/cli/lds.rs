//! `permitkit lds …`: build, verify and show ChipImages.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::ExitCode,
    time::SystemTime,
};

use anyhow::{Context, bail};
use clap::Subcommand;
use permitkit_lds::{
    Ef,
    chip_image::{MANIFEST_FORMAT, MAX_FILE_SIZE, Manifest},
    describe::describe,
    sod::HashAlgorithm,
};
use permitkit_pki::{CheckStatus, PaReport, passive_auth::verify_trusted};

pub use super::lds_build::BuildArgs;
pub use super::lds_seal::{SealArgs, UnsealArgs};

/// LDS commands.
#[derive(Debug, Subcommand)]
pub enum LdsCommand {
    /// Build and sign a ChipImage from an applicant file and its prepared captures.
    Build(Box<BuildArgs>),
    /// Seal a ChipImage folder for a separate personalization desk: one file, encrypted to the
    /// desk's certificate (CMS EnvelopedData, AES-256, ECDH P-256), openable only with the
    /// desk's private key (`card personalize --image FILE --desk-key … --desk-cert …`).
    ///
    /// In clear in the sealed file: the desk certificate's issuer and serial number, the
    /// algorithms and the size. Encrypted: every data group (biometrics, MRZ) and the chip keys
    /// (CAN, Active Authentication private key). The folder itself is left as it is, in clear:
    /// delete it once the sealed file is at the desk.
    Seal(SealArgs),
    /// Open a sealed ChipImage into a folder, for inspection (`lds show`, `lds verify`): the
    /// folder holds biometrics and the chip keys in clear (every file mode 0600). `card
    /// personalize` does not need this: it opens a sealed image in memory.
    Unseal(UnsealArgs),
    /// Passive authentication of a ChipImage folder against a CSCA or a trust store, the
    /// Document Signer's right to sign it, every file EF.COM, EF.SOD and manifest.json list
    /// (exit 0 only when every check passes, 2 when one fails).
    Verify {
        /// The ChipImage folder.
        dir: PathBuf,
        /// Trusted CSCA certificate (PEM or DER); may be given more than once.
        #[arg(long, required_unless_present = "trust")]
        csca: Vec<PathBuf>,
        /// Trust store: a folder or file of CSCA certificates, master lists, CRLs and deviation
        /// lists (repeatable); CRLs and the CSCA's country are checked too.
        #[arg(long, value_name = "PATH")]
        trust: Vec<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show what a ChipImage folder (or one EF file) holds.
    Show {
        /// A ChipImage folder or one file such as DG2.bin.
        path: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs an `lds` command.
pub fn run(cmd: LdsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        LdsCommand::Build(a) => super::lds_build::run(*a),
        LdsCommand::Seal(a) => super::lds_seal::seal(&a),
        LdsCommand::Unseal(a) => super::lds_seal::unseal(&a),
        LdsCommand::Verify {
            dir,
            csca,
            trust,
            json,
        } => verify(&dir, &csca, &trust, json),
        LdsCommand::Show { path, json } => show(&path, json),
    }
}

fn verify(dir: &Path, csca: &[PathBuf], trust: &[PathBuf], json: bool) -> anyhow::Result<ExitCode> {
    let store = super::pki_trust::load(trust, csca)?.context("give --csca or --trust")?;
    let files = read_folder(dir)?;
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let mut report = match files.get(&Ef::Sod) {
        Some(sod) => verify_trusted(sod, &files, &store, now),
        None => {
            let mut r = PaReport { checks: Vec::new() };
            r.add(
                "sod-structure",
                CheckStatus::Fail,
                "SOD.bin is missing: nothing in the folder is signed",
            );
            r
        }
    };
    check_manifest(dir, &files, &mut report)?;
    // One report, one verdict: the text and the JSON say the same.
    let valid = report.is_valid();
    if json {
        let out = serde_json::json!({ "valid": valid, "checks": report.checks });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for c in &report.checks {
            let mark = match c.status {
                CheckStatus::Pass => "ok  ",
                CheckStatus::Fail => "FAIL",
                CheckStatus::NotChecked => "--  ",
            };
            println!("{mark} {:<20} {}", c.id, c.detail);
        }
        println!(
            "{}",
            if valid {
                "passive authentication: VALID"
            } else {
                "passive authentication: NOT VALID"
            }
        );
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::exit::CHECK_FAILED)
    })
}

/// The folder against its manifest.json: it records the size and SHA-256 of every file,
/// EF.COM and EF.CardAccess among them, which EF.SOD does not cover. A missing manifest, a file
/// it lists that is missing or differs, and a file it does not list all fail, named.
fn check_manifest(
    dir: &Path,
    files: &BTreeMap<Ef, Vec<u8>>,
    report: &mut PaReport,
) -> anyhow::Result<()> {
    let path = dir.join("manifest.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            report.add(
                "manifest",
                CheckStatus::Fail,
                "manifest.json is missing: the sizes and SHA-256 of EF.COM and EF.CardAccess, \
                 which EF.SOD does not cover, cannot be checked",
            );
            return Ok(());
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let manifest: Manifest = match serde_json::from_str(&text) {
        Ok(m) => m,
        Err(e) => {
            report.add("manifest", CheckStatus::Fail, format!("manifest.json: {e}"));
            return Ok(());
        }
    };
    if manifest.format != MANIFEST_FORMAT {
        report.add(
            "manifest",
            CheckStatus::Fail,
            format!(
                "manifest.json: format {:?}, not {MANIFEST_FORMAT:?}",
                manifest.format
            ),
        );
        return Ok(());
    }
    let mut failed = false;
    let mut fail = |report: &mut PaReport, name: &str, detail: String| {
        failed = true;
        report.add(format!("manifest:{name}"), CheckStatus::Fail, detail);
    };
    for entry in &manifest.files {
        let Some(ef) = Ef::from_name(&entry.name) else {
            fail(
                report,
                &entry.name,
                "not the name of an elementary file".into(),
            );
            continue;
        };
        match files.get(&ef) {
            None => fail(
                report,
                &entry.name,
                format!("listed in manifest.json but {}.bin is missing", ef.name()),
            ),
            Some(bytes)
                if bytes.len() != entry.size
                    || hex::encode(HashAlgorithm::Sha256.digest(bytes)) != entry.sha256 =>
            {
                fail(
                    report,
                    &entry.name,
                    "size or SHA-256 differs from manifest.json: the file was altered".into(),
                );
            }
            Some(_) => {}
        }
    }
    for ef in files.keys() {
        if !manifest.files.iter().any(|e| e.name == ef.name()) {
            fail(
                report,
                &ef.name(),
                format!("{}.bin is not listed in manifest.json", ef.name()),
            );
        }
    }
    if !failed {
        report.add(
            "manifest",
            CheckStatus::Pass,
            format!(
                "{} files with the sizes and SHA-256 manifest.json lists",
                manifest.files.len()
            ),
        );
    }
    Ok(())
}

fn show(path: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let files = if path.is_dir() {
        read_folder(path)?
    } else {
        let ef = path
            .file_stem()
            .and_then(|s| Ef::from_name(&s.to_string_lossy()))
            .with_context(|| {
                format!(
                    "{}: name the file after its EF (DG2.bin, SOD.bin …)",
                    path.display()
                )
            })?;
        BTreeMap::from([(ef, read_bounded(path)?)])
    };
    let d = describe(&files);
    if json {
        println!("{}", serde_json::to_string_pretty(&d)?);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(mrz) = &d.mrz {
        println!("MRZ");
        for line in mrz {
            println!("  {line}");
        }
    }
    for (title, map) in [
        ("Personal details (DG11)", &d.personal_details),
        ("Document details (DG12)", &d.document_details),
    ] {
        if !map.is_empty() {
            println!("{title}");
            for (k, v) in map {
                println!("  {k:<24} {v}");
            }
        }
    }
    for f in &d.faces {
        let eye = |e: Option<[u16; 2]>| e.map_or("-".into(), |[x, y]| format!("({x}, {y})"));
        println!(
            "Face (DG2): {} {}x{}, {} bytes, left eye {} right eye {}",
            f.image_type,
            f.size[0],
            f.size[1],
            f.image_bytes,
            eye(f.left_eye),
            eye(f.right_eye)
        );
    }
    for f in &d.fingers {
        println!(
            "Finger (DG3): {} quality {} {}x{} {} {} bytes",
            f.position, f.quality, f.size[0], f.size[1], f.compression, f.image_bytes
        );
    }
    for s in &d.signature_images {
        println!("Signature (DG7): {s} bytes");
    }
    for s in &d.security_infos {
        println!("{s}");
    }
    if let Some(k) = &d.active_authentication_key {
        println!("Active Authentication key (DG15): {k}");
    }
    if let Some(sod) = &d.sod {
        println!(
            "SOD: {} signed {} by {}",
            sod.hash_algorithm,
            sod.signing_time.as_deref().unwrap_or("(no signing time)"),
            sod.signer.as_deref().unwrap_or("(no certificate)")
        );
        for h in &sod.hashes {
            println!("  {:<5} {}", h.data_group, h.sha);
        }
    }
    println!("Files");
    for f in &d.files {
        println!("  {:<11} {:>6} bytes  sha256 {}", f.name, f.size, f.sha256);
    }
    for p in &d.problems {
        println!("PROBLEM {p}");
    }
    Ok(if d.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::exit::CHECK_FAILED)
    })
}

/// The `<EF>.bin` files of a folder, as they are (no consistency check: verification reports
/// problems file by file).
pub fn read_folder(dir: &Path) -> anyhow::Result<BTreeMap<Ef, Vec<u8>>> {
    let mut files = BTreeMap::new();
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "bin") {
            continue;
        }
        let Some(ef) = path
            .file_stem()
            .and_then(|s| Ef::from_name(&s.to_string_lossy()))
        else {
            continue;
        };
        files.insert(ef, read_bounded(&path)?);
    }
    if files.is_empty() {
        bail!("{}: no EF files (COM.bin, DG1.bin …)", dir.display());
    }
    Ok(files)
}

fn read_bounded(path: &Path) -> anyhow::Result<Vec<u8>> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("{}", path.display()))?
        .len();
    if size > MAX_FILE_SIZE {
        bail!(
            "{}: {size} bytes is larger than any elementary file",
            path.display()
        );
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}
