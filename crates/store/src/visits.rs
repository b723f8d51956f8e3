//! Field visits (拜访) and `visit_counts`, the per month × territory × visitor counter that
//! achievement of `visits` targets reads.
//!
//! A visit keeps the dealer's territory and owner of the moment it was recorded (`node_path`,
//! `owner_id`; normally the day of the visit), like every document. Scopes: managers see the visits to dealers in their subtree;
//! field staff (scope `Own`) see the visits they made themselves (`visited_by`).

use crate::rollups::Slice;
use crate::sql::Sql;
use crate::{now_micros, Conn, Scope, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, Serialize)]
pub struct VisitRow {
    pub id: i64,
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    pub node_path: String,
    pub owner_id: i64,
    pub visited_by: i64,
    pub visited_by_name: String,
    /// µs since the epoch, UTC.
    pub visited_at: i64,
    /// The company-time-zone day of `visited_at`.
    pub visit_day: String,
    pub purpose: String,
    pub outcome: Option<String>,
    pub location: Option<String>,
    pub created_at: i64,
}

const VISIT: &str = "SELECT v.id, v.dealer_id, d.code AS dealer_code, d.name AS dealer_name, v.node_path, v.owner_id, \
     v.visited_by, p.display_name AS visited_by_name, v.visited_at, v.visit_day, v.purpose, v.outcome, v.location, v.created_at \
     FROM visits v JOIN dealers d ON d.id = v.dealer_id JOIN people p ON p.id = v.visited_by WHERE 1 = 1";

fn visit_of(r: &AnyRow) -> Result<VisitRow, sqlx::Error> {
    Ok(VisitRow {
        id: r.try_get("id")?,
        dealer_id: r.try_get("dealer_id")?,
        dealer_code: r.try_get("dealer_code")?,
        dealer_name: r.try_get("dealer_name")?,
        node_path: r.try_get("node_path")?,
        owner_id: r.try_get("owner_id")?,
        visited_by: r.try_get("visited_by")?,
        visited_by_name: r.try_get("visited_by_name")?,
        visited_at: r.try_get("visited_at")?,
        visit_day: r.try_get("visit_day")?,
        purpose: r.try_get("purpose")?,
        outcome: r.try_get("outcome")?,
        location: r.try_get("location")?,
        created_at: r.try_get("created_at")?,
    })
}

pub struct NewVisit<'a> {
    pub dealer_id: i64,
    pub node_path: &'a str,
    pub owner_id: i64,
    pub visited_by: i64,
    pub visited_at: i64,
    pub visit_day: &'a str,
    pub purpose: &'a str,
    pub outcome: Option<&'a str>,
    pub location: Option<&'a str>,
    pub created_by: Option<i64>,
}

/// Writes a visit and counts it in `visit_counts`, inside the caller's transaction.
pub async fn insert(conn: &mut Conn, v: &NewVisit<'_>) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO visits (dealer_id, node_path, owner_id, visited_by, visited_at, visit_day, purpose, outcome, location, created_by, created_at) VALUES (",
    );
    sql.bind(v.dealer_id)
        .push(", ")
        .bind(v.node_path)
        .push(", ")
        .bind(v.owner_id)
        .push(", ")
        .bind(v.visited_by)
        .push(", ")
        .bind(v.visited_at)
        .push(", ")
        .bind(v.visit_day)
        .push(", ")
        .bind(v.purpose)
        .push(", ")
        .bind(v.outcome)
        .push(", ")
        .bind(v.location)
        .push(", ")
        .bind(v.created_by)
        .push(", ")
        .bind(now_micros())
        .push(") RETURNING id");
    let id: i64 = sql.fetch_one(conn).await?.try_get("id")?;
    let month = v.visit_day.get(..7).unwrap_or(v.visit_day);
    let mut count =
        Sql::new("INSERT INTO visit_counts (month, node_path, visited_by, visits) VALUES (");
    count
        .bind(month)
        .push(", ")
        .bind(v.node_path)
        .push(", ")
        .bind(v.visited_by)
        .push(", 1) ON CONFLICT (month, node_path, visited_by) DO UPDATE SET visits = visit_counts.visits + 1");
    count.execute(conn).await?;
    Ok(id)
}

/// A visit in the person's scope.
pub async fn get(conn: &mut Conn, scope: &Scope, id: i64) -> Result<Option<VisitRow>, StoreError> {
    let mut sql = Sql::new(VISIT);
    sql.push(" AND v.id = ").bind(id);
    sql.scope(scope, "v.node_path", "v.visited_by");
    sql.fetch_optional_as(conn, visit_of).await
}

pub async fn get_unscoped(conn: &mut Conn, id: i64) -> Result<Option<VisitRow>, StoreError> {
    let mut sql = Sql::new(VISIT);
    sql.push(" AND v.id = ").bind(id);
    sql.fetch_optional_as(conn, visit_of).await
}

#[derive(Debug, Clone, Default)]
pub struct VisitFilter {
    pub dealer_id: Option<i64>,
    pub visited_by: Option<i64>,
    /// Days `[from, to]` (`YYYY-MM-DD`, company time zone).
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// Visits in the person's scope, latest first.
pub async fn list(
    conn: &mut Conn,
    scope: &Scope,
    f: &VisitFilter,
) -> Result<Vec<VisitRow>, StoreError> {
    let mut sql = Sql::new(VISIT);
    if let Some(dealer) = f.dealer_id {
        sql.push(" AND v.dealer_id = ").bind(dealer);
    }
    if let Some(person) = f.visited_by {
        sql.push(" AND v.visited_by = ").bind(person);
    }
    if let Some(from) = &f.from {
        sql.push(" AND v.visit_day >= ").bind(from);
    }
    if let Some(to) = &f.to {
        sql.push(" AND v.visit_day <= ").bind(to);
    }
    sql.scope(scope, "v.node_path", "v.visited_by");
    sql.push(" ORDER BY v.visited_at DESC, v.id DESC")
        .page(f.limit, f.offset);
    sql.fetch_all(conn)
        .await?
        .iter()
        .map(visit_of)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Visits over a slice's months, in its territory (by the dealer's place when visited) or by
/// its person (`owner_id`: the visitor) — what a `visits` target is measured on. Reads the
/// counter, so the cost follows the groups, not the visits. Not scoped: the caller measures a
/// target it may see (and leaderboards show peers' figures, as for the sales metrics).
pub async fn count_unscoped(conn: &mut Conn, slice: &Slice) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "SELECT CAST(COALESCE(SUM(c.visits), 0) AS BIGINT) AS v FROM visit_counts c WHERE c.month >= ",
    );
    sql.bind(slice.from_month.as_str())
        .push(" AND c.month <= ")
        .bind(slice.to_month.as_str());
    if let Some(path) = slice
        .within_path
        .as_deref()
        .and_then(salesos_domain::org::OrgPath::parse)
    {
        sql.path_within("c.node_path", &path);
    }
    if let Some(person) = slice.owner_id {
        sql.push(" AND c.visited_by = ").bind(person);
    }
    Ok(sql.fetch_one(conn).await?.try_get("v")?)
}

/// `visit_counts` groups that differ from a recount of `visits` (at most 20 each way).
pub async fn check_unscoped(conn: &mut Conn) -> Result<Vec<String>, StoreError> {
    let kept = "SELECT month, node_path, visited_by, visits FROM visit_counts WHERE visits <> 0";
    let recount = "SELECT substr(visit_day, 1, 7) AS month, node_path, visited_by, CAST(COUNT(*) AS BIGINT) AS visits \
         FROM visits GROUP BY substr(visit_day, 1, 7), node_path, visited_by";
    crate::check::first_offending(
        conn,
        "differing visit counts",
        &crate::check::set_difference(kept, recount, "month, node_path, visited_by, visits"),
        "month, node_path, visited_by, kept_rows",
        |r, out| {
            let month: String = r.try_get("month")?;
            let path: String = r.try_get("node_path")?;
            let by: i64 = r.try_get("visited_by")?;
            let n: i64 = r.try_get("visits")?;
            let label = if crate::check::kept_more(r)? {
                "kept but not recounted"
            } else {
                "recounted but not kept"
            };
            out.push(format!(
                "visit count {month} {path} visitor {by} = {n}: {label}"
            ));
            Ok(())
        },
    )
    .await
}

/// Replaces `visit_counts` by a recount of `visits` (after a bulk load of visits).
pub async fn rebuild_counts(conn: &mut Conn) -> Result<u64, StoreError> {
    Sql::new("DELETE FROM visit_counts").execute(conn).await?;
    Sql::new(
        "INSERT INTO visit_counts (month, node_path, visited_by, visits) \
         SELECT substr(visit_day, 1, 7), node_path, visited_by, CAST(COUNT(*) AS BIGINT) FROM visits \
         GROUP BY substr(visit_day, 1, 7), node_path, visited_by",
    )
    .execute(conn)
    .await
}
