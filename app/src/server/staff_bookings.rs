//! Bookings as staff work with them: the board, the list with its filters,
//! one booking in full, bookings taken by phone or at the desk, edits and
//! reschedules under optimistic locking, soft deletion and batches. The
//! REST handlers and the server functions of the staff UI both call these.

use super::{
    audit::{self, Actor, AuditFilter},
    bookings::{
        self, check_booking, day_start, deny, rfc3339, slot_taken, transition_in, version_conflict,
        Client, Fields, Provenance,
    },
    credentials::actor_of,
    credentials::{Origin, Principal},
    events::{self, NewEvent},
    now_epoch,
    pii::Vault,
    rules::StudioConfig,
    store::{bind_all, is_overlap_violation, placeholders, with_pool, with_tx, Arg, Store, Tx},
    AppState,
};
use crate::{
    domain::{
        board::{
            BatchOperation, BatchOutcome, BoardCard, BoardColumn, BoardData, BoardQuery,
            BookingAuditEntry, BookingDetail, BookingList, BookingQuery, BookingSummary,
            BookingUpdate, CardFacts, EquipmentLine, PaymentStatus, SpaceOption,
            StaffBookingRequest, StateHistoryEntry,
        },
        booking::{BookingSource, BookingState, EquipmentRequest, QuoteRequest},
        pricing::{quote, Discount, EquipmentCharge, PriceBreakdown},
        Email, FullName, Money, Phone, Role,
    },
    error::{AppError, FieldError},
};
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// What a board card needs of a booking (see [`CardFacts`]).
macro_rules! card_columns {
    () => {
        "b.id, b.reference, b.state, b.version, s.slug, s.name AS space_name, \
         b.starts_at, b.ends_at, b.people_count, b.client_name, b.price_total, b.payment_status"
    };
}
const CARD_COLUMNS: &str = card_columns!();
/// A booking's summary: a card's columns, the phone and the source.
const SUMMARY_COLUMNS: &str = concat!(card_columns!(), ", b.client_phone, b.source");
const FROM: &str = "FROM bookings b JOIN spaces s ON s.id = b.space_id";

#[derive(sqlx::FromRow)]
struct CardRow {
    id: String,
    reference: String,
    state: String,
    version: i32,
    slug: String,
    space_name: String,
    starts_at: i64,
    ends_at: i64,
    people_count: i32,
    client_name: String,
    price_total: i64,
    payment_status: String,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    #[sqlx(flatten)]
    card: CardRow,
    client_phone: String,
    source: String,
}

fn at(t: i64) -> Result<DateTime<Utc>, AppError> {
    DateTime::from_timestamp(t, 0).ok_or(AppError::Internal)
}

impl CardRow {
    /// What a card and a summary both read from the row: its state, its
    /// payment status, and its start and end in RFC 3339 on the studio's
    /// clock. A value the database should never hold is an internal error.
    fn read(&self, config: &StudioConfig) -> Result<CardRead, AppError> {
        Ok(CardRead {
            state: BookingState::parse(&self.state).ok_or(AppError::Internal)?,
            payment_status: PaymentStatus::parse(&self.payment_status).ok_or(AppError::Internal)?,
            start_time: rfc3339(config, at(self.starts_at)?),
            end_time: rfc3339(config, at(self.ends_at)?),
        })
    }
}

/// See [`CardRow::read`].
struct CardRead {
    state: BookingState,
    payment_status: PaymentStatus,
    start_time: String,
    end_time: String,
}

impl SummaryRow {
    fn into_summary(self, config: &StudioConfig) -> Result<BookingSummary, AppError> {
        let c = self.card;
        let read = c.read(config)?;
        Ok(BookingSummary {
            state: read.state,
            payment_status: read.payment_status,
            source: BookingSource::parse(&self.source).ok_or(AppError::Internal)?,
            start_time: read.start_time,
            end_time: read.end_time,
            id: c.id,
            reference: c.reference,
            version: i64::from(c.version),
            space: c.slug,
            space_name: c.space_name,
            people_count: i64::from(c.people_count),
            client_name: c.client_name,
            client_phone: self.client_phone,
            total_price: Money::from_minor(c.price_total),
        })
    }
}

/// `WHERE` conditions and their values, numbered as they are added.
#[derive(Default)]
struct Filter {
    conditions: Vec<String>,
    args: Vec<Arg>,
}

impl Filter {
    fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    fn sql(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.conditions.join(" AND "))
        }
    }
}

fn parse_date(field: &str, raw: &str, errors: &mut Fields) -> Option<NaiveDate> {
    let parsed = crate::domain::calendar::parse_date(raw);
    if parsed.is_none() {
        errors.insert(
            field.into(),
            FieldError::new("invalid_date", "Use a date like 2026-12-31."),
        );
    }
    parsed
}

/// The digits of a search that may be (part of) a phone number.
pub(super) fn phone_digits(q: &str) -> String {
    q.chars().filter(char::is_ascii_digit).collect()
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub(super) fn like_pattern(s: &str) -> String {
    let mut out = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.extend(c.to_lowercase());
    }
    out.push('%');
    out
}

/// The common filters: a local date range, states, a space, and a search.
#[allow(clippy::too_many_arguments)]
fn filter(
    vault: &Vault,
    config: &StudioConfig,
    from: Option<&str>,
    to: Option<&str>,
    states: Option<&str>,
    space: Option<&str>,
    q: Option<&str>,
    errors: &mut Fields,
) -> Filter {
    let mut f = Filter::default();
    f.conditions.push("b.deleted_at IS NULL".into());
    fn nonempty(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|v| !v.is_empty())
    }
    if let Some(d) = nonempty(from).and_then(|d| parse_date("from", d, errors)) {
        let p = f.arg(Arg::Int(day_start(config, d).timestamp()));
        f.conditions.push(format!("b.starts_at >= {p}"));
    }
    if let Some(d) = nonempty(to).and_then(|d| parse_date("to", d, errors)) {
        let p = f.arg(Arg::Int(
            day_start(config, d + Duration::days(1)).timestamp(),
        ));
        f.conditions.push(format!("b.starts_at < {p}"));
    }
    if let Some(list) = nonempty(states) {
        let mut placeholders = Vec::new();
        for raw in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match BookingState::parse(raw) {
                Some(s) => placeholders.push(f.arg(Arg::Text(s.as_str().into()))),
                None => {
                    errors.insert(
                        "state".into(),
                        FieldError::new("unknown_state", "Unknown booking state."),
                    );
                }
            }
        }
        if !placeholders.is_empty() {
            f.conditions
                .push(format!("b.state IN ({})", placeholders.join(", ")));
        }
    }
    if let Some(space) = nonempty(space) {
        let p = f.arg(Arg::Text(space.to_owned()));
        f.conditions.push(format!("s.slug = {p}"));
    }
    if let Some(q) = nonempty(q) {
        let text = f.arg(Arg::Text(like_pattern(q)));
        let mut alternatives = vec![format!("LOWER(b.reference) LIKE {text} ESCAPE '\\'")];
        alternatives.extend(client_search(vault, q, &mut |a| f.arg(a)));
        f.conditions
            .push(format!("({})", alternatives.join(" OR ")));
    }
    f
}

/// What a search of the client's personal data looks for, through the
/// blind indexes: the whole e-mail, the whole phone number (in any format
/// that parses), or the beginnings of the name's words in any order and
/// case (all of them).
pub(super) enum ClientMatch {
    Email(String),
    Phone(String),
    Name(Vec<String>),
}

pub(super) fn client_matches(vault: &Vault, q: &str) -> Vec<ClientMatch> {
    if q.contains('@') {
        return vec![ClientMatch::Email(vault.email_index(q))];
    }
    let mut matches = Vec::new();
    if phone_digits(q).len() >= 7 {
        if let Ok(phone) = Phone::parse(q) {
            matches.push(ClientMatch::Phone(vault.phone_index(phone.e164())));
        }
    }
    let tokens = vault.name_query(q);
    if !tokens.is_empty() {
        matches.push(ClientMatch::Name(tokens));
    }
    matches
}

/// Conditions on `b` (bookings) for a search of the client's personal data
/// ([`client_matches`]); `arg` numbers the values.
pub(super) fn client_search(
    vault: &Vault,
    q: &str,
    arg: &mut dyn FnMut(Arg) -> String,
) -> Vec<String> {
    client_matches(vault, q)
        .into_iter()
        .map(|m| match m {
            ClientMatch::Email(key) => format!("b.client_email_bidx = {}", arg(Arg::Text(key))),
            ClientMatch::Phone(key) => format!("b.client_phone_bidx = {}", arg(Arg::Text(key))),
            ClientMatch::Name(tokens) => {
                let all: Vec<String> = tokens
                    .into_iter()
                    .map(|t| {
                        let p = arg(Arg::Text(t));
                        format!(
                            "b.id IN (SELECT booking_id FROM client_name_index WHERE token = {p} \
                             UNION ALL SELECT booking_id FROM client_name_pending WHERE token = {p})"
                        )
                    })
                    .collect();
                format!("({})", all.join(" AND "))
            }
        })
        .collect()
}

async fn summaries(
    store: &Store,
    config: &StudioConfig,
    sql: &str,
    args: &[Arg],
) -> Result<Vec<BookingSummary>, AppError> {
    let rows: Vec<SummaryRow> = with_pool!(store, p => bind_all!(sqlx::query_as(sql), args)
        .fetch_all(p)
        .await)?;
    let vault = store.vault()?;
    rows.into_iter()
        .map(|mut r| {
            r.card.client_name = vault.open(&r.card.client_name)?;
            r.client_phone = vault.open(&r.client_phone)?;
            r.into_summary(config)
        })
        .collect()
}

/// The cards of the bookings `sql` selects ([`CARD_COLUMNS`]), their
/// markup made by `markup`.
async fn cards(
    store: &Store,
    config: &StudioConfig,
    sql: &str,
    args: &[Arg],
    markup: &(dyn Fn(&CardFacts<'_>) -> String + Sync),
) -> Result<Vec<BoardCard>, AppError> {
    use futures_util::TryStreamExt;
    let vault = store.vault()?;
    let card = |r: CardRow| {
        let client_name = vault.open(&r.client_name)?;
        let read = r.read(config)?;
        let html = markup(&CardFacts {
            reference: &r.reference,
            space: &r.slug,
            space_name: &r.space_name,
            start_time: &read.start_time,
            end_time: &read.end_time,
            people_count: i64::from(r.people_count),
            client_name: &client_name,
            total_price: Money::from_minor(r.price_total),
            payment_status: read.payment_status,
        });
        Ok::<_, AppError>(BoardCard {
            state: read.state,
            version: i64::from(r.version),
            id: r.id,
            start_time: read.start_time,
            html,
        })
    };
    // Each card is made as its row arrives, while SQLite's thread (or
    // PostgreSQL) reads the next ones, instead of after the last.
    let mut out = Vec::new();
    with_pool!(store, p => {
        let mut rows = bind_all!(sqlx::query_as::<_, CardRow>(sql), args).fetch(p);
        while let Some(r) = rows.try_next().await? {
            out.push(card(r)?);
        }
    });
    Ok(out)
}

async fn config(state: &AppState) -> Result<std::sync::Arc<StudioConfig>, AppError> {
    super::rules::studio_config(&state.store, &state.rules_cache).await
}

/// Bookings matching `query`, a page at a time.
pub async fn list(state: &AppState, query: &BookingQuery) -> Result<BookingList, AppError> {
    let config = config(state).await?;
    let mut errors = Fields::new();
    let (from, to) = match query.date.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => (Some(d), Some(d)),
        None => (query.from.as_deref(), query.to.as_deref()),
    };
    let mut f = filter(
        state.store.vault()?,
        &config,
        from,
        to,
        query.state.as_deref(),
        query.space.as_deref(),
        query.q.as_deref(),
        &mut errors,
    );
    let sort = query
        .sort
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("start_time");
    let (column, desc) = match sort.strip_prefix('-') {
        Some(c) => (c, true),
        None => (sort, false),
    };
    let order = match column {
        "start_time" => "b.starts_at",
        "created_at" => "b.created_at",
        // Sealed: sorted here, after opening (see below).
        "client_name" => "b.id",
        "total_price" => "b.price_total",
        "state" => "b.state",
        _ => {
            errors.insert(
                "sort".into(),
                FieldError::new(
                    "unknown_sort",
                    "Sort by start_time, created_at, client_name, total_price or state.",
                ),
            );
            "b.starts_at"
        }
    };
    let per_page = query.per_page.unwrap_or(50);
    if !(1..=200).contains(&per_page) {
        errors.insert(
            "per_page".into(),
            FieldError::new("out_of_range", "Between 1 and 200."),
        );
    }
    let page = query.page.unwrap_or(1);
    if let Err(e) = crate::domain::board::check_page(Some(page)) {
        errors.insert("page".into(), e);
    }
    if !errors.is_empty() {
        return Err(AppError::Validation { fields: errors });
    }
    let where_sql = f.sql();
    let count_sql = format!("SELECT COUNT(*) {FROM} {where_sql}");
    let total: i64 = with_pool!(&state.store, p => bind_all!(sqlx::query_scalar(&count_sql), &f.args)
        .fetch_one(p)
        .await)?;
    if column == "client_name" {
        let items = by_client_name(
            state, &config, &where_sql, &f.args, total, desc, page, per_page,
        )
        .await?;
        return Ok(BookingList {
            items,
            page,
            per_page,
            total,
        });
    }
    let limit = f.arg(Arg::Int(per_page));
    let offset = f.arg(Arg::Int((page - 1) * per_page));
    let dir = if desc { "DESC" } else { "ASC" };
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} {FROM} {where_sql} ORDER BY {order} {dir}, b.id LIMIT {limit} OFFSET {offset}"
    );
    let items = summaries(&state.store, &config, &sql, &f.args).await?;
    Ok(BookingList {
        items,
        page,
        per_page,
        total,
    })
}

/// Names are sealed, so the database cannot order by them: the matching
/// bookings' names are opened and sorted here (up to [`NAME_SORT_LIMIT`]
/// of them; more asks for a narrower filter), then the page is read.
#[allow(clippy::too_many_arguments)]
async fn by_client_name(
    state: &AppState,
    config: &StudioConfig,
    where_sql: &str,
    args: &[Arg],
    total: i64,
    desc: bool,
    page: i64,
    per_page: i64,
) -> Result<Vec<BookingSummary>, AppError> {
    if total > NAME_SORT_LIMIT {
        return Err(AppError::field(
            "sort",
            FieldError::new(
                "too_many_to_sort",
                format!("Sorting by name works on up to {NAME_SORT_LIMIT} bookings: narrow the dates or the search."),
            ),
        ));
    }
    let sql = format!("SELECT b.id, b.client_name {FROM} {where_sql}");
    let rows: Vec<(String, String)> = with_pool!(&state.store, p => bind_all!(sqlx::query_as(&sql), args)
        .fetch_all(p)
        .await)?;
    let vault = state.store.vault()?;
    let mut named = rows
        .into_iter()
        .map(|(id, name)| Ok((vault.open(&name)?.to_lowercase(), id)))
        .collect::<Result<Vec<_>, AppError>>()?;
    named.sort();
    if desc {
        named.reverse();
    }
    let start = usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX);
    let ids: Vec<String> = named
        .into_iter()
        .skip(start)
        .take(usize::try_from(per_page).unwrap_or(0))
        .map(|(_, id)| id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} {FROM} WHERE b.id IN ({})",
        placeholders(1, ids.len())
    );
    let args: Vec<Arg> = ids.iter().cloned().map(Arg::Text).collect();
    let mut items = summaries(&state.store, config, &sql, &args).await?;
    items.sort_by_key(|b| ids.iter().position(|id| *id == b.id));
    Ok(items)
}

const NAME_SORT_LIMIT: i64 = 20_000;

/// Open columns show every booking of the range; final ones the most
/// recent, `recent` at a time.
const OPEN: [BookingState; 3] = [
    BookingState::Pending,
    BookingState::Confirmed,
    BookingState::InProgress,
];
const FINAL: [BookingState; 3] = [
    BookingState::Completed,
    BookingState::Cancelled,
    BookingState::NoShow,
];
/// A safety net for the open columns: a board is for a few weeks.
const OPEN_LIMIT: i64 = 5000;

/// The board: six columns over a date range (yesterday to two weeks
/// ahead unless asked otherwise). `markup` makes the inside of each card
/// (the page's business: its language, its look).
pub async fn board(
    state: &AppState,
    role: Role,
    query: &BoardQuery,
    markup: &(dyn Fn(&CardFacts<'_>) -> String + Sync),
) -> Result<BoardData, AppError> {
    let config = config(state).await?;
    let today = config.rules.local_date(Utc::now());
    let mut errors = Fields::new();
    let date_or =
        |raw: &Option<String>, field: &str, default: NaiveDate, errors: &mut Fields| match raw
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            Some(d) => parse_date(field, d, errors).unwrap_or(default),
            None => default,
        };
    let from = date_or(&query.from, "from", today - Duration::days(1), &mut errors);
    let to = date_or(&query.to, "to", today + Duration::days(13), &mut errors);
    let recent = query.recent.unwrap_or(20).clamp(1, 500);
    let (from_s, to_s) = (from.to_string(), to.to_string());
    let vault = state.store.vault()?;
    let base = |errors: &mut Fields| {
        filter(
            vault,
            &config,
            Some(&from_s),
            Some(&to_s),
            None,
            query.space.as_deref(),
            query.q.as_deref(),
            errors,
        )
    };
    let f = base(&mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation { fields: errors });
    }
    // Read before the cards: a change committed after this id is replayed
    // on top of them by the live feed, so none falls between the two.
    let last_event_id = super::live::last_event_id(&state.store).await?;
    let where_sql = f.sql();
    let counts_sql = format!("SELECT b.state, COUNT(*) {FROM} {where_sql} GROUP BY b.state");
    let counts = async {
        let rows: Vec<(String, i64)> = with_pool!(&state.store, p => bind_all!(sqlx::query_as(&counts_sql), &f.args)
            .fetch_all(p)
            .await)?;
        Ok::<_, AppError>(rows)
    };
    let open_query = {
        let mut f = base(&mut errors);
        f.conditions
            .push("b.state IN ('pending', 'confirmed', 'in_progress')".into());
        let limit = f.arg(Arg::Int(OPEN_LIMIT));
        // In the order of the index by start time and space, so the rows
        // come as the index is read: nothing is sorted, and the first card
        // is made while the database reads the next rows (ordered by id
        // after the start, SQLite sorted all 2,000 rows before handing
        // over the first). The order is total: open bookings hold their
        // space, so no two start at the same time in the same space.
        let sql = format!(
            "SELECT {CARD_COLUMNS} {FROM} {} ORDER BY b.starts_at, b.space_id LIMIT {limit}",
            f.sql()
        );
        (sql, f.args)
    };
    let final_queries = FINAL.map(|s| {
        let mut f = base(&mut errors);
        let p = f.arg(Arg::Text(s.as_str().into()));
        f.conditions.push(format!("b.state = {p}"));
        let limit = f.arg(Arg::Int(recent));
        let sql = format!(
            "SELECT {CARD_COLUMNS} {FROM} {} ORDER BY b.starts_at DESC, b.id LIMIT {limit}",
            f.sql()
        );
        (sql, f.args)
    });
    let store = &state.store;
    // The board's reads do not depend on one another: each on a
    // connection of its own at once, so the counts and the short columns
    // are read while the open cards are, and an employee opening the board
    // waits for the longest read, not for all of them in turn.
    let finals = futures_util::future::try_join_all(
        final_queries
            .iter()
            .map(|(sql, args)| cards(store, &config, sql, args, markup)),
    );
    let (counts, mut open, finals, spaces) = tokio::try_join!(
        counts,
        cards(store, &config, &open_query.0, &open_query.1, markup),
        finals,
        state.active_spaces(),
    )?;
    let count_of = |s: BookingState| {
        counts
            .iter()
            .find(|(name, _)| name == s.as_str())
            .map_or(0, |(_, n)| *n)
    };
    let mut columns = Vec::with_capacity(6);
    for s in OPEN {
        let (cards, rest): (Vec<_>, Vec<_>) = open.into_iter().partition(|c| c.state == s);
        open = rest;
        columns.push(BoardColumn {
            state: s,
            total: count_of(s),
            cards,
            with_markup: true,
        });
    }
    for (s, cards) in FINAL.into_iter().zip(finals) {
        columns.push(BoardColumn {
            state: s,
            total: count_of(s),
            cards,
            with_markup: true,
        });
    }
    Ok(BoardData {
        columns,
        spaces,
        from: from_s,
        to: to_s,
        recent,
        last_event_id,
        role,
    })
}

impl AppState {
    /// The active spaces, for filters.
    pub async fn active_spaces(&self) -> Result<Vec<SpaceOption>, AppError> {
        let rows: Vec<(String, String)> = with_pool!(&self.store, p => sqlx::query_as(
            "SELECT slug, name FROM spaces WHERE active = TRUE ORDER BY sort_order, name"
        )
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(slug, name)| SpaceOption { slug, name })
            .collect())
    }
}

/// One card, for a live update.
pub async fn summary(state: &AppState, id: &str) -> Result<BookingSummary, AppError> {
    let config = config(state).await?;
    let sql = format!("SELECT {SUMMARY_COLUMNS} {FROM} WHERE b.id = $1 AND b.deleted_at IS NULL");
    summaries(&state.store, &config, &sql, &[Arg::Text(id.to_owned())])
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("booking"))
}

#[derive(sqlx::FromRow)]
struct DetailRow {
    client_phone_display: String,
    client_email: Option<String>,
    special_requirements: String,
    notes: String,
    internal_notes: String,
    promo_code: Option<String>,
    price_base: i64,
    price_equipment: i64,
    price_extra_people: i64,
    price_discount: i64,
    created_at: i64,
    updated_at: i64,
}

/// Everything about one booking: price, equipment, state history and the
/// audit trail.
pub async fn detail(state: &AppState, id: &str) -> Result<BookingDetail, AppError> {
    let config = config(state).await?;
    let summary = summary(state, id).await?;
    let store = &state.store;
    let row: DetailRow = with_pool!(store, p => sqlx::query_as(
        "SELECT client_phone_display, client_email, special_requirements, notes, internal_notes, promo_code, \
         price_base, price_equipment, price_extra_people, price_discount, created_at, updated_at \
         FROM bookings WHERE id = $1"
    )
    .bind(id)
    .fetch_one(p)
    .await)?;
    let equipment: Vec<(String, String, i32, i64, bool)> = with_pool!(store, p => sqlx::query_as(
        "SELECT e.id, e.name, be.quantity, be.unit_price, be.per_hour \
         FROM booking_equipment be JOIN equipment e ON e.id = be.equipment_id \
         WHERE be.booking_id = $1 ORDER BY e.name"
    )
    .bind(id)
    .fetch_all(p)
    .await)?;
    type HistoryRow = (Option<String>, String, String, Option<String>, i64);
    let history: Vec<HistoryRow> = with_pool!(store, p => sqlx::query_as(
        "SELECT h.from_state, h.to_state, h.reason, e.full_name, h.at \
         FROM booking_state_history h LEFT JOIN employees e ON e.id = h.actor \
         WHERE h.booking_id = $1 ORDER BY h.id"
    )
    .bind(id)
    .fetch_all(p)
    .await)?;
    let trail = audit::search(
        store,
        &AuditFilter {
            target: Some(id.to_owned()),
            ..Default::default()
        },
        Some(200),
    )
    .await?;
    // The trail names employees as the state history does: by full name.
    let mut acted: Vec<&str> = trail
        .entries
        .iter()
        .filter_map(|e| e.actor_id.as_deref())
        .collect();
    acted.sort_unstable();
    acted.dedup();
    let actors = audit::employee_names(store, &acted).await?;
    let (start, end) = (
        chrono::DateTime::parse_from_rfc3339(&summary.start_time)
            .map_err(|_| AppError::Internal)?,
        chrono::DateTime::parse_from_rfc3339(&summary.end_time).map_err(|_| AppError::Internal)?,
    );
    let breakdown = PriceBreakdown {
        hours: (end - start).num_minutes().div_euclid(60),
        base: Money::from_minor(row.price_base),
        equipment: Money::from_minor(row.price_equipment),
        extra_people: Money::from_minor(row.price_extra_people),
        discount: Money::from_minor(row.price_discount),
        total: summary.total_price,
    };
    let vault = store.vault()?;
    Ok(BookingDetail {
        client_phone_display: vault.open(&row.client_phone_display)?,
        client_email: vault.open_opt(row.client_email.as_deref())?,
        special_requirements: vault.open(&row.special_requirements)?,
        notes: vault.open(&row.notes)?,
        internal_notes: vault.open(&row.internal_notes)?,
        promo_code: row.promo_code,
        price_breakdown: breakdown,
        equipment: equipment
            .into_iter()
            .map(|(id, name, quantity, unit_price, per_hour)| EquipmentLine {
                id,
                name,
                quantity: i64::from(quantity),
                unit_price: Money::from_minor(unit_price),
                per_hour,
            })
            .collect(),
        history: history
            .into_iter()
            .map(|(from, to, reason, by, t)| {
                Ok(StateHistoryEntry {
                    from: from.as_deref().and_then(BookingState::parse),
                    to: BookingState::parse(&to).ok_or(AppError::Internal)?,
                    reason,
                    by: by.unwrap_or_default(),
                    at: rfc3339(&config, at(t)?),
                })
            })
            .collect::<Result<_, AppError>>()?,
        audit: trail
            .entries
            .into_iter()
            .map(|e| {
                Ok(BookingAuditEntry {
                    at: rfc3339(&config, at(e.at)?),
                    by: audit::actor_label(&actors, &e),
                    action: e.action,
                    details: e.details.to_string(),
                })
            })
            .collect::<Result<_, AppError>>()?,
        time_zone: config.time_zone_name.clone(),
        created_at: rfc3339(&config, at(row.created_at)?),
        updated_at: rfc3339(&config, at(row.updated_at)?),
        summary,
    })
}

const NOTES_MAX: usize = 4000;

fn check_text(field: &str, value: &str, max: usize, errors: &mut Fields) {
    if value.chars().count() > max {
        errors.insert(
            field.into(),
            FieldError::new("text_too_long", format!("At most {max} characters.")),
        );
    }
}

fn optional_email(raw: Option<&str>, errors: &mut Fields) -> Option<String> {
    match raw.map(str::trim).filter(|e| !e.is_empty()) {
        None => None,
        Some(raw) => Email::parse(raw)
            .map_err(|e| errors.insert("client_email".into(), e))
            .ok()
            .map(|e| e.as_str().to_owned()),
    }
}

/// A booking taken by phone, at the desk or by staff: the guest's rules for
/// time, space, people and conflicts, audited, confirmed unless asked.
#[tracing::instrument(skip_all, fields(space = %req.space))]
pub async fn create(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    req: &StaffBookingRequest,
) -> Result<BookingDetail, AppError> {
    let config = config(state).await?;
    let mut errors = Fields::new();
    let name = FullName::parse(&req.client_name)
        .map_err(|e| errors.insert("client_name".into(), e))
        .ok();
    let phone = Phone::parse(&req.client_phone)
        .map_err(|e| errors.insert("client_phone".into(), e))
        .ok();
    let email = optional_email(req.client_email.as_deref(), &mut errors);
    let requirements = req.special_requirements.clone().unwrap_or_default();
    check_text("special_requirements", &requirements, 2000, &mut errors);
    let notes = req.notes.clone().unwrap_or_default();
    check_text("notes", &notes, NOTES_MAX, &mut errors);
    let internal_notes = req.internal_notes.clone().unwrap_or_default();
    check_text("internal_notes", &internal_notes, NOTES_MAX, &mut errors);
    if req.source == BookingSource::Website {
        errors.insert(
            "source".into(),
            FieldError::new(
                "invalid_source",
                "Staff bookings come by phone, walk-in or staff.",
            ),
        );
    }
    if !req.client_consent {
        errors.insert(
            "client_consent".into(),
            FieldError::new(
                "consent_required",
                "Ask the client for consent to the processing of their personal data first.",
            ),
        );
    }
    let initial = req.state.unwrap_or(BookingState::Confirmed);
    if !matches!(initial, BookingState::Pending | BookingState::Confirmed) {
        errors.insert(
            "state".into(),
            FieldError::new("invalid_state", "A new booking is pending or confirmed."),
        );
    }
    let quote_req = QuoteRequest {
        space: req.space.clone(),
        start_time: req.start_time.clone(),
        end_time: req.end_time.clone(),
        people_count: req.people_count,
        equipment: req.equipment.clone(),
        promo_code: req.promo_code.clone(),
    };
    let checked = check_booking(state, &config, &quote_req, &mut errors).await?;
    let (Some(checked), Some(name), Some(phone), true) = (checked, name, phone, errors.is_empty())
    else {
        return Err(AppError::Validation { fields: errors });
    };
    let client = Client {
        name: name.as_str().to_owned(),
        phone,
        phone_display: req.client_phone.trim().to_owned(),
        email,
        requirements,
    };
    let who = actor_of(me, origin);
    let how = Provenance {
        source: req.source,
        state: initial,
        notes: &notes,
        internal_notes: &internal_notes,
        payment_status: req.payment_status.unwrap_or_default(),
        consent: None,
        staff: Some(&who),
    };
    let created = bookings::book(state, &config, &checked, &client, &how).await?;
    detail(state, &created.id).await
}

#[derive(sqlx::FromRow)]
struct CurrentRow {
    space_id: String,
    slug: String,
    capacity: i32,
    starts_at: i64,
    ends_at: i64,
    people_count: i32,
    client_name: String,
    client_phone: String,
    client_phone_display: String,
    client_email: Option<String>,
    special_requirements: String,
    notes: String,
    internal_notes: String,
    payment_status: String,
    promo_code: Option<String>,
    price_total: i64,
    state: String,
    version: i32,
}

async fn current(tx: &mut Tx, id: &str) -> Result<CurrentRow, AppError> {
    with_tx!(tx, t => sqlx::query_as(
        "SELECT b.space_id, s.slug, s.capacity, b.starts_at, b.ends_at, b.people_count, b.client_name, \
         b.client_phone, b.client_phone_display, b.client_email, b.special_requirements, b.notes, \
         b.internal_notes, b.payment_status, b.promo_code, b.price_total, b.state, b.version \
         FROM bookings b JOIN spaces s ON s.id = b.space_id WHERE b.id = $1 AND b.deleted_at IS NULL"
    )
    .bind(id)
    .fetch_optional(&mut **t)
    .await)?
    .ok_or_else(|| AppError::not_found("booking"))
}

/// The booking being edited, its personal fields opened.
async fn current_open(tx: &mut Tx, vault: &Vault, id: &str) -> Result<CurrentRow, AppError> {
    let mut row = current(tx, id).await?;
    row.client_name = vault.open(&row.client_name)?;
    row.client_phone = vault.open(&row.client_phone)?;
    row.client_phone_display = vault.open(&row.client_phone_display)?;
    row.client_email = vault.open_opt(row.client_email.as_deref())?;
    row.special_requirements = vault.open(&row.special_requirements)?;
    row.notes = vault.open(&row.notes)?;
    row.internal_notes = vault.open(&row.internal_notes)?;
    Ok(row)
}

/// A promo code's discount whatever its limits now: it was valid when the
/// booking used it.
async fn booked_discount(store: &Store, code: Option<&str>) -> Result<Option<Discount>, AppError> {
    let Some(code) = code else { return Ok(None) };
    let row: Option<(Option<i32>, Option<i64>)> = with_pool!(store, p => sqlx::query_as(
        "SELECT percent_off, amount_off FROM promo_codes WHERE code = $1"
    )
    .bind(code)
    .fetch_optional(p)
    .await)?;
    Ok(row.and_then(|(percent, amount)| match (percent, amount) {
        (Some(p), None) => Some(Discount::Percent(i64::from(p))),
        (None, Some(a)) => Some(Discount::Fixed(Money::from_minor(a))),
        _ => None,
    }))
}

/// The new time, space, people and price of a rescheduled booking.
struct Reschedule {
    space_id: String,
    space_slug: String,
    starts_at: i64,
    ends_at: i64,
    blocked_until: i64,
    people: i64,
    breakdown: PriceBreakdown,
    moved: bool,
    checked: Option<bookings::Checked>,
}

/// Checks a reschedule as a new booking would be checked (only when time or
/// space change: a running booking may still get an extra person) and
/// prices it again with its equipment and promo code.
async fn reschedule(
    state: &AppState,
    tx: &mut Tx,
    config: &StudioConfig,
    id: &str,
    cur: &CurrentRow,
    upd: &BookingUpdate,
    errors: &mut Fields,
) -> Result<Option<Reschedule>, AppError> {
    let lines: Vec<(String, i32, i64, bool)> = with_tx!(tx, t => sqlx::query_as(
        "SELECT equipment_id, quantity, unit_price, per_hour FROM booking_equipment WHERE booking_id = $1"
    )
    .bind(id)
    .fetch_all(&mut **t)
    .await)?;
    let discount = booked_discount(&state.store, cur.promo_code.as_deref()).await?;
    let people = upd.people_count.unwrap_or(i64::from(cur.people_count));
    // Only a real change of time or space is a move: a form that sends the
    // current values back does not re-check a running booking's time.
    let instant = |raw: &Option<String>| {
        raw.as_deref().map(|r| {
            DateTime::parse_from_rfc3339(r.trim())
                .map(|t| t.timestamp())
                .ok()
        })
    };
    let moved = upd.space.as_deref().is_some_and(|s| s != cur.slug)
        || instant(&upd.start_time).is_some_and(|t| t != Some(cur.starts_at))
        || instant(&upd.end_time).is_some_and(|t| t != Some(cur.ends_at));
    if moved {
        let start = rfc3339(config, at(cur.starts_at)?);
        let end = rfc3339(config, at(cur.ends_at)?);
        let req = QuoteRequest {
            space: upd.space.clone().unwrap_or_else(|| cur.slug.clone()),
            start_time: upd.start_time.clone().unwrap_or(start),
            end_time: upd.end_time.clone().unwrap_or(end),
            people_count: people,
            equipment: lines
                .iter()
                .map(|(eid, q, _, _)| EquipmentRequest {
                    id: eid.clone(),
                    quantity: i64::from(*q),
                })
                .collect(),
            promo_code: None,
        };
        let Some(c) = check_booking(state, config, &req, errors).await? else {
            return Ok(None);
        };
        let charges: Vec<EquipmentCharge> = c.equipment.iter().map(|(_, ch)| ch.clone()).collect();
        let breakdown = quote(
            c.space.prices(),
            c.range.minutes(),
            people,
            &charges,
            discount,
        );
        let starts_at = c.range.start().timestamp();
        let ends_at = c.range.end().timestamp();
        return Ok(Some(Reschedule {
            space_id: c.space.id.clone(),
            space_slug: c.space.slug.clone(),
            starts_at,
            ends_at,
            blocked_until: ends_at + config.rules.buffer_minutes * 60,
            people,
            breakdown,
            moved,
            checked: Some(c),
        }));
    }
    if !(1..=i64::from(cur.capacity)).contains(&people) {
        errors.insert(
            "people_count".into(),
            FieldError::new(
                "over_capacity",
                format!("This space takes 1 to {} people.", cur.capacity),
            ),
        );
        return Ok(None);
    }
    let Some(space) = super::rules::space_by_slug(&state.store, &cur.slug).await? else {
        return Err(AppError::Internal);
    };
    let charges: Vec<EquipmentCharge> = lines
        .iter()
        .map(|(_, q, price, per_hour)| EquipmentCharge {
            unit_price: Money::from_minor(*price),
            per_hour: *per_hour,
            quantity: i64::from(*q),
        })
        .collect();
    let minutes = (cur.ends_at - cur.starts_at) / 60;
    Ok(Some(Reschedule {
        space_id: cur.space_id.clone(),
        space_slug: cur.slug.clone(),
        starts_at: cur.starts_at,
        ends_at: cur.ends_at,
        blocked_until: cur.ends_at + config.rules.buffer_minutes * 60,
        people,
        breakdown: quote(space.prices(), minutes, people, &charges, discount),
        moved: false,
        checked: None,
    }))
}

/// Applies an edit inside the caller's transaction and returns the new
/// state and version.
async fn update_in(
    state: &AppState,
    tx: &mut Tx,
    config: &StudioConfig,
    me: &Principal,
    who: &Actor,
    id: &str,
    upd: &BookingUpdate,
) -> Result<BatchOutcome, AppError> {
    let vault = state.store.vault()?;
    let cur = current_open(tx, vault, id).await?;
    if upd.version != i64::from(cur.version) {
        return Err(version_conflict(i64::from(cur.version)));
    }
    let mut errors = Fields::new();
    let name = match &upd.client_name {
        Some(n) => FullName::parse(n)
            .map_err(|e| errors.insert("client_name".into(), e))
            .ok()
            .map(|n| n.as_str().to_owned()),
        None => Some(cur.client_name.clone()),
    };
    let (phone, phone_display) = match &upd.client_phone {
        Some(raw) => match Phone::parse(raw) {
            Ok(p) => (p.e164().to_owned(), raw.trim().to_owned()),
            Err(e) => {
                errors.insert("client_phone".into(), e);
                (cur.client_phone.clone(), cur.client_phone_display.clone())
            }
        },
        None => (cur.client_phone.clone(), cur.client_phone_display.clone()),
    };
    let email = match &upd.client_email {
        Some(raw) => optional_email(Some(raw), &mut errors),
        None => cur.client_email.clone(),
    };
    let requirements = upd
        .special_requirements
        .clone()
        .unwrap_or_else(|| cur.special_requirements.clone());
    check_text("special_requirements", &requirements, 2000, &mut errors);
    let notes = upd.notes.clone().unwrap_or_else(|| cur.notes.clone());
    check_text("notes", &notes, NOTES_MAX, &mut errors);
    let internal = upd
        .internal_notes
        .clone()
        .unwrap_or_else(|| cur.internal_notes.clone());
    check_text("internal_notes", &internal, NOTES_MAX, &mut errors);
    let payment = upd
        .payment_status
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| cur.payment_status.clone());
    let plan = if upd.reschedules() {
        reschedule(state, tx, config, id, &cur, upd, &mut errors).await?
    } else {
        None
    };
    let Some(name) = name.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation { fields: errors });
    };
    if let Some(plan) = plan.as_ref().filter(|p| p.moved) {
        let equipment: Vec<String> = plan
            .checked
            .iter()
            .flat_map(|c| c.equipment.iter().map(|(id, _)| id.clone()))
            .collect();
        bookings::hold_time(
            tx,
            &plan.space_id,
            &equipment,
            plan.starts_at,
            plan.blocked_until,
        )
        .await?;
        if let Some(c) = &plan.checked {
            bookings::check_stock(tx, &c.equipment, plan.starts_at, plan.blocked_until, id).await?;
        }
    }
    let now = now_epoch();
    let (space_id, starts_at, ends_at, blocked_until, people) = match &plan {
        Some(p) => (
            p.space_id.clone(),
            p.starts_at,
            p.ends_at,
            p.blocked_until,
            p.people,
        ),
        None => (
            cur.space_id.clone(),
            cur.starts_at,
            cur.ends_at,
            cur.ends_at + config.rules.buffer_minutes * 60,
            i64::from(cur.people_count),
        ),
    };
    let phone_bidx = vault.phone_index(&phone);
    let sql = "UPDATE bookings SET space_id = $1, starts_at = $2, ends_at = $3, blocked_until = $4, \
               people_count = $5, client_name = $6, client_phone = $7, client_phone_display = $8, client_email = $9, \
               special_requirements = $10, notes = $11, internal_notes = $12, payment_status = $13, \
               updated_at = $14, updated_by = $15, version = version + 1, \
               client_phone_bidx = $18, client_email_bidx = $19 \
               WHERE id = $16 AND version = $17 AND deleted_at IS NULL";
    let result = with_tx!(tx, t => sqlx::query(sql)
        .bind(&space_id)
        .bind(starts_at)
        .bind(ends_at)
        .bind(blocked_until)
        .bind(i32::try_from(people).unwrap_or(i32::MAX))
        .bind(vault.seal(&name))
        .bind(vault.seal(&phone))
        .bind(vault.seal(&phone_display))
        .bind(vault.seal_opt(email.as_deref()))
        .bind(vault.seal(&requirements))
        .bind(vault.seal(&notes))
        .bind(vault.seal(&internal))
        .bind(&payment)
        .bind(now)
        .bind(&me.employee_id)
        .bind(id)
        .bind(cur.version)
        .bind(&phone_bidx)
        .bind(email.as_deref().filter(|e| !e.is_empty()).map(|e| vault.email_index(e)))
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()));
    match result {
        Ok(1) => {}
        Ok(_) => return Err(version_conflict(i64::from(cur.version))),
        Err(e) if is_overlap_violation(&e) => return Err(slot_taken()),
        Err(e) => return Err(e.into()),
    }
    // The rows carry the client: a new phone moves them too.
    if name != cur.client_name || phone != cur.client_phone {
        super::privacy::index_name(tx, vault, id, &phone_bidx, Some(&cur.client_name), &name)
            .await?;
    }
    if let Some(p) = &plan {
        let b = &p.breakdown;
        with_tx!(tx, t => sqlx::query(
            "UPDATE bookings SET price_base = $1, price_equipment = $2, price_extra_people = $3, \
             price_discount = $4, price_total = $5 WHERE id = $6"
        )
        .bind(b.base.minor())
        .bind(b.equipment.minor())
        .bind(b.extra_people.minor())
        .bind(b.discount.minor())
        .bind(b.total.minor())
        .bind(id)
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?;
        if let Some(c) = &p.checked {
            for (equipment_id, charge) in &c.equipment {
                with_tx!(tx, t => sqlx::query(
                    "UPDATE booking_equipment SET unit_price = $1, per_hour = $2 WHERE booking_id = $3 AND equipment_id = $4"
                )
                .bind(charge.unit_price.minor())
                .bind(charge.per_hour)
                .bind(id)
                .bind(equipment_id)
                .execute(&mut **t)
                .await
                .map(|r| r.rows_affected()))?;
            }
        }
    }
    // What changed, by field; client contact details are named, not copied.
    let mut changed = serde_json::Map::new();
    let mut note = |field: &str, before: serde_json::Value, after: serde_json::Value| {
        if before != after {
            changed.insert(
                field.into(),
                serde_json::json!({ "before": before, "after": after }),
            );
        }
    };
    use serde_json::json;
    note(
        "space",
        json!(cur.slug),
        json!(plan
            .as_ref()
            .map_or(cur.slug.clone(), |p| p.space_slug.clone())),
    );
    note(
        "price_total",
        json!(cur.price_total),
        json!(plan
            .as_ref()
            .map_or(cur.price_total, |p| p.breakdown.total.minor())),
    );
    note("people_count", json!(cur.people_count), json!(people));
    note("payment_status", json!(cur.payment_status), json!(payment));
    for (field, before, after) in [
        ("client_name", &cur.client_name, &name),
        ("client_phone", &cur.client_phone, &phone),
        (
            "special_requirements",
            &cur.special_requirements,
            &requirements,
        ),
        ("notes", &cur.notes, &notes),
        ("internal_notes", &cur.internal_notes, &internal),
    ] {
        if before != after {
            changed.insert(field.into(), json!("changed"));
        }
    }
    if cur.client_email != email {
        changed.insert("client_email".into(), json!("changed"));
    }
    // A moved booking records both ends, so its history reads as a range.
    if (cur.starts_at, cur.ends_at) != (starts_at, ends_at) {
        for (field, before, after) in [
            ("start_time", cur.starts_at, starts_at),
            ("end_time", cur.ends_at, ends_at),
        ] {
            changed.insert(
                field.into(),
                serde_json::json!({ "before": before, "after": after }),
            );
        }
    }
    let new_version = i64::from(cur.version) + 1;
    let moved = plan.as_ref().is_some_and(|p| p.moved);
    let state_now = BookingState::parse(&cur.state).ok_or(AppError::Internal)?;
    events::record(
        tx,
        NewEvent {
            event_type: if moved {
                "BookingRescheduled"
            } else {
                "BookingUpdated"
            },
            aggregate_type: "booking",
            aggregate_id: id,
            payload: &json!({
                "state": state_now.as_str(),
                "version": new_version,
                "by": me.employee_id,
                "start_time": starts_at,
                "end_time": ends_at,
                "space": plan.as_ref().map_or(cur.slug.clone(), |p| p.space_slug.clone()),
                "fields": changed.keys().collect::<Vec<_>>(),
            }),
            actor: Some(&me.employee_id),
        },
    )
    .await?;
    audit::append(
        tx,
        who,
        audit::Entry {
            action: if moved {
                "booking_rescheduled"
            } else {
                "booking_updated"
            },
            target_type: "booking",
            target_id: id,
            details: serde_json::Value::Object(changed),
        },
    )
    .await?;
    Ok(BatchOutcome {
        id: id.to_owned(),
        state: state_now,
        version: new_version,
        deleted: false,
    })
}

/// Soft-deletes inside the caller's transaction (owners and admins): the
/// booking leaves every list and frees its slot; its rows stay for the
/// audit trail.
async fn delete_in(
    tx: &mut Tx,
    vault: &Vault,
    me: &Principal,
    who: &Actor,
    id: &str,
    expected_version: Option<i64>,
) -> Result<BatchOutcome, AppError> {
    if !me.role.manages_staff() {
        return Err(AppError::Forbidden);
    }
    let cur = current(tx, id).await?;
    if expected_version.is_some_and(|v| v != i64::from(cur.version)) {
        return Err(version_conflict(i64::from(cur.version)));
    }
    let deleted = with_tx!(tx, t => sqlx::query(
        "UPDATE bookings SET deleted_at = $1, updated_at = $1, updated_by = $2, version = version + 1 \
         WHERE id = $3 AND version = $4 AND deleted_at IS NULL"
    )
    .bind(now_epoch())
    .bind(&me.employee_id)
    .bind(id)
    .bind(cur.version)
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    if deleted != 1 {
        return Err(version_conflict(i64::from(cur.version)));
    }
    // A deleted booking leaves every search, the client base's included.
    let name = vault.open(&cur.client_name)?;
    super::privacy::index_name(tx, vault, id, "", Some(&name), "").await?;
    let new_version = i64::from(cur.version) + 1;
    let state_now = BookingState::parse(&cur.state).ok_or(AppError::Internal)?;
    events::record(
        tx,
        NewEvent {
            event_type: "BookingDeleted",
            aggregate_type: "booking",
            aggregate_id: id,
            payload: &serde_json::json!({ "state": state_now.as_str(), "version": new_version, "by": me.employee_id }),
            actor: Some(&me.employee_id),
        },
    )
    .await?;
    audit::append(
        tx,
        who,
        audit::Entry {
            action: "booking_deleted",
            target_type: "booking",
            target_id: id,
            details: serde_json::json!({ "state": state_now.as_str(), "space": cur.slug, "start_time": cur.starts_at }),
        },
    )
    .await?;
    Ok(BatchOutcome {
        id: id.to_owned(),
        state: state_now,
        version: new_version,
        deleted: true,
    })
}

/// Runs `op` in a transaction of its own; a refusal for the role is
/// audited after the rollback.
async fn one(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    op: &BatchOperation,
) -> Result<BatchOutcome, AppError> {
    let mut outcomes = batch(state, me, origin, std::slice::from_ref(op)).await?;
    outcomes.pop().ok_or(AppError::Internal)
}

/// Edits a booking (`PUT`), rescheduling it when time or space change.
#[tracing::instrument(skip_all, fields(booking_id = %id))]
pub async fn update(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    id: &str,
    changes: &BookingUpdate,
) -> Result<BookingDetail, AppError> {
    let op = BatchOperation::Update {
        id: id.to_owned(),
        changes: Box::new(changes.clone()),
    };
    one(state, me, origin, &op).await?;
    detail(state, id).await
}

/// Soft-deletes a booking (`DELETE`, owners and admins).
#[tracing::instrument(skip_all, fields(booking_id = %id))]
pub async fn delete(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    id: &str,
    version: Option<i64>,
) -> Result<(), AppError> {
    let op = BatchOperation::Delete {
        id: id.to_owned(),
        version,
    };
    one(state, me, origin, &op).await.map(|_| ())
}

/// Several operations in one transaction: all of them, or none. The error
/// names the operation that failed (`details.operation`, from 0).
#[tracing::instrument(skip_all, fields(operations = ops.len()))]
pub async fn batch(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    ops: &[BatchOperation],
) -> Result<Vec<BatchOutcome>, AppError> {
    if ops.is_empty() || ops.len() > 100 {
        return Err(AppError::field(
            "operations",
            FieldError::new("out_of_range", "Send 1 to 100 operations."),
        ));
    }
    let config = config(state).await?;
    let who = actor_of(me, origin);
    let mut tx = state.store.begin().await?;
    let mut outcomes = Vec::with_capacity(ops.len());
    for (index, op) in ops.iter().enumerate() {
        let result = match op {
            BatchOperation::Transition {
                id,
                target_state,
                reason,
                version,
            } => transition_in(
                &mut tx,
                me,
                &who,
                id,
                *target_state,
                reason.as_deref().unwrap_or_default(),
                *version,
            )
            .await
            .map(|v| BatchOutcome {
                id: v.id,
                state: v.state,
                version: v.version,
                deleted: false,
            }),
            BatchOperation::Update { id, changes } => {
                update_in(state, &mut tx, &config, me, &who, id, changes).await
            }
            BatchOperation::Delete { id, version } => {
                delete_in(&mut tx, state.store.vault()?, me, &who, id, *version).await
            }
        };
        match result {
            Ok(o) => outcomes.push(o),
            Err(e) => {
                drop(tx);
                let (id, attempted) = match op {
                    BatchOperation::Transition { id, .. } => (id, "reopen_booking"),
                    BatchOperation::Update { id, .. } => (id, "update_booking"),
                    BatchOperation::Delete { id, .. } => (id, "delete_booking"),
                };
                let e = match e {
                    AppError::Forbidden => deny(&state.store, &who, id, attempted).await,
                    other => other,
                };
                return Err(with_operation(e, index, ops.len()));
            }
        }
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// Names the failed operation in a batch's error.
fn with_operation(e: AppError, index: usize, total: usize) -> AppError {
    if total == 1 {
        return e;
    }
    match e {
        AppError::Conflict {
            code,
            message,
            details,
        } => {
            let mut d = details.unwrap_or_else(|| serde_json::json!({}));
            d["operation"] = serde_json::json!(index);
            AppError::Conflict {
                code,
                message: format!("Operation {index}: {message}"),
                details: Some(d),
            }
        }
        AppError::Validation { fields } => AppError::Validation {
            fields: fields
                .into_iter()
                .map(|(k, v)| (format!("operations[{index}].{k}"), v))
                .collect(),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn search_patterns_escape_wildcards_and_fold_case() {
        assert_eq!(like_pattern("Anna"), "%anna%");
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
