//! Returns (退货): request → approval → goods received → inspection → credit note against the
//! original invoice.
//!
//! * A return can never take back more than was sold less what was already returned or handed
//!   on: each line *holds* units of its invoice line from the request on (see
//!   `store::returns`), and every check reads the held units inside the write transaction after
//!   locking the dealer's balance row, so concurrent requests queue and the second one sees
//!   the first (PostgreSQL `SELECT … FOR UPDATE`, SQLite `BEGIN IMMEDIATE`).
//! * Who may do what: requesting, submitting again and cancelling need `EnterOrders` (the desk
//!   or the dealer's rep); receiving and inspecting the goods need `Ship` (the warehouse);
//!   issuing the credit note needs `Bill`. The approval runs through the approvals engine
//!   (document type `return`, rules in `approval_rules`).
//! * The credit is [`return_credit`] on the invoiced line (pro rata, cumulatively floored), so
//!   all returns of a line together credit exactly the line once everything came back. It
//!   lowers what the invoice still owes; beyond that (the invoice was paid) it frees the
//!   payments allocated to it as credit on the dealer's account. Receivables (`ar_ledger`) and
//!   credit exposure move in the same transaction.
//! * A return keeps its invoice's territory (`node_path`, `owner_id`), so it is seen by whoever
//!   sees the invoice.

use crate::approvals::{self, Ask};
use crate::audit::{record, snapshot};
use crate::dates::parse_day;
use crate::{Actor, App, AppError};
use salesos_domain::credit::EntryKind;
use salesos_domain::fulfilment::{check_return, return_credit, LineAmount};
use salesos_domain::roles::Capability;
use salesos_domain::{FieldError, Money};
use salesos_store::approvals::{self as approvals_store, RequestRow};
use salesos_store::billing::{self as billing_store, InvoiceRow, LedgerEntry, NewCreditNote};
use salesos_store::credit::{self as credit_store, Posting};
use salesos_store::returns::{
    self as store, Inspection, NewReturn, NewReturnLine, ReturnFilter, ReturnLineRow, ReturnRow,
    ReturnableLine, Stamp,
};
use salesos_store::shipments as shipments_store;
use salesos_store::{now_micros, Conn, WriteTx};
use serde::Serialize;

const MAX_REASON: usize = 200;
const MAX_NOTE: usize = 1000;

#[derive(Debug, Clone, Serialize)]
pub struct ReturnDetail {
    #[serde(rename = "return")]
    pub ret: ReturnRow,
    pub lines: Vec<ReturnLineRow>,
    pub approvals: Vec<RequestRow>,
}

/// What an invoice can still give back, for the new-return form.
#[derive(Debug, Clone, Serialize)]
pub struct Returnable {
    pub invoice: InvoiceRow,
    pub lines: Vec<ReturnableLine>,
}

#[derive(Debug, Clone, Default)]
pub struct ReturnLineInput {
    /// The invoice line's number.
    pub line_no: i64,
    pub quantity: i64,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NewReturnInput {
    pub reason: Option<String>,
    pub note: Option<String>,
    pub lines: Vec<ReturnLineInput>,
}

#[derive(Debug, Clone, Default)]
pub struct ReceiveLineInput {
    pub line_id: i64,
    pub received_qty: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ReceiveInput {
    pub received_on: Option<String>,
    /// Lines not named arrived complete.
    pub lines: Vec<ReceiveLineInput>,
}

#[derive(Debug, Clone, Default)]
pub struct InspectLineInput {
    pub line_id: i64,
    pub accepted_qty: i64,
    pub reject_reason: Option<String>,
    /// restock (default) or scrap
    pub disposition: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct InspectInput {
    /// Lines not named are accepted in full and restocked.
    pub lines: Vec<InspectLineInput>,
}

fn text(
    raw: Option<String>,
    max: usize,
    code: &'static str,
    field: &'static str,
) -> Result<Option<String>, AppError> {
    let t = raw.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
    if t.as_ref().is_some_and(|r| r.chars().count() > max) {
        return Err(AppError::invalid(
            code,
            field,
            format!("at most {max} characters"),
        ));
    }
    Ok(t)
}

fn required_reason(raw: Option<String>) -> Result<String, AppError> {
    text(raw, MAX_REASON, "return.reason_too_long", "reason")?
        .ok_or_else(|| AppError::invalid("return.reason_required", "reason", "say why"))
}

fn conflict(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Conflict(FieldError::general(code, message))
}

fn amount_of(l: &ReturnableLine) -> LineAmount {
    LineAmount {
        quantity: l.quantity,
        net: Money(l.net_fen),
        tax: Money(l.tax_fen),
        gross: Money(l.gross_fen),
    }
}

async fn detail(conn: &mut Conn, ret: ReturnRow) -> Result<ReturnDetail, AppError> {
    Ok(ReturnDetail {
        lines: store::lines(conn, ret.id).await?,
        approvals: approvals_store::for_document(conn, "return", ret.id).await?,
        ret,
    })
}

pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &ReturnFilter,
) -> Result<Vec<ReturnRow>, AppError> {
    actor.require(Capability::ViewOrders)?;
    if let Some(s) = &filter.status {
        if !store::ALL_STATES.contains(&s.as_str()) {
            return Err(AppError::invalid(
                "return.status_unknown",
                "status",
                "unknown return status",
            ));
        }
    }
    let mut conn = app.store.read().await?;
    Ok(store::list(&mut conn, &actor.scope, filter).await?)
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<ReturnDetail, AppError> {
    actor.require(Capability::ViewOrders)?;
    let mut conn = app.store.read().await?;
    let ret = store::get(&mut conn, &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "return" })?;
    detail(&mut conn, ret).await
}

/// The invoice's lines with what each can still give back.
pub async fn returnable(app: &App, actor: &Actor, invoice_id: i64) -> Result<Returnable, AppError> {
    actor.require(Capability::EnterOrders)?;
    let mut conn = app.store.read().await?;
    let invoice = billing_store::get_invoice(&mut conn, &actor.scope, invoice_id)
        .await?
        .ok_or(AppError::NotFound { entity: "invoice" })?;
    let lines = store::returnable_lines(&mut conn, invoice_id).await?;
    Ok(Returnable { invoice, lines })
}

/// Loads a return in scope with the dealer's balance row locked, so no other change to the
/// dealer's documents runs until this transaction ends.
async fn lock_return(tx: &mut WriteTx, actor: &Actor, id: i64) -> Result<ReturnRow, AppError> {
    let ret = store::get(tx.conn(), &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "return" })?;
    credit_store::lock_balance(tx, ret.dealer_id).await?;
    store::get(tx.conn(), &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "return" })
}

async fn finish(
    mut tx: WriteTx,
    actor: &Actor,
    operation: &str,
    id: i64,
    before: Option<serde_json::Value>,
) -> Result<ReturnDetail, AppError> {
    let after = written(tx.conn(), actor, operation, id, before).await?;
    tx.commit().await?;
    Ok(after)
}

async fn written(
    conn: &mut Conn,
    actor: &Actor,
    operation: &str,
    id: i64,
    before: Option<serde_json::Value>,
) -> Result<ReturnDetail, AppError> {
    let ret = store::get_unscoped(conn, id)
        .await?
        .ok_or(AppError::Internal("return vanished".into()))?;
    let after = detail(conn, ret).await?;
    record(
        conn,
        actor,
        operation,
        "return",
        id,
        Some(&after.ret.node_path),
        before,
        snapshot(&after),
    )
    .await?;
    Ok(after)
}

fn wrong_state(status: &str) -> AppError {
    conflict(
        "return.wrong_state",
        format!("a return that is {status} cannot do that"),
    )
}

/// Requests a return of goods from an invoice. Each line names the invoice line, a quantity
/// and (optionally) its own reason; the whole return needs a reason.
pub async fn request(
    app: &App,
    actor: &Actor,
    invoice_id: i64,
    input: NewReturnInput,
) -> Result<ReturnDetail, AppError> {
    actor.require(Capability::EnterOrders)?;
    let reason = required_reason(input.reason)?;
    let note = text(input.note, MAX_NOTE, "return.note_too_long", "note")?;
    if input.lines.is_empty() {
        return Err(AppError::invalid(
            "return.no_lines",
            "lines",
            "name at least one line to return",
        ));
    }
    let mut line_reasons = Vec::with_capacity(input.lines.len());
    for (i, l) in input.lines.iter().enumerate() {
        if input.lines[..i].iter().any(|o| o.line_no == l.line_no) {
            return Err(AppError::invalid(
                "return.duplicate_line",
                "lines",
                format!("invoice line {} appears twice", l.line_no),
            ));
        }
        let r = text(
            l.reason.clone(),
            MAX_REASON,
            "return.reason_too_long",
            "reason",
        )?;
        line_reasons.push(r.unwrap_or_else(|| reason.clone()));
    }
    let mut tx = app.store.begin().await?;
    let inv = billing_store::get_invoice(tx.conn(), &actor.scope, invoice_id)
        .await?
        .ok_or(AppError::NotFound { entity: "invoice" })?;
    credit_store::lock_balance(&mut tx, inv.dealer_id).await?;
    let inv = billing_store::get_invoice(tx.conn(), &actor.scope, invoice_id)
        .await?
        .ok_or(AppError::NotFound { entity: "invoice" })?;
    if inv.status == "cancelled" {
        return Err(conflict(
            "return.invoice_cancelled",
            "goods on a cancelled invoice cannot be returned",
        ));
    }
    let facts = store::returnable_lines(tx.conn(), invoice_id).await?;
    let mut estimate = 0i64;
    let mut new_lines = Vec::with_capacity(input.lines.len());
    for (l, line_reason) in input.lines.iter().zip(&line_reasons) {
        let f = facts
            .iter()
            .find(|f| f.line_no == l.line_no)
            .ok_or_else(|| {
                AppError::invalid(
                    "return.line_unknown",
                    "line_no",
                    format!("the invoice has no line {}", l.line_no),
                )
            })?;
        check_return(f.quantity, f.held_qty, l.quantity)?;
        estimate += return_credit(&amount_of(f), f.credited_qty, l.quantity)?
            .gross
            .0;
        new_lines.push((f.invoice_line_id, f.product_id, l.quantity, line_reason));
    }
    let number = shipments_store::next_number(tx.conn(), "RT").await?;
    let id = store::insert_return(
        tx.conn(),
        NewReturn {
            number: &number,
            dealer_id: inv.dealer_id,
            invoice_id,
            status: "requested",
            reason: &reason,
            credit_fen: estimate,
            note: note.as_deref(),
            node_path: &inv.node_path,
            owner_id: inv.owner_id,
            requested_by: actor.person_id(),
            requested_at: now_micros(),
        },
    )
    .await?;
    for (i, (invoice_line_id, product_id, quantity, line_reason)) in new_lines.iter().enumerate() {
        store::insert_line(
            tx.conn(),
            id,
            &NewReturnLine {
                line_no: i as i64 + 1,
                invoice_line_id: *invoice_line_id,
                product_id: *product_id,
                quantity: *quantity,
                reason: line_reason,
            },
        )
        .await?;
    }
    ask_approval(&mut tx, actor, id, &number, &inv, estimate).await?;
    finish(tx, actor, "return.request", id, None).await
}

async fn ask_approval(
    tx: &mut WriteTx,
    actor: &Actor,
    id: i64,
    number: &str,
    inv: &InvoiceRow,
    estimate: i64,
) -> Result<(), AppError> {
    let summary = format!(
        "{number} · {} {} · {} · {}",
        inv.dealer_code,
        inv.dealer_name,
        inv.number,
        Money(estimate)
    );
    approvals::open(
        tx.conn(),
        actor,
        Ask {
            doc_type: "return",
            doc_id: id,
            dealer_id: Some(inv.dealer_id),
            node_path: &inv.node_path,
            owner_id: Some(inv.owner_id),
            value: estimate,
            amount_fen: estimate,
            summary: &summary,
        },
    )
    .await?;
    Ok(())
}

/// What a final decision of the approval does to the return (called by the approvals engine
/// inside its transaction, the dealer's balance row already locked).
pub async fn decided(
    conn: &mut Conn,
    actor: &Actor,
    req: &RequestRow,
    outcome: &str,
) -> Result<(), AppError> {
    let ret = store::get_unscoped(conn, req.doc_id)
        .await?
        .ok_or(AppError::Internal("return vanished".into()))?;
    if ret.status != "requested" {
        return Err(wrong_state(&ret.status));
    }
    let before = snapshot(&ret);
    let to = match outcome {
        "approved" => "approved",
        "rejected" => "rejected",
        _ => "sent_back",
    };
    store::transition(
        conn,
        ret.id,
        "requested",
        to,
        Stamp::Decided,
        actor.person_id(),
        now_micros(),
    )
    .await?;
    if to == "rejected" {
        store::release(conn, ret.id, Some("rejected in approval")).await?;
    }
    written(conn, actor, &format!("return.{to}"), ret.id, before).await?;
    Ok(())
}

/// Submits a sent-back return again: the quantities are checked again and a new approval opens.
pub async fn resubmit(app: &App, actor: &Actor, id: i64) -> Result<ReturnDetail, AppError> {
    actor.require(Capability::EnterOrders)?;
    let mut tx = app.store.begin().await?;
    let ret = lock_return(&mut tx, actor, id).await?;
    if ret.status != "sent_back" {
        return Err(wrong_state(&ret.status));
    }
    let before = detail(tx.conn(), ret.clone()).await?;
    let inv = billing_store::get_invoice_unscoped(tx.conn(), ret.invoice_id)
        .await?
        .ok_or(AppError::Internal("invoice vanished".into()))?;
    if inv.status == "cancelled" {
        return Err(conflict(
            "return.invoice_cancelled",
            "goods on a cancelled invoice cannot be returned",
        ));
    }
    store::transition(
        tx.conn(),
        id,
        "sent_back",
        "requested",
        Stamp::Requested,
        actor.person_id(),
        now_micros(),
    )
    .await?;
    ask_approval(&mut tx, actor, id, &ret.number, &inv, ret.credit_fen).await?;
    finish(tx, actor, "return.resubmit", id, snapshot(&before)).await
}

/// Cancels a return before its goods arrive; it holds nothing any more.
pub async fn cancel(
    app: &App,
    actor: &Actor,
    id: i64,
    reason: Option<String>,
) -> Result<ReturnDetail, AppError> {
    actor.require(Capability::EnterOrders)?;
    let reason = required_reason(reason)?;
    let mut tx = app.store.begin().await?;
    let ret = lock_return(&mut tx, actor, id).await?;
    if !store::REQUESTED_STATES.contains(&ret.status.as_str()) {
        return Err(wrong_state(&ret.status));
    }
    let before = detail(tx.conn(), ret.clone()).await?;
    approvals::withdraw(tx.conn(), actor, "return", id).await?;
    store::transition(
        tx.conn(),
        id,
        &ret.status,
        "cancelled",
        Stamp::Closed,
        actor.person_id(),
        now_micros(),
    )
    .await?;
    store::release(tx.conn(), id, Some(&reason)).await?;
    finish(tx, actor, "return.cancel", id, snapshot(&before)).await
}

/// The goods arrived at the warehouse (possibly fewer than requested).
pub async fn receive(
    app: &App,
    actor: &Actor,
    id: i64,
    input: ReceiveInput,
) -> Result<ReturnDetail, AppError> {
    actor.require(Capability::Ship)?;
    let day = parse_day(input.received_on.as_deref(), &app.today(), "received_on")?;
    let mut tx = app.store.begin().await?;
    let ret = lock_return(&mut tx, actor, id).await?;
    if ret.status != "approved" {
        return Err(wrong_state(&ret.status));
    }
    let before = detail(tx.conn(), ret.clone()).await?;
    for l in &input.lines {
        if !before.lines.iter().any(|x| x.id == l.line_id) {
            return Err(AppError::invalid(
                "return.line_unknown",
                "line_id",
                format!("the return has no line {}", l.line_id),
            ));
        }
    }
    let mut total = 0;
    for line in &before.lines {
        let qty = input
            .lines
            .iter()
            .find(|l| l.line_id == line.id)
            .map_or(line.quantity, |l| l.received_qty);
        if qty < 0 || qty > line.quantity {
            return Err(AppError::invalid(
                "return.received_exceeds_requested",
                "received_qty",
                format!(
                    "between 0 and the {} requested units can arrive",
                    line.quantity
                ),
            ));
        }
        total += qty;
        store::set_line_received(tx.conn(), line.id, qty).await?;
    }
    if total == 0 {
        return Err(AppError::invalid(
            "return.nothing_received",
            "received_qty",
            "nothing arrived: cancel the return instead",
        ));
    }
    store::set_received(tx.conn(), id, &day).await?;
    store::transition(
        tx.conn(),
        id,
        "approved",
        "received",
        Stamp::Received,
        actor.person_id(),
        now_micros(),
    )
    .await?;
    finish(tx, actor, "return.receive", id, snapshot(&before)).await
}

/// Inspection: per line the accepted units (the rest is rejected, with a reason) and what
/// happens to the goods. Nothing accepted closes the return without a credit.
pub async fn inspect(
    app: &App,
    actor: &Actor,
    id: i64,
    input: InspectInput,
) -> Result<ReturnDetail, AppError> {
    actor.require(Capability::Ship)?;
    let mut tx = app.store.begin().await?;
    let ret = lock_return(&mut tx, actor, id).await?;
    if ret.status != "received" {
        return Err(wrong_state(&ret.status));
    }
    let before = detail(tx.conn(), ret.clone()).await?;
    for l in &input.lines {
        if !before.lines.iter().any(|x| x.id == l.line_id) {
            return Err(AppError::invalid(
                "return.line_unknown",
                "line_id",
                format!("the return has no line {}", l.line_id),
            ));
        }
    }
    let facts = store::returnable_lines(tx.conn(), ret.invoice_id).await?;
    let mut accepted_total = 0;
    let mut estimate = 0;
    for line in &before.lines {
        let received = line.received_qty.unwrap_or(0);
        let given = input.lines.iter().find(|l| l.line_id == line.id);
        let accepted = given.map_or(received, |l| l.accepted_qty);
        if accepted < 0 || accepted > received {
            return Err(AppError::invalid(
                "return.accepted_exceeds_received",
                "accepted_qty",
                format!("between 0 and the {received} received units can be accepted"),
            ));
        }
        let rejected = received - accepted;
        let reject_reason = text(
            given.and_then(|l| l.reject_reason.clone()),
            MAX_REASON,
            "return.reason_too_long",
            "reject_reason",
        )?;
        if rejected > 0 && reject_reason.is_none() {
            return Err(AppError::invalid(
                "return.reject_reason_required",
                "reject_reason",
                "say why units were rejected",
            ));
        }
        let disposition = given
            .and_then(|l| l.disposition.as_deref())
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .unwrap_or("restock");
        if !store::DISPOSITIONS.contains(&disposition) {
            return Err(AppError::invalid(
                "return.disposition_unknown",
                "disposition",
                "the goods are restocked or scrapped",
            ));
        }
        store::set_line_inspected(
            tx.conn(),
            line.id,
            &Inspection {
                accepted_qty: accepted,
                rejected_qty: rejected,
                reject_reason: reject_reason.as_deref(),
                disposition,
            },
        )
        .await?;
        if accepted > 0 {
            let f = facts
                .iter()
                .find(|f| f.invoice_line_id == line.invoice_line_id)
                .ok_or(AppError::Internal("invoice line vanished".into()))?;
            estimate += return_credit(&amount_of(f), f.credited_qty, accepted)?
                .gross
                .0;
        }
        accepted_total += accepted;
    }
    let to = if accepted_total == 0 {
        "closed"
    } else {
        "inspected"
    };
    store::set_credit(tx.conn(), id, estimate, None).await?;
    store::transition(
        tx.conn(),
        id,
        "received",
        to,
        Stamp::Inspected,
        actor.person_id(),
        now_micros(),
    )
    .await?;
    finish(tx, actor, "return.inspect", id, snapshot(&before)).await
}

/// Issues the credit note for the accepted goods against the original invoice.
pub async fn credit(
    app: &App,
    actor: &Actor,
    id: i64,
    issued_on: Option<String>,
) -> Result<ReturnDetail, AppError> {
    actor.require(Capability::Bill)?;
    let day = parse_day(issued_on.as_deref(), &app.today(), "issued_on")?;
    let mut tx = app.store.begin().await?;
    let ret = lock_return(&mut tx, actor, id).await?;
    if ret.status != "inspected" {
        return Err(wrong_state(&ret.status));
    }
    let before = detail(tx.conn(), ret.clone()).await?;
    let inv = billing_store::get_invoice_unscoped(tx.conn(), ret.invoice_id)
        .await?
        .ok_or(AppError::Internal("invoice vanished".into()))?;
    if inv.status == "cancelled" {
        return Err(conflict(
            "return.invoice_cancelled",
            "goods on a cancelled invoice cannot be credited",
        ));
    }
    let facts = store::returnable_lines(tx.conn(), ret.invoice_id).await?;
    let mut total = 0i64;
    for line in &before.lines {
        let accepted = line.accepted_qty.unwrap_or(0);
        if accepted == 0 {
            continue;
        }
        let f = facts
            .iter()
            .find(|f| f.invoice_line_id == line.invoice_line_id)
            .ok_or(AppError::Internal("invoice line vanished".into()))?;
        let c = return_credit(&amount_of(f), f.credited_qty, accepted)?;
        store::set_line_credit(tx.conn(), line.id, c.net.0, c.tax.0).await?;
        total += c.gross.0;
    }
    let reason = format!("return {}", ret.number);
    let (note_id, _) = credit_invoice(tx.conn(), actor, &inv, total, &reason, &day).await?;
    store::set_credit(tx.conn(), id, total, Some(note_id)).await?;
    store::transition(
        tx.conn(),
        id,
        "inspected",
        "credited",
        Stamp::Credited,
        actor.person_id(),
        now_micros(),
    )
    .await?;
    finish(tx, actor, "return.credit", id, snapshot(&before)).await
}

/// Credits `amount_fen` against an invoice: a credit note (reason `return`), the invoice's open
/// amount lowered, and beyond what is open the payments allocated to it freed (newest first)
/// as credit on the dealer's account. Receivables and exposure move by the whole amount.
/// Callers hold the dealer's balance row. Returns the credit note's id and number.
pub(crate) async fn credit_invoice(
    conn: &mut Conn,
    actor: &Actor,
    inv: &InvoiceRow,
    amount_fen: i64,
    what: &str,
    day: &str,
) -> Result<(i64, String), AppError> {
    let allocations = billing_store::allocations_of_invoice(conn, inv.id).await?;
    let mut by_payment: Vec<(i64, i64)> = Vec::new();
    for a in &allocations {
        match by_payment.iter_mut().find(|(p, _)| *p == a.payment_id) {
            Some((_, n)) => *n += a.amount_fen,
            None => by_payment.push((a.payment_id, a.amount_fen)),
        }
    }
    let allocated: i64 = by_payment.iter().map(|(_, n)| n).sum();
    if amount_fen > inv.open_fen + allocated {
        return Err(conflict(
            "return.credit_exceeds_invoice",
            format!(
                "the invoice has only {} left to credit: settle the difference with a manual credit note",
                Money(inv.open_fen + allocated)
            ),
        ));
    }
    let reason_code = if what.starts_with("transfer") {
        "transfer"
    } else {
        "return"
    };
    let number = shipments_store::next_number(conn, "CN").await?;
    let id = billing_store::insert_credit_note(
        conn,
        NewCreditNote {
            number: &number,
            dealer_id: inv.dealer_id,
            invoice_id: Some(inv.id),
            shipment_id: inv.shipment_id,
            issued_on: day,
            reason: reason_code,
            amount_fen,
            node_path: &inv.node_path,
            owner_id: inv.owner_id,
            created_by: actor.person_id(),
        },
    )
    .await?;
    let from_open = amount_fen.min(inv.open_fen);
    if from_open > 0 {
        billing_store::reduce_open(conn, inv.id, from_open, day).await?;
    }
    let mut to_free = amount_fen - from_open;
    for (payment_id, net) in by_payment.iter().rev() {
        if to_free == 0 {
            break;
        }
        let freed = (*net).min(to_free);
        if freed <= 0 {
            continue;
        }
        billing_store::insert_allocation(conn, *payment_id, inv.id, -freed, day).await?;
        billing_store::reduce_unallocated(conn, *payment_id, -freed).await?;
        to_free -= freed;
    }
    credit_store::post(
        conn,
        Posting {
            dealer_id: inv.dealer_id,
            kind: EntryKind::CreditNote,
            amount_fen: -amount_fen,
            doc_type: "credit_note",
            doc_id: id,
            person_id: actor.person_id(),
        },
    )
    .await?;
    billing_store::append_ledger(
        conn,
        LedgerEntry {
            dealer_id: inv.dealer_id,
            entry_date: day,
            kind: "credit_note",
            doc_type: "credit_note",
            doc_id: id,
            doc_number: &number,
            amount_fen: -amount_fen,
            node_path: &inv.node_path,
            owner_id: inv.owner_id,
            person_id: actor.person_id(),
        },
    )
    .await?;
    record(
        conn,
        actor,
        "invoice.credit_note",
        "invoice",
        inv.id,
        Some(&inv.node_path),
        None,
        snapshot(&serde_json::json!({
            "credit_note": number, "amount_fen": amount_fen, "for": what,
        })),
    )
    .await?;
    Ok((id, number))
}
