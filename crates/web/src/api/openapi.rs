use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "salesos API", version = "1", description = "The sales department's operating system. Authenticate with `Authorization: Bearer <token>`; every list and record is limited to the signed-in person's part of the organisation. Errors are `application/problem+json` with a stable `code`, a `detail` for people and the `field` at fault."),
    paths(
        super::me::me, super::me::set_locale, super::me::change_password,
        super::people::list, super::people::create, super::people::get, super::people::update,
        super::people::move_to, super::people::deactivate, super::people::reactivate,
        super::people::reset_password, super::people::assignments,
        super::tokens::list, super::tokens::create, super::tokens::revoke,
        super::org::list, super::org::create, super::org::get, super::org::update, super::org::move_node, super::org::history,
        super::audit::history,
        super::orders::list, super::orders::create, super::orders::get, super::orders::update,
        super::orders::confirm, super::orders::cancel, super::orders::reopen, super::orders::set_owners,
        super::orders::dealer_credit, super::orders::request_temp_credit,
        super::shipments::list, super::shipments::create, super::shipments::get,
        super::shipments::ship, super::shipments::deliver,
        super::billing::invoice_shipment, super::billing::list_invoices, super::billing::get_invoice,
        super::billing::cancel_invoice, super::billing::credit_note, super::billing::list_payments, super::billing::get_payment,
        super::billing::record_payment, super::billing::dealer_receivables,
        super::approvals::queue, super::approvals::get, super::approvals::approve,
        super::approvals::reject, super::approvals::send_back,
        super::approvals::delegations, super::approvals::delegate,
        super::reports::aging, super::reports::overdue, super::reports::statement, super::reports::osb,
        super::dealers::list, super::dealers::create, super::dealers::get, super::dealers::update,
        super::dealers::transition, super::dealers::change_terms, super::dealers::add_contact,
        super::dealers::add_feedback, super::dealers::price, super::dealers::feedback, super::dealers::add_area_feedback,
        super::dealers::credit_limit_proposals,
        super::catalogue::lines, super::catalogue::create_line, super::catalogue::products,
        super::catalogue::create_product, super::catalogue::product, super::catalogue::update_product,
        super::catalogue::price_lists, super::catalogue::create_price_list, super::catalogue::price_list,
        super::catalogue::add_price, super::catalogue::quotas, super::catalogue::create_quota,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub async fn serve() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(document())
}
