//! `card read`: how Chip Authentication (ICAO Doc 9303-11 §6.2) or PACE-CAM (§4.4.3.5) is
//! reported. The chip proving it holds a key counts as "chip authenticated" only when passive
//! authentication vouches for the file the key came from (DG14's hash in a valid EF.SOD, or
//! EF.CardSecurity's own signature: 9303-11 §4.4.3.5.2 note, Appendix J.1 step 3), so the
//! verdict joins the two: the `chip-authentication` check added to the passive authentication
//! report, the line of the text output and the `chip_authentication` object of `--json` say the
//! same thing.

use permitkit_chip::reader::CaOutcome;
use permitkit_pki::{CheckStatus, PaReport};

/// What the report says of the chip's genuineness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ChipAuthenticity {
    /// `authenticated`, `key-proved` (passive authentication not run), `failed`, `not-run` or
    /// `not-offered`.
    pub(super) status: &'static str,
    /// The method: `chip-authentication` or `pace-cam`.
    pub(super) method: Option<&'static str>,
    /// What was found, for a person.
    pub(super) detail: String,
}

impl ChipAuthenticity {
    /// Joins the chip's outcome and passive authentication's report (`None`: not run).
    pub(super) fn new(outcome: &CaOutcome, pa: Option<&PaReport>) -> Self {
        let method = match outcome {
            CaOutcome::Authenticated(_) => Some("chip-authentication"),
            CaOutcome::AuthenticatedByCam { .. } => Some("pace-cam"),
            _ => None,
        };
        let (status, detail) = match (outcome, pa) {
            (o, Some(report)) if o.is_authenticated() => {
                let file = o.key_file();
                let vouched = report.is_valid()
                    && file.is_some_and(|f| {
                        let id = if f == permitkit_lds::Ef::CardSecurity {
                            permitkit_pki::card_security::CHECK.to_owned()
                        } else {
                            format!("hash:{}", f.name())
                        };
                        report
                            .checks
                            .iter()
                            .any(|c| c.id == id && c.status == CheckStatus::Pass)
                    });
                if vouched {
                    (
                        "authenticated",
                        format!("{o}; passive authentication vouches for it"),
                    )
                } else {
                    (
                        "failed",
                        format!(
                            "{o}, but passive authentication is NOT VALID or does not cover the key's file"
                        ),
                    )
                }
            }
            (o, None) if o.is_authenticated() => (
                "key-proved",
                format!(
                    "{o}; not authenticated: passive authentication not run (give --csca or --trust)"
                ),
            ),
            (CaOutcome::Failed(e), _) => ("failed", e.to_string()),
            (CaOutcome::NotOffered, _) => ("not-offered", outcome.to_string()),
            (other, _) => ("not-run", other.to_string()),
        };
        Self {
            status,
            method,
            detail,
        }
    }

    /// True when a proof ran and failed, or passive authentication refuses the key's file.
    pub(super) fn is_failed(&self) -> bool {
        self.status == "failed"
    }

    /// Adds the `chip-authentication` check to the passive authentication report (none when
    /// the chip offers no Chip Authentication).
    pub(super) fn add_to(&self, report: &mut PaReport) {
        let status = match self.status {
            "authenticated" => CheckStatus::Pass,
            "failed" => CheckStatus::Fail,
            "not-offered" => return,
            _ => CheckStatus::NotChecked,
        };
        report.add("chip-authentication", status, self.detail.clone());
    }

    /// The phrase of the one-line verdict.
    pub(super) fn verdict(&self) -> &'static str {
        match self.status {
            "authenticated" => "chip authenticated",
            "failed" => "chip authentication FAILED",
            "key-proved" => "chip authentication not verified",
            "not-offered" => "no chip authentication offered",
            _ => "chip authentication not run",
        }
    }

    /// The line of the text output.
    pub(super) fn line(&self) -> String {
        let head = match self.status {
            "authenticated" => "VALID",
            "failed" => "FAILED",
            "key-proved" => "NOT VERIFIED",
            _ => "not run",
        };
        format!("chip authentication: {head} ({})", self.detail)
    }

    /// The `chip_authentication` object of `--json`.
    pub(super) fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "status": self.status,
            "method": self.method,
            "detail": self.detail,
        })
    }
}
