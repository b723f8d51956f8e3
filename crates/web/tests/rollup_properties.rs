//! The sales rollups equal their full recomputation after random sequences of postings: orders
//! over several months (confirmed, edited, cancelled), partial shipments, deliveries, invoices
//! and their cancellation, payments, documents written straight into the tables (as a bulk
//! import would) and dealers handed to another owner part-way. Checked after every step; at the
//! end `rollups::rebuild` reproduces exactly what the triggers kept, and the rollups' totals
//! agree with plain sums over the documents.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_app::billing::{self, PaymentInput};
use salesos_app::orders::{self, Created, LineInput, NewOrderInput};
use salesos_app::shipments::{self, DeliveryInput, NewShipmentInput, ShipLineInput};
use salesos_app::AppError;
use salesos_store::rollups;
use salesos_test_support::order_fixtures::{catalogue, dealer, history_order};
use salesos_test_support::TestApp;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick(&mut self, ids: &[i64]) -> Option<i64> {
        if ids.is_empty() {
            None
        } else {
            Some(ids[self.below(ids.len() as u64) as usize])
        }
    }
}

fn ok<T>(r: Result<T, AppError>, what: &str) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(AppError::Internal(e)) => panic!("{what}: internal error {e}"),
        Err(_) => None,
    }
}

async fn assert_rollups_exact(t: &TestApp, context: &str) {
    let mut conn = t.app.store.read().await.unwrap();
    let problems = rollups::check_unscoped(&mut conn).await.unwrap();
    assert!(problems.is_empty(), "{context}: {problems:?}");
}

/// Hands the dealer to `login` from today (as an approved owner change does).
async fn hand_over(t: &TestApp, dealer_id: i64, login: &str) {
    let to = t.person(login).await;
    let mut tx = t.app.store.begin().await.unwrap();
    let d = salesos_store::dealers::get_unscoped(tx.conn(), dealer_id)
        .await
        .unwrap()
        .unwrap();
    salesos_store::dealers::change_owner(
        tx.conn(),
        dealer_id,
        d.owner_id,
        to.id,
        to.node_id.unwrap(),
        to.node_path.as_deref().unwrap(),
        &t.app.today(),
        None,
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn rollups_equal_recomputation_after_random_postings() {
    let t = TestApp::spawn().await;
    let a = catalogue(&t, 100).await;
    let b = catalogue(&t, 37).await;
    let desk = t.actor("desk").await;
    let wh = t.actor("warehouse").await;
    let bill = t.actor("billing").await;
    let dealers = [
        dealer(&t, "C-SH1", "rep.sh1.1", 5_000_000).await,
        dealer(&t, "C-JS1", "rep.js1.1", 5_000_000).await,
    ];
    let owners = ["rep.sh1.1", "kam.sh", "rep.js1.1"];
    let today = t.app.today();
    let months: Vec<String> = (0..3)
        .map(|back| {
            let d = chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap();
            let d = d - chrono::Duration::days(31 * back);
            d.format("%Y-%m-%d").to_string()
        })
        .collect();
    for seed in [0x9e37_79b9_7f4a_7c15u64, 0x5851_f42d_4c95_7f2du64] {
        let mut rng = Rng(seed);
        let (mut order_ids, mut shipment_ids, mut invoice_ids) =
            (Vec::<i64>::new(), Vec::<i64>::new(), Vec::<i64>::new());
        for step in 0..70 {
            let op = if order_ids.is_empty() {
                0
            } else {
                rng.below(11)
            };
            let what = match op {
                0 | 1 => {
                    let d = dealers[rng.below(2) as usize];
                    let mut lines = vec![LineInput {
                        product_id: a.product,
                        quantity: 1 + rng.below(30) as i64,
                        unit_price_fen: None,
                    }];
                    if rng.below(2) == 0 {
                        lines.push(LineInput {
                            product_id: if rng.below(2) == 0 {
                                a.product
                            } else {
                                b.product
                            },
                            quantity: 1 + rng.below(9) as i64,
                            unit_price_fen: None,
                        });
                    }
                    let input = NewOrderInput {
                        dealer_id: d,
                        order_date: Some(months[rng.below(3) as usize].clone()),
                        source: None,
                        note: None,
                        lines,
                        draft: rng.below(5) == 0,
                    };
                    if let Some(Created::New(o)) = ok(
                        orders::create(&t.app, &desk, input, None, &|_| String::new()).await,
                        "order",
                    ) {
                        order_ids.push(o.order.id);
                    }
                    "order"
                }
                2 => {
                    let o = rng.pick(&order_ids).unwrap();
                    let lines = vec![LineInput {
                        product_id: b.product,
                        quantity: 1 + rng.below(20) as i64,
                        unit_price_fen: None,
                    }];
                    ok(
                        orders::update_lines(&t.app, &desk, o, lines).await,
                        "edit order",
                    );
                    "edit order"
                }
                3 => {
                    let o = rng.pick(&order_ids).unwrap();
                    let input = NewShipmentInput {
                        lines: vec![ShipLineInput {
                            line_no: 1,
                            quantity: 1 + rng.below(10) as i64,
                        }],
                        carrier: Some("顺丰".into()),
                        ..Default::default()
                    };
                    if let Some(s) = ok(shipments::create(&t.app, &wh, o, input).await, "ship") {
                        shipment_ids.push(s.shipment.id);
                    }
                    "shipment"
                }
                4 => {
                    if let Some(s) = rng.pick(&shipment_ids) {
                        ok(shipments::ship(&t.app, &wh, s, None).await, "ship");
                    }
                    "ship"
                }
                5 => {
                    if let Some(s) = rng.pick(&shipment_ids) {
                        ok(
                            shipments::deliver(&t.app, &wh, s, DeliveryInput::default()).await,
                            "deliver",
                        );
                        if let Some(inv) = ok(
                            billing::invoice_shipment(&t.app, &bill, s, None).await,
                            "invoice",
                        ) {
                            invoice_ids.push(inv.invoice.id);
                        }
                    }
                    "deliver and invoice"
                }
                6 => {
                    if let Some(i) = rng.pick(&invoice_ids) {
                        ok(
                            billing::cancel_invoice(&t.app, &bill, i, Some("random".into())).await,
                            "cancel invoice",
                        );
                    }
                    "cancel invoice"
                }
                7 => {
                    let d = dealers[rng.below(2) as usize];
                    let input = PaymentInput {
                        amount_fen: 1 + rng.below(5_000) as i64,
                        ..Default::default()
                    };
                    ok(
                        billing::record_payment(&t.app, &bill, d, input).await,
                        "pay",
                    );
                    "pay"
                }
                8 => {
                    let o = rng.pick(&order_ids).unwrap();
                    ok(orders::cancel(&t.app, &desk, o, None).await, "cancel order");
                    "cancel order"
                }
                9 => {
                    let d = dealers[rng.below(2) as usize];
                    hand_over(&t, d, owners[rng.below(3) as usize]).await;
                    "hand over"
                }
                _ => {
                    // written straight into the tables, as an import would: a confirmed order
                    // header first, then its lines
                    let d = dealers[rng.below(2) as usize];
                    history_order(&t.app.store, d, &months[2], 0, "confirmed").await;
                    let id = t.count("SELECT MAX(id) AS n FROM orders").await;
                    let mut tx = t.app.store.begin().await.unwrap();
                    let mut sql = salesos_store::sql::Sql::new(
                        "INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price_fen, amount_fen) VALUES (",
                    );
                    let q = 1 + rng.below(50) as i64;
                    sql.bind(id)
                        .push(", 1, ")
                        .bind(a.product)
                        .push(", ")
                        .bind(q)
                        .push(", 100, ")
                        .bind(q * 100)
                        .push(")");
                    sql.execute(tx.conn()).await.unwrap();
                    tx.commit().await.unwrap();
                    "imported order"
                }
            };
            assert_rollups_exact(&t, &format!("seed {seed:x} step {step} ({what})")).await;
        }
    }

    // the figures agree with plain sums over the documents
    let ordered = t
        .count("SELECT CAST(COALESCE(SUM(ordered_fen), 0) AS BIGINT) AS n FROM sales_rollups")
        .await;
    let ordered_docs = t
        .count(
            "SELECT CAST(COALESCE(SUM(l.amount_fen), 0) AS BIGINT) AS n FROM order_lines l JOIN orders o ON o.id = l.order_id \
             WHERE o.status IN ('confirmed', 'partially_shipped', 'shipped', 'closed')",
        )
        .await;
    assert_eq!(ordered, ordered_docs);
    assert!(ordered > 0, "the sequence confirmed orders");
    let collected = t
        .count("SELECT CAST(COALESCE(SUM(collected_fen), 0) AS BIGINT) AS n FROM sales_rollups")
        .await;
    let paid = t
        .count("SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS n FROM payments")
        .await;
    assert_eq!(collected, paid);
    assert!(paid > 0);
    for (sql, what) in [
        (
            "SELECT COUNT(*) AS n FROM sales_rollups WHERE shipped_fen > 0",
            "shipments",
        ),
        (
            "SELECT COUNT(*) AS n FROM sales_rollups WHERE invoiced_fen > 0",
            "invoices",
        ),
        (
            "SELECT COUNT(*) AS n FROM invoices WHERE status = 'cancelled'",
            "invoice cancellations",
        ),
        (
            "SELECT COUNT(*) AS n FROM orders WHERE status = 'cancelled'",
            "order cancellations",
        ),
        (
            "SELECT COUNT(DISTINCT owner_id) AS n FROM sales_rollups WHERE ordered_fen <> 0",
            "owners",
        ),
    ] {
        assert!(t.count(sql).await > 0, "the sequences produced no {what}");
    }

    // rebuilding reproduces exactly what the triggers kept
    let kept = {
        let mut conn = t.app.store.read().await.unwrap();
        rollups::all_unscoped(&mut conn).await.unwrap()
    };
    let mut tx = t.app.store.begin().await.unwrap();
    let written = rollups::rebuild(tx.conn()).await.unwrap();
    tx.commit().await.unwrap();
    let rebuilt = {
        let mut conn = t.app.store.read().await.unwrap();
        rollups::all_unscoped(&mut conn).await.unwrap()
    };
    assert_eq!(written as usize, rebuilt.len());
    assert_eq!(kept, rebuilt);

    // and the check notices a rollup that drifted from the documents
    let mut tx = t.app.store.begin().await.unwrap();
    salesos_store::sql::Sql::new(
        "UPDATE sales_rollups SET ordered_fen = ordered_fen + 1 WHERE ordered_fen <> 0 AND month = (SELECT MIN(month) FROM sales_rollups WHERE ordered_fen <> 0)",
    )
    .execute(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut conn = t.app.store.read().await.unwrap();
    let problems = salesos_store::check::run(&mut conn).await.unwrap();
    assert!(
        problems.iter().any(|p| p.starts_with("sales rollup")),
        "{problems:?}"
    );
}
