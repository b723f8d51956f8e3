use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, ConnectOptions, Connection, Executor};
use std::str::FromStr;
use std::time::Duration;

pub type Conn = sqlx::AnyConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "unsupported database URL {:?}: use sqlite://FILE or postgres://…",
                redact_url(url)
            )))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Config(String),
    #[error("a record with this {field} already exists")]
    Unique { field: String },
    #[error("a referenced record does not exist")]
    ForeignKey,
    #[error("database error: {0}")]
    Db(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err {
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    return StoreError::Unique {
                        field: unique_field(db.message(), db.constraint()),
                    }
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => return StoreError::ForeignKey,
                _ => {}
            }
        }
        StoreError::Db(err)
    }
}

/// The column a unique violation is about: SQLite says `UNIQUE constraint failed: people.login`,
/// PostgreSQL names the constraint `people_login_key`.
fn unique_field(message: &str, constraint: Option<&str>) -> String {
    if let Some(rest) = message.split("UNIQUE constraint failed: ").nth(1) {
        let first = rest.split(',').next().unwrap_or(rest);
        return first.rsplit('.').next().unwrap_or(first).trim().to_string();
    }
    // PostgreSQL names a UNIQUE column's constraint `{table}_{column}_key`.
    const UNIQUE_COLUMNS: [&str; 4] = ["token_hash", "login", "code", "path"];
    if let Some(name) = constraint.and_then(|n| n.strip_suffix("_key")) {
        if let Some(column) = UNIQUE_COLUMNS
            .iter()
            .find(|c| name.ends_with(&format!("_{c}")))
        {
            return (*column).to_string();
        }
    }
    "value".to_string()
}

pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// Microseconds since the Unix epoch, UTC: how every timestamp is stored.
pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// The database: a writer pool and a reader pool. On SQLite the writer is one connection (SQLite
/// has one writer anyway; this keeps writers queueing in-process instead of on file locks) and
/// readers are read-only; on PostgreSQL both are the same pool.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
    writer: AnyPool,
    reader: AnyPool,
    url: String,
}

impl Store {
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let options = AnyConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("bad database URL: {e}")))?
            .disable_statement_logging();
        let store = match backend {
            Backend::Sqlite => {
                let writer = AnyPoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(SQLITE_PRAGMAS).await?;
                            Ok(())
                        })
                    })
                    .connect_with(options.clone())
                    .await?;
                let reader = AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(SQLITE_PRAGMAS).await?;
                            conn.execute("PRAGMA query_only = ON;").await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?;
                Store {
                    backend,
                    writer,
                    reader,
                    url: url.to_string(),
                }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await?;
                Store {
                    backend,
                    writer: pool.clone(),
                    reader: pool,
                    url: url.to_string(),
                }
            }
        };
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A connection for reads (outside any write transaction).
    pub async fn read(&self) -> Result<PoolConnection<Any>, StoreError> {
        Ok(self.reader.acquire().await?)
    }

    /// Starts the one transaction of a business operation. On SQLite it takes the write lock at
    /// once (`BEGIN IMMEDIATE`), so checks made inside it cannot be invalidated by another writer.
    pub async fn begin(&self) -> Result<WriteTx, StoreError> {
        let mut conn = self.writer.acquire().await?;
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        sqlx::query(begin).execute(&mut *conn).await?;
        Ok(WriteTx {
            conn: Some(conn),
            backend: self.backend,
        })
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.read().await?;
        conn.ping().await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

// WAL lets readers work beside the writer; synchronous=FULL syncs the WAL on every commit so no
// acknowledged write is lost on power failure.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

/// One open write transaction. Dropped without `commit`, its connection is closed, which rolls
/// the transaction back on both backends.
pub struct WriteTx {
    conn: Option<PoolConnection<Any>>,
    backend: Backend,
}

impl WriteTx {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn conn(&mut self) -> &mut Conn {
        match self.conn.as_mut() {
            Some(conn) => conn,
            None => unreachable!("a WriteTx holds its connection until commit or drop"),
        }
    }

    pub async fn commit(mut self) -> Result<(), StoreError> {
        if let Some(mut conn) = self.conn.take() {
            if let Err(err) = sqlx::query("COMMIT").execute(&mut *conn).await {
                conn.close_on_drop();
                return Err(err.into());
            }
        }
        Ok(())
    }

    pub async fn rollback(mut self) -> Result<(), StoreError> {
        if let Some(mut conn) = self.conn.take() {
            if let Err(err) = sqlx::query("ROLLBACK").execute(&mut *conn).await {
                conn.close_on_drop();
                return Err(err.into());
            }
        }
        Ok(())
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            conn.close_on_drop();
        }
    }
}

/// Writes a consistent snapshot of a SQLite database to `out` while others keep working
/// (`VACUUM INTO` reads one transaction's view and writes a compact copy).
pub async fn sqlite_backup(store: &Store, out: &std::path::Path) -> Result<(), StoreError> {
    if store.backend() != Backend::Sqlite {
        return Err(StoreError::Config(
            "backup through VACUUM INTO needs SQLite".into(),
        ));
    }
    let target = out
        .to_str()
        .ok_or_else(|| StoreError::Config("the backup path must be valid UTF-8".into()))?;
    let mut conn = store.writer.acquire().await?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_field_from_both_dialects() {
        assert_eq!(
            unique_field("UNIQUE constraint failed: people.login", None),
            "login"
        );
        assert_eq!(
            unique_field("duplicate key value", Some("people_login_key")),
            "login"
        );
        assert_eq!(
            unique_field("duplicate key value", Some("org_nodes_code_key")),
            "code"
        );
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://***@h/db"
        );
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
