//! Analytics: daily rollups per space and studio day, refreshed in the
//! transaction of every booking change ([`touch`], called by
//! `events::record` for booking events), and the reports read from them.
//!
//! A refresh recomputes the whole day of a space from its bookings (a few
//! rows), so a rollup always equals a recomputation whatever path changed
//! the booking; `analytics_counted` remembers where a booking was
//! counted (kept by an insert trigger, moved along here), so a reschedule refreshes the day it left too. A year's
//! summary then reads ~365 rows per space. [`rebuild`] recomputes
//! everything (the `analytics-rebuild` command, an upgrade, a new time
//! zone).

use super::{
    credentials::Principal,
    now_epoch,
    rules::{studio_config, StudioConfig},
    store::{with_pool, with_tx, Batch, Store, Tx},
    AppState,
};
use crate::{
    domain::{
        analytics::{
            open_span, parse_period, AnalyticsPage, AnalyticsQuery, BookingFacts, DailyFigures,
            DayFigures, Occupancy, PeriodKind, Summary, TopClient, UseCount,
        },
        Role,
    },
    error::{AppError, FieldError},
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::{BTreeMap, HashMap};

#[derive(sqlx::FromRow)]
struct FactRow {
    starts_at: i64,
    ends_at: i64,
    created_at: i64,
    state: String,
    cancelled_by: Option<String>,
    source: String,
    price_total: i64,
}

impl From<FactRow> for BookingFacts {
    fn from(r: FactRow) -> BookingFacts {
        BookingFacts {
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            created_at: r.created_at,
            state: r.state,
            cancelled_by: r.cancelled_by,
            source: r.source,
            total: r.price_total,
        }
    }
}

const FACTS: &str =
    "SELECT starts_at, ends_at, created_at, state, cancelled_by, source, price_total FROM bookings";

fn zone(name: &str) -> Result<Tz, AppError> {
    name.parse().map_err(|_| {
        tracing::error!(time_zone = %name, "the studio's time zone is not an IANA zone");
        AppError::Internal
    })
}

/// The UTC instant a studio day starts (its first existing local minute).
fn day_start(zone: Tz, day: NaiveDate) -> i64 {
    let mut at = day.and_time(chrono::NaiveTime::MIN);
    for _ in 0..4 {
        if let Some(t) = zone.from_local_datetime(&at).earliest() {
            return t.timestamp();
        }
        at += Duration::minutes(30);
    }
    day.and_time(chrono::NaiveTime::MIN).and_utc().timestamp()
}

fn local_day(zone: Tz, epoch: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp(epoch, 0)
        .unwrap_or_default()
        .with_timezone(&zone)
        .date_naive()
}

/// A booking to refresh, with the bookings of its space starting within
/// 30 hours of it (its studio day, whatever the zone, lies inside).
#[derive(sqlx::FromRow)]
struct TouchRow {
    space_id: String,
    starts_at: i64,
    time_zone: String,
    old_space: Option<String>,
    old_start: Option<i64>,
    #[sqlx(flatten)]
    near: Near,
}

/// One booking of a space's 30 hours around a time (all `None` when the
/// outer join found none), as [`touch`] and the booking prelude read them.
#[derive(sqlx::FromRow)]
pub(crate) struct Near {
    b_starts_at: Option<i64>,
    b_ends_at: Option<i64>,
    b_created_at: Option<i64>,
    b_state: Option<String>,
    b_cancelled_by: Option<String>,
    b_source: Option<String>,
    b_total: Option<i64>,
}

impl Near {
    fn facts(&self) -> Option<BookingFacts> {
        Some(BookingFacts {
            starts_at: self.b_starts_at?,
            ends_at: self.b_ends_at?,
            created_at: self.b_created_at?,
            state: self.b_state.clone()?,
            cancelled_by: self.b_cancelled_by.clone(),
            source: self.b_source.clone()?,
            total: self.b_total?,
        })
    }
}

/// The figures of `day` from the bookings near it that start on it.
fn fold_day<'a>(zone: Tz, day: NaiveDate, near: impl IntoIterator<Item = &'a Near>) -> DayFigures {
    let mut figures = DayFigures::default();
    for facts in near.into_iter().filter_map(Near::facts) {
        if local_day(zone, facts.starts_at) == day {
            figures.fold(&facts, zone);
        }
    }
    figures
}

/// The columns of a neighbour `b` as [`Near`] reads them.
macro_rules! near_columns {
    () => {
        "b.starts_at AS b_starts_at, b.ends_at AS b_ends_at, b.created_at AS b_created_at, \
         b.state AS b_state, b.cancelled_by AS b_cancelled_by, b.source AS b_source, \
         b.price_total AS b_total"
    };
}

/// The outer join of a booking's neighbours `b`: the live bookings of
/// space `$space` starting within 30 hours of `$at` (whatever the studio's
/// zone, the day of `$at` lies inside). PostgreSQL's `booking_prelude`
/// (migration 0018) reads the same rows.
macro_rules! near_join {
    ($space:literal, $at:literal) => {
        concat!(
            "LEFT JOIN bookings b ON b.space_id = ",
            $space,
            " AND b.deleted_at IS NULL AND b.starts_at > ",
            $at,
            " - 108000 AND b.starts_at < ",
            $at,
            " + 108000"
        )
    };
}
pub(crate) use {near_columns, near_join};

const TOUCH: &str = concat!(
    "SELECT t.space_id, t.starts_at, s.time_zone, d.space_id AS old_space, \
     d.starts_at AS old_start, ",
    near_columns!(),
    " FROM bookings t JOIN studio_settings s ON s.id = 1 \
     LEFT JOIN analytics_counted d ON d.booking_id = t.id ",
    near_join!("t.space_id", "t.starts_at"),
    " WHERE t.id = $1"
);

/// Refreshes the rollups a booking counts in: its day now, and the day it
/// was counted under before if that differs. Runs in the transaction of
/// the change: the booking, its day's neighbours and where it was counted
/// come in one query; the writes go into `writes`, which the caller sends
/// with its own (one call on SQLite).
pub(crate) async fn touch(
    tx: &mut Tx,
    booking_id: &str,
    writes: &mut Batch,
) -> Result<(), AppError> {
    let rows: Vec<TouchRow> = with_tx!(tx, c => sqlx::query_as(TOUCH)
        .bind(booking_id)
        .fetch_all(&mut **c)
        .await)?;
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let zone = zone(&first.time_zone)?;
    let (space, day) = (first.space_id.clone(), local_day(zone, first.starts_at));
    // Where it was counted before: written by the insert trigger for a new
    // booking (then where it is now), moved along below on a reschedule.
    let before = first
        .old_space
        .clone()
        .zip(first.old_start.map(|t| local_day(zone, t)));
    let start_now = first.starts_at;
    let figures = fold_day(zone, day, rows.iter().map(|r| &r.near));
    store_day(writes, &space, day, &figures);
    if before.as_ref() != Some(&(space.clone(), day)) {
        if let Some((old_space, old_day)) = before {
            refresh(tx, zone, &old_space, old_day, writes).await?;
        }
        writes.push(
            "INSERT INTO analytics_counted (booking_id, space_id, starts_at) VALUES ($1, $2, $3) \
             ON CONFLICT (booking_id) DO UPDATE SET space_id = excluded.space_id, starts_at = excluded.starts_at",
            vec![booking_id.into(), space.into(), start_now.into()],
        );
    }
    Ok(())
}

/// Counts a booking about to be inserted in its day's rollup, from the
/// bookings near it read beforehand under the calendar lock (the booking
/// prelude): the day's write goes into `writes`, with the booking's own.
/// Where it is counted is recorded by the insert trigger, as for [`touch`].
pub(crate) fn count_new(
    writes: &mut Batch,
    time_zone: &str,
    space_id: &str,
    new: &BookingFacts,
    near: &[Near],
) -> Result<(), AppError> {
    let zone = zone(time_zone)?;
    let day = local_day(zone, new.starts_at);
    let mut figures = fold_day(zone, day, near);
    figures.fold(new, zone);
    store_day(writes, space_id, day, &figures);
    Ok(())
}

/// Recomputes one space's day from its bookings (the write goes into
/// `writes`).
async fn refresh(
    tx: &mut Tx,
    zone: Tz,
    space_id: &str,
    day: NaiveDate,
    writes: &mut Batch,
) -> Result<(), AppError> {
    let (lo, hi) = (
        day_start(zone, day),
        day_start(zone, day.succ_opt().unwrap_or(day)),
    );
    let sql = format!(
        "{FACTS} WHERE space_id = $1 AND starts_at >= $2 AND starts_at < $3 AND deleted_at IS NULL"
    );
    let rows: Vec<FactRow> = with_tx!(tx, c => sqlx::query_as(&sql)
        .bind(space_id)
        .bind(lo)
        .bind(hi)
        .fetch_all(&mut **c)
        .await)?;
    let mut figures = DayFigures::default();
    for r in rows {
        figures.fold(&r.into(), zone);
    }
    store_day(writes, space_id, day, &figures);
    Ok(())
}

/// Writes a day's figures, or removes the day when it has no bookings.
fn store_day(writes: &mut Batch, space_id: &str, day: NaiveDate, figures: &DayFigures) {
    if figures.bookings == 0 {
        writes.push(
            "DELETE FROM analytics_daily WHERE space_id = $1 AND day = $2",
            vec![space_id.into(), day.to_string().into()],
        );
    } else {
        write_day(writes, space_id, day, figures);
    }
}

const COLUMNS: &str = "bookings, completed, cancelled_guest, cancelled_staff, cancelled_system, \
     no_show, revenue, booked_value, held, held_minutes, lead_minutes, from_website, from_phone, \
     from_walk_in, from_staff, hours";

/// The upsert of one day's figures (the same text every time, so each
/// connection prepares it once).
static WRITE_DAY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let updates = COLUMNS
        .split(',')
        .map(|c| format!("{0} = excluded.{0}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO analytics_daily (space_id, day, {COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
         ON CONFLICT (space_id, day) DO UPDATE SET {updates}"
    )
});

fn write_day(writes: &mut Batch, space_id: &str, day: NaiveDate, f: &DayFigures) {
    writes.push(
        &WRITE_DAY,
        vec![
            space_id.into(),
            day.to_string().into(),
            f.bookings.into(),
            f.completed.into(),
            f.cancelled_guest.into(),
            f.cancelled_staff.into(),
            f.cancelled_system.into(),
            f.no_show.into(),
            f.revenue.into(),
            f.booked_value.into(),
            f.held.into(),
            f.held_minutes.into(),
            f.lead_minutes.into(),
            f.from_website.into(),
            f.from_phone.into(),
            f.from_walk_in.into(),
            f.from_staff.into(),
            f.hours_text().into(),
        ],
    );
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rebuilt {
    pub bookings: usize,
    pub days: usize,
}

/// Recomputes every rollup from the bookings, in one transaction (booking
/// changes wait for it, then refresh their own day on top).
pub async fn rebuild(store: &Store) -> Result<Rebuilt, AppError> {
    let mut tx = store.begin().await?;
    if let super::store::TxInner::Postgres(t) = &mut tx.inner {
        sqlx::query("LOCK TABLE analytics_daily, analytics_counted IN EXCLUSIVE MODE")
            .execute(&mut **t)
            .await?;
    }
    for table in ["analytics_daily", "analytics_counted"] {
        with_tx!(tx, c => sqlx::query(&format!("DELETE FROM {table}")).execute(&mut **c).await
            .map(|_| ()))?;
    }
    let zone_name: String = with_tx!(tx, c => sqlx::query_scalar(
        "SELECT time_zone FROM studio_settings WHERE id = 1"
    )
    .fetch_one(&mut **c)
    .await)?;
    let zone = zone(&zone_name)?;
    #[derive(sqlx::FromRow)]
    struct Row {
        space_id: String,
        #[sqlx(flatten)]
        facts: FactRow,
    }
    let sql = "SELECT space_id, starts_at, ends_at, created_at, state, cancelled_by, source, \
               price_total FROM bookings WHERE deleted_at IS NULL";
    let rows: Vec<Row> = with_tx!(tx, c => sqlx::query_as(sql).fetch_all(&mut **c).await)?;
    let mut days: BTreeMap<(String, NaiveDate), DayFigures> = BTreeMap::new();
    let bookings = rows.len();
    for r in rows {
        let day = local_day(zone, r.facts.starts_at);
        days.entry((r.space_id, day))
            .or_default()
            .fold(&r.facts.into(), zone);
    }
    // A few hundred days per call (18 parameters each).
    let mut writes = Batch::new();
    for ((space, day), figures) in &days {
        write_day(&mut writes, space, *day, figures);
        if writes.len() == 200 {
            std::mem::take(&mut writes).run(&mut tx).await?;
        }
    }
    writes.run(&mut tx).await?;
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO analytics_counted (booking_id, space_id, starts_at) \
         SELECT id, space_id, starts_at FROM bookings"
    )
    .execute(&mut **c)
    .await
    .map(|_| ()))?;
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO analytics_state (id, time_zone, rebuilt_at) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO UPDATE SET time_zone = excluded.time_zone, rebuilt_at = excluded.rebuilt_at"
    )
    .bind(&zone_name)
    .bind(now_epoch())
    .execute(&mut **c)
    .await
            .map(|_| ()))?;
    tx.commit().await?;
    Ok(Rebuilt {
        bookings,
        days: days.len(),
    })
}

/// Rebuilds the rollups when they were never built (a database from
/// before analytics) or were built in another time zone than the
/// studio's now. Cheap when current: one row read.
pub async fn ensure_current(store: &Store) -> Result<(), AppError> {
    let current: Option<bool> = with_pool!(store, p => sqlx::query_scalar(
        "SELECT a.time_zone = s.time_zone FROM analytics_state a JOIN studio_settings s ON s.id = 1 WHERE a.id = 1"
    )
    .fetch_optional(p)
    .await)?;
    if current != Some(true) {
        let done = rebuild(store).await?;
        tracing::info!(
            bookings = done.bookings,
            days = done.days,
            "analytics rollups rebuilt"
        );
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct DailyRow {
    space_id: String,
    day: String,
    bookings: i64,
    completed: i64,
    cancelled_guest: i64,
    cancelled_staff: i64,
    cancelled_system: i64,
    no_show: i64,
    revenue: i64,
    booked_value: i64,
    held: i64,
    held_minutes: i64,
    lead_minutes: i64,
    from_website: i64,
    from_phone: i64,
    from_walk_in: i64,
    from_staff: i64,
    hours: String,
}

impl DailyRow {
    fn figures(&self) -> DayFigures {
        DayFigures {
            bookings: self.bookings,
            completed: self.completed,
            cancelled_guest: self.cancelled_guest,
            cancelled_staff: self.cancelled_staff,
            cancelled_system: self.cancelled_system,
            no_show: self.no_show,
            revenue: self.revenue,
            booked_value: self.booked_value,
            held: self.held,
            held_minutes: self.held_minutes,
            lead_minutes: self.lead_minutes,
            from_website: self.from_website,
            from_phone: self.from_phone,
            from_walk_in: self.from_walk_in,
            from_staff: self.from_staff,
            hours: DayFigures::parse_hours(&self.hours),
        }
    }
}

/// A space as analytics knows it.
#[derive(Debug, Clone)]
struct SpaceRow {
    id: String,
    slug: String,
    name: String,
    active: bool,
}

async fn spaces(store: &Store) -> Result<Vec<SpaceRow>, AppError> {
    let rows: Vec<(String, String, String, bool)> = with_pool!(store, p => sqlx::query_as(
        "SELECT id, slug, name, active FROM spaces ORDER BY sort_order, name"
    )
    .fetch_all(p)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, name, active)| SpaceRow {
            id,
            slug,
            name,
            active,
        })
        .collect())
}

/// The period, the chosen space (if any) and the spaces reported on.
struct Scope {
    from: NaiveDate,
    to: NaiveDate,
    space: Option<SpaceRow>,
    spaces: Vec<SpaceRow>,
    config: std::sync::Arc<StudioConfig>,
}

async fn scope(state: &AppState, query: &AnalyticsQuery) -> Result<Scope, AppError> {
    let config = studio_config(&state.store, &state.rules_cache).await?;
    let today = config.rules.local_date(Utc::now());
    let period = parse_period(query, today);
    let all = spaces(&state.store).await?;
    let wanted = query
        .space
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let space = match wanted {
        None => None,
        Some(slug) => match all.iter().find(|s| s.slug == slug) {
            Some(s) => Some(s.clone()),
            None => {
                let mut fields = period.err().unwrap_or_default();
                fields.insert(
                    "space".into(),
                    FieldError::new("unknown_space", "There is no such space."),
                );
                return Err(AppError::Validation { fields });
            }
        },
    };
    let (from, to) = period.map_err(|fields| AppError::Validation { fields })?;
    ensure_current(&state.store).await?;
    Ok(Scope {
        from,
        to,
        spaces: match &space {
            Some(s) => vec![s.clone()],
            None => all,
        },
        space,
        config,
    })
}

/// Per day and per space, from the rollups.
struct Figures {
    total: DayFigures,
    by_day: BTreeMap<NaiveDate, DayFigures>,
    held_by_space: HashMap<String, i64>,
}

async fn figures(
    store: &Store,
    from: NaiveDate,
    to: NaiveDate,
    space: Option<&SpaceRow>,
) -> Result<Figures, AppError> {
    let mut sql = format!(
        "SELECT space_id, day, {COLUMNS} FROM analytics_daily WHERE day >= $1 AND day <= $2"
    );
    if space.is_some() {
        sql.push_str(" AND space_id = $3");
    }
    let rows: Vec<DailyRow> = with_pool!(store, p => {
        let mut q = sqlx::query_as(&sql).bind(from.to_string()).bind(to.to_string());
        if let Some(s) = space {
            q = q.bind(&s.id);
        }
        q.fetch_all(p).await
    })?;
    let mut out = Figures {
        total: DayFigures::default(),
        by_day: BTreeMap::new(),
        held_by_space: HashMap::new(),
    };
    for r in rows {
        let f = r.figures();
        out.total.add(&f);
        if let Ok(day) = r.day.parse::<NaiveDate>() {
            out.by_day.entry(day).or_default().add(&f);
        }
        *out.held_by_space.entry(r.space_id).or_default() += f.held_minutes;
    }
    Ok(out)
}

/// Open minutes per space over the period: opening hours of each day,
/// closed dates and blocked periods (of the space or the whole studio)
/// taken out.
async fn open_minutes(
    store: &Store,
    config: &StudioConfig,
    from: NaiveDate,
    to: NaiveDate,
    spaces: &[SpaceRow],
) -> Result<HashMap<String, i64>, AppError> {
    let zone = config.rules.time_zone;
    let (lo, hi) = (
        day_start(zone, from),
        day_start(zone, to.succ_opt().unwrap_or(to)),
    );
    let blocks: Vec<(Option<String>, i64, i64)> = with_pool!(store, p => sqlx::query_as(
        "SELECT space_id, starts_at, ends_at FROM blocked_periods \
         WHERE starts_at < $2 AND ends_at > $1 ORDER BY starts_at"
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(p)
    .await)?;
    let mut spans = Vec::new();
    let mut day = from;
    while day <= to {
        if let Some((start, end)) = open_span(&config.rules, day) {
            spans.push((start.timestamp(), end.timestamp()));
        }
        let Some(next) = day.succ_opt() else { break };
        day = next;
    }
    let mut out = HashMap::new();
    for space in spaces {
        // The space's blocked time as disjoint intervals, in order.
        let mut merged: Vec<(i64, i64)> = Vec::new();
        for (_, s, e) in blocks
            .iter()
            .filter(|(id, _, _)| id.as_ref().is_none_or(|id| *id == space.id))
        {
            match merged.last_mut() {
                Some(last) if *s <= last.1 => last.1 = last.1.max(*e),
                _ => merged.push((*s, *e)),
            }
        }
        let mut total = 0;
        let mut k = 0;
        for &(start, end) in &spans {
            let mut open = end - start;
            while k < merged.len() && merged[k].1 <= start {
                k += 1;
            }
            let mut j = k;
            while j < merged.len() && merged[j].0 < end {
                open -= merged[j].1.min(end) - merged[j].0.max(start);
                j += 1;
            }
            total += open.max(0) / 60;
        }
        out.insert(space.id.clone(), total);
    }
    Ok(out)
}

fn hours(minutes: i64) -> f64 {
    crate::domain::analytics::round(minutes as f64 / 60.0, 1)
}

async fn summary_of(
    state: &AppState,
    scope: &Scope,
    (from, to): (NaiveDate, NaiveDate),
    with_money: bool,
) -> Result<(Summary, Figures), AppError> {
    let figures = figures(&state.store, from, to, scope.space.as_ref()).await?;
    let open = open_minutes(&state.store, &scope.config, from, to, &scope.spaces).await?;
    let occupancy = scope
        .spaces
        .iter()
        .filter(|s| s.active || figures.held_by_space.contains_key(&s.id))
        .map(|s| {
            let booked = figures.held_by_space.get(&s.id).copied().unwrap_or(0);
            let open = open.get(&s.id).copied().unwrap_or(0);
            Occupancy {
                space: s.slug.clone(),
                name: s.name.clone(),
                booked_hours: hours(booked),
                open_hours: hours(open),
                ratio: if open == 0 {
                    0.0
                } else {
                    crate::domain::analytics::round(booked as f64 / open as f64, 4)
                },
            }
        })
        .collect();
    let mut daily = Vec::new();
    let mut day = from;
    while day <= to {
        let f = figures.by_day.get(&day).cloned().unwrap_or_default();
        daily.push(DailyFigures {
            date: day.to_string(),
            bookings: f.bookings,
            completed: f.completed,
            cancelled: f.cancelled(),
            no_show: f.no_show,
            revenue: with_money.then_some(f.revenue),
        });
        let Some(next) = day.succ_opt() else { break };
        day = next;
    }
    let summary = Summary::new(
        (from, to),
        scope.space.as_ref().map(|s| s.slug.clone()),
        &figures.total,
        daily,
        occupancy,
        with_money,
    );
    Ok((summary, figures))
}

/// Whether `me` may see money figures: owners and admins.
fn sees_money(me: &Principal) -> bool {
    me.role != Role::Manager
}

/// `GET /api/v1/analytics/summary`: a period's figures from the rollups.
pub async fn summary(
    state: &AppState,
    me: &Principal,
    query: &AnalyticsQuery,
) -> Result<Summary, AppError> {
    let scope = scope(state, query).await?;
    Ok(
        summary_of(state, &scope, (scope.from, scope.to), sees_money(me))
            .await?
            .0,
    )
}

/// Everything the analytics page shows (and the exports hold): the period,
/// the previous one and the same one a year before, demand by weekday and
/// hour, promo codes, equipment and (owners and admins) the top clients.
pub async fn page(
    state: &AppState,
    me: &Principal,
    query: &AnalyticsQuery,
    kind: PeriodKind,
) -> Result<AnalyticsPage, AppError> {
    use crate::domain::analytics::{previous, year_before};
    let scope = scope(state, query).await?;
    let money = sees_money(me);
    let (summary, figures) = summary_of(state, &scope, (scope.from, scope.to), money).await?;
    let (prev, _) = summary_of(state, &scope, previous(kind, scope.from, scope.to), money).await?;
    let (last_year, _) =
        summary_of(state, &scope, year_before(scope.from, scope.to), money).await?;
    let mut heat = vec![[0i64; 24]; 7];
    for (day, f) in &figures.by_day {
        let row = &mut heat[day.weekday().num_days_from_monday() as usize];
        for (slot, minutes) in row.iter_mut().zip(f.hours) {
            *slot += minutes;
        }
    }
    let zone = scope.config.rules.time_zone;
    let (lo, hi) = (
        day_start(zone, scope.from),
        day_start(zone, scope.to.succ_opt().unwrap_or(scope.to)),
    );
    let space_filter = if scope.space.is_some() {
        " AND b.space_id = $3"
    } else {
        ""
    };
    let held = "b.starts_at >= $1 AND b.starts_at < $2 AND b.deleted_at IS NULL AND b.state <> 'cancelled'";
    let promo_sql = format!(
        "SELECT b.promo_code, COUNT(*), CAST(COALESCE(SUM(b.price_discount), 0) AS BIGINT) FROM bookings b \
         WHERE {held} AND b.promo_code IS NOT NULL{space_filter} \
         GROUP BY b.promo_code ORDER BY 2 DESC, 1 LIMIT 20"
    );
    let equipment_sql = format!(
        "SELECT e.name, COUNT(*), CAST(COALESCE(SUM(be.quantity), 0) AS BIGINT) FROM bookings b \
         JOIN booking_equipment be ON be.booking_id = b.id JOIN equipment e ON e.id = be.equipment_id \
         WHERE {held}{space_filter} GROUP BY e.name ORDER BY 2 DESC, 1 LIMIT 20"
    );
    let space_id = scope.space.as_ref().map(|s| s.id.clone());
    let uses = |sql: String| {
        let space_id = space_id.clone();
        async move {
            let rows: Vec<(String, i64, i64)> = with_pool!(&state.store, p => {
                let mut q = sqlx::query_as(&sql).bind(lo).bind(hi);
                if let Some(id) = &space_id {
                    q = q.bind(id);
                }
                q.fetch_all(p).await
            })?;
            Ok::<_, AppError>(
                rows.into_iter()
                    .map(|(name, bookings, amount)| UseCount {
                        name,
                        bookings,
                        amount,
                    })
                    .collect::<Vec<_>>(),
            )
        }
    };
    let mut promo_codes = uses(promo_sql).await?;
    if !money {
        for p in &mut promo_codes {
            p.amount = 0;
        }
    }
    let equipment = uses(equipment_sql).await?;
    let top_clients = if money {
        let sql = format!(
            "SELECT MAX(b.client_phone), MAX(b.client_name), COUNT(*), CAST(SUM(b.price_total) AS BIGINT) FROM bookings b \
             WHERE b.starts_at >= $1 AND b.starts_at < $2 AND b.deleted_at IS NULL \
             AND b.state = 'completed' AND b.client_phone_bidx IS NOT NULL{space_filter} \
             GROUP BY b.client_phone_bidx ORDER BY 4 DESC, b.client_phone_bidx LIMIT 10"
        );
        let rows: Vec<(String, String, i64, i64)> = with_pool!(&state.store, p => {
            let mut q = sqlx::query_as(&sql).bind(lo).bind(hi);
            if let Some(id) = &space_id {
                q = q.bind(id);
            }
            q.fetch_all(p).await
        })?;
        // Any one booking's sealed name and phone stand for the client.
        let vault = state.store.vault()?;
        rows.into_iter()
            .map(|(phone, name, completed, value)| {
                Ok(TopClient {
                    name: vault.open(&name)?,
                    phone: vault.open(&phone)?,
                    completed,
                    value,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?
    } else {
        Vec::new()
    };
    Ok(AnalyticsPage {
        kind,
        summary,
        previous: prev,
        year_before: last_year,
        heat,
        promo_codes,
        equipment,
        top_clients,
        spaces: spaces(&state.store)
            .await?
            .into_iter()
            .filter(|s| s.active)
            .map(|s| (s.slug, s.name))
            .collect(),
        with_money: money,
    })
}

/// A period's tables for download, and the file name they go under.
pub struct Export {
    pub name: String,
    pub tables: Vec<Table>,
}

/// The tables of a period for an export (`format` and `table` only go to
/// the audit log): exports are audited, since the top clients table names
/// people.
pub async fn export(
    state: &AppState,
    me: &Principal,
    origin: &super::credentials::Origin,
    query: &AnalyticsQuery,
    format: &str,
    table: Option<&str>,
) -> Result<Export, AppError> {
    let page = page(state, me, query, PeriodKind::Custom).await?;
    let s = &page.summary;
    let name = format!(
        "analytics-{}-{}{}",
        s.from,
        s.to,
        s.space
            .as_deref()
            .map(|x| format!("-{x}"))
            .unwrap_or_default()
    );
    let entry = super::audit::Entry {
        action: "analytics_exported",
        target_type: "analytics",
        target_id: "",
        details: serde_json::json!({
            "from": s.from, "to": s.to, "space": s.space, "format": format, "table": table,
        }),
    };
    super::audit::record(
        &state.store,
        &super::credentials::actor_of(me, origin),
        entry,
    )
    .await?;
    Ok(Export {
        name,
        tables: tables(&page),
    })
}

/// One cell of an exported table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Num(f64),
    /// Kopecks, written as roubles.
    Money(i64),
}

/// One table of the exports: a CSV file, or a sheet of the workbook.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// The names `?table=` takes, in the workbook's sheet order.
pub const TABLES: [&str; 9] = [
    "summary",
    "daily",
    "occupancy",
    "sources",
    "cancellations",
    "promo_codes",
    "equipment",
    "top_clients",
    "heat_map",
];

/// Every table of the page; money columns only for those who see money.
pub fn tables(page: &AnalyticsPage) -> Vec<Table> {
    let s = &page.summary;
    let money = page.with_money;
    let text = |v: &str| Cell::Text(v.to_owned());
    let mut summary = vec![
        vec![text("from"), text(&s.from)],
        vec![text("to"), text(&s.to)],
        vec![text("space"), text(s.space.as_deref().unwrap_or("all"))],
        vec![text("bookings"), Cell::Int(s.bookings)],
        vec![text("completed"), Cell::Int(s.completed)],
        vec![text("cancelled"), Cell::Int(s.cancelled)],
        vec![text("no_show"), Cell::Int(s.no_show)],
        vec![text("cancellation_rate"), Cell::Num(s.cancellation_rate)],
        vec![text("no_show_rate"), Cell::Num(s.no_show_rate)],
        vec![
            text("average_duration_minutes"),
            Cell::Num(s.average_duration_minutes),
        ],
        vec![text("average_lead_hours"), Cell::Num(s.average_lead_hours)],
    ];
    if let (Some(revenue), Some(booked)) = (s.revenue, s.booked_value) {
        summary.push(vec![text("revenue_rub"), Cell::Money(revenue)]);
        summary.push(vec![text("booked_value_rub"), Cell::Money(booked)]);
    }
    let mut daily_headers = vec!["date", "bookings", "completed", "cancelled", "no_show"];
    if money {
        daily_headers.push("revenue_rub");
    }
    let daily = s
        .daily
        .iter()
        .map(|d| {
            let mut row = vec![
                text(&d.date),
                Cell::Int(d.bookings),
                Cell::Int(d.completed),
                Cell::Int(d.cancelled),
                Cell::Int(d.no_show),
            ];
            if let Some(r) = d.revenue {
                row.push(Cell::Money(r));
            }
            row
        })
        .collect();
    let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let mut tables = vec![
        Table {
            name: "summary",
            headers: vec!["figure", "value"],
            rows: summary,
        },
        Table {
            name: "daily",
            headers: daily_headers,
            rows: daily,
        },
        Table {
            name: "occupancy",
            headers: vec!["space", "booked_hours", "open_hours", "ratio"],
            rows: s
                .occupancy
                .iter()
                .map(|o| {
                    vec![
                        text(&o.space),
                        Cell::Num(o.booked_hours),
                        Cell::Num(o.open_hours),
                        Cell::Num(o.ratio),
                    ]
                })
                .collect(),
        },
        Table {
            name: "sources",
            headers: vec!["source", "bookings"],
            rows: vec![
                vec![text("website"), Cell::Int(s.by_source.website)],
                vec![text("phone"), Cell::Int(s.by_source.phone)],
                vec![text("walk_in"), Cell::Int(s.by_source.walk_in)],
                vec![text("staff"), Cell::Int(s.by_source.staff)],
            ],
        },
        Table {
            name: "cancellations",
            headers: vec!["by", "bookings"],
            rows: vec![
                vec![text("guest"), Cell::Int(s.cancelled_by.guest)],
                vec![text("staff"), Cell::Int(s.cancelled_by.staff)],
                vec![text("system"), Cell::Int(s.cancelled_by.system)],
            ],
        },
        Table {
            name: "promo_codes",
            headers: if money {
                vec!["code", "bookings", "discount_rub"]
            } else {
                vec!["code", "bookings"]
            },
            rows: page
                .promo_codes
                .iter()
                .map(|p| {
                    let mut row = vec![text(&p.name), Cell::Int(p.bookings)];
                    if money {
                        row.push(Cell::Money(p.amount));
                    }
                    row
                })
                .collect(),
        },
        Table {
            name: "equipment",
            headers: vec!["item", "bookings", "units"],
            rows: page
                .equipment
                .iter()
                .map(|e| vec![text(&e.name), Cell::Int(e.bookings), Cell::Int(e.amount)])
                .collect(),
        },
    ];
    if money {
        tables.push(Table {
            name: "top_clients",
            headers: vec!["name", "phone", "completed", "value_rub"],
            rows: page
                .top_clients
                .iter()
                .map(|c| {
                    vec![
                        text(&c.name),
                        text(&c.phone),
                        Cell::Int(c.completed),
                        Cell::Money(c.value),
                    ]
                })
                .collect(),
        });
    }
    let mut heat_headers = vec!["weekday"];
    heat_headers.extend(HOURS);
    tables.push(Table {
        name: "heat_map",
        headers: heat_headers,
        rows: page
            .heat
            .iter()
            .zip(weekdays)
            .map(|(hours, day)| {
                let mut row = vec![text(day)];
                row.extend(hours.iter().map(|m| Cell::Int(*m)));
                row
            })
            .collect(),
    });
    tables
}

const HOURS: [&str; 24] = [
    "00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15",
    "16", "17", "18", "19", "20", "21", "22", "23",
];

fn roubles(kopecks: i64) -> String {
    let sign = if kopecks < 0 { "-" } else { "" };
    let k = kopecks.unsigned_abs();
    format!("{sign}{}.{:02}", k / 100, k % 100)
}

/// One table as CSV (RFC 4180; cells a spreadsheet would run as a
/// formula are defused as in the audit export).
pub fn csv(table: &Table) -> String {
    let mut out = table.headers.join(",");
    out.push_str("\r\n");
    for row in &table.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Text(t) => super::audit::csv_cell(t),
                Cell::Int(n) => n.to_string(),
                Cell::Num(x) => x.to_string(),
                Cell::Money(m) => roubles(*m),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Every table as one workbook, a sheet each.
pub fn xlsx(tables: &[Table]) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| {
        tracing::error!(error = %e, "cannot write the analytics workbook");
        AppError::Internal
    };
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let rub = Format::new().set_num_format("# ##0.00 \"₽\"");
    for table in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(table.name).map_err(fail)?;
        for (col, h) in (0u16..).zip(&table.headers) {
            sheet
                .write_string_with_format(0, col, *h, &bold)
                .map_err(fail)?;
        }
        for (r, row) in (1u32..).zip(&table.rows) {
            for (col, cell) in (0u16..).zip(row) {
                match cell {
                    Cell::Text(t) => sheet.write_string(r, col, t).map(|_| ()),
                    Cell::Int(n) => sheet.write_number(r, col, *n as f64).map(|_| ()),
                    Cell::Num(x) => sheet.write_number(r, col, *x).map(|_| ()),
                    Cell::Money(m) => sheet
                        .write_number_with_format(r, col, *m as f64 / 100.0, &rub)
                        .map(|_| ()),
                }
                .map_err(fail)?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(fail)?;
    }
    book.save_to_buffer().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_guards_formulas() {
        let t = Table {
            name: "x",
            headers: vec!["a", "b", "c"],
            rows: vec![vec![
                Cell::Text("=HYPERLINK(\"x\")".into()),
                Cell::Money(-250_050),
                Cell::Text("Иванова, Анна".into()),
            ]],
        };
        assert_eq!(
            csv(&t),
            "a,b,c\r\n\"'=HYPERLINK(\"\"x\"\")\",-2500.50,\"Иванова, Анна\"\r\n"
        );
    }
}
