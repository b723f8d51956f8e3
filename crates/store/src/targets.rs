//! Targets, plans (versioned, approved through the approvals engine) and the month's focus.
//!
//! A target sits at a `node_path` (its owner node, or its owner person's node) and may belong to
//! a person (`person_id`): managers see the targets in their subtree, field staff the targets
//! they own.

use crate::sql::Sql;
use crate::{now_micros, Conn, Scope, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, Serialize)]
pub struct TargetRow {
    pub id: i64,
    pub plan_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub metric: String,
    pub product_line_id: Option<i64>,
    pub product_id: Option<i64>,
    pub node_id: i64,
    pub node_path: String,
    pub node_kind: String,
    pub node_name_zh: String,
    pub node_name_en: String,
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    pub period: String,
    pub period_kind: String,
    pub period_start: String,
    pub period_end: String,
    pub amount: i64,
    pub submitted_amount: Option<i64>,
    pub note: Option<String>,
    /// The plan's status when the target belongs to one (`approved` locks it).
    pub plan_status: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const TARGET: &str = "SELECT t.id, t.plan_id, t.parent_id, t.metric, t.product_line_id, t.product_id, t.node_id, t.node_path, \
     n.kind AS node_kind, n.name_zh AS node_name_zh, n.name_en AS node_name_en, t.person_id, p.display_name AS person_name, \
     t.period, t.period_kind, t.period_start, t.period_end, t.amount, t.submitted_amount, t.note, pl.status AS plan_status, \
     t.created_at, t.updated_at \
     FROM targets t JOIN org_nodes n ON n.id = t.node_id LEFT JOIN people p ON p.id = t.person_id \
     LEFT JOIN target_plans pl ON pl.id = t.plan_id WHERE 1 = 1";

fn target_of(r: &AnyRow) -> Result<TargetRow, sqlx::Error> {
    Ok(TargetRow {
        id: r.try_get("id")?,
        plan_id: r.try_get("plan_id")?,
        parent_id: r.try_get("parent_id")?,
        metric: r.try_get("metric")?,
        product_line_id: r.try_get("product_line_id")?,
        product_id: r.try_get("product_id")?,
        node_id: r.try_get("node_id")?,
        node_path: r.try_get("node_path")?,
        node_kind: r.try_get("node_kind")?,
        node_name_zh: r.try_get("node_name_zh")?,
        node_name_en: r.try_get("node_name_en")?,
        person_id: r.try_get("person_id")?,
        person_name: r.try_get("person_name")?,
        period: r.try_get("period")?,
        period_kind: r.try_get("period_kind")?,
        period_start: r.try_get("period_start")?,
        period_end: r.try_get("period_end")?,
        amount: r.try_get("amount")?,
        submitted_amount: r.try_get("submitted_amount")?,
        note: r.try_get("note")?,
        plan_status: r.try_get("plan_status")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

async fn targets(sql: &Sql, conn: &mut Conn) -> Result<Vec<TargetRow>, StoreError> {
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(target_of)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

pub struct NewTarget<'a> {
    pub plan_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub metric: &'a str,
    pub product_line_id: Option<i64>,
    pub product_id: Option<i64>,
    pub node_id: i64,
    pub node_path: &'a str,
    pub person_id: Option<i64>,
    pub period: &'a str,
    pub period_kind: &'a str,
    pub period_start: &'a str,
    pub period_end: &'a str,
    pub amount: i64,
    pub note: Option<&'a str>,
    pub created_by: Option<i64>,
}

pub async fn insert(conn: &mut Conn, n: &NewTarget<'_>) -> Result<i64, StoreError> {
    let now = now_micros();
    let mut sql = Sql::new(
        "INSERT INTO targets (plan_id, parent_id, metric, product_line_id, product_id, node_id, node_path, person_id, period, period_kind, period_start, period_end, amount, note, created_by, created_at, updated_at) VALUES (",
    );
    sql.bind(n.plan_id)
        .push(", ")
        .bind(n.parent_id)
        .push(", ")
        .bind(n.metric)
        .push(", ")
        .bind(n.product_line_id)
        .push(", ")
        .bind(n.product_id)
        .push(", ")
        .bind(n.node_id)
        .push(", ")
        .bind(n.node_path)
        .push(", ")
        .bind(n.person_id)
        .push(", ")
        .bind(n.period)
        .push(", ")
        .bind(n.period_kind)
        .push(", ")
        .bind(n.period_start)
        .push(", ")
        .bind(n.period_end)
        .push(", ")
        .bind(n.amount)
        .push(", ")
        .bind(n.note)
        .push(", ")
        .bind(n.created_by)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

/// A target in the person's scope.
pub async fn get(conn: &mut Conn, scope: &Scope, id: i64) -> Result<Option<TargetRow>, StoreError> {
    let mut sql = Sql::new(TARGET);
    sql.push(" AND t.id = ").bind(id);
    sql.scope(scope, "t.node_path", "t.person_id");
    sql.fetch_optional_as(conn, target_of).await
}

pub async fn get_unscoped(conn: &mut Conn, id: i64) -> Result<Option<TargetRow>, StoreError> {
    let mut sql = Sql::new(TARGET);
    sql.push(" AND t.id = ").bind(id);
    sql.fetch_optional_as(conn, target_of).await
}

#[derive(Debug, Clone, Default)]
pub struct TargetFilter {
    /// Targets whose period overlaps `[from, to]` (`YYYY-MM-DD`).
    pub from: Option<String>,
    pub to: Option<String>,
    pub plan_id: Option<i64>,
    pub metric: Option<String>,
    pub period_kind: Option<String>,
    /// Targets owned by this organisation node itself (not by a person in it).
    pub owner_node: Option<i64>,
    /// Targets owned by this person.
    pub owner_person: Option<i64>,
    /// At most this many (default and most: `TARGET_LIST_MAX`), from this one on.
    pub limit: Option<i64>,
    pub offset: i64,
}

/// The longest page of the targets list.
pub const TARGET_LIST_MAX: i64 = 1000;

/// Targets in the person's scope, broadest period and highest node first.
pub async fn list(
    conn: &mut Conn,
    scope: &Scope,
    f: &TargetFilter,
) -> Result<Vec<TargetRow>, StoreError> {
    let mut sql = Sql::new(TARGET);
    if let Some(from) = &f.from {
        sql.push(" AND t.period_end >= ").bind(from);
    }
    if let Some(to) = &f.to {
        sql.push(" AND t.period_start <= ").bind(to);
    }
    if let Some(plan) = f.plan_id {
        sql.push(" AND t.plan_id = ").bind(plan);
    }
    if let Some(metric) = &f.metric {
        sql.push(" AND t.metric = ").bind(metric);
    }
    if let Some(kind) = &f.period_kind {
        sql.push(" AND t.period_kind = ").bind(kind);
    }
    if let Some(node) = f.owner_node {
        sql.push(" AND t.person_id IS NULL AND t.node_id = ")
            .bind(node);
    }
    if let Some(person) = f.owner_person {
        sql.push(" AND t.person_id = ").bind(person);
    }
    sql.scope(scope, "t.node_path", "t.person_id");
    sql.push(" ORDER BY t.period_start, t.period_end DESC, LENGTH(t.node_path), t.person_id, t.id")
        .page(
            f.limit.unwrap_or(TARGET_LIST_MAX).clamp(1, TARGET_LIST_MAX),
            f.offset.max(0),
        );
    targets(&sql, conn).await
}

/// The children of a target (peers of each other, for leaderboards and cascades).
pub async fn children_unscoped(conn: &mut Conn, parent: i64) -> Result<Vec<TargetRow>, StoreError> {
    let mut sql = Sql::new(TARGET);
    sql.push(" AND t.parent_id = ")
        .bind(parent)
        .push(" ORDER BY t.period_start, t.node_path, t.person_id, t.id");
    targets(&sql, conn).await
}

/// The targets a person owns, or their node has, whose period covers `day` — their own figures.
pub async fn covering_unscoped(
    conn: &mut Conn,
    node_id: Option<i64>,
    person_id: Option<i64>,
    day: &str,
) -> Result<Vec<TargetRow>, StoreError> {
    let mut sql = Sql::new(TARGET);
    sql.push(" AND t.period_start <= ")
        .bind(day)
        .push(" AND t.period_end >= ")
        .bind(day);
    match (person_id, node_id) {
        (Some(p), _) => sql.push(" AND t.person_id = ").bind(p),
        (None, Some(n)) => sql
            .push(" AND t.person_id IS NULL AND t.node_id = ")
            .bind(n),
        (None, None) => sql.push(" AND 1 = 0"),
    };
    sql.push(" ORDER BY t.period_start DESC, t.id");
    targets(&sql, conn).await
}

pub async fn set_amount(conn: &mut Conn, id: i64, amount: i64) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE targets SET amount = ");
    sql.bind(amount)
        .push(", updated_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn set_submission(
    conn: &mut Conn,
    id: i64,
    amount: i64,
    by: Option<i64>,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE targets SET submitted_amount = ");
    sql.bind(amount)
        .push(", submitted_by = ")
        .bind(by)
        .push(", updated_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(id);
    sql.execute(conn).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Plans

#[derive(Debug, Clone, Serialize)]
pub struct PlanRow {
    pub id: i64,
    pub name: String,
    pub metric: String,
    pub period: String,
    pub node_id: i64,
    pub node_path: String,
    pub version: i64,
    pub previous_id: Option<i64>,
    pub reason: Option<String>,
    pub status: String,
    pub approval_id: Option<i64>,
    pub created_at: i64,
}

const PLAN: &str = "SELECT id, name, metric, period, node_id, node_path, version, previous_id, reason, status, approval_id, created_at FROM target_plans p WHERE 1 = 1";

fn plan_of(r: &AnyRow) -> Result<PlanRow, sqlx::Error> {
    Ok(PlanRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        metric: r.try_get("metric")?,
        period: r.try_get("period")?,
        node_id: r.try_get("node_id")?,
        node_path: r.try_get("node_path")?,
        version: r.try_get("version")?,
        previous_id: r.try_get("previous_id")?,
        reason: r.try_get("reason")?,
        status: r.try_get("status")?,
        approval_id: r.try_get("approval_id")?,
        created_at: r.try_get("created_at")?,
    })
}

pub struct NewPlan<'a> {
    pub name: &'a str,
    pub metric: &'a str,
    pub period: &'a str,
    pub node_id: i64,
    pub node_path: &'a str,
    pub version: i64,
    pub previous_id: Option<i64>,
    pub reason: Option<&'a str>,
    pub created_by: Option<i64>,
}

pub async fn insert_plan(conn: &mut Conn, n: &NewPlan<'_>) -> Result<i64, StoreError> {
    let now = now_micros();
    let mut sql = Sql::new(
        "INSERT INTO target_plans (name, metric, period, node_id, node_path, version, previous_id, reason, status, created_by, created_at, updated_at) VALUES (",
    );
    sql.bind(n.name)
        .push(", ")
        .bind(n.metric)
        .push(", ")
        .bind(n.period)
        .push(", ")
        .bind(n.node_id)
        .push(", ")
        .bind(n.node_path)
        .push(", ")
        .bind(n.version)
        .push(", ")
        .bind(n.previous_id)
        .push(", ")
        .bind(n.reason)
        .push(", 'draft', ")
        .bind(n.created_by)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

/// Managers see the plans in their subtree; field staff the plans of the units above them
/// (the plans their own targets come from).
fn plan_scope(sql: &mut Sql, scope: &Scope) {
    match scope {
        Scope::Own { path, .. } => sql
            .push(" AND p.node_path = substr(")
            .bind(path.as_str())
            .push(", 1, LENGTH(p.node_path))"),
        _ => sql.scope(scope, "p.node_path", "p.created_by"),
    };
}

/// A plan in the person's scope.
pub async fn get_plan(
    conn: &mut Conn,
    scope: &Scope,
    id: i64,
) -> Result<Option<PlanRow>, StoreError> {
    let mut sql = Sql::new(PLAN);
    sql.push(" AND p.id = ").bind(id);
    plan_scope(&mut sql, scope);
    sql.fetch_optional_as(conn, plan_of).await
}

pub async fn get_plan_unscoped(conn: &mut Conn, id: i64) -> Result<Option<PlanRow>, StoreError> {
    let mut sql = Sql::new(PLAN);
    sql.push(" AND p.id = ").bind(id);
    sql.fetch_optional_as(conn, plan_of).await
}

pub async fn list_plans(conn: &mut Conn, scope: &Scope) -> Result<Vec<PlanRow>, StoreError> {
    let mut sql = Sql::new(PLAN);
    plan_scope(&mut sql, scope);
    sql.push(" ORDER BY p.period DESC, p.name, p.version DESC LIMIT 500");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(plan_of)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

pub async fn set_plan_status(
    conn: &mut Conn,
    id: i64,
    status: &str,
    approval_id: Option<i64>,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE target_plans SET status = ");
    sql.bind(status)
        .push(", approval_id = COALESCE(")
        .bind(approval_id)
        .push(", approval_id), updated_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(id);
    sql.execute(conn).await?;
    Ok(())
}

/// The plan's targets, parents before children.
pub async fn plan_targets_unscoped(
    conn: &mut Conn,
    plan: i64,
) -> Result<Vec<TargetRow>, StoreError> {
    let mut sql = Sql::new(TARGET);
    sql.push(" AND t.plan_id = ")
        .bind(plan)
        .push(" ORDER BY LENGTH(t.node_path), t.period_start, t.id");
    targets(&sql, conn).await
}

// ---------------------------------------------------------------------------------------------
// The month's focus

#[derive(Debug, Clone, Serialize)]
pub struct FocusGoalRow {
    pub node_id: i64,
    pub node_name_zh: String,
    pub node_name_en: String,
    pub goal: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FocusRow {
    pub id: i64,
    pub month: String,
    pub rank: i64,
    pub title: String,
    pub detail: Option<String>,
    pub goals: Vec<FocusGoalRow>,
}

/// One priority of the month as published: title, detail and (market node, goal) pairs.
pub struct FocusItem {
    pub title: String,
    pub detail: Option<String>,
    pub goals: Vec<(i64, String)>,
}

/// Replaces the month's focus items (the leadership republishes the whole set).
pub async fn replace_focus(
    conn: &mut Conn,
    month: &str,
    items: &[FocusItem],
    by: Option<i64>,
) -> Result<(), StoreError> {
    let mut del_goals = Sql::new(
        "DELETE FROM monthly_focus_goals WHERE focus_id IN (SELECT id FROM monthly_focus WHERE month = ",
    );
    del_goals.bind(month).push(")");
    del_goals.execute(conn).await?;
    let mut del = Sql::new("DELETE FROM monthly_focus WHERE month = ");
    del.bind(month);
    del.execute(conn).await?;
    for (i, item) in items.iter().enumerate() {
        let mut ins = Sql::new(
            "INSERT INTO monthly_focus (month, rank, title, detail, published_by, created_at) VALUES (",
        );
        ins.bind(month)
            .push(", ")
            .bind(i as i64 + 1)
            .push(", ")
            .bind(&item.title)
            .push(", ")
            .bind(item.detail.clone())
            .push(", ")
            .bind(by)
            .push(", ")
            .bind(now_micros())
            .push(") RETURNING id");
        let id: i64 = ins.fetch_one(conn).await?.try_get("id")?;
        for (node, goal) in &item.goals {
            let mut g =
                Sql::new("INSERT INTO monthly_focus_goals (focus_id, node_id, goal) VALUES (");
            g.bind(id)
                .push(", ")
                .bind(*node)
                .push(", ")
                .bind(goal)
                .push(")");
            g.execute(conn).await?;
        }
    }
    Ok(())
}

/// The month's focus, main priority first. Company-wide: everyone sees it.
pub async fn focus(conn: &mut Conn, month: &str) -> Result<Vec<FocusRow>, StoreError> {
    let mut sql =
        Sql::new("SELECT id, month, rank, title, detail FROM monthly_focus WHERE month = ");
    sql.bind(month).push(" ORDER BY rank");
    let rows = sql.fetch_all(conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let mut g = Sql::new(
            "SELECT g.node_id, n.name_zh, n.name_en, g.goal FROM monthly_focus_goals g JOIN org_nodes n ON n.id = g.node_id WHERE g.focus_id = ",
        );
        g.bind(id).push(" ORDER BY n.path");
        let goals = g
            .fetch_all(conn)
            .await?
            .iter()
            .map(|r| {
                Ok(FocusGoalRow {
                    node_id: r.try_get("node_id")?,
                    node_name_zh: r.try_get("name_zh")?,
                    node_name_en: r.try_get("name_en")?,
                    goal: r.try_get("goal")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        out.push(FocusRow {
            id,
            month: r.try_get("month")?,
            rank: r.try_get("rank")?,
            title: r.try_get("title")?,
            detail: r.try_get("detail")?,
            goals,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The scoreboard's other figures

/// Active field staff (KAMs and reps) positioned at `node_id`: the people a target at that node
/// splits into when it has no units below.
pub async fn field_staff_at_unscoped(
    conn: &mut Conn,
    node_id: i64,
) -> Result<Vec<(i64, String)>, StoreError> {
    let mut sql = Sql::new("SELECT id, display_name FROM people WHERE active = 1 AND role IN ('kam', 'sales_rep') AND node_id = ");
    sql.bind(node_id).push(" ORDER BY display_name, id");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("display_name")?)))
        .collect::<Result<_, sqlx::Error>>()?)
}

/// Orders waiting on a credit or price hold in the scope: how many and their value.
pub async fn open_holds(conn: &mut Conn, scope: &Scope) -> Result<(i64, i64), StoreError> {
    let mut sql = Sql::new(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(o.total_fen), 0) AS BIGINT) AS v FROM orders o \
         WHERE o.status = 'on_hold'",
    );
    sql.scope(scope, "o.node_path", "o.owner_id");
    let r = sql.fetch_one(conn).await?;
    Ok((r.try_get("n")?, r.try_get("v")?))
}

/// A dealer that needs the owner's attention.
#[derive(Debug, Clone, Serialize)]
pub struct DealerAttentionRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub owner_name: String,
    pub on_hold: bool,
    pub overdue_fen: i64,
    /// The last order that counts (confirmed or later), if any.
    pub last_order_on: Option<String>,
}

/// Active dealers in the scope that are on hold, owe overdue money (due before `today`), or have
/// not ordered since `quiet_since` — most overdue first, at most `limit`.
pub async fn dealers_needing_action(
    conn: &mut Conn,
    scope: &Scope,
    today: &str,
    quiet_since: &str,
    limit: i64,
) -> Result<Vec<DealerAttentionRow>, StoreError> {
    // One index probe of each kind per dealer: its on-hold orders (0003 orders_dealer), its open
    // invoices due before today (0003 invoices_dealer) and its last counted order (the last
    // entry of 0015's partial index on PostgreSQL). MATERIALIZED keeps both planners from copying the probes
    // into the outer filter, which ran each of them twice per dealer.
    let mut sql = Sql::new(
        "WITH x AS MATERIALIZED (SELECT d.id, d.code, d.name, p.display_name AS owner_name, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM orders o WHERE o.dealer_id = d.id AND o.status = 'on_hold') AS holds, \
         (SELECT CAST(COALESCE(SUM(i.open_fen), 0) AS BIGINT) FROM invoices i WHERE i.dealer_id = d.id AND i.status = 'open' AND i.due_date < ",
    );
    sql.bind(today).push(&format!(
        ") AS overdue_fen, \
         (SELECT MAX(o.order_date) FROM orders o WHERE o.dealer_id = d.id AND {COUNTED_ORDER}) AS last_order_on \
         FROM dealers d JOIN people p ON p.id = d.owner_id WHERE d.status = 'active'"
    ));
    sql.scope(scope, "d.node_path", "d.owner_id");
    sql.push(") SELECT * FROM x WHERE x.holds > 0 OR x.overdue_fen > 0 OR x.last_order_on IS NULL OR x.last_order_on < ")
        .bind(quiet_since)
        .push(" ORDER BY x.overdue_fen DESC, x.holds DESC, x.last_order_on, x.id")
        .page(limit, 0);
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(DealerAttentionRow {
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                owner_name: r.try_get("owner_name")?,
                on_hold: r.try_get::<i64, _>("holds")? > 0,
                overdue_fen: r.try_get("overdue_fen")?,
                last_order_on: r.try_get("last_order_on")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

// ---------------------------------------------------------------------------------------------
// New active dealers (`dealer_first_orders`, kept by triggers on orders: migration 0009)

use crate::orders::COUNTED_ORDER;

/// Dealers whose first counted order falls in the slice's months, in its territory or credited
/// to its person (the order's own node_path/owner_id). Reads one small row per dealer.
pub async fn new_active_dealers_unscoped(
    conn: &mut Conn,
    slice: &crate::rollups::Slice,
) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "SELECT CAST(COUNT(*) AS BIGINT) AS v FROM dealer_first_orders f WHERE f.month >= ",
    );
    sql.bind(slice.from_month.as_str())
        .push(" AND f.month <= ")
        .bind(slice.to_month.as_str());
    if let Some(path) = slice
        .within_path
        .as_deref()
        .and_then(salesos_domain::org::OrgPath::parse)
    {
        sql.path_within("f.node_path", &path);
    }
    if let Some(owner) = slice.owner_id {
        sql.push(" AND f.owner_id = ").bind(owner);
    }
    Ok(sql.fetch_one(conn).await?.try_get("v")?)
}

/// Dealers whose kept first order differs from a recomputation (at most 20 each way).
pub async fn check_first_orders_unscoped(conn: &mut Conn) -> Result<Vec<String>, StoreError> {
    let kept = "SELECT dealer_id, order_id, order_date, month, node_path, owner_id FROM dealer_first_orders";
    // each dealer's earliest counted order (by date, then id), in one sorted pass
    let computed = format!(
        "SELECT dealer_id, order_id, order_date, month, node_path, owner_id FROM ( \
         SELECT o.dealer_id, o.id AS order_id, o.order_date, substr(o.order_date, 1, 7) AS month, o.node_path, o.owner_id, \
         ROW_NUMBER() OVER (PARTITION BY o.dealer_id ORDER BY o.order_date, o.id) AS nth \
         FROM orders o WHERE {COUNTED_ORDER}) f WHERE nth = 1"
    );
    crate::check::first_offending(
        conn,
        "differing first orders",
        &crate::check::set_difference(
            kept,
            &computed,
            "dealer_id, order_id, order_date, month, node_path, owner_id",
        ),
        "dealer_id, order_id, kept_rows",
        |r, out| {
            let dealer: i64 = r.try_get("dealer_id")?;
            let order: i64 = r.try_get("order_id")?;
            let label = if crate::check::kept_more(r)? {
                "kept but not recomputed"
            } else {
                "recomputed but not kept"
            };
            out.push(format!("dealer {dealer}: first order {order} {label}"));
            Ok(())
        },
    )
    .await
}
