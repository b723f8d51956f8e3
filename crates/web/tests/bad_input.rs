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

    // Unknown routes, signed in or not, the bare API root included: a problem, never a page.
    for path in [
        "/api",
        "/api/",
        "/api/v1",
        "/api/v1/",
        "/api/nothing",
        "/api/openapi.json/x",
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
        let p = problem(res).await;
        assert_eq!(p.code, "not_found", "{path} without a token");
        let p = problem(api.raw(reqwest::Method::POST, path, None, Vec::new()).await).await;
        assert!(matches!(p.status, 404 | 405), "POST {path}: {:?}", p.body);
    }
    // a page path that is not there is still an HTML page
    let c = t.sign_in_demo("admin").await;
    let res = c.get(t.url("/apiary")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let ct = res.headers().get("content-type").unwrap().to_str().unwrap();
    assert!(ct.starts_with("text/html"), "{ct}");
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

/// Row counts of every table the migrations create (read from the migration files, so a new
/// table is covered without touching this test).
async fn whole_footprint(t: &TestApp) -> Vec<(String, i64)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/src/migrations");
    let mut tables = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let sql = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in sql.lines() {
            let Some(rest) = line.trim().strip_prefix("CREATE TABLE ") else {
                continue;
            };
            let rest = rest.trim_start_matches("IF NOT EXISTS ");
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            tables.insert(name);
        }
    }
    assert!(tables.len() > 20, "{tables:?}");
    let mut out = Vec::new();
    for table in tables {
        let n = t.count(&format!("SELECT COUNT(*) AS n FROM {table}")).await;
        out.push((table, n));
    }
    out
}

/// Every API write route in the route table, with its path parameters filled with a record
/// that does not exist.
fn write_routes() -> Vec<(reqwest::Method, String)> {
    salesos_web::routes::route_defs()
        .into_iter()
        .filter(|d| d.is_api())
        .filter(|d| {
            [
                reqwest::Method::POST,
                reqwest::Method::PATCH,
                reqwest::Method::PUT,
            ]
            .contains(&d.method)
        })
        .map(|d| {
            let path = d
                .path
                .replace("{id}", "999999999")
                .replace("{entity}", "person");
            (d.method, path)
        })
        .collect()
}

/// Bodies no endpoint may accept: each with what it is, for the failure message.
fn hostile_bodies() -> Vec<(&'static str, Vec<u8>)> {
    // in a key: every key is read as text (a value of an unknown field may be skipped unread)
    let mut invalid_utf8 = b"{\"na".to_vec();
    invalid_utf8.extend([0xff, 0xc3, 0x28]);
    invalid_utf8.extend(b"me\": \"x\"}");
    vec![
        ("invalid UTF-8", invalid_utf8),
        ("UTF-16", vec![0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]),
        (
            "nested 200,000 deep",
            format!("{}{}", "[".repeat(200_000), "]".repeat(200_000)).into_bytes(),
        ),
        (
            "an object nested 20,000 deep",
            format!("{}1{}", "{\"a\":".repeat(20_000), "}".repeat(20_000)).into_bytes(),
        ),
        (
            "numbers beyond any type",
            b"{\"id\": 1e400, \"amount\": 99999999999999999999999999, \"quantity\": -1e308}"
                .to_vec(),
        ),
        ("a bare string", b"\"<script>alert(1)</script>\"".to_vec()),
        ("truncated", b"{\"name\": ".to_vec()),
    ]
}

#[tokio::test]
async fn every_write_route_refuses_hostile_bodies_and_stores_nothing() {
    let t = TestApp::spawn().await;
    let api = Api {
        t: &t,
        token: t.token_for("admin").await,
    };
    let routes = write_routes();
    assert!(routes.len() > 40, "{} write routes", routes.len());
    let mut callers = Vec::new();
    for login in ["admin", "desk", "director", "mm.e", "rep.sh1.1"] {
        callers.push(Api {
            t: &t,
            token: t.token_for(login).await,
        });
    }
    let before = whole_footprint(&t).await;
    let mut oversized =
        serde_json::to_vec(&json!({ "name": "x".repeat(1024 * 1024 + 10) })).unwrap();
    oversized.extend(b" ");
    for (method, path) in &routes {
        let mut bodies = hostile_bodies();
        bodies.push(("larger than 1 MiB", oversized.clone()));
        for (what, body) in bodies {
            let res = api
                .raw(method.clone(), path, Some("application/json"), body)
                .await;
            let ct = res
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string());
            assert_eq!(
                ct.as_deref(),
                Some("application/problem+json"),
                "{method} {path} with {what}: {}",
                res.status()
            );
            let p = problem(res).await;
            assert!(
                (400..500).contains(&p.status),
                "{method} {path} with {what}: {:?}",
                p.body
            );
        }
    }
    // the same on the routes that create something (no record in the path), as someone allowed
    // to: the body itself is what is refused, with the code that says why
    for (method, path) in routes.iter().filter(|(_, p)| !p.contains("999999999")) {
        if path.contains("/imports/")
            || path.ends_with("/me/password")
            || path.ends_with("/me/locale")
        {
            continue; // uploads have their own size limit; `me` routes are covered above
        }
        // the first caller allowed to try; what an empty object gets from it
        let mut allowed = None;
        for caller in &callers {
            let res = caller
                .raw(
                    method.clone(),
                    path,
                    Some("application/json"),
                    b"{}".to_vec(),
                )
                .await;
            if res.status() != 403 {
                let empty = problem(res).await;
                allowed = Some((caller, (empty.status, empty.code)));
                break;
            }
        }
        let (api, empty) = allowed.unwrap_or_else(|| panic!("nobody may {method} {path}"));
        for (what, body) in hostile_bodies() {
            let p = problem(
                api.raw(method.clone(), path, Some("application/json"), body)
                    .await,
            )
            .await;
            // refused as malformed, or (an object whose only fields are unknown, so skipped)
            // judged as the empty object it amounts to
            let answer = (p.status, p.code.clone());
            assert!(
                matches!(
                    (p.status, p.code.as_str()),
                    (400, "request.invalid_json") | (422, "request.invalid_field")
                ) || answer == empty,
                "{method} {path} with {what}: {:?}",
                p.body
            );
        }
        let p = problem(
            api.raw(
                method.clone(),
                path,
                Some("application/json"),
                oversized.clone(),
            )
            .await,
        )
        .await;
        assert_eq!(
            (p.status, p.code.as_str()),
            (413, "request.too_large"),
            "{method} {path}"
        );
    }
    assert_eq!(whole_footprint(&t).await, before, "nothing may be stored");
    let res = api
        .raw(reqwest::Method::GET, "/api/v1/me", None, Vec::new())
        .await;
    assert_eq!(res.status(), 200, "the server is still there");
}

/// Strings that break SQL built by pasting, HTML written without escaping, or LIKE patterns.
const NASTY: [&str; 5] = [
    "Robert'); DROP TABLE dealers;--",
    "<script>alert('x')</script>",
    "\" OR \"1\"=\"1",
    "名字 ' -- /* */ \\ %_",
    "<img src=x onerror=alert(1)>&amp;",
];

/// Records the text endpoints need around them.
struct Fx {
    node: i64,
    area: i64,
    owner: i64,
    line: i64,
    product: i64,
    dealer_a: i64,
    dealer_b: i64,
    invoice: i64,
}

/// One API write that stores free text: how to call it with `text` (the `n`-th call, for
/// unique codes), where the new record's id is in the answer, where to read it back, and the
/// page that shows it.
struct TextEndpoint {
    login: &'static str,
    path: fn(&Fx) -> String,
    body: fn(&Fx, &str, usize) -> Value,
    id_at: &'static str,
    read: fn(&Fx, i64) -> String,
    /// The page that shows the text (none: the text is not shown on any page yet).
    page: Option<fn(&Fx, i64) -> String>,
}

fn text_endpoints() -> Vec<(&'static str, TextEndpoint)> {
    vec![
        (
            "person display name",
            TextEndpoint {
                login: "admin",
                path: |_| "/api/v1/people".into(),
                body: |f, s, n| {
                    json!({ "login": format!("txt.{n}"), "display_name": s,
                        "password": "Injection-Password-1",
                        "position": { "node_id": f.node, "role": "sales_rep" } })
                },
                id_at: "/id",
                read: |_, id| format!("/api/v1/people/{id}"),
                page: Some(|_, id| format!("/people/{id}")),
            },
        ),
        (
            "org unit names",
            TextEndpoint {
                login: "admin",
                path: |_| "/api/v1/org-nodes".into(),
                body: |f, s, n| {
                    json!({ "parent_id": f.area, "kind": "city", "code": format!("C-TXT{n}"),
                        "name_zh": s, "name_en": s })
                },
                id_at: "/id",
                read: |_, id| format!("/api/v1/org-nodes/{id}"),
                page: Some(|_, id| format!("/org/{id}")),
            },
        ),
        (
            "dealer name and address",
            TextEndpoint {
                login: "admin",
                path: |_| "/api/v1/dealers".into(),
                body: |f, s, n| {
                    json!({ "code": format!("D-TXT{n}"), "name": s, "address": s, "city": s,
                        "node_id": f.node, "owner_id": f.owner, "confirm_duplicate": true })
                },
                id_at: "/dealer/id",
                read: |_, id| format!("/api/v1/dealers/{id}"),
                page: Some(|_, id| format!("/dealers/{id}")),
            },
        ),
        (
            "dealer contact",
            TextEndpoint {
                login: "admin",
                path: |f| format!("/api/v1/dealers/{}/contacts", f.dealer_a),
                body: |_, s, _| json!({ "name": s, "title": s }),
                id_at: "",
                read: |f, _| format!("/api/v1/dealers/{}", f.dealer_a),
                page: Some(|f, _| format!("/dealers/{}", f.dealer_a)),
            },
        ),
        (
            "dealer feedback",
            TextEndpoint {
                login: "admin",
                path: |f| format!("/api/v1/dealers/{}/feedback", f.dealer_a),
                body: |_, s, _| json!({ "kind": "other", "body": s }),
                id_at: "",
                read: |f, _| format!("/api/v1/dealers/{}", f.dealer_a),
                page: Some(|f, _| format!("/dealers/{}", f.dealer_a)),
            },
        ),
        (
            "product line names",
            TextEndpoint {
                login: "admin",
                path: |_| "/api/v1/product-lines".into(),
                body: |_, s, n| json!({ "code": format!("LN-TXT{n}"), "name_zh": s, "name_en": s }),
                id_at: "/id",
                read: |_, _| "/api/v1/product-lines".into(),
                // a product's page offers every line in its line picker
                page: Some(|f, _| format!("/products/{}", f.product)),
            },
        ),
        (
            "product names",
            TextEndpoint {
                login: "admin",
                path: |_| "/api/v1/products".into(),
                body: |f, s, n| {
                    json!({ "code": format!("P-TXT{n}"), "name_zh": s, "name_en": s,
                        "line_id": f.line, "unit": "box", "case_size": 6, "tax_rate_bp": 1300 })
                },
                id_at: "/id",
                read: |_, id| format!("/api/v1/products/{id}"),
                page: Some(|_, id| format!("/products/{id}")),
            },
        ),
        (
            "price list name",
            TextEndpoint {
                login: "admin",
                path: |_| "/api/v1/price-lists".into(),
                body: |_, s, n| json!({ "code": format!("PL-TXT{n}"), "name": s, "kind": "dealer" }),
                id_at: "/id",
                read: |_, id| format!("/api/v1/price-lists/{id}"),
                page: Some(|_, id| format!("/price-lists/{id}")),
            },
        ),
        (
            "order note",
            TextEndpoint {
                login: "desk",
                path: |_| "/api/v1/orders".into(),
                body: |f, s, _| {
                    json!({ "dealer_id": f.dealer_a, "note": s,
                        "lines": [{ "product_id": f.product, "quantity": 1 }] })
                },
                id_at: "/order/id",
                read: |_, id| format!("/api/v1/orders/{id}"),
                page: Some(|_, id| format!("/orders/{id}")),
            },
        ),
        (
            "transfer note",
            TextEndpoint {
                login: "desk",
                path: |_| "/api/v1/transfers".into(),
                body: |f, s, _| {
                    json!({ "source_dealer_id": f.dealer_a, "target_dealer_id": f.dealer_b,
                        "note": s, "lines": [{ "product_id": f.product, "quantity": 1, "unit_price_fen": 80 }] })
                },
                id_at: "/transfer/id",
                read: |_, id| format!("/api/v1/transfers/{id}"),
                page: Some(|_, id| format!("/transfers/{id}")),
            },
        ),
        (
            "return reason and note",
            TextEndpoint {
                login: "desk",
                path: |f| format!("/api/v1/invoices/{}/returns", f.invoice),
                body: |_, s, _| json!({ "reason": s, "note": s, "lines": [{ "line_no": 1, "quantity": 1 }] }),
                id_at: "/return/id",
                read: |_, id| format!("/api/v1/returns/{id}"),
                page: Some(|_, id| format!("/returns/{id}")),
            },
        ),
    ]
}

/// Whether `text` is, exactly, one of the strings in `v`.
fn holds_string(v: &Value, text: &str) -> bool {
    match v {
        Value::String(s) => s == text,
        Value::Array(items) => items.iter().any(|i| holds_string(i, text)),
        Value::Object(map) => map.values().any(|i| holds_string(i, text)),
        _ => false,
    }
}

#[tokio::test]
async fn injection_strings_in_every_text_field_are_stored_verbatim_and_shown_escaped() {
    use salesos_test_support::order_fixtures::{catalogue, dealer};
    use salesos_test_support::return_fixtures::sold_invoice;
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let dealer_a = dealer(&t, "C-SH1", "rep.sh1.1", 100_000_000).await;
    let fx = Fx {
        node: t.node_id("C-SH1").await,
        area: t.node("C-SH1").await.parent_id.expect("C-SH1 has a parent"),
        owner: t.person_id("rep.sh1.1").await,
        line: {
            let mut tx = t.app.store.begin().await.unwrap();
            let line = salesos_test_support::builders::product_line(tx.conn(), "LN-TXTFX").await;
            tx.commit().await.unwrap();
            line
        },
        product: c.product,
        dealer_a,
        dealer_b: dealer(&t, "C-SH1", "rep.sh1.1", 100_000_000).await,
        invoice: sold_invoice(&t, dealer_a, c.product, 100).await,
    };
    let mut n = 0;
    for (what, e) in text_endpoints() {
        let token = t.token_for(e.login).await;
        let browser = t.sign_in_demo(e.login).await;
        for text in NASTY {
            n += 1;
            let res = t
                .api_client()
                .request(reqwest::Method::POST, t.url(&(e.path)(&fx)))
                .bearer_auth(&token)
                .json(&(e.body)(&fx, text, n))
                .send()
                .await
                .unwrap();
            let status = res.status();
            let answer: Value = res.json().await.unwrap();
            assert!(status.is_success(), "{what} {text:?}: {status} {answer}");
            assert!(
                holds_string(&answer, text),
                "{what} {text:?}: answered {answer}"
            );
            let id = answer.pointer(e.id_at).and_then(Value::as_i64).unwrap_or(0);
            assert!(
                e.id_at.is_empty() || id > 0,
                "{what}: no id at {}: {answer}",
                e.id_at
            );

            let read = t
                .api_client()
                .get(t.url(&(e.read)(&fx, id)))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(read.status(), 200, "{what}");
            let stored: Value = read.json().await.unwrap();
            assert!(
                holds_string(&stored, text),
                "{what} {text:?} reads back exactly: {stored}"
            );

            let Some(page) = e.page else { continue };
            let page = page(&fx, id);
            let res = browser.get(t.url(&page)).send().await.unwrap();
            assert_eq!(res.status(), 200, "{what}: {page}");
            let html = res.text().await.unwrap();
            assert!(
                html.contains(&html_escape(text)),
                "{what}: {text:?} is shown, escaped, on {page}"
            );
            if text.contains('<') {
                assert!(
                    !html.contains(text),
                    "{what}: {text:?} is never shown raw on {page}"
                );
            }
        }
    }
    // every table is still there
    assert!(whole_footprint(&t).await.iter().all(|(_, n)| *n >= 0));
}

/// A page for an id that is not a number (`/invoices/abc`) names no record: it answers like an
/// unknown record, with the not-found page in the person's language, for reading and for forms
/// alike, and writes nothing; signed out it is the sign-in redirect like any page.
#[tokio::test]
async fn a_page_for_a_malformed_id_is_the_not_found_page() {
    use salesos_domain::people::Locale;
    use salesos_web::i18n::Tr;
    let t = TestApp::spawn().await;
    let admin = t.page_session("admin").await;
    let not_found = |html: &str| {
        [Locale::ZhCn, Locale::En].into_iter().any(|l| {
            html.contains(&format!(
                "data-testid=\"error-message\">{}<",
                html_escape(&Tr::new(l).error("not_found", ""))
            ))
        })
    };
    let (status, html) = admin.get("/people/999999999").await;
    assert_eq!(status, 404);
    assert!(not_found(&html), "an unknown record: {html}");
    for path in [
        "/invoices/abc",
        "/people/1.5",
        "/targets/x/export?table=children",
        "/orders/99999999999999999999999",
    ] {
        let (status, html) = admin.get(path).await;
        assert_eq!(status, 404, "GET {path}");
        assert!(not_found(&html), "GET {path}: {html}");
    }
    let audit = t.last_audit_id().await;
    for path in ["/plans/abc/submit", "/orders/x/confirm"] {
        let (status, _, html) = admin.post(path, &[]).await;
        assert_eq!(status, 404, "POST {path}");
        assert!(not_found(&html), "POST {path}: {html}");
    }
    assert!(t.audit_since(audit).await.is_empty(), "nothing written");

    let res = t.client().get(t.url("/invoices/abc")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(
        salesos_test_support::location(&res).starts_with("/signin?next="),
        "{}",
        salesos_test_support::location(&res)
    );
}

#[tokio::test]
async fn malformed_list_filters_are_422_naming_the_filter() {
    let t = TestApp::spawn().await;
    let api = Api {
        t: &t,
        token: t.token_for("director").await,
    };
    for (query, code, field) in [
        ("/api/v1/orders?from=garbage", "date.invalid", "from"),
        ("/api/v1/orders?to=2026-13-01", "date.invalid", "to"),
        ("/api/v1/visits?from=2026-02-30", "date.invalid", "from"),
        ("/api/v1/targets?from=yesterday", "date.invalid", "from"),
        ("/api/v1/targets?to=2026-04-31", "date.invalid", "to"),
        (
            "/api/v1/targets?metric=profit",
            "target.metric_unknown",
            "metric",
        ),
        (
            "/api/v1/targets?period_kind=week",
            "target.period_kind_unknown",
            "period_kind",
        ),
    ] {
        let p = problem(api.raw(reqwest::Method::GET, query, None, Vec::new()).await).await;
        assert_eq!(
            (p.status, p.code.as_str(), p.field.as_deref()),
            (422, code, Some(field)),
            "{query}: {:?}",
            p.body
        );
    }
    // blank filters and well-formed ones still list
    for query in [
        "/api/v1/orders?from=&to=",
        "/api/v1/orders?from=2020-01-01&to=2030-12-31",
        "/api/v1/targets?metric=&period_kind=",
        "/api/v1/targets?metric=ordered_amount&period_kind=month&from=2026-01-01",
    ] {
        let res = api.raw(reqwest::Method::GET, query, None, Vec::new()).await;
        assert_eq!(res.status(), 200, "{query}");
    }
}

/// The orders page and its export refuse a date filter that is not a date, as the API does:
/// 422 with the message next to the filters and the typed text kept, no order listed (dropping
/// the filter would list every order); a good date still filters.
#[tokio::test]
async fn orders_page_refuses_a_date_filter_that_is_not_a_date() {
    let t = TestApp::spawn().await;
    let c = t.sign_in_demo("desk").await;
    let get = |path: &str| {
        let c = c.clone();
        let url = t.url(path);
        async move {
            let res = c.get(url).send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.text().await.unwrap())
        }
    };
    let (status, all) = get("/orders").await;
    assert_eq!(status, 200);
    assert!(
        all.contains("data-testid=\"order-row\""),
        "the desk sees orders"
    );

    for (query, typed) in [("from=garbage", "garbage"), ("to=2026-13-01", "2026-13-01")] {
        let (status, page) = get(&format!("/orders?{query}")).await;
        assert_eq!(status, 422, "{query}");
        assert!(page.contains("data-testid=\"filter-error\""), "{query}");
        // in the person's language
        assert!(
            page.contains("请输入有效日期，例如 2025-03-31。")
                || page.contains("Enter a date like 2025-03-31."),
            "{query}"
        );
        assert!(
            page.contains(&format!("value=\"{typed}\"")),
            "{query}: the typed text stays"
        );
        assert!(
            !page.contains("data-testid=\"order-row\""),
            "{query}: nothing listed"
        );
        let (status, _) = get(&format!("/orders/export?format=csv&{query}")).await;
        assert_eq!(status, 422, "export {query}");
    }
    let (status, later) = get("/orders?from=2999-01-01").await;
    assert_eq!(status, 200);
    assert!(!later.contains("data-testid=\"filter-error\""));
    assert!(
        !later.contains("data-testid=\"order-row\""),
        "no order is that late"
    );
}
