//! The staff side of bookings: what the board, the list, the detail page
//! and the staff API exchange, and the live events pushed over `/ws`.
//! Browser-safe: the WASM board builds and reads these same types.

use super::{
    booking::{BookingSource, BookingState, EquipmentRequest},
    Money, PriceBreakdown, Role,
};
use serde::{Deserialize, Serialize};

/// The highest page number any list accepts: beyond it the offset would
/// mean nothing (and could overflow), so it is refused, not clamped.
pub const MAX_PAGE: i64 = 100_000;

/// A 1-based page number as a list accepts it, or the field error.
pub fn check_page(page: Option<i64>) -> Result<i64, crate::error::FieldError> {
    let page = page.unwrap_or(1);
    if (1..=MAX_PAGE).contains(&page) {
        Ok(page)
    } else {
        Err(crate::error::FieldError::new(
            "out_of_range",
            format!("From 1 to {MAX_PAGE}."),
        ))
    }
}

/// Whether the studio has been paid for a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    #[default]
    Unpaid,
    PartiallyPaid,
    Paid,
    Refunded,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 4] = [
        PaymentStatus::Unpaid,
        PaymentStatus::PartiallyPaid,
        PaymentStatus::Paid,
        PaymentStatus::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Unpaid => "unpaid",
            PaymentStatus::PartiallyPaid => "partially_paid",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentStatus> {
        PaymentStatus::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl BookingSource {
    pub const ALL: [BookingSource; 4] = [
        BookingSource::Website,
        BookingSource::Phone,
        BookingSource::WalkIn,
        BookingSource::Staff,
    ];

    pub fn parse(s: &str) -> Option<BookingSource> {
        BookingSource::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A booking as a card on the board and a row of the list. Times are
/// RFC 3339 in the studio's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BookingSummary {
    pub id: String,
    pub reference: String,
    pub state: BookingState,
    /// Optimistic-locking version: send it back with every change.
    pub version: i64,
    /// The space's slug.
    pub space: String,
    pub space_name: String,
    pub start_time: String,
    pub end_time: String,
    pub people_count: i64,
    pub client_name: String,
    /// E.164.
    pub client_phone: String,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub total_price: Money,
    pub payment_status: PaymentStatus,
    pub source: BookingSource,
}

/// What a card of the board shows of a booking: its markup is made from
/// this alone. The board reads these straight from its query (no phone to
/// open, no source to parse for 2,000 cards); a card refreshed in the
/// browser takes them from the booking's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardFacts<'a> {
    pub reference: &'a str,
    /// The space's slug.
    pub space: &'a str,
    pub space_name: &'a str,
    /// RFC 3339 on the studio's clock, as in [`BookingSummary`].
    pub start_time: &'a str,
    pub end_time: &'a str,
    pub people_count: i64,
    pub client_name: &'a str,
    pub total_price: Money,
    pub payment_status: PaymentStatus,
}

impl BookingSummary {
    /// What the booking's card shows.
    pub fn card_facts(&self) -> CardFacts<'_> {
        CardFacts {
            reference: &self.reference,
            space: &self.space,
            space_name: &self.space_name,
            start_time: &self.start_time,
            end_time: &self.end_time,
            people_count: self.people_count,
            client_name: &self.client_name,
            total_price: self.total_price,
            payment_status: self.payment_status,
        }
    }
}

/// Filters of the booking list (`GET /api/v1/bookings`); all optional.
/// Dates are the studio's local dates, `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct BookingQuery {
    /// Bookings starting on this date (years 2000 to 2100); when given,
    /// `from` and `to` are ignored.
    #[cfg_attr(feature = "ssr", param(format = Date))]
    pub date: Option<String>,
    /// Bookings starting on or after this date (years 2000 to 2100).
    #[cfg_attr(feature = "ssr", param(format = Date))]
    pub from: Option<String>,
    /// Bookings starting on or before this date (years 2000 to 2100).
    #[cfg_attr(feature = "ssr", param(format = Date))]
    pub to: Option<String>,
    /// One state or several, comma-separated (`pending,confirmed`), among
    /// `pending`, `confirmed`, `in_progress`, `completed`, `cancelled` and
    /// `no_show`.
    pub state: Option<String>,
    /// A space's slug.
    pub space: Option<String>,
    /// Part of the client's name or phone, or of the reference.
    pub q: Option<String>,
    /// 1-based page, 1 to 100000 (default 1).
    #[cfg_attr(feature = "ssr", param(minimum = 1, maximum = 100000))]
    pub page: Option<i64>,
    /// Rows per page, 1 to 200 (default 50).
    #[cfg_attr(feature = "ssr", param(minimum = 1, maximum = 200))]
    pub per_page: Option<i64>,
    /// `start_time` (default), `created_at`, `client_name`, `total_price` or
    /// `state`; a leading `-` sorts descending.
    pub sort: Option<String>,
}

/// A page of bookings and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BookingList {
    pub items: Vec<BookingSummary>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

/// One step of a booking's state history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StateHistoryEntry {
    pub from: Option<BookingState>,
    pub to: BookingState,
    pub reason: String,
    /// Who: an employee's name, or empty for the guest or the system.
    pub by: String,
    /// RFC 3339, studio time.
    pub at: String,
}

/// One audit entry about a booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BookingAuditEntry {
    pub at: String,
    pub by: String,
    pub action: String,
    /// What changed, as recorded (JSON).
    pub details: String,
}

/// Equipment on a booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EquipmentLine {
    pub id: String,
    pub name: String,
    pub quantity: i64,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub unit_price: Money,
    pub per_hour: bool,
}

/// Everything about one booking, for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BookingDetail {
    #[serde(flatten)]
    pub summary: BookingSummary,
    /// The phone as the client typed it.
    pub client_phone_display: String,
    pub client_email: Option<String>,
    pub special_requirements: String,
    /// Visible to the client.
    pub notes: String,
    /// Staff only.
    pub internal_notes: String,
    pub promo_code: Option<String>,
    pub price_breakdown: PriceBreakdown,
    pub equipment: Vec<EquipmentLine>,
    pub history: Vec<StateHistoryEntry>,
    pub audit: Vec<BookingAuditEntry>,
    pub time_zone: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A booking taken by staff (`POST /api/v1/bookings`): the guest's rules
/// for time, space and people apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffBookingRequest {
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
    /// As typed: 7 to 15 digits, at most 40 bytes once trimmed, a valid
    /// number (default region RU).
    #[cfg_attr(feature = "ssr", schema(min_length = 7, max_length = 40))]
    pub client_phone: String,
    /// Optional; blank means none. `name@example.com`-shaped, at most 254
    /// bytes once trimmed.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 254))]
    pub client_email: Option<String>,
    /// At most 2000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 2000))]
    pub special_requirements: Option<String>,
    /// Visible to the client; at most 4000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 4000))]
    pub notes: Option<String>,
    /// Staff only; at most 4000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 4000))]
    pub internal_notes: Option<String>,
    /// At most 20 lines.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_items = 20))]
    pub equipment: Vec<EquipmentRequest>,
    /// A code valid for the booking's start (case-insensitive); blank
    /// means none.
    #[serde(default)]
    pub promo_code: Option<String>,
    /// `phone`, `walk_in` or `staff` (the website is for guests).
    pub source: BookingSource,
    /// `pending` or `confirmed` (default: confirmed, staff took it).
    #[serde(default)]
    pub state: Option<BookingState>,
    #[serde(default)]
    pub payment_status: Option<PaymentStatus>,
    /// The client agreed, when asked by the employee taking the booking, to
    /// the processing of their personal data (the current consent text, see
    /// `/privacy`). Required: recorded with who took it.
    #[serde(default)]
    pub client_consent: bool,
}

/// Changes to a booking (`PUT /api/v1/bookings/{id}`): every field but
/// `version` is optional; a new space, start or end reschedules it under the
/// same rules as a new booking and re-prices it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BookingUpdate {
    /// The version the change was made against.
    pub version: i64,
    /// Space slug, e.g. `studio_a`.
    #[serde(default)]
    pub space: Option<String>,
    /// RFC 3339, on a full hour of the studio's clock.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub start_time: Option<String>,
    /// RFC 3339, on a full hour of the studio's clock, after the start.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub end_time: Option<String>,
    /// At least one; at most the space's capacity.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub people_count: Option<i64>,
    /// Not blank; at most 200 characters once runs of spaces are collapsed.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub client_name: Option<String>,
    /// As typed: 7 to 15 digits, at most 40 bytes once trimmed, a valid
    /// number (default region RU).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 7, max_length = 40))]
    pub client_phone: Option<String>,
    /// An empty string removes the e-mail. `name@example.com`-shaped, at
    /// most 254 bytes once trimmed.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 254))]
    pub client_email: Option<String>,
    /// At most 2000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 2000))]
    pub special_requirements: Option<String>,
    /// Visible to the client; at most 4000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 4000))]
    pub notes: Option<String>,
    /// Staff only; at most 4000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 4000))]
    pub internal_notes: Option<String>,
    #[serde(default)]
    pub payment_status: Option<PaymentStatus>,
}

impl BookingUpdate {
    /// Whether the change moves the booking in time or space.
    pub fn reschedules(&self) -> bool {
        self.space.is_some()
            || self.start_time.is_some()
            || self.end_time.is_some()
            || self.people_count.is_some()
    }
}

/// One operation of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum BatchOperation {
    /// Move along the state machine.
    Transition {
        id: String,
        target_state: BookingState,
        /// Why; required (not blank) to reopen a final booking. At most
        /// 500 characters.
        #[serde(default)]
        #[cfg_attr(feature = "ssr", schema(max_length = 500))]
        reason: Option<String>,
        #[serde(default)]
        version: Option<i64>,
    },
    /// Edit (see `PUT /api/v1/bookings/{id}`).
    Update {
        id: String,
        #[serde(flatten)]
        changes: Box<BookingUpdate>,
    },
    /// Soft-delete (owners and admins).
    Delete {
        id: String,
        #[serde(default)]
        version: Option<i64>,
    },
}

/// Several operations in one transaction: all or nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BatchRequest {
    /// 1 to 100 operations.
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 100))]
    pub operations: Vec<BatchOperation>,
}

/// The outcome of one operation of a batch that went through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BatchOutcome {
    pub id: String,
    pub state: BookingState,
    pub version: i64,
    pub deleted: bool,
}

/// A space in a filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceOption {
    pub slug: String,
    pub name: String,
}

/// One card of the board. A busy board holds thousands, and with a
/// server-rendered board the browser already has each card's markup in the
/// page: what travels beside it in the hydration data is only what sorting
/// and moving need — the id, the version and the start. The markup (`html`)
/// is made on the server; it travels in the data only when the browser
/// asks for a board it does not have (see [`BoardColumn::with_markup`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardCard {
    pub id: String,
    pub state: BookingState,
    pub version: i64,
    /// RFC 3339 on the studio's clock: the cards' order.
    pub start_time: String,
    /// The card's inside, in the page's language (see the board page).
    pub html: String,
}

impl BoardCard {
    /// A card of a booking, its markup still to be made.
    pub fn of(b: &BookingSummary) -> BoardCard {
        BoardCard {
            id: b.id.clone(),
            state: b.state,
            version: b.version,
            start_time: b.start_time.clone(),
            html: String::new(),
        }
    }
}

/// One column of the board.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "ColumnWire")]
pub struct BoardColumn {
    pub state: BookingState,
    /// How many bookings the column holds in the filtered range.
    pub total: i64,
    pub cards: Vec<BoardCard>,
    /// Whether the cards' markup travels with the column: yes when the
    /// browser fetches a board (a filter, a page opened inside the app),
    /// no for the board the server renders into a page, whose markup the
    /// browser reads from the page. Not itself sent.
    pub with_markup: bool,
}

/// A column as it travels: its state once, then `[id, version, start,
/// markup]` per card (the markup empty when it stays in the page).
#[derive(Deserialize)]
struct ColumnWire(BookingState, i64, Vec<(String, i64, String, String)>);

/// Written as a [`ColumnWire`] straight from the column's cards, without
/// copying them (serde's `into` would clone a board's every card first).
impl Serialize for BoardColumn {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeSeq, SerializeTupleStruct};
        struct Cards<'a>(&'a BoardColumn);
        impl Serialize for Cards<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut seq = serializer.serialize_seq(Some(self.0.cards.len()))?;
                for card in &self.0.cards {
                    let html = if self.0.with_markup {
                        card.html.as_str()
                    } else {
                        ""
                    };
                    seq.serialize_element(&(&card.id, card.version, &card.start_time, html))?;
                }
                seq.end()
            }
        }
        let mut wire = serializer.serialize_tuple_struct("ColumnWire", 3)?;
        wire.serialize_field(&self.state)?;
        wire.serialize_field(&self.total)?;
        wire.serialize_field(&Cards(self))?;
        wire.end()
    }
}

impl From<ColumnWire> for BoardColumn {
    fn from(ColumnWire(state, total, cards): ColumnWire) -> Self {
        BoardColumn {
            state,
            total,
            cards: cards
                .into_iter()
                .map(|(id, version, start_time, html)| BoardCard {
                    id,
                    state,
                    version,
                    start_time,
                    html,
                })
                .collect(),
            with_markup: false,
        }
    }
}

/// Filters of the board; dates are local `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BoardQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub space: Option<String>,
    pub q: Option<String>,
    /// How many of each final column (completed, cancelled, no-show) to show.
    pub recent: Option<i64>,
}

/// Everything the board shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardData {
    pub columns: Vec<BoardColumn>,
    pub spaces: Vec<SpaceOption>,
    pub from: String,
    pub to: String,
    pub recent: i64,
    /// The newest event when the board was read: the live feed resumes
    /// after it, so nothing between the read and the socket is missed.
    pub last_event_id: i64,
    pub role: Role,
}

/// A change pushed over `/ws`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveEvent {
    /// `BookingCreated`, `BookingUpdated`, `BookingRescheduled`,
    /// `BookingStateChanged`, `BookingDeleted`; or `resync` when the
    /// client missed too much and should reload.
    #[serde(rename = "type")]
    pub kind: String,
    /// `booking` or `block` (a blocked period; its id is in `booking_id`).
    #[serde(default = "booking_aggregate")]
    pub aggregate: String,
    /// The `domain_events` id: reconnect with `?since=` it.
    pub event_id: i64,
    pub booking_id: String,
    pub state: Option<BookingState>,
    pub version: Option<i64>,
    /// Employee id, or `guest`, or empty for the system.
    pub by: String,
    /// RFC 3339 UTC.
    pub at: String,
}

fn booking_aggregate() -> String {
    "booking".into()
}

/// The arrow to the next column forward, for the keyboard.
pub fn next_forward(state: BookingState) -> Option<BookingState> {
    match state {
        BookingState::Pending => Some(BookingState::Confirmed),
        BookingState::Confirmed => Some(BookingState::InProgress),
        BookingState::InProgress => Some(BookingState::Completed),
        _ => None,
    }
}

/// Where a booking in `from` may go for an employee of `role`; reopening is
/// listed for owners and admins (it asks for a reason).
pub fn targets(from: BookingState, role: Role) -> Vec<BookingState> {
    BookingState::ALL
        .into_iter()
        .filter(|to| {
            *to != from
                && matches!(
                    from.can_transition(*to, role, "reason"),
                    Ok(()) | Err(super::booking::TransitionError::ReasonRequired)
                )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_column_travels_with_ids_versions_and_starts_only() {
        let mut column = super::BoardColumn {
            state: super::BookingState::Confirmed,
            total: 7,
            cards: vec![super::BoardCard {
                id: "0193a5b2-7c4d-4e8f-9a1b-2c3d4e5f6a7b".into(),
                state: super::BookingState::Confirmed,
                version: 3,
                start_time: "2026-11-28T10:00:00+03:00".into(),
                html: "<b>Анна</b>".into(),
            }],
            with_markup: true,
        };
        let sent = serde_json::to_string(&column).unwrap();
        let fetched: super::BoardColumn = serde_json::from_str(&sent).unwrap();
        assert_eq!(
            fetched.cards[0].html, "<b>Анна</b>",
            "a fetched board carries its markup"
        );
        column.with_markup = false;
        let json = serde_json::to_string(&column).unwrap();
        assert_eq!(
            json,
            "[\"confirmed\",7,[[\"0193a5b2-7c4d-4e8f-9a1b-2c3d4e5f6a7b\",3,\"2026-11-28T10:00:00+03:00\",\"\"]]]"
        );
        let back: super::BoardColumn = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.cards[0].state,
            super::BookingState::Confirmed,
            "from the column"
        );
        assert_eq!(back.cards[0].html, "", "the markup stays in the page");
    }

    use super::*;

    #[test]
    fn payment_statuses_and_sources_round_trip() {
        for p in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(p.as_str()), Some(p));
        }
        for s in BookingSource::ALL {
            assert_eq!(BookingSource::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn targets_follow_the_machine_per_role() {
        use BookingState::*;
        assert_eq!(targets(Pending, Role::Manager), vec![Confirmed, Cancelled]);
        assert_eq!(
            targets(Confirmed, Role::Manager),
            vec![InProgress, Cancelled, NoShow]
        );
        assert!(targets(Completed, Role::Manager).is_empty());
        assert_eq!(targets(Completed, Role::Admin), vec![Confirmed]);
        assert_eq!(next_forward(InProgress), Some(Completed));
        assert_eq!(next_forward(Cancelled), None);
    }

    #[test]
    fn batch_operations_read_their_tag() {
        let ops: BatchRequest = serde_json::from_str(
            r#"{"operations":[{"op":"transition","id":"a","target_state":"confirmed"},
                {"op":"update","id":"b","version":3,"internal_notes":"x"},
                {"op":"delete","id":"c"}]}"#,
        )
        .unwrap();
        assert!(
            matches!(&ops.operations[1], BatchOperation::Update { changes, .. } if changes.version == 3)
        );
        assert!(matches!(
            &ops.operations[2],
            BatchOperation::Delete { version: None, .. }
        ));
    }
}
