//! In a real browser (headless Chromium): the home pages of a director (desktop) and of a rep
//! (phone width) render their scoreboard with server-drawn SVG charts, in Chinese and in English,
//! with the month's focus, and nothing sticks out sideways on the phone. Screenshots go to
//! `target/screenshots/`. (The driver and browser harness is the one of `browser.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use salesos_domain::people::Locale;
use salesos_test_support::target_fixtures::scoreboard;
use salesos_test_support::{TestApp, DEMO_PASSWORD};
use salesos_web::i18n::Tr;
use serde_json::json;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);

fn binary(var: &str, default: &str) -> PathBuf {
    let path = std::env::var(var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string());
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "{} not found at {} — install Chromium and its driver (`apt-get update && apt-get install -y chromium chromium-driver`) or point {var} at it",
        if var.contains("DRIVER") { "chromedriver" } else { "Chromium" },
        path.display()
    );
    path
}

/// chromedriver as a child process on a free port; killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    async fn start() -> Driver {
        let exe = binary("SALESOS_CHROMEDRIVER", "/usr/bin/chromedriver");
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        // In a process group of its own, so that dropping the driver also ends the browsers it
        // started, even when a failed assertion skipped closing them.
        let child = Command::new(&exe)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", exe.display()));
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(res) = http.get(format!("{}/status", driver.url)).send().await {
                if res.status().is_success() {
                    break;
                }
            }
            assert!(
                started.elapsed() < TIMEOUT,
                "chromedriver did not start within {TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // the group's id is the driver's pid (process_group(0))
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser with its own fresh profile directory (removed when dropped).
struct Browser {
    client: Option<Client>,
    profile: PathBuf,
}

impl Browser {
    async fn open(driver: &Driver, width: u32, height: u32, phone: bool) -> Browser {
        let chromium = binary("SALESOS_CHROMIUM", "/usr/bin/chromium");
        let profile =
            std::env::temp_dir().join(format!("salesos-chromium-{}-{width}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-extensions",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--window-size={width},{height}"),
                ],
            }),
        );
        if phone {
            // A window cannot be made narrower than Chromium's minimum (about 500 px); a phone's
            // viewport is emulated instead.
            let options = caps.get_mut("goog:chromeOptions").unwrap();
            options["mobileEmulation"] = json!({
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0, "mobile": true, "touch": true },
            });
        }
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| panic!("opening a Chromium session through chromedriver: {e}"));
        Browser {
            client: Some(client),
            profile,
        }
    }

    fn c(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }

    async fn testid(&self, id: &str) -> fantoccini::elements::Element {
        let found = self
            .c()
            .wait()
            .at_most(TIMEOUT)
            .for_element(Locator::Css(&format!("[data-testid=\"{id}\"]")))
            .await;
        match found {
            Ok(element) => element,
            Err(e) => {
                let url = self.c().current_url().await.ok();
                let source = self.c().source().await.unwrap_or_default();
                panic!("no element data-testid={id} on {url:?}: {e}\n{source}")
            }
        }
    }

    /// Waits until the page's language is `code` (after a click that navigates).
    async fn wait_lang(&self, code: &str) {
        let started = Instant::now();
        loop {
            let lang = match self.c().find(Locator::Css("html")).await {
                Ok(html) => html.attr("lang").await.ok().flatten(),
                Err(_) => None,
            };
            if let Some(lang) = lang {
                if lang == code
                    && self
                        .c()
                        .find(Locator::Css("[data-testid=\"home\"]"))
                        .await
                        .is_ok()
                {
                    return;
                }
            }
            assert!(
                started.elapsed() < TIMEOUT,
                "the page did not switch to {code}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_path(&self, path: &str) {
        let started = Instant::now();
        loop {
            if let Ok(url) = self.c().current_url().await {
                if url.path() == path {
                    return;
                }
            }
            assert!(
                started.elapsed() < TIMEOUT,
                "the browser did not reach {path}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.c().screenshot().await.unwrap();
        assert!(png.len() > 1000, "{name}: the screenshot is not empty");
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{name}: the screenshot is a PNG"
        );
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, &png).unwrap();
        let written = std::fs::metadata(&path).unwrap().len();
        assert_eq!(written, png.len() as u64);
        path
    }

    /// On a narrow screen the header (name, language switch, sign-out) sits behind the menu
    /// button; open it as a person would.
    async fn open_menu(&self, phone: bool) {
        if !phone {
            return;
        }
        let toggle = self
            .c()
            .wait()
            .at_most(TIMEOUT)
            .for_element(Locator::Css(".menu-toggle"))
            .await
            .expect("a menu button on a narrow screen");
        assert!(
            toggle.is_displayed().await.unwrap(),
            "the menu button is visible on a phone"
        );
        if toggle.attr("aria-expanded").await.unwrap().as_deref() != Some("true") {
            toggle.click().await.unwrap();
        }
        let who = self.testid("who-name").await;
        let started = Instant::now();
        while !who.is_displayed().await.unwrap() {
            assert!(started.elapsed() < TIMEOUT, "the menu did not open");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// On a phone-width window nothing may stick out sideways.
    async fn assert_fits_width(&self, what: &str) {
        let v = self
            .c()
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                vec![],
            )
            .await
            .unwrap();
        let (scroll, inner) = (v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
        assert!(
            inner <= 400.0,
            "{what}: the viewport is phone-sized, not {inner}px"
        );
        assert!(
            scroll <= inner + 1.0,
            "{what}: the page is {scroll}px wide in a {inner}px window"
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("screenshots")
}

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
            .c()
            .execute("return document.querySelector('[data-testid=\"chart-trend\"]').getBoundingClientRect().width;", vec![])
            .await
            .unwrap()
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
    b.c().goto(&t.url("/signin?lang=zh-CN")).await.unwrap();
    b.testid("login").await.send_keys(login).await.unwrap();
    b.testid("password")
        .await
        .send_keys(DEMO_PASSWORD)
        .await
        .unwrap();
    b.testid("signin-submit").await.click().await.unwrap();
    b.testid("home").await;
    b.wait_path("/").await;
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
    b.wait_lang("en").await;
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
