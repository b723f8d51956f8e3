//! Credit exposure: the append-only ledger (`credit_ledger`), the per-dealer balance kept equal
//! to the sum of its entries (`dealer_balances`), credit holds and temporary credit.
//!
//! Every posting goes through [`post`], which appends the entry and moves the balance in the
//! same transaction. Checks that must not race take the dealer's balance row with
//! [`lock_balance`] first: on SQLite the write transaction already holds the database's write
//! lock (`BEGIN IMMEDIATE`); on PostgreSQL the row is locked with `SELECT … FOR UPDATE`.

use crate::sql::Sql;
use crate::{now_micros, Backend, Conn, StoreError, WriteTx};
use salesos_domain::credit::{Bucket, EntryKind};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// The dialect's row-lock suffix for a `SELECT` inside a write transaction.
pub fn for_update(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => " FOR UPDATE",
        // the write transaction holds SQLite's only write lock already
        Backend::Sqlite => "",
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct BalanceRow {
    pub dealer_id: i64,
    pub open_orders_fen: i64,
    pub unbilled_fen: i64,
    pub receivables_fen: i64,
    pub exposure_fen: i64,
}

fn balance_of(r: &AnyRow) -> Result<BalanceRow, sqlx::Error> {
    Ok(BalanceRow {
        dealer_id: r.try_get("dealer_id")?,
        open_orders_fen: r.try_get("open_orders_fen")?,
        unbilled_fen: r.try_get("unbilled_fen")?,
        receivables_fen: r.try_get("receivables_fen")?,
        exposure_fen: r.try_get("exposure_fen")?,
    })
}

const BALANCE: &str = "SELECT dealer_id, open_orders_fen, unbilled_fen, receivables_fen, exposure_fen FROM dealer_balances WHERE dealer_id = ";

/// Locks (creating when missing) the dealer's balance row for the rest of the transaction.
pub async fn lock_balance(tx: &mut WriteTx, dealer_id: i64) -> Result<BalanceRow, StoreError> {
    let backend = tx.backend();
    let mut sql = Sql::new(BALANCE);
    sql.bind(dealer_id).push(for_update(backend));
    // one statement once the dealer has a balance row, which is nearly always
    if let Some(row) = sql.fetch_optional(tx.conn()).await? {
        return Ok(balance_of(&row)?);
    }
    // a concurrent first posting's insert makes this one wait, then do nothing
    let mut ins = Sql::new("INSERT INTO dealer_balances (dealer_id, updated_at) VALUES (");
    ins.bind(dealer_id)
        .push(", ")
        .bind(now_micros())
        .push(") ON CONFLICT (dealer_id) DO NOTHING");
    ins.execute(tx.conn()).await?;
    Ok(balance_of(&sql.fetch_one(tx.conn()).await?)?)
}

/// The balance as stored (zero when the dealer has never posted). Callers check scope first.
pub async fn balance(conn: &mut Conn, dealer_id: i64) -> Result<BalanceRow, StoreError> {
    let mut sql = Sql::new(BALANCE);
    sql.bind(dealer_id);
    Ok(match sql.fetch_optional(conn).await? {
        Some(r) => balance_of(&r)?,
        None => BalanceRow {
            dealer_id,
            ..BalanceRow::default()
        },
    })
}

pub struct Posting<'a> {
    pub dealer_id: i64,
    pub kind: EntryKind,
    pub amount_fen: i64,
    pub doc_type: &'a str,
    pub doc_id: i64,
    pub person_id: Option<i64>,
}

/// Appends a ledger entry and moves the dealer's balance by the same amount, in the caller's
/// transaction (call [`lock_balance`] first).
pub async fn post(conn: &mut Conn, p: Posting<'_>) -> Result<(), StoreError> {
    if p.amount_fen == 0 {
        return Ok(());
    }
    let bucket = p.kind.bucket();
    let now = now_micros();
    let mut sql = Sql::new(
        "INSERT INTO credit_ledger (dealer_id, bucket, kind, amount_fen, doc_type, doc_id, person_id, at) VALUES (",
    );
    sql.bind(p.dealer_id)
        .push(", ")
        .bind(bucket.code())
        .push(", ")
        .bind(p.kind.code())
        .push(", ")
        .bind(p.amount_fen)
        .push(", ")
        .bind(p.doc_type)
        .push(", ")
        .bind(p.doc_id)
        .push(", ")
        .bind(p.person_id)
        .push(", ")
        .bind(now)
        .push(")");
    sql.execute(conn).await?;
    let column = match bucket {
        Bucket::OpenOrders => "open_orders_fen",
        Bucket::Unbilled => "unbilled_fen",
        Bucket::Receivables => "receivables_fen",
    };
    let mut upd = Sql::new(&format!(
        "UPDATE dealer_balances SET {column} = {column} + "
    ));
    upd.bind(p.amount_fen)
        .push(", exposure_fen = exposure_fen + ")
        .bind(p.amount_fen)
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE dealer_id = ")
        .bind(p.dealer_id);
    if upd.execute(conn).await? != 1 {
        return Err(StoreError::Config(format!(
            "dealer {} has no balance row: lock_balance first",
            p.dealer_id
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct EntryRow {
    pub id: i64,
    pub bucket: String,
    pub kind: String,
    pub amount_fen: i64,
    pub doc_type: String,
    pub doc_id: i64,
    pub at: i64,
}

/// A dealer's most recent ledger entries, newest first. Callers check scope first.
pub async fn entries(
    conn: &mut Conn,
    dealer_id: i64,
    limit: i64,
) -> Result<Vec<EntryRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT id, bucket, kind, amount_fen, doc_type, doc_id, at FROM credit_ledger WHERE dealer_id = ",
    );
    sql.bind(dealer_id)
        .push(" ORDER BY id DESC LIMIT ")
        .bind(limit.clamp(1, 1000));
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(EntryRow {
                id: r.try_get("id")?,
                bucket: r.try_get("bucket")?,
                kind: r.try_get("kind")?,
                amount_fen: r.try_get("amount_fen")?,
                doc_type: r.try_get("doc_type")?,
                doc_id: r.try_get("doc_id")?,
                at: r.try_get("at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Per dealer: each bucket as stored, as summed from the ledger, and the open-order part as
/// recomputed from the orders themselves. For `salesos check` and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    pub dealer_id: i64,
    pub stored: BalanceRow,
    pub ledger_open_orders: i64,
    pub ledger_unbilled: i64,
    pub ledger_receivables: i64,
    pub orders_recomputed: i64,
}

/// Every dealer whose balance differs from its ledger or its orders (at most
/// [`crate::check::SHOWN`], then a count), each as one set-based pass over the ledger and the
/// open orders: for `salesos check`.
pub async fn check_unscoped(conn: &mut Conn) -> Result<Vec<String>, StoreError> {
    const OPEN: &str = "status IN ('confirmed', 'partially_shipped')";
    let reconciled = format!(
        "SELECT d.id AS dealer_id, \
         COALESCE(b.open_orders_fen, 0) AS open_orders_fen, COALESCE(b.unbilled_fen, 0) AS unbilled_fen, \
         COALESCE(b.receivables_fen, 0) AS receivables_fen, COALESCE(b.exposure_fen, 0) AS exposure_fen, \
         COALESCE(l.l_oo, 0) AS l_oo, COALESCE(l.l_ub, 0) AS l_ub, COALESCE(l.l_rc, 0) AS l_rc, \
         COALESCE(o.ordered, 0) - COALESCE(s.shipped, 0) AS o_oo \
         FROM dealers d LEFT JOIN dealer_balances b ON b.dealer_id = d.id \
         LEFT JOIN (SELECT dealer_id, \
           CAST(SUM(CASE WHEN bucket = 'open_orders' THEN amount_fen ELSE 0 END) AS BIGINT) AS l_oo, \
           CAST(SUM(CASE WHEN bucket = 'unbilled' THEN amount_fen ELSE 0 END) AS BIGINT) AS l_ub, \
           CAST(SUM(CASE WHEN bucket = 'receivables' THEN amount_fen ELSE 0 END) AS BIGINT) AS l_rc \
           FROM credit_ledger GROUP BY dealer_id) l ON l.dealer_id = d.id \
         LEFT JOIN (SELECT dealer_id, CAST(SUM(total_fen) AS BIGINT) AS ordered FROM orders WHERE {OPEN} GROUP BY dealer_id) o \
           ON o.dealer_id = d.id \
         LEFT JOIN (SELECT o.dealer_id, CAST(SUM(l.shipped_qty * l.unit_price_fen) AS BIGINT) AS shipped \
           FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.{OPEN} GROUP BY o.dealer_id) s \
           ON s.dealer_id = d.id"
    );
    let offending = format!(
        "SELECT * FROM ({reconciled}) r WHERE open_orders_fen <> l_oo OR unbilled_fen <> l_ub \
         OR receivables_fen <> l_rc OR exposure_fen <> open_orders_fen + unbilled_fen + receivables_fen \
         OR l_oo <> o_oo"
    );
    crate::check::first_offending(
        conn,
        "dealers whose credit exposure is wrong",
        &offending,
        "dealer_id",
        |r, out| {
            let stored = BalanceRow {
                dealer_id: r.try_get("dealer_id")?,
                open_orders_fen: r.try_get("open_orders_fen")?,
                unbilled_fen: r.try_get("unbilled_fen")?,
                receivables_fen: r.try_get("receivables_fen")?,
                exposure_fen: r.try_get("exposure_fen")?,
            };
            let rec = Reconciliation {
                dealer_id: stored.dealer_id,
                stored,
                ledger_open_orders: r.try_get("l_oo")?,
                ledger_unbilled: r.try_get("l_ub")?,
                ledger_receivables: r.try_get("l_rc")?,
                orders_recomputed: r.try_get("o_oo")?,
            };
            out.extend(rec.problems());
            Ok(())
        },
    )
    .await
}

impl Reconciliation {
    /// What is wrong, if anything.
    pub fn problems(&self) -> Vec<String> {
        let d = self.dealer_id;
        let s = &self.stored;
        let mut out = Vec::new();
        for (name, stored, ledger) in [
            ("open orders", s.open_orders_fen, self.ledger_open_orders),
            ("unbilled goods", s.unbilled_fen, self.ledger_unbilled),
            ("receivables", s.receivables_fen, self.ledger_receivables),
        ] {
            if stored != ledger {
                out.push(format!(
                    "dealer {d}: {name} balance {stored} differs from its ledger entries {ledger}"
                ));
            }
        }
        if s.exposure_fen != s.open_orders_fen + s.unbilled_fen + s.receivables_fen {
            out.push(format!(
                "dealer {d}: exposure {} is not the sum of its parts",
                s.exposure_fen
            ));
        }
        if self.ledger_open_orders != self.orders_recomputed {
            out.push(format!(
                "dealer {d}: open-order exposure {} differs from its confirmed orders {}",
                self.ledger_open_orders, self.orders_recomputed
            ));
        }
        out
    }
}

/// Approved temporary credit valid on `day`.
pub async fn temporary_credit_on(
    conn: &mut Conn,
    dealer_id: i64,
    day: &str,
) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS n FROM temp_credits WHERE status = 'approved' AND dealer_id = ",
    );
    sql.bind(dealer_id)
        .push(" AND valid_from <= ")
        .bind(day)
        .push(" AND valid_to > ")
        .bind(day);
    Ok(sql.fetch_one(conn).await?.try_get("n")?)
}

/// [`temporary_credit_on`] and [`overdue_beyond_grace`] in one round trip, as
/// `(temporary, overdue)`: the two reads of every credit check.
pub async fn temporary_and_overdue(
    conn: &mut Conn,
    dealer_id: i64,
    day: &str,
    grace_days: i64,
) -> Result<(i64, i64), StoreError> {
    let cutoff = grace_cutoff(day, grace_days)?;
    let mut sql = Sql::new(
        "SELECT CAST(COALESCE((SELECT SUM(amount_fen) FROM temp_credits WHERE status = 'approved' AND dealer_id = ",
    );
    sql.bind(dealer_id)
        .push(" AND valid_from <= ")
        .bind(day)
        .push(" AND valid_to > ")
        .bind(day)
        .push("), 0) AS BIGINT) AS temporary, CAST(COALESCE((SELECT SUM(open_fen) FROM invoices WHERE status = 'open' AND dealer_id = ")
        .bind(dealer_id)
        .push(" AND due_date < ")
        .bind(cutoff)
        .push("), 0) AS BIGINT) AS overdue");
    let row = sql.fetch_one(conn).await?;
    Ok((row.try_get("temporary")?, row.try_get("overdue")?))
}

/// Debt overdue by more than `grace_days` on `day`: what open invoices due before
/// `day - grace_days` still owe.
pub async fn overdue_beyond_grace(
    conn: &mut Conn,
    dealer_id: i64,
    day: &str,
    grace_days: i64,
) -> Result<i64, StoreError> {
    let cutoff = grace_cutoff(day, grace_days)?;
    let mut sql = Sql::new(
        "SELECT CAST(COALESCE(SUM(open_fen), 0) AS BIGINT) AS n FROM invoices WHERE status = 'open' AND dealer_id = ",
    );
    sql.bind(dealer_id).push(" AND due_date < ").bind(cutoff);
    Ok(sql.fetch_one(conn).await?.try_get("n")?)
}

/// The due date (`YYYY-MM-DD`) before which an invoice open on `day` is overdue by more than
/// `grace_days`.
fn grace_cutoff(day: &str, grace_days: i64) -> Result<String, StoreError> {
    let Ok(date) = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") else {
        return Err(StoreError::Config(format!("not a date: {day}")));
    };
    Ok((date - chrono::Duration::days(grace_days))
        .format("%Y-%m-%d")
        .to_string())
}

#[derive(Debug, Clone, Serialize)]
pub struct HoldRow {
    pub id: i64,
    pub order_id: i64,
    pub order_number: Option<String>,
    pub dealer_id: i64,
    pub kind: String,
    pub status: String,
    pub approval_id: Option<i64>,
    pub exposure_fen: i64,
    pub limit_fen: i64,
    pub amount_fen: i64,
    pub overdue_fen: i64,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
}

fn hold_of(r: &AnyRow) -> Result<HoldRow, sqlx::Error> {
    Ok(HoldRow {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        order_number: r.try_get("number")?,
        dealer_id: r.try_get("dealer_id")?,
        kind: r.try_get("kind")?,
        status: r.try_get("status")?,
        approval_id: r.try_get("approval_id")?,
        exposure_fen: r.try_get("exposure_fen")?,
        limit_fen: r.try_get("limit_fen")?,
        amount_fen: r.try_get("amount_fen")?,
        overdue_fen: r.try_get("overdue_fen")?,
        created_at: r.try_get("created_at")?,
        resolved_at: r.try_get("resolved_at")?,
    })
}

const HOLD: &str = "SELECT h.id, h.order_id, o.number, h.dealer_id, h.kind, h.status, h.approval_id, h.exposure_fen, h.limit_fen, h.amount_fen, h.overdue_fen, h.created_at, h.resolved_at FROM credit_holds h JOIN orders o ON o.id = h.order_id WHERE 1 = 1";

pub struct NewHold<'a> {
    pub order_id: i64,
    pub dealer_id: i64,
    pub kind: &'a str,
    pub exposure_fen: i64,
    pub limit_fen: i64,
    pub amount_fen: i64,
    pub overdue_fen: i64,
}

pub async fn insert_hold(conn: &mut Conn, h: NewHold<'_>) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO credit_holds (order_id, dealer_id, kind, status, exposure_fen, limit_fen, amount_fen, overdue_fen, created_at) VALUES (",
    );
    sql.bind(h.order_id)
        .push(", ")
        .bind(h.dealer_id)
        .push(", ")
        .bind(h.kind)
        .push(", 'open', ")
        .bind(h.exposure_fen)
        .push(", ")
        .bind(h.limit_fen)
        .push(", ")
        .bind(h.amount_fen)
        .push(", ")
        .bind(h.overdue_fen)
        .push(", ")
        .bind(now_micros())
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

pub async fn set_hold_approval(
    conn: &mut Conn,
    id: i64,
    approval_id: i64,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE credit_holds SET approval_id = ");
    sql.bind(approval_id).push(" WHERE id = ").bind(id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn resolve_hold(conn: &mut Conn, id: i64, status: &str) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE credit_holds SET status = ");
    sql.bind(status)
        .push(", resolved_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn get_hold(conn: &mut Conn, id: i64) -> Result<Option<HoldRow>, StoreError> {
    let mut sql = Sql::new(HOLD);
    sql.push(" AND h.id = ").bind(id);
    sql.fetch_optional_as(conn, hold_of).await
}

/// Holds of one order (open first); callers check scope first.
pub async fn holds_of_order(conn: &mut Conn, order_id: i64) -> Result<Vec<HoldRow>, StoreError> {
    let mut sql = Sql::new(HOLD);
    sql.push(" AND h.order_id = ")
        .bind(order_id)
        .push(" ORDER BY h.id");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(hold_of).collect::<Result<_, _>>()?)
}

/// Open holds of one dealer; callers check scope first.
pub async fn open_holds_of_dealer(
    conn: &mut Conn,
    dealer_id: i64,
) -> Result<Vec<HoldRow>, StoreError> {
    let mut sql = Sql::new(HOLD);
    sql.push(" AND h.status = 'open' AND h.dealer_id = ")
        .bind(dealer_id)
        .push(" ORDER BY h.id");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(hold_of).collect::<Result<_, _>>()?)
}

#[derive(Debug, Clone, Serialize)]
pub struct TempCreditRow {
    pub id: i64,
    pub dealer_id: i64,
    pub amount_fen: i64,
    pub valid_from: String,
    pub valid_to: String,
    pub status: String,
    pub approval_id: Option<i64>,
    pub reason: Option<String>,
}

fn temp_of(r: &AnyRow) -> Result<TempCreditRow, sqlx::Error> {
    Ok(TempCreditRow {
        id: r.try_get("id")?,
        dealer_id: r.try_get("dealer_id")?,
        amount_fen: r.try_get("amount_fen")?,
        valid_from: r.try_get("valid_from")?,
        valid_to: r.try_get("valid_to")?,
        status: r.try_get("status")?,
        approval_id: r.try_get("approval_id")?,
        reason: r.try_get("reason")?,
    })
}

const TEMP: &str = "SELECT id, dealer_id, amount_fen, valid_from, valid_to, status, approval_id, reason FROM temp_credits WHERE 1 = 1";

#[allow(clippy::too_many_arguments)]
pub async fn insert_temp_credit(
    conn: &mut Conn,
    dealer_id: i64,
    amount_fen: i64,
    valid_from: &str,
    valid_to: &str,
    reason: Option<&str>,
    requested_by: Option<i64>,
) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO temp_credits (dealer_id, amount_fen, valid_from, valid_to, status, reason, requested_by, created_at) VALUES (",
    );
    sql.bind(dealer_id)
        .push(", ")
        .bind(amount_fen)
        .push(", ")
        .bind(valid_from)
        .push(", ")
        .bind(valid_to)
        .push(", 'pending', ")
        .bind(reason)
        .push(", ")
        .bind(requested_by)
        .push(", ")
        .bind(now_micros())
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

pub async fn set_temp_credit(
    conn: &mut Conn,
    id: i64,
    status: &str,
    approval_id: Option<i64>,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE temp_credits SET status = ");
    sql.bind(status);
    if let Some(a) = approval_id {
        sql.push(", approval_id = ").bind(a);
    }
    sql.push(" WHERE id = ").bind(id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn get_temp_credit(
    conn: &mut Conn,
    id: i64,
) -> Result<Option<TempCreditRow>, StoreError> {
    let mut sql = Sql::new(TEMP);
    sql.push(" AND id = ").bind(id);
    sql.fetch_optional_as(conn, temp_of).await
}

pub async fn temp_credits_of_dealer(
    conn: &mut Conn,
    dealer_id: i64,
) -> Result<Vec<TempCreditRow>, StoreError> {
    let mut sql = Sql::new(TEMP);
    sql.push(" AND dealer_id = ")
        .bind(dealer_id)
        .push(" ORDER BY id DESC");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(temp_of).collect::<Result<_, _>>()?)
}
