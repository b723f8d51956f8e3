//! `/api/v1/targets`, `/api/v1/plans`, `/api/v1/focus` and `/api/v1/dashboard`: SMART targets
//! with achievement, cascades, bottom-up submissions, versioned plans, the month's focus and the
//! signed-in person's scoreboard.

use super::{ApiJson, ApiPath, ApiQuery};
use crate::problem::{ApiError, Problem};
use crate::session::ApiActor;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use salesos_app::dashboards;
use salesos_app::targets::{
    self, FocusItemInput, NewTargetInput, PartInput, PlanDetail, RankedView, TargetDetail,
    TargetView,
};
use salesos_store::targets::{FocusRow, PlanRow, TargetFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A target with its achievement so far.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TargetOut {
    pub id: i64,
    pub plan_id: Option<i64>,
    pub parent_id: Option<i64>,
    /// ordered_amount, shipped_amount, invoiced_amount, collected_amount, ordered_volume,
    /// shipped_volume, new_active_dealers, visits
    pub metric: String,
    pub product_line_id: Option<i64>,
    pub product_id: Option<i64>,
    pub node_id: i64,
    pub node_name_zh: String,
    pub node_name_en: String,
    /// Set when the target belongs to a person rather than a unit.
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    /// `2026`, `2026-Q2` or `2026-05`
    pub period: String,
    pub period_start: String,
    pub period_end: String,
    /// In the metric's unit: fen for amounts, base units for volumes, a count otherwise.
    pub amount: i64,
    /// The owner's bottom-up figure, if submitted.
    pub submitted_amount: Option<i64>,
    pub plan_status: Option<String>,
    pub actual: i64,
    /// actual − amount
    pub variance: i64,
    /// actual / amount in basis points (10000 = 100%); absent for a zero target.
    pub percent_bp: Option<i64>,
    /// The actual extrapolated to the period end at the pace so far.
    pub projection: i64,
    /// False for metrics not yet measured from the ledgers (actual shows 0).
    pub measured: bool,
}

impl From<&TargetView> for TargetOut {
    fn from(v: &TargetView) -> Self {
        let t = &v.target;
        let a = &v.achievement;
        TargetOut {
            id: t.id,
            plan_id: t.plan_id,
            parent_id: t.parent_id,
            metric: t.metric.clone(),
            product_line_id: t.product_line_id,
            product_id: t.product_id,
            node_id: t.node_id,
            node_name_zh: t.node_name_zh.clone(),
            node_name_en: t.node_name_en.clone(),
            person_id: t.person_id,
            person_name: t.person_name.clone(),
            period: t.period.clone(),
            period_start: t.period_start.clone(),
            period_end: t.period_end.clone(),
            amount: t.amount,
            submitted_amount: t.submitted_amount,
            plan_status: t.plan_status.clone(),
            actual: a.actual,
            variance: a.variance,
            percent_bp: a.percent_bp,
            projection: a.projection,
            measured: v.measured,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RankedOut {
    pub target: TargetOut,
    /// Place among peers by achievement (1 = best; ties share a place).
    pub place: usize,
}

impl From<&RankedView> for RankedOut {
    fn from(r: &RankedView) -> Self {
        RankedOut {
            target: (&r.view).into(),
            place: r.place,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TargetDetailOut {
    pub target: TargetOut,
    /// The targets it was split into, each with its place among them.
    pub children: Vec<RankedOut>,
    pub children_total: i64,
    /// What the children submitted bottom-up, and the gap to this target (negative: short).
    pub submitted_total: i64,
    pub gap: i64,
    /// False while the target's plan is under approval or approved.
    pub editable: bool,
}

impl From<&TargetDetail> for TargetDetailOut {
    fn from(d: &TargetDetail) -> Self {
        TargetDetailOut {
            target: (&d.view).into(),
            children: d.children.iter().map(RankedOut::from).collect(),
            children_total: d.children_total,
            submitted_total: d.submitted_total,
            gap: d.gap,
            editable: d.editable,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TargetQuery {
    /// Targets whose period overlaps `[from, to]` (`YYYY-MM-DD`).
    pub from: Option<String>,
    pub to: Option<String>,
    pub plan_id: Option<i64>,
    pub metric: Option<String>,
    /// year, quarter or month
    pub period_kind: Option<String>,
    /// Only targets owned by this organisation node itself.
    pub owner_node_id: Option<i64>,
    /// Only targets owned by this person.
    pub owner_person_id: Option<i64>,
    /// At most this many targets (1–1000, default 1000) …
    pub limit: Option<i64>,
    /// … after skipping this many.
    pub offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/targets", tag = "targets", params(TargetQuery),
    responses((status = 200, body = [TargetOut]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<TargetQuery>,
) -> Result<Json<Vec<TargetOut>>, ApiError> {
    let filter = TargetFilter {
        from: q.from,
        to: q.to,
        plan_id: q.plan_id,
        metric: q.metric,
        period_kind: q.period_kind,
        owner_node: q.owner_node_id,
        owner_person: q.owner_person_id,
        limit: q.limit,
        offset: q.offset.unwrap_or(0),
    };
    let rows = targets::list(&s.app, &a.actor, &filter)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(rows.iter().map(TargetOut::from).collect()))
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct NewTargetIn {
    pub metric: Option<String>,
    pub amount: Option<i64>,
    /// The owning unit, or …
    pub owner_node: Option<i64>,
    /// … the owning person (one of the two).
    pub owner_person: Option<i64>,
    /// `2026`, `2026-Q2` or `2026-05`
    pub period: Option<String>,
    /// Required below the company level.
    pub parent_id: Option<i64>,
    pub product_line_id: Option<i64>,
    pub product_id: Option<i64>,
    pub note: Option<String>,
}

impl From<NewTargetIn> for NewTargetInput {
    fn from(b: NewTargetIn) -> Self {
        NewTargetInput {
            metric: b.metric,
            amount: b.amount,
            owner_node: b.owner_node,
            owner_person: b.owner_person,
            period: b.period,
            parent_id: b.parent_id,
            plan_id: None,
            product_line_id: b.product_line_id,
            product_id: b.product_id,
            note: b.note,
        }
    }
}

/// Creates a SMART target: a metric, a number, an owner, a period with an end and (below the
/// company level) the parent target it contributes to.
#[utoipa::path(post, path = "/api/v1/targets", tag = "targets", request_body = NewTargetIn,
    responses((status = 201, body = TargetDetailOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    a: ApiActor,
    ApiJson(body): ApiJson<NewTargetIn>,
) -> Result<(StatusCode, Json<TargetDetailOut>), ApiError> {
    let d = targets::create(&s.app, &a.actor, body.into())
        .await
        .map_err(|e| a.fail(e))?;
    Ok((StatusCode::CREATED, Json((&d).into())))
}

#[utoipa::path(get, path = "/api/v1/targets/{id}", tag = "targets", params(("id" = i64, Path)),
    responses((status = 200, body = TargetDetailOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TargetDetailOut>, ApiError> {
    let d = targets::get(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json((&d).into()))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AmountIn {
    pub amount: i64,
}

/// Changes a target's number (refused while its plan is under approval or approved).
#[utoipa::path(patch, path = "/api/v1/targets/{id}", tag = "targets", params(("id" = i64, Path)), request_body = AmountIn,
    responses((status = 200, body = TargetDetailOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AmountIn>,
) -> Result<Json<TargetDetailOut>, ApiError> {
    let d = targets::set_amount(&s.app, &a.actor, id, body.amount)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json((&d).into()))
}

/// The owner's bottom-up figure for the target, shown against its parent with the gap.
#[utoipa::path(post, path = "/api/v1/targets/{id}/submission", tag = "targets", params(("id" = i64, Path)), request_body = AmountIn,
    responses((status = 200, body = TargetDetailOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn submit(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AmountIn>,
) -> Result<Json<TargetDetailOut>, ApiError> {
    let d = targets::submit(&s.app, &a.actor, id, body.amount)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json((&d).into()))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProposalIn {
    /// quarters, months or children
    pub by: String,
    /// Typed weights, one per part (any scale; normalised to their sum). Absent: last year's
    /// actuals, or equal parts when there are none.
    pub weights: Option<Vec<i64>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PartOut {
    pub node_id: Option<i64>,
    pub person_id: Option<i64>,
    pub period: String,
    pub label_zh: String,
    pub label_en: String,
    pub weight: i64,
    pub amount: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProposalOut {
    pub target_id: i64,
    pub by: String,
    /// typed, last_year or equal
    pub basis: String,
    /// The parts always add up exactly to the target (largest-remainder rounding).
    pub parts: Vec<PartOut>,
}

/// Proposes a split of the target over its period or down the organisation; nothing is saved.
#[utoipa::path(post, path = "/api/v1/targets/{id}/cascade-proposal", tag = "targets", params(("id" = i64, Path)), request_body = ProposalIn,
    responses((status = 200, body = ProposalOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn propose(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ProposalIn>,
) -> Result<Json<ProposalOut>, ApiError> {
    let p = targets::propose_cascade(&s.app, &a.actor, id, &body.by, body.weights)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(ProposalOut {
        target_id: p.target_id,
        by: serde_json::to_value(p.by)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        basis: p.basis.to_string(),
        parts: p
            .parts
            .into_iter()
            .map(|x| PartOut {
                node_id: x.node_id,
                person_id: x.person_id,
                period: x.period,
                label_zh: x.label_zh,
                label_en: x.label_en,
                weight: x.weight,
                amount: x.amount,
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PartIn {
    /// The unit, or the person, a part belongs to; neither: the target's own owner (a split
    /// over the period).
    pub node_id: Option<i64>,
    pub person_id: Option<i64>,
    pub period: String,
    pub amount: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CascadeIn {
    pub parts: Vec<PartIn>,
}

/// Saves a split (as proposed or edited): the parts must add up exactly to the target.
#[utoipa::path(post, path = "/api/v1/targets/{id}/cascade", tag = "targets", params(("id" = i64, Path)), request_body = CascadeIn,
    responses((status = 200, body = TargetDetailOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn cascade(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CascadeIn>,
) -> Result<Json<TargetDetailOut>, ApiError> {
    let parts = body
        .parts
        .into_iter()
        .map(|p| PartInput {
            node_id: p.node_id,
            person_id: p.person_id,
            period: p.period,
            amount: p.amount,
        })
        .collect();
    let d = targets::save_cascade(&s.app, &a.actor, id, parts)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json((&d).into()))
}

// ---------------------------------------------------------------------------------------------
// Plans

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlanOut {
    pub id: i64,
    pub name: String,
    pub metric: String,
    pub period: String,
    pub node_id: i64,
    pub version: i64,
    pub previous_id: Option<i64>,
    /// Why this version replaced the previous one.
    pub reason: Option<String>,
    /// draft, pending, approved, superseded
    pub status: String,
    pub approval_id: Option<i64>,
}

impl From<&PlanRow> for PlanOut {
    fn from(p: &PlanRow) -> Self {
        PlanOut {
            id: p.id,
            name: p.name.clone(),
            metric: p.metric.clone(),
            period: p.period.clone(),
            node_id: p.node_id,
            version: p.version,
            previous_id: p.previous_id,
            reason: p.reason.clone(),
            status: p.status.clone(),
            approval_id: p.approval_id,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlanDetailOut {
    pub plan: PlanOut,
    pub targets: Vec<TargetOut>,
}

impl From<&PlanDetail> for PlanDetailOut {
    fn from(d: &PlanDetail) -> Self {
        PlanDetailOut {
            plan: (&d.plan).into(),
            targets: d.targets.iter().map(TargetOut::from).collect(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/plans", tag = "targets",
    responses((status = 200, body = [PlanOut]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_plans(
    State(s): State<AppState>,
    a: ApiActor,
) -> Result<Json<Vec<PlanOut>>, ApiError> {
    let rows = targets::list_plans(&s.app, &a.actor)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(rows.iter().map(PlanOut::from).collect()))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewPlanIn {
    pub name: String,
    /// The plan's top target (a unit's target for the whole period).
    pub top: NewTargetIn,
}

/// A new plan (version 1, draft) with its top target.
#[utoipa::path(post, path = "/api/v1/plans", tag = "targets", request_body = NewPlanIn,
    responses((status = 201, body = PlanDetailOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_plan(
    State(s): State<AppState>,
    a: ApiActor,
    ApiJson(body): ApiJson<NewPlanIn>,
) -> Result<(StatusCode, Json<PlanDetailOut>), ApiError> {
    let d = targets::create_plan(&s.app, &a.actor, &body.name, body.top.into())
        .await
        .map_err(|e| a.fail(e))?;
    Ok((StatusCode::CREATED, Json((&d).into())))
}

#[utoipa::path(get, path = "/api/v1/plans/{id}", tag = "targets", params(("id" = i64, Path)),
    responses((status = 200, body = PlanDetailOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_plan(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PlanDetailOut>, ApiError> {
    let d = targets::get_plan(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json((&d).into()))
}

/// Sends a draft plan for approval (the approvals engine); its targets lock while it waits.
#[utoipa::path(post, path = "/api/v1/plans/{id}/submit", tag = "targets", params(("id" = i64, Path)),
    responses((status = 200, body = PlanDetailOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn submit_plan(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PlanDetailOut>, ApiError> {
    let d = targets::submit_plan(&s.app, &a.actor, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json((&d).into()))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReasonIn {
    pub reason: String,
}

/// A change to an approved plan: a new draft version with a reason, its targets copied.
#[utoipa::path(post, path = "/api/v1/plans/{id}/versions", tag = "targets", params(("id" = i64, Path)), request_body = ReasonIn,
    responses((status = 201, body = PlanDetailOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn new_version(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReasonIn>,
) -> Result<(StatusCode, Json<PlanDetailOut>), ApiError> {
    let d = targets::new_version(&s.app, &a.actor, id, &body.reason)
        .await
        .map_err(|e| a.fail(e))?;
    Ok((StatusCode::CREATED, Json((&d).into())))
}

// ---------------------------------------------------------------------------------------------
// The month's focus and the dashboard

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FocusGoalIo {
    pub node_id: i64,
    pub goal: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FocusItemIn {
    pub title: String,
    pub detail: Option<String>,
    #[serde(default)]
    pub goals: Vec<FocusGoalIo>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FocusIn {
    /// `YYYY-MM`
    pub month: String,
    /// The main priority first, then up to two secondary ones.
    pub items: Vec<FocusItemIn>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FocusOut {
    pub month: String,
    /// 1 = the main priority
    pub rank: i64,
    pub title: String,
    pub detail: Option<String>,
    pub goals: Vec<FocusGoalIo>,
}

fn focus_out(rows: &[FocusRow]) -> Vec<FocusOut> {
    rows.iter()
        .map(|f| FocusOut {
            month: f.month.clone(),
            rank: f.rank,
            title: f.title.clone(),
            detail: f.detail.clone(),
            goals: f
                .goals
                .iter()
                .map(|g| FocusGoalIo {
                    node_id: g.node_id,
                    goal: g.goal.clone(),
                })
                .collect(),
        })
        .collect()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FocusQuery {
    /// `YYYY-MM`; default this month.
    pub month: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/focus", tag = "targets", params(FocusQuery),
    responses((status = 200, body = [FocusOut]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn focus(
    State(s): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<FocusQuery>,
) -> Result<Json<Vec<FocusOut>>, ApiError> {
    a.actor
        .require(salesos_domain::roles::Capability::ViewTargets)
        .map_err(|e| a.fail(e))?;
    let month = q
        .month
        .unwrap_or_else(|| s.app.today().get(..7).unwrap_or_default().to_string());
    let rows = targets::focus(&s.app, &month)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(focus_out(&rows)))
}

/// Publishes the month's focus (replacing what was published for that month).
#[utoipa::path(post, path = "/api/v1/focus", tag = "targets", request_body = FocusIn,
    responses((status = 200, body = [FocusOut]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn publish_focus(
    State(s): State<AppState>,
    a: ApiActor,
    ApiJson(body): ApiJson<FocusIn>,
) -> Result<Json<Vec<FocusOut>>, ApiError> {
    let items = body
        .items
        .into_iter()
        .map(|i| FocusItemInput {
            title: i.title,
            detail: i.detail,
            goals: i.goals.into_iter().map(|g| (g.node_id, g.goal)).collect(),
        })
        .collect();
    let rows = targets::publish_focus(&s.app, &a.actor, &body.month, items)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(focus_out(&rows)))
}

/// The signed-in person's scoreboard (what their home page shows): targets and achievement,
/// the trend, units below, leaderboard, holds, aging and dealers needing action.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "targets",
    responses((status = 200, body = Object), (status = 401, body = Problem)))]
pub async fn dashboard(
    State(s): State<AppState>,
    a: ApiActor,
) -> Result<Json<serde_json::Value>, ApiError> {
    let home = dashboards::home(&s.app, &a.actor)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(serde_json::to_value(&home).unwrap_or_default()))
}
