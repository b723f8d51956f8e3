//! Prices on order lines: the list price on the order date, and when a manual price needs approval.

use crate::Money;

/// A discount up to this many basis points off the list price needs no approval.
pub const FREE_DISCOUNT_BP: i64 = 500;

/// The discount of `unit` against `list`, in basis points (negative when above the list price).
/// Without a list price, a manual price counts as a full (100 %) deviation.
pub fn discount_bp(list: Option<Money>, unit: Money) -> i64 {
    match list {
        Some(list) if list.0 > 0 => {
            ((i128::from(list.0 - unit.0) * 10_000) / i128::from(list.0)) as i64
        }
        _ => 10_000,
    }
}

/// Whether a manual price needs an approval.
pub fn needs_approval(list: Option<Money>, unit: Money) -> bool {
    discount_bp(list, unit) > FREE_DISCOUNT_BP
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_discounts_and_raises_pass() {
        assert!(!needs_approval(Some(Money(1000)), Money(950)));
        assert!(needs_approval(Some(Money(1000)), Money(949)));
        assert!(!needs_approval(Some(Money(1000)), Money(1200)));
        assert!(needs_approval(None, Money(1000)));
        assert_eq!(discount_bp(Some(Money(1000)), Money(800)), 2000);
    }
}
