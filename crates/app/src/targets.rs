//! Plans and targets (PAE): SMART targets, cascades down the periods and the organisation,
//! bottom-up submissions with the gap to the parent, versioned plans approved through the
//! approvals engine, the month's focus, and achievement read from the sales rollups.
//!
//! Achievement is attributed by the documents' own territory and owner (copied from the dealer
//! when each document was made), so a dealer changing hands mid-month splits that month's
//! figures between the old and the new owner.

use crate::audit::{record, snapshot};
use crate::{approvals, Actor, App, AppError};
use chrono::NaiveDate;
use salesos_domain::org::OrgPath;
use salesos_domain::roles::Capability;
use salesos_domain::targets::{
    self as rules, Achievement, Metric, PeriodKind, TargetInput, TargetOwner, TargetPeriod,
};
use salesos_domain::FieldError;
use salesos_store::rollups::{self, Column, Slice};
use salesos_store::targets::{
    self as store, FocusRow, NewTarget, PlanRow, TargetFilter, TargetRow,
};
use salesos_store::{org, people, Conn, WriteTx};
use serde::Serialize;

/// A new target as typed.
#[derive(Debug, Clone, Default)]
pub struct NewTargetInput {
    pub metric: Option<String>,
    pub amount: Option<i64>,
    pub owner_node: Option<i64>,
    pub owner_person: Option<i64>,
    pub period: Option<String>,
    pub parent_id: Option<i64>,
    pub plan_id: Option<i64>,
    pub product_line_id: Option<i64>,
    pub product_id: Option<i64>,
    pub note: Option<String>,
}

/// A target with its achievement so far.
#[derive(Debug, Clone, Serialize)]
pub struct TargetView {
    pub target: TargetRow,
    pub achievement: Achievement,
    /// False for metrics that are not measured (their actual shows as 0).
    pub measured: bool,
}

/// A target, its achievement, its children (each with achievement and place among them) and
/// the bottom-up picture: what the children submitted against this target.
#[derive(Debug, Clone, Serialize)]
pub struct TargetDetail {
    pub view: TargetView,
    pub children: Vec<RankedView>,
    /// Sum of the children's targets.
    pub children_total: i64,
    /// Sum of the children's bottom-up submissions (those that submitted).
    pub submitted_total: i64,
    /// submitted_total − target (negative: the bottom-up plan falls short).
    pub gap: i64,
    /// Whether the target can still change (not in a pending or approved plan).
    pub editable: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RankedView {
    pub view: TargetView,
    pub place: usize,
}

fn today(app: &App) -> NaiveDate {
    NaiveDate::parse_from_str(&app.today(), "%Y-%m-%d").unwrap_or_default()
}

fn period_of(t: &TargetRow) -> Result<TargetPeriod, AppError> {
    TargetPeriod::parse(&t.period)
        .ok_or_else(|| AppError::Internal(format!("target {} has a bad period", t.id)))
}

/// The rollup slice a target is measured on: its months, and its node's subtree (a unit's
/// target) or its person's documents (a person's target).
fn slice_of(t: &TargetRow, period: &TargetPeriod) -> Slice {
    let months = period.month_codes();
    Slice {
        from_month: months.first().cloned().unwrap_or_default(),
        to_month: months.last().cloned().unwrap_or_default(),
        within_path: if t.person_id.is_none() {
            Some(t.node_path.clone())
        } else {
            None
        },
        owner_id: t.person_id,
        product_id: t.product_id,
        product_line_id: t.product_line_id,
    }
}

/// Achievement of a target the caller may see. The sum is over the target's own territory or
/// person, which lies inside the caller's scope whenever the target does.
pub async fn measure(
    conn: &mut Conn,
    t: &TargetRow,
    today: NaiveDate,
) -> Result<TargetView, AppError> {
    let period = period_of(t)?;
    let metric = Metric::parse(&t.metric);
    let slice = slice_of(t, &period);
    let actual = match metric {
        // the two counts kept outside the sales rollups (migration 0009):
        // * visits: visits paid in the period's months, by the target's person (the visitor),
        //   or to dealers within the target's unit (the dealer's territory when visited);
        // * new active dealers: dealers whose first order that counts as sold (confirmed or
        //   later; earliest order date, then lowest id) falls in the period's months, credited
        //   to that order's own territory and owner — whoever owned the dealer when it first
        //   ordered. A cancelled first order hands the place to the dealer's next one.
        Some(Metric::Visits) => Some(salesos_store::visits::count_unscoped(conn, &slice).await?),
        Some(Metric::NewActiveDealers) => {
            Some(store::new_active_dealers_unscoped(conn, &slice).await?)
        }
        _ => match metric
            .and_then(Metric::rollup_column)
            .and_then(Column::named)
        {
            Some(c) => Some(rollups::total_unscoped(conn, c, &slice).await?),
            None => None,
        },
    };
    Ok(TargetView {
        achievement: rules::achievement(t.amount, actual.unwrap_or(0), &period, today),
        measured: actual.is_some(),
        target: t.clone(),
    })
}

fn locked(t: &TargetRow) -> bool {
    matches!(
        t.plan_status.as_deref(),
        Some("pending") | Some("approved") | Some("superseded")
    )
}

fn locked_error() -> AppError {
    AppError::Conflict(FieldError::general(
        "target.locked",
        "this target belongs to a plan under approval or approved: make a new version of the plan to change it",
    ))
}

async fn load(conn: &mut Conn, actor: &Actor, id: i64) -> Result<TargetRow, AppError> {
    store::get(conn, &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "target" })
}

/// Where a new target's owner sits: (node id, node path, node has no parent, person).
async fn resolve_owner(
    conn: &mut Conn,
    actor: &Actor,
    input: &NewTargetInput,
) -> Result<(i64, String, bool), AppError> {
    if let Some(node) = input.owner_node {
        let n = org::get(conn, &actor.scope, node)
            .await?
            .ok_or(AppError::NotFound { entity: "org_node" })?;
        return Ok((n.id, n.path.clone(), n.parent_id.is_none()));
    }
    if let Some(person) = input.owner_person {
        let p = people::get(conn, &actor.scope, person)
            .await?
            .ok_or(AppError::NotFound { entity: "person" })?;
        return match (p.node_id, p.node_path) {
            (Some(id), Some(path)) if p.active => Ok((id, path, false)),
            _ => Err(AppError::invalid(
                "target.owner_no_position",
                "owner",
                "this person holds no position, so a target cannot be attributed to them",
            )),
        };
    }
    // let the SMART rules report the missing owner
    Ok((0, String::new(), false))
}

/// Checks a new target and writes it, inside the caller's transaction.
async fn insert_checked(
    conn: &mut Conn,
    actor: &Actor,
    input: &NewTargetInput,
) -> Result<i64, AppError> {
    let (node_id, node_path, is_root) = resolve_owner(conn, actor, input).await?;
    let smart = rules::validate(
        &TargetInput {
            metric: input.metric.clone(),
            amount: input.amount,
            owner_node: input.owner_node,
            owner_person: input.owner_person,
            period: input.period.clone(),
            parent_id: input.parent_id,
        },
        is_root,
    )?;
    let mut plan_id = input.plan_id;
    if let Some(parent_id) = smart.parent_id {
        let parent = store::get_unscoped(conn, parent_id)
            .await?
            .ok_or(AppError::NotFound { entity: "target" })?;
        // the parent must be one the caller sees, or a target above the caller's own unit
        let mine = actor.node_path();
        let above_me = mine
            .as_ref()
            .is_some_and(|m| m.as_str().starts_with(&parent.node_path));
        let visible = actor.scope.admits(
            &OrgPath::parse(&parent.node_path)
                .unwrap_or_else(|| OrgPath::root(salesos_domain::NodeId(0))),
            parent.person_id.map(salesos_domain::PersonId),
        );
        if !(above_me || visible) {
            return Err(AppError::NotFound { entity: "target" });
        }
        if !node_path.starts_with(&parent.node_path) || parent.person_id.is_some() {
            return Err(AppError::invalid(
                "target.outside_parent",
                "parent_id",
                "a target contributes to a target of its own unit or a unit above it",
            ));
        }
        if parent.metric != smart.metric.code() {
            return Err(AppError::invalid(
                "target.metric_differs",
                "metric",
                "a target measures the same thing as the target it contributes to",
            ));
        }
        if !period_of(&parent)?.contains(&smart.period) {
            return Err(AppError::invalid(
                "target.period_outside_parent",
                "period",
                "a target's period lies within its parent's period",
            ));
        }
        if locked(&parent) {
            return Err(locked_error());
        }
        plan_id = plan_id.or(parent.plan_id);
    }
    if let Some(plan) = plan_id {
        let p = store::get_plan_unscoped(conn, plan)
            .await?
            .ok_or(AppError::NotFound { entity: "plan" })?;
        if p.status != "draft" && p.status != "rejected" {
            return Err(locked_error());
        }
    }
    let period = smart.period;
    let (start, end) = (period.start.to_string(), period.end.to_string());
    let code = period.code();
    let id = store::insert(
        conn,
        &NewTarget {
            plan_id,
            parent_id: smart.parent_id,
            metric: smart.metric.code(),
            product_line_id: input.product_line_id,
            product_id: input.product_id,
            node_id,
            node_path: &node_path,
            person_id: match smart.owner {
                TargetOwner::Person(p) => Some(p),
                TargetOwner::Node(_) => None,
            },
            period: &code,
            period_kind: period.kind.code(),
            period_start: &start,
            period_end: &end,
            amount: smart.amount,
            note: input
                .note
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty()),
            created_by: actor.person_id(),
        },
    )
    .await?;
    let after = store::get_unscoped(conn, id).await?;
    record(
        conn,
        actor,
        "target.create",
        "target",
        id,
        Some(&node_path),
        None,
        snapshot(&after),
    )
    .await?;
    Ok(id)
}

pub async fn create(
    app: &App,
    actor: &Actor,
    input: NewTargetInput,
) -> Result<TargetDetail, AppError> {
    actor.require(Capability::SetTargets)?;
    let mut tx = app.store.begin().await?;
    let id = insert_checked(tx.conn(), actor, &input).await?;
    tx.commit().await?;
    get(app, actor, id).await
}

pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &TargetFilter,
) -> Result<Vec<TargetView>, AppError> {
    actor.require(Capability::ViewTargets)?;
    let filter = checked_filter(filter)?;
    let mut conn = app.store.read().await?;
    let rows = store::list(&mut conn, &actor.scope, &filter).await?;
    let today = today(app);
    let mut out = Vec::with_capacity(rows.len());
    for t in &rows {
        out.push(measure(&mut conn, t, today).await?);
    }
    Ok(out)
}

/// The list's filter with its dates normalised; an unknown metric or period kind, or a malformed
/// day, is refused rather than silently matching nothing.
fn checked_filter(filter: &TargetFilter) -> Result<TargetFilter, AppError> {
    let blank = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    let metric = blank(&filter.metric);
    if let Some(m) = &metric {
        if Metric::parse(m).is_none() {
            return Err(AppError::invalid(
                "target.metric_unknown",
                "metric",
                "unknown metric",
            ));
        }
    }
    let period_kind = blank(&filter.period_kind);
    if let Some(k) = &period_kind {
        if PeriodKind::parse(k).is_none() {
            return Err(AppError::invalid(
                "target.period_kind_unknown",
                "period_kind",
                "a period kind is year, quarter or month",
            ));
        }
    }
    Ok(TargetFilter {
        from: crate::dates::parse_optional_day(filter.from.as_deref(), "from")?,
        to: crate::dates::parse_optional_day(filter.to.as_deref(), "to")?,
        metric,
        period_kind,
        ..filter.clone()
    })
}

async fn detail(conn: &mut Conn, t: TargetRow, today: NaiveDate) -> Result<TargetDetail, AppError> {
    let view = measure(conn, &t, today).await?;
    let kids = store::children_unscoped(conn, t.id).await?;
    let mut views = Vec::with_capacity(kids.len());
    for k in &kids {
        views.push(measure(conn, k, today).await?);
    }
    let scores: Vec<(usize, i64)> = views
        .iter()
        .enumerate()
        .map(|(i, v)| (i, v.achievement.percent_bp.unwrap_or(-1)))
        .collect();
    let mut places = vec![0; views.len()];
    for (i, _, place) in rules::rank(&scores) {
        places[i] = place;
    }
    let children_total = kids.iter().map(|k| k.amount).sum();
    let submitted_total: i64 = kids.iter().filter_map(|k| k.submitted_amount).sum();
    Ok(TargetDetail {
        editable: !locked(&t),
        gap: submitted_total - t.amount,
        children: views
            .into_iter()
            .zip(places)
            .map(|(view, place)| RankedView { view, place })
            .collect(),
        children_total,
        submitted_total,
        view,
    })
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<TargetDetail, AppError> {
    actor.require(Capability::ViewTargets)?;
    let mut conn = app.store.read().await?;
    let t = load(&mut conn, actor, id).await?;
    detail(&mut conn, t, today(app)).await
}

/// Changes a target's number (not in a locked plan).
pub async fn set_amount(
    app: &App,
    actor: &Actor,
    id: i64,
    amount: i64,
) -> Result<TargetDetail, AppError> {
    actor.require(Capability::SetTargets)?;
    if amount < 0 {
        return Err(AppError::invalid(
            "target.amount_negative",
            "amount",
            "a target cannot be negative",
        ));
    }
    let mut tx = app.store.begin().await?;
    let before = load(tx.conn(), actor, id).await?;
    if locked(&before) {
        return Err(locked_error());
    }
    store::set_amount(tx.conn(), id, amount).await?;
    let after = store::get_unscoped(tx.conn(), id).await?;
    record(
        tx.conn(),
        actor,
        "target.update",
        "target",
        id,
        Some(&before.node_path),
        snapshot(&before),
        snapshot(&after),
    )
    .await?;
    tx.commit().await?;
    get(app, actor, id).await
}

/// The owner's bottom-up figure for their target, shown against the parent with the gap.
pub async fn submit(
    app: &App,
    actor: &Actor,
    id: i64,
    amount: i64,
) -> Result<TargetDetail, AppError> {
    actor.require(Capability::SetTargets)?;
    if amount < 0 {
        return Err(AppError::invalid(
            "target.amount_negative",
            "amount",
            "a target cannot be negative",
        ));
    }
    let mut tx = app.store.begin().await?;
    let before = load(tx.conn(), actor, id).await?;
    store::set_submission(tx.conn(), id, amount, actor.person_id()).await?;
    let after = store::get_unscoped(tx.conn(), id).await?;
    record(
        tx.conn(),
        actor,
        "target.submit",
        "target",
        id,
        Some(&before.node_path),
        snapshot(&before),
        snapshot(&after),
    )
    .await?;
    tx.commit().await?;
    get(app, actor, id).await
}

// ---------------------------------------------------------------------------------------------
// Cascade

/// How to split a target: over its period (`quarters` or `months`) or down the organisation
/// (`children`: the units below its node, or the field staff at it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CascadeBy {
    Quarters,
    Months,
    Children,
}

impl CascadeBy {
    pub fn parse(code: &str) -> Option<CascadeBy> {
        match code {
            "quarters" => Some(CascadeBy::Quarters),
            "months" => Some(CascadeBy::Months),
            "children" => Some(CascadeBy::Children),
            _ => None,
        }
    }
}

/// One part of a proposed split.
#[derive(Debug, Clone, Serialize)]
pub struct ProposedPart {
    pub node_id: Option<i64>,
    pub person_id: Option<i64>,
    pub period: String,
    pub label_zh: String,
    pub label_en: String,
    pub weight: i64,
    pub amount: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CascadeProposal {
    pub target_id: i64,
    pub by: CascadeBy,
    /// `typed` (weights given), `last_year` (last year's actuals) or `equal` (no history).
    pub basis: &'static str,
    pub parts: Vec<ProposedPart>,
}

/// Proposes a split of a target; nothing is saved.
pub async fn propose_cascade(
    app: &App,
    actor: &Actor,
    id: i64,
    by: &str,
    weights: Option<Vec<i64>>,
) -> Result<CascadeProposal, AppError> {
    actor.require(Capability::SetTargets)?;
    let by = CascadeBy::parse(by).ok_or_else(|| {
        AppError::invalid(
            "cascade.by_unknown",
            "by",
            "split by quarters, months or children",
        )
    })?;
    let mut conn = app.store.read().await?;
    let t = load(&mut conn, actor, id).await?;
    let period = period_of(&t)?;
    let column = Metric::parse(&t.metric)
        .and_then(Metric::rollup_column)
        .and_then(Column::named);
    // the parts, each with the slice of last year's figures its weight comes from
    let mut parts: Vec<(ProposedPart, Option<Slice>)> = Vec::new();
    match by {
        CascadeBy::Quarters | CascadeBy::Months => {
            for child in period.children(by == CascadeBy::Months) {
                let last = child.a_year_earlier().map(|ly| slice_of(&t, &ly));
                parts.push((
                    ProposedPart {
                        node_id: if t.person_id.is_none() {
                            Some(t.node_id)
                        } else {
                            None
                        },
                        person_id: t.person_id,
                        period: child.code(),
                        label_zh: child.code(),
                        label_en: child.code(),
                        weight: 0,
                        amount: 0,
                    },
                    last,
                ));
            }
        }
        CascadeBy::Children => {
            if t.person_id.is_some() {
                return Err(AppError::invalid(
                    "cascade.no_parts",
                    "by",
                    "a person's target has no one below it",
                ));
            }
            let last_year = period.a_year_earlier();
            let nodes: Vec<_> = org::list(&mut conn, &actor.scope)
                .await?
                .into_iter()
                .filter(|n| n.parent_id == Some(t.node_id) && n.active)
                .collect();
            if nodes.is_empty() {
                for (pid, name) in store::field_staff_at_unscoped(&mut conn, t.node_id).await? {
                    let slice = last_year.map(|ly| Slice {
                        within_path: None,
                        owner_id: Some(pid),
                        ..slice_of(&t, &ly)
                    });
                    parts.push((
                        ProposedPart {
                            node_id: None,
                            person_id: Some(pid),
                            period: t.period.clone(),
                            label_zh: name.clone(),
                            label_en: name,
                            weight: 0,
                            amount: 0,
                        },
                        slice,
                    ));
                }
            } else {
                for n in nodes {
                    let slice = last_year.map(|ly| Slice {
                        within_path: Some(n.path.clone()),
                        ..slice_of(&t, &ly)
                    });
                    parts.push((
                        ProposedPart {
                            node_id: Some(n.id),
                            person_id: None,
                            period: t.period.clone(),
                            label_zh: n.name_zh.clone(),
                            label_en: n.name_en.clone(),
                            weight: 0,
                            amount: 0,
                        },
                        slice,
                    ));
                }
            }
        }
    }
    if parts.is_empty() {
        return Err(AppError::invalid(
            "cascade.no_parts",
            "by",
            "there is nothing to split the target into",
        ));
    }
    let (basis, weights) = match weights {
        Some(w) => {
            if w.len() != parts.len() {
                return Err(AppError::invalid(
                    "cascade.weights_count",
                    "weights",
                    format!(
                        "{} weights given, {} parts to split into",
                        w.len(),
                        parts.len()
                    ),
                ));
            }
            ("typed", w)
        }
        None => {
            let mut w = Vec::with_capacity(parts.len());
            for (_, slice) in &parts {
                w.push(match (column, slice) {
                    (Some(c), Some(s)) => rollups::total_unscoped(&mut conn, c, s).await?.max(0),
                    _ => 0,
                });
            }
            if w.iter().all(|v| *v == 0) {
                ("equal", vec![1; parts.len()])
            } else {
                ("last_year", w)
            }
        }
    };
    let amounts = rules::split(t.amount, &weights)?;
    Ok(CascadeProposal {
        target_id: t.id,
        by,
        basis,
        parts: parts
            .into_iter()
            .zip(weights.iter().zip(amounts))
            .map(|((mut p, _), (w, a))| {
                p.weight = *w;
                p.amount = a;
                p
            })
            .collect(),
    })
}

/// One part of a split as saved (possibly edited after the proposal).
#[derive(Debug, Clone)]
pub struct PartInput {
    pub node_id: Option<i64>,
    pub person_id: Option<i64>,
    pub period: String,
    pub amount: i64,
}

/// A proposed part saved as proposed.
impl From<ProposedPart> for PartInput {
    fn from(p: ProposedPart) -> Self {
        PartInput {
            node_id: p.node_id,
            person_id: p.person_id,
            period: p.period,
            amount: p.amount,
        }
    }
}

/// Saves a split: the parts must add up exactly to the target. Existing children with the same
/// owner and period are updated, others created — all in one transaction.
pub async fn save_cascade(
    app: &App,
    actor: &Actor,
    id: i64,
    parts: Vec<PartInput>,
) -> Result<TargetDetail, AppError> {
    actor.require(Capability::SetTargets)?;
    let mut tx: WriteTx = app.store.begin().await?;
    let t = load(tx.conn(), actor, id).await?;
    if locked(&t) {
        return Err(locked_error());
    }
    if parts.is_empty() {
        return Err(AppError::invalid(
            "cascade.no_parts",
            "parts",
            "there is nothing to save",
        ));
    }
    if parts.iter().any(|p| p.amount < 0) {
        return Err(AppError::invalid(
            "target.amount_negative",
            "parts",
            "a target cannot be negative",
        ));
    }
    let sum: i128 = parts.iter().map(|p| i128::from(p.amount)).sum();
    if sum != i128::from(t.amount) {
        return Err(AppError::invalid(
            "cascade.sum_mismatch",
            "parts",
            format!("the parts add up to {sum}, the target is {}", t.amount),
        ));
    }
    let existing = store::children_unscoped(tx.conn(), id).await?;
    for p in parts {
        // a part naming no owner keeps the target's own (a split over the period)
        let (node, person) = match (p.node_id, p.person_id) {
            (_, Some(person)) => (None, Some(person)),
            (Some(node), None) => (Some(node), None),
            (None, None) => match t.person_id {
                Some(person) => (None, Some(person)),
                None => (Some(t.node_id), None),
            },
        };
        let same = existing.iter().find(|e| {
            e.period == p.period
                && e.person_id == person
                && (person.is_some() || Some(e.node_id) == node)
        });
        match same {
            Some(e) => {
                store::set_amount(tx.conn(), e.id, p.amount).await?;
                let after = store::get_unscoped(tx.conn(), e.id).await?;
                record(
                    tx.conn(),
                    actor,
                    "target.update",
                    "target",
                    e.id,
                    Some(&e.node_path),
                    snapshot(e),
                    snapshot(&after),
                )
                .await?;
            }
            None => {
                insert_checked(
                    tx.conn(),
                    actor,
                    &NewTargetInput {
                        metric: Some(t.metric.clone()),
                        amount: Some(p.amount),
                        owner_node: node,
                        owner_person: person,
                        period: Some(p.period.clone()),
                        parent_id: Some(t.id),
                        plan_id: t.plan_id,
                        product_line_id: t.product_line_id,
                        product_id: t.product_id,
                        note: None,
                    },
                )
                .await?;
            }
        }
    }
    tx.commit().await?;
    get(app, actor, id).await
}

/// Peers of a target (the other children of its parent) ranked by achievement: the
/// leaderboard. Shows names, figures and places of peers outside the caller's own scope — a
/// deliberate, narrow disclosure that a leaderboard needs.
pub async fn leaderboard(
    conn: &mut Conn,
    t: &TargetRow,
    today: NaiveDate,
) -> Result<Vec<RankedView>, AppError> {
    let Some(parent) = t.parent_id else {
        return Ok(Vec::new());
    };
    let peers = store::children_unscoped(conn, parent).await?;
    let mut views = Vec::new();
    for p in peers.iter().filter(|p| p.period == t.period) {
        views.push(measure(conn, p, today).await?);
    }
    let scores: Vec<(usize, i64)> = views
        .iter()
        .enumerate()
        .map(|(i, v)| (i, v.achievement.percent_bp.unwrap_or(-1)))
        .collect();
    let ranked = rules::rank(&scores);
    Ok(ranked
        .into_iter()
        .map(|(i, _, place)| RankedView {
            view: views[i].clone(),
            place,
        })
        .collect())
}

/// The leaderboard around a target the caller may see (its peers under the same parent).
pub async fn peers(app: &App, actor: &Actor, id: i64) -> Result<Vec<RankedView>, AppError> {
    actor.require(Capability::ViewTargets)?;
    let mut conn = app.store.read().await?;
    let t = load(&mut conn, actor, id).await?;
    leaderboard(&mut conn, &t, today(app)).await
}

// ---------------------------------------------------------------------------------------------
// Plans: versions through the approvals engine

pub async fn list_plans(app: &App, actor: &Actor) -> Result<Vec<PlanRow>, AppError> {
    actor.require(Capability::ViewTargets)?;
    let mut conn = app.store.read().await?;
    Ok(store::list_plans(&mut conn, &actor.scope).await?)
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanDetail {
    pub plan: PlanRow,
    pub targets: Vec<TargetView>,
}

pub async fn get_plan(app: &App, actor: &Actor, id: i64) -> Result<PlanDetail, AppError> {
    actor.require(Capability::ViewTargets)?;
    let mut conn = app.store.read().await?;
    let plan = store::get_plan(&mut conn, &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "plan" })?;
    let today = today(app);
    let mut targets = Vec::new();
    for t in store::plan_targets_unscoped(&mut conn, id).await? {
        targets.push(measure(&mut conn, &t, today).await?);
    }
    Ok(PlanDetail { plan, targets })
}

/// A new plan (version 1, draft) for one metric and year from one unit down, with the unit's
/// own target for the whole period as its top.
pub async fn create_plan(
    app: &App,
    actor: &Actor,
    name: &str,
    top: NewTargetInput,
) -> Result<PlanDetail, AppError> {
    actor.require(Capability::SetTargets)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::invalid(
            "plan.name_invalid",
            "name",
            "give the plan a name of up to 200 characters",
        ));
    }
    let mut tx = app.store.begin().await?;
    let node_id = top.owner_node.ok_or_else(|| {
        AppError::invalid("target.owner_missing", "owner", "a plan starts at a unit")
    })?;
    let node = org::get(tx.conn(), &actor.scope, node_id)
        .await?
        .ok_or(AppError::NotFound { entity: "org_node" })?;
    let metric = top.metric.clone().unwrap_or_default();
    let period = top.period.clone().unwrap_or_default();
    let plan_id = store::insert_plan(
        tx.conn(),
        &store::NewPlan {
            name,
            metric: &metric,
            period: &period,
            node_id,
            node_path: &node.path,
            version: 1,
            previous_id: None,
            reason: None,
            created_by: actor.person_id(),
        },
    )
    .await?;
    insert_checked(
        tx.conn(),
        actor,
        &NewTargetInput {
            plan_id: Some(plan_id),
            ..top
        },
    )
    .await?;
    let after = store::get_plan_unscoped(tx.conn(), plan_id).await?;
    record(
        tx.conn(),
        actor,
        "plan.create",
        "plan",
        plan_id,
        Some(&node.path),
        None,
        snapshot(&after),
    )
    .await?;
    tx.commit().await?;
    get_plan(app, actor, plan_id).await
}

/// Sends a draft plan for approval; its targets are locked while it waits.
pub async fn submit_plan(app: &App, actor: &Actor, id: i64) -> Result<PlanDetail, AppError> {
    actor.require(Capability::SetTargets)?;
    let mut tx = app.store.begin().await?;
    let plan = store::get_plan(tx.conn(), &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "plan" })?;
    if plan.status != "draft" && plan.status != "rejected" {
        return Err(AppError::Conflict(FieldError::general(
            "plan.not_draft",
            "only a draft plan can be sent for approval",
        )));
    }
    let targets = store::plan_targets_unscoped(tx.conn(), id).await?;
    let top: i64 = targets
        .iter()
        .filter(|t| t.parent_id.is_none() || !targets.iter().any(|p| Some(p.id) == t.parent_id))
        .map(|t| t.amount)
        .sum();
    let summary = format!(
        "{} v{} ({}, {})",
        plan.name, plan.version, plan.metric, plan.period
    );
    let approval = approvals::open(
        tx.conn(),
        actor,
        approvals::Ask {
            doc_type: "target_plan",
            doc_id: id,
            dealer_id: None,
            node_path: &plan.node_path,
            owner_id: actor.person_id(),
            value: 0,
            amount_fen: top,
            summary: &summary,
        },
    )
    .await?;
    store::set_plan_status(tx.conn(), id, "pending", Some(approval)).await?;
    let after = store::get_plan_unscoped(tx.conn(), id).await?;
    record(
        tx.conn(),
        actor,
        "plan.submit",
        "plan",
        id,
        Some(&plan.node_path),
        snapshot(&plan),
        snapshot(&after),
    )
    .await?;
    tx.commit().await?;
    get_plan(app, actor, id).await
}

/// The approvals engine's final decision on a plan: approved locks it (and supersedes the
/// version it replaces); rejected or sent back returns it to draft.
pub async fn plan_decided(
    conn: &mut Conn,
    actor: &Actor,
    plan_id: i64,
    outcome: &str,
) -> Result<(), AppError> {
    let plan = store::get_plan_unscoped(conn, plan_id)
        .await?
        .ok_or(AppError::NotFound { entity: "plan" })?;
    let status = if outcome == "approved" {
        "approved"
    } else {
        "draft"
    };
    store::set_plan_status(conn, plan_id, status, None).await?;
    if status == "approved" {
        if let Some(prev) = plan.previous_id {
            store::set_plan_status(conn, prev, "superseded", None).await?;
        }
    }
    let after = store::get_plan_unscoped(conn, plan_id).await?;
    record(
        conn,
        actor,
        "plan.decided",
        "plan",
        plan_id,
        Some(&plan.node_path),
        snapshot(&plan),
        snapshot(&after),
    )
    .await?;
    Ok(())
}

/// A change to an approved plan: a new draft version (n + 1) with a reason, its targets copied.
pub async fn new_version(
    app: &App,
    actor: &Actor,
    id: i64,
    reason: &str,
) -> Result<PlanDetail, AppError> {
    actor.require(Capability::SetTargets)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid(
            "plan.reason_required",
            "reason",
            "say why the approved plan changes",
        ));
    }
    let mut tx = app.store.begin().await?;
    let plan = store::get_plan(tx.conn(), &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "plan" })?;
    if plan.status != "approved" {
        return Err(AppError::Conflict(FieldError::general(
            "plan.not_approved",
            "only an approved plan gets a new version; a draft can be edited as it is",
        )));
    }
    let new_id = store::insert_plan(
        tx.conn(),
        &store::NewPlan {
            name: &plan.name,
            metric: &plan.metric,
            period: &plan.period,
            node_id: plan.node_id,
            node_path: &plan.node_path,
            version: plan.version + 1,
            previous_id: Some(plan.id),
            reason: Some(reason),
            created_by: actor.person_id(),
        },
    )
    .await?;
    // parents come before children, so each copy's parent is already mapped
    let mut mapped: Vec<(i64, i64)> = Vec::new();
    for t in store::plan_targets_unscoped(tx.conn(), id).await? {
        let parent = t.parent_id.map(|p| {
            mapped
                .iter()
                .find(|(old, _)| *old == p)
                .map_or(p, |(_, new)| *new)
        });
        let copy = store::insert(
            tx.conn(),
            &NewTarget {
                plan_id: Some(new_id),
                parent_id: parent,
                metric: &t.metric,
                product_line_id: t.product_line_id,
                product_id: t.product_id,
                node_id: t.node_id,
                node_path: &t.node_path,
                person_id: t.person_id,
                period: &t.period,
                period_kind: &t.period_kind,
                period_start: &t.period_start,
                period_end: &t.period_end,
                amount: t.amount,
                note: t.note.as_deref(),
                created_by: actor.person_id(),
            },
        )
        .await?;
        mapped.push((t.id, copy));
    }
    let after = store::get_plan_unscoped(tx.conn(), new_id).await?;
    record(
        tx.conn(),
        actor,
        "plan.new_version",
        "plan",
        new_id,
        Some(&plan.node_path),
        snapshot(&plan),
        snapshot(&after),
    )
    .await?;
    tx.commit().await?;
    get_plan(app, actor, new_id).await
}

// ---------------------------------------------------------------------------------------------
// The month's focus

#[derive(Debug, Clone, Default)]
pub struct FocusItemInput {
    pub title: String,
    pub detail: Option<String>,
    /// (market node, goal)
    pub goals: Vec<(i64, String)>,
}

fn parse_month(month: &str) -> Result<String, AppError> {
    match TargetPeriod::parse(month) {
        Some(p) if p.kind == PeriodKind::Month => Ok(p.code()),
        _ => Err(AppError::invalid(
            "focus.month_invalid",
            "month",
            "a month looks like 2026-05",
        )),
    }
}

/// Publishes the month's focus: one main priority and up to two secondary ones, each with
/// per-market goals. Replaces what was published for that month before.
pub async fn publish_focus(
    app: &App,
    actor: &Actor,
    month: &str,
    items: Vec<FocusItemInput>,
) -> Result<Vec<FocusRow>, AppError> {
    actor.require(Capability::PublishFocus)?;
    let month = parse_month(month)?;
    if items.is_empty() || items.len() > 3 {
        return Err(AppError::invalid(
            "focus.items_count",
            "items",
            "publish one main priority and up to two secondary ones",
        ));
    }
    let mut clean = Vec::with_capacity(items.len());
    let mut tx = app.store.begin().await?;
    for item in items {
        let title = item.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(AppError::invalid(
                "focus.title_invalid",
                "title",
                "each priority needs a title of up to 200 characters",
            ));
        }
        let mut goals = Vec::new();
        for (node, goal) in item.goals {
            org::get(tx.conn(), &actor.scope, node)
                .await?
                .ok_or(AppError::NotFound { entity: "org_node" })?;
            let goal = goal.trim().to_string();
            if goal.is_empty() || goal.chars().count() > 500 {
                return Err(AppError::invalid(
                    "focus.goal_invalid",
                    "goals",
                    "each market goal is 1 to 500 characters",
                ));
            }
            goals.push((node, goal));
        }
        let detail = item
            .detail
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty());
        clean.push(store::FocusItem {
            title,
            detail,
            goals,
        });
    }
    let before = store::focus(tx.conn(), &month).await?;
    store::replace_focus(tx.conn(), &month, &clean, actor.person_id()).await?;
    let after = store::focus(tx.conn(), &month).await?;
    let root = actor.node.as_ref().map(|n| n.path.clone());
    let id = after.first().map_or(0, |f| f.id);
    record(
        tx.conn(),
        actor,
        "focus.publish",
        "focus",
        id,
        root.as_deref(),
        snapshot(&before),
        snapshot(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// The month's focus; everyone signed in sees it.
pub async fn focus(app: &App, month: &str) -> Result<Vec<FocusRow>, AppError> {
    let month = parse_month(month)?;
    let mut conn = app.store.read().await?;
    Ok(store::focus(&mut conn, &month).await?)
}

pub use store::TargetFilter as Filter;
