//! The people pages: the list of people in scope, adding a person, and one person's page
//! (profile, position and its history, move, deactivate, reactivate, password reset, tokens).

use super::account::{account_page, AccountError, TokenLine};
use super::org::{
    last_day, non_empty, notice_of, parse_id, role_options, unit_options, NoticeQuery, RoleOption,
    UnitOption,
};
use super::{fail, form_answer, format_time, render, Layout, PageId, Pager};
use crate::export::{Cell, ExportFormat, Sheet};
use crate::i18n::Tr;
use crate::problem::{message_of, status_of};
use crate::session::{urlencode, PageActor};
use crate::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use salesos_app::people::{self, NewPersonInput, PositionInput, ProfileInput};
use salesos_app::{org, tokens, AppError};
use salesos_domain::people::Locale;
use salesos_domain::roles::{Capability, Role};
use salesos_store::org::NodeRow;
use salesos_store::people::{PeopleFilter, PersonRow};
use serde::Deserialize;

/// A failed operation shown on the form that caused it: next to the field at fault, or at the
/// top of the form when the field is not one of its inputs.
pub struct FormError {
    pub form: &'static str,
    pub field: Option<&'static str>,
    pub message: String,
    pub status: StatusCode,
}

impl FormError {
    /// `Some` for the errors a form shows (bad input, clashes); `None` for the rest, which get
    /// the error page.
    pub fn of(form: &'static str, fields: &[&str], err: &AppError, tr: &Tr) -> Option<FormError> {
        match err {
            AppError::Invalid(_) | AppError::Conflict(_) => Some(FormError {
                form,
                field: err.field().filter(|f| fields.contains(f)),
                message: message_of(err, tr),
                status: status_of(err),
            }),
            _ => None,
        }
    }

    pub fn at(&self, form: &str, field: &str) -> Option<&str> {
        (self.form == form && self.field == Some(field)).then_some(self.message.as_str())
    }

    pub fn general(&self, form: &str) -> Option<&str> {
        (self.form == form && self.field.is_none()).then_some(self.message.as_str())
    }
}

/// A person in a list.
pub struct PersonLine {
    pub id: i64,
    pub name: String,
    pub login: String,
    pub role: String,
    pub unit_id: Option<i64>,
    pub unit: String,
    pub active: bool,
}

pub(crate) fn role_label(tr: &Tr, role: Option<&str>) -> String {
    match role {
        Some(code) => tr.tk("role", code),
        None => tr.t("role.none").to_string(),
    }
}

pub(crate) fn person_line(tr: &Tr, p: &PersonRow) -> PersonLine {
    PersonLine {
        id: p.id,
        name: p.display_name.clone(),
        login: p.login.clone(),
        role: role_label(tr, p.role.as_deref()),
        unit_id: p.node_id,
        unit: match (&p.node_name_zh, &p.node_name_en) {
            (Some(zh), Some(en)) => tr.name(zh, en).to_string(),
            _ => String::new(),
        },
        active: p.active,
    }
}

/// The units the person may place someone at (empty without the right to see the tree).
async fn units(s: &AppState, pa: &PageActor) -> Vec<NodeRow> {
    org::tree(&s.app, &pa.actor).await.unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The list

const PAGE_SIZE: i64 = 100;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    include_inactive: String,
    #[serde(default)]
    node_id: String,
    #[serde(default)]
    page: String,
    /// for exports: `xlsx` (default) or `csv`
    #[serde(default)]
    format: String,
}

#[derive(Template)]
#[template(path = "people_list.html")]
struct ListPage {
    export_query: String,
    l: Layout,
    q: String,
    roles: Vec<RoleOption>,
    include_inactive: bool,
    node_id: Option<i64>,
    unit_filter: Option<String>,
    clear_unit_href: String,
    people: Vec<PersonLine>,
    pager: Pager,
    can_manage: bool,
}

/// The list's filters as a query string, for the pager and the export links.
fn list_query(q: &str, role: &str, inactive: bool, node_id: Option<i64>) -> String {
    let mut parts = Vec::new();
    if !q.is_empty() {
        parts.push(format!("q={}", urlencode(q)));
    }
    if !role.is_empty() {
        parts.push(format!("role={}", urlencode(role)));
    }
    if inactive {
        parts.push("include_inactive=1".to_string());
    }
    if let Some(n) = node_id {
        parts.push(format!("node_id={n}"));
    }
    parts.join("&")
}

pub async fn list(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let tr = pa.tr();
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let text = q.q.trim().chars().take(100).collect::<String>();
    let role = Role::parse(q.role.trim()).map(Role::code).unwrap_or("");
    let include_inactive = !q.include_inactive.is_empty();
    let node_id = parse_id(&q.node_id);
    let export_query = list_query(&text, role, include_inactive, node_id);
    let mut pager = Pager::new("/people", &q.page, export_query.clone(), PAGE_SIZE);
    let filter = PeopleFilter {
        text: non_empty(&text),
        include_inactive,
        node_id,
        role: non_empty(role),
        limit: pager.limit(),
        offset: pager.offset(),
    };
    let rows = match people::list(&s.app, &pa.actor, &filter).await {
        Ok(rows) => pager.keep(rows),
        Err(e) => return fail(&pa, e),
    };
    let unit_filter = match node_id {
        Some(id) => match org::get(&s.app, &pa.actor, id).await {
            Ok(n) => Some(tr.name(&n.name_zh, &n.name_en).to_string()),
            Err(_) => Some(format!("#{id}")),
        },
        None => None,
    };
    let page_view = ListPage {
        l: Layout::new(&pa, "people.title", "/people"),
        roles: role_options(&tr, role, false),
        include_inactive,
        node_id,
        unit_filter,
        clear_unit_href: match list_query(&text, role, include_inactive, None) {
            q if q.is_empty() => "/people".to_string(),
            q => format!("/people?{q}"),
        },
        people: rows.iter().map(|p| person_line(&tr, p)).collect(),
        pager,
        can_manage: pa.actor.can(Capability::ManagePeople),
        export_query,
        q: text,
    };
    render(&page_view)
}

/// The people list, with the same filters and scope, as an XLSX or CSV file.
pub async fn export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let tr = pa.tr();
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let format = ExportFormat::parse(q.format.trim()).unwrap_or(ExportFormat::Xlsx);
    let text = q.q.trim().chars().take(100).collect::<String>();
    let role = Role::parse(q.role.trim()).map(Role::code).unwrap_or("");
    const BATCH: i64 = 1000;
    let filter = PeopleFilter {
        text: non_empty(&text),
        include_inactive: !q.include_inactive.is_empty(),
        node_id: parse_id(&q.node_id),
        role: non_empty(role),
        limit: BATCH,
        offset: 0,
    };
    // every page of the list, not only the one on screen
    let rows = crate::export::all_rows(|limit, offset| {
        let mut page = filter.clone();
        page.limit = limit;
        page.offset = offset;
        let (s, pa) = (&s, &pa);
        async move { people::list(&s.app, &pa.actor, &page).await }
    })
    .await;
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return fail(&pa, e),
    };
    let sheet = Sheet {
        title: tr.t("people.title").to_string(),
        headers: [
            "people.login",
            "people.name",
            "people.role",
            "people.unit",
            "people.email",
            "people.phone",
            "people.status",
        ]
        .iter()
        .map(|k| tr.t(k).to_string())
        .collect(),
        rows: rows
            .into_iter()
            .map(|p| {
                let role = p
                    .role
                    .as_deref()
                    .map(|r| tr.tk("role", r))
                    .unwrap_or_default();
                let unit = match (&p.node_name_zh, &p.node_name_en) {
                    (Some(zh), Some(en)) => tr.name(zh, en).to_string(),
                    _ => String::new(),
                };
                let status = if p.active {
                    tr.t("people.active")
                } else {
                    tr.t("people.inactive")
                };
                vec![
                    Cell::from(p.login),
                    Cell::from(p.display_name),
                    Cell::from(role),
                    Cell::from(unit),
                    Cell::from(p.email),
                    Cell::from(p.phone),
                    Cell::from(status),
                ]
            })
            .collect(),
    };
    crate::export::download(&sheet, format, "people")
}

// ---------------------------------------------------------------------------------------------
// Adding a person

#[derive(Deserialize, Default)]
pub struct NewPersonForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    node_id: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    effective_from: String,
}

const NEW_FIELDS: &[&str] = &[
    "login",
    "display_name",
    "email",
    "phone",
    "password",
    "locale",
    "node_id",
    "role",
    "effective_from",
];

#[derive(Template)]
#[template(path = "person_new.html")]
struct NewPage {
    l: Layout,
    v: NewPersonForm,
    units: Vec<UnitOption>,
    roles: Vec<RoleOption>,
    today: String,
    error: Option<FormError>,
}

impl NewPage {
    fn err(&self, form: &str, field: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.at(form, field))
    }

    fn form_err(&self, form: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.general(form))
    }
}

async fn new_page(
    s: &AppState,
    pa: &PageActor,
    mut v: NewPersonForm,
    error: Option<FormError>,
) -> Response {
    let tr = pa.tr();
    if !pa.actor.can(Capability::ManagePeople) {
        return fail(
            pa,
            AppError::Forbidden {
                capability: "manage_people",
            },
        );
    }
    let nodes = units(s, pa).await;
    // the password typed is never sent back
    v.password.clear();
    if v.locale.is_empty() {
        v.locale = Locale::default().code().to_string();
    }
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let page = NewPage {
        l: Layout::new(pa, "people.new_title", "/people"),
        units: unit_options(&tr, &nodes, parse_id(&v.node_id), |_| true),
        roles: role_options(&tr, &v.role, true),
        today: s.app.today(),
        v,
        error,
    };
    (status, render(&page)).into_response()
}

pub async fn new_form(State(s): State<AppState>, pa: PageActor) -> Response {
    new_page(&s, &pa, NewPersonForm::default(), None).await
}

pub async fn create(
    State(s): State<AppState>,
    pa: PageActor,
    f: Result<Form<NewPersonForm>, FormRejection>,
) -> Response {
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let result = match parse_id(&f.node_id) {
        Some(node_id) => {
            let input = NewPersonInput {
                login: f.login.clone(),
                display_name: f.display_name.clone(),
                email: non_empty(&f.email),
                phone: non_empty(&f.phone),
                password: f.password.clone(),
                locale: non_empty(&f.locale),
                position: PositionInput {
                    node_id,
                    role: f.role.clone(),
                    effective_from: non_empty(&f.effective_from),
                },
            };
            people::create(&s.app, &pa.actor, input).await
        }
        None => Err(AppError::invalid(
            "position.node_unknown",
            "node_id",
            "choose a unit",
        )),
    };
    form_answer(
        &pa,
        result,
        |person| format!("/people/{}?notice=person_created", person.id),
        "new",
        NEW_FIELDS,
        |error| new_page(&s, &pa, f, Some(error)),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// One person

pub struct PersonView {
    pub id: i64,
    pub name: String,
    pub login: String,
    pub email: String,
    pub phone: String,
    pub language: &'static str,
    pub active: bool,
    pub role: String,
    pub unit_id: Option<i64>,
    pub unit: String,
}

pub struct AssignmentLine {
    pub unit_id: i64,
    pub unit: String,
    pub role: String,
    pub from: String,
    pub to: String,
    pub current: bool,
}

#[derive(Deserialize, Default)]
pub struct ProfileForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
}

#[derive(Deserialize, Default)]
pub struct PositionForm {
    #[serde(default)]
    node_id: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    effective_from: String,
}

#[derive(Deserialize, Default)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

const PROFILE_FIELDS: &[&str] = &["display_name", "email", "phone"];
const POSITION_FIELDS: &[&str] = &["node_id", "role", "effective_from"];
const TOKEN_FIELDS: &[&str] = &["name"];

#[derive(Template)]
#[template(path = "person_show.html")]
struct PersonPage {
    l: Layout,
    p: PersonView,
    is_self: bool,
    can_manage: bool,
    can_tokens: bool,
    can_audit: bool,
    can_org: bool,
    history: Vec<AssignmentLine>,
    units: Vec<UnitOption>,
    roles: Vec<RoleOption>,
    today: String,
    profile: ProfileForm,
    pos: PositionForm,
    tokens: Vec<TokenLine>,
    token_name: String,
    new_token: Option<String>,
    new_password: Option<String>,
    error: Option<FormError>,
}

impl PersonPage {
    fn err(&self, form: &str, field: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.at(form, field))
    }

    fn form_err(&self, form: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.general(form))
    }
}

#[derive(Default)]
struct Extras {
    notice: Option<String>,
    error: Option<FormError>,
    profile: Option<ProfileForm>,
    pos: Option<PositionForm>,
    token_name: Option<String>,
    new_token: Option<String>,
    new_password: Option<String>,
}

async fn person_page(s: &AppState, pa: &PageActor, id: i64, x: Extras) -> Response {
    let tr = pa.tr();
    let person = match people::get(&s.app, &pa.actor, id).await {
        Ok(p) => p,
        Err(e) => return fail(pa, e),
    };
    let assignments = match people::assignments(&s.app, &pa.actor, id).await {
        Ok(a) => a,
        Err(e) => return fail(pa, e),
    };
    let is_self = pa.actor.person_id() == Some(id);
    let can_manage = pa.actor.can(Capability::ManagePeople);
    let can_tokens = !is_self && pa.actor.can(Capability::ManageTokens);
    let tz = s.app.config.time_zone;
    let token_rows = if can_tokens {
        match tokens::list(&s.app, &pa.actor, id).await {
            Ok(rows) => rows,
            Err(e) => return fail(pa, e),
        }
    } else {
        Vec::new()
    };
    let tokens = token_rows
        .into_iter()
        .map(|t| TokenLine {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created: format_time(t.created_at, tz),
            last_used: t
                .last_used_at
                .map(|u| format_time(u, tz))
                .unwrap_or_default(),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    let pos = x.pos.unwrap_or_else(|| PositionForm {
        node_id: person.node_id.map(|n| n.to_string()).unwrap_or_default(),
        role: person.role.clone().unwrap_or_default(),
        effective_from: String::new(),
    });
    let nodes = if can_manage {
        units(s, pa).await
    } else {
        Vec::new()
    };
    let profile = x.profile.unwrap_or_else(|| ProfileForm {
        display_name: person.display_name.clone(),
        email: person.email.clone().unwrap_or_default(),
        phone: person.phone.clone().unwrap_or_default(),
    });
    let history = assignments
        .iter()
        .rev()
        .map(|a| AssignmentLine {
            unit_id: a.node_id,
            unit: tr.name(&a.node_name_zh, &a.node_name_en).to_string(),
            role: tr.tk("role", &a.role),
            from: a.valid_from.clone(),
            to: a.valid_to.as_deref().map(last_day).unwrap_or_default(),
            current: a.valid_to.is_none(),
        })
        .collect();
    let status = x.error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let mut l = Layout::new(pa, "people.person_title", "/people").with_notice(x.notice);
    l.title = person.display_name.clone();
    let line = person_line(&tr, &person);
    let page = PersonPage {
        l,
        p: PersonView {
            id: person.id,
            name: person.display_name.clone(),
            login: person.login.clone(),
            email: person.email.clone().unwrap_or_default(),
            phone: person.phone.clone().unwrap_or_default(),
            language: match Locale::parse(&person.locale) {
                Some(Locale::En) => "English",
                _ => "中文",
            },
            active: person.active,
            role: line.role,
            unit_id: person.node_id,
            unit: line.unit,
        },
        is_self,
        can_manage,
        can_tokens,
        can_audit: pa.actor.can(Capability::ViewAudit),
        can_org: pa.actor.can(Capability::ViewOrg),
        history,
        units: unit_options(&tr, &nodes, parse_id(&pos.node_id), |_| true),
        roles: role_options(&tr, &pos.role, true),
        today: s.app.today(),
        profile,
        pos,
        tokens,
        token_name: x.token_name.unwrap_or_default(),
        new_token: x.new_token,
        new_password: x.new_password,
        error: x.error,
    };
    (status, render(&page)).into_response()
}

/// Shows the outcome of a failed change on the person's page, or the error page.
async fn failed(
    s: &AppState,
    pa: &PageActor,
    id: i64,
    form: &'static str,
    fields: &[&str],
    err: AppError,
    x: Extras,
) -> Response {
    match FormError::of(form, fields, &err, &pa.tr()) {
        Some(error) => {
            person_page(
                s,
                pa,
                id,
                Extras {
                    error: Some(error),
                    ..x
                },
            )
            .await
        }
        None => fail(pa, err),
    }
}

fn back_to(id: i64, notice: &str) -> Response {
    Redirect::to(&format!("/people/{id}?notice={notice}")).into_response()
}

fn position_input(f: &PositionForm) -> Result<PositionInput, AppError> {
    let node_id = parse_id(&f.node_id)
        .ok_or_else(|| AppError::invalid("position.node_unknown", "node_id", "choose a unit"))?;
    Ok(PositionInput {
        node_id,
        role: f.role.clone(),
        effective_from: non_empty(&f.effective_from),
    })
}

pub async fn show(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    q: Result<Query<NoticeQuery>, QueryRejection>,
) -> Response {
    let notice = notice_of(q, &pa.tr());
    person_page(
        &s,
        &pa,
        id,
        Extras {
            notice,
            ..Extras::default()
        },
    )
    .await
}

pub async fn update_profile(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    f: Result<Form<ProfileForm>, FormRejection>,
) -> Response {
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let input = ProfileInput {
        display_name: f.display_name.clone(),
        email: non_empty(&f.email),
        phone: non_empty(&f.phone),
    };
    match people::update_profile(&s.app, &pa.actor, id, input).await {
        Ok(_) => back_to(id, "profile_saved"),
        Err(err) => {
            failed(
                &s,
                &pa,
                id,
                "profile",
                PROFILE_FIELDS,
                err,
                Extras {
                    profile: Some(f),
                    ..Extras::default()
                },
            )
            .await
        }
    }
}

pub async fn move_to(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    f: Result<Form<PositionForm>, FormRejection>,
) -> Response {
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let result = match position_input(&f) {
        Ok(input) => people::move_to(&s.app, &pa.actor, id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => back_to(id, "moved"),
        Err(err) => {
            failed(
                &s,
                &pa,
                id,
                "move",
                POSITION_FIELDS,
                err,
                Extras {
                    pos: Some(f),
                    ..Extras::default()
                },
            )
            .await
        }
    }
}

pub async fn deactivate(State(s): State<AppState>, pa: PageActor, PageId(id): PageId) -> Response {
    match people::deactivate(&s.app, &pa.actor, id).await {
        Ok(_) => back_to(id, "deactivated"),
        Err(err) => failed(&s, &pa, id, "status", &[], err, Extras::default()).await,
    }
}

pub async fn reactivate(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    f: Result<Form<PositionForm>, FormRejection>,
) -> Response {
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let result = match position_input(&f) {
        Ok(input) => people::reactivate(&s.app, &pa.actor, id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => back_to(id, "reactivated"),
        Err(err) => {
            failed(
                &s,
                &pa,
                id,
                "reactivate",
                POSITION_FIELDS,
                err,
                Extras {
                    pos: Some(f),
                    ..Extras::default()
                },
            )
            .await
        }
    }
}

/// Generates a new password and shows it this once, on the page (never in a URL).
pub async fn reset_password(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
) -> Response {
    match people::reset_password(&s.app, &pa.actor, id, None).await {
        Ok(password) => {
            let notice = Some(pa.tr().t("notice.password_reset").to_string());
            person_page(
                &s,
                &pa,
                id,
                Extras {
                    notice,
                    new_password: Some(password),
                    ..Extras::default()
                },
            )
            .await
        }
        Err(err) => failed(&s, &pa, id, "password", &[], err, Extras::default()).await,
    }
}

/// Creates a token and shows its secret this once: on the account page for one's own tokens,
/// else on the person's page.
pub async fn create_token(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    f: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let tr = pa.tr();
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let own = pa.actor.person_id() == Some(id);
    match tokens::create(&s.app, &pa.actor, id, &f.name).await {
        Ok(created) if own => {
            account_page(
                &s,
                &pa,
                Some(tr.t("notice.token_created").to_string()),
                None,
                Some(created.token),
            )
            .await
        }
        Ok(created) => {
            let notice = Some(tr.t("notice.token_created").to_string());
            person_page(
                &s,
                &pa,
                id,
                Extras {
                    notice,
                    new_token: Some(created.token),
                    ..Extras::default()
                },
            )
            .await
        }
        Err(err @ (AppError::Invalid(_) | AppError::Conflict(_))) if own => {
            let error = AccountError::Token {
                message: message_of(&err, &tr),
            };
            let response = account_page(&s, &pa, None, Some(error), None).await;
            if response.status().is_success() {
                (status_of(&err), response).into_response()
            } else {
                response
            }
        }
        Err(err) => {
            failed(
                &s,
                &pa,
                id,
                "tokens",
                TOKEN_FIELDS,
                err,
                Extras {
                    token_name: Some(f.name),
                    ..Extras::default()
                },
            )
            .await
        }
    }
}

/// Revokes a token, then goes back to where it is listed: the account page for one's own, else
/// the person's page.
pub async fn revoke_token(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
) -> Response {
    match tokens::revoke(&s.app, &pa.actor, id).await {
        Ok(token) if pa.actor.person_id() == Some(token.person_id) => {
            Redirect::to("/account").into_response()
        }
        Ok(token) => back_to(token.person_id, "token_revoked"),
        Err(err) => fail(&pa, err),
    }
}
