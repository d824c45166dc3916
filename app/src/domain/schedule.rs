//! Time on the studio's clock: UTC instants in storage, wall-clock hours in
//! the studio's time zone for everything a person sees or types. Slots are
//! computed here, once, for guests, staff and the API alike.

use crate::error::FieldError;
use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A half-open interval of time `[start, end)`, never empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TimeRange {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl TimeRange {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Option<TimeRange> {
        (start < end).then_some(TimeRange { start, end })
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    pub fn minutes(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }

    /// Whether a booking here collides with `other`, an occupied range that
    /// already carries its own trailing buffer; `buffer` is this range's.
    pub fn collides(&self, other: &TimeRange, buffer: Duration) -> bool {
        self.start < other.end && other.start < self.end + buffer
    }
}

/// Opening hours of one weekday, minutes from local midnight (`closes` may
/// be 1440: open until midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    pub opens: u32,
    pub closes: u32,
}

/// The studio's booking rules.
#[derive(Debug, Clone, PartialEq)]
pub struct StudioRules {
    pub time_zone: Tz,
    /// Monday first; `None` is closed all day.
    pub hours: [Option<OpeningHours>; 7],
    pub closed_dates: BTreeSet<NaiveDate>,
    pub min_minutes: i64,
    pub max_minutes: i64,
    pub buffer_minutes: i64,
    pub lead_minutes: i64,
    pub horizon_days: i64,
}

impl StudioRules {
    pub fn buffer(&self) -> Duration {
        Duration::minutes(self.buffer_minutes)
    }

    /// Opening hours on a local date, or `None` when closed.
    pub fn hours_on(&self, date: NaiveDate) -> Option<OpeningHours> {
        if self.closed_dates.contains(&date) {
            return None;
        }
        self.hours[date.weekday().num_days_from_monday() as usize]
    }

    /// The instant a wall-clock time of a local date happens. A time skipped
    /// by a DST jump has none; a repeated one takes its first occurrence.
    pub fn instant(&self, date: NaiveDate, minutes: u32) -> Option<DateTime<Utc>> {
        let naive = if minutes >= 1440 {
            date.succ_opt()?.and_time(NaiveTime::MIN)
        } else {
            date.and_time(NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0)?)
        };
        match self.time_zone.from_local_datetime(&naive) {
            LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
            LocalResult::None => None,
        }
    }

    pub fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.time_zone).date_naive()
    }

    /// Slots of `min_minutes` that can start a booking on `date`, on the
    /// full-hour grid of the studio's clock, in time order. `occupied` are the
    /// space's live bookings (each with its trailing buffer) and blocks.
    pub fn day_slots(
        &self,
        date: NaiveDate,
        occupied: &[TimeRange],
        now: DateTime<Utc>,
    ) -> Vec<TimeRange> {
        let Some(hours) = self.hours_on(date) else {
            return Vec::new();
        };
        let earliest = now + Duration::minutes(self.lead_minutes);
        let latest = now + Duration::days(self.horizon_days);
        let min_hours = u32::try_from(self.min_minutes.max(60) / 60).unwrap_or(1);
        let first_hour = hours.opens.div_ceil(60);
        let mut slots = Vec::new();
        for hour in first_hour..24 {
            let (start_min, end_min) = (hour * 60, (hour + min_hours) * 60);
            if end_min > hours.closes {
                break;
            }
            let (Some(start), Some(end)) =
                (self.instant(date, start_min), self.instant(date, end_min))
            else {
                continue;
            };
            let Some(slot) = TimeRange::new(start, end) else {
                continue;
            };
            if start < earliest || start >= latest {
                continue;
            }
            if occupied.iter().any(|o| slot.collides(o, self.buffer())) {
                continue;
            }
            slots.push(slot);
        }
        slots
    }

    /// Checks a requested booking against every rule; all problems at once,
    /// keyed by the API field they belong to.
    pub fn check_request(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        people: i64,
        capacity: i64,
        now: DateTime<Utc>,
    ) -> Result<TimeRange, BTreeMap<String, FieldError>> {
        let mut errors = BTreeMap::new();
        let mut add = |field: &str, code: &str, message: &str| {
            errors
                .entry(field.to_owned())
                .or_insert_with(|| FieldError::new(code, message));
        };
        if people < 1 {
            add("people_count", "too_few_people", "At least one person.");
        } else if people > capacity {
            add(
                "people_count",
                "over_capacity",
                &format!("This space fits at most {capacity} people."),
            );
        }
        let local_start = start.with_timezone(&self.time_zone);
        let local_end = end.with_timezone(&self.time_zone);
        let on_grid = |t: &DateTime<Tz>| t.minute() == 0 && t.second() == 0 && t.nanosecond() == 0;
        if !on_grid(&local_start) {
            add(
                "start_time",
                "not_full_hour",
                "Bookings start on a full hour.",
            );
        }
        if !on_grid(&local_end) {
            add("end_time", "not_full_hour", "Bookings end on a full hour.");
        }
        let Some(range) = TimeRange::new(start, end) else {
            add(
                "end_time",
                "end_before_start",
                "The end must be after the start.",
            );
            return Err(errors);
        };
        if start < now {
            add("start_time", "in_past", "This time has already passed.");
        } else if start < now + Duration::minutes(self.lead_minutes) {
            add(
                "start_time",
                "too_soon",
                &format!("Book at least {} minutes ahead.", self.lead_minutes),
            );
        } else if start >= now + Duration::days(self.horizon_days) {
            add(
                "start_time",
                "beyond_horizon",
                &format!("Bookings open {} days ahead.", self.horizon_days),
            );
        }
        if range.minutes() < self.min_minutes {
            add(
                "end_time",
                "too_short",
                &format!("The minimum is {} minutes.", self.min_minutes),
            );
        } else if range.minutes() > self.max_minutes {
            add(
                "end_time",
                "too_long",
                &format!("The maximum is {} minutes.", self.max_minutes),
            );
        }
        let date = local_start.date_naive();
        match self.hours_on(date) {
            None => add("start_time", "closed", "The studio is closed on this day."),
            Some(h) => {
                let opens = self.instant(date, h.opens);
                let closes = self.instant(date, h.closes);
                let inside = opens.is_some_and(|o| start >= o) && closes.is_some_and(|c| end <= c);
                if !inside {
                    add(
                        "start_time",
                        "outside_hours",
                        "The booking must fit within opening hours.",
                    );
                }
            }
        }
        let _ = local_end;
        if errors.is_empty() {
            Ok(range)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(tz: &str, opens: u32, closes: u32) -> StudioRules {
        StudioRules {
            time_zone: tz.parse().unwrap(),
            hours: [Some(OpeningHours { opens, closes }); 7],
            closed_dates: BTreeSet::new(),
            min_minutes: 60,
            max_minutes: 720,
            buffer_minutes: 0,
            lead_minutes: 60,
            horizon_days: 90,
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const NOW: &str = "2026-11-01T00:00:00Z";

    #[test]
    fn an_open_day_has_one_slot_per_hour_from_opening_to_the_last_full_hour() {
        let r = rules("Europe/Moscow", 9 * 60, 21 * 60);
        let slots = r.day_slots(date("2026-11-10"), &[], utc(NOW));
        assert_eq!(slots.len(), 12);
        assert_eq!(
            slots[0].start(),
            utc("2026-11-10T06:00:00Z"),
            "09:00 Moscow is 06:00 UTC"
        );
        assert_eq!(slots[11].end(), utc("2026-11-10T18:00:00Z"));
    }

    #[test]
    fn a_booked_hour_and_its_buffer_are_not_offered() {
        let mut r = rules("Europe/Moscow", 9 * 60, 21 * 60);
        r.buffer_minutes = 15;
        // 12:00–14:00 booked, blocking until 14:15 with its buffer.
        let booked =
            TimeRange::new(utc("2026-11-10T09:00:00Z"), utc("2026-11-10T11:15:00Z")).unwrap();
        let starts: Vec<u32> = r
            .day_slots(date("2026-11-10"), &[booked], utc(NOW))
            .iter()
            .map(|s| s.start().with_timezone(&r.time_zone).hour())
            .collect();
        // 11:00 would end at 12:00 + 15 min buffer, overlapping 12:00; 14:00 starts inside the buffer.
        assert_eq!(starts, [9, 10, 15, 16, 17, 18, 19, 20]);
    }

    #[test]
    fn holidays_and_closed_weekdays_have_no_slots() {
        let mut r = rules("Europe/Moscow", 9 * 60, 21 * 60);
        r.closed_dates.insert(date("2026-11-10"));
        r.hours[2] = None; // Wednesdays
        assert!(r.day_slots(date("2026-11-10"), &[], utc(NOW)).is_empty());
        assert!(r.day_slots(date("2026-11-11"), &[], utc(NOW)).is_empty());
        assert_eq!(r.day_slots(date("2026-11-12"), &[], utc(NOW)).len(), 12);
    }

    #[test]
    fn lead_time_and_horizon_limit_the_offered_slots() {
        let r = rules("Europe/Moscow", 9 * 60, 21 * 60);
        // 12:30 Moscow: with 60 minutes lead the first slot is 14:00.
        let now = utc("2026-11-10T09:30:00Z");
        let slots = r.day_slots(date("2026-11-10"), &[], now);
        assert_eq!(slots[0].start(), utc("2026-11-10T11:00:00Z"));
        assert!(
            r.day_slots(date("2027-03-01"), &[], now).is_empty(),
            "beyond 90 days"
        );
    }

    #[test]
    fn a_spring_forward_day_skips_the_missing_hour_and_keeps_full_local_hours() {
        // Berlin jumps from 02:00 to 03:00 on 29 March 2026.
        let r = rules("Europe/Berlin", 0, 1440);
        let now = utc("2026-03-01T00:00:00Z");
        let slots = r.day_slots(date("2026-03-29"), &[], now);
        assert_eq!(
            slots.len(),
            22,
            "23 hours in the day, the 01:00 slot would end at the missing 02:00"
        );
        for s in &slots {
            let local = s.start().with_timezone(&r.time_zone);
            assert_eq!(
                (local.minute(), local.date_naive()),
                (0, date("2026-03-29"))
            );
            assert_eq!(s.minutes(), 60, "{s:?}");
        }
        assert_eq!(slots[1].start(), utc("2026-03-29T01:00:00Z"), "03:00 CEST");
    }

    #[test]
    fn a_fall_back_day_has_twenty_five_hours_and_priced_hours_are_real_hours() {
        // Berlin repeats 02:00–03:00 on 25 October 2026.
        let r = rules("Europe/Berlin", 0, 1440);
        let now = utc("2026-10-01T00:00:00Z");
        let start = r.instant(date("2026-10-25"), 60).unwrap();
        let end = r.instant(date("2026-10-25"), 4 * 60).unwrap();
        let range = r.check_request(start, end, 1, 4, now).unwrap();
        assert_eq!(
            range.minutes(),
            4 * 60,
            "01:00–04:00 on that day is four real hours"
        );
    }

    #[test]
    fn a_valid_request_passes_every_rule() {
        let r = rules("Europe/Moscow", 9 * 60, 21 * 60);
        let range = r
            .check_request(
                utc("2026-11-10T07:00:00Z"),
                utc("2026-11-10T09:00:00Z"),
                3,
                10,
                utc(NOW),
            )
            .unwrap();
        assert_eq!(range.minutes(), 120);
    }

    fn codes(r: &StudioRules, start: &str, end: &str, people: i64) -> Vec<(String, String)> {
        match r.check_request(utc(start), utc(end), people, 10, utc(NOW)) {
            Ok(_) => vec![],
            Err(e) => e.into_iter().map(|(f, e)| (f, e.code)).collect(),
        }
    }

    fn has(v: &[(String, String)], field: &str, code: &str) -> bool {
        v.iter().any(|(f, c)| f == field && c == code)
    }

    #[test]
    fn a_booking_that_ends_before_it_starts_is_rejected() {
        let r = rules("Europe/Moscow", 9 * 60, 21 * 60);
        assert!(has(
            &codes(&r, "2026-11-10T09:00:00Z", "2026-11-10T08:00:00Z", 2),
            "end_time",
            "end_before_start"
        ));
    }

    #[test]
    fn times_off_the_full_hour_grid_are_rejected() {
        let r = rules("Europe/Moscow", 9 * 60, 21 * 60);
        let c = codes(&r, "2026-11-10T07:30:00Z", "2026-11-10T09:15:00Z", 2);
        assert!(has(&c, "start_time", "not_full_hour") && has(&c, "end_time", "not_full_hour"));
    }

    #[test]
    fn bookings_outside_opening_hours_are_rejected() {
        let r = rules("Europe/Moscow", 9 * 60, 21 * 60);
        assert!(has(
            &codes(&r, "2026-11-10T05:00:00Z", "2026-11-10T07:00:00Z", 2),
            "start_time",
            "outside_hours"
        ));
        assert!(has(
            &codes(&r, "2026-11-10T17:00:00Z", "2026-11-10T19:00:00Z", 2),
            "start_time",
            "outside_hours"
        ));
    }

    #[test]
    fn too_short_and_too_long_bookings_are_rejected() {
        let mut r = rules("Europe/Moscow", 0, 1440);
        r.min_minutes = 120;
        r.max_minutes = 240;
        assert!(has(
            &codes(&r, "2026-11-10T07:00:00Z", "2026-11-10T08:00:00Z", 2),
            "end_time",
            "too_short"
        ));
        assert!(has(
            &codes(&r, "2026-11-10T07:00:00Z", "2026-11-10T12:00:00Z", 2),
            "end_time",
            "too_long"
        ));
    }

    #[test]
    fn more_people_than_the_space_fits_are_rejected() {
        let r = rules("Europe/Moscow", 9 * 60, 21 * 60);
        assert!(has(
            &codes(&r, "2026-11-10T07:00:00Z", "2026-11-10T08:00:00Z", 11),
            "people_count",
            "over_capacity"
        ));
        assert!(has(
            &codes(&r, "2026-11-10T07:00:00Z", "2026-11-10T08:00:00Z", 0),
            "people_count",
            "too_few_people"
        ));
    }

    #[test]
    fn past_too_soon_and_too_far_bookings_are_rejected() {
        let r = rules("Europe/Moscow", 0, 1440);
        assert!(has(
            &codes(&r, "2026-10-30T07:00:00Z", "2026-10-30T08:00:00Z", 2),
            "start_time",
            "in_past"
        ));
        assert!(has(
            &codes(&r, "2026-11-01T00:00:00Z", "2026-11-01T01:00:00Z", 2),
            "start_time",
            "too_soon"
        ));
        assert!(has(
            &codes(&r, "2027-03-01T07:00:00Z", "2027-03-01T08:00:00Z", 2),
            "start_time",
            "beyond_horizon"
        ));
    }

    #[test]
    fn a_booking_on_a_holiday_is_rejected() {
        let mut r = rules("Europe/Moscow", 9 * 60, 21 * 60);
        r.closed_dates.insert(date("2026-11-10"));
        assert!(has(
            &codes(&r, "2026-11-10T07:00:00Z", "2026-11-10T08:00:00Z", 2),
            "start_time",
            "closed"
        ));
    }
}
