use super::{fail, render, Layout};
use crate::session::PageActor;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use salesos_app::org;
use salesos_domain::roles::Capability;
use salesos_domain::scope::Scope;

pub struct UnitLink {
    pub id: i64,
    pub name: String,
    pub kind: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
    role: String,
    place: Vec<UnitLink>,
    scope_text: String,
    people_visible: i64,
    units_visible: usize,
    children: Vec<UnitLink>,
    can_people: bool,
    can_org: bool,
    can_audit: bool,
}

pub async fn home(State(s): State<AppState>, pa: PageActor) -> Response {
    let tr = pa.tr();
    let place = match org::my_place(&s.app, &pa.actor).await {
        Ok(p) => p,
        Err(e) => return fail(&pa, e),
    };
    let (people_visible, units_visible) = match org::scope_summary(&s.app, &pa.actor).await {
        Ok(v) => v,
        Err(e) => return fail(&pa, e),
    };
    let children = if pa.actor.can(Capability::ViewOrg) {
        match org::tree(&s.app, &pa.actor).await {
            Ok(nodes) => {
                let my_node = pa.actor.node.as_ref().map(|n| n.id);
                nodes
                    .into_iter()
                    .filter(|n| n.parent_id.is_some() && n.parent_id == my_node)
                    .map(|n| UnitLink {
                        id: n.id,
                        name: tr.name(&n.name_zh, &n.name_en).to_string(),
                        kind: tr.tk("kind", &n.kind),
                    })
                    .collect()
            }
            Err(e) => return fail(&pa, e),
        }
    } else {
        Vec::new()
    };
    let unit_name = place
        .last()
        .map(|n| tr.name(&n.name_zh, &n.name_en).to_string())
        .unwrap_or_default();
    let scope_text = match &pa.actor.scope {
        Scope::Subtree { .. } => tr.t("home.scope_subtree").replace("{unit}", &unit_name),
        Scope::Own { .. } => tr.t("home.scope_own").replace("{unit}", &unit_name),
        Scope::Nothing => tr.t("home.scope_nothing").to_string(),
    };
    let page = HomePage {
        role: pa
            .actor
            .role
            .map(|r| tr.tk("role", r.code()))
            .unwrap_or_else(|| tr.t("role.none").to_string()),
        place: place
            .iter()
            .map(|n| UnitLink {
                id: n.id,
                name: tr.name(&n.name_zh, &n.name_en).to_string(),
                kind: tr.tk("kind", &n.kind),
            })
            .collect(),
        scope_text,
        people_visible,
        units_visible,
        children,
        can_people: pa.actor.can(Capability::ViewPeople),
        can_org: pa.actor.can(Capability::ViewOrg),
        can_audit: pa.actor.can(Capability::ViewAudit),
        l: Layout::new(&pa, "home.title", "/"),
    };
    render(&page)
}
