//! The monthly suggested credit limits: for every active dealer, the formula in
//! [`salesos_domain::credit_limit`] over its history, and — where the proposal differs from the
//! current limit — a `credit_limit_proposal` approval request whose document keeps every factor,
//! so the approver sees why. Approval applies the limit through
//! [`crate::dealers::apply_term_change`]; rejection changes nothing.
//!
//! The history for period `P` (`YYYY-MM`, the month the job runs in) is the 24 complete months
//! before `P`:
//! * **sales per month**: the totals of the dealer's *confirmed* orders by order date (orders are
//!   what every dealer has; invoiced-less-credited amounts would be closer to "net sales" and can
//!   replace this once billing covers all history);
//! * **average days to pay**: over the dealer's invoices fully paid (`paid_on`) in the 12 months
//!   before `P`, the plain mean of `paid_on − invoice_date` in days, rounded down (none → no
//!   lateness);
//! * **overdue months**: how many of the 12 months before `P` ended with an invoice unpaid more
//!   than [`OVERDUE_GRACE_DAYS`] days past its due date (an invoice counts as unpaid until its
//!   `paid_on`).
//!
//! The parameters are [`CreditLimitParams::default`] (documented with the formula).
//! A newer proposal for a dealer withdraws its older pending one.

use crate::dealers::{open_term_request, TermsInput};
use crate::{approvals, Actor, App, AppError};
use chrono::{Datelike, Months, NaiveDate};
use salesos_domain::credit::OVERDUE_GRACE_DAYS;
use salesos_domain::credit_limit::{
    suggest_credit_limit, CreditHistory, CreditLimitParams, CreditLimitProposal, HISTORY_MONTHS,
};
use salesos_domain::roles::Capability;
use salesos_domain::Money;
use salesos_store::jobs as store;
use salesos_store::{dealers, Conn};
use serde::Serialize;

pub const DOC_TYPE: &str = "credit_limit_proposal";

/// The first day of the month `YYYY-MM`.
pub fn parse_period(period: &str) -> Result<NaiveDate, AppError> {
    let bad = || {
        AppError::invalid(
            "job.period_invalid",
            "period",
            "a period looks like 2026-11",
        )
    };
    if period.len() != 7 {
        return Err(bad());
    }
    NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d").map_err(|_| bad())
}

fn months_before(start: NaiveDate, n: u32) -> NaiveDate {
    start.checked_sub_months(Months::new(n)).unwrap_or(start)
}

fn month_key(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// A dealer's history for the formula, for the period starting at `start`.
pub async fn history(
    conn: &mut Conn,
    dealer_id: i64,
    payment_term_days: i64,
    start: NaiveDate,
) -> Result<CreditHistory, AppError> {
    let from = months_before(start, HISTORY_MONTHS as u32);
    let sales =
        store::monthly_sold_orders(conn, dealer_id, &from.to_string(), &start.to_string()).await?;
    let monthly_sales = (0..HISTORY_MONTHS as u32)
        .rev()
        .map(|k| {
            let key = month_key(months_before(start, k + 1));
            Money(sales.iter().find(|(m, _)| *m == key).map_or(0, |(_, a)| *a))
        })
        .collect();
    let invoices = store::invoice_dates(conn, dealer_id).await?;
    let year_ago = months_before(start, 12);
    let paid: Vec<i64> = invoices
        .iter()
        .filter_map(|(issued, _, paid_on)| {
            let paid_on = day(paid_on.as_deref()?)?;
            let issued = day(issued)?;
            (paid_on >= year_ago && paid_on < start).then(|| (paid_on - issued).num_days().max(0))
        })
        .collect();
    let average_days_to_pay =
        (!paid.is_empty()).then(|| (paid.iter().sum::<i64>() / paid.len() as i64).min(3650));
    let overdue_months = (1..=12u32)
        .filter(|k| {
            let month_end = months_before(start, k - 1).pred_opt().unwrap_or(start);
            invoices.iter().any(|(issued, due, paid_on)| {
                let (Some(issued), Some(due)) = (day(issued), day(due)) else {
                    return false;
                };
                let unpaid_at_end = paid_on
                    .as_deref()
                    .and_then(day)
                    .is_none_or(|p| p > month_end);
                issued <= month_end
                    && (month_end - due).num_days() > OVERDUE_GRACE_DAYS
                    && unpaid_at_end
            })
        })
        .count() as i64;
    Ok(CreditHistory {
        monthly_sales,
        average_days_to_pay,
        payment_term_days: payment_term_days.clamp(0, 365),
        overdue_months,
        active: true,
    })
}

/// What one run of the job did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    pub period: String,
    pub dealers: usize,
    pub proposals: usize,
    pub unchanged: usize,
    /// Dealers with no sales in the history window: the formula has nothing to judge, so no
    /// proposal (it would only cut them to the minimum).
    pub without_history: usize,
    /// Dealers skipped because something failed (logged), e.g. nobody to approve.
    pub skipped: usize,
}

impl std::fmt::Display for RunSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "period {}: {} active dealers, {} proposals, {} unchanged, {} without sales history, {} skipped",
            self.period, self.dealers, self.proposals, self.unchanged, self.without_history, self.skipped
        )
    }
}

/// Proposes a limit for every active dealer (one transaction per dealer). System work: the
/// caller is the job runner (or the CLI), whose actor is the system actor.
pub async fn propose_all(app: &App, actor: &Actor, period: &str) -> Result<RunSummary, AppError> {
    let start = parse_period(period)?;
    let params = CreditLimitParams::default();
    let ids = {
        let mut conn = app.store.read().await?;
        store::active_dealer_ids_unscoped(&mut conn).await?
    };
    let mut summary = RunSummary {
        period: period.to_string(),
        dealers: ids.len(),
        ..RunSummary::default()
    };
    for id in ids {
        match propose_one(app, actor, id, period, start, &params).await {
            Ok(Proposed::Yes) => summary.proposals += 1,
            Ok(Proposed::Unchanged) => summary.unchanged += 1,
            Ok(Proposed::NoHistory) => summary.without_history += 1,
            Err(e) => {
                tracing::warn!(dealer = id, error = %e, "no credit-limit proposal");
                summary.skipped += 1;
            }
        }
    }
    Ok(summary)
}

enum Proposed {
    Yes,
    Unchanged,
    NoHistory,
}

async fn propose_one(
    app: &App,
    actor: &Actor,
    id: i64,
    period: &str,
    start: NaiveDate,
    params: &CreditLimitParams,
) -> Result<Proposed, AppError> {
    let mut tx = app.store.begin().await?;
    let conn = tx.conn();
    let dealer = dealers::get_unscoped(conn, id)
        .await?
        .ok_or(AppError::NotFound { entity: "dealer" })?;
    let history = history(conn, id, dealer.payment_term_days, start).await?;
    if history.monthly_sales.iter().all(|m| m.0 == 0) {
        return Ok(Proposed::NoHistory);
    }
    let proposal = suggest_credit_limit(&history, params)?;
    if proposal.proposed.0 == dealer.credit_limit_fen {
        return Ok(Proposed::Unchanged);
    }
    let pending: Vec<_> = store::term_requests_for_dealer(conn, id)
        .await?
        .into_iter()
        .filter(|old| old.kind == DOC_TYPE && old.status == "pending")
        .collect();
    // a rerun of the same period (a crashed run taken over) keeps what the first attempt proposed
    if pending.iter().any(|old| {
        old.period.as_deref() == Some(period) && old.proposed_limit_fen == Some(proposal.proposed.0)
    }) {
        return Ok(Proposed::Yes);
    }
    // a fresher proposal replaces a pending older one
    for old in pending {
        approvals::withdraw(conn, actor, DOC_TYPE, old.id).await?;
        store::decide_term_request(conn, old.id, "cancelled").await?;
    }
    let input = TermsInput {
        credit_limit_fen: Some(proposal.proposed.0),
        ..TermsInput::default()
    };
    let payload = serde_json::to_string(&input)
        .map_err(|e| AppError::Internal(format!("proposal payload: {e}")))?;
    let factors = serde_json::to_string(&Factors {
        period,
        history: &history,
        proposal: &proposal,
        params,
    })
    .map_err(|e| AppError::Internal(format!("proposal factors: {e}")))?;
    let increase = (proposal.proposed.0 - dealer.credit_limit_fen).max(0);
    // the approver's queue shows the why in one line; every factor is in the document
    let summary = format!(
        "{} {}: suggested credit limit {} → {} ({period}; average monthly sales {}, {} days late, {} overdue months, growth {} bp)",
        dealer.code,
        dealer.name,
        Money(dealer.credit_limit_fen),
        proposal.proposed,
        proposal.average_monthly_sales,
        proposal.days_late,
        proposal.overdue_months,
        proposal.growth_factor_bp,
    );
    open_term_request(
        conn,
        actor,
        &dealer,
        DOC_TYPE,
        &payload,
        Some(period),
        Some(&factors),
        Some(proposal.proposed.0),
        increase,
        &summary,
    )
    .await?;
    tx.commit().await?;
    Ok(Proposed::Yes)
}

/// Everything behind a proposal, stored with it for the approver.
#[derive(Serialize)]
struct Factors<'a> {
    period: &'a str,
    history: &'a CreditHistory,
    proposal: &'a CreditLimitProposal,
    params: &'a CreditLimitParams,
}

/// A proposal as listed for managers.
#[derive(Debug, Clone, Serialize)]
pub struct ProposalView {
    pub id: i64,
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    pub period: Option<String>,
    pub current_limit_fen: i64,
    pub proposed_limit_fen: Option<i64>,
    pub status: String,
    pub approval_id: Option<i64>,
    pub created_at: i64,
    /// `{ period, history, proposal, params }` as the job computed them.
    pub factors: serde_json::Value,
}

/// The latest proposals for dealers in scope, newest first (`period` narrows to one month).
pub async fn list(
    app: &App,
    actor: &Actor,
    period: Option<&str>,
) -> Result<Vec<ProposalView>, AppError> {
    actor.require(Capability::ViewCredit)?;
    if let Some(p) = period {
        parse_period(p)?;
    }
    let mut conn = app.store.read().await?;
    let rows = store::term_requests(&mut conn, &actor.scope, DOC_TYPE, period, 500).await?;
    Ok(rows
        .into_iter()
        .map(|r| ProposalView {
            factors: r
                .factors
                .as_deref()
                .and_then(|f| serde_json::from_str(f).ok())
                .unwrap_or(serde_json::Value::Null),
            id: r.id,
            dealer_id: r.dealer_id,
            dealer_code: r.dealer_code,
            dealer_name: r.dealer_name,
            period: r.period,
            current_limit_fen: r.current_limit_fen,
            proposed_limit_fen: r.proposed_limit_fen,
            status: r.status,
            approval_id: r.approval_id,
            created_at: r.created_at,
        })
        .collect())
}
