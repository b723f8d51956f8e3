//! Returns for return, transfer and permission tests, made through the app's own operations.

use crate::billing_fixtures::{confirmed_order, shipment, Stage};
use crate::TestApp;
use salesos_app::approvals;
use salesos_app::returns::{self, InspectInput, NewReturnInput, ReceiveInput, ReturnLineInput};
use salesos_domain::approvals::Decision;

/// How far a fixture return goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnStage {
    Requested,
    SentBack,
    Approved,
    Received,
    Inspected,
    Credited,
}

/// A fresh invoice for `qty` units of `product` sold to `dealer` (its limit must allow it).
pub async fn sold_invoice(t: &TestApp, dealer: i64, product: i64, qty: i64) -> i64 {
    let order = confirmed_order(t, dealer, product, qty).await;
    shipment(t, order, qty, Stage::Invoiced)
        .await
        .1
        .expect("an invoice")
}

/// Decides a document's pending approval as whoever holds its current step (a market manager
/// or the director).
pub async fn decide_pending(t: &TestApp, doc_type: &str, doc_id: i64, decision: Decision) {
    let request = {
        let mut conn = t.app.store.read().await.unwrap();
        salesos_store::approvals::for_document(&mut conn, doc_type, doc_id)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.status == "pending")
            .expect("a pending approval")
    };
    let reason = (decision != Decision::Approve).then(|| "fixture".to_string());
    for login in ["mm.e", "mm.n", "director"] {
        let actor = t.actor(login).await;
        if approvals::decide(&t.app, &actor, request.id, decision, reason.clone())
            .await
            .is_ok()
        {
            return;
        }
    }
    panic!("nobody could decide approval {}", request.id);
}

/// A return of `qty` units of the invoice's first line, requested by the order desk and taken
/// to `stage`.
pub async fn return_at(t: &TestApp, invoice: i64, qty: i64, stage: ReturnStage) -> i64 {
    let desk = t.actor("desk").await;
    let input = NewReturnInput {
        reason: Some("fixture".into()),
        note: None,
        lines: vec![ReturnLineInput {
            line_no: 1,
            quantity: qty,
            reason: None,
        }],
    };
    let id = returns::request(&t.app, &desk, invoice, input)
        .await
        .expect("a fixture return")
        .ret
        .id;
    if stage == ReturnStage::Requested {
        return id;
    }
    if stage == ReturnStage::SentBack {
        decide_pending(t, "return", id, Decision::SendBack).await;
        return id;
    }
    decide_pending(t, "return", id, Decision::Approve).await;
    let wh = t.actor("warehouse").await;
    if stage == ReturnStage::Approved {
        return id;
    }
    returns::receive(&t.app, &wh, id, ReceiveInput::default())
        .await
        .unwrap();
    if stage == ReturnStage::Received {
        return id;
    }
    returns::inspect(&t.app, &wh, id, InspectInput::default())
        .await
        .unwrap();
    if stage == ReturnStage::Inspected {
        return id;
    }
    let billing = t.actor("billing").await;
    returns::credit(&t.app, &billing, id, None).await.unwrap();
    id
}
