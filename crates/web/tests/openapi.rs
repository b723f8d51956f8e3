//! The OpenAPI document: served, valid, locked by a snapshot, and in step with the router.
//!
//! When the API changes on purpose, review the difference and update the snapshot with
//! `INSTA_UPDATE=always cargo test -p salesos-web --test openapi` (or `cargo insta review`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_test_support::TestApp;
use salesos_web::routes::route_defs;
use serde_json::Value;
use std::collections::BTreeSet;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

async fn served_document() -> Value {
    let t = TestApp::spawn().await;
    let res = t
        .api_client()
        .get(t.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let content_type = res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let text = res.text().await.unwrap();
    serde_json::from_str(&text).expect("the OpenAPI document is valid JSON")
}

#[tokio::test]
async fn the_document_is_openapi_3_and_locked_by_a_snapshot() {
    let doc = served_document().await;
    let version = doc["openapi"].as_str().expect("an openapi version");
    assert!(version.starts_with("3."), "OpenAPI 3.x, not {version}");
    assert!(doc["info"]["title"].is_string());
    assert!(doc["info"]["version"].is_string());
    assert!(doc["paths"].as_object().is_some_and(|p| !p.is_empty()));
    assert!(
        doc["components"]["securitySchemes"]["bearer"].is_object(),
        "the bearer token scheme is documented"
    );
    // Every operation documents its problem responses with the Problem schema.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.contains_key("401"),
                "{method} {path} documents 401"
            );
            assert!(
                responses.keys().any(|k| k.starts_with('2')),
                "{method} {path} documents its success"
            );
        }
    }
    // The served document is the same as the one built in code.
    assert_eq!(
        doc,
        serde_json::to_value(salesos_web::api::openapi::document()).unwrap()
    );
    insta::assert_json_snapshot!("openapi", doc);
}

#[tokio::test]
async fn the_document_and_the_router_list_the_same_api_routes() {
    let doc = served_document().await;
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|m| METHODS.contains(&m.as_str()))
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> = route_defs()
        .into_iter()
        .filter(|d| d.is_api())
        .map(|d| (d.method.to_string(), d.path.to_string()))
        .collect();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty() && unrouted.is_empty(),
        "routes missing from the OpenAPI document: {undocumented:?}\ndocumented operations the router does not serve: {unrouted:?}"
    );
    // Path parameters are declared where the path has them.
    for (method, path) in &documented {
        let op = &doc["paths"][path][method.to_lowercase()];
        let declared: BTreeSet<String> = op["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter(|p| p["in"] == "path")
                    .map(|p| p["name"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let in_path: BTreeSet<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_string)
            .collect();
        assert_eq!(declared, in_path, "{method} {path}: path parameters");
    }
}
