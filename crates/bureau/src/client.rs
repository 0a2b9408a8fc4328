//! The station's side of the bureau: signed requests ([`crate::auth`]) over HTTP, a package
//! submitted and retried with exponential back-off until the bureau acknowledges it (an answer
//! of 2xx), or refuses it for good (4xx: retrying the same package cannot help).

use std::time::Duration;

use p256::ecdsa::SigningKey;
use reqwest::StatusCode;

use crate::BureauError;
use crate::auth::{self, RequestHead};
use crate::intake::{ApplicationStatus, Receipt};

/// A station's connection to the bureau.
pub struct StationClient {
    base: String,
    bureau_certificate: Vec<u8>,
    name: String,
    key: SigningKey,
    http: reqwest::Client,
}

/// An answer as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body text.
    pub body: String,
}

impl StationClient {
    /// Station `name` with `key`, talking to the bureau at `base` (`http://host:port`) whose
    /// key-agreement certificate (DER) is `bureau_certificate`.
    pub fn new(
        base: &str,
        name: &str,
        key: SigningKey,
        bureau_certificate: Vec<u8>,
    ) -> Result<Self, BureauError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            bureau_certificate,
            name: name.to_owned(),
            key,
            http,
        })
    }

    /// The authentication headers of a request, freshly timed and with a fresh nonce.
    pub fn headers(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<Vec<(&'static str, String)>, BureauError> {
        let nonce = auth::nonce()?;
        let time = auth::unix_now();
        let head = RequestHead {
            method,
            path,
            time,
            nonce: &nonce,
        };
        let signature = auth::sign(&self.key, &head, body);
        Ok(vec![
            (auth::HEADER_PRINCIPAL, self.name.clone()),
            (auth::HEADER_TIME, time.to_string()),
            (auth::HEADER_NONCE, nonce),
            (auth::HEADER_SIGNATURE, signature),
        ])
    }

    /// Sends one request with the given headers as they are (tests replay and tamper with them).
    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&'static str, String)],
        body: &[u8],
    ) -> Result<Answer, BureauError> {
        let method =
            reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| BureauError::Status {
                status: 0,
                body: "bad method".into(),
            })?;
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .body(body.to_vec());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let body = response.text().await?;
        Ok(Answer { status, body })
    }

    /// Seals a package (its JSON) to the bureau's key.
    pub fn seal(&self, package: &[u8]) -> Result<Vec<u8>, BureauError> {
        Ok(permitkit_pki::envelope::seal(
            package,
            &self.bureau_certificate,
        )?)
    }

    /// Submits a package (its JSON) once, sealed to the bureau's key.
    pub async fn submit(&self, package: &[u8]) -> Result<Receipt, BureauError> {
        let sealed = self.seal(package)?;
        self.submit_sealed(&sealed).await
    }

    /// Submits a sealed package once.
    pub async fn submit_sealed(&self, body: &[u8]) -> Result<Receipt, BureauError> {
        let path = "/v1/applications";
        let headers = self.headers("POST", path, body)?;
        let answer = self.send_raw("POST", path, &headers, body).await?;
        receipt(answer)
    }

    /// Submits a package (sealed once, the same envelope each time) until the bureau answers: transport failures and 5xx answers are
    /// retried after `first_delay`, doubling up to a minute, at most `attempts` times; a 4xx
    /// refusal is returned at once.
    pub async fn submit_until_acknowledged(
        &self,
        body: &[u8],
        attempts: u32,
        first_delay: Duration,
    ) -> Result<Receipt, BureauError> {
        let sealed = self.seal(body)?;
        let mut delay = first_delay;
        let mut tries = 0;
        loop {
            tries += 1;
            match self.submit_sealed(&sealed).await {
                Ok(r) => return Ok(r),
                Err(BureauError::Status { status, body }) if status < 500 => {
                    return Err(BureauError::Status { status, body });
                }
                Err(e) if tries >= attempts => return Err(e),
                Err(e) => {
                    tracing::info!(error = %e, retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), "bureau not reached");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(60));
                }
            }
        }
    }

    /// The status of an application this station sent (`None`: unknown to the bureau, or
    /// sent by another station).
    pub async fn status(
        &self,
        application: &str,
    ) -> Result<Option<ApplicationStatus>, BureauError> {
        let path = format!("/v1/applications/{}", path_segment(application));
        let headers = self.headers("GET", &path, b"")?;
        let answer = self.send_raw("GET", &path, &headers, b"").await?;
        if answer.status == StatusCode::NOT_FOUND.as_u16() {
            return Ok(None);
        }
        if answer.status != 200 {
            return Err(BureauError::Status {
                status: answer.status,
                body: answer.body,
            });
        }
        serde_json::from_str(&answer.body)
            .map(Some)
            .map_err(|e| BureauError::Corrupt {
                what: "application status".into(),
                reason: e.to_string(),
            })
    }

    /// The state of an application this station sent (`None`: unknown to the bureau).
    pub async fn state(&self, application: &str) -> Result<Option<String>, BureauError> {
        let path = format!("/v1/applications/{application}");
        let headers = self.headers("GET", &path, b"")?;
        let answer = self.send_raw("GET", &path, &headers, b"").await?;
        if answer.status == StatusCode::NOT_FOUND.as_u16() {
            return Ok(None);
        }
        if answer.status != 200 {
            return Err(BureauError::Status {
                status: answer.status,
                body: answer.body,
            });
        }
        let value: serde_json::Value =
            serde_json::from_str(&answer.body).map_err(|e| BureauError::Corrupt {
                what: "state answer".into(),
                reason: e.to_string(),
            })?;
        Ok(value
            .get("state")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned))
    }
}

/// `segment` percent-encoded (RFC 3986 §2.1) except its unreserved characters.
fn path_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn receipt(answer: Answer) -> Result<Receipt, BureauError> {
    if !(200..300).contains(&answer.status) {
        return Err(BureauError::Status {
            status: answer.status,
            body: answer.body,
        });
    }
    serde_json::from_str(&answer.body).map_err(|e| BureauError::Corrupt {
        what: "receipt".into(),
        reason: e.to_string(),
    })
}
