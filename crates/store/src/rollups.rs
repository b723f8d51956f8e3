//! The sales rollups (`sales_rollups`: month × territory × owner × dealer × product, and the
//! coarser `sales_rollups_by_owner`: month × territory × owner) that dashboards and achievement
//! read, so their cost grows with the groups shown, not with the number of order lines; and the
//! open receivables per due date × territory × owner (`open_receivables_rollups`) that the
//! dashboards' aging reads.
//!
//! Database triggers keep the rollups current on every write to orders, shipments, invoices and
//! payments, whichever code path writes (use cases, demo data, imports). [`rebuild`] recomputes
//! them in one statement after a bulk load; [`check_unscoped`] compares them with a full
//! recomputation for `salesos check`.

use crate::sql::Sql;
use crate::{Conn, StoreError};
use salesos_domain::scope::Scope;
use serde::Serialize;
use sqlx::Row;

const COLUMNS: &str = "month, node_path, owner_id, dealer_id, product_id, ordered_fen, ordered_qty, shipped_fen, shipped_qty, invoiced_fen, invoiced_qty, collected_fen";

/// The rollups recomputed from the documents, one row per group (a SELECT).
const RECOMPUTATION: &str = "SELECT month, node_path, owner_id, dealer_id, product_id, \
         CAST(SUM(ordered_fen) AS BIGINT) AS ordered_fen, CAST(SUM(ordered_qty) AS BIGINT) AS ordered_qty, \
         CAST(SUM(shipped_fen) AS BIGINT) AS shipped_fen, CAST(SUM(shipped_qty) AS BIGINT) AS shipped_qty, \
         CAST(SUM(invoiced_fen) AS BIGINT) AS invoiced_fen, CAST(SUM(invoiced_qty) AS BIGINT) AS invoiced_qty, \
         CAST(SUM(collected_fen) AS BIGINT) AS collected_fen FROM ( \
         SELECT substr(o.order_date, 1, 7) AS month, o.node_path AS node_path, o.owner_id AS owner_id, o.dealer_id AS dealer_id, l.product_id AS product_id, \
           l.amount_fen AS ordered_fen, l.quantity AS ordered_qty, 0 AS shipped_fen, 0 AS shipped_qty, 0 AS invoiced_fen, 0 AS invoiced_qty, 0 AS collected_fen \
           FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.status IN ('confirmed', 'partially_shipped', 'shipped', 'closed') \
         UNION ALL SELECT substr(s.shipped_on, 1, 7), s.node_path, s.owner_id, s.dealer_id, l.product_id, 0, 0, l.amount_fen, l.quantity, 0, 0, 0 \
           FROM shipment_lines l JOIN shipments s ON s.id = l.shipment_id WHERE s.status IN ('shipped', 'delivered', 'closed') AND s.shipped_on IS NOT NULL \
         UNION ALL SELECT substr(i.invoice_date, 1, 7), i.node_path, i.owner_id, i.dealer_id, l.product_id, 0, 0, 0, 0, l.gross_fen, l.quantity, 0 \
           FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE i.status <> 'cancelled' \
         UNION ALL SELECT substr(p.received_on, 1, 7), p.node_path, p.owner_id, p.dealer_id, 0, 0, 0, 0, 0, 0, 0, p.amount_fen FROM payments p \
         ) x GROUP BY month, node_path, owner_id, dealer_id, product_id";

const NONZERO: &str = "(ordered_fen <> 0 OR ordered_qty <> 0 OR shipped_fen <> 0 OR shipped_qty <> 0 OR invoiced_fen <> 0 OR invoiced_qty <> 0 OR collected_fen <> 0)";

/// Replaces the rollups by their recomputation from the documents (after a bulk load, or to
/// repair). Runs inside the caller's transaction; returns the number of groups written.
pub async fn rebuild(conn: &mut Conn) -> Result<u64, StoreError> {
    Sql::new("DELETE FROM sales_rollups").execute(conn).await?;
    let insert = format!(
        "INSERT INTO sales_rollups ({COLUMNS}) SELECT {COLUMNS} FROM ({}) r WHERE {NONZERO}",
        RECOMPUTATION
    );
    let groups = Sql::new(&insert).execute(conn).await?;
    Sql::new("DELETE FROM sales_rollups_by_owner")
        .execute(conn)
        .await?;
    Sql::new(&format!(
        "INSERT INTO sales_rollups_by_owner (month, node_path, owner_id, {METRICS}) \
         SELECT month, node_path, owner_id, {SUMS} FROM sales_rollups GROUP BY month, node_path, owner_id"
    ))
    .execute(conn)
    .await?;
    Sql::new("DELETE FROM open_receivables_rollups")
        .execute(conn)
        .await?;
    Sql::new(&format!(
        "INSERT INTO open_receivables_rollups (due_date, node_path, owner_id, open_fen) {OPEN_RECEIVABLES}"
    ))
    .execute(conn)
    .await?;
    Ok(groups)
}

/// The open receivables rollup recomputed from the invoices (a SELECT).
const OPEN_RECEIVABLES: &str =
    "SELECT due_date, node_path, owner_id, CAST(SUM(open_fen) AS BIGINT) AS open_fen \
     FROM invoices WHERE status = 'open' AND open_fen > 0 GROUP BY due_date, node_path, owner_id";

const METRICS: &str =
    "ordered_fen, ordered_qty, shipped_fen, shipped_qty, invoiced_fen, invoiced_qty, collected_fen";
const SUMS: &str = "CAST(SUM(ordered_fen) AS BIGINT) AS ordered_fen, CAST(SUM(ordered_qty) AS BIGINT) AS ordered_qty, \
     CAST(SUM(shipped_fen) AS BIGINT) AS shipped_fen, CAST(SUM(shipped_qty) AS BIGINT) AS shipped_qty, \
     CAST(SUM(invoiced_fen) AS BIGINT) AS invoiced_fen, CAST(SUM(invoiced_qty) AS BIGINT) AS invoiced_qty, \
     CAST(SUM(collected_fen) AS BIGINT) AS collected_fen";

/// Rollup groups that differ from a full recomputation (at most [`crate::check::SHOWN`]
/// reported per table, then a count). Each table is compared with its recomputation in one
/// set-based pass in the database: only the differing groups come back.
pub async fn check_unscoped(conn: &mut Conn) -> Result<Vec<String>, StoreError> {
    use crate::check::{first_offending, kept_more, set_difference};
    let stored = format!("SELECT {COLUMNS} FROM sales_rollups WHERE {NONZERO}");
    let computed = format!("SELECT {COLUMNS} FROM ({RECOMPUTATION}) r WHERE {NONZERO}");
    let mut problems = first_offending(
        &mut *conn,
        "differing sales rollup groups",
        &set_difference(&stored, &computed, COLUMNS),
        "month, node_path, owner_id, dealer_id, product_id, kept_rows",
        |r, out| {
            let month: String = r.try_get("month")?;
            let path: String = r.try_get("node_path")?;
            let owner: i64 = r.try_get("owner_id")?;
            let dealer: i64 = r.try_get("dealer_id")?;
            let product: i64 = r.try_get("product_id")?;
            let label = if kept_more(r)? {
                "kept but not recomputed"
            } else {
                "recomputed but not kept"
            };
            out.push(format!(
                "sales rollup {month} {path} owner {owner} dealer {dealer} product {product}: {label}"
            ));
            Ok(())
        },
    )
    .await?;
    // the per-owner table is the GROUP BY of the fine one
    let coarse = format!(
        "SELECT month, node_path, owner_id, {METRICS} FROM sales_rollups_by_owner WHERE {NONZERO}"
    );
    let grouped = format!(
        "SELECT * FROM (SELECT month, node_path, owner_id, {SUMS} FROM sales_rollups GROUP BY month, node_path, owner_id) g WHERE {NONZERO}"
    );
    problems.extend(
        first_offending(
            &mut *conn,
            "differing per-owner sales rollup groups",
            &set_difference(&coarse, &grouped, &format!("month, node_path, owner_id, {METRICS}")),
            "month, node_path, owner_id, kept_rows",
            |r, out| {
                let month: String = r.try_get("month")?;
                let path: String = r.try_get("node_path")?;
                let owner: i64 = r.try_get("owner_id")?;
                out.push(format!(
                    "sales rollup per owner {month} {path} owner {owner}: differs from the detailed rollups"
                ));
                Ok(())
            },
        )
        .await?,
    );
    // open receivables: kept only where something is open, equal to the open invoices' sums
    let kept = "SELECT due_date, node_path, owner_id, open_fen FROM open_receivables_rollups";
    problems.extend(
        first_offending(
            conn,
            "differing open receivables rollup groups",
            &set_difference(kept, OPEN_RECEIVABLES, "due_date, node_path, owner_id, open_fen"),
            "due_date, node_path, owner_id, kept_rows",
            |r, out| {
                let due: String = r.try_get("due_date")?;
                let path: String = r.try_get("node_path")?;
                let owner: i64 = r.try_get("owner_id")?;
                out.push(format!(
                    "open receivables rollup due {due} {path} owner {owner}: differs from the open invoices"
                ));
                Ok(())
            },
        )
        .await?,
    );
    Ok(problems)
}

/// What open invoices in the scope still owe, per due date (the dashboards age it in buckets),
/// from the open receivables rollup: the same figures as summing the open invoices.
pub async fn open_by_due_date(
    conn: &mut Conn,
    scope: &Scope,
) -> Result<Vec<(String, i64)>, StoreError> {
    let mut sql = Sql::new(
        "SELECT r.due_date, CAST(SUM(r.open_fen) AS BIGINT) AS v FROM open_receivables_rollups r WHERE 1 = 1",
    );
    sql.scope(scope, "r.node_path", "r.owner_id");
    sql.push(" GROUP BY r.due_date ORDER BY r.due_date");
    Ok(sql
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("due_date")?, r.try_get("v")?)))
        .collect::<Result<_, sqlx::Error>>()?)
}

/// Which rollup column a figure is read from (never user text: the SQL names it directly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column(&'static str);

impl Column {
    pub const ORDERED_FEN: Column = Column("ordered_fen");
    /// The column for a metric's code from `domain::targets::Metric::rollup_column`.
    pub fn named(name: &'static str) -> Option<Column> {
        [
            "ordered_fen",
            "ordered_qty",
            "shipped_fen",
            "shipped_qty",
            "invoiced_fen",
            "invoiced_qty",
            "collected_fen",
        ]
        .contains(&name)
        .then_some(Column(name))
    }
    pub fn name(self) -> &'static str {
        self.0
    }
}

/// What part of the rollups a figure covers: months `[from, to]` (`YYYY-MM`), a territory
/// subtree and/or an owner, a product.
#[derive(Debug, Clone, Default)]
pub struct Slice {
    pub from_month: String,
    pub to_month: String,
    pub within_path: Option<String>,
    pub owner_id: Option<i64>,
    pub product_id: Option<i64>,
    pub product_line_id: Option<i64>,
}

/// The table a slice reads: the per-owner one unless it filters by product.
fn table_of(slice: &Slice) -> &'static str {
    if slice.product_id.is_some() || slice.product_line_id.is_some() {
        "sales_rollups"
    } else {
        "sales_rollups_by_owner"
    }
}

fn slice_sql(sql: &mut Sql, slice: &Slice) {
    sql.push(" WHERE r.month >= ")
        .bind(slice.from_month.as_str())
        .push(" AND r.month <= ")
        .bind(slice.to_month.as_str());
    if let Some(path) = &slice.within_path {
        if let Some(p) = salesos_domain::org::OrgPath::parse(path) {
            sql.path_within("r.node_path", &p);
        }
    }
    if let Some(owner) = slice.owner_id {
        sql.push(" AND r.owner_id = ").bind(owner);
    }
    if let Some(product) = slice.product_id {
        sql.push(" AND r.product_id = ").bind(product);
    }
    if let Some(line) = slice.product_line_id {
        sql.push(" AND r.product_id IN (SELECT id FROM products WHERE line_id = ")
            .bind(line)
            .push(")");
    }
}

/// A figure per key (a month, a path, an owner…).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct KeyedSum {
    pub key: String,
    pub value: i64,
}

/// The total of `column` over `slice`, within the person's scope.
pub async fn total(
    conn: &mut Conn,
    scope: &Scope,
    column: Column,
    slice: &Slice,
) -> Result<i64, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT CAST(COALESCE(SUM(r.{}), 0) AS BIGINT) AS v FROM {} r",
        column.name(),
        table_of(slice)
    ));
    slice_sql(&mut sql, slice);
    sql.scope(scope, "r.node_path", "r.owner_id");
    Ok(sql.fetch_one(conn).await?.try_get("v")?)
}

/// The total of `column` over `slice` for system work and for leaderboards, which show peers'
/// achievement (a deliberate, narrow disclosure: name, figure and place only).
pub async fn total_unscoped(
    conn: &mut Conn,
    column: Column,
    slice: &Slice,
) -> Result<i64, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT CAST(COALESCE(SUM(r.{}), 0) AS BIGINT) AS v FROM {} r",
        column.name(),
        table_of(slice)
    ));
    slice_sql(&mut sql, slice);
    Ok(sql.fetch_one(conn).await?.try_get("v")?)
}

/// `column` per month over `slice`, within the person's scope.
pub async fn by_month(
    conn: &mut Conn,
    scope: &Scope,
    column: Column,
    slice: &Slice,
) -> Result<Vec<KeyedSum>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT r.month AS k, CAST(COALESCE(SUM(r.{}), 0) AS BIGINT) AS v FROM {} r",
        column.name(),
        table_of(slice)
    ));
    slice_sql(&mut sql, slice);
    sql.scope(scope, "r.node_path", "r.owner_id");
    sql.push(" GROUP BY r.month ORDER BY r.month");
    keyed(&sql, conn).await
}

/// `column` per owner over `slice` (keys are person ids), within the person's scope.
pub async fn by_owner(
    conn: &mut Conn,
    scope: &Scope,
    column: Column,
    slice: &Slice,
) -> Result<Vec<KeyedSum>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT CAST(r.owner_id AS TEXT) AS k, CAST(COALESCE(SUM(r.{}), 0) AS BIGINT) AS v FROM {} r",
        column.name(),
        table_of(slice)
    ));
    slice_sql(&mut sql, slice);
    sql.scope(scope, "r.node_path", "r.owner_id");
    sql.push(" GROUP BY r.owner_id ORDER BY r.owner_id");
    keyed(&sql, conn).await
}

async fn keyed(sql: &Sql, conn: &mut Conn) -> Result<Vec<KeyedSum>, StoreError> {
    sql.fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok(KeyedSum {
                key: r.try_get("k")?,
                value: r.try_get("v")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// One stored rollup group (tests and exports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollupRow {
    pub month: String,
    pub node_path: String,
    pub owner_id: i64,
    pub dealer_id: i64,
    pub product_id: i64,
    pub ordered_fen: i64,
    pub ordered_qty: i64,
    pub shipped_fen: i64,
    pub shipped_qty: i64,
    pub invoiced_fen: i64,
    pub invoiced_qty: i64,
    pub collected_fen: i64,
}

/// Every non-zero rollup group, in key order (system work and tests).
pub async fn all_unscoped(conn: &mut Conn) -> Result<Vec<RollupRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sales_rollups WHERE {NONZERO} ORDER BY month, node_path, owner_id, dealer_id, product_id"
    );
    Sql::new(&sql)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok(RollupRow {
                month: r.try_get("month")?,
                node_path: r.try_get("node_path")?,
                owner_id: r.try_get("owner_id")?,
                dealer_id: r.try_get("dealer_id")?,
                product_id: r.try_get("product_id")?,
                ordered_fen: r.try_get("ordered_fen")?,
                ordered_qty: r.try_get("ordered_qty")?,
                shipped_fen: r.try_get("shipped_fen")?,
                shipped_qty: r.try_get("shipped_qty")?,
                invoiced_fen: r.try_get("invoiced_fen")?,
                invoiced_qty: r.try_get("invoiced_qty")?,
                collected_fen: r.try_get("collected_fen")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}
