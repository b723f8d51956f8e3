//! Dealers through HTTP on the tiny demo company: create/read/update with audit, scope (a rep
//! sees their own, a market manager their market, out of scope is 404), duplicates, the
//! lifecycle with the scorecard and termination report, term changes with history and owner
//! periods, market feedback, bad input, and the pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::Method;
use salesos_test_support::{builders, csrf_in_html, location, problem, TestApp};
use serde_json::{json, Value};

async fn new_dealer(t: &TestApp, token: &str, code: &str, extra: Value) -> (u16, Value) {
    let mut body = json!({
        "code": code, "name": format!("测试商贸{code}"), "tier": "B", "city": "上海",
        "node_id": t.node_id("C-SH1").await, "owner_id": t.person_id("rep.sh1.1").await,
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    t.api_json(token, Method::POST, "/api/v1/dealers", Some(body))
        .await
}

fn all_scores(score: u32) -> Value {
    json!({
        "licence_premises": score, "location_fit": score, "distribution_reach": score,
        "credit_reputation": score, "financial_strength": score, "local_standing": score,
        "willingness": score,
    })
}

#[tokio::test]
async fn create_read_update_with_audit() {
    let t = TestApp::spawn().await;
    let admin = t.token_for("admin").await;
    let before = t.last_audit_id().await;
    let (status, body) = new_dealer(
        &t,
        &admin,
        "T-001",
        json!({
            "licence_no": "91310000TEST0001", "legal_representative": "张伟",
            "address": "上海市浦东新区世纪大道 1 号", "delivery_station": "上海西站货运",
            "bank_name": "工商银行上海分行", "bank_account": "6222000011112222", "tax_no": "91310000TEST0001",
            "phone": "021-12345678", "payment_term_days": 30, "credit_limit_fen": 5_000_000,
            "contacts": [{ "name": "李娜", "phone": "13800000000" }],
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let d = &body["dealer"];
    assert_eq!(d["status"], "prospect");
    assert_eq!(d["tier"], "B");
    assert_eq!(d["delivery_station"], "上海西站货运");
    assert_eq!(body["duplicates"], json!([]));
    let id = d["id"].as_i64().unwrap();
    let audit = t.audit_since(before).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].operation, "dealer.create");
    assert_eq!(audit[0].entity, "dealer");
    assert_eq!(audit[0].entity_id, id);
    assert!(audit[0].before.is_none());
    assert_eq!(audit[0].after.as_ref().unwrap()["code"], "T-001");

    let (status, detail) = t
        .api_json(&admin, Method::GET, &format!("/api/v1/dealers/{id}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(detail["contacts"][0]["name"], "李娜");
    assert_eq!(detail["contacts"][0]["is_primary"], true);
    assert_eq!(detail["owners"].as_array().unwrap().len(), 1);
    assert!(detail["owners"][0]["valid_to"].is_null());

    let before = t.last_audit_id().await;
    let (status, updated) = t
        .api_json(
            &admin,
            Method::PATCH,
            &format!("/api/v1/dealers/{id}"),
            Some(json!({ "name": "测试商贸改名", "tier": "A", "city": "上海" })),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"], "测试商贸改名");
    let audit = t.audit_since(before).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].operation, "dealer.update");
    assert_eq!(audit[0].before.as_ref().unwrap()["tier"], "B");
    assert_eq!(audit[0].after.as_ref().unwrap()["tier"], "A");

    // a contact added later
    let (status, c) = t
        .api_json(
            &admin,
            Method::POST,
            &format!("/api/v1/dealers/{id}/contacts"),
            Some(json!({ "name": "王强" })),
        )
        .await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["is_primary"], false);
    assert!(t.app.store.read().await.is_ok());
    let problems = {
        let mut conn = t.app.store.read().await.unwrap();
        salesos_store::check::run(&mut conn).await.unwrap()
    };
    assert!(problems.is_empty(), "{problems:?}");
}

#[tokio::test]
async fn scope_rep_sees_own_manager_sees_market() {
    let t = TestApp::spawn().await;
    let rep = t.token_for("rep.sh1.1").await;
    let rep_id = t.person_id("rep.sh1.1").await;
    let (status, page) = t
        .api_json(&rep, Method::GET, "/api/v1/dealers?limit=1000", None)
        .await;
    assert_eq!(status, 200);
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|d| d["owner_id"] == rep_id), "{page}");
    assert_eq!(page["total"].as_i64().unwrap(), items.len() as i64);
    // the KAM's dealer in the same area is not the rep's
    let kam_dealer = builders::dealer_id(&t, "D-SH-K1").await;
    let (status, body) = t
        .api_json(
            &rep,
            Method::GET,
            &format!("/api/v1/dealers/{kam_dealer}"),
            None,
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["code"], "not_found");

    let mm = t.token_for("mm.e").await;
    let east = t.node("M-E").await.path;
    let (_, page) = t
        .api_json(&mm, Method::GET, "/api/v1/dealers?limit=1000", None)
        .await;
    let codes: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"D-SH1-001") && codes.contains(&"D-JS1-001"),
        "{codes:?}"
    );
    assert!(
        !codes
            .iter()
            .any(|c| c.starts_with("D-BJ") || c.starts_with("D-TJ")),
        "{codes:?}"
    );
    let all = {
        let mut conn = t.app.store.read().await.unwrap();
        salesos_store::dealers::list_all_unscoped(&mut conn)
            .await
            .unwrap()
    };
    let total_all = all.len() as i64;
    let in_east = all
        .iter()
        .filter(|d| d.node_path.starts_with(&east))
        .count() as i64;
    assert_eq!(page["total"].as_i64().unwrap(), in_east);
    assert!(in_east < total_all);
    let north_dealer = builders::dealer_id(&t, "D-BJ1-001").await;
    let (status, _) = t
        .api_json(
            &mm,
            Method::GET,
            &format!("/api/v1/dealers/{north_dealer}"),
            None,
        )
        .await;
    assert_eq!(status, 404);

    // filters and search stay inside the scope
    let (_, page) = t
        .api_json(&mm, Method::GET, "/api/v1/dealers?q=D-BJ1", None)
        .await;
    assert_eq!(page["total"], 0);
    let (_, page) = t
        .api_json(
            &mm,
            Method::GET,
            "/api/v1/dealers?tier=A&status=active&limit=1000",
            None,
        )
        .await;
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["tier"] == "A" && d["status"] == "active"));

    // the warehouse has no business with dealers
    let wh = t.token_for("warehouse").await;
    assert_eq!(
        t.api_json(&wh, Method::GET, "/api/v1/dealers", None)
            .await
            .0,
        403
    );

    // a rep adds a prospect: owned by them, at their unit
    let (status, body) = t
        .api_json(
            &rep,
            Method::POST,
            "/api/v1/dealers",
            Some(json!({ "code": "REP-1", "name": "新客户商行" })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["dealer"]["owner_id"], rep_id);
    assert_eq!(body["dealer"]["status"], "prospect");
    // the rep puts it up for evaluation, but opening it is for a manager
    let new_id = body["dealer"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/dealers/{new_id}/transition");
    let (status, _) = t
        .api_json(
            &rep,
            Method::POST,
            &path,
            Some(json!({ "status": "evaluating", "reason": "走访完成" })),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = t
        .api_json(
            &rep,
            Method::POST,
            &path,
            Some(json!({ "status": "active", "reason": "x", "scorecard": all_scores(90) })),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );
    let am = t.token_for("am.sh").await;
    let (status, body) = t
        .api_json(
            &am,
            Method::POST,
            &path,
            Some(json!({ "status": "active", "reason": "评估通过", "scorecard": all_scores(90) })),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("active")),
        "{body}"
    );
    // but not for someone else
    let kam_id = t.person_id("kam.sh").await;
    let (status, body) = t
        .api_json(
            &rep,
            Method::POST,
            "/api/v1/dealers",
            Some(json!({ "code": "REP-2", "name": "另一客户商行", "owner_id": kam_id })),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "owner_id");
    // a market manager cannot place a dealer outside the market
    let (status, body) = t.api_json(&mm,
        Method::POST,
        "/api/v1/dealers",
        Some(json!({ "code": "MM-1", "name": "北方商贸", "node_id": t.node_id("C-BJ1").await, "owner_id": t.person_id("rep.bj1.1").await })),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "node_id");
}

#[tokio::test]
async fn duplicates_are_flagged_and_need_confirmation() {
    let t = TestApp::spawn().await;
    let admin = t.token_for("admin").await;
    let existing = builders::dealer_id(&t, "D-SH1-001").await;
    let licence = {
        let mut conn = t.app.store.read().await.unwrap();
        salesos_store::dealers::get_unscoped(&mut conn, existing)
            .await
            .unwrap()
            .unwrap()
    };
    let before = t.last_audit_id().await;
    let (status, body) = new_dealer(
        &t,
        &admin,
        "DUP-1",
        json!({ "licence_no": licence.licence_no }),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "dealer.possible_duplicate");
    assert_eq!(body["field"], "confirm_duplicate");
    assert!(
        t.audit_since(before).await.is_empty(),
        "a refusal writes nothing"
    );
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM dealers WHERE code = 'DUP-1'")
            .await,
        0
    );

    let (status, body) = new_dealer(
        &t,
        &admin,
        "DUP-1",
        json!({ "licence_no": licence.licence_no, "confirm_duplicate": true }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["duplicates"], json!([existing]));
    let audit = t.audit_since(before).await;
    assert_eq!(
        audit[0].after.as_ref().unwrap()["duplicates"],
        json!([existing])
    );

    // same name in the same city (case-insensitive), different licence
    let (status, body) = new_dealer(
        &t,
        &admin,
        "DUP-2",
        json!({ "name": licence.name, "city": licence.city }),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    // same name in another city is fine
    let (status, body) = new_dealer(
        &t,
        &admin,
        "DUP-3",
        json!({ "name": licence.name, "city": "杭州" }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["duplicates"], json!([]));
    // the code is unique
    let (status, body) = new_dealer(&t, &admin, "DUP-3", json!({ "name": "别的名字" })).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "conflict.duplicate");
}

#[tokio::test]
async fn lifecycle_follows_the_table_with_scorecard_and_report() {
    let t = TestApp::spawn().await;
    let admin = t.token_for("admin").await;
    let (_, body) = new_dealer(&t, &admin, "LC-1", json!({})).await;
    let id = body["dealer"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/dealers/{id}/transition");
    let step = |status: &str, extra: Value| {
        let mut b = json!({ "status": status, "reason": "测试" });
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    // prospect → active skips the evaluation
    let res = t
        .api_client()
        .post(t.url(&path))
        .bearer_auth(&admin)
        .json(&step("active", json!({})))
        .send()
        .await
        .unwrap();
    let p = problem(res).await;
    assert_eq!(
        (p.status, p.code.as_str()),
        (409, "dealer.transition_not_allowed")
    );
    // a reason is required
    let (status, body) = t
        .api_json(
            &admin,
            Method::POST,
            &path,
            Some(json!({ "status": "evaluating", "reason": " " })),
        )
        .await;
    assert_eq!((status, body["field"].as_str()), (422, Some("reason")));
    let (status, body) = t
        .api_json(
            &admin,
            Method::POST,
            &path,
            Some(step("evaluating", json!({}))),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("evaluating")),
        "{body}"
    );
    // opening needs a complete, passing scorecard
    let (status, body) = t
        .api_json(&admin, Method::POST, &path, Some(step("active", json!({}))))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("dealer.scorecard_incomplete"))
    );
    let (status, body) = t
        .api_json(
            &admin,
            Method::POST,
            &path,
            Some(step("active", json!({ "scorecard": all_scores(40) }))),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("dealer.scorecard_failed"))
    );
    let before = t.last_audit_id().await;
    let (status, body) = t
        .api_json(
            &admin,
            Method::POST,
            &path,
            Some(step("active", json!({ "scorecard": all_scores(75) }))),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("active")),
        "{body}"
    );
    assert_eq!(body["score"], 75);
    let audit = t.audit_since(before).await;
    assert_eq!(audit[0].operation, "dealer.transition");
    assert_eq!(audit[0].before.as_ref().unwrap()["status"], "evaluating");
    assert_eq!(audit[0].after.as_ref().unwrap()["status"], "active");
    // suspend and back
    let (status, _) = t
        .api_json(
            &admin,
            Method::POST,
            &path,
            Some(step("suspended", json!({}))),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = t
        .api_json(&admin, Method::POST, &path, Some(step("active", json!({}))))
        .await;
    assert_eq!(status, 200);
    // termination needs the report; nothing is owed yet, so it goes through
    let (status, body) = t
        .api_json(
            &admin,
            Method::POST,
            &path,
            Some(step("terminated", json!({}))),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("termination_report"))
    );
    let (status, body) = t
        .api_json(
            &admin,
            Method::POST,
            &path,
            Some(step(
                "terminated",
                json!({ "termination_report": "连续两季度未进货，合作终止。" }),
            )),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("terminated")),
        "{body}"
    );
    assert!(body["status_reason"].as_str().unwrap().contains("合作终止"));
    // terminated is final
    let (status, body) = t
        .api_json(&admin, Method::POST, &path, Some(step("active", json!({}))))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("dealer.transition_not_allowed"))
    );
    // unknown status
    let (status, body) = t
        .api_json(&admin, Method::POST, &path, Some(step("gone", json!({}))))
        .await;
    assert_eq!((status, body["field"].as_str()), (422, Some("status")));
}

#[tokio::test]
async fn terms_change_goes_through_approval_and_keeps_history() {
    let t = TestApp::spawn().await;
    let director = t.token_for("director").await;
    let desk = t.token_for("desk").await;
    let mm_e = t.token_for("mm.e").await;
    let mm_n = t.token_for("mm.n").await;
    let id = builders::dealer_id(&t, "D-SH1-002").await;
    let path = format!("/api/v1/dealers/{id}/terms");
    let dealer_path = format!("/api/v1/dealers/{id}");
    // reps and billing cannot ask for term changes
    for login in ["rep.sh1.1", "billing"] {
        let token = t.token_for(login).await;
        let (status, _) = t
            .api_json(
                &token,
                Method::POST,
                &path,
                Some(json!({ "credit_limit_fen": 1 })),
            )
            .await;
        assert_eq!(status, 403, "{login}");
    }
    let (_, start) = t.api_json(&director, Method::GET, &dealer_path, None).await;
    let limit = start["dealer"]["credit_limit_fen"].as_i64().unwrap();
    let new_limit = limit + 5_000_000;
    let kam = t.person_id("kam.sh").await;
    let rep = t.person_id("rep.sh1.1").await;

    // the order desk asks: 202 with a pending approval request, the dealer is unchanged
    let before = t.last_audit_id().await;
    let (status, req) = t.api_json(&desk,
        Method::POST,
        &path,
        Some(json!({ "credit_limit_fen": new_limit, "payment_term_days": 90, "owner_id": kam, "valid_from": "2025-03-01" })),
    )
    .await;
    assert_eq!(status, 202, "{req}");
    assert_eq!(req["doc_type"], "dealer_terms");
    assert_eq!(req["status"], "pending");
    assert_eq!(req["dealer_id"], id);
    assert_eq!(req["value"], 5_000_000);
    let approval = req["id"].as_i64().unwrap();
    let ops: Vec<String> = t
        .audit_since(before)
        .await
        .into_iter()
        .map(|a| a.operation)
        .collect();
    assert_eq!(ops, ["approval.request", "dealer.request_terms"]);
    let (_, now) = t.api_json(&director, Method::GET, &dealer_path, None).await;
    assert_eq!(now["dealer"]["credit_limit_fen"], limit);
    assert_eq!(now["dealer"]["owner_id"], rep);
    assert_eq!(now["terms"].as_array().unwrap().len(), 0);

    // it waits in the East market manager's queue; the North one cannot even see it
    let (_, queue) = t
        .api_json(&mm_e, Method::GET, "/api/v1/approvals", None)
        .await;
    assert!(
        queue
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == approval),
        "{queue}"
    );
    let approval_path = format!("/api/v1/approvals/{approval}");
    assert_eq!(
        t.api_json(&mm_n, Method::GET, &approval_path, None).await.0,
        404
    );
    assert_eq!(
        t.api_json(
            &mm_n,
            Method::POST,
            &format!("{approval_path}/approve"),
            Some(json!({}))
        )
        .await
        .0,
        404
    );

    // approval applies the change in the approver's transaction, with the approval's id
    let before = t.last_audit_id().await;
    let (status, decided) = t
        .api_json(
            &mm_e,
            Method::POST,
            &format!("{approval_path}/approve"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["request"]["status"], "approved");
    let audit = t.audit_since(before).await;
    let change = audit
        .iter()
        .find(|a| a.operation == "dealer.change_terms")
        .expect("the change is audited");
    assert_eq!(change.before.as_ref().unwrap()["owner_id"], rep);
    assert_eq!(change.after.as_ref().unwrap()["owner_id"], kam);

    let (_, detail) = t.api_json(&director, Method::GET, &dealer_path, None).await;
    assert_eq!(detail["dealer"]["credit_limit_fen"], new_limit);
    assert_eq!(detail["dealer"]["payment_term_days"], 90);
    assert_eq!(detail["dealer"]["owner_id"], kam);
    let fields: Vec<&str> = detail["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["credit_limit_fen", "payment_term_days", "owner_id"]
    );
    for term in detail["terms"].as_array().unwrap() {
        assert_eq!(term["approval_id"], approval, "{term}");
        assert_eq!(term["changed_by"], t.person_id("mm.e").await);
    }
    assert_eq!(detail["terms"][2]["old_value"], rep.to_string());
    let owners = detail["owners"].as_array().unwrap();
    assert_eq!(owners.len(), 2);
    assert_eq!(owners[0]["owner_id"], rep);
    assert_eq!(owners[0]["valid_to"], "2025-03-01");
    assert_eq!(owners[1]["owner_id"], kam);
    assert!(owners[1]["valid_to"].is_null());
    {
        let mut conn = t.app.store.read().await.unwrap();
        assert_eq!(
            salesos_store::dealers::owner_on(&mut conn, id, "2024-06-01")
                .await
                .unwrap(),
            Some(rep)
        );
        assert_eq!(
            salesos_store::dealers::owner_on(&mut conn, id, "2025-06-01")
                .await
                .unwrap(),
            Some(kam)
        );
        assert!(salesos_store::check::run(&mut conn)
            .await
            .unwrap()
            .is_empty());
    }
    // the rep no longer sees it; the KAM does
    let rep_token = t.token_for("rep.sh1.1").await;
    assert_eq!(
        t.api_json(&rep_token, Method::GET, &dealer_path, None)
            .await
            .0,
        404
    );
    let kam_token = t.token_for("kam.sh").await;
    assert_eq!(
        t.api_json(&kam_token, Method::GET, &dealer_path, None)
            .await
            .0,
        200
    );

    // rejection leaves the dealer unchanged
    let (status, req) = t
        .api_json(
            &mm_e,
            Method::POST,
            &path,
            Some(json!({ "payment_term_days": 60 })),
        )
        .await;
    assert_eq!((status, req["value"].as_i64()), (202, Some(0)), "{req}");
    let rejected = req["id"].as_i64().unwrap();
    let (status, body) = t
        .api_json(
            &mm_e,
            Method::POST,
            &format!("/api/v1/approvals/{rejected}/reject"),
            Some(json!({ "reason": "keep 90 days" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, after) = t.api_json(&director, Method::GET, &dealer_path, None).await;
    assert_eq!(after["dealer"]["payment_term_days"], 90);
    assert_eq!(after["terms"].as_array().unwrap().len(), 3);

    // a large increase goes to the director
    let (status, req) = t
        .api_json(
            &mm_e,
            Method::POST,
            &path,
            Some(json!({ "credit_limit_fen": new_limit + 20_000_000 })),
        )
        .await;
    assert_eq!(status, 202, "{req}");
    let (_, big) = t
        .api_json(
            &director,
            Method::GET,
            &format!("/api/v1/approvals/{}", req["id"]),
            None,
        )
        .await;
    assert_eq!(big["steps"][0]["approver_role"], "director", "{big}");

    // bad input is refused when asking, not when approving
    let (status, body) = t
        .api_json(
            &director,
            Method::POST,
            &path,
            Some(json!({ "owner_id": rep, "valid_from": "2025-01-01" })),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("valid_from")),
        "{body}"
    );
    let (status, body) = t
        .api_json(
            &director,
            Method::POST,
            &path,
            Some(json!({ "payment_term_days": 90 })),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("dealer.terms_unchanged"))
    );
    let (status, body) = t
        .api_json(
            &director,
            Method::POST,
            &path,
            Some(json!({ "payment_term_days": 999 })),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("payment_term_days"))
    );
    // the refused attempts left nothing behind
    let (_, after) = t.api_json(&director, Method::GET, &dealer_path, None).await;
    assert_eq!(after["dealer"]["payment_term_days"], 90);
    assert_eq!(after["terms"].as_array().unwrap().len(), 3);

    // the page: the form says it goes to approval, and the request shows as pending
    let desk_page = t.sign_in_demo("desk").await;
    let html = desk_page
        .get(t.url(&format!("/dealers/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-testid=\"terms-form\""), "{html}");
    let csrf = csrf_in_html(&html).unwrap();
    let res = desk_page
        .post(t.url(&format!("/dealers/{id}/terms")))
        .form(&[("_csrf", csrf), ("payment_term_days", "45".to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let loc = location(&res);
    assert_eq!(loc, format!("/dealers/{id}?notice=terms_requested"));
    let html = desk_page
        .get(t.url(&loc))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("data-testid=\"dealer-term-requests\""),
        "{html}"
    );
    assert!(html.contains("payment_term_days → 45"), "{html}");
    let (_, after) = t.api_json(&director, Method::GET, &dealer_path, None).await;
    assert_eq!(after["dealer"]["payment_term_days"], 90);
}

#[tokio::test]
async fn market_feedback_on_dealers_and_areas_is_scoped() {
    let t = TestApp::spawn().await;
    let rep = t.token_for("rep.sh1.1").await;
    let own = builders::dealer_id(&t, "D-SH1-001").await;
    let before = t.last_audit_id().await;
    let (status, fb) = t
        .api_json(
            &rep,
            Method::POST,
            &format!("/api/v1/dealers/{own}/feedback"),
            Some(json!({ "kind": "competitor", "body": "竞品在本地降价 10%" })),
        )
        .await;
    assert_eq!(status, 201, "{fb}");
    let audit = t.audit_since(before).await;
    assert_eq!(
        (audit[0].operation.as_str(), audit[0].entity.as_str()),
        ("feedback.create", "market_feedback")
    );
    let (_, detail) = t
        .api_json(&rep, Method::GET, &format!("/api/v1/dealers/{own}"), None)
        .await;
    assert_eq!(detail["feedback"][0]["body"], "竞品在本地降价 10%");
    // against an out-of-scope dealer: 404
    let kam_dealer = builders::dealer_id(&t, "D-SH-K1").await;
    let (status, _) = t
        .api_json(
            &rep,
            Method::POST,
            &format!("/api/v1/dealers/{kam_dealer}/feedback"),
            Some(json!({ "kind": "price", "body": "x" })),
        )
        .await;
    assert_eq!(status, 404);
    // area feedback by the area manager
    let am = t.token_for("am.sh").await;
    let (status, _) = t
        .api_json(
            &am,
            Method::POST,
            "/api/v1/feedback",
            Some(json!({ "kind": "complaint", "body": "物流延误投诉增多" })),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = t
        .api_json(
            &am,
            Method::POST,
            "/api/v1/feedback",
            Some(json!({ "kind": "gossip", "body": "x" })),
        )
        .await;
    assert_eq!((status, body["field"].as_str()), (422, Some("kind")));
    // the market manager of East sees both; North's sees neither
    let mm = t.token_for("mm.e").await;
    let (_, list) = t.api_json(&mm, Method::GET, "/api/v1/feedback", None).await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    let mm_n = t.token_for("mm.n").await;
    let (_, list) = t
        .api_json(&mm_n, Method::GET, "/api/v1/feedback", None)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 0, "{list}");
    // the page lists it for the market manager, and files area feedback
    let page = t.sign_in_demo("mm.e").await;
    let html = page
        .get(t.url("/feedback"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("竞品在本地降价 10%") && html.contains("物流延误投诉增多"),
        "{html}"
    );
    let csrf = csrf_in_html(&html).unwrap();
    let res = page
        .post(t.url("/feedback"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("kind", "price"),
            ("body", "华东区价格战"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = page
        .get(t.url("/feedback"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("华东区价格战"));
    let html = t
        .sign_in_demo("mm.n")
        .await
        .get(t.url("/feedback"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("华东区价格战") && !html.contains("物流延误投诉增多"));
    // per area
    let a_js = t.node_id("A-JS").await;
    let (_, list) = t
        .api_json(
            &mm,
            Method::GET,
            &format!("/api/v1/feedback?node_id={a_js}"),
            None,
        )
        .await;
    assert_eq!(list.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn bad_input_is_a_problem_with_a_field() {
    let t = TestApp::spawn().await;
    let admin = t.token_for("admin").await;
    for (extra, field) in [
        (json!({ "code": "bad code!" }), "code"),
        (json!({ "name": "" }), "name"),
        (json!({ "tier": "Z" }), "tier"),
        (json!({ "payment_term_days": -1 }), "payment_term_days"),
        (json!({ "credit_limit_fen": -5 }), "credit_limit_fen"),
        (json!({ "owner_id": 987_654_321 }), "owner_id"),
        (json!({ "node_id": 987_654_321 }), "node_id"),
        (json!({ "price_list_id": 987_654_321 }), "price_list_id"),
    ] {
        let (status, body) = new_dealer(&t, &admin, "BAD-1", extra.clone()).await;
        assert_eq!(status, 422, "{extra}: {body}");
        assert_eq!(body["field"], field, "{extra}: {body}");
    }
    let res = t
        .api_client()
        .post(t.url("/api/v1/dealers"))
        .bearer_auth(&admin)
        .json(&json!({ "code": "X" }))
        .send()
        .await
        .unwrap();
    let p = problem(res).await;
    assert_eq!(p.status, 422);
    assert_eq!(p.field.as_deref(), Some("name"));
    let res = t
        .api_client()
        .get(t.url("/api/v1/dealers/abc"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(res).await.status, 400);
}

#[tokio::test]
async fn pages_list_show_and_warn_about_duplicates() {
    let t = TestApp::spawn().await;
    let mm = t.sign_in_demo("mm.e").await;
    let html = mm
        .get(t.url("/dealers"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("D-SH1-001"), "{html}");
    assert!(!html.contains("D-BJ1-001"));
    let id = builders::dealer_id(&t, "D-SH1-001").await;
    let res = mm
        .get(t.url(&format!("/dealers/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("data-testid=\"dealer-page\""));
    let north = builders::dealer_id(&t, "D-BJ1-001").await;
    assert_eq!(
        mm.get(t.url(&format!("/dealers/{north}")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // adding a dealer that looks like an existing one shows the warning; confirming adds it
    let admin = t.sign_in_demo("admin").await;
    let html = admin
        .get(t.url("/dealers"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_in_html(&html).unwrap();
    let existing = {
        let mut conn = t.app.store.read().await.unwrap();
        salesos_store::dealers::get_unscoped(&mut conn, id)
            .await
            .unwrap()
            .unwrap()
    };
    let mut form = vec![
        ("_csrf", csrf.clone()),
        ("code", "PG-1".to_string()),
        ("name", existing.name.clone()),
        ("city", existing.city.clone().unwrap()),
        ("tier", "B".to_string()),
        ("node_id", t.node_id("C-SH1").await.to_string()),
        ("owner_id", t.person_id("rep.sh1.1").await.to_string()),
    ];
    let res = admin
        .post(t.url("/dealers"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let html = res.text().await.unwrap();
    assert!(html.contains("data-testid=\"duplicate-warning\""), "{html}");
    assert!(html.contains(&format!("/dealers/{id}")));
    form.push(("confirm_duplicate", "1".to_string()));
    let res = admin
        .post(t.url("/dealers"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let loc = location(&res);
    assert!(loc.starts_with("/dealers/"), "{loc}");
    let html = admin
        .get(t.url(&loc))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("PG-1"));

    // a transition through the page
    let new_id: i64 = loc
        .trim_start_matches("/dealers/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let res = admin
        .post(t.url(&format!("/dealers/{new_id}/transition")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("status", "active"),
            ("reason", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        409,
        "prospect → active is refused on the page too"
    );
}
