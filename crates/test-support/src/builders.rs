//! Plain helpers that insert catalogue and dealer rows directly (no capability check, no audit),
//! for tests that need a product, a price or a dealer to work with. Each takes a connection, so
//! it can run inside a test's own transaction or on a plain connection:
//!
//! ```text
//! let mut tx = t.app.store.begin().await.unwrap();
//! let line = builders::product_line(tx.conn(), "LN-T").await;
//! let product = builders::product(tx.conn(), line, "P-T1").await;
//! let list = builders::tier_price_list(tx.conn(), "PL-T-A", "A").await;
//! builders::price_item(tx.conn(), list, product, 12_000, "2024-01-01", None).await;
//! let dealer = builders::dealer(tx.conn(), DealerSpec::new("D-T1", owner_id, node_id)).await;
//! tx.commit().await.unwrap();
//! ```

use salesos_store::sql::Sql;
use salesos_store::{now_micros, Conn};
use sqlx::Row;

/// Inserts a product line; returns its id.
pub async fn product_line(conn: &mut Conn, code: &str) -> i64 {
    let mut sql = Sql::new("INSERT INTO product_lines (code, name_zh, name_en) VALUES (");
    sql.bind(code)
        .push(", ")
        .bind(format!("产品线 {code}"))
        .push(", ")
        .bind(format!("Line {code}"))
        .push(") RETURNING id");
    sql.fetch_one(conn).await.unwrap().try_get("id").unwrap()
}

/// Inserts an active product (unit "瓶", 12 per case, 13% VAT); returns its id.
pub async fn product(conn: &mut Conn, line_id: i64, code: &str) -> i64 {
    let now = now_micros();
    let mut sql = Sql::new(
        "INSERT INTO products (code, name_zh, name_en, line_id, unit, case_size, tax_rate_bp, status, created_at, updated_at) VALUES (",
    );
    sql.bind(code)
        .push(", ")
        .bind(format!("产品 {code}"))
        .push(", ")
        .bind(format!("Product {code}"))
        .push(", ")
        .bind(line_id)
        .push(", '瓶', 12, 1300, 'active', ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
    sql.fetch_one(conn).await.unwrap().try_get("id").unwrap()
}

async fn price_list(conn: &mut Conn, code: &str, kind: &str, tier: Option<&str>) -> i64 {
    let mut sql =
        Sql::new("INSERT INTO price_lists (code, name, kind, tier, active, created_at) VALUES (");
    sql.bind(code)
        .push(", ")
        .bind(format!("Price list {code}"))
        .push(", ")
        .bind(kind)
        .push(", ")
        .bind(tier)
        .push(", 1, ")
        .bind(now_micros())
        .push(") RETURNING id");
    sql.fetch_one(conn).await.unwrap().try_get("id").unwrap()
}

/// Inserts a price list serving every dealer of `tier` ("A", "B" or "C"); returns its id.
pub async fn tier_price_list(conn: &mut Conn, code: &str, tier: &str) -> i64 {
    price_list(conn, code, "tier", Some(tier)).await
}

/// Inserts a dealer's own price list; returns its id. Attach it with
/// [`DealerSpec::price_list_id`] (or `UPDATE dealers SET price_list_id`).
pub async fn dealer_price_list(conn: &mut Conn, code: &str) -> i64 {
    price_list(conn, code, "dealer", None).await
}

/// Inserts a price of `product_id` on `list_id` over `[valid_from, valid_to)` (`None` = open);
/// returns its id. Does not close an open price: use `salesos_store::catalogue` for that.
pub async fn price_item(
    conn: &mut Conn,
    list_id: i64,
    product_id: i64,
    price_fen: i64,
    valid_from: &str,
    valid_to: Option<&str>,
) -> i64 {
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
        .push(", ")
        .bind(valid_to)
        .push(", ")
        .bind(now_micros())
        .push(") RETURNING id");
    sql.fetch_one(conn).await.unwrap().try_get("id").unwrap()
}

/// A quota of `quantity` for `product_id` in `period` (YYYY-MM), for one dealer or one node.
pub async fn quota(
    conn: &mut Conn,
    product_id: i64,
    node_id: Option<i64>,
    dealer_id: Option<i64>,
    period: &str,
    quantity: i64,
) -> i64 {
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
    sql.fetch_one(conn).await.unwrap().try_get("id").unwrap()
}

/// What [`dealer`] inserts; `new` fills sensible defaults (active, tier A, 30 days, ¥100,000).
#[derive(Debug, Clone)]
pub struct DealerSpec {
    pub code: String,
    pub name: String,
    pub status: String,
    pub tier: String,
    pub city: Option<String>,
    pub licence_no: Option<String>,
    pub owner_id: i64,
    pub node_id: i64,
    pub slt_owner_id: Option<i64>,
    pub price_list_id: Option<i64>,
    pub payment_term_days: i64,
    pub credit_limit_fen: i64,
}

impl DealerSpec {
    pub fn new(code: &str, owner_id: i64, node_id: i64) -> DealerSpec {
        DealerSpec {
            code: code.to_string(),
            name: format!("测试经销商 {code}"),
            status: "active".to_string(),
            tier: "A".to_string(),
            city: None,
            licence_no: None,
            owner_id,
            node_id,
            slt_owner_id: None,
            price_list_id: None,
            payment_term_days: 30,
            credit_limit_fen: 10_000_000,
        }
    }
}

/// Inserts a dealer at `spec.node_id` owned by `spec.owner_id`, with its open ownership period
/// (from 2024-01-01); returns its id.
pub async fn dealer(conn: &mut Conn, spec: DealerSpec) -> i64 {
    let mut path_sql = Sql::new("SELECT path FROM org_nodes WHERE id = ");
    path_sql.bind(spec.node_id);
    let path: String = path_sql
        .fetch_one(conn)
        .await
        .unwrap()
        .try_get("path")
        .unwrap();
    let now = now_micros();
    let mut sql = Sql::new(
        "INSERT INTO dealers (code, name, status, tier, licence_no, city, node_id, node_path, owner_id, slt_owner_id, price_list_id, payment_term_days, credit_limit_fen, created_at, updated_at) VALUES (",
    );
    sql.bind(spec.code.as_str())
        .push(", ")
        .bind(spec.name.as_str())
        .push(", ")
        .bind(spec.status.as_str())
        .push(", ")
        .bind(spec.tier.as_str())
        .push(", ")
        .bind(spec.licence_no.clone())
        .push(", ")
        .bind(spec.city.clone())
        .push(", ")
        .bind(spec.node_id)
        .push(", ")
        .bind(path.as_str())
        .push(", ")
        .bind(spec.owner_id)
        .push(", ")
        .bind(spec.slt_owner_id)
        .push(", ")
        .bind(spec.price_list_id)
        .push(", ")
        .bind(spec.payment_term_days)
        .push(", ")
        .bind(spec.credit_limit_fen)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
    let id: i64 = sql.fetch_one(conn).await.unwrap().try_get("id").unwrap();
    let mut owners = Sql::new(
        "INSERT INTO dealer_owners (dealer_id, owner_id, node_id, node_path, valid_from) VALUES (",
    );
    owners
        .bind(id)
        .push(", ")
        .bind(spec.owner_id)
        .push(", ")
        .bind(spec.node_id)
        .push(", ")
        .bind(path.as_str())
        .push(", '2024-01-01')");
    owners.execute(conn).await.unwrap();
    id
}

async fn id_by_code(t: &crate::TestApp, table: &str, code: &str) -> i64 {
    let mut conn = t.app.store.read().await.unwrap();
    let mut sql = Sql::new(&format!("SELECT id FROM {table} WHERE code = "));
    sql.bind(code);
    sql.fetch_one(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("no {table} with code {code}: {e}"))
        .try_get("id")
        .unwrap()
}

/// The id of a dealer by code (demo dealers: `D-SH1-001` in city C-SH1, `D-SH-K1` owned by the
/// KAM of area A-SH).
pub async fn dealer_id(t: &crate::TestApp, code: &str) -> i64 {
    id_by_code(t, "dealers", code).await
}

/// The id of a product by code (demo products: `BEV-001` … `CAR-008`).
pub async fn product_id(t: &crate::TestApp, code: &str) -> i64 {
    id_by_code(t, "products", code).await
}

/// The id of a product line by code (demo lines: BEV, DAI, SNK, SEA, CAR).
pub async fn line_id(t: &crate::TestApp, code: &str) -> i64 {
    id_by_code(t, "product_lines", code).await
}

/// The id of a price list by code (demo tier lists: PL-A, PL-B, PL-C).
pub async fn price_list_id(t: &crate::TestApp, code: &str) -> i64 {
    id_by_code(t, "price_lists", code).await
}
