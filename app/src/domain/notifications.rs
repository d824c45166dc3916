//! Notification settings and the outbox as staff see them (shared by the
//! server and the settings screen).

use serde::{Deserialize, Serialize};

/// The events staff can have sent to their Telegram chat.
pub const TELEGRAM_KINDS: [&str; 4] = [
    "booking_created",
    "booking_cancelled",
    "booking_rescheduled",
    "no_show",
];

/// The notification settings and the state of each channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NotificationSettings {
    /// Hours before the start a guest is reminded by e-mail; 0 = none.
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 720))]
    pub reminder_hours: i32,
    /// A pending booking still unpaid this many hours after it was made
    /// is cancelled by the system; null = never.
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 720))]
    pub unpaid_cancel_hours: Option<i32>,
    /// Which events go to the staff's Telegram chat: any of
    /// `booking_created`, `booking_cancelled`, `booking_rescheduled`, `no_show`.
    pub telegram_events: Vec<String>,
    #[serde(default)]
    pub telegram_configured: bool,
    #[serde(default)]
    pub email_configured: bool,
    #[serde(default)]
    pub telegram_last_delivery: Option<LastDelivery>,
    #[serde(default)]
    pub email_last_delivery: Option<LastDelivery>,
}

/// The newest delivery attempt of a channel: when and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LastDelivery {
    pub at: i64,
    pub outcome: String,
    pub status_code: Option<i32>,
}

/// A row as owners and admins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OutboxRow {
    pub id: i64,
    pub delivery_id: String,
    pub channel: String,
    pub kind: String,
    pub booking_id: Option<String>,
    pub webhook_id: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}
