//! Shipment pages: the list, a new shipment from an order (partial quantities), one shipment
//! with its ship and delivery-confirmation (shortage, damage, re-shipment) forms.

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
use salesos_app::shipments::{
    self, DeliveryInput, DeliveryLineInput, NewShipmentInput, ShipLineInput, ShipmentDetail,
};
use salesos_app::{orders, AppError};
use salesos_domain::roles::Capability;
use salesos_store::shipments::{OrderLineFacts, ShipmentFilter};
use serde::Deserialize;

pub struct ShipmentLine {
    pub id: i64,
    pub number: String,
    pub order_id: i64,
    pub order_number: String,
    pub dealer: String,
    pub status_code: String,
    pub status: String,
    pub value: String,
    pub shipped_on: String,
}

#[derive(Template)]
#[template(path = "shipments_list.html")]
struct ListPage {
    l: Layout,
    rows: Vec<ShipmentLine>,
    /// (code, label, selected)
    statuses: Vec<(String, String, bool)>,
    order_id: Option<i64>,
    export_query: String,
    pager: Pager,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    order_id: Option<i64>,
    #[serde(default)]
    page: String,
    /// for exports: `xlsx` (default) or `csv`
    #[serde(default)]
    format: String,
}

const STATUSES: [&str; 6] = [
    "picking",
    "packed",
    "shipped",
    "delivered",
    "closed",
    "cancelled",
];

impl ListQuery {
    fn filter(&self, limit: i64) -> ShipmentFilter {
        let status = self.status.trim();
        ShipmentFilter {
            status: STATUSES.contains(&status).then(|| status.to_string()),
            order_id: self.order_id,
            limit,
            ..Default::default()
        }
    }

    /// The filter as a query string, for the export links.
    fn as_query(&self) -> String {
        let f = self.filter(0);
        let mut out = Vec::new();
        if let Some(st) = f.status {
            out.push(format!("status={st}"));
        }
        if let Some(o) = f.order_id {
            out.push(format!("order_id={o}"));
        }
        out.join("&")
    }
}

pub async fn list(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let mut pager = Pager::new("/shipments", &q.page, q.as_query(), PAGE_ROWS);
    let filter = ShipmentFilter {
        offset: pager.offset(),
        ..q.filter(pager.limit())
    };
    let rows = match shipments::list(&s.app, &pa.actor, &filter).await {
        Ok(r) => pager.keep(r),
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let chosen = filter.status.as_deref();
    render(&ListPage {
        statuses: STATUSES
            .iter()
            .map(|c| {
                (
                    c.to_string(),
                    tr.tk("shipment_status", c),
                    Some(*c) == chosen,
                )
            })
            .collect(),
        order_id: q.order_id,
        export_query: q.as_query(),
        pager,
        rows: rows
            .iter()
            .map(|r| ShipmentLine {
                id: r.id,
                number: r.number.clone(),
                order_id: r.order_id,
                order_number: r.order_number.clone(),
                dealer: r.dealer_name.clone(),
                status_code: r.status.clone(),
                status: tr.tk("shipment_status", &r.status),
                value: money(r.value_fen),
                shipped_on: r.shipped_on.clone().unwrap_or_default(),
            })
            .collect(),
        l: Layout::new(&pa, "shipments.title", "/shipments"),
    })
}

#[derive(Template)]
#[template(path = "shipment_new.html")]
struct NewPage {
    l: Layout,
    order_id: i64,
    order_number: String,
    lines: Vec<OrderLineFacts>,
    error: Option<String>,
}

async fn new_page(
    s: &AppState,
    pa: &PageActor,
    order_id: i64,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    if let Err(e) = pa.actor.require(Capability::Ship) {
        return fail(pa, e);
    }
    let order = match orders::get(&s.app, &pa.actor, order_id).await {
        Ok(o) => o,
        Err(e) => return fail(pa, e),
    };
    let lines = match shipments::open_lines(&s.app, &pa.actor, order_id).await {
        Ok(l) => l,
        Err(e) => return fail(pa, e),
    };
    let page = NewPage {
        l: Layout::new(pa, "shipments.new", "/shipments"),
        order_id,
        order_number: order.order.number,
        lines,
        error,
    };
    (status, render(&page)).into_response()
}

/// The new-shipment form for an order.
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

fn number(
    pairs: &[(String, String)],
    name: &str,
    field_name: &'static str,
) -> Result<i64, AppError> {
    match field(pairs, name) {
        None => Ok(0),
        Some(v) => v.parse().map_err(|_| {
            AppError::invalid("request.invalid_field", field_name, "a number is expected")
        }),
    }
}

/// Creates a shipment from the form: `order_id`, `qty_<line_no>`, carrier or station.
pub async fn create(
    State(s): State<AppState>,
    pa: PageActor,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let pairs = form.map(|f| f.0).unwrap_or_default();
    let Some(order_id) = field(&pairs, "order_id").and_then(|v| v.parse::<i64>().ok()) else {
        return fail(&pa, AppError::NotFound { entity: "order" });
    };
    let mut lines = Vec::new();
    let mut parsed = Ok(());
    for (k, v) in &pairs {
        if let Some(no) = k.strip_prefix("qty_").and_then(|n| n.parse::<i64>().ok()) {
            match v.trim() {
                "" | "0" => {}
                text => match text.parse::<i64>() {
                    Ok(q) => lines.push(ShipLineInput {
                        line_no: no,
                        quantity: q,
                    }),
                    Err(_) => {
                        parsed = Err(AppError::invalid(
                            "request.invalid_field",
                            "quantity",
                            "a number is expected",
                        ))
                    }
                },
            }
        }
    }
    let result = match parsed {
        Err(e) => Err(e),
        Ok(()) => {
            let input = NewShipmentInput {
                lines,
                carrier: field(&pairs, "carrier").map(str::to_string),
                consignment_station: field(&pairs, "consignment_station").map(str::to_string),
                tracking_no: field(&pairs, "tracking_no").map(str::to_string),
                note: field(&pairs, "note").map(str::to_string),
            };
            shipments::create(&s.app, &pa.actor, order_id, input).await
        }
    };
    match result {
        Ok(d) => Redirect::to(&format!("/shipments/{}", d.shipment.id)).into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let message = message_of(&e, &pa.tr());
            new_page(&s, &pa, order_id, Some(message), status_of(&e)).await
        }
        Err(e) => fail(&pa, e),
    }
}

#[derive(Template)]
#[template(path = "shipment_show.html")]
struct ShowPage {
    l: Layout,
    d: ShipmentDetail,
    status: String,
    value: String,
    can_ship: bool,
    can_bill: bool,
    error: Option<FormError>,
}

/// The inputs of the shipment page's forms, so an error is shown next to its field.
const SHOW_FIELDS: &[&str] = &[
    "reason",
    "shipped_on",
    "delivered_on",
    "short_qty",
    "damaged_qty",
    "reship_qty",
];

impl ShowPage {
    fn field_error(&self, field: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.at("shipment", field))
    }

    /// A delivery claim's quantity at fault (the inputs are per line, so shown under the table).
    fn claim_error(&self) -> Option<(&str, &str)> {
        ["short_qty", "damaged_qty", "reship_qty"]
            .into_iter()
            .find_map(|f| self.field_error(f).map(|m| (f, m)))
    }

    fn general_error(&self) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.general("shipment"))
    }
}

async fn show_page(
    s: &AppState,
    pa: &PageActor,
    id: i64,
    error: Option<FormError>,
    status: StatusCode,
) -> Response {
    let d = match shipments::get(&s.app, &pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return fail(pa, e),
    };
    let tr = pa.tr();
    let page = ShowPage {
        status: tr.tk("shipment_status", &d.shipment.status),
        value: money(d.shipment.value_fen),
        can_ship: pa.actor.can(Capability::Ship),
        can_bill: pa.actor.can(Capability::Bill),
        error,
        l: Layout::new(pa, "shipments.title", "/shipments"),
        d,
    };
    (status, render(&page)).into_response()
}

pub async fn show(State(s): State<AppState>, pa: PageActor, PageId(id): PageId) -> Response {
    show_page(&s, &pa, id, None, StatusCode::OK).await
}

async fn after_action<T>(
    s: &AppState,
    pa: &PageActor,
    id: i64,
    result: Result<T, AppError>,
    to: String,
) -> Response {
    form_answer(
        pa,
        result,
        |_| to,
        "shipment",
        SHOW_FIELDS,
        |error| {
            let status = error.status;
            show_page(s, pa, id, Some(error), status)
        },
    )
    .await
}

pub async fn ship(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let pairs = form.map(|f| f.0).unwrap_or_default();
    let day = field(&pairs, "shipped_on").map(str::to_string);
    let result = shipments::ship(&s.app, &pa.actor, id, day).await;
    after_action(&s, &pa, id, result, format!("/shipments/{id}")).await
}

/// Delivery confirmation: `delivered_on`, and per shipment line `short_<id>`, `damaged_<id>`,
/// `reship_<id>`.
pub async fn deliver(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let pairs = form.map(|f| f.0).unwrap_or_default();
    let mut ids: Vec<i64> = pairs
        .iter()
        .filter_map(|(k, _)| {
            ["short_", "damaged_", "reship_"]
                .iter()
                .find_map(|p| k.strip_prefix(p))
                .and_then(|n| n.parse().ok())
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut lines = Vec::new();
    let mut parsed = Ok(());
    for line_id in ids {
        let parts = (
            number(&pairs, &format!("short_{line_id}"), "short_qty"),
            number(&pairs, &format!("damaged_{line_id}"), "damaged_qty"),
            number(&pairs, &format!("reship_{line_id}"), "reship_qty"),
        );
        match parts {
            (Ok(short), Ok(damaged), Ok(reship)) => {
                if short != 0 || damaged != 0 || reship != 0 {
                    lines.push(DeliveryLineInput {
                        line_id,
                        short_qty: short,
                        damaged_qty: damaged,
                        reship_qty: reship,
                    });
                }
            }
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => parsed = Err(e),
        }
    }
    let result = match parsed {
        Err(e) => Err(e),
        Ok(()) => {
            let input = DeliveryInput {
                delivered_on: field(&pairs, "delivered_on").map(str::to_string),
                lines,
            };
            shipments::deliver(&s.app, &pa.actor, id, input).await
        }
    };
    after_action(&s, &pa, id, result, format!("/shipments/{id}")).await
}

/// Raises the invoice of a delivered shipment and opens it.
pub async fn invoice(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let pairs = form.map(|f| f.0).unwrap_or_default();
    let day = field(&pairs, "invoice_date").map(str::to_string);
    match salesos_app::billing::invoice_shipment(&s.app, &pa.actor, id, day).await {
        Ok(inv) => Redirect::to(&format!("/invoices/{}", inv.invoice.id)).into_response(),
        Err(e) => after_action::<()>(&s, &pa, id, Err(e), String::new()).await,
    }
}

/// Picking → packed.
pub async fn pack(State(s): State<AppState>, pa: PageActor, PageId(id): PageId) -> Response {
    let result = shipments::pack(&s.app, &pa.actor, id).await;
    after_action(&s, &pa, id, result, format!("/shipments/{id}")).await
}

#[derive(Deserialize, Default)]
pub struct CancelForm {
    #[serde(default)]
    reason: String,
}

/// Cancels a shipment that has not left; the reason is required.
pub async fn cancel(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: Result<Form<CancelForm>, FormRejection>,
) -> Response {
    let f = form.map(|f| f.0).unwrap_or_default();
    let result = shipments::cancel(&s.app, &pa.actor, id, Some(f.reason)).await;
    after_action(&s, &pa, id, result, format!("/shipments/{id}")).await
}

/// The shipment list, same filters and scope, as XLSX or CSV.
pub async fn export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    const BATCH: i64 = 1000;
    let q = q.map(|q| q.0).unwrap_or_default();
    let format = ExportFormat::parse(q.format.trim()).unwrap_or(ExportFormat::Xlsx);
    let filter = q.filter(BATCH);
    // every page of the list, not only the one on screen
    let rows = crate::export::all_rows(|limit, offset| {
        let mut page = filter.clone();
        page.limit = limit;
        page.offset = offset;
        let (s, pa) = (&s, &pa);
        async move { shipments::list(&s.app, &pa.actor, &page).await }
    })
    .await;
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let sheet = Sheet {
        title: tr.t("shipments.title").to_string(),
        headers: [
            "shipments.number",
            "shipments.order",
            "orders.dealer",
            "orders.status",
            "shipments.carrier",
            "shipments.station",
            "shipments.tracking",
            "shipments.shipped_on",
            "shipments.delivered_on",
            "shipments.value",
        ]
        .iter()
        .map(|k| tr.t(k).to_string())
        .collect(),
        rows: rows
            .into_iter()
            .map(|r| {
                vec![
                    Cell::from(r.number),
                    Cell::from(r.order_number),
                    Cell::from(r.dealer_name),
                    Cell::from(tr.tk("shipment_status", &r.status)),
                    Cell::from(r.carrier),
                    Cell::from(r.consignment_station),
                    Cell::from(r.tracking_no),
                    r.shipped_on.map_or(Cell::Empty, Cell::Date),
                    r.delivered_on.map_or(Cell::Empty, Cell::Date),
                    Cell::from(salesos_domain::Money(r.value_fen)),
                ]
            })
            .collect(),
    };
    crate::export::download(&sheet, format, "shipments")
}
