//! `server`: serve the studio, migrate the database, create the first owner,
//! verify the audit log, rebuild the analytics rollups, back up and restore,
//! rotate the personal-data key, apply retention.
// One audited exception: the allocator tuning in `tune_allocators`.
#![deny(unsafe_code)]
#![recursion_limit = "512"]

use app::{error::AppError, server::employees};
use clap::{Parser, Subcommand};
use server::{config::Config, open_store, shutdown_signal, telemetry, Application};
use std::{
    io::{BufRead, IsTerminal},
    process::ExitCode,
};

#[derive(Parser)]
#[command(
    name = "server",
    version,
    about = "Studio CRM: bookings and staff for a photo studio"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the studio (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Check that no audit log entry was edited or removed.
    AuditVerify,
    /// Recompute the analytics rollups from the bookings (repairs).
    AnalyticsRebuild,
    /// Write a consistent, encrypted backup of the whole studio to a file
    /// (while the studio keeps serving).
    Backup {
        #[arg(long, short = 'o')]
        output: std::path::PathBuf,
    },
    /// Load a backup into an empty database of either backend (stop the
    /// server first).
    Restore {
        #[arg(long, short = 'i')]
        input: std::path::PathBuf,
        /// Replace a database that already holds a studio.
        #[arg(long)]
        force: bool,
    },
    /// Re-seal all personal data under the current STUDIO_DATA_KEY (older
    /// keys in STUDIO_DATA_KEY_PREVIOUS); resumable, safe while serving.
    RotateDataKey,
    /// Anonymise bookings past the retention period and purge audit entries
    /// of that age now, printing what was done.
    Retention {
        /// Only count what would be done.
        #[arg(long)]
        dry_run: bool,
    },
    /// Create the studio's first owner; the password is read from standard input.
    CreateOwner {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        #[arg(long = "full-name")]
        full_name: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tune_allocators();
    sqlite_on_mimalloc();
    // A missing .env is normal; the environment alone is enough.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    // Only a server stays idle long enough for its freed memory to matter;
    // a command-line tool gives everything back when it exits.
    if matches!(cli.command, None | Some(Command::Serve)) {
        spawn_purger();
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&config.log_level, config.log_format);

    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&config).await,
        Command::Migrate => open_store(&config)
            .await
            .map(|_| println!("database is up to date"))
            .map_err(|e| e.to_string()),
        Command::AuditVerify => audit_verify(&config).await,
        Command::AnalyticsRebuild => analytics_rebuild(&config).await,
        Command::Backup { output } => backup(&config, &output).await,
        Command::Restore { input, force } => restore(&config, &input, force).await,
        Command::RotateDataKey => rotate_data_key(&config).await,
        Command::Retention { dry_run } => retention(&config, dry_run).await,
        Command::CreateOwner {
            username,
            email,
            full_name,
        } => create_owner(&config, &username, &email, &full_name).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn audit_verify(config: &Config) -> Result<(), String> {
    let store = open_store(config).await.map_err(|e| e.to_string())?;
    match app::server::audit::verify(&store)
        .await
        .map_err(|e| e.message())?
    {
        app::server::audit::Verification::Intact {
            entries,
            head_id,
            head_hash,
        } => {
            println!("audit log intact: {entries} entries");
            println!("head: entry {head_id}, {head_hash}");
            println!("(keep this line elsewhere: a later check can then prove nothing before it was removed)");
            Ok(())
        }
        app::server::audit::Verification::Broken { id } => Err(format!(
            "audit log broken: entry {id} does not match its content or its predecessor"
        )),
        app::server::audit::Verification::Truncated {
            checkpoint_id,
            last_id,
        } => Err(format!(
            "audit log broken: the checkpoint names entry {checkpoint_id}, but the chain ends at entry {last_id} (entries were deleted or the chain replaced)"
        )),
        app::server::audit::Verification::BadCheckpoint { reason } => {
            Err(format!("audit log checkpoint refused: {reason}"))
        }
    }
}

async fn analytics_rebuild(config: &Config) -> Result<(), String> {
    let store = open_store(config).await.map_err(|e| e.to_string())?;
    let done = app::server::analytics::rebuild(&store)
        .await
        .map_err(|e| e.message())?;
    println!(
        "analytics rebuilt: {} bookings on {} space-days",
        done.bookings, done.days
    );
    Ok(())
}

async fn backup(config: &Config, output: &std::path::Path) -> Result<(), String> {
    let store = open_store(config).await.map_err(|e| e.to_string())?;
    let done = app::server::backup::backup(&store, config.secret_key.bytes(), output)
        .await
        .map_err(|e| format!("backup failed: {e}"))?;
    println!(
        "backup written: {} ({} tables, {} rows, {} bytes, {} schema version {})",
        output.display(),
        done.tables,
        done.rows,
        done.bytes,
        done.header.backend,
        done.header.schema_version
    );
    Ok(())
}

async fn restore(config: &Config, input: &std::path::Path, force: bool) -> Result<(), String> {
    let store = open_store(config).await.map_err(|e| e.to_string())?;
    let done = app::server::backup::restore(&store, config.secret_key.bytes(), input, force)
        .await
        .map_err(|e| format!("restore failed: {e}"))?;
    let made = chrono::DateTime::from_timestamp(done.header.created_at, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default();
    println!(
        "restored {} tables, {} rows from a {} backup made {made} into {}",
        done.tables,
        done.rows,
        done.header.backend,
        store.backend().name()
    );
    Ok(())
}

async fn rotate_data_key(config: &Config) -> Result<(), String> {
    let store = open_store(config).await.map_err(|e| e.to_string())?;
    let done = app::server::privacy::rotate(&store).await.map_err(|e| {
        format!(
            "rotation stopped ({}); run it again to carry on",
            e.message()
        )
    })?;
    println!(
        "personal data sealed under key {}: {} bookings, {} consent records, {} client notes re-sealed",
        store.vault().map_err(|e| e.message())?.current_key_id(),
        done.bookings,
        done.consents,
        done.client_notes
    );
    Ok(())
}

async fn retention(config: &Config, dry_run: bool) -> Result<(), String> {
    let store = open_store(config).await.map_err(|e| e.to_string())?;
    let run = app::server::privacy::run_retention(&store, chrono::Utc::now().timestamp(), dry_run)
        .await
        .map_err(|e| format!("retention failed: {}", e.message()))?;
    let cutoff = chrono::DateTime::from_timestamp(run.cutoff, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    println!(
        "{}retention {} days (ended before {cutoff}): {} bookings anonymised, {} audit entries purged",
        if dry_run { "dry run: " } else { "" },
        run.retention_days,
        run.bookings_anonymised,
        run.audit_entries_purged
    );
    Ok(())
}

async fn serve(config: &Config) -> Result<(), String> {
    let app = Application::build(config)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(token) = app.setup_token() {
        // On standard output only (not in the log): whoever runs the
        // server sets the studio up, once.
        println!(
            "No employee yet: open {}/setup and enter the setup token {token} (or run `server create-owner`).",
            config.public_url.as_deref().map_or_else(
                || format!("http://{}", app.local_addr()),
                |u| u.trim_end_matches('/').to_owned()
            )
        );
    }
    app.run_until(shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))
}

async fn create_owner(
    config: &Config,
    username: &str,
    email: &str,
    full_name: &str,
) -> Result<(), String> {
    let password = read_password()?;
    let store = open_store(config).await.map_err(|e| e.to_string())?;
    let input = employees::NewEmployeeInput {
        username,
        email,
        full_name,
        password: &password,
    };
    match employees::create_owner(&store, input).await {
        Ok(_) => {
            println!("owner '{}' created", username.trim().to_lowercase());
            Ok(())
        }
        Err(AppError::Validation { fields }) => Err(fields
            .iter()
            .map(|(field, e)| format!("{field}: {}", e.message))
            .collect::<Vec<_>>()
            .join("\n")),
        Err(e) => Err(e.message()),
    }
}

/// From a terminal the password is read without echo; from a pipe, the
/// first line is the password.
fn read_password() -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password("Owner password (at least 12 characters): ")
            .map_err(|e| format!("cannot read the password: {e}"));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Memory back to the system soon after it is freed, so that an idle
/// server holds what it uses, not its peak (an Argon2 hash is 19 MiB of
/// working memory, a board page a few MB), without giving back and
/// faulting in again, request after request, what a busy server reuses at
/// once:
/// - mimalloc (the global allocator, see lib.rs) purges a freed page once
///   it has been free for its purge delay (1 s, its default;
///   `MIMALLOC_PURGE_DELAY` in milliseconds changes it), and only on a
///   later call into the allocator: an idle server kept the last
///   sign-in's 19 MiB (84 MB RSS instead of 44). A thread of its own now
///   makes that call four times a second (see [`spawn_purger`]; `serve`
///   only), so an idle server gives its freed memory back within about
///   1.25 s. (Until 6 December the delay was set to 0 instead: every page
///   was given back the moment it was freed, and under load the next
///   request faulted it in again — 3,300 page faults for one board page instead of 300, a
///   tenth of its time.) It is built without asking for transparent huge
///   pages (`no_thp`): with them its first arena was backed by 2 MiB
///   pages, and the process's own memory after a sign-in was 21–23 MB
///   instead of 10–11.
/// - glibc's malloc (what C code other than SQLite's still uses, see
///   [`sqlite_on_mimalloc`]) raises its mmap threshold each time a large
///   block is freed, up to 32 MB, and the heap keeps what it once held; a
///   fixed threshold keeps blocks of 256 KiB and more in their own
///   mappings, returned to the system when freed.
#[allow(unsafe_code)]
fn tune_allocators() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; called before the
    // server allocates anything large.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

/// SQLite allocates through mimalloc, as the rest of the process does,
/// instead of glibc's malloc. sqlx copies every column of every row on the
/// connection's thread (SQLite allocates the copy) and the row is dropped
/// on a Tokio thread (which frees it): glibc takes the allocating thread's
/// arena lock for each such free, and the board's 2,000 cards (24,000
/// values) had the two threads queueing on it and glibc consolidating its
/// free lists — a sixth of the SQLite thread's time. mimalloc frees another
/// thread's block without a lock, and what SQLite frees is given back to
/// the system like the rest (see [`tune_allocators`]).
///
/// Must run before the first SQLite connection: SQLite takes its
/// allocator once, when it initialises (a later call is refused, and
/// SQLite keeps glibc's malloc: said on standard error, nothing else
/// changes).
#[allow(unsafe_code)]
fn sqlite_on_mimalloc() {
    use libsqlite3_sys as sqlite;
    use std::os::raw::{c_int, c_void};

    fn to_int(n: usize) -> c_int {
        c_int::try_from(n).unwrap_or(c_int::MAX)
    }
    fn to_size(n: c_int) -> usize {
        usize::try_from(n).unwrap_or(0)
    }
    // SAFETY (all five): SQLite calls these as its `sqlite3_mem_methods`
    // require; each passes its pointer only to mimalloc, which made it
    // (SQLite frees and resizes only what these functions returned).
    extern "C" fn malloc(n: c_int) -> *mut c_void {
        unsafe { libmimalloc_sys::mi_malloc(to_size(n)) }
    }
    extern "C" fn free(p: *mut c_void) {
        unsafe { libmimalloc_sys::mi_free(p) }
    }
    extern "C" fn realloc(p: *mut c_void, n: c_int) -> *mut c_void {
        unsafe { libmimalloc_sys::mi_realloc(p, to_size(n)) }
    }
    extern "C" fn size(p: *mut c_void) -> c_int {
        to_int(unsafe { libmimalloc_sys::mi_usable_size(p) })
    }
    extern "C" fn roundup(n: c_int) -> c_int {
        to_int(unsafe { libmimalloc_sys::mi_good_size(to_size(n)) })
    }
    extern "C" fn init(_: *mut c_void) -> c_int {
        sqlite::SQLITE_OK
    }
    extern "C" fn shutdown(_: *mut c_void) {}
    let methods = sqlite::sqlite3_mem_methods {
        xMalloc: Some(malloc),
        xFree: Some(free),
        xRealloc: Some(realloc),
        xSize: Some(size),
        xRoundup: Some(roundup),
        xInit: Some(init),
        xShutdown: Some(shutdown),
        pAppData: std::ptr::null_mut(),
    };
    // SAFETY: SQLITE_CONFIG_MALLOC takes a pointer to the methods, which
    // SQLite copies before returning; it is refused (SQLITE_MISUSE) once
    // SQLite has initialised, not undefined.
    let rc = unsafe { sqlite::sqlite3_config(sqlite::SQLITE_CONFIG_MALLOC, &methods) };
    if rc != sqlite::SQLITE_OK {
        eprintln!("SQLite keeps its own allocator (sqlite3_config returned {rc})");
    }
}

/// mimalloc purges the pages whose delay has passed only when some thread
/// frees a page of its own; an idle server frees nothing. This thread asks
/// it to, four times a second (`mi_collect(false)`: its own heap, which is
/// empty, and the purges that are due — nothing that is in use).
#[allow(unsafe_code)]
fn spawn_purger() {
    let spawned = std::thread::Builder::new()
        .name("mimalloc-purge".into())
        .spawn(|| {
            // mimalloc collects nothing for a thread that never allocated.
            drop(std::hint::black_box(Box::new(0u64)));
            loop {
                std::thread::sleep(std::time::Duration::from_millis(250));
                // SAFETY: mi_collect takes no pointer; it frees only
                // memory no one holds.
                unsafe { libmimalloc_sys::mi_collect(false) };
            }
        });
    if let Err(e) = spawned {
        eprintln!("cannot start the allocator's purge thread: {e}");
    }
}

#[cfg(test)]
mod tests {
    /// `RssAnon` of this process in KiB, read without allocating (so that
    /// reading it does not itself call into the allocator).
    #[cfg(target_os = "linux")]
    fn rss_anon_kib(status: &std::fs::File) -> u64 {
        use std::os::unix::fs::FileExt;
        let mut buf = [0u8; 8192];
        let n = status.read_at(&mut buf, 0).unwrap();
        let text = &buf[..n];
        let key = b"RssAnon:";
        let at = text
            .windows(key.len())
            .position(|w| w == key)
            .expect("RssAnon in /proc/self/status");
        text[at + key.len()..]
            .iter()
            .skip_while(|b| b.is_ascii_whitespace())
            .take_while(|b| b.is_ascii_digit())
            .fold(0, |n, d| n * 10 + u64::from(d - b'0'))
    }

    /// What SQLite allocates comes from mimalloc once the server has
    /// handed it over, for reads through sqlx too. (The only test in this
    /// binary that touches SQLite, so SQLite has not initialised before.)
    #[test]
    #[allow(unsafe_code)]
    fn sqlite_allocates_from_mimalloc() {
        super::sqlite_on_mimalloc();
        // SAFETY: a block of SQLite's, asked whether mimalloc's heap holds
        // it (a question about an address, not a read), then given back.
        unsafe {
            let p = libsqlite3_sys::sqlite3_malloc(1000);
            assert!(!p.is_null());
            assert!(
                libmimalloc_sys::mi_is_in_heap_region(p),
                "SQLite's block is not from mimalloc"
            );
            assert!(libsqlite3_sys::sqlite3_msize(p) >= 1000);
            libsqlite3_sys::sqlite3_free(p);
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            use sqlx::{Connection, Row};
            let mut c = sqlx::SqliteConnection::connect("sqlite::memory:")
                .await
                .unwrap();
            // Two thousand values made, copied by sqlx and freed: all
            // through mimalloc, across SQLite's thread and this one.
            let row = sqlx::query(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
                 SELECT group_concat(i) FROM n",
            )
            .fetch_one(&mut c)
            .await
            .unwrap();
            let text: String = row.get(0);
            assert!(text.ends_with(",2000"));
        });
    }

    /// Memory freed while nothing else calls into the allocator (an idle
    /// server) goes back to the system within a few seconds: the purge
    /// thread's doing, since this thread only sleeps and reads its status
    /// without allocating.
    #[test]
    #[cfg(target_os = "linux")]
    fn freed_memory_goes_back_while_idle() {
        const MIB: usize = 1024 * 1024;
        let status = std::fs::File::open("/proc/self/status").unwrap();
        super::spawn_purger();
        let before = rss_anon_kib(&status);
        // 32 MiB in blocks of 256 KiB, written to, then freed.
        let blocks: Vec<Vec<u8>> = (0..128).map(|_| vec![1u8; 256 * 1024]).collect();
        let held = rss_anon_kib(&status);
        assert!(
            held >= before + 24 * 1024,
            "the blocks are resident ({before} -> {held} KiB)"
        );
        drop(std::hint::black_box(blocks));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let now = rss_anon_kib(&status);
            if now < before + 8 * MIB as u64 / 1024 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "32 MiB freed 10 s ago are still held: {before} -> {now} KiB"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}
