//! The approvals engine: requests with steps resolved from the rules and the organisation,
//! decisions (approve, reject with a reason, send back), delegation while someone is away, and
//! each person's queue. Documents register what happens on a final decision in [`dispatch`].

use crate::audit::{record, snapshot};
use crate::{credit, orders, Actor, App, AppError};
use salesos_domain::approvals::{chain, Decision};
use salesos_domain::org::OrgPath;
use salesos_domain::roles::{Capability, Role};
use salesos_domain::{FieldError, PersonId};
use salesos_store::approvals::{self as store, DelegationRow, NewRequest, RequestRow, StepRow};
use salesos_store::{people, Conn, WriteTx};
use serde::Serialize;

/// A document asking for a decision.
pub struct Ask<'a> {
    pub doc_type: &'a str,
    pub doc_id: i64,
    pub dealer_id: Option<i64>,
    pub node_path: &'a str,
    pub owner_id: Option<i64>,
    /// What the rules are keyed on (see `approval_rules`).
    pub value: i64,
    pub amount_fen: i64,
    pub summary: &'a str,
}

/// Opens a request with one step per applicable rule, each assigned to the person holding the
/// rule's role nearest above the document (a director when nobody holds it there).
pub async fn open(conn: &mut Conn, actor: &Actor, ask: Ask<'_>) -> Result<i64, AppError> {
    let rules = store::rules(conn, ask.doc_type).await?;
    let steps = chain(&rules, ask.doc_type, ask.value);
    let mut approvers = Vec::new();
    for (_, role) in &steps {
        let mut found = store::person_on_path(conn, role.code(), ask.node_path).await?;
        if found.is_none() && *role != Role::Director {
            found = store::person_on_path(conn, Role::Director.code(), ask.node_path).await?;
        }
        let approver = found.ok_or_else(|| {
            AppError::Conflict(FieldError::general(
                "approval.no_approver",
                "nobody can approve this: the organisation has no one in the approving role",
            ))
        })?;
        approvers.push((*role, approver));
    }
    let id = store::insert_request(
        conn,
        NewRequest {
            doc_type: ask.doc_type,
            doc_id: ask.doc_id,
            dealer_id: ask.dealer_id,
            node_path: ask.node_path,
            owner_id: ask.owner_id,
            value: ask.value,
            amount_fen: ask.amount_fen,
            summary: ask.summary,
            requested_by: actor.person_id(),
        },
    )
    .await?;
    for (i, (role, approver)) in approvers.iter().enumerate() {
        let status = if i == 0 { "pending" } else { "waiting" };
        store::insert_step(conn, id, i as i64 + 1, role.code(), *approver, status).await?;
    }
    let after = store::get_unscoped(conn, id).await?;
    record(
        conn,
        actor,
        "approval.request",
        "approval",
        id,
        Some(ask.node_path),
        None,
        snapshot(&after),
    )
    .await?;
    Ok(id)
}

/// Withdraws the open requests about a document (it changed, or went away).
pub async fn withdraw(
    conn: &mut Conn,
    actor: &Actor,
    doc_type: &str,
    doc_id: i64,
) -> Result<(), AppError> {
    for req in store::for_document(conn, doc_type, doc_id).await? {
        if req.status != "pending" && req.status != "sent_back" {
            continue;
        }
        for step in store::steps(conn, req.id).await? {
            if step.status == "pending" || step.status == "waiting" {
                store::set_step_status(conn, step.id, "cancelled").await?;
            }
        }
        store::set_request(conn, req.id, "cancelled", req.current_step, true).await?;
        record(
            conn,
            actor,
            "approval.withdraw",
            "approval",
            req.id,
            Some(&req.node_path),
            snapshot(&req),
            None,
        )
        .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct ApprovalDetail {
    pub request: RequestRow,
    pub steps: Vec<StepRow>,
    /// Whether the signed-in person may decide the current step now.
    pub can_decide: bool,
}

fn in_scope(actor: &Actor, req: &RequestRow) -> bool {
    OrgPath::parse(&req.node_path)
        .is_some_and(|p| actor.scope.admits(&p, req.owner_id.map(PersonId)))
}

async fn delegators(conn: &mut Conn, app: &App, actor: &Actor) -> Result<Vec<i64>, AppError> {
    match actor.person_id() {
        Some(me) => Ok(store::delegators_of(conn, me, &app.today()).await?),
        None => Ok(Vec::new()),
    }
}

async fn detail(
    conn: &mut Conn,
    actor: &Actor,
    req: RequestRow,
    delegators: &[i64],
) -> Result<ApprovalDetail, AppError> {
    let steps = store::steps(conn, req.id).await?;
    let me = actor.person_id().unwrap_or(-1);
    let can_decide = req.status == "pending"
        && in_scope(actor, &req)
        && steps.iter().any(|s| {
            s.step == req.current_step
                && s.status == "pending"
                && (s.approver_id == me || delegators.contains(&s.approver_id))
        });
    Ok(ApprovalDetail {
        request: req,
        steps,
        can_decide,
    })
}

/// The requests waiting for the signed-in person (or for someone they stand in for).
pub async fn queue(app: &App, actor: &Actor) -> Result<Vec<RequestRow>, AppError> {
    actor.require(Capability::Approve)?;
    let Some(me) = actor.person_id() else {
        return Ok(Vec::new());
    };
    let mut conn = app.store.read().await?;
    let delegators = delegators(&mut conn, app, actor).await?;
    let rows = store::queue(&mut conn, me, &delegators).await?;
    Ok(rows.into_iter().filter(|r| in_scope(actor, r)).collect())
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<ApprovalDetail, AppError> {
    actor.require(Capability::Approve)?;
    let mut conn = app.store.read().await?;
    let delegators = delegators(&mut conn, app, actor).await?;
    let req = store::get_unscoped(&mut conn, id)
        .await?
        .filter(|r| in_scope(actor, r))
        .ok_or(AppError::NotFound { entity: "approval" })?;
    detail(&mut conn, actor, req, &delegators).await
}

/// Decides the current step of a request. Rejecting and sending back need a reason.
pub async fn decide(
    app: &App,
    actor: &Actor,
    id: i64,
    decision: Decision,
    reason: Option<String>,
) -> Result<ApprovalDetail, AppError> {
    actor.require(Capability::Approve)?;
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 1000) {
        return Err(AppError::invalid(
            "approval.reason_too_long",
            "reason",
            "a reason has at most 1000 characters",
        ));
    }
    if decision != Decision::Approve && reason.is_none() {
        return Err(AppError::invalid(
            "approval.reason_required",
            "reason",
            "say why",
        ));
    }
    let mut tx = app.store.begin().await?;
    let delegators = delegators(tx.conn(), app, actor).await?;
    let req = store::get_unscoped(tx.conn(), id)
        .await?
        .filter(|r| in_scope(actor, r))
        .ok_or(AppError::NotFound { entity: "approval" })?;
    // decisions on a dealer's documents queue behind the dealer's balance row, like the
    // documents' own changes (see `orders`)
    let req = match req.dealer_id {
        Some(dealer) => {
            salesos_store::credit::lock_balance(&mut tx, dealer).await?;
            store::get_unscoped(tx.conn(), id)
                .await?
                .ok_or(AppError::NotFound { entity: "approval" })?
        }
        None => req,
    };
    if req.status != "pending" {
        return Err(AppError::Conflict(FieldError::general(
            "approval.not_pending",
            "this request has already been decided",
        )));
    }
    let steps = store::steps(tx.conn(), id).await?;
    let me = actor.person_id().unwrap_or(-1);
    let current = steps
        .iter()
        .find(|s| s.step == req.current_step && s.status == "pending")
        .filter(|s| s.approver_id == me || delegators.contains(&s.approver_id))
        .cloned()
        .ok_or_else(|| {
            AppError::Conflict(FieldError::general(
                "approval.not_your_step",
                "this step waits for someone else",
            ))
        })?;
    let before = snapshot(&req);
    store::act_on_step(
        tx.conn(),
        current.id,
        decision.code(),
        actor.person_id(),
        reason.as_deref(),
    )
    .await?;
    let next = steps.iter().find(|s| s.step == current.step + 1).cloned();
    let (operation, outcome) = match decision {
        Decision::Approve => match next {
            Some(next) => {
                store::set_step_status(tx.conn(), next.id, "pending").await?;
                store::set_request(tx.conn(), id, "pending", next.step, false).await?;
                ("approval.approve", None)
            }
            None => {
                store::set_request(tx.conn(), id, "approved", current.step, true).await?;
                ("approval.approve", Some("approved"))
            }
        },
        Decision::Reject => {
            store::set_request(tx.conn(), id, "rejected", current.step, true).await?;
            ("approval.reject", Some("rejected"))
        }
        Decision::SendBack => {
            store::set_request(tx.conn(), id, "sent_back", current.step, true).await?;
            ("approval.send_back", Some("sent_back"))
        }
    };
    for s in steps.iter().filter(|s| s.step > current.step) {
        if outcome.is_some() && outcome != Some("approved") {
            store::set_step_status(tx.conn(), s.id, "cancelled").await?;
        }
    }
    let after = store::get_unscoped(tx.conn(), id)
        .await?
        .ok_or(AppError::Internal("approval vanished".into()))?;
    record(
        tx.conn(),
        actor,
        operation,
        "approval",
        id,
        Some(&req.node_path),
        before,
        snapshot(&serde_json::json!({ "request": &after, "step": current.step, "reason": reason })),
    )
    .await?;
    if let Some(outcome) = outcome {
        dispatch(&mut tx, app, actor, &after, outcome).await?;
    }
    let result = detail(tx.conn(), actor, after, &delegators).await?;
    tx.commit().await?;
    Ok(result)
}

/// What a final decision does to its document.
async fn dispatch(
    tx: &mut WriteTx,
    app: &App,
    actor: &Actor,
    req: &RequestRow,
    outcome: &str,
) -> Result<(), AppError> {
    match req.doc_type.as_str() {
        "credit_hold" | "price_override" => {
            orders::hold_decided(tx, app, actor, req.doc_id, outcome).await
        }
        "temp_credit" => credit::temp_credit_decided(tx.conn(), actor, req.doc_id, outcome).await,
        "return" => crate::returns::decided(tx.conn(), actor, req, outcome).await,
        "transfer" | "transfer_over_limit" => {
            crate::transfers::decided(tx, app, actor, req, outcome).await
        }
        "dealer_terms" | "credit_limit_proposal" => {
            crate::dealers::term_request_decided(tx.conn(), app, actor, req, outcome).await
        }
        "target_plan" => crate::targets::plan_decided(tx.conn(), actor, req.doc_id, outcome).await,
        other => Err(AppError::Internal(format!(
            "no handler for approvals of {other}"
        ))),
    }
}

/// Lets `to_person` decide the signed-in person's approvals over `[from, to)`.
pub async fn delegate(
    app: &App,
    actor: &Actor,
    to_person: i64,
    from: Option<String>,
    to: String,
) -> Result<DelegationRow, AppError> {
    actor.require(Capability::Approve)?;
    let me = actor.person_id().ok_or(AppError::Forbidden {
        capability: "approve",
    })?;
    let from = crate::dates::parse_day(from.as_deref(), &app.today(), "valid_from")?;
    let to = crate::dates::parse_day(Some(&to), &app.today(), "valid_to")?;
    if to <= from {
        return Err(AppError::invalid(
            "delegation.period_invalid",
            "valid_to",
            "the end must come after the start",
        ));
    }
    if to_person == me {
        return Err(AppError::invalid(
            "delegation.self",
            "to_person",
            "choose someone else",
        ));
    }
    let mut tx = app.store.begin().await?;
    let target = people::get_unscoped(tx.conn(), to_person)
        .await?
        .filter(|p| p.active)
        .filter(|p| {
            p.role
                .as_deref()
                .and_then(Role::parse)
                .is_some_and(|r| r.can(Capability::Approve))
        })
        .ok_or_else(|| {
            AppError::invalid(
                "delegation.person_invalid",
                "to_person",
                "the stand-in must be an active person who can approve",
            )
        })?;
    let id = store::insert_delegation(tx.conn(), me, target.id, &from, &to).await?;
    let row = store::delegations_from(tx.conn(), me)
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or(AppError::Internal("delegation vanished".into()))?;
    record(
        tx.conn(),
        actor,
        "delegation.create",
        "person",
        me,
        actor.person.as_ref().and_then(|p| p.node_path.as_deref()),
        None,
        snapshot(&row),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn my_delegations(app: &App, actor: &Actor) -> Result<Vec<DelegationRow>, AppError> {
    actor.require(Capability::Approve)?;
    let Some(me) = actor.person_id() else {
        return Ok(Vec::new());
    };
    let mut conn = app.store.read().await?;
    Ok(store::delegations_from(&mut conn, me).await?)
}

/// Ends one of the signed-in person's delegations (back from leave early, or a mistake).
/// Someone else's delegation is "not found".
pub async fn revoke_delegation(app: &App, actor: &Actor, id: i64) -> Result<(), AppError> {
    actor.require(Capability::Approve)?;
    let me = actor.person_id().ok_or(AppError::NotFound {
        entity: "delegation",
    })?;
    let mut tx = app.store.begin().await?;
    let before = store::delegations_from(tx.conn(), me)
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or(AppError::NotFound {
            entity: "delegation",
        })?;
    if !store::revoke_delegation(tx.conn(), me, id).await? {
        return Err(AppError::NotFound {
            entity: "delegation",
        });
    }
    record(
        tx.conn(),
        actor,
        "delegation.revoke",
        "person",
        me,
        actor.person.as_ref().and_then(|p| p.node_path.as_deref()),
        snapshot(&before),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Who may stand in for the signed-in person: active people, other than them, whose role can
/// approve (what `delegate` accepts).
pub async fn stand_ins(app: &App, actor: &Actor) -> Result<Vec<people::PersonRow>, AppError> {
    actor.require(Capability::Approve)?;
    let me = actor.person_id();
    let mut conn = app.store.read().await?;
    Ok(people::list_all_unscoped(&mut conn)
        .await?
        .into_iter()
        .filter(|p| p.active && Some(p.id) != me)
        .filter(|p| {
            p.role
                .as_deref()
                .and_then(Role::parse)
                .is_some_and(|r| r.can(Capability::Approve))
        })
        .collect())
}
