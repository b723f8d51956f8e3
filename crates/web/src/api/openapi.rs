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
        super::shipments::pack, super::shipments::cancel,
        super::billing::invoice_shipment, super::billing::list_invoices, super::billing::get_invoice,
        super::billing::cancel_invoice, super::billing::credit_note, super::billing::list_payments, super::billing::get_payment,
        super::billing::list_credit_notes, super::billing::get_credit_note,
        super::billing::record_payment, super::billing::dealer_receivables,
        super::returns::list, super::returns::get, super::returns::returnable, super::returns::create,
        super::returns::cancel, super::returns::resubmit, super::returns::receive, super::returns::inspect,
        super::returns::credit,
        super::transfers::list, super::transfers::get, super::transfers::create, super::transfers::cancel,
        super::visits::list, super::visits::create,
        super::approvals::queue, super::approvals::get, super::approvals::approve,
        super::approvals::reject, super::approvals::send_back,
        super::approvals::delegations, super::approvals::delegate, super::approvals::revoke_delegation,
        super::reports::aging, super::reports::overdue, super::reports::statement, super::reports::osb,
        super::targets::list, super::targets::create, super::targets::get, super::targets::update,
        super::targets::submit, super::targets::propose, super::targets::cascade,
        super::targets::list_plans, super::targets::create_plan, super::targets::get_plan,
        super::targets::submit_plan, super::targets::new_version,
        super::targets::focus, super::targets::publish_focus, super::targets::dashboard,
        super::dealers::list, super::dealers::create, super::dealers::get, super::dealers::update,
        super::dealers::transition, super::dealers::change_terms, super::dealers::add_contact,
        super::dealers::add_feedback, super::dealers::price, super::dealers::feedback, super::dealers::add_area_feedback,
        super::dealers::credit_limit_proposals,
        super::catalogue::lines, super::catalogue::create_line, super::catalogue::products,
        super::catalogue::create_product, super::catalogue::product, super::catalogue::update_product,
        super::catalogue::price_lists, super::catalogue::create_price_list, super::catalogue::price_list,
        super::catalogue::add_price, super::catalogue::quotas, super::catalogue::create_quota,
        super::imports::import_dealers, super::imports::import_products, super::imports::import_prices,
        super::imports::import_receivables, super::imports::import_orders,
        super::imports::export_dealers, super::imports::export_products, super::imports::export_prices,
        super::imports::export_receivables, super::imports::export_orders,
        super::imports::import_people, super::imports::export_people, super::imports::progress,
    ),
    modifiers(&BearerAuth, &ProblemResponses),
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

/// Errors as they are sent: every 4xx body is `application/problem+json`, and every operation can
/// answer 400 (a malformed path, query or body) and, when it takes a body, 413 (too large), 415
/// (not JSON) and 422 (a field of the wrong type). Any 4xx may be a plain problem (the body
/// extractors refuse before the handler runs), so a 4xx documented with a richer problem shape
/// is documented as "that, or a plain problem".
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        const PROBLEM: &str = "application/problem+json";
        let problem = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        PROBLEM,
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build(),
            )
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                for (status, response) in op.responses.responses.iter_mut() {
                    if let (true, RefOr::T(response)) = (status.starts_with('4'), response) {
                        if let Some(content) = response.content.shift_remove("application/json") {
                            response.content.insert(PROBLEM.to_string(), content);
                        }
                        if let Some(content) = response.content.get_mut(PROBLEM) {
                            or_plain_problem(&mut content.schema);
                        }
                    }
                }
                let answers = &mut op.responses.responses;
                answers
                    .entry("400".to_string())
                    .or_insert_with(|| problem("malformed path, query or body"));
                if op.request_body.is_some() {
                    answers
                        .entry("413".to_string())
                        .or_insert_with(|| problem("the body is too large"));
                    answers
                        .entry("415".to_string())
                        .or_insert_with(|| problem("the body is not application/json"));
                    answers
                        .entry("422".to_string())
                        .or_insert_with(|| problem("a field is missing or of the wrong type"));
                }
            }
        }
    }
}

/// A 4xx schema other than `Problem` becomes "any of: it, or `Problem`".
fn or_plain_problem(schema: &mut Option<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>>) {
    use utoipa::openapi::schema::AnyOfBuilder;
    use utoipa::openapi::{Ref, RefOr};
    let plain = Ref::from_schema_name("Problem");
    match schema.take() {
        Some(RefOr::Ref(r)) if r.ref_location == plain.ref_location => {
            *schema = Some(RefOr::Ref(r))
        }
        Some(other) => {
            *schema = Some(RefOr::T(
                AnyOfBuilder::new().item(other).item(plain).build().into(),
            ))
        }
        None => {}
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub async fn serve() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(document())
}
