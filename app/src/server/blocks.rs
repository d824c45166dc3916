//! Blocked periods: maintenance, private events, a space out of use. A
//! block may not cover a live booking (409 with the bookings in the way);
//! availability and new bookings leave blocked time alone. Blocks and
//! bookings take the same calendar lock, so neither can slip past the other.

use super::{
    audit::{self, Entry},
    bookings::{day_start, parse_time, rfc3339, Fields},
    credentials::actor_of,
    credentials::{Origin, Principal},
    events::{self, NewEvent},
    now_epoch,
    rules::StudioConfig,
    store::{with_pool, with_tx, CalendarScope, Tx},
    AppState,
};
use crate::{
    domain::calendar::{Block, BlockQuery, BlockRequest},
    error::{AppError, FieldError},
};
use chrono::{DateTime, Duration, NaiveDate};
use std::sync::Arc;

#[derive(sqlx::FromRow)]
struct BlockRow {
    id: String,
    slug: Option<String>,
    starts_at: i64,
    ends_at: i64,
    reason: String,
}

const SELECT: &str = "SELECT k.id, s.slug, k.starts_at, k.ends_at, k.reason \
                      FROM blocked_periods k LEFT JOIN spaces s ON s.id = k.space_id";

fn to_block(config: &StudioConfig, r: BlockRow) -> Result<Block, AppError> {
    let at = |t: i64| DateTime::from_timestamp(t, 0).ok_or(AppError::Internal);
    Ok(Block {
        id: r.id,
        space: r.slug,
        start_time: rfc3339(config, at(r.starts_at)?),
        end_time: rfc3339(config, at(r.ends_at)?),
        reason: r.reason,
    })
}

async fn config(state: &AppState) -> Result<Arc<StudioConfig>, AppError> {
    super::rules::studio_config(&state.store, &state.rules_cache).await
}

/// Blocks touching the studio dates `from` to `to` (default: today and
/// the four weeks after).
pub async fn list(state: &AppState, query: &BlockQuery) -> Result<Vec<Block>, AppError> {
    let config = config(state).await?;
    let today = config.rules.local_date(chrono::Utc::now());
    let mut errors = Fields::new();
    let mut date = |field: &str, raw: &Option<String>, default: NaiveDate| match raw
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        None => default,
        Some(d) => crate::domain::calendar::parse_date(d).unwrap_or_else(|| {
            errors.insert(
                field.into(),
                FieldError::new("invalid_date", "Use a date like 2026-12-31."),
            );
            default
        }),
    };
    let from = date("from", &query.from, today);
    let to = date("to", &query.to, today + Duration::days(28));
    if !errors.is_empty() {
        return Err(AppError::Validation { fields: errors });
    }
    let sql = format!("{SELECT} WHERE k.starts_at < $1 AND k.ends_at > $2 ORDER BY k.starts_at");
    let rows: Vec<BlockRow> = with_pool!(&state.store, p => sqlx::query_as(&sql)
        .bind(day_start(&config, to + Duration::days(1)).timestamp())
        .bind(day_start(&config, from).timestamp())
        .fetch_all(p)
        .await)?;
    rows.into_iter().map(|r| to_block(&config, r)).collect()
}

struct Checked {
    space_id: Option<String>,
    starts_at: i64,
    ends_at: i64,
    reason: String,
}

impl Checked {
    /// What the block takes from the calendar: its space, or the studio.
    fn scope(&self) -> CalendarScope<'_> {
        match self.space_id.as_deref() {
            Some(space_id) => CalendarScope::Space {
                space_id,
                equipment: &[],
            },
            None => CalendarScope::Studio,
        }
    }
}

async fn check(state: &AppState, req: &BlockRequest) -> Result<Checked, AppError> {
    let mut errors = Fields::new();
    let space = req
        .space
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let space_id = match space {
        None => None,
        Some(slug) => {
            let id: Option<String> = with_pool!(&state.store, p => sqlx::query_scalar(
                "SELECT id FROM spaces WHERE slug = $1"
            )
            .bind(slug)
            .fetch_optional(p)
            .await)?;
            if id.is_none() {
                errors.insert(
                    "space".into(),
                    FieldError::new("unknown_space", "Choose one of the studio's spaces."),
                );
            }
            id
        }
    };
    let start = parse_time("start_time", &req.start_time, &mut errors);
    let end = parse_time("end_time", &req.end_time, &mut errors);
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            errors.insert(
                "end_time".into(),
                FieldError::new("end_before_start", "The end must come after the start."),
            );
        } else if e - s > Duration::days(62) {
            errors.insert(
                "end_time".into(),
                FieldError::new("too_long", "A block is at most two months long."),
            );
        }
    }
    let reason = req.reason.clone().unwrap_or_default().trim().to_owned();
    if reason.chars().count() > 500 {
        errors.insert(
            "reason".into(),
            FieldError::new("text_too_long", "At most 500 characters."),
        );
    }
    match (start, end, errors.is_empty()) {
        (Some(s), Some(e), true) => Ok(Checked {
            space_id,
            starts_at: s.timestamp(),
            ends_at: e.timestamp(),
            reason,
        }),
        _ => Err(AppError::Validation { fields: errors }),
    }
}

/// Refuses a block over live bookings, naming them.
async fn no_bookings_under(
    tx: &mut Tx,
    config: &StudioConfig,
    c: &Checked,
) -> Result<(), AppError> {
    let rows: Vec<(String, String, i64)> = with_tx!(tx, t => sqlx::query_as(
        "SELECT id, reference, starts_at FROM bookings \
         WHERE deleted_at IS NULL AND state NOT IN ('cancelled', 'no_show') \
           AND ($1 = '' OR space_id = $1) AND starts_at < $2 AND blocked_until > $3 \
         ORDER BY starts_at LIMIT 20"
    )
    .bind(c.space_id.clone().unwrap_or_default())
    .bind(c.ends_at)
    .bind(c.starts_at)
    .fetch_all(&mut **t)
    .await)?;
    if rows.is_empty() {
        return Ok(());
    }
    let bookings: Vec<serde_json::Value> = rows
        .iter()
        .map(|(id, reference, starts)| {
            serde_json::json!({
                "id": id,
                "reference": reference,
                "start_time": DateTime::from_timestamp(*starts, 0).map(|t| rfc3339(config, t)),
            })
        })
        .collect();
    Err(AppError::Conflict {
        code: "booking_conflict".into(),
        message: "Live bookings fall in this period; move or cancel them first.".into(),
        details: Some(serde_json::json!({ "bookings": bookings })),
    })
}

async fn one(state: &AppState, id: &str) -> Result<Block, AppError> {
    let config = config(state).await?;
    let sql = format!("{SELECT} WHERE k.id = $1");
    let row: Option<BlockRow> = with_pool!(&state.store, p => sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(p)
        .await)?;
    to_block(&config, row.ok_or_else(|| AppError::not_found("block"))?)
}

async fn emit(
    tx: &mut Tx,
    me: &Principal,
    kind: &str,
    id: &str,
    c: Option<&Checked>,
) -> Result<(), AppError> {
    events::record(
        tx,
        NewEvent {
            event_type: kind,
            aggregate_type: "block",
            aggregate_id: id,
            payload: &serde_json::json!({
                "space_id": c.and_then(|c| c.space_id.clone()),
                "start_time": c.map(|c| c.starts_at),
                "end_time": c.map(|c| c.ends_at),
                "by": me.employee_id,
            }),
            actor: Some(&me.employee_id),
        },
    )
    .await
    .map(|_| ())
}

/// Blocks a period (`CalendarBlockCreated`).
#[tracing::instrument(skip_all)]
pub async fn create(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    req: &BlockRequest,
) -> Result<Block, AppError> {
    let config = config(state).await?;
    let c = check(state, req).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let mut tx = state.store.begin().await?;
    tx.lock_calendar(c.scope()).await?;
    no_bookings_under(&mut tx, &config, &c).await?;
    with_tx!(tx, t => sqlx::query(
        "INSERT INTO blocked_periods (id, space_id, starts_at, ends_at, reason, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(&id)
    .bind(c.space_id.as_deref())
    .bind(c.starts_at)
    .bind(c.ends_at)
    .bind(&c.reason)
    .bind(now_epoch())
    .bind(&me.employee_id)
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    emit(&mut tx, me, "CalendarBlockCreated", &id, Some(&c)).await?;
    audit::append(
        &mut tx,
        &actor_of(me, origin),
        Entry {
            action: "block_created",
            target_type: "block",
            target_id: &id,
            details: serde_json::json!({ "space": req.space, "start_time": c.starts_at, "end_time": c.ends_at, "reason": c.reason }),
        },
    )
    .await?;
    tx.commit().await?;
    one(state, &id).await
}

/// Changes a block's space, times or reason.
#[tracing::instrument(skip_all, fields(block_id = %id))]
pub async fn update(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    id: &str,
    req: &BlockRequest,
) -> Result<Block, AppError> {
    let config = config(state).await?;
    let before = one(state, id).await?;
    let c = check(state, req).await?;
    let mut tx = state.store.begin().await?;
    tx.lock_calendar(c.scope()).await?;
    no_bookings_under(&mut tx, &config, &c).await?;
    let changed = with_tx!(tx, t => sqlx::query(
        "UPDATE blocked_periods SET space_id = $1, starts_at = $2, ends_at = $3, reason = $4 WHERE id = $5"
    )
    .bind(c.space_id.as_deref())
    .bind(c.starts_at)
    .bind(c.ends_at)
    .bind(&c.reason)
    .bind(id)
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    if changed == 0 {
        return Err(AppError::not_found("block"));
    }
    emit(&mut tx, me, "CalendarBlockUpdated", id, Some(&c)).await?;
    audit::append(
        &mut tx,
        &actor_of(me, origin),
        Entry {
            action: "block_updated",
            target_type: "block",
            target_id: id,
            details: serde_json::json!({
                "before": { "space": before.space, "start_time": before.start_time, "end_time": before.end_time },
                "after": { "space": req.space, "start_time": c.starts_at, "end_time": c.ends_at },
            }),
        },
    )
    .await?;
    tx.commit().await?;
    one(state, id).await
}

/// Removes a block: its time is bookable again.
#[tracing::instrument(skip_all, fields(block_id = %id))]
pub async fn delete(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    id: &str,
) -> Result<(), AppError> {
    let before = one(state, id).await?;
    let mut tx = state.store.begin().await?;
    let gone = with_tx!(tx, t => sqlx::query("DELETE FROM blocked_periods WHERE id = $1")
        .bind(id)
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?;
    if gone == 0 {
        return Err(AppError::not_found("block"));
    }
    emit(&mut tx, me, "CalendarBlockDeleted", id, None).await?;
    audit::append(
        &mut tx,
        &actor_of(me, origin),
        Entry {
            action: "block_deleted",
            target_type: "block",
            target_id: id,
            details: serde_json::json!({ "space": before.space, "start_time": before.start_time, "end_time": before.end_time, "reason": before.reason }),
        },
    )
    .await?;
    tx.commit().await
}
