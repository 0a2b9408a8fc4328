//! `card read --terminal DIR`: reading as an inspection system (ICAO Doc 9303-11 §7.1,
//! Terminal Authentication after Chip Authentication), and how data groups behind Extended
//! Access Control are reported. The text output, the `terminal_authentication` object and the
//! `refused` reasons of `--json` say the same thing; a data group the chip keeps behind EAC is
//! "protected by EAC, not read", which passive authentication reports as not read (it stays
//! VALID for what was read).

use std::path::Path;

use anyhow::Context as _;
use permitkit_chip::reader::TaOutcome;
use permitkit_chip::ta::Terminal;
use permitkit_iso7816::apdu::StatusWord;
use permitkit_lds::Ef;

/// The terminal of a folder `pki eac init` wrote (`dv.cvcert`, `is.cvcert`, `is.pkcs8`, and
/// `link.cvcert` after a rollover).
pub(super) fn load(dir: &Path) -> anyhow::Result<Terminal> {
    permitkit_station::eac::load_terminal(dir)
        .with_context(|| format!("--terminal {}", dir.display()))
}

/// True for the data groups Terminal Authentication can grant (DG3, DG4).
fn behind_eac(ef: Ef) -> bool {
    matches!(ef, Ef::Dg(n) if matches!(n.get(), 3 | 4))
}

/// Why the chip would not give `ef`, for the report: DG3 and DG4 refused with `6982` are
/// protected by Extended Access Control.
pub(super) fn refusal(ef: Ef, sw: StatusWord, ta: &TaOutcome) -> String {
    if sw == StatusWord::SECURITY_STATUS_NOT_SATISFIED && behind_eac(ef) {
        let why = match ta {
            TaOutcome::NoTerminal => "no Terminal Authentication (give --terminal DIR)".to_owned(),
            TaOutcome::Granted { .. } => {
                "the terminal's authorization does not grant reading it".to_owned()
            }
            other => format!("Terminal Authentication {other}"),
        };
        format!("protected by EAC, not read: {why}; the chip answered {sw}")
    } else if sw == StatusWord::SECURITY_STATUS_NOT_SATISFIED {
        format!("{sw} (access control: the chip refused it in this session)")
    } else {
        format!("the chip answered {sw}")
    }
}

/// The `terminal_authentication` object of `--json`.
pub(super) fn json(ta: &TaOutcome) -> serde_json::Value {
    match ta {
        TaOutcome::Granted { terminal, chat } => serde_json::json!({
            "status": "granted",
            "terminal": terminal.to_string(),
            "reads_dg3": chat.reads_dg3(),
            "reads_dg4": chat.reads_dg4(),
            "detail": ta.to_string(),
        }),
        TaOutcome::Failed(_) => serde_json::json!({ "status": "failed", "detail": ta.to_string() }),
        TaOutcome::NoTerminal => {
            serde_json::json!({ "status": "not-run", "detail": ta.to_string() })
        }
        _ => serde_json::json!({ "status": "not-run", "detail": ta.to_string() }),
    }
}

/// The line of the text output.
pub(super) fn line(ta: &TaOutcome) -> String {
    match ta {
        TaOutcome::Granted { .. } => format!("terminal authentication: GRANTED ({ta})"),
        TaOutcome::Failed(_) => format!("terminal authentication: FAILED ({ta})"),
        other => format!("terminal authentication: {other}"),
    }
}
