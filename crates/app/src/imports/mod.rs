//! Bringing a company's data in from spreadsheets: dealers, products, prices, opening
//! receivables (invoice by invoice) and historical orders with their lines.
//!
//! One code path serves the preview and the import: every row is checked with the same rules as
//! the screens that create the record (the functions of [`crate::dealers`] and
//! [`crate::catalogue`], the domain checks), and written inside **one** transaction, so later
//! rows can refer to earlier ones (a price to a list created three rows up). A dry run, or any
//! problem in any row, rolls the whole transaction back: nothing is written until the person
//! confirms a file without problems. Records are matched by their code (invoice and order
//! number), so importing the same file twice changes nothing, and a corrected file changes only
//! what differs, each change with its audit entry.

mod export;
mod fields;
mod kinds;
mod orders;
mod people_org;

pub use export::{export, ExportCell, ExportTable};
pub use fields::{normalise, Columns, Field};

use crate::{Actor, App, AppError};
use salesos_domain::roles::Capability;
use salesos_domain::FieldError;
use salesos_import::{Record, Table};
use salesos_store::imports as store;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The kinds of file salesos imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Dealers,
    Products,
    Prices,
    Receivables,
    Orders,
    /// Organisation units and people (with their positions).
    People,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Dealers,
        Kind::Products,
        Kind::Prices,
        Kind::Receivables,
        Kind::Orders,
        Kind::People,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Dealers => "dealers",
            Kind::Products => "products",
            Kind::Prices => "prices",
            Kind::Receivables => "receivables",
            Kind::Orders => "orders",
            Kind::People => "people",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == text.trim())
    }

    /// The capability of the screens that create the same records.
    pub fn capability(self) -> Capability {
        match self {
            Kind::Dealers => Capability::ManageDealers,
            Kind::Products | Kind::Prices => Capability::ManageCatalogue,
            Kind::Receivables => Capability::Bill,
            Kind::Orders => Capability::EnterOrders,
            Kind::People => Capability::ManagePeople,
        }
    }

    /// The capability to export the same records.
    pub fn view_capability(self) -> Capability {
        match self {
            Kind::Dealers => Capability::ViewDealers,
            Kind::Products | Kind::Prices => Capability::ViewCatalogue,
            Kind::Receivables => Capability::Bill,
            Kind::Orders => Capability::ViewOrders,
            Kind::People => Capability::ViewPeople,
        }
    }
}

pub fn unknown_kind() -> AppError {
    AppError::invalid(
        "import.kind_unknown",
        "kind",
        "the kind is dealers, products, prices, receivables, orders or people",
    )
}

/// One problem: where (row as numbered in the spreadsheet, the header row being 1; the column
/// header), what was there, and why it cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub row: u64,
    pub column: String,
    /// The field the column was read as.
    pub field: String,
    pub value: String,
    /// Stable code, translated for the person (e.g. `import.unknown_code`, `dealer.name_invalid`).
    pub code: &'static str,
    /// The reason in English (the pages and the API translate `code`).
    pub message: String,
}

impl Problem {
    /// A problem with the header row or the mapping.
    pub fn header(field: &str, header: &str, code: &'static str, message: String) -> Problem {
        Problem {
            row: 1,
            column: header.to_string(),
            field: field.to_string(),
            value: header.to_string(),
            code,
            message,
        }
    }
}

/// What a person asks for.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Request {
    /// Field -> column header, correcting the automatic recognition.
    #[serde(default)]
    pub mapping: BTreeMap<String, String>,
    /// Check only (the default for pages): nothing is written.
    #[serde(default)]
    pub dry_run: bool,
    /// Keep the mapping used for the next file of this kind.
    #[serde(default)]
    pub save_mapping: bool,
    pub file_name: Option<String>,
}

/// Rows per kind of result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// At most this many problems are listed (all are counted): a file that is wrong throughout
/// is wrong for one reason a person fixes once.
pub const PROBLEMS_LISTED: usize = 5_000;

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub kind: Kind,
    /// `utf-8`, `gb18030` or `xlsx`.
    pub encoding: &'static str,
    /// Data rows read (blank rows skipped).
    pub rows: u64,
    #[serde(flatten)]
    pub counts: Counts,
    /// Field -> column header used.
    pub columns: BTreeMap<String, String>,
    /// Columns no field reads.
    pub ignored_columns: Vec<String>,
    pub problems: Vec<Problem>,
    pub problem_count: u64,
    /// True when the rows were written (a confirmed import without problems).
    pub committed: bool,
    pub dry_run: bool,
}

/// The mapping the person saved for this kind (empty when none).
pub async fn saved_mapping(
    app: &App,
    actor: &Actor,
    kind: Kind,
) -> Result<BTreeMap<String, String>, AppError> {
    actor.require(kind.capability())?;
    let Some(person) = actor.person_id() else {
        return Ok(BTreeMap::new());
    };
    let mut conn = app.store.read().await?;
    Ok(store::mapping(&mut conn, person, kind.code())
        .await?
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default())
}

pub async fn save_mapping(
    app: &App,
    actor: &Actor,
    kind: Kind,
    mapping: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, AppError> {
    actor.require(kind.capability())?;
    for key in mapping.keys() {
        if !kind.fields().iter().any(|f| f.key == key) {
            return Err(AppError::invalid(
                "import.mapping_invalid",
                "mapping",
                format!("there is no field {key} in this kind of file"),
            ));
        }
    }
    let Some(person) = actor.person_id() else {
        return Ok(mapping.clone());
    };
    let json = serde_json::to_string(mapping).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut tx = app.store.begin().await?;
    store::save_mapping(tx.conn(), person, kind.code(), &json).await?;
    tx.commit().await?;
    Ok(mapping.clone())
}

/// Reads the table and checks (dry run) or imports every row; see the module documentation.
/// `progress` is told the number of rows read every thousand rows and at the end.
pub async fn run(
    app: &App,
    actor: &Actor,
    kind: Kind,
    mut table: Table,
    request: Request,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Outcome, AppError> {
    actor.require(kind.capability())?;
    // a saved mapping helps where its headers are in this file; what the person sends now wins
    let present: Vec<String> = table.headers.iter().map(|h| normalise(h)).collect();
    let mut mapping: BTreeMap<String, String> = saved_mapping(app, actor, kind)
        .await?
        .into_iter()
        .filter(|(_, header)| present.contains(&normalise(header)))
        .collect();
    mapping.extend(request.mapping.clone());
    let (columns, header_problems) = Columns::resolve(kind, &table.headers, &mapping);
    let mut sink = Problems::default();
    for p in header_problems {
        sink.push(p);
    }
    let encoding = table.encoding;
    let mut tx = app.store.begin().await?;
    let mut rows = 0u64;
    let mut counts = Counts::default();
    if sink.count == 0 {
        let mut importer = kinds::Importer::new(app, actor, kind, &columns);
        for record in table.by_ref() {
            let record = record.map_err(|e| {
                AppError::Invalid(FieldError::new(
                    "import.file_unreadable",
                    "file",
                    e.to_string(),
                ))
            })?;
            rows += 1;
            importer.row(&mut tx, &record, &mut sink).await?;
            if rows.is_multiple_of(1000) {
                progress(rows);
            }
        }
        importer.finish(&mut tx, &mut sink).await?;
        counts = importer.counts;
    }
    progress(rows);
    let committed = !request.dry_run && sink.count == 0;
    if committed {
        store::record_run(
            tx.conn(),
            store::NewRun {
                person_id: actor.person_id(),
                kind: kind.code(),
                file_name: request.file_name.as_deref(),
                rows_read: rows as i64,
                created: counts.created as i64,
                updated: counts.updated as i64,
                unchanged: counts.unchanged as i64,
            },
        )
        .await?;
        tx.commit().await?;
        if request.save_mapping {
            save_mapping(app, actor, kind, &columns.used()).await?;
        }
    } else {
        tx.rollback().await?;
    }
    // orders are written in batches, so a problem may be found after later rows' problems
    let mut problems = sink.listed;
    problems.sort_by_key(|p| p.row);
    Ok(Outcome {
        kind,
        encoding,
        rows,
        counts,
        columns: columns.used(),
        ignored_columns: columns.ignored(),
        problems,
        problem_count: sink.count,
        committed,
        dry_run: request.dry_run,
    })
}

/// Problems found so far: all counted, the first [`PROBLEMS_LISTED`] kept.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    listed: Vec<Problem>,
    count: u64,
}

impl Problems {
    pub(crate) fn push(&mut self, p: Problem) {
        self.count += 1;
        if self.listed.len() < PROBLEMS_LISTED {
            self.listed.push(p);
        }
    }
}

/// A record read through the column mapping, noting problems as its fields are read.
pub(crate) struct Row<'a> {
    pub record: &'a Record,
    pub columns: &'a Columns,
    pub problems: Vec<Problem>,
}

impl<'a> Row<'a> {
    pub fn new(record: &'a Record, columns: &'a Columns) -> Self {
        Row {
            record,
            columns,
            problems: Vec::new(),
        }
    }

    /// The trimmed cell of a field; `None` when empty or the file has no such column.
    pub fn cell(&self, key: &str) -> Option<&'a str> {
        let col = self.columns.column(key)?;
        let v = self.record.get(col);
        (!v.is_empty()).then_some(v)
    }

    /// [`Row::cell`], owned.
    pub fn text(&self, key: &str) -> Option<String> {
        self.cell(key).map(str::to_string)
    }

    /// The trimmed cell, empty when there is none.
    pub fn raw_cell(&self, key: &str) -> &'a str {
        self.cell(key).unwrap_or_default()
    }

    pub fn raw(&self, key: &str) -> String {
        self.raw_cell(key).to_string()
    }

    pub fn problem(&mut self, key: &str, code: &'static str, message: impl Into<String>) {
        let value = self.raw(key);
        self.problems.push(Problem {
            row: self.record.row,
            column: self.columns.header_of(key),
            field: key.to_string(),
            value,
            code,
            message: message.into(),
        });
    }

    /// A rule's refusal, reported under the column of the field the rule names (else `key`).
    pub fn refused(&mut self, key: &str, err: AppError) {
        match err {
            AppError::Invalid(e) | AppError::Conflict(e) => {
                let field = e
                    .field
                    .filter(|f| self.columns.field_index(f).is_some())
                    .unwrap_or(key);
                let field = field.to_string();
                self.problem(&field, e.code, e.message);
            }
            other => {
                let code = other.code();
                self.problem(key, code, other.to_string());
            }
        }
    }

    pub fn required(&mut self, key: &str) -> Option<String> {
        self.required_cell(key).map(str::to_string)
    }

    /// [`Row::required`], borrowed.
    pub fn required_cell(&mut self, key: &str) -> Option<&'a str> {
        let v = self.cell(key);
        if v.is_none() {
            self.problem(key, "import.required", "this column needs a value");
        }
        v
    }

    pub fn date(&mut self, key: &str) -> Option<String> {
        let text = self.cell(key)?;
        // Excel date-times arrive as `YYYY-MM-DD HH:MM:SS`; people also type 2024/3/9
        let day = text
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .replace('/', "-");
        match chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d") {
            Ok(d) => Some(d.to_string()),
            Err(_) => {
                self.problem(key, "import.bad_date", "a date looks like 2025-03-31");
                None
            }
        }
    }

    pub fn integer(&mut self, key: &str) -> Option<i64> {
        let text = self.cell(key)?;
        match salesos_domain::money::without_commas(text).parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                self.problem(key, "import.bad_number", "a whole number is expected here");
                None
            }
        }
    }

    /// A quantity: a whole number above zero.
    pub fn quantity(&mut self, key: &str) -> Option<i64> {
        let v = self.integer(key)?;
        if v <= 0 {
            self.problem(
                key,
                "import.negative_quantity",
                "a quantity is a whole number above zero",
            );
            return None;
        }
        Some(v)
    }

    /// An amount in yuan (at most two decimals), zero or more, as fen.
    pub fn money(&mut self, key: &str) -> Option<i64> {
        let text = self.cell(key)?;
        match salesos_domain::Money::parse_yuan(text) {
            Some(m) if m.fen() < 0 => {
                self.problem(
                    key,
                    "import.negative_amount",
                    "an amount cannot be negative",
                );
                None
            }
            Some(m) => Some(m.fen()),
            None => {
                self.problem(
                    key,
                    "import.bad_number",
                    "an amount in yuan looks like 1234.50",
                );
                None
            }
        }
    }

    /// The cells of the mapped fields, for telling a repeated row from a conflicting one.
    pub fn fingerprint(&self) -> Vec<String> {
        self.columns
            .index
            .iter()
            .map(|c| {
                c.map(|c| self.record.get(c).to_string())
                    .unwrap_or_default()
            })
            .collect()
    }

    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}
