//! Who is asking: resolves a bearer token or the session cookie once per request, and guards
//! every state-changing browser request with a CSRF token.

use crate::ctx::{self, RequestCtx};
use crate::i18n::Tr;
use crate::problem::{problem_response, ApiError};
use crate::AppState;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use salesos_app::{auth, Actor, AppError, Via};

pub const SESSION_COOKIE: &str = "salesos_session";
/// Before sign-in there is no session: the sign-in form's CSRF token is a double-submit cookie.
pub const PRESESSION_COOKIE: &str = "salesos_csrf";
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
const MAX_FORM_BYTES: usize = 256 * 1024;

/// The outcome of authentication, stored in the request's extensions.
#[derive(Clone)]
pub enum Auth {
    Anonymous,
    SignedIn(Box<Actor>),
    /// Credentials were presented but are not valid (expired session, revoked token).
    Rejected(AppError),
}

fn bearer(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|v| v.trim().to_string())
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Middleware on every route: puts [`RequestCtx`] and [`Auth`] into the request.
pub async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let mut rctx = ctx::build(&parts, state.web.trust_proxy);
    let is_api = parts.uri.path().starts_with("/api/");
    let outcome = if let Some(token) = bearer(&parts) {
        auth::actor_from_token(&state.app, &token, &rctx.source, &rctx.request_id).await
    } else if let Some(token) =
        ctx::cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty())
    {
        auth::actor_from_session(&state.app, &token, &rctx.source, &rctx.request_id).await
    } else {
        Err(AppError::Unauthenticated {
            code: "auth.required",
        })
    };
    let auth = match outcome {
        Ok(actor) => {
            rctx.locale = actor.locale;
            Auth::SignedIn(Box::new(actor))
        }
        Err(AppError::Unauthenticated {
            code: "auth.required",
        }) => Auth::Anonymous,
        Err(AppError::Internal(detail)) => {
            tracing::error!(error = %detail, "authentication failed");
            return problem_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                None,
                Tr::new(rctx.locale).error(
                    "unavailable",
                    "the service is unavailable, try again shortly",
                ),
                None,
            );
        }
        Err(other) => Auth::Rejected(other),
    };
    // An API call riding on the browser session must prove it came from our pages.
    if is_api && !is_safe(&parts.method) {
        if let Auth::SignedIn(actor) = &auth {
            if let Via::Session { csrf_token, .. } = &actor.via {
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !constant_time_eq(sent, csrf_token) {
                    return ApiError::new(
                        AppError::Forbidden { capability: "csrf" },
                        Tr::new(rctx.locale),
                    )
                    .into_response();
                }
            }
        }
    }
    parts.extensions.insert(rctx);
    parts.extensions.insert(auth);
    next.run(Request::from_parts(parts, body)).await
}

/// Middleware on the HTML routes: every POST carries the CSRF token in its form.
pub async fn csrf_guard(request: Request, next: Next) -> Response {
    if is_safe(request.method()) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let expected = match parts.extensions.get::<Auth>() {
        Some(Auth::SignedIn(actor)) => match &actor.via {
            Via::Session { csrf_token, .. } => Some(csrf_token.clone()),
            _ => None,
        },
        _ => ctx::cookie(&parts.headers, PRESESSION_COOKIE),
    };
    let locale = parts
        .extensions
        .get::<RequestCtx>()
        .map(|c| c.locale)
        .unwrap_or_default();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            Tr::new(locale).t("error.too_large"),
        )
            .into_response();
    };
    let sent = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| form_field(&bytes, CSRF_FIELD));
    let ok =
        matches!((&expected, &sent), (Some(e), Some(s)) if !e.is_empty() && constant_time_eq(e, s));
    if !ok {
        tracing::warn!(path = %parts.uri.path(), "CSRF token missing or wrong");
        return crate::pages::error_page(StatusCode::FORBIDDEN, "auth.csrf", locale, None);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn form_field(bytes: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// A signed-in person on an HTML page; anyone else is sent to the sign-in page.
pub struct PageActor {
    pub actor: Actor,
    pub ctx: RequestCtx,
}

impl PageActor {
    pub fn tr(&self) -> Tr {
        Tr::new(self.ctx.locale)
    }
}

impl FromRequestParts<AppState> for PageActor {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = RequestCtx::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|e| match e {});
        match parts.extensions.get::<Auth>() {
            Some(Auth::SignedIn(actor)) => Ok(PageActor {
                actor: (**actor).clone(),
                ctx,
            }),
            Some(Auth::Rejected(_)) => Err(Redirect::to("/signin?expired=1").into_response()),
            _ => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let target = format!("/signin?next={}", urlencode(next));
                Err(Redirect::to(&target).into_response())
            }
        }
    }
}

/// A signed-in person (token or session) on the API; anyone else gets a 401 problem.
pub struct ApiActor {
    pub actor: Actor,
    pub tr: Tr,
}

impl ApiActor {
    pub fn fail(&self, err: AppError) -> ApiError {
        ApiError::new(err, self.tr)
    }
}

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = RequestCtx::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|e| match e {});
        let tr = Tr::new(ctx.locale);
        match parts.extensions.get::<Auth>() {
            Some(Auth::SignedIn(actor)) => Ok(ApiActor {
                actor: (**actor).clone(),
                tr,
            }),
            Some(Auth::Rejected(err)) => Err(ApiError::new(err.clone(), tr)),
            _ => Err(ApiError::new(
                AppError::Unauthenticated {
                    code: "auth.required",
                },
                tr,
            )),
        }
    }
}

pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `Set-Cookie` value for our cookies: HttpOnly, SameSite=Lax, Secure behind TLS.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}
