//! Shipments, invoices and payments for fulfilment and billing tests, made through the app's
//! own operations (so every posting happens as in production).

use crate::TestApp;
use salesos_app::billing::{self, PaymentInput};
use salesos_app::orders::{self, Created, LineInput, NewOrderInput};
use salesos_app::shipments::{self, DeliveryInput, NewShipmentInput, ShipLineInput};

/// How far a fixture shipment goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Picking,
    Shipped,
    Delivered,
    Invoiced,
}

/// A confirmed order (the dealer's limit must allow it) of `quantity` units of `product`.
pub async fn confirmed_order(t: &TestApp, dealer: i64, product: i64, quantity: i64) -> i64 {
    let desk = t.actor("desk").await;
    let input = NewOrderInput {
        dealer_id: dealer,
        order_date: None,
        source: None,
        note: None,
        lines: vec![LineInput {
            product_id: product,
            quantity,
            unit_price_fen: None,
        }],
        draft: false,
    };
    let id = match orders::create(&t.app, &desk, input, None, &|_| String::new()).await {
        Ok(Created::New(d)) => d.order.id,
        other => panic!("creating a fixture order: {:?}", other.err()),
    };
    let d = orders::get(&t.app, &desk, id).await.unwrap();
    assert_eq!(d.order.status, "confirmed", "a fixture order confirms");
    id
}

/// A shipment of `quantity` units of the order's first line, taken to `stage`; returns the
/// shipment and, when invoiced, its invoice.
pub async fn shipment(t: &TestApp, order: i64, quantity: i64, stage: Stage) -> (i64, Option<i64>) {
    let warehouse = t.actor("warehouse").await;
    let d = shipments::create(
        &t.app,
        &warehouse,
        order,
        NewShipmentInput {
            lines: vec![ShipLineInput {
                line_no: 1,
                quantity,
            }],
            carrier: Some("顺丰".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let id = d.shipment.id;
    if stage >= Stage::Shipped {
        shipments::ship(&t.app, &warehouse, id, None).await.unwrap();
    }
    if stage >= Stage::Delivered {
        shipments::deliver(&t.app, &warehouse, id, DeliveryInput::default())
            .await
            .unwrap();
    }
    let mut invoice = None;
    if stage >= Stage::Invoiced {
        let billing_actor = t.actor("billing").await;
        let inv = billing::invoice_shipment(&t.app, &billing_actor, id, None)
            .await
            .unwrap();
        invoice = Some(inv.invoice.id);
    }
    (id, invoice)
}

/// A payment of `amount_fen` from the dealer, allocated oldest first.
pub async fn payment(t: &TestApp, dealer: i64, amount_fen: i64) -> i64 {
    let billing_actor = t.actor("billing").await;
    billing::record_payment(
        &t.app,
        &billing_actor,
        dealer,
        PaymentInput {
            amount_fen,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .payment
    .id
}
