//! The studio's settings as owners and admins edit them: rules of the
//! calendar, spaces, the equipment catalogue and promo codes.

use super::Money;
use serde::{Deserialize, Serialize};

/// Opening hours of one weekday (1 = Monday … 7 = Sunday); both times
/// empty: closed that day. Times are the studio's wall clock, `HH:MM`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DayHours {
    pub weekday: i32,
    #[serde(default)]
    pub opens: Option<String>,
    #[serde(default)]
    pub closes: Option<String>,
}

/// A date the studio is closed (studio date, `YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Holiday {
    pub date: String,
    #[serde(default)]
    pub reason: String,
}

/// The rules every booking follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StudioSettings {
    pub name: String,
    /// IANA zone, e.g. `Europe/Moscow`.
    pub time_zone: String,
    /// Seven entries, one per weekday.
    pub hours: Vec<DayHours>,
    #[serde(default)]
    pub holidays: Vec<Holiday>,
    /// Kept free after each booking.
    pub buffer_minutes: i64,
    pub min_booking_minutes: i64,
    pub max_booking_minutes: i64,
    /// How long before the start a guest may still book.
    pub lead_minutes: i64,
    /// How many days ahead bookings open.
    pub horizon_days: i64,
    /// Guests may cancel online until this many hours before the start.
    pub cancellation_hours: i64,
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
    /// Lower-case letters, digits and `_`; used in links.
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub capacity: i64,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub hourly_price: Money,
    pub included_people: i64,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub extra_person_price: Money,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
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
    pub name: String,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub price: Money,
    /// Charged per hour of the booking rather than once.
    #[serde(default)]
    pub per_hour: bool,
    /// How many the studio owns; overlapping bookings share them.
    pub stock: i64,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
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
    /// Letters, digits, `-` and `_`; stored upper-case.
    pub code: String,
    #[serde(default)]
    pub percent_off: Option<i64>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub amount_off: Option<Money>,
    /// First studio date it works on.
    #[serde(default)]
    pub valid_from: Option<String>,
    /// Last studio date it works on.
    #[serde(default)]
    pub valid_until: Option<String>,
    #[serde(default)]
    pub max_uses: Option<i64>,
    #[serde(default = "yes")]
    pub active: bool,
}
