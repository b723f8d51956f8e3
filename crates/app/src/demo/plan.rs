//! The demo company's plan for the current year and the month's focus, made through the same
//! services the pages call and as the people who would do it: the deputy director draws up the
//! company's ordered-amount plan (last year's actual × 112%, split into quarters and months by
//! last year's seasonality and across the markets by last year's share), each market manager
//! splits their market over its areas, each area manager splits their area over its cities and
//! KAMs and each city over its reps (by last year's share). The market managers, and the area
//! managers of the East market, give their bottom-up figures; the plan goes through the
//! approvals engine and the approver the engine picks approves it, which locks it. The director
//! then publishes the month's focus with a goal per market.

use crate::targets::{self, FocusItemInput, NewTargetInput, PartInput};
use crate::{approvals, Actor, App, AppError, Via};
use chrono::{Datelike, NaiveDate};
use salesos_domain::approvals::Decision;
use salesos_domain::roles::Role;
use salesos_domain::targets::{split, Metric, TargetPeriod};
use salesos_store::org::{self, NodeRow};
use salesos_store::people::{self, PersonRow};
use salesos_store::rollups::{self, Column, Slice};
use salesos_store::targets::TargetRow;
use serde::Serialize;

/// The company grows its ordered amount by this much over last year, in percent.
const GROWTH_PERCENT: i128 = 112;
/// Who draws up the company plan (the approvals engine routes it to the director).
const PLANNER: &str = "deputy";
/// Who publishes the month's focus.
const LEADER: &str = "director";
/// The market whose area managers give bottom-up figures for their areas.
const BOTTOM_UP_MARKET: &str = "M-E";
/// Bottom-up figures as a percentage of the target, taken in turn (deterministic).
const BOTTOM_UP_PERCENT: [i64; 5] = [97, 102, 95, 100, 99];

/// What the plan and focus hold.
#[derive(Debug, Clone, Serialize)]
pub struct PlanSummary {
    pub plan_id: i64,
    pub year: i32,
    /// Last year's ordered amount, fen.
    pub last_year_fen: i64,
    /// The company's target for the year, fen (whole yuan).
    pub target_fen: i64,
    /// Targets in the plan, the company's own included.
    pub targets: usize,
    pub status: String,
    /// The month whose focus was published (`YYYY-MM`).
    pub focus_month: String,
    pub ms: u64,
}

fn demo_error(what: impl Into<String>) -> AppError {
    AppError::Internal(format!("demo plan: {}", what.into()))
}

/// The demo person `person` acting, as a signed-in session would.
async fn act_as(app: &App, person: &PersonRow) -> Result<Actor, AppError> {
    let mut conn = app.store.read().await?;
    let node = match person.node_id {
        Some(id) => org::get_unscoped(&mut conn, id).await?,
        None => None,
    };
    Ok(Actor::from_person(
        person.clone(),
        node,
        Via::System,
        "demo",
        "demo",
    ))
}

fn person<'a>(staff: &'a [PersonRow], login: &str) -> Result<&'a PersonRow, AppError> {
    staff
        .iter()
        .find(|p| p.login == login && p.active)
        .ok_or_else(|| demo_error(format!("nobody signs in as {login}")))
}

/// The person holding `role` at `node` (the lowest id when several do).
fn holder<'a>(
    staff: &'a [PersonRow],
    role: Role,
    node: &NodeRow,
) -> Result<&'a PersonRow, AppError> {
    staff
        .iter()
        .find(|p| p.active && p.node_id == Some(node.id) && p.role.as_deref() == Some(role.code()))
        .ok_or_else(|| demo_error(format!("no {} at {}", role.code(), node.code)))
}

/// Splits a target as proposed from last year's figures and saves the split; returns the parts.
async fn cascade(
    app: &App,
    actor: &Actor,
    target_id: i64,
    by: &str,
) -> Result<Vec<TargetRow>, AppError> {
    let proposal = targets::propose_cascade(app, actor, target_id, by, None).await?;
    let parts = proposal.parts.into_iter().map(PartInput::from).collect();
    saved_parts(app, actor, target_id, parts).await
}

async fn saved_parts(
    app: &App,
    actor: &Actor,
    target_id: i64,
    parts: Vec<PartInput>,
) -> Result<Vec<TargetRow>, AppError> {
    let saved = targets::save_cascade(app, actor, target_id, parts).await?;
    Ok(saved.children.into_iter().map(|c| c.view.target).collect())
}

/// The months of `period` a year earlier, as a rollup slice.
fn last_year_slice(period: &str, within: Option<&str>) -> Option<Slice> {
    let months = TargetPeriod::parse(period)?.a_year_earlier()?.month_codes();
    Some(Slice {
        from_month: months.first()?.clone(),
        to_month: months.last()?.clone(),
        within_path: within.map(str::to_string),
        ..Default::default()
    })
}

/// Splits an area's target over its cities and the KAMs at the area (who own its key
/// accounts), by what each ordered in the same period last year. (The cascade proposal at an
/// area offers only its cities, which would leave the KAMs' key accounts out.)
async fn split_area(
    app: &App,
    manager: &Actor,
    target: &TargetRow,
    cities: &[&NodeRow],
    kams: &[&PersonRow],
) -> Result<Vec<TargetRow>, AppError> {
    let mut parts: Vec<PartInput> = cities
        .iter()
        .map(|c| PartInput {
            node_id: Some(c.id),
            person_id: None,
            period: target.period.clone(),
            amount: 0,
        })
        .chain(kams.iter().map(|k| PartInput {
            node_id: None,
            person_id: Some(k.id),
            period: target.period.clone(),
            amount: 0,
        }))
        .collect();
    let mut weights = Vec::with_capacity(parts.len());
    if let Some(slice) = last_year_slice(&target.period, Some(&target.node_path)) {
        let mut conn = app.store.read().await?;
        for c in cities {
            let city = Slice {
                within_path: Some(c.path.clone()),
                ..slice.clone()
            };
            weights.push(rollups::total_unscoped(&mut conn, Column::ORDERED_FEN, &city).await?);
        }
        for k in kams {
            let own = Slice {
                owner_id: Some(k.id),
                ..slice.clone()
            };
            weights.push(rollups::total_unscoped(&mut conn, Column::ORDERED_FEN, &own).await?);
        }
    }
    let mut weights: Vec<i64> = weights.into_iter().map(|w| w.max(0)).collect();
    if weights.len() != parts.len() || weights.iter().all(|w| *w == 0) {
        weights = vec![1; parts.len()];
    }
    for (part, amount) in parts.iter_mut().zip(split(target.amount, &weights)?) {
        part.amount = amount;
    }
    saved_parts(app, manager, target.id, parts).await
}

/// A figure in fen rounded to whole yuan.
fn whole_yuan(fen: i128) -> i64 {
    i64::try_from((fen + 50).div_euclid(100) * 100).unwrap_or(i64::MAX)
}

/// 万元 with one decimal, for goals written as text.
fn wan(fen: i64) -> String {
    format!("{:.1}", fen as f64 / 1_000_000.0)
}

/// Makes the current year's plan and the month's focus. Returns `None` when last year has no
/// ordered amount to plan from.
pub async fn make(app: &App) -> Result<Option<PlanSummary>, AppError> {
    let started = std::time::Instant::now();
    let today = NaiveDate::parse_from_str(&app.today(), "%Y-%m-%d")
        .map_err(|e| demo_error(e.to_string()))?;
    let year = today.year();
    let month = format!("{year}-{:02}", today.month());

    let staff = {
        let mut conn = app.store.read().await?;
        people::list_all_unscoped(&mut conn).await?
    };
    let planner = act_as(app, person(&staff, PLANNER)?).await?;
    let (nodes, last_year_fen) = {
        let mut conn = app.store.read().await?;
        let nodes = org::list(&mut conn, &planner.scope).await?;
        let total = rollups::total_unscoped(
            &mut conn,
            Column::ORDERED_FEN,
            &Slice {
                from_month: format!("{}-01", year - 1),
                to_month: format!("{}-12", year - 1),
                ..Default::default()
            },
        )
        .await?;
        (nodes, total)
    };
    if last_year_fen <= 0 {
        return Ok(None);
    }
    let company = nodes
        .iter()
        .find(|n| n.parent_id.is_none())
        .ok_or_else(|| demo_error("no company"))?;
    let children_of = |id: i64| -> Vec<&NodeRow> {
        nodes
            .iter()
            .filter(|n| n.parent_id == Some(id) && n.active)
            .collect()
    };
    let target_fen = whole_yuan(i128::from(last_year_fen) * GROWTH_PERCENT / 100);

    // the company's plan, its quarters and months, and its markets
    let plan = targets::create_plan(
        app,
        &planner,
        &format!("{year} 年订货金额计划"),
        NewTargetInput {
            metric: Some(Metric::OrderedAmount.code().to_string()),
            amount: Some(target_fen),
            owner_node: Some(company.id),
            period: Some(year.to_string()),
            note: Some(format!(
                "{} 年实际订货 {} 万元 × {GROWTH_PERCENT}%",
                year - 1,
                wan(last_year_fen)
            )),
            ..Default::default()
        },
    )
    .await?;
    let plan_id = plan.plan.id;
    let top = plan
        .targets
        .first()
        .map(|v| v.target.id)
        .ok_or_else(|| demo_error("the plan has no top target"))?;
    let mut company_months = Vec::new();
    for quarter in cascade(app, &planner, top, "quarters").await? {
        company_months.extend(cascade(app, &planner, quarter.id, "months").await?);
    }
    // each market's targets: the year's, and one per month
    let mut market_targets = cascade(app, &planner, top, "children").await?;
    for m in &company_months {
        market_targets.extend(cascade(app, &planner, m.id, "children").await?);
    }

    // each market manager splits their market over its areas
    let mut area_targets = Vec::new();
    for market in children_of(company.id) {
        let manager = act_as(app, holder(&staff, Role::MarketManager, market)?).await?;
        for t in market_targets.iter().filter(|t| t.node_id == market.id) {
            area_targets.extend(cascade(app, &manager, t.id, "children").await?);
        }
    }

    // each area manager splits their area over its cities and KAMs, and each city over its reps
    for market in children_of(company.id) {
        for area in children_of(market.id) {
            let manager = act_as(app, holder(&staff, Role::AreaManager, area)?).await?;
            let cities = children_of(area.id);
            let kams: Vec<&PersonRow> = staff
                .iter()
                .filter(|p| {
                    p.active
                        && p.node_id == Some(area.id)
                        && p.role.as_deref() == Some(Role::Kam.code())
                })
                .collect();
            if cities.is_empty() && kams.is_empty() {
                continue;
            }
            for t in area_targets.iter().filter(|t| t.node_id == area.id) {
                let parts = split_area(app, &manager, t, &cities, &kams).await?;
                for city in parts.iter().filter(|p| p.person_id.is_none()) {
                    cascade(app, &manager, city.id, "children").await?;
                }
            }
        }
    }

    // bottom-up: every market manager's figure for their market's year, and the East market's
    // area managers' for their areas
    let year_code = year.to_string();
    let mut turn = 0;
    let bottom_up = market_targets
        .iter()
        .chain(area_targets.iter())
        .filter(|t| t.period == year_code && t.person_id.is_none());
    for t in bottom_up {
        let node = nodes
            .iter()
            .find(|n| n.id == t.node_id)
            .ok_or_else(|| demo_error("a target's unit is missing"))?;
        let role = if node.parent_id == Some(company.id) {
            Role::MarketManager
        } else {
            let in_market = nodes
                .iter()
                .find(|n| Some(n.id) == node.parent_id)
                .is_some_and(|m| m.code == BOTTOM_UP_MARKET);
            if !in_market {
                continue;
            }
            Role::AreaManager
        };
        let owner = act_as(app, holder(&staff, role, node)?).await?;
        let percent = BOTTOM_UP_PERCENT[turn % BOTTOM_UP_PERCENT.len()];
        turn += 1;
        let figure = whole_yuan(i128::from(t.amount) * i128::from(percent) / 100);
        targets::submit(app, &owner, t.id, figure).await?;
    }

    // through the approvals engine: each step decided by the person it waits for
    let submitted = targets::submit_plan(app, &planner, plan_id).await?;
    let targets_count = submitted.targets.len();
    let approval = submitted
        .plan
        .approval_id
        .ok_or_else(|| demo_error("the submitted plan has no approval request"))?;
    loop {
        let waiting_for = {
            let mut conn = app.store.read().await?;
            salesos_store::approvals::steps(&mut conn, approval)
                .await?
                .into_iter()
                .find(|s| s.status == "pending")
                .map(|s| s.approver_id)
        };
        let Some(approver_id) = waiting_for else {
            break;
        };
        let approver = staff
            .iter()
            .find(|p| p.id == approver_id)
            .ok_or_else(|| demo_error("the approver is not in the demo"))?;
        let approver = act_as(app, approver).await?;
        approvals::decide(app, &approver, approval, Decision::Approve, None).await?;
    }
    let status = targets::get_plan(app, &planner, plan_id).await?.plan.status;

    // the month's focus, with each market's goals
    let leader = act_as(app, person(&staff, LEADER)?).await?;
    let markets = children_of(company.id);
    let month_target = |market: i64| {
        market_targets
            .iter()
            .find(|t| t.node_id == market && t.period == month)
            .map_or(0, |t| t.amount)
    };
    let items = vec![
        FocusItemInput {
            title: "冲刺本月订货目标".to_string(),
            detail: Some(
                "每个市场、区域和业务员对照本月目标逐周跟进订货，落后的单位当周提交追赶计划。"
                    .to_string(),
            ),
            goals: markets
                .iter()
                .map(|m| {
                    (
                        m.id,
                        format!("本月订货完成 {} 万元", wan(month_target(m.id))),
                    )
                })
                .collect(),
        },
        FocusItemInput {
            title: "清收逾期应收款".to_string(),
            detail: Some("逾期 30 天以上的应收款逐户落实回款日期，月底前收回。".to_string()),
            goals: markets
                .iter()
                .enumerate()
                .map(|(i, m)| (m.id, format!("逾期应收款下降 {}%", 30 + (i % 3) * 10)))
                .collect(),
        },
        FocusItemInput {
            title: "激活沉睡经销商".to_string(),
            detail: Some("30 天未订货的经销商逐一拜访，了解原因并拿回订单。".to_string()),
            goals: markets
                .iter()
                .enumerate()
                .map(|(i, m)| (m.id, format!("拜访沉睡经销商 {} 家以上", 10 + (i % 4) * 5)))
                .collect(),
        },
    ];
    let focus = targets::publish_focus(app, &leader, &month, items).await?;
    if focus.is_empty() {
        return Err(demo_error("the focus was not published"));
    }

    Ok(Some(PlanSummary {
        plan_id,
        year,
        last_year_fen,
        target_fen,
        targets: targets_count,
        status,
        focus_month: month,
        ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }))
}
