//! Scheduled jobs that run exactly once per period, however many servers share the database.
//!
//! Every server's housekeeping loop calls [`run_due`] on a short tick. A job is due when its
//! period key (for monthly jobs the month, `YYYY-MM`) has no row in `jobs` yet. The first server
//! to insert `(name, period)` wins the `UNIQUE` constraint and runs the body; every other server
//! sees the row and skips. The claim commits before the body runs and carries a lease that the
//! running server renews (a heartbeat) until the body ends. A server that dies mid-run leaves the
//! row `running` with a lease that runs out; the next tick on any server then takes the run over
//! (one guarded UPDATE, so exactly one server wins) and runs the body again. Bodies are written
//! to be rerun safely after a partial run. Works the same on SQLite and PostgreSQL.

use crate::audit::{record, snapshot};
use crate::{credit_limits, Actor, App, AppError};
use salesos_store::jobs::{self as store, Claim, JobRow};
use std::future::Future;
use std::time::Duration;

/// The monthly suggested-credit-limit job.
pub const CREDIT_LIMITS: &str = "credit-limits";

/// The names `salesos jobs run` accepts.
pub const ALL: [&str; 1] = [CREDIT_LIMITS];

/// How long a claim holds without a heartbeat. Long against the heartbeat, so a busy database
/// does not cost a live server its run; short against the scheduler's five-minute tick.
pub const LEASE: Duration = Duration::from_secs(120);

/// What one attempt at a job's period did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// This caller claimed the period (or took over an expired run) and ran the body; its
    /// result text.
    Ran(String),
    /// Somebody (another server, an earlier run) had already claimed the period and finished it
    /// or still holds its lease.
    AlreadyClaimed,
}

/// Runs `body` for `(name, period)` if nobody has claimed that period yet, or if the run that
/// claimed it stopped renewing its lease. The claim is its own committed transaction; the row is
/// then closed as `done` with the body's result, or `failed` with the error (a failed period is
/// not retried automatically).
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
    run_leased(app, actor, name, period, server, LEASE, body).await
}

/// [`run_once`] with a lease of a chosen length (tests use a short one).
pub async fn run_leased<F, Fut>(
    app: &App,
    actor: &Actor,
    name: &str,
    period: &str,
    server: &str,
    lease: Duration,
    body: F,
) -> Result<Outcome, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<String, AppError>>,
{
    let lease_micros = i64::try_from(lease.as_micros()).unwrap_or(i64::MAX / 2);
    // cheap read first: once a period is finished or held, later ticks take no write lock
    let existing = {
        let mut conn = app.store.read().await?;
        store::get(&mut conn, name, period).await?
    };
    if existing
        .as_ref()
        .is_some_and(|j| j.status != "running" || !lease_expired(j))
    {
        return Ok(Outcome::AlreadyClaimed);
    }
    let mut tx = app.store.begin().await?;
    let claimed = match existing {
        None => store::claim(tx.conn(), name, period, server, lease_micros).await?,
        Some(_) => store::take_over_expired(tx.conn(), name, period, server, lease_micros).await?,
    };
    tx.commit().await?;
    let Some(claim) = claimed else {
        return Ok(Outcome::AlreadyClaimed);
    };
    if claim.attempt > 1 {
        tracing::warn!(
            job = name,
            period,
            server,
            attempt = claim.attempt,
            "job taken over after its lease ran out"
        );
    } else {
        tracing::info!(job = name, period, server, "job claimed");
    }
    // the heartbeat runs beside the body (not between its steps), so it never waits on a
    // write lock the body holds
    let result = tokio::select! {
        result = body() => result,
        never = heartbeat(app, claim, lease, lease_micros) => match never {},
    };
    let (status, text) = match &result {
        Ok(text) => ("done", text.clone()),
        Err(e) => ("failed", e.to_string()),
    };
    let mut tx = app.store.begin().await?;
    if !store::finish(tx.conn(), claim, status, &text).await? {
        tx.rollback().await?;
        tracing::warn!(
            job = name,
            period,
            "job run was taken over by another server; its result is not recorded"
        );
        return Ok(Outcome::AlreadyClaimed);
    }
    let row = store::get(tx.conn(), name, period).await?;
    record(
        tx.conn(),
        actor,
        "job.run",
        "job",
        claim.id,
        None,
        None,
        snapshot(&row),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(job = name, period, status, result = %text, "job finished");
    result.map(Outcome::Ran)
}

fn lease_expired(job: &JobRow) -> bool {
    job.lease_until
        .is_none_or(|until| until < salesos_store::now_micros())
}

/// Renews the lease of `claim` every third of its length, for as long as it is polled.
async fn heartbeat(
    app: &App,
    claim: Claim,
    lease: Duration,
    lease_micros: i64,
) -> std::convert::Infallible {
    let mut tick = tokio::time::interval(lease / 3);
    tick.tick().await; // the first tick is immediate; the claim has just set the lease
    loop {
        tick.tick().await;
        let renewed = async {
            let mut tx = app.store.begin().await?;
            let renewed = store::renew_lease(tx.conn(), claim, lease_micros).await?;
            tx.commit().await?;
            Ok::<_, AppError>(renewed)
        }
        .await;
        match renewed {
            Ok(true) => {}
            Ok(false) => tracing::warn!(job = claim.id, "job lease lost to another server"),
            Err(err) => tracing::warn!(job = claim.id, error = %err, "job lease not renewed"),
        }
    }
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
        crate::pae_pack::JOB => {
            credit_limits::parse_period(period)?;
            run_once(app, actor, name, period, server, || {
                crate::pae_pack::generate_all(app, period, server)
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
    // the PAE pack is due for the month before, from its day of the month on
    if let Some(month) = crate::pae_pack::due_now(app) {
        let r = run_job(app, actor, crate::pae_pack::JOB, &month, server).await;
        out.push((crate::pae_pack::JOB.to_string(), r));
    }
    out
}

/// The latest job runs (admin view and CLI).
pub async fn recent(app: &App, limit: i64) -> Result<Vec<JobRow>, AppError> {
    let mut conn = app.store.read().await?;
    Ok(store::recent(&mut conn, limit).await?)
}
