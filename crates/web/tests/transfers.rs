//! Transfers of goods between dealers (调货): both sides' balances right to the fen, the source
//! can never hand on more than it holds (returns and other transfers counted), a target over
//! its limit needs the higher approval, refusals and rejections change nothing, and a person
//! needs both dealers in scope.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_app::returns::{self, NewReturnInput, ReturnLineInput};
use salesos_app::transfers::{self, NewTransferInput, TransferDetail, TransferLineInput};
use salesos_app::AppError;
use salesos_domain::approvals::Decision;
use salesos_test_support::order_fixtures::{catalogue, dealer};
use salesos_test_support::return_fixtures::{decide_pending, sold_invoice};
use salesos_test_support::{problem, TestApp};
use serde_json::json;

async fn check_clean(t: &TestApp) {
    let mut conn = t.app.store.read().await.unwrap();
    let problems = salesos_store::check::run(&mut conn).await.unwrap();
    assert!(problems.is_empty(), "salesos check: {problems:?}");
}

async fn balance(t: &TestApp, dealer_id: i64) -> salesos_store::credit::BalanceRow {
    let mut conn = t.app.store.read().await.unwrap();
    salesos_store::credit::balance(&mut conn, dealer_id)
        .await
        .unwrap()
}

async fn ledger(t: &TestApp, dealer_id: i64) -> i64 {
    t.count(&format!(
        "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS n FROM ar_ledger WHERE dealer_id = {dealer_id}"
    ))
    .await
}

struct World {
    product: i64,
    a: i64,
    b: i64,
    invoice: i64,
}

/// Dealer A bought 10 units at 1.00 yuan (tax included); dealer B, same rep, bought nothing.
async fn world(t: &TestApp, b_limit: i64) -> World {
    let c = catalogue(t, 100).await;
    let a = dealer(t, "C-SH1", "rep.sh1.1", 100_000_000).await;
    let b = dealer(t, "C-SH1", "rep.sh1.1", b_limit).await;
    let invoice = sold_invoice(t, a, c.product, 10).await;
    World {
        product: c.product,
        a,
        b,
        invoice,
    }
}

fn input(w: &World, qty: i64, price: i64) -> NewTransferInput {
    NewTransferInput {
        source_dealer_id: w.a,
        target_dealer_id: w.b,
        transfer_date: None,
        note: Some("华东区域内调货".into()),
        lines: vec![TransferLineInput {
            product_id: w.product,
            quantity: qty,
            unit_price_fen: price,
        }],
    }
}

async fn request(t: &TestApp, i: NewTransferInput) -> Result<TransferDetail, AppError> {
    let rep = t.actor("rep.sh1.1").await;
    transfers::request(&t.app, &rep, i).await
}

async fn returnable(t: &TestApp, invoice: i64) -> i64 {
    let desk = t.actor("desk").await;
    returns::returnable(&t.app, &desk, invoice)
        .await
        .unwrap()
        .lines[0]
        .returnable()
}

async fn get(t: &TestApp, id: i64) -> TransferDetail {
    transfers::get(&t.app, &t.actor("desk").await, id)
        .await
        .unwrap()
}

/// Counts of everything posting money can write.
async fn money_footprint(t: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for sql in [
        "SELECT COUNT(*) AS n FROM credit_notes",
        "SELECT COUNT(*) AS n FROM invoices",
        "SELECT COUNT(*) AS n FROM ar_ledger",
        "SELECT COUNT(*) AS n FROM credit_ledger",
        "SELECT CAST(COALESCE(SUM(open_fen), 0) AS BIGINT) AS n FROM invoices",
        "SELECT CAST(COALESCE(SUM(held_qty), 0) AS BIGINT) AS n FROM transfer_sources",
    ] {
        out.push(t.count(sql).await);
    }
    out
}

#[tokio::test]
async fn a_posted_transfer_credits_the_source_and_invoices_the_target_to_the_fen() {
    let t = TestApp::spawn().await;
    let w = world(&t, 100_000_000).await;
    assert_eq!(balance(&t, w.a).await.receivables_fen, 1000);

    // 4 units at 0.80 net: net 320, tax 13 % = 41.6 → 42, gross 362
    let d = request(&t, input(&w, 4, 80)).await.unwrap();
    assert_eq!(d.transfer.status, "requested");
    assert_eq!(
        (d.transfer.net_fen, d.transfer.tax_fen, d.transfer.gross_fen),
        (320, 42, 362)
    );
    assert!(!d.transfer.over_limit);
    assert_eq!(d.approvals.len(), 1);
    assert_eq!(d.approvals[0].doc_type, "transfer");
    assert_eq!(d.sources.len(), 1);
    assert_eq!(d.sources[0].invoice_id, w.invoice);
    // the units are held at once, the money moves only when posted
    assert_eq!(returnable(&t, w.invoice).await, 6);
    assert_eq!(balance(&t, w.a).await.receivables_fen, 1000);
    assert_eq!(balance(&t, w.b).await.receivables_fen, 0);
    check_clean(&t).await;

    decide_pending(&t, "transfer", d.transfer.id, Decision::Approve).await;
    let d = get(&t, d.transfer.id).await;
    assert_eq!(d.transfer.status, "posted");
    assert_eq!(d.transfer.decided_by, Some(t.person_id("mm.e").await));
    let (a, b) = (balance(&t, w.a).await, balance(&t, w.b).await);
    assert_eq!(
        (a.receivables_fen, a.exposure_fen),
        (1000 - 362, 1000 - 362)
    );
    assert_eq!((b.receivables_fen, b.exposure_fen), (362, 362));
    assert_eq!(ledger(&t, w.a).await, 638);
    assert_eq!(ledger(&t, w.b).await, 362);
    // A's credit note sits on the invoice the goods came from
    let billing = t.actor("billing").await;
    let src = salesos_app::billing::get_invoice(&t.app, &billing, w.invoice)
        .await
        .unwrap();
    assert_eq!(src.invoice.open_fen, 638);
    assert_eq!(src.credit_notes.len(), 1);
    assert_eq!(src.credit_notes[0].reason, "transfer");
    assert_eq!(src.credit_notes[0].amount_fen, 362);
    // B's invoice, due after B's payment term
    let inv =
        salesos_app::billing::get_invoice(&t.app, &billing, d.transfer.target_invoice_id.unwrap())
            .await
            .unwrap();
    assert_eq!(inv.invoice.dealer_id, w.b);
    assert_eq!(
        (
            inv.invoice.net_fen,
            inv.invoice.tax_fen,
            inv.invoice.gross_fen
        ),
        (320, 42, 362)
    );
    let term = inv.invoice.payment_term_days;
    let day = chrono::NaiveDate::parse_from_str(&inv.invoice.invoice_date, "%Y-%m-%d").unwrap();
    assert_eq!(
        inv.invoice.due_date,
        (day + chrono::Days::new(term as u64)).to_string()
    );
    // the moved units count as returned by A and as sold to B
    assert_eq!(returnable(&t, w.invoice).await, 6);
    assert_eq!(returnable(&t, inv.invoice.id).await, 4);
    let ops: Vec<String> = t
        .audit_since(0)
        .await
        .into_iter()
        .filter(|e| e.entity == "transfer")
        .map(|e| e.operation)
        .collect();
    assert_eq!(ops, vec!["transfer.request", "transfer.post"]);
    check_clean(&t).await;
}

#[tokio::test]
async fn a_dealer_cannot_hand_on_more_than_it_holds() {
    let t = TestApp::spawn().await;
    let w = world(&t, 100_000_000).await;
    let second = sold_invoice(&t, w.a, w.product, 5).await;
    // a pending return holds 3 of the first invoice's 10
    let desk = t.actor("desk").await;
    returns::request(
        &t.app,
        &desk,
        w.invoice,
        NewReturnInput {
            reason: Some("破损".into()),
            note: None,
            lines: vec![ReturnLineInput {
                line_no: 1,
                quantity: 3,
                reason: None,
            }],
        },
    )
    .await
    .unwrap();
    let before = money_footprint(&t).await;
    let err = request(&t, input(&w, 13, 80)).await.unwrap_err();
    assert_eq!(err.code(), "fulfilment.transfer_exceeds_sold");
    assert_eq!(money_footprint(&t).await, before);
    // 12 fit: 7 from the older invoice, 5 from the newer, the credit split to the fen
    let d = request(&t, input(&w, 12, 80)).await.unwrap();
    let drawn: Vec<(i64, i64)> = d
        .sources
        .iter()
        .map(|s| (s.invoice_id, s.quantity))
        .collect();
    assert_eq!(drawn, vec![(w.invoice, 7), (second, 5)]);
    assert_eq!(
        d.sources.iter().map(|s| s.credit_fen).sum::<i64>(),
        d.transfer.gross_fen
    );
    // nothing is left for another transfer or another return
    let err = request(&t, input(&w, 1, 80)).await.unwrap_err();
    assert_eq!(err.code(), "fulfilment.transfer_exceeds_sold");
    let err = returns::request(
        &t.app,
        &desk,
        second,
        NewReturnInput {
            reason: Some("x".into()),
            note: None,
            lines: vec![ReturnLineInput {
                line_no: 1,
                quantity: 1,
                reason: None,
            }],
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "fulfilment.return_exceeds_sold");
    decide_pending(&t, "transfer", d.transfer.id, Decision::Approve).await;
    assert_eq!(get(&t, d.transfer.id).await.transfer.status, "posted");
    check_clean(&t).await;
    // two transfers at once never together pass what A holds
    let t2 = TestApp::spawn().await;
    let w2 = world(&t2, 100_000_000).await;
    let rep = t2.actor("rep.sh1.1").await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let app = t2.app.clone();
        let rep = rep.clone();
        let i = input(&w2, 4, 80);
        tasks.push(tokio::spawn(async move {
            transfers::request(&app, &rep, i).await
        }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(e.code(), "fulfilment.transfer_exceeds_sold"),
        }
    }
    assert_eq!(ok, 2, "two transfers of 4 fit into 10");
    check_clean(&t2).await;
}

#[tokio::test]
async fn a_target_over_its_limit_needs_the_higher_approval() {
    let t = TestApp::spawn().await;
    let w = world(&t, 100).await;
    let d = request(&t, input(&w, 4, 80)).await.unwrap();
    assert!(d.transfer.over_limit);
    assert_eq!(d.approvals[0].doc_type, "transfer_over_limit");
    let before = money_footprint(&t).await;
    // the market manager's step is not enough
    let mm = t.actor("mm.e").await;
    salesos_app::approvals::decide(&t.app, &mm, d.approvals[0].id, Decision::Approve, None)
        .await
        .unwrap();
    assert_eq!(get(&t, d.transfer.id).await.transfer.status, "requested");
    assert_eq!(
        money_footprint(&t).await,
        before,
        "nothing posts before the last step"
    );
    let director = t.actor("director").await;
    salesos_app::approvals::decide(
        &t.app,
        &director,
        d.approvals[0].id,
        Decision::Approve,
        None,
    )
    .await
    .unwrap();
    let d = get(&t, d.transfer.id).await;
    assert_eq!(d.transfer.status, "posted");
    assert_eq!(balance(&t, w.b).await.exposure_fen, 362);
    check_clean(&t).await;
}

#[tokio::test]
async fn rejections_and_bad_requests_change_nothing() {
    let t = TestApp::spawn().await;
    let w = world(&t, 100_000_000).await;
    let before = money_footprint(&t).await;
    let d = request(&t, input(&w, 4, 80)).await.unwrap();
    decide_pending(&t, "transfer", d.transfer.id, Decision::Reject).await;
    let d = get(&t, d.transfer.id).await;
    assert_eq!(d.transfer.status, "rejected");
    assert_eq!(
        money_footprint(&t).await,
        before,
        "a rejected transfer moves nothing"
    );
    assert_eq!(returnable(&t, w.invoice).await, 10);
    // cancelled by the rep
    let d = request(&t, input(&w, 4, 80)).await.unwrap();
    let rep = t.actor("rep.sh1.1").await;
    let err = transfers::cancel(&t.app, &rep, d.transfer.id, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "transfer.reason_required");
    transfers::cancel(&t.app, &rep, d.transfer.id, Some("经销商不要了".into()))
        .await
        .unwrap();
    assert_eq!(money_footprint(&t).await, before);
    let err = transfers::cancel(&t.app, &rep, d.transfer.id, Some("again".into()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "transfer.wrong_state");
    check_clean(&t).await;

    // over HTTP: problems, nothing written
    let token = t.token_for("rep.sh1.1").await;
    let other = dealer(&t, "C-JS1", "rep.js1.1", 100_000_000).await;
    let before = (money_footprint(&t).await, t.last_audit_id().await);
    let body = |src: i64, dst: i64, product: i64, qty: i64, price: i64| {
        json!({ "source_dealer_id": src, "target_dealer_id": dst,
                "lines": [{ "product_id": product, "quantity": qty, "unit_price_fen": price }] })
    };
    let cases = vec![
        (
            body(w.a, w.a, w.product, 1, 80),
            422,
            "fulfilment.transfer_same_dealer",
        ),
        (
            body(w.a, w.b, w.product, 0, 80),
            422,
            "fulfilment.quantity_not_positive",
        ),
        (
            body(w.a, w.b, w.product, 11, 80),
            422,
            "fulfilment.transfer_exceeds_sold",
        ),
        (
            body(w.a, w.b, w.product, 1, -5),
            422,
            "fulfilment.price_negative",
        ),
        (
            body(w.a, w.b, 987_654_321, 1, 80),
            422,
            "transfer.product_unknown",
        ),
        (body(w.a, other, w.product, 1, 80), 404, "not_found"),
        (body(other, w.b, w.product, 1, 80), 404, "not_found"),
        (
            json!({ "source_dealer_id": w.a, "target_dealer_id": w.b, "lines": [] }),
            422,
            "transfer.no_lines",
        ),
        (
            json!({ "source_dealer_id": "A" }),
            422,
            "request.invalid_field",
        ),
    ];
    for (b, status, code) in cases {
        let res = t
            .api_client()
            .post(t.url("/api/v1/transfers"))
            .bearer_auth(&token)
            .json(&b)
            .send()
            .await
            .unwrap();
        let p = problem(res).await;
        assert_eq!((p.status, p.code.as_str()), (status, code), "{b}");
    }
    assert_eq!((money_footprint(&t).await, t.last_audit_id().await), before);
}

#[tokio::test]
async fn a_transfer_is_seen_only_by_people_who_see_both_dealers() {
    let t = TestApp::spawn().await;
    let w = world(&t, 100_000_000).await;
    let d = request(&t, input(&w, 2, 80)).await.unwrap();
    for login in ["rep.js1.1", "mm.n", "kam.sh"] {
        let actor = t.actor(login).await;
        let err = transfers::get(&t.app, &actor, d.transfer.id)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::NotFound { .. }), "{login}");
        let listed = transfers::list(
            &t.app,
            &actor,
            &salesos_store::transfers::TransferFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(listed.is_empty(), "{login} lists {listed:?}");
    }
    for login in ["rep.sh1.1", "mm.e", "desk"] {
        transfers::get(&t.app, &t.actor(login).await, d.transfer.id)
            .await
            .unwrap();
    }
    // the pages: list, detail, cancel form
    let rep = t.sign_in_demo("rep.sh1.1").await;
    let html = rep
        .get(t.url("/transfers"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("transfer-row"));
    let html = rep
        .get(t.url(&format!("/transfers/{}", d.transfer.id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("transfer-cancel"));
    let csrf = t.csrf_of(&rep).await;
    let res = rep
        .post(t.url("/transfers"))
        .form(&[
            ("_csrf", csrf.clone()),
            ("source_dealer_id", w.a.to_string()),
            ("target_dealer_id", w.b.to_string()),
            ("product_1", w.product.to_string()),
            ("qty_1", "3".to_string()),
            ("price_1", "0.80".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{:?}", res.text().await);
    assert_eq!(returnable(&t, w.invoice).await, 5);
    check_clean(&t).await;
}
