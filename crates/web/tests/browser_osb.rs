//! Order to cash in a real browser (headless Chromium through chromedriver): change an order's
//! lines and watch the credit check run again; record a payment and see where it went; print an
//! invoice and a reconciliation statement without the navigation and the buttons; and the same
//! pages at phone width. Screenshots go to `target/screenshots/`.
//!
//! The harness (binaries, driver, browser) is `salesos_test_support::browser`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fantoccini::Locator;
use salesos_domain::people::Locale;
use salesos_test_support::billing_fixtures::{confirmed_order, shipment, Stage};
use salesos_test_support::browser::{Browser, Driver, TIMEOUT};
use salesos_test_support::order_fixtures::{catalogue, dealer};
use salesos_test_support::TestApp;
use salesos_web::i18n::Tr;
use std::time::{Duration, Instant};

#[tokio::test]
async fn editing_an_order_line_runs_the_credit_check_again() {
    let t = TestApp::spawn().await;
    let c = catalogue(&t, 100).await;
    // the limit fits 50 units at 1.00
    let d = dealer(&t, "C-SH1", "rep.sh1.1", 5_000).await;
    let order = confirmed_order(&t, d, c.product, 10).await;
    let driver = Driver::start().await;
    let b = Browser::open(&driver, 1280, 900, false).await;
    b.sign_in(&t.url("/signin"), "desk").await;
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
        // an empty text is the old page going away while the new one loads
        if !s.is_empty() && s != confirmed {
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
    let phone = Browser::open(&driver, 375, 740, true).await;
    phone.sign_in(&t.url("/signin"), "desk").await;
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
    let b = Browser::open(&driver, 1280, 900, false).await;
    b.sign_in(&t.url("/signin"), "billing").await;
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
    let rows = b.all_testid("allocation-row").await;
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

    let phone = Browser::open(&driver, 375, 740, true).await;
    phone.sign_in(&t.url("/signin"), "billing").await;
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
    let b = Browser::open(&driver, 1280, 900, false).await;
    b.sign_in(&t.url("/signin"), "billing").await;
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
    let s = Browser::open(&driver, 1280, 900, false).await;
    s.sign_in(&t.url("/signin"), "director").await;
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
