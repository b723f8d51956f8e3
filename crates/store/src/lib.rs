//! Persistence for salesos on SQLite or PostgreSQL through one code path (sqlx's `Any` driver).
//!
//! Every query that returns business data takes the signed-in person's [`Scope`] and applies it
//! itself (see [`sql::Sql::scope`]), so no caller can forget it.

pub mod approvals;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod bulk;
pub mod catalogue;
pub mod check;
pub mod credit;
pub mod db;
pub mod dealers;
pub mod imports;
pub mod jobs;
pub mod migrate;
pub mod orders;
pub mod org;
pub mod pae_pack;
pub mod people;
pub mod replica;
pub mod reports;
pub mod returns;
pub mod rollups;
pub mod shipments;
pub mod sql;
pub mod targets;
pub mod transfers;
pub mod visits;

pub use db::{now_micros, Backend, Conn, Store, StoreError, WriteTx};
pub use salesos_domain::scope::Scope;
