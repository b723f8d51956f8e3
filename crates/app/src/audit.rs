use crate::{Actor, App, AppError};
use salesos_domain::roles::Capability;
use salesos_store::audit::{self, EntryRow, NewEntry};
use salesos_store::{org, people, Conn};
use serde::Serialize;

/// Appends the audit entry of a write, inside the operation's transaction.
#[allow(clippy::too_many_arguments)] // one argument per audit column reads clearest at call sites
pub async fn record(
    conn: &mut Conn,
    actor: &Actor,
    operation: &str,
    entity: &str,
    entity_id: i64,
    scope_path: Option<&str>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), AppError> {
    audit::append(
        conn,
        NewEntry {
            person_id: actor.person_id(),
            source: &actor.source,
            request_id: &actor.request_id,
            operation,
            entity,
            entity_id,
            scope_path,
            before,
            after,
        },
    )
    .await?;
    Ok(())
}

pub fn snapshot<T: Serialize>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}

/// The records whose history can be opened.
pub const ENTITIES: [&str; 9] = [
    "person",
    "org_node",
    "dealer",
    "order",
    "product",
    "price_list",
    "shipment",
    "invoice",
    "payment",
];

/// The history of a record the person may see; 404 when the record is outside their scope.
pub async fn history(
    app: &App,
    actor: &Actor,
    entity: &str,
    entity_id: i64,
) -> Result<Vec<EntryRow>, AppError> {
    actor.require(Capability::ViewAudit)?;
    let mut conn = app.store.read().await?;
    let visible = match entity {
        "person" => people::get(&mut conn, &actor.scope, entity_id)
            .await?
            .is_some(),
        "org_node" => org::get(&mut conn, &actor.scope, entity_id)
            .await?
            .is_some(),
        "dealer" => salesos_store::dealers::get(&mut conn, &actor.scope, entity_id)
            .await?
            .is_some(),
        "order" => salesos_store::orders::get(&mut conn, &actor.scope, entity_id)
            .await?
            .is_some(),
        "shipment" => salesos_store::shipments::get(&mut conn, &actor.scope, entity_id)
            .await?
            .is_some(),
        "invoice" => salesos_store::billing::get_invoice(&mut conn, &actor.scope, entity_id)
            .await?
            .is_some(),
        "payment" => salesos_store::billing::get_payment(&mut conn, &actor.scope, entity_id)
            .await?
            .is_some(),
        // the catalogue is company-wide: whoever may read it may read its history
        "product" => {
            actor.can(Capability::ViewCatalogue)
                && salesos_store::catalogue::get_product(&mut conn, entity_id)
                    .await?
                    .is_some()
        }
        "price_list" => {
            actor.can(Capability::ViewCatalogue)
                && salesos_store::catalogue::get_price_list(&mut conn, entity_id)
                    .await?
                    .is_some()
        }
        _ => false,
    };
    if !visible {
        return Err(AppError::NotFound { entity: "record" });
    }
    Ok(audit::for_record(&mut conn, entity, entity_id).await?)
}
