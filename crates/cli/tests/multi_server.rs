#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Three `salesos serve` processes (the real binary) on different loopback ports against one
//! database, the backend chosen by `SALESOS_TEST_DB` (the deployment this is for is PostgreSQL;
//! SQLite in WAL mode also allows several processes on one file): a session made on one server
//! works on the others, the monthly job runs exactly once for the period however many servers
//! start at the same moment, and one idempotency key sent to all three at once makes one order.

use salesos_test_support::db::test_db;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

mod common;
use common::{order_lines, run_tiny_demo, spawn_server, temp_dir, user_token, wait_ready, Server};

async fn start(url: &str, dir: &std::path::Path) -> Server {
    spawn_server(url, dir, &[])
}

fn csrf_in(html: &str) -> String {
    salesos_test_support::app::csrf_in_html(html).expect("a _csrf field")
}

async fn count(db: &salesos_test_support::TestDb, sql: &str) -> i64 {
    let mut conn = db.store.read().await.expect("conn");
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&mut *conn)
        .await
        .expect(sql)
}

#[tokio::test]
async fn three_servers_share_sessions_jobs_and_idempotency() {
    let db = test_db().await;
    let dir = temp_dir("multi");
    run_tiny_demo(&db.url, &dir);
    // dealers the monthly credit-limit job makes proposals for
    let judged =
        salesos_test_support::order_fixtures::dealers_with_sales_history(&db.store, 3).await;
    assert_eq!(judged.len(), 3);

    // All three start at once: each one's housekeeping tries the month's jobs at start-up.
    let servers = vec![
        start(&db.url, &dir).await,
        start(&db.url, &dir).await,
        start(&db.url, &dir).await,
    ];
    for s in &servers {
        wait_ready(s).await;
    }

    // A session made on the first server (cookie + CSRF) works on the others.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let a = &servers[0].base;
    let page = browser.get(format!("{a}/signin")).send().await.unwrap();
    let set_cookie: Vec<String> = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .collect();
    let csrf = csrf_in(&page.text().await.unwrap());
    let res = browser
        .post(format!("{a}/signin"))
        .header("cookie", set_cookie.join("; "))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("login", "desk"),
            ("password", salesos_app::demo::DEMO_PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "signing in on the first server");
    let session: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .filter(|c| c.starts_with("salesos_session="))
        .collect();
    assert_eq!(session.len(), 1, "one session cookie");
    for s in &servers {
        let res = browser
            .get(format!("{}/account", s.base))
            .header("cookie", &session[0])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "the session works on {}", s.base);
        let html = res.text().await.unwrap();
        // the CSRF token of the session is the same everywhere, so forms posted anywhere work
        assert!(html.contains("name=\"_csrf\""));
        let res = browser
            .get(format!("{}/account", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "no session, no page on {}", s.base);
    }

    // The month's credit-limit job ran exactly once, on one of the servers.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done = count(
            &db,
            "SELECT COUNT(*) FROM jobs WHERE name = 'credit-limits' AND status <> 'running'",
        )
        .await;
        if done > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the credit-limit job did not finish"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM jobs WHERE name = 'credit-limits'"
        )
        .await,
        1,
        "one claim for the period"
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM jobs WHERE name = 'credit-limits' AND status = 'done'"
        )
        .await,
        1
    );
    let proposals = count(
        &db,
        "SELECT COUNT(*) FROM dealer_term_requests WHERE kind = 'credit_limit_proposal'",
    )
    .await;
    let dealers = count(
        &db,
        "SELECT COUNT(DISTINCT dealer_id) FROM dealer_term_requests WHERE kind = 'credit_limit_proposal'",
    )
    .await;
    assert_eq!(proposals, 3, "a proposal for each dealer with a history");
    assert_eq!(dealers, proposals, "no dealer got two proposals");

    // One idempotency key sent to all three servers at once: one order, and every answer that
    // succeeded names it.
    let token = user_token(&db.url, &dir, "desk");
    let api = reqwest::Client::new();
    let lines = order_lines(&api, a, &token, 5, 1).await;
    let body = json!({ "dealer_id": judged[0], "note": "multi-server", "lines": lines });
    let sends = servers.iter().map(|s| {
        api.post(format!("{}/api/v1/orders", s.base))
            .bearer_auth(&token)
            .header("Idempotency-Key", "multi-server-1")
            .json(&body)
            .send()
    });
    let answers = futures_join(sends).await;
    let mut ids = Vec::new();
    for res in answers {
        let res = res.unwrap();
        let status = res.status().as_u16();
        assert!(status < 500, "no server error on a concurrent retry");
        let v: Value = res.json().await.unwrap();
        if status < 300 {
            ids.push(v["order"]["id"].as_i64().unwrap());
        }
    }
    // a loser of the race may be told to retry; its retry gets the first answer
    let res = api
        .post(format!("{}/api/v1/orders", servers[2].base))
        .bearer_auth(&token)
        .header("Idempotency-Key", "multi-server-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let v: Value = res.json().await.unwrap();
    ids.push(v["order"]["id"].as_i64().unwrap());
    ids.dedup();
    assert_eq!(ids.len(), 1, "every answer names the same order: {ids:?}");
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM orders WHERE note = 'multi-server'"
        )
        .await,
        1
    );
    drop(servers);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Awaits all futures concurrently (no extra dependency for one join).
async fn futures_join<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}
