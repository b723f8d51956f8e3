//! Order-to-cash reports: receivables aging (configurable buckets, grouped by dealer, rep, area
//! or market) with DSO, the overdue list per rep for the weekly follow-up calls, a dealer's
//! reconciliation statement (对账单) and the monthly OSB review per market.
//!
//! All read-only: one report connection (the PostgreSQL read replica when one is configured,
//! see `Store::report_read`), every query scoped in the store, the arithmetic done by the pure
//! rules in `salesos_domain::receivables`. Dates are company-calendar days.

use crate::dates::parse_day;
use crate::{Actor, App, AppError};
use chrono::{Datelike, NaiveDate, TimeZone};
use salesos_domain::org::OrgPath;
use salesos_domain::receivables::{
    days_sales_outstanding, overdue, AgingBuckets, OpenInvoice, MAX_DSO_PERIOD_DAYS,
};
use salesos_domain::roles::Capability;
use salesos_domain::{FieldError, Money};
use salesos_store::reports::{self as store, OpenInvoiceRow, StatementDealer, UnitLabel};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Default on-time window: shipped within this many days of confirmation.
pub const DEFAULT_ON_TIME_DAYS: i64 = 3;
pub const MAX_ON_TIME_DAYS: i64 = 60;
/// Default DSO period: the 90 days ending on the as-of day.
pub const DEFAULT_DSO_DAYS: i64 = 90;

fn date(text: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| AppError::Internal(format!("stored date {text:?} is not YYYY-MM-DD")))
}

fn day(raw: Option<&str>, today: &str, field: &'static str) -> Result<NaiveDate, AppError> {
    date(&parse_day(raw, today, field)?)
}

/// A domain rule's error, reported against the request's own parameter name.
fn at_field(e: FieldError, field: &'static str) -> AppError {
    AppError::Invalid(FieldError::new(e.code, field, e.message))
}

/// `30,60,90` → validated aging buckets; empty means the default `0,30,60,90`.
pub fn parse_buckets(raw: Option<&str>) -> Result<AgingBuckets, AppError> {
    let text = raw.map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Ok(AgingBuckets::default());
    }
    let mut boundaries = Vec::new();
    for part in text.split(',') {
        let n = part.trim().parse::<i64>().map_err(|_| {
            AppError::invalid(
                "report.buckets_invalid",
                "buckets",
                "aging buckets are whole numbers of days separated by commas, e.g. 30,60,90",
            )
        })?;
        boundaries.push(n);
    }
    AgingBuckets::new(&boundaries).map_err(|e| at_field(e, "buckets"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Dealer,
    Rep,
    Area,
    Market,
}

impl GroupBy {
    pub const ALL: [GroupBy; 4] = [
        GroupBy::Dealer,
        GroupBy::Rep,
        GroupBy::Area,
        GroupBy::Market,
    ];

    pub fn code(self) -> &'static str {
        match self {
            GroupBy::Dealer => "dealer",
            GroupBy::Rep => "rep",
            GroupBy::Area => "area",
            GroupBy::Market => "market",
        }
    }

    pub fn parse(raw: Option<&str>) -> Result<GroupBy, AppError> {
        let text = raw.map(str::trim).unwrap_or_default();
        if text.is_empty() {
            return Ok(GroupBy::Dealer);
        }
        GroupBy::ALL
            .into_iter()
            .find(|g| g.code() == text)
            .ok_or_else(|| {
                AppError::invalid(
                    "report.group_invalid",
                    "group_by",
                    "group by dealer, rep, area or market",
                )
            })
    }
}

/// Rolls organisation paths up to the unit of one kind (area, market) above them.
struct Units {
    by_id: HashMap<i64, UnitLabel>,
}

impl Units {
    async fn load(conn: &mut salesos_store::Conn) -> Result<Units, AppError> {
        let by_id = store::unit_labels_unscoped(conn)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        Ok(Units { by_id })
    }

    /// The unit of `kind` on `path`, if the path reaches down to one.
    fn of_kind(&self, path: &str, kind: &str) -> Option<&UnitLabel> {
        OrgPath::parse(path)?
            .ids()
            .into_iter()
            .filter_map(|id| self.by_id.get(&id.0))
            .find(|u| u.kind == kind)
    }
}

/// One line of an aging report.
#[derive(Debug, Clone, Serialize)]
pub struct AgingGroup {
    /// The dealer, rep (owner of the invoices), area or market id; 0 for records above any
    /// area or market.
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Open amounts per bucket, in the order of `labels`.
    pub buckets_fen: Vec<i64>,
    pub total_fen: i64,
    pub invoices: i64,
}

/// Days sales outstanding over a period ending on the as-of day.
#[derive(Debug, Clone, Serialize)]
pub struct Dso {
    pub from: String,
    pub to: String,
    pub days: i64,
    /// Open receivables on `to`.
    pub open_fen: i64,
    /// Invoiced (credit sales) in `[from, to]`.
    pub sales_fen: i64,
    /// Tenths of a day (`453` = 45.3 days); absent when nothing was invoiced.
    pub dso_tenths: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgingReport {
    pub as_of: String,
    pub group_by: GroupBy,
    pub boundaries: Vec<i64>,
    /// Stable bucket keys: `current`, `1-30`, …, `90+`.
    pub labels: Vec<String>,
    pub groups: Vec<AgingGroup>,
    pub totals_fen: Vec<i64>,
    pub total_fen: i64,
    pub dso: Dso,
}

#[derive(Debug, Clone, Default)]
pub struct AgingParams {
    pub as_of: Option<String>,
    pub buckets: Option<String>,
    pub group_by: Option<String>,
    /// First day of the DSO period (default: 89 days before `as_of`).
    pub from: Option<String>,
}

fn open_of(rows: &[OpenInvoiceRow]) -> Result<Vec<OpenInvoice>, AppError> {
    rows.iter()
        .map(|r| {
            Ok(OpenInvoice {
                id: r.id,
                invoice_date: date(&r.invoice_date)?,
                due_date: date(&r.due_date)?,
                open: Money(r.open_fen),
            })
        })
        .collect()
}

fn sum_fen(values: impl IntoIterator<Item = i64>) -> Result<i64, AppError> {
    let total: i128 = values.into_iter().map(i128::from).sum();
    i64::try_from(total).map_err(|_| {
        AppError::invalid(
            "receivables.amount_overflow",
            "amount",
            "the amounts are too large to add up",
        )
    })
}

fn dso_over(
    from: NaiveDate,
    to: NaiveDate,
    open_fen: i64,
    sales_fen: i64,
) -> Result<Dso, AppError> {
    let days = (to - from).num_days() + 1;
    if !(1..=MAX_DSO_PERIOD_DAYS).contains(&days) {
        return Err(AppError::invalid(
            "receivables.period_days_invalid",
            "from",
            format!("a DSO period is 1 to {MAX_DSO_PERIOD_DAYS} days"),
        ));
    }
    let dso = days_sales_outstanding(Money(open_fen), Money(sales_fen), days)
        .map_err(|e| at_field(e, "from"))?;
    Ok(Dso {
        from: from.to_string(),
        to: to.to_string(),
        days,
        open_fen,
        sales_fen,
        dso_tenths: dso.map(|d| d.0),
    })
}

pub async fn aging(app: &App, actor: &Actor, p: &AgingParams) -> Result<AgingReport, AppError> {
    actor.require(Capability::ViewReports)?;
    let today = app.today();
    let as_of = day(p.as_of.as_deref(), &today, "as_of")?;
    let buckets = parse_buckets(p.buckets.as_deref())?;
    let group_by = GroupBy::parse(p.group_by.as_deref())?;
    let from = match p.from.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => day(Some(text), &today, "from")?,
        None => as_of - chrono::Duration::days(DEFAULT_DSO_DAYS - 1),
    };
    if from > as_of {
        return Err(AppError::invalid(
            "report.period_invalid",
            "from",
            "the period must start on or before its end",
        ));
    }
    let mut conn = app.store.report_read().await?;
    let rows = store::open_invoices(&mut conn, &actor.scope, &as_of.to_string()).await?;
    let units = Units::load(&mut conn).await?;
    let sales = store::invoiced_by_path(
        &mut conn,
        &actor.scope,
        &from.to_string(),
        &as_of.to_string(),
    )
    .await?;

    let mut groups: BTreeMap<(String, i64), (AgingGroup, Vec<OpenInvoice>)> = BTreeMap::new();
    for (row, invoice) in rows.iter().zip(open_of(&rows)?) {
        let (id, code, zh, en) = match group_by {
            GroupBy::Dealer => (
                row.dealer_id,
                row.dealer_code.clone(),
                row.dealer_name.clone(),
                row.dealer_name.clone(),
            ),
            GroupBy::Rep => (
                row.owner_id,
                String::new(),
                row.owner_name.clone(),
                row.owner_name.clone(),
            ),
            GroupBy::Area | GroupBy::Market => {
                let kind = if group_by == GroupBy::Area {
                    "area"
                } else {
                    "market"
                };
                match units.of_kind(&row.node_path, kind) {
                    Some(u) => (u.id, u.code.clone(), u.name_zh.clone(), u.name_en.clone()),
                    None => (0, String::new(), "—".to_string(), "—".to_string()),
                }
            }
        };
        let sort = if code.is_empty() {
            zh.clone()
        } else {
            code.clone()
        };
        let entry = groups.entry((sort, id)).or_insert_with(|| {
            (
                AgingGroup {
                    id,
                    code,
                    name_zh: zh,
                    name_en: en,
                    buckets_fen: Vec::new(),
                    total_fen: 0,
                    invoices: 0,
                },
                Vec::new(),
            )
        });
        entry.1.push(invoice);
    }
    let mut out = Vec::with_capacity(groups.len());
    let mut totals = vec![0i64; buckets.bucket_count()];
    for (_, (mut group, invoices)) in groups {
        let aged = buckets.age(&invoices, as_of)?;
        group.buckets_fen = aged.iter().map(|m| m.0).collect();
        group.total_fen = sum_fen(group.buckets_fen.iter().copied())?;
        group.invoices = i64::try_from(invoices.len()).unwrap_or(i64::MAX);
        for (t, v) in totals.iter_mut().zip(&group.buckets_fen) {
            *t = sum_fen([*t, *v])?;
        }
        out.push(group);
    }
    let total_fen = sum_fen(totals.iter().copied())?;
    let sales_fen = sum_fen(sales.iter().map(|s| s.amount_fen))?;
    let dso = dso_over(from, as_of, total_fen, sales_fen)?;
    Ok(AgingReport {
        as_of: as_of.to_string(),
        group_by,
        boundaries: buckets.boundaries().to_vec(),
        labels: buckets.labels(),
        groups: out,
        totals_fen: totals,
        total_fen,
        dso,
    })
}

/// One invoice on the follow-up list.
#[derive(Debug, Clone, Serialize)]
pub struct OverdueLine {
    pub invoice_id: i64,
    pub invoice_number: String,
    pub invoice_date: String,
    pub due_date: String,
    pub days_overdue: i64,
    pub open_fen: i64,
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    pub phone: Option<String>,
}

/// A rep's overdue invoices, most overdue first.
#[derive(Debug, Clone, Serialize)]
pub struct OverdueRep {
    pub owner_id: i64,
    pub owner_name: String,
    pub amount_fen: i64,
    pub invoices: i64,
    pub oldest_days: Option<i64>,
    pub lines: Vec<OverdueLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OverdueReport {
    pub as_of: String,
    pub grace_days: i64,
    pub reps: Vec<OverdueRep>,
    pub total_fen: i64,
}

#[derive(Debug, Clone, Default)]
pub struct OverdueParams {
    pub as_of: Option<String>,
    pub grace_days: Option<i64>,
    /// Only this rep's invoices.
    pub owner_id: Option<i64>,
}

pub async fn overdue_list(
    app: &App,
    actor: &Actor,
    p: &OverdueParams,
) -> Result<OverdueReport, AppError> {
    actor.require(Capability::ViewReports)?;
    let today = app.today();
    let as_of = day(p.as_of.as_deref(), &today, "as_of")?;
    let grace_days = p.grace_days.unwrap_or(0);
    // validates the grace period even when nothing is open
    overdue(&[], as_of, grace_days)?;
    let mut conn = app.store.report_read().await?;
    let rows = store::open_invoices(&mut conn, &actor.scope, &as_of.to_string()).await?;
    let mut by_rep: BTreeMap<(String, i64), Vec<(&OpenInvoiceRow, OpenInvoice)>> = BTreeMap::new();
    for (row, invoice) in rows.iter().zip(open_of(&rows)?) {
        if p.owner_id.is_some_and(|o| o != row.owner_id) {
            continue;
        }
        if invoice.days_overdue(as_of) > grace_days {
            by_rep
                .entry((row.owner_name.clone(), row.owner_id))
                .or_default()
                .push((row, invoice));
        }
    }
    let mut reps = Vec::with_capacity(by_rep.len());
    for ((owner_name, owner_id), mut items) in by_rep {
        let invoices: Vec<OpenInvoice> = items.iter().map(|(_, i)| *i).collect();
        let o = overdue(&invoices, as_of, grace_days)?;
        items.sort_by_key(|(r, i)| (-i.days_overdue(as_of), r.dealer_code.clone(), r.id));
        reps.push(OverdueRep {
            owner_id,
            owner_name,
            amount_fen: o.amount.0,
            invoices: i64::try_from(o.invoices).unwrap_or(i64::MAX),
            oldest_days: o.oldest_days,
            lines: items
                .into_iter()
                .map(|(r, i)| OverdueLine {
                    invoice_id: r.id,
                    invoice_number: r.number.clone(),
                    invoice_date: r.invoice_date.clone(),
                    due_date: r.due_date.clone(),
                    days_overdue: i.days_overdue(as_of),
                    open_fen: r.open_fen,
                    dealer_id: r.dealer_id,
                    dealer_code: r.dealer_code.clone(),
                    dealer_name: r.dealer_name.clone(),
                    phone: r.phone.clone(),
                })
                .collect(),
        });
    }
    let total_fen = sum_fen(reps.iter().map(|r| r.amount_fen))?;
    Ok(OverdueReport {
        as_of: as_of.to_string(),
        grace_days,
        reps,
        total_fen,
    })
}

/// One movement on a statement: invoices are debits, payments and credit notes credits.
#[derive(Debug, Clone, Serialize)]
pub struct StatementLine {
    pub date: String,
    /// invoice | payment | credit_note | cancellation
    pub kind: String,
    pub doc_number: String,
    pub debit_fen: i64,
    pub credit_fen: i64,
    /// What the dealer owes after this line (negative: the dealer holds credit).
    pub balance_fen: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Statement {
    pub dealer: StatementDealer,
    pub from: String,
    pub to: String,
    pub opening_fen: i64,
    pub lines: Vec<StatementLine>,
    pub total_debit_fen: i64,
    pub total_credit_fen: i64,
    pub closing_fen: i64,
}

#[derive(Debug, Clone, Default)]
pub struct StatementParams {
    /// Default: the first day of the current month.
    pub from: Option<String>,
    /// Default: today.
    pub to: Option<String>,
}

pub async fn statement(
    app: &App,
    actor: &Actor,
    dealer_id: i64,
    p: &StatementParams,
) -> Result<Statement, AppError> {
    actor.require(Capability::ViewReports)?;
    let today = app.today();
    let to = day(p.to.as_deref(), &today, "to")?;
    let month_start = to.with_day(1).unwrap_or(to).to_string();
    let from = day(p.from.as_deref(), &month_start, "from")?;
    if from > to {
        return Err(AppError::invalid(
            "report.period_invalid",
            "from",
            "the period must start on or before its end",
        ));
    }
    let mut conn = app.store.report_read().await?;
    let (dealer, opening, entries) = store::statement(
        &mut conn,
        &actor.scope,
        dealer_id,
        &from.to_string(),
        &to.to_string(),
    )
    .await?
    .ok_or(AppError::NotFound { entity: "dealer" })?;
    let mut balance = opening;
    let mut debit = 0i64;
    let mut credit = 0i64;
    let mut lines = Vec::with_capacity(entries.len());
    for e in entries {
        balance = sum_fen([balance, e.amount_fen])?;
        let (d, c) = if e.amount_fen >= 0 {
            (e.amount_fen, 0)
        } else {
            (0, -e.amount_fen)
        };
        debit = sum_fen([debit, d])?;
        credit = sum_fen([credit, c])?;
        lines.push(StatementLine {
            date: e.entry_date,
            kind: e.kind,
            doc_number: e.doc_number,
            debit_fen: d,
            credit_fen: c,
            balance_fen: balance,
        });
    }
    Ok(Statement {
        dealer,
        from: from.to_string(),
        to: to.to_string(),
        opening_fen: opening,
        lines,
        total_debit_fen: debit,
        total_credit_fen: credit,
        closing_fen: balance,
    })
}

/// One market's month.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OsbRow {
    /// The market's id; 0 for records above any market.
    pub market_id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Orders taken in the month (not drafts, not cancelled) and their value.
    pub orders: i64,
    pub order_amount_fen: i64,
    pub ordered_qty: i64,
    pub shipped_qty: i64,
    /// Shipped ÷ ordered quantity of those orders, in tenths of a percent (`987` = 98.7 %).
    pub fill_rate_permille: Option<i64>,
    /// Orders first confirmed in the month whose on-time window has closed or that shipped.
    pub confirmed_orders: i64,
    /// Of those, first shipped within `on_time_days` of confirmation.
    pub on_time: i64,
    pub on_time_permille: Option<i64>,
    /// Invoiced in the month (credit sales).
    pub invoiced_fen: i64,
    /// Open receivables at the end of the month (or today, if earlier).
    pub open_fen: i64,
    pub dso_tenths: Option<i64>,
    /// Open past the due date at the end of the month.
    pub overdue_fen: i64,
    pub holds_opened: i64,
    pub holds_released: i64,
    /// Credit notes for returned goods issued in the month.
    pub returns: i64,
    pub returns_fen: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct OsbReport {
    /// `YYYY-MM`
    pub month: String,
    pub from: String,
    /// The last day counted: the month's last day, or today while the month runs.
    pub to: String,
    pub on_time_days: i64,
    pub rows: Vec<OsbRow>,
    pub total: OsbRow,
}

#[derive(Debug, Clone, Default)]
pub struct OsbParams {
    /// `YYYY-MM`, default the current month.
    pub month: Option<String>,
    pub on_time_days: Option<i64>,
}

fn row_of<'a>(rows: &'a mut BTreeMap<i64, OsbRow>, units: &Units, path: &str) -> &'a mut OsbRow {
    let unit = units.of_kind(path, "market");
    let id = unit.map_or(0, |u| u.id);
    rows.entry(id).or_insert_with(|| match unit {
        Some(u) => OsbRow {
            market_id: u.id,
            code: u.code.clone(),
            name_zh: u.name_zh.clone(),
            name_en: u.name_en.clone(),
            ..OsbRow::default()
        },
        None => OsbRow {
            name_zh: "—".into(),
            name_en: "—".into(),
            ..OsbRow::default()
        },
    })
}

fn permille(part: i64, whole: i64) -> Option<i64> {
    if whole <= 0 {
        return None;
    }
    let v = (2 * i128::from(part) * 1000 + i128::from(whole)) / (2 * i128::from(whole));
    i64::try_from(v).ok()
}

fn micros_at_start_of(day: NaiveDate, tz: chrono_tz::Tz) -> i64 {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&midnight).earliest().map_or_else(
        || midnight.and_utc().timestamp_micros(),
        |t| t.timestamp_micros(),
    )
}

pub async fn osb_review(app: &App, actor: &Actor, p: &OsbParams) -> Result<OsbReport, AppError> {
    actor.require(Capability::ViewReports)?;
    let today = date(&app.today())?;
    let month_err = || {
        AppError::invalid(
            "report.month_invalid",
            "month",
            "a month looks like 2025-03",
        )
    };
    let first = match p.month.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => {
            NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").map_err(|_| month_err())?
        }
        None => today.with_day(1).unwrap_or(today),
    };
    let on_time_days = p.on_time_days.unwrap_or(DEFAULT_ON_TIME_DAYS);
    if !(0..=MAX_ON_TIME_DAYS).contains(&on_time_days) {
        return Err(AppError::invalid(
            "report.on_time_days_invalid",
            "on_time_days",
            format!("the on-time window is 0 to {MAX_ON_TIME_DAYS} days"),
        ));
    }
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .ok_or_else(month_err)?;
    let last = next.pred_opt().ok_or_else(month_err)?;
    let to = if first <= today && today < last {
        today
    } else {
        last
    };
    let (f, t) = (first.to_string(), to.to_string());
    let tz = app.config.time_zone;
    let (from_us, to_us) = (micros_at_start_of(first, tz), micros_at_start_of(next, tz));
    let scope = &actor.scope;
    let mut conn = app.store.report_read().await?;
    let units = Units::load(&mut conn).await?;
    let orders = store::orders_by_path(&mut conn, scope, &f, &last.to_string()).await?;
    let fill = store::fill_by_path(&mut conn, scope, &f, &last.to_string()).await?;
    let confirmed = store::confirmed_orders(&mut conn, scope, from_us, to_us).await?;
    let invoiced = store::invoiced_by_path(&mut conn, scope, &f, &t).await?;
    let open = store::open_invoices(&mut conn, scope, &t).await?;
    let holds = store::holds_by_path(&mut conn, scope, from_us, to_us).await?;
    let returns = store::returns_by_path(&mut conn, scope, &f, &last.to_string()).await?;

    let mut rows: BTreeMap<i64, OsbRow> = BTreeMap::new();
    for s in &orders {
        let r = row_of(&mut rows, &units, &s.node_path);
        r.orders += s.count;
        r.order_amount_fen = sum_fen([r.order_amount_fen, s.amount_fen])?;
    }
    for s in &fill {
        let r = row_of(&mut rows, &units, &s.node_path);
        r.ordered_qty += s.ordered_qty;
        r.shipped_qty += s.shipped_qty;
    }
    for c in &confirmed {
        let confirmed_on = chrono::DateTime::from_timestamp_micros(c.confirmed_at)
            .map(|t| t.with_timezone(&tz).date_naive())
            .unwrap_or(first);
        let deadline = confirmed_on + chrono::Duration::days(on_time_days);
        let shipped = c
            .first_shipped_on
            .as_deref()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
        let r = row_of(&mut rows, &units, &c.node_path);
        match shipped {
            Some(s) => {
                r.confirmed_orders += 1;
                if s <= deadline {
                    r.on_time += 1;
                }
            }
            // not shipped: late once the window has closed, undecided before
            None if today > deadline => r.confirmed_orders += 1,
            None => {}
        }
    }
    for s in &invoiced {
        let r = row_of(&mut rows, &units, &s.node_path);
        r.invoiced_fen = sum_fen([r.invoiced_fen, s.amount_fen])?;
    }
    for i in &open {
        let due = date(&i.due_date)?;
        let r = row_of(&mut rows, &units, &i.node_path);
        r.open_fen = sum_fen([r.open_fen, i.open_fen])?;
        if (to - due).num_days() > 0 {
            r.overdue_fen = sum_fen([r.overdue_fen, i.open_fen])?;
        }
    }
    for h in &holds {
        if h.opened == 0 && h.released == 0 {
            continue;
        }
        let r = row_of(&mut rows, &units, &h.node_path);
        r.holds_opened += h.opened;
        r.holds_released += h.released;
    }
    for s in &returns {
        let r = row_of(&mut rows, &units, &s.node_path);
        r.returns += s.count;
        r.returns_fen = sum_fen([r.returns_fen, s.amount_fen])?;
    }
    let days = (to - first).num_days() + 1;
    let finish = |r: &mut OsbRow| -> Result<(), AppError> {
        r.fill_rate_permille = permille(r.shipped_qty, r.ordered_qty);
        r.on_time_permille = permille(r.on_time, r.confirmed_orders);
        r.dso_tenths =
            days_sales_outstanding(Money(r.open_fen), Money(r.invoiced_fen), days)?.map(|d| d.0);
        Ok(())
    };
    let mut total = OsbRow {
        name_zh: "合计".into(),
        name_en: "Total".into(),
        ..OsbRow::default()
    };
    let mut out: Vec<OsbRow> = Vec::with_capacity(rows.len());
    for (_, mut r) in rows {
        finish(&mut r)?;
        total.orders += r.orders;
        total.order_amount_fen = sum_fen([total.order_amount_fen, r.order_amount_fen])?;
        total.ordered_qty += r.ordered_qty;
        total.shipped_qty += r.shipped_qty;
        total.confirmed_orders += r.confirmed_orders;
        total.on_time += r.on_time;
        total.invoiced_fen = sum_fen([total.invoiced_fen, r.invoiced_fen])?;
        total.open_fen = sum_fen([total.open_fen, r.open_fen])?;
        total.overdue_fen = sum_fen([total.overdue_fen, r.overdue_fen])?;
        total.holds_opened += r.holds_opened;
        total.holds_released += r.holds_released;
        total.returns += r.returns;
        total.returns_fen = sum_fen([total.returns_fen, r.returns_fen])?;
        out.push(r);
    }
    out.sort_by(|a, b| a.code.cmp(&b.code).then(a.market_id.cmp(&b.market_id)));
    finish(&mut total)?;
    Ok(OsbReport {
        month: first.format("%Y-%m").to_string(),
        from: f,
        to: t,
        on_time_days,
        rows: out,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_parse_and_validate() {
        assert_eq!(parse_buckets(None).expect("ok"), AgingBuckets::default());
        assert_eq!(
            parse_buckets(Some("30, 60,90")).expect("ok").boundaries(),
            &[30, 60, 90]
        );
        let bad = parse_buckets(Some("30,x")).unwrap_err();
        assert_eq!(bad.code(), "report.buckets_invalid");
        assert_eq!(bad.field(), Some("buckets"));
        let down = parse_buckets(Some("60,30")).unwrap_err();
        assert_eq!(down.code(), "receivables.aging_boundaries_not_increasing");
        assert_eq!(down.field(), Some("buckets"));
    }

    #[test]
    fn permille_rounds_half_up() {
        assert_eq!(permille(1, 3), Some(333));
        assert_eq!(permille(2, 3), Some(667));
        assert_eq!(permille(5, 0), None);
        assert_eq!(permille(8, 8), Some(1000));
    }
}
