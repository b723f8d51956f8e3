//! The catalogue: product lines, products, price lists and dated prices, quotas.
//! Everyone signed in reads it ([`Capability::ViewCatalogue`]); admins maintain it.

use crate::audit::{record, snapshot};
use crate::{Actor, App, AppError};
use salesos_domain::roles::Capability;
use salesos_domain::FieldError;
use salesos_store::catalogue::{
    self, PriceClash, PriceItemRow, PriceListRow, PriceOn, ProductFields, ProductFilter,
    ProductLineRow, ProductRow, QuotaRow, Reserve,
};
use salesos_store::{dealers, org, Conn};
use serde::{Deserialize, Serialize};

fn bad(code: &'static str, field: &'static str, message: &str) -> AppError {
    AppError::Invalid(FieldError::new(code, field, message))
}

pub(crate) fn check_code(code: &str) -> Result<String, AppError> {
    let c = code.trim();
    if c.is_empty()
        || c.len() > 32
        || !c
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(bad(
            "catalogue.code_invalid",
            "code",
            "a code has 1 to 32 letters, digits, '-' or '_'",
        ));
    }
    Ok(c.to_string())
}

pub(crate) fn check_label(text: &str, field: &'static str) -> Result<String, AppError> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > 200 || t.chars().any(char::is_control) {
        return Err(bad(
            "catalogue.name_invalid",
            field,
            "a name has 1 to 200 characters",
        ));
    }
    Ok(t.to_string())
}

fn check_date(text: &str, field: &'static str) -> Result<String, AppError> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map(|d| d.to_string())
        .map_err(|_| bad("date.invalid", field, "a date looks like 2025-03-31"))
}

fn check_period(text: &str) -> Result<String, AppError> {
    let t = text.trim();
    let ok =
        t.len() == 7 && chrono::NaiveDate::parse_from_str(&format!("{t}-01"), "%Y-%m-%d").is_ok();
    if ok {
        Ok(t.to_string())
    } else {
        Err(bad(
            "quota.period_invalid",
            "period",
            "a period looks like 2025-07",
        ))
    }
}

pub async fn lines(app: &App, actor: &Actor) -> Result<Vec<ProductLineRow>, AppError> {
    actor.require(Capability::ViewCatalogue)?;
    let mut conn = app.store.read().await?;
    Ok(catalogue::lines(&mut conn).await?)
}

#[derive(Debug, Clone, Deserialize)]
pub struct LineInput {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

pub async fn create_line(
    app: &App,
    actor: &Actor,
    input: LineInput,
) -> Result<ProductLineRow, AppError> {
    actor.require(Capability::ManageCatalogue)?;
    let code = check_code(&input.code)?;
    let zh = check_label(&input.name_zh, "name_zh")?;
    let en = check_label(&input.name_en, "name_en")?;
    let mut tx = app.store.begin().await?;
    let conn = tx.conn();
    let id = catalogue::insert_line(conn, &code, &zh, &en).await?;
    let row = ProductLineRow {
        id,
        code,
        name_zh: zh,
        name_en: en,
    };
    record(
        conn,
        actor,
        "product_line.create",
        "product_line",
        id,
        None,
        None,
        snapshot(&row),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn products(
    app: &App,
    actor: &Actor,
    filter: &ProductFilter,
) -> Result<Vec<ProductRow>, AppError> {
    actor.require(Capability::ViewCatalogue)?;
    let mut conn = app.store.read().await?;
    Ok(catalogue::products(&mut conn, filter).await?)
}

pub async fn product(app: &App, actor: &Actor, id: i64) -> Result<ProductRow, AppError> {
    actor.require(Capability::ViewCatalogue)?;
    let mut conn = app.store.read().await?;
    catalogue::get_product(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound { entity: "product" })
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProductInput {
    pub name_zh: String,
    pub name_en: String,
    pub line_id: i64,
    pub unit: String,
    pub case_size: i64,
    /// Basis points: 1300 = 13%.
    pub tax_rate_bp: i64,
    /// `active` (default) or `inactive`
    pub status: Option<String>,
}

pub(crate) async fn check_product(
    conn: &mut Conn,
    input: &ProductInput,
) -> Result<ProductFields, AppError> {
    let name_zh = check_label(&input.name_zh, "name_zh")?;
    let name_en = check_label(&input.name_en, "name_en")?;
    let unit = input.unit.trim();
    if unit.is_empty() || unit.chars().count() > 16 {
        return Err(bad(
            "product.unit_invalid",
            "unit",
            "a unit has 1 to 16 characters",
        ));
    }
    if !(1..=10_000).contains(&input.case_size) {
        return Err(bad(
            "product.case_size_invalid",
            "case_size",
            "a case holds 1 to 10,000 units",
        ));
    }
    if !(0..=10_000).contains(&input.tax_rate_bp) {
        return Err(bad(
            "product.tax_rate_invalid",
            "tax_rate_bp",
            "the tax rate is 0 to 10,000 basis points",
        ));
    }
    let status = input
        .status
        .as_deref()
        .unwrap_or("active")
        .trim()
        .to_string();
    if status != "active" && status != "inactive" {
        return Err(bad(
            "product.status_unknown",
            "status",
            "the status is active or inactive",
        ));
    }
    if !catalogue::lines(conn)
        .await?
        .iter()
        .any(|l| l.id == input.line_id)
    {
        return Err(bad(
            "product.line_unknown",
            "line_id",
            "no such product line",
        ));
    }
    Ok(ProductFields {
        name_zh,
        name_en,
        line_id: input.line_id,
        unit: unit.to_string(),
        case_size: input.case_size,
        tax_rate_bp: input.tax_rate_bp,
        status,
    })
}

/// A new product: the code and the same fields as [`ProductInput`] (not flattened, so a
/// malformed field is named in the error).
#[derive(Debug, Clone, Deserialize)]
pub struct NewProductInput {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub line_id: i64,
    pub unit: String,
    pub case_size: i64,
    pub tax_rate_bp: i64,
    pub status: Option<String>,
}

impl NewProductInput {
    fn fields(&self) -> ProductInput {
        ProductInput {
            name_zh: self.name_zh.clone(),
            name_en: self.name_en.clone(),
            line_id: self.line_id,
            unit: self.unit.clone(),
            case_size: self.case_size,
            tax_rate_bp: self.tax_rate_bp,
            status: self.status.clone(),
        }
    }
}

pub async fn create_product(
    app: &App,
    actor: &Actor,
    input: NewProductInput,
) -> Result<ProductRow, AppError> {
    actor.require(Capability::ManageCatalogue)?;
    let code = check_code(&input.code)?;
    let mut tx = app.store.begin().await?;
    let conn = tx.conn();
    let fields = check_product(conn, &input.fields()).await?;
    let id = catalogue::insert_product(conn, &code, &fields).await?;
    let row = catalogue::get_product(conn, id)
        .await?
        .ok_or_else(|| AppError::Internal("product vanished".into()))?;
    record(
        conn,
        actor,
        "product.create",
        "product",
        id,
        None,
        None,
        snapshot(&row),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn update_product(
    app: &App,
    actor: &Actor,
    id: i64,
    input: ProductInput,
) -> Result<ProductRow, AppError> {
    actor.require(Capability::ManageCatalogue)?;
    let mut tx = app.store.begin().await?;
    let conn = tx.conn();
    let before = catalogue::get_product(conn, id)
        .await?
        .ok_or(AppError::NotFound { entity: "product" })?;
    let fields = check_product(conn, &input).await?;
    catalogue::update_product(conn, id, &fields).await?;
    let after = catalogue::get_product(conn, id)
        .await?
        .ok_or_else(|| AppError::Internal("product vanished".into()))?;
    record(
        conn,
        actor,
        "product.update",
        "product",
        id,
        None,
        snapshot(&before),
        snapshot(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn price_lists(app: &App, actor: &Actor) -> Result<Vec<PriceListRow>, AppError> {
    actor.require(Capability::ViewCatalogue)?;
    let mut conn = app.store.read().await?;
    Ok(catalogue::price_lists(&mut conn).await?)
}

#[derive(Debug, Clone, Serialize)]
pub struct PriceListView {
    pub list: PriceListRow,
    pub items: Vec<PriceItemRow>,
}

pub async fn price_list(app: &App, actor: &Actor, id: i64) -> Result<PriceListView, AppError> {
    actor.require(Capability::ViewCatalogue)?;
    let mut conn = app.store.read().await?;
    let list = catalogue::get_price_list(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound {
            entity: "price_list",
        })?;
    let items = catalogue::price_items(&mut conn, id).await?;
    Ok(PriceListView { list, items })
}

#[derive(Debug, Clone, Deserialize)]
pub struct PriceListInput {
    pub code: String,
    pub name: String,
    /// `tier` or `dealer`
    pub kind: String,
    /// A, B or C for a tier list.
    pub tier: Option<String>,
}

pub async fn create_price_list(
    app: &App,
    actor: &Actor,
    input: PriceListInput,
) -> Result<PriceListRow, AppError> {
    actor.require(Capability::ManageCatalogue)?;
    let code = check_code(&input.code)?;
    let name = check_label(&input.name, "name")?;
    let tier = match input.kind.trim() {
        "tier" => Some(salesos_domain::dealers::check_tier(
            input.tier.as_deref().unwrap_or(""),
        )?),
        "dealer" => None,
        _ => {
            return Err(bad(
                "price_list.kind_unknown",
                "kind",
                "the kind is tier or dealer",
            ))
        }
    };
    let mut tx = app.store.begin().await?;
    let conn = tx.conn();
    let id = catalogue::insert_price_list(conn, &code, &name, input.kind.trim(), tier.as_deref())
        .await?;
    let row = catalogue::get_price_list(conn, id)
        .await?
        .ok_or_else(|| AppError::Internal("price list vanished".into()))?;
    record(
        conn,
        actor,
        "price_list.create",
        "price_list",
        id,
        None,
        None,
        snapshot(&row),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

#[derive(Debug, Clone, Deserialize)]
pub struct PriceInput {
    pub product_id: i64,
    pub price_fen: i64,
    /// `YYYY-MM-DD`: the new price applies from this day; the open price ends the day before.
    pub valid_from: String,
}

pub async fn add_price(
    app: &App,
    actor: &Actor,
    list_id: i64,
    input: PriceInput,
) -> Result<PriceItemRow, AppError> {
    actor.require(Capability::ManageCatalogue)?;
    if !(0..=100_000_000_000).contains(&input.price_fen) {
        return Err(bad(
            "price.amount_invalid",
            "price_fen",
            "a price is between 0 and ¥1,000,000,000",
        ));
    }
    let from = check_date(&input.valid_from, "valid_from")?;
    let mut tx = app.store.begin().await?;
    let conn = tx.conn();
    let before = catalogue::get_price_list(conn, list_id)
        .await?
        .ok_or(AppError::NotFound {
            entity: "price_list",
        })?;
    if catalogue::get_product(conn, input.product_id)
        .await?
        .is_none()
    {
        return Err(bad(
            "price.product_unknown",
            "product_id",
            "no such product",
        ));
    }
    let old_items = catalogue::price_items(conn, list_id).await?;
    let id = match catalogue::add_price(conn, list_id, input.product_id, input.price_fen, &from)
        .await?
    {
        Ok(id) => id,
        Err(PriceClash::StartsOnOrAfter { valid_from }) => {
            return Err(AppError::Conflict(FieldError::new(
                "price.overlap",
                "valid_from",
                format!("a price from {valid_from} exists; a new price must start after it"),
            )))
        }
    };
    let items = catalogue::price_items(conn, list_id).await?;
    let row = items
        .iter()
        .find(|i| i.id == id)
        .cloned()
        .ok_or_else(|| AppError::Internal("price vanished".into()))?;
    let closed: Vec<&PriceItemRow> = old_items
        .iter()
        .filter(|i| i.product_id == input.product_id && i.valid_to.is_none())
        .collect();
    record(
        conn,
        actor,
        "price_list.add_price",
        "price_list",
        before.id,
        None,
        Some(serde_json::json!({ "open_prices": closed })),
        snapshot(&row),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// The price of a product for a dealer (in scope) on a date: own list, then tier list.
pub async fn price_on(
    app: &App,
    actor: &Actor,
    dealer_id: i64,
    product_id: i64,
    date: &str,
) -> Result<PriceOn, AppError> {
    actor.require(Capability::ViewDealers)?;
    let date = check_date(date, "date")?;
    let mut conn = app.store.read().await?;
    dealers::get(&mut conn, &actor.scope, dealer_id)
        .await?
        .ok_or(AppError::NotFound { entity: "dealer" })?;
    catalogue::price_on(&mut conn, dealer_id, product_id, &date)
        .await?
        .ok_or(AppError::NotFound { entity: "price" })
}

pub async fn quotas(
    app: &App,
    actor: &Actor,
    period: Option<&str>,
) -> Result<Vec<QuotaRow>, AppError> {
    actor.require(Capability::ViewCatalogue)?;
    let period = period.map(check_period).transpose()?;
    let mut conn = app.store.read().await?;
    Ok(catalogue::quotas(&mut conn, period.as_deref()).await?)
}

#[derive(Debug, Clone, Deserialize)]
pub struct QuotaInput {
    pub product_id: i64,
    /// A market, area or city; or give `dealer_id`.
    pub node_id: Option<i64>,
    pub dealer_id: Option<i64>,
    /// `YYYY-MM`
    pub period: String,
    pub quantity: i64,
}

pub async fn create_quota(
    app: &App,
    actor: &Actor,
    input: QuotaInput,
) -> Result<QuotaRow, AppError> {
    actor.require(Capability::ManageCatalogue)?;
    let period = check_period(&input.period)?;
    if !(1..=1_000_000_000).contains(&input.quantity) {
        return Err(bad(
            "quota.quantity_invalid",
            "quantity",
            "a quota is at least 1",
        ));
    }
    if input.node_id.is_some() == input.dealer_id.is_some() {
        return Err(bad(
            "quota.target_required",
            "node_id",
            "give either a unit or a dealer",
        ));
    }
    let mut tx = app.store.begin().await?;
    let conn = tx.conn();
    if catalogue::get_product(conn, input.product_id)
        .await?
        .is_none()
    {
        return Err(bad(
            "price.product_unknown",
            "product_id",
            "no such product",
        ));
    }
    let mut path = None;
    if let Some(n) = input.node_id {
        let node = org::get(conn, &actor.scope, n)
            .await?
            .ok_or_else(|| bad("quota.target_required", "node_id", "no such unit"))?;
        path = Some(node.path);
    }
    if let Some(d) = input.dealer_id {
        let dealer = dealers::get(conn, &actor.scope, d)
            .await?
            .ok_or_else(|| bad("quota.target_required", "dealer_id", "no such dealer"))?;
        path = Some(dealer.node_path);
    }
    let id = catalogue::insert_quota(
        conn,
        input.product_id,
        input.node_id,
        input.dealer_id,
        &period,
        input.quantity,
    )
    .await?;
    let row = catalogue::quotas(conn, Some(&period))
        .await?
        .into_iter()
        .find(|q| q.id == id)
        .ok_or_else(|| AppError::Internal("quota vanished".into()))?;
    record(
        conn,
        actor,
        "quota.create",
        "quota",
        id,
        path.as_deref(),
        None,
        snapshot(&row),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Consumes quota inside the caller's transaction (orders call this when confirming). Refuses
/// with `quota.exceeded` (409) when not enough is left; `Ok(None)` when no quota applies.
pub async fn reserve_quota(
    conn: &mut Conn,
    product_id: i64,
    dealer_id: i64,
    period: &str,
    qty: i64,
) -> Result<Option<i64>, AppError> {
    if qty <= 0 {
        return Err(bad(
            "quota.quantity_invalid",
            "quantity",
            "a quantity is at least 1",
        ));
    }
    match catalogue::reserve_quota(conn, product_id, dealer_id, period, qty).await? {
        Reserve::NotLimited => Ok(None),
        Reserve::Reserved { remaining, .. } => Ok(Some(remaining)),
        Reserve::Exceeded { remaining, .. } => Err(AppError::Conflict(FieldError::new(
            "quota.exceeded",
            "quantity",
            format!("only {remaining} left in this period's quota"),
        ))),
    }
}
