use super::{ApiJson, ApiPath};
use crate::problem::{ApiError, Problem};
use crate::session::ApiActor;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use salesos_app::tokens;
use salesos_store::auth::TokenRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    /// The first characters of the secret, to tell tokens apart.
    pub prefix: String,
    /// Microseconds since the Unix epoch.
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl From<TokenRow> for TokenOut {
    fn from(t: TokenRow) -> Self {
        TokenOut {
            id: t.id,
            person_id: t.person_id,
            name: t.name,
            prefix: t.prefix,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTokenOut {
    /// The secret, shown this once: send it as `Authorization: Bearer <token>`.
    pub token: String,
    pub details: TokenOut,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTokenIn {
    pub name: String,
}

#[utoipa::path(get, path = "/api/v1/people/{id}/tokens", tag = "tokens", params(("id" = i64, Path)),
    responses((status = 200, body = [TokenOut]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<TokenOut>>, ApiError> {
    let rows = tokens::list(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(rows.into_iter().map(TokenOut::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/people/{id}/tokens", tag = "tokens", params(("id" = i64, Path)), request_body = NewTokenIn,
    responses((status = 201, body = CreatedTokenOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NewTokenIn>,
) -> Result<(StatusCode, Json<CreatedTokenOut>), ApiError> {
    let created = tokens::create(&s.app, &a.actor, id, &b.name)
        .await
        .map_err(|e| a.fail(e))?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTokenOut {
            token: created.token,
            details: created.row.into(),
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = i64, Path)),
    responses((status = 200, body = TokenOut), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TokenOut>, ApiError> {
    Ok(Json(
        tokens::revoke(&s.app, &a.actor, id)
            .await
            .map_err(|e| a.fail(e))?
            .into(),
    ))
}
