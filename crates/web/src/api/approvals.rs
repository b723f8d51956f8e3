//! `/api/v1/approvals`: the signed-in person's queue and decisions; delegations.

use super::orders::{reshape, ApprovalSummaryOut};
use super::{ApiJson, ApiPath};
use crate::problem::{ApiError, Problem};
use crate::session::ApiActor;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use salesos_app::approvals;
use salesos_domain::approvals::Decision;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StepOut {
    pub step: i64,
    pub approver_role: String,
    pub approver_id: i64,
    pub approver_name: String,
    /// waiting, pending, approved, rejected, sent_back, cancelled
    pub status: String,
    pub acted_by: Option<i64>,
    pub acted_by_name: Option<String>,
    pub acted_at: Option<i64>,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApprovalOut {
    pub request: ApprovalSummaryOut,
    pub steps: Vec<StepOut>,
    /// Whether the caller may decide the current step.
    pub can_decide: bool,
}

#[utoipa::path(get, path = "/api/v1/approvals", tag = "approvals",
    responses((status = 200, body = [ApprovalSummaryOut]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn queue(
    State(s): State<AppState>,
    a: ApiActor,
) -> Result<Json<Vec<ApprovalSummaryOut>>, ApiError> {
    let rows = approvals::queue(&s.app, &a.actor)
        .await
        .map_err(|e| a.fail(e))?;
    let out = rows
        .iter()
        .map(reshape)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| a.fail(e))?;
    Ok(Json(out))
}

#[utoipa::path(get, path = "/api/v1/approvals/{id}", tag = "approvals", params(("id" = i64, Path)),
    responses((status = 200, body = ApprovalOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ApprovalOut>, ApiError> {
    let d = approvals::get(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(reshape(&d).map_err(|e| a.fail(e))?))
}

#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct DecisionIn {
    /// Required to reject or send back.
    pub reason: Option<String>,
}

async fn decide(
    s: AppState,
    a: ApiActor,
    id: i64,
    decision: Decision,
    body: axum::body::Bytes,
) -> Result<Json<ApprovalOut>, ApiError> {
    let reason = super::orders::optional_body::<DecisionIn>(&body)
        .map_err(|e| a.fail(e))?
        .reason;
    let d = approvals::decide(&s.app, &a.actor, id, decision, reason)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(reshape(&d).map_err(|e| a.fail(e))?))
}

#[utoipa::path(post, path = "/api/v1/approvals/{id}/approve", tag = "approvals", params(("id" = i64, Path)), request_body = DecisionIn,
    responses((status = 200, body = ApprovalOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn approve(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<Json<ApprovalOut>, ApiError> {
    decide(s, a, id, Decision::Approve, body).await
}

#[utoipa::path(post, path = "/api/v1/approvals/{id}/reject", tag = "approvals", params(("id" = i64, Path)), request_body = DecisionIn,
    responses((status = 200, body = ApprovalOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn reject(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<Json<ApprovalOut>, ApiError> {
    decide(s, a, id, Decision::Reject, body).await
}

#[utoipa::path(post, path = "/api/v1/approvals/{id}/send-back", tag = "approvals", params(("id" = i64, Path)), request_body = DecisionIn,
    responses((status = 200, body = ApprovalOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn send_back(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<Json<ApprovalOut>, ApiError> {
    decide(s, a, id, Decision::SendBack, body).await
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DelegationOut {
    pub id: i64,
    pub from_person: i64,
    pub to_person: i64,
    pub to_name: String,
    pub valid_from: String,
    /// Exclusive end.
    pub valid_to: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DelegationIn {
    /// Who decides the caller's approvals meanwhile.
    pub to_person: i64,
    /// `YYYY-MM-DD`, default today.
    pub valid_from: Option<String>,
    /// `YYYY-MM-DD`, exclusive.
    pub valid_to: String,
}

#[utoipa::path(get, path = "/api/v1/delegations", tag = "approvals",
    responses((status = 200, body = [DelegationOut]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn delegations(
    State(s): State<AppState>,
    a: ApiActor,
) -> Result<Json<Vec<DelegationOut>>, ApiError> {
    let rows = approvals::my_delegations(&s.app, &a.actor)
        .await
        .map_err(|e| a.fail(e))?;
    let out = rows
        .iter()
        .map(reshape)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| a.fail(e))?;
    Ok(Json(out))
}

#[utoipa::path(post, path = "/api/v1/delegations", tag = "approvals", request_body = DelegationIn,
    responses((status = 201, body = DelegationOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn delegate(
    State(s): State<AppState>,
    a: ApiActor,
    ApiJson(body): ApiJson<DelegationIn>,
) -> Result<(StatusCode, Json<DelegationOut>), ApiError> {
    let row = approvals::delegate(
        &s.app,
        &a.actor,
        body.to_person,
        body.valid_from,
        body.valid_to,
    )
    .await
    .map_err(|e| a.fail(e))?;
    Ok((
        StatusCode::CREATED,
        Json(reshape(&row).map_err(|e| a.fail(e))?),
    ))
}

/// Ends one of the caller's delegations; someone else's is "not found".
#[utoipa::path(delete, path = "/api/v1/delegations/{id}", tag = "approvals", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke_delegation(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    approvals::revoke_delegation(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(StatusCode::NO_CONTENT)
}
