//! Dates typed by people: `YYYY-MM-DD`, in the company's calendar.

use crate::AppError;

/// A `YYYY-MM-DD` date from the request field `field`, or `today` when none was given.
pub fn parse_day(raw: Option<&str>, today: &str, field: &'static str) -> Result<String, AppError> {
    let text = raw
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(today);
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| d.to_string())
        .map_err(|_| AppError::invalid("date.invalid", field, "a date looks like 2025-03-31"))
}

/// An optional `YYYY-MM-DD` bound of a list filter: blank means none, anything else must be a
/// date (a malformed one would otherwise filter silently to nothing).
pub fn parse_optional_day(
    raw: Option<&str>,
    field: &'static str,
) -> Result<Option<String>, AppError> {
    match raw.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => parse_day(Some(text), "", field).map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_today_and_rejects_nonsense() {
        assert_eq!(
            parse_day(None, "2026-01-02", "d").expect("ok"),
            "2026-01-02"
        );
        assert_eq!(
            parse_day(Some(" "), "2026-01-02", "d").expect("ok"),
            "2026-01-02"
        );
        assert_eq!(
            parse_day(Some("2025-3-1"), "x", "d").expect("ok"),
            "2025-03-01"
        );
        assert_eq!(parse_optional_day(Some("  "), "from").expect("ok"), None);
        assert_eq!(
            parse_optional_day(Some("2025-3-1"), "from").expect("ok"),
            Some("2025-03-01".to_string())
        );
        let err = parse_optional_day(Some("2026-13-01"), "to").unwrap_err();
        assert_eq!((err.code(), err.field()), ("date.invalid", Some("to")));
        for bad in ["2025-02-30", "tomorrow", "2025/03/01"] {
            let err = parse_day(Some(bad), "2026-01-02", "order_date").unwrap_err();
            assert_eq!(
                (err.code(), err.field()),
                ("date.invalid", Some("order_date"))
            );
        }
    }
}
