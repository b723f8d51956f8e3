//! The import page in headless Chromium at phone width: upload a file with problems (the
//! problems table lists them, nothing is written), then a good file: check, confirm, imported.
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (`apt-get install -y chromium
//! chromium-driver`), like `browser.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use salesos_test_support::{TestApp, DEMO_PASSWORD};
use serde_json::json;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);

/// chromedriver in a process group of its own, killed (with its browsers) when dropped.
struct Driver(std::process::Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_text(c: &fantoccini::Client, id: &str, want: &str) -> String {
    let started = Instant::now();
    loop {
        if let Ok(e) = c
            .find(Locator::Css(&format!("[data-testid=\"{id}\"]")))
            .await
        {
            let text = e.text().await.unwrap_or_default();
            if text.contains(want) {
                return text;
            }
        }
        assert!(started.elapsed() < TIMEOUT, "{id} never showed {want:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn upload_check_and_confirm_in_chromium_at_phone_width() {
    let t = TestApp::spawn().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _driver = Driver(
        Command::new("/usr/bin/chromedriver")
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (apt-get install -y chromium chromium-driver)"),
    );
    let profile =
        std::env::temp_dir().join(format!("salesos-import-chromium-{}", std::process::id()));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.display())],
            "mobileEmulation": { "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 1.0, "mobile": true, "touch": true } },
        }),
    );
    let started = Instant::now();
    let c = loop {
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => break c,
            Err(e) => {
                assert!(started.elapsed() < TIMEOUT, "chromedriver: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };

    c.goto(&t.url("/signin")).await.unwrap();
    let by = |id: &str| format!("[data-testid=\"{id}\"]");
    c.wait()
        .at_most(TIMEOUT)
        .for_element(Locator::Css(&by("login")))
        .await
        .unwrap()
        .send_keys("admin")
        .await
        .unwrap();
    c.find(Locator::Css(&by("password")))
        .await
        .unwrap()
        .send_keys(DEMO_PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css(&by("signin-submit")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(TIMEOUT)
        .for_element(Locator::Css(&by("home")))
        .await
        .unwrap();
    c.goto(&t.url("/imports")).await.unwrap();
    c.wait()
        .at_most(TIMEOUT)
        .for_element(Locator::Css(&by("imports")))
        .await
        .unwrap();
    // the page fits a phone
    let overflow: bool = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth + 1;",
            vec![],
        )
        .await
        .unwrap()
        .as_bool()
        .unwrap();
    assert!(!overflow, "the import page is wider than a phone");

    let dir = std::env::temp_dir().join(format!("salesos-import-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("products_bad.csv");
    std::fs::write(&bad, "code,name_zh,name_en,line,unit,case_size,tax_rate_bp\nBR-1,浏览器茶,Browser tea,NOPE,瓶,12,1300\n").unwrap();
    let good = dir.join("products_good.csv");
    std::fs::write(&good, "code,name_zh,name_en,line,unit,case_size,tax_rate_bp\nBR-1,浏览器茶,Browser tea,BEV,瓶,12,1300\nBR-2,浏览器水,Browser water,BEV,瓶,24,900\n").unwrap();

    let kind = c.find(Locator::Css(&by("import-kind"))).await.unwrap();
    kind.select_by_value("products").await.unwrap();
    c.find(Locator::Css(&by("import-file")))
        .await
        .unwrap()
        .send_keys(&bad.display().to_string())
        .await
        .unwrap();
    c.find(Locator::Css(&by("import-check")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let problems = wait_text(&c, "import-problems", "NOPE").await;
    assert!(
        problems.contains("line") || problems.contains("产品线"),
        "{problems}"
    );
    assert_eq!(
        c.find_all(Locator::Css(&by("import-problem")))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM products WHERE code LIKE 'BR-%'")
            .await,
        0
    );

    c.find(Locator::Css(&by("import-file")))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    c.find(Locator::Css(&by("import-file")))
        .await
        .unwrap()
        .send_keys(&good.display().to_string())
        .await
        .unwrap();
    c.find(Locator::Css(&by("import-check")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "import-counts", "2").await;
    let confirm = c
        .wait()
        .at_most(TIMEOUT)
        .for_element(Locator::Css(&format!(
            "{}:not([hidden])",
            by("import-confirm")
        )))
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
    let png = c.screenshot().await.unwrap();
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::write(shots.join("import-phone.png"), png).unwrap();
    c.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    let _ = std::fs::remove_dir_all(&dir);
}
