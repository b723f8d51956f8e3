//! The approvals engine's tables: rules, requests with their steps, delegations.

use crate::sql::Sql;
use crate::{now_micros, Conn, StoreError};
use salesos_domain::approvals::Rule;
use salesos_domain::roles::Role;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

pub async fn rules(conn: &mut Conn, doc_type: &str) -> Result<Vec<Rule>, StoreError> {
    let mut sql = Sql::new(
        "SELECT doc_type, step, approver_role, min_value, max_value FROM approval_rules WHERE active = 1 AND doc_type = ",
    );
    sql.bind(doc_type).push(" ORDER BY step, id");
    let rows = sql.fetch_all(conn).await?;
    let mut out = Vec::new();
    for r in rows {
        let role: String = r.try_get("approver_role")?;
        if let Some(role) = Role::parse(&role) {
            out.push(Rule {
                doc_type: r.try_get("doc_type")?,
                step: r.try_get("step")?,
                role,
                min_value: r.try_get("min_value")?,
                max_value: r.try_get("max_value")?,
            });
        }
    }
    Ok(out)
}

/// The active person holding `role` at the deepest node on `path` (the document's own node or
/// one above it): the market manager of the document's market, the director at the company.
pub async fn person_on_path(
    conn: &mut Conn,
    role: &str,
    path: &str,
) -> Result<Option<i64>, StoreError> {
    let mut sql = Sql::new("SELECT id, node_path FROM people WHERE active = 1 AND role = ");
    sql.bind(role)
        .push(" AND node_path IS NOT NULL ORDER BY id");
    let rows = sql.fetch_all(conn).await?;
    let mut best: Option<(usize, i64)> = None;
    for r in rows {
        let p: String = r.try_get("node_path")?;
        if path.starts_with(&p) && best.is_none_or(|(len, _)| p.len() > len) {
            best = Some((p.len(), r.try_get("id")?));
        }
    }
    Ok(best.map(|(_, id)| id))
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestRow {
    pub id: i64,
    pub doc_type: String,
    pub doc_id: i64,
    pub dealer_id: Option<i64>,
    pub dealer_name: Option<String>,
    pub node_path: String,
    pub owner_id: Option<i64>,
    pub value: i64,
    pub amount_fen: i64,
    pub summary: String,
    pub status: String,
    pub current_step: i64,
    pub requested_by: Option<i64>,
    pub requested_by_name: Option<String>,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

fn request_of(r: &AnyRow) -> Result<RequestRow, sqlx::Error> {
    Ok(RequestRow {
        id: r.try_get("id")?,
        doc_type: r.try_get("doc_type")?,
        doc_id: r.try_get("doc_id")?,
        dealer_id: r.try_get("dealer_id")?,
        dealer_name: r.try_get("dealer_name")?,
        node_path: r.try_get("node_path")?,
        owner_id: r.try_get("owner_id")?,
        value: r.try_get("value")?,
        amount_fen: r.try_get("amount_fen")?,
        summary: r.try_get("summary")?,
        status: r.try_get("status")?,
        current_step: r.try_get("current_step")?,
        requested_by: r.try_get("requested_by")?,
        requested_by_name: r.try_get("requested_by_name")?,
        created_at: r.try_get("created_at")?,
        decided_at: r.try_get("decided_at")?,
    })
}

const REQUEST: &str = "SELECT r.id, r.doc_type, r.doc_id, r.dealer_id, d.name AS dealer_name, r.node_path, r.owner_id, r.value, r.amount_fen, r.summary, r.status, r.current_step, r.requested_by, p.display_name AS requested_by_name, r.created_at, r.decided_at \
     FROM approval_requests r LEFT JOIN dealers d ON d.id = r.dealer_id LEFT JOIN people p ON p.id = r.requested_by WHERE 1 = 1";

pub struct NewRequest<'a> {
    pub doc_type: &'a str,
    pub doc_id: i64,
    pub dealer_id: Option<i64>,
    pub node_path: &'a str,
    pub owner_id: Option<i64>,
    pub value: i64,
    pub amount_fen: i64,
    pub summary: &'a str,
    pub requested_by: Option<i64>,
}

pub async fn insert_request(conn: &mut Conn, n: NewRequest<'_>) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO approval_requests (doc_type, doc_id, dealer_id, node_path, owner_id, value, amount_fen, summary, status, current_step, requested_by, created_at) VALUES (",
    );
    sql.bind(n.doc_type)
        .push(", ")
        .bind(n.doc_id)
        .push(", ")
        .bind(n.dealer_id)
        .push(", ")
        .bind(n.node_path)
        .push(", ")
        .bind(n.owner_id)
        .push(", ")
        .bind(n.value)
        .push(", ")
        .bind(n.amount_fen)
        .push(", ")
        .bind(n.summary)
        .push(", 'pending', 1, ")
        .bind(n.requested_by)
        .push(", ")
        .bind(now_micros())
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

pub async fn insert_step(
    conn: &mut Conn,
    request_id: i64,
    step: i64,
    role: &str,
    approver_id: i64,
    status: &str,
) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO approval_steps (request_id, step, approver_role, approver_id, status) VALUES (",
    );
    sql.bind(request_id)
        .push(", ")
        .bind(step)
        .push(", ")
        .bind(role)
        .push(", ")
        .bind(approver_id)
        .push(", ")
        .bind(status)
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

pub async fn get_unscoped(conn: &mut Conn, id: i64) -> Result<Option<RequestRow>, StoreError> {
    let mut sql = Sql::new(REQUEST);
    sql.push(" AND r.id = ").bind(id);
    sql.fetch_optional_as(conn, request_of).await
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRow {
    pub id: i64,
    pub request_id: i64,
    pub step: i64,
    pub approver_role: String,
    pub approver_id: i64,
    pub approver_name: String,
    pub status: String,
    pub acted_by: Option<i64>,
    pub acted_by_name: Option<String>,
    pub acted_at: Option<i64>,
    pub reason: Option<String>,
}

pub async fn steps(conn: &mut Conn, request_id: i64) -> Result<Vec<StepRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT s.id, s.request_id, s.step, s.approver_role, s.approver_id, a.display_name AS approver_name, s.status, s.acted_by, b.display_name AS acted_by_name, s.acted_at, s.reason \
         FROM approval_steps s JOIN people a ON a.id = s.approver_id LEFT JOIN people b ON b.id = s.acted_by WHERE s.request_id = ",
    );
    sql.bind(request_id).push(" ORDER BY s.step, s.id");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(StepRow {
                id: r.try_get("id")?,
                request_id: r.try_get("request_id")?,
                step: r.try_get("step")?,
                approver_role: r.try_get("approver_role")?,
                approver_id: r.try_get("approver_id")?,
                approver_name: r.try_get("approver_name")?,
                status: r.try_get("status")?,
                acted_by: r.try_get("acted_by")?,
                acted_by_name: r.try_get("acted_by_name")?,
                acted_at: r.try_get("acted_at")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Pending requests whose current step waits for `person` or for someone `person` stands in for.
pub async fn queue(
    conn: &mut Conn,
    person: i64,
    delegators: &[i64],
) -> Result<Vec<RequestRow>, StoreError> {
    let mut sql = Sql::new(REQUEST);
    sql.push(" AND r.status = 'pending' AND EXISTS (SELECT 1 FROM approval_steps s WHERE s.request_id = r.id AND s.step = r.current_step AND s.status = 'pending' AND s.approver_id IN (")
        .bind(person);
    for d in delegators {
        sql.push(", ").bind(*d);
    }
    sql.push(")) ORDER BY r.id");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(request_of).collect::<Result<_, _>>()?)
}

/// Requests about one document, newest first.
pub async fn for_document(
    conn: &mut Conn,
    doc_type: &str,
    doc_id: i64,
) -> Result<Vec<RequestRow>, StoreError> {
    let mut sql = Sql::new(REQUEST);
    sql.push(" AND r.doc_type = ")
        .bind(doc_type)
        .push(" AND r.doc_id = ")
        .bind(doc_id)
        .push(" ORDER BY r.id DESC");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(request_of).collect::<Result<_, _>>()?)
}

pub async fn act_on_step(
    conn: &mut Conn,
    step_id: i64,
    status: &str,
    acted_by: Option<i64>,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE approval_steps SET status = ");
    sql.bind(status)
        .push(", acted_by = ")
        .bind(acted_by)
        .push(", acted_at = ")
        .bind(now_micros())
        .push(", reason = ")
        .bind(reason)
        .push(" WHERE id = ")
        .bind(step_id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn set_step_status(
    conn: &mut Conn,
    step_id: i64,
    status: &str,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE approval_steps SET status = ");
    sql.bind(status).push(" WHERE id = ").bind(step_id);
    sql.execute(conn).await?;
    Ok(())
}

/// Moves a request on: a new current step, or a final status (`decided` stamps the time).
pub async fn set_request(
    conn: &mut Conn,
    id: i64,
    status: &str,
    current_step: i64,
    decided: bool,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE approval_requests SET status = ");
    sql.bind(status)
        .push(", current_step = ")
        .bind(current_step);
    if decided {
        sql.push(", decided_at = ").bind(now_micros());
    }
    sql.push(" WHERE id = ").bind(id);
    sql.execute(conn).await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct DelegationRow {
    pub id: i64,
    pub from_person: i64,
    pub to_person: i64,
    pub to_name: String,
    pub valid_from: String,
    pub valid_to: String,
}

pub async fn insert_delegation(
    conn: &mut Conn,
    from: i64,
    to: i64,
    valid_from: &str,
    valid_to: &str,
) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO delegations (from_person, to_person, valid_from, valid_to, created_at) VALUES (",
    );
    sql.bind(from)
        .push(", ")
        .bind(to)
        .push(", ")
        .bind(valid_from)
        .push(", ")
        .bind(valid_to)
        .push(", ")
        .bind(now_micros())
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

/// The people `person` stands in for on `day`.
pub async fn delegators_of(
    conn: &mut Conn,
    person: i64,
    day: &str,
) -> Result<Vec<i64>, StoreError> {
    let mut sql =
        Sql::new("SELECT from_person FROM delegations WHERE revoked_at IS NULL AND to_person = ");
    sql.bind(person)
        .push(" AND valid_from <= ")
        .bind(day)
        .push(" AND valid_to > ")
        .bind(day)
        .push(" ORDER BY id");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| r.try_get::<i64, _>("from_person"))
        .collect::<Result<_, _>>()
        .map_err(StoreError::from)
}

/// Delegations `person` has given, newest first.
pub async fn delegations_from(
    conn: &mut Conn,
    person: i64,
) -> Result<Vec<DelegationRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT d.id, d.from_person, d.to_person, p.display_name AS to_name, d.valid_from, d.valid_to FROM delegations d JOIN people p ON p.id = d.to_person WHERE d.revoked_at IS NULL AND d.from_person = ",
    );
    sql.bind(person).push(" ORDER BY d.id DESC");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(DelegationRow {
                id: r.try_get("id")?,
                from_person: r.try_get("from_person")?,
                to_person: r.try_get("to_person")?,
                to_name: r.try_get("to_name")?,
                valid_from: r.try_get("valid_from")?,
                valid_to: r.try_get("valid_to")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Ends a delegation `from` gave (it stays in the table, marked revoked); false when there is
/// no such open delegation of theirs.
pub async fn revoke_delegation(conn: &mut Conn, from: i64, id: i64) -> Result<bool, StoreError> {
    let mut sql = Sql::new("UPDATE delegations SET revoked_at = ");
    sql.bind(now_micros())
        .push(" WHERE revoked_at IS NULL AND id = ")
        .bind(id)
        .push(" AND from_person = ")
        .bind(from)
        .push(" RETURNING id");
    Ok(sql.fetch_optional(conn).await?.is_some())
}
