use super::{fail, format_time, render, Layout};
use crate::ctx::LANG_COOKIE;
use crate::problem::message_of;
use crate::session::{set_cookie, PageActor};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use salesos_app::{people, tokens, AppError};
use serde::Deserialize;

pub struct TokenLine {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created: String,
    pub last_used: String,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub l: Layout,
    pub person_id: i64,
    pub password_error: Option<String>,
    pub password_error_field: String,
    pub token_error: Option<String>,
    pub tokens: Vec<TokenLine>,
    pub new_token: Option<String>,
}

/// A rejected form on the account page, shown next to the form it belongs to.
pub enum AccountError {
    Password { message: String, field: String },
    Token { message: String },
}

pub async fn account_page(
    s: &AppState,
    pa: &PageActor,
    notice: Option<String>,
    error: Option<AccountError>,
    new_token: Option<String>,
) -> Response {
    let Some(person_id) = pa.actor.person_id() else {
        return fail(
            pa,
            AppError::Unauthenticated {
                code: "auth.required",
            },
        );
    };
    let rows = match tokens::list(&s.app, &pa.actor, person_id).await {
        Ok(rows) => rows,
        Err(e) => return fail(pa, e),
    };
    let tz = s.app.config.time_zone;
    let tokens = rows
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
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (password_error, password_error_field, token_error) = match error {
        Some(AccountError::Password { message, field }) => (Some(message), field, None),
        Some(AccountError::Token { message }) => (None, String::new(), Some(message)),
        None => (None, String::new(), None),
    };
    let page = AccountPage {
        l: Layout::new(pa, "account.title", "/account").with_notice(notice),
        person_id,
        password_error,
        password_error_field,
        token_error,
        tokens,
        new_token,
    };
    (status, render(&page)).into_response()
}

pub async fn show(State(s): State<AppState>, pa: PageActor) -> Response {
    account_page(&s, &pa, None, None, None).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

pub async fn change_password(
    State(s): State<AppState>,
    pa: PageActor,
    Form(f): Form<PasswordForm>,
) -> Response {
    let tr = pa.tr();
    if f.new_password != f.confirm_password {
        let message = tr.error("password.mismatch", "the two new passwords differ");
        return account_page(
            &s,
            &pa,
            None,
            Some(AccountError::Password {
                message,
                field: "confirm_password".into(),
            }),
            None,
        )
        .await;
    }
    match people::change_own_password(&s.app, &pa.actor, &f.current_password, &f.new_password).await
    {
        Ok(()) => {
            account_page(
                &s,
                &pa,
                Some(tr.t("account.password_changed").to_string()),
                None,
                None,
            )
            .await
        }
        Err(err @ AppError::Invalid(_)) => {
            let field = err.field().unwrap_or("").to_string();
            account_page(
                &s,
                &pa,
                None,
                Some(AccountError::Password {
                    message: message_of(&err, &tr),
                    field,
                }),
                None,
            )
            .await
        }
        Err(err) => fail(&pa, err),
    }
}

#[derive(Deserialize)]
pub struct LocaleForm {
    locale: String,
}

/// Remembers the language on the person's record (and in a cookie for the sign-in page).
pub async fn set_locale(
    State(s): State<AppState>,
    pa: PageActor,
    headers: axum::http::HeaderMap,
    Form(f): Form<LocaleForm>,
) -> Response {
    if let Err(err) = people::set_own_locale(&s.app, &pa.actor, &f.locale).await {
        return fail(&pa, err);
    }
    // back to the page the switch was pressed on, when it is one of ours
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            r.find("://")
                .and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_string()))
        })
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".to_string());
    let mut response = Redirect::to(&back).into_response();
    let secure = s.web.secure_cookies || pa.ctx.https;
    if let Ok(v) = set_cookie(LANG_COOKIE, &f.locale, 365 * 24 * 3600, secure).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}
