//! Document Signer keys on a PKCS #11 token from the command line (feature `pkcs11`):
//! `permitkit pki ds request` (the key pair generated on the token, a PKCS #10 request out),
//! and the token options of `lds build` and `enroll` that sign EF.SOD through the token under
//! the signing policy, every signature audited.
//!
//! The key is named by an RFC 7512 URI (`--token-uri`), the module by `--module` (or the URI's
//! `module-path`). The PIN comes from `--pin-file` (mode 0600), `--pin-env VAR`, the URI's
//! `pin-source=file:…`, or else a prompt on the terminal — never from the command line.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::{Context, bail};
use clap::Args;
use permitkit_model::profiles::station::DocumentSignerSlot;
use permitkit_pki::{
    DsKey, GuardedSigner,
    ds_key::EcdsaSignature,
    ds_request::{self, DsSubject},
    pkcs11::{self, Curve, Module, Pin, PinSource, Pkcs11Uri},
    token_signer::TokenSigner,
};
use signature::Keypair;
use zeroize::Zeroizing;

/// Which key on which token, and where its PIN is.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The key: an RFC 7512 PKCS #11 URI, e.g. `pkcs11:token=DS;object=ds-2026`.
    #[arg(long, value_name = "URI")]
    pub token_uri: Option<String>,
    /// The PKCS #11 module (default: the URI's module-path).
    #[arg(long, value_name = "PATH", requires = "token_uri")]
    pub module: Option<PathBuf>,
    /// A file holding the token's user PIN (first line; mode 0600).
    #[arg(
        long,
        value_name = "FILE",
        requires = "token_uri",
        conflicts_with = "pin_env"
    )]
    pub pin_file: Option<PathBuf>,
    /// An environment variable holding the token's user PIN.
    #[arg(long, value_name = "VAR", requires = "token_uri")]
    pub pin_env: Option<String>,
}

impl TokenArgs {
    /// The parsed URI (refusing a `pin-value`) when `--token-uri` is given.
    pub fn uri(&self) -> anyhow::Result<Option<Pkcs11Uri>> {
        let Some(text) = &self.token_uri else {
            return Ok(None);
        };
        let uri = Pkcs11Uri::parse(text).with_context(|| "--token-uri")?;
        if uri.pin_value.is_some() {
            bail!("--token-uri carries pin-value: give the PIN with --pin-file or --pin-env");
        }
        Ok(Some(uri))
    }

    /// The PIN: `--pin-file`, `--pin-env`, the URI's `pin-source`, or a prompt.
    pub fn pin(&self, uri: &Pkcs11Uri) -> anyhow::Result<Pin> {
        let source = match (&self.pin_file, &self.pin_env) {
            (Some(f), _) => Some(PinSource::File(f.clone())),
            (None, Some(v)) => Some(PinSource::Env(v.clone())),
            (None, None) => uri
                .pin_source
                .as_deref()
                .and_then(PinSource::from_uri_pin_source),
        };
        if let Some(source) = source {
            return Ok(source.read()?);
        }
        let label = uri.token.as_deref().unwrap_or("the token");
        let typed = rpassword::prompt_password(format!("User PIN of {label}: "))
            .context("reading the PIN from the terminal (or give --pin-file / --pin-env)")?;
        Ok(Pin::new(Zeroizing::new(typed))?)
    }
}

/// The token options of `lds build` and `enroll`: the key, its certificate, the policy, the audit.
#[derive(Debug, Clone, Args)]
pub struct TokenSignerArgs {
    /// The token key.
    #[command(flatten)]
    pub token: TokenArgs,
    /// The Document Signer certificate (PEM) issued for the token key.
    #[arg(long, value_name = "FILE", requires = "token_uri")]
    pub ds_cert: Option<PathBuf>,
    /// The audit log of every EF.SOD signature (JSON lines, mode 0600; default
    /// `sod-audit.jsonl`).
    #[arg(long, value_name = "FILE", requires = "token_uri")]
    pub audit_log: Option<PathBuf>,
    /// The station's audit key (32 bytes, created mode 0600 when missing; default
    /// `sod-audit.key` beside the audit log).
    #[arg(long, value_name = "FILE", requires = "token_uri")]
    pub audit_key: Option<PathBuf>,
    /// How many documents the key may sign in all.
    #[arg(long, value_name = "N", requires = "token_uri",
          default_value_t = DocumentSignerSlot::DEFAULT_MAX_DOCUMENTS)]
    pub max_documents: u64,
}

impl TokenSignerArgs {
    /// The guarded token signer, when `--token-uri` is given; `beside` is the folder the audit
    /// files default into.
    pub fn open(
        &self,
        station: &str,
        beside: &Path,
    ) -> anyhow::Result<Option<GuardedSigner<DsKey>>> {
        let Some(uri) = self.token.uri()? else {
            return Ok(None);
        };
        let Some(cert) = &self.ds_cert else {
            bail!("--token-uri needs --ds-cert: the Document Signer certificate of the token key");
        };
        if self.max_documents == 0 {
            bail!("--max-documents must be at least 1");
        }
        let log = self
            .audit_log
            .clone()
            .unwrap_or_else(|| beside.join("sod-audit.jsonl"));
        let key = self.audit_key.clone().unwrap_or_else(|| {
            log.parent()
                .unwrap_or_else(|| Path::new(""))
                .join("sod-audit.key")
        });
        let pin = self.token.pin(&uri)?;
        let signer = TokenSigner {
            module: self.token.module.as_deref(),
            key_uri: &uri,
            pin,
            certificate: cert,
            max_documents: self.max_documents,
            audit_log: &log,
            audit_key: &key,
            station,
        }
        .open()
        .with_context(|| format!("opening the Document Signer {uri}"))?;
        Ok(Some(signer))
    }
}

/// `pki ds request`.
#[derive(Debug, Args)]
pub struct DsRequestArgs {
    /// Where the key goes: `--token-uri` (object= names it, id= optional), `--module`, the PIN.
    #[command(flatten)]
    token: TokenArgs,
    /// The curve: p256, p384 or brainpoolP256r1 (where the token has them).
    #[arg(long, default_value = "p256")]
    curve: Curve,
    /// Country of the issuing State (ISO 3166-1 alpha-2), as the CSCA's.
    #[arg(long, value_name = "CC")]
    subject_country: String,
    /// Organization (the issuing authority).
    #[arg(long, value_name = "TEXT")]
    subject_org: Option<String>,
    /// Common name.
    #[arg(long, value_name = "TEXT", default_value = "Document Signer")]
    subject_cn: String,
    /// The certification request (PEM; `.der` for DER).
    #[arg(long)]
    out: PathBuf,
    /// Replace an existing request file.
    #[arg(long)]
    force: bool,
}

/// Runs `pki ds request`.
pub fn run_request(a: DsRequestArgs) -> anyhow::Result<ExitCode> {
    let Some(uri) = a.token.uri()? else {
        bail!("give --token-uri: the token and the name of the new key");
    };
    if a.out.exists() && !a.force {
        bail!("{} already exists (use --force)", a.out.display());
    }
    let subject = DsSubject {
        country: a.subject_country.clone(),
        organization: a.subject_org.clone(),
        common_name: a.subject_cn.clone(),
    };
    subject.name()?;
    let module = Module::for_uri(a.token.module.as_deref(), &uri)?;
    let pin = a.token.pin(&uri)?;
    let key = pkcs11::generate(module, &uri, &pin, a.curve)
        .with_context(|| format!("generating a {} key pair on the token", a.curve))?;
    let attributes = key.attributes()?;
    let csr = ds_request::certification_request::<_, EcdsaSignature>(&subject, &key)?;
    let der_out = a
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("der"));
    let bytes = if der_out {
        csr.clone()
    } else {
        ds_request::to_pem(&csr)?.into_bytes()
    };
    std::fs::write(&a.out, bytes).with_context(|| format!("writing {}", a.out.display()))?;
    let key_id = hex::encode(key.verifying_key().key_identifier()?);
    println!("Document Signer key generated on the token: {}", key.uri());
    println!("  curve {}, key identifier {key_id}", a.curve);
    println!(
        "  CKA_TOKEN {} CKA_PRIVATE {} CKA_SENSITIVE {} CKA_EXTRACTABLE {} CKA_NEVER_EXTRACTABLE {}",
        attributes.token,
        attributes.private,
        attributes.sensitive,
        attributes.extractable,
        attributes.never_extractable
    );
    println!(
        "Certification request (PKCS #10) written to {}",
        a.out.display()
    );
    println!(
        "  next: permitkit pki ds issue --csca DIR --csr {} …",
        a.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
