//! The approvals engine over HTTP: queues by person, scope, send back, rejection of temporary
//! credit, delegation, and decisions only on one's own step.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_test_support::order_fixtures::{catalogue, dealer};
use salesos_test_support::{problem, TestApp};
use serde_json::{json, Value};

async fn post(t: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    t.api_client()
        .post(t.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn get(t: &TestApp, token: &str, path: &str) -> (u16, Value) {
    t.api_json(token, reqwest::Method::GET, path, None).await
}

#[tokio::test]
async fn queues_scope_and_decisions() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let east = dealer(&t, "C-SH1", "rep.sh1.1", 10_000).await;
    let north = dealer(&t, "C-BJ1", "rep.bj1.1", 10_000).await;
    let desk = t.token_for("desk").await;
    let mm_e = t.token_for("mm.e").await;
    let mm_n = t.token_for("mm.n").await;
    let director = t.token_for("director").await;
    let mut held = Vec::new();
    for d in [east, north] {
        let o: Value = post(
            &t,
            &desk,
            "/api/v1/orders",
            json!({ "dealer_id": d, "lines": [{ "product_id": c.product, "quantity": 105 }] }),
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(o["order"]["status"], "on_hold");
        held.push((
            o["order"]["id"].as_i64().unwrap(),
            o["approvals"][0]["id"].as_i64().unwrap(),
        ));
    }
    let ids = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(&get(&t, &mm_e, "/api/v1/approvals").await.1),
        vec![held[0].1]
    );
    assert_eq!(
        ids(&get(&t, &mm_n, "/api/v1/approvals").await.1),
        vec![held[1].1]
    );
    assert!(ids(&get(&t, &director, "/api/v1/approvals").await.1).is_empty());
    // out of scope: 404, exactly like a missing request
    assert_eq!(
        get(&t, &mm_e, &format!("/api/v1/approvals/{}", held[1].1))
            .await
            .0,
        404
    );
    assert_eq!(
        post(
            &t,
            &mm_e,
            &format!("/api/v1/approvals/{}/approve", held[1].1),
            json!({})
        )
        .await
        .status(),
        404
    );
    // the director sees it but it is not the director's step
    let (status, detail) = get(&t, &director, &format!("/api/v1/approvals/{}", held[0].1)).await;
    assert_eq!((status, detail["can_decide"].as_bool()), (200, Some(false)));
    let p = problem(
        post(
            &t,
            &director,
            &format!("/api/v1/approvals/{}/approve", held[0].1),
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!((p.status, p.code.as_str()), (409, "approval.not_your_step"));
    // roles without the capability: 403
    let rep = t.token_for("rep.sh1.1").await;
    assert_eq!(get(&t, &rep, "/api/v1/approvals").await.0, 403);
    // send back: the request closes, the order stays on hold until it is changed
    let res = post(
        &t,
        &mm_e,
        &format!("/api/v1/approvals/{}/send-back", held[0].1),
        json!({ "reason": "split the delivery" }),
    )
    .await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["request"]["status"], "sent_back");
    assert_eq!(v["steps"][0]["reason"], "split the delivery");
    let p = problem(
        post(
            &t,
            &mm_e,
            &format!("/api/v1/approvals/{}/approve", held[0].1),
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!((p.status, p.code.as_str()), (409, "approval.not_pending"));
    let (_, o) = get(&t, &desk, &format!("/api/v1/orders/{}", held[0].0)).await;
    assert_eq!(o["order"]["status"], "on_hold");
    assert!(ids(&get(&t, &mm_e, "/api/v1/approvals").await.1).is_empty());

    // temporary credit rejected: it never counts
    let tc: Value = post(
        &t,
        &desk,
        &format!("/api/v1/dealers/{east}/temporary-credit"),
        json!({ "amount_fen": 100_000, "valid_to": "2999-01-01" }),
    )
    .await
    .json()
    .await
    .unwrap();
    let req = tc["approval_id"].as_i64().unwrap();
    assert_eq!(
        post(
            &t,
            &mm_e,
            &format!("/api/v1/approvals/{req}/reject"),
            json!({ "reason": "no" })
        )
        .await
        .status(),
        200
    );
    let (_, credit) = get(&t, &desk, &format!("/api/v1/dealers/{east}/credit")).await;
    assert_eq!(credit["temporary_fen"], 0);
    assert_eq!(credit["temp_credits"][0]["status"], "rejected");
    let p = problem(
        post(
            &t,
            &desk,
            &format!("/api/v1/dealers/{east}/temporary-credit"),
            json!({ "amount_fen": 0, "valid_to": "2999-01-01" }),
        )
        .await,
    )
    .await;
    assert_eq!(p.field.as_deref(), Some("amount_fen"));

    // delegation: mm.e away, the director decides mm.e's queue
    let o: Value = post(
        &t,
        &desk,
        "/api/v1/orders",
        json!({ "dealer_id": east, "lines": [{ "product_id": c.product, "quantity": 104 }] }),
    )
    .await
    .json()
    .await
    .unwrap();
    let req = o["approvals"][0]["id"].as_i64().unwrap();
    let director_id = t.person_id("director").await;
    let p = problem(
        post(
            &t,
            &mm_e,
            "/api/v1/delegations",
            json!({ "to_person": t.person_id("rep.sh1.1").await, "valid_to": "2999-01-01" }),
        )
        .await,
    )
    .await;
    assert_eq!(p.field.as_deref(), Some("to_person"));
    assert_eq!(
        post(
            &t,
            &mm_e,
            "/api/v1/delegations",
            json!({ "to_person": director_id, "valid_to": "2999-01-01" })
        )
        .await
        .status(),
        201
    );
    assert!(ids(&get(&t, &director, "/api/v1/approvals").await.1).contains(&req));
    let v: Value = post(
        &t,
        &director,
        &format!("/api/v1/approvals/{req}/approve"),
        json!({}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(v["request"]["status"], "approved");
    let (_, o) = get(&t, &desk, &format!("/api/v1/orders/{}", o["order"]["id"])).await;
    assert_eq!(o["order"]["status"], "confirmed");
}

#[tokio::test]
async fn delegation_is_set_and_ended_on_the_queue_page() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let east = dealer(&t, "C-SH1", "rep.sh1.1", 10_000).await;
    let desk = t.token_for("desk").await;
    let o: Value = post(
        &t,
        &desk,
        "/api/v1/orders",
        json!({ "dealer_id": east, "lines": [{ "product_id": c.product, "quantity": 104 }] }),
    )
    .await
    .json()
    .await
    .unwrap();
    let req = o["approvals"][0]["id"].as_i64().unwrap();
    let director = t.token_for("director").await;
    let director_id = t.person_id("director").await;
    let queue_of_director = || async {
        let (_, v) = get(&t, &director, "/api/v1/approvals").await;
        v.as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"].as_i64() == Some(req))
    };
    assert!(!queue_of_director().await);

    let mm = t.sign_in_demo("mm.e").await;
    let csrf = t.csrf_of(&mm).await;
    let html = mm
        .get(t.url("/approvals"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-testid=\"delegation-form\""));
    assert!(
        html.contains(&format!("<option value=\"{director_id}\">")),
        "the director can stand in: {html}"
    );
    let rep = t.person_id("rep.sh1.1").await;
    assert!(
        !html.contains(&format!("<option value=\"{rep}\">")),
        "a rep cannot approve"
    );
    // bad input at its field, nothing written
    for (to, until, field) in [
        (rep.to_string(), "2999-01-01", "to_person"),
        (director_id.to_string(), "2000-01-01", "valid_to"),
        (director_id.to_string(), "someday", "valid_to"),
    ] {
        let res = mm
            .post(t.url("/approvals/delegations"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("to_person", &to),
                ("valid_to", until),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{to} {until}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains(&format!("data-field=\"{field}\"")),
            "{field}: {html}"
        );
    }
    assert_eq!(t.count("SELECT COUNT(*) AS n FROM delegations").await, 0);
    let res = mm
        .post(t.url("/approvals/delegations"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("to_person", &director_id.to_string()),
            ("valid_to", "2999-01-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(queue_of_director().await, "the stand-in sees the request");
    let id = t.count("SELECT id AS n FROM delegations").await;
    let html = mm
        .get(t.url("/approvals"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("data-testid=\"delegation-row\"").count(), 1);

    // nobody else can end it: the API answers 404 for another person's delegation
    let res = t
        .api_client()
        .delete(t.url(&format!("/api/v1/delegations/{id}")))
        .bearer_auth(&director)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // back early: ended from the page, the director's queue no longer holds it
    let res = mm
        .post(t.url(&format!("/approvals/delegations/{id}/revoke")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(!queue_of_director().await);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) AS n FROM delegations WHERE revoked_at IS NOT NULL AND id = {id}"
        ))
        .await,
        1,
        "the delegation is kept, marked ended"
    );
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM audit_log WHERE operation = 'delegation.revoke'")
            .await,
        1
    );
    // ending it twice: not found; and over the API for one's own
    let mm_token = t.token_for("mm.e").await;
    let res = t
        .api_client()
        .delete(t.url(&format!("/api/v1/delegations/{id}")))
        .bearer_auth(&mm_token)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(res).await.status, 404);
    let v: Value = post(
        &t,
        &mm_token,
        "/api/v1/delegations",
        json!({ "to_person": director_id, "valid_to": "2999-01-01" }),
    )
    .await
    .json()
    .await
    .unwrap();
    let res = t
        .api_client()
        .delete(t.url(&format!("/api/v1/delegations/{}", v["id"])))
        .bearer_auth(&mm_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (_, list) = get(&t, &mm_token, "/api/v1/delegations").await;
    assert!(list.as_array().unwrap().is_empty());
}
