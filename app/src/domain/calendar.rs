//! The studio's calendar beyond bookings, and its clients: blocked periods
//! (maintenance, private events) and the client base grouped by phone.

use super::{board::BookingSummary, Money};
use serde::{Deserialize, Serialize};

/// The first and last years a studio date may name: a studio books and
/// reports within them, and every calendar step from such a date stays
/// far from the limits where date arithmetic would overflow.
pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2100;

/// A studio-local date as typed or sent: `YYYY-MM-DD`, four-digit year
/// from [`FIRST_YEAR`] to [`LAST_YEAR`] (no sign, no extra digits).
pub fn parse_date(raw: &str) -> Option<chrono::NaiveDate> {
    use chrono::Datelike;
    let raw = raw.trim();
    let shaped = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shaped {
        return None;
    }
    // The shape is checked: the digits are read directly (chrono's format
    // parser was a visible share of every availability request).
    let number = |range: std::ops::Range<usize>| {
        raw.as_bytes()[range]
            .iter()
            .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
    };
    let year = i32::try_from(number(0..4)).ok()?;
    chrono::NaiveDate::from_ymd_opt(year, number(5..7), number(8..10))
        .filter(|d| (FIRST_YEAR..=LAST_YEAR).contains(&d.year()))
}

/// A period when a space (or the whole studio) cannot be booked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Block {
    pub id: String,
    /// The space's slug; none: the whole studio.
    pub space: Option<String>,
    /// RFC 3339, studio time.
    pub start_time: String,
    pub end_time: String,
    pub reason: String,
}

/// A new or changed blocked period (`/api/v1/blocks`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BlockRequest {
    /// A space's slug, or none (or blank) for the whole studio.
    #[serde(default)]
    pub space: Option<String>,
    /// RFC 3339.
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub start_time: String,
    /// RFC 3339, after `start_time` and at most 62 days after it.
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub end_time: String,
    /// At most 500 characters once trimmed.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 500))]
    pub reason: Option<String>,
}

/// Blocked periods between two studio dates (inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct BlockQuery {
    /// First studio date, `YYYY-MM-DD` (years 2000 to 2100; default today).
    #[cfg_attr(feature = "ssr", param(format = Date))]
    pub from: Option<String>,
    /// Last studio date, `YYYY-MM-DD` (years 2000 to 2100; default four
    /// weeks after today).
    #[cfg_attr(feature = "ssr", param(format = Date))]
    pub to: Option<String>,
}

/// One client: every booking made with one normalised phone number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ClientSummary {
    /// E.164.
    pub phone: String,
    /// The name of the latest booking.
    pub name: String,
    pub bookings: i64,
    /// Completed bookings.
    pub visits: i64,
    pub no_shows: i64,
    pub cancellations: i64,
    /// Sum of the completed bookings.
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub total_spent: Money,
    /// Studio date of the latest completed booking.
    pub last_visit: Option<String>,
    pub notes: String,
}

/// A page of clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ClientList {
    pub items: Vec<ClientSummary>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

/// Search of the client base.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct ClientQuery {
    /// Part of the name or of the phone number.
    pub q: Option<String>,
    /// 1-based page of 50 clients, 1 to 100000 (default 1).
    #[cfg_attr(feature = "ssr", param(minimum = 1, maximum = 100000))]
    pub page: Option<i64>,
}

/// One client with the full history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ClientDetail {
    #[serde(flatten)]
    pub summary: ClientSummary,
    /// Newest first.
    pub history: Vec<BookingSummary>,
}

/// Staff notes about a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ClientNotes {
    /// At most 4000 characters; empty clears the notes.
    #[cfg_attr(feature = "ssr", schema(max_length = 4000))]
    pub notes: String,
}

/// One day column of the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDay {
    /// Studio date, `YYYY-MM-DD`.
    pub date: String,
    /// Opening and closing minute of the day; none when closed.
    pub hours: Option<(i32, i32)>,
    /// RFC 3339 start of each bookable hour of each space, by hour: the
    /// empty cells the calendar offers for a new booking.
    pub slots: Vec<String>,
}

/// Everything the calendar page shows for a week or a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarData {
    /// `week` or `day`.
    pub view: String,
    pub date: String,
    pub today: String,
    pub prev: String,
    pub next: String,
    pub days: Vec<CalendarDay>,
    pub spaces: Vec<super::board::SpaceOption>,
    /// The first and last hour the grid shows (minutes from midnight).
    pub grid_start: i32,
    pub grid_end: i32,
    /// Bookings that hold their slot (cancelled and no-show leave it).
    pub bookings: Vec<BookingSummary>,
    pub blocks: Vec<Block>,
    /// Studio wall clock now, `YYYY-MM-DDTHH:MM`.
    pub now: String,
    pub last_event_id: i64,
    pub role: super::Role,
}

#[cfg(test)]
mod tests {
    #[test]
    fn studio_dates_are_plain_and_within_the_supported_years() {
        assert_eq!(
            super::parse_date(" 2026-12-31 "),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 31)
        );
        assert_eq!(
            super::parse_date("2028-02-29"),
            chrono::NaiveDate::from_ymd_opt(2028, 2, 29)
        );
        for bad in [
            "+262142-12-31",
            "262142-12-31",
            "1999-12-31",
            "2101-01-01",
            "2026-2-1",
            "2026-02-30",
            "2026-00-10",
            "2026-13-01",
            "2026-01-00",
            "2026-01-32",
            "",
            "today",
        ] {
            assert_eq!(super::parse_date(bad), None, "{bad}");
        }
    }
}

/// A guest's request about their data, as staff see it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DataRequest {
    pub id: String,
    /// `export` or `erase`.
    pub kind: String,
    pub booking_reference: String,
    /// The client's phone (E.164); empty once the data was erased.
    pub client_phone: String,
    pub client_name: String,
    pub created_at: String,
    /// The legal deadline: 10 working days (Monday to Friday) after it was made.
    pub due_at: String,
    pub overdue: bool,
    /// `open` or `closed`.
    pub status: String,
    pub closed_at: Option<String>,
    pub resolution: Option<String>,
}
