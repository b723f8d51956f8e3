//! The catalogue pages: products by line with the price lists, and one price list with its
//! dated prices (admins add a new price there).

use super::{fail, render, Layout};
use crate::problem::message_of;
use crate::session::PageActor;
use crate::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use salesos_app::catalogue::{self, PriceInput};
use salesos_app::AppError;
use salesos_domain::roles::Capability;
use salesos_domain::Money;
use salesos_store::catalogue::ProductFilter;
use std::collections::HashMap;

pub struct ProductLine {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub case_size: i64,
    pub tax: String,
    pub status: String,
}

pub struct Group {
    pub code: String,
    pub name: String,
    pub products: Vec<ProductLine>,
}

pub struct ListLine {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
}

#[derive(Template)]
#[template(path = "catalogue.html")]
struct CataloguePage {
    l: Layout,
    q: String,
    groups: Vec<Group>,
    lists: Vec<ListLine>,
}

#[derive(serde::Deserialize, Default)]
pub struct CatalogueQuery {
    #[serde(default)]
    q: String,
}

pub async fn show(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<CatalogueQuery>, QueryRejection>,
) -> Response {
    let tr = pa.tr();
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let text: String = q.q.trim().chars().take(100).collect();
    let lines = match catalogue::lines(&s.app, &pa.actor).await {
        Ok(l) => l,
        Err(e) => return fail(&pa, e),
    };
    let filter = ProductFilter {
        text: Some(text.clone()).filter(|t| !t.is_empty()),
        ..ProductFilter::default()
    };
    let products = match catalogue::products(&s.app, &pa.actor, &filter).await {
        Ok(p) => p,
        Err(e) => return fail(&pa, e),
    };
    let lists = match catalogue::price_lists(&s.app, &pa.actor).await {
        Ok(l) => l,
        Err(e) => return fail(&pa, e),
    };
    let groups = lines
        .iter()
        .map(|l| Group {
            code: l.code.clone(),
            name: tr.name(&l.name_zh, &l.name_en).to_string(),
            products: products
                .iter()
                .filter(|p| p.line_id == l.id)
                .map(|p| ProductLine {
                    code: p.code.clone(),
                    name: tr.name(&p.name_zh, &p.name_en).to_string(),
                    unit: p.unit.clone(),
                    case_size: p.case_size,
                    tax: format!("{}%", p.tax_rate_bp as f64 / 100.0),
                    status: tr.tk("product_status", &p.status),
                })
                .collect(),
        })
        .filter(|g| !g.products.is_empty())
        .collect();
    let page = CataloguePage {
        l: Layout::new(&pa, "catalogue.title", "/catalogue"),
        q: text,
        groups,
        lists: lists
            .into_iter()
            .map(|l| ListLine {
                id: l.id,
                code: l.code,
                name: l.name,
                kind: tr.tk("price_list_kind", &l.kind),
            })
            .collect(),
    };
    render(&page)
}

pub struct ItemLine {
    pub product: String,
    pub price: String,
    pub from: String,
    pub to: String,
}

#[derive(Template)]
#[template(path = "price_list.html")]
struct PriceListPage {
    l: Layout,
    id: i64,
    code: String,
    name: String,
    kind: String,
    items: Vec<ItemLine>,
    can_manage: bool,
    error: Option<String>,
}

async fn price_list_page(
    s: &AppState,
    pa: &PageActor,
    id: i64,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let tr = pa.tr();
    let v = match catalogue::price_list(&s.app, &pa.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(pa, e),
    };
    let page = PriceListPage {
        l: Layout::new(pa, "catalogue.title", "/catalogue"),
        id,
        code: v.list.code.clone(),
        name: v.list.name.clone(),
        kind: tr.tk("price_list_kind", &v.list.kind),
        items: v
            .items
            .iter()
            .map(|i| ItemLine {
                product: i.product_code.clone(),
                price: format!("¥{}", Money(i.price_fen)),
                from: i.valid_from.clone(),
                to: i.valid_to.clone().unwrap_or_default(),
            })
            .collect(),
        can_manage: pa.actor.can(Capability::ManageCatalogue),
        error,
    };
    (status, render(&page)).into_response()
}

pub async fn price_list(State(s): State<AppState>, pa: PageActor, Path(id): Path<i64>) -> Response {
    price_list_page(&s, &pa, id, None, StatusCode::OK).await
}

pub async fn add_price(
    State(s): State<AppState>,
    pa: PageActor,
    Path(id): Path<i64>,
    f: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let price_fen = get("price_yuan")
        .parse::<f64>()
        .ok()
        .map(|y| (y * 100.0).round() as i64)
        .unwrap_or(-1);
    let input = PriceInput {
        product_id: get("product_id").parse().unwrap_or(0),
        price_fen,
        valid_from: get("valid_from"),
    };
    match catalogue::add_price(&s.app, &pa.actor, id, input).await {
        Ok(_) => Redirect::to(&format!("/price-lists/{id}")).into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let msg = message_of(&e, &pa.tr());
            price_list_page(&s, &pa, id, Some(msg), crate::problem::status_of(&e)).await
        }
        Err(e) => fail(&pa, e),
    }
}
