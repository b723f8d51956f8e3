//! People: add, edit, place in the organisation, move, deactivate, reset and change passwords.

use crate::audit::{record, snapshot};
use crate::dates::parse_day;
use crate::{password, Actor, App, AppError, Via};
use salesos_domain::dating::{check_change_date, Period};
use salesos_domain::org::NodeKind;
use salesos_domain::people::{check_contact, check_display_name, check_password, Locale, Login};
use salesos_domain::roles::{Capability, Role};
use salesos_domain::FieldError;
use salesos_store::people::{AssignmentRow, PeopleFilter, PersonRow};
use salesos_store::{auth, org, people, Conn};
use serde::Deserialize;

pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &PeopleFilter,
) -> Result<Vec<PersonRow>, AppError> {
    actor.require(Capability::ViewPeople)?;
    let mut conn = app.store.read().await?;
    Ok(people::list(&mut conn, &actor.scope, filter).await?)
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<PersonRow, AppError> {
    let is_self = actor.person_id() == Some(id);
    if !is_self {
        actor.require(Capability::ViewPeople)?;
    }
    let mut conn = app.store.read().await?;
    let found = if is_self {
        people::get_unscoped(&mut conn, id).await?
    } else {
        people::get(&mut conn, &actor.scope, id).await?
    };
    found.ok_or(AppError::NotFound { entity: "person" })
}

pub async fn assignments(
    app: &App,
    actor: &Actor,
    id: i64,
) -> Result<Vec<AssignmentRow>, AppError> {
    get(app, actor, id).await?;
    let mut conn = app.store.read().await?;
    Ok(people::assignments(&mut conn, id).await?)
}

/// A position: a role at a node, from a date.
#[derive(Debug, Clone, Deserialize)]
pub struct PositionInput {
    pub node_id: i64,
    pub role: String,
    /// `YYYY-MM-DD`; today in the company's time zone when absent.
    pub effective_from: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewPersonInput {
    pub login: String,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: String,
    pub locale: Option<String>,
    pub position: PositionInput,
}

fn parse_locale(raw: Option<&str>) -> Result<Locale, AppError> {
    match raw.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(Locale::default()),
        Some(code) => Locale::parse(code).ok_or_else(|| {
            AppError::invalid("locale.unknown", "locale", "the language is zh-CN or en")
        }),
    }
}

/// Checks the position against the actor's scope and the role's allowed node kinds.
async fn resolve_position(
    conn: &mut Conn,
    actor: &Actor,
    input: &PositionInput,
) -> Result<(org::NodeRow, Role), AppError> {
    let role = Role::parse(input.role.trim())
        .ok_or_else(|| AppError::invalid("position.role_unknown", "role", "unknown role"))?;
    let node = org::get(conn, &actor.scope, input.node_id)
        .await?
        .filter(|n| n.active)
        .ok_or_else(|| {
            AppError::invalid(
                "position.node_unknown",
                "node_id",
                "no such organisation unit in your part of the organisation",
            )
        })?;
    let kind = node
        .node_kind()
        .ok_or_else(|| AppError::Internal(format!("node {} has an unknown kind", node.id)))?;
    if !role.allowed_node_kinds().contains(&kind) {
        let allowed: Vec<&str> = role
            .allowed_node_kinds()
            .iter()
            .map(|k: &NodeKind| k.code())
            .collect();
        return Err(AppError::Invalid(FieldError::new(
            "position.wrong_node_kind",
            "node_id",
            format!("a {} works at a {}", role.code(), allowed.join(" or ")),
        )));
    }
    Ok((node, role))
}

pub async fn create(
    app: &App,
    actor: &Actor,
    input: NewPersonInput,
) -> Result<PersonRow, AppError> {
    actor.require(Capability::ManagePeople)?;
    let login = Login::try_from(input.login.as_str())?;
    let display_name = check_display_name(&input.display_name)?;
    let email = check_contact(input.email.as_deref(), "email")?;
    let phone = check_contact(input.phone.as_deref(), "phone")?;
    check_password(&input.password, login.as_str(), "password")?;
    let locale = parse_locale(input.locale.as_deref())?;
    let from = parse_day(
        input.position.effective_from.as_deref(),
        &app.today(),
        "effective_from",
    )?;
    let hash = password::hash(input.password.clone()).await?;

    let mut tx = app.store.begin().await?;
    let (node, role) = resolve_position(tx.conn(), actor, &input.position).await?;
    let id = people::insert(
        tx.conn(),
        people::NewPerson {
            login: login.as_str(),
            display_name: &display_name,
            email: email.as_deref(),
            phone: phone.as_deref(),
            password_hash: &hash,
            locale: locale.code(),
        },
    )
    .await?;
    people::assign(tx.conn(), id, node.id, &node.path, role.code(), &from).await?;
    let after = people::get_unscoped(tx.conn(), id)
        .await?
        .ok_or(AppError::Internal("person vanished".into()))?;
    record(
        tx.conn(),
        actor,
        "person.create",
        "person",
        id,
        Some(&node.path),
        None,
        snapshot(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProfileInput {
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Loads a person for a change inside the transaction: 404 outside the scope.
async fn load_for_change(conn: &mut Conn, actor: &Actor, id: i64) -> Result<PersonRow, AppError> {
    people::get(conn, &actor.scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "person" })
}

pub async fn update_profile(
    app: &App,
    actor: &Actor,
    id: i64,
    input: ProfileInput,
) -> Result<PersonRow, AppError> {
    actor.require(Capability::ManagePeople)?;
    let name = check_display_name(&input.display_name)?;
    let email = check_contact(input.email.as_deref(), "email")?;
    let phone = check_contact(input.phone.as_deref(), "phone")?;
    let mut tx = app.store.begin().await?;
    let before = load_for_change(tx.conn(), actor, id).await?;
    people::update_profile(tx.conn(), id, &name, email.as_deref(), phone.as_deref()).await?;
    let after = load_for_change(tx.conn(), actor, id).await?;
    if after != before {
        record(
            tx.conn(),
            actor,
            "person.update",
            "person",
            id,
            after.node_path.as_deref(),
            snapshot(&before),
            snapshot(&after),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// Moves a person to another position from a date; the old one ends that day, history stays.
pub async fn move_to(
    app: &App,
    actor: &Actor,
    id: i64,
    input: PositionInput,
) -> Result<PersonRow, AppError> {
    actor.require(Capability::ManagePeople)?;
    let from = parse_day(
        input.effective_from.as_deref(),
        &app.today(),
        "effective_from",
    )?;
    let mut tx = app.store.begin().await?;
    let before = load_for_change(tx.conn(), actor, id).await?;
    if !before.active {
        return Err(AppError::Conflict(FieldError::general(
            "person.inactive",
            "reactivate the person before moving them",
        )));
    }
    let (node, role) = resolve_position(tx.conn(), actor, &input).await?;
    if let Some(start) = people::current_assignment_start(tx.conn(), id).await? {
        let start = chrono::NaiveDate::parse_from_str(&start, "%Y-%m-%d")
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let on = chrono::NaiveDate::parse_from_str(&from, "%Y-%m-%d")
            .map_err(|e| AppError::Internal(e.to_string()))?;
        check_change_date(&Period::open(start), on)?;
    }
    people::assign(tx.conn(), id, node.id, &node.path, role.code(), &from).await?;
    let after = people::get_unscoped(tx.conn(), id)
        .await?
        .ok_or(AppError::Internal("person vanished".into()))?;
    record(
        tx.conn(),
        actor,
        "person.move",
        "person",
        id,
        Some(&node.path),
        snapshot(&before),
        snapshot(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Deactivates a person: their position ends, they are signed out everywhere and their tokens
/// stop working. Their history stays.
pub async fn deactivate(app: &App, actor: &Actor, id: i64) -> Result<PersonRow, AppError> {
    actor.require(Capability::ManagePeople)?;
    if actor.person_id() == Some(id) {
        return Err(AppError::Conflict(FieldError::general(
            "person.cannot_deactivate_self",
            "you cannot deactivate yourself",
        )));
    }
    let today = app.today();
    let mut tx = app.store.begin().await?;
    let before = load_for_change(tx.conn(), actor, id).await?;
    if !before.active {
        tx.rollback().await?;
        return Ok(before);
    }
    if let Some(start) = people::current_assignment_start(tx.conn(), id).await? {
        if start.as_str() > today.as_str() {
            return Err(AppError::Conflict(FieldError::general(
                "dating.before_current_start",
                "the person's position starts in the future",
            )));
        }
    }
    people::end_assignment(tx.conn(), id, &today).await?;
    people::set_active(tx.conn(), id, false).await?;
    auth::delete_sessions_of(tx.conn(), id, None).await?;
    for token in auth::tokens_of(tx.conn(), id).await? {
        auth::revoke_token(tx.conn(), token.id, salesos_store::now_micros()).await?;
    }
    let after = load_for_change(tx.conn(), actor, id).await?;
    record(
        tx.conn(),
        actor,
        "person.deactivate",
        "person",
        id,
        after.node_path.as_deref(),
        snapshot(&before),
        snapshot(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Reactivates a person into a new position.
pub async fn reactivate(
    app: &App,
    actor: &Actor,
    id: i64,
    input: PositionInput,
) -> Result<PersonRow, AppError> {
    actor.require(Capability::ManagePeople)?;
    let from = parse_day(
        input.effective_from.as_deref(),
        &app.today(),
        "effective_from",
    )?;
    let mut tx = app.store.begin().await?;
    let before = load_for_change(tx.conn(), actor, id).await?;
    if before.active {
        return Err(AppError::Conflict(FieldError::general(
            "person.already_active",
            "the person is already active",
        )));
    }
    let (node, role) = resolve_position(tx.conn(), actor, &input).await?;
    people::set_active(tx.conn(), id, true).await?;
    people::assign(tx.conn(), id, node.id, &node.path, role.code(), &from).await?;
    let after = people::get_unscoped(tx.conn(), id)
        .await?
        .ok_or(AppError::Internal("person vanished".into()))?;
    record(
        tx.conn(),
        actor,
        "person.reactivate",
        "person",
        id,
        Some(&node.path),
        snapshot(&before),
        snapshot(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Sets a new password for someone else (given, or generated and returned once). They are
/// signed out everywhere.
pub async fn reset_password(
    app: &App,
    actor: &Actor,
    id: i64,
    new_password: Option<String>,
) -> Result<String, AppError> {
    actor.require(Capability::ManagePeople)?;
    let target = get(app, actor, id).await?;
    let password = new_password
        .filter(|p| !p.is_empty())
        .unwrap_or_else(password::temporary_password);
    check_password(&password, &target.login, "password")?;
    let hash = password::hash(password.clone()).await?;
    let mut tx = app.store.begin().await?;
    let person = load_for_change(tx.conn(), actor, id).await?;
    people::set_password_hash(tx.conn(), id, &hash).await?;
    auth::delete_sessions_of(tx.conn(), id, None).await?;
    record(
        tx.conn(),
        actor,
        "person.reset_password",
        "person",
        id,
        person.node_path.as_deref(),
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(password)
}

/// Everyone changes their own password, proving the current one. Other sessions end.
pub async fn change_own_password(
    app: &App,
    actor: &Actor,
    current: &str,
    new: &str,
) -> Result<(), AppError> {
    let person = actor.person.as_ref().ok_or(AppError::Unauthenticated {
        code: "auth.required",
    })?;
    let stored = {
        let mut conn = app.store.read().await?;
        people::credentials(&mut conn, person.id).await?
    }
    .ok_or(AppError::Unauthenticated {
        code: "auth.required",
    })?;
    if !password::verify(current.to_string(), stored.password_hash).await {
        return Err(AppError::invalid(
            "password.current_wrong",
            "current_password",
            "the current password is not right",
        ));
    }
    check_password(new, &person.login, "new_password")?;
    if new == current {
        return Err(AppError::invalid(
            "password.unchanged",
            "new_password",
            "the new password must differ from the current one",
        ));
    }
    let hash = password::hash(new.to_string()).await?;
    let keep = match &actor.via {
        Via::Session { token_hash, .. } => Some(token_hash.as_str()),
        _ => None,
    };
    let mut tx = app.store.begin().await?;
    people::set_password_hash(tx.conn(), person.id, &hash).await?;
    auth::delete_sessions_of(tx.conn(), person.id, keep).await?;
    record(
        tx.conn(),
        actor,
        "person.change_password",
        "person",
        person.id,
        person.node_path.as_deref(),
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The person's language choice, remembered on their record.
pub async fn set_own_locale(app: &App, actor: &Actor, locale: &str) -> Result<(), AppError> {
    let person = actor.person.as_ref().ok_or(AppError::Unauthenticated {
        code: "auth.required",
    })?;
    let locale = parse_locale(Some(locale))?;
    if person.locale == locale.code() {
        return Ok(());
    }
    let mut tx = app.store.begin().await?;
    people::set_locale(tx.conn(), person.id, locale.code()).await?;
    record(
        tx.conn(),
        actor,
        "person.set_locale",
        "person",
        person.id,
        person.node_path.as_deref(),
        Some(serde_json::json!({ "locale": person.locale })),
        Some(serde_json::json!({ "locale": locale.code() })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
