//! Test helpers for salesos: per-test databases and more.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod db;

pub use db::{test_db, TestDb};
