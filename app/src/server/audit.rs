//! The audit log: who did what, when, from where, with what before and
//! after. Entries are chained: each one's SHA-256 covers its content and
//! the previous entry's hash, so an edited or deleted row shows up as the
//! first broken link when the chain is verified (`server audit-verify`).
//! Secrets, tokens and passwords are never written here.

use super::{
    now_epoch,
    store::{with_pool, with_tx, Store, Tx},
};
use crate::error::AppError;
use sha2::{Digest, Sha256};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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

fn entry_hash(prev: &str, r: &Row) -> String {
    // A JSON array is an unambiguous encoding of the fields, whatever
    // characters they contain.
    let canonical = serde_json::json!([
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
    .to_string();
    Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Appends an entry inside the caller's transaction, so the entry exists
/// exactly when the change it describes does.
pub async fn append(tx: &mut Tx, actor: &Actor, entry: Entry<'_>) -> Result<(), AppError> {
    tx.lock_audit_chain().await?;
    let prev: Option<String> = with_tx!(tx, t => sqlx::query_scalar(
        "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1"
    )
    .fetch_optional(&mut **t)
    .await)?;
    let prev = prev.unwrap_or_else(|| GENESIS.to_owned());
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
    row.hash = entry_hash(&prev, &row);
    with_tx!(tx, t => sqlx::query(
        "INSERT INTO audit_log (at, actor_id, actor_name, action, target_type, target_id, ip, user_agent, \
         details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
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
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Appends an entry in a transaction of its own (for events that change
/// nothing else, such as a failed login).
pub async fn record(store: &Store, actor: &Actor, entry: Entry<'_>) -> Result<(), AppError> {
    let mut tx = store.begin().await?;
    append(&mut tx, actor, entry).await?;
    tx.commit().await
}

/// The outcome of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Intact {
        entries: u64,
    },
    /// The first entry whose stored hashes do not match its content or its
    /// predecessor.
    Broken {
        id: i64,
    },
}

/// Walks the whole chain in order, in pages.
pub async fn verify(store: &Store) -> Result<Verification, AppError> {
    let mut prev = GENESIS.to_owned();
    let mut after = 0_i64;
    let mut entries = 0_u64;
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
            if r.prev_hash != prev || entry_hash(&prev, &r) != r.hash {
                return Ok(Verification::Broken { id: r.id });
            }
            prev = r.hash;
            entries += 1;
        }
    }
    Ok(Verification::Intact { entries })
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

/// Filters of the audit viewer; all optional.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
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
    /// 1-based page of 100 entries, newest first.
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

/// Entries matching `filter`, newest first; `per_page` None means all (export).
pub async fn search(
    store: &Store,
    filter: &AuditFilter,
    per_page: Option<i64>,
) -> Result<AuditPage, AppError> {
    let page = filter.page.unwrap_or(1).max(1);
    let limit = per_page.unwrap_or(i64::MAX);
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
fn csv_cell(value: &str) -> String {
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
