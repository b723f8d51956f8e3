//! Orders, their lines and their history of transitions; the dealer and catalogue facts an
//! order needs; create-request idempotency keys.

use crate::sql::Sql;
use crate::{now_micros, Conn, StoreError};
use salesos_domain::scope::Scope;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// The orders that count as sold (confirmed or further along), as the `ordered` rollup, targets
/// and the credit-limit history count them, as a condition on `orders o`.
pub const COUNTED_ORDER: &str =
    "o.status IN ('confirmed', 'partially_shipped', 'shipped', 'closed')";

/// What an order needs to know about its dealer.
#[derive(Debug, Clone, Serialize)]
pub struct DealerFacts {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub status: String,
    pub tier: String,
    pub node_id: i64,
    pub node_path: String,
    pub owner_id: i64,
    pub price_list_id: Option<i64>,
    pub credit_limit_fen: i64,
    pub payment_term_days: i64,
}

const DEALER_COLUMNS: &str = "SELECT d.id, d.code, d.name, d.status, d.tier, d.node_id, d.node_path, d.owner_id, d.price_list_id, d.credit_limit_fen, d.payment_term_days";

fn dealer_of(r: &AnyRow) -> Result<DealerFacts, sqlx::Error> {
    Ok(DealerFacts {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        status: r.try_get("status")?,
        tier: r.try_get("tier")?,
        node_id: r.try_get("node_id")?,
        node_path: r.try_get("node_path")?,
        owner_id: r.try_get("owner_id")?,
        price_list_id: r.try_get("price_list_id")?,
        credit_limit_fen: r.try_get("credit_limit_fen")?,
        payment_term_days: r.try_get("payment_term_days")?,
    })
}

fn dealer_sql() -> Sql {
    Sql::new(&format!("{DEALER_COLUMNS} FROM dealers d WHERE 1 = 1"))
}

/// The dealer an order is taken for, in scope, with the display name of its owner (who will own
/// the order).
pub async fn dealer_for_order(
    conn: &mut Conn,
    scope: &Scope,
    id: i64,
) -> Result<Option<(DealerFacts, String)>, StoreError> {
    let mut sql = Sql::new(&format!(
        "{DEALER_COLUMNS}, p.display_name AS owner_name FROM dealers d JOIN people p ON p.id = d.owner_id WHERE d.id = "
    ));
    sql.bind(id);
    sql.scope(scope, "d.node_path", "d.owner_id");
    let Some(r) = sql.fetch_optional(conn).await? else {
        return Ok(None);
    };
    Ok(Some((dealer_of(&r)?, r.try_get("owner_name")?)))
}

pub async fn dealer(
    conn: &mut Conn,
    scope: &Scope,
    id: i64,
) -> Result<Option<DealerFacts>, StoreError> {
    let mut sql = dealer_sql();
    sql.push(" AND d.id = ").bind(id);
    sql.scope(scope, "d.node_path", "d.owner_id");
    sql.fetch_optional_as(conn, dealer_of).await
}

pub async fn dealer_unscoped(conn: &mut Conn, id: i64) -> Result<Option<DealerFacts>, StoreError> {
    let mut sql = dealer_sql();
    sql.push(" AND d.id = ").bind(id);
    sql.fetch_optional_as(conn, dealer_of).await
}

/// Dealers in scope that can take orders, for pickers.
pub async fn active_dealers(
    conn: &mut Conn,
    scope: &Scope,
    limit: i64,
) -> Result<Vec<DealerFacts>, StoreError> {
    let mut sql = dealer_sql();
    sql.push(" AND d.status = 'active'");
    sql.scope(scope, "d.node_path", "d.owner_id");
    sql.push(" ORDER BY d.code LIMIT ")
        .bind(limit.clamp(1, 1000));
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(dealer_of).collect::<Result<_, _>>()?)
}

#[derive(Debug, Clone, Serialize)]
pub struct ProductFacts {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub status: String,
}

pub async fn product(conn: &mut Conn, id: i64) -> Result<Option<ProductFacts>, StoreError> {
    let mut sql = Sql::new("SELECT id, code, name_zh, name_en, status FROM products WHERE id = ");
    sql.bind(id);
    let Some(r) = sql.fetch_optional(conn).await? else {
        return Ok(None);
    };
    Ok(Some(ProductFacts {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name_zh: r.try_get("name_zh")?,
        name_en: r.try_get("name_en")?,
        status: r.try_get("status")?,
    }))
}

/// Active products, for pickers.
pub async fn active_products(conn: &mut Conn) -> Result<Vec<ProductFacts>, StoreError> {
    let rows = Sql::new("SELECT id, code, name_zh, name_en, status FROM products WHERE status = 'active' ORDER BY code LIMIT 500")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ProductFacts {
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                name_zh: r.try_get("name_zh")?,
                name_en: r.try_get("name_en")?,
                status: r.try_get("status")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

#[derive(Debug, Clone, Serialize)]
pub struct OrderRow {
    pub id: i64,
    pub number: String,
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    pub order_date: String,
    pub status: String,
    pub source: String,
    pub node_id: i64,
    pub node_path: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub desk_rep_id: Option<i64>,
    pub shipping_coordinator_id: Option<i64>,
    pub billing_rep_id: Option<i64>,
    pub total_fen: i64,
    pub exposure_fen: i64,
    pub note: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

fn order_of(r: &AnyRow) -> Result<OrderRow, sqlx::Error> {
    Ok(OrderRow {
        id: r.try_get("id")?,
        number: r
            .try_get::<Option<String>, _>("number")?
            .unwrap_or_default(),
        dealer_id: r.try_get("dealer_id")?,
        dealer_code: r.try_get("dealer_code")?,
        dealer_name: r.try_get("dealer_name")?,
        order_date: r.try_get("order_date")?,
        status: r.try_get("status")?,
        source: r.try_get("source")?,
        node_id: r.try_get("node_id")?,
        node_path: r.try_get("node_path")?,
        owner_id: r.try_get("owner_id")?,
        owner_name: r.try_get("owner_name")?,
        desk_rep_id: r.try_get("desk_rep_id")?,
        shipping_coordinator_id: r.try_get("shipping_coordinator_id")?,
        billing_rep_id: r.try_get("billing_rep_id")?,
        total_fen: r.try_get("total_fen")?,
        exposure_fen: r.try_get("exposure_fen")?,
        note: r.try_get("note")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

const ORDER: &str = "SELECT o.id, o.number, o.dealer_id, d.code AS dealer_code, d.name AS dealer_name, o.order_date, o.status, o.source, o.node_id, o.node_path, o.owner_id, p.display_name AS owner_name, \
     o.desk_rep_id, o.shipping_coordinator_id, o.billing_rep_id, o.total_fen, o.exposure_fen, o.note, o.created_by, o.created_at, o.updated_at \
     FROM orders o JOIN dealers d ON d.id = o.dealer_id JOIN people p ON p.id = o.owner_id WHERE 1 = 1";

pub struct NewOrder<'a> {
    pub dealer: &'a DealerFacts,
    pub order_date: &'a str,
    pub status: &'a str,
    pub source: &'a str,
    pub desk_rep_id: Option<i64>,
    pub shipping_coordinator_id: Option<i64>,
    pub billing_rep_id: Option<i64>,
    pub total_fen: i64,
    pub exposure_fen: i64,
    pub note: Option<&'a str>,
    pub created_by: Option<i64>,
    /// Its `created_at` and `updated_at`.
    pub at: i64,
}

/// The number of an order: `SO` + the order date + the id.
pub fn order_number(order_date: &str, id: i64) -> String {
    format!("SO{}-{id:06}", order_date.replace('-', ""))
}

/// Inserts the order and gives it its number ([`order_number`]); returns its id.
pub async fn insert(conn: &mut Conn, n: NewOrder<'_>) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO orders (dealer_id, order_date, status, source, node_id, node_path, owner_id, desk_rep_id, shipping_coordinator_id, billing_rep_id, total_fen, exposure_fen, note, created_by, created_at, updated_at) VALUES (",
    );
    sql.bind(n.dealer.id)
        .push(", ")
        .bind(n.order_date)
        .push(", ")
        .bind(n.status)
        .push(", ")
        .bind(n.source)
        .push(", ")
        .bind(n.dealer.node_id)
        .push(", ")
        .bind(n.dealer.node_path.as_str())
        .push(", ")
        .bind(n.dealer.owner_id)
        .push(", ")
        .bind(n.desk_rep_id)
        .push(", ")
        .bind(n.shipping_coordinator_id)
        .push(", ")
        .bind(n.billing_rep_id)
        .push(", ")
        .bind(n.total_fen)
        .push(", ")
        .bind(n.exposure_fen)
        .push(", ")
        .bind(n.note)
        .push(", ")
        .bind(n.created_by)
        .push(", ")
        .bind(n.at)
        .push(", ")
        .bind(n.at)
        .push(") RETURNING id");
    let id: i64 = sql.fetch_one(conn).await?.try_get("id")?;
    let mut upd = Sql::new("UPDATE orders SET number = ");
    upd.bind(order_number(n.order_date, id))
        .push(" WHERE id = ")
        .bind(id);
    upd.execute(conn).await?;
    Ok(id)
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LineRow {
    pub line_no: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub quantity: i64,
    pub list_price_fen: Option<i64>,
    pub unit_price_fen: i64,
    pub amount_fen: i64,
    pub manual_price: bool,
}

pub struct NewLine {
    pub product_id: i64,
    pub quantity: i64,
    pub list_price_fen: Option<i64>,
    pub unit_price_fen: i64,
    pub amount_fen: i64,
    pub manual_price: bool,
    /// The quota the line consumes, when it was reserved before the line is written.
    pub quota_id: Option<i64>,
}

/// Writes an order's lines (numbered from 1) in one statement.
pub async fn insert_lines(
    conn: &mut Conn,
    order_id: i64,
    lines: &[NewLine],
) -> Result<(), StoreError> {
    if lines.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(
        "INSERT INTO order_lines (order_id, line_no, product_id, quantity, list_price_fen, unit_price_fen, amount_fen, manual_price, quota_id) VALUES ",
    );
    for (i, l) in lines.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" })
            .bind(order_id)
            .push(", ")
            .bind(i as i64 + 1)
            .push(", ")
            .bind(l.product_id)
            .push(", ")
            .bind(l.quantity)
            .push(", ")
            .bind(l.list_price_fen)
            .push(", ")
            .bind(l.unit_price_fen)
            .push(", ")
            .bind(l.amount_fen)
            .push(", ")
            .bind(i64::from(l.manual_price))
            .push(", ")
            .bind(l.quota_id)
            .push(")");
    }
    sql.execute(conn).await?;
    Ok(())
}

/// Replaces the order's lines and sets its total.
pub async fn replace_lines(
    conn: &mut Conn,
    order_id: i64,
    lines: &[NewLine],
    total_fen: i64,
) -> Result<(), StoreError> {
    let mut del = Sql::new("DELETE FROM order_lines WHERE order_id = ");
    del.bind(order_id);
    del.execute(conn).await?;
    insert_lines(conn, order_id, lines).await?;
    let mut upd = Sql::new("UPDATE orders SET total_fen = ");
    upd.bind(total_fen)
        .push(", updated_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(order_id);
    upd.execute(conn).await?;
    Ok(())
}

pub async fn lines(conn: &mut Conn, order_id: i64) -> Result<Vec<LineRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT l.line_no, l.product_id, p.code, p.name_zh, p.name_en, l.quantity, l.list_price_fen, l.unit_price_fen, l.amount_fen, l.manual_price FROM order_lines l JOIN products p ON p.id = l.product_id WHERE l.order_id = ",
    );
    sql.bind(order_id).push(" ORDER BY l.line_no");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(LineRow {
                line_no: r.try_get("line_no")?,
                product_id: r.try_get("product_id")?,
                product_code: r.try_get("code")?,
                product_name_zh: r.try_get("name_zh")?,
                product_name_en: r.try_get("name_en")?,
                quantity: r.try_get("quantity")?,
                list_price_fen: r.try_get("list_price_fen")?,
                unit_price_fen: r.try_get("unit_price_fen")?,
                amount_fen: r.try_get("amount_fen")?,
                manual_price: r.try_get::<i64, _>("manual_price")? != 0,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

pub async fn set_state(
    conn: &mut Conn,
    order_id: i64,
    status: &str,
    exposure_fen: i64,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE orders SET status = ");
    sql.bind(status)
        .push(", exposure_fen = ")
        .bind(exposure_fen)
        .push(", updated_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(order_id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn set_owners(
    conn: &mut Conn,
    order_id: i64,
    desk: Option<i64>,
    shipping: Option<i64>,
    billing: Option<i64>,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE orders SET desk_rep_id = ");
    sql.bind(desk)
        .push(", shipping_coordinator_id = ")
        .bind(shipping)
        .push(", billing_rep_id = ")
        .bind(billing)
        .push(", updated_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(order_id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, scope: &Scope, id: i64) -> Result<Option<OrderRow>, StoreError> {
    let mut sql = Sql::new(ORDER);
    sql.push(" AND o.id = ").bind(id);
    sql.scope(scope, "o.node_path", "o.owner_id");
    sql.fetch_optional_as(conn, order_of).await
}

pub async fn get_unscoped(conn: &mut Conn, id: i64) -> Result<Option<OrderRow>, StoreError> {
    let mut sql = Sql::new(ORDER);
    sql.push(" AND o.id = ").bind(id);
    sql.fetch_optional_as(conn, order_of).await
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub dealer_id: Option<i64>,
    pub status: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Matches the order number or the dealer's code or name.
    pub text: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(
    conn: &mut Conn,
    scope: &Scope,
    f: &OrderFilter,
) -> Result<Vec<OrderRow>, StoreError> {
    let mut sql = Sql::new(ORDER);
    sql.scope(scope, "o.node_path", "o.owner_id");
    if let Some(d) = f.dealer_id {
        sql.push(" AND o.dealer_id = ").bind(d);
    }
    if let Some(s) = &f.status {
        sql.push(" AND o.status = ").bind(s.as_str());
    }
    if let Some(from) = &f.from {
        sql.push(" AND o.order_date >= ").bind(from.as_str());
    }
    if let Some(to) = &f.to {
        sql.push(" AND o.order_date <= ").bind(to.as_str());
    }
    if let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = format!(
            "%{}%",
            text.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        sql.push(" AND (LOWER(o.number) LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR LOWER(d.code) LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR LOWER(d.name) LIKE ")
            .bind(pattern)
            .push(" ESCAPE '\\')");
    }
    sql.push(" ORDER BY o.id DESC").page(f.limit, f.offset);
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(order_of).collect::<Result<_, _>>()?)
}

#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    pub id: i64,
    pub at: i64,
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
}

pub async fn add_event(
    conn: &mut Conn,
    order_id: i64,
    person_id: Option<i64>,
    action: &str,
    from: Option<&str>,
    to: &str,
    note: Option<&str>,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO order_events (order_id, at, person_id, action, from_status, to_status, note) VALUES (",
    );
    sql.bind(order_id)
        .push(", ")
        .bind(now_micros())
        .push(", ")
        .bind(person_id)
        .push(", ")
        .bind(action)
        .push(", ")
        .bind(from)
        .push(", ")
        .bind(to)
        .push(", ")
        .bind(note)
        .push(")");
    sql.execute(conn).await?;
    Ok(())
}

/// One transition for [`add_events`].
pub struct NewEvent<'a> {
    pub action: &'a str,
    pub from: Option<&'a str>,
    pub to: &'a str,
    pub note: Option<&'a str>,
}

/// Appends several transitions of one order at once, all at `at`; returns their ids in the
/// order given.
pub async fn add_events(
    conn: &mut Conn,
    order_id: i64,
    person_id: Option<i64>,
    at: i64,
    events: &[NewEvent<'_>],
) -> Result<Vec<i64>, StoreError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "INSERT INTO order_events (order_id, at, person_id, action, from_status, to_status, note) VALUES ",
    );
    for (i, e) in events.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" })
            .bind(order_id)
            .push(", ")
            .bind(at)
            .push(", ")
            .bind(person_id)
            .push(", ")
            .bind(e.action)
            .push(", ")
            .bind(e.from)
            .push(", ")
            .bind(e.to)
            .push(", ")
            .bind(e.note)
            .push(")");
    }
    sql.push(" RETURNING id");
    // ids grow in the order the rows are inserted; RETURNING itself promises no order
    let mut ids = sql
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>("id"))
        .collect::<Result<Vec<_>, _>>()?;
    ids.sort_unstable();
    Ok(ids)
}

pub async fn events(conn: &mut Conn, order_id: i64) -> Result<Vec<EventRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT e.id, e.at, e.person_id, p.display_name, e.action, e.from_status, e.to_status, e.note FROM order_events e LEFT JOIN people p ON p.id = e.person_id WHERE e.order_id = ",
    );
    sql.bind(order_id).push(" ORDER BY e.id");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(EventRow {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                person_id: r.try_get("person_id")?,
                person_name: r.try_get("display_name")?,
                action: r.try_get("action")?,
                from_status: r.try_get("from_status")?,
                to_status: r.try_get("to_status")?,
                note: r.try_get("note")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// A stored answer to a create request.
#[derive(Debug, Clone)]
pub struct IdempotentAnswer {
    pub request_hash: String,
    pub status_code: i64,
    pub body: String,
}

pub async fn idempotent_answer(
    conn: &mut Conn,
    person_id: i64,
    key: &str,
) -> Result<Option<IdempotentAnswer>, StoreError> {
    let mut sql =
        Sql::new("SELECT request_hash, status_code, body FROM idempotency_keys WHERE person_id = ");
    sql.bind(person_id).push(" AND idem_key = ").bind(key);
    let Some(r) = sql.fetch_optional(conn).await? else {
        return Ok(None);
    };
    Ok(Some(IdempotentAnswer {
        request_hash: r.try_get("request_hash")?,
        status_code: r.try_get("status_code")?,
        body: r.try_get("body")?,
    }))
}

pub async fn store_answer(
    conn: &mut Conn,
    person_id: i64,
    key: &str,
    answer: &IdempotentAnswer,
    order_id: i64,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO idempotency_keys (person_id, idem_key, request_hash, status_code, body, order_id, created_at) VALUES (",
    );
    sql.bind(person_id)
        .push(", ")
        .bind(key)
        .push(", ")
        .bind(answer.request_hash.as_str())
        .push(", ")
        .bind(answer.status_code)
        .push(", ")
        .bind(answer.body.as_str())
        .push(", ")
        .bind(order_id)
        .push(", ")
        .bind(now_micros())
        .push(")");
    sql.execute(conn).await?;
    Ok(())
}

/// Consumes quota for every line of a confirmed order (see `catalogue::reserve_quota`); returns
/// the first line whose quota is exhausted (nothing of that line is consumed; the caller rolls
/// the transaction back).
pub async fn reserve_quotas(
    conn: &mut Conn,
    order_id: i64,
    dealer_id: i64,
    period: &str,
) -> Result<Option<(i64, i64)>, StoreError> {
    let lines = lines(conn, order_id).await?;
    let wanted: Vec<(i64, i64)> = lines.iter().map(|l| (l.product_id, l.quantity)).collect();
    let taken = take_quotas(conn, dealer_id, period, &wanted).await?;
    let quota_ids = match taken {
        Ok(ids) => ids,
        Err(exhausted) => return Ok(Some(exhausted)),
    };
    for (line, quota_id) in lines.iter().zip(quota_ids) {
        let Some(quota_id) = quota_id else { continue };
        let mut sql = Sql::new("UPDATE order_lines SET quota_id = ");
        sql.bind(quota_id)
            .push(" WHERE order_id = ")
            .bind(order_id)
            .push(" AND line_no = ")
            .bind(line.line_no);
        sql.execute(conn).await?;
    }
    Ok(None)
}

/// Consumes the quotas that apply to lines of `(product, quantity)` for a dealer in `period`
/// (`YYYY-MM`): one query finds them all, then one conditional update per limited line. Gives
/// each line's quota (or `None`: not limited), or the first `(product, remaining)` whose quota
/// is exhausted (the caller rolls the transaction back: earlier lines were consumed).
pub async fn take_quotas(
    conn: &mut Conn,
    dealer_id: i64,
    period: &str,
    lines: &[(i64, i64)],
) -> Result<Result<Vec<Option<i64>>, (i64, i64)>, StoreError> {
    use crate::catalogue::{consume_quota, quota_left, quotas_applying};
    let products: Vec<i64> = lines.iter().map(|(p, _)| *p).collect();
    let applying = quotas_applying(conn, dealer_id, &products, period).await?;
    let mut taken = Vec::with_capacity(lines.len());
    for (product, quantity) in lines {
        let quota = applying.get(product).copied();
        if let Some(quota_id) = quota {
            if !consume_quota(conn, quota_id, *quantity).await? {
                return Ok(Err((*product, quota_left(conn, quota_id).await?)));
            }
        }
        taken.push(quota);
    }
    Ok(Ok(taken))
}

/// Who looks after orders at `path` (the order desk, the warehouse, billing): for each role,
/// the active holder at the deepest node above or at `path` (the first by id among equals), as
/// `approvals::person_on_path` chooses, in one query for all of `roles`.
pub async fn people_on_path(
    conn: &mut Conn,
    roles: &[&str],
    path: &str,
) -> Result<Vec<Option<i64>>, StoreError> {
    let mut chosen: Vec<Option<(usize, i64)>> = vec![None; roles.len()];
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT id, role, node_path FROM people WHERE active = 1 AND role IN (");
    for (i, role) in roles.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(*role);
    }
    // only holders at `path` or above it (their node path is a prefix of it)
    sql.push(") AND node_path IS NOT NULL AND node_path = SUBSTR(")
        .bind(path)
        .push(", 1, LENGTH(node_path)) ORDER BY id");
    for r in sql.fetch_all(conn).await? {
        let role: String = r.try_get("role")?;
        let p: String = r.try_get("node_path")?;
        let Some(slot) = roles.iter().position(|x| *x == role) else {
            continue;
        };
        if path.starts_with(&p) && chosen[slot].is_none_or(|(len, _)| p.len() > len) {
            chosen[slot] = Some((p.len(), r.try_get("id")?));
        }
    }
    Ok(chosen.into_iter().map(|c| c.map(|(_, id)| id)).collect())
}

/// Gives back the quota an order's lines consume.
pub async fn release_quotas(conn: &mut Conn, order_id: i64) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        "SELECT quota_id, CAST(SUM(quantity) AS BIGINT) AS qty FROM order_lines WHERE quota_id IS NOT NULL AND order_id = ",
    );
    sql.bind(order_id).push(" GROUP BY quota_id");
    for r in sql.fetch_all(conn).await? {
        let quota: i64 = r.try_get("quota_id")?;
        let qty: i64 = r.try_get("qty")?;
        let mut upd = Sql::new("UPDATE quotas SET consumed = consumed - ");
        upd.bind(qty).push(" WHERE id = ").bind(quota);
        upd.execute(conn).await?;
    }
    let mut clear = Sql::new("UPDATE order_lines SET quota_id = NULL WHERE order_id = ");
    clear.bind(order_id);
    clear.execute(conn).await?;
    Ok(())
}

/// The first active dealers by id, for the demo builder (system work: no scope).
pub async fn first_active_dealers_unscoped(
    conn: &mut Conn,
    limit: i64,
) -> Result<Vec<i64>, StoreError> {
    let mut sql = Sql::new("SELECT id FROM dealers WHERE status = 'active' ORDER BY id LIMIT ");
    sql.bind(limit.clamp(1, 1000));
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| r.try_get::<i64, _>("id"))
        .collect::<Result<_, _>>()
        .map_err(StoreError::from)
}
