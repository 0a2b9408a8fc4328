//! The web server: the router over a [`Desk`] and the listener. Loopback by default
//! (`127.0.0.1:8080`): the station serves the desk it stands on and, through a reverse proxy
//! that adds TLS, the national system.

use std::{net::SocketAddr, sync::Arc};

use axum::Router;

use crate::desk::Desk;
use crate::error::ServeError;

/// The address `station serve` listens on unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Every route of the station: the integration API and the operator screens; fails when the
/// screens' sign-in limit does not read back from the station's state folder.
pub fn router(desk: Arc<Desk>) -> Result<Router, ServeError> {
    let ui = crate::ui::Ui::new(Arc::clone(&desk))?;
    Ok(crate::api::router(desk).merge(crate::ui::router(ui)))
}

/// Serves `desk` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    desk: Arc<Desk>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    Ready::new(listener, desk)?.run(shutdown).await
}

/// A server whose routes are built (the sign-in limit read back) and not yet serving: what
/// `station serve` announces once it knows the station can start.
pub struct Ready {
    listener: tokio::net::TcpListener,
    router: Router,
    address: String,
    station: String,
}

impl Ready {
    /// The routes of `desk` on `listener`.
    pub fn new(listener: tokio::net::TcpListener, desk: Arc<Desk>) -> Result<Self, ServeError> {
        let address = listener
            .local_addr()
            .map_or_else(|_| "?".to_owned(), |a: SocketAddr| a.to_string());
        let station = desk.profile().id.clone();
        let router = router(desk)?;
        Ok(Self {
            listener,
            router,
            address,
            station,
        })
    }

    /// Serves until `shutdown` resolves.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let Self {
            listener,
            router,
            address,
            station,
        } = self;
        tracing::info!(%address, %station, "serving");
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|source| ServeError::Listen { address, source })
    }
}
