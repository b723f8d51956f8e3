//! Billing pages: the invoice list, one invoice (printable), cancelling it, and a dealer's
//! receivables panel with the payment form (oldest first or chosen invoices).

use super::orders::money;
use super::{fail, render, Layout};
use crate::problem::{message_of, status_of};
use crate::session::PageActor;
use crate::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use salesos_app::billing::{self, ChosenAllocation, InvoiceDetail, PaymentInput, Receivables};
use salesos_app::AppError;
use salesos_domain::roles::Capability;
use salesos_domain::Money;
use salesos_store::billing::InvoiceFilter;
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
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    dealer_id: Option<i64>,
}

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
    let filter = InvoiceFilter {
        status: Some(q.status.trim().to_string()).filter(|s| !s.is_empty()),
        dealer_id: q.dealer_id,
        limit: 200,
        ..Default::default()
    };
    let rows = match billing::list_invoices(&s.app, &pa.actor, &filter).await {
        Ok(r) => r,
        Err(AppError::Invalid(_)) => Vec::new(),
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    render(&ListPage {
        rows: rows.iter().map(|i| invoice_line(&tr, i)).collect(),
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
    error: Option<String>,
}

async fn show_page(
    s: &AppState,
    pa: &PageActor,
    id: i64,
    error: Option<String>,
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
        error,
        l: Layout::new(pa, "invoices.title", "/invoices"),
        d,
    };
    (status, render(&page)).into_response()
}

pub async fn show(
    State(s): State<AppState>,
    pa: PageActor,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return fail(&pa, AppError::NotFound { entity: "invoice" });
    };
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
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<CancelForm>, FormRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return fail(&pa, AppError::NotFound { entity: "invoice" });
    };
    let f = form.map(|f| f.0).unwrap_or_default();
    match billing::cancel_invoice(&s.app, &pa.actor, id, Some(f.reason)).await {
        Ok(_) => Redirect::to(&format!("/invoices/{id}")).into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let message = message_of(&e, &pa.tr());
            show_page(&s, &pa, id, Some(message), status_of(&e)).await
        }
        Err(e) => fail(&pa, e),
    }
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

pub async fn receivables(
    State(s): State<AppState>,
    pa: PageActor,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return fail(&pa, AppError::NotFound { entity: "dealer" });
    };
    receivables_page(&s, &pa, id, None, StatusCode::OK).await
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
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return fail(&pa, AppError::NotFound { entity: "dealer" });
    };
    let pairs = form.map(|f| f.0).unwrap_or_default();
    let result = match payment_form(&pairs) {
        Ok(input) => billing::record_payment(&s.app, &pa.actor, id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/dealers/{id}/receivables")).into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let message = message_of(&e, &pa.tr());
            receivables_page(&s, &pa, id, Some(message), status_of(&e)).await
        }
        Err(e) => fail(&pa, e),
    }
}
