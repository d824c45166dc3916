//! The studio and its spaces as guests see them: seeded with a usable default
//! on a fresh database, read through a short-lived in-process cache because
//! every guest page shows them.

use super::{
    events::{self, NewEvent},
    images, now_epoch,
    store::{with_pool, with_tx, Store},
};
use crate::{
    domain::{
        studio::{Localized, Photo, SpaceDetails, StudioContacts},
        Money, PublicCatalog, SpaceSummary, StudioInfo,
    },
    error::AppError,
};
use std::sync::Arc;

/// The public catalog, cached; staff edits invalidate it.
pub type CatalogCache = super::cache::Cached<PublicCatalog>;

#[derive(sqlx::FromRow)]
struct SpaceRow {
    id: String,
    slug: String,
    name: String,
    details: String,
    capacity: i32,
    hourly_price: i64,
    included_people: i32,
    extra_person_price: i64,
}

impl SpaceRow {
    fn summary(self, photos: Vec<Photo>) -> SpaceSummary {
        let r = self;
        SpaceSummary {
            slug: r.slug,
            name: r.name,
            details: details_of(&r.details),
            photos,
            capacity: r.capacity,
            hourly_price: Money::from_minor(r.hourly_price),
            included_people: r.included_people,
            extra_person_price: Money::from_minor(r.extra_person_price),
        }
    }
}

/// The public catalog, from the cache when fresh.
pub async fn public_catalog(
    store: &Store,
    cache: &CatalogCache,
) -> Result<Arc<PublicCatalog>, AppError> {
    cache.get_or_load(load(store)).await
}

async fn load(store: &Store) -> Result<PublicCatalog, AppError> {
    let studio: Option<(String, String, String, i32)> = with_pool!(store, p => sqlx::query_as(
        "SELECT name, time_zone, contacts, cancellation_hours FROM studio_settings WHERE id = 1"
    )
    .fetch_optional(p)
    .await)?;
    let (name, time_zone, contacts, cancellation_hours) = studio.ok_or_else(|| {
        tracing::error!("studio_settings has no row: the database was not initialised");
        AppError::Internal
    })?;
    let contacts = contacts_of(&contacts);
    let spaces: Vec<SpaceRow> = with_pool!(store, p => sqlx::query_as(
        "SELECT id, slug, name, details, capacity, hourly_price, included_people, extra_person_price \
         FROM spaces WHERE active = TRUE ORDER BY sort_order, name"
    )
    .fetch_all(p)
    .await)?;
    let mut photos = images::galleries(store).await?;
    Ok(PublicCatalog {
        studio: StudioInfo {
            name,
            time_zone,
            contacts,
            cancellation_hours: i64::from(cancellation_hours),
            logo: images::logo(store).await?,
        },
        spaces: spaces
            .into_iter()
            .map(|s| {
                let gallery = photos.remove(&s.id).unwrap_or_default();
                s.summary(gallery)
            })
            .collect(),
    })
}

/// A space's stored details; a document that cannot be read shows as none.
pub(super) fn details_of(stored: &str) -> SpaceDetails {
    serde_json::from_str(stored).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "spaces.details is not a details document");
        SpaceDetails::default()
    })
}

/// The stored contacts document; one that cannot be read (written by hand)
/// shows as no contacts rather than breaking every guest page.
pub(super) fn contacts_of(stored: &str) -> StudioContacts {
    serde_json::from_str(stored).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "studio_settings.contacts is not a contacts document");
        StudioContacts::default()
    })
}

/// Gives a fresh database a usable studio: Europe/Moscow, open 09:00–21:00
/// every day, two spaces. Does nothing once a studio exists, so the owner's
/// later changes are never overwritten.
pub async fn ensure_default_studio(store: &Store) -> Result<bool, AppError> {
    let mut tx = store.begin().await?;
    let now = now_epoch();
    // ON CONFLICT keeps two instances starting at once on one database from
    // both seeding: the second inserts nothing and rolls back.
    let inserted = with_tx!(tx, c => sqlx::query(
        "INSERT INTO studio_settings (id, name, time_zone, created_at, updated_at) VALUES (1, $1, $2, $3, $3) \
         ON CONFLICT (id) DO NOTHING"
    )
    .bind("Studio")
    .bind("Europe/Moscow")
    .bind(now)
    .execute(&mut **c)
    .await
    .map(|r| r.rows_affected()))?;
    if inserted == 0 {
        return Ok(false);
    }
    for weekday in 1..=7_i32 {
        with_tx!(tx, c => sqlx::query("INSERT INTO working_hours (weekday, opens_at, closes_at) VALUES ($1, $2, $3)")
            .bind(weekday)
            .bind(9 * 60)
            .bind(21 * 60)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    let defaults = [
        (
            "studio_a",
            "Studio A",
            (
                "Светлый зал с дневным светом и белой циклорамой.",
                "Bright daylight hall with a white cyclorama.",
            ),
            10,
            Money::from_major(2_500).minor(),
            4,
            Money::from_major(300).minor(),
            1,
        ),
        (
            "studio_b",
            "Studio B",
            (
                "Тёмный лофт с фактурными стенами и постоянным светом.",
                "Dark loft with textured walls and continuous light.",
            ),
            6,
            Money::from_major(1_800).minor(),
            3,
            Money::from_major(250).minor(),
            2,
        ),
    ];
    for (slug, name, (ru, en), capacity, price, included, extra, order) in defaults {
        let id = uuid::Uuid::now_v7().to_string();
        let details = SpaceDetails {
            description: Localized {
                ru: ru.into(),
                en: en.into(),
            },
            ..SpaceDetails::default()
        };
        let description = serde_json::to_string(&details).map_err(|_| AppError::Internal)?;
        with_tx!(tx, c => sqlx::query(
            "INSERT INTO spaces (id, slug, name, details, capacity, hourly_price, included_people, \
             extra_person_price, active, sort_order, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9, $10, $10)"
        )
        .bind(&id)
        .bind(slug)
        .bind(name)
        .bind(description)
        .bind(capacity)
        .bind(price)
        .bind(included)
        .bind(extra)
        .bind(order)
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
    }
    events::record(
        &mut tx,
        NewEvent {
            event_type: "StudioInitialised",
            aggregate_type: "studio",
            aggregate_id: "1",
            payload: &serde_json::json!({ "spaces": ["studio_a", "studio_b"], "time_zone": "Europe/Moscow" }),
            actor: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
