//! `/api/v1/product-lines`, `/products`, `/price-lists`, `/quotas`: the company-wide catalogue.

use super::{ApiJson, ApiPath, ApiQuery};
use crate::problem::{ApiError, Problem};
use crate::session::ApiActor;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use salesos_app::catalogue::{
    self, LineInput, NewProductInput, PriceInput, PriceListInput, ProductInput, QuotaInput,
};
use salesos_store::catalogue::{
    PriceItemRow, PriceListRow, ProductFilter, ProductLineRow, ProductRow, QuotaRow,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

// documented as `ProductLineOut`: the API's order line is a `LineOut` too
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProductLineOut)]
pub struct LineOut {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

impl From<ProductLineRow> for LineOut {
    fn from(l: ProductLineRow) -> Self {
        LineOut {
            id: l.id,
            code: l.code,
            name_zh: l.name_zh,
            name_en: l.name_en,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductOut {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub line_id: i64,
    pub line_code: String,
    pub unit: String,
    pub case_size: i64,
    /// Basis points: 1300 = 13%.
    pub tax_rate_bp: i64,
    /// active or inactive
    pub status: String,
}

impl From<ProductRow> for ProductOut {
    fn from(p: ProductRow) -> Self {
        ProductOut {
            id: p.id,
            code: p.code,
            name_zh: p.name_zh,
            name_en: p.name_en,
            line_id: p.line_id,
            line_code: p.line_code,
            unit: p.unit,
            case_size: p.case_size,
            tax_rate_bp: p.tax_rate_bp,
            status: p.status,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PriceListOut {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// tier or dealer
    pub kind: String,
    pub tier: Option<String>,
    pub active: bool,
}

impl From<PriceListRow> for PriceListOut {
    fn from(l: PriceListRow) -> Self {
        PriceListOut {
            id: l.id,
            code: l.code,
            name: l.name,
            kind: l.kind,
            tier: l.tier,
            active: l.active,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PriceItemOut {
    pub id: i64,
    pub product_id: i64,
    pub product_code: String,
    pub price_fen: i64,
    pub valid_from: String,
    /// Exclusive end; `null` while open.
    pub valid_to: Option<String>,
}

impl From<PriceItemRow> for PriceItemOut {
    fn from(i: PriceItemRow) -> Self {
        PriceItemOut {
            id: i.id,
            product_id: i.product_id,
            product_code: i.product_code,
            price_fen: i.price_fen,
            valid_from: i.valid_from,
            valid_to: i.valid_to,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PriceListDetailOut {
    pub list: PriceListOut,
    pub items: Vec<PriceItemOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuotaOut {
    pub id: i64,
    pub product_id: i64,
    pub product_code: String,
    pub node_id: Option<i64>,
    pub dealer_id: Option<i64>,
    /// `YYYY-MM`
    pub period: String,
    pub quantity: i64,
    pub consumed: i64,
}

impl From<QuotaRow> for QuotaOut {
    fn from(q: QuotaRow) -> Self {
        QuotaOut {
            id: q.id,
            product_id: q.product_id,
            product_code: q.product_code,
            node_id: q.node_id,
            dealer_id: q.dealer_id,
            period: q.period,
            quantity: q.quantity,
            consumed: q.consumed,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LineIn {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProductIn {
    pub name_zh: String,
    pub name_en: String,
    pub line_id: i64,
    pub unit: String,
    pub case_size: i64,
    pub tax_rate_bp: i64,
    /// active (default) or inactive
    pub status: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewProductIn {
    pub code: String,
    #[serde(flatten)]
    pub fields: ProductIn,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PriceListIn {
    pub code: String,
    pub name: String,
    /// tier or dealer
    pub kind: String,
    /// A, B or C for a tier list
    pub tier: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PriceIn {
    pub product_id: i64,
    pub price_fen: i64,
    /// `YYYY-MM-DD`; the open price of the product on this list ends that day.
    pub valid_from: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct QuotaIn {
    pub product_id: i64,
    pub node_id: Option<i64>,
    pub dealer_id: Option<i64>,
    /// `YYYY-MM`
    pub period: String,
    pub quantity: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    pub q: Option<String>,
    pub line_id: Option<i64>,
    pub status: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuotaQuery {
    /// `YYYY-MM`
    pub period: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/product-lines", tag = "catalogue",
    responses((status = 200, body = [LineOut]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn lines(State(s): State<AppState>, a: ApiActor) -> Result<Json<Vec<LineOut>>, ApiError> {
    let rows = catalogue::lines(&s.app, &a.actor)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/product-lines", tag = "catalogue", request_body = LineIn,
    responses((status = 201, body = LineOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_line(
    State(s): State<AppState>,
    a: ApiActor,
    ApiJson(body): ApiJson<LineInput>,
) -> Result<(StatusCode, Json<LineOut>), ApiError> {
    let row = catalogue::create_line(&s.app, &a.actor, body)
        .await
        .map_err(|e| a.fail(e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(get, path = "/api/v1/products", tag = "catalogue", params(ProductQuery),
    responses((status = 200, body = [ProductOut]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn products(
    State(s): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<ProductQuery>,
) -> Result<Json<Vec<ProductOut>>, ApiError> {
    let filter = ProductFilter {
        text: q.q,
        line_id: q.line_id,
        status: q.status,
    };
    let rows = catalogue::products(&s.app, &a.actor, &filter)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/products", tag = "catalogue", request_body = NewProductIn,
    responses((status = 201, body = ProductOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_product(
    State(s): State<AppState>,
    a: ApiActor,
    ApiJson(body): ApiJson<NewProductInput>,
) -> Result<(StatusCode, Json<ProductOut>), ApiError> {
    let row = catalogue::create_product(&s.app, &a.actor, body)
        .await
        .map_err(|e| a.fail(e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 200, body = ProductOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn product(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ProductOut>, ApiError> {
    let row = catalogue::product(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(row.into()))
}

#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "catalogue", params(("id" = i64, Path)), request_body = ProductIn,
    responses((status = 200, body = ProductOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_product(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ProductInput>,
) -> Result<Json<ProductOut>, ApiError> {
    let row = catalogue::update_product(&s.app, &a.actor, id, body)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(row.into()))
}

#[utoipa::path(get, path = "/api/v1/price-lists", tag = "catalogue",
    responses((status = 200, body = [PriceListOut]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn price_lists(
    State(s): State<AppState>,
    a: ApiActor,
) -> Result<Json<Vec<PriceListOut>>, ApiError> {
    let rows = catalogue::price_lists(&s.app, &a.actor)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/price-lists", tag = "catalogue", request_body = PriceListIn,
    responses((status = 201, body = PriceListOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_price_list(
    State(s): State<AppState>,
    a: ApiActor,
    ApiJson(body): ApiJson<PriceListInput>,
) -> Result<(StatusCode, Json<PriceListOut>), ApiError> {
    let row = catalogue::create_price_list(&s.app, &a.actor, body)
        .await
        .map_err(|e| a.fail(e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(get, path = "/api/v1/price-lists/{id}", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 200, body = PriceListDetailOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn price_list(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PriceListDetailOut>, ApiError> {
    let v = catalogue::price_list(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(PriceListDetailOut {
        list: v.list.into(),
        items: v.items.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/price-lists/{id}/prices", tag = "catalogue", params(("id" = i64, Path)), request_body = PriceIn,
    responses((status = 201, body = PriceItemOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_price(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PriceInput>,
) -> Result<(StatusCode, Json<PriceItemOut>), ApiError> {
    let row = catalogue::add_price(&s.app, &a.actor, id, body)
        .await
        .map_err(|e| a.fail(e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(get, path = "/api/v1/quotas", tag = "catalogue", params(QuotaQuery),
    responses((status = 200, body = [QuotaOut]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn quotas(
    State(s): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<QuotaQuery>,
) -> Result<Json<Vec<QuotaOut>>, ApiError> {
    let rows = catalogue::quotas(&s.app, &a.actor, q.period.as_deref())
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/quotas", tag = "catalogue", request_body = QuotaIn,
    responses((status = 201, body = QuotaOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_quota(
    State(s): State<AppState>,
    a: ApiActor,
    ApiJson(body): ApiJson<QuotaInput>,
) -> Result<(StatusCode, Json<QuotaOut>), ApiError> {
    let row = catalogue::create_quota(&s.app, &a.actor, body)
        .await
        .map_err(|e| a.fail(e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}
