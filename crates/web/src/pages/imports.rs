//! `/imports`: bringing data in and taking it out. The person picks a kind and a file; the
//! page's script sends it to `/api/v1/imports/{kind}` on the browser session (with the CSRF
//! header), first as a check: the preview lists every problem by row and column, and only a
//! file without problems can be confirmed. Each kind links its export (the import's template).

use super::{render, Layout};
use crate::session::PageActor;
use askama::Template;
use axum::response::Response;
use salesos_app::imports::Kind;

pub struct KindView {
    pub code: &'static str,
    pub name: String,
    pub can_import: bool,
    pub can_export: bool,
    /// The column headers in the person's language, `*` marking required ones.
    pub columns: Vec<(String, bool)>,
}

#[derive(Template)]
#[template(path = "import_page.html")]
struct ImportPage {
    l: Layout,
    kinds: Vec<KindView>,
}

pub async fn show(pa: PageActor) -> Response {
    let tr = pa.tr();
    let zh = tr.lang().starts_with("zh");
    let kinds = Kind::ALL
        .into_iter()
        .map(|k| KindView {
            code: k.code(),
            name: tr.tk("import.kind", k.code()),
            can_import: pa.actor.can(k.capability()),
            can_export: pa.actor.can(k.view_capability()),
            columns: k
                .fields()
                .iter()
                .map(|f| ((if zh { f.zh } else { f.en }).to_string(), f.required))
                .collect(),
        })
        .filter(|k| k.can_import || k.can_export)
        .collect();
    let page = ImportPage {
        l: Layout::new(&pa, "import.title", "/imports"),
        kinds,
    };
    render(&page)
}
