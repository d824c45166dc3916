//! Backup and restore: one portable, versioned, checksummed and encrypted
//! file for the whole studio, readable by either backend.
//!
//! A backup is an online snapshot: one read transaction (SQLite: a deferred
//! `BEGIN`, which in WAL mode sees one version of the file while writers go
//! on; PostgreSQL: `REPEATABLE READ READ ONLY`), so every table comes from
//! the same instant and bookings keep being taken meanwhile.
//!
//! The file:
//!
//! ```text
//! "STUDIOCRM-BACKUP" | format (1 byte) | header length (u32 BE) | header JSON | stream nonce (19 bytes)
//! then chunks: last? (1 byte) | length (u32 BE) | XChaCha20-Poly1305 ciphertext
//! ```
//!
//! The plaintext is gzip-compressed JSON lines: for each table a line
//! `{"table", "columns"}` and a JSON array per row, then an end line with
//! the table and row counts and the SHA-256 of every line before it. The
//! chunks are sealed with the STREAM construction (a counter and a "last"
//! flag in each nonce, the whole preamble as associated data), so a file
//! that was cut short, reordered, altered or made with another key is
//! refused before anything is written. The key is derived from the server
//! secret and never stored. Values are typed by the columns they come from
//! (integer, boolean, text), which is what makes a SQLite backup load into
//! PostgreSQL and back.
//!
//! A restore runs in one transaction into a database migrated to the same
//! schema version: all or nothing.

use super::{
    audit::{self, Actor, Entry},
    now_epoch,
    store::{with_tx, Store, Tx, TxInner},
    tokens::derive_key,
};
use crate::error::AppError;
use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};
use chacha20poly1305::{
    aead::{
        generic_array::GenericArray,
        stream::{DecryptorBE32, EncryptorBE32},
        KeyInit, Payload,
    },
    XChaCha20Poly1305,
};
use futures_util::TryStreamExt;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::{
    collections::{BTreeMap, BTreeSet},
    io::{self, BufRead, BufReader, Read, Write},
    path::{Path, PathBuf},
};

const MAGIC: &[u8; 16] = b"STUDIOCRM-BACKUP";
const FORMAT: u8 = 1;
/// Plaintext bytes (compressed) per sealed chunk.
const CHUNK: usize = 256 * 1024;
/// Poly1305 tag.
const TAG: usize = 16;
const STREAM_NONCE: usize = 19;
/// The longest header a genuine backup has (it is a few hundred bytes).
const MAX_HEADER: usize = 64 * 1024;

/// Every table of the studio, parents before children (the order rows are
/// loaded in). A backup refuses to run when the database has a table this
/// list does not name, so a new migration cannot be silently left out.
pub const TABLES: &[&str] = &[
    "studio_settings",
    "working_hours",
    "closed_dates",
    "studio_meta",
    "spaces",
    "images",
    "image_files",
    "equipment",
    "promo_codes",
    "employees",
    "sessions",
    "mfa_backup_codes",
    "domain_events",
    "blocked_periods",
    "bookings",
    "booking_equipment",
    "consent_records",
    "booking_state_history",
    "client_notes",
    "client_name_index",
    "client_name_pending",
    "client_profiles",
    "client_stats",
    "data_requests",
    "audit_log",
    "webhooks",
    "outbox",
    "outbox_attempts",
    "analytics_daily",
    "analytics_counted",
    "analytics_state",
];

/// Tables whose rows come with the migrations and never change (restore
/// requires the same schema version, so they are equal on both sides):
/// neither backed up nor cleared.
pub const MIGRATION_TABLES: &[&str] = &["consent_texts"];

/// What went wrong, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{0} is not a Studio CRM backup")]
    NotABackup(PathBuf),
    #[error("{path} is a backup of format {found}; this release reads format {FORMAT}")]
    Format { path: PathBuf, found: u8 },
    #[error(
        "{0} cannot be decrypted: it is damaged, or it was made by a studio with another secret key (STUDIO_SECRET_KEY or secret.key)"
    )]
    Damaged(PathBuf),
    #[error("{0} is incomplete: it ends before its last part (a backup that was interrupted, or a truncated copy)")]
    Incomplete(PathBuf),
    #[error("{path} does not match its own checksum or counts: {detail}")]
    Checksum { path: PathBuf, detail: String },
    #[error("the backup holds schema version {backup}, this release's database is at version {target}: restore it with the release that made it, then upgrade")]
    SchemaVersion { backup: i64, target: i64 },
    #[error("the backup does not fit this database: {0}")]
    Schema(String),
    #[error("the database already holds a studio ({employees} employees, {bookings} bookings): restore only into an empty database, or pass --force to replace everything in it")]
    NotEmpty { employees: i64, bookings: i64 },
    #[error("database error: {0}")]
    Database(String),
}

impl From<AppError> for BackupError {
    fn from(e: AppError) -> Self {
        BackupError::Database(e.message())
    }
}

impl From<sqlx::Error> for BackupError {
    fn from(e: sqlx::Error) -> Self {
        BackupError::Database(e.to_string())
    }
}

/// The plain part of a backup: what it is, before anything is decrypted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Header {
    pub created_at: i64,
    pub backend: String,
    pub schema_version: i64,
    pub app_version: String,
}

/// What a backup or a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub header: Header,
    pub tables: usize,
    pub rows: u64,
    pub bytes: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct TableLine {
    table: String,
    columns: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct EndLine {
    end: End,
}

#[derive(Debug, Serialize, Deserialize)]
struct End {
    tables: usize,
    rows: u64,
    sha256: String,
}

/// How a column's values are typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int32,
    Int64,
    Bool,
    Text,
    /// Binary (photos): base64 in the backup's JSON.
    Bytes,
}

fn backup_key(secret: &[u8]) -> [u8; 32] {
    derive_key(secret, "backup-file-v1")
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_owned(),
        source,
    }
}

// ---------------------------------------------------------------- sealing

/// Why a sealed stream could not be read (carried inside `io::Error`).
#[derive(Debug, thiserror::Error)]
enum Unseal {
    #[error("damaged")]
    Damaged,
    #[error("incomplete")]
    Incomplete,
}

struct SealWriter<W: Write> {
    out: W,
    enc: Option<EncryptorBE32<XChaCha20Poly1305>>,
    buf: Vec<u8>,
    aad: Vec<u8>,
    written: u64,
}

impl<W: Write> SealWriter<W> {
    fn emit(&mut self, last: bool, ciphertext: &[u8]) -> io::Result<()> {
        let len = u32::try_from(ciphertext.len()).map_err(io::Error::other)?;
        self.out.write_all(&[u8::from(last)])?;
        self.out.write_all(&len.to_be_bytes())?;
        self.out.write_all(ciphertext)?;
        self.written += 5 + ciphertext.len() as u64;
        Ok(())
    }

    fn finish(mut self) -> io::Result<(W, u64)> {
        let enc = self
            .enc
            .take()
            .ok_or_else(|| io::Error::other("sealed twice"))?;
        let chunk = std::mem::take(&mut self.buf);
        let sealed = enc
            .encrypt_last(Payload {
                msg: &chunk,
                aad: &self.aad,
            })
            .map_err(|_| io::Error::other("encryption failed"))?;
        self.emit(true, &sealed)?;
        self.out.flush()?;
        Ok((self.out, self.written))
    }
}

impl<W: Write> Write for SealWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        while self.buf.len() > CHUNK {
            let rest = self.buf.split_off(CHUNK);
            let chunk = std::mem::replace(&mut self.buf, rest);
            let enc = self
                .enc
                .as_mut()
                .ok_or_else(|| io::Error::other("already sealed"))?;
            let sealed = enc
                .encrypt_next(Payload {
                    msg: &chunk,
                    aad: &self.aad,
                })
                .map_err(|_| io::Error::other("encryption failed"))?;
            self.emit(false, &sealed)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct OpenReader<R: Read> {
    inp: R,
    dec: Option<DecryptorBE32<XChaCha20Poly1305>>,
    buf: Vec<u8>,
    pos: usize,
    done: bool,
    aad: Vec<u8>,
}

fn read_exact_or(inp: &mut impl Read, buf: &mut [u8]) -> io::Result<()> {
    inp.read_exact(buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            io::Error::other(Unseal::Incomplete)
        } else {
            e
        }
    })
}

impl<R: Read> OpenReader<R> {
    fn next_chunk(&mut self) -> io::Result<()> {
        let mut head = [0u8; 5];
        read_exact_or(&mut self.inp, &mut head)?;
        let last = match head[0] {
            0 => false,
            1 => true,
            _ => return Err(io::Error::other(Unseal::Damaged)),
        };
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        if !(TAG..=CHUNK + TAG).contains(&len) {
            return Err(io::Error::other(Unseal::Damaged));
        }
        let mut sealed = vec![0u8; len];
        read_exact_or(&mut self.inp, &mut sealed)?;
        let payload = Payload {
            msg: &sealed,
            aad: &self.aad,
        };
        let plain = if last {
            let dec = self
                .dec
                .take()
                .ok_or_else(|| io::Error::other(Unseal::Damaged))?;
            dec.decrypt_last(payload)
        } else {
            self.dec
                .as_mut()
                .ok_or_else(|| io::Error::other(Unseal::Damaged))?
                .decrypt_next(payload)
        }
        .map_err(|_| io::Error::other(Unseal::Damaged))?;
        if last {
            // Nothing may follow the last chunk.
            let mut extra = [0u8; 1];
            if self.inp.read(&mut extra)? != 0 {
                return Err(io::Error::other(Unseal::Damaged));
            }
            self.done = true;
        }
        self.buf = plain;
        self.pos = 0;
        Ok(())
    }
}

impl<R: Read> Read for OpenReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.buf.len() {
            if self.done {
                return Ok(0);
            }
            self.next_chunk()?;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Turns an error from reading the sealed stream into what it means.
fn unseal_error(path: &Path, e: io::Error) -> BackupError {
    match e.get_ref().and_then(|inner| inner.downcast_ref::<Unseal>()) {
        Some(Unseal::Damaged) => BackupError::Damaged(path.to_owned()),
        Some(Unseal::Incomplete) => BackupError::Incomplete(path.to_owned()),
        // gzip or JSON errors inside an authentic stream cannot come from
        // this program's own output: treat as damage.
        None if e.kind() == io::ErrorKind::InvalidData
            || e.kind() == io::ErrorKind::InvalidInput =>
        {
            BackupError::Damaged(path.to_owned())
        }
        None => BackupError::Io {
            path: path.to_owned(),
            source: e,
        },
    }
}

fn preamble(header: &[u8], nonce: &[u8; STREAM_NONCE]) -> Vec<u8> {
    let mut p = Vec::with_capacity(MAGIC.len() + 5 + header.len() + STREAM_NONCE);
    p.extend_from_slice(MAGIC);
    p.push(FORMAT);
    p.extend_from_slice(&(header.len() as u32).to_be_bytes());
    p.extend_from_slice(header);
    p.extend_from_slice(nonce);
    p
}

// ---------------------------------------------------------------- schema

async fn schema_version(tx: &mut Tx) -> Result<i64, BackupError> {
    let v: i64 = with_tx!(tx, t => sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success"
    )
    .fetch_one(&mut **t)
    .await)?;
    Ok(v)
}

async fn table_names(tx: &mut Tx) -> Result<BTreeSet<String>, BackupError> {
    let names: Vec<String> = match &mut tx.inner {
        TxInner::Sqlite(t) => {
            sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
            )
            .fetch_all(&mut **t)
            .await?
        }
        TxInner::Postgres(t) => {
            sqlx::query_scalar(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() \
                 AND tablename <> '_sqlx_migrations'",
            )
            .fetch_all(&mut **t)
            .await?
        }
    };
    Ok(names.into_iter().collect())
}

/// Checks that the database has exactly the tables of [`TABLES`].
async fn check_tables(tx: &mut Tx) -> Result<(), BackupError> {
    let found = table_names(tx).await?;
    let known: BTreeSet<String> = TABLES.iter().map(|t| (*t).to_owned()).collect();
    let found: BTreeSet<String> = found
        .into_iter()
        .filter(|t| !MIGRATION_TABLES.contains(&t.as_str()))
        .collect();
    if let Some(extra) = found.difference(&known).next() {
        return Err(BackupError::Schema(format!(
            "table {extra} is not in the list of tables to back up"
        )));
    }
    if let Some(missing) = known.difference(&found).next() {
        return Err(BackupError::Schema(format!("table {missing} is missing")));
    }
    Ok(())
}

fn kind_of(declared: &str, backend_pg: bool) -> Option<Kind> {
    let d = declared.to_ascii_lowercase();
    if backend_pg {
        match d.as_str() {
            "integer" | "smallint" => Some(Kind::Int32),
            "bigint" => Some(Kind::Int64),
            "boolean" => Some(Kind::Bool),
            "text" | "character varying" => Some(Kind::Text),
            "bytea" => Some(Kind::Bytes),
            _ => None,
        }
    } else if d.contains("int") {
        // SQLite integers are 64-bit whatever the declaration says.
        Some(Kind::Int64)
    } else if d.contains("bool") {
        Some(Kind::Bool)
    } else if d.contains("text") || d.contains("char") {
        Some(Kind::Text)
    } else if d.contains("blob") {
        Some(Kind::Bytes)
    } else {
        None
    }
}

async fn columns(tx: &mut Tx, table: &str) -> Result<Vec<(String, Kind)>, BackupError> {
    let (pg, declared): (bool, Vec<(String, String)>) = match &mut tx.inner {
        TxInner::Sqlite(t) => (
            false,
            sqlx::query_as("SELECT name, type FROM pragma_table_info($1) ORDER BY cid")
                .bind(table)
                .fetch_all(&mut **t)
                .await?,
        ),
        TxInner::Postgres(t) => (
            true,
            sqlx::query_as(
                "SELECT column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(table)
            .fetch_all(&mut **t)
            .await?,
        ),
    };
    declared
        .into_iter()
        .map(|(name, ty)| match kind_of(&ty, pg) {
            Some(kind) => Ok((name, kind)),
            None => Err(BackupError::Schema(format!(
                "column {table}.{name} has a type ({ty}) backups do not carry"
            ))),
        })
        .collect()
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

// ---------------------------------------------------------------- reading

/// Reads every table in one snapshot and hands each line to `sink`: a
/// [`TableLine`] before each table's rows, then the rows.
async fn read_all(
    tx: &mut Tx,
    mut sink: impl FnMut(Line) -> Result<(), BackupError>,
) -> Result<(), BackupError> {
    for table in TABLES {
        let cols = columns(tx, table).await?;
        sink(Line::Table(TableLine {
            table: (*table).to_owned(),
            columns: cols.iter().map(|(n, _)| n.clone()).collect(),
        }))?;
        let list = cols
            .iter()
            .map(|(n, _)| quoted(n))
            .collect::<Vec<_>>()
            .join(", ");
        // Ordered by the first column (the key of nearly every table), so
        // two backups of the same data are the same lines.
        let sql = format!("SELECT {list} FROM {} ORDER BY 1", quoted(table));
        let kinds: Vec<Kind> = cols.iter().map(|(_, k)| *k).collect();
        with_tx!(tx, t => {
            let mut rows = sqlx::query(&sql).fetch(&mut **t);
            while let Some(row) = rows.try_next().await? {
                let mut values = Vec::with_capacity(kinds.len());
                for (i, kind) in kinds.iter().enumerate() {
                    let v = match kind {
                        Kind::Int32 => row.try_get::<Option<i32>, _>(i)?.map(Value::from),
                        Kind::Int64 => row.try_get::<Option<i64>, _>(i)?.map(Value::from),
                        Kind::Bool => row.try_get::<Option<bool>, _>(i)?.map(Value::from),
                        Kind::Text => row.try_get::<Option<String>, _>(i)?.map(Value::from),
                        Kind::Bytes => row
                            .try_get::<Option<Vec<u8>>, _>(i)?
                            .map(|b| Value::from(BASE64.encode(b))),
                    };
                    values.push(v.unwrap_or(Value::Null));
                }
                sink(Line::Row(values))?;
            }
            Ok::<(), BackupError>(())
        })?;
    }
    Ok(())
}

enum Line {
    Table(TableLine),
    Row(Vec<Value>),
}

/// Every row of every table, read in one snapshot: what a backup holds.
/// Tests compare two databases with it.
pub async fn contents(
    store: &Store,
) -> Result<BTreeMap<String, Vec<BTreeMap<String, Value>>>, BackupError> {
    let mut tx = store.begin_snapshot().await?;
    check_tables(&mut tx).await?;
    let mut out: BTreeMap<String, Vec<BTreeMap<String, Value>>> = BTreeMap::new();
    let mut current: Option<(String, Vec<String>)> = None;
    read_all(&mut tx, |line| {
        match line {
            Line::Table(t) => {
                out.entry(t.table.clone()).or_default();
                current = Some((t.table, t.columns));
            }
            Line::Row(values) => {
                if let Some((table, cols)) = &current {
                    let row = cols.iter().cloned().zip(values).collect();
                    out.entry(table.clone()).or_default().push(row);
                }
            }
        }
        Ok(())
    })
    .await?;
    Ok(out)
}

// ---------------------------------------------------------------- backup

/// Writes a backup of `store` to `path`. The file appears only once it is
/// whole (written beside it under a temporary name, synced, renamed), so
/// an interrupted backup never leaves a file that looks finished.
pub async fn backup(store: &Store, secret: &[u8], path: &Path) -> Result<Summary, BackupError> {
    let mut tx = store.begin_snapshot().await?;
    check_tables(&mut tx).await?;
    let header = Header {
        created_at: now_epoch(),
        backend: store.backend().name().to_owned(),
        schema_version: schema_version(&mut tx).await?,
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let header_json =
        serde_json::to_vec(&header).map_err(|e| BackupError::Database(e.to_string()))?;
    let mut nonce = [0u8; STREAM_NONCE];
    rand::thread_rng().fill_bytes(&mut nonce);
    let pre = preamble(&header_json, &nonce);

    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    let temp = dir.join(format!(".{name}.partial-{}", std::process::id()));
    let file = std::fs::File::create(&temp).map_err(io_err(&temp))?;
    let mut out = io::BufWriter::new(file);
    out.write_all(&pre).map_err(io_err(&temp))?;
    let cipher = XChaCha20Poly1305::new(&backup_key(secret).into());
    let sealer = SealWriter {
        out,
        enc: Some(EncryptorBE32::from_aead(
            cipher,
            GenericArray::from_slice(&nonce),
        )),
        buf: Vec::with_capacity(CHUNK + 1024),
        aad: pre.clone(),
        written: 0,
    };
    let mut gz = flate2::write::GzEncoder::new(sealer, flate2::Compression::fast());
    let mut hash = Sha256::new();
    let (mut tables, mut rows) = (0usize, 0u64);
    let result = read_all(&mut tx, |line| {
        let mut bytes = match line {
            Line::Table(t) => {
                tables += 1;
                serde_json::to_vec(&t)
            }
            Line::Row(values) => {
                rows += 1;
                serde_json::to_vec(&values)
            }
        }
        .map_err(|e| BackupError::Database(e.to_string()))?;
        bytes.push(b'\n');
        hash.update(&bytes);
        gz.write_all(&bytes).map_err(io_err(&temp))
    })
    .await;
    // The snapshot is read; let it go before the file work.
    drop(tx);
    let finished = result.and_then(|()| {
        let end = EndLine {
            end: End {
                tables,
                rows,
                sha256: super::tokens::hex(&hash.finalize()),
            },
        };
        let mut bytes =
            serde_json::to_vec(&end).map_err(|e| BackupError::Database(e.to_string()))?;
        bytes.push(b'\n');
        gz.write_all(&bytes).map_err(io_err(&temp))?;
        let sealer = gz.finish().map_err(io_err(&temp))?;
        let (out, written) = sealer.finish().map_err(io_err(&temp))?;
        let file = out.into_inner().map_err(|e| BackupError::Io {
            path: temp.clone(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(io_err(&temp))?;
        std::fs::rename(&temp, path).map_err(io_err(path))?;
        // The rename itself survives a crash once the directory is synced.
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(pre.len() as u64 + written)
    });
    match finished {
        Ok(bytes) => Ok(Summary {
            header,
            tables,
            rows,
            bytes,
        }),
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(e)
        }
    }
}

// ---------------------------------------------------------------- reading a file

/// Reads a backup's plain header (no key needed): what it is and from when.
pub fn inspect(path: &Path) -> Result<Header, BackupError> {
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    let (header, _, _) = read_preamble(path, &mut BufReader::new(file))?;
    Ok(header)
}

fn read_preamble(
    path: &Path,
    inp: &mut impl Read,
) -> Result<(Header, Vec<u8>, [u8; STREAM_NONCE]), BackupError> {
    let mut magic = [0u8; 16];
    let mut short = |e: io::Error| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            BackupError::NotABackup(path.to_owned())
        } else {
            BackupError::Io {
                path: path.to_owned(),
                source: e,
            }
        }
    };
    inp.read_exact(&mut magic).map_err(&mut short)?;
    if &magic != MAGIC {
        return Err(BackupError::NotABackup(path.to_owned()));
    }
    let mut fmt = [0u8; 5];
    inp.read_exact(&mut fmt).map_err(&mut short)?;
    if fmt[0] != FORMAT {
        return Err(BackupError::Format {
            path: path.to_owned(),
            found: fmt[0],
        });
    }
    let len = u32::from_be_bytes([fmt[1], fmt[2], fmt[3], fmt[4]]) as usize;
    if len > MAX_HEADER {
        return Err(BackupError::Damaged(path.to_owned()));
    }
    let mut header_json = vec![0u8; len];
    inp.read_exact(&mut header_json)
        .map_err(|_| BackupError::Incomplete(path.to_owned()))?;
    let mut nonce = [0u8; STREAM_NONCE];
    inp.read_exact(&mut nonce)
        .map_err(|_| BackupError::Incomplete(path.to_owned()))?;
    let header: Header =
        serde_json::from_slice(&header_json).map_err(|_| BackupError::Damaged(path.to_owned()))?;
    Ok((header, preamble(&header_json, &nonce), nonce))
}

// ---------------------------------------------------------------- restore

/// A value of the backup, typed for the column it goes into.
enum Cell {
    I32(Option<i32>),
    I64(Option<i64>),
    Bool(Option<bool>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

fn cell(v: Value, kind: Kind, table: &str, column: &str) -> Result<Cell, BackupError> {
    let bad = || {
        BackupError::Schema(format!(
            "a value of {table}.{column} does not fit the column's type"
        ))
    };
    let int = |v: &Value| match v {
        Value::Number(n) => n.as_i64(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    };
    Ok(match (kind, &v) {
        (Kind::Int32, Value::Null) => Cell::I32(None),
        (Kind::Int64, Value::Null) => Cell::I64(None),
        (Kind::Bool, Value::Null) => Cell::Bool(None),
        (Kind::Text, Value::Null) => Cell::Text(None),
        (Kind::Bytes, Value::Null) => Cell::Bytes(None),
        (Kind::Bytes, Value::String(s)) => Cell::Bytes(Some(BASE64.decode(s).map_err(|_| bad())?)),
        (Kind::Int32, _) => Cell::I32(Some(
            int(&v)
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(bad)?,
        )),
        (Kind::Int64, _) => Cell::I64(Some(int(&v).ok_or_else(bad)?)),
        (Kind::Bool, Value::Bool(b)) => Cell::Bool(Some(*b)),
        (Kind::Bool, Value::Number(n)) => match n.as_i64() {
            Some(0) => Cell::Bool(Some(false)),
            Some(1) => Cell::Bool(Some(true)),
            _ => return Err(bad()),
        },
        (Kind::Text, Value::String(_)) => match v {
            Value::String(s) => Cell::Text(Some(s)),
            _ => unreachable!("matched a string"),
        },
        _ => return Err(bad()),
    })
}

/// Rows of one table waiting to be inserted.
struct Pending {
    table: String,
    columns: Vec<String>,
    kinds: Vec<Kind>,
    rows: Vec<Vec<Cell>>,
}

impl Pending {
    /// Rows per statement: well under both backends' limit on parameters,
    /// and a few at a time for tables of files (photos are large).
    fn batch(&self) -> usize {
        if self.kinds.contains(&Kind::Bytes) {
            return 8;
        }
        (8000 / self.columns.len().max(1)).max(1)
    }
}

async fn insert(tx: &mut Tx, p: &mut Pending) -> Result<(), BackupError> {
    if p.rows.is_empty() {
        return Ok(());
    }
    let width = p.columns.len();
    let rows = std::mem::take(&mut p.rows);
    let cols = p
        .columns
        .iter()
        .map(|c| quoted(c))
        .collect::<Vec<_>>()
        .join(", ");
    let mut start = 0;
    while start < rows.len() {
        let end = (start + p.batch()).min(rows.len());
        let mut sql = format!("INSERT INTO {} ({cols}) VALUES ", quoted(&p.table));
        for r in 0..(end - start) {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..width {
                if c > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${}", r * width + c + 1));
            }
            sql.push(')');
        }
        let batch = &rows[start..end];
        with_tx!(tx, t => {
            let mut q = sqlx::query(&sql);
            for row in batch {
                for c in row {
                    q = match c {
                        Cell::I32(v) => q.bind(*v),
                        Cell::I64(v) => q.bind(*v),
                        Cell::Bool(v) => q.bind(*v),
                        Cell::Text(v) => q.bind(v.clone()),
                        Cell::Bytes(v) => q.bind(v.clone()),
                    };
                }
            }
            q.execute(&mut **t).await.map(|_| ())
        })?;
        start = end;
    }
    Ok(())
}

/// Loads a backup into `store`, which must hold no studio yet (no
/// employees, no bookings) unless `force`. One transaction: a file that
/// turns out damaged half-way leaves the database as it was.
pub async fn restore(
    store: &Store,
    secret: &[u8],
    path: &Path,
    force: bool,
) -> Result<Summary, BackupError> {
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut inp = BufReader::new(file);
    let (header, pre, nonce) = read_preamble(path, &mut inp)?;

    let mut tx = store.begin().await?;
    check_tables(&mut tx).await?;
    let target_version = schema_version(&mut tx).await?;
    if header.schema_version != target_version {
        return Err(BackupError::SchemaVersion {
            backup: header.schema_version,
            target: target_version,
        });
    }
    let employees: i64 = with_tx!(tx, t => sqlx::query_scalar("SELECT COUNT(*) FROM employees")
        .fetch_one(&mut **t)
        .await)?;
    let bookings: i64 = with_tx!(tx, t => sqlx::query_scalar("SELECT COUNT(*) FROM bookings")
        .fetch_one(&mut **t)
        .await)?;
    if (employees > 0 || bookings > 0) && !force {
        return Err(BackupError::NotEmpty {
            employees,
            bookings,
        });
    }
    let mut target: BTreeMap<String, Vec<(String, Kind)>> = BTreeMap::new();
    for table in TABLES {
        target.insert((*table).to_owned(), columns(&mut tx, table).await?);
    }
    // Whatever is there (the default studio of a fresh start, or the old
    // studio with --force) goes, children first.
    for table in TABLES.iter().rev() {
        let sql = format!("DELETE FROM {}", quoted(table));
        with_tx!(tx, t => sqlx::query(&sql).execute(&mut **t).await.map(|_| ()))?;
    }

    let cipher = XChaCha20Poly1305::new(&backup_key(secret).into());
    let opener = OpenReader {
        inp,
        dec: Some(DecryptorBE32::from_aead(
            cipher,
            GenericArray::from_slice(&nonce),
        )),
        buf: Vec::new(),
        pos: 0,
        done: false,
        aad: pre,
    };
    let mut lines = BufReader::new(flate2::read::GzDecoder::new(opener));
    let mut hash = Sha256::new();
    let mut line = String::new();
    let mut pending: Option<Pending> = None;
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let (mut tables, mut rows) = (0usize, 0u64);
    let checksum = |detail: &str| BackupError::Checksum {
        path: path.to_owned(),
        detail: detail.to_owned(),
    };
    let end = loop {
        line.clear();
        let n = lines
            .read_line(&mut line)
            .map_err(|e| unseal_error(path, e))?;
        if n == 0 {
            return Err(checksum("it has no end marker"));
        }
        let value: Value =
            serde_json::from_str(&line).map_err(|_| BackupError::Damaged(path.to_owned()))?;
        let is_end = matches!(&value, Value::Object(o) if o.contains_key("end"));
        match value {
            Value::Object(_) if is_end => {
                let end: EndLine =
                    serde_json::from_value(value).map_err(|_| checksum("unreadable end marker"))?;
                break end.end;
            }
            Value::Array(values) => {
                let p = pending
                    .as_mut()
                    .ok_or_else(|| checksum("a row comes before its table"))?;
                if values.len() != p.columns.len() {
                    return Err(checksum(&format!(
                        "a row of {} has the wrong width",
                        p.table
                    )));
                }
                let mut row = Vec::with_capacity(values.len());
                for ((v, kind), col) in values.into_iter().zip(&p.kinds).zip(&p.columns) {
                    row.push(cell(v, *kind, &p.table, col)?);
                }
                p.rows.push(row);
                rows += 1;
                if p.rows.len() >= p.batch() {
                    insert(&mut tx, p).await?;
                }
            }
            Value::Object(_) => {
                let t: TableLine =
                    serde_json::from_value(value).map_err(|_| checksum("unreadable table line"))?;
                if let Some(mut done) = pending.take() {
                    insert(&mut tx, &mut done).await?;
                }
                let Some(cols) = target.get(&t.table) else {
                    return Err(BackupError::Schema(format!(
                        "the backup has a table {} this database does not",
                        t.table
                    )));
                };
                let theirs: BTreeSet<&String> = t.columns.iter().collect();
                let ours: BTreeSet<&String> = cols.iter().map(|(n, _)| n).collect();
                if theirs != ours {
                    return Err(BackupError::Schema(format!(
                        "the columns of {} differ from this database's",
                        t.table
                    )));
                }
                let kinds = t
                    .columns
                    .iter()
                    .map(|c| {
                        cols.iter()
                            .find(|(n, _)| n == c)
                            .map(|(_, k)| *k)
                            .unwrap_or(Kind::Text)
                    })
                    .collect();
                // Rows a trigger wrote while earlier tables were loaded
                // (where each booking is counted) are replaced by the
                // backup's own.
                let sql = format!("DELETE FROM {}", quoted(&t.table));
                with_tx!(tx, c => sqlx::query(&sql).execute(&mut **c).await.map(|_| ()))?;
                seen.insert(t.table.clone());
                tables += 1;
                pending = Some(Pending {
                    table: t.table,
                    columns: t.columns,
                    kinds,
                    rows: Vec::new(),
                });
            }
            _ => return Err(BackupError::Damaged(path.to_owned())),
        }
        hash.update(line.as_bytes());
    };
    if let Some(mut done) = pending.take() {
        insert(&mut tx, &mut done).await?;
    }
    // Nothing may follow the end line, and the stream must close properly.
    line.clear();
    if lines
        .read_line(&mut line)
        .map_err(|e| unseal_error(path, e))?
        != 0
    {
        return Err(checksum("data after the end marker"));
    }
    if end.tables != tables || end.rows != rows {
        return Err(checksum(&format!(
            "it says {} tables and {} rows, it holds {tables} and {rows}",
            end.tables, end.rows
        )));
    }
    if end.sha256 != super::tokens::hex(&hash.finalize()) {
        return Err(checksum("the SHA-256 of its content differs"));
    }
    if seen.len() != TABLES.len() {
        return Err(checksum("tables are missing"));
    }
    // PostgreSQL's id sequences continue after the restored rows.
    if let TxInner::Postgres(t) = &mut tx.inner {
        for table in TABLES {
            let has_id = target
                .get(*table)
                .is_some_and(|cols| cols.iter().any(|(n, k)| n == "id" && *k == Kind::Int64));
            if has_id {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence($1, 'id'), \
                     COALESCE((SELECT MAX(id) FROM {}), 0) + 1, false)",
                    quoted(table)
                );
                sqlx::query(&sql).bind(*table).execute(&mut **t).await?;
            }
        }
    }
    // The chain's anchor on this machine belongs to whatever was here
    // before: the restored chain is anchored afresh by the entry below.
    if let Some(seal) = store.audit_seal() {
        seal.forget_anchor();
    }
    audit::append(
        &mut tx,
        &Actor {
            name: "server restore".into(),
            ..Actor::default()
        },
        Entry {
            action: "backup.restored",
            target_type: "studio",
            target_id: "",
            details: serde_json::json!({
                "backup_created_at": header.created_at,
                "backup_backend": header.backend,
                "tables": tables,
                "rows": rows,
                "replaced": employees > 0 || bookings > 0,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Summary {
        header,
        tables,
        rows,
        bytes,
    })
}

/// Scheduled backups: where, how often, how many to keep.
#[derive(Debug, Clone)]
pub struct Plan {
    pub dir: PathBuf,
    pub every: std::time::Duration,
    pub keep: usize,
}

/// The newest scheduled backup's time in `dir`, if any.
pub fn latest(dir: &Path) -> Option<std::time::SystemTime> {
    scheduled_backups(dir).first().map(|(_, t)| *t)
}

fn publish_latest(at: Option<std::time::SystemTime>) {
    if let Some(secs) = at
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64())
    {
        metrics::gauge!("studio_backup_last_success_timestamp_seconds").set(secs);
    }
}

/// Takes a backup into `plan.dir` whenever the newest one there is older
/// than `plan.every` (at once when there is none), keeps the newest
/// `plan.keep`, and stops when `stopped` changes. A failed backup is
/// retried five minutes later; its partial file never stays behind.
pub async fn scheduled(
    store: Store,
    secret: std::sync::Arc<[u8]>,
    plan: std::sync::Arc<Plan>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    if let Err(e) = std::fs::create_dir_all(&plan.dir) {
        tracing::error!(error = %e, dir = %plan.dir.display(), "cannot create the backup directory; scheduled backups are off");
        return;
    }
    let mut retry_after: Option<std::time::Duration> = None;
    loop {
        let newest = latest(&plan.dir);
        publish_latest(newest);
        let wait = retry_after.take().unwrap_or_else(|| match newest {
            Some(t) => (t + plan.every)
                .duration_since(std::time::SystemTime::now())
                .unwrap_or_default(),
            None => std::time::Duration::ZERO,
        });
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stopped.changed() => return,
        }
        if *stopped.borrow() {
            return;
        }
        let path = plan.dir.join(scheduled_name(chrono::Utc::now()));
        let started = std::time::Instant::now();
        match backup(&store, &secret, &path).await {
            Ok(done) => {
                metrics::counter!("studio_backups_total", "outcome" => "ok").increment(1);
                tracing::info!(
                    file = %path.display(),
                    rows = done.rows,
                    bytes = done.bytes,
                    ms = started.elapsed().as_millis() as u64,
                    "scheduled backup written"
                );
                remove_leftovers(&plan.dir);
                for (old, _) in scheduled_backups(&plan.dir)
                    .into_iter()
                    .skip(plan.keep.max(1))
                {
                    if let Err(e) = std::fs::remove_file(&old) {
                        tracing::warn!(error = %e, file = %old.display(), "cannot remove an old backup");
                    }
                }
            }
            Err(e) => {
                metrics::counter!("studio_backups_total", "outcome" => "failed").increment(1);
                tracing::error!(error = %e, "scheduled backup failed; trying again in five minutes");
                retry_after = Some(std::time::Duration::from_secs(300));
            }
        }
    }
}

/// Removes the temporary files of backups that were cut short (a process
/// killed while writing) once they are a day old.
fn remove_leftovers(dir: &Path) {
    let day = std::time::Duration::from_secs(86_400);
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > day);
        if name.starts_with('.') && name.contains(".partial-") && old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Backups in `dir` made by the scheduler, newest first.
pub fn scheduled_backups(dir: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    let mut found: Vec<(PathBuf, std::time::SystemTime)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("studio-") && name.ends_with(SCHEDULED_SUFFIX)
        })
        .filter_map(|e| Some((e.path(), e.metadata().ok()?.modified().ok()?)))
        .collect();
    found.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
    found
}

/// The file name ending of scheduled backups.
pub const SCHEDULED_SUFFIX: &str = ".studio-backup";

/// The name of a scheduled backup taken at `at` (sorts by time).
pub fn scheduled_name(at: chrono::DateTime<chrono::Utc>) -> String {
    format!("studio-{}{SCHEDULED_SUFFIX}", at.format("%Y%m%dT%H%M%SZ"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(plain: &[u8], key: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let nonce = [7u8; STREAM_NONCE];
        let pre = preamble(b"{}", &nonce);
        let cipher = XChaCha20Poly1305::new(&backup_key(key).into());
        let mut w = SealWriter {
            out: Vec::new(),
            enc: Some(EncryptorBE32::from_aead(
                cipher,
                GenericArray::from_slice(&nonce),
            )),
            buf: Vec::new(),
            aad: pre.clone(),
            written: 0,
        };
        w.write_all(plain).unwrap();
        (w.finish().unwrap().0, pre)
    }

    fn opened(sealed: &[u8], pre: &[u8], key: &[u8]) -> io::Result<Vec<u8>> {
        let cipher = XChaCha20Poly1305::new(&backup_key(key).into());
        let mut r = OpenReader {
            inp: sealed,
            dec: Some(DecryptorBE32::from_aead(
                cipher,
                GenericArray::from_slice(&[7u8; STREAM_NONCE]),
            )),
            buf: Vec::new(),
            pos: 0,
            done: false,
            aad: pre.to_vec(),
        };
        let mut out = Vec::new();
        r.read_to_end(&mut out)?;
        Ok(out)
    }

    fn why(e: io::Error) -> String {
        e.get_ref()
            .and_then(|i| i.downcast_ref::<Unseal>())
            .map(|u| u.to_string())
            .unwrap_or_else(|| e.to_string())
    }

    #[test]
    fn a_sealed_stream_opens_to_what_went_in_across_chunks() {
        let plain: Vec<u8> = (0..(CHUNK * 2 + 123)).map(|i| (i % 251) as u8).collect();
        let (s, pre) = sealed(&plain, b"key one");
        assert_eq!(opened(&s, &pre, b"key one").unwrap(), plain);
        // Exactly one chunk, and nothing at all.
        for n in [CHUNK, 0] {
            let (s, pre) = sealed(&plain[..n], b"k");
            assert_eq!(opened(&s, &pre, b"k").unwrap(), &plain[..n]);
        }
    }

    #[test]
    fn a_cut_altered_or_foreign_stream_is_refused() {
        let plain: Vec<u8> = (0..(CHUNK * 2 + 5)).map(|i| (i % 13) as u8).collect();
        let (s, pre) = sealed(&plain, b"key");
        // Cut at a chunk boundary: every chunk before it is genuine, but
        // the last one is missing.
        let first = 5 + CHUNK + TAG;
        assert_eq!(
            why(opened(&s[..first], &pre, b"key").unwrap_err()),
            "incomplete"
        );
        assert_eq!(
            why(opened(&s[..s.len() - 3], &pre, b"key").unwrap_err()),
            "incomplete"
        );
        let mut flipped = s.clone();
        flipped[first + 40] ^= 1;
        assert_eq!(why(opened(&flipped, &pre, b"key").unwrap_err()), "damaged");
        assert_eq!(why(opened(&s, &pre, b"other key").unwrap_err()), "damaged");
        let mut other_header = pre.clone();
        other_header[MAGIC.len() + 6] ^= 1;
        assert_eq!(
            why(opened(&s, &other_header, b"key").unwrap_err()),
            "damaged"
        );
        let mut longer = s.clone();
        longer.push(0);
        assert_eq!(why(opened(&longer, &pre, b"key").unwrap_err()), "damaged");
        // A middle chunk marked as the last one.
        let mut early_end = s.clone();
        early_end[0] = 1;
        assert_eq!(
            why(opened(&early_end, &pre, b"key").unwrap_err()),
            "damaged"
        );
    }

    #[test]
    fn values_are_typed_by_the_column_they_go_into() {
        assert!(matches!(
            cell(Value::from(true), Kind::Int32, "t", "c").unwrap(),
            Cell::I32(Some(1))
        ));
        assert!(matches!(
            cell(Value::from(1), Kind::Bool, "t", "c").unwrap(),
            Cell::Bool(Some(true))
        ));
        assert!(matches!(
            cell(Value::from(5_000_000_000i64), Kind::Int64, "t", "c").unwrap(),
            Cell::I64(Some(5_000_000_000))
        ));
        assert!(cell(Value::from(5_000_000_000i64), Kind::Int32, "t", "c").is_err());
        assert!(cell(Value::from(2), Kind::Bool, "t", "c").is_err());
        assert!(cell(Value::from(3), Kind::Text, "t", "c").is_err());
        assert!(matches!(
            cell(Value::Null, Kind::Text, "t", "c").unwrap(),
            Cell::Text(None)
        ));
    }

    #[test]
    fn declared_types_map_on_both_backends() {
        assert_eq!(kind_of("INTEGER", false), Some(Kind::Int64));
        assert_eq!(kind_of("BIGINT", false), Some(Kind::Int64));
        assert_eq!(kind_of("BOOLEAN", false), Some(Kind::Bool));
        assert_eq!(kind_of("TEXT", false), Some(Kind::Text));
        assert_eq!(kind_of("integer", true), Some(Kind::Int32));
        assert_eq!(kind_of("bigint", true), Some(Kind::Int64));
        assert_eq!(kind_of("boolean", true), Some(Kind::Bool));
        assert_eq!(kind_of("bytea", true), Some(Kind::Bytes));
        assert_eq!(kind_of("BLOB", false), Some(Kind::Bytes));
        assert_eq!(kind_of("json", true), None);
        assert_eq!(kind_of("REAL", false), None);
    }

    #[test]
    fn bytes_travel_as_base64() {
        assert!(matches!(
            cell(Value::from("AAEC/w=="), Kind::Bytes, "t", "c").unwrap(),
            Cell::Bytes(Some(b)) if b == [0, 1, 2, 255]
        ));
        assert!(cell(Value::from("not base64!"), Kind::Bytes, "t", "c").is_err());
        assert!(matches!(
            cell(Value::Null, Kind::Bytes, "t", "c").unwrap(),
            Cell::Bytes(None)
        ));
    }
}
