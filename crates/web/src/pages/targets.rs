//! Plans and targets in the browser: the targets list (filters, XLSX/CSV), a target with its
//! achievement, children and peers, the SMART create form, the cascade (a proposed split over
//! the period or down the organisation, edited and saved), plans with their versions and
//! bottom-up gap, and the leadership's monthly focus. Every table exports with the person's
//! scope, because the exports call the same scoped use cases as the pages.

use super::home::{figure, focus_views, percent, unit_of, FocusView};
use super::people::FormError;
use super::{fail, form_answer, format_time, render, Layout, PageId, Pager, PAGE_ROWS};
use crate::charts::{self, Bar};
use crate::export::{download, format_of, list_download, Cell, Sheet};
use crate::i18n::Tr;
use crate::session::{urlencode, PageActor};
use crate::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use salesos_app::targets::{
    self, CascadeProposal, FocusItemInput, NewTargetInput, PartInput, RankedView, TargetView,
};
use salesos_app::{org, people, AppError};
use salesos_domain::roles::Capability;
use salesos_domain::targets::{self as rules, Metric, PeriodKind, TargetPeriod, Unit};
use salesos_domain::Money;
use salesos_store::people::PeopleFilter;
use salesos_store::targets::{PlanRow, TargetFilter};
use serde::Deserialize;

type FormPairs = Result<Form<Vec<(String, String)>>, FormRejection>;

fn pairs_of(form: FormPairs) -> Vec<(String, String)> {
    form.map(|f| f.0).unwrap_or_default()
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.trim())
}

/// A figure as typed into a form: yuan for money metrics, a whole number otherwise.
fn parse_figure(unit: Unit, text: &str) -> Option<i64> {
    match unit {
        Unit::Fen => Money::parse_yuan(text).map(Money::fen),
        Unit::Quantity | Unit::Count => text.trim().replace(',', "").parse().ok(),
    }
}

/// A figure as an input's value (no thousands separators, so it parses back).
fn plain_figure(unit: Unit, v: i64) -> String {
    match unit {
        Unit::Fen => {
            let sign = if v < 0 { "-" } else { "" };
            format!("{sign}{}.{:02}", v.abs() / 100, v.abs() % 100)
        }
        Unit::Quantity | Unit::Count => v.to_string(),
    }
}

/// A figure in a spreadsheet: money as money, the rest as numbers.
fn figure_cell(unit: Unit, v: i64) -> Cell {
    match unit {
        Unit::Fen => Cell::Money(Money(v)),
        Unit::Quantity | Unit::Count => Cell::Int(v),
    }
}

/// Basis points (1/100 of a percent) as a typed percentage: 3333 → "33.33".
fn plain_percent(bp: i64) -> String {
    plain_figure(Unit::Fen, bp)
}

/// A typed percentage ("33.33") in basis points; two decimals at most.
fn parse_percent(text: &str) -> Option<i64> {
    Money::parse_yuan(text).map(Money::fen)
}

fn owner_label(tr: &Tr, t: &salesos_store::targets::TargetRow) -> String {
    t.person_name
        .clone()
        .unwrap_or_else(|| tr.name(&t.node_name_zh, &t.node_name_en).to_string())
}

pub struct Choice {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

fn metric_choices(tr: &Tr, selected: &str) -> Vec<Choice> {
    Metric::ALL
        .iter()
        .map(|m| Choice {
            code: m.code().to_string(),
            label: tr.tk("metric", m.code()),
            selected: m.code() == selected,
        })
        .collect()
}

fn kind_choices(tr: &Tr, selected: &str) -> Vec<Choice> {
    ["year", "quarter", "month"]
        .iter()
        .map(|k| Choice {
            code: (*k).to_string(),
            label: tr.tk("period_kind", k),
            selected: *k == selected,
        })
        .collect()
}

/// Who a target can belong to: the units in the person's scope (`node:<id>`) and, for those who
/// see people, the field staff in it (`person:<id>`).
async fn owner_choices(s: &AppState, pa: &PageActor, selected: &str) -> Vec<Choice> {
    let tr = pa.tr();
    let mut out = Vec::new();
    if let Ok(nodes) = org::tree(&s.app, &pa.actor).await {
        for n in nodes.into_iter().filter(|n| n.active) {
            let code = format!("node:{}", n.id);
            out.push(Choice {
                selected: code == selected,
                label: format!(
                    "{} · {}",
                    tr.name(&n.name_zh, &n.name_en),
                    tr.tk("kind", &n.kind)
                ),
                code,
            });
        }
    }
    if pa.actor.can(Capability::ViewPeople) {
        let filter = PeopleFilter {
            limit: 1000,
            ..Default::default()
        };
        if let Ok(people) = people::list(&s.app, &pa.actor, &filter).await {
            for p in people.into_iter().filter(|p| {
                p.active && matches!(p.role.as_deref(), Some("sales_rep") | Some("kam"))
            }) {
                let code = format!("person:{}", p.id);
                out.push(Choice {
                    selected: code == selected,
                    label: format!(
                        "{} · {}",
                        p.display_name,
                        tr.tk("role", p.role.as_deref().unwrap_or_default())
                    ),
                    code,
                });
            }
        }
    }
    out
}

fn owner_of(code: &str) -> (Option<i64>, Option<i64>) {
    match code.split_once(':') {
        Some(("node", id)) => (id.parse().ok(), None),
        Some(("person", id)) => (None, id.parse().ok()),
        _ => (None, None),
    }
}

// ---------------------------------------------------------------------------------------------
// The targets list

pub struct TargetLine {
    pub id: i64,
    pub owner: String,
    pub metric: String,
    pub period: String,
    pub target: String,
    pub actual: String,
    pub variance: String,
    pub percent: String,
    pub projection: String,
    pub behind: bool,
    pub status: String,
}

fn target_line(tr: &Tr, v: &TargetView) -> TargetLine {
    let t = &v.target;
    let a = &v.achievement;
    let unit = unit_of(&t.metric);
    TargetLine {
        id: t.id,
        owner: owner_label(tr, t),
        metric: tr.tk("metric", &t.metric),
        period: t.period.clone(),
        target: figure(unit, a.target),
        actual: figure(unit, a.actual),
        variance: figure(unit, a.variance),
        percent: percent(a.percent_bp),
        projection: figure(unit, a.projection),
        behind: a.projection < a.target,
        status: t
            .plan_status
            .as_deref()
            .map(|s| tr.tk("plan_status", s))
            .unwrap_or_default(),
    }
}

/// The columns every target table exports (translation keys).
const TARGET_COLUMNS: [&str; 9] = [
    "tgt.owner",
    "tgt.metric",
    "tgt.period",
    "dash.target",
    "dash.actual",
    "dash.variance",
    "tgt.percent_value",
    "tgt.projection",
    "tgt.submitted",
];

fn target_headers(tr: &Tr) -> Vec<String> {
    TARGET_COLUMNS.iter().map(|k| tr.t(k).to_string()).collect()
}

fn target_cells(tr: &Tr, v: &TargetView) -> Vec<Cell> {
    let t = &v.target;
    let a = &v.achievement;
    let unit = unit_of(&t.metric);
    vec![
        Cell::from(owner_label(tr, t)),
        Cell::from(tr.tk("metric", &t.metric)),
        Cell::from(t.period.clone()),
        figure_cell(unit, a.target),
        figure_cell(unit, a.actual),
        figure_cell(unit, a.variance),
        // a percentage as a number with two decimals (87.5 for 87.5 %), so it sorts and sums
        a.percent_bp.map_or(Cell::Empty, |bp| {
            Cell::Money(Money(bp)) // basis points are hundredths of a percent, like fen
        }),
        figure_cell(unit, a.projection),
        t.submitted_amount
            .map_or(Cell::Empty, |s| figure_cell(unit, s)),
    ]
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    period: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    metric: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    format: String,
}

impl ListQuery {
    /// The filter for `limit` targets from `offset` on.
    fn filter(&self, limit: i64, offset: i64) -> TargetFilter {
        let period = TargetPeriod::parse(self.period.trim());
        let kind = self.kind.trim();
        let metric = self.metric.trim();
        let (owner_node, owner_person) = owner_of(self.owner.trim());
        TargetFilter {
            from: period.as_ref().map(|p| p.start.to_string()),
            to: period.as_ref().map(|p| p.end.to_string()),
            plan_id: None,
            metric: Metric::parse(metric).map(|m| m.code().to_string()),
            period_kind: PeriodKind::parse(kind).map(|k| k.code().to_string()),
            owner_node,
            owner_person,
            limit: Some(limit),
            offset,
        }
    }

    fn query_string(&self) -> String {
        format!(
            "period={}&kind={}&metric={}&owner={}",
            urlencode(self.period.trim()),
            urlencode(self.kind.trim()),
            urlencode(self.metric.trim()),
            urlencode(self.owner.trim())
        )
    }
}

async fn listed(
    s: &AppState,
    pa: &PageActor,
    q: &ListQuery,
    limit: i64,
    offset: i64,
) -> Result<Vec<TargetView>, AppError> {
    targets::list(&s.app, &pa.actor, &q.filter(limit, offset)).await
}

#[derive(Template)]
#[template(path = "targets_list.html")]
struct ListPage {
    l: Layout,
    rows: Vec<TargetLine>,
    period: String,
    kinds: Vec<Choice>,
    metrics: Vec<Choice>,
    owners: Vec<Choice>,
    export_query: String,
    pager: Pager,
    can_set: bool,
}

pub async fn list(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let mut pager = Pager::new("/targets", &q.page, q.query_string(), PAGE_ROWS);
    let rows = match listed(&s, &pa, &q, pager.limit(), pager.offset()).await {
        Ok(r) => pager.keep(r),
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    render(&ListPage {
        rows: rows.iter().map(|v| target_line(&tr, v)).collect(),
        period: q.period.trim().to_string(),
        kinds: kind_choices(&tr, q.kind.trim()),
        metrics: metric_choices(&tr, q.metric.trim()),
        owners: owner_choices(&s, &pa, q.owner.trim()).await,
        export_query: q.query_string(),
        pager,
        can_set: pa.actor.can(Capability::SetTargets),
        l: Layout::new(&pa, "tgt.title", "/targets"),
    })
}

/// The targets list, with the same filters and scope, as XLSX or CSV.
pub async fn export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    // every page of the list, not only the one on screen
    let rows = crate::export::all_rows(|limit, offset| listed(&s, &pa, &q, limit, offset)).await;
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let cells = rows.iter().map(|v| target_cells(&tr, v)).collect();
    list_download(
        &tr,
        "tgt.title",
        &TARGET_COLUMNS,
        cells,
        &q.format,
        "targets",
    )
}

// ---------------------------------------------------------------------------------------------
// Creating a target

/// What the create form holds (as typed, so a refused form comes back filled in).
#[derive(Default)]
pub struct TargetForm {
    pub metric: String,
    pub amount: String,
    pub owner: String,
    pub period: String,
    pub parent_id: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "target_new.html")]
struct NewPage {
    l: Layout,
    v: TargetForm,
    metrics: Vec<Choice>,
    owners: Vec<Choice>,
    parents: Vec<Choice>,
    error: Option<FormError>,
}

impl NewPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.at("target", field))
    }
    fn form_err(&self) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.general("target"))
    }
}

/// Targets a new one can contribute to: those the person sees, plus the one named in the
/// address (a target above the person's unit is not in their list but may be a parent).
async fn parent_choices(s: &AppState, pa: &PageActor, selected: &str) -> Vec<Choice> {
    let tr = pa.tr();
    let mut out: Vec<Choice> = targets::list(&s.app, &pa.actor, &TargetFilter::default())
        .await
        .unwrap_or_default()
        .iter()
        .map(|v| Choice {
            code: v.target.id.to_string(),
            label: parent_label(&tr, v),
            selected: v.target.id.to_string() == selected,
        })
        .collect();
    if let Ok(id) = selected.parse::<i64>() {
        if !out.iter().any(|c| c.code == selected) {
            if let Ok(d) = targets::get(&s.app, &pa.actor, id).await {
                out.insert(
                    0,
                    Choice {
                        code: selected.to_string(),
                        label: parent_label(&tr, &d.view),
                        selected: true,
                    },
                );
            }
        }
    }
    out
}

fn parent_label(tr: &Tr, v: &TargetView) -> String {
    let unit = unit_of(&v.target.metric);
    format!(
        "{} · {} · {} · {}",
        owner_label(tr, &v.target),
        tr.tk("metric", &v.target.metric),
        v.target.period,
        figure(unit, v.target.amount)
    )
}

async fn new_page(
    s: &AppState,
    pa: &PageActor,
    v: TargetForm,
    error: Option<FormError>,
) -> Response {
    let tr = pa.tr();
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let page = NewPage {
        metrics: metric_choices(&tr, &v.metric),
        owners: owner_choices(s, pa, &v.owner).await,
        parents: parent_choices(s, pa, &v.parent_id).await,
        error,
        v,
        l: Layout::new(pa, "tgt.new", "/targets"),
    };
    (status, render(&page)).into_response()
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    parent_id: String,
}

pub async fn new_form(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<NewQuery>, QueryRejection>,
) -> Response {
    if let Err(e) = pa.actor.require(Capability::SetTargets) {
        return fail(&pa, e);
    }
    let q = q.map(|q| q.0).unwrap_or_default();
    let mut v = TargetForm {
        parent_id: q.parent_id.trim().to_string(),
        ..Default::default()
    };
    // a target below another measures the same thing
    if let Ok(id) = v.parent_id.parse::<i64>() {
        if let Ok(d) = targets::get(&s.app, &pa.actor, id).await {
            v.metric = d.view.target.metric.clone();
        }
    }
    new_page(&s, &pa, v, None).await
}

fn target_form_of(pairs: &[(String, String)]) -> TargetForm {
    TargetForm {
        metric: field(pairs, "metric").to_string(),
        amount: field(pairs, "amount").to_string(),
        owner: field(pairs, "owner").to_string(),
        period: field(pairs, "period").to_string(),
        parent_id: field(pairs, "parent_id").to_string(),
        note: field(pairs, "note").to_string(),
    }
}

/// The form's values as the use case's input; an amount that is not a number is refused here
/// (the SMART rules decide everything else).
fn target_input(v: &TargetForm) -> Result<NewTargetInput, AppError> {
    let unit = unit_of(&v.metric);
    let amount = match v.amount.as_str() {
        "" => None,
        text => Some(parse_figure(unit, text).ok_or_else(|| {
            AppError::invalid("request.invalid_field", "amount", "a number is expected")
        })?),
    };
    let (owner_node, owner_person) = owner_of(&v.owner);
    Ok(NewTargetInput {
        metric: Some(v.metric.clone()).filter(|m| !m.is_empty()),
        amount,
        owner_node,
        owner_person,
        period: Some(v.period.clone()).filter(|p| !p.is_empty()),
        parent_id: v.parent_id.parse().ok(),
        note: Some(v.note.clone()).filter(|n| !n.is_empty()),
        ..Default::default()
    })
}

const TARGET_FIELDS: [&str; 6] = ["metric", "amount", "owner", "period", "parent_id", "note"];

pub async fn create(State(s): State<AppState>, pa: PageActor, form: FormPairs) -> Response {
    if let Err(e) = pa.actor.require(Capability::SetTargets) {
        return fail(&pa, e);
    }
    let v = target_form_of(&pairs_of(form));
    let result = match target_input(&v) {
        Ok(input) => targets::create(&s.app, &pa.actor, input).await,
        Err(e) => Err(e),
    };
    form_answer(
        &pa,
        result,
        |d| format!("/targets/{}", d.view.target.id),
        "target",
        &TARGET_FIELDS,
        |fe| new_page(&s, &pa, v, Some(fe)),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// One target

pub struct ChildLine {
    pub line: TargetLine,
    pub place: usize,
    pub submitted: String,
}

pub struct PeerLine {
    pub place: usize,
    pub line: TargetLine,
    pub me: bool,
}

#[derive(Template)]
#[template(path = "target_show.html")]
struct ShowPage {
    l: Layout,
    t: TargetLine,
    id: i64,
    parent_id: Option<i64>,
    plan_id: Option<i64>,
    note: Option<String>,
    measured: bool,
    submitted: String,
    submitted_value: String,
    children: Vec<ChildLine>,
    children_total: String,
    submitted_total: String,
    gap: String,
    short: bool,
    children_svg: String,
    peers: Vec<PeerLine>,
    editable: bool,
    can_set: bool,
    can_split: bool,
    error: Option<FormError>,
}

impl ShowPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.at("submission", field))
    }
    fn form_err(&self) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.general("submission"))
    }
}

async fn show_page(s: &AppState, pa: &PageActor, id: i64, error: Option<FormError>) -> Response {
    let d = match targets::get(&s.app, &pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return fail(pa, e),
    };
    let peers = match targets::peers(&s.app, &pa.actor, id).await {
        Ok(p) => p,
        Err(e) => return fail(pa, e),
    };
    let tr = pa.tr();
    let t = &d.view.target;
    let unit = unit_of(&t.metric);
    let period_kind = TargetPeriod::parse(&t.period).map(|p| p.kind);
    let bars: Vec<Bar> = d
        .children
        .iter()
        .map(|c| Bar {
            // a split over the period is labelled by its periods, one down the tree by owners
            label: if c.view.target.period == t.period {
                owner_label(&tr, &c.view.target)
            } else {
                c.view.target.period.clone()
            },
            value: c.view.achievement.actual,
            target: Some(c.view.achievement.target),
            shown: format!(
                "{} ({})",
                figure(unit, c.view.achievement.actual),
                percent(c.view.achievement.percent_bp)
            ),
        })
        .collect();
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let page = ShowPage {
        t: target_line(&tr, &d.view),
        id,
        parent_id: t.parent_id,
        plan_id: t.plan_id,
        note: t.note.clone(),
        measured: d.view.measured,
        submitted: t
            .submitted_amount
            .map(|v| figure(unit, v))
            .unwrap_or_default(),
        submitted_value: t
            .submitted_amount
            .map(|v| plain_figure(unit, v))
            .unwrap_or_default(),
        children: d
            .children
            .iter()
            .map(|c| ChildLine {
                line: target_line(&tr, &c.view),
                place: c.place,
                submitted: c
                    .view
                    .target
                    .submitted_amount
                    .map(|v| figure(unit, v))
                    .unwrap_or_default(),
            })
            .collect(),
        children_total: figure(unit, d.children_total),
        submitted_total: figure(unit, d.submitted_total),
        gap: figure(unit, d.gap),
        short: d.gap < 0,
        children_svg: if bars.is_empty() {
            String::new()
        } else {
            charts::rows("chart-target-children", tr.t("tgt.children"), &bars)
        },
        peers: peers
            .iter()
            .map(|r| PeerLine {
                place: r.place,
                line: target_line(&tr, &r.view),
                me: r.view.target.id == id,
            })
            .collect(),
        editable: d.editable,
        can_set: pa.actor.can(Capability::SetTargets),
        can_split: period_kind.is_some(),
        error,
        l: Layout::new(pa, "tgt.detail", "/targets"),
    };
    (status, render(&page)).into_response()
}

pub async fn show(State(s): State<AppState>, pa: PageActor, PageId(id): PageId) -> Response {
    show_page(&s, &pa, id, None).await
}

#[derive(Deserialize, Default)]
pub struct TableQuery {
    #[serde(default)]
    table: String,
    #[serde(default)]
    format: String,
}

fn ranked_sheet(tr: &Tr, title: String, rows: &[RankedView]) -> Sheet {
    let mut headers = vec![tr.t("dash.place").to_string()];
    headers.extend(target_headers(tr));
    Sheet {
        title,
        headers,
        rows: rows
            .iter()
            .map(|r| {
                let mut cells = vec![Cell::Int(i64::try_from(r.place).unwrap_or(i64::MAX))];
                cells.extend(target_cells(tr, &r.view));
                cells
            })
            .collect(),
    }
}

/// A target's children (`table=children`, the default; also the chart's figures) or its peers
/// (`table=peers`) as XLSX or CSV.
pub async fn show_export(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    q: Result<Query<TableQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let tr = pa.tr();
    let (name, sheet) = if q.table == "peers" {
        match targets::peers(&s.app, &pa.actor, id).await {
            Ok(p) => (
                "peers",
                ranked_sheet(&tr, tr.t("tgt.peers").to_string(), &p),
            ),
            Err(e) => return fail(&pa, e),
        }
    } else {
        match targets::get(&s.app, &pa.actor, id).await {
            Ok(d) => (
                "children",
                ranked_sheet(&tr, tr.t("tgt.children").to_string(), &d.children),
            ),
            Err(e) => return fail(&pa, e),
        }
    };
    download(&sheet, format_of(&q.format), &format!("target-{id}-{name}"))
}

/// The owner's bottom-up figure for their target.
pub async fn submission(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: FormPairs,
) -> Response {
    if let Err(e) = pa.actor.require(Capability::SetTargets) {
        return fail(&pa, e);
    }
    let pairs = pairs_of(form);
    let result = match targets::get(&s.app, &pa.actor, id).await {
        Err(e) => Err(e),
        Ok(d) => match parse_figure(unit_of(&d.view.target.metric), field(&pairs, "amount")) {
            None => Err(AppError::invalid(
                "request.invalid_field",
                "amount",
                "a number is expected",
            )),
            Some(amount) => targets::submit(&s.app, &pa.actor, id, amount).await,
        },
    };
    form_answer(
        &pa,
        result,
        |_| format!("/targets/{id}"),
        "submission",
        &["amount"],
        |fe| show_page(&s, &pa, id, Some(fe)),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// The cascade

pub struct CascadeRow {
    pub index: usize,
    pub label: String,
    pub period: String,
    pub weight: String,
    pub amount: String,
    pub weight_error: Option<String>,
    pub amount_error: Option<String>,
}

pub struct ByTab {
    pub code: &'static str,
    pub label: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "target_cascade.html")]
struct CascadePage {
    l: Layout,
    id: i64,
    t: TargetLine,
    by: String,
    tabs: Vec<ByTab>,
    basis: String,
    rows: Vec<CascadeRow>,
    money: bool,
    weights_total: String,
    typed_total: String,
    error: Option<String>,
}

/// The split a target gets by default: a year into quarters, a quarter into months, a month
/// down the organisation.
fn default_by(period: &str) -> &'static str {
    match TargetPeriod::parse(period).map(|p| p.kind) {
        Some(rules::PeriodKind::Year) => "quarters",
        Some(rules::PeriodKind::Quarter) => "months",
        _ => "children",
    }
}

fn tabs(tr: &Tr, by: &str) -> Vec<ByTab> {
    ["quarters", "months", "children"]
        .into_iter()
        .map(|code| ByTab {
            code,
            label: tr.tk("cascade_by", code),
            active: code == by,
        })
        .collect()
}

/// What the person typed on one row, kept when the form comes back with errors.
#[derive(Default, Clone)]
struct Typed {
    weight: Option<String>,
    amount: Option<String>,
    weight_error: Option<String>,
    amount_error: Option<String>,
}

fn cascade_page(
    pa: &PageActor,
    d: &TargetView,
    by: &str,
    proposal: &CascadeProposal,
    typed: &[Typed],
    error: Option<String>,
) -> CascadePage {
    let tr = pa.tr();
    let unit = unit_of(&d.target.metric);
    let weights: Vec<i64> = proposal.parts.iter().map(|p| p.weight).collect();
    // the proposal's weights as percentages that add up to exactly 100
    let percents = rules::split(10_000, &weights).unwrap_or_else(|_| vec![0; weights.len()]);
    let rows: Vec<CascadeRow> = proposal
        .parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let t = typed.get(i).cloned().unwrap_or_default();
            CascadeRow {
                index: i,
                label: tr.name(&p.label_zh, &p.label_en).to_string(),
                period: p.period.clone(),
                weight: t
                    .weight
                    .unwrap_or_else(|| plain_percent(percents.get(i).copied().unwrap_or(0))),
                amount: t.amount.unwrap_or_else(|| plain_figure(unit, p.amount)),
                weight_error: t.weight_error,
                amount_error: t.amount_error,
            }
        })
        .collect();
    let weights_total = rows
        .iter()
        .map(|r| parse_percent(&r.weight).unwrap_or(0))
        .sum::<i64>();
    let typed_total = rows
        .iter()
        .map(|r| parse_figure(unit, &r.amount).unwrap_or(0))
        .sum::<i64>();
    CascadePage {
        id: d.target.id,
        t: target_line(&tr, d),
        by: by.to_string(),
        tabs: tabs(&tr, by),
        basis: tr.tk("cascade_basis", proposal.basis),
        rows,
        money: unit == Unit::Fen,
        weights_total: format!("{}%", plain_percent(weights_total)),
        typed_total: figure(unit, typed_total),
        error,
        l: Layout::new(pa, "tgt.cascade", "/targets"),
    }
}

#[derive(Deserialize, Default)]
pub struct CascadeQuery {
    #[serde(default)]
    by: String,
}

pub async fn cascade_form(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    q: Result<Query<CascadeQuery>, QueryRejection>,
) -> Response {
    if let Err(e) = pa.actor.require(Capability::SetTargets) {
        return fail(&pa, e);
    }
    let q = q.map(|q| q.0).unwrap_or_default();
    let d = match targets::get(&s.app, &pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return fail(&pa, e),
    };
    let by = match q.by.trim() {
        "" => default_by(&d.view.target.period).to_string(),
        other => other.to_string(),
    };
    match targets::propose_cascade(&s.app, &pa.actor, id, &by, None).await {
        Ok(p) => render(&cascade_page(&pa, &d.view, &by, &p, &[], None)),
        // nothing to split this way (a month into months): say so on the page, with the tabs
        Err(e @ AppError::Invalid(_)) => {
            let empty = CascadeProposal {
                target_id: id,
                by: targets::CascadeBy::Children,
                basis: "equal",
                parts: Vec::new(),
            };
            let message = crate::problem::message_of(&e, &pa.tr());
            render(&cascade_page(&pa, &d.view, &by, &empty, &[], Some(message)))
        }
        Err(e) => fail(&pa, e),
    }
}

/// `by`, `action` (`weights`: recompute the amounts from the typed weights; `save`: save the
/// typed amounts), and per row `weight_<i>` (percent) and `amount_<i>`.
pub async fn cascade_post(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: FormPairs,
) -> Response {
    if let Err(e) = pa.actor.require(Capability::SetTargets) {
        return fail(&pa, e);
    }
    let pairs = pairs_of(form);
    let tr = pa.tr();
    let d = match targets::get(&s.app, &pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return fail(&pa, e),
    };
    let by = match field(&pairs, "by") {
        "" => default_by(&d.view.target.period).to_string(),
        other => other.to_string(),
    };
    // the parts (owners, periods, labels) always come from the server, never from the form
    let proposal = match targets::propose_cascade(&s.app, &pa.actor, id, &by, None).await {
        Ok(p) => p,
        Err(e) => return fail(&pa, e),
    };
    let unit = unit_of(&d.view.target.metric);
    let n = proposal.parts.len();
    let mut typed: Vec<Typed> = (0..n)
        .map(|i| Typed {
            weight: Some(field(&pairs, &format!("weight_{i}")).to_string()),
            amount: Some(field(&pairs, &format!("amount_{i}")).to_string()),
            ..Default::default()
        })
        .collect();
    let bad = |e: AppError| (status_of_err(&e), crate::problem::message_of(&e, &tr));
    if field(&pairs, "action") == "weights" {
        let mut weights = Vec::with_capacity(n);
        for t in typed.iter_mut() {
            match t.weight.as_deref().and_then(parse_percent) {
                Some(w) if w < 0 => {
                    t.weight_error =
                        Some(tr.error("cascade.weight_negative", "cascade.weight_negative"))
                }
                Some(w) => weights.push(w),
                None => {
                    t.weight_error =
                        Some(tr.error("request.invalid_field", "request.invalid_field"))
                }
            }
        }
        if typed.iter().any(|t| t.weight_error.is_some()) {
            let page = cascade_page(&pa, &d.view, &by, &proposal, &typed, None);
            return (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response();
        }
        if weights.iter().sum::<i64>() != 10_000 {
            let e = AppError::invalid(
                "cascade.weights_not_100",
                "weights",
                "the weights must add up to 100%",
            );
            let (status, message) = bad(e);
            let page = cascade_page(&pa, &d.view, &by, &proposal, &typed, Some(message));
            return (status, render(&page)).into_response();
        }
        return match targets::propose_cascade(&s.app, &pa.actor, id, &by, Some(weights)).await {
            Ok(p) => {
                // new amounts from the weights; the weights stay as typed
                let kept: Vec<Typed> = typed
                    .into_iter()
                    .map(|t| Typed { amount: None, ..t })
                    .collect();
                render(&cascade_page(&pa, &d.view, &by, &p, &kept, None))
            }
            Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
                let (status, message) = bad(e);
                let page = cascade_page(&pa, &d.view, &by, &proposal, &typed, Some(message));
                (status, render(&page)).into_response()
            }
            Err(e) => fail(&pa, e),
        };
    }
    // save: every amount must be a number, none negative; the use case checks the sum
    let mut parts = Vec::with_capacity(n);
    for (t, p) in typed.iter_mut().zip(&proposal.parts) {
        match t.amount.as_deref().and_then(|a| parse_figure(unit, a)) {
            Some(a) if a < 0 => {
                t.amount_error = Some(tr.error("target.amount_negative", "target.amount_negative"))
            }
            Some(amount) => parts.push(PartInput {
                node_id: p.node_id,
                person_id: p.person_id,
                period: p.period.clone(),
                amount,
            }),
            None => {
                t.amount_error = Some(tr.error("request.invalid_field", "request.invalid_field"))
            }
        }
    }
    if typed.iter().any(|t| t.amount_error.is_some()) {
        let page = cascade_page(&pa, &d.view, &by, &proposal, &typed, None);
        return (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response();
    }
    match targets::save_cascade(&s.app, &pa.actor, id, parts).await {
        Ok(_) => Redirect::to(&format!("/targets/{id}")).into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let (status, message) = bad(e);
            let page = cascade_page(&pa, &d.view, &by, &proposal, &typed, Some(message));
            (status, render(&page)).into_response()
        }
        Err(e) => fail(&pa, e),
    }
}

fn status_of_err(e: &AppError) -> StatusCode {
    crate::problem::status_of(e)
}

// ---------------------------------------------------------------------------------------------
// Plans

pub struct PlanLine {
    pub id: i64,
    pub name: String,
    pub metric: String,
    pub period: String,
    pub version: i64,
    pub status_code: String,
    pub status: String,
    pub reason: String,
    pub created: String,
}

fn plan_line(tr: &Tr, p: &PlanRow, tz: chrono_tz::Tz) -> PlanLine {
    PlanLine {
        id: p.id,
        name: p.name.clone(),
        metric: tr.tk("metric", &p.metric),
        period: p.period.clone(),
        version: p.version,
        status_code: p.status.clone(),
        status: tr.tk("plan_status", &p.status),
        reason: p.reason.clone().unwrap_or_default(),
        created: format_time(p.created_at, tz),
    }
}

#[derive(Template)]
#[template(path = "plans_list.html")]
struct PlansPage {
    l: Layout,
    plans: Vec<PlanLine>,
    can_set: bool,
    name: String,
    v: TargetForm,
    metrics: Vec<Choice>,
    owners: Vec<Choice>,
    parents: Vec<Choice>,
    error: Option<FormError>,
}

impl PlansPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.at("plan", field))
    }
    fn form_err(&self) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.general("plan"))
    }
}

async fn plans_page(
    s: &AppState,
    pa: &PageActor,
    name: String,
    v: TargetForm,
    error: Option<FormError>,
) -> Response {
    let plans = match targets::list_plans(&s.app, &pa.actor).await {
        Ok(p) => p,
        Err(e) => return fail(pa, e),
    };
    let tr = pa.tr();
    let tz = s.app.config.time_zone;
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let can_set = pa.actor.can(Capability::SetTargets);
    let page = PlansPage {
        plans: plans.iter().map(|p| plan_line(&tr, p, tz)).collect(),
        can_set,
        name,
        metrics: metric_choices(&tr, &v.metric),
        owners: if can_set {
            owner_choices(s, pa, &v.owner)
                .await
                .into_iter()
                .filter(|c| c.code.starts_with("node:"))
                .collect()
        } else {
            Vec::new()
        },
        parents: if can_set {
            parent_choices(s, pa, &v.parent_id).await
        } else {
            Vec::new()
        },
        v,
        error,
        l: Layout::new(pa, "plan.title", "/targets"),
    };
    (status, render(&page)).into_response()
}

pub async fn plans(State(s): State<AppState>, pa: PageActor) -> Response {
    plans_page(&s, &pa, String::new(), TargetForm::default(), None).await
}

const PLAN_FIELDS: [&str; 7] = [
    "name",
    "metric",
    "amount",
    "owner",
    "period",
    "parent_id",
    "note",
];

/// A new plan (v1, draft) with its top target.
pub async fn create_plan(State(s): State<AppState>, pa: PageActor, form: FormPairs) -> Response {
    if let Err(e) = pa.actor.require(Capability::SetTargets) {
        return fail(&pa, e);
    }
    let pairs = pairs_of(form);
    let name = field(&pairs, "name").to_string();
    let v = target_form_of(&pairs);
    let result = match target_input(&v) {
        Ok(top) => targets::create_plan(&s.app, &pa.actor, &name, top).await,
        Err(e) => Err(e),
    };
    form_answer(
        &pa,
        result,
        |d| format!("/plans/{}", d.plan.id),
        "plan",
        &PLAN_FIELDS,
        |fe| plans_page(&s, &pa, name, v, Some(fe)),
    )
    .await
}

/// A plan's list as XLSX or CSV.
pub async fn plans_export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<TableQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let plans = match targets::list_plans(&s.app, &pa.actor).await {
        Ok(p) => p,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let tz = s.app.config.time_zone;
    let rows = plans
        .iter()
        .map(|p| {
            let l = plan_line(&tr, p, tz);
            vec![
                Cell::from(l.name),
                Cell::from(l.metric),
                Cell::from(l.period),
                Cell::Int(l.version),
                Cell::from(l.status),
                Cell::from(l.reason),
                Cell::DateTime(l.created),
            ]
        })
        .collect();
    let columns = [
        "plan.name",
        "tgt.metric",
        "tgt.period",
        "plan.version",
        "plan.status",
        "plan.reason",
        "plan.created",
    ];
    list_download(&tr, "plan.title", &columns, rows, &q.format, "plans")
}

/// One target of a plan with what the targets below it submitted bottom-up.
pub struct PlanTargetLine {
    pub line: TargetLine,
    pub depth: usize,
    pub submitted: String,
    /// Sum of the submissions below, and its gap to this target (only when some were made).
    pub below: Option<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "plan_show.html")]
struct PlanPage {
    l: Layout,
    plan: PlanLine,
    approval_id: Option<i64>,
    versions: Vec<PlanLine>,
    rows: Vec<PlanTargetLine>,
    can_submit: bool,
    can_new_version: bool,
    locked: bool,
    error: Option<FormError>,
}

impl PlanPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.at("plan", field))
    }
    fn form_err(&self) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.general("plan"))
    }
}

/// The versions of the plan `id` belongs to (v1, v2…), oldest first, among those in scope.
fn versions_of(all: &[PlanRow], id: i64) -> Vec<&PlanRow> {
    let mut first = all.iter().find(|p| p.id == id);
    while let Some(prev) = first
        .and_then(|p| p.previous_id)
        .and_then(|prev| all.iter().find(|p| p.id == prev))
    {
        first = Some(prev);
    }
    let mut out = Vec::new();
    let mut at = first;
    while let Some(p) = at {
        out.push(p);
        at = all.iter().find(|n| n.previous_id == Some(p.id));
    }
    out
}

async fn plan_page(s: &AppState, pa: &PageActor, id: i64, error: Option<FormError>) -> Response {
    let d = match targets::get_plan(&s.app, &pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return fail(pa, e),
    };
    let all = match targets::list_plans(&s.app, &pa.actor).await {
        Ok(p) => p,
        Err(e) => return fail(pa, e),
    };
    let tr = pa.tr();
    let tz = s.app.config.time_zone;
    let depth_of = |v: &TargetView| {
        let mut depth = 0;
        let mut at = v.target.parent_id;
        while let Some(p) = at.and_then(|p| d.targets.iter().find(|t| t.target.id == p)) {
            depth += 1;
            at = p.target.parent_id;
        }
        depth
    };
    let rows = d
        .targets
        .iter()
        .map(|v| {
            let unit = unit_of(&v.target.metric);
            let below: Vec<i64> = d
                .targets
                .iter()
                .filter(|c| c.target.parent_id == Some(v.target.id))
                .filter_map(|c| c.target.submitted_amount)
                .collect();
            PlanTargetLine {
                line: target_line(&tr, v),
                depth: depth_of(v),
                submitted: v
                    .target
                    .submitted_amount
                    .map(|x| figure(unit, x))
                    .unwrap_or_default(),
                below: (!below.is_empty()).then(|| {
                    let sum: i64 = below.iter().sum();
                    let gap = sum - v.target.amount;
                    (figure(unit, sum), figure(unit, gap), gap < 0)
                }),
            }
        })
        .collect();
    let can_set = pa.actor.can(Capability::SetTargets);
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let page = PlanPage {
        plan: plan_line(&tr, &d.plan, tz),
        approval_id: d.plan.approval_id,
        versions: versions_of(&all, id)
            .into_iter()
            .map(|p| plan_line(&tr, p, tz))
            .collect(),
        rows,
        can_submit: can_set && d.plan.status == "draft",
        can_new_version: can_set && d.plan.status == "approved",
        locked: matches!(
            d.plan.status.as_str(),
            "pending" | "approved" | "superseded"
        ),
        error,
        l: Layout::new(pa, "plan.title", "/targets"),
    };
    (status, render(&page)).into_response()
}

pub async fn plan(State(s): State<AppState>, pa: PageActor, PageId(id): PageId) -> Response {
    plan_page(&s, &pa, id, None).await
}

/// A plan's targets (with the bottom-up submissions) as XLSX or CSV.
pub async fn plan_export(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    q: Result<Query<TableQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let d = match targets::get_plan(&s.app, &pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let sheet = Sheet {
        title: format!("{} v{}", d.plan.name, d.plan.version),
        headers: target_headers(&tr),
        rows: d.targets.iter().map(|v| target_cells(&tr, v)).collect(),
    };
    download(
        &sheet,
        format_of(&q.format),
        &format!("plan-{id}-v{}", d.plan.version),
    )
}

async fn after_plan_action(
    s: &AppState,
    pa: &PageActor,
    id: i64,
    result: Result<targets::PlanDetail, AppError>,
) -> Response {
    form_answer(
        pa,
        result,
        |d| format!("/plans/{}", d.plan.id),
        "plan",
        &["reason"],
        |fe| plan_page(s, pa, id, Some(fe)),
    )
    .await
}

pub async fn submit_plan(State(s): State<AppState>, pa: PageActor, PageId(id): PageId) -> Response {
    let result = targets::submit_plan(&s.app, &pa.actor, id).await;
    after_plan_action(&s, &pa, id, result).await
}

pub async fn new_version(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: FormPairs,
) -> Response {
    let pairs = pairs_of(form);
    let result = targets::new_version(&s.app, &pa.actor, id, field(&pairs, "reason")).await;
    after_plan_action(&s, &pa, id, result).await
}

// ---------------------------------------------------------------------------------------------
// The month's focus

pub struct GoalInput {
    pub node_id: i64,
    pub market: String,
    pub value: String,
}

pub struct ItemForm {
    pub n: usize,
    pub main: bool,
    pub title: String,
    pub detail: String,
    pub goals: Vec<GoalInput>,
}

#[derive(Template)]
#[template(path = "focus.html")]
struct FocusPage {
    l: Layout,
    month: String,
    focus: Vec<FocusView>,
    can_publish: bool,
    items: Vec<ItemForm>,
    error: Option<FormError>,
}

impl FocusPage {
    fn form_err(&self) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.general("focus"))
    }
}

#[derive(Deserialize, Default)]
pub struct FocusQuery {
    #[serde(default)]
    month: String,
}

async fn focus_page(
    s: &AppState,
    pa: &PageActor,
    month: String,
    typed: Option<&[(String, String)]>,
    error: Option<FormError>,
) -> Response {
    if let Err(e) = pa.actor.require(Capability::ViewTargets) {
        return fail(pa, e);
    }
    let tr = pa.tr();
    let published = match targets::focus(&s.app, &month).await {
        Ok(f) => f,
        Err(e) => return fail(pa, e),
    };
    let can_publish = pa.actor.can(Capability::PublishFocus);
    let markets: Vec<(i64, String)> = if can_publish {
        org::tree(&s.app, &pa.actor)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|n| n.active && n.kind == "market")
            .map(|n| (n.id, tr.name(&n.name_zh, &n.name_en).to_string()))
            .collect()
    } else {
        Vec::new()
    };
    let items = (1..=3)
        .map(|n| {
            let existing = published.iter().find(|f| f.rank == n as i64);
            let value = |name: &str, stored: Option<&str>| match typed {
                Some(pairs) => field(pairs, name).to_string(),
                None => stored.unwrap_or_default().to_string(),
            };
            ItemForm {
                n,
                main: n == 1,
                title: value(&format!("title_{n}"), existing.map(|f| f.title.as_str())),
                detail: value(
                    &format!("detail_{n}"),
                    existing.and_then(|f| f.detail.as_deref()),
                ),
                goals: markets
                    .iter()
                    .map(|(id, name)| GoalInput {
                        node_id: *id,
                        market: name.clone(),
                        value: value(
                            &format!("goal_{n}_{id}"),
                            existing.and_then(|f| {
                                f.goals
                                    .iter()
                                    .find(|g| g.node_id == *id)
                                    .map(|g| g.goal.as_str())
                            }),
                        ),
                    })
                    .collect(),
            }
        })
        .collect();
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let page = FocusPage {
        focus: focus_views(&tr, &published),
        month,
        can_publish,
        items,
        error,
        l: Layout::new(pa, "focus.title", "/targets"),
    };
    (status, render(&page)).into_response()
}

fn this_month(s: &AppState) -> String {
    s.app.today().get(..7).unwrap_or_default().to_string()
}

pub async fn focus(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<FocusQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let month = match q.month.trim() {
        "" => this_month(&s),
        m => m.to_string(),
    };
    focus_page(&s, &pa, month, None, None).await
}

/// `month`, and per priority n = 1 (main), 2, 3: `title_<n>`, `detail_<n>` and
/// `goal_<n>_<market id>`. A secondary priority left wholly empty is not published.
pub async fn publish_focus(State(s): State<AppState>, pa: PageActor, form: FormPairs) -> Response {
    let pairs = pairs_of(form);
    let month = field(&pairs, "month").to_string();
    let mut items = Vec::new();
    for n in 1..=3 {
        let prefix = format!("goal_{n}_");
        let goals: Vec<(i64, String)> = pairs
            .iter()
            .filter_map(|(k, v)| {
                let node = k.strip_prefix(&prefix)?.parse().ok()?;
                let goal = v.trim();
                (!goal.is_empty()).then(|| (node, goal.to_string()))
            })
            .collect();
        let title = field(&pairs, &format!("title_{n}")).to_string();
        let detail = field(&pairs, &format!("detail_{n}")).to_string();
        if n > 1 && title.is_empty() && detail.is_empty() && goals.is_empty() {
            continue;
        }
        items.push(FocusItemInput {
            title,
            detail: Some(detail).filter(|d| !d.is_empty()),
            goals,
        });
    }
    form_answer(
        &pa,
        targets::publish_focus(&s.app, &pa.actor, &month, items).await,
        |_| format!("/focus?month={}", urlencode(&month)),
        "focus",
        &[],
        |fe| {
            let shown = if TargetPeriod::parse(&month).is_some() {
                month.clone()
            } else {
                this_month(&s)
            };
            focus_page(&s, &pa, shown, Some(&pairs), Some(fe))
        },
    )
    .await
}
