//! Billing pages: the invoice list, one invoice (printable), cancelling it, and a dealer's
//! receivables panel with the payment form (oldest first or chosen invoices).

use super::orders::money;
use super::people::FormError;
use super::{fail, form_answer, render, Layout, PageId, Pager, PAGE_ROWS};
use crate::export::{Cell, ExportFormat, Sheet};
use crate::problem::{message_of, status_of};
use crate::session::PageActor;
use crate::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use salesos_app::billing::{self, ChosenAllocation, InvoiceDetail, PaymentInput, Receivables};
use salesos_app::AppError;
use salesos_domain::roles::Capability;
use salesos_domain::Money;
use salesos_store::billing::{
    CreditNoteFilter, CreditNoteListRow, InvoiceFilter, PaymentFilter, PaymentRow,
};
use serde::Deserialize;

pub struct InvoiceLine {
    pub id: i64,
    pub number: String,
    pub dealer: String,
    pub date: String,
    pub due: String,
    pub status_code: String,
    pub status: String,
    pub gross: String,
    pub open: String,
}

#[derive(Template)]
#[template(path = "invoices_list.html")]
struct ListPage {
    l: Layout,
    rows: Vec<InvoiceLine>,
    /// (code, label, selected)
    statuses: Vec<(String, String, bool)>,
    dealer_id: Option<i64>,
    export_query: String,
    pager: Pager,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    dealer_id: Option<i64>,
    #[serde(default)]
    page: String,
    /// for exports: `xlsx` (default) or `csv`
    #[serde(default)]
    format: String,
}

const INVOICE_STATUSES: [&str; 3] = ["open", "paid", "cancelled"];

fn invoice_line(tr: &crate::i18n::Tr, i: &salesos_store::billing::InvoiceRow) -> InvoiceLine {
    InvoiceLine {
        id: i.id,
        number: i.number.clone(),
        dealer: format!("{} {}", i.dealer_code, i.dealer_name),
        date: i.invoice_date.clone(),
        due: i.due_date.clone(),
        status_code: i.status.clone(),
        status: tr.tk("invoice_status", &i.status),
        gross: money(i.gross_fen),
        open: money(i.open_fen),
    }
}

pub async fn list(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let status = q.status.trim();
    let mut export_query = Vec::new();
    if INVOICE_STATUSES.contains(&status) {
        export_query.push(format!("status={status}"));
    }
    if let Some(d) = q.dealer_id {
        export_query.push(format!("dealer_id={d}"));
    }
    let mut pager = Pager::new("/invoices", &q.page, export_query.join("&"), PAGE_ROWS);
    let filter = InvoiceFilter {
        status: Some(status.to_string()).filter(|s| !s.is_empty()),
        dealer_id: q.dealer_id,
        limit: pager.limit(),
        offset: pager.offset(),
        ..Default::default()
    };
    let rows = match billing::list_invoices(&s.app, &pa.actor, &filter).await {
        Ok(r) => pager.keep(r),
        Err(AppError::Invalid(_)) => Vec::new(),
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    render(&ListPage {
        rows: rows.iter().map(|i| invoice_line(&tr, i)).collect(),
        statuses: INVOICE_STATUSES
            .iter()
            .map(|c| (c.to_string(), tr.tk("invoice_status", c), *c == status))
            .collect(),
        dealer_id: q.dealer_id,
        export_query: export_query.join("&"),
        pager,
        l: Layout::new(&pa, "invoices.title", "/invoices"),
    })
}

#[derive(Template)]
#[template(path = "invoice_show.html")]
struct ShowPage {
    l: Layout,
    d: InvoiceDetail,
    status: String,
    net: String,
    tax: String,
    gross: String,
    open: String,
    can_bill: bool,
    /// What a credit note may still take off (yuan), for the form's hint.
    open_yuan: String,
    error: Option<FormError>,
}

const CREDIT_NOTE_FIELDS: &[&str] = &["amount_fen", "reason"];
const CANCEL_FIELDS: &[&str] = &["reason"];

impl ShowPage {
    fn field_error(&self, form: &str, field: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.at(form, field))
    }

    fn general_error(&self) -> Option<&str> {
        let e = self.error.as_ref()?;
        e.general(e.form)
    }

    fn yuan<T: std::borrow::Borrow<i64>>(&self, fen: T) -> String {
        money(fen)
    }
}

async fn show_page(
    s: &AppState,
    pa: &PageActor,
    id: i64,
    error: Option<FormError>,
    status: StatusCode,
) -> Response {
    let d = match billing::get_invoice(&s.app, &pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return fail(pa, e),
    };
    let tr = pa.tr();
    let page = ShowPage {
        status: tr.tk("invoice_status", &d.invoice.status),
        net: money(d.invoice.net_fen),
        tax: money(d.invoice.tax_fen),
        gross: money(d.invoice.gross_fen),
        open: money(d.invoice.open_fen),
        can_bill: pa.actor.can(Capability::Bill),
        open_yuan: Money(d.invoice.open_fen.max(0)).to_string(),
        error,
        l: Layout::new(pa, "invoices.title", "/invoices"),
        d,
    };
    (status, render(&page)).into_response()
}

pub async fn show(State(s): State<AppState>, pa: PageActor, PageId(id): PageId) -> Response {
    show_page(&s, &pa, id, None, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct CancelForm {
    #[serde(default)]
    reason: String,
}

pub async fn cancel(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: Result<Form<CancelForm>, FormRejection>,
) -> Response {
    let f = form.map(|f| f.0).unwrap_or_default();
    form_answer(
        &pa,
        billing::cancel_invoice(&s.app, &pa.actor, id, Some(f.reason)).await,
        |_| format!("/invoices/{id}"),
        "cancel",
        CANCEL_FIELDS,
        |error| {
            let status = error.status;
            show_page(&s, &pa, id, Some(error), status)
        },
    )
    .await
}

pub struct ArLine {
    pub date: String,
    pub kind: String,
    pub doc: String,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "dealer_receivables.html")]
struct ReceivablesPage {
    l: Layout,
    r: Receivables,
    invoices: Vec<InvoiceLine>,
    ledger: Vec<ArLine>,
    balance: String,
    open: String,
    unallocated: String,
    overdue: String,
    methods: Vec<(String, String)>,
    can_bill: bool,
    error: Option<String>,
}

async fn receivables_page(
    s: &AppState,
    pa: &PageActor,
    id: i64,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let r = match billing::dealer_receivables(&s.app, &pa.actor, id).await {
        Ok(r) => r,
        Err(e) => return fail(pa, e),
    };
    let tr = pa.tr();
    let page = ReceivablesPage {
        invoices: r
            .open_invoices
            .iter()
            .map(|i| invoice_line(&tr, i))
            .collect(),
        ledger: r
            .ledger
            .iter()
            .map(|e| ArLine {
                date: e.entry_date.clone(),
                kind: tr.tk("ar_kind", &e.kind),
                doc: e.doc_number.clone(),
                amount: money(e.amount_fen),
            })
            .collect(),
        balance: money(r.summary.balance_fen),
        open: money(r.summary.open_invoices_fen),
        unallocated: money(r.summary.unallocated_fen),
        overdue: money(r.summary.overdue_fen),
        methods: billing::PAYMENT_METHODS
            .iter()
            .map(|m| (m.to_string(), tr.tk("payment_method", m)))
            .collect(),
        can_bill: pa.actor.can(Capability::Bill),
        error,
        l: Layout::new(pa, "receivables.title", "/dealers"),
        r,
    };
    (status, render(&page)).into_response()
}

pub async fn receivables(State(s): State<AppState>, pa: PageActor, PageId(id): PageId) -> Response {
    receivables_page(&s, &pa, id, None, StatusCode::OK).await
}

/// The dealer's receivables ledger (the list on the receivables page), as XLSX or CSV; the
/// dealer must be in the person's scope, as for the page.
pub async fn receivables_export(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    q: Result<Query<crate::export::FormatQuery>, QueryRejection>,
) -> Response {
    let format = q.map(|Query(q)| q.format).unwrap_or_default();
    let r = match billing::dealer_receivables(&s.app, &pa.actor, id).await {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    crate::export::list_download(
        &tr,
        "receivables.ledger",
        &[
            "receivables.document",
            "invoices.date",
            "receivables.kind",
            "receivables.amount",
        ],
        r.ledger
            .into_iter()
            .map(|e| {
                vec![
                    Cell::from(e.doc_number),
                    Cell::Date(e.entry_date),
                    Cell::from(tr.tk("ar_kind", &e.kind)),
                    Cell::Money(Money(e.amount_fen)),
                ]
            })
            .collect(),
        &format,
        &format!("receivables-{id}"),
    )
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn yuan(text: &str, field_name: &'static str) -> Result<i64, AppError> {
    Money::parse_yuan(text).map(|m| m.0).ok_or_else(|| {
        AppError::invalid(
            "payment.amount_invalid",
            field_name,
            "an amount like 1200.50",
        )
    })
}

fn payment_form(pairs: &[(String, String)]) -> Result<PaymentInput, AppError> {
    let amount_fen = yuan(field(pairs, "amount").unwrap_or(""), "amount")?;
    let mut allocations = Vec::new();
    for (k, v) in pairs {
        if let Some(id) = k.strip_prefix("alloc_").and_then(|n| n.parse::<i64>().ok()) {
            if !v.trim().is_empty() {
                allocations.push(ChosenAllocation {
                    invoice_id: id,
                    amount_fen: yuan(v, "allocations")?,
                });
            }
        }
    }
    let chosen = field(pairs, "allocation") == Some("chosen");
    Ok(PaymentInput {
        amount_fen,
        received_on: field(pairs, "received_on").map(str::to_string),
        method: field(pairs, "method").map(str::to_string),
        reference: field(pairs, "reference").map(str::to_string),
        allocation: Some(if chosen { "chosen" } else { "oldest_first" }.to_string()),
        allocations: if chosen { allocations } else { Vec::new() },
    })
}

/// Records a payment from the receivables panel (amounts in yuan).
pub async fn record_payment(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let pairs = form.map(|f| f.0).unwrap_or_default();
    let result = match payment_form(&pairs) {
        Ok(input) => billing::record_payment(&s.app, &pa.actor, id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => Redirect::to(&format!("/payments/{}", p.payment.id)).into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let message = message_of(&e, &pa.tr());
            receivables_page(&s, &pa, id, Some(message), status_of(&e)).await
        }
        Err(e) => fail(&pa, e),
    }
}

// ---------------------------------------------------------------------------------------------
// Payments: the list (with export) and one payment with its allocations.

pub struct PaymentLine {
    pub id: i64,
    pub number: String,
    pub dealer_id: i64,
    pub dealer: String,
    pub received_on: String,
    pub method: String,
    pub reference: String,
    pub amount: String,
    pub unallocated: String,
}

fn payment_line(tr: &crate::i18n::Tr, p: &PaymentRow) -> PaymentLine {
    PaymentLine {
        id: p.id,
        number: p.number.clone(),
        dealer_id: p.dealer_id,
        dealer: format!("{} {}", p.dealer_code, p.dealer_name),
        received_on: p.received_on.clone(),
        method: tr.tk("payment_method", &p.method),
        reference: p.reference.clone().unwrap_or_default(),
        amount: money(p.amount_fen),
        unallocated: money(p.unallocated_fen),
    }
}

#[derive(Deserialize, Default)]
pub struct PaymentQuery {
    dealer_id: Option<i64>,
    #[serde(default)]
    page: String,
    /// for exports: `xlsx` (default) or `csv`
    #[serde(default)]
    format: String,
}

#[derive(Template)]
#[template(path = "payments_list.html")]
struct PaymentsPage {
    l: Layout,
    rows: Vec<PaymentLine>,
    dealer_id: Option<i64>,
    export_query: String,
    pager: Pager,
}

/// Exports take everything in scope, this many rows a query.
const EXPORT_BATCH: i64 = 1000;

pub async fn payments(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<PaymentQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let export_query = q
        .dealer_id
        .map(|d| format!("dealer_id={d}"))
        .unwrap_or_default();
    let mut pager = Pager::new("/payments", &q.page, export_query.clone(), PAGE_ROWS);
    let filter = PaymentFilter {
        dealer_id: q.dealer_id,
        limit: pager.limit(),
        offset: pager.offset(),
    };
    let rows = match billing::list_payments(&s.app, &pa.actor, &filter).await {
        Ok(r) => pager.keep(r),
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    render(&PaymentsPage {
        rows: rows.iter().map(|p| payment_line(&tr, p)).collect(),
        dealer_id: q.dealer_id,
        export_query,
        pager,
        l: Layout::new(&pa, "payments.title", "/invoices"),
    })
}

/// The payments list, same filter and scope, as XLSX or CSV.
pub async fn payments_export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<PaymentQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let format = ExportFormat::parse(q.format.trim()).unwrap_or(ExportFormat::Xlsx);
    let filter = PaymentFilter {
        dealer_id: q.dealer_id,
        limit: EXPORT_BATCH,
        offset: 0,
    };
    // every page of the list, not only the one on screen
    let rows = crate::export::all_rows(|limit, offset| {
        let mut page = filter.clone();
        page.limit = limit;
        page.offset = offset;
        let (s, pa) = (&s, &pa);
        async move { billing::list_payments(&s.app, &pa.actor, &page).await }
    })
    .await;
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let sheet = Sheet {
        title: tr.t("payments.title").to_string(),
        headers: [
            "payments.number",
            "orders.dealer",
            "receivables.received_on",
            "receivables.method",
            "receivables.reference",
            "payments.amount",
            "receivables.unallocated",
        ]
        .iter()
        .map(|k| tr.t(k).to_string())
        .collect(),
        rows: rows
            .into_iter()
            .map(|p| {
                vec![
                    Cell::from(p.number),
                    Cell::from(format!("{} {}", p.dealer_code, p.dealer_name)),
                    Cell::Date(p.received_on),
                    Cell::from(tr.tk("payment_method", &p.method)),
                    Cell::from(p.reference),
                    Cell::from(Money(p.amount_fen)),
                    Cell::from(Money(p.unallocated_fen)),
                ]
            })
            .collect(),
    };
    crate::export::download(&sheet, format, "payments")
}

pub struct AllocationLine {
    pub invoice_id: i64,
    pub invoice_number: String,
    pub allocated_on: String,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "payment_show.html")]
struct PaymentPage {
    l: Layout,
    p: PaymentLine,
    allocations: Vec<AllocationLine>,
    allocated: String,
}

pub async fn payment(State(s): State<AppState>, pa: PageActor, PageId(id): PageId) -> Response {
    let d = match billing::get_payment(&s.app, &pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    render(&PaymentPage {
        p: payment_line(&tr, &d.payment),
        allocated: money(d.allocations.iter().map(|a| a.amount_fen).sum::<i64>()),
        allocations: d
            .allocations
            .iter()
            .map(|a| AllocationLine {
                invoice_id: a.invoice_id,
                invoice_number: a.invoice_number.clone(),
                allocated_on: a.allocated_on.clone(),
                amount: money(a.amount_fen),
            })
            .collect(),
        l: Layout::new(&pa, "payments.payment", "/invoices"),
    })
}

// ---------------------------------------------------------------------------------------------
// Credit notes issued from the invoice page.

#[derive(Deserialize, Default)]
pub struct CreditNoteForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
}

/// Issues a credit note against the invoice (amount in yuan); errors show next to the field.
pub async fn credit_note(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: Result<Form<CreditNoteForm>, FormRejection>,
) -> Response {
    let f = form.map(|f| f.0).unwrap_or_default();
    let result = match Money::parse_yuan(&f.amount) {
        Some(amount) => billing::credit_note(&s.app, &pa.actor, id, amount.0, Some(f.reason)).await,
        None => Err(AppError::invalid(
            "credit_note.amount_not_positive",
            "amount_fen",
            "a credit note must be more than zero",
        )),
    };
    form_answer(
        &pa,
        result,
        |_| format!("/invoices/{id}"),
        "credit_note",
        CREDIT_NOTE_FIELDS,
        |error| {
            let status = error.status;
            show_page(&s, &pa, id, Some(error), status)
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// The invoice list as a spreadsheet.

/// The invoice list, same filters and scope, as XLSX or CSV.
pub async fn export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let format = ExportFormat::parse(q.format.trim()).unwrap_or(ExportFormat::Xlsx);
    let filter = InvoiceFilter {
        status: Some(q.status.trim().to_string()).filter(|s| !s.is_empty()),
        dealer_id: q.dealer_id,
        limit: EXPORT_BATCH,
        ..Default::default()
    };
    // every page of the list, not only the one on screen
    let rows = crate::export::all_rows(|limit, offset| {
        let mut page = filter.clone();
        page.limit = limit;
        page.offset = offset;
        let (s, pa) = (&s, &pa);
        async move { billing::list_invoices(&s.app, &pa.actor, &page).await }
    })
    .await;
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let sheet = Sheet {
        title: tr.t("invoices.title").to_string(),
        headers: [
            "invoices.number",
            "orders.dealer",
            "invoices.date",
            "invoices.due",
            "orders.status",
            "invoices.net",
            "invoices.tax",
            "invoices.gross",
            "invoices.open",
        ]
        .iter()
        .map(|k| tr.t(k).to_string())
        .collect(),
        rows: rows
            .into_iter()
            .map(|i| {
                vec![
                    Cell::from(i.number),
                    Cell::from(format!("{} {}", i.dealer_code, i.dealer_name)),
                    Cell::Date(i.invoice_date),
                    Cell::Date(i.due_date),
                    Cell::from(tr.tk("invoice_status", &i.status)),
                    Cell::from(Money(i.net_fen)),
                    Cell::from(Money(i.tax_fen)),
                    Cell::from(Money(i.gross_fen)),
                    Cell::from(Money(i.open_fen)),
                ]
            })
            .collect(),
    };
    crate::export::download(&sheet, format, "invoices")
}

// ---------------------------------------------------------------------------------------------
// Credit notes: the list (with export) and one credit note (printable).

pub struct CreditNoteLine {
    pub id: i64,
    pub number: String,
    pub dealer_id: i64,
    pub dealer: String,
    pub invoice_id: Option<i64>,
    pub invoice_number: String,
    pub issued_on: String,
    pub reason: String,
    pub amount: String,
}

fn credit_note_line(c: &CreditNoteListRow) -> CreditNoteLine {
    CreditNoteLine {
        id: c.id,
        number: c.number.clone(),
        dealer_id: c.dealer_id,
        dealer: format!("{} {}", c.dealer_code, c.dealer_name),
        invoice_id: c.invoice_id,
        invoice_number: c.invoice_number.clone().unwrap_or_default(),
        issued_on: c.issued_on.clone(),
        reason: c.reason.clone(),
        amount: money(c.amount_fen),
    }
}

#[derive(Template)]
#[template(path = "credit_notes_list.html")]
struct CreditNotesPage {
    l: Layout,
    rows: Vec<CreditNoteLine>,
    dealer_id: Option<i64>,
    export_query: String,
}

pub async fn credit_notes(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<PaymentQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let filter = CreditNoteFilter {
        dealer_id: q.dealer_id,
        limit: PAGE_ROWS,
        ..Default::default()
    };
    let rows = match billing::list_credit_notes(&s.app, &pa.actor, &filter).await {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    render(&CreditNotesPage {
        rows: rows.iter().map(credit_note_line).collect(),
        dealer_id: q.dealer_id,
        export_query: q
            .dealer_id
            .map(|d| format!("dealer_id={d}"))
            .unwrap_or_default(),
        l: Layout::new(&pa, "credit_notes.title", "/invoices"),
    })
}

/// The credit-note list, same filter and scope, as XLSX or CSV.
pub async fn credit_notes_export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<PaymentQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let format = ExportFormat::parse(q.format.trim()).unwrap_or(ExportFormat::Xlsx);
    let filter = CreditNoteFilter {
        dealer_id: q.dealer_id,
        limit: EXPORT_BATCH,
        ..Default::default()
    };
    // every page of the list, not only the one on screen
    let rows = crate::export::all_rows(|limit, offset| {
        let mut page = filter.clone();
        page.limit = limit;
        page.offset = offset;
        let (s, pa) = (&s, &pa);
        async move { billing::list_credit_notes(&s.app, &pa.actor, &page).await }
    })
    .await;
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let sheet = Sheet {
        title: tr.t("credit_notes.title").to_string(),
        headers: [
            "credit_notes.number",
            "orders.dealer",
            "credit_notes.invoice",
            "credit_notes.issued_on",
            "credit_notes.reason",
            "payments.amount",
        ]
        .iter()
        .map(|k| tr.t(k).to_string())
        .collect(),
        rows: rows
            .into_iter()
            .map(|c| {
                vec![
                    Cell::from(c.number),
                    Cell::from(format!("{} {}", c.dealer_code, c.dealer_name)),
                    Cell::from(c.invoice_number),
                    Cell::Date(c.issued_on),
                    Cell::from(c.reason),
                    Cell::from(Money(c.amount_fen)),
                ]
            })
            .collect(),
    };
    crate::export::download(&sheet, format, "credit-notes")
}

#[derive(Template)]
#[template(path = "credit_note_show.html")]
struct CreditNotePage {
    l: Layout,
    c: CreditNoteLine,
}

pub async fn credit_note_show(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
) -> Response {
    match billing::get_credit_note(&s.app, &pa.actor, id).await {
        Ok(c) => render(&CreditNotePage {
            c: credit_note_line(&c),
            l: Layout::new(&pa, "credit_notes.credit_note", "/invoices"),
        }),
        Err(e) => fail(&pa, e),
    }
}
