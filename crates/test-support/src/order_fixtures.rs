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
