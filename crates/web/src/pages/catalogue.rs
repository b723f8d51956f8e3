//! The catalogue pages: products by line with the price lists, one price list with its dated
//! prices (admins add a new price there), a product with its edit form, new product lines, and
//! the quotas of scarce products per period.

use super::people::FormError;
use super::{fail, form_answer, render, Layout, PageId};
use crate::problem::message_of;
use crate::session::PageActor;
use crate::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use salesos_app::catalogue::{
    self, LineInput, NewProductInput, PriceInput, ProductInput, QuotaInput,
};
use salesos_app::AppError;
use salesos_domain::roles::Capability;
use salesos_domain::Money;
use salesos_store::catalogue::{ProductFilter, ProductLineRow, ProductRow};
use serde::Deserialize;
use std::collections::HashMap;

pub struct ProductLine {
    pub id: i64,
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
    can_manage: bool,
    /// What was typed into the new-line form (code, zh, en) when it failed.
    line_typed: [String; 3],
    error: Option<FormError>,
}

impl CataloguePage {
    fn field_error(&self, field: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.at("line", field))
    }

    fn general_error(&self) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.general("line"))
    }
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
    let q = q.map(|Query(q)| q).unwrap_or_default();
    catalogue_page(&s, &pa, q.q, None).await
}

/// The products the catalogue shows for the search, as XLSX or CSV.
pub async fn export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<CatalogueExportQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let tr = pa.tr();
    let text: String = q.q.trim().chars().take(100).collect();
    let filter = ProductFilter {
        text: Some(text).filter(|t| !t.is_empty()),
        ..ProductFilter::default()
    };
    let products = match catalogue::products(&s.app, &pa.actor, &filter).await {
        Ok(p) => p,
        Err(e) => return fail(&pa, e),
    };
    use crate::export::Cell;
    crate::export::list_download(
        &tr,
        "catalogue.title",
        &[
            "catalogue.code",
            "catalogue.name",
            "products.name_en",
            "products.line",
            "catalogue.unit",
            "catalogue.case_size",
            "catalogue.tax_rate",
            "catalogue.status",
        ],
        products
            .into_iter()
            .map(|p| {
                vec![
                    Cell::from(p.code),
                    Cell::from(p.name_zh),
                    Cell::from(p.name_en),
                    Cell::from(p.line_code),
                    Cell::from(p.unit),
                    Cell::Int(p.case_size),
                    Cell::Int(p.tax_rate_bp),
                    Cell::from(p.status),
                ]
            })
            .collect(),
        &q.format,
        "products",
    )
}

#[derive(serde::Deserialize, Default)]
pub struct CatalogueExportQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    format: String,
}

async fn catalogue_page(
    s: &AppState,
    pa: &PageActor,
    q: String,
    line_error: Option<(FormError, [String; 3])>,
) -> Response {
    let tr = pa.tr();
    let text: String = q.trim().chars().take(100).collect();
    let lines = match catalogue::lines(&s.app, &pa.actor).await {
        Ok(l) => l,
        Err(e) => return fail(pa, e),
    };
    let filter = ProductFilter {
        text: Some(text.clone()).filter(|t| !t.is_empty()),
        ..ProductFilter::default()
    };
    let products = match catalogue::products(&s.app, &pa.actor, &filter).await {
        Ok(p) => p,
        Err(e) => return fail(pa, e),
    };
    let lists = match catalogue::price_lists(&s.app, &pa.actor).await {
        Ok(l) => l,
        Err(e) => return fail(pa, e),
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
                    id: p.id,
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
    let (error, line_typed) = match line_error {
        Some((e, typed)) => (Some(e), typed),
        None => (None, Default::default()),
    };
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let page = CataloguePage {
        l: Layout::new(pa, "catalogue.title", "/catalogue"),
        can_manage: pa.actor.can(Capability::ManageCatalogue),
        line_typed,
        error,
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
    (status, render(&page)).into_response()
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

/// The price list's prices (what its page lists), as XLSX or CSV.
pub async fn price_list_export(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    q: Result<Query<crate::export::FormatQuery>, QueryRejection>,
) -> Response {
    let format = q.map(|Query(q)| q.format).unwrap_or_default();
    let v = match catalogue::price_list(&s.app, &pa.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&pa, e),
    };
    use crate::export::Cell;
    crate::export::list_download(
        &pa.tr(),
        "catalogue.price_lists",
        &[
            "catalogue.code",
            "catalogue.price",
            "common.from",
            "common.to",
        ],
        v.items
            .into_iter()
            .map(|i| {
                vec![
                    Cell::from(i.product_code),
                    Cell::Money(Money(i.price_fen)),
                    Cell::Date(i.valid_from),
                    i.valid_to.map_or(Cell::Empty, Cell::Date),
                ]
            })
            .collect(),
        &format,
        &format!("price-list-{id}"),
    )
}

/// The product lines (code and names), as XLSX or CSV.
pub async fn lines_export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<crate::export::FormatQuery>, QueryRejection>,
) -> Response {
    let format = q.map(|Query(q)| q.format).unwrap_or_default();
    let rows = match catalogue::lines(&s.app, &pa.actor).await {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    use crate::export::Cell;
    crate::export::list_download(
        &pa.tr(),
        "products.lines",
        &["catalogue.code", "products.name_zh", "products.name_en"],
        rows.into_iter()
            .map(|l| {
                vec![
                    Cell::from(l.code),
                    Cell::from(l.name_zh),
                    Cell::from(l.name_en),
                ]
            })
            .collect(),
        &format,
        "product-lines",
    )
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

// ---------------------------------------------------------------------------------------------
// Products: a new one, one product with its edit form; product lines; quotas.

const PRODUCT_FIELDS: &[&str] = &[
    "code",
    "name_zh",
    "name_en",
    "line_id",
    "unit",
    "case_size",
    "tax_rate_bp",
    "status",
];
const LINE_FIELDS: &[&str] = &["code", "name_zh", "name_en"];
const QUOTA_FIELDS: &[&str] = &["product_id", "node_id", "dealer_id", "period", "quantity"];

/// What the product form shows: the stored values, or what was typed when saving failed.
#[derive(Default)]
pub struct ProductValues {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub line_id: i64,
    pub unit: String,
    pub case_size: String,
    /// in percent, e.g. `13`
    pub tax_percent: String,
    pub status: String,
}

impl ProductValues {
    fn of(p: &ProductRow) -> ProductValues {
        ProductValues {
            code: p.code.clone(),
            name_zh: p.name_zh.clone(),
            name_en: p.name_en.clone(),
            line_id: p.line_id,
            unit: p.unit.clone(),
            case_size: p.case_size.to_string(),
            tax_percent: percent_of(p.tax_rate_bp),
            status: p.status.clone(),
        }
    }

    fn from_form(f: &HashMap<String, String>) -> ProductValues {
        let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
        ProductValues {
            code: get("code"),
            name_zh: get("name_zh"),
            name_en: get("name_en"),
            line_id: get("line_id").parse().unwrap_or(0),
            unit: get("unit"),
            case_size: get("case_size"),
            tax_percent: get("tax_percent"),
            status: get("status"),
        }
    }

    /// The typed values as the operation's input; numbers that do not parse are refused with
    /// the field they came from.
    fn input(&self) -> Result<ProductInput, AppError> {
        let case_size = self.case_size.parse::<i64>().map_err(|_| {
            AppError::invalid(
                "product.case_size_invalid",
                "case_size",
                "a case holds 1 to 10,000 units",
            )
        })?;
        let tax_rate_bp = basis_points(&self.tax_percent).ok_or_else(|| {
            AppError::invalid(
                "product.tax_rate_invalid",
                "tax_rate_bp",
                "the tax rate is 0 to 100 percent",
            )
        })?;
        Ok(ProductInput {
            name_zh: self.name_zh.clone(),
            name_en: self.name_en.clone(),
            line_id: self.line_id,
            unit: self.unit.clone(),
            case_size,
            tax_rate_bp,
            status: Some(self.status.clone()).filter(|s| !s.is_empty()),
        })
    }
}

fn percent_of(bp: i64) -> String {
    if bp % 100 == 0 {
        (bp / 100).to_string()
    } else {
        format!("{}.{:02}", bp / 100, bp % 100)
    }
}

/// `13` or `9.5` percent as basis points (1300, 950); at most two decimals.
fn basis_points(text: &str) -> Option<i64> {
    let text = text.trim().trim_end_matches('%').trim();
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || frac.len() > 2 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac)
}

#[derive(Template)]
#[template(path = "product_show.html")]
struct ProductPage {
    l: Layout,
    /// `None` for the new-product form.
    id: Option<i64>,
    v: ProductValues,
    line_name: String,
    lines: Vec<ProductLineRow>,
    statuses: Vec<(String, String)>,
    can_manage: bool,
    error: Option<FormError>,
}

impl ProductPage {
    fn field_error(&self, field: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.at("product", field))
    }

    fn general_error(&self) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.general("product"))
    }
}

async fn product_page(
    s: &AppState,
    pa: &PageActor,
    id: Option<i64>,
    typed: Option<ProductValues>,
    error: Option<FormError>,
) -> Response {
    let tr = pa.tr();
    let lines = match catalogue::lines(&s.app, &pa.actor).await {
        Ok(l) => l,
        Err(e) => return fail(pa, e),
    };
    let stored = match id {
        Some(id) => match catalogue::product(&s.app, &pa.actor, id).await {
            Ok(p) => Some(ProductValues::of(&p)),
            Err(e) => return fail(pa, e),
        },
        None => None,
    };
    let v = typed.or(stored).unwrap_or_else(|| ProductValues {
        case_size: "1".into(),
        tax_percent: "13".into(),
        status: "active".into(),
        ..ProductValues::default()
    });
    let line_name = lines
        .iter()
        .find(|l| l.id == v.line_id)
        .map(|l| format!("{} {}", l.code, tr.name(&l.name_zh, &l.name_en)))
        .unwrap_or_default();
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let page = ProductPage {
        l: Layout::new(pa, "products.title", "/catalogue"),
        id,
        v,
        line_name,
        lines,
        statuses: ["active", "inactive"]
            .iter()
            .map(|c| (c.to_string(), tr.tk("product_status", c)))
            .collect(),
        can_manage: pa.actor.can(Capability::ManageCatalogue),
        error,
    };
    (status, render(&page)).into_response()
}

pub async fn new_product(State(s): State<AppState>, pa: PageActor) -> Response {
    if let Err(e) = pa.actor.require(Capability::ManageCatalogue) {
        return fail(&pa, e);
    }
    product_page(&s, &pa, None, None, None).await
}

pub async fn product(State(s): State<AppState>, pa: PageActor, PageId(id): PageId) -> Response {
    product_page(&s, &pa, Some(id), None, None).await
}

async fn product_failed(
    s: &AppState,
    pa: &PageActor,
    id: Option<i64>,
    typed: ProductValues,
    e: AppError,
) -> Response {
    match FormError::of("product", PRODUCT_FIELDS, &e, &pa.tr()) {
        Some(error) => product_page(s, pa, id, Some(typed), Some(error)).await,
        None => fail(pa, e),
    }
}

pub async fn create_product(
    State(s): State<AppState>,
    pa: PageActor,
    f: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let typed = ProductValues::from_form(&f);
    let result = match typed.input() {
        Ok(i) => {
            let input = NewProductInput {
                code: typed.code.clone(),
                name_zh: i.name_zh,
                name_en: i.name_en,
                line_id: i.line_id,
                unit: i.unit,
                case_size: i.case_size,
                tax_rate_bp: i.tax_rate_bp,
                status: i.status,
            };
            catalogue::create_product(&s.app, &pa.actor, input).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => Redirect::to(&format!("/products/{}", p.id)).into_response(),
        Err(e) => product_failed(&s, &pa, None, typed, e).await,
    }
}

pub async fn update_product(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    f: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let mut typed = ProductValues::from_form(&f);
    let result = match typed.input() {
        Ok(input) => catalogue::update_product(&s.app, &pa.actor, id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/products/{id}")).into_response(),
        Err(e) => {
            // the code is not editable: show the stored one
            if let Ok(p) = catalogue::product(&s.app, &pa.actor, id).await {
                typed.code = p.code;
            }
            product_failed(&s, &pa, Some(id), typed, e).await
        }
    }
}

/// Adds a product line from the catalogue page.
pub async fn create_line(
    State(s): State<AppState>,
    pa: PageActor,
    f: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let input = LineInput {
        code: get("code"),
        name_zh: get("name_zh"),
        name_en: get("name_en"),
    };
    form_answer(
        &pa,
        catalogue::create_line(&s.app, &pa.actor, input).await,
        |_| "/catalogue".to_string(),
        "line",
        LINE_FIELDS,
        |error| {
            let typed = [get("code"), get("name_zh"), get("name_en")];
            catalogue_page(&s, &pa, String::new(), Some((error, typed)))
        },
    )
    .await
}

pub struct QuotaLine {
    pub product: String,
    pub target: String,
    pub period: String,
    pub quantity: i64,
    pub consumed: i64,
    pub left: i64,
}

#[derive(Deserialize, Default)]
pub struct QuotaQuery {
    #[serde(default)]
    period: String,
}

#[derive(Template)]
#[template(path = "quota_list.html")]
struct QuotaPage {
    l: Layout,
    period: String,
    rows: Vec<QuotaLine>,
    products: Vec<ProductRow>,
    /// (id, code · name) of the units a quota may be set for
    units: Vec<(i64, String)>,
    typed: HashMap<String, String>,
    can_manage: bool,
    error: Option<FormError>,
}

impl QuotaPage {
    fn field_error(&self, field: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.at("quota", field))
    }

    fn general_error(&self) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.general("quota"))
    }

    fn typed(&self, field: &str) -> &str {
        self.typed.get(field).map_or("", String::as_str)
    }

    fn chosen(&self, field: &str, id: &i64) -> bool {
        self.typed(field) == id.to_string()
    }
}

async fn quota_page(
    s: &AppState,
    pa: &PageActor,
    period: String,
    typed: HashMap<String, String>,
    error: Option<FormError>,
) -> Response {
    let tr = pa.tr();
    let chosen = Some(period.trim()).filter(|p| !p.is_empty());
    let rows = match catalogue::quotas(&s.app, &pa.actor, chosen).await {
        Ok(r) => r,
        Err(e) => match FormError::of("filter", &["period"], &e, &tr) {
            Some(_) => Vec::new(),
            None => return fail(pa, e),
        },
    };
    let can_manage = pa.actor.can(Capability::ManageCatalogue);
    let (products, units) = if can_manage {
        let products = catalogue::products(&s.app, &pa.actor, &ProductFilter::default())
            .await
            .unwrap_or_default();
        // units are offered only to people who may see the organisation
        let units = salesos_app::org::tree(&s.app, &pa.actor)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|n| n.active)
            .map(|n| {
                (
                    n.id,
                    format!("{} · {}", n.code, tr.name(&n.name_zh, &n.name_en)),
                )
            })
            .collect();
        (products, units)
    } else {
        (Vec::new(), Vec::new())
    };
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let page = QuotaPage {
        l: Layout::new(pa, "quotas.title", "/catalogue"),
        rows: rows
            .iter()
            .map(|q| QuotaLine {
                product: q.product_code.clone(),
                target: match (q.node_id, q.dealer_id) {
                    (_, Some(d)) => format!("{} #{d}", tr.t("quotas.dealer")),
                    (Some(n), None) => units_name(&units, n),
                    (None, None) => String::new(),
                },
                period: q.period.clone(),
                quantity: q.quantity,
                consumed: q.consumed,
                left: q.quantity - q.consumed,
            })
            .collect(),
        period: chosen.unwrap_or_default().to_string(),
        products,
        units,
        typed,
        can_manage,
        error,
    };
    (status, render(&page)).into_response()
}

fn units_name(units: &[(i64, String)], id: i64) -> String {
    units
        .iter()
        .find(|(u, _)| *u == id)
        .map_or_else(|| format!("#{id}"), |(_, name)| name.clone())
}

pub async fn quotas(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<QuotaQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    quota_page(&s, &pa, q.period, HashMap::new(), None).await
}

/// The quotas of the list's month, as XLSX or CSV.
pub async fn quotas_export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<QuotaExportQuery>, QueryRejection>,
) -> Response {
    let tr = pa.tr();
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let chosen = Some(q.list.period.trim()).filter(|p| !p.is_empty());
    let rows = match catalogue::quotas(&s.app, &pa.actor, chosen).await {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    // units by name where the person may see the organisation, as on the page
    let units: Vec<(i64, String)> = salesos_app::org::tree(&s.app, &pa.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|n| {
            (
                n.id,
                format!("{} · {}", n.code, tr.name(&n.name_zh, &n.name_en)),
            )
        })
        .collect();
    use crate::export::Cell;
    crate::export::list_download(
        &tr,
        "quotas.title",
        &[
            "catalogue.code",
            "quotas.for",
            "quotas.period",
            "quotas.quantity",
            "quotas.consumed",
            "quotas.left",
        ],
        rows.into_iter()
            .map(|r| {
                let target = match (r.node_id, r.dealer_id) {
                    (_, Some(d)) => format!("{} #{d}", tr.t("quotas.dealer")),
                    (Some(n), None) => units_name(&units, n),
                    (None, None) => String::new(),
                };
                vec![
                    Cell::from(r.product_code),
                    Cell::from(target),
                    Cell::from(r.period),
                    Cell::Int(r.quantity),
                    Cell::Int(r.consumed),
                    Cell::Int(r.quantity - r.consumed),
                ]
            })
            .collect(),
        &q.format,
        "quotas",
    )
}

#[derive(Deserialize, Default)]
pub struct QuotaExportQuery {
    #[serde(flatten)]
    list: QuotaQuery,
    #[serde(default)]
    format: String,
}

pub async fn create_quota(
    State(s): State<AppState>,
    pa: PageActor,
    f: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let id_of = |k: &str| -> Result<Option<i64>, AppError> {
        let v = get(k);
        if v.is_empty() {
            return Ok(None);
        }
        v.parse().map(Some).map_err(|_| {
            AppError::invalid("request.invalid_field", "quantity", "a number is expected")
        })
    };
    let parsed = (|| -> Result<QuotaInput, AppError> {
        let product_id = id_of("product_id")?.ok_or_else(|| {
            AppError::invalid("price.product_unknown", "product_id", "no such product")
        })?;
        let quantity = get("quantity").parse().map_err(|_| {
            AppError::invalid(
                "quota.quantity_invalid",
                "quantity",
                "a quota is at least 1",
            )
        })?;
        Ok(QuotaInput {
            product_id,
            node_id: id_of("node_id")?,
            dealer_id: id_of("dealer_id")?,
            period: get("period"),
            quantity,
        })
    })();
    let result = match parsed {
        Ok(input) => catalogue::create_quota(&s.app, &pa.actor, input).await,
        Err(e) => Err(e),
    };
    form_answer(
        &pa,
        result,
        |q| format!("/quotas?period={}", q.period),
        "quota",
        QUOTA_FIELDS,
        |error| quota_page(&s, &pa, get("period"), f.clone(), Some(error)),
    )
    .await
}
