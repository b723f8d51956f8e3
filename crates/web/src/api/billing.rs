//! `/api/v1/invoices`, `/api/v1/payments` and a dealer's receivables: invoices raised from
//! delivered shipments, payments recorded and allocated (oldest first or chosen).

use super::orders::{optional_body, reshape};
use super::{ApiJson, ApiPath, ApiQuery};
use crate::problem::{ApiError, Problem};
use crate::session::ApiActor;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use salesos_app::billing::{self, ChosenAllocation, PaymentInput};
use salesos_store::billing::{InvoiceFilter, PaymentFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvoiceHeadOut {
    pub id: i64,
    pub number: String,
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    pub order_id: Option<i64>,
    pub shipment_id: Option<i64>,
    /// `YYYY-MM-DD`
    pub invoice_date: String,
    /// The invoice date plus the dealer's payment term.
    pub due_date: String,
    pub payment_term_days: i64,
    pub net_fen: i64,
    pub tax_fen: i64,
    pub gross_fen: i64,
    /// What is still owed.
    pub open_fen: i64,
    /// open, paid, cancelled
    pub status: String,
    pub paid_on: Option<String>,
    pub owner_id: i64,
    pub created_at: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvoiceLineOut {
    pub line_no: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub quantity: i64,
    /// Tax included.
    pub unit_price_fen: i64,
    /// Basis points: 1300 = 13 %.
    pub tax_rate_bp: i64,
    pub net_fen: i64,
    pub tax_fen: i64,
    pub gross_fen: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AllocationOut {
    pub payment_id: i64,
    pub payment_number: String,
    pub invoice_id: i64,
    pub invoice_number: String,
    pub amount_fen: i64,
    pub allocated_on: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvoiceOut {
    pub invoice: InvoiceHeadOut,
    pub lines: Vec<InvoiceLineOut>,
    pub allocations: Vec<AllocationOut>,
    pub credit_notes: Vec<CreditNoteOut>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreditNoteOut {
    pub id: i64,
    pub number: String,
    pub issued_on: String,
    pub reason: String,
    pub amount_fen: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreditNoteIn {
    /// At most what the invoice still owes.
    pub amount_fen: i64,
    pub reason: String,
}

/// Issues a credit note against an open invoice (e.g. a price adjustment).
#[utoipa::path(post, path = "/api/v1/invoices/{id}/credit-notes", tag = "billing", params(("id" = i64, Path)), request_body = CreditNoteIn,
    responses((status = 201, body = InvoiceOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn credit_note(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CreditNoteIn>,
) -> Result<(StatusCode, Json<InvoiceOut>), ApiError> {
    let d = billing::credit_note(&s.app, &a.actor, id, body.amount_fen, Some(body.reason))
        .await
        .map_err(|e| a.fail(e))?;
    Ok((
        StatusCode::CREATED,
        Json(reshape(&d).map_err(|e| a.fail(e))?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceQuery {
    pub dealer_id: Option<i64>,
    /// open, paid, cancelled
    pub status: Option<String>,
    pub shipment_id: Option<i64>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/invoices", tag = "billing", params(InvoiceQuery),
    responses((status = 200, body = [InvoiceHeadOut]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_invoices(
    State(s): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<InvoiceQuery>,
) -> Result<Json<Vec<InvoiceHeadOut>>, ApiError> {
    let filter = InvoiceFilter {
        dealer_id: q.dealer_id,
        status: q.status,
        shipment_id: q.shipment_id,
        limit: q.limit.unwrap_or(100),
        offset: q.offset.unwrap_or(0),
    };
    let rows = billing::list_invoices(&s.app, &a.actor, &filter)
        .await
        .map_err(|e| a.fail(e))?;
    let out = rows
        .iter()
        .map(reshape)
        .collect::<Result<Vec<InvoiceHeadOut>, _>>()
        .map_err(|e| a.fail(e))?;
    Ok(Json(out))
}

#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "billing", params(("id" = i64, Path)),
    responses((status = 200, body = InvoiceOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_invoice(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<InvoiceOut>, ApiError> {
    let d = billing::get_invoice(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(reshape(&d).map_err(|e| a.fail(e))?))
}

#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct InvoiceIn {
    /// `YYYY-MM-DD`, default today; not before delivery.
    pub invoice_date: Option<String>,
}

/// Raises the invoice of a delivered shipment for what the dealer accepted; the due date
/// follows from the dealer's payment term.
#[utoipa::path(post, path = "/api/v1/shipments/{id}/invoice", tag = "billing", params(("id" = i64, Path)), request_body = InvoiceIn,
    responses((status = 201, body = InvoiceOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn invoice_shipment(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<InvoiceOut>), ApiError> {
    let body = optional_body::<InvoiceIn>(&body).map_err(|e| a.fail(e))?;
    let d = billing::invoice_shipment(&s.app, &a.actor, id, body.invoice_date)
        .await
        .map_err(|e| a.fail(e))?;
    Ok((
        StatusCode::CREATED,
        Json(reshape(&d).map_err(|e| a.fail(e))?),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InvoiceCancelIn {
    pub reason: String,
}

/// Cancels an invoice (红冲): the shipment can be invoiced again and money allocated to it goes
/// back to its payments as credit.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/cancel", tag = "billing", params(("id" = i64, Path)), request_body = InvoiceCancelIn,
    responses((status = 200, body = InvoiceOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn cancel_invoice(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<InvoiceCancelIn>,
) -> Result<Json<InvoiceOut>, ApiError> {
    let d = billing::cancel_invoice(&s.app, &a.actor, id, Some(body.reason))
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(reshape(&d).map_err(|e| a.fail(e))?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentHeadOut {
    pub id: i64,
    pub number: String,
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    pub received_on: String,
    pub amount_fen: i64,
    /// bank_transfer, cash, acceptance_bill, other
    pub method: String,
    pub reference: Option<String>,
    /// Kept on the dealer's account as credit.
    pub unallocated_fen: i64,
    pub owner_id: i64,
    pub created_at: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentOut {
    pub payment: PaymentHeadOut,
    pub allocations: Vec<AllocationOut>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentQuery {
    pub dealer_id: Option<i64>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/payments", tag = "billing", params(PaymentQuery),
    responses((status = 200, body = [PaymentHeadOut]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_payments(
    State(s): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<PaymentQuery>,
) -> Result<Json<Vec<PaymentHeadOut>>, ApiError> {
    let filter = PaymentFilter {
        dealer_id: q.dealer_id,
        limit: q.limit.unwrap_or(100),
        offset: q.offset.unwrap_or(0),
    };
    let rows = billing::list_payments(&s.app, &a.actor, &filter)
        .await
        .map_err(|e| a.fail(e))?;
    let out = rows
        .iter()
        .map(reshape)
        .collect::<Result<Vec<PaymentHeadOut>, _>>()
        .map_err(|e| a.fail(e))?;
    Ok(Json(out))
}

#[utoipa::path(get, path = "/api/v1/payments/{id}", tag = "billing", params(("id" = i64, Path)),
    responses((status = 200, body = PaymentOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_payment(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PaymentOut>, ApiError> {
    let d = billing::get_payment(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(reshape(&d).map_err(|e| a.fail(e))?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChosenIn {
    pub invoice_id: i64,
    pub amount_fen: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PaymentIn {
    pub amount_fen: i64,
    /// `YYYY-MM-DD`, default today.
    pub received_on: Option<String>,
    /// bank_transfer (default), cash, acceptance_bill, other
    pub method: Option<String>,
    pub reference: Option<String>,
    /// oldest_first (default) or chosen
    pub allocation: Option<String>,
    /// With `chosen`: which open invoices and how much each; the rest stays as credit.
    #[serde(default)]
    pub allocations: Vec<ChosenIn>,
}

/// Records a payment from the dealer and allocates it; what is left over stays as credit.
#[utoipa::path(post, path = "/api/v1/dealers/{id}/payments", tag = "billing", params(("id" = i64, Path)), request_body = PaymentIn,
    responses((status = 201, body = PaymentOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn record_payment(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PaymentIn>,
) -> Result<(StatusCode, Json<PaymentOut>), ApiError> {
    let input = PaymentInput {
        amount_fen: body.amount_fen,
        received_on: body.received_on,
        method: body.method,
        reference: body.reference,
        allocation: body.allocation,
        allocations: body
            .allocations
            .into_iter()
            .map(|c| ChosenAllocation {
                invoice_id: c.invoice_id,
                amount_fen: c.amount_fen,
            })
            .collect(),
    };
    let d = billing::record_payment(&s.app, &a.actor, id, input)
        .await
        .map_err(|e| a.fail(e))?;
    Ok((
        StatusCode::CREATED,
        Json(reshape(&d).map_err(|e| a.fail(e))?),
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReceivablesSummaryOut {
    /// Invoiced less paid and credited: what the dealer owes (negative: credit held).
    pub balance_fen: i64,
    pub open_invoices_fen: i64,
    /// Payments not yet allocated (the dealer's credit).
    pub unallocated_fen: i64,
    /// Open amounts past their due date today.
    pub overdue_fen: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ArEntryOut {
    pub id: i64,
    pub entry_date: String,
    /// invoice, payment, credit_note, cancellation
    pub kind: String,
    pub doc_type: String,
    pub doc_id: i64,
    pub doc_number: String,
    /// + raises what the dealer owes, − lowers it.
    pub amount_fen: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReceivablesOut {
    pub dealer_id: i64,
    pub summary: ReceivablesSummaryOut,
    pub open_invoices: Vec<InvoiceHeadOut>,
    /// The receivables ledger, oldest first.
    pub ledger: Vec<ArEntryOut>,
}

#[utoipa::path(get, path = "/api/v1/dealers/{id}/receivables", tag = "billing", params(("id" = i64, Path)),
    responses((status = 200, body = ReceivablesOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn dealer_receivables(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ReceivablesOut>, ApiError> {
    let d = billing::dealer_receivables(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(reshape(&d).map_err(|e| a.fail(e))?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
/// A credit note as a document of its own (its dealer and invoice named).
pub struct CreditNoteDocOut {
    pub id: i64,
    pub number: String,
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    /// The invoice it lowers (none for a credit note on account).
    pub invoice_id: Option<i64>,
    pub invoice_number: Option<String>,
    pub shipment_id: Option<i64>,
    /// `YYYY-MM-DD`
    pub issued_on: String,
    pub reason: String,
    pub amount_fen: i64,
    pub created_at: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreditNoteQuery {
    pub dealer_id: Option<i64>,
    pub invoice_id: Option<i64>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Credit notes in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/credit-notes", tag = "billing", params(CreditNoteQuery),
    responses((status = 200, body = [CreditNoteDocOut]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_credit_notes(
    State(s): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<CreditNoteQuery>,
) -> Result<Json<Vec<CreditNoteDocOut>>, ApiError> {
    let filter = salesos_store::billing::CreditNoteFilter {
        dealer_id: q.dealer_id,
        invoice_id: q.invoice_id,
        limit: q.limit.unwrap_or(100),
        offset: q.offset.unwrap_or(0),
    };
    let rows = billing::list_credit_notes(&s.app, &a.actor, &filter)
        .await
        .map_err(|e| a.fail(e))?;
    let out = rows
        .iter()
        .map(reshape)
        .collect::<Result<Vec<CreditNoteDocOut>, _>>()
        .map_err(|e| a.fail(e))?;
    Ok(Json(out))
}

#[utoipa::path(get, path = "/api/v1/credit-notes/{id}", tag = "billing", params(("id" = i64, Path)),
    responses((status = 200, body = CreditNoteDocOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_credit_note(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CreditNoteDocOut>, ApiError> {
    let row = billing::get_credit_note(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(reshape(&row).map_err(|e| a.fail(e))?))
}
