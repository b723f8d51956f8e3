//! Orders: take, edit, confirm, cancel and reopen, with the credit check on every change that
//! can raise the dealer's exposure. An order that fails the check goes on hold with an approval
//! request; only the approvals engine releases it ([`hold_decided`]).

use crate::audit::{record, snapshot};
use crate::dates::{parse_day, parse_optional_day};
use crate::{approvals, credit, Actor, App, AppError};
use salesos_domain::credit::{decide, Decision, EntryKind};
use salesos_domain::orders::{self as rules, Source, Status};
use salesos_domain::roles::{Capability, Role};
use salesos_domain::{pricing, FieldError, Money};
use salesos_store::approvals::{self as approvals_store, RequestRow};
use salesos_store::catalogue::PricedProduct;
use salesos_store::credit::{self as credit_store, HoldRow, NewHold, Posting};
use salesos_store::orders::{
    self as store, DealerFacts, EventRow, IdempotentAnswer, LineRow, NewEvent, NewLine, NewOrder,
    OrderFilter, OrderRow,
};
use salesos_store::{Conn, WriteTx};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LineInput {
    pub product_id: i64,
    pub quantity: i64,
    /// A manual unit price; the dealer's list price when absent.
    pub unit_price_fen: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewOrderInput {
    pub dealer_id: i64,
    pub order_date: Option<String>,
    pub source: Option<String>,
    pub note: Option<String>,
    pub lines: Vec<LineInput>,
    /// Keep as a draft instead of submitting at once.
    pub draft: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrderDetail {
    pub order: OrderRow,
    pub lines: Vec<LineRow>,
    pub events: Vec<EventRow>,
    pub holds: Vec<HoldRow>,
    pub approvals: Vec<RequestRow>,
}

/// A create request's retry key and the request's canonical form.
pub struct Idempotency {
    pub key: String,
    pub canonical_request: String,
}

pub enum Created {
    New(Box<OrderDetail>),
    /// The same key was used before with the same request: the first answer, as stored.
    Replayed {
        status: u16,
        body: String,
    },
}

async fn detail(conn: &mut Conn, order: OrderRow) -> Result<OrderDetail, AppError> {
    let id = order.id;
    let mut approvals = Vec::new();
    let holds = credit_store::holds_of_order(conn, id).await?;
    for h in &holds {
        let doc = if h.kind == "price" {
            "price_override"
        } else {
            "credit_hold"
        };
        approvals.extend(approvals_store::for_document(conn, doc, h.id).await?);
    }
    Ok(OrderDetail {
        lines: store::lines(conn, id).await?,
        events: store::events(conn, id).await?,
        holds,
        approvals,
        order,
    })
}

pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &OrderFilter,
) -> Result<Vec<OrderRow>, AppError> {
    actor.require(Capability::ViewOrders)?;
    if let Some(s) = &filter.status {
        if Status::parse(s).is_none() {
            return Err(AppError::invalid(
                "order.status_unknown",
                "status",
                "unknown order status",
            ));
        }
    }
    let filter = OrderFilter {
        from: parse_optional_day(filter.from.as_deref(), "from")?,
        to: parse_optional_day(filter.to.as_deref(), "to")?,
        ..filter.clone()
    };
    let mut conn = app.store.read().await?;
    Ok(store::list(&mut conn, &actor.scope, &filter).await?)
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<OrderDetail, AppError> {
    actor.require(Capability::ViewOrders)?;
    let mut conn = app.store.read().await?;
    let order = store::get(&mut conn, &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "order" })?;
    detail(&mut conn, order).await
}

/// Dealers the signed-in person may take orders for.
pub async fn dealers_for_entry(app: &App, actor: &Actor) -> Result<Vec<DealerFacts>, AppError> {
    actor.require(Capability::EnterOrders)?;
    let mut conn = app.store.read().await?;
    Ok(store::active_dealers(&mut conn, &actor.scope, 500).await?)
}

pub async fn products_for_entry(
    app: &App,
    actor: &Actor,
) -> Result<Vec<store::ProductFacts>, AppError> {
    actor.require(Capability::EnterOrders)?;
    let mut conn = app.store.read().await?;
    Ok(store::active_products(&mut conn).await?)
}

struct PricedLines {
    lines: Vec<NewLine>,
    total: Money,
    /// The lines' products as found, by id.
    products: HashMap<i64, PricedProduct>,
}

async fn price_lines(
    conn: &mut Conn,
    dealer: &DealerFacts,
    day: &str,
    input: &[LineInput],
) -> Result<PricedLines, AppError> {
    rules::check_lines_count(input.len())?;
    let mut ids: Vec<i64> = input.iter().map(|l| l.product_id).collect();
    ids.sort_unstable();
    ids.dedup();
    // every product and its price in one query; the lines are then checked in order, so the
    // first line at fault is the one reported
    let products = salesos_store::catalogue::products_priced_on(
        conn,
        dealer.price_list_id,
        &dealer.tier,
        &ids,
        day,
    )
    .await?;
    let mut lines = Vec::with_capacity(input.len());
    let mut amounts = Vec::with_capacity(input.len());
    for l in input {
        rules::check_quantity(l.quantity).map_err(|e| FieldError {
            field: Some("lines.quantity"),
            ..e
        })?;
        let product = products
            .get(&l.product_id)
            .filter(|p| p.status == "active")
            .ok_or_else(|| {
                AppError::invalid(
                    "order.product_unavailable",
                    "lines.product_id",
                    format!("product {} cannot be sold", l.product_id),
                )
            })?;
        let list = product.price.as_ref().map(|p| p.price_fen);
        let unit = match (l.unit_price_fen, list) {
            (Some(p), _) => p,
            (None, Some(p)) => p,
            (None, None) => {
                return Err(AppError::invalid(
                    "order.no_price",
                    "lines.product_id",
                    format!(
                        "the dealer's price list has no price for {} on {day}",
                        product.code
                    ),
                ));
            }
        };
        let amount = rules::line_amount(l.quantity, Money(unit)).map_err(|e| FieldError {
            field: Some("lines.unit_price_fen"),
            ..e
        })?;
        amounts.push(amount);
        lines.push(NewLine {
            product_id: product.id,
            quantity: l.quantity,
            list_price_fen: list,
            unit_price_fen: unit,
            amount_fen: amount.0,
            manual_price: l.unit_price_fen.is_some() && list != Some(unit),
            quota_id: None,
        });
    }
    Ok(PricedLines {
        total: rules::total(&amounts)?,
        lines,
        products,
    })
}

fn request_hash(canonical: &str) -> String {
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

fn check_key(key: &str) -> Result<(), AppError> {
    if key.is_empty() || key.len() > 200 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(AppError::invalid(
            "order.idempotency_key_invalid",
            "Idempotency-Key",
            "an Idempotency-Key is 1 to 200 visible ASCII characters",
        ));
    }
    Ok(())
}

/// Takes an order. Unless it is kept as a draft it is submitted at once and goes through the
/// checks (confirmed, or on hold with an approval request). With an idempotency key, a retry
/// returns the first answer (`render` turns the result into the body stored for retries).
pub async fn create(
    app: &App,
    actor: &Actor,
    input: NewOrderInput,
    idempotency: Option<Idempotency>,
    render: &(dyn Fn(&OrderDetail) -> String + Send + Sync),
) -> Result<Created, AppError> {
    actor.require(Capability::EnterOrders)?;
    if let Some(i) = &idempotency {
        check_key(&i.key)?;
    }
    let today = app.today();
    let day = parse_day(input.order_date.as_deref(), &today, "order_date")?;
    let default_source = match actor.role {
        Some(Role::SalesRep | Role::Kam) => Source::Rep,
        _ if matches!(actor.via, crate::Via::Token { .. }) => Source::Api,
        _ => Source::Desk,
    };
    let source = match input
        .source
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => default_source,
        Some(s) => Source::parse(s).ok_or_else(|| {
            AppError::invalid(
                "order.source_unknown",
                "source",
                "source is desk, rep or api",
            )
        })?,
    };
    let note = input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(AppError::invalid(
            "order.note_too_long",
            "note",
            "a note has at most 2000 characters",
        ));
    }
    // What the order is checked against but does not lock (the dealer, prices, owners) is read
    // before the write transaction, on a reader: the shared writer is held for less (SQLite
    // group commit) and so is the PostgreSQL transaction. Their errors wait until the
    // idempotency key is looked at, so a replay still gets its first answer.
    let facts = read_order_facts(app, actor, &input, &day).await;
    let mut tx = app.store.begin().await?;
    let me = actor.person_id();
    if let (Some(i), Some(person)) = (&idempotency, me) {
        if let Some(answer) = store::idempotent_answer(tx.conn(), person, &i.key).await? {
            // committed (nothing was written), not rolled back: with group commit the first
            // answer may sit in a batch not yet on disk, and a replay must not be sent before it
            tx.commit().await?;
            if answer.request_hash != request_hash(&i.canonical_request) {
                return Err(AppError::invalid(
                    "order.idempotency_mismatch",
                    "Idempotency-Key",
                    "this Idempotency-Key was used for a different request",
                ));
            }
            return Ok(Created::Replayed {
                status: u16::try_from(answer.status_code).unwrap_or(200),
                body: answer.body,
            });
        }
    }
    let OrderFacts {
        dealer,
        owner_name,
        mut priced,
        owners,
    } = facts?;
    let owner = |i: usize| owners.get(i).copied().flatten();
    // A submitted order is checked before anything is written (the same checks as `evaluate`,
    // on the lines just priced), so it is written once in its final state.
    let verdict = if input.draft {
        Verdict::Draft
    } else {
        verdict_on_new(&mut tx, app, &dealer, &mut priced, &day).await?
    };
    let (status, exposure_fen) = match verdict {
        Verdict::Draft => (Status::Draft, 0),
        Verdict::Hold { .. } => (Status::Submitted, 0),
        Verdict::Confirm => (Status::Confirmed, priced.total.0),
    };
    let at = salesos_store::now_micros();
    let id = store::insert(
        tx.conn(),
        NewOrder {
            dealer: &dealer,
            order_date: &day,
            status: status.code(),
            source: source.code(),
            desk_rep_id: owner(0),
            shipping_coordinator_id: owner(1),
            billing_rep_id: owner(2),
            total_fen: priced.total.0,
            exposure_fen,
            note: note.as_deref(),
            created_by: me,
            at,
        },
    )
    .await?;
    store::insert_lines(tx.conn(), id, &priced.lines).await?;
    let draft = Status::Draft.code();
    let submitted = Status::Submitted.code();
    let mut events = vec![NewEvent {
        action: "create",
        from: None,
        to: draft,
        note: None,
    }];
    if status != Status::Draft {
        events.push(NewEvent {
            action: "submit",
            from: Some(draft),
            to: submitted,
            note: None,
        });
    }
    if status == Status::Confirmed {
        events.push(NewEvent {
            action: "confirm",
            from: Some(submitted),
            to: status.code(),
            note: None,
        });
        credit_store::post(
            tx.conn(),
            Posting {
                dealer_id: dealer.id,
                kind: EntryKind::OrderConfirmed,
                amount_fen: priced.total.0,
                doc_type: "order",
                doc_id: id,
                person_id: me,
            },
        )
        .await?;
    }
    let event_ids = store::add_events(tx.conn(), id, me, at, &events).await?;
    let order = OrderRow {
        id,
        number: store::order_number(&day, id),
        dealer_id: dealer.id,
        dealer_code: dealer.code.clone(),
        dealer_name: dealer.name.clone(),
        order_date: day.clone(),
        status: status.code().to_string(),
        source: source.code().to_string(),
        node_id: dealer.node_id,
        node_path: dealer.node_path.clone(),
        owner_id: dealer.owner_id,
        owner_name,
        desk_rep_id: owner(0),
        shipping_coordinator_id: owner(1),
        billing_rep_id: owner(2),
        total_fen: priced.total.0,
        exposure_fen,
        note: note.clone(),
        created_by: me,
        created_at: at,
        updated_at: at,
    };
    let result = if let Verdict::Hold {
        kind,
        value,
        exposure_fen,
        overdue_fen,
    } = verdict
    {
        hold(
            &mut tx,
            actor,
            &order,
            &dealer,
            kind,
            value,
            exposure_fen,
            overdue_fen,
        )
        .await?;
        // the hold and its approval request are written by others: read the order back
        let order = store::get_unscoped(tx.conn(), id)
            .await?
            .ok_or(AppError::Internal("order vanished".into()))?;
        detail(tx.conn(), order).await?
    } else {
        // what was just written, without reading it back
        let person_name = actor.person.as_ref().map(|p| p.display_name.clone());
        OrderDetail {
            lines: line_rows(&priced),
            events: event_ids
                .iter()
                .zip(&events)
                .map(|(event_id, e)| EventRow {
                    id: *event_id,
                    at,
                    person_id: me,
                    person_name: me.and(person_name.clone()),
                    action: e.action.to_string(),
                    from_status: e.from.map(str::to_string),
                    to_status: e.to.to_string(),
                    note: e.note.map(str::to_string),
                })
                .collect(),
            holds: Vec::new(),
            approvals: Vec::new(),
            order,
        }
    };
    record(
        tx.conn(),
        actor,
        "order.create",
        "order",
        id,
        Some(&dealer.node_path),
        None,
        snapshot(&result),
    )
    .await?;
    if let (Some(i), Some(person)) = (&idempotency, me) {
        let answer = IdempotentAnswer {
            request_hash: request_hash(&i.canonical_request),
            status_code: 201,
            body: render(&result),
        };
        store::store_answer(tx.conn(), person, &i.key, &answer, id).await?;
    }
    tx.commit().await?;
    Ok(Created::New(Box::new(result)))
}

/// What a new order is checked against, read before its transaction (see `create`).
struct OrderFacts {
    dealer: DealerFacts,
    owner_name: String,
    priced: PricedLines,
    /// The order desk, warehouse and billing people looking after the dealer's node.
    owners: Vec<Option<i64>>,
}

async fn read_order_facts(
    app: &App,
    actor: &Actor,
    input: &NewOrderInput,
    day: &str,
) -> Result<OrderFacts, AppError> {
    let mut conn = app.store.read().await?;
    let (dealer, owner_name) = store::dealer_for_order(&mut conn, &actor.scope, input.dealer_id)
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "order.dealer_unknown",
                "dealer_id",
                "no such dealer in your part of the organisation",
            )
        })?;
    if dealer.status != "active" {
        return Err(AppError::invalid(
            "order.dealer_inactive",
            "dealer_id",
            "orders are taken only from active dealers",
        ));
    }
    let priced = price_lines(&mut conn, &dealer, day, &input.lines).await?;
    let owner_roles = [Role::OrderDesk, Role::Warehouse, Role::Billing].map(Role::code);
    let owners = store::people_on_path(&mut conn, &owner_roles, &dealer.node_path).await?;
    Ok(OrderFacts {
        dealer,
        owner_name,
        priced,
        owners,
    })
}

/// What a new order's checks decided.
enum Verdict {
    Draft,
    Confirm,
    Hold {
        kind: HoldKind,
        value: i64,
        exposure_fen: i64,
        overdue_fen: i64,
    },
}

/// The checks of `evaluate` for an order about to be written: the dealer's balance row is taken
/// first (as by every change to the dealer's orders), then prices, credit and, when the order
/// passes, its quotas are consumed (noted on `priced`'s lines).
async fn verdict_on_new(
    tx: &mut WriteTx,
    app: &App,
    dealer: &DealerFacts,
    priced: &mut PricedLines,
    day: &str,
) -> Result<Verdict, AppError> {
    let balance = credit_store::lock_balance(tx, dealer.id).await?;
    let price_hold = worst_manual_discount(
        priced
            .lines
            .iter()
            .map(|l| (l.manual_price, l.list_price_fen, l.unit_price_fen)),
    )
    .map(|bp| (HoldKind::Price, bp, 0));
    let hold = match price_hold {
        Some(h) => Some(h),
        None => credit_hold(tx.conn(), app, dealer, balance.exposure_fen, priced.total.0).await?,
    };
    if let Some((kind, value, overdue_fen)) = hold {
        return Ok(Verdict::Hold {
            kind,
            value,
            exposure_fen: balance.exposure_fen,
            overdue_fen,
        });
    }
    let wanted: Vec<(i64, i64)> = priced
        .lines
        .iter()
        .map(|l| (l.product_id, l.quantity))
        .collect();
    match store::take_quotas(tx.conn(), dealer.id, month_of(day), &wanted).await? {
        Ok(quotas) => {
            for (line, quota_id) in priced.lines.iter_mut().zip(quotas) {
                line.quota_id = quota_id;
            }
            Ok(Verdict::Confirm)
        }
        Err((product, remaining)) => Err(quota_exceeded(product, remaining)),
    }
}

/// The lines as [`store::lines`] reads them back.
fn line_rows(priced: &PricedLines) -> Vec<LineRow> {
    priced
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let product = priced.products.get(&l.product_id);
            let name =
                |f: fn(&PricedProduct) -> &String| product.map(f).cloned().unwrap_or_default();
            LineRow {
                line_no: i as i64 + 1,
                product_id: l.product_id,
                product_code: name(|p| &p.code),
                product_name_zh: name(|p| &p.name_zh),
                product_name_en: name(|p| &p.name_en),
                quantity: l.quantity,
                list_price_fen: l.list_price_fen,
                unit_price_fen: l.unit_price_fen,
                amount_fen: l.amount_fen,
                manual_price: l.manual_price,
            }
        })
        .collect()
}

/// The month (`YYYY-MM`) of a day, the period quotas are allocated for.
fn month_of(day: &str) -> &str {
    day.get(..7).unwrap_or(day)
}

fn quota_exceeded(product: i64, remaining: i64) -> AppError {
    AppError::Conflict(FieldError::new(
        "order.quota_exceeded",
        "lines.quantity",
        format!("the quota of product {product} has only {remaining} left this month"),
    ))
}

/// The largest discount (basis points) among lines priced by hand below what the free discount
/// allows; `None` when no line needs a price approval. Lines are `(manual, list, unit)` prices.
fn worst_manual_discount(lines: impl Iterator<Item = (bool, Option<i64>, i64)>) -> Option<i64> {
    lines
        .filter(|(manual, list, unit)| {
            *manual && pricing::needs_approval(list.map(Money), Money(*unit))
        })
        .map(|(_, list, unit)| pricing::discount_bp(list.map(Money), Money(unit)))
        .max()
}

/// The credit check on `additional` exposure: `None` passes, else the hold to put the order on
/// as `(kind, value, overdue_fen)`.
async fn credit_hold(
    conn: &mut Conn,
    app: &App,
    dealer: &DealerFacts,
    exposure_fen: i64,
    additional: i64,
) -> Result<Option<(HoldKind, i64, i64)>, AppError> {
    let pos = credit::position(conn, dealer, exposure_fen, &app.today()).await?;
    Ok(match decide(&pos, Money(additional)) {
        Decision::Pass => None,
        Decision::Overdue { overdue } => Some((HoldKind::Overdue, 0, overdue.0)),
        Decision::OverLimit { over_bp, .. } => Some((HoldKind::Credit, over_bp, 0)),
    })
}

/// draft → submitted, then the checks.
async fn submit_and_check(
    tx: &mut WriteTx,
    app: &App,
    actor: &Actor,
    id: i64,
) -> Result<(), AppError> {
    store::set_state(tx.conn(), id, Status::Submitted.code(), 0).await?;
    store::add_event(
        tx.conn(),
        id,
        actor.person_id(),
        "submit",
        Some(Status::Draft.code()),
        Status::Submitted.code(),
        None,
    )
    .await?;
    evaluate(tx, app, actor, id, true, true).await
}

/// The checks before an order holds exposure: manual prices beyond the free discount, then the
/// credit check on the amount the order would add. Passing confirms the order and posts its
/// exposure; failing puts it on hold (releasing any exposure it held) with an approval request.
/// The dealer's balance row is locked first, so concurrent checks for one dealer take turns.
async fn evaluate(
    tx: &mut WriteTx,
    app: &App,
    actor: &Actor,
    id: i64,
    check_price: bool,
    check_credit: bool,
) -> Result<(), AppError> {
    let order0 = store::get_unscoped(tx.conn(), id)
        .await?
        .ok_or(AppError::Internal("order vanished".into()))?;
    let balance = credit_store::lock_balance(tx, order0.dealer_id).await?;
    // read again under the lock: the order itself may have changed meanwhile
    let order = store::get_unscoped(tx.conn(), id)
        .await?
        .ok_or(AppError::Internal("order vanished".into()))?;
    let dealer = store::dealer_unscoped(tx.conn(), order.dealer_id)
        .await?
        .ok_or(AppError::Internal("dealer vanished".into()))?;
    if check_price {
        let lines = store::lines(tx.conn(), id).await?;
        let worst = worst_manual_discount(
            lines
                .iter()
                .map(|l| (l.manual_price, l.list_price_fen, l.unit_price_fen)),
        );
        if let Some(bp) = worst {
            return hold(
                tx,
                actor,
                &order,
                &dealer,
                HoldKind::Price,
                bp,
                balance.exposure_fen,
                0,
            )
            .await;
        }
    }
    let additional = order.total_fen - order.exposure_fen;
    if check_credit {
        if let Some((kind, value, overdue_fen)) =
            credit_hold(tx.conn(), app, &dealer, balance.exposure_fen, additional).await?
        {
            return hold(
                tx,
                actor,
                &order,
                &dealer,
                kind,
                value,
                balance.exposure_fen,
                overdue_fen,
            )
            .await;
        }
    }
    // a confirmed order consumes its quotas (scarce products per market or dealer and month)
    store::release_quotas(tx.conn(), id).await?;
    if let Some((product, remaining)) =
        store::reserve_quotas(tx.conn(), id, dealer.id, month_of(&order.order_date)).await?
    {
        return Err(quota_exceeded(product, remaining));
    }
    let kind = if order.exposure_fen == 0 {
        EntryKind::OrderConfirmed
    } else {
        EntryKind::OrderAdjusted
    };
    credit_store::post(
        tx.conn(),
        Posting {
            dealer_id: dealer.id,
            kind,
            amount_fen: additional,
            doc_type: "order",
            doc_id: id,
            person_id: actor.person_id(),
        },
    )
    .await?;
    store::set_state(tx.conn(), id, Status::Confirmed.code(), order.total_fen).await?;
    if order.status != Status::Confirmed.code() {
        store::add_event(
            tx.conn(),
            id,
            actor.person_id(),
            "confirm",
            Some(&order.status),
            Status::Confirmed.code(),
            None,
        )
        .await?;
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum HoldKind {
    Credit,
    Overdue,
    Price,
}

impl HoldKind {
    fn code(self) -> &'static str {
        match self {
            HoldKind::Credit => "credit",
            HoldKind::Overdue => "overdue",
            HoldKind::Price => "price",
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn hold(
    tx: &mut WriteTx,
    actor: &Actor,
    order: &OrderRow,
    dealer: &DealerFacts,
    kind: HoldKind,
    value: i64,
    exposure_fen: i64,
    overdue_fen: i64,
) -> Result<(), AppError> {
    if order.exposure_fen != 0 {
        release_exposure(tx.conn(), actor, order).await?;
    }
    store::release_quotas(tx.conn(), order.id).await?;
    store::set_state(tx.conn(), order.id, Status::OnHold.code(), 0).await?;
    let hold_id = credit_store::insert_hold(
        tx.conn(),
        NewHold {
            order_id: order.id,
            dealer_id: dealer.id,
            kind: kind.code(),
            exposure_fen,
            limit_fen: dealer.credit_limit_fen,
            amount_fen: order.total_fen,
            overdue_fen,
        },
    )
    .await?;
    let summary = format!(
        "{} {} {}: {} ({})",
        order.number,
        dealer.code,
        dealer.name,
        Money(order.total_fen),
        kind.code()
    );
    let approval = approvals::open(
        tx.conn(),
        actor,
        approvals::Ask {
            doc_type: if kind == HoldKind::Price {
                "price_override"
            } else {
                "credit_hold"
            },
            doc_id: hold_id,
            dealer_id: Some(dealer.id),
            node_path: &order.node_path,
            owner_id: Some(order.owner_id),
            value,
            amount_fen: order.total_fen,
            summary: &summary,
        },
    )
    .await?;
    credit_store::set_hold_approval(tx.conn(), hold_id, approval).await?;
    store::add_event(
        tx.conn(),
        order.id,
        actor.person_id(),
        "hold",
        Some(&order.status),
        Status::OnHold.code(),
        Some(kind.code()),
    )
    .await?;
    Ok(())
}

async fn release_exposure(
    conn: &mut Conn,
    actor: &Actor,
    order: &OrderRow,
) -> Result<(), AppError> {
    credit_store::post(
        conn,
        Posting {
            dealer_id: order.dealer_id,
            kind: EntryKind::OrderReleased,
            amount_fen: -order.exposure_fen,
            doc_type: "order",
            doc_id: order.id,
            person_id: actor.person_id(),
        },
    )
    .await?;
    Ok(())
}

/// Closes an order's open holds and withdraws their approval requests.
async fn close_holds(conn: &mut Conn, actor: &Actor, order_id: i64) -> Result<(), AppError> {
    for h in credit_store::holds_of_order(conn, order_id).await? {
        if h.status != "open" {
            continue;
        }
        credit_store::resolve_hold(conn, h.id, "cancelled").await?;
        let doc = if h.kind == "price" {
            "price_override"
        } else {
            "credit_hold"
        };
        approvals::withdraw(conn, actor, doc, h.id).await?;
    }
    Ok(())
}

/// Loads an order for a change. Every change to a dealer's orders first takes the dealer's
/// balance row, so changes to one dealer's documents run one after another (no lock-order
/// surprises between holds, approvals and orders on PostgreSQL); the order is read again under it.
async fn load_for_change(tx: &mut WriteTx, actor: &Actor, id: i64) -> Result<OrderRow, AppError> {
    actor.require(Capability::EnterOrders)?;
    let order = store::get(tx.conn(), &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "order" })?;
    credit_store::lock_balance(tx, order.dealer_id).await?;
    store::get(tx.conn(), &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "order" })
}

/// Once goods are picked for an order its lines are fixed: it can no longer be edited or
/// cancelled.
async fn refuse_if_shipping(conn: &mut Conn, id: i64) -> Result<(), AppError> {
    if salesos_store::shipments::count_for_order(conn, id).await? > 0 {
        return Err(AppError::Conflict(FieldError::general(
            "order.has_shipments",
            "goods are already being shipped for this order",
        )));
    }
    Ok(())
}

fn wrong_state(what: &str, status: &str) -> AppError {
    AppError::Conflict(FieldError::general(
        "order.wrong_state",
        format!("an order that is {status} cannot be {what}"),
    ))
}

async fn finish(
    tx: WriteTx,
    actor: &Actor,
    operation: &str,
    before: &OrderDetail,
) -> Result<OrderDetail, AppError> {
    let mut tx = tx;
    let id = before.order.id;
    let order = store::get_unscoped(tx.conn(), id)
        .await?
        .ok_or(AppError::Internal("order vanished".into()))?;
    let after = detail(tx.conn(), order).await?;
    record(
        tx.conn(),
        actor,
        operation,
        "order",
        id,
        Some(&after.order.node_path),
        snapshot(&before.order),
        snapshot(&serde_json::json!({ "order": &after.order, "lines": &after.lines })),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Submits a draft: the checks run and the order is confirmed or put on hold.
pub async fn confirm(app: &App, actor: &Actor, id: i64) -> Result<OrderDetail, AppError> {
    let mut tx = app.store.begin().await?;
    let order = load_for_change(&mut tx, actor, id).await?;
    if !Status::parse(&order.status).is_some_and(Status::can_submit) {
        return Err(wrong_state("submitted", &order.status));
    }
    let before = detail(tx.conn(), order).await?;
    submit_and_check(&mut tx, app, actor, id).await?;
    finish(tx, actor, "order.confirm", &before).await
}

/// Replaces the lines. A confirmed order is checked again for what it adds; an order on hold
/// loses its hold and is checked afresh.
pub async fn update_lines(
    app: &App,
    actor: &Actor,
    id: i64,
    lines: Vec<LineInput>,
) -> Result<OrderDetail, AppError> {
    let mut tx = app.store.begin().await?;
    let order = load_for_change(&mut tx, actor, id).await?;
    let status = Status::parse(&order.status).ok_or(AppError::Internal("bad status".into()))?;
    if !status.editable() {
        return Err(wrong_state("edited", &order.status));
    }
    refuse_if_shipping(tx.conn(), id).await?;
    if salesos_store::shipments::lines_picked(tx.conn(), id).await? {
        // a cancelled shipment still records which lines it picked
        return Err(AppError::Conflict(FieldError::general(
            "order.lines_picked",
            "a shipment was made from these lines; cancel the order and take a new one",
        )));
    }
    let dealer = store::dealer_unscoped(tx.conn(), order.dealer_id)
        .await?
        .ok_or(AppError::Internal("dealer vanished".into()))?;
    let priced = price_lines(tx.conn(), &dealer, &order.order_date, &lines).await?;
    let before = detail(tx.conn(), order).await?;
    store::release_quotas(tx.conn(), id).await?;
    store::replace_lines(tx.conn(), id, &priced.lines, priced.total.0).await?;
    store::add_event(
        tx.conn(),
        id,
        actor.person_id(),
        "edit",
        Some(status.code()),
        status.code(),
        None,
    )
    .await?;
    if status != Status::Draft {
        close_holds(tx.conn(), actor, id).await?;
        evaluate(&mut tx, app, actor, id, true, true).await?;
    }
    finish(tx, actor, "order.update", &before).await
}

pub async fn cancel(
    app: &App,
    actor: &Actor,
    id: i64,
    reason: Option<String>,
) -> Result<OrderDetail, AppError> {
    let mut tx = app.store.begin().await?;
    let order = load_for_change(&mut tx, actor, id).await?;
    if !Status::parse(&order.status).is_some_and(Status::can_cancel) {
        return Err(wrong_state("cancelled", &order.status));
    }
    refuse_if_shipping(tx.conn(), id).await?;
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    let before = detail(tx.conn(), order.clone()).await?;
    close_holds(tx.conn(), actor, id).await?;
    if order.exposure_fen != 0 {
        credit_store::lock_balance(&mut tx, order.dealer_id).await?;
        let order = store::get_unscoped(tx.conn(), id)
            .await?
            .ok_or(AppError::Internal("order vanished".into()))?;
        release_exposure(tx.conn(), actor, &order).await?;
    }
    store::release_quotas(tx.conn(), id).await?;
    store::set_state(tx.conn(), id, Status::Cancelled.code(), 0).await?;
    store::add_event(
        tx.conn(),
        id,
        actor.person_id(),
        "cancel",
        Some(&before.order.status),
        Status::Cancelled.code(),
        reason.as_deref(),
    )
    .await?;
    finish(tx, actor, "order.cancel", &before).await
}

/// Brings a cancelled order back: it is submitted and checked again like a new one.
pub async fn reopen(app: &App, actor: &Actor, id: i64) -> Result<OrderDetail, AppError> {
    let mut tx = app.store.begin().await?;
    let order = load_for_change(&mut tx, actor, id).await?;
    if !Status::parse(&order.status).is_some_and(Status::can_reopen) {
        return Err(wrong_state("reopened", &order.status));
    }
    let dealer = store::dealer_unscoped(tx.conn(), order.dealer_id)
        .await?
        .ok_or(AppError::Internal("dealer vanished".into()))?;
    if dealer.status != "active" {
        return Err(AppError::Conflict(FieldError::general(
            "order.dealer_inactive",
            "orders are taken only from active dealers",
        )));
    }
    let before = detail(tx.conn(), order).await?;
    store::set_state(tx.conn(), id, Status::Submitted.code(), 0).await?;
    store::add_event(
        tx.conn(),
        id,
        actor.person_id(),
        "reopen",
        Some(Status::Cancelled.code()),
        Status::Submitted.code(),
        None,
    )
    .await?;
    evaluate(&mut tx, app, actor, id, true, true).await?;
    finish(tx, actor, "order.reopen", &before).await
}

/// A hold's approval was decided (called by the approvals engine inside its transaction).
pub(crate) async fn hold_decided(
    tx: &mut WriteTx,
    app: &App,
    actor: &Actor,
    hold_id: i64,
    outcome: &str,
) -> Result<(), AppError> {
    let Some(h) = credit_store::get_hold(tx.conn(), hold_id).await? else {
        return Ok(());
    };
    if h.status != "open" {
        return Ok(());
    }
    let order = store::get_unscoped(tx.conn(), h.order_id)
        .await?
        .ok_or(AppError::Internal("order vanished".into()))?;
    let before = snapshot(&order);
    match outcome {
        "approved" => {
            credit_store::resolve_hold(tx.conn(), h.id, "released").await?;
            store::add_event(
                tx.conn(),
                order.id,
                actor.person_id(),
                "release",
                Some(&order.status),
                &order.status,
                Some(&h.kind),
            )
            .await?;
            // an approved price still faces the credit check; an approved credit hold is the
            // approved exception
            let check_credit = h.kind == "price";
            evaluate(tx, app, actor, order.id, false, check_credit).await?;
        }
        "rejected" => {
            credit_store::resolve_hold(tx.conn(), h.id, "rejected").await?;
            store::add_event(
                tx.conn(),
                order.id,
                actor.person_id(),
                "reject",
                Some(&order.status),
                &order.status,
                Some(&h.kind),
            )
            .await?;
        }
        _ => {
            store::add_event(
                tx.conn(),
                order.id,
                actor.person_id(),
                "send_back",
                Some(&order.status),
                &order.status,
                Some(&h.kind),
            )
            .await?;
        }
    }
    let after = store::get_unscoped(tx.conn(), order.id).await?;
    record(
        tx.conn(),
        actor,
        "order.hold_decision",
        "order",
        order.id,
        Some(&order.node_path),
        before,
        snapshot(&serde_json::json!({ "order": after, "outcome": outcome })),
    )
    .await?;
    Ok(())
}

/// Who looks after an order: `None` leaves a role as it is.
#[derive(Debug, Clone, Default)]
pub struct OwnersInput {
    pub desk_rep_id: Option<i64>,
    pub shipping_coordinator_id: Option<i64>,
    pub billing_rep_id: Option<i64>,
}

/// Reassigns the order's desk rep, shipping coordinator or billing rep: each must hold that role
/// in the order's market or at the company.
pub async fn set_owners(
    app: &App,
    actor: &Actor,
    id: i64,
    input: OwnersInput,
) -> Result<OrderDetail, AppError> {
    let mut tx = app.store.begin().await?;
    let order = load_for_change(&mut tx, actor, id).await?;
    let mut chosen = [
        order.desk_rep_id,
        order.shipping_coordinator_id,
        order.billing_rep_id,
    ];
    let wanted = [
        (input.desk_rep_id, Role::OrderDesk, "desk_rep_id"),
        (
            input.shipping_coordinator_id,
            Role::Warehouse,
            "shipping_coordinator_id",
        ),
        (input.billing_rep_id, Role::Billing, "billing_rep_id"),
    ];
    for (i, (person, role, field)) in wanted.into_iter().enumerate() {
        let Some(person) = person else { continue };
        let ok = salesos_store::people::get_unscoped(tx.conn(), person)
            .await?
            .is_some_and(|p| may_look_after(&p, role, &order.node_path));
        if !ok {
            return Err(AppError::invalid(
                "order.owner_invalid",
                field,
                format!(
                    "choose a {} of the order's market or of the company",
                    role.code()
                ),
            ));
        }
        chosen[i] = Some(person);
    }
    let before = detail(tx.conn(), order).await?;
    store::set_owners(tx.conn(), id, chosen[0], chosen[1], chosen[2]).await?;
    store::add_event(
        tx.conn(),
        id,
        actor.person_id(),
        "owners",
        Some(&before.order.status),
        &before.order.status,
        None,
    )
    .await?;
    finish(tx, actor, "order.owners", &before).await
}

/// Whether a person may be an order's desk rep, shipping coordinator or billing rep (`role`):
/// an active holder of that role in the order's market or at the company.
fn may_look_after(p: &salesos_store::people::PersonRow, role: Role, order_path: &str) -> bool {
    p.active
        && p.role.as_deref() == Some(role.code())
        && p.node_path
            .as_deref()
            .is_some_and(|path| order_path.starts_with(path))
}

/// Who could look after an order, per owner role, for the form that changes them.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerCandidates {
    pub desk_reps: Vec<salesos_store::people::PersonRow>,
    pub shipping_coordinators: Vec<salesos_store::people::PersonRow>,
    pub billing_reps: Vec<salesos_store::people::PersonRow>,
}

pub async fn owner_candidates(
    app: &App,
    actor: &Actor,
    id: i64,
) -> Result<OwnerCandidates, AppError> {
    actor.require(Capability::EnterOrders)?;
    let mut conn = app.store.read().await?;
    let order = store::get(&mut conn, &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "order" })?;
    let people = salesos_store::people::list_all_unscoped(&mut conn).await?;
    let holders = |role: Role| {
        people
            .iter()
            .filter(|p| may_look_after(p, role, &order.node_path))
            .cloned()
            .collect()
    };
    Ok(OwnerCandidates {
        desk_reps: holders(Role::OrderDesk),
        shipping_coordinators: holders(Role::Warehouse),
        billing_reps: holders(Role::Billing),
    })
}

/// A few orders for the demo company (after its people, dealers and catalogue exist): for the
/// first active dealers, two confirmed orders and a draft, taken by the order desk.
pub async fn seed_demo(app: &App) -> Result<usize, AppError> {
    let (desk, dealers, products) = {
        let mut conn = app.store.read().await?;
        let Some(person) = salesos_store::people::find_by_login_unscoped(&mut conn, "desk").await?
        else {
            return Ok(0);
        };
        let node = match person.node_id {
            Some(id) => salesos_store::org::get_unscoped(&mut conn, id).await?,
            None => None,
        };
        let desk = Actor::from_person(person, node, crate::Via::System, "demo", "demo");
        let dealers = store::first_active_dealers_unscoped(&mut conn, 3).await?;
        let products: Vec<i64> = store::active_products(&mut conn)
            .await?
            .into_iter()
            .take(2)
            .map(|p| p.id)
            .collect();
        (desk, dealers, products)
    };
    let mut created = 0;
    for (i, dealer_id) in dealers.into_iter().enumerate() {
        let lines = products
            .iter()
            .map(|p| LineInput {
                product_id: *p,
                quantity: 12 * (i as i64 + 1),
                unit_price_fen: None,
            })
            .collect::<Vec<_>>();
        if lines.is_empty() {
            break;
        }
        let input = NewOrderInput {
            dealer_id,
            order_date: None,
            source: Some(Source::Desk.code().to_string()),
            note: None,
            lines,
            draft: i == 2,
        };
        match create(app, &desk, input, None, &|_| String::new()).await {
            Ok(_) => created += 1,
            // a dealer without prices or quota simply gets no demo order
            Err(AppError::Invalid(_) | AppError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(created)
}
