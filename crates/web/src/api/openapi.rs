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
