use super::{render, Layout};
use crate::ctx::{RequestCtx, LANG_COOKIE};
use crate::problem::message_of;
use crate::session::{set_cookie, PageActor, PRESESSION_COOKIE, SESSION_COOKIE};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use salesos_app::auth::{self, SignIn};
use salesos_app::password::random_secret;
use salesos_app::AppError;
use salesos_domain::people::Locale;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    l: Layout,
    next: String,
    login: String,
    error: Option<String>,
    other_lang: &'static str,
    other_lang_label: &'static str,
}

#[derive(Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    expired: Option<String>,
    lang: Option<String>,
}

/// Only local paths, so the sign-in page cannot be used to bounce people to another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

fn page(
    locale: Locale,
    csrf: String,
    next: String,
    login: String,
    error: Option<String>,
    notice: Option<String>,
) -> SignInPage {
    let (other_lang, other_lang_label) = match locale {
        Locale::ZhCn => ("en", "English"),
        Locale::En => ("zh-CN", "中文"),
    };
    SignInPage {
        l: Layout::anonymous(locale, "signin.title", csrf).with_notice(notice),
        next,
        login,
        error,
        other_lang,
        other_lang_label,
    }
}

pub async fn form(
    State(s): State<AppState>,
    ctx: RequestCtx,
    headers: HeaderMap,
    Query(q): Query<SignInQuery>,
) -> Response {
    let locale = q
        .lang
        .as_deref()
        .and_then(Locale::parse)
        .unwrap_or(ctx.locale);
    let csrf = crate::ctx::cookie(&headers, PRESESSION_COOKIE)
        .filter(|c| c.len() >= 20)
        .unwrap_or_else(|| random_secret(24));
    let secure = s.web.secure_cookies || ctx.https;
    let notice = q
        .expired
        .is_some()
        .then(|| crate::i18n::Tr::new(locale).t("signin.expired").to_string());
    let body = render(&page(
        locale,
        csrf.clone(),
        safe_next(q.next.as_deref()),
        String::new(),
        None,
        notice,
    ));
    let mut response = body.into_response();
    let cookies = [
        set_cookie(PRESESSION_COOKIE, &csrf, 3600, secure),
        set_cookie(LANG_COOKIE, locale.code(), 365 * 24 * 3600, secure),
    ];
    for c in cookies {
        if let Ok(v) = c.parse() {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

#[derive(Deserialize)]
pub struct SignInForm {
    login: String,
    password: String,
    next: Option<String>,
    #[serde(rename = "_csrf")]
    csrf: String,
}

pub async fn submit(
    State(s): State<AppState>,
    ctx: RequestCtx,
    headers: HeaderMap,
    Form(f): Form<SignInForm>,
) -> Response {
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(300)
        .collect::<String>();
    let result = auth::sign_in(
        &s.app,
        SignIn {
            login: &f.login,
            password: &f.password,
            source: &ctx.source,
            user_agent: &user_agent,
            request_id: &ctx.request_id,
        },
    )
    .await;
    let next = safe_next(f.next.as_deref());
    match result {
        Ok(session) => {
            let secure = s.web.secure_cookies || ctx.https;
            let mut response = Redirect::to(&next).into_response();
            let cookies = [
                set_cookie(
                    SESSION_COOKIE,
                    &session.token,
                    s.app.config.session_absolute_secs,
                    secure,
                ),
                set_cookie(PRESESSION_COOKIE, "", 0, secure),
            ];
            for c in cookies {
                if let Ok(v) = c.parse() {
                    response.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            response
        }
        Err(err) => {
            let tr = crate::i18n::Tr::new(ctx.locale);
            let status = match &err {
                AppError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
                AppError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
                AppError::Internal(detail) => {
                    tracing::error!(error = %detail, "sign-in failed");
                    StatusCode::INTERNAL_SERVER_ERROR
                }
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let message = match &err {
                AppError::Throttled { retry_after_secs } => format!(
                    "{} ({})",
                    message_of(&err, &tr),
                    tr.t("signin.retry_minutes")
                        .replace("{n}", &((retry_after_secs + 59) / 60).to_string())
                ),
                _ => message_of(&err, &tr),
            };
            let mut response = (
                status,
                render(&page(
                    ctx.locale,
                    f.csrf,
                    next,
                    f.login.chars().take(64).collect(),
                    Some(message),
                    None,
                )),
            )
                .into_response();
            // 429 says when to try again, as the API's problem responses do.
            if let AppError::Throttled { retry_after_secs } = &err {
                if let Ok(v) = retry_after_secs.to_string().parse() {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            response
        }
    }
}

pub async fn sign_out(State(s): State<AppState>, pa: PageActor) -> Response {
    if let Err(err) = auth::sign_out(&s.app, &pa.actor).await {
        return super::fail(&pa, err);
    }
    let secure = s.web.secure_cookies || pa.ctx.https;
    let mut response = Redirect::to("/signin").into_response();
    if let Ok(v) = set_cookie(SESSION_COOKIE, "", 0, secure).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}
