//! Orders: states, transitions and line rules.

use crate::{FieldError, Money};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Submitted,
    OnHold,
    Confirmed,
    Cancelled,
    /// Some goods have left; the rest is still to ship.
    PartiallyShipped,
    /// Every ordered unit has left.
    Shipped,
    /// Shipped and every shipment delivered and invoiced.
    Closed,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Draft,
        Status::Submitted,
        Status::OnHold,
        Status::Confirmed,
        Status::Cancelled,
        Status::PartiallyShipped,
        Status::Shipped,
        Status::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::OnHold => "on_hold",
            Status::Confirmed => "confirmed",
            Status::Cancelled => "cancelled",
            Status::PartiallyShipped => "partially_shipped",
            Status::Shipped => "shipped",
            Status::Closed => "closed",
        }
    }

    pub fn parse(code: &str) -> Option<Status> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether the order's lines may still change.
    pub fn editable(self) -> bool {
        matches!(self, Status::Draft | Status::OnHold | Status::Confirmed)
    }

    pub fn can_submit(self) -> bool {
        self == Status::Draft
    }

    pub fn can_cancel(self) -> bool {
        matches!(
            self,
            Status::Draft | Status::Submitted | Status::OnHold | Status::Confirmed
        )
    }

    pub fn can_reopen(self) -> bool {
        self == Status::Cancelled
    }

    /// Whether goods may be shipped against the order.
    pub fn can_ship(self) -> bool {
        matches!(self, Status::Confirmed | Status::PartiallyShipped)
    }

    /// The state after a shipment or a re-shipment claim, from what is still open to ship.
    pub fn after_shipping(open_units: i64) -> Status {
        if open_units > 0 {
            Status::PartiallyShipped
        } else {
            Status::Shipped
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Desk,
    Rep,
    Api,
}

impl Source {
    pub fn code(self) -> &'static str {
        match self {
            Source::Desk => "desk",
            Source::Rep => "rep",
            Source::Api => "api",
        }
    }

    pub fn parse(code: &str) -> Option<Source> {
        [Source::Desk, Source::Rep, Source::Api]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// The most lines an order may have and the largest quantity of one line (base units).
pub const MAX_LINES: usize = 200;
pub const MAX_QUANTITY: i64 = 10_000_000;

pub fn check_lines_count(n: usize) -> Result<(), FieldError> {
    if n == 0 {
        return Err(FieldError::new(
            "order.no_lines",
            "lines",
            "an order needs at least one line",
        ));
    }
    if n > MAX_LINES {
        return Err(FieldError::new(
            "order.too_many_lines",
            "lines",
            format!("an order has at most {MAX_LINES} lines"),
        ));
    }
    Ok(())
}

pub fn check_quantity(quantity: i64) -> Result<(), FieldError> {
    if quantity <= 0 || quantity > MAX_QUANTITY {
        return Err(FieldError::new(
            "order.quantity_invalid",
            "quantity",
            format!("a quantity is a whole number from 1 to {MAX_QUANTITY}"),
        ));
    }
    Ok(())
}

/// A line's amount, refusing overflow.
pub fn line_amount(quantity: i64, unit: Money) -> Result<Money, FieldError> {
    if unit.0 < 0 {
        return Err(FieldError::new(
            "order.price_invalid",
            "unit_price_fen",
            "a price cannot be negative",
        ));
    }
    unit.checked_mul(quantity).ok_or_else(|| {
        FieldError::new(
            "order.amount_too_large",
            "quantity",
            "the amount is too large",
        )
    })
}

pub fn total(amounts: &[Money]) -> Result<Money, FieldError> {
    amounts
        .iter()
        .try_fold(Money::ZERO, |acc, a| acc.checked_add(*a))
        .ok_or_else(|| {
            FieldError::new("order.amount_too_large", "lines", "the amount is too large")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.code()), Some(s));
        }
        assert_eq!(Source::parse("api"), Some(Source::Api));
        assert_eq!(Source::parse("fax"), None);
    }

    #[test]
    fn quantities_and_amounts() {
        assert!(check_quantity(0).is_err());
        assert!(check_quantity(-3).is_err());
        assert!(check_quantity(MAX_QUANTITY + 1).is_err());
        assert!(check_quantity(5).is_ok());
        assert!(line_amount(i64::MAX, Money(2)).is_err());
        assert_eq!(line_amount(3, Money(150)), Ok(Money(450)));
        assert!(check_lines_count(0).is_err());
    }

    #[test]
    fn only_cancelled_orders_reopen() {
        assert!(Status::Cancelled.can_reopen());
        assert!(!Status::Confirmed.can_reopen());
        assert!(!Status::Cancelled.can_cancel());
    }
}
