#![allow(clippy::expect_used, clippy::unwrap_used)]
//! `salesos jobs run credit-limits [--period YYYY-MM]` and `salesos jobs list` against the real
//! binary on the backend chosen by `SALESOS_TEST_DB`: a period runs once, a second trigger does
//! nothing, bad names and periods are errors.

use salesos_test_support::db::test_db;
use std::process::{Command, Output};

fn salesos(url: &str, data_dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_salesos"))
        .args(args)
        .env("SALESOS_DATABASE_URL", url)
        .env("SALESOS_DATA_DIR", data_dir)
        .env("SALESOS_LOG", "warn")
        .output()
        .expect("the salesos binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn credit_limit_job_runs_once_per_period() {
    let db = test_db().await;
    let dir = std::env::temp_dir().join(format!("salesos-cli-jobs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out = salesos(&db.url, &dir, &["demo", "--size", "tiny", "--no-serve"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let judged =
        salesos_test_support::order_fixtures::dealers_with_sales_history(&db.store, 1).await;
    assert_eq!(judged.len(), 1);
    let args = ["jobs", "run", "credit-limits", "--period", "2026-11"];
    let out = salesos(&db.url, &dir, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).starts_with("credit-limits 2026-11: period 2026-11:"),
        "{}",
        stdout(&out)
    );
    let out = salesos(&db.url, &dir, &args);
    assert!(out.status.success());
    assert!(stdout(&out).contains("already ran"), "{}", stdout(&out));

    let out = salesos(&db.url, &dir, &["jobs", "list"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("credit-limits"), "{}", stdout(&out));
    assert!(stdout(&out).contains("done"), "{}", stdout(&out));

    let out = salesos(&db.url, &dir, &["jobs", "run", "nope"]);
    assert!(!out.status.success());
    let out = salesos(
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
