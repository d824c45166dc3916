//! The studio's settings as owners and admins edit them: rules of the
//! calendar, spaces, the equipment catalogue and promo codes.

use super::Money;
use serde::{Deserialize, Serialize};

/// Opening hours of one weekday (1 = Monday … 7 = Sunday); both times
/// empty: closed that day. Times are the studio's wall clock, `HH:MM`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DayHours {
    /// 1 (Monday) to 7 (Sunday), each weekday once.
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 7))]
    pub weekday: i32,
    /// `HH:MM`; blank (with `closes` blank too) for a closed day.
    #[serde(default)]
    pub opens: Option<String>,
    /// `HH:MM` or `24:00`, after `opens`; blank (with `opens` blank too)
    /// for a closed day.
    #[serde(default)]
    pub closes: Option<String>,
}

/// A date the studio is closed (studio date, `YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Holiday {
    /// `YYYY-MM-DD`, years 2000 to 2100.
    #[cfg_attr(feature = "ssr", schema(format = Date))]
    pub date: String,
    /// At most 200 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 200))]
    pub reason: String,
}

/// The rules every booking follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StudioSettings {
    /// Not blank; at most 100 characters once trimmed.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// IANA zone, e.g. `Europe/Moscow`.
    pub time_zone: String,
    /// Seven entries, one per weekday.
    #[cfg_attr(feature = "ssr", schema(min_items = 7, max_items = 7))]
    pub hours: Vec<DayHours>,
    /// At most 400 dates.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_items = 400))]
    pub holidays: Vec<Holiday>,
    /// Kept free after each booking: 0 to 240.
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 240))]
    pub buffer_minutes: i64,
    /// Whole hours, 60 to 1440.
    #[cfg_attr(
        feature = "ssr",
        schema(minimum = 60, maximum = 1440, multiple_of = 60)
    )]
    pub min_booking_minutes: i64,
    /// Whole hours, 60 to 1440, not below `min_booking_minutes`.
    #[cfg_attr(
        feature = "ssr",
        schema(minimum = 60, maximum = 1440, multiple_of = 60)
    )]
    pub max_booking_minutes: i64,
    /// How long before the start a guest may still book: 0 to 10080 (a
    /// week).
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 10080))]
    pub lead_minutes: i64,
    /// How many days ahead bookings open: 1 to 730.
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 730))]
    pub horizon_days: i64,
    /// Guests may cancel online until this many hours before the start:
    /// 0 to 720.
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 720))]
    pub cancellation_hours: i64,
    /// Days personal data is kept after a booking ends, then anonymised:
    /// 30 to 36500 (default 2555, seven years). Left out, it stays as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(minimum = 30, maximum = 36500))]
    pub retention_days: Option<i64>,
}

/// `PUT /api/v1/settings`: the new settings, and `confirm` to save them
/// even though some future bookings would fall outside the new hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SettingsUpdate {
    #[serde(flatten)]
    pub settings: StudioSettings,
    #[serde(default)]
    pub confirm: bool,
}

/// A space as staff manage it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SpaceAdmin {
    pub id: String,
    #[serde(flatten)]
    pub space: SpaceInput,
}

/// A new or changed space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SpaceInput {
    /// 2 to 40 lower-case latin letters, digits and `_`; used in links.
    #[cfg_attr(
        feature = "ssr",
        schema(min_length = 2, max_length = 40, pattern = "^[a-z0-9_]+$")
    )]
    pub slug: String,
    /// Not blank; at most 100 characters.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// Description, what is included, area and ceiling height.
    #[serde(flatten)]
    pub details: super::studio::SpaceDetails,
    /// 1 to 500 people.
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 500))]
    pub capacity: i64,
    /// Kopecks, 0 to 100000000.
    #[cfg_attr(feature = "ssr", schema(value_type = i64, minimum = 0, maximum = 100000000))]
    pub hourly_price: Money,
    /// People the hourly price covers: 0 to `capacity`.
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 500))]
    pub included_people: i64,
    /// Kopecks per person beyond `included_people`, 0 to 100000000.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = i64, minimum = 0, maximum = 100000000))]
    pub extra_person_price: Money,
    #[serde(default = "yes")]
    pub active: bool,
    /// -1000 to 1000.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(minimum = -1000, maximum = 1000))]
    pub sort_order: i64,
}

fn yes() -> bool {
    true
}

/// A piece of equipment guests can add to a booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EquipmentItem {
    pub id: String,
    #[serde(flatten)]
    pub item: EquipmentInput,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EquipmentInput {
    /// Not blank; at most 100 characters.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// Kopecks, 0 to 100000000.
    #[cfg_attr(feature = "ssr", schema(value_type = i64, minimum = 0, maximum = 100000000))]
    pub price: Money,
    /// Charged per hour of the booking rather than once.
    #[serde(default)]
    pub per_hour: bool,
    /// How many the studio owns (0 to 10000); overlapping bookings share
    /// them.
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 10000))]
    pub stock: i64,
    #[serde(default = "yes")]
    pub active: bool,
    /// -1000 to 1000.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(minimum = -1000, maximum = 1000))]
    pub sort_order: i64,
}

/// A promo code: a percentage or a fixed amount off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PromoCode {
    #[serde(flatten)]
    pub promo: PromoInput,
    pub used_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PromoInput {
    /// 3 to 30 latin letters, digits, `-` and `_`; stored upper-case
    /// (surrounding spaces are trimmed).
    #[cfg_attr(
        feature = "ssr",
        schema(min_length = 3, max_length = 30, pattern = "^[A-Za-z0-9_-]+$")
    )]
    pub code: String,
    /// 1 to 100 percent off. Give exactly one of `percent_off` and
    /// `amount_off`.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 100))]
    pub percent_off: Option<i64>,
    /// Kopecks off, 1 to 100000000. Give exactly one of `percent_off` and
    /// `amount_off`.
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(value_type = Option<i64>, minimum = 1, maximum = 100000000)
    )]
    pub amount_off: Option<Money>,
    /// First studio date it works on, `YYYY-MM-DD` (years 2000 to 2100);
    /// blank means no limit.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(format = Date))]
    pub valid_from: Option<String>,
    /// Last studio date it works on, `YYYY-MM-DD` (years 2000 to 2100),
    /// not before `valid_from`; blank means no limit.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(format = Date))]
    pub valid_until: Option<String>,
    /// 1 to 1000000 uses; none means unlimited.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 1000000))]
    pub max_uses: Option<i64>,
    #[serde(default = "yes")]
    pub active: bool,
}
