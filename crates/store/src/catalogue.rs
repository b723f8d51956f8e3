//! The catalogue: product lines, products, price lists with dated prices, and quotas.
//! The catalogue is company-wide (everyone signed in may read it), so these queries take no scope.

use crate::sql::Sql;
use crate::{now_micros, Conn, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProductLineRow {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

pub async fn lines(conn: &mut Conn) -> Result<Vec<ProductLineRow>, StoreError> {
    let rows = Sql::new("SELECT id, code, name_zh, name_en FROM product_lines ORDER BY code")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ProductLineRow {
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                name_zh: r.try_get("name_zh")?,
                name_en: r.try_get("name_en")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

pub async fn insert_line(
    conn: &mut Conn,
    code: &str,
    name_zh: &str,
    name_en: &str,
) -> Result<i64, StoreError> {
    let mut sql = Sql::new("INSERT INTO product_lines (code, name_zh, name_en) VALUES (");
    sql.bind(code)
        .push(", ")
        .bind(name_zh)
        .push(", ")
        .bind(name_en)
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProductRow {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub line_id: i64,
    pub line_code: String,
    pub unit: String,
    pub case_size: i64,
    pub tax_rate_bp: i64,
    pub status: String,
}

const PRODUCT_SELECT: &str = "SELECT p.id, p.code, p.name_zh, p.name_en, p.line_id, l.code AS line_code, \
     p.unit, p.case_size, p.tax_rate_bp, p.status FROM products p JOIN product_lines l ON l.id = p.line_id WHERE 1 = 1";

fn product(r: &AnyRow) -> Result<ProductRow, sqlx::Error> {
    Ok(ProductRow {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name_zh: r.try_get("name_zh")?,
        name_en: r.try_get("name_en")?,
        line_id: r.try_get("line_id")?,
        line_code: r.try_get("line_code")?,
        unit: r.try_get("unit")?,
        case_size: r.try_get("case_size")?,
        tax_rate_bp: r.try_get("tax_rate_bp")?,
        status: r.try_get("status")?,
    })
}

#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    pub text: Option<String>,
    pub line_id: Option<i64>,
    pub status: Option<String>,
}

pub async fn products(
    conn: &mut Conn,
    filter: &ProductFilter,
) -> Result<Vec<ProductRow>, StoreError> {
    let mut sql = Sql::new(PRODUCT_SELECT);
    if let Some(text) = filter.text.as_deref().filter(|t| !t.trim().is_empty()) {
        let pattern = format!(
            "%{}%",
            text.trim()
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        sql.push(" AND (LOWER(p.code) LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR p.name_zh LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR LOWER(p.name_en) LIKE ")
            .bind(pattern)
            .push(" ESCAPE '\\')");
    }
    if let Some(line) = filter.line_id {
        sql.push(" AND p.line_id = ").bind(line);
    }
    if let Some(status) = filter.status.as_deref().filter(|s| !s.is_empty()) {
        sql.push(" AND p.status = ").bind(status);
    }
    sql.push(" ORDER BY p.code LIMIT 1000");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(product).collect::<Result<_, _>>()?)
}

pub async fn get_product(conn: &mut Conn, id: i64) -> Result<Option<ProductRow>, StoreError> {
    let mut sql = Sql::new(PRODUCT_SELECT);
    sql.push(" AND p.id = ").bind(id);
    let row = sql.fetch_optional(conn).await?;
    Ok(row.as_ref().map(product).transpose()?)
}

#[derive(Debug, Clone)]
pub struct ProductFields {
    pub name_zh: String,
    pub name_en: String,
    pub line_id: i64,
    pub unit: String,
    pub case_size: i64,
    pub tax_rate_bp: i64,
    pub status: String,
}

pub async fn insert_product(
    conn: &mut Conn,
    code: &str,
    f: &ProductFields,
) -> Result<i64, StoreError> {
    let now = now_micros();
    let mut sql = Sql::new(
        "INSERT INTO products (code, name_zh, name_en, line_id, unit, case_size, tax_rate_bp, status, created_at, updated_at) VALUES (",
    );
    sql.bind(code)
        .push(", ")
        .bind(f.name_zh.as_str())
        .push(", ")
        .bind(f.name_en.as_str())
        .push(", ")
        .bind(f.line_id)
        .push(", ")
        .bind(f.unit.as_str())
        .push(", ")
        .bind(f.case_size)
        .push(", ")
        .bind(f.tax_rate_bp)
        .push(", ")
        .bind(f.status.as_str())
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

pub async fn update_product(conn: &mut Conn, id: i64, f: &ProductFields) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE products SET name_zh = ");
    sql.bind(f.name_zh.as_str())
        .push(", name_en = ")
        .bind(f.name_en.as_str())
        .push(", line_id = ")
        .bind(f.line_id)
        .push(", unit = ")
        .bind(f.unit.as_str())
        .push(", case_size = ")
        .bind(f.case_size)
        .push(", tax_rate_bp = ")
        .bind(f.tax_rate_bp)
        .push(", status = ")
        .bind(f.status.as_str())
        .push(", updated_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(id);
    sql.execute(conn).await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PriceListRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// `tier` or `dealer`
    pub kind: String,
    pub tier: Option<String>,
    pub active: bool,
}

fn price_list(r: &AnyRow) -> Result<PriceListRow, sqlx::Error> {
    Ok(PriceListRow {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        tier: r.try_get("tier")?,
        active: r.try_get::<i64, _>("active")? != 0,
    })
}

pub async fn price_lists(conn: &mut Conn) -> Result<Vec<PriceListRow>, StoreError> {
    let rows = Sql::new("SELECT id, code, name, kind, tier, active FROM price_lists ORDER BY code")
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(price_list).collect::<Result<_, _>>()?)
}

pub async fn get_price_list(conn: &mut Conn, id: i64) -> Result<Option<PriceListRow>, StoreError> {
    let mut sql =
        Sql::new("SELECT id, code, name, kind, tier, active FROM price_lists WHERE id = ");
    sql.bind(id);
    let row = sql.fetch_optional(conn).await?;
    Ok(row.as_ref().map(price_list).transpose()?)
}

pub async fn insert_price_list(
    conn: &mut Conn,
    code: &str,
    name: &str,
    kind: &str,
    tier: Option<&str>,
) -> Result<i64, StoreError> {
    let mut sql =
        Sql::new("INSERT INTO price_lists (code, name, kind, tier, active, created_at) VALUES (");
    sql.bind(code)
        .push(", ")
        .bind(name)
        .push(", ")
        .bind(kind)
        .push(", ")
        .bind(tier)
        .push(", 1, ")
        .bind(now_micros())
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PriceItemRow {
    pub id: i64,
    pub price_list_id: i64,
    pub product_id: i64,
    pub product_code: String,
    pub price_fen: i64,
    pub valid_from: String,
    pub valid_to: Option<String>,
}

const ITEM_SELECT: &str = "SELECT i.id, i.price_list_id, i.product_id, p.code AS product_code, i.price_fen, i.valid_from, i.valid_to \
     FROM price_list_items i JOIN products p ON p.id = i.product_id WHERE 1 = 1";

fn item(r: &AnyRow) -> Result<PriceItemRow, sqlx::Error> {
    Ok(PriceItemRow {
        id: r.try_get("id")?,
        price_list_id: r.try_get("price_list_id")?,
        product_id: r.try_get("product_id")?,
        product_code: r.try_get("product_code")?,
        price_fen: r.try_get("price_fen")?,
        valid_from: r.try_get("valid_from")?,
        valid_to: r.try_get("valid_to")?,
    })
}

pub async fn price_items(conn: &mut Conn, list_id: i64) -> Result<Vec<PriceItemRow>, StoreError> {
    let mut sql = Sql::new(ITEM_SELECT);
    sql.push(" AND i.price_list_id = ")
        .bind(list_id)
        .push(" ORDER BY p.code, i.valid_from");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(item).collect::<Result<_, _>>()?)
}

/// Why a new price could not be added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceClash {
    /// A price on the same list for the same product starts on or after the new one.
    StartsOnOrAfter { valid_from: String },
}

/// Adds a price from `valid_from` (open-ended), closing the open one on the same day. Periods on
/// one list for one product never overlap: a price that starts on or after the new start is a
/// clash (correct it instead of stacking prices).
pub async fn add_price(
    conn: &mut Conn,
    list_id: i64,
    product_id: i64,
    price_fen: i64,
    valid_from: &str,
) -> Result<Result<i64, PriceClash>, StoreError> {
    let mut later =
        Sql::new("SELECT MAX(valid_from) AS v FROM price_list_items WHERE price_list_id = ");
    later
        .bind(list_id)
        .push(" AND product_id = ")
        .bind(product_id)
        .push(" AND valid_from >= ")
        .bind(valid_from);
    let clash: Option<String> = later.fetch_one(&mut *conn).await?.try_get("v")?;
    if let Some(v) = clash {
        return Ok(Err(PriceClash::StartsOnOrAfter { valid_from: v }));
    }
    let mut close = Sql::new("UPDATE price_list_items SET valid_to = ");
    close
        .bind(valid_from)
        .push(" WHERE price_list_id = ")
        .bind(list_id)
        .push(" AND product_id = ")
        .bind(product_id)
        .push(" AND (valid_to IS NULL OR valid_to > ")
        .bind(valid_from)
        .push(")");
    close.execute(&mut *conn).await?;
    let mut sql = Sql::new(
        "INSERT INTO price_list_items (price_list_id, product_id, price_fen, valid_from, valid_to, created_at) VALUES (",
    );
    sql.bind(list_id)
        .push(", ")
        .bind(product_id)
        .push(", ")
        .bind(price_fen)
        .push(", ")
        .bind(valid_from)
        .push(", NULL, ")
        .bind(now_micros())
        .push(") RETURNING id");
    Ok(Ok(sql.fetch_one(conn).await?.try_get("id")?))
}

/// A price found for a dealer.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PriceOn {
    pub price_fen: i64,
    pub price_list_id: i64,
    pub price_list_code: String,
    /// `dealer` (the dealer's own list) or `tier`.
    pub source: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
}

async fn price_on_list(
    conn: &mut Conn,
    list_filter: &str,
    list_value: crate::sql::Value,
    product_id: i64,
    date: &str,
) -> Result<Option<PriceOn>, StoreError> {
    let mut sql = Sql::new(
        "SELECT i.price_fen, i.price_list_id, l.code, l.kind, i.valid_from, i.valid_to FROM price_list_items i \
         JOIN price_lists l ON l.id = i.price_list_id WHERE l.active = 1 AND ",
    );
    sql.push(list_filter)
        .bind(list_value)
        .push(" AND i.product_id = ")
        .bind(product_id)
        .push(" AND i.valid_from <= ")
        .bind(date)
        .push(" AND (i.valid_to IS NULL OR i.valid_to > ")
        .bind(date)
        .push(") ORDER BY l.id LIMIT 1");
    let row = sql.fetch_optional(conn).await?;
    row.map(|r| {
        Ok(PriceOn {
            price_fen: r.try_get("price_fen")?,
            price_list_id: r.try_get("price_list_id")?,
            price_list_code: r.try_get("code")?,
            source: r.try_get("kind")?,
            valid_from: r.try_get("valid_from")?,
            valid_to: r.try_get("valid_to")?,
        })
    })
    .transpose()
    .map_err(|e: sqlx::Error| e.into())
}

/// The price of `product_id` for `dealer_id` on `date` (`YYYY-MM-DD`): the dealer's own price
/// list first, then the price list of its tier. `None` when neither has a price valid that day.
/// The caller has checked that the dealer is in scope.
pub async fn price_on(
    conn: &mut Conn,
    dealer_id: i64,
    product_id: i64,
    date: &str,
) -> Result<Option<PriceOn>, StoreError> {
    let mut d = Sql::new("SELECT price_list_id, tier FROM dealers WHERE id = ");
    d.bind(dealer_id);
    let Some(row) = d.fetch_optional(&mut *conn).await? else {
        return Ok(None);
    };
    let own: Option<i64> = row.try_get("price_list_id")?;
    let tier: String = row.try_get("tier")?;
    if let Some(list) = own {
        if let Some(p) = price_on_list(conn, "l.id = ", list.into(), product_id, date).await? {
            return Ok(Some(p));
        }
    }
    price_on_list(
        conn,
        "l.kind = 'tier' AND l.tier = ",
        tier.into(),
        product_id,
        date,
    )
    .await
}

/// A product as an order line needs it, with its price for the dealer on the order date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedProduct {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub status: String,
    /// As [`price_on`] finds it; `None` when neither list has a price valid that day.
    pub price: Option<PriceOn>,
}

/// Appends ` IN ($…, $…)` for `ids` (at least one).
fn push_in_list(sql: &mut Sql, ids: &[i64]) {
    sql.push(" IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(*id);
    }
    sql.push(")");
}

/// [`price_on`] for all of an order's products in one query: each product found, with the price
/// from the dealer's own list (`own_list`) when it has one that day, else from the first list of
/// the dealer's tier. Products that do not exist are missing from the answer.
pub async fn products_priced_on(
    conn: &mut Conn,
    own_list: Option<i64>,
    tier: &str,
    product_ids: &[i64],
    date: &str,
) -> Result<std::collections::HashMap<i64, PricedProduct>, StoreError> {
    let mut found = std::collections::HashMap::new();
    if product_ids.is_empty() {
        return Ok(found);
    }
    let mut sql = Sql::new(
        "SELECT p.id, p.code AS product_code, p.name_zh, p.name_en, p.status, i.price_fen, i.price_list_id, \
         l.code AS list_code, l.kind, i.valid_from, i.valid_to, CASE WHEN l.id = ",
    );
    sql.bind(own_list).push(
        " THEN 0 ELSE 1 END AS preference FROM products p \
         LEFT JOIN price_list_items i ON i.product_id = p.id AND i.valid_from <= ",
    );
    sql.bind(date)
        .push(" AND (i.valid_to IS NULL OR i.valid_to > ")
        .bind(date)
        .push(") AND i.price_list_id IN (SELECT l2.id FROM price_lists l2 WHERE l2.active = 1 AND (l2.id = ")
        .bind(own_list)
        .push(" OR (l2.kind = 'tier' AND l2.tier = ")
        .bind(tier)
        .push("))) LEFT JOIN price_lists l ON l.id = i.price_list_id WHERE p.id");
    push_in_list(&mut sql, product_ids);
    // the first row per product wins: its own list before its tier's, then the lowest list id
    sql.push(" ORDER BY p.id, preference, l.id, i.id");
    for r in sql.fetch_all(conn).await? {
        let id: i64 = r.try_get("id")?;
        if found.contains_key(&id) {
            continue;
        }
        let price = match r.try_get::<Option<i64>, _>("price_fen")? {
            None => None,
            Some(price_fen) => Some(PriceOn {
                price_fen,
                price_list_id: r.try_get("price_list_id")?,
                price_list_code: r.try_get("list_code")?,
                source: r.try_get("kind")?,
                valid_from: r.try_get("valid_from")?,
                valid_to: r.try_get("valid_to")?,
            }),
        };
        found.insert(
            id,
            PricedProduct {
                id,
                code: r.try_get("product_code")?,
                name_zh: r.try_get("name_zh")?,
                name_en: r.try_get("name_en")?,
                status: r.try_get("status")?,
                price,
            },
        );
    }
    Ok(found)
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct QuotaRow {
    pub id: i64,
    pub product_id: i64,
    pub product_code: String,
    pub node_id: Option<i64>,
    pub dealer_id: Option<i64>,
    pub period: String,
    pub quantity: i64,
    pub consumed: i64,
}

pub async fn quotas(conn: &mut Conn, period: Option<&str>) -> Result<Vec<QuotaRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT q.id, q.product_id, p.code, q.node_id, q.dealer_id, q.period, q.quantity, q.consumed \
         FROM quotas q JOIN products p ON p.id = q.product_id WHERE 1 = 1",
    );
    if let Some(period) = period {
        sql.push(" AND q.period = ").bind(period);
    }
    sql.push(" ORDER BY q.period DESC, p.code, q.id LIMIT 1000");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(QuotaRow {
                id: r.try_get("id")?,
                product_id: r.try_get("product_id")?,
                product_code: r.try_get("code")?,
                node_id: r.try_get("node_id")?,
                dealer_id: r.try_get("dealer_id")?,
                period: r.try_get("period")?,
                quantity: r.try_get("quantity")?,
                consumed: r.try_get("consumed")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

pub async fn insert_quota(
    conn: &mut Conn,
    product_id: i64,
    node_id: Option<i64>,
    dealer_id: Option<i64>,
    period: &str,
    quantity: i64,
) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO quotas (product_id, node_id, dealer_id, period, quantity, consumed, created_at) VALUES (",
    );
    sql.bind(product_id)
        .push(", ")
        .bind(node_id)
        .push(", ")
        .bind(dealer_id)
        .push(", ")
        .bind(period)
        .push(", ")
        .bind(quantity)
        .push(", 0, ")
        .bind(now_micros())
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

/// The outcome of [`reserve_quota`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reserve {
    /// No quota applies: the product is not allocated for this dealer in this period.
    NotLimited,
    Reserved {
        quota_id: i64,
        remaining: i64,
    },
    /// Not enough left; nothing was consumed.
    Exceeded {
        quota_id: i64,
        remaining: i64,
    },
}

/// Consumes `qty` of the quota that applies to `dealer_id` for `product_id` in `period`
/// (`YYYY-MM`): the dealer's own quota if there is one, else the quota of the deepest node the
/// dealer sits under. The check and the increment are one conditional `UPDATE`, so two orders
/// cannot together take more than is left. Run it inside the order's write transaction.
pub async fn reserve_quota(
    conn: &mut Conn,
    product_id: i64,
    dealer_id: i64,
    period: &str,
    qty: i64,
) -> Result<Reserve, StoreError> {
    let applying = quotas_applying(conn, dealer_id, &[product_id], period).await?;
    let Some(&quota_id) = applying.get(&product_id) else {
        return Ok(Reserve::NotLimited);
    };
    let consumed = consume_quota(conn, quota_id, qty).await?;
    let remaining = quota_left(conn, quota_id).await?;
    Ok(if consumed {
        Reserve::Reserved {
            quota_id,
            remaining,
        }
    } else {
        Reserve::Exceeded {
            quota_id,
            remaining,
        }
    })
}

/// The quota that applies to `dealer_id` in `period` for each of `product_ids` that has one (see
/// [`reserve_quota`] for which one applies), in one query: product id → quota id.
pub async fn quotas_applying(
    conn: &mut Conn,
    dealer_id: i64,
    product_ids: &[i64],
    period: &str,
) -> Result<std::collections::HashMap<i64, i64>, StoreError> {
    let mut applying = std::collections::HashMap::new();
    if product_ids.is_empty() {
        return Ok(applying);
    }
    let mut find = Sql::new(
        "SELECT q.product_id, q.id FROM quotas q LEFT JOIN org_nodes n ON n.id = q.node_id, dealers d \
         WHERE d.id = ",
    );
    find.bind(dealer_id)
        .push(" AND q.period = ")
        .bind(period)
        .push(" AND q.product_id");
    push_in_list(&mut find, product_ids);
    find.push(
        " AND (q.dealer_id = d.id OR (q.dealer_id IS NULL AND n.path IS NOT NULL \
         AND SUBSTR(d.node_path, 1, LENGTH(n.path)) = n.path)) \
         ORDER BY q.product_id, CASE WHEN q.dealer_id IS NULL THEN 1 ELSE 0 END, LENGTH(n.path) DESC, q.id",
    );
    for row in find.fetch_all(conn).await? {
        // the first row per product is the one that applies
        applying
            .entry(row.try_get::<i64, _>("product_id")?)
            .or_insert(row.try_get::<i64, _>("id")?);
    }
    Ok(applying)
}

/// Takes `qty` from a quota if that much is left: the check and the increment are one
/// conditional `UPDATE`, so two orders cannot together take more than is left. `false` when not
/// enough is left (nothing is taken).
pub async fn consume_quota(conn: &mut Conn, quota_id: i64, qty: i64) -> Result<bool, StoreError> {
    let mut update = Sql::new("UPDATE quotas SET consumed = consumed + ");
    update
        .bind(qty)
        .push(" WHERE id = ")
        .bind(quota_id)
        .push(" AND consumed + ")
        .bind(qty)
        .push(" <= quantity");
    Ok(update.execute(conn).await? == 1)
}

/// What is left of a quota.
pub async fn quota_left(conn: &mut Conn, quota_id: i64) -> Result<i64, StoreError> {
    let mut left = Sql::new("SELECT quantity - consumed AS r FROM quotas WHERE id = ");
    left.bind(quota_id);
    Ok(left.fetch_one(conn).await?.try_get("r")?)
}

/// Inserts prices as given (demo and imports): the caller guarantees the periods of one list
/// and product do not overlap. Rows are `(list, product, price_fen, valid_from, valid_to)`.
pub async fn insert_prices_unchecked(
    conn: &mut Conn,
    rows: &[(i64, i64, i64, String, Option<String>)],
) -> Result<(), StoreError> {
    let now = now_micros();
    for chunk in rows.chunks(500) {
        let mut sql = Sql::new(
            "INSERT INTO price_list_items (price_list_id, product_id, price_fen, valid_from, valid_to, created_at) VALUES ",
        );
        for (i, (list, product, price, from, to)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(*list)
                .push(", ")
                .bind(*product)
                .push(", ")
                .bind(*price)
                .push(", ")
                .bind(from.as_str())
                .push(", ")
                .bind(to.clone())
                .push(", ")
                .bind(now)
                .push(")");
        }
        sql.execute(conn).await?;
    }
    Ok(())
}

/// Invariants of the catalogue (for `salesos check`): prices of one product on one list never
/// overlap and no period is empty; no quota is consumed beyond its quantity.
pub async fn check_unscoped(conn: &mut Conn) -> Result<Vec<String>, StoreError> {
    let mut problems = Vec::new();
    let empty = Sql::new(
        "SELECT COUNT(*) AS n FROM price_list_items WHERE valid_to IS NOT NULL AND valid_to <= valid_from",
    )
    .fetch_one(&mut *conn)
    .await?
    .try_get::<i64, _>("n")?;
    if empty > 0 {
        problems.push(format!("{empty} prices end on or before they start"));
    }
    let overlapping = Sql::new(
        "SELECT COUNT(*) AS n FROM price_list_items a JOIN price_list_items b \
         ON a.price_list_id = b.price_list_id AND a.product_id = b.product_id AND a.id < b.id \
         WHERE a.valid_from < COALESCE(b.valid_to, '9999-12-31') AND b.valid_from < COALESCE(a.valid_to, '9999-12-31')",
    )
    .fetch_one(&mut *conn)
    .await?
    .try_get::<i64, _>("n")?;
    if overlapping > 0 {
        problems.push(format!(
            "{overlapping} pairs of prices of one product on one list overlap"
        ));
    }
    let over =
        Sql::new("SELECT COUNT(*) AS n FROM quotas WHERE consumed > quantity OR consumed < 0")
            .fetch_one(conn)
            .await?
            .try_get::<i64, _>("n")?;
    if over > 0 {
        problems.push(format!("{over} quotas are consumed beyond their quantity"));
    }
    Ok(problems)
}
