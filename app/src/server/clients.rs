//! The client base: every booking grouped by the client's normalised phone
//! number, with visits, no-shows, cancellations, money spent and the staff's
//! notes about the client.

use super::{
    audit::{self, Entry},
    credentials::{actor_of, Origin, Principal},
    now_epoch, staff_bookings,
    store::{with_pool, with_tx},
    AppState,
};
use crate::{
    domain::{
        board::BookingQuery,
        calendar::{ClientDetail, ClientList, ClientQuery, ClientSummary},
        Money, Phone,
    },
    error::{AppError, FieldError},
};

const PER_PAGE: i64 = 50;

#[derive(sqlx::FromRow)]
struct Row {
    client_phone: String,
    name: String,
    bookings: i64,
    visits: i64,
    no_shows: i64,
    cancellations: i64,
    spent: i64,
    last_visit: Option<i64>,
    notes: Option<String>,
}

/// Aggregates per phone; `{where}` narrows the bookings first.
fn grouped(where_sql: &str) -> String {
    format!(
        "SELECT b.client_phone, \
           (SELECT b2.client_name FROM bookings b2 WHERE b2.client_phone = b.client_phone \
              AND b2.deleted_at IS NULL ORDER BY b2.created_at DESC, b2.starts_at DESC LIMIT 1) AS name, \
           COUNT(*) AS bookings, \
           SUM(CASE WHEN b.state = 'completed' THEN 1 ELSE 0 END) AS visits, \
           SUM(CASE WHEN b.state = 'no_show' THEN 1 ELSE 0 END) AS no_shows, \
           SUM(CASE WHEN b.state = 'cancelled' THEN 1 ELSE 0 END) AS cancellations, \
           CAST(SUM(CASE WHEN b.state = 'completed' THEN b.price_total ELSE 0 END) AS BIGINT) AS spent, \
           MAX(CASE WHEN b.state = 'completed' THEN b.starts_at END) AS last_visit, \
           MAX(n.notes) AS notes \
         FROM bookings b LEFT JOIN client_notes n ON n.phone = b.client_phone \
         WHERE b.deleted_at IS NULL {where_sql} \
         GROUP BY b.client_phone"
    )
}

fn summary(r: Row, zone: chrono_tz::Tz) -> ClientSummary {
    ClientSummary {
        phone: r.client_phone,
        name: r.name,
        bookings: r.bookings,
        visits: r.visits,
        no_shows: r.no_shows,
        cancellations: r.cancellations,
        total_spent: Money::from_minor(r.spent),
        last_visit: r
            .last_visit
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|t| t.with_timezone(&zone).date_naive().to_string()),
        notes: r.notes.unwrap_or_default(),
    }
}

fn search(q: &str) -> (String, String) {
    let digits = staff_bookings::phone_digits(q);
    let phone = if digits.len() >= 3 {
        format!("%{digits}%")
    } else {
        // Matches no E.164 number: too few digits to mean a phone.
        "-".to_owned()
    };
    (staff_bookings::like_pattern(q.trim()), phone)
}

async fn zone(state: &AppState) -> Result<chrono_tz::Tz, AppError> {
    Ok(
        super::rules::studio_config(&state.store, &state.rules_cache)
            .await?
            .rules
            .time_zone,
    )
}

/// Clients matching `q` (name or phone), most recent first.
pub async fn list(state: &AppState, query: &ClientQuery) -> Result<ClientList, AppError> {
    let zone = zone(state).await?;
    let page =
        crate::domain::board::check_page(query.page).map_err(|e| AppError::field("page", e))?;
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    // No search: both patterns empty, and the first condition lets all in.
    let (text, phone) = q.map(search).unwrap_or_default();
    let sql = grouped(
        "AND ($1 = '' OR LOWER(b.client_name) LIKE $1 ESCAPE '\\' OR b.client_phone LIKE $2)",
    );
    let total: i64 = with_pool!(&state.store, p => sqlx::query_scalar(&format!("SELECT COUNT(*) FROM ({sql}) g"))
        .bind(&text)
        .bind(&phone)
        .fetch_one(p)
        .await)?;
    let rows: Vec<Row> = with_pool!(&state.store, p => sqlx::query_as(&format!(
        "{sql} ORDER BY MAX(b.starts_at) DESC, b.client_phone LIMIT $3 OFFSET $4"
    ))
    .bind(&text)
    .bind(&phone)
    .bind(PER_PAGE)
    .bind((page - 1) * PER_PAGE)
    .fetch_all(p)
    .await)?;
    Ok(ClientList {
        items: rows.into_iter().map(|r| summary(r, zone)).collect(),
        page,
        per_page: PER_PAGE,
        total,
    })
}

fn phone_of(raw: &str) -> Result<String, AppError> {
    Phone::parse(raw)
        .map(|p| p.e164().to_owned())
        .map_err(|_| AppError::not_found("client"))
}

/// One client with every booking, newest first.
pub async fn detail(state: &AppState, phone: &str) -> Result<ClientDetail, AppError> {
    let phone = phone_of(phone)?;
    let zone = zone(state).await?;
    let row: Option<Row> = with_pool!(&state.store, p => sqlx::query_as(&grouped("AND b.client_phone = $1"))
        .bind(&phone)
        .fetch_optional(p)
        .await)?;
    let row = row.ok_or_else(|| AppError::not_found("client"))?;
    let history = staff_bookings::list(
        state,
        &BookingQuery {
            q: Some(phone.trim_start_matches('+').to_owned()),
            sort: Some("-start_time".into()),
            per_page: Some(200),
            ..Default::default()
        },
    )
    .await?
    .items
    .into_iter()
    .filter(|b| b.client_phone == phone)
    .collect();
    Ok(ClientDetail {
        summary: summary(row, zone),
        history,
    })
}

/// Replaces the staff's notes about a client (audited).
pub async fn set_notes(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    phone: &str,
    notes: &str,
) -> Result<ClientDetail, AppError> {
    let phone = phone_of(phone)?;
    if notes.chars().count() > 4000 {
        return Err(AppError::field(
            "notes",
            FieldError::new("text_too_long", "At most 4000 characters."),
        ));
    }
    // Only clients the studio knows: no notes about arbitrary numbers.
    detail(state, &phone).await?;
    let mut tx = state.store.begin().await?;
    with_tx!(tx, t => sqlx::query(
        "INSERT INTO client_notes (phone, notes, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (phone) DO UPDATE SET notes = $2, updated_at = $3, updated_by = $4"
    )
    .bind(&phone)
    .bind(notes)
    .bind(now_epoch())
    .bind(&me.employee_id)
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    audit::append(
        &mut tx,
        &actor_of(me, origin),
        Entry {
            action: "client_notes_changed",
            target_type: "client",
            target_id: &phone,
            details: serde_json::json!({ "length": notes.chars().count() }),
        },
    )
    .await?;
    tx.commit().await?;
    detail(state, &phone).await
}
