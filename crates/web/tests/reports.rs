//! Order-to-cash reports against fixtures with known figures (see
//! `salesos_test_support::report_fixtures`): exact aging buckets, DSO, the overdue follow-up
//! list, reconciliation statement balances and the monthly OSB review; scopes; validation;
//! pages and XLSX/CSV downloads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_test_support::report_fixtures::{receivables, ReportFixture};
use salesos_test_support::{problem, TestApp};
use serde_json::Value;

async fn get(t: &TestApp, token: &str, path: &str) -> reqwest::Response {
    t.api_client()
        .get(t.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn json(t: &TestApp, token: &str, path: &str) -> Value {
    let res = get(t, token, path).await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, 200, "GET {path}: {text}");
    serde_json::from_str(&text).unwrap()
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

fn group(report: &Value, id: i64) -> &Value {
    report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == id)
        .unwrap_or_else(|| panic!("no group {id} in {report}"))
}

async fn setup() -> (TestApp, ReportFixture) {
    let t = TestApp::spawn().await;
    let f = receivables(&t).await;
    (t, f)
}

#[tokio::test]
async fn aging_default_buckets_and_dso_are_exact() {
    let (t, f) = setup().await;
    let r = json(
        &t,
        &f.rep_x_token,
        "/api/v1/reports/aging?as_of=2021-06-30&from=2021-04-01",
    )
    .await;
    assert_eq!(
        r["labels"],
        serde_json::json!(["current", "1-30", "31-60", "61-90", "90+"])
    );
    assert_eq!(r["groups"].as_array().unwrap().len(), 2, "{r}");
    assert_eq!(
        ints(&group(&r, f.dealer_a)["buckets_fen"]),
        vec![20_000, 45_000, 0, 0, 70_000]
    );
    assert_eq!(group(&r, f.dealer_a)["total_fen"], 135_000);
    assert_eq!(group(&r, f.dealer_a)["invoices"], 3);
    assert_eq!(
        ints(&group(&r, f.dealer_b)["buckets_fen"]),
        vec![0, 0, 0, 80_000, 0]
    );
    assert_eq!(
        ints(&r["totals_fen"]),
        vec![20_000, 45_000, 0, 80_000, 70_000]
    );
    assert_eq!(r["total_fen"], 215_000);
    // DSO: 2150.00 open on 1500.00 invoiced over 91 days = 130.43… → 130.4
    assert_eq!(r["dso"]["days"], 91);
    assert_eq!(r["dso"]["sales_fen"], 150_000);
    assert_eq!(r["dso"]["open_fen"], 215_000);
    assert_eq!(r["dso"]["dso_tenths"], 1304);

    // earlier as-of: A3 not issued yet, the credit note not yet given, A1's payment not yet in
    let r = json(
        &t,
        &f.rep_x_token,
        "/api/v1/reports/aging?as_of=2021-04-05&group_by=rep",
    )
    .await;
    let rep = group(&r, f.rep_x);
    // A1 100000 (5 days), B1 80000 (current, due 04-16)
    assert_eq!(ints(&rep["buckets_fen"]), vec![80_000, 100_000, 0, 0, 0]);
}

#[tokio::test]
async fn aging_custom_buckets_and_groupings() {
    let (t, f) = setup().await;
    let r = json(
        &t,
        &f.rep_x_token,
        "/api/v1/reports/aging?as_of=2021-06-30&buckets=30,60",
    )
    .await;
    assert_eq!(r["labels"], serde_json::json!(["0-30", "31-60", "60+"]));
    assert_eq!(
        ints(&group(&r, f.dealer_a)["buckets_fen"]),
        vec![65_000, 0, 70_000]
    );
    assert_eq!(
        ints(&group(&r, f.dealer_b)["buckets_fen"]),
        vec![0, 0, 80_000]
    );
    for (by, id) in [
        ("rep", f.rep_x),
        ("area", f.area_sh),
        ("market", f.market_east),
    ] {
        let r = json(
            &t,
            &f.rep_x_token,
            &format!("/api/v1/reports/aging?as_of=2021-06-30&group_by={by}"),
        )
        .await;
        assert_eq!(r["groups"].as_array().unwrap().len(), 1, "{by}: {r}");
        assert_eq!(group(&r, id)["total_fen"], 215_000, "{by}");
    }
    // a director sees both reps' dealers, each with its own figures
    let director = t.token_for("director").await;
    let r = json(
        &t,
        &director,
        "/api/v1/reports/aging?as_of=2021-06-30&group_by=dealer",
    )
    .await;
    assert_eq!(group(&r, f.dealer_c)["total_fen"], 60_000);
    assert_eq!(
        ints(&group(&r, f.dealer_c)["buckets_fen"]),
        vec![0, 60_000, 0, 0, 0]
    );
    assert_eq!(group(&r, f.dealer_a)["total_fen"], 135_000);
}

#[tokio::test]
async fn bad_report_parameters_are_422_with_the_field() {
    let (t, f) = setup().await;
    for (query, code, field) in [
        (
            "buckets=60,30",
            "receivables.aging_boundaries_not_increasing",
            "buckets",
        ),
        ("buckets=abc", "report.buckets_invalid", "buckets"),
        (
            "buckets=-5",
            "receivables.aging_boundary_out_of_range",
            "buckets",
        ),
        ("group_by=city", "report.group_invalid", "group_by"),
        ("as_of=2021-02-30", "date.invalid", "as_of"),
        (
            "as_of=2021-06-30&from=2020-01-01",
            "receivables.period_days_invalid",
            "from",
        ),
    ] {
        let res = get(
            &t,
            &f.rep_x_token,
            &format!("/api/v1/reports/aging?{query}"),
        )
        .await;
        let p = problem(res).await;
        assert_eq!(p.status, 422, "{query}");
        assert_eq!(p.code, code, "{query}");
        assert_eq!(p.field.as_deref(), Some(field), "{query}");
    }
    let p = problem(get(&t, &f.rep_x_token, "/api/v1/reports/overdue?grace_days=-1").await).await;
    assert_eq!(
        (p.status, p.code.as_str()),
        (422, "receivables.grace_days_invalid")
    );
    let p = problem(get(&t, &f.rep_x_token, "/api/v1/reports/osb?month=2021-13").await).await;
    assert_eq!((p.status, p.code.as_str()), (422, "report.month_invalid"));
    let p = problem(get(&t, &f.rep_x_token, "/api/v1/reports/osb?on_time_days=99").await).await;
    assert_eq!(p.field.as_deref(), Some("on_time_days"));
    let p = problem(
        get(
            &t,
            &f.rep_x_token,
            &format!(
                "/api/v1/reports/statements/{}?from=2021-07-01&to=2021-06-01",
                f.dealer_a
            ),
        )
        .await,
    )
    .await;
    assert_eq!((p.status, p.code.as_str()), (422, "report.period_invalid"));
    // a role without the capability
    let warehouse = t.token_for("warehouse").await;
    assert_eq!(
        get(&t, &warehouse, "/api/v1/reports/aging").await.status(),
        403
    );
}

#[tokio::test]
async fn overdue_list_per_rep_for_the_follow_up_calls() {
    let (t, f) = setup().await;
    let r = json(
        &t,
        &f.rep_x_token,
        "/api/v1/reports/overdue?as_of=2021-06-30",
    )
    .await;
    let reps = r["reps"].as_array().unwrap();
    assert_eq!(reps.len(), 1, "{r}");
    assert_eq!(reps[0]["owner_id"], f.rep_x);
    assert_eq!(reps[0]["amount_fen"], 195_000);
    assert_eq!(reps[0]["oldest_days"], 91);
    let lines = reps[0]["lines"].as_array().unwrap();
    let got: Vec<(String, i64, i64)> = lines
        .iter()
        .map(|l| {
            (
                l["invoice_number"].as_str().unwrap().to_string(),
                l["days_overdue"].as_i64().unwrap(),
                l["open_fen"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (f.numbers["A1"].clone(), 91, 70_000),
            (f.numbers["B1"].clone(), 75, 80_000),
            (f.numbers["A2"].clone(), 30, 45_000),
        ]
    );
    assert_eq!(lines[0]["due_date"], "2021-03-31");
    assert_eq!(lines[0]["phone"], f.phone_a.as_str());
    assert_eq!(r["total_fen"], 195_000);
    // a grace period of 30 days drops A2
    let r = json(
        &t,
        &f.rep_x_token,
        "/api/v1/reports/overdue?as_of=2021-06-30&grace_days=30",
    )
    .await;
    assert_eq!(r["total_fen"], 150_000);
    // rep Y sees only their own dealer
    let r = json(
        &t,
        &f.rep_y_token,
        "/api/v1/reports/overdue?as_of=2021-06-30",
    )
    .await;
    assert_eq!(r["reps"].as_array().unwrap().len(), 1);
    assert_eq!(r["reps"][0]["owner_id"], f.rep_y);
    assert_eq!(r["total_fen"], 60_000);
}

#[tokio::test]
async fn statement_running_balance_and_scope() {
    let (t, f) = setup().await;
    let r = json(
        &t,
        &f.rep_x_token,
        &format!(
            "/api/v1/reports/statements/{}?from=2021-04-01&to=2021-06-30",
            f.dealer_a
        ),
    )
    .await;
    assert_eq!(r["opening_fen"], 100_000);
    let lines = r["lines"].as_array().unwrap();
    let got: Vec<(String, i64, i64, i64)> = lines
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_string(),
                l["debit_fen"].as_i64().unwrap(),
                l["credit_fen"].as_i64().unwrap(),
                l["balance_fen"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("payment".into(), 0, 30_000, 70_000),
            ("invoice".into(), 50_000, 0, 120_000),
            ("credit_note".into(), 0, 5_000, 115_000),
            ("invoice".into(), 20_000, 0, 135_000),
        ]
    );
    assert_eq!(r["total_debit_fen"], 70_000);
    assert_eq!(r["total_credit_fen"], 35_000);
    assert_eq!(r["closing_fen"], 135_000);
    assert_eq!(lines[1]["doc_number"], f.numbers["A2"].as_str());
    // the closing balance equals the aging total of the same dealer on the same day
    let aging = json(&t, &f.rep_x_token, "/api/v1/reports/aging?as_of=2021-06-30").await;
    assert_eq!(group(&aging, f.dealer_a)["total_fen"], r["closing_fen"]);

    // out of scope and missing: 404, indistinguishable
    for (token, dealer) in [
        (&f.rep_x_token, f.dealer_c),
        (&f.rep_y_token, f.dealer_a),
        (&f.rep_x_token, 987_654_321),
    ] {
        let res = get(&t, token, &format!("/api/v1/reports/statements/{dealer}")).await;
        assert_eq!(res.status(), 404);
    }
    let am_sh = t.token_for("am.sh").await;
    assert_eq!(
        get(
            &t,
            &am_sh,
            &format!("/api/v1/reports/statements/{}", f.dealer_c)
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        get(
            &t,
            &am_sh,
            &format!("/api/v1/reports/statements/{}", f.dealer_a)
        )
        .await
        .status(),
        200
    );
}

#[tokio::test]
async fn rep_sees_only_own_dealers_in_every_report() {
    let (t, f) = setup().await;
    let r = json(&t, &f.rep_y_token, "/api/v1/reports/aging?as_of=2021-06-30").await;
    let ids: Vec<i64> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![f.dealer_c]);
    assert_eq!(r["total_fen"], 60_000);
    let r = json(&t, &f.rep_y_token, "/api/v1/reports/osb?month=2021-06").await;
    assert_eq!(r["total"]["orders"], 0);
    assert_eq!(r["total"]["open_fen"], 60_000);
    // an area manager of Shanghai sees rep X's dealers but not rep Y's (Beijing)
    let am_sh = t.token_for("am.sh").await;
    let r = json(&t, &am_sh, "/api/v1/reports/aging?as_of=2021-06-30").await;
    let ids: Vec<i64> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&f.dealer_a) && ids.contains(&f.dealer_b));
    assert!(!ids.contains(&f.dealer_c));
}

#[tokio::test]
async fn monthly_osb_review_figures() {
    let (t, f) = setup().await;
    let r = json(&t, &f.rep_x_token, "/api/v1/reports/osb?month=2021-06").await;
    assert_eq!(r["from"], "2021-06-01");
    assert_eq!(r["to"], "2021-06-30");
    assert_eq!(r["on_time_days"], 3);
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{r}");
    let m = &rows[0];
    assert_eq!(m["market_id"], f.market_east);
    assert_eq!(m["orders"], 2);
    assert_eq!(m["order_amount_fen"], 90_000);
    assert_eq!(m["ordered_qty"], 30);
    assert_eq!(m["shipped_qty"], 15);
    assert_eq!(m["fill_rate_permille"], 500);
    assert_eq!(m["confirmed_orders"], 2);
    assert_eq!(m["on_time"], 1);
    assert_eq!(m["on_time_permille"], 500);
    assert_eq!(m["invoiced_fen"], 20_000);
    assert_eq!(m["open_fen"], 215_000);
    // 2150.00 open on 200.00 invoiced over 30 days = 322.5
    assert_eq!(m["dso_tenths"], 3225);
    assert_eq!(m["overdue_fen"], 195_000);
    assert_eq!(m["holds_opened"], 1);
    assert_eq!(m["holds_released"], 1);
    assert_eq!(m["returns"], 1);
    assert_eq!(m["returns_fen"], 5_000);
    assert_eq!(r["total"]["orders"], 2);
    assert_eq!(r["total"]["dso_tenths"], 3225);
    // a wider on-time window counts O2 (shipped 10 days after confirmation) as on time
    let r = json(
        &t,
        &f.rep_x_token,
        "/api/v1/reports/osb?month=2021-06&on_time_days=10",
    )
    .await;
    assert_eq!(r["total"]["on_time_permille"], 1000);
}

#[tokio::test]
async fn pages_and_downloads() {
    let (t, f) = setup().await;
    let client = t.sign_in_demo("director").await;
    for path in [
        "/reports/aging?as_of=2021-06-30".to_string(),
        "/reports/aging?as_of=2021-06-30&group_by=market&buckets=30,60".to_string(),
        "/reports/overdue?as_of=2021-06-30".to_string(),
        "/reports/osb?month=2021-06".to_string(),
        format!(
            "/reports/statements/{}?from=2021-04-01&to=2021-06-30",
            f.dealer_a
        ),
    ] {
        let res = client.get(t.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains("/assets/app.css"), "{path}");
        assert!(html.contains("href=\"/reports/aging\""), "{path}: nav");
    }
    let html = client
        .get(t.url(&format!(
            "/reports/statements/{}?from=2021-04-01&to=2021-06-30",
            f.dealer_a
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("1,000.00"), "opening balance shown");
    assert!(html.contains("1,350.00"), "closing balance shown");
    assert!(html.contains(&f.numbers["A2"]));
    // bad input on a page: the error page with 422
    let res = client
        .get(t.url("/reports/aging?buckets=9,3"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);

    for path in [
        format!(
            "/reports/statements/{}/export?from=2021-04-01&to=2021-06-30&format=xlsx",
            f.dealer_a
        ),
        "/reports/osb/export?month=2021-06".to_string(),
        "/reports/aging/export?as_of=2021-06-30&format=xlsx".to_string(),
        "/reports/overdue/export?as_of=2021-06-30".to_string(),
    ] {
        let res = client.get(t.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(
            res.headers()["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "{path}"
        );
        assert!(res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".xlsx"));
        let bytes = res.bytes().await.unwrap();
        assert_eq!(&bytes[..2], b"PK", "{path}: an xlsx file is a zip");
        assert!(String::from_utf8_lossy(&bytes).contains("xl/worksheets/sheet1.xml"));
    }
    let csv = client
        .get(t.url(&format!(
            "/reports/statements/{}/export?from=2021-04-01&to=2021-06-30&format=csv",
            f.dealer_a
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').split("\r\n").collect();
    assert_eq!(lines.len(), 1 + 1 + 4 + 1 + 1, "{csv}");
    assert!(lines[1].ends_with(",1000.00"), "{}", lines[1]);
    assert!(lines[6].ends_with(",700.00,350.00,1350.00"), "{}", lines[6]);
    let csv = client
        .get(t.url("/reports/overdue/export?as_of=2021-06-30&format=csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains(&format!(
        "{},2021-03-01,2021-03-31,91,700.00",
        f.numbers["A1"]
    )));
    assert!(csv.contains(&f.phone_a));

    // a rep's session: out-of-scope statement page and export answer 404
    let (_, _) = (f.rep_y, f.dealer_b);
    let rep = t.sign_in_demo("rep.sh1.1").await;
    for path in [
        format!("/reports/statements/{}", f.dealer_c),
        format!("/reports/statements/{}/export", f.dealer_c),
    ] {
        let res = rep.get(t.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
}

/// The reports read what the billing operations write: after a real order, a partial shipment,
/// its invoice and a part payment (all dated today), the aging total equals the invoices' cached
/// open amounts, the statement's closing balance equals the ledger, and the month's review
/// counts the order, its fill rate and the invoice.
#[tokio::test]
async fn reports_agree_with_real_billing_postings() {
    use salesos_test_support::billing_fixtures::{self, Stage};
    use salesos_test_support::order_fixtures;
    let t = TestApp::spawn().await;
    let admin = t.token_for("admin").await;
    let node = t.node_id("C-SH1").await;
    let p = t.create_person(&admin, "rr.real1", node, "sales_rep").await;
    let rep = p["id"].as_i64().unwrap();
    let (token, _) = t.token_for_person(rep).await;
    let cat = order_fixtures::catalogue(&t, 1_000).await;
    let dealer = order_fixtures::dealer(&t, "C-SH1", "rr.real1", 100_000_000).await;
    let order = billing_fixtures::confirmed_order(&t, dealer, cat.product, 10).await;
    let (_, invoice) = billing_fixtures::shipment(&t, order, 6, Stage::Invoiced).await;
    let invoice = invoice.unwrap();
    billing_fixtures::payment(&t, dealer, 2_500).await;

    let open = t
        .count(&format!(
            "SELECT CAST(COALESCE(SUM(open_fen), 0) AS BIGINT) AS n FROM invoices WHERE dealer_id = {dealer}"
        ))
        .await;
    let gross = t
        .count(&format!(
            "SELECT gross_fen AS n FROM invoices WHERE id = {invoice}"
        ))
        .await;
    let ledger = t
        .count(&format!(
            "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS n FROM ar_ledger WHERE dealer_id = {dealer}"
        ))
        .await;
    assert!(gross > 0);
    assert_eq!(open, gross - 2_500);

    let aging = json(&t, &token, "/api/v1/reports/aging").await;
    assert_eq!(group(&aging, dealer)["total_fen"], open);
    assert_eq!(aging["total_fen"], open);
    assert_eq!(aging["dso"]["sales_fen"], gross);

    let statement = json(&t, &token, &format!("/api/v1/reports/statements/{dealer}")).await;
    assert_eq!(statement["opening_fen"], 0);
    assert_eq!(statement["closing_fen"], ledger);
    assert_eq!(statement["total_debit_fen"], gross);

    let osb = json(&t, &token, "/api/v1/reports/osb").await;
    let total = &osb["total"];
    assert_eq!(total["orders"], 1);
    assert_eq!(total["ordered_qty"], 10);
    assert_eq!(total["shipped_qty"], 6);
    assert_eq!(total["fill_rate_permille"], 600);
    assert_eq!(total["invoiced_fen"], gross);
    assert_eq!(total["open_fen"], open);
    assert_eq!(total["confirmed_orders"], 1);
    assert_eq!(total["on_time"], 1);
}
