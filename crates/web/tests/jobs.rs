//! Scheduled jobs run exactly once per period across several servers: runners on separate
//! connections to one database race for the same periods; each body runs once per period, on
//! SQLite and on PostgreSQL (`SALESOS_TEST_DB`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_app::jobs::{run_job, run_once, Outcome};
use salesos_app::{Actor, App, Config};
use salesos_store::Store;
use salesos_test_support::test_db;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const SERVERS: usize = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_period_runs_once_across_servers() {
    let db = test_db().await;
    let mut apps = Vec::new();
    for _ in 0..SERVERS {
        // a separate store (own pool, own connections) per "server"
        let store = Store::connect(&db.url).await.unwrap();
        apps.push(App::new(store, Config::default()));
    }
    let periods = ["2026-10", "2026-11"];
    let runs: Arc<Vec<AtomicUsize>> =
        Arc::new(periods.iter().map(|_| AtomicUsize::new(0)).collect());
    for round in 0..2 {
        let mut tasks = Vec::new();
        for (s, app) in apps.iter().enumerate() {
            for (p, period) in periods.iter().enumerate() {
                let app = app.clone();
                let runs = runs.clone();
                let period = period.to_string();
                tasks.push(tokio::spawn(async move {
                    let actor = Actor::system(None, "test");
                    run_once(
                        &app,
                        &actor,
                        "test-job",
                        &period,
                        &format!("server-{s}"),
                        || async {
                            runs[p].fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Ok(format!("ran {period}"))
                        },
                    )
                    .await
                    .unwrap()
                }));
            }
        }
        let mut ran = 0;
        for task in tasks {
            match task.await.unwrap() {
                Outcome::Ran(_) => ran += 1,
                Outcome::AlreadyClaimed => {}
            }
        }
        let expected = if round == 0 { periods.len() } else { 0 };
        assert_eq!(ran, expected, "round {round}");
    }
    for (p, period) in periods.iter().enumerate() {
        assert_eq!(runs[p].load(Ordering::SeqCst), 1, "{period}");
    }
    let mut conn = db.store.read().await.unwrap();
    for period in periods {
        let row = salesos_store::jobs::get(&mut conn, "test-job", period)
            .await
            .unwrap()
            .expect("a row per period");
        assert_eq!(row.status, "done");
        assert_eq!(
            row.result.as_deref(),
            Some(format!("ran {period}").as_str())
        );
        assert!(row.claimed_by.starts_with("server-"));
        assert!(row.finished_at.is_some());
    }
    drop(conn);
    for app in apps {
        app.store.close().await;
    }
}

#[tokio::test]
async fn a_failed_body_is_recorded_and_not_retried() {
    let db = test_db().await;
    let app = App::new(db.store.clone(), Config::default());
    let actor = Actor::system(None, "test");
    let r = run_once(&app, &actor, "test-job", "2026-11", "one", || async {
        Err(salesos_app::AppError::Internal("boom".into()))
    })
    .await;
    assert!(r.is_err());
    let again = run_once(&app, &actor, "test-job", "2026-11", "two", || async {
        Ok("second".to_string())
    })
    .await
    .unwrap();
    assert_eq!(again, Outcome::AlreadyClaimed);
    let mut conn = db.store.read().await.unwrap();
    let row = salesos_store::jobs::get(&mut conn, "test-job", "2026-11")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.status.as_str(), row.claimed_by.as_str()),
        ("failed", "one")
    );
}

#[tokio::test]
async fn unknown_jobs_and_bad_periods_are_refused() {
    let db = test_db().await;
    let app = App::new(db.store.clone(), Config::default());
    let actor = Actor::system(None, "test");
    let e = run_job(&app, &actor, "nope", "2026-11", "s")
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.field()), ("job.unknown", Some("name")));
    for bad in ["2026-13", "2026", "26-11", "2026-1", "x"] {
        let e = run_job(&app, &actor, "credit-limits", bad, "s")
            .await
            .unwrap_err();
        assert_eq!(
            (e.code(), e.field()),
            ("job.period_invalid", Some("period")),
            "{bad}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_credit_limit_job_proposes_once_however_many_servers_race() {
    let t = salesos_test_support::TestApp::spawn().await;
    let root = t.node("HQ").await;
    // two dealers have a sales history; the others have none, and get no proposal
    let judged =
        salesos_test_support::order_fixtures::dealers_with_sales_history(&t.app.store, 2).await;
    let mut tasks = Vec::new();
    for s in 0..4 {
        let store = Store::connect(&t.db().url).await.unwrap();
        let app = App::new(store, Config::default());
        let root = root.clone();
        tasks.push(tokio::spawn(async move {
            let actor = Actor::system(Some(&root), "test");
            let r = run_job(
                &app,
                &actor,
                "credit-limits",
                "2026-11",
                &format!("server-{s}"),
            )
            .await
            .unwrap();
            app.store.close().await;
            r
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    let ran: Vec<&String> = results
        .iter()
        .filter_map(|r| match r {
            Outcome::Ran(text) => Some(text),
            Outcome::AlreadyClaimed => None,
        })
        .collect();
    assert_eq!(ran.len(), 1, "{results:?}");
    let proposals = t
        .count("SELECT COUNT(*) AS n FROM dealer_term_requests WHERE kind = 'credit_limit_proposal' AND period = '2026-11'")
        .await;
    assert!(
        proposals > 0 && proposals <= judged.len() as i64,
        "only dealers with a sales history get proposals: {proposals}"
    );
    assert!(
        ran[0].contains(&format!(", {proposals} proposals,")),
        "{} vs {proposals}",
        ran[0]
    );
    assert_eq!(
        t.count(
            "SELECT COUNT(*) AS n FROM approval_requests WHERE doc_type = 'credit_limit_proposal'"
        )
        .await,
        proposals
    );
}
