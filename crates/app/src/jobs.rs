//! Scheduled jobs that run exactly once per period, however many servers share the database.
//!
//! Every server's housekeeping loop calls [`run_due`] on a short tick. A job is due when its
//! period key (for monthly jobs the month, `YYYY-MM`) has no row in `jobs` yet. The first server
//! to insert `(name, period)` wins the `UNIQUE` constraint and runs the body; every other server
//! sees the row and skips. The claim commits before the body runs, so a body never runs twice —
//! a server that dies mid-run leaves the row `running` (visible to an operator, who can look at
//! `salesos jobs` output), never a second run. Works the same on SQLite and PostgreSQL.

use crate::audit::{record, snapshot};
use crate::{credit_limits, Actor, App, AppError};
use salesos_store::jobs::{self as store, JobRow};
use std::future::Future;

/// The monthly suggested-credit-limit job.
pub const CREDIT_LIMITS: &str = "credit-limits";

/// The names `salesos jobs run` accepts.
pub const ALL: [&str; 1] = [CREDIT_LIMITS];

/// What one attempt at a job's period did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// This caller claimed the period and ran the body; its result text.
    Ran(String),
    /// Somebody (another server, an earlier run) had already claimed the period.
    AlreadyClaimed,
}

/// Runs `body` for `(name, period)` if nobody has claimed that period yet. The claim is its own
/// committed transaction; the row is then closed as `done` with the body's result, or `failed`
/// with the error (a failed period is not retried automatically).
pub async fn run_once<F, Fut>(
    app: &App,
    actor: &Actor,
    name: &str,
    period: &str,
    server: &str,
    body: F,
) -> Result<Outcome, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<String, AppError>>,
{
    // cheap read first: once a period has its row, later ticks take no write lock
    {
        let mut conn = app.store.read().await?;
        if store::get(&mut conn, name, period).await?.is_some() {
            return Ok(Outcome::AlreadyClaimed);
        }
    }
    let mut tx = app.store.begin().await?;
    let claimed = store::claim(tx.conn(), name, period, server).await?;
    tx.commit().await?;
    let Some(id) = claimed else {
        return Ok(Outcome::AlreadyClaimed);
    };
    tracing::info!(job = name, period, server, "job claimed");
    let result = body().await;
    let (status, text) = match &result {
        Ok(text) => ("done", text.clone()),
        Err(e) => ("failed", e.to_string()),
    };
    let mut tx = app.store.begin().await?;
    store::finish(tx.conn(), id, status, &text).await?;
    let row = store::get(tx.conn(), name, period).await?;
    record(
        tx.conn(),
        actor,
        "job.run",
        "job",
        id,
        None,
        None,
        snapshot(&row),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(job = name, period, status, result = %text, "job finished");
    result.map(Outcome::Ran)
}

/// The month a monthly job is due for now (`YYYY-MM` in the company's time zone).
pub fn current_month(app: &App) -> String {
    app.today()[..7].to_string()
}

/// Runs one named job for a period (the CLI trigger and the scheduler both come here).
pub async fn run_job(
    app: &App,
    actor: &Actor,
    name: &str,
    period: &str,
    server: &str,
) -> Result<Outcome, AppError> {
    match name {
        CREDIT_LIMITS => {
            credit_limits::parse_period(period)?;
            run_once(app, actor, name, period, server, || async {
                let s = credit_limits::propose_all(app, actor, period).await?;
                Ok(s.to_string())
            })
            .await
        }
        _ => Err(AppError::invalid(
            "job.unknown",
            "name",
            "no job has this name",
        )),
    }
}

/// Every job whose current period has not run yet: called from each server's housekeeping tick.
pub async fn run_due(
    app: &App,
    actor: &Actor,
    server: &str,
) -> Vec<(String, Result<Outcome, AppError>)> {
    let mut out = Vec::new();
    for name in ALL {
        let period = current_month(app);
        let r = run_job(app, actor, name, &period, server).await;
        out.push((name.to_string(), r));
    }
    out
}

/// The latest job runs (admin view and CLI).
pub async fn recent(app: &App, limit: i64) -> Result<Vec<JobRow>, AppError> {
    let mut conn = app.store.read().await?;
    Ok(store::recent(&mut conn, limit).await?)
}
