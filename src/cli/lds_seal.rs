//! `permitkit lds seal` / `lds unseal`, and the sealed form of `--image` for the card commands:
//! a ChipImage as one encrypted file for a separate personalization desk.
//!
//! A sealed image is the ChipImage package (`permitkit_lds::chip_image::package`: every file
//! and the chip keys, with a SHA-256) in a CMS EnvelopedData (`permitkit_pki::envelope`)
//! addressed to the desk's certificate: AES-256-CBC under a fresh key, that key wrapped under
//! one agreed by ECDH P-256 with the desk's key. In clear on the way: only the envelope's
//! structure — the desk certificate's issuer and serial number, the algorithms, the sizes.
//! Everything else (biometrics, MRZ, CAN, Active Authentication private key) opens only with
//! the desk's private key, and is opened in memory: nothing is written in clear unless
//! `lds unseal` is asked to.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::{Context, bail};
use clap::Args;
use permitkit_devices::chip_image_dir;
use permitkit_lds::{ChipImage, ChipKeys};
use permitkit_model::private_file;
use permitkit_pki::{
    desk::{self, DeskKeyPair},
    envelope::{self, MAX_ENVELOPE_SIZE, Recipient},
};

/// Arguments of `lds seal`.
#[derive(Debug, Args)]
pub struct SealArgs {
    /// The ChipImage folder (from `lds build --out`); it is re-checked against its EF.SOD.
    #[arg(long)]
    image: PathBuf,
    /// The personalization desk's certificate (PEM or DER, EC P-256): only the holder of its
    /// private key can open the sealed image.
    #[arg(long, value_name = "DESK_CERT")]
    to: PathBuf,
    /// The sealed image to write (a new file, mode 0600).
    #[arg(long)]
    out: PathBuf,
}

/// Arguments of `lds unseal`.
#[derive(Debug, Args)]
pub struct UnsealArgs {
    /// The sealed image (`lds seal`, `lds build --seal-to`).
    #[arg(long)]
    image: PathBuf,
    #[command(flatten)]
    desk: DeskKeyArgs,
    /// Folder to write the ChipImage to, in clear (new or empty; every file mode 0600).
    #[arg(long)]
    out: PathBuf,
}

/// The desk's key pair, for opening a sealed image.
#[derive(Debug, Clone, Args)]
pub struct DeskKeyArgs {
    /// The desk's private key (PKCS#8 or SEC 1, PEM or DER) that opens a sealed image.
    #[arg(long, value_name = "FILE", requires = "desk_cert")]
    pub desk_key: Option<PathBuf>,
    /// The desk's certificate, which the sealed image names as its recipient.
    #[arg(long, value_name = "FILE", requires = "desk_key")]
    pub desk_cert: Option<PathBuf>,
}

/// Runs `lds seal`.
pub fn seal(a: &SealArgs) -> anyhow::Result<ExitCode> {
    let recipient = read_recipient(&a.to)?;
    refuse_existing(&a.out)?;
    let image = chip_image_dir::load(&a.image)
        .with_context(|| format!("loading the ChipImage {}", a.image.display()))?;
    let size = write_sealed(&image, &recipient, &a.out)?;
    report_sealed(&a.out, size, &recipient.1);
    println!(
        "{} still holds the image in clear (biometrics, chip keys): delete it once {} is at the \
         desk.",
        a.image.display(),
        a.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs `lds unseal`.
pub fn unseal(a: &UnsealArgs) -> anyhow::Result<ExitCode> {
    let image = open_sealed(&a.image, &a.desk)?;
    super::lds_build::refuse_used_folder(&a.out)?;
    let manifest = chip_image_dir::save(&image, &a.out)
        .with_context(|| format!("writing {}", a.out.display()))?;
    println!(
        "ChipImage opened from {} into {} ({} files{}), every file mode 0600: the folder holds \
         biometrics and the chip keys in clear; delete it when done.",
        a.image.display(),
        a.out.display(),
        manifest.files.len(),
        if manifest.chip_keys {
            " and chip-keys.json"
        } else {
            ""
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// The desk certificate `path` (DER) and how it is named, checked to be able to receive an
/// envelope (P-256, keyAgreement) before anything is built.
pub fn read_recipient(path: &Path) -> anyhow::Result<(Vec<u8>, String)> {
    let der = desk::read_certificate(path)
        .with_context(|| format!("reading the desk certificate {}", path.display()))?;
    let recipient = Recipient::from_certificate(&der)
        .with_context(|| format!("{} cannot receive a sealed image", path.display()))?;
    Ok((der, recipient.describe()))
}

/// Refuses an `--out` file that exists (it may be another card's sealed image).
pub fn refuse_existing(out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        bail!(
            "{} exists (it may hold another card's image): choose a new --out",
            out.display()
        );
    }
    Ok(())
}

/// Seals `image` to the certificate `recipient` and writes it to the new file `out` (mode
/// 0600). The package exists in clear only in memory, zeroized when dropped.
pub fn write_sealed(
    image: &ChipImage,
    recipient: &(Vec<u8>, String),
    out: &Path,
) -> anyhow::Result<usize> {
    let package = image.to_package();
    let sealed = envelope::seal(&package, &recipient.0).context("sealing the ChipImage")?;
    drop(package);
    private_file::write_new(out, &sealed).with_context(|| format!("writing {}", out.display()))?;
    Ok(sealed.len())
}

/// Prints what a sealed file is.
pub fn report_sealed(out: &Path, size: usize, recipient: &str) {
    println!(
        "sealed ChipImage written to {} ({size} bytes, mode 0600): CMS EnvelopedData, AES-256-CBC, \
         key agreed by ECDH P-256 with the desk certificate ({recipient}).",
        out.display()
    );
    println!(
        "In clear: only the desk certificate's issuer and serial number, the algorithms and the \
         size. The data groups (biometrics, MRZ) and the chip keys (CAN, Active Authentication \
         private key) open only with the desk's private key."
    );
}

/// The ChipImage behind `--image`: a folder as it is, or a sealed file opened in memory with
/// the desk's key pair.
pub fn load_image(path: &Path, desk: &DeskKeyArgs) -> anyhow::Result<ChipImage> {
    if !path.exists() {
        bail!(
            "{} does not exist: give a ChipImage folder or a sealed image",
            path.display()
        );
    }
    if path.is_dir() {
        if desk.desk_key.is_some() {
            bail!(
                "{} is a ChipImage folder, in clear: --desk-key and --desk-cert are for a sealed \
                 image",
                path.display()
            );
        }
        return chip_image_dir::load(path)
            .with_context(|| format!("loading the ChipImage {}", path.display()));
    }
    open_sealed(path, desk)
}

/// Opens the sealed image `path` with the desk's key pair: decrypted and re-checked against
/// its EF.SOD in memory, the decrypted package zeroized once read.
pub fn open_sealed(path: &Path, desk: &DeskKeyArgs) -> anyhow::Result<ChipImage> {
    let (Some(key), Some(cert)) = (&desk.desk_key, &desk.desk_cert) else {
        bail!(
            "{} is a file, so a sealed ChipImage: give the desk's --desk-key and --desk-cert to \
             open it",
            path.display()
        );
    };
    let pair = DeskKeyPair::load(cert, key).context("loading the desk key pair")?;
    let bytes = read_bounded(path)?;
    let der = envelope::der_of_file(&bytes).with_context(|| format!("{}", path.display()))?;
    let package = envelope::open(&der, pair.key(), pair.certificate_der())
        .with_context(|| format!("opening {}", path.display()))?;
    ChipImage::from_package(&package).with_context(|| {
        format!(
            "{}: the sealed content is not a consistent ChipImage",
            path.display()
        )
    })
}

/// The chip keys (for the CAN) of `path`: a `chip-keys.json`, or a sealed image opened with
/// the desk's key pair.
pub fn chip_keys(path: &Path, desk: &DeskKeyArgs) -> anyhow::Result<ChipKeys> {
    if desk.desk_key.is_some() {
        return Ok(open_sealed(path, desk)?.keys().clone());
    }
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
    );
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a chip-keys.json (a sealed image needs --desk-key and --desk-cert)",
            path.display()
        )
    })
}

fn read_bounded(path: &Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_ENVELOPE_SIZE as u64 + 1).read_to_end(&mut bytes))
        .with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() > MAX_ENVELOPE_SIZE {
        bail!(
            "{}: larger than any sealed ChipImage ({MAX_ENVELOPE_SIZE} bytes)",
            path.display()
        );
    }
    Ok(bytes)
}
