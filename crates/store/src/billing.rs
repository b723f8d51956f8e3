//! Invoices, payments and their allocations, credit notes and the append-only receivables
//! ledger (`ar_ledger`). Documents keep the territory (`node_path`) and owner of their dealer
//! when they were made.

use crate::sql::Sql;
use crate::{now_micros, Conn, Scope, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, Serialize)]
pub struct InvoiceRow {
    pub id: i64,
    pub number: String,
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    pub order_id: Option<i64>,
    pub shipment_id: Option<i64>,
    pub invoice_date: String,
    pub due_date: String,
    pub payment_term_days: i64,
    pub net_fen: i64,
    pub tax_fen: i64,
    pub gross_fen: i64,
    pub open_fen: i64,
    pub status: String,
    pub paid_on: Option<String>,
    pub node_path: String,
    pub owner_id: i64,
    pub created_at: i64,
}

fn invoice_of(r: &AnyRow) -> Result<InvoiceRow, sqlx::Error> {
    Ok(InvoiceRow {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        dealer_id: r.try_get("dealer_id")?,
        dealer_code: r.try_get("dealer_code")?,
        dealer_name: r.try_get("dealer_name")?,
        order_id: r.try_get("order_id")?,
        shipment_id: r.try_get("shipment_id")?,
        invoice_date: r.try_get("invoice_date")?,
        due_date: r.try_get("due_date")?,
        payment_term_days: r.try_get("payment_term_days")?,
        net_fen: r.try_get("net_fen")?,
        tax_fen: r.try_get("tax_fen")?,
        gross_fen: r.try_get("gross_fen")?,
        open_fen: r.try_get("open_fen")?,
        status: r.try_get("status")?,
        paid_on: r.try_get("paid_on")?,
        node_path: r.try_get("node_path")?,
        owner_id: r.try_get("owner_id")?,
        created_at: r.try_get("created_at")?,
    })
}

const INVOICE: &str = "SELECT i.id, i.number, i.dealer_id, d.code AS dealer_code, d.name AS dealer_name, i.order_id, i.shipment_id, i.invoice_date, i.due_date, i.payment_term_days, \
     i.net_fen, i.tax_fen, i.gross_fen, i.open_fen, i.status, i.paid_on, i.node_path, i.owner_id, i.created_at \
     FROM invoices i JOIN dealers d ON d.id = i.dealer_id WHERE 1 = 1";

pub struct NewInvoice<'a> {
    pub number: &'a str,
    pub dealer_id: i64,
    pub order_id: Option<i64>,
    pub shipment_id: Option<i64>,
    pub invoice_date: &'a str,
    pub due_date: &'a str,
    pub payment_term_days: i64,
    pub net_fen: i64,
    pub tax_fen: i64,
    pub gross_fen: i64,
    pub node_path: &'a str,
    pub owner_id: i64,
    pub created_by: Option<i64>,
}

pub async fn insert_invoice(conn: &mut Conn, n: NewInvoice<'_>) -> Result<i64, StoreError> {
    let now = now_micros();
    let mut sql = Sql::new(
        "INSERT INTO invoices (number, dealer_id, order_id, shipment_id, invoice_date, due_date, payment_term_days, net_fen, tax_fen, gross_fen, open_fen, status, node_path, owner_id, created_by, created_at, updated_at) VALUES (",
    );
    sql.bind(n.number)
        .push(", ")
        .bind(n.dealer_id)
        .push(", ")
        .bind(n.order_id)
        .push(", ")
        .bind(n.shipment_id)
        .push(", ")
        .bind(n.invoice_date)
        .push(", ")
        .bind(n.due_date)
        .push(", ")
        .bind(n.payment_term_days)
        .push(", ")
        .bind(n.net_fen)
        .push(", ")
        .bind(n.tax_fen)
        .push(", ")
        .bind(n.gross_fen)
        .push(", ")
        .bind(n.gross_fen)
        .push(", ")
        .bind(if n.gross_fen > 0 { "open" } else { "paid" })
        .push(", ")
        .bind(n.node_path)
        .push(", ")
        .bind(n.owner_id)
        .push(", ")
        .bind(n.created_by)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

pub struct NewInvoiceLine {
    pub line_no: i64,
    pub shipment_line_id: Option<i64>,
    pub product_id: i64,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub tax_rate_bp: i64,
    pub net_fen: i64,
    pub tax_fen: i64,
    pub gross_fen: i64,
}

pub async fn insert_invoice_line(
    conn: &mut Conn,
    invoice_id: i64,
    l: &NewInvoiceLine,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO invoice_lines (invoice_id, line_no, shipment_line_id, product_id, quantity, unit_price_fen, tax_rate_bp, net_fen, tax_fen, gross_fen) VALUES (",
    );
    sql.bind(invoice_id)
        .push(", ")
        .bind(l.line_no)
        .push(", ")
        .bind(l.shipment_line_id)
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
        .push(")");
    sql.execute(conn).await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct InvoiceLineRow {
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

pub async fn invoice_lines(
    conn: &mut Conn,
    invoice_id: i64,
) -> Result<Vec<InvoiceLineRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT l.line_no, l.product_id, p.code, p.name_zh, p.name_en, l.quantity, l.unit_price_fen, l.tax_rate_bp, l.net_fen, l.tax_fen, l.gross_fen \
         FROM invoice_lines l JOIN products p ON p.id = l.product_id WHERE l.invoice_id = ",
    );
    sql.bind(invoice_id).push(" ORDER BY l.line_no");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(InvoiceLineRow {
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

pub async fn get_invoice(
    conn: &mut Conn,
    scope: &Scope,
    id: i64,
) -> Result<Option<InvoiceRow>, StoreError> {
    let mut sql = Sql::new(INVOICE);
    sql.push(" AND i.id = ").bind(id);
    sql.scope(scope, "i.node_path", "i.owner_id");
    sql.fetch_optional_as(conn, invoice_of).await
}

pub async fn get_invoice_unscoped(
    conn: &mut Conn,
    id: i64,
) -> Result<Option<InvoiceRow>, StoreError> {
    let mut sql = Sql::new(INVOICE);
    sql.push(" AND i.id = ").bind(id);
    sql.fetch_optional_as(conn, invoice_of).await
}

#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub dealer_id: Option<i64>,
    pub status: Option<String>,
    pub shipment_id: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list_invoices(
    conn: &mut Conn,
    scope: &Scope,
    f: &InvoiceFilter,
) -> Result<Vec<InvoiceRow>, StoreError> {
    let mut sql = Sql::new(INVOICE);
    sql.scope(scope, "i.node_path", "i.owner_id");
    if let Some(d) = f.dealer_id {
        sql.push(" AND i.dealer_id = ").bind(d);
    }
    if let Some(s) = &f.status {
        sql.push(" AND i.status = ").bind(s.as_str());
    }
    if let Some(s) = f.shipment_id {
        sql.push(" AND i.shipment_id = ").bind(s);
    }
    sql.push(" ORDER BY i.id DESC").page(f.limit, f.offset);
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(invoice_of).collect::<Result<_, _>>()?)
}

/// The invoices raised from a shipment (callers check the shipment's scope first).
pub async fn list_invoices_unscoped_of_shipment(
    conn: &mut Conn,
    shipment_id: i64,
) -> Result<Vec<InvoiceRow>, StoreError> {
    let mut sql = Sql::new(INVOICE);
    sql.push(" AND i.shipment_id = ")
        .bind(shipment_id)
        .push(" ORDER BY i.id");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(invoice_of).collect::<Result<_, _>>()?)
}

/// A dealer's open invoices (due first), for allocation inside a write transaction (the
/// dealer's balance row is locked first, which serialises writers per dealer).
pub async fn open_invoices_of_dealer(
    conn: &mut Conn,
    dealer_id: i64,
) -> Result<Vec<InvoiceRow>, StoreError> {
    let mut sql = Sql::new(INVOICE);
    sql.push(" AND i.status = 'open' AND i.dealer_id = ")
        .bind(dealer_id)
        .push(" ORDER BY i.due_date, i.invoice_date, i.id");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(invoice_of).collect::<Result<_, _>>()?)
}

/// Lowers an invoice's open amount by `amount_fen`; it becomes paid at zero.
pub async fn reduce_open(
    conn: &mut Conn,
    invoice_id: i64,
    amount_fen: i64,
    day: &str,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE invoices SET open_fen = open_fen - ");
    sql.bind(amount_fen)
        .push(", status = CASE WHEN open_fen - ")
        .bind(amount_fen)
        .push(" = 0 THEN 'paid' ELSE status END, paid_on = CASE WHEN open_fen - ")
        .bind(amount_fen)
        .push(" = 0 THEN ")
        .bind(day)
        .push(" ELSE paid_on END, updated_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(invoice_id)
        .push(" AND open_fen >= ")
        .bind(amount_fen);
    if sql.execute(conn).await? != 1 {
        return Err(StoreError::Config(format!(
            "invoice {invoice_id} has less than {amount_fen} open"
        )));
    }
    Ok(())
}

pub async fn cancel_invoice(conn: &mut Conn, invoice_id: i64) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE invoices SET status = 'cancelled', open_fen = 0, updated_at = ");
    sql.bind(now_micros()).push(" WHERE id = ").bind(invoice_id);
    sql.execute(conn).await?;
    Ok(())
}

/// Undoes the shipment's invoicing (the invoice was cancelled): it can be invoiced again.
pub async fn uninvoice_shipment(conn: &mut Conn, shipment_id: i64) -> Result<(), StoreError> {
    let mut sql =
        Sql::new("UPDATE shipments SET invoiced = 0, status = 'delivered', updated_at = ");
    sql.bind(now_micros())
        .push(" WHERE id = ")
        .bind(shipment_id);
    sql.execute(conn).await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct PaymentRow {
    pub id: i64,
    pub number: String,
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    pub received_on: String,
    pub amount_fen: i64,
    pub method: String,
    pub reference: Option<String>,
    pub unallocated_fen: i64,
    pub node_path: String,
    pub owner_id: i64,
    pub created_at: i64,
}

fn payment_of(r: &AnyRow) -> Result<PaymentRow, sqlx::Error> {
    Ok(PaymentRow {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        dealer_id: r.try_get("dealer_id")?,
        dealer_code: r.try_get("dealer_code")?,
        dealer_name: r.try_get("dealer_name")?,
        received_on: r.try_get("received_on")?,
        amount_fen: r.try_get("amount_fen")?,
        method: r.try_get("method")?,
        reference: r.try_get("reference")?,
        unallocated_fen: r.try_get("unallocated_fen")?,
        node_path: r.try_get("node_path")?,
        owner_id: r.try_get("owner_id")?,
        created_at: r.try_get("created_at")?,
    })
}

const PAYMENT: &str = "SELECT p.id, p.number, p.dealer_id, d.code AS dealer_code, d.name AS dealer_name, p.received_on, p.amount_fen, p.method, p.reference, p.unallocated_fen, p.node_path, p.owner_id, p.created_at \
     FROM payments p JOIN dealers d ON d.id = p.dealer_id WHERE 1 = 1";

pub struct NewPayment<'a> {
    pub number: &'a str,
    pub dealer_id: i64,
    pub received_on: &'a str,
    pub amount_fen: i64,
    pub method: &'a str,
    pub reference: Option<&'a str>,
    pub unallocated_fen: i64,
    pub node_path: &'a str,
    pub owner_id: i64,
    pub created_by: Option<i64>,
}

pub async fn insert_payment(conn: &mut Conn, n: NewPayment<'_>) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO payments (number, dealer_id, received_on, amount_fen, method, reference, unallocated_fen, node_path, owner_id, created_by, created_at) VALUES (",
    );
    sql.bind(n.number)
        .push(", ")
        .bind(n.dealer_id)
        .push(", ")
        .bind(n.received_on)
        .push(", ")
        .bind(n.amount_fen)
        .push(", ")
        .bind(n.method)
        .push(", ")
        .bind(n.reference)
        .push(", ")
        .bind(n.unallocated_fen)
        .push(", ")
        .bind(n.node_path)
        .push(", ")
        .bind(n.owner_id)
        .push(", ")
        .bind(n.created_by)
        .push(", ")
        .bind(now_micros())
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

pub async fn insert_allocation(
    conn: &mut Conn,
    payment_id: i64,
    invoice_id: i64,
    amount_fen: i64,
    day: &str,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO payment_allocations (payment_id, invoice_id, amount_fen, allocated_on, created_at) VALUES (",
    );
    sql.bind(payment_id)
        .push(", ")
        .bind(invoice_id)
        .push(", ")
        .bind(amount_fen)
        .push(", ")
        .bind(day)
        .push(", ")
        .bind(now_micros())
        .push(")");
    sql.execute(conn).await?;
    Ok(())
}

pub async fn get_payment(
    conn: &mut Conn,
    scope: &Scope,
    id: i64,
) -> Result<Option<PaymentRow>, StoreError> {
    let mut sql = Sql::new(PAYMENT);
    sql.push(" AND p.id = ").bind(id);
    sql.scope(scope, "p.node_path", "p.owner_id");
    sql.fetch_optional_as(conn, payment_of).await
}

pub async fn get_payment_unscoped(
    conn: &mut Conn,
    id: i64,
) -> Result<Option<PaymentRow>, StoreError> {
    let mut sql = Sql::new(PAYMENT);
    sql.push(" AND p.id = ").bind(id);
    sql.fetch_optional_as(conn, payment_of).await
}

#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    pub dealer_id: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list_payments(
    conn: &mut Conn,
    scope: &Scope,
    f: &PaymentFilter,
) -> Result<Vec<PaymentRow>, StoreError> {
    let mut sql = Sql::new(PAYMENT);
    sql.scope(scope, "p.node_path", "p.owner_id");
    if let Some(d) = f.dealer_id {
        sql.push(" AND p.dealer_id = ").bind(d);
    }
    sql.push(" ORDER BY p.id DESC").page(f.limit, f.offset);
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(payment_of).collect::<Result<_, _>>()?)
}

/// A dealer's payments with credit left on them (oldest first), for applying to a new invoice.
pub async fn payments_with_credit(
    conn: &mut Conn,
    dealer_id: i64,
) -> Result<Vec<PaymentRow>, StoreError> {
    let mut sql = Sql::new(PAYMENT);
    sql.push(" AND p.unallocated_fen > 0 AND p.dealer_id = ")
        .bind(dealer_id)
        .push(" ORDER BY p.received_on, p.id");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(payment_of).collect::<Result<_, _>>()?)
}

/// Lowers a payment's unallocated credit by `amount_fen` (never below zero).
pub async fn reduce_unallocated(
    conn: &mut Conn,
    payment_id: i64,
    amount_fen: i64,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE payments SET unallocated_fen = unallocated_fen - ");
    sql.bind(amount_fen)
        .push(" WHERE id = ")
        .bind(payment_id)
        .push(" AND unallocated_fen >= ")
        .bind(amount_fen);
    if sql.execute(conn).await? != 1 {
        return Err(StoreError::Config(format!(
            "payment {payment_id} has less than {amount_fen} unallocated"
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct AllocationRow {
    pub payment_id: i64,
    pub payment_number: String,
    pub invoice_id: i64,
    pub invoice_number: String,
    pub amount_fen: i64,
    pub allocated_on: String,
}

async fn allocations_where(
    conn: &mut Conn,
    column: &str,
    id: i64,
) -> Result<Vec<AllocationRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT a.payment_id, p.number AS payment_number, a.invoice_id, i.number AS invoice_number, a.amount_fen, a.allocated_on \
         FROM payment_allocations a JOIN payments p ON p.id = a.payment_id JOIN invoices i ON i.id = a.invoice_id WHERE a.{column} = "
    ));
    sql.bind(id).push(" ORDER BY a.id");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(AllocationRow {
                payment_id: r.try_get("payment_id")?,
                payment_number: r.try_get("payment_number")?,
                invoice_id: r.try_get("invoice_id")?,
                invoice_number: r.try_get("invoice_number")?,
                amount_fen: r.try_get("amount_fen")?,
                allocated_on: r.try_get("allocated_on")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

pub async fn allocations_of_payment(
    conn: &mut Conn,
    payment_id: i64,
) -> Result<Vec<AllocationRow>, StoreError> {
    allocations_where(conn, "payment_id", payment_id).await
}

pub async fn allocations_of_invoice(
    conn: &mut Conn,
    invoice_id: i64,
) -> Result<Vec<AllocationRow>, StoreError> {
    allocations_where(conn, "invoice_id", invoice_id).await
}

pub struct LedgerEntry<'a> {
    pub dealer_id: i64,
    pub entry_date: &'a str,
    /// invoice | payment | credit_note | cancellation
    pub kind: &'a str,
    pub doc_type: &'a str,
    pub doc_id: i64,
    pub doc_number: &'a str,
    pub amount_fen: i64,
    pub node_path: &'a str,
    pub owner_id: i64,
    pub person_id: Option<i64>,
}

/// Appends one receivables-ledger entry (the table refuses updates and deletes).
pub async fn append_ledger(conn: &mut Conn, e: LedgerEntry<'_>) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO ar_ledger (dealer_id, entry_date, kind, doc_type, doc_id, doc_number, amount_fen, node_path, owner_id, person_id, at) VALUES (",
    );
    sql.bind(e.dealer_id)
        .push(", ")
        .bind(e.entry_date)
        .push(", ")
        .bind(e.kind)
        .push(", ")
        .bind(e.doc_type)
        .push(", ")
        .bind(e.doc_id)
        .push(", ")
        .bind(e.doc_number)
        .push(", ")
        .bind(e.amount_fen)
        .push(", ")
        .bind(e.node_path)
        .push(", ")
        .bind(e.owner_id)
        .push(", ")
        .bind(e.person_id)
        .push(", ")
        .bind(now_micros())
        .push(")");
    sql.execute(conn).await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct LedgerRow {
    pub id: i64,
    pub entry_date: String,
    pub kind: String,
    pub doc_type: String,
    pub doc_id: i64,
    pub doc_number: String,
    pub amount_fen: i64,
}

/// A dealer's receivables ledger, oldest first (callers check the dealer's scope first).
pub async fn ledger_of_dealer(
    conn: &mut Conn,
    dealer_id: i64,
    limit: i64,
) -> Result<Vec<LedgerRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT id, entry_date, kind, doc_type, doc_id, doc_number, amount_fen FROM ar_ledger WHERE dealer_id = ",
    );
    sql.bind(dealer_id)
        .push(" ORDER BY entry_date, id LIMIT ")
        .bind(limit.clamp(1, 5000));
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(LedgerRow {
                id: r.try_get("id")?,
                entry_date: r.try_get("entry_date")?,
                kind: r.try_get("kind")?,
                doc_type: r.try_get("doc_type")?,
                doc_id: r.try_get("doc_id")?,
                doc_number: r.try_get("doc_number")?,
                amount_fen: r.try_get("amount_fen")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// A dealer's receivables in one row: the ledger balance (owed less credit held), what open
/// invoices still owe, unallocated payments (credit), and what is overdue on `day`.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct DealerSummary {
    pub balance_fen: i64,
    pub open_invoices_fen: i64,
    pub unallocated_fen: i64,
    pub overdue_fen: i64,
}

pub async fn dealer_summary(
    conn: &mut Conn,
    dealer_id: i64,
    day: &str,
) -> Result<DealerSummary, StoreError> {
    let mut sql =
        Sql::new("SELECT CAST(COALESCE((SELECT SUM(amount_fen) FROM ar_ledger WHERE dealer_id = ");
    sql.bind(dealer_id)
        .push("), 0) AS BIGINT) AS bal, CAST(COALESCE((SELECT SUM(open_fen) FROM invoices WHERE status = 'open' AND dealer_id = ")
        .bind(dealer_id)
        .push("), 0) AS BIGINT) AS open_inv, CAST(COALESCE((SELECT SUM(unallocated_fen) FROM payments WHERE dealer_id = ")
        .bind(dealer_id)
        .push("), 0) AS BIGINT) AS unalloc, CAST(COALESCE((SELECT SUM(open_fen) FROM invoices WHERE status = 'open' AND due_date < ")
        .bind(day)
        .push(" AND dealer_id = ")
        .bind(dealer_id)
        .push("), 0) AS BIGINT) AS overdue");
    let r = sql.fetch_one(conn).await?;
    Ok(DealerSummary {
        balance_fen: r.try_get("bal")?,
        open_invoices_fen: r.try_get("open_inv")?,
        unallocated_fen: r.try_get("unalloc")?,
        overdue_fen: r.try_get("overdue")?,
    })
}

/// Invariants for `salesos check` and tests: cached open amounts equal gross less allocations
/// and credit notes and are never negative; each payment's unallocated part equals its amount
/// less its allocations; each dealer's ledger sums to open invoices less unallocated credit.
pub async fn check_unscoped(conn: &mut Conn) -> Result<Vec<String>, StoreError> {
    // each invoice's open amount is its gross less allocations and credits (0 once cancelled),
    // never negative, and it is paid exactly when nothing is open
    let invoices = "SELECT i.id, i.number, i.status, i.open_fen, \
         CASE WHEN i.status = 'cancelled' THEN 0 ELSE i.gross_fen - COALESCE(a.alloc, 0) - COALESCE(c.credited, 0) END AS expected \
         FROM invoices i \
         LEFT JOIN (SELECT invoice_id, CAST(SUM(amount_fen) AS BIGINT) AS alloc FROM payment_allocations GROUP BY invoice_id) a \
           ON a.invoice_id = i.id \
         LEFT JOIN (SELECT invoice_id, CAST(SUM(amount_fen) AS BIGINT) AS credited FROM credit_notes GROUP BY invoice_id) c \
           ON c.invoice_id = i.id";
    let mut out = crate::check::first_offending(
        &mut *conn,
        "invoices whose open amount is wrong",
        &format!(
            "SELECT * FROM ({invoices}) v WHERE open_fen < 0 OR open_fen <> expected \
             OR (status = 'paid' AND open_fen <> 0) OR (status NOT IN ('paid', 'cancelled') AND open_fen = 0)"
        ),
        "id",
        |r, out| {
            let number: String = r.try_get("number")?;
            let status: String = r.try_get("status")?;
            let open: i64 = r.try_get("open_fen")?;
            let expected: i64 = r.try_get("expected")?;
            if open < 0 {
                out.push(format!("invoice {number}: open amount {open} is negative"));
            }
            if open != expected {
                out.push(format!(
                    "invoice {number}: open amount {open} differs from gross less allocations and credits {expected}"
                ));
            }
            if (status == "paid") != (open == 0 && status != "cancelled") {
                out.push(format!(
                    "invoice {number}: status {status} with {open} open"
                ));
            }
            Ok(())
        },
    )
    .await?;
    // each payment's allocations and unallocated rest make its amount
    out.extend(
        crate::check::first_offending(
            &mut *conn,
            "payments whose allocations do not add up",
            "SELECT * FROM (SELECT p.id, p.number, p.amount_fen, p.unallocated_fen, COALESCE(a.alloc, 0) AS alloc \
             FROM payments p LEFT JOIN (SELECT payment_id, CAST(SUM(amount_fen) AS BIGINT) AS alloc \
             FROM payment_allocations GROUP BY payment_id) a ON a.payment_id = p.id) v \
             WHERE unallocated_fen < 0 OR alloc + unallocated_fen <> amount_fen",
            "id",
            |r, out| {
                let number: String = r.try_get("number")?;
                let amount: i64 = r.try_get("amount_fen")?;
                let unalloc: i64 = r.try_get("unallocated_fen")?;
                let alloc: i64 = r.try_get("alloc")?;
                out.push(format!(
                    "payment {number}: {alloc} allocated and {unalloc} unallocated do not make {amount}"
                ));
                Ok(())
            },
        )
        .await?,
    );
    // each dealer's receivables ledger is its open invoices less unallocated payments, and the
    // credit exposure's receivables bucket
    out.extend(
        crate::check::first_offending(
            conn,
            "dealers whose receivables are wrong",
            "SELECT * FROM (SELECT d.id, COALESCE(l.bal, 0) AS bal, COALESCE(i.open_inv, 0) AS open_inv, \
             COALESCE(p.unalloc, 0) AS unalloc, COALESCE(c.credit_rc, 0) AS credit_rc FROM dealers d \
             LEFT JOIN (SELECT dealer_id, CAST(SUM(amount_fen) AS BIGINT) AS bal FROM ar_ledger GROUP BY dealer_id) l \
               ON l.dealer_id = d.id \
             LEFT JOIN (SELECT dealer_id, CAST(SUM(open_fen) AS BIGINT) AS open_inv FROM invoices WHERE status = 'open' \
               GROUP BY dealer_id) i ON i.dealer_id = d.id \
             LEFT JOIN (SELECT dealer_id, CAST(SUM(unallocated_fen) AS BIGINT) AS unalloc FROM payments GROUP BY dealer_id) p \
               ON p.dealer_id = d.id \
             LEFT JOIN (SELECT dealer_id, CAST(SUM(amount_fen) AS BIGINT) AS credit_rc FROM credit_ledger \
               WHERE bucket = 'receivables' GROUP BY dealer_id) c ON c.dealer_id = d.id) v \
             WHERE bal <> open_inv - unalloc OR bal <> credit_rc",
            "id",
            |r, out| {
                let id: i64 = r.try_get("id")?;
                let bal: i64 = r.try_get("bal")?;
                let open_inv: i64 = r.try_get("open_inv")?;
                let unalloc: i64 = r.try_get("unalloc")?;
                let credit_rc: i64 = r.try_get("credit_rc")?;
                if bal != open_inv - unalloc {
                    out.push(format!(
                        "dealer {id}: receivables ledger {bal} differs from open invoices {open_inv} less unallocated payments {unalloc}"
                    ));
                }
                if bal != credit_rc {
                    out.push(format!(
                        "dealer {id}: receivables ledger {bal} differs from the credit exposure's receivables {credit_rc}"
                    ));
                }
                Ok(())
            },
        )
        .await?,
    );
    Ok(out)
}

pub struct NewCreditNote<'a> {
    pub number: &'a str,
    pub dealer_id: i64,
    pub invoice_id: Option<i64>,
    pub shipment_id: Option<i64>,
    pub issued_on: &'a str,
    pub reason: &'a str,
    pub amount_fen: i64,
    pub node_path: &'a str,
    pub owner_id: i64,
    pub created_by: Option<i64>,
}

pub async fn insert_credit_note(conn: &mut Conn, n: NewCreditNote<'_>) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO credit_notes (number, dealer_id, invoice_id, shipment_id, issued_on, reason, amount_fen, node_path, owner_id, created_by, created_at) VALUES (",
    );
    sql.bind(n.number)
        .push(", ")
        .bind(n.dealer_id)
        .push(", ")
        .bind(n.invoice_id)
        .push(", ")
        .bind(n.shipment_id)
        .push(", ")
        .bind(n.issued_on)
        .push(", ")
        .bind(n.reason)
        .push(", ")
        .bind(n.amount_fen)
        .push(", ")
        .bind(n.node_path)
        .push(", ")
        .bind(n.owner_id)
        .push(", ")
        .bind(n.created_by)
        .push(", ")
        .bind(now_micros())
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

#[derive(Debug, Clone, Serialize)]
pub struct CreditNoteRow {
    pub id: i64,
    pub number: String,
    pub issued_on: String,
    pub reason: String,
    pub amount_fen: i64,
}

/// The credit notes against an invoice (callers check the invoice's scope first).
pub async fn credit_notes_of_invoice(
    conn: &mut Conn,
    invoice_id: i64,
) -> Result<Vec<CreditNoteRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT id, number, issued_on, reason, amount_fen FROM credit_notes WHERE invoice_id = ",
    );
    sql.bind(invoice_id).push(" ORDER BY id");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(CreditNoteRow {
                id: r.try_get("id")?,
                number: r.try_get("number")?,
                issued_on: r.try_get("issued_on")?,
                reason: r.try_get("reason")?,
                amount_fen: r.try_get("amount_fen")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// A credit note with its dealer and invoice, for the credit-note list and page.
#[derive(Debug, Clone, Serialize)]
pub struct CreditNoteListRow {
    pub id: i64,
    pub number: String,
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    pub invoice_id: Option<i64>,
    pub invoice_number: Option<String>,
    pub shipment_id: Option<i64>,
    pub issued_on: String,
    pub reason: String,
    pub amount_fen: i64,
    pub created_at: i64,
}

const CREDIT_NOTE: &str = "SELECT c.id, c.number, c.dealer_id, d.code AS dealer_code, d.name AS dealer_name, c.invoice_id, i.number AS invoice_number, \
     c.shipment_id, c.issued_on, c.reason, c.amount_fen, c.created_at \
     FROM credit_notes c JOIN dealers d ON d.id = c.dealer_id LEFT JOIN invoices i ON i.id = c.invoice_id WHERE 1 = 1";

fn credit_note_of(r: &AnyRow) -> Result<CreditNoteListRow, sqlx::Error> {
    Ok(CreditNoteListRow {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        dealer_id: r.try_get("dealer_id")?,
        dealer_code: r.try_get("dealer_code")?,
        dealer_name: r.try_get("dealer_name")?,
        invoice_id: r.try_get("invoice_id")?,
        invoice_number: r.try_get("invoice_number")?,
        shipment_id: r.try_get("shipment_id")?,
        issued_on: r.try_get("issued_on")?,
        reason: r.try_get("reason")?,
        amount_fen: r.try_get("amount_fen")?,
        created_at: r.try_get("created_at")?,
    })
}

#[derive(Debug, Clone, Default)]
pub struct CreditNoteFilter {
    pub dealer_id: Option<i64>,
    pub invoice_id: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// Credit notes in the person's scope (by the territory they were issued in), newest first.
pub async fn list_credit_notes(
    conn: &mut Conn,
    scope: &Scope,
    f: &CreditNoteFilter,
) -> Result<Vec<CreditNoteListRow>, StoreError> {
    let mut sql = Sql::new(CREDIT_NOTE);
    sql.scope(scope, "c.node_path", "c.owner_id");
    if let Some(d) = f.dealer_id {
        sql.push(" AND c.dealer_id = ").bind(d);
    }
    if let Some(i) = f.invoice_id {
        sql.push(" AND c.invoice_id = ").bind(i);
    }
    sql.push(" ORDER BY c.id DESC").page(f.limit, f.offset);
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(credit_note_of).collect::<Result<_, _>>()?)
}

pub async fn get_credit_note(
    conn: &mut Conn,
    scope: &Scope,
    id: i64,
) -> Result<Option<CreditNoteListRow>, StoreError> {
    let mut sql = Sql::new(CREDIT_NOTE);
    sql.push(" AND c.id = ").bind(id);
    sql.scope(scope, "c.node_path", "c.owner_id");
    sql.fetch_optional_as(conn, credit_note_of).await
}
