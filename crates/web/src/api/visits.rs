//! `/api/v1/visits`: field visits (拜访) to dealers, which the `visits` targets count.

use super::{ApiJson, ApiQuery};
use crate::problem::{ApiError, Problem};
use crate::session::ApiActor;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use salesos_app::visits::{self, NewVisitInput};
use salesos_domain::visits::VisitInput;
use salesos_store::visits::{VisitFilter, VisitRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VisitOut {
    pub id: i64,
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    /// The dealer's owner on the day of the visit.
    pub owner_id: i64,
    /// Who paid the visit.
    pub visited_by: i64,
    pub visited_by_name: String,
    /// RFC 3339, UTC.
    pub visited_at: String,
    /// The day of the visit in the company's time zone.
    pub visit_day: String,
    pub purpose: String,
    pub outcome: Option<String>,
    /// The check-in location as typed.
    pub location: Option<String>,
}

impl From<&VisitRow> for VisitOut {
    fn from(v: &VisitRow) -> Self {
        VisitOut {
            id: v.id,
            dealer_id: v.dealer_id,
            dealer_code: v.dealer_code.clone(),
            dealer_name: v.dealer_name.clone(),
            owner_id: v.owner_id,
            visited_by: v.visited_by,
            visited_by_name: v.visited_by_name.clone(),
            visited_at: chrono::DateTime::from_timestamp_micros(v.visited_at)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
            visit_day: v.visit_day.clone(),
            purpose: v.purpose.clone(),
            outcome: v.outcome.clone(),
            location: v.location.clone(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitQuery {
    pub dealer_id: Option<i64>,
    /// Who paid the visits.
    pub visited_by: Option<i64>,
    /// First day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    pub to: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Turns the list's query into a filter; a malformed day is a 422 naming the field.
pub fn filter_of(
    dealer_id: Option<i64>,
    visited_by: Option<i64>,
    from: Option<&str>,
    to: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<VisitFilter, salesos_app::AppError> {
    use salesos_app::dates::parse_optional_day;
    Ok(VisitFilter {
        dealer_id,
        visited_by,
        from: parse_optional_day(from, "from")?,
        to: parse_optional_day(to, "to")?,
        limit,
        offset,
    })
}

/// Visits in the caller's scope, latest first: field staff see the visits they made, managers
/// the visits to dealers in their part of the organisation.
#[utoipa::path(get, path = "/api/v1/visits", tag = "visits", params(VisitQuery),
    responses((status = 200, body = [VisitOut]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    a: ApiActor,
    ApiQuery(q): ApiQuery<VisitQuery>,
) -> Result<Json<Vec<VisitOut>>, ApiError> {
    let filter = filter_of(
        q.dealer_id,
        q.visited_by,
        q.from.as_deref(),
        q.to.as_deref(),
        q.limit.unwrap_or(100),
        q.offset.unwrap_or(0),
    )
    .map_err(|e| a.fail(e))?;
    let rows = visits::list(&s.app, &a.actor, &filter)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(Json(rows.iter().map(VisitOut::from).collect()))
}

#[derive(Debug, Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct NewVisitIn {
    pub dealer_id: Option<i64>,
    /// Who paid the visit; default the caller. A manager may record a visit of someone in
    /// their team.
    pub visited_by: Option<i64>,
    /// RFC 3339, or a local time in the company's time zone (`2026-11-30T09:30`). Not in the
    /// future.
    pub visited_at: Option<String>,
    /// What the visit was for (1–200 characters).
    pub purpose: Option<String>,
    /// What came of it (up to 2000 characters).
    pub outcome: Option<String>,
    /// Where the visitor checked in (up to 200 characters).
    pub location: Option<String>,
}

/// Records a visit to a dealer in the caller's scope (another dealer: 404).
#[utoipa::path(post, path = "/api/v1/visits", tag = "visits", request_body = NewVisitIn,
    responses((status = 201, body = VisitOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    a: ApiActor,
    ApiJson(body): ApiJson<NewVisitIn>,
) -> Result<(StatusCode, Json<VisitOut>), ApiError> {
    let input = NewVisitInput {
        dealer_id: body.dealer_id,
        visited_by: body.visited_by,
        visit: VisitInput {
            visited_at: body.visited_at,
            purpose: body.purpose,
            outcome: body.outcome,
            location: body.location,
        },
    };
    let v = visits::create(&s.app, &a.actor, input)
        .await
        .map_err(|e| a.fail(e))?;
    Ok((StatusCode::CREATED, Json(VisitOut::from(&v))))
}
