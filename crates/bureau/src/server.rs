//! The bureau's HTTP service (axum over tokio):
//!
//! | method and path | who | what |
//! |---|---|---|
//! | `POST /v1/applications` | a station | submit a package ([`crate::intake`]) |
//! | `GET /v1/applications/{number}` | the station that sent it | its state, cards spoilt, the issued card's serial |
//! | `GET /metrics` | anyone (counts only) | Prometheus text ([`crate::status`]) |
//! | `GET /healthz` | anyone | `ok` |
//!
//! Every `/v1` request is authenticated ([`crate::auth`]) against the registered stations;
//! bodies are limited to [`MAX_PACKAGE_BYTES`] before anything is parsed. A package travels
//! sealed to the bureau's key (CMS EnvelopedData); the request signature covers the sealed
//! bytes. Refusals answer 401
//! (authentication), 409 (duplicates and conflicts) or 422 (checks); the log names the station,
//! the application number and the outcome, never the package's content.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use deadpool_postgres::Pool;

use permitkit_model::profiles::Registry;
use permitkit_pki::DocumentSigner;
use permitkit_pki::desk::DeskKeyPair;
use permitkit_station::signer::StationSigner;

use crate::BureauError;
use crate::auth::{self, AuthError, RequestHead};
use crate::intake::{Intake, Refusal};
use crate::package::MAX_PACKAGE_BYTES;

/// How to run the service (no `Debug`: the database URL may hold a password).
#[derive(Clone)]
pub struct ServeConfig {
    /// The database URL.
    pub database: String,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Folder with the Document Signer's `ds.pem` and `ds-key.pem` (read when `signer` is
    /// `None`) and the EAC trust points the document profiles name (`eac/cvca.cvcert`).
    pub pki: PathBuf,
    /// The Document Signer opened by the caller — a key on a PKCS #11 token behind the signing
    /// policy, every signature audited ([`StationSigner::Guarded`]); `None` for the `pki`
    /// folder's files.
    pub signer: Option<Arc<StationSigner>>,
    /// Folder with the bureau's key-agreement certificate and key (`desk.pem`,
    /// `desk-key.pem`, `permitkit pki desk init`) that stations seal packages to.
    pub desk: PathBuf,
    /// Profiles.
    pub registry: Registry,
}

struct AppState {
    intake: Intake,
}

/// Applies the migrations, then serves until `shutdown` completes.
pub async fn serve(
    config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BureauError> {
    crate::db::migrate(&config.database).await?;
    let pool = crate::db::pool(&config.database, 16)?;
    let secret = crate::db::document_key_secret(&pool).await?;
    let signer = match &config.signer {
        Some(signer) => Arc::clone(signer),
        None => Arc::new(StationSigner::Files(DocumentSigner::load_dir(&config.pki)?)),
    };
    let desk = DeskKeyPair::load(
        &config.desk.join(permitkit_pki::desk::CERTIFICATE_FILE),
        &config.desk.join(permitkit_pki::desk::KEY_FILE),
    )?;
    let intake = Intake::new(
        pool.clone(),
        desk,
        config.registry.clone(),
        signer,
        config.pki.clone(),
        secret,
    );
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| BureauError::Io {
            path: config.listen.to_string(),
            source,
        })?;
    let local = listener.local_addr().map_err(|source| BureauError::Io {
        path: config.listen.to_string(),
        source,
    })?;
    tracing::info!(listen = %local, "bureau serving");
    let pruner = tokio::spawn(prune_nonces(pool));
    let app = router(Arc::new(AppState { intake }));
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|source| BureauError::Io {
            path: local.to_string(),
            source,
        });
    pruner.abort();
    served
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/applications", post(submit))
        .route("/v1/applications/{number}", get(application_state))
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(MAX_PACKAGE_BYTES))
        .with_state(state)
}

/// Forgets nonces older than the freshness window (a request that old is refused as stale).
async fn prune_nonces(pool: Pool) {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        if let Ok(client) = pool.get().await {
            let _ = client
                .execute(
                    "DELETE FROM request_nonces WHERE seen_at < now() - make_interval(secs => $1)",
                    &[&(2.0 * auth::MAX_SKEW_SECS as f64)],
                )
                .await;
        }
    }
}

/// An answer with an error.
struct ApiError(BureauError);

impl From<BureauError> for ApiError {
    fn from(e: BureauError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self.0 {
            BureauError::Auth(_) => StatusCode::UNAUTHORIZED,
            BureauError::Refused(
                Refusal::ConflictingPackage(_)
                | Refusal::OtherStation(_)
                | Refusal::DocumentTaken(_)
                | Refusal::NeedsReplacement(_),
            ) => StatusCode::CONFLICT,
            BureauError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self.0, "request failed");
            "internal error".to_owned()
        } else {
            self.0.to_string()
        };
        let body = serde_json::json!({ "error": message }).to_string();
        (status, [("content-type", "application/json")], body).into_response()
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, AuthError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthError::Header(name))
}

/// Authenticates a request of a station; returns its name and the signature (DER).
async fn authenticate(
    pool: &Pool,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(String, Vec<u8>), BureauError> {
    let principal = header(headers, auth::HEADER_PRINCIPAL)?;
    let time: i64 = header(headers, auth::HEADER_TIME)?
        .parse()
        .map_err(|_| AuthError::Header(auth::HEADER_TIME))?;
    let nonce = header(headers, auth::HEADER_NONCE)?;
    if !auth::nonce_is_well_formed(nonce) {
        return Err(AuthError::Header(auth::HEADER_NONCE).into());
    }
    let signature = header(headers, auth::HEADER_SIGNATURE)?;
    auth::check_time(time, auth::unix_now())?;
    let (client, row) = crate::db_clock::timed(async {
        let client = pool.get().await?;
        let row = client
            .query_opt(
                "SELECT public_key FROM principals WHERE name = $1 AND kind = 'station'",
                &[&principal],
            )
            .await?;
        Ok::<_, BureauError>((client, row))
    })
    .await?;
    let row = row.ok_or_else(|| AuthError::Unregistered(principal.to_owned()))?;
    let key: Vec<u8> = row.try_get(0)?;
    let head = RequestHead {
        method: method.as_str(),
        path: uri.path(),
        time,
        nonce,
    };
    auth::verify(&key, &head, body, signature)?;
    let fresh = crate::db_clock::timed(client.execute(
        "INSERT INTO request_nonces (principal, nonce) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[&principal, &nonce],
    ))
    .await?;
    if fresh != 1 {
        return Err(AuthError::Replayed.into());
    }
    let der = hex::decode(signature).map_err(|_| AuthError::Header(auth::HEADER_SIGNATURE))?;
    Ok((principal.to_owned(), der))
}

async fn submit(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let outcome = async {
        let (station, signature) =
            authenticate(state.intake.pool(), &method, &uri, &headers, &body).await?;
        let receipt = state.intake.submit(&station, &body, &signature).await;
        if let Err(e) = &receipt {
            tracing::warn!(station, error = %e, "package refused");
        }
        receipt
    }
    .await;
    let receipt = match outcome {
        Ok(r) => r,
        Err(e) => {
            if matches!(e, BureauError::Auth(_)) {
                tracing::warn!(error = %e, "request refused");
            }
            return Err(e.into());
        }
    };
    let status = if receipt.duplicate {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    let body = serde_json::to_string(&receipt).map_err(|e| {
        ApiError(BureauError::Corrupt {
            what: "receipt".into(),
            reason: e.to_string(),
        })
    })?;
    Ok((status, [("content-type", "application/json")], body).into_response())
}

async fn application_state(
    State(state): State<Arc<AppState>>,
    Path(number): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (station, _) = authenticate(state.intake.pool(), &method, &uri, &headers, &body).await?;
    match state.intake.status(&station, &number).await? {
        Some(s) => {
            let body = serde_json::to_string(&s).map_err(|e| {
                ApiError(BureauError::Corrupt {
                    what: "application status".into(),
                    reason: e.to_string(),
                })
            })?;
            Ok((StatusCode::OK, [("content-type", "application/json")], body).into_response())
        }
        None => Ok((StatusCode::NOT_FOUND, "unknown application").into_response()),
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let status = crate::status::status(state.intake.pool()).await?;
    Ok((
        StatusCode::OK,
        [("content-type", "text/plain; version=0.0.4")],
        crate::status::prometheus(&status),
    )
        .into_response())
}

/// Registers a station or a line (`kind` is `station` or `line`) with its public key (applying
/// the migrations first); registering a name again replaces its key, never its kind.
pub async fn register(
    database: &str,
    kind: &str,
    name: &str,
    public_key_der: &[u8],
) -> Result<(), BureauError> {
    crate::db::migrate(database).await?;
    let pool = crate::db::pool(database, 1)?;
    let client = pool.get().await?;
    client
        .execute(
            "INSERT INTO principals (name, kind, public_key) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET public_key = EXCLUDED.public_key \
             WHERE principals.kind = EXCLUDED.kind",
            &[&name, &kind, &public_key_der],
        )
        .await?;
    Ok(())
}

/// Runs `future` on a fresh multi-threaded tokio runtime (for the command line).
pub fn block_on<F: Future>(future: F) -> Result<F::Output, BureauError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| BureauError::Io {
            path: "tokio runtime".into(),
            source,
        })?;
    Ok(runtime.block_on(future))
}

/// Completes on SIGINT or SIGTERM (graceful shutdown of `serve`).
pub async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}
