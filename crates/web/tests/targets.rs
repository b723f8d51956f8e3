//! Plans and targets through `/api/v1`: SMART refusals name the field and change nothing;
//! cascades split exactly (weights of any sum, negative ones refused); achievement follows the
//! dealer's owner at the time of each order across a mid-month hand-over; plans are versioned
//! through the approvals engine and locked once approved; the month's focus reaches everyone's
//! home page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_app::orders::{self, Created, LineInput, NewOrderInput};
use salesos_test_support::order_fixtures::catalogue;
use salesos_test_support::target_fixtures::scoreboard;
use salesos_test_support::{problem, TestApp};
use serde_json::{json, Value};

/// GETs an API path and reads its JSON answer.
async fn get_json(t: &TestApp, token: &str, path: &str) -> Value {
    t.api(token, reqwest::Method::GET, path, None)
        .await
        .json()
        .await
        .unwrap()
}

async fn targets_count(t: &TestApp) -> i64 {
    t.count("SELECT COUNT(*) AS n FROM targets").await
}

#[tokio::test]
async fn smart_rules_refuse_with_the_field_at_fault() {
    let t = TestApp::spawn().await;
    let token = t.token_for("director").await;
    let hq = t.node_id("HQ").await;
    let east = t.node_id("M-E").await;
    let year = t.app.today()[..4].to_string();
    let good = json!({ "metric": "ordered_amount", "amount": 1_000_000, "owner_node": hq, "period": year });
    let cases = [
        (
            json!({ "amount": 5, "owner_node": hq, "period": year }),
            "target.metric_missing",
            "metric",
        ),
        (
            json!({ "metric": "smiles", "amount": 5, "owner_node": hq, "period": year }),
            "target.metric_unknown",
            "metric",
        ),
        (
            json!({ "metric": "ordered_amount", "owner_node": hq, "period": year }),
            "target.amount_missing",
            "amount",
        ),
        (
            json!({ "metric": "ordered_amount", "amount": -1, "owner_node": hq, "period": year }),
            "target.amount_negative",
            "amount",
        ),
        (
            json!({ "metric": "ordered_amount", "amount": 5, "period": year }),
            "target.owner_missing",
            "owner",
        ),
        (
            json!({ "metric": "ordered_amount", "amount": 5, "owner_node": hq }),
            "target.period_missing",
            "period",
        ),
        (
            json!({ "metric": "ordered_amount", "amount": 5, "owner_node": hq, "period": "2026-Q7" }),
            "target.period_invalid",
            "period",
        ),
        (
            json!({ "metric": "ordered_amount", "amount": 5, "owner_node": east, "period": year }),
            "target.parent_missing",
            "parent_id",
        ),
    ];
    for (body, code, field) in cases {
        let res = t
            .api(
                &token,
                reqwest::Method::POST,
                "/api/v1/targets",
                Some(body.clone()),
            )
            .await;
        let p = problem(res).await;
        assert_eq!(
            (p.status, p.code.as_str(), p.field.as_deref()),
            (422, code, Some(field)),
            "{body}"
        );
        assert!(!p.detail.is_empty());
        assert_eq!(targets_count(&t).await, 0, "a refused target wrote nothing");
    }
    let res = t
        .api(&token, reqwest::Method::POST, "/api/v1/targets", Some(good))
        .await;
    assert_eq!(res.status(), 201);
    let top: Value = res.json().await.unwrap();
    let top_id = top["target"]["id"].as_i64().unwrap();
    // below the company: the parent must share the metric and hold the period
    let wrong_metric = json!({ "metric": "collected_amount", "amount": 5, "owner_node": east, "period": year, "parent_id": top_id });
    let p = problem(
        t.api(
            &token,
            reqwest::Method::POST,
            "/api/v1/targets",
            Some(wrong_metric),
        )
        .await,
    )
    .await;
    assert_eq!(
        (p.code.as_str(), p.field.as_deref()),
        ("target.metric_differs", Some("metric"))
    );
    let next_year = (year.parse::<i32>().unwrap() + 1).to_string();
    let outside = json!({ "metric": "ordered_amount", "amount": 5, "owner_node": east, "period": next_year, "parent_id": top_id });
    let p = problem(
        t.api(
            &token,
            reqwest::Method::POST,
            "/api/v1/targets",
            Some(outside),
        )
        .await,
    )
    .await;
    assert_eq!(
        (p.code.as_str(), p.field.as_deref()),
        ("target.period_outside_parent", Some("period"))
    );
    assert_eq!(targets_count(&t).await, 1);
    // a rep cannot set targets; an area manager cannot set one outside their area
    let rep = t.token_for("rep.sh1.1").await;
    let body = json!({ "metric": "ordered_amount", "amount": 5, "owner_node": east, "period": year, "parent_id": top_id });
    assert_eq!(
        t.api(
            &rep,
            reqwest::Method::POST,
            "/api/v1/targets",
            Some(body.clone())
        )
        .await
        .status(),
        403
    );
    let am = t.token_for("am.sh").await;
    assert_eq!(
        t.api(&am, reqwest::Method::POST, "/api/v1/targets", Some(body))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn cascades_split_exactly_and_refuse_what_cannot_be_split() {
    let t = TestApp::spawn().await;
    let s = scoreboard(&t).await;
    let token = t.token_for("director").await;
    let path = format!("/api/v1/targets/{}", s.company_year);
    // an amount that does not divide by 12
    let res = t
        .api(
            &token,
            reqwest::Method::PATCH,
            &path,
            Some(json!({ "amount": 1_000_003 })),
        )
        .await;
    assert_eq!(res.status(), 200);
    // typed weights summing to 90, not 100: normalised, and the parts sum exactly
    let weights = vec![10, 5, 5, 5, 5, 10, 10, 10, 5, 5, 5, 15];
    let res = t
        .api(
            &token,
            reqwest::Method::POST,
            &format!("{path}/cascade-proposal"),
            Some(json!({ "by": "months", "weights": weights })),
        )
        .await;
    assert_eq!(res.status(), 200);
    let proposal: Value = res.json().await.unwrap();
    assert_eq!(proposal["basis"], "typed");
    let parts = proposal["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 12);
    let sum: i64 = parts.iter().map(|p| p["amount"].as_i64().unwrap()).sum();
    assert_eq!(sum, 1_000_003, "the months add up exactly to the year");
    assert_eq!(
        parts[0]["amount"].as_i64().unwrap(),
        111_111,
        "10/90 of the year, rounded down"
    );
    assert_eq!(
        parts[11]["amount"].as_i64().unwrap(),
        166_667,
        "15/90, the largest remainder gets the extra fen"
    );
    // last year's actuals are the default weights; with no history the split is equal
    let res = t
        .api(
            &token,
            reqwest::Method::POST,
            &format!("{path}/cascade-proposal"),
            Some(json!({ "by": "quarters" })),
        )
        .await;
    let q: Value = res.json().await.unwrap();
    assert_eq!(q["basis"], "equal");
    let amounts: Vec<i64> = q["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts, vec![250_001, 250_001, 250_001, 250_000]);
    // refused: negative and all-zero weights, the wrong number of weights, an unknown split
    for (body, code, field) in [
        (
            json!({ "by": "quarters", "weights": [1, -1, 1, 1] }),
            "cascade.weight_negative",
            "weights",
        ),
        (
            json!({ "by": "quarters", "weights": [0, 0, 0, 0] }),
            "cascade.weights_zero",
            "weights",
        ),
        (
            json!({ "by": "quarters", "weights": [1, 1] }),
            "cascade.weights_count",
            "weights",
        ),
        (json!({ "by": "weeks" }), "cascade.by_unknown", "by"),
    ] {
        let p = problem(
            t.api(
                &token,
                reqwest::Method::POST,
                &format!("{path}/cascade-proposal"),
                Some(body),
            )
            .await,
        )
        .await;
        assert_eq!(
            (p.status, p.code.as_str(), p.field.as_deref()),
            (422, code, Some(field))
        );
    }
    // saving: parts that do not add up, or a negative part, are refused and write nothing
    let before = targets_count(&t).await;
    let mut edited: Vec<Value> = parts
        .iter()
        .map(|p| json!({ "period": p["period"], "amount": p["amount"] }))
        .collect();
    edited[0]["amount"] = json!(111_112);
    let p = problem(
        t.api(
            &token,
            reqwest::Method::POST,
            &format!("{path}/cascade"),
            Some(json!({ "parts": edited.clone() })),
        )
        .await,
    )
    .await;
    assert_eq!(
        (p.code.as_str(), p.field.as_deref()),
        ("cascade.sum_mismatch", Some("parts"))
    );
    edited[0]["amount"] = json!(-1);
    edited[1]["amount"] = json!(parts[1]["amount"].as_i64().unwrap() + 111_112);
    let p = problem(
        t.api(
            &token,
            reqwest::Method::POST,
            &format!("{path}/cascade"),
            Some(json!({ "parts": edited.clone() })),
        )
        .await,
    )
    .await;
    assert_eq!(p.code, "target.amount_negative");
    assert_eq!(targets_count(&t).await, before);
    // edited but exact: saved, the existing month target updated rather than duplicated
    edited[0]["amount"] = json!(111_111 - 1);
    edited[1]["amount"] = json!(parts[1]["amount"].as_i64().unwrap() + 1);
    let res = t
        .api(
            &token,
            reqwest::Method::POST,
            &format!("{path}/cascade"),
            Some(json!({ "parts": edited })),
        )
        .await;
    assert_eq!(res.status(), 200);
    let d: Value = res.json().await.unwrap();
    assert_eq!(d["children_total"].as_i64().unwrap(), 1_000_003);
    assert_eq!(d["children"].as_array().unwrap().len(), 12);
    assert_eq!(
        targets_count(&t).await,
        before + 11,
        "this month's target existed already"
    );
}

#[tokio::test]
async fn achievement_follows_the_owner_at_the_time_of_each_order() {
    let t = TestApp::spawn().await;
    let s = scoreboard(&t).await;
    // mid-month, the dealer goes from rep.sh1.1 to kam.sh; then it orders again
    let kam = t.person("kam.sh").await;
    let mut tx = t.app.store.begin().await.unwrap();
    let d = salesos_store::dealers::get_unscoped(tx.conn(), s.rep_dealer)
        .await
        .unwrap()
        .unwrap();
    salesos_store::dealers::change_owner(
        tx.conn(),
        s.rep_dealer,
        d.owner_id,
        kam.id,
        kam.node_id.unwrap(),
        kam.node_path.as_deref().unwrap(),
        &t.app.today(),
        None,
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let c = catalogue(&t, 10_000).await;
    let desk = t.actor("desk").await;
    let input = NewOrderInput {
        dealer_id: s.rep_dealer,
        order_date: None,
        source: None,
        note: None,
        lines: vec![LineInput {
            product_id: c.product,
            quantity: 30,
            unit_price_fen: None,
        }],
        draft: false,
    };
    assert!(matches!(
        orders::create(&t.app, &desk, input, None, &|_| String::new()).await,
        Ok(Created::New(_))
    ));

    let director = t.token_for("director").await;
    let get = |id: i64| {
        let (t, token) = (&t, director.clone());
        async move {
            let res = t
                .api(
                    &token,
                    reqwest::Method::GET,
                    &format!("/api/v1/targets/{id}"),
                    None,
                )
                .await;
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };
    let rep = get(s.rep_month).await;
    assert_eq!(
        rep["target"]["actual"].as_i64().unwrap(),
        s.ordered_fen,
        "the first order stays the rep's"
    );
    assert_eq!(rep["target"]["percent_bp"].as_i64().unwrap(), 2_500);
    let kam_t = get(s.kam_month).await;
    assert_eq!(
        kam_t["target"]["actual"].as_i64().unwrap(),
        300_000,
        "the order after the hand-over is the KAM's"
    );
    let area = get(s.area_month).await;
    assert_eq!(
        area["target"]["actual"].as_i64().unwrap(),
        s.ordered_fen + 300_000
    );
    // the children are ranked: the rep at 25% ahead of the KAM at 18.75%
    let places: Vec<(i64, i64)> = area["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["target"]["person_id"].as_i64().unwrap(),
                c["place"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(
        places.contains(&(t.person_id("rep.sh1.1").await, 1)),
        "{places:?}"
    );
    assert!(places.contains(&(kam.id, 2)), "{places:?}");
    // each sees their own figures on the dashboard, with the leaderboard of peers
    let rep_token = t.token_for("rep.sh1.1").await;
    let dash: Value = get_json(&t, &rep_token, "/api/v1/dashboard").await;
    assert_eq!(dash["kind"], "field");
    assert_eq!(
        dash["month_target"]["achievement"]["actual"]
            .as_i64()
            .unwrap(),
        s.ordered_fen
    );
    assert_eq!(dash["leaderboard"].as_array().unwrap().len(), 2);
    // a rep cannot open the KAM's target: out of scope is not found
    let res = t
        .api(
            &rep_token,
            reqwest::Method::GET,
            &format!("/api/v1/targets/{}", s.kam_month),
            None,
        )
        .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn plans_are_versioned_and_locked_once_approved() {
    let t = TestApp::spawn().await;
    let token = t.token_for("director").await;
    let hq = t.node_id("HQ").await;
    let res = t.api(&token, reqwest::Method::POST, "/api/v1/plans", Some(json!({
        "name": "2031 sales plan",
        "top": { "metric": "ordered_amount", "amount": 90_000_000, "owner_node": hq, "period": "2031" },
    }))).await;
    assert_eq!(res.status(), 201);
    let plan: Value = res.json().await.unwrap();
    let plan_id = plan["plan"]["id"].as_i64().unwrap();
    assert_eq!(plan["plan"]["version"], 1);
    assert_eq!(plan["plan"]["status"], "draft");
    let top = plan["targets"][0]["id"].as_i64().unwrap();
    let q = t.api(&token, reqwest::Method::POST, &format!("/api/v1/targets/{top}/cascade"), Some(json!({ "parts": [
        { "period": "2031-Q1", "amount": 20_000_000 }, { "period": "2031-Q2", "amount": 25_000_000 },
        { "period": "2031-Q3", "amount": 25_000_000 }, { "period": "2031-Q4", "amount": 20_000_000 },
    ] }))).await;
    assert_eq!(q.status(), 200);
    let res = t
        .api(
            &token,
            reqwest::Method::POST,
            &format!("/api/v1/plans/{plan_id}/submit"),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let pending: Value = res.json().await.unwrap();
    assert_eq!(pending["plan"]["status"], "pending");
    let approval = pending["plan"]["approval_id"].as_i64().unwrap();
    // locked while waiting
    let p = problem(
        t.api(
            &token,
            reqwest::Method::PATCH,
            &format!("/api/v1/targets/{top}"),
            Some(json!({ "amount": 1 })),
        )
        .await,
    )
    .await;
    assert_eq!((p.status, p.code.as_str()), (409, "target.locked"));
    let res = t
        .api(
            &token,
            reqwest::Method::POST,
            &format!("/api/v1/approvals/{approval}/approve"),
            None,
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let approved: Value = get_json(&t, &token, &format!("/api/v1/plans/{plan_id}")).await;
    assert_eq!(approved["plan"]["status"], "approved");
    assert_eq!(approved["targets"].as_array().unwrap().len(), 5);
    let p = problem(
        t.api(
            &token,
            reqwest::Method::PATCH,
            &format!("/api/v1/targets/{top}"),
            Some(json!({ "amount": 1 })),
        )
        .await,
    )
    .await;
    assert_eq!(p.code, "target.locked");
    let p = problem(
        t.api(
            &token,
            reqwest::Method::POST,
            &format!("/api/v1/plans/{plan_id}/submit"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!((p.status, p.code.as_str()), (409, "plan.not_draft"));
    // a change makes version 2, with a reason
    let p = problem(
        t.api(
            &token,
            reqwest::Method::POST,
            &format!("/api/v1/plans/{plan_id}/versions"),
            Some(json!({ "reason": "  " })),
        )
        .await,
    )
    .await;
    assert_eq!(
        (p.code.as_str(), p.field.as_deref()),
        ("plan.reason_required", Some("reason"))
    );
    let res = t
        .api(
            &token,
            reqwest::Method::POST,
            &format!("/api/v1/plans/{plan_id}/versions"),
            Some(json!({ "reason": "a new market opens in Q3" })),
        )
        .await;
    assert_eq!(res.status(), 201);
    let v2: Value = res.json().await.unwrap();
    assert_eq!(
        (
            v2["plan"]["version"].as_i64(),
            v2["plan"]["previous_id"].as_i64()
        ),
        (Some(2), Some(plan_id))
    );
    assert_eq!(v2["plan"]["reason"], "a new market opens in Q3");
    let copies = v2["targets"].as_array().unwrap();
    assert_eq!(copies.len(), 5);
    let v2_top = copies.iter().find(|c| c["parent_id"].is_null()).unwrap()["id"]
        .as_i64()
        .unwrap();
    assert!(
        copies
            .iter()
            .filter(|c| !c["parent_id"].is_null())
            .all(|c| c["parent_id"].as_i64() == Some(v2_top)),
        "children point at the copied parent"
    );
    let res = t
        .api(
            &token,
            reqwest::Method::PATCH,
            &format!("/api/v1/targets/{v2_top}"),
            Some(json!({ "amount": 95_000_000 })),
        )
        .await;
    assert_eq!(res.status(), 200, "the new version is a draft again");
    // approving v2 supersedes v1
    let v2_id = v2["plan"]["id"].as_i64().unwrap();
    let q = t.api(&token, reqwest::Method::POST, &format!("/api/v1/targets/{v2_top}/cascade"), Some(json!({ "parts": [
        { "period": "2031-Q1", "amount": 20_000_000 }, { "period": "2031-Q2", "amount": 25_000_000 },
        { "period": "2031-Q3", "amount": 30_000_000 }, { "period": "2031-Q4", "amount": 20_000_000 },
    ] }))).await;
    assert_eq!(q.status(), 200);
    let sub: Value = t
        .api(
            &token,
            reqwest::Method::POST,
            &format!("/api/v1/plans/{v2_id}/submit"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let a2 = sub["plan"]["approval_id"].as_i64().unwrap();
    assert_eq!(
        t.api(
            &token,
            reqwest::Method::POST,
            &format!("/api/v1/approvals/{a2}/approve"),
            None
        )
        .await
        .status(),
        200
    );
    let v1: Value = get_json(&t, &token, &format!("/api/v1/plans/{plan_id}")).await;
    assert_eq!(v1["plan"]["status"], "superseded");
    let audit = t.count("SELECT COUNT(*) AS n FROM audit_log WHERE operation IN ('plan.create', 'plan.submit', 'plan.decided', 'plan.new_version')").await;
    assert_eq!(audit, 6);
}

#[tokio::test]
async fn the_months_focus_reaches_every_home_page() {
    let t = TestApp::spawn().await;
    let month = t.app.today()[..7].to_string();
    let director = t.token_for("director").await;
    let (m_e, m_n) = (t.node_id("M-E").await, t.node_id("M-N").await);
    let body = json!({ "month": month, "items": [
        { "title": "回款冲刺", "detail": "清理90天以上欠款", "goals": [{ "node_id": m_e, "goal": "回款 500 万" }, { "node_id": m_n, "goal": "回款 300 万" }] },
        { "title": "新品铺货" },
        { "title": "经销商拜访" },
    ] });
    // only the leadership publishes; four items are too many
    let mm = t.token_for("mm.e").await;
    assert_eq!(
        t.api(
            &mm,
            reqwest::Method::POST,
            "/api/v1/focus",
            Some(body.clone())
        )
        .await
        .status(),
        403
    );
    let mut four = body.clone();
    four["items"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "title": "多余" }));
    let p = problem(
        t.api(
            &director,
            reqwest::Method::POST,
            "/api/v1/focus",
            Some(four),
        )
        .await,
    )
    .await;
    assert_eq!(
        (p.code.as_str(), p.field.as_deref()),
        ("focus.items_count", Some("items"))
    );
    let res = t
        .api(
            &director,
            reqwest::Method::POST,
            "/api/v1/focus",
            Some(body),
        )
        .await;
    assert_eq!(res.status(), 200);
    let items: Value = res.json().await.unwrap();
    assert_eq!(items[0]["rank"], 1);
    assert_eq!(items[0]["goals"].as_array().unwrap().len(), 2);
    for login in ["rep.sh1.1", "warehouse", "mm.e"] {
        let client = t.sign_in_demo(login).await;
        let html = client
            .get(t.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("回款冲刺") && html.contains("新品铺货"),
            "{login} sees the focus"
        );
        assert!(
            html.contains("回款 500 万"),
            "{login} sees the market goals"
        );
    }
}

/// The home page's "dealers that need action" equals a plain recomputation from the ledgers:
/// every active dealer in the person's scope with an order on hold, money overdue, or no counted
/// order in the last 30 days, most overdue first, at most 20.
#[tokio::test]
async fn dealers_needing_action_match_a_recomputation_from_the_ledgers() {
    use salesos_app::demo::DemoSize;
    use salesos_store::sql::Sql;
    use sqlx::Row;

    let t = TestApp::spawn_with_history(DemoSize::Tiny, 3000).await;
    let today = chrono::NaiveDate::parse_from_str(&t.app.today(), "%Y-%m-%d").unwrap();
    let quiet_since = (today - chrono::Duration::days(30)).to_string();
    for login in ["mm.e", "rep.sh1.1", "am.sh"] {
        let person = t.person(login).await;
        // one row per active dealer, each figure by its own GROUP BY over the whole ledger
        let mut sql = Sql::new(
            "SELECT d.id, d.code, COALESCE(h.n, 0) AS holds, COALESCE(v.fen, 0) AS overdue_fen, l.day AS last_order_on \
             FROM dealers d \
             LEFT JOIN (SELECT dealer_id, CAST(COUNT(*) AS BIGINT) AS n FROM orders WHERE status = 'on_hold' GROUP BY dealer_id) h ON h.dealer_id = d.id \
             LEFT JOIN (SELECT dealer_id, CAST(SUM(open_fen) AS BIGINT) AS fen FROM invoices WHERE status = 'open' AND due_date < ",
        );
        sql.bind(today.to_string()).push(
            " GROUP BY dealer_id) v ON v.dealer_id = d.id \
             LEFT JOIN (SELECT dealer_id, MAX(order_date) AS day FROM orders WHERE status IN ('confirmed', 'partially_shipped', 'shipped', 'closed') GROUP BY dealer_id) l ON l.dealer_id = d.id \
             WHERE d.status = 'active'",
        );
        if person.role.as_deref() == Some("sales_rep") {
            sql.push(" AND d.owner_id = ").bind(person.id);
        } else {
            sql.push(" AND d.node_path LIKE ")
                .bind(format!("{}%", person.node_path.clone().unwrap()));
        }
        let mut conn = t.app.store.read().await.unwrap();
        let rows = sql.fetch_all(&mut conn).await.unwrap();
        drop(conn);
        let mut expected: Vec<(i64, i64, Option<String>, i64, String)> = rows
            .iter()
            .map(|r| {
                (
                    r.try_get::<i64, _>("overdue_fen").unwrap(),
                    r.try_get::<i64, _>("holds").unwrap(),
                    r.try_get::<Option<String>, _>("last_order_on").unwrap(),
                    r.try_get::<i64, _>("id").unwrap(),
                    r.try_get::<String, _>("code").unwrap(),
                )
            })
            .filter(|(overdue, holds, last, _, _)| {
                *overdue > 0
                    || *holds > 0
                    || last.as_deref().is_none_or(|d| d < quiet_since.as_str())
            })
            .collect();
        // most overdue first, then most holds, then the longest quiet (never ordered first)
        expected.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then(b.1.cmp(&a.1))
                .then(a.2.is_some().cmp(&b.2.is_some()))
                .then(a.2.cmp(&b.2))
                .then(a.3.cmp(&b.3))
        });
        expected.truncate(20);
        assert!(
            !expected.is_empty(),
            "{login}: the demo history leaves dealers needing action"
        );

        let token = t.token_for(login).await;
        let home = get_json(&t, &token, "/api/v1/dashboard").await;
        let got: Vec<(i64, bool, Option<String>, String)> = home["needs_action"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["overdue_fen"].as_i64().unwrap(),
                    d["on_hold"].as_bool().unwrap(),
                    d["last_order_on"].as_str().map(str::to_string),
                    d["code"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want: Vec<(i64, bool, Option<String>, String)> = expected
            .into_iter()
            .map(|(overdue, holds, last, _, code)| (overdue, holds > 0, last, code))
            .collect();
        assert_eq!(got, want, "{login}");
    }
}
