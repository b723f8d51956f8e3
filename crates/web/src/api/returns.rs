//! `/api/v1/returns`: returns of goods (退货) from an invoice — request, approval (through
//! `/api/v1/approvals`), receipt, inspection, credit note against the original invoice.

use super::orders::{optional_body, reshape};
use super::{ApiJson, ApiPath, ApiQuery};
use crate::problem::{ApiError, Problem};
use crate::session::ApiActor;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use salesos_app::returns::{
    self, InspectInput, InspectLineInput, NewReturnInput, ReceiveInput, ReceiveLineInput,
    ReturnLineInput,
};
use salesos_app::AppError;
use salesos_store::returns::ReturnFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReturnHeadOut {
    pub id: i64,
    pub number: String,
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    /// The original invoice the goods were sold on.
    pub invoice_id: i64,
    pub invoice_number: String,
    /// requested, approved, sent_back, received, inspected, credited, closed (nothing
    /// accepted), rejected, cancelled
    pub status: String,
    pub reason: String,
    /// The credit: an estimate for the requested units until inspection, then the credit
    /// note's amount.
    pub credit_fen: i64,
    pub credit_note_id: Option<i64>,
    pub credit_note_number: Option<String>,
    pub received_on: Option<String>,
    pub note: Option<String>,
    /// Why it was rejected, sent back or cancelled.
    pub close_reason: Option<String>,
    pub owner_id: i64,
    pub requested_by: Option<i64>,
    pub requested_by_name: Option<String>,
    /// µs since the epoch, like every `*_at`.
    pub requested_at: i64,
    pub decided_by: Option<i64>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<i64>,
    pub received_by: Option<i64>,
    pub received_by_name: Option<String>,
    pub received_at: Option<i64>,
    pub inspected_by: Option<i64>,
    pub inspected_by_name: Option<String>,
    pub inspected_at: Option<i64>,
    pub credited_by: Option<i64>,
    pub credited_by_name: Option<String>,
    pub credited_at: Option<i64>,
    pub closed_by: Option<i64>,
    pub closed_by_name: Option<String>,
    pub closed_at: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReturnLineOut {
    pub id: i64,
    pub line_no: i64,
    pub invoice_line_no: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    /// Requested units.
    pub quantity: i64,
    pub reason: String,
    pub received_qty: Option<i64>,
    pub accepted_qty: Option<i64>,
    pub rejected_qty: Option<i64>,
    pub reject_reason: Option<String>,
    /// restock or scrap
    pub disposition: Option<String>,
    pub credit_net_fen: i64,
    pub credit_tax_fen: i64,
    pub credit_fen: i64,
    /// Units of the invoice line this line currently takes back.
    pub held_qty: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReturnApprovalOut {
    pub id: i64,
    /// pending, approved, rejected, sent_back, cancelled
    pub status: String,
    pub current_step: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReturnOut {
    #[serde(rename = "return")]
    pub ret: ReturnHeadOut,
    pub lines: Vec<ReturnLineOut>,
    pub approvals: Vec<ReturnApprovalOut>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReturnableLineOut {
    pub line_no: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    /// Invoiced units.
    pub quantity: i64,
    pub gross_fen: i64,
    /// Units already taken back by returns and transfers (pending ones included).
    pub held_qty: i64,
    /// What can still be returned.
    pub returnable_qty: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReturnQuery {
    pub dealer_id: Option<i64>,
    pub invoice_id: Option<i64>,
    pub status: Option<String>,
    /// Matches the return's number or the dealer's code or name.
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

fn out(d: &returns::ReturnDetail) -> Result<ReturnOut, AppError> {
    reshape(d)
}

#[utoipa::path(get, path = "/api/v1/returns", tag = "returns", params(ReturnQuery),
    responses((status = 200, body = [ReturnHeadOut]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<ReturnQuery>,
) -> Result<Json<Vec<ReturnHeadOut>>, ApiError> {
    let filter = ReturnFilter {
        dealer_id: q.dealer_id,
        invoice_id: q.invoice_id,
        status: q.status.filter(|s| !s.trim().is_empty()),
        q: q.q.filter(|s| !s.trim().is_empty()),
        limit: q.limit.unwrap_or(100),
        offset: q.offset.unwrap_or(0),
        ..Default::default()
    };
    let rows = returns::list(&s.app, &a.actor, &filter)
        .await
        .map_err(|e| a.fail(e))?;
    let out = rows
        .iter()
        .map(reshape)
        .collect::<Result<Vec<ReturnHeadOut>, _>>()
        .map_err(|e| a.fail(e))?;
    Ok(Json(out))
}

#[utoipa::path(get, path = "/api/v1/returns/{id}", tag = "returns", params(("id" = i64, Path)),
    responses((status = 200, body = ReturnOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ReturnOut>, ApiError> {
    let d = returns::get(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(out(&d).map_err(|e| a.fail(e))?))
}

/// What each line of an invoice can still give back (sold less returned, pending returns and
/// transfers included).
#[utoipa::path(get, path = "/api/v1/invoices/{id}/returnable", tag = "returns", params(("id" = i64, Path)),
    responses((status = 200, body = [ReturnableLineOut]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn returnable(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<ReturnableLineOut>>, ApiError> {
    let r = returns::returnable(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(
        r.lines
            .iter()
            .map(|l| ReturnableLineOut {
                line_no: l.line_no,
                product_id: l.product_id,
                product_code: l.product_code.clone(),
                product_name_zh: l.product_name_zh.clone(),
                product_name_en: l.product_name_en.clone(),
                quantity: l.quantity,
                gross_fen: l.gross_fen,
                held_qty: l.held_qty,
                returnable_qty: l.returnable(),
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReturnLineIn {
    /// The invoice line's number.
    pub line_no: i64,
    pub quantity: i64,
    /// This line's reason; default: the return's reason.
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewReturnIn {
    /// Why the goods come back (quality, wrong goods, expiry…).
    pub reason: Option<String>,
    pub note: Option<String>,
    pub lines: Vec<ReturnLineIn>,
}

/// Requests a return of goods sold on this invoice. A line returns at most what was sold less
/// what was already returned, requested or transferred. Opens an approval.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/returns", tag = "returns", params(("id" = i64, Path)), request_body = NewReturnIn,
    responses((status = 201, body = ReturnOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewReturnIn>,
) -> Result<(StatusCode, Json<ReturnOut>), ApiError> {
    let input = NewReturnInput {
        reason: body.reason,
        note: body.note,
        lines: body
            .lines
            .into_iter()
            .map(|l| ReturnLineInput {
                line_no: l.line_no,
                quantity: l.quantity,
                reason: l.reason,
            })
            .collect(),
    };
    let d = returns::request(&s.app, &a.actor, id, input)
        .await
        .map_err(|e| a.fail(e))?;
    Ok((StatusCode::CREATED, Json(out(&d).map_err(|e| a.fail(e))?)))
}

#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct ReasonIn {
    pub reason: Option<String>,
}

/// Cancels a return whose goods have not arrived yet (a reason is required).
#[utoipa::path(post, path = "/api/v1/returns/{id}/cancel", tag = "returns", params(("id" = i64, Path)), request_body = ReasonIn,
    responses((status = 200, body = ReturnOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn cancel(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<Json<ReturnOut>, ApiError> {
    let body = optional_body::<ReasonIn>(&body).map_err(|e| a.fail(e))?;
    let d = returns::cancel(&s.app, &a.actor, id, body.reason)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(out(&d).map_err(|e| a.fail(e))?))
}

/// Submits a sent-back return again (a new approval opens).
#[utoipa::path(post, path = "/api/v1/returns/{id}/resubmit", tag = "returns", params(("id" = i64, Path)),
    responses((status = 200, body = ReturnOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn resubmit(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ReturnOut>, ApiError> {
    let d = returns::resubmit(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(out(&d).map_err(|e| a.fail(e))?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReceiveLineIn {
    /// The return line's id.
    pub line_id: i64,
    pub received_qty: i64,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct ReceiveIn {
    /// `YYYY-MM-DD`, default today.
    pub received_on: Option<String>,
    /// Lines that arrived short; lines not named arrived complete.
    #[serde(default)]
    pub lines: Vec<ReceiveLineIn>,
}

/// The goods arrived at the warehouse (an approved return).
#[utoipa::path(post, path = "/api/v1/returns/{id}/receive", tag = "returns", params(("id" = i64, Path)), request_body = ReceiveIn,
    responses((status = 200, body = ReturnOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn receive(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<Json<ReturnOut>, ApiError> {
    let body = optional_body::<ReceiveIn>(&body).map_err(|e| a.fail(e))?;
    let input = ReceiveInput {
        received_on: body.received_on,
        lines: body
            .lines
            .into_iter()
            .map(|l| ReceiveLineInput {
                line_id: l.line_id,
                received_qty: l.received_qty,
            })
            .collect(),
    };
    let d = returns::receive(&s.app, &a.actor, id, input)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(out(&d).map_err(|e| a.fail(e))?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InspectLineIn {
    /// The return line's id.
    pub line_id: i64,
    /// Accepted units; the rest of what arrived is rejected.
    pub accepted_qty: i64,
    /// Required when units are rejected.
    pub reject_reason: Option<String>,
    /// restock (default) or scrap
    pub disposition: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct InspectIn {
    /// Lines not named are accepted in full and restocked.
    #[serde(default)]
    pub lines: Vec<InspectLineIn>,
}

/// Inspection of the received goods. Nothing accepted closes the return without a credit.
#[utoipa::path(post, path = "/api/v1/returns/{id}/inspect", tag = "returns", params(("id" = i64, Path)), request_body = InspectIn,
    responses((status = 200, body = ReturnOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn inspect(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<Json<ReturnOut>, ApiError> {
    let body = optional_body::<InspectIn>(&body).map_err(|e| a.fail(e))?;
    let input = InspectInput {
        lines: body
            .lines
            .into_iter()
            .map(|l| InspectLineInput {
                line_id: l.line_id,
                accepted_qty: l.accepted_qty,
                reject_reason: l.reject_reason,
                disposition: l.disposition,
            })
            .collect(),
    };
    let d = returns::inspect(&s.app, &a.actor, id, input)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(out(&d).map_err(|e| a.fail(e))?))
}

#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct CreditIn {
    /// `YYYY-MM-DD`, default today.
    pub issued_on: Option<String>,
}

/// Issues the credit note for the accepted goods against the original invoice: pro rata on
/// the invoiced line, rounded down per return so the returns of a line never credit more than
/// the line. Receivables and credit exposure fall by the same amount.
#[utoipa::path(post, path = "/api/v1/returns/{id}/credit", tag = "returns", params(("id" = i64, Path)), request_body = CreditIn,
    responses((status = 200, body = ReturnOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn credit(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<Json<ReturnOut>, ApiError> {
    let body = optional_body::<CreditIn>(&body).map_err(|e| a.fail(e))?;
    let d = returns::credit(&s.app, &a.actor, id, body.issued_on)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(out(&d).map_err(|e| a.fail(e))?))
}
