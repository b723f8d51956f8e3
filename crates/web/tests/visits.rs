//! Visits (拜访) through `/api/v1/visits` and `/visits`: bad input is refused with the field at
//! fault and nothing written; a visit can only be recorded to a dealer one can see; lists and
//! exports are scoped. Achievement of `visits` and `new_active_dealers` targets, across a
//! dealer handed over in the middle of the month, and the counters behind them equal a
//! recomputation (`salesos check`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, NaiveDate, Utc};
use salesos_app::targets::{self, NewTargetInput};
use salesos_test_support::order_fixtures::{dealer, history_order};
use salesos_test_support::target_fixtures::last_month;
use salesos_test_support::{problem, TestApp};
use serde_json::{json, Value};

async fn written(t: &TestApp) -> (i64, i64) {
    (
        t.count("SELECT COUNT(*) AS n FROM visits").await,
        t.count("SELECT CAST(COALESCE(SUM(visits), 0) AS BIGINT) AS n FROM visit_counts")
            .await,
    )
}

/// The whole of `salesos check` finds nothing.
async fn check_is_clean(t: &TestApp) {
    let mut conn = t.app.store.read().await.unwrap();
    let problems = salesos_store::check::run(&mut conn).await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}

/// The two counters equal their recomputation (orders written straight into the table for
/// history have no credit ledger entries, which the rest of `salesos check` would report).
async fn counters_are_clean(t: &TestApp) {
    let mut conn = t.app.store.read().await.unwrap();
    let mut problems = salesos_store::visits::check_unscoped(&mut conn)
        .await
        .unwrap();
    problems.extend(
        salesos_store::targets::check_first_orders_unscoped(&mut conn)
            .await
            .unwrap(),
    );
    assert!(problems.is_empty(), "{problems:?}");
}

fn yesterday() -> String {
    (Utc::now() - Duration::days(1)).to_rfc3339()
}

async fn visit_ids(t: &TestApp, token: &str, query: &str) -> Vec<i64> {
    let res = t
        .api(
            token,
            reqwest::Method::GET,
            &format!("/api/v1/visits{query}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let list: Vec<Value> = res.json().await.unwrap();
    list.iter().map(|v| v["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn visits_are_validated_scoped_and_exported() {
    let t = TestApp::spawn().await;
    let mine = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let north = dealer(&t, "C-BJ1", "rep.bj1.1", 1_000_000).await;
    let rep = t.token_for("rep.sh1.1").await;
    let good = json!({ "dealer_id": mine, "visited_at": yesterday(), "purpose": "月度拜访", "outcome": "同意补货", "location": "上海市徐汇区" });
    let with = |key: &str, value: Value| {
        let mut b = good.clone();
        b[key] = value;
        b
    };
    let future = (Utc::now() + Duration::hours(2)).to_rfc3339();
    let bad = [
        (
            with("dealer_id", Value::Null),
            "visit.dealer_missing",
            "dealer_id",
        ),
        (
            with("visited_at", Value::Null),
            "visit.time_missing",
            "visited_at",
        ),
        (
            with("visited_at", json!("next tuesday")),
            "visit.time_invalid",
            "visited_at",
        ),
        (
            with("visited_at", json!(future)),
            "visit.time_future",
            "visited_at",
        ),
        (
            with("purpose", json!("   ")),
            "visit.purpose_missing",
            "purpose",
        ),
        (
            with("purpose", json!("访".repeat(201))),
            "visit.purpose_too_long",
            "purpose",
        ),
        (
            with("outcome", json!("x".repeat(2001))),
            "visit.outcome_too_long",
            "outcome",
        ),
        (
            with("location", json!("x".repeat(201))),
            "visit.location_too_long",
            "location",
        ),
    ];
    for (body, code, field) in bad {
        let res = t
            .api(
                &rep,
                reqwest::Method::POST,
                "/api/v1/visits",
                Some(body.clone()),
            )
            .await;
        let p = problem(res).await;
        assert_eq!(p.status, 422, "{body}");
        assert_eq!(
            (p.code.as_str(), p.field.as_deref()),
            (code, Some(field)),
            "{body}"
        );
    }
    // a body of the wrong shape is a 4xx too, never a 500
    let res = t
        .api(
            &rep,
            reqwest::Method::POST,
            "/api/v1/visits",
            Some(json!({ "dealer_id": "abc" })),
        )
        .await;
    let p = problem(res).await;
    assert!((400..500).contains(&p.status), "{p:?}");
    // a dealer outside the rep's scope is not found, and nothing is written
    let res = t
        .api(
            &rep,
            reqwest::Method::POST,
            "/api/v1/visits",
            Some(with("dealer_id", json!(north))),
        )
        .await;
    assert_eq!(problem(res).await.status, 404);
    // a rep cannot record a visit in someone else's name
    let kam = t.person_id("kam.sh").await;
    let res = t
        .api(
            &rep,
            reqwest::Method::POST,
            "/api/v1/visits",
            Some(with("visited_by", json!(kam))),
        )
        .await;
    assert_eq!(problem(res).await.status, 404);
    assert_eq!(written(&t).await, (0, 0), "refused visits write nothing");

    // a good visit: a local time is read in the company's time zone
    let res = t
        .api(
            &rep,
            reqwest::Method::POST,
            "/api/v1/visits",
            Some(with("visited_at", json!("2026-01-05T07:30"))),
        )
        .await;
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["visit_day"], "2026-01-05");
    assert_eq!(
        v["visited_at"].as_str().unwrap(),
        "2026-01-04T23:30:00+00:00"
    );
    assert_eq!(
        v["visited_by"].as_i64().unwrap(),
        t.person_id("rep.sh1.1").await
    );
    assert_eq!(v["location"], "上海市徐汇区");
    let first = v["id"].as_i64().unwrap();
    // the area manager records one for the KAM of the area
    let am = t.token_for("am.sh").await;
    let res = t
        .api(
            &am,
            reqwest::Method::POST,
            "/api/v1/visits",
            Some(with("visited_by", json!(kam))),
        )
        .await;
    assert_eq!(res.status(), 201);
    let second: Value = res.json().await.unwrap();
    assert_eq!(second["visited_by"].as_i64().unwrap(), kam);
    let second = second["id"].as_i64().unwrap();
    assert_eq!(written(&t).await, (2, 2));
    let audit = t
        .count("SELECT COUNT(*) AS n FROM audit_log WHERE operation = 'visit.create'")
        .await;
    assert_eq!(audit, 2, "each visit is audited");

    // scopes: the rep sees the visits they made; managers their subtree; other markets nothing
    assert_eq!(visit_ids(&t, &rep, "").await, vec![first]);
    assert_eq!(visit_ids(&t, &am, "").await, vec![second, first]);
    assert_eq!(visit_ids(&t, &t.token_for("mm.e").await, "").await.len(), 2);
    assert_eq!(
        visit_ids(&t, &t.token_for("director").await, "")
            .await
            .len(),
        2
    );
    assert!(visit_ids(&t, &t.token_for("mm.n").await, "")
        .await
        .is_empty());
    assert!(visit_ids(&t, &t.token_for("rep.bj1.1").await, "")
        .await
        .is_empty());
    // filters
    assert_eq!(
        visit_ids(&t, &am, "?from=2026-01-05&to=2026-01-05").await,
        vec![first]
    );
    let res = t
        .api(
            &am,
            reqwest::Method::GET,
            "/api/v1/visits?from=tomorrow",
            None,
        )
        .await;
    let p = problem(res).await;
    assert_eq!((p.status, p.field.as_deref()), (422, Some("from")));
    // the order desk's work is not measured by targets: no visits
    let desk = t.token_for("desk").await;
    let res = t
        .api(&desk, reqwest::Method::GET, "/api/v1/visits", None)
        .await;
    assert_eq!(res.status(), 403);

    // the page: a bad form comes back with the message next to the field, nothing written
    let browser = t.page_session("rep.sh1.1").await;
    let mine_id = mine.to_string();
    let (status, _, html) = browser
        .post(
            "/visits",
            &[
                ("dealer_id", &mine_id),
                ("visited_at", "2026-01-06T10:00"),
                ("purpose", ""),
                ("location", "门店"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("data-field=\"purpose\""), "{html}");
    assert!(html.contains("门店"), "what was typed is kept");
    assert_eq!(written(&t).await.0, 2);
    let (status, _, _) = browser
        .post(
            "/visits",
            &[
                ("dealer_id", &mine_id),
                ("visited_at", "2026-01-06T10:00"),
                ("purpose", "新品推广"),
            ],
        )
        .await;
    assert!((200..400).contains(&status), "saving answered {status}");
    let (_, html) = browser.get("/visits").await;
    assert!(html.contains("新品推广") && html.contains("月度拜访"));
    assert_eq!(written(&t).await, (3, 3));

    // exports: same scope and filters, typed cells
    let (_, csv) = browser
        .get("/visits/export?format=csv&from=2026-01-06")
        .await;
    let rows: Vec<&str> = csv.lines().skip(1).filter(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 1, "{csv}");
    assert!(
        rows[0].starts_with("2026-01-06,") && rows[0].contains("新品推广"),
        "{csv}"
    );
    let north_rep = t.page_session("rep.bj1.1").await;
    let (_, csv) = north_rep.get("/visits/export?format=csv").await;
    assert_eq!(
        csv.lines().filter(|l| !l.is_empty()).count(),
        1,
        "header only: {csv}"
    );
    let xlsx = browser
        .client
        .get(t.url("/visits/export?format=xlsx"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let table = salesos_import::Table::from_bytes(xlsx.to_vec(), None).unwrap();
    let records: Vec<_> = table.map(Result::unwrap).collect();
    assert_eq!(records.len(), 2);
    check_is_clean(&t).await;
}

async fn target(t: &TestApp, login: &str, input: NewTargetInput) -> i64 {
    let actor = t.actor(login).await;
    targets::create(&t.app, &actor, input)
        .await
        .unwrap()
        .view
        .target
        .id
}

/// Sets an order's status straight in the table, as a cancellation or a reinstatement does.
async fn set_order_status(store: &salesos_store::Store, order: i64, status: &str) {
    let mut tx = store.begin().await.unwrap();
    salesos_store::sql::Sql::new(&format!(
        "UPDATE orders SET status = '{status}' WHERE id = {order}"
    ))
    .execute(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn achieved(t: &TestApp, id: i64) -> (i64, bool) {
    let actor = t.actor("director").await;
    let d = targets::get(&t.app, &actor, id).await.unwrap();
    (d.view.achievement.actual, d.view.measured)
}

async fn hand_over(t: &TestApp, dealer: i64, to: &str, on: &str) {
    let p = t.person(to).await;
    let mut tx = t.app.store.begin().await.unwrap();
    let d = salesos_store::dealers::get_unscoped(tx.conn(), dealer)
        .await
        .unwrap()
        .unwrap();
    salesos_store::dealers::change_owner(
        tx.conn(),
        dealer,
        d.owner_id,
        p.id,
        d.node_id,
        &d.node_path,
        on,
        None,
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn record_visit(t: &TestApp, login: &str, dealer: i64, on: NaiveDate) {
    let actor = t.actor(login).await;
    salesos_app::visits::create(
        &t.app,
        &actor,
        salesos_app::visits::NewVisitInput {
            dealer_id: Some(dealer),
            visited_by: None,
            visit: salesos_domain::visits::VisitInput {
                visited_at: Some(format!("{on}T10:00")),
                purpose: Some("拜访".into()),
                ..Default::default()
            },
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn visits_and_new_active_dealers_follow_the_owner_of_the_day() {
    let t = TestApp::spawn().await;
    let (first, month) = last_month();
    let day = |n: i64| first + Duration::days(n - 1);
    let hq = t.node_id("HQ").await;
    let a_sh = t.node_id("A-SH").await;
    let (rep, kam) = (t.person_id("rep.sh1.1").await, t.person_id("kam.sh").await);
    let mut ids = Vec::new();
    for metric in ["visits", "new_active_dealers"] {
        let top = target(
            &t,
            "director",
            NewTargetInput {
                metric: Some(metric.into()),
                amount: Some(100),
                owner_node: Some(hq),
                period: Some(month.clone()),
                ..Default::default()
            },
        )
        .await;
        let area = target(
            &t,
            "director",
            NewTargetInput {
                metric: Some(metric.into()),
                amount: Some(8),
                owner_node: Some(a_sh),
                period: Some(month.clone()),
                parent_id: Some(top),
                ..Default::default()
            },
        )
        .await;
        let person = |p: i64| NewTargetInput {
            metric: Some(metric.into()),
            amount: Some(4),
            owner_person: Some(p),
            period: Some(month.clone()),
            parent_id: Some(area),
            ..Default::default()
        };
        let r = target(&t, "am.sh", person(rep)).await;
        let k = target(&t, "am.sh", person(kam)).await;
        ids.push((area, r, k));
    }
    let (visits_area, visits_rep, visits_kam) = ids[0];
    let (new_area, new_rep, new_kam) = ids[1];

    // d1: first order on the 2nd under the rep, handed to the KAM on the 15th, orders again
    // d2: handed over on the 15th before its first order on the 20th
    // d3: first ordered the month before; d4: its only order was cancelled
    let d1 = dealer(&t, "C-SH1", "rep.sh1.1", 100_000_000).await;
    let d2 = dealer(&t, "C-SH1", "rep.sh1.1", 100_000_000).await;
    let d3 = dealer(&t, "C-SH1", "rep.sh1.1", 100_000_000).await;
    let d4 = dealer(&t, "C-SH1", "rep.sh1.1", 100_000_000).await;
    let s = &t.app.store;
    history_order(
        s,
        d3,
        &(first - Duration::days(3)).to_string(),
        10_000,
        "closed",
    )
    .await;
    history_order(s, d3, &day(5).to_string(), 10_000, "confirmed").await;
    history_order(s, d4, &day(4).to_string(), 10_000, "cancelled").await;
    history_order(s, d1, &day(2).to_string(), 10_000, "shipped").await;
    record_visit(&t, "rep.sh1.1", d1, day(3)).await;
    // a visit the month before counts for nobody this month
    record_visit(&t, "rep.sh1.1", d1, first - Duration::days(1)).await;
    record_visit(&t, "rep.sh1.1", d2, day(10)).await;
    hand_over(&t, d1, "kam.sh", &day(15).to_string()).await;
    hand_over(&t, d2, "kam.sh", &day(15).to_string()).await;
    history_order(s, d2, &day(20).to_string(), 10_000, "confirmed").await;
    history_order(s, d1, &day(21).to_string(), 10_000, "confirmed").await;
    record_visit(&t, "kam.sh", d2, day(16)).await;
    record_visit(&t, "kam.sh", d1, day(22)).await;
    record_visit(&t, "kam.sh", d1, day(23)).await;
    // the area manager's own visit counts for the area, not for either person
    record_visit(&t, "am.sh", d1, day(24)).await;

    assert_eq!(achieved(&t, visits_rep).await, (2, true));
    assert_eq!(achieved(&t, visits_kam).await, (3, true));
    assert_eq!(achieved(&t, visits_area).await, (6, true));
    assert_eq!(
        achieved(&t, new_rep).await,
        (1, true),
        "d1 first ordered under the rep"
    );
    assert_eq!(
        achieved(&t, new_kam).await,
        (1, true),
        "d2 first ordered under the KAM"
    );
    assert_eq!(
        achieved(&t, new_area).await,
        (2, true),
        "d3 is not new, d4 never ordered"
    );
    counters_are_clean(&t).await;

    // ranked like any other metric: at 75% the KAM leads the rep's 50% on visits
    let director = t.token_for("director").await;
    let res = t
        .api(
            &director,
            reqwest::Method::GET,
            &format!("/api/v1/targets/{visits_area}"),
            None,
        )
        .await;
    let d: Value = res.json().await.unwrap();
    assert_eq!(d["target"]["percent_bp"].as_i64(), Some(7_500));
    assert_eq!(d["target"]["measured"], true);
    let place_of = |person: i64| {
        d["children"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["target"]["person_id"].as_i64() == Some(person))
            .map(|c| {
                (
                    c["place"].as_i64().unwrap(),
                    c["target"]["percent_bp"].as_i64().unwrap(),
                )
            })
            .unwrap()
    };
    assert_eq!(place_of(kam), (1, 7_500));
    assert_eq!(place_of(rep), (2, 5_000));

    // d1's first order is cancelled: its next order (the KAM's, on the 21st) becomes the first
    let first_of_d1 = t
        .count(&format!(
            "SELECT MIN(id) AS n FROM orders WHERE dealer_id = {d1}"
        ))
        .await;
    set_order_status(s, first_of_d1, "cancelled").await;
    assert_eq!(achieved(&t, new_rep).await.0, 0);
    assert_eq!(achieved(&t, new_kam).await.0, 2);
    assert_eq!(achieved(&t, new_area).await.0, 2);
    // and reinstated, it is the first again
    set_order_status(s, first_of_d1, "confirmed").await;
    assert_eq!(achieved(&t, new_rep).await.0, 1);
    assert_eq!(achieved(&t, new_kam).await.0, 1);
    counters_are_clean(&t).await;

    // a tampered counter is caught by `salesos check`
    let mut tx = s.begin().await.unwrap();
    salesos_store::sql::Sql::new("UPDATE visit_counts SET visits = visits + 1")
        .execute(tx.conn())
        .await
        .unwrap();
    salesos_store::sql::Sql::new(&format!(
        "DELETE FROM dealer_first_orders WHERE dealer_id = {d2}"
    ))
    .execute(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut conn = s.read().await.unwrap();
    let problems = salesos_store::check::run(&mut conn).await.unwrap();
    assert!(
        problems.iter().any(|p| p.starts_with("visit count")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with(&format!("dealer {d2}: first order"))),
        "{problems:?}"
    );
}

#[tokio::test]
async fn the_demo_history_has_visits_by_the_owner_of_the_day() {
    let t = TestApp::spawn_with_history(salesos_app::demo::DemoSize::Tiny, 1500).await;
    let visits = t.count("SELECT COUNT(*) AS n FROM visits").await;
    let active = t
        .count("SELECT COUNT(*) AS n FROM dealers WHERE status = 'active'")
        .await;
    assert!(visits > active * 10, "{visits} visits for {active} dealers");
    // every visit is paid by whoever owned the dealer that day
    let wrong = t
        .count(
            "SELECT COUNT(*) AS n FROM visits v WHERE NOT EXISTS (SELECT 1 FROM dealer_owners o \
             WHERE o.dealer_id = v.dealer_id AND o.owner_id = v.visited_by AND o.valid_from <= v.visit_day \
             AND (o.valid_to IS NULL OR o.valid_to > v.visit_day))",
        )
        .await;
    assert_eq!(wrong, 0);
    check_is_clean(&t).await;
}
