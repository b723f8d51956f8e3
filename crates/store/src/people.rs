//! People, their current position and the history of their positions.

use crate::sql::Sql;
use crate::{now_micros, Conn, StoreError};
use salesos_domain::scope::Scope;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// A person as others see them (never the password hash).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PersonRow {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub locale: String,
    pub active: bool,
    pub node_id: Option<i64>,
    pub role: Option<String>,
    pub node_path: Option<String>,
    pub node_name_zh: Option<String>,
    pub node_name_en: Option<String>,
}

impl PersonRow {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(PersonRow {
            id: row.try_get("id")?,
            login: row.try_get("login")?,
            display_name: row.try_get("display_name")?,
            email: row.try_get("email")?,
            phone: row.try_get("phone")?,
            locale: row.try_get("locale")?,
            active: row.try_get::<i64, _>("active")? != 0,
            node_id: row.try_get("node_id")?,
            role: row.try_get("role")?,
            node_path: row.try_get("node_path")?,
            node_name_zh: row.try_get("node_name_zh")?,
            node_name_en: row.try_get("node_name_en")?,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AssignmentRow {
    pub id: i64,
    pub node_id: i64,
    pub node_name_zh: String,
    pub node_name_en: String,
    pub role: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
}

const SELECT: &str = "SELECT p.id, p.login, p.display_name, p.email, p.phone, p.locale, p.active, \
     p.node_id, p.role, p.node_path, n.name_zh AS node_name_zh, n.name_en AS node_name_en \
     FROM people p LEFT JOIN org_nodes n ON n.id = p.node_id WHERE 1 = 1";

#[derive(Debug, Default, Clone)]
pub struct PeopleFilter {
    /// Matches login or name, case-insensitively.
    pub text: Option<String>,
    pub include_inactive: bool,
    pub node_id: Option<i64>,
    pub role: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// People visible in `scope`: a person sits at their position's node and "owns" their own record.
pub async fn list(
    conn: &mut Conn,
    scope: &Scope,
    filter: &PeopleFilter,
) -> Result<Vec<PersonRow>, StoreError> {
    let mut sql = Sql::new(SELECT);
    sql.scope(scope, "p.node_path", "p.id");
    if !filter.include_inactive {
        sql.push(" AND p.active = 1");
    }
    if let Some(text) = filter.text.as_deref().filter(|t| !t.trim().is_empty()) {
        let pattern = format!("%{}%", escape_like(&text.trim().to_lowercase()));
        sql.push(" AND (LOWER(p.login) LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR LOWER(p.display_name) LIKE ")
            .bind(pattern)
            .push(" ESCAPE '\\')");
    }
    if let Some(node) = filter.node_id {
        sql.push(" AND p.node_id = ").bind(node);
    }
    if let Some(role) = &filter.role {
        sql.push(" AND p.role = ").bind(role.as_str());
    }
    sql.push(" ORDER BY p.node_path, p.login")
        .page(filter.limit, filter.offset);
    let rows = sql.fetch_all(conn).await?;
    Ok(rows
        .iter()
        .map(PersonRow::from_row)
        .collect::<Result<_, _>>()?)
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub async fn get(conn: &mut Conn, scope: &Scope, id: i64) -> Result<Option<PersonRow>, StoreError> {
    let mut sql = Sql::new(SELECT);
    sql.push(" AND p.id = ").bind(id);
    sql.scope(scope, "p.node_path", "p.id");
    let row = sql.fetch_optional(conn).await?;
    Ok(row.as_ref().map(PersonRow::from_row).transpose()?)
}

/// For resolving the signed-in person and for system work: no scope.
pub async fn get_unscoped(conn: &mut Conn, id: i64) -> Result<Option<PersonRow>, StoreError> {
    let mut sql = Sql::new(SELECT);
    sql.push(" AND p.id = ").bind(id);
    let row = sql.fetch_optional(conn).await?;
    Ok(row.as_ref().map(PersonRow::from_row).transpose()?)
}

pub async fn find_by_login_unscoped(
    conn: &mut Conn,
    login: &str,
) -> Result<Option<PersonRow>, StoreError> {
    let mut sql = Sql::new(SELECT);
    sql.push(" AND p.login = ").bind(login);
    let row = sql.fetch_optional(conn).await?;
    Ok(row.as_ref().map(PersonRow::from_row).transpose()?)
}

/// Every person, for the admin CLI (`salesos user list`), which runs with the operator's rights.
pub async fn list_all_unscoped(conn: &mut Conn) -> Result<Vec<PersonRow>, StoreError> {
    let mut sql = Sql::new(SELECT);
    sql.push(" ORDER BY p.id");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows
        .iter()
        .map(PersonRow::from_row)
        .collect::<Result<_, _>>()?)
}

pub struct Credentials {
    pub id: i64,
    pub password_hash: String,
    pub active: bool,
}

pub async fn credentials(conn: &mut Conn, id: i64) -> Result<Option<Credentials>, StoreError> {
    let mut sql = Sql::new("SELECT id, password_hash, active FROM people WHERE id = ");
    sql.bind(id);
    let row = sql.fetch_optional(conn).await?;
    row.map(|r| {
        Ok(Credentials {
            id: r.try_get("id")?,
            password_hash: r.try_get("password_hash")?,
            active: r.try_get::<i64, _>("active")? != 0,
        })
    })
    .transpose()
    .map_err(|e: sqlx::Error| e.into())
}

pub struct NewPerson<'a> {
    pub login: &'a str,
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub password_hash: &'a str,
    pub locale: &'a str,
}

pub async fn insert(conn: &mut Conn, new: NewPerson<'_>) -> Result<i64, StoreError> {
    let now = now_micros();
    let mut sql = Sql::new(
        "INSERT INTO people (login, display_name, email, phone, password_hash, locale, active, password_changed_at, created_at, updated_at) VALUES (",
    );
    sql.bind(new.login)
        .push(", ")
        .bind(new.display_name)
        .push(", ")
        .bind(new.email)
        .push(", ")
        .bind(new.phone)
        .push(", ")
        .bind(new.password_hash)
        .push(", ")
        .bind(new.locale)
        .push(", 1, ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

pub async fn update_profile(
    conn: &mut Conn,
    id: i64,
    display_name: &str,
    email: Option<&str>,
    phone: Option<&str>,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE people SET display_name = ");
    sql.bind(display_name)
        .push(", email = ")
        .bind(email)
        .push(", phone = ")
        .bind(phone)
        .push(", updated_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn set_password_hash(conn: &mut Conn, id: i64, hash: &str) -> Result<(), StoreError> {
    let now = now_micros();
    let mut sql = Sql::new("UPDATE people SET password_hash = ");
    sql.bind(hash)
        .push(", password_changed_at = ")
        .bind(now)
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn set_locale(conn: &mut Conn, id: i64, locale: &str) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE people SET locale = ");
    sql.bind(locale).push(" WHERE id = ").bind(id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn set_active(conn: &mut Conn, id: i64, active: bool) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE people SET active = ");
    sql.bind(i64::from(active))
        .push(", updated_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(id);
    sql.execute(conn).await?;
    Ok(())
}

/// Ends the current assignment on `on` (if any) and starts the new one: the history keeps who
/// held which position when; the person's row carries the current one for scoped queries.
pub async fn assign(
    conn: &mut Conn,
    person_id: i64,
    node_id: i64,
    node_path: &str,
    role: &str,
    on: &str,
) -> Result<(), StoreError> {
    end_assignment(conn, person_id, on).await?;
    let mut insert = Sql::new(
        "INSERT INTO assignments (person_id, node_id, role, valid_from, created_at) VALUES (",
    );
    insert
        .bind(person_id)
        .push(", ")
        .bind(node_id)
        .push(", ")
        .bind(role)
        .push(", ")
        .bind(on)
        .push(", ")
        .bind(now_micros())
        .push(")");
    insert.execute(conn).await?;
    let mut update = Sql::new("UPDATE people SET node_id = ");
    update
        .bind(node_id)
        .push(", node_path = ")
        .bind(node_path)
        .push(", role = ")
        .bind(role)
        .push(", updated_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(person_id);
    update.execute(conn).await?;
    Ok(())
}

/// Ends the open assignment on `on`. A same-day assignment becomes empty and is dropped from
/// the history, as it never took effect. The person's row keeps the last position, so the
/// people who could see them still can.
pub async fn end_assignment(conn: &mut Conn, person_id: i64, on: &str) -> Result<(), StoreError> {
    let mut close = Sql::new("UPDATE assignments SET valid_to = ");
    close
        .bind(on)
        .push(" WHERE person_id = ")
        .bind(person_id)
        .push(" AND valid_to IS NULL");
    close.execute(conn).await?;
    let mut drop_empty = Sql::new("DELETE FROM assignments WHERE person_id = ");
    drop_empty
        .bind(person_id)
        .push(" AND valid_to IS NOT NULL AND valid_to = valid_from");
    drop_empty.execute(conn).await?;
    Ok(())
}

pub async fn current_assignment_start(
    conn: &mut Conn,
    person_id: i64,
) -> Result<Option<String>, StoreError> {
    let mut sql =
        Sql::new("SELECT valid_from FROM assignments WHERE valid_to IS NULL AND person_id = ");
    sql.bind(person_id);
    let row = sql.fetch_optional(conn).await?;
    Ok(row.map(|r| r.try_get("valid_from")).transpose()?)
}

pub async fn assignments(
    conn: &mut Conn,
    person_id: i64,
) -> Result<Vec<AssignmentRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT a.id, a.node_id, n.name_zh, n.name_en, a.role, a.valid_from, a.valid_to \
         FROM assignments a JOIN org_nodes n ON n.id = a.node_id WHERE a.person_id = ",
    );
    sql.bind(person_id).push(" ORDER BY a.valid_from, a.id");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(AssignmentRow {
                id: r.try_get("id")?,
                node_id: r.try_get("node_id")?,
                node_name_zh: r.try_get("name_zh")?,
                node_name_en: r.try_get("name_en")?,
                role: r.try_get("role")?,
                valid_from: r.try_get("valid_from")?,
                valid_to: r.try_get("valid_to")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Who held `role` at `node_id` on `day` (for attributing past figures).
pub async fn holders_at(
    conn: &mut Conn,
    node_id: i64,
    role: &str,
    day: &str,
) -> Result<Vec<i64>, StoreError> {
    let mut sql = Sql::new("SELECT person_id FROM assignments WHERE node_id = ");
    sql.bind(node_id)
        .push(" AND role = ")
        .bind(role)
        .push(" AND valid_from <= ")
        .bind(day)
        .push(" AND (valid_to IS NULL OR valid_to > ")
        .bind(day)
        .push(") ORDER BY person_id");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get("person_id"))
        .collect::<Result<_, _>>()?)
}

pub async fn count(conn: &mut Conn) -> Result<i64, StoreError> {
    Ok(Sql::new("SELECT COUNT(*) AS n FROM people")
        .fetch_one(conn)
        .await?
        .try_get("n")?)
}

/// How many active people `scope` shows.
pub async fn count_visible(conn: &mut Conn, scope: &Scope) -> Result<i64, StoreError> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM people p WHERE p.active = 1");
    sql.scope(scope, "p.node_path", "p.id");
    Ok(sql.fetch_one(conn).await?.try_get("n")?)
}
