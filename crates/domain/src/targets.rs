//! Plans and targets (PAE): what a SMART target is, how a target is split down by weights
//! (seasonality over months and quarters, shares down the organisation), how achievement,
//! run-rate projections and peer rankings are computed.
//!
//! Decisions:
//! * **Weights are shares of any scale**, not necessarily percentages: last year's actuals in
//!   fen can be used as weights directly, and typed percentages that do not add up to 100 (say
//!   30/30/30) are normalised to their sum. Negative weights, and weights that are all zero, are
//!   refused (there is nothing to split by).
//! * **Rounding is largest remainder**: every child gets the floor of its exact share, and the
//!   units left over go one each to the largest remainders (ties to the earlier child), so the
//!   children always add up exactly to the parent.

use crate::FieldError;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// What a target measures. Amounts are fen; volumes are base units; the rest are counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    OrderedAmount,
    ShippedAmount,
    InvoicedAmount,
    CollectedAmount,
    OrderedVolume,
    ShippedVolume,
    NewActiveDealers,
    Visits,
}

/// The unit a metric's numbers are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Fen,
    Quantity,
    Count,
}

impl Metric {
    pub const ALL: [Metric; 8] = [
        Metric::OrderedAmount,
        Metric::ShippedAmount,
        Metric::InvoicedAmount,
        Metric::CollectedAmount,
        Metric::OrderedVolume,
        Metric::ShippedVolume,
        Metric::NewActiveDealers,
        Metric::Visits,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Metric::OrderedAmount => "ordered_amount",
            Metric::ShippedAmount => "shipped_amount",
            Metric::InvoicedAmount => "invoiced_amount",
            Metric::CollectedAmount => "collected_amount",
            Metric::OrderedVolume => "ordered_volume",
            Metric::ShippedVolume => "shipped_volume",
            Metric::NewActiveDealers => "new_active_dealers",
            Metric::Visits => "visits",
        }
    }

    pub fn parse(code: &str) -> Option<Metric> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    pub fn unit(self) -> Unit {
        match self {
            Metric::OrderedAmount
            | Metric::ShippedAmount
            | Metric::InvoicedAmount
            | Metric::CollectedAmount => Unit::Fen,
            Metric::OrderedVolume | Metric::ShippedVolume => Unit::Quantity,
            Metric::NewActiveDealers | Metric::Visits => Unit::Count,
        }
    }

    /// The rollup column achievement is read from; `None` for metrics not kept in the sales
    /// rollups (their achievement comes from their own records).
    pub fn rollup_column(self) -> Option<&'static str> {
        match self {
            Metric::OrderedAmount => Some("ordered_fen"),
            Metric::ShippedAmount => Some("shipped_fen"),
            Metric::InvoicedAmount => Some("invoiced_fen"),
            Metric::CollectedAmount => Some("collected_fen"),
            Metric::OrderedVolume => Some("ordered_qty"),
            Metric::ShippedVolume => Some("shipped_qty"),
            Metric::NewActiveDealers | Metric::Visits => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Year,
    Quarter,
    Month,
}

impl PeriodKind {
    pub fn code(self) -> &'static str {
        match self {
            PeriodKind::Year => "year",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Month => "month",
        }
    }

    pub fn parse(code: &str) -> Option<PeriodKind> {
        [PeriodKind::Year, PeriodKind::Quarter, PeriodKind::Month]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// A target's period: a calendar year (`2026`), quarter (`2026-Q2`) or month (`2026-05`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TargetPeriod {
    pub kind: PeriodKind,
    /// First day.
    pub start: NaiveDate,
    /// Last day (inclusive): the period end a SMART target is bound to.
    pub end: NaiveDate,
}

fn month_start(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, 1)
}

fn month_end(year: i32, month: u32) -> Option<NaiveDate> {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    month_start(y, m)?.pred_opt()
}

impl TargetPeriod {
    fn months(kind: PeriodKind, year: i32, first: u32, count: u32) -> Option<TargetPeriod> {
        if !(2000..=2200).contains(&year) {
            return None;
        }
        Some(TargetPeriod {
            kind,
            start: month_start(year, first)?,
            end: month_end(year, first + count - 1)?,
        })
    }

    pub fn year(year: i32) -> Option<TargetPeriod> {
        Self::months(PeriodKind::Year, year, 1, 12)
    }

    pub fn quarter(year: i32, quarter: u32) -> Option<TargetPeriod> {
        if !(1..=4).contains(&quarter) {
            return None;
        }
        Self::months(PeriodKind::Quarter, year, (quarter - 1) * 3 + 1, 3)
    }

    pub fn month(year: i32, month: u32) -> Option<TargetPeriod> {
        if !(1..=12).contains(&month) {
            return None;
        }
        Self::months(PeriodKind::Month, year, month, 1)
    }

    /// Parses `2026`, `2026-Q2` or `2026-05`.
    pub fn parse(code: &str) -> Option<TargetPeriod> {
        let code = code.trim();
        let (year, rest) = match code.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (code, None),
        };
        if year.len() != 4 {
            return None;
        }
        let year: i32 = year.parse().ok()?;
        match rest {
            None => Self::year(year),
            Some(r) if r.len() == 2 && (r.starts_with('Q') || r.starts_with('q')) => {
                Self::quarter(year, r[1..].parse().ok()?)
            }
            Some(r) if r.len() == 2 => Self::month(year, r.parse().ok()?),
            Some(_) => None,
        }
    }

    /// The canonical code (`2026`, `2026-Q2`, `2026-05`).
    pub fn code(&self) -> String {
        match self.kind {
            PeriodKind::Year => format!("{}", self.start.year()),
            PeriodKind::Quarter => {
                format!("{}-Q{}", self.start.year(), self.start.month0() / 3 + 1)
            }
            PeriodKind::Month => format!("{}-{:02}", self.start.year(), self.start.month()),
        }
    }

    /// The period's months as `YYYY-MM` (the rollups' grain).
    pub fn month_codes(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut day = self.start;
        while day <= self.end {
            out.push(format!("{}-{:02}", day.year(), day.month()));
            day = match month_end(day.year(), day.month()).and_then(|d| d.succ_opt()) {
                Some(d) => d,
                None => break,
            };
        }
        out
    }

    /// The sub-periods one level down: a year's quarters (or months with `months = true`), a
    /// quarter's months; a month has none.
    pub fn children(&self, months: bool) -> Vec<TargetPeriod> {
        let year = self.start.year();
        match (self.kind, months) {
            (PeriodKind::Year, false) => (1..=4).filter_map(|q| Self::quarter(year, q)).collect(),
            (PeriodKind::Year, true) | (PeriodKind::Quarter, _) => self
                .month_codes()
                .iter()
                .filter_map(|m| Self::parse(m))
                .collect(),
            (PeriodKind::Month, _) => Vec::new(),
        }
    }

    /// The same period one year earlier (last year's actuals weight a cascade).
    pub fn a_year_earlier(&self) -> Option<TargetPeriod> {
        let year = self.start.year() - 1;
        match self.kind {
            PeriodKind::Year => Self::year(year),
            PeriodKind::Quarter => Self::quarter(year, self.start.month0() / 3 + 1),
            PeriodKind::Month => Self::month(year, self.start.month()),
        }
    }

    /// Whether `other` lies inside this period.
    pub fn contains(&self, other: &TargetPeriod) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    /// Days of the period elapsed on `today` (inclusive), between 0 and `days()`.
    pub fn elapsed_days(&self, today: NaiveDate) -> i64 {
        if today < self.start {
            0
        } else {
            ((today - self.start).num_days() + 1).min(self.days())
        }
    }
}

/// Who a target belongs to: an organisation node or a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum TargetOwner {
    Node(i64),
    Person(i64),
}

/// A target as typed, before the SMART rules.
#[derive(Debug, Clone, Default)]
pub struct TargetInput {
    pub metric: Option<String>,
    pub amount: Option<i64>,
    pub owner_node: Option<i64>,
    pub owner_person: Option<i64>,
    pub period: Option<String>,
    pub parent_id: Option<i64>,
}

/// A target that passed the SMART rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmartTarget {
    pub metric: Metric,
    pub amount: i64,
    pub owner: TargetOwner,
    pub period: TargetPeriod,
    pub parent_id: Option<i64>,
}

/// The SMART rules: a named metric, a number (not negative), an owner, a period with an end, and
/// a parent target unless the owner is the company itself (`at_company_level`).
pub fn validate(input: &TargetInput, at_company_level: bool) -> Result<SmartTarget, FieldError> {
    let metric = match input.metric.as_deref().map(str::trim) {
        None | Some("") => {
            return Err(FieldError::new(
                "target.metric_missing",
                "metric",
                "name what the target measures",
            ))
        }
        Some(code) => Metric::parse(code)
            .ok_or_else(|| FieldError::new("target.metric_unknown", "metric", "unknown metric"))?,
    };
    let amount = input.amount.ok_or_else(|| {
        FieldError::new("target.amount_missing", "amount", "a target needs a number")
    })?;
    if amount < 0 {
        return Err(FieldError::new(
            "target.amount_negative",
            "amount",
            "a target cannot be negative",
        ));
    }
    let owner = match (input.owner_node, input.owner_person) {
        (Some(node), None) => TargetOwner::Node(node),
        (None, Some(person)) => TargetOwner::Person(person),
        (None, None) => {
            return Err(FieldError::new(
                "target.owner_missing",
                "owner",
                "a target needs an owner: a unit or a person",
            ))
        }
        (Some(_), Some(_)) => {
            return Err(FieldError::new(
                "target.owner_ambiguous",
                "owner",
                "a target belongs to a unit or to a person, not both",
            ))
        }
    };
    let period = match input.period.as_deref().map(str::trim) {
        None | Some("") => {
            return Err(FieldError::new(
                "target.period_missing",
                "period",
                "a target needs a period with an end",
            ))
        }
        Some(code) => TargetPeriod::parse(code).ok_or_else(|| {
            FieldError::new(
                "target.period_invalid",
                "period",
                "a period is a year (2026), a quarter (2026-Q2) or a month (2026-05)",
            )
        })?,
    };
    if input.parent_id.is_none() && !at_company_level {
        return Err(FieldError::new(
            "target.parent_missing",
            "parent_id",
            "below the company a target must name the target it contributes to",
        ));
    }
    Ok(SmartTarget {
        metric,
        amount,
        owner,
        period,
        parent_id: input.parent_id,
    })
}

/// Splits `total` by `weights` (shares of any scale) with largest-remainder rounding: the parts
/// always add up exactly to `total`.
pub fn split(total: i64, weights: &[i64]) -> Result<Vec<i64>, FieldError> {
    if total < 0 {
        return Err(FieldError::new(
            "target.amount_negative",
            "amount",
            "a target cannot be negative",
        ));
    }
    if weights.is_empty() {
        return Err(FieldError::new(
            "cascade.no_parts",
            "weights",
            "there is nothing to split the target into",
        ));
    }
    if weights.iter().any(|w| *w < 0) {
        return Err(FieldError::new(
            "cascade.weight_negative",
            "weights",
            "a weight cannot be negative",
        ));
    }
    let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    if sum == 0 {
        return Err(FieldError::new(
            "cascade.weights_zero",
            "weights",
            "the weights are all zero: give at least one part a share",
        ));
    }
    let total_wide = i128::from(total);
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut given: i128 = 0;
    for (i, w) in weights.iter().enumerate() {
        let exact = total_wide * i128::from(*w);
        let floor = exact / sum;
        given += floor;
        parts.push(floor);
        remainders.push((exact % sum, i));
    }
    // largest remainder first; ties go to the earlier part
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let left = total_wide - given;
    for (_, i) in remainders.iter().take(usize::try_from(left).unwrap_or(0)) {
        parts[*i] += 1;
    }
    // each part is at most `total`, so it fits in i64
    Ok(parts
        .into_iter()
        .map(|p| i64::try_from(p).unwrap_or(i64::MAX))
        .collect())
}

/// Splits a target over its period's sub-periods by seasonality weights (one per sub-period).
pub fn seasonality_split(
    total: i64,
    period: &TargetPeriod,
    months: bool,
    weights: &[i64],
) -> Result<Vec<(TargetPeriod, i64)>, FieldError> {
    let children = period.children(months);
    if children.len() != weights.len() {
        return Err(FieldError::new(
            "cascade.weights_count",
            "weights",
            format!(
                "{} weights given, {} periods to split into",
                weights.len(),
                children.len()
            ),
        ));
    }
    let parts = split(total, weights)?;
    Ok(children.into_iter().zip(parts).collect())
}

/// Actual against target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Achievement {
    pub target: i64,
    pub actual: i64,
    /// actual − target (negative: behind).
    pub variance: i64,
    /// actual / target in basis points (10000 = 100%); `None` for a zero target.
    pub percent_bp: Option<i64>,
    /// The actual extrapolated to the period end at the pace so far.
    pub projection: i64,
}

/// `actual / target` in basis points, rounded half up.
pub fn percent_bp(actual: i64, target: i64) -> Option<i64> {
    if target <= 0 {
        return None;
    }
    let v = (i128::from(actual) * 20_000 + i128::from(target)) / (2 * i128::from(target));
    i64::try_from(v).ok()
}

/// Run-rate projection: the actual so far extrapolated linearly to the period end. Before the
/// period starts nothing is projected; once it is over the projection is the actual.
pub fn run_rate(actual: i64, elapsed_days: i64, total_days: i64) -> i64 {
    if elapsed_days <= 0 || total_days <= 0 {
        return if elapsed_days <= 0 { 0 } else { actual };
    }
    if elapsed_days >= total_days {
        return actual;
    }
    let v = i128::from(actual) * i128::from(total_days) / i128::from(elapsed_days);
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub fn achievement(
    target: i64,
    actual: i64,
    period: &TargetPeriod,
    today: NaiveDate,
) -> Achievement {
    Achievement {
        target,
        actual,
        variance: actual - target,
        percent_bp: percent_bp(actual, target),
        projection: run_rate(actual, period.elapsed_days(today), period.days()),
    }
}

/// Competition ranking ("1, 2, 2, 4") of `(key, score)` by score, highest first; the result is in
/// ranking order, ties keeping their input order.
pub fn rank<K: Clone>(entries: &[(K, i64)]) -> Vec<(K, i64, usize)> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|a, b| entries[*b].1.cmp(&entries[*a].1).then(a.cmp(b)));
    let mut out: Vec<(K, i64, usize)> = Vec::with_capacity(entries.len());
    for (pos, i) in order.into_iter().enumerate() {
        let score = entries[i].1;
        let place = match out.last() {
            Some((_, prev, place)) if *prev == score => *place,
            _ => pos + 1,
        };
        out.push((entries[i].0.clone(), score, place));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn input() -> TargetInput {
        TargetInput {
            metric: Some("ordered_amount".into()),
            amount: Some(1_000_000),
            owner_node: Some(3),
            owner_person: None,
            period: Some("2026-Q2".into()),
            parent_id: Some(1),
        }
    }

    #[test]
    fn smart_rules_name_the_field() {
        let ok = validate(&input(), false).unwrap();
        assert_eq!(ok.metric, Metric::OrderedAmount);
        assert_eq!(ok.period.end, NaiveDate::from_ymd_opt(2026, 6, 30).unwrap());
        let cases: Vec<(TargetInput, &str, &str)> = vec![
            (
                TargetInput {
                    metric: None,
                    ..input()
                },
                "metric",
                "target.metric_missing",
            ),
            (
                TargetInput {
                    metric: Some("fun".into()),
                    ..input()
                },
                "metric",
                "target.metric_unknown",
            ),
            (
                TargetInput {
                    amount: None,
                    ..input()
                },
                "amount",
                "target.amount_missing",
            ),
            (
                TargetInput {
                    amount: Some(-1),
                    ..input()
                },
                "amount",
                "target.amount_negative",
            ),
            (
                TargetInput {
                    owner_node: None,
                    ..input()
                },
                "owner",
                "target.owner_missing",
            ),
            (
                TargetInput {
                    owner_person: Some(4),
                    ..input()
                },
                "owner",
                "target.owner_ambiguous",
            ),
            (
                TargetInput {
                    period: None,
                    ..input()
                },
                "period",
                "target.period_missing",
            ),
            (
                TargetInput {
                    period: Some("2026-13".into()),
                    ..input()
                },
                "period",
                "target.period_invalid",
            ),
            (
                TargetInput {
                    parent_id: None,
                    ..input()
                },
                "parent_id",
                "target.parent_missing",
            ),
        ];
        for (case, field, code) in cases {
            let e = validate(&case, false).unwrap_err();
            assert_eq!((e.field, e.code), (Some(field), code), "{case:?}");
        }
        // the company's own target needs no parent
        assert!(validate(
            &TargetInput {
                parent_id: None,
                ..input()
            },
            true
        )
        .is_ok());
    }

    #[test]
    fn periods_parse_and_split() {
        let y = TargetPeriod::parse("2024").unwrap();
        assert_eq!(y.days(), 366);
        assert_eq!(y.children(false).len(), 4);
        assert_eq!(y.children(true).len(), 12);
        let q = TargetPeriod::parse("2026-q4").unwrap();
        assert_eq!(q.code(), "2026-Q4");
        assert_eq!(q.month_codes(), vec!["2026-10", "2026-11", "2026-12"]);
        assert_eq!(q.end, NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
        let m = TargetPeriod::parse("2026-02").unwrap();
        assert_eq!(m.days(), 28);
        assert!(q.contains(&TargetPeriod::parse("2026-11").unwrap()));
        assert!(!q.contains(&m));
        assert_eq!(q.a_year_earlier().unwrap().code(), "2025-Q4");
        assert_eq!(m.a_year_earlier().unwrap().code(), "2025-02");
        for bad in ["26", "2026-Q5", "2026-00", "2026-1", "abcd", "2026-05-01"] {
            assert!(TargetPeriod::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn split_rounds_by_largest_remainder() {
        assert_eq!(split(100, &[1, 1, 1]).unwrap(), vec![34, 33, 33]);
        assert_eq!(split(10, &[3, 3, 4]).unwrap(), vec![3, 3, 4]);
        // weights summing to 90 are normalised, not refused
        assert_eq!(split(900, &[30, 30, 30]).unwrap(), vec![300, 300, 300]);
        // weights summing to over 100 as well
        assert_eq!(split(1000, &[60, 60]).unwrap(), vec![500, 500]);
        assert_eq!(split(7, &[0, 5, 0]).unwrap(), vec![0, 7, 0]);
        assert_eq!(split(0, &[1, 2]).unwrap(), vec![0, 0]);
    }

    #[test]
    fn split_refuses_what_cannot_be_split() {
        assert_eq!(split(-5, &[1]).unwrap_err().code, "target.amount_negative");
        assert_eq!(
            split(5, &[1, -1]).unwrap_err().code,
            "cascade.weight_negative"
        );
        assert_eq!(split(5, &[0, 0]).unwrap_err().code, "cascade.weights_zero");
        assert_eq!(split(5, &[]).unwrap_err().code, "cascade.no_parts");
        let q = TargetPeriod::parse("2026-Q1").unwrap();
        assert_eq!(
            seasonality_split(9, &q, true, &[1, 1]).unwrap_err().code,
            "cascade.weights_count"
        );
        let months = seasonality_split(10, &q, true, &[1, 1, 1]).unwrap();
        assert_eq!(months[0].0.code(), "2026-01");
        assert_eq!(months.iter().map(|m| m.1).sum::<i64>(), 10);
    }

    #[test]
    fn achievement_and_run_rate() {
        let m = TargetPeriod::parse("2026-04").unwrap();
        let day10 = NaiveDate::from_ymd_opt(2026, 4, 10).unwrap();
        let a = achievement(3_000, 1_200, &m, day10);
        assert_eq!(a.variance, -1_800);
        assert_eq!(a.percent_bp, Some(4_000));
        assert_eq!(a.projection, 3_600);
        let before = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(achievement(3_000, 0, &m, before).projection, 0);
        let after = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        assert_eq!(achievement(3_000, 3_100, &m, after).projection, 3_100);
        assert_eq!(percent_bp(1, 3), Some(3_333));
        assert_eq!(percent_bp(2, 3), Some(6_667));
        assert_eq!(percent_bp(5, 0), None);
    }

    #[test]
    fn ranking_shares_places_on_ties() {
        let r = rank(&[("a", 5), ("b", 9), ("c", 5), ("d", 1)]);
        let places: Vec<(&str, usize)> = r.iter().map(|(k, _, p)| (*k, *p)).collect();
        assert_eq!(places, vec![("b", 1), ("a", 2), ("c", 2), ("d", 4)]);
    }

    proptest! {
        #[test]
        fn parts_always_sum_to_the_parent(
            total in 0i64..10_000_000_000_000,
            weights in prop::collection::vec(0i64..1_000_000_000, 1..40),
        ) {
            prop_assume!(weights.iter().any(|w| *w > 0));
            let parts = split(total, &weights).unwrap();
            prop_assert_eq!(parts.len(), weights.len());
            prop_assert_eq!(parts.iter().sum::<i64>(), total);
            let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
            for (p, w) in parts.iter().zip(&weights) {
                // each part is its exact share rounded down or up by less than one unit
                let exact_floor = i128::from(total) * i128::from(*w) / sum;
                prop_assert!(i128::from(*p) == exact_floor || i128::from(*p) == exact_floor + 1);
                prop_assert!(*p >= 0);
                if *w == 0 { prop_assert_eq!(*p, 0); }
            }
        }

        #[test]
        fn scaling_weights_changes_nothing(
            total in 0i64..1_000_000_000,
            weights in prop::collection::vec(0i64..10_000, 1..12),
            k in 1i64..1000,
        ) {
            prop_assume!(weights.iter().any(|w| *w > 0));
            let scaled: Vec<i64> = weights.iter().map(|w| w * k).collect();
            prop_assert_eq!(split(total, &weights).unwrap(), split(total, &scaled).unwrap());
        }

        #[test]
        fn projection_never_below_actual(actual in 0i64..1_000_000_000, elapsed in 1i64..400, days in 1i64..400) {
            prop_assert!(run_rate(actual, elapsed, days) >= actual);
        }
    }
}
