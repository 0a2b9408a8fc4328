//! `permitkit pki lint FILE…`: certificates against the ICAO Doc 9303-12 profile
//! (`permitkit_pki::lint`), each finding with its clause and severity. Exit 2 when a finding
//! is an error.

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context;
use clap::Args;
use permitkit_pki::{
    files::read_der,
    lint::{LintOptions, LintReport, Severity, lint},
    profile::Role,
};

/// `pki lint` options.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Certificates (PEM or DER).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Check as this role instead of the one the certificate shows: csca, link, ds, ml-signer,
    /// dl-signer.
    #[arg(long)]
    role: Option<Role>,
    /// The issuer's certificate: check the signature, the authorityKeyIdentifier and the names
    /// against it too.
    #[arg(long)]
    issuer: Option<PathBuf>,
    /// Print the findings as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `pki lint`.
pub fn run(args: LintArgs) -> anyhow::Result<ExitCode> {
    let issuer = match &args.issuer {
        Some(p) => {
            Some(read_der(p, "CERTIFICATE").with_context(|| format!("issuer {}", p.display()))?)
        }
        None => None,
    };
    let opts = LintOptions {
        role: args.role,
        issuer,
    };
    let mut reports = Vec::new();
    for file in &args.files {
        let der = read_der(file, "CERTIFICATE")?;
        let report = lint(&der, &opts).with_context(|| file.display().to_string())?;
        reports.push((file.display().to_string(), report));
    }
    let failed = reports.iter().any(|(_, r)| r.errors().next().is_some());
    if args.json {
        let out: Vec<serde_json::Value> = reports
            .iter()
            .map(|(file, r)| {
                serde_json::json!({
                    "file": file,
                    "role": r.role,
                    "subject": r.subject,
                    "clean": r.is_clean(),
                    "findings": r.findings,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for (file, r) in &reports {
            print_report(file, r);
        }
    }
    Ok(if failed {
        ExitCode::from(super::exit::CHECK_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_report(file: &str, r: &LintReport) {
    println!(
        "{file}: {} {}{}",
        r.role,
        r.subject,
        if r.role_detected { "" } else { " (role given)" }
    );
    for f in &r.findings {
        println!(
            "  {:<7} {:<26} {:<30} {}",
            f.severity.to_string(),
            f.id,
            f.clause,
            f.message
        );
    }
    println!(
        "  {} error(s), {} warning(s), {} note(s): {}",
        r.count(Severity::Error),
        r.count(Severity::Warning),
        r.count(Severity::Info),
        if r.is_clean() {
            "clean"
        } else if r.errors().next().is_some() {
            "NOT conforming"
        } else {
            "conforming, with warnings"
        }
    );
}

/// After issuing: one line saying what the linter thinks of the certificate just written, and
/// every error and warning. An error stops the command (the certificate was written, but the
/// operator must see it is not conforming).
pub fn print_lint_summary(der: &[u8], issuer: Option<&[u8]>) -> anyhow::Result<()> {
    let report = lint(
        der,
        &LintOptions {
            role: None,
            issuer: issuer.map(<[u8]>::to_vec),
        },
    )?;
    for f in report
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
    {
        println!(
            "  lint {} {} ({}): {}",
            f.severity, f.id, f.clause, f.message
        );
    }
    println!(
        "  lint: {} against the 9303-12 {} profile",
        if report.is_clean() {
            "clean"
        } else {
            "findings above"
        },
        report.role
    );
    if report.errors().next().is_some() {
        anyhow::bail!("the certificate written does not conform to the 9303-12 profile");
    }
    Ok(())
}
