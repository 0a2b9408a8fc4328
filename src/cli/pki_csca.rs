//! `permitkit pki csca …`: a Country Signing CA in a folder — `init` (self-signed root, its key
//! a TEST ONLY file or, with `--token-uri`, a key pair generated on a PKCS #11 token) and `link`
//! (the link certificate of a key rollover, 9303-12 §4.1.4.3).
//!
//! A CSCA folder holds `csca.pem` (the certificate), its key — `csca-key.pem` (the TEST ONLY
//! private key, mode 0600) or `csca-key.uri` (the RFC 7512 URI of the key on the token, with
//! the module's `module-path`; never a PIN) — and, once a CRL was issued, `crl-register.json`
//! (what it revoked, the last CRL number). The commands that sign with the CSCA key (`pki ds
//! issue`, `pki crl issue`, `pki ml-signer issue`, `pki csca link`) open either kind; a token
//! key's PIN comes from `--pin-file`, `--pin-env`, the URI's `pin-source` or a prompt.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use permitkit_pki::{
    DsKey,
    csca::{self, CscaOptions},
    ds_key::EcdsaSignature,
    files::{new_file_key, read_der, test_only_note, write_pem, write_private_key},
    profile::{DAY, NameParts, validity_of},
    signer::read_private_key,
};

use super::pki_lint::print_lint_summary;

/// The certificate of a CSCA folder.
pub const CERTIFICATE: &str = "csca.pem";
/// The TEST ONLY key of a CSCA folder.
pub const KEY: &str = "csca-key.pem";
/// The URI of a CSCA folder's key on a PKCS #11 token.
pub const KEY_URI: &str = "csca-key.uri";

/// How to reach a CSCA key kept on a token: the module and the PIN (the key's URI is in the
/// folder's `csca-key.uri`). Ignored for a folder with a file key.
#[derive(Debug, Clone, Default, Args)]
pub struct CscaKeyAccess {
    /// The PKCS #11 module (default: the module-path recorded in csca-key.uri).
    #[arg(long, value_name = "PATH")]
    pub module: Option<PathBuf>,
    /// A file holding the token's user PIN (first line; mode 0600).
    #[arg(long, value_name = "FILE", conflicts_with = "pin_env")]
    pub pin_file: Option<PathBuf>,
    /// An environment variable holding the token's user PIN.
    #[arg(long, value_name = "VAR")]
    pub pin_env: Option<String>,
}

/// `pki csca` subcommands.
#[derive(Debug, Subcommand)]
pub enum CscaCommand {
    /// Create a TEST ONLY CSCA: a self-signed root (basicConstraints cA pathLen 0, keyUsage
    /// keyCertSign + cRLSign critical, private key usage period) and its file key.
    Init {
        /// Two-letter country code of the issuing State.
        #[arg(long)]
        country: String,
        /// Output folder (csca.pem, csca-key.pem).
        #[arg(long)]
        out: PathBuf,
        /// The CSCA's common name.
        #[arg(long, default_value = "TEST ONLY CSCA - not for production documents")]
        common_name: String,
        /// How many days the CSCA key signs (9303-12 Table 1: 3 to 5 years).
        #[arg(long, default_value_t = 1826)]
        key_usage_days: u64,
        /// The CRL URL written in cRLDistributionPoints.
        #[arg(long)]
        crl_url: Option<String>,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
        /// Generate the key pair on a PKCS #11 token instead of a TEST ONLY file
        /// (`--token-uri` names the new key; `--module`, `--pin-file`, `--pin-env`).
        #[cfg(feature = "pkcs11")]
        #[command(flatten)]
        token: super::pki_token::TokenArgs,
        /// The curve of a key generated on the token: p256, p384 or brainpoolP256r1.
        #[cfg(feature = "pkcs11")]
        #[arg(long, default_value = "p256", requires = "token_uri")]
        curve: permitkit_pki::pkcs11::Curve,
    },
    /// Link certificate of a key rollover: the new CSCA's key certified by the old one
    /// (written to --out, default <new>/link.pem).
    Link {
        /// The old CSCA folder (its key signs).
        #[arg(long)]
        old: PathBuf,
        /// The new CSCA folder.
        #[arg(long)]
        new: PathBuf,
        /// Output file.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The old CSCA's key, when it is on a token.
        #[command(flatten)]
        access: CscaKeyAccess,
    },
}

/// Runs a `pki csca` command.
pub fn run(cmd: CscaCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CscaCommand::Init {
            country,
            out,
            common_name,
            key_usage_days,
            crl_url,
            force,
            #[cfg(feature = "pkcs11")]
            token,
            #[cfg(feature = "pkcs11")]
            curve,
        } => {
            let key = NewKey {
                #[cfg(feature = "pkcs11")]
                token,
                #[cfg(feature = "pkcs11")]
                curve,
            };
            init(
                &country,
                &out,
                &common_name,
                key_usage_days,
                crl_url,
                force,
                key,
            )
        }
        CscaCommand::Link {
            old,
            new,
            out,
            access,
        } => link(&old, &new, out, &access),
    }
}

/// A CSCA folder's certificate (DER) and its key: the TEST ONLY file, or the key on the token
/// `csca-key.uri` names (opened with `access`).
pub fn open(dir: &Path, access: &CscaKeyAccess) -> anyhow::Result<(Vec<u8>, DsKey)> {
    let cert = read_der(&dir.join(CERTIFICATE), "CERTIFICATE").with_context(|| {
        format!(
            "{} is not a CSCA folder (create one with `permitkit pki csca init`)",
            dir.display()
        )
    })?;
    let file = dir.join(KEY);
    if file.exists() {
        return Ok((cert, DsKey::File(read_private_key(&file)?)));
    }
    let uri_file = dir.join(KEY_URI);
    if uri_file.exists() {
        return Ok((cert, open_token_key(&uri_file, access)?));
    }
    bail!(
        "{} holds neither {KEY} nor {KEY_URI}: the CSCA's key is not reachable",
        dir.display()
    )
}

#[cfg(feature = "pkcs11")]
fn open_token_key(uri_file: &Path, access: &CscaKeyAccess) -> anyhow::Result<DsKey> {
    use permitkit_pki::pkcs11::{Module, Pkcs11Key};
    let text = std::fs::read_to_string(uri_file)
        .with_context(|| format!("reading {}", uri_file.display()))?;
    let token = super::pki_token::TokenArgs {
        token_uri: Some(text.trim().to_owned()),
        module: access.module.clone(),
        pin_file: access.pin_file.clone(),
        pin_env: access.pin_env.clone(),
    };
    let Some(uri) = token
        .uri()
        .with_context(|| uri_file.display().to_string())?
    else {
        bail!("{} is empty", uri_file.display());
    };
    let module = Module::for_uri(access.module.as_deref(), &uri)?;
    let pin = token.pin(&uri)?;
    let key = Pkcs11Key::open(module, &uri, &pin)
        .with_context(|| format!("opening the CSCA key {}", text.trim()))?;
    Ok(DsKey::Token(key))
}

#[cfg(not(feature = "pkcs11"))]
fn open_token_key(uri_file: &Path, _access: &CscaKeyAccess) -> anyhow::Result<DsKey> {
    bail!(
        "{}: the CSCA key is on a PKCS #11 token; this build has no PKCS #11 support (build with \
         --features pkcs11)",
        uri_file.display()
    )
}

/// Where `init` makes the CSCA key: a TEST ONLY file, or the token `--token-uri` names.
struct NewKey {
    #[cfg(feature = "pkcs11")]
    token: super::pki_token::TokenArgs,
    #[cfg(feature = "pkcs11")]
    curve: permitkit_pki::pkcs11::Curve,
}

/// A made key, and the file that names it in the folder: the PKCS #8 key, or the token URI.
enum MadeKey {
    File(DsKey, permitkit_pki::signer::FileKey),
    #[cfg(feature = "pkcs11")]
    Token(DsKey, String),
}

impl NewKey {
    fn make(&self) -> anyhow::Result<MadeKey> {
        #[cfg(feature = "pkcs11")]
        if let Some(uri) = self.token.uri()? {
            use permitkit_pki::pkcs11::{self, Module};
            let module = Module::for_uri(self.token.module.as_deref(), &uri)?;
            let pin = self.token.pin(&uri)?;
            let key = pkcs11::generate(module, &uri, &pin, self.curve)
                .with_context(|| format!("generating a {} key pair on the token", self.curve))?;
            let attributes = key.attributes()?;
            if attributes.extractable || !attributes.sensitive {
                bail!(
                    "the token made a CSCA key it would let out (CKA_SENSITIVE {}, \
                     CKA_EXTRACTABLE {})",
                    attributes.sensitive,
                    attributes.extractable
                );
            }
            let text = uri_with_module(
                self.token.token_uri.as_deref().unwrap_or_default(),
                self.token.module.as_deref(),
            );
            return Ok(MadeKey::Token(DsKey::Token(key), text));
        }
        let key = new_file_key()?;
        Ok(MadeKey::File(DsKey::File(key.clone()), key))
    }
}

/// The URI as given, with `module-path` (RFC 7512 §2.3) added when `--module` named the module
/// and the URI does not; characters outside RFC 3986's unreserved set and `/` are
/// percent-encoded.
#[cfg(feature = "pkcs11")]
pub(super) fn uri_with_module(uri: &str, module: Option<&Path>) -> String {
    let Some(module) = module else {
        return uri.to_owned();
    };
    if uri.contains("module-path=") {
        return uri.to_owned();
    }
    let mut encoded = String::new();
    for b in module.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}module-path={encoded}")
}

fn init(
    country: &str,
    out: &Path,
    common_name: &str,
    key_usage_days: u64,
    crl_url: Option<String>,
    force: bool,
    new_key: NewKey,
) -> anyhow::Result<ExitCode> {
    for f in [CERTIFICATE, KEY, KEY_URI] {
        if out.join(f).exists() && !force {
            bail!(
                "{} already exists; refusing to replace a CSCA key (use --force)",
                out.join(f).display()
            );
        }
    }
    let mut opts = CscaOptions::test_only(country);
    opts.subject = NameParts::test_only(country, common_name);
    opts.key_usage = DAY * u32::try_from(key_usage_days).context("--key-usage-days")?;
    if let Some(url) = crl_url {
        opts.crl_url = url;
    }
    let made = new_key.make()?;
    let signer = match &made {
        MadeKey::File(k, _) => k,
        #[cfg(feature = "pkcs11")]
        MadeKey::Token(k, _) => k,
    };
    let cert = csca::issue_root::<_, EcdsaSignature>(signer, &opts)?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let key_line = match &made {
        MadeKey::File(_, key) => {
            write_private_key(&out.join(KEY), key, "CSCA private key")?;
            format!("  {KEY}  CSCA private key (mode 0600)")
        }
        #[cfg(feature = "pkcs11")]
        MadeKey::Token(_, uri) => {
            for stale in [KEY, KEY_URI] {
                if out.join(stale).exists() {
                    std::fs::remove_file(out.join(stale))
                        .with_context(|| format!("replacing {}", out.join(stale).display()))?;
                }
            }
            std::fs::write(out.join(KEY_URI), format!("{uri}\n"))
                .with_context(|| format!("writing {}", out.join(KEY_URI).display()))?;
            format!("  {KEY_URI}  the CSCA key on the token: {uri} (sensitive, not extractable)")
        }
    };
    write_pem(
        &out.join(CERTIFICATE),
        "CERTIFICATE",
        &cert,
        &test_only_note("CSCA certificate"),
    )?;
    println!("TEST ONLY CSCA of {country} written to {}:", out.display());
    println!("  {CERTIFICATE}      CSCA certificate (a trust anchor for `--trust`)");
    println!("{key_line}");
    print_lint_summary(&cert, None)?;
    Ok(ExitCode::SUCCESS)
}

fn link(
    old: &Path,
    new: &Path,
    out: Option<PathBuf>,
    access: &CscaKeyAccess,
) -> anyhow::Result<ExitCode> {
    let (old_cert, old_key) = open(old, access)?;
    let new_cert = read_der(&new.join(CERTIFICATE), "CERTIFICATE")?;
    // The link starts when the new key may start signing: the new root's notBefore.
    let start = validity_of(&new_cert)
        .with_context(|| new.join(CERTIFICATE).display().to_string())?
        .not_before;
    let link = csca::issue_link::<_, EcdsaSignature>(&old_cert, &old_key, &new_cert, start)?;
    let out = out.unwrap_or_else(|| new.join("link.pem"));
    write_pem(
        &out,
        "CERTIFICATE",
        &link,
        &test_only_note("CSCA link certificate"),
    )?;
    println!(
        "link certificate written to {}: the key of {} certified by the key of {}",
        out.display(),
        new.join(CERTIFICATE).display(),
        old.join(CERTIFICATE).display()
    );
    print_lint_summary(&link, Some(&old_cert))?;
    Ok(ExitCode::SUCCESS)
}
