//! In a real browser (headless Chromium through chromedriver): sign in, see the home page,
//! switch the language, sign out — on a desktop window and on a phone-width one, with
//! screenshots saved to `target/screenshots/`.
//!
//! Binaries: `SALESOS_CHROMEDRIVER` (default `/usr/bin/chromedriver`) and `SALESOS_CHROMIUM`
//! (default `/usr/bin/chromium`). When they are missing the test fails and says how to install
//! them (`apt-get install -y chromium chromium-driver`); CI installs them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use salesos_domain::people::Locale;
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

    async fn text_of(&self, id: &str) -> String {
        self.testid(id).await.text().await.unwrap()
    }

    async fn lang(&self) -> String {
        let html = self.c().find(Locator::Css("html")).await.unwrap();
        html.attr("lang").await.unwrap().unwrap_or_default()
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
    b.testid("login").await.send_keys(j.login).await.unwrap();
    b.testid("password")
        .await
        .send_keys(DEMO_PASSWORD)
        .await
        .unwrap();
    b.testid("signin-submit").await.click().await.unwrap();

    // The home page, in the person's own language (Chinese for the demo people).
    b.testid("home").await;
    b.wait_path("/").await;
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
    b.wait_lang("en").await;
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
        b.wait_lang("zh-CN").await;
        assert_eq!(b.text_of("home-role").await, zh.tk("role", &role));
        "zh-CN"
    };
    assert_eq!(t.person(j.login).await.locale, final_lang);

    // Sign out: back on the sign-in page, and the home page is closed again.
    b.open_menu(j.phone).await;
    b.testid("sign-out").await.click().await.unwrap();
    b.wait_path("/signin").await;
    b.testid("login").await;
    assert_eq!(
        b.lang().await,
        final_lang,
        "the sign-in page keeps the chosen language"
    );
    b.screenshot(&format!("{tag}-4-signed-out")).await;
    b.c().goto(&t.url("/")).await.unwrap();
    b.wait_path("/signin").await;
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
