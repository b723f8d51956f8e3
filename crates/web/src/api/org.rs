use super::{ApiJson, ApiPath};
use crate::problem::{ApiError, Problem};
use crate::session::ApiActor;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use salesos_app::org::{self, MoveNodeInput, NewNodeInput, UpdateNodeInput};
use salesos_store::org::{NodeLinkRow, NodeRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct NodeOut {
    pub id: i64,
    pub parent_id: Option<i64>,
    /// company, market, area or city
    pub kind: String,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Materialised path from the root, e.g. `/1/4/17/`.
    pub path: String,
    pub active: bool,
}

impl From<NodeRow> for NodeOut {
    fn from(n: NodeRow) -> Self {
        NodeOut {
            id: n.id,
            parent_id: n.parent_id,
            kind: n.kind,
            code: n.code,
            name_zh: n.name_zh,
            name_en: n.name_en,
            path: n.path,
            active: n.active,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NodeLinkOut {
    pub parent_id: Option<i64>,
    pub path: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
}

impl From<NodeLinkRow> for NodeLinkOut {
    fn from(l: NodeLinkRow) -> Self {
        NodeLinkOut {
            parent_id: l.parent_id,
            path: l.path,
            valid_from: l.valid_from,
            valid_to: l.valid_to,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewNodeIn {
    pub parent_id: i64,
    /// market, area or city (one level below the parent)
    pub kind: String,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub effective_from: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateNodeIn {
    pub name_zh: String,
    pub name_en: String,
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MoveNodeIn {
    pub parent_id: i64,
    pub effective_from: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/org-nodes", tag = "organisation",
    responses((status = 200, body = [NodeOut]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(State(s): State<AppState>, a: ApiActor) -> Result<Json<Vec<NodeOut>>, ApiError> {
    let rows = org::tree(&s.app, &a.actor).await.map_err(|e| a.fail(e))?;
    Ok(Json(rows.into_iter().map(NodeOut::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/org-nodes", tag = "organisation", request_body = NewNodeIn,
    responses((status = 201, body = NodeOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    a: ApiActor,
    ApiJson(b): ApiJson<NewNodeIn>,
) -> Result<(StatusCode, Json<NodeOut>), ApiError> {
    let input = NewNodeInput {
        parent_id: b.parent_id,
        kind: b.kind,
        code: b.code,
        name_zh: b.name_zh,
        name_en: b.name_en,
        effective_from: b.effective_from,
    };
    let row = org::create(&s.app, &a.actor, input)
        .await
        .map_err(|e| a.fail(e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(get, path = "/api/v1/org-nodes/{id}", tag = "organisation", params(("id" = i64, Path)),
    responses((status = 200, body = NodeOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<NodeOut>, ApiError> {
    Ok(Json(
        org::get(&s.app, &a.actor, id)
            .await
            .map_err(|e| a.fail(e))?
            .into(),
    ))
}

#[utoipa::path(patch, path = "/api/v1/org-nodes/{id}", tag = "organisation", params(("id" = i64, Path)), request_body = UpdateNodeIn,
    responses((status = 200, body = NodeOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<UpdateNodeIn>,
) -> Result<Json<NodeOut>, ApiError> {
    let input = UpdateNodeInput {
        name_zh: b.name_zh,
        name_en: b.name_en,
        active: b.active,
    };
    Ok(Json(
        org::update(&s.app, &a.actor, id, input)
            .await
            .map_err(|e| a.fail(e))?
            .into(),
    ))
}

#[utoipa::path(post, path = "/api/v1/org-nodes/{id}/move", tag = "organisation", params(("id" = i64, Path)), request_body = MoveNodeIn,
    responses((status = 200, body = NodeOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn move_node(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<MoveNodeIn>,
) -> Result<Json<NodeOut>, ApiError> {
    let input = MoveNodeInput {
        parent_id: b.parent_id,
        effective_from: b.effective_from,
    };
    Ok(Json(
        org::move_node(&s.app, &a.actor, id, input)
            .await
            .map_err(|e| a.fail(e))?
            .into(),
    ))
}

#[utoipa::path(get, path = "/api/v1/org-nodes/{id}/history", tag = "organisation", params(("id" = i64, Path)),
    responses((status = 200, body = [NodeLinkOut]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn history(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<NodeLinkOut>>, ApiError> {
    let rows = org::history(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(rows.into_iter().map(NodeLinkOut::from).collect()))
}
