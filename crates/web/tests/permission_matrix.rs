//! The permission matrix: generated from `salesos_web::routes::route_defs()`, so a route added
//! without a scope rule (or without a fixture here) fails this test.
//!
//! For every route that returns or changes business data (`Access::Requires` / `Access::SelfOr`,
//! and every `/api/v1` route), for each role login of the tiny demo company, the test sends a
//! request for a record inside the person's scope and one outside it, and checks the answer:
//!
//! * **capability missing → 403.** The role cannot use the route at all; the answer does not
//!   depend on the record (so it reveals nothing about it). The one exception are routes naming
//!   a *token* (`Target::Token`): who owns a token is only known after loading it, so a refusal
//!   there is always 404, whether the token exists or not.
//! * **inside the scope → allowed**: never 401/403/404. API requests must succeed (2xx); page
//!   requests must succeed or redirect somewhere other than the sign-in page.
//! * **outside the scope → 404**, exactly like a record that does not exist, so the existence
//!   of records outside one's part of the organisation does not leak. (Decision recorded in
//!   ARCHITECTURE.md: out-of-scope records answer 404.)
//!
//! "In scope" per role (the tiny demo: markets East `M-E` and North `M-N`, two areas each):
//!
//! | login                      | scope                  | person in / out        | node in / out   |
//! |----------------------------|------------------------|------------------------|-----------------|
//! | admin, director, desk, billing, finance, warehouse | the company (HQ) | am.sh / — | M-E / — |
//! | mm.e                       | market East            | am.sh / am.bj          | A-SH / M-N      |
//! | am.sh                      | area Shanghai          | rep.sh1.1 / rep.js1.1  | C-SH1 / A-JS    |
//! | kam.sh                     | own records (A-SH)     | self / rep.sh1.1       | A-SH / A-JS     |
//! | rep.sh1.1                  | own records (C-SH1)    | self / kam.sh          | C-SH1 / C-JS1   |
//!
//! People at the company level see the whole company, so nothing exists outside their scope;
//! for them (and everyone) a record that does not exist is checked instead, which must answer
//! exactly like an out-of-scope one. Writes that are expected to succeed run against a fresh
//! throwaway person or unit created for that one request, so the fixtures stay intact.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::Method;
use salesos_domain::roles::{Capability, Role};
use salesos_test_support::{builders, location, TestApp, DEMO_PASSWORD, ROLE_LOGINS};
use salesos_web::routes::{route_defs, Access, RouteDef, Target};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU32, Ordering};

/// An id no record has.
const MISSING: i64 = 987_654_321;

static SERIAL: AtomicU32 = AtomicU32::new(1);

fn serial() -> u32 {
    SERIAL.fetch_add(1, Ordering::Relaxed)
}

/// Public routes, which need no scope rule. Anything else must name who may call it.
const PUBLIC_ROUTES: [(&str, &str); 6] = [
    ("GET", "/signin"),
    ("POST", "/signin"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/api/openapi.json"),
    ("GET", "/assets/{name}"),
];

/// Signed-in routes that act only on the caller themself (no record in the path).
const SELF_ROUTES: [(&str, &str); 11] = [
    ("GET", "/api/v1/dashboard"),
    // the caller's own followed imports only
    ("GET", "/api/v1/imports/progress"),
    ("GET", "/home/export"),
    ("GET", "/api/v1/me"),
    ("PUT", "/api/v1/me/locale"),
    ("POST", "/api/v1/me/password"),
    ("POST", "/signout"),
    ("GET", "/"),
    ("GET", "/account"),
    ("POST", "/account/password"),
    ("POST", "/account/locale"),
];

fn key(def: &RouteDef) -> (String, &'static str) {
    (def.method.to_string(), def.path)
}

fn name(def: &RouteDef) -> String {
    format!("{} {}", def.method, def.path)
}

/// The routes the matrix walks: every API route and every page route with a capability.
fn matrix_routes() -> Vec<RouteDef> {
    route_defs()
        .into_iter()
        .filter(|d| d.is_api() || matches!(d.access, Access::Requires(_) | Access::SelfOr(_)))
        .collect()
}

/// Static rules on the route table itself; no server needed.
#[test]
fn every_route_has_a_scope_rule() {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for def in route_defs() {
        let (method, path) = key(&def);
        if !seen.insert((method.clone(), path)) {
            problems.push(format!("{} is listed twice", name(&def)));
        }
        let names_record = path.contains('{') && path != "/assets/{name}";
        match def.access {
            Access::Public => {
                if !PUBLIC_ROUTES.contains(&(method.as_str(), path)) {
                    problems.push(format!(
                        "{} is public: add it to PUBLIC_ROUTES if that is intended",
                        name(&def)
                    ));
                }
            }
            Access::SignedIn => {
                if !SELF_ROUTES.contains(&(method.as_str(), path)) || names_record {
                    problems.push(format!(
                        "{} is open to every signed-in person: give it a capability (Access::Requires/SelfOr) or add it to SELF_ROUTES if it only acts on the caller",
                        name(&def)
                    ));
                }
            }
            Access::Requires(_) | Access::SelfOr(_) => {}
        }
        match def.target {
            Target::None => {
                if names_record {
                    problems.push(format!(
                        "{} names a record but has Target::None",
                        name(&def)
                    ));
                }
            }
            Target::Person
            | Target::OrgNode
            | Target::Token
            | Target::Order
            | Target::Approval
            | Target::Shipment
            | Target::Invoice
            | Target::Payment
            | Target::Return
            | Target::Transfer
            | Target::Delegation
            | Target::CreditNote
            | Target::Dealer
            | Target::Product
            | Target::PriceList
            | Target::SalesTarget
            | Target::Plan => {
                if !path.contains("{id}") {
                    problems.push(format!("{} has a target but no {{id}}", name(&def)));
                }
            }
            Target::AuditRecord => {
                if !path.contains("{entity}/{id}") {
                    problems.push(format!(
                        "{} is an audit route without {{entity}}/{{id}}",
                        name(&def)
                    ));
                }
            }
        }
        if matches!(def.access, Access::SelfOr(_))
            && !matches!(def.target, Target::Person | Target::Token)
        {
            problems.push(format!(
                "{}: SelfOr needs a Person or Token target",
                name(&def)
            ));
        }
    }
    for def in matrix_routes() {
        if let Err(e) = Fixture::body_of(&def, &Ctx::placeholder(), false) {
            problems.push(e);
        }
    }
    assert!(
        problems.is_empty(),
        "route table problems:\n{}",
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Fixtures

/// Node ids the request bodies need.
#[derive(Clone, Copy)]
struct Ctx {
    c_sh1: i64,
    c_js1: i64,
    a_sh: i64,
    a_js: i64,
    /// A product with a price on the tier-A list (orders).
    product: i64,
    /// dealers & catalogue: the rep of C-SH1 (an owner for new dealers), a demo product, its
    /// line and the demo tier-A price list
    rep_sh1: i64,
    dx_product: i64,
    dx_line: i64,
    dx_price_list: i64,
    /// shipments & billing: a confirmed order with plenty still to ship (dealer at C-SH1)
    ship_order: i64,
    /// targets: the company's 2030 target new targets name as their parent
    target_parent: i64,
}

impl Ctx {
    fn placeholder() -> Ctx {
        Ctx {
            c_sh1: 1,
            c_js1: 1,
            a_sh: 1,
            a_js: 1,
            product: 1,
            rep_sh1: 1,
            dx_product: 1,
            dx_line: 1,
            dx_price_list: 1,
            ship_order: 1,
            target_parent: 1,
        }
    }
}

enum Body {
    None,
    Json(Value),
    Form(Vec<(String, String)>),
}

struct Fixture;

impl Fixture {
    /// A body with which the request can succeed. Every route the matrix walks must be listed
    /// here, so a new one fails the test until it has a fixture (and a scope rule).
    fn body_of(def: &RouteDef, c: &Ctx, field_staff: bool) -> Result<Body, String> {
        let n = serial();
        let f = |pairs: &[(&str, String)]| {
            Body::Form(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), v.clone()))
                    .collect(),
            )
        };
        let body = match (def.method.as_str(), def.path) {
            ("GET", _) => Body::None,
            // API
            ("PUT", "/api/v1/me/locale") => Body::Json(json!({ "locale": "en" })),
            ("POST", "/api/v1/me/password") => Body::Json(json!({
                "current_password": DEMO_PASSWORD, "new_password": "Matrix-Password-42",
            })),
            ("POST", "/api/v1/people") => Body::Json(json!({
                "login": format!("mx.new{n}"), "display_name": format!("Matrix {n}"),
                "password": "Matrix-Password-42",
                "position": { "node_id": c.c_sh1, "role": "sales_rep" },
            })),
            ("PATCH", "/api/v1/people/{id}") => Body::Json(json!({ "display_name": format!("Renamed {n}") })),
            ("POST", "/api/v1/people/{id}/move") => Body::Json(json!({ "node_id": c.c_js1, "role": "sales_rep" })),
            ("POST", "/api/v1/people/{id}/deactivate") => Body::None,
            ("POST", "/api/v1/people/{id}/reactivate") => Body::Json(json!({ "node_id": c.c_sh1, "role": "sales_rep" })),
            ("POST", "/api/v1/people/{id}/password-reset") => Body::Json(json!({ "password": "Matrix-Reset-4242" })),
            ("POST", "/api/v1/people/{id}/tokens") => Body::Json(json!({ "name": format!("matrix {n}") })),
            ("DELETE", "/api/v1/tokens/{id}") => Body::None,
            ("POST", "/api/v1/org-nodes") => Body::Json(json!({
                "parent_id": c.a_sh, "kind": "city", "code": format!("MX-{n}"),
                "name_zh": format!("矩阵{n}"), "name_en": format!("Matrix {n}"),
            })),
            ("PATCH", "/api/v1/org-nodes/{id}") => Body::Json(json!({ "name_zh": format!("改名{n}"), "name_en": format!("Renamed {n}") })),
            ("POST", "/api/v1/org-nodes/{id}/move") => Body::Json(json!({ "parent_id": c.a_js })),
            // orders, credit & approvals (a create's dealer is set per caller in `Matrix::run`)
            ("POST", "/api/v1/orders") => Body::Json(json!({
                "dealer_id": 0, "lines": [{ "product_id": c.product, "quantity": 1 }], "draft": true,
            })),
            ("PATCH", "/api/v1/orders/{id}") => Body::Json(json!({ "lines": [{ "product_id": c.product, "quantity": 2 }] })),
            ("POST", "/api/v1/orders/{id}/confirm") | ("POST", "/api/v1/orders/{id}/reopen") => Body::None,
            ("POST", "/api/v1/orders/{id}/cancel") => Body::Json(json!({ "reason": "matrix" })),
            ("POST", "/api/v1/orders/{id}/owners") => Body::Json(json!({})),
            ("POST", "/api/v1/dealers/{id}/temporary-credit") => Body::Json(json!({ "amount_fen": 100_000, "valid_to": "2999-01-01" })),
            ("POST", "/api/v1/approvals/{id}/approve") => Body::None,
            ("POST", "/api/v1/approvals/{id}/reject") | ("POST", "/api/v1/approvals/{id}/send-back") => Body::Json(json!({ "reason": "matrix" })),
            ("POST", "/api/v1/delegations") => Body::Json(json!({ "to_person": 0, "valid_to": "2999-01-01" })),
            // shipments & billing (API)
            ("POST", "/api/v1/shipments") => Body::Json(json!({
                "order_id": c.ship_order, "lines": [{ "line_no": 1, "quantity": 1 }], "carrier": "matrix",
            })),
            ("POST", "/api/v1/shipments/{id}/ship") | ("POST", "/api/v1/shipments/{id}/deliver") | ("POST", "/api/v1/shipments/{id}/invoice") => Body::None,
            ("POST", "/api/v1/shipments/{id}/pack") => Body::None,
            ("POST", "/api/v1/shipments/{id}/cancel") => Body::Json(json!({ "reason": "matrix" })),
            ("DELETE", "/api/v1/delegations/{id}") => Body::None,
            ("POST", "/api/v1/invoices/{id}/cancel") => Body::Json(json!({ "reason": "matrix" })),
            ("POST", "/api/v1/invoices/{id}/credit-notes") => Body::Json(json!({ "amount_fen": 10, "reason": "matrix" })),
            ("POST", "/api/v1/transfers") => Body::Json(json!({ "source_dealer_id": 0, "target_dealer_id": 0, "lines": [{ "product_id": 0, "quantity": 1, "unit_price_fen": 50 }] })),
            // a visit's dealer is set per caller in `for_caller`
            ("POST", "/api/v1/visits") => Body::Json(json!({ "dealer_id": 0, "visited_at": "2026-01-05T10:00", "purpose": "matrix" })),
            ("POST", "/api/v1/transfers/{id}/cancel") => Body::Json(json!({ "reason": "matrix" })),
            ("POST", "/api/v1/invoices/{id}/returns") => Body::Json(json!({ "reason": "matrix", "lines": [{ "line_no": 1, "quantity": 1 }] })),
            ("POST", "/api/v1/returns/{id}/cancel") => Body::Json(json!({ "reason": "matrix" })),
            ("POST", "/api/v1/returns/{id}/resubmit") | ("POST", "/api/v1/returns/{id}/receive") | ("POST", "/api/v1/returns/{id}/inspect") | ("POST", "/api/v1/returns/{id}/credit") => Body::None,
            ("POST", "/api/v1/dealers/{id}/payments") => Body::Json(json!({ "amount_fen": 1000 })),
            // plans and targets (a throwaway 2030-Q1 target of 1200 / 2030 plan per write)
            ("POST", "/api/v1/targets") => Body::Json(json!({
                "metric": "ordered_amount", "amount": 100, "owner_node": c.c_sh1, "period": "2030-03", "parent_id": c.target_parent,
            })),
            ("PATCH", "/api/v1/targets/{id}") => Body::Json(json!({ "amount": 1200 })),
            ("POST", "/api/v1/targets/{id}/submission") => Body::Json(json!({ "amount": 1100 })),
            ("POST", "/api/v1/targets/{id}/cascade-proposal") => Body::Json(json!({ "by": "months" })),
            ("POST", "/api/v1/targets/{id}/cascade") => Body::Json(json!({ "parts": [
                { "period": "2030-01", "amount": 400 }, { "period": "2030-02", "amount": 400 }, { "period": "2030-03", "amount": 400 },
            ] })),
            ("POST", "/api/v1/plans") => Body::Json(json!({ "name": format!("matrix {n}"), "top": {
                "metric": "ordered_amount", "amount": 100, "owner_node": c.c_sh1, "period": "2030", "parent_id": c.target_parent,
            } })),
            ("POST", "/api/v1/plans/{id}/submit") => Body::None,
            ("POST", "/api/v1/plans/{id}/versions") => Body::Json(json!({ "reason": "matrix" })),
            ("POST", "/api/v1/focus") => Body::Json(json!({ "month": "2030-01", "items": [{ "title": format!("matrix {n}") }] })),
            // dealers & catalogue (API); field staff add dealers they own at their own unit
            ("POST", "/api/v1/dealers") if field_staff => Body::Json(json!({
                "code": format!("MXD-{n}"), "name": format!("矩阵经销商{n}"),
            })),
            ("POST", "/api/v1/dealers") => Body::Json(json!({
                "code": format!("MXD-{n}"), "name": format!("矩阵经销商{n}"),
                "node_id": c.c_sh1, "owner_id": c.rep_sh1,
            })),
            ("PATCH", "/api/v1/dealers/{id}") => Body::Json(json!({ "name": format!("改名经销商{n}") })),
            ("POST", "/api/v1/dealers/{id}/transition") => Body::Json(json!({ "status": "evaluating", "reason": "matrix" })),
            ("POST", "/api/v1/dealers/{id}/terms") => Body::Json(json!({ "credit_limit_fen": 100_000 + i64::from(n) })),
            ("POST", "/api/v1/dealers/{id}/contacts") => Body::Json(json!({ "name": format!("联系人{n}") })),
            ("POST", "/api/v1/dealers/{id}/feedback") | ("POST", "/api/v1/feedback") => Body::Json(json!({ "kind": "price", "body": format!("matrix {n}") })),
            ("POST", "/api/v1/product-lines") => Body::Json(json!({ "code": format!("MXL-{n}"), "name_zh": "矩阵", "name_en": "Matrix" })),
            ("POST", "/api/v1/products") => Body::Json(json!({
                "code": format!("MXPR-{n}"), "name_zh": "矩阵", "name_en": "Matrix", "line_id": c.dx_line,
                "unit": "瓶", "case_size": 12, "tax_rate_bp": 1300,
            })),
            ("PATCH", "/api/v1/products/{id}") => Body::Json(json!({
                "name_zh": "柠檬茶 500ml", "name_en": "Lemon tea 500ml", "line_id": c.dx_line,
                "unit": "瓶", "case_size": 15, "tax_rate_bp": 1300,
            })),
            ("POST", "/api/v1/price-lists") => Body::Json(json!({ "code": format!("MXPL-{n}"), "name": "Matrix", "kind": "dealer" })),
            ("POST", "/api/v1/price-lists/{id}/prices") => Body::Json(json!({
                "product_id": c.dx_product, "price_fen": 1000, "valid_from": future_day(n),
            })),
            ("POST", "/api/v1/quotas") => Body::Json(json!({ "product_id": c.dx_product, "node_id": c.c_sh1, "period": "2030-01", "quantity": 10 })),
            // imports (API): a check (dry run) of a one-line CSV writes nothing ("code\nX\n")
            ("POST", "/api/v1/imports/dealers") | ("POST", "/api/v1/imports/products") | ("POST", "/api/v1/imports/prices")
            | ("POST", "/api/v1/imports/receivables") | ("POST", "/api/v1/imports/orders")
            | ("POST", "/api/v1/imports/people") => Body::Json(json!({ "content_base64": "Y29kZQpYCg==", "dry_run": true })),
            // dealers & catalogue (pages)
            ("POST", "/dealers") if field_staff => f(&[("code", format!("MXDP-{n}")), ("name", format!("矩阵页面经销商{n}"))]),
            ("POST", "/dealers") => f(&[
                ("code", format!("MXDP-{n}")), ("name", format!("矩阵页面经销商{n}")),
                ("node_id", c.c_sh1.to_string()), ("owner_id", c.rep_sh1.to_string()),
            ]),
            ("POST", "/dealers/{id}/transition") => f(&[("status", "evaluating".into()), ("reason", "matrix".into())]),
            ("POST", "/dealers/{id}/terms") => f(&[("credit_limit_yuan", format!("{}", 1000 + n))]),
            ("POST", "/dealers/{id}/feedback") | ("POST", "/feedback") => f(&[("kind", "competitor".into()), ("body", format!("matrix {n}"))]),
            ("POST", "/price-lists/{id}/prices") => f(&[
                ("product_id", c.dx_product.to_string()), ("price_yuan", "12.50".into()), ("valid_from", future_day(n)),
            ]),
            // pages
            ("POST", "/orders") => f(&[
                ("dealer_id", "0".into()), ("product_1", c.product.to_string()),
                ("quantity_1", "1".into()), ("draft", "1".into()),
            ]),
            ("POST", "/visits") => f(&[("dealer_id", "0".into()), ("visited_at", "2026-01-05T10:00".into()), ("purpose", "matrix".into())]),
            ("POST", "/orders/{id}/confirm") | ("POST", "/orders/{id}/cancel") | ("POST", "/orders/{id}/reopen") => f(&[]),
            ("POST", "/shipments") => f(&[("order_id", c.ship_order.to_string()), ("qty_1", "1".into()), ("carrier", "matrix".into())]),
            ("POST", "/shipments/{id}/ship") | ("POST", "/shipments/{id}/deliver") | ("POST", "/shipments/{id}/invoice") => f(&[]),
            ("POST", "/invoices/{id}/cancel") => f(&[("reason", "matrix".into())]),
            ("POST", "/invoices/{id}/credit-notes") => f(&[("amount", "0.10".into()), ("reason", "matrix".into())]),
            ("POST", "/products") => f(&[
                ("code", format!("MXPP-{n}")), ("name_zh", "矩阵".into()), ("name_en", "Matrix".into()),
                ("line_id", c.dx_line.to_string()), ("unit", "瓶".into()), ("case_size", "12".into()), ("tax_percent", "13".into()),
            ]),
            ("POST", "/products/{id}") => f(&[
                ("name_zh", "柠檬茶 500ml".into()), ("name_en", "Lemon tea 500ml".into()), ("line_id", c.dx_line.to_string()),
                ("unit", "瓶".into()), ("case_size", "15".into()), ("tax_percent", "13".into()),
            ]),
            ("POST", "/product-lines") => f(&[("code", format!("MXLP-{n}")), ("name_zh", "矩阵".into()), ("name_en", "Matrix".into())]),
            ("POST", "/quotas") => f(&[
                ("product_id", c.dx_product.to_string()), ("node_id", c.c_sh1.to_string()),
                ("period", "2030-02".into()), ("quantity", "10".into()),
            ]),
            ("POST", "/transfers") => f(&[("source_dealer_id", "0".into()), ("target_dealer_id", "0".into()), ("product_1", "0".into()), ("qty_1", "1".into()), ("price_1", "0.50".into())]),
            ("POST", "/transfers/{id}/cancel") => f(&[("reason", "matrix".into())]),
            ("POST", "/invoices/{id}/returns") => f(&[("reason", "matrix".into()), ("qty_1", "1".into())]),
            ("POST", "/returns/{id}/cancel") => f(&[("reason", "matrix".into())]),
            ("POST", "/returns/{id}/resubmit") | ("POST", "/returns/{id}/receive") | ("POST", "/returns/{id}/inspect") | ("POST", "/returns/{id}/credit") => f(&[]),
            ("POST", "/shipments/{id}/pack") => f(&[]),
            ("POST", "/shipments/{id}/cancel") => f(&[("reason", "matrix".into())]),
            ("POST", "/orders/{id}/lines") => f(&[("product_1", c.product.to_string()), ("quantity_1", "2".into())]),
            ("POST", "/orders/{id}/owners") => f(&[]),
            ("POST", "/approvals/delegations") => f(&[("to_person", "0".into()), ("valid_to", "2999-01-01".into())]),
            ("POST", "/approvals/delegations/{id}/revoke") => f(&[]),
            ("POST", "/dealers/{id}/payments") => f(&[("amount", "10.00".into())]),
            ("POST", "/approvals/{id}/approve") => f(&[]),
            ("POST", "/approvals/{id}/reject") | ("POST", "/approvals/{id}/send-back") => f(&[("reason", "matrix".into())]),
            ("POST", "/dealers/{id}/temporary-credit") => f(&[("amount", "1000".into()), ("valid_to", "2999-01-01".into())]),
            ("POST", "/people") => f(&[
                ("login", format!("mx.page{n}")), ("display_name", format!("Matrix {n}")),
                ("password", "Matrix-Password-42".into()), ("node_id", c.c_sh1.to_string()),
                ("role", "sales_rep".into()), ("effective_from", "2024-01-01".into()),
            ]),
            ("POST", "/people/{id}/profile") => f(&[("display_name", format!("Renamed {n}"))]),
            ("POST", "/people/{id}/move") => f(&[("node_id", c.c_js1.to_string()), ("role", "sales_rep".into())]),
            ("POST", "/people/{id}/deactivate") => f(&[]),
            ("POST", "/people/{id}/reactivate") => f(&[("node_id", c.c_sh1.to_string()), ("role", "sales_rep".into())]),
            ("POST", "/people/{id}/password-reset") => f(&[]),
            ("POST", "/people/{id}/tokens") => f(&[("name", format!("matrix {n}"))]),
            ("POST", "/tokens/{id}/revoke") => f(&[]),
            ("POST", "/org") => f(&[
                ("parent_id", c.a_sh.to_string()), ("kind", "city".into()), ("code", format!("MXP-{n}")),
                ("name_zh", format!("矩阵{n}")), ("name_en", format!("Matrix {n}")),
            ]),
            ("POST", "/org/{id}") => f(&[("name_zh", format!("改名{n}")), ("name_en", format!("Renamed {n}")), ("active", "on".into())]),
            ("POST", "/org/{id}/move") => f(&[("parent_id", c.a_js.to_string())]),
            // plans and targets (pages): the same throwaway 2030 targets and plans as the API
            ("POST", "/targets") => f(&[
                ("metric", "ordered_amount".into()), ("amount", "1.00".into()), ("owner", format!("node:{}", c.c_sh1)),
                ("period", "2030-03".into()), ("parent_id", c.target_parent.to_string()),
            ]),
            ("POST", "/targets/{id}/submission") => f(&[("amount", "11.00".into())]),
            ("POST", "/targets/{id}/cascade") => f(&[
                ("by", "months".into()), ("action", "save".into()),
                ("amount_0", "4.00".into()), ("amount_1", "4.00".into()), ("amount_2", "4.00".into()),
            ]),
            ("POST", "/plans") => f(&[
                ("name", format!("matrix page {n}")), ("metric", "ordered_amount".into()), ("amount", "1.00".into()),
                ("owner", format!("node:{}", c.c_sh1)), ("period", "2030".into()), ("parent_id", c.target_parent.to_string()),
            ]),
            ("POST", "/plans/{id}/submit") => f(&[]),
            ("POST", "/plans/{id}/versions") => f(&[("reason", "matrix".into())]),
            ("POST", "/focus") => f(&[("month", "2030-01".into()), ("title_1", format!("matrix {n}"))]),
            _ => {
                return Err(format!(
                    "no permission-matrix fixture for {} (target {:?}, access {:?}): add a request body to Fixture::body_of in crates/web/tests/permission_matrix.rs",
                    name(def),
                    def.target,
                    def.access
                ))
            }
        };
        Ok(body)
    }
}

/// A day after every demo price, later for every call (a new price must start after the last).
fn future_day(n: u32) -> String {
    let day =
        chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap() + chrono::Days::new(u64::from(n));
    day.to_string()
}

/// One role login with its fixtures.
struct Who {
    login: &'static str,
    role: Role,
    id: i64,
    token: String,
    /// Signed-in browser session (page routes only).
    session: Option<(reqwest::Client, String)>,
    /// Another person inside the scope (for own-records roles: themself).
    person_in: i64,
    person_out: Option<i64>,
    node_in: i64,
    node_out: Option<i64>,
    /// A demo dealer inside / outside the scope.
    dealer_in: i64,
    dealer_out: Option<i64>,
    /// Where throwaway dealers for this person are created: (owner, unit).
    dealer_home: (i64, i64),
}

async fn who(t: &TestApp, login: &'static str, with_session: bool) -> Who {
    let person = t.person(login).await;
    let role = Role::parse(person.role.as_deref().unwrap()).unwrap();
    let (person_in, person_out, node_in, node_out) = match login {
        "admin" | "director" | "desk" | "billing" | "finance" | "warehouse" => {
            ("am.sh", None, "M-E", None)
        }
        "mm.e" => ("am.sh", Some("am.bj"), "A-SH", Some("M-N")),
        "am.sh" => ("rep.sh1.1", Some("rep.js1.1"), "C-SH1", Some("A-JS")),
        "kam.sh" => ("kam.sh", Some("rep.sh1.1"), "A-SH", Some("A-JS")),
        "rep.sh1.1" => ("rep.sh1.1", Some("kam.sh"), "C-SH1", Some("C-JS1")),
        other => panic!("no scope fixture for the role login {other}"),
    };
    let (dealer_in, dealer_out) = match login {
        "mm.e" => ("D-SH1-001", Some("D-BJ1-001")),
        "am.sh" => ("D-SH1-001", Some("D-JS1-001")),
        "kam.sh" => ("D-SH-K1", Some("D-SH1-001")),
        "rep.sh1.1" => ("D-SH1-001", Some("D-SH-K1")),
        _ => ("D-SH1-001", None),
    };
    let dealer_home = if role.scope_kind() == salesos_domain::roles::ScopeKind::Own {
        (person.id, person.node_id.unwrap())
    } else {
        (t.person_id("rep.sh1.1").await, t.node_id("C-SH1").await)
    };
    let session = if with_session {
        let client = t.sign_in_demo(login).await;
        let csrf = t.csrf_of(&client).await;
        Some((client, csrf))
    } else {
        None
    };
    Who {
        login,
        role,
        id: person.id,
        token: t.token_for(login).await,
        session,
        person_in: t.person_id(person_in).await,
        person_out: match person_out {
            Some(l) => Some(t.person_id(l).await),
            None => None,
        },
        node_in: t.node_id(node_in).await,
        node_out: match node_out {
            Some(c) => Some(t.node_id(c).await),
            None => None,
        },
        dealer_in: builders::dealer_id(t, dealer_in).await,
        dealer_out: match dealer_out {
            Some(c) => Some(builders::dealer_id(t, c).await),
            None => None,
        },
        dealer_home,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// No record in the path.
    Plain,
    /// The caller's own record (or own token).
    Own,
    InScope,
    OutOfScope,
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allowed,
    Forbidden,
    NotFound,
}

fn expectation(def: &RouteDef, role: Role, case: Case) -> Expect {
    let capable = |cap: Capability| role.can(cap);
    match def.access {
        Access::Public | Access::SignedIn => Expect::Allowed,
        Access::Requires(cap) if !capable(cap) => Expect::Forbidden,
        Access::SelfOr(_) if case == Case::Own => Expect::Allowed,
        Access::SelfOr(cap) if !capable(cap) => {
            if def.target == Target::Token {
                Expect::NotFound
            } else {
                Expect::Forbidden
            }
        }
        Access::Requires(_) | Access::SelfOr(_) => match case {
            Case::Plain | Case::Own | Case::InScope => Expect::Allowed,
            Case::OutOfScope | Case::Missing => Expect::NotFound,
        },
    }
}

/// The records a route is tried on for one role: (case, path).
struct Attempt {
    case: Case,
    path: String,
    detail: String,
}

struct Matrix<'a> {
    t: &'a TestApp,
    ctx: Ctx,
    ox: OrderFixtures,
    tx: salesos_test_support::target_fixtures::MatrixTargets,
    admin_token: String,
    failures: Vec<String>,
    checked: usize,
}

impl Matrix<'_> {
    async fn throwaway_person(&self, deactivated: bool) -> i64 {
        let n = serial();
        let login = format!("mx.tmp{n}");
        let p = self
            .t
            .create_person(&self.admin_token, &login, self.ctx.c_sh1, "sales_rep")
            .await;
        let id = p["id"].as_i64().unwrap();
        if deactivated {
            let res = self
                .t
                .api_client()
                .post(self.t.url(&format!("/api/v1/people/{id}/deactivate")))
                .bearer_auth(&self.admin_token)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "deactivating a throwaway person");
        }
        id
    }

    async fn throwaway_node(&self) -> i64 {
        let n = serial();
        let res = self
            .t
            .api_client()
            .post(self.t.url("/api/v1/org-nodes"))
            .bearer_auth(&self.admin_token)
            .json(&json!({ "parent_id": self.ctx.a_sh, "kind": "city", "code": format!("MXT-{n}"), "name_zh": format!("临时{n}"), "name_en": format!("Temp {n}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            201,
            "creating a throwaway unit: {}",
            res.text().await.unwrap()
        );
        res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
    }

    async fn throwaway_dealer(&self, (owner, node): (i64, i64)) -> i64 {
        let n = serial();
        let res = self
            .t
            .api_client()
            .post(self.t.url("/api/v1/dealers"))
            .bearer_auth(&self.admin_token)
            .json(&json!({ "code": format!("MXTD-{n}"), "name": format!("临时经销商{n}"), "node_id": node, "owner_id": owner }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            201,
            "creating a throwaway dealer: {}",
            res.text().await.unwrap()
        );
        res.json::<Value>().await.unwrap()["dealer"]["id"]
            .as_i64()
            .unwrap()
    }

    /// The records to try `def` on for `w`.
    async fn attempts(&self, def: &RouteDef, w: &Who) -> Vec<Attempt> {
        let fill = |id: i64| def.path.replace("{id}", &id.to_string());
        let mut out = Vec::new();
        match def.target {
            Target::None => out.push(Attempt {
                case: Case::Plain,
                path: def.path.to_string(),
                detail: String::new(),
            }),
            Target::Person => {
                if matches!(def.access, Access::SelfOr(_)) {
                    out.push(Attempt {
                        case: Case::Own,
                        path: fill(w.id),
                        detail: "own record".into(),
                    });
                }
                if w.person_in != w.id || !matches!(def.access, Access::SelfOr(_)) {
                    let case = if w.person_in == w.id {
                        Case::Own
                    } else {
                        Case::InScope
                    };
                    out.push(Attempt {
                        case,
                        path: fill(w.person_in),
                        detail: format!("person {} in scope", w.person_in),
                    });
                }
                if let Some(out_id) = w.person_out {
                    out.push(Attempt {
                        case: Case::OutOfScope,
                        path: fill(out_id),
                        detail: format!("person {out_id} out of scope"),
                    });
                }
                out.push(Attempt {
                    case: Case::Missing,
                    path: fill(MISSING),
                    detail: "no such person".into(),
                });
            }
            Target::OrgNode => {
                out.push(Attempt {
                    case: Case::InScope,
                    path: fill(w.node_in),
                    detail: format!("node {} in scope", w.node_in),
                });
                if let Some(out_id) = w.node_out {
                    out.push(Attempt {
                        case: Case::OutOfScope,
                        path: fill(out_id),
                        detail: format!("node {out_id} out of scope"),
                    });
                }
                out.push(Attempt {
                    case: Case::Missing,
                    path: fill(MISSING),
                    detail: "no such node".into(),
                });
            }
            Target::Token => {
                let (_, own) = self.t.token_for_person(w.id).await;
                out.push(Attempt {
                    case: Case::Own,
                    path: fill(own),
                    detail: "own token".into(),
                });
                if w.person_in != w.id {
                    let (_, tok) = self.t.token_for_person(w.person_in).await;
                    out.push(Attempt {
                        case: Case::InScope,
                        path: fill(tok),
                        detail: format!("token of person {} in scope", w.person_in),
                    });
                }
                if let Some(p) = w.person_out {
                    let (_, tok) = self.t.token_for_person(p).await;
                    out.push(Attempt {
                        case: Case::OutOfScope,
                        path: fill(tok),
                        detail: format!("token of person {p} out of scope"),
                    });
                }
                out.push(Attempt {
                    case: Case::Missing,
                    path: fill(MISSING),
                    detail: "no such token".into(),
                });
            }
            Target::Order
            | Target::Approval
            | Target::Shipment
            | Target::Invoice
            | Target::Payment
            | Target::Return
            | Target::Transfer
            | Target::CreditNote => {
                let (inside, outside) = match def.target {
                    Target::Order => self.ox.orders_of(w.login),
                    Target::Approval => self.ox.approvals_of(w.login),
                    other => self.ox.billing_of(other, w.login),
                };
                out.push(Attempt {
                    case: Case::InScope,
                    path: fill(inside),
                    detail: format!("{:?} {inside} in scope", def.target),
                });
                if let Some(o) = outside {
                    out.push(Attempt {
                        case: Case::OutOfScope,
                        path: fill(o),
                        detail: format!("{:?} {o} out of scope", def.target),
                    });
                }
                out.push(Attempt {
                    case: Case::Missing,
                    path: fill(MISSING),
                    detail: format!("no such {:?}", def.target),
                });
            }
            Target::SalesTarget | Target::Plan => {
                let (inside, outside) = if def.target == Target::Plan {
                    self.tx.plans_of(w.login)
                } else {
                    self.tx.targets_of(w.login)
                };
                out.push(Attempt {
                    case: Case::InScope,
                    path: fill(inside),
                    detail: format!("{:?} {inside} in scope", def.target),
                });
                if let Some(o) = outside {
                    out.push(Attempt {
                        case: Case::OutOfScope,
                        path: fill(o),
                        detail: format!("{:?} {o} out of scope", def.target),
                    });
                }
                out.push(Attempt {
                    case: Case::Missing,
                    path: fill(MISSING),
                    detail: format!("no such {:?}", def.target),
                });
            }
            Target::Delegation => {
                // the caller's own delegation (someone else's when they cannot delegate, so
                // the refusal is for the capability), another person's, and none at all
                let own_from = if w.role.can(Capability::Approve) {
                    w.id
                } else {
                    self.ox.director
                };
                let other_from = if w.id == self.ox.director {
                    self.ox.mm_e
                } else {
                    self.ox.director
                };
                let own = self.ox.throwaway_delegation(self.t, own_from).await;
                out.push(Attempt {
                    case: Case::InScope,
                    path: fill(own),
                    detail: format!("delegation {own} of the caller"),
                });
                if other_from != own_from {
                    let other = self.ox.throwaway_delegation(self.t, other_from).await;
                    out.push(Attempt {
                        case: Case::OutOfScope,
                        path: fill(other),
                        detail: format!("delegation {other} of person {other_from}"),
                    });
                }
                out.push(Attempt {
                    case: Case::Missing,
                    path: fill(MISSING),
                    detail: "no such delegation".into(),
                });
            }
            Target::Dealer => {
                // the price lookup needs its query
                let fill = |id: i64| {
                    let path = fill(id);
                    if path.ends_with("/price") {
                        format!("{path}?product_id={}&date=2025-08-01", self.ctx.dx_product)
                    } else {
                        path
                    }
                };
                out.push(Attempt {
                    case: Case::InScope,
                    path: fill(w.dealer_in),
                    detail: format!("dealer {} in scope", w.dealer_in),
                });
                if let Some(out_id) = w.dealer_out {
                    out.push(Attempt {
                        case: Case::OutOfScope,
                        path: fill(out_id),
                        detail: format!("dealer {out_id} out of scope"),
                    });
                }
                out.push(Attempt {
                    case: Case::Missing,
                    path: fill(MISSING),
                    detail: "no such dealer".into(),
                });
            }
            Target::Product | Target::PriceList => {
                let id = if def.target == Target::Product {
                    self.ctx.dx_product
                } else {
                    self.ctx.dx_price_list
                };
                out.push(Attempt {
                    case: Case::InScope,
                    path: fill(id),
                    detail: format!("{:?} {id} (company-wide)", def.target),
                });
                out.push(Attempt {
                    case: Case::Missing,
                    path: fill(MISSING),
                    detail: format!("no such {:?}", def.target),
                });
            }
            Target::AuditRecord => {
                let audit = |entity: &str, id: i64| {
                    def.path
                        .replace("{entity}", entity)
                        .replace("{id}", &id.to_string())
                };
                let person_case = if w.person_in == w.id {
                    Case::Own
                } else {
                    Case::InScope
                };
                out.push(Attempt {
                    case: person_case,
                    path: audit("person", w.person_in),
                    detail: "person history in scope".into(),
                });
                out.push(Attempt {
                    case: Case::InScope,
                    path: audit("org_node", w.node_in),
                    detail: "unit history in scope".into(),
                });
                if let Some(p) = w.person_out {
                    out.push(Attempt {
                        case: Case::OutOfScope,
                        path: audit("person", p),
                        detail: "person history out of scope".into(),
                    });
                }
                if let Some(nd) = w.node_out {
                    out.push(Attempt {
                        case: Case::OutOfScope,
                        path: audit("org_node", nd),
                        detail: "unit history out of scope".into(),
                    });
                }
                out.push(Attempt {
                    case: Case::Missing,
                    path: audit("person", MISSING),
                    detail: "history of no such person".into(),
                });
                out.push(Attempt {
                    case: Case::Missing,
                    path: audit("no_such_entity", w.person_in),
                    detail: "history of an unknown kind of record".into(),
                });
            }
        }
        out
    }

    async fn run(&mut self, def: &RouteDef, w: &Who) {
        let is_api = def.is_api();
        for mut attempt in self.attempts(def, w).await {
            let expect = expectation(def, w.role, attempt.case);
            // A write that should succeed gets a throwaway record, so fixtures stay as they are.
            if expect == Expect::Allowed
                && def.method != Method::GET
                && attempt.case == Case::InScope
            {
                match def.target {
                    Target::Person => {
                        let id = self
                            .throwaway_person(def.path.ends_with("/reactivate"))
                            .await;
                        attempt.path = def.path.replace("{id}", &id.to_string());
                        attempt.detail = format!("throwaway person {id} in scope");
                    }
                    Target::OrgNode => {
                        let id = self.throwaway_node().await;
                        attempt.path = def.path.replace("{id}", &id.to_string());
                        attempt.detail = format!("throwaway unit {id} in scope");
                    }
                    Target::Order => {
                        let id = self
                            .ox
                            .throwaway_order(self.t, w.login, def.path.ends_with("/reopen"))
                            .await;
                        attempt.path = def.path.replace("{id}", &id.to_string());
                        attempt.detail = format!("throwaway order {id} in scope");
                    }
                    Target::Approval => {
                        let id = self
                            .ox
                            .throwaway_approval(self.t, w.role == Role::Director)
                            .await;
                        attempt.path = def.path.replace("{id}", &id.to_string());
                        attempt.detail = format!("throwaway approval {id} in scope");
                    }
                    Target::Invoice if def.path.ends_with("/returns") => {
                        let id = self.ox.throwaway_sold_invoice(self.t, w.login).await;
                        attempt.path = def.path.replace("{id}", &id.to_string());
                        attempt.detail = format!("throwaway invoice {id} in scope");
                    }
                    Target::Transfer => {
                        let id = self.ox.throwaway_transfer(self.t, w.login).await;
                        attempt.path = def.path.replace("{id}", &id.to_string());
                        attempt.detail = format!("throwaway transfer {id} in scope");
                    }
                    Target::Return => {
                        let id = self.ox.throwaway_return(self.t, w.login, def.path).await;
                        attempt.path = def.path.replace("{id}", &id.to_string());
                        attempt.detail = format!("throwaway return {id} in scope");
                    }
                    Target::Shipment | Target::Invoice => {
                        let id = self.ox.throwaway_billing(self.t, def.path).await;
                        attempt.path = def.path.replace("{id}", &id.to_string());
                        attempt.detail = format!("throwaway {:?} {id} in scope", def.target);
                    }
                    Target::SalesTarget => {
                        let id = self.tx.throwaway_target(self.t, w.login).await;
                        attempt.path = def.path.replace("{id}", &id.to_string());
                        attempt.detail = format!("throwaway target {id} in scope");
                    }
                    Target::Plan => {
                        let approved = def.path.ends_with("/versions");
                        let id = self.tx.throwaway_plan(self.t, w.login, approved).await;
                        attempt.path = def.path.replace("{id}", &id.to_string());
                        attempt.detail = format!("throwaway plan {id} in scope");
                    }
                    Target::Dealer => {
                        let id = self.throwaway_dealer(w.dealer_home).await;
                        attempt.path = def.path.replace("{id}", &id.to_string());
                        attempt.detail = format!("throwaway dealer {id} in scope");
                    }
                    _ => {}
                }
            }
            let field_staff = w.role.scope_kind() == salesos_domain::roles::ScopeKind::Own;
            let body = match Fixture::body_of(def, &self.ctx, field_staff) {
                Ok(b) => b,
                Err(e) => {
                    self.failures.push(e);
                    return;
                }
            };
            let body = self.ox.for_caller(def, w, body);
            let audit_before = self.t.last_audit_id().await;
            let (status, loc, text) = self.send(def, w, &attempt.path, body).await;
            self.checked += 1;
            let what = format!(
                "{} {} as {} ({}; {:?}): expected {:?}, got {} {}",
                def.method,
                attempt.path,
                w.login,
                attempt.detail,
                attempt.case,
                expect,
                status,
                if loc.is_empty() {
                    String::new()
                } else {
                    format!("→ {loc}")
                },
            );
            let snippet: String = text.chars().take(300).collect();
            let ok = match expect {
                Expect::Allowed => {
                    if is_api {
                        (200..300).contains(&status)
                    } else {
                        (200..300).contains(&status)
                            || ((300..400).contains(&status) && !loc.starts_with("/signin"))
                    }
                }
                Expect::Forbidden => status == 403,
                Expect::NotFound => status == 404,
            };
            if !ok {
                self.failures.push(format!("{what}\n    {snippet}"));
                continue;
            }
            if expect != Expect::Allowed {
                let written = self.t.audit_since(audit_before).await;
                if !written.is_empty() {
                    self.failures.push(format!(
                        "{what}: a refused request wrote audit entries {:?}",
                        written.iter().map(|r| &r.operation).collect::<Vec<_>>()
                    ));
                }
                if is_api && !text.contains("\"code\"") {
                    self.failures.push(format!(
                        "{what}: the refusal is not a problem document: {snippet}"
                    ));
                }
            }
        }
    }

    async fn send(&self, def: &RouteDef, w: &Who, path: &str, body: Body) -> (u16, String, String) {
        let url = self.t.url(path);
        let req = if def.is_api() {
            self.t
                .api_client()
                .request(def.method.clone(), url)
                .bearer_auth(&w.token)
        } else {
            let (client, _) = w.session.as_ref().expect("a page session");
            client.request(def.method.clone(), url)
        };
        let req = match body {
            Body::None => req,
            Body::Json(v) => req.json(&v),
            Body::Form(mut pairs) => {
                let (_, csrf) = w.session.as_ref().expect("a page session");
                pairs.push(("_csrf".into(), csrf.clone()));
                req.form(&pairs)
            }
        };
        let res = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{} {path}: {e}", def.method));
        let status = res.status().as_u16();
        let loc = location(&res);
        let text = res.text().await.unwrap_or_default();
        (status, loc, text)
    }
}

async fn ctx_of(t: &TestApp) -> Ctx {
    Ctx {
        c_sh1: t.node_id("C-SH1").await,
        c_js1: t.node_id("C-JS1").await,
        a_sh: t.node_id("A-SH").await,
        a_js: t.node_id("A-JS").await,
        product: 0,
        rep_sh1: t.person_id("rep.sh1.1").await,
        dx_product: builders::product_id(t, "BEV-001").await,
        dx_line: builders::line_id(t, "BEV").await,
        dx_price_list: builders::price_list_id(t, "PL-A").await,
        ship_order: 0,
        target_parent: 0,
    }
}

async fn run_matrix(api: bool) {
    let t = TestApp::spawn().await;
    let ctx = ctx_of(&t).await;
    let admin_token = t.token_for("admin").await;
    let routes: Vec<RouteDef> = matrix_routes()
        .into_iter()
        .filter(|d| d.is_api() == api)
        .collect();
    assert!(!routes.is_empty());
    let ox = OrderFixtures::build(&t).await;
    let tx = salesos_test_support::target_fixtures::MatrixTargets::build(&t).await;
    let ctx = Ctx {
        product: ox.catalogue.product,
        ship_order: ox.ship_order,
        target_parent: tx.company,
        ..ctx
    };
    let mut m = Matrix {
        t: &t,
        ctx,
        ox,
        tx,
        admin_token,
        failures: Vec::new(),
        checked: 0,
    };
    for login in ROLE_LOGINS {
        let w = who(&t, login, !api).await;
        for def in &routes {
            m.run(def, &w).await;
        }
    }
    eprintln!(
        "permission matrix ({}): {} requests checked",
        if api { "API" } else { "pages" },
        m.checked
    );
    assert!(
        m.failures.is_empty(),
        "{} of {} permission checks failed:\n{}",
        m.failures.len(),
        m.checked,
        m.failures.join("\n")
    );
}

#[tokio::test]
async fn api_routes_respect_capability_and_scope() {
    run_matrix(true).await;
}

#[tokio::test]
async fn page_routes_respect_capability_and_scope() {
    run_matrix(false).await;
}

#[tokio::test]
async fn anonymous_callers_reach_no_business_route() {
    let t = TestApp::spawn().await;
    let c = t.client();
    let mut failures = Vec::new();
    for def in route_defs()
        .into_iter()
        .filter(|d| d.access != Access::Public)
    {
        let path = def.path.replace("{entity}", "person").replace("{id}", "1");
        let res = c
            .request(def.method.clone(), t.url(&path))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let loc = location(&res);
        let ok = if def.is_api() {
            status == 401
        } else if def.method == Method::GET {
            status == 303 && loc.starts_with("/signin")
        } else {
            // a form post without a session fails the CSRF check before anything else
            status == 403 || (status == 303 && loc.starts_with("/signin"))
        };
        if !ok {
            failures.push(format!(
                "{} {path} without signing in: {status} {loc}",
                def.method
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Lists contain only what is in scope

async fn get_json(t: &TestApp, token: &str, path: &str) -> (u16, Value) {
    t.api_json(token, reqwest::Method::GET, path, None).await
}

/// Whether `path` lies at or below `ancestor` (materialised paths like `/1/4/`).
fn within(path: &str, ancestor: &str) -> bool {
    path.starts_with(ancestor)
}

#[tokio::test]
async fn lists_contain_only_records_in_scope() {
    let t = TestApp::spawn().await;
    let everyone = {
        let mut conn = t.app.store.read().await.unwrap();
        salesos_store::people::list_all_unscoped(&mut conn)
            .await
            .unwrap()
    };
    let admin = t.token_for("admin").await;
    let all_nodes: Vec<Value> = get_json(&t, &admin, "/api/v1/org-nodes")
        .await
        .1
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(all_nodes.len(), 11, "the tiny demo has 11 units");
    let mut failures = Vec::new();
    for login in ROLE_LOGINS {
        let me = t.person(login).await;
        let role = Role::parse(me.role.as_deref().unwrap()).unwrap();
        let my_node = node_by_id(&t, me.node_id.unwrap()).await;
        let token = t.token_for(login).await;

        // People.
        let (status, people) = get_json(&t, &token, "/api/v1/people?limit=1000").await;
        if role.can(Capability::ViewPeople) {
            let got: BTreeSet<String> = people
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["login"].as_str().unwrap().to_string())
                .collect();
            let expected: BTreeSet<String> = everyone
                .iter()
                .filter(|p| {
                    p.active
                        && p.node_path
                            .as_deref()
                            .is_some_and(|np| within(np, &my_node.path))
                })
                .map(|p| p.login.clone())
                .collect();
            if got != expected {
                failures.push(format!(
                    "{login}: /api/v1/people gave {got:?}, expected {expected:?}"
                ));
            }
        } else if status != 403 {
            failures.push(format!(
                "{login}: /api/v1/people answered {status}, expected 403"
            ));
        }

        // Units.
        let (status, nodes) = get_json(&t, &token, "/api/v1/org-nodes").await;
        assert_eq!(status, 200, "{login} may view the organisation");
        let got: BTreeSet<String> = nodes
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["code"].as_str().unwrap().to_string())
            .collect();
        let expected: BTreeSet<String> = all_nodes
            .iter()
            .filter(|n| {
                let path = n["path"].as_str().unwrap();
                match role.scope_kind() {
                    salesos_domain::roles::ScopeKind::Subtree => within(path, &my_node.path),
                    // field staff: the chain from the company down to their own unit
                    salesos_domain::roles::ScopeKind::Own => within(&my_node.path, path),
                }
            })
            .map(|n| n["code"].as_str().unwrap().to_string())
            .collect();
        if got != expected {
            failures.push(format!(
                "{login}: /api/v1/org-nodes gave {got:?}, expected {expected:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The spelled-out cases.
    let mm_e = t.token_for("mm.e").await;
    let (_, people) = get_json(&t, &mm_e, "/api/v1/people").await;
    let logins: Vec<&str> = people
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["login"].as_str().unwrap())
        .collect();
    for north in [
        "mm.n",
        "am.bj",
        "kam.bj",
        "rep.bj1.1",
        "am.tj",
        "kam.tj",
        "rep.tj1.1",
        "admin",
        "director",
    ] {
        assert!(
            !logins.contains(&north),
            "mm.e must not see {north}: {logins:?}"
        );
    }
    for east in ["mm.e", "am.sh", "kam.sh", "rep.sh1.1", "am.js", "rep.js1.1"] {
        assert!(logins.contains(&east), "mm.e sees {east}: {logins:?}");
    }
    let rep = t.token_for("rep.sh1.1").await;
    let rep_id = t.person_id("rep.sh1.1").await;
    assert_eq!(get_json(&t, &rep, "/api/v1/people").await.0, 403);
    let (status, me) = get_json(&t, &rep, &format!("/api/v1/people/{rep_id}")).await;
    assert_eq!((status, me["login"].as_str()), (200, Some("rep.sh1.1")));
    let (_, nodes) = get_json(&t, &rep, "/api/v1/org-nodes").await;
    let codes: Vec<&str> = nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["HQ", "M-E", "A-SH", "C-SH1"]);
    // the people filter cannot widen the scope
    let north = t.node_id("M-N").await;
    let (status, people) = get_json(
        &t,
        &mm_e,
        &format!("/api/v1/people?node_id={north}&include_inactive=true"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(people.as_array().unwrap().len(), 0, "{people}");
    let (_, people) = get_json(&t, &mm_e, "/api/v1/people?q=bj").await;
    assert_eq!(people.as_array().unwrap().len(), 0, "{people}");
}

async fn node_by_id(t: &TestApp, id: i64) -> salesos_store::org::NodeRow {
    let mut conn = t.app.store.read().await.unwrap();
    salesos_store::org::get_unscoped(&mut conn, id)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn pages_list_only_records_in_scope() {
    let t = TestApp::spawn().await;
    let everyone = {
        let mut conn = t.app.store.read().await.unwrap();
        salesos_store::people::list_all_unscoped(&mut conn)
            .await
            .unwrap()
    };
    let east = t.node("M-E").await.path;
    let north = t.node("M-N").await.path;

    // Market East's manager: everyone in East, nobody from North.
    let mm = t.sign_in_demo("mm.e").await;
    let res = mm.get(t.url("/people")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    for p in &everyone {
        let path = p.node_path.clone().unwrap_or_default();
        let shown = html.contains(&format!("<code>{}</code>", p.login));
        if within(&path, &north) {
            assert!(
                !shown,
                "mm.e's people page shows {} from market North",
                p.login
            );
            assert!(
                !html.contains(&p.display_name),
                "mm.e's people page shows {}'s name",
                p.login
            );
        } else if within(&path, &east) {
            assert!(shown, "mm.e's people page lists {}", p.login);
        }
    }
    let res = mm.get(t.url("/org")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    for code in ["M-N", "A-BJ", "A-TJ", "C-BJ1", "C-TJ1"] {
        let n = t.node(code).await;
        assert!(
            !html.contains(&n.name_zh) && !html.contains(&n.name_en),
            "mm.e's organisation page shows {code}"
        );
    }
    for code in ["M-E", "A-SH", "A-JS", "C-SH1", "C-JS1"] {
        let n = t.node(code).await;
        assert!(
            html.contains(&n.name_zh),
            "mm.e's organisation page shows {code}"
        );
    }

    // A sales rep: no people list; on the home page, only themself.
    let rep = t.sign_in_demo("rep.sh1.1").await;
    assert_eq!(
        rep.get(t.url("/people")).send().await.unwrap().status(),
        403
    );
    let html = rep
        .get(t.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("data-testid=\"people-visible\">1<"),
        "a rep sees only themself: {html}"
    );
    let res = rep.get(t.url("/org")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(&t.node("C-SH1").await.name_zh));
    for code in ["C-JS1", "A-JS", "M-N"] {
        assert!(
            !html.contains(&t.node(code).await.name_zh),
            "the rep's organisation page shows {code}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Orders and approvals fixtures

/// Dealers, orders and approval requests placed so that each role login has one inside and
/// (where its scope has an outside) one outside its scope.
struct OrderFixtures {
    catalogue: salesos_test_support::order_fixtures::Catalogue,
    /// dealer and draft order at C-SH1 owned by rep.sh1.1, at A-SH owned by kam.sh, at C-JS1,
    /// at C-BJ1
    dealers: [i64; 4],
    orders: [i64; 4],
    /// a credit hold waiting for mm.e (market East) and one waiting for mm.n (market North)
    approval_east: i64,
    approval_north: i64,
    director: i64,
    mm_e: i64,
    /// shipments & billing: a confirmed order with plenty to ship at dealers[0], and per dealer
    /// an invoiced shipment, its invoice and a payment
    ship_order: i64,
    shipments: [i64; 4],
    invoices: [i64; 4],
    payments: [i64; 4],
    /// per dealer a credit note of 0.10 against its invoice
    credit_notes: [i64; 4],
    /// a requested return of one unit on each of `invoices`
    returns: [i64; 4],
    /// a requested transfer from each of `dealers` to a second dealer of the same owner
    /// (`transfer_targets`); dealers 0 and 1 hold 20 more units for transfers asked by the matrix
    transfers: [i64; 4],
    transfer_targets: [i64; 4],
}

impl OrderFixtures {
    async fn build(t: &TestApp) -> OrderFixtures {
        use salesos_test_support::order_fixtures::{catalogue, dealer};
        let catalogue = catalogue(t, 100).await;
        let dealers = [
            dealer(t, "C-SH1", "rep.sh1.1", 1_000_000_000).await,
            dealer(t, "A-SH", "kam.sh", 1_000_000_000).await,
            dealer(t, "C-JS1", "rep.js1.1", 1_000_000_000).await,
            dealer(t, "C-BJ1", "rep.bj1.1", 1_000_000_000).await,
        ];
        let mut orders = [0; 4];
        for (i, d) in dealers.iter().enumerate() {
            orders[i] = Self::order(t, *d, catalogue.product, 1, true).await;
        }
        let east = dealer(t, "C-SH1", "rep.sh1.1", 10_000).await;
        let north = dealer(t, "C-BJ1", "rep.bj1.1", 10_000).await;
        let approval_east = Self::held(t, east, catalogue.product, 105).await;
        let approval_north = Self::held(t, north, catalogue.product, 105).await;
        use salesos_test_support::billing_fixtures::{self as bx, Stage};
        let ship_order = bx::confirmed_order(t, dealers[0], catalogue.product, 100_000).await;
        let (mut shipments, mut invoices, mut payments) = ([0; 4], [0; 4], [0; 4]);
        for (i, d) in dealers.iter().enumerate() {
            let o = bx::confirmed_order(t, *d, catalogue.product, 10).await;
            let (s, inv) = bx::shipment(t, o, 2, Stage::Invoiced).await;
            shipments[i] = s;
            invoices[i] = inv.unwrap();
            payments[i] = bx::payment(t, *d, 50).await;
        }
        let mut credit_notes = [0; 4];
        let billing_actor = t.actor("billing").await;
        for (i, inv) in invoices.iter().enumerate() {
            let d = salesos_app::billing::credit_note(
                &t.app,
                &billing_actor,
                *inv,
                10,
                Some("matrix".into()),
            )
            .await
            .unwrap();
            credit_notes[i] = d.credit_notes[0].id;
        }
        let mut returns = [0; 4];
        for (i, inv) in invoices.iter().enumerate() {
            returns[i] = salesos_test_support::return_fixtures::return_at(
                t,
                *inv,
                1,
                salesos_test_support::return_fixtures::ReturnStage::Requested,
            )
            .await;
        }
        let owners = [
            ("C-SH1", "rep.sh1.1"),
            ("A-SH", "kam.sh"),
            ("C-JS1", "rep.js1.1"),
            ("C-BJ1", "rep.bj1.1"),
        ];
        let (mut transfers, mut transfer_targets) = ([0; 4], [0; 4]);
        for (i, (node, owner)) in owners.iter().enumerate() {
            transfer_targets[i] = dealer(t, node, owner, 1_000_000_000).await;
            if i < 2 {
                salesos_test_support::return_fixtures::sold_invoice(
                    t,
                    dealers[i],
                    catalogue.product,
                    20,
                )
                .await;
            }
            transfers[i] =
                Self::transfer(t, dealers[i], transfer_targets[i], catalogue.product).await;
        }
        OrderFixtures {
            ship_order,
            shipments,
            invoices,
            payments,
            credit_notes,
            returns,
            transfers,
            transfer_targets,
            catalogue,
            dealers,
            orders,
            approval_east,
            approval_north,
            director: t.person_id("director").await,
            mm_e: t.person_id("mm.e").await,
        }
    }

    async fn order(t: &TestApp, dealer: i64, product: i64, quantity: i64, draft: bool) -> i64 {
        use salesos_app::orders::{self, Created, LineInput, NewOrderInput};
        let desk = t.actor("desk").await;
        let input = NewOrderInput {
            dealer_id: dealer,
            order_date: None,
            source: None,
            note: None,
            lines: vec![LineInput {
                product_id: product,
                quantity,
                unit_price_fen: None,
            }],
            draft,
        };
        match orders::create(&t.app, &desk, input, None, &|_| String::new()).await {
            Ok(Created::New(d)) => d.order.id,
            other => panic!("creating a fixture order: {:?}", other.err()),
        }
    }

    /// A fresh order put on credit hold; returns its approval request.
    async fn held(t: &TestApp, dealer: i64, product: i64, quantity: i64) -> i64 {
        let id = Self::order(t, dealer, product, quantity, false).await;
        let desk = t.actor("desk").await;
        let d = salesos_app::orders::get(&t.app, &desk, id).await.unwrap();
        assert_eq!(d.order.status, "on_hold", "a fixture hold");
        d.approvals[0].id
    }

    fn dealer_index(login: &str) -> usize {
        match login {
            "kam.sh" => 1,
            _ => 0,
        }
    }

    /// (inside, outside) orders for a login.
    fn orders_of(&self, login: &str) -> (i64, Option<i64>) {
        let o = &self.orders;
        match login {
            "mm.e" => (o[0], Some(o[3])),
            "am.sh" => (o[0], Some(o[2])),
            "kam.sh" => (o[1], Some(o[0])),
            "rep.sh1.1" => (o[0], Some(o[1])),
            _ => (o[0], None),
        }
    }

    /// (inside, outside) shipments, invoices or payments for a login (as for orders).
    fn billing_of(&self, target: Target, login: &str) -> (i64, Option<i64>) {
        let docs = match target {
            Target::Shipment => &self.shipments,
            Target::Invoice => &self.invoices,
            Target::Return => &self.returns,
            Target::Transfer => &self.transfers,
            Target::CreditNote => &self.credit_notes,
            _ => &self.payments,
        };
        match login {
            "mm.e" => (docs[0], Some(docs[3])),
            "am.sh" => (docs[0], Some(docs[2])),
            "kam.sh" => (docs[1], Some(docs[0])),
            "rep.sh1.1" => (docs[0], Some(docs[1])),
            _ => (docs[0], None),
        }
    }

    /// A fresh shipment at the stage the route acts on, or a fresh open invoice.
    async fn throwaway_billing(&self, t: &TestApp, path: &str) -> i64 {
        use salesos_test_support::billing_fixtures::{self as bx, Stage};
        let stage = if path.ends_with("/ship")
            || path.ends_with("/pack")
            || (path.contains("/shipments/") && path.ends_with("/cancel"))
        {
            Stage::Picking
        } else if path.ends_with("/deliver") {
            Stage::Shipped
        } else if path.ends_with("/invoice") {
            Stage::Delivered
        } else {
            Stage::Invoiced
        };
        let (s, inv) = bx::shipment(t, self.ship_order, 1, stage).await;
        if path.contains("/invoices/") {
            inv.unwrap()
        } else {
            s
        }
    }

    /// A delegation `from` gives to someone else who can approve, far in the future.
    async fn throwaway_delegation(&self, t: &TestApp, from: i64) -> i64 {
        let to = if from == self.director {
            self.mm_e
        } else {
            self.director
        };
        let mut tx = t.app.store.begin().await.unwrap();
        let id = salesos_store::approvals::insert_delegation(
            tx.conn(),
            from,
            to,
            "2999-01-01",
            "2999-02-01",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        id
    }

    /// A fresh invoice of two units for the caller's own dealer (returns are asked on it).
    async fn throwaway_sold_invoice(&self, t: &TestApp, login: &str) -> i64 {
        let dealer = self.dealers[Self::dealer_index(login)];
        salesos_test_support::return_fixtures::sold_invoice(t, dealer, self.catalogue.product, 2)
            .await
    }

    /// A transfer of one unit, requested by the order desk.
    async fn transfer(t: &TestApp, source: i64, target: i64, product: i64) -> i64 {
        use salesos_app::transfers::{self, NewTransferInput, TransferLineInput};
        let desk = t.actor("desk").await;
        let input = NewTransferInput {
            source_dealer_id: source,
            target_dealer_id: target,
            transfer_date: None,
            note: None,
            lines: vec![TransferLineInput {
                product_id: product,
                quantity: 1,
                unit_price_fen: 50,
            }],
        };
        transfers::request(&t.app, &desk, input)
            .await
            .expect("a fixture transfer")
            .transfer
            .id
    }

    /// A fresh transfer between the caller's own dealers.
    async fn throwaway_transfer(&self, t: &TestApp, login: &str) -> i64 {
        let i = Self::dealer_index(login);
        Self::transfer(
            t,
            self.dealers[i],
            self.transfer_targets[i],
            self.catalogue.product,
        )
        .await
    }

    /// A fresh return of the caller's own dealer at the stage the route acts on.
    async fn throwaway_return(&self, t: &TestApp, login: &str, path: &str) -> i64 {
        use salesos_test_support::return_fixtures::{return_at, ReturnStage};
        let stage = if path.ends_with("/resubmit") {
            ReturnStage::SentBack
        } else if path.ends_with("/receive") {
            ReturnStage::Approved
        } else if path.ends_with("/inspect") {
            ReturnStage::Received
        } else if path.ends_with("/credit") {
            ReturnStage::Inspected
        } else {
            ReturnStage::Requested
        };
        let invoice = self.throwaway_sold_invoice(t, login).await;
        return_at(t, invoice, 1, stage).await
    }

    fn approvals_of(&self, login: &str) -> (i64, Option<i64>) {
        match login {
            "mm.e" => (self.approval_east, Some(self.approval_north)),
            "am.sh" | "kam.sh" | "rep.sh1.1" => (self.approval_east, Some(self.approval_north)),
            _ => (self.approval_east, None),
        }
    }

    async fn throwaway_order(&self, t: &TestApp, login: &str, cancelled: bool) -> i64 {
        let dealer = self.dealers[Self::dealer_index(login)];
        let id = Self::order(t, dealer, self.catalogue.product, 1, true).await;
        if cancelled {
            let desk = t.actor("desk").await;
            salesos_app::orders::cancel(&t.app, &desk, id, None)
                .await
                .unwrap();
        }
        id
    }

    /// A fresh request waiting for the director (far over the limit) or for mm.e.
    async fn throwaway_approval(&self, t: &TestApp, for_director: bool) -> i64 {
        use salesos_test_support::order_fixtures::dealer;
        let d = dealer(t, "C-SH1", "rep.sh1.1", 10_000).await;
        let quantity = if for_director { 1000 } else { 105 };
        Self::held(t, d, self.catalogue.product, quantity).await
    }

    /// Bodies that name something in the caller's own scope.
    fn for_caller(&self, def: &RouteDef, w: &Who, body: Body) -> Body {
        let dealer = self.dealers[Self::dealer_index(w.login)];
        let stand_in = if w.id == self.director {
            self.mm_e
        } else {
            self.director
        };
        match (def.method.as_str(), def.path, body) {
            ("POST", "/api/v1/orders", Body::Json(mut v)) => {
                v["dealer_id"] = json!(dealer);
                Body::Json(v)
            }
            ("POST", "/api/v1/visits", Body::Json(mut v)) => {
                v["dealer_id"] = json!(dealer);
                Body::Json(v)
            }
            ("POST", "/api/v1/delegations", Body::Json(mut v)) => {
                v["to_person"] = json!(stand_in);
                Body::Json(v)
            }
            ("POST", "/approvals/delegations", Body::Form(mut pairs)) => {
                for (k, v) in pairs.iter_mut() {
                    if k == "to_person" {
                        *v = stand_in.to_string();
                    }
                }
                Body::Form(pairs)
            }
            ("POST", "/api/v1/transfers", Body::Json(mut v)) => {
                let i = Self::dealer_index(w.login);
                v["source_dealer_id"] = json!(self.dealers[i]);
                v["target_dealer_id"] = json!(self.transfer_targets[i]);
                v["lines"][0]["product_id"] = json!(self.catalogue.product);
                Body::Json(v)
            }
            ("POST", "/transfers", Body::Form(mut pairs)) => {
                let i = Self::dealer_index(w.login);
                for (k, v) in pairs.iter_mut() {
                    match k.as_str() {
                        "source_dealer_id" => *v = self.dealers[i].to_string(),
                        "target_dealer_id" => *v = self.transfer_targets[i].to_string(),
                        "product_1" => *v = self.catalogue.product.to_string(),
                        _ => {}
                    }
                }
                Body::Form(pairs)
            }
            ("POST", "/orders" | "/visits", Body::Form(mut pairs)) => {
                for (k, v) in pairs.iter_mut() {
                    if k == "dealer_id" {
                        *v = dealer.to_string();
                    }
                }
                Body::Form(pairs)
            }
            (_, _, body) => body,
        }
    }
}
