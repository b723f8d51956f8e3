//! Field visits (拜访): a person records a visit they (or, for a manager, someone in their team)
//! paid to a dealer they can see. Visits feed the `visits` metric of the targets.
//!
//! Who may: anyone whose work targets measure (`ViewTargets`: leadership, managers, KAMs and
//! reps). Field staff see the visits they made; managers the visits to dealers in their subtree.

use crate::audit::{record, snapshot};
use crate::{Actor, App, AppError};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use salesos_domain::roles::Capability;
use salesos_domain::visits::{self as rules, VisitInput};
use salesos_store::bulk::{self, Val};
use salesos_store::visits::{self as store, NewVisit, VisitFilter, VisitRow};
use salesos_store::{dealers, people, Conn};

/// A visit as typed: the dealer, optionally who went (default: the person recording it), and
/// the visit itself.
#[derive(Debug, Clone, Default)]
pub struct NewVisitInput {
    pub dealer_id: Option<i64>,
    pub visited_by: Option<i64>,
    pub visit: VisitInput,
}

/// Records a visit: the dealer and the visitor must be in the recorder's scope.
pub async fn create(app: &App, actor: &Actor, input: NewVisitInput) -> Result<VisitRow, AppError> {
    actor.require(Capability::ViewTargets)?;
    let clean = rules::validate(&input.visit, &app.config.time_zone, Utc::now())?;
    let dealer_id = input.dealer_id.ok_or_else(|| {
        AppError::invalid(
            "visit.dealer_missing",
            "dealer_id",
            "choose the dealer you visited",
        )
    })?;
    let mut tx = app.store.begin().await?;
    let dealer = dealers::get(tx.conn(), &actor.scope, dealer_id)
        .await?
        .ok_or(AppError::NotFound { entity: "dealer" })?;
    if dealer.status == "terminated" {
        return Err(AppError::invalid(
            "visit.dealer_terminated",
            "dealer_id",
            "this dealer's relationship has ended; visits are not recorded against it",
        ));
    }
    let visitor = match input.visited_by.or(actor.person_id()) {
        Some(id) if Some(id) == actor.person_id() => id,
        Some(id) => {
            let p = people::get(tx.conn(), &actor.scope, id)
                .await?
                .ok_or(AppError::NotFound { entity: "person" })?;
            if !p.active {
                return Err(AppError::invalid(
                    "visit.visitor_inactive",
                    "visited_by",
                    "this person no longer works here",
                ));
            }
            p.id
        }
        None => {
            return Err(AppError::invalid(
                "visit.visitor_missing",
                "visited_by",
                "say who paid the visit",
            ))
        }
    };
    let day = clean
        .visited_at
        .with_timezone(&app.config.time_zone)
        .date_naive()
        .to_string();
    let id = store::insert(
        tx.conn(),
        &NewVisit {
            dealer_id: dealer.id,
            node_path: &dealer.node_path,
            owner_id: dealer.owner_id,
            visited_by: visitor,
            visited_at: clean.visited_at.timestamp_micros(),
            visit_day: &day,
            purpose: &clean.purpose,
            outcome: clean.outcome.as_deref(),
            location: clean.location.as_deref(),
            created_by: actor.person_id(),
        },
    )
    .await?;
    let after = store::get_unscoped(tx.conn(), id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("visit {id} vanished")))?;
    record(
        tx.conn(),
        actor,
        "visit.create",
        "visit",
        id,
        Some(&dealer.node_path),
        None,
        snapshot(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Visits in the person's scope, latest first.
pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &VisitFilter,
) -> Result<Vec<VisitRow>, AppError> {
    actor.require(Capability::ViewTargets)?;
    let mut conn = app.store.read().await?;
    Ok(store::list(&mut conn, &actor.scope, filter).await?)
}

/// A visit in the person's scope.
pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<VisitRow, AppError> {
    actor.require(Capability::ViewTargets)?;
    let mut conn = app.store.read().await?;
    store::get(&mut conn, &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "visit" })
}

const DEMO_PURPOSES: [&str; 6] = [
    "月度拜访：库存与订货计划",
    "新品推广与陈列检查",
    "对账与回款跟进",
    "促销活动落地检查",
    "开拓二批商网点",
    "处理客户投诉",
];
const DEMO_OUTCOMES: [&str; 5] = [
    "客户同意下周补货",
    "陈列已整改，拍照存档",
    "约定月底前回款",
    "需要市场部支持促销物料",
    "竞品降价，已反馈价格信息",
];

/// The demo company's visits over `[from, to]`: each active dealer is visited by whoever owned
/// it that day about twice a month, on working hours, deterministic for a seed. Written in
/// bulk, then `visit_counts` is recounted once. Returns the number of visits.
pub async fn generate_demo_visits(
    app: &App,
    conn: &mut Conn,
    from: NaiveDate,
    to: NaiveDate,
    seed: u64,
) -> Result<u64, AppError> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x7669_7369_7473);
    let tz = app.config.time_zone;
    let mut table = bulk::Table::new(
        "visits",
        "dealer_id, node_path, owner_id, visited_by, visited_at, visit_day, purpose, outcome, location, created_by, created_at",
    );
    let now = salesos_store::now_micros();
    let days = (to - from).num_days().max(0);
    let mut written = 0u64;
    for d in dealers::list_all_unscoped(conn).await? {
        if d.status != "active" {
            continue;
        }
        let owners = dealers::owner_history(conn, d.id).await?;
        let location = d.city.clone().or(d.address.clone());
        let mut day = rng.gen_range(0..15);
        while day <= days {
            let date = from + Duration::days(day);
            let iso = date.to_string();
            // whoever owned the dealer that day goes (before its first recorded period: the
            // first owner)
            let owner = owners
                .iter()
                .rev()
                .find(|o| o.valid_from.as_str() <= iso.as_str())
                .or(owners.first())
                .map_or(d.owner_id, |o| o.owner_id);
            let at = date
                .and_hms_opt(rng.gen_range(9..17), rng.gen_range(0..60), 0)
                .and_then(|t| tz.from_local_datetime(&t).earliest())
                .map_or(0, |t| t.with_timezone(&Utc).timestamp_micros());
            let purpose = DEMO_PURPOSES[rng.gen_range(0..DEMO_PURPOSES.len())];
            let outcome = DEMO_OUTCOMES[rng.gen_range(0..DEMO_OUTCOMES.len())];
            table.push(&[
                Val::Int(d.id),
                Val::Text(&d.node_path),
                Val::Int(owner),
                Val::Int(owner),
                Val::Int(at),
                Val::Text(&iso),
                Val::Text(purpose),
                Val::Text(outcome),
                location.as_deref().into(),
                Val::Int(owner),
                Val::Int(now),
            ]);
            table.flush_if_full(conn).await?;
            written += 1;
            day += rng.gen_range(7..22);
        }
    }
    table.flush(conn).await?;
    store::rebuild_counts(conn).await?;
    Ok(written)
}
