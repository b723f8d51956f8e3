use super::ApiPath;
use crate::problem::{ApiError, Problem};
use crate::session::ApiActor;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use salesos_app::audit;
use salesos_store::audit::EntryRow;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryOut {
    pub id: i64,
    /// Microseconds since the Unix epoch (UTC).
    pub at: i64,
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    /// The address the change came from (or `cli`, `demo`).
    pub source: String,
    pub request_id: String,
    pub operation: String,
    pub entity: String,
    pub entity_id: i64,
    #[schema(value_type = Object)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Object)]
    pub after: Option<serde_json::Value>,
}

impl From<EntryRow> for AuditEntryOut {
    fn from(e: EntryRow) -> Self {
        AuditEntryOut {
            id: e.id,
            at: e.at,
            person_id: e.person_id,
            person_name: e.person_name,
            source: e.source,
            request_id: e.request_id,
            operation: e.operation,
            entity: e.entity,
            entity_id: e.entity_id,
            before: e.before,
            after: e.after,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/audit/{entity}/{id}", tag = "audit",
    params(("entity" = String, Path, description = "person or org_node"), ("id" = i64, Path)),
    responses((status = 200, body = [AuditEntryOut]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn history(
    State(s): State<AppState>,
    a: ApiActor,
    ApiPath((entity, id)): ApiPath<(String, i64)>,
) -> Result<Json<Vec<AuditEntryOut>>, ApiError> {
    let rows = audit::history(&s.app, &a.actor, &entity, id)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(rows.into_iter().map(AuditEntryOut::from).collect()))
}
