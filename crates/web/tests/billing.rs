//! Billing: invoices from delivered shipments with due dates and tax, payments allocated oldest
//! first or as chosen (paying the same invoice twice is refused), unallocated credit, invoice
//! cancellation, overdue debt blocking new orders, the receivables ledger, scope and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_app::billing::{self, ChosenAllocation, PaymentInput};
use salesos_app::AppError;
use salesos_test_support::billing_fixtures::{confirmed_order, payment, shipment, Stage};
use salesos_test_support::order_fixtures::{catalogue, dealer};
use salesos_test_support::{problem, TestApp};
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

#[tokio::test]
async fn invoice_from_a_delivered_shipment() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 113).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let order = confirmed_order(&t, d, c.product, 10).await;
    let billing_actor = t.actor("billing").await;
    // not yet delivered: refused
    let (s, _) = shipment(&t, order, 10, Stage::Shipped).await;
    let err = billing::invoice_shipment(&t.app, &billing_actor, s, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invoice.shipment_not_billable");
    let wh = t.actor("warehouse").await;
    salesos_app::shipments::deliver(&t.app, &wh, s, Default::default())
        .await
        .unwrap();
    let inv = billing::invoice_shipment(&t.app, &billing_actor, s, None)
        .await
        .unwrap();
    let i = &inv.invoice;
    assert_eq!(i.gross_fen, 1130);
    assert_eq!(i.net_fen + i.tax_fen, 1130);
    assert_eq!(i.status, "open");
    assert_eq!(i.open_fen, 1130);
    assert!(i.due_date >= i.invoice_date);
    let b = balance(&t, d).await;
    assert_eq!(
        (b.open_orders_fen, b.unbilled_fen, b.receivables_fen),
        (0, 0, 1130)
    );
    // twice is refused
    let err = billing::invoice_shipment(&t.app, &billing_actor, s, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invoice.shipment_not_billable");
    // the fully shipped and invoiced order is closed
    let desk = t.actor("desk").await;
    let o = salesos_app::orders::get(&t.app, &desk, order)
        .await
        .unwrap();
    assert_eq!(o.order.status, "closed");
    // termination is blocked while money is owed
    let mut conn = t.app.store.read().await.unwrap();
    assert_eq!(
        salesos_store::dealers::open_receivables_fen(&mut conn, d)
            .await
            .unwrap(),
        1130
    );
    drop(conn);
    check_clean(&t).await;
}

#[tokio::test]
async fn payments_allocate_oldest_first_or_as_chosen_and_never_twice() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let order = confirmed_order(&t, d, c.product, 30).await;
    let (_, a) = shipment(&t, order, 10, Stage::Invoiced).await;
    let (_, b) = shipment(&t, order, 10, Stage::Invoiced).await;
    let (_, c3) = shipment(&t, order, 10, Stage::Invoiced).await;
    let (a, b, c3) = (a.unwrap(), b.unwrap(), c3.unwrap());
    let bill = t.actor("billing").await;

    // oldest first: 1500 pays a fully and half of b
    let p = billing::record_payment(
        &t.app,
        &bill,
        d,
        PaymentInput {
            amount_fen: 1500,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(p.payment.unallocated_fen, 0);
    assert_eq!(p.allocations.len(), 2);
    let ia = billing::get_invoice(&t.app, &bill, a).await.unwrap();
    assert_eq!(
        (ia.invoice.status.as_str(), ia.invoice.open_fen),
        ("paid", 0)
    );
    let ib = billing::get_invoice(&t.app, &bill, b).await.unwrap();
    assert_eq!(ib.invoice.open_fen, 500);
    check_clean(&t).await;

    // chosen: pay c3 in full
    let chosen = |id: i64, amount: i64, total: i64| PaymentInput {
        amount_fen: total,
        allocation: Some("chosen".into()),
        allocations: vec![ChosenAllocation {
            invoice_id: id,
            amount_fen: amount,
        }],
        ..Default::default()
    };
    billing::record_payment(&t.app, &bill, d, chosen(c3, 1000, 1000))
        .await
        .unwrap();
    // paying the same invoice again is refused, as is paying more than is open
    let err = billing::record_payment(&t.app, &bill, d, chosen(c3, 1000, 1000))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Invalid(_)), "{err:?}");
    let err = billing::record_payment(&t.app, &bill, d, chosen(a, 1, 1))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Invalid(_)), "{err:?}");
    let err = billing::record_payment(&t.app, &bill, d, chosen(b, 501, 600))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "receivables.allocation_exceeds_open");
    // chosen with a remainder: the rest stays as credit
    let p = billing::record_payment(&t.app, &bill, d, chosen(b, 500, 800))
        .await
        .unwrap();
    assert_eq!(p.payment.unallocated_fen, 300);
    let bal = balance(&t, d).await;
    assert_eq!(bal.receivables_fen, -300);
    let r = billing::dealer_receivables(&t.app, &bill, d).await.unwrap();
    assert_eq!(r.summary.balance_fen, -300);
    assert_eq!(r.summary.open_invoices_fen, 0);
    assert_eq!(r.summary.unallocated_fen, 300);
    assert_eq!(r.ledger.iter().map(|e| e.amount_fen).sum::<i64>(), -300);
    check_clean(&t).await;

    // audited
    let ops = t.audit_since(0).await;
    assert!(ops
        .iter()
        .any(|r| r.operation == "payment.create" && r.entity == "payment"));
    assert!(ops.iter().any(|r| r.operation == "invoice.create"));
}

#[tokio::test]
async fn cancelling_an_invoice_unbills_the_goods() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let order = confirmed_order(&t, d, c.product, 10).await;
    let (s, inv) = shipment(&t, order, 10, Stage::Invoiced).await;
    let bill = t.actor("billing").await;
    let err = billing::cancel_invoice(&t.app, &bill, inv.unwrap(), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invoice.reason_required");
    let after = billing::cancel_invoice(&t.app, &bill, inv.unwrap(), Some("wrong price".into()))
        .await
        .unwrap();
    assert_eq!(after.invoice.status, "cancelled");
    let b = balance(&t, d).await;
    assert_eq!((b.unbilled_fen, b.receivables_fen), (1000, 0));
    check_clean(&t).await;
    let err = billing::cancel_invoice(&t.app, &bill, inv.unwrap(), Some("again".into()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invoice.not_cancellable");
    // invoiced again and partly paid: cancelling returns the money to the payment as credit
    let again = billing::invoice_shipment(&t.app, &bill, s, None)
        .await
        .unwrap();
    let p = payment(&t, d, 300).await;
    billing::cancel_invoice(&t.app, &bill, again.invoice.id, Some("x".into()))
        .await
        .unwrap();
    let paid = billing::get_payment(&t.app, &bill, p).await.unwrap();
    assert_eq!(paid.payment.unallocated_fen, 300);
    let b = balance(&t, d).await;
    assert_eq!((b.unbilled_fen, b.receivables_fen), (1000, -300));
    check_clean(&t).await;
    // the next invoice uses that credit first
    let third = billing::invoice_shipment(&t.app, &bill, s, None)
        .await
        .unwrap();
    assert_eq!(third.invoice.open_fen, 700);
    assert_eq!(third.allocations.len(), 1);
    check_clean(&t).await;
}

#[tokio::test]
async fn overdue_invoices_put_new_orders_on_hold() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let order = confirmed_order(&t, d, c.product, 20).await;
    let (s, _) = shipment(&t, order, 10, Stage::Picking).await;
    let wh = t.actor("warehouse").await;
    salesos_app::shipments::ship(&t.app, &wh, s, Some("2019-12-20".into()))
        .await
        .unwrap();
    let delivered = salesos_app::shipments::DeliveryInput {
        delivered_on: Some("2019-12-25".into()),
        lines: vec![],
    };
    salesos_app::shipments::deliver(&t.app, &wh, s, delivered)
        .await
        .unwrap();
    let bill = t.actor("billing").await;
    billing::invoice_shipment(&t.app, &bill, s, Some("2020-01-01".into()))
        .await
        .unwrap();
    let mut conn = t.app.store.read().await.unwrap();
    let overdue = salesos_store::credit::overdue_beyond_grace(&mut conn, d, &t.app.today(), 15)
        .await
        .unwrap();
    assert_eq!(overdue, 1000);
    drop(conn);
    let desk = t.actor("desk").await;
    let input = salesos_app::orders::NewOrderInput {
        dealer_id: d,
        order_date: None,
        source: None,
        note: None,
        lines: vec![salesos_app::orders::LineInput {
            product_id: c.product,
            quantity: 1,
            unit_price_fen: None,
        }],
        draft: false,
    };
    let created = salesos_app::orders::create(&t.app, &desk, input, None, &|_| String::new())
        .await
        .unwrap();
    let salesos_app::orders::Created::New(o) = created else {
        panic!("no replay")
    };
    assert_eq!(o.order.status, "on_hold");
    check_clean(&t).await;
}

#[tokio::test]
async fn billing_follows_scope_and_capability() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let order = confirmed_order(&t, d, c.product, 10).await;
    let (_, inv) = shipment(&t, order, 10, Stage::Invoiced).await;
    let inv = inv.unwrap();
    let rep = t.actor("rep.sh1.1").await;
    billing::get_invoice(&t.app, &rep, inv).await.unwrap();
    let other = t.actor("rep.js1.1").await;
    let err = billing::get_invoice(&t.app, &other, inv).await.unwrap_err();
    assert!(matches!(err, AppError::NotFound { .. }));
    let err = billing::dealer_receivables(&t.app, &other, d)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound { .. }));
    let err = billing::record_payment(
        &t.app,
        &rep,
        d,
        PaymentInput {
            amount_fen: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AppError::Forbidden { .. }));
    let invoices = billing::list_invoices(&t.app, &other, &Default::default())
        .await
        .unwrap();
    assert!(invoices.iter().all(|i| i.id != inv));
}

#[tokio::test]
async fn bad_payment_input_is_a_problem_with_a_field() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let order = confirmed_order(&t, d, c.product, 10).await;
    let (_, inv) = shipment(&t, order, 10, Stage::Invoiced).await;
    let token = t.token_for("billing").await;
    let client = t.api_client();
    let url = t.url(&format!("/api/v1/dealers/{d}/payments"));
    let cases = [
        (json!({ "amount_fen": 0 }), 422, "amount"),
        (json!({ "amount_fen": -5 }), 422, "amount"),
        (
            json!({ "amount_fen": 5, "method": "bitcoin" }),
            422,
            "method",
        ),
        (
            json!({ "amount_fen": 5, "received_on": "yesterday" }),
            422,
            "received_on",
        ),
        (
            json!({ "amount_fen": 5, "allocation": "newest" }),
            422,
            "allocation",
        ),
        (
            json!({ "amount_fen": 5, "allocation": "chosen", "allocations": [] }),
            422,
            "allocations",
        ),
        (
            json!({ "amount_fen": 5, "allocation": "chosen", "allocations": [{ "invoice_id": 999_999, "amount_fen": 5 }] }),
            422,
            "allocations",
        ),
        (json!({ "amount_fen": "lots" }), 422, "amount_fen"),
    ];
    for (body, status, field) in cases {
        let res = client
            .post(&url)
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), status, "{body}");
        let p = problem(res).await;
        assert_eq!(p.field.as_deref(), Some(field), "{body}: {p:?}");
    }
    let res = client
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({ "amount_fen": 400, "allocation": "chosen", "allocations": [{ "invoice_id": inv.unwrap(), "amount_fen": 400 }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["allocations"][0]["amount_fen"], 400);
    let res = client
        .get(t.url(&format!("/api/v1/dealers/{d}/receivables")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["summary"]["open_invoices_fen"], 600);
    let res = client
        .get(t.url("/api/v1/invoices?status=weird"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
}

#[tokio::test]
async fn the_pages_ship_deliver_invoice_and_take_a_payment() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let order = confirmed_order(&t, d, c.product, 10).await;
    let wh = t.sign_in_demo("warehouse").await;
    let csrf = t.csrf_of(&wh).await;
    let form = wh
        .get(t.url(&format!("/orders/{order}/ship")))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status().as_u16(), 200);
    assert!(form
        .text()
        .await
        .unwrap()
        .contains("data-testid=\"ship-qty\""));
    // a bad quantity re-shows the form with the message
    let res = wh
        .post(t.url("/shipments"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("order_id", &order.to_string()),
            ("qty_1", "11"),
            ("carrier", "顺丰"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("form-error"));
    let res = wh
        .post(t.url("/shipments"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("order_id", &order.to_string()),
            ("qty_1", "10"),
            ("carrier", "顺丰"),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let at = salesos_test_support::location(&res);
    let sid: i64 = at.trim_start_matches("/shipments/").parse().unwrap();
    let res = wh
        .post(t.url(&format!("/shipments/{sid}/ship")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection());
    let page = wh
        .get(t.url(&format!("/shipments/{sid}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line_id = {
        let mut conn = t.app.store.read().await.unwrap();
        salesos_store::shipments::lines(&mut conn, sid)
            .await
            .unwrap()[0]
            .id
    };
    assert!(page.contains(&format!("short_{line_id}")));
    let res = wh
        .post(t.url(&format!("/shipments/{sid}/deliver")))
        .form(&[
            ("_csrf", csrf.as_str()),
            (&format!("short_{line_id}"), "1"),
            (&format!("damaged_{line_id}"), "0"),
            (&format!("reship_{line_id}"), "0"),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());

    let bill = t.sign_in_demo("billing").await;
    let bcsrf = t.csrf_of(&bill).await;
    let res = bill
        .post(t.url(&format!("/shipments/{sid}/invoice")))
        .form(&[("_csrf", bcsrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let inv_at = salesos_test_support::location(&res);
    let html = bill
        .get(t.url(&inv_at))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("invoice-gross"), "{html}");
    assert!(html.contains("9.00"), "9 units of 1.00 billed: {html}");
    let res = bill
        .post(t.url(&format!("/dealers/{d}/payments")))
        .form(&[("_csrf", bcsrf.as_str()), ("amount", "abc")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let res = bill
        .post(t.url(&format!("/dealers/{d}/payments")))
        .form(&[
            ("_csrf", bcsrf.as_str()),
            ("amount", "5.00"),
            ("method", "cash"),
            ("allocation", "oldest_first"),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let html = bill
        .get(t.url(&format!("/dealers/{d}/receivables")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-testid=\"ar-ledger\""));
    assert!(html.contains("4.00"), "4.00 left open: {html}");
    // a rep of another city does not see the panel
    let other = t.sign_in_demo("rep.js1.1").await;
    let res = other
        .get(t.url(&format!("/dealers/{d}/receivables")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    check_clean(&t).await;
}

#[tokio::test]
async fn credit_notes_lower_what_an_invoice_owes_and_never_below_zero() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let order = confirmed_order(&t, d, c.product, 10).await;
    let (_, inv) = shipment(&t, order, 10, Stage::Invoiced).await;
    let inv = inv.unwrap();
    let bill = t.actor("billing").await;
    let after = billing::credit_note(&t.app, &bill, inv, 300, Some("price".into()))
        .await
        .unwrap();
    assert_eq!(after.invoice.open_fen, 700);
    assert_eq!(after.credit_notes.len(), 1);
    let b = balance(&t, d).await;
    assert_eq!(b.receivables_fen, 700);
    let err = billing::credit_note(&t.app, &bill, inv, 701, Some("x".into()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "credit_note.exceeds_open");
    let err = billing::credit_note(&t.app, &bill, inv, 0, Some("x".into()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "credit_note.amount_not_positive");
    let err = billing::cancel_invoice(&t.app, &bill, inv, Some("x".into()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invoice.has_credit_notes");
    let done = billing::credit_note(&t.app, &bill, inv, 700, Some("rest".into()))
        .await
        .unwrap();
    assert_eq!(done.invoice.status, "paid");
    check_clean(&t).await;
}

#[tokio::test]
async fn payments_and_credit_notes_have_their_pages() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let order = confirmed_order(&t, d, c.product, 10).await;
    let (_, first) = shipment(&t, order, 3, Stage::Invoiced).await;
    let (_, second) = shipment(&t, order, 4, Stage::Invoiced).await;
    let (first, second) = (first.unwrap(), second.unwrap());
    let bill = t.sign_in_demo("billing").await;
    let csrf = t.csrf_of(&bill).await;

    // a payment recorded on the receivables panel opens on its own page with its allocations
    let res = bill
        .post(t.url(&format!("/dealers/{d}/payments")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("amount", "5.00"),
            ("method", "bank_transfer"),
            ("reference", "BOC-778"),
            ("allocation", "oldest_first"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let at = salesos_test_support::location(&res);
    assert!(at.starts_with("/payments/"), "{at}");
    let html = bill
        .get(t.url(&at))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        html.matches("data-testid=\"allocation-row\"").count(),
        2,
        "{html}"
    );
    assert!(html.contains(&format!("/invoices/{first}\"")));
    assert!(html.contains(&format!("/invoices/{second}\"")));
    assert!(html.contains("BOC-778"));
    // 3.00 to the first invoice, 2.00 to the second, nothing left over
    let allocated = html
        .split("data-testid=\"payment-allocated\">")
        .nth(1)
        .unwrap();
    assert!(allocated.starts_with("5.00"), "{allocated}");

    // the list, filtered by dealer, and its export
    let html = bill
        .get(t.url(&format!("/payments?dealer_id={d}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        html.matches("data-testid=\"payment-row\"").count(),
        1,
        "{html}"
    );
    let res = bill
        .get(t.url(&format!("/payments/export?format=csv&dealer_id={d}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains("BOC-778") && csv.contains("5.00"), "{csv}");

    // a credit note from the invoice page: bad amounts at the field, nothing written
    let cn = |amount: &'static str, reason: &'static str| {
        let bill = bill.clone();
        let csrf = csrf.clone();
        let t = &t;
        async move {
            bill.post(t.url(&format!("/invoices/{second}/credit-notes")))
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("amount", amount),
                    ("reason", reason),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    for (amount, reason, field) in [
        ("abc", "price", "amount_fen"),
        ("2.01", "price", "amount_fen"),
        ("1.00", " ", "reason"),
    ] {
        let res = cn(amount, reason).await;
        assert_eq!(res.status(), 422, "{amount} {reason}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains(&format!("data-field=\"{field}\"")),
            "{amount}/{reason}: error at {field}: {html}"
        );
    }
    assert_eq!(t.count("SELECT COUNT(*) AS n FROM credit_notes").await, 0);
    let res = cn("0.50", "price adjustment").await;
    assert_eq!(res.status(), 303);
    let html = bill
        .get(t.url(&format!("/invoices/{second}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("price adjustment"));
    assert!(html.contains("data-testid=\"invoice-open\">1.50"), "{html}");
    // the invoice prints: a print button, and its forms are marked not to print
    assert!(html.contains("data-print"));
    assert!(html.contains("class=\"form noprint\" data-testid=\"credit-note-form\""));

    // the invoice list filters by status and exports the same rows
    let html = bill
        .get(t.url(&format!("/invoices?status=paid&dealer_id={d}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        html.matches("data-testid=\"invoice-row\"").count(),
        1,
        "{html}"
    );
    let res = bill
        .get(t.url(&format!(
            "/invoices/export?format=csv&status=open&dealer_id={d}"
        )))
        .send()
        .await
        .unwrap();
    let csv = res.text().await.unwrap();
    assert_eq!(csv.lines().count(), 2, "only the open one: {csv}");

    // scope: a rep of another city sees neither the payment nor may a rep issue credit notes
    let other = t.sign_in_demo("rep.js1.1").await;
    assert_eq!(other.get(t.url(&at)).send().await.unwrap().status(), 404);
    let rep = t.sign_in_demo("rep.sh1.1").await;
    assert_eq!(rep.get(t.url(&at)).send().await.unwrap().status(), 200);
    let rep_csrf = t.csrf_of(&rep).await;
    let res = rep
        .post(t.url(&format!("/invoices/{second}/credit-notes")))
        .form(&[
            ("_csrf", rep_csrf.as_str()),
            ("amount", "0.10"),
            ("reason", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    check_clean(&t).await;
}

#[tokio::test]
async fn credit_notes_are_listed_and_shown_in_scope() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let east = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let north = dealer(&t, "C-BJ1", "rep.bj1.1", 1_000_000).await;
    let bill = t.actor("billing").await;
    let mut notes = Vec::new();
    for d in [east, north] {
        let order = confirmed_order(&t, d, c.product, 10).await;
        let (_, inv) = shipment(&t, order, 10, Stage::Invoiced).await;
        let after = billing::credit_note(&t.app, &bill, inv.unwrap(), 120, Some("破损补偿".into()))
            .await
            .unwrap();
        notes.push((
            after.credit_notes[0].id,
            after.credit_notes[0].number.clone(),
        ));
    }
    // over the API: the East rep sees the East note only; another's is "not found"
    let rep = t.token_for("rep.sh1.1").await;
    let res = t
        .api_client()
        .get(t.url("/api/v1/credit-notes"))
        .bearer_auth(&rep)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![notes[0].0]);
    assert_eq!(list[0]["amount_fen"], 120);
    assert_eq!(list[0]["dealer_id"], east);
    assert!(list[0]["invoice_number"].as_str().is_some());
    let res = t
        .api_client()
        .get(t.url(&format!("/api/v1/credit-notes/{}", notes[1].0)))
        .bearer_auth(&rep)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(res).await.status, 404);
    let res = t
        .api_client()
        .get(t.url("/api/v1/credit-notes?dealer_id=abc"))
        .bearer_auth(&rep)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(res).await.status, 400);
    // the pages: list, one note, the export
    let page = t.sign_in_demo("billing").await;
    let html = page
        .get(t.url("/credit-notes"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("data-testid=\"credit-note-row\"").count(), 2);
    let html = page
        .get(t.url(&format!("/credit-notes/{}", notes[0].0)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("破损补偿") && html.contains(&notes[0].1));
    assert!(
        html.contains("data-testid=\"credit-note-amount\">1.20"),
        "{html}"
    );
    let csv = page
        .get(t.url(&format!(
            "/credit-notes/export?format=csv&dealer_id={north}"
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains(&notes[1].1));
    let other = t.sign_in_demo("rep.sh1.1").await;
    let res = other
        .get(t.url(&format!("/credit-notes/{}", notes[1].0)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}
