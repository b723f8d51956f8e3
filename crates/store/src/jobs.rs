//! Scheduled jobs that run exactly once per period across several servers (`jobs`), and the
//! documents of dealer term changes waiting for approval (`dealer_term_requests`).

use crate::sql::Sql;
use crate::{now_micros, Conn, Scope, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, Serialize)]
pub struct JobRow {
    pub id: i64,
    pub name: String,
    pub period: String,
    pub status: String,
    pub claimed_by: String,
    pub claimed_at: i64,
    pub finished_at: Option<i64>,
    pub result: Option<String>,
    /// While `running`: until when the claiming server holds the run (µs since the epoch).
    pub lease_until: Option<i64>,
    /// 1 for the first claim, + 1 for every take-over of an expired lease.
    pub attempt: i64,
}

/// Who holds a run: the row and the attempt number. A server whose lease was taken over holds
/// a stale attempt, so its heartbeats and its finish no longer touch the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub id: i64,
    pub attempt: i64,
}

fn claim_of(r: &AnyRow) -> Result<Claim, sqlx::Error> {
    Ok(Claim {
        id: r.try_get("id")?,
        attempt: r.try_get("attempt")?,
    })
}

const JOB: &str = "SELECT id, name, period, status, claimed_by, claimed_at, finished_at, result, lease_until, attempt FROM jobs";

fn job_of(r: &AnyRow) -> Result<JobRow, sqlx::Error> {
    Ok(JobRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        period: r.try_get("period")?,
        status: r.try_get("status")?,
        claimed_by: r.try_get("claimed_by")?,
        claimed_at: r.try_get("claimed_at")?,
        finished_at: r.try_get("finished_at")?,
        result: r.try_get("result")?,
        lease_until: r.try_get("lease_until")?,
        attempt: r.try_get("attempt")?,
    })
}

/// Claims the run of `name` for `period` with a lease of `lease_micros`: `Some` for the one
/// caller whose insert wins the `UNIQUE (name, period)` constraint, `None` for everybody else
/// (already claimed).
pub async fn claim(
    conn: &mut Conn,
    name: &str,
    period: &str,
    claimed_by: &str,
    lease_micros: i64,
) -> Result<Option<Claim>, StoreError> {
    let now = now_micros();
    let mut sql = Sql::new(
        "INSERT INTO jobs (name, period, status, claimed_by, claimed_at, lease_until, attempt) VALUES (",
    );
    sql.bind(name)
        .push(", ")
        .bind(period)
        .push(", 'running', ")
        .bind(claimed_by)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now + lease_micros)
        .push(", 1) ON CONFLICT (name, period) DO NOTHING RETURNING id, attempt");
    sql.fetch_optional_as(conn, claim_of).await
}

/// Takes over a run whose server stopped renewing its lease (it crashed or hung): `Some` for
/// the one caller whose guarded UPDATE matches; a concurrent taker re-reads the row after the
/// winner's commit (PostgreSQL) or waits for the single writer (SQLite), finds the lease
/// renewed, and gets `None`.
pub async fn take_over_expired(
    conn: &mut Conn,
    name: &str,
    period: &str,
    claimed_by: &str,
    lease_micros: i64,
) -> Result<Option<Claim>, StoreError> {
    let now = now_micros();
    let mut sql = Sql::new("UPDATE jobs SET claimed_by = ");
    sql.bind(claimed_by)
        .push(", claimed_at = ")
        .bind(now)
        .push(", lease_until = ")
        .bind(now + lease_micros)
        .push(", attempt = attempt + 1 WHERE name = ")
        .bind(name)
        .push(" AND period = ")
        .bind(period)
        .push(" AND status = 'running' AND (lease_until IS NULL OR lease_until < ")
        .bind(now)
        .push(") RETURNING id, attempt");
    sql.fetch_optional_as(conn, claim_of).await
}

/// Pushes the lease of a run still held by `claim` forward; `false` when it was taken over.
pub async fn renew_lease(
    conn: &mut Conn,
    claim: Claim,
    lease_micros: i64,
) -> Result<bool, StoreError> {
    let mut sql = Sql::new("UPDATE jobs SET lease_until = ");
    sql.bind(now_micros() + lease_micros)
        .push(" WHERE status = 'running' AND id = ")
        .bind(claim.id)
        .push(" AND attempt = ")
        .bind(claim.attempt);
    Ok(sql.execute(conn).await? > 0)
}

/// Closes a run held by `claim` as `done` or `failed`; `false` (nothing written) when the run
/// was taken over by another server meanwhile.
pub async fn finish(
    conn: &mut Conn,
    claim: Claim,
    status: &str,
    result: &str,
) -> Result<bool, StoreError> {
    let mut sql = Sql::new("UPDATE jobs SET status = ");
    sql.bind(status)
        .push(", finished_at = ")
        .bind(now_micros())
        .push(", lease_until = NULL, result = ")
        .bind(result)
        .push(" WHERE status = 'running' AND id = ")
        .bind(claim.id)
        .push(" AND attempt = ")
        .bind(claim.attempt);
    Ok(sql.execute(conn).await? > 0)
}

pub async fn get(conn: &mut Conn, name: &str, period: &str) -> Result<Option<JobRow>, StoreError> {
    let mut sql = Sql::new(JOB);
    sql.push(" WHERE name = ");
    sql.bind(name).push(" AND period = ").bind(period);
    sql.fetch_optional_as(conn, job_of).await
}

pub async fn recent(conn: &mut Conn, limit: i64) -> Result<Vec<JobRow>, StoreError> {
    let mut sql = Sql::new(JOB);
    sql.push(" ORDER BY id DESC LIMIT ");
    sql.bind(limit);
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(job_of).collect::<Result<_, _>>()?)
}

#[derive(Debug, Clone, Serialize)]
pub struct TermRequestRow {
    pub id: i64,
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    pub kind: String,
    pub period: Option<String>,
    pub payload: String,
    pub factors: Option<String>,
    pub current_limit_fen: i64,
    pub proposed_limit_fen: Option<i64>,
    pub status: String,
    pub approval_id: Option<i64>,
    pub requested_by: Option<i64>,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

fn term_request_of(r: &AnyRow) -> Result<TermRequestRow, sqlx::Error> {
    Ok(TermRequestRow {
        id: r.try_get("id")?,
        dealer_id: r.try_get("dealer_id")?,
        dealer_code: r.try_get("dealer_code")?,
        dealer_name: r.try_get("dealer_name")?,
        kind: r.try_get("kind")?,
        period: r.try_get("period")?,
        payload: r.try_get("payload")?,
        factors: r.try_get("factors")?,
        current_limit_fen: r.try_get("current_limit_fen")?,
        proposed_limit_fen: r.try_get("proposed_limit_fen")?,
        status: r.try_get("status")?,
        approval_id: r.try_get("approval_id")?,
        requested_by: r.try_get("requested_by")?,
        created_at: r.try_get("created_at")?,
        decided_at: r.try_get("decided_at")?,
    })
}

const TERM_REQUEST: &str = "SELECT t.id, t.dealer_id, d.code AS dealer_code, d.name AS dealer_name, t.kind, t.period, t.payload, t.factors, t.current_limit_fen, t.proposed_limit_fen, t.status, t.approval_id, t.requested_by, t.created_at, t.decided_at \
     FROM dealer_term_requests t JOIN dealers d ON d.id = t.dealer_id WHERE 1 = 1";

pub struct NewTermRequest<'a> {
    pub dealer_id: i64,
    pub kind: &'a str,
    pub period: Option<&'a str>,
    pub payload: &'a str,
    pub factors: Option<&'a str>,
    pub current_limit_fen: i64,
    pub proposed_limit_fen: Option<i64>,
    pub requested_by: Option<i64>,
}

pub async fn insert_term_request(
    conn: &mut Conn,
    n: NewTermRequest<'_>,
) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO dealer_term_requests (dealer_id, kind, period, payload, factors, current_limit_fen, proposed_limit_fen, status, requested_by, created_at) VALUES (",
    );
    sql.bind(n.dealer_id)
        .push(", ")
        .bind(n.kind)
        .push(", ")
        .bind(n.period)
        .push(", ")
        .bind(n.payload)
        .push(", ")
        .bind(n.factors)
        .push(", ")
        .bind(n.current_limit_fen)
        .push(", ")
        .bind(n.proposed_limit_fen)
        .push(", 'pending', ")
        .bind(n.requested_by)
        .push(", ")
        .bind(now_micros())
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

pub async fn set_term_request_approval(
    conn: &mut Conn,
    id: i64,
    approval_id: i64,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE dealer_term_requests SET approval_id = ");
    sql.bind(approval_id).push(" WHERE id = ").bind(id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn decide_term_request(conn: &mut Conn, id: i64, status: &str) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE dealer_term_requests SET status = ");
    sql.bind(status)
        .push(", decided_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn term_request_unscoped(
    conn: &mut Conn,
    id: i64,
) -> Result<Option<TermRequestRow>, StoreError> {
    let mut sql = Sql::new(TERM_REQUEST);
    sql.push(" AND t.id = ").bind(id);
    sql.fetch_optional_as(conn, term_request_of).await
}

/// A dealer's term requests, newest first (the caller has scoped the dealer).
pub async fn term_requests_for_dealer(
    conn: &mut Conn,
    dealer_id: i64,
) -> Result<Vec<TermRequestRow>, StoreError> {
    let mut sql = Sql::new(TERM_REQUEST);
    sql.push(" AND t.dealer_id = ")
        .bind(dealer_id)
        .push(" ORDER BY t.id DESC");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(term_request_of).collect::<Result<_, _>>()?)
}

/// Requests of one kind in scope (by the dealer's place), newest first; `period` narrows.
pub async fn term_requests(
    conn: &mut Conn,
    scope: &Scope,
    kind: &str,
    period: Option<&str>,
    limit: i64,
) -> Result<Vec<TermRequestRow>, StoreError> {
    let mut sql = Sql::new(TERM_REQUEST);
    sql.push(" AND t.kind = ").bind(kind);
    if let Some(p) = period {
        sql.push(" AND t.period = ").bind(p);
    }
    sql.scope(scope, "d.node_path", "d.owner_id");
    sql.push(" ORDER BY t.id DESC LIMIT ").bind(limit);
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(term_request_of).collect::<Result<_, _>>()?)
}

/// Net order amounts per month (`YYYY-MM`) of a dealer's confirmed orders dated in
/// `[from, to)` (`YYYY-MM-DD`).
pub async fn monthly_sold_orders(
    conn: &mut Conn,
    dealer_id: i64,
    from: &str,
    to: &str,
) -> Result<Vec<(String, i64)>, StoreError> {
    // every sold order counts, whether still open or already shipped and closed
    let mut sql = Sql::new(&format!(
        "SELECT SUBSTR(o.order_date, 1, 7) AS month, CAST(SUM(o.total_fen) AS BIGINT) AS amount FROM orders o WHERE {} AND o.dealer_id = ",
        crate::orders::COUNTED_ORDER
    ));
    sql.bind(dealer_id)
        .push(" AND o.order_date >= ")
        .bind(from)
        .push(" AND o.order_date < ")
        .bind(to)
        .push(" GROUP BY SUBSTR(o.order_date, 1, 7) ORDER BY month");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("month")?, r.try_get("amount")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// A dealer's invoices (date, due date, day fully paid), for payment behaviour.
pub async fn invoice_dates(
    conn: &mut Conn,
    dealer_id: i64,
) -> Result<Vec<(String, String, Option<String>)>, StoreError> {
    let mut sql = Sql::new(
        "SELECT invoice_date, due_date, paid_on FROM invoices WHERE status <> 'cancelled' AND dealer_id = ",
    );
    sql.bind(dealer_id).push(" ORDER BY id");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("invoice_date")?,
                r.try_get("due_date")?,
                r.try_get("paid_on")?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Active dealers' ids, for system jobs.
pub async fn active_dealer_ids_unscoped(conn: &mut Conn) -> Result<Vec<i64>, StoreError> {
    let rows = Sql::new("SELECT id FROM dealers WHERE status = 'active' ORDER BY id")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| r.try_get::<i64, _>("id"))
        .collect::<Result<_, _>>()
        .map_err(StoreError::from)
}

/// Opens a savepoint inside the current transaction (both backends speak the same SQL; a
/// prepared statement, since `raw_sql` futures are not `Send`).
pub async fn savepoint(conn: &mut Conn, name: &str) -> Result<(), StoreError> {
    Sql::new(&format!("SAVEPOINT {name}")).execute(conn).await?;
    Ok(())
}

/// Undoes everything since the savepoint and forgets it.
pub async fn rollback_to_savepoint(conn: &mut Conn, name: &str) -> Result<(), StoreError> {
    Sql::new(&format!("ROLLBACK TO SAVEPOINT {name}"))
        .execute(conn)
        .await?;
    Sql::new(&format!("RELEASE SAVEPOINT {name}"))
        .execute(conn)
        .await?;
    Ok(())
}
