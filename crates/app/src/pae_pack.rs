//! The monthly PAE pack (plan – analysis – evaluation) per market, ready before the monthly
//! review: targets against actuals by unit and by person with their places among peers, the
//! market's best and worst dealers of the month, and the dealers with overdue money or orders
//! on hold.
//!
//! The job `pae-pack` runs once per month (however many servers run, through
//! [`crate::jobs::run_once`]) from day `Config::pae_pack_day` of a month on, for the month
//! before; `salesos jobs run pae-pack --period 2026-10` makes a given month's packs on demand
//! (still once). A pack's figures are frozen when it is made (stored as typed cells); the web
//! layer writes them to XLSX with the reader's language for headers.

use crate::{targets, App, AppError};
use chrono::{Datelike, NaiveDate};
use salesos_domain::org::OrgPath;
use salesos_domain::roles::Capability;
use salesos_domain::scope::Scope;
use salesos_domain::targets::{self as rules, Metric, Unit};
use salesos_store::pae_pack::{self as store, PackRow};
use salesos_store::targets::{self as target_store, TargetFilter};
use salesos_store::{org, Conn};
use serde::{Deserialize, Serialize};

/// The job's name (`salesos jobs run pae-pack`).
pub const JOB: &str = "pae-pack";

/// How many dealers the best and worst lists hold.
const DEALERS_LISTED: i64 = 10;
/// At most this many dealers with overdue money or holds.
const TROUBLE_LISTED: i64 = 200;

/// One cell of a pack, typed so the spreadsheet gets numbers as numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v", rename_all = "snake_case")]
pub enum PackCell {
    Text(String),
    /// A translation key (`metric.ordered_amount`), shown in the reader's language.
    Label(String),
    Int(i64),
    Fen(i64),
    /// Basis points (10000 = 100%).
    Percent(i64),
    Empty,
}

/// One sheet: its title and column headers are translation keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackSheet {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<PackCell>>,
}

/// A market's pack for a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pack {
    pub month: String,
    pub market_id: i64,
    pub market_code: String,
    pub market_name_zh: String,
    pub market_name_en: String,
    /// The day the pack was made (overdue and holds are as of that day).
    pub as_of: String,
    pub sheets: Vec<PackSheet>,
}

/// The month whose pack is due on `today` when packs are made from `day` of each month on:
/// the previous month, from that day; `None` before it (the month before last is done).
pub fn due_month(today: NaiveDate, day: u32) -> Option<String> {
    if today.day() < day.clamp(1, 28) {
        return None;
    }
    let first = today.with_day(1)?;
    let previous = first.pred_opt()?;
    Some(format!("{}-{:02}", previous.year(), previous.month()))
}

/// The month due now by the app's calendar and settings.
pub fn due_now(app: &App) -> Option<String> {
    let today = NaiveDate::parse_from_str(&app.today(), "%Y-%m-%d").ok()?;
    due_month(today, app.config.pae_pack_day)
}

fn amount_cell(metric: Option<Metric>, value: i64) -> PackCell {
    match metric.map(Metric::unit) {
        Some(Unit::Fen) => PackCell::Fen(value),
        _ => PackCell::Int(value),
    }
}

/// The month's targets in the market (units or people), measured and placed among peers (the
/// other children of the same parent with the same metric).
async fn target_sheet(
    conn: &mut Conn,
    market: &OrgPath,
    month: &rules::TargetPeriod,
    today: NaiveDate,
    people: bool,
) -> Result<PackSheet, AppError> {
    let rows = target_store::list(
        conn,
        &Scope::Subtree {
            path: market.clone(),
        },
        &TargetFilter {
            from: Some(month.start.to_string()),
            to: Some(month.end.to_string()),
            period_kind: Some("month".into()),
            ..TargetFilter::default()
        },
    )
    .await?;
    let mut views = Vec::new();
    for t in rows
        .iter()
        .filter(|t| t.period == month.code() && t.person_id.is_some() == people)
    {
        views.push(targets::measure(conn, t, today).await?);
    }
    let mut places = vec![0usize; views.len()];
    let mut groups: Vec<(Option<i64>, String)> = views
        .iter()
        .map(|v| (v.target.parent_id, v.target.metric.clone()))
        .collect();
    groups.sort();
    groups.dedup();
    for g in &groups {
        let scores: Vec<(usize, i64)> = views
            .iter()
            .enumerate()
            .filter(|(_, v)| (v.target.parent_id, v.target.metric.clone()) == *g)
            .map(|(i, v)| (i, v.achievement.percent_bp.unwrap_or(-1)))
            .collect();
        for (i, _, place) in rules::rank(&scores) {
            places[i] = place;
        }
    }
    let mut order: Vec<usize> = (0..views.len()).collect();
    order.sort_by(|a, b| {
        let (x, y) = (&views[*a].target, &views[*b].target);
        (
            &x.metric,
            x.parent_id,
            places[*a],
            &x.node_path,
            x.person_id,
        )
            .cmp(&(
                &y.metric,
                y.parent_id,
                places[*b],
                &y.node_path,
                y.person_id,
            ))
    });
    let mut headers = vec!["pae.col.unit".to_string()];
    if people {
        headers.push("pae.col.person".into());
    }
    headers.extend(
        [
            "pae.col.metric",
            "pae.col.target",
            "pae.col.actual",
            "pae.col.variance",
            "pae.col.percent",
            "pae.col.projection",
            "pae.col.place",
        ]
        .map(String::from),
    );
    let rows = order
        .into_iter()
        .map(|i| {
            let v = &views[i];
            let t = &v.target;
            let metric = Metric::parse(&t.metric);
            let a = &v.achievement;
            let mut row = vec![PackCell::Text(format!(
                "{} {}",
                t.node_name_zh, t.node_name_en
            ))];
            if people {
                row.push(PackCell::Text(t.person_name.clone().unwrap_or_default()));
            }
            row.extend([
                PackCell::Label(format!("metric.{}", t.metric)),
                amount_cell(metric, a.target),
                amount_cell(metric, a.actual),
                amount_cell(metric, a.variance),
                a.percent_bp.map_or(PackCell::Empty, PackCell::Percent),
                amount_cell(metric, a.projection),
                PackCell::Int(i64::try_from(places[i]).unwrap_or(0)),
            ]);
            row
        })
        .collect();
    Ok(PackSheet {
        title: if people {
            "pae.sheet.people".into()
        } else {
            "pae.sheet.units".into()
        },
        headers,
        rows,
    })
}

async fn dealer_sheet(
    conn: &mut Conn,
    market: &OrgPath,
    month: &str,
    best: bool,
) -> Result<PackSheet, AppError> {
    let rows = store::dealers_by_month_unscoped(conn, market, month, best, DEALERS_LISTED).await?;
    Ok(PackSheet {
        title: if best {
            "pae.sheet.top_dealers".into()
        } else {
            "pae.sheet.bottom_dealers".into()
        },
        headers: [
            "pae.col.place",
            "pae.col.dealer_code",
            "pae.col.dealer",
            "pae.col.owner",
            "pae.col.ordered",
            "pae.col.shipped",
            "pae.col.invoiced",
            "pae.col.collected",
        ]
        .map(String::from)
        .to_vec(),
        rows: rows
            .into_iter()
            .enumerate()
            .map(|(i, d)| {
                vec![
                    PackCell::Int(i64::try_from(i + 1).unwrap_or(0)),
                    PackCell::Text(d.code),
                    PackCell::Text(d.name),
                    PackCell::Text(d.owner_name),
                    PackCell::Fen(d.ordered_fen),
                    PackCell::Fen(d.shipped_fen),
                    PackCell::Fen(d.invoiced_fen),
                    PackCell::Fen(d.collected_fen),
                ]
            })
            .collect(),
    })
}

async fn trouble_sheet(
    conn: &mut Conn,
    market: &OrgPath,
    today: &str,
) -> Result<PackSheet, AppError> {
    let rows = store::overdue_and_holds_unscoped(conn, market, today, TROUBLE_LISTED).await?;
    Ok(PackSheet {
        title: "pae.sheet.overdue_holds".into(),
        headers: [
            "pae.col.dealer_code",
            "pae.col.dealer",
            "pae.col.owner",
            "pae.col.overdue",
            "pae.col.holds",
            "pae.col.held",
        ]
        .map(String::from)
        .to_vec(),
        rows: rows
            .into_iter()
            .map(|d| {
                vec![
                    PackCell::Text(d.code),
                    PackCell::Text(d.name),
                    PackCell::Text(d.owner_name),
                    PackCell::Fen(d.overdue_fen),
                    PackCell::Int(d.holds),
                    PackCell::Fen(d.held_fen),
                ]
            })
            .collect(),
    })
}

/// Computes one market's pack for `month` as of `today`.
pub async fn build(
    conn: &mut Conn,
    market: &org::NodeRow,
    month: &str,
    today: NaiveDate,
) -> Result<Pack, AppError> {
    let period = rules::TargetPeriod::parse(month)
        .filter(|p| p.kind == rules::PeriodKind::Month)
        .ok_or_else(|| {
            AppError::invalid(
                "job.period_invalid",
                "period",
                "a period looks like 2026-11",
            )
        })?;
    let path = market.org_path();
    let as_of = today.to_string();
    let sheets = vec![
        target_sheet(conn, &path, &period, today, false).await?,
        target_sheet(conn, &path, &period, today, true).await?,
        dealer_sheet(conn, &path, month, true).await?,
        dealer_sheet(conn, &path, month, false).await?,
        trouble_sheet(conn, &path, &as_of).await?,
    ];
    Ok(Pack {
        month: period.code(),
        market_id: market.id,
        market_code: market.code.clone(),
        market_name_zh: market.name_zh.clone(),
        market_name_en: market.name_en.clone(),
        as_of,
        sheets,
    })
}

/// Makes and stores every active market's pack for `month`, in one transaction: the job's body
/// (the job framework makes sure it runs once per month). Returns a line for the job's result.
pub async fn generate_all(app: &App, month: &str, server: &str) -> Result<String, AppError> {
    let today = NaiveDate::parse_from_str(&app.today(), "%Y-%m-%d")
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut tx = app.store.begin().await?;
    let Some(root) = org::root(tx.conn()).await? else {
        return Ok("no organisation: no packs".into());
    };
    let markets: Vec<org::NodeRow> = org::list(
        tx.conn(),
        &Scope::Subtree {
            path: root.org_path(),
        },
    )
    .await?
    .into_iter()
    .filter(|n| n.kind == "market" && n.active)
    .collect();
    let (mut made, mut existing) = (0, 0);
    for m in &markets {
        let pack = build(tx.conn(), m, month, today).await?;
        let content =
            serde_json::to_string(&pack).map_err(|e| AppError::Internal(e.to_string()))?;
        match store::insert(tx.conn(), month, m.id, &m.path, &content, server).await? {
            Some(_) => made += 1,
            None => existing += 1,
        }
    }
    tx.commit().await?;
    Ok(format!(
        "{made} market packs for {month}{}",
        if existing > 0 {
            format!(" ({existing} existed already)")
        } else {
            String::new()
        }
    ))
}

/// The packs the person may download: their market's (a market manager), every market's (the
/// leadership); none for area managers and field staff.
pub async fn list(app: &App, actor: &crate::Actor) -> Result<Vec<PackRow>, AppError> {
    actor.require(Capability::ViewTargets)?;
    let mut conn = app.store.read().await?;
    Ok(store::list(&mut conn, &actor.scope, 240).await?)
}

/// One pack in the person's scope, with its figures.
pub async fn get(app: &App, actor: &crate::Actor, id: i64) -> Result<(PackRow, Pack), AppError> {
    actor.require(Capability::ViewTargets)?;
    let mut conn = app.store.read().await?;
    let (row, content) = store::get(&mut conn, &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "pae_pack" })?;
    let pack = serde_json::from_str(&content)
        .map_err(|e| AppError::Internal(format!("pack {id}: {e}")))?;
    Ok((row, pack))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_previous_month_is_due_from_the_configured_day() {
        assert_eq!(due_month(day("2026-11-02"), 3), None);
        assert_eq!(due_month(day("2026-11-03"), 3).as_deref(), Some("2026-10"));
        assert_eq!(due_month(day("2026-11-30"), 3).as_deref(), Some("2026-10"));
        assert_eq!(due_month(day("2027-01-05"), 3).as_deref(), Some("2026-12"));
        assert_eq!(due_month(day("2026-03-01"), 1).as_deref(), Some("2026-02"));
        // out-of-range settings are held to 1..=28, so every month has the day
        assert_eq!(due_month(day("2026-02-28"), 31).as_deref(), Some("2026-01"));
    }
}
