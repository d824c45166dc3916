//! The audit log: who did what, when, from where, with what before and
//! after. Secrets, tokens and passwords are never written here.
//!
//! Tamper evidence: each entry carries an HMAC-SHA256 over its content and
//! the previous entry's MAC, keyed with a key derived from the server
//! secret, so someone who can write to the database but does not hold the
//! secret can neither edit a row nor re-compute the chain after it. The
//! head of the chain is anchored outside the table: after every commit
//! that appends, a signed checkpoint (last id and MAC) is written to
//! `audit.checkpoint` in the data directory, so deleting the newest rows
//! is noticed too. `server audit-verify` checks both and prints the head,
//! for the operator to keep elsewhere as well.

use super::{
    now_epoch,
    store::{with_pool, with_tx, Store, Tx},
    tokens::{constant_time_eq, derive_key, hex},
};
use crate::error::AppError;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

/// The keys and the anchor of the chain: part of the store once the
/// server secret is known.
#[derive(Clone)]
pub struct AuditSeal {
    chain_key: [u8; 32],
    checkpoint_key: [u8; 32],
    checkpoint: Option<PathBuf>,
    /// The newest id written to the checkpoint by this process.
    anchored: Arc<Mutex<i64>>,
}

impl std::fmt::Debug for AuditSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditSeal")
            .field("checkpoint", &self.checkpoint)
            .finish_non_exhaustive()
    }
}

impl AuditSeal {
    /// Keys derived from the server secret; the checkpoint file in
    /// `data_dir` (none: no anchor, for tools that only read).
    pub fn new(secret: &[u8], data_dir: Option<PathBuf>) -> AuditSeal {
        AuditSeal {
            chain_key: derive_key(secret, "audit-chain"),
            checkpoint_key: derive_key(secret, "audit-checkpoint"),
            checkpoint: data_dir.map(|d| d.join("audit.checkpoint")),
            anchored: Arc::new(Mutex::new(0)),
        }
    }

    fn mac(&self, data: &[u8]) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.chain_key).expect("any key length");
        mac.update(data);
        hex(&mac.finalize().into_bytes())
    }

    /// The `prev_hash` of the first entry.
    fn genesis(&self) -> String {
        self.mac(b"studio-crm/audit/genesis")
    }

    fn entry_mac(&self, prev: &str, r: &Row) -> String {
        self.mac(canonical(prev, r).as_bytes())
    }

    /// The signed record of the last purged entry.
    fn seal_base(&self, last_id: i64, hash: &str) -> String {
        let mut c = Checkpoint {
            last_id,
            hash: hash.to_owned(),
            at: now_epoch(),
            mac: String::new(),
        };
        c.mac = self.checkpoint_mac(&c);
        serde_json::to_string(&c).unwrap_or_default()
    }

    fn open_base(&self, raw: &str) -> Option<Checkpoint> {
        let c: Checkpoint = serde_json::from_str(raw).ok()?;
        constant_time_eq(self.checkpoint_mac(&c).as_bytes(), c.mac.as_bytes()).then_some(c)
    }

    fn checkpoint_mac(&self, c: &Checkpoint) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.checkpoint_key).expect("any key length");
        mac.update(format!("{}|{}|{}", c.last_id, c.hash, c.at).as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// Records `(id, hash)` as the newest known head, if it is newer than
    /// the one on file. Written to a temporary file and renamed, so the
    /// checkpoint is always whole.
    pub(crate) fn anchor(&self, id: i64, hash: &str) {
        let Some(path) = &self.checkpoint else { return };
        let mut anchored = match self.anchored.lock() {
            Ok(a) => a,
            Err(poisoned) => poisoned.into_inner(),
        };
        if id <= *anchored {
            return;
        }
        if let Some(on_file) = self.read_checkpoint().ok().flatten() {
            if on_file.last_id >= id {
                *anchored = on_file.last_id;
                return;
            }
        }
        let mut c = Checkpoint {
            last_id: id,
            hash: hash.to_owned(),
            at: now_epoch(),
            mac: String::new(),
        };
        c.mac = self.checkpoint_mac(&c);
        let temp = path.with_extension(format!("tmp{}", std::process::id()));
        let body = serde_json::to_string_pretty(&c).unwrap_or_default();
        let written = std::fs::write(&temp, body).and_then(|()| std::fs::rename(&temp, path));
        match written {
            Ok(()) => *anchored = id,
            Err(e) => tracing::error!(error = %e, "cannot write the audit checkpoint"),
        }
    }

    /// Drops the checkpoint on file: the chain it anchored was replaced as
    /// a whole (a restore), and the next entry anchors the new one.
    pub(crate) fn forget_anchor(&self) {
        let Some(path) = &self.checkpoint else { return };
        let mut anchored = match self.anchored.lock() {
            Ok(a) => a,
            Err(poisoned) => poisoned.into_inner(),
        };
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::error!(error = %e, "cannot remove the old audit checkpoint"),
        }
        *anchored = 0;
    }

    /// The checkpoint on file: `Ok(None)` when there is none yet, an error
    /// when it exists but is not genuine.
    fn read_checkpoint(&self) -> Result<Option<Checkpoint>, String> {
        let Some(path) = &self.checkpoint else {
            return Ok(None);
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let c: Checkpoint = serde_json::from_str(&text)
            .map_err(|_| format!("{} is not a checkpoint", path.display()))?;
        if !constant_time_eq(self.checkpoint_mac(&c).as_bytes(), c.mac.as_bytes()) {
            return Err(format!(
                "{} is not signed with this server's key",
                path.display()
            ));
        }
        Ok(Some(c))
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Checkpoint {
    last_id: i64,
    hash: String,
    at: i64,
    mac: String,
}

/// Who acted and from where.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub id: Option<String>,
    pub name: String,
    pub ip: String,
    pub user_agent: String,
}

/// One entry to append.
pub struct Entry<'a> {
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: &'a str,
    /// Before/after or other facts, as JSON.
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Row {
    id: i64,
    at: i64,
    actor_id: Option<String>,
    actor_name: String,
    action: String,
    target_type: String,
    target_id: String,
    ip: String,
    user_agent: String,
    details: String,
    prev_hash: String,
    hash: String,
}

/// A JSON array is an unambiguous encoding of the fields, whatever
/// characters they contain.
fn canonical(prev: &str, r: &Row) -> String {
    serde_json::json!([
        prev,
        r.at,
        r.actor_id,
        r.actor_name,
        r.action,
        r.target_type,
        r.target_id,
        r.ip,
        r.user_agent,
        r.details
    ])
    .to_string()
}

fn seal_of(store: &Store) -> Result<&AuditSeal, AppError> {
    store.audit_seal().ok_or_else(|| {
        tracing::error!("the audit log was written before its keys were set");
        AppError::Internal
    })
}

/// Appends an entry inside the caller's transaction, so the entry exists
/// exactly when the change it describes does.
pub async fn append(tx: &mut Tx, actor: &Actor, entry: Entry<'_>) -> Result<(), AppError> {
    let seal = tx.audit_seal().cloned().ok_or_else(|| {
        tracing::error!("the audit log was written before its keys were set");
        AppError::Internal
    })?;
    tx.lock_audit_chain().await?;
    let prev: Option<String> = with_tx!(tx, t => sqlx::query_scalar(
        "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1"
    )
    .fetch_optional(&mut **t)
    .await)?;
    let prev = prev.unwrap_or_else(|| seal.genesis());
    let mut row = Row {
        id: 0,
        at: now_epoch(),
        actor_id: actor.id.clone(),
        actor_name: actor.name.clone(),
        action: entry.action.to_owned(),
        target_type: entry.target_type.to_owned(),
        target_id: entry.target_id.to_owned(),
        ip: actor.ip.clone(),
        user_agent: actor.user_agent.chars().take(300).collect(),
        details: entry.details.to_string(),
        prev_hash: prev.clone(),
        hash: String::new(),
    };
    row.hash = seal.entry_mac(&prev, &row);
    let id: i64 = with_tx!(tx, t => sqlx::query_scalar(
        "INSERT INTO audit_log (at, actor_id, actor_name, action, target_type, target_id, ip, user_agent, \
         details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id"
    )
    .bind(row.at)
    .bind(&row.actor_id)
    .bind(&row.actor_name)
    .bind(&row.action)
    .bind(&row.target_type)
    .bind(&row.target_id)
    .bind(&row.ip)
    .bind(&row.user_agent)
    .bind(&row.details)
    .bind(&row.prev_hash)
    .bind(&row.hash)
    .fetch_one(&mut **t)
    .await)?;
    tx.set_audit_head(id, row.hash);
    Ok(())
}

/// Appends an entry in a transaction of its own (for events that change
/// nothing else, such as a failed login).
pub async fn record(store: &Store, actor: &Actor, entry: Entry<'_>) -> Result<(), AppError> {
    let mut tx = store.begin().await?;
    append(&mut tx, actor, entry).await?;
    tx.commit().await
}

const PURGE_BASE: &str = "audit_purged_through";

async fn purge_base(store: &Store) -> Result<Option<String>, AppError> {
    Ok(with_pool!(store, p => sqlx::query_scalar(
        "SELECT value FROM studio_meta WHERE key = $1"
    )
    .bind(PURGE_BASE)
    .fetch_optional(p)
    .await)?)
}

/// Deletes the entries older than `cutoff` (epoch seconds), oldest first,
/// and records the MAC of the last one deleted, so the chain that remains
/// still verifies from there (and deleting more of it still shows). Runs
/// in the caller's transaction, under the chain's lock. `dry_run` counts
/// only.
pub(crate) async fn purge_older_than(
    tx: &mut Tx,
    cutoff: i64,
    dry_run: bool,
) -> Result<u64, AppError> {
    let seal = tx.audit_seal().cloned().ok_or(AppError::Internal)?;
    tx.lock_audit_chain().await?;
    // The newest entry to purge; never the head of the chain, so appends
    // keep a predecessor in the table.
    let last: Option<(i64, String)> = with_tx!(tx, t => sqlx::query_as(
        "SELECT id, hash FROM audit_log WHERE at < $1 AND id < (SELECT MAX(id) FROM audit_log)          ORDER BY id DESC LIMIT 1"
    )
    .bind(cutoff)
    .fetch_optional(&mut **t)
    .await)?;
    let Some((last_id, hash)) = last else {
        return Ok(0);
    };
    if dry_run {
        let n: i64 = with_tx!(tx, t => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE id <= $1")
            .bind(last_id)
            .fetch_one(&mut **t)
            .await)?;
        return Ok(u64::try_from(n).unwrap_or(0));
    }
    let deleted = with_tx!(tx, t => sqlx::query("DELETE FROM audit_log WHERE id <= $1")
        .bind(last_id)
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?;
    let base = seal.seal_base(last_id, &hash);
    with_tx!(tx, t => sqlx::query("DELETE FROM studio_meta WHERE key = $1")
        .bind(PURGE_BASE)
        .execute(&mut **t)
        .await
        .map(|_| ()))?;
    with_tx!(tx, t => sqlx::query("INSERT INTO studio_meta (key, value) VALUES ($1, $2)")
        .bind(PURGE_BASE)
        .bind(&base)
        .execute(&mut **t)
        .await
        .map(|_| ()))?;
    Ok(deleted)
}

/// The outcome of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Intact {
        entries: u64,
        /// The newest entry's id and MAC (0 and the genesis for none).
        head_id: i64,
        head_hash: String,
    },
    /// The first entry whose stored MACs do not match its content or its
    /// predecessor.
    Broken { id: i64 },
    /// The chain is whole but shorter than the checkpoint says: entries
    /// after `last_id` were deleted, or the chain was replaced.
    Truncated { checkpoint_id: i64, last_id: i64 },
    /// The checkpoint file is not genuine.
    BadCheckpoint { reason: String },
}

/// Walks the whole chain in order, in pages, then holds its head against
/// the checkpoint.
pub async fn verify(store: &Store) -> Result<Verification, AppError> {
    let seal = seal_of(store)?;
    let checkpoint = match seal.read_checkpoint() {
        Ok(c) => c,
        Err(reason) => return Ok(Verification::BadCheckpoint { reason }),
    };
    // Entries older than the retention period may have been purged: the
    // chain then starts from the MAC of the last purged entry, kept (with a
    // MAC of its own) in `studio_meta`.
    let (mut prev, mut after) =
        match purge_base(store).await? {
            None => (seal.genesis(), 0_i64),
            Some(raw) => match seal.open_base(&raw) {
                Some(base) => (base.hash, base.last_id),
                None => return Ok(Verification::BadCheckpoint {
                    reason:
                        "the record of purged audit entries is not signed with this server's key"
                            .into(),
                }),
            },
        };
    let mut entries = 0_u64;
    let mut checkpoint_seen = false;
    loop {
        let rows: Vec<Row> = with_pool!(store, p => sqlx::query_as(
            "SELECT id, at, actor_id, actor_name, action, target_type, target_id, ip, user_agent, details, \
             prev_hash, hash FROM audit_log WHERE id > $1 ORDER BY id LIMIT 1000"
        )
        .bind(after)
        .fetch_all(p)
        .await)?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for r in rows {
            let expected = seal.entry_mac(&prev, &r);
            if r.prev_hash != prev || !constant_time_eq(expected.as_bytes(), r.hash.as_bytes()) {
                return Ok(Verification::Broken { id: r.id });
            }
            if let Some(c) = &checkpoint {
                if c.last_id == r.id {
                    if c.hash != r.hash {
                        return Ok(Verification::Broken { id: r.id });
                    }
                    checkpoint_seen = true;
                }
            }
            prev = r.hash;
            entries += 1;
        }
    }
    if let Some(c) = checkpoint {
        if !checkpoint_seen {
            return Ok(Verification::Truncated {
                checkpoint_id: c.last_id,
                last_id: after,
            });
        }
    }
    Ok(Verification::Intact {
        entries,
        head_id: after,
        head_hash: prev,
    })
}

/// The chain before this release was an unkeyed SHA-256 chain. At start-up
/// it is checked as such, re-sealed with the key, and the outcome is
/// itself audited; afterwards a marker says the chain is keyed. Runs under
/// the audit lock, so one of several starting instances does it.
pub async fn upgrade_chain(store: &Store) -> Result<(), AppError> {
    const MARKER: &str = "hmac-sha256";
    let seal = seal_of(store)?.clone();
    let mut tx = store.begin().await?;
    tx.lock_audit_chain().await?;
    let current: Option<String> = with_tx!(tx, t => sqlx::query_scalar(
        "SELECT value FROM studio_meta WHERE key = 'audit_chain'"
    )
    .fetch_optional(&mut **t)
    .await)?;
    if current.as_deref() == Some(MARKER) {
        return Ok(());
    }
    let rows: Vec<Row> = with_tx!(tx, t => sqlx::query_as(
        "SELECT id, at, actor_id, actor_name, action, target_type, target_id, ip, user_agent, details, \
         prev_hash, hash FROM audit_log ORDER BY id"
    )
    .fetch_all(&mut **t)
    .await)?;
    let mut legacy_prev = "0".repeat(64);
    let mut first_broken: Option<i64> = None;
    let mut prev = seal.genesis();
    for mut r in rows.iter().cloned() {
        let legacy = hex(&Sha256::digest(canonical(&legacy_prev, &r).as_bytes()));
        if first_broken.is_none() && (r.prev_hash != legacy_prev || legacy != r.hash) {
            first_broken = Some(r.id);
        }
        legacy_prev = r.hash.clone();
        r.prev_hash = prev.clone();
        r.hash = seal.entry_mac(&prev, &r);
        with_tx!(tx, t => sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE id = $3")
            .bind(&r.prev_hash)
            .bind(&r.hash)
            .bind(r.id)
            .execute(&mut **t)
            .await
            .map(|x| x.rows_affected()))?;
        prev = r.hash;
    }
    with_tx!(tx, t => sqlx::query("INSERT INTO studio_meta (key, value) VALUES ('audit_chain', $1)")
        .bind(MARKER)
        .execute(&mut **t)
        .await
        .map(|x| x.rows_affected()))?;
    if !rows.is_empty() {
        if let Some(id) = first_broken {
            tracing::error!(
                entry = id,
                "the audit log was already broken before it was keyed"
            );
        }
        append(
            &mut tx,
            &Actor {
                name: "system".into(),
                ..Default::default()
            },
            Entry {
                action: "audit_chain_keyed",
                target_type: "audit_log",
                target_id: "",
                details: serde_json::json!({
                    "entries": rows.len(),
                    "legacy_chain_intact": first_broken.is_none(),
                    "first_broken_entry": first_broken,
                }),
            },
        )
        .await?;
    }
    tx.commit().await
}

/// An entry as the audit viewer shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditView {
    pub id: i64,
    /// Epoch seconds.
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub ip: String,
    pub user_agent: String,
    /// Before/after and other facts, as JSON.
    pub details: serde_json::Value,
}

/// What the audit page shows for its entries' targets and for the spaces
/// their details name: booking references, employees' and spaces' names.
#[derive(Debug, Default)]
pub struct Names {
    /// Booking id → reference.
    pub bookings: std::collections::HashMap<String, String>,
    /// Employee id → full name.
    pub employees: std::collections::HashMap<String, String>,
    /// Space id and slug → name (inactive spaces included).
    pub spaces: std::collections::HashMap<String, String>,
}

/// The names behind `entries`' targets, three statements whatever their
/// number. Ids that no longer exist are left out.
pub async fn names(store: &Store, entries: &[AuditView]) -> Result<Names, AppError> {
    let ids = |kind: &str| -> Vec<&str> {
        let mut v: Vec<&str> = entries
            .iter()
            .filter(|e| e.target_type == kind && !e.target_id.is_empty())
            .map(|e| e.target_id.as_str())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    // Employees named as targets and those who acted.
    let mut people = ids("employee");
    people.extend(entries.iter().filter_map(|e| e.actor_id.as_deref()));
    people.sort_unstable();
    people.dedup();
    let names = Names {
        bookings: pairs(
            store,
            "SELECT id, reference FROM bookings WHERE id IN ({ids})",
            &ids("booking"),
        )
        .await?
        .into_iter()
        .collect(),
        employees: employee_names(store, &people).await?,
        spaces: space_names(store).await?,
    };
    Ok(names)
}

/// Employees' full names by id; ids no longer on file are left out.
pub async fn employee_names(
    store: &Store,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, String>, AppError> {
    Ok(pairs(
        store,
        "SELECT id, full_name FROM employees WHERE id IN ({ids})",
        ids,
    )
    .await?
    .into_iter()
    .collect())
}

/// Who acted, as people read it: the employee's full name today, else the
/// name recorded with the entry (the username; "system", "guest").
pub fn actor_label(
    employees: &std::collections::HashMap<String, String>,
    entry: &AuditView,
) -> String {
    entry
        .actor_id
        .as_deref()
        .and_then(|id| employees.get(id))
        .cloned()
        .unwrap_or_else(|| entry.actor_name.clone())
}

/// `(id, name)` pairs of `sql`, whose `{ids}` becomes `$1, $2, …`.
async fn pairs(store: &Store, sql: &str, ids: &[&str]) -> Result<Vec<(String, String)>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = sql.replace("{ids}", &list.join(", "));
    Ok(with_pool!(store, p => {
        let mut q = sqlx::query_as(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(p).await
    })?)
}

/// Every space's name by its id and by its slug, inactive spaces
/// included (old entries name them too).
pub async fn space_names(
    store: &Store,
) -> Result<std::collections::HashMap<String, String>, AppError> {
    let spaces: Vec<(String, String, String)> = with_pool!(store, p => sqlx::query_as(
        "SELECT id, slug, name FROM spaces"
    )
    .fetch_all(p)
    .await)?;
    Ok(spaces
        .into_iter()
        .flat_map(|(id, slug, name)| [(id, name.clone()), (slug, name)])
        .collect())
}

/// Filters of the audit viewer; all optional.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct AuditFilter {
    /// From this instant (epoch seconds, inclusive).
    pub from: Option<i64>,
    /// Until this instant (epoch seconds, exclusive).
    pub to: Option<i64>,
    /// One action, e.g. `login_failed`.
    pub action: Option<String>,
    /// Entries by this employee id.
    pub actor: Option<String>,
    /// Entries about this target id.
    pub target: Option<String>,
    /// 1-based page of 100 entries, newest first: 1 to 100000 (default 1).
    #[cfg_attr(feature = "ssr", param(minimum = 1, maximum = 100000))]
    pub page: Option<i64>,
}

/// A page of entries and how many match in all.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditView>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

const WHERE: &str =
    "WHERE ($1 IS NULL OR at >= $1) AND ($2 IS NULL OR at < $2) AND ($3 IS NULL OR action = $3) \
                     AND ($4 IS NULL OR actor_id = $4) AND ($5 IS NULL OR target_id = $5)";

/// The most entries one export holds; narrow the period for more.
pub const EXPORT_LIMIT: i64 = 100_000;

/// Entries matching `filter`, newest first; `per_page` None means an
/// export (up to [`EXPORT_LIMIT`]).
pub async fn search(
    store: &Store,
    filter: &AuditFilter,
    per_page: Option<i64>,
) -> Result<AuditPage, AppError> {
    let page =
        crate::domain::board::check_page(filter.page).map_err(|e| AppError::field("page", e))?;
    let limit = per_page.unwrap_or(EXPORT_LIMIT);
    let offset = per_page.map_or(0, |n| (page - 1) * n);
    let total: i64 = with_pool!(store, p => sqlx::query_scalar(&format!("SELECT COUNT(*) FROM audit_log {WHERE}"))
        .bind(filter.from)
        .bind(filter.to)
        .bind(&filter.action)
        .bind(&filter.actor)
        .bind(&filter.target)
        .fetch_one(p)
        .await)?;
    let sql = format!(
        "SELECT id, at, actor_id, actor_name, action, target_type, target_id, ip, user_agent, details, prev_hash, hash \
         FROM audit_log {WHERE} ORDER BY id DESC LIMIT $6 OFFSET $7"
    );
    let rows: Vec<Row> = with_pool!(store, p => sqlx::query_as(&sql)
        .bind(filter.from)
        .bind(filter.to)
        .bind(&filter.action)
        .bind(&filter.actor)
        .bind(&filter.target)
        .bind(limit)
        .bind(offset)
        .fetch_all(p)
        .await)?;
    let entries = rows
        .into_iter()
        .map(|r| AuditView {
            details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
            id: r.id,
            at: r.at,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            ip: r.ip,
            user_agent: r.user_agent,
        })
        .collect();
    Ok(AuditPage {
        entries,
        page,
        per_page: per_page.unwrap_or(total),
        total,
    })
}

/// One CSV cell: quoted when needed, and defused when a spreadsheet would
/// read it as a formula.
pub(crate) fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// The entries as CSV, with a header row; times in RFC 3339 UTC.
pub fn to_csv(entries: &[AuditView]) -> String {
    let mut out = String::from(
        "id,at,actor_id,actor_name,action,target_type,target_id,ip,user_agent,details\n",
    );
    for e in entries {
        let at = chrono::DateTime::from_timestamp(e.at, 0)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        let cells = [
            e.id.to_string(),
            at,
            e.actor_id.clone().unwrap_or_default(),
            e.actor_name.clone(),
            e.action.clone(),
            e.target_type.clone(),
            e.target_id.clone(),
            e.ip.clone(),
            e.user_agent.clone(),
            e.details.to_string(),
        ];
        out.push_str(
            &cells
                .iter()
                .map(|c| csv_cell(c))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("-1"), "'-1");
    }
}
