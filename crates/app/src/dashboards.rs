//! The home page's scoreboard, per role: the leadership sees the company and each market
//! against target, a market manager their areas, field staff their own numbers, their place
//! among peers and the dealers that need action. Everyone sees the month's focus.
//!
//! Sales figures come from the rollups (`store::rollups`), so the cost grows with the groups
//! shown, not with the number of order lines. They are read through `Store::report_read` (the
//! read replica when one is configured), so they may be a few seconds behind the primary.

use crate::targets::{leaderboard, measure, RankedView, TargetView};
use crate::{Actor, App, AppError};
use chrono::{Datelike, NaiveDate};
use salesos_domain::receivables::AgingBuckets;
use salesos_domain::roles::{Capability, Role};
use salesos_domain::scope::Scope;
use salesos_domain::targets::{percent_bp, Metric, TargetPeriod};
use salesos_store::rollups::{self, Column, Slice};
use salesos_store::targets::{
    self as store, DealerAttentionRow, FocusRow, TargetFilter, TargetRow,
};
use salesos_store::{org, Conn};
use serde::Serialize;

/// A dealer counts as quiet after this many days without an order.
pub const QUIET_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HomeKind {
    /// Director (and the company-level roles): the company and each market.
    Leadership,
    /// Market and area managers: their unit and the units below.
    Manager,
    /// KAMs and reps: their own numbers.
    Field,
    /// Everyone else (desk, billing, warehouse, admin): the focus and the money.
    Other,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrendPoint {
    /// `YYYY-MM`
    pub month: String,
    pub actual: i64,
    pub target: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChildBar {
    pub node_id: i64,
    pub name_zh: String,
    pub name_en: String,
    pub actual: i64,
    pub target: Option<i64>,
    pub percent_bp: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgingBar {
    /// A stable key: `current`, `1-30`, … `90+`.
    pub label: String,
    pub open_fen: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Home {
    pub kind: HomeKind,
    pub today: String,
    pub month: String,
    pub metric: String,
    pub focus: Vec<FocusRow>,
    /// The person's (or their unit's) target for this month, with achievement.
    pub month_target: Option<TargetView>,
    /// … and for the year.
    pub year_target: Option<TargetView>,
    /// The last twelve months: actual (in scope) against the month targets.
    pub trend: Vec<TrendPoint>,
    /// This month per unit below (markets for the leadership, areas for a market manager).
    pub by_child: Vec<ChildBar>,
    /// The month target's peers, ranked by achievement.
    pub leaderboard: Vec<RankedView>,
    pub holds_count: i64,
    pub holds_fen: i64,
    pub overdue_fen: i64,
    pub aging: Vec<AgingBar>,
    pub needs_action: Vec<DealerAttentionRow>,
}

fn kind_of(actor: &Actor) -> HomeKind {
    match actor.role {
        Some(Role::Director) => HomeKind::Leadership,
        Some(Role::MarketManager | Role::AreaManager) => HomeKind::Manager,
        Some(Role::Kam | Role::SalesRep) => HomeKind::Field,
        _ => HomeKind::Other,
    }
}

fn month_code(d: NaiveDate) -> String {
    format!("{}-{:02}", d.year(), d.month())
}

/// The twelve months ending with `today`'s, oldest first.
fn last_twelve(today: NaiveDate) -> Vec<String> {
    let mut out = Vec::with_capacity(12);
    let (mut y, mut m) = (today.year(), today.month());
    for _ in 0..12 {
        out.push(format!("{y}-{m:02}"));
        if m == 1 {
            y -= 1;
            m = 12;
        } else {
            m -= 1;
        }
    }
    out.reverse();
    out
}

async fn own_targets(
    conn: &mut Conn,
    actor: &Actor,
    from: &str,
    to: &str,
) -> Result<Vec<TargetRow>, AppError> {
    // whose figures a home page shows: a person's own targets for field staff, else the unit's
    // — chosen in SQL, since a list of every target in scope stops at its page size
    let (owner_person, owner_node) = match (&actor.scope, actor.node.as_ref()) {
        (Scope::Own { person, .. }, _) => (Some(person.0), None),
        (_, Some(node)) => (None, Some(node.id)),
        _ => return Ok(Vec::new()),
    };
    let filter = TargetFilter {
        from: Some(from.to_string()),
        to: Some(to.to_string()),
        owner_person,
        owner_node,
        ..Default::default()
    };
    Ok(store::list(conn, &actor.scope, &filter).await?)
}

/// Prefers the ordered amount when a person has targets on several metrics.
fn pick<'a>(targets: &'a [TargetRow], kind: &str) -> Option<&'a TargetRow> {
    let of_kind: Vec<&TargetRow> = targets.iter().filter(|t| t.period_kind == kind).collect();
    of_kind
        .iter()
        .find(|t| {
            t.metric == Metric::OrderedAmount.code()
                && t.product_id.is_none()
                && t.product_line_id.is_none()
        })
        .or_else(|| of_kind.first())
        .copied()
}

pub async fn home(app: &App, actor: &Actor) -> Result<Home, AppError> {
    let kind = kind_of(actor);
    let today_text = app.today();
    let today = NaiveDate::parse_from_str(&today_text, "%Y-%m-%d").unwrap_or_default();
    let month = month_code(today);
    let mut conn = app.store.report_read().await?;
    let focus = store::focus(&mut conn, &month).await?;
    let sales = actor.can(Capability::ViewTargets);

    let months = last_twelve(today);
    let first_day = format!("{}-01", months[0]);
    let mut home = Home {
        kind,
        today: today_text.clone(),
        month: month.clone(),
        metric: Metric::OrderedAmount.code().to_string(),
        focus,
        month_target: None,
        year_target: None,
        trend: Vec::new(),
        by_child: Vec::new(),
        leaderboard: Vec::new(),
        holds_count: 0,
        holds_fen: 0,
        overdue_fen: 0,
        aging: Vec::new(),
        needs_action: Vec::new(),
    };

    if sales {
        let targets = own_targets(&mut conn, actor, &first_day, &today_text).await?;
        let current: Vec<TargetRow> = targets
            .iter()
            .filter(|t| t.period_start <= today_text && today_text <= t.period_end)
            .cloned()
            .collect();
        if let Some(t) = pick(&current, "month") {
            home.metric = t.metric.clone();
            home.month_target = Some(measure(&mut conn, t, today).await?);
            home.leaderboard = leaderboard(&mut conn, t, today).await?;
        }
        if let Some(t) = pick(&current, "year") {
            if home.month_target.is_none() {
                home.metric = t.metric.clone();
            }
            home.year_target = Some(measure(&mut conn, t, today).await?);
        }
        let metric = Metric::parse(&home.metric).unwrap_or(Metric::OrderedAmount);
        let column = metric
            .rollup_column()
            .and_then(Column::named)
            .unwrap_or(Column::ORDERED_FEN);

        // trend: the scope's actuals per month against the month targets of the same metric
        let slice = Slice {
            from_month: months[0].clone(),
            to_month: month.clone(),
            ..Default::default()
        };
        let actuals = rollups::by_month(&mut conn, &actor.scope, column, &slice).await?;
        home.trend = months
            .iter()
            .map(|m| TrendPoint {
                month: m.clone(),
                actual: actuals.iter().find(|a| &a.key == m).map_or(0, |a| a.value),
                target: targets
                    .iter()
                    .filter(|t| {
                        t.period_kind == "month" && &t.period == m && t.metric == home.metric
                    })
                    .map(|t| t.amount)
                    .reduce(|a, b| a + b),
            })
            .collect();

        // this month per unit below
        if matches!(kind, HomeKind::Leadership | HomeKind::Manager) {
            if let Some(node) = actor.node.clone() {
                let children: Vec<_> = org::list(&mut conn, &actor.scope)
                    .await?
                    .into_iter()
                    .filter(|n| n.parent_id == Some(node.id) && n.active)
                    .collect();
                let period = TargetPeriod::parse(&month);
                let child_targets = match period {
                    Some(p) => {
                        store::list(
                            &mut conn,
                            &actor.scope,
                            &TargetFilter {
                                from: Some(p.start.to_string()),
                                to: Some(p.end.to_string()),
                                period_kind: Some("month".into()),
                                metric: Some(home.metric.clone()),
                                ..Default::default()
                            },
                        )
                        .await?
                    }
                    None => Vec::new(),
                };
                for c in children {
                    let actual = rollups::total(
                        &mut conn,
                        &actor.scope,
                        column,
                        &Slice {
                            from_month: month.clone(),
                            to_month: month.clone(),
                            within_path: Some(c.path.clone()),
                            ..Default::default()
                        },
                    )
                    .await?;
                    let target = child_targets
                        .iter()
                        .filter(|t| {
                            t.node_id == c.id
                                && t.person_id.is_none()
                                && t.product_id.is_none()
                                && t.product_line_id.is_none()
                        })
                        .map(|t| t.amount)
                        .reduce(|a, b| a + b);
                    home.by_child.push(ChildBar {
                        node_id: c.id,
                        name_zh: c.name_zh,
                        name_en: c.name_en,
                        actual,
                        percent_bp: target.and_then(|t| percent_bp(actual, t)),
                        target,
                    });
                }
            }
        }
    }

    if actor.can(Capability::ViewOrders) {
        let (n, v) = store::open_holds(&mut conn, &actor.scope).await?;
        home.holds_count = n;
        home.holds_fen = v;
    }
    if actor.can(Capability::ViewReports) {
        let buckets = AgingBuckets::default();
        let mut sums = vec![0i64; buckets.bucket_count()];
        for (due, open) in rollups::open_by_due_date(&mut conn, &actor.scope).await? {
            let days = NaiveDate::parse_from_str(&due, "%Y-%m-%d")
                .map(|d| (today - d).num_days())
                .unwrap_or(0);
            sums[buckets.bucket_of(days)] += open;
            if days > 0 {
                home.overdue_fen += open;
            }
        }
        home.aging = buckets
            .labels()
            .into_iter()
            .zip(sums)
            .map(|(label, open_fen)| AgingBar { label, open_fen })
            .collect();
    }
    if matches!(kind, HomeKind::Field | HomeKind::Manager) && actor.can(Capability::ViewDealers) {
        let quiet_since = (today - chrono::Duration::days(QUIET_DAYS)).to_string();
        home.needs_action =
            store::dealers_needing_action(&mut conn, &actor.scope, &today_text, &quiet_since, 20)
                .await?;
    }
    Ok(home)
}
