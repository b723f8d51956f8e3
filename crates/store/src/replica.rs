//! A PostgreSQL read replica for reports.
//!
//! A company that runs salesos on PostgreSQL can give it the URL of a streaming standby
//! (`--replica-url` / [`REPLICA_URL_ENV`]). The store then keeps a second pool on that server,
//! every connection of it read-only (`default_transaction_read_only = on`, which a hot standby
//! enforces anyway), and hands it out through [`Store::report_read`] — used only by read-only
//! report work (dashboards, reports) that may be a few seconds behind. Everything else, sign-in,
//! sessions, permission lookups, every write transaction and the pages that show a record just
//! made, keeps using the primary through [`Store::read`] and [`Store::begin`].

use crate::db::{pg_pool_size, redact_url, Backend, Store, StoreError};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, ConnectOptions, Executor, Row};
use std::str::FromStr;
use std::time::Duration;

/// The setting that names the read replica (`postgres://…`); the CLI's `--replica-url`.
pub const REPLICA_URL_ENV: &str = "SALESOS_REPLICA_URL";

/// How long a report waits for a replica connection before it reads the primary instead.
const REPLICA_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the readiness check waits for the replica's answer.
const STATUS_TIMEOUT: Duration = Duration::from_secs(2);

/// The second pool, on the replica.
#[derive(Clone, Debug)]
pub struct Replica {
    pool: AnyPool,
    url: String,
}

/// What the readiness check reports about the replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaStatus {
    /// The replica answered.
    pub reachable: bool,
    /// It is a hot standby replaying the primary's WAL (`pg_is_in_recovery()`), not a plain copy.
    pub standby: Option<bool>,
    /// How far its replay is behind (0 when it has replayed everything it received); `None` when
    /// unknown (not a standby, or unreachable).
    pub lag_ms: Option<i64>,
}

impl Store {
    /// This store with reports read from the PostgreSQL read replica at `url`. Refused when the
    /// main database is SQLite or `url` is not PostgreSQL; fails when the replica cannot be
    /// reached or holds no salesos database.
    pub async fn with_replica(mut self, url: &str) -> Result<Store, StoreError> {
        if self.backend() != Backend::Postgres {
            return Err(StoreError::Config(format!(
                "a read replica ({REPLICA_URL_ENV} / --replica-url) needs PostgreSQL as the main \
                 database, but it is {}: leave the replica URL unset",
                self.backend().name()
            )));
        }
        if Backend::from_url(url)? != Backend::Postgres {
            return Err(StoreError::Config(format!(
                "the read replica {:?} must be a PostgreSQL URL (postgres://…)",
                redact_url(url)
            )));
        }
        let options = AnyConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("bad read replica URL: {e}")))?
            .disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(pg_pool_size())
            .acquire_timeout(REPLICA_ACQUIRE_TIMEOUT)
            // a plain copy of the database refuses writes just like a hot standby does
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("SET default_transaction_read_only = on")
                        .await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| {
                StoreError::Config(format!(
                    "cannot reach the read replica {}: {e}",
                    redact_url(url)
                ))
            })?;
        let version = schema_version(&pool).await.map_err(|e| {
            StoreError::Config(format!(
                "the read replica {} holds no salesos database (its schema_migrations cannot be \
                 read: {e}); point it at a replica of the main database",
                redact_url(url)
            ))
        })?;
        let mut primary = self.read().await?;
        let expected: i64 = sqlx::query_scalar(SCHEMA_VERSION)
            .fetch_one(&mut *primary)
            .await?;
        drop(primary);
        if version != expected {
            // a replica catches up with a migration within seconds; not a reason to stop
            tracing::warn!(
                replica = version,
                primary = expected,
                "the read replica's schema is not the primary's yet"
            );
        }
        self.replica = Some(Replica {
            pool,
            url: url.to_string(),
        });
        Ok(self)
    }

    /// The read replica's URL, when reports read from one.
    pub fn replica_url(&self) -> Option<&str> {
        self.replica.as_ref().map(|r| r.url.as_str())
    }

    /// A connection for read-only report work that may lag the primary by a few seconds: on the
    /// read replica when one is configured, else the same as [`Store::read`]. Never use it for
    /// anything the person has just changed, for sign-in, sessions or permissions, or inside a
    /// write transaction. When the replica does not give a connection in time, the report reads
    /// the primary (slower for the primary, but the page still works).
    pub async fn report_read(&self) -> Result<PoolConnection<Any>, StoreError> {
        if let Some(replica) = &self.replica {
            match replica.pool.acquire().await {
                Ok(conn) => return Ok(conn),
                Err(err) => tracing::warn!(
                    error = %err,
                    "read replica unavailable; this report reads the primary"
                ),
            }
        }
        self.read().await
    }

    /// The replica's state for the readiness check; `None` when no replica is configured.
    pub async fn replica_status(&self) -> Option<ReplicaStatus> {
        let replica = self.replica.as_ref()?;
        let probe = async {
            let mut conn = replica.pool.acquire().await?;
            sqlx::query(REPLICA_STATE).fetch_one(&mut *conn).await
        };
        let unreachable = ReplicaStatus {
            reachable: false,
            standby: None,
            lag_ms: None,
        };
        Some(match tokio::time::timeout(STATUS_TIMEOUT, probe).await {
            Ok(Ok(row)) => ReplicaStatus {
                reachable: true,
                standby: row.try_get::<i64, _>("standby").ok().map(|s| s == 1),
                lag_ms: row.try_get::<Option<i64>, _>("lag_ms").ok().flatten(),
            },
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "read replica check failed");
                unreachable
            }
            Err(_) => {
                tracing::warn!("read replica check timed out");
                unreachable
            }
        })
    }

    pub(crate) async fn close_replica(&self) {
        if let Some(replica) = &self.replica {
            replica.pool.close().await;
        }
    }
}

const SCHEMA_VERSION: &str =
    "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM schema_migrations";

async fn schema_version(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    sqlx::query_scalar(SCHEMA_VERSION)
        .fetch_one(&mut *conn)
        .await
}

/// Whether the replica is a standby and how far its replay is behind. An idle primary sends no
/// new transactions, so "everything received is replayed" counts as no lag rather than the age
/// of the last replayed transaction.
const REPLICA_STATE: &str =
    "SELECT CAST(CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END AS BIGINT) AS standby, \
     CAST(CASE WHEN NOT pg_is_in_recovery() THEN NULL \
               WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
               ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000 \
          END AS BIGINT) AS lag_ms";
