//! Signing in and out, sessions and API-token authentication.

use crate::password;
use crate::{audit, Actor, App, AppError, Via};
use salesos_domain::people::Login;
use salesos_store::{auth, now_micros, org, people};

const MICROS: i64 = 1_000_000;
/// Sessions are touched at most this often, so reads do not become writes.
const TOUCH_EVERY_MICROS: i64 = 60 * MICROS;

/// A fresh browser session: the cookie secret and the CSRF token its forms must carry.
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub person_id: i64,
}

pub struct SignIn<'a> {
    pub login: &'a str,
    pub password: &'a str,
    pub source: &'a str,
    pub user_agent: &'a str,
    pub request_id: &'a str,
}

/// Checks the credentials (throttled per account and per address) and opens a session.
pub async fn sign_in(app: &App, input: SignIn<'_>) -> Result<NewSession, AppError> {
    let login = input.login.trim().to_lowercase();
    let now = now_micros();
    let cfg = &app.config;
    {
        let mut conn = app.store.read().await?;
        let since = now - cfg.throttle_window_secs * MICROS;
        let recent = auth::recent_failures(&mut conn, &login, input.source, since).await?;
        let blocked_until = [
            (recent.for_login >= cfg.throttle_max_per_login).then_some(recent.oldest_for_login),
            (recent.for_ip >= cfg.throttle_max_per_ip).then_some(recent.oldest_for_ip),
        ]
        .into_iter()
        .flatten()
        .flatten()
        .map(|oldest| oldest + cfg.throttle_window_secs * MICROS)
        .max();
        if let Some(until) = blocked_until {
            return Err(AppError::Throttled {
                retry_after_secs: ((until - now) / MICROS).max(1),
            });
        }
    }

    let person = match Login::try_from(login.as_str()) {
        Ok(valid) => {
            let mut conn = app.store.read().await?;
            people::find_by_login_unscoped(&mut conn, valid.as_str()).await?
        }
        Err(_) => None,
    };
    let credentials = match &person {
        Some(p) => {
            let mut conn = app.store.read().await?;
            people::credentials(&mut conn, p.id).await?
        }
        None => None,
    };
    // Verify even for unknown logins, so timing does not reveal which logins exist.
    let stored = credentials
        .as_ref()
        .map(|c| c.password_hash.clone())
        .unwrap_or_else(dummy_hash);
    let matches = password::verify(input.password.to_string(), stored).await;
    let ok = matches && credentials.as_ref().is_some_and(|c| c.active);

    let mut tx = app.store.begin().await?;
    auth::record_attempt(tx.conn(), &login, input.source, now, ok).await?;
    let (Some(person), true) = (person, ok) else {
        tx.commit().await?;
        return Err(AppError::Unauthenticated {
            code: "auth.bad_credentials",
        });
    };
    let session = NewSession {
        token: password::random_secret(32),
        csrf_token: password::random_secret(24),
        person_id: person.id,
    };
    auth::insert_session(
        tx.conn(),
        auth::NewSession {
            token: &session.token,
            person_id: person.id,
            csrf_token: &session.csrf_token,
            ip: input.source,
            user_agent: input.user_agent,
            now,
            idle_expires_at: now + cfg.session_idle_secs * MICROS,
            absolute_expires_at: now + cfg.session_absolute_secs * MICROS,
        },
    )
    .await?;
    let actor = Actor::from_person(
        person.clone(),
        None,
        Via::System,
        input.source,
        input.request_id,
    );
    audit::record(
        tx.conn(),
        &actor,
        "auth.sign_in",
        "person",
        person.id,
        person.node_path.as_deref(),
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(session)
}

/// A real argon2id hash of a random secret, verified against when the login is unknown.
fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| password::hash_blocking(&password::random_secret(16)).unwrap_or_default())
        .clone()
}

/// Resolves a session cookie into the signed-in person; expired sessions are removed.
pub async fn actor_from_session(
    app: &App,
    token: &str,
    source: &str,
    request_id: &str,
) -> Result<Actor, AppError> {
    let now = now_micros();
    let mut conn = app.store.read().await?;
    let Some(session) = auth::find_session(&mut conn, token).await? else {
        return Err(AppError::Unauthenticated {
            code: "auth.session_expired",
        });
    };
    if session.idle_expires_at < now || session.absolute_expires_at < now {
        drop(conn);
        let mut tx = app.store.begin().await?;
        auth::delete_session(tx.conn(), &session.token_hash).await?;
        tx.commit().await?;
        return Err(AppError::Unauthenticated {
            code: "auth.session_expired",
        });
    }
    let actor = load_actor(
        &mut conn,
        session.person_id,
        Via::Session {
            token_hash: session.token_hash.clone(),
            csrf_token: session.csrf_token.clone(),
        },
        source,
        request_id,
    )
    .await?;
    drop(conn);
    if now - session.last_seen_at > TOUCH_EVERY_MICROS {
        let mut tx = app.store.begin().await?;
        auth::touch_session(
            tx.conn(),
            &session.token_hash,
            now,
            now + app.config.session_idle_secs * MICROS,
        )
        .await?;
        tx.commit().await?;
    }
    Ok(actor)
}

/// Resolves a bearer token into the person it acts as.
pub async fn actor_from_token(
    app: &App,
    token: &str,
    source: &str,
    request_id: &str,
) -> Result<Actor, AppError> {
    // the token, its person and their node in one read, every request (so a revoked token or a
    // deactivated person is refused on the next call, whichever server it reaches)
    let mut conn = app.store.read().await?;
    let Some(holder) = auth::find_live_token_holder(&mut conn, token).await? else {
        return Err(AppError::Unauthenticated {
            code: "auth.token_invalid",
        });
    };
    drop(conn);
    if !holder.person.active {
        return Err(AppError::Unauthenticated {
            code: "auth.account_inactive",
        });
    }
    let row = holder.token;
    let actor = Actor::from_person(
        holder.person,
        holder.node,
        Via::Token { id: row.id },
        source,
        request_id,
    );
    let now = now_micros();
    if row
        .last_used_at
        .is_none_or(|used| now - used > TOUCH_EVERY_MICROS)
    {
        let mut tx = app.store.begin().await?;
        auth::mark_token_used(tx.conn(), row.id, now).await?;
        tx.commit().await?;
    }
    Ok(actor)
}

async fn load_actor(
    conn: &mut salesos_store::Conn,
    person_id: i64,
    via: Via,
    source: &str,
    request_id: &str,
) -> Result<Actor, AppError> {
    let person = people::get_unscoped(conn, person_id)
        .await?
        .filter(|p| p.active)
        .ok_or(AppError::Unauthenticated {
            code: "auth.account_inactive",
        })?;
    let node = match person.node_id {
        Some(id) => org::get_unscoped(conn, id).await?,
        None => None,
    };
    Ok(Actor::from_person(person, node, via, source, request_id))
}

pub async fn sign_out(app: &App, actor: &Actor) -> Result<(), AppError> {
    let Via::Session { token_hash, .. } = &actor.via else {
        return Ok(());
    };
    let mut tx = app.store.begin().await?;
    auth::delete_session(tx.conn(), token_hash).await?;
    if let Some(person) = &actor.person {
        audit::record(
            tx.conn(),
            actor,
            "auth.sign_out",
            "person",
            person.id,
            person.node_path.as_deref(),
            None,
            None,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Housekeeping run by the background job: expired sessions and old sign-in attempts.
pub async fn prune(app: &App) -> Result<(u64, u64), AppError> {
    let now = now_micros();
    let mut tx = app.store.begin().await?;
    let sessions = auth::delete_expired_sessions(tx.conn(), now).await?;
    let attempts = auth::prune_attempts(tx.conn(), now - 24 * 3600 * MICROS).await?;
    tx.commit().await?;
    Ok((sessions, attempts))
}
