//! In a real browser (headless Chromium): a director opens Targets from the navigation, creates
//! the company's yearly target through the form, splits it into quarters on the cascade page,
//! and finds it on the list — in Chinese, then in English. Screenshots go to
//! `target/screenshots/`. (The harness is
//! `salesos_test_support::browser`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fantoccini::Locator;
use salesos_app::targets;
use salesos_domain::people::Locale;
use salesos_test_support::browser::{Browser, Driver, TIMEOUT};
use salesos_test_support::TestApp;
use salesos_web::i18n::Tr;

#[tokio::test]
async fn director_creates_a_yearly_target_cascades_it_and_finds_it_in_both_languages() {
    let t = TestApp::spawn().await;
    let hq = t.node_id("HQ").await;
    let driver = Driver::start().await;
    let b = Browser::open(&driver, 1280, 900, false).await;
    let zh = Tr::new(Locale::ZhCn);
    let en = Tr::new(Locale::En);

    b.sign_in(&t.url("/signin?lang=zh-CN"), "director").await;

    // from the navigation, in Chinese
    let nav = b
        .c()
        .wait()
        .at_most(TIMEOUT)
        .for_element(Locator::Css("nav#nav a[href=\"/targets\"]"))
        .await
        .unwrap();
    assert_eq!(nav.text().await.unwrap(), zh.t("nav.targets"));
    nav.click().await.unwrap();
    b.testid("targets-list").await;
    b.testid("new-target").await.click().await.unwrap();

    // the form refuses a target without a period, on the form
    b.testid("metric")
        .await
        .select_by_value("ordered_amount")
        .await
        .unwrap();
    b.testid("amount").await.send_keys("3650000").await.unwrap();
    b.testid("owner")
        .await
        .select_by_value(&format!("node:{hq}"))
        .await
        .unwrap();
    b.testid("create-target").await.click().await.unwrap();
    let error = b.testid("field-error").await;
    assert_eq!(
        error.attr("data-field").await.unwrap().as_deref(),
        Some("period")
    );
    assert_eq!(
        error.text().await.unwrap(),
        zh.error("target.period_missing", "")
    );
    b.screenshot("targets-new-refused-zh").await;
    b.testid("period").await.send_keys("2034").await.unwrap();
    b.testid("create-target").await.click().await.unwrap();
    let detail = b.testid("target-detail").await;
    let id: i64 = detail
        .attr("data-id")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        b.testid("stat-target").await.text().await.unwrap(),
        "3,650,000.00"
    );

    // split into quarters as proposed (no history: equal parts), and saved
    b.testid("cascade-link").await.click().await.unwrap();
    b.testid("cascade-table").await;
    let rows = b.all_testid("cascade-row").await;
    assert_eq!(rows.len(), 4);
    // the person edits Q1 and Q4, keeping the total
    let q1 = b.testid("amount-0").await;
    q1.clear().await.unwrap();
    q1.send_keys("800000.00").await.unwrap();
    let q4 = b.testid("amount-3").await;
    q4.clear().await.unwrap();
    q4.send_keys("1025000.00").await.unwrap();
    b.screenshot("targets-cascade-zh").await;
    b.testid("save-cascade").await.click().await.unwrap();
    b.testid("children-table").await;
    assert_eq!(
        b.testid("children-total").await.text().await.unwrap(),
        "3,650,000.00"
    );
    let d = targets::get(&t.app, &t.actor("director").await, id)
        .await
        .unwrap();
    let amounts: Vec<i64> = d.children.iter().map(|c| c.view.target.amount).collect();
    assert_eq!(
        amounts,
        vec![80_000_000, 91_250_000, 91_250_000, 102_500_000]
    );
    b.screenshot("targets-detail-zh").await;

    // on the list, filtered by the year
    b.c().goto(&t.url("/targets?period=2034")).await.unwrap();
    b.wait_page("/targets", "zh-CN").await;
    let source = b.c().source().await.unwrap();
    assert!(source.contains(&format!("data-id=\"{id}\"")));
    assert!(
        source.contains(zh.t("tgt.title"))
            && source.contains(zh.tk("metric", "ordered_amount").as_str())
    );
    assert_eq!(
        b.all_testid("target-row").await.len(),
        5,
        "the year and its four quarters"
    );

    // and in English
    b.testid("lang-switch").await.click().await.unwrap();
    // the switch comes back to the page it was pressed on
    b.wait_page("/targets", "en").await;
    b.c().goto(&t.url("/targets?period=2034")).await.unwrap();
    b.wait_page("/targets", "en").await;
    let source = b.c().source().await.unwrap();
    assert!(source.contains(&format!("data-id=\"{id}\"")));
    assert!(
        source.contains(en.t("tgt.title"))
            && source.contains(en.tk("metric", "ordered_amount").as_str())
    );
    b.screenshot("targets-list-en").await;
    b.c().goto(&t.url(&format!("/targets/{id}"))).await.unwrap();
    b.wait_page(&format!("/targets/{id}"), "en").await;
    assert!(b.c().source().await.unwrap().contains(en.t("tgt.children")));
    assert_eq!(b.all_testid("child-row").await.len(), 4);
    b.screenshot("targets-detail-en").await;
    b.close().await;
}
