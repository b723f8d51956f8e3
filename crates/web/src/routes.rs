//! The route table: every route with who may call it and which record its path names. The
//! router is built from this table, and the permission-matrix test walks the same table, so a
//! new route without a rule fails that test.

use crate::session::{authenticate, csrf_guard};
use crate::{api, assets, health, pages, AppState};
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method};
use axum::routing::{delete, get, patch, post, put, MethodRouter};
use axum::Router;
use salesos_domain::roles::Capability;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (sign-in page, health, assets, the API document).
    Public,
    /// Any signed-in person, acting on themselves.
    SignedIn,
    /// Signed in with this capability; records are further limited to the person's scope.
    Requires(Capability),
    /// Any signed-in person on their own record; on others' only with the capability, in scope.
    SelfOr(Capability),
}

/// The record a route's `{id}` names, so the matrix test can pick one inside and one outside a
/// person's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    None,
    Person,
    OrgNode,
    Token,
    /// `/{entity}/{id}`: the audit history of a person or node.
    AuditRecord,
    /// A dealer: scoped by its node (subtree) or its owner (field staff).
    Dealer,
    /// A product: company-wide (no scope).
    Product,
    /// A price list: company-wide (no scope).
    PriceList,
    /// An order: scoped by the dealer's node and owner when it was taken.
    Order,
    /// An approval request: visible in the scope of its document.
    Approval,
}

#[derive(Debug, Clone)]
pub struct RouteDef {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub target: Target,
}

impl RouteDef {
    pub fn is_api(&self) -> bool {
        self.path.starts_with("/api/v1/")
    }
}

fn r(
    method: Method,
    path: &'static str,
    access: Access,
    target: Target,
    handler: MethodRouter<AppState>,
) -> (RouteDef, MethodRouter<AppState>) {
    (
        RouteDef {
            method,
            path,
            access,
            target,
        },
        handler,
    )
}

fn table() -> Vec<(RouteDef, MethodRouter<AppState>)> {
    use Access::*;
    use Capability::*;
    use Target::*;
    let (g, p, pa, pu, d) = (
        Method::GET,
        Method::POST,
        Method::PATCH,
        Method::PUT,
        Method::DELETE,
    );
    vec![
        // API
        r(g.clone(), "/api/v1/me", SignedIn, None, get(api::me::me)),
        r(
            pu.clone(),
            "/api/v1/me/locale",
            SignedIn,
            None,
            put(api::me::set_locale),
        ),
        r(
            p.clone(),
            "/api/v1/me/password",
            SignedIn,
            None,
            post(api::me::change_password),
        ),
        r(
            g.clone(),
            "/api/v1/people",
            Requires(ViewPeople),
            None,
            get(api::people::list),
        ),
        r(
            p.clone(),
            "/api/v1/people",
            Requires(ManagePeople),
            None,
            post(api::people::create),
        ),
        r(
            g.clone(),
            "/api/v1/people/{id}",
            SelfOr(ViewPeople),
            Person,
            get(api::people::get),
        ),
        r(
            pa.clone(),
            "/api/v1/people/{id}",
            Requires(ManagePeople),
            Person,
            patch(api::people::update),
        ),
        r(
            p.clone(),
            "/api/v1/people/{id}/move",
            Requires(ManagePeople),
            Person,
            post(api::people::move_to),
        ),
        r(
            p.clone(),
            "/api/v1/people/{id}/deactivate",
            Requires(ManagePeople),
            Person,
            post(api::people::deactivate),
        ),
        r(
            p.clone(),
            "/api/v1/people/{id}/reactivate",
            Requires(ManagePeople),
            Person,
            post(api::people::reactivate),
        ),
        r(
            p.clone(),
            "/api/v1/people/{id}/password-reset",
            Requires(ManagePeople),
            Person,
            post(api::people::reset_password),
        ),
        r(
            g.clone(),
            "/api/v1/people/{id}/assignments",
            SelfOr(ViewPeople),
            Person,
            get(api::people::assignments),
        ),
        r(
            g.clone(),
            "/api/v1/people/{id}/tokens",
            SelfOr(ManageTokens),
            Person,
            get(api::tokens::list),
        ),
        r(
            p.clone(),
            "/api/v1/people/{id}/tokens",
            SelfOr(ManageTokens),
            Person,
            post(api::tokens::create),
        ),
        r(
            d.clone(),
            "/api/v1/tokens/{id}",
            SelfOr(ManageTokens),
            Token,
            delete(api::tokens::revoke),
        ),
        r(
            g.clone(),
            "/api/v1/org-nodes",
            Requires(ViewOrg),
            None,
            get(api::org::list),
        ),
        r(
            p.clone(),
            "/api/v1/org-nodes",
            Requires(ManageOrg),
            None,
            post(api::org::create),
        ),
        r(
            g.clone(),
            "/api/v1/org-nodes/{id}",
            Requires(ViewOrg),
            OrgNode,
            get(api::org::get),
        ),
        r(
            pa.clone(),
            "/api/v1/org-nodes/{id}",
            Requires(ManageOrg),
            OrgNode,
            patch(api::org::update),
        ),
        r(
            p.clone(),
            "/api/v1/org-nodes/{id}/move",
            Requires(ManageOrg),
            OrgNode,
            post(api::org::move_node),
        ),
        r(
            g.clone(),
            "/api/v1/org-nodes/{id}/history",
            Requires(ViewOrg),
            OrgNode,
            get(api::org::history),
        ),
        r(
            g.clone(),
            "/api/v1/audit/{entity}/{id}",
            Requires(ViewAudit),
            AuditRecord,
            get(api::audit::history),
        ),
        // dealers & catalogue (API)
        r(
            g.clone(),
            "/api/v1/dealers",
            Requires(ViewDealers),
            None,
            get(api::dealers::list),
        ),
        r(
            p.clone(),
            "/api/v1/dealers",
            Requires(ManageDealers),
            None,
            post(api::dealers::create),
        ),
        r(
            g.clone(),
            "/api/v1/dealers/{id}",
            Requires(ViewDealers),
            Dealer,
            get(api::dealers::get),
        ),
        r(
            pa.clone(),
            "/api/v1/dealers/{id}",
            Requires(ManageDealers),
            Dealer,
            patch(api::dealers::update),
        ),
        r(
            p.clone(),
            "/api/v1/dealers/{id}/transition",
            Requires(ManageDealers),
            Dealer,
            post(api::dealers::transition),
        ),
        r(
            p.clone(),
            "/api/v1/dealers/{id}/terms",
            Requires(ChangeDealerTerms),
            Dealer,
            post(api::dealers::change_terms),
        ),
        r(
            p.clone(),
            "/api/v1/dealers/{id}/contacts",
            Requires(ManageDealers),
            Dealer,
            post(api::dealers::add_contact),
        ),
        r(
            p.clone(),
            "/api/v1/dealers/{id}/feedback",
            Requires(ViewDealers),
            Dealer,
            post(api::dealers::add_feedback),
        ),
        r(
            g.clone(),
            "/api/v1/dealers/{id}/price",
            Requires(ViewDealers),
            Dealer,
            get(api::dealers::price),
        ),
        r(
            g.clone(),
            "/api/v1/feedback",
            Requires(ViewDealers),
            None,
            get(api::dealers::feedback),
        ),
        r(
            p.clone(),
            "/api/v1/feedback",
            Requires(ViewDealers),
            None,
            post(api::dealers::add_area_feedback),
        ),
        r(
            g.clone(),
            "/api/v1/product-lines",
            Requires(ViewCatalogue),
            None,
            get(api::catalogue::lines),
        ),
        r(
            p.clone(),
            "/api/v1/product-lines",
            Requires(ManageCatalogue),
            None,
            post(api::catalogue::create_line),
        ),
        r(
            g.clone(),
            "/api/v1/products",
            Requires(ViewCatalogue),
            None,
            get(api::catalogue::products),
        ),
        r(
            p.clone(),
            "/api/v1/products",
            Requires(ManageCatalogue),
            None,
            post(api::catalogue::create_product),
        ),
        r(
            g.clone(),
            "/api/v1/products/{id}",
            Requires(ViewCatalogue),
            Product,
            get(api::catalogue::product),
        ),
        r(
            pa.clone(),
            "/api/v1/products/{id}",
            Requires(ManageCatalogue),
            Product,
            patch(api::catalogue::update_product),
        ),
        r(
            g.clone(),
            "/api/v1/price-lists",
            Requires(ViewCatalogue),
            None,
            get(api::catalogue::price_lists),
        ),
        r(
            p.clone(),
            "/api/v1/price-lists",
            Requires(ManageCatalogue),
            None,
            post(api::catalogue::create_price_list),
        ),
        r(
            g.clone(),
            "/api/v1/price-lists/{id}",
            Requires(ViewCatalogue),
            PriceList,
            get(api::catalogue::price_list),
        ),
        r(
            p.clone(),
            "/api/v1/price-lists/{id}/prices",
            Requires(ManageCatalogue),
            PriceList,
            post(api::catalogue::add_price),
        ),
        r(
            g.clone(),
            "/api/v1/quotas",
            Requires(ViewCatalogue),
            None,
            get(api::catalogue::quotas),
        ),
        r(
            p.clone(),
            "/api/v1/quotas",
            Requires(ManageCatalogue),
            None,
            post(api::catalogue::create_quota),
        ),
        // orders, credit & approvals (API)
        r(
            g.clone(),
            "/api/v1/orders",
            Requires(ViewOrders),
            None,
            get(api::orders::list),
        ),
        r(
            p.clone(),
            "/api/v1/orders",
            Requires(EnterOrders),
            None,
            post(api::orders::create),
        ),
        r(
            g.clone(),
            "/api/v1/orders/{id}",
            Requires(ViewOrders),
            Order,
            get(api::orders::get),
        ),
        r(
            pa.clone(),
            "/api/v1/orders/{id}",
            Requires(EnterOrders),
            Order,
            patch(api::orders::update),
        ),
        r(
            p.clone(),
            "/api/v1/orders/{id}/confirm",
            Requires(EnterOrders),
            Order,
            post(api::orders::confirm),
        ),
        r(
            p.clone(),
            "/api/v1/orders/{id}/cancel",
            Requires(EnterOrders),
            Order,
            post(api::orders::cancel),
        ),
        r(
            p.clone(),
            "/api/v1/orders/{id}/reopen",
            Requires(EnterOrders),
            Order,
            post(api::orders::reopen),
        ),
        r(
            p.clone(),
            "/api/v1/orders/{id}/owners",
            Requires(EnterOrders),
            Order,
            post(api::orders::set_owners),
        ),
        r(
            g.clone(),
            "/api/v1/dealers/{id}/credit",
            Requires(ViewCredit),
            Dealer,
            get(api::orders::dealer_credit),
        ),
        r(
            p.clone(),
            "/api/v1/dealers/{id}/temporary-credit",
            Requires(ViewCredit),
            Dealer,
            post(api::orders::request_temp_credit),
        ),
        r(
            g.clone(),
            "/api/v1/approvals",
            Requires(Approve),
            None,
            get(api::approvals::queue),
        ),
        r(
            g.clone(),
            "/api/v1/approvals/{id}",
            Requires(Approve),
            Approval,
            get(api::approvals::get),
        ),
        r(
            p.clone(),
            "/api/v1/approvals/{id}/approve",
            Requires(Approve),
            Approval,
            post(api::approvals::approve),
        ),
        r(
            p.clone(),
            "/api/v1/approvals/{id}/reject",
            Requires(Approve),
            Approval,
            post(api::approvals::reject),
        ),
        r(
            p.clone(),
            "/api/v1/approvals/{id}/send-back",
            Requires(Approve),
            Approval,
            post(api::approvals::send_back),
        ),
        r(
            g.clone(),
            "/api/v1/delegations",
            Requires(Approve),
            None,
            get(api::approvals::delegations),
        ),
        r(
            p.clone(),
            "/api/v1/delegations",
            Requires(Approve),
            None,
            post(api::approvals::delegate),
        ),
        // pages
        r(g.clone(), "/signin", Public, None, get(pages::signin::form)),
        r(
            p.clone(),
            "/signin",
            Public,
            None,
            post(pages::signin::submit),
        ),
        r(
            p.clone(),
            "/signout",
            SignedIn,
            None,
            post(pages::signin::sign_out),
        ),
        r(g.clone(), "/", SignedIn, None, get(pages::home::home)),
        r(
            g.clone(),
            "/account",
            SignedIn,
            None,
            get(pages::account::show),
        ),
        r(
            p.clone(),
            "/account/password",
            SignedIn,
            None,
            post(pages::account::change_password),
        ),
        r(
            p.clone(),
            "/account/locale",
            SignedIn,
            None,
            post(pages::account::set_locale),
        ),
        r(
            g.clone(),
            "/people",
            Requires(ViewPeople),
            None,
            get(pages::people::list),
        ),
        r(
            g.clone(),
            "/people/export",
            Requires(ViewPeople),
            None,
            get(pages::people::export),
        ),
        r(
            g.clone(),
            "/people/new",
            Requires(ManagePeople),
            None,
            get(pages::people::new_form),
        ),
        r(
            p.clone(),
            "/people",
            Requires(ManagePeople),
            None,
            post(pages::people::create),
        ),
        r(
            g.clone(),
            "/people/{id}",
            SelfOr(ViewPeople),
            Person,
            get(pages::people::show),
        ),
        r(
            p.clone(),
            "/people/{id}/profile",
            Requires(ManagePeople),
            Person,
            post(pages::people::update_profile),
        ),
        r(
            p.clone(),
            "/people/{id}/move",
            Requires(ManagePeople),
            Person,
            post(pages::people::move_to),
        ),
        r(
            p.clone(),
            "/people/{id}/deactivate",
            Requires(ManagePeople),
            Person,
            post(pages::people::deactivate),
        ),
        r(
            p.clone(),
            "/people/{id}/reactivate",
            Requires(ManagePeople),
            Person,
            post(pages::people::reactivate),
        ),
        r(
            p.clone(),
            "/people/{id}/password-reset",
            Requires(ManagePeople),
            Person,
            post(pages::people::reset_password),
        ),
        r(
            p.clone(),
            "/people/{id}/tokens",
            SelfOr(ManageTokens),
            Person,
            post(pages::people::create_token),
        ),
        r(
            p.clone(),
            "/tokens/{id}/revoke",
            SelfOr(ManageTokens),
            Token,
            post(pages::people::revoke_token),
        ),
        r(
            g.clone(),
            "/org",
            Requires(ViewOrg),
            None,
            get(pages::org::tree),
        ),
        r(
            p.clone(),
            "/org",
            Requires(ManageOrg),
            None,
            post(pages::org::create),
        ),
        r(
            g.clone(),
            "/org/{id}",
            Requires(ViewOrg),
            OrgNode,
            get(pages::org::show),
        ),
        r(
            p.clone(),
            "/org/{id}",
            Requires(ManageOrg),
            OrgNode,
            post(pages::org::update),
        ),
        r(
            p.clone(),
            "/org/{id}/move",
            Requires(ManageOrg),
            OrgNode,
            post(pages::org::move_node),
        ),
        r(
            g.clone(),
            "/audit/{entity}/{id}",
            Requires(ViewAudit),
            AuditRecord,
            get(pages::audit::history),
        ),
        // dealers & catalogue (pages)
        r(
            g.clone(),
            "/dealers",
            Requires(ViewDealers),
            None,
            get(pages::dealers::list),
        ),
        r(
            p.clone(),
            "/dealers",
            Requires(ManageDealers),
            None,
            post(pages::dealers::create),
        ),
        r(
            g.clone(),
            "/dealers/{id}",
            Requires(ViewDealers),
            Dealer,
            get(pages::dealers::show),
        ),
        r(
            p.clone(),
            "/dealers/{id}/transition",
            Requires(ManageDealers),
            Dealer,
            post(pages::dealers::transition),
        ),
        r(
            p.clone(),
            "/dealers/{id}/terms",
            Requires(ChangeDealerTerms),
            Dealer,
            post(pages::dealers::change_terms),
        ),
        r(
            p.clone(),
            "/dealers/{id}/feedback",
            Requires(ViewDealers),
            Dealer,
            post(pages::dealers::add_feedback),
        ),
        r(
            g.clone(),
            "/feedback",
            Requires(ViewDealers),
            None,
            get(pages::dealers::feedback),
        ),
        r(
            p.clone(),
            "/feedback",
            Requires(ViewDealers),
            None,
            post(pages::dealers::add_area_feedback),
        ),
        r(
            g.clone(),
            "/catalogue",
            Requires(ViewCatalogue),
            None,
            get(pages::catalogue::show),
        ),
        r(
            g.clone(),
            "/price-lists/{id}",
            Requires(ViewCatalogue),
            PriceList,
            get(pages::catalogue::price_list),
        ),
        r(
            p.clone(),
            "/price-lists/{id}/prices",
            Requires(ManageCatalogue),
            PriceList,
            post(pages::catalogue::add_price),
        ),
        // orders, credit & approvals (pages)
        r(
            g.clone(),
            "/orders",
            Requires(ViewOrders),
            None,
            get(pages::orders::list),
        ),
        r(
            g.clone(),
            "/orders/new",
            Requires(EnterOrders),
            None,
            get(pages::orders::new_form),
        ),
        r(
            p.clone(),
            "/orders",
            Requires(EnterOrders),
            None,
            post(pages::orders::create),
        ),
        r(
            g.clone(),
            "/orders/{id}",
            Requires(ViewOrders),
            Order,
            get(pages::orders::show),
        ),
        r(
            p.clone(),
            "/orders/{id}/confirm",
            Requires(EnterOrders),
            Order,
            post(pages::orders::confirm),
        ),
        r(
            p.clone(),
            "/orders/{id}/cancel",
            Requires(EnterOrders),
            Order,
            post(pages::orders::cancel),
        ),
        r(
            p.clone(),
            "/orders/{id}/reopen",
            Requires(EnterOrders),
            Order,
            post(pages::orders::reopen),
        ),
        r(
            g.clone(),
            "/dealers/{id}/credit",
            Requires(ViewCredit),
            Dealer,
            get(pages::orders::dealer_credit),
        ),
        r(
            p.clone(),
            "/dealers/{id}/temporary-credit",
            Requires(ViewCredit),
            Dealer,
            post(pages::orders::request_temp_credit),
        ),
        r(
            p.clone(),
            "/approvals/{id}/send-back",
            Requires(Approve),
            Approval,
            post(pages::approvals::send_back),
        ),
        r(
            g.clone(),
            "/approvals",
            Requires(Approve),
            None,
            get(pages::approvals::queue),
        ),
        r(
            p.clone(),
            "/approvals/{id}/approve",
            Requires(Approve),
            Approval,
            post(pages::approvals::approve),
        ),
        r(
            p.clone(),
            "/approvals/{id}/reject",
            Requires(Approve),
            Approval,
            post(pages::approvals::reject),
        ),
        // infrastructure
        r(g.clone(), "/healthz", Public, None, get(health::healthz)),
        r(g.clone(), "/readyz", Public, None, get(health::readyz)),
        r(
            g.clone(),
            "/api/openapi.json",
            Public,
            None,
            get(api::openapi::serve),
        ),
        r(g, "/assets/{name}", Public, None, get(assets::serve)),
    ]
}

/// Every route the server answers, for documentation and the permission-matrix test.
pub fn route_defs() -> Vec<RouteDef> {
    table().into_iter().map(|(def, _)| def).collect()
}

pub fn build(state: AppState) -> Router {
    let mut api_router = Router::new();
    let mut page_router = Router::new();
    for (def, handler) in table() {
        if let Some(rest) = def.path.strip_prefix("/api") {
            api_router = api_router.route(rest, handler);
        } else {
            page_router = page_router.route(def.path, handler);
        }
    }
    let api_router = api_router
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(DefaultBodyLimit::max(1024 * 1024));
    let page_router = page_router
        .fallback(pages::not_found)
        .route_layer(axum::middleware::from_fn(csrf_guard));
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .nest("/api", api_router)
        .merge(page_router)
        .layer(axum::middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(SetResponseHeaderLayer::if_not_present(HeaderName::from_static("x-content-type-options"), HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(HeaderName::from_static("x-frame-options"), HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(HeaderName::from_static("referrer-policy"), HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}
