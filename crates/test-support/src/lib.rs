//! Test helpers for salesos: per-test databases and more.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod app;
pub mod billing_fixtures;
pub mod browser;
pub mod builders;
pub mod db;
pub mod order_fixtures;
pub mod report_fixtures;
pub mod return_fixtures;
pub mod target_fixtures;

pub use app::{
    cookie_value, csrf_in_html, html_escape, location, problem, set_cookies, AuditRow, PageSession,
    ProblemDoc, TestApp, DEMO_PASSWORD, ROLE_LOGINS,
};
pub use db::{test_db, TestDb};
