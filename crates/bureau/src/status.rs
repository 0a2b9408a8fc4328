//! Operations: queue depth, jobs by state, stuck jobs (claimed, lease run out), cards per line
//! and their rate over the last minutes, the spoilt-card rate and the queue latency
//! (queued → card reported) percentiles; as a report ([`Status`]) for `permitkit issuance
//! status` and as Prometheus text exposition format 0.0.4 for `/metrics`. Counts and
//! durations only: no application number, no personal data.

use std::fmt::Write as _;

use deadpool_postgres::Pool;
use serde::Serialize;

use crate::BureauError;

/// Minutes over which a line's rate is measured.
pub const RATE_WINDOW_MINUTES: f64 = 5.0;

/// The bureau's state.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Status {
    /// Jobs waiting for a line.
    pub queued: i64,
    /// Jobs a line holds under a live lease.
    pub claimed: i64,
    /// Jobs claimed whose lease ran out (their line stopped): claimable again.
    pub stuck: i64,
    /// Jobs done.
    pub done: i64,
    /// Jobs given up.
    pub failed: i64,
    /// Per line.
    pub lines: Vec<LineStatus>,
    /// Cards issued in all.
    pub issued_cards: i64,
    /// Cards spoilt in all.
    pub spoilt_cards: i64,
    /// Spoilt cards / all cards (0 when none).
    pub spoilt_rate: f64,
    /// Queue latency (queued → reported) of done jobs, seconds: median, 95th, 99th percentile.
    pub latency_seconds: Option<[f64; 3]>,
}

/// One line's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LineStatus {
    /// The line.
    pub line: String,
    /// Cards issued.
    pub issued: i64,
    /// Cards spoilt.
    pub spoilt: i64,
    /// Cards issued per minute over the last [`RATE_WINDOW_MINUTES`].
    pub per_minute: f64,
}

/// Reads the status.
pub async fn status(pool: &Pool) -> Result<Status, BureauError> {
    let client = pool.get().await?;
    let mut s = Status::default();
    for row in client
        .query(
            "SELECT CASE WHEN state = 'claimed' AND lease_until < now() THEN 'stuck' ELSE state END, \
             count(*) FROM jobs GROUP BY 1",
            &[],
        )
        .await?
    {
        let state: String = row.try_get(0)?;
        let n: i64 = row.try_get(1)?;
        match state.as_str() {
            "queued" => s.queued = n,
            "claimed" => s.claimed = n,
            "stuck" => s.stuck = n,
            "done" => s.done = n,
            "failed" => s.failed = n,
            _ => {}
        }
    }
    for row in client
        .query(
            "SELECT p.name, \
               count(c.serial) FILTER (WHERE c.outcome = 'issued'), \
               count(c.serial) FILTER (WHERE c.outcome = 'spoilt'), \
               count(c.serial) FILTER (WHERE c.outcome = 'issued' \
                 AND c.recorded_at > now() - make_interval(mins => $1::int)) \
             FROM principals p LEFT JOIN cards c ON c.line = p.name \
             WHERE p.kind = 'line' GROUP BY p.name ORDER BY p.name",
            &[&5i32],
        )
        .await?
    {
        let recent: i64 = row.try_get(3)?;
        let line = LineStatus {
            line: row.try_get(0)?,
            issued: row.try_get(1)?,
            spoilt: row.try_get(2)?,
            per_minute: recent as f64 / RATE_WINDOW_MINUTES,
        };
        s.issued_cards += line.issued;
        s.spoilt_cards += line.spoilt;
        s.lines.push(line);
    }
    let all = s.issued_cards + s.spoilt_cards;
    if all > 0 {
        s.spoilt_rate = s.spoilt_cards as f64 / all as f64;
    }
    let row = client
        .query_one(
            "SELECT percentile_cont(ARRAY[0.5, 0.95, 0.99]::float8[]) WITHIN GROUP ( \
               ORDER BY extract(epoch FROM finished_at - queued_at)::float8) \
             FROM jobs WHERE state = 'done'",
            &[],
        )
        .await?;
    let p: Option<Vec<f64>> = row.try_get(0)?;
    s.latency_seconds = p.and_then(|v| <[f64; 3]>::try_from(v).ok());
    Ok(s)
}

/// The status as Prometheus text exposition format.
pub fn prometheus(s: &Status) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP permitkit_bureau_jobs Personalization jobs by state."
    );
    let _ = writeln!(out, "# TYPE permitkit_bureau_jobs gauge");
    for (state, n) in [
        ("queued", s.queued),
        ("claimed", s.claimed),
        ("stuck", s.stuck),
        ("done", s.done),
        ("failed", s.failed),
    ] {
        let _ = writeln!(out, "permitkit_bureau_jobs{{state=\"{state}\"}} {n}");
    }
    let _ = writeln!(
        out,
        "# HELP permitkit_bureau_cards_total Cards reported, by line and outcome."
    );
    let _ = writeln!(out, "# TYPE permitkit_bureau_cards_total counter");
    for l in &s.lines {
        let line = escape(&l.line);
        let _ = writeln!(
            out,
            "permitkit_bureau_cards_total{{line=\"{line}\",outcome=\"issued\"}} {}",
            l.issued
        );
        let _ = writeln!(
            out,
            "permitkit_bureau_cards_total{{line=\"{line}\",outcome=\"spoilt\"}} {}",
            l.spoilt
        );
    }
    let _ = writeln!(
        out,
        "# HELP permitkit_bureau_cards_per_minute Cards issued per minute over the last 5 minutes."
    );
    let _ = writeln!(out, "# TYPE permitkit_bureau_cards_per_minute gauge");
    for l in &s.lines {
        let _ = writeln!(
            out,
            "permitkit_bureau_cards_per_minute{{line=\"{}\"}} {}",
            escape(&l.line),
            l.per_minute
        );
    }
    let _ = writeln!(
        out,
        "# HELP permitkit_bureau_spoilt_ratio Spoilt cards over all cards."
    );
    let _ = writeln!(out, "# TYPE permitkit_bureau_spoilt_ratio gauge");
    let _ = writeln!(out, "permitkit_bureau_spoilt_ratio {}", s.spoilt_rate);
    if let Some([p50, p95, p99]) = s.latency_seconds {
        let _ = writeln!(
            out,
            "# HELP permitkit_bureau_queue_latency_seconds Queued to reported, done jobs."
        );
        let _ = writeln!(out, "# TYPE permitkit_bureau_queue_latency_seconds summary");
        for (q, v) in [("0.5", p50), ("0.95", p95), ("0.99", p99)] {
            let _ = writeln!(
                out,
                "permitkit_bureau_queue_latency_seconds{{quantile=\"{q}\"}} {v}"
            );
        }
    }
    out
}

/// A label value escaped as the exposition format requires.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_lists_every_state_and_line_and_escapes_labels() {
        let s = Status {
            queued: 3,
            lines: vec![LineStatus {
                line: "a\"b".into(),
                issued: 7,
                spoilt: 1,
                per_minute: 1.5,
            }],
            spoilt_rate: 0.125,
            latency_seconds: Some([1.0, 2.0, 3.0]),
            ..Status::default()
        };
        let text = prometheus(&s);
        assert!(text.contains("permitkit_bureau_jobs{state=\"queued\"} 3\n"));
        assert!(
            text.contains("permitkit_bureau_cards_total{line=\"a\\\"b\",outcome=\"issued\"} 7\n")
        );
        assert!(text.contains("permitkit_bureau_spoilt_ratio 0.125\n"));
        assert!(text.contains("permitkit_bureau_queue_latency_seconds{quantile=\"0.99\"} 3\n"));
    }
}
