//! SQLite group commit (on by default): concurrent operations share one durable commit, each in
//! a savepoint of its own, so one that fails leaves the others whole; and many concurrent orders
//! for one dealer never take more credit or quota than there is. The order scenario runs on
//! both backends (on PostgreSQL each order has its own commit).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_store::sql::Sql;
use salesos_store::{Backend, Store, StoreError};
use salesos_test_support::builders;
use salesos_test_support::order_fixtures::{catalogue, dealer};
use salesos_test_support::TestApp;
use serde_json::{json, Value};
use std::time::Duration;

async fn line_exists(t: &TestApp, code: &str) -> bool {
    t.count(&format!(
        "SELECT COUNT(*) AS n FROM product_lines WHERE code = '{code}'"
    ))
    .await
        == 1
}

/// One operation of the batch: inserts a product line `code`, then ends as `how` says.
async fn operation(store: Store, code: &'static str, how: &'static str) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    builders::product_line(tx.conn(), code).await;
    match how {
        "commit" => tx.commit().await,
        // a statement fails (the first operation's line already has this code) and the
        // operation gives up, as a use case does when it returns an error
        "fail" => {
            let mut dup = Sql::new("INSERT INTO product_lines (code, name_zh, name_en) VALUES (");
            dup.bind("GC-FIRST").push(", 'x', 'x')");
            let err = dup.execute(tx.conn()).await.expect_err("a duplicate code");
            assert!(matches!(err, StoreError::Unique { .. }), "{err:?}");
            drop(tx);
            Err(err)
        }
        // dropped without commit or rollback (a request cut off mid-way)
        "drop" => {
            drop(tx);
            Ok(())
        }
        _ => tx.rollback().await,
    }
}

#[tokio::test]
async fn one_failing_operation_does_not_sink_the_others_in_its_batch() {
    let t = TestApp::spawn().await;
    let store = t.app.store.clone();
    let sqlite = store.backend() == Backend::Sqlite;
    assert_eq!(
        store.group_commit(),
        sqlite,
        "group commit is on by default on SQLite"
    );
    let before = store.group_commit_stats();

    // The first operation holds the writer while the others queue behind it, so they all land
    // in the outer transaction it opened.
    let mut first = store.begin().await.unwrap();
    builders::product_line(first.conn(), "GC-FIRST").await;
    let others = [
        ("GC-OK-1", "commit"),
        ("GC-FAIL", "fail"),
        ("GC-OK-2", "commit"),
        ("GC-DROP", "drop"),
        ("GC-BACK", "rollback"),
        ("GC-OK-3", "commit"),
    ];
    let mut tasks = Vec::new();
    for (code, how) in others {
        tasks.push(tokio::spawn(operation(store.clone(), code, how)));
        // queue them in this order
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if sqlite {
        assert!(
            !line_exists(&t, "GC-FIRST").await,
            "nothing is visible before the commit"
        );
    }
    first.commit().await.unwrap();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap().is_ok());
    }
    assert_eq!(outcomes, [true, false, true, true, true, true]);

    for code in ["GC-FIRST", "GC-OK-1", "GC-OK-2", "GC-OK-3"] {
        assert!(line_exists(&t, code).await, "{code} was committed");
    }
    for code in ["GC-FAIL", "GC-DROP", "GC-BACK"] {
        assert!(!line_exists(&t, code).await, "{code} was rolled back");
    }
    if let (Some(before), Some(after)) = (before, store.group_commit_stats()) {
        let commits = after.commits - before.commits;
        let operations = after.operations - before.operations;
        assert_eq!(operations, 4, "the four operations that committed");
        assert!(
            commits < operations,
            "they shared durable commits: {commits} commits for {operations} operations"
        );
    }
    // the writer is in a clean state afterwards
    let mut tx = store.begin().await.unwrap();
    builders::product_line(tx.conn(), "GC-AFTER").await;
    tx.commit().await.unwrap();
    assert!(line_exists(&t, "GC-AFTER").await);
}

async fn post_order(
    client: reqwest::Client,
    url: String,
    token: String,
    body: Value,
) -> (u16, Value) {
    let res = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Sends all bodies at once (each request a task of its own, so they overlap as on a server);
/// the answers in the same order.
async fn post_all(t: &TestApp, token: &str, bodies: Vec<Value>) -> Vec<(u16, Value)> {
    let client = t.api_client();
    let handles: Vec<_> = bodies
        .into_iter()
        .map(|b| {
            tokio::spawn(post_order(
                client.clone(),
                t.url("/api/v1/orders"),
                token.to_string(),
                b,
            ))
        })
        .collect();
    let mut answers = Vec::new();
    for h in handles {
        answers.push(h.await.unwrap());
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_for_one_dealer_never_exceed_credit_or_quota() {
    let t = TestApp::spawn().await;
    let plain = catalogue(&t, 100).await; // 100 fen
    let scarce = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 11_000).await;
    let month = t.app.today()[..7].to_string();
    let (plain_quota, scarce_quota) = {
        let mut tx = t.app.store.begin().await.unwrap();
        let a = builders::quota(tx.conn(), plain.product, None, Some(d), &month, 100_000).await;
        let b = builders::quota(tx.conn(), scarce.product, None, Some(d), &month, 6).await;
        tx.commit().await.unwrap();
        (a, b)
    };
    let token = t.token_for("desk").await;
    let consumed = |quota: i64| format!("SELECT consumed AS n FROM quotas WHERE id = {quota}");

    // 24 orders of 1,100 fen at once: the scarce product allows 6; the others fail on it after
    // their first line took quota, which must be given back with everything else they wrote
    let bodies = (0..24)
        .map(|_| {
            json!({ "dealer_id": d, "lines": [
                { "product_id": plain.product, "quantity": 10 },
                { "product_id": scarce.product, "quantity": 1 },
            ] })
        })
        .collect();
    let answers = post_all(&t, &token, bodies).await;
    let confirmed: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, b)| b)
        .collect();
    let refused = answers
        .iter()
        .filter(|(s, b)| *s == 409 && b["code"] == "order.quota_exceeded")
        .count();
    assert_eq!((confirmed.len(), refused), (6, 18), "{answers:?}");
    assert!(confirmed
        .iter()
        .all(|b| b["order"]["status"] == "confirmed"));
    assert_eq!(t.count(&consumed(scarce_quota)).await, 6);
    assert_eq!(
        t.count(&consumed(plain_quota)).await,
        60,
        "refused orders gave their quota back"
    );
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) AS n FROM orders WHERE dealer_id = {d}"
        ))
        .await,
        6,
        "refused orders left nothing behind"
    );

    // the answer to a create is what reading the order gives
    let first = confirmed[0];
    let id = first["order"]["id"].as_i64().unwrap();
    let read: Value = t
        .api_client()
        .get(t.url(&format!("/api/v1/orders/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(&read, first);

    // 24 more orders of 1,000 fen at once: 4,400 fen of credit is left, so 4 are confirmed and
    // the others go on hold
    let bodies = (0..24)
        .map(|_| json!({ "dealer_id": d, "lines": [{ "product_id": plain.product, "quantity": 10 }] }))
        .collect();
    let answers = post_all(&t, &token, bodies).await;
    assert!(answers.iter().all(|(s, _)| *s == 201), "{answers:?}");
    let status_count = |status: &str| {
        answers
            .iter()
            .filter(|(_, b)| b["order"]["status"] == status)
            .count()
    };
    assert_eq!(
        (status_count("confirmed"), status_count("on_hold")),
        (4, 20)
    );
    assert_eq!(
        t.count(&format!(
            "SELECT exposure_fen AS n FROM dealer_balances WHERE dealer_id = {d}"
        ))
        .await,
        6 * 1_100 + 4 * 1_000,
        "never above the limit of 11,000"
    );
    assert_eq!(
        t.count(&consumed(plain_quota)).await,
        100,
        "held orders take no quota"
    );
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) AS n FROM credit_holds WHERE dealer_id = {d} AND status = 'open'"
        ))
        .await,
        20
    );
    let mut conn = t.app.store.read().await.unwrap();
    let problems = salesos_store::check::run(&mut conn).await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}
