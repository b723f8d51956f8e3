//! The monthly PAE packs page: the packs the person may read (their market's, or every
//! market's for the leadership) and each one's XLSX download (`?download={id}`), written from
//! the figures frozen when the pack was made, with headers in the reader's language.

use super::{fail, format_time, render, Layout};
use crate::export::{to_xlsx, Cell, Sheet};
use crate::i18n::Tr;
use crate::session::PageActor;
use crate::AppState;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use salesos_app::pae_pack::{self, Pack, PackCell};
use salesos_domain::Money;
use serde::Deserialize;

pub struct PackLine {
    pub id: i64,
    pub month: String,
    pub market: String,
    pub generated: String,
}

#[derive(Template)]
#[template(path = "pae_packs.html")]
struct ListPage {
    l: Layout,
    rows: Vec<PackLine>,
}

#[derive(Deserialize, Default)]
pub struct PackQuery {
    /// A pack's id: answer with its XLSX instead of the list.
    download: Option<i64>,
}

fn percent(bp: i64) -> String {
    let sign = if bp < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}%", bp.abs() / 100, bp.abs() % 100)
}

/// The pack as spreadsheet sheets: an "about" sheet, then the pack's own.
pub fn sheets_of(pack: &Pack, tr: &Tr) -> Vec<Sheet> {
    let mut out = vec![Sheet {
        title: tr.t("pae.sheet.about").to_string(),
        headers: vec![tr.t("pae.col.item").to_string(), String::new()],
        rows: vec![
            vec![
                Cell::from(tr.t("pae.col.market")),
                Cell::from(format!(
                    "{} {}",
                    pack.market_code,
                    tr.name(&pack.market_name_zh, &pack.market_name_en)
                )),
            ],
            vec![
                Cell::from(tr.t("pae.col.month")),
                Cell::from(pack.month.clone()),
            ],
            vec![
                Cell::from(tr.t("pae.col.as_of")),
                Cell::Date(pack.as_of.clone()),
            ],
        ],
    }];
    out.extend(pack.sheets.iter().map(|s| {
        Sheet {
            title: tr.t(&s.title).to_string(),
            headers: s.headers.iter().map(|h| tr.t(h).to_string()).collect(),
            rows: s
                .rows
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|c| match c {
                            PackCell::Text(t) => Cell::Text(t.clone()),
                            PackCell::Label(k) => Cell::Text(tr.t(k).to_string()),
                            PackCell::Int(n) => Cell::Int(*n),
                            PackCell::Fen(f) => Cell::Money(Money(*f)),
                            PackCell::Percent(bp) => Cell::Text(percent(*bp)),
                            PackCell::Empty => Cell::Empty,
                        })
                        .collect()
                })
                .collect(),
        }
    }));
    out
}

pub async fn list(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<PackQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    if let Some(id) = q.download {
        return download(&s, &pa, id).await;
    }
    let rows = match pae_pack::list(&s.app, &pa.actor).await {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let tz = s.app.config.time_zone;
    render(&ListPage {
        rows: rows
            .iter()
            .map(|p| PackLine {
                id: p.id,
                month: p.month.clone(),
                market: tr.name(&p.node_name_zh, &p.node_name_en).to_string(),
                generated: format_time(p.generated_at, tz),
            })
            .collect(),
        l: Layout::new(&pa, "pae.title", "/pae-packs"),
    })
}

/// The list of packs (month, market, when made), as XLSX or CSV; each pack itself downloads
/// from its row.
pub async fn list_export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<crate::export::FormatQuery>, QueryRejection>,
) -> Response {
    let format = q.map(|Query(q)| q.format).unwrap_or_default();
    let rows = match pae_pack::list(&s.app, &pa.actor).await {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let tz = s.app.config.time_zone;
    crate::export::list_download(
        &tr,
        "pae.title",
        &["pae.col.month", "pae.col.market", "pae.generated"],
        rows.into_iter()
            .map(|p| {
                vec![
                    Cell::from(p.month),
                    Cell::from(tr.name(&p.node_name_zh, &p.node_name_en).to_string()),
                    Cell::DateTime(format_time(p.generated_at, tz)),
                ]
            })
            .collect(),
        &format,
        "pae-packs",
    )
}

async fn download(s: &AppState, pa: &PageActor, id: i64) -> Response {
    let (row, pack) = match pae_pack::get(&s.app, &pa.actor, id).await {
        Ok(p) => p,
        Err(e) => return fail(pa, e),
    };
    let bytes = match to_xlsx(&sheets_of(&pack, &pa.tr())) {
        Ok(b) => b,
        Err(err) => {
            tracing::error!(error = %err, "writing the PAE pack failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let code: String = pack
        .market_code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let file = format!("pae-{}-{code}.xlsx", row.month);
    (
        [
            (
                header::CONTENT_TYPE,
                crate::export::ExportFormat::Xlsx.content_type().to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn percentages_read_like_percentages() {
        assert_eq!(percent(8_750), "87.50%");
        assert_eq!(percent(5), "0.05%");
        assert_eq!(percent(-1_234), "-12.34%");
    }
}
