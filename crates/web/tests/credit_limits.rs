//! The monthly suggested-credit-limit job on fixture dealers with known histories: exact
//! proposals (sales average × cover, payment lateness, overdue months, growth, rounding and
//! bounds), approval routing by the increase, approval applying the limit with its history row,
//! rejection leaving it, once per period, and the scoped list (API and page).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::Method;
use salesos_app::jobs::{run_job, Outcome};
use salesos_app::Actor;
use salesos_store::now_micros;
use salesos_store::sql::Sql;
use salesos_test_support::{order_fixtures, TestApp};
use serde_json::{json, Value};

const PERIOD: &str = "2026-11";

async fn order(t: &TestApp, dealer: i64, date: &str, total: i64, status: &str) {
    order_fixtures::history_order(&t.app.store, dealer, date, total, status).await;
}

async fn months(t: &TestApp, dealer: i64, amounts: &[(String, i64)]) {
    order_fixtures::monthly_orders(&t.app.store, dealer, amounts).await;
}

fn month_list(first: (i32, u32), count: u32) -> Vec<String> {
    let (mut y, mut m) = first;
    let mut out = Vec::new();
    for _ in 0..count {
        out.push(format!("{y:04}-{m:02}"));
        m += 1;
        if m == 13 {
            m = 1;
            y += 1;
        }
    }
    out
}

async fn invoice(t: &TestApp, dealer: i64, n: u32, issued: &str, due: &str, paid: Option<&str>) {
    let mut tx = t.app.store.begin().await.unwrap();
    let mut sql = Sql::new(
        "INSERT INTO invoices (number, dealer_id, invoice_date, due_date, payment_term_days, net_fen, tax_fen, gross_fen, open_fen, status, paid_on, node_path, owner_id, created_at, updated_at) SELECT ",
    );
    sql.bind(format!("INV-CL-{dealer}-{n}"))
        .push(", id, ")
        .bind(issued)
        .push(", ")
        .bind(due)
        .push(", 30, 100000, 13000, 113000, ")
        .bind(if paid.is_some() { 0i64 } else { 113_000 })
        .push(", ")
        .bind(if paid.is_some() { "paid" } else { "open" })
        .push(", ")
        .bind(paid.map(str::to_string))
        .push(", node_path, owner_id, ")
        .bind(now_micros())
        .push(", ")
        .bind(now_micros())
        .push(" FROM dealers WHERE id = ")
        .bind(dealer);
    sql.execute(tx.conn()).await.unwrap();
    tx.commit().await.unwrap();
}

fn proposal_for(list: &Value, dealer: i64) -> Option<Value> {
    list.as_array()
        .unwrap()
        .iter()
        .find(|p| p["dealer_id"] == dealer)
        .cloned()
}

#[tokio::test]
async fn monthly_proposals_are_exact_and_go_through_approval() {
    let t = TestApp::spawn().await;
    // the 12 months before the period, and all 24
    let last12 = month_list((2025, 11), 12);
    let all24 = month_list((2024, 11), 24);

    // A: ¥12,000 a month for a year, nothing before → 1.5 × 1,200,000 = 1,800,000 (limit was
    // 10,000,000: a decrease); every sold order counts however far it got (open, shipped,
    // closed); a cancelled order does not count
    let a = order_fixtures::dealer(&t, "C-SH1", "rep.sh1.1", 10_000_000).await;
    let sold = ["confirmed", "partially_shipped", "shipped", "closed"];
    for (i, month) in last12.iter().enumerate() {
        order(
            &t,
            a,
            &format!("{month}-15"),
            1_200_000,
            sold[i % sold.len()],
        )
        .await;
    }
    order(&t, a, "2026-05-20", 99_000_000, "cancelled").await;
    // B: ¥10,000 a month for two years, doubled in the last three months → growth capped at
    // 1.3: 15,000,000 / 12 × 1.5 × 1.3 = 2,437,500 → rounded down to 2,400,000
    let b = order_fixtures::dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let b_months: Vec<(String, i64)> = all24
        .iter()
        .enumerate()
        .map(|(i, m)| (m.clone(), if i >= 21 { 2_000_000 } else { 1_000_000 }))
        .collect();
    months(&t, b, &b_months).await;
    // C: like A but the limit already is the proposal → nothing to approve
    let c = order_fixtures::dealer(&t, "C-SH1", "rep.sh1.1", 1_800_000).await;
    months(
        &t,
        c,
        &last12
            .iter()
            .map(|m| (m.clone(), 1_200_000))
            .collect::<Vec<_>>(),
    )
    .await;
    // D: like A, pays 45 days on average on a 30-day term (15 days late: × 0.85) and has one
    // invoice overdue beyond the grace period at the end of Jul, Aug, Sep and Oct (× 0.80):
    // 1,800,000 × 0.85 × 0.8 = 1,224,000 → 1,200,000
    let d = order_fixtures::dealer(&t, "C-SH1", "rep.sh1.1", 10_000_000).await;
    months(
        &t,
        d,
        &last12
            .iter()
            .map(|m| (m.clone(), 1_200_000))
            .collect::<Vec<_>>(),
    )
    .await;
    invoice(&t, d, 1, "2026-03-01", "2026-03-31", Some("2026-04-20")).await;
    invoice(&t, d, 2, "2026-05-01", "2026-05-31", Some("2026-06-10")).await;
    invoice(&t, d, 3, "2026-06-01", "2026-07-01", None).await;
    // E: ¥1,000,000 a month → 150,000,000, an increase of 149,000,000: the director decides
    let e = order_fixtures::dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    months(
        &t,
        e,
        &last12
            .iter()
            .map(|m| (m.clone(), 100_000_000))
            .collect::<Vec<_>>(),
    )
    .await;
    // F: no sales at all in the window → nothing to base a proposal on: none is made
    let f = order_fixtures::dealer(&t, "C-SH1", "rep.sh1.1", 5_000_000).await;
    // G: ¥100 a month → 150 yuan of cover, lifted to the minimum for an active dealer,
    // 1,000,000 (limit 5,000,000)
    let g = order_fixtures::dealer(&t, "C-SH1", "rep.sh1.1", 5_000_000).await;
    months(
        &t,
        g,
        &last12
            .iter()
            .map(|m| (m.clone(), 10_000))
            .collect::<Vec<_>>(),
    )
    .await;

    let root = t.node("HQ").await;
    let system = Actor::system(Some(&root), "test");
    let outcome = run_job(&t.app, &system, "credit-limits", PERIOD, "test")
        .await
        .unwrap();
    assert!(
        matches!(outcome, Outcome::Ran(ref r) if r.starts_with("period 2026-11")),
        "{outcome:?}"
    );
    // once per period
    assert_eq!(
        run_job(&t.app, &system, "credit-limits", PERIOD, "again")
            .await
            .unwrap(),
        Outcome::AlreadyClaimed
    );

    let mm_e = t.token_for("mm.e").await;
    let (status, list) = t
        .api_json(
            &mm_e,
            Method::GET,
            &format!("/api/v1/credit-limit-proposals?period={PERIOD}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{list}");
    let expected = [
        (a, 10_000_000, 1_800_000),
        (b, 1_000_000, 2_400_000),
        (d, 10_000_000, 1_200_000),
        (e, 1_000_000, 150_000_000),
        (g, 5_000_000, 1_000_000),
    ];
    for (dealer, current, proposed) in expected {
        let p = proposal_for(&list, dealer).unwrap_or_else(|| panic!("no proposal for {dealer}"));
        assert_eq!(
            (
                p["current_limit_fen"].as_i64(),
                p["proposed_limit_fen"].as_i64()
            ),
            (Some(current), Some(proposed)),
            "{p}"
        );
        assert_eq!(p["status"], "pending");
        assert_eq!(p["period"], PERIOD);
    }
    assert!(proposal_for(&list, c).is_none(), "C's limit already fits");
    assert!(
        proposal_for(&list, f).is_none(),
        "F has no sales history to judge"
    );
    // the factors the approver sees
    let pd = proposal_for(&list, d).unwrap();
    let fd = &pd["factors"];
    assert_eq!(fd["history"]["average_days_to_pay"], 45);
    assert_eq!(fd["history"]["overdue_months"], 4);
    assert_eq!(fd["proposal"]["days_late"], 15);
    assert_eq!(fd["proposal"]["payment_factor_bp"], 8_500);
    assert_eq!(fd["proposal"]["overdue_factor_bp"], 8_000);
    assert_eq!(fd["proposal"]["unrounded"], 1_224_000);
    let fb = &proposal_for(&list, b).unwrap()["factors"]["proposal"];
    assert_eq!(fb["sales_12_months"], 15_000_000);
    assert_eq!(fb["growth_factor_bp"], 13_000);
    assert_eq!(fb["unrounded"], 2_437_500);
    let fg = &proposal_for(&list, g).unwrap()["factors"]["proposal"];
    assert_eq!(fg["bound"], "minimum");

    // routing: E's increase goes to the director, A's decrease to the market manager
    let director = t.token_for("director").await;
    let pe = proposal_for(&list, e).unwrap();
    let (_, ae) = t
        .api_json(
            &director,
            Method::GET,
            &format!("/api/v1/approvals/{}", pe["approval_id"]),
            None,
        )
        .await;
    assert_eq!(ae["request"]["doc_type"], "credit_limit_proposal");
    // the approver's queue line says why
    let (_, ad) = t
        .api_json(
            &mm_e,
            Method::GET,
            &format!("/api/v1/approvals/{}", pd["approval_id"]),
            None,
        )
        .await;
    let summary = ad["request"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("15 days late, 4 overdue months, growth 10000 bp"),
        "{summary}"
    );
    assert_eq!(ae["steps"][0]["approver_role"], "director", "{ae}");

    // approving A applies the limit with a history row carrying the approval
    let pa = proposal_for(&list, a).unwrap();
    let (status, body) = t
        .api_json(
            &mm_e,
            Method::POST,
            &format!("/api/v1/approvals/{}/approve", pa["approval_id"]),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, da) = t
        .api_json(&mm_e, Method::GET, &format!("/api/v1/dealers/{a}"), None)
        .await;
    assert_eq!(da["dealer"]["credit_limit_fen"], 1_800_000);
    let terms = da["terms"].as_array().unwrap();
    assert_eq!(terms.len(), 1);
    assert_eq!(terms[0]["field"], "credit_limit_fen");
    assert_eq!(terms[0]["approval_id"], pa["approval_id"]);
    // rejecting B leaves it
    let pb = proposal_for(&list, b).unwrap();
    let (status, body) = t
        .api_json(
            &mm_e,
            Method::POST,
            &format!("/api/v1/approvals/{}/reject", pb["approval_id"]),
            Some(json!({ "reason": "wait a quarter" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, db) = t
        .api_json(&mm_e, Method::GET, &format!("/api/v1/dealers/{b}"), None)
        .await;
    assert_eq!(db["dealer"]["credit_limit_fen"], 1_000_000);
    let (_, list) = t
        .api_json(
            &mm_e,
            Method::GET,
            &format!("/api/v1/credit-limit-proposals?period={PERIOD}"),
            None,
        )
        .await;
    assert_eq!(proposal_for(&list, a).unwrap()["status"], "approved");
    assert_eq!(proposal_for(&list, b).unwrap()["status"], "rejected");

    // scope: the North market sees none of these; the warehouse may not look; bad period → 422
    let mm_n = t.token_for("mm.n").await;
    let (status, list_n) = t
        .api_json(&mm_n, Method::GET, "/api/v1/credit-limit-proposals", None)
        .await;
    assert_eq!(status, 200);
    for dealer in [a, b, d, e, f] {
        assert!(proposal_for(&list_n, dealer).is_none());
    }
    let warehouse = t.token_for("warehouse").await;
    assert_eq!(
        t.api_json(
            &warehouse,
            Method::GET,
            "/api/v1/credit-limit-proposals",
            None
        )
        .await
        .0,
        403
    );
    let (status, body) = t
        .api_json(
            &mm_e,
            Method::GET,
            "/api/v1/credit-limit-proposals?period=2026-13",
            None,
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("period")),
        "{body}"
    );
    // the page
    let client = t.sign_in_demo("mm.e").await;
    let res = client.get(t.url("/credit-limits")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("credit-limit-proposals"));
    assert!(html.contains("¥24,000"), "B's proposal shows in yuan");
}
