//! Field visits (拜访): what a recorded visit must look like.
//!
//! A visit is recorded when it happened or later (the rep often types it in the evening), so
//! the time may lie in the past, but not in the future beyond a small allowance for clocks
//! that disagree, and not before the system's calendar begins.

use crate::FieldError;
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};

pub const PURPOSE_MAX: usize = 200;
pub const OUTCOME_MAX: usize = 2000;
pub const LOCATION_MAX: usize = 200;
/// A visit may be stamped at most this far ahead of the server's clock.
pub const FUTURE_ALLOWANCE_MINUTES: i64 = 10;

/// A visit as typed.
#[derive(Debug, Clone, Default)]
pub struct VisitInput {
    /// RFC 3339 (`2026-11-30T09:30:00+08:00`) or a local time in the company's time zone
    /// (`2026-11-30T09:30`, `2026-11-30 09:30`, as an HTML `datetime-local` field sends it).
    pub visited_at: Option<String>,
    pub purpose: Option<String>,
    pub outcome: Option<String>,
    pub location: Option<String>,
}

/// A visit that passed the rules: the time as UTC, texts trimmed, empty optionals as `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanVisit {
    pub visited_at: DateTime<Utc>,
    pub purpose: String,
    pub outcome: Option<String>,
    pub location: Option<String>,
}

fn trimmed(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// Parses a visit time: RFC 3339 with an offset, or a local time in `tz`.
pub fn parse_time<Tz: TimeZone>(text: &str, tz: &Tz) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .and_then(|local| tz.from_local_datetime(&local).earliest())
    .map(|t| t.with_timezone(&Utc))
}

/// Checks a visit against the rules, `now` being the server's clock.
pub fn validate<Tz: TimeZone>(
    input: &VisitInput,
    tz: &Tz,
    now: DateTime<Utc>,
) -> Result<CleanVisit, FieldError> {
    let when = trimmed(&input.visited_at).ok_or_else(|| {
        FieldError::new(
            "visit.time_missing",
            "visited_at",
            "say when the visit took place",
        )
    })?;
    let visited_at = parse_time(&when, tz).ok_or_else(|| {
        FieldError::new(
            "visit.time_invalid",
            "visited_at",
            "a visit time looks like 2026-11-30T09:30",
        )
    })?;
    if visited_at > now + Duration::minutes(FUTURE_ALLOWANCE_MINUTES) {
        return Err(FieldError::new(
            "visit.time_future",
            "visited_at",
            "a visit is recorded once it has taken place, not ahead of time",
        ));
    }
    if visited_at.format("%Y").to_string().as_str() < "2000" {
        return Err(FieldError::new(
            "visit.time_invalid",
            "visited_at",
            "a visit time looks like 2026-11-30T09:30",
        ));
    }
    let purpose = trimmed(&input.purpose).ok_or_else(|| {
        FieldError::new(
            "visit.purpose_missing",
            "purpose",
            "say what the visit was for",
        )
    })?;
    if purpose.chars().count() > PURPOSE_MAX {
        return Err(FieldError::new(
            "visit.purpose_too_long",
            "purpose",
            format!("the purpose is at most {PURPOSE_MAX} characters"),
        ));
    }
    let outcome = trimmed(&input.outcome);
    if outcome
        .as_ref()
        .is_some_and(|o| o.chars().count() > OUTCOME_MAX)
    {
        return Err(FieldError::new(
            "visit.outcome_too_long",
            "outcome",
            format!("the outcome notes are at most {OUTCOME_MAX} characters"),
        ));
    }
    let location = trimmed(&input.location);
    if location
        .as_ref()
        .is_some_and(|l| l.chars().count() > LOCATION_MAX)
    {
        return Err(FieldError::new(
            "visit.location_too_long",
            "location",
            format!("the check-in location is at most {LOCATION_MAX} characters"),
        ));
    }
    Ok(CleanVisit {
        visited_at,
        purpose,
        outcome,
        location,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn shanghai() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 4, 0, 0).unwrap()
    }

    fn input(at: &str, purpose: &str) -> VisitInput {
        VisitInput {
            visited_at: Some(at.into()),
            purpose: Some(purpose.into()),
            outcome: Some("  ".into()),
            location: None,
        }
    }

    #[test]
    fn local_times_are_in_the_company_zone() {
        let v = validate(&input("2026-11-30T09:30", " 开拓新区 "), &shanghai(), now()).unwrap();
        assert_eq!(
            v.visited_at,
            Utc.with_ymd_and_hms(2026, 11, 30, 1, 30, 0).unwrap()
        );
        assert_eq!(v.purpose, "开拓新区");
        assert_eq!(v.outcome, None);
        let rfc = validate(&input("2026-11-29T23:00:00Z", "x"), &shanghai(), now()).unwrap();
        assert_eq!(
            rfc.visited_at,
            Utc.with_ymd_and_hms(2026, 11, 29, 23, 0, 0).unwrap()
        );
    }

    #[test]
    fn bad_visits_name_the_field() {
        let cases = [
            (input("", "x"), "visit.time_missing", "visited_at"),
            (input("yesterday", "x"), "visit.time_invalid", "visited_at"),
            (
                input("2026-12-01T09:00", "x"),
                "visit.time_future",
                "visited_at",
            ),
            (
                input("1999-12-31T09:00", "x"),
                "visit.time_invalid",
                "visited_at",
            ),
            (
                input("2026-11-30T09:00", " "),
                "visit.purpose_missing",
                "purpose",
            ),
            (
                input("2026-11-30T09:00", &"访".repeat(PURPOSE_MAX + 1)),
                "visit.purpose_too_long",
                "purpose",
            ),
        ];
        for (i, code, field) in cases {
            let e = validate(&i, &shanghai(), now()).unwrap_err();
            assert_eq!((e.code, e.field), (code, Some(field)), "{i:?}");
        }
        let mut long = input("2026-11-30T09:00", "x");
        long.location = Some("x".repeat(LOCATION_MAX + 1));
        assert_eq!(
            validate(&long, &shanghai(), now()).unwrap_err().code,
            "visit.location_too_long"
        );
        long.location = None;
        long.outcome = Some("x".repeat(OUTCOME_MAX + 1));
        assert_eq!(
            validate(&long, &shanghai(), now()).unwrap_err().code,
            "visit.outcome_too_long"
        );
    }

    #[test]
    fn a_few_minutes_of_clock_skew_are_allowed() {
        let v = validate(&input("2026-11-30T12:05", "x"), &shanghai(), now());
        assert!(v.is_ok(), "{v:?}");
    }
}
