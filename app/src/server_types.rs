//! Shapes that staff server functions send to the browser: plain data,
//! compiled for both targets (the server-only types they mirror hold more).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaSetupView {
    pub secret: String,
    pub qr_svg: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: String,
    /// Studio-local wall-clock time, `YYYY-MM-DDTHH:MM:SS`.
    pub last_used_local: String,
    pub ip: String,
    pub user_agent: String,
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    /// Studio-local wall-clock time, `YYYY-MM-DDTHH:MM:SS`.
    pub local: String,
    pub who: String,
    pub action: String,
    /// The entry as a sentence in the reader's language.
    pub summary: String,
    /// What it concerns: a booking's reference, an employee's name…
    pub target: String,
    /// The page of the target, for bookings.
    pub target_href: Option<String>,
    pub ip: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRows {
    pub total: i64,
    pub rows: Vec<AuditRow>,
}
