//! STUB — to be written: people list, new, show (profile, position history, move, deactivate,
//! reactivate, password reset, tokens).
use crate::session::PageActor;
use axum::response::Response;

fn todo(pa: &PageActor) -> Response {
    super::fail(pa, salesos_app::AppError::NotFound { entity: "page" })
}
pub async fn list(pa: PageActor) -> Response {
    todo(&pa)
}
pub async fn new_form(pa: PageActor) -> Response {
    todo(&pa)
}
pub async fn create(pa: PageActor) -> Response {
    todo(&pa)
}
pub async fn show(pa: PageActor) -> Response {
    todo(&pa)
}
pub async fn update_profile(pa: PageActor) -> Response {
    todo(&pa)
}
pub async fn move_to(pa: PageActor) -> Response {
    todo(&pa)
}
pub async fn deactivate(pa: PageActor) -> Response {
    todo(&pa)
}
pub async fn reactivate(pa: PageActor) -> Response {
    todo(&pa)
}
pub async fn reset_password(pa: PageActor) -> Response {
    todo(&pa)
}
pub async fn create_token(pa: PageActor) -> Response {
    todo(&pa)
}
pub async fn revoke_token(pa: PageActor) -> Response {
    todo(&pa)
}
