//! Returns (退货): the documents, their lines and what an invoice line can still give back.
//!
//! A return line *holds* units of its invoice line (`held_qty`, see migration 0006) from the
//! request on, so the returnable quantity of a line is its invoiced quantity less every unit
//! held by returns and transfers. Callers read it inside the write transaction after locking
//! the dealer's balance row (`credit::lock_balance`), which serialises every writer touching
//! the dealer's invoices on both databases.
//!
//! The insert functions take a plain connection so the demo generator can use them too.

use crate::sql::Sql;
use crate::{now_micros, Conn, Scope, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// Statuses in which a return still holds its requested quantity (nothing received yet).
pub const REQUESTED_STATES: [&str; 3] = ["requested", "approved", "sent_back"];
pub const ALL_STATES: [&str; 9] = [
    "requested",
    "approved",
    "sent_back",
    "received",
    "inspected",
    "credited",
    "closed",
    "rejected",
    "cancelled",
];
pub const DISPOSITIONS: [&str; 2] = ["restock", "scrap"];

/// One invoice line with what it can still give back.
#[derive(Debug, Clone, Serialize)]
pub struct ReturnableLine {
    pub invoice_line_id: i64,
    pub invoice_id: i64,
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
    /// Units held by returns (requested, on their way, accepted) and by transfers.
    pub held_qty: i64,
    /// Units already credited by return credit notes (the base of the cumulative rounding).
    pub credited_qty: i64,
}

impl ReturnableLine {
    pub fn returnable(&self) -> i64 {
        self.quantity - self.held_qty
    }
}

const RETURNABLE: &str = "SELECT l.id, l.invoice_id, l.line_no, l.product_id, p.code, p.name_zh, p.name_en, l.quantity, l.unit_price_fen, l.tax_rate_bp, l.net_fen, l.tax_fen, l.gross_fen, \
     CAST(COALESCE((SELECT SUM(rl.held_qty) FROM return_lines rl WHERE rl.invoice_line_id = l.id), 0) AS BIGINT) \
     + CAST(COALESCE((SELECT SUM(ts.held_qty) FROM transfer_sources ts WHERE ts.invoice_line_id = l.id), 0) AS BIGINT) AS held, \
     CAST(COALESCE((SELECT SUM(rl.accepted_qty) FROM return_lines rl JOIN returns r ON r.id = rl.return_id WHERE rl.invoice_line_id = l.id AND r.status = 'credited'), 0) AS BIGINT) AS credited \
     FROM invoice_lines l JOIN products p ON p.id = l.product_id WHERE ";

fn returnable_of(r: &AnyRow) -> Result<ReturnableLine, sqlx::Error> {
    Ok(ReturnableLine {
        invoice_line_id: r.try_get("id")?,
        invoice_id: r.try_get("invoice_id")?,
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
        held_qty: r.try_get("held")?,
        credited_qty: r.try_get("credited")?,
    })
}

/// The lines of an invoice with what each can still give back (callers check the invoice's
/// scope first).
pub async fn returnable_lines(
    conn: &mut Conn,
    invoice_id: i64,
) -> Result<Vec<ReturnableLine>, StoreError> {
    let mut sql = Sql::new(RETURNABLE);
    sql.push("l.invoice_id = ")
        .bind(invoice_id)
        .push(" ORDER BY l.line_no");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(returnable_of).collect::<Result<_, _>>()?)
}

/// A dealer's invoice lines of a product that can still give units back, oldest invoice first
/// (cancelled invoices excluded). Transfers draw on these.
pub async fn returnable_lines_of_product(
    conn: &mut Conn,
    dealer_id: i64,
    product_id: i64,
) -> Result<Vec<ReturnableLine>, StoreError> {
    let mut sql = Sql::new(RETURNABLE);
    sql.push("l.product_id = ")
        .bind(product_id)
        .push(" AND l.invoice_id IN (SELECT i.id FROM invoices i WHERE i.status <> 'cancelled' AND i.dealer_id = ")
        .bind(dealer_id)
        .push(") ORDER BY l.invoice_id, l.line_no");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows
        .iter()
        .map(returnable_of)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|l| l.returnable() > 0)
        .collect())
}

#[derive(Debug, Clone, Serialize)]
pub struct ReturnRow {
    pub id: i64,
    pub number: String,
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    pub invoice_id: i64,
    pub invoice_number: String,
    pub status: String,
    pub reason: String,
    pub credit_fen: i64,
    pub credit_note_id: Option<i64>,
    pub credit_note_number: Option<String>,
    pub received_on: Option<String>,
    pub note: Option<String>,
    pub close_reason: Option<String>,
    pub node_path: String,
    pub owner_id: i64,
    pub requested_by: Option<i64>,
    pub requested_by_name: Option<String>,
    pub requested_at: i64,
    pub decided_by: Option<i64>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<i64>,
    pub received_by: Option<i64>,
    pub received_by_name: Option<String>,
    pub received_at: Option<i64>,
    pub inspected_by: Option<i64>,
    pub inspected_by_name: Option<String>,
    pub inspected_at: Option<i64>,
    pub credited_by: Option<i64>,
    pub credited_by_name: Option<String>,
    pub credited_at: Option<i64>,
    pub closed_by: Option<i64>,
    pub closed_by_name: Option<String>,
    pub closed_at: Option<i64>,
}

fn return_of(r: &AnyRow) -> Result<ReturnRow, sqlx::Error> {
    Ok(ReturnRow {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        dealer_id: r.try_get("dealer_id")?,
        dealer_code: r.try_get("dealer_code")?,
        dealer_name: r.try_get("dealer_name")?,
        invoice_id: r.try_get("invoice_id")?,
        invoice_number: r.try_get("invoice_number")?,
        status: r.try_get("status")?,
        reason: r.try_get("reason")?,
        credit_fen: r.try_get("credit_fen")?,
        credit_note_id: r.try_get("credit_note_id")?,
        credit_note_number: r.try_get("credit_note_number")?,
        received_on: r.try_get("received_on")?,
        note: r.try_get("note")?,
        close_reason: r.try_get("close_reason")?,
        node_path: r.try_get("node_path")?,
        owner_id: r.try_get("owner_id")?,
        requested_by: r.try_get("requested_by")?,
        requested_by_name: r.try_get("requested_by_name")?,
        requested_at: r.try_get("requested_at")?,
        decided_by: r.try_get("decided_by")?,
        decided_by_name: r.try_get("decided_by_name")?,
        decided_at: r.try_get("decided_at")?,
        received_by: r.try_get("received_by")?,
        received_by_name: r.try_get("received_by_name")?,
        received_at: r.try_get("received_at")?,
        inspected_by: r.try_get("inspected_by")?,
        inspected_by_name: r.try_get("inspected_by_name")?,
        inspected_at: r.try_get("inspected_at")?,
        credited_by: r.try_get("credited_by")?,
        credited_by_name: r.try_get("credited_by_name")?,
        credited_at: r.try_get("credited_at")?,
        closed_by: r.try_get("closed_by")?,
        closed_by_name: r.try_get("closed_by_name")?,
        closed_at: r.try_get("closed_at")?,
    })
}

const RETURN: &str = "SELECT r.id, r.number, r.dealer_id, d.code AS dealer_code, d.name AS dealer_name, r.invoice_id, i.number AS invoice_number, \
     r.status, r.reason, r.credit_fen, r.credit_note_id, c.number AS credit_note_number, r.received_on, r.note, r.close_reason, r.node_path, r.owner_id, \
     r.requested_by, p1.display_name AS requested_by_name, r.requested_at, r.decided_by, p2.display_name AS decided_by_name, r.decided_at, \
     r.received_by, p3.display_name AS received_by_name, r.received_at, r.inspected_by, p4.display_name AS inspected_by_name, r.inspected_at, \
     r.credited_by, p5.display_name AS credited_by_name, r.credited_at, r.closed_by, p6.display_name AS closed_by_name, r.closed_at \
     FROM returns r JOIN dealers d ON d.id = r.dealer_id JOIN invoices i ON i.id = r.invoice_id \
     LEFT JOIN credit_notes c ON c.id = r.credit_note_id \
     LEFT JOIN people p1 ON p1.id = r.requested_by LEFT JOIN people p2 ON p2.id = r.decided_by \
     LEFT JOIN people p3 ON p3.id = r.received_by LEFT JOIN people p4 ON p4.id = r.inspected_by \
     LEFT JOIN people p5 ON p5.id = r.credited_by LEFT JOIN people p6 ON p6.id = r.closed_by WHERE 1 = 1";

pub async fn get(conn: &mut Conn, scope: &Scope, id: i64) -> Result<Option<ReturnRow>, StoreError> {
    let mut sql = Sql::new(RETURN);
    sql.push(" AND r.id = ").bind(id);
    sql.scope(scope, "r.node_path", "r.owner_id");
    sql.fetch_optional_as(conn, return_of).await
}

pub async fn get_unscoped(conn: &mut Conn, id: i64) -> Result<Option<ReturnRow>, StoreError> {
    let mut sql = Sql::new(RETURN);
    sql.push(" AND r.id = ").bind(id);
    sql.fetch_optional_as(conn, return_of).await
}

#[derive(Debug, Clone, Default)]
pub struct ReturnFilter {
    pub dealer_id: Option<i64>,
    pub invoice_id: Option<i64>,
    pub status: Option<String>,
    /// Requested on or after / before this day (`YYYY-MM-DD`, local dates of the request are
    /// compared as UTC days).
    pub from_micros: Option<i64>,
    pub to_micros: Option<i64>,
    /// Matches the return's number, the dealer's code or name.
    pub q: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(
    conn: &mut Conn,
    scope: &Scope,
    f: &ReturnFilter,
) -> Result<Vec<ReturnRow>, StoreError> {
    let mut sql = Sql::new(RETURN);
    sql.scope(scope, "r.node_path", "r.owner_id");
    if let Some(d) = f.dealer_id {
        sql.push(" AND r.dealer_id = ").bind(d);
    }
    if let Some(i) = f.invoice_id {
        sql.push(" AND r.invoice_id = ").bind(i);
    }
    if let Some(s) = &f.status {
        sql.push(" AND r.status = ").bind(s.as_str());
    }
    if let Some(from) = f.from_micros {
        sql.push(" AND r.requested_at >= ").bind(from);
    }
    if let Some(to) = f.to_micros {
        sql.push(" AND r.requested_at < ").bind(to);
    }
    if let Some(q) = &f.q {
        let like = format!("%{}%", q.to_lowercase());
        sql.push(" AND (LOWER(r.number) LIKE ")
            .bind(like.clone())
            .push(" OR LOWER(d.code) LIKE ")
            .bind(like.clone())
            .push(" OR LOWER(d.name) LIKE ")
            .bind(like)
            .push(")");
    }
    sql.push(" ORDER BY r.id DESC").page(f.limit, f.offset);
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(return_of).collect::<Result<_, _>>()?)
}

#[derive(Debug, Clone, Serialize)]
pub struct ReturnLineRow {
    pub id: i64,
    pub line_no: i64,
    pub invoice_line_id: i64,
    pub invoice_line_no: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub quantity: i64,
    pub reason: String,
    pub received_qty: Option<i64>,
    pub accepted_qty: Option<i64>,
    pub rejected_qty: Option<i64>,
    pub reject_reason: Option<String>,
    pub disposition: Option<String>,
    pub credit_net_fen: i64,
    pub credit_tax_fen: i64,
    pub credit_fen: i64,
    pub held_qty: i64,
}

pub async fn lines(conn: &mut Conn, return_id: i64) -> Result<Vec<ReturnLineRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT rl.id, rl.line_no, rl.invoice_line_id, il.line_no AS invoice_line_no, rl.product_id, p.code, p.name_zh, p.name_en, rl.quantity, rl.reason, \
         rl.received_qty, rl.accepted_qty, rl.rejected_qty, rl.reject_reason, rl.disposition, rl.credit_net_fen, rl.credit_tax_fen, rl.credit_fen, rl.held_qty \
         FROM return_lines rl JOIN invoice_lines il ON il.id = rl.invoice_line_id JOIN products p ON p.id = rl.product_id WHERE rl.return_id = ",
    );
    sql.bind(return_id).push(" ORDER BY rl.line_no");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(ReturnLineRow {
                id: r.try_get("id")?,
                line_no: r.try_get("line_no")?,
                invoice_line_id: r.try_get("invoice_line_id")?,
                invoice_line_no: r.try_get("invoice_line_no")?,
                product_id: r.try_get("product_id")?,
                product_code: r.try_get("code")?,
                product_name_zh: r.try_get("name_zh")?,
                product_name_en: r.try_get("name_en")?,
                quantity: r.try_get("quantity")?,
                reason: r.try_get("reason")?,
                received_qty: r.try_get("received_qty")?,
                accepted_qty: r.try_get("accepted_qty")?,
                rejected_qty: r.try_get("rejected_qty")?,
                reject_reason: r.try_get("reject_reason")?,
                disposition: r.try_get("disposition")?,
                credit_net_fen: r.try_get("credit_net_fen")?,
                credit_tax_fen: r.try_get("credit_tax_fen")?,
                credit_fen: r.try_get("credit_fen")?,
                held_qty: r.try_get("held_qty")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

pub struct NewReturn<'a> {
    pub number: &'a str,
    pub dealer_id: i64,
    pub invoice_id: i64,
    pub status: &'a str,
    pub reason: &'a str,
    pub credit_fen: i64,
    pub note: Option<&'a str>,
    pub node_path: &'a str,
    pub owner_id: i64,
    pub requested_by: Option<i64>,
    /// µs since the epoch (the demo back-dates).
    pub requested_at: i64,
}

pub async fn insert_return(conn: &mut Conn, n: NewReturn<'_>) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO returns (number, dealer_id, invoice_id, status, reason, credit_fen, note, node_path, owner_id, requested_by, requested_at, updated_at) VALUES (",
    );
    sql.bind(n.number)
        .push(", ")
        .bind(n.dealer_id)
        .push(", ")
        .bind(n.invoice_id)
        .push(", ")
        .bind(n.status)
        .push(", ")
        .bind(n.reason)
        .push(", ")
        .bind(n.credit_fen)
        .push(", ")
        .bind(n.note)
        .push(", ")
        .bind(n.node_path)
        .push(", ")
        .bind(n.owner_id)
        .push(", ")
        .bind(n.requested_by)
        .push(", ")
        .bind(n.requested_at)
        .push(", ")
        .bind(now_micros())
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

pub struct NewReturnLine<'a> {
    pub line_no: i64,
    pub invoice_line_id: i64,
    pub product_id: i64,
    pub quantity: i64,
    pub reason: &'a str,
}

/// Inserts a requested line; it holds its whole quantity until received.
pub async fn insert_line(
    conn: &mut Conn,
    return_id: i64,
    l: &NewReturnLine<'_>,
) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO return_lines (return_id, line_no, invoice_line_id, product_id, quantity, reason, held_qty) VALUES (",
    );
    sql.bind(return_id)
        .push(", ")
        .bind(l.line_no)
        .push(", ")
        .bind(l.invoice_line_id)
        .push(", ")
        .bind(l.product_id)
        .push(", ")
        .bind(l.quantity)
        .push(", ")
        .bind(l.reason)
        .push(", ")
        .bind(l.quantity)
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

/// Which person-and-time columns a transition stamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    Requested,
    Decided,
    Received,
    Inspected,
    Credited,
    Closed,
}

impl Stamp {
    fn columns(self) -> (&'static str, &'static str) {
        match self {
            Stamp::Requested => ("requested_by", "requested_at"),
            Stamp::Decided => ("decided_by", "decided_at"),
            Stamp::Received => ("received_by", "received_at"),
            Stamp::Inspected => ("inspected_by", "inspected_at"),
            Stamp::Credited => ("credited_by", "credited_at"),
            Stamp::Closed => ("closed_by", "closed_at"),
        }
    }
}

/// Moves a return from `from` to `to`, stamping who and when; false when it was no longer in
/// `from` (a concurrent change won).
pub async fn transition(
    conn: &mut Conn,
    id: i64,
    from: &str,
    to: &str,
    stamp: Stamp,
    person: Option<i64>,
    at: i64,
) -> Result<bool, StoreError> {
    let (by, when) = stamp.columns();
    let mut sql = Sql::new("UPDATE returns SET status = ");
    sql.bind(to)
        .push(&format!(", {by} = "))
        .bind(person)
        .push(&format!(", {when} = "))
        .bind(at)
        .push(", updated_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(id)
        .push(" AND status = ")
        .bind(from);
    Ok(sql.execute(conn).await? == 1)
}

/// Records why a return was rejected, sent back or cancelled, and releases every unit it held.
pub async fn release(conn: &mut Conn, id: i64, reason: Option<&str>) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE returns SET close_reason = ");
    sql.bind(reason).push(" WHERE id = ").bind(id);
    sql.execute(conn).await?;
    let mut sql = Sql::new("UPDATE return_lines SET held_qty = 0 WHERE return_id = ");
    sql.bind(id);
    sql.execute(conn).await?;
    Ok(())
}

/// Re-holds the requested quantities (a sent-back return submitted again).
pub async fn hold_requested(conn: &mut Conn, id: i64) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE returns SET close_reason = NULL WHERE id = ");
    sql.bind(id);
    sql.execute(conn).await?;
    let mut sql = Sql::new("UPDATE return_lines SET held_qty = quantity WHERE return_id = ");
    sql.bind(id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn set_received(conn: &mut Conn, id: i64, received_on: &str) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE returns SET received_on = ");
    sql.bind(received_on).push(" WHERE id = ").bind(id);
    sql.execute(conn).await?;
    Ok(())
}

/// The units that arrived on a line; the line now holds those.
pub async fn set_line_received(conn: &mut Conn, line_id: i64, qty: i64) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE return_lines SET received_qty = ");
    sql.bind(qty)
        .push(", held_qty = ")
        .bind(qty)
        .push(" WHERE id = ")
        .bind(line_id);
    sql.execute(conn).await?;
    Ok(())
}

pub struct Inspection<'a> {
    pub accepted_qty: i64,
    pub rejected_qty: i64,
    pub reject_reason: Option<&'a str>,
    pub disposition: &'a str,
}

/// The inspection's outcome on a line; the line now holds the accepted units.
pub async fn set_line_inspected(
    conn: &mut Conn,
    line_id: i64,
    i: &Inspection<'_>,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE return_lines SET accepted_qty = ");
    sql.bind(i.accepted_qty)
        .push(", rejected_qty = ")
        .bind(i.rejected_qty)
        .push(", reject_reason = ")
        .bind(i.reject_reason)
        .push(", disposition = ")
        .bind(i.disposition)
        .push(", held_qty = ")
        .bind(i.accepted_qty)
        .push(" WHERE id = ")
        .bind(line_id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn set_line_credit(
    conn: &mut Conn,
    line_id: i64,
    net_fen: i64,
    tax_fen: i64,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE return_lines SET credit_net_fen = ");
    sql.bind(net_fen)
        .push(", credit_tax_fen = ")
        .bind(tax_fen)
        .push(", credit_fen = ")
        .bind(net_fen + tax_fen)
        .push(" WHERE id = ")
        .bind(line_id);
    sql.execute(conn).await?;
    Ok(())
}

/// The credit the return is worth (an estimate until the credit note) and its credit note.
pub async fn set_credit(
    conn: &mut Conn,
    id: i64,
    credit_fen: i64,
    credit_note_id: Option<i64>,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE returns SET credit_fen = ");
    sql.bind(credit_fen)
        .push(", credit_note_id = ")
        .bind(credit_note_id)
        .push(" WHERE id = ")
        .bind(id);
    sql.execute(conn).await?;
    Ok(())
}

/// Invariants for `salesos check`: no invoice line gives back more than it sold; each line
/// holds what its return's state says; a credited return's credit note is its amount and the
/// sum of its lines.
pub async fn check_unscoped(conn: &mut Conn) -> Result<Vec<String>, StoreError> {
    // no invoice line has more units returned or transferred away than were sold
    let mut out = crate::check::first_offending(
        &mut *conn,
        "invoice lines returned or transferred out of range",
        "SELECT l.id, l.quantity, i.number, h.held FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id \
         JOIN (SELECT invoice_line_id, CAST(SUM(held_qty) AS BIGINT) AS held FROM ( \
           SELECT invoice_line_id, held_qty FROM return_lines \
           UNION ALL SELECT invoice_line_id, held_qty FROM transfer_sources) x GROUP BY invoice_line_id) h \
           ON h.invoice_line_id = l.id \
         WHERE h.held > l.quantity OR h.held < 0 \
         UNION ALL SELECT l.id, l.quantity, i.number, 0 FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id \
         WHERE l.quantity < 0 AND NOT EXISTS (SELECT 1 FROM return_lines r WHERE r.invoice_line_id = l.id) \
         AND NOT EXISTS (SELECT 1 FROM transfer_sources t WHERE t.invoice_line_id = l.id)",
        "id",
        |r, out| {
            let number: String = r.try_get("number")?;
            let id: i64 = r.try_get("id")?;
            let held: i64 = r.try_get("held")?;
            let qty: i64 = r.try_get("quantity")?;
            out.push(format!(
                "invoice {number} line {id}: {held} units returned or transferred of {qty} sold"
            ));
            Ok(())
        },
    )
    .await?;
    // each line holds what its return's status says, its received units are accepted or
    // rejected, and a credited return has a credit note
    out.extend(
        crate::check::first_offending(
            &mut *conn,
            "return lines whose quantities are wrong",
            "SELECT * FROM (SELECT r.id, rl.line_no, r.number, r.status, c.id AS note_id, rl.quantity, rl.received_qty, \
             rl.accepted_qty, rl.rejected_qty, rl.held_qty, \
             CASE WHEN r.status IN ('requested', 'approved', 'sent_back') THEN rl.quantity \
               WHEN r.status = 'received' THEN COALESCE(rl.received_qty, -1) \
               WHEN r.status IN ('inspected', 'credited', 'closed') THEN COALESCE(rl.accepted_qty, -1) \
               ELSE 0 END AS expected \
             FROM returns r JOIN return_lines rl ON rl.return_id = r.id \
             LEFT JOIN credit_notes c ON c.id = r.credit_note_id) v \
             WHERE held_qty <> expected OR received_qty > quantity \
             OR (accepted_qty IS NOT NULL AND accepted_qty + COALESCE(rejected_qty, 0) <> COALESCE(received_qty, -1)) \
             OR (status = 'credited' AND note_id IS NULL)",
            "id, line_no",
            |r, out| {
                let number: String = r.try_get("number")?;
                let status: String = r.try_get("status")?;
                let qty: i64 = r.try_get("quantity")?;
                let received: Option<i64> = r.try_get("received_qty")?;
                let accepted: Option<i64> = r.try_get("accepted_qty")?;
                let rejected: Option<i64> = r.try_get("rejected_qty")?;
                let held: i64 = r.try_get("held_qty")?;
                let expected: i64 = r.try_get("expected")?;
                let note: Option<i64> = r.try_get("note_id")?;
                if held != expected {
                    out.push(format!(
                        "return {number}: a {status} line holds {held} units, expected {expected}"
                    ));
                }
                if received.is_some_and(|rc| rc > qty)
                    || (accepted.is_some()
                        && accepted.unwrap_or(0) + rejected.unwrap_or(0) != received.unwrap_or(-1))
                {
                    out.push(format!(
                        "return {number}: received, accepted and rejected quantities do not add up"
                    ));
                }
                if status == "credited" && note.is_none() {
                    out.push(format!("return {number}: credited without a credit note"));
                }
                Ok(())
            },
        )
        .await?,
    );
    // a credit note equals its return's credit, and that the sum of the lines' credits
    out.extend(
        crate::check::first_offending(
            conn,
            "returns whose credit is wrong",
            "SELECT * FROM (SELECT r.id, r.number, r.credit_fen, c.amount_fen AS note_fen, \
             (SELECT CAST(SUM(rl.credit_fen) AS BIGINT) FROM return_lines rl WHERE rl.return_id = r.id) AS lines_fen \
             FROM returns r JOIN credit_notes c ON c.id = r.credit_note_id \
             WHERE EXISTS (SELECT 1 FROM return_lines rl WHERE rl.return_id = r.id)) v \
             WHERE note_fen <> credit_fen OR lines_fen <> credit_fen",
            "id",
            |r, out| {
                let number: String = r.try_get("number")?;
                let credit: i64 = r.try_get("credit_fen")?;
                let sum: i64 = r.try_get("lines_fen")?;
                let note: i64 = r.try_get("note_fen")?;
                out.push(format!(
                    "return {number}: credit {credit}, its lines {sum} and its credit note {note} differ"
                ));
                Ok(())
            },
        )
        .await?,
    );
    Ok(out)
}
