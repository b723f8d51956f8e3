//! Billing: invoices raised from delivered shipments (due date from the dealer's payment term),
//! invoice cancellation while nothing is allocated to it, payments recorded and allocated to
//! open invoices (oldest first by default, or as chosen) with any remainder kept on the
//! dealer's account as credit — applied, oldest payment first, to the dealer's next invoices —
//! and the dealer's receivables panel.
//!
//! Order prices are what the dealer pays (tax included), so an invoice's gross amount equals
//! the shipped value that credit control counted; the net amount and the tax are split out per
//! line at the product's tax rate.

use crate::audit::{record, snapshot};
use crate::dates::parse_day;
use crate::{shipments, Actor, App, AppError};
use chrono::NaiveDate;
use salesos_domain::credit::EntryKind;
use salesos_domain::orders::Status;
use salesos_domain::receivables::{self as rules, Allocation, OpenInvoice};
use salesos_domain::roles::Capability;
use salesos_domain::{FieldError, Money};
use salesos_store::billing::{
    self as store, AllocationRow, CreditNoteRow, DealerSummary, InvoiceFilter, InvoiceLineRow,
    InvoiceRow, LedgerEntry, LedgerRow, NewInvoice, NewInvoiceLine, NewPayment, PaymentFilter,
    PaymentRow,
};
use salesos_store::credit::{self as credit_store, Posting};
use salesos_store::shipments as shipments_store;
use salesos_store::{orders as orders_store, Conn, WriteTx};
use serde::{Deserialize, Serialize};

pub const PAYMENT_METHODS: [&str; 4] = ["bank_transfer", "cash", "acceptance_bill", "other"];
const MAX_REFERENCE: usize = 100;

#[derive(Debug, Clone, Serialize)]
pub struct InvoiceDetail {
    pub invoice: InvoiceRow,
    pub lines: Vec<InvoiceLineRow>,
    pub allocations: Vec<AllocationRow>,
    pub credit_notes: Vec<CreditNoteRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PaymentDetail {
    pub payment: PaymentRow,
    pub allocations: Vec<AllocationRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Receivables {
    pub dealer_id: i64,
    pub summary: DealerSummary,
    pub open_invoices: Vec<InvoiceRow>,
    pub ledger: Vec<LedgerRow>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ChosenAllocation {
    pub invoice_id: i64,
    pub amount_fen: i64,
}

#[derive(Debug, Clone, Default)]
pub struct PaymentInput {
    pub amount_fen: i64,
    pub received_on: Option<String>,
    pub method: Option<String>,
    pub reference: Option<String>,
    /// `oldest_first` (the default) or `chosen`.
    pub allocation: Option<String>,
    /// With `chosen`: which invoices, how much each.
    pub allocations: Vec<ChosenAllocation>,
}

fn day_of(text: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| AppError::Internal(format!("stored date {text} is not a date")))
}

/// The net part of a tax-inclusive amount, rounded half up to the fen.
pub(crate) fn net_of(gross: i64, tax_rate_bp: i64) -> i64 {
    let num = i128::from(gross) * 10_000;
    let den = i128::from(10_000 + tax_rate_bp.clamp(0, 10_000));
    let net = (2 * num + den) / (2 * den);
    i64::try_from(net).unwrap_or(gross)
}

async fn invoice_detail(conn: &mut Conn, invoice: InvoiceRow) -> Result<InvoiceDetail, AppError> {
    let id = invoice.id;
    Ok(InvoiceDetail {
        lines: store::invoice_lines(conn, id).await?,
        allocations: store::allocations_of_invoice(conn, id).await?,
        credit_notes: store::credit_notes_of_invoice(conn, id).await?,
        invoice,
    })
}

pub async fn list_invoices(
    app: &App,
    actor: &Actor,
    filter: &InvoiceFilter,
) -> Result<Vec<InvoiceRow>, AppError> {
    actor.require(Capability::ViewCredit)?;
    if let Some(s) = &filter.status {
        if !["open", "paid", "cancelled"].contains(&s.as_str()) {
            return Err(AppError::invalid(
                "invoice.status_unknown",
                "status",
                "unknown invoice status",
            ));
        }
    }
    let mut conn = app.store.read().await?;
    Ok(store::list_invoices(&mut conn, &actor.scope, filter).await?)
}

pub async fn get_invoice(app: &App, actor: &Actor, id: i64) -> Result<InvoiceDetail, AppError> {
    actor.require(Capability::ViewCredit)?;
    let mut conn = app.store.read().await?;
    let invoice = store::get_invoice(&mut conn, &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "invoice" })?;
    invoice_detail(&mut conn, invoice).await
}

async fn finish_invoice(
    mut tx: WriteTx,
    actor: &Actor,
    operation: &str,
    id: i64,
    before: Option<serde_json::Value>,
) -> Result<InvoiceDetail, AppError> {
    let invoice = store::get_invoice_unscoped(tx.conn(), id)
        .await?
        .ok_or(AppError::Internal("invoice vanished".into()))?;
    let after = invoice_detail(tx.conn(), invoice).await?;
    record(
        tx.conn(),
        actor,
        operation,
        "invoice",
        id,
        Some(&after.invoice.node_path),
        before,
        snapshot(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Raises the invoice of a delivered shipment for what the dealer accepted.
pub async fn invoice_shipment(
    app: &App,
    actor: &Actor,
    shipment_id: i64,
    invoice_date: Option<String>,
) -> Result<InvoiceDetail, AppError> {
    actor.require(Capability::Bill)?;
    let day = parse_day(invoice_date.as_deref(), &app.today(), "invoice_date")?;
    let mut tx = app.store.begin().await?;
    let s = shipments_store::get(tx.conn(), &actor.scope, shipment_id)
        .await?
        .ok_or(AppError::NotFound { entity: "shipment" })?;
    credit_store::lock_balance(&mut tx, s.dealer_id).await?;
    let s = shipments_store::get(tx.conn(), &actor.scope, shipment_id)
        .await?
        .ok_or(AppError::NotFound { entity: "shipment" })?;
    if s.status != "delivered" || s.invoiced {
        return Err(AppError::Conflict(FieldError::general(
            "invoice.shipment_not_billable",
            format!("a shipment that is {} cannot be invoiced", s.status),
        )));
    }
    if s.delivered_on.as_deref().is_some_and(|d| day.as_str() < d) {
        return Err(AppError::invalid(
            "invoice.date_before_delivery",
            "invoice_date",
            "the invoice date cannot come before delivery",
        ));
    }
    let dealer = orders_store::dealer_unscoped(tx.conn(), s.dealer_id)
        .await?
        .ok_or(AppError::Internal("dealer vanished".into()))?;
    let due = rules::due_date(day_of(&day)?, dealer.payment_term_days)?;
    let mut lines = Vec::new();
    let (mut net_total, mut tax_total, mut gross_total) = (0i64, 0i64, 0i64);
    for l in shipments_store::lines(tx.conn(), shipment_id).await? {
        let qty = l.quantity - l.short_qty - l.damaged_qty;
        if qty <= 0 {
            continue;
        }
        let gross = qty.checked_mul(l.unit_price_fen).ok_or_else(|| {
            AppError::invalid(
                "fulfilment.amount_overflow",
                "quantity",
                "the amount is too large",
            )
        })?;
        let net = net_of(gross, l.tax_rate_bp);
        net_total += net;
        tax_total += gross - net;
        gross_total += gross;
        lines.push(NewInvoiceLine {
            line_no: lines.len() as i64 + 1,
            shipment_line_id: Some(l.id),
            product_id: l.product_id,
            quantity: qty,
            unit_price_fen: l.unit_price_fen,
            tax_rate_bp: l.tax_rate_bp,
            net_fen: net,
            tax_fen: gross - net,
            gross_fen: gross,
        });
    }
    if lines.is_empty() || gross_total != s.value_fen {
        return Err(AppError::Conflict(FieldError::general(
            "invoice.shipment_not_billable",
            "nothing on this shipment is left to bill",
        )));
    }
    let number = shipments_store::next_number(tx.conn(), "INV").await?;
    let id = store::insert_invoice(
        tx.conn(),
        NewInvoice {
            number: &number,
            dealer_id: s.dealer_id,
            order_id: Some(s.order_id),
            shipment_id: Some(s.id),
            invoice_date: &day,
            due_date: &due.to_string(),
            payment_term_days: dealer.payment_term_days,
            net_fen: net_total,
            tax_fen: tax_total,
            gross_fen: gross_total,
            node_path: &s.node_path,
            owner_id: s.owner_id,
            created_by: actor.person_id(),
        },
    )
    .await?;
    for l in &lines {
        store::insert_invoice_line(tx.conn(), id, l).await?;
    }
    for (kind, amount) in [
        (EntryKind::GoodsBilled, -gross_total),
        (EntryKind::InvoiceIssued, gross_total),
    ] {
        credit_store::post(
            tx.conn(),
            Posting {
                dealer_id: s.dealer_id,
                kind,
                amount_fen: amount,
                doc_type: "invoice",
                doc_id: id,
                person_id: actor.person_id(),
            },
        )
        .await?;
    }
    store::append_ledger(
        tx.conn(),
        LedgerEntry {
            dealer_id: s.dealer_id,
            entry_date: &day,
            kind: "invoice",
            doc_type: "invoice",
            doc_id: id,
            doc_number: &number,
            amount_fen: gross_total,
            node_path: &s.node_path,
            owner_id: s.owner_id,
            person_id: actor.person_id(),
        },
    )
    .await?;
    shipments_store::mark_invoiced(tx.conn(), s.id).await?;
    shipments::maybe_close_order(tx.conn(), actor, s.order_id).await?;
    apply_credit(tx.conn(), s.dealer_id, id, gross_total, &day).await?;
    finish_invoice(tx, actor, "invoice.create", id, None).await
}

/// Applies the dealer's unallocated payments (oldest first) to a new invoice. The money was
/// already counted when received, so neither ledger moves: only allocations change.
async fn apply_credit(
    conn: &mut Conn,
    dealer_id: i64,
    invoice_id: i64,
    gross_fen: i64,
    day: &str,
) -> Result<(), AppError> {
    let mut open = gross_fen;
    for p in store::payments_with_credit(conn, dealer_id).await? {
        if open == 0 {
            break;
        }
        let amount = p.unallocated_fen.min(open);
        store::insert_allocation(conn, p.id, invoice_id, amount, day).await?;
        store::reduce_open(conn, invoice_id, amount, day).await?;
        store::reduce_unallocated(conn, p.id, amount).await?;
        open -= amount;
    }
    Ok(())
}

/// Cancels an invoice (红冲): the goods are unbilled again, the shipment can be invoiced anew,
/// and whatever was allocated to it goes back to its payments as unallocated credit.
pub async fn cancel_invoice(
    app: &App,
    actor: &Actor,
    id: i64,
    reason: Option<String>,
) -> Result<InvoiceDetail, AppError> {
    actor.require(Capability::Bill)?;
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .ok_or_else(|| AppError::invalid("invoice.reason_required", "reason", "say why"))?;
    let day = app.today();
    let mut tx = app.store.begin().await?;
    let inv = store::get_invoice(tx.conn(), &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "invoice" })?;
    credit_store::lock_balance(&mut tx, inv.dealer_id).await?;
    let inv = store::get_invoice(tx.conn(), &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "invoice" })?;
    if inv.status == "cancelled" {
        return Err(AppError::Conflict(FieldError::general(
            "invoice.not_cancellable",
            "the invoice is already cancelled",
        )));
    }
    let before = invoice_detail(tx.conn(), inv.clone()).await?;
    if !before.credit_notes.is_empty() {
        return Err(AppError::Conflict(FieldError::general(
            "invoice.has_credit_notes",
            "an invoice with credit notes cannot be cancelled",
        )));
    }
    // units held by a return or transfer in progress would lose the invoice they are credited on
    let held = salesos_store::returns::returnable_lines(tx.conn(), id).await?;
    if held.iter().any(|l| l.held_qty > 0) {
        return Err(AppError::Conflict(FieldError::general(
            "invoice.has_returns",
            "an invoice with a return or transfer in progress cannot be cancelled",
        )));
    }
    // money allocated to it goes back to its payments as credit (a reversing allocation: the
    // allocations table is append-only)
    let mut by_payment: Vec<(i64, i64)> = Vec::new();
    for a in &before.allocations {
        match by_payment.iter_mut().find(|(p, _)| *p == a.payment_id) {
            Some((_, n)) => *n += a.amount_fen,
            None => by_payment.push((a.payment_id, a.amount_fen)),
        }
    }
    for (payment_id, net) in by_payment {
        if net != 0 {
            store::insert_allocation(tx.conn(), payment_id, id, -net, &day).await?;
            store::reduce_unallocated(tx.conn(), payment_id, -net).await?;
        }
    }
    store::cancel_invoice(tx.conn(), id).await?;
    for (kind, amount) in [
        (EntryKind::InvoiceIssued, -inv.gross_fen),
        (EntryKind::GoodsBilled, inv.gross_fen),
    ] {
        credit_store::post(
            tx.conn(),
            Posting {
                dealer_id: inv.dealer_id,
                kind,
                amount_fen: amount,
                doc_type: "invoice",
                doc_id: id,
                person_id: actor.person_id(),
            },
        )
        .await?;
    }
    store::append_ledger(
        tx.conn(),
        LedgerEntry {
            dealer_id: inv.dealer_id,
            entry_date: &day,
            kind: "cancellation",
            doc_type: "invoice",
            doc_id: id,
            doc_number: &inv.number,
            amount_fen: -inv.gross_fen,
            node_path: &inv.node_path,
            owner_id: inv.owner_id,
            person_id: actor.person_id(),
        },
    )
    .await?;
    if let Some(sid) = inv.shipment_id {
        store::uninvoice_shipment(tx.conn(), sid).await?;
    }
    if let Some(oid) = inv.order_id {
        let order = orders_store::get_unscoped(tx.conn(), oid)
            .await?
            .ok_or(AppError::Internal("order vanished".into()))?;
        if order.status == Status::Closed.code() {
            orders_store::set_state(tx.conn(), oid, Status::Shipped.code(), 0).await?;
            orders_store::add_event(
                tx.conn(),
                oid,
                actor.person_id(),
                "invoice_cancelled",
                Some(&order.status),
                Status::Shipped.code(),
                Some(&reason),
            )
            .await?;
        }
    }
    let mut tx = tx;
    let after = store::get_invoice_unscoped(tx.conn(), id)
        .await?
        .ok_or(AppError::Internal("invoice vanished".into()))?;
    record(
        tx.conn(),
        actor,
        "invoice.cancel",
        "invoice",
        id,
        Some(&inv.node_path),
        snapshot(&before),
        snapshot(&serde_json::json!({ "invoice": after, "reason": reason })),
    )
    .await?;
    tx.commit().await?;
    let mut conn = app.store.read().await?;
    invoice_detail(&mut conn, after).await
}

pub async fn list_payments(
    app: &App,
    actor: &Actor,
    filter: &PaymentFilter,
) -> Result<Vec<PaymentRow>, AppError> {
    actor.require(Capability::ViewCredit)?;
    let mut conn = app.store.read().await?;
    Ok(store::list_payments(&mut conn, &actor.scope, filter).await?)
}

pub async fn get_payment(app: &App, actor: &Actor, id: i64) -> Result<PaymentDetail, AppError> {
    actor.require(Capability::ViewCredit)?;
    let mut conn = app.store.read().await?;
    let payment = store::get_payment(&mut conn, &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "payment" })?;
    Ok(PaymentDetail {
        allocations: store::allocations_of_payment(&mut conn, id).await?,
        payment,
    })
}

/// Records a payment from a dealer and allocates it to open invoices; what is left over stays
/// on the dealer's account as credit. The whole amount lowers the dealer's exposure.
pub async fn record_payment(
    app: &App,
    actor: &Actor,
    dealer_id: i64,
    input: PaymentInput,
) -> Result<PaymentDetail, AppError> {
    actor.require(Capability::Bill)?;
    let day = parse_day(input.received_on.as_deref(), &app.today(), "received_on")?;
    let method = input
        .method
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .unwrap_or("bank_transfer")
        .to_string();
    if !PAYMENT_METHODS.contains(&method.as_str()) {
        return Err(AppError::invalid(
            "payment.method_unknown",
            "method",
            "unknown payment method",
        ));
    }
    let reference = input
        .reference
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if reference
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REFERENCE)
    {
        return Err(AppError::invalid(
            "payment.reference_too_long",
            "reference",
            format!("at most {MAX_REFERENCE} characters"),
        ));
    }
    let mode = match input.allocation.as_deref().unwrap_or("oldest_first") {
        "oldest_first" | "" => Allocation::OldestFirst,
        "chosen" => Allocation::Chosen(
            input
                .allocations
                .iter()
                .map(|a| (a.invoice_id, Money(a.amount_fen)))
                .collect(),
        ),
        _ => {
            return Err(AppError::invalid(
                "payment.allocation_unknown",
                "allocation",
                "allocation is oldest_first or chosen",
            ))
        }
    };
    let mut tx = app.store.begin().await?;
    let dealer = orders_store::dealer(tx.conn(), &actor.scope, dealer_id)
        .await?
        .ok_or(AppError::NotFound { entity: "dealer" })?;
    credit_store::lock_balance(&mut tx, dealer_id).await?;
    let open = store::open_invoices_of_dealer(tx.conn(), dealer_id).await?;
    let open_rules = open
        .iter()
        .map(|i| {
            Ok(OpenInvoice {
                id: i.id,
                invoice_date: day_of(&i.invoice_date)?,
                due_date: day_of(&i.due_date)?,
                open: Money(i.open_fen),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let result = rules::allocate_payment(Money(input.amount_fen), &open_rules, mode)?;
    let number = shipments_store::next_number(tx.conn(), "PAY").await?;
    let id = store::insert_payment(
        tx.conn(),
        NewPayment {
            number: &number,
            dealer_id,
            received_on: &day,
            amount_fen: input.amount_fen,
            method: &method,
            reference: reference.as_deref(),
            unallocated_fen: result.unallocated.0,
            node_path: &dealer.node_path,
            owner_id: dealer.owner_id,
            created_by: actor.person_id(),
        },
    )
    .await?;
    for a in &result.allocations {
        store::insert_allocation(tx.conn(), id, a.invoice_id, a.amount.0, &day).await?;
        store::reduce_open(tx.conn(), a.invoice_id, a.amount.0, &day).await?;
    }
    credit_store::post(
        tx.conn(),
        Posting {
            dealer_id,
            kind: EntryKind::PaymentReceived,
            amount_fen: -input.amount_fen,
            doc_type: "payment",
            doc_id: id,
            person_id: actor.person_id(),
        },
    )
    .await?;
    store::append_ledger(
        tx.conn(),
        LedgerEntry {
            dealer_id,
            entry_date: &day,
            kind: "payment",
            doc_type: "payment",
            doc_id: id,
            doc_number: &number,
            amount_fen: -input.amount_fen,
            node_path: &dealer.node_path,
            owner_id: dealer.owner_id,
            person_id: actor.person_id(),
        },
    )
    .await?;
    let payment = store::get_payment_unscoped(tx.conn(), id)
        .await?
        .ok_or(AppError::Internal("payment vanished".into()))?;
    let after = PaymentDetail {
        allocations: store::allocations_of_payment(tx.conn(), id).await?,
        payment,
    };
    record(
        tx.conn(),
        actor,
        "payment.create",
        "payment",
        id,
        Some(&dealer.node_path),
        None,
        snapshot(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// A dealer's receivables panel: balance, open invoices and the ledger.
pub async fn dealer_receivables(
    app: &App,
    actor: &Actor,
    dealer_id: i64,
) -> Result<Receivables, AppError> {
    actor.require(Capability::ViewCredit)?;
    let mut conn = app.store.read().await?;
    orders_store::dealer(&mut conn, &actor.scope, dealer_id)
        .await?
        .ok_or(AppError::NotFound { entity: "dealer" })?;
    let summary = store::dealer_summary(&mut conn, dealer_id, &app.today()).await?;
    let open_invoices = store::open_invoices_of_dealer(&mut conn, dealer_id).await?;
    let ledger = store::ledger_of_dealer(&mut conn, dealer_id, 500).await?;
    Ok(Receivables {
        dealer_id,
        summary,
        open_invoices,
        ledger,
    })
}

/// A credit note (e.g. a price adjustment) against an invoice: it lowers what the invoice still
/// owes, never below zero, and the dealer's receivables and exposure by the same amount.
pub async fn credit_note(
    app: &App,
    actor: &Actor,
    invoice_id: i64,
    amount_fen: i64,
    reason: Option<String>,
) -> Result<InvoiceDetail, AppError> {
    actor.require(Capability::Bill)?;
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .ok_or_else(|| AppError::invalid("credit_note.reason_required", "reason", "say why"))?;
    if reason.chars().count() > MAX_REFERENCE * 2 {
        return Err(AppError::invalid(
            "credit_note.reason_too_long",
            "reason",
            "at most 200 characters",
        ));
    }
    if amount_fen <= 0 {
        return Err(AppError::invalid(
            "credit_note.amount_not_positive",
            "amount_fen",
            "a credit note must be more than zero",
        ));
    }
    let day = app.today();
    let mut tx = app.store.begin().await?;
    let inv = store::get_invoice(tx.conn(), &actor.scope, invoice_id)
        .await?
        .ok_or(AppError::NotFound { entity: "invoice" })?;
    credit_store::lock_balance(&mut tx, inv.dealer_id).await?;
    let inv = store::get_invoice(tx.conn(), &actor.scope, invoice_id)
        .await?
        .ok_or(AppError::NotFound { entity: "invoice" })?;
    if inv.status != "open" || amount_fen > inv.open_fen {
        return Err(AppError::Invalid(FieldError::new(
            "credit_note.exceeds_open",
            "amount_fen",
            format!(
                "at most {} is still open on this invoice",
                inv.open_fen.max(0)
            ),
        )));
    }
    let before = invoice_detail(tx.conn(), inv.clone()).await?;
    let number = shipments_store::next_number(tx.conn(), "CN").await?;
    let id = store::insert_credit_note(
        tx.conn(),
        store::NewCreditNote {
            number: &number,
            dealer_id: inv.dealer_id,
            invoice_id: Some(inv.id),
            shipment_id: inv.shipment_id,
            issued_on: &day,
            reason: &reason,
            amount_fen,
            node_path: &inv.node_path,
            owner_id: inv.owner_id,
            created_by: actor.person_id(),
        },
    )
    .await?;
    store::reduce_open(tx.conn(), inv.id, amount_fen, &day).await?;
    credit_store::post(
        tx.conn(),
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
    store::append_ledger(
        tx.conn(),
        LedgerEntry {
            dealer_id: inv.dealer_id,
            entry_date: &day,
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
    let _ = id;
    finish_invoice(
        tx,
        actor,
        "invoice.credit_note",
        invoice_id,
        snapshot(&before),
    )
    .await
}

pub async fn list_credit_notes(
    app: &App,
    actor: &Actor,
    filter: &store::CreditNoteFilter,
) -> Result<Vec<store::CreditNoteListRow>, AppError> {
    actor.require(Capability::ViewCredit)?;
    let mut conn = app.store.read().await?;
    Ok(store::list_credit_notes(&mut conn, &actor.scope, filter).await?)
}

pub async fn get_credit_note(
    app: &App,
    actor: &Actor,
    id: i64,
) -> Result<store::CreditNoteListRow, AppError> {
    actor.require(Capability::ViewCredit)?;
    let mut conn = app.store.read().await?;
    store::get_credit_note(&mut conn, &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound {
            entity: "credit_note",
        })
}
