//! Report pages (printable) and their XLSX/CSV exports: receivables aging with DSO, the overdue
//! follow-up list per rep, a dealer's reconciliation statement and the monthly OSB review.

use super::{fail, render, Layout, PageId};
use crate::export::{download, Cell, ExportFormat, Sheet};
use crate::i18n::Tr;
use crate::session::{urlencode, PageActor};
use crate::AppState;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use salesos_app::reports::{
    self, AgingParams, AgingReport, GroupBy, OsbParams, OsbReport, OsbRow, OverdueParams,
    OverdueReport, Statement, StatementParams,
};
use salesos_domain::receivables::DayTenths;
use salesos_domain::Money;
use serde::Deserialize;

fn money(fen: i64) -> String {
    Money(fen).to_string()
}

fn tenths(v: Option<i64>) -> String {
    v.map_or_else(|| "—".to_string(), |t| DayTenths(t).to_string())
}

fn percent(v: Option<i64>) -> String {
    v.map_or_else(|| "—".to_string(), |p| format!("{} %", DayTenths(p)))
}

fn opt(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// A number typed in a form: empty is "not given"; anything unreadable is passed on as an
/// out-of-range value so the rule reports it against its field.
fn opt_int(text: &str) -> Option<i64> {
    opt(text).map(|t| t.parse::<i64>().unwrap_or(-1))
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", urlencode(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
}

fn bucket_label(tr: &Tr, key: &str) -> String {
    if key == "current" {
        tr.t("reports.bucket_current").to_string()
    } else {
        key.to_string()
    }
}

fn format_of(text: &str) -> ExportFormat {
    ExportFormat::parse(text.trim()).unwrap_or(ExportFormat::Xlsx)
}

// ---------------------------------------------------------------------------------------------
// Aging

#[derive(Deserialize, Default)]
pub struct AgingQuery {
    #[serde(default)]
    as_of: String,
    #[serde(default)]
    buckets: String,
    #[serde(default)]
    group_by: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    format: String,
}

impl AgingQuery {
    fn params(&self) -> AgingParams {
        AgingParams {
            as_of: opt(&self.as_of),
            buckets: opt(&self.buckets),
            group_by: opt(&self.group_by),
            from: opt(&self.from),
        }
    }
}

pub struct AgingLine {
    pub href: Option<String>,
    pub code: String,
    pub name: String,
    pub buckets: Vec<String>,
    pub total: String,
}

#[derive(Template)]
#[template(path = "reports_aging.html")]
struct AgingPage {
    l: Layout,
    r: AgingReport,
    labels: Vec<String>,
    lines: Vec<AgingLine>,
    totals: Vec<String>,
    total: String,
    dso: String,
    groups: Vec<(String, String, bool)>,
    buckets: String,
    from: String,
    export_query: String,
}

fn aging_name(tr: &Tr, group_by: GroupBy) -> String {
    tr.tk("reports.group", group_by.code())
}

pub async fn aging(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<AgingQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let r = match reports::aging(&s.app, &pa.actor, &q.params()).await {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let lines = r
        .groups
        .iter()
        .map(|g| AgingLine {
            href: (r.group_by == GroupBy::Dealer).then(|| format!("/reports/statements/{}", g.id)),
            code: g.code.clone(),
            name: tr.name(&g.name_zh, &g.name_en).to_string(),
            buckets: g.buckets_fen.iter().map(|f| money(*f)).collect(),
            total: money(g.total_fen),
        })
        .collect();
    let groups = GroupBy::ALL
        .iter()
        .map(|g| (g.code().to_string(), aging_name(&tr, *g), *g == r.group_by))
        .collect();
    let buckets = r
        .boundaries
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let export_query = query_string(&[
        ("as_of", &r.as_of),
        ("buckets", &buckets),
        ("group_by", r.group_by.code()),
        ("from", &r.dso.from),
    ]);
    render(&AgingPage {
        labels: r.labels.iter().map(|k| bucket_label(&tr, k)).collect(),
        lines,
        totals: r.totals_fen.iter().map(|f| money(*f)).collect(),
        total: money(r.total_fen),
        dso: tenths(r.dso.dso_tenths),
        groups,
        from: r.dso.from.clone(),
        buckets,
        export_query,
        l: Layout::new(&pa, "reports.aging_title", "/reports/aging"),
        r,
    })
}

pub async fn aging_export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<AgingQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let r = match reports::aging(&s.app, &pa.actor, &q.params()).await {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let mut headers = vec![
        tr.t("reports.code").to_string(),
        aging_name(&tr, r.group_by),
    ];
    headers.extend(r.labels.iter().map(|k| bucket_label(&tr, k)));
    headers.push(tr.t("reports.total").to_string());
    let mut rows: Vec<Vec<Cell>> = r
        .groups
        .iter()
        .map(|g| {
            let mut row = vec![
                Cell::from(g.code.clone()),
                Cell::from(tr.name(&g.name_zh, &g.name_en).to_string()),
            ];
            row.extend(g.buckets_fen.iter().map(|f| Cell::Money(Money(*f))));
            row.push(Cell::Money(Money(g.total_fen)));
            row
        })
        .collect();
    let mut total_row = vec![Cell::Empty, Cell::from(tr.t("reports.total"))];
    total_row.extend(r.totals_fen.iter().map(|f| Cell::Money(Money(*f))));
    total_row.push(Cell::Money(Money(r.total_fen)));
    rows.push(total_row);
    let sheet = Sheet {
        title: tr.t("reports.aging_title").to_string(),
        headers,
        rows,
    };
    download(&sheet, format_of(&q.format), &format!("aging-{}", r.as_of))
}

// ---------------------------------------------------------------------------------------------
// Overdue follow-up list

#[derive(Deserialize, Default)]
pub struct OverdueQuery {
    #[serde(default)]
    as_of: String,
    #[serde(default)]
    grace_days: String,
    #[serde(default)]
    format: String,
}

impl OverdueQuery {
    fn params(&self) -> OverdueParams {
        OverdueParams {
            as_of: opt(&self.as_of),
            grace_days: opt_int(&self.grace_days),
            owner_id: None,
        }
    }
}

#[derive(Template)]
#[template(path = "reports_overdue.html")]
struct OverduePage {
    l: Layout,
    r: OverdueReport,
    export_query: String,
}

pub async fn overdue(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<OverdueQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    match reports::overdue_list(&s.app, &pa.actor, &q.params()).await {
        Ok(r) => render(&OverduePage {
            export_query: query_string(&[
                ("as_of", &r.as_of),
                ("grace_days", &r.grace_days.to_string()),
            ]),
            l: Layout::new(&pa, "reports.overdue_title", "/reports/aging"),
            r,
        }),
        Err(e) => fail(&pa, e),
    }
}

pub async fn overdue_export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<OverdueQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let r = match reports::overdue_list(&s.app, &pa.actor, &q.params()).await {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let headers = [
        "reports.rep",
        "reports.dealer_code",
        "reports.dealer",
        "reports.phone",
        "reports.invoice",
        "reports.invoice_date",
        "reports.due_date",
        "reports.days_overdue",
        "reports.open_amount",
    ]
    .iter()
    .map(|k| tr.t(k).to_string())
    .collect();
    let rows = r
        .reps
        .iter()
        .flat_map(|rep| {
            rep.lines.iter().map(move |line| {
                vec![
                    Cell::from(rep.owner_name.clone()),
                    Cell::from(line.dealer_code.clone()),
                    Cell::from(line.dealer_name.clone()),
                    Cell::from(line.phone.clone()),
                    Cell::from(line.invoice_number.clone()),
                    Cell::Date(line.invoice_date.clone()),
                    Cell::Date(line.due_date.clone()),
                    Cell::Int(line.days_overdue),
                    Cell::Money(Money(line.open_fen)),
                ]
            })
        })
        .collect();
    let sheet = Sheet {
        title: tr.t("reports.overdue_title").to_string(),
        headers,
        rows,
    };
    download(
        &sheet,
        format_of(&q.format),
        &format!("overdue-{}", r.as_of),
    )
}

// ---------------------------------------------------------------------------------------------
// Reconciliation statement

#[derive(Deserialize, Default)]
pub struct StatementQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    format: String,
}

impl StatementQuery {
    fn params(&self) -> StatementParams {
        StatementParams {
            from: opt(&self.from),
            to: opt(&self.to),
        }
    }
}

pub struct StatementLineView {
    pub date: String,
    pub kind: String,
    pub doc_number: String,
    pub debit: String,
    pub credit: String,
    pub balance: String,
}

#[derive(Template)]
#[template(path = "reports_statement.html")]
struct StatementPage {
    l: Layout,
    r: Statement,
    lines: Vec<StatementLineView>,
    opening: String,
    closing: String,
    total_debit: String,
    total_credit: String,
    export_query: String,
}

pub async fn statement(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    q: Result<Query<StatementQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let r = match reports::statement(&s.app, &pa.actor, id, &q.params()).await {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let lines = r
        .lines
        .iter()
        .map(|x| StatementLineView {
            date: x.date.clone(),
            kind: tr.tk("reports.entry", &x.kind),
            doc_number: x.doc_number.clone(),
            debit: if x.debit_fen == 0 {
                String::new()
            } else {
                money(x.debit_fen)
            },
            credit: if x.credit_fen == 0 {
                String::new()
            } else {
                money(x.credit_fen)
            },
            balance: money(x.balance_fen),
        })
        .collect();
    render(&StatementPage {
        lines,
        opening: money(r.opening_fen),
        closing: money(r.closing_fen),
        total_debit: money(r.total_debit_fen),
        total_credit: money(r.total_credit_fen),
        export_query: query_string(&[("from", &r.from), ("to", &r.to)]),
        l: Layout::new(&pa, "reports.statement_title", "/reports/aging"),
        r,
    })
}

pub async fn statement_export(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    q: Result<Query<StatementQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let r = match reports::statement(&s.app, &pa.actor, id, &q.params()).await {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let headers = [
        "reports.date",
        "reports.kind",
        "reports.document",
        "reports.debit",
        "reports.credit",
        "reports.balance",
    ]
    .iter()
    .map(|k| tr.t(k).to_string())
    .collect();
    let mut rows = vec![vec![
        Cell::Date(r.from.clone()),
        Cell::from(tr.t("reports.opening")),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Money(Money(r.opening_fen)),
    ]];
    for x in &r.lines {
        rows.push(vec![
            Cell::Date(x.date.clone()),
            Cell::from(tr.tk("reports.entry", &x.kind)),
            Cell::from(x.doc_number.clone()),
            Cell::Money(Money(x.debit_fen)),
            Cell::Money(Money(x.credit_fen)),
            Cell::Money(Money(x.balance_fen)),
        ]);
    }
    rows.push(vec![
        Cell::Date(r.to.clone()),
        Cell::from(tr.t("reports.closing")),
        Cell::Empty,
        Cell::Money(Money(r.total_debit_fen)),
        Cell::Money(Money(r.total_credit_fen)),
        Cell::Money(Money(r.closing_fen)),
    ]);
    let sheet = Sheet {
        title: format!("{} {}", tr.t("reports.statement_title"), r.dealer.code),
        headers,
        rows,
    };
    download(
        &sheet,
        format_of(&q.format),
        &format!("statement-{}-{}-{}", r.dealer.id, r.from, r.to),
    )
}

// ---------------------------------------------------------------------------------------------
// Monthly OSB review

#[derive(Deserialize, Default)]
pub struct OsbQuery {
    #[serde(default)]
    month: String,
    #[serde(default)]
    on_time_days: String,
    #[serde(default)]
    format: String,
}

impl OsbQuery {
    fn params(&self) -> OsbParams {
        OsbParams {
            month: opt(&self.month),
            on_time_days: opt_int(&self.on_time_days),
        }
    }
}

pub struct OsbLine {
    pub name: String,
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "reports_osb.html")]
struct OsbPage {
    l: Layout,
    r: OsbReport,
    headers: Vec<String>,
    lines: Vec<OsbLine>,
    total: OsbLine,
    export_query: String,
}

const OSB_HEADERS: [&str; 13] = [
    "reports.orders",
    "reports.order_amount",
    "reports.fill_rate",
    "reports.on_time",
    "reports.invoiced",
    "reports.open_amount",
    "reports.dso",
    "reports.overdue_amount",
    "reports.holds_opened",
    "reports.holds_released",
    "reports.returns",
    "reports.returns_amount",
    "reports.confirmed_orders",
];

fn osb_line(tr: &Tr, r: &OsbRow) -> OsbLine {
    OsbLine {
        name: tr.name(&r.name_zh, &r.name_en).to_string(),
        cells: vec![
            r.orders.to_string(),
            money(r.order_amount_fen),
            percent(r.fill_rate_permille),
            percent(r.on_time_permille),
            money(r.invoiced_fen),
            money(r.open_fen),
            tenths(r.dso_tenths),
            money(r.overdue_fen),
            r.holds_opened.to_string(),
            r.holds_released.to_string(),
            r.returns.to_string(),
            money(r.returns_fen),
            r.confirmed_orders.to_string(),
        ],
    }
}

fn osb_cells(r: &OsbRow, name: String) -> Vec<Cell> {
    let ratio = |v: Option<i64>| v.map_or(Cell::Empty, |p| Cell::Text(DayTenths(p).to_string()));
    vec![
        Cell::from(r.code.clone()),
        Cell::from(name),
        Cell::Int(r.orders),
        Cell::Money(Money(r.order_amount_fen)),
        ratio(r.fill_rate_permille),
        ratio(r.on_time_permille),
        Cell::Money(Money(r.invoiced_fen)),
        Cell::Money(Money(r.open_fen)),
        ratio(r.dso_tenths),
        Cell::Money(Money(r.overdue_fen)),
        Cell::Int(r.holds_opened),
        Cell::Int(r.holds_released),
        Cell::Int(r.returns),
        Cell::Money(Money(r.returns_fen)),
        Cell::Int(r.confirmed_orders),
    ]
}

pub async fn osb(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<OsbQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let r = match reports::osb_review(&s.app, &pa.actor, &q.params()).await {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    render(&OsbPage {
        headers: OSB_HEADERS.iter().map(|k| tr.t(k).to_string()).collect(),
        lines: r.rows.iter().map(|x| osb_line(&tr, x)).collect(),
        total: osb_line(&tr, &r.total),
        export_query: query_string(&[
            ("month", &r.month),
            ("on_time_days", &r.on_time_days.to_string()),
        ]),
        l: Layout::new(&pa, "reports.osb_title", "/reports/aging"),
        r,
    })
}

pub async fn osb_export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<OsbQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let r = match reports::osb_review(&s.app, &pa.actor, &q.params()).await {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let mut headers = vec![
        tr.t("reports.code").to_string(),
        tr.t("reports.market").to_string(),
    ];
    headers.extend(OSB_HEADERS.iter().map(|k| tr.t(k).to_string()));
    let mut rows: Vec<Vec<Cell>> = r
        .rows
        .iter()
        .map(|x| osb_cells(x, tr.name(&x.name_zh, &x.name_en).to_string()))
        .collect();
    rows.push(osb_cells(&r.total, tr.t("reports.total").to_string()));
    let sheet = Sheet {
        title: format!("{} {}", tr.t("reports.osb_title"), r.month),
        headers,
        rows,
    };
    download(&sheet, format_of(&q.format), &format!("osb-{}", r.month))
}
