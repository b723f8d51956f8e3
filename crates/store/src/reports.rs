//! Read-only queries behind the order-to-cash reports: open invoices as of a day (aging, DSO,
//! overdue list), a dealer's receivables ledger over a period (reconciliation statement) and the
//! monthly review figures per organisation path (orders, fill rate, shipments, holds, returns).
//!
//! Every function takes the person's [`Scope`] and applies it in the query itself. Figures are
//! grouped by the document's `node_path` (the territory it was made in); the app layer rolls
//! paths up to areas and markets. Money sums are `CAST(… AS BIGINT)` for the `Any` driver.

use crate::sql::Sql;
use crate::{Conn, StoreError};
use salesos_domain::scope::Scope;
use serde::Serialize;
use sqlx::Row;

/// An invoice with what was still open on a given day.
#[derive(Debug, Clone, Serialize)]
pub struct OpenInvoiceRow {
    pub id: i64,
    pub number: String,
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    /// The dealer's primary contact's phone, else the dealer's own.
    pub phone: Option<String>,
    pub invoice_date: String,
    pub due_date: String,
    /// The rep who owned the dealer when the invoice was issued.
    pub owner_id: i64,
    pub owner_name: String,
    pub node_path: String,
    pub gross_fen: i64,
    pub open_fen: i64,
}

/// Invoices issued on or before `as_of` (not cancelled) with their open amount on `as_of`:
/// gross less allocations and credit notes dated on or before that day. Only invoices with
/// something open are returned.
pub async fn open_invoices(
    conn: &mut Conn,
    scope: &Scope,
    as_of: &str,
) -> Result<Vec<OpenInvoiceRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT i.id, i.number, i.dealer_id, d.code AS dealer_code, d.name AS dealer_name, \
         COALESCE((SELECT c.phone FROM dealer_contacts c WHERE c.dealer_id = d.id AND c.phone IS NOT NULL AND c.phone <> '' ORDER BY c.is_primary DESC, c.id LIMIT 1), d.phone) AS phone, \
         i.invoice_date, i.due_date, i.owner_id, p.display_name AS owner_name, i.node_path, i.gross_fen, \
         CAST(i.gross_fen \
           - COALESCE((SELECT CAST(SUM(a.amount_fen) AS BIGINT) FROM payment_allocations a WHERE a.invoice_id = i.id AND a.allocated_on <= ",
    );
    sql.bind(as_of).push(
        "), 0) \
           - COALESCE((SELECT CAST(SUM(n.amount_fen) AS BIGINT) FROM credit_notes n WHERE n.invoice_id = i.id AND n.issued_on <= ",
    );
    sql.bind(as_of).push(
        "), 0) AS BIGINT) AS open_fen \
         FROM invoices i JOIN dealers d ON d.id = i.dealer_id JOIN people p ON p.id = i.owner_id \
         WHERE i.status <> 'cancelled' AND i.invoice_date <= ",
    );
    sql.bind(as_of);
    sql.scope(scope, "i.node_path", "i.owner_id");
    sql.push(" ORDER BY i.due_date, i.invoice_date, i.id");
    let rows = sql.fetch_all(conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let open_fen: i64 = r.try_get("open_fen")?;
        if open_fen <= 0 {
            continue;
        }
        out.push(OpenInvoiceRow {
            id: r.try_get("id")?,
            number: r.try_get("number")?,
            dealer_id: r.try_get("dealer_id")?,
            dealer_code: r.try_get("dealer_code")?,
            dealer_name: r.try_get("dealer_name")?,
            phone: r.try_get("phone")?,
            invoice_date: r.try_get("invoice_date")?,
            due_date: r.try_get("due_date")?,
            owner_id: r.try_get("owner_id")?,
            owner_name: r.try_get("owner_name")?,
            node_path: r.try_get("node_path")?,
            gross_fen: r.try_get("gross_fen")?,
            open_fen,
        });
    }
    Ok(out)
}

/// A sum (and count) per organisation path.
#[derive(Debug, Clone, Serialize)]
pub struct PathSum {
    pub node_path: String,
    pub count: i64,
    pub amount_fen: i64,
}

async fn path_sums(sql: &Sql, conn: &mut Conn) -> Result<Vec<PathSum>, StoreError> {
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(PathSum {
                node_path: r.try_get("node_path")?,
                count: r.try_get("n")?,
                amount_fen: r.try_get("amount")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Credit sales: gross of the invoices issued in `[from, to]` (not cancelled), per path.
pub async fn invoiced_by_path(
    conn: &mut Conn,
    scope: &Scope,
    from: &str,
    to: &str,
) -> Result<Vec<PathSum>, StoreError> {
    let mut sql = Sql::new(
        "SELECT i.node_path, CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(i.gross_fen), 0) AS BIGINT) AS amount \
         FROM invoices i WHERE i.status <> 'cancelled' AND i.invoice_date >= ",
    );
    sql.bind(from).push(" AND i.invoice_date <= ").bind(to);
    sql.scope(scope, "i.node_path", "i.owner_id");
    sql.push(" GROUP BY i.node_path");
    path_sums(&sql, conn).await
}

/// Orders taken in `[from, to]` (not drafts, not cancelled): count and amount per path.
pub async fn orders_by_path(
    conn: &mut Conn,
    scope: &Scope,
    from: &str,
    to: &str,
) -> Result<Vec<PathSum>, StoreError> {
    let mut sql = Sql::new(
        "SELECT o.node_path, CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(o.total_fen), 0) AS BIGINT) AS amount \
         FROM orders o WHERE o.status NOT IN ('draft', 'cancelled') AND o.order_date >= ",
    );
    sql.bind(from).push(" AND o.order_date <= ").bind(to);
    sql.scope(scope, "o.node_path", "o.owner_id");
    sql.push(" GROUP BY o.node_path");
    path_sums(&sql, conn).await
}

/// Ordered and shipped quantities of those orders' lines, per path.
#[derive(Debug, Clone, Serialize)]
pub struct FillRow {
    pub node_path: String,
    pub ordered_qty: i64,
    pub shipped_qty: i64,
}

pub async fn fill_by_path(
    conn: &mut Conn,
    scope: &Scope,
    from: &str,
    to: &str,
) -> Result<Vec<FillRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT o.node_path, CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) AS ordered, CAST(COALESCE(SUM(l.shipped_qty), 0) AS BIGINT) AS shipped \
         FROM orders o JOIN order_lines l ON l.order_id = o.id \
         WHERE o.status NOT IN ('draft', 'cancelled') AND o.order_date >= ",
    );
    sql.bind(from).push(" AND o.order_date <= ").bind(to);
    sql.scope(scope, "o.node_path", "o.owner_id");
    sql.push(" GROUP BY o.node_path");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(FillRow {
                node_path: r.try_get("node_path")?,
                ordered_qty: r.try_get("ordered")?,
                shipped_qty: r.try_get("shipped")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// An order first confirmed in the window, with the day its first shipment left (if any).
#[derive(Debug, Clone, Serialize)]
pub struct ConfirmedOrder {
    pub order_id: i64,
    pub node_path: String,
    /// µs since the epoch, UTC.
    pub confirmed_at: i64,
    pub first_shipped_on: Option<String>,
}

/// Orders whose first confirmation falls in `[from_micros, to_micros)`.
pub async fn confirmed_orders(
    conn: &mut Conn,
    scope: &Scope,
    from_micros: i64,
    to_micros: i64,
) -> Result<Vec<ConfirmedOrder>, StoreError> {
    let mut sql = Sql::new(
        "SELECT o.id, o.node_path, CAST(MIN(e.at) AS BIGINT) AS confirmed_at, \
         (SELECT MIN(s.shipped_on) FROM shipments s WHERE s.order_id = o.id AND s.shipped_on IS NOT NULL AND s.status <> 'cancelled') AS first_shipped_on \
         FROM orders o JOIN order_events e ON e.order_id = o.id AND e.to_status = 'confirmed' WHERE 1 = 1",
    );
    sql.scope(scope, "o.node_path", "o.owner_id");
    sql.push(" GROUP BY o.id, o.node_path HAVING MIN(e.at) >= ")
        .bind(from_micros)
        .push(" AND MIN(e.at) < ")
        .bind(to_micros);
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(ConfirmedOrder {
                order_id: r.try_get("id")?,
                node_path: r.try_get("node_path")?,
                confirmed_at: r.try_get("confirmed_at")?,
                first_shipped_on: r.try_get("first_shipped_on")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Credit holds opened and released in `[from_micros, to_micros)`, per path of their order.
#[derive(Debug, Clone, Serialize)]
pub struct HoldCounts {
    pub node_path: String,
    pub opened: i64,
    pub released: i64,
}

pub async fn holds_by_path(
    conn: &mut Conn,
    scope: &Scope,
    from_micros: i64,
    to_micros: i64,
) -> Result<Vec<HoldCounts>, StoreError> {
    let mut sql = Sql::new("SELECT o.node_path, CAST(SUM(CASE WHEN h.created_at >= ");
    sql.bind(from_micros)
        .push(" AND h.created_at < ")
        .bind(to_micros)
        .push(" THEN 1 ELSE 0 END) AS BIGINT) AS opened, CAST(SUM(CASE WHEN h.status = 'released' AND h.resolved_at >= ")
        .bind(from_micros)
        .push(" AND h.resolved_at < ")
        .bind(to_micros)
        .push(" THEN 1 ELSE 0 END) AS BIGINT) AS released FROM credit_holds h JOIN orders o ON o.id = h.order_id WHERE 1 = 1");
    sql.scope(scope, "o.node_path", "o.owner_id");
    sql.push(" GROUP BY o.node_path");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(HoldCounts {
                node_path: r.try_get("node_path")?,
                opened: r.try_get("opened")?,
                released: r.try_get("released")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Credit notes for returned goods (`reason = 'return'`) issued in `[from, to]`, per path.
pub async fn returns_by_path(
    conn: &mut Conn,
    scope: &Scope,
    from: &str,
    to: &str,
) -> Result<Vec<PathSum>, StoreError> {
    let mut sql = Sql::new(
        "SELECT c.node_path, CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(c.amount_fen), 0) AS BIGINT) AS amount \
         FROM credit_notes c WHERE c.reason = 'return' AND c.issued_on >= ",
    );
    sql.bind(from).push(" AND c.issued_on <= ").bind(to);
    sql.scope(scope, "c.node_path", "c.owner_id");
    sql.push(" GROUP BY c.node_path");
    path_sums(&sql, conn).await
}

/// A dealer as a statement names it.
#[derive(Debug, Clone, Serialize)]
pub struct StatementDealer {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub tax_no: Option<String>,
    pub payment_term_days: i64,
}

/// One movement of the dealer's receivables.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerEntry {
    pub id: i64,
    pub entry_date: String,
    /// invoice | payment | credit_note | cancellation
    pub kind: String,
    pub doc_type: String,
    pub doc_id: i64,
    pub doc_number: String,
    /// + raises what the dealer owes, − lowers it.
    pub amount_fen: i64,
}

/// The dealer (when in scope), its balance before `from` and its ledger entries in
/// `[from, to]` in posting order. `None` when the dealer is missing or out of scope.
pub async fn statement(
    conn: &mut Conn,
    scope: &Scope,
    dealer_id: i64,
    from: &str,
    to: &str,
) -> Result<Option<(StatementDealer, i64, Vec<LedgerEntry>)>, StoreError> {
    let mut sql = Sql::new(
        "SELECT d.id, d.code, d.name, d.address, d.phone, d.tax_no, d.payment_term_days FROM dealers d WHERE d.id = ",
    );
    sql.bind(dealer_id);
    sql.scope(scope, "d.node_path", "d.owner_id");
    let Some(r) = sql.fetch_optional(conn).await? else {
        return Ok(None);
    };
    let dealer = StatementDealer {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        address: r.try_get("address")?,
        phone: r.try_get("phone")?,
        tax_no: r.try_get("tax_no")?,
        payment_term_days: r.try_get("payment_term_days")?,
    };
    let mut sql = Sql::new(
        "SELECT CAST(COALESCE(SUM(l.amount_fen), 0) AS BIGINT) AS n FROM ar_ledger l JOIN dealers d ON d.id = l.dealer_id WHERE l.dealer_id = ",
    );
    sql.bind(dealer_id).push(" AND l.entry_date < ").bind(from);
    sql.scope(scope, "d.node_path", "d.owner_id");
    let opening: i64 = sql.fetch_one(conn).await?.try_get("n")?;
    let mut sql = Sql::new(
        "SELECT l.id, l.entry_date, l.kind, l.doc_type, l.doc_id, l.doc_number, l.amount_fen FROM ar_ledger l JOIN dealers d ON d.id = l.dealer_id WHERE l.dealer_id = ",
    );
    sql.bind(dealer_id)
        .push(" AND l.entry_date >= ")
        .bind(from)
        .push(" AND l.entry_date <= ")
        .bind(to);
    sql.scope(scope, "d.node_path", "d.owner_id");
    sql.push(" ORDER BY l.entry_date, l.id");
    let rows = sql.fetch_all(conn).await?;
    let entries = rows
        .iter()
        .map(|r| {
            Ok(LedgerEntry {
                id: r.try_get("id")?,
                entry_date: r.try_get("entry_date")?,
                kind: r.try_get("kind")?,
                doc_type: r.try_get("doc_type")?,
                doc_id: r.try_get("doc_id")?,
                doc_number: r.try_get("doc_number")?,
                amount_fen: r.try_get("amount_fen")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Some((dealer, opening, entries)))
}

/// Names of organisation units (for rolling paths up to areas and markets). Unit names are
/// labels, not business data: the figures they label were already scoped.
#[derive(Debug, Clone, Serialize)]
pub struct UnitLabel {
    pub id: i64,
    pub kind: String,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

pub async fn unit_labels_unscoped(conn: &mut Conn) -> Result<Vec<UnitLabel>, StoreError> {
    let rows = Sql::new("SELECT id, kind, code, name_zh, name_en FROM org_nodes ORDER BY id")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(UnitLabel {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                code: r.try_get("code")?,
                name_zh: r.try_get("name_zh")?,
                name_en: r.try_get("name_en")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}
