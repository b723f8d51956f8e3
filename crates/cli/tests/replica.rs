#![allow(clippy::expect_used, clippy::unwrap_used)]
//! The read replica for reports (`--replica-url` / `SALESOS_REPLICA_URL`), with the real binary.
//!
//! On PostgreSQL (`SALESOS_TEST_DB=postgres`) the "replica" is a copy of the test database made
//! with `CREATE DATABASE … TEMPLATE …`: it never receives the primary's later changes, so
//! whatever reads it shows the figures of the moment of the copy. That makes the routing
//! visible: after an order is placed, the dashboard of a server with the replica still shows the
//! old month (it reads the copy) while the order itself is read from the primary, and a server
//! without a replica shows the new month. On SQLite a replica is refused at start-up, which is
//! what these tests check there (and that the dashboard stays current without one).

use salesos_store::{Backend, Store};
use salesos_test_support::db::{test_db, with_database, DEFAULT_PG_URL};
use serde_json::{json, Value};
use sqlx::{Connection, Executor, PgConnection, Row};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;
use common::{
    free_port, order_lines, run_tiny_demo, salesos, spawn_server, temp_dir, user_token, wait_ready,
    Server,
};

async fn start(url: &str, dir: &Path, replica: Option<&str>) -> Server {
    let extra = match replica {
        Some(replica) => vec!["--replica-url", replica],
        None => vec![],
    };
    let server = spawn_server(url, dir, &extra);
    wait_ready(&server).await;
    server
}

/// Runs `salesos serve` expecting it to refuse to start; returns what it wrote to stderr.
fn refused_start(url: &str, dir: &Path, replica: &str) -> String {
    let mut child = salesos(url, dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--replica-url", replica])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("salesos serve runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("waiting") {
            assert!(!status.success(), "serve must refuse to start");
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            return err;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve started with replica {replica:?} instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn pg_admin_url() -> String {
    std::env::var("SALESOS_TEST_PG_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_PG_URL.to_string())
}

fn database_name(url: &str) -> String {
    let base = url.split('?').next().unwrap();
    base.rsplit('/').next().unwrap().to_string()
}

/// A copy of a test database standing in for its replica; dropped with the guard.
struct ReplicaCopy {
    admin_url: String,
    name: String,
    url: String,
}

impl ReplicaCopy {
    /// Copies `primary_url`'s database; nothing may be connected to it meanwhile.
    async fn of(primary_url: &str) -> ReplicaCopy {
        let admin_url = pg_admin_url();
        let primary = database_name(primary_url);
        // the prefix of the test databases, so leftovers are cleaned up with theirs
        let name = format!("{primary}_replica");
        let mut admin = PgConnection::connect(&admin_url).await.expect("admin");
        admin
            .execute(format!("CREATE DATABASE {name} TEMPLATE {primary}").as_str())
            .await
            .expect("copying the database");
        let _ = admin.close().await;
        ReplicaCopy {
            url: with_database(primary_url, &name),
            admin_url,
            name,
        }
    }
}

impl Drop for ReplicaCopy {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let _ = admin.execute(sql.as_str()).await;
                }
            });
        })
        .join();
    }
}

/// What the server answers on `/readyz`.
async fn readyz(api: &reqwest::Client, base: &str) -> Value {
    api.get(format!("{base}/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The company's ordered amount this month, as the director's dashboard shows it.
async fn month_actual(api: &reqwest::Client, base: &str, token: &str) -> i64 {
    let res = api
        .get(format!("{base}/api/v1/dashboard"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "dashboard on {base}");
    let home: Value = res.json().await.unwrap();
    let trend = home["trend"].as_array().expect("a trend");
    trend.last().expect("this month")["actual"]
        .as_i64()
        .expect("an amount")
}

#[tokio::test]
async fn dashboards_read_the_replica_and_orders_the_primary() {
    let db = test_db().await;
    let postgres = db.backend() == Backend::Postgres;
    let dir = temp_dir("replica-routing");
    run_tiny_demo(&db.url, &dir);
    // the dealer with the most credit headroom, so the order is confirmed and counts as ordered
    let dealer: i64 = {
        let mut conn = db.store.read().await.unwrap();
        sqlx::query(
            "SELECT d.id FROM dealers d JOIN dealer_balances b ON b.dealer_id = d.id \
             WHERE d.status = 'active' ORDER BY d.credit_limit_fen - b.exposure_fen DESC, d.id \
             LIMIT 1",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .get(0)
    };
    let director = user_token(&db.url, &dir, "director");
    let desk = user_token(&db.url, &dir, "desk");
    // copying a database needs every connection to it closed
    db.store.close().await;
    let replica = if postgres {
        Some(ReplicaCopy::of(&db.url).await)
    } else {
        None
    };

    let plain = start(&db.url, &dir, None).await;
    let with_replica = match &replica {
        Some(r) => Some(start(&db.url, &dir, Some(&r.url)).await),
        None => None,
    };
    let api = reqwest::Client::new();
    let before = month_actual(&api, &plain.base, &director).await;
    if let Some(r) = &with_replica {
        assert_eq!(month_actual(&api, &r.base, &director).await, before);
        let ready = readyz(&api, &r.base).await;
        assert_eq!(ready["status"], "ready");
        assert_eq!(ready["replica"]["status"], "ok", "{ready}");
        assert_eq!(ready["replica"]["standby"], false, "a copy, not a standby");
        let ready = readyz(&api, &plain.base).await;
        assert!(ready.get("replica").is_none(), "no replica configured");
    }

    // the order goes through the server with the replica when there is one
    let taker = with_replica.as_ref().unwrap_or(&plain);
    let lines = order_lines(&api, &taker.base, &desk, 3, 2).await;
    let res = api
        .post(format!("{}/api/v1/orders", taker.base))
        .bearer_auth(&desk)
        .json(&json!({ "dealer_id": dealer, "note": "replica routing", "lines": lines }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let placed: Value = res.json().await.unwrap();
    assert_eq!(placed["order"]["status"], "confirmed", "{placed}");
    let id = placed["order"]["id"].as_i64().unwrap();
    let total = placed["order"]["total_fen"].as_i64().unwrap();
    assert!(total > 0);

    // the order page reads the primary: the new order is there at once on both servers
    for s in std::iter::once(&plain).chain(with_replica.as_ref()) {
        let res = api
            .get(format!("{}/api/v1/orders/{id}", s.base))
            .bearer_auth(&desk)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "the new order on {}", s.base);
    }
    // without a replica the dashboard is current
    assert_eq!(
        month_actual(&api, &plain.base, &director).await,
        before + total
    );
    // with one it shows the replica's figures (this copy never catches up)
    if let Some(r) = &with_replica {
        assert_eq!(month_actual(&api, &r.base, &director).await, before);
        let osb = |base: String| {
            let api = api.clone();
            let director = director.clone();
            async move {
                let res = api
                    .get(format!("{base}/api/v1/reports/osb"))
                    .bearer_auth(&director)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200);
                res.text().await.unwrap()
            }
        };
        // a report differs between the two servers too: one reads the copy, one the primary
        assert_ne!(osb(r.base.clone()).await, osb(plain.base.clone()).await);
    }
    drop(with_replica);
    drop(plain);
    drop(replica);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_replica_connection_refuses_writes() {
    let primary = test_db().await;
    if primary.backend() != Backend::Postgres {
        // SQLite: there is no replica to attach
        let err = primary
            .store
            .clone()
            .with_replica("postgres://salesos@127.0.0.1:1/salesos")
            .await
            .expect_err("a replica needs PostgreSQL");
        assert!(err.to_string().contains("needs PostgreSQL"), "{err}");
        return;
    }
    let copy = test_db().await;
    let store = Store::connect(&primary.url)
        .await
        .unwrap()
        .with_replica(&copy.url)
        .await
        .expect("the replica is attached");
    assert_eq!(store.replica_url(), Some(copy.url.as_str()));

    let mut conn = store.report_read().await.unwrap();
    let on: String = sqlx::query_scalar("SELECT CAST(current_database() AS TEXT)")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(on, database_name(&copy.url), "reports read the replica");
    for write in [
        "UPDATE people SET login = login",
        "CREATE TABLE replica_probe (a BIGINT)",
    ] {
        let err = sqlx::query(write)
            .execute(&mut *conn)
            .await
            .expect_err("the replica connection refuses writes");
        assert!(
            err.to_string().contains("read-only transaction"),
            "{write}: {err}"
        );
    }
    drop(conn);
    let mut conn = store.read().await.unwrap();
    let on: String = sqlx::query_scalar("SELECT CAST(current_database() AS TEXT)")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(
        on,
        database_name(&primary.url),
        "everything else reads the primary"
    );
    drop(conn);

    // a database without salesos in it is no replica
    let err = Store::connect(&primary.url)
        .await
        .unwrap()
        .with_replica(&with_database(&primary.url, "postgres"))
        .await
        .expect_err("not a salesos database");
    assert!(
        err.to_string().contains("holds no salesos database"),
        "{err}"
    );
    let err = Store::connect(&primary.url)
        .await
        .unwrap()
        .with_replica("sqlite://replica.db")
        .await
        .expect_err("not PostgreSQL");
    assert!(
        err.to_string().contains("must be a PostgreSQL URL"),
        "{err}"
    );
    store.close().await;
}

#[tokio::test]
async fn serve_refuses_a_replica_it_cannot_use() {
    // SQLite as the main database, whatever the backend under test
    let dir = temp_dir("replica-sqlite");
    let sqlite = format!("sqlite://{}?mode=rwc", dir.join("salesos.db").display());
    let err = refused_start(&sqlite, &dir, "postgres://salesos@127.0.0.1:5432/salesos");
    assert!(
        err.contains("needs PostgreSQL as the main database"),
        "{err}"
    );
    assert!(err.contains("it is sqlite"), "{err}");

    let db = test_db().await;
    if db.backend() == Backend::Postgres {
        // a replica that does not answer: a closed port
        let closed = free_port();
        let err = refused_start(
            &db.url,
            &dir,
            &format!("postgres://postgres@127.0.0.1:{closed}/salesos"),
        );
        assert!(err.contains("cannot reach the read replica"), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
