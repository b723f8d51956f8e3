//! Per-test databases, so tests never share one and can run in parallel.
//!
//! The backend is chosen by `SALESOS_TEST_DB`: `sqlite` (the default) gives each test a fresh
//! file in its own temporary directory; `postgres` gives each test a database cloned from a
//! migrated template (`salesos_tpl_<schema fingerprint>`, built once and rebuilt only when the
//! migrations change) on the server at `SALESOS_TEST_PG_URL`. Dropping the [`TestDb`] removes
//! the file or drops the database.

use anyhow::{bail, Context, Result};
use rand::Rng;
use salesos_store::{migrate, Store};
use sqlx::{Connection, Executor, PgConnection, Row};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

/// The admin connection used when `SALESOS_TEST_PG_URL` is not set (local server, trust auth).
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Prefix of every per-test PostgreSQL database; `scripts/test` drops leftovers by it.
pub const TEST_DB_PREFIX: &str = "salesos_t_";

/// Prefix of the template databases.
pub const TEMPLATE_PREFIX: &str = "salesos_tpl_";

/// Key of the session-level advisory lock that serialises template builds across processes.
const TEMPLATE_LOCK_KEY: i64 = 0x5a1e_5050_7e57;

/// Set once this process has made sure the template exists.
static TEMPLATE_READY: AtomicBool = AtomicBool::new(false);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

impl TestBackend {
    /// The backend chosen by `SALESOS_TEST_DB` (`sqlite` when unset or empty).
    pub fn from_env() -> Result<TestBackend> {
        match std::env::var("SALESOS_TEST_DB") {
            Err(std::env::VarError::NotPresent) => Ok(TestBackend::Sqlite),
            Err(e) => bail!("SALESOS_TEST_DB: {e}"),
            Ok(v) => match v.trim().to_ascii_lowercase().as_str() {
                "" | "sqlite" => Ok(TestBackend::Sqlite),
                "postgres" | "postgresql" | "pg" => Ok(TestBackend::Postgres),
                other => bail!("SALESOS_TEST_DB={other:?}: expected `sqlite` or `postgres`"),
            },
        }
    }
}

/// One test's own database. The store is connected (and, from [`test_db`], migrated).
pub struct TestDb {
    pub url: String,
    pub store: Store,
    cleanup: Cleanup,
}

enum Cleanup {
    /// The temporary directory that holds the SQLite file.
    Dir(PathBuf),
    /// The per-test PostgreSQL database and the admin URL to drop it through.
    Postgres { admin_url: String, name: String },
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb")
            .field("url", &salesos_store::db::redact_url(&self.url))
            .field("backend", &self.store.backend())
            .finish()
    }
}

impl TestDb {
    pub fn backend(&self) -> salesos_store::Backend {
        self.store.backend()
    }
}

/// A fresh, migrated database for one test on the backend chosen by `SALESOS_TEST_DB`.
/// Panics (failing the test) with the reason when the database cannot be made.
pub async fn test_db() -> TestDb {
    match make(true).await {
        Ok(db) => db,
        Err(e) => panic!("cannot create the test database: {e:#}"),
    }
}

/// A fresh database with no tables at all (migrations not run), for testing migrations.
pub async fn empty_test_db() -> TestDb {
    match make(false).await {
        Ok(db) => db,
        Err(e) => panic!("cannot create the empty test database: {e:#}"),
    }
}

async fn make(migrated: bool) -> Result<TestDb> {
    match TestBackend::from_env()? {
        TestBackend::Sqlite => sqlite_db(migrated).await,
        TestBackend::Postgres => postgres_db(migrated).await,
    }
}

fn random_suffix() -> String {
    format!("{:016x}", rand::thread_rng().gen::<u64>())
}

async fn sqlite_db(migrated: bool) -> Result<TestDb> {
    let dir = std::env::temp_dir().join(format!("salesos-test-{}", random_suffix()));
    std::fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
    // From here on the directory is removed on every path, including errors.
    let cleanup = Cleanup::Dir(dir.clone());
    let file = dir.join("salesos.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let store = match connect(&url, migrated).await {
        Ok(store) => store,
        Err(e) => {
            cleanup.run();
            return Err(e);
        }
    };
    Ok(TestDb {
        url,
        store,
        cleanup,
    })
}

async fn connect(url: &str, migrated: bool) -> Result<Store> {
    let store = Store::connect(url)
        .await
        .with_context(|| format!("connecting to {}", salesos_store::db::redact_url(url)))?;
    if migrated {
        migrate::run(&store).await.context("running migrations")?;
    }
    Ok(store)
}

fn pg_admin_url() -> String {
    std::env::var("SALESOS_TEST_PG_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_PG_URL.to_string())
}

/// The name of the template database for the current migrations.
pub fn template_name() -> String {
    format!("{TEMPLATE_PREFIX}{}", migrate::schema_fingerprint())
}

async fn postgres_db(migrated: bool) -> Result<TestDb> {
    let admin_url = pg_admin_url();
    let mut admin = PgConnection::connect(&admin_url).await.with_context(|| {
        format!(
            "connecting to PostgreSQL at {} (set SALESOS_TEST_PG_URL)",
            salesos_store::db::redact_url(&admin_url)
        )
    })?;
    let name = format!("{TEST_DB_PREFIX}{}", random_suffix());
    let create = if migrated {
        let template = template_name();
        if !TEMPLATE_READY.load(Ordering::Acquire) {
            ensure_template(&mut admin, &admin_url, &template).await?;
            TEMPLATE_READY.store(true, Ordering::Release);
        }
        format!("CREATE DATABASE {name} TEMPLATE {template}")
    } else {
        format!("CREATE DATABASE {name} TEMPLATE template0")
    };
    admin
        .execute(create.as_str())
        .await
        .with_context(|| format!("creating database {name}"))?;
    let _ = admin.close().await;
    let cleanup = Cleanup::Postgres {
        admin_url: admin_url.clone(),
        name: name.clone(),
    };
    let url = with_database(&admin_url, &name);
    // The clone is already migrated; connect only.
    let store = match connect(&url, false).await {
        Ok(store) => store,
        Err(e) => {
            cleanup.run();
            return Err(e);
        }
    };
    Ok(TestDb {
        url,
        store,
        cleanup,
    })
}

/// Makes sure the migrated template exists. Several test processes may call this at once: the
/// advisory lock lets one build it while the others wait, then they all see it in pg_database.
/// It is built under a temporary name and renamed when complete, so a build interrupted by a
/// crash never leaves a half-migrated template behind.
async fn ensure_template(admin: &mut PgConnection, admin_url: &str, template: &str) -> Result<()> {
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(TEMPLATE_LOCK_KEY)
        .execute(&mut *admin)
        .await
        .context("taking the template lock")?;
    let result = build_template_locked(admin, admin_url, template).await;
    let unlock = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(TEMPLATE_LOCK_KEY)
        .execute(&mut *admin)
        .await;
    result?;
    unlock.context("releasing the template lock")?;
    Ok(())
}

async fn database_exists(admin: &mut PgConnection, name: &str) -> Result<bool> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_one(&mut *admin)
        .await
        .context("reading pg_database")?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

async fn build_template_locked(
    admin: &mut PgConnection,
    admin_url: &str,
    template: &str,
) -> Result<()> {
    if database_exists(admin, template).await? {
        return Ok(());
    }
    let building = format!("{template}_building");
    admin
        .execute(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)").as_str())
        .await
        .with_context(|| format!("dropping the leftover {building}"))?;
    admin
        .execute(format!("CREATE DATABASE {building} TEMPLATE template0").as_str())
        .await
        .with_context(|| format!("creating {building}"))?;
    let store = connect(&with_database(admin_url, &building), true)
        .await
        .with_context(|| format!("migrating the template {building}"))?;
    store.close().await;
    // No session may stay connected to a template, or cloning it fails; PostgreSQL waits a few
    // seconds for the closed connections to go away.
    admin
        .execute(format!("ALTER DATABASE {building} RENAME TO {template}").as_str())
        .await
        .with_context(|| format!("renaming {building} to {template}"))?;
    Ok(())
}

/// `url` with its database name replaced by `name` (keeping any `?query`).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

impl Cleanup {
    fn run(&self) {
        match self {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                // Drop is synchronous and may run inside the test's runtime, so the drop happens
                // on a thread of its own with its own small runtime.
                let admin_url = admin_url.clone();
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let handle = std::thread::spawn(move || {
                    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    runtime.block_on(async move {
                        if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                            let _ = admin.execute(sql.as_str()).await;
                            let _ = admin.close().await;
                        }
                    });
                });
                let _ = handle.join();
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        self.cleanup.run();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
    }

    #[test]
    fn template_name_follows_the_schema() {
        let name = template_name();
        assert!(name.starts_with(TEMPLATE_PREFIX));
        assert!(
            name.len() < 63,
            "PostgreSQL truncates identifiers at 63 bytes"
        );
    }
}
