//! Transfer pages (调货): the list, the new-transfer form and one transfer with its cancel form.

use super::orders::money;
use super::{fail, format_time, render, Layout, PageId, Pager, PAGE_ROWS};
use crate::problem::{message_of, status_of};
use crate::session::PageActor;
use crate::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use salesos_app::transfers::{self, NewTransferInput, TransferDetail, TransferLineInput};
use salesos_app::AppError;
use salesos_domain::roles::Capability;
use salesos_domain::Money;
use salesos_store::transfers::{TransferFilter, ALL_STATES};
use serde::Deserialize;

pub struct TransferListLine {
    pub id: i64,
    pub number: String,
    pub source: String,
    pub target: String,
    pub date: String,
    pub status_code: String,
    pub status: String,
    pub gross: String,
}

pub struct StatusOption {
    pub code: &'static str,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "transfer_list.html")]
struct ListPage {
    l: Layout,
    rows: Vec<TransferListLine>,
    statuses: Vec<StatusOption>,
    can_enter: bool,
    pager: Pager,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    dealer_id: Option<i64>,
    #[serde(default)]
    page: String,
}

pub async fn list(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let status = q.status.trim().to_string();
    let known_status = ALL_STATES
        .contains(&status.as_str())
        .then(|| status.clone());
    let query = [
        known_status.as_ref().map(|s| format!("status={s}")),
        q.dealer_id.map(|d| format!("dealer_id={d}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("&");
    let mut pager = Pager::new("/transfers", &q.page, query, PAGE_ROWS);
    let filter = TransferFilter {
        status: known_status,
        dealer_id: q.dealer_id,
        limit: pager.limit(),
        offset: pager.offset(),
    };
    let rows = match transfers::list(&s.app, &pa.actor, &filter).await {
        Ok(r) => pager.keep(r),
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    render(&ListPage {
        rows: rows
            .iter()
            .map(|r| TransferListLine {
                id: r.id,
                number: r.number.clone(),
                source: format!("{} {}", r.source_dealer_code, r.source_dealer_name),
                target: format!("{} {}", r.target_dealer_code, r.target_dealer_name),
                date: r.transfer_date.clone(),
                status_code: r.status.clone(),
                status: tr.tk("transfer_status", &r.status),
                gross: money(r.gross_fen),
            })
            .collect(),
        statuses: ALL_STATES
            .iter()
            .map(|c| StatusOption {
                code: c,
                label: tr.tk("transfer_status", c),
                selected: *c == status,
            })
            .collect(),
        can_enter: pa.actor.can(Capability::EnterOrders),
        pager,
        l: Layout::new(&pa, "transfers.title", "/transfers"),
    })
}

/// The transfers with the list's filter and the person's scope, every one, as XLSX or CSV.
pub async fn export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ExportQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let status = q.list.status.trim().to_string();
    let rows = crate::export::all_rows(|limit, offset| {
        let filter = TransferFilter {
            status: ALL_STATES
                .contains(&status.as_str())
                .then(|| status.clone()),
            dealer_id: q.list.dealer_id,
            limit,
            offset,
        };
        let (s, pa) = (&s, &pa);
        async move { transfers::list(&s.app, &pa.actor, &filter).await }
    })
    .await;
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    use crate::export::Cell;
    crate::export::list_download(
        &tr,
        "transfers.title",
        &[
            "transfers.number",
            "transfers.source",
            "transfers.target",
            "transfers.date",
            "orders.status",
            "transfers.amount",
        ],
        rows.into_iter()
            .map(|r| {
                vec![
                    Cell::from(r.number),
                    Cell::from(format!("{} {}", r.source_dealer_code, r.source_dealer_name)),
                    Cell::from(format!("{} {}", r.target_dealer_code, r.target_dealer_name)),
                    Cell::Date(r.transfer_date),
                    Cell::from(tr.tk("transfer_status", &r.status)),
                    Cell::Money(Money::from_fen(r.gross_fen)),
                ]
            })
            .collect(),
        &q.format,
        "transfers",
    )
}

#[derive(Deserialize, Default)]
pub struct ExportQuery {
    #[serde(flatten)]
    list: ListQuery,
    #[serde(default)]
    format: String,
}

#[derive(Template)]
#[template(path = "transfer_new.html")]
struct NewPage {
    l: Layout,
    source: String,
    target: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    source: Option<i64>,
}

fn new_page(
    pa: &PageActor,
    source: String,
    target: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    if let Err(e) = pa.actor.require(Capability::EnterOrders) {
        return fail(pa, e);
    }
    let page = NewPage {
        l: Layout::new(pa, "transfers.new", "/transfers"),
        source,
        target,
        error,
    };
    (status, render(&page)).into_response()
}

pub async fn new_form(pa: PageActor, q: Result<Query<NewQuery>, QueryRejection>) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    new_page(
        &pa,
        q.source.map(|s| s.to_string()).unwrap_or_default(),
        String::new(),
        None,
        StatusCode::OK,
    )
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn id_of(
    pairs: &[(String, String)],
    name: &str,
    field_name: &'static str,
) -> Result<i64, AppError> {
    field(pairs, name)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| AppError::invalid("request.invalid_field", field_name, "choose a dealer"))
}

/// `source_dealer_id`, `target_dealer_id`, `transfer_date`, `note`, and per line `n`:
/// `product_<n>`, `qty_<n>`, `price_<n>` (yuan, net of tax).
pub async fn create(
    State(s): State<AppState>,
    pa: PageActor,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let pairs = form.map(|f| f.0).unwrap_or_default();
    let parsed = (|| -> Result<NewTransferInput, AppError> {
        let mut lines = Vec::new();
        for n in 1..=10 {
            let Some(product) = field(&pairs, &format!("product_{n}")) else {
                continue;
            };
            let product_id = product.parse().map_err(|_| {
                AppError::invalid(
                    "request.invalid_field",
                    "product_id",
                    "a number is expected",
                )
            })?;
            let quantity = field(&pairs, &format!("qty_{n}"))
                .unwrap_or("0")
                .parse()
                .map_err(|_| {
                    AppError::invalid("request.invalid_field", "quantity", "a number is expected")
                })?;
            let price = field(&pairs, &format!("price_{n}"))
                .and_then(Money::parse_yuan)
                .ok_or_else(|| {
                    AppError::invalid(
                        "request.invalid_field",
                        "unit_price_fen",
                        "enter a price like 12.50",
                    )
                })?;
            lines.push(TransferLineInput {
                product_id,
                quantity,
                unit_price_fen: price.0,
            });
        }
        Ok(NewTransferInput {
            source_dealer_id: id_of(&pairs, "source_dealer_id", "source_dealer_id")?,
            target_dealer_id: id_of(&pairs, "target_dealer_id", "target_dealer_id")?,
            transfer_date: field(&pairs, "transfer_date").map(str::to_string),
            note: field(&pairs, "note").map(str::to_string),
            lines,
        })
    })();
    let result = match parsed {
        Ok(input) => transfers::request(&s.app, &pa.actor, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(d) => Redirect::to(&format!("/transfers/{}", d.transfer.id)).into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let message = message_of(&e, &pa.tr());
            new_page(
                &pa,
                field(&pairs, "source_dealer_id").unwrap_or("").to_string(),
                field(&pairs, "target_dealer_id").unwrap_or("").to_string(),
                Some(message),
                status_of(&e),
            )
        }
        Err(e) => fail(&pa, e),
    }
}

#[derive(Template)]
#[template(path = "transfer_show.html")]
struct ShowPage {
    l: Layout,
    d: TransferDetail,
    status: String,
    gross: String,
    requested: String,
    decided: String,
    can_enter: bool,
    error: Option<String>,
}

async fn show_page(
    s: &AppState,
    pa: &PageActor,
    id: i64,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let d = match transfers::get(&s.app, &pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return fail(pa, e),
    };
    let tr = pa.tr();
    let tz = s.app.config.time_zone;
    let page = ShowPage {
        status: tr.tk("transfer_status", &d.transfer.status),
        gross: money(d.transfer.gross_fen),
        requested: format_time(d.transfer.requested_at, tz),
        decided: d
            .transfer
            .decided_at
            .or(d.transfer.closed_at)
            .map(|t| format_time(t, tz))
            .unwrap_or_default(),
        can_enter: pa.actor.can(Capability::EnterOrders),
        error,
        l: Layout::new(pa, "transfers.title", "/transfers"),
        d,
    };
    (status, render(&page)).into_response()
}

pub async fn show(State(s): State<AppState>, pa: PageActor, PageId(id): PageId) -> Response {
    show_page(&s, &pa, id, None, StatusCode::OK).await
}

pub async fn cancel(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let pairs = form.map(|f| f.0).unwrap_or_default();
    let reason = field(&pairs, "reason").map(str::to_string);
    match transfers::cancel(&s.app, &pa.actor, id, reason).await {
        Ok(_) => Redirect::to(&format!("/transfers/{id}")).into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let message = message_of(&e, &pa.tr());
            show_page(&s, &pa, id, Some(message), status_of(&e)).await
        }
        Err(e) => fail(&pa, e),
    }
}
