//! The home page: where the person stands in the organisation, and their scoreboard — the
//! month's focus, their (or their unit's) targets against achievement, the trend, the units
//! below, their place among peers, holds, money overdue and the dealers that need action.
//! Charts are SVG drawn on the server; every table and chart exports to XLSX/CSV.

use super::{fail, render, Layout};
use crate::charts::{self, Bar};
use crate::export::{download, Cell, ExportFormat, Sheet};
use crate::i18n::Tr;
use crate::session::PageActor;
use crate::AppState;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use salesos_app::dashboards::{self, Home, HomeKind};
use salesos_app::org;
use salesos_app::targets::TargetView;
use salesos_domain::roles::Capability;
use salesos_domain::scope::Scope;
use salesos_domain::targets::{Metric, Unit};
use salesos_domain::Money;
use salesos_store::targets::FocusRow;
use serde::Deserialize;

pub struct UnitLink {
    pub id: i64,
    pub name: String,
    pub kind: String,
}

/// A published priority of the month, as the dashboard and the focus page list it.
pub struct FocusView {
    pub main: bool,
    pub title: String,
    pub detail: Option<String>,
    /// (unit name, goal)
    pub goals: Vec<(String, String)>,
}

/// The month's published focus, in the person's language.
pub fn focus_views(tr: &Tr, focus: &[FocusRow]) -> Vec<FocusView> {
    focus
        .iter()
        .map(|f| FocusView {
            main: f.rank == 1,
            title: f.title.clone(),
            detail: f.detail.clone(),
            goals: f
                .goals
                .iter()
                .map(|g| {
                    (
                        tr.name(&g.node_name_zh, &g.node_name_en).to_string(),
                        g.goal.clone(),
                    )
                })
                .collect(),
        })
        .collect()
}

/// A target's figures, formatted.
pub struct Score {
    pub label: String,
    pub target: String,
    pub actual: String,
    pub percent: String,
    pub projection: String,
    pub variance: String,
    pub behind: bool,
}

pub struct PeerLine {
    pub place: usize,
    pub name: String,
    pub actual: String,
    pub target: String,
    pub percent: String,
    pub me: bool,
}

pub struct DealerLine {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub owner: String,
    pub reasons: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
    role: String,
    place: Vec<UnitLink>,
    scope_text: String,
    people_visible: i64,
    units_visible: usize,
    children: Vec<UnitLink>,
    can_people: bool,
    can_org: bool,
    can_audit: bool,
    kind: &'static str,
    month: String,
    metric: String,
    focus: Vec<FocusView>,
    month_score: Option<Score>,
    year_score: Option<Score>,
    trend_svg: String,
    children_svg: String,
    aging_svg: String,
    peers: Vec<PeerLine>,
    holds_count: i64,
    holds: String,
    overdue: String,
    show_money: bool,
    show_sales: bool,
    dealers: Vec<DealerLine>,
    quiet_days: i64,
}

pub(crate) fn unit_of(metric: &str) -> Unit {
    Metric::parse(metric).map_or(Unit::Fen, Metric::unit)
}

/// A figure in the metric's unit: money as yuan, volumes and counts as numbers.
pub(crate) fn figure(unit: Unit, v: i64) -> String {
    match unit {
        Unit::Fen => Money(v).to_string(),
        Unit::Quantity | Unit::Count => v.to_string(),
    }
}

pub(crate) fn percent(bp: Option<i64>) -> String {
    bp.map_or_else(
        || "—".to_string(),
        |b| format!("{}.{}%", b / 100, (b % 100) / 10),
    )
}

fn owner_label(tr: &Tr, v: &TargetView) -> String {
    v.target.person_name.clone().unwrap_or_else(|| {
        tr.name(&v.target.node_name_zh, &v.target.node_name_en)
            .to_string()
    })
}

fn score(tr: &Tr, v: &TargetView) -> Score {
    let unit = unit_of(&v.target.metric);
    let a = &v.achievement;
    Score {
        label: format!(
            "{} · {}",
            tr.tk("metric", &v.target.metric),
            v.target.period
        ),
        target: figure(unit, a.target),
        actual: figure(unit, a.actual),
        percent: percent(a.percent_bp),
        projection: figure(unit, a.projection),
        variance: figure(unit, a.variance),
        behind: a.projection < a.target,
    }
}

fn month_label(tr: &Tr, month: &str) -> String {
    // `YYYY-MM` → "3月" / "Mar"
    let m: usize = month.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    tr.t(&format!("month.short.{m}")).to_string()
}

fn trend_bars(tr: &Tr, home: &Home) -> Vec<Bar> {
    let unit = unit_of(&home.metric);
    home.trend
        .iter()
        .map(|p| Bar {
            label: month_label(tr, &p.month),
            value: p.actual,
            target: p.target,
            shown: figure(unit, p.actual),
        })
        .collect()
}

fn child_bars(tr: &Tr, home: &Home) -> Vec<Bar> {
    let unit = unit_of(&home.metric);
    home.by_child
        .iter()
        .map(|c| Bar {
            label: tr.name(&c.name_zh, &c.name_en).to_string(),
            value: c.actual,
            target: c.target,
            shown: match c.percent_bp {
                Some(_) => format!("{} ({})", figure(unit, c.actual), percent(c.percent_bp)),
                None => figure(unit, c.actual),
            },
        })
        .collect()
}

fn aging_bars(tr: &Tr, home: &Home) -> Vec<Bar> {
    home.aging
        .iter()
        .map(|a| Bar {
            label: aging_label(tr, &a.label),
            value: a.open_fen,
            target: None,
            shown: Money(a.open_fen).to_string(),
        })
        .collect()
}

fn aging_label(tr: &Tr, key: &str) -> String {
    if key == "current" {
        tr.t("dash.aging_current").to_string()
    } else {
        tr.t("dash.aging_days").replace("{days}", key)
    }
}

fn dealer_reasons(
    tr: &Tr,
    d: &salesos_store::targets::DealerAttentionRow,
    quiet_since: &str,
) -> String {
    let mut out = Vec::new();
    if d.on_hold {
        out.push(tr.t("dash.reason_hold").to_string());
    }
    if d.overdue_fen > 0 {
        out.push(
            tr.t("dash.reason_overdue")
                .replace("{amount}", &Money(d.overdue_fen).to_string()),
        );
    }
    match &d.last_order_on {
        None => out.push(tr.t("dash.reason_never").to_string()),
        Some(day) if day.as_str() < quiet_since => {
            out.push(tr.t("dash.reason_quiet").replace("{day}", day))
        }
        Some(_) => {}
    }
    out.join(" · ")
}

fn quiet_since(home: &Home) -> String {
    chrono::NaiveDate::parse_from_str(&home.today, "%Y-%m-%d")
        .map(|d| (d - chrono::Duration::days(dashboards::QUIET_DAYS)).to_string())
        .unwrap_or_default()
}

fn kind_code(kind: HomeKind) -> &'static str {
    match kind {
        HomeKind::Leadership => "leadership",
        HomeKind::Manager => "manager",
        HomeKind::Field => "field",
        HomeKind::Other => "other",
    }
}

pub async fn home(State(s): State<AppState>, pa: PageActor) -> Response {
    let tr = pa.tr();
    let place = match org::my_place(&s.app, &pa.actor).await {
        Ok(p) => p,
        Err(e) => return fail(&pa, e),
    };
    let (people_visible, units_visible) = match org::scope_summary(&s.app, &pa.actor).await {
        Ok(v) => v,
        Err(e) => return fail(&pa, e),
    };
    let children = if pa.actor.can(Capability::ViewOrg) {
        match org::tree(&s.app, &pa.actor).await {
            Ok(nodes) => {
                let my_node = pa.actor.node.as_ref().map(|n| n.id);
                nodes
                    .into_iter()
                    .filter(|n| n.parent_id.is_some() && n.parent_id == my_node)
                    .map(|n| UnitLink {
                        id: n.id,
                        name: tr.name(&n.name_zh, &n.name_en).to_string(),
                        kind: tr.tk("kind", &n.kind),
                    })
                    .collect()
            }
            Err(e) => return fail(&pa, e),
        }
    } else {
        Vec::new()
    };
    let home = match dashboards::home(&s.app, &pa.actor).await {
        Ok(h) => h,
        Err(e) => return fail(&pa, e),
    };
    let unit_name = place
        .last()
        .map(|n| tr.name(&n.name_zh, &n.name_en).to_string())
        .unwrap_or_default();
    let scope_text = match &pa.actor.scope {
        Scope::Subtree { .. } => tr.t("home.scope_subtree").replace("{unit}", &unit_name),
        Scope::Own { .. } => tr.t("home.scope_own").replace("{unit}", &unit_name),
        Scope::Nothing => tr.t("home.scope_nothing").to_string(),
    };
    let me = pa.actor.person_id();
    let unit = unit_of(&home.metric);
    let since = quiet_since(&home);
    let show_sales = pa.actor.can(Capability::ViewTargets);
    let page = HomePage {
        role: pa
            .actor
            .role
            .map(|r| tr.tk("role", r.code()))
            .unwrap_or_else(|| tr.t("role.none").to_string()),
        place: place
            .iter()
            .map(|n| UnitLink {
                id: n.id,
                name: tr.name(&n.name_zh, &n.name_en).to_string(),
                kind: tr.tk("kind", &n.kind),
            })
            .collect(),
        scope_text,
        people_visible,
        units_visible,
        children,
        can_people: pa.actor.can(Capability::ViewPeople),
        can_org: pa.actor.can(Capability::ViewOrg),
        can_audit: pa.actor.can(Capability::ViewAudit),
        kind: kind_code(home.kind),
        month: home.month.clone(),
        metric: tr.tk("metric", &home.metric),
        focus: focus_views(&tr, &home.focus),
        month_score: home.month_target.as_ref().map(|v| score(&tr, v)),
        year_score: home.year_target.as_ref().map(|v| score(&tr, v)),
        trend_svg: if show_sales {
            charts::columns("chart-trend", tr.t("dash.trend"), &trend_bars(&tr, &home))
        } else {
            String::new()
        },
        children_svg: if home.by_child.is_empty() {
            String::new()
        } else {
            charts::rows(
                "chart-children",
                tr.t("dash.by_unit"),
                &child_bars(&tr, &home),
            )
        },
        aging_svg: if home.aging.is_empty() {
            String::new()
        } else {
            charts::rows("chart-aging", tr.t("dash.aging"), &aging_bars(&tr, &home))
        },
        peers: home
            .leaderboard
            .iter()
            .map(|r| PeerLine {
                place: r.place,
                name: owner_label(&tr, &r.view),
                actual: figure(unit, r.view.achievement.actual),
                target: figure(unit, r.view.achievement.target),
                percent: percent(r.view.achievement.percent_bp),
                me: r.view.target.person_id.is_some() && r.view.target.person_id == me,
            })
            .collect(),
        holds_count: home.holds_count,
        holds: Money(home.holds_fen).to_string(),
        overdue: Money(home.overdue_fen).to_string(),
        show_money: pa.actor.can(Capability::ViewReports),
        show_sales,
        dealers: home
            .needs_action
            .iter()
            .map(|d| DealerLine {
                id: d.id,
                code: d.code.clone(),
                name: d.name.clone(),
                owner: d.owner_name.clone(),
                reasons: dealer_reasons(&tr, d, &since),
            })
            .collect(),
        quiet_days: dashboards::QUIET_DAYS,
        l: Layout::new(&pa, "home.title", "/"),
    };
    render(&page)
}

#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    table: String,
    #[serde(default)]
    format: String,
}

/// One of the home page's tables or charts as a spreadsheet: `trend`, `units`, `peers`,
/// `aging` or `dealers`.
pub async fn export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ExportQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let home = match dashboards::home(&s.app, &pa.actor).await {
        Ok(h) => h,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let h = |keys: &[&str]| keys.iter().map(|k| tr.t(k).to_string()).collect::<Vec<_>>();
    let amount = |unit: Unit, v: i64| match unit {
        Unit::Fen => Cell::Money(Money(v)),
        _ => Cell::Int(v),
    };
    let unit = unit_of(&home.metric);
    let pct = |bp: Option<i64>| bp.map_or(Cell::Empty, Cell::Percent);
    let (title, headers, rows) = match q.table.as_str() {
        "trend" => (
            tr.t("dash.trend"),
            h(&["dash.month", "dash.actual", "dash.target"]),
            home.trend
                .iter()
                .map(|p| {
                    vec![
                        Cell::from(p.month.clone()),
                        amount(unit, p.actual),
                        p.target.map_or(Cell::Empty, |t| amount(unit, t)),
                    ]
                })
                .collect(),
        ),
        "units" => (
            tr.t("dash.by_unit"),
            h(&["dash.unit", "dash.actual", "dash.target", "dash.percent"]),
            home.by_child
                .iter()
                .map(|c| {
                    vec![
                        Cell::from(tr.name(&c.name_zh, &c.name_en)),
                        amount(unit, c.actual),
                        c.target.map_or(Cell::Empty, |t| amount(unit, t)),
                        pct(c.percent_bp),
                    ]
                })
                .collect(),
        ),
        "peers" => (
            tr.t("dash.leaderboard"),
            h(&[
                "dash.place",
                "dash.name",
                "dash.actual",
                "dash.target",
                "dash.percent",
            ]),
            home.leaderboard
                .iter()
                .map(|r| {
                    vec![
                        Cell::Int(r.place as i64),
                        Cell::from(owner_label(&tr, &r.view)),
                        amount(unit, r.view.achievement.actual),
                        amount(unit, r.view.achievement.target),
                        pct(r.view.achievement.percent_bp),
                    ]
                })
                .collect(),
        ),
        "aging" => (
            tr.t("dash.aging"),
            h(&["dash.bucket", "dash.open"]),
            home.aging
                .iter()
                .map(|a| {
                    vec![
                        Cell::from(aging_label(&tr, &a.label)),
                        Cell::Money(Money(a.open_fen)),
                    ]
                })
                .collect(),
        ),
        "dealers" => {
            let since = quiet_since(&home);
            (
                tr.t("dash.needs_action"),
                h(&[
                    "dash.code",
                    "dash.name",
                    "dash.owner",
                    "dash.overdue",
                    "dash.last_order",
                    "dash.reasons",
                ]),
                home.needs_action
                    .iter()
                    .map(|d| {
                        vec![
                            Cell::from(d.code.clone()),
                            Cell::from(d.name.clone()),
                            Cell::from(d.owner_name.clone()),
                            Cell::Money(Money(d.overdue_fen)),
                            d.last_order_on.clone().map_or(Cell::Empty, Cell::Date),
                            Cell::from(dealer_reasons(&tr, d, &since)),
                        ]
                    })
                    .collect(),
            )
        }
        _ => {
            return fail(
                &pa,
                salesos_app::AppError::invalid(
                    "dash.table_unknown",
                    "table",
                    "export trend, units, peers, aging or dealers",
                ),
            )
        }
    };
    let sheet = Sheet {
        title: format!("{} {}", title, home.month),
        headers,
        rows,
    };
    let format = ExportFormat::parse(&q.format).unwrap_or(ExportFormat::Xlsx);
    download(&sheet, format, &format!("home-{}-{}", q.table, home.month))
}
