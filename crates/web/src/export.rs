//! Tables to spreadsheets: every list and report exports to XLSX and CSV with the same columns,
//! numbers as numbers and dates as dates (so a person can sum and sort them in Excel/WPS).

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use salesos_domain::Money;

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Money(Money),
    /// `YYYY-MM-DD`
    Date(String),
    /// `YYYY-MM-DD HH:MM:SS` in the company's zone (a real date and time in XLSX)
    DateTime(String),
    /// Basis points (1234 = 12.34 %): a percentage number in XLSX, `12.34%` in CSV
    Percent(i64),
    Empty,
}

impl From<&str> for Cell {
    fn from(v: &str) -> Self {
        Cell::Text(v.to_string())
    }
}
impl From<String> for Cell {
    fn from(v: String) -> Self {
        Cell::Text(v)
    }
}
impl From<Option<String>> for Cell {
    fn from(v: Option<String>) -> Self {
        v.map_or(Cell::Empty, Cell::Text)
    }
}
impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell::Int(v)
    }
}
impl From<Money> for Cell {
    fn from(v: Money) -> Self {
        Cell::Money(v)
    }
}

/// One sheet: a title (the sheet's name), translated column headers and rows.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Xlsx,
    Csv,
}

impl ExportFormat {
    pub fn parse(text: &str) -> Option<ExportFormat> {
        match text {
            "xlsx" => Some(ExportFormat::Xlsx),
            "csv" => Some(ExportFormat::Csv),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ExportFormat::Csv => "text/csv; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv => "csv",
        }
    }
}

/// The format a list's export link asks for (`format=csv`; XLSX otherwise).
pub fn format_of(text: &str) -> ExportFormat {
    ExportFormat::parse(text.trim()).unwrap_or(ExportFormat::Xlsx)
}

/// The query of an export of a list without filters: only the file format.
#[derive(Debug, Default, serde::Deserialize)]
pub struct FormatQuery {
    #[serde(default)]
    pub format: String,
}

/// Every row of a paged list for the current filters (not only the page on screen): asks for
/// pages of a thousand until a short one. `page(limit, offset)` runs the list's own scoped query.
pub async fn all_rows<T, E, F, Fut>(mut page: F) -> Result<Vec<T>, E>
where
    F: FnMut(i64, i64) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, E>>,
{
    const BATCH: i64 = 1000;
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let batch = page(BATCH, offset).await?;
        let done = (batch.len() as i64) < BATCH;
        rows.extend(batch);
        if done {
            return Ok(rows);
        }
        offset += BATCH;
    }
}

/// A list page's export as a download: the sheet's title and column headers are translation
/// keys, the rows typed cells.
pub fn list_download(
    tr: &crate::i18n::Tr,
    title: &str,
    headers: &[&str],
    rows: Vec<Vec<Cell>>,
    format: &str,
    name: &str,
) -> axum::response::Response {
    let sheet = Sheet {
        title: tr.t(title).to_string(),
        headers: headers.iter().map(|k| tr.t(k).to_string()).collect(),
        rows,
    };
    download(&sheet, format_of(format), name)
}

/// The file as a download response (`people-2026-11-30.xlsx`).
pub fn download(sheet: &Sheet, format: ExportFormat, name: &str) -> axum::response::Response {
    use axum::http::{header, StatusCode};
    use axum::response::IntoResponse;
    let body = match format {
        ExportFormat::Csv => to_csv(sheet).into_bytes(),
        ExportFormat::Xlsx => match to_xlsx(std::slice::from_ref(sheet)) {
            Ok(bytes) => bytes,
            Err(err) => {
                tracing::error!(error = %err, "writing the spreadsheet failed");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        },
    };
    let file = format!(
        "{name}-{}.{}",
        chrono::Utc::now().format("%Y-%m-%d"),
        format.extension()
    );
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// CSV in UTF-8 with a byte-order mark, which Excel needs to read Chinese text correctly.
/// Money is written in yuan with two decimals, without separators.
pub fn to_csv(sheet: &Sheet) -> String {
    let mut out = String::from("\u{feff}");
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .map(|c| csv_field(c))
            .collect::<Vec<_>>()
            .join(",")
    };
    out.push_str(&line(sheet.headers.clone()));
    out.push_str("\r\n");
    for row in &sheet.rows {
        let cells = row
            .iter()
            .map(|c| match c {
                Cell::Text(t) | Cell::Date(t) | Cell::DateTime(t) => t.clone(),
                Cell::Int(n) => n.to_string(),
                Cell::Money(m) => m.to_string().replace(',', ""),
                Cell::Percent(bp) => format!("{}%", Money(*bp).to_string().replace(',', "")),
                Cell::Empty => String::new(),
            })
            .collect();
        out.push_str(&line(cells));
        out.push_str("\r\n");
    }
    out
}

fn csv_field(text: &str) -> String {
    // a leading = + - @ would be run as a formula by spreadsheet programs: neutralise it
    let guarded = match text.chars().next() {
        // (a negative number or percentage is data, not a formula)
        Some('=' | '+' | '-' | '@') if text.trim_end_matches('%').parse::<f64>().is_err() => {
            format!("'{text}")
        }
        _ => text.to_string(),
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// An XLSX workbook with one sheet per [`Sheet`]: bold frozen header, numbers as numbers,
/// money with two decimals, dates as real dates.
pub fn to_xlsx(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let date_time = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let percent = Format::new().set_num_format("0.00%");
    for sheet in sheets {
        let ws = workbook.add_worksheet();
        ws.set_name(sheet_name(&sheet.title))?;
        for (col, header) in sheet.headers.iter().enumerate() {
            ws.write_string_with_format(0, col_index(col), header, &bold)?;
        }
        ws.set_freeze_panes(1, 0)?;
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
            for (c, cell) in row.iter().enumerate() {
                let c = col_index(c);
                match cell {
                    Cell::Text(t) => {
                        ws.write_string(r, c, t)?;
                    }
                    Cell::Int(n) => {
                        // exact up to 2^53, far beyond any quantity or count
                        ws.write_number(r, c, *n as f64)?;
                    }
                    Cell::Money(m) => {
                        ws.write_number_with_format(r, c, m.fen() as f64 / 100.0, &money)?;
                    }
                    Cell::Date(d) => match parse_date(d) {
                        Some(dt) => {
                            ws.write_datetime_with_format(r, c, &dt, &date)?;
                        }
                        None => {
                            ws.write_string(r, c, d)?;
                        }
                    },
                    Cell::Percent(bp) => {
                        ws.write_number_with_format(r, c, *bp as f64 / 10_000.0, &percent)?;
                    }
                    Cell::DateTime(d) => match parse_date_time(d) {
                        Some(dt) => {
                            ws.write_datetime_with_format(r, c, &dt, &date_time)?;
                        }
                        None => {
                            ws.write_string(r, c, d)?;
                        }
                    },
                    Cell::Empty => {}
                }
            }
        }
        for col in 0..sheet.headers.len() {
            ws.set_column_width(col_index(col), 16)?;
        }
    }
    workbook.save_to_buffer()
}

fn col_index(col: usize) -> u16 {
    u16::try_from(col).unwrap_or(u16::MAX)
}

fn parse_date(text: &str) -> Option<ExcelDateTime> {
    let d = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    use chrono::Datelike;
    let year = u16::try_from(d.year()).ok()?;
    let month = u8::try_from(d.month()).ok()?;
    let day = u8::try_from(d.day()).ok()?;
    ExcelDateTime::from_ymd(year, month, day).ok()
}

fn parse_date_time(text: &str) -> Option<ExcelDateTime> {
    let t = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok()?;
    use chrono::Timelike;
    let hour = u16::try_from(t.hour()).ok()?;
    let minute = u8::try_from(t.minute()).ok()?;
    let second = f64::from(t.second());
    parse_date(&t.date().format("%Y-%m-%d").to_string())?
        .and_hms(hour, minute, second)
        .ok()
}

/// Excel sheet names: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    if cleaned.is_empty() {
        "Sheet1".to_string()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Sheet {
        Sheet {
            title: "经销商/Dealers".into(),
            headers: vec!["名称".into(), "数量".into(), "金额".into(), "日期".into()],
            rows: vec![
                vec![
                    "上海宏达, \"总店\"".into(),
                    Cell::Int(12),
                    Cell::Money(Money(1_234_567)),
                    Cell::Date("2025-07-01".into()),
                ],
                vec![
                    "=HYPERLINK(\"x\")".into(),
                    Cell::Int(-3),
                    Cell::Money(Money(-5)),
                    Cell::Empty,
                ],
            ],
        }
    }

    #[test]
    fn csv_quotes_escapes_and_defuses_formulas() {
        let csv = to_csv(&sample());
        assert!(csv.starts_with('\u{feff}'));
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(lines[0], "名称,数量,金额,日期");
        assert_eq!(
            lines[1],
            "\"上海宏达, \"\"总店\"\"\",12,12345.67,2025-07-01"
        );
        assert_eq!(lines[2], "\"'=HYPERLINK(\"\"x\"\")\",-3,-0.05,");
    }

    #[test]
    fn percent_and_time_cells_read_back_in_csv() {
        let sheet = Sheet {
            title: "t".into(),
            headers: vec!["p".into(), "n".into(), "at".into()],
            rows: vec![vec![
                Cell::Percent(1234),
                Cell::Percent(-5),
                Cell::DateTime("2026-11-30 08:05:09".into()),
            ]],
        };
        let csv = to_csv(&sheet);
        assert!(
            csv.ends_with("12.34%,-0.05%,2026-11-30 08:05:09\r\n"),
            "{csv}"
        );
        assert!(parse_date_time("2026-11-30 08:05:09").is_some());
        assert!(parse_date_time("2026-11-30").is_none());
        assert!(to_xlsx(&[sheet]).is_ok());
    }

    #[test]
    fn xlsx_is_a_zip_with_the_sheet() {
        let bytes = to_xlsx(&[sample()]).expect("xlsx");
        assert_eq!(&bytes[..2], b"PK", "an xlsx file is a zip archive");
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("xl/worksheets/sheet1.xml"));
    }

    #[test]
    fn sheet_names_are_made_valid() {
        assert_eq!(sheet_name("a/b:c"), "abc");
        assert_eq!(sheet_name(""), "Sheet1");
        assert_eq!(sheet_name(&"x".repeat(40)).len(), 31);
    }
}
