//! The approvals queue: what waits for the signed-in person, with approve and reject.

use super::orders::money;
use super::{fail, render, Layout};
use crate::problem::message_of;
use crate::session::PageActor;
use crate::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use salesos_app::{approvals, AppError};
use salesos_domain::approvals::Decision;
use serde::Deserialize;

pub struct QueueLine {
    pub id: i64,
    pub doc_type: String,
    pub summary: String,
    pub amount: String,
    pub requested_by: String,
    pub step: i64,
}

#[derive(Template)]
#[template(path = "approvals_queue.html")]
struct QueuePage {
    l: Layout,
    items: Vec<QueueLine>,
    error: Option<String>,
}

async fn queue_page(
    s: &AppState,
    pa: &PageActor,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let rows = match approvals::queue(&s.app, &pa.actor).await {
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
        error,
    };
    (status, render(&page)).into_response()
}

pub async fn queue(State(s): State<AppState>, pa: PageActor) -> Response {
    queue_page(&s, &pa, None, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct DecisionForm {
    #[serde(default)]
    reason: String,
}

async fn decide(
    s: &AppState,
    pa: &PageActor,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<DecisionForm>, FormRejection>,
    decision: Decision,
) -> Response {
    let Ok(Path(id)) = id else {
        return fail(pa, AppError::NotFound { entity: "approval" });
    };
    let reason = form.map(|f| f.0.reason).unwrap_or_default();
    match approvals::decide(&s.app, &pa.actor, id, decision, Some(reason)).await {
        Ok(_) => Redirect::to("/approvals").into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let status = crate::problem::status_of(&e);
            queue_page(s, pa, Some(message_of(&e, &pa.tr())), status).await
        }
        Err(e) => fail(pa, e),
    }
}

pub async fn approve(
    State(s): State<AppState>,
    pa: PageActor,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    decide(&s, &pa, id, form, Decision::Approve).await
}

pub async fn reject(
    State(s): State<AppState>,
    pa: PageActor,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    decide(&s, &pa, id, form, Decision::Reject).await
}

pub async fn send_back(
    State(s): State<AppState>,
    pa: PageActor,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    decide(&s, &pa, id, form, Decision::SendBack).await
}
