//! In a real browser (headless Chromium): the home pages of a director (desktop) and of a rep
//! (phone width) render their scoreboard with server-drawn SVG charts, in Chinese and in English,
//! with the month's focus, and nothing sticks out sideways on the phone. Screenshots go to
//! `target/screenshots/`. (The harness is `salesos_test_support::browser`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fantoccini::Locator;
use salesos_domain::people::Locale;
use salesos_test_support::browser::{Browser, Driver};
use salesos_test_support::target_fixtures::scoreboard;
use salesos_test_support::TestApp;
use salesos_web::i18n::Tr;
use serde_json::json;

async fn assert_charts(b: &Browser, tr: &Tr, director: bool, phone: bool, tag: &str) {
    let trend = b.testid("chart-trend").await;
    assert_eq!(trend.tag_name().await.unwrap(), "svg");
    let source = b.c().source().await.unwrap();
    assert!(
        source.contains(tr.t("dash.trend")),
        "{tag}: the trend title in the page's language"
    );
    assert!(
        source.contains(tr.t("dash.scoreboard")),
        "{tag}: scoreboard heading"
    );
    assert!(
        source.contains(tr.t("month.short.1")) || source.contains(tr.t("month.short.12")),
        "{tag}: month labels in the page's language"
    );
    assert!(source.contains("回款冲刺"), "{tag}: the month's focus");
    let bars = b
        .c()
        .find_all(Locator::Css("[data-testid=\"chart-trend\"] rect"))
        .await
        .unwrap();
    assert!(bars.len() >= 12, "{tag}: a bar per month");
    if director {
        let kids = b.testid("chart-children").await;
        assert_eq!(kids.tag_name().await.unwrap(), "svg");
        let text = b.c().source().await.unwrap();
        let (east, north) = match tr.lang() {
            "en" => ("East", "North"),
            _ => ("华东", "华北"),
        };
        assert!(
            text.contains(east) || text.contains(north),
            "{tag}: markets named in the page's language"
        );
    } else {
        b.testid("home-month-score").await;
        b.testid("leaderboard-me").await;
        b.testid("home-dealers").await;
    }
    if phone {
        b.assert_fits_width(tag).await;
        let width = b
            .js("return document.querySelector('[data-testid=\"chart-trend\"]').getBoundingClientRect().width;")
            .await
            .as_f64()
            .unwrap();
        assert!(
            width > 200.0 && width <= 400.0,
            "{tag}: the chart fits the phone ({width}px)"
        );
    }
    b.screenshot(tag).await;
}

async fn visit(t: &TestApp, driver: &Driver, login: &str, phone: bool) {
    let (w, h) = if phone { (390, 844) } else { (1280, 900) };
    let b = Browser::open(driver, w, h, phone).await;
    b.sign_in(&t.url("/signin?lang=zh-CN"), login).await;
    b.wait_path(|p| p == "/", "the home page").await;
    let tag = login.replace('.', "-");
    let director = login == "director";
    assert_charts(
        &b,
        &Tr::new(Locale::ZhCn),
        director,
        phone,
        &format!("{tag}-dashboard-zh"),
    )
    .await;
    b.open_menu(phone).await;
    b.testid("lang-switch").await.click().await.unwrap();
    b.wait_page("/", "en").await;
    assert_charts(
        &b,
        &Tr::new(Locale::En),
        director,
        phone,
        &format!("{tag}-dashboard-en"),
    )
    .await;
    b.close().await;
}

#[tokio::test]
async fn director_and_rep_dashboards_render_charts_in_both_languages() {
    let t = TestApp::spawn().await;
    scoreboard(&t).await;
    let month = t.app.today()[..7].to_string();
    let m_e = t.node_id("M-E").await;
    let res = t
        .api_client()
        .post(t.url("/api/v1/focus"))
        .bearer_auth(t.token_for("director").await)
        .json(&json!({ "month": month, "items": [{ "title": "回款冲刺", "goals": [{ "node_id": m_e, "goal": "回款 500 万" }] }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let driver = Driver::start().await;
    visit(&t, &driver, "director", false).await;
    visit(&t, &driver, "rep.sh1.1", true).await;
}
