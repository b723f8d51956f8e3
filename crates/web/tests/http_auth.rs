//! Sign-in, sign-out, sessions, CSRF, throttling and API tokens, through HTTP against a real
//! server on its own database (SQLite or PostgreSQL, by `SALESOS_TEST_DB`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_app::{AppError, Config};
use salesos_domain::people::Locale;
use salesos_test_support::{
    cookie_value, csrf_in_html, html_escape, location, problem, set_cookies, TestApp, DEMO_PASSWORD,
};
use salesos_web::i18n::Tr;
use salesos_web::problem::message_of;
use serde_json::{json, Value};
use std::time::Duration;

const SESSION: &str = "salesos_session";

fn bad_credentials_message(locale: Locale) -> String {
    message_of(
        &AppError::Unauthenticated {
            code: "auth.bad_credentials",
        },
        &Tr::new(locale),
    )
}

/// The text of the sign-in page's error paragraph.
fn signin_error(html: &str) -> Option<String> {
    let at = html.find("data-testid=\"signin-error\"")?;
    let start = at + html[at..].find('>')? + 1;
    let end = start + html[start..].find("</p>")?;
    Some(html[start..end].to_string())
}

async fn me_with_cookie(t: &TestApp, session: &str) -> reqwest::Response {
    t.api_client()
        .get(t.url("/api/v1/me"))
        .header("cookie", format!("{SESSION}={session}"))
        .send()
        .await
        .unwrap()
}

async fn me_with_token(t: &TestApp, token: &str) -> reqwest::Response {
    t.api(token, reqwest::Method::GET, "/api/v1/me", None).await
}

#[tokio::test]
async fn anonymous_requests_are_sent_to_sign_in() {
    let t = TestApp::spawn().await;
    let c = t.client();
    let res = c.get(t.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/signin?next=/account");
    let p = problem(c.get(t.url("/api/v1/me")).send().await.unwrap()).await;
    assert_eq!((p.status, p.code.as_str()), (401, "auth.required"));
}

#[tokio::test]
async fn sign_in_sets_a_protected_cookie_and_goes_to_next() {
    let t = TestApp::spawn().await;
    let c = t.client();
    let res = t.post_sign_in(&c, "mm.e", DEMO_PASSWORD, "/account").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account");
    let cookie = set_cookies(&res)
        .into_iter()
        .find(|c| c.starts_with("salesos_session="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(
        cookie.contains("SameSite=Lax") || cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP without a proxy: {cookie}"
    );
    let token = cookie_value(&res, SESSION).unwrap();
    assert!(token.len() >= 32, "a long random session secret");

    // The session works, and it is stored hashed: the cookie value is not in the database.
    let res = c.get(t.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let me: Value = me_with_cookie(&t, &token).await.json().await.unwrap();
    assert_eq!(me["login"], "mm.e");
    let stored = t
        .count(&format!(
            "SELECT COUNT(*) AS n FROM sessions WHERE token_hash = '{token}'"
        ))
        .await;
    assert_eq!(stored, 0, "the raw session secret must not be stored");
    let hashed = t
        .count(&format!(
            "SELECT COUNT(*) AS n FROM sessions WHERE token_hash = '{}'",
            salesos_store::auth::hash_secret(&token)
        ))
        .await;
    assert_eq!(hashed, 1, "the session is stored by its hash");

    // Behind a TLS-terminating proxy the cookie is Secure.
    let c2 = t.client();
    let csrf = t.signin_csrf(&c2).await;
    let res = c2
        .post(t.url("/signin"))
        .header("x-forwarded-proto", "https")
        .form(&[
            ("_csrf", csrf.as_str()),
            ("login", "mm.e"),
            ("password", DEMO_PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let cookie = set_cookies(&res)
        .into_iter()
        .find(|c| c.starts_with("salesos_session="))
        .unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");

    // `next` may only name a local page.
    for evil in [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let c3 = t.client();
        let res = t.post_sign_in(&c3, "mm.e", DEMO_PASSWORD, evil).await;
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), "/", "next={evil}");
    }
}

#[tokio::test]
async fn sign_out_ends_the_session_on_the_server() {
    let t = TestApp::spawn().await;
    let c = t.client();
    let res = t.post_sign_in(&c, "am.sh", DEMO_PASSWORD, "/").await;
    assert_eq!(res.status(), 303);
    let token = cookie_value(&res, SESSION).unwrap();
    assert_eq!(me_with_cookie(&t, &token).await.status(), 200);

    let csrf = t.csrf_of(&c).await;
    let res = c
        .post(t.url("/signout"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/signin");
    let cleared = set_cookies(&res)
        .into_iter()
        .find(|c| c.starts_with("salesos_session="))
        .expect("the cookie is cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    // The browser forgot the cookie…
    let res = c.get(t.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/signin"));
    // …and a copy of it no longer works either.
    let p = problem(me_with_cookie(&t, &token).await).await;
    assert_eq!(p.status, 401);
    let res = t
        .api_client()
        .get(t.url("/"))
        .header("cookie", format!("{SESSION}={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/signin"), "{}", location(&res));
}

#[tokio::test]
async fn wrong_password_is_refused_with_a_translated_message() {
    let t = TestApp::spawn().await;
    for (locale, query) in [(Locale::ZhCn, "/signin"), (Locale::En, "/signin?lang=en")] {
        let tr = Tr::new(locale);
        assert!(
            tr.has("error.auth.bad_credentials"),
            "the {locale:?} catalogue translates error.auth.bad_credentials"
        );
        let c = t.client();
        let html = c
            .get(t.url(query))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = csrf_in_html(&html).unwrap();
        let res = c
            .post(t.url("/signin"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("login", "director"),
                ("password", "not-the-password"),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        assert!(
            cookie_value(&res, SESSION).is_none(),
            "no session on a failed sign-in"
        );
        let html = res.text().await.unwrap();
        let shown = signin_error(&html).expect("the page shows an error");
        assert_eq!(
            shown,
            html_escape(&bad_credentials_message(locale)),
            "{locale:?}"
        );
        assert!(html.contains(&format!("lang=\"{}\"", locale.code())));
        assert!(
            html.contains("value=\"director\""),
            "the login is kept in the form"
        );
        assert!(
            !html.contains("not-the-password"),
            "the password is never echoed"
        );
        // Still not signed in.
        let res = c.get(t.url("/")).send().await.unwrap();
        assert_eq!(res.status(), 303);
    }
    assert_ne!(
        bad_credentials_message(Locale::ZhCn),
        bad_credentials_message(Locale::En),
        "the message differs by language"
    );
}

#[tokio::test]
async fn unknown_login_looks_exactly_like_a_wrong_password() {
    let t = TestApp::spawn().await;
    let mut seen = Vec::new();
    for login in ["director", "nobody.here", "x"] {
        let c = t.client();
        let res = t.post_sign_in(&c, login, "wrong-password-1", "/").await;
        assert_eq!(res.status(), 401, "{login}");
        assert!(cookie_value(&res, SESSION).is_none());
        let html = res.text().await.unwrap();
        seen.push(signin_error(&html).expect("an error"));
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");
}

#[tokio::test]
async fn repeated_failures_for_one_login_are_throttled() {
    let config = Config {
        throttle_max_per_login: 3,
        throttle_max_per_ip: 100,
        throttle_window_secs: 600,
        ..Config::default()
    };
    let t = TestApp::spawn_with(config).await;
    for i in 0..3 {
        let c = t.client();
        let res = t.post_sign_in(&c, "am.sh", "wrong-password-1", "/").await;
        assert_eq!(res.status(), 401, "failure {i}");
    }
    // Now even the right password is refused, and the page says when to come back.
    let c = t.client();
    let res = t.post_sign_in(&c, "am.sh", DEMO_PASSWORD, "/").await;
    assert_eq!(res.status(), 429);
    assert!(cookie_value(&res, SESSION).is_none());
    let retry: i64 = res
        .headers()
        .get("retry-after")
        .expect("Retry-After on 429")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry), "Retry-After {retry}");
    let html = res.text().await.unwrap();
    let tr = Tr::new(Locale::ZhCn);
    let throttled = message_of(
        &AppError::Throttled {
            retry_after_secs: retry,
        },
        &tr,
    );
    assert!(
        signin_error(&html)
            .unwrap()
            .contains(&html_escape(&throttled)),
        "{html}"
    );
    // The login's case does not get around it.
    let res = t
        .post_sign_in(&t.client(), "AM.SH", DEMO_PASSWORD, "/")
        .await;
    assert_eq!(res.status(), 429);
    // Another account from the same address is not affected.
    let res = t
        .post_sign_in(&t.client(), "am.js", DEMO_PASSWORD, "/")
        .await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_throttled() {
    let config = Config {
        throttle_max_per_login: 100,
        throttle_max_per_ip: 4,
        throttle_window_secs: 600,
        ..Config::default()
    };
    let t = TestApp::spawn_with(config).await;
    for login in ["guess.a", "guess.b", "director", "admin"] {
        let res = t
            .post_sign_in(&t.client(), login, "wrong-password-1", "/")
            .await;
        assert_eq!(res.status(), 401, "{login}");
    }
    // A login that never failed, with its right password, from the same address.
    let res = t
        .post_sign_in(&t.client(), "mm.e", DEMO_PASSWORD, "/")
        .await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("retry-after").is_some());
    assert!(cookie_value(&res, SESSION).is_none());
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused_and_change_nothing() {
    let t = TestApp::spawn().await;
    let c = t.sign_in_demo("am.sh").await;
    let person = t.person_id("am.sh").await;
    let audit_before = t.last_audit_id().await;

    // Sign-out without / with a wrong token.
    for form in [vec![], vec![("_csrf", "wrong-token-wrong-token")]] {
        let res = c.post(t.url("/signout")).form(&form).send().await.unwrap();
        assert_eq!(res.status(), 403, "{form:?}");
        assert_eq!(
            c.get(t.url("/")).send().await.unwrap().status(),
            200,
            "still signed in"
        );
    }
    // Language switch without / with a wrong token.
    for form in [
        vec![("locale", "en")],
        vec![("locale", "en"), ("_csrf", "wrong-token-wrong-token")],
    ] {
        let res = c
            .post(t.url("/account/locale"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{form:?}");
    }
    assert_eq!(t.person("am.sh").await.locale, "zh-CN", "nothing changed");
    assert!(
        t.audit_since(audit_before).await.is_empty(),
        "a refused form writes no audit entry"
    );

    // The same forms with the right token work (the token is what was missing).
    let csrf = t.csrf_of(&c).await;
    let res = c
        .post(t.url("/account/locale"))
        .form(&[("locale", "en"), ("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(t.person("am.sh").await.locale, "en");

    // The API used with the browser's session cookie needs the X-CSRF-Token header.
    let res = c
        .put(t.url("/api/v1/me/locale"))
        .json(&json!({ "locale": "zh-CN" }))
        .send()
        .await
        .unwrap();
    let p = problem(res).await;
    assert_eq!(p.status, 403);
    let res = c
        .put(t.url("/api/v1/me/locale"))
        .header("x-csrf-token", "wrong-token-wrong-token")
        .json(&json!({ "locale": "zh-CN" }))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(res).await.status, 403);
    assert_eq!(t.person("am.sh").await.locale, "en", "nothing changed");
    let res = c
        .put(t.url("/api/v1/me/locale"))
        .header("x-csrf-token", csrf.as_str())
        .json(&json!({ "locale": "zh-CN" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(t.person("am.sh").await.locale, "zh-CN");
    // Reads need no token.
    assert_eq!(
        c.get(t.url("/api/v1/me")).send().await.unwrap().status(),
        200
    );

    // The sign-in form itself: without the pre-session cookie the posted token is worthless.
    let fresh = t.client();
    let res = fresh
        .post(t.url("/signin"))
        .form(&[
            ("_csrf", "made-up-token-made-up"),
            ("login", "am.sh"),
            ("password", DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(cookie_value(&res, SESSION).is_none());
    // …and with the cookie but another token neither.
    let _ = t.signin_csrf(&fresh).await;
    let res = fresh
        .post(t.url("/signin"))
        .form(&[
            ("_csrf", "made-up-token-made-up"),
            ("login", "am.sh"),
            ("password", DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(cookie_value(&res, SESSION).is_none());
    let _ = person;
}

#[tokio::test]
async fn an_idle_session_expires() {
    let config = Config {
        session_idle_secs: 1,
        ..Config::default()
    };
    let t = TestApp::spawn_with(config).await;
    let c = t.client();
    let res = t.post_sign_in(&c, "director", DEMO_PASSWORD, "/").await;
    assert_eq!(res.status(), 303);
    let token = cookie_value(&res, SESSION).unwrap();
    assert_eq!(me_with_cookie(&t, &token).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let res = c.get(t.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/signin"), "{}", location(&res));
    let p = problem(me_with_cookie(&t, &token).await).await;
    assert_eq!((p.status, p.code.as_str()), (401, "auth.session_expired"));
    // Signing in again works.
    assert_eq!(
        t.post_sign_in(&t.client(), "director", DEMO_PASSWORD, "/")
            .await
            .status(),
        303
    );
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_limit_even_when_used() {
    let config = Config {
        session_absolute_secs: 2,
        ..Config::default()
    };
    let t = TestApp::spawn_with(config).await;
    let res = t
        .post_sign_in(&t.client(), "director", DEMO_PASSWORD, "/")
        .await;
    let token = cookie_value(&res, SESSION).unwrap();
    for _ in 0..3 {
        assert_eq!(me_with_cookie(&t, &token).await.status(), 200);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let p = problem(me_with_cookie(&t, &token).await).await;
    assert_eq!((p.status, p.code.as_str()), (401, "auth.session_expired"));
}

#[tokio::test]
async fn a_token_acts_as_its_person() {
    let t = TestApp::spawn().await;
    let token = t.token_for("mm.e").await;
    assert!(token.starts_with("sos_"));
    let res = me_with_token(&t, &token).await;
    assert_eq!(res.status(), 200);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["login"], "mm.e");
    assert_eq!(me["role"], "market_manager");
    assert_eq!(me["scope"], "subtree");
    assert_eq!(me["node_id"], t.node_id("M-E").await);

    // Its person's scope: market East only.
    let people: Vec<Value> = t
        .api_client()
        .get(t.url("/api/v1/people"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let logins: Vec<&str> = people
        .iter()
        .map(|p| p["login"].as_str().unwrap())
        .collect();
    assert!(
        logins.contains(&"am.sh") && logins.contains(&"rep.js1.1"),
        "{logins:?}"
    );
    assert!(
        !logins
            .iter()
            .any(|l| *l == "mm.n" || l.ends_with("bj") || l.contains(".bj")),
        "{logins:?}"
    );

    // Its person's rights: no capability to manage people.
    let res = t
        .api_client()
        .patch(t.url(&format!("/api/v1/people/{}", t.person_id("am.sh").await)))
        .bearer_auth(&token)
        .json(&json!({ "display_name": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(res).await.status, 403);

    // Writes are recorded as that person's, and need no CSRF token.
    let before = t.last_audit_id().await;
    let res = t
        .api_client()
        .put(t.url("/api/v1/me/locale"))
        .bearer_auth(&token)
        .json(&json!({ "locale": "en" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let rows = t.audit_since(before).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].person_id, Some(t.person_id("mm.e").await));

    // Bad tokens.
    for bad in ["sos_not-a-real-token", "", "x"] {
        let res = t
            .api_client()
            .get(t.url("/api/v1/me"))
            .header("authorization", format!("Bearer {bad}"))
            .send()
            .await
            .unwrap();
        let p = problem(res).await;
        assert_eq!(p.status, 401, "{bad:?}");
    }
    let p = problem(me_with_token(&t, "sos_not-a-real-token").await).await;
    assert_eq!(p.code, "auth.token_invalid");
}

#[tokio::test]
async fn a_revoked_token_stops_working() {
    let t = TestApp::spawn().await;
    let rep = t.person_id("rep.sh1.1").await;
    let main = t.token_for("rep.sh1.1").await;
    // The person makes a second token for themself through the API…
    let res = t
        .api_client()
        .post(t.url(&format!("/api/v1/people/{rep}/tokens")))
        .bearer_auth(&main)
        .json(&json!({ "name": "integration" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let second = created["token"].as_str().unwrap().to_string();
    let id = created["details"]["id"].as_i64().unwrap();
    assert_eq!(created["details"]["person_id"], rep);
    assert!(second.starts_with(created["details"]["prefix"].as_str().unwrap()));
    let me: Value = me_with_token(&t, &second).await.json().await.unwrap();
    assert_eq!(me["login"], "rep.sh1.1");
    // …the secret is not stored in the clear, nor listed again.
    let stored = t
        .count(&format!(
            "SELECT COUNT(*) AS n FROM api_tokens WHERE token_hash = '{second}'"
        ))
        .await;
    assert_eq!(stored, 0);
    let hashed = t
        .count(&format!(
            "SELECT COUNT(*) AS n FROM api_tokens WHERE token_hash = '{}'",
            salesos_store::auth::hash_secret(&second)
        ))
        .await;
    assert_eq!(hashed, 1, "the token is stored by its hash");
    let list = t
        .api_client()
        .get(t.url(&format!("/api/v1/people/{rep}/tokens")))
        .bearer_auth(&main)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!list.contains(&second), "the secret is shown only once");

    // …and revokes it.
    let res = t
        .api_client()
        .delete(t.url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(&main)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let revoked: Value = res.json().await.unwrap();
    assert!(revoked["revoked_at"].is_i64());
    let p = problem(me_with_token(&t, &second).await).await;
    assert_eq!((p.status, p.code.as_str()), (401, "auth.token_invalid"));
    // The other token is unaffected.
    assert_eq!(me_with_token(&t, &main).await.status(), 200);
}

#[tokio::test]
async fn a_deactivated_person_loses_sessions_and_tokens() {
    let t = TestApp::spawn().await;
    let admin = t.token_for("admin").await;
    let city = t.node_id("C-SH1").await;
    let created = t.create_person(&admin, "temp.rep", city, "sales_rep").await;
    let id = created["id"].as_i64().unwrap();
    let password = TestApp::created_password("temp.rep");

    let res = t
        .post_sign_in(&t.client(), "temp.rep", &password, "/")
        .await;
    assert_eq!(res.status(), 303);
    let session = cookie_value(&res, SESSION).unwrap();
    let token = t.token_for("temp.rep").await;
    assert_eq!(me_with_cookie(&t, &session).await.status(), 200);
    assert_eq!(me_with_token(&t, &token).await.status(), 200);

    let res = t
        .api_client()
        .post(t.url(&format!("/api/v1/people/{id}/deactivate")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    assert_eq!(
        problem(me_with_cookie(&t, &session).await).await.status,
        401
    );
    assert_eq!(problem(me_with_token(&t, &token).await).await.status, 401);
    let res = t
        .api_client()
        .get(t.url("/"))
        .header("cookie", format!("{SESSION}={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/signin"));
    // Nor can they sign in again.
    let res = t
        .post_sign_in(&t.client(), "temp.rep", &password, "/")
        .await;
    assert_eq!(res.status(), 401);

    // Reactivated, they can sign in again; the old token stays revoked.
    let res = t
        .api_client()
        .post(t.url(&format!("/api/v1/people/{id}/reactivate")))
        .bearer_auth(&admin)
        .json(&json!({ "node_id": city, "role": "sales_rep" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(
        t.post_sign_in(&t.client(), "temp.rep", &password, "/")
            .await
            .status(),
        303
    );
    assert_eq!(problem(me_with_token(&t, &token).await).await.status, 401);
}
