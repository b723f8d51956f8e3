//! Visit pages (拜访): the list with its filters and exports, and the form to record a visit.

use super::{fail, format_time, render, Layout};
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
use salesos_app::visits::{self, NewVisitInput};
use salesos_app::AppError;
use salesos_domain::visits::VisitInput;
use salesos_store::dealers::DealerFilter;
use salesos_store::visits::{VisitFilter, VisitRow};
use serde::Deserialize;

pub struct VisitLine {
    pub when: String,
    pub dealer: String,
    pub visitor: String,
    pub purpose: String,
    pub outcome: String,
    pub location: String,
}

pub struct DealerOption {
    pub id: i64,
    pub label: String,
    pub selected: bool,
}

/// What was typed into the form, shown again next to an error.
#[derive(Default)]
pub struct Typed {
    pub visited_at: String,
    pub purpose: String,
    pub outcome: String,
    pub location: String,
}

#[derive(Template)]
#[template(path = "visits.html")]
struct ListPage {
    l: Layout,
    rows: Vec<VisitLine>,
    dealers: Vec<DealerOption>,
    filter_dealer: String,
    from: String,
    to: String,
    export_query: String,
    typed: Typed,
    error: Option<String>,
    error_field: String,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    dealer_id: Option<i64>,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    format: String,
}

fn filter_of(q: &ListQuery, limit: i64, offset: i64) -> Result<VisitFilter, AppError> {
    crate::api::visits::filter_of(
        q.dealer_id,
        None,
        Some(q.from.as_str()),
        Some(q.to.as_str()),
        limit,
        offset,
    )
}

fn line_of(v: &VisitRow, tz: chrono_tz::Tz) -> VisitLine {
    VisitLine {
        when: format_time(v.visited_at, tz),
        dealer: format!("{} {}", v.dealer_code, v.dealer_name),
        visitor: v.visited_by_name.clone(),
        purpose: v.purpose.clone(),
        outcome: v.outcome.clone().unwrap_or_default(),
        location: v.location.clone().unwrap_or_default(),
    }
}

struct Form0 {
    dealer: Option<i64>,
    typed: Typed,
    error: Option<(String, String, StatusCode)>,
}

async fn page(s: &AppState, pa: &PageActor, q: &ListQuery, form: Form0) -> Response {
    let filter = match filter_of(q, 200, 0) {
        Ok(f) => f,
        Err(e) => return fail(pa, e),
    };
    let rows = match visits::list(&s.app, &pa.actor, &filter).await {
        Ok(r) => r,
        Err(e) => return fail(pa, e),
    };
    // the dealers one may record a visit to: those in scope
    let dealers = match salesos_app::dealers::list(
        &s.app,
        &pa.actor,
        &DealerFilter {
            limit: 1000,
            ..DealerFilter::default()
        },
    )
    .await
    {
        Ok((d, _)) => d,
        Err(e) => return fail(pa, e),
    };
    let chosen = form.dealer.or(q.dealer_id);
    let tz = s.app.config.time_zone;
    let export_query = serde_urlencoded::to_string([
        (
            "dealer_id",
            q.dealer_id.map(|d| d.to_string()).unwrap_or_default(),
        ),
        ("from", q.from.clone()),
        ("to", q.to.clone()),
    ])
    .unwrap_or_default();
    let (error, error_field, status) = match form.error {
        Some((m, f, s)) => (Some(m), f, s),
        None => (None, String::new(), StatusCode::OK),
    };
    let page = ListPage {
        rows: rows.iter().map(|v| line_of(v, tz)).collect(),
        dealers: dealers
            .iter()
            .filter(|d| d.status != "terminated")
            .map(|d| DealerOption {
                id: d.id,
                label: format!("{} {}", d.code, d.name),
                selected: Some(d.id) == chosen,
            })
            .collect(),
        filter_dealer: q.dealer_id.map(|d| d.to_string()).unwrap_or_default(),
        from: q.from.clone(),
        to: q.to.clone(),
        export_query,
        typed: form.typed,
        error,
        error_field,
        l: Layout::new(pa, "visits.title", "/visits"),
    };
    (status, render(&page)).into_response()
}

pub async fn list(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    page(
        &s,
        &pa,
        &q,
        Form0 {
            dealer: None,
            typed: Typed::default(),
            error: None,
        },
    )
    .await
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// `dealer_id`, `visited_at` (`datetime-local`), `purpose`, `outcome`, `location`.
pub async fn create(
    State(s): State<AppState>,
    pa: PageActor,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let pairs = form.map(|f| f.0).unwrap_or_default();
    let text = |name: &str| field(&pairs, name).map(str::to_string);
    let dealer = match field(&pairs, "dealer_id").map(str::parse::<i64>) {
        Some(Ok(id)) => Ok(Some(id)),
        Some(Err(_)) => Err(AppError::invalid(
            "request.invalid_field",
            "dealer_id",
            "choose a dealer",
        )),
        None => Ok(None),
    };
    let result = match dealer {
        Ok(dealer_id) => {
            visits::create(
                &s.app,
                &pa.actor,
                NewVisitInput {
                    dealer_id,
                    visited_by: None,
                    visit: VisitInput {
                        visited_at: text("visited_at"),
                        purpose: text("purpose"),
                        outcome: text("outcome"),
                        location: text("location"),
                    },
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Redirect::to("/visits").into_response(),
        Err(e @ AppError::Invalid(_)) => {
            let message = message_of(&e, &pa.tr());
            let typed = Typed {
                visited_at: text("visited_at").unwrap_or_default(),
                purpose: text("purpose").unwrap_or_default(),
                outcome: text("outcome").unwrap_or_default(),
                location: text("location").unwrap_or_default(),
            };
            page(
                &s,
                &pa,
                &ListQuery::default(),
                Form0 {
                    dealer: field(&pairs, "dealer_id").and_then(|d| d.parse().ok()),
                    typed,
                    error: Some((
                        message,
                        e.field().unwrap_or_default().to_string(),
                        status_of(&e),
                    )),
                },
            )
            .await
        }
        Err(e) => fail(&pa, e),
    }
}

/// The list, same filters and scope, as XLSX or CSV.
pub async fn export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let format = ExportFormat::parse(q.format.trim()).unwrap_or(ExportFormat::Xlsx);
    // the filter is checked once, before paging, so bad input answers as on the list
    if let Err(e) = filter_of(&q, 1, 0) {
        return fail(&pa, e);
    }
    let rows = crate::export::all_rows(|limit, offset| {
        let (s, pa, q) = (&s, &pa, &q);
        async move {
            let filter = filter_of(q, limit, offset)?;
            visits::list(&s.app, &pa.actor, &filter).await
        }
    })
    .await;
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let tz = s.app.config.time_zone;
    let sheet = Sheet {
        title: tr.t("visits.title").to_string(),
        headers: [
            "visits.day",
            "visits.when",
            "visits.dealer",
            "visits.visitor",
            "visits.purpose",
            "visits.outcome",
            "visits.location",
        ]
        .iter()
        .map(|k| tr.t(k).to_string())
        .collect(),
        rows: rows
            .iter()
            .map(|v| {
                let l = line_of(v, tz);
                vec![
                    Cell::Date(v.visit_day.clone()),
                    Cell::DateTime(l.when),
                    Cell::from(l.dealer),
                    Cell::from(l.visitor),
                    Cell::from(l.purpose),
                    Cell::from(v.outcome.clone()),
                    Cell::from(v.location.clone()),
                ]
            })
            .collect(),
    };
    crate::export::download(&sheet, format, "visits")
}
