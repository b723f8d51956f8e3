//! Facts about the request every handler may need: where it came from, its id, the language.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use salesos_domain::people::Locale;
use std::net::SocketAddr;

pub const LANG_COOKIE: &str = "salesos_lang";

#[derive(Debug, Clone)]
pub struct RequestCtx {
    pub source: String,
    pub request_id: String,
    pub https: bool,
    /// The language for this request: the person's choice, else the cookie, else the browser's.
    pub locale: Locale,
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub fn browser_locale(headers: &HeaderMap) -> Locale {
    if let Some(choice) = cookie(headers, LANG_COOKIE).and_then(|c| Locale::parse(&c)) {
        return choice;
    }
    let accept = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let first = accept.split(',').next().unwrap_or("").trim().to_lowercase();
    if first.starts_with("en") {
        Locale::En
    } else {
        Locale::ZhCn
    }
}

pub fn build(parts: &Parts, trust_proxy: bool) -> RequestCtx {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string());
    let forwarded = trust_proxy
        .then(|| parts.headers.get("x-forwarded-for"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    let request_id = parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .chars()
        .take(64)
        .collect();
    let https = parts
        .headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    RequestCtx {
        source: forwarded.or(peer).unwrap_or_else(|| "unknown".to_string()),
        request_id,
        https,
        locale: browser_locale(&parts.headers),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestCtx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(ctx) = parts.extensions.get::<RequestCtx>() {
            return Ok(ctx.clone());
        }
        Ok(build(parts, false))
    }
}
