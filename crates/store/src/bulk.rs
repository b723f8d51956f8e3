//! Bulk loading of generated data (the demo company's history): rows are buffered per table and
//! written as prepared multi-row `INSERT … VALUES ($1, $2, …), (…)` statements with bound
//! parameters, hundreds of rows at a time, inside the caller's transaction. A full batch always
//! has the same text, so each backend parses and plans it once per connection (sqlx's statement
//! cache) and every later batch only binds values. Ids are chosen by the caller (from
//! [`next_id`]) so child rows can name their parents without a round trip per row; afterwards
//! [`finish_ids`] moves PostgreSQL's identity sequences past them (SQLite's AUTOINCREMENT
//! follows explicit ids by itself).
//!
//! For a big load the caller can also set aside the rollup triggers ([`suspend_triggers`]) and
//! the secondary indexes ([`suspend_indexes`]) and put them back afterwards: rebuilding an index
//! once from sorted data is much cheaper than keeping it ordered row by row. On PostgreSQL the
//! foreign keys of the loaded tables go the same way ([`suspend_foreign_keys`]).

use crate::{Backend, Conn, Store, StoreError};
use sqlx::Row;

/// One value of a row. A NULL names its type: PostgreSQL types every bound parameter.
#[derive(Debug, Clone, Copy)]
pub enum Val<'a> {
    Int(i64),
    Text(&'a str),
    NullInt,
    NullText,
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
        v.map_or(Val::NullInt, Val::Int)
    }
}
impl<'a> From<Option<&'a str>> for Val<'a> {
    fn from(v: Option<&'a str>) -> Self {
        v.map_or(Val::NullText, Val::Text)
    }
}

/// A buffered value; text lives in the table's arena (`start..end`), so buffering a row does
/// not allocate once the buffers have grown to a statement's size.
#[derive(Debug, Clone, Copy)]
enum Cell {
    Int(i64),
    Text(u32, u32),
    NullInt,
    NullText,
}

/// Rows waiting to be written to one table.
#[derive(Debug)]
pub struct Table {
    table: String,
    column_list: String,
    columns: usize,
    /// Appended after the VALUES list (e.g. an `ON CONFLICT` clause).
    suffix: String,
    cells: Vec<Cell>,
    text: String,
    rows: usize,
    written: u64,
    /// The statement text of a full batch, made once, after the placeholder mark it uses.
    full_statement: String,
    /// PostgreSQL: send each column as one array parameter (see [`Table::columnar`]).
    columnar: bool,
}

/// Bound parameters per statement stay under SQLite's limit (32,766) and PostgreSQL's (65,535).
const MAX_PARAMETERS: usize = 30_000;
/// Rows per statement: big enough that the per-statement cost vanishes.
const MAX_ROWS_PER_STATEMENT: usize = 1000;
/// Rows per statement of a columnar table on PostgreSQL (a handful of parameters however many
/// rows; the bound is the arrays' size in memory, a few MiB).
const MAX_COLUMNAR_ROWS: usize = 50_000;

impl Table {
    /// `columns` as in an INSERT column list, e.g. `"id, order_id, quantity"`.
    pub fn new(table: &str, columns: &str) -> Table {
        let count = columns.split(',').count();
        Table {
            table: table.to_string(),
            column_list: columns.to_string(),
            columns: count,
            suffix: String::new(),
            cells: Vec::new(),
            text: String::new(),
            rows: 0,
            written: 0,
            full_statement: String::new(),
            columnar: false,
        }
    }

    /// On PostgreSQL, writes a batch as `INSERT … SELECT * FROM unnest($1::bigint[], $2::text[],
    /// …)`, one array literal per column, instead of one bound parameter per value: the
    /// parameters of a multi-row VALUES list cost the client a conversion each (sqlx's Any
    /// driver) and the server a parse each, which for a million narrow rows outweighs the rows'
    /// own insertion. SQLite keeps the VALUES lists. A column's array type follows its values
    /// (`Val::Int`/`NullInt` bigint, `Val::Text`/`NullText` text), so the target column must
    /// take that type by assignment, as a bound parameter of it would.
    pub fn columnar(mut self) -> Table {
        self.columnar = true;
        self
    }

    /// The same, with `suffix` after the rows of every statement (an `ON CONFLICT …` clause).
    pub fn with_suffix(table: &str, columns: &str, suffix: &str) -> Table {
        let mut t = Table::new(table, columns);
        t.suffix = suffix.to_string();
        t
    }

    fn rows_per_statement(&self) -> usize {
        if self.columnar {
            return MAX_COLUMNAR_ROWS;
        }
        (MAX_PARAMETERS / self.columns.max(1)).clamp(1, MAX_ROWS_PER_STATEMENT)
    }

    /// `INSERT INTO t (…) VALUES ($1, $2), ($3, $4)…` for `rows` rows; with anonymous `?` on
    /// SQLite (`mark` '?'): SQLite finds a named parameter (`$1`, `?1` too) by a linear search of
    /// its names, so binding thousands of them would cost a time quadratic in their number.
    fn statement(&self, rows: usize, mark: char) -> String {
        let mut sql = format!("INSERT INTO {} ({}) VALUES ", self.table, self.column_list);
        let mut n = 0;
        for r in 0..rows {
            sql.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..self.columns {
                n += 1;
                if c > 0 {
                    sql.push(',');
                }
                sql.push(mark);
                if mark == '$' {
                    sql.push_str(&n.to_string());
                }
            }
            sql.push(')');
        }
        if !self.suffix.is_empty() {
            sql.push(' ');
            sql.push_str(&self.suffix);
        }
        sql
    }

    /// Buffers one row; the values must follow the column list.
    pub fn push(&mut self, values: &[Val<'_>]) {
        debug_assert_eq!(values.len(), self.columns, "{}", self.table);
        for v in values {
            self.cells.push(match v {
                Val::Int(n) => Cell::Int(*n),
                Val::NullInt => Cell::NullInt,
                Val::NullText => Cell::NullText,
                Val::Text(t) => {
                    let start = self.text.len() as u32;
                    self.text.push_str(t);
                    Cell::Text(start, self.text.len() as u32)
                }
            });
        }
        self.rows += 1;
    }

    pub fn is_full(&self) -> bool {
        self.rows >= self.rows_per_statement()
    }

    /// Rows buffered, not yet written.
    pub fn buffered(&self) -> usize {
        self.rows
    }

    /// Rows written so far (flushed), plus those still buffered.
    pub fn count(&self) -> u64 {
        self.written + self.rows as u64
    }

    /// Writes the buffered rows (one statement per batch).
    pub async fn flush(&mut self, conn: &mut Conn) -> Result<(), StoreError> {
        let sqlite = conn.backend_name() == "SQLite";
        if self.columnar && !sqlite {
            return self.flush_columns(conn).await;
        }
        let per_statement = (MAX_PARAMETERS / self.columns.max(1)).clamp(1, MAX_ROWS_PER_STATEMENT);
        let mark = if sqlite { '?' } else { '$' };
        let mut done = 0;
        while done < self.rows {
            let rows = (self.rows - done).min(per_statement);
            let partial;
            // a full batch's statement is prepared once and kept; a remainder's is used once
            let (sql, keep) = if rows == per_statement {
                if !self.full_statement.starts_with(mark) {
                    self.full_statement = format!("{mark}{}", self.statement(per_statement, mark));
                }
                (&self.full_statement[1..], true)
            } else {
                partial = self.statement(rows, mark);
                (partial.as_str(), false)
            };
            let mut query = sqlx::query(sql).persistent(keep);
            let cells = &self.cells[done * self.columns..(done + rows) * self.columns];
            for cell in cells {
                query = match *cell {
                    Cell::Int(n) => query.bind(n),
                    Cell::Text(a, b) => query.bind(&self.text[a as usize..b as usize]),
                    Cell::NullInt => query.bind(None::<i64>),
                    Cell::NullText => query.bind(None::<String>),
                };
            }
            query.execute(&mut *conn).await?;
            done += rows;
        }
        self.written += self.rows as u64;
        self.rows = 0;
        self.cells.clear();
        self.text.clear();
        Ok(())
    }

    /// PostgreSQL, [`Table::columnar`]: all buffered rows in one statement of one array
    /// parameter per column. The statement text depends only on the columns' types, so it is
    /// prepared once.
    async fn flush_columns(&mut self, conn: &mut Conn) -> Result<(), StoreError> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut arrays = vec![String::from("{"); self.columns];
        let mut text_column = vec![false; self.columns];
        for (i, cell) in self.cells.iter().enumerate() {
            let column = i % self.columns;
            let array = &mut arrays[column];
            if i >= self.columns {
                array.push(',');
            }
            match *cell {
                Cell::Int(n) => {
                    use std::fmt::Write;
                    let _ = write!(array, "{n}");
                }
                Cell::NullInt => array.push_str("NULL"),
                Cell::NullText => {
                    text_column[column] = true;
                    array.push_str("NULL");
                }
                Cell::Text(a, b) => {
                    text_column[column] = true;
                    push_array_element(array, &self.text[a as usize..b as usize]);
                }
            }
        }
        let mut sql = format!(
            "INSERT INTO {} ({}) SELECT * FROM unnest(",
            self.table, self.column_list
        );
        for (c, text) in text_column.iter().enumerate() {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "${}::{}[]",
                c + 1,
                if *text { "text" } else { "bigint" }
            ));
        }
        sql.push(')');
        if !self.suffix.is_empty() {
            sql.push(' ');
            sql.push_str(&self.suffix);
        }
        let mut query = sqlx::query(&sql);
        for mut array in arrays {
            array.push('}');
            query = query.bind(array);
        }
        query.execute(&mut *conn).await?;
        self.written += self.rows as u64;
        self.rows = 0;
        self.cells.clear();
        self.text.clear();
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

/// Appends `value` to a PostgreSQL array literal as a quoted element: inside double quotes only
/// `"` and `\` need a backslash (commas, braces, spaces and the word NULL are then data).
fn push_array_element(array: &mut String, value: &str) {
    array.push('"');
    for ch in value.chars() {
        if ch == '"' || ch == '\\' {
            array.push('\\');
        }
        array.push(ch);
    }
    array.push('"');
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
    let mut t = Table::with_suffix(
        "dealer_balances",
        "dealer_id, open_orders_fen, unbilled_fen, receivables_fen, exposure_fen, updated_at",
        "ON CONFLICT (dealer_id) DO UPDATE SET open_orders_fen = excluded.open_orders_fen, \
         unbilled_fen = excluded.unbilled_fen, receivables_fen = excluded.receivables_fen, \
         exposure_fen = excluded.exposure_fen, updated_at = excluded.updated_at",
    );
    for (dealer, open, unbilled, receivables, at) in balances {
        t.push(&[
            Val::Int(*dealer),
            Val::Int(*open),
            Val::Int(*unbilled),
            Val::Int(*receivables),
            Val::Int(open + unbilled + receivables),
            Val::Int(*at),
        ]);
        t.flush_if_full(conn).await?;
    }
    t.flush(conn).await
}

/// Session settings for a long bulk load on this connection: a 64 MiB page cache on SQLite (the
/// secondary indexes are set aside during the load, so a bigger one buys little, and the sorter
/// of the index builds and the rollup rebuild sizes itself after it). [`end_load`] restores it. On
/// PostgreSQL, more memory for this transaction's index builds and big GROUP BYs (the rollup
/// rebuild), which would otherwise spill to disk at 4 MiB.
pub async fn begin_load(conn: &mut Conn, backend: Backend) -> Result<(), StoreError> {
    let settings: &[&str] = match backend {
        Backend::Sqlite => &["PRAGMA cache_size = -65536"],
        Backend::Postgres => &[
            "SET LOCAL work_mem = '256MB'",
            "SET LOCAL maintenance_work_mem = '512MB'",
        ],
    };
    for setting in settings {
        one_statement(setting).execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn end_load(conn: &mut Conn, backend: Backend) -> Result<(), StoreError> {
    if backend == Backend::Sqlite {
        one_statement("PRAGMA cache_size = -2000")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// One statement of schema or session upkeep, not kept prepared. Unlike `raw_sql`, whose
/// futures are not `Send`, this can run inside a request's task (an import, for one).
fn one_statement(sql: &str) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
    sqlx::query(sql).persistent(false)
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
                one_statement(&format!("DROP TRIGGER \"{name}\""))
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
                one_statement(&format!(
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
        one_statement(sql).execute(&mut *conn).await?;
    }
    for (table, name) in &suspended.disabled {
        one_statement(&format!(
            "ALTER TABLE \"{table}\" ENABLE TRIGGER \"{name}\""
        ))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Secondary indexes set aside for a bulk load, to be created again by [`restore_indexes`] in
/// the same transaction from their own definitions (so the schema ends exactly as it was, and a
/// failed load leaves it untouched).
#[derive(Debug, Default)]
pub struct SuspendedIndexes {
    definitions: Vec<String>,
}

/// Drops the secondary indexes of `tables` (not the primary keys, nor the indexes behind a
/// PRIMARY KEY / UNIQUE constraint), remembering their definitions.
pub async fn suspend_indexes(
    conn: &mut Conn,
    backend: Backend,
    tables: &[&str],
) -> Result<SuspendedIndexes, StoreError> {
    let list = (1..=tables.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = match backend {
        // automatic indexes of constraints have no SQL text
        Backend::Sqlite => format!(
            "SELECT name, sql AS def FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
             AND tbl_name IN ({list}) ORDER BY name"
        ),
        Backend::Postgres => format!(
            "SELECT CAST(ic.relname AS TEXT) AS name, pg_get_indexdef(i.indexrelid) AS def \
             FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class tc ON tc.oid = i.indrelid \
             WHERE tc.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) \
             AND CAST(tc.relname AS TEXT) IN ({list}) \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1"
        ),
    };
    let mut query = sqlx::query(&sql);
    for t in tables {
        query = query.bind(*t);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    let mut out = SuspendedIndexes::default();
    for r in rows {
        let name: String = r.try_get("name")?;
        out.definitions.push(r.try_get("def")?);
        one_statement(&format!("DROP INDEX \"{name}\""))
            .execute(&mut *conn)
            .await?;
    }
    Ok(out)
}

pub async fn restore_indexes(
    conn: &mut Conn,
    suspended: SuspendedIndexes,
) -> Result<(), StoreError> {
    for sql in &suspended.definitions {
        one_statement(sql).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Foreign keys set aside for a bulk load on PostgreSQL, to be added again by
/// [`restore_foreign_keys`] in the same transaction from their own definitions: adding a foreign
/// key validates every row in one join, where keeping it checks (and locks) the referenced row
/// once per inserted row. The schema ends as it was, and integrity is still proven.
#[derive(Debug, Default)]
pub struct SuspendedForeignKeys {
    /// `(table, constraint, definition)`
    constraints: Vec<(String, String, String)>,
}

/// Drops the foreign keys declared on `tables` (PostgreSQL; nothing on SQLite, whose checks are
/// plain index lookups and cannot be switched off inside a transaction), remembering them.
pub async fn suspend_foreign_keys(
    conn: &mut Conn,
    backend: Backend,
    tables: &[&str],
) -> Result<SuspendedForeignKeys, StoreError> {
    let mut out = SuspendedForeignKeys::default();
    if backend != Backend::Postgres {
        return Ok(out);
    }
    let list = (1..=tables.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT CAST(tc.relname AS TEXT) AS tbl, CAST(c.conname AS TEXT) AS name, pg_get_constraintdef(c.oid) AS def \
         FROM pg_constraint c JOIN pg_class tc ON tc.oid = c.conrelid \
         WHERE c.contype = 'f' AND tc.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) \
         AND CAST(tc.relname AS TEXT) IN ({list}) ORDER BY 1, 2"
    );
    let mut query = sqlx::query(&sql);
    for t in tables {
        query = query.bind(*t);
    }
    for r in query.fetch_all(&mut *conn).await? {
        let (table, name, def): (String, String, String) =
            (r.try_get("tbl")?, r.try_get("name")?, r.try_get("def")?);
        one_statement(&format!(
            "ALTER TABLE \"{table}\" DROP CONSTRAINT \"{name}\""
        ))
        .execute(&mut *conn)
        .await?;
        out.constraints.push((table, name, def));
    }
    Ok(out)
}

pub async fn restore_foreign_keys(
    conn: &mut Conn,
    suspended: SuspendedForeignKeys,
) -> Result<(), StoreError> {
    for (table, name, def) in &suspended.constraints {
        one_statement(&format!(
            "ALTER TABLE \"{table}\" ADD CONSTRAINT \"{name}\" {def}"
        ))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Refreshes the planner's statistics after a bulk load, after its commit. On PostgreSQL this
/// is `VACUUM (ANALYZE)`: freshly loaded pages are not yet marked all-visible, so until
/// autovacuum gets to them an index-only scan of the rollups also reads the table. VACUUM
/// cannot run inside a transaction, so it takes a connection of its own.
pub async fn refresh_statistics(store: &Store) -> Result<(), StoreError> {
    match store.backend() {
        Backend::Postgres => {
            let mut conn = store.read().await?;
            one_statement("VACUUM (ANALYZE)")
                .execute(&mut *conn)
                .await?;
        }
        Backend::Sqlite => {
            let mut tx = store.begin().await?;
            one_statement("ANALYZE").execute(tx.conn()).await?;
            tx.commit().await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_number_their_placeholders_row_by_row() {
        let mut t = Table::with_suffix("t", "a, b, c", "ON CONFLICT DO NOTHING");
        t.push(&[Val::Int(1), Val::Text("it's"), Val::NullText]);
        t.push(&[Val::Int(-2), Val::Text("x"), Val::NullInt]);
        assert_eq!(
            t.statement(2, '$'),
            "INSERT INTO t (a, b, c) VALUES ($1,$2,$3), ($4,$5,$6) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            t.statement(1, '?'),
            "INSERT INTO t (a, b, c) VALUES (?,?,?) ON CONFLICT DO NOTHING"
        );
        assert_eq!(t.count(), 2);
        assert_eq!(&t.text, "it'sx");
    }

    #[test]
    fn a_statement_stays_under_the_parameter_limit() {
        let wide = Table::new("t", &vec!["c"; 40].join(", "));
        assert_eq!(wide.rows_per_statement(), 750);
        assert!(wide.rows_per_statement() * 40 <= MAX_PARAMETERS);
        assert_eq!(Table::new("t", "a, b").rows_per_statement(), 1000);
    }
}
