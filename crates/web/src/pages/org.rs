//! STUB — to be written: organisation tree, unit page (people there, history), add, rename, move.
use crate::session::PageActor;
use axum::response::Response;

fn todo(pa: &PageActor) -> Response {
    super::fail(pa, salesos_app::AppError::NotFound { entity: "page" })
}
pub async fn tree(pa: PageActor) -> Response {
    todo(&pa)
}
pub async fn create(pa: PageActor) -> Response {
    todo(&pa)
}
pub async fn show(pa: PageActor) -> Response {
    todo(&pa)
}
pub async fn update(pa: PageActor) -> Response {
    todo(&pa)
}
pub async fn move_node(pa: PageActor) -> Response {
    todo(&pa)
}
