//! The studio's booking rules as stored: settings, weekly hours and closed
//! dates, loaded together and cached briefly (availability reads them on
//! every request; settings changes invalidate the cache).

use super::store::{with_pool, Store};
use crate::{
    domain::{
        pricing::SpacePrices,
        schedule::{OpeningHours, StudioRules},
        Money,
    },
    error::AppError,
};
use chrono::NaiveDate;
use std::{collections::BTreeSet, sync::Arc};

/// The rules plus what the booking flow needs besides them.
#[derive(Debug, Clone)]
pub struct StudioConfig {
    pub name: String,
    pub time_zone_name: String,
    pub rules: StudioRules,
    pub cancellation_hours: i64,
    /// The active spaces as the booking flow prices and checks them, read
    /// with the rules: a booking then asks the database nothing before its
    /// write transaction (space edits invalidate this cache like settings).
    pub spaces: Vec<BookableSpace>,
}

impl StudioConfig {
    /// The active space with this slug.
    pub fn space(&self, slug: &str) -> Option<&BookableSpace> {
        self.spaces.iter().find(|s| s.slug == slug)
    }
}

/// An active space: what a booking of it needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BookableSpace {
    pub id: String,
    pub slug: String,
    pub capacity: i32,
    hourly_price: i64,
    included_people: i32,
    extra_person_price: i64,
}

impl BookableSpace {
    pub fn prices(&self) -> SpacePrices {
        SpacePrices {
            hourly_price: Money::from_minor(self.hourly_price),
            included_people: i64::from(self.included_people),
            extra_person_price: Money::from_minor(self.extra_person_price),
        }
    }
}

/// The active spaces, as [`BookableSpace`] rows.
const ACTIVE_SPACES: &str =
    "SELECT id, slug, capacity, hourly_price, included_people, extra_person_price \
     FROM spaces WHERE active = TRUE";

/// The active space with this slug, from the database (for a booking's
/// edit, which reprices it outside the cached configuration).
pub async fn space_by_slug(store: &Store, slug: &str) -> Result<Option<BookableSpace>, AppError> {
    let sql = format!("{ACTIVE_SPACES} AND slug = $1");
    Ok(with_pool!(store, p => sqlx::query_as(&sql)
    .bind(slug)
    .fetch_optional(p)
    .await)?)
}

/// The rules, cached; settings changes invalidate it.
pub type RulesCache = super::cache::Cached<StudioConfig>;

/// The studio's rules, from the cache when fresh.
pub async fn studio_config(
    store: &Store,
    cache: &RulesCache,
) -> Result<Arc<StudioConfig>, AppError> {
    cache.get_or_load(load(store)).await
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    name: String,
    time_zone: String,
    min_booking_minutes: i32,
    max_booking_minutes: i32,
    buffer_minutes: i32,
    lead_minutes: i32,
    horizon_days: i32,
    cancellation_hours: i32,
}

async fn load(store: &Store) -> Result<StudioConfig, AppError> {
    let s: SettingsRow = with_pool!(store, p => sqlx::query_as(
        "SELECT name, time_zone, min_booking_minutes, max_booking_minutes, buffer_minutes, lead_minutes, \
         horizon_days, cancellation_hours FROM studio_settings WHERE id = 1"
    )
    .fetch_one(p)
    .await)?;
    let hours: Vec<(i32, i32, i32)> = with_pool!(store, p => sqlx::query_as(
        "SELECT weekday, opens_at, closes_at FROM working_hours"
    )
    .fetch_all(p)
    .await)?;
    let closed: Vec<String> = with_pool!(store, p => sqlx::query_scalar("SELECT date FROM closed_dates")
        .fetch_all(p)
        .await)?;
    let time_zone = s.time_zone.parse().map_err(|_| {
        tracing::error!(time_zone = %s.time_zone, "the studio's time zone is not an IANA zone");
        AppError::Internal
    })?;
    let mut week: [Option<OpeningHours>; 7] = [None; 7];
    for (weekday, opens, closes) in hours {
        if let (Some(slot), Ok(opens), Ok(closes)) = (
            week.get_mut(usize::try_from(weekday - 1).unwrap_or(99)),
            u32::try_from(opens),
            u32::try_from(closes),
        ) {
            *slot = Some(OpeningHours { opens, closes });
        }
    }
    let spaces: Vec<BookableSpace> = with_pool!(store, p => sqlx::query_as(ACTIVE_SPACES)
    .fetch_all(p)
    .await)?;
    let closed_dates: BTreeSet<NaiveDate> = closed.iter().filter_map(|d| d.parse().ok()).collect();
    Ok(StudioConfig {
        name: s.name,
        time_zone_name: s.time_zone,
        cancellation_hours: i64::from(s.cancellation_hours),
        spaces,
        rules: StudioRules {
            time_zone,
            hours: week,
            closed_dates,
            min_minutes: i64::from(s.min_booking_minutes),
            max_minutes: i64::from(s.max_booking_minutes),
            buffer_minutes: i64::from(s.buffer_minutes),
            lead_minutes: i64::from(s.lead_minutes),
            horizon_days: i64::from(s.horizon_days),
        },
    })
}
