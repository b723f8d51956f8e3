//! The audit trail: append-only. This module has no update or delete, and the database refuses
//! both with triggers.

use crate::sql::Sql;
use crate::{now_micros, Conn, StoreError};
use serde::Serialize;
use sqlx::Row;

pub struct NewEntry<'a> {
    pub person_id: Option<i64>,
    pub source: &'a str,
    pub request_id: &'a str,
    pub operation: &'a str,
    pub entity: &'a str,
    pub entity_id: i64,
    pub scope_path: Option<&'a str>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

pub async fn append(conn: &mut Conn, entry: NewEntry<'_>) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO audit_log (at, person_id, source, request_id, operation, entity, entity_id, scope_path, before_json, after_json) VALUES (",
    );
    sql.bind(now_micros())
        .push(", ")
        .bind(entry.person_id)
        .push(", ")
        .bind(entry.source)
        .push(", ")
        .bind(entry.request_id)
        .push(", ")
        .bind(entry.operation)
        .push(", ")
        .bind(entry.entity)
        .push(", ")
        .bind(entry.entity_id)
        .push(", ")
        .bind(entry.scope_path)
        .push(", ")
        .bind(entry.before.map(|v| v.to_string()))
        .push(", ")
        .bind(entry.after.map(|v| v.to_string()))
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

#[derive(Debug, Clone, Serialize)]
pub struct EntryRow {
    pub id: i64,
    pub at: i64,
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    pub source: String,
    pub request_id: String,
    pub operation: String,
    pub entity: String,
    pub entity_id: i64,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// The history of one record, oldest first. Callers check that the record is in scope first.
pub async fn for_record(
    conn: &mut Conn,
    entity: &str,
    entity_id: i64,
) -> Result<Vec<EntryRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT a.id, a.at, a.person_id, p.display_name, a.source, a.request_id, a.operation, a.entity, a.entity_id, a.before_json, a.after_json \
         FROM audit_log a LEFT JOIN people p ON p.id = a.person_id WHERE a.entity = ",
    );
    sql.bind(entity)
        .push(" AND a.entity_id = ")
        .bind(entity_id)
        .push(" ORDER BY a.id");
    let rows = sql.fetch_all(conn).await?;
    let parse = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
    rows.iter()
        .map(|r| {
            Ok(EntryRow {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                person_id: r.try_get("person_id")?,
                person_name: r.try_get("display_name")?,
                source: r.try_get("source")?,
                request_id: r.try_get("request_id")?,
                operation: r.try_get("operation")?,
                entity: r.try_get("entity")?,
                entity_id: r.try_get("entity_id")?,
                before: parse(r.try_get("before_json")?),
                after: parse(r.try_get("after_json")?),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

pub async fn count(conn: &mut Conn) -> Result<i64, StoreError> {
    Ok(Sql::new("SELECT COUNT(*) AS n FROM audit_log")
        .fetch_one(conn)
        .await?
        .try_get("n")?)
}
