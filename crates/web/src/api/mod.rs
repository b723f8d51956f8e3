//! `/api/v1`: JSON over the same use cases as the pages. Every error is a problem document.

pub mod approvals;
pub mod audit;
pub mod billing;
pub mod catalogue;
pub mod dealers;
pub mod imports;
pub mod me;
pub mod openapi;
pub mod orders;
pub mod org;
pub mod people;
pub mod reports;
pub mod returns;
pub mod shipments;
pub mod targets;
pub mod tokens;
pub mod transfers;
pub mod visits;

use crate::ctx::RequestCtx;
use crate::i18n::Tr;
use crate::problem::problem_response;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// A rejected request body, query or path: 400 (malformed) or 413 (too large) as a problem.
pub struct BadRequest(Response);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        self.0
    }
}

/// `serde_path_to_error` puts the field path before the first `: `; name it for the client.
fn split_field(text: &str) -> (Option<String>, String) {
    let detail = text.split("target type: ").nth(1).unwrap_or(text);
    if let Some(rest) = detail.split("missing field `").nth(1) {
        let name = rest.split('`').next().unwrap_or_default();
        // inside a nested object the path comes first: `position: missing field `role``
        let parent = detail
            .split_once(": ")
            .map(|(path, _)| path)
            .filter(|p| !p.contains(' ') && !p.is_empty() && *p != ".");
        let field = parent.map_or_else(|| name.to_string(), |p| format!("{p}.{name}"));
        return (Some(field), detail.to_string());
    }
    match detail.split_once(": ") {
        Some((path, rest)) if !path.contains(' ') && !path.is_empty() && path != "." => {
            (Some(path.to_string()), rest.to_string())
        }
        _ => (None, detail.to_string()),
    }
}

fn bad_request(tr: Tr, code: &str, status: StatusCode, text: String) -> BadRequest {
    let (field, detail) = split_field(&text);
    let message = tr.error(code, &detail);
    let message = if tr.has(&format!("error.{code}")) {
        format!("{message} ({detail})")
    } else {
        message
    };
    BadRequest(problem_response(
        status,
        code,
        field.as_deref(),
        message,
        None,
    ))
}

fn tr_of(parts: &Parts) -> Tr {
    Tr::new(
        parts
            .extensions
            .get::<RequestCtx>()
            .map(|c| c.locale)
            .unwrap_or_default(),
    )
}

/// JSON body whose rejections are problem documents.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = BadRequest;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let tr = Tr::new(
            req.extensions()
                .get::<RequestCtx>()
                .map(|c| c.locale)
                .unwrap_or_default(),
        );
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(match rejection {
                JsonRejection::JsonDataError(e) => bad_request(
                    tr,
                    "request.invalid_field",
                    StatusCode::UNPROCESSABLE_ENTITY,
                    e.body_text(),
                ),
                JsonRejection::JsonSyntaxError(e) => bad_request(
                    tr,
                    "request.invalid_json",
                    StatusCode::BAD_REQUEST,
                    e.body_text(),
                ),
                JsonRejection::MissingJsonContentType(e) => bad_request(
                    tr,
                    "request.content_type",
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    e.body_text(),
                ),
                JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    bad_request(
                        tr,
                        "request.too_large",
                        StatusCode::PAYLOAD_TOO_LARGE,
                        e.body_text(),
                    )
                }
                other => bad_request(
                    tr,
                    "request.invalid_body",
                    StatusCode::BAD_REQUEST,
                    other.body_text(),
                ),
            }),
        }
    }
}

/// Query string whose rejections are problem documents.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = BadRequest;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let tr = tr_of(parts);
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| {
                bad_request(
                    tr,
                    "request.invalid_query",
                    StatusCode::BAD_REQUEST,
                    e.body_text(),
                )
            })
    }
}

/// Path parameters whose rejections are problem documents (`/people/abc` is a 400, not a 500).
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = BadRequest;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let tr = tr_of(parts);
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e: PathRejection| {
                bad_request(
                    tr,
                    "request.invalid_path",
                    StatusCode::BAD_REQUEST,
                    e.body_text(),
                )
            })
    }
}

/// Unknown API routes answer with a problem document too.
/// The safety net under every API route: an error answer that is not a problem document yet
/// (one of axum's own rejections, e.g. a raw-bytes body over the size limit, which would be
/// `text/plain`) becomes one, with the code its status implies.
pub async fn problem_for_plain_errors(ctx: RequestCtx, res: Response) -> Response {
    let status = res.status();
    let is_problem = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if is_problem || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "request.too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "request.content_type",
        StatusCode::METHOD_NOT_ALLOWED => "request.method_not_allowed",
        StatusCode::NOT_FOUND => "not_found",
        s if s.is_server_error() => "internal",
        _ => "request.invalid_body",
    };
    if status.is_server_error() {
        tracing::error!(%status, "an API answer failed without a problem document");
    }
    let tr = Tr::new(ctx.locale);
    let fallback = status.canonical_reason().unwrap_or("error").to_lowercase();
    let mut answer = problem_response(status, code, None, tr.error(code, &fallback), None);
    // keep what the original answer said about retrying or allowed methods
    for name in [axum::http::header::RETRY_AFTER, axum::http::header::ALLOW] {
        if let Some(v) = res.headers().get(&name) {
            answer.headers_mut().insert(name, v.clone());
        }
    }
    answer
}

pub async fn not_found(ctx: RequestCtx) -> Response {
    let tr = Tr::new(ctx.locale);
    problem_response(
        StatusCode::NOT_FOUND,
        "not_found",
        None,
        tr.error("not_found", "not found"),
        None,
    )
}

pub async fn method_not_allowed(ctx: RequestCtx) -> Response {
    let tr = Tr::new(ctx.locale);
    problem_response(
        StatusCode::METHOD_NOT_ALLOWED,
        "request.method_not_allowed",
        None,
        tr.error(
            "request.method_not_allowed",
            "this method is not allowed here",
        ),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_is_named_from_serde_path() {
        let (field, detail) = split_field(
            "Failed to deserialize the JSON body into the target type: position.node_id: invalid type: string \"x\", expected i64 at line 1 column 40",
        );
        assert_eq!(field.as_deref(), Some("position.node_id"));
        assert!(detail.starts_with("invalid type"));
        let (none, _) = split_field(
            "Failed to parse the request body as JSON: expected value at line 1 column 1",
        );
        assert_eq!(none, None);
        let (missing, _) = split_field("Failed to deserialize the JSON body into the target type: missing field `display_name` at line 1 column 13");
        assert_eq!(missing.as_deref(), Some("display_name"));
        let (nested, _) = split_field("Failed to deserialize the JSON body into the target type: position: missing field `role` at line 1 column 50");
        assert_eq!(nested.as_deref(), Some("position.role"));
    }
}
