//! `/api/v1/orders` and a dealer's credit position.

use super::{ApiJson, ApiPath, ApiQuery};
use crate::problem::{ApiError, Problem};
use crate::session::ApiActor;
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use salesos_app::credit::{self, TempCreditInput};
use salesos_app::orders::{self, Created, Idempotency, LineInput, NewOrderInput, OrderDetail};
use salesos_app::AppError;
use salesos_store::orders::OrderFilter;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An optional JSON body: empty means the defaults.
pub(crate) fn optional_body<T: DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| {
        // well-formed JSON with a wrong field is the caller's data, not a syntax error
        if e.is_data() {
            AppError::invalid(
                "request.invalid_field",
                "body",
                format!("a field of the body has the wrong type or name: {e}"),
            )
        } else {
            AppError::invalid(
                "request.invalid_json",
                "body",
                format!("the body is not the expected JSON: {e}"),
            )
        }
    })
}

/// Copies a row into its API shape (same field names).
pub(crate) fn reshape<T: Serialize, U: DeserializeOwned>(value: &T) -> Result<U, AppError> {
    serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .map_err(|e| AppError::Internal(format!("reshaping a response: {e}")))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderHeadOut {
    pub id: i64,
    pub number: String,
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    /// `YYYY-MM-DD`
    pub order_date: String,
    /// draft, submitted, on_hold, confirmed, cancelled
    pub status: String,
    /// desk, rep or api
    pub source: String,
    /// The dealer's unit and owner when the order was taken.
    pub node_id: i64,
    pub owner_id: i64,
    pub owner_name: String,
    pub desk_rep_id: Option<i64>,
    pub shipping_coordinator_id: Option<i64>,
    pub billing_rep_id: Option<i64>,
    pub total_fen: i64,
    /// What the order adds to the dealer's credit exposure now.
    pub exposure_fen: i64,
    pub note: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LineOut {
    pub line_no: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub quantity: i64,
    pub list_price_fen: Option<i64>,
    pub unit_price_fen: i64,
    pub amount_fen: i64,
    pub manual_price: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventOut {
    pub at: i64,
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    /// create, submit, confirm, hold, release, reject, send_back, edit, cancel, reopen
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HoldOut {
    pub id: i64,
    pub order_id: i64,
    pub order_number: Option<String>,
    /// credit, overdue or price
    pub kind: String,
    /// open, released, rejected, cancelled
    pub status: String,
    pub approval_id: Option<i64>,
    pub exposure_fen: i64,
    pub limit_fen: i64,
    pub amount_fen: i64,
    pub overdue_fen: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApprovalSummaryOut {
    pub id: i64,
    /// credit_hold, price_override, temp_credit
    pub doc_type: String,
    pub doc_id: i64,
    pub dealer_id: Option<i64>,
    pub dealer_name: Option<String>,
    pub value: i64,
    pub amount_fen: i64,
    pub summary: String,
    /// pending, approved, rejected, sent_back, cancelled
    pub status: String,
    pub current_step: i64,
    pub requested_by: Option<i64>,
    pub requested_by_name: Option<String>,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderOut {
    pub order: OrderHeadOut,
    pub lines: Vec<LineOut>,
    /// Every transition: who, when, from, to.
    pub events: Vec<EventOut>,
    pub holds: Vec<HoldOut>,
    pub approvals: Vec<ApprovalSummaryOut>,
}

fn order_out(d: &OrderDetail) -> Result<OrderOut, AppError> {
    reshape(d)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    pub dealer_id: Option<i64>,
    /// draft, submitted, on_hold, confirmed, cancelled
    pub status: Option<String>,
    /// Order date from (`YYYY-MM-DD`, inclusive).
    pub from: Option<String>,
    /// Order date to (inclusive).
    pub to: Option<String>,
    /// Part of the order number or the dealer's code or name.
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(OrderQuery),
    responses((status = 200, body = [OrderHeadOut]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> Result<Json<Vec<OrderHeadOut>>, ApiError> {
    let filter = OrderFilter {
        dealer_id: q.dealer_id,
        status: q.status,
        from: q.from,
        to: q.to,
        text: q.q,
        limit: q.limit.unwrap_or(100),
        offset: q.offset.unwrap_or(0),
    };
    let rows = orders::list(&s.app, &a.actor, &filter)
        .await
        .map_err(|e| a.fail(e))?;
    let out = rows
        .iter()
        .map(reshape)
        .collect::<Result<Vec<OrderHeadOut>, _>>()
        .map_err(|e| a.fail(e))?;
    Ok(Json(out))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LineIn {
    pub product_id: i64,
    /// In the product's base unit.
    pub quantity: i64,
    /// A manual unit price in fen; the dealer's list price on the order date when absent. A
    /// discount beyond 5 % puts the order on hold for approval.
    pub unit_price_fen: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewOrderIn {
    pub dealer_id: i64,
    /// `YYYY-MM-DD`, default today.
    pub order_date: Option<String>,
    /// desk, rep or api (default: by who calls).
    pub source: Option<String>,
    pub note: Option<String>,
    pub lines: Vec<LineIn>,
    /// Keep as a draft (default: submit at once, which checks credit and confirms or holds).
    pub draft: Option<bool>,
}

fn lines_in(lines: Vec<LineIn>) -> Vec<LineInput> {
    lines
        .into_iter()
        .map(|l| LineInput {
            product_id: l.product_id,
            quantity: l.quantity,
            unit_price_fen: l.unit_price_fen,
        })
        .collect()
}

/// Takes an order. Send an `Idempotency-Key` header to make retries safe: a retry with the same
/// key and body returns the first answer and creates nothing; the same key with another body is
/// refused (422).
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = NewOrderIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "retry key, unique per person")),
    responses((status = 201, body = OrderOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    a: ApiActor,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewOrderIn>,
) -> Result<Response, ApiError> {
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| {
                    a.fail(AppError::invalid(
                        "order.idempotency_key_invalid",
                        "Idempotency-Key",
                        "an Idempotency-Key is 1 to 200 visible ASCII characters",
                    ))
                })?
                .to_string(),
        ),
    };
    let idempotency = match key {
        Some(key) => Some(Idempotency {
            key,
            canonical_request: serde_json::to_string(&body)
                .map_err(|e| a.fail(AppError::Internal(e.to_string())))?,
        }),
        None => None,
    };
    let input = NewOrderInput {
        dealer_id: body.dealer_id,
        order_date: body.order_date,
        source: body.source,
        note: body.note,
        lines: lines_in(body.lines),
        draft: body.draft.unwrap_or(false),
    };
    // the body stored for retries is also the answer: rendered once
    let rendered = std::sync::OnceLock::new();
    let render = |d: &OrderDetail| {
        let body = order_out(d)
            .ok()
            .and_then(|o| serde_json::to_string(&o).ok())
            .unwrap_or_default();
        let _ = rendered.set(body.clone());
        body
    };
    let created = orders::create(&s.app, &a.actor, input, idempotency, &render)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(match created {
        Created::New(d) => match rendered.into_inner().filter(|b| !b.is_empty()) {
            Some(body) => {
                let mut res = (StatusCode::CREATED, body).into_response();
                res.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                res
            }
            None => {
                let out = order_out(&d).map_err(|e| a.fail(e))?;
                (StatusCode::CREATED, Json(out)).into_response()
            }
        },
        Created::Replayed { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut res = (status, body).into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            res.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            res
        }
    })
}

#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = OrderOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OrderOut>, ApiError> {
    let d = orders::get(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(order_out(&d).map_err(|e| a.fail(e))?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OrderPatchIn {
    /// The new lines (all of them). A confirmed order is checked again for what it adds.
    pub lines: Vec<LineIn>,
}

#[utoipa::path(patch, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = i64, Path)), request_body = OrderPatchIn,
    responses((status = 200, body = OrderOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<OrderPatchIn>,
) -> Result<Json<OrderOut>, ApiError> {
    let d = orders::update_lines(&s.app, &a.actor, id, lines_in(body.lines))
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(order_out(&d).map_err(|e| a.fail(e))?))
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/confirm", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = OrderOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn confirm(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OrderOut>, ApiError> {
    let d = orders::confirm(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(order_out(&d).map_err(|e| a.fail(e))?))
}

#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct CancelIn {
    pub reason: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "orders", params(("id" = i64, Path)), request_body = CancelIn,
    responses((status = 200, body = OrderOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn cancel(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<Json<OrderOut>, ApiError> {
    let reason = optional_body::<CancelIn>(&body)
        .map_err(|e| a.fail(e))?
        .reason;
    let d = orders::cancel(&s.app, &a.actor, id, reason)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(order_out(&d).map_err(|e| a.fail(e))?))
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/reopen", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = OrderOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn reopen(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OrderOut>, ApiError> {
    let d = orders::reopen(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(order_out(&d).map_err(|e| a.fail(e))?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TempCreditOut {
    pub id: i64,
    pub dealer_id: i64,
    pub amount_fen: i64,
    pub valid_from: String,
    /// Exclusive end.
    pub valid_to: String,
    /// pending, approved, rejected
    pub status: String,
    pub approval_id: Option<i64>,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LedgerEntryOut {
    pub id: i64,
    /// open_orders, unbilled, receivables
    pub bucket: String,
    pub kind: String,
    pub amount_fen: i64,
    pub doc_type: String,
    pub doc_id: i64,
    pub at: i64,
}

/// A dealer's credit position: exposure = open orders + unbilled goods + receivables.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreditOut {
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    pub limit_fen: i64,
    /// Approved temporary credit valid today.
    pub temporary_fen: i64,
    pub effective_limit_fen: i64,
    pub exposure_fen: i64,
    pub open_orders_fen: i64,
    pub unbilled_fen: i64,
    pub receivables_fen: i64,
    pub overdue_fen: i64,
    pub available_fen: i64,
    pub holds: Vec<HoldOut>,
    pub temp_credits: Vec<TempCreditOut>,
    pub recent_entries: Vec<LedgerEntryOut>,
}

#[utoipa::path(get, path = "/api/v1/dealers/{id}/credit", tag = "credit", params(("id" = i64, Path)),
    responses((status = 200, body = CreditOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn dealer_credit(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CreditOut>, ApiError> {
    let v = credit::dealer_credit(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(reshape(&v).map_err(|e| a.fail(e))?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TempCreditIn {
    pub amount_fen: i64,
    /// `YYYY-MM-DD`, default today.
    pub valid_from: Option<String>,
    /// `YYYY-MM-DD`, exclusive.
    pub valid_to: String,
    pub reason: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/dealers/{id}/temporary-credit", tag = "credit", params(("id" = i64, Path)), request_body = TempCreditIn,
    responses((status = 201, body = TempCreditOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn request_temp_credit(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TempCreditIn>,
) -> Result<(StatusCode, Json<TempCreditOut>), ApiError> {
    let row = credit::request_temp_credit(
        &s.app,
        &a.actor,
        id,
        TempCreditInput {
            amount_fen: body.amount_fen,
            valid_from: body.valid_from,
            valid_to: body.valid_to,
            reason: body.reason,
        },
    )
    .await
    .map_err(|e| a.fail(e))?;
    Ok((
        StatusCode::CREATED,
        Json(reshape(&row).map_err(|e| a.fail(e))?),
    ))
}

#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct OwnersIn {
    /// An order-desk rep of the order's market or of the company; absent: unchanged.
    pub desk_rep_id: Option<i64>,
    /// A warehouse person (shipping coordinator) of the market or the company.
    pub shipping_coordinator_id: Option<i64>,
    /// A billing-and-collection rep of the market or the company.
    pub billing_rep_id: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/owners", tag = "orders", params(("id" = i64, Path)), request_body = OwnersIn,
    responses((status = 200, body = OrderOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_owners(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<OwnersIn>,
) -> Result<Json<OrderOut>, ApiError> {
    let input = orders::OwnersInput {
        desk_rep_id: body.desk_rep_id,
        shipping_coordinator_id: body.shipping_coordinator_id,
        billing_rep_id: body.billing_rep_id,
    };
    let d = orders::set_owners(&s.app, &a.actor, id, input)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(order_out(&d).map_err(|e| a.fail(e))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_optional_body_tells_a_wrong_field_from_broken_json() {
        assert_eq!(optional_body::<CancelIn>(b"  ").unwrap().reason, None);
        let parsed = optional_body::<CancelIn>(br#"{"reason": "late"}"#).unwrap();
        assert_eq!(parsed.reason.as_deref(), Some("late"));
        let wrong_type = optional_body::<CancelIn>(br#"{"reason": 5}"#).unwrap_err();
        assert_eq!(wrong_type.code(), "request.invalid_field");
        let cut_short = optional_body::<CancelIn>(br#"{"reason": "#).unwrap_err();
        assert_eq!(cut_short.code(), "request.invalid_json");
    }
}
