//! `/api/v1/transfers`: goods handed from one dealer to another (调货) at an agreed price.
//! The approval runs through `/api/v1/approvals`; approving posts the transfer.

use super::orders::{optional_body, reshape};
use super::{ApiJson, ApiPath, ApiQuery};
use crate::problem::{ApiError, Problem};
use crate::session::ApiActor;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use salesos_app::transfers::{self, NewTransferInput, TransferLineInput};
use salesos_store::transfers::TransferFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransferHeadOut {
    pub id: i64,
    pub number: String,
    /// The dealer handing the goods on (credited).
    pub source_dealer_id: i64,
    pub source_dealer_code: String,
    pub source_dealer_name: String,
    /// The dealer receiving them (invoiced).
    pub target_dealer_id: i64,
    pub target_dealer_code: String,
    pub target_dealer_name: String,
    /// requested, posted, sent_back, rejected, cancelled
    pub status: String,
    pub transfer_date: String,
    pub net_fen: i64,
    pub tax_fen: i64,
    /// What the source is credited and the target invoiced, to the fen.
    pub gross_fen: i64,
    /// The target would pass its credit limit: the approval goes higher.
    pub over_limit: bool,
    pub target_invoice_id: Option<i64>,
    pub target_invoice_number: Option<String>,
    pub note: Option<String>,
    pub close_reason: Option<String>,
    pub requested_by: Option<i64>,
    pub requested_by_name: Option<String>,
    pub requested_at: i64,
    pub decided_by: Option<i64>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<i64>,
    pub closed_by: Option<i64>,
    pub closed_by_name: Option<String>,
    pub closed_at: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransferLineOut {
    pub line_no: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub quantity: i64,
    /// Agreed price per unit, net of tax.
    pub unit_price_fen: i64,
    pub tax_rate_bp: i64,
    pub net_fen: i64,
    pub tax_fen: i64,
    pub gross_fen: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransferSourceOut {
    /// The source's invoice the units were bought on (credited).
    pub invoice_id: i64,
    pub invoice_number: String,
    pub quantity: i64,
    pub credit_fen: i64,
    pub credit_note_id: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransferApprovalOut {
    pub id: i64,
    pub doc_type: String,
    pub status: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransferOut {
    pub transfer: TransferHeadOut,
    pub lines: Vec<TransferLineOut>,
    pub sources: Vec<TransferSourceOut>,
    pub approvals: Vec<TransferApprovalOut>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TransferQuery {
    /// Either side.
    pub dealer_id: Option<i64>,
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Transfers whose both dealers are in the caller's scope.
#[utoipa::path(get, path = "/api/v1/transfers", tag = "transfers", params(TransferQuery),
    responses((status = 200, body = [TransferHeadOut]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<TransferQuery>,
) -> Result<Json<Vec<TransferHeadOut>>, ApiError> {
    let filter = TransferFilter {
        dealer_id: q.dealer_id,
        status: q.status.filter(|s| !s.trim().is_empty()),
        limit: q.limit.unwrap_or(100),
        offset: q.offset.unwrap_or(0),
    };
    let rows = transfers::list(&s.app, &a.actor, &filter)
        .await
        .map_err(|e| a.fail(e))?;
    let out = rows
        .iter()
        .map(reshape)
        .collect::<Result<Vec<TransferHeadOut>, _>>()
        .map_err(|e| a.fail(e))?;
    Ok(Json(out))
}

#[utoipa::path(get, path = "/api/v1/transfers/{id}", tag = "transfers", params(("id" = i64, Path)),
    responses((status = 200, body = TransferOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TransferOut>, ApiError> {
    let d = transfers::get(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(reshape(&d).map_err(|e| a.fail(e))?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransferLineIn {
    pub product_id: i64,
    pub quantity: i64,
    /// Agreed price per unit, net of tax (the product's tax rate applies).
    pub unit_price_fen: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewTransferIn {
    pub source_dealer_id: i64,
    pub target_dealer_id: i64,
    /// `YYYY-MM-DD`, default today.
    pub transfer_date: Option<String>,
    pub note: Option<String>,
    pub lines: Vec<TransferLineIn>,
}

/// Requests a transfer. Both dealers must be in the caller's scope (else 404). The source can
/// hand on at most what it bought less what it returned or handed on; the target's credit is
/// checked and an over-limit transfer needs the higher approval.
#[utoipa::path(post, path = "/api/v1/transfers", tag = "transfers", request_body = NewTransferIn,
    responses((status = 201, body = TransferOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    a: ApiActor,
    ApiJson(body): ApiJson<NewTransferIn>,
) -> Result<(StatusCode, Json<TransferOut>), ApiError> {
    let input = NewTransferInput {
        source_dealer_id: body.source_dealer_id,
        target_dealer_id: body.target_dealer_id,
        transfer_date: body.transfer_date,
        note: body.note,
        lines: body
            .lines
            .into_iter()
            .map(|l| TransferLineInput {
                product_id: l.product_id,
                quantity: l.quantity,
                unit_price_fen: l.unit_price_fen,
            })
            .collect(),
    };
    let d = transfers::request(&s.app, &a.actor, input)
        .await
        .map_err(|e| a.fail(e))?;
    Ok((
        StatusCode::CREATED,
        Json(reshape(&d).map_err(|e| a.fail(e))?),
    ))
}

#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct TransferReasonIn {
    pub reason: Option<String>,
}

/// Cancels a transfer waiting for approval (a reason is required).
#[utoipa::path(post, path = "/api/v1/transfers/{id}/cancel", tag = "transfers", params(("id" = i64, Path)), request_body = TransferReasonIn,
    responses((status = 200, body = TransferOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn cancel(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<Json<TransferOut>, ApiError> {
    let body = optional_body::<TransferReasonIn>(&body).map_err(|e| a.fail(e))?;
    let d = transfers::cancel(&s.app, &a.actor, id, body.reason)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(reshape(&d).map_err(|e| a.fail(e))?))
}
