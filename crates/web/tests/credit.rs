//! Credit control through the application layer: the 50-order race, the loopholes (editing a
//! confirmed order, reopening a cancelled one, splitting a big order), temporary credit, and a
//! randomised sequence of operations with the ledger invariants checked after every step.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_app::orders::{self, Created, LineInput, NewOrderInput, OrderDetail};
use salesos_app::{approvals, credit, Actor, AppError};
use salesos_domain::approvals::Decision;
use salesos_test_support::order_fixtures::{catalogue, dealer, Catalogue};
use salesos_test_support::TestApp;

fn input(dealer_id: i64, c: &Catalogue, quantity: i64) -> NewOrderInput {
    NewOrderInput {
        dealer_id,
        order_date: None,
        source: None,
        note: None,
        lines: vec![LineInput {
            product_id: c.product,
            quantity,
            unit_price_fen: None,
        }],
        draft: false,
    }
}

async fn place(
    t: &TestApp,
    actor: &Actor,
    dealer_id: i64,
    c: &Catalogue,
    quantity: i64,
) -> OrderDetail {
    match orders::create(&t.app, actor, input(dealer_id, c, quantity), None, &|_| {
        String::new()
    })
    .await
    .unwrap()
    {
        Created::New(d) => *d,
        Created::Replayed { .. } => panic!("no key, no replay"),
    }
}

async fn exposure(t: &TestApp, dealer_id: i64) -> i64 {
    t.count(&format!(
        "SELECT COALESCE(MAX(exposure_fen), 0) AS n FROM dealer_balances WHERE dealer_id = {dealer_id}"
    ))
    .await
}

async fn check_clean(t: &TestApp) {
    let mut conn = t.app.store.read().await.unwrap();
    let problems = salesos_store::check::run(&mut conn).await.unwrap();
    assert!(problems.is_empty(), "salesos check: {problems:?}");
}

/// No dealer above its limit unless an approved exception (a released credit hold) explains it.
async fn within_limit_or_approved(t: &TestApp, dealer_id: i64) {
    let limit = t
        .count(&format!(
            "SELECT credit_limit_fen AS n FROM dealers WHERE id = {dealer_id}"
        ))
        .await;
    let temp = t
        .count(&format!(
            "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS n FROM temp_credits WHERE status = 'approved' AND dealer_id = {dealer_id}"
        ))
        .await;
    let released = t
        .count(&format!(
            "SELECT COUNT(*) AS n FROM credit_holds h JOIN orders o ON o.id = h.order_id WHERE h.status = 'released' AND h.kind <> 'price' AND o.status = 'confirmed' AND h.dealer_id = {dealer_id}"
        ))
        .await;
    let exp = exposure(t, dealer_id).await;
    assert!(
        exp <= limit + temp || released > 0,
        "dealer {dealer_id} at {exp} over its limit {limit} (+{temp}) without an approved exception"
    );
}

#[tokio::test]
async fn fifty_simultaneous_orders_confirm_exactly_what_fits() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    // each order: 10 units at 1.00 = 10.00; the limit fits exactly ten
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 10 * 1000).await;
    let desk = t.actor("desk").await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let app = t.app.clone();
        let actor = desk.clone();
        let inp = input(d, &c, 10);
        tasks.push(tokio::spawn(async move {
            match orders::create(&app, &actor, inp, None, &|_| String::new()).await {
                Ok(Created::New(d)) => d.order.status.clone(),
                Ok(_) => "replayed".into(),
                Err(e) => format!("error {e:?}"),
            }
        }));
    }
    let mut confirmed = 0;
    let mut held = 0;
    for task in tasks {
        match task.await.unwrap().as_str() {
            "confirmed" => confirmed += 1,
            "on_hold" => held += 1,
            other => panic!("unexpected outcome {other}"),
        }
    }
    assert_eq!((confirmed, held), (10, 40));
    assert_eq!(exposure(&t, d).await, 10_000);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) AS n FROM orders WHERE status = 'confirmed' AND dealer_id = {d}"
        ))
        .await,
        10
    );
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) AS n FROM credit_holds WHERE status = 'open' AND dealer_id = {d}"
        ))
        .await,
        40
    );
    check_clean(&t).await;
}

#[tokio::test]
async fn splitting_a_big_order_does_not_bypass_the_limit() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 50_000).await;
    let desk = t.actor("desk").await;
    // one order of 1,000.00 would be held; twenty of 50.00 each: only ten pass
    let big = place(&t, &desk, d, &c, 1000).await;
    assert_eq!(big.order.status, "on_hold");
    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(place(&t, &desk, d, &c, 50).await.order.status);
    }
    assert_eq!(statuses.iter().filter(|s| *s == "confirmed").count(), 10);
    assert_eq!(exposure(&t, d).await, 50_000);
    within_limit_or_approved(&t, d).await;
    check_clean(&t).await;
}

#[tokio::test]
async fn editing_a_confirmed_order_is_checked_again() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 10_000).await;
    let desk = t.actor("desk").await;
    let o = place(&t, &desk, d, &c, 80).await;
    assert_eq!(o.order.status, "confirmed");
    assert_eq!(exposure(&t, d).await, 8_000);
    // lowering is fine and lowers the exposure
    let lines = |q| {
        vec![LineInput {
            product_id: c.product,
            quantity: q,
            unit_price_fen: None,
        }]
    };
    let o2 = orders::update_lines(&t.app, &desk, o.order.id, lines(60))
        .await
        .unwrap();
    assert_eq!(o2.order.status, "confirmed");
    assert_eq!(exposure(&t, d).await, 6_000);
    // raising within the limit stays confirmed
    let o3 = orders::update_lines(&t.app, &desk, o.order.id, lines(100))
        .await
        .unwrap();
    assert_eq!(o3.order.status, "confirmed");
    assert_eq!(exposure(&t, d).await, 10_000);
    // raising past the limit puts it on hold and takes its exposure out
    let o4 = orders::update_lines(&t.app, &desk, o.order.id, lines(101))
        .await
        .unwrap();
    assert_eq!(o4.order.status, "on_hold");
    assert_eq!(exposure(&t, d).await, 0);
    // raising the price by hand past the limit: same
    let o5 = orders::update_lines(&t.app, &desk, o.order.id, lines(100))
        .await
        .unwrap();
    assert_eq!(o5.order.status, "confirmed");
    let pricey = vec![LineInput {
        product_id: c.product,
        quantity: 100,
        unit_price_fen: Some(101),
    }];
    let o6 = orders::update_lines(&t.app, &desk, o.order.id, pricey)
        .await
        .unwrap();
    assert_eq!(o6.order.status, "on_hold");
    assert_eq!(exposure(&t, d).await, 0);
    check_clean(&t).await;
}

#[tokio::test]
async fn reopening_a_cancelled_order_is_checked_again() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 10_000).await;
    let desk = t.actor("desk").await;
    let a = place(&t, &desk, d, &c, 100).await;
    assert_eq!(a.order.status, "confirmed");
    let a = orders::cancel(&t.app, &desk, a.order.id, Some("customer asked".into()))
        .await
        .unwrap();
    assert_eq!(a.order.status, "cancelled");
    assert_eq!(exposure(&t, d).await, 0);
    let b = place(&t, &desk, d, &c, 100).await;
    assert_eq!(b.order.status, "confirmed");
    // the room is taken: reopening the first order holds it
    let a = orders::reopen(&t.app, &desk, a.order.id).await.unwrap();
    assert_eq!(a.order.status, "on_hold");
    assert_eq!(exposure(&t, d).await, 10_000);
    let actions: Vec<&str> = a.events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["create", "submit", "confirm", "cancel", "reopen", "hold"]
    );
    // cancelling again is allowed; cancelling a cancelled order is not
    orders::cancel(&t.app, &desk, a.order.id, None)
        .await
        .unwrap();
    let err = orders::cancel(&t.app, &desk, a.order.id, None)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
    check_clean(&t).await;
}

#[tokio::test]
async fn holds_are_released_only_through_approvals() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 10_000).await;
    let desk = t.actor("desk").await;
    let mm = t.actor("mm.e").await;
    let director = t.actor("director").await;
    // 5 % over: the market manager decides
    let o = place(&t, &desk, d, &c, 105).await;
    assert_eq!(o.order.status, "on_hold");
    let req = o.approvals[0].id;
    let q = approvals::queue(&t.app, &mm).await.unwrap();
    assert!(
        q.iter().any(|r| r.id == req),
        "the market manager's queue has it"
    );
    assert!(approvals::queue(&t.app, &director)
        .await
        .unwrap()
        .iter()
        .all(|r| r.id != req));
    // the director is not the approver of this step
    let err = approvals::decide(&t.app, &director, req, Decision::Approve, None)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
    // another market's manager does not even see it
    let mm_n = t.actor("mm.n").await;
    let err = approvals::get(&t.app, &mm_n, req).await.unwrap_err();
    assert!(matches!(err, AppError::NotFound { .. }), "{err:?}");
    // rejecting needs a reason
    let err = approvals::decide(&t.app, &mm, req, Decision::Reject, None)
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("reason"));
    let done = approvals::decide(&t.app, &mm, req, Decision::Approve, None)
        .await
        .unwrap();
    assert_eq!(done.request.status, "approved");
    let o = orders::get(&t.app, &desk, o.order.id).await.unwrap();
    assert_eq!(o.order.status, "confirmed");
    assert_eq!(exposure(&t, d).await, 10_500);
    within_limit_or_approved(&t, d).await;

    // far over: the director decides; a rejection keeps the order on hold
    let big = place(&t, &desk, d, &c, 1000).await;
    let req = big.approvals[0].id;
    let steps = approvals::get(&t.app, &director, req).await.unwrap().steps;
    assert_eq!(steps[0].approver_role, "director");
    let done = approvals::decide(
        &t.app,
        &director,
        req,
        Decision::Reject,
        Some("too much".into()),
    )
    .await
    .unwrap();
    assert_eq!(done.request.status, "rejected");
    let big = orders::get(&t.app, &desk, big.order.id).await.unwrap();
    assert_eq!(big.order.status, "on_hold");
    assert_eq!(big.holds[0].status, "rejected");
    assert_eq!(exposure(&t, d).await, 10_500);

    // a manual discount beyond 5 % needs the price approved first, then passes the credit check
    let d2 = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let mut inp = input(d2, &c, 10);
    inp.lines[0].unit_price_fen = Some(80);
    let Created::New(p) = orders::create(&t.app, &desk, inp, None, &|_| String::new())
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(p.order.status, "on_hold");
    assert_eq!(p.holds[0].kind, "price");
    let req = p.approvals[0].id;
    // send back, then the desk lowers the discount within the free range: confirmed at once
    approvals::decide(
        &t.app,
        &mm,
        req,
        Decision::SendBack,
        Some("check the price".into()),
    )
    .await
    .unwrap();
    let p = orders::update_lines(
        &t.app,
        &desk,
        p.order.id,
        vec![LineInput {
            product_id: c.product,
            quantity: 10,
            unit_price_fen: Some(96),
        }],
    )
    .await
    .unwrap();
    assert_eq!(p.order.status, "confirmed");
    check_clean(&t).await;
}

#[tokio::test]
async fn delegates_decide_while_the_approver_is_away() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 10_000).await;
    let desk = t.actor("desk").await;
    let mm = t.actor("mm.e").await;
    let director = t.actor("director").await;
    let o = place(&t, &desk, d, &c, 105).await;
    let req = o.approvals[0].id;
    approvals::delegate(
        &t.app,
        &mm,
        director.person_id().unwrap(),
        None,
        "2999-01-01".into(),
    )
    .await
    .unwrap();
    assert!(approvals::queue(&t.app, &director)
        .await
        .unwrap()
        .iter()
        .any(|r| r.id == req));
    let done = approvals::decide(&t.app, &director, req, Decision::Approve, None)
        .await
        .unwrap();
    assert_eq!(done.request.status, "approved");
    assert_eq!(done.steps[0].acted_by, director.person_id());
    check_clean(&t).await;
}

#[tokio::test]
async fn temporary_credit_counts_once_approved() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 10_000).await;
    let desk = t.actor("desk").await;
    let mm = t.actor("mm.e").await;
    let director = t.actor("director").await;
    let tc = credit::request_temp_credit(
        &t.app,
        &desk,
        d,
        credit::TempCreditInput {
            amount_fen: 6_000_000,
            valid_from: None,
            valid_to: "2999-01-01".into(),
            reason: Some("season".into()),
        },
    )
    .await
    .unwrap();
    assert_eq!(tc.status, "pending");
    let held = place(&t, &desk, d, &c, 150).await;
    assert_eq!(
        held.order.status, "on_hold",
        "pending temporary credit does not count"
    );
    // large amounts: market manager, then director
    let req = tc.approval_id.unwrap();
    let after_mm = approvals::decide(&t.app, &mm, req, Decision::Approve, None)
        .await
        .unwrap();
    assert_eq!(after_mm.request.status, "pending");
    assert_eq!(after_mm.request.current_step, 2);
    approvals::decide(&t.app, &director, req, Decision::Approve, None)
        .await
        .unwrap();
    let view = credit::dealer_credit(&t.app, &desk, d).await.unwrap();
    assert_eq!(view.temporary_fen, 6_000_000);
    assert_eq!(view.effective_limit_fen, 6_010_000);
    let ok = place(&t, &desk, d, &c, 150).await;
    assert_eq!(ok.order.status, "confirmed");
    check_clean(&t).await;
}

/// A tiny deterministic generator, so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[tokio::test]
async fn random_sequences_keep_the_ledger_right() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let desk = t.actor("desk").await;
    let mm = t.actor("mm.e").await;
    let director = t.actor("director").await;
    let dealers = [
        dealer(&t, "C-SH1", "rep.sh1.1", 20_000).await,
        dealer(&t, "C-SH1", "rep.sh1.1", 5_000).await,
    ];
    let steps: u64 = if t.backend() == salesos_store::Backend::Postgres {
        60
    } else {
        80
    };
    for seed in [0x9e37_79b9_7f4a_7c15u64, 0x2545_f491_4f6c_dd1d] {
        let mut rng = Rng(seed);
        let mut ids: Vec<i64> = Vec::new();
        for step in 0..steps {
            let op = rng.below(7);
            let pick = |rng: &mut Rng, ids: &Vec<i64>| ids[rng.below(ids.len() as u64) as usize];
            let what = match op {
                0 | 1 => {
                    let d = dealers[rng.below(2) as usize];
                    let mut inp = input(d, &c, 1 + rng.below(120) as i64);
                    inp.draft = rng.below(4) == 0;
                    if rng.below(6) == 0 {
                        inp.lines[0].unit_price_fen = Some(70 + rng.below(60) as i64);
                    }
                    let Created::New(o) =
                        orders::create(&t.app, &desk, inp, None, &|_| String::new())
                            .await
                            .unwrap()
                    else {
                        panic!()
                    };
                    ids.push(o.order.id);
                    "create"
                }
                2 if !ids.is_empty() => {
                    let id = pick(&mut rng, &ids);
                    let q = 1 + rng.below(150) as i64;
                    let price = (rng.below(5) == 0).then(|| 90 + rng.below(30) as i64);
                    let _ = orders::update_lines(
                        &t.app,
                        &desk,
                        id,
                        vec![LineInput {
                            product_id: c.product,
                            quantity: q,
                            unit_price_fen: price,
                        }],
                    )
                    .await;
                    "edit"
                }
                3 if !ids.is_empty() => {
                    let _ = orders::confirm(&t.app, &desk, pick(&mut rng, &ids)).await;
                    "confirm"
                }
                4 if !ids.is_empty() => {
                    let _ = orders::cancel(&t.app, &desk, pick(&mut rng, &ids), None).await;
                    "cancel"
                }
                5 if !ids.is_empty() => {
                    let _ = orders::reopen(&t.app, &desk, pick(&mut rng, &ids)).await;
                    "reopen"
                }
                _ => {
                    // someone decides one waiting hold
                    let mut q = approvals::queue(&t.app, &mm).await.unwrap();
                    let mut who = &mm;
                    if q.is_empty() || rng.below(2) == 0 {
                        let dq = approvals::queue(&t.app, &director).await.unwrap();
                        if !dq.is_empty() {
                            q = dq;
                            who = &director;
                        }
                    }
                    if let Some(r) = q.first() {
                        let decision = match rng.below(3) {
                            0 => Decision::Reject,
                            _ => Decision::Approve,
                        };
                        let reason = (decision != Decision::Approve).then(|| "no".to_string());
                        approvals::decide(&t.app, who, r.id, decision, reason)
                            .await
                            .unwrap();
                    }
                    "decide"
                }
            };
            // after every step: balance == ledger == recomputation from the orders
            let mut conn = t.app.store.read().await.unwrap();
            let problems = salesos_store::check::run(&mut conn).await.unwrap();
            drop(conn);
            assert!(
                problems.is_empty(),
                "seed {seed:x} step {step} ({what}): {problems:?}"
            );
            for d in dealers {
                within_limit_or_approved(&t, d).await;
            }
        }
    }
}

#[tokio::test]
async fn confirmed_orders_consume_quota_and_give_it_back() {
    use salesos_test_support::builders;
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let period = t.app.today()[..7].to_string();
    let mut tx = t.app.store.begin().await.unwrap();
    let quota = builders::quota(tx.conn(), c.product, None, Some(d), &period, 100).await;
    tx.commit().await.unwrap();
    let consumed = || async {
        t.count(&format!(
            "SELECT consumed AS n FROM quotas WHERE id = {quota}"
        ))
        .await
    };
    let desk = t.actor("desk").await;
    let a = place(&t, &desk, d, &c, 60).await;
    assert_eq!(a.order.status, "confirmed");
    assert_eq!(consumed().await, 60);
    // more than is left: refused, nothing consumed, nothing created
    let before = t.count("SELECT COUNT(*) AS n FROM orders").await;
    let err = orders::create(&t.app, &desk, input(d, &c, 50), None, &|_| String::new())
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "order.quota_exceeded");
    assert_eq!(t.count("SELECT COUNT(*) AS n FROM orders").await, before);
    assert_eq!(consumed().await, 60);
    // editing moves the reservation; cancelling gives it back
    let lines = |q| {
        vec![LineInput {
            product_id: c.product,
            quantity: q,
            unit_price_fen: None,
        }]
    };
    orders::update_lines(&t.app, &desk, a.order.id, lines(90))
        .await
        .unwrap();
    assert_eq!(consumed().await, 90);
    orders::cancel(&t.app, &desk, a.order.id, None)
        .await
        .unwrap();
    assert_eq!(consumed().await, 0);
    let b = place(&t, &desk, d, &c, 100).await;
    assert_eq!(b.order.status, "confirmed");
    assert_eq!(consumed().await, 100);
    check_clean(&t).await;
}

/// Creates, edits, cancellations and approvals for one dealer all at once: every operation
/// either succeeds or refuses cleanly, and the ledger stays right.
#[tokio::test]
async fn concurrent_mixed_operations_keep_the_ledger_right() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 20_000).await;
    let desk = t.actor("desk").await;
    let mm = t.actor("mm.e").await;
    let mut seeded = Vec::new();
    for q in [50, 60, 70, 205] {
        seeded.push(place(&t, &desk, d, &c, q).await);
    }
    let mut tasks = Vec::new();
    for i in 0..24usize {
        let app = t.app.clone();
        let desk = desk.clone();
        let mm = mm.clone();
        let inp = input(d, &c, 10 + i as i64);
        let target = seeded[i % seeded.len()].order.id;
        let approval = seeded[3].approvals.first().map(|a| a.id);
        let product = c.product;
        tasks.push(tokio::spawn(async move {
            let r: Result<(), AppError> = match i % 4 {
                0 => orders::create(&app, &desk, inp, None, &|_| String::new())
                    .await
                    .map(|_| ()),
                1 => orders::update_lines(
                    &app,
                    &desk,
                    target,
                    vec![LineInput {
                        product_id: product,
                        quantity: 5 + i as i64,
                        unit_price_fen: None,
                    }],
                )
                .await
                .map(|_| ()),
                2 => orders::cancel(&app, &desk, target, None).await.map(|_| ()),
                _ => match approval {
                    Some(a) => approvals::decide(&app, &mm, a, Decision::Approve, None)
                        .await
                        .map(|_| ()),
                    None => Ok(()),
                },
            };
            match r {
                Ok(()) | Err(AppError::Conflict(_)) => Ok(()),
                Err(e) => Err(format!("task {i}: {e:?}")),
            }
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    check_clean(&t).await;
    within_limit_or_approved(&t, d).await;
}

/// `salesos check` notices a balance that drifted from its ledger, and the ledger refuses
/// changes (append-only on both databases).
#[tokio::test]
async fn check_catches_drift_and_the_ledger_is_append_only() {
    use salesos_store::sql::Sql;
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let desk = t.actor("desk").await;
    place(&t, &desk, d, &c, 10).await;
    check_clean(&t).await;
    for bad in [
        format!("UPDATE credit_ledger SET amount_fen = 1 WHERE dealer_id = {d}"),
        format!("DELETE FROM credit_ledger WHERE dealer_id = {d}"),
        format!("DELETE FROM order_events WHERE order_id IN (SELECT id FROM orders WHERE dealer_id = {d})"),
    ] {
        let mut tx = t.app.store.begin().await.unwrap();
        let res = Sql::new(&bad).execute(tx.conn()).await;
        assert!(res.is_err(), "{bad} must be refused");
    }
    let mut tx = t.app.store.begin().await.unwrap();
    Sql::new(&format!(
        "UPDATE dealer_balances SET open_orders_fen = open_orders_fen + 1, exposure_fen = exposure_fen + 1 WHERE dealer_id = {d}"
    ))
    .execute(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut conn = t.app.store.read().await.unwrap();
    let problems = salesos_store::check::run(&mut conn).await.unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.contains(&format!("dealer {d}: open orders balance"))),
        "{problems:?}"
    );
}
