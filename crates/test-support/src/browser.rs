//! The Chromium harness of the browser tests: chromedriver as a child process ([`Driver`]) and
//! one headless Chromium per [`Browser`], with helpers to find elements by `data-testid`, wait
//! for navigation, take screenshots (to `target/screenshots/`) and check phone layouts.
//!
//! Binaries: `SALESOS_CHROMEDRIVER` (default `/usr/bin/chromedriver`) and `SALESOS_CHROMIUM`
//! (default `/usr/bin/chromium`). When they are missing the test fails and says how to install
//! them (`apt-get install -y chromium chromium-driver`).

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long any wait in the harness lasts before the test fails (generous: the machine is shared).
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The path in `var`, or `default`; fails the test with install advice when there is no file.
pub fn binary(var: &str, default: &str) -> PathBuf {
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

/// Where screenshots go: `target/screenshots/` (or under `CARGO_TARGET_DIR`).
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("screenshots")
}

/// chromedriver as a child process on a free port; killed when dropped.
pub struct Driver {
    child: Child,
    /// The driver's base URL, `http://127.0.0.1:<port>`.
    pub url: String,
}

impl Driver {
    /// Starts chromedriver and waits until it answers `/status`.
    pub async fn start() -> Driver {
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
pub struct Browser {
    client: Option<Client>,
    profile: PathBuf,
    driver_url: String,
}

impl Browser {
    /// A desktop window of `width`×`height`, or with `phone` an emulated phone viewport of that
    /// size.
    pub async fn open(driver: &Driver, width: u32, height: u32, phone: bool) -> Browser {
        // tests of one binary run in parallel: each browser gets a profile of its own
        static OPENED: AtomicU32 = AtomicU32::new(0);
        let chromium = binary("SALESOS_CHROMIUM", "/usr/bin/chromium");
        let profile = std::env::temp_dir().join(format!(
            "salesos-chromium-{}-{}",
            std::process::id(),
            OPENED.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).unwrap();
        let mut options = json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions",
                format!("--user-data-dir={}", profile.display()),
                format!("--window-size={width},{height}"),
            ],
        });
        if phone {
            // A window cannot be made narrower than Chromium's minimum (about 500 px); a phone's
            // viewport is emulated instead.
            options["mobileEmulation"] = json!({
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0, "mobile": true, "touch": true },
            });
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| panic!("opening a Chromium session through chromedriver: {e}"));
        Browser {
            client: Some(client),
            profile,
            driver_url: driver.url.clone(),
        }
    }

    /// The WebDriver client.
    pub fn c(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    /// Ends the browser session.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }

    /// Waits for the element with `data-testid="{id}"`; on failure prints the page.
    pub async fn testid(&self, id: &str) -> Element {
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

    /// Every element with `data-testid="{id}"` on the page now (no waiting).
    pub async fn all_testid(&self, id: &str) -> Vec<Element> {
        self.c()
            .find_all(Locator::Css(&format!("[data-testid=\"{id}\"]")))
            .await
            .unwrap()
    }

    /// The text of the element with `data-testid="{id}"`.
    pub async fn text_of(&self, id: &str) -> String {
        self.testid(id).await.text().await.unwrap()
    }

    /// Waits until the element with `data-testid="{id}"` shows `want`; returns its text.
    pub async fn wait_text(&self, id: &str, want: &str) -> String {
        let started = Instant::now();
        loop {
            if let Ok(e) = self
                .c()
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

    /// Signs `login` in with the demo password from the sign-in page at `signin_url`.
    pub async fn sign_in(&self, signin_url: &str, login: &str) {
        self.c().goto(signin_url).await.unwrap();
        self.submit_sign_in(login).await;
    }

    /// Fills in the sign-in form already on screen and waits for the home page.
    pub async fn submit_sign_in(&self, login: &str) {
        self.testid("login").await.send_keys(login).await.unwrap();
        self.testid("password")
            .await
            .send_keys(crate::DEMO_PASSWORD)
            .await
            .unwrap();
        self.testid("signin-submit").await.click().await.unwrap();
        self.testid("home").await;
    }

    /// The page's language (`<html lang>`).
    pub async fn lang(&self) -> String {
        let html = self.c().find(Locator::Css("html")).await.unwrap();
        html.attr("lang").await.unwrap().unwrap_or_default()
    }

    /// Waits until the browser shows a path that `accept` likes; returns it.
    pub async fn wait_path(&self, accept: impl Fn(&str) -> bool, what: &str) -> String {
        let started = Instant::now();
        loop {
            if let Ok(url) = self.c().current_url().await {
                if accept(url.path()) {
                    return url.path().to_string();
                }
            }
            assert!(
                started.elapsed() < TIMEOUT,
                "the browser did not reach {what}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the browser shows `path` in the page language `lang` (after a click that
    /// navigates, such as the language switch).
    pub async fn wait_page(&self, path: &str, lang: &str) {
        let started = Instant::now();
        loop {
            let at = self
                .c()
                .current_url()
                .await
                .ok()
                .map(|u| u.path().to_string());
            let html_lang = match self.c().find(Locator::Css("html")).await {
                Ok(h) => h.attr("lang").await.ok().flatten(),
                Err(_) => None,
            };
            if at.as_deref() == Some(path) && html_lang.as_deref() == Some(lang) {
                return;
            }
            assert!(
                started.elapsed() < TIMEOUT,
                "the browser did not reach {path} in {lang} (at {at:?}, {html_lang:?})"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs `script` in the page and returns its result.
    pub async fn js(&self, script: &str) -> Value {
        self.c().execute(script, vec![]).await.unwrap()
    }

    /// Switches the page to print media through the DevTools protocol, as the print dialog does.
    pub async fn emulate_print(&self, on: bool) {
        let session = self.c().session_id().await.unwrap().unwrap();
        let res = reqwest::Client::new()
            .post(format!(
                "{}/session/{session}/goog/cdp/execute",
                self.driver_url
            ))
            .json(&json!({
                "cmd": "Emulation.setEmulatedMedia",
                "params": { "media": if on { "print" } else { "" } },
            }))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{:?}", res.text().await);
        let printing = self.js("return window.matchMedia('print').matches;").await;
        assert_eq!(printing, json!(on), "print media emulated");
    }

    /// How many elements matching `selector` a person would see.
    pub async fn visible(&self, selector: &str) -> i64 {
        let script = format!(
            "return Array.from(document.querySelectorAll({selector:?})).filter(e => {{ const s = getComputedStyle(e); return s.display !== 'none' && s.visibility !== 'hidden' && e.getClientRects().length > 0; }}).length;"
        );
        self.js(&script).await.as_i64().unwrap()
    }

    /// Saves a PNG screenshot as `screenshot_dir()/{name}.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
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
    /// button; open it as a person would. Does nothing unless `phone`.
    pub async fn open_menu(&self, phone: bool) {
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
    pub async fn assert_fits_width(&self, what: &str) {
        let v = self
            .js("return [document.documentElement.scrollWidth, window.innerWidth];")
            .await;
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
