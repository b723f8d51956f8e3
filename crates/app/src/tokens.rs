//! API tokens: shown once, stored hashed, revocable, each acting as its person.

use crate::audit::record;
use crate::{password, Actor, App, AppError};
use salesos_domain::roles::Capability;
use salesos_store::auth::{self, TokenRow};
use salesos_store::{now_micros, people};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct CreatedToken {
    /// The secret; shown this once and never again.
    pub token: String,
    #[serde(flatten)]
    pub row: TokenRow,
}

/// Tokens for oneself, or (with the capability) for anyone in one's scope.
async fn check_owner(
    app: &App,
    actor: &Actor,
    person_id: i64,
) -> Result<people::PersonRow, AppError> {
    if actor.person_id() != Some(person_id) {
        actor.require(Capability::ManageTokens)?;
    }
    let mut conn = app.store.read().await?;
    let person = if actor.person_id() == Some(person_id) {
        people::get_unscoped(&mut conn, person_id).await?
    } else {
        people::get(&mut conn, &actor.scope, person_id).await?
    };
    person.ok_or(AppError::NotFound { entity: "person" })
}

pub async fn list(app: &App, actor: &Actor, person_id: i64) -> Result<Vec<TokenRow>, AppError> {
    check_owner(app, actor, person_id).await?;
    let mut conn = app.store.read().await?;
    Ok(auth::tokens_of(&mut conn, person_id).await?)
}

pub async fn create(
    app: &App,
    actor: &Actor,
    person_id: i64,
    name: &str,
) -> Result<CreatedToken, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "token.name_invalid",
            "name",
            "a token name has 1 to 100 characters",
        ));
    }
    let person = check_owner(app, actor, person_id).await?;
    if !person.active {
        return Err(AppError::Conflict(salesos_domain::FieldError::general(
            "person.inactive",
            "the person is deactivated",
        )));
    }
    let secret = format!("sos_{}", password::random_secret(32));
    let prefix: String = secret.chars().take(10).collect();
    let now = now_micros();
    let mut tx = app.store.begin().await?;
    let creator = actor.person_id().unwrap_or(person_id);
    let id = auth::insert_token(tx.conn(), person_id, name, &secret, &prefix, creator, now).await?;
    let row = auth::get_token(tx.conn(), id)
        .await?
        .ok_or(AppError::Internal("token vanished".into()))?;
    record(
        tx.conn(),
        actor,
        "token.create",
        "person",
        person_id,
        person.node_path.as_deref(),
        None,
        Some(serde_json::json!({ "token_id": id, "name": name, "prefix": prefix })),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedToken { token: secret, row })
}

pub async fn revoke(app: &App, actor: &Actor, token_id: i64) -> Result<TokenRow, AppError> {
    let token = {
        let mut conn = app.store.read().await?;
        auth::get_token(&mut conn, token_id).await?
    }
    .ok_or(AppError::NotFound { entity: "token" })?;
    let person = check_owner(app, actor, token.person_id)
        .await
        .map_err(|_| AppError::NotFound { entity: "token" })?;
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    let mut tx = app.store.begin().await?;
    auth::revoke_token(tx.conn(), token_id, now_micros()).await?;
    let after = auth::get_token(tx.conn(), token_id)
        .await?
        .ok_or(AppError::NotFound { entity: "token" })?;
    record(
        tx.conn(),
        actor,
        "token.revoke",
        "person",
        token.person_id,
        person.node_path.as_deref(),
        Some(serde_json::json!({ "token_id": token_id, "revoked_at": null })),
        Some(serde_json::json!({ "token_id": token_id, "revoked_at": after.revoked_at })),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}
