//! Shipments: partial quantities across several shipments, never beyond what was ordered; the
//! credit postings of shipping; delivery with shortage and damage settled by credit or
//! re-shipment; the order's states; scope; audit; and bad input over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_app::shipments::{
    self, DeliveryInput, DeliveryLineInput, NewShipmentInput, ShipLineInput,
};
use salesos_app::{orders, AppError};
use salesos_test_support::billing_fixtures::confirmed_order;
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

fn ship_input(qty: i64) -> NewShipmentInput {
    NewShipmentInput {
        lines: vec![ShipLineInput {
            line_no: 1,
            quantity: qty,
        }],
        carrier: Some("德邦".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn partial_shipments_move_exposure_and_never_exceed_the_order() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let order = confirmed_order(&t, d, c.product, 10).await;
    let wh = t.actor("warehouse").await;
    assert_eq!(balance(&t, d).await.open_orders_fen, 1000);

    let s1 = shipments::create(&t.app, &wh, order, ship_input(4))
        .await
        .unwrap();
    assert_eq!(s1.shipment.status, "picking");
    assert_eq!(s1.shipment.value_fen, 400);
    // picking reserves the units: only 6 remain for another shipment
    let err = shipments::create(&t.app, &wh, order, ship_input(7))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "fulfilment.shipment_exceeds_ordered");
    shipments::ship(&t.app, &wh, s1.shipment.id, None)
        .await
        .unwrap();
    let b = balance(&t, d).await;
    assert_eq!(
        (b.open_orders_fen, b.unbilled_fen, b.exposure_fen),
        (600, 400, 1000)
    );
    let desk = t.actor("desk").await;
    let o = orders::get(&t.app, &desk, order).await.unwrap();
    assert_eq!(o.order.status, "partially_shipped");
    assert_eq!(o.order.exposure_fen, 600);
    check_clean(&t).await;

    // shipping twice is refused
    let err = shipments::ship(&t.app, &wh, s1.shipment.id, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "shipment.wrong_state");
    // a partially shipped order can no longer be edited or cancelled
    let err = orders::cancel(&t.app, &desk, order, None)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");

    // the rest, with no lines named: everything still open
    let s2 = shipments::create(
        &t.app,
        &wh,
        order,
        NewShipmentInput {
            consignment_station: Some("上海北站".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(s2.lines[0].quantity, 6);
    shipments::ship(&t.app, &wh, s2.shipment.id, None)
        .await
        .unwrap();
    let o = orders::get(&t.app, &desk, order).await.unwrap();
    assert_eq!(o.order.status, "shipped");
    assert_eq!(o.order.exposure_fen, 0);
    let err = shipments::create(
        &t.app,
        &wh,
        order,
        NewShipmentInput {
            carrier: Some("x".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "shipment.order_not_shippable");
    let b = balance(&t, d).await;
    assert_eq!((b.open_orders_fen, b.unbilled_fen), (0, 1000));
    check_clean(&t).await;

    // audited
    let ops = t.audit_since(0).await;
    assert!(ops.iter().any(|r| r.operation == "shipment.ship"));
}

#[tokio::test]
async fn delivery_claims_credit_or_reship() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let order = confirmed_order(&t, d, c.product, 10).await;
    let wh = t.actor("warehouse").await;
    let s = shipments::create(&t.app, &wh, order, ship_input(10))
        .await
        .unwrap();
    shipments::ship(&t.app, &wh, s.shipment.id, Some("2026-01-05".into()))
        .await
        .unwrap();
    // more claimed than shipped is refused
    let bad = DeliveryInput {
        delivered_on: Some("2026-01-06".into()),
        lines: vec![DeliveryLineInput {
            line_id: s.lines[0].id,
            short_qty: 8,
            damaged_qty: 3,
            reship_qty: 0,
        }],
    };
    let err = shipments::deliver(&t.app, &wh, s.shipment.id, bad)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "fulfilment.claim_exceeds_shipped");
    // delivery before shipping is refused
    let early = DeliveryInput {
        delivered_on: Some("2026-01-01".into()),
        lines: vec![],
    };
    let err = shipments::deliver(&t.app, &wh, s.shipment.id, early)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "shipment.delivered_before_shipped");

    // 2 short (1 re-shipped, 1 credited), 1 damaged (credited)
    let ok = DeliveryInput {
        delivered_on: Some("2026-01-06".into()),
        lines: vec![DeliveryLineInput {
            line_id: s.lines[0].id,
            short_qty: 2,
            damaged_qty: 1,
            reship_qty: 1,
        }],
    };
    let after = shipments::deliver(&t.app, &wh, s.shipment.id, ok)
        .await
        .unwrap();
    assert_eq!(after.shipment.status, "delivered");
    assert_eq!(after.shipment.value_fen, 700);
    assert_eq!(after.claims.len(), 2);
    let b = balance(&t, d).await;
    // 1 unit back to open orders, 2 credited away, 7 unbilled
    assert_eq!((b.open_orders_fen, b.unbilled_fen), (100, 700));
    let desk = t.actor("desk").await;
    let o = orders::get(&t.app, &desk, order).await.unwrap();
    assert_eq!(o.order.status, "partially_shipped");
    check_clean(&t).await;
    // the re-shipment ships the one unit again, and no more
    let err = shipments::create(&t.app, &wh, order, ship_input(2))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "fulfilment.shipment_exceeds_ordered");
    let again = shipments::create(&t.app, &wh, order, ship_input(1))
        .await
        .unwrap();
    shipments::ship(&t.app, &wh, again.shipment.id, None)
        .await
        .unwrap();
    let o = orders::get(&t.app, &desk, order).await.unwrap();
    assert_eq!(o.order.status, "shipped");
    check_clean(&t).await;
}

#[tokio::test]
async fn shipments_follow_scope_and_capability() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let order = confirmed_order(&t, d, c.product, 10).await;
    let wh = t.actor("warehouse").await;
    let s = shipments::create(&t.app, &wh, order, ship_input(1))
        .await
        .unwrap();
    // the owner rep sees it, another rep does not, and nobody but shipping may ship
    let rep = t.actor("rep.sh1.1").await;
    shipments::get(&t.app, &rep, s.shipment.id).await.unwrap();
    let other = t.actor("rep.js1.1").await;
    let err = shipments::get(&t.app, &other, s.shipment.id)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound { .. }));
    let err = shipments::ship(&t.app, &rep, s.shipment.id, None)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden { .. }));
    let list = shipments::list(&t.app, &other, &Default::default())
        .await
        .unwrap();
    assert!(list.iter().all(|r| r.id != s.shipment.id));
}

#[tokio::test]
async fn bad_shipment_input_is_a_problem_with_a_field() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let order = confirmed_order(&t, d, c.product, 10).await;
    let token = t.token_for("warehouse").await;
    let client = t.api_client();
    let post = |body: Value| {
        client
            .post(t.url("/api/v1/shipments"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let cases = [
        (
            json!({ "order_id": order, "lines": [{ "line_no": 1, "quantity": 0 }], "carrier": "x" }),
            422,
            "quantity",
        ),
        (
            json!({ "order_id": order, "lines": [{ "line_no": 1, "quantity": 11 }], "carrier": "x" }),
            422,
            "quantity",
        ),
        (
            json!({ "order_id": order, "lines": [{ "line_no": 9, "quantity": 1 }], "carrier": "x" }),
            422,
            "lines",
        ),
        (json!({ "order_id": order, "lines": [] }), 422, "carrier"),
        (json!({ "order_id": "x" }), 422, "order_id"),
    ];
    for (body, status, field) in cases {
        let res = post(body.clone()).await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{body}");
        let p = problem(res).await;
        assert_eq!(p.field.as_deref(), Some(field), "{body}: {p:?}");
    }
    let res = post(json!({ "order_id": 999_999, "carrier": "x" }))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    let res = client
        .post(t.url("/api/v1/shipments/1/deliver"))
        .bearer_auth(&token)
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    let res = client
        .post(t.url("/api/v1/shipments"))
        .bearer_auth(&token)
        .json(&json!({ "order_id": order, "lines": [{ "line_no": 1, "quantity": 3 }], "carrier": "顺丰" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let v: Value = res.json().await.unwrap();
    let id = v["shipment"]["id"].as_i64().unwrap();
    let res = client
        .post(t.url(&format!("/api/v1/shipments/{id}/ship")))
        .bearer_auth(&token)
        .json(&json!({ "shipped_on": "2026-13-01" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    assert_eq!(problem(res).await.field.as_deref(), Some("shipped_on"));
}

#[tokio::test]
async fn picking_is_packed_or_cancelled_before_it_leaves() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let order = confirmed_order(&t, d, c.product, 10).await;
    let token = t.token_for("warehouse").await;
    let post = |path: String, body: Value| {
        let t = &t;
        let token = token.clone();
        async move {
            t.api_client()
                .post(t.url(&path))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let res = post(
        "/api/v1/shipments".into(),
        json!({ "order_id": order, "lines": [{ "line_no": 1, "quantity": 6 }], "carrier": "德邦" }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let s: Value = res.json().await.unwrap();
    let id = s["shipment"]["id"].as_i64().unwrap();
    let before = balance(&t, d).await;

    // picking → packed; packing twice is a clash
    let res = post(format!("/api/v1/shipments/{id}/pack"), json!({})).await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["shipment"]["status"], "packed");
    let p = problem(post(format!("/api/v1/shipments/{id}/pack"), json!({})).await).await;
    assert_eq!((p.status, p.code.as_str()), (409, "shipment.wrong_state"));

    // cancelling needs a reason, named as the field; nothing changes meanwhile
    let p = problem(post(format!("/api/v1/shipments/{id}/cancel"), json!({})).await).await;
    assert_eq!(
        (p.status, p.code.as_str(), p.field.as_deref()),
        (422, "shipment.reason_required", Some("reason"))
    );
    let p = problem(
        post(
            format!("/api/v1/shipments/{id}/cancel"),
            json!({ "reason": "x".repeat(201) }),
        )
        .await,
    )
    .await;
    assert_eq!(p.field.as_deref(), Some("reason"));
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) AS n FROM shipments WHERE status = 'packed' AND id = {id}"
        ))
        .await,
        1
    );
    // billing cannot cancel a shipment (no Ship capability)
    let billing = t.token_for("billing").await;
    let res = t
        .api_client()
        .post(t.url(&format!("/api/v1/shipments/{id}/cancel")))
        .bearer_auth(&billing)
        .json(&json!({ "reason": "no" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let res = post(
        format!("/api/v1/shipments/{id}/cancel"),
        json!({ "reason": "dealer asked to wait" }),
    )
    .await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["shipment"]["status"], "cancelled");
    assert!(v["shipment"]["note"]
        .as_str()
        .unwrap()
        .contains("dealer asked to wait"));
    // nothing was posted for it, and its units are open again: all 10 can ship
    let after = balance(&t, d).await;
    assert_eq!(
        (after.open_orders_fen, after.unbilled_fen),
        (before.open_orders_fen, before.unbilled_fen)
    );
    let wh = t.actor("warehouse").await;
    let lines = shipments::open_lines(&t.app, &wh, order).await.unwrap();
    assert_eq!(lines[0].pending_qty, 0);
    // a cancelled shipment can be neither shipped nor cancelled again
    for what in ["ship", "pack", "cancel"] {
        let p = problem(
            post(
                format!("/api/v1/shipments/{id}/{what}"),
                json!({ "reason": "again" }),
            )
            .await,
        )
        .await;
        assert_eq!(p.code, "shipment.wrong_state", "{what}");
    }
    // the cancelled shipment still records the lines it picked: they stay as they are
    let desk_actor = t.actor("desk").await;
    let err = orders::update_lines(
        &t.app,
        &desk_actor,
        order,
        vec![orders::LineInput {
            product_id: c.product,
            quantity: 8,
            unit_price_fen: None,
        }],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "order.lines_picked");
    // a shipped shipment cannot be cancelled
    let s2 = shipments::create(&t.app, &wh, order, ship_input(3))
        .await
        .unwrap();
    shipments::ship(&t.app, &wh, s2.shipment.id, None)
        .await
        .unwrap();
    let err = shipments::cancel(&t.app, &wh, s2.shipment.id, Some("late".into()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "shipment.wrong_state");
    // every transition is in the audit trail
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) AS n FROM audit_log WHERE entity = 'shipment' AND entity_id = {id} AND operation IN ('shipment.pack', 'shipment.cancel')"
        ))
        .await,
        2
    );
    check_clean(&t).await;
}

#[tokio::test]
async fn the_shipment_page_packs_and_cancels_with_errors_at_the_field() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let order = confirmed_order(&t, d, c.product, 10).await;
    let wh = t.actor("warehouse").await;
    let s = shipments::create(&t.app, &wh, order, ship_input(4))
        .await
        .unwrap();
    let id = s.shipment.id;
    let page = t.sign_in_demo("warehouse").await;
    let csrf = t.csrf_of(&page).await;
    let html = page
        .get(t.url(&format!("/shipments/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-testid=\"shipment-pack\""), "{html}");
    assert!(html.contains("data-testid=\"shipment-cancel\""));
    let res = page
        .post(t.url(&format!("/shipments/{id}/pack")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = page
        .get(t.url(&format!("/shipments/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("data-testid=\"shipment-pack\""),
        "packed once"
    );
    // without a reason: 422, the message next to the reason field, nothing changed
    let res = page
        .post(t.url(&format!("/shipments/{id}/cancel")))
        .form(&[("_csrf", csrf.as_str()), ("reason", " ")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("data-field=\"reason\""),
        "the error is at the field: {html}"
    );
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) AS n FROM shipments WHERE status = 'packed' AND id = {id}"
        ))
        .await,
        1
    );
    // without the CSRF token nothing happens
    let res = page
        .post(t.url(&format!("/shipments/{id}/cancel")))
        .form(&[("reason", "no token")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = page
        .post(t.url(&format!("/shipments/{id}/cancel")))
        .form(&[("_csrf", csrf.as_str()), ("reason", "truck broke down")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = page
        .get(t.url(&format!("/shipments/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("truck broke down"));
    assert!(!html.contains("data-testid=\"shipment-ship\""));
    // the list filters by status and exports what it shows
    let html = page
        .get(t.url("/shipments?status=cancelled"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("data-testid=\"shipment-row\"").count(), 1);
    let res = page
        .get(t.url("/shipments/export?format=csv&status=cancelled"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    assert!(csv.contains(&s.shipment.number), "{csv}");
    assert_eq!(
        csv.lines().count(),
        2,
        "header and the one cancelled: {csv}"
    );
}
