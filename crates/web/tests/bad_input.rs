//! Bad input to the API: always a 4xx problem document with a stable code (and the field at
//! fault where there is one), never a 5xx, never a partial write.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_test_support::{html_escape, problem, ProblemDoc, TestApp};
use serde_json::{json, Value};

/// Counts of every table an API write could touch.
async fn footprint(t: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "people",
        "assignments",
        "org_nodes",
        "org_node_links",
        "api_tokens",
        "audit_log",
    ] {
        out.push(t.count(&format!("SELECT COUNT(*) AS n FROM {table}")).await);
    }
    out
}

struct Api<'a> {
    t: &'a TestApp,
    token: String,
}

impl Api<'_> {
    async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let mut req = self
            .t
            .api_client()
            .request(method, self.t.url(path))
            .bearer_auth(&self.token);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        req.body(body).send().await.unwrap()
    }

    /// Sends a bad request and checks: the expected status and code, a problem document, and
    /// that nothing was stored.
    async fn refused(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
        status: u16,
        code: &str,
    ) -> ProblemDoc {
        let before = footprint(self.t).await;
        let res = self
            .raw(method.clone(), path, Some("application/json"), body)
            .await;
        let p = problem(res).await;
        assert_eq!(
            (p.status, p.code.as_str()),
            (status, code),
            "{method} {path}: {:?}",
            p.body
        );
        assert_eq!(
            footprint(self.t).await,
            before,
            "{method} {path}: nothing may be stored"
        );
        p
    }
}

fn person(node_id: Value) -> Value {
    json!({
        "login": "bad.input", "display_name": "Bad Input", "password": "Bad-Input-Password-1",
        "position": { "node_id": node_id, "role": "sales_rep" },
    })
}

#[tokio::test]
async fn malformed_bodies_are_400_or_422_problems() {
    let t = TestApp::spawn().await;
    let api = Api {
        t: &t,
        token: t.token_for("admin").await,
    };
    let post = reqwest::Method::POST;
    let people = "/api/v1/people";

    // Not JSON at all, or cut short.
    api.refused(
        post.clone(),
        people,
        b"{\"login\": ".to_vec(),
        400,
        "request.invalid_json",
    )
    .await;
    api.refused(
        post.clone(),
        people,
        b"login=x&password=y".to_vec(),
        400,
        "request.invalid_json",
    )
    .await;
    api.refused(
        post.clone(),
        people,
        Vec::new(),
        400,
        "request.invalid_json",
    )
    .await;
    // Not UTF-8.
    api.refused(
        post.clone(),
        people,
        vec![0xff, 0xfe, 0x00, 0x7b],
        400,
        "request.invalid_json",
    )
    .await;
    let mut bad_string = b"{\"login\": \"a".to_vec();
    bad_string.extend([0xc3, 0x28]);
    bad_string.extend(b"\", \"display_name\": \"x\"}");
    let p = api
        .refused(
            post.clone(),
            people,
            bad_string,
            400,
            "request.invalid_json",
        )
        .await;
    assert!(p.detail.len() < 2000);
    // Nested far beyond reason: refused early (by shape or by serde_json's recursion limit),
    // without exhausting the server's stack.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_field = format!(
        "{{\"login\": {}1{}}}",
        "{\"a\":".repeat(5_000),
        "}".repeat(5_000)
    );
    let deep_pos = format!(
        "{{\"position\": {}1{}}}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    for body in [deep, deep_field, deep_pos] {
        let before = footprint(&t).await;
        let p = problem(
            api.raw(
                post.clone(),
                people,
                Some("application/json"),
                body.into_bytes(),
            )
            .await,
        )
        .await;
        assert!(
            matches!(
                (p.status, p.code.as_str()),
                (400, "request.invalid_json") | (422, "request.invalid_field")
            ),
            "{:?}",
            p.body
        );
        assert_eq!(footprint(&t).await, before);
    }
    let res = api
        .raw(reqwest::Method::GET, "/api/v1/me", None, Vec::new())
        .await;
    assert_eq!(res.status(), 200, "the server is still there");

    // Well-formed JSON of the wrong shape: the field is named.
    let c_sh1 = t.node_id("C-SH1").await;
    let mut wrong = person(json!(c_sh1));
    wrong["login"] = json!(5);
    let p = api
        .refused(
            post.clone(),
            people,
            serde_json::to_vec(&wrong).unwrap(),
            422,
            "request.invalid_field",
        )
        .await;
    assert_eq!(p.field.as_deref(), Some("login"));
    let p = api
        .refused(
            post.clone(),
            people,
            serde_json::to_vec(&person(json!("x"))).unwrap(),
            422,
            "request.invalid_field",
        )
        .await;
    assert_eq!(p.field.as_deref(), Some("position.node_id"));
    let p = api
        .refused(
            post.clone(),
            people,
            serde_json::to_vec(&person(json!(1.5))).unwrap(),
            422,
            "request.invalid_field",
        )
        .await;
    assert_eq!(p.field.as_deref(), Some("position.node_id"));
    let p = api
        .refused(
            post.clone(),
            people,
            serde_json::to_vec(&json!([1, 2])).unwrap(),
            422,
            "request.invalid_field",
        )
        .await;
    assert!(p.detail.len() < 2000);
    // Huge numbers.
    for huge in [
        "99999999999999999999999999",
        "1e400",
        "-9223372036854775809",
    ] {
        let body = serde_json::to_string(&person(json!(0)))
            .unwrap()
            .replace("\"node_id\":0", &format!("\"node_id\":{huge}"));
        assert!(body.contains(huge));
        let status = api
            .raw(
                post.clone(),
                people,
                Some("application/json"),
                body.clone().into_bytes(),
            )
            .await
            .status()
            .as_u16();
        assert!((400..500).contains(&status), "node_id {huge}: {status}");
        let p = api
            .refused(
                post.clone(),
                people,
                body.into_bytes(),
                status,
                if status == 400 {
                    "request.invalid_json"
                } else {
                    "request.invalid_field"
                },
            )
            .await;
        if status == 422 {
            assert_eq!(p.field.as_deref(), Some("position.node_id"));
        }
    }
    // The largest id that fits is just an unknown unit.
    let p = api
        .refused(
            post.clone(),
            people,
            serde_json::to_vec(&person(json!(i64::MAX))).unwrap(),
            422,
            "position.node_unknown",
        )
        .await;
    assert_eq!(p.field.as_deref(), Some("node_id"));
    // Missing fields are named too.
    let mut missing = person(json!(c_sh1));
    missing.as_object_mut().unwrap().remove("display_name");
    let p = api
        .refused(
            post.clone(),
            people,
            serde_json::to_vec(&missing).unwrap(),
            422,
            "request.invalid_field",
        )
        .await;
    assert_eq!(p.field.as_deref(), Some("display_name"), "{:?}", p.body);
    let mut missing = person(json!(c_sh1));
    missing["position"].as_object_mut().unwrap().remove("role");
    let p = api
        .refused(
            post.clone(),
            people,
            serde_json::to_vec(&missing).unwrap(),
            422,
            "request.invalid_field",
        )
        .await;
    assert_eq!(p.field.as_deref(), Some("position.role"), "{:?}", p.body);
    // Rules of the business, after parsing: the rule's code and field.
    let mut invalid = person(json!(c_sh1));
    invalid["login"] = json!("no spaces allowed");
    let p = api
        .refused(
            post.clone(),
            people,
            serde_json::to_vec(&invalid).unwrap(),
            422,
            "person.login_invalid",
        )
        .await;
    assert_eq!(p.field.as_deref(), Some("login"));
    let mut long = person(json!(c_sh1));
    long["display_name"] = json!("名".repeat(101));
    let p = api
        .refused(
            post.clone(),
            people,
            serde_json::to_vec(&long).unwrap(),
            422,
            "person.name_invalid",
        )
        .await;
    assert_eq!(p.field.as_deref(), Some("display_name"));
    let mut control = person(json!(c_sh1));
    control["display_name"] = json!("tab\there");
    api.refused(
        post.clone(),
        people,
        serde_json::to_vec(&control).unwrap(),
        422,
        "person.name_invalid",
    )
    .await;

    // Wrong content type.
    let before = footprint(&t).await;
    let res = api
        .raw(
            post.clone(),
            people,
            Some("text/plain"),
            serde_json::to_vec(&person(json!(c_sh1))).unwrap(),
        )
        .await;
    let p = problem(res).await;
    assert_eq!((p.status, p.code.as_str()), (415, "request.content_type"));
    let res = api
        .raw(
            post.clone(),
            people,
            None,
            serde_json::to_vec(&person(json!(c_sh1))).unwrap(),
        )
        .await;
    assert_eq!(problem(res).await.status, 415);
    assert_eq!(footprint(&t).await, before);

    // Other routes parse the same way.
    let am = t.person_id("am.sh").await;
    let p = api
        .refused(
            reqwest::Method::PATCH,
            &format!("/api/v1/people/{am}"),
            b"{\"display_name\": 1}".to_vec(),
            422,
            "request.invalid_field",
        )
        .await;
    assert_eq!(p.field.as_deref(), Some("display_name"));
    api.refused(
        reqwest::Method::PUT,
        "/api/v1/me/locale",
        b"{".to_vec(),
        400,
        "request.invalid_json",
    )
    .await;
    let p = api
        .refused(
            reqwest::Method::POST,
            "/api/v1/org-nodes",
            b"{\"parent_id\": \"1\"}".to_vec(),
            422,
            "request.invalid_field",
        )
        .await;
    assert_eq!(p.field.as_deref(), Some("parent_id"));
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let t = TestApp::spawn().await;
    let api = Api {
        t: &t,
        token: t.token_for("admin").await,
    };
    let before = footprint(&t).await;
    let mut body = person(json!(1));
    body["display_name"] = json!("x".repeat(1024 * 1024 + 10));
    let res = api
        .raw(
            reqwest::Method::POST,
            "/api/v1/people",
            Some("application/json"),
            serde_json::to_vec(&body).unwrap(),
        )
        .await;
    let p = problem(res).await;
    assert_eq!((p.status, p.code.as_str()), (413, "request.too_large"));
    assert_eq!(footprint(&t).await, before);
    // A large but acceptable body is parsed (and then refused by the rules, not by size).
    body["display_name"] = json!("x".repeat(500 * 1024));
    let res = api
        .raw(
            reqwest::Method::POST,
            "/api/v1/people",
            Some("application/json"),
            serde_json::to_vec(&body).unwrap(),
        )
        .await;
    assert_eq!(problem(res).await.status, 422);
}

#[tokio::test]
async fn bad_paths_and_queries_are_400_and_unknown_routes_404() {
    let t = TestApp::spawn().await;
    let api = Api {
        t: &t,
        token: t.token_for("admin").await,
    };
    let get = reqwest::Method::GET;
    for path in [
        "/api/v1/people/abc",
        "/api/v1/people/1.5",
        "/api/v1/people/99999999999999999999999",
        "/api/v1/people/%00",
        "/api/v1/org-nodes/x/history",
        "/api/v1/audit/person/abc",
    ] {
        let res = api.raw(get.clone(), path, None, Vec::new()).await;
        let p = problem(res).await;
        assert_eq!(
            (p.status, p.code.as_str()),
            (400, "request.invalid_path"),
            "{path}: {:?}",
            p.body
        );
    }
    let res = api
        .raw(
            reqwest::Method::DELETE,
            "/api/v1/tokens/abc",
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(problem(res).await.status, 400);
    let res = api
        .raw(
            reqwest::Method::POST,
            "/api/v1/people/abc/deactivate",
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(problem(res).await.status, 400);
    for query in [
        "limit=abc",
        "limit=99999999999999999999999",
        "include_inactive=maybe",
        "node_id=x",
    ] {
        let res = api
            .raw(
                get.clone(),
                &format!("/api/v1/people?{query}"),
                None,
                Vec::new(),
            )
            .await;
        let p = problem(res).await;
        assert_eq!(
            (p.status, p.code.as_str()),
            (400, "request.invalid_query"),
            "{query}"
        );
    }
    // Out-of-range but well-formed numbers are clamped, not errors.
    let res = api
        .raw(
            get.clone(),
            "/api/v1/people?limit=-5&offset=-3",
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(res.status(), 200);

    // Unknown routes, signed in or not.
    for path in [
        "/api/v1/nothing-here",
        "/api/v1/people/1/unknown",
        "/api/v2/people",
    ] {
        let res = api.raw(get.clone(), path, None, Vec::new()).await;
        let ct = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(ct.as_deref(), Some("application/problem+json"), "{path}");
        let p = problem(res).await;
        assert_eq!((p.status, p.code.as_str()), (404, "not_found"), "{path}");
        let res = t.api_client().get(t.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path} without a token");
    }
    // Known routes, wrong method.
    for (method, path) in [
        (reqwest::Method::DELETE, "/api/v1/people"),
        (reqwest::Method::PUT, "/api/v1/people/1"),
        (reqwest::Method::GET, "/api/v1/tokens/1"),
        (reqwest::Method::POST, "/api/v1/me"),
    ] {
        let p = problem(api.raw(method.clone(), path, None, Vec::new()).await).await;
        assert_eq!(
            (p.status, p.code.as_str()),
            (405, "request.method_not_allowed"),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn injection_strings_are_stored_verbatim_and_escaped_on_pages() {
    let t = TestApp::spawn().await;
    let api = Api {
        t: &t,
        token: t.token_for("admin").await,
    };
    let c_sh1 = t.node_id("C-SH1").await;
    let nasty = [
        "Robert'); DROP TABLE people;--",
        "<script>alert('x')</script>",
        "\" OR \"1\"=\"1",
        "名字 ' -- /* */ \\ %_",
        "<img src=x onerror=alert(1)>&amp;",
    ];
    let mut ids = Vec::new();
    for (i, name) in nasty.iter().enumerate() {
        let body = json!({
            "login": format!("inj.{i}"), "display_name": name, "email": format!("a'b{i}@example.com"),
            "password": "Injection-Password-1",
            "position": { "node_id": c_sh1, "role": "sales_rep" },
        });
        let res = api
            .raw(
                reqwest::Method::POST,
                "/api/v1/people",
                Some("application/json"),
                serde_json::to_vec(&body).unwrap(),
            )
            .await;
        assert_eq!(res.status(), 201, "{name}");
        let created: Value = res.json().await.unwrap();
        assert_eq!(created["display_name"], *name);
        ids.push(created["id"].as_i64().unwrap());
    }
    // The tables are all still there, and the values come back exactly.
    assert!(t.count("SELECT COUNT(*) AS n FROM people").await > 20);
    for (id, name) in ids.iter().zip(nasty) {
        let res = api
            .raw(
                reqwest::Method::GET,
                &format!("/api/v1/people/{id}"),
                None,
                Vec::new(),
            )
            .await;
        assert_eq!(res.status(), 200);
        let text = res.text().await.unwrap();
        let person: Value = serde_json::from_str(&text).expect("well-formed JSON");
        assert_eq!(person["display_name"], name);
    }
    // Searching with LIKE wildcards and quotes finds only what matches literally.
    let res = api
        .raw(
            reqwest::Method::GET,
            "/api/v1/people?q=%25_",
            None,
            Vec::new(),
        )
        .await;
    let found: Vec<Value> = res.json().await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let res = api
        .raw(
            reqwest::Method::GET,
            "/api/v1/people?q='%20OR%201=1--",
            None,
            Vec::new(),
        )
        .await;
    let found: Vec<Value> = res.json().await.unwrap();
    assert!(found.is_empty(), "{found:?}");

    // Pages escape them.
    let c = t.sign_in_demo("admin").await;
    for (id, name) in ids.iter().zip(nasty) {
        let res = c.get(t.url(&format!("/people/{id}"))).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains(&html_escape(name)), "{name} is shown escaped");
        if name.contains('<') {
            assert!(!html.contains(name), "{name} is never shown raw");
        }
    }
    let html = c
        .get(t.url("/people"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("<script>alert"),
        "the people list escapes names"
    );
    assert!(
        !html.contains("<img src=x"),
        "the people list escapes names"
    );
}

/// Counts of every table taking an order can touch.
async fn order_footprint(t: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "orders",
        "order_lines",
        "order_events",
        "credit_ledger",
        "credit_holds",
        "dealer_balances",
        "idempotency_keys",
        "approval_requests",
        "audit_log",
    ] {
        out.push(t.count(&format!("SELECT COUNT(*) AS n FROM {table}")).await);
    }
    // exposure moves without a row count changing
    out.push(
        t.count("SELECT CAST(COALESCE(SUM(exposure_fen), 0) AS BIGINT) AS n FROM dealer_balances")
            .await,
    );
    out
}

#[tokio::test]
async fn bad_orders_are_refused_and_leave_nothing_behind() {
    let t = TestApp::spawn().await;
    let api = Api {
        t: &t,
        token: t.token_for("desk").await,
    };
    let get = |path: &str| {
        let req = t
            .api_client()
            .get(t.url(path))
            .bearer_auth(&api.token)
            .send();
        async move { req.await.unwrap().json::<Value>().await.unwrap() }
    };
    let dealer = get("/api/v1/dealers?status=active&limit=1").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let products: Vec<i64> = get("/api/v1/products?status=active")
        .await
        .as_array()
        .unwrap()
        .iter()
        .take(5)
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(products.len(), 5);
    let order = |quantity: Value, extra: Value| {
        let mut lines: Vec<Value> = products
            .iter()
            .map(|p| json!({ "product_id": p, "quantity": 1 }))
            .collect();
        lines[2]["quantity"] = quantity;
        let mut body = json!({ "dealer_id": dealer, "lines": lines });
        if let Value::Object(extra) = extra {
            for (k, v) in extra {
                body[k] = v;
            }
        }
        serde_json::to_vec(&body).unwrap()
    };
    let orders = "/api/v1/orders";
    let post = reqwest::Method::POST;
    let before = order_footprint(&t).await;

    // quantities: negative, zero, beyond any money, not an integer, beyond i64
    for (quantity, status, code) in [
        (json!(-1), 422, None),
        (json!(0), 422, None),
        (json!(i64::MAX), 422, None),
        (json!(1.5), 422, Some("request.invalid_field")),
        (json!(1e30), 422, Some("request.invalid_field")),
        (json!("3"), 422, Some("request.invalid_field")),
    ] {
        let res = api
            .raw(
                post.clone(),
                orders,
                Some("application/json"),
                order(quantity.clone(), json!({})),
            )
            .await;
        let p = problem(res).await;
        assert_eq!(p.status, status, "quantity {quantity}: {:?}", p.body);
        if let Some(code) = code {
            assert_eq!(p.code, code, "quantity {quantity}");
        }
        assert!(
            p.field.as_deref().is_some_and(|f| f.contains("quantity")),
            "quantity {quantity}: the field at fault is named: {:?}",
            p.body
        );
    }
    let res = api
        .raw(
            post.clone(),
            orders,
            Some("application/json"),
            order(json!(99999999999999999999999_f64), json!({})),
        )
        .await;
    assert_eq!(problem(res).await.status, 422);
    // a price far beyond anything money can hold
    let mut body: Value = serde_json::from_slice(&order(json!(1), json!({}))).unwrap();
    body["lines"][0]["unit_price_fen"] = json!(i64::MAX);
    body["lines"][0]["quantity"] = json!(1000);
    let res = api
        .raw(
            post.clone(),
            orders,
            Some("application/json"),
            serde_json::to_vec(&body).unwrap(),
        )
        .await;
    let p = problem(res).await;
    assert_eq!(p.status, 422, "{:?}", p.body);
    body["lines"][0]["unit_price_fen"] = json!(-5);
    body["lines"][0]["quantity"] = json!(1);
    let p = problem(
        api.raw(
            post.clone(),
            orders,
            Some("application/json"),
            serde_json::to_vec(&body).unwrap(),
        )
        .await,
    )
    .await;
    assert_eq!(p.status, 422, "a negative price: {:?}", p.body);
    // unknown dealers, huge and negative ids
    for id in [json!(i64::MAX), json!(-1), json!(0)] {
        let mut body: Value = serde_json::from_slice(&order(json!(1), json!({}))).unwrap();
        body["dealer_id"] = id.clone();
        let p = problem(
            api.raw(
                post.clone(),
                orders,
                Some("application/json"),
                serde_json::to_vec(&body).unwrap(),
            )
            .await,
        )
        .await;
        assert_eq!(
            (p.status, p.code.as_str()),
            (422, "order.dealer_unknown"),
            "dealer {id}"
        );
        assert_eq!(p.field.as_deref(), Some("dealer_id"));
    }
    // deeply nested JSON, in a field and as the whole body
    let deep = format!(
        "{{\"dealer_id\": {dealer}, \"lines\": {}{}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    // (the type error at the first nested array comes before any depth limit)
    let p = api
        .refused(
            post.clone(),
            orders,
            deep.into_bytes(),
            422,
            "request.invalid_field",
        )
        .await;
    assert_eq!(p.field.as_deref(), Some("lines[0][0]"));
    // an unknown field nested 100,000 deep is skipped without exhausting the stack; the order
    // is then judged on what it says (no lines)
    api.refused(
        post.clone(),
        orders,
        format!(
            "{{\"x\": {}1{}, \"dealer_id\": {dealer}, \"lines\": []}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        )
        .into_bytes(),
        422,
        "order.no_lines",
    )
    .await;
    // invalid UTF-8 inside the note
    let mut bad_note = format!("{{\"dealer_id\": {dealer}, \"note\": \"ab").into_bytes();
    bad_note.extend([0xed, 0xa0, 0x80]); // an encoded surrogate is not UTF-8
    bad_note.extend(b"\", \"lines\": []}");
    api.refused(post.clone(), orders, bad_note, 400, "request.invalid_json")
        .await;
    // a note too long, and a body too large
    let p = problem(
        api.raw(
            post.clone(),
            orders,
            Some("application/json"),
            order(json!(1), json!({ "note": "n".repeat(2001) })),
        )
        .await,
    )
    .await;
    assert_eq!((p.status, p.code.as_str()), (422, "order.note_too_long"));
    let p = problem(
        api.raw(
            post.clone(),
            orders,
            Some("application/json"),
            order(json!(1), json!({ "note": "n".repeat(2 * 1024 * 1024) })),
        )
        .await,
    )
    .await;
    assert_eq!((p.status, p.code.as_str()), (413, "request.too_large"));
    // idempotency keys that are not visible ASCII
    for key in ["", "a b", &"k".repeat(201)] {
        let res = t
            .api_client()
            .post(t.url(orders))
            .bearer_auth(&api.token)
            .header("Idempotency-Key", key)
            .header("content-type", "application/json")
            .body(order(json!(1), json!({})))
            .send()
            .await
            .unwrap();
        let p = problem(res).await;
        assert_eq!(
            (p.status, p.code.as_str()),
            (422, "order.idempotency_key_invalid"),
            "key {key:?}"
        );
    }
    assert_eq!(
        order_footprint(&t).await,
        before,
        "nothing of a refused order may be stored"
    );

    // Injection strings in the note are stored verbatim and shown escaped.
    let nasty = "<script>alert('x')</script> '); DROP TABLE orders;-- \" OR 1=1";
    let res = api
        .raw(
            post.clone(),
            orders,
            Some("application/json"),
            order(json!(1), json!({ "note": nasty })),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["order"]["note"], nasty);
    let id = created["order"]["id"].as_i64().unwrap();
    assert!(t.count("SELECT COUNT(*) AS n FROM orders").await >= 1);
    let c = t.sign_in_demo("desk").await;
    let res = c.get(t.url(&format!("/orders/{id}"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(!html.contains("<script>alert"), "never raw");
}
