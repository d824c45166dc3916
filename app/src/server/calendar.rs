//! The calendar page's data: a week or a day of bookings and blocks per
//! space, on the studio's wall clock.

use super::{bookings::rfc3339, staff_bookings, AppState};
use crate::{
    domain::{
        board::BookingQuery,
        calendar::{BlockQuery, CalendarData, CalendarDay},
        Role,
    },
    error::{AppError, FieldError},
};
use chrono::{Duration, Utc};

/// Seven days from `date` (default today), or that one day.
pub async fn calendar(
    state: &AppState,
    role: Role,
    date: Option<&str>,
    view: Option<&str>,
) -> Result<CalendarData, AppError> {
    let config = super::rules::studio_config(&state.store, &state.rules_cache).await?;
    let now = Utc::now();
    let today = config.rules.local_date(now);
    let date = match date.map(str::trim).filter(|d| !d.is_empty()) {
        None => today,
        Some(d) => crate::domain::calendar::parse_date(d).ok_or_else(|| {
            AppError::field(
                "date",
                FieldError::new("invalid_date", "Use a date like 2026-12-31."),
            )
        })?,
    };
    let week = view != Some("day");
    // The week runs from the day asked (today by default): what the front
    // desk needs is the days ahead, not the Monday already behind.
    let first = date;
    let count = if week { 7 } else { 1 };
    let spaces = state.active_spaces().await?;
    let mut days = Vec::with_capacity(count);
    let (mut grid_start, mut grid_end) = (i32::MAX, i32::MIN);
    for i in 0..count {
        let d = first + Duration::days(i as i64);
        let hours = config.rules.hours_on(d).map(|h| {
            (
                i32::try_from(h.opens).unwrap_or(0),
                i32::try_from(h.closes).unwrap_or(1440),
            )
        });
        let mut slots = Vec::new();
        if let Some((opens, closes)) = hours {
            grid_start = grid_start.min(opens);
            grid_end = grid_end.max(closes);
            let mut m = opens;
            while m + 60 <= closes {
                if let Some(t) = config.rules.instant(d, u32::try_from(m).unwrap_or(0)) {
                    slots.push(rfc3339(&config, t));
                }
                m += 60;
            }
        }
        days.push(CalendarDay {
            date: d.to_string(),
            hours,
            slots,
        });
    }
    if grid_start > grid_end {
        (grid_start, grid_end) = (9 * 60, 21 * 60);
    }
    let last = first + Duration::days(count as i64 - 1);
    let bookings = staff_bookings::list(
        state,
        &BookingQuery {
            from: Some(first.to_string()),
            to: Some(last.to_string()),
            state: Some("pending,confirmed,in_progress,completed".into()),
            per_page: Some(200),
            ..Default::default()
        },
    )
    .await?;
    // A busy week may hold more than one page.
    let mut all = bookings.items;
    let pages = (bookings.total + 199) / 200;
    for page in 2..=pages {
        all.extend(
            staff_bookings::list(
                state,
                &BookingQuery {
                    from: Some(first.to_string()),
                    to: Some(last.to_string()),
                    state: Some("pending,confirmed,in_progress,completed".into()),
                    per_page: Some(200),
                    page: Some(page),
                    ..Default::default()
                },
            )
            .await?
            .items,
        );
    }
    let blocks = super::blocks::list(
        state,
        &BlockQuery {
            from: Some(first.to_string()),
            to: Some(last.to_string()),
        },
    )
    .await?;
    let step = Duration::days(count as i64);
    Ok(CalendarData {
        view: if week { "week" } else { "day" }.into(),
        date: date.to_string(),
        today: today.to_string(),
        prev: (date - step).to_string(),
        next: (date + step).to_string(),
        days,
        spaces,
        grid_start,
        grid_end,
        bookings: all,
        blocks,
        now: now
            .with_timezone(&config.rules.time_zone)
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
        last_event_id: super::live::last_event_id(&state.store).await?,
        role,
    })
}
