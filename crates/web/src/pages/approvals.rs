//! The approvals queue: what waits for the signed-in person, with approve, reject and send
//! back; and the person's delegations (who decides for them while they are away).

use super::orders::money;
use super::people::FormError;
use super::{fail, format_time, render, Layout, PageId};
use crate::export::Cell;
use crate::session::PageActor;
use crate::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use salesos_app::{approvals, AppError};
use salesos_domain::approvals::Decision;
use salesos_domain::Money;
use serde::Deserialize;

pub struct QueueLine {
    pub id: i64,
    pub doc_type: String,
    pub summary: String,
    pub amount: String,
    pub requested_by: String,
    pub step: i64,
}

pub struct DelegationLine {
    pub id: i64,
    pub to_name: String,
    pub valid_from: String,
    pub valid_to: String,
}

#[derive(Template)]
#[template(path = "approvals_queue.html")]
struct QueuePage {
    l: Layout,
    items: Vec<QueueLine>,
    delegations: Vec<DelegationLine>,
    /// (id, name · role) of who may stand in
    stand_ins: Vec<(i64, String)>,
    error: Option<FormError>,
}

const DELEGATION_FIELDS: &[&str] = &["to_person", "valid_from", "valid_to"];

impl QueuePage {
    fn field_error(&self, form: &str, field: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.at(form, field))
    }

    fn general_error(&self) -> Option<&str> {
        let e = self.error.as_ref()?;
        e.general(e.form)
    }
}

async fn queue_page(
    s: &AppState,
    pa: &PageActor,
    error: Option<FormError>,
    status: StatusCode,
) -> Response {
    let rows = match approvals::queue(&s.app, &pa.actor).await {
        Ok(r) => r,
        Err(e) => return fail(pa, e),
    };
    let delegations = match approvals::my_delegations(&s.app, &pa.actor).await {
        Ok(r) => r,
        Err(e) => return fail(pa, e),
    };
    let stand_ins = match approvals::stand_ins(&s.app, &pa.actor).await {
        Ok(r) => r,
        Err(e) => return fail(pa, e),
    };
    let tr = pa.tr();
    let items = rows
        .iter()
        .map(|r| QueueLine {
            id: r.id,
            doc_type: tr.tk("doc_type", &r.doc_type),
            summary: r.summary.clone(),
            amount: money(r.amount_fen),
            requested_by: r.requested_by_name.clone().unwrap_or_default(),
            step: r.current_step,
        })
        .collect();
    let page = QueuePage {
        l: Layout::new(pa, "approvals.title", "/approvals"),
        items,
        delegations: delegations
            .into_iter()
            .map(|d| DelegationLine {
                id: d.id,
                to_name: d.to_name,
                valid_from: d.valid_from,
                valid_to: d.valid_to,
            })
            .collect(),
        stand_ins: stand_ins
            .into_iter()
            .map(|p| {
                let role = p
                    .role
                    .as_deref()
                    .map(|r| tr.tk("role", r))
                    .unwrap_or_default();
                (p.id, format!("{} · {role}", p.display_name))
            })
            .collect(),
        error,
    };
    (status, render(&page)).into_response()
}

pub async fn queue(State(s): State<AppState>, pa: PageActor) -> Response {
    queue_page(&s, &pa, None, StatusCode::OK).await
}

/// The approvals waiting for the person (the queue on the page), as XLSX or CSV.
pub async fn queue_export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<crate::export::FormatQuery>, QueryRejection>,
) -> Response {
    let format = q.map(|Query(q)| q.format).unwrap_or_default();
    let rows = match approvals::queue(&s.app, &pa.actor).await {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let tz = s.app.config.time_zone;
    crate::export::list_download(
        &tr,
        "approvals.title",
        &[
            "approvals.summary",
            "approvals.document",
            "approvals.amount",
            "approvals.requested_by",
            "approvals.requested_at",
            "approvals.step",
        ],
        rows.into_iter()
            .map(|r| {
                vec![
                    Cell::from(r.summary),
                    Cell::from(tr.tk("doc_type", &r.doc_type)),
                    Cell::Money(Money(r.amount_fen)),
                    Cell::from(r.requested_by_name),
                    Cell::DateTime(format_time(r.created_at, tz)),
                    Cell::Int(r.current_step),
                ]
            })
            .collect(),
        &format,
        "approvals",
    )
}

/// The person's stand-ins (the delegations on the queue page), as XLSX or CSV.
pub async fn delegations_export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<crate::export::FormatQuery>, QueryRejection>,
) -> Response {
    let format = q.map(|Query(q)| q.format).unwrap_or_default();
    let rows = match approvals::my_delegations(&s.app, &pa.actor).await {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    crate::export::list_download(
        &pa.tr(),
        "delegations.title",
        &["delegations.stand_in", "common.from", "delegations.until"],
        rows.into_iter()
            .map(|d| {
                vec![
                    Cell::from(d.to_name),
                    Cell::Date(d.valid_from),
                    Cell::Date(d.valid_to),
                ]
            })
            .collect(),
        &format,
        "delegations",
    )
}

#[derive(Deserialize, Default)]
pub struct DecisionForm {
    #[serde(default)]
    reason: String,
}

async fn decide(
    s: &AppState,
    pa: &PageActor,
    id: i64,
    form: Result<Form<DecisionForm>, FormRejection>,
    decision: Decision,
) -> Response {
    let reason = form.map(|f| f.0.reason).unwrap_or_default();
    match approvals::decide(&s.app, &pa.actor, id, decision, Some(reason)).await {
        Ok(_) => Redirect::to("/approvals").into_response(),
        Err(e) => show_error(s, pa, "decision", &[], e).await,
    }
}

/// The queue again with the error on the form that failed, or the error page.
async fn show_error(
    s: &AppState,
    pa: &PageActor,
    form: &'static str,
    fields: &[&str],
    e: AppError,
) -> Response {
    match FormError::of(form, fields, &e, &pa.tr()) {
        Some(error) => {
            let status = error.status;
            queue_page(s, pa, Some(error), status).await
        }
        None => fail(pa, e),
    }
}

#[derive(Deserialize, Default)]
pub struct DelegationForm {
    #[serde(default)]
    to_person: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_to: String,
}

/// Hands the person's approvals to a stand-in for a period (leave, travel).
pub async fn delegate(
    State(s): State<AppState>,
    pa: PageActor,
    form: Result<Form<DelegationForm>, FormRejection>,
) -> Response {
    let f = form.map(|f| f.0).unwrap_or_default();
    let result = match f.to_person.trim().parse::<i64>() {
        Ok(to) => {
            let from = Some(f.valid_from.trim().to_string()).filter(|v| !v.is_empty());
            approvals::delegate(&s.app, &pa.actor, to, from, f.valid_to.trim().to_string()).await
        }
        Err(_) => Err(AppError::invalid(
            "delegation.person_invalid",
            "to_person",
            "choose who stands in",
        )),
    };
    match result {
        Ok(_) => Redirect::to("/approvals").into_response(),
        Err(e) => show_error(&s, &pa, "delegation", DELEGATION_FIELDS, e).await,
    }
}

/// Ends a delegation early (back from leave).
pub async fn revoke_delegation(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
) -> Response {
    match approvals::revoke_delegation(&s.app, &pa.actor, id).await {
        Ok(()) => Redirect::to("/approvals").into_response(),
        Err(e) => show_error(&s, &pa, "delegation", &[], e).await,
    }
}

pub async fn approve(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    decide(&s, &pa, id, form, Decision::Approve).await
}

pub async fn reject(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    decide(&s, &pa, id, form, Decision::Reject).await
}

pub async fn send_back(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    decide(&s, &pa, id, form, Decision::SendBack).await
}
