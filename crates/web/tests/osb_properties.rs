//! Random sequences of order-to-cash steps — orders, partial shipments, deliveries with
//! shortages and damage (credited or re-shipped), invoices, payments allocated oldest first or
//! as chosen (including the same invoice twice), invoice and order cancellations — with the
//! invariants checked after every step: ledger balances equal the sum of their entries,
//! exposure equals its full recomputation, invoice open amounts are never negative and equal
//! gross less allocations, payments are fully accounted (allocated + unallocated), the
//! receivables ledger agrees with open invoices and credit, and nothing ships beyond what was
//! ordered. Returns run through the same sequences — requests of random size (often too
//! big), approvals, rejections, partial receipt, inspection with rejected units, credit notes
//! and cancellations — and no return ever exceeds what was sold: per invoice line, the units
//! held by returns never pass the invoiced quantity, the credited units neither, and the
//! return credits never pass the line's amount. A refused step must be a 4xx-kind error,
//! never an internal one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_app::billing::{self, ChosenAllocation, PaymentInput};
use salesos_app::orders::{self, Created, LineInput, NewOrderInput};
use salesos_app::returns::{
    self, InspectInput, InspectLineInput, NewReturnInput, ReceiveInput, ReceiveLineInput,
    ReturnLineInput,
};
use salesos_app::shipments::{
    self, DeliveryInput, DeliveryLineInput, NewShipmentInput, ShipLineInput,
};
use salesos_app::AppError;
use salesos_domain::approvals::Decision;
use salesos_test_support::order_fixtures::{catalogue, dealer};
use salesos_test_support::return_fixtures::decide_pending;
use salesos_test_support::TestApp;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick(&mut self, ids: &[i64]) -> Option<i64> {
        if ids.is_empty() {
            None
        } else {
            Some(ids[self.below(ids.len() as u64) as usize])
        }
    }
}

fn acceptable<T>(r: Result<T, AppError>, what: &str) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(AppError::Internal(e)) => panic!("{what}: internal error {e}"),
        Err(e) => {
            eprintln!("{what}: refused {e:?}");
            None
        }
    }
}

async fn shipped_within_ordered(t: &TestApp) {
    let over = t
        .count(
            "SELECT COUNT(*) AS n FROM order_lines WHERE shipped_qty > quantity OR shipped_qty < 0",
        )
        .await;
    assert_eq!(over, 0, "an order line shipped beyond what was ordered");
    let pending_over = t
        .count(
            "SELECT COUNT(*) AS n FROM order_lines l WHERE l.shipped_qty + \
             COALESCE((SELECT SUM(sl.quantity) FROM shipment_lines sl JOIN shipments s ON s.id = sl.shipment_id \
             WHERE sl.order_line_id = l.id AND s.status IN ('picking', 'packed')), 0) > l.quantity",
        )
        .await;
    assert_eq!(
        pending_over, 0,
        "shipments in picking reserve more than is open"
    );
    let negative = t
        .count("SELECT COUNT(*) AS n FROM invoices WHERE open_fen < 0 OR open_fen > gross_fen")
        .await;
    assert_eq!(negative, 0, "an invoice's open amount is out of range");
}

async fn assert_clean(t: &TestApp, what: &str) {
    let mut conn = t.app.store.read().await.unwrap();
    let problems = salesos_store::check::run(&mut conn).await.unwrap();
    drop(conn);
    assert!(problems.is_empty(), "{what}: {problems:?}");
    returns_within_sold(t).await;
}

/// No return exceeds what was sold, however the steps were ordered.
async fn returns_within_sold(t: &TestApp) {
    let over_held = t
        .count(
            "SELECT COUNT(*) AS n FROM invoice_lines l WHERE l.quantity < \
             COALESCE((SELECT SUM(rl.held_qty) FROM return_lines rl WHERE rl.invoice_line_id = l.id), 0)",
        )
        .await;
    assert_eq!(
        over_held, 0,
        "returns hold more units than the invoice line sold"
    );
    let over_credited = t
        .count(
            "SELECT COUNT(*) AS n FROM invoice_lines l WHERE l.quantity < \
             COALESCE((SELECT SUM(rl.accepted_qty) FROM return_lines rl JOIN returns r ON r.id = rl.return_id \
             WHERE rl.invoice_line_id = l.id AND r.status = 'credited'), 0) \
             OR l.gross_fen < COALESCE((SELECT SUM(rl.credit_fen) FROM return_lines rl WHERE rl.invoice_line_id = l.id), 0)",
        )
        .await;
    assert_eq!(over_credited, 0, "returns credited more than was sold");
}

/// A shipment in `status` (mostly), else any known one.
async fn shipment_in(t: &TestApp, rng: &mut Rng, ids: &[i64], status: &str) -> Option<i64> {
    let wh = t.actor("warehouse").await;
    let filter = salesos_store::shipments::ShipmentFilter {
        status: Some(status.to_string()),
        limit: 1000,
        ..Default::default()
    };
    let rows = shipments::list(&t.app, &wh, &filter).await.unwrap();
    let candidates: Vec<i64> = rows
        .iter()
        .map(|r| r.id)
        .filter(|id| ids.contains(id))
        .collect();
    if candidates.is_empty() || rng.below(8) == 0 {
        rng.pick(ids)
    } else {
        rng.pick(&candidates)
    }
}

#[tokio::test]
async fn random_order_to_cash_sequences_keep_every_balance_right() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let desk = t.actor("desk").await;
    let wh = t.actor("warehouse").await;
    let bill = t.actor("billing").await;
    let dealers = [
        dealer(&t, "C-SH1", "rep.sh1.1", 500_000).await,
        dealer(&t, "C-JS1", "rep.js1.1", 30_000).await,
    ];
    let steps: u64 = 200;
    for seed in [0x9e37_79b9_7f4a_7c15u64, 0x2545_f491_4f6c_dd1du64] {
        let mut rng = Rng(seed);
        let (mut order_ids, mut shipment_ids, mut invoice_ids) =
            (Vec::<i64>::new(), Vec::<i64>::new(), Vec::<i64>::new());
        let mut return_ids = Vec::<i64>::new();
        for step in 0..steps {
            let op = if order_ids.is_empty() {
                0
            } else {
                rng.below(17)
            };
            let what = match op {
                0 | 1 => {
                    let d = dealers[rng.below(2) as usize];
                    let input = NewOrderInput {
                        dealer_id: d,
                        order_date: None,
                        source: None,
                        note: None,
                        lines: vec![
                            LineInput {
                                product_id: c.product,
                                quantity: 1 + rng.below(30) as i64,
                                unit_price_fen: None,
                            },
                            LineInput {
                                product_id: c.product,
                                quantity: 1 + rng.below(10) as i64,
                                unit_price_fen: None,
                            },
                        ],
                        draft: false,
                    };
                    if let Some(Created::New(o)) = acceptable(
                        orders::create(&t.app, &desk, input, None, &|_| String::new()).await,
                        "order",
                    ) {
                        order_ids.push(o.order.id);
                    }
                    "order"
                }
                2 => {
                    let o = rng.pick(&order_ids).unwrap();
                    let lines = if rng.below(3) == 0 {
                        vec![]
                    } else {
                        vec![ShipLineInput {
                            line_no: 1 + rng.below(2) as i64,
                            quantity: rng.below(14) as i64,
                        }]
                    };
                    let input = NewShipmentInput {
                        lines,
                        carrier: Some("顺丰".into()),
                        ..Default::default()
                    };
                    if let Some(s) =
                        acceptable(shipments::create(&t.app, &wh, o, input).await, "shipment")
                    {
                        shipment_ids.push(s.shipment.id);
                    }
                    "shipment"
                }
                3 => {
                    if let Some(s) = shipment_in(&t, &mut rng, &shipment_ids, "picking").await {
                        acceptable(shipments::ship(&t.app, &wh, s, None).await, "ship");
                    }
                    "ship"
                }
                4 => {
                    if let Some(s) = shipment_in(&t, &mut rng, &shipment_ids, "shipped").await {
                        let detail = shipments::get(&t.app, &wh, s).await.unwrap();
                        let mut lines = Vec::new();
                        if rng.below(2) == 0 {
                            for l in &detail.lines {
                                let short = rng.below(3) as i64;
                                let damaged = rng.below(2) as i64;
                                let reship = rng.below((short + damaged + 1) as u64) as i64;
                                lines.push(DeliveryLineInput {
                                    line_id: l.id,
                                    short_qty: short,
                                    damaged_qty: damaged,
                                    reship_qty: reship,
                                });
                            }
                        }
                        let input = DeliveryInput {
                            delivered_on: None,
                            lines,
                        };
                        acceptable(shipments::deliver(&t.app, &wh, s, input).await, "deliver");
                    }
                    "deliver"
                }
                5 => {
                    if let Some(s) = shipment_in(&t, &mut rng, &shipment_ids, "delivered").await {
                        if let Some(inv) = acceptable(
                            billing::invoice_shipment(&t.app, &bill, s, None).await,
                            "invoice",
                        ) {
                            invoice_ids.push(inv.invoice.id);
                        }
                    }
                    "invoice"
                }
                6 => {
                    let d = dealers[rng.below(2) as usize];
                    let input = PaymentInput {
                        amount_fen: 1 + rng.below(150) as i64,
                        ..Default::default()
                    };
                    acceptable(
                        billing::record_payment(&t.app, &bill, d, input).await,
                        "pay",
                    );
                    "pay oldest first"
                }
                7 => {
                    // chosen: often an invoice already paid (paying twice must be refused)
                    if let Some(i) = rng.pick(&invoice_ids) {
                        let inv = billing::get_invoice(&t.app, &bill, i).await.unwrap();
                        let amount = if inv.invoice.open_fen > 0 && rng.below(2) == 0 {
                            inv.invoice.open_fen
                        } else {
                            1 + rng.below(1_500) as i64
                        };
                        let input = PaymentInput {
                            amount_fen: amount + rng.below(3) as i64 * 50,
                            allocation: Some("chosen".into()),
                            allocations: vec![ChosenAllocation {
                                invoice_id: i,
                                amount_fen: amount,
                            }],
                            ..Default::default()
                        };
                        let before_open = inv.invoice.open_fen;
                        let r =
                            billing::record_payment(&t.app, &bill, inv.invoice.dealer_id, input)
                                .await;
                        if before_open < amount || inv.invoice.status != "open" {
                            assert!(
                                r.is_err(),
                                "paying {amount} on {before_open} open must be refused"
                            );
                        }
                        acceptable(r, "pay chosen");
                    }
                    "pay chosen"
                }
                8 => {
                    let newest = invoice_ids.last().copied();
                    let i = if rng.below(2) == 0 {
                        newest
                    } else {
                        rng.pick(&invoice_ids)
                    };
                    if let Some(i) = i {
                        acceptable(
                            billing::cancel_invoice(&t.app, &bill, i, Some("random".into())).await,
                            "cancel invoice",
                        );
                    }
                    "cancel invoice"
                }
                10 => {
                    let filter = salesos_store::billing::InvoiceFilter {
                        status: Some("open".into()),
                        limit: 1000,
                        ..Default::default()
                    };
                    let open: Vec<i64> = billing::list_invoices(&t.app, &bill, &filter)
                        .await
                        .unwrap()
                        .iter()
                        .map(|i| i.id)
                        .filter(|id| invoice_ids.contains(id))
                        .collect();
                    let i = if open.is_empty() || rng.below(5) == 0 {
                        rng.pick(&invoice_ids)
                    } else {
                        rng.pick(&open)
                    };
                    if let Some(i) = i {
                        let inv = billing::get_invoice(&t.app, &bill, i).await.unwrap();
                        let amount = 1 + rng.below(inv.invoice.open_fen.max(1) as u64) as i64;
                        let r =
                            billing::credit_note(&t.app, &bill, i, amount, Some("random".into()))
                                .await;
                        if inv.invoice.status != "open" || amount > inv.invoice.open_fen {
                            assert!(
                                r.is_err(),
                                "a credit note beyond what is open must be refused"
                            );
                        }
                        acceptable(r, "credit note");
                    }
                    "credit note"
                }
                9 => {
                    // a second oldest-first payment right away: nothing is allocated twice
                    let d = dealers[rng.below(2) as usize];
                    for _ in 0..2 {
                        let input = PaymentInput {
                            amount_fen: 1 + rng.below(60) as i64,
                            ..Default::default()
                        };
                        acceptable(
                            billing::record_payment(&t.app, &bill, d, input).await,
                            "pay",
                        );
                    }
                    "pay twice"
                }
                12 | 13 => {
                    // a return of a random size, often more than is left, mostly of an
                    // invoice that is not cancelled
                    let live: Vec<i64> = billing::list_invoices(
                        &t.app,
                        &bill,
                        &salesos_store::billing::InvoiceFilter {
                            limit: 1000,
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap()
                    .iter()
                    .filter(|i| i.status != "cancelled" && invoice_ids.contains(&i.id))
                    .map(|i| i.id)
                    .collect();
                    let pick = if live.is_empty() || rng.below(6) == 0 {
                        rng.pick(&invoice_ids)
                    } else {
                        rng.pick(&live)
                    };
                    if let Some(i) = pick {
                        let line_no = 1 + rng.below(2) as i64;
                        let qty = if rng.below(4) == 0 {
                            1 + rng.below(12) as i64
                        } else {
                            1 + rng.below(3) as i64
                        };
                        let left = returns::returnable(&t.app, &desk, i)
                            .await
                            .unwrap()
                            .lines
                            .iter()
                            .find(|l| l.line_no == line_no)
                            .map(|l| l.returnable());
                        let input = NewReturnInput {
                            reason: Some("random".into()),
                            note: None,
                            lines: vec![ReturnLineInput {
                                line_no,
                                quantity: qty,
                                reason: None,
                            }],
                        };
                        let r = returns::request(&t.app, &desk, i, input).await;
                        if left.is_none_or(|left| qty > left) {
                            assert!(r.is_err(), "returning {qty} of {left:?} must be refused");
                        }
                        if let Some(r) = acceptable(r, "return") {
                            return_ids.push(r.ret.id);
                        }
                    }
                    "return"
                }
                14..=16 => {
                    // the next steps of a random return, or a cancellation
                    let chosen = rng.pick(&return_ids);
                    for _ in 0..2 + rng.below(4) {
                        let Some(id) = chosen else { break };
                        let r = returns::get(&t.app, &desk, id).await.unwrap();
                        match (r.ret.status.as_str(), rng.below(6)) {
                            ("requested" | "approved" | "sent_back", 0) => {
                                acceptable(
                                    returns::cancel(&t.app, &desk, id, Some("random".into())).await,
                                    "cancel return",
                                );
                            }
                            ("requested", n) => {
                                let decision = match n {
                                    1 => Decision::Reject,
                                    2 => Decision::SendBack,
                                    _ => Decision::Approve,
                                };
                                decide_pending(&t, "return", id, decision).await;
                            }
                            ("sent_back", _) => {
                                acceptable(returns::resubmit(&t.app, &desk, id).await, "resubmit");
                            }
                            ("approved", _) => {
                                let lines = r
                                    .lines
                                    .iter()
                                    .map(|l| ReceiveLineInput {
                                        line_id: l.id,
                                        received_qty: rng.below(l.quantity as u64 + 1) as i64,
                                    })
                                    .collect();
                                let input = ReceiveInput {
                                    received_on: None,
                                    lines,
                                };
                                acceptable(
                                    returns::receive(&t.app, &wh, id, input).await,
                                    "receive",
                                );
                            }
                            ("received", _) => {
                                let lines = r
                                    .lines
                                    .iter()
                                    .map(|l| InspectLineInput {
                                        line_id: l.id,
                                        accepted_qty: rng
                                            .below(l.received_qty.unwrap_or(0) as u64 + 1)
                                            as i64,
                                        reject_reason: Some("random".into()),
                                        disposition: Some("scrap".into()),
                                    })
                                    .collect();
                                acceptable(
                                    returns::inspect(&t.app, &wh, id, InspectInput { lines }).await,
                                    "inspect",
                                );
                            }
                            ("inspected", _) => {
                                acceptable(
                                    returns::credit(&t.app, &bill, id, None).await,
                                    "credit return",
                                );
                            }
                            _ => {}
                        }
                        assert_clean(&t, &format!("seed {seed:x} step {step} (return {id})")).await;
                    }
                    "return step"
                }
                _ => {
                    let o = rng.pick(&order_ids).unwrap();
                    acceptable(orders::cancel(&t.app, &desk, o, None).await, "cancel order");
                    "cancel order"
                }
            };
            let mut conn = t.app.store.read().await.unwrap();
            let problems = salesos_store::check::run(&mut conn).await.unwrap();
            drop(conn);
            assert!(
                problems.is_empty(),
                "seed {seed:x} step {step} ({what}): {problems:?}"
            );
            shipped_within_ordered(&t).await;
            returns_within_sold(&t).await;
        }
        assert!(!invoice_ids.is_empty(), "the sequence reached invoicing");
    }
    for (table, what) in [
        ("payment_allocations", "allocations"),
        ("delivery_claims", "delivery claims"),
        (
            "ar_ledger WHERE kind = 'cancellation'",
            "invoice cancellations",
        ),
        ("payments WHERE unallocated_fen > 0", "unallocated credit"),
        ("credit_notes", "credit notes"),
        ("returns WHERE status = 'credited'", "credited returns"),
        (
            "returns WHERE status IN ('rejected', 'cancelled', 'closed')",
            "refused returns",
        ),
    ] {
        let n = t.count(&format!("SELECT COUNT(*) AS n FROM {table}")).await;
        eprintln!("{what}: {n}");
        assert!(n > 0, "the sequences produced no {what}");
    }
}
