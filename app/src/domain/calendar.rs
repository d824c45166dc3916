//! The studio's calendar beyond bookings, and its clients: blocked periods
//! (maintenance, private events) and the client base grouped by phone.

use super::{board::BookingSummary, Money};
use serde::{Deserialize, Serialize};

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
    /// A space's slug, or none for the whole studio.
    #[serde(default)]
    pub space: Option<String>,
    pub start_time: String,
    pub end_time: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Blocked periods between two studio dates (inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct BlockQuery {
    pub from: Option<String>,
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
pub struct ClientQuery {
    /// Part of the name or of the phone number.
    pub q: Option<String>,
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
