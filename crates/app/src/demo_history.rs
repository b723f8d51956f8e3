//! Two years of order-to-cash history for the demo company, ending today: orders priced from
//! each dealer's price list on the order date, with seasonality and growth; credit checks (holds
//! released or refused through the approvals engine's requests and steps); cancellations;
//! shipments (mostly whole, some partial, a few shortage or damage claims settled by credit or
//! re-shipment); invoices with due dates from the payment term; payments (most on time, some
//! late, a few dealers in trouble whose debt is overdue now); returns credited against the
//! original invoice.
//!
//! Deterministic: the same seed and size give the same rows. Fast: nothing goes through the
//! per-document use cases (each would read, lock, audit and commit on its own); the simulation
//! keeps each dealer's exposure and open invoices in memory, decides with the same domain rules
//! the use cases call (`credit::decide`, `approvals::chain`, `orders::line_amount`,
//! `fulfilment::settle_delivery`, `fulfilment::return_credit`, `receivables::due_date`,
//! `receivables::allocate_payment`, the invoice's `net_of`), and writes the rows those use
//! cases would have written — ledger entries included — through `store::bulk` in large
//! multi-row statements. Memory stays flat: documents are written as soon as their life is
//! decided; only in-flight ledger entries and open invoices are kept.

use crate::billing::net_of;
use crate::{Actor, App, AppError};
use chrono::{Datelike, Duration, NaiveDate, TimeZone};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use salesos_domain::approvals::{chain, Rule};
use salesos_domain::credit::{decide, Bucket, Decision, EntryKind, Position, OVERDUE_GRACE_DAYS};
use salesos_domain::dating::{Period, Timeline};
use salesos_domain::fulfilment::{self, DeliveryClaim, LineAmount};
use salesos_domain::orders::{self as order_rules, Source, Status};
use salesos_domain::receivables::{self, Allocation, OpenInvoice};
use salesos_domain::roles::Role;
use salesos_domain::Money;
use salesos_store::bulk::{self, Table, Val};
use salesos_store::{approvals as approvals_store, catalogue, dealers as dealers_store, Conn};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};

/// How much history to make.
#[derive(Debug, Clone, Copy)]
pub struct HistoryOptions {
    /// About how many order lines over the two years (the generator aims at it; the exact count
    /// depends on the dice).
    pub order_lines: u64,
    pub seed: u64,
}

impl HistoryOptions {
    pub fn lines(order_lines: u64) -> HistoryOptions {
        HistoryOptions {
            order_lines,
            seed: 20_240_101,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct HistorySummary {
    pub from: String,
    pub to: String,
    pub orders: u64,
    pub order_lines: u64,
    pub shipments: u64,
    pub invoices: u64,
    pub payments: u64,
    pub credit_notes: u64,
    pub returns: u64,
    pub delivery_claims: u64,
    pub holds: u64,
    pub holds_released: u64,
    pub cancelled_orders: u64,
    /// Every row written, all tables.
    pub rows: u64,
    pub ms: u64,
}

/// Tables in the order their rows must reach the database (parents before children).
struct Out {
    orders: Table,
    order_lines: Table,
    shipments: Table,
    shipment_lines: Table,
    claims: Table,
    invoices: Table,
    invoice_lines: Table,
    credit_notes: Table,
    returns: Table,
    return_lines: Table,
    payments: Table,
    allocations: Table,
    requests: Table,
    steps: Table,
    holds: Table,
    events: Table,
    credit_ledger: Table,
    ar_ledger: Table,
}

/// Rows buffered (all tables) before they are written: a few tens of MiB, whatever the size.
const FLUSH_ROWS: usize = 100_000;

const TABLES: [&str; 18] = [
    "orders",
    "order_lines",
    "shipments",
    "shipment_lines",
    "delivery_claims",
    "invoices",
    "invoice_lines",
    "credit_notes",
    "returns",
    "return_lines",
    "payments",
    "payment_allocations",
    "approval_requests",
    "approval_steps",
    "credit_holds",
    "order_events",
    "credit_ledger",
    "ar_ledger",
];

impl Out {
    fn new() -> Out {
        Out {
            orders: Table::new("orders", "id, number, dealer_id, order_date, status, source, node_id, node_path, owner_id, desk_rep_id, shipping_coordinator_id, billing_rep_id, total_fen, exposure_fen, note, created_by, created_at, updated_at"),
            order_lines: Table::new("order_lines", "id, order_id, line_no, product_id, quantity, list_price_fen, unit_price_fen, amount_fen, manual_price, shipped_qty"),
            shipments: Table::new("shipments", "id, number, order_id, dealer_id, status, carrier, consignment_station, tracking_no, value_fen, shipped_on, delivered_on, invoiced, node_path, owner_id, note, created_by, created_at, updated_at"),
            shipment_lines: Table::new("shipment_lines", "id, shipment_id, order_line_id, product_id, quantity, unit_price_fen, amount_fen, short_qty, damaged_qty"),
            claims: Table::new("delivery_claims", "id, shipment_id, shipment_line_id, dealer_id, kind, quantity, amount_fen, resolution, node_path, owner_id, created_at, resolved_at"),
            invoices: Table::new("invoices", "id, number, dealer_id, order_id, shipment_id, invoice_date, due_date, payment_term_days, net_fen, tax_fen, gross_fen, open_fen, status, paid_on, node_path, owner_id, created_by, created_at, updated_at"),
            invoice_lines: Table::new("invoice_lines", "id, invoice_id, line_no, shipment_line_id, product_id, quantity, unit_price_fen, tax_rate_bp, net_fen, tax_fen, gross_fen"),
            credit_notes: Table::new("credit_notes", "id, number, dealer_id, invoice_id, shipment_id, issued_on, reason, amount_fen, node_path, owner_id, created_by, created_at"),
            returns: Table::new("returns", "id, number, dealer_id, invoice_id, status, reason, credit_fen, credit_note_id, received_on, node_path, owner_id, requested_by, requested_at, decided_by, decided_at, received_by, received_at, inspected_by, inspected_at, credited_by, credited_at, updated_at"),
            return_lines: Table::new("return_lines", "id, return_id, line_no, invoice_line_id, product_id, quantity, reason, received_qty, accepted_qty, rejected_qty, disposition, credit_net_fen, credit_tax_fen, credit_fen, held_qty"),
            payments: Table::new("payments", "id, number, dealer_id, received_on, amount_fen, method, reference, unallocated_fen, node_path, owner_id, created_by, created_at"),
            allocations: Table::new("payment_allocations", "id, payment_id, invoice_id, amount_fen, allocated_on, created_at"),
            requests: Table::new("approval_requests", "id, doc_type, doc_id, dealer_id, node_path, owner_id, value, amount_fen, summary, status, current_step, requested_by, created_at, decided_at"),
            steps: Table::new("approval_steps", "id, request_id, step, approver_role, approver_id, status, acted_by, acted_at, reason"),
            holds: Table::new("credit_holds", "id, order_id, dealer_id, kind, status, approval_id, exposure_fen, limit_fen, amount_fen, overdue_fen, created_at, resolved_at"),
            events: Table::new("order_events", "id, order_id, at, person_id, action, from_status, to_status, note"),
            credit_ledger: Table::new("credit_ledger", "id, dealer_id, bucket, kind, amount_fen, doc_type, doc_id, person_id, at"),
            ar_ledger: Table::new("ar_ledger", "id, dealer_id, entry_date, kind, doc_type, doc_id, doc_number, amount_fen, node_path, owner_id, person_id, at"),
        }
    }

    fn in_order(&mut self) -> [&mut Table; 18] {
        [
            &mut self.orders,
            &mut self.order_lines,
            &mut self.shipments,
            &mut self.shipment_lines,
            &mut self.claims,
            &mut self.invoices,
            &mut self.invoice_lines,
            &mut self.credit_notes,
            &mut self.returns,
            &mut self.return_lines,
            &mut self.payments,
            &mut self.allocations,
            &mut self.requests,
            &mut self.steps,
            &mut self.holds,
            &mut self.events,
            &mut self.credit_ledger,
            &mut self.ar_ledger,
        ]
    }

    /// Whether enough rows wait to write them all: every table's full batches then reuse one
    /// prepared statement, and only one remainder per table needs a statement of its own.
    fn should_flush(&mut self) -> bool {
        self.in_order().iter().map(|t| t.buffered()).sum::<usize>() >= FLUSH_ROWS
    }

    fn rows(&mut self) -> u64 {
        self.in_order().iter().map(|t| t.count()).sum()
    }

    /// Writes every buffered row, parents first, so foreign keys hold at each statement.
    async fn flush(&mut self, conn: &mut Conn) -> Result<(), AppError> {
        for t in self.in_order() {
            t.flush(conn).await?;
        }
        Ok(())
    }
}

/// The next free id of each table and the next number of each document series.
#[derive(Default)]
struct Ids {
    order: i64,
    order_line: i64,
    shipment: i64,
    shipment_line: i64,
    claim: i64,
    invoice: i64,
    invoice_line: i64,
    credit_note: i64,
    payment: i64,
    allocation: i64,
    request: i64,
    step: i64,
    hold: i64,
    event: i64,
    credit_entry: i64,
    ar_entry: i64,
    return_doc: i64,
    return_line: i64,
    sh: i64,
    rt: i64,
    inv: i64,
    pay: i64,
    cn: i64,
}

fn take(counter: &mut i64) -> i64 {
    let v = *counter;
    *counter += 1;
    v
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Payer {
    /// Pays around the due date, often a few days early.
    Prompt,
    /// Pays up to two weeks late (mostly within the grace period).
    Late,
    /// Pays weeks late: overdue holds now and then.
    Slow,
    /// Paid like others until a day some months ago, nothing since: overdue now.
    Trouble,
}

/// What a dealer still owes on one invoice, for the overdue check of later orders.
struct Owed {
    invoice_day: i64,
    due_day: i64,
    /// `i64::MAX` when not paid by today.
    pay_day: i64,
    gross: i64,
    credit: i64,
    credit_day: i64,
}

struct Dealer {
    id: i64,
    code: String,
    name: String,
    node_id: i64,
    path: String,
    owner: i64,
    tier: String,
    own_list: Option<i64>,
    term: i64,
    limit: i64,
    station: Option<String>,
    desk: Option<i64>,
    shipper: Option<i64>,
    biller: Option<i64>,
    /// Share of the company's volume.
    weight: f64,
    /// The value one order line aims at (fen).
    line_value: f64,
    assortment: Vec<usize>,
    payer: Payer,
    trouble_from: i64,
    /// A rep of the same city takes the dealer over on this day (documents before it stay
    /// with the old owner).
    handover: Option<(i64, i64)>,
    open_orders: i64,
    unbilled: i64,
    receivables: i64,
    owed: Vec<Owed>,
}

impl Dealer {
    fn owner_on(&self, day: i64) -> i64 {
        match self.handover {
            Some((from, new_owner)) if day >= from => new_owner,
            _ => self.owner,
        }
    }

    fn exposure(&self) -> i64 {
        self.open_orders + self.unbilled + self.receivables
    }

    /// Debt overdue beyond the grace period on `day` (as `credit::overdue_beyond_grace` reads
    /// it from the invoices): open amounts of invoices due before `day - grace`.
    fn overdue_on(&mut self, day: i64) -> i64 {
        self.owed
            .retain(|o| o.pay_day > day && !(o.credit_day <= day && o.credit >= o.gross));
        self.owed
            .iter()
            .filter(|o| o.invoice_day <= day && o.due_day < day - OVERDUE_GRACE_DAYS)
            .map(|o| o.gross - if o.credit_day <= day { o.credit } else { 0 })
            .sum()
    }
}

struct Product {
    id: i64,
    tax_rate_bp: i64,
    case_size: i64,
}

/// Prices per list and product over time, read from the price lists.
struct Prices {
    lists: HashMap<(i64, i64), Timeline<i64>>,
    /// Active tier lists in id order (as `catalogue::price_on` searches them).
    tier_lists: Vec<(i64, String)>,
}

impl Prices {
    /// The dealer's price on `day`: its own list first, then its tier's (`catalogue::price_on`).
    fn on(&self, dealer: &Dealer, product: i64, day: NaiveDate) -> Option<i64> {
        let find = |list: i64| {
            self.lists
                .get(&(list, product))
                .and_then(|t| t.at(day))
                .copied()
        };
        if let Some(p) = dealer.own_list.and_then(find) {
            return Some(p);
        }
        self.tier_lists
            .iter()
            .filter(|(_, tier)| *tier == dealer.tier)
            .find_map(|(list, _)| find(*list))
    }
}

/// A row that belongs to a later day: written when the simulation reaches that day, so ledger
/// entries and order events get ids in the order they happened.
enum Later {
    Credit {
        dealer: usize,
        kind: EntryKind,
        amount: i64,
        doc_type: &'static str,
        doc_id: i64,
        person: Option<i64>,
    },
    Ar {
        dealer: usize,
        day: i64,
        owner: i64,
        kind: &'static str,
        doc_type: &'static str,
        doc_id: i64,
        number: String,
        amount: i64,
        person: Option<i64>,
    },
    Event {
        order: i64,
        person: Option<i64>,
        action: &'static str,
        from: Option<&'static str>,
        to: &'static str,
        note: Option<&'static str>,
    },
}

/// An invoice to be paid on a day.
struct Due {
    dealer: usize,
    invoice: i64,
    amount: i64,
    invoice_day: i64,
    due_day: i64,
}

/// The triggers that keep the sales rollups current row by row (`store::rollups`).
const ROLLUP_TRIGGERS: &str = "rollup_";

const CARRIERS: [&str; 5] = ["顺丰快运", "德邦物流", "中通快运", "安能物流", "百世快运"];

struct Sim {
    rng: StdRng,
    start: NaiveDate,
    last: i64,
    midnight: Vec<i64>,
    dates: Vec<String>,
    dealers: Vec<Dealer>,
    products: Vec<Product>,
    prices: Prices,
    rules: Vec<Rule>,
    return_rules: Vec<Rule>,
    /// `(role, path) → person`: who approves for a dealer's territory.
    approvers: HashMap<(Role, String), i64>,
    lines_per_order: f64,
    /// Per day: the dealers' order rate multiplier (season × growth × weekday), normalised.
    day_factor: Vec<f64>,
    /// Lines the order rates asked for so far (expected value), against which the lines really
    /// written show how many a planned line yields (assortments, prices, troubled payers).
    lines_asked: f64,
    later: Vec<Vec<(i64, Later)>>,
    due: Vec<Vec<Due>>,
    ids: Ids,
    out: Out,
    summary: HistorySummary,
}

fn season(month: u32) -> f64 {
    // Spring Festival stocking (Dec–Jan), the summer drinks season, Mid-Autumn (Sep), Double 11
    [
        1.35, 0.75, 0.9, 0.95, 1.0, 1.15, 1.25, 1.2, 1.3, 1.0, 1.1, 1.25,
    ][(month as usize + 11) % 12]
}

fn weekday_factor(day: NaiveDate) -> f64 {
    match day.weekday() {
        chrono::Weekday::Sun => 0.3,
        chrono::Weekday::Sat => 0.7,
        _ => 1.14,
    }
}

impl Sim {
    fn day_of(&self, date: NaiveDate) -> i64 {
        (date - self.start).num_days()
    }

    fn date(&self, day: i64) -> NaiveDate {
        self.start + Duration::days(day)
    }

    fn day_text(&self, day: i64) -> &str {
        &self.dates[day as usize]
    }

    /// µs since the epoch of `hour:minute` on `day` in the company's time zone.
    fn at(&self, day: i64, hour: i64, minute: i64) -> i64 {
        self.midnight[day as usize] + (hour * 3600 + minute * 60) * 1_000_000
    }

    /// A time within `minutes` after `hour:00` on `day`.
    fn at_rand(&mut self, day: i64, hour: i64, minutes: i64) -> i64 {
        let m = self.rng.gen_range(0..minutes);
        self.at(day, hour, m)
    }

    fn approver(&self, role: Role, path: &str) -> Option<i64> {
        self.approvers
            .get(&(role, path.to_string()))
            .or_else(|| self.approvers.get(&(Role::Director, path.to_string())))
            .copied()
    }

    /// Queues a row for `day`, or writes it now when `day` is today's simulated day.
    fn later(&mut self, day: i64, at: i64, row: Later, today: i64) {
        if day <= today {
            self.emit(at, row);
        } else if day <= self.last {
            self.later[day as usize].push((at, row));
        }
    }

    fn emit(&mut self, at: i64, row: Later) {
        match row {
            Later::Credit {
                dealer,
                kind,
                amount,
                doc_type,
                doc_id,
                person,
            } => {
                if amount == 0 {
                    return;
                }
                let d = &mut self.dealers[dealer];
                match kind.bucket() {
                    Bucket::OpenOrders => d.open_orders += amount,
                    Bucket::Unbilled => d.unbilled += amount,
                    Bucket::Receivables => d.receivables += amount,
                }
                let id = take(&mut self.ids.credit_entry);
                self.out.credit_ledger.push(&[
                    Val::Int(id),
                    Val::Int(d.id),
                    Val::Text(kind.bucket().code()),
                    Val::Text(kind.code()),
                    Val::Int(amount),
                    Val::Text(doc_type),
                    Val::Int(doc_id),
                    person.into(),
                    Val::Int(at),
                ]);
            }
            Later::Ar {
                dealer,
                day,
                owner,
                kind,
                doc_type,
                doc_id,
                number,
                amount,
                person,
            } => {
                let d = &self.dealers[dealer];
                let id = take(&mut self.ids.ar_entry);
                self.out.ar_ledger.push(&[
                    Val::Int(id),
                    Val::Int(d.id),
                    Val::Text(&self.dates[day as usize]),
                    Val::Text(kind),
                    Val::Text(doc_type),
                    Val::Int(doc_id),
                    Val::Text(&number),
                    Val::Int(amount),
                    Val::Text(&d.path),
                    Val::Int(owner),
                    person.into(),
                    Val::Int(at),
                ]);
            }
            Later::Event {
                order,
                person,
                action,
                from,
                to,
                note,
            } => {
                let id = take(&mut self.ids.event);
                self.out.events.push(&[
                    Val::Int(id),
                    Val::Int(order),
                    Val::Int(at),
                    person.into(),
                    Val::Text(action),
                    from.into(),
                    Val::Text(to),
                    note.into(),
                ]);
            }
        }
    }

    /// One simulated day: what was planned for it, payments due, then the day's new orders.
    fn day(&mut self, day: i64) -> Result<(), AppError> {
        let mut planned = std::mem::take(&mut self.later[day as usize]);
        planned.sort_by_key(|(at, _)| *at);
        for (at, row) in planned {
            self.emit(at, row);
        }
        let mut due = std::mem::take(&mut self.due[day as usize]);
        due.sort_by_key(|d| (d.dealer, d.invoice));
        let mut i = 0;
        while i < due.len() {
            let dealer = due[i].dealer;
            let mut j = i;
            while j < due.len() && due[j].dealer == dealer {
                j += 1;
            }
            self.payment(day, &due[i..j])?;
            i = j;
        }
        let factor = self.day_factor[day as usize];
        // steer the order rate by the yield so far, so that the history ends near the lines asked
        let pace = if self.lines_asked > 0.0 && self.summary.order_lines > 0 {
            (self.lines_asked / self.summary.order_lines as f64).clamp(1.0, 2.0)
        } else {
            1.0
        };
        for di in 0..self.dealers.len() {
            let d = &self.dealers[di];
            let mut rate = d.weight * factor * pace / self.lines_per_order;
            self.lines_asked += rate * self.lines_per_order;
            if d.payer == Payer::Trouble && day >= d.trouble_from {
                rate *= 0.4;
            }
            let mut orders = rate.floor() as i64;
            if self.rng.gen::<f64>() < rate.fract() {
                orders += 1;
            }
            for _ in 0..orders {
                self.order(di, day)?;
            }
        }
        Ok(())
    }

    /// A dealer pays the invoices due to be paid today, in one transfer allocated to exactly
    /// those invoices (`receivables::allocate_payment`, chosen mode).
    fn payment(&mut self, day: i64, items: &[Due]) -> Result<(), AppError> {
        let dealer = items[0].dealer;
        let total: i64 = items.iter().map(|d| d.amount).sum();
        if total <= 0 {
            return Ok(());
        }
        let open: Vec<OpenInvoice> = items
            .iter()
            .map(|d| OpenInvoice {
                id: d.invoice,
                invoice_date: self.date(d.invoice_day),
                due_date: self.date(d.due_day),
                open: Money(d.amount),
            })
            .collect();
        let chosen = items.iter().map(|d| (d.invoice, Money(d.amount))).collect();
        let result =
            receivables::allocate_payment(Money(total), &open, Allocation::Chosen(chosen))?;
        let id = take(&mut self.ids.payment);
        let number = format!("PAY{:06}", take(&mut self.ids.pay));
        let at = self.at_rand(day, 11, 60);
        let method = match self.rng.gen_range(0..20) {
            0..=15 => "bank_transfer",
            16..=18 => "acceptance_bill",
            _ => "cash",
        };
        let reference = format!(
            "BK{}{:06}",
            self.day_text(day).replace('-', ""),
            id % 1_000_000
        );
        let d = &self.dealers[dealer];
        let owner = d.owner_on(day);
        self.out.payments.push(&[
            Val::Int(id),
            Val::Text(&number),
            Val::Int(d.id),
            Val::Text(&self.dates[day as usize]),
            Val::Int(total),
            Val::Text(method),
            Val::Text(&reference),
            Val::Int(result.unallocated.0),
            Val::Text(&d.path),
            Val::Int(owner),
            d.biller.into(),
            Val::Int(at),
        ]);
        for a in &result.allocations {
            let aid = take(&mut self.ids.allocation);
            self.out.allocations.push(&[
                Val::Int(aid),
                Val::Int(id),
                Val::Int(a.invoice_id),
                Val::Int(a.amount.0),
                Val::Text(&self.dates[day as usize]),
                Val::Int(at),
            ]);
        }
        let person = d.biller;
        self.emit(
            at,
            Later::Credit {
                dealer,
                kind: EntryKind::PaymentReceived,
                amount: -total,
                doc_type: "payment",
                doc_id: id,
                person,
            },
        );
        self.emit(
            at,
            Later::Ar {
                dealer,
                day,
                owner,
                kind: "payment",
                doc_type: "payment",
                doc_id: id,
                number,
                amount: -total,
                person,
            },
        );
        self.summary.payments += 1;
        Ok(())
    }

    /// Takes an order and lives out its life: credit check (confirmed, or held and decided
    /// through an approval), then shipping, delivery, billing, returns and when it gets paid.
    fn order(&mut self, di: usize, day: i64) -> Result<(), AppError> {
        let date = self.date(day);
        let want = {
            let mean = self.lines_per_order;
            let n = self.rng.gen_range(mean * 0.5..=mean * 1.5).round() as usize;
            n.clamp(1, self.dealers[di].assortment.len())
        };
        // pick `want` distinct products of the dealer's assortment
        let mut picks = self.dealers[di].assortment.clone();
        for k in 0..want {
            let j = self.rng.gen_range(k..picks.len());
            picks.swap(k, j);
        }
        picks.truncate(want);
        picks.sort_unstable();
        struct Line {
            id: i64,
            product: usize,
            quantity: i64,
            price: i64,
            amount: i64,
            shipped: i64,
        }
        let mut lines: Vec<Line> = Vec::with_capacity(want);
        for p in picks {
            let product = &self.products[p];
            let Some(price) = self.prices.on(&self.dealers[di], product.id, date) else {
                continue;
            };
            if price <= 0 {
                continue;
            }
            let aim = self.dealers[di].line_value * self.rng.gen_range(0.5..1.5);
            let mut quantity = (aim / price as f64).round().max(1.0) as i64;
            if quantity >= product.case_size {
                quantity =
                    (quantity + product.case_size / 2) / product.case_size * product.case_size;
            }
            let quantity = quantity.min(order_rules::MAX_QUANTITY);
            order_rules::check_quantity(quantity)?;
            let amount = order_rules::line_amount(quantity, Money(price))?;
            lines.push(Line {
                id: 0,
                product: p,
                quantity,
                price,
                amount: amount.0,
                shipped: 0,
            });
        }
        if lines.is_empty() {
            return Ok(());
        }
        order_rules::check_lines_count(lines.len())?;
        let amounts: Vec<Money> = lines.iter().map(|l| Money(l.amount)).collect();
        let total = order_rules::total(&amounts)?.0;
        let order_id = take(&mut self.ids.order);
        for l in &mut lines {
            l.id = take(&mut self.ids.order_line);
        }
        let number = format!("SO{}-{order_id:06}", self.day_text(day).replace('-', ""));
        let source = match self.rng.gen_range(0..20) {
            0..=10 => Source::Desk,
            11..=17 => Source::Rep,
            _ => Source::Api,
        };
        let (owner, desk, shipper, biller) = {
            let d = &self.dealers[di];
            (d.owner_on(day), d.desk, d.shipper, d.biller)
        };
        let creator = if source == Source::Rep {
            Some(owner)
        } else {
            desk
        };
        let hour = self.rng.gen_range(14..18);
        let created_at = self.at_rand(day, hour, 60);
        let mut last_at = created_at;
        let mut status = Status::Submitted;
        for (action, from, to) in [
            ("create", None, Status::Draft.code()),
            (
                "submit",
                Some(Status::Draft.code()),
                Status::Submitted.code(),
            ),
        ] {
            self.emit(
                created_at,
                Later::Event {
                    order: order_id,
                    person: creator,
                    action,
                    from,
                    to,
                    note: None,
                },
            );
        }

        // the credit check, with the dealer's exposure and overdue debt as of now
        let overdue = self.dealers[di].overdue_on(day);
        let position = Position {
            limit: Money(self.dealers[di].limit),
            temporary: Money(0),
            exposure: Money(self.dealers[di].exposure()),
            overdue: Money(overdue),
        };
        let mut confirmed: Option<(i64, i64, Option<i64>)> = None; // (day, at, person)
        match decide(&position, Money(total)) {
            Decision::Pass => {
                confirmed = Some((day, created_at, creator));
            }
            decision => {
                let (kind, value, overdue_fen) = match decision {
                    Decision::Overdue { overdue } => ("overdue", 0, overdue.0),
                    Decision::OverLimit { over_bp, .. } => ("credit", over_bp, 0),
                    Decision::Pass => ("credit", 0, 0),
                };
                let outcome = self.hold(
                    di,
                    day,
                    order_id,
                    &number,
                    total,
                    kind,
                    value,
                    overdue_fen,
                    position.exposure.0,
                    created_at,
                    creator,
                )?;
                match outcome {
                    HoldOutcome::Released { day, at, by } => {
                        confirmed = Some((day, at, Some(by)));
                        status = Status::OnHold;
                        last_at = at;
                    }
                    HoldOutcome::Refused { at } => {
                        status = Status::Cancelled;
                        last_at = at;
                    }
                    HoldOutcome::Pending => status = Status::OnHold,
                }
            }
        }

        let mut exposure_fen = 0;
        if let Some((cday, cat, by)) = confirmed {
            // confirmation posts the order's exposure
            let from = status.code();
            status = Status::Confirmed;
            last_at = cat;
            self.later(
                cday,
                cat,
                Later::Event {
                    order: order_id,
                    person: by,
                    action: "confirm",
                    from: Some(from),
                    to: Status::Confirmed.code(),
                    note: None,
                },
                day,
            );
            self.later(
                cday,
                cat,
                Later::Credit {
                    dealer: di,
                    kind: EntryKind::OrderConfirmed,
                    amount: total,
                    doc_type: "order",
                    doc_id: order_id,
                    person: by,
                },
                day,
            );
            exposure_fen = total;
            self.summary.orders += 1;

            let first_ship = cday + 1 + self.rng.gen_range(0..3);
            if first_ship > cday + 1 && cday < self.last && self.rng.gen::<f64>() < 0.012 {
                // the dealer calls it off before anything is picked
                let at = self.at_rand(cday + 1, 9, 60);
                self.later(
                    cday + 1,
                    at,
                    Later::Event {
                        order: order_id,
                        person: desk,
                        action: "cancel",
                        from: Some(Status::Confirmed.code()),
                        to: Status::Cancelled.code(),
                        note: Some("经销商取消"),
                    },
                    day,
                );
                self.later(
                    cday + 1,
                    at,
                    Later::Credit {
                        dealer: di,
                        kind: EntryKind::OrderReleased,
                        amount: -total,
                        doc_type: "order",
                        doc_id: order_id,
                        person: desk,
                    },
                    day,
                );
                status = Status::Cancelled;
                exposure_fen = 0;
                last_at = at;
                self.summary.cancelled_orders += 1;
            } else {
                // shipments: whole, or in two parts; re-shipments after claims join the queue
                let mut plan: VecDeque<(i64, Vec<(usize, i64)>)> = VecDeque::new();
                if self.rng.gen::<f64>() < 0.1 {
                    let mut first = Vec::new();
                    let mut rest = Vec::new();
                    for (i, l) in lines.iter().enumerate() {
                        if l.quantity >= 2 && self.rng.gen::<bool>() {
                            let q = (l.quantity * self.rng.gen_range(50..90) / 100).max(1);
                            first.push((i, q));
                            rest.push((i, l.quantity - q));
                        } else {
                            first.push((i, l.quantity));
                        }
                    }
                    plan.push_back((first_ship, first));
                    if !rest.is_empty() {
                        plan.push_back((first_ship + self.rng.gen_range(4..12), rest));
                    }
                } else {
                    plan.push_back((
                        first_ship,
                        lines
                            .iter()
                            .enumerate()
                            .map(|(i, l)| (i, l.quantity))
                            .collect(),
                    ));
                }
                let mut cursor = cday;
                let mut uninvoiced = 0;
                while let Some((planned_day, items)) = plan.pop_front() {
                    let sday = planned_day.max(cursor + 1);
                    if sday > self.last {
                        break;
                    }
                    let sid = take(&mut self.ids.shipment);
                    let snumber = format!("SH{:06}", take(&mut self.ids.sh));
                    let ship_at = self.at_rand(sday, 9, 60);
                    let mut slines: Vec<(i64, usize, i64, i64, i64)> = Vec::new(); // id, line, qty, short, damaged
                    let mut value = 0i64;
                    for (li, q) in &items {
                        let l = &mut lines[*li];
                        fulfilment::check_shipment(l.quantity, l.shipped, *q)?;
                        l.shipped += q;
                        value += q * l.price;
                        slines.push((take(&mut self.ids.shipment_line), *li, *q, 0, 0));
                    }
                    for (kind, amount) in [
                        (EntryKind::OrderShipped, -value),
                        (EntryKind::GoodsShipped, value),
                    ] {
                        self.later(
                            sday,
                            ship_at,
                            Later::Credit {
                                dealer: di,
                                kind,
                                amount,
                                doc_type: "shipment",
                                doc_id: sid,
                                person: shipper,
                            },
                            day,
                        );
                    }
                    let open_units: i64 = lines.iter().map(|l| l.quantity - l.shipped).sum();
                    let next = Status::after_shipping(open_units);
                    if next != status {
                        self.later(
                            sday,
                            ship_at,
                            Later::Event {
                                order: order_id,
                                person: shipper,
                                action: "ship",
                                from: Some(status.code()),
                                to: next.code(),
                                note: None,
                            },
                            day,
                        );
                        status = next;
                    }
                    exposure_fen = lines
                        .iter()
                        .map(|l| (l.quantity - l.shipped) * l.price)
                        .sum();
                    last_at = ship_at;
                    cursor = sday;
                    let mut sstatus = "shipped";
                    let mut delivered_on: Option<i64> = None;
                    let mut invoiced = 0;
                    let mut svalue = value;
                    let mut updated = ship_at;
                    let dday = sday + 1 + self.rng.gen_range(0..3);
                    if dday <= self.last {
                        let dat = self.at_rand(dday, 11, 120);
                        delivered_on = Some(dday);
                        sstatus = "delivered";
                        updated = dat;
                        cursor = dday;
                        let (mut credited, mut reshipped) = (0i64, 0i64);
                        if self.rng.gen::<f64>() < 0.02 {
                            let candidates: Vec<usize> =
                                (0..slines.len()).filter(|k| slines[*k].2 >= 2).collect();
                            if !candidates.is_empty() {
                                let k = candidates[self.rng.gen_range(0..candidates.len())];
                                let (slid, li, q, _, _) = slines[k];
                                let claimed = self.rng.gen_range(1..=(q / 2).clamp(1, 3));
                                let short = self.rng.gen::<bool>();
                                let reship = if self.rng.gen::<f64>() < 0.4 {
                                    claimed
                                } else {
                                    0
                                };
                                let claim = DeliveryClaim {
                                    shipped: q,
                                    short: if short { claimed } else { 0 },
                                    damaged: if short { 0 } else { claimed },
                                    reship,
                                };
                                let settled = fulfilment::settle_delivery(&claim)?;
                                slines[k].3 = claim.short;
                                slines[k].4 = claim.damaged;
                                let price = lines[li].price;
                                credited = settled.to_credit * price;
                                reshipped = settled.to_reship * price;
                                let kind = if short { "shortage" } else { "damage" };
                                let d = &self.dealers[di];
                                for (qty, amount, resolution) in [
                                    (settled.to_credit, credited, "credit_note"),
                                    (settled.to_reship, reshipped, "reshipment"),
                                ] {
                                    if qty > 0 {
                                        let cid = take(&mut self.ids.claim);
                                        self.out.claims.push(&[
                                            Val::Int(cid),
                                            Val::Int(sid),
                                            Val::Int(slid),
                                            Val::Int(d.id),
                                            Val::Text(kind),
                                            Val::Int(qty),
                                            Val::Int(amount),
                                            Val::Text(resolution),
                                            Val::Text(&d.path),
                                            Val::Int(owner),
                                            Val::Int(dat),
                                            Val::Int(dat),
                                        ]);
                                        self.summary.delivery_claims += 1;
                                    }
                                }
                                if settled.to_reship > 0 {
                                    lines[li].shipped -= settled.to_reship;
                                    plan.push_back((
                                        dday + self.rng.gen_range(2..6),
                                        vec![(li, settled.to_reship)],
                                    ));
                                }
                            }
                        }
                        let mut postings = Vec::new();
                        if credited > 0 {
                            postings.push((EntryKind::GoodsBilled, -credited));
                        }
                        if reshipped > 0 {
                            postings.push((EntryKind::GoodsShipped, -reshipped));
                            postings.push((EntryKind::OrderShipped, reshipped));
                        }
                        for (kind, amount) in postings {
                            self.later(
                                dday,
                                dat,
                                Later::Credit {
                                    dealer: di,
                                    kind,
                                    amount,
                                    doc_type: "delivery_claim",
                                    doc_id: sid,
                                    person: shipper,
                                },
                                day,
                            );
                        }
                        if reshipped > 0 {
                            let open_units: i64 =
                                lines.iter().map(|l| l.quantity - l.shipped).sum();
                            let next = Status::after_shipping(open_units);
                            if next != status {
                                self.later(
                                    dday,
                                    dat,
                                    Later::Event {
                                        order: order_id,
                                        person: shipper,
                                        action: "reship",
                                        from: Some(status.code()),
                                        to: next.code(),
                                        note: None,
                                    },
                                    day,
                                );
                                status = next;
                            }
                            exposure_fen = lines
                                .iter()
                                .map(|l| (l.quantity - l.shipped) * l.price)
                                .sum();
                        }
                        last_at = last_at.max(dat);
                        svalue = value - credited - reshipped;
                        if svalue == 0 {
                            // nothing left to bill: settled without an invoice
                            invoiced = 1;
                            sstatus = "closed";
                        } else {
                            let iday = dday + self.rng.gen_range(0..3);
                            if iday <= self.last {
                                let iat = self.at_rand(iday, 13, 60);
                                let billable: Vec<(i64, i64, i64, i64, i64)> = slines
                                    .iter()
                                    .map(|(slid, li, q, s, dmg)| {
                                        let p = &self.products[lines[*li].product];
                                        (*slid, p.id, p.tax_rate_bp, q - s - dmg, lines[*li].price)
                                    })
                                    .collect();
                                self.invoice(
                                    di, day, iday, iat, order_id, sid, owner, svalue, &billable,
                                )?;
                                invoiced = 1;
                                sstatus = "closed";
                                updated = iat;
                                cursor = iday;
                                last_at = last_at.max(iat);
                            }
                        }
                    }
                    if invoiced == 0 {
                        uninvoiced += 1;
                    }
                    if invoiced == 1 && status == Status::Shipped && uninvoiced == 0 {
                        self.later(
                            cursor,
                            updated,
                            Later::Event {
                                order: order_id,
                                person: biller,
                                action: "close",
                                from: Some(Status::Shipped.code()),
                                to: Status::Closed.code(),
                                note: None,
                            },
                            day,
                        );
                        status = Status::Closed;
                    }
                    let d = &self.dealers[di];
                    let (carrier, station, tracking) =
                        if d.station.is_some() && self.rng.gen::<f64>() < 0.3 {
                            (None, d.station.clone(), None)
                        } else {
                            let c = CARRIERS[self.rng.gen_range(0..CARRIERS.len())];
                            (
                                Some(c),
                                None,
                                Some(format!("T{:012}", sid * 7919 % 1_000_000_000_000)),
                            )
                        };
                    self.out.shipments.push(&[
                        Val::Int(sid),
                        Val::Text(&snumber),
                        Val::Int(order_id),
                        Val::Int(d.id),
                        Val::Text(sstatus),
                        carrier.into(),
                        station.as_deref().into(),
                        tracking.as_deref().into(),
                        Val::Int(svalue),
                        Val::Text(&self.dates[sday as usize]),
                        delivered_on.map(|x| self.dates[x as usize].as_str()).into(),
                        Val::Int(invoiced),
                        Val::Text(&d.path),
                        Val::Int(owner),
                        Val::NullText,
                        shipper.into(),
                        Val::Int(ship_at - 3_600_000_000),
                        Val::Int(updated),
                    ]);
                    for (slid, li, q, short, damaged) in &slines {
                        let l = &lines[*li];
                        self.out.shipment_lines.push(&[
                            Val::Int(*slid),
                            Val::Int(sid),
                            Val::Int(l.id),
                            Val::Int(self.products[l.product].id),
                            Val::Int(*q),
                            Val::Int(l.price),
                            Val::Int(q * l.price),
                            Val::Int(*short),
                            Val::Int(*damaged),
                        ]);
                    }
                    self.summary.shipments += 1;
                }
            }
        }
        if !matches!(status, Status::Confirmed | Status::PartiallyShipped) {
            exposure_fen = 0;
        }
        let d = &self.dealers[di];
        self.out.orders.push(&[
            Val::Int(order_id),
            Val::Text(&number),
            Val::Int(d.id),
            Val::Text(&self.dates[day as usize]),
            Val::Text(status.code()),
            Val::Text(source.code()),
            Val::Int(d.node_id),
            Val::Text(&d.path),
            Val::Int(owner),
            desk.into(),
            shipper.into(),
            biller.into(),
            Val::Int(total),
            Val::Int(exposure_fen),
            Val::NullText,
            creator.into(),
            Val::Int(created_at),
            Val::Int(last_at),
        ]);
        for (i, l) in lines.iter().enumerate() {
            self.out.order_lines.push(&[
                Val::Int(l.id),
                Val::Int(order_id),
                Val::Int(i as i64 + 1),
                Val::Int(self.products[l.product].id),
                Val::Int(l.quantity),
                Val::Int(l.price),
                Val::Int(l.price),
                Val::Int(l.amount),
                Val::Int(0),
                Val::Int(l.shipped),
            ]);
        }
        self.summary.order_lines += lines.len() as u64;
        Ok(())
    }

    /// Puts an order on credit hold with an approval request, and decides it: released the next
    /// day by the approvers (the approved exception), refused (the desk cancels the order), or
    /// still waiting when it is recent or the dealer stopped paying.
    #[allow(clippy::too_many_arguments)]
    fn hold(
        &mut self,
        di: usize,
        day: i64,
        order_id: i64,
        number: &str,
        total: i64,
        kind: &'static str,
        value: i64,
        overdue_fen: i64,
        exposure_fen: i64,
        at: i64,
        creator: Option<i64>,
    ) -> Result<HoldOutcome, AppError> {
        let hold_id = take(&mut self.ids.hold);
        let request_id = take(&mut self.ids.request);
        self.summary.holds += 1;
        self.emit(
            at,
            Later::Event {
                order: order_id,
                person: creator,
                action: "hold",
                from: Some(Status::Submitted.code()),
                to: Status::OnHold.code(),
                note: Some(kind),
            },
        );
        let steps = chain(&self.rules, "credit_hold", value);
        let path = self.dealers[di].path.clone();
        let mut approvers = Vec::new();
        for (_, role) in &steps {
            let person = self.approver(*role, &path).ok_or_else(|| {
                AppError::Internal(format!("nobody approves credit holds at {path}"))
            })?;
            approvers.push((*role, person));
        }
        let trouble = {
            let d = &self.dealers[di];
            d.payer == Payer::Trouble && day >= d.trouble_from
        };
        let recent = day + 2 > self.last;
        let roll = self.rng.gen::<f64>();
        let approve = if kind == "credit" {
            roll < 0.8
        } else {
            roll < 0.6
        };
        let decided_day = day + 1;
        let decided_at = if decided_day <= self.last {
            self.at_rand(decided_day, 10, 60)
        } else {
            at
        };
        let outcome = if recent || (trouble && day + 20 > self.last) {
            HoldOutcome::Pending
        } else if approve && !trouble {
            HoldOutcome::Released {
                day: decided_day,
                at: decided_at,
                by: approvers.last().map_or(0, |a| a.1),
            }
        } else {
            HoldOutcome::Refused { at: decided_at }
        };
        let (req_status, current_step, decided) = match outcome {
            HoldOutcome::Pending => ("pending", 1, None),
            HoldOutcome::Released { .. } => ("approved", approvers.len() as i64, Some(decided_at)),
            HoldOutcome::Refused { .. } => ("rejected", 1, Some(decided_at)),
        };
        let d = &self.dealers[di];
        let summary = format!("{number} {} {}: {} ({kind})", d.code, d.name, Money(total));
        self.out.requests.push(&[
            Val::Int(request_id),
            Val::Text("credit_hold"),
            Val::Int(hold_id),
            Val::Int(d.id),
            Val::Text(&d.path),
            Val::Int(d.owner_on(day)),
            Val::Int(value),
            Val::Int(total),
            Val::Text(&summary),
            Val::Text(req_status),
            Val::Int(current_step),
            creator.into(),
            Val::Int(at),
            decided.into(),
        ]);
        let reason = if kind == "credit" {
            "超出信用额度，请先回款"
        } else {
            "逾期欠款未清，暂缓发货"
        };
        for (i, (role, person)) in approvers.iter().enumerate() {
            let (status, acted_by, acted_at, why) = match outcome {
                HoldOutcome::Pending => {
                    (if i == 0 { "pending" } else { "waiting" }, None, None, None)
                }
                HoldOutcome::Released { at, .. } => (
                    "approved",
                    Some(*person),
                    Some(at + i as i64 * 600_000_000),
                    None,
                ),
                HoldOutcome::Refused { at } => {
                    if i == 0 {
                        ("rejected", Some(*person), Some(at), Some(reason))
                    } else {
                        ("cancelled", None, None, None)
                    }
                }
            };
            let sid = take(&mut self.ids.step);
            self.out.steps.push(&[
                Val::Int(sid),
                Val::Int(request_id),
                Val::Int(i as i64 + 1),
                Val::Text(role.code()),
                Val::Int(*person),
                Val::Text(status),
                acted_by.into(),
                acted_at.into(),
                why.into(),
            ]);
        }
        let (hold_status, resolved) = match outcome {
            HoldOutcome::Pending => ("open", None),
            HoldOutcome::Released { at, .. } => ("released", Some(at)),
            HoldOutcome::Refused { at } => ("rejected", Some(at)),
        };
        self.out.holds.push(&[
            Val::Int(hold_id),
            Val::Int(order_id),
            Val::Int(d.id),
            Val::Text(kind),
            Val::Text(hold_status),
            Val::Int(request_id),
            Val::Int(exposure_fen),
            Val::Int(d.limit),
            Val::Int(total),
            Val::Int(overdue_fen),
            Val::Int(at),
            resolved.into(),
        ]);
        let desk = d.desk;
        match outcome {
            HoldOutcome::Released { day: rday, at, by } => {
                self.summary.holds_released += 1;
                self.later(
                    rday,
                    at,
                    Later::Event {
                        order: order_id,
                        person: Some(by),
                        action: "release",
                        from: Some(Status::OnHold.code()),
                        to: Status::OnHold.code(),
                        note: Some(kind),
                    },
                    day,
                );
            }
            HoldOutcome::Refused { at } => {
                let by = approvers.first().map(|a| a.1);
                self.later(
                    decided_day,
                    at,
                    Later::Event {
                        order: order_id,
                        person: by,
                        action: "reject",
                        from: Some(Status::OnHold.code()),
                        to: Status::OnHold.code(),
                        note: Some(kind),
                    },
                    day,
                );
                self.later(
                    decided_day,
                    at + 600_000_000,
                    Later::Event {
                        order: order_id,
                        person: desk,
                        action: "cancel",
                        from: Some(Status::OnHold.code()),
                        to: Status::Cancelled.code(),
                        note: Some(reason),
                    },
                    day,
                );
                self.summary.cancelled_orders += 1;
            }
            HoldOutcome::Pending => {}
        }
        Ok(outcome)
    }

    /// A return (`returns::request` → approval → `receive` → `inspect` → `credit`) of `back`
    /// units of one invoice line, requested five days before its credit note on `rday`, all
    /// accepted and restocked. The credit note itself is written by the caller.
    #[allow(clippy::too_many_arguments)]
    fn return_document(
        &mut self,
        di: usize,
        invoice_id: i64,
        owner: i64,
        rday: i64,
        credited_at: i64,
        credit_note_id: i64,
        (invoice_line_id, product_id, back): (i64, i64, i64),
        (net, tax, gross): (i64, i64, i64),
    ) -> Result<(), AppError> {
        const REASONS: [&str; 4] = ["临期", "包装破损", "滞销", "质量问题"];
        let id = take(&mut self.ids.return_doc);
        let number = format!("RT{:06}", take(&mut self.ids.rt));
        let reason = REASONS[self.rng.gen_range(0..REASONS.len())];
        let requested_at = self.at_rand(rday - 5, 15, 60);
        let decided_at = self.at_rand(rday - 4, 10, 60);
        let received_at = self.at_rand(rday - 2, 10, 60);
        let inspected_at = received_at + 3_600_000_000;
        let path = self.dealers[di].path.clone();
        let steps = chain(&self.return_rules, "return", gross);
        let mut approvers = Vec::new();
        for (_, role) in &steps {
            let person = self
                .approver(*role, &path)
                .ok_or_else(|| AppError::Internal(format!("nobody approves returns at {path}")))?;
            approvers.push((*role, person));
        }
        let d = &self.dealers[di];
        let (requester, shipper, biller) = (Some(owner), d.shipper, d.biller);
        let request_id = take(&mut self.ids.request);
        let summary = format!("{number} · {} {} · {}", d.code, d.name, Money(gross));
        self.out.requests.push(&[
            Val::Int(request_id),
            Val::Text("return"),
            Val::Int(id),
            Val::Int(d.id),
            Val::Text(&d.path),
            Val::Int(owner),
            Val::Int(gross),
            Val::Int(gross),
            Val::Text(&summary),
            Val::Text("approved"),
            Val::Int(approvers.len() as i64),
            requester.into(),
            Val::Int(requested_at),
            Val::Int(decided_at),
        ]);
        for (i, (role, person)) in approvers.iter().enumerate() {
            let sid = take(&mut self.ids.step);
            self.out.steps.push(&[
                Val::Int(sid),
                Val::Int(request_id),
                Val::Int(i as i64 + 1),
                Val::Text(role.code()),
                Val::Int(*person),
                Val::Text("approved"),
                Val::Int(*person),
                Val::Int(decided_at - (approvers.len() - 1 - i) as i64 * 600_000_000),
                Val::NullText,
            ]);
        }
        let decider = approvers.last().map(|a| a.1);
        self.out.returns.push(&[
            Val::Int(id),
            Val::Text(&number),
            Val::Int(d.id),
            Val::Int(invoice_id),
            Val::Text("credited"),
            Val::Text(reason),
            Val::Int(gross),
            Val::Int(credit_note_id),
            Val::Text(&self.dates[(rday - 2) as usize]),
            Val::Text(&d.path),
            Val::Int(owner),
            requester.into(),
            Val::Int(requested_at),
            decider.into(),
            Val::Int(decided_at),
            shipper.into(),
            Val::Int(received_at),
            shipper.into(),
            Val::Int(inspected_at),
            biller.into(),
            Val::Int(credited_at),
            Val::Int(credited_at),
        ]);
        let lid = take(&mut self.ids.return_line);
        self.out.return_lines.push(&[
            Val::Int(lid),
            Val::Int(id),
            Val::Int(1),
            Val::Int(invoice_line_id),
            Val::Int(product_id),
            Val::Int(back),
            Val::Text(reason),
            Val::Int(back),
            Val::Int(back),
            Val::Int(0),
            Val::Text("restock"),
            Val::Int(net),
            Val::Int(tax),
            Val::Int(gross),
            Val::Int(back),
        ]);
        Ok(())
    }

    /// Bills a delivered shipment (as `billing::invoice_shipment`), then decides whether part of
    /// it comes back as a return and when the dealer pays it.
    #[allow(clippy::too_many_arguments)]
    fn invoice(
        &mut self,
        di: usize,
        today: i64,
        iday: i64,
        at: i64,
        order_id: i64,
        shipment_id: i64,
        owner: i64,
        value: i64,
        // (shipment line, product, tax rate, billable quantity, unit price)
        lines: &[(i64, i64, i64, i64, i64)],
    ) -> Result<(), AppError> {
        let id = take(&mut self.ids.invoice);
        let number = format!("INV{:06}", take(&mut self.ids.inv));
        let (term, biller) = (self.dealers[di].term, self.dealers[di].biller);
        let due = receivables::due_date(self.date(iday), term)?;
        let due_day = self.day_of(due);
        let mut amounts = Vec::new();
        let (mut net_total, mut tax_total, mut gross_total) = (0i64, 0i64, 0i64);
        for (slid, product, tax_bp, qty, price) in lines {
            if *qty <= 0 {
                continue;
            }
            let gross = order_rules::line_amount(*qty, Money(*price))?.0;
            let net = net_of(gross, *tax_bp);
            net_total += net;
            tax_total += gross - net;
            gross_total += gross;
            amounts.push((
                *slid,
                *product,
                *tax_bp,
                *qty,
                *price,
                net,
                gross - net,
                gross,
            ));
        }
        if gross_total != value {
            return Err(AppError::Internal(format!(
                "invoice {number}: billed {gross_total} of a shipment worth {value}"
            )));
        }
        for (kind, amount) in [
            (EntryKind::GoodsBilled, -gross_total),
            (EntryKind::InvoiceIssued, gross_total),
        ] {
            self.later(
                iday,
                at,
                Later::Credit {
                    dealer: di,
                    kind,
                    amount,
                    doc_type: "invoice",
                    doc_id: id,
                    person: biller,
                },
                today,
            );
        }
        self.later(
            iday,
            at,
            Later::Ar {
                dealer: di,
                day: iday,
                owner,
                kind: "invoice",
                doc_type: "invoice",
                doc_id: id,
                number: number.clone(),
                amount: gross_total,
                person: biller,
            },
            today,
        );

        // when the dealer pays
        let d = &self.dealers[di];
        let delay = match d.payer {
            Payer::Prompt => self.rng.gen_range(-7..=2),
            Payer::Late => self.rng.gen_range(0..=14),
            Payer::Slow => self.rng.gen_range(8..=35),
            Payer::Trouble => self.rng.gen_range(0..=10),
        };
        let never = d.payer == Payer::Trouble && iday >= d.trouble_from - term;
        let pay_day = if never {
            i64::MAX
        } else {
            (due_day + delay).max(iday + 1)
        };

        let line_ids: Vec<i64> = amounts
            .iter()
            .map(|_| take(&mut self.ids.invoice_line))
            .collect();
        // a return of part of one line, credited against this invoice before it is paid
        let mut open = gross_total;
        let mut credit = 0;
        let mut credit_day = i64::MAX;
        let mut paid_on: Option<i64> = None;
        if self.rng.gen::<f64>() < 0.015 {
            let rday = iday + self.rng.gen_range(3..20);
            let k = self.rng.gen_range(0..amounts.len());
            let (_, product, _, qty, _, net, tax, gross) = amounts[k];
            if rday <= self.last && rday < pay_day && rday >= iday + 5 {
                let back = self.rng.gen_range(1..=(qty / 4).max(1));
                fulfilment::check_return(qty, 0, back)?;
                let credited = fulfilment::return_credit(
                    &LineAmount {
                        quantity: qty,
                        net: Money(net),
                        tax: Money(tax),
                        gross: Money(gross),
                    },
                    0,
                    back,
                )?;
                let amount = credited.gross.0;
                if amount > 0 && amount <= open {
                    let rat = self.at_rand(rday, 12, 60);
                    let cid = self.ids.credit_note;
                    self.return_document(
                        di,
                        id,
                        owner,
                        rday,
                        rat,
                        cid,
                        (line_ids[k], product, back),
                        (credited.net.0, credited.tax.0, amount),
                    )?;
                    let cid = take(&mut self.ids.credit_note);
                    let cnumber = format!("CN{:06}", take(&mut self.ids.cn));
                    let d = &self.dealers[di];
                    self.out.credit_notes.push(&[
                        Val::Int(cid),
                        Val::Text(&cnumber),
                        Val::Int(d.id),
                        Val::Int(id),
                        Val::Int(shipment_id),
                        Val::Text(&self.dates[rday as usize]),
                        Val::Text("return"),
                        Val::Int(amount),
                        Val::Text(&d.path),
                        Val::Int(owner),
                        biller.into(),
                        Val::Int(rat),
                    ]);
                    self.later(
                        rday,
                        rat,
                        Later::Credit {
                            dealer: di,
                            kind: EntryKind::CreditNote,
                            amount: -amount,
                            doc_type: "credit_note",
                            doc_id: cid,
                            person: biller,
                        },
                        today,
                    );
                    self.later(
                        rday,
                        rat,
                        Later::Ar {
                            dealer: di,
                            day: rday,
                            owner,
                            kind: "credit_note",
                            doc_type: "credit_note",
                            doc_id: cid,
                            number: cnumber,
                            amount: -amount,
                            person: biller,
                        },
                        today,
                    );
                    open -= amount;
                    credit = amount;
                    credit_day = rday;
                    if open == 0 {
                        paid_on = Some(rday);
                    }
                    self.summary.credit_notes += 1;
                    self.summary.returns += 1;
                }
            }
        }
        let mut updated = at;
        if open > 0 && pay_day <= self.last {
            self.due[pay_day as usize].push(Due {
                dealer: di,
                invoice: id,
                amount: open,
                invoice_day: iday,
                due_day,
            });
            paid_on = Some(pay_day);
            updated = self.at(pay_day, 11, 59);
            open = 0;
        }
        self.dealers[di].owed.push(Owed {
            invoice_day: iday,
            due_day,
            pay_day,
            gross: gross_total,
            credit,
            credit_day,
        });
        let d = &self.dealers[di];
        self.out.invoices.push(&[
            Val::Int(id),
            Val::Text(&number),
            Val::Int(d.id),
            Val::Int(order_id),
            Val::Int(shipment_id),
            Val::Text(&self.dates[iday as usize]),
            Val::Text(&due.to_string()),
            Val::Int(term),
            Val::Int(net_total),
            Val::Int(tax_total),
            Val::Int(gross_total),
            Val::Int(open),
            Val::Text(if open == 0 { "paid" } else { "open" }),
            paid_on.map(|p| self.dates[p as usize].as_str()).into(),
            Val::Text(&d.path),
            Val::Int(owner),
            biller.into(),
            Val::Int(at),
            Val::Int(updated),
        ]);
        for (n, (slid, product, tax_bp, qty, price, net, tax, gross)) in amounts.iter().enumerate()
        {
            let lid = line_ids[n];
            self.out.invoice_lines.push(&[
                Val::Int(lid),
                Val::Int(id),
                Val::Int(n as i64 + 1),
                Val::Int(*slid),
                Val::Int(*product),
                Val::Int(*qty),
                Val::Int(*price),
                Val::Int(*tax_bp),
                Val::Int(*net),
                Val::Int(*tax),
                Val::Int(*gross),
            ]);
        }
        self.summary.invoices += 1;
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum HoldOutcome {
    Released { day: i64, at: i64, by: i64 },
    Refused { at: i64 },
    Pending,
}

/// The order desk, warehouse and billing person for each territory, and the approvers.
async fn people_on_paths(
    conn: &mut Conn,
    paths: &[String],
) -> Result<HashMap<(Role, String), i64>, AppError> {
    let mut out = HashMap::new();
    for path in paths {
        for role in [
            Role::OrderDesk,
            Role::Warehouse,
            Role::Billing,
            Role::MarketManager,
            Role::AreaManager,
            Role::Finance,
            Role::Director,
        ] {
            if let Some(p) = approvals_store::person_on_path(conn, role.code(), path).await? {
                out.insert((role, path.clone()), p);
            }
        }
    }
    Ok(out)
}

/// Writes two years of history (ending `app.today()`) for the demo company's active dealers.
/// Call once, right after the dealers and price lists exist.
pub async fn generate(app: &App, opts: HistoryOptions) -> Result<HistorySummary, AppError> {
    let started = std::time::Instant::now();
    let today = NaiveDate::parse_from_str(&app.today(), "%Y-%m-%d")
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let earliest = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or(today);
    let start = (today - Duration::days(730)).max(earliest).min(today);
    let last = (today - start).num_days();

    let mut tx = app.store.begin().await?;
    let backend = tx.backend();
    bulk::begin_load(tx.conn(), backend).await?;
    // the rollups are recomputed once at the end instead of by a trigger per row
    let suspended = bulk::suspend_triggers(tx.conn(), backend, ROLLUP_TRIGGERS).await?;
    let conn = tx.conn();

    // the dealers and what they buy at which price
    let all = dealers_store::list_all_unscoped(conn).await?;
    let active: Vec<_> = all.into_iter().filter(|d| d.status == "active").collect();
    let products: Vec<Product> = catalogue::products(
        conn,
        &catalogue::ProductFilter {
            status: Some("active".into()),
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .map(|p| Product {
        id: p.id,
        tax_rate_bp: p.tax_rate_bp,
        case_size: p.case_size.max(1),
    })
    .collect();
    let mut prices = Prices {
        lists: HashMap::new(),
        tier_lists: Vec::new(),
    };
    let mut lists = catalogue::price_lists(conn).await?;
    lists.sort_by_key(|l| l.id);
    for list in lists.iter().filter(|l| l.active) {
        if list.kind == "tier" {
            if let Some(t) = &list.tier {
                prices.tier_lists.push((list.id, t.clone()));
            }
        }
        let mut by_product: HashMap<i64, Vec<(Period, i64)>> = HashMap::new();
        for item in catalogue::price_items(conn, list.id).await? {
            let parse = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
            let Some(from) = parse(&item.valid_from) else {
                continue;
            };
            let to = item.valid_to.as_deref().and_then(parse);
            by_product
                .entry(item.product_id)
                .or_default()
                .push((Period { from, to }, item.price_fen));
        }
        for (product, entries) in by_product {
            prices
                .lists
                .insert((list.id, product), Timeline::from_entries(entries));
        }
    }
    let mut paths: Vec<String> = active.iter().map(|d| d.node_path.clone()).collect();
    paths.sort();
    paths.dedup();
    let approvers = people_on_paths(conn, &paths).await?;
    let rules = approvals_store::rules(conn, "credit_hold").await?;
    let return_rules = approvals_store::rules(conn, "return").await?;

    let mut ids = Ids::default();
    for (slot, table) in [
        (&mut ids.order, "orders"),
        (&mut ids.order_line, "order_lines"),
        (&mut ids.shipment, "shipments"),
        (&mut ids.shipment_line, "shipment_lines"),
        (&mut ids.claim, "delivery_claims"),
        (&mut ids.invoice, "invoices"),
        (&mut ids.invoice_line, "invoice_lines"),
        (&mut ids.credit_note, "credit_notes"),
        (&mut ids.payment, "payments"),
        (&mut ids.allocation, "payment_allocations"),
        (&mut ids.request, "approval_requests"),
        (&mut ids.step, "approval_steps"),
        (&mut ids.hold, "credit_holds"),
        (&mut ids.event, "order_events"),
        (&mut ids.credit_entry, "credit_ledger"),
        (&mut ids.ar_entry, "ar_ledger"),
        (&mut ids.return_doc, "returns"),
        (&mut ids.return_line, "return_lines"),
    ] {
        *slot = bulk::next_id(conn, table).await?;
    }
    for (slot, series) in [
        (&mut ids.sh, "SH"),
        (&mut ids.inv, "INV"),
        (&mut ids.pay, "PAY"),
        (&mut ids.cn, "CN"),
        (&mut ids.rt, "RT"),
    ] {
        *slot = bulk::counter(conn, series).await?;
    }

    let mut rng = StdRng::seed_from_u64(opts.seed);
    let tz = app.config.time_zone;
    let mut midnight = Vec::with_capacity(last as usize + 1);
    let mut dates = Vec::with_capacity(last as usize + 1);
    let mut day_factor = Vec::with_capacity(last as usize + 1);
    for d in 0..=last {
        let date = start + Duration::days(d);
        let local = date.and_hms_opt(0, 0, 0).unwrap_or_default();
        let utc = tz
            .from_local_datetime(&local)
            .earliest()
            .map_or(local.and_utc().timestamp_micros(), |t| t.timestamp_micros());
        midnight.push(utc);
        dates.push(date.to_string());
        let growth = 0.85 + 0.3 * d as f64 / last.max(1) as f64;
        day_factor.push(season(date.month()) * growth * weekday_factor(date));
    }
    let factor_sum: f64 = day_factor.iter().sum::<f64>().max(1.0);
    let dealer_count = active.len().max(1) as f64;
    let per_dealer_day = opts.order_lines as f64 / (dealer_count * factor_sum);
    let lines_per_order = (per_dealer_day * 14.0).clamp(4.0, 30.0).round();

    // reps per city, for a few hand-overs of dealers between reps of one city
    let mut reps_by_node: HashMap<i64, Vec<i64>> = HashMap::new();
    for p in salesos_store::people::list_all_unscoped(conn).await? {
        if let (true, Some("sales_rep"), Some(node)) = (p.active, p.role.as_deref(), p.node_id) {
            reps_by_node.entry(node).or_default().push(p.id);
        }
    }
    let mut dealers = Vec::with_capacity(active.len());
    let tier_weight = |t: &str| match t {
        "A" => 3.0,
        "B" => 1.6,
        _ => 1.0,
    };
    let weights: Vec<f64> = active
        .iter()
        .map(|d| tier_weight(&d.tier) * rng.gen_range(0.6..1.4))
        .collect();
    let weight_mean = weights.iter().sum::<f64>() / dealer_count;
    for (d, w) in active.iter().zip(&weights) {
        // lines a day this dealer orders on an average day (day factor 1)
        let lines_a_day = per_dealer_day * w / weight_mean;
        let orders_a_day = (lines_a_day / lines_per_order).max(1e-6);
        let roll = rng.gen::<f64>();
        let payer = if roll < 0.70 {
            Payer::Prompt
        } else if roll < 0.88 {
            Payer::Late
        } else if roll < 0.96 {
            Payer::Slow
        } else {
            Payer::Trouble
        };
        let extra = match payer {
            Payer::Prompt => 0.0,
            Payer::Late => 7.0,
            Payer::Slow => 22.0,
            Payer::Trouble => 5.0,
        };
        // monthly sales that keep exposure (about term + a week of sales, plus a couple of
        // orders at the seasonal peak) under the limit most of the time
        let monthly = 0.7 * d.credit_limit_fen as f64
            / ((d.payment_term_days as f64 + extra + 6.0) / 30.0 + 2.6 / (30.0 * orders_a_day));
        let line_value = monthly / (30.0 * lines_a_day).max(1e-6);
        let size = rng.gen_range((products.len() * 2 / 3).max(1)..=products.len());
        let mut assortment: Vec<usize> = (0..products.len()).collect();
        for k in 0..size {
            let j = rng.gen_range(k..assortment.len());
            assortment.swap(k, j);
        }
        assortment.truncate(size.max(lines_per_order as usize).min(products.len()));
        assortment.sort_unstable();
        let trouble_from = last - rng.gen_range(90..180);
        let handover = match reps_by_node.get(&d.node_id) {
            Some(reps)
                if reps.len() > 1 && reps.contains(&d.owner_id) && rng.gen::<f64>() < 0.05 =>
            {
                let others: Vec<i64> = reps.iter().copied().filter(|r| *r != d.owner_id).collect();
                let to = others[rng.gen_range(0..others.len())];
                Some((last - rng.gen_range(120..330), to))
            }
            _ => None,
        }
        .filter(|(day, _)| *day > 0);
        let find = |role: Role| approvers.get(&(role, d.node_path.clone())).copied();
        dealers.push(Dealer {
            id: d.id,
            code: d.code.clone(),
            name: d.name.clone(),
            node_id: d.node_id,
            path: d.node_path.clone(),
            owner: d.owner_id,
            tier: d.tier.clone(),
            own_list: d.price_list_id,
            term: d.payment_term_days,
            limit: d.credit_limit_fen,
            station: d.delivery_station.clone(),
            desk: find(Role::OrderDesk),
            shipper: find(Role::Warehouse),
            biller: find(Role::Billing),
            weight: lines_a_day,
            line_value,
            assortment,
            payer,
            trouble_from,
            handover,
            open_orders: 0,
            unbilled: 0,
            receivables: 0,
            owed: Vec::new(),
        });
    }
    // credit control starts from what the dealers already owe (nothing, for a new demo)
    for d in &mut dealers {
        let b = salesos_store::credit::balance(conn, d.id).await?;
        d.open_orders = b.open_orders_fen;
        d.unbilled = b.unbilled_fen;
        d.receivables = b.receivables_fen;
    }

    let mut sim = Sim {
        rng,
        start,
        last,
        midnight,
        dates,
        dealers,
        products,
        prices,
        rules,
        return_rules,
        approvers,
        lines_per_order,
        day_factor,
        lines_asked: 0.0,
        later: (0..=last).map(|_| Vec::new()).collect(),
        due: (0..=last).map(|_| Vec::new()).collect(),
        ids,
        out: Out::new(),
        summary: HistorySummary {
            from: start.to_string(),
            to: today.to_string(),
            ..HistorySummary::default()
        },
    };
    if sim.products.is_empty() || sim.dealers.is_empty() {
        bulk::restore_triggers(tx.conn(), suspended).await?;
        tx.commit().await?;
        return Ok(sim.summary);
    }
    // one transaction for the whole load: the indexes set aside below are never missing for
    // anyone else, and a failed load leaves the database as it was
    let indexes = bulk::suspend_indexes(tx.conn(), backend, &TABLES).await?;
    let foreign_keys = bulk::suspend_foreign_keys(tx.conn(), backend, &TABLES).await?;
    let mut index_started = std::time::Instant::now();
    let mut load_ms = 0;
    for day in 0..=last {
        sim.day(day)?;
        if sim.out.should_flush() {
            sim.out.flush(tx.conn()).await?;
        }
        if day == last {
            load_ms = started.elapsed().as_millis() as u64;
            index_started = std::time::Instant::now();
        }
    }
    sim.out.flush(tx.conn()).await?;
    let conn = tx.conn();
    bulk::restore_indexes(conn, indexes).await?;
    let index_ms = index_started.elapsed().as_millis() as u64;
    let foreign_keys_started = std::time::Instant::now();
    bulk::restore_foreign_keys(conn, foreign_keys).await?;
    tracing::info!(
        load_ms,
        index_ms,
        foreign_keys_ms = foreign_keys_started.elapsed().as_millis() as u64,
        rows = sim.out.rows(),
        "demo history: rows written, indexes rebuilt, foreign keys validated"
    );
    write_balances(conn, &sim, sim.at(last, 23, 59)).await?;
    bulk::finish_ids(conn, backend, &TABLES).await?;
    // the dashboards' rollups, recomputed once over everything loaded
    bulk::restore_triggers(conn, suspended).await?;
    let rollup_started = std::time::Instant::now();
    let groups = salesos_store::rollups::rebuild(conn).await?;
    tracing::info!(
        groups,
        ms = rollup_started.elapsed().as_millis() as u64,
        "demo history: rollups rebuilt"
    );
    // the hand-overs, as the dealers' owner history records them
    for d in &sim.dealers {
        if let Some((day, new_owner)) = d.handover {
            let by = sim
                .approvers
                .get(&(Role::MarketManager, d.path.clone()))
                .copied();
            dealers_store::change_owner(
                conn,
                d.id,
                d.owner,
                new_owner,
                d.node_id,
                &d.path,
                &sim.dates[day as usize],
                by,
                None,
            )
            .await?;
        }
    }
    crate::visits::generate_demo_visits(app, conn, start, today, opts.seed).await?;
    for (series, next) in [
        ("SH", sim.ids.sh),
        ("INV", sim.ids.inv),
        ("PAY", sim.ids.pay),
        ("CN", sim.ids.cn),
        ("RT", sim.ids.rt),
    ] {
        bulk::set_counter(conn, series, next).await?;
    }
    sim.summary.rows = sim.out.rows();
    sim.summary.ms = started.elapsed().as_millis() as u64;
    crate::audit::record(
        conn,
        &Actor::system(None, "demo"),
        "demo.history",
        "demo",
        0,
        None,
        None,
        serde_json::to_value(&sim.summary).ok(),
    )
    .await?;
    bulk::end_load(conn, backend).await?;
    tx.commit().await?;
    bulk::refresh_statistics(&app.store).await?;
    sim.summary.ms = started.elapsed().as_millis() as u64;
    Ok(sim.summary)
}

async fn write_balances(conn: &mut Conn, sim: &Sim, at: i64) -> Result<(), AppError> {
    let rows: Vec<(i64, i64, i64, i64, i64)> = sim
        .dealers
        .iter()
        .map(|d| (d.id, d.open_orders, d.unbilled, d.receivables, at))
        .collect();
    bulk::set_balances(conn, &rows).await?;
    Ok(())
}
