//! STUB — to be written: a record's history (who, when, from where, before/after).
use crate::session::PageActor;
use axum::response::Response;

pub async fn history(pa: PageActor) -> Response {
    super::fail(&pa, salesos_app::AppError::NotFound { entity: "page" })
}
