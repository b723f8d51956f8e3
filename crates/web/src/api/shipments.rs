//! `/api/v1/shipments`: create from an order with partial quantities, ship, confirm delivery
//! with shortage and damage claims.

use super::orders::{optional_body, reshape};
use super::{ApiJson, ApiPath, ApiQuery};
use crate::problem::{ApiError, Problem};
use crate::session::ApiActor;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use salesos_app::shipments::{
    self, DeliveryInput, DeliveryLineInput, NewShipmentInput, ShipLineInput,
};
use salesos_store::shipments::ShipmentFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShipmentHeadOut {
    pub id: i64,
    pub number: String,
    pub order_id: i64,
    pub order_number: String,
    pub dealer_id: i64,
    pub dealer_name: String,
    /// picking, packed, shipped, delivered, closed, cancelled
    pub status: String,
    pub carrier: Option<String>,
    pub consignment_station: Option<String>,
    pub tracking_no: Option<String>,
    /// What the dealer will be billed for the goods (less credited and re-shipped claims).
    pub value_fen: i64,
    pub shipped_on: Option<String>,
    pub delivered_on: Option<String>,
    pub invoiced: bool,
    pub owner_id: i64,
    pub note: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShipmentLineOut {
    pub id: i64,
    pub order_line_id: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub tax_rate_bp: i64,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub amount_fen: i64,
    pub short_qty: i64,
    pub damaged_qty: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClaimOut {
    pub id: i64,
    pub shipment_line_id: i64,
    /// shortage or damage
    pub kind: String,
    pub quantity: i64,
    pub amount_fen: i64,
    /// credit_note (not billed) or reshipment (to ship again)
    pub resolution: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShipmentInvoiceOut {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub gross_fen: i64,
    pub open_fen: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShipmentOut {
    pub shipment: ShipmentHeadOut,
    pub lines: Vec<ShipmentLineOut>,
    pub claims: Vec<ClaimOut>,
    pub invoices: Vec<ShipmentInvoiceOut>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShipmentQuery {
    pub order_id: Option<i64>,
    pub dealer_id: Option<i64>,
    /// picking, packed, shipped, delivered, closed, cancelled
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/shipments", tag = "shipments", params(ShipmentQuery),
    responses((status = 200, body = [ShipmentHeadOut]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<ShipmentQuery>,
) -> Result<Json<Vec<ShipmentHeadOut>>, ApiError> {
    let filter = ShipmentFilter {
        order_id: q.order_id,
        dealer_id: q.dealer_id,
        status: q.status,
        limit: q.limit.unwrap_or(100),
        offset: q.offset.unwrap_or(0),
    };
    let rows = shipments::list(&s.app, &a.actor, &filter)
        .await
        .map_err(|e| a.fail(e))?;
    let out = rows
        .iter()
        .map(reshape)
        .collect::<Result<Vec<ShipmentHeadOut>, _>>()
        .map_err(|e| a.fail(e))?;
    Ok(Json(out))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShipLineIn {
    /// The order line's number.
    pub line_no: i64,
    pub quantity: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewShipmentIn {
    pub order_id: i64,
    /// What to ship; absent or empty: everything still open on the order.
    #[serde(default)]
    pub lines: Vec<ShipLineIn>,
    /// The carrier, or else the consignment station (one of the two is needed).
    pub carrier: Option<String>,
    pub consignment_station: Option<String>,
    pub tracking_no: Option<String>,
    pub note: Option<String>,
}

/// Creates a shipment (picking) from a confirmed or partially shipped order. A line ships at
/// most what is still open on it.
#[utoipa::path(post, path = "/api/v1/shipments", tag = "shipments", request_body = NewShipmentIn,
    responses((status = 201, body = ShipmentOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    a: ApiActor,
    ApiJson(body): ApiJson<NewShipmentIn>,
) -> Result<(StatusCode, Json<ShipmentOut>), ApiError> {
    let input = NewShipmentInput {
        lines: body
            .lines
            .into_iter()
            .map(|l| ShipLineInput {
                line_no: l.line_no,
                quantity: l.quantity,
            })
            .collect(),
        carrier: body.carrier,
        consignment_station: body.consignment_station,
        tracking_no: body.tracking_no,
        note: body.note,
    };
    let d = shipments::create(&s.app, &a.actor, body.order_id, input)
        .await
        .map_err(|e| a.fail(e))?;
    Ok((
        StatusCode::CREATED,
        Json(reshape(&d).map_err(|e| a.fail(e))?),
    ))
}

#[utoipa::path(get, path = "/api/v1/shipments/{id}", tag = "shipments", params(("id" = i64, Path)),
    responses((status = 200, body = ShipmentOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ShipmentOut>, ApiError> {
    let d = shipments::get(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(reshape(&d).map_err(|e| a.fail(e))?))
}

#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct ShipIn {
    /// `YYYY-MM-DD`, default today.
    pub shipped_on: Option<String>,
}

/// The goods leave: their value moves from the dealer's open orders to unbilled goods.
#[utoipa::path(post, path = "/api/v1/shipments/{id}/ship", tag = "shipments", params(("id" = i64, Path)), request_body = ShipIn,
    responses((status = 200, body = ShipmentOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn ship(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<Json<ShipmentOut>, ApiError> {
    let body = optional_body::<ShipIn>(&body).map_err(|e| a.fail(e))?;
    let d = shipments::ship(&s.app, &a.actor, id, body.shipped_on)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(reshape(&d).map_err(|e| a.fail(e))?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DeliveryLineIn {
    /// The shipment line's id.
    pub line_id: i64,
    #[serde(default)]
    pub short_qty: i64,
    #[serde(default)]
    pub damaged_qty: i64,
    /// Of the short and damaged units, how many to ship again; the rest is credited (not
    /// billed).
    #[serde(default)]
    pub reship_qty: i64,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct DeliveryIn {
    /// `YYYY-MM-DD`, default today.
    pub delivered_on: Option<String>,
    /// Lines with a shortage or damage; lines not named arrived complete.
    #[serde(default)]
    pub lines: Vec<DeliveryLineIn>,
}

/// Delivery confirmation (签收) with shortage and damage claims.
#[utoipa::path(post, path = "/api/v1/shipments/{id}/deliver", tag = "shipments", params(("id" = i64, Path)), request_body = DeliveryIn,
    responses((status = 200, body = ShipmentOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn deliver(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<Json<ShipmentOut>, ApiError> {
    let body = optional_body::<DeliveryIn>(&body).map_err(|e| a.fail(e))?;
    let input = DeliveryInput {
        delivered_on: body.delivered_on,
        lines: body
            .lines
            .into_iter()
            .map(|l| DeliveryLineInput {
                line_id: l.line_id,
                short_qty: l.short_qty,
                damaged_qty: l.damaged_qty,
                reship_qty: l.reship_qty,
            })
            .collect(),
    };
    let d = shipments::deliver(&s.app, &a.actor, id, input)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(reshape(&d).map_err(|e| a.fail(e))?))
}

/// Picked goods are packed (picking → packed).
#[utoipa::path(post, path = "/api/v1/shipments/{id}/pack", tag = "shipments", params(("id" = i64, Path)),
    responses((status = 200, body = ShipmentOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn pack(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ShipmentOut>, ApiError> {
    let d = shipments::pack(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(reshape(&d).map_err(|e| a.fail(e))?))
}

#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct CancelShipmentIn {
    /// Why the shipment is not going out (required, at most 200 characters).
    pub reason: Option<String>,
}

/// Cancels a shipment that has not left (picking or packed); its units are open to ship again.
#[utoipa::path(post, path = "/api/v1/shipments/{id}/cancel", tag = "shipments", params(("id" = i64, Path)), request_body = CancelShipmentIn,
    responses((status = 200, body = ShipmentOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn cancel(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<Json<ShipmentOut>, ApiError> {
    let body = optional_body::<CancelShipmentIn>(&body).map_err(|e| a.fail(e))?;
    let d = shipments::cancel(&s.app, &a.actor, id, body.reason)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(reshape(&d).map_err(|e| a.fail(e))?))
}
