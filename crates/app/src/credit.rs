//! Credit control: a dealer's position, the check before exposure grows, temporary credit.

use crate::audit::{record, snapshot};
use crate::{approvals, Actor, App, AppError};
use salesos_domain::credit::{Position, OVERDUE_GRACE_DAYS};
use salesos_domain::roles::Capability;
use salesos_domain::Money;
use salesos_store::credit::{self as store, EntryRow, HoldRow, TempCreditRow};
use salesos_store::orders::{self as orders_store, DealerFacts};
use salesos_store::Conn;
use serde::Serialize;

/// The dealer's position given its current exposure (read under the balance lock when it
/// decides anything).
pub async fn position(
    conn: &mut Conn,
    dealer: &DealerFacts,
    exposure_fen: i64,
    today: &str,
) -> Result<Position, AppError> {
    let (temporary, overdue) =
        store::temporary_and_overdue(conn, dealer.id, today, OVERDUE_GRACE_DAYS).await?;
    Ok(Position {
        limit: Money(dealer.credit_limit_fen),
        temporary: Money(temporary),
        exposure: Money(exposure_fen),
        overdue: Money(overdue),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct CreditView {
    pub dealer_id: i64,
    pub dealer_code: String,
    pub dealer_name: String,
    pub limit_fen: i64,
    pub temporary_fen: i64,
    pub effective_limit_fen: i64,
    pub exposure_fen: i64,
    pub open_orders_fen: i64,
    pub unbilled_fen: i64,
    pub receivables_fen: i64,
    pub overdue_fen: i64,
    pub available_fen: i64,
    pub holds: Vec<HoldRow>,
    pub temp_credits: Vec<TempCreditRow>,
    pub recent_entries: Vec<EntryRow>,
}

pub async fn dealer_credit(
    app: &App,
    actor: &Actor,
    dealer_id: i64,
) -> Result<CreditView, AppError> {
    actor.require(Capability::ViewCredit)?;
    let mut conn = app.store.read().await?;
    let dealer = orders_store::dealer(&mut conn, &actor.scope, dealer_id)
        .await?
        .ok_or(AppError::NotFound { entity: "dealer" })?;
    let balance = store::balance(&mut conn, dealer.id).await?;
    let pos = position(&mut conn, &dealer, balance.exposure_fen, &app.today()).await?;
    Ok(CreditView {
        dealer_id: dealer.id,
        dealer_code: dealer.code.clone(),
        dealer_name: dealer.name.clone(),
        limit_fen: pos.limit.0,
        temporary_fen: pos.temporary.0,
        effective_limit_fen: pos.effective_limit().0,
        exposure_fen: balance.exposure_fen,
        open_orders_fen: balance.open_orders_fen,
        unbilled_fen: balance.unbilled_fen,
        receivables_fen: balance.receivables_fen,
        overdue_fen: pos.overdue.0,
        available_fen: pos.available().0,
        holds: store::open_holds_of_dealer(&mut conn, dealer.id).await?,
        temp_credits: store::temp_credits_of_dealer(&mut conn, dealer.id).await?,
        recent_entries: store::entries(&mut conn, dealer.id, 20).await?,
    })
}

#[derive(Debug, Clone)]
pub struct TempCreditInput {
    pub amount_fen: i64,
    pub valid_from: Option<String>,
    pub valid_to: String,
    pub reason: Option<String>,
}

/// Asks for temporary credit; it counts once the approval is granted.
pub async fn request_temp_credit(
    app: &App,
    actor: &Actor,
    dealer_id: i64,
    input: TempCreditInput,
) -> Result<TempCreditRow, AppError> {
    actor.require(Capability::ViewCredit)?;
    if input.amount_fen <= 0 || input.amount_fen > 100_000_000_000 {
        return Err(AppError::invalid(
            "credit.amount_invalid",
            "amount_fen",
            "the amount must be positive",
        ));
    }
    let today = app.today();
    let from = crate::dates::parse_day(input.valid_from.as_deref(), &today, "valid_from")?;
    let to = crate::dates::parse_day(Some(&input.valid_to), &today, "valid_to")?;
    if to <= from {
        return Err(AppError::invalid(
            "credit.period_invalid",
            "valid_to",
            "the end must come after the start",
        ));
    }
    let reason = input
        .reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    let mut tx = app.store.begin().await?;
    let dealer = orders_store::dealer(tx.conn(), &actor.scope, dealer_id)
        .await?
        .ok_or(AppError::NotFound { entity: "dealer" })?;
    let id = store::insert_temp_credit(
        tx.conn(),
        dealer.id,
        input.amount_fen,
        &from,
        &to,
        reason.as_deref(),
        actor.person_id(),
    )
    .await?;
    let summary = format!(
        "{} {}: +{} {from}–{to}",
        dealer.code,
        dealer.name,
        Money(input.amount_fen)
    );
    let approval = approvals::open(
        tx.conn(),
        actor,
        approvals::Ask {
            doc_type: "temp_credit",
            doc_id: id,
            dealer_id: Some(dealer.id),
            node_path: &dealer.node_path,
            owner_id: Some(dealer.owner_id),
            value: input.amount_fen,
            amount_fen: input.amount_fen,
            summary: &summary,
        },
    )
    .await?;
    store::set_temp_credit(tx.conn(), id, "pending", Some(approval)).await?;
    let row = store::get_temp_credit(tx.conn(), id)
        .await?
        .ok_or(AppError::Internal("temporary credit vanished".into()))?;
    record(
        tx.conn(),
        actor,
        "temp_credit.request",
        "dealer",
        dealer.id,
        Some(&dealer.node_path),
        None,
        snapshot(&row),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// The approval of a temporary credit was decided.
pub(crate) async fn temp_credit_decided(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    outcome: &str,
) -> Result<(), AppError> {
    let Some(before) = store::get_temp_credit(conn, id).await? else {
        return Ok(());
    };
    let status = if outcome == "approved" {
        "approved"
    } else {
        "rejected"
    };
    store::set_temp_credit(conn, id, status, None).await?;
    let after = store::get_temp_credit(conn, id).await?;
    let path = orders_store::dealer_unscoped(conn, before.dealer_id)
        .await?
        .map(|d| d.node_path);
    record(
        conn,
        actor,
        "temp_credit.decide",
        "dealer",
        before.dealer_id,
        path.as_deref(),
        snapshot(&before),
        snapshot(&after),
    )
    .await?;
    Ok(())
}
