//! The catalogue through HTTP (and the store where the orders work will call it): products and
//! lines with audit, dated prices that never overlap, the price of a product for a dealer on a
//! date (own list first, then the tier list), quotas that cannot be over-consumed, bad input and
//! the pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::Method;
use salesos_store::catalogue::{self, Reserve};
use salesos_test_support::{builders, TestApp};
use serde_json::{json, Value};

#[tokio::test]
async fn products_and_lines_crud_with_audit() {
    let t = TestApp::spawn().await;
    let admin = t.token_for("admin").await;
    let rep = t.token_for("rep.sh1.1").await;
    // everyone signed in reads the catalogue
    let (status, products) = t
        .api_json(&rep, Method::GET, "/api/v1/products", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(products.as_array().unwrap().len(), 40);
    let (_, lines) = t
        .api_json(&rep, Method::GET, "/api/v1/product-lines", None)
        .await;
    assert_eq!(lines.as_array().unwrap().len(), 5);
    // only the admin maintains it
    let (status, _) = t
        .api_json(
            &rep,
            Method::POST,
            "/api/v1/product-lines",
            Some(json!({ "code": "X", "name_zh": "x", "name_en": "x" })),
        )
        .await;
    assert_eq!(status, 403);

    let before = t.last_audit_id().await;
    let (status, line) = t
        .api_json(
            &admin,
            Method::POST,
            "/api/v1/product-lines",
            Some(json!({ "code": "FRZ", "name_zh": "冷冻食品", "name_en": "Frozen" })),
        )
        .await;
    assert_eq!(status, 201, "{line}");
    let line_id = line["id"].as_i64().unwrap();
    let (status, p) = t.api_json(&admin,
        Method::POST,
        "/api/v1/products",
        Some(json!({ "code": "FRZ-001", "name_zh": "速冻水饺 1kg", "name_en": "Frozen dumplings 1kg", "line_id": line_id, "unit": "袋", "case_size": 10, "tax_rate_bp": 900 })),
    )
    .await;
    assert_eq!(status, 201, "{p}");
    assert_eq!(p["status"], "active");
    let pid = p["id"].as_i64().unwrap();
    let (status, p2) = t.api_json(&admin,
        Method::PATCH,
        &format!("/api/v1/products/{pid}"),
        Some(json!({ "name_zh": "速冻水饺 1kg", "name_en": "Frozen dumplings 1kg", "line_id": line_id, "unit": "袋", "case_size": 12, "tax_rate_bp": 900, "status": "inactive" })),
    )
    .await;
    assert_eq!(status, 200, "{p2}");
    assert_eq!(p2["status"], "inactive");
    let audit = t.audit_since(before).await;
    let ops: Vec<&str> = audit.iter().map(|a| a.operation.as_str()).collect();
    assert_eq!(
        ops,
        ["product_line.create", "product.create", "product.update"]
    );
    assert_eq!(audit[2].before.as_ref().unwrap()["case_size"], 10);
    assert_eq!(audit[2].after.as_ref().unwrap()["case_size"], 12);
    let (status, got) = t
        .api_json(&rep, Method::GET, &format!("/api/v1/products/{pid}"), None)
        .await;
    assert_eq!((status, got["code"].as_str()), (200, Some("FRZ-001")));
    assert_eq!(
        t.api_json(&rep, Method::GET, "/api/v1/products/987654321", None)
            .await
            .0,
        404
    );

    // bad input names the field
    for (body, field) in [
        (
            json!({ "code": "FRZ-002", "name_zh": "x", "name_en": "x", "line_id": line_id, "unit": "袋", "case_size": 0, "tax_rate_bp": 900 }),
            "case_size",
        ),
        (
            json!({ "code": "FRZ-002", "name_zh": "x", "name_en": "x", "line_id": line_id, "unit": "袋", "case_size": 1, "tax_rate_bp": -1 }),
            "tax_rate_bp",
        ),
        (
            json!({ "code": "FRZ-002", "name_zh": "x", "name_en": "x", "line_id": 987_654, "unit": "袋", "case_size": 1, "tax_rate_bp": 0 }),
            "line_id",
        ),
        (
            json!({ "code": "bad code", "name_zh": "x", "name_en": "x", "line_id": line_id, "unit": "袋", "case_size": 1, "tax_rate_bp": 0 }),
            "code",
        ),
        (
            json!({ "code": "FRZ-002", "name_zh": "", "name_en": "x", "line_id": line_id, "unit": "袋", "case_size": 1, "tax_rate_bp": 0 }),
            "name_zh",
        ),
        (
            json!({ "code": "FRZ-002", "name_zh": "x", "name_en": "x", "line_id": line_id, "unit": "袋", "case_size": "many", "tax_rate_bp": 0 }),
            "case_size",
        ),
    ] {
        let (status, p) = t
            .api_json(&admin, Method::POST, "/api/v1/products", Some(body.clone()))
            .await;
        assert_eq!(status, 422, "{body}: {p}");
        assert_eq!(p["field"], field, "{body}: {p}");
    }
    let (status, p) = t
        .api_json(
            &admin,
            Method::POST,
            "/api/v1/product-lines",
            Some(json!({ "code": "FRZ", "name_zh": "重复", "name_en": "dup" })),
        )
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (409, Some("conflict.duplicate"))
    );
}

#[tokio::test]
async fn prices_are_dated_and_the_dealer_list_comes_first() {
    let t = TestApp::spawn().await;
    let admin = t.token_for("admin").await;
    let director = t.token_for("director").await;
    let product = {
        let mut tx = t.app.store.begin().await.unwrap();
        let line = builders::product_line(tx.conn(), "LN-T").await;
        let p = builders::product(tx.conn(), line, "P-T1").await;
        tx.commit().await.unwrap();
        p
    };
    let pl_a = builders::price_list_id(&t, "PL-A").await;
    let add = |list: i64, fen: i64, from: &str| {
        (
            format!("/api/v1/price-lists/{list}/prices"),
            json!({ "product_id": product, "price_fen": fen, "valid_from": from }),
        )
    };
    let (path, body) = add(pl_a, 10_000, "2024-01-01");
    let (status, first) = t.api_json(&admin, Method::POST, &path, Some(body)).await;
    assert_eq!(status, 201, "{first}");
    let before = t.last_audit_id().await;
    let (path, body) = add(pl_a, 12_000, "2025-01-01");
    let (status, _) = t.api_json(&admin, Method::POST, &path, Some(body)).await;
    assert_eq!(status, 201);
    let audit = t.audit_since(before).await;
    assert_eq!(audit[0].operation, "price_list.add_price");
    assert_eq!(
        audit[0].before.as_ref().unwrap()["open_prices"][0]["price_fen"],
        10_000
    );
    // the older price was closed where the new one starts
    let (_, detail) = t
        .api_json(
            &admin,
            Method::GET,
            &format!("/api/v1/price-lists/{pl_a}"),
            None,
        )
        .await;
    let mine: Vec<&Value> = detail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["product_id"] == product)
        .collect();
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0]["valid_to"], "2025-01-01");
    assert!(mine[1]["valid_to"].is_null());
    // a price starting before the last one would overlap
    let (path, body) = add(pl_a, 11_000, "2024-06-01");
    let (status, p) = t.api_json(&admin, Method::POST, &path, Some(body)).await;
    assert_eq!(
        (status, p["code"].as_str(), p["field"].as_str()),
        (409, Some("price.overlap"), Some("valid_from"))
    );
    let (path, body) = add(pl_a, 11_000, "2024-13-01");
    assert_eq!(
        t.api_json(&admin, Method::POST, &path, Some(body)).await.0,
        422
    );
    // only the admin adds prices
    let (path, body) = add(pl_a, 1, "2026-01-01");
    assert_eq!(
        t.api_json(&director, Method::POST, &path, Some(body))
            .await
            .0,
        403
    );

    // tier A dealer: the tier price by date
    let dealer = builders::dealer_id(&t, "D-SH1-001").await;
    let price =
        |date: &str| format!("/api/v1/dealers/{dealer}/price?product_id={product}&date={date}");
    let (status, p) = t
        .api_json(&admin, Method::GET, &price("2024-12-31"), None)
        .await;
    assert_eq!(
        (status, p["price_fen"].as_i64(), p["source"].as_str()),
        (200, Some(10_000), Some("tier")),
        "{p}"
    );
    let (_, p) = t
        .api_json(&admin, Method::GET, &price("2025-01-01"), None)
        .await;
    assert_eq!(p["price_fen"], 12_000);
    assert_eq!(
        t.api_json(&admin, Method::GET, &price("2023-12-31"), None)
            .await
            .0,
        404
    );

    // the dealer's own list wins where it has a price
    let (status, own) = t
        .api_json(
            &admin,
            Method::POST,
            "/api/v1/price-lists",
            Some(json!({ "code": "PL-D-SH1-001", "name": "专用价", "kind": "dealer" })),
        )
        .await;
    assert_eq!(status, 201, "{own}");
    let own_id = own["id"].as_i64().unwrap();
    let (path, body) = add(own_id, 9_000, "2024-06-01");
    assert_eq!(
        t.api_json(&admin, Method::POST, &path, Some(body)).await.0,
        201
    );
    // the dealer's own list is a term change: asked for, then approved by the market manager
    let (status, req) = t
        .api_json(
            &director,
            Method::POST,
            &format!("/api/v1/dealers/{dealer}/terms"),
            Some(json!({ "price_list_id": own_id })),
        )
        .await;
    assert_eq!(status, 202, "{req}");
    let mm_e = t.token_for("mm.e").await;
    let (status, decided) = t
        .api_json(
            &mm_e,
            Method::POST,
            &format!("/api/v1/approvals/{}/approve", req["id"]),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200, "{decided}");
    let (_, d) = t
        .api_json(
            &director,
            Method::GET,
            &format!("/api/v1/dealers/{dealer}"),
            None,
        )
        .await;
    assert_eq!(d["dealer"]["price_list_id"].as_i64(), Some(own_id), "{d}");
    let (_, p) = t
        .api_json(&admin, Method::GET, &price("2024-03-01"), None)
        .await;
    assert_eq!(
        (p["price_fen"].as_i64(), p["source"].as_str()),
        (Some(10_000), Some("tier")),
        "before the own price starts"
    );
    let (_, p) = t
        .api_json(&admin, Method::GET, &price("2025-06-01"), None)
        .await;
    assert_eq!(
        (p["price_fen"].as_i64(), p["source"].as_str()),
        (Some(9_000), Some("dealer"))
    );
    // another tier-A dealer still gets the tier price
    let other = builders::dealer_id(&t, "D-JS1-001").await;
    let (_, p) = t
        .api_json(
            &admin,
            Method::GET,
            &format!("/api/v1/dealers/{other}/price?product_id={product}&date=2025-06-01"),
            None,
        )
        .await;
    assert_eq!(p["price_fen"], 12_000);
    // the lookup obeys the scope
    let mm_n = t.token_for("mm.n").await;
    assert_eq!(
        t.api_json(&mm_n, Method::GET, &price("2025-06-01"), None)
            .await
            .0,
        404
    );
    let mut conn = t.app.store.read().await.unwrap();
    assert!(salesos_store::check::run(&mut conn)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn demo_prices_rise_on_2025_07_01_by_tier() {
    let t = TestApp::spawn().await;
    let admin = t.token_for("admin").await;
    let product = builders::product_id(&t, "BEV-001").await;
    let a = builders::dealer_id(&t, "D-SH1-001").await;
    let c = builders::dealer_id(&t, "D-SH1-003").await;
    let get = |dealer: i64, date: &str| {
        format!("/api/v1/dealers/{dealer}/price?product_id={product}&date={date}")
    };
    assert_eq!(
        t.api_json(&admin, Method::GET, &get(a, "2025-06-30"), None)
            .await
            .1["price_fen"],
        350
    );
    assert_eq!(
        t.api_json(&admin, Method::GET, &get(a, "2025-07-01"), None)
            .await
            .1["price_fen"],
        367
    );
    assert_eq!(
        t.api_json(&admin, Method::GET, &get(c, "2025-06-30"), None)
            .await
            .1["price_fen"],
        371
    );
    assert_eq!(
        t.api_json(&admin, Method::GET, &get(c, "2026-01-01"), None)
            .await
            .1["price_fen"],
        389
    );
}

#[tokio::test]
async fn quotas_cannot_be_over_consumed() {
    let t = TestApp::spawn().await;
    let admin = t.token_for("admin").await;
    let product = builders::product_id(&t, "DAI-007").await;
    let dealer = builders::dealer_id(&t, "D-SH1-001").await;
    let neighbour = builders::dealer_id(&t, "D-SH1-002").await;
    let elsewhere = builders::dealer_id(&t, "D-BJ1-001").await;
    let (status, q) = t.api_json(&admin, Method::POST, "/api/v1/quotas", Some(json!({ "product_id": product, "dealer_id": dealer, "period": "2025-09", "quantity": 10 }))).await;
    assert_eq!(status, 201, "{q}");
    let (status, _) = t.api_json(&admin, Method::POST, "/api/v1/quotas", Some(json!({ "product_id": product, "node_id": t.node_id("C-SH1").await, "period": "2025-09", "quantity": 5 }))).await;
    assert_eq!(status, 201);
    for (body, field) in [
        (
            json!({ "product_id": product, "dealer_id": dealer, "period": "2025-9", "quantity": 10 }),
            "period",
        ),
        (
            json!({ "product_id": product, "dealer_id": dealer, "period": "2025-09", "quantity": 0 }),
            "quantity",
        ),
        (
            json!({ "product_id": product, "period": "2025-09", "quantity": 1 }),
            "node_id",
        ),
    ] {
        let (status, p) = t
            .api_json(&admin, Method::POST, "/api/v1/quotas", Some(body.clone()))
            .await;
        assert_eq!((status, p["field"].as_str()), (422, Some(field)), "{body}");
    }
    let mm = t.token_for("mm.e").await;
    assert_eq!(t.api_json(&mm, Method::POST, "/api/v1/quotas", Some(json!({ "product_id": product, "dealer_id": dealer, "period": "2025-09", "quantity": 1 }))).await.0, 403);

    let reserve = |d: i64, qty: i64| {
        let store = t.app.store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            let r = catalogue::reserve_quota(tx.conn(), product, d, "2025-09", qty)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            r
        }
    };
    assert!(matches!(
        reserve(dealer, 6).await,
        Reserve::Reserved { remaining: 4, .. }
    ));
    assert!(matches!(
        reserve(dealer, 5).await,
        Reserve::Exceeded { remaining: 4, .. }
    ));
    assert!(matches!(
        reserve(dealer, 4).await,
        Reserve::Reserved { remaining: 0, .. }
    ));
    assert!(matches!(
        reserve(dealer, 1).await,
        Reserve::Exceeded { remaining: 0, .. }
    ));
    // the neighbour falls under the city's quota
    assert!(matches!(
        reserve(neighbour, 5).await,
        Reserve::Reserved { remaining: 0, .. }
    ));
    assert!(matches!(
        reserve(neighbour, 1).await,
        Reserve::Exceeded { .. }
    ));
    // no quota for Beijing, nor for another period
    assert_eq!(reserve(elsewhere, 1000).await, Reserve::NotLimited);
    {
        let mut tx = t.app.store.begin().await.unwrap();
        let r = catalogue::reserve_quota(tx.conn(), product, dealer, "2025-10", 1)
            .await
            .unwrap();
        assert_eq!(r, Reserve::NotLimited);
    }
    // the use-case wrapper refuses with a 409-class error
    {
        let mut tx = t.app.store.begin().await.unwrap();
        let err = salesos_app::catalogue::reserve_quota(tx.conn(), product, dealer, "2025-09", 1)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "quota.exceeded");
    }
    let (_, quotas) = t
        .api_json(&admin, Method::GET, "/api/v1/quotas?period=2025-09", None)
        .await;
    let consumed: Vec<i64> = quotas
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["consumed"].as_i64().unwrap())
        .collect();
    assert_eq!(consumed.iter().sum::<i64>(), 15);
    assert!(quotas
        .as_array()
        .unwrap()
        .iter()
        .all(|q| q["consumed"].as_i64() <= q["quantity"].as_i64()));

    // concurrent reservations never take more than is left
    let (_, q) = t.api_json(&admin, Method::POST, "/api/v1/quotas", Some(json!({ "product_id": product, "dealer_id": dealer, "period": "2025-11", "quantity": 7 }))).await;
    let qid = q["id"].as_i64().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let store = t.app.store.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let r = catalogue::reserve_quota(tx.conn(), product, dealer, "2025-11", 1)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            matches!(r, Reserve::Reserved { .. })
        }));
    }
    let mut ok = 0;
    for task in tasks {
        if task.await.unwrap() {
            ok += 1;
        }
    }
    assert_eq!(ok, 7);
    assert_eq!(
        t.count(&format!(
            "SELECT consumed AS n FROM quotas WHERE id = {qid}"
        ))
        .await,
        7
    );
}

#[tokio::test]
async fn catalogue_pages() {
    let t = TestApp::spawn().await;
    let rep = t.sign_in_demo("rep.sh1.1").await;
    let res = rep.get(t.url("/catalogue")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("BEV-001") && html.contains("柠檬茶"),
        "{html}"
    );
    assert!(html.contains("PL-A"));
    let html = rep
        .get(t.url("/catalogue?q=CAR"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("CAR-001") && !html.contains("BEV-001"));
    let pl = builders::price_list_id(&t, "PL-A").await;
    let res = rep
        .get(t.url(&format!("/price-lists/{pl}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("2025-07-01") && !html.contains("data-testid=\"price-form\""));
    assert_eq!(
        rep.get(t.url("/price-lists/987654321"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn products_lines_and_quotas_are_managed_in_the_browser_pages() {
    let t = TestApp::spawn().await;
    let admin = t.sign_in_demo("admin").await;
    let csrf = t.csrf_of(&admin).await;
    let page = |path: &'static str| {
        let admin = admin.clone();
        let t = &t;
        async move {
            admin
                .get(t.url(path))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let html = page("/catalogue").await;
    assert!(html.contains("data-testid=\"new-product\""));
    assert!(html.contains("data-testid=\"line-form\""));

    // a product line: a bad code is refused at its field, what was typed stays
    let res = admin
        .post(t.url("/product-lines"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("code", "bad code!"),
            ("name_zh", "茶饮"),
            ("name_en", "Tea"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("data-field=\"code\""), "{html}");
    assert!(html.contains("value=\"茶饮\""), "typed values are kept");
    let res = admin
        .post(t.url("/product-lines"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("code", "PG-TEA"),
            ("name_zh", "茶饮"),
            ("name_en", "Tea"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let line = builders::line_id(&t, "PG-TEA").await;

    // a product: bad case size and tax rate at their fields; nothing written
    let product_form = |code: &'static str, case_size: &'static str, tax: &'static str| {
        vec![
            ("_csrf", csrf.clone()),
            ("code", code.to_string()),
            ("name_zh", "乌龙茶 500ml".to_string()),
            ("name_en", "Oolong tea 500ml".to_string()),
            ("line_id", line.to_string()),
            ("unit", "瓶".to_string()),
            ("case_size", case_size.to_string()),
            ("tax_percent", tax.to_string()),
            ("status", "active".to_string()),
        ]
    };
    for (case_size, tax, field) in [
        ("0", "13", "case_size"),
        ("twelve", "13", "case_size"),
        ("12", "13.555", "tax_rate_bp"),
        ("12", "101", "tax_rate_bp"),
    ] {
        let res = admin
            .post(t.url("/products"))
            .form(&product_form("PG-OOLONG", case_size, tax))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{case_size} {tax}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains(&format!("data-field=\"{field}\"")),
            "{field}: {html}"
        );
    }
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM products WHERE code = 'PG-OOLONG'")
            .await,
        0
    );
    let res = admin
        .post(t.url("/products"))
        .form(&product_form("PG-OOLONG", "12", "9.5"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let at = salesos_test_support::location(&res);
    let id = builders::product_id(&t, "PG-OOLONG").await;
    assert_eq!(at, format!("/products/{id}"));
    assert_eq!(
        t.count(&format!(
            "SELECT tax_rate_bp AS n FROM products WHERE id = {id}"
        ))
        .await,
        950
    );
    // the same code twice: a clash at the code, not an error page
    let res = admin
        .post(t.url("/products"))
        .form(&product_form("PG-OOLONG", "12", "9"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    // edit: the case size changes, the code stays
    let mut edit = product_form("IGNORED", "24", "13");
    edit.retain(|(k, _)| *k != "code");
    let res = admin
        .post(t.url(&format!("/products/{id}")))
        .form(&edit)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = admin
        .get(t.url(&at))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("value=\"24\""), "{html}");
    assert!(html.contains("PG-OOLONG"));
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) AS n FROM audit_log WHERE entity = 'product' AND entity_id = {id}"
        ))
        .await,
        2
    );
    // a rep sees the product but no form, and may not change it
    let rep = t.sign_in_demo("rep.sh1.1").await;
    let html = rep
        .get(t.url(&at))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-testid=\"product-show\""));
    assert!(!html.contains("data-testid=\"product-form\""));
    let rep_csrf = t.csrf_of(&rep).await;
    let mut rep_edit = edit.clone();
    rep_edit[0].1 = rep_csrf;
    let res = rep
        .post(t.url(&format!("/products/{id}")))
        .form(&rep_edit)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        rep.get(t.url("/products/new"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );

    // a quota for a city: a bad month at its field, then set and listed
    let city = t.node_id("C-SH1").await;
    let quota = |period: &'static str| {
        vec![
            ("_csrf", csrf.clone()),
            ("product_id", id.to_string()),
            ("node_id", city.to_string()),
            ("period", period.to_string()),
            ("quantity", "500".to_string()),
        ]
    };
    let res = admin
        .post(t.url("/quotas"))
        .form(&quota("July"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("data-field=\"period\""));
    let res = admin
        .post(t.url("/quotas"))
        .form(&quota("2030-07"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = page("/quotas").await;
    assert!(html.contains("data-testid=\"quota-form\""));
    let html = admin
        .get(t.url("/quotas?period=2030-07"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        html.matches("data-testid=\"quota-row\"").count(),
        1,
        "{html}"
    );
    assert!(
        html.contains("PG-OOLONG") && html.contains(">500<"),
        "{html}"
    );
    // the rep reads the quotas but cannot set one
    let html = rep
        .get(t.url("/quotas?period=2030-07"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-testid=\"quota-row\""));
    assert!(!html.contains("data-testid=\"quota-form\""));
}
