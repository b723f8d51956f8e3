//! The import page in headless Chromium at phone width: upload a file with problems (the
//! problems table lists them, nothing is written), then a good file: check, confirm, imported.
//! The harness (binaries, driver, browser) is `salesos_test_support::browser`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fantoccini::Locator;
use salesos_test_support::browser::{Browser, Driver, TIMEOUT};
use salesos_test_support::TestApp;
use std::time::{Duration, Instant};

#[tokio::test]
async fn upload_check_and_confirm_in_chromium_at_phone_width() {
    let t = TestApp::spawn().await;
    let driver = Driver::start().await;
    let b = Browser::open(&driver, 390, 844, true).await;
    b.sign_in(&t.url("/signin"), "admin").await;
    b.c().goto(&t.url("/imports")).await.unwrap();
    b.testid("imports").await;
    // the page fits a phone
    b.assert_fits_width("the import page").await;

    let dir = std::env::temp_dir().join(format!("salesos-import-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("products_bad.csv");
    std::fs::write(&bad, "code,name_zh,name_en,line,unit,case_size,tax_rate_bp\nBR-1,浏览器茶,Browser tea,NOPE,瓶,12,1300\n").unwrap();
    let good = dir.join("products_good.csv");
    std::fs::write(&good, "code,name_zh,name_en,line,unit,case_size,tax_rate_bp\nBR-1,浏览器茶,Browser tea,BEV,瓶,12,1300\nBR-2,浏览器水,Browser water,BEV,瓶,24,900\n").unwrap();

    b.testid("import-kind")
        .await
        .select_by_value("products")
        .await
        .unwrap();
    b.testid("import-file")
        .await
        .send_keys(&bad.display().to_string())
        .await
        .unwrap();
    b.testid("import-check").await.click().await.unwrap();
    let problems = b.wait_text("import-problems", "NOPE").await;
    assert!(
        problems.contains("line") || problems.contains("产品线"),
        "{problems}"
    );
    assert_eq!(b.all_testid("import-problem").await.len(), 1);
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM products WHERE code LIKE 'BR-%'")
            .await,
        0
    );

    b.testid("import-file").await.clear().await.unwrap();
    b.testid("import-file")
        .await
        .send_keys(&good.display().to_string())
        .await
        .unwrap();
    b.testid("import-check").await.click().await.unwrap();
    b.wait_text("import-counts", "2").await;
    let confirm = b
        .c()
        .wait()
        .at_most(TIMEOUT)
        .for_element(Locator::Css(
            "[data-testid=\"import-confirm\"]:not([hidden])",
        ))
        .await
        .unwrap();
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM products WHERE code LIKE 'BR-%'")
            .await,
        0,
        "a check writes nothing"
    );
    confirm.click().await.unwrap();
    let started = Instant::now();
    while t
        .count("SELECT COUNT(*) AS n FROM products WHERE code LIKE 'BR-%'")
        .await
        < 2
    {
        assert!(
            started.elapsed() < TIMEOUT,
            "the confirmed import did not arrive"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // a larger file: the page follows the check row by row through the progress endpoint
    let big = dir.join("products_big.csv");
    let mut rows = String::from("code,name_zh,name_en,line,unit,case_size,tax_rate_bp\n");
    for i in 0..3000 {
        rows.push_str(&format!("BP-{i:05},进度{i},Progress {i},BEV,瓶,12,1300\n"));
    }
    std::fs::write(&big, rows).unwrap();
    let file = b.testid("import-file").await;
    file.clear().await.unwrap();
    file.send_keys(&big.display().to_string()).await.unwrap();
    b.testid("import-check").await.click().await.unwrap();
    b.wait_text("import-counts", "3000").await;
    let followed = b
        .js("var b = document.getElementById('import-progress'); return [b.getAttribute('data-total'), b.getAttribute('data-rows')];")
        .await;
    assert_eq!(
        followed[0].as_str(),
        Some("3000"),
        "the page asked the progress endpoint: {followed:?}"
    );
    b.screenshot("import-phone").await;
    b.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
