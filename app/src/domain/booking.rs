//! Bookings as guests and the API see them: states, sources, payment
//! status, and the request and response shapes of the public booking flow.

use super::{PriceBreakdown, Role};
use serde::{Deserialize, Serialize};

/// Where a booking is in its life. The transitions between states are the
/// board issue's state machine; here are the states and what they mean for
/// the slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BookingState {
    Pending,
    Confirmed,
    InProgress,
    Completed,
    Cancelled,
    NoShow,
}

impl BookingState {
    pub const ALL: [BookingState; 6] = [
        BookingState::Pending,
        BookingState::Confirmed,
        BookingState::InProgress,
        BookingState::Completed,
        BookingState::Cancelled,
        BookingState::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BookingState::Pending => "pending",
            BookingState::Confirmed => "confirmed",
            BookingState::InProgress => "in_progress",
            BookingState::Completed => "completed",
            BookingState::Cancelled => "cancelled",
            BookingState::NoShow => "no_show",
        }
    }

    pub fn parse(s: &str) -> Option<BookingState> {
        BookingState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Cancelled and no-show bookings give their time back.
    pub fn holds_slot(self) -> bool {
        !matches!(self, BookingState::Cancelled | BookingState::NoShow)
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            BookingState::Completed | BookingState::Cancelled | BookingState::NoShow
        )
    }

    /// The one definition of the booking state machine, used by the board's
    /// drag handler in the browser, by server functions and by the API:
    ///
    /// ```text
    /// pending -> confirmed | cancelled
    /// confirmed -> in_progress | cancelled | no_show
    /// in_progress -> completed | cancelled
    /// completed, cancelled, no_show: final; owner/admin may reopen them
    /// (back to confirmed, never to new), with a reason
    /// ```
    pub fn can_transition(
        self,
        to: BookingState,
        role: Role,
        reason: &str,
    ) -> Result<(), TransitionError> {
        use BookingState::*;
        let forward = matches!(
            (self, to),
            (Pending, Confirmed | Cancelled)
                | (Confirmed, InProgress | Cancelled | NoShow)
                | (InProgress, Completed | Cancelled)
        );
        if forward {
            return Ok(());
        }
        if self.is_final() && to == Confirmed {
            if role == Role::Manager {
                return Err(TransitionError::NotAllowedForRole);
            }
            if reason.trim().is_empty() {
                return Err(TransitionError::ReasonRequired);
            }
            return Ok(());
        }
        Err(TransitionError::Invalid)
    }
}

/// Why a state change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionError {
    /// The machine has no such arrow.
    Invalid,
    /// Reopening a final booking is for owners and admins.
    NotAllowedForRole,
    /// Reopening needs a reason.
    ReasonRequired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BookingSource {
    Website,
    Phone,
    WalkIn,
    Staff,
}

impl BookingSource {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingSource::Website => "website",
            BookingSource::Phone => "phone",
            BookingSource::WalkIn => "walk_in",
            BookingSource::Staff => "staff",
        }
    }
}

/// A requested state change (`POST /api/v1/bookings/{id}/state`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TransitionRequest {
    pub target_state: BookingState,
    /// Why; required (not blank) to reopen a final booking. At most 500
    /// characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 500))]
    pub reason: Option<String>,
    /// The version the move was decided on; a booking changed since then
    /// is refused with `version_conflict` instead of moved blindly.
    #[serde(default)]
    pub version: Option<i64>,
}

/// A booking's state after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BookingStateView {
    pub id: String,
    pub state: BookingState,
    pub version: i64,
}

/// A piece of equipment and how many of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EquipmentRequest {
    /// The equipment's id in the catalogue.
    pub id: String,
    /// 1 to 1000; lines for the same item are added up, and the sum may
    /// not exceed 1000 either.
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 1000))]
    pub quantity: i64,
}

/// The most distinct pieces of equipment one booking may ask for: the
/// catalogue of a studio is a few dozen items, and each line costs the
/// server work under the calendar lock.
pub const MAX_EQUIPMENT_LINES: usize = 20;

/// The most of one item a booking may ask for.
pub const MAX_EQUIPMENT_QUANTITY: i64 = 1000;

/// The equipment asked for, one line per item: lines for the same item
/// are added up; more than [`MAX_EQUIPMENT_LINES`] lines, a quantity below
/// one or above [`MAX_EQUIPMENT_QUANTITY`] is refused.
pub fn merge_equipment(
    requested: &[EquipmentRequest],
) -> Result<Vec<(String, i64)>, crate::error::FieldError> {
    use crate::error::FieldError;
    if requested.len() > MAX_EQUIPMENT_LINES {
        return Err(FieldError::new(
            "too_many_items",
            format!("At most {MAX_EQUIPMENT_LINES} pieces of equipment per booking."),
        ));
    }
    let mut merged: Vec<(String, i64)> = Vec::new();
    for item in requested {
        let id = item.id.trim();
        if item.quantity < 1 || item.quantity > MAX_EQUIPMENT_QUANTITY {
            return Err(FieldError::new(
                "equipment_quantity",
                format!("Ask for 1 to {MAX_EQUIPMENT_QUANTITY} of an item."),
            ));
        }
        match merged.iter_mut().find(|(known, _)| known == id) {
            Some((_, q)) => *q += item.quantity,
            None => merged.push((id.to_owned(), item.quantity)),
        }
    }
    if merged.iter().any(|(_, q)| *q > MAX_EQUIPMENT_QUANTITY) {
        return Err(FieldError::new(
            "equipment_quantity",
            format!("Ask for 1 to {MAX_EQUIPMENT_QUANTITY} of an item."),
        ));
    }
    Ok(merged)
}

/// A guest's booking request (the form and `POST /api/v1/public/bookings`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GuestBookingRequest {
    /// Space slug, e.g. `studio_a`.
    pub space: String,
    /// RFC 3339, on a full hour of the studio's clock.
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub start_time: String,
    /// RFC 3339, on a full hour of the studio's clock, after `start_time`.
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub end_time: String,
    /// At least one; at most the space's capacity.
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub people_count: i64,
    /// Not blank; at most 200 characters once runs of spaces are collapsed.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub client_name: String,
    /// As typed (e.g. `8 (916) 123-45-67`): 7 to 15 digits, at most 40
    /// bytes once trimmed, a valid number (default region RU).
    #[cfg_attr(feature = "ssr", schema(min_length = 7, max_length = 40))]
    pub client_phone: String,
    /// Optional; blank means none. `name@example.com`-shaped, at most 254
    /// bytes once trimmed.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 254))]
    pub client_email: Option<String>,
    /// At most 20 lines.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_items = 20))]
    pub equipment: Vec<EquipmentRequest>,
    /// At most 2000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 2000))]
    pub special_requirements: Option<String>,
    /// A code valid for the booking's start (case-insensitive); blank
    /// means none.
    #[serde(default)]
    pub promo_code: Option<String>,
    /// Explicit consent to personal-data processing; must be `true`.
    #[serde(default)]
    pub consent: bool,
    /// Honeypot: people leave it empty, form-filling robots do not.
    #[serde(default)]
    pub website: Option<String>,
}

/// A would-be booking to price (`POST /api/v1/public/quote`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QuoteRequest {
    /// Space slug, e.g. `studio_a`.
    pub space: String,
    /// RFC 3339, on a full hour of the studio's clock.
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub start_time: String,
    /// RFC 3339, on a full hour of the studio's clock, after `start_time`.
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub end_time: String,
    /// At least one; at most the space's capacity.
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub people_count: i64,
    /// At most 20 lines.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_items = 20))]
    pub equipment: Vec<EquipmentRequest>,
    /// A code valid for the booking's start (case-insensitive); blank
    /// means none.
    #[serde(default)]
    pub promo_code: Option<String>,
}

impl From<&GuestBookingRequest> for QuoteRequest {
    /// The booking part of a guest's request, without the guest.
    fn from(r: &GuestBookingRequest) -> Self {
        QuoteRequest {
            space: r.space.clone(),
            start_time: r.start_time.clone(),
            end_time: r.end_time.clone(),
            people_count: r.people_count,
            equipment: r.equipment.clone(),
            promo_code: r.promo_code.clone(),
        }
    }
}

/// The answer to a successful booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BookingConfirmation {
    pub id: String,
    pub reference: String,
    pub state: BookingState,
    pub space: String,
    pub start_time: String,
    pub end_time: String,
    /// E.164.
    pub client_phone: String,
    pub people_count: i64,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub total_price: super::Money,
    pub price_breakdown: PriceBreakdown,
    /// The guest's private link to view or cancel the booking.
    pub manage_url: String,
}

/// One bookable start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Slot {
    pub start_time: String,
    pub end_time: String,
}

/// Free one-hour slots of a space on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Availability {
    pub space: String,
    pub date: String,
    pub time_zone: String,
    pub slots: Vec<Slot>,
}

/// What the guest's manage page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GuestBookingView {
    pub reference: String,
    pub state: BookingState,
    pub space: String,
    pub space_name: String,
    pub start_time: String,
    pub end_time: String,
    pub time_zone: String,
    pub people_count: i64,
    pub client_name: String,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub total_price: super::Money,
    pub price_breakdown: PriceBreakdown,
    /// Whether the guest may still cancel online.
    pub can_cancel: bool,
    /// Until when online cancellation is possible (RFC 3339).
    pub cancel_until: String,
}

/// Everything the booking page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookPageData {
    pub space: super::SpaceSummary,
    pub date: String,
    pub today: String,
    pub last_date: String,
    pub availability: Availability,
    /// Starts on the day's grid that are taken (booked, blocked, or out of
    /// the equipment's stock): shown greyed beside the free ones, so the
    /// guest sees the day is not empty but busy.
    pub busy: Vec<Slot>,
    /// When the day has no free time: the next day that has, if any within
    /// a month (`YYYY-MM-DD`).
    pub next_free: Option<String>,
    pub max_hours: i64,
    pub consent_version: String,
}

#[cfg(test)]
mod equipment_tests {
    use super::*;

    fn eq(id: &str, quantity: i64) -> EquipmentRequest {
        EquipmentRequest {
            id: id.into(),
            quantity,
        }
    }

    #[test]
    fn equipment_lines_for_the_same_item_are_added_up() {
        let merged =
            merge_equipment(&[eq("softbox", 1), eq("tripod", 2), eq("softbox", 2)]).unwrap();
        assert_eq!(
            merged,
            vec![("softbox".to_owned(), 3), ("tripod".to_owned(), 2)]
        );
    }

    #[test]
    fn too_many_equipment_lines_or_absurd_quantities_are_refused() {
        let many: Vec<_> = (0..=MAX_EQUIPMENT_LINES)
            .map(|i| eq(&format!("e{i}"), 1))
            .collect();
        assert_eq!(merge_equipment(&many).unwrap_err().code, "too_many_items");
        assert_eq!(
            merge_equipment(&[eq("a", 0)]).unwrap_err().code,
            "equipment_quantity"
        );
        assert_eq!(
            merge_equipment(&[eq("a", i64::MAX)]).unwrap_err().code,
            "equipment_quantity"
        );
        assert_eq!(
            merge_equipment(&[eq("a", MAX_EQUIPMENT_QUANTITY), eq("a", 1)])
                .unwrap_err()
                .code,
            "equipment_quantity"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_their_names() {
        for s in BookingState::ALL {
            assert_eq!(BookingState::parse(s.as_str()), Some(s));
        }
        assert_eq!(BookingState::parse("draft"), None);
    }

    #[test]
    fn every_pair_of_states_is_allowed_or_refused_per_role() {
        use BookingState::*;
        use TransitionError::*;
        let expected =
            |from: BookingState, to: BookingState, role: Role| -> Result<(), TransitionError> {
                let forward = [
                    (Pending, Confirmed),
                    (Pending, Cancelled),
                    (Confirmed, InProgress),
                    (Confirmed, Cancelled),
                    (Confirmed, NoShow),
                    (InProgress, Completed),
                    (InProgress, Cancelled),
                ];
                if forward.contains(&(from, to)) {
                    Ok(())
                } else if from.is_final() && to == Confirmed {
                    if role == Role::Manager {
                        Err(NotAllowedForRole)
                    } else {
                        Ok(())
                    }
                } else {
                    Err(Invalid)
                }
            };
        let mut allowed = 0;
        for role in [Role::Owner, Role::Admin, Role::Manager] {
            for from in BookingState::ALL {
                for to in BookingState::ALL {
                    let got = from.can_transition(to, role, "guest called back");
                    assert_eq!(
                        got,
                        expected(from, to, role),
                        "{from:?} -> {to:?} as {role:?}"
                    );
                    allowed += usize::from(got.is_ok());
                }
            }
        }
        // 7 forward arrows for each role, 3 reopenings for owner and admin.
        assert_eq!(allowed, 7 * 3 + 3 * 2);
        // Nothing ever goes back to new: the board's illegal drop.
        assert_eq!(
            Completed.can_transition(Pending, Role::Owner, "x"),
            Err(Invalid)
        );
    }

    #[test]
    fn reopening_needs_a_reason_and_a_senior_role() {
        use BookingState::*;
        assert_eq!(
            Cancelled.can_transition(Confirmed, Role::Admin, "  "),
            Err(TransitionError::ReasonRequired)
        );
        assert_eq!(
            Completed.can_transition(Confirmed, Role::Manager, "why"),
            Err(TransitionError::NotAllowedForRole)
        );
        assert_eq!(
            NoShow.can_transition(Confirmed, Role::Owner, "came late"),
            Ok(())
        );
        assert_eq!(
            Completed.can_transition(InProgress, Role::Owner, "oops"),
            Err(TransitionError::Invalid)
        );
        assert_eq!(
            Pending.can_transition(Pending, Role::Owner, "x"),
            Err(TransitionError::Invalid)
        );
    }

    #[test]
    fn cancelled_and_no_show_bookings_free_their_slot() {
        let holding: Vec<_> = BookingState::ALL
            .into_iter()
            .filter(|s| s.holds_slot())
            .collect();
        assert_eq!(
            holding,
            [
                BookingState::Pending,
                BookingState::Confirmed,
                BookingState::InProgress,
                BookingState::Completed
            ]
        );
    }
}
