//! Dealers, products and prices for order and credit tests, built on [`crate::builders`].

use crate::builders::{self, DealerSpec};
use crate::TestApp;
use std::sync::atomic::{AtomicU32, Ordering};

static SERIAL: AtomicU32 = AtomicU32::new(1);

/// A sellable product with a price on the tier-A list, and helpers to add dealers.
#[derive(Debug, Clone, Copy)]
pub struct Catalogue {
    pub product: i64,
    /// The list price of `product`, in fen per base unit.
    pub price_fen: i64,
}

/// One product priced `price_fen` on a fresh tier-A list valid from 2020-01-01.
pub async fn catalogue(t: &TestApp, price_fen: i64) -> Catalogue {
    let n = SERIAL.fetch_add(1, Ordering::Relaxed);
    let mut tx = t.app.store.begin().await.unwrap();
    let line = builders::product_line(tx.conn(), &format!("LN-O{n}")).await;
    let product = builders::product(tx.conn(), line, &format!("P-O{n}")).await;
    let list = builders::tier_price_list(tx.conn(), &format!("PL-O{n}"), "A").await;
    builders::price_item(tx.conn(), list, product, price_fen, "2020-01-01", None).await;
    tx.commit().await.unwrap();
    Catalogue { product, price_fen }
}

/// An active tier-A dealer at the unit `node_code`, owned by `owner_login`, with this limit.
pub async fn dealer(t: &TestApp, node_code: &str, owner_login: &str, limit_fen: i64) -> i64 {
    let n = SERIAL.fetch_add(1, Ordering::Relaxed);
    let owner = t.person_id(owner_login).await;
    let node = t.node_id(node_code).await;
    let mut spec = DealerSpec::new(&format!("D-O{n}"), owner, node);
    spec.credit_limit_fen = limit_fen;
    let mut tx = t.app.store.begin().await.unwrap();
    let id = builders::dealer(tx.conn(), spec).await;
    tx.commit().await.unwrap();
    id
}

/// A past order of `total` fen on `date` in `status`, written straight into the table: sales
/// history for the credit-limit formula, without going through today's credit checks.
pub async fn history_order(
    store: &salesos_store::Store,
    dealer: i64,
    date: &str,
    total: i64,
    status: &str,
) {
    use salesos_store::now_micros;
    use salesos_store::sql::Sql;
    let mut tx = store.begin().await.unwrap();
    let mut sql = Sql::new(
        "INSERT INTO orders (dealer_id, order_date, status, source, node_id, node_path, owner_id, total_fen, created_at, updated_at) SELECT id, ",
    );
    sql.bind(date)
        .push(", ")
        .bind(status)
        .push(", 'desk', node_id, node_path, owner_id, ")
        .bind(total)
        .push(", ")
        .bind(now_micros())
        .push(", ")
        .bind(now_micros())
        .push(" FROM dealers WHERE id = ")
        .bind(dealer);
    sql.execute(tx.conn()).await.unwrap();
    tx.commit().await.unwrap();
}

/// One confirmed order on the 15th of each `(YYYY-MM, total)`.
pub async fn monthly_orders(store: &salesos_store::Store, dealer: i64, amounts: &[(String, i64)]) {
    for (month, total) in amounts {
        history_order(store, dealer, &format!("{month}-15"), *total, "confirmed").await;
    }
}

/// The first `n` active demo dealers, given a year of monthly sales (2025) so the credit-limit
/// formula has something to judge.
pub async fn dealers_with_sales_history(store: &salesos_store::Store, n: i64) -> Vec<i64> {
    use sqlx::Row;
    let mut sql = salesos_store::sql::Sql::new(
        "SELECT id FROM dealers WHERE status = 'active' ORDER BY id LIMIT ",
    );
    sql.bind(n);
    let ids: Vec<i64> = {
        let mut conn = store.read().await.unwrap();
        sql.fetch_all(&mut conn)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get("id").unwrap())
            .collect()
    };
    let year: Vec<(String, i64)> = (1..=12)
        .map(|m| (format!("2025-{m:02}"), 50_000_000))
        .collect();
    for id in &ids {
        monthly_orders(store, *id, &year).await;
    }
    ids
}
