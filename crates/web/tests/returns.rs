//! Returns (退货): the whole lifecycle (request → approval → receipt → inspection → credit note
//! on the original invoice), the loophole "returning more than was shipped" tried every way
//! (one big request, two requests, concurrent requests, after a partial credit, after a
//! rejection), rejections that leave the data exactly as it was, scope, the pages, and the
//! consistency checks of `salesos check` after every step.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_app::approvals;
use salesos_app::returns::{
    self, InspectInput, InspectLineInput, NewReturnInput, ReceiveInput, ReceiveLineInput,
    ReturnDetail, ReturnLineInput,
};
use salesos_app::AppError;
use salesos_domain::approvals::Decision;
use salesos_test_support::billing_fixtures::{confirmed_order, payment, shipment, Stage};
use salesos_test_support::order_fixtures::{catalogue, dealer};
use salesos_test_support::{location, problem, TestApp};
use serde_json::{json, Value};

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

/// A dealer at C-SH1 (rep.sh1.1) who bought `qty` units at 1.00 yuan (tax included, 13 %) on
/// one invoiced shipment. Returns (dealer, invoice).
async fn sold(t: &TestApp, qty: i64) -> (i64, i64) {
    let c = catalogue(t, 100).await;
    let d = dealer(t, "C-SH1", "rep.sh1.1", 100_000_000).await;
    let o = confirmed_order(t, d, c.product, qty).await;
    let (_, inv) = shipment(t, o, qty, Stage::Invoiced).await;
    (d, inv.unwrap())
}

fn ask(qty: i64) -> NewReturnInput {
    NewReturnInput {
        reason: Some("质量问题".into()),
        note: None,
        lines: vec![ReturnLineInput {
            line_no: 1,
            quantity: qty,
            reason: None,
        }],
    }
}

async fn request(t: &TestApp, invoice: i64, qty: i64) -> Result<ReturnDetail, AppError> {
    let rep = t.actor("rep.sh1.1").await;
    returns::request(&t.app, &rep, invoice, ask(qty)).await
}

/// Decides the return's pending approval as market manager East.
async fn decide(t: &TestApp, d: &ReturnDetail, decision: Decision) {
    let mm = t.actor("mm.e").await;
    let pending = d
        .approvals
        .iter()
        .find(|a| a.status == "pending")
        .expect("a pending approval");
    let reason = (decision != Decision::Approve).then(|| "不符合退货政策".to_string());
    approvals::decide(&t.app, &mm, pending.id, decision, reason)
        .await
        .unwrap();
}

async fn get(t: &TestApp, id: i64) -> ReturnDetail {
    let desk = t.actor("desk").await;
    returns::get(&t.app, &desk, id).await.unwrap()
}

/// Request, approve, receive everything, accept everything, credit.
async fn credited(t: &TestApp, invoice: i64, qty: i64) -> ReturnDetail {
    let r = request(t, invoice, qty).await.unwrap();
    decide(t, &r, Decision::Approve).await;
    let wh = t.actor("warehouse").await;
    returns::receive(&t.app, &wh, r.ret.id, ReceiveInput::default())
        .await
        .unwrap();
    returns::inspect(&t.app, &wh, r.ret.id, InspectInput::default())
        .await
        .unwrap();
    let billing = t.actor("billing").await;
    returns::credit(&t.app, &billing, r.ret.id, None)
        .await
        .unwrap()
}

async fn returnable(t: &TestApp, invoice: i64) -> i64 {
    let desk = t.actor("desk").await;
    returns::returnable(&t.app, &desk, invoice)
        .await
        .unwrap()
        .lines[0]
        .returnable()
}

/// Counts of everything a return operation can write.
async fn footprint(t: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for sql in [
        "SELECT COUNT(*) AS n FROM returns",
        "SELECT COUNT(*) AS n FROM return_lines",
        "SELECT CAST(COALESCE(SUM(held_qty), 0) AS BIGINT) AS n FROM return_lines",
        "SELECT COUNT(*) AS n FROM credit_notes",
        "SELECT COUNT(*) AS n FROM ar_ledger",
        "SELECT COUNT(*) AS n FROM credit_ledger",
        "SELECT COUNT(*) AS n FROM approval_requests",
        "SELECT COUNT(*) AS n FROM payment_allocations",
        "SELECT CAST(COALESCE(SUM(open_fen), 0) AS BIGINT) AS n FROM invoices",
    ] {
        out.push(t.count(sql).await);
    }
    out.push(t.last_audit_id().await);
    out
}

#[tokio::test]
async fn a_return_goes_from_request_to_a_credit_note_on_the_original_invoice() {
    let t = TestApp::spawn().await;
    let (d, invoice) = sold(&t, 10).await;
    assert_eq!(balance(&t, d).await.receivables_fen, 1000);

    let r = request(&t, invoice, 4).await.unwrap();
    assert_eq!(r.ret.status, "requested");
    assert_eq!(r.ret.invoice_id, invoice);
    assert_eq!(r.ret.credit_fen, 400, "estimate for 4 of 10 units of 1000");
    assert_eq!(r.ret.requested_by, Some(t.person_id("rep.sh1.1").await));
    assert_eq!(r.approvals.len(), 1);
    assert_eq!(r.approvals[0].doc_type, "return");
    // requested units are held at once
    assert_eq!(returnable(&t, invoice).await, 6);
    // nothing moves money before the credit note
    assert_eq!(balance(&t, d).await.receivables_fen, 1000);
    check_clean(&t).await;

    // the warehouse cannot receive before the approval
    let wh = t.actor("warehouse").await;
    let err = returns::receive(&t.app, &wh, r.ret.id, ReceiveInput::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "return.wrong_state");

    decide(&t, &r, Decision::Approve).await;
    let r = get(&t, r.ret.id).await;
    assert_eq!(r.ret.status, "approved");
    assert_eq!(r.ret.decided_by, Some(t.person_id("mm.e").await));
    assert!(r.ret.decided_at.is_some());

    // 3 of the 4 arrive: the fourth is free to return again
    let line = r.lines[0].id;
    let r = returns::receive(
        &t.app,
        &wh,
        r.ret.id,
        ReceiveInput {
            received_on: None,
            lines: vec![ReceiveLineInput {
                line_id: line,
                received_qty: 3,
            }],
        },
    )
    .await
    .unwrap();
    assert_eq!(r.ret.status, "received");
    assert_eq!(r.lines[0].received_qty, Some(3));
    assert_eq!(returnable(&t, invoice).await, 7);
    check_clean(&t).await;

    // rejecting units needs a reason
    let reject_one = |why: Option<&str>| InspectInput {
        lines: vec![InspectLineInput {
            line_id: line,
            accepted_qty: 2,
            reject_reason: why.map(str::to_string),
            disposition: Some("scrap".into()),
        }],
    };
    let err = returns::inspect(&t.app, &wh, r.ret.id, reject_one(None))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "return.reject_reason_required");
    let r = returns::inspect(
        &t.app,
        &wh,
        r.ret.id,
        reject_one(Some("包装破损，非质量问题")),
    )
    .await
    .unwrap();
    assert_eq!(r.ret.status, "inspected");
    assert_eq!(
        (r.lines[0].accepted_qty, r.lines[0].rejected_qty),
        (Some(2), Some(1))
    );
    assert_eq!(r.lines[0].disposition.as_deref(), Some("scrap"));
    assert_eq!(returnable(&t, invoice).await, 8);
    assert_eq!(balance(&t, d).await.receivables_fen, 1000);

    // only billing issues the credit note
    let err = returns::credit(&t.app, &wh, r.ret.id, None)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden { .. }));
    let billing = t.actor("billing").await;
    let r = returns::credit(&t.app, &billing, r.ret.id, None)
        .await
        .unwrap();
    assert_eq!(r.ret.status, "credited");
    // 2 of 10 units of net 885 + tax 115: floor(177) + floor(23)
    assert_eq!(r.ret.credit_fen, 200);
    assert_eq!(
        (r.lines[0].credit_net_fen, r.lines[0].credit_tax_fen),
        (177, 23)
    );
    assert!(r.ret.credit_note_number.is_some());
    let b = balance(&t, d).await;
    assert_eq!((b.receivables_fen, b.exposure_fen), (800, 800));
    let inv = salesos_app::billing::get_invoice(&t.app, &billing, invoice)
        .await
        .unwrap();
    assert_eq!(inv.invoice.open_fen, 800);
    assert_eq!(inv.credit_notes.len(), 1);
    assert_eq!(inv.credit_notes[0].reason, "return");
    assert_eq!(inv.credit_notes[0].amount_fen, 200);
    // who and when at every step
    for (who, at) in [
        (r.ret.received_by, r.ret.received_at),
        (r.ret.inspected_by, r.ret.inspected_at),
    ] {
        assert_eq!(who, Some(t.person_id("warehouse").await));
        assert!(at.is_some());
    }
    assert_eq!(r.ret.credited_by, Some(t.person_id("billing").await));
    // and the audit trail
    let ops: Vec<String> = t
        .audit_since(0)
        .await
        .into_iter()
        .filter(|e| e.entity == "return" && e.entity_id == r.ret.id)
        .map(|e| e.operation)
        .collect();
    for op in [
        "return.request",
        "return.approved",
        "return.receive",
        "return.inspect",
        "return.credit",
    ] {
        assert!(ops.iter().any(|o| o == op), "{op} missing from {ops:?}");
    }
    // a credited return is final
    let err = returns::cancel(&t.app, &t.actor("desk").await, r.ret.id, Some("x".into()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "return.wrong_state");
    check_clean(&t).await;
}

#[tokio::test]
async fn partial_credits_of_a_line_add_up_to_exactly_the_line() {
    let t = TestApp::spawn().await;
    let (d, invoice) = sold(&t, 10).await;
    let a = credited(&t, invoice, 3).await;
    // 3/10 of 885 and 115, each rounded down
    assert_eq!(a.ret.credit_fen, 265 + 34);
    let b = credited(&t, invoice, 3).await;
    // the second picks up the fen the first left behind: 531−265, 69−34
    assert_eq!(b.ret.credit_fen, 266 + 35);
    let c = credited(&t, invoice, 4).await;
    assert_eq!(c.ret.credit_fen, 1000 - 299 - 301);
    assert_eq!(returnable(&t, invoice).await, 0);
    let bal = balance(&t, d).await;
    assert_eq!((bal.receivables_fen, bal.exposure_fen), (0, 0));
    check_clean(&t).await;
}

#[tokio::test]
async fn returning_more_than_was_shipped_is_refused_every_way() {
    let t = TestApp::spawn().await;
    let (_, invoice) = sold(&t, 10).await;

    // one big request
    let before = footprint(&t).await;
    let err = request(&t, invoice, 11).await.unwrap_err();
    assert_eq!(err.code(), "fulfilment.return_exceeds_sold");
    assert_eq!(
        footprint(&t).await,
        before,
        "a refused request writes nothing"
    );

    // two requests that each fit but not together (the first is still pending)
    let first = request(&t, invoice, 6).await.unwrap();
    let err = request(&t, invoice, 5).await.unwrap_err();
    assert_eq!(err.code(), "fulfilment.return_exceeds_sold");
    request(&t, invoice, 4).await.unwrap();
    let err = request(&t, invoice, 1).await.unwrap_err();
    assert_eq!(err.code(), "fulfilment.return_exceeds_sold");

    // cancelling frees the units, a rejection in approval too
    let desk = t.actor("desk").await;
    returns::cancel(&t.app, &desk, first.ret.id, Some("客户改主意".into()))
        .await
        .unwrap();
    assert_eq!(returnable(&t, invoice).await, 6);
    let second = request(&t, invoice, 6).await.unwrap();
    decide(&t, &second, Decision::Reject).await;
    assert_eq!(get(&t, second.ret.id).await.ret.status, "rejected");
    assert_eq!(returnable(&t, invoice).await, 6);
    check_clean(&t).await;

    // after a partial credit: 6 credited, 4 still held by the pending request → nothing left
    let t2 = TestApp::spawn().await;
    let (_, invoice) = sold(&t2, 10).await;
    credited(&t2, invoice, 6).await;
    let err = request(&t2, invoice, 5).await.unwrap_err();
    assert_eq!(err.code(), "fulfilment.return_exceeds_sold");
    let last = credited(&t2, invoice, 4).await;
    assert_eq!(last.ret.status, "credited");
    let err = request(&t2, invoice, 1).await.unwrap_err();
    assert_eq!(err.code(), "fulfilment.return_exceeds_sold");
    check_clean(&t2).await;

    // units rejected at inspection can be asked for again, but no more than that
    let t3 = TestApp::spawn().await;
    let (_, invoice) = sold(&t3, 5).await;
    let r = request(&t3, invoice, 5).await.unwrap();
    decide(&t3, &r, Decision::Approve).await;
    let wh = t3.actor("warehouse").await;
    returns::receive(&t3.app, &wh, r.ret.id, ReceiveInput::default())
        .await
        .unwrap();
    let r = returns::inspect(
        &t3.app,
        &wh,
        r.ret.id,
        InspectInput {
            lines: vec![InspectLineInput {
                line_id: r.lines[0].id,
                accepted_qty: 0,
                reject_reason: Some("非本公司产品".into()),
                disposition: None,
            }],
        },
    )
    .await
    .unwrap();
    assert_eq!(
        r.ret.status, "closed",
        "nothing accepted: closed without a credit"
    );
    assert!(r.ret.credit_note_id.is_none());
    assert_eq!(returnable(&t3, invoice).await, 5);
    let err = request(&t3, invoice, 6).await.unwrap_err();
    assert_eq!(err.code(), "fulfilment.return_exceeds_sold");
    check_clean(&t3).await;
}

#[tokio::test]
async fn concurrent_requests_never_together_exceed_what_was_sold() {
    let t = TestApp::spawn().await;
    let (_, invoice) = sold(&t, 10).await;
    let rep = t.actor("rep.sh1.1").await;
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let app = t.app.clone();
        let rep = rep.clone();
        tasks.push(tokio::spawn(async move {
            returns::request(&app, &rep, invoice, ask(3)).await
        }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(e.code(), "fulfilment.return_exceeds_sold"),
        }
    }
    assert_eq!(ok, 3, "exactly three returns of 3 fit into 10 sold");
    assert_eq!(returnable(&t, invoice).await, 1);
    assert_eq!(
        t.count("SELECT CAST(COALESCE(SUM(held_qty), 0) AS BIGINT) AS n FROM return_lines")
            .await,
        9
    );
    check_clean(&t).await;
}

#[tokio::test]
async fn a_return_of_a_paid_invoice_leaves_the_money_as_credit_on_account() {
    let t = TestApp::spawn().await;
    let (d, invoice) = sold(&t, 10).await;
    let pay = payment(&t, d, 1000).await;
    let r = credited(&t, invoice, 10).await;
    assert_eq!(r.ret.credit_fen, 1000);
    let billing = t.actor("billing").await;
    let p = salesos_app::billing::get_payment(&t.app, &billing, pay)
        .await
        .unwrap();
    assert_eq!(p.payment.unallocated_fen, 1000, "the payment is free again");
    let b = balance(&t, d).await;
    assert_eq!(
        b.receivables_fen, -1000,
        "the dealer holds 10 yuan of credit"
    );
    check_clean(&t).await;
}

#[tokio::test]
async fn sent_back_returns_are_submitted_again_and_keep_their_units() {
    let t = TestApp::spawn().await;
    let (_, invoice) = sold(&t, 10).await;
    let r = request(&t, invoice, 7).await.unwrap();
    decide(&t, &r, Decision::SendBack).await;
    let r = get(&t, r.ret.id).await;
    assert_eq!(r.ret.status, "sent_back");
    assert_eq!(
        returnable(&t, invoice).await,
        3,
        "still held while sent back"
    );
    let rep = t.actor("rep.sh1.1").await;
    let r = returns::resubmit(&t.app, &rep, r.ret.id).await.unwrap();
    assert_eq!(r.ret.status, "requested");
    assert_eq!(r.approvals.len(), 2);
    decide(&t, &r, Decision::Approve).await;
    assert_eq!(get(&t, r.ret.id).await.ret.status, "approved");
    // cancelling an approved return withdraws nothing but frees its units
    returns::cancel(&t.app, &rep, r.ret.id, Some("经销商自行处理".into()))
        .await
        .unwrap();
    assert_eq!(returnable(&t, invoice).await, 10);
    check_clean(&t).await;
}

#[tokio::test]
async fn bad_requests_over_http_are_problems_and_change_nothing() {
    let t = TestApp::spawn().await;
    let (_, invoice) = sold(&t, 10).await;
    let rep = t.token_for("rep.sh1.1").await;
    let wh = t.token_for("warehouse").await;
    let c = t.api_client();
    let created: Value = c
        .post(t.url(&format!("/api/v1/invoices/{invoice}/returns")))
        .bearer_auth(&rep)
        .json(&json!({ "reason": "破损", "lines": [{ "line_no": 1, "quantity": 2 }] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["return"]["id"].as_i64().unwrap();
    assert_eq!(created["return"]["status"], "requested");
    let line_id = created["lines"][0]["id"].as_i64().unwrap();

    let before = footprint(&t).await;
    type Case<'a> = (&'a str, String, Value, u16, &'a str, Option<&'a str>);
    let cases: Vec<Case> = vec![
        (
            "POST",
            format!("/api/v1/invoices/{invoice}/returns"),
            json!({ "lines": [{ "line_no": 1, "quantity": 1 }] }),
            422,
            "return.reason_required",
            Some("reason"),
        ),
        (
            "POST",
            format!("/api/v1/invoices/{invoice}/returns"),
            json!({ "reason": "x", "lines": [{ "line_no": 1, "quantity": 0 }] }),
            422,
            "fulfilment.quantity_not_positive",
            Some("quantity"),
        ),
        (
            "POST",
            format!("/api/v1/invoices/{invoice}/returns"),
            json!({ "reason": "x", "lines": [{ "line_no": 1, "quantity": -3 }] }),
            422,
            "fulfilment.quantity_not_positive",
            Some("quantity"),
        ),
        (
            "POST",
            format!("/api/v1/invoices/{invoice}/returns"),
            json!({ "reason": "x", "lines": [{ "line_no": 9, "quantity": 1 }] }),
            422,
            "return.line_unknown",
            Some("line_no"),
        ),
        (
            "POST",
            format!("/api/v1/invoices/{invoice}/returns"),
            json!({ "reason": "x", "lines": [] }),
            422,
            "return.no_lines",
            Some("lines"),
        ),
        (
            "POST",
            format!("/api/v1/invoices/{invoice}/returns"),
            json!({ "reason": "x", "lines": [{ "line_no": 1, "quantity": 1 }, { "line_no": 1, "quantity": 1 }] }),
            422,
            "return.duplicate_line",
            Some("lines"),
        ),
        (
            "POST",
            format!("/api/v1/invoices/{invoice}/returns"),
            json!({ "reason": "x", "lines": [{ "line_no": 1, "quantity": 9 }] }),
            422,
            "fulfilment.return_exceeds_sold",
            Some("quantity"),
        ),
        (
            "POST",
            format!("/api/v1/invoices/{invoice}/returns"),
            json!({ "reason": "x", "lines": "many" }),
            422,
            "request.invalid_field",
            None,
        ),
        (
            "POST",
            format!("/api/v1/returns/{id}/receive"),
            json!({}),
            409,
            "return.wrong_state",
            None,
        ),
        (
            "POST",
            format!("/api/v1/returns/{id}/cancel"),
            json!({}),
            422,
            "return.reason_required",
            Some("reason"),
        ),
        (
            "POST",
            format!("/api/v1/returns/{id}/cancel"),
            json!({ "reason": "x".repeat(201) }),
            422,
            "return.reason_too_long",
            Some("reason"),
        ),
        (
            "POST",
            "/api/v1/invoices/987654321/returns".to_string(),
            json!({ "reason": "x", "lines": [{ "line_no": 1, "quantity": 1 }] }),
            404,
            "not_found",
            None,
        ),
    ];
    for (method, path, body, status, code, field) in cases {
        let token = if path.ends_with("/receive") {
            &wh
        } else {
            &rep
        };
        let res = c
            .request(method.parse().unwrap(), t.url(&path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let p = problem(res).await;
        assert_eq!((p.status, p.code.as_str()), (status, code), "{path} {body}");
        if let Some(f) = field {
            assert_eq!(p.field.as_deref(), Some(f), "{path} {body}");
        }
    }
    assert_eq!(
        footprint(&t).await,
        before,
        "refused requests write nothing"
    );
    // received more than requested, accepted more than received
    let desk = t.actor("desk").await;
    let d = returns::get(&t.app, &desk, id).await.unwrap();
    decide(&t, &d, Decision::Approve).await;
    let before_receive = footprint(&t).await;
    let res = c
        .post(t.url(&format!("/api/v1/returns/{id}/receive")))
        .bearer_auth(&wh)
        .json(&json!({ "lines": [{ "line_id": line_id, "received_qty": 3 }] }))
        .send()
        .await
        .unwrap();
    let p = problem(res).await;
    assert_eq!(p.code, "return.received_exceeds_requested");
    assert_eq!(footprint(&t).await, before_receive);
    let res = c
        .post(t.url(&format!("/api/v1/returns/{id}/receive")))
        .bearer_auth(&wh)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = c
        .post(t.url(&format!("/api/v1/returns/{id}/inspect")))
        .bearer_auth(&wh)
        .json(&json!({ "lines": [{ "line_id": line_id, "accepted_qty": 3 }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(res).await.code, "return.accepted_exceeds_received");
    let res = c
        .post(t.url(&format!("/api/v1/returns/{id}/inspect")))
        .bearer_auth(&wh)
        .json(
            &json!({ "lines": [{ "line_id": line_id, "accepted_qty": 2, "disposition": "sell" }] }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(problem(res).await.code, "return.disposition_unknown");
    // the rep cannot credit (403), and nothing changed by any refusal
    let res = c
        .post(t.url(&format!("/api/v1/returns/{id}/credit")))
        .bearer_auth(&rep)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(res).await.status, 403);
    assert_eq!(get(&t, id).await.ret.status, "received");
    check_clean(&t).await;
}

#[tokio::test]
async fn returns_are_scoped_like_their_invoice() {
    let t = TestApp::spawn().await;
    let (_, invoice) = sold(&t, 10).await;
    let r = request(&t, invoice, 2).await.unwrap();
    // a rep of another city: neither the invoice nor the return exists for them
    let other = t.actor("rep.js1.1").await;
    let err = returns::request(&t.app, &other, invoice, ask(1))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound { .. }));
    let err = returns::get(&t.app, &other, r.ret.id).await.unwrap_err();
    assert!(matches!(err, AppError::NotFound { .. }));
    let err = returns::cancel(&t.app, &other, r.ret.id, Some("x".into()))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound { .. }));
    let listed = returns::list(&t.app, &other, &Default::default())
        .await
        .unwrap();
    assert!(listed.iter().all(|x| x.id != r.ret.id));
    let mine = returns::list(
        &t.app,
        &t.actor("rep.sh1.1").await,
        &salesos_store::returns::ReturnFilter {
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(mine.iter().any(|x| x.id == r.ret.id));
    // the market manager of the other market gets 404 over HTTP too
    let res = t
        .api_client()
        .get(t.url(&format!("/api/v1/returns/{}", r.ret.id)))
        .bearer_auth(t.token_for("mm.n").await)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn the_pages_request_receive_inspect_and_credit_a_return() {
    let t = TestApp::spawn().await;
    let (d, invoice) = sold(&t, 10).await;
    let rep = t.sign_in_demo("rep.sh1.1").await;
    let html = rep
        .get(t.url(&format!("/invoices/{invoice}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("/invoices/{invoice}/returns/new")));
    let res = rep
        .get(t.url(&format!("/invoices/{invoice}/returns/new")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("data-testid=\"returnable-1\">10<"), "{html}");
    let csrf = t.csrf_of(&rep).await;
    // too many: the form comes back with the message, nothing written
    let res = rep
        .post(t.url(&format!("/invoices/{invoice}/returns")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("qty_1", "11"),
            ("reason", "过期"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("form-error"));
    assert_eq!(t.count("SELECT COUNT(*) AS n FROM returns").await, 0);
    let res = rep
        .post(t.url(&format!("/invoices/{invoice}/returns")))
        .form(&[("_csrf", csrf.as_str()), ("qty_1", "4"), ("reason", "过期")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert!(to.starts_with("/returns/"), "{to}");
    let id: i64 = to.trim_start_matches("/returns/").parse().unwrap();
    decide(&t, &get(&t, id).await, Decision::Approve).await;

    let wh = t.sign_in_demo("warehouse").await;
    let html = wh
        .get(t.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("return-receive"));
    let line = get(&t, id).await.lines[0].id;
    let csrf = t.csrf_of(&wh).await;
    let res = wh
        .post(t.url(&format!("{to}/receive")))
        .form(&[
            ("_csrf".to_string(), csrf.clone()),
            (format!("received_{line}"), "4".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = wh
        .post(t.url(&format!("{to}/inspect")))
        .form(&[
            ("_csrf".to_string(), csrf.clone()),
            (format!("accepted_{line}"), "4".to_string()),
            (format!("disposition_{line}"), "restock".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let billing = t.sign_in_demo("billing").await;
    let csrf = t.csrf_of(&billing).await;
    let res = billing
        .post(t.url(&format!("{to}/credit")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = billing
        .get(t.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("return-credit-note"), "{html}");
    assert_eq!(balance(&t, d).await.receivables_fen, 600);
    // the list, filtered, and its export
    let html = billing
        .get(t.url("/returns?status=credited"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("return-row"));
    let html = billing
        .get(t.url("/returns?status=requested"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("return-row"));
    let res = billing
        .get(t.url("/returns/export?format=csv&status=credited"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    assert_eq!(csv.lines().count(), 2, "header and one return: {csv}");
    check_clean(&t).await;
}

#[tokio::test]
async fn an_invoice_with_a_return_in_progress_cannot_be_cancelled() {
    let t = TestApp::spawn().await;
    let (_, invoice) = sold(&t, 10).await;
    let r = request(&t, invoice, 3).await.unwrap();
    let billing = t.actor("billing").await;
    let before = footprint(&t).await;
    let err =
        salesos_app::billing::cancel_invoice(&t.app, &billing, invoice, Some("开错了".into()))
            .await
            .unwrap_err();
    assert_eq!(err.code(), "invoice.has_returns");
    assert_eq!(
        footprint(&t).await,
        before,
        "a refused cancel writes nothing"
    );
    // once the return is cancelled, its units are free and the invoice can be cancelled
    let desk = t.actor("desk").await;
    returns::cancel(&t.app, &desk, r.ret.id, Some("客户改主意".into()))
        .await
        .unwrap();
    salesos_app::billing::cancel_invoice(&t.app, &billing, invoice, Some("开错了".into()))
        .await
        .unwrap();
    check_clean(&t).await;
}
