use serde::{Deserialize, Serialize};
use std::fmt;

/// An exact amount of money in fen (the currency's minor unit). Never a float.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_fen(fen: i64) -> Self {
        Money(fen)
    }

    pub fn fen(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    pub fn checked_mul(self, quantity: i64) -> Option<Money> {
        self.0.checked_mul(quantity).map(Money)
    }

    /// Parses "1234.5", "1,234.56" or "-3" (yuan with at most two decimals) into fen.
    pub fn parse_yuan(text: &str) -> Option<Money> {
        let cleaned = without_commas(text.trim());
        let (negative, digits) = match cleaned.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, &*cleaned),
        };
        let (whole, frac) = match digits.split_once('.') {
            Some((w, f)) => (w, f),
            None => (digits, ""),
        };
        if whole.is_empty() && frac.is_empty() {
            return None;
        }
        if frac.len() > 2
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let frac_fen: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().ok()? * 10,
            _ => frac.parse().ok()?,
        };
        let fen = whole.checked_mul(100)?.checked_add(frac_fen)?;
        Some(Money(if negative { -fen } else { fen }))
    }
}

/// `text` without thousands separators, copied only when it has any (imports parse millions).
pub fn without_commas(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(',') {
        text.replace(',', "").into()
    } else {
        text.into()
    }
}

impl fmt::Display for Money {
    /// Yuan with two decimals and thousands separators: `-1,234.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = (abs / 100).to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{sign}{grouped}.{:02}", abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_with_separators() {
        assert_eq!(Money(123_456_705).to_string(), "1,234,567.05");
        assert_eq!(Money(-5).to_string(), "-0.05");
        assert_eq!(Money(0).to_string(), "0.00");
    }

    #[test]
    fn rejects_malformed_amounts() {
        for bad in ["", "-", "1.234", "abc", "1.2.3", "1e5", "."] {
            assert_eq!(Money::parse_yuan(bad), None, "{bad:?} must be rejected");
        }
        assert_eq!(Money::parse_yuan("12.3"), Some(Money(1230)));
        assert_eq!(Money::parse_yuan(".5"), Some(Money(50)));
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(fen in -10_000_000_000_000i64..10_000_000_000_000) {
            let m = Money(fen);
            prop_assert_eq!(Money::parse_yuan(&m.to_string()), Some(m));
        }
    }
}
