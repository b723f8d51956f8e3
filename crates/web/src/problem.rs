//! Errors as `application/problem+json` (RFC 9457) for the API, with a stable code, a message a
//! person understands (in their language) and the field at fault.

use crate::i18n::Tr;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use salesos_app::AppError;
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type: `/problems/{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// Stable machine-readable code, e.g. `person.login_invalid`.
    pub code: String,
    /// What went wrong, for a person, in the requested language.
    pub detail: String,
    /// The input field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<i64>,
}

pub fn status_of(err: &AppError) -> StatusCode {
    match err {
        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
        AppError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
        AppError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The message shown to a person: translated by code, else the rule's own English text; never
/// internal details.
pub fn message_of(err: &AppError, tr: &Tr) -> String {
    let fallback = match err {
        AppError::Invalid(e) | AppError::Conflict(e) => e.message.clone(),
        AppError::Internal(_) => "something went wrong on our side".to_string(),
        other => other.to_string(),
    };
    tr.error(err.code(), &fallback)
}

/// An API error in the caller's language.
pub struct ApiError {
    pub err: AppError,
    pub tr: Tr,
}

impl ApiError {
    pub fn new(err: AppError, tr: Tr) -> Self {
        ApiError { err, tr }
    }

    pub fn bad_request(
        code: &'static str,
        field: Option<&'static str>,
        message: String,
        tr: Tr,
    ) -> Response {
        problem_response(
            StatusCode::BAD_REQUEST,
            code,
            field,
            tr.error(code, &message),
            None,
        )
    }
}

pub fn problem_response(
    status: StatusCode,
    code: &str,
    field: Option<&str>,
    detail: String,
    retry_after: Option<i64>,
) -> Response {
    let body = Problem {
        kind: format!("/problems/{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        code: code.to_string(),
        detail,
        field: field.map(str::to_string),
        retry_after,
    };
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if let Some(secs) = retry_after {
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.err);
        if let AppError::Internal(detail) = &self.err {
            tracing::error!(error = %detail, "request failed");
        }
        let retry = match &self.err {
            AppError::Throttled { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        problem_response(
            status,
            self.err.code(),
            self.err.field(),
            message_of(&self.err, &self.tr),
            retry,
        )
    }
}
