//! Order to cash in a real browser (headless Chromium through chromedriver): change an order's
//! lines and watch the credit check run again; record a payment and see where it went; print an
//! invoice and a reconciliation statement without the navigation and the buttons; and the same
//! pages at phone width. Screenshots go to `target/screenshots/`.
//!
//! Binaries as in `browser.rs`: `SALESOS_CHROMEDRIVER` (default `/usr/bin/chromedriver`) and
//! `SALESOS_CHROMIUM` (default `/usr/bin/chromium`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use salesos_domain::people::Locale;
use salesos_test_support::billing_fixtures::{confirmed_order, shipment, Stage};
use salesos_test_support::order_fixtures::{catalogue, dealer};
use salesos_test_support::{TestApp, DEMO_PASSWORD};
use salesos_web::i18n::Tr;
use serde_json::{json, Value};
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
        "{} not found at {} — install Chromium and its driver (`apt-get install -y chromium chromium-driver`) or point {var} at it",
        if var.contains("DRIVER") { "chromedriver" } else { "Chromium" },
        path.display()
    );
    path
}

/// chromedriver in a process group of its own on a free port; the group is killed when dropped.
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
            assert!(started.elapsed() < TIMEOUT, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
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

struct Browser {
    client: Option<Client>,
    profile: PathBuf,
    driver_url: String,
}

impl Browser {
    async fn open(driver: &Driver, tag: &str, width: u32, height: u32, phone: bool) -> Browser {
        let chromium = binary("SALESOS_CHROMIUM", "/usr/bin/chromium");
        let profile =
            std::env::temp_dir().join(format!("salesos-osb-chromium-{}-{tag}", std::process::id()));
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
            .unwrap_or_else(|e| panic!("opening a Chromium session: {e}"));
        Browser {
            client: Some(client),
            profile,
            driver_url: driver.url.clone(),
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

    async fn sign_in(&self, t: &TestApp, login: &str) {
        self.c().goto(&t.url("/signin")).await.unwrap();
        self.testid("login").await.send_keys(login).await.unwrap();
        self.testid("password")
            .await
            .send_keys(DEMO_PASSWORD)
            .await
            .unwrap();
        self.testid("signin-submit").await.click().await.unwrap();
        self.testid("home").await;
    }

    /// Waits until the browser shows a path that `accept` likes; returns it.
    async fn wait_path(&self, accept: impl Fn(&str) -> bool, what: &str) -> String {
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

    async fn js(&self, script: &str) -> Value {
        self.c().execute(script, vec![]).await.unwrap()
    }

    /// Switches the page to print media through the DevTools protocol, as the print dialog does.
    async fn emulate_print(&self, on: bool) {
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
    async fn visible(&self, selector: &str) -> i64 {
        let script = format!(
            "return Array.from(document.querySelectorAll({selector:?})).filter(e => {{ const s = getComputedStyle(e); return s.display !== 'none' && s.visibility !== 'hidden' && e.getClientRects().length > 0; }}).length;"
        );
        self.js(&script).await.as_i64().unwrap()
    }

    async fn screenshot(&self, name: &str) {
        let png = self.c().screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}: a PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), &png).unwrap();
    }

    async fn assert_fits_width(&self, what: &str) {
        let v = self
            .js("return [document.documentElement.scrollWidth, window.innerWidth];")
            .await;
        let (scroll, inner) = (v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
        assert!(inner <= 400.0, "{what}: the viewport is phone-sized");
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

#[tokio::test]
async fn editing_an_order_line_runs_the_credit_check_again() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    // the limit fits 50 units at 1.00
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 5_000).await;
    let order = confirmed_order(&t, d, c.product, 10).await;
    let driver = Driver::start().await;
    let b = Browser::open(&driver, "order", 1280, 900, false).await;
    b.sign_in(&t, "desk").await;
    b.c()
        .goto(&t.url(&format!("/orders/{order}")))
        .await
        .unwrap();
    let zh = Tr::new(Locale::ZhCn);
    let confirmed = zh.tk("order_status", "confirmed");
    let status = b.testid("order-status").await.text().await.unwrap();
    assert_eq!(status, confirmed, "confirmed before the change");
    assert_eq!(b.visible("[data-testid=\"order-hold\"]").await, 0);
    b.testid("order-edit-lines").await.click().await.unwrap();
    let qty = b.testid("edit-quantity-1").await;
    qty.clear().await.unwrap();
    qty.send_keys("100").await.unwrap();
    b.screenshot("osb-order-edit-lines").await;
    b.testid("order-save-lines").await.click().await.unwrap();
    // back on the order: the new total is over the limit, so it waits on a credit hold
    let started = Instant::now();
    loop {
        let s = b
            .testid("order-status")
            .await
            .text()
            .await
            .unwrap_or_default();
        if s != confirmed {
            assert_eq!(
                s,
                zh.tk("order_status", "on_hold"),
                "the order went on hold"
            );
            break;
        }
        assert!(started.elapsed() < TIMEOUT, "the status did not change");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        b.testid("order-total").await.text().await.unwrap(),
        "100.00"
    );
    let hold = b.testid("order-hold").await;
    assert_eq!(
        hold.attr("data-status").await.unwrap().as_deref(),
        Some("open")
    );
    assert!(hold
        .text()
        .await
        .unwrap()
        .contains(&zh.tk("hold_kind", "credit")));
    b.screenshot("osb-order-on-hold").await;
    let o = salesos_app::orders::get(&t.app, &t.actor("desk").await, order)
        .await
        .unwrap();
    assert_eq!(o.order.status, "on_hold");
    assert_eq!(o.lines[0].quantity, 100);
    b.close().await;

    // the same page at phone width: nothing sticks out sideways
    let phone = Browser::open(&driver, "order-phone", 375, 740, true).await;
    phone.sign_in(&t, "desk").await;
    phone
        .c()
        .goto(&t.url(&format!("/orders/{order}")))
        .await
        .unwrap();
    phone.testid("order-show").await;
    phone.assert_fits_width("the order page").await;
    phone.screenshot("osb-order-phone").await;
    phone.close().await;
}

#[tokio::test]
async fn a_recorded_payment_shows_its_allocations() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let order = confirmed_order(&t, d, c.product, 10).await;
    let (_, first) = shipment(&t, order, 3, Stage::Invoiced).await;
    let (_, second) = shipment(&t, order, 4, Stage::Invoiced).await;
    let driver = Driver::start().await;
    let b = Browser::open(&driver, "payment", 1280, 900, false).await;
    b.sign_in(&t, "billing").await;
    b.c()
        .goto(&t.url(&format!("/dealers/{d}/receivables")))
        .await
        .unwrap();
    let form = b.testid("payment-form").await;
    form.find(Locator::Css("input[name=amount]"))
        .await
        .unwrap()
        .send_keys("5.00")
        .await
        .unwrap();
    form.find(Locator::Css("input[name=reference]"))
        .await
        .unwrap()
        .send_keys("ICBC-20261130")
        .await
        .unwrap();
    b.testid("payment-record").await.click().await.unwrap();
    let path = b
        .wait_path(|p| p.starts_with("/payments/"), "the payment's page")
        .await;
    b.testid("payment-allocations").await;
    let rows = b
        .c()
        .find_all(Locator::Css("[data-testid=\"allocation-row\"]"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2, "oldest first: both invoices get a share");
    let first_row = rows[0].text().await.unwrap();
    let second_row = rows[1].text().await.unwrap();
    assert!(first_row.contains("3.00"), "{first_row}");
    assert!(second_row.contains("2.00"), "{second_row}");
    assert_eq!(
        b.testid("payment-allocated").await.text().await.unwrap(),
        "5.00"
    );
    assert_eq!(
        b.testid("payment-unallocated").await.text().await.unwrap(),
        "0.00"
    );
    b.screenshot("osb-payment-allocations").await;
    // the allocation leads to the invoice, which shows the payment and what is left
    rows[1]
        .find(Locator::Css("a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let second = second.unwrap();
    b.wait_path(|p| p == format!("/invoices/{second}"), "the invoice")
        .await;
    assert_eq!(b.testid("invoice-open").await.text().await.unwrap(), "2.00");
    let allocations = b.testid("invoice-allocations").await.text().await.unwrap();
    assert!(allocations.contains("2.00"), "{allocations}");
    let _ = first;
    let id: i64 = path.trim_start_matches("/payments/").parse().unwrap();
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) AS n FROM payment_allocations WHERE payment_id = {id}"
        ))
        .await,
        2
    );
    b.close().await;

    let phone = Browser::open(&driver, "payment-phone", 375, 740, true).await;
    phone.sign_in(&t, "billing").await;
    phone.c().goto(&t.url(&path)).await.unwrap();
    phone.testid("payment-allocations").await;
    phone.assert_fits_width("the payment page").await;
    phone.c().goto(&t.url("/payments")).await.unwrap();
    phone.testid("payments-table").await;
    phone.assert_fits_width("the payment list").await;
    phone.screenshot("osb-payments-phone").await;
    phone.close().await;
}

#[tokio::test]
async fn invoices_and_statements_print_without_navigation_or_buttons() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 1_000_000).await;
    let order = confirmed_order(&t, d, c.product, 10).await;
    let (_, invoice) = shipment(&t, order, 5, Stage::Invoiced).await;
    let invoice = invoice.unwrap();
    let driver = Driver::start().await;
    let b = Browser::open(&driver, "print", 1280, 900, false).await;
    b.sign_in(&t, "billing").await;
    b.c()
        .goto(&t.url(&format!("/invoices/{invoice}")))
        .await
        .unwrap();
    b.testid("invoice-show").await;
    // on screen: navigation, the print button and the forms are there
    assert_eq!(b.visible("header.topbar").await, 1);
    assert!(b.visible("button").await > 0);
    assert_eq!(b.visible("[data-testid=\"invoice-print\"]").await, 1);
    b.emulate_print(true).await;
    assert_eq!(b.visible("header.topbar").await, 0, "no header in print");
    assert_eq!(b.visible("nav").await, 0, "no navigation in print");
    assert_eq!(b.visible("button").await, 0, "no buttons in print");
    assert_eq!(b.visible("form").await, 0, "no forms in print");
    assert_eq!(
        b.visible("[data-testid=\"invoice-show\"] table").await,
        1,
        "the lines print"
    );
    assert_eq!(
        b.visible("[data-testid=\"invoice-gross\"]").await,
        1,
        "the total prints"
    );
    // the document spans the page (A4 minus margins), not a card in the middle of it
    let widths = b
        .js("const e = document.querySelector('[data-testid=\"invoice-show\"]'); return [e.getBoundingClientRect().width, document.documentElement.clientWidth];")
        .await;
    let (card, page) = (widths[0].as_f64().unwrap(), widths[1].as_f64().unwrap());
    assert!(
        card >= page * 0.9,
        "the invoice uses the page width: {card} of {page}"
    );
    b.screenshot("osb-invoice-print").await;
    b.emulate_print(false).await;
    assert_eq!(b.visible("header.topbar").await, 1, "back on screen");
    b.close().await;

    // the reconciliation statement prints the same way
    let s = Browser::open(&driver, "statement", 1280, 900, false).await;
    s.sign_in(&t, "director").await;
    s.c()
        .goto(&t.url(&format!("/reports/statements/{d}")))
        .await
        .unwrap();
    s.testid("report-statement").await;
    assert!(s.visible("button, .button").await > 0);
    s.emulate_print(true).await;
    assert_eq!(s.visible("header.topbar").await, 0);
    assert_eq!(s.visible("nav").await, 0);
    assert_eq!(
        s.visible("button, .button").await,
        0,
        "no buttons or export links in print"
    );
    assert_eq!(s.visible("form").await, 0);
    assert!(s.visible("[data-testid=\"report-statement\"] table").await >= 1);
    s.screenshot("osb-statement-print").await;
    s.close().await;
}
