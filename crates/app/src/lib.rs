//! Use cases: each business operation is one function that opens one transaction, checks
//! permission and scope, applies the domain rules, writes through the store and appends the
//! audit entry. The only place where a business operation happens.

pub mod actor;
pub mod approvals;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod catalogue;
pub mod config;
pub mod credit;
pub mod credit_limits;
pub mod dashboards;
pub mod dates;
pub mod dealers;
pub mod demo;
pub mod demo_history;
pub mod error;
pub mod imports;
pub mod jobs;
pub mod orders;
pub mod org;
pub mod pae_pack;
pub mod password;
pub mod people;
pub mod reports;
pub mod returns;
pub mod shipments;
pub mod targets;
pub mod tokens;
pub mod transfers;
pub mod visits;

pub use actor::{Actor, Via};
pub use config::Config;
pub use error::AppError;

use salesos_store::Store;
use std::sync::Arc;

/// The application: the store plus settings. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub config: Arc<Config>,
}

impl App {
    pub fn new(store: Store, config: Config) -> Self {
        App {
            store,
            config: Arc::new(config),
        }
    }

    /// Today's date in the company's time zone, as `YYYY-MM-DD`.
    pub fn today(&self) -> String {
        chrono::Utc::now()
            .with_timezone(&self.config.time_zone)
            .date_naive()
            .to_string()
    }
}

/// Handlers run on a multi-threaded runtime: operations must stay `Send` (a raw SQL call that
/// is not breaks every handler at once, with an obscure error far away from the cause).
#[cfg(test)]
#[allow(dead_code)]
fn operations_are_send(app: &App, actor: &Actor) {
    fn is_send<T: Send>(_: T) {}
    is_send(auth::sign_out(app, actor));
    is_send(people::deactivate(app, actor, 1));
    is_send(dealers::change_terms(app, actor, 1, Default::default()));
}
