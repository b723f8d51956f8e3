//! In a real browser (headless Chromium through chromedriver): sign in, see the home page,
//! switch the language, sign out — on a desktop window and on a phone-width one, with
//! screenshots saved to `target/screenshots/`.
//!
//! The harness (binaries, driver, browser) is `salesos_test_support::browser`; CI installs
//! Chromium and chromedriver.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_domain::people::Locale;
use salesos_test_support::browser::{screenshot_dir, Browser, Driver};
use salesos_test_support::TestApp;
use salesos_web::i18n::Tr;

struct Journey {
    login: &'static str,
    /// The language of the sign-in page.
    signin_lang: Locale,
    width: u32,
    height: u32,
    phone: bool,
}

async fn walk(t: &TestApp, driver: &Driver, j: Journey) {
    let person = t.person(j.login).await;
    let role = person.role.clone().unwrap();
    let hq = t.node("HQ").await;
    let unit = t.node(&node_code(t, person.node_id.unwrap()).await).await;
    let (zh, en) = (Tr::new(Locale::ZhCn), Tr::new(Locale::En));
    let tag = j.login.replace('.', "-");
    let b = Browser::open(driver, j.width, j.height, j.phone).await;

    // Sign in.
    b.c()
        .goto(&t.url(&format!("/signin?lang={}", j.signin_lang.code())))
        .await
        .unwrap();
    b.testid("login").await;
    assert_eq!(b.lang().await, j.signin_lang.code());
    let tr = Tr::new(j.signin_lang);
    assert!(b.c().source().await.unwrap().contains(tr.t("signin.title")));
    if j.phone {
        b.assert_fits_width("sign-in page").await;
    }
    b.screenshot(&format!("{tag}-1-signin")).await;
    b.submit_sign_in(j.login).await;

    // The home page, in the person's own language (Chinese for the demo people).
    b.wait_path(|p| p == "/", "the home page").await;
    assert_eq!(b.lang().await, "zh-CN");
    b.open_menu(j.phone).await;
    assert_eq!(b.text_of("who-name").await, person.display_name);
    assert_eq!(b.text_of("home-role").await, zh.tk("role", &role));
    let place = b.text_of("home-place").await;
    assert!(
        place.contains(&hq.name_zh) && place.contains(&unit.name_zh),
        "{place}"
    );
    if j.phone {
        b.assert_fits_width("home page").await;
    }
    b.screenshot(&format!("{tag}-2-home-zh")).await;

    // Switch to English.
    b.open_menu(j.phone).await;
    b.testid("lang-switch").await.click().await.unwrap();
    b.wait_page("/", "en").await;
    assert_eq!(b.text_of("home-role").await, en.tk("role", &role));
    let place = b.text_of("home-place").await;
    assert!(
        place.contains(&hq.name_en) && place.contains(&unit.name_en),
        "{place}"
    );
    let source = b.c().source().await.unwrap();
    assert!(source.contains(en.t("nav.home")), "English navigation");
    assert!(
        source.contains(en.t("nav.sign_out")),
        "English sign-out button"
    );
    if j.phone {
        b.assert_fits_width("home page in English").await;
    }
    b.screenshot(&format!("{tag}-3-home-en")).await;
    assert_eq!(
        t.person(j.login).await.locale,
        "en",
        "the choice is remembered"
    );

    // The director switches back; the rep stays in English.
    let final_lang = if j.signin_lang == Locale::En {
        "en"
    } else {
        b.open_menu(j.phone).await;
        b.testid("lang-switch").await.click().await.unwrap();
        b.wait_page("/", "zh-CN").await;
        assert_eq!(b.text_of("home-role").await, zh.tk("role", &role));
        "zh-CN"
    };
    assert_eq!(t.person(j.login).await.locale, final_lang);

    // Sign out: back on the sign-in page, and the home page is closed again.
    b.open_menu(j.phone).await;
    b.testid("sign-out").await.click().await.unwrap();
    b.wait_path(|p| p == "/signin", "the sign-in page").await;
    b.testid("login").await;
    assert_eq!(
        b.lang().await,
        final_lang,
        "the sign-in page keeps the chosen language"
    );
    b.screenshot(&format!("{tag}-4-signed-out")).await;
    b.c().goto(&t.url("/")).await.unwrap();
    b.wait_path(|p| p == "/signin", "the sign-in page").await;
    b.close().await;
}

async fn node_code(t: &TestApp, id: i64) -> String {
    let mut conn = t.app.store.read().await.unwrap();
    salesos_store::org::get_unscoped(&mut conn, id)
        .await
        .unwrap()
        .unwrap()
        .code
}

#[tokio::test]
async fn sign_in_switch_language_and_sign_out_in_chromium() {
    let t = TestApp::spawn().await;
    let driver = Driver::start().await;
    walk(
        &t,
        &driver,
        Journey {
            login: "director",
            signin_lang: Locale::ZhCn,
            width: 1280,
            height: 900,
            phone: false,
        },
    )
    .await;
    walk(
        &t,
        &driver,
        Journey {
            login: "rep.sh1.1",
            signin_lang: Locale::En,
            width: 390,
            height: 844,
            phone: true,
        },
    )
    .await;
    let shots: Vec<_> = std::fs::read_dir(screenshot_dir())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert!(shots.len() >= 8, "{shots:?}");
}
