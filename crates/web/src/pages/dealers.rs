//! The dealer pages: the list in scope (search, status and tier filters, paging, adding a
//! dealer with the duplicate warning) and one dealer's record (资料卡) with its lifecycle,
//! terms history, owners, contacts and market feedback.

use super::org::{non_empty, parse_id};
use super::{fail, format_time, render, Layout, Pager};
use crate::i18n::Tr;
use crate::problem::message_of;
use crate::session::{urlencode, PageActor};
use crate::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use salesos_app::dealers::{
    self, ContactInput, DetailsInput, FeedbackInput, NewDealerInput, TermsInput, TransitionInput,
};
use salesos_app::AppError;
use salesos_domain::dealers::{Criterion, DealerStatus, FEEDBACK_KINDS, TIERS};
use salesos_domain::roles::Capability;
use salesos_domain::Money;
use salesos_store::dealers::{DealerFilter, DealerRow};
use std::collections::HashMap;

type FormMap = HashMap<String, String>;

fn field(f: &FormMap, name: &str) -> String {
    f.get(name)
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

fn opt(f: &FormMap, name: &str) -> Option<String> {
    non_empty(&field(f, name))
}

fn num(f: &FormMap, name: &str) -> Option<i64> {
    parse_id(&field(f, name))
}

/// Yuan as typed ("1234.5") → fen.
fn yuan_to_fen(text: &str) -> Option<i64> {
    let t = text.trim().replace(',', "");
    if t.is_empty() {
        return None;
    }
    let (int, frac) = t.split_once('.').unwrap_or((&t, ""));
    let int: i64 = int.parse().ok()?;
    let frac = format!("{frac:0<2}");
    let frac: i64 = frac.get(..2)?.parse().ok()?;
    int.checked_mul(100)?.checked_add(frac)
}

pub struct Option2 {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

fn status_label(tr: &Tr, code: &str) -> String {
    tr.tk("dealer_status", code)
}

fn status_options(tr: &Tr, selected: &str) -> Vec<Option2> {
    DealerStatus::ALL
        .iter()
        .map(|s| Option2 {
            code: s.code().to_string(),
            label: status_label(tr, s.code()),
            selected: s.code() == selected,
        })
        .collect()
}

fn tier_options(selected: &str) -> Vec<Option2> {
    TIERS
        .iter()
        .map(|t| Option2 {
            code: (*t).to_string(),
            label: (*t).to_string(),
            selected: *t == selected,
        })
        .collect()
}

pub struct DealerLine {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub city: String,
    pub tier: String,
    pub status: String,
    pub status_code: String,
    pub owner: String,
    pub unit: String,
}

fn line(tr: &Tr, d: &DealerRow) -> DealerLine {
    DealerLine {
        id: d.id,
        code: d.code.clone(),
        name: d.name.clone(),
        city: d.city.clone().unwrap_or_default(),
        tier: d.tier.clone(),
        status: status_label(tr, &d.status),
        status_code: d.status.clone(),
        owner: d.owner_name.clone(),
        unit: tr.name(&d.node_name_zh, &d.node_name_en).to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// The list

const PAGE_SIZE: i64 = 50;

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    page: String,
}

#[derive(Template)]
#[template(path = "dealers_list.html")]
struct ListPage {
    l: Layout,
    q: String,
    statuses: Vec<Option2>,
    tiers: Vec<Option2>,
    dealers: Vec<DealerLine>,
    total: i64,
    pager: Pager,
    can_manage: bool,
    can_credit: bool,
    form: FormMap,
    form_tiers: Vec<Option2>,
    error: Option<String>,
    duplicates: Vec<i64>,
    /// The filters of the list, for its export links.
    export_query: String,
}

impl ListPage {
    fn v(&self, name: &str) -> String {
        field(&self.form, name)
    }
}

/// The list's filters as a query string, for the pager and the export links.
fn list_query(q: &str, status: &str, tier: &str) -> String {
    let mut parts = Vec::new();
    if !q.is_empty() {
        parts.push(format!("q={}", urlencode(q)));
    }
    if !status.is_empty() {
        parts.push(format!("status={}", urlencode(status)));
    }
    if !tier.is_empty() {
        parts.push(format!("tier={}", urlencode(tier)));
    }
    parts.join("&")
}

async fn list_page(
    s: &AppState,
    pa: &PageActor,
    q: ListQuery,
    form: FormMap,
    error: Option<String>,
    duplicates: Vec<i64>,
    status_code: StatusCode,
) -> Response {
    let tr = pa.tr();
    let text: String = q.q.trim().chars().take(100).collect();
    let status = DealerStatus::parse(q.status.trim())
        .map(DealerStatus::code)
        .unwrap_or("");
    let tier = TIERS
        .iter()
        .find(|t| **t == q.tier.trim())
        .copied()
        .unwrap_or("");
    let export_query = list_query(&text, status, tier);
    let mut pager = Pager::new("/dealers", &q.page, export_query.clone(), PAGE_SIZE);
    let filter = DealerFilter {
        text: non_empty(&text),
        status: non_empty(status),
        tier: non_empty(tier),
        node_path: None,
        limit: pager.limit(),
        offset: pager.offset(),
    };
    let (rows, total) = match dealers::list(&s.app, &pa.actor, &filter).await {
        Ok((rows, total)) => (pager.keep(rows), total),
        Err(e) => return fail(pa, e),
    };
    let form_tier = field(&form, "tier");
    let page_view = ListPage {
        l: Layout::new(pa, "dealers.title", "/dealers"),
        statuses: status_options(&tr, status),
        tiers: tier_options(tier),
        dealers: rows.iter().map(|d| line(&tr, d)).collect(),
        total,
        pager,
        can_manage: pa.actor.can(Capability::ManageDealers),
        can_credit: pa.actor.can(Capability::ViewCredit),
        form_tiers: tier_options(if form_tier.is_empty() {
            "C"
        } else {
            &form_tier
        }),
        form,
        error,
        duplicates,
        export_query,
        q: text,
    };
    (status_code, render(&page_view)).into_response()
}

/// The dealers list with its filters and the person's scope, every page, as XLSX or CSV.
pub async fn export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ExportQuery>, QueryRejection>,
) -> Response {
    let tr = pa.tr();
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let text: String = q.list.q.trim().chars().take(100).collect();
    let status = DealerStatus::parse(q.list.status.trim())
        .map(DealerStatus::code)
        .unwrap_or("");
    let tier = TIERS
        .iter()
        .find(|t| **t == q.list.tier.trim())
        .copied()
        .unwrap_or("");
    let rows = crate::export::all_rows(|limit, offset| {
        let filter = DealerFilter {
            text: non_empty(&text),
            status: non_empty(status),
            tier: non_empty(tier),
            node_path: None,
            limit,
            offset,
        };
        let (s, pa) = (&s, &pa);
        async move {
            dealers::list(&s.app, &pa.actor, &filter)
                .await
                .map(|(rows, _)| rows)
        }
    })
    .await;
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    use crate::export::Cell;
    crate::export::list_download(
        &tr,
        "dealers.title",
        &[
            "dealers.code",
            "dealers.name",
            "dealers.tier",
            "dealers.status",
            "dealers.unit",
            "dealers.owner",
            "dealers.city",
            "dealers.phone",
            "dealers.payment_term",
            "dealers.credit_limit_yuan",
        ],
        rows.into_iter()
            .map(|d| {
                vec![
                    Cell::from(d.code),
                    Cell::from(d.name),
                    Cell::from(d.tier),
                    Cell::from(status_label(&tr, &d.status)),
                    Cell::from(tr.name(&d.node_name_zh, &d.node_name_en).to_string()),
                    Cell::from(d.owner_name),
                    Cell::from(d.city),
                    Cell::from(d.phone),
                    Cell::Int(d.payment_term_days),
                    Cell::Money(Money::from_fen(d.credit_limit_fen)),
                ]
            })
            .collect(),
        &q.format,
        "dealers",
    )
}

#[derive(serde::Deserialize, Default)]
pub struct ExportQuery {
    #[serde(flatten)]
    list: ListQuery,
    #[serde(default)]
    format: String,
}

pub async fn list(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    list_page(&s, &pa, q, FormMap::new(), None, Vec::new(), StatusCode::OK).await
}

pub async fn create(
    State(s): State<AppState>,
    pa: PageActor,
    f: Result<Form<FormMap>, FormRejection>,
) -> Response {
    let tr = pa.tr();
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let contact = opt(&f, "contact_name").map(|name| ContactInput {
        name,
        title: None,
        phone: opt(&f, "contact_phone"),
        email: None,
    });
    let d = details_of(&f);
    let input = NewDealerInput {
        code: field(&f, "code"),
        name: d.name,
        tier: d.tier,
        licence_no: d.licence_no,
        legal_representative: d.legal_representative,
        address: d.address,
        city: d.city,
        delivery_station: d.delivery_station,
        bank_name: d.bank_name,
        bank_account: d.bank_account,
        tax_no: d.tax_no,
        phone: d.phone,
        node_id: num(&f, "node_id"),
        owner_id: num(&f, "owner_id"),
        slt_owner_id: None,
        price_list_id: None,
        payment_term_days: num(&f, "payment_term_days"),
        credit_limit_fen: yuan_to_fen(&field(&f, "credit_limit_yuan")),
        contacts: contact.map(|c| vec![c]),
        confirm_duplicate: Some(!field(&f, "confirm_duplicate").is_empty()),
    };
    match dealers::create(&s.app, &pa.actor, input).await {
        Ok(c) => Redirect::to(&format!("/dealers/{}?notice=created", c.dealer.id)).into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let duplicates = if e.code() == "dealer.possible_duplicate" {
                // the ids are in the message; show the warning with a confirm box
                message_ids(&e)
            } else {
                Vec::new()
            };
            let status = crate::problem::status_of(&e);
            let message = message_of(&e, &tr);
            list_page(
                &s,
                &pa,
                ListQuery::default(),
                f,
                Some(message),
                duplicates,
                status,
            )
            .await
        }
        Err(e) => fail(&pa, e),
    }
}

fn message_ids(e: &AppError) -> Vec<i64> {
    match e {
        AppError::Conflict(fe) => fe
            .message
            .split(['(', ')', ','])
            .filter_map(|p| p.trim().parse().ok())
            .collect(),
        _ => Vec::new(),
    }
}

fn details_of(f: &FormMap) -> DetailsInput {
    DetailsInput {
        name: field(f, "name"),
        tier: opt(f, "tier"),
        licence_no: opt(f, "licence_no"),
        legal_representative: opt(f, "legal_representative"),
        address: opt(f, "address"),
        city: opt(f, "city"),
        delivery_station: opt(f, "delivery_station"),
        bank_name: opt(f, "bank_name"),
        bank_account: opt(f, "bank_account"),
        tax_no: opt(f, "tax_no"),
        phone: opt(f, "phone"),
    }
}

// ---------------------------------------------------------------------------------------------
// One dealer

pub struct Fact {
    pub label: String,
    pub value: String,
}

/// A requested change of terms waiting for (or decided by) an approval.
pub struct TermRequestLine {
    pub approval_id: i64,
    pub kind: String,
    pub change: String,
    pub status: String,
    pub pending: bool,
    pub at: String,
}

pub struct TermLine {
    pub field: String,
    pub old: String,
    pub new: String,
    pub from: String,
    pub by: String,
}

pub struct OwnerLine {
    pub name: String,
    pub from: String,
    pub to: String,
    pub current: bool,
}

pub struct FeedbackLine {
    pub kind: String,
    pub body: String,
    pub author: String,
    pub at: String,
}

pub struct ContactLine {
    pub name: String,
    pub phone: String,
    pub primary: bool,
}

pub struct CriterionLine {
    pub code: &'static str,
    pub label: String,
}

#[derive(Template)]
#[template(path = "dealer_show.html")]
struct ShowPage {
    l: Layout,
    id: i64,
    name: String,
    code: String,
    status: String,
    status_code: String,
    facts: Vec<Fact>,
    terms: Vec<TermLine>,
    term_requests: Vec<TermRequestLine>,
    owners: Vec<OwnerLine>,
    feedback: Vec<FeedbackLine>,
    contacts: Vec<ContactLine>,
    next_statuses: Vec<Option2>,
    criteria: Vec<CriterionLine>,
    kinds: Vec<Option2>,
    can_manage: bool,
    can_terms: bool,
    error: Option<String>,
}

fn notice(tr: &Tr, code: Option<&str>) -> Option<String> {
    let text = match code? {
        "created" => tr.t("dealers.notice_created"),
        "saved" => tr.t("dealers.notice_saved"),
        "feedback" => tr.t("dealers.notice_feedback"),
        "terms_requested" => tr.t("dealers.notice_terms_requested"),
        _ => return None,
    };
    Some(text.to_string())
}

#[derive(serde::Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    notice: Option<String>,
}

/// The requested change as `field → value` pairs (the payload is the JSON of a terms change).
fn term_request_change(payload: &str) -> String {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(payload)
    else {
        return String::new();
    };
    map.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| format!("{k} → {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn show_page(
    s: &AppState,
    pa: &PageActor,
    id: i64,
    notice_text: Option<String>,
    error: Option<String>,
    status_code: StatusCode,
) -> Response {
    let tr = pa.tr();
    let v = match dealers::view(&s.app, &pa.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(pa, e),
    };
    let d = &v.dealer;
    let money = |fen: i64| format!("¥{}", Money(fen));
    let fact = |key: &str, value: String| Fact {
        label: tr.t(key).to_string(),
        value,
    };
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let facts = vec![
        fact("dealers.tier", d.tier.clone()),
        fact(
            "dealers.unit",
            tr.name(&d.node_name_zh, &d.node_name_en).to_string(),
        ),
        fact("dealers.owner", d.owner_name.clone()),
        fact(
            "dealers.slt_owner",
            v.slt_owner_name.clone().unwrap_or_default(),
        ),
        fact("dealers.credit_limit", money(d.credit_limit_fen)),
        fact("dealers.payment_term", d.payment_term_days.to_string()),
        fact(
            "dealers.price_list",
            v.price_list_code
                .clone()
                .unwrap_or_else(|| tr.t("dealers.tier_prices").to_string()),
        ),
        fact("dealers.licence_no", o(&d.licence_no)),
        fact("dealers.legal_representative", o(&d.legal_representative)),
        fact("dealers.address", o(&d.address)),
        fact("dealers.city", o(&d.city)),
        fact("dealers.delivery_station", o(&d.delivery_station)),
        fact(
            "dealers.bank",
            format!("{} {}", o(&d.bank_name), o(&d.bank_account)),
        ),
        fact("dealers.tax_no", o(&d.tax_no)),
        fact("dealers.phone", o(&d.phone)),
        fact(
            "dealers.score",
            d.score.map(|s| s.to_string()).unwrap_or_default(),
        ),
        fact("dealers.status_reason", o(&d.status_reason)),
    ];
    let from = DealerStatus::parse(&d.status);
    let next_statuses = salesos_domain::dealers::TRANSITIONS
        .iter()
        .filter(|(f, _)| Some(*f) == from)
        .map(|(_, t)| Option2 {
            code: t.code().to_string(),
            label: status_label(&tr, t.code()),
            selected: false,
        })
        .collect();
    let page = ShowPage {
        l: Layout::new(pa, "dealers.title", "/dealers").with_notice(notice_text),
        id,
        name: d.name.clone(),
        code: d.code.clone(),
        status: status_label(&tr, &d.status),
        status_code: d.status.clone(),
        facts,
        terms: v
            .terms
            .iter()
            .map(|t| TermLine {
                field: tr.tk("dealer_term", &t.field),
                old: t.old_value.clone().unwrap_or_default(),
                new: t.new_value.clone().unwrap_or_default(),
                from: t.valid_from.clone(),
                by: t.changed_by_name.clone().unwrap_or_default(),
            })
            .collect(),
        term_requests: v
            .term_requests
            .iter()
            .map(|r| TermRequestLine {
                approval_id: r.approval_id.unwrap_or_default(),
                kind: tr.tk("term_request_kind", &r.kind),
                change: term_request_change(&r.payload),
                status: tr.tk("approval_status", &r.status),
                pending: r.status == "pending",
                at: format_time(r.created_at, s.app.config.time_zone),
            })
            .collect(),
        owners: v
            .owners
            .iter()
            .map(|p| OwnerLine {
                name: p.owner_name.clone(),
                from: p.valid_from.clone(),
                to: p.valid_to.clone().unwrap_or_default(),
                current: p.valid_to.is_none(),
            })
            .collect(),
        feedback: v
            .feedback
            .iter()
            .map(|f| FeedbackLine {
                kind: tr.tk("feedback_kind", &f.kind),
                body: f.body.clone(),
                author: f.author_name.clone(),
                at: format_time(f.created_at, s.app.config.time_zone),
            })
            .collect(),
        contacts: v
            .contacts
            .iter()
            .map(|c| ContactLine {
                name: c.name.clone(),
                phone: c.phone.clone().unwrap_or_default(),
                primary: c.is_primary,
            })
            .collect(),
        next_statuses,
        criteria: Criterion::ALL
            .iter()
            .map(|c| CriterionLine {
                code: c.code(),
                label: tr.tk("criterion", c.code()),
            })
            .collect(),
        kinds: FEEDBACK_KINDS
            .iter()
            .map(|k| Option2 {
                code: (*k).to_string(),
                label: tr.tk("feedback_kind", k),
                selected: false,
            })
            .collect(),
        can_manage: pa.actor.can(Capability::ManageDealers),
        can_terms: pa.actor.can(Capability::ChangeDealerTerms),
        error,
    };
    (status_code, render(&page)).into_response()
}

pub async fn show(
    State(s): State<AppState>,
    pa: PageActor,
    Path(id): Path<i64>,
    q: Result<Query<ShowQuery>, QueryRejection>,
) -> Response {
    let tr = pa.tr();
    let n = q.ok().and_then(|Query(q)| q.notice);
    show_page(&s, &pa, id, notice(&tr, n.as_deref()), None, StatusCode::OK).await
}

async fn after(
    s: &AppState,
    pa: &PageActor,
    id: i64,
    result: Result<(), AppError>,
    notice_code: &str,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/dealers/{id}?notice={notice_code}")).into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let msg = message_of(&e, &pa.tr());
            show_page(s, pa, id, None, Some(msg), crate::problem::status_of(&e)).await
        }
        Err(e) => fail(pa, e),
    }
}

pub async fn transition(
    State(s): State<AppState>,
    pa: PageActor,
    Path(id): Path<i64>,
    f: Result<Form<FormMap>, FormRejection>,
) -> Response {
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let scorecard = Criterion::ALL
        .iter()
        .filter_map(|c| {
            f.get(&format!("score_{}", c.code()))
                .and_then(|v| v.trim().parse::<u32>().ok())
                .map(|v| (*c, v))
        })
        .collect::<salesos_domain::dealers::Scores>();
    let input = TransitionInput {
        status: field(&f, "status"),
        reason: field(&f, "reason"),
        scorecard: (!scorecard.is_empty()).then_some(scorecard),
        termination_report: opt(&f, "termination_report"),
    };
    let r = dealers::transition(&s.app, &pa.actor, id, input)
        .await
        .map(|_| ());
    after(&s, &pa, id, r, "saved").await
}

pub async fn change_terms(
    State(s): State<AppState>,
    pa: PageActor,
    Path(id): Path<i64>,
    f: Result<Form<FormMap>, FormRejection>,
) -> Response {
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let input = TermsInput {
        credit_limit_fen: yuan_to_fen(&field(&f, "credit_limit_yuan")),
        payment_term_days: num(&f, "payment_term_days"),
        price_list_id: num(&f, "price_list_id"),
        owner_id: num(&f, "owner_id"),
        node_id: None,
        slt_owner_id: None,
        valid_from: opt(&f, "valid_from"),
    };
    let r = dealers::change_terms(&s.app, &pa.actor, id, input)
        .await
        .map(|_| ());
    after(&s, &pa, id, r, "terms_requested").await
}

pub async fn add_feedback(
    State(s): State<AppState>,
    pa: PageActor,
    Path(id): Path<i64>,
    f: Result<Form<FormMap>, FormRejection>,
) -> Response {
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let input = FeedbackInput {
        kind: field(&f, "kind"),
        body: field(&f, "body"),
        node_id: None,
    };
    let r = dealers::add_feedback(&s.app, &pa.actor, id, input)
        .await
        .map(|_| ());
    after(&s, &pa, id, r, "feedback").await
}

// ---------------------------------------------------------------------------------------------
// Market feedback by area

pub struct AreaFeedbackLine {
    pub kind: String,
    pub body: String,
    pub author: String,
    pub at: String,
    pub dealer_id: Option<i64>,
    pub dealer: String,
}

#[derive(Template)]
#[template(path = "feedback.html")]
struct FeedbackPage {
    l: Layout,
    node_id: Option<i64>,
    lines: Vec<AreaFeedbackLine>,
    kinds: Vec<Option2>,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct FeedbackQuery {
    #[serde(default)]
    node_id: String,
    #[serde(default)]
    notice: Option<String>,
}

async fn feedback_page(
    s: &AppState,
    pa: &PageActor,
    node_id: Option<i64>,
    notice_text: Option<String>,
    error: Option<String>,
    status_code: StatusCode,
) -> Response {
    let tr = pa.tr();
    let rows = match dealers::feedback(&s.app, &pa.actor, node_id).await {
        Ok(r) => r,
        Err(e) => return fail(pa, e),
    };
    let page = FeedbackPage {
        l: Layout::new(pa, "feedback.title", "/dealers").with_notice(notice_text),
        node_id,
        lines: rows
            .iter()
            .map(|f| AreaFeedbackLine {
                kind: tr.tk("feedback_kind", &f.kind),
                body: f.body.clone(),
                author: f.author_name.clone(),
                at: format_time(f.created_at, s.app.config.time_zone),
                dealer_id: f.dealer_id,
                dealer: f.dealer_name.clone().unwrap_or_default(),
            })
            .collect(),
        kinds: FEEDBACK_KINDS
            .iter()
            .map(|k| Option2 {
                code: (*k).to_string(),
                label: tr.tk("feedback_kind", k),
                selected: false,
            })
            .collect(),
        error,
    };
    (status_code, render(&page)).into_response()
}

/// Feedback filed in the person's part of the organisation, optionally below one unit.
pub async fn feedback(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<FeedbackQuery>, QueryRejection>,
) -> Response {
    let tr = pa.tr();
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let n = notice(&tr, q.notice.as_deref());
    feedback_page(&s, &pa, parse_id(&q.node_id), n, None, StatusCode::OK).await
}

/// The feedback list with its unit filter and the person's scope, as XLSX or CSV.
pub async fn feedback_export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<FeedbackExportQuery>, QueryRejection>,
) -> Response {
    let tr = pa.tr();
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let rows = match dealers::feedback(&s.app, &pa.actor, parse_id(&q.list.node_id)).await {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tz = s.app.config.time_zone;
    use crate::export::Cell;
    crate::export::list_download(
        &tr,
        "feedback.title",
        &[
            "dealers.feedback_body",
            "dealers.feedback_kind",
            "feedback.dealer",
            "feedback.author",
            "feedback.at",
        ],
        rows.into_iter()
            .map(|f| {
                vec![
                    Cell::from(f.body),
                    Cell::from(tr.tk("feedback_kind", &f.kind)),
                    Cell::from(f.dealer_name),
                    Cell::from(f.author_name),
                    Cell::DateTime(format_time(f.created_at, tz)),
                ]
            })
            .collect(),
        &q.format,
        "feedback",
    )
}

#[derive(serde::Deserialize, Default)]
pub struct FeedbackExportQuery {
    #[serde(flatten)]
    list: FeedbackQuery,
    #[serde(default)]
    format: String,
}

/// Files feedback against an area or city (the author's unit unless another is named).
pub async fn add_area_feedback(
    State(s): State<AppState>,
    pa: PageActor,
    f: Result<Form<FormMap>, FormRejection>,
) -> Response {
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let input = FeedbackInput {
        kind: field(&f, "kind"),
        body: field(&f, "body"),
        node_id: num(&f, "node_id"),
    };
    match dealers::add_area_feedback(&s.app, &pa.actor, input).await {
        Ok(_) => Redirect::to("/feedback?notice=feedback").into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let msg = message_of(&e, &pa.tr());
            let status = crate::problem::status_of(&e);
            feedback_page(&s, &pa, None, None, Some(msg), status).await
        }
        Err(e) => fail(&pa, e),
    }
}

// ---- suggested credit limits -------------------------------------------------------------

pub struct ProposalLine {
    pub dealer_id: i64,
    pub dealer: String,
    pub period: String,
    pub current: String,
    pub proposed: String,
    pub factors: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "credit_limits.html")]
struct ProposalsPage {
    l: Layout,
    items: Vec<ProposalLine>,
    /// the list's filter, carried by the export links
    export_query: String,
}

#[derive(serde::Deserialize, Default)]
pub struct ProposalsQuery {
    #[serde(default)]
    period: Option<String>,
}

/// The suggested credit limits of the list (same period, same scope), as XLSX or CSV.
pub async fn credit_limit_proposals_export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ProposalsExportQuery>, QueryRejection>,
) -> Response {
    let tr = pa.tr();
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let period = q.list.period.as_deref().and_then(non_empty);
    let rows = match salesos_app::credit_limits::list(&s.app, &pa.actor, period.as_deref()).await {
        Ok(rows) => rows,
        Err(e) => return fail(&pa, e),
    };
    use crate::export::Cell;
    let int = |v: &serde_json::Value| v.as_i64().map_or(Cell::Empty, Cell::Int);
    crate::export::list_download(
        &tr,
        "credit_limits.title",
        &[
            "dealers.code",
            "dealers.name",
            "credit_limits.period",
            "credit_limits.current",
            "credit_limits.proposed",
            "credit_limits.avg_sales",
            "credit_limits.days_to_pay",
            "credit_limits.payment_factor",
            "credit_limits.overdue_factor",
            "credit_limits.growth_factor",
            "dealers.term_request_status",
        ],
        rows.into_iter()
            .map(|p| {
                let f = &p.factors["proposal"];
                vec![
                    Cell::from(p.dealer_code.clone()),
                    Cell::from(p.dealer_name.clone()),
                    Cell::from(p.period.clone()),
                    Cell::Money(Money(p.current_limit_fen)),
                    p.proposed_limit_fen
                        .map_or(Cell::Empty, |v| Cell::Money(Money(v))),
                    f["average_monthly_sales"]
                        .as_i64()
                        .map_or(Cell::Empty, |v| Cell::Money(Money(v))),
                    int(&p.factors["history"]["average_days_to_pay"]),
                    int(&f["payment_factor_bp"]),
                    int(&f["overdue_factor_bp"]),
                    int(&f["growth_factor_bp"]),
                    Cell::from(tr.tk("approval_status", &p.status)),
                ]
            })
            .collect(),
        &q.format,
        "credit-limits",
    )
}

#[derive(serde::Deserialize, Default)]
pub struct ProposalsExportQuery {
    #[serde(flatten)]
    list: ProposalsQuery,
    #[serde(default)]
    format: String,
}

/// The latest suggested credit limits for dealers in scope, with the factors behind each.
pub async fn credit_limit_proposals(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ProposalsQuery>, QueryRejection>,
) -> Response {
    let tr = pa.tr();
    let period = q
        .ok()
        .and_then(|Query(q)| q.period)
        .and_then(|p| non_empty(&p));
    let rows = match salesos_app::credit_limits::list(&s.app, &pa.actor, period.as_deref()).await {
        Ok(rows) => rows,
        Err(e) => return fail(&pa, e),
    };
    let money = |fen: i64| format!("¥{}", Money(fen));
    let items = rows
        .iter()
        .map(|p| {
            let f = &p.factors["proposal"];
            let h = &p.factors["history"];
            let factors = format!(
                "{} {} · {} {} · {} {} bp · {} {} bp · {} {} bp",
                tr.t("credit_limits.avg_sales"),
                money(f["average_monthly_sales"].as_i64().unwrap_or_default()),
                tr.t("credit_limits.days_to_pay"),
                h["average_days_to_pay"]
                    .as_i64()
                    .map_or_else(|| "—".to_string(), |d| d.to_string()),
                tr.t("credit_limits.payment_factor"),
                f["payment_factor_bp"].as_i64().unwrap_or_default(),
                tr.t("credit_limits.overdue_factor"),
                f["overdue_factor_bp"].as_i64().unwrap_or_default(),
                tr.t("credit_limits.growth_factor"),
                f["growth_factor_bp"].as_i64().unwrap_or_default(),
            );
            ProposalLine {
                dealer_id: p.dealer_id,
                dealer: format!("{} {}", p.dealer_code, p.dealer_name),
                period: p.period.clone().unwrap_or_default(),
                current: money(p.current_limit_fen),
                proposed: p.proposed_limit_fen.map(money).unwrap_or_default(),
                factors,
                status: tr.tk("approval_status", &p.status),
            }
        })
        .collect();
    let page = ProposalsPage {
        l: Layout::new(&pa, "credit_limits.title", "/dealers"),
        items,
        export_query: period
            .map(|p| format!("period={}", urlencode(&p)))
            .unwrap_or_default(),
    };
    render(&page).into_response()
}
