//! Return pages: the list (filters, XLSX/CSV export), a new return from an invoice, and one
//! return with its action forms (cancel, submit again, receive, inspect, credit).

use super::orders::money;
use super::{fail, format_time, render, Layout, PageId, Pager, PAGE_ROWS};
use crate::export::{Cell, ExportFormat, Sheet};
use crate::problem::{message_of, status_of};
use crate::session::{urlencode, PageActor};
use crate::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use salesos_app::returns::{
    self, InspectInput, InspectLineInput, NewReturnInput, ReceiveInput, ReceiveLineInput,
    ReturnDetail, ReturnLineInput,
};
use salesos_app::AppError;
use salesos_domain::roles::Capability;
use salesos_domain::Money;
use salesos_store::returns::{ReturnFilter, ReturnableLine, ALL_STATES};
use serde::Deserialize;

pub struct ReturnListLine {
    pub id: i64,
    pub number: String,
    pub dealer: String,
    pub invoice_id: i64,
    pub invoice_number: String,
    pub status_code: String,
    pub status: String,
    pub credit: String,
    pub requested: String,
}

pub struct StatusOption {
    pub code: &'static str,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "return_list.html")]
struct ListPage {
    l: Layout,
    rows: Vec<ReturnListLine>,
    statuses: Vec<StatusOption>,
    q: String,
    export_query: String,
    pager: Pager,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    invoice_id: Option<i64>,
    dealer_id: Option<i64>,
    #[serde(default)]
    page: String,
    #[serde(default)]
    format: String,
}

fn filter_of(q: &ListQuery, limit: i64) -> ReturnFilter {
    let status = q.status.trim();
    ReturnFilter {
        status: ALL_STATES.contains(&status).then(|| status.to_string()),
        q: Some(q.q.trim().chars().take(100).collect::<String>()).filter(|s| !s.is_empty()),
        invoice_id: q.invoice_id,
        dealer_id: q.dealer_id,
        limit,
        ..Default::default()
    }
}

pub async fn list(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let status = q.status.trim().to_string();
    let export_query = format!("status={}&q={}", urlencode(&status), urlencode(q.q.trim()));
    let mut pager = Pager::new("/returns", &q.page, export_query.clone(), PAGE_ROWS);
    let filter = ReturnFilter {
        offset: pager.offset(),
        ..filter_of(&q, pager.limit())
    };
    let rows = match returns::list(&s.app, &pa.actor, &filter).await {
        Ok(r) => pager.keep(r),
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let tz = s.app.config.time_zone;
    render(&ListPage {
        rows: rows
            .iter()
            .map(|r| ReturnListLine {
                id: r.id,
                number: r.number.clone(),
                dealer: r.dealer_name.clone(),
                invoice_id: r.invoice_id,
                invoice_number: r.invoice_number.clone(),
                status_code: r.status.clone(),
                status: tr.tk("return_status", &r.status),
                credit: money(r.credit_fen),
                requested: format_time(r.requested_at, tz),
            })
            .collect(),
        statuses: ALL_STATES
            .iter()
            .map(|c| StatusOption {
                code: c,
                label: tr.tk("return_status", c),
                selected: *c == status,
            })
            .collect(),
        q: q.q.trim().to_string(),
        export_query,
        pager,
        l: Layout::new(&pa, "returns.title", "/returns"),
    })
}

/// The returns list, with the same filters and scope, as an XLSX or CSV file.
pub async fn export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let format = ExportFormat::parse(q.format.trim()).unwrap_or(ExportFormat::Xlsx);
    const BATCH: i64 = 1000;
    let filter = filter_of(&q, BATCH);
    // every page of the list, not only the one on screen
    let rows = crate::export::all_rows(|limit, offset| {
        let mut page = filter.clone();
        page.limit = limit;
        page.offset = offset;
        let (s, pa) = (&s, &pa);
        async move { returns::list(&s.app, &pa.actor, &page).await }
    })
    .await;
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let tz = s.app.config.time_zone;
    let sheet = Sheet {
        title: tr.t("returns.title").to_string(),
        headers: [
            "returns.number",
            "orders.dealer",
            "returns.invoice",
            "orders.status",
            "returns.reason",
            "returns.requested_at",
            "returns.received_on",
            "returns.credit",
        ]
        .iter()
        .map(|k| tr.t(k).to_string())
        .collect(),
        rows: rows
            .into_iter()
            .map(|r| {
                vec![
                    Cell::from(r.number),
                    Cell::from(format!("{} {}", r.dealer_code, r.dealer_name)),
                    Cell::from(r.invoice_number),
                    Cell::from(tr.tk("return_status", &r.status)),
                    Cell::from(r.reason),
                    Cell::from(format_time(r.requested_at, tz)),
                    r.received_on.map_or(Cell::Empty, Cell::Date),
                    Cell::from(Money(r.credit_fen)),
                ]
            })
            .collect(),
    };
    crate::export::download(&sheet, format, "returns")
}

#[derive(Template)]
#[template(path = "return_new.html")]
struct NewPage {
    l: Layout,
    invoice_id: i64,
    invoice_number: String,
    dealer: String,
    lines: Vec<ReturnableLine>,
    error: Option<String>,
}

async fn new_page(
    s: &AppState,
    pa: &PageActor,
    invoice_id: i64,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let r = match returns::returnable(&s.app, &pa.actor, invoice_id).await {
        Ok(r) => r,
        Err(e) => return fail(pa, e),
    };
    let page = NewPage {
        l: Layout::new(pa, "returns.new", "/returns"),
        invoice_id,
        invoice_number: r.invoice.number,
        dealer: format!("{} {}", r.invoice.dealer_code, r.invoice.dealer_name),
        lines: r.lines,
        error,
    };
    (status, render(&page)).into_response()
}

/// The new-return form for an invoice.
pub async fn new_form(State(s): State<AppState>, pa: PageActor, PageId(id): PageId) -> Response {
    new_page(&s, &pa, id, None, StatusCode::OK).await
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn number_of(text: &str, field_name: &'static str) -> Result<i64, AppError> {
    text.trim()
        .parse()
        .map_err(|_| AppError::invalid("request.invalid_field", field_name, "a number is expected"))
}

/// Creates a return from the form: `reason`, `note`, `qty_<invoice line no>`,
/// `reason_<invoice line no>`.
pub async fn create(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(invoice_id): PageId,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let pairs = form.map(|f| f.0).unwrap_or_default();
    let mut lines = Vec::new();
    let mut parsed = Ok(());
    for (k, v) in &pairs {
        if let Some(no) = k.strip_prefix("qty_").and_then(|n| n.parse::<i64>().ok()) {
            match v.trim() {
                "" | "0" => {}
                text => match number_of(text, "quantity") {
                    Ok(q) => lines.push(ReturnLineInput {
                        line_no: no,
                        quantity: q,
                        reason: field(&pairs, &format!("reason_{no}")).map(str::to_string),
                    }),
                    Err(e) => parsed = Err(e),
                },
            }
        }
    }
    let result = match parsed {
        Err(e) => Err(e),
        Ok(()) => {
            let input = NewReturnInput {
                reason: field(&pairs, "reason").map(str::to_string),
                note: field(&pairs, "note").map(str::to_string),
                lines,
            };
            returns::request(&s.app, &pa.actor, invoice_id, input).await
        }
    };
    match result {
        Ok(d) => Redirect::to(&format!("/returns/{}", d.ret.id)).into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let message = message_of(&e, &pa.tr());
            new_page(&s, &pa, invoice_id, Some(message), status_of(&e)).await
        }
        Err(e) => fail(&pa, e),
    }
}

pub struct Event {
    pub label: String,
    pub who: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "return_show.html")]
struct ShowPage {
    l: Layout,
    d: ReturnDetail,
    status: String,
    credit: String,
    events: Vec<Event>,
    can_enter: bool,
    can_ship: bool,
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
    let d = match returns::get(&s.app, &pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return fail(pa, e),
    };
    let tr = pa.tr();
    let tz = s.app.config.time_zone;
    let r = &d.ret;
    let mut events = Vec::new();
    for (key, who, at) in [
        (
            "returns.requested_at",
            &r.requested_by_name,
            Some(r.requested_at),
        ),
        ("returns.decided_at", &r.decided_by_name, r.decided_at),
        ("returns.received_at", &r.received_by_name, r.received_at),
        ("returns.inspected_at", &r.inspected_by_name, r.inspected_at),
        ("returns.credited_at", &r.credited_by_name, r.credited_at),
        ("returns.closed_at", &r.closed_by_name, r.closed_at),
    ] {
        if let Some(at) = at {
            events.push(Event {
                label: tr.t(key).to_string(),
                who: who.clone().unwrap_or_default(),
                when: format_time(at, tz),
            });
        }
    }
    let page = ShowPage {
        status: tr.tk("return_status", &r.status),
        credit: money(r.credit_fen),
        events,
        can_enter: pa.actor.can(Capability::EnterOrders),
        can_ship: pa.actor.can(Capability::Ship),
        can_bill: pa.actor.can(Capability::Bill),
        error,
        l: Layout::new(pa, "returns.title", "/returns"),
        d,
    };
    (status, render(&page)).into_response()
}

pub async fn show(State(s): State<AppState>, pa: PageActor, PageId(id): PageId) -> Response {
    show_page(&s, &pa, id, None, StatusCode::OK).await
}

async fn after_action(
    s: &AppState,
    pa: &PageActor,
    id: i64,
    result: Result<ReturnDetail, AppError>,
) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!("/returns/{id}")).into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let message = message_of(&e, &pa.tr());
            show_page(s, pa, id, Some(message), status_of(&e)).await
        }
        Err(e) => fail(pa, e),
    }
}

type FormPairs = Result<Form<Vec<(String, String)>>, FormRejection>;

fn pairs_of(form: FormPairs) -> Vec<(String, String)> {
    form.map(|f| f.0).unwrap_or_default()
}

pub async fn cancel(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: FormPairs,
) -> Response {
    let pairs = pairs_of(form);
    let reason = field(&pairs, "reason").map(str::to_string);
    let result = returns::cancel(&s.app, &pa.actor, id, reason).await;
    after_action(&s, &pa, id, result).await
}

pub async fn resubmit(State(s): State<AppState>, pa: PageActor, PageId(id): PageId) -> Response {
    let result = returns::resubmit(&s.app, &pa.actor, id).await;
    after_action(&s, &pa, id, result).await
}

/// `received_on`, and per return line `received_<line id>` (absent: arrived complete).
pub async fn receive(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: FormPairs,
) -> Response {
    let pairs = pairs_of(form);
    let mut lines = Vec::new();
    let mut parsed = Ok(());
    for (k, v) in &pairs {
        if let Some(line_id) = k.strip_prefix("received_").and_then(|n| n.parse().ok()) {
            if v.trim().is_empty() {
                continue;
            }
            match number_of(v, "received_qty") {
                Ok(q) => lines.push(ReceiveLineInput {
                    line_id,
                    received_qty: q,
                }),
                Err(e) => parsed = Err(e),
            }
        }
    }
    let result = match parsed {
        Err(e) => Err(e),
        Ok(()) => {
            let input = ReceiveInput {
                received_on: field(&pairs, "received_on").map(str::to_string),
                lines,
            };
            returns::receive(&s.app, &pa.actor, id, input).await
        }
    };
    after_action(&s, &pa, id, result).await
}

/// Per return line `accepted_<id>`, `reject_reason_<id>`, `disposition_<id>`.
pub async fn inspect(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: FormPairs,
) -> Response {
    let pairs = pairs_of(form);
    let mut lines = Vec::new();
    let mut parsed = Ok(());
    for (k, v) in &pairs {
        if let Some(line_id) = k
            .strip_prefix("accepted_")
            .and_then(|n| n.parse::<i64>().ok())
        {
            if v.trim().is_empty() {
                continue;
            }
            match number_of(v, "accepted_qty") {
                Ok(q) => lines.push(InspectLineInput {
                    line_id,
                    accepted_qty: q,
                    reject_reason: field(&pairs, &format!("reject_reason_{line_id}"))
                        .map(str::to_string),
                    disposition: field(&pairs, &format!("disposition_{line_id}"))
                        .map(str::to_string),
                }),
                Err(e) => parsed = Err(e),
            }
        }
    }
    let result = match parsed {
        Err(e) => Err(e),
        Ok(()) => returns::inspect(&s.app, &pa.actor, id, InspectInput { lines }).await,
    };
    after_action(&s, &pa, id, result).await
}

pub async fn credit(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: FormPairs,
) -> Response {
    let pairs = pairs_of(form);
    let day = field(&pairs, "issued_on").map(str::to_string);
    let result = returns::credit(&s.app, &pa.actor, id, day).await;
    after_action(&s, &pa, id, result).await
}
