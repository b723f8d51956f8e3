//! `/api/v1/dealers…` and `/api/v1/feedback`: dealers in the caller's scope.

use super::{ApiJson, ApiPath, ApiQuery};
use crate::problem::{ApiError, Problem};
use crate::session::ApiActor;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use salesos_app::dealers::{
    self, ContactInput, DetailsInput, FeedbackInput, NewDealerInput, TermsInput, TransitionInput,
};
use salesos_store::catalogue::PriceOn;
use salesos_store::dealers::{
    ContactRow, DealerFilter, DealerRow, FeedbackRow, OwnerPeriodRow, TermChangeRow,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// A dealer's record (资料卡).
#[derive(Debug, Serialize, ToSchema)]
pub struct DealerOut {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// prospect, evaluating, active, suspended or terminated
    pub status: String,
    pub status_reason: Option<String>,
    /// A, B or C
    pub tier: String,
    pub licence_no: Option<String>,
    pub legal_representative: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    /// Consignment station (托运站).
    pub delivery_station: Option<String>,
    pub bank_name: Option<String>,
    pub bank_account: Option<String>,
    pub tax_no: Option<String>,
    pub phone: Option<String>,
    pub node_id: i64,
    pub node_name_zh: String,
    pub node_name_en: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub slt_owner_id: Option<i64>,
    pub price_list_id: Option<i64>,
    pub payment_term_days: i64,
    /// In fen (1/100 yuan).
    pub credit_limit_fen: i64,
    /// The weighted opening score (0–100).
    pub score: Option<i64>,
}

impl From<DealerRow> for DealerOut {
    fn from(d: DealerRow) -> Self {
        DealerOut {
            id: d.id,
            code: d.code,
            name: d.name,
            status: d.status,
            status_reason: d.status_reason,
            tier: d.tier,
            licence_no: d.licence_no,
            legal_representative: d.legal_representative,
            address: d.address,
            city: d.city,
            delivery_station: d.delivery_station,
            bank_name: d.bank_name,
            bank_account: d.bank_account,
            tax_no: d.tax_no,
            phone: d.phone,
            node_id: d.node_id,
            node_name_zh: d.node_name_zh,
            node_name_en: d.node_name_en,
            owner_id: d.owner_id,
            owner_name: d.owner_name,
            slt_owner_id: d.slt_owner_id,
            price_list_id: d.price_list_id,
            payment_term_days: d.payment_term_days,
            credit_limit_fen: d.credit_limit_fen,
            score: d.score,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DealerPage {
    pub items: Vec<DealerOut>,
    /// How many match the filter in the caller's scope.
    pub total: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedOut {
    pub dealer: DealerOut,
    /// Ids of dealers with the same licence number or the same name in the same city.
    pub duplicates: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactOut {
    pub id: i64,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub is_primary: bool,
}

impl From<ContactRow> for ContactOut {
    fn from(c: ContactRow) -> Self {
        ContactOut {
            id: c.id,
            name: c.name,
            title: c.title,
            phone: c.phone,
            email: c.email,
            is_primary: c.is_primary,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OwnerPeriodOut {
    pub owner_id: i64,
    pub owner_name: String,
    pub node_id: i64,
    pub valid_from: String,
    pub valid_to: Option<String>,
}

impl From<OwnerPeriodRow> for OwnerPeriodOut {
    fn from(o: OwnerPeriodRow) -> Self {
        OwnerPeriodOut {
            owner_id: o.owner_id,
            owner_name: o.owner_name,
            node_id: o.node_id,
            valid_from: o.valid_from,
            valid_to: o.valid_to,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TermChangeOut {
    /// credit_limit_fen, payment_term_days, price_list_id, slt_owner_id or owner_id
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub valid_from: String,
    pub changed_by: Option<i64>,
    pub approval_id: Option<i64>,
}

impl From<TermChangeRow> for TermChangeOut {
    fn from(t: TermChangeRow) -> Self {
        TermChangeOut {
            field: t.field,
            old_value: t.old_value,
            new_value: t.new_value,
            valid_from: t.valid_from,
            changed_by: t.changed_by,
            approval_id: t.approval_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackOut {
    pub id: i64,
    pub dealer_id: Option<i64>,
    pub node_id: i64,
    pub author_id: i64,
    pub author_name: String,
    /// competitor, price, complaint or other
    pub kind: String,
    pub body: String,
    /// µs since the epoch
    pub created_at: i64,
}

impl From<FeedbackRow> for FeedbackOut {
    fn from(f: FeedbackRow) -> Self {
        FeedbackOut {
            id: f.id,
            dealer_id: f.dealer_id,
            node_id: f.node_id,
            author_id: f.author_id,
            author_name: f.author_name,
            kind: f.kind,
            body: f.body,
            created_at: f.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DealerDetailOut {
    pub dealer: DealerOut,
    pub contacts: Vec<ContactOut>,
    /// Who owned the dealer when (past documents are attributed by these periods).
    pub owners: Vec<OwnerPeriodOut>,
    /// History of credit limit, payment term, price list and owner changes.
    pub terms: Vec<TermChangeOut>,
    pub feedback: Vec<FeedbackOut>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DealerQuery {
    /// Part of the code, name or city.
    pub q: Option<String>,
    pub status: Option<String>,
    pub tier: Option<String>,
    /// 1–1000, default 100.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// The descriptive fields (for documentation; the body is read as the use case's input).
#[derive(Debug, Deserialize, ToSchema)]
pub struct DetailsIn {
    pub name: String,
    /// A, B or C (default C)
    pub tier: Option<String>,
    pub licence_no: Option<String>,
    pub legal_representative: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub delivery_station: Option<String>,
    pub bank_name: Option<String>,
    pub bank_account: Option<String>,
    pub tax_no: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ContactIn {
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewDealerIn {
    pub code: String,
    #[serde(flatten)]
    pub details: DetailsIn,
    /// Area or city; field staff: their own unit (default).
    pub node_id: Option<i64>,
    /// The responsible KAM or rep; field staff: themselves (default).
    pub owner_id: Option<i64>,
    pub slt_owner_id: Option<i64>,
    pub price_list_id: Option<i64>,
    pub payment_term_days: Option<i64>,
    pub credit_limit_fen: Option<i64>,
    pub contacts: Option<Vec<ContactIn>>,
    /// Dealers that look the same (licence number, or name and city) are refused with 409
    /// `dealer.possible_duplicate` unless this is true.
    pub confirm_duplicate: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TransitionIn {
    /// prospect, evaluating, active, suspended or terminated
    pub status: String,
    pub reason: String,
    /// evaluating → active: a score 0–100 per criterion (licence_premises, location_fit,
    /// distribution_reach, credit_reputation, financial_strength, local_standing, willingness).
    pub scorecard: Option<BTreeMap<String, u32>>,
    /// → terminated: required.
    pub termination_report: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TermsIn {
    pub credit_limit_fen: Option<i64>,
    pub payment_term_days: Option<i64>,
    /// `0` removes the dealer's own list.
    pub price_list_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub node_id: Option<i64>,
    pub slt_owner_id: Option<i64>,
    /// `YYYY-MM-DD`, default today.
    pub valid_from: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FeedbackIn {
    /// competitor, price, complaint or other
    pub kind: String,
    pub body: String,
    /// Area feedback only: the unit (default: the author's unit).
    pub node_id: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedbackQuery {
    /// Only feedback at or below this unit.
    pub node_id: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PriceQuery {
    pub product_id: i64,
    /// `YYYY-MM-DD`
    pub date: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PriceOut {
    pub price_fen: i64,
    pub price_list_id: i64,
    pub price_list_code: String,
    /// `dealer` (own list) or `tier`
    pub source: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
}

impl From<PriceOn> for PriceOut {
    fn from(p: PriceOn) -> Self {
        PriceOut {
            price_fen: p.price_fen,
            price_list_id: p.price_list_id,
            price_list_code: p.price_list_code,
            source: p.source,
            valid_from: p.valid_from,
            valid_to: p.valid_to,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/dealers", tag = "dealers", params(DealerQuery),
    responses((status = 200, body = DealerPage), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<DealerQuery>,
) -> Result<Json<DealerPage>, ApiError> {
    let filter = DealerFilter {
        text: q.q,
        status: q.status,
        tier: q.tier,
        node_path: None,
        limit: q.limit.unwrap_or(100),
        offset: q.offset.unwrap_or(0),
    };
    let (rows, total) = dealers::list(&s.app, &a.actor, &filter)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(DealerPage {
        items: rows.into_iter().map(DealerOut::from).collect(),
        total,
    }))
}

#[utoipa::path(post, path = "/api/v1/dealers", tag = "dealers", request_body = NewDealerIn,
    responses((status = 201, body = CreatedOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    a: ApiActor,
    ApiJson(body): ApiJson<NewDealerInput>,
) -> Result<(StatusCode, Json<CreatedOut>), ApiError> {
    let created = dealers::create(&s.app, &a.actor, body)
        .await
        .map_err(|e| a.fail(e))?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedOut {
            dealer: created.dealer.into(),
            duplicates: created.duplicates,
        }),
    ))
}

#[utoipa::path(get, path = "/api/v1/dealers/{id}", tag = "dealers", params(("id" = i64, Path)),
    responses((status = 200, body = DealerDetailOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<DealerDetailOut>, ApiError> {
    let v = dealers::view(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(DealerDetailOut {
        dealer: v.dealer.into(),
        contacts: v.contacts.into_iter().map(Into::into).collect(),
        owners: v.owners.into_iter().map(Into::into).collect(),
        terms: v.terms.into_iter().map(Into::into).collect(),
        feedback: v.feedback.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(patch, path = "/api/v1/dealers/{id}", tag = "dealers", params(("id" = i64, Path)), request_body = DetailsIn,
    responses((status = 200, body = DealerOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DetailsInput>,
) -> Result<Json<DealerOut>, ApiError> {
    let row = dealers::update_details(&s.app, &a.actor, id, body)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(row.into()))
}

#[utoipa::path(post, path = "/api/v1/dealers/{id}/transition", tag = "dealers", params(("id" = i64, Path)), request_body = TransitionIn,
    responses((status = 200, body = DealerOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn transition(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TransitionInput>,
) -> Result<Json<DealerOut>, ApiError> {
    let row = dealers::transition(&s.app, &a.actor, id, body)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(row.into()))
}

/// Asks for a change of terms: answers 202 with the approval request; the change is applied
/// when the request is approved (`/api/v1/approvals/{id}/approve`).
#[utoipa::path(post, path = "/api/v1/dealers/{id}/terms", tag = "dealers", params(("id" = i64, Path)), request_body = TermsIn,
    responses((status = 202, body = super::orders::ApprovalSummaryOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn change_terms(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TermsInput>,
) -> Result<(StatusCode, Json<super::orders::ApprovalSummaryOut>), ApiError> {
    let row = dealers::change_terms(&s.app, &a.actor, id, body)
        .await
        .map_err(|e| a.fail(e))?;
    let out = super::orders::reshape(&row).map_err(|e| a.fail(e))?;
    Ok((StatusCode::ACCEPTED, Json(out)))
}

#[utoipa::path(post, path = "/api/v1/dealers/{id}/contacts", tag = "dealers", params(("id" = i64, Path)), request_body = ContactIn,
    responses((status = 201, body = ContactOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_contact(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ContactInput>,
) -> Result<(StatusCode, Json<ContactOut>), ApiError> {
    let row = dealers::add_contact(&s.app, &a.actor, id, body)
        .await
        .map_err(|e| a.fail(e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(post, path = "/api/v1/dealers/{id}/feedback", tag = "dealers", params(("id" = i64, Path)), request_body = FeedbackIn,
    responses((status = 201, body = FeedbackOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_feedback(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<FeedbackInput>,
) -> Result<(StatusCode, Json<FeedbackOut>), ApiError> {
    let row = dealers::add_feedback(&s.app, &a.actor, id, body)
        .await
        .map_err(|e| a.fail(e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(get, path = "/api/v1/dealers/{id}/price", tag = "dealers", params(("id" = i64, Path), PriceQuery),
    responses((status = 200, body = PriceOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn price(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PriceQuery>,
) -> Result<Json<PriceOut>, ApiError> {
    let p = salesos_app::catalogue::price_on(&s.app, &a.actor, id, q.product_id, &q.date)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(p.into()))
}

#[utoipa::path(get, path = "/api/v1/feedback", tag = "dealers", params(FeedbackQuery),
    responses((status = 200, body = [FeedbackOut]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn feedback(
    State(s): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<FeedbackQuery>,
) -> Result<Json<Vec<FeedbackOut>>, ApiError> {
    let rows = dealers::feedback(&s.app, &a.actor, q.node_id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/feedback", tag = "dealers", request_body = FeedbackIn,
    responses((status = 201, body = FeedbackOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn add_area_feedback(
    State(s): State<AppState>,
    a: ApiActor,
    ApiJson(body): ApiJson<FeedbackInput>,
) -> Result<(StatusCode, Json<FeedbackOut>), ApiError> {
    let row = dealers::add_area_feedback(&s.app, &a.actor, body)
        .await
        .map_err(|e| a.fail(e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ProposalOut {
    pub id: i64,
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    /// The month the job ran for (`YYYY-MM`).
    pub period: Option<String>,
    pub current_limit_fen: i64,
    pub proposed_limit_fen: Option<i64>,
    /// pending, approved, rejected, sent_back, cancelled
    pub status: String,
    pub approval_id: Option<i64>,
    pub created_at: i64,
    /// `{ period, history, proposal, params }`: everything the formula looked at and produced.
    #[schema(value_type = Object)]
    pub factors: serde_json::Value,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProposalQuery {
    /// `YYYY-MM`: only this month's proposals.
    pub period: Option<String>,
}

/// The latest suggested credit limits for dealers in scope, newest first.
#[utoipa::path(get, path = "/api/v1/credit-limit-proposals", tag = "dealers", params(ProposalQuery),
    responses((status = 200, body = [ProposalOut]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn credit_limit_proposals(
    State(s): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<ProposalQuery>,
) -> Result<Json<Vec<ProposalOut>>, ApiError> {
    let rows = salesos_app::credit_limits::list(&s.app, &a.actor, q.period.as_deref())
        .await
        .map_err(|e| a.fail(e))?;
    let out = super::orders::reshape(&rows).map_err(|e| a.fail(e))?;
    Ok(Json(out))
}
