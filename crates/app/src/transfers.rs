//! Transfers of goods between dealers (调货): goods sold to dealer A are handed to dealer B at
//! an agreed price. Request → approval → posted.
//!
//! * **Who.** Requesting and cancelling need `EnterOrders` and *both* dealers in the person's
//!   scope (a transfer with either side outside it is "not found"); so a rep can move goods
//!   only between their own dealers, an area manager within the area, the desk anywhere.
//! * **Quantities.** Each line takes its units from A's invoice lines of the product, oldest
//!   invoice first, and holds them from the request on, exactly like a return does: A can
//!   never hand on more than it bought less what it returned, requested to return or already
//!   handed on ([`plan_transfer`] refuses the rest). Once posted, the units count as returned
//!   by A and — through B's new invoice — as sold to B, so B can return or hand them on later.
//! * **Money.** [`plan_transfer`] prices both sides from one computation, so A's credit and
//!   B's debit are the same to the fen. A gets credit notes (reason `transfer`) on the invoices
//!   the units came from, split pro rata; B gets an invoice with its due date from B's payment
//!   term. Receivables and both dealers' credit exposure move in the one transaction that
//!   posts the transfer, with both balance rows locked (lower dealer id first, so two
//!   transfers in opposite directions cannot deadlock).
//! * **Credit check.** B's position is checked on request; a transfer that would take B over
//!   its limit (or B has overdue debt) asks the `transfer_over_limit` approval (which goes to
//!   the director), otherwise the `transfer` approval. Nothing posts without an approval.
//! * **Scope of the approval** is the source dealer's territory.

use crate::approvals::{self, Ask};
use crate::audit::{record, snapshot};
use crate::dates::parse_day;
use crate::returns::credit_invoice;
use crate::{credit, Actor, App, AppError};
use chrono::NaiveDate;
use salesos_domain::credit::{decide, Decision as CreditDecision, EntryKind};
use salesos_domain::fulfilment::{plan_transfer, TransferLine};
use salesos_domain::receivables as rules;
use salesos_domain::roles::Capability;
use salesos_domain::{FieldError, Money};
use salesos_store::approvals::{self as approvals_store, RequestRow};
use salesos_store::billing::{self as billing_store, LedgerEntry, NewInvoice, NewInvoiceLine};
use salesos_store::credit::{self as credit_store, Posting};
use salesos_store::orders::{self as orders_store, DealerFacts};
use salesos_store::returns as returns_store;
use salesos_store::shipments as shipments_store;
use salesos_store::transfers::{
    self as store, NewTransfer, NewTransferLine, SourceRow, TransferFilter, TransferLineRow,
    TransferRow,
};
use salesos_store::{Conn, WriteTx};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct TransferDetail {
    pub transfer: TransferRow,
    pub lines: Vec<TransferLineRow>,
    pub sources: Vec<SourceRow>,
    pub approvals: Vec<RequestRow>,
}

#[derive(Debug, Clone, Default)]
pub struct TransferLineInput {
    pub product_id: i64,
    pub quantity: i64,
    /// The agreed price per unit, net of tax.
    pub unit_price_fen: i64,
}

#[derive(Debug, Clone, Default)]
pub struct NewTransferInput {
    pub source_dealer_id: i64,
    pub target_dealer_id: i64,
    pub transfer_date: Option<String>,
    pub note: Option<String>,
    pub lines: Vec<TransferLineInput>,
}

fn conflict(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Conflict(FieldError::general(code, message))
}

async fn detail(conn: &mut Conn, transfer: TransferRow) -> Result<TransferDetail, AppError> {
    let id = transfer.id;
    Ok(TransferDetail {
        lines: store::lines(conn, id).await?,
        sources: store::sources(conn, id).await?,
        approvals: approvals_store::for_document(conn, "transfer", id)
            .await?
            .into_iter()
            .chain(approvals_store::for_document(conn, "transfer_over_limit", id).await?)
            .collect(),
        transfer,
    })
}

pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &TransferFilter,
) -> Result<Vec<TransferRow>, AppError> {
    actor.require(Capability::ViewOrders)?;
    if let Some(s) = &filter.status {
        if !store::ALL_STATES.contains(&s.as_str()) {
            return Err(AppError::invalid(
                "transfer.status_unknown",
                "status",
                "unknown transfer status",
            ));
        }
    }
    let mut conn = app.store.read().await?;
    Ok(store::list(&mut conn, &actor.scope, filter).await?)
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<TransferDetail, AppError> {
    actor.require(Capability::ViewOrders)?;
    let mut conn = app.store.read().await?;
    let t = store::get(&mut conn, &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "transfer" })?;
    detail(&mut conn, t).await
}

/// Locks both dealers' balance rows, lower id first.
async fn lock_both(tx: &mut WriteTx, a: i64, b: i64) -> Result<(), AppError> {
    credit_store::lock_balance(tx, a.min(b)).await?;
    credit_store::lock_balance(tx, a.max(b)).await?;
    Ok(())
}

/// Splits `total` over `parts` units (summing to `units`) pro rata, cumulatively floored, so
/// the pieces add up to exactly `total`.
fn split(total: i64, parts: &[i64]) -> Vec<i64> {
    let units: i64 = parts.iter().sum();
    let mut out = Vec::with_capacity(parts.len());
    let (mut done_units, mut done_amount) = (0i64, 0i64);
    for p in parts {
        done_units += p;
        let upto = (i128::from(total) * i128::from(done_units) / i128::from(units.max(1))) as i64;
        out.push(upto - done_amount);
        done_amount = upto;
    }
    out
}

/// Requests a transfer; opens the approval.
pub async fn request(
    app: &App,
    actor: &Actor,
    input: NewTransferInput,
) -> Result<TransferDetail, AppError> {
    actor.require(Capability::EnterOrders)?;
    let day = parse_day(
        input.transfer_date.as_deref(),
        &app.today(),
        "transfer_date",
    )?;
    let note = input
        .note
        .as_deref()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
        return Err(AppError::invalid(
            "transfer.note_too_long",
            "note",
            "at most 1000 characters",
        ));
    }
    if input.lines.is_empty() {
        return Err(AppError::invalid(
            "transfer.no_lines",
            "lines",
            "name at least one product to transfer",
        ));
    }
    for l in &input.lines {
        if l.unit_price_fen < 0 {
            return Err(AppError::invalid(
                "fulfilment.price_negative",
                "unit_price_fen",
                "a price cannot be negative",
            ));
        }
    }
    let mut tx = app.store.begin().await?;
    let (source, target) = both_dealers(&mut tx, actor, &input).await?;
    lock_both(&mut tx, source.id, target.id).await?;
    if target.status != "active" {
        return Err(conflict(
            "transfer.target_not_active",
            "goods can only be transferred to an active dealer",
        ));
    }
    // what the source holds of each product, oldest invoice first
    let mut plan_lines = Vec::with_capacity(input.lines.len());
    let mut holdings = Vec::with_capacity(input.lines.len());
    for l in &input.lines {
        let tax_rate_bp = store::product_tax_rate(tx.conn(), l.product_id)
            .await?
            .ok_or_else(|| {
                AppError::invalid(
                    "transfer.product_unknown",
                    "product_id",
                    format!("there is no product {}", l.product_id),
                )
            })?;
        let held =
            returns_store::returnable_lines_of_product(tx.conn(), source.id, l.product_id).await?;
        plan_lines.push(TransferLine {
            product_id: l.product_id,
            quantity: l.quantity,
            unit_price: Money(l.unit_price_fen),
            tax_rate_bp,
            source_returnable: held.iter().map(|h| h.returnable()).sum(),
        });
        holdings.push(held);
    }
    let plan = plan_transfer(source.id, target.id, &plan_lines)?;
    // the target's credit check, as for an order
    let balance = credit_store::balance(tx.conn(), target.id).await?;
    let position = credit::position(tx.conn(), &target, balance.exposure_fen, &app.today()).await?;
    let over_limit = !matches!(decide(&position, plan.amounts.gross), CreditDecision::Pass);
    let number = shipments_store::next_number(tx.conn(), "TR").await?;
    let id = store::insert_transfer(
        tx.conn(),
        NewTransfer {
            number: &number,
            source_dealer_id: source.id,
            target_dealer_id: target.id,
            transfer_date: &day,
            net_fen: plan.amounts.net.0,
            tax_fen: plan.amounts.tax.0,
            gross_fen: plan.amounts.gross.0,
            over_limit,
            note: note.as_deref(),
            node_path: &source.node_path,
            owner_id: source.owner_id,
            target_node_path: &target.node_path,
            target_owner_id: target.owner_id,
            requested_by: actor.person_id(),
        },
    )
    .await?;
    for (i, ((l, amount), held)) in plan_lines
        .iter()
        .zip(&plan.amounts.lines)
        .zip(&holdings)
        .enumerate()
    {
        let line_id = store::insert_line(
            tx.conn(),
            id,
            &NewTransferLine {
                line_no: i as i64 + 1,
                product_id: l.product_id,
                quantity: l.quantity,
                unit_price_fen: l.unit_price.0,
                tax_rate_bp: l.tax_rate_bp,
                net_fen: amount.net.0,
                tax_fen: amount.tax.0,
                gross_fen: amount.gross.0,
            },
        )
        .await?;
        // oldest invoice first
        let mut left = l.quantity;
        let mut draws = Vec::new();
        for h in held {
            if left == 0 {
                break;
            }
            let take = h.returnable().min(left);
            draws.push((h.invoice_id, h.invoice_line_id, take));
            left -= take;
        }
        let credits = split(
            amount.gross.0,
            &draws.iter().map(|d| d.2).collect::<Vec<_>>(),
        );
        for ((invoice_id, invoice_line_id, take), credit_fen) in draws.into_iter().zip(credits) {
            store::insert_source(
                tx.conn(),
                line_id,
                invoice_id,
                invoice_line_id,
                take,
                credit_fen,
            )
            .await?;
        }
    }
    let summary = format!(
        "{number} · {} {} → {} {} · {}",
        source.code, source.name, target.code, target.name, plan.amounts.gross
    );
    approvals::open(
        tx.conn(),
        actor,
        Ask {
            doc_type: if over_limit {
                "transfer_over_limit"
            } else {
                "transfer"
            },
            doc_id: id,
            // the engine locks this dealer's balance first when deciding; posting then locks
            // the other, so the lower id keeps the lock order of `lock_both`
            dealer_id: Some(source.id.min(target.id)),
            node_path: &source.node_path,
            owner_id: Some(source.owner_id),
            value: plan.amounts.gross.0,
            amount_fen: plan.amounts.gross.0,
            summary: &summary,
        },
    )
    .await?;
    finish(tx, actor, "transfer.request", id, None).await
}

async fn both_dealers(
    tx: &mut WriteTx,
    actor: &Actor,
    input: &NewTransferInput,
) -> Result<(DealerFacts, DealerFacts), AppError> {
    let source = orders_store::dealer(tx.conn(), &actor.scope, input.source_dealer_id)
        .await?
        .ok_or(AppError::NotFound { entity: "dealer" })?;
    let target = orders_store::dealer(tx.conn(), &actor.scope, input.target_dealer_id)
        .await?
        .ok_or(AppError::NotFound { entity: "dealer" })?;
    Ok((source, target))
}

async fn written(
    conn: &mut Conn,
    actor: &Actor,
    operation: &str,
    id: i64,
    before: Option<serde_json::Value>,
) -> Result<TransferDetail, AppError> {
    let t = store::get_unscoped(conn, id)
        .await?
        .ok_or(AppError::Internal("transfer vanished".into()))?;
    let after = detail(conn, t).await?;
    record(
        conn,
        actor,
        operation,
        "transfer",
        id,
        Some(&after.transfer.node_path),
        before,
        snapshot(&after),
    )
    .await?;
    Ok(after)
}

async fn finish(
    mut tx: WriteTx,
    actor: &Actor,
    operation: &str,
    id: i64,
    before: Option<serde_json::Value>,
) -> Result<TransferDetail, AppError> {
    let after = written(tx.conn(), actor, operation, id, before).await?;
    tx.commit().await?;
    Ok(after)
}

/// Cancels a transfer waiting for approval; its units are free again.
pub async fn cancel(
    app: &App,
    actor: &Actor,
    id: i64,
    reason: Option<String>,
) -> Result<TransferDetail, AppError> {
    actor.require(Capability::EnterOrders)?;
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .ok_or_else(|| AppError::invalid("transfer.reason_required", "reason", "say why"))?;
    if reason.chars().count() > 200 {
        return Err(AppError::invalid(
            "transfer.reason_too_long",
            "reason",
            "at most 200 characters",
        ));
    }
    let mut tx = app.store.begin().await?;
    let t = store::get(tx.conn(), &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "transfer" })?;
    lock_both(&mut tx, t.source_dealer_id, t.target_dealer_id).await?;
    let t = store::get(tx.conn(), &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "transfer" })?;
    if t.status != "requested" {
        return Err(conflict(
            "transfer.wrong_state",
            format!("a transfer that is {} cannot be cancelled", t.status),
        ));
    }
    let before = detail(tx.conn(), t.clone()).await?;
    for doc_type in ["transfer", "transfer_over_limit"] {
        approvals::withdraw(tx.conn(), actor, doc_type, id).await?;
    }
    store::transition(
        tx.conn(),
        id,
        "requested",
        "cancelled",
        true,
        actor.person_id(),
    )
    .await?;
    store::release(tx.conn(), id, Some(&reason)).await?;
    finish(tx, actor, "transfer.cancel", id, snapshot(&before)).await
}

/// The approval's final decision (inside the engine's transaction): approved posts the
/// transfer; rejected or sent back closes it and frees its units.
pub async fn decided(
    tx: &mut WriteTx,
    app: &App,
    actor: &Actor,
    req: &RequestRow,
    outcome: &str,
) -> Result<(), AppError> {
    let t = store::get_unscoped(tx.conn(), req.doc_id)
        .await?
        .ok_or(AppError::Internal("transfer vanished".into()))?;
    lock_both(tx, t.source_dealer_id, t.target_dealer_id).await?;
    if t.status != "requested" {
        return Err(conflict(
            "transfer.wrong_state",
            format!("a transfer that is {} cannot be decided", t.status),
        ));
    }
    let before = snapshot(&detail(tx.conn(), t.clone()).await?);
    match outcome {
        "approved" => {
            post(tx.conn(), app, actor, &t).await?;
            store::transition(
                tx.conn(),
                t.id,
                "requested",
                "posted",
                false,
                actor.person_id(),
            )
            .await?;
            written(tx.conn(), actor, "transfer.post", t.id, before).await?;
        }
        other => {
            let to = if other == "rejected" {
                "rejected"
            } else {
                "sent_back"
            };
            store::transition(tx.conn(), t.id, "requested", to, false, actor.person_id()).await?;
            store::release(tx.conn(), t.id, Some(other)).await?;
            written(tx.conn(), actor, &format!("transfer.{to}"), t.id, before).await?;
        }
    }
    Ok(())
}

/// Posts the transfer: A's credit notes on the source invoices, B's invoice, both dealers'
/// receivables and exposure. Both balance rows are locked by the caller.
async fn post(conn: &mut Conn, app: &App, actor: &Actor, t: &TransferRow) -> Result<(), AppError> {
    let day = app.today();
    let what = format!("transfer {}", t.number);
    for s in store::sources(conn, t.id).await? {
        if s.credit_fen == 0 {
            continue;
        }
        let inv = billing_store::get_invoice_unscoped(conn, s.invoice_id)
            .await?
            .ok_or(AppError::Internal("invoice vanished".into()))?;
        if inv.status == "cancelled" {
            return Err(conflict(
                "transfer.source_cancelled",
                format!(
                    "invoice {} was cancelled meanwhile: cancel the transfer",
                    inv.number
                ),
            ));
        }
        let (note_id, _) = credit_invoice(conn, actor, &inv, s.credit_fen, &what, &day).await?;
        store::set_source_credit_note(conn, s.id, note_id).await?;
    }
    let target = orders_store::dealer_unscoped(conn, t.target_dealer_id)
        .await?
        .ok_or(AppError::Internal("dealer vanished".into()))?;
    let invoice_day = NaiveDate::parse_from_str(&day, "%Y-%m-%d")
        .map_err(|_| AppError::Internal(format!("today {day} is not a date")))?;
    let due = rules::due_date(invoice_day, target.payment_term_days)?;
    let number = shipments_store::next_number(conn, "INV").await?;
    let invoice_id = billing_store::insert_invoice(
        conn,
        NewInvoice {
            number: &number,
            dealer_id: target.id,
            order_id: None,
            shipment_id: None,
            invoice_date: &day,
            due_date: &due.to_string(),
            payment_term_days: target.payment_term_days,
            net_fen: t.net_fen,
            tax_fen: t.tax_fen,
            gross_fen: t.gross_fen,
            node_path: &t.target_node_path,
            owner_id: t.target_owner_id,
            created_by: actor.person_id(),
        },
    )
    .await?;
    for l in store::lines(conn, t.id).await? {
        billing_store::insert_invoice_line(
            conn,
            invoice_id,
            &NewInvoiceLine {
                line_no: l.line_no,
                shipment_line_id: None,
                product_id: l.product_id,
                quantity: l.quantity,
                unit_price_fen: l.unit_price_fen,
                tax_rate_bp: l.tax_rate_bp,
                net_fen: l.net_fen,
                tax_fen: l.tax_fen,
                gross_fen: l.gross_fen,
            },
        )
        .await?;
    }
    credit_store::post(
        conn,
        Posting {
            dealer_id: target.id,
            kind: EntryKind::InvoiceIssued,
            amount_fen: t.gross_fen,
            doc_type: "invoice",
            doc_id: invoice_id,
            person_id: actor.person_id(),
        },
    )
    .await?;
    billing_store::append_ledger(
        conn,
        LedgerEntry {
            dealer_id: target.id,
            entry_date: &day,
            kind: "invoice",
            doc_type: "invoice",
            doc_id: invoice_id,
            doc_number: &number,
            amount_fen: t.gross_fen,
            node_path: &t.target_node_path,
            owner_id: t.target_owner_id,
            person_id: actor.person_id(),
        },
    )
    .await?;
    store::set_target_invoice(conn, t.id, invoice_id).await?;
    record(
        conn,
        actor,
        "invoice.create",
        "invoice",
        invoice_id,
        Some(&t.target_node_path),
        None,
        snapshot(&serde_json::json!({ "invoice": number, "for": what, "gross_fen": t.gross_fen })),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn splits_add_up_exactly() {
        assert_eq!(split(1000, &[3, 3, 4]), vec![300, 300, 400]);
        assert_eq!(split(100, &[1, 1, 1]), vec![33, 33, 34]);
        assert_eq!(split(7, &[5]), vec![7]);
        assert_eq!(split(0, &[2, 2]), vec![0, 0]);
    }
}
