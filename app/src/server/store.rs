//! The store: one interface over two backends. SQLite (an embedded file) is
//! the default, PostgreSQL the scale-out backend. Queries are written once in
//! portable SQL (`$1` placeholders work in both); [`with_pool!`] and
//! [`with_tx!`] run the same statement on whichever native driver is in use,
//! so each backend keeps its own full type support.

use super::audit::AuditSeal;
use crate::error::AppError;
use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
        SqliteTransactionManager,
    },
    ConnectOptions, Connection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool,
    Transaction, TransactionManager,
};
use std::{borrow::Cow, str::FromStr, sync::Arc, time::Duration};
use tokio::sync::{Mutex, Notify, OwnedMappedMutexGuard, OwnedMutexGuard};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Which backend a `DATABASE_URL` names.
    pub fn from_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }
}

/// Errors while opening or migrating the database (start-up time only).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DATABASE_URL must start with sqlite:// or postgres://")]
    UnsupportedUrl,
    #[error("cannot create the database directory: {0}")]
    Directory(#[from] std::io::Error),
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

#[derive(Debug, Clone)]
pub(crate) enum DbPool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$p` bound to the concrete pool of either backend.
macro_rules! with_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.pool {
            $crate::server::store::DbPool::Sqlite($p) => {
                $store.settled().await;
                $body
            }
            $crate::server::store::DbPool::Postgres($p) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to the open transaction's connection
/// (`&mut *$c` is the executor) of either backend.
macro_rules! with_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match &mut $tx.inner {
            $crate::server::store::TxInner::Sqlite($c) => $body,
            $crate::server::store::TxInner::Postgres($c) => $body,
        }
    };
}
pub(crate) use {with_pool, with_tx};

#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pool: DbPool,
    /// Counted and poked after every commit (see [`Commits`]).
    committed: Arc<Commits>,
    /// The audit chain's keys and anchor (set once the secret is known).
    audit: Option<AuditSeal>,
    /// SQLite: the writers' connection (see [`Writer`]). `None` on
    /// PostgreSQL.
    writer: Option<Arc<Writer>>,
    /// Which notification channels are configured, read by the outbox when
    /// a change enqueues its messages; woken after a commit that did.
    outbox: Arc<super::outbox::Wiring>,
    /// The keys of guests' personal data (sealed values, blind indexes).
    vault: Option<Arc<super::pii::Vault>>,
}

/// What the store's commits tell the rest of the process: the live feed is
/// poked, so it reads new events at once instead of at its next poll, and
/// the generation moves on, so answers computed from the database before
/// the commit (a day's free starts) are no longer taken as current.
#[derive(Debug, Default)]
struct Commits {
    notify: Notify,
    generation: std::sync::atomic::AtomicU64,
    /// PostgreSQL: tells every instance of the events committed.
    announcer: Option<Arc<Announcer>>,
}

/// The PostgreSQL channel on which committed domain events are announced
/// (their ids, comma-separated), heard by every instance's live relay.
pub const EVENTS_CHANNEL: &str = "studio_events";

/// At most this many ids in one notification (a payload is at most 8,000
/// bytes; an id is at most 19 digits and a comma).
const ANNOUNCE_MAX: usize = 300;

/// At most one notification in this time: under load, each one (the
/// `pg_notify`, its delivery to every listening connection, and each
/// relay's read of the rows) carries the events of many bookings instead
/// of one or two. A commit waits at most this long more for its
/// announcement; an open board shows it that much later.
const ANNOUNCE_INTERVAL: Duration = Duration::from_millis(20);

/// PostgreSQL: announces the ids of committed domain events on
/// [`EVENTS_CHANNEL`] just after their commit, instead of by `pg_notify`
/// in the writing transaction.
///
/// PostgreSQL serialises the commits of transactions that notify (to queue
/// notifications in commit order, each such commit takes one lock for the
/// whole database and holds it past its WAL flush): every booking of the
/// studio committed after the one before it, each waiting for the disk on
/// its own, whatever space it was for, while the commits of transactions
/// that do not notify share flushes. pgbench on the 2-core machine, 16
/// clients inserting one row: 2,700-3,500 transactions/s; with `pg_notify`
/// in the transaction 1,100-1,330/s; notified after the commit (no write
/// of its own, so no flush) 2,600-2,900/s.
///
/// Ids committed while a notification is on its way go out together in
/// the next one. The relays read the rows by id, so the order of the ids
/// across notifications does not matter. A process stopped between a
/// commit and its announcement leaves that change unannounced: other
/// instances' open screens show it at their next reload or reconnection.
#[derive(Debug)]
struct Announcer {
    pool: PgPool,
    pending: std::sync::Mutex<Vec<i64>>,
    /// Set while a task sends what is pending.
    sending: std::sync::atomic::AtomicBool,
}

/// A std mutex's guard, also after a panic while it was held (what these
/// mutexes guard stays consistent: one assignment or one `take`).
fn locked<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Announcer {
    fn announce(self: &Arc<Self>, ids: Vec<i64>) {
        locked(&self.pending).extend(ids);
        if self.sending.swap(true, std::sync::atomic::Ordering::AcqRel) {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move { me.send().await });
    }

    async fn send(&self) {
        use std::sync::atomic::Ordering;
        loop {
            let ids = std::mem::take(&mut *locked(&self.pending));
            if ids.is_empty() {
                self.sending.store(false, Ordering::Release);
                // Ids added after the take saw a sender at work.
                if locked(&self.pending).is_empty() || self.sending.swap(true, Ordering::AcqRel) {
                    return;
                }
                continue;
            }
            let began = tokio::time::Instant::now();
            for chunk in ids.chunks(ANNOUNCE_MAX) {
                let payload = chunk
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                for attempt in 0..2 {
                    let sent = sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(EVENTS_CHANNEL)
                        .bind(&payload)
                        .execute(&self.pool)
                        .await;
                    match sent {
                        Ok(_) => break,
                        Err(e) if attempt == 0 => {
                            tracing::warn!(error = %e, "cannot announce committed events; retrying");
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                        Err(e) => {
                            tracing::error!(error = %e, events = chunk.len(), "committed events were not announced");
                        }
                    }
                }
            }
            // What commits meanwhile waits for the next notification.
            tokio::time::sleep_until(began + ANNOUNCE_INTERVAL).await;
        }
    }
}

/// SQLite has one writer at a time, and write transactions run on one
/// connection of their own, held by the writer whose turn it is.
///
/// Writers queue for it in arrival order (a fair mutex) instead of polling
/// SQLite's busy handler, which lets a late writer overtake and leaves the
/// unlucky ones waiting for a second or more. One connection keeps its page
/// cache: a connection drops it whenever another one wrote since its last
/// transaction, and write transactions spread over the pool read their
/// index pages back from the file every time. And it is handed from writer
/// to writer directly: a pool of one (as before) gave it back from a
/// spawned task that first pinged it, and pinged it again for the next
/// writer, two round trips to the connection's thread and a task hop in
/// every turn, while every other writer waited.
///
/// Writers that queue meanwhile share commits (group commit): a writer
/// whose turn ends while others wait releases its work into the open
/// transaction (its savepoint) and hands the connection on instead of
/// committing; the last writer of the group commits for all of them, and
/// only then does any of them return. Each commit writes every page it
/// changed to the WAL and makes every reader drop its page cache, and the
/// bookings of one moment change the same pages (the ends of the same
/// indexes): one commit for a group instead of one for each. A writer that
/// fails rolls back to its savepoint, leaving the others' work; a commit
/// that fails fails the whole group, and nobody was told otherwise. The
/// group is bounded ([`GROUP_MAX_MEMBERS`], [`GROUP_MAX_AGE`]), so a
/// writer waits at most a few turns for its commit.
#[derive(Debug)]
struct Writer {
    /// `None` after the connection was lost (the next writer opens
    /// another) and once the store is closed.
    conn: Arc<Mutex<Option<SqliteConnection>>>,
    options: SqliteConnectOptions,
    /// Set by [`Store::close`]: no connection is opened any more.
    closed: std::sync::atomic::AtomicBool,
    /// Writers waiting for their turn (not the members of a group waiting
    /// for its commit).
    queued: std::sync::atomic::AtomicUsize,
    /// The group whose transaction is open on the connection, if any.
    /// Only the turn's holder reads or changes it.
    group: std::sync::Mutex<Option<Arc<Group>>>,
    /// Set while the open group has a member that rolled back: reads wait
    /// for its commit (see [`Store::settled`]).
    left: std::sync::atomic::AtomicBool,
}

/// At most this many writers share a commit.
const GROUP_MAX_MEMBERS: usize = 32;

/// A group is committed once it is this old, however many writers wait:
/// its first member waits for its commit at most about this long.
const GROUP_MAX_AGE: Duration = Duration::from_millis(10);

/// Writers whose work waits in one open transaction for one commit.
#[derive(Debug)]
struct Group {
    since: std::time::Instant,
    /// How many writers' work it holds.
    members: std::sync::atomic::AtomicUsize,
    /// Set when a writer in it did not finish (it failed, or its request
    /// was given up): its savepoint is rolled back, and the group is
    /// committed before anyone else joins it. (An error such as a full
    /// disk can end SQLite's transaction by itself; then that commit fails
    /// and tells every member, instead of a later writer's savepoint
    /// starting a transaction of its own.)
    broken: std::sync::atomic::AtomicBool,
    /// Set once, in a writer's turn, when its transaction ends.
    outcome: std::sync::OnceLock<Result<(), AppError>>,
    ended: Notify,
}

impl Group {
    fn end(&self, outcome: Result<(), AppError>) {
        let _ = self.outcome.set(outcome);
        self.ended.notify_waiters();
    }

    /// Waits until the group's transaction has ended, however it ended.
    async fn ended(&self) {
        loop {
            let ended = self.ended.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            if self.outcome.get().is_some() {
                return;
            }
            ended.await;
        }
    }

    /// Waits for the group's commit. If the writers behind this one are
    /// all gone and nobody committed (the last of them failed or was
    /// given up), this one takes the turn again and commits.
    async fn wait(self: &Arc<Self>, writer: &Writer) -> Result<(), AppError> {
        loop {
            if let Some(outcome) = self.outcome.get() {
                return outcome.clone();
            }
            tokio::select! {
                () = self.ended() => {}
                mut slot = writer.conn.clone().lock_owned() => {
                    if self.outcome.get().is_none() {
                        let open = writer.open_group();
                        if open.as_ref().is_some_and(|g| Arc::ptr_eq(g, self)) {
                            writer.end_group(&mut slot).await;
                        } else {
                            tracing::error!("a group of writers was left without its transaction");
                            self.end(Err(AppError::Internal));
                        }
                    }
                }
            }
        }
    }
}

/// Counts a writer as waiting for its turn until dropped.
struct Queued<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// The writers' connection, held for one write transaction.
type WriterConn = OwnedMappedMutexGuard<Option<SqliteConnection>, SqliteConnection>;

/// How long a SQLite writer waits for its turn before the request fails
/// as unavailable (the busy timeout it replaces).
const WRITE_QUEUE_TIMEOUT: Duration = Duration::from_secs(10);

/// A write transaction that holds SQLite's write lock this long or longer
/// is logged: every other writer of the studio waited for it.
pub const SLOW_WRITE: Duration = Duration::from_millis(50);

/// A SQLite writer's turn: since when and from where it is held, and how
/// long it waited, once it had the writers' connection, before its
/// transaction began (`BEGIN IMMEDIATE`). That should be nothing; it is
/// not when something wrote without taking a turn (another process, a
/// write outside a transaction) and this writer sat in SQLite's busy
/// handler, which sleeps in growing steps instead of queueing.
struct Turn {
    since: std::time::Instant,
    waited: Duration,
    at: &'static std::panic::Location<'static>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        let held = self.since.elapsed();
        if held >= SLOW_WRITE {
            tracing::warn!(
                held_ms = held.as_millis() as u64,
                waited_ms = self.waited.as_millis() as u64,
                opened_at = %self.at,
                "a write transaction held the database's write lock for long"
            );
        }
    }
}

/// An open transaction. Dropped without [`Tx::commit`], it rolls back.
pub struct Tx {
    pub(crate) inner: TxInner,
    committed: Arc<Commits>,
    audit: Option<AuditSeal>,
    /// The newest audit entry appended in this transaction, anchored
    /// outside the database once it commits.
    audit_head: Option<(i64, String)>,
    /// This writer's turn at SQLite, for the slow-write log (the turn
    /// itself is the writers' connection, in `inner`).
    _turn: Option<Turn>,
    outbox: Arc<super::outbox::Wiring>,
    /// Set when this transaction wrote outbox rows: the delivery worker is
    /// woken once it commits.
    outbox_written: bool,
    /// Business counters that count only once the change is committed.
    counters: Vec<Counter>,
    /// Set by [`Tx::bookkeeping_only`]: the commit leaves the generation.
    bookkeeping: bool,
    /// PostgreSQL: the domain events written, announced once committed.
    events: Vec<i64>,
}

/// A counter to increment when a transaction commits.
pub(crate) struct Counter {
    name: &'static str,
    labels: Vec<(&'static str, String)>,
}

pub(crate) enum TxInner {
    Sqlite(SqliteTx),
    Postgres(Transaction<'static, Postgres>),
}

/// A SQLite transaction: `&mut **t` is its connection, as with sqlx's.
pub(crate) enum SqliteTx {
    /// A write transaction on the writers' connection.
    Write(WriteTx),
    /// A read-only snapshot on a pooled connection.
    Read(Transaction<'static, Sqlite>),
}

impl std::ops::Deref for SqliteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match self {
            SqliteTx::Write(w) => &w.conn,
            SqliteTx::Read(t) => t,
        }
    }
}

impl std::ops::DerefMut for SqliteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            SqliteTx::Write(w) => &mut w.conn,
            SqliteTx::Read(t) => t,
        }
    }
}

impl SqliteTx {
    /// A write transaction's commit runs in a task of its own: once its
    /// work is in a group, the group's commit must happen even if this
    /// request is given up (a guest who closed the page) meanwhile.
    async fn commit(self, turn: Option<Turn>) -> Result<(), AppError> {
        match self {
            SqliteTx::Write(w) => {
                let writer = w.writer.clone();
                tokio::spawn(async move {
                    let group = w.finish().await;
                    // The turn has passed on (or the transaction is over).
                    drop(turn);
                    match group? {
                        None => Ok(()),
                        Some(group) => group.wait(&writer).await,
                    }
                })
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "a write transaction's commit did not finish");
                    AppError::Internal
                })?
            }
            SqliteTx::Read(t) => Ok(t.commit().await?),
        }
    }
}

/// A write transaction holding the writers' connection (and so the turn).
/// Dropped open, it queues its `ROLLBACK` on the connection before letting
/// it go, so the next writer's `BEGIN` comes after it (as sqlx's own
/// transactions do).
pub(crate) struct WriteTx {
    conn: WriterConn,
    open: bool,
    writer: Arc<Writer>,
}

impl WriteTx {
    /// Ends this writer's transaction: into the open group if writers
    /// wait (returned, to wait for its commit), else by committing it (with
    /// the group's earlier members, told of the outcome).
    async fn finish(mut self) -> Result<Option<Arc<Group>>, AppError> {
        let writer = self.writer.clone();
        let group = writer.open_group();
        if group.is_some() {
            // Our savepoint is released into the group's transaction.
            SqliteTransactionManager::commit(&mut self.conn).await?;
        }
        self.open = false;
        let waiting = writer.queued.load(std::sync::atomic::Ordering::Acquire) > 0;
        let room = group.as_ref().is_none_or(|g| {
            g.members.load(std::sync::atomic::Ordering::Acquire) < GROUP_MAX_MEMBERS
                && g.since.elapsed() < GROUP_MAX_AGE
        });
        if waiting && room {
            let group = group.unwrap_or_else(|| {
                let g = Arc::new(Group {
                    since: std::time::Instant::now(),
                    members: Default::default(),
                    broken: Default::default(),
                    outcome: Default::default(),
                    ended: Notify::new(),
                });
                writer.set_group(Some(g.clone()));
                g
            });
            group
                .members
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            return Ok(Some(group));
        }
        let committed = SqliteTransactionManager::commit(&mut self.conn)
            .await
            .map_err(AppError::from);
        if committed.is_err() {
            // Dropped open: its rollback is queued before the next writer.
            self.open = true;
        }
        if let Some(group) = writer.take_group() {
            group.end(committed.clone());
        }
        committed.map(|()| None)
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if self.open {
            if let Some(group) = self.writer.open_group() {
                group
                    .broken
                    .store(true, std::sync::atomic::Ordering::Release);
                self.writer
                    .left
                    .store(true, std::sync::atomic::Ordering::Release);
            }
            SqliteTransactionManager::start_rollback(&mut self.conn);
        }
    }
}

impl Writer {
    fn open_group(&self) -> Option<Arc<Group>> {
        locked(&self.group).clone()
    }

    fn set_group(&self, group: Option<Arc<Group>>) {
        *locked(&self.group) = group;
    }

    fn take_group(&self) -> Option<Arc<Group>> {
        let group = locked(&self.group).take();
        self.left.store(false, std::sync::atomic::Ordering::Release);
        group
    }

    /// Waits while the open group has a member that rolled back, until the
    /// group's transaction ends (see [`Store::settled`]).
    async fn settled(&self) {
        if !self.left.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        let Some(group) = self.open_group() else {
            return;
        };
        if tokio::time::timeout(WRITE_QUEUE_TIMEOUT, group.ended())
            .await
            .is_err()
        {
            tracing::error!("a group of writers was not committed in time");
        }
    }

    /// Commits the open group's transaction, if there is one, and tells
    /// its members; the caller has the turn. A commit that fails is rolled
    /// back (the connection dropped if even that fails).
    async fn end_group(&self, slot: &mut Option<SqliteConnection>) {
        let Some(group) = self.take_group() else {
            return;
        };
        let outcome = match slot.as_mut() {
            Some(conn) => match SqliteTransactionManager::commit(conn).await {
                Ok(()) => Ok(()),
                Err(e) => {
                    if SqliteTransactionManager::rollback(conn).await.is_err() {
                        *slot = None;
                    }
                    Err(AppError::from(e))
                }
            },
            None => Err(AppError::Unavailable {
                message: "The database is not available.".into(),
            }),
        };
        group.end(outcome);
    }

    /// Waits for the writers' turn, in arrival order; the guard is the
    /// turn and the connection slot.
    async fn turn(&self) -> Result<OwnedMutexGuard<Option<SqliteConnection>>, AppError> {
        self.queued
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        let _queued = Queued(&self.queued);
        tokio::time::timeout(WRITE_QUEUE_TIMEOUT, self.conn.clone().lock_owned())
            .await
            .map_err(|_| AppError::Unavailable {
                message: "The database is busy; try again in a moment.".into(),
            })
    }

    /// Opens a connection in the slot if there is none (unless the store
    /// is closed) and makes sure it is outside any transaction.
    async fn connected(&self, slot: &mut Option<SqliteConnection>) -> Result<(), sqlx::Error> {
        if self.closed.load(std::sync::atomic::Ordering::Acquire) {
            return Err(sqlx::Error::PoolClosed);
        }
        let conn = match slot {
            Some(conn) => conn,
            None => slot.insert(self.options.connect().await?),
        };
        // A writer cancelled between its `BEGIN` and holding its
        // transaction left one open: end it first.
        if SqliteTransactionManager::get_transaction_depth(conn) > 0 {
            SqliteTransactionManager::rollback(conn).await?;
        }
        Ok(())
    }

    /// Begins a write transaction on the writers' connection; the caller
    /// has the turn. With a group's transaction open, it is a savepoint in
    /// it. A connection found lost is replaced once.
    async fn begin(&self, slot: &mut Option<SqliteConnection>) -> Result<(), sqlx::Error> {
        if let Some(group) = self.open_group() {
            if !group.broken.load(std::sync::atomic::Ordering::Acquire) {
                if let Some(conn) = slot.as_mut() {
                    if SqliteTransactionManager::begin(conn, None).await.is_ok() {
                        return Ok(());
                    }
                }
            }
            // Its transaction does not go on: it ends (failing its members
            // if it cannot commit) and this writer starts afresh.
            self.end_group(slot).await;
        }
        for attempt in 0..2 {
            let began = async {
                self.connected(slot).await?;
                let conn = slot.as_mut().ok_or(sqlx::Error::PoolClosed)?;
                SqliteTransactionManager::begin(conn, Some(Cow::Borrowed("BEGIN IMMEDIATE"))).await
            }
            .await;
            match began {
                Err(sqlx::Error::WorkerCrashed | sqlx::Error::Io(_)) if attempt == 0 => {
                    tracing::warn!("the writers' database connection was lost; opening another");
                    *slot = None;
                }
                other => return other,
            }
        }
        Err(sqlx::Error::WorkerCrashed)
    }
}

/// Rows a SQLite connection's thread may read ahead of the task taking
/// them: the board's open cards at most (`OPEN_LIMIT` in staff_bookings) fit.
const ROW_CHANNEL: usize = 5_000;

/// How long a PostgreSQL connection that was checked when it came back to
/// the pool is trusted without another check.
const PG_TRUSTED_IDLE: Duration = Duration::from_secs(1);

impl Store {
    /// Opens the database named by `url`. A SQLite file (and its directory)
    /// is created if missing and runs in WAL mode with a busy timeout, so
    /// readers never wait for the writer and writers queue instead of failing.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        let (pool, writer) = match Backend::from_url(url)? {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(StoreError::Connect)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    // Deleted and overwritten content is zeroed in the file,
                    // so an erased guest's clear data (rows from before
                    // encryption, anonymised rows) does not linger in free
                    // pages.
                    .pragma("secure_delete", "on")
                    // The server checkpoints the WAL in the background
                    // ([`Store::checkpoint`], every second), so no request
                    // pays for one; this only bounds the WAL (16 MB) where
                    // nothing does (the command-line tools, a stalled job).
                    .pragma("wal_autocheckpoint", "4000")
                    // sqlx hands a query's rows from the connection's thread
                    // to the task reading them through a channel of 50; a
                    // longer result (the board's 2,000 cards) filled it, and
                    // the two threads then woke each other for every row.
                    .row_buffer_size(ROW_CHANNEL);
                if let Some(dir) = options.get_filename().parent() {
                    if !dir.as_os_str().is_empty() {
                        std::fs::create_dir_all(dir)?;
                    }
                }
                let pool = SqlitePoolOptions::new()
                    .max_connections(max_connections.max(1))
                    .acquire_timeout(Duration::from_secs(10))
                    // A connection to a local file does not break while it
                    // sits in the pool; sqlx's default pings it (a round
                    // trip to its thread) every time a reader takes it.
                    // (It still checks one that comes back.)
                    .test_before_acquire(false)
                    .connect_with(options.clone())
                    .await
                    .map_err(StoreError::Connect)?;
                let writer = Writer {
                    conn: Arc::new(Mutex::new(Some(
                        options.connect().await.map_err(StoreError::Connect)?,
                    ))),
                    options,
                    closed: Default::default(),
                    queued: Default::default(),
                    group: Default::default(),
                    left: Default::default(),
                };
                (DbPool::Sqlite(pool), Some(Arc::new(writer)))
            }
            Backend::Postgres => {
                let options = PgConnectOptions::from_str(url).map_err(StoreError::Connect)?;
                let pool = PgPoolOptions::new()
                    .max_connections(max_connections.max(1))
                    .acquire_timeout(Duration::from_secs(5))
                    // sqlx pings every connection that comes back to the
                    // pool, and by default again when the next query takes
                    // it: a second round trip per query under load, for a
                    // connection found alive a moment ago. Only one that
                    // sat idle (where a restarted server may have broken
                    // it) is pinged before use; one that fails is dropped
                    // and another taken, as with sqlx's own check.
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for >= PG_TRUSTED_IDLE {
                                conn.ping().await?;
                            }
                            Ok(true)
                        })
                    })
                    .connect_with(options)
                    .await
                    .map_err(StoreError::Connect)?;
                (DbPool::Postgres(pool), None)
            }
        };
        Ok(Store {
            committed: Arc::new(Commits {
                announcer: match &pool {
                    DbPool::Postgres(p) => Some(Arc::new(Announcer {
                        pool: p.clone(),
                        pending: Default::default(),
                        sending: Default::default(),
                    })),
                    DbPool::Sqlite(_) => None,
                },
                ..Default::default()
            }),
            pool,
            audit: None,
            writer,
            outbox: Arc::default(),
            vault: None,
        })
    }

    /// The store with the notification channels that are configured (only
    /// those get outbox rows).
    pub fn with_outbox(mut self, wiring: super::outbox::Wiring) -> Store {
        self.outbox = Arc::new(wiring);
        self
    }

    pub(crate) fn outbox_wiring(&self) -> &super::outbox::Wiring {
        &self.outbox
    }

    /// The store with the audit chain's keys, derived from the server secret.
    pub fn with_audit_seal(mut self, seal: AuditSeal) -> Store {
        self.audit = Some(seal);
        self
    }

    /// The store with the keys of personal data.
    pub fn with_vault(mut self, vault: super::pii::Vault) -> Store {
        self.vault = Some(Arc::new(vault));
        self
    }

    /// The keys of personal data; a store opened without them cannot read
    /// or write guests' data.
    pub fn vault(&self) -> Result<&super::pii::Vault, AppError> {
        self.vault.as_deref().ok_or_else(|| {
            tracing::error!("the store has no personal-data keys");
            AppError::Internal
        })
    }

    pub(crate) fn audit_seal(&self) -> Option<&AuditSeal> {
        self.audit.as_ref()
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            DbPool::Sqlite(_) => Backend::Sqlite,
            DbPool::Postgres(_) => Backend::Postgres,
        }
    }

    /// SQLite: copies what the WAL holds into the database file, as far as
    /// readers allow, without waiting for anyone (`PASSIVE`); returns the
    /// WAL's length in pages. Run off the request path, it keeps commits
    /// from paying for the automatic checkpoint. Nothing to do on
    /// PostgreSQL.
    pub async fn checkpoint(&self) -> Result<i64, AppError> {
        match &self.pool {
            DbPool::Sqlite(p) => {
                let (_busy, log, _done): (i64, i64, i64) =
                    sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                        .fetch_one(p)
                        .await?;
                Ok(log)
            }
            DbPool::Postgres(_) => Ok(0),
        }
    }

    /// Runs SQLite statements that cannot run in a transaction (`VACUUM`,
    /// a truncating checkpoint) on the writers' connection, in a writer's
    /// turn: they take SQLite's write lock, and writers queue behind them
    /// instead of sleeping in SQLite's busy handler meanwhile. Nothing to
    /// do on PostgreSQL.
    pub(crate) async fn maintain(&self, sql: &'static str) -> Result<(), AppError> {
        let Some(writer) = &self.writer else {
            return Ok(());
        };
        let mut slot = writer.turn().await?;
        writer.end_group(&mut slot).await;
        writer.connected(&mut slot).await?;
        if let Some(conn) = slot.as_mut() {
            sqlx::query(sql).execute(conn).await?;
        }
        Ok(())
    }

    /// Applies the migrations of this backend that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            DbPool::Sqlite(p) => sqlx::migrate!("../migrations/sqlite").run(p).await?,
            DbPool::Postgres(p) => sqlx::migrate!("../migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Opens a write transaction. On SQLite it is `BEGIN IMMEDIATE`: the write
    /// lock is taken up front, so a transaction that reads before it writes
    /// cannot fail half-way on a lock upgrade, and concurrent writers queue.
    /// Writers of one process take their turn in arrival order before they
    /// ask SQLite for the lock; a writer whose turn comes while the writers
    /// before it wait for a shared commit works in a savepoint of their
    /// transaction (see [`Writer`]). Either way its commit returns once its
    /// work is committed, and its rollback undoes only its own work.
    ///
    /// Where it was opened is kept: a transaction that holds SQLite's write
    /// lock for [`SLOW_WRITE`] or more (every other writer waits for it) is
    /// logged with that place and how long it held it.
    #[track_caller]
    pub fn begin(&self) -> impl std::future::Future<Output = Result<Tx, AppError>> + Send + '_ {
        let at = std::panic::Location::caller();
        async move { self.begin_at(at).await }
    }

    /// One statement as a write transaction of its own (on SQLite in a
    /// writer's turn, like every write); returns the rows it changed. For
    /// the server's own records that no kept answer depends on (MFA state,
    /// setup and feed tokens): the commit leaves [`Store::generation`].
    #[track_caller]
    pub(crate) fn write_alone(
        &self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> impl std::future::Future<Output = Result<u64, AppError>> + Send + '_ {
        let at = std::panic::Location::caller();
        async move {
            let mut tx = self.begin_at(at).await?;
            tx.bookkeeping_only();
            let mut statement = Batch::new();
            statement.push(sql, args);
            let changed = statement.run(&mut tx).await?;
            tx.commit().await?;
            Ok(changed)
        }
    }

    async fn begin_at(&self, at: &'static std::panic::Location<'static>) -> Result<Tx, AppError> {
        let (inner, turn) = match (&self.pool, &self.writer) {
            (DbPool::Sqlite(_), Some(writer)) => {
                let mut slot = writer.turn().await?;
                let since = std::time::Instant::now();
                writer.begin(&mut slot).await?;
                let conn = OwnedMutexGuard::try_map(slot, Option::as_mut)
                    .map_err(|_| AppError::Internal)?;
                let turn = Turn {
                    since,
                    waited: since.elapsed(),
                    at,
                };
                let tx = WriteTx {
                    conn,
                    open: true,
                    writer: writer.clone(),
                };
                (TxInner::Sqlite(SqliteTx::Write(tx)), Some(turn))
            }
            (DbPool::Sqlite(_), None) => return Err(AppError::Internal),
            (DbPool::Postgres(p), _) => (TxInner::Postgres(p.begin().await?), None),
        };
        Ok(Tx {
            inner,
            committed: self.committed.clone(),
            audit: self.audit.clone(),
            audit_head: None,
            _turn: turn,
            outbox: self.outbox.clone(),
            outbox_written: false,
            counters: Vec::new(),
            bookkeeping: false,
            events: Vec::new(),
        })
    }

    /// Opens a read-only transaction that sees one consistent snapshot of
    /// the whole database while writers go on (SQLite: a deferred `BEGIN`,
    /// a WAL read snapshot from the first read; PostgreSQL: `REPEATABLE
    /// READ READ ONLY`). It takes no writer's turn. Drop it to end it.
    pub async fn begin_snapshot(&self) -> Result<Tx, AppError> {
        let inner = match &self.pool {
            DbPool::Sqlite(p) => {
                self.settled().await;
                TxInner::Sqlite(SqliteTx::Read(p.begin().await?))
            }
            DbPool::Postgres(p) => TxInner::Postgres(
                p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
        };
        Ok(Tx {
            inner,
            committed: self.committed.clone(),
            audit: None,
            audit_head: None,
            _turn: None,
            outbox: self.outbox.clone(),
            outbox_written: false,
            counters: Vec::new(),
            bookkeeping: false,
            events: Vec::new(),
        })
    }

    /// SQLite: a read (through [`with_pool!`] or a snapshot) waits here
    /// while a writer that rolled back in a group is not yet behind the
    /// group's commit. Such a writer saw the work of the members before it,
    /// not yet committed, and may have decided on it: a refresh token
    /// already spent by a parallel request, whose successor it then reads;
    /// a slot already taken, whose free neighbours it then offers. Its
    /// rollback cannot wait (a drop), so what it reads next does, and it
    /// finds that work there (unless the group's commit failed). A member
    /// that commits waits for the group's commit anyway. Rare (a rollback
    /// in a group) and short (the next turn commits the group first); at
    /// once otherwise, and always on PostgreSQL.
    pub async fn settled(&self) {
        if let Some(writer) = &self.writer {
            writer.settled().await;
        }
    }

    /// Completes after the next commit through this store (or at once if
    /// one happened since the last call).
    pub async fn committed(&self) {
        self.committed.notify.notified().await
    }

    /// How many changes this process knows of: moves on after every commit
    /// through this store and whenever [`Store::note_change`] is told of
    /// another change. A value computed from the database after
    /// reading generation `g` is current while the generation is still `g`.
    pub fn generation(&self) -> u64 {
        self.committed
            .generation
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// Something answers kept from the database depend on changed without
    /// a commit through this store: another process committed (heard
    /// through the live feed), or the cached studio rules were emptied.
    pub fn note_change(&self) {
        self.committed
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// Runs a trivial query: the database answers, or the error says why not.
    pub async fn ping(&self) -> Result<(), AppError> {
        with_pool!(self, p => sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(p).await)?;
        Ok(())
    }

    /// Closes every connection; later queries fail with `Unavailable`.
    pub async fn close(&self) {
        if let Some(writer) = &self.writer {
            writer
                .closed
                .store(true, std::sync::atomic::Ordering::Release);
            let mut slot = writer.conn.clone().lock_owned().await;
            writer.end_group(&mut slot).await;
            if let Some(conn) = slot.take() {
                let _ = conn.close().await;
            }
        }
        with_pool!(self, p => p.close().await)
    }
}

impl Tx {
    /// Serialises appends to the audit chain. SQLite write transactions are
    /// exclusive already; PostgreSQL takes a transaction-scoped advisory lock.
    pub async fn lock_audit_chain(&mut self) -> Result<(), AppError> {
        if let TxInner::Postgres(t) = &mut self.inner {
            sqlx::query("SELECT pg_advisory_xact_lock(7201)")
                .execute(&mut **t)
                .await?;
        }
        Ok(())
    }

    /// Serialises changes to the calendar (new or moved bookings, blocks),
    /// so a block and a booking made at the same moment cannot both miss
    /// each other, and two bookings cannot both take the last of an item.
    /// On PostgreSQL a change to one space locks that space (and the
    /// equipment it takes) and shares the studio, so bookings of different
    /// spaces go on in parallel; a studio-wide block takes the whole studio.
    /// SQLite write transactions are exclusive already. A new booking
    /// takes the same locks in `booking_prelude` (migration 0018), with its
    /// first reads: the keys must stay the same in both.
    pub async fn lock_calendar(&mut self, scope: CalendarScope<'_>) -> Result<(), AppError> {
        let TxInner::Postgres(t) = &mut self.inner else {
            return Ok(());
        };
        match scope {
            CalendarScope::Studio => {
                sqlx::query("SELECT pg_advisory_xact_lock(7202)")
                    .execute(&mut **t)
                    .await?;
            }
            CalendarScope::Space {
                space_id,
                equipment,
            } => {
                // The items always in the same order, so two bookings
                // sharing items cannot wait for each other; every lock in
                // one statement (its expressions run left to right), one
                // round trip however many items the booking takes.
                let mut items: Vec<&str> = equipment.iter().map(String::as_str).collect();
                items.sort_unstable();
                items.dedup();
                let mut sql = String::from(
                    "SELECT pg_advisory_xact_lock_shared(7202), pg_advisory_xact_lock(7204, hashtext($1))",
                );
                for i in 0..items.len() {
                    sql.push_str(&format!(
                        ", pg_advisory_xact_lock(7205, hashtext(${}))",
                        i + 2
                    ));
                }
                let mut q = sqlx::query(&sql).bind(space_id);
                for item in items {
                    q = q.bind(item);
                }
                q.execute(&mut **t).await?;
            }
        }
        Ok(())
    }

    /// Serialises changes to who is an owner, so two owners demoting each
    /// other at once cannot leave the studio without one. SQLite write
    /// transactions are exclusive already.
    pub async fn lock_employees(&mut self) -> Result<(), AppError> {
        if let TxInner::Postgres(t) = &mut self.inner {
            sqlx::query("SELECT pg_advisory_xact_lock(7203)")
                .execute(&mut **t)
                .await?;
        }
        Ok(())
    }

    pub(crate) fn audit_seal(&self) -> Option<&AuditSeal> {
        self.audit.as_ref()
    }

    pub(crate) fn outbox_wiring(&self) -> &super::outbox::Wiring {
        &self.outbox
    }

    pub(crate) fn mark_outbox_written(&mut self) {
        self.outbox_written = true;
    }

    /// Increments `name` (with `labels`) once this transaction commits;
    /// nothing when it rolls back.
    pub(crate) fn count_on_commit(
        &mut self,
        name: &'static str,
        labels: Vec<(&'static str, String)>,
    ) {
        self.counters.push(Counter { name, labels });
    }

    /// This transaction writes only the server's own bookkeeping (the
    /// outbox's claims and outcomes, every few seconds even when idle): its
    /// commit does not move [`Store::generation`], so answers kept from
    /// the calendar stay current.
    pub(crate) fn bookkeeping_only(&mut self) {
        self.bookkeeping = true;
    }

    /// Announces the domain event `id` once this transaction commits
    /// (PostgreSQL; SQLite's relay reads new rows after every commit).
    pub(crate) fn announce_on_commit(&mut self, id: i64) {
        if matches!(self.inner, TxInner::Postgres(_)) {
            self.events.push(id);
        }
    }

    pub(crate) fn set_audit_head(&mut self, id: i64, hash: String) {
        self.audit_head = Some((id, hash));
    }

    pub async fn commit(self) -> Result<(), AppError> {
        let Tx {
            inner,
            committed,
            audit,
            audit_head,
            _turn,
            outbox,
            outbox_written,
            counters,
            bookkeeping,
            events,
        } = self;
        match inner {
            TxInner::Sqlite(t) => t.commit(_turn).await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        // The anchor keeps only the newest head.
        if let (Some(seal), Some((id, hash))) = (&audit, &audit_head) {
            seal.anchor(*id, hash);
        }
        for c in counters {
            let labels: Vec<metrics::Label> = c
                .labels
                .into_iter()
                .map(|(k, v)| metrics::Label::new(k, v))
                .collect();
            metrics::counter!(c.name, labels).increment(1);
        }
        if !bookkeeping {
            committed
                .generation
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        }
        committed.notify.notify_one();
        if let (Some(announcer), false) = (&committed.announcer, events.is_empty()) {
            announcer.announce(events);
        }
        if outbox_written {
            outbox.wake.notify_one();
        }
        Ok(())
    }
}

/// What a change to the calendar touches, for [`Tx::lock_calendar`].
#[derive(Debug, Clone, Copy)]
pub enum CalendarScope<'a> {
    /// Every space: a studio-wide block.
    Studio,
    /// One space and the equipment a booking takes there.
    Space {
        space_id: &'a str,
        equipment: &'a [String],
    },
}

/// True when the database refused a new booking because its reference is
/// already taken (the unique index on `bookings.reference`).
pub fn is_reference_taken(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                && (db.constraint() == Some("bookings_reference_key")
                    || db.message().contains("bookings.reference"))
        }
        _ => false,
    }
}

/// True when the database refused a booking because it overlaps another
/// live booking of the space: PostgreSQL's exclusion constraint (SQLSTATE
/// 23P01) or the SQLite trigger's `booking_overlap` abort.
pub fn is_overlap_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            db.code().as_deref() == Some("23P01") || db.message().contains("booking_overlap")
        }
        _ => false,
    }
}

/// True when `e` is a unique-constraint violation on either backend.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// A value bound to a [`Batch`] statement.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(i64),
    Int4(i32),
    Text(String),
    OptText(Option<String>),
    Bool(bool),
    OptBool(Option<bool>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(v)
    }
}

impl From<i32> for Arg {
    fn from(v: i32) -> Arg {
        Arg::Int4(v)
    }
}

impl From<bool> for Arg {
    fn from(v: bool) -> Arg {
        Arg::Bool(v)
    }
}

impl From<Option<bool>> for Arg {
    fn from(v: Option<bool>) -> Arg {
        Arg::OptBool(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(v.to_owned())
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(v)
    }
}

impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Arg {
        Arg::OptText(v.map(str::to_owned))
    }
}

/// `$from, $from+1, …` for `n` values: an `IN (…)` list written once for
/// both backends.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Binds [`Arg`] values, in order, to a query of either backend.
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for a in $args {
            q = match a {
                $crate::server::store::Arg::Int(v) => q.bind(*v),
                $crate::server::store::Arg::Int4(v) => q.bind(*v),
                $crate::server::store::Arg::Text(v) => q.bind(v.as_str()),
                $crate::server::store::Arg::OptText(v) => q.bind(v.as_deref()),
                $crate::server::store::Arg::Bool(v) => q.bind(*v),
                $crate::server::store::Arg::OptBool(v) => q.bind(*v),
            };
        }
        q
    }};
}
pub(crate) use bind_all;

/// Writes that need no answer but how many rows the last one changed, sent
/// together: on SQLite one query string (sqlx runs each SQLite connection
/// on a thread of its own, so every call is a round trip between threads,
/// a large part of a short transaction's time); PostgreSQL prepares one
/// statement per query, so there they run one after the other, or, for a
/// batch made [`Batch::independent`], as one statement too. Each
/// statement numbers its own parameters from `$1`; they must not hold a
/// `$` elsewhere.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    statements: Vec<(String, usize)>,
    args: Vec<Arg>,
    independent: bool,
}

impl Batch {
    pub(crate) fn new() -> Batch {
        Batch::default()
    }

    /// A batch whose statements do not read what another of them writes
    /// and do not change the same rows (the database's own checks, such
    /// as constraints and their triggers, still see everything). On
    /// PostgreSQL it runs as one statement, the others as data-modifying
    /// `WITH` parts of the last, which all see the same snapshot: one
    /// round trip instead of one per statement. No statement may begin
    /// with `WITH` or return rows, but the last.
    pub(crate) fn independent() -> Batch {
        Batch {
            independent: true,
            ..Batch::default()
        }
    }

    pub(crate) fn push(&mut self, sql: &str, args: Vec<Arg>) {
        self.statements.push((sql.to_owned(), args.len()));
        self.args.extend(args);
    }

    pub(crate) fn len(&self) -> usize {
        self.statements.len()
    }

    /// Runs the statements in order in `tx`; returns the rows the last one
    /// changed (0 for an empty batch). The first statement that fails ends
    /// the batch with its error (the transaction is then rolled back).
    pub(crate) async fn run(self, tx: &mut Tx) -> Result<u64, sqlx::Error> {
        if self.statements.is_empty() {
            return Ok(0);
        }
        match &mut tx.inner {
            TxInner::Sqlite(t) => {
                let sql = format!("{}; SELECT changes()", self.joined());
                let changed: Vec<i64> = bind_all!(sqlx::query_scalar(&sql), &self.args)
                    .fetch_all(&mut **t)
                    .await?;
                Ok(changed.last().map_or(0, |n| u64::try_from(*n).unwrap_or(0)))
            }
            TxInner::Postgres(t) if self.independent => {
                let sql = self.as_one();
                Ok(bind_all!(sqlx::query(&sql), &self.args)
                    .execute(&mut **t)
                    .await?
                    .rows_affected())
            }
            TxInner::Postgres(t) => {
                let mut changed = 0;
                for (statement, args) in self.each() {
                    changed = bind_all!(sqlx::query(statement), args)
                        .execute(&mut **t)
                        .await?
                        .rows_affected();
                }
                Ok(changed)
            }
        }
    }

    /// Like [`Batch::run`], for a batch whose last statement returns one
    /// integer (`RETURNING id`), which this returns; no earlier statement
    /// may return rows.
    pub(crate) async fn run_returning(self, tx: &mut Tx) -> Result<i64, sqlx::Error> {
        match &mut tx.inner {
            TxInner::Sqlite(t) => {
                let sql = self.joined();
                let ids: Vec<i64> = bind_all!(sqlx::query_scalar(&sql), &self.args)
                    .fetch_all(&mut **t)
                    .await?;
                ids.last().copied().ok_or(sqlx::Error::RowNotFound)
            }
            TxInner::Postgres(t) if self.independent => {
                let sql = self.as_one();
                bind_all!(sqlx::query_scalar(&sql), &self.args)
                    .fetch_one(&mut **t)
                    .await
            }
            TxInner::Postgres(t) => {
                let mut statements = self.each().peekable();
                while let Some((statement, args)) = statements.next() {
                    if statements.peek().is_none() {
                        return bind_all!(sqlx::query_scalar(statement), args)
                            .fetch_one(&mut **t)
                            .await;
                    }
                    bind_all!(sqlx::query(statement), args)
                        .execute(&mut **t)
                        .await?;
                }
                Err(sqlx::Error::RowNotFound)
            }
        }
    }

    /// The statements with their parameters numbered on from the one
    /// before (`$1` of the second follows the first's last).
    fn renumbered(&self) -> Vec<String> {
        let mut offset = 0;
        self.statements
            .iter()
            .map(|(statement, n)| {
                let sql = renumber(statement, offset);
                offset += n;
                sql
            })
            .collect()
    }

    /// The statements as one SQLite query string.
    fn joined(&self) -> String {
        self.renumbered().join("; ")
    }

    /// The statements as one PostgreSQL statement: every one but the last
    /// a `WITH` part of the last.
    fn as_one(&self) -> String {
        let mut statements = self.renumbered();
        debug_assert!(
            statements
                .iter()
                .all(|s| !s.trim_start().to_ascii_uppercase().starts_with("WITH")),
            "a statement of an independent batch begins with WITH"
        );
        let last = statements.pop().unwrap_or_default();
        if statements.is_empty() {
            return last;
        }
        let parts: Vec<String> = statements
            .iter()
            .enumerate()
            .map(|(i, s)| format!("w{i} AS ({s})"))
            .collect();
        format!("WITH {} {last}", parts.join(", "))
    }

    /// Each statement with its own parameters.
    fn each(&self) -> impl Iterator<Item = (&str, &[Arg])> {
        let mut rest = self.args.as_slice();
        self.statements.iter().map(move |(statement, n)| {
            let (args, after) = rest.split_at(*n);
            rest = after;
            (statement.as_str(), args)
        })
    }
}

/// `sql` with every `$n` placeholder moved up by `offset`.
fn renumber(sql: &str, offset: usize) -> String {
    if offset == 0 {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut digits = String::new();
        while let Some((_, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
            digits.push(d);
            chars.next();
        }
        match digits.parse::<usize>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&digits),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::renumber;

    #[test]
    fn placeholders_move_up_and_nothing_else_changes() {
        assert_eq!(
            renumber("INSERT INTO t (a, b) VALUES ($1, $12) -- $x", 20),
            "INSERT INTO t (a, b) VALUES ($21, $32) -- $x"
        );
        assert_eq!(renumber("SELECT $1", 0), "SELECT $1");
        assert_eq!(renumber("SELECT 'é', $2", 1), "SELECT 'é', $3");
    }

    #[test]
    fn an_independent_batch_is_one_statement_on_postgresql() {
        let mut b = super::Batch::independent();
        b.push("INSERT INTO a (x) VALUES ($1)", vec![1i64.into()]);
        b.push(
            "UPDATE b SET y = $1 WHERE z = $2",
            vec![2i64.into(), 3i64.into()],
        );
        b.push(
            "INSERT INTO c (x) VALUES ($1) RETURNING id",
            vec![4i64.into()],
        );
        assert_eq!(
            b.as_one(),
            "WITH w0 AS (INSERT INTO a (x) VALUES ($1)), w1 AS (UPDATE b SET y = $2 WHERE z = $3) \
             INSERT INTO c (x) VALUES ($4) RETURNING id"
        );
        let mut single = super::Batch::independent();
        single.push("DELETE FROM a WHERE x = $1", vec![1i64.into()]);
        assert_eq!(single.as_one(), "DELETE FROM a WHERE x = $1");
    }
}

/// The writers' connection (SQLite): handed from writer to writer, never
/// left inside a transaction, opened again when lost.
#[cfg(test)]
mod writer_tests {
    use super::*;

    /// A SQLite file's directory, removed with it.
    struct Dir(std::path::PathBuf);

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A store on a SQLite file of its own with one table, `t`.
    async fn store() -> (Store, String, Dir) {
        let dir = std::env::temp_dir().join(format!("studio-writer-{}", uuid::Uuid::new_v4()));
        let url = format!("sqlite://{}/db.sqlite", dir.display());
        let store = Store::connect(&url, 2).await.unwrap();
        store
            .maintain("CREATE TABLE t (x INTEGER NOT NULL)")
            .await
            .unwrap();
        (store, url, Dir(dir))
    }

    async fn insert(tx: &mut Tx, x: i64) {
        with_tx!(tx, t => sqlx::query("INSERT INTO t (x) VALUES ($1)")
            .bind(x)
            .execute(&mut **t)
            .await
            .map(|_| ()))
        .unwrap();
    }

    /// Writes row `x` in a transaction of its own.
    async fn write_row(store: &Store, x: i64) {
        let mut tx = store.begin().await.unwrap();
        insert(&mut tx, x).await;
        tx.commit().await.unwrap();
    }

    async fn rows(store: &Store) -> Vec<i64> {
        let rows: Result<Vec<i64>, _> = with_pool!(store, p => sqlx::query_scalar("SELECT x FROM t ORDER BY x").fetch_all(p).await);
        rows.unwrap()
    }

    /// Another connection, as another process would write; it waits for
    /// SQLite's lock at most a second.
    async fn outsider(url: &str) -> SqliteConnection {
        SqliteConnectOptions::from_str(url)
            .unwrap()
            .busy_timeout(Duration::from_secs(1))
            .connect()
            .await
            .unwrap()
    }

    /// SQLite as `.cargo/config.toml` builds it: plans that do not depend
    /// on the values bound (so kept statements are not planned again at
    /// each execution), a page cache of its own for each connection, no
    /// global lock for statistics nobody reads.
    #[tokio::test]
    async fn sqlite_is_built_with_stable_plans_and_separate_page_caches() {
        let (store, _url, _dir) = store().await;
        let used = |option: &'static str| {
            let store = &store;
            async move {
                let on: Result<i64, _> = with_pool!(store, p => sqlx::query_scalar("SELECT sqlite_compileoption_used($1)")
                    .bind(option)
                    .fetch_one(p)
                    .await);
                on.unwrap() == 1
            }
        };
        assert!(used("ENABLE_QPSG").await);
        assert!(!used("ENABLE_MEMORY_MANAGEMENT").await);
        assert!(used("DISABLE_PAGECACHE_OVERFLOW_STATS").await);
        assert!(used("DEFAULT_MEMSTATUS=0").await);
        store.close().await;
    }

    #[tokio::test]
    async fn a_write_dropped_unfinished_lets_go_of_the_database_at_once() {
        let (store, url, _dir) = store().await;
        let mut tx = store.begin().await.unwrap();
        insert(&mut tx, 1).await;
        drop(tx);
        // Nobody else writes through the store: only the rollback queued
        // when it was dropped releases SQLite's lock for the outsider.
        let mut other = outsider(&url).await;
        sqlx::query("INSERT INTO t (x) VALUES (2)")
            .execute(&mut other)
            .await
            .unwrap();
        write_row(&store, 3).await;
        assert_eq!(rows(&store).await, vec![2, 3]);
        store.close().await;
    }

    #[tokio::test]
    async fn a_writer_given_up_while_it_waits_for_sqlite_leaves_nothing_open() {
        let (store, url, _dir) = store().await;
        let mut other = outsider(&url).await;
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut other)
            .await
            .unwrap();
        // Its `BEGIN IMMEDIATE` sits in SQLite's busy handler when the
        // request is dropped.
        let given_up = tokio::time::timeout(Duration::from_millis(100), store.begin()).await;
        assert!(given_up.is_err());
        sqlx::query("COMMIT").execute(&mut other).await.unwrap();

        write_row(&store, 1).await;
        // Committed for real (not inside a transaction left open), and
        // the lock is free again.
        sqlx::query("INSERT INTO t (x) VALUES (2)")
            .execute(&mut other)
            .await
            .unwrap();
        assert_eq!(rows(&store).await, vec![1, 2]);
        store.close().await;
    }

    #[tokio::test]
    async fn a_lost_writers_connection_is_opened_again_and_a_closed_store_refuses() {
        let (store, _url, _dir) = store().await;
        let writer = store.writer.clone().unwrap();
        drop(writer.conn.lock().await.take());
        write_row(&store, 1).await;
        assert_eq!(rows(&store).await, vec![1]);
        assert!(writer.conn.lock().await.is_some());

        store.close().await;
        assert!(writer.conn.lock().await.is_none());
        assert!(matches!(
            store.begin().await.err(),
            Some(AppError::Unavailable { .. })
        ));
    }

    /// Waits until `n` writers wait for the turn.
    async fn until_queued(store: &Store, n: usize) {
        let writer = store.writer.clone().unwrap();
        for _ in 0..500 {
            if writer.queued.load(std::sync::atomic::Ordering::Acquire) == n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        panic!("{n} writers never queued");
    }

    /// A first writer holding the turn with row 1 written, and a second
    /// one queued behind it that writes row 2 once it has its turn and, when
    /// told to go, ends its transaction with `end`.
    async fn two_writers<F, Fut>(
        store: &Store,
        end: F,
    ) -> (
        Tx,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<Result<(), AppError>>,
    )
    where
        F: FnOnce(Tx) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<(), AppError>> + Send,
    {
        let mut first = store.begin().await.unwrap();
        insert(&mut first, 1).await;
        let (go, gate) = tokio::sync::oneshot::channel::<()>();
        let second = tokio::spawn({
            let store = store.clone();
            async move {
                let mut tx = store.begin().await.unwrap();
                insert(&mut tx, 2).await;
                gate.await.unwrap();
                end(tx).await
            }
        });
        until_queued(store, 1).await;
        (first, go, second)
    }

    /// A writer whose turn ends while another waits leaves its work in the
    /// open transaction for the next; neither is told it committed before
    /// the one commit of both, and nobody reads either before it.
    #[tokio::test]
    async fn writers_queued_behind_one_share_its_commit() {
        let (store, _url, _dir) = store().await;
        let (first, go, second) = two_writers(&store, |tx| async move { tx.commit().await }).await;
        let first = tokio::spawn(first.commit());
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!first.is_finished(), "the first writer committed alone");
        assert_eq!(rows(&store).await, Vec::<i64>::new());
        go.send(()).unwrap();
        second.await.unwrap().unwrap();
        first.await.unwrap().unwrap();
        assert_eq!(rows(&store).await, vec![1, 2]);
        let writer = store.writer.clone().unwrap();
        assert!(writer.open_group().is_none());
        store.close().await;
    }

    /// A member of a group that fails (or whose request is given up) rolls
    /// back only its own work; the group is committed without it, by the
    /// writer before it if nobody else comes.
    #[tokio::test]
    async fn a_failed_member_of_a_group_leaves_the_others_work() {
        let (store, _url, _dir) = store().await;
        let (first, go, second) = two_writers(&store, |tx| async move {
            drop(tx);
            Ok(())
        })
        .await;
        let first = tokio::spawn(first.commit());
        tokio::time::sleep(Duration::from_millis(20)).await;
        go.send(()).unwrap();
        second.await.unwrap().unwrap();
        tokio::time::timeout(Duration::from_secs(5), first)
            .await
            .expect("the group was never committed")
            .unwrap()
            .unwrap();
        assert_eq!(rows(&store).await, vec![1]);
        write_row(&store, 3).await;
        assert_eq!(rows(&store).await, vec![1, 3]);
        store.close().await;
    }

    /// A member of a group that rolls back reads, outside its transaction,
    /// only once the work of the members before it (which it saw in its
    /// transaction) is committed: a refresh request that finds its token
    /// spent by a parallel one reads that one's successor next. The next
    /// holder of the turn here is slow to commit the group.
    #[tokio::test]
    async fn a_member_that_rolls_back_reads_the_work_it_saw() {
        let (store, _url, _dir) = store().await;
        let (seen, saw) = tokio::sync::oneshot::channel();
        let (first, go, second) = two_writers(&store, {
            let store = store.clone();
            move |mut tx| async move {
                let inside: Vec<i64> =
                    with_tx!(tx, t => sqlx::query_scalar("SELECT x FROM t ORDER BY x")
                    .fetch_all(&mut **t)
                    .await)
                    .unwrap();
                drop(tx);
                let _ = seen.send((inside, rows(&store).await));
                Ok(())
            }
        })
        .await;
        // Queued behind the second writer, before the first one's wait for
        // its group: it has the turn after the second and holds it.
        let slow = tokio::spawn({
            let conn = store.writer.clone().unwrap().conn.clone();
            async move {
                let _turn = conn.lock_owned().await;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let first = tokio::spawn(first.commit());
        tokio::time::sleep(Duration::from_millis(20)).await;
        go.send(()).unwrap();
        second.await.unwrap().unwrap();
        let (inside, outside) = saw.await.unwrap();
        assert_eq!(inside, vec![1, 2]);
        assert_eq!(outside, vec![1], "it read before the group's commit");
        first.await.unwrap().unwrap();
        slow.await.unwrap();
        assert_eq!(rows(&store).await, vec![1]);
        store.close().await;
    }

    /// A group's commit that fails fails every member: none of them is
    /// told its work was kept, and none of it is.
    #[tokio::test]
    async fn a_group_whose_commit_fails_fails_every_member() {
        let (store, _url, _dir) = store().await;
        store
            .maintain("CREATE TABLE p (id INTEGER PRIMARY KEY)")
            .await
            .unwrap();
        // A deferred foreign key is checked only at the commit.
        store
            .maintain("CREATE TABLE c (p INTEGER REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED)")
            .await
            .unwrap();
        let mut first = store.begin().await.unwrap();
        insert(&mut first, 1).await;
        let second = tokio::spawn({
            let store = store.clone();
            async move {
                let mut tx = store.begin().await.unwrap();
                with_tx!(tx, t => sqlx::query("INSERT INTO c (p) VALUES (99)")
                    .execute(&mut **t)
                    .await
                    .map(|_| ()))
                .unwrap();
                tx.commit().await
            }
        });
        until_queued(&store, 1).await;
        let first = first.commit().await;
        assert!(first.is_err(), "a member was told its work was kept");
        assert!(second.await.unwrap().is_err());
        assert_eq!(rows(&store).await, Vec::<i64>::new());
        // The connection is usable again.
        write_row(&store, 3).await;
        assert_eq!(rows(&store).await, vec![3]);
        store.close().await;
    }

    /// Many writers at once (in groups): every one is stored.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_are_all_committed() {
        let (store, _url, _dir) = store().await;
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut tx = store.begin().await?;
                    insert(&mut tx, i).await;
                    tx.commit().await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(rows(&store).await, (0..64).collect::<Vec<i64>>());
        store.close().await;
    }

    /// Maintenance queues with the writers: after the writer before it,
    /// before the writer after it (not in SQLite's busy handler, where a
    /// later writer can overtake it).
    #[tokio::test]
    async fn maintenance_takes_a_writers_turn() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let (store, _url, _dir) = store().await;
        let mut first = store.begin().await.unwrap();
        insert(&mut first, 1).await;
        let done = Arc::new(AtomicBool::new(false));
        let maintenance = tokio::spawn({
            let (store, done) = (store.clone(), done.clone());
            async move {
                store.maintain("VACUUM").await.unwrap();
                done.store(true, Ordering::SeqCst);
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !maintenance.is_finished(),
            "VACUUM did not wait for the writer"
        );
        let second = tokio::spawn({
            let (store, done) = (store.clone(), done.clone());
            async move {
                let mut tx = store.begin().await.unwrap();
                let after_maintenance = done.load(Ordering::SeqCst);
                insert(&mut tx, 2).await;
                tx.commit().await.unwrap();
                after_maintenance
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        first.commit().await.unwrap();
        maintenance.await.unwrap();
        assert!(
            second.await.unwrap(),
            "a later writer went before the maintenance"
        );
        assert_eq!(rows(&store).await, vec![1, 2]);
        store.close().await;
    }
}
