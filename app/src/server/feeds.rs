//! Calendar feeds (iCalendar, RFC 5545) for staff phones: one for the whole
//! studio and one per space, behind a secret in the URL that owners can
//! rotate. Times carry the studio's IANA zone (`TZID`), so a phone in
//! another zone still shows the session at the right moment.

use super::{
    audit::{self, Entry},
    credentials::{actor_of, Origin, Principal},
    store::{with_pool, with_tx},
    tokens::hex,
    AppState,
};
use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus};
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// Text as the feed may carry it: the crate escapes `\n`, `;`, `,` and `\`,
/// but a bare carriage return (or another control character) typed by a
/// guest would end the content line early and let the text write
/// properties of its own. Line breaks of every kind become `\n`; other
/// control characters go.
pub(crate) fn ics_text(raw: &str) -> String {
    raw.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect()
}

/// Where the feeds are (paths on this server; the secret is in them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeedLinks {
    pub studio: String,
    pub spaces: Vec<SpaceFeed>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SpaceFeed {
    pub space: String,
    pub name: String,
    pub url: String,
}

fn fresh_token() -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

async fn token(state: &AppState) -> Result<Option<String>, AppError> {
    Ok(with_pool!(&state.store, p => sqlx::query_scalar(
        "SELECT ics_token FROM studio_settings WHERE id = 1"
    )
    .fetch_one(p)
    .await)?)
}

async fn links(state: &AppState, token: &str) -> Result<FeedLinks, AppError> {
    let spaces: Vec<(String, String)> = with_pool!(&state.store, p => sqlx::query_as(
        "SELECT slug, name FROM spaces WHERE active = TRUE ORDER BY sort_order, name"
    )
    .fetch_all(p)
    .await)?;
    Ok(FeedLinks {
        studio: format!("/ics/{token}/studio.ics"),
        spaces: spaces
            .into_iter()
            .map(|(slug, name)| SpaceFeed {
                url: format!("/ics/{token}/{slug}.ics"),
                space: slug,
                name,
            })
            .collect(),
    })
}

/// The feed links (owners and admins), made on first use.
pub async fn feed_links(state: &AppState, me: &Principal) -> Result<FeedLinks, AppError> {
    if !me.role.manages_staff() {
        return Err(AppError::Forbidden);
    }
    let token = match token(state).await? {
        Some(t) => t,
        None => {
            let t = fresh_token();
            state
                .store
                .write_alone(
                    "UPDATE studio_settings SET ics_token = $1 WHERE id = 1 AND ics_token IS NULL",
                    vec![t.into()],
                )
                .await?;
            token(state).await?.ok_or(AppError::Internal)?
        }
    };
    links(state, &token).await
}

/// A new secret (owners): every subscribed phone must take the new link.
pub async fn rotate(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
) -> Result<FeedLinks, AppError> {
    if me.role != crate::domain::Role::Owner {
        return Err(AppError::Forbidden);
    }
    let t = fresh_token();
    let mut tx = state.store.begin().await?;
    with_tx!(tx, c => sqlx::query("UPDATE studio_settings SET ics_token = $1 WHERE id = 1")
        .bind(&t)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
    audit::append(
        &mut tx,
        &actor_of(me, origin),
        Entry {
            action: "calendar_feed_rotated",
            target_type: "settings",
            target_id: "calendar_feed",
            details: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    links(state, &t).await
}

/// Constant-time comparison of the secret.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    reference: String,
    state: String,
    version: i32,
    space_name: String,
    starts_at: i64,
    ends_at: i64,
    people_count: i32,
    client_name: String,
    special_requirements: String,
    updated_at: i64,
}

/// The feed for `space` (a slug) or the whole studio (`None`): live
/// bookings and blocks from a month back to the booking horizon. A wrong
/// secret or space is a 404, like a page that does not exist.
pub async fn feed(state: &AppState, secret: &str, space: Option<&str>) -> Result<String, AppError> {
    let known = token(state).await?;
    if !known.as_deref().is_some_and(|k| same(k, secret)) {
        return Err(AppError::not_found("calendar"));
    }
    let config = super::rules::studio_config(&state.store, &state.rules_cache).await?;
    let zone = config.rules.time_zone;
    let (space_id, title) = match space {
        None => (String::new(), config.name.clone()),
        Some(slug) => {
            let row: Option<(String, String)> = with_pool!(&state.store, p => sqlx::query_as(
                "SELECT id, name FROM spaces WHERE slug = $1"
            )
            .bind(slug)
            .fetch_optional(p)
            .await)?;
            let (id, name) = row.ok_or_else(|| AppError::not_found("calendar"))?;
            (id, format!("{} — {name}", config.name))
        }
    };
    let now = Utc::now();
    let from = (now - Duration::days(31)).timestamp();
    let to = (now + Duration::days(config.rules.horizon_days + 1)).timestamp();
    let rows: Vec<Row> = with_pool!(&state.store, p => sqlx::query_as(
        "SELECT b.id, b.reference, b.state, b.version, s.name AS space_name, b.starts_at, b.ends_at, \
         b.people_count, b.client_name, b.special_requirements, b.updated_at \
         FROM bookings b JOIN spaces s ON s.id = b.space_id \
         WHERE b.deleted_at IS NULL AND b.state NOT IN ('cancelled', 'no_show') \
           AND ($1 = '' OR b.space_id = $1) AND b.starts_at >= $2 AND b.starts_at < $3 \
         ORDER BY b.starts_at"
    )
    .bind(&space_id)
    .bind(from)
    .bind(to)
    .fetch_all(p)
    .await)?;
    let blocks: Vec<(String, Option<String>, i64, i64, String, i64)> = with_pool!(&state.store, p => sqlx::query_as(
        "SELECT k.id, s.name, k.starts_at, k.ends_at, k.reason, k.created_at \
         FROM blocked_periods k LEFT JOIN spaces s ON s.id = k.space_id \
         WHERE ($1 = '' OR k.space_id = $1 OR k.space_id IS NULL) AND k.ends_at > $2 AND k.starts_at < $3 \
         ORDER BY k.starts_at"
    )
    .bind(&space_id)
    .bind(from)
    .bind(to)
    .fetch_all(p)
    .await)?;
    let local = |t: i64| {
        DateTime::from_timestamp(t, 0).map(|t| CalendarDateTime::WithTimezone {
            date_time: t.with_timezone(&zone).naive_local(),
            tzid: zone.name().to_owned(),
        })
    };
    let stamp = |t: i64| DateTime::from_timestamp(t, 0).unwrap_or(now);
    let mut calendar = Calendar::new();
    calendar.name(&title).timezone(zone.name());
    let vault = state.store.vault()?;
    for mut r in rows {
        r.client_name = vault.open(&r.client_name)?;
        r.special_requirements = vault.open(&r.special_requirements)?;
        let (Some(start), Some(end)) = (local(r.starts_at), local(r.ends_at)) else {
            continue;
        };
        let mut description = format!("{} · {} · {}", r.reference, r.people_count, r.state);
        if !r.special_requirements.is_empty() {
            description.push('\n');
            description.push_str(&ics_text(&r.special_requirements));
        }
        calendar.push(
            Event::new()
                .uid(&format!("{}@studio-crm", r.id))
                .summary(&ics_text(&format!("{} — {}", r.space_name, r.client_name)))
                .description(&description)
                .location(&r.space_name)
                .starts(start)
                .ends(end)
                .status(if r.state == "pending" {
                    EventStatus::Tentative
                } else {
                    EventStatus::Confirmed
                })
                .sequence(u32::try_from(r.version).unwrap_or(0))
                .timestamp(stamp(r.updated_at))
                .done(),
        );
    }
    for (id, space_name, starts, ends, reason, created) in blocks {
        let (Some(start), Some(end)) = (local(starts), local(ends)) else {
            continue;
        };
        let what = space_name.unwrap_or_else(|| config.name.clone());
        calendar.push(
            Event::new()
                .uid(&format!("block-{id}@studio-crm"))
                .summary(&format!("⛔ {what}: {reason}"))
                .starts(start)
                .ends(end)
                .timestamp(stamp(created))
                .done(),
        );
    }
    Ok(calendar.done().to_string())
}

#[cfg(test)]
mod tests {
    use super::ics_text;

    #[test]
    fn carriage_returns_and_control_characters_cannot_break_a_content_line() {
        assert_eq!(ics_text("a\r\nb\rc\nd"), "a\nb\nc\nd");
        assert_eq!(ics_text("x\u{0}y\u{7}z\tw"), "xyzw");
    }
}
