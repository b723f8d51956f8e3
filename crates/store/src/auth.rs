//! Browser sessions, API tokens and sign-in attempts. Secrets are stored only as SHA-256 hashes.

use crate::sql::Sql;
use crate::{Conn, StoreError};
use serde::Serialize;
use sqlx::Row;

pub fn hash_secret(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub struct NewSession<'a> {
    pub token: &'a str,
    pub person_id: i64,
    pub csrf_token: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub now: i64,
    pub idle_expires_at: i64,
    pub absolute_expires_at: i64,
}

pub async fn insert_session(conn: &mut Conn, new: NewSession<'_>) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO sessions (token_hash, person_id, csrf_token, ip, user_agent, created_at, last_seen_at, idle_expires_at, absolute_expires_at) VALUES (",
    );
    sql.bind(hash_secret(new.token))
        .push(", ")
        .bind(new.person_id)
        .push(", ")
        .bind(new.csrf_token)
        .push(", ")
        .bind(new.ip)
        .push(", ")
        .bind(new.user_agent)
        .push(", ")
        .bind(new.now)
        .push(", ")
        .bind(new.now)
        .push(", ")
        .bind(new.idle_expires_at)
        .push(", ")
        .bind(new.absolute_expires_at)
        .push(")");
    sql.execute(conn).await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub token_hash: String,
    pub person_id: i64,
    pub csrf_token: String,
    pub last_seen_at: i64,
    pub idle_expires_at: i64,
    pub absolute_expires_at: i64,
}

pub async fn find_session(conn: &mut Conn, token: &str) -> Result<Option<SessionRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT token_hash, person_id, csrf_token, last_seen_at, idle_expires_at, absolute_expires_at FROM sessions WHERE token_hash = ",
    );
    sql.bind(hash_secret(token));
    let row = sql.fetch_optional(conn).await?;
    row.map(|r| {
        Ok(SessionRow {
            token_hash: r.try_get("token_hash")?,
            person_id: r.try_get("person_id")?,
            csrf_token: r.try_get("csrf_token")?,
            last_seen_at: r.try_get("last_seen_at")?,
            idle_expires_at: r.try_get("idle_expires_at")?,
            absolute_expires_at: r.try_get("absolute_expires_at")?,
        })
    })
    .transpose()
    .map_err(|e: sqlx::Error| e.into())
}

pub async fn touch_session(
    conn: &mut Conn,
    token_hash: &str,
    now: i64,
    idle_expires_at: i64,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE sessions SET last_seen_at = ");
    sql.bind(now)
        .push(", idle_expires_at = ")
        .bind(idle_expires_at)
        .push(" WHERE token_hash = ")
        .bind(token_hash);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn delete_session(conn: &mut Conn, token_hash: &str) -> Result<(), StoreError> {
    let mut sql = Sql::new("DELETE FROM sessions WHERE token_hash = ");
    sql.bind(token_hash);
    sql.execute(conn).await?;
    Ok(())
}

/// Signs a person out everywhere (deactivation, password reset), optionally keeping one session.
pub async fn delete_sessions_of(
    conn: &mut Conn,
    person_id: i64,
    except_hash: Option<&str>,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("DELETE FROM sessions WHERE person_id = ");
    sql.bind(person_id);
    if let Some(keep) = except_hash {
        sql.push(" AND token_hash <> ").bind(keep);
    }
    sql.execute(conn).await?;
    Ok(())
}

pub async fn delete_expired_sessions(conn: &mut Conn, now: i64) -> Result<u64, StoreError> {
    let mut sql = Sql::new("DELETE FROM sessions WHERE idle_expires_at < ");
    sql.bind(now).push(" OR absolute_expires_at < ").bind(now);
    sql.execute(conn).await
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TokenRow {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const TOKEN_COLUMNS: &str =
    "SELECT id, person_id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens";

fn token_from_row(r: &sqlx::any::AnyRow) -> Result<TokenRow, sqlx::Error> {
    Ok(TokenRow {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        name: r.try_get("name")?,
        prefix: r.try_get("prefix")?,
        created_at: r.try_get("created_at")?,
        last_used_at: r.try_get("last_used_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

pub async fn insert_token(
    conn: &mut Conn,
    person_id: i64,
    name: &str,
    token: &str,
    prefix: &str,
    created_by: i64,
    now: i64,
) -> Result<i64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO api_tokens (person_id, name, token_hash, prefix, created_by, created_at) VALUES (",
    );
    sql.bind(person_id)
        .push(", ")
        .bind(name)
        .push(", ")
        .bind(hash_secret(token))
        .push(", ")
        .bind(prefix)
        .push(", ")
        .bind(created_by)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
    Ok(sql.fetch_one(conn).await?.try_get("id")?)
}

/// The live token with this secret, if any (revoked tokens are not found).
pub async fn find_live_token(conn: &mut Conn, token: &str) -> Result<Option<TokenRow>, StoreError> {
    let mut sql = Sql::new(TOKEN_COLUMNS);
    sql.push(" WHERE revoked_at IS NULL AND token_hash = ")
        .bind(hash_secret(token));
    let row = sql.fetch_optional(conn).await?;
    Ok(row.as_ref().map(token_from_row).transpose()?)
}

/// A live token with the person it belongs to and that person's node, as one query: what
/// authenticating an API call needs (the person's `active` flag is checked by the caller).
pub struct TokenHolder {
    pub token: TokenRow,
    pub person: crate::people::PersonRow,
    pub node: Option<crate::org::NodeRow>,
}

/// [`find_live_token`], the person ([`crate::people::get_unscoped`]) and their node
/// ([`crate::org::get_unscoped`]) in one round trip; revoked tokens are not found.
pub async fn find_live_token_holder(
    conn: &mut Conn,
    token: &str,
) -> Result<Option<TokenHolder>, StoreError> {
    let mut sql = Sql::new(
        "SELECT t.id, t.person_id, t.name, t.prefix, t.created_at, t.last_used_at, t.revoked_at, \
         p.login, p.display_name, p.email, p.phone, p.locale, p.active, p.node_id, p.role, \
         p.node_path, n.parent_id AS n_parent_id, n.kind AS n_kind, n.code AS n_code, \
         n.name_zh AS n_name_zh, n.name_en AS n_name_en, n.path AS n_path, n.active AS n_active \
         FROM api_tokens t JOIN people p ON p.id = t.person_id \
         LEFT JOIN org_nodes n ON n.id = p.node_id \
         WHERE t.revoked_at IS NULL AND t.token_hash = ",
    );
    sql.bind(hash_secret(token));
    let Some(r) = sql.fetch_optional(conn).await? else {
        return Ok(None);
    };
    let token = token_from_row(&r)?;
    let node_id: Option<i64> = r.try_get("node_id")?;
    let name_zh: Option<String> = r.try_get("n_name_zh")?;
    let name_en: Option<String> = r.try_get("n_name_en")?;
    // the node row is there when the join found it (its path is NOT NULL)
    let node = match (node_id, r.try_get::<Option<String>, _>("n_path")?) {
        (Some(id), Some(path)) => Some(crate::org::NodeRow {
            id,
            parent_id: r.try_get("n_parent_id")?,
            kind: r.try_get("n_kind")?,
            code: r.try_get("n_code")?,
            name_zh: name_zh.clone().unwrap_or_default(),
            name_en: name_en.clone().unwrap_or_default(),
            path,
            active: r.try_get::<i64, _>("n_active")? != 0,
        }),
        _ => None,
    };
    let person = crate::people::PersonRow {
        id: token.person_id,
        login: r.try_get("login")?,
        display_name: r.try_get("display_name")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        locale: r.try_get("locale")?,
        active: r.try_get::<i64, _>("active")? != 0,
        node_id,
        role: r.try_get("role")?,
        node_path: r.try_get("node_path")?,
        node_name_zh: name_zh,
        node_name_en: name_en,
    };
    Ok(Some(TokenHolder {
        token,
        person,
        node,
    }))
}

pub async fn get_token(conn: &mut Conn, id: i64) -> Result<Option<TokenRow>, StoreError> {
    let mut sql = Sql::new(TOKEN_COLUMNS);
    sql.push(" WHERE id = ").bind(id);
    let row = sql.fetch_optional(conn).await?;
    Ok(row.as_ref().map(token_from_row).transpose()?)
}

pub async fn tokens_of(conn: &mut Conn, person_id: i64) -> Result<Vec<TokenRow>, StoreError> {
    let mut sql = Sql::new(TOKEN_COLUMNS);
    sql.push(" WHERE person_id = ")
        .bind(person_id)
        .push(" ORDER BY id");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(token_from_row).collect::<Result<_, _>>()?)
}

pub async fn mark_token_used(conn: &mut Conn, id: i64, now: i64) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE api_tokens SET last_used_at = ");
    sql.bind(now).push(" WHERE id = ").bind(id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn revoke_token(conn: &mut Conn, id: i64, now: i64) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE api_tokens SET revoked_at = ");
    sql.bind(now)
        .push(" WHERE revoked_at IS NULL AND id = ")
        .bind(id);
    sql.execute(conn).await?;
    Ok(())
}

pub async fn record_attempt(
    conn: &mut Conn,
    login: &str,
    ip: &str,
    now: i64,
    succeeded: bool,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("INSERT INTO login_attempts (login, ip, at, succeeded) VALUES (");
    sql.bind(login)
        .push(", ")
        .bind(ip)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(i64::from(succeeded))
        .push(")");
    sql.execute(conn).await?;
    Ok(())
}

/// Failed attempts since `since` for this login (after its last success) and for this address.
pub struct RecentFailures {
    pub for_login: i64,
    pub for_ip: i64,
    pub oldest_for_login: Option<i64>,
    pub oldest_for_ip: Option<i64>,
}

pub async fn recent_failures(
    conn: &mut Conn,
    login: &str,
    ip: &str,
    since: i64,
) -> Result<RecentFailures, StoreError> {
    let mut by_login = Sql::new(
        "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM login_attempts WHERE succeeded = 0 AND login = ",
    );
    by_login
        .bind(login)
        .push(" AND at >= ")
        .bind(since)
        .push(" AND at > COALESCE((SELECT MAX(at) FROM login_attempts WHERE succeeded = 1 AND login = ")
        .bind(login)
        .push("), 0)");
    let login_row = by_login.fetch_one(conn).await?;
    let mut by_ip = Sql::new(
        "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM login_attempts WHERE succeeded = 0 AND ip = ",
    );
    by_ip.bind(ip).push(" AND at >= ").bind(since);
    let ip_row = by_ip.fetch_one(conn).await?;
    Ok(RecentFailures {
        for_login: login_row.try_get("n")?,
        oldest_for_login: login_row.try_get("oldest")?,
        for_ip: ip_row.try_get("n")?,
        oldest_for_ip: ip_row.try_get("oldest")?,
    })
}

pub async fn prune_attempts(conn: &mut Conn, before: i64) -> Result<u64, StoreError> {
    let mut sql = Sql::new("DELETE FROM login_attempts WHERE at < ");
    sql.bind(before);
    sql.execute(conn).await
}
