use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

/// Liveness: the process answers.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers and the schema is current. With a read replica configured,
/// its state is reported too; a replica that is down does not make the server unready, since
/// reports then read the primary.
pub async fn readyz(State(s): State<AppState>) -> (StatusCode, Json<Value>) {
    let store = &s.app.store;
    match store.ping().await {
        Ok(()) => {
            let mut body = json!({ "status": "ready", "database": store.backend().name() });
            if let Some(replica) = store.replica_status().await {
                body["replica"] = json!({
                    "status": if replica.reachable { "ok" } else { "unavailable" },
                    "standby": replica.standby,
                    "lag_ms": replica.lag_ms,
                });
            }
            (StatusCode::OK, Json(body))
        }
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable" })),
            )
        }
    }
}
