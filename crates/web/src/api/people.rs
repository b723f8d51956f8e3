use super::{ApiJson, ApiPath, ApiQuery};
use crate::problem::{ApiError, Problem};
use crate::session::ApiActor;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use salesos_app::people::{self, NewPersonInput, PositionInput, ProfileInput};
use salesos_store::people::{AssignmentRow, PeopleFilter, PersonRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A person as the API shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonOut {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// `zh-CN` or `en`.
    pub locale: String,
    pub active: bool,
    /// The current (or, when deactivated, the last) position.
    pub node_id: Option<i64>,
    pub node_name_zh: Option<String>,
    pub node_name_en: Option<String>,
    pub role: Option<String>,
}

impl From<PersonRow> for PersonOut {
    fn from(p: PersonRow) -> Self {
        PersonOut {
            id: p.id,
            login: p.login,
            display_name: p.display_name,
            email: p.email,
            phone: p.phone,
            locale: p.locale,
            active: p.active,
            node_id: p.node_id,
            node_name_zh: p.node_name_zh,
            node_name_en: p.node_name_en,
            role: p.role,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentOut {
    pub node_id: i64,
    pub node_name_zh: String,
    pub node_name_en: String,
    pub role: String,
    pub valid_from: String,
    /// Exclusive end; `null` while current.
    pub valid_to: Option<String>,
}

impl From<AssignmentRow> for AssignmentOut {
    fn from(a: AssignmentRow) -> Self {
        AssignmentOut {
            node_id: a.node_id,
            node_name_zh: a.node_name_zh,
            node_name_en: a.node_name_en,
            role: a.role,
            valid_from: a.valid_from,
            valid_to: a.valid_to,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// Part of a login or name.
    pub q: Option<String>,
    pub include_inactive: Option<bool>,
    pub node_id: Option<i64>,
    pub role: Option<String>,
    /// 1–1000, default 100.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PositionIn {
    pub node_id: i64,
    /// director, market_manager, area_manager, kam, sales_rep, order_desk, billing, finance, warehouse, admin
    pub role: String,
    /// `YYYY-MM-DD`, default today.
    pub effective_from: Option<String>,
}

impl From<PositionIn> for PositionInput {
    fn from(p: PositionIn) -> Self {
        PositionInput {
            node_id: p.node_id,
            role: p.role,
            effective_from: p.effective_from,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewPersonIn {
    pub login: String,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: String,
    pub locale: Option<String>,
    pub position: PositionIn,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProfileIn {
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordResetIn {
    /// The new password; generated when absent.
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordResetOut {
    /// The new password, shown this once.
    pub password: String,
}

#[utoipa::path(get, path = "/api/v1/people", tag = "people", params(PeopleQuery),
    responses((status = 200, body = [PersonOut]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<PeopleQuery>,
) -> Result<Json<Vec<PersonOut>>, ApiError> {
    let filter = PeopleFilter {
        text: q.q,
        include_inactive: q.include_inactive.unwrap_or(false),
        node_id: q.node_id,
        role: q.role,
        limit: q.limit.unwrap_or(100),
        offset: q.offset.unwrap_or(0),
    };
    let rows = people::list(&s.app, &a.actor, &filter)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(rows.into_iter().map(PersonOut::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/people", tag = "people", request_body = NewPersonIn,
    responses((status = 201, body = PersonOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    a: ApiActor,
    ApiJson(body): ApiJson<NewPersonIn>,
) -> Result<(StatusCode, Json<PersonOut>), ApiError> {
    let input = NewPersonInput {
        login: body.login,
        display_name: body.display_name,
        email: body.email,
        phone: body.phone,
        password: body.password,
        locale: body.locale,
        position: body.position.into(),
    };
    let row = people::create(&s.app, &a.actor, input)
        .await
        .map_err(|e| a.fail(e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = PersonOut), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PersonOut>, ApiError> {
    let row = people::get(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(row.into()))
}

#[utoipa::path(patch, path = "/api/v1/people/{id}", tag = "people", params(("id" = i64, Path)), request_body = ProfileIn,
    responses((status = 200, body = PersonOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ProfileIn>,
) -> Result<Json<PersonOut>, ApiError> {
    let input = ProfileInput {
        display_name: body.display_name,
        email: body.email,
        phone: body.phone,
    };
    let row = people::update_profile(&s.app, &a.actor, id, input)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(row.into()))
}

#[utoipa::path(post, path = "/api/v1/people/{id}/move", tag = "people", params(("id" = i64, Path)), request_body = PositionIn,
    responses((status = 200, body = PersonOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn move_to(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PositionIn>,
) -> Result<Json<PersonOut>, ApiError> {
    let row = people::move_to(&s.app, &a.actor, id, body.into())
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(row.into()))
}

#[utoipa::path(post, path = "/api/v1/people/{id}/deactivate", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = PersonOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn deactivate(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PersonOut>, ApiError> {
    let row = people::deactivate(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(row.into()))
}

#[utoipa::path(post, path = "/api/v1/people/{id}/reactivate", tag = "people", params(("id" = i64, Path)), request_body = PositionIn,
    responses((status = 200, body = PersonOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn reactivate(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PositionIn>,
) -> Result<Json<PersonOut>, ApiError> {
    let row = people::reactivate(&s.app, &a.actor, id, body.into())
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(row.into()))
}

#[utoipa::path(post, path = "/api/v1/people/{id}/password-reset", tag = "people", params(("id" = i64, Path)), request_body = PasswordResetIn,
    responses((status = 200, body = PasswordResetOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn reset_password(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PasswordResetIn>,
) -> Result<Json<PasswordResetOut>, ApiError> {
    let password = people::reset_password(&s.app, &a.actor, id, body.password)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(PasswordResetOut { password }))
}

#[utoipa::path(get, path = "/api/v1/people/{id}/assignments", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = [AssignmentOut]), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn assignments(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<AssignmentOut>>, ApiError> {
    let rows = people::assignments(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(rows.into_iter().map(AssignmentOut::from).collect()))
}
