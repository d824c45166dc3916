//! Analytics: the owner's figures of a period — bookings, cancellations,
//! no-shows, revenue, occupancy, sources, demand by weekday and hour.
//!
//! Definitions (shown on the analytics page too):
//! - a booking belongs to the studio-local day it starts on; deleted ones
//!   never count;
//! - *held* bookings are those that hold or held a slot: every state but
//!   cancelled (a no-show held its slot);
//! - revenue is the sum of `total_price` of completed bookings, booked
//!   value the sum over held ones, both in kopecks;
//! - the cancellation rate is cancelled / bookings, the no-show rate
//!   no-shows / held bookings;
//! - average duration is over held bookings, average lead time (start minus
//!   creation) over all;
//! - occupancy is held hours / open hours: the opening hours of each day of
//!   the period, without closed dates and blocked periods.
//!
//! Pure: the rollups are folded here from booking facts, so the server's
//! per-day refresh and its full rebuild cannot disagree.

use super::calendar::parse_date;
use crate::error::FieldError;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The longest period one summary may cover.
pub const MAX_DAYS: i64 = 3 * 366;

/// `?from=YYYY-MM-DD&to=YYYY-MM-DD&space=SLUG` (studio-local days, both
/// inclusive; default: the current month up to today).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct AnalyticsQuery {
    /// First studio day, `YYYY-MM-DD`.
    #[cfg_attr(feature = "ssr", param(format = Date))]
    pub from: Option<String>,
    /// Last studio day, `YYYY-MM-DD`, at most three years after `from`.
    #[cfg_attr(feature = "ssr", param(format = Date))]
    pub to: Option<String>,
    /// A space's slug; none: all spaces.
    pub space: Option<String>,
}

/// The period a query names, or its field errors.
pub fn parse_period(
    query: &AnalyticsQuery,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), BTreeMap<String, FieldError>> {
    let mut errors = BTreeMap::new();
    let mut date = |field: &str, raw: &Option<String>, default: NaiveDate| match raw
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        None => Some(default),
        Some(raw) => parse_date(raw).or_else(|| {
            errors.insert(
                field.to_owned(),
                FieldError::new("invalid_date", "Use a date as YYYY-MM-DD."),
            );
            None
        }),
    };
    let from = date("from", &query.from, today.with_day(1).unwrap_or(today));
    let to = date("to", &query.to, today);
    let (Some(from), Some(to)) = (from, to) else {
        return Err(errors);
    };
    if from > to {
        errors.insert(
            "to".into(),
            FieldError::new("before_from", "The period ends before it starts."),
        );
    } else if (to - from).num_days() + 1 > MAX_DAYS {
        errors.insert(
            "to".into(),
            FieldError::new("range_too_long", "A period may cover at most three years."),
        );
    }
    if errors.is_empty() {
        Ok((from, to))
    } else {
        Err(errors)
    }
}

/// How a period is picked on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Day,
    Week,
    Month,
    Quarter,
    Year,
    Custom,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 6] = [
        PeriodKind::Day,
        PeriodKind::Week,
        PeriodKind::Month,
        PeriodKind::Quarter,
        PeriodKind::Year,
        PeriodKind::Custom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Day => "day",
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Year => "year",
            PeriodKind::Custom => "custom",
        }
    }

    pub fn parse(raw: &str) -> Option<PeriodKind> {
        PeriodKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// The query for a period picked on the page: `from`/`to` as typed for
    /// custom dates, otherwise the period of this kind around `at` (a date,
    /// default today).
    pub fn query(
        self,
        at: Option<&str>,
        from: Option<String>,
        to: Option<String>,
        space: Option<String>,
        today: NaiveDate,
    ) -> AnalyticsQuery {
        if self == PeriodKind::Custom {
            return AnalyticsQuery { from, to, space };
        }
        let anchor = at.and_then(parse_date).unwrap_or(today);
        let (from, to) = self.around(anchor);
        AnalyticsQuery {
            from: Some(from.to_string()),
            to: Some(to.to_string()),
            space,
        }
    }

    /// The period of this kind that contains `anchor` (custom: the day).
    pub fn around(self, anchor: NaiveDate) -> (NaiveDate, NaiveDate) {
        let month_start = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(anchor);
        let month_end = |y: i32, m: u32| {
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            month_start(ny, nm).pred_opt().unwrap_or(anchor)
        };
        match self {
            PeriodKind::Day | PeriodKind::Custom => (anchor, anchor),
            PeriodKind::Week => {
                let start =
                    anchor - Duration::days(i64::from(anchor.weekday().num_days_from_monday()));
                (start, start + Duration::days(6))
            }
            PeriodKind::Month => (
                month_start(anchor.year(), anchor.month()),
                month_end(anchor.year(), anchor.month()),
            ),
            PeriodKind::Quarter => {
                let first = (anchor.month() - 1) / 3 * 3 + 1;
                (
                    month_start(anchor.year(), first),
                    month_end(anchor.year(), first + 2),
                )
            }
            PeriodKind::Year => (month_start(anchor.year(), 1), month_end(anchor.year(), 12)),
        }
    }
}

/// The period just before `[from, to]` of the same kind: the previous
/// calendar month, quarter or year for those; the same number of days
/// before for the others.
pub fn previous(kind: PeriodKind, from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    match kind {
        PeriodKind::Month | PeriodKind::Quarter | PeriodKind::Year => {
            kind.around(from.pred_opt().unwrap_or(from))
        }
        _ => {
            let days = (to - from).num_days() + 1;
            (from - Duration::days(days), to - Duration::days(days))
        }
    }
}

/// The period just after `[from, to]` of the same kind.
pub fn next(kind: PeriodKind, from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    match kind {
        PeriodKind::Month | PeriodKind::Quarter | PeriodKind::Year => {
            kind.around(to.succ_opt().unwrap_or(to))
        }
        _ => {
            let days = (to - from).num_days() + 1;
            (from + Duration::days(days), to + Duration::days(days))
        }
    }
}

/// The same dates a year earlier (29 February becomes the 28th).
pub fn year_before(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    let back = |d: NaiveDate| {
        d.with_year(d.year() - 1)
            .or_else(|| d.pred_opt().and_then(|p| p.with_year(d.year() - 1)))
            .unwrap_or(d)
    };
    (back(from), back(to))
}

/// What the rollups need of one booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingFacts {
    pub starts_at: i64,
    pub ends_at: i64,
    pub created_at: i64,
    pub state: String,
    pub cancelled_by: Option<String>,
    pub source: String,
    pub total: i64,
}

/// The figures of one space on one studio day (or a sum of such).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayFigures {
    pub bookings: i64,
    pub completed: i64,
    pub cancelled_guest: i64,
    pub cancelled_staff: i64,
    pub cancelled_system: i64,
    pub no_show: i64,
    pub revenue: i64,
    pub booked_value: i64,
    pub held: i64,
    pub held_minutes: i64,
    pub lead_minutes: i64,
    pub from_website: i64,
    pub from_phone: i64,
    pub from_walk_in: i64,
    pub from_staff: i64,
    /// Held minutes per local hour of the day.
    pub hours: [i64; 24],
}

impl DayFigures {
    pub fn cancelled(&self) -> i64 {
        self.cancelled_guest + self.cancelled_staff + self.cancelled_system
    }

    /// Counts one booking (starting on this day in `zone`).
    pub fn fold(&mut self, b: &BookingFacts, zone: Tz) {
        self.bookings += 1;
        self.lead_minutes += (b.starts_at - b.created_at).max(0) / 60;
        match b.source.as_str() {
            "website" => self.from_website += 1,
            "phone" => self.from_phone += 1,
            "walk_in" => self.from_walk_in += 1,
            _ => self.from_staff += 1,
        }
        if b.state == "cancelled" {
            match b.cancelled_by.as_deref() {
                Some("guest") => self.cancelled_guest += 1,
                Some("system") => self.cancelled_system += 1,
                _ => self.cancelled_staff += 1,
            }
            return;
        }
        match b.state.as_str() {
            "completed" => {
                self.completed += 1;
                self.revenue += b.total;
            }
            "no_show" => self.no_show += 1,
            _ => {}
        }
        self.held += 1;
        self.booked_value += b.total;
        self.held_minutes += (b.ends_at - b.starts_at).max(0) / 60;
        // Held minutes per local hour, up to the end of the starting day.
        let (Some(start), Some(end)) = (
            DateTime::<Utc>::from_timestamp(b.starts_at, 0),
            DateTime::<Utc>::from_timestamp(b.ends_at, 0),
        ) else {
            return;
        };
        let mut at = start;
        while at < end {
            let local = at.with_timezone(&zone);
            let into_hour = i64::from(local.minute()) * 60 + i64::from(local.second());
            let step_end = (at + Duration::seconds(3600 - into_hour)).min(end);
            if let Some(slot) = self.hours.get_mut(local.hour() as usize) {
                *slot += (step_end - at).num_minutes();
            }
            if local.hour() == 23 && step_end < end {
                break;
            }
            at = step_end;
        }
    }

    pub fn add(&mut self, o: &DayFigures) {
        self.bookings += o.bookings;
        self.completed += o.completed;
        self.cancelled_guest += o.cancelled_guest;
        self.cancelled_staff += o.cancelled_staff;
        self.cancelled_system += o.cancelled_system;
        self.no_show += o.no_show;
        self.revenue += o.revenue;
        self.booked_value += o.booked_value;
        self.held += o.held;
        self.held_minutes += o.held_minutes;
        self.lead_minutes += o.lead_minutes;
        self.from_website += o.from_website;
        self.from_phone += o.from_phone;
        self.from_walk_in += o.from_walk_in;
        self.from_staff += o.from_staff;
        for (a, b) in self.hours.iter_mut().zip(o.hours) {
            *a += b;
        }
    }

    /// The hours column as stored: 24 comma-separated numbers.
    pub fn hours_text(&self) -> String {
        self.hours
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn parse_hours(raw: &str) -> [i64; 24] {
        let mut hours = [0; 24];
        for (slot, n) in hours.iter_mut().zip(raw.split(',')) {
            *slot = n.trim().parse().unwrap_or(0);
        }
        hours
    }
}

/// Cancellations by who cancelled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CancelledBy {
    pub guest: i64,
    pub staff: i64,
    pub system: i64,
}

/// Bookings by where they came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BySource {
    pub website: i64,
    pub phone: i64,
    pub walk_in: i64,
    pub staff: i64,
}

/// One space's occupancy over the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Occupancy {
    /// The space's slug.
    pub space: String,
    pub name: String,
    pub booked_hours: f64,
    pub open_hours: f64,
    /// booked / open, 0 when the space was never open.
    pub ratio: f64,
}

/// One studio day of the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DailyFigures {
    /// `YYYY-MM-DD`, studio-local.
    pub date: String,
    pub bookings: i64,
    pub completed: i64,
    pub cancelled: i64,
    pub no_show: i64,
    /// Kopecks; absent for managers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue: Option<i64>,
}

/// A period's figures (`GET /api/v1/analytics/summary`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Summary {
    pub from: String,
    pub to: String,
    /// The space's slug; none: all spaces.
    pub space: Option<String>,
    pub bookings: i64,
    pub completed: i64,
    pub cancelled: i64,
    pub cancelled_by: CancelledBy,
    pub no_show: i64,
    /// cancelled / bookings.
    pub cancellation_rate: f64,
    /// no-shows / held bookings.
    pub no_show_rate: f64,
    /// Kopecks, completed bookings; absent for managers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue: Option<i64>,
    /// Kopecks, held bookings; absent for managers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booked_value: Option<i64>,
    pub currency: String,
    pub average_duration_minutes: f64,
    pub average_lead_hours: f64,
    pub occupancy: Vec<Occupancy>,
    pub by_source: BySource,
    pub daily: Vec<DailyFigures>,
}

fn ratio(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        round(part as f64 / whole as f64, 4)
    }
}

/// Rounds to `places` decimals (for figures meant to be read).
pub fn round(x: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (x * k).round() / k
}

impl Summary {
    /// The summary of `total` over the period; `daily` in date order.
    pub fn new(
        (from, to): (NaiveDate, NaiveDate),
        space: Option<String>,
        total: &DayFigures,
        daily: Vec<DailyFigures>,
        occupancy: Vec<Occupancy>,
        with_money: bool,
    ) -> Summary {
        let cancelled = total.cancelled();
        Summary {
            from: from.to_string(),
            to: to.to_string(),
            space,
            bookings: total.bookings,
            completed: total.completed,
            cancelled,
            cancelled_by: CancelledBy {
                guest: total.cancelled_guest,
                staff: total.cancelled_staff,
                system: total.cancelled_system,
            },
            no_show: total.no_show,
            cancellation_rate: ratio(cancelled, total.bookings),
            no_show_rate: ratio(total.no_show, total.held),
            revenue: with_money.then_some(total.revenue),
            booked_value: with_money.then_some(total.booked_value),
            currency: "RUB".into(),
            average_duration_minutes: if total.held == 0 {
                0.0
            } else {
                round(total.held_minutes as f64 / total.held as f64, 1)
            },
            average_lead_hours: if total.bookings == 0 {
                0.0
            } else {
                round(total.lead_minutes as f64 / total.bookings as f64 / 60.0, 1)
            },
            occupancy,
            by_source: BySource {
                website: total.from_website,
                phone: total.from_phone,
                walk_in: total.from_walk_in,
                staff: total.from_staff,
            },
            daily,
        }
    }
}

/// Use of one promo code or one equipment item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UseCount {
    pub name: String,
    /// Bookings that used it.
    pub bookings: i64,
    /// Promo codes: the discount given; equipment: units booked.
    pub amount: i64,
}

/// A client by completed value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopClient {
    pub name: String,
    /// E.164.
    pub phone: String,
    pub completed: i64,
    pub value: i64,
}

/// Everything the analytics page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyticsPage {
    pub kind: PeriodKind,
    pub summary: Summary,
    pub previous: Summary,
    pub year_before: Summary,
    /// Held minutes by weekday (Monday first) and local hour.
    pub heat: Vec<[i64; 24]>,
    pub promo_codes: Vec<UseCount>,
    pub equipment: Vec<UseCount>,
    pub top_clients: Vec<TopClient>,
    /// (slug, name) of every space, for the picker.
    pub spaces: Vec<(String, String)>,
    pub with_money: bool,
}

/// The instants a day's opening hours start and end on the studio's clock
/// (a DST day is an hour longer or shorter), or none when closed.
pub fn open_span(
    rules: &super::schedule::StudioRules,
    date: NaiveDate,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let hours = rules.hours_on(date)?;
    let start = rules.instant(date, hours.opens)?;
    let end = rules.instant(date, hours.closes)?;
    (start < end).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn q(from: &str, to: &str) -> AnalyticsQuery {
        AnalyticsQuery {
            from: Some(from.into()),
            to: Some(to.into()),
            space: None,
        }
    }

    #[test]
    fn periods_are_checked_field_by_field() {
        let today = d("2026-11-27");
        assert_eq!(
            parse_period(&AnalyticsQuery::default(), today),
            Ok((d("2026-11-01"), d("2026-11-27")))
        );
        assert_eq!(
            parse_period(&q("2026-01-01", "2026-12-31"), today),
            Ok((d("2026-01-01"), d("2026-12-31")))
        );
        let e = parse_period(&q("2026-02-01", "2026-01-01"), today).unwrap_err();
        assert_eq!(e["to"].code, "before_from");
        let e = parse_period(&q("2020-01-01", "2023-02-01"), today).unwrap_err();
        assert_eq!(e["to"].code, "range_too_long");
        assert!(parse_period(&q("2020-01-01", "2022-12-31"), today).is_ok());
        let e = parse_period(&q("yesterday", "2026-13-01"), today).unwrap_err();
        assert_eq!(e["from"].code, "invalid_date");
        assert_eq!(e["to"].code, "invalid_date");
    }

    #[test]
    fn period_kinds_step_by_calendar_units() {
        let a = d("2026-11-27"); // a Friday
        assert_eq!(
            PeriodKind::Week.around(a),
            (d("2026-11-23"), d("2026-11-29"))
        );
        assert_eq!(
            PeriodKind::Month.around(a),
            (d("2026-11-01"), d("2026-11-30"))
        );
        assert_eq!(
            PeriodKind::Quarter.around(a),
            (d("2026-10-01"), d("2026-12-31"))
        );
        assert_eq!(
            PeriodKind::Year.around(a),
            (d("2026-01-01"), d("2026-12-31"))
        );
        let (f, t) = PeriodKind::Month.around(d("2026-03-15"));
        assert_eq!(
            previous(PeriodKind::Month, f, t),
            (d("2026-02-01"), d("2026-02-28"))
        );
        assert_eq!(
            next(PeriodKind::Month, f, t),
            (d("2026-04-01"), d("2026-04-30"))
        );
        assert_eq!(
            previous(PeriodKind::Custom, d("2026-03-10"), d("2026-03-12")),
            (d("2026-03-07"), d("2026-03-09"))
        );
        assert_eq!(
            year_before(d("2028-02-29"), d("2028-03-31")),
            (d("2027-02-28"), d("2027-03-31"))
        );
        for k in PeriodKind::ALL {
            assert_eq!(PeriodKind::parse(k.as_str()), Some(k));
        }
        let week = PeriodKind::Week.query(Some("2026-11-27"), None, None, None, a);
        assert_eq!(
            (week.from.as_deref(), week.to.as_deref()),
            (Some("2026-11-23"), Some("2026-11-29"))
        );
        let this_month = PeriodKind::Month.query(Some("not a date"), None, None, None, a);
        assert_eq!(this_month.from.as_deref(), Some("2026-11-01"));
        let custom =
            PeriodKind::Custom.query(None, Some("2026-01-05".into()), Some("x".into()), None, a);
        assert_eq!(
            (custom.from.as_deref(), custom.to.as_deref()),
            (Some("2026-01-05"), Some("x"))
        );
    }

    fn facts(state: &str, by: Option<&str>, start: &str, hours: i64, total: i64) -> BookingFacts {
        let s = DateTime::parse_from_rfc3339(start).unwrap().timestamp();
        BookingFacts {
            starts_at: s,
            ends_at: s + hours * 3600,
            created_at: s - 48 * 3600,
            state: state.into(),
            cancelled_by: by.map(str::to_owned),
            source: "website".into(),
            total,
        }
    }

    #[test]
    fn a_day_counts_by_the_definitions() {
        let zone: Tz = "Europe/Moscow".parse().unwrap();
        let mut day = DayFigures::default();
        day.fold(
            &facts("completed", None, "2026-11-27T10:00:00+03:00", 2, 500_000),
            zone,
        );
        day.fold(
            &facts("no_show", None, "2026-11-27T12:30:00+03:00", 1, 250_000),
            zone,
        );
        day.fold(
            &facts(
                "cancelled",
                Some("guest"),
                "2026-11-27T15:00:00+03:00",
                3,
                900_000,
            ),
            zone,
        );
        day.fold(
            &facts(
                "cancelled",
                Some("system"),
                "2026-11-27T15:00:00+03:00",
                3,
                900_000,
            ),
            zone,
        );
        day.fold(
            &facts("confirmed", None, "2026-11-27T22:00:00+03:00", 4, 100_000),
            zone,
        );
        assert_eq!(day.bookings, 5);
        assert_eq!(day.completed, 1);
        assert_eq!(day.no_show, 1);
        assert_eq!(
            (
                day.cancelled_guest,
                day.cancelled_system,
                day.cancelled_staff
            ),
            (1, 1, 0)
        );
        assert_eq!(day.revenue, 500_000);
        assert_eq!(day.booked_value, 850_000);
        assert_eq!(day.held, 3);
        assert_eq!(day.held_minutes, 7 * 60);
        assert_eq!(day.lead_minutes, 5 * 48 * 60);
        assert_eq!(day.hours[10], 60);
        assert_eq!(day.hours[11], 60);
        assert_eq!(day.hours[12], 30);
        assert_eq!(day.hours[13], 30);
        assert_eq!(day.hours[15], 0, "cancelled bookings hold nothing");
        // The night booking counts its hours up to midnight on its own day.
        assert_eq!((day.hours[22], day.hours[23], day.hours[0]), (60, 60, 0));
        let s = Summary::new(
            (d("2026-11-27"), d("2026-11-27")),
            None,
            &day,
            vec![],
            vec![],
            true,
        );
        assert_eq!(s.cancellation_rate, 0.4);
        assert_eq!(s.no_show_rate, 0.3333);
        assert_eq!(s.average_duration_minutes, 140.0);
        assert_eq!(s.average_lead_hours, 48.0);
        let hidden = Summary::new(
            (d("2026-11-27"), d("2026-11-27")),
            None,
            &day,
            vec![],
            vec![],
            false,
        );
        assert_eq!((hidden.revenue, hidden.booked_value), (None, None));
        assert_eq!(DayFigures::parse_hours(&day.hours_text()), day.hours);
        let mut twice = day.clone();
        twice.add(&day);
        assert_eq!(twice.bookings, 10);
        assert_eq!(twice.hours[10], 120);
    }

    #[test]
    fn an_empty_period_is_zeros_not_errors() {
        let s = Summary::new(
            (d("2026-11-01"), d("2026-11-30")),
            None,
            &DayFigures::default(),
            vec![],
            vec![],
            true,
        );
        assert_eq!(
            (s.bookings, s.cancellation_rate, s.no_show_rate),
            (0, 0.0, 0.0)
        );
        assert_eq!(
            (s.average_duration_minutes, s.average_lead_hours),
            (0.0, 0.0)
        );
    }
}
