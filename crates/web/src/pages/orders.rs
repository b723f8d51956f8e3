//! Order pages: the list, the new-order form, one order with its history and actions, and a
//! dealer's credit panel.

use super::{fail, format_time, render, Layout};
use crate::i18n::Tr;
use crate::problem::{message_of, status_of};
use crate::session::PageActor;
use crate::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use salesos_app::orders::{self, Created, LineInput, NewOrderInput, OrderDetail};
use salesos_app::{credit, AppError};
use salesos_domain::roles::Capability;
use salesos_domain::Money;
use salesos_store::orders::{DealerFacts, OrderFilter, OrderRow, ProductFacts};
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
    can_enter: bool,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
}

pub async fn list(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let status = Some(q.status.trim().to_string()).filter(|s| !s.is_empty());
    let filter = OrderFilter {
        status: status.clone(),
        text: Some(q.q.clone()),
        limit: 200,
        ..OrderFilter::default()
    };
    let rows = match orders::list(&s.app, &pa.actor, &filter).await {
        Ok(r) => r,
        Err(e @ AppError::Invalid(_)) if pa.actor.can(Capability::ViewOrders) => {
            let _ = e;
            Vec::new()
        }
        Err(e) => return fail(&pa, e),
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
    render(&ListPage {
        orders: rows.iter().map(|o| order_line(&tr, o)).collect(),
        statuses,
        q: q.q,
        can_enter: pa.actor.can(Capability::EnterOrders),
        l: Layout::new(&pa, "orders.title", "/orders"),
    })
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

fn parse_order_form(pairs: &[(String, String)]) -> Result<NewOrderInput, AppError> {
    let dealer_id = field(pairs, "dealer_id")
        .ok_or_else(|| AppError::invalid("order.dealer_unknown", "dealer_id", "choose a dealer"))?
        .parse()
        .map_err(|_| bad_number("dealer_id"))?;
    let mut lines = Vec::new();
    for i in 1..=5 {
        let Some(product) = field(pairs, &format!("product_{i}")) else {
            continue;
        };
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

#[derive(Template)]
#[template(path = "order_show.html")]
struct ShowPage {
    l: Layout,
    d: OrderDetail,
    status: String,
    total: String,
    events: Vec<EventLine>,
    can_enter: bool,
    can_credit: bool,
    can_ship: bool,
}

pub async fn show(
    State(s): State<AppState>,
    pa: PageActor,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return fail(&pa, AppError::NotFound { entity: "order" });
    };
    let d = match orders::get(&s.app, &pa.actor, id).await {
        Ok(d) => d,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let tz = s.app.config.time_zone;
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
    let page = ShowPage {
        status: tr.tk("order_status", &d.order.status),
        total: money(d.order.total_fen),
        events,
        can_enter: pa.actor.can(Capability::EnterOrders),
        can_credit: pa.actor.can(Capability::ViewCredit),
        can_ship: pa.actor.can(Capability::Ship),
        l: Layout::new(&pa, "orders.title", "/orders"),
        d,
    };
    render(&page)
}

async fn act(
    s: &AppState,
    pa: &PageActor,
    id: Result<Path<i64>, PathRejection>,
    what: &str,
) -> Response {
    let Ok(Path(id)) = id else {
        return fail(pa, AppError::NotFound { entity: "order" });
    };
    let result = match what {
        "confirm" => orders::confirm(&s.app, &pa.actor, id).await,
        "cancel" => orders::cancel(&s.app, &pa.actor, id, None).await,
        _ => orders::reopen(&s.app, &pa.actor, id).await,
    };
    match result {
        Ok(_) => Redirect::to(&format!("/orders/{id}")).into_response(),
        Err(e) => fail(pa, e),
    }
}

pub async fn confirm(
    State(s): State<AppState>,
    pa: PageActor,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    act(&s, &pa, id, "confirm").await
}

pub async fn cancel(
    State(s): State<AppState>,
    pa: PageActor,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    act(&s, &pa, id, "cancel").await
}

pub async fn reopen(
    State(s): State<AppState>,
    pa: PageActor,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
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
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return fail(&pa, AppError::NotFound { entity: "dealer" });
    };
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
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<TempCreditForm>, FormRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return fail(&pa, AppError::NotFound { entity: "dealer" });
    };
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
