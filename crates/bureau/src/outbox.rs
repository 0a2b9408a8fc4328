//! The station's outbox (issue 16, station side): an enrolment whose card the bureau makes ends
//! at the station with its application package ([`crate::package`]) sealed to the bureau's
//! key-agreement certificate (CMS EnvelopedData, `permitkit_pki::envelope`) and queued in the
//! station journal ([`permitkit_station::journal::outbox`]), in the transaction that deletes
//! its captures; [`sync`] then drains the outbox and pulls the bureau's status back.
//!
//! Delivery: each queued package is sent as it was sealed (the same bytes every time), with
//! exponential back-off (doubling from [`SyncOptions::first_delay`], at most a minute, at most
//! [`SyncOptions::attempts`] tries in one pass) while the bureau cannot be reached or answers
//! 5xx, 408 or 429. A 2xx answer is an acknowledgement: the package is deleted from the
//! journal. Any other 4xx is a refusal for good (a duplicate number from another station, a
//! package the bureau cannot open, checks that fail): recorded with the bureau's reason, the
//! package deleted, never sent again — except 401 and 403, which say the bureau does not (yet)
//! accept this station's signature: registering the station fixes that, so the package stays
//! queued. Sending the same package again is harmless: the bureau answers a package it holds
//! (same application number, same SHA-256) with its first receipt ([`crate::intake`]), so a
//! crash between the bureau's answer and the journal's record duplicates nothing.
//!
//! Logs name the application number and the outcome, never the package's content.

use std::collections::HashMap;
use std::time::Duration;

use permitkit_station::journal::Journal;
use permitkit_station::journal::outbox::{BureauStatus, OutboxState};
use permitkit_station::pipeline::Captured;
use zeroize::Zeroizing;

use crate::BureauError;
use crate::client::StationClient;
use crate::intake::{ApplicationStatus, Receipt};
use crate::package::Package;

/// Seals the application package of `captured` to the bureau's certificate
/// (`bureau_certificate`, DER) and queues it in `journal` for the bureau at `bureau`; the
/// enrolment is then finished at the station and its captures deleted.
pub fn queue(
    journal: &mut Journal,
    captured: &Captured,
    bureau: &str,
    bureau_certificate: &[u8],
) -> Result<(), BureauError> {
    let package = Package::new(captured.applicant_file.to_string(), &captured.captures);
    let json = Zeroizing::new(
        serde_json::to_vec(&package).map_err(|e| BureauError::Corrupt {
            what: "application package".into(),
            reason: e.to_string(),
        })?,
    );
    let sealed = permitkit_pki::envelope::seal(&json, bureau_certificate)?;
    journal.queue_for_bureau(&captured.id, bureau, &sealed)?;
    tracing::info!(application = %captured.application, "package sealed and queued for the bureau");
    Ok(())
}

/// How [`sync`] sends and retries.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Tries per package in one pass while the bureau cannot be reached (at least 1).
    pub attempts: u32,
    /// The wait after the first failed try; doubled after each, at most [`MAX_DELAY`].
    pub first_delay: Duration,
    /// Send every package here instead of the bureau it was queued for.
    pub bureau: Option<String>,
    /// Pull the status of submitted applications back.
    pub pull_status: bool,
    /// Only this enrolment's package (journal id), e.g. the one just queued.
    pub only: Option<String>,
}

impl SyncOptions {
    /// Where a package queued for `queued_for` goes: the override, else its own bureau.
    fn bureau_for(&self, queued_for: &str) -> String {
        self.bureau.clone().unwrap_or_else(|| queued_for.to_owned())
    }
}

/// The longest wait between two tries.
pub const MAX_DELAY: Duration = Duration::from_secs(60);

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            attempts: 4,
            first_delay: Duration::from_millis(500),
            bureau: None,
            pull_status: true,
            only: None,
        }
    }
}

/// What one [`sync`] pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    /// Applications the bureau acknowledged in this pass.
    pub submitted: Vec<String>,
    /// Applications the bureau refused for good in this pass, with its reason.
    pub refused: Vec<(String, String)>,
    /// Applications still queued, with why the last try failed.
    pub still_queued: Vec<(String, String)>,
    /// Applications whose bureau status changed in this pass.
    pub status_changed: Vec<(String, String)>,
    /// Submitted applications whose status could not be pulled, with why.
    pub status_failed: Vec<(String, String)>,
}

/// What the tries to deliver a package came to.
enum Delivery {
    /// 2xx.
    Acknowledged(Receipt),
    /// A 4xx other than 401, 403, 408, 429: never sent again.
    Refused(String),
    /// The bureau does not accept this station's signature (401, 403).
    NotAccepted(String),
    /// Not reached, or a transient answer, after every try.
    Unreached(String),
}

/// A delivery and the requests it took.
struct Outcome {
    delivery: Delivery,
    tries: u32,
}

/// Drains the outbox of `journal` through `connect` (a station client for a bureau URL), then
/// pulls the status of every submitted application whose state can still change.
pub async fn sync(
    journal: &mut Journal,
    connect: &dyn Fn(&str) -> Result<StationClient, BureauError>,
    options: &SyncOptions,
) -> Result<SyncReport, BureauError> {
    let mut report = SyncReport::default();
    let mut clients: HashMap<String, StationClient> = HashMap::new();
    // A bureau that could not be reached (or does not accept the station) in this pass is not
    // tried again for the next packages: they stay queued, with the same reason.
    let mut down: HashMap<String, String> = HashMap::new();
    let entries = journal.outbox()?;
    let wanted = |id: &str| options.only.as_deref().is_none_or(|only| only == id);
    for entry in entries
        .iter()
        .filter(|e| e.state == OutboxState::Queued && wanted(&e.enrolment))
    {
        let url = options.bureau_for(&entry.bureau);
        if let Some(reason) = down.get(&url) {
            report
                .still_queued
                .push((entry.application.clone(), reason.clone()));
            continue;
        }
        let Some(sealed) = journal.outbox_package(&entry.enrolment)? else {
            continue;
        };
        let client = client_for(&mut clients, &url, connect)?;
        let Outcome { delivery, tries } = deliver(client, &sealed, options).await;
        match delivery {
            Delivery::Acknowledged(receipt) => {
                let status = BureauStatus {
                    state: receipt.state.clone(),
                    spoilt_cards: 0,
                    card: None,
                };
                journal.outbox_acknowledged(&entry.enrolment, tries, &status)?;
                tracing::info!(
                    application = %entry.application,
                    duplicate = receipt.duplicate,
                    "package acknowledged by the bureau"
                );
                report.submitted.push(entry.application.clone());
            }
            Delivery::Refused(reason) => {
                journal.outbox_refused(&entry.enrolment, tries, &reason)?;
                tracing::warn!(application = %entry.application, %reason, "package refused by the bureau");
                report.refused.push((entry.application.clone(), reason));
            }
            Delivery::NotAccepted(reason) | Delivery::Unreached(reason) => {
                journal.outbox_attempt_failed(&entry.enrolment, tries, &reason)?;
                tracing::info!(application = %entry.application, %reason, "package still queued");
                report
                    .still_queued
                    .push((entry.application.clone(), reason.clone()));
                down.insert(url, reason);
            }
        }
    }
    if !options.pull_status {
        return Ok(report);
    }
    for entry in journal.outbox()? {
        if entry.state != OutboxState::Submitted || !entry.is_open() || !wanted(&entry.enrolment) {
            continue;
        }
        let url = options.bureau_for(&entry.bureau);
        if let Some(reason) = down.get(&url) {
            report
                .status_failed
                .push((entry.application.clone(), reason.clone()));
            continue;
        }
        let client = client_for(&mut clients, &url, connect)?;
        match client.status(&entry.application).await {
            Ok(Some(s)) => {
                let status = bureau_status(s);
                if entry.bureau_status.as_ref() != Some(&status) {
                    report
                        .status_changed
                        .push((entry.application.clone(), status.state.clone()));
                }
                journal.outbox_status(&entry.enrolment, &status)?;
            }
            Ok(None) => report.status_failed.push((
                entry.application.clone(),
                "the bureau does not know this application".into(),
            )),
            Err(e) => {
                let reason = describe(&e);
                report
                    .status_failed
                    .push((entry.application.clone(), reason.clone()));
                if !matches!(e, BureauError::Status { .. }) {
                    down.insert(url, reason);
                }
            }
        }
    }
    Ok(report)
}

/// One package, tried until the bureau answers for good or the tries run out.
async fn deliver(client: &StationClient, sealed: &[u8], options: &SyncOptions) -> Outcome {
    let mut delay = options.first_delay;
    let mut tries = 0;
    let delivery = loop {
        tries += 1;
        let error = match client.submit_sealed(sealed).await {
            Ok(receipt) => break Delivery::Acknowledged(receipt),
            Err(BureauError::Status { status, body }) => match status {
                401 | 403 => {
                    break Delivery::NotAccepted(format!(
                        "the bureau does not accept this station's signature ({status}: {}); \
                         register the station's key with the bureau",
                        message(&body)
                    ));
                }
                408 | 429 | 500..=599 => {
                    format!("the bureau answered {status}: {}", message(&body))
                }
                _ => break Delivery::Refused(format!("{status}: {}", message(&body))),
            },
            Err(e) => describe(&e),
        };
        if tries >= options.attempts.max(1) {
            break Delivery::Unreached(error);
        }
        tracing::info!(
            error = %error,
            retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "bureau not reached"
        );
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_DELAY);
    };
    Outcome { delivery, tries }
}

fn client_for<'a>(
    clients: &'a mut HashMap<String, StationClient>,
    url: &str,
    connect: &dyn Fn(&str) -> Result<StationClient, BureauError>,
) -> Result<&'a StationClient, BureauError> {
    if !clients.contains_key(url) {
        clients.insert(url.to_owned(), connect(url)?);
    }
    clients.get(url).ok_or_else(|| BureauError::Corrupt {
        what: "outbox".into(),
        reason: "client cache".into(),
    })
}

fn bureau_status(s: ApplicationStatus) -> BureauStatus {
    BureauStatus {
        state: s.state,
        spoilt_cards: s.spoilt_cards,
        card: s.card,
    }
}

/// The bureau's `{"error": …}` message, or the body as it came (at most 300 characters).
fn message(body: &str) -> String {
    let text = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| body.trim().to_owned());
    text.chars().take(300).collect()
}

/// An error as one line, with its sources (reqwest's own message hides the cause).
fn describe(e: &BureauError) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let m = s.to_string();
        if !text.contains(&m) {
            text.push_str(": ");
            text.push_str(&m);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A bureau stand-in on loopback that answers each request with the next of `answers`
    /// (status, body), closing each connection; returns its URL.
    fn scripted(answers: Vec<(u16, &'static str)>) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for (status, body) in answers {
                let (mut socket, _) = listener.accept().unwrap();
                // Read the head and the body its content-length announces.
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let n = socket.read(&mut buf).unwrap();
                    assert!(n > 0, "request cut short");
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length: "))
                            .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                socket.write_all(answer.as_bytes()).unwrap();
            }
        });
        url
    }

    fn options(attempts: u32) -> SyncOptions {
        SyncOptions {
            attempts,
            first_delay: Duration::from_millis(1),
            ..SyncOptions::default()
        }
    }

    const RECEIPT: &str = r#"{"application":"TRP-1","state":"queued","duplicate":false}"#;

    #[tokio::test]
    async fn transient_answers_are_retried_and_refusals_are_final() {
        let key = crate::keys::generate().unwrap();
        let client = |url: &str| StationClient::new(url, "st", key.clone(), Vec::new()).unwrap();

        let url = scripted(vec![(503, "{}"), (429, "{}"), (202, RECEIPT)]);
        let out = deliver(&client(&url), b"sealed", &options(5)).await;
        assert_eq!(out.tries, 3);
        assert!(matches!(out.delivery, Delivery::Acknowledged(r) if r.application == "TRP-1"));

        let url = scripted(vec![(500, "{}"), (502, "{}")]);
        let out = deliver(&client(&url), b"sealed", &options(2)).await;
        assert_eq!(out.tries, 2);
        assert!(matches!(out.delivery, Delivery::Unreached(e) if e.contains("502")));

        let url = scripted(vec![(
            409,
            r#"{"error":"application TRP-1 belongs to another station"}"#,
        )]);
        let out = deliver(&client(&url), b"sealed", &options(5)).await;
        assert_eq!(out.tries, 1);
        assert!(matches!(
            out.delivery,
            Delivery::Refused(r) if r == "409: application TRP-1 belongs to another station"
        ));

        let url = scripted(vec![(401, r#"{"error":"st is not a registered sender"}"#)]);
        let out = deliver(&client(&url), b"sealed", &options(5)).await;
        assert_eq!(out.tries, 1);
        assert!(matches!(out.delivery, Delivery::NotAccepted(r) if r.contains("register")));

        // Nothing listens: every try fails to connect.
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        let out = deliver(&client(&url), b"sealed", &options(3)).await;
        assert_eq!(out.tries, 3);
        assert!(matches!(out.delivery, Delivery::Unreached(e) if e.contains("onnect")));
    }

    #[test]
    fn messages_come_from_the_bureaus_error_field() {
        assert_eq!(
            message(r#"{"error":"application X belongs to another station"}"#),
            "application X belongs to another station"
        );
        assert_eq!(message(" unknown application\n"), "unknown application");
        assert_eq!(message(&"x".repeat(1000)).len(), 300);
    }
}
