//! Receivables: due dates, allocating payments to invoices, aging, overdue and DSO.
//!
//! Everything here works on plain numbers handed in by the caller (the open amounts of a
//! dealer's invoices as the ledger currently says); nothing reads or writes the ledger itself.
//! All money is integer fen; sums are taken in `i128` and refused if they do not fit back in
//! `i64`, so no report silently wraps.
//!
//! Days are calendar days. "Days overdue" of an invoice on a day `as_of` is
//! `as_of - due_date`: the due date itself is day 0 (still current), the day after is day 1.

use crate::{FieldError, Money};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;

/// The longest payment term (回款期) the system accepts, in days. A longer term is almost
/// certainly a typing error (a year is already generous for consumer goods).
pub const MAX_PAYMENT_TERM_DAYS: i64 = 365;

/// The longest grace period after the due date before debt counts as overdue.
pub const MAX_GRACE_DAYS: i64 = 365;

/// Aging boundaries may not reach beyond ten years, and a report has at most this many of them.
pub const MAX_AGING_BOUNDARY_DAYS: i64 = 3650;
pub const MAX_AGING_BOUNDARIES: usize = 20;

/// The longest period a DSO figure may be computed over (a leap year).
pub const MAX_DSO_PERIOD_DAYS: i64 = 366;

/// The due date of an invoice: the invoice date plus the dealer's payment term in days.
///
/// The term is the one on the dealer record when the invoice is issued; later changes to the
/// term do not move the due dates of invoices already issued (that is why the due date is
/// computed once and stored, not derived on every read).
pub fn due_date(invoice_date: NaiveDate, payment_term_days: i64) -> Result<NaiveDate, FieldError> {
    if !(0..=MAX_PAYMENT_TERM_DAYS).contains(&payment_term_days) {
        return Err(FieldError::new(
            "receivables.payment_term_invalid",
            "payment_term_days",
            format!("a payment term is 0 to {MAX_PAYMENT_TERM_DAYS} days"),
        ));
    }
    invoice_date
        .checked_add_signed(chrono::Duration::days(payment_term_days))
        .ok_or_else(|| {
            FieldError::new(
                "receivables.date_out_of_range",
                "invoice_date",
                "the due date falls outside the supported calendar",
            )
        })
}

/// An invoice that still has money owing on it, as the receivables ledger says now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenInvoice {
    pub id: i64,
    pub invoice_date: NaiveDate,
    pub due_date: NaiveDate,
    /// What is still owed: invoice total less payments and credit notes already allocated.
    pub open: Money,
}

impl OpenInvoice {
    /// Calendar days past the due date on `as_of` (negative while not yet due).
    pub fn days_overdue(&self, as_of: NaiveDate) -> i64 {
        (as_of - self.due_date).num_days()
    }
}

/// How a payment is spread over open invoices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Allocation {
    /// The default: the invoice due first is paid first (then the older invoice, then the lower
    /// id, so the order is total and the result reproducible).
    OldestFirst,
    /// The dealer said which invoices the money is for: `(invoice id, amount)`.
    Chosen(Vec<(i64, Money)>),
}

/// One part of a payment applied to one invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationLine {
    pub invoice_id: i64,
    pub amount: Money,
}

/// Where a payment went. `sum(allocations) + unallocated == payment`, always.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationResult {
    pub allocations: Vec<AllocationLine>,
    /// What is left over, kept on the dealer's account as credit (预收/未核销) for a later
    /// allocation; never silently dropped.
    pub unallocated: Money,
}

impl AllocationResult {
    pub fn allocated(&self) -> Money {
        Money(self.allocations.iter().map(|a| a.amount.0).sum())
    }
}

fn overflow(field: &'static str) -> FieldError {
    FieldError::new(
        "receivables.amount_overflow",
        field,
        "the amounts are too large to add up",
    )
}

fn to_money(sum: i128, field: &'static str) -> Result<Money, FieldError> {
    i64::try_from(sum).map(Money).map_err(|_| overflow(field))
}

/// Checks a list of open invoices: no negative open amounts, no id twice. A negative open
/// amount is a credit, which belongs in the unallocated balance, not on an invoice; a duplicate
/// id would let the same debt be paid (or aged) twice.
pub fn check_open_invoices(open: &[OpenInvoice]) -> Result<(), FieldError> {
    let mut seen = HashSet::with_capacity(open.len());
    for invoice in open {
        if invoice.open.0 < 0 {
            return Err(FieldError::new(
                "receivables.open_negative",
                "invoices",
                format!("invoice {} has a negative open amount", invoice.id),
            ));
        }
        if !seen.insert(invoice.id) {
            return Err(FieldError::new(
                "receivables.duplicate_invoice",
                "invoices",
                format!("invoice {} is listed twice", invoice.id),
            ));
        }
    }
    Ok(())
}

/// The open invoices in the order a payment pays them by default: due date, then invoice date,
/// then id.
pub fn oldest_first(open: &[OpenInvoice]) -> Vec<OpenInvoice> {
    let mut sorted = open.to_vec();
    sorted.sort_by_key(|i| (i.due_date, i.invoice_date, i.id));
    sorted
}

/// Spreads a payment of `amount` over a dealer's open invoices.
///
/// * `OldestFirst` fills each invoice completely before touching the next one (in
///   [`oldest_first`] order); whatever is left when all are paid is unallocated credit.
/// * `Chosen` applies exactly the amounts given. Each must be positive, name an invoice in
///   `open`, appear once, and not exceed that invoice's open amount; together they may not
///   exceed the payment. The rest of the payment is unallocated credit.
///
/// Because an allocation is bounded by the invoice's *current* open amount, paying the same
/// invoice twice cannot take it below zero: the second payment finds less (or nothing) open.
///
/// Unallocated credit kept from an earlier payment (or a credit note) is spread the same way:
/// pass its amount as `amount`.
pub fn allocate_payment(
    amount: Money,
    open: &[OpenInvoice],
    mode: Allocation,
) -> Result<AllocationResult, FieldError> {
    if amount.0 <= 0 {
        return Err(FieldError::new(
            "receivables.payment_not_positive",
            "amount",
            "a payment must be more than zero",
        ));
    }
    check_open_invoices(open)?;
    match mode {
        Allocation::OldestFirst => {
            let mut left = amount.0;
            let mut allocations = Vec::new();
            for invoice in oldest_first(open) {
                if left == 0 {
                    break;
                }
                let take = left.min(invoice.open.0);
                if take > 0 {
                    allocations.push(AllocationLine {
                        invoice_id: invoice.id,
                        amount: Money(take),
                    });
                    left -= take;
                }
            }
            Ok(AllocationResult {
                allocations,
                unallocated: Money(left),
            })
        }
        Allocation::Chosen(chosen) => {
            if chosen.is_empty() {
                return Err(FieldError::new(
                    "receivables.allocation_empty",
                    "allocations",
                    "choose at least one invoice, or allocate oldest first",
                ));
            }
            let mut seen = HashSet::with_capacity(chosen.len());
            let mut total: i128 = 0;
            let mut allocations = Vec::with_capacity(chosen.len());
            for (invoice_id, part) in chosen {
                if part.0 <= 0 {
                    return Err(FieldError::new(
                        "receivables.allocation_not_positive",
                        "allocations",
                        format!("the amount for invoice {invoice_id} must be more than zero"),
                    ));
                }
                if !seen.insert(invoice_id) {
                    return Err(FieldError::new(
                        "receivables.allocation_duplicate_invoice",
                        "allocations",
                        format!("invoice {invoice_id} is chosen twice"),
                    ));
                }
                let Some(invoice) = open.iter().find(|i| i.id == invoice_id) else {
                    return Err(FieldError::new(
                        "receivables.allocation_unknown_invoice",
                        "allocations",
                        format!("invoice {invoice_id} has nothing open for this dealer"),
                    ));
                };
                if part > invoice.open {
                    return Err(FieldError::new(
                        "receivables.allocation_exceeds_open",
                        "allocations",
                        format!(
                            "invoice {invoice_id} has only {} open, {} was allocated",
                            invoice.open, part
                        ),
                    ));
                }
                total += i128::from(part.0);
                allocations.push(AllocationLine {
                    invoice_id,
                    amount: part,
                });
            }
            if total > i128::from(amount.0) {
                return Err(FieldError::new(
                    "receivables.allocation_exceeds_payment",
                    "allocations",
                    format!("the allocations add up to more than the payment of {amount}"),
                ));
            }
            let unallocated = to_money(i128::from(amount.0) - total, "allocations")?;
            Ok(AllocationResult {
                allocations,
                unallocated,
            })
        }
    }
}

/// The open invoices after an allocation is posted. Refuses (and changes nothing) if any line
/// would take an invoice below zero or names an invoice that is not open — the guard the ledger
/// posting relies on when two payments race for the same invoice.
pub fn apply_allocation(
    open: &[OpenInvoice],
    result: &AllocationResult,
) -> Result<Vec<OpenInvoice>, FieldError> {
    check_open_invoices(open)?;
    let mut after = open.to_vec();
    for line in &result.allocations {
        let Some(invoice) = after.iter_mut().find(|i| i.id == line.invoice_id) else {
            return Err(FieldError::new(
                "receivables.allocation_unknown_invoice",
                "allocations",
                format!("invoice {} has nothing open", line.invoice_id),
            ));
        };
        if line.amount.0 <= 0 || line.amount > invoice.open {
            return Err(FieldError::new(
                "receivables.allocation_exceeds_open",
                "allocations",
                format!(
                    "invoice {} has only {} open, {} was allocated",
                    invoice.id, invoice.open, line.amount
                ),
            ));
        }
        invoice.open = Money(invoice.open.0 - line.amount.0);
    }
    Ok(after)
}

/// Aging buckets, from boundaries in days overdue.
///
/// Boundaries `[b0, b1, …, bn]` make `n + 2` buckets: `days ≤ b0`, `b0 < days ≤ b1`, …,
/// `days > bn`. The default `[0, 30, 60, 90]` gives the usual report: current (not yet due or
/// due today), 1–30, 31–60, 61–90 and over 90 days overdue. Boundaries are validated once, so
/// every report built from the same setting puts an invoice in the same bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<i64>", into = "Vec<i64>")]
pub struct AgingBuckets {
    boundaries: Vec<i64>,
}

impl Default for AgingBuckets {
    fn default() -> Self {
        AgingBuckets {
            boundaries: vec![0, 30, 60, 90],
        }
    }
}

/// A stored setting is validated on load too, so a bad configuration cannot slip past
/// [`AgingBuckets::new`].
impl TryFrom<Vec<i64>> for AgingBuckets {
    type Error = FieldError;

    fn try_from(boundaries: Vec<i64>) -> Result<Self, Self::Error> {
        AgingBuckets::new(&boundaries)
    }
}

impl From<AgingBuckets> for Vec<i64> {
    fn from(buckets: AgingBuckets) -> Self {
        buckets.boundaries
    }
}

impl AgingBuckets {
    /// Boundaries must be non-empty, non-negative, strictly increasing, at most
    /// [`MAX_AGING_BOUNDARIES`] of them and none above [`MAX_AGING_BOUNDARY_DAYS`].
    pub fn new(boundaries: &[i64]) -> Result<Self, FieldError> {
        const FIELD: &str = "aging_buckets";
        if boundaries.is_empty() {
            return Err(FieldError::new(
                "receivables.aging_boundaries_empty",
                FIELD,
                "give at least one aging boundary",
            ));
        }
        if boundaries.len() > MAX_AGING_BOUNDARIES {
            return Err(FieldError::new(
                "receivables.aging_too_many_boundaries",
                FIELD,
                format!("at most {MAX_AGING_BOUNDARIES} aging boundaries"),
            ));
        }
        if let Some(bad) = boundaries
            .iter()
            .find(|b| !(0..=MAX_AGING_BOUNDARY_DAYS).contains(*b))
        {
            return Err(FieldError::new(
                "receivables.aging_boundary_out_of_range",
                FIELD,
                format!("aging boundaries are 0 to {MAX_AGING_BOUNDARY_DAYS} days, not {bad}"),
            ));
        }
        if boundaries.windows(2).any(|w| w[0] >= w[1]) {
            return Err(FieldError::new(
                "receivables.aging_boundaries_not_increasing",
                FIELD,
                "aging boundaries must be strictly increasing",
            ));
        }
        Ok(AgingBuckets {
            boundaries: boundaries.to_vec(),
        })
    }

    pub fn boundaries(&self) -> &[i64] {
        &self.boundaries
    }

    /// How many buckets a report has (one more than boundaries).
    pub fn bucket_count(&self) -> usize {
        self.boundaries.len() + 1
    }

    /// Stable bucket keys for column headers and exports: `current` (when the first boundary is
    /// 0) or `0-b0`, then `a-b`, then `b+` for "more than b days".
    pub fn labels(&self) -> Vec<String> {
        let mut labels = Vec::with_capacity(self.bucket_count());
        // Never empty once constructed; the fallbacks only keep this free of panics.
        let first = self.boundaries.first().copied().unwrap_or(0);
        let last = self.boundaries.last().copied().unwrap_or(0);
        labels.push(if first == 0 {
            "current".to_string()
        } else {
            format!("0-{first}")
        });
        for w in self.boundaries.windows(2) {
            labels.push(format!("{}-{}", w[0] + 1, w[1]));
        }
        labels.push(format!("{last}+"));
        labels
    }

    /// The bucket for an invoice this many days overdue (negative: not yet due).
    pub fn bucket_of(&self, days_overdue: i64) -> usize {
        self.boundaries.partition_point(|b| *b < days_overdue)
    }

    /// Open amounts per bucket on `as_of`. The buckets always add up to the total open.
    pub fn age(
        &self,
        invoices: &[OpenInvoice],
        as_of: NaiveDate,
    ) -> Result<Vec<Money>, FieldError> {
        check_open_invoices(invoices)?;
        let mut sums = vec![0i128; self.bucket_count()];
        for invoice in invoices {
            sums[self.bucket_of(invoice.days_overdue(as_of))] += i128::from(invoice.open.0);
        }
        sums.into_iter().map(|s| to_money(s, "invoices")).collect()
    }
}

/// What a dealer owes past due (beyond the grace period).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overdue {
    /// Open amount of invoices more than `grace_days` past their due date.
    pub amount: Money,
    /// How many such invoices.
    pub invoices: usize,
    /// Days past the due date (not past the grace) of the oldest of them; `None` if nothing is
    /// overdue.
    pub oldest_days: Option<i64>,
}

/// Overdue debt on `as_of`: invoices with something open that are more than `grace_days` past
/// their due date. This is what puts orders on credit hold, and what the weekly follow-up list
/// shows; the grace period exists so a payment in transit over a weekend does not block orders.
pub fn overdue(
    invoices: &[OpenInvoice],
    as_of: NaiveDate,
    grace_days: i64,
) -> Result<Overdue, FieldError> {
    if !(0..=MAX_GRACE_DAYS).contains(&grace_days) {
        return Err(FieldError::new(
            "receivables.grace_days_invalid",
            "grace_days",
            format!("a grace period is 0 to {MAX_GRACE_DAYS} days"),
        ));
    }
    check_open_invoices(invoices)?;
    let mut amount: i128 = 0;
    let mut count = 0;
    let mut oldest: Option<i64> = None;
    for invoice in invoices {
        let days = invoice.days_overdue(as_of);
        if invoice.open.0 > 0 && days > grace_days {
            amount += i128::from(invoice.open.0);
            count += 1;
            oldest = Some(oldest.map_or(days, |o| o.max(days)));
        }
    }
    Ok(Overdue {
        amount: to_money(amount, "invoices")?,
        invoices: count,
        oldest_days: oldest,
    })
}

/// A number of days in tenths, e.g. `DayTenths(453)` is 45.3 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DayTenths(pub i64);

impl fmt::Display for DayTenths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{}", abs / 10, abs % 10)
    }
}

/// Days sales outstanding, in tenths of a day, rounded half up:
///
/// `DSO = open_receivables / credit_sales_in_period × period_days`
///
/// (the "count-back-by-average" form: how many days of the period's average daily credit sales
/// are still unpaid). Computed exactly as `round_half_up(open × period_days × 10 / sales)` in
/// `i128`, so the same inputs always give the same figure in every report.
///
/// Returns `Ok(None)` when the period had no credit sales: DSO is undefined then, and showing 0
/// or infinity would mislead. Open receivables and sales must not be negative; the period is 1
/// to [`MAX_DSO_PERIOD_DAYS`] days.
pub fn days_sales_outstanding(
    open_receivables: Money,
    credit_sales_in_period: Money,
    period_days: i64,
) -> Result<Option<DayTenths>, FieldError> {
    if !(1..=MAX_DSO_PERIOD_DAYS).contains(&period_days) {
        return Err(FieldError::new(
            "receivables.period_days_invalid",
            "period_days",
            format!("a DSO period is 1 to {MAX_DSO_PERIOD_DAYS} days"),
        ));
    }
    if open_receivables.0 < 0 {
        return Err(FieldError::new(
            "receivables.open_negative",
            "open_receivables",
            "open receivables cannot be negative",
        ));
    }
    if credit_sales_in_period.0 < 0 {
        return Err(FieldError::new(
            "receivables.sales_negative",
            "credit_sales",
            "credit sales in the period cannot be negative",
        ));
    }
    if credit_sales_in_period.0 == 0 {
        return Ok(None);
    }
    let numerator = i128::from(open_receivables.0) * i128::from(period_days) * 10;
    let denominator = i128::from(credit_sales_in_period.0);
    let tenths = (2 * numerator + denominator) / (2 * denominator);
    i64::try_from(tenths)
        .map(|t| Some(DayTenths(t)))
        .map_err(|_| overflow("open_receivables"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 1).expect("valid date") + chrono::Duration::days(n)
    }

    fn inv(id: i64, due: i64, open: i64) -> OpenInvoice {
        OpenInvoice {
            id,
            invoice_date: day(due - 30),
            due_date: day(due),
            open: Money(open),
        }
    }

    #[test]
    fn due_date_adds_the_term() {
        assert_eq!(due_date(day(0), 30).expect("ok"), day(30));
        assert_eq!(due_date(day(0), 0).expect("ok"), day(0));
        assert_eq!(
            due_date(day(0), -1).unwrap_err().code,
            "receivables.payment_term_invalid"
        );
        assert_eq!(
            due_date(day(0), 366).unwrap_err().code,
            "receivables.payment_term_invalid"
        );
    }

    #[test]
    fn oldest_first_pays_the_earliest_due_first() {
        let open = [inv(3, 20, 500), inv(1, 10, 300), inv(2, 10, 400)];
        let r = allocate_payment(Money(800), &open, Allocation::OldestFirst).expect("ok");
        // Invoices 1 and 2 are due the same day and issued the same day: id breaks the tie.
        assert_eq!(
            r.allocations,
            vec![
                AllocationLine {
                    invoice_id: 1,
                    amount: Money(300)
                },
                AllocationLine {
                    invoice_id: 2,
                    amount: Money(400)
                },
                AllocationLine {
                    invoice_id: 3,
                    amount: Money(100)
                },
            ]
        );
        assert_eq!(r.unallocated, Money(0));
    }

    #[test]
    fn overpayment_is_kept_as_credit() {
        let open = [inv(1, 10, 300)];
        let r = allocate_payment(Money(1000), &open, Allocation::OldestFirst).expect("ok");
        assert_eq!(r.allocated(), Money(300));
        assert_eq!(r.unallocated, Money(700));
        let none = allocate_payment(Money(1000), &[], Allocation::OldestFirst).expect("ok");
        assert!(none.allocations.is_empty());
        assert_eq!(none.unallocated, Money(1000));
    }

    #[test]
    fn chosen_allocations_are_checked() {
        let open = [inv(1, 10, 300), inv(2, 20, 500)];
        let code = |chosen: Vec<(i64, i64)>, amount: i64| {
            let chosen = chosen.into_iter().map(|(i, m)| (i, Money(m))).collect();
            allocate_payment(Money(amount), &open, Allocation::Chosen(chosen)).map_err(|e| e.code)
        };
        assert_eq!(
            code(vec![(2, 501)], 1000),
            Err("receivables.allocation_exceeds_open")
        );
        assert_eq!(
            code(vec![(2, 0)], 1000),
            Err("receivables.allocation_not_positive")
        );
        assert_eq!(
            code(vec![(2, -5)], 1000),
            Err("receivables.allocation_not_positive")
        );
        assert_eq!(
            code(vec![(9, 5)], 1000),
            Err("receivables.allocation_unknown_invoice")
        );
        assert_eq!(
            code(vec![(1, 5), (1, 5)], 1000),
            Err("receivables.allocation_duplicate_invoice")
        );
        assert_eq!(
            code(vec![(1, 300), (2, 500)], 700),
            Err("receivables.allocation_exceeds_payment")
        );
        assert_eq!(code(vec![], 700), Err("receivables.allocation_empty"));
        let ok = allocate_payment(
            Money(1000),
            &open,
            Allocation::Chosen(vec![(2, Money(200))]),
        )
        .expect("ok");
        assert_eq!(ok.unallocated, Money(800));
    }

    #[test]
    fn payment_and_invoices_are_validated() {
        let open = [inv(1, 10, 300)];
        assert_eq!(
            allocate_payment(Money(0), &open, Allocation::OldestFirst)
                .unwrap_err()
                .code,
            "receivables.payment_not_positive"
        );
        assert_eq!(
            allocate_payment(
                Money(5),
                &[inv(1, 1, 5), inv(1, 2, 5)],
                Allocation::OldestFirst
            )
            .unwrap_err()
            .code,
            "receivables.duplicate_invoice"
        );
        assert_eq!(
            allocate_payment(Money(5), &[inv(1, 1, -5)], Allocation::OldestFirst)
                .unwrap_err()
                .code,
            "receivables.open_negative"
        );
    }

    #[test]
    fn paying_the_same_invoice_twice_is_refused() {
        let open = [inv(1, 10, 300)];
        let pay = Allocation::Chosen(vec![(1, Money(300))]);
        let first = allocate_payment(Money(300), &open, pay.clone()).expect("first payment");
        let after = apply_allocation(&open, &first).expect("posted");
        assert_eq!(after[0].open, Money(0));
        // The same payment again, against the ledger as it now stands:
        assert_eq!(
            allocate_payment(Money(300), &after, pay).unwrap_err().code,
            "receivables.allocation_exceeds_open"
        );
        // And the stale allocation replayed against the new balances is refused too.
        assert_eq!(
            apply_allocation(&after, &first).unwrap_err().code,
            "receivables.allocation_exceeds_open"
        );
        // Oldest first just leaves the money as credit.
        let again = allocate_payment(Money(300), &after, Allocation::OldestFirst).expect("ok");
        assert_eq!(again.unallocated, Money(300));
    }

    #[test]
    fn default_aging_buckets() {
        let b = AgingBuckets::default();
        assert_eq!(b.labels(), vec!["current", "1-30", "31-60", "61-90", "90+"]);
        assert_eq!(b.bucket_of(-5), 0);
        assert_eq!(b.bucket_of(0), 0);
        assert_eq!(b.bucket_of(1), 1);
        assert_eq!(b.bucket_of(30), 1);
        assert_eq!(b.bucket_of(31), 2);
        assert_eq!(b.bucket_of(90), 3);
        assert_eq!(b.bucket_of(91), 4);
        let invoices = [
            inv(1, 0, 100),
            inv(2, -45, 200),
            inv(3, -200, 400),
            inv(4, 3, 7),
        ];
        assert_eq!(
            b.age(&invoices, day(0)).expect("ok"),
            vec![Money(107), Money(0), Money(200), Money(0), Money(400)]
        );
    }

    #[test]
    fn aging_boundaries_are_validated() {
        let code = |b: &[i64]| AgingBuckets::new(b).map(|_| ()).map_err(|e| e.code);
        assert_eq!(code(&[]), Err("receivables.aging_boundaries_empty"));
        assert_eq!(
            code(&[-1, 30]),
            Err("receivables.aging_boundary_out_of_range")
        );
        assert_eq!(
            code(&[0, 30, 30]),
            Err("receivables.aging_boundaries_not_increasing")
        );
        assert_eq!(
            code(&[0, 60, 30]),
            Err("receivables.aging_boundaries_not_increasing")
        );
        assert_eq!(code(&[0, 15, 45]), Ok(()));
        assert!(AgingBuckets::try_from(vec![30, 0]).is_err());
        assert_eq!(
            Vec::<i64>::from(AgingBuckets::try_from(vec![0, 45]).expect("ok")),
            vec![0, 45]
        );
        let custom = AgingBuckets::new(&[7, 14]).expect("ok");
        assert_eq!(custom.labels(), vec!["0-7", "8-14", "14+"]);
    }

    #[test]
    fn overdue_respects_grace() {
        let invoices = [
            inv(1, -3, 100),
            inv(2, -10, 200),
            inv(3, -40, 0),
            inv(4, 5, 50),
        ];
        let o = overdue(&invoices, day(0), 5).expect("ok");
        assert_eq!(o.amount, Money(200));
        assert_eq!(o.invoices, 1);
        assert_eq!(o.oldest_days, Some(10));
        let none = overdue(&invoices, day(0), 30).expect("ok");
        assert_eq!(none.amount, Money(0));
        assert_eq!(none.oldest_days, None);
        assert_eq!(
            overdue(&invoices, day(0), -1).unwrap_err().code,
            "receivables.grace_days_invalid"
        );
    }

    #[test]
    fn dso_in_tenths_rounded_half_up() {
        // 100 open on 300 of sales over 90 days: 30.0 days.
        assert_eq!(
            days_sales_outstanding(Money(100), Money(300), 90).expect("ok"),
            Some(DayTenths(300))
        );
        // 1 / 3 × 1 day = 0.333… → 0.3; 1 / 8 × 1 = 0.125 → 0.1; 1 / 4 = 0.25 → 0.3 (half up).
        assert_eq!(
            days_sales_outstanding(Money(1), Money(3), 1).expect("ok"),
            Some(DayTenths(3))
        );
        assert_eq!(
            days_sales_outstanding(Money(1), Money(8), 1).expect("ok"),
            Some(DayTenths(1))
        );
        assert_eq!(
            days_sales_outstanding(Money(1), Money(4), 1).expect("ok"),
            Some(DayTenths(3))
        );
        assert_eq!(
            days_sales_outstanding(Money(5), Money(0), 30).expect("ok"),
            None
        );
        assert_eq!(DayTenths(453).to_string(), "45.3");
        assert_eq!(
            days_sales_outstanding(Money(5), Money(1), 0)
                .unwrap_err()
                .code,
            "receivables.period_days_invalid"
        );
        assert_eq!(
            days_sales_outstanding(Money(5), Money(-1), 30)
                .unwrap_err()
                .code,
            "receivables.sales_negative"
        );
        assert_eq!(
            days_sales_outstanding(Money(i64::MAX), Money(1), 366)
                .unwrap_err()
                .code,
            "receivables.amount_overflow"
        );
    }

    fn invoices_strategy() -> impl Strategy<Value = Vec<OpenInvoice>> {
        proptest::collection::vec((-60i64..60, 0i64..5, 0i64..100_000), 0..12).prop_map(|rows| {
            rows.into_iter()
                .enumerate()
                .map(|(i, (due, back, open))| OpenInvoice {
                    id: (i as i64 * 7919) % 101,
                    invoice_date: day(due - back),
                    due_date: day(due),
                    open: Money(open),
                })
                .collect()
        })
    }

    fn check_result(
        amount: Money,
        open: &[OpenInvoice],
        r: &AllocationResult,
    ) -> Result<(), TestCaseError> {
        let allocated: i128 = r.allocations.iter().map(|a| i128::from(a.amount.0)).sum();
        prop_assert_eq!(
            allocated + i128::from(r.unallocated.0),
            i128::from(amount.0)
        );
        prop_assert!(r.unallocated.0 >= 0);
        for a in &r.allocations {
            let invoice = open.iter().find(|i| i.id == a.invoice_id);
            prop_assert!(invoice.is_some());
            prop_assert!(a.amount.0 > 0);
            prop_assert!(a.amount <= invoice.map_or(Money(0), |i| i.open));
        }
        Ok(())
    }

    proptest! {
        /// Oldest first: amounts add up, nothing is over-allocated, and invoices are filled
        /// strictly in order: every invoice before the last one touched is fully paid, none
        /// after it gets anything, and money is left over only if everything is paid.
        #[test]
        fn oldest_first_fills_in_order(open in invoices_strategy(), amount in 1i64..1_500_000) {
            let r = allocate_payment(Money(amount), &open, Allocation::OldestFirst).expect("valid");
            check_result(Money(amount), &open, &r)?;
            let order = oldest_first(&open);
            let got = |id: i64| r.allocations.iter().find(|a| a.invoice_id == id).map_or(0, |a| a.amount.0);
            let mut partially_paid_seen = false;
            for invoice in &order {
                let paid = got(invoice.id);
                if partially_paid_seen {
                    prop_assert_eq!(paid, 0);
                } else if paid < invoice.open.0 {
                    partially_paid_seen = true;
                }
            }
            if r.unallocated.0 > 0 {
                for invoice in &order { prop_assert_eq!(got(invoice.id), invoice.open.0); }
            }
            // The allocation lines themselves come in payment order.
            let positions: Vec<usize> = r.allocations.iter()
                .map(|a| order.iter().position(|i| i.id == a.invoice_id).unwrap_or(usize::MAX))
                .collect();
            prop_assert!(positions.windows(2).all(|w| w[0] < w[1]));
        }

        /// Chosen allocations are either refused or add up with nothing over-allocated.
        #[test]
        fn chosen_never_over_allocates(
            open in invoices_strategy(),
            picks in proptest::collection::vec((0usize..12, -10i64..120_000), 0..6),
            amount in 1i64..300_000,
        ) {
            let chosen: Vec<(i64, Money)> = picks.iter()
                .map(|(i, m)| (open.get(*i).map_or(999, |inv| inv.id), Money(*m)))
                .collect();
            if let Ok(r) = allocate_payment(Money(amount), &open, Allocation::Chosen(chosen.clone())) {
                check_result(Money(amount), &open, &r)?;
                prop_assert_eq!(r.allocations.len(), chosen.len());
            }
        }

        /// Any sequence of payments, each posted against the ledger as it stands after the
        /// previous one (and some replayed stale), never takes an invoice below zero, and money
        /// is conserved: what left the invoices plus the credit kept equals what was paid.
        #[test]
        fn repeated_payments_never_go_below_zero(
            open in invoices_strategy(),
            payments in proptest::collection::vec((1i64..80_000, proptest::bool::ANY, 0usize..12, proptest::bool::weighted(0.2)), 1..10),
        ) {
            let mut ids = HashSet::new();
            let open: Vec<OpenInvoice> = open.into_iter().filter(|i| ids.insert(i.id)).collect();
            let start: i128 = open.iter().map(|i| i128::from(i.open.0)).sum();
            let mut ledger = open.clone();
            let mut paid: i128 = 0;
            let mut credit: i128 = 0;
            let mut previous: Option<AllocationResult> = None;
            for (amount, chosen, pick, replay) in payments {
                if replay {
                    if let Some(stale) = &previous {
                        if let Ok(after) = apply_allocation(&ledger, stale) {
                            paid += i128::from(stale.allocated().0);
                            ledger = after;
                        }
                    }
                    continue;
                }
                let mode = match (chosen, open.get(pick)) {
                    (true, Some(original)) => Allocation::Chosen(vec![(original.id, Money(amount.min(original.open.0.max(1))))]),
                    _ => Allocation::OldestFirst,
                };
                if let Ok(r) = allocate_payment(Money(amount), &ledger, mode) {
                    check_result(Money(amount), &ledger, &r)?;
                    ledger = apply_allocation(&ledger, &r).expect("fresh allocation posts");
                    paid += i128::from(r.allocated().0);
                    credit += i128::from(r.unallocated.0);
                    previous = Some(r);
                }
                prop_assert!(ledger.iter().all(|i| i.open.0 >= 0));
            }
            let end: i128 = ledger.iter().map(|i| i128::from(i.open.0)).sum();
            prop_assert_eq!(start - end, paid);
            prop_assert!(credit >= 0);
            prop_assert!(ledger.iter().all(|i| i.open.0 >= 0));
        }

        /// Aging buckets always add up to the total open, and a later bucket never holds an
        /// invoice less overdue than an earlier one.
        #[test]
        fn aging_sums_to_total(
            open in invoices_strategy(),
            raw in proptest::collection::btree_set(0i64..200, 1..6),
            as_of in -30i64..120,
        ) {
            let mut ids = HashSet::new();
            let open: Vec<OpenInvoice> = open.into_iter().filter(|i| ids.insert(i.id)).collect();
            let boundaries: Vec<i64> = raw.into_iter().collect();
            let buckets = AgingBuckets::new(&boundaries).expect("sorted unique");
            let aged = buckets.age(&open, day(as_of)).expect("valid");
            prop_assert_eq!(aged.len(), buckets.bucket_count());
            prop_assert_eq!(buckets.labels().len(), buckets.bucket_count());
            let total: i64 = open.iter().map(|i| i.open.0).sum();
            prop_assert_eq!(aged.iter().map(|m| m.0).sum::<i64>(), total);
            for d in -5i64..250 {
                prop_assert!(buckets.bucket_of(d) <= buckets.bucket_of(d + 1));
            }
            // Overdue with no grace equals everything outside the first bucket when it is "current".
            if boundaries[0] == 0 {
                let o = overdue(&open, day(as_of), 0).expect("valid");
                prop_assert_eq!(o.amount.0, total - aged[0].0);
            }
        }

        /// DSO grows with open receivables and shrinks with sales, and is within half a tenth of
        /// the exact ratio.
        #[test]
        fn dso_is_monotone_and_exact(open in 0i64..1_000_000_000, extra in 0i64..1_000_000, sales in 1i64..1_000_000_000, days in 1i64..=366) {
            let a = days_sales_outstanding(Money(open), Money(sales), days).expect("ok").expect("sales");
            let b = days_sales_outstanding(Money(open + extra), Money(sales), days).expect("ok").expect("sales");
            let c = days_sales_outstanding(Money(open), Money(sales + extra), days).expect("ok").expect("sales");
            prop_assert!(a <= b);
            prop_assert!(c <= a);
            let exact_times_20 = i128::from(open) * i128::from(days) * 20;
            let got_times_20 = i128::from(a.0) * 2 * i128::from(sales);
            prop_assert!((got_times_20 - exact_times_20).abs() <= i128::from(sales));
        }
    }
}
