//! The organisation pages: the tree of units in the person's scope, one unit (its place, the
//! units and people below it, where it hung over time), adding, renaming and moving units.
//! Also the unit and role pickers the people pages share.

use super::people::{person_line, FormError, PersonLine};
use super::{fail, form_answer, render, Layout, PageId};
use crate::i18n::Tr;
use crate::session::PageActor;
use crate::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use salesos_app::org::{self, MoveNodeInput, NewNodeInput, UpdateNodeInput};
use salesos_app::{people, AppError};
use salesos_domain::org::NodeKind;
use salesos_domain::roles::{Capability, Role};
use salesos_store::org::NodeRow;
use salesos_store::people::PeopleFilter;
use serde::Deserialize;
use std::collections::HashMap;

/// An option of a unit picker, indented by its depth in the tree.
pub struct UnitOption {
    pub id: i64,
    pub label: String,
    pub selected: bool,
}

/// An option of a role picker; the label names the unit kinds the role may sit at.
pub struct RoleOption {
    pub code: &'static str,
    pub label: String,
    pub selected: bool,
}

pub struct KindOption {
    pub code: &'static str,
    pub label: String,
    pub selected: bool,
}

/// Depth of a materialised path (`/1/4/17/` is 2).
pub(crate) fn depth_of(path: &str) -> usize {
    path.split('/')
        .filter(|s| !s.is_empty())
        .count()
        .saturating_sub(1)
}

/// The units a person may pick, indented relative to the top of what they can see.
pub(crate) fn unit_options(
    tr: &Tr,
    nodes: &[NodeRow],
    selected: Option<i64>,
    keep: impl Fn(&NodeRow) -> bool,
) -> Vec<UnitOption> {
    let top = nodes.iter().map(|n| depth_of(&n.path)).min().unwrap_or(0);
    nodes
        .iter()
        .filter(|n| n.active && keep(n))
        .map(|n| {
            let indent = "\u{a0}\u{a0}\u{a0}".repeat(depth_of(&n.path).saturating_sub(top));
            UnitOption {
                id: n.id,
                label: format!(
                    "{indent}{} · {}",
                    tr.name(&n.name_zh, &n.name_en),
                    tr.tk("kind", &n.kind)
                ),
                selected: selected == Some(n.id),
            }
        })
        .collect()
}

/// Roles to pick from; `with_kinds` adds where each may sit ("Sales rep (area / city)").
pub(crate) fn role_options(tr: &Tr, selected: &str, with_kinds: bool) -> Vec<RoleOption> {
    Role::ALL
        .into_iter()
        .map(|r| {
            let name = tr.tk("role", r.code());
            let label = if with_kinds {
                let kinds: Vec<String> = r
                    .allowed_node_kinds()
                    .iter()
                    .map(|k| tr.tk("kind", k.code()))
                    .collect();
                format!("{name} ({})", kinds.join(" / "))
            } else {
                name
            };
            RoleOption {
                code: r.code(),
                label,
                selected: r.code() == selected,
            }
        })
        .collect()
}

/// The inclusive last day of a half-open period ending `to` (the day before), for display.
pub(crate) fn last_day(to: &str) -> String {
    chrono::NaiveDate::parse_from_str(to, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.pred_opt())
        .map(|d| d.to_string())
        .unwrap_or_else(|| to.to_string())
}

pub(crate) fn parse_id(raw: &str) -> Option<i64> {
    raw.trim().parse().ok()
}

pub(crate) fn non_empty(raw: &str) -> Option<String> {
    Some(raw.trim())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// A one-line notice after a redirect, chosen from a fixed list (never text from the URL).
pub(crate) fn notice_text(tr: &Tr, code: Option<&str>) -> Option<String> {
    let text = match code? {
        "person_created" => tr.t("notice.person_created"),
        "profile_saved" => tr.t("notice.profile_saved"),
        "moved" => tr.t("notice.moved"),
        "deactivated" => tr.t("notice.deactivated"),
        "reactivated" => tr.t("notice.reactivated"),
        "token_revoked" => tr.t("notice.token_revoked"),
        "unit_created" => tr.t("notice.unit_created"),
        "unit_saved" => tr.t("notice.unit_saved"),
        "unit_moved" => tr.t("notice.unit_moved"),
        _ => return None,
    };
    Some(text.to_string())
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    notice: Option<String>,
}

pub(crate) fn notice_of(q: Result<Query<NoticeQuery>, QueryRejection>, tr: &Tr) -> Option<String> {
    q.ok()
        .and_then(|Query(q)| notice_text(tr, q.notice.as_deref()))
}

/// A unit in a list: the tree, the units below another.
pub struct TreeLine {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub code: String,
    pub depth: usize,
    pub active: bool,
}

fn tree_line(tr: &Tr, n: &NodeRow, top: usize) -> TreeLine {
    TreeLine {
        id: n.id,
        name: tr.name(&n.name_zh, &n.name_en).to_string(),
        kind: tr.tk("kind", &n.kind),
        code: n.code.clone(),
        depth: depth_of(&n.path).saturating_sub(top).min(6),
        active: n.active,
    }
}

// ---------------------------------------------------------------------------------------------
// The tree

#[derive(Deserialize, Default)]
pub struct NewUnitForm {
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    effective_from: String,
}

const NEW_UNIT_FIELDS: &[&str] = &[
    "parent_id",
    "kind",
    "code",
    "name_zh",
    "name_en",
    "effective_from",
];

#[derive(Template)]
#[template(path = "org_tree.html")]
struct TreePage {
    l: Layout,
    units: Vec<TreeLine>,
    can_manage: bool,
    parents: Vec<UnitOption>,
    kinds: Vec<KindOption>,
    v: NewUnitForm,
    today: String,
    error: Option<FormError>,
}

impl TreePage {
    fn err(&self, form: &str, field: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.at(form, field))
    }

    fn form_err(&self, form: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.general(form))
    }
}

async fn tree_page(
    s: &AppState,
    pa: &PageActor,
    notice: Option<String>,
    v: NewUnitForm,
    error: Option<FormError>,
) -> Response {
    let tr = pa.tr();
    let nodes = match org::tree(&s.app, &pa.actor).await {
        Ok(n) => n,
        Err(e) => return fail(pa, e),
    };
    let top = nodes.iter().map(|n| depth_of(&n.path)).min().unwrap_or(0);
    let can_manage = pa.actor.can(Capability::ManageOrg);
    let parents = if can_manage {
        unit_options(&tr, &nodes, parse_id(&v.parent_id), |n| {
            n.node_kind().and_then(NodeKind::child_kind).is_some()
        })
    } else {
        Vec::new()
    };
    let kinds = [NodeKind::Market, NodeKind::Area, NodeKind::City]
        .into_iter()
        .map(|k| KindOption {
            code: k.code(),
            label: tr.tk("kind", k.code()),
            selected: v.kind == k.code(),
        })
        .collect();
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let page = TreePage {
        l: Layout::new(pa, "org.title", "/org").with_notice(notice),
        units: nodes.iter().map(|n| tree_line(&tr, n, top)).collect(),
        can_manage,
        parents,
        kinds,
        today: s.app.today(),
        v,
        error,
    };
    (status, render(&page)).into_response()
}

pub async fn tree(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<NoticeQuery>, QueryRejection>,
) -> Response {
    let notice = notice_of(q, &pa.tr());
    tree_page(&s, &pa, notice, NewUnitForm::default(), None).await
}

/// The units the person sees (the tree, in tree order) as XLSX or CSV.
pub async fn export(
    State(s): State<AppState>,
    pa: PageActor,
    q: Result<Query<FormatQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let tr = pa.tr();
    let nodes = match org::tree(&s.app, &pa.actor).await {
        Ok(n) => n,
        Err(e) => return fail(&pa, e),
    };
    let code_of: HashMap<i64, String> = nodes.iter().map(|n| (n.id, n.code.clone())).collect();
    use crate::export::Cell;
    crate::export::list_download(
        &tr,
        "org.title",
        &[
            "org.code",
            "org.name_zh",
            "org.name_en",
            "org.kind",
            "org.parent",
            "org.active",
        ],
        nodes
            .iter()
            .map(|n| {
                vec![
                    Cell::from(n.code.clone()),
                    Cell::from(n.name_zh.clone()),
                    Cell::from(n.name_en.clone()),
                    Cell::from(tr.tk("kind", &n.kind)),
                    Cell::from(n.parent_id.and_then(|p| code_of.get(&p).cloned())),
                    Cell::from(if n.active {
                        tr.t("common.yes")
                    } else {
                        tr.t("common.no")
                    }),
                ]
            })
            .collect(),
        &q.format,
        "organisation",
    )
}

/// `?format=xlsx|csv` of an export without filters.
#[derive(Deserialize, Default)]
pub struct FormatQuery {
    #[serde(default)]
    format: String,
}

pub async fn create(
    State(s): State<AppState>,
    pa: PageActor,
    f: Result<Form<NewUnitForm>, FormRejection>,
) -> Response {
    let tr = pa.tr();
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let Some(parent_id) = parse_id(&f.parent_id) else {
        let err = AppError::invalid("org.parent_unknown", "parent_id", "choose the parent unit");
        let error = FormError::of("new_unit", NEW_UNIT_FIELDS, &err, &tr);
        return tree_page(&s, &pa, None, f, error).await;
    };
    let input = NewNodeInput {
        parent_id,
        kind: f.kind.clone(),
        code: f.code.clone(),
        name_zh: f.name_zh.clone(),
        name_en: f.name_en.clone(),
        effective_from: non_empty(&f.effective_from),
    };
    form_answer(
        &pa,
        org::create(&s.app, &pa.actor, input).await,
        |node| format!("/org/{}?notice=unit_created", node.id),
        "new_unit",
        NEW_UNIT_FIELDS,
        |error| tree_page(&s, &pa, None, f, Some(error)),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// One unit

pub struct Crumb {
    pub id: i64,
    pub name: String,
    pub kind: String,
}

pub struct LinkLine {
    pub parent_id: Option<i64>,
    pub parent: String,
    pub from: String,
    pub to: String,
    pub current: bool,
}

pub struct UnitView {
    pub id: i64,
    pub name: String,
    pub name_zh: String,
    pub name_en: String,
    pub kind: String,
    pub code: String,
    pub active: bool,
    pub is_root: bool,
}

#[derive(Deserialize, Default)]
pub struct RenameForm {
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    active: String,
}

#[derive(Deserialize, Default)]
pub struct MoveForm {
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    effective_from: String,
}

const RENAME_FIELDS: &[&str] = &["name_zh", "name_en", "active"];
const MOVE_FIELDS: &[&str] = &["parent_id", "effective_from"];

#[derive(Template)]
#[template(path = "org_unit.html")]
struct UnitPage {
    l: Layout,
    u: UnitView,
    chain: Vec<Crumb>,
    children: Vec<TreeLine>,
    can_people: bool,
    people: Vec<PersonLine>,
    people_more: bool,
    history: Vec<LinkLine>,
    can_manage: bool,
    can_audit: bool,
    parents: Vec<UnitOption>,
    rename: RenameForm,
    mv: MoveForm,
    today: String,
    error: Option<FormError>,
}

impl UnitPage {
    fn err(&self, form: &str, field: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.at(form, field))
    }

    fn form_err(&self, form: &str) -> Option<&str> {
        self.error.as_ref().and_then(|e| e.general(form))
    }
}

const UNIT_PEOPLE_LIMIT: i64 = 200;

#[derive(Default)]
struct UnitExtras {
    notice: Option<String>,
    rename: Option<RenameForm>,
    mv: Option<MoveForm>,
    error: Option<FormError>,
}

async fn unit_page(s: &AppState, pa: &PageActor, id: i64, x: UnitExtras) -> Response {
    let tr = pa.tr();
    let node = match org::get(&s.app, &pa.actor, id).await {
        Ok(n) => n,
        Err(e) => return fail(pa, e),
    };
    let nodes = match org::tree(&s.app, &pa.actor).await {
        Ok(n) => n,
        Err(e) => return fail(pa, e),
    };
    let links = match org::history(&s.app, &pa.actor, id).await {
        Ok(l) => l,
        Err(e) => return fail(pa, e),
    };
    let by_id: HashMap<i64, &NodeRow> = nodes.iter().map(|n| (n.id, n)).collect();
    let name_of = |nid: i64| {
        by_id.get(&nid).map_or_else(
            || format!("#{nid}"),
            |n| tr.name(&n.name_zh, &n.name_en).to_string(),
        )
    };
    let chain = node
        .org_path()
        .ids()
        .iter()
        .filter(|nid| nid.0 != node.id)
        .filter_map(|nid| by_id.get(&nid.0))
        .map(|n| Crumb {
            id: n.id,
            name: tr.name(&n.name_zh, &n.name_en).to_string(),
            kind: tr.tk("kind", &n.kind),
        })
        .collect();
    let child_depth = depth_of(&node.path) + 1;
    let children = nodes
        .iter()
        .filter(|n| n.parent_id == Some(node.id))
        .map(|n| tree_line(&tr, n, child_depth))
        .collect();
    let can_people = pa.actor.can(Capability::ViewPeople);
    let (people, people_more) = if can_people {
        let filter = PeopleFilter {
            node_id: Some(node.id),
            limit: UNIT_PEOPLE_LIMIT + 1,
            ..PeopleFilter::default()
        };
        match people::list(&s.app, &pa.actor, &filter).await {
            Ok(rows) => {
                let more = rows.len() as i64 > UNIT_PEOPLE_LIMIT;
                (
                    rows.iter()
                        .take(UNIT_PEOPLE_LIMIT as usize)
                        .map(|p| person_line(&tr, p))
                        .collect(),
                    more,
                )
            }
            Err(e) => return fail(pa, e),
        }
    } else {
        (Vec::new(), false)
    };
    let history = links
        .iter()
        .rev()
        .map(|l| LinkLine {
            parent_id: l.parent_id.filter(|p| by_id.contains_key(p)),
            parent: l
                .parent_id
                .map(name_of)
                .unwrap_or_else(|| tr.t("org.top_level").to_string()),
            from: l.valid_from.clone(),
            to: l.valid_to.as_deref().map(last_day).unwrap_or_default(),
            current: l.valid_to.is_none(),
        })
        .collect();
    let can_manage = pa.actor.can(Capability::ManageOrg);
    let mv = x.mv.unwrap_or_default();
    let parent_kind = node.node_kind().and_then(NodeKind::parent_kind);
    let parents = if can_manage && parent_kind.is_some() {
        unit_options(&tr, &nodes, parse_id(&mv.parent_id), |n| {
            n.node_kind() == parent_kind && Some(n.id) != node.parent_id
        })
    } else {
        Vec::new()
    };
    let rename = x.rename.unwrap_or_else(|| RenameForm {
        name_zh: node.name_zh.clone(),
        name_en: node.name_en.clone(),
        active: if node.active {
            "on".into()
        } else {
            String::new()
        },
    });
    let status = x.error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let mut l = Layout::new(pa, "org.unit_title", "/org").with_notice(x.notice);
    l.title = tr.name(&node.name_zh, &node.name_en).to_string();
    let page = UnitPage {
        l,
        u: UnitView {
            id: node.id,
            name: tr.name(&node.name_zh, &node.name_en).to_string(),
            name_zh: node.name_zh.clone(),
            name_en: node.name_en.clone(),
            kind: tr.tk("kind", &node.kind),
            code: node.code.clone(),
            active: node.active,
            is_root: node.parent_id.is_none(),
        },
        chain,
        children,
        can_people,
        people,
        people_more,
        history,
        can_manage,
        can_audit: pa.actor.can(Capability::ViewAudit),
        parents,
        rename,
        mv,
        today: s.app.today(),
        error: x.error,
    };
    (status, render(&page)).into_response()
}

pub async fn show(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    q: Result<Query<NoticeQuery>, QueryRejection>,
) -> Response {
    let notice = notice_of(q, &pa.tr());
    unit_page(
        &s,
        &pa,
        id,
        UnitExtras {
            notice,
            ..UnitExtras::default()
        },
    )
    .await
}

pub async fn update(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    f: Result<Form<RenameForm>, FormRejection>,
) -> Response {
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let input = UpdateNodeInput {
        name_zh: f.name_zh.clone(),
        name_en: f.name_en.clone(),
        active: Some(!f.active.is_empty()),
    };
    form_answer(
        &pa,
        org::update(&s.app, &pa.actor, id, input).await,
        |_| format!("/org/{id}?notice=unit_saved"),
        "rename",
        RENAME_FIELDS,
        |error| {
            unit_page(
                &s,
                &pa,
                id,
                UnitExtras {
                    rename: Some(f),
                    error: Some(error),
                    ..UnitExtras::default()
                },
            )
        },
    )
    .await
}

pub async fn move_node(
    State(s): State<AppState>,
    pa: PageActor,
    PageId(id): PageId,
    f: Result<Form<MoveForm>, FormRejection>,
) -> Response {
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let result = match parse_id(&f.parent_id) {
        Some(parent_id) => {
            org::move_node(
                &s.app,
                &pa.actor,
                id,
                MoveNodeInput {
                    parent_id,
                    effective_from: non_empty(&f.effective_from),
                },
            )
            .await
        }
        None => Err(AppError::invalid(
            "org.parent_unknown",
            "parent_id",
            "choose the new parent unit",
        )),
    };
    form_answer(
        &pa,
        result,
        |_| format!("/org/{id}?notice=unit_moved"),
        "move",
        MOVE_FIELDS,
        |error| {
            unit_page(
                &s,
                &pa,
                id,
                UnitExtras {
                    mv: Some(f),
                    error: Some(error),
                    ..UnitExtras::default()
                },
            )
        },
    )
    .await
}
