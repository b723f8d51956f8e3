//! `salesos check` names every broken invariant: on the demo company's history, each kind of
//! corruption made behind the application's back (in a transaction that is rolled back) is
//! reported with the offending row, and a widespread one is reported for its first rows only,
//! with a count of the rest. Runs on the backend `SALESOS_TEST_DB` names.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_app::demo::DemoSize;
use salesos_store::check;
use salesos_store::sql::Sql;
use salesos_test_support::TestApp;

const LINES: u64 = 2000;

/// Runs `corrupt` in a transaction, checks inside it, rolls back; returns what check found.
async fn problems_after(t: &TestApp, corrupt: &str) -> Vec<String> {
    let mut tx = t.app.store.begin().await.unwrap();
    let changed = Sql::new(corrupt).execute(tx.conn()).await.unwrap();
    assert!(changed > 0, "{corrupt} changed nothing");
    let problems = check::run(tx.conn()).await.unwrap();
    drop(tx);
    problems
}

#[tokio::test]
async fn check_names_each_broken_invariant() {
    let t = TestApp::spawn_with_history(DemoSize::Tiny, LINES).await;
    let clean = {
        let mut conn = t.app.store.read().await.unwrap();
        check::run(&mut conn).await.unwrap()
    };
    assert!(clean.is_empty(), "{clean:#?}");

    let first_holder = "(SELECT MIN(person_id) FROM assignments WHERE valid_to IS NULL)";
    let first_dealer = "(SELECT MIN(id) FROM dealers)";
    let cases: Vec<(String, &str)> = vec![
        (
            "UPDATE org_node_links SET valid_to = '2000-01-01' WHERE valid_to IS NULL \
             AND node_id = (SELECT MIN(id) FROM org_nodes)"
                .into(),
            "open history periods, expected 1",
        ),
        (
            format!("UPDATE people SET active = 0 WHERE id = {first_holder}"),
            "deactivated but still holds a position",
        ),
        (
            format!("UPDATE people SET role = 'nobody' WHERE id = {first_holder}"),
            "current position differs from the open assignment",
        ),
        (
            format!("UPDATE dealers SET status = 'bogus' WHERE id = {first_dealer}"),
            "unknown status bogus",
        ),
        (
            format!("UPDATE dealers SET node_path = '/999/' WHERE id = {first_dealer}"),
            "node path /999/ should be",
        ),
        (
            format!(
                "UPDATE dealer_owners SET valid_to = '2000-01-01' WHERE valid_to IS NULL AND dealer_id = {first_dealer}"
            ),
            "0 open ownership periods, expected 1",
        ),
        (
            "UPDATE order_lines SET shipped_qty = quantity + 1 WHERE id = (SELECT MIN(id) FROM order_lines)"
                .into(),
            "order line",
        ),
        (
            "UPDATE invoices SET open_fen = open_fen + 1 WHERE id = (SELECT MIN(id) FROM invoices WHERE status = 'open')"
                .into(),
            "differs from gross less allocations and credits",
        ),
        (
            "UPDATE payments SET unallocated_fen = unallocated_fen + 1 WHERE id = (SELECT MIN(id) FROM payments)"
                .into(),
            "unallocated do not make",
        ),
        (
            "UPDATE payments SET unallocated_fen = unallocated_fen + 1 WHERE id = (SELECT MIN(id) FROM payments)"
                .into(),
            "differs from open invoices",
        ),
        (
            "UPDATE return_lines SET held_qty = held_qty + 1 WHERE id = (SELECT MIN(id) FROM return_lines)"
                .into(),
            "line holds",
        ),
        (
            "UPDATE return_lines SET credit_fen = credit_fen + 1 WHERE id = \
             (SELECT MIN(rl.id) FROM return_lines rl JOIN returns r ON r.id = rl.return_id WHERE r.credit_note_id IS NOT NULL)"
                .into(),
            "and its credit note",
        ),
        (
            "UPDATE sales_rollups_by_owner SET ordered_fen = ordered_fen + 1 WHERE ordered_fen <> 0 \
             AND month = (SELECT MIN(month) FROM sales_rollups_by_owner WHERE ordered_fen <> 0)"
                .into(),
            "differs from the detailed rollups",
        ),
        (
            "DELETE FROM sales_rollups WHERE month = (SELECT MIN(month) FROM sales_rollups)".into(),
            "recomputed but not kept",
        ),
        (
            "UPDATE open_receivables_rollups SET open_fen = open_fen + 1 \
             WHERE due_date = (SELECT MIN(due_date) FROM open_receivables_rollups)"
                .into(),
            "differs from the open invoices",
        ),
        (
            "UPDATE visit_counts SET visits = visits + 1 WHERE month = (SELECT MIN(month) FROM visit_counts)"
                .into(),
            "kept but not recounted",
        ),
        (
            "DELETE FROM dealer_first_orders WHERE dealer_id = (SELECT MIN(dealer_id) FROM dealer_first_orders)"
                .into(),
            "recomputed but not kept",
        ),
    ];
    for (corrupt, expected) in cases {
        let problems = problems_after(&t, &corrupt).await;
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{corrupt}: expected “{expected}” in {problems:#?}"
        );
    }

    // everything rolled back: all holds again
    let mut conn = t.app.store.read().await.unwrap();
    assert!(check::run(&mut conn).await.unwrap().is_empty());
}

/// A widespread corruption is reported for its first rows, then counted, so the report (and the
/// memory the check needs) stays small whatever the size.
#[tokio::test]
async fn check_reports_the_first_rows_and_counts_the_rest() {
    let t = TestApp::spawn_with_history(DemoSize::Tiny, LINES).await;
    let lines = t.count("SELECT COUNT(*) AS n FROM order_lines").await;
    assert!(lines > check::SHOWN + 1);
    let problems = problems_after(&t, "UPDATE order_lines SET shipped_qty = quantity + 1").await;
    let shown = problems
        .iter()
        .filter(|p| p.starts_with("order line "))
        .count();
    assert_eq!(shown as i64, check::SHOWN, "{problems:#?}");
    let more = format!(
        "{} more order lines shipped out of range not shown",
        lines - check::SHOWN
    );
    assert!(
        problems.iter().any(|p| p.starts_with(&more)),
        "{problems:#?}"
    );
}
