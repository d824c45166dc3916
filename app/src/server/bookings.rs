//! Guest bookings: availability, quotes, creation, and the guest's manage
//! link. Creation is the path that must never double-book: the database
//! refuses overlapping live bookings (see migration 0002), this module maps
//! that refusal to a 409 with the nearest free alternatives.

use super::{
    analytics::{near_columns, near_join},
    cache::Kept,
    events::{self, NewEvent},
    now_epoch,
    rules::{BookableSpace, StudioConfig},
    store::{
        is_overlap_violation, is_reference_taken, placeholders, with_pool, with_tx, Batch,
        CalendarScope, Store, Tx, TxInner,
    },
    tokens, AppState,
};
use crate::{
    domain::{
        board::PaymentStatus,
        booking::{
            Availability, BookPageData, BookingConfirmation, BookingSource, BookingState,
            EquipmentRequest, GuestBookingRequest, GuestBookingView, QuoteRequest, Slot,
        },
        pricing::{quote, Discount, EquipmentCharge, PriceBreakdown},
        schedule::TimeRange,
        Email, FullName, Money, Phone, Reference,
    },
    error::{AppError, FieldError},
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::RngCore;
use std::{collections::BTreeMap, sync::Arc};

/// The version of the consent text the booking form shows; stored with
/// every consent record as proof of what the guest agreed to.
pub const CONSENT_TEXT_VERSION: &str = "2026-11-21";

/// Who is asking, for the consent record. Never logged.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: String,
    pub user_agent: String,
    /// The language the guest sees the site in; their e-mails use it.
    pub locale: crate::i18n::Locale,
}

/// Live bookings (with their trailing buffer) and blocked periods of a
/// space that touch `[from, to)`. The lower bound on `starts_at` lets the
/// (space_id, starts_at) index do the work: no booking is longer than two
/// days, so one starting earlier cannot reach `from`.
async fn occupied(
    store: &Store,
    space: SpaceRef<'_>,
    from: i64,
    to: i64,
) -> Result<Vec<TimeRange>, AppError> {
    // By slug the space is looked up in the same statement: availability,
    // the hottest guest request, is one round trip.
    let (space_id, key) = match space {
        SpaceRef::Id(id) => ("$1", id),
        SpaceRef::Slug(slug) => ("(SELECT id FROM spaces WHERE slug = $1)", slug),
    };
    let sql = format!(
        "SELECT starts_at, blocked_until FROM bookings \
         WHERE space_id = {space_id} AND deleted_at IS NULL AND state NOT IN ('cancelled', 'no_show') \
           AND starts_at >= $2 AND starts_at < $3 AND blocked_until > $4 \
         UNION ALL \
         SELECT starts_at, ends_at FROM blocked_periods \
         WHERE (space_id = {space_id} OR space_id IS NULL) AND starts_at < $3 AND ends_at > $4"
    );
    let rows: Vec<(i64, i64)> = with_pool!(store, p => sqlx::query_as(&sql)
    .bind(key)
    .bind(from - 2 * 86_400)
    .bind(to)
    .bind(from)
    .fetch_all(p)
    .await)?;
    Ok(rows
        .into_iter()
        .filter_map(|(s, e)| {
            TimeRange::new(
                DateTime::from_timestamp(s, 0)?,
                DateTime::from_timestamp(e, 0)?,
            )
        })
        .collect())
}

/// Availability's one database read: the busy stretches of the space
/// `slug` that touch `[from, to)` (epoch seconds), blocks included.
pub async fn busy_by_slug(
    store: &Store,
    slug: &str,
    from: i64,
    to: i64,
) -> Result<Vec<TimeRange>, AppError> {
    occupied(store, SpaceRef::Slug(slug), from, to).await
}

/// Which space [`occupied`] looks at.
#[derive(Clone, Copy)]
enum SpaceRef<'a> {
    Id(&'a str),
    Slug(&'a str),
}

pub(super) fn rfc3339(config: &StudioConfig, t: DateTime<Utc>) -> String {
    t.with_timezone(&config.rules.time_zone).to_rfc3339()
}

fn slot_dto(config: &StudioConfig, r: &TimeRange) -> Slot {
    Slot {
        start_time: rfc3339(config, r.start()),
        end_time: rfc3339(config, r.end()),
    }
}

/// Free one-hour starts of a space on a studio-local date.
#[tracing::instrument(skip_all, fields(space = %slug))]
pub async fn availability(
    state: &AppState,
    slug: &str,
    date: &str,
) -> Result<Arc<Kept<Availability>>, AppError> {
    availability_with(state, slug, date, "").await
}

/// How long a day's free starts are kept at most: the clock moves starts
/// past the notice period, and another instance's commit reaches this one
/// through the live feed.
pub const AVAILABILITY_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// A day's free starts, kept while nothing is committed (see
/// [`super::cache::Generational`]): guests ask for the same few days far
/// more often than anything changes.
pub type AvailabilityCache = super::cache::Generational<Availability>;

/// At most 2,000 answers (eight spaces by half a year of days), each under
/// 2 KB, whatever equipment lists guests make up.
pub fn availability_cache() -> AvailabilityCache {
    AvailabilityCache::new(2_000, AVAILABILITY_TTL)
}

/// Like [`availability`], keeping only the starts at which the studio
/// still has the `equipment` asked for (`id:quantity,id:quantity`): stock
/// is shared with the bookings that overlap each hour.
pub async fn availability_with(
    state: &AppState,
    slug: &str,
    date: &str,
    equipment: &str,
) -> Result<Arc<Kept<Availability>>, AppError> {
    let mut asked: Vec<EquipmentRequest> = Vec::new();
    for part in equipment
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (id, quantity) = part.split_once(':').unwrap_or((part, "1"));
        match quantity.trim().parse::<i64>() {
            Ok(q) if q > 0 => asked.push(EquipmentRequest {
                id: id.trim().to_owned(),
                quantity: q,
            }),
            _ => {
                return Err(AppError::field(
                    "equipment",
                    FieldError::new("equipment_quantity", "Use id:quantity, e.g. softbox:2."),
                ))
            }
        }
        if asked.len() > crate::domain::booking::MAX_EQUIPMENT_LINES {
            break;
        }
    }
    let wanted = crate::domain::booking::merge_equipment(&asked)
        .map_err(|e| AppError::field("equipment", e))?;
    let date: NaiveDate = crate::domain::calendar::parse_date(date).ok_or_else(|| {
        AppError::field(
            "date",
            FieldError::new("invalid_date", "Use a date like 2026-12-31."),
        )
    })?;
    // Read before the database is: a commit during the load leaves the
    // answer tagged with a generation that has already passed.
    let generation = state.store.generation();
    let mut key = String::with_capacity(slug.len() + 11);
    key.push_str(slug);
    key.push('\n');
    push_date(&mut key, date);
    for (id, quantity) in &wanted {
        use std::fmt::Write;
        let _ = write!(key, "\n{id}:{quantity}");
    }
    state
        .availability_cache
        .get_or_load(key, generation, || {
            day_availability(state, slug, date, &wanted)
        })
        .await
}

/// `YYYY-MM-DD` written digit by digit (`parse_date` takes years 2000 to
/// 2100: four digits). chrono's formatting, a character at a time through
/// `fmt`, was the largest single item of a cached availability answer.
fn push_date(key: &mut String, date: NaiveDate) {
    use chrono::Datelike;
    fn digits(key: &mut String, n: u32, width: u32) {
        for place in (0..width).rev() {
            key.push(char::from(b'0' + (n / 10u32.pow(place) % 10) as u8));
        }
    }
    digits(key, date.year().unsigned_abs(), 4);
    key.push('-');
    digits(key, date.month(), 2);
    key.push('-');
    digits(key, date.day(), 2);
}

/// A day's free starts as the database has them now (no cache), with the
/// `wanted` equipment (merged `(id, quantity)` lines) free at each.
pub async fn day_availability(
    state: &AppState,
    slug: &str,
    date: NaiveDate,
    wanted: &[(String, i64)],
) -> Result<Availability, AppError> {
    let config = super::rules::studio_config(&state.store, &state.rules_cache).await?;
    // Active spaces are in the (cached) public catalog.
    let catalog = super::catalog::public_catalog(&state.store, &state.catalog_cache).await?;
    let space = catalog
        .spaces
        .iter()
        .find(|s| s.slug == slug)
        .ok_or_else(|| AppError::not_found("space"))?;
    let from = day_start(&config, date);
    let to = day_start(&config, date + Duration::days(1));
    let busy = occupied(
        &state.store,
        SpaceRef::Slug(&space.slug),
        from.timestamp(),
        to.timestamp(),
    )
    .await?;
    let mut slots = config.rules.day_slots(date, &busy, Utc::now());
    let buffer = config.rules.buffer_minutes * 60;
    if !wanted.is_empty() {
        let ids: Vec<&str> = wanted.iter().map(|(id, _)| id.as_str()).collect();
        let catalogue = equipment_rows(&state.store, &ids).await?;
        if catalogue.len() != wanted.len() {
            return Err(AppError::field(
                "equipment",
                FieldError::new("unknown_equipment", "Unknown equipment."),
            ));
        }
        let sql = format!(
            "SELECT be.equipment_id, b.starts_at, b.blocked_until, be.quantity FROM booking_equipment be \
             JOIN bookings b ON b.id = be.booking_id \
             WHERE be.equipment_id IN ({}) AND b.deleted_at IS NULL AND b.state NOT IN ('cancelled', 'no_show') \
               AND b.starts_at < $1 AND b.blocked_until > $2",
            placeholders(3, ids.len())
        );
        let taken: Vec<(String, i64, i64, i32)> = with_pool!(&state.store, p => {
            let mut q = sqlx::query_as(&sql)
                .bind(to.timestamp() + buffer)
                .bind(from.timestamp());
            for id in &ids {
                q = q.bind(*id);
            }
            q.fetch_all(p).await
        })?;
        for (id, quantity) in wanted {
            let stock = catalogue
                .iter()
                .find(|r| &r.id == id)
                .map_or(0, |r| i64::from(r.stock));
            slots.retain(|slot| {
                let (s, e) = (slot.start().timestamp(), slot.end().timestamp() + buffer);
                let used: i64 = taken
                    .iter()
                    .filter(|(eid, bs, bu, _)| eid == id && *bs < e && *bu > s)
                    .map(|(_, _, _, q)| i64::from(*q))
                    .sum();
                used + quantity <= stock
            });
        }
    }
    Ok(free_starts(&config, &space.slug, date, &slots))
}

/// The answer for a day's free starts.
fn free_starts(
    config: &StudioConfig,
    slug: &str,
    date: NaiveDate,
    slots: &[TimeRange],
) -> Availability {
    Availability {
        space: slug.to_owned(),
        date: date.to_string(),
        time_zone: config.time_zone_name.clone(),
        slots: slots.iter().map(|s| slot_dto(config, s)).collect(),
    }
}

/// What the booking page of a space shows for a date (the first day with
/// free time when absent or outside the bookable range).
pub async fn book_page(
    state: &AppState,
    slug: &str,
    date: Option<&str>,
) -> Result<BookPageData, AppError> {
    let config = super::rules::studio_config(&state.store, &state.rules_cache).await?;
    let catalog = super::catalog::public_catalog(&state.store, &state.catalog_cache).await?;
    let space = catalog
        .spaces
        .iter()
        .find(|s| s.slug == slug)
        .cloned()
        .ok_or_else(|| AppError::not_found("space"))?;
    let now = Utc::now();
    let today = config.rules.local_date(now);
    let last = today + Duration::days((config.rules.horizon_days - 1).max(0));
    let asked = date
        .and_then(crate::domain::calendar::parse_date)
        .filter(|d| (today..=last).contains(d));
    // Opened without a date, the page starts on the first day with free
    // time (after 20:00 "today" is usually over); a chosen day stays chosen
    // and, when it is full, links to the next free one.
    let (date, availability, next_free) = match asked {
        Some(d) => {
            let a = Availability::clone(&*availability(state, slug, &d.to_string()).await?);
            let next = if a.slots.is_empty() {
                first_free_day(state, &config, slug, d + Duration::days(1), last)
                    .await?
                    .map(|(day, _)| day.to_string())
            } else {
                None
            };
            (d, a, next)
        }
        None => match first_free_day(state, &config, slug, today, last).await? {
            Some((d, a)) => (d, a, None),
            None => (
                today,
                Availability::clone(&*availability(state, slug, &today.to_string()).await?),
                None,
            ),
        },
    };
    // The day's whole grid (no bookings, same opening hours, lead time and
    // horizon) minus the free starts: what is there but taken.
    let busy = config
        .rules
        .day_slots(date, &[], now)
        .iter()
        .map(|r| slot_dto(&config, r))
        .filter(|s| {
            !availability
                .slots
                .iter()
                .any(|f| f.start_time == s.start_time)
        })
        .collect();
    Ok(BookPageData {
        space,
        date: date.to_string(),
        today: today.to_string(),
        last_date: last.to_string(),
        availability,
        busy,
        next_free,
        max_hours: (config.rules.max_minutes / 60).max(1),
        consent_version: CONSENT_TEXT_VERSION.to_owned(),
    })
}

/// How far the booking page looks for a day with free time.
const FREE_DAY_SEARCH_DAYS: i64 = 31;

/// The first day from `from` (up to `last`, at most a month ahead) on
/// which the space has a free start, with that day's availability.
async fn first_free_day(
    state: &AppState,
    config: &StudioConfig,
    slug: &str,
    from: NaiveDate,
    last: NaiveDate,
) -> Result<Option<(NaiveDate, Availability)>, AppError> {
    let until = last.min(from + Duration::days(FREE_DAY_SEARCH_DAYS - 1));
    if until < from {
        return Ok(None);
    }
    // One query for the whole stretch (not one per day: a fully booked
    // month would be 31 round trips), then the days in order.
    let busy = occupied(
        &state.store,
        SpaceRef::Slug(slug),
        day_start(config, from).timestamp(),
        day_start(config, until + Duration::days(1)).timestamp(),
    )
    .await?;
    let now = Utc::now();
    let mut day = from;
    while day <= until {
        let slots = config.rules.day_slots(day, &busy, now);
        if !slots.is_empty() {
            return Ok(Some((day, free_starts(config, slug, day, &slots))));
        }
        day += Duration::days(1);
    }
    Ok(None)
}

pub(super) fn day_start(config: &StudioConfig, date: NaiveDate) -> DateTime<Utc> {
    // A zone may skip midnight itself; an hour later always exists.
    config
        .rules
        .instant(date, 0)
        .or_else(|| config.rules.instant(date, 60))
        .unwrap_or_else(|| date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// Everything a valid request turns into.
pub(super) struct Checked {
    pub(super) space: BookableSpace,
    pub(super) range: TimeRange,
    pub(super) people: i64,
    pub(super) equipment: Vec<(String, EquipmentCharge)>,
    pub(super) promo: Option<String>,
    pub(super) breakdown: PriceBreakdown,
}

pub(super) type Fields = BTreeMap<String, FieldError>;

pub(super) fn parse_time(field: &str, raw: &str, errors: &mut Fields) -> Option<DateTime<Utc>> {
    match DateTime::parse_from_rfc3339(raw.trim()) {
        Ok(t) => Some(t.to_utc()),
        Err(_) => {
            errors.insert(
                field.into(),
                FieldError::new(
                    "invalid_time",
                    "Use an RFC 3339 time like 2026-12-31T10:00:00+03:00.",
                ),
            );
            None
        }
    }
}

/// Checks the booking itself (space, time, people, equipment, promo) and
/// prices it; client fields are checked by the caller.
pub(super) async fn check_booking(
    state: &AppState,
    config: &StudioConfig,
    req: &QuoteRequest,
    errors: &mut Fields,
) -> Result<Option<Checked>, AppError> {
    let people = req.people_count;
    let space = config.space(req.space.trim()).cloned();
    if space.is_none() {
        errors.insert(
            "space".into(),
            FieldError::new("unknown_space", "Choose one of the studio's spaces."),
        );
    }
    let start = parse_time("start_time", &req.start_time, errors);
    let end = parse_time("end_time", &req.end_time, errors);
    let (Some(space), Some(start), Some(end)) = (space, start, end) else {
        return Ok(None);
    };
    let range =
        match config
            .rules
            .check_request(start, end, people, i64::from(space.capacity), Utc::now())
        {
            Ok(r) => Some(r),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
    let charges = equipment_charges(&state.store, &req.equipment, errors).await?;
    let promo = match req
        .promo_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(code) => match find_promo(&state.store, code, start).await? {
            Some(p) => Some(p),
            None => {
                errors.insert(
                    "promo_code".into(),
                    FieldError::new(
                        "invalid_promo_code",
                        "This promo code is not valid for this booking.",
                    ),
                );
                None
            }
        },
    };
    let Some(range) = range else { return Ok(None) };
    let charge_list: Vec<EquipmentCharge> = charges.iter().map(|(_, c)| c.clone()).collect();
    let breakdown = quote(
        space.prices(),
        range.minutes(),
        people,
        &charge_list,
        promo.as_ref().map(|(_, d)| *d),
    );
    Ok(Some(Checked {
        space,
        range,
        people,
        equipment: charges,
        promo: promo.map(|(c, _)| c),
        breakdown,
    }))
}

#[derive(sqlx::FromRow)]
struct EquipmentRow {
    id: String,
    price: i64,
    per_hour: bool,
    stock: i32,
}

/// The catalogue rows of some active equipment, in one query.
async fn equipment_rows(store: &Store, ids: &[&str]) -> Result<Vec<EquipmentRow>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, price, per_hour, stock FROM equipment WHERE active = TRUE AND id IN ({})",
        placeholders(1, ids.len())
    );
    Ok(with_pool!(store, p => {
        let mut q = sqlx::query_as::<_, EquipmentRow>(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(p).await
    })?)
}

/// Prices the equipment asked for: lines for one item merged, at most
/// [`crate::domain::booking::MAX_EQUIPMENT_LINES`], read in one query.
async fn equipment_charges(
    store: &Store,
    requested: &[EquipmentRequest],
    errors: &mut Fields,
) -> Result<Vec<(String, EquipmentCharge)>, AppError> {
    let merged = match crate::domain::booking::merge_equipment(requested) {
        Ok(m) => m,
        Err(e) => {
            errors.insert("equipment".into(), e);
            return Ok(Vec::new());
        }
    };
    let ids: Vec<&str> = merged.iter().map(|(id, _)| id.as_str()).collect();
    let rows = equipment_rows(store, &ids).await?;
    let mut charges = Vec::new();
    for (id, quantity) in merged {
        match rows.iter().find(|r| r.id == id) {
            Some(r) if quantity <= i64::from(r.stock) => charges.push((
                id,
                EquipmentCharge {
                    unit_price: Money::from_minor(r.price),
                    per_hour: r.per_hour,
                    quantity,
                },
            )),
            Some(_) => {
                errors.insert(
                    "equipment".into(),
                    FieldError::new(
                        "equipment_quantity",
                        "The studio does not have that many of this item.",
                    ),
                );
            }
            None => {
                errors.insert(
                    "equipment".into(),
                    FieldError::new("unknown_equipment", "Unknown equipment."),
                );
            }
        }
    }
    Ok(charges)
}

pub(super) async fn find_promo(
    store: &Store,
    code: &str,
    at: DateTime<Utc>,
) -> Result<Option<(String, Discount)>, AppError> {
    let code = code.to_uppercase();
    let row: Option<(Option<i32>, Option<i64>)> = with_pool!(store, p => sqlx::query_as(
        "SELECT percent_off, amount_off FROM promo_codes \
         WHERE code = $1 AND active = TRUE \
           AND (valid_from IS NULL OR valid_from <= $2) AND (valid_until IS NULL OR valid_until > $2) \
           AND (max_uses IS NULL OR used_count < max_uses)"
    )
    .bind(&code)
    .bind(at.timestamp())
    .fetch_optional(p)
    .await)?;
    Ok(row.and_then(|(percent, amount)| match (percent, amount) {
        (Some(p), None) => Some((code, Discount::Percent(i64::from(p)))),
        (None, Some(a)) => Some((code, Discount::Fixed(Money::from_minor(a)))),
        _ => None,
    }))
}

/// Prices a would-be booking.
pub async fn quote_booking(
    state: &AppState,
    req: &QuoteRequest,
) -> Result<PriceBreakdown, AppError> {
    let config = super::rules::studio_config(&state.store, &state.rules_cache).await?;
    let mut errors = Fields::new();
    let checked = check_booking(state, &config, req, &mut errors).await?;
    match checked {
        Some(c) if errors.is_empty() => Ok(c.breakdown),
        _ => Err(AppError::Validation { fields: errors }),
    }
}

/// A guest's booking from the website or the public API.
#[tracing::instrument(skip_all, fields(space = %req.space))]
pub async fn create_guest_booking(
    state: &AppState,
    req: &GuestBookingRequest,
    meta: &RequestMeta,
) -> Result<BookingConfirmation, AppError> {
    if req.website.as_deref().is_some_and(|w| !w.trim().is_empty()) {
        tracing::info!("booking refused: honeypot field filled");
        return Err(AppError::BadRequest {
            message: "The request could not be processed.".into(),
        });
    }
    let config = super::rules::studio_config(&state.store, &state.rules_cache).await?;
    let mut errors = Fields::new();
    let name = FullName::parse(&req.client_name)
        .map_err(|e| errors.insert("client_name".into(), e))
        .ok();
    let phone = Phone::parse(&req.client_phone)
        .map_err(|e| errors.insert("client_phone".into(), e))
        .ok();
    let email = match req
        .client_email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        None => None,
        Some(raw) => Email::parse(raw)
            .map_err(|e| errors.insert("client_email".into(), e))
            .ok(),
    };
    let requirements = req.special_requirements.clone().unwrap_or_default();
    if requirements.chars().count() > 2000 {
        errors.insert(
            "special_requirements".into(),
            FieldError::new("too_long", "At most 2000 characters."),
        );
    }
    if !req.consent {
        errors.insert(
            "consent".into(),
            FieldError::new(
                "consent_required",
                "Consent to the processing of personal data is required.",
            ),
        );
    }
    let checked = check_booking(state, &config, &QuoteRequest::from(req), &mut errors).await?;
    let (Some(checked), Some(name), Some(phone), true) = (checked, name, phone, errors.is_empty())
    else {
        return Err(AppError::Validation { fields: errors });
    };
    let client = Client {
        name: name.as_str().to_owned(),
        phone,
        phone_display: req.client_phone.trim().to_owned(),
        email: email.map(|e| e.as_str().to_owned()),
        requirements,
    };
    let how = Provenance {
        source: BookingSource::Website,
        state: BookingState::Pending,
        notes: "",
        internal_notes: "",
        payment_status: PaymentStatus::Unpaid,
        consent: Some(meta),
        staff: None,
    };
    book(state, &config, &checked, &client, &how).await
}

/// Inserts a checked booking; a slot taken meanwhile comes back as a 409
/// with the nearest free alternatives (for guests and staff alike).
pub(super) async fn book(
    state: &AppState,
    config: &StudioConfig,
    checked: &Checked,
    client: &Client,
    how: &Provenance<'_>,
) -> Result<BookingConfirmation, AppError> {
    match insert(state, config, checked, client, how).await {
        Err(AppError::Conflict { code, message, .. }) if code == "slot_unavailable" => {
            metrics::counter!("studio_slot_conflicts_total", "source" => how.source.as_str())
                .increment(1);
            let alternatives = alternatives(state, config, checked)
                .await
                .unwrap_or_default();
            Err(AppError::Conflict {
                code,
                message,
                details: Some(serde_json::json!({ "alternatives": alternatives })),
            })
        }
        other => other,
    }
}

pub(super) struct Client {
    pub(super) name: String,
    pub(super) phone: Phone,
    pub(super) phone_display: String,
    pub(super) email: Option<String>,
    pub(super) requirements: String,
}

/// How a new booking comes in: from whom, in which state, with what.
pub(super) struct Provenance<'a> {
    pub(super) source: BookingSource,
    pub(super) state: BookingState,
    pub(super) notes: &'a str,
    pub(super) internal_notes: &'a str,
    pub(super) payment_status: PaymentStatus,
    /// The guest's proof of consent (website bookings).
    pub(super) consent: Option<&'a RequestMeta>,
    /// The employee who took the booking, audited in the same transaction.
    pub(super) staff: Option<&'a super::audit::Actor>,
}

pub(super) fn slot_taken() -> AppError {
    AppError::Conflict {
        code: "slot_unavailable".into(),
        message: "This time is no longer free for this space.".into(),
        details: None,
    }
}

/// Inserts a checked booking under a new reference. A reference is the
/// date and four random characters (~923,000 a day): the unique index
/// refuses the rare one already taken and the booking is made again under
/// another, rather than every booking asking the database first while
/// every other writer waits for it.
pub(super) async fn insert(
    state: &AppState,
    config: &StudioConfig,
    c: &Checked,
    client: &Client,
    how: &Provenance<'_>,
) -> Result<BookingConfirmation, AppError> {
    let date = config.rules.local_date(c.range.start());
    for _ in 0..8 {
        let mut random = [0u8; 4];
        rand::thread_rng().fill_bytes(&mut random);
        let reference = Reference::new(date, random);
        match insert_as(state, config, c, client, how, &reference).await {
            Err(AppError::Conflict { code, .. }) if code == REFERENCE_TAKEN => continue,
            other => return other,
        }
    }
    tracing::error!("no free booking reference after 8 tries");
    Err(AppError::Internal)
}

/// The internal refusal of a reference already taken, never shown.
const REFERENCE_TAKEN: &str = "reference_taken";

async fn insert_as(
    state: &AppState,
    config: &StudioConfig,
    c: &Checked,
    client: &Client,
    how: &Provenance<'_>,
    reference: &Reference,
) -> Result<BookingConfirmation, AppError> {
    let source = how.source;
    let staff_id = how.staff.and_then(|a| a.id.clone());
    // Time-ordered (UUIDv7): every index keyed by the booking (its own,
    // the consent's, the events', the state history's, the analytics')
    // grows at its end instead of touching a random page per write. The
    // guest's link is a signed token, so nothing relies on the id being
    // unguessable.
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_epoch();
    let starts_at = c.range.start().timestamp();
    let ends_at = c.range.end().timestamp();
    let blocked_until = ends_at + config.rules.buffer_minutes * 60;
    let equipment: Vec<String> = c.equipment.iter().map(|(id, _)| id.clone()).collect();
    let b = &c.breakdown;
    let vault = state.store.vault()?;
    let phone_bidx = vault.phone_index(client.phone.e164());
    let name_rows = super::privacy::name_rows(vault, &client.name);
    // Proof of consent: the guest's form (with where it came from), or the
    // employee who took the guest's verbal consent.
    let (method, ip, user_agent, recorded_by) = match (how.consent, how.staff) {
        (Some(meta), _) => (
            "web_form",
            meta.ip.clone(),
            meta.user_agent.chars().take(500).collect::<String>(),
            None,
        ),
        (None, Some(who)) => ("verbal", String::new(), String::new(), who.id.clone()),
        (None, None) => return Err(AppError::Internal),
    };
    let consent_id = uuid::Uuid::now_v7().to_string();
    let (consent_ip, consent_agent) = (vault.seal(&ip), vault.seal(&user_agent));
    // The booking's row and what comes with it (its equipment, name-index
    // rows, consent record, the first line of its history and, below, its
    // event) go to the database together: one call on SQLite, where each
    // call is a round trip between threads, one statement on PostgreSQL
    // (none of them reads another's row; see [`Batch`]).
    let mut writes = Batch::independent();
    writes.push(
        INSERT_BOOKING,
        vec![
            id.as_str().into(),
            reference.as_str().into(),
            c.space.id.as_str().into(),
            starts_at.into(),
            ends_at.into(),
            blocked_until.into(),
            i32::try_from(c.people).unwrap_or(i32::MAX).into(),
            vault.seal(&client.name).into(),
            vault.seal(client.phone.e164()).into(),
            vault.seal(&client.phone_display).into(),
            vault.seal_opt(client.email.as_deref()).as_deref().into(),
            vault.seal(&client.requirements).into(),
            c.promo.as_deref().into(),
            b.base.minor().into(),
            b.equipment.minor().into(),
            b.extra_people.minor().into(),
            b.discount.minor().into(),
            b.total.minor().into(),
            source.as_str().into(),
            how.state.as_str().into(),
            now.into(),
            vault.seal(how.notes).into(),
            vault.seal(how.internal_notes).into(),
            how.payment_status.as_str().into(),
            staff_id.as_deref().into(),
            how.consent
                .map_or(crate::i18n::Locale::default(), |m| m.locale)
                .tag()
                .into(),
            phone_bidx.as_str().into(),
            client
                .email
                .as_deref()
                .map(|e| vault.email_index(e))
                .as_deref()
                .into(),
        ],
    );
    for (equipment_id, charge) in &c.equipment {
        writes.push(
            "INSERT INTO booking_equipment (booking_id, equipment_id, quantity, unit_price, per_hour) \
             VALUES ($1, $2, $3, $4, $5)",
            vec![
                id.as_str().into(),
                equipment_id.as_str().into(),
                i32::try_from(charge.quantity).unwrap_or(i32::MAX).into(),
                charge.unit_price.minor().into(),
                charge.per_hour.into(),
            ],
        );
    }
    super::privacy::push_pending(&mut writes, name_rows, &id, &phone_bidx);
    writes.push(
        "INSERT INTO consent_records (id, booking_id, text_version, given_at, ip, user_agent, method, recorded_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vec![
            consent_id.as_str().into(),
            id.as_str().into(),
            CONSENT_TEXT_VERSION.into(),
            now.into(),
            consent_ip.into(),
            consent_agent.into(),
            method.into(),
            recorded_by.as_deref().into(),
        ],
    );
    // The first line of its history: created, in its state, by whom.
    writes.push(
        "INSERT INTO booking_state_history (booking_id, from_state, to_state, reason, actor, at) \
         VALUES ($1, NULL, $2, 'created', $3, $4)",
        vec![
            id.as_str().into(),
            how.state.as_str().into(),
            staff_id.as_deref().into(),
            now.into(),
        ],
    );
    // Everything above needs no lock (sealing, keyed hashes, the rows'
    // text): done before the transaction, so the space's calendar lock
    // (and on SQLite the writer's turn) is held only for the database's
    // own work.
    let mut tx = state.store.begin().await?;
    // The calendar lock, then (so a block or booking made a moment ago is
    // seen) blocked time, the day's bookings and the event's id.
    let prelude = prelude(&mut tx, &c.space.id, &equipment, starts_at, blocked_until).await?;
    check_stock(&mut tx, &c.equipment, starts_at, blocked_until, "").await?;
    if let Some(code) = &c.promo {
        let used = with_tx!(tx, t => sqlx::query(
            "UPDATE promo_codes SET used_count = used_count + 1 \
             WHERE code = $1 AND active = TRUE AND (max_uses IS NULL OR used_count < max_uses)"
        )
        .bind(code)
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?;
        if used == 0 {
            return Err(AppError::field(
                "promo_code",
                FieldError::new("invalid_promo_code", "This promo code has been used up."),
            ));
        }
    }
    // The booking's day in the analytics rollups, counted with it.
    super::analytics::count_new(
        &mut writes,
        &prelude.time_zone,
        &c.space.id,
        &crate::domain::analytics::BookingFacts {
            starts_at,
            ends_at,
            created_at: now,
            state: how.state.as_str().to_owned(),
            cancelled_by: None,
            source: source.as_str().to_owned(),
            total: b.total.minor(),
        },
        &prelude.near,
    )?;
    // The event and its messages go with them; the database's no-overlap
    // rule refusing the row is a taken slot.
    events::record_created(
        &mut tx,
        writes,
        NewEvent {
            event_type: "BookingCreated",
            aggregate_type: "booking",
            aggregate_id: &id,
            payload: &serde_json::json!({
                "reference": reference.as_str(),
                "space": c.space.slug,
                "start_time": starts_at,
                "end_time": ends_at,
                "state": how.state.as_str(),
                "version": 1,
                "source": source.as_str(),
                "total_price": b.total.minor(),
            }),
            actor: staff_id.as_deref(),
        },
        prelude.event_id,
        client.email.as_deref().is_some_and(|e| !e.is_empty()),
        |e| {
            if is_overlap_violation(e) {
                Some(slot_taken())
            } else if is_reference_taken(e) {
                Some(AppError::Conflict {
                    code: REFERENCE_TAKEN.into(),
                    message: String::new(),
                    details: None,
                })
            } else {
                None
            }
        },
    )
    .await?;
    if let Some(who) = how.staff {
        super::audit::append(
            &mut tx,
            who,
            super::audit::Entry {
                action: "booking_created",
                target_type: "booking",
                target_id: &id,
                details: serde_json::json!({
                    "reference": reference.as_str(),
                    "space": c.space.slug,
                    "start_time": starts_at,
                    "end_time": ends_at,
                    "state": how.state.as_str(),
                    "source": source.as_str(),
                }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(booking_id = %id, reference = reference.as_str(), "booking created");
    Ok(BookingConfirmation {
        manage_url: state.notifier.manage_url(&state.signing_key, &id),
        id,
        reference: reference.as_str().to_owned(),
        state: how.state,
        space: c.space.slug.clone(),
        start_time: rfc3339(config, c.range.start()),
        end_time: rfc3339(config, c.range.end()),
        client_phone: client.phone.e164().to_owned(),
        people_count: c.people,
        total_price: b.total,
        price_breakdown: *b,
    })
}

/// The booking's row (28 parameters: `$21` is both its creation and
/// update time, `$25` both its creator and last editor).
const INSERT_BOOKING: &str = "INSERT INTO bookings (id, reference, space_id, starts_at, ends_at, blocked_until, people_count, \
     client_name, client_phone, client_phone_display, client_email, special_requirements, promo_code, \
     price_base, price_equipment, price_extra_people, price_discount, price_total, source, state, \
     created_at, updated_at, notes, internal_notes, payment_status, created_by, updated_by, locale, \
     client_phone_bidx, client_email_bidx) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21, \
     $22, $23, $24, $25, $25, $26, $27, $28)";

/// What a new booking reads before its writes (see [`prelude`]).
struct Prelude {
    /// The id its event takes.
    event_id: i64,
    /// The studio's time zone, for its day in the rollups.
    time_zone: String,
    /// The bookings of its space starting within 30 hours of it.
    near: Vec<super::analytics::Near>,
}

#[derive(sqlx::FromRow)]
struct PreludeRow {
    blocks: i64,
    event_id: Option<i64>,
    time_zone: Option<String>,
    #[sqlx(flatten)]
    near: super::analytics::Near,
}

/// The blocked periods, of the space `$1` or the whole studio, that cover
/// any of `[$3, $2)`: a booking there is refused.
macro_rules! blocked_count {
    () => {
        "SELECT COUNT(*) FROM blocked_periods p \
         WHERE (p.space_id = $1 OR p.space_id IS NULL) AND p.starts_at < $2 AND p.ends_at > $3"
    };
}

/// SQLite's prelude, one query (PostgreSQL's reads are those of the
/// function of migration 0018): `$1` the space, `$2` the end of its
/// blocked time, `$3` its start.
const PRELUDE_SQLITE: &str = concat!(
    "SELECT (",
    blocked_count!(),
    ") AS blocks, \
     COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'domain_events'), 0) + 1 AS event_id, \
     s.time_zone, ",
    near_columns!(),
    " FROM studio_settings s ",
    near_join!("$1", "$3"),
    " WHERE s.id = 1"
);

/// A new booking's first step in its transaction, one round trip: the
/// calendar lock of its space and items (as [`Tx::lock_calendar`]), then,
/// under it, the blocked time it must not cover (a 409 `slot_unavailable`),
/// the bookings of its day for the rollups and the id of its event. On
/// PostgreSQL the migration's `booking_prelude` function, whose reads take
/// their snapshots after the locks; on SQLite, where the writer is alone,
/// one query. The event's id is SQLite's next (its `AUTOINCREMENT`
/// counter, read and used by the one writer) or PostgreSQL's sequence.
async fn prelude(
    tx: &mut Tx,
    space_id: &str,
    equipment: &[String],
    starts_at: i64,
    blocked_until: i64,
) -> Result<Prelude, AppError> {
    let rows: Vec<PreludeRow> = match &mut tx.inner {
        TxInner::Postgres(t) => {
            let mut items: Vec<&str> = equipment.iter().map(String::as_str).collect();
            items.sort_unstable();
            items.dedup();
            sqlx::query_as("SELECT * FROM booking_prelude($1, $2, $3, $4)")
                .bind(space_id)
                .bind(items)
                .bind(starts_at)
                .bind(blocked_until)
                .fetch_all(&mut **t)
                .await?
        }
        TxInner::Sqlite(t) => {
            sqlx::query_as(PRELUDE_SQLITE)
                .bind(space_id)
                .bind(blocked_until)
                .bind(starts_at)
                .fetch_all(&mut **t)
                .await?
        }
    };
    let Some(first) = rows.first() else {
        tracing::error!("the studio's settings row is missing");
        return Err(AppError::Internal);
    };
    if first.blocks > 0 {
        return Err(slot_taken());
    }
    let (Some(event_id), Some(time_zone)) = (first.event_id, first.time_zone.clone()) else {
        tracing::error!("the booking prelude returned no event id or time zone");
        return Err(AppError::Internal);
    };
    Ok(Prelude {
        event_id,
        time_zone,
        near: rows.into_iter().map(|r| r.near).collect(),
    })
}

/// An existing booking taking a time (reopened, or moved by staff): the
/// calendar lock of its space and `equipment`, then, under it, a refusal
/// (409 `slot_unavailable`) of a time that blocked time covers, in the
/// space or the whole studio — a block made a moment ago is seen. A new
/// booking does the same in its [`prelude`].
pub(super) async fn hold_time(
    tx: &mut Tx,
    space_id: &str,
    equipment: &[String],
    starts_at: i64,
    blocked_until: i64,
) -> Result<(), AppError> {
    tx.lock_calendar(CalendarScope::Space {
        space_id,
        equipment,
    })
    .await?;
    let blocks: i64 = with_tx!(tx, t => sqlx::query_scalar(blocked_count!())
    .bind(space_id)
    .bind(blocked_until)
    .bind(starts_at)
    .fetch_one(&mut **t)
    .await)?;
    if blocks > 0 {
        return Err(slot_taken());
    }
    Ok(())
}

/// Refuses equipment the studio has no more of at that time: live
/// bookings that overlap (buffer included) share the stock. Runs inside the
/// calendar lock, so two bookings cannot both take the last item.
pub(super) async fn check_stock(
    tx: &mut Tx,
    equipment: &[(String, EquipmentCharge)],
    starts_at: i64,
    blocked_until: i64,
    except_booking: &str,
) -> Result<(), AppError> {
    if equipment.is_empty() {
        return Ok(());
    }
    let n = equipment.len();
    let (items, held_items) = (placeholders(4, n), placeholders(4 + n, n));
    // One query for every item: its stock and what overlapping live
    // bookings already hold.
    let sql = format!(
        "SELECT e.id, e.name, e.stock, CAST(COALESCE(u.used, 0) AS BIGINT) FROM equipment e \
         LEFT JOIN (SELECT be.equipment_id, SUM(be.quantity) AS used FROM booking_equipment be \
                    JOIN bookings b ON b.id = be.booking_id \
                    WHERE b.id <> $1 AND b.deleted_at IS NULL AND b.state NOT IN ('cancelled', 'no_show') \
                      AND b.starts_at < $2 AND b.blocked_until > $3 AND be.equipment_id IN ({held_items}) \
                    GROUP BY be.equipment_id) u ON u.equipment_id = e.id \
         WHERE e.id IN ({items})"
    );
    let rows: Vec<(String, String, i32, i64)> = with_tx!(tx, t => {
        let mut q = sqlx::query_as(&sql)
            .bind(except_booking)
            .bind(blocked_until)
            .bind(starts_at);
        for (id, _) in equipment.iter().chain(equipment) {
            q = q.bind(id);
        }
        q.fetch_all(&mut **t).await
    })?;
    for (id, charge) in equipment {
        let Some((_, name, stock, used)) = rows.iter().find(|r| &r.0 == id) else {
            return Err(AppError::field(
                "equipment",
                FieldError::new("unknown_equipment", "Unknown equipment."),
            ));
        };
        let free = (i64::from(*stock) - used).max(0);
        if charge.quantity > free {
            return Err(AppError::Conflict {
                code: "equipment_unavailable".into(),
                message: format!("Only {free} of \"{name}\" left at this time."),
                details: Some(serde_json::json!({ "equipment": id, "available": free })),
            });
        }
    }
    Ok(())
}

/// Who moved a booking to another state.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ChangedBy<'a> {
    Guest,
    System,
    Employee(&'a str),
}

/// A state change's history line and its `BookingStateChanged` event (and
/// so its notifications), in the caller's transaction, after the caller
/// updated the row to `new_version`.
pub(crate) async fn record_state_change(
    tx: &mut Tx,
    booking_id: &str,
    from: BookingState,
    to: BookingState,
    reason: &str,
    by: ChangedBy<'_>,
    new_version: i64,
) -> Result<(), AppError> {
    let (employee, by) = match by {
        ChangedBy::Guest => (None, "guest"),
        ChangedBy::System => (None, "system"),
        ChangedBy::Employee(id) => (Some(id), id),
    };
    record_transition(tx, booking_id, Some(from), to, reason, employee).await?;
    if to == BookingState::Cancelled {
        // Who cancelled, for analytics (guest, staff or system).
        let who = match employee {
            Some(_) => "staff",
            None => by,
        };
        with_tx!(tx, c => sqlx::query("UPDATE bookings SET cancelled_by = $1 WHERE id = $2")
            .bind(who)
            .bind(booking_id)
            .execute(&mut **c)
            .await
            .map(|_| ()))?;
    }
    events::record(
        tx,
        NewEvent {
            event_type: "BookingStateChanged",
            aggregate_type: "booking",
            aggregate_id: booking_id,
            payload: &serde_json::json!({
                "from": from.as_str(), "to": to.as_str(), "state": to.as_str(),
                "by": by, "version": new_version
            }),
            actor: employee,
        },
    )
    .await?;
    Ok(())
}

/// Appends to the booking's state history.
pub(crate) async fn record_transition(
    tx: &mut Tx,
    booking_id: &str,
    from: Option<BookingState>,
    to: BookingState,
    reason: &str,
    actor: Option<&str>,
) -> Result<(), AppError> {
    with_tx!(tx, t => sqlx::query(
        "INSERT INTO booking_state_history (booking_id, from_state, to_state, reason, actor, at) VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(booking_id)
    .bind(from.map(BookingState::as_str))
    .bind(to.as_str())
    .bind(reason)
    .bind(actor)
    .bind(now_epoch())
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Up to five free starts of the same length nearest to the one refused,
/// on the same day or the following week.
pub(super) async fn alternatives(
    state: &AppState,
    config: &StudioConfig,
    c: &Checked,
) -> Result<Vec<Slot>, AppError> {
    let mut rules = config.rules.clone();
    rules.min_minutes = c.range.minutes();
    let first_day = rules.local_date(c.range.start());
    let now = Utc::now();
    let mut found: Vec<TimeRange> = Vec::new();
    for offset in 0..7 {
        let date = first_day + Duration::days(offset);
        let from = day_start(config, date);
        let to = day_start(config, date + Duration::days(1));
        let busy = occupied(
            &state.store,
            SpaceRef::Id(&c.space.id),
            from.timestamp(),
            to.timestamp(),
        )
        .await?;
        found.extend(rules.day_slots(date, &busy, now));
        if found.len() >= 5 && offset > 0 {
            break;
        }
    }
    let wanted = c.range.start();
    found.sort_by_key(|s| (s.start() - wanted).num_seconds().abs());
    found.truncate(5);
    found.sort();
    Ok(found.iter().map(|s| slot_dto(config, s)).collect())
}

#[derive(sqlx::FromRow)]
struct GuestRow {
    reference: String,
    state: String,
    slug: String,
    space_name: String,
    starts_at: i64,
    ends_at: i64,
    people_count: i32,
    client_name: String,
    price_base: i64,
    price_equipment: i64,
    price_extra_people: i64,
    price_discount: i64,
    price_total: i64,
    version: i32,
}

async fn guest_row(store: &Store, id: &str) -> Result<GuestRow, AppError> {
    let mut row: GuestRow = with_pool!(store, p => sqlx::query_as(
        "SELECT b.reference, b.state, s.slug, s.name AS space_name, b.starts_at, b.ends_at, b.people_count, \
         b.client_name, b.price_base, b.price_equipment, b.price_extra_people, b.price_discount, b.price_total, b.version \
         FROM bookings b JOIN spaces s ON s.id = b.space_id WHERE b.id = $1 AND b.deleted_at IS NULL"
    )
    .bind(id)
    .fetch_optional(p)
    .await)?
    .ok_or_else(|| AppError::not_found("booking"))?;
    row.client_name = store.vault()?.open(&row.client_name)?;
    Ok(row)
}

/// The booking id behind a manage link (for guests' data requests).
pub fn manage_token_booking(state: &AppState, token: &str) -> Result<String, AppError> {
    booking_id_from_token(state, token)
}

fn booking_id_from_token(state: &AppState, token: &str) -> Result<String, AppError> {
    tokens::verify_manage_token(&state.signing_key, token)
        .ok_or_else(|| AppError::not_found("booking"))
}

fn guest_view(
    config: &StudioConfig,
    r: GuestRow,
    now: DateTime<Utc>,
) -> Result<GuestBookingView, AppError> {
    let at = |t: i64| DateTime::from_timestamp(t, 0).ok_or(AppError::Internal);
    let (start, end) = (at(r.starts_at)?, at(r.ends_at)?);
    let state = BookingState::parse(&r.state).ok_or(AppError::Internal)?;
    let cancel_until = start - Duration::hours(config.cancellation_hours);
    let breakdown = PriceBreakdown {
        hours: (end - start).num_minutes().div_euclid(60),
        base: Money::from_minor(r.price_base),
        equipment: Money::from_minor(r.price_equipment),
        extra_people: Money::from_minor(r.price_extra_people),
        discount: Money::from_minor(r.price_discount),
        total: Money::from_minor(r.price_total),
    };
    Ok(GuestBookingView {
        reference: r.reference,
        state,
        space: r.slug,
        space_name: r.space_name,
        start_time: rfc3339(config, start),
        end_time: rfc3339(config, end),
        time_zone: config.time_zone_name.clone(),
        people_count: i64::from(r.people_count),
        client_name: r.client_name,
        total_price: breakdown.total,
        price_breakdown: breakdown,
        can_cancel: matches!(state, BookingState::Pending | BookingState::Confirmed)
            && now < cancel_until,
        cancel_until: rfc3339(config, cancel_until),
    })
}

/// The booking behind a guest's manage link.
pub async fn guest_booking(state: &AppState, token: &str) -> Result<GuestBookingView, AppError> {
    let id = booking_id_from_token(state, token)?;
    let config = super::rules::studio_config(&state.store, &state.rules_cache).await?;
    guest_view(&config, guest_row(&state.store, &id).await?, Utc::now())
}

/// Cancels through the manage link, within the cancellation window; the
/// slot is free again at once.
#[tracing::instrument(skip_all)]
pub async fn cancel_guest_booking(
    state: &AppState,
    token: &str,
) -> Result<GuestBookingView, AppError> {
    let id = booking_id_from_token(state, token)?;
    let config = super::rules::studio_config(&state.store, &state.rules_cache).await?;
    let row = guest_row(&state.store, &id).await?;
    let version = row.version;
    let view = guest_view(&config, row, Utc::now())?;
    if !view.can_cancel {
        let (code, message) =
            if matches!(view.state, BookingState::Pending | BookingState::Confirmed) {
                (
                    "cancellation_window_closed",
                    "It is too late to cancel online; please call the studio.",
                )
            } else {
                (
                    "invalid_transition",
                    "This booking can no longer be cancelled.",
                )
            };
        return Err(AppError::Conflict {
            code: code.into(),
            message: message.into(),
            details: None,
        });
    }
    let mut tx = state.store.begin().await?;
    let updated = with_tx!(tx, t => sqlx::query(
        "UPDATE bookings SET state = 'cancelled', version = version + 1, updated_at = $1 \
         WHERE id = $2 AND version = $3 AND state IN ('pending', 'confirmed')"
    )
    .bind(now_epoch())
    .bind(&id)
    .bind(version)
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    if updated == 0 {
        return Err(AppError::Conflict {
            code: "version_conflict".into(),
            message: "The booking changed meanwhile; reload and try again.".into(),
            details: None,
        });
    }
    record_state_change(
        &mut tx,
        &id,
        view.state,
        BookingState::Cancelled,
        "cancelled by the guest",
        ChangedBy::Guest,
        i64::from(version) + 1,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(booking_id = %id, "booking cancelled by the guest");
    guest_view(&config, guest_row(&state.store, &id).await?, Utc::now())
}

/// Moves a booking along the state machine (staff), in a transaction of
/// its own. A manager's attempt to reopen is refused and audited.
#[tracing::instrument(skip_all, fields(booking_id = %id))]
pub async fn transition(
    state: &AppState,
    me: &super::credentials::Principal,
    id: &str,
    change: &crate::domain::booking::TransitionRequest,
    origin: &super::credentials::Origin,
) -> Result<crate::domain::booking::BookingStateView, AppError> {
    let who = super::credentials::actor_of(me, origin);
    let mut tx = state.store.begin().await?;
    let reason = change.reason.as_deref().unwrap_or_default();
    match transition_in(
        &mut tx,
        me,
        &who,
        id,
        change.target_state,
        reason,
        change.version,
    )
    .await
    {
        Ok(view) => {
            tx.commit().await?;
            Ok(view)
        }
        Err(AppError::Forbidden) => {
            drop(tx);
            Err(deny(&state.store, &who, id, "reopen_booking").await)
        }
        Err(e) => Err(e),
    }
}

/// Records a refused booking change in the audit log.
pub(super) async fn deny(
    store: &Store,
    who: &super::audit::Actor,
    id: &str,
    attempted: &str,
) -> AppError {
    let entry = super::audit::Entry {
        action: "permission_denied",
        target_type: "booking",
        target_id: id,
        details: serde_json::json!({ "attempted": attempted }),
    };
    match super::audit::record(store, who, entry).await {
        Ok(()) => AppError::Forbidden,
        Err(e) => e,
    }
}

pub(super) fn version_conflict(current: i64) -> AppError {
    AppError::Conflict {
        code: "version_conflict".into(),
        message: "The booking changed meanwhile; reload and try again.".into(),
        details: Some(serde_json::json!({ "current_version": current })),
    }
}

/// The checks a reopened booking passes before it holds its slot again:
/// no blocked time over it, its equipment still in stock.
async fn reclaim(
    tx: &mut Tx,
    id: &str,
    space_id: &str,
    starts_at: i64,
    blocked_until: i64,
) -> Result<(), AppError> {
    let lines: Vec<(String, i32, i64, bool)> = with_tx!(tx, t => sqlx::query_as(
        "SELECT equipment_id, quantity, unit_price, per_hour FROM booking_equipment WHERE booking_id = $1"
    )
    .bind(id)
    .fetch_all(&mut **t)
    .await)?;
    let ids: Vec<String> = lines.iter().map(|(e, ..)| e.clone()).collect();
    hold_time(tx, space_id, &ids, starts_at, blocked_until).await?;
    let wanted: Vec<(String, EquipmentCharge)> = lines
        .into_iter()
        .map(|(e, quantity, unit_price, per_hour)| {
            (
                e,
                EquipmentCharge {
                    unit_price: Money::from_minor(unit_price),
                    per_hour,
                    quantity: i64::from(quantity),
                },
            )
        })
        .collect();
    check_stock(tx, &wanted, starts_at, blocked_until, id).await
}

/// The state change inside the caller's transaction. The version guards
/// against a concurrent change; reopening into a slot taken meanwhile is
/// refused by the database like any overlap. `Forbidden` is returned
/// unaudited: the caller records it once the transaction is gone.
pub(super) async fn transition_in(
    tx: &mut Tx,
    me: &super::credentials::Principal,
    who: &super::audit::Actor,
    id: &str,
    to: BookingState,
    reason: &str,
    expected_version: Option<i64>,
) -> Result<crate::domain::booking::BookingStateView, AppError> {
    use crate::domain::booking::{BookingStateView, TransitionError};
    let row: Option<(String, i32, String, i64, i64)> = with_tx!(tx, t => sqlx::query_as(
        "SELECT state, version, space_id, starts_at, blocked_until FROM bookings WHERE id = $1 AND deleted_at IS NULL"
    )
    .bind(id)
    .fetch_optional(&mut **t)
    .await)?;
    let (from, version, space_id, starts_at, blocked_until) =
        row.ok_or_else(|| AppError::not_found("booking"))?;
    let from = BookingState::parse(&from).ok_or(AppError::Internal)?;
    if expected_version.is_some_and(|v| v != i64::from(version)) {
        return Err(version_conflict(i64::from(version)));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::field(
            "reason",
            FieldError::new("too_long", "At most 500 characters."),
        ));
    }
    match from.can_transition(to, me.role, reason) {
        Ok(()) => {}
        Err(TransitionError::Invalid) => {
            return Err(AppError::Conflict {
                code: "invalid_transition".into(),
                message: format!("A {} booking cannot become {}.", from.as_str(), to.as_str()),
                details: Some(serde_json::json!({ "from": from.as_str(), "to": to.as_str() })),
            })
        }
        Err(TransitionError::NotAllowedForRole) => return Err(AppError::Forbidden),
        Err(TransitionError::ReasonRequired) => {
            return Err(AppError::field(
                "reason",
                FieldError::new("reason_required", "Say why the booking is reopened."),
            ))
        }
    }
    if !from.holds_slot() && to.holds_slot() {
        // Reopening takes the slot back: the database refuses an overlap
        // with another booking; blocked time and equipment stock are
        // checked here, as for a new booking.
        reclaim(tx, id, &space_id, starts_at, blocked_until).await?;
    }
    let updated = with_tx!(tx, t => sqlx::query(
        "UPDATE bookings SET state = $1, version = version + 1, updated_at = $2, updated_by = $3 \
         WHERE id = $4 AND version = $5 AND state = $6"
    )
    .bind(to.as_str())
    .bind(now_epoch())
    .bind(&me.employee_id)
    .bind(id)
    .bind(version)
    .bind(from.as_str())
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()));
    match updated {
        Ok(1) => {}
        Ok(_) => return Err(version_conflict(i64::from(version))),
        Err(e) if is_overlap_violation(&e) => return Err(slot_taken()),
        Err(e) => return Err(e.into()),
    }
    let new_version = i64::from(version) + 1;
    record_state_change(
        tx,
        id,
        from,
        to,
        reason.trim(),
        ChangedBy::Employee(&me.employee_id),
        new_version,
    )
    .await?;
    super::audit::append(
        tx,
        who,
        super::audit::Entry {
            action: "booking_state_changed",
            target_type: "booking",
            target_id: id,
            details: serde_json::json!({ "before": from.as_str(), "after": to.as_str(), "reason": reason.trim() }),
        },
    )
    .await?;
    Ok(BookingStateView {
        id: id.to_owned(),
        state: to,
        version: new_version,
    })
}
