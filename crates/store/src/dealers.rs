//! Dealers (customers): the record, its contacts, ownership periods, term history and market
//! feedback. Lists and gets take the person's [`Scope`]: a subtree sees the dealers whose
//! `node_path` lies inside it; field staff see the dealers they own (`owner_id`).

use crate::sql::{Sql, Value};
use crate::{now_micros, Conn, StoreError};
use salesos_domain::scope::Scope;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DealerRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub tier: String,
    pub licence_no: Option<String>,
    pub legal_representative: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub delivery_station: Option<String>,
    pub bank_name: Option<String>,
    pub bank_account: Option<String>,
    pub tax_no: Option<String>,
    pub phone: Option<String>,
    pub node_id: i64,
    pub node_path: String,
    pub node_name_zh: String,
    pub node_name_en: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub slt_owner_id: Option<i64>,
    pub price_list_id: Option<i64>,
    pub payment_term_days: i64,
    pub credit_limit_fen: i64,
    pub scorecard_json: Option<String>,
    pub score: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl DealerRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(DealerRow {
            id: r.try_get("id")?,
            code: r.try_get("code")?,
            name: r.try_get("name")?,
            status: r.try_get("status")?,
            status_reason: r.try_get("status_reason")?,
            tier: r.try_get("tier")?,
            licence_no: r.try_get("licence_no")?,
            legal_representative: r.try_get("legal_representative")?,
            address: r.try_get("address")?,
            city: r.try_get("city")?,
            delivery_station: r.try_get("delivery_station")?,
            bank_name: r.try_get("bank_name")?,
            bank_account: r.try_get("bank_account")?,
            tax_no: r.try_get("tax_no")?,
            phone: r.try_get("phone")?,
            node_id: r.try_get("node_id")?,
            node_path: r.try_get("node_path")?,
            node_name_zh: r.try_get("node_name_zh")?,
            node_name_en: r.try_get("node_name_en")?,
            owner_id: r.try_get("owner_id")?,
            owner_name: r.try_get("owner_name")?,
            slt_owner_id: r.try_get("slt_owner_id")?,
            price_list_id: r.try_get("price_list_id")?,
            payment_term_days: r.try_get("payment_term_days")?,
            credit_limit_fen: r.try_get("credit_limit_fen")?,
            scorecard_json: r.try_get("scorecard_json")?,
            score: r.try_get("score")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

const SELECT: &str = "SELECT d.id, d.code, d.name, d.status, d.status_reason, d.tier, d.licence_no, \
     d.legal_representative, d.address, d.city, d.delivery_station, d.bank_name, d.bank_account, \
     d.tax_no, d.phone, d.node_id, d.node_path, n.name_zh AS node_name_zh, n.name_en AS node_name_en, \
     d.owner_id, p.display_name AS owner_name, d.slt_owner_id, d.price_list_id, d.payment_term_days, \
     d.credit_limit_fen, d.scorecard_json, d.score, d.created_at, d.updated_at \
     FROM dealers d JOIN org_nodes n ON n.id = d.node_id JOIN people p ON p.id = d.owner_id WHERE 1 = 1";

#[derive(Debug, Default, Clone)]
pub struct DealerFilter {
    /// Part of the code, name or city.
    pub text: Option<String>,
    pub status: Option<String>,
    pub tier: Option<String>,
    /// Only dealers at or below this node.
    pub node_path: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn apply_filter(sql: &mut Sql, scope: &Scope, filter: &DealerFilter) {
    sql.scope(scope, "d.node_path", "d.owner_id");
    if let Some(text) = filter.text.as_deref().filter(|t| !t.trim().is_empty()) {
        let pattern = format!("%{}%", escape_like(&text.trim().to_lowercase()));
        sql.push(" AND (LOWER(d.code) LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR LOWER(d.name) LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR LOWER(COALESCE(d.city, '')) LIKE ")
            .bind(pattern)
            .push(" ESCAPE '\\')");
    }
    if let Some(status) = filter.status.as_deref().filter(|t| !t.is_empty()) {
        sql.push(" AND d.status = ").bind(status);
    }
    if let Some(tier) = filter.tier.as_deref().filter(|t| !t.is_empty()) {
        sql.push(" AND d.tier = ").bind(tier);
    }
    if let Some(path) = &filter.node_path {
        let low = path.clone();
        let mut high = low.clone();
        high.pop();
        high.push('0');
        sql.push(" AND d.node_path >= ")
            .bind(low)
            .push(" AND d.node_path < ")
            .bind(high);
    }
}

pub async fn list(
    conn: &mut Conn,
    scope: &Scope,
    filter: &DealerFilter,
) -> Result<Vec<DealerRow>, StoreError> {
    let mut sql = Sql::new(SELECT);
    apply_filter(&mut sql, scope, filter);
    sql.push(" ORDER BY d.code")
        .page(filter.limit, filter.offset);
    let rows = sql.fetch_all(conn).await?;
    Ok(rows
        .iter()
        .map(DealerRow::from_row)
        .collect::<Result<_, _>>()?)
}

pub async fn count(
    conn: &mut Conn,
    scope: &Scope,
    filter: &DealerFilter,
) -> Result<i64, StoreError> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM dealers d WHERE 1 = 1");
    apply_filter(&mut sql, scope, filter);
    Ok(sql.fetch_one(conn).await?.try_get("n")?)
}

pub async fn get(conn: &mut Conn, scope: &Scope, id: i64) -> Result<Option<DealerRow>, StoreError> {
    let mut sql = Sql::new(SELECT);
    sql.push(" AND d.id = ").bind(id);
    sql.scope(scope, "d.node_path", "d.owner_id");
    let row = sql.fetch_optional(conn).await?;
    Ok(row.as_ref().map(DealerRow::from_row).transpose()?)
}

/// For system work (demo, check, the orders engine resolving a dealer it already scoped).
pub async fn get_unscoped(conn: &mut Conn, id: i64) -> Result<Option<DealerRow>, StoreError> {
    let mut sql = Sql::new(SELECT);
    sql.push(" AND d.id = ").bind(id);
    let row = sql.fetch_optional(conn).await?;
    Ok(row.as_ref().map(DealerRow::from_row).transpose()?)
}

/// Dealers that look like the same business: the same licence number, or the same name in the
/// same city. Deliberately company-wide (a duplicate in another market is still a duplicate);
/// only ids are returned.
pub async fn find_duplicates(
    conn: &mut Conn,
    licence_no: Option<&str>,
    name: &str,
    city: Option<&str>,
    except: Option<i64>,
) -> Result<Vec<i64>, StoreError> {
    let mut sql = Sql::new("SELECT id FROM dealers WHERE (");
    match licence_no {
        Some(l) => sql.push("licence_no = ").bind(l),
        None => sql.push("1 = 0"),
    };
    sql.push(" OR (LOWER(name) = ").bind(name.to_lowercase());
    match city {
        Some(c) => sql.push(" AND city = ").bind(c),
        None => sql.push(" AND city IS NULL"),
    };
    sql.push("))");
    if let Some(id) = except {
        sql.push(" AND id <> ").bind(id);
    }
    sql.push(" ORDER BY id");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?)
}

/// The descriptive fields of a dealer (everything but status, ownership and commercial terms).
#[derive(Debug, Clone, Default, Serialize)]
pub struct DealerDetails {
    pub name: String,
    pub tier: String,
    pub licence_no: Option<String>,
    pub legal_representative: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub delivery_station: Option<String>,
    pub bank_name: Option<String>,
    pub bank_account: Option<String>,
    pub tax_no: Option<String>,
    pub phone: Option<String>,
}

pub struct NewDealer<'a> {
    pub code: &'a str,
    pub status: &'a str,
    pub details: &'a DealerDetails,
    pub node_id: i64,
    pub node_path: &'a str,
    pub owner_id: i64,
    pub slt_owner_id: Option<i64>,
    pub price_list_id: Option<i64>,
    pub payment_term_days: i64,
    pub credit_limit_fen: i64,
    /// The first day of the ownership period.
    pub since: &'a str,
}

fn details_values(d: &DealerDetails) -> Vec<(&'static str, Value)> {
    vec![
        ("name", d.name.clone().into()),
        ("tier", d.tier.clone().into()),
        ("licence_no", d.licence_no.clone().into()),
        (
            "legal_representative",
            d.legal_representative.clone().into(),
        ),
        ("address", d.address.clone().into()),
        ("city", d.city.clone().into()),
        ("delivery_station", d.delivery_station.clone().into()),
        ("bank_name", d.bank_name.clone().into()),
        ("bank_account", d.bank_account.clone().into()),
        ("tax_no", d.tax_no.clone().into()),
        ("phone", d.phone.clone().into()),
    ]
}

/// Inserts the dealer and opens its first ownership period.
pub async fn insert(conn: &mut Conn, new: NewDealer<'_>) -> Result<i64, StoreError> {
    let now = now_micros();
    let mut cols: Vec<(&'static str, Value)> =
        vec![("code", new.code.into()), ("status", new.status.into())];
    cols.extend(details_values(new.details));
    cols.extend([
        ("node_id", new.node_id.into()),
        ("node_path", new.node_path.into()),
        ("owner_id", new.owner_id.into()),
        ("slt_owner_id", new.slt_owner_id.into()),
        ("price_list_id", new.price_list_id.into()),
        ("payment_term_days", new.payment_term_days.into()),
        ("credit_limit_fen", new.credit_limit_fen.into()),
        ("created_at", now.into()),
        ("updated_at", now.into()),
    ]);
    let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
    let mut sql = Sql::new(&format!(
        "INSERT INTO dealers ({}) VALUES (",
        names.join(", ")
    ));
    for (i, (_, v)) in cols.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(v);
    }
    sql.push(") RETURNING id");
    let id: i64 = sql.fetch_one(conn).await?.try_get("id")?;
    open_owner_period(
        conn,
        id,
        new.owner_id,
        new.node_id,
        new.node_path,
        new.since,
    )
    .await?;
    Ok(id)
}

async fn open_owner_period(
    conn: &mut Conn,
    dealer_id: i64,
    owner_id: i64,
    node_id: i64,
    node_path: &str,
    since: &str,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO dealer_owners (dealer_id, owner_id, node_id, node_path, valid_from) VALUES (",
    );
    sql.bind(dealer_id)
        .push(", ")
        .bind(owner_id)
        .push(", ")
        .bind(node_id)
        .push(", ")
        .bind(node_path)
        .push(", ")
        .bind(since)
        .push(")");
    sql.execute(conn).await?;
    Ok(())
}

pub async fn update_details(
    conn: &mut Conn,
    id: i64,
    details: &DealerDetails,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE dealers SET updated_at = ");
    sql.bind(now_micros());
    for (name, v) in details_values(details) {
        sql.push(&format!(", {name} = ")).bind(v);
    }
    sql.push(" WHERE id = ").bind(id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn set_status(
    conn: &mut Conn,
    id: i64,
    status: &str,
    reason: &str,
    scorecard: Option<(&str, i64)>,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE dealers SET status = ");
    sql.bind(status)
        .push(", status_reason = ")
        .bind(reason)
        .push(", updated_at = ")
        .bind(now_micros());
    if let Some((json, score)) = scorecard {
        sql.push(", scorecard_json = ")
            .bind(json)
            .push(", score = ")
            .bind(score);
    }
    sql.push(" WHERE id = ").bind(id);
    sql.execute(conn).await?;
    Ok(())
}

/// A commercial term kept with history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    CreditLimit,
    PaymentTerm,
    PriceList,
    SltOwner,
}

impl Term {
    pub fn column(self) -> &'static str {
        match self {
            Term::CreditLimit => "credit_limit_fen",
            Term::PaymentTerm => "payment_term_days",
            Term::PriceList => "price_list_id",
            Term::SltOwner => "slt_owner_id",
        }
    }
}

/// Sets one term and records the change (old → new) in `dealer_terms`.
#[allow(clippy::too_many_arguments)]
pub async fn set_term(
    conn: &mut Conn,
    id: i64,
    term: Term,
    old: Option<i64>,
    new: Option<i64>,
    valid_from: &str,
    changed_by: Option<i64>,
    approval_id: Option<i64>,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(&format!("UPDATE dealers SET {} = ", term.column()));
    sql.bind(new)
        .push(", updated_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(id);
    sql.execute(conn).await?;
    record_term(
        conn,
        id,
        term.column(),
        old.map(|v| v.to_string()),
        new.map(|v| v.to_string()),
        valid_from,
        changed_by,
        approval_id,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn record_term(
    conn: &mut Conn,
    id: i64,
    field: &str,
    old: Option<String>,
    new: Option<String>,
    valid_from: &str,
    changed_by: Option<i64>,
    approval_id: Option<i64>,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO dealer_terms (dealer_id, field, old_value, new_value, valid_from, changed_by, approval_id, created_at) VALUES (",
    );
    sql.bind(id)
        .push(", ")
        .bind(field)
        .push(", ")
        .bind(old)
        .push(", ")
        .bind(new)
        .push(", ")
        .bind(valid_from)
        .push(", ")
        .bind(changed_by)
        .push(", ")
        .bind(approval_id)
        .push(", ")
        .bind(now_micros())
        .push(")");
    sql.execute(conn).await?;
    Ok(())
}

/// Hands the dealer to a new owner (and node) from `on`: closes the open ownership period and
/// opens a new one, so documents before `on` stay attributed to the old owner. A period that
/// would be empty (same-day change) is dropped.
#[allow(clippy::too_many_arguments)]
pub async fn change_owner(
    conn: &mut Conn,
    id: i64,
    old_owner: i64,
    new_owner: i64,
    node_id: i64,
    node_path: &str,
    on: &str,
    changed_by: Option<i64>,
    approval_id: Option<i64>,
) -> Result<(), StoreError> {
    let mut close = Sql::new("UPDATE dealer_owners SET valid_to = ");
    close
        .bind(on)
        .push(" WHERE dealer_id = ")
        .bind(id)
        .push(" AND valid_to IS NULL");
    close.execute(conn).await?;
    let mut drop_empty = Sql::new("DELETE FROM dealer_owners WHERE dealer_id = ");
    drop_empty
        .bind(id)
        .push(" AND valid_to IS NOT NULL AND valid_to <= valid_from");
    drop_empty.execute(conn).await?;
    open_owner_period(conn, id, new_owner, node_id, node_path, on).await?;
    let mut sql = Sql::new("UPDATE dealers SET owner_id = ");
    sql.bind(new_owner)
        .push(", node_id = ")
        .bind(node_id)
        .push(", node_path = ")
        .bind(node_path)
        .push(", updated_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(id);
    sql.execute(conn).await?;
    record_term(
        conn,
        id,
        "owner_id",
        Some(old_owner.to_string()),
        Some(new_owner.to_string()),
        on,
        changed_by,
        approval_id,
    )
    .await
}

/// Money the dealer still owes, in fen: what its open invoices still owe. Termination is
/// blocked while it is above zero (`salesos_domain::dealers::check_termination`).
pub async fn open_receivables_fen(conn: &mut Conn, dealer_id: i64) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "SELECT CAST(COALESCE(SUM(open_fen), 0) AS BIGINT) AS n FROM invoices WHERE status = 'open' AND dealer_id = ",
    );
    sql.bind(dealer_id);
    Ok(sql.fetch_one(conn).await?.try_get("n")?)
}

#[derive(Debug, Clone, Serialize)]
pub struct TermChangeRow {
    pub id: i64,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub valid_from: String,
    pub changed_by: Option<i64>,
    pub changed_by_name: Option<String>,
    pub approval_id: Option<i64>,
}

pub async fn term_history(conn: &mut Conn, id: i64) -> Result<Vec<TermChangeRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT t.id, t.field, t.old_value, t.new_value, t.valid_from, t.changed_by, p.display_name, t.approval_id \
         FROM dealer_terms t LEFT JOIN people p ON p.id = t.changed_by WHERE t.dealer_id = ",
    );
    sql.bind(id).push(" ORDER BY t.id");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(TermChangeRow {
                id: r.try_get("id")?,
                field: r.try_get("field")?,
                old_value: r.try_get("old_value")?,
                new_value: r.try_get("new_value")?,
                valid_from: r.try_get("valid_from")?,
                changed_by: r.try_get("changed_by")?,
                changed_by_name: r.try_get("display_name")?,
                approval_id: r.try_get("approval_id")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

#[derive(Debug, Clone, Serialize)]
pub struct OwnerPeriodRow {
    pub owner_id: i64,
    pub owner_name: String,
    pub node_id: i64,
    pub valid_from: String,
    pub valid_to: Option<String>,
}

pub async fn owner_history(conn: &mut Conn, id: i64) -> Result<Vec<OwnerPeriodRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT o.owner_id, p.display_name, o.node_id, o.valid_from, o.valid_to \
         FROM dealer_owners o JOIN people p ON p.id = o.owner_id WHERE o.dealer_id = ",
    );
    sql.bind(id).push(" ORDER BY o.valid_from, o.id");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(OwnerPeriodRow {
                owner_id: r.try_get("owner_id")?,
                owner_name: r.try_get("display_name")?,
                node_id: r.try_get("node_id")?,
                valid_from: r.try_get("valid_from")?,
                valid_to: r.try_get("valid_to")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Who owned the dealer on `day` (for attributing past documents).
pub async fn owner_on(conn: &mut Conn, id: i64, day: &str) -> Result<Option<i64>, StoreError> {
    let mut sql = Sql::new("SELECT owner_id FROM dealer_owners WHERE dealer_id = ");
    sql.bind(id)
        .push(" AND valid_from <= ")
        .bind(day)
        .push(" AND (valid_to IS NULL OR valid_to > ")
        .bind(day)
        .push(")");
    let row = sql.fetch_optional(conn).await?;
    Ok(row.map(|r| r.try_get("owner_id")).transpose()?)
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ContactRow {
    pub id: i64,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub is_primary: bool,
}

pub async fn contacts(conn: &mut Conn, dealer_id: i64) -> Result<Vec<ContactRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT id, name, title, phone, email, is_primary FROM dealer_contacts WHERE dealer_id = ",
    );
    sql.bind(dealer_id).push(" ORDER BY is_primary DESC, id");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(ContactRow {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                title: r.try_get("title")?,
                phone: r.try_get("phone")?,
                email: r.try_get("email")?,
                is_primary: r.try_get::<i64, _>("is_primary")? != 0,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

pub async fn add_contact(
    conn: &mut Conn,
    dealer_id: i64,
    name: &str,
    title: Option<&str>,
    phone: Option<&str>,
    email: Option<&str>,
    is_primary: bool,
) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO dealer_contacts (dealer_id, name, title, phone, email, is_primary) VALUES (",
    );
    sql.bind(dealer_id)
        .push(", ")
        .bind(name)
        .push(", ")
        .bind(title)
        .push(", ")
        .bind(phone)
        .push(", ")
        .bind(email)
        .push(", ")
        .bind(i64::from(is_primary))
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FeedbackRow {
    pub id: i64,
    pub dealer_id: Option<i64>,
    pub dealer_name: Option<String>,
    pub node_id: i64,
    pub node_path: String,
    pub author_id: i64,
    pub author_name: String,
    pub kind: String,
    pub body: String,
    pub created_at: i64,
}

const FEEDBACK_SELECT: &str = "SELECT f.id, f.dealer_id, d.name AS dealer_name, f.node_id, f.node_path, \
     f.author_id, p.display_name AS author_name, f.kind, f.body, f.created_at \
     FROM market_feedback f JOIN people p ON p.id = f.author_id LEFT JOIN dealers d ON d.id = f.dealer_id WHERE 1 = 1";

fn feedback_rows(rows: &[AnyRow]) -> Result<Vec<FeedbackRow>, StoreError> {
    rows.iter()
        .map(|r| {
            Ok(FeedbackRow {
                id: r.try_get("id")?,
                dealer_id: r.try_get("dealer_id")?,
                dealer_name: r.try_get("dealer_name")?,
                node_id: r.try_get("node_id")?,
                node_path: r.try_get("node_path")?,
                author_id: r.try_get("author_id")?,
                author_name: r.try_get("author_name")?,
                kind: r.try_get("kind")?,
                body: r.try_get("body")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

pub struct NewFeedback<'a> {
    pub dealer_id: Option<i64>,
    pub node_id: i64,
    pub node_path: &'a str,
    pub author_id: i64,
    pub kind: &'a str,
    pub body: &'a str,
}

pub async fn insert_feedback(
    conn: &mut Conn,
    new: NewFeedback<'_>,
) -> Result<FeedbackRow, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO market_feedback (dealer_id, node_id, node_path, author_id, kind, body, created_at) VALUES (",
    );
    sql.bind(new.dealer_id)
        .push(", ")
        .bind(new.node_id)
        .push(", ")
        .bind(new.node_path)
        .push(", ")
        .bind(new.author_id)
        .push(", ")
        .bind(new.kind)
        .push(", ")
        .bind(new.body)
        .push(", ")
        .bind(now_micros())
        .push(") RETURNING id");
    let id: i64 = sql.fetch_one(&mut *conn).await?.try_get("id")?;
    let mut get = Sql::new(FEEDBACK_SELECT);
    get.push(" AND f.id = ").bind(id);
    let rows = get.fetch_all(conn).await?;
    feedback_rows(&rows)?
        .pop()
        .ok_or_else(|| StoreError::Db(sqlx::Error::RowNotFound))
}

/// Feedback on one dealer (the caller has checked the dealer is in scope).
pub async fn feedback_for_dealer(
    conn: &mut Conn,
    dealer_id: i64,
) -> Result<Vec<FeedbackRow>, StoreError> {
    let mut sql = Sql::new(FEEDBACK_SELECT);
    sql.push(" AND f.dealer_id = ")
        .bind(dealer_id)
        .push(" ORDER BY f.id DESC LIMIT 200");
    feedback_rows(&sql.fetch_all(conn).await?)
}

/// Feedback visible in `scope`: a subtree sees what was filed inside it; field staff see what
/// they filed themselves. Optionally only at or below `node_path`.
pub async fn feedback_list(
    conn: &mut Conn,
    scope: &Scope,
    node_path: Option<&str>,
    limit: i64,
) -> Result<Vec<FeedbackRow>, StoreError> {
    let mut sql = Sql::new(FEEDBACK_SELECT);
    sql.scope(scope, "f.node_path", "f.author_id");
    if let Some(path) = node_path {
        let mut high = path.to_string();
        high.pop();
        high.push('0');
        sql.push(" AND f.node_path >= ")
            .bind(path)
            .push(" AND f.node_path < ")
            .bind(high);
    }
    sql.push(" ORDER BY f.id DESC LIMIT ")
        .bind(limit.clamp(1, 1000));
    feedback_rows(&sql.fetch_all(conn).await?)
}

/// Inserts many dealers at once (the demo company): multi-row inserts, then one ownership
/// period per new dealer from `since`. Codes must be new.
pub async fn insert_many_unscoped(
    conn: &mut Conn,
    rows: &[NewDealer<'_>],
    since: &str,
) -> Result<(), StoreError> {
    let now = now_micros();
    const COLS: &str =
        "code, status, name, tier, licence_no, legal_representative, address, city, \
         delivery_station, bank_name, bank_account, tax_no, phone, node_id, node_path, owner_id, \
         slt_owner_id, price_list_id, payment_term_days, credit_limit_fen, created_at, updated_at";
    for chunk in rows.chunks(100) {
        let mut sql = Sql::new(&format!("INSERT INTO dealers ({COLS}) VALUES "));
        for (i, new) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(").bind(new.code).push(", ").bind(new.status);
            for (_, v) in details_values(new.details) {
                sql.push(", ").bind(v);
            }
            sql.push(", ")
                .bind(new.node_id)
                .push(", ")
                .bind(new.node_path)
                .push(", ")
                .bind(new.owner_id)
                .push(", ")
                .bind(new.slt_owner_id)
                .push(", ")
                .bind(new.price_list_id)
                .push(", ")
                .bind(new.payment_term_days)
                .push(", ")
                .bind(new.credit_limit_fen)
                .push(", ")
                .bind(now)
                .push(", ")
                .bind(now)
                .push(")");
        }
        sql.execute(&mut *conn).await?;
    }
    let mut owners = Sql::new(
        "INSERT INTO dealer_owners (dealer_id, owner_id, node_id, node_path, valid_from) \
         SELECT d.id, d.owner_id, d.node_id, d.node_path, ",
    );
    owners.bind(since).push(
        " FROM dealers d WHERE NOT EXISTS (SELECT 1 FROM dealer_owners o WHERE o.dealer_id = d.id)",
    );
    owners.execute(conn).await?;
    Ok(())
}

/// Every dealer, for system work (demo audit entries, `salesos check`).
pub async fn list_all_unscoped(conn: &mut Conn) -> Result<Vec<DealerRow>, StoreError> {
    let mut sql = Sql::new(SELECT);
    sql.push(" ORDER BY d.id");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows
        .iter()
        .map(DealerRow::from_row)
        .collect::<Result<_, _>>()?)
}

/// Invariants of the dealer tables (for `salesos check`): each dealer has exactly one open
/// ownership period and it matches the dealer's owner and unit; the unit's path is the cached
/// one; ownership periods of one dealer do not overlap; the status is known.
pub async fn check_unscoped(conn: &mut Conn) -> Result<Vec<String>, StoreError> {
    use crate::check::differ;
    let known = salesos_domain::dealers::DealerStatus::ALL
        .iter()
        .map(|s| format!("'{}'", s.code()))
        .collect::<Vec<_>>()
        .join(", ");
    let offending = format!(
        "SELECT d.id, d.node_path, d.status, n.path AS real_path, COALESCE(o.open_count, 0) AS open_count, \
         CASE WHEN {} OR {} THEN 1 ELSE 0 END AS owner_differs \
         FROM dealers d JOIN org_nodes n ON n.id = d.node_id \
         LEFT JOIN (SELECT dealer_id, COUNT(*) AS open_count, MAX(owner_id) AS open_owner, MAX(node_id) AS open_node \
         FROM dealer_owners WHERE valid_to IS NULL GROUP BY dealer_id) o ON o.dealer_id = d.id \
         WHERE COALESCE(o.open_count, 0) <> 1 OR {} OR {} OR d.node_path <> n.path OR d.status NOT IN ({known})",
        differ("o.open_owner", "d.owner_id"),
        differ("o.open_node", "d.node_id"),
        differ("o.open_owner", "d.owner_id"),
        differ("o.open_node", "d.node_id"),
    );
    let mut problems = crate::check::first_offending(
        &mut *conn,
        "dealers whose ownership or status is wrong",
        &offending,
        "id",
        |r, out| {
            let id: i64 = r.try_get("id")?;
            let open: i64 = r.try_get("open_count")?;
            let path: String = r.try_get("node_path")?;
            let real_path: String = r.try_get("real_path")?;
            let status: String = r.try_get("status")?;
            if open != 1 {
                out.push(format!(
                    "dealer {id}: {open} open ownership periods, expected 1"
                ));
            } else if r.try_get::<i64, _>("owner_differs")? != 0 {
                out.push(format!(
                    "dealer {id}: owner or unit differs from the open ownership period"
                ));
            }
            if path != real_path {
                out.push(format!(
                    "dealer {id}: node path {path} should be {real_path}"
                ));
            }
            if salesos_domain::dealers::DealerStatus::parse(&status).is_none() {
                out.push(format!("dealer {id}: unknown status {status}"));
            }
            Ok(())
        },
    )
    .await?;
    let overlapping = Sql::new(
        "SELECT COUNT(*) AS n FROM dealer_owners a JOIN dealer_owners b ON a.dealer_id = b.dealer_id AND a.id < b.id \
         WHERE a.valid_from < COALESCE(b.valid_to, '9999-12-31') AND b.valid_from < COALESCE(a.valid_to, '9999-12-31')",
    )
    .fetch_one(conn)
    .await?
    .try_get::<i64, _>("n")?;
    if overlapping > 0 {
        problems.push(format!(
            "{overlapping} pairs of ownership periods of one dealer overlap"
        ));
    }
    Ok(problems)
}
