//! The suggested credit limit: the formula the monthly job uses to propose each dealer's limit.
//!
//! A proposal is only a suggestion: it goes through the approval engine like any hand-made
//! change, and the approver sees every factor that produced it ([`CreditLimitProposal`]).
//!
//! # The formula
//!
//! All factors are fixed-point in basis points (10 000 bp = 1.0); nothing is a float, and the
//! whole product is taken in `i128` with a single division at the end, so the same history
//! always gives the same fen.
//!
//! ```text
//! base      = (sum of net sales over the last 12 months / 12) × months_of_cover
//!             (a month without sales counts as 0; a month whose returns exceed its sales
//!              counts as 0)
//! payment   = max(payment_floor, 1.0 − days_late × late_step_penalty / late_days_step)
//!             days_late = max(0, average days to pay − payment term); no paid invoice yet → 0
//!             (defaults: −10 % per 10 days late, pro rata per day; floor 0.3)
//! overdue   = max(overdue_floor, 1.0 − overdue_months × overdue_month_penalty)
//!             overdue_months = months among the last 12 that ended with debt overdue beyond
//!             the grace period (defaults: −5 % a month, floor 0.5)
//! growth    = clamp(sales of the last 3 months / sales of the same 3 months a year earlier,
//!                   growth_min, growth_max)      (defaults 0.8 … 1.3)
//!             no sales a year earlier → 1.0 (no basis to compare; the base already shows the
//!             new sales)
//! raw       = base × payment × overdue × growth          (floored to the fen)
//! proposal  = raw rounded down to a multiple of rounding_unit (default 1 000 yuan),
//!             then at most `maximum`, and for an active dealer at least `minimum_active`.
//! ```
//!
//! Why these choices:
//! * *Average over 12 months, zeros included*: a dealer that buys twice a year should not get
//!   the limit of one that buys every month.
//! * *Months of cover* (default 1.5): with a 30–45 day payment term a dealer has roughly one and
//!   a half months of purchases open at any time; less would block normal ordering.
//! * *Lateness pro rata per day*: a dealer five days late loses 5 %, not 0 % or 10 %, so a
//!   day's difference never makes the proposal jump; the floor keeps a slow payer trading
//!   while the overdue rule and the credit hold protect the company.
//! * *Rounding down*: a limit is a round figure people remember, and rounding must never give
//!   more credit than the formula justifies.
//!
//! Properties (property-tested below): more sales in the last 12 months never lower the
//! proposal; later payment or more overdue months never raise it; the result lies between the
//! minimum (active dealers; 0 otherwise) and the maximum; the same input always gives the same
//! output. (More sales in the comparison months a year earlier *can* lower it — through the
//! growth factor, on purpose: that is a dealer in decline.)

use crate::{FieldError, Money};
use serde::{Deserialize, Serialize};

/// 1.0 in basis points.
pub const ONE_BP: i64 = 10_000;
/// The history the formula looks at: 24 months (12 for the base, and the growth comparison
/// reaches 15 months back).
pub const HISTORY_MONTHS: usize = 24;
/// The largest maximum the formula accepts (10 billion yuan): keeps the `i128` product far
/// from overflow.
pub const MAX_LIMIT_FEN: i64 = 1_000_000_000_000;

/// The formula's parameters. Stored as a setting, changed through approval, validated with
/// [`CreditLimitParams::validate`] before use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditLimitParams {
    /// Months of average sales the limit covers, in bp (15 000 = 1.5 months).
    pub months_of_cover_bp: i64,
    /// Days of lateness that cost `late_step_penalty_bp` (10 days).
    pub late_days_step: i64,
    /// The cut per `late_days_step` days late, in bp (1 000 = 10 %).
    pub late_step_penalty_bp: i64,
    /// The payment factor never goes below this, in bp (3 000 = 0.3).
    pub payment_floor_bp: i64,
    /// The cut per month with overdue debt, in bp (500 = 5 %).
    pub overdue_month_penalty_bp: i64,
    /// The overdue factor never goes below this, in bp (5 000 = 0.5).
    pub overdue_floor_bp: i64,
    /// Growth factor bounds, in bp (8 000 = 0.8, 13 000 = 1.3). `min ≤ 1.0 ≤ max`.
    pub growth_min_bp: i64,
    pub growth_max_bp: i64,
    /// Proposals are rounded down to a multiple of this (100 000 fen = 1 000 yuan).
    pub rounding_unit: Money,
    /// No proposal above this (5 000 000 yuan).
    pub maximum: Money,
    /// An active dealer is proposed at least this (10 000 yuan), so a dealer in a slow season
    /// can still place an order; inactive dealers get no minimum.
    pub minimum_active: Money,
}

impl Default for CreditLimitParams {
    fn default() -> Self {
        CreditLimitParams {
            months_of_cover_bp: 15_000,
            late_days_step: 10,
            late_step_penalty_bp: 1_000,
            payment_floor_bp: 3_000,
            overdue_month_penalty_bp: 500,
            overdue_floor_bp: 5_000,
            growth_min_bp: 8_000,
            growth_max_bp: 13_000,
            rounding_unit: Money(100_000),
            maximum: Money(500_000_000),
            minimum_active: Money(1_000_000),
        }
    }
}

fn param_error(field: &'static str, message: String) -> FieldError {
    FieldError::new("credit_limit.param_invalid", field, message)
}

fn check_range(
    value: i64,
    range: std::ops::RangeInclusive<i64>,
    field: &'static str,
) -> Result<(), FieldError> {
    if !range.contains(&value) {
        return Err(param_error(
            field,
            format!(
                "{field} must be between {} and {}",
                range.start(),
                range.end()
            ),
        ));
    }
    Ok(())
}

impl CreditLimitParams {
    /// Every parameter in a range where the formula means something: cover up to 12 months,
    /// penalties and floors between 0 and 1.0, growth bounds around 1.0 (and at most 3.0),
    /// a positive rounding unit, `minimum_active ≤ maximum ≤` [`MAX_LIMIT_FEN`].
    pub fn validate(&self) -> Result<(), FieldError> {
        check_range(
            self.months_of_cover_bp,
            1..=12 * ONE_BP,
            "months_of_cover_bp",
        )?;
        check_range(self.late_days_step, 1..=365, "late_days_step")?;
        check_range(
            self.late_step_penalty_bp,
            0..=ONE_BP,
            "late_step_penalty_bp",
        )?;
        check_range(self.payment_floor_bp, 0..=ONE_BP, "payment_floor_bp")?;
        check_range(
            self.overdue_month_penalty_bp,
            0..=ONE_BP,
            "overdue_month_penalty_bp",
        )?;
        check_range(self.overdue_floor_bp, 0..=ONE_BP, "overdue_floor_bp")?;
        check_range(self.growth_min_bp, 0..=ONE_BP, "growth_min_bp")?;
        check_range(self.growth_max_bp, ONE_BP..=3 * ONE_BP, "growth_max_bp")?;
        check_range(self.maximum.0, 1..=MAX_LIMIT_FEN, "maximum")?;
        check_range(self.rounding_unit.0, 1..=self.maximum.0, "rounding_unit")?;
        if self.minimum_active.0 < 0 || self.minimum_active > self.maximum {
            return Err(FieldError::new(
                "credit_limit.minimum_above_maximum",
                "minimum_active",
                "the minimum must be between 0 and the maximum",
            ));
        }
        Ok(())
    }
}

/// What the formula needs to know about one dealer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditHistory {
    /// Net sales (invoiced less credited) per calendar month, oldest first, the last element
    /// the most recent complete month. At most [`HISTORY_MONTHS`]; months missing at the front
    /// count as 0 (a young dealer).
    pub monthly_sales: Vec<Money>,
    /// Average days from invoice date to full payment over the invoices paid in the last 12
    /// months (amount-weighted is best; the formula does not care how the caller averages);
    /// `None` if none were paid.
    pub average_days_to_pay: Option<i64>,
    /// The dealer's payment term in days.
    pub payment_term_days: i64,
    /// How many of the last 12 months ended with debt overdue beyond the grace period.
    pub overdue_months: i64,
    /// Active dealers get at least the minimum.
    pub active: bool,
}

/// Which bound, if any, decided the proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitBound {
    Formula,
    Maximum,
    Minimum,
}

/// A proposal with everything that produced it, for the approver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditLimitProposal {
    pub proposed: Money,
    /// Sum of the last 12 months.
    pub sales_12_months: Money,
    /// `sales_12_months / 12`, floored (for display; the formula uses the exact sum).
    pub average_monthly_sales: Money,
    /// `average × months of cover`, floored (for display).
    pub base: Money,
    pub days_late: i64,
    pub payment_factor_bp: i64,
    pub overdue_months: i64,
    pub overdue_factor_bp: i64,
    pub sales_last_3_months: Money,
    pub sales_same_3_months_last_year: Money,
    pub growth_factor_bp: i64,
    /// The formula before rounding and bounds (at most `maximum` if it went beyond).
    pub unrounded: Money,
    pub bound: LimitBound,
}

fn saturate(value: i128) -> Money {
    Money(i64::try_from(value).unwrap_or(i64::MAX))
}

/// Proposes a credit limit from a dealer's history. See the module documentation for the
/// formula.
pub fn suggest_credit_limit(
    history: &CreditHistory,
    params: &CreditLimitParams,
) -> Result<CreditLimitProposal, FieldError> {
    params.validate()?;
    if history.monthly_sales.len() > HISTORY_MONTHS {
        return Err(FieldError::new(
            "credit_limit.history_too_long",
            "monthly_sales",
            format!("give at most {HISTORY_MONTHS} months of sales"),
        ));
    }
    if !(0..=365).contains(&history.payment_term_days) {
        return Err(FieldError::new(
            "credit_limit.payment_term_invalid",
            "payment_term_days",
            "a payment term is 0 to 365 days",
        ));
    }
    if let Some(days) = history.average_days_to_pay {
        if !(0..=3650).contains(&days) {
            return Err(FieldError::new(
                "credit_limit.days_to_pay_invalid",
                "average_days_to_pay",
                "average days to pay must be between 0 and 3650",
            ));
        }
    }
    if !(0..=12).contains(&history.overdue_months) {
        return Err(FieldError::new(
            "credit_limit.overdue_months_invalid",
            "overdue_months",
            "overdue months are counted over the last 12",
        ));
    }

    // Oldest first, padded to 24 months; a negative month counts as 0.
    let mut months = [0i128; HISTORY_MONTHS];
    let pad = HISTORY_MONTHS - history.monthly_sales.len();
    for (slot, sales) in months[pad..].iter_mut().zip(&history.monthly_sales) {
        *slot = i128::from(sales.0.max(0));
    }
    let sum = |range: std::ops::Range<usize>| -> i128 { months[range].iter().sum() };
    let sales_12 = sum(12..24);
    let recent_3 = sum(21..24);
    let prior_3 = sum(9..12);

    let bp = i128::from(ONE_BP);
    let days_late = history
        .average_days_to_pay
        .map_or(0, |d| (d - history.payment_term_days).max(0));
    let late_cut = i128::from(days_late) * i128::from(params.late_step_penalty_bp)
        / i128::from(params.late_days_step);
    let payment = (bp - late_cut).max(i128::from(params.payment_floor_bp));
    let overdue = (bp
        - i128::from(history.overdue_months) * i128::from(params.overdue_month_penalty_bp))
    .max(i128::from(params.overdue_floor_bp));
    let growth = if prior_3 == 0 {
        bp
    } else {
        (recent_3 * bp / prior_3).clamp(
            i128::from(params.growth_min_bp),
            i128::from(params.growth_max_bp),
        )
    };

    // sales_12 × cover × payment × overdue × growth / (12 × bp⁴). With the validated ranges
    // this stays below 2^127; checked anyway, and anything that would not fit is above the
    // maximum.
    let maximum = i128::from(params.maximum.0);
    let raw = [
        i128::from(params.months_of_cover_bp),
        payment,
        overdue,
        growth,
    ]
    .iter()
    .try_fold(sales_12, |acc, f| acc.checked_mul(*f))
    .map_or(maximum, |product| {
        (product / (12 * bp * bp * bp * bp)).min(maximum)
    });

    let unit = i128::from(params.rounding_unit.0);
    let rounded = raw / unit * unit;
    let (proposed, bound) = if history.active && rounded < i128::from(params.minimum_active.0) {
        (params.minimum_active, LimitBound::Minimum)
    } else if rounded >= maximum {
        (params.maximum, LimitBound::Maximum)
    } else {
        (saturate(rounded), LimitBound::Formula)
    };

    Ok(CreditLimitProposal {
        proposed,
        sales_12_months: saturate(sales_12),
        average_monthly_sales: saturate(sales_12 / 12),
        base: saturate(sales_12 * i128::from(params.months_of_cover_bp) / (12 * bp)),
        days_late,
        payment_factor_bp: payment as i64,
        overdue_months: history.overdue_months,
        overdue_factor_bp: overdue as i64,
        sales_last_3_months: saturate(recent_3),
        sales_same_3_months_last_year: saturate(prior_3),
        growth_factor_bp: growth as i64,
        unrounded: saturate(raw),
        bound,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn history(monthly: &[i64]) -> CreditHistory {
        CreditHistory {
            monthly_sales: monthly.iter().copied().map(Money).collect(),
            average_days_to_pay: Some(30),
            payment_term_days: 30,
            overdue_months: 0,
            active: true,
        }
    }

    fn yuan(y: i64) -> i64 {
        y * 100
    }

    #[test]
    fn steady_dealer_gets_one_and_a_half_months() {
        // 100 000 yuan every month for two years, paying on time: 150 000 yuan.
        let h = history(&[yuan(100_000); 24]);
        let p = suggest_credit_limit(&h, &CreditLimitParams::default()).expect("ok");
        assert_eq!(p.proposed, Money(yuan(150_000)));
        assert_eq!(p.payment_factor_bp, 10_000);
        assert_eq!(p.overdue_factor_bp, 10_000);
        assert_eq!(p.growth_factor_bp, 10_000);
        assert_eq!(p.bound, LimitBound::Formula);
        assert_eq!(p.average_monthly_sales, Money(yuan(100_000)));
        assert_eq!(p.base, Money(yuan(150_000)));
    }

    #[test]
    fn factors_follow_the_documented_steps() {
        let mut h = history(&[yuan(100_000); 24]);
        h.average_days_to_pay = Some(50); // 20 days late → 0.8
        h.overdue_months = 2; // → 0.9
        let p = suggest_credit_limit(&h, &CreditLimitParams::default()).expect("ok");
        assert_eq!(p.days_late, 20);
        assert_eq!(p.payment_factor_bp, 8_000);
        assert_eq!(p.overdue_factor_bp, 9_000);
        // 150 000 × 0.8 × 0.9 = 108 000 yuan.
        assert_eq!(p.proposed, Money(yuan(108_000)));

        h.average_days_to_pay = Some(35); // 5 days late → 0.95, pro rata
        h.overdue_months = 0;
        let p = suggest_credit_limit(&h, &CreditLimitParams::default()).expect("ok");
        assert_eq!(p.payment_factor_bp, 9_500);
        // 142 500 yuan rounded down to 142 000.
        assert_eq!(p.unrounded, Money(yuan(142_500)));
        assert_eq!(p.proposed, Money(yuan(142_000)));

        h.average_days_to_pay = Some(400); // very late → floor 0.3
        h.overdue_months = 12; // → floor 0.5
        let p = suggest_credit_limit(&h, &CreditLimitParams::default()).expect("ok");
        assert_eq!(p.payment_factor_bp, 3_000);
        assert_eq!(p.overdue_factor_bp, 5_000);
        assert_eq!(p.proposed, Money(yuan(22_000)));

        // Paying early earns no bonus.
        h.average_days_to_pay = Some(5);
        h.overdue_months = 0;
        let p = suggest_credit_limit(&h, &CreditLimitParams::default()).expect("ok");
        assert_eq!(p.payment_factor_bp, 10_000);
    }

    #[test]
    fn growth_is_capped_both_ways() {
        // Last 3 months doubled against a year earlier → capped at 1.3.
        let mut months = vec![yuan(100_000); 24];
        for m in &mut months[21..24] {
            *m = yuan(200_000);
        }
        let p = suggest_credit_limit(&history(&months), &CreditLimitParams::default()).expect("ok");
        assert_eq!(p.growth_factor_bp, 13_000);
        assert_eq!(p.sales_last_3_months, Money(yuan(600_000)));
        assert_eq!(p.sales_same_3_months_last_year, Money(yuan(300_000)));
        // Sales 15 months back tripled → decline below 0.8 → capped at 0.8.
        let mut months = vec![yuan(100_000); 24];
        for m in &mut months[9..12] {
            *m = yuan(300_000);
        }
        let p = suggest_credit_limit(&history(&months), &CreditLimitParams::default()).expect("ok");
        assert_eq!(p.growth_factor_bp, 8_000);
        assert_eq!(p.proposed, Money(yuan(120_000)));
        // A new dealer with nothing a year ago: neutral growth, months missing count as 0.
        let p = suggest_credit_limit(&history(&[yuan(120_000); 6]), &CreditLimitParams::default())
            .expect("ok");
        assert_eq!(p.growth_factor_bp, 10_000);
        assert_eq!(p.average_monthly_sales, Money(yuan(60_000)));
        assert_eq!(p.proposed, Money(yuan(90_000)));
    }

    #[test]
    fn bounds_apply() {
        let params = CreditLimitParams::default();
        let p = suggest_credit_limit(&history(&[]), &params).expect("ok");
        assert_eq!(
            (p.proposed, p.bound),
            (params.minimum_active, LimitBound::Minimum)
        );
        let mut inactive = history(&[]);
        inactive.active = false;
        let p = suggest_credit_limit(&inactive, &params).expect("ok");
        assert_eq!((p.proposed, p.bound), (Money(0), LimitBound::Formula));
        let p = suggest_credit_limit(&history(&[i64::MAX; 24]), &params).expect("ok");
        assert_eq!((p.proposed, p.bound), (params.maximum, LimitBound::Maximum));
        // Returns exceeding sales in a month count as 0, never negative.
        let p = suggest_credit_limit(&history(&[-yuan(1_000_000); 24]), &params).expect("ok");
        assert_eq!(p.sales_12_months, Money(0));
    }

    #[test]
    fn inputs_and_params_are_validated() {
        let params = CreditLimitParams::default();
        assert_eq!(params.validate(), Ok(()));
        let code =
            |h: CreditHistory, p: &CreditLimitParams| suggest_credit_limit(&h, p).unwrap_err();
        assert_eq!(
            code(history(&[0; 25]), &params).code,
            "credit_limit.history_too_long"
        );
        let mut h = history(&[0; 3]);
        h.overdue_months = 13;
        assert_eq!(code(h, &params).code, "credit_limit.overdue_months_invalid");
        let mut h = history(&[0; 3]);
        h.average_days_to_pay = Some(-1);
        assert_eq!(code(h, &params).code, "credit_limit.days_to_pay_invalid");
        let mut h = history(&[0; 3]);
        h.payment_term_days = 400;
        assert_eq!(code(h, &params).code, "credit_limit.payment_term_invalid");

        let bad = |f: fn(&mut CreditLimitParams)| {
            let mut p = CreditLimitParams::default();
            f(&mut p);
            p.validate().unwrap_err()
        };
        let e = bad(|p| p.months_of_cover_bp = 0);
        assert_eq!(
            (e.code, e.field),
            ("credit_limit.param_invalid", Some("months_of_cover_bp"))
        );
        assert_eq!(
            bad(|p| p.growth_min_bp = 10_001).field,
            Some("growth_min_bp")
        );
        assert_eq!(
            bad(|p| p.growth_max_bp = 9_999).field,
            Some("growth_max_bp")
        );
        assert_eq!(
            bad(|p| p.payment_floor_bp = -1).field,
            Some("payment_floor_bp")
        );
        assert_eq!(bad(|p| p.late_days_step = 0).field, Some("late_days_step"));
        assert_eq!(
            bad(|p| p.rounding_unit = Money(0)).field,
            Some("rounding_unit")
        );
        assert_eq!(
            bad(|p| p.minimum_active = Money(p.maximum.0 + 1)).code,
            "credit_limit.minimum_above_maximum"
        );
    }

    fn history_strategy() -> impl Strategy<Value = CreditHistory> {
        (
            proptest::collection::vec(-1_000_000i64..2_000_000_000, 0..=24),
            proptest::option::weighted(0.9, 0i64..200),
            0i64..=120,
            0i64..=12,
            proptest::bool::weighted(0.8),
        )
            .prop_map(|(sales, days, term, overdue, active)| CreditHistory {
                monthly_sales: sales.into_iter().map(Money).collect(),
                average_days_to_pay: days,
                payment_term_days: term,
                overdue_months: overdue,
                active,
            })
    }

    fn params_strategy() -> impl Strategy<Value = CreditLimitParams> {
        (
            1i64..=60_000,
            1i64..=30,
            0i64..=3_000,
            0i64..=10_000,
            0i64..=2_000,
            0i64..=10_000,
            5_000i64..=10_000,
            10_000i64..=20_000,
            prop_oneof![Just(1i64), Just(100), Just(100_000), 1i64..10_000_000],
            10_000_000i64..=2_000_000_000,
            0i64..=10_000_000,
        )
            .prop_map(
                |(cover, step, pen, pfloor, open, ofloor, gmin, gmax, unit, max, min)| {
                    CreditLimitParams {
                        months_of_cover_bp: cover,
                        late_days_step: step,
                        late_step_penalty_bp: pen,
                        payment_floor_bp: pfloor,
                        overdue_month_penalty_bp: open,
                        overdue_floor_bp: ofloor,
                        growth_min_bp: gmin,
                        growth_max_bp: gmax,
                        rounding_unit: Money(unit),
                        maximum: Money(max),
                        minimum_active: Money(min),
                    }
                },
            )
    }

    fn proposed(h: &CreditHistory, p: &CreditLimitParams) -> i64 {
        suggest_credit_limit(h, p).expect("valid input").proposed.0
    }

    proptest! {
        /// More sales in any of the last 12 months never lower the proposal.
        #[test]
        fn more_sales_never_lower(h in history_strategy(), p in params_strategy(), month in 0usize..12, extra in 1i64..1_000_000_000) {
            let mut more = h.clone();
            let len = more.monthly_sales.len();
            if len > month {
                let slot = &mut more.monthly_sales[len - 1 - month];
                *slot = Money(slot.0.max(0) + extra);
            } else {
                more.monthly_sales.insert(0, Money(extra));
                while more.monthly_sales.len() < month + 1 { more.monthly_sales.insert(1, Money(0)); }
            }
            prop_assert!(more.monthly_sales.len() <= HISTORY_MONTHS);
            prop_assert!(proposed(&more, &p) >= proposed(&h, &p));
        }

        /// Paying later, or having more overdue months, never raises the proposal.
        #[test]
        fn lateness_never_raises(h in history_strategy(), p in params_strategy(), later in 1i64..100, more_overdue in 1i64..12) {
            let base = proposed(&h, &p);
            let mut late = h.clone();
            late.average_days_to_pay = Some(h.average_days_to_pay.unwrap_or(h.payment_term_days) + later);
            prop_assert!(proposed(&late, &p) <= base);
            let mut overdue = h.clone();
            overdue.overdue_months = (h.overdue_months + more_overdue).min(12);
            prop_assert!(proposed(&overdue, &p) <= base);
        }

        /// Bounded, rounded, factors within their documented ranges, and deterministic.
        #[test]
        fn bounded_and_deterministic(h in history_strategy(), p in params_strategy()) {
            let a = suggest_credit_limit(&h, &p).expect("valid");
            let b = suggest_credit_limit(&h.clone(), &p.clone()).expect("valid");
            prop_assert_eq!(&a, &b);
            prop_assert!(a.proposed <= p.maximum);
            prop_assert!(a.proposed.0 >= 0);
            if h.active { prop_assert!(a.proposed >= p.minimum_active); }
            match a.bound {
                LimitBound::Formula => {
                    prop_assert_eq!(a.proposed.0 % p.rounding_unit.0, 0);
                    prop_assert!(a.proposed <= a.unrounded);
                    prop_assert!(a.unrounded.0 - a.proposed.0 < p.rounding_unit.0);
                }
                LimitBound::Maximum => prop_assert_eq!(a.proposed, p.maximum),
                LimitBound::Minimum => prop_assert_eq!(a.proposed, p.minimum_active),
            }
            prop_assert!((p.payment_floor_bp.min(ONE_BP)..=ONE_BP).contains(&a.payment_factor_bp));
            prop_assert!((p.overdue_floor_bp.min(ONE_BP)..=ONE_BP).contains(&a.overdue_factor_bp));
            prop_assert!((p.growth_min_bp..=p.growth_max_bp).contains(&a.growth_factor_bp));
            // Never more than the uncapped factors allow: base × 1.3-ish ceiling.
            let ceiling = i128::from(a.sales_12_months.0) * i128::from(p.months_of_cover_bp) * i128::from(p.growth_max_bp)
                / (12 * i128::from(ONE_BP) * i128::from(ONE_BP));
            if a.bound == LimitBound::Formula { prop_assert!(i128::from(a.proposed.0) <= ceiling); }
        }
    }
}
