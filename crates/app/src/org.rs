//! The organisation tree: view, add units, rename, move with history.

use crate::audit::{record, snapshot};
use crate::dates::parse_day;
use crate::{Actor, App, AppError};
use salesos_domain::dating::{check_change_date, Period};
use salesos_domain::org::{check_move, check_parent, NodeKind};
use salesos_domain::roles::Capability;
use salesos_domain::FieldError;
use salesos_store::org::{self, NodeLinkRow, NodeRow};
use serde::Deserialize;

pub async fn tree(app: &App, actor: &Actor) -> Result<Vec<NodeRow>, AppError> {
    actor.require(Capability::ViewOrg)?;
    let mut conn = app.store.read().await?;
    Ok(org::list(&mut conn, &actor.scope).await?)
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<NodeRow, AppError> {
    actor.require(Capability::ViewOrg)?;
    let mut conn = app.store.read().await?;
    org::get(&mut conn, &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "org_node" })
}

pub async fn history(app: &App, actor: &Actor, id: i64) -> Result<Vec<NodeLinkRow>, AppError> {
    get(app, actor, id).await?;
    let mut conn = app.store.read().await?;
    Ok(org::links(&mut conn, id).await?)
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewNodeInput {
    pub parent_id: i64,
    pub kind: String,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub effective_from: Option<String>,
}

pub(crate) fn check_code(raw: &str) -> Result<String, AppError> {
    let code = raw.trim().to_uppercase();
    let ok = (1..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(code)
    } else {
        Err(AppError::invalid(
            "org.code_invalid",
            "code",
            "a code has 1 to 32 letters, digits, '-' or '_'",
        ))
    }
}

pub(crate) fn check_name(raw: &str, field: &'static str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "org.name_invalid",
            field,
            "a name has 1 to 100 characters",
        ));
    }
    Ok(name.to_string())
}

pub async fn create(app: &App, actor: &Actor, input: NewNodeInput) -> Result<NodeRow, AppError> {
    actor.require(Capability::ManageOrg)?;
    let kind = NodeKind::parse(input.kind.trim())
        .filter(|k| *k != NodeKind::Company)
        .ok_or_else(|| {
            AppError::invalid(
                "org.kind_unknown",
                "kind",
                "the kind is market, area or city",
            )
        })?;
    let code = check_code(&input.code)?;
    let name_zh = check_name(&input.name_zh, "name_zh")?;
    let name_en = check_name(&input.name_en, "name_en")?;
    let from = parse_day(
        input.effective_from.as_deref(),
        &app.today(),
        "effective_from",
    )?;
    let mut tx = app.store.begin().await?;
    let parent = org::get(tx.conn(), &actor.scope, input.parent_id)
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "org.parent_unknown",
                "parent_id",
                "no such parent unit in your part of the organisation",
            )
        })?;
    check_parent(kind, parent.node_kind())?;
    let node = org::insert(
        tx.conn(),
        org::NewNode {
            parent: Some(&parent),
            kind,
            code: &code,
            name_zh: &name_zh,
            name_en: &name_en,
            effective_from: &from,
        },
    )
    .await?;
    record(
        tx.conn(),
        actor,
        "org_node.create",
        "org_node",
        node.id,
        Some(&node.path),
        None,
        snapshot(&node),
    )
    .await?;
    tx.commit().await?;
    Ok(node)
}

#[derive(Debug, Clone, Deserialize)]
pub struct UpdateNodeInput {
    pub name_zh: String,
    pub name_en: String,
    pub active: Option<bool>,
}

pub async fn update(
    app: &App,
    actor: &Actor,
    id: i64,
    input: UpdateNodeInput,
) -> Result<NodeRow, AppError> {
    actor.require(Capability::ManageOrg)?;
    let name_zh = check_name(&input.name_zh, "name_zh")?;
    let name_en = check_name(&input.name_en, "name_en")?;
    let mut tx = app.store.begin().await?;
    let before = org::get(tx.conn(), &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "org_node" })?;
    let active = input.active.unwrap_or(before.active);
    if !active && before.parent_id.is_none() {
        return Err(AppError::Conflict(FieldError::new(
            "org.root_must_stay_active",
            "active",
            "the company itself cannot be deactivated",
        )));
    }
    org::rename(tx.conn(), id, &name_zh, &name_en, active).await?;
    let after = org::get_unscoped(tx.conn(), id)
        .await?
        .ok_or(AppError::NotFound { entity: "org_node" })?;
    if after != before {
        record(
            tx.conn(),
            actor,
            "org_node.update",
            "org_node",
            id,
            Some(&after.path),
            snapshot(&before),
            snapshot(&after),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(after)
}

#[derive(Debug, Clone, Deserialize)]
pub struct MoveNodeInput {
    pub parent_id: i64,
    pub effective_from: Option<String>,
}

/// Moves a unit and everything below it under another parent. People keep their positions;
/// the history records where the unit hung until the move.
pub async fn move_node(
    app: &App,
    actor: &Actor,
    id: i64,
    input: MoveNodeInput,
) -> Result<NodeRow, AppError> {
    actor.require(Capability::ManageOrg)?;
    let from = parse_day(
        input.effective_from.as_deref(),
        &app.today(),
        "effective_from",
    )?;
    let mut tx = app.store.begin().await?;
    let node = org::get(tx.conn(), &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "org_node" })?;
    let parent = org::get(tx.conn(), &actor.scope, input.parent_id)
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "org.parent_unknown",
                "parent_id",
                "no such parent unit in your part of the organisation",
            )
        })?;
    let (Some(kind), Some(parent_kind)) = (node.node_kind(), parent.node_kind()) else {
        return Err(AppError::Internal("node with unknown kind".into()));
    };
    if node.parent_id == Some(parent.id) {
        return Err(AppError::invalid(
            "org.move_same_parent",
            "parent_id",
            "the unit already sits there",
        ));
    }
    check_move(&node.org_path(), kind, &parent.org_path(), parent_kind)?;
    if let Some(start) = org::current_link_start(tx.conn(), id).await? {
        let parse = |t: &str| {
            chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map_err(|e| AppError::Internal(e.to_string()))
        };
        check_change_date(&Period::open(parse(&start)?), parse(&from)?)?;
    }
    let after = org::move_subtree(tx.conn(), &node, &parent, &from).await?;
    record(
        tx.conn(),
        actor,
        "org_node.move",
        "org_node",
        id,
        Some(&after.path),
        snapshot(&node),
        snapshot(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Where the signed-in person stands: the chain of units from the company down to their own.
pub async fn my_place(app: &App, actor: &Actor) -> Result<Vec<NodeRow>, AppError> {
    let Some(path) = actor.node_path() else {
        return Ok(Vec::new());
    };
    let mut conn = app.store.read().await?;
    Ok(org::chain(&mut conn, &path).await?)
}

/// What the person can see: how many active people and units their scope covers.
pub async fn scope_summary(app: &App, actor: &Actor) -> Result<(i64, usize), AppError> {
    let mut conn = app.store.read().await?;
    let people = salesos_store::people::count_visible(&mut conn, &actor.scope).await?;
    let units = org::list(&mut conn, &actor.scope).await?.len();
    Ok((people, units))
}
