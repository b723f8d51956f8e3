//! The audit trail through the API: every write leaves exactly one entry (who, when, from where,
//! which request, what, before/after); refused requests leave none and change nothing; the
//! database itself refuses to change or remove entries; the history is shown to those allowed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::Method;
use salesos_store::sql::Sql;
use salesos_test_support::{problem, AuditRow, TestApp};
use serde_json::{json, Value};

struct Caller {
    token: String,
    id: i64,
}

async fn caller(t: &TestApp, login: &str) -> Caller {
    Caller {
        token: t.token_for(login).await,
        id: t.person_id(login).await,
    }
}

/// Sends one API request with a known request id and returns (status, JSON body, new audit rows).
async fn call(
    t: &TestApp,
    who: &Caller,
    method: Method,
    path: &str,
    body: Option<Value>,
    rid: &str,
) -> (u16, Value, Vec<AuditRow>) {
    let before = t.last_audit_id().await;
    let mut req = t
        .api_client()
        .request(method.clone(), t.url(path))
        .bearer_auth(&who.token)
        .header("x-request-id", rid);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    assert_eq!(
        res.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some(rid),
        "{method} {path}: the response carries the request id"
    );
    let text = res.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, json, t.audit_since(before).await)
}

/// A write that must succeed with `status` and leave exactly one audit entry, returned.
async fn write(
    t: &TestApp,
    who: &Caller,
    method: Method,
    path: &str,
    body: Option<Value>,
    status: u16,
    rid: &str,
) -> (Value, AuditRow) {
    let (got, json, rows) = call(t, who, method.clone(), path, body, rid).await;
    assert_eq!(got, status, "{method} {path}: {json}");
    assert_eq!(
        rows.len(),
        1,
        "{method} {path} leaves exactly one audit entry: {rows:#?}"
    );
    let row = rows.into_iter().next().unwrap();
    assert_eq!(
        row.person_id,
        Some(who.id),
        "{method} {path}: recorded as the caller's"
    );
    assert_eq!(
        row.source, "127.0.0.1",
        "{method} {path}: the source address"
    );
    assert_eq!(row.request_id, rid, "{method} {path}: the request id");
    let now = chrono_now_micros();
    assert!(
        (now - row.at).abs() < 60_000_000,
        "{method} {path}: the time is now ({} vs {now})",
        row.at
    );
    (json, row)
}

fn chrono_now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros()
        .try_into()
        .unwrap()
}

fn assert_entry(row: &AuditRow, operation: &str, entity: &str, entity_id: i64) {
    assert_eq!(
        (row.operation.as_str(), row.entity.as_str(), row.entity_id),
        (operation, entity, entity_id),
        "{row:#?}"
    );
}

/// No secret may ever reach the audit trail.
fn assert_no_secrets(row: &AuditRow, secrets: &[&str]) {
    let text = format!("{:?} {:?}", row.before, row.after);
    for s in secrets.iter().chain(["password_hash", "$argon2"].iter()) {
        assert!(
            !text.contains(s),
            "audit entry {} contains {s:?}: {text}",
            row.operation
        );
    }
}

#[tokio::test]
async fn each_api_write_leaves_exactly_one_audit_entry() {
    let t = TestApp::spawn().await;
    let admin = caller(&t, "admin").await;
    let c_sh1 = t.node_id("C-SH1").await;
    let c_js1 = t.node_id("C-JS1").await;
    let a_sh = t.node_id("A-SH").await;
    let a_js = t.node_id("A-JS").await;

    // Create a person.
    let (p, row) = write(
        &t,
        &admin,
        Method::POST,
        "/api/v1/people",
        Some(json!({
            "login": "audit.one", "display_name": "Audit One", "email": "one@example.com",
            "password": "Audit-Password-1",
            "position": { "node_id": c_sh1, "role": "sales_rep", "effective_from": "2024-01-01" },
        })),
        201,
        "rid-create",
    )
    .await;
    let id = p["id"].as_i64().unwrap();
    assert_entry(&row, "person.create", "person", id);
    assert_eq!(row.before, None);
    let after = row.after.clone().unwrap();
    assert_eq!(after["login"], "audit.one");
    assert_eq!(after["display_name"], "Audit One");
    assert_eq!(after["node_id"], c_sh1);
    assert_eq!(after["role"], "sales_rep");
    assert_eq!(after["active"], true);
    assert_no_secrets(&row, &["Audit-Password-1"]);
    assert_eq!(
        row.scope_path.as_deref(),
        Some(t.node("C-SH1").await.path.as_str())
    );

    // Change the profile.
    let path = format!("/api/v1/people/{id}");
    let (_, row) = write(
        &t,
        &admin,
        Method::PATCH,
        &path,
        Some(json!({ "display_name": "Audit Uno", "email": "one@example.com" })),
        200,
        "rid-patch",
    )
    .await;
    assert_entry(&row, "person.update", "person", id);
    assert_eq!(row.before.as_ref().unwrap()["display_name"], "Audit One");
    assert_eq!(row.after.as_ref().unwrap()["display_name"], "Audit Uno");
    assert_eq!(row.after.as_ref().unwrap()["email"], "one@example.com");

    // A change that changes nothing records nothing.
    let (status, _, rows) = call(
        &t,
        &admin,
        Method::PATCH,
        &path,
        Some(json!({ "display_name": "Audit Uno", "email": "one@example.com" })),
        "rid-noop",
    )
    .await;
    assert_eq!(status, 200);
    assert!(rows.is_empty(), "a no-op write leaves no entry: {rows:#?}");

    // Move.
    let (_, row) = write(
        &t,
        &admin,
        Method::POST,
        &format!("{path}/move"),
        Some(json!({ "node_id": c_js1, "role": "kam" })),
        200,
        "rid-move",
    )
    .await;
    assert_entry(&row, "person.move", "person", id);
    assert_eq!(row.before.as_ref().unwrap()["node_id"], c_sh1);
    assert_eq!(row.before.as_ref().unwrap()["role"], "sales_rep");
    assert_eq!(row.after.as_ref().unwrap()["node_id"], c_js1);
    assert_eq!(row.after.as_ref().unwrap()["role"], "kam");

    // A token for them, then revoked.
    let (tok, row) = write(
        &t,
        &admin,
        Method::POST,
        &format!("{path}/tokens"),
        Some(json!({ "name": "audit token" })),
        201,
        "rid-token",
    )
    .await;
    let token_id = tok["details"]["id"].as_i64().unwrap();
    let secret = tok["token"].as_str().unwrap().to_string();
    assert_entry(&row, "token.create", "person", id);
    assert_eq!(row.after.as_ref().unwrap()["token_id"], token_id);
    assert_eq!(row.after.as_ref().unwrap()["name"], "audit token");
    assert_no_secrets(&row, &[&secret]);
    let (_, row) = write(
        &t,
        &admin,
        Method::DELETE,
        &format!("/api/v1/tokens/{token_id}"),
        None,
        200,
        "rid-revoke",
    )
    .await;
    assert_entry(&row, "token.revoke", "person", id);
    assert_eq!(row.before.as_ref().unwrap()["revoked_at"], Value::Null);
    assert!(row.after.as_ref().unwrap()["revoked_at"].is_i64());
    // Revoking again changes nothing and records nothing.
    let (status, _, rows) = call(
        &t,
        &admin,
        Method::DELETE,
        &format!("/api/v1/tokens/{token_id}"),
        None,
        "rid-revoke-again",
    )
    .await;
    assert_eq!(status, 200);
    assert!(rows.is_empty(), "{rows:#?}");

    // Password reset: recorded, without the password.
    let (_, row) = write(
        &t,
        &admin,
        Method::POST,
        &format!("{path}/password-reset"),
        Some(json!({ "password": "Audit-Reset-12345" })),
        200,
        "rid-reset",
    )
    .await;
    assert_entry(&row, "person.reset_password", "person", id);
    assert_no_secrets(&row, &["Audit-Reset-12345"]);

    // Deactivate, reactivate.
    let (_, row) = write(
        &t,
        &admin,
        Method::POST,
        &format!("{path}/deactivate"),
        None,
        200,
        "rid-deactivate",
    )
    .await;
    assert_entry(&row, "person.deactivate", "person", id);
    assert_eq!(row.before.as_ref().unwrap()["active"], true);
    assert_eq!(row.after.as_ref().unwrap()["active"], false);
    let (_, row) = write(
        &t,
        &admin,
        Method::POST,
        &format!("{path}/reactivate"),
        Some(json!({ "node_id": c_sh1, "role": "sales_rep" })),
        200,
        "rid-reactivate",
    )
    .await;
    assert_entry(&row, "person.reactivate", "person", id);
    assert_eq!(row.before.as_ref().unwrap()["active"], false);
    assert_eq!(row.after.as_ref().unwrap()["active"], true);
    assert_eq!(row.after.as_ref().unwrap()["node_id"], c_sh1);

    // Units: create, rename, move.
    let (n, row) = write(&t, &admin, Method::POST, "/api/v1/org-nodes", Some(json!({
        "parent_id": a_sh, "kind": "city", "code": "AUD-1", "name_zh": "审计城", "name_en": "Audit City",
    })), 201, "rid-node-create").await;
    let node = n["id"].as_i64().unwrap();
    assert_entry(&row, "org_node.create", "org_node", node);
    assert_eq!(row.before, None);
    assert_eq!(row.after.as_ref().unwrap()["code"], "AUD-1");
    assert_eq!(row.after.as_ref().unwrap()["parent_id"], a_sh);
    let npath = format!("/api/v1/org-nodes/{node}");
    let (_, row) = write(
        &t,
        &admin,
        Method::PATCH,
        &npath,
        Some(json!({ "name_zh": "审计城二", "name_en": "Audit City 2" })),
        200,
        "rid-node-update",
    )
    .await;
    assert_entry(&row, "org_node.update", "org_node", node);
    assert_eq!(row.before.as_ref().unwrap()["name_en"], "Audit City");
    assert_eq!(row.after.as_ref().unwrap()["name_en"], "Audit City 2");
    assert_eq!(row.after.as_ref().unwrap()["name_zh"], "审计城二");
    let (_, row) = write(
        &t,
        &admin,
        Method::POST,
        &format!("{npath}/move"),
        Some(json!({ "parent_id": a_js })),
        200,
        "rid-node-move",
    )
    .await;
    assert_entry(&row, "org_node.move", "org_node", node);
    assert_eq!(row.before.as_ref().unwrap()["parent_id"], a_sh);
    assert_eq!(row.after.as_ref().unwrap()["parent_id"], a_js);
    assert_ne!(
        row.before.as_ref().unwrap()["path"],
        row.after.as_ref().unwrap()["path"]
    );

    // One's own language and password, as someone else than the administrator.
    let mm = caller(&t, "mm.e").await;
    let (_, row) = write(
        &t,
        &mm,
        Method::PUT,
        "/api/v1/me/locale",
        Some(json!({ "locale": "en" })),
        204,
        "rid-locale",
    )
    .await;
    assert_entry(&row, "person.set_locale", "person", mm.id);
    assert_eq!(row.before, Some(json!({ "locale": "zh-CN" })));
    assert_eq!(row.after, Some(json!({ "locale": "en" })));
    let rep = caller(&t, "rep.sh1.1").await;
    let (_, row) = write(
        &t,
        &rep,
        Method::POST,
        "/api/v1/me/password",
        Some(json!({ "current_password": "salesos-demo", "new_password": "Rep-New-Password-9" })),
        204,
        "rid-password",
    )
    .await;
    assert_entry(&row, "person.change_password", "person", rep.id);
    assert_no_secrets(&row, &["salesos-demo", "Rep-New-Password-9"]);

    // The record's history, as the API shows it, tells the whole story in order.
    let (status, history, _) = call(
        &t,
        &admin,
        Method::GET,
        &format!("/api/v1/audit/person/{id}"),
        None,
        "rid-history",
    )
    .await;
    assert_eq!(status, 200);
    let ops: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["operation"].as_str().unwrap())
        .collect();
    assert_eq!(
        ops,
        [
            "person.create",
            "person.update",
            "person.move",
            "token.create",
            "token.revoke",
            "person.reset_password",
            "person.deactivate",
            "person.reactivate"
        ]
    );
    let first = &history[0];
    assert_eq!(first["person_id"], admin.id);
    assert_eq!(first["person_name"], t.person("admin").await.display_name);
    assert_eq!(first["source"], "127.0.0.1");
    assert_eq!(first["request_id"], "rid-create");
    assert_eq!(first["after"]["login"], "audit.one");
    assert_eq!(history[1]["before"]["display_name"], "Audit One");
    assert_eq!(history[1]["after"]["display_name"], "Audit Uno");
}

/// A request that must be refused: caller, method, path, body, status, code ("" = any).
type Refusal<'a> = (&'a Caller, Method, String, Option<Value>, u16, &'static str);

/// Everything an API client can see, to compare before and after a refused request.
async fn everything(t: &TestApp, admin: &Caller) -> Value {
    let get = |path: &'static str| {
        let token = admin.token.clone();
        async move {
            t.api_client()
                .get(t.url(path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let mut counts = serde_json::Map::new();
    for table in [
        "people",
        "org_nodes",
        "org_node_links",
        "assignments",
        "api_tokens",
        "audit_log",
    ] {
        counts.insert(
            table.into(),
            json!(t.count(&format!("SELECT COUNT(*) AS n FROM {table}")).await),
        );
    }
    let mut people = get("/api/v1/people?include_inactive=true&limit=1000").await;
    let mut nodes = get("/api/v1/org-nodes").await;
    let hashes = t
        .count("SELECT COUNT(DISTINCT password_hash) AS n FROM people")
        .await;
    let locales = t
        .count("SELECT COUNT(*) AS n FROM people WHERE locale = 'en'")
        .await;
    json!({ "counts": counts, "people": people.take(), "nodes": nodes.take(), "hashes": hashes, "locales": locales })
}

#[tokio::test]
async fn refused_requests_leave_no_entry_and_change_nothing() {
    let t = TestApp::spawn().await;
    let admin = caller(&t, "admin").await;
    let mm = caller(&t, "mm.e").await;
    let rep = caller(&t, "rep.sh1.1").await;
    let am_sh = t.person_id("am.sh").await;
    let hq = t.node_id("HQ").await;
    let a_sh = t.node_id("A-SH").await;
    let m_e = t.node_id("M-E").await;
    let c_sh1 = t.node_id("C-SH1").await;
    const MISSING: i64 = 987_654_321;

    let cases: Vec<Refusal> = vec![
        (
            &admin,
            Method::PATCH,
            format!("/api/v1/people/{am_sh}"),
            Some(json!({ "display_name": "   " })),
            422,
            "person.name_invalid",
        ),
        (
            &admin,
            Method::PATCH,
            format!("/api/v1/people/{am_sh}"),
            Some(json!({ "display_name": "Fine", "email": "no-at-sign" })),
            422,
            "",
        ),
        (
            &admin,
            Method::PATCH,
            format!("/api/v1/people/{MISSING}"),
            Some(json!({ "display_name": "Ghost" })),
            404,
            "not_found",
        ),
        (
            &admin,
            Method::POST,
            "/api/v1/people".into(),
            Some(
                json!({ "login": "am.sh", "display_name": "Dup", "password": "Dup-Password-123", "position": { "node_id": c_sh1, "role": "sales_rep" } }),
            ),
            409,
            "conflict.duplicate",
        ),
        (
            &admin,
            Method::POST,
            "/api/v1/people".into(),
            Some(
                json!({ "login": "new.person", "display_name": "New", "password": "short", "position": { "node_id": c_sh1, "role": "sales_rep" } }),
            ),
            422,
            "password.too_short",
        ),
        (
            &admin,
            Method::POST,
            "/api/v1/people".into(),
            Some(
                json!({ "login": "new.person", "display_name": "New", "password": "Long-Enough-123", "position": { "node_id": c_sh1, "role": "director" } }),
            ),
            422,
            "position.wrong_node_kind",
        ),
        (
            &admin,
            Method::POST,
            "/api/v1/people".into(),
            Some(
                json!({ "login": "new.person", "display_name": "New", "password": "Long-Enough-123", "position": { "node_id": MISSING, "role": "sales_rep" } }),
            ),
            422,
            "position.node_unknown",
        ),
        (
            &admin,
            Method::POST,
            format!("/api/v1/people/{am_sh}/move"),
            Some(json!({ "node_id": MISSING, "role": "area_manager" })),
            422,
            "position.node_unknown",
        ),
        (
            &admin,
            Method::POST,
            format!("/api/v1/people/{am_sh}/move"),
            Some(json!({ "node_id": c_sh1, "role": "area_manager" })),
            422,
            "position.wrong_node_kind",
        ),
        (
            &admin,
            Method::POST,
            format!("/api/v1/people/{am_sh}/move"),
            Some(
                json!({ "node_id": a_sh, "role": "area_manager", "effective_from": "2020-01-01" }),
            ),
            422,
            "",
        ),
        (
            &admin,
            Method::POST,
            format!("/api/v1/people/{am_sh}/reactivate"),
            Some(json!({ "node_id": a_sh, "role": "area_manager" })),
            409,
            "person.already_active",
        ),
        (
            &admin,
            Method::POST,
            format!("/api/v1/people/{}/deactivate", admin.id),
            None,
            409,
            "person.cannot_deactivate_self",
        ),
        (
            &admin,
            Method::POST,
            format!("/api/v1/people/{MISSING}/deactivate"),
            None,
            404,
            "not_found",
        ),
        (
            &admin,
            Method::POST,
            format!("/api/v1/people/{am_sh}/password-reset"),
            Some(json!({ "password": "am.sh-is-in-here" })),
            422,
            "password.contains_login",
        ),
        (
            &admin,
            Method::POST,
            format!("/api/v1/people/{am_sh}/tokens"),
            Some(json!({ "name": "" })),
            422,
            "token.name_invalid",
        ),
        (
            &admin,
            Method::DELETE,
            format!("/api/v1/tokens/{MISSING}"),
            None,
            404,
            "not_found",
        ),
        (
            &admin,
            Method::POST,
            "/api/v1/org-nodes".into(),
            Some(
                json!({ "parent_id": a_sh, "kind": "city", "code": "A-SH", "name_zh": "重复", "name_en": "Dup" }),
            ),
            409,
            "conflict.duplicate",
        ),
        (
            &admin,
            Method::POST,
            "/api/v1/org-nodes".into(),
            Some(
                json!({ "parent_id": a_sh, "kind": "market", "code": "BAD-KIND", "name_zh": "错", "name_en": "Wrong" }),
            ),
            422,
            "",
        ),
        (
            &admin,
            Method::PATCH,
            format!("/api/v1/org-nodes/{hq}"),
            Some(json!({ "name_zh": "总部", "name_en": "HQ", "active": false })),
            409,
            "org.root_must_stay_active",
        ),
        (
            &admin,
            Method::PATCH,
            format!("/api/v1/org-nodes/{a_sh}"),
            Some(json!({ "name_zh": "", "name_en": "x" })),
            422,
            "org.name_invalid",
        ),
        (
            &admin,
            Method::POST,
            format!("/api/v1/org-nodes/{a_sh}/move"),
            Some(json!({ "parent_id": m_e })),
            422,
            "org.move_same_parent",
        ),
        (
            &admin,
            Method::POST,
            format!("/api/v1/org-nodes/{m_e}/move"),
            Some(json!({ "parent_id": a_sh })),
            422,
            "",
        ),
        (
            &mm,
            Method::PATCH,
            format!("/api/v1/people/{am_sh}"),
            Some(json!({ "display_name": "Not allowed" })),
            403,
            "forbidden",
        ),
        (
            &mm,
            Method::POST,
            format!("/api/v1/org-nodes/{a_sh}/move"),
            Some(json!({ "parent_id": m_e })),
            403,
            "forbidden",
        ),
        (
            &rep,
            Method::PUT,
            "/api/v1/me/locale".into(),
            Some(json!({ "locale": "fr" })),
            422,
            "locale.unknown",
        ),
        (
            &rep,
            Method::POST,
            "/api/v1/me/password".into(),
            Some(
                json!({ "current_password": "wrong-one-123", "new_password": "Whatever-New-123" }),
            ),
            422,
            "password.current_wrong",
        ),
        (
            &rep,
            Method::POST,
            "/api/v1/me/password".into(),
            Some(json!({ "current_password": "salesos-demo", "new_password": "short" })),
            422,
            "password.too_short",
        ),
        (
            &rep,
            Method::POST,
            format!("/api/v1/people/{am_sh}/tokens"),
            Some(json!({ "name": "not mine" })),
            403,
            "forbidden",
        ),
    ];
    for (who, method, path, body, status, code) in cases {
        let before = everything(&t, &admin).await;
        let audit_before = t.last_audit_id().await;
        let mut req = t
            .api_client()
            .request(method.clone(), t.url(&path))
            .bearer_auth(&who.token);
        if let Some(b) = &body {
            req = req.json(b);
        }
        let p = problem(req.send().await.unwrap()).await;
        assert_eq!(p.status, status, "{method} {path} {body:?}: {:?}", p.body);
        if !code.is_empty() {
            assert_eq!(p.code, code, "{method} {path} {body:?}");
        }
        let rows = t.audit_since(audit_before).await;
        assert!(
            rows.is_empty(),
            "{method} {path} was refused but wrote {rows:#?}"
        );
        let after = everything(&t, &admin).await;
        assert_eq!(
            before, after,
            "{method} {path} was refused but changed data"
        );
    }
}

async fn must_refuse(t: &TestApp, statement: &str) {
    let mut tx = t.app.store.begin().await.unwrap();
    let result = Sql::new(statement).execute(tx.conn()).await;
    let _ = tx.rollback().await;
    let err = result.expect_err(statement);
    assert!(
        err.to_string().contains("append-only"),
        "{statement} failed for another reason: {err}"
    );
}

#[tokio::test]
async fn the_database_refuses_to_change_or_remove_audit_entries() {
    let t = TestApp::spawn().await;
    let count = t.count("SELECT COUNT(*) AS n FROM audit_log").await;
    assert!(count > 0, "the demo company's creation is recorded");
    must_refuse(&t, "UPDATE audit_log SET source = 'forged'").await;
    must_refuse(&t, "UPDATE audit_log SET after_json = NULL WHERE id = 1").await;
    must_refuse(&t, "DELETE FROM audit_log").await;
    must_refuse(&t, "DELETE FROM audit_log WHERE id = 1").await;
    if t.backend() == salesos_store::Backend::Postgres {
        must_refuse(&t, "TRUNCATE audit_log").await;
    }
    assert_eq!(t.count("SELECT COUNT(*) AS n FROM audit_log").await, count);
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM audit_log WHERE source = 'forged'")
            .await,
        0
    );
    // Appending still works.
    let mm = caller(&t, "mm.e").await;
    let (status, _, rows) = call(
        &t,
        &mm,
        Method::PUT,
        "/api/v1/me/locale",
        Some(json!({ "locale": "en" })),
        "rid-append",
    )
    .await;
    assert_eq!((status, rows.len()), (204, 1));
}

#[tokio::test]
async fn a_record_history_is_shown_only_to_those_allowed() {
    let t = TestApp::spawn().await;
    let admin = caller(&t, "admin").await;
    let am_sh = t.person_id("am.sh").await;
    let a_sh = t.node_id("A-SH").await;
    let (_, _row) = write(
        &t,
        &admin,
        Method::PATCH,
        &format!("/api/v1/people/{am_sh}"),
        Some(json!({ "display_name": "Shanghai Lead" })),
        200,
        "rid-h1",
    )
    .await;

    for path in [
        format!("/api/v1/audit/person/{am_sh}"),
        format!("/api/v1/audit/org_node/{a_sh}"),
    ] {
        // The administrator, the director, the market and area managers above it see it.
        for login in ["admin", "director", "mm.e", "am.sh"] {
            let who = caller(&t, login).await;
            let (status, history, _) = call(&t, &who, Method::GET, &path, None, "rid-h").await;
            assert_eq!(status, 200, "{login} {path}");
            let entries = history.as_array().unwrap();
            assert_eq!(entries[0]["operation"], "demo.create", "{login} {path}");
            assert_eq!(entries[0]["source"], "demo");
        }
        // A manager of another market: as if it did not exist.
        let north = caller(&t, "mm.n").await;
        let (status, body, _) = call(&t, &north, Method::GET, &path, None, "rid-h").await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("not_found")),
            "mm.n {path}"
        );
        // Roles without the right to read history.
        for login in ["rep.sh1.1", "kam.sh", "desk", "finance"] {
            let who = caller(&t, login).await;
            let (status, body, _) = call(&t, &who, Method::GET, &path, None, "rid-h").await;
            assert_eq!(
                (status, body["code"].as_str()),
                (403, Some("forbidden")),
                "{login} {path}"
            );
        }
    }
    let (_, history, _) = call(
        &t,
        &admin,
        Method::GET,
        &format!("/api/v1/audit/person/{am_sh}"),
        None,
        "rid-h",
    )
    .await;
    // (the callers above made themselves tokens, which is recorded too)
    let last = history
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["operation"] == "person.update")
        .expect("the change is in the history")
        .clone();
    assert_eq!(last["person_name"], t.person("admin").await.display_name);
    assert_eq!(last["source"], "127.0.0.1");
    assert_eq!(last["request_id"], "rid-h1");
    assert_ne!(last["before"]["display_name"], "Shanghai Lead");
    assert_eq!(last["after"]["display_name"], "Shanghai Lead");

    // The same on the history page.
    for (login, status) in [
        ("admin", 200),
        ("mm.e", 200),
        ("mm.n", 404),
        ("rep.sh1.1", 403),
    ] {
        let c = t.sign_in_demo(login).await;
        let res = c
            .get(t.url(&format!("/audit/person/{am_sh}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{login} on the history page");
        if status == 200 {
            let html = res.text().await.unwrap();
            assert!(
                html.contains("Shanghai Lead"),
                "the page shows the values after the change"
            );
        }
    }
}

/// Dealer histories follow the dealer's scope like every other record's.
#[tokio::test]
async fn dealer_history_is_scoped() {
    let t = TestApp::spawn().await;
    let east = t.token_for("mm.e").await;
    let north = t.token_for("mm.n").await;
    let admin = t.token_for("admin").await;
    let client = t.api_client();
    let list: Value = client
        .get(t.url("/api/v1/dealers?limit=1"))
        .bearer_auth(&east)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_i64().expect("an East dealer");
    let path = format!("/api/v1/audit/dealer/{id}");
    let res = client
        .get(t.url(&path))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let entries: Value = res.json().await.unwrap();
    let entries = entries.as_array().expect("a list");
    assert!(
        !entries.is_empty(),
        "the demo's creation of the dealer is in its history"
    );
    assert!(entries
        .iter()
        .all(|e| e["entity"] == "dealer" && e["entity_id"] == id));
    let res = client
        .get(t.url(&path))
        .bearer_auth(&east)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        200,
        "the East market manager sees an East dealer's history"
    );
    let res = client
        .get(t.url(&path))
        .bearer_auth(&north)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        404,
        "the North market manager does not even learn it exists"
    );
}
