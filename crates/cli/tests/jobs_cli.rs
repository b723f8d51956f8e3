#![allow(clippy::expect_used, clippy::unwrap_used)]
//! `salesos jobs run credit-limits [--period YYYY-MM]` and `salesos jobs list` against the real
//! binary on the backend chosen by `SALESOS_TEST_DB`: a period runs once, a second trigger does
//! nothing, bad names and periods are errors. A run left `running` by a crashed server is taken
//! over exactly once after its lease runs out, and a live run's heartbeat keeps it its own.

use salesos_app::jobs::{run_leased, Outcome};
use salesos_app::{Actor, App, Config};
use salesos_test_support::db::test_db;
use std::process::Output;
use std::time::Duration;

mod common;
use common::{run, run_tiny_demo, salesos, stdout, temp_dir};

/// Runs `salesos` and asserts that it succeeded, showing its stderr when it did not.
fn succeeds(url: &str, data_dir: &std::path::Path, args: &[&str]) -> Output {
    let out = run(url, data_dir, args);
    assert!(
        out.status.success(),
        "salesos {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[tokio::test]
async fn credit_limit_job_runs_once_per_period() {
    let db = test_db().await;
    let dir = demo(&db.url, "period");

    let judged =
        salesos_test_support::order_fixtures::dealers_with_sales_history(&db.store, 1).await;
    assert_eq!(judged.len(), 1);
    let args = ["jobs", "run", "credit-limits", "--period", "2026-11"];
    let out = succeeds(&db.url, &dir, &args);
    assert!(
        stdout(&out).starts_with("credit-limits 2026-11: period 2026-11:"),
        "{}",
        stdout(&out)
    );
    let out = succeeds(&db.url, &dir, &args);
    assert!(stdout(&out).contains("already ran"), "{}", stdout(&out));

    let out = succeeds(&db.url, &dir, &["jobs", "list"]);
    assert!(stdout(&out).contains("credit-limits"), "{}", stdout(&out));
    assert!(stdout(&out).contains("done"), "{}", stdout(&out));

    let out = run(&db.url, &dir, &["jobs", "run", "nope"]);
    assert!(!out.status.success());
    let out = run(
        &db.url,
        &dir,
        &["jobs", "run", "credit-limits", "--period", "2026-13"],
    );
    assert!(!out.status.success());

    // the proposals are ordinary approval requests
    let mut conn = db.store.read().await.expect("conn");
    let n: i64 = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM approval_requests WHERE doc_type = 'credit_limit_proposal'",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("count");
    let docs: i64 = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM dealer_term_requests WHERE kind = 'credit_limit_proposal' AND period = '2026-11'",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("count");
    assert_eq!(n, docs);
    assert_eq!(
        n, 1,
        "one proposal: for the one dealer with a sales history"
    );
    drop(conn);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh data directory, with the tiny demo company written into `url` by `salesos demo`.
fn demo(url: &str, tag: &str) -> std::path::PathBuf {
    let dir = temp_dir(&format!("cli-jobs-{tag}"));
    run_tiny_demo(url, &dir);
    dir
}

async fn scalar(db: &salesos_test_support::db::TestDb, sql: &str) -> i64 {
    let mut conn = db.store.read().await.expect("conn");
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&mut *conn)
        .await
        .expect(sql)
}

/// Leaves the row a server that died mid-run leaves: `running`, claimed by a process that is
/// gone, with its lease ending `lease_from_now_s` seconds from now (negative: already over).
async fn crashed_run(db: &salesos_test_support::db::TestDb, period: &str, lease_from_now_s: i64) {
    let now = salesos_store::now_micros();
    let mut tx = db.store.begin().await.expect("tx");
    sqlx::query(
        "INSERT INTO jobs (name, period, status, claimed_by, claimed_at, lease_until, attempt) VALUES ('credit-limits', $1, 'running', 'crashed-host:1', $2, $3, 1)",
    )
    .bind(period)
    .bind(now - 600_000_000)
    .bind(now + lease_from_now_s * 1_000_000)
    .execute(tx.conn())
    .await
    .expect("insert the crashed run");
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn crashed_run_is_taken_over_once_after_its_lease_runs_out() {
    let db = test_db().await;
    let dir = demo(&db.url, "lease");
    let judged =
        salesos_test_support::order_fixtures::dealers_with_sales_history(&db.store, 1).await;
    assert_eq!(judged.len(), 1);
    let args = ["jobs", "run", "credit-limits", "--period", "2026-11"];

    // the crashed server's lease still runs for a minute: nobody touches the run
    crashed_run(&db, "2026-11", 60).await;
    let out = succeeds(&db.url, &dir, &args);
    assert!(stdout(&out).contains("already ran"), "{}", stdout(&out));
    let unchanged = scalar(
        &db,
        "SELECT COUNT(*) FROM jobs WHERE status = 'running' AND attempt = 1 AND claimed_by = 'crashed-host:1'",
    )
    .await;
    assert_eq!(unchanged, 1, "a live lease is not taken over");

    // the lease runs out; three servers' schedulers try at the same moment
    {
        let mut tx = db.store.begin().await.expect("tx");
        sqlx::query("UPDATE jobs SET lease_until = $1")
            .bind(salesos_store::now_micros() - 1_000_000)
            .execute(tx.conn())
            .await
            .expect("expire the lease");
        tx.commit().await.expect("commit");
    }
    let racers: Vec<_> = (0..3)
        .map(|_| {
            salesos(&db.url, &dir)
                .args(args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn salesos")
        })
        .collect();
    let outputs: Vec<Output> = racers
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait"))
        .collect();
    for out in &outputs {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let ran = outputs
        .iter()
        .filter(|o| stdout(o).starts_with("credit-limits 2026-11: period 2026-11:"))
        .count();
    let skipped = outputs
        .iter()
        .filter(|o| stdout(o).contains("already ran"))
        .count();
    assert_eq!(
        (ran, skipped),
        (1, 2),
        "exactly one server reruns the crashed period"
    );

    let done = scalar(
        &db,
        "SELECT COUNT(*) FROM jobs WHERE name = 'credit-limits' AND period = '2026-11' AND status = 'done' AND attempt = 2 AND lease_until IS NULL AND claimed_by <> 'crashed-host:1'",
    )
    .await;
    assert_eq!(
        done, 1,
        "the run is done, on its second attempt, by a live server"
    );
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM jobs").await, 1);
    let proposals = scalar(
        &db,
        "SELECT COUNT(*) FROM dealer_term_requests WHERE kind = 'credit_limit_proposal' AND period = '2026-11' AND status = 'pending'",
    )
    .await;
    assert_eq!(proposals, 1, "one pending proposal, not one per attempt");
    let audited = scalar(
        &db,
        "SELECT COUNT(*) FROM audit_log WHERE operation = 'job.run'",
    )
    .await;
    assert_eq!(audited, 1);

    // and once done, it stays done
    let out = run(&db.url, &dir, &args);
    assert!(stdout(&out).contains("already ran"), "{}", stdout(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_taken_over_run_keeps_the_proposals_its_first_attempt_made() {
    let db = test_db().await;
    let dir = demo(&db.url, "lease-rerun");
    let judged =
        salesos_test_support::order_fixtures::dealers_with_sales_history(&db.store, 2).await;
    assert_eq!(judged.len(), 2);
    let args = ["jobs", "run", "credit-limits", "--period", "2026-11"];
    succeeds(&db.url, &dir, &args);
    let pending = "SELECT COUNT(*) FROM dealer_term_requests WHERE kind = 'credit_limit_proposal' AND period = '2026-11' AND status = 'pending'";
    let first = scalar(&db, pending).await;
    assert!(first > 0, "the demo company gets proposals");
    let ids_before = scalar(&db, "SELECT COALESCE(MAX(id), 0) FROM dealer_term_requests").await;

    // the server crashed after its work but before marking the run done; its lease ran out
    {
        let mut tx = db.store.begin().await.expect("tx");
        sqlx::query(
            "UPDATE jobs SET status = 'running', claimed_by = 'crashed-host:1', lease_until = $1, attempt = 1",
        )
        .bind(salesos_store::now_micros() - 1_000_000)
        .execute(tx.conn())
        .await
        .expect("pretend the run crashed");
        tx.commit().await.expect("commit");
    }
    let out = run(&db.url, &dir, &args);
    assert!(
        stdout(&out).starts_with("credit-limits 2026-11: period 2026-11:"),
        "the expired run is taken over: {}",
        stdout(&out)
    );
    assert_eq!(scalar(&db, pending).await, first, "the same proposals");
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM dealer_term_requests WHERE status = 'cancelled'"
        )
        .await,
        0,
        "nothing withdrawn and proposed again"
    );
    assert_eq!(
        scalar(&db, "SELECT COALESCE(MAX(id), 0) FROM dealer_term_requests").await,
        ids_before,
        "no new rows"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn heartbeat_keeps_a_long_run_from_being_taken_over() {
    let db = test_db().await;
    let app = App::new(db.store.clone(), Config::default());
    let actor = Actor::system(None, "test");
    let lease = Duration::from_millis(600);
    let runs = std::sync::atomic::AtomicUsize::new(0);
    let body = || async {
        runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        // four lease lengths: without renewals the lease would run out three times over
        tokio::time::sleep(lease * 4).await;
        Ok("slow".to_string())
    };
    let rival = async {
        let mut outcomes = Vec::new();
        for _ in 0..6 {
            tokio::time::sleep(lease / 2).await;
            let r = run_leased(
                &app,
                &actor,
                "slow-job",
                "2026-11",
                "rival",
                lease,
                || async {
                    runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    Ok("rival".to_string())
                },
            )
            .await
            .expect("rival attempt");
            outcomes.push(r);
        }
        outcomes
    };
    let (first, rival) = tokio::join!(
        run_leased(&app, &actor, "slow-job", "2026-11", "first", lease, body),
        rival
    );
    assert_eq!(first.expect("first run"), Outcome::Ran("slow".to_string()));
    assert!(
        rival.iter().all(|o| *o == Outcome::AlreadyClaimed),
        "{rival:?}"
    );
    assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);
    let attempts = scalar(
        &db,
        "SELECT COUNT(*) FROM jobs WHERE name = 'slow-job' AND status = 'done' AND attempt = 1 AND claimed_by = 'first'",
    )
    .await;
    assert_eq!(attempts, 1);
}
