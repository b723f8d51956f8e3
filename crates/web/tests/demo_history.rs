//! The demo company's two years of order-to-cash history (`salesos_app::demo_history`), made on
//! the tiny company at a small size: every invariant `salesos check` verifies holds, the rules
//! of order to cash hold row by row (prices from the price list on the order date, due dates
//! from the payment term, documents on the owner's territory, order owners assigned, nobody
//! over the limit without an approved exception), and the receivables reports show real,
//! plausible figures. Runs on the backend `SALESOS_TEST_DB` names.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Datelike, NaiveDate};
use salesos_app::demo::{DemoSize, DEMO_PASSWORD};
use salesos_app::reports::{self, AgingParams, OsbParams, OverdueParams};
use salesos_app::{billing, orders};
use salesos_domain::receivables::due_date;
use salesos_store::{catalogue, check};
use salesos_test_support::TestApp;
use serde_json::Value;

const LINES: u64 = 4000;

#[tokio::test]
async fn history_keeps_every_invariant_and_feeds_the_reports() {
    let t = TestApp::spawn_with_history(DemoSize::Tiny, LINES).await;

    // `salesos check` finds nothing
    let problems = {
        let mut conn = t.app.store.read().await.unwrap();
        check::run(&mut conn).await.unwrap()
    };
    assert!(problems.is_empty(), "check found: {problems:#?}");

    // about the size asked for, with every kind of document
    let lines = t.count("SELECT COUNT(*) AS n FROM order_lines").await;
    assert!(
        (LINES as i64 * 6 / 10..=LINES as i64 * 14 / 10).contains(&lines),
        "{lines} order lines for {LINES} asked"
    );
    for (what, sql, at_least) in [
        ("orders", "SELECT COUNT(*) AS n FROM orders", 200),
        (
            "closed orders",
            "SELECT COUNT(*) AS n FROM orders WHERE status = 'closed'",
            150,
        ),
        (
            "cancelled orders",
            "SELECT COUNT(*) AS n FROM orders WHERE status = 'cancelled'",
            1,
        ),
        (
            "partial shipments",
            "SELECT COUNT(*) AS n FROM orders o WHERE (SELECT COUNT(*) FROM shipments s WHERE s.order_id = o.id) > 1",
            1,
        ),
        ("invoices", "SELECT COUNT(*) AS n FROM invoices", 150),
        ("payments", "SELECT COUNT(*) AS n FROM payments", 100),
        (
            "allocations",
            "SELECT COUNT(*) AS n FROM payment_allocations",
            100,
        ),
        ("delivery claims", "SELECT COUNT(*) AS n FROM delivery_claims", 1),
        (
            "returns",
            "SELECT COUNT(*) AS n FROM credit_notes WHERE reason = 'return'",
            1,
        ),
        (
            "returns credited through the returns flow",
            "SELECT COUNT(*) AS n FROM returns r JOIN credit_notes c ON c.id = r.credit_note_id \
             JOIN approval_requests a ON a.doc_type = 'return' AND a.doc_id = r.id AND a.status = 'approved' \
             WHERE r.status = 'credited' AND c.reason = 'return' AND c.amount_fen = r.credit_fen AND c.invoice_id = r.invoice_id",
            1,
        ),
        (
            "holds released through an approval",
            "SELECT COUNT(*) AS n FROM credit_holds h JOIN approval_requests r ON r.id = h.approval_id \
             WHERE h.status = 'released' AND r.status = 'approved' AND r.doc_type = 'credit_hold' AND r.doc_id = h.id",
            1,
        ),
        (
            "approved steps",
            "SELECT COUNT(*) AS n FROM approval_steps WHERE status = 'approved' AND acted_by IS NOT NULL",
            1,
        ),
    ] {
        let n = t.count(sql).await;
        assert!(n >= at_least, "{what}: {n}, expected at least {at_least}");
    }
    let today = t.app.today();
    let overdue_now = t
        .count(&format!(
            "SELECT COUNT(*) AS n FROM invoices WHERE status = 'open' AND due_date < '{today}'"
        ))
        .await;
    assert!(overdue_now > 0, "some invoices are overdue now");

    for (what, sql) in [
        (
            "orders without their three owners",
            "SELECT COUNT(*) AS n FROM orders WHERE desk_rep_id IS NULL OR shipping_coordinator_id IS NULL OR billing_rep_id IS NULL",
        ),
        (
            "orders not on the territory and owner of their dealer on the order date",
            "SELECT COUNT(*) AS n FROM orders o WHERE NOT EXISTS (SELECT 1 FROM dealer_owners w WHERE w.dealer_id = o.dealer_id \
             AND w.owner_id = o.owner_id AND w.node_path = o.node_path AND w.valid_from <= o.order_date \
             AND (w.valid_to IS NULL OR w.valid_to > o.order_date))",
        ),
        (
            "shipments, invoices or credit notes off their order's territory",
            "SELECT (SELECT COUNT(*) FROM shipments s JOIN orders o ON o.id = s.order_id WHERE s.node_path <> o.node_path OR s.owner_id <> o.owner_id) \
             + (SELECT COUNT(*) FROM invoices i JOIN orders o ON o.id = i.order_id WHERE i.node_path <> o.node_path OR i.owner_id <> o.owner_id) \
             + (SELECT COUNT(*) FROM credit_notes c JOIN invoices i ON i.id = c.invoice_id WHERE c.node_path <> i.node_path OR c.owner_id <> i.owner_id) AS n",
        ),
        (
            "dealers over their limit without an approved exception",
            "SELECT COUNT(*) AS n FROM dealers d JOIN dealer_balances b ON b.dealer_id = d.id WHERE b.exposure_fen > d.credit_limit_fen \
             AND NOT EXISTS (SELECT 1 FROM credit_holds h WHERE h.dealer_id = d.id AND h.status = 'released')",
        ),
        (
            "orders confirmed over the limit without a released hold",
            "SELECT COUNT(*) AS n FROM credit_holds h WHERE h.status = 'released' AND NOT EXISTS \
             (SELECT 1 FROM approval_requests r WHERE r.id = h.approval_id AND r.status = 'approved')",
        ),
        (
            "credit notes for returns without their return",
            "SELECT COUNT(*) AS n FROM credit_notes c WHERE c.reason = 'return' AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.credit_note_id = c.id)",
        ),
        (
            "returned units beyond the invoiced line",
            "SELECT COUNT(*) AS n FROM return_lines rl JOIN invoice_lines l ON l.id = rl.invoice_line_id WHERE rl.accepted_qty > l.quantity OR rl.credit_fen > l.gross_fen",
        ),
        (
            "returns above what the invoice billed",
            "SELECT COUNT(*) AS n FROM credit_notes c JOIN invoices i ON i.id = c.invoice_id WHERE c.amount_fen > i.gross_fen",
        ),
        (
            "invoices not equal to their shipment's billable value",
            "SELECT COUNT(*) AS n FROM invoices i JOIN shipments s ON s.id = i.shipment_id WHERE i.gross_fen <> s.value_fen",
        ),
        (
            "payments dated before the invoices they pay",
            "SELECT COUNT(*) AS n FROM payment_allocations a JOIN invoices i ON i.id = a.invoice_id WHERE a.allocated_on < i.invoice_date",
        ),
        (
            "documents dated after today",
            &format!(
                "SELECT (SELECT COUNT(*) FROM orders WHERE order_date > '{today}') + (SELECT COUNT(*) FROM invoices WHERE invoice_date > '{today}') \
                 + (SELECT COUNT(*) FROM payments WHERE received_on > '{today}') + (SELECT COUNT(*) FROM shipments WHERE shipped_on > '{today}') AS n"
            ),
        ),
    ] {
        assert_eq!(t.count(sql).await, 0, "{what}");
    }

    // prices come from the dealer's price list on the order date; due dates from the term
    let director = t.actor("director").await;
    let first = t.count("SELECT MIN(id) AS n FROM orders").await;
    let mut checked_lines = 0;
    for id in first..first + 40 {
        let order = orders::get(&t.app, &director, id).await.unwrap();
        let mut conn = t.app.store.read().await.unwrap();
        for line in &order.lines {
            let listed = catalogue::price_on(
                &mut conn,
                order.order.dealer_id,
                line.product_id,
                &order.order.order_date,
            )
            .await
            .unwrap()
            .map(|p| p.price_fen);
            assert_eq!(listed, Some(line.unit_price_fen), "order {id}");
            assert_eq!(line.amount_fen, line.quantity * line.unit_price_fen);
            checked_lines += 1;
        }
        let total: i64 = order.lines.iter().map(|l| l.amount_fen).sum();
        assert_eq!(order.order.total_fen, total, "order {id}");
    }
    assert!(checked_lines > 40);
    let first_invoice = t.count("SELECT MIN(id) AS n FROM invoices").await;
    for id in first_invoice..first_invoice + 40 {
        let inv = billing::get_invoice(&t.app, &director, id).await.unwrap();
        let day = NaiveDate::parse_from_str(&inv.invoice.invoice_date, "%Y-%m-%d").unwrap();
        let due = due_date(day, inv.invoice.payment_term_days).unwrap();
        assert_eq!(inv.invoice.due_date, due.to_string(), "invoice {id}");
        let lines: i64 = inv.lines.iter().map(|l| l.gross_fen).sum();
        assert_eq!(inv.invoice.gross_fen, lines);
        assert_eq!(
            inv.invoice.net_fen + inv.invoice.tax_fen,
            inv.invoice.gross_fen
        );
    }

    // the reports show something real
    let aging = reports::aging(&t.app, &director, &AgingParams::default())
        .await
        .unwrap();
    assert!(!aging.groups.is_empty());
    assert!(aging.total_fen > 0);
    let overdue_part: i64 = aging.totals_fen.iter().skip(1).sum();
    assert!(overdue_part > 0, "some receivables are past due");
    let dso = aging.dso.dso_tenths.expect("a DSO figure");
    assert!((50..=1500).contains(&dso), "DSO {} days", dso as f64 / 10.0);
    let overdue = reports::overdue_list(&t.app, &director, &OverdueParams::default())
        .await
        .unwrap();
    assert!(!overdue.reps.is_empty() && overdue.total_fen > 0);
    let today_date = NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap();
    let last_month = today_date.with_day(1).unwrap() - chrono::Duration::days(1);
    let osb = reports::osb_review(
        &t.app,
        &director,
        &OsbParams {
            month: Some(format!(
                "{:04}-{:02}",
                last_month.year(),
                last_month.month()
            )),
            on_time_days: None,
        },
    )
    .await
    .unwrap();
    assert!(osb.total.orders > 0 && osb.total.order_amount_fen > 0);
    let fill = osb.total.fill_rate_permille.expect("a fill rate");
    assert!((800..=1000).contains(&fill), "fill rate {fill}‰");
    assert!(osb.total.invoiced_fen > 0);
    assert!(osb.total.dso_tenths.is_some());

    // and through the API, scoped: a rep sees only their own dealers' receivables
    let token = t.token_for("director").await;
    let all: Value = t
        .api_client()
        .get(t.url("/api/v1/reports/aging"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["total_fen"].as_i64(), Some(aging.total_fen));
    let rep = t.actor("rep.sh1.1").await;
    let own = reports::aging(&t.app, &rep, &AgingParams::default())
        .await
        .unwrap();
    assert!(own.total_fen < aging.total_fen);
}

#[tokio::test]
async fn the_same_seed_makes_the_same_history() {
    let a = TestApp::spawn_with_history(DemoSize::Tiny, 1500).await;
    let b = TestApp::spawn_with_history(DemoSize::Tiny, 1500).await;
    for sql in [
        "SELECT COUNT(*) AS n FROM order_lines",
        "SELECT CAST(COALESCE(SUM(total_fen), 0) AS BIGINT) AS n FROM orders",
        "SELECT CAST(COALESCE(SUM(open_fen), 0) AS BIGINT) AS n FROM invoices",
        "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS n FROM payments",
        "SELECT COUNT(*) AS n FROM credit_ledger",
        "SELECT CAST(COALESCE(SUM(exposure_fen), 0) AS BIGINT) AS n FROM dealer_balances",
    ] {
        assert_eq!(a.count(sql).await, b.count(sql).await, "{sql}");
    }
    assert!(a.count("SELECT COUNT(*) AS n FROM order_lines").await > 500);
}

#[tokio::test]
async fn handed_over_dealers_keep_their_past_documents_with_the_old_owner() {
    // the standard company (several reps per city) with a thin history
    let t = TestApp::spawn_with_history(DemoSize::Standard, 3000).await;
    let problems = {
        let mut conn = t.app.store.read().await.unwrap();
        check::run(&mut conn).await.unwrap()
    };
    assert!(problems.is_empty(), "check found: {problems:#?}");
    let handovers = t
        .count("SELECT COUNT(*) AS n FROM dealer_owners WHERE valid_to IS NOT NULL")
        .await;
    assert!(handovers > 10, "{handovers} hand-overs");
    let old_owner = t
        .count("SELECT COUNT(*) AS n FROM orders o JOIN dealers d ON d.id = o.dealer_id WHERE o.owner_id <> d.owner_id")
        .await;
    assert!(
        old_owner > 0,
        "orders taken before a hand-over stay with the old owner"
    );
    let new_owner = t
        .count(
            "SELECT COUNT(*) AS n FROM orders o JOIN dealer_owners w ON w.dealer_id = o.dealer_id AND w.valid_to IS NULL \
             WHERE o.owner_id = w.owner_id AND o.order_date >= w.valid_from AND w.valid_from > '2024-01-01'",
        )
        .await;
    assert!(
        new_owner > 0,
        "orders after a hand-over go to the new owner"
    );
    for sql in [
        "SELECT COUNT(*) AS n FROM orders o WHERE NOT EXISTS (SELECT 1 FROM dealer_owners w WHERE w.dealer_id = o.dealer_id \
         AND w.owner_id = o.owner_id AND w.valid_from <= o.order_date AND (w.valid_to IS NULL OR w.valid_to > o.order_date))",
        "SELECT COUNT(*) AS n FROM payments p WHERE NOT EXISTS (SELECT 1 FROM dealer_owners w WHERE w.dealer_id = p.dealer_id \
         AND w.owner_id = p.owner_id AND w.valid_from <= p.received_on AND (w.valid_to IS NULL OR w.valid_to > p.received_on))",
        "SELECT COUNT(*) AS n FROM ar_ledger l JOIN invoices i ON l.doc_type = 'invoice' AND i.id = l.doc_id WHERE l.owner_id <> i.owner_id",
    ] {
        assert_eq!(t.count(sql).await, 0, "{sql}");
    }
}

#[tokio::test]
async fn the_demo_with_history_has_an_approved_plan_and_the_months_focus() {
    use salesos_app::{dashboards, targets};
    let t = TestApp::spawn_with_history(DemoSize::Standard, 3000).await;
    let today = NaiveDate::parse_from_str(&t.app.today(), "%Y-%m-%d").unwrap();
    let (year, month) = (
        today.year(),
        format!("{}-{:02}", today.year(), today.month()),
    );

    // one plan, drawn up by the deputy, approved by the director through the engine: locked
    assert_eq!(t.count("SELECT COUNT(*) AS n FROM target_plans").await, 1);
    let approved = t
        .count(&format!(
            "SELECT COUNT(*) AS n FROM target_plans p \
             JOIN approval_requests r ON r.id = p.approval_id AND r.doc_type = 'target_plan' AND r.doc_id = p.id \
             JOIN people d ON d.id = r.requested_by AND d.login = 'deputy' \
             JOIN approval_steps s ON s.request_id = r.id AND s.status = 'approved' \
             JOIN people a ON a.id = s.acted_by AND a.login = 'director' \
             WHERE p.status = 'approved' AND r.status = 'approved' AND p.period = '{year}'"
        ))
        .await;
    assert_eq!(approved, 1, "the plan is approved by the director");
    let director = t.app_session_actor("director", DEMO_PASSWORD).await;
    let top_id = t
        .count("SELECT id AS n FROM targets WHERE parent_id IS NULL AND plan_id IS NOT NULL")
        .await;
    let locked = targets::set_amount(&t.app, &director, top_id, 1).await;
    assert!(
        matches!(locked, Err(salesos_app::AppError::Conflict(ref e)) if e.code == "target.locked"),
        "{locked:?}"
    );

    // the year's company target: last year's ordered amount × 112%, in whole yuan
    let last_year = t
        .count(&format!(
            "SELECT CAST(COALESCE(SUM(ordered_fen), 0) AS BIGINT) AS n FROM sales_rollups_by_owner \
             WHERE month >= '{0}-01' AND month <= '{0}-12'",
            year - 1
        ))
        .await;
    assert!(last_year > 0, "the history covers last year");
    let top = t
        .count(&format!(
            "SELECT amount AS n FROM targets WHERE id = {top_id}"
        ))
        .await;
    assert_eq!(top, (last_year as i128 * 112 / 100 + 50) as i64 / 100 * 100);
    // its quarters and months add up to it exactly
    for kind in ["quarter", "month"] {
        let (n, sum) = (
            t.count(&format!(
                "SELECT COUNT(*) AS n FROM targets t JOIN targets y ON y.id = {top_id} \
                 WHERE t.plan_id = y.plan_id AND t.node_id = y.node_id AND t.person_id IS NULL AND t.period_kind = '{kind}'"
            ))
            .await,
            t.count(&format!(
                "SELECT CAST(SUM(t.amount) AS BIGINT) AS n FROM targets t JOIN targets y ON y.id = {top_id} \
                 WHERE t.plan_id = y.plan_id AND t.node_id = y.node_id AND t.person_id IS NULL AND t.period_kind = '{kind}'"
            ))
            .await,
        );
        assert_eq!(
            (n, sum),
            (if kind == "month" { 12 } else { 4 }, top),
            "{kind}"
        );
    }
    // every market's, area's and city's target (year and months) is split exactly over the
    // units or people below it
    for kind in ["market", "area", "city"] {
        let targets_of_kind = t
            .count(&format!(
                "SELECT COUNT(*) AS n FROM targets t JOIN org_nodes n ON n.id = t.node_id \
                 WHERE n.kind = '{kind}' AND t.person_id IS NULL"
            ))
            .await;
        let units = t
            .count(&format!(
                "SELECT COUNT(*) AS n FROM org_nodes WHERE kind = '{kind}'"
            ))
            .await;
        assert_eq!(
            targets_of_kind,
            units * 13,
            "{kind}: a year and 12 months each"
        );
        let off = t
            .count(&format!(
                "SELECT COUNT(*) AS n FROM targets t JOIN org_nodes n ON n.id = t.node_id \
                 WHERE n.kind = '{kind}' AND t.person_id IS NULL AND t.amount <> \
                 (SELECT COALESCE(SUM(c.amount), -1) FROM targets c WHERE c.parent_id = t.id)"
            ))
            .await;
        assert_eq!(off, 0, "{kind} targets whose parts do not add up");
    }
    // bottom-up figures from the market managers and the East market's area managers
    assert!(
        t.count("SELECT COUNT(*) AS n FROM targets WHERE submitted_amount IS NOT NULL")
            .await
            >= 8 + 5
    );

    // a rep's home: this month's target, their place among the area's people, the target line
    let rep = t.app_session_actor("rep.sh1.1", DEMO_PASSWORD).await;
    let home = dashboards::home(&t.app, &rep).await.unwrap();
    let target = home
        .month_target
        .as_ref()
        .expect("rep.sh1.1 has a target this month");
    assert_eq!(target.target.period, month);
    assert_eq!(target.target.person_id, rep.person_id());
    assert!(home.year_target.is_some());
    assert!(home.leaderboard.len() > 1, "{:?}", home.leaderboard.len());
    assert!(home
        .leaderboard
        .iter()
        .any(|r| r.view.target.person_id == rep.person_id()));
    assert_eq!(
        home.trend.last().and_then(|p| p.target),
        Some(target.target.amount)
    );
    // the leadership's and managers' homes: their unit and the units below against their month
    // targets (the company's December target comes after 2,000 earlier targets in the plan)
    for login in ["director", "mm.e", "am.sh"] {
        let manager = t.app_session_actor(login, DEMO_PASSWORD).await;
        let home = dashboards::home(&t.app, &manager).await.unwrap();
        let target = home.month_target.as_ref();
        assert_eq!(
            target.map(|m| m.target.period.as_str()),
            Some(month.as_str()),
            "{login}"
        );
        assert!(!home.by_child.is_empty(), "{login}");
        assert!(home.by_child.iter().all(|c| c.target.is_some()), "{login}");
    }
    // the KAMs' targets come from their area's
    let kam_targets = t
        .count(&format!(
            "SELECT COUNT(*) AS n FROM targets t JOIN people p ON p.id = t.person_id \
             JOIN targets a ON a.id = t.parent_id AND a.node_id = p.node_id AND a.person_id IS NULL \
             WHERE p.role = 'kam' AND t.period = '{month}'"
        ))
        .await;
    assert_eq!(
        kam_targets,
        t.count("SELECT COUNT(*) AS n FROM people WHERE role = 'kam'")
            .await
    );

    // the month's focus: a main priority and two secondary ones, a goal for every market
    let focus = targets::focus(&t.app, &month).await.unwrap();
    assert_eq!(focus.len(), 3);
    assert_eq!(focus[0].rank, 1);
    let markets = t
        .count("SELECT COUNT(*) AS n FROM org_nodes WHERE kind = 'market'")
        .await;
    assert!(focus.iter().all(|f| f.goals.len() as i64 == markets));
    assert_eq!(home.focus.len(), 3, "the focus is on the home page");
}
