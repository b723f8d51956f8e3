//! Shipments (several per order, partial quantities), their lines and delivery claims.
//! A shipment keeps the territory (`node_path`) and owner of its order.

use crate::sql::Sql;
use crate::{now_micros, Conn, Scope, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// The next document number of a series (`SH`, `INV`, `PAY`, `CN`): `SH000001`, …
pub async fn next_number(conn: &mut Conn, series: &str) -> Result<String, StoreError> {
    let mut ins = Sql::new("INSERT INTO doc_counters (series, next_value) VALUES (");
    ins.bind(series)
        .push(", 1) ON CONFLICT (series) DO NOTHING");
    ins.execute(conn).await?;
    let mut upd = Sql::new("UPDATE doc_counters SET next_value = next_value + 1 WHERE series = ");
    upd.bind(series).push(" RETURNING next_value");
    let n: i64 = upd.fetch_one(conn).await?.try_get("next_value")?;
    Ok(format!("{series}{:06}", n - 1))
}

#[derive(Debug, Clone, Serialize)]
pub struct ShipmentRow {
    pub id: i64,
    pub number: String,
    pub order_id: i64,
    pub order_number: String,
    pub dealer_id: i64,
    pub dealer_name: String,
    pub status: String,
    pub carrier: Option<String>,
    pub consignment_station: Option<String>,
    pub tracking_no: Option<String>,
    pub value_fen: i64,
    pub shipped_on: Option<String>,
    pub delivered_on: Option<String>,
    pub invoiced: bool,
    pub node_path: String,
    pub owner_id: i64,
    pub note: Option<String>,
    pub created_at: i64,
}

fn shipment_of(r: &AnyRow) -> Result<ShipmentRow, sqlx::Error> {
    Ok(ShipmentRow {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        order_id: r.try_get("order_id")?,
        order_number: r
            .try_get::<Option<String>, _>("order_number")?
            .unwrap_or_default(),
        dealer_id: r.try_get("dealer_id")?,
        dealer_name: r.try_get("dealer_name")?,
        status: r.try_get("status")?,
        carrier: r.try_get("carrier")?,
        consignment_station: r.try_get("consignment_station")?,
        tracking_no: r.try_get("tracking_no")?,
        value_fen: r.try_get("value_fen")?,
        shipped_on: r.try_get("shipped_on")?,
        delivered_on: r.try_get("delivered_on")?,
        invoiced: r.try_get::<i64, _>("invoiced")? != 0,
        node_path: r.try_get("node_path")?,
        owner_id: r.try_get("owner_id")?,
        note: r.try_get("note")?,
        created_at: r.try_get("created_at")?,
    })
}

const SHIPMENT: &str = "SELECT s.id, s.number, s.order_id, o.number AS order_number, s.dealer_id, d.name AS dealer_name, s.status, s.carrier, s.consignment_station, s.tracking_no, s.value_fen, s.shipped_on, s.delivered_on, s.invoiced, s.node_path, s.owner_id, s.note, s.created_at \
     FROM shipments s JOIN orders o ON o.id = s.order_id JOIN dealers d ON d.id = s.dealer_id WHERE 1 = 1";

#[derive(Debug, Clone, Serialize)]
pub struct ShipmentLineRow {
    pub id: i64,
    pub order_line_id: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub tax_rate_bp: i64,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub amount_fen: i64,
    pub short_qty: i64,
    pub damaged_qty: i64,
}

/// An order line as shipping sees it: ordered, already shipped, and held by shipments not yet
/// shipped (picking or packed).
#[derive(Debug, Clone, Serialize)]
pub struct OrderLineFacts {
    pub id: i64,
    pub line_no: i64,
    pub product_id: i64,
    pub quantity: i64,
    pub shipped_qty: i64,
    pub pending_qty: i64,
    pub unit_price_fen: i64,
}

pub async fn order_lines(
    conn: &mut Conn,
    order_id: i64,
) -> Result<Vec<OrderLineFacts>, StoreError> {
    let mut sql = Sql::new(
        "SELECT l.id, l.line_no, l.product_id, l.quantity, l.shipped_qty, l.unit_price_fen, \
         CAST(COALESCE((SELECT SUM(sl.quantity) FROM shipment_lines sl JOIN shipments s ON s.id = sl.shipment_id \
           WHERE sl.order_line_id = l.id AND s.status IN ('picking', 'packed')), 0) AS BIGINT) AS pending_qty \
         FROM order_lines l WHERE l.order_id = ",
    );
    sql.bind(order_id).push(" ORDER BY l.line_no");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(OrderLineFacts {
                id: r.try_get("id")?,
                line_no: r.try_get("line_no")?,
                product_id: r.try_get("product_id")?,
                quantity: r.try_get("quantity")?,
                shipped_qty: r.try_get("shipped_qty")?,
                pending_qty: r.try_get("pending_qty")?,
                unit_price_fen: r.try_get("unit_price_fen")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Moves an order line's shipped quantity by `delta` (negative when units go back to be
/// shipped again).
pub async fn add_shipped_qty(
    conn: &mut Conn,
    order_line_id: i64,
    delta: i64,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE order_lines SET shipped_qty = shipped_qty + ");
    sql.bind(delta).push(" WHERE id = ").bind(order_line_id);
    sql.execute(conn).await?;
    Ok(())
}

pub struct NewShipment<'a> {
    pub number: &'a str,
    pub order_id: i64,
    pub dealer_id: i64,
    pub carrier: Option<&'a str>,
    pub consignment_station: Option<&'a str>,
    pub tracking_no: Option<&'a str>,
    pub value_fen: i64,
    pub node_path: &'a str,
    pub owner_id: i64,
    pub note: Option<&'a str>,
    pub created_by: Option<i64>,
}

pub async fn insert(conn: &mut Conn, n: NewShipment<'_>) -> Result<i64, StoreError> {
    let now = now_micros();
    let mut sql = Sql::new(
        "INSERT INTO shipments (number, order_id, dealer_id, status, carrier, consignment_station, tracking_no, value_fen, node_path, owner_id, note, created_by, created_at, updated_at) VALUES (",
    );
    sql.bind(n.number)
        .push(", ")
        .bind(n.order_id)
        .push(", ")
        .bind(n.dealer_id)
        .push(", 'picking', ")
        .bind(n.carrier)
        .push(", ")
        .bind(n.consignment_station)
        .push(", ")
        .bind(n.tracking_no)
        .push(", ")
        .bind(n.value_fen)
        .push(", ")
        .bind(n.node_path)
        .push(", ")
        .bind(n.owner_id)
        .push(", ")
        .bind(n.note)
        .push(", ")
        .bind(n.created_by)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

pub async fn insert_line(
    conn: &mut Conn,
    shipment_id: i64,
    line: &OrderLineFacts,
    quantity: i64,
    amount_fen: i64,
) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO shipment_lines (shipment_id, order_line_id, product_id, quantity, unit_price_fen, amount_fen) VALUES (",
    );
    sql.bind(shipment_id)
        .push(", ")
        .bind(line.id)
        .push(", ")
        .bind(line.product_id)
        .push(", ")
        .bind(quantity)
        .push(", ")
        .bind(line.unit_price_fen)
        .push(", ")
        .bind(amount_fen)
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

pub async fn lines(conn: &mut Conn, shipment_id: i64) -> Result<Vec<ShipmentLineRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT sl.id, sl.order_line_id, sl.product_id, p.code, p.name_zh, p.name_en, p.tax_rate_bp, sl.quantity, sl.unit_price_fen, sl.amount_fen, sl.short_qty, sl.damaged_qty \
         FROM shipment_lines sl JOIN products p ON p.id = sl.product_id WHERE sl.shipment_id = ",
    );
    sql.bind(shipment_id).push(" ORDER BY sl.id");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(ShipmentLineRow {
                id: r.try_get("id")?,
                order_line_id: r.try_get("order_line_id")?,
                product_id: r.try_get("product_id")?,
                product_code: r.try_get("code")?,
                product_name_zh: r.try_get("name_zh")?,
                product_name_en: r.try_get("name_en")?,
                tax_rate_bp: r.try_get("tax_rate_bp")?,
                quantity: r.try_get("quantity")?,
                unit_price_fen: r.try_get("unit_price_fen")?,
                amount_fen: r.try_get("amount_fen")?,
                short_qty: r.try_get("short_qty")?,
                damaged_qty: r.try_get("damaged_qty")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Sets the status and, when given, the shipped/delivered day and the billable value.
pub async fn set_status(
    conn: &mut Conn,
    id: i64,
    status: &str,
    shipped_on: Option<&str>,
    delivered_on: Option<&str>,
    value_fen: Option<i64>,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE shipments SET status = ");
    sql.bind(status);
    if let Some(d) = shipped_on {
        sql.push(", shipped_on = ").bind(d);
    }
    if let Some(d) = delivered_on {
        sql.push(", delivered_on = ").bind(d);
    }
    if let Some(v) = value_fen {
        sql.push(", value_fen = ").bind(v);
    }
    sql.push(", updated_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(id);
    sql.execute(conn).await?;
    Ok(())
}

/// Cancels a shipment that has not left, adding why to its note.
pub async fn cancel(conn: &mut Conn, id: i64, reason: &str) -> Result<(), StoreError> {
    let mut sql =
        Sql::new("UPDATE shipments SET status = 'cancelled', note = CASE WHEN note IS NULL THEN ");
    sql.bind(reason)
        .push(" ELSE note || ' / ' || ")
        .bind(reason)
        .push(" END, updated_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn mark_invoiced(conn: &mut Conn, id: i64) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE shipments SET invoiced = 1, status = 'closed', updated_at = ");
    sql.bind(now_micros()).push(" WHERE id = ").bind(id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn set_line_claims(
    conn: &mut Conn,
    line_id: i64,
    short_qty: i64,
    damaged_qty: i64,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE shipment_lines SET short_qty = ");
    sql.bind(short_qty)
        .push(", damaged_qty = ")
        .bind(damaged_qty)
        .push(" WHERE id = ")
        .bind(line_id);
    sql.execute(conn).await?;
    Ok(())
}

pub struct NewClaim<'a> {
    pub shipment: &'a ShipmentRow,
    pub shipment_line_id: i64,
    pub kind: &'a str,
    pub quantity: i64,
    pub amount_fen: i64,
    /// credit_note | reshipment
    pub resolution: &'a str,
}

pub async fn insert_claim(conn: &mut Conn, c: NewClaim<'_>) -> Result<i64, StoreError> {
    let now = now_micros();
    let mut sql = Sql::new(
        "INSERT INTO delivery_claims (shipment_id, shipment_line_id, dealer_id, kind, quantity, amount_fen, resolution, node_path, owner_id, created_at, resolved_at) VALUES (",
    );
    sql.bind(c.shipment.id)
        .push(", ")
        .bind(c.shipment_line_id)
        .push(", ")
        .bind(c.shipment.dealer_id)
        .push(", ")
        .bind(c.kind)
        .push(", ")
        .bind(c.quantity)
        .push(", ")
        .bind(c.amount_fen)
        .push(", ")
        .bind(c.resolution)
        .push(", ")
        .bind(c.shipment.node_path.as_str())
        .push(", ")
        .bind(c.shipment.owner_id)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

#[derive(Debug, Clone, Serialize)]
pub struct ClaimRow {
    pub id: i64,
    pub shipment_line_id: i64,
    pub kind: String,
    pub quantity: i64,
    pub amount_fen: i64,
    pub resolution: String,
}

pub async fn claims(conn: &mut Conn, shipment_id: i64) -> Result<Vec<ClaimRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT id, shipment_line_id, kind, quantity, amount_fen, resolution FROM delivery_claims WHERE shipment_id = ",
    );
    sql.bind(shipment_id).push(" ORDER BY id");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(ClaimRow {
                id: r.try_get("id")?,
                shipment_line_id: r.try_get("shipment_line_id")?,
                kind: r.try_get("kind")?,
                quantity: r.try_get("quantity")?,
                amount_fen: r.try_get("amount_fen")?,
                resolution: r.try_get("resolution")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

pub async fn get(
    conn: &mut Conn,
    scope: &Scope,
    id: i64,
) -> Result<Option<ShipmentRow>, StoreError> {
    let mut sql = Sql::new(SHIPMENT);
    sql.push(" AND s.id = ").bind(id);
    sql.scope(scope, "s.node_path", "s.owner_id");
    sql.fetch_optional_as(conn, shipment_of).await
}

pub async fn get_unscoped(conn: &mut Conn, id: i64) -> Result<Option<ShipmentRow>, StoreError> {
    let mut sql = Sql::new(SHIPMENT);
    sql.push(" AND s.id = ").bind(id);
    sql.fetch_optional_as(conn, shipment_of).await
}

#[derive(Debug, Clone, Default)]
pub struct ShipmentFilter {
    pub order_id: Option<i64>,
    pub dealer_id: Option<i64>,
    pub status: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(
    conn: &mut Conn,
    scope: &Scope,
    f: &ShipmentFilter,
) -> Result<Vec<ShipmentRow>, StoreError> {
    let mut sql = Sql::new(SHIPMENT);
    sql.scope(scope, "s.node_path", "s.owner_id");
    if let Some(o) = f.order_id {
        sql.push(" AND s.order_id = ").bind(o);
    }
    if let Some(d) = f.dealer_id {
        sql.push(" AND s.dealer_id = ").bind(d);
    }
    if let Some(s) = &f.status {
        sql.push(" AND s.status = ").bind(s.as_str());
    }
    sql.push(" ORDER BY s.id DESC").page(f.limit, f.offset);
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(shipment_of).collect::<Result<_, _>>()?)
}

/// Whether every shipment of the order is invoiced (or cancelled); false while none exists.
pub async fn all_invoiced(conn: &mut Conn, order_id: i64) -> Result<bool, StoreError> {
    let mut sql = Sql::new(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(CASE WHEN invoiced = 1 OR status = 'cancelled' THEN 0 ELSE 1 END), 0) AS BIGINT) AS n_open FROM shipments WHERE order_id = ",
    );
    sql.bind(order_id);
    let r = sql.fetch_one(conn).await?;
    let n: i64 = r.try_get("n")?;
    let open: i64 = r.try_get("n_open")?;
    Ok(n > 0 && open == 0)
}

/// Invariants for `salesos check`: no order line shipped beyond what was ordered or below zero.
pub async fn check_unscoped(conn: &mut Conn) -> Result<Vec<String>, StoreError> {
    crate::check::first_offending(
        conn,
        "order lines shipped out of range",
        "SELECT id, quantity, shipped_qty FROM order_lines WHERE shipped_qty < 0 OR shipped_qty > quantity",
        "id",
        |r, out| {
            let id: i64 = r.try_get("id")?;
            let q: i64 = r.try_get("quantity")?;
            let s: i64 = r.try_get("shipped_qty")?;
            out.push(format!("order line {id}: shipped {s} of {q}"));
            Ok(())
        },
    )
    .await
}

/// How many shipments (not cancelled) an order has: its lines are then fixed.
pub async fn count_for_order(conn: &mut Conn, order_id: i64) -> Result<i64, StoreError> {
    let mut sql =
        Sql::new("SELECT COUNT(*) AS n FROM shipments WHERE status <> 'cancelled' AND order_id = ");
    sql.bind(order_id);
    Ok(sql.fetch_one(conn).await?.try_get("n")?)
}

/// Whether any shipment, cancelled ones included, names a line of the order: such lines are
/// kept as they are (the shipment's record points at them).
pub async fn lines_picked(conn: &mut Conn, order_id: i64) -> Result<bool, StoreError> {
    let mut sql = Sql::new(
        "SELECT COUNT(*) AS n FROM shipment_lines sl JOIN order_lines l ON l.id = sl.order_line_id WHERE l.order_id = ",
    );
    sql.bind(order_id);
    let n: i64 = sql.fetch_one(conn).await?.try_get("n")?;
    Ok(n > 0)
}
