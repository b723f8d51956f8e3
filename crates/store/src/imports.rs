//! Imports: saved column mappings, the record of confirmed imports, look-ups by the codes people
//! use in their files, and the writes that only an import makes (historical orders keep the
//! number they had in the old system).

use crate::sql::Sql;
use crate::{now_micros, Conn, StoreError};
use serde::Serialize;
use sqlx::Row;

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

pub async fn order_by_number(
    conn: &mut Conn,
    number: &str,
) -> Result<Option<HistoryOrder>, StoreError> {
    let mut sql =
        Sql::new("SELECT id, number, dealer_id, order_date, status FROM orders WHERE number = ");
    sql.bind(number);
    let Some(r) = sql.fetch_optional(conn).await? else {
        return Ok(None);
    };
    let id: i64 = r.try_get("id")?;
    let mut lines =
        Sql::new("SELECT product_id, quantity, unit_price_fen FROM order_lines WHERE order_id = ");
    lines.bind(id).push(" ORDER BY line_no");
    let lines = lines
        .fetch_all(conn)
        .await?
        .iter()
        .map(|l| {
            Ok(HistoryLine {
                product_id: l.try_get("product_id")?,
                quantity: l.try_get("quantity")?,
                unit_price_fen: l.try_get("unit_price_fen")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(Some(HistoryOrder {
        id,
        number: r.try_get("number")?,
        dealer_id: r.try_get("dealer_id")?,
        order_date: r.try_get("order_date")?,
        status: r.try_get("status")?,
        lines,
    }))
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

/// Which of these order numbers exist already.
pub async fn existing_order_numbers(
    conn: &mut Conn,
    numbers: &[&str],
) -> Result<std::collections::HashSet<String>, StoreError> {
    let mut found = std::collections::HashSet::new();
    for chunk in numbers.chunks(500) {
        let mut sql = Sql::new("SELECT number FROM orders WHERE number IN (");
        for (i, n) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(*n);
        }
        sql.push(")");
        for r in sql.fetch_all(conn).await? {
            found.insert(r.try_get("number")?);
        }
    }
    Ok(found)
}

/// Closed orders from the old system: fully shipped, adding nothing to credit exposure. Written
/// as a few multi-row inserts (orders, then their lines), so a large history loads in few round
/// trips; returns the ids in the order given.
pub async fn insert_history_orders(
    conn: &mut Conn,
    orders: &[NewHistoryOrder<'_>],
) -> Result<Vec<i64>, StoreError> {
    let now = now_micros();
    let mut ids = std::collections::HashMap::new();
    // bind parameters per statement stay well under SQLite's limit (32,766)
    for chunk in orders.chunks(500) {
        let mut sql = Sql::new(
            "INSERT INTO orders (number, dealer_id, order_date, status, source, node_id, node_path, owner_id, total_fen, exposure_fen, note, created_by, created_at, updated_at) VALUES ",
        );
        for (i, n) in chunk.iter().enumerate() {
            let total: i64 = n.lines.iter().map(|l| l.quantity * l.unit_price_fen).sum();
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(n.number)
                .push(", ")
                .bind(n.dealer_id)
                .push(", ")
                .bind(n.order_date)
                .push(", 'closed', 'import', ")
                .bind(n.node_id)
                .push(", ")
                .bind(n.node_path)
                .push(", ")
                .bind(n.owner_id)
                .push(", ")
                .bind(total)
                .push(", 0, ")
                .bind(n.note)
                .push(", ")
                .bind(n.created_by)
                .push(", ")
                .bind(now)
                .push(", ")
                .bind(now)
                .push(")");
        }
        sql.push(" RETURNING id, number");
        for r in sql.fetch_all(conn).await? {
            let number: String = r.try_get("number")?;
            let id: i64 = r.try_get("id")?;
            ids.insert(number, id);
        }
    }
    let ordered: Vec<i64> = orders
        .iter()
        .map(|o| {
            ids.get(o.number)
                .copied()
                .ok_or_else(|| StoreError::Config(format!("order {} was not inserted", o.number)))
        })
        .collect::<Result<_, _>>()?;
    let lines: Vec<(i64, usize, &HistoryLine)> = orders
        .iter()
        .zip(&ordered)
        .flat_map(|(o, id)| {
            o.lines
                .iter()
                .enumerate()
                .map(move |(i, l)| (*id, i + 1, l))
        })
        .collect();
    for chunk in lines.chunks(3000) {
        let mut ins = Sql::new(
            "INSERT INTO order_lines (order_id, line_no, product_id, quantity, list_price_fen, unit_price_fen, amount_fen, manual_price, shipped_qty) VALUES ",
        );
        for (i, (order_id, line_no, l)) in chunk.iter().enumerate() {
            if i > 0 {
                ins.push(", ");
            }
            ins.push("(")
                .bind(*order_id)
                .push(", ")
                .bind(*line_no as i64)
                .push(", ")
                .bind(l.product_id)
                .push(", ")
                .bind(l.quantity)
                .push(", NULL, ")
                .bind(l.unit_price_fen)
                .push(", ")
                .bind(l.quantity * l.unit_price_fen)
                .push(", 0, ")
                .bind(l.quantity)
                .push(")");
        }
        ins.execute(conn).await?;
    }
    Ok(ordered)
}

/// Audit entries of many records at once (the same columns as [`crate::audit::append`]), for
/// imports that write thousands of records in one transaction.
pub async fn append_audit_many(
    conn: &mut Conn,
    entries: &[crate::audit::NewEntry<'_>],
) -> Result<(), StoreError> {
    let now = now_micros();
    for chunk in entries.chunks(500) {
        let mut sql = Sql::new(
            "INSERT INTO audit_log (at, person_id, source, request_id, operation, entity, entity_id, scope_path, before_json, after_json) VALUES ",
        );
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(now)
                .push(", ")
                .bind(e.person_id)
                .push(", ")
                .bind(e.source)
                .push(", ")
                .bind(e.request_id)
                .push(", ")
                .bind(e.operation)
                .push(", ")
                .bind(e.entity)
                .push(", ")
                .bind(e.entity_id)
                .push(", ")
                .bind(e.scope_path)
                .push(", ")
                .bind(e.before.as_ref().map(|v| v.to_string()))
                .push(", ")
                .bind(e.after.as_ref().map(|v| v.to_string()))
                .push(")");
        }
        sql.execute(conn).await?;
    }
    Ok(())
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
