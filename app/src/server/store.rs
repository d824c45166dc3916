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
            $crate::server::store::DbPool::Sqlite($p) => $body,
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
#[derive(Debug)]
struct Writer {
    /// `None` after the connection was lost (the next writer opens
    /// another) and once the store is closed.
    conn: Arc<Mutex<Option<SqliteConnection>>>,
    options: SqliteConnectOptions,
    /// Set by [`Store::close`]: no connection is opened any more.
    closed: std::sync::atomic::AtomicBool,
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
    async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            SqliteTx::Write(mut w) => {
                SqliteTransactionManager::commit(&mut w.conn).await?;
                w.open = false;
                Ok(())
            }
            SqliteTx::Read(t) => t.commit().await,
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
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if self.open {
            SqliteTransactionManager::start_rollback(&mut self.conn);
        }
    }
}

impl Writer {
    /// Waits for the writers' turn, in arrival order; the guard is the
    /// turn and the connection slot.
    async fn turn(&self) -> Result<OwnedMutexGuard<Option<SqliteConnection>>, AppError> {
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
    /// has the turn. A connection found lost is replaced once.
    async fn begin(&self, slot: &mut Option<SqliteConnection>) -> Result<(), sqlx::Error> {
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
                    .pragma("wal_autocheckpoint", "4000");
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
            pool,
            committed: Arc::default(),
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
    /// ask SQLite for the lock.
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
                let tx = WriteTx { conn, open: true };
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
        })
    }

    /// Opens a read-only transaction that sees one consistent snapshot of
    /// the whole database while writers go on (SQLite: a deferred `BEGIN`,
    /// a WAL read snapshot from the first read; PostgreSQL: `REPEATABLE
    /// READ READ ONLY`). It takes no writer's turn. Drop it to end it.
    pub async fn begin_snapshot(&self) -> Result<Tx, AppError> {
        let inner = match &self.pool {
            DbPool::Sqlite(p) => TxInner::Sqlite(SqliteTx::Read(p.begin().await?)),
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
        })
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
            if let Some(conn) = writer.conn.lock().await.take() {
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
    /// SQLite write transactions are exclusive already.
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
        } = self;
        match inner {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        // The next writer may start; the anchor keeps only the newest head.
        drop(_turn);
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
        let mut tx = store.begin().await.unwrap();
        insert(&mut tx, 3).await;
        tx.commit().await.unwrap();
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

        let mut tx = store.begin().await.unwrap();
        insert(&mut tx, 1).await;
        tx.commit().await.unwrap();
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
        let mut tx = store.begin().await.unwrap();
        insert(&mut tx, 1).await;
        tx.commit().await.unwrap();
        assert_eq!(rows(&store).await, vec![1]);
        assert!(writer.conn.lock().await.is_some());

        store.close().await;
        assert!(writer.conn.lock().await.is_none());
        assert!(matches!(
            store.begin().await.err(),
            Some(AppError::Unavailable { .. })
        ));
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
