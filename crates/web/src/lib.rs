//! The web layer: HTML pages and the `/api/v1` JSON API over the same use cases. Thin: parse,
//! call `salesos_app`, render. Pages and API endpoints of one business area sit side by side
//! (`pages/people.rs`, `api/people.rs`).

pub mod api;
pub mod assets;
pub mod charts;
pub mod ctx;
pub mod export;
pub mod health;
pub mod i18n;
pub mod pages;
pub mod problem;
pub mod routes;
pub mod session;

use axum::Router;
use salesos_app::App;
use std::sync::Arc;

/// Settings of the web layer.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Always mark cookies `Secure` (set when the public address is https). Requests that arrive
    /// through a TLS-terminating proxy saying `X-Forwarded-Proto: https` get `Secure` anyway.
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted reverse proxy).
    pub trust_proxy: bool,
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub web: Arc<WebConfig>,
}

impl AppState {
    pub fn new(app: App, web: WebConfig) -> Self {
        AppState {
            app,
            web: Arc::new(web),
        }
    }
}

/// The whole HTTP surface, with its middleware.
pub fn router(state: AppState) -> Router {
    routes::build(state)
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
