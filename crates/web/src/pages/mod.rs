//! HTML pages, rendered on the server with askama templates (auto-escaped), in the person's
//! language. Forms post back with the CSRF token (`session::csrf_guard` checks it).

pub mod account;
pub mod approvals;
pub mod audit;
pub mod billing;
pub mod catalogue;
pub mod dealers;
pub mod home;
pub mod imports;
pub mod orders;
pub mod org;
pub mod pae_pack;
pub mod people;
pub mod reports;
pub mod returns;
pub mod shipments;
pub mod signin;
pub mod targets;
pub mod transfers;
pub mod visits;

use crate::ctx::RequestCtx;
use crate::i18n::Tr;
use crate::problem::{message_of, status_of};
use crate::session::PageActor;
use crate::AppState;
use askama::Template;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use people::FormError;
use salesos_app::{Actor, AppError, Via};
use salesos_domain::people::Locale;
use salesos_domain::roles::Capability;

pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub active: bool,
}

pub struct MeView {
    pub id: i64,
    pub name: String,
    pub login: String,
    pub role: String,
    pub unit: String,
}

/// What every page's frame needs: language, title, navigation by role, the CSRF token.
pub struct Layout {
    pub tr: Tr,
    pub title: String,
    pub me: Option<MeView>,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub notice: Option<String>,
}

impl Layout {
    pub fn new(pa: &PageActor, title_key: &str, current: &str) -> Layout {
        let tr = pa.tr();
        let actor = &pa.actor;
        let mut nav = vec![("/", "nav.home", None)];
        nav.push(("/people", "nav.people", Some(Capability::ViewPeople)));
        nav.push(("/org", "nav.org", Some(Capability::ViewOrg)));
        nav.push(("/dealers", "nav.dealers", Some(Capability::ViewDealers)));
        nav.push((
            "/catalogue",
            "nav.catalogue",
            Some(Capability::ViewCatalogue),
        ));
        nav.push(("/orders", "nav.orders", Some(Capability::ViewOrders)));
        nav.push(("/shipments", "nav.shipments", Some(Capability::ViewOrders)));
        nav.push(("/returns", "nav.returns", Some(Capability::ViewOrders)));
        nav.push(("/transfers", "nav.transfers", Some(Capability::ViewOrders)));
        nav.push(("/visits", "nav.visits", Some(Capability::ViewTargets)));
        nav.push(("/pae-packs", "nav.pae_packs", Some(Capability::ViewTargets)));
        nav.push(("/invoices", "nav.invoices", Some(Capability::ViewCredit)));
        nav.push(("/approvals", "nav.approvals", Some(Capability::Approve)));
        nav.push(("/targets", "nav.targets", Some(Capability::ViewTargets)));
        nav.push((
            "/reports/aging",
            "nav.reports",
            Some(Capability::ViewReports),
        ));
        nav.push(("/imports", "nav.imports", Some(Capability::ViewCatalogue)));
        nav.push(("/account", "nav.account", None));
        let nav = nav
            .into_iter()
            .filter(|(_, _, cap)| cap.is_none_or(|c| actor.can(c)))
            .map(|(href, key, _)| NavItem {
                href,
                label: tr.t(key).to_string(),
                active: href == current,
            })
            .collect();
        Layout {
            tr,
            title: tr.t(title_key).to_string(),
            me: me_view(actor, &tr),
            csrf: csrf_of(actor),
            nav,
            notice: None,
        }
    }

    pub fn anonymous(locale: Locale, title_key: &str, csrf: String) -> Layout {
        let tr = Tr::new(locale);
        Layout {
            tr,
            title: tr.t(title_key).to_string(),
            me: None,
            csrf,
            nav: Vec::new(),
            notice: None,
        }
    }

    pub fn with_notice(mut self, notice: Option<String>) -> Layout {
        self.notice = notice;
        self
    }
}

pub fn csrf_of(actor: &Actor) -> String {
    match &actor.via {
        Via::Session { csrf_token, .. } => csrf_token.clone(),
        _ => String::new(),
    }
}

fn me_view(actor: &Actor, tr: &Tr) -> Option<MeView> {
    let person = actor.person.as_ref()?;
    Some(MeView {
        id: person.id,
        name: person.display_name.clone(),
        login: person.login.clone(),
        role: actor
            .role
            .map(|r| tr.tk("role", r.code()))
            .unwrap_or_else(|| tr.t("role.none").to_string()),
        unit: actor
            .node
            .as_ref()
            .map(|n| tr.name(&n.name_zh, &n.name_en).to_string())
            .unwrap_or_default(),
    })
}

/// Renders a template; a rendering failure is a bug, logged once here.
pub fn render<T: Template>(template: &T) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    status: u16,
    message: String,
}

/// A full error page in the person's language, with navigation when they are signed in.
pub fn error_page(
    status: StatusCode,
    code: &str,
    locale: Locale,
    pa: Option<&PageActor>,
) -> Response {
    let tr = Tr::new(locale);
    let l = match pa {
        Some(pa) => Layout::new(pa, "error.title", ""),
        None => Layout::anonymous(locale, "error.title", String::new()),
    };
    let page = ErrorPage {
        l,
        status: status.as_u16(),
        message: tr.error(code, code),
    };
    (status, render(&page)).into_response()
}

/// Maps a failed operation to its error page (validation errors are shown on their forms by the
/// handlers themselves; this is for the rest).
pub fn fail(pa: &PageActor, err: AppError) -> Response {
    let status = status_of(&err);
    if let AppError::Internal(detail) = &err {
        tracing::error!(error = %detail, "page request failed");
    }
    let tr = pa.tr();
    let l = Layout::new(pa, "error.title", "");
    let page = ErrorPage {
        l,
        status: status.as_u16(),
        message: message_of(&err, &tr),
    };
    (status, render(&page)).into_response()
}

/// The answer to a form post: on success a redirect to `next(value)`; bad input or a clash, the
/// form's page again (`again`) with the message next to the field at fault (one of `fields`);
/// anything else, the error page.
pub async fn form_answer<T, Page>(
    pa: &PageActor,
    result: Result<T, AppError>,
    next: impl FnOnce(T) -> String,
    form: &'static str,
    fields: &[&str],
    again: impl FnOnce(FormError) -> Page,
) -> Response
where
    Page: std::future::Future<Output = Response>,
{
    match result {
        Ok(value) => Redirect::to(&next(value)).into_response(),
        Err(e) => match FormError::of(form, fields, &e, &pa.tr()) {
            Some(error) => again(error).await,
            None => fail(pa, e),
        },
    }
}

/// A record's id in a page's path. A malformed one (`/invoices/abc`) names no record, so it is
/// answered like an unknown one, with the not-found page, instead of axum's plain-text 400.
pub struct PageId(pub i64);

impl FromRequestParts<AppState> for PageId {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Path::<i64>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(PageId(id)),
            Err(_) => {
                // the page frame needs the person; not signed in is the sign-in redirect, as
                // for every page
                let pa = PageActor::from_request_parts(parts, state).await?;
                Err(fail(&pa, AppError::NotFound { entity: "record" }))
            }
        }
    }
}

/// Rows on one page of the long lists (orders, shipments, invoices, transfers, targets).
pub const PAGE_ROWS: i64 = 200;

/// Which page of a list is shown (`?page=N`, from 1) and the links to its neighbours, which keep
/// the list's filters (`templates/pager.html`). It asks for one row more than it shows to know
/// whether a next page exists, so a list never ends silently at its page size.
pub struct Pager {
    pub page: i64,
    pub has_next: bool,
    size: i64,
    path: &'static str,
    query: String,
}

impl Pager {
    /// `page` as typed in the URL (anything but 1–10,000 is the first page); `query` is the
    /// list's filter as a query string, without `page`.
    pub fn new(path: &'static str, page: &str, query: String, size: i64) -> Pager {
        let page = page
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|p| (1..=10_000).contains(p))
            .unwrap_or(1);
        Pager {
            page,
            has_next: false,
            size,
            path,
            query,
        }
    }

    /// How many rows to ask for: one page and one more.
    pub fn limit(&self) -> i64 {
        self.size + 1
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.size
    }

    /// The page's rows out of what `limit()` fetched; notes whether there was more.
    pub fn keep<T>(&mut self, mut rows: Vec<T>) -> Vec<T> {
        let size = usize::try_from(self.size).unwrap_or(0);
        self.has_next = rows.len() > size;
        rows.truncate(size);
        rows
    }

    fn href(&self, page: i64) -> String {
        let page = (page > 1).then(|| format!("page={page}"));
        let parts: Vec<&str> = [Some(self.query.as_str()), page.as_deref()]
            .into_iter()
            .flatten()
            .filter(|p| !p.is_empty())
            .collect();
        match parts.is_empty() {
            true => self.path.to_string(),
            false => format!("{}?{}", self.path, parts.join("&")),
        }
    }

    pub fn prev_href(&self) -> Option<String> {
        (self.page > 1).then(|| self.href(self.page - 1))
    }

    pub fn next_href(&self) -> Option<String> {
        self.has_next.then(|| self.href(self.page + 1))
    }

    /// "Page 3" from the `common.page` text (`Page {n}`, `第 {n} 页`).
    pub fn label(&self, text: &str) -> String {
        text.replace("{n}", &self.page.to_string())
    }
}

pub async fn not_found(ctx: RequestCtx) -> Response {
    error_page(StatusCode::NOT_FOUND, "not_found", ctx.locale, None)
}

/// Formats a stored timestamp (µs since the epoch, UTC) in the company's time zone.
pub fn format_time(micros: i64, tz: chrono_tz::Tz) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}
