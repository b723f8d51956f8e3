//! Transfers of goods between dealers (调货): the documents, their lines and the source invoice
//! lines each line draws its units from (`transfer_sources`, which hold those units like
//! return lines do — see `returns`).
//!
//! A transfer is scoped by its source dealer's territory *and* its target's: a person sees it
//! only when both dealers are in their scope.

use crate::sql::Sql;
use crate::{now_micros, Conn, Scope, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

pub const ALL_STATES: [&str; 5] = ["requested", "posted", "sent_back", "rejected", "cancelled"];

#[derive(Debug, Clone, Serialize)]
pub struct TransferRow {
    pub id: i64,
    pub number: String,
    pub source_dealer_id: i64,
    pub source_dealer_code: String,
    pub source_dealer_name: String,
    pub target_dealer_id: i64,
    pub target_dealer_code: String,
    pub target_dealer_name: String,
    pub status: String,
    pub transfer_date: String,
    pub net_fen: i64,
    pub tax_fen: i64,
    pub gross_fen: i64,
    pub over_limit: bool,
    pub target_invoice_id: Option<i64>,
    pub target_invoice_number: Option<String>,
    pub note: Option<String>,
    pub close_reason: Option<String>,
    pub node_path: String,
    pub owner_id: i64,
    pub target_node_path: String,
    pub target_owner_id: i64,
    pub requested_by: Option<i64>,
    pub requested_by_name: Option<String>,
    pub requested_at: i64,
    pub decided_by: Option<i64>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<i64>,
    pub closed_by: Option<i64>,
    pub closed_by_name: Option<String>,
    pub closed_at: Option<i64>,
}

fn transfer_of(r: &AnyRow) -> Result<TransferRow, sqlx::Error> {
    Ok(TransferRow {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        source_dealer_id: r.try_get("source_dealer_id")?,
        source_dealer_code: r.try_get("source_code")?,
        source_dealer_name: r.try_get("source_name")?,
        target_dealer_id: r.try_get("target_dealer_id")?,
        target_dealer_code: r.try_get("target_code")?,
        target_dealer_name: r.try_get("target_name")?,
        status: r.try_get("status")?,
        transfer_date: r.try_get("transfer_date")?,
        net_fen: r.try_get("net_fen")?,
        tax_fen: r.try_get("tax_fen")?,
        gross_fen: r.try_get("gross_fen")?,
        over_limit: r.try_get::<i64, _>("over_limit")? != 0,
        target_invoice_id: r.try_get("target_invoice_id")?,
        target_invoice_number: r.try_get("target_invoice_number")?,
        note: r.try_get("note")?,
        close_reason: r.try_get("close_reason")?,
        node_path: r.try_get("node_path")?,
        owner_id: r.try_get("owner_id")?,
        target_node_path: r.try_get("target_node_path")?,
        target_owner_id: r.try_get("target_owner_id")?,
        requested_by: r.try_get("requested_by")?,
        requested_by_name: r.try_get("requested_by_name")?,
        requested_at: r.try_get("requested_at")?,
        decided_by: r.try_get("decided_by")?,
        decided_by_name: r.try_get("decided_by_name")?,
        decided_at: r.try_get("decided_at")?,
        closed_by: r.try_get("closed_by")?,
        closed_by_name: r.try_get("closed_by_name")?,
        closed_at: r.try_get("closed_at")?,
    })
}

const TRANSFER: &str = "SELECT t.id, t.number, t.source_dealer_id, s.code AS source_code, s.name AS source_name, \
     t.target_dealer_id, g.code AS target_code, g.name AS target_name, t.status, t.transfer_date, t.net_fen, t.tax_fen, t.gross_fen, \
     t.over_limit, t.target_invoice_id, i.number AS target_invoice_number, t.note, t.close_reason, t.node_path, t.owner_id, \
     t.target_node_path, t.target_owner_id, t.requested_by, p1.display_name AS requested_by_name, t.requested_at, \
     t.decided_by, p2.display_name AS decided_by_name, t.decided_at, t.closed_by, p3.display_name AS closed_by_name, t.closed_at \
     FROM transfers t JOIN dealers s ON s.id = t.source_dealer_id JOIN dealers g ON g.id = t.target_dealer_id \
     LEFT JOIN invoices i ON i.id = t.target_invoice_id LEFT JOIN people p1 ON p1.id = t.requested_by \
     LEFT JOIN people p2 ON p2.id = t.decided_by LEFT JOIN people p3 ON p3.id = t.closed_by WHERE 1 = 1";

/// Both sides must be in scope.
fn scoped(sql: &mut Sql, scope: &Scope) {
    sql.scope(scope, "t.node_path", "t.owner_id");
    sql.scope(scope, "t.target_node_path", "t.target_owner_id");
}

pub async fn get(
    conn: &mut Conn,
    scope: &Scope,
    id: i64,
) -> Result<Option<TransferRow>, StoreError> {
    let mut sql = Sql::new(TRANSFER);
    sql.push(" AND t.id = ").bind(id);
    scoped(&mut sql, scope);
    sql.fetch_optional_as(conn, transfer_of).await
}

pub async fn get_unscoped(conn: &mut Conn, id: i64) -> Result<Option<TransferRow>, StoreError> {
    let mut sql = Sql::new(TRANSFER);
    sql.push(" AND t.id = ").bind(id);
    sql.fetch_optional_as(conn, transfer_of).await
}

#[derive(Debug, Clone, Default)]
pub struct TransferFilter {
    /// Either side.
    pub dealer_id: Option<i64>,
    pub status: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(
    conn: &mut Conn,
    scope: &Scope,
    f: &TransferFilter,
) -> Result<Vec<TransferRow>, StoreError> {
    let mut sql = Sql::new(TRANSFER);
    scoped(&mut sql, scope);
    if let Some(d) = f.dealer_id {
        sql.push(" AND (t.source_dealer_id = ")
            .bind(d)
            .push(" OR t.target_dealer_id = ")
            .bind(d)
            .push(")");
    }
    if let Some(s) = &f.status {
        sql.push(" AND t.status = ").bind(s.as_str());
    }
    sql.push(" ORDER BY t.id DESC").page(f.limit, f.offset);
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(transfer_of).collect::<Result<_, _>>()?)
}

pub struct NewTransfer<'a> {
    pub number: &'a str,
    pub source_dealer_id: i64,
    pub target_dealer_id: i64,
    pub transfer_date: &'a str,
    pub net_fen: i64,
    pub tax_fen: i64,
    pub gross_fen: i64,
    pub over_limit: bool,
    pub note: Option<&'a str>,
    pub node_path: &'a str,
    pub owner_id: i64,
    pub target_node_path: &'a str,
    pub target_owner_id: i64,
    pub requested_by: Option<i64>,
}

pub async fn insert_transfer(conn: &mut Conn, n: NewTransfer<'_>) -> Result<i64, StoreError> {
    let now = now_micros();
    let mut sql = Sql::new(
        "INSERT INTO transfers (number, source_dealer_id, target_dealer_id, status, transfer_date, net_fen, tax_fen, gross_fen, over_limit, note, node_path, owner_id, target_node_path, target_owner_id, requested_by, requested_at, updated_at) VALUES (",
    );
    sql.bind(n.number)
        .push(", ")
        .bind(n.source_dealer_id)
        .push(", ")
        .bind(n.target_dealer_id)
        .push(", 'requested', ")
        .bind(n.transfer_date)
        .push(", ")
        .bind(n.net_fen)
        .push(", ")
        .bind(n.tax_fen)
        .push(", ")
        .bind(n.gross_fen)
        .push(", ")
        .bind(i64::from(n.over_limit))
        .push(", ")
        .bind(n.note)
        .push(", ")
        .bind(n.node_path)
        .push(", ")
        .bind(n.owner_id)
        .push(", ")
        .bind(n.target_node_path)
        .push(", ")
        .bind(n.target_owner_id)
        .push(", ")
        .bind(n.requested_by)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

pub struct NewTransferLine {
    pub line_no: i64,
    pub product_id: i64,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub tax_rate_bp: i64,
    pub net_fen: i64,
    pub tax_fen: i64,
    pub gross_fen: i64,
}

pub async fn insert_line(
    conn: &mut Conn,
    transfer_id: i64,
    l: &NewTransferLine,
) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO transfer_lines (transfer_id, line_no, product_id, quantity, unit_price_fen, tax_rate_bp, net_fen, tax_fen, gross_fen) VALUES (",
    );
    sql.bind(transfer_id)
        .push(", ")
        .bind(l.line_no)
        .push(", ")
        .bind(l.product_id)
        .push(", ")
        .bind(l.quantity)
        .push(", ")
        .bind(l.unit_price_fen)
        .push(", ")
        .bind(l.tax_rate_bp)
        .push(", ")
        .bind(l.net_fen)
        .push(", ")
        .bind(l.tax_fen)
        .push(", ")
        .bind(l.gross_fen)
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

/// Draws `quantity` units from a source invoice line (held at once) worth `credit_fen` of the
/// source's credit.
pub async fn insert_source(
    conn: &mut Conn,
    transfer_line_id: i64,
    invoice_id: i64,
    invoice_line_id: i64,
    quantity: i64,
    credit_fen: i64,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO transfer_sources (transfer_line_id, invoice_id, invoice_line_id, quantity, credit_fen, held_qty) VALUES (",
    );
    sql.bind(transfer_line_id)
        .push(", ")
        .bind(invoice_id)
        .push(", ")
        .bind(invoice_line_id)
        .push(", ")
        .bind(quantity)
        .push(", ")
        .bind(credit_fen)
        .push(", ")
        .bind(quantity)
        .push(")");
    sql.execute(conn).await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct TransferLineRow {
    pub id: i64,
    pub line_no: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub tax_rate_bp: i64,
    pub net_fen: i64,
    pub tax_fen: i64,
    pub gross_fen: i64,
}

pub async fn lines(conn: &mut Conn, transfer_id: i64) -> Result<Vec<TransferLineRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT l.id, l.line_no, l.product_id, p.code, p.name_zh, p.name_en, l.quantity, l.unit_price_fen, l.tax_rate_bp, l.net_fen, l.tax_fen, l.gross_fen \
         FROM transfer_lines l JOIN products p ON p.id = l.product_id WHERE l.transfer_id = ",
    );
    sql.bind(transfer_id).push(" ORDER BY l.line_no");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(TransferLineRow {
                id: r.try_get("id")?,
                line_no: r.try_get("line_no")?,
                product_id: r.try_get("product_id")?,
                product_code: r.try_get("code")?,
                product_name_zh: r.try_get("name_zh")?,
                product_name_en: r.try_get("name_en")?,
                quantity: r.try_get("quantity")?,
                unit_price_fen: r.try_get("unit_price_fen")?,
                tax_rate_bp: r.try_get("tax_rate_bp")?,
                net_fen: r.try_get("net_fen")?,
                tax_fen: r.try_get("tax_fen")?,
                gross_fen: r.try_get("gross_fen")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceRow {
    pub id: i64,
    pub transfer_line_id: i64,
    pub invoice_id: i64,
    pub invoice_number: String,
    pub invoice_line_id: i64,
    pub quantity: i64,
    pub credit_fen: i64,
    pub credit_note_id: Option<i64>,
    pub held_qty: i64,
}

pub async fn sources(conn: &mut Conn, transfer_id: i64) -> Result<Vec<SourceRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT s.id, s.transfer_line_id, s.invoice_id, i.number, s.invoice_line_id, s.quantity, s.credit_fen, s.credit_note_id, s.held_qty \
         FROM transfer_sources s JOIN transfer_lines l ON l.id = s.transfer_line_id JOIN invoices i ON i.id = s.invoice_id WHERE l.transfer_id = ",
    );
    sql.bind(transfer_id).push(" ORDER BY s.id");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(SourceRow {
                id: r.try_get("id")?,
                transfer_line_id: r.try_get("transfer_line_id")?,
                invoice_id: r.try_get("invoice_id")?,
                invoice_number: r.try_get("number")?,
                invoice_line_id: r.try_get("invoice_line_id")?,
                quantity: r.try_get("quantity")?,
                credit_fen: r.try_get("credit_fen")?,
                credit_note_id: r.try_get("credit_note_id")?,
                held_qty: r.try_get("held_qty")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

pub async fn set_source_credit_note(
    conn: &mut Conn,
    source_id: i64,
    credit_note_id: i64,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE transfer_sources SET credit_note_id = ");
    sql.bind(credit_note_id)
        .push(" WHERE id = ")
        .bind(source_id);
    sql.execute(conn).await?;
    Ok(())
}

/// A product's tax rate (basis points), when the product exists and is sold.
pub async fn product_tax_rate(conn: &mut Conn, product_id: i64) -> Result<Option<i64>, StoreError> {
    let mut sql = Sql::new("SELECT tax_rate_bp FROM products WHERE id = ");
    sql.bind(product_id);
    Ok(sql
        .fetch_optional(conn)
        .await?
        .map(|r| r.try_get("tax_rate_bp"))
        .transpose()?)
}

/// Moves a transfer from `from` to `to`, stamping the decision or the closing.
pub async fn transition(
    conn: &mut Conn,
    id: i64,
    from: &str,
    to: &str,
    closing: bool,
    person: Option<i64>,
) -> Result<bool, StoreError> {
    let (by, at) = if closing {
        ("closed_by", "closed_at")
    } else {
        ("decided_by", "decided_at")
    };
    let mut sql = Sql::new("UPDATE transfers SET status = ");
    sql.bind(to)
        .push(&format!(", {by} = "))
        .bind(person)
        .push(&format!(", {at} = "))
        .bind(now_micros())
        .push(", updated_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(id)
        .push(" AND status = ")
        .bind(from);
    Ok(sql.execute(conn).await? == 1)
}

/// Releases the units a transfer held (it was rejected, sent back or cancelled).
pub async fn release(conn: &mut Conn, id: i64, reason: Option<&str>) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE transfers SET close_reason = ");
    sql.bind(reason).push(" WHERE id = ").bind(id);
    sql.execute(conn).await?;
    let mut sql = Sql::new(
        "UPDATE transfer_sources SET held_qty = 0 WHERE transfer_line_id IN (SELECT id FROM transfer_lines WHERE transfer_id = ",
    );
    sql.bind(id).push(")");
    sql.execute(conn).await?;
    Ok(())
}

pub async fn set_target_invoice(
    conn: &mut Conn,
    id: i64,
    invoice_id: i64,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE transfers SET target_invoice_id = ");
    sql.bind(invoice_id).push(" WHERE id = ").bind(id);
    sql.execute(conn).await?;
    Ok(())
}

/// Invariants for `salesos check`: each line draws exactly its quantity; sources hold their
/// units unless the transfer was closed; a posted transfer's source credits and its target
/// invoice are both its amount, to the fen.
pub async fn check_unscoped(conn: &mut Conn) -> Result<Vec<String>, StoreError> {
    // each line draws its quantity from its sources, which hold it while the transfer is live
    let mut out = crate::check::first_offending(
        &mut *conn,
        "transfer lines whose sources are wrong",
        "SELECT * FROM (SELECT t.id, l.line_no, t.number, l.quantity, COALESCE(s.drawn, 0) AS drawn, COALESCE(s.held, 0) AS held, \
         CASE WHEN t.status IN ('requested', 'posted') THEN l.quantity ELSE 0 END AS expected \
         FROM transfers t JOIN transfer_lines l ON l.transfer_id = t.id \
         LEFT JOIN (SELECT transfer_line_id, CAST(SUM(quantity) AS BIGINT) AS drawn, CAST(SUM(held_qty) AS BIGINT) AS held \
           FROM transfer_sources GROUP BY transfer_line_id) s ON s.transfer_line_id = l.id) v \
         WHERE drawn <> quantity OR held <> expected",
        "id, line_no",
        |r, out| {
            let number: String = r.try_get("number")?;
            let qty: i64 = r.try_get("quantity")?;
            let drawn: i64 = r.try_get("drawn")?;
            let held: i64 = r.try_get("held")?;
            out.push(format!(
                "transfer {number}: a line of {qty} draws {drawn} and holds {held} units"
            ));
            Ok(())
        },
    )
    .await?;
    // a posted transfer's amount is invoiced to the target and credited to the sources
    out.extend(
        crate::check::first_offending(
            conn,
            "posted transfers whose amounts are wrong",
            &format!(
                "SELECT * FROM (SELECT t.id, t.number, t.gross_fen, i.gross_fen AS invoiced, COALESCE(c.credited, 0) AS credited \
                 FROM transfers t LEFT JOIN invoices i ON i.id = t.target_invoice_id \
                 LEFT JOIN (SELECT l.transfer_id, CAST(SUM(n.amount_fen) AS BIGINT) AS credited FROM transfer_sources s \
                   JOIN transfer_lines l ON l.id = s.transfer_line_id JOIN credit_notes n ON n.id = s.credit_note_id \
                   GROUP BY l.transfer_id) c ON c.transfer_id = t.id \
                 WHERE t.status = 'posted') v WHERE {} OR credited <> gross_fen",
                crate::check::differ("invoiced", "gross_fen"),
            ),
            "id",
            |r, out| {
                let number: String = r.try_get("number")?;
                let gross: i64 = r.try_get("gross_fen")?;
                let invoiced: Option<i64> = r.try_get("invoiced")?;
                let credited: i64 = r.try_get("credited")?;
                out.push(format!(
                    "transfer {number}: {gross} moved, but the target was invoiced {invoiced:?} and the source credited {credited}"
                ));
                Ok(())
            },
        )
        .await?,
    );
    Ok(out)
}
