//! `/api/v1/reports`: receivables aging with DSO, the overdue follow-up list, a dealer's
//! reconciliation statement and the monthly OSB review. Read-only, limited to the caller's scope.

use super::orders::reshape;
use super::{ApiPath, ApiQuery};
use crate::problem::{ApiError, Problem};
use crate::session::ApiActor;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use salesos_app::reports::{self, AgingParams, OsbParams, OverdueParams, StatementParams};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgingQuery {
    /// The day the invoices are aged on (`YYYY-MM-DD`, default today in the company's time zone).
    pub as_of: Option<String>,
    /// Bucket boundaries in days overdue, comma-separated and increasing (default `0,30,60,90`:
    /// current, 1–30, 31–60, 61–90, over 90).
    pub buckets: Option<String>,
    /// dealer (default), rep (the owner when the invoice was issued), area or market.
    pub group_by: Option<String>,
    /// First day of the DSO period (default: 89 days before `as_of`; at most 366 days).
    pub from: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AgingGroupOut {
    /// The dealer, rep, area or market id (0: records above any area or market).
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Open amounts in fen per bucket, in the order of `labels`.
    pub buckets_fen: Vec<i64>,
    pub total_fen: i64,
    pub invoices: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DsoOut {
    pub from: String,
    pub to: String,
    pub days: i64,
    /// Open receivables on `to`.
    pub open_fen: i64,
    /// Invoiced in `[from, to]`.
    pub sales_fen: i64,
    /// Days sales outstanding in tenths of a day (453 = 45.3); null when nothing was invoiced.
    pub dso_tenths: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AgingOut {
    pub as_of: String,
    /// dealer, rep, area or market
    pub group_by: String,
    pub boundaries: Vec<i64>,
    /// Bucket keys: `current`, `1-30`, …, `90+`.
    pub labels: Vec<String>,
    pub groups: Vec<AgingGroupOut>,
    pub totals_fen: Vec<i64>,
    pub total_fen: i64,
    pub dso: DsoOut,
}

/// Receivables aging on a day, grouped, with DSO for the scope.
#[utoipa::path(get, path = "/api/v1/reports/aging", tag = "reports", params(AgingQuery),
    responses((status = 200, body = AgingOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn aging(
    State(s): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<AgingQuery>,
) -> Result<Json<AgingOut>, ApiError> {
    let params = AgingParams {
        as_of: q.as_of,
        buckets: q.buckets,
        group_by: q.group_by,
        from: q.from,
    };
    let report = reports::aging(&s.app, &a.actor, &params)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(reshape(&report).map_err(|e| a.fail(e))?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    /// Default today.
    pub as_of: Option<String>,
    /// Days past the due date before an invoice is listed (default 0).
    pub grace_days: Option<i64>,
    /// Only this rep's invoices.
    pub owner_id: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OverdueLineOut {
    pub invoice_id: i64,
    pub invoice_number: String,
    pub invoice_date: String,
    pub due_date: String,
    pub days_overdue: i64,
    pub open_fen: i64,
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    /// The dealer's primary contact's phone, else the dealer's.
    pub phone: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OverdueRepOut {
    pub owner_id: i64,
    pub owner_name: String,
    pub amount_fen: i64,
    pub invoices: i64,
    pub oldest_days: Option<i64>,
    /// Most overdue first.
    pub lines: Vec<OverdueLineOut>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OverdueOut {
    pub as_of: String,
    pub grace_days: i64,
    pub reps: Vec<OverdueRepOut>,
    pub total_fen: i64,
}

/// Overdue invoices per rep, for the weekly follow-up calls.
#[utoipa::path(get, path = "/api/v1/reports/overdue", tag = "reports", params(OverdueQuery),
    responses((status = 200, body = OverdueOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn overdue(
    State(s): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<OverdueQuery>,
) -> Result<Json<OverdueOut>, ApiError> {
    let params = OverdueParams {
        as_of: q.as_of,
        grace_days: q.grace_days,
        owner_id: q.owner_id,
    };
    let report = reports::overdue_list(&s.app, &a.actor, &params)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(reshape(&report).map_err(|e| a.fail(e))?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// Default: the first day of `to`'s month.
    pub from: Option<String>,
    /// Default: today.
    pub to: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatementDealerOut {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub tax_no: Option<String>,
    pub payment_term_days: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatementLineOut {
    pub date: String,
    /// invoice, payment, credit_note or cancellation
    pub kind: String,
    pub doc_number: String,
    pub debit_fen: i64,
    pub credit_fen: i64,
    /// Running balance after this line (negative: the dealer holds credit).
    pub balance_fen: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatementOut {
    pub dealer: StatementDealerOut,
    pub from: String,
    pub to: String,
    pub opening_fen: i64,
    pub lines: Vec<StatementLineOut>,
    pub total_debit_fen: i64,
    pub total_credit_fen: i64,
    pub closing_fen: i64,
}

/// A dealer's reconciliation statement (对账单) for a period, from the receivables ledger.
#[utoipa::path(get, path = "/api/v1/reports/statements/{id}", tag = "reports", params(("id" = i64, Path, description = "dealer id"), StatementQuery),
    responses((status = 200, body = StatementOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn statement(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<StatementQuery>,
) -> Result<Json<StatementOut>, ApiError> {
    let params = StatementParams {
        from: q.from,
        to: q.to,
    };
    let report = reports::statement(&s.app, &a.actor, id, &params)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(reshape(&report).map_err(|e| a.fail(e))?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OsbQuery {
    /// `YYYY-MM`, default the current month.
    pub month: Option<String>,
    /// A shipment is on time when it leaves within this many days of the order's confirmation
    /// (default 3, at most 60).
    pub on_time_days: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OsbRowOut {
    /// 0 for records above any market.
    pub market_id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub orders: i64,
    pub order_amount_fen: i64,
    pub ordered_qty: i64,
    pub shipped_qty: i64,
    /// Shipped ÷ ordered quantity in tenths of a percent (987 = 98.7 %).
    pub fill_rate_permille: Option<i64>,
    pub confirmed_orders: i64,
    pub on_time: i64,
    pub on_time_permille: Option<i64>,
    pub invoiced_fen: i64,
    pub open_fen: i64,
    pub dso_tenths: Option<i64>,
    pub overdue_fen: i64,
    pub holds_opened: i64,
    pub holds_released: i64,
    /// Credit notes for returned goods.
    pub returns: i64,
    pub returns_fen: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OsbOut {
    pub month: String,
    pub from: String,
    pub to: String,
    pub on_time_days: i64,
    pub rows: Vec<OsbRowOut>,
    pub total: OsbRowOut,
}

/// The monthly OSB review per market: orders, fill rate, on-time shipment, DSO, overdue, credit
/// holds and returns.
#[utoipa::path(get, path = "/api/v1/reports/osb", tag = "reports", params(OsbQuery),
    responses((status = 200, body = OsbOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn osb(
    State(s): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<OsbQuery>,
) -> Result<Json<OsbOut>, ApiError> {
    let params = OsbParams {
        month: q.month,
        on_time_days: q.on_time_days,
    };
    let report = reports::osb_review(&s.app, &a.actor, &params)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(reshape(&report).map_err(|e| a.fail(e))?))
}
