//! Effective dating: who held which position, which node hung where, and when.
//!
//! Periods are half-open `[from, to)` in calendar days of the company's time zone; `to = None`
//! means "still current". History is never rewritten: a change ends the current period and
//! starts a new one.

use crate::FieldError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

impl Period {
    pub fn open(from: NaiveDate) -> Self {
        Period { from, to: None }
    }

    pub fn covers(&self, day: NaiveDate) -> bool {
        self.from <= day && self.to.is_none_or(|to| day < to)
    }

    pub fn is_current(&self) -> bool {
        self.to.is_none()
    }
}

/// Checks that a change effective `on` may close `current`: a change cannot be dated before the
/// period it ends began (that would rewrite history).
pub fn check_change_date(current: &Period, on: NaiveDate) -> Result<(), FieldError> {
    if on < current.from {
        return Err(FieldError::new(
            "dating.before_current_start",
            "effective_from",
            format!(
                "the change must be effective on or after {}, when the current one started",
                current.from
            ),
        ));
    }
    if !current.is_current() {
        return Err(FieldError::new(
            "dating.already_ended",
            "effective_from",
            "this period has already ended",
        ));
    }
    Ok(())
}

/// A history of periods for one subject, oldest first, each holding a value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Timeline<T> {
    entries: Vec<(Period, T)>,
}

impl<T: Clone> Timeline<T> {
    pub fn new() -> Self {
        Timeline {
            entries: Vec::new(),
        }
    }

    pub fn from_entries(entries: Vec<(Period, T)>) -> Self {
        Timeline { entries }
    }

    pub fn entries(&self) -> &[(Period, T)] {
        &self.entries
    }

    pub fn current(&self) -> Option<&(Period, T)> {
        self.entries.last().filter(|(p, _)| p.is_current())
    }

    /// Ends the current period on `on` (if any) and starts `value` from `on`. A change on the
    /// same day as the current start replaces that day's entry's successor cleanly: the old
    /// period becomes empty and is dropped so no zero-length period is kept.
    pub fn change(&mut self, on: NaiveDate, value: T) -> Result<(), FieldError> {
        if let Some((current, _)) = self.entries.last_mut() {
            if current.is_current() {
                check_change_date(current, on)?;
                current.to = Some(on);
            } else if current.to.is_some_and(|to| on < to) {
                return Err(FieldError::new(
                    "dating.before_current_start",
                    "effective_from",
                    "the change overlaps the previous period",
                ));
            }
        }
        self.entries.retain(|(p, _)| p.to != Some(p.from));
        self.entries.push((Period::open(on), value));
        Ok(())
    }

    /// Ends the current period on `on` without a successor.
    pub fn end(&mut self, on: NaiveDate) -> Result<(), FieldError> {
        match self.entries.last_mut() {
            Some((current, _)) if current.is_current() => {
                check_change_date(current, on)?;
                current.to = Some(on);
                self.entries.retain(|(p, _)| p.to != Some(p.from));
                Ok(())
            }
            _ => Err(FieldError::general(
                "dating.nothing_current",
                "there is no current period to end",
            )),
        }
    }

    pub fn at(&self, day: NaiveDate) -> Option<&T> {
        self.entries
            .iter()
            .find(|(p, _)| p.covers(day))
            .map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, 1).expect("valid date") + chrono::Duration::days(n)
    }

    #[test]
    fn change_before_current_start_is_refused() {
        let mut t = Timeline::new();
        t.change(day(10), "a").expect("first");
        let err = t.change(day(5), "b").unwrap_err();
        assert_eq!(err.code, "dating.before_current_start");
        assert_eq!(t.at(day(10)), Some(&"a"));
    }

    #[test]
    fn history_answers_who_held_when() {
        let mut t = Timeline::new();
        t.change(day(0), "north").expect("ok");
        t.change(day(15), "east").expect("ok");
        assert_eq!(t.at(day(14)), Some(&"north"));
        assert_eq!(t.at(day(15)), Some(&"east"));
        assert_eq!(t.at(day(-1)), None);
        t.end(day(20)).expect("ok");
        assert_eq!(t.at(day(20)), None);
        assert_eq!(t.at(day(19)), Some(&"east"));
        assert!(t.current().is_none());
    }

    proptest! {
        /// Any sequence of changes (accepted or refused) leaves periods that never overlap, are
        /// in order, and every day from the first start is covered by at most one of them; the
        /// value at a day is the last change made on or before that day.
        #[test]
        fn periods_never_overlap(steps in proptest::collection::vec((0i64..5, 0u8..10, proptest::bool::weighted(0.1)), 1..40)) {
            let mut t = Timeline::new();
            let mut today = 0i64;
            let mut accepted: Vec<(i64, Option<u8>)> = Vec::new();
            for (gap, value, end) in steps {
                today += gap;
                let result = if end { t.end(day(today)).map(|_| None) } else { t.change(day(today), value).map(|_| Some(value)) };
                if let Ok(v) = result { accepted.push((today, v)); }
            }
            let entries = t.entries();
            for pair in entries.windows(2) {
                let (a, b) = (&pair[0].0, &pair[1].0);
                prop_assert!(a.to.is_some());
                prop_assert!(a.to.expect("closed") <= b.from);
                prop_assert!(a.from < a.to.expect("closed"));
            }
            for d in 0..=today + 1 {
                let covering = entries.iter().filter(|(p, _)| p.covers(day(d))).count();
                prop_assert!(covering <= 1);
                let expected = accepted.iter().rev().find(|(at, _)| *at <= d).and_then(|(_, v)| *v);
                prop_assert_eq!(t.at(day(d)).copied(), expected);
            }
        }
    }
}
