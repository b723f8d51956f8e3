//! Imports: saved column mappings, the record of confirmed imports, look-ups by the codes people
//! use in their files, and the writes that only an import makes (historical orders keep the
//! number they had in the old system).

use crate::bulk::{self, Val};
use crate::sql::Sql;
use crate::{now_micros, Backend, Conn, StoreError};
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;

/// The mapping (field -> column header) a person saved for a kind of file, as JSON text.
pub async fn mapping(
    conn: &mut Conn,
    person_id: i64,
    kind: &str,
) -> Result<Option<String>, StoreError> {
    let mut sql = Sql::new("SELECT mapping FROM import_mappings WHERE person_id = ");
    sql.bind(person_id).push(" AND kind = ").bind(kind);
    Ok(sql
        .fetch_optional(conn)
        .await?
        .map(|r| r.try_get("mapping"))
        .transpose()?)
}

pub async fn save_mapping(
    conn: &mut Conn,
    person_id: i64,
    kind: &str,
    mapping_json: &str,
) -> Result<(), StoreError> {
    let now = now_micros();
    let mut sql =
        Sql::new("INSERT INTO import_mappings (person_id, kind, mapping, updated_at) VALUES (");
    sql.bind(person_id)
        .push(", ")
        .bind(kind)
        .push(", ")
        .bind(mapping_json)
        .push(", ")
        .bind(now)
        .push(") ON CONFLICT (person_id, kind) DO UPDATE SET mapping = ")
        .bind(mapping_json)
        .push(", updated_at = ")
        .bind(now);
    sql.execute(conn).await?;
    Ok(())
}

pub struct NewRun<'a> {
    pub person_id: Option<i64>,
    pub kind: &'a str,
    pub file_name: Option<&'a str>,
    pub rows_read: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
}

pub async fn record_run(conn: &mut Conn, r: NewRun<'_>) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO import_runs (person_id, kind, file_name, rows_read, created, updated, unchanged, at) VALUES (",
    );
    sql.bind(r.person_id)
        .push(", ")
        .bind(r.kind)
        .push(", ")
        .bind(r.file_name)
        .push(", ")
        .bind(r.rows_read)
        .push(", ")
        .bind(r.created)
        .push(", ")
        .bind(r.updated)
        .push(", ")
        .bind(r.unchanged)
        .push(", ")
        .bind(now_micros())
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

/// The id of the record of `table` whose unique `column` equals `code` (tables and columns are
/// fixed by the caller, never taken from input).
pub async fn id_by_code(
    conn: &mut Conn,
    table: &'static str,
    column: &'static str,
    code: &str,
) -> Result<Option<i64>, StoreError> {
    let mut sql = Sql::new(&format!("SELECT id FROM {table} WHERE {column} = "));
    sql.bind(code);
    Ok(sql
        .fetch_optional(conn)
        .await?
        .map(|r| r.try_get("id"))
        .transpose()?)
}

/// A historical order line as stored, for comparing a re-imported file with what is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryLine {
    pub product_id: i64,
    pub quantity: i64,
    pub unit_price_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryOrder {
    pub id: i64,
    pub number: String,
    pub dealer_id: i64,
    pub order_date: String,
    pub status: String,
    pub lines: Vec<HistoryLine>,
}

/// The stored orders among these numbers, with their lines (line order), keyed by number: a
/// batch of a re-imported file is compared with what is there in two queries.
pub async fn orders_by_numbers(
    conn: &mut Conn,
    numbers: &[&str],
) -> Result<HashMap<String, HistoryOrder>, StoreError> {
    let mut found: HashMap<String, HistoryOrder> = HashMap::new();
    let per_statement = rows_per_statement(conn, 1);
    for chunk in numbers.chunks(per_statement) {
        let mut sql = Sql::new(
            "SELECT id, number, dealer_id, order_date, status FROM orders WHERE number IN (",
        );
        in_list(&mut sql, chunk.iter().copied());
        let mut by_id = HashMap::new();
        for r in sql.fetch_all(conn).await? {
            let order = HistoryOrder {
                id: r.try_get("id")?,
                number: r.try_get("number")?,
                dealer_id: r.try_get("dealer_id")?,
                order_date: r.try_get("order_date")?,
                status: r.try_get("status")?,
                lines: Vec::new(),
            };
            by_id.insert(order.id, order);
        }
        if by_id.is_empty() {
            continue;
        }
        let mut lines = Sql::new(
            "SELECT order_id, product_id, quantity, unit_price_fen FROM order_lines WHERE order_id IN (",
        );
        in_list(&mut lines, by_id.keys().copied());
        lines.push(" ORDER BY order_id, line_no");
        for l in lines.fetch_all(conn).await? {
            let order_id: i64 = l.try_get("order_id")?;
            if let Some(order) = by_id.get_mut(&order_id) {
                order.lines.push(HistoryLine {
                    product_id: l.try_get("product_id")?,
                    quantity: l.try_get("quantity")?,
                    unit_price_fen: l.try_get("unit_price_fen")?,
                });
            }
        }
        found.extend(by_id.into_values().map(|o| (o.number.clone(), o)));
    }
    Ok(found)
}

/// How many rows of `params_per_row` bind parameters one multi-row statement takes. sqlx binds
/// SQLite parameters by name, and SQLite finds a parameter's name by walking a list, so binding
/// costs grow with the square of a statement's parameters: a few hundred per statement keep it
/// negligible (and the statement text, the same for every full chunk, is prepared once). On
/// PostgreSQL fewer, larger statements save round trips (its limit is 65,535 parameters).
fn rows_per_statement(conn: &Conn, params_per_row: usize) -> usize {
    let params = if conn.backend_name() == "SQLite" {
        240
    } else {
        30_000
    };
    (params / params_per_row).max(1)
}

/// Appends `(v1, v2, …)` — the closing parenthesis included — binding each value.
fn in_list<V: Into<crate::sql::Value>>(sql: &mut Sql, values: impl Iterator<Item = V>) {
    for (i, v) in values.enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(v);
    }
    sql.push(")");
}

pub struct NewHistoryOrder<'a> {
    pub number: &'a str,
    pub dealer_id: i64,
    pub order_date: &'a str,
    pub node_id: i64,
    pub node_path: &'a str,
    pub owner_id: i64,
    pub note: Option<&'a str>,
    pub created_by: Option<i64>,
    pub lines: &'a [HistoryLine],
}

/// An import of order history under way, from [`begin_history`] to [`end_history`], all inside
/// the import's one transaction (a dry run or a failure rolls every step back).
///
/// Its lines are summed into rollup rows as they are written and added to the rollups a few
/// thousand rows at a time ([`RunSums`]) instead of row by row: on PostgreSQL the per-line
/// rollup triggers skip the transaction's rows (`salesos.skip_rollups`, migration 0013, no lock
/// taken); on SQLite, which has one writer at a time anyway, they are set aside and put back.
/// The dealers' first orders go the same way: each dealer's earliest order of the run, offered
/// at the end instead of one trigger call per order (migration 0014). A run
/// larger than the `orders` table also sets its secondary indexes aside and builds them again
/// at the end (`HistoryRun::orders_indexes_pay`). On PostgreSQL the rows travel as one array
/// per column ([`bulk::Table::columnar`]), and the foreign keys of
/// `order_lines` are also dropped for the run and added again at its end, which proves every
/// line's order and product in one join instead of one look-up per line (a third of the time
/// of 1 M lines); the price is an `ACCESS EXCLUSIVE` lock on `order_lines`, `orders` and
/// `products` until the import commits — an import of history is an onboarding step.
#[derive(Debug)]
pub struct HistoryRun {
    backend: Backend,
    rollups: bulk::Suspended,
    /// SQLite: the first-order trigger on insert, set aside like the rollup triggers.
    first_orders: bulk::Suspended,
    foreign_keys: bulk::SuspendedForeignKeys,
    /// The secondary indexes of `orders`, once the run is large next to the table (see
    /// `HistoryRun::orders_indexes_pay`).
    orders_indexes: Option<bulk::SuspendedIndexes>,
    /// The highest order id before the run: what it adds lies above it.
    after: i64,
    /// The `created_at` of every order of the run.
    created_at: i64,
    orders: bulk::Table,
    lines: bulk::Table,
    audit: bulk::Table,
    sums: RunSums,
}

impl HistoryRun {
    pub fn created_at(&self) -> i64 {
        self.created_at
    }

    /// Whether to set the secondary indexes of `orders` aside for the rest of the run and
    /// build them again at its end: once the run has added at least as many orders as the table
    /// had (and not a few), one build from the whole table costs less than keeping them
    /// in order row by row (each index puts its new entries all over its tree). The unique
    /// number and the lines' index stay: the run looks orders up by number and their lines by
    /// order.
    fn orders_indexes_pay(&self) -> bool {
        const AT_LEAST: u64 = 20_000;
        self.orders_indexes.is_none()
            && self.orders.count() >= AT_LEAST.max(self.after.max(0) as u64)
    }
}

/// Starts an import of order history (see [`HistoryRun`]) and the table of the order numbers
/// it meets ([`note_order_numbers`]).
pub async fn begin_history(conn: &mut Conn, backend: Backend) -> Result<HistoryRun, StoreError> {
    let rollups = match backend {
        Backend::Postgres => {
            Sql::new("SET LOCAL salesos.skip_rollups = 'on'")
                .execute(conn)
                .await?;
            bulk::Suspended::default()
        }
        Backend::Sqlite => bulk::suspend_triggers(conn, backend, "rollup_order_line").await?,
    };
    let first_orders = match backend {
        Backend::Postgres => bulk::Suspended::default(),
        Backend::Sqlite => bulk::suspend_triggers(conn, backend, "first_order_insert").await?,
    };
    // PostgreSQL: sort memory for the index builds and the foreign keys' validation (server
    // side). Not SQLite's bigger page cache: it would grow the importer's memory with the file
    // up to its bound (measured +110 MiB at 1 M lines) for no measurable gain.
    if backend == Backend::Postgres {
        bulk::begin_load(conn, backend).await?;
    }
    // on PostgreSQL this lock also makes a concurrent import wait here, before its ids are read
    let foreign_keys = bulk::suspend_foreign_keys(conn, backend, &["order_lines"]).await?;
    let after = last_order_id(conn).await?;
    begin_order_numbers(conn).await?;
    Ok(HistoryRun {
        backend,
        rollups,
        first_orders,
        foreign_keys,
        orders_indexes: None,
        after,
        created_at: now_micros(),
        orders: bulk::Table::new(
            "orders",
            "id, number, dealer_id, order_date, status, source, node_id, node_path, owner_id, \
             total_fen, exposure_fen, note, created_by, created_at, updated_at",
        )
        .columnar(),
        lines: bulk::Table::new(
            "order_lines",
            "order_id, line_no, product_id, quantity, list_price_fen, unit_price_fen, amount_fen, \
             manual_price, shipped_qty",
        )
        .columnar(),
        audit: bulk::Table::new(
            "audit_log",
            "at, person_id, source, request_id, operation, entity, entity_id, scope_path, \
             before_json, after_json",
        )
        .columnar(),
        sums: RunSums::default(),
    })
}

/// Ends the run: adds its lines to the rollups, puts back (and so re-validates) what
/// [`begin_history`] set aside and drops the table of order numbers.
pub async fn end_history(conn: &mut Conn, mut run: HistoryRun) -> Result<(), StoreError> {
    run.orders.flush(conn).await?;
    run.lines.flush(conn).await?;
    run.audit.flush(conn).await?;
    if let Some(indexes) = run.orders_indexes.take() {
        bulk::restore_indexes(conn, indexes).await?;
    }
    run.sums.add_to_rollups(conn).await?;
    run.sums.offer_first_orders(conn).await?;
    bulk::restore_foreign_keys(conn, run.foreign_keys).await?;
    bulk::restore_triggers(conn, run.rollups).await?;
    bulk::restore_triggers(conn, run.first_orders).await?;
    if run.backend == Backend::Postgres {
        Sql::new("SET LOCAL salesos.skip_rollups = 'off'")
            .execute(conn)
            .await?;
    }
    end_order_numbers(conn).await
}

/// `count` fresh order ids. SQLite: the import holds the only write lock, so the ids past the
/// largest are free (AUTOINCREMENT follows them). PostgreSQL: taken from the identity sequence,
/// so orders entered meanwhile never collide with them.
async fn new_order_ids(
    conn: &mut Conn,
    backend: Backend,
    count: usize,
) -> Result<Vec<i64>, StoreError> {
    match backend {
        Backend::Sqlite => {
            let first = bulk::next_id(conn, "orders").await?;
            Ok((first..first + count as i64).collect())
        }
        Backend::Postgres => {
            let mut sql = Sql::new(
                "SELECT nextval(pg_get_serial_sequence('orders', 'id')) AS id FROM generate_series(1, ",
            );
            sql.bind(count as i64).push(")");
            sql.fetch_all(conn)
                .await?
                .iter()
                .map(|r| r.try_get("id").map_err(StoreError::from))
                .collect()
        }
    }
}

/// Closed orders from the old system: fully shipped, adding nothing to credit exposure. Written
/// through the run's bulk tables (prepared multi-row inserts of up to a thousand rows), orders
/// before their lines; returns the ids in the order given.
pub async fn insert_history_orders(
    conn: &mut Conn,
    run: &mut HistoryRun,
    orders: &[NewHistoryOrder<'_>],
) -> Result<Vec<i64>, StoreError> {
    if run.orders_indexes_pay() {
        run.orders_indexes = Some(bulk::suspend_indexes(conn, run.backend, &["orders"]).await?);
    }
    let ids = new_order_ids(conn, run.backend, orders.len()).await?;
    let at = run.created_at;
    for (n, id) in orders.iter().zip(&ids) {
        run.sums.add_order(n, *id);
        let total: i64 = n.lines.iter().map(|l| l.quantity * l.unit_price_fen).sum();
        run.orders.push(&[
            Val::Int(*id),
            Val::Text(n.number),
            Val::Int(n.dealer_id),
            Val::Text(n.order_date),
            Val::Text("closed"),
            Val::Text("import"),
            Val::Int(n.node_id),
            Val::Text(n.node_path),
            Val::Int(n.owner_id),
            Val::Int(total),
            Val::Int(0),
            n.note.into(),
            n.created_by.into(),
            Val::Int(at),
            Val::Int(at),
        ]);
        run.orders.flush_if_full(conn).await?;
    }
    run.orders.flush(conn).await?;
    if run.sums.groups.len() >= ROLLUP_GROUPS_HELD {
        run.sums.add_to_rollups(conn).await?;
    }
    for (n, id) in orders.iter().zip(&ids) {
        for (i, l) in n.lines.iter().enumerate() {
            run.lines.push(&[
                Val::Int(*id),
                Val::Int(i as i64 + 1),
                Val::Int(l.product_id),
                Val::Int(l.quantity),
                Val::NullInt,
                Val::Int(l.unit_price_fen),
                Val::Int(l.quantity * l.unit_price_fen),
                Val::Int(0),
                Val::Int(l.quantity),
            ]);
            run.lines.flush_if_full(conn).await?;
        }
    }
    run.lines.flush(conn).await?;
    Ok(ids)
}

/// What the audit trail keeps of an imported order (its `after_json`): the order and every line,
/// each line as `[product_id, quantity, unit_price_fen]` (named once, in `line_fields`). The
/// audit of a large import is most of the bytes it writes; one object per line would triple it.
#[derive(Debug)]
pub struct ImportedOrder<'a> {
    pub number: &'a str,
    pub dealer_id: i64,
    pub order_date: &'a str,
    pub lines: &'a [HistoryLine],
}

impl Serialize for ImportedOrder<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Rows<'a>(&'a [HistoryLine]);
        impl Serialize for Rows<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(
                    self.0
                        .iter()
                        .map(|l| [l.product_id, l.quantity, l.unit_price_fen]),
                )
            }
        }
        let mut order = s.serialize_struct("ImportedOrder", 5)?;
        order.serialize_field("number", self.number)?;
        order.serialize_field("dealer_id", &self.dealer_id)?;
        order.serialize_field("order_date", self.order_date)?;
        order.serialize_field("line_fields", &["product_id", "quantity", "unit_price_fen"])?;
        order.serialize_field("lines", &Rows(self.lines))?;
        order.end()
    }
}

/// Who imports: the audit columns every entry of a run shares.
pub struct ImportedBy<'a> {
    pub person_id: Option<i64>,
    pub source: &'a str,
    pub request_id: &'a str,
}

/// One `order.import` audit entry per order of the run (the columns of [`crate::audit::append`]):
/// `(order id, scope path, what was imported)`, written through its bulk table.
pub async fn audit_imported_orders<'a>(
    conn: &mut Conn,
    run: &mut HistoryRun,
    by: &ImportedBy<'_>,
    orders: impl Iterator<Item = (i64, &'a str, ImportedOrder<'a>)>,
) -> Result<(), StoreError> {
    let now = now_micros();
    let mut after = Vec::new();
    for (order_id, scope_path, order) in orders {
        after.clear();
        serde_json::to_writer(&mut after, &order)
            .map_err(|e| StoreError::Db(sqlx::Error::Encode(Box::new(e))))?;
        let after = std::str::from_utf8(&after).unwrap_or_default();
        run.audit.push(&[
            Val::Int(now),
            by.person_id.into(),
            Val::Text(by.source),
            Val::Text(by.request_id),
            Val::Text("order.import"),
            Val::Text("order"),
            Val::Int(order_id),
            Val::Text(scope_path),
            Val::NullText,
            Val::Text(after),
        ]);
        run.audit.flush_if_full(conn).await?;
    }
    run.audit.flush(conn).await
}

/// The order numbers an import has met, kept in a temporary table of its transaction rather
/// than in memory, so that a file of any length is checked for an order whose lines are not
/// kept together while memory stays flat. Gone with the transaction (or [`end_order_numbers`]).
async fn begin_order_numbers(conn: &mut Conn) -> Result<(), StoreError> {
    Sql::new(
        "CREATE TEMP TABLE import_order_numbers (number TEXT PRIMARY KEY, first_row BIGINT NOT NULL)",
    )
    .execute(conn)
    .await?;
    Ok(())
}

async fn end_order_numbers(conn: &mut Conn) -> Result<(), StoreError> {
    Sql::new("DROP TABLE import_order_numbers")
        .execute(conn)
        .await?;
    Ok(())
}

/// Notes where each order number (distinct within the call) begins in the file; returns those
/// met before, with the row where they began.
pub async fn note_order_numbers(
    conn: &mut Conn,
    numbers: &[(String, u64)],
) -> Result<HashMap<String, u64>, StoreError> {
    let mut met = HashMap::new();
    for chunk in numbers.chunks(rows_per_statement(conn, 2)) {
        let mut sql = Sql::new("INSERT INTO import_order_numbers (number, first_row) VALUES ");
        for (i, (number, row)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(number)
                .push(", ")
                .bind(*row as i64)
                .push(")");
        }
        sql.push(" ON CONFLICT (number) DO NOTHING RETURNING number");
        let noted: std::collections::HashSet<String> = sql
            .fetch_all(conn)
            .await?
            .iter()
            .map(|r| r.try_get("number"))
            .collect::<Result<_, _>>()?;
        if noted.len() == chunk.len() {
            continue;
        }
        let mut earlier =
            Sql::new("SELECT number, first_row FROM import_order_numbers WHERE number IN (");
        in_list(
            &mut earlier,
            chunk.iter().map(|(n, _)| n).filter(|n| !noted.contains(*n)),
        );
        for r in earlier.fetch_all(conn).await? {
            let row: i64 = r.try_get("first_row")?;
            met.insert(r.try_get("number")?, row as u64);
        }
    }
    Ok(met)
}

/// The highest order id so far: what an import run adds lies above it.
async fn last_order_id(conn: &mut Conn) -> Result<i64, StoreError> {
    let r = Sql::new("SELECT COALESCE((SELECT MAX(id) FROM orders), 0) AS o")
        .fetch_one(conn)
        .await?;
    Ok(r.try_get("o")?)
}

/// The rollup rows a run sums in memory before adding them to the rollup tables (plus at most
/// one batch of lines more), about 10 MiB: memory stays bounded whatever the file, while one
/// company's history (months × dealers × products it sold) mostly fits, so each rollup row
/// costs one upsert. Far fewer held would re-upsert the same rows batch after batch (2,000
/// held: PostgreSQL's import of the 1 M-line benchmark took 26 s instead of 16 s).
pub const ROLLUP_GROUPS_HELD: usize = 100_000;

/// One row of `sales_rollups`: the month, place, owner, dealer and product a line counts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct RollupKey {
    month: [u8; 7],
    node_id: i64,
    owner_id: i64,
    dealer_id: i64,
    product_id: i64,
}

/// What the per-row triggers the run sets aside would have added, summed as the orders are
/// written: the rollup rows of its lines, and each dealer's earliest order of the run. Summing
/// here costs a hash update per line; grouping the written lines again afterwards (a join and a
/// GROUP BY over every line) cost as much as writing them.
#[derive(Debug, Default)]
struct RunSums {
    /// (ordered_fen, ordered_qty) per rollup row.
    groups: HashMap<RollupKey, (i64, i64)>,
    /// The path of each place met (an order keeps its dealer's place and path).
    paths: HashMap<i64, String>,
    /// Per dealer, its earliest order of the run (by date, then id).
    first_orders: HashMap<i64, FirstOrder>,
}

#[derive(Debug)]
struct FirstOrder {
    order_date: String,
    order_id: i64,
    node_id: i64,
    owner_id: i64,
}

impl RunSums {
    fn add_order(&mut self, order: &NewHistoryOrder<'_>, order_id: i64) {
        // `YYYY-MM` of the order's date, checked by the import as a date
        let mut month = [b'0'; 7];
        for (m, d) in month.iter_mut().zip(order.order_date.bytes()) {
            *m = d;
        }
        self.paths
            .entry(order.node_id)
            .or_insert_with(|| order.node_path.to_string());
        for l in order.lines {
            let key = RollupKey {
                month,
                node_id: order.node_id,
                owner_id: order.owner_id,
                dealer_id: order.dealer_id,
                product_id: l.product_id,
            };
            let sums = self.groups.entry(key).or_default();
            sums.0 += l.quantity * l.unit_price_fen;
            sums.1 += l.quantity;
        }
        let earlier =
            |f: &FirstOrder| (order.order_date, order_id) < (f.order_date.as_str(), f.order_id);
        match self.first_orders.get_mut(&order.dealer_id) {
            Some(f) if !earlier(f) => {}
            Some(f) => {
                f.order_date.clear();
                f.order_date.push_str(order.order_date);
                f.order_id = order_id;
                f.node_id = order.node_id;
                f.owner_id = order.owner_id;
            }
            None => {
                self.first_orders.insert(
                    order.dealer_id,
                    FirstOrder {
                        order_date: order.order_date.to_string(),
                        order_id,
                        node_id: order.node_id,
                        owner_id: order.owner_id,
                    },
                );
            }
        }
    }

    fn path(&self, node_id: i64) -> &str {
        self.paths.get(&node_id).map_or("", String::as_str)
    }

    /// Adds the sums held to `sales_rollups` and `sales_rollups_by_owner` (one upsert per
    /// batch of rows, each row once per statement) and empties them.
    async fn add_to_rollups(&mut self, conn: &mut Conn) -> Result<(), StoreError> {
        // the other metrics of a new rollup row start at their default, zero
        const METRICS: &str = "ordered_fen, ordered_qty";
        const ADD: &str = "DO UPDATE SET ordered_fen = r.ordered_fen + excluded.ordered_fen, ordered_qty = r.ordered_qty + excluded.ordered_qty";
        let mut rollups = bulk::Table::with_suffix(
            "sales_rollups AS r",
            &format!("month, node_path, owner_id, dealer_id, product_id, {METRICS}"),
            &format!("ON CONFLICT (month, node_path, owner_id, dealer_id, product_id) {ADD}"),
        )
        .columnar();
        let mut by_owner: HashMap<([u8; 7], i64, i64), (i64, i64)> = HashMap::new();
        for (k, (fen, qty)) in std::mem::take(&mut self.groups) {
            let month = std::str::from_utf8(&k.month).unwrap_or_default();
            rollups.push(&[
                Val::Text(month),
                Val::Text(self.path(k.node_id)),
                Val::Int(k.owner_id),
                Val::Int(k.dealer_id),
                Val::Int(k.product_id),
                Val::Int(fen),
                Val::Int(qty),
            ]);
            rollups.flush_if_full(conn).await?;
            let owner = by_owner
                .entry((k.month, k.node_id, k.owner_id))
                .or_default();
            owner.0 += fen;
            owner.1 += qty;
        }
        rollups.flush(conn).await?;
        let mut owners = bulk::Table::with_suffix(
            "sales_rollups_by_owner AS r",
            &format!("month, node_path, owner_id, {METRICS}"),
            &format!("ON CONFLICT (month, node_path, owner_id) {ADD}"),
        )
        .columnar();
        for ((month, node_id, owner_id), (fen, qty)) in by_owner {
            owners.push(&[
                Val::Text(std::str::from_utf8(&month).unwrap_or_default()),
                Val::Text(self.path(node_id)),
                Val::Int(owner_id),
                Val::Int(fen),
                Val::Int(qty),
            ]);
            owners.flush_if_full(conn).await?;
        }
        owners.flush(conn).await
    }

    /// Offers each dealer's earliest order of the run for its first place, in one statement:
    /// it replaces the stored first order when it is earlier, which is what the first-order
    /// trigger, set aside for the run, would have left after offering them one by one.
    /// Imported orders are closed, a status that counts.
    async fn offer_first_orders(&mut self, conn: &mut Conn) -> Result<(), StoreError> {
        let mut firsts = bulk::Table::with_suffix(
            "dealer_first_orders AS f",
            "dealer_id, order_id, order_date, month, node_path, owner_id",
            "ON CONFLICT (dealer_id) DO UPDATE SET order_id = excluded.order_id, \
             order_date = excluded.order_date, month = excluded.month, \
             node_path = excluded.node_path, owner_id = excluded.owner_id \
             WHERE excluded.order_date < f.order_date \
             OR (excluded.order_date = f.order_date AND excluded.order_id < f.order_id)",
        )
        .columnar();
        for (dealer_id, f) in std::mem::take(&mut self.first_orders) {
            firsts.push(&[
                Val::Int(dealer_id),
                Val::Int(f.order_id),
                Val::Text(&f.order_date),
                Val::Text(f.order_date.get(..7).unwrap_or_default()),
                Val::Text(self.path(f.node_id)),
                Val::Int(f.owner_id),
            ]);
            firsts.flush_if_full(conn).await?;
        }
        firsts.flush(conn).await
    }
}

/// An invoice as stored, for comparing an opening-balance row with what is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpeningInvoice {
    pub id: i64,
    pub dealer_id: i64,
    pub invoice_date: String,
    pub due_date: String,
    pub gross_fen: i64,
}

pub async fn invoice_by_number(
    conn: &mut Conn,
    number: &str,
) -> Result<Option<OpeningInvoice>, StoreError> {
    let mut sql = Sql::new(
        "SELECT id, dealer_id, invoice_date, due_date, gross_fen FROM invoices WHERE number = ",
    );
    sql.bind(number);
    let Some(r) = sql.fetch_optional(conn).await? else {
        return Ok(None);
    };
    Ok(Some(OpeningInvoice {
        id: r.try_get("id")?,
        dealer_id: r.try_get("dealer_id")?,
        invoice_date: r.try_get("invoice_date")?,
        due_date: r.try_get("due_date")?,
        gross_fen: r.try_get("gross_fen")?,
    }))
}

/// A value read for an export: text or a whole number (money in fen), or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    Text(String),
    Int(i64),
    Null,
}

/// How to read a column of an export query.
#[derive(Debug, Clone, Copy)]
pub enum OutType {
    Text,
    Int,
}

/// The rows of an export (every row in the person's scope, no paging): `select` ends in a
/// `WHERE` clause the scope filter is appended to; tables, columns and order are fixed by the
/// caller.
pub async fn export_rows(
    conn: &mut Conn,
    select: &str,
    scope: Option<(&crate::Scope, &str, &str)>,
    order_by: &str,
    columns: &[OutType],
) -> Result<Vec<Vec<Out>>, StoreError> {
    let mut sql = Sql::new(select);
    if let Some((scope, path, owner)) = scope {
        sql.scope(scope, path, owner);
    }
    sql.push(" ORDER BY ").push(order_by);
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            columns
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    Ok(match t {
                        OutType::Text => r
                            .try_get::<Option<String>, _>(i)?
                            .map_or(Out::Null, Out::Text),
                        OutType::Int => r.try_get::<Option<i64>, _>(i)?.map_or(Out::Null, Out::Int),
                    })
                })
                .collect::<Result<Vec<Out>, sqlx::Error>>()
        })
        .collect::<Result<_, _>>()
        .map_err(StoreError::from)
}
