//! Bulk loading of generated data (the demo company's history): rows are buffered per table and
//! written as multi-row `INSERT … VALUES (…), (…)` statements of literal values, many hundred
//! rows at a time, inside the caller's transaction. Ids are chosen by the caller (from
//! [`next_id`]) so child rows can name their parents without a round trip per row; afterwards
//! [`finish_ids`] moves PostgreSQL's identity sequences past them (SQLite's AUTOINCREMENT
//! follows explicit ids by itself).
//!
//! Only for data the program made itself: text values are quoted and escaped here, but nothing
//! typed by a person should ever go through this path.

use crate::{Backend, Conn, StoreError};
use sqlx::Row;
use std::fmt::Write as _;

/// One value of a row.
#[derive(Debug, Clone, Copy)]
pub enum Val<'a> {
    Int(i64),
    Text(&'a str),
    Null,
}

impl From<i64> for Val<'_> {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}
impl<'a> From<&'a str> for Val<'a> {
    fn from(v: &'a str) -> Self {
        Val::Text(v)
    }
}
impl<'a> From<&'a String> for Val<'a> {
    fn from(v: &'a String) -> Self {
        Val::Text(v.as_str())
    }
}
impl From<Option<i64>> for Val<'_> {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Val::Null, Val::Int)
    }
}
impl<'a> From<Option<&'a str>> for Val<'a> {
    fn from(v: Option<&'a str>) -> Self {
        v.map_or(Val::Null, Val::Text)
    }
}

/// Rows waiting to be written to one table.
#[derive(Debug)]
pub struct Table {
    head: String,
    columns: usize,
    buf: String,
    rows: usize,
    written: u64,
}

/// Rows per statement: big enough that the per-statement cost vanishes, small enough that a
/// statement stays a few hundred KiB.
const ROWS_PER_STATEMENT: usize = 1000;

impl Table {
    /// `columns` as in an INSERT column list, e.g. `"id, order_id, quantity"`.
    pub fn new(table: &str, columns: &str) -> Table {
        Table {
            head: format!("INSERT INTO {table} ({columns}) VALUES "),
            columns: columns.split(',').count(),
            buf: String::new(),
            rows: 0,
            written: 0,
        }
    }

    /// Buffers one row; the values must follow the column list.
    pub fn push(&mut self, values: &[Val<'_>]) {
        debug_assert_eq!(values.len(), self.columns, "{}", self.head);
        self.buf
            .push_str(if self.rows == 0 { &self.head } else { ", " });
        self.buf.push('(');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.buf.push(',');
            }
            match v {
                Val::Int(n) => {
                    let _ = write!(self.buf, "{n}");
                }
                Val::Null => self.buf.push_str("NULL"),
                Val::Text(t) => {
                    self.buf.push('\'');
                    if t.contains('\'') {
                        self.buf.push_str(&t.replace('\'', "''"));
                    } else {
                        self.buf.push_str(t);
                    }
                    self.buf.push('\'');
                }
            }
        }
        self.buf.push(')');
        self.rows += 1;
    }

    pub fn is_full(&self) -> bool {
        self.rows >= ROWS_PER_STATEMENT
    }

    /// Rows written so far (flushed), plus those still buffered.
    pub fn count(&self) -> u64 {
        self.written + self.rows as u64
    }

    /// Writes the buffered rows (one statement).
    pub async fn flush(&mut self, conn: &mut Conn) -> Result<(), StoreError> {
        if self.rows == 0 {
            return Ok(());
        }
        sqlx::raw_sql(&self.buf).execute(&mut *conn).await?;
        self.written += self.rows as u64;
        self.rows = 0;
        self.buf.clear();
        Ok(())
    }

    /// Writes the buffered rows once a statement's worth has gathered.
    pub async fn flush_if_full(&mut self, conn: &mut Conn) -> Result<(), StoreError> {
        if self.is_full() {
            self.flush(conn).await?;
        }
        Ok(())
    }
}

/// The first free id of `table` (one past the largest).
pub async fn next_id(conn: &mut Conn, table: &str) -> Result<i64, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS n FROM {table}"
    ))
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get::<i64, _>("n")? + 1)
}

/// After rows were inserted with explicit ids: PostgreSQL's identity sequences continue after
/// the largest id, so rows inserted later by the application get fresh ids.
pub async fn finish_ids(
    conn: &mut Conn,
    backend: Backend,
    tables: &[&str],
) -> Result<(), StoreError> {
    if backend != Backend::Postgres {
        return Ok(());
    }
    for table in tables {
        sqlx::raw_sql(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The value the next document number of `series` will use (see `shipments::next_number`).
pub async fn counter(conn: &mut Conn, series: &str) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT next_value FROM doc_counters WHERE series = $1")
        .bind(series)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(r) => r.try_get("next_value")?,
        None => 1,
    })
}

/// Sets the next document number of `series` (after numbers were handed out in bulk).
pub async fn set_counter(conn: &mut Conn, series: &str, next_value: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO doc_counters (series, next_value) VALUES ($1, $2) \
         ON CONFLICT (series) DO UPDATE SET next_value = excluded.next_value",
    )
    .bind(series)
    .bind(next_value)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Sets each dealer's exposure balance row (inserting or replacing it) to the given buckets:
/// `(dealer_id, open_orders_fen, unbilled_fen, receivables_fen, updated_at)`. The caller wrote
/// the ledger entries these are the sums of.
pub async fn set_balances(
    conn: &mut Conn,
    balances: &[(i64, i64, i64, i64, i64)],
) -> Result<(), StoreError> {
    for chunk in balances.chunks(ROWS_PER_STATEMENT) {
        let mut t = Table::new(
            "dealer_balances",
            "dealer_id, open_orders_fen, unbilled_fen, receivables_fen, exposure_fen, updated_at",
        );
        for (dealer, open, unbilled, receivables, at) in chunk {
            t.push(&[
                Val::Int(*dealer),
                Val::Int(*open),
                Val::Int(*unbilled),
                Val::Int(*receivables),
                Val::Int(open + unbilled + receivables),
                Val::Int(*at),
            ]);
        }
        t.buf.push_str(
            " ON CONFLICT (dealer_id) DO UPDATE SET open_orders_fen = excluded.open_orders_fen, \
             unbilled_fen = excluded.unbilled_fen, receivables_fen = excluded.receivables_fen, \
             exposure_fen = excluded.exposure_fen, updated_at = excluded.updated_at",
        );
        t.flush(conn).await?;
    }
    Ok(())
}

/// Session settings for a long bulk load on this connection: a larger page cache on SQLite (the
/// indexes of big tables stay in memory while rows pour in). [`end_load`] restores them.
pub async fn begin_load(conn: &mut Conn, backend: Backend) -> Result<(), StoreError> {
    if backend == Backend::Sqlite {
        sqlx::raw_sql("PRAGMA cache_size = -262144")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn end_load(conn: &mut Conn, backend: Backend) -> Result<(), StoreError> {
    if backend == Backend::Sqlite {
        sqlx::raw_sql("PRAGMA cache_size = -2000")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Triggers set aside for a bulk load, to be put back by [`restore_triggers`] in the same
/// transaction (so a failed load leaves them as they were).
#[derive(Debug, Default)]
pub struct Suspended {
    /// SQLite: the triggers' definitions (they are dropped and created again).
    definitions: Vec<String>,
    /// PostgreSQL: `(table, trigger)` disabled and enabled again.
    disabled: Vec<(String, String)>,
}

/// Sets aside the triggers whose name starts with `prefix` (e.g. the rollup maintenance, which
/// would otherwise run once per loaded row; the caller recomputes what they maintain).
pub async fn suspend_triggers(
    conn: &mut Conn,
    backend: Backend,
    prefix: &str,
) -> Result<Suspended, StoreError> {
    let mut out = Suspended::default();
    match backend {
        Backend::Sqlite => {
            let rows = sqlx::query(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND substr(name, 1, length($1)) = $1",
            )
            .bind(prefix)
            .fetch_all(&mut *conn)
            .await?;
            for r in rows {
                let name: String = r.try_get("name")?;
                out.definitions.push(r.try_get("sql")?);
                sqlx::raw_sql(&format!("DROP TRIGGER \"{name}\""))
                    .execute(&mut *conn)
                    .await?;
            }
        }
        Backend::Postgres => {
            let rows = sqlx::query(
                "SELECT CAST(c.relname AS TEXT) AS tbl, CAST(t.tgname AS TEXT) AS name FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
                 WHERE NOT t.tgisinternal AND substr(t.tgname, 1, length($1)) = $1",
            )
            .bind(prefix)
            .fetch_all(&mut *conn)
            .await?;
            for r in rows {
                let (table, name): (String, String) = (r.try_get("tbl")?, r.try_get("name")?);
                sqlx::raw_sql(&format!(
                    "ALTER TABLE \"{table}\" DISABLE TRIGGER \"{name}\""
                ))
                .execute(&mut *conn)
                .await?;
                out.disabled.push((table, name));
            }
        }
    }
    Ok(out)
}

pub async fn restore_triggers(conn: &mut Conn, suspended: Suspended) -> Result<(), StoreError> {
    for sql in &suspended.definitions {
        sqlx::raw_sql(sql).execute(&mut *conn).await?;
    }
    for (table, name) in &suspended.disabled {
        sqlx::raw_sql(&format!(
            "ALTER TABLE \"{table}\" ENABLE TRIGGER \"{name}\""
        ))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Refreshes the planner's statistics after a bulk load.
pub async fn analyze(conn: &mut Conn) -> Result<(), StoreError> {
    sqlx::raw_sql("ANALYZE").execute(&mut *conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_render_as_literals() {
        let mut t = Table::new("t", "a, b, c");
        t.push(&[Val::Int(1), Val::Text("it's"), Val::Null]);
        t.push(&[Val::Int(-2), Val::Text("x"), Val::Int(3)]);
        assert_eq!(
            t.buf,
            "INSERT INTO t (a, b, c) VALUES (1,'it''s',NULL), (-2,'x',3)"
        );
        assert_eq!(t.count(), 2);
    }
}
