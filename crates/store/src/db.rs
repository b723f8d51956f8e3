use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, ConnectOptions, Connection, Executor};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

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
    /// SQLite with group commit on: the shared outer transaction of concurrent operations.
    group: Option<Arc<Group>>,
    /// PostgreSQL: the read replica that reports read from, when configured (`replica.rs`).
    pub(crate) replica: Option<crate::replica::Replica>,
}

/// The setting that turns SQLite group commit off (`off`/`0`/`false`/`no`); on by default.
pub const GROUP_COMMIT_ENV: &str = "SALESOS_SQLITE_GROUP_COMMIT";

fn group_commit_wanted() -> bool {
    std::env::var(GROUP_COMMIT_ENV)
        .map(|v| !matches!(v.trim(), "0" | "off" | "false" | "no"))
        .unwrap_or(true)
}

/// The size of the PostgreSQL connection pool of one process (default 16). Several app servers
/// on one database share its `max_connections`, so each gets a part of it.
pub const PG_POOL_ENV: &str = "SALESOS_PG_POOL";
const PG_POOL_DEFAULT: u32 = 16;

pub(crate) fn pg_pool_size() -> u32 {
    std::env::var(PG_POOL_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|n| (1..=1000).contains(n))
        .unwrap_or(PG_POOL_DEFAULT)
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
                let group = group_commit_wanted().then(|| Group::new(writer.clone()));
                Store {
                    backend,
                    writer,
                    reader,
                    url: url.to_string(),
                    group,
                    replica: None,
                }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(pg_pool_size())
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await?;
                Store {
                    backend,
                    writer: pool.clone(),
                    reader: pool,
                    url: url.to_string(),
                    group: None,
                    replica: None,
                }
            }
        };
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether write transactions share durable commits (SQLite group commit).
    pub fn group_commit(&self) -> bool {
        self.group.is_some()
    }

    /// With group commit: how many durable commits were made and how many operations they
    /// carried so far.
    pub fn group_commit_stats(&self) -> Option<GroupStats> {
        self.group.as_ref().map(|g| GroupStats {
            commits: g.commits.load(Ordering::Relaxed),
            operations: g.operations.load(Ordering::Relaxed),
        })
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
    ///
    /// With group commit (SQLite, [`GROUP_COMMIT_ENV`]) the operation runs in a savepoint of a
    /// transaction shared with the operations queued behind it, and its `commit` returns once
    /// that shared transaction is durably committed.
    pub async fn begin(&self) -> Result<WriteTx, StoreError> {
        if let Some(group) = &self.group {
            return group.begin().await;
        }
        let conn = self.writer.acquire().await?;
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        // Held by the WriteTx from here on: if BEGIN fails, or the caller gives up while it
        // runs, the connection is closed rather than returned to the pool inside a transaction.
        let mut tx = WriteTx {
            conn: Some(conn),
            member: None,
            backend: self.backend,
        };
        sqlx::query(begin).execute(tx.conn()).await?;
        Ok(tx)
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.read().await?;
        conn.ping().await?;
        Ok(())
    }

    pub async fn close(&self) {
        if let Some(group) = &self.group {
            let commits = group.commits.load(Ordering::Relaxed);
            let operations = group.operations.load(Ordering::Relaxed);
            let commit_ms = group.commit_micros.load(Ordering::Relaxed) as f64 / 1e3;
            // debug: a CLI command's few commits are not worth a line; `RUST_LOG=debug` on a
            // benchmarked server shows how full the batches were
            tracing::debug!(
                commits,
                operations,
                per_commit = operations as f64 / commits.max(1) as f64,
                commit_ms_total = commit_ms,
                commit_ms_avg = commit_ms / commits.max(1) as f64,
                "SQLite group commit"
            );
        }
        self.writer.close().await;
        self.reader.close().await;
        self.close_replica().await;
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
    /// Group commit: this operation's turn on the shared writer (its savepoint is open).
    member: Option<Member>,
    backend: Backend,
}

impl WriteTx {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn conn(&mut self) -> &mut Conn {
        if let Some(member) = self.member.as_mut() {
            return member.conn();
        }
        match self.conn.as_mut() {
            Some(conn) => conn,
            None => unreachable!("a WriteTx holds its connection until commit or drop"),
        }
    }

    pub async fn commit(mut self) -> Result<(), StoreError> {
        if let Some(member) = self.member.take() {
            return member.commit().await;
        }
        if let Some(mut conn) = self.conn.take() {
            if let Err(err) = sqlx::query("COMMIT").execute(&mut *conn).await {
                conn.close_on_drop();
                return Err(err.into());
            }
        }
        Ok(())
    }

    pub async fn rollback(mut self) -> Result<(), StoreError> {
        if let Some(member) = self.member.take() {
            return member.rollback().await;
        }
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

/// Group commit on SQLite. Every synchronous commit costs a disk flush, which bounds one writer
/// to a few hundred commits a second. Here concurrent operations take turns on the one writer
/// connection inside a shared outer transaction, each in a savepoint of its own: an operation
/// that fails (or is dropped) rolls back to its savepoint and leaves the others intact; one that
/// succeeds releases its savepoint and waits until the outer transaction is committed. The
/// commit is made by a flush task that queues for the writer behind the operations already
/// waiting (the lock is fair), so one durable commit covers everyone who arrived meanwhile.
/// Each operation still sees the writes of those before it and holds the write lock for its
/// whole run, so the checks made inside it are as safe as with its own transaction.
#[derive(Debug)]
struct Group {
    state: Arc<Mutex<Batch>>,
    writer: AnyPool,
    /// Durable commits made, and operations committed by them.
    commits: Arc<AtomicU64>,
    operations: Arc<AtomicU64>,
    /// Time spent in those commits (the disk flush), to tell a writer waiting on the disk from
    /// one waiting on the CPU.
    commit_micros: Arc<AtomicU64>,
}

/// See [`Store::group_commit_stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupStats {
    pub commits: u64,
    pub operations: u64,
}

/// The open outer transaction and who waits for its commit.
#[derive(Debug, Default)]
struct Batch {
    /// The writer connection while an outer transaction is open.
    conn: Option<PoolConnection<Any>>,
    /// An operation's savepoint is still open (it ended without commit or rollback): the next
    /// holder of the writer rolls it back before anything else.
    abandoned: bool,
    /// Operations in the open outer transaction.
    members: usize,
    waiters: Vec<oneshot::Sender<Result<(), String>>>,
    flush_scheduled: bool,
    /// Shared with [`Group`] for [`Store::group_commit_stats`].
    commits: Arc<AtomicU64>,
    operations: Arc<AtomicU64>,
    commit_micros: Arc<AtomicU64>,
}

/// Operations per durable commit at most, which bounds the wait of the first one.
const MAX_BATCH: usize = 256;
const WRITER_WAIT: Duration = Duration::from_secs(30);

impl Group {
    fn new(writer: AnyPool) -> Arc<Group> {
        let batch = Batch::default();
        Arc::new(Group {
            commits: batch.commits.clone(),
            operations: batch.operations.clone(),
            commit_micros: batch.commit_micros.clone(),
            state: Arc::new(Mutex::new(batch)),
            writer,
        })
    }

    async fn begin(self: &Arc<Self>) -> Result<WriteTx, StoreError> {
        // like the writer pool's acquire timeout: a stuck writer fails callers instead of hanging
        let batch = tokio::time::timeout(WRITER_WAIT, self.state.clone().lock_owned())
            .await
            .map_err(|_| StoreError::Db(sqlx::Error::PoolTimedOut))?;
        let member = Member {
            batch: Some(batch),
            group: self.clone(),
        };
        // The steps leave the writer consistent only when they run to the end, so they run in
        // a task of their own, which finishes even when the caller gives up (a dropped request).
        let member = tokio::spawn(member.open())
            .await
            .map_err(|e| batch_error(format!("opening an operation: {e}")))??;
        Ok(WriteTx {
            conn: None,
            member: Some(member),
            backend: Backend::Sqlite,
        })
    }

    /// Commits the open outer transaction once the operations already queued have had their turn.
    fn schedule_flush(self: &Arc<Self>, batch: &mut Batch) {
        if batch.flush_scheduled {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // the next `begin` finishes the batch
        };
        batch.flush_scheduled = true;
        runtime.spawn(flush(self.state.clone()));
    }
}

async fn flush(state: Arc<Mutex<Batch>>) {
    let mut batch = state.lock_owned().await;
    batch.flush_scheduled = false;
    batch.undo_abandoned().await;
    batch.commit().await;
}

impl Batch {
    fn conn_mut(&mut self) -> &mut Conn {
        match self.conn.as_mut() {
            Some(conn) => conn,
            None => unreachable!("an open batch holds the writer connection"),
        }
    }

    /// Rolls back the savepoint of an operation that ended without commit or rollback.
    async fn undo_abandoned(&mut self) {
        if !self.abandoned {
            return;
        }
        if self.conn.is_none() {
            self.abandoned = false;
            return;
        }
        // the flag is cleared only once both steps are done: cut short, the next holder redoes it
        for step in ["ROLLBACK TO op", "RELEASE op"] {
            if let Err(err) = sqlx::query(step).execute(self.conn_mut()).await {
                self.fail(&format!("rolling back an operation: {err}"));
                return;
            }
        }
        self.abandoned = false;
    }

    /// Commits the outer transaction and answers everyone waiting for it.
    async fn commit(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        let started = std::time::Instant::now();
        let result = sqlx::query("COMMIT").execute(&mut *conn).await;
        let answer = match result {
            Ok(_) => {
                let took = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                self.commit_micros.fetch_add(took, Ordering::Relaxed);
                self.commits.fetch_add(1, Ordering::Relaxed);
                self.operations
                    .fetch_add(self.waiters.len() as u64, Ordering::Relaxed);
                Ok(())
            }
            Err(err) => {
                conn.close_on_drop();
                Err(format!("committing: {err}"))
            }
        };
        self.members = 0;
        for waiter in self.waiters.drain(..) {
            let _ = waiter.send(answer.clone());
        }
    }

    /// Gives up the outer transaction (closing the connection rolls it back): everyone in it fails.
    fn fail(&mut self, why: &str) {
        if let Some(mut conn) = self.conn.take() {
            conn.close_on_drop();
        }
        self.abandoned = false;
        self.members = 0;
        for waiter in self.waiters.drain(..) {
            let _ = waiter.send(Err(why.to_string()));
        }
    }
}

/// One operation's turn on the shared writer.
struct Member {
    batch: Option<OwnedMutexGuard<Batch>>,
    group: Arc<Group>,
}

fn batch_error(why: String) -> StoreError {
    StoreError::Db(sqlx::Error::Protocol(format!("group commit: {why}")))
}

impl Member {
    fn batch(&mut self) -> &mut Batch {
        match self.batch.as_mut() {
            Some(batch) => batch,
            None => unreachable!("a member holds the writer until it ends"),
        }
    }

    fn conn(&mut self) -> &mut Conn {
        self.batch().conn_mut()
    }

    /// Makes room for this operation in the outer transaction and opens its savepoint.
    async fn open(mut self) -> Result<Member, StoreError> {
        let writer = self.group.writer.clone();
        let batch = self.batch();
        batch.undo_abandoned().await;
        if batch.members >= MAX_BATCH {
            batch.commit().await;
        }
        if batch.conn.is_none() {
            let mut conn = writer.acquire().await?;
            if let Err(err) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
                conn.close_on_drop();
                return Err(err.into());
            }
            batch.conn = Some(conn);
        }
        // marked first: if the savepoint is not there after all, the next holder's rollback to
        // it fails and gives up the whole outer transaction rather than commit a stray write
        batch.abandoned = true;
        if let Err(err) = sqlx::query("SAVEPOINT op").execute(batch.conn_mut()).await {
            batch.fail(&format!("opening a savepoint: {err}"));
            return Err(err.into());
        }
        batch.members += 1;
        Ok(self)
    }

    async fn commit(self) -> Result<(), StoreError> {
        // as in `open`: releasing the savepoint and joining the waiters must not be cut short
        let rx = tokio::spawn(self.release())
            .await
            .map_err(|e| batch_error(format!("releasing an operation: {e}")))??;
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(why)) => Err(batch_error(why)),
            Err(_) => Err(batch_error("the batch ended without committing".into())),
        }
    }

    /// Ends the savepoint so the operation is part of the outer transaction, and asks for the
    /// commit to be told of.
    async fn release(mut self) -> Result<oneshot::Receiver<Result<(), String>>, StoreError> {
        let group = self.group.clone();
        let batch = self.batch();
        if let Err(err) = sqlx::query("RELEASE op").execute(batch.conn_mut()).await {
            batch.fail(&format!("releasing a savepoint: {err}"));
            return Err(err.into());
        }
        batch.abandoned = false;
        let (tx, rx) = oneshot::channel();
        batch.waiters.push(tx);
        group.schedule_flush(batch);
        // let the operations queued behind this one in before the flush commits
        self.batch = None;
        Ok(rx)
    }

    /// Rolled back by whoever holds the writer next (before anything else), see `Drop`.
    async fn rollback(self) -> Result<(), StoreError> {
        drop(self);
        Ok(())
    }
}

impl Drop for Member {
    /// Ended without commit: the savepoint stays marked abandoned for the next holder, and a
    /// flush makes sure the outer transaction does not stay open.
    fn drop(&mut self) {
        if let Some(mut batch) = self.batch.take() {
            let group = self.group.clone();
            group.schedule_flush(&mut batch);
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
