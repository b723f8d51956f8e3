//! Order pages: the list, the new-order form, one order with its history and actions, and a
//! dealer's credit panel.

use super::people::FormError;
use super::{fail, form_answer, format_time, render, Layout, PageId, Pager, PAGE_ROWS};
use crate::i18n::Tr;
use crate::problem::{message_of, status_of};
use crate::session::PageActor;
use crate::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use salesos_app::orders::{self, Created, LineInput, NewOrderInput, OrderDetail};
use salesos_app::{credit, dates, shipments, AppError};
use salesos_domain::roles::Capability;
use salesos_domain::Money;
use salesos_store::orders::{DealerFacts, OrderFilter, OrderRow, ProductFacts};
use salesos_store::shipments::ShipmentFilter;
use serde::Deserialize;

pub fn money<T: std::borrow::Borrow<i64>>(fen: T) -> String {
    Money(*fen.borrow()).to_string()
}

pub struct OrderLine {
    pub id: i64,
    pub number: String,
    pub dealer: String,
    pub date: String,
    pub status_code: String,
    pub status: String,
    pub total: String,
}

fn order_line(tr: &Tr, o: &OrderRow) -> OrderLine {
    OrderLine {
        id: o.id,
        number: o.number.clone(),
        dealer: format!("{} {}", o.dealer_code, o.dealer_name),
        date: o.order_date.clone(),
        status_code: o.status.clone(),
        status: tr.tk("order_status", &o.status),
        total: money(o.total_fen),
    }
}

#[derive(Template)]
#[template(path = "orders_list.html")]
struct ListPage {
    l: Layout,
    orders: Vec<OrderLine>,
    statuses: Vec<(String, String, bool)>,
    q: String,
    from: String,
    to: String,
    /// A filter that could not be applied (a date that is not one): said next to the filters.
    error: Option<String>,
    export_query: String,
    pager: Pager,
    can_enter: bool,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    /// order dates, `YYYY-MM-DD`, inclusive
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: String,
    /// for exports: `xlsx` (default) or `csv`
    #[serde(default)]
    format: String,
}

impl ListQuery {
    /// The filter, or why it cannot be applied: a date filter that is not a date is refused
    /// (as the API refuses it), not dropped, which would list every order instead.
    fn filter(&self, limit: i64) -> Result<OrderFilter, AppError> {
        Ok(OrderFilter {
            status: Some(self.status.trim().to_string()).filter(|s| !s.is_empty()),
            text: Some(self.q.trim().to_string()).filter(|s| !s.is_empty()),
            from: dates::parse_optional_day(Some(&self.from), "from")?,
            to: dates::parse_optional_day(Some(&self.to), "to")?,
            limit,
            ..OrderFilter::default()
        })
    }
}

/// A filter as a query string, for the pager's and the export links.
fn query_of(f: &OrderFilter) -> String {
    let mut out = Vec::new();
    for (k, v) in [
        ("q", &f.text),
        ("status", &f.status),
        ("from", &f.from),
        ("to", &f.to),
    ] {
        if let Some(v) = v {
            out.push(format!("{k}={}", crate::session::urlencode(v)));
        }
    }
    out.join("&")
}

pub async fn list(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let (filter, mut refused) = match q.filter(0) {
        Ok(f) => (f, None),
        Err(e) => (OrderFilter::default(), Some(e)),
    };
    let mut pager = Pager::new("/orders", &q.page, query_of(&filter), PAGE_ROWS);
    let status = filter.status.clone();
    let rows = if refused.is_some() {
        Vec::new()
    } else {
        let page = OrderFilter {
            offset: pager.offset(),
            limit: pager.limit(),
            ..filter.clone()
        };
        match orders::list(&s.app, &pa.actor, &page).await {
            Ok(r) => pager.keep(r),
            Err(e @ AppError::Invalid(_)) => {
                refused = Some(e);
                Vec::new()
            }
            Err(e) => return fail(&pa, e),
        }
    };
    let tr = pa.tr();
    let statuses = salesos_domain::orders::Status::ALL
        .iter()
        .map(|st| {
            (
                st.code().to_string(),
                tr.tk("order_status", st.code()),
                status.as_deref() == Some(st.code()),
            )
        })
        .collect();
    let page = ListPage {
        orders: rows.iter().map(|o| order_line(&tr, o)).collect(),
        statuses,
        export_query: query_of(&filter),
        pager,
        // what the person typed, also when it was refused
        from: q.from.trim().to_string(),
        to: q.to.trim().to_string(),
        error: refused.as_ref().map(|e| message_of(e, &tr)),
        q: q.q,
        can_enter: pa.actor.can(Capability::EnterOrders),
        l: Layout::new(&pa, "orders.title", "/orders"),
    };
    match &refused {
        Some(e) => (status_of(e), render(&page)).into_response(),
        None => render(&page),
    }
}

#[derive(Template)]
#[template(path = "order_new.html")]
struct NewPage {
    l: Layout,
    dealers: Vec<DealerFacts>,
    products: Vec<ProductFacts>,
    rows: Vec<usize>,
    error: Option<String>,
}

async fn new_page(
    s: &AppState,
    pa: &PageActor,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let dealers = match orders::dealers_for_entry(&s.app, &pa.actor).await {
        Ok(d) => d,
        Err(e) => return fail(pa, e),
    };
    let products = orders::products_for_entry(&s.app, &pa.actor)
        .await
        .unwrap_or_default();
    let page = NewPage {
        l: Layout::new(pa, "orders.new", "/orders"),
        dealers,
        products,
        rows: (1..=5).collect(),
        error,
    };
    (status, render(&page)).into_response()
}

pub async fn new_form(State(s): State<AppState>, pa: PageActor) -> Response {
    new_page(&s, &pa, None, StatusCode::OK).await
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn bad_number(field: &'static str) -> AppError {
    AppError::invalid("request.invalid_field", field, "a number is expected")
}

/// The lines of an order form: `product_<i>`, `quantity_<i>`, `price_<i>` (fen) for i in
/// `1..=rows`; rows without a product are skipped, and so are rows without a quantity when
/// `empty_removes` (the edit form, where clearing the quantity removes a line).
fn parse_lines(
    pairs: &[(String, String)],
    rows: usize,
    empty_removes: bool,
) -> Result<Vec<LineInput>, AppError> {
    let mut lines = Vec::new();
    for i in 1..=rows {
        let Some(product) = field(pairs, &format!("product_{i}")) else {
            continue;
        };
        if empty_removes && field(pairs, &format!("quantity_{i}")).is_none() {
            continue;
        }
        let product_id = product
            .parse()
            .map_err(|_| bad_number("lines.product_id"))?;
        let quantity = field(pairs, &format!("quantity_{i}"))
            .unwrap_or("0")
            .parse()
            .map_err(|_| bad_number("lines.quantity"))?;
        let unit_price_fen = match field(pairs, &format!("price_{i}")) {
            None => None,
            Some(p) => Some(p.parse().map_err(|_| bad_number("lines.unit_price_fen"))?),
        };
        lines.push(LineInput {
            product_id,
            quantity,
            unit_price_fen,
        });
    }
    Ok(lines)
}

fn parse_order_form(pairs: &[(String, String)]) -> Result<NewOrderInput, AppError> {
    let dealer_id = field(pairs, "dealer_id")
        .ok_or_else(|| AppError::invalid("order.dealer_unknown", "dealer_id", "choose a dealer"))?
        .parse()
        .map_err(|_| bad_number("dealer_id"))?;
    let lines = parse_lines(pairs, 5, false)?;
    Ok(NewOrderInput {
        dealer_id,
        order_date: field(pairs, "order_date").map(str::to_string),
        source: None,
        note: field(pairs, "note").map(str::to_string),
        lines,
        draft: field(pairs, "draft").is_some(),
    })
}

pub async fn create(
    State(s): State<AppState>,
    pa: PageActor,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let pairs = form.map(|f| f.0).unwrap_or_default();
    let result = match parse_order_form(&pairs) {
        Ok(input) => orders::create(&s.app, &pa.actor, input, None, &|_| String::new()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(Created::New(d)) => Redirect::to(&format!("/orders/{}", d.order.id)).into_response(),
        Ok(Created::Replayed { .. }) => Redirect::to("/orders").into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let tr = pa.tr();
            new_page(&s, &pa, Some(message_of(&e, &tr)), status_of(&e)).await
        }
        Err(e) => fail(&pa, e),
    }
}

pub struct EventLine {
    pub when: String,
    pub who: String,
    pub action: String,
    pub to: String,
    pub note: String,
}

/// A row of the line-edit form: an existing line, or an empty one to add a product.
pub struct EditRow {
    pub index: usize,
    pub product_id: i64,
    pub quantity: String,
    /// The manual price (fen) when the line has one; empty means the dealer's list price.
    pub price: String,
}

/// A person who may take one of the order's owner roles.
pub struct OwnerChoice {
    pub id: i64,
    pub name: String,
    pub selected: bool,
}

pub struct OwnerRole {
    /// The form field, as `set_owners` names it.
    pub field: &'static str,
    pub label: String,
    pub current: String,
    pub choices: Vec<OwnerChoice>,
}

pub struct HoldLine {
    pub kind: String,
    pub status_code: String,
    pub status: String,
    pub exposure: String,
    pub limit: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "order_show.html")]
struct ShowPage {
    l: Layout,
    d: OrderDetail,
    status: String,
    total: String,
    events: Vec<EventLine>,
    holds: Vec<HoldLine>,
    can_enter: bool,
    can_credit: bool,
    can_ship: bool,
    /// The lines may still change (draft, on hold or confirmed, nothing shipping yet).
    editable: bool,
    edit_rows: Vec<EditRow>,
    products: Vec<ProductFacts>,
    owners: Vec<OwnerRole>,
    error: Option<FormError>,
}

impl ShowPage {
    fn field_error(&self, form: &str, field: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.at(form, field))
    }

    fn general_error(&self, form: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.general(form))
    }

    /// The line-edit form stays open when its change failed.
    fn lines_open(&self) -> bool {
        self.error.as_ref().is_some_and(|e| e.form == "lines")
    }
}

/// Rows shown by the line-edit form beyond the order's own lines.
const EXTRA_EDIT_ROWS: usize = 3;
const LINE_FIELDS: &[&str] = &["lines.quantity", "lines.product_id", "lines.unit_price_fen"];
const OWNER_FIELDS: &[&str] = &["desk_rep_id", "shipping_coordinator_id", "billing_rep_id"];

async fn show_page(
    s: &AppState,
    pa: &PageActor,
    id: i64,
    error: Option<FormError>,
    status: StatusCode,
) -> Response {
    let d = match orders::get(&s.app, &pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return fail(pa, e),
    };
    let tr = pa.tr();
    let tz = s.app.config.time_zone;
    let can_enter = pa.actor.can(Capability::EnterOrders);
    let events = d
        .events
        .iter()
        .map(|e| EventLine {
            when: format_time(e.at, tz),
            who: e.person_name.clone().unwrap_or_default(),
            action: tr.tk("order_action", &e.action),
            to: tr.tk("order_status", &e.to_status),
            note: e.note.clone().unwrap_or_default(),
        })
        .collect();
    let holds = d
        .holds
        .iter()
        .map(|h| HoldLine {
            kind: tr.tk("hold_kind", &h.kind),
            status_code: h.status.clone(),
            status: tr.tk("hold_status", &h.status),
            exposure: money(h.exposure_fen),
            limit: money(h.limit_fen),
            when: format_time(h.created_at, tz),
        })
        .collect();
    let shipping = d.order.status != "draft"
        && shipments::list(
            &s.app,
            &pa.actor,
            &ShipmentFilter {
                order_id: Some(id),
                limit: 200,
                ..Default::default()
            },
        )
        .await
        .map(|rows| rows.iter().any(|r| r.status != "cancelled"))
        .unwrap_or(false);
    let editable = can_enter
        && !shipping
        && salesos_domain::orders::Status::parse(&d.order.status)
            .is_some_and(salesos_domain::orders::Status::editable);
    let (edit_rows, products) = if editable {
        let mut rows: Vec<EditRow> = d
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| EditRow {
                index: i + 1,
                product_id: line.product_id,
                quantity: line.quantity.to_string(),
                price: if line.manual_price {
                    line.unit_price_fen.to_string()
                } else {
                    String::new()
                },
            })
            .collect();
        let start = rows.len();
        rows.extend((1..=EXTRA_EDIT_ROWS).map(|i| EditRow {
            index: start + i,
            product_id: 0,
            quantity: String::new(),
            price: String::new(),
        }));
        let products = orders::products_for_entry(&s.app, &pa.actor)
            .await
            .unwrap_or_default();
        (rows, products)
    } else {
        (Vec::new(), Vec::new())
    };
    let owners = if can_enter && !matches!(d.order.status.as_str(), "closed" | "cancelled") {
        match orders::owner_candidates(&s.app, &pa.actor, id).await {
            Ok(c) => owner_roles(&tr, &d, c),
            Err(e) => return fail(pa, e),
        }
    } else {
        Vec::new()
    };
    let page = ShowPage {
        status: tr.tk("order_status", &d.order.status),
        total: money(d.order.total_fen),
        events,
        holds,
        can_enter,
        can_credit: pa.actor.can(Capability::ViewCredit),
        can_ship: pa.actor.can(Capability::Ship),
        editable,
        edit_rows,
        products,
        owners,
        error,
        l: Layout::new(pa, "orders.title", "/orders"),
        d,
    };
    (status, render(&page)).into_response()
}

fn owner_roles(tr: &Tr, d: &OrderDetail, c: orders::OwnerCandidates) -> Vec<OwnerRole> {
    let current = [
        d.order.desk_rep_id,
        d.order.shipping_coordinator_id,
        d.order.billing_rep_id,
    ];
    [
        ("desk_rep_id", "orders.desk_rep", c.desk_reps),
        (
            "shipping_coordinator_id",
            "orders.shipping_coordinator",
            c.shipping_coordinators,
        ),
        ("billing_rep_id", "orders.billing_rep", c.billing_reps),
    ]
    .into_iter()
    .zip(current)
    .map(|((field, label, people), current)| OwnerRole {
        field,
        label: tr.t(label).to_string(),
        current: people
            .iter()
            .find(|p| Some(p.id) == current)
            .map(|p| p.display_name.clone())
            .or_else(|| current.map(|id| format!("#{id}")))
            .unwrap_or_default(),
        choices: people
            .iter()
            .map(|p| OwnerChoice {
                id: p.id,
                name: p.display_name.clone(),
                selected: Some(p.id) == current,
            })
            .collect(),
    })
    .collect()
}

pub async fn show(State(s): State<AppState>, pa: PageActor, PageId(id): PageId) -> Response {
    show_page(&s, &pa, id, None, StatusCode::OK).await
}

/// After a change from the order page: back to the order, or the page again with the error
/// next to its field.
async fn after_change<T>(
    s: &AppState,
    pa: &PageActor,
    id: i64,
    form: &'static str,
    fields: &[&str],
    result: Result<T, AppError>,
) -> Response {
    form_answer(
        pa,
        result,
        |_| format!("/orders/{id}"),
        form,
        fields,
        |error| {
            let status = error.status;
            show_page(s, pa, id, Some(error), status)
        },
    )
    .await
}

/// Replaces the order's lines from the edit form; a confirmed order is credit-checked again.
pub async fn update_lines(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let pairs = form.map(|f| f.0).unwrap_or_default();
    let rows = field(&pairs, "rows")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(5)
        .min(200);
    let result = match parse_lines(&pairs, rows, true) {
        Ok(lines) => orders::update_lines(&s.app, &pa.actor, id, lines).await,
        Err(e) => Err(e),
    };
    after_change(&s, &pa, id, "lines", LINE_FIELDS, result).await
}

/// Changes who looks after the order (an empty choice leaves a role as it is).
pub async fn set_owners(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let pairs = form.map(|f| f.0).unwrap_or_default();
    let pick = |name: &'static str| -> Result<Option<i64>, AppError> {
        field(&pairs, name)
            .map(|v| v.parse().map_err(|_| bad_number(name)))
            .transpose()
    };
    let result = match (
        pick("desk_rep_id"),
        pick("shipping_coordinator_id"),
        pick("billing_rep_id"),
    ) {
        (Ok(desk_rep_id), Ok(shipping_coordinator_id), Ok(billing_rep_id)) => {
            let input = orders::OwnersInput {
                desk_rep_id,
                shipping_coordinator_id,
                billing_rep_id,
            };
            orders::set_owners(&s.app, &pa.actor, id, input).await
        }
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Err(e),
    };
    after_change(&s, &pa, id, "owners", OWNER_FIELDS, result).await
}

async fn act(s: &AppState, pa: &PageActor, id: i64, what: &str) -> Response {
    let result = match what {
        "confirm" => orders::confirm(&s.app, &pa.actor, id).await,
        "cancel" => orders::cancel(&s.app, &pa.actor, id, None).await,
        _ => orders::reopen(&s.app, &pa.actor, id).await,
    };
    after_change(s, pa, id, "actions", &[], result).await
}

pub async fn confirm(State(s): State<AppState>, pa: PageActor, PageId(id): PageId) -> Response {
    act(&s, &pa, id, "confirm").await
}

pub async fn cancel(State(s): State<AppState>, pa: PageActor, PageId(id): PageId) -> Response {
    act(&s, &pa, id, "cancel").await
}

pub async fn reopen(State(s): State<AppState>, pa: PageActor, PageId(id): PageId) -> Response {
    act(&s, &pa, id, "reopen").await
}

#[derive(Template)]
#[template(path = "dealer_credit.html")]
struct CreditPage {
    l: Layout,
    c: credit::CreditView,
    error: Option<String>,
}

pub async fn dealer_credit(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
) -> Response {
    match credit::dealer_credit(&s.app, &pa.actor, id).await {
        Ok(c) => render(&CreditPage {
            l: Layout::new(&pa, "credit.title", "/dealers"),
            c,
            error: None,
        }),
        Err(e) => fail(&pa, e),
    }
}

#[derive(Deserialize, Default)]
pub struct TempCreditForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    valid_to: String,
    #[serde(default)]
    reason: String,
}

/// Asks for temporary credit from the credit panel (amount in yuan).
pub async fn request_temp_credit(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: Result<Form<TempCreditForm>, FormRejection>,
) -> Response {
    let f = form.map(|f| f.0).unwrap_or_default();
    let result = match Money::parse_yuan(&f.amount) {
        None => Err(AppError::invalid(
            "credit.amount_invalid",
            "amount_fen",
            "the amount must be positive",
        )),
        Some(amount) => {
            credit::request_temp_credit(
                &s.app,
                &pa.actor,
                id,
                credit::TempCreditInput {
                    amount_fen: amount.0,
                    valid_from: None,
                    valid_to: f.valid_to,
                    reason: Some(f.reason),
                },
            )
            .await
        }
    };
    match result {
        Ok(_) => Redirect::to(&format!("/dealers/{id}/credit")).into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let status = status_of(&e);
            let message = message_of(&e, &pa.tr());
            match credit::dealer_credit(&s.app, &pa.actor, id).await {
                Ok(c) => (
                    status,
                    render(&CreditPage {
                        l: Layout::new(&pa, "credit.title", "/dealers"),
                        c,
                        error: Some(message),
                    }),
                )
                    .into_response(),
                Err(e) => fail(&pa, e),
            }
        }
        Err(e) => fail(&pa, e),
    }
}

/// The order list, same filters and scope, as XLSX or CSV.
pub async fn export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    const BATCH: i64 = 1000;
    let q = q.map(|q| q.0).unwrap_or_default();
    let format = crate::export::ExportFormat::parse(q.format.trim())
        .unwrap_or(crate::export::ExportFormat::Xlsx);
    let filter = match q.filter(BATCH) {
        Ok(f) => f,
        Err(e) => return fail(&pa, e),
    };
    // every page of the list, not only the one on screen
    let rows = crate::export::all_rows(|limit, offset| {
        let mut page = filter.clone();
        page.limit = limit;
        page.offset = offset;
        let (s, pa) = (&s, &pa);
        async move { orders::list(&s.app, &pa.actor, &page).await }
    })
    .await;
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    use crate::export::{Cell, Sheet};
    let sheet = Sheet {
        title: tr.t("orders.title").to_string(),
        headers: [
            "orders.number",
            "orders.dealer",
            "orders.date",
            "orders.status",
            "orders.source",
            "orders.owner",
            "orders.total",
        ]
        .iter()
        .map(|k| tr.t(k).to_string())
        .collect(),
        rows: rows
            .into_iter()
            .map(|o| {
                vec![
                    Cell::from(o.number),
                    Cell::from(format!("{} {}", o.dealer_code, o.dealer_name)),
                    Cell::Date(o.order_date),
                    Cell::from(tr.tk("order_status", &o.status)),
                    Cell::from(o.source),
                    Cell::from(o.owner_name),
                    Cell::from(Money(o.total_fen)),
                ]
            })
            .collect(),
    };
    crate::export::download(&sheet, format, "orders")
}
