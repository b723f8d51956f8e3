//! Orders over HTTP: create with an Idempotency-Key, bad input answered with the field at fault,
//! an audit entry for every write, the list limited to the caller's scope, and the pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_test_support::order_fixtures::{catalogue, dealer};
use salesos_test_support::{location, problem, TestApp};
use serde_json::{json, Value};

async fn post(
    t: &TestApp,
    token: &str,
    path: &str,
    body: Value,
    key: Option<&str>,
) -> reqwest::Response {
    let mut req = t
        .api_client()
        .post(t.url(path))
        .bearer_auth(token)
        .json(&body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_retried_create_returns_the_first_answer_and_creates_nothing() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let token = t.token_for("desk").await;
    let body = json!({ "dealer_id": d, "lines": [{ "product_id": c.product, "quantity": 3 }] });
    let first = post(&t, &token, "/api/v1/orders", body.clone(), Some("retry-1")).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["order"]["status"], "confirmed");
    assert_eq!(first["order"]["total_fen"], 300);
    let before = t.count("SELECT COUNT(*) AS n FROM orders").await;
    let audit_before = t.last_audit_id().await;
    let again = post(&t, &token, "/api/v1/orders", body.clone(), Some("retry-1")).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first, "the same body as the first time");
    assert_eq!(t.count("SELECT COUNT(*) AS n FROM orders").await, before);
    assert!(t.audit_since(audit_before).await.is_empty());
    assert_eq!(
        t.count(&format!(
            "SELECT exposure_fen AS n FROM dealer_balances WHERE dealer_id = {d}"
        ))
        .await,
        300
    );
    // same key, another body
    let other = json!({ "dealer_id": d, "lines": [{ "product_id": c.product, "quantity": 4 }] });
    let p = problem(post(&t, &token, "/api/v1/orders", other.clone(), Some("retry-1")).await).await;
    assert_eq!(
        (p.status, p.code.as_str(), p.field.as_deref()),
        (422, "order.idempotency_mismatch", Some("Idempotency-Key"))
    );
    // keys are per person: another person may use the same key
    let rep = t.token_for("rep.sh1.1").await;
    assert_eq!(
        post(&t, &rep, "/api/v1/orders", other, Some("retry-1"))
            .await
            .status(),
        201
    );
    // without a key, a repeat is a new order
    assert_eq!(
        post(&t, &token, "/api/v1/orders", body.clone(), None)
            .await
            .status(),
        201
    );
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM orders").await,
        before + 2
    );
    // a bad key
    let p = problem(post(&t, &token, "/api/v1/orders", body, Some(&"x".repeat(201))).await).await;
    assert_eq!(p.field.as_deref(), Some("Idempotency-Key"));
}

#[tokio::test]
async fn bad_input_is_a_problem_naming_the_field() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let other_market = dealer(&t, "C-BJ1", "rep.bj1.1", 1_000_000).await;
    let inactive = {
        let id = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
        let mut tx = t.app.store.begin().await.unwrap();
        salesos_store::sql::Sql::new(&format!(
            "UPDATE dealers SET status = 'suspended' WHERE id = {id}"
        ))
        .execute(tx.conn())
        .await
        .unwrap();
        tx.commit().await.unwrap();
        id
    };
    let desk = t.token_for("desk").await;
    let mm = t.token_for("rep.sh1.1").await;
    let line = |q: Value| json!([{ "product_id": c.product, "quantity": q }]);
    let cases: Vec<(&str, Value, u16, &str, &str)> = vec![
        (
            "desk",
            json!({ "dealer_id": d, "lines": [] }),
            422,
            "order.no_lines",
            "lines",
        ),
        (
            "desk",
            json!({ "dealer_id": d, "lines": line(json!(0)) }),
            422,
            "order.quantity_invalid",
            "lines.quantity",
        ),
        (
            "desk",
            json!({ "dealer_id": d, "lines": line(json!(-5)) }),
            422,
            "order.quantity_invalid",
            "lines.quantity",
        ),
        (
            "desk",
            json!({ "dealer_id": d, "lines": line(json!(100_000_000)) }),
            422,
            "order.quantity_invalid",
            "lines.quantity",
        ),
        (
            "desk",
            json!({ "dealer_id": d, "lines": line(json!("many")) }),
            422,
            "request.invalid_field",
            "lines[0].quantity",
        ),
        (
            "desk",
            json!({ "dealer_id": d, "lines": [{ "product_id": 987_654, "quantity": 1 }] }),
            422,
            "order.product_unavailable",
            "lines.product_id",
        ),
        (
            "desk",
            json!({ "dealer_id": d, "lines": [{ "product_id": c.product, "quantity": 1, "unit_price_fen": -1 }] }),
            422,
            "order.price_invalid",
            "lines.unit_price_fen",
        ),
        (
            "desk",
            json!({ "dealer_id": 987_654, "lines": line(json!(1)) }),
            422,
            "order.dealer_unknown",
            "dealer_id",
        ),
        (
            "desk",
            json!({ "dealer_id": inactive, "lines": line(json!(1)) }),
            422,
            "order.dealer_inactive",
            "dealer_id",
        ),
        (
            "desk",
            json!({ "dealer_id": d, "order_date": "31/12/2025", "lines": line(json!(1)) }),
            422,
            "date.invalid",
            "order_date",
        ),
        (
            "desk",
            json!({ "dealer_id": d, "source": "fax", "lines": line(json!(1)) }),
            422,
            "order.source_unknown",
            "source",
        ),
        (
            "desk",
            json!({ "lines": line(json!(1)) }),
            422,
            "request.invalid_field",
            "dealer_id",
        ),
        // a dealer outside the caller's scope is unknown to them
        (
            "rep",
            json!({ "dealer_id": other_market, "lines": line(json!(1)) }),
            422,
            "order.dealer_unknown",
            "dealer_id",
        ),
    ];
    let before = t.count("SELECT COUNT(*) AS n FROM orders").await;
    for (who, body, status, code, field) in cases {
        let token = if who == "desk" { &desk } else { &mm };
        let p = problem(post(&t, token, "/api/v1/orders", body.clone(), None).await).await;
        assert_eq!(
            (p.status, p.code.as_str(), p.field.as_deref()),
            (status, code, Some(field)),
            "{body}"
        );
    }
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM orders").await,
        before,
        "nothing was created"
    );
    // a price the list does not have
    let c2 = catalogue(&t, 100).await;
    let mut tx = t.app.store.begin().await.unwrap();
    salesos_store::sql::Sql::new(&format!(
        "UPDATE price_list_items SET valid_from = '2999-01-01' WHERE product_id = {}",
        c2.product
    ))
    .execute(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let p = problem(
        post(
            &t,
            &desk,
            "/api/v1/orders",
            json!({ "dealer_id": d, "lines": [{ "product_id": c2.product, "quantity": 1 }] }),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (p.code.as_str(), p.field.as_deref()),
        ("order.no_price", Some("lines.product_id"))
    );
    // wrong state
    let created: Value = post(
        &t,
        &desk,
        "/api/v1/orders",
        json!({ "dealer_id": d, "lines": line(json!(1)) }),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let id = created["order"]["id"].as_i64().unwrap();
    let p = problem(
        post(
            &t,
            &desk,
            &format!("/api/v1/orders/{id}/reopen"),
            json!({}),
            None,
        )
        .await,
    )
    .await;
    assert_eq!((p.status, p.code.as_str()), (409, "order.wrong_state"));
    let p = problem(
        post(
            &t,
            &desk,
            &format!("/api/v1/orders/{id}/confirm"),
            json!({}),
            None,
        )
        .await,
    )
    .await;
    assert_eq!((p.status, p.code.as_str()), (409, "order.wrong_state"));
    // list filter
    let res = t
        .api_client()
        .get(t.url("/api/v1/orders?status=lost"))
        .bearer_auth(&desk)
        .send()
        .await
        .unwrap();
    let p = problem(res).await;
    assert_eq!(
        (p.code.as_str(), p.field.as_deref()),
        ("order.status_unknown", Some("status"))
    );
}

#[tokio::test]
async fn every_write_leaves_an_audit_entry_and_history() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 10_000).await;
    let desk = t.token_for("desk").await;
    let mm = t.token_for("mm.e").await;
    let desk_id = t.person_id("desk").await;
    let mm_id = t.person_id("mm.e").await;
    let mark = t.last_audit_id().await;
    let o: Value = post(&t, &desk, "/api/v1/orders", json!({ "dealer_id": d, "draft": true, "lines": [{ "product_id": c.product, "quantity": 50 }] }), None).await.json().await.unwrap();
    let id = o["order"]["id"].as_i64().unwrap();
    assert_eq!(o["order"]["status"], "draft");
    let res = t
        .api_client()
        .patch(t.url(&format!("/api/v1/orders/{id}")))
        .bearer_auth(&desk)
        .json(&json!({ "lines": [{ "product_id": c.product, "quantity": 105 }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let o: Value = post(
        &t,
        &desk,
        &format!("/api/v1/orders/{id}/confirm"),
        json!({}),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(o["order"]["status"], "on_hold");
    let approval = o["approvals"][0]["id"].as_i64().unwrap();
    // the market manager's queue and decision
    let res = t
        .api_client()
        .get(t.url("/api/v1/approvals"))
        .bearer_auth(&mm)
        .send()
        .await
        .unwrap();
    let queue: Value = res.json().await.unwrap();
    assert!(
        queue
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == approval),
        "{queue}"
    );
    let p = problem(
        post(
            &t,
            &mm,
            &format!("/api/v1/approvals/{approval}/reject"),
            json!({}),
            None,
        )
        .await,
    )
    .await;
    assert_eq!((p.status, p.field.as_deref()), (422, Some("reason")));
    let res = post(
        &t,
        &mm,
        &format!("/api/v1/approvals/{approval}/approve"),
        json!({}),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let decided: Value = res.json().await.unwrap();
    assert_eq!(decided["request"]["status"], "approved");
    let o: Value = t
        .api_client()
        .get(t.url(&format!("/api/v1/orders/{id}")))
        .bearer_auth(&desk)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(o["order"]["status"], "confirmed");
    let o: Value = post(
        &t,
        &desk,
        &format!("/api/v1/orders/{id}/cancel"),
        json!({ "reason": "dealer changed mind" }),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(o["order"]["status"], "cancelled");
    let o: Value = post(
        &t,
        &desk,
        &format!("/api/v1/orders/{id}/reopen"),
        json!({}),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        o["order"]["status"], "on_hold",
        "reopening checks credit again"
    );
    // history: who and when for every transition
    let actions: Vec<(String, Option<i64>)> = o["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["person_id"].as_i64(),
            )
        })
        .collect();
    let expect = [
        ("create", desk_id),
        ("edit", desk_id),
        ("submit", desk_id),
        ("hold", desk_id),
        ("release", mm_id),
        ("confirm", mm_id),
        ("cancel", desk_id),
        ("reopen", desk_id),
        ("hold", desk_id),
    ];
    assert_eq!(
        actions,
        expect
            .iter()
            .map(|(a, p)| ((*a).to_string(), Some(*p)))
            .collect::<Vec<_>>()
    );
    let ops: Vec<String> = t
        .audit_since(mark)
        .await
        .into_iter()
        .map(|r| r.operation)
        .collect();
    for op in [
        "order.create",
        "order.update",
        "order.confirm",
        "approval.request",
        "approval.approve",
        "order.hold_decision",
        "order.cancel",
        "order.reopen",
    ] {
        assert!(ops.iter().any(|o| o == op), "audit has {op}: {ops:?}");
    }
    // the credit panel
    let credit: Value = t
        .api_client()
        .get(t.url(&format!("/api/v1/dealers/{d}/credit")))
        .bearer_auth(&desk)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(credit["exposure_fen"], 0);
    assert_eq!(credit["limit_fen"], 10_000);
    assert_eq!(credit["holds"].as_array().unwrap().len(), 1);
    // temporary credit and delegation leave entries too
    let mark = t.last_audit_id().await;
    let res = post(
        &t,
        &desk,
        &format!("/api/v1/dealers/{d}/temporary-credit"),
        json!({ "amount_fen": 5000, "valid_to": "2999-01-01" }),
        None,
    )
    .await;
    assert_eq!(res.status(), 201);
    let director = t.person_id("director").await;
    let res = post(
        &t,
        &mm,
        "/api/v1/delegations",
        json!({ "to_person": director, "valid_to": "2999-01-01" }),
        None,
    )
    .await;
    assert_eq!(res.status(), 201);
    let ops: Vec<String> = t
        .audit_since(mark)
        .await
        .into_iter()
        .map(|r| r.operation)
        .collect();
    assert!(
        ops.contains(&"temp_credit.request".to_string())
            && ops.contains(&"delegation.create".to_string()),
        "{ops:?}"
    );
}

#[tokio::test]
async fn lists_and_pages_stay_in_scope() {
    let t = TestApp::spawn().await;
    // the tiny demo takes two confirmed orders and a draft
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM orders WHERE status = 'confirmed'")
            .await,
        2
    );
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM orders WHERE status = 'draft'")
            .await,
        1
    );
    let c = catalogue(&t, 100).await;
    let east = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let north = dealer(&t, "C-BJ1", "rep.bj1.1", 1_000_000).await;
    let desk = t.token_for("desk").await;
    for d in [east, north] {
        assert_eq!(
            post(
                &t,
                &desk,
                "/api/v1/orders",
                json!({ "dealer_id": d, "lines": [{ "product_id": c.product, "quantity": 1 }] }),
                None
            )
            .await
            .status(),
            201
        );
    }
    let list = |token: String| {
        let t = &t;
        async move {
            let v: Value = t
                .api_client()
                .get(t.url("/api/v1/orders"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v.as_array()
                .unwrap()
                .iter()
                .map(|o| o["dealer_id"].as_i64().unwrap())
                // the demo company has orders of its own
                .filter(|d| *d == east || *d == north)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list(t.token_for("mm.e").await).await, vec![east]);
    assert_eq!(list(t.token_for("rep.sh1.1").await).await, vec![east]);
    assert!(list(t.token_for("kam.sh").await).await.is_empty());
    assert_eq!(list(desk.clone()).await.len(), 2);

    // pages: list, new order, detail, credit panel, approvals
    let rep = t.sign_in_demo("rep.sh1.1").await;
    let html = rep
        .get(t.url("/orders"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("D-O"),
        "the rep's own dealer's order is listed"
    );
    let north_code = {
        let mut conn = t.app.store.read().await.unwrap();
        salesos_store::orders::dealer_unscoped(&mut conn, north)
            .await
            .unwrap()
            .unwrap()
            .code
    };
    assert!(!html.contains(&north_code), "no order from market North");
    let html = rep
        .get(t.url("/orders/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("value=\"{east}\">D-O")), "{html}");
    assert!(!html.contains(&format!("value=\"{north}\">D-O")), "{html}");
    let csrf = t.csrf_of(&rep).await;
    let res = rep
        .post(t.url("/orders"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("dealer_id", &east.to_string()),
            ("product_1", &c.product.to_string()),
            ("quantity_1", "2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let loc = location(&res);
    let html = rep
        .get(t.url(&loc))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-testid=\"order-status\""), "{html}");
    let res = rep
        .post(t.url("/orders"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("dealer_id", &east.to_string()),
            ("product_1", &c.product.to_string()),
            ("quantity_1", "0"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("data-testid=\"form-error\""));
    let html = rep
        .get(t.url(&format!("/dealers/{east}/credit")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-testid=\"credit-exposure\""));
    assert_eq!(
        rep.get(t.url(&format!("/dealers/{north}/credit")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let mm = t.sign_in_demo("mm.e").await;
    let res = mm.get(t.url("/approvals")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn owners_are_assigned_by_market_and_can_be_changed() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let desk = t.token_for("desk").await;
    let o: Value = post(
        &t,
        &desk,
        "/api/v1/orders",
        json!({ "dealer_id": d, "lines": [{ "product_id": c.product, "quantity": 1 }] }),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let id = o["order"]["id"].as_i64().unwrap();
    // the tiny demo has the desk, the warehouse and billing at the company
    assert_eq!(
        o["order"]["desk_rep_id"].as_i64(),
        Some(t.person_id("desk").await)
    );
    assert_eq!(
        o["order"]["shipping_coordinator_id"].as_i64(),
        Some(t.person_id("warehouse").await)
    );
    assert_eq!(
        o["order"]["billing_rep_id"].as_i64(),
        Some(t.person_id("billing").await)
    );
    assert_eq!(o["order"]["source"], "api");
    // someone without the role is refused, naming the field
    let rep = t.person_id("rep.sh1.1").await;
    let p = problem(
        post(
            &t,
            &desk,
            &format!("/api/v1/orders/{id}/owners"),
            json!({ "billing_rep_id": rep }),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (p.status, p.field.as_deref()),
        (422, Some("billing_rep_id"))
    );
    let res = post(
        &t,
        &desk,
        &format!("/api/v1/orders/{id}/owners"),
        json!({ "billing_rep_id": t.person_id("billing").await }),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let o: Value = res.json().await.unwrap();
    assert_eq!(
        o["events"].as_array().unwrap().last().unwrap()["action"],
        "owners"
    );
}

#[tokio::test]
async fn the_credit_panel_asks_for_temporary_credit() {
    let t = TestApp::spawn().await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let desk = t.sign_in_demo("desk").await;
    let csrf = t.csrf_of(&desk).await;
    let res = desk
        .post(t.url(&format!("/dealers/{d}/temporary-credit")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("amount", "abc"),
            ("valid_to", "2999-01-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("data-testid=\"form-error\""));
    let res = desk
        .post(t.url(&format!("/dealers/{d}/temporary-credit")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("amount", "2,000.50"),
            ("valid_to", "2999-01-01"),
            ("reason", "season"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        t.count(&format!(
            "SELECT amount_fen AS n FROM temp_credits WHERE dealer_id = {d}"
        ))
        .await,
        200_050
    );
    // the market manager sends it back from the queue page
    let mm = t.sign_in_demo("mm.e").await;
    let html = mm
        .get(t.url("/approvals"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("data-testid=\"approval-row\"").count(), 1);
    let id = t
        .count(&format!(
            "SELECT approval_id AS n FROM temp_credits WHERE dealer_id = {d}"
        ))
        .await;
    let mm_csrf = t.csrf_of(&mm).await;
    let res = mm
        .post(t.url(&format!("/approvals/{id}/send-back")))
        .form(&[("_csrf", mm_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "a reason is needed");
    let res = mm
        .post(t.url(&format!("/approvals/{id}/send-back")))
        .form(&[("_csrf", mm_csrf.as_str()), ("reason", "too early")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) AS n FROM approval_requests WHERE status = 'sent_back' AND id = {id}"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn the_order_page_edits_lines_rechecks_credit_and_changes_owners() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    // the limit fits 50 units at 1.00, not 100
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 5_000).await;
    let order = salesos_test_support::billing_fixtures::confirmed_order(&t, d, c.product, 10).await;
    let desk = t.sign_in_demo("desk").await;
    let csrf = t.csrf_of(&desk).await;
    let html = desk
        .get(t.url(&format!("/orders/{order}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-testid=\"order-lines-form\""), "{html}");
    assert!(html.contains("data-testid=\"order-owners-form\""));
    // bad input: a quantity that is not a number, shown next to the quantities; nothing changed
    let edit = |qty: &'static str| {
        let desk = desk.clone();
        let csrf = csrf.clone();
        let t = &t;
        async move {
            desk.post(t.url(&format!("/orders/{order}/lines")))
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("rows", "4"),
                    ("product_1", &c.product.to_string()),
                    ("quantity_1", qty),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let res = edit("lots").await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("data-field=\"lines.quantity\""),
        "the error is at the quantities: {html}"
    );
    assert_eq!(
        t.count(&format!(
            "SELECT quantity AS n FROM order_lines WHERE order_id = {order}"
        ))
        .await,
        10
    );
    // within the limit: still confirmed, the new total shown
    let res = edit("40").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/orders/{order}"));
    let html = desk
        .get(t.url(&format!("/orders/{order}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("badge confirmed"), "{html}");
    assert!(
        html.contains("40.00"),
        "the total follows the lines: {html}"
    );
    // beyond the limit: the credit check runs again and the order goes on hold
    let res = edit("100").await;
    assert_eq!(res.status(), 303);
    let html = desk
        .get(t.url(&format!("/orders/{order}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("badge on_hold"), "{html}");
    assert!(
        html.contains("data-testid=\"order-hold\" data-status=\"open\""),
        "{html}"
    );
    let o = salesos_app::orders::get(&t.app, &t.actor("desk").await, order)
        .await
        .unwrap();
    assert_eq!(o.order.status, "on_hold");
    assert_eq!(o.events.last().unwrap().action, "hold");
    // a line removed by clearing its quantity; without the CSRF token nothing happens
    let res = desk
        .post(t.url(&format!("/orders/{order}/lines")))
        .form(&[
            ("product_1", c.product.to_string()),
            ("quantity_1", "1".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // owners: someone without the role is refused at the field, a billing rep accepted
    let rep = t.person_id("rep.sh1.1").await;
    let res = desk
        .post(t.url(&format!("/orders/{order}/owners")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("billing_rep_id", &rep.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("data-field=\"billing_rep_id\""), "{html}");
    let billing = t.person_id("billing").await;
    let html = desk
        .get(t.url(&format!("/orders/{order}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("<option value=\"{billing}\" selected>")),
        "the current billing rep is chosen: {html}"
    );
    let billing_choices = html
        .split("data-testid=\"owner-billing_rep_id\"")
        .nth(1)
        .and_then(|rest| rest.split("</select>").next())
        .unwrap();
    assert!(
        !billing_choices.contains(&format!("<option value=\"{rep}\"")),
        "a rep is no choice: {billing_choices}"
    );
    let res = desk
        .post(t.url(&format!("/orders/{order}/owners")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("billing_rep_id", &billing.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) AS n FROM order_events WHERE action = 'owners' AND order_id = {order}"
        ))
        .await,
        1
    );
    // a rep of another city cannot reach the order at all
    let other = t.sign_in_demo("rep.js1.1").await;
    let other_csrf = t.csrf_of(&other).await;
    let res = other
        .post(t.url(&format!("/orders/{order}/lines")))
        .form(&[
            ("_csrf", other_csrf.as_str()),
            ("product_1", &c.product.to_string()),
            ("quantity_1", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn the_order_list_filters_by_date_and_exports_what_it_shows() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let _ = c;
    salesos_test_support::order_fixtures::history_order(
        &t.app.store,
        d,
        "2020-03-04",
        1_234,
        "closed",
    )
    .await;
    let old = t
        .count(&format!(
            "SELECT id AS n FROM orders WHERE order_date = '2020-03-04' AND dealer_id = {d}"
        ))
        .await;
    let desk = t.sign_in_demo("desk").await;
    let html = desk
        .get(t.url("/orders?from=2020-03-01&to=2020-03-31"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        html.matches("data-testid=\"order-row\"").count(),
        1,
        "{html}"
    );
    assert!(html.contains(&format!("/orders/{old}\"")));
    let export = html
        .split("href=\"/orders/export?format=csv")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert!(
        export.contains("from=2020-03-01") && export.contains("to=2020-03-31"),
        "the export keeps the filter: {export}"
    );
    let res = desk
        .get(t.url("/orders/export?format=csv&from=2020-03-01&to=2020-03-31"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains("2020-03-04"), "{csv}");
    let res = desk.get(t.url("/orders/export")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    // a person without ViewOrders is refused
    let admin = t.sign_in_demo("admin").await;
    assert_eq!(
        admin
            .get(t.url("/orders/export"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}
