//! Shipments: created from a confirmed order with partial quantities, shipped (which moves the
//! goods' value from the dealer's open-order exposure to unbilled goods), and delivered with
//! shortage and damage claims settled by credit (the units are not billed) or re-shipment (the
//! units go back to be shipped again on the order line).

use crate::audit::{record, snapshot};
use crate::dates::parse_day;
use crate::{Actor, App, AppError};
use salesos_domain::credit::EntryKind;
use salesos_domain::fulfilment::{self as rules, DeliveryClaim};
use salesos_domain::orders::Status;
use salesos_domain::roles::Capability;
use salesos_domain::FieldError;
use salesos_store::billing::{self as billing_store, InvoiceRow};
use salesos_store::credit::{self as credit_store, Posting};
use salesos_store::orders as orders_store;
use salesos_store::shipments::{
    self as store, ClaimRow, NewClaim, NewShipment, ShipmentFilter, ShipmentLineRow, ShipmentRow,
};
use salesos_store::{Conn, WriteTx};
use serde::{Deserialize, Serialize};

/// The most characters of a carrier, station, tracking number or note.
const MAX_TEXT: usize = 200;

#[derive(Debug, Clone, Serialize)]
pub struct ShipmentDetail {
    pub shipment: ShipmentRow,
    pub lines: Vec<ShipmentLineRow>,
    pub claims: Vec<ClaimRow>,
    pub invoices: Vec<InvoiceRow>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ShipLineInput {
    /// The order line's number.
    pub line_no: i64,
    pub quantity: i64,
}

#[derive(Debug, Clone, Default)]
pub struct NewShipmentInput {
    /// Empty: everything still open on the order.
    pub lines: Vec<ShipLineInput>,
    pub carrier: Option<String>,
    pub consignment_station: Option<String>,
    pub tracking_no: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct DeliveryLineInput {
    /// The shipment line's id.
    pub line_id: i64,
    #[serde(default)]
    pub short_qty: i64,
    #[serde(default)]
    pub damaged_qty: i64,
    /// Of the short and damaged units, how many to ship again; the rest is credited.
    #[serde(default)]
    pub reship_qty: i64,
}

#[derive(Debug, Clone, Default)]
pub struct DeliveryInput {
    pub delivered_on: Option<String>,
    /// Lines with a claim; lines not named arrived complete.
    pub lines: Vec<DeliveryLineInput>,
}

fn clean(value: Option<String>, field: &'static str) -> Result<Option<String>, AppError> {
    let value = value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    if value.as_ref().is_some_and(|v| v.chars().count() > MAX_TEXT) {
        return Err(AppError::invalid(
            "shipment.text_too_long",
            field,
            format!("at most {MAX_TEXT} characters"),
        ));
    }
    Ok(value)
}

fn wrong_state(what: &str, status: &str) -> AppError {
    AppError::Conflict(FieldError::general(
        "shipment.wrong_state",
        format!("a shipment that is {status} cannot be {what}"),
    ))
}

fn amount(quantity: i64, unit_price_fen: i64, field: &'static str) -> Result<i64, AppError> {
    quantity.checked_mul(unit_price_fen).ok_or_else(|| {
        AppError::invalid(
            "fulfilment.amount_overflow",
            field,
            "the amount is too large",
        )
    })
}

async fn detail(conn: &mut Conn, shipment: ShipmentRow) -> Result<ShipmentDetail, AppError> {
    let id = shipment.id;
    let invoices = billing_store::list_invoices_unscoped_of_shipment(conn, id).await?;
    Ok(ShipmentDetail {
        lines: store::lines(conn, id).await?,
        claims: store::claims(conn, id).await?,
        invoices,
        shipment,
    })
}

pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &ShipmentFilter,
) -> Result<Vec<ShipmentRow>, AppError> {
    actor.require(Capability::ViewOrders)?;
    if let Some(s) = &filter.status {
        if ![
            "picking",
            "packed",
            "shipped",
            "delivered",
            "closed",
            "cancelled",
        ]
        .contains(&s.as_str())
        {
            return Err(AppError::invalid(
                "shipment.status_unknown",
                "status",
                "unknown shipment status",
            ));
        }
    }
    let mut conn = app.store.read().await?;
    Ok(store::list(&mut conn, &actor.scope, filter).await?)
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<ShipmentDetail, AppError> {
    actor.require(Capability::ViewOrders)?;
    let mut conn = app.store.read().await?;
    let shipment = store::get(&mut conn, &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "shipment" })?;
    detail(&mut conn, shipment).await
}

/// What is still open to ship on each line of an order the person may see.
pub async fn open_lines(
    app: &App,
    actor: &Actor,
    order_id: i64,
) -> Result<Vec<store::OrderLineFacts>, AppError> {
    actor.require(Capability::ViewOrders)?;
    let mut conn = app.store.read().await?;
    orders_store::get(&mut conn, &actor.scope, order_id)
        .await?
        .ok_or(AppError::NotFound { entity: "order" })?;
    Ok(store::order_lines(&mut conn, order_id).await?)
}

async fn finish(
    mut tx: WriteTx,
    actor: &Actor,
    operation: &str,
    id: i64,
    before: Option<serde_json::Value>,
) -> Result<ShipmentDetail, AppError> {
    let shipment = store::get_unscoped(tx.conn(), id)
        .await?
        .ok_or(AppError::Internal("shipment vanished".into()))?;
    let after = detail(tx.conn(), shipment).await?;
    record(
        tx.conn(),
        actor,
        operation,
        "shipment",
        id,
        Some(&after.shipment.node_path),
        before,
        snapshot(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Creates a shipment (picking) from a confirmed or partially shipped order. Each line ships
/// at most what is still open, counting shipments not yet shipped.
pub async fn create(
    app: &App,
    actor: &Actor,
    order_id: i64,
    input: NewShipmentInput,
) -> Result<ShipmentDetail, AppError> {
    actor.require(Capability::Ship)?;
    let carrier = clean(input.carrier, "carrier")?;
    let station = clean(input.consignment_station, "consignment_station")?;
    let tracking = clean(input.tracking_no, "tracking_no")?;
    let note = clean(input.note, "note")?;
    if carrier.is_none() && station.is_none() {
        return Err(AppError::invalid(
            "shipment.carrier_required",
            "carrier",
            "name the carrier or the consignment station",
        ));
    }
    let mut tx = app.store.begin().await?;
    let order = orders_store::get(tx.conn(), &actor.scope, order_id)
        .await?
        .ok_or(AppError::NotFound { entity: "order" })?;
    credit_store::lock_balance(&mut tx, order.dealer_id).await?;
    if !Status::parse(&order.status).is_some_and(Status::can_ship) {
        return Err(AppError::Conflict(FieldError::general(
            "shipment.order_not_shippable",
            format!("an order that is {} cannot be shipped", order.status),
        )));
    }
    let lines = store::order_lines(tx.conn(), order_id).await?;
    let wanted: Vec<(store::OrderLineFacts, i64)> = if input.lines.is_empty() {
        lines
            .iter()
            .filter_map(|l| {
                let open = l.quantity - l.shipped_qty - l.pending_qty;
                (open > 0).then(|| (l.clone(), open))
            })
            .collect()
    } else {
        let mut out = Vec::new();
        for want in &input.lines {
            if out
                .iter()
                .any(|(l, _): &(store::OrderLineFacts, i64)| l.line_no == want.line_no)
            {
                return Err(AppError::invalid(
                    "shipment.line_repeated",
                    "lines",
                    format!("order line {} is named twice", want.line_no),
                ));
            }
            let line = lines
                .iter()
                .find(|l| l.line_no == want.line_no)
                .ok_or_else(|| {
                    AppError::invalid(
                        "shipment.line_unknown",
                        "lines",
                        format!("the order has no line {}", want.line_no),
                    )
                })?;
            rules::check_shipment(
                line.quantity,
                line.shipped_qty + line.pending_qty,
                want.quantity,
            )?;
            out.push((line.clone(), want.quantity));
        }
        out
    };
    if wanted.is_empty() {
        return Err(AppError::Conflict(FieldError::general(
            "shipment.nothing_to_ship",
            "everything on this order has been shipped",
        )));
    }
    let mut value = 0i64;
    let mut amounts = Vec::new();
    for (line, qty) in &wanted {
        let a = amount(*qty, line.unit_price_fen, "quantity")?;
        value = value.checked_add(a).ok_or_else(|| {
            AppError::invalid(
                "fulfilment.amount_overflow",
                "lines",
                "the amount is too large",
            )
        })?;
        amounts.push(a);
    }
    let number = store::next_number(tx.conn(), "SH").await?;
    let id = store::insert(
        tx.conn(),
        NewShipment {
            number: &number,
            order_id,
            dealer_id: order.dealer_id,
            carrier: carrier.as_deref(),
            consignment_station: station.as_deref(),
            tracking_no: tracking.as_deref(),
            value_fen: value,
            node_path: &order.node_path,
            owner_id: order.owner_id,
            note: note.as_deref(),
            created_by: actor.person_id(),
        },
    )
    .await?;
    for ((line, qty), a) in wanted.iter().zip(amounts) {
        store::insert_line(tx.conn(), id, line, *qty, a).await?;
    }
    finish(tx, actor, "shipment.create", id, None).await
}

/// Loads a shipment for a change, with the dealer's balance locked.
async fn load_for_change(
    tx: &mut WriteTx,
    actor: &Actor,
    id: i64,
) -> Result<ShipmentRow, AppError> {
    actor.require(Capability::Ship)?;
    let s = store::get(tx.conn(), &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "shipment" })?;
    credit_store::lock_balance(tx, s.dealer_id).await?;
    store::get(tx.conn(), &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "shipment" })
}

/// Moves the order to partially shipped or shipped from what is still open.
async fn update_order_state(
    conn: &mut Conn,
    actor: &Actor,
    order_id: i64,
    action: &str,
) -> Result<(), AppError> {
    let order = orders_store::get_unscoped(conn, order_id)
        .await?
        .ok_or(AppError::Internal("order vanished".into()))?;
    let lines = store::order_lines(conn, order_id).await?;
    let open_units: i64 = lines.iter().map(|l| l.quantity - l.shipped_qty).sum();
    let open_value: i64 = lines
        .iter()
        .map(|l| (l.quantity - l.shipped_qty) * l.unit_price_fen)
        .sum();
    let mut next = Status::after_shipping(open_units);
    if next == Status::Shipped && store::all_invoiced(conn, order_id).await? {
        next = Status::Closed;
    }
    orders_store::set_state(conn, order_id, next.code(), open_value).await?;
    if next.code() != order.status {
        orders_store::add_event(
            conn,
            order_id,
            actor.person_id(),
            action,
            Some(&order.status),
            next.code(),
            None,
        )
        .await?;
    }
    Ok(())
}

/// Closes a fully shipped order once every shipment is invoiced (called by billing).
pub(crate) async fn maybe_close_order(
    conn: &mut Conn,
    actor: &Actor,
    order_id: i64,
) -> Result<(), AppError> {
    let order = orders_store::get_unscoped(conn, order_id)
        .await?
        .ok_or(AppError::Internal("order vanished".into()))?;
    if order.status == Status::Shipped.code() && store::all_invoiced(conn, order_id).await? {
        orders_store::set_state(conn, order_id, Status::Closed.code(), 0).await?;
        orders_store::add_event(
            conn,
            order_id,
            actor.person_id(),
            "close",
            Some(&order.status),
            Status::Closed.code(),
            None,
        )
        .await?;
    }
    Ok(())
}

/// Picked goods are packed and wait for the carrier (picking → packed).
pub async fn pack(app: &App, actor: &Actor, id: i64) -> Result<ShipmentDetail, AppError> {
    let mut tx = app.store.begin().await?;
    let s = load_for_change(&mut tx, actor, id).await?;
    if s.status != "picking" {
        return Err(wrong_state("packed", &s.status));
    }
    let before = detail(tx.conn(), s).await?;
    store::set_status(tx.conn(), id, "packed", None, None, None).await?;
    finish(tx, actor, "shipment.pack", id, snapshot(&before)).await
}

/// Cancels a shipment that has not left (picking or packed). Nothing was posted for it yet,
/// so its units simply become open to ship again; once the goods are shipped, only delivery
/// claims or a return can undo them.
pub async fn cancel(
    app: &App,
    actor: &Actor,
    id: i64,
    reason: Option<String>,
) -> Result<ShipmentDetail, AppError> {
    let reason = clean(reason, "reason")?.ok_or_else(|| {
        AppError::invalid(
            "shipment.reason_required",
            "reason",
            "say why the shipment is cancelled",
        )
    })?;
    let mut tx = app.store.begin().await?;
    let s = load_for_change(&mut tx, actor, id).await?;
    if !matches!(s.status.as_str(), "picking" | "packed") {
        return Err(wrong_state("cancelled", &s.status));
    }
    let before = detail(tx.conn(), s).await?;
    store::cancel(tx.conn(), id, &reason).await?;
    finish(tx, actor, "shipment.cancel", id, snapshot(&before)).await
}

/// The goods leave: the order lines' shipped quantities rise and the value moves from open
/// orders to unbilled goods on the dealer's exposure.
pub async fn ship(
    app: &App,
    actor: &Actor,
    id: i64,
    shipped_on: Option<String>,
) -> Result<ShipmentDetail, AppError> {
    let day = parse_day(shipped_on.as_deref(), &app.today(), "shipped_on")?;
    let mut tx = app.store.begin().await?;
    let s = load_for_change(&mut tx, actor, id).await?;
    if !matches!(s.status.as_str(), "picking" | "packed") {
        return Err(wrong_state("shipped", &s.status));
    }
    let before = detail(tx.conn(), s.clone()).await?;
    let order_lines = store::order_lines(tx.conn(), s.order_id).await?;
    for line in &before.lines {
        let ol = order_lines
            .iter()
            .find(|l| l.id == line.order_line_id)
            .ok_or(AppError::Internal("order line vanished".into()))?;
        rules::check_shipment(ol.quantity, ol.shipped_qty, line.quantity)?;
        store::add_shipped_qty(tx.conn(), ol.id, line.quantity).await?;
    }
    store::set_status(tx.conn(), id, "shipped", Some(&day), None, None).await?;
    for (kind, sign) in [(EntryKind::OrderShipped, -1), (EntryKind::GoodsShipped, 1)] {
        credit_store::post(
            tx.conn(),
            Posting {
                dealer_id: s.dealer_id,
                kind,
                amount_fen: sign * s.value_fen,
                doc_type: "shipment",
                doc_id: id,
                person_id: actor.person_id(),
            },
        )
        .await?;
    }
    update_order_state(tx.conn(), actor, s.order_id, "ship").await?;
    finish(tx, actor, "shipment.ship", id, snapshot(&before)).await
}

/// Delivery confirmation (签收) with shortage and damage claims. Credited units are not billed
/// (their value leaves unbilled goods); re-shipped units go back to the order line to be
/// shipped again (their value returns to open orders).
pub async fn deliver(
    app: &App,
    actor: &Actor,
    id: i64,
    input: DeliveryInput,
) -> Result<ShipmentDetail, AppError> {
    let day = parse_day(input.delivered_on.as_deref(), &app.today(), "delivered_on")?;
    let mut tx = app.store.begin().await?;
    let s = load_for_change(&mut tx, actor, id).await?;
    if s.status != "shipped" {
        return Err(wrong_state("delivered", &s.status));
    }
    if s.shipped_on.as_deref().is_some_and(|d| day.as_str() < d) {
        return Err(AppError::invalid(
            "shipment.delivered_before_shipped",
            "delivered_on",
            "delivery cannot come before shipping",
        ));
    }
    let before = detail(tx.conn(), s.clone()).await?;
    let mut seen = Vec::new();
    let mut credited_value = 0i64;
    let mut reshipped_value = 0i64;
    for claim in &input.lines {
        if seen.contains(&claim.line_id) {
            return Err(AppError::invalid(
                "shipment.line_repeated",
                "lines",
                format!("shipment line {} is named twice", claim.line_id),
            ));
        }
        seen.push(claim.line_id);
        let line = before
            .lines
            .iter()
            .find(|l| l.id == claim.line_id)
            .ok_or_else(|| {
                AppError::invalid(
                    "shipment.line_unknown",
                    "lines",
                    format!("the shipment has no line {}", claim.line_id),
                )
            })?;
        let settled = rules::settle_delivery(&DeliveryClaim {
            shipped: line.quantity,
            short: claim.short_qty,
            damaged: claim.damaged_qty,
            reship: claim.reship_qty,
        })?;
        store::set_line_claims(tx.conn(), line.id, claim.short_qty, claim.damaged_qty).await?;
        let credit = amount(settled.to_credit, line.unit_price_fen, "short_qty")?;
        let reship = amount(settled.to_reship, line.unit_price_fen, "reship_qty")?;
        credited_value += credit;
        reshipped_value += reship;
        for (qty, value, resolution) in [
            (settled.to_credit, credit, "credit_note"),
            (settled.to_reship, reship, "reshipment"),
        ] {
            if qty > 0 {
                let kind = if claim.short_qty > 0 {
                    "shortage"
                } else {
                    "damage"
                };
                store::insert_claim(
                    tx.conn(),
                    NewClaim {
                        shipment: &s,
                        shipment_line_id: line.id,
                        kind,
                        quantity: qty,
                        amount_fen: value,
                        resolution,
                    },
                )
                .await?;
            }
        }
        if settled.to_reship > 0 {
            store::add_shipped_qty(tx.conn(), line.order_line_id, -settled.to_reship).await?;
        }
    }
    let billable = s.value_fen - credited_value - reshipped_value;
    store::set_status(tx.conn(), id, "delivered", None, Some(&day), Some(billable)).await?;
    let mut postings = vec![];
    if credited_value > 0 {
        postings.push((EntryKind::GoodsBilled, -credited_value, "delivery_claim"));
    }
    if reshipped_value > 0 {
        postings.push((EntryKind::GoodsShipped, -reshipped_value, "delivery_claim"));
        postings.push((EntryKind::OrderShipped, reshipped_value, "delivery_claim"));
    }
    for (kind, amount_fen, doc_type) in postings {
        credit_store::post(
            tx.conn(),
            Posting {
                dealer_id: s.dealer_id,
                kind,
                amount_fen,
                doc_type,
                doc_id: id,
                person_id: actor.person_id(),
            },
        )
        .await?;
    }
    if reshipped_value > 0 {
        update_order_state(tx.conn(), actor, s.order_id, "reship").await?;
    }
    if billable == 0 {
        // nothing left to bill: the shipment is settled without an invoice
        store::mark_invoiced(tx.conn(), id).await?;
        maybe_close_order(tx.conn(), actor, s.order_id).await?;
    }
    finish(tx, actor, "shipment.deliver", id, snapshot(&before)).await
}
