//! `/api/v1/imports/{kind}` (check or import a spreadsheet) and `/api/v1/exports/{kind}` (the
//! same records as XLSX or CSV, in the import's columns). One route per kind, because each kind
//! needs the capability of the screens that make the same records.

use super::{ApiJson, ApiQuery};
use crate::export::{download, Cell, ExportFormat, Sheet};
use crate::i18n::Tr;
use crate::problem::{ApiError, Problem};
use crate::session::ApiActor;
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use salesos_app::imports::{self, ExportCell, Kind, Outcome, Request};
use salesos_app::AppError;
use salesos_domain::Money;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
pub struct ImportIn {
    /// The file (CSV in UTF-8 or GB18030, or XLSX), base64-encoded.
    pub content_base64: String,
    pub file_name: Option<String>,
    /// The XLSX sheet to read; default: the first sheet with content.
    pub sheet: Option<String>,
    /// Check only (default): nothing is written. `false` imports when no row has a problem.
    pub dry_run: Option<bool>,
    /// Field -> column header, correcting the automatic recognition of headers.
    #[serde(default)]
    pub mapping: BTreeMap<String, String>,
    /// Keep the mapping for the next file of this kind (on a confirmed import).
    #[serde(default)]
    pub save_mapping: bool,
    /// A name the caller picks (8 to 64 letters, digits, `-` or `_`) to follow the import
    /// row by row with `GET /api/v1/imports/progress?job=…` while this request runs (the page
    /// does so for large files).
    pub progress_job: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportProblemOut {
    /// The row as numbered in the spreadsheet (the header row is 1).
    pub row: u64,
    /// The column header in the file.
    pub column: String,
    /// The field the column was read as.
    pub field: String,
    pub value: String,
    pub code: String,
    /// The reason, in the caller's language.
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportOut {
    /// dealers, products, prices, receivables or orders
    pub kind: String,
    /// utf-8, gb18030 or xlsx
    pub encoding: String,
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Field -> column header used.
    pub columns: BTreeMap<String, String>,
    pub ignored_columns: Vec<String>,
    pub problems: Vec<ImportProblemOut>,
    /// All problems (the list stops at 5,000).
    pub problem_count: u64,
    /// True when the rows were written.
    pub committed: bool,
    pub dry_run: bool,
}

/// A confirmed import that found problems: the problem document with the list of problems.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRefused {
    #[serde(flatten)]
    pub problem: Problem,
    pub import: ImportOut,
}

pub fn outcome_out(o: Outcome, tr: &Tr) -> ImportOut {
    ImportOut {
        kind: o.kind.code().to_string(),
        encoding: o.encoding.to_string(),
        rows: o.rows,
        created: o.counts.created,
        updated: o.counts.updated,
        unchanged: o.counts.unchanged,
        columns: o.columns,
        ignored_columns: o.ignored_columns,
        problems: o
            .problems
            .into_iter()
            .map(|p| ImportProblemOut {
                row: p.row,
                column: p.column,
                field: p.field,
                value: p.value,
                code: p.code.to_string(),
                reason: tr.error(p.code, &p.message),
            })
            .collect(),
        problem_count: o.problem_count,
        committed: o.committed,
        dry_run: o.dry_run,
    }
}

/// Reads the upload and runs the import (shared by the API and the page's script).
async fn import(
    s: AppState,
    a: ApiActor,
    kind: Kind,
    body: ImportIn,
) -> Result<Response, ApiError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body.content_base64.trim())
        .map_err(|_| {
            a.fail(AppError::invalid(
                "import.file_unreadable",
                "content_base64",
                "the file is not base64-encoded",
            ))
        })?;
    // a followed import reports progress against the file's rows, counted first
    let job = match body.progress_job.as_deref() {
        None => None,
        Some(name) => {
            a.actor.require(kind.capability()).map_err(|e| a.fail(e))?;
            let total = salesos_import::Table::from_bytes(bytes.clone(), body.sheet.as_deref())
                .map(|t| t.filter(|r| r.is_ok()).count() as u64)
                .unwrap_or(0);
            Some(jobs::start(name, a.actor.person_id(), total).map_err(|e| a.fail(e))?)
        }
    };
    let table = salesos_import::Table::from_bytes(bytes, body.sheet.as_deref()).map_err(|e| {
        a.fail(AppError::invalid(
            "import.file_unreadable",
            "content_base64",
            e.to_string(),
        ))
    })?;
    let request = Request {
        mapping: body.mapping,
        dry_run: body.dry_run.unwrap_or(true),
        save_mapping: body.save_mapping,
        file_name: body.file_name,
    };
    let dry_run = request.dry_run;
    let counter = job.clone();
    let mut progress = move |rows: u64| {
        if let Some(job) = &counter {
            job.rows.store(rows, Ordering::Relaxed);
        }
    };
    let ended = imports::run(&s.app, &a.actor, kind, table, request, &mut progress).await;
    if let Some(job) = &job {
        job.finish(&ended);
    }
    let outcome = ended.map_err(|e| a.fail(e))?;
    if dry_run || outcome.committed {
        return Ok(Json(outcome_out(outcome, &a.tr)).into_response());
    }
    Ok(refused(outcome, &a.tr))
}

/// How far an import is.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobProgress {
    pub job: String,
    /// Rows read and checked so far.
    pub rows_read: u64,
    /// Data rows in the file (blank rows not counted).
    pub total_rows: u64,
    /// True once the import has answered.
    pub done: bool,
    /// The status the import answered with (200; 422 when a confirmed file had problems).
    pub status: Option<u16>,
}

/// Imports being followed, in this process: the page asks the server that took the upload
/// (an import runs inside its own request, so the same server answers while it runs).
mod jobs {
    use super::*;
    use std::sync::atomic::AtomicU64;
    use std::sync::{Arc, Mutex, OnceLock};
    use std::time::{Duration, Instant};

    /// Finished jobs are forgotten after this long.
    const KEEP: Duration = Duration::from_secs(15 * 60);

    pub struct Job {
        pub id: String,
        pub total: u64,
        pub rows: AtomicU64,
        pub end: Mutex<Option<(Instant, u16)>>,
    }

    type Registry = Mutex<HashMap<(Option<i64>, String), Arc<Job>>>;

    fn registry() -> &'static Registry {
        static JOBS: OnceLock<Registry> = OnceLock::new();
        JOBS.get_or_init(|| Mutex::new(HashMap::new()))
    }

    pub fn start(name: &str, owner: Option<i64>, total: u64) -> Result<Arc<Job>, AppError> {
        let ok = (8..=64).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(AppError::invalid(
                "import.progress_job_invalid",
                "progress_job",
                "a progress job name has 8 to 64 letters, digits, '-' or '_'",
            ));
        }
        let job = Arc::new(Job {
            id: name.to_string(),
            total,
            rows: AtomicU64::new(0),
            end: Mutex::new(None),
        });
        if let Ok(mut all) = registry().lock() {
            all.retain(|_, j| {
                j.end
                    .lock()
                    .map(|e| e.is_none_or(|(at, _)| at.elapsed() < KEEP))
                    .unwrap_or(false)
            });
            all.insert((owner, job.id.clone()), job.clone());
        }
        Ok(job)
    }

    impl Job {
        pub fn finish(&self, ended: &Result<Outcome, AppError>) {
            let status = match ended {
                Ok(o) if o.dry_run || o.committed => 200,
                Ok(_) => 422,
                Err(e) => crate::problem::status_of(e).as_u16(),
            };
            if let Ok(mut end) = self.end.lock() {
                *end = Some((Instant::now(), status));
            }
        }

        pub fn progress(&self) -> JobProgress {
            let end = self.end.lock().ok().and_then(|e| *e);
            JobProgress {
                job: self.id.clone(),
                rows_read: self.rows.load(Ordering::Relaxed),
                total_rows: self.total,
                done: end.is_some(),
                status: end.map(|(_, s)| s),
            }
        }
    }

    /// The person's jobs (of this name, when given).
    pub fn of(person: Option<i64>, name: Option<&str>) -> Vec<Arc<Job>> {
        let Ok(all) = registry().lock() else {
            return Vec::new();
        };
        let mut found: Vec<Arc<Job>> = all
            .iter()
            .filter(|((owner, id), _)| *owner == person && name.is_none_or(|n| n == id))
            .map(|(_, j)| j.clone())
            .collect();
        found.sort_by(|a, b| a.id.cmp(&b.id));
        found
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgressQuery {
    /// The `progress_job` of one import; without it, all the caller's followed imports.
    pub job: Option<String>,
}

/// The caller's followed imports.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressOut {
    pub jobs: Vec<JobProgress>,
}

/// How far the imports followed by `progress_job` are: rows read of the file's rows, and
/// whether each has answered. A person sees only the imports they started.
#[utoipa::path(get, path = "/api/v1/imports/progress", tag = "imports", params(ProgressQuery),
    responses((status = 200, body = ProgressOut), (status = 401, body = Problem)))]
pub async fn progress(a: ApiActor, ApiQuery(q): ApiQuery<ProgressQuery>) -> Json<ProgressOut> {
    Json(ProgressOut {
        jobs: jobs::of(a.actor.person_id(), q.job.as_deref())
            .iter()
            .map(|j| j.progress())
            .collect(),
    })
}

fn refused(outcome: Outcome, tr: &Tr) -> Response {
    let count = outcome.problem_count;
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    let body = ImportRefused {
        problem: Problem {
            kind: "/problems/import.has_problems".into(),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            code: "import.has_problems".into(),
            detail: tr.error(
                "import.has_problems",
                &format!("{count} problems in the file; nothing was imported"),
            ),
            field: Some("content_base64".into()),
            retry_after: None,
        },
        import: outcome_out(outcome, tr),
    };
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

macro_rules! import_route {
    ($name:ident, $kind:expr, $path:literal) => {
        #[utoipa::path(post, path = $path, tag = "imports", request_body = ImportIn,
            responses((status = 200, description = "checked (dry run) or imported", body = ImportOut),
                (status = 401, body = Problem), (status = 403, body = Problem),
                (status = 422, description = "the file has problems; nothing was written", body = ImportRefused)))]
        pub async fn $name(
            State(s): State<AppState>,
            a: ApiActor,
            ApiJson(body): ApiJson<ImportIn>,
        ) -> Result<Response, ApiError> {
            import(s, a, $kind, body).await
        }
    };
}

import_route!(import_dealers, Kind::Dealers, "/api/v1/imports/dealers");
import_route!(import_products, Kind::Products, "/api/v1/imports/products");
import_route!(import_prices, Kind::Prices, "/api/v1/imports/prices");
import_route!(
    import_receivables,
    Kind::Receivables,
    "/api/v1/imports/receivables"
);
import_route!(import_orders, Kind::Orders, "/api/v1/imports/orders");
import_route!(import_people, Kind::People, "/api/v1/imports/people");

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// xlsx (default) or csv
    pub format: Option<String>,
}

/// The sheet of an export: headers in the person's language (both languages are recognised
/// on import), typed cells.
pub fn sheet_of(table: imports::ExportTable, tr: &Tr) -> Sheet {
    let zh = tr.lang().starts_with("zh");
    Sheet {
        title: tr.tk("import.kind", table.kind.code()),
        headers: table
            .kind
            .fields()
            .iter()
            .map(|f| if zh { f.zh } else { f.en }.to_string())
            .collect(),
        rows: table
            .rows
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|c| match c {
                        ExportCell::Text(t) => Cell::Text(t),
                        ExportCell::Int(n) => Cell::Int(n),
                        ExportCell::Money(f) => Cell::Money(Money::from_fen(f)),
                        ExportCell::Date(d) => Cell::Date(d),
                        ExportCell::Empty => Cell::Empty,
                    })
                    .collect()
            })
            .collect(),
    }
}

pub fn export_format(raw: Option<&str>, tr: Tr) -> Result<ExportFormat, ApiError> {
    ExportFormat::parse(raw.unwrap_or("xlsx")).ok_or_else(|| {
        ApiError::new(
            AppError::invalid(
                "export.format_unknown",
                "format",
                "the format is xlsx or csv",
            ),
            tr,
        )
    })
}

async fn export(
    s: AppState,
    a: ApiActor,
    kind: Kind,
    q: ExportQuery,
) -> Result<Response, ApiError> {
    let format = export_format(q.format.as_deref(), a.tr)?;
    let table = imports::export(&s.app, &a.actor, kind)
        .await
        .map_err(|e| a.fail(e))?;
    Ok(download(&sheet_of(table, &a.tr), format, kind.code()))
}

macro_rules! export_route {
    ($name:ident, $kind:expr, $path:literal) => {
        #[utoipa::path(get, path = $path, tag = "imports", params(ExportQuery),
            responses((status = 200, description = "an XLSX or CSV file in the import's columns"),
                (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
                (status = 422, body = Problem)))]
        pub async fn $name(
            State(s): State<AppState>,
            a: ApiActor,
            ApiQuery(q): ApiQuery<ExportQuery>,
        ) -> Result<Response, ApiError> {
            export(s, a, $kind, q).await
        }
    };
}

export_route!(export_dealers, Kind::Dealers, "/api/v1/exports/dealers");
export_route!(export_products, Kind::Products, "/api/v1/exports/products");
export_route!(export_prices, Kind::Prices, "/api/v1/exports/prices");
export_route!(
    export_receivables,
    Kind::Receivables,
    "/api/v1/exports/receivables"
);
export_route!(export_orders, Kind::Orders, "/api/v1/exports/orders");
export_route!(export_people, Kind::People, "/api/v1/exports/people");
