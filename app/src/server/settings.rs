//! Studio settings (owners and admins): the calendar's rules, spaces, the
//! equipment catalogue and promo codes. Every change is validated field by
//! field, audited with before and after, and takes effect at once: the
//! rules and catalogue caches are dropped in the same call.

use super::{
    audit::{self, Entry},
    bookings::Fields,
    credentials::actor_of,
    credentials::{Origin, Principal},
    events::{self, NewEvent},
    now_epoch,
    store::{is_unique_violation, with_pool, with_tx, Tx},
    AppState,
};
use crate::{
    domain::{
        settings::{
            DayHours, EquipmentInput, EquipmentItem, Holiday, PromoCode, PromoInput,
            SettingsUpdate, SpaceAdmin, SpaceInput, StudioSettings,
        },
        studio::StudioContacts,
        Money,
    },
    error::{AppError, FieldError},
};
use chrono::{DateTime, NaiveDate, NaiveTime, Timelike};
use serde_json::json;

/// Settings are for owners and admins.
pub fn require_admin(me: &Principal) -> Result<(), AppError> {
    if me.role.manages_staff() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn err(errors: &mut Fields, field: impl Into<String>, code: &str, message: &str) {
    errors.insert(field.into(), FieldError::new(code, message));
}

fn range(errors: &mut Fields, field: &str, value: i64, min: i64, max: i64) {
    if !(min..=max).contains(&value) {
        err(
            errors,
            field,
            "out_of_range",
            &format!("Between {min} and {max}."),
        );
    }
}

fn hhmm(minutes: i32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn minutes_of(raw: &str) -> Option<i32> {
    if raw.trim() == "24:00" {
        return Some(1440);
    }
    NaiveTime::parse_from_str(raw.trim(), "%H:%M")
        .ok()
        .and_then(|t| i32::try_from(t.hour() * 60 + t.minute()).ok())
}

pub(super) fn invalidate(state: &AppState) {
    state.rules_cache.invalidate();
    state.catalog_cache.invalidate();
    // After the caches: a day's free starts computed meanwhile from the
    // old rules is not kept as current.
    state.store.note_change();
    state.shared.publish_invalidation();
}

pub(super) async fn record(
    tx: &mut Tx,
    me: &Principal,
    origin: &Origin,
    action: &str,
    target_type: &str,
    target_id: &str,
    details: serde_json::Value,
) -> Result<(), AppError> {
    events::record(
        tx,
        NewEvent {
            event_type: "StudioSettingsChanged",
            aggregate_type: target_type,
            aggregate_id: target_id,
            payload: &json!({ "action": action, "by": me.employee_id }),
            actor: Some(&me.employee_id),
        },
    )
    .await?;
    audit::append(
        tx,
        &actor_of(me, origin),
        Entry {
            action,
            target_type,
            target_id,
            details,
        },
    )
    .await
}

// ---------- the studio's rules ----------

#[derive(sqlx::FromRow)]
struct SettingsRow {
    name: String,
    time_zone: String,
    buffer_minutes: i32,
    min_booking_minutes: i32,
    max_booking_minutes: i32,
    lead_minutes: i32,
    horizon_days: i32,
    cancellation_hours: i32,
    retention_days: i32,
}

/// The settings as they are.
pub async fn get(state: &AppState, me: &Principal) -> Result<StudioSettings, AppError> {
    require_admin(me)?;
    load(state).await
}

async fn load(state: &AppState) -> Result<StudioSettings, AppError> {
    let store = &state.store;
    let s: SettingsRow = with_pool!(store, p => sqlx::query_as(
        "SELECT name, time_zone, buffer_minutes, min_booking_minutes, max_booking_minutes, lead_minutes, \
         horizon_days, cancellation_hours, retention_days FROM studio_settings WHERE id = 1"
    )
    .fetch_one(p)
    .await)?;
    let hours: Vec<(i32, i32, i32)> = with_pool!(store, p => sqlx::query_as(
        "SELECT weekday, opens_at, closes_at FROM working_hours ORDER BY weekday"
    )
    .fetch_all(p)
    .await)?;
    let holidays: Vec<(String, String)> = with_pool!(store, p => sqlx::query_as(
        "SELECT date, reason FROM closed_dates ORDER BY date"
    )
    .fetch_all(p)
    .await)?;
    Ok(StudioSettings {
        name: s.name,
        time_zone: s.time_zone,
        hours: (1..=7)
            .map(|d| {
                let open = hours.iter().find(|(w, _, _)| *w == d);
                DayHours {
                    weekday: d,
                    opens: open.map(|(_, o, _)| hhmm(*o)),
                    closes: open.map(|(_, _, c)| hhmm(*c)),
                }
            })
            .collect(),
        holidays: holidays
            .into_iter()
            .map(|(date, reason)| Holiday { date, reason })
            .collect(),
        buffer_minutes: i64::from(s.buffer_minutes),
        min_booking_minutes: i64::from(s.min_booking_minutes),
        max_booking_minutes: i64::from(s.max_booking_minutes),
        lead_minutes: i64::from(s.lead_minutes),
        horizon_days: i64::from(s.horizon_days),
        cancellation_hours: i64::from(s.cancellation_hours),
        retention_days: Some(i64::from(s.retention_days)),
    })
}

struct Checked {
    zone: chrono_tz::Tz,
    hours: Vec<(i32, i32, i32)>,
    holidays: Vec<(NaiveDate, String)>,
}

fn check(s: &StudioSettings) -> Result<Checked, AppError> {
    let mut errors = Fields::new();
    let name = s.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        err(&mut errors, "name", "invalid_name", "1 to 100 characters.");
    }
    let zone = s.time_zone.trim().parse::<chrono_tz::Tz>().ok();
    if zone.is_none() {
        err(
            &mut errors,
            "time_zone",
            "invalid_time_zone",
            "An IANA time zone such as Europe/Moscow.",
        );
    }
    let mut hours = Vec::new();
    let mut seen = [false; 7];
    if s.hours.len() != 7 {
        err(
            &mut errors,
            "hours",
            "seven_days",
            "Give the hours of all seven weekdays.",
        );
    }
    for d in &s.hours {
        let field = format!("hours.{}", d.weekday);
        let Some(slot) = usize::try_from(d.weekday.saturating_sub(1))
            .ok()
            .and_then(|i| seen.get_mut(i))
        else {
            err(
                &mut errors,
                field,
                "invalid_weekday",
                "Weekdays are 1 (Monday) to 7 (Sunday).",
            );
            continue;
        };
        if std::mem::replace(slot, true) {
            err(
                &mut errors,
                field,
                "duplicate_weekday",
                "Each weekday once.",
            );
            continue;
        }
        let blank = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        match (blank(&d.opens), blank(&d.closes)) {
            (None, None) => {}
            (Some(o), Some(c)) => match (minutes_of(&o), minutes_of(&c)) {
                (Some(o), Some(c)) if o < c => hours.push((d.weekday, o, c)),
                (Some(_), Some(_)) => err(
                    &mut errors,
                    field,
                    "closes_before_opens",
                    "Closing comes after opening.",
                ),
                _ => err(&mut errors, field, "invalid_time", "Times like 09:00."),
            },
            _ => err(
                &mut errors,
                field,
                "half_open",
                "Give both times, or neither for a closed day.",
            ),
        }
    }
    let mut holidays = Vec::new();
    if s.holidays.len() > 400 {
        err(&mut errors, "holidays", "too_many", "At most 400 holidays.");
    }
    for (i, h) in s.holidays.iter().enumerate() {
        match crate::domain::calendar::parse_date(&h.date) {
            Some(d) if h.reason.chars().count() <= 200 => {
                holidays.push((d, h.reason.trim().to_owned()))
            }
            Some(_) => err(
                &mut errors,
                format!("holidays.{i}"),
                "text_too_long",
                "At most 200 characters.",
            ),
            None => err(
                &mut errors,
                format!("holidays.{i}"),
                "invalid_date",
                "Use a date like 2026-12-31.",
            ),
        }
    }
    holidays.sort();
    holidays.dedup_by(|a, b| a.0 == b.0);
    range(&mut errors, "buffer_minutes", s.buffer_minutes, 0, 240);
    range(
        &mut errors,
        "min_booking_minutes",
        s.min_booking_minutes,
        60,
        1440,
    );
    range(
        &mut errors,
        "max_booking_minutes",
        s.max_booking_minutes,
        60,
        1440,
    );
    for (field, v) in [
        ("min_booking_minutes", s.min_booking_minutes),
        ("max_booking_minutes", s.max_booking_minutes),
    ] {
        if v % 60 != 0 {
            err(
                &mut errors,
                field,
                "whole_hours",
                "Bookings are in whole hours.",
            );
        }
    }
    if s.max_booking_minutes < s.min_booking_minutes {
        err(
            &mut errors,
            "max_booking_minutes",
            "below_minimum",
            "The longest booking cannot be shorter than the shortest.",
        );
    }
    range(&mut errors, "lead_minutes", s.lead_minutes, 0, 10_080);
    range(&mut errors, "horizon_days", s.horizon_days, 1, 730);
    range(
        &mut errors,
        "cancellation_hours",
        s.cancellation_hours,
        0,
        720,
    );
    if let Some(days) = s.retention_days {
        range(&mut errors, "retention_days", days, 30, 36_500);
    }
    match zone {
        Some(zone) if errors.is_empty() => Ok(Checked {
            zone,
            hours,
            holidays,
        }),
        _ => Err(AppError::Validation { fields: errors }),
    }
}

/// Future live bookings the new hours or holidays would leave outside
/// opening time.
async fn stranded(state: &AppState, c: &Checked) -> Result<Vec<serde_json::Value>, AppError> {
    let rows: Vec<(String, String, i64, i64)> = with_pool!(&state.store, p => sqlx::query_as(
        "SELECT id, reference, starts_at, ends_at FROM bookings \
         WHERE deleted_at IS NULL AND state IN ('pending', 'confirmed') AND starts_at >= $1 ORDER BY starts_at"
    )
    .bind(now_epoch())
    .fetch_all(p)
    .await)?;
    let mut out = Vec::new();
    for (id, reference, starts, ends) in rows {
        let (Some(s), Some(e)) = (
            DateTime::from_timestamp(starts, 0),
            DateTime::from_timestamp(ends, 0),
        ) else {
            continue;
        };
        let (s, e) = (
            s.with_timezone(&c.zone).naive_local(),
            e.with_timezone(&c.zone).naive_local(),
        );
        let weekday =
            i32::try_from(chrono::Datelike::weekday(&s.date()).number_from_monday()).unwrap_or(0);
        let start_min = i32::try_from(s.hour() * 60 + s.minute()).unwrap_or(0);
        let end_min = if e.date() > s.date() {
            1440
        } else {
            i32::try_from(e.hour() * 60 + e.minute()).unwrap_or(0)
        };
        let open = c.hours.iter().find(|(w, _, _)| *w == weekday);
        let fits = !c.holidays.iter().any(|(d, _)| *d == s.date())
            && open.is_some_and(|(_, o, cl)| *o <= start_min && end_min <= *cl);
        if !fits {
            out.push(json!({ "id": id, "reference": reference, "start_time": s.format("%Y-%m-%dT%H:%M").to_string() }));
        }
    }
    Ok(out)
}

/// Saves new settings. Hours or holidays that would leave future bookings
/// outside opening time need `confirm` (409 `strands_bookings` names them).
pub async fn update(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    req: &SettingsUpdate,
) -> Result<StudioSettings, AppError> {
    require_admin(me)?;
    let s = &req.settings;
    let c = check(s)?;
    let left_out = stranded(state, &c).await?;
    if !left_out.is_empty() && !req.confirm {
        return Err(AppError::Conflict {
            code: "strands_bookings".into(),
            message: format!(
                "{} future booking(s) would fall outside the new opening hours; send confirm to save anyway.",
                left_out.len()
            ),
            details: Some(json!({ "bookings": left_out.iter().take(50).collect::<Vec<_>>(), "count": left_out.len() })),
        });
    }
    let before = load(state).await?;
    let mut tx = state.store.begin().await?;
    with_tx!(tx, t => sqlx::query(
        "UPDATE studio_settings SET name = $1, time_zone = $2, buffer_minutes = $3, min_booking_minutes = $4, \
         max_booking_minutes = $5, lead_minutes = $6, horizon_days = $7, cancellation_hours = $8, updated_at = $9, \
         retention_days = COALESCE($10, retention_days) WHERE id = 1"
    )
    .bind(s.name.trim())
    .bind(s.time_zone.trim())
    .bind(i32::try_from(s.buffer_minutes).unwrap_or_default())
    .bind(i32::try_from(s.min_booking_minutes).unwrap_or_default())
    .bind(i32::try_from(s.max_booking_minutes).unwrap_or_default())
    .bind(i32::try_from(s.lead_minutes).unwrap_or_default())
    .bind(i32::try_from(s.horizon_days).unwrap_or_default())
    .bind(i32::try_from(s.cancellation_hours).unwrap_or_default())
    .bind(now_epoch())
    .bind(s.retention_days.and_then(|d| i32::try_from(d).ok()))
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    with_tx!(tx, t => sqlx::query("DELETE FROM working_hours").execute(&mut **t).await.map(|r| r.rows_affected()))?;
    for (weekday, opens, closes) in &c.hours {
        with_tx!(tx, t => sqlx::query("INSERT INTO working_hours (weekday, opens_at, closes_at) VALUES ($1, $2, $3)")
            .bind(weekday)
            .bind(opens)
            .bind(closes)
            .execute(&mut **t)
            .await
            .map(|r| r.rows_affected()))?;
    }
    with_tx!(tx, t => sqlx::query("DELETE FROM closed_dates").execute(&mut **t).await.map(|r| r.rows_affected()))?;
    for (date, reason) in &c.holidays {
        with_tx!(tx, t => sqlx::query("INSERT INTO closed_dates (date, reason) VALUES ($1, $2)")
            .bind(date.to_string())
            .bind(reason)
            .execute(&mut **t)
            .await
            .map(|r| r.rows_affected()))?;
    }
    record(
        &mut tx,
        me,
        origin,
        "settings_changed",
        "settings",
        "studio",
        json!({ "before": before, "after": s, "bookings_outside_hours": left_out.len() }),
    )
    .await?;
    tx.commit().await?;
    invalidate(state);
    load(state).await
}

// ---------- contacts ----------

/// The studio's contacts as guests see them.
pub async fn contacts(state: &AppState, me: &Principal) -> Result<StudioContacts, AppError> {
    require_admin(me)?;
    load_contacts(state).await
}

async fn load_contacts(state: &AppState) -> Result<StudioContacts, AppError> {
    let stored: String = with_pool!(&state.store, p => sqlx::query_scalar(
        "SELECT contacts FROM studio_settings WHERE id = 1"
    )
    .fetch_one(p)
    .await)?;
    Ok(super::catalog::contacts_of(&stored))
}

/// Saves the studio's contacts, normalised (phones in E.164, a Telegram
/// name without `@`); every bad field at once. Guest pages show them at
/// once (the catalog cache is dropped on every instance).
pub async fn update_contacts(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    input: &StudioContacts,
) -> Result<StudioContacts, AppError> {
    require_admin(me)?;
    let contacts = input
        .checked()
        .map_err(|fields| AppError::Validation { fields })?;
    let before = load_contacts(state).await?;
    let document = serde_json::to_string(&contacts).map_err(|_| AppError::Internal)?;
    let mut tx = state.store.begin().await?;
    with_tx!(tx, t => sqlx::query("UPDATE studio_settings SET contacts = $1, updated_at = $2 WHERE id = 1")
        .bind(&document)
        .bind(now_epoch())
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?;
    // The fields that changed, by name: the values are the studio's public
    // contacts, but the trail only needs to say what was edited.
    let changed: Vec<&str> = [
        ("phone", before.phone != contacts.phone),
        ("telegram", before.telegram != contacts.telegram),
        ("whatsapp", before.whatsapp != contacts.whatsapp),
        ("email", before.email != contacts.email),
        ("address", before.address != contacts.address),
        ("map_url", before.map_url != contacts.map_url),
        ("directions", before.directions != contacts.directions),
        ("rules", before.rules != contacts.rules),
        ("payment", before.payment != contacts.payment),
    ]
    .into_iter()
    .filter(|(_, differs)| *differs)
    .map(|(name, _)| name)
    .collect();
    record(
        &mut tx,
        me,
        origin,
        "contacts_changed",
        "settings",
        "contacts",
        json!({ "changed": changed }),
    )
    .await?;
    tx.commit().await?;
    invalidate(state);
    Ok(contacts)
}

// ---------- spaces ----------

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
    active: bool,
    sort_order: i32,
}

impl From<SpaceRow> for SpaceAdmin {
    fn from(r: SpaceRow) -> Self {
        SpaceAdmin {
            id: r.id,
            space: SpaceInput {
                slug: r.slug,
                name: r.name,
                details: super::catalog::details_of(&r.details),
                capacity: i64::from(r.capacity),
                hourly_price: Money::from_minor(r.hourly_price),
                included_people: i64::from(r.included_people),
                extra_person_price: Money::from_minor(r.extra_person_price),
                active: r.active,
                sort_order: i64::from(r.sort_order),
            },
        }
    }
}

const SPACE_COLUMNS: &str = "id, slug, name, details, capacity, hourly_price, included_people, \
                             extra_person_price, active, sort_order";

/// Every space, inactive ones too, in display order.
pub async fn spaces(state: &AppState, me: &Principal) -> Result<Vec<SpaceAdmin>, AppError> {
    require_admin(me)?;
    let rows: Vec<SpaceRow> = with_pool!(&state.store, p => sqlx::query_as(&format!(
        "SELECT {SPACE_COLUMNS} FROM spaces ORDER BY sort_order, name"
    ))
    .fetch_all(p)
    .await)?;
    Ok(rows.into_iter().map(SpaceAdmin::from).collect())
}

/// The space checked, its details trimmed; every problem at once.
fn check_space(s: &SpaceInput) -> Result<SpaceInput, AppError> {
    let (details, mut errors) = match s.details.checked() {
        Ok(d) => (d, Fields::new()),
        Err(errors) => (s.details.clone(), errors),
    };
    let slug_ok = (2..=40).contains(&s.slug.len())
        && s.slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !slug_ok {
        err(
            &mut errors,
            "slug",
            "invalid_slug",
            "2 to 40 lower-case letters, digits or _.",
        );
    }
    if s.name.trim().is_empty() || s.name.chars().count() > 100 {
        err(&mut errors, "name", "invalid_name", "1 to 100 characters.");
    }
    range(&mut errors, "capacity", s.capacity, 1, 500);
    range(
        &mut errors,
        "included_people",
        s.included_people,
        0,
        s.capacity.max(0),
    );
    range(
        &mut errors,
        "hourly_price",
        s.hourly_price.minor(),
        0,
        100_000_000,
    );
    range(
        &mut errors,
        "extra_person_price",
        s.extra_person_price.minor(),
        0,
        100_000_000,
    );
    range(&mut errors, "sort_order", s.sort_order, -1000, 1000);
    if errors.is_empty() {
        Ok(SpaceInput {
            details,
            ..s.clone()
        })
    } else {
        Err(AppError::Validation { fields: errors })
    }
}

fn slug_taken() -> AppError {
    AppError::field(
        "slug",
        FieldError::new("slug_taken", "Another space has this slug."),
    )
}

async fn space_by_id(state: &AppState, id: &str) -> Result<SpaceAdmin, AppError> {
    let row: Option<SpaceRow> = with_pool!(&state.store, p => sqlx::query_as(&format!(
        "SELECT {SPACE_COLUMNS} FROM spaces WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(p)
    .await)?;
    row.map(SpaceAdmin::from)
        .ok_or_else(|| AppError::not_found("space"))
}

/// Writes a space (new when `id` is None).
pub async fn save_space(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    id: Option<&str>,
    s: &SpaceInput,
) -> Result<SpaceAdmin, AppError> {
    require_admin(me)?;
    let s = &check_space(s)?;
    let details = serde_json::to_string(&s.details).map_err(|_| AppError::Internal)?;
    let before = match id {
        Some(id) => Some(space_by_id(state, id).await?),
        None => None,
    };
    let id = id
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let now = now_epoch();
    let mut tx = state.store.begin().await?;
    let sql = if before.is_some() {
        "UPDATE spaces SET slug = $2, name = $3, details = $4, capacity = $5, hourly_price = $6, \
         included_people = $7, extra_person_price = $8, active = $9, sort_order = $10, updated_at = $11 WHERE id = $1"
    } else {
        "INSERT INTO spaces (id, slug, name, details, capacity, hourly_price, included_people, \
         extra_person_price, active, sort_order, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)"
    };
    let written = with_tx!(tx, t => sqlx::query(sql)
        .bind(&id)
        .bind(&s.slug)
        .bind(s.name.trim())
        .bind(&details)
        .bind(i32::try_from(s.capacity).unwrap_or_default())
        .bind(s.hourly_price.minor())
        .bind(i32::try_from(s.included_people).unwrap_or_default())
        .bind(s.extra_person_price.minor())
        .bind(s.active)
        .bind(i32::try_from(s.sort_order).unwrap_or_default())
        .bind(now)
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()));
    match written {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => return Err(slug_taken()),
        Err(e) => return Err(e.into()),
    }
    let action = if before.is_some() {
        "space_updated"
    } else {
        "space_created"
    };
    record(
        &mut tx,
        me,
        origin,
        action,
        "space",
        &id,
        json!({ "before": before, "after": s }),
    )
    .await?;
    tx.commit().await?;
    invalidate(state);
    space_by_id(state, &id).await
}

// ---------- equipment ----------

#[derive(sqlx::FromRow)]
struct EquipmentRow {
    id: String,
    name: String,
    price: i64,
    per_hour: bool,
    stock: i32,
    active: bool,
    sort_order: i32,
}

impl From<EquipmentRow> for EquipmentItem {
    fn from(r: EquipmentRow) -> Self {
        EquipmentItem {
            id: r.id,
            item: EquipmentInput {
                name: r.name,
                price: Money::from_minor(r.price),
                per_hour: r.per_hour,
                stock: i64::from(r.stock),
                active: r.active,
                sort_order: i64::from(r.sort_order),
            },
        }
    }
}

/// The equipment catalogue (every member of staff may read it: bookings
/// are taken with it).
pub async fn equipment(state: &AppState) -> Result<Vec<EquipmentItem>, AppError> {
    let rows: Vec<EquipmentRow> = with_pool!(&state.store, p => sqlx::query_as(
        "SELECT id, name, price, per_hour, stock, active, sort_order FROM equipment ORDER BY sort_order, name"
    )
    .fetch_all(p)
    .await)?;
    Ok(rows.into_iter().map(EquipmentItem::from).collect())
}

async fn equipment_by_id(state: &AppState, id: &str) -> Result<EquipmentItem, AppError> {
    equipment(state)
        .await?
        .into_iter()
        .find(|e| e.id == id)
        .ok_or_else(|| AppError::not_found("equipment"))
}

/// Writes an item of the catalogue (new when `id` is None).
pub async fn save_equipment(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    id: Option<&str>,
    e: &EquipmentInput,
) -> Result<EquipmentItem, AppError> {
    require_admin(me)?;
    let mut errors = Fields::new();
    if e.name.trim().is_empty() || e.name.chars().count() > 100 {
        err(&mut errors, "name", "invalid_name", "1 to 100 characters.");
    }
    range(&mut errors, "price", e.price.minor(), 0, 100_000_000);
    range(&mut errors, "stock", e.stock, 0, 10_000);
    range(&mut errors, "sort_order", e.sort_order, -1000, 1000);
    if !errors.is_empty() {
        return Err(AppError::Validation { fields: errors });
    }
    let before = match id {
        Some(id) => Some(equipment_by_id(state, id).await?),
        None => None,
    };
    let id = id
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let sql = if before.is_some() {
        "UPDATE equipment SET name = $2, price = $3, per_hour = $4, stock = $5, active = $6, sort_order = $7, updated_at = $8 WHERE id = $1"
    } else {
        "INSERT INTO equipment (id, name, price, per_hour, stock, active, sort_order, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"
    };
    let mut tx = state.store.begin().await?;
    with_tx!(tx, t => sqlx::query(sql)
        .bind(&id)
        .bind(e.name.trim())
        .bind(e.price.minor())
        .bind(e.per_hour)
        .bind(i32::try_from(e.stock).unwrap_or_default())
        .bind(e.active)
        .bind(i32::try_from(e.sort_order).unwrap_or_default())
        .bind(now_epoch())
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?;
    let action = if before.is_some() {
        "equipment_updated"
    } else {
        "equipment_created"
    };
    record(
        &mut tx,
        me,
        origin,
        action,
        "equipment",
        &id,
        json!({ "before": before, "after": e }),
    )
    .await?;
    tx.commit().await?;
    invalidate(state);
    equipment_by_id(state, &id).await
}

// ---------- promo codes ----------

#[derive(sqlx::FromRow)]
struct PromoRow {
    code: String,
    percent_off: Option<i32>,
    amount_off: Option<i64>,
    valid_from: Option<i64>,
    valid_until: Option<i64>,
    max_uses: Option<i32>,
    used_count: i32,
    active: bool,
}

/// Every promo code (owners and admins).
pub async fn promo_codes(state: &AppState, me: &Principal) -> Result<Vec<PromoCode>, AppError> {
    require_admin(me)?;
    let config = super::rules::studio_config(&state.store, &state.rules_cache).await?;
    let rows: Vec<PromoRow> = with_pool!(&state.store, p => sqlx::query_as(
        "SELECT code, percent_off, amount_off, valid_from, valid_until, max_uses, used_count, active \
         FROM promo_codes ORDER BY code"
    )
    .fetch_all(p)
    .await)?;
    let date = |t: Option<i64>, last: bool| {
        t.and_then(|t| DateTime::from_timestamp(if last { t - 1 } else { t }, 0))
            .map(|t| config.rules.local_date(t).to_string())
    };
    Ok(rows
        .into_iter()
        .map(|r| PromoCode {
            promo: PromoInput {
                code: r.code,
                percent_off: r.percent_off.map(i64::from),
                amount_off: r.amount_off.map(Money::from_minor),
                valid_from: date(r.valid_from, false),
                valid_until: date(r.valid_until, true),
                max_uses: r.max_uses.map(i64::from),
                active: r.active,
            },
            used_count: i64::from(r.used_count),
        })
        .collect())
}

/// Creates a promo code, or changes the one with this code.
pub async fn save_promo(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    p: &PromoInput,
) -> Result<PromoCode, AppError> {
    require_admin(me)?;
    let config = super::rules::studio_config(&state.store, &state.rules_cache).await?;
    let mut errors = Fields::new();
    let code = p.code.trim().to_uppercase();
    if !(3..=30).contains(&code.len())
        || !code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        err(
            &mut errors,
            "code",
            "invalid_code",
            "3 to 30 letters, digits, - or _.",
        );
    }
    match (p.percent_off, p.amount_off) {
        (Some(pct), None) => range(&mut errors, "percent_off", pct, 1, 100),
        (None, Some(a)) => range(&mut errors, "amount_off", a.minor(), 1, 100_000_000),
        _ => err(
            &mut errors,
            "percent_off",
            "one_discount",
            "Give a percentage or an amount, not both.",
        ),
    }
    let mut day = |field: &str, raw: &Option<String>, next: bool| -> Option<i64> {
        let raw = raw.as_deref().map(str::trim).filter(|d| !d.is_empty())?;
        match crate::domain::calendar::parse_date(raw) {
            Some(d) => {
                let d = if next {
                    d + chrono::Duration::days(1)
                } else {
                    d
                };
                super::bookings::day_start(&config, d).timestamp().into()
            }
            None => {
                err(
                    &mut errors,
                    field,
                    "invalid_date",
                    "Use a date like 2026-12-31.",
                );
                None
            }
        }
    };
    let from = day("valid_from", &p.valid_from, false);
    let until = day("valid_until", &p.valid_until, true);
    if let (Some(f), Some(u)) = (from, until) {
        if u <= f {
            err(
                &mut errors,
                "valid_until",
                "before_start",
                "The last day comes after the first.",
            );
        }
    }
    if let Some(m) = p.max_uses {
        range(&mut errors, "max_uses", m, 1, 1_000_000);
    }
    if !errors.is_empty() {
        return Err(AppError::Validation { fields: errors });
    }
    let mut tx = state.store.begin().await?;
    let existed: Option<String> = with_tx!(tx, t => sqlx::query_scalar("SELECT code FROM promo_codes WHERE code = $1")
        .bind(&code)
        .fetch_optional(&mut **t)
        .await)?;
    let sql = if existed.is_some() {
        "UPDATE promo_codes SET percent_off = $2, amount_off = $3, valid_from = $4, valid_until = $5, \
         max_uses = $6, active = $7 WHERE code = $1"
    } else {
        "INSERT INTO promo_codes (code, percent_off, amount_off, valid_from, valid_until, max_uses, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    };
    with_tx!(tx, t => sqlx::query(sql)
        .bind(&code)
        .bind(p.percent_off.and_then(|v| i32::try_from(v).ok()))
        .bind(p.amount_off.map(Money::minor))
        .bind(from)
        .bind(until)
        .bind(p.max_uses.and_then(|v| i32::try_from(v).ok()))
        .bind(p.active)
        .bind(now_epoch())
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?;
    let action = if existed.is_some() {
        "promo_code_updated"
    } else {
        "promo_code_created"
    };
    record(
        &mut tx,
        me,
        origin,
        action,
        "promo_code",
        &code,
        json!({ "after": p }),
    )
    .await?;
    tx.commit().await?;
    promo_codes(state, me)
        .await?
        .into_iter()
        .find(|c| c.promo.code == code)
        .ok_or(AppError::Internal)
}
