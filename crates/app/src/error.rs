use salesos_domain::FieldError;
use salesos_store::StoreError;

/// What can go wrong in a business operation; the web layer maps each to a status and a
/// problem document. Internal details never reach the client.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// 422: the input breaks a rule.
    #[error("{0}")]
    Invalid(FieldError),
    /// 409: the input clashes with existing data (duplicate code, wrong state).
    #[error("{0}")]
    Conflict(FieldError),
    /// 404: no such record, or not within the person's scope (deliberately indistinguishable).
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// 403: the person's role lacks the capability for this operation.
    #[error("not allowed: {capability}")]
    Forbidden { capability: &'static str },
    /// 401: not signed in, bad credentials, or an expired session or revoked token.
    #[error("{code}")]
    Unauthenticated { code: &'static str },
    /// 429: too many failed sign-ins.
    #[error("too many attempts")]
    Throttled { retry_after_secs: i64 },
    /// 500: a bug or an outage; logged once where handled, never shown to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(code: &'static str, field: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid(FieldError::new(code, field, message))
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid(e) | AppError::Conflict(e) => e.code,
            AppError::NotFound { .. } => "not_found",
            AppError::Forbidden { .. } => "forbidden",
            AppError::Unauthenticated { code } => code,
            AppError::Throttled { .. } => "auth.throttled",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn field(&self) -> Option<&'static str> {
        match self {
            AppError::Invalid(e) | AppError::Conflict(e) => e.field,
            _ => None,
        }
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Invalid(e)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unique { field } => {
                let field: &'static str = match field.as_str() {
                    "login" => "login",
                    "code" => "code",
                    _ => "value",
                };
                AppError::Conflict(FieldError::new(
                    "conflict.duplicate",
                    field,
                    format!("this {field} is already taken"),
                ))
            }
            StoreError::ForeignKey => AppError::Invalid(FieldError::general(
                "reference.unknown",
                "a referenced record does not exist",
            )),
            other => AppError::Internal(other.to_string()),
        }
    }
}
