use super::ApiJson;
use crate::problem::{ApiError, Problem};
use crate::session::ApiActor;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use salesos_app::people;
use salesos_app::AppError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub locale: String,
    pub role: Option<String>,
    pub node_id: Option<i64>,
    pub node_name_zh: Option<String>,
    pub node_name_en: Option<String>,
    /// `subtree` (everything below the node), `own` (own records only) or `nothing`.
    pub scope: String,
    pub capabilities: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LocaleIn {
    /// `zh-CN` or `en`
    pub locale: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChangeIn {
    pub current_password: String,
    pub new_password: String,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "me", responses((status = 200, body = MeOut), (status = 401, body = Problem)))]
pub async fn me(a: ApiActor) -> Result<Json<MeOut>, ApiError> {
    let me = a.actor.me().ok_or_else(|| {
        a.fail(AppError::Unauthenticated {
            code: "auth.required",
        })
    })?;
    let scope = match me.scope {
        salesos_domain::scope::Scope::Subtree { .. } => "subtree",
        salesos_domain::scope::Scope::Own { .. } => "own",
        salesos_domain::scope::Scope::Nothing => "nothing",
    };
    Ok(Json(MeOut {
        id: me.id,
        login: me.login,
        display_name: me.display_name,
        locale: me.locale,
        role: me.role.map(|r| r.code().to_string()),
        node_id: me.node_id,
        node_name_zh: me.node_name_zh,
        node_name_en: me.node_name_en,
        scope: scope.to_string(),
        capabilities: me
            .capabilities
            .iter()
            .map(|c| salesos_app::actor::capability_code(*c).to_string())
            .collect(),
    }))
}

#[utoipa::path(put, path = "/api/v1/me/locale", tag = "me", request_body = LocaleIn,
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn set_locale(
    State(s): State<AppState>,
    a: ApiActor,
    ApiJson(b): ApiJson<LocaleIn>,
) -> Result<StatusCode, ApiError> {
    people::set_own_locale(&s.app, &a.actor, &b.locale)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/me/password", tag = "me", request_body = PasswordChangeIn,
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn change_password(
    State(s): State<AppState>,
    a: ApiActor,
    ApiJson(b): ApiJson<PasswordChangeIn>,
) -> Result<StatusCode, ApiError> {
    people::change_own_password(&s.app, &a.actor, &b.current_password, &b.new_password)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(StatusCode::NO_CONTENT)
}
