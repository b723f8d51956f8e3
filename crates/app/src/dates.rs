//! Dates typed by people: `YYYY-MM-DD`, in the company's calendar.

use crate::AppError;

/// The effective date of a change: the given day, or `today` when none was given.
pub fn effective_date(raw: Option<&str>, today: &str) -> Result<String, AppError> {
    let text = raw
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(today);
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| d.to_string())
        .map_err(|_| {
            AppError::invalid(
                "date.invalid",
                "effective_from",
                "a date looks like 2025-03-31",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_today_and_rejects_nonsense() {
        assert_eq!(
            effective_date(None, "2026-01-02").expect("ok"),
            "2026-01-02"
        );
        assert_eq!(
            effective_date(Some(" "), "2026-01-02").expect("ok"),
            "2026-01-02"
        );
        assert_eq!(
            effective_date(Some("2025-3-1"), "x").expect("ok"),
            "2025-03-01"
        );
        for bad in ["2025-02-30", "tomorrow", "2025/03/01"] {
            assert_eq!(
                effective_date(Some(bad), "2026-01-02").unwrap_err().code(),
                "date.invalid"
            );
        }
    }
}
