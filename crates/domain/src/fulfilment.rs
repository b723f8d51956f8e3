//! Fulfilment rules: shipment quantities, shortage and damage claims, returns, invoice amounts
//! and transfers of goods between dealers (调货).
//!
//! Quantities are whole units (`i64`, the product's base unit); money is integer fen. Every
//! multiplication is checked (or done in `i128`) and an amount that does not fit is refused
//! with `fulfilment.amount_overflow`, never wrapped.
//!
//! The quantity rules are the guards against the classic loopholes:
//! * an order line can never ship more than was ordered, however many partial shipments;
//! * a return never exceeds what was sold less what was already returned, however many
//!   partial returns;
//! * a returned quantity does **not** reopen the order line for shipping (a replacement for
//!   returned goods is a new order, which passes the credit check again);
//! * credit notes on one invoice line, however the returns are split, never add up to more
//!   than the line, and add up to exactly the line once everything is returned.

use crate::{FieldError, Money};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// Tax rates are in basis points: 1300 = 13 %. 100 % is the most accepted.
pub const MAX_TAX_RATE_BP: i64 = 10_000;
const BP: i128 = 10_000;

fn overflow(field: &'static str) -> FieldError {
    FieldError::new(
        "fulfilment.amount_overflow",
        field,
        "the amount is too large",
    )
}

fn to_money(value: i128, field: &'static str) -> Result<Money, FieldError> {
    i64::try_from(value).map(Money).map_err(|_| overflow(field))
}

fn positive_quantity(qty: i64, field: &'static str) -> Result<(), FieldError> {
    if qty <= 0 {
        return Err(FieldError::new(
            "fulfilment.quantity_not_positive",
            field,
            "the quantity must be more than zero",
        ));
    }
    Ok(())
}

/// Checks a running pair `(total, done)` that the system itself keeps: both non-negative and
/// `done ≤ total`. A violation means corrupt state upstream, so it is refused rather than
/// "corrected".
fn check_progress(total: i64, done: i64, field: &'static str) -> Result<(), FieldError> {
    if total < 0 || done < 0 || done > total {
        return Err(FieldError::new(
            "fulfilment.quantities_inconsistent",
            field,
            format!("{done} of {total} is not a valid state"),
        ));
    }
    Ok(())
}

/// What is still to ship on an order line.
pub fn open_to_ship(ordered: i64, shipped: i64) -> Result<i64, FieldError> {
    check_progress(ordered, shipped, "shipped")?;
    Ok(ordered - shipped)
}

/// Checks a shipment of `qty` on an order line with `ordered` units of which `shipped` have
/// already left (net of quantities sent back for re-shipment, see [`settle_delivery`]), and
/// returns the new shipped total. Refuses `qty ≤ 0` and anything beyond the ordered quantity.
///
/// Returns do not appear here on purpose: returned goods do not reopen the order line.
pub fn check_shipment(ordered: i64, shipped: i64, qty: i64) -> Result<i64, FieldError> {
    positive_quantity(qty, "quantity")?;
    let open = open_to_ship(ordered, shipped)?;
    if qty > open {
        return Err(FieldError::new(
            "fulfilment.shipment_exceeds_ordered",
            "quantity",
            format!("only {open} of {ordered} are still to ship"),
        ));
    }
    Ok(shipped + qty)
}

/// A delivery confirmation (签收) for one shipment line, with what the dealer reported missing
/// or damaged and how many of those the company will send again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryClaim {
    /// Units on the shipment line.
    pub shipped: i64,
    /// Units that did not arrive (短少).
    pub short: i64,
    /// Units that arrived damaged and were refused (破损).
    pub damaged: i64,
    /// Of `short + damaged`, how many to re-ship; the rest is credited.
    pub reship: i64,
}

/// The outcome of a delivery confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimSettlement {
    /// Units the dealer actually accepted from this shipment.
    pub delivered: i64,
    /// Units to credit on the shipment's invoice line (see [`return_credit`], with these
    /// units counted as credited afterwards).
    pub to_credit: i64,
    /// Units to send again as a replacement shipment, free of charge against the original
    /// invoice: check each replacement with [`check_replacement`].
    pub to_reship: i64,
    /// Units that stay sold to the dealer (delivered now or by replacement): the basis for
    /// later returns. `shipped - to_credit`.
    pub sold: i64,
}

/// Settles a shortage/damage claim. Short and damaged units are each ≥ 0 and together at most
/// the shipped quantity; the re-shipped part is at most what is claimed. Every claimed unit is
/// either credited or re-shipped, never both and never neither, so the dealer is made whole
/// exactly once.
pub fn settle_delivery(claim: &DeliveryClaim) -> Result<ClaimSettlement, FieldError> {
    positive_quantity(claim.shipped, "shipped")?;
    for (value, field) in [
        (claim.short, "short"),
        (claim.damaged, "damaged"),
        (claim.reship, "reship"),
    ] {
        if value < 0 {
            return Err(FieldError::new(
                "fulfilment.claim_negative",
                field,
                "a claimed quantity cannot be negative",
            ));
        }
    }
    let claimed = i128::from(claim.short) + i128::from(claim.damaged);
    if claimed > i128::from(claim.shipped) {
        return Err(FieldError::new(
            "fulfilment.claim_exceeds_shipped",
            "short",
            format!(
                "short and damaged together cannot exceed the {} shipped",
                claim.shipped
            ),
        ));
    }
    // `claimed ≤ shipped`, so it fits in i64 from here on.
    let claimed = claim.short + claim.damaged;
    if claim.reship > claimed {
        return Err(FieldError::new(
            "fulfilment.reship_exceeds_claim",
            "reship",
            format!("only {claimed} units were claimed short or damaged"),
        ));
    }
    let to_credit = claimed - claim.reship;
    Ok(ClaimSettlement {
        delivered: claim.shipped - claimed,
        to_credit,
        to_reship: claim.reship,
        sold: claim.shipped - to_credit,
    })
}

/// Checks a replacement shipment of `qty` against a settled claim that owes `to_reship` units
/// of which `replaced` were already sent, and returns the new replaced total.
pub fn check_replacement(to_reship: i64, replaced: i64, qty: i64) -> Result<i64, FieldError> {
    positive_quantity(qty, "quantity")?;
    check_progress(to_reship, replaced, "replaced")?;
    if qty > to_reship - replaced {
        return Err(FieldError::new(
            "fulfilment.replacement_exceeds_claim",
            "quantity",
            format!("only {} units are still owed", to_reship - replaced),
        ));
    }
    Ok(replaced + qty)
}

/// What can still be returned: `sold - returned`, where `sold` is what was shipped *and*
/// invoiced (net of shortage credits) and `returned` everything already returned or requested
/// and approved. Refuses inconsistent state (`returned > sold`).
pub fn returnable(sold: i64, returned: i64) -> Result<i64, FieldError> {
    check_progress(sold, returned, "returned")?;
    Ok(sold - returned)
}

/// Checks a return of `qty` units and returns the new returned total. A return of more than
/// was sold less already returned is refused with `fulfilment.return_exceeds_sold` — the check
/// runs on the request, again on approval and again on receipt, so no ordering of partial
/// returns can get past it.
pub fn check_return(sold: i64, returned: i64, qty: i64) -> Result<i64, FieldError> {
    positive_quantity(qty, "quantity")?;
    let left = returnable(sold, returned)?;
    if qty > left {
        return Err(FieldError::new(
            "fulfilment.return_exceeds_sold",
            "quantity",
            format!("only {left} of the {sold} sold can still be returned"),
        ));
    }
    Ok(returned + qty)
}

/// A shipped line to invoice. The unit price is net of tax (不含税单价).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippedLine {
    pub quantity: i64,
    pub unit_price: Money,
    /// Tax rate in basis points (1300 = 13 %).
    pub tax_rate_bp: i64,
}

/// The amounts of one invoice line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineAmount {
    pub quantity: i64,
    /// `quantity × unit_price`, exact.
    pub net: Money,
    /// `net × tax_rate_bp / 10 000`, rounded half up to the fen.
    pub tax: Money,
    /// `net + tax`.
    pub gross: Money,
}

/// The amounts of an invoice: its lines and their sums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceAmounts {
    pub lines: Vec<LineAmount>,
    pub net: Money,
    pub tax: Money,
    pub gross: Money,
}

fn check_tax_rate(tax_rate_bp: i64) -> Result<(), FieldError> {
    if !(0..=MAX_TAX_RATE_BP).contains(&tax_rate_bp) {
        return Err(FieldError::new(
            "fulfilment.tax_rate_invalid",
            "tax_rate_bp",
            "a tax rate is 0 to 10 000 basis points (0–100 %)",
        ));
    }
    Ok(())
}

/// Rounds `numerator / denominator` half up; both non-negative, denominator positive.
fn div_half_up(numerator: i128, denominator: i128) -> i128 {
    (2 * numerator + denominator) / (2 * denominator)
}

/// The amounts of one line. Tax is rounded per line (half up, to the fen), which is how the
/// tax invoice (发票) prints it: the invoice total is then the plain sum of what is printed.
pub fn line_amount(line: &ShippedLine) -> Result<LineAmount, FieldError> {
    positive_quantity(line.quantity, "quantity")?;
    if line.unit_price.0 < 0 {
        return Err(FieldError::new(
            "fulfilment.price_negative",
            "unit_price",
            "a unit price cannot be negative",
        ));
    }
    check_tax_rate(line.tax_rate_bp)?;
    let net = line
        .unit_price
        .checked_mul(line.quantity)
        .ok_or_else(|| overflow("quantity"))?;
    let tax = to_money(
        div_half_up(i128::from(net.0) * i128::from(line.tax_rate_bp), BP),
        "quantity",
    )?;
    let gross = net.checked_add(tax).ok_or_else(|| overflow("quantity"))?;
    Ok(LineAmount {
        quantity: line.quantity,
        net,
        tax,
        gross,
    })
}

/// Invoice amounts from shipped lines: each line by [`line_amount`], totals the exact sums.
pub fn invoice_amounts(lines: &[ShippedLine]) -> Result<InvoiceAmounts, FieldError> {
    if lines.is_empty() {
        return Err(FieldError::new(
            "fulfilment.invoice_empty",
            "lines",
            "an invoice needs at least one line",
        ));
    }
    let lines = lines
        .iter()
        .map(line_amount)
        .collect::<Result<Vec<_>, _>>()?;
    let sum = |f: fn(&LineAmount) -> Money| -> Result<Money, FieldError> {
        to_money(lines.iter().map(|l| i128::from(f(l).0)).sum(), "lines")
    };
    let net = sum(|l| l.net)?;
    let tax = sum(|l| l.tax)?;
    let gross = sum(|l| l.gross)?;
    Ok(InvoiceAmounts {
        lines,
        net,
        tax,
        gross,
    })
}

/// The amounts of a credit note line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditAmount {
    pub net: Money,
    pub tax: Money,
    pub gross: Money,
}

/// The credit for returning (or crediting a shortage of) `qty` units of an invoice line of
/// which `already_credited` units were credited before.
///
/// **Rounding rule.** The credit is pro rata on the line's *invoiced* net and tax amounts
/// (not re-priced), cumulatively floored: after `k` units in total have been credited, the
/// total credited net is `floor(net × k / quantity)`, and this credit is the difference
/// between that and the total before it (tax alike). So every partial credit is rounded down,
/// the total credited never exceeds the invoiced line, and once all units are credited the
/// total is exactly the line amount — the last credit picks up the fen the earlier ones left
/// behind. When the line amount is `quantity × unit_price` this is exactly `qty × unit_price`.
/// The result depends only on quantities, so a credit can be recomputed and audited from the
/// ledger at any time.
pub fn return_credit(
    line: &LineAmount,
    already_credited: i64,
    qty: i64,
) -> Result<CreditAmount, FieldError> {
    positive_quantity(line.quantity, "invoice_line")?;
    if line.net.0 < 0 || line.tax.0 < 0 {
        return Err(FieldError::new(
            "fulfilment.line_amount_negative",
            "invoice_line",
            "an invoice line's amounts cannot be negative",
        ));
    }
    let after = check_return(line.quantity, already_credited, qty)?;
    let share = |amount: Money, units: i64| {
        i128::from(amount.0) * i128::from(units) / i128::from(line.quantity)
    };
    let net = to_money(
        share(line.net, after) - share(line.net, already_credited),
        "quantity",
    )?;
    let tax = to_money(
        share(line.tax, after) - share(line.tax, already_credited),
        "quantity",
    )?;
    let gross = net.checked_add(tax).ok_or_else(|| overflow("quantity"))?;
    Ok(CreditAmount { net, tax, gross })
}

/// One product moved from one dealer to another in a transfer (调货).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferLine {
    pub product_id: i64,
    pub quantity: i64,
    /// The agreed transfer price, net of tax, the same for both sides.
    pub unit_price: Money,
    pub tax_rate_bp: i64,
    /// What the source dealer still holds as sold to it: sold less returned (see
    /// [`returnable`]). A dealer cannot hand on more than it bought.
    pub source_returnable: i64,
}

/// A stock movement on a dealer's account: negative leaves, positive arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockMove {
    pub dealer_id: i64,
    pub product_id: i64,
    pub quantity: i64,
}

/// A receivables posting: positive raises what the dealer owes (debit), negative lowers it
/// (credit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    pub dealer_id: i64,
    pub amount: Money,
}

/// Everything a transfer posts: the amounts (one computation shared by both sides), the stock
/// moves and the two receivables postings. Quantities and money both net to zero.
///
/// For later returns, the moved quantity counts as returned by the source (it can no longer
/// hand it back to the company) and as sold to the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferPlan {
    pub amounts: InvoiceAmounts,
    pub moves: Vec<StockMove>,
    /// The source's credit note (`-gross`).
    pub source_credit: Posting,
    /// The target's debit (`+gross`).
    pub target_debit: Posting,
}

/// Plans a transfer of goods from `source_dealer` to `target_dealer`.
///
/// Both sides are priced from one [`invoice_amounts`] computation, so the source's credit and
/// the target's debit are the same amount to the fen by construction (pricing each side
/// separately could round differently). Each product appears once, and at most what the source
/// can still return is moved.
pub fn plan_transfer(
    source_dealer: i64,
    target_dealer: i64,
    lines: &[TransferLine],
) -> Result<TransferPlan, FieldError> {
    if source_dealer == target_dealer {
        return Err(FieldError::new(
            "fulfilment.transfer_same_dealer",
            "target_dealer_id",
            "goods can only be transferred to another dealer",
        ));
    }
    let mut seen = HashSet::with_capacity(lines.len());
    for line in lines {
        if !seen.insert(line.product_id) {
            return Err(FieldError::new(
                "fulfilment.transfer_duplicate_product",
                "lines",
                format!("product {} appears twice", line.product_id),
            ));
        }
        positive_quantity(line.quantity, "quantity")?;
        if line.source_returnable < 0 {
            return Err(FieldError::new(
                "fulfilment.quantities_inconsistent",
                "source_returnable",
                "the source's returnable quantity cannot be negative",
            ));
        }
        if line.quantity > line.source_returnable {
            return Err(FieldError::new(
                "fulfilment.transfer_exceeds_sold",
                "quantity",
                format!(
                    "the source dealer holds only {} of product {}",
                    line.source_returnable, line.product_id
                ),
            ));
        }
    }
    let shipped: Vec<ShippedLine> = lines
        .iter()
        .map(|l| ShippedLine {
            quantity: l.quantity,
            unit_price: l.unit_price,
            tax_rate_bp: l.tax_rate_bp,
        })
        .collect();
    let amounts = invoice_amounts(&shipped)?;
    let mut moves = Vec::with_capacity(lines.len() * 2);
    for line in lines {
        moves.push(StockMove {
            dealer_id: source_dealer,
            product_id: line.product_id,
            quantity: -line.quantity,
        });
        moves.push(StockMove {
            dealer_id: target_dealer,
            product_id: line.product_id,
            quantity: line.quantity,
        });
    }
    let credit = Money(
        amounts
            .gross
            .0
            .checked_neg()
            .ok_or_else(|| overflow("lines"))?,
    );
    Ok(TransferPlan {
        source_credit: Posting {
            dealer_id: source_dealer,
            amount: credit,
        },
        target_debit: Posting {
            dealer_id: target_dealer,
            amount: amounts.gross,
        },
        amounts,
        moves,
    })
}

/// Net stock movement per product over a set of moves (zero for every product of a balanced
/// transfer).
pub fn net_moves(moves: &[StockMove]) -> BTreeMap<i64, i128> {
    let mut net = BTreeMap::new();
    for m in moves {
        *net.entry(m.product_id).or_insert(0i128) += i128::from(m.quantity);
    }
    net
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(quantity: i64, price: i64, bp: i64) -> ShippedLine {
        ShippedLine {
            quantity,
            unit_price: Money(price),
            tax_rate_bp: bp,
        }
    }

    #[test]
    fn shipments_never_exceed_the_order() {
        assert_eq!(check_shipment(10, 0, 4), Ok(4));
        assert_eq!(check_shipment(10, 4, 6), Ok(10));
        assert_eq!(
            check_shipment(10, 4, 7).unwrap_err().code,
            "fulfilment.shipment_exceeds_ordered"
        );
        assert_eq!(
            check_shipment(10, 4, 0).unwrap_err().code,
            "fulfilment.quantity_not_positive"
        );
        assert_eq!(
            check_shipment(10, 11, 1).unwrap_err().code,
            "fulfilment.quantities_inconsistent"
        );
        assert_eq!(
            check_shipment(i64::MAX, 1, i64::MAX).unwrap_err().code,
            "fulfilment.shipment_exceeds_ordered"
        );
    }

    #[test]
    fn delivery_claims_are_credited_or_reshipped() {
        let s = settle_delivery(&DeliveryClaim {
            shipped: 100,
            short: 3,
            damaged: 2,
            reship: 4,
        })
        .expect("ok");
        assert_eq!(
            s,
            ClaimSettlement {
                delivered: 95,
                to_credit: 1,
                to_reship: 4,
                sold: 99
            }
        );
        let code = |short, damaged, reship| {
            settle_delivery(&DeliveryClaim {
                shipped: 10,
                short,
                damaged,
                reship,
            })
            .unwrap_err()
            .code
        };
        assert_eq!(code(6, 5, 0), "fulfilment.claim_exceeds_shipped");
        assert_eq!(code(-1, 0, 0), "fulfilment.claim_negative");
        assert_eq!(code(2, 2, 5), "fulfilment.reship_exceeds_claim");
        assert_eq!(check_replacement(4, 3, 1), Ok(4));
        assert_eq!(
            check_replacement(4, 3, 2).unwrap_err().code,
            "fulfilment.replacement_exceeds_claim"
        );
    }

    #[test]
    fn returns_never_exceed_sold() {
        assert_eq!(returnable(10, 3), Ok(7));
        assert_eq!(check_return(10, 3, 7), Ok(10));
        let err = check_return(10, 3, 8).unwrap_err();
        assert_eq!(err.code, "fulfilment.return_exceeds_sold");
        assert_eq!(err.field, Some("quantity"));
        assert_eq!(
            check_return(10, 11, 1).unwrap_err().code,
            "fulfilment.quantities_inconsistent"
        );
        assert_eq!(
            check_return(10, 0, -1).unwrap_err().code,
            "fulfilment.quantity_not_positive"
        );
    }

    #[test]
    fn invoice_lines_round_tax_half_up() {
        // 3 × 0.35 = 1.05 net; 13 % of 105 fen = 13.65 → 14 fen.
        let a = line_amount(&line(3, 35, 1300)).expect("ok");
        assert_eq!((a.net, a.tax, a.gross), (Money(105), Money(14), Money(119)));
        // 50 fen at 1 % = 0.5 fen → rounds up to 1.
        let b = line_amount(&line(1, 50, 100)).expect("ok");
        assert_eq!(b.tax, Money(1));
        // 49 fen at 1 % = 0.49 fen → 0.
        assert_eq!(line_amount(&line(1, 49, 100)).expect("ok").tax, Money(0));
        let inv = invoice_amounts(&[line(3, 35, 1300), line(1, 50, 100)]).expect("ok");
        assert_eq!(inv.net, Money(155));
        assert_eq!(inv.tax, Money(15));
        assert_eq!(inv.gross, Money(170));
        let code = |l: ShippedLine| line_amount(&l).unwrap_err().code;
        assert_eq!(code(line(0, 1, 0)), "fulfilment.quantity_not_positive");
        assert_eq!(code(line(1, -1, 0)), "fulfilment.price_negative");
        assert_eq!(code(line(1, 1, 10_001)), "fulfilment.tax_rate_invalid");
        assert_eq!(code(line(1, 1, -1)), "fulfilment.tax_rate_invalid");
        assert_eq!(code(line(3, i64::MAX / 2, 0)), "fulfilment.amount_overflow");
        assert_eq!(
            code(line(1, i64::MAX - 10, 1300)),
            "fulfilment.amount_overflow"
        );
        assert_eq!(
            invoice_amounts(&[]).unwrap_err().code,
            "fulfilment.invoice_empty"
        );
        assert_eq!(
            invoice_amounts(&[line(1, i64::MAX / 2 + 1, 0), line(1, i64::MAX / 2 + 1, 0)])
                .unwrap_err()
                .code,
            "fulfilment.amount_overflow"
        );
    }

    #[test]
    fn partial_returns_floor_and_last_takes_the_rest() {
        // A line of 3 units for 100 fen (a discounted line): 33 + 33 + 34.
        let l = LineAmount {
            quantity: 3,
            net: Money(100),
            tax: Money(13),
            gross: Money(113),
        };
        let first = return_credit(&l, 0, 1).expect("ok");
        let second = return_credit(&l, 1, 1).expect("ok");
        let third = return_credit(&l, 2, 1).expect("ok");
        assert_eq!(
            (first.net, second.net, third.net),
            (Money(33), Money(33), Money(34))
        );
        assert_eq!(
            (first.tax, second.tax, third.tax),
            (Money(4), Money(4), Money(5))
        );
        assert_eq!(
            return_credit(&l, 2, 2).unwrap_err().code,
            "fulfilment.return_exceeds_sold"
        );
        // At a plain unit price the credit is exactly qty × price.
        let priced = line_amount(&line(7, 1_999, 900)).expect("ok");
        assert_eq!(
            return_credit(&priced, 2, 3).expect("ok").net,
            Money(3 * 1_999)
        );
    }

    #[test]
    fn transfers_balance() {
        let lines = [
            TransferLine {
                product_id: 1,
                quantity: 5,
                unit_price: Money(1_000),
                tax_rate_bp: 1300,
                source_returnable: 5,
            },
            TransferLine {
                product_id: 2,
                quantity: 1,
                unit_price: Money(333),
                tax_rate_bp: 900,
                source_returnable: 10,
            },
        ];
        let plan = plan_transfer(10, 20, &lines).expect("ok");
        assert_eq!(plan.target_debit.amount, Money(5_650 + 363));
        assert_eq!(plan.source_credit.amount, Money(-(5_650 + 363)));
        assert_eq!(plan.source_credit.dealer_id, 10);
        assert_eq!(plan.target_debit.dealer_id, 20);
        assert!(net_moves(&plan.moves).values().all(|q| *q == 0));
        assert_eq!(
            plan_transfer(10, 10, &lines).unwrap_err().code,
            "fulfilment.transfer_same_dealer"
        );
        let mut too_many = lines;
        too_many[0].quantity = 6;
        assert_eq!(
            plan_transfer(10, 20, &too_many).unwrap_err().code,
            "fulfilment.transfer_exceeds_sold"
        );
        let dup = [lines[0], lines[0]];
        assert_eq!(
            plan_transfer(10, 20, &dup).unwrap_err().code,
            "fulfilment.transfer_duplicate_product"
        );
    }

    proptest! {
        /// Any sequence of attempted partial shipments: accepted ones never take the line past
        /// the ordered quantity, and a refused one changes nothing.
        #[test]
        fn shipments_stay_within_order(ordered in 0i64..1_000, attempts in proptest::collection::vec(-5i64..400, 0..20)) {
            let mut shipped = 0;
            for qty in attempts {
                match check_shipment(ordered, shipped, qty) {
                    Ok(after) => { prop_assert_eq!(after, shipped + qty); shipped = after; }
                    Err(_) => prop_assert!(qty <= 0 || shipped + qty > ordered),
                }
                prop_assert!(shipped <= ordered);
            }
        }

        /// Claims: every claimed unit is either credited or re-shipped, and sold + credited =
        /// shipped.
        #[test]
        fn claims_balance(shipped in 1i64..1_000, short in 0i64..600, damaged in 0i64..600, reship in 0i64..1_200) {
            let claim = DeliveryClaim { shipped, short, damaged, reship };
            if let Ok(s) = settle_delivery(&claim) {
                prop_assert_eq!(s.to_credit + s.to_reship, short + damaged);
                prop_assert_eq!(s.delivered + short + damaged, shipped);
                prop_assert_eq!(s.sold + s.to_credit, shipped);
                prop_assert!(s.delivered >= 0 && s.to_credit >= 0 && s.to_reship >= 0);
            } else {
                prop_assert!(short + damaged > shipped || reship > short + damaged);
            }
        }

        /// Invoice arithmetic: line net = qty × price exactly; tax within half a fen of the
        /// exact rate and rounded half up; totals are the sums of the lines.
        #[test]
        fn invoice_amounts_are_exact(lines in proptest::collection::vec((1i64..10_000, 0i64..10_000_000, 0i64..=10_000), 1..8)) {
            let shipped: Vec<ShippedLine> = lines.iter().map(|(q, p, bp)| line(*q, *p, *bp)).collect();
            let inv = invoice_amounts(&shipped).expect("fits");
            for (l, a) in shipped.iter().zip(&inv.lines) {
                prop_assert_eq!(i128::from(a.net.0), i128::from(l.quantity) * i128::from(l.unit_price.0));
                let exact_times_2 = 2 * i128::from(a.net.0) * i128::from(l.tax_rate_bp);
                let got_times_2 = 2 * i128::from(a.tax.0) * BP;
                // |tax - exact| ≤ ½ fen, and exactly ½ rounds up.
                prop_assert!(got_times_2 - exact_times_2 <= BP);
                prop_assert!(exact_times_2 - got_times_2 < BP);
                prop_assert_eq!(a.gross.0, a.net.0 + a.tax.0);
            }
            prop_assert_eq!(inv.net.0, inv.lines.iter().map(|l| l.net.0).sum::<i64>());
            prop_assert_eq!(inv.tax.0, inv.lines.iter().map(|l| l.tax.0).sum::<i64>());
            prop_assert_eq!(inv.gross.0, inv.net.0 + inv.tax.0);
        }

        /// Any sequence of partial returns (some refused) credits at most the line, never a
        /// negative amount, and exactly the line once every unit is back; the returned total
        /// never exceeds the sold quantity.
        #[test]
        fn partial_returns_credit_exactly_the_line(
            quantity in 1i64..500,
            net in 0i64..100_000_000,
            tax in 0i64..10_000_000,
            attempts in proptest::collection::vec(-2i64..200, 0..30),
        ) {
            let l = LineAmount { quantity, net: Money(net), tax: Money(tax), gross: Money(net + tax) };
            let mut returned = 0;
            let (mut credited_net, mut credited_tax) = (0i64, 0i64);
            let mut apply = |qty: i64, returned: &mut i64| -> Result<(), TestCaseError> {
                match return_credit(&l, *returned, qty) {
                    Ok(c) => {
                        prop_assert!(c.net.0 >= 0 && c.tax.0 >= 0);
                        prop_assert_eq!(c.gross.0, c.net.0 + c.tax.0);
                        credited_net += c.net.0;
                        credited_tax += c.tax.0;
                        *returned += qty;
                    }
                    Err(e) => prop_assert!(qty <= 0 || e.code == "fulfilment.return_exceeds_sold"),
                }
                prop_assert!(*returned <= quantity);
                prop_assert!(credited_net <= net && credited_tax <= tax);
                // Never more than pro rata of what has come back.
                prop_assert!(i128::from(credited_net) * i128::from(quantity) <= i128::from(net) * i128::from(*returned));
                Ok(())
            };
            for qty in attempts { apply(qty, &mut returned)?; }
            if returned < quantity { apply(quantity - returned, &mut returned)?; }
            prop_assert_eq!(returned, quantity);
            prop_assert_eq!(credited_net, net);
            prop_assert_eq!(credited_tax, tax);
        }

        /// Transfers: the source's credit and the target's debit are equal and opposite, the
        /// stock moves net to zero per product, and no line moves more than the source holds.
        #[test]
        fn transfers_always_balance(
            rows in proptest::collection::vec((1i64..1_000, 0i64..1_000_000, 0i64..=10_000, 0i64..1_200), 1..6),
            source in 1i64..50,
            target in 1i64..50,
        ) {
            let lines: Vec<TransferLine> = rows.iter().enumerate().map(|(i, (q, p, bp, held))| TransferLine {
                product_id: i as i64, quantity: *q, unit_price: Money(*p), tax_rate_bp: *bp, source_returnable: *held,
            }).collect();
            match plan_transfer(source, target, &lines) {
                Ok(plan) => {
                    prop_assert_ne!(source, target);
                    prop_assert_eq!(plan.source_credit.amount.0 + plan.target_debit.amount.0, 0);
                    prop_assert_eq!(plan.target_debit.amount, plan.amounts.gross);
                    prop_assert!(net_moves(&plan.moves).values().all(|q| *q == 0));
                    let out: i64 = plan.moves.iter().filter(|m| m.dealer_id == source).map(|m| m.quantity).sum();
                    let into: i64 = plan.moves.iter().filter(|m| m.dealer_id == target).map(|m| m.quantity).sum();
                    prop_assert_eq!(out + into, 0);
                    prop_assert!(lines.iter().all(|l| l.quantity <= l.source_returnable));
                }
                Err(_) => prop_assert!(source == target || lines.iter().any(|l| l.quantity > l.source_returnable)),
            }
        }
    }
}
