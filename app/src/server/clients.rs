//! The client base: every booking grouped by the client's normalised phone
//! number (its blind index), with visits, no-shows, cancellations, money
//! spent and the staff's notes about the client. The figures per client are
//! kept in `client_stats` by triggers on bookings, so the page and its
//! search are index lookups at any size of the base.

use super::{
    audit::{self, Entry},
    credentials::{actor_of, Origin, Principal},
    now_epoch,
    staff_bookings::{self, ClientMatch},
    store::{placeholders, with_pool, with_tx},
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
    bidx: String,
    bookings: i64,
    visits: i64,
    no_shows: i64,
    cancellations: i64,
    spent: i64,
    last_visit: Option<i64>,
    notes: Option<String>,
    /// All the matches of a search (the page's query counts them in the
    /// same pass); absent elsewhere.
    #[sqlx(default)]
    total: i64,
}

/// The client base's figures (kept per client by triggers on bookings,
/// see migrations/*/0011_client_stats.sql) with the staff's notes; `{where}`
/// narrows the clients. Names and phones are sealed: they are read for the
/// page's clients afterwards ([`identities`]).
fn listed(where_sql: &str) -> String {
    format!(
        "SELECT c.phone_bidx AS bidx, c.bookings, c.visits, c.no_shows, c.cancellations, \
           c.spent, c.last_visit, c.last_start, n.notes \
         FROM client_stats c LEFT JOIN client_profiles n ON n.phone_bidx = c.phone_bidx \
         WHERE 1 = 1 {where_sql}"
    )
}

/// The name and phone of each client's latest booking, opened.
async fn identities(
    state: &AppState,
    bidx: &[&str],
) -> Result<std::collections::HashMap<String, (String, String)>, AppError> {
    let mut out = std::collections::HashMap::new();
    if bidx.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT client_phone_bidx, client_name, client_phone FROM bookings \
         WHERE client_phone_bidx IN ({}) AND deleted_at IS NULL ORDER BY created_at DESC, starts_at DESC",
        placeholders(1, bidx.len())
    );
    let rows: Vec<(String, String, String)> = with_pool!(&state.store, p => {
        let mut q = sqlx::query_as(&sql);
        for b in bidx {
            q = q.bind(*b);
        }
        q.fetch_all(p).await
    })?;
    let vault = state.store.vault()?;
    for (b, name, phone) in rows {
        if let std::collections::hash_map::Entry::Vacant(e) = out.entry(b) {
            e.insert((vault.open(&name)?, vault.open(&phone)?));
        }
    }
    Ok(out)
}

async fn summaries(
    state: &AppState,
    rows: Vec<Row>,
    zone: chrono_tz::Tz,
) -> Result<Vec<ClientSummary>, AppError> {
    let keys: Vec<&str> = rows.iter().map(|r| r.bidx.as_str()).collect();
    let who = identities(state, &keys).await?;
    let vault = state.store.vault()?;
    rows.into_iter()
        .map(|r| {
            let (name, phone) = who.get(&r.bidx).cloned().ok_or(AppError::Internal)?;
            Ok(ClientSummary {
                phone,
                name,
                bookings: r.bookings,
                visits: r.visits,
                no_shows: r.no_shows,
                cancellations: r.cancellations,
                total_spent: Money::from_minor(r.spent),
                last_visit: r
                    .last_visit
                    .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                    .map(|t| t.with_timezone(&zone).date_naive().to_string()),
                notes: vault.open_opt(r.notes.as_deref())?.unwrap_or_default(),
            })
        })
        .collect()
}

async fn zone(state: &AppState) -> Result<chrono_tz::Tz, AppError> {
    Ok(
        super::rules::studio_config(&state.store, &state.rules_cache)
            .await?
            .rules
            .time_zone,
    )
}

/// Binds text values in order.
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for a in $args {
            q = q.bind(a.clone());
        }
        q
    }};
}

/// Clients matching `q` (name words, whole phone or e-mail), most recent
/// first.
pub async fn list(state: &AppState, query: &ClientQuery) -> Result<ClientList, AppError> {
    let zone = zone(state).await?;
    let page =
        crate::domain::board::check_page(query.page).map_err(|e| AppError::field("page", e))?;
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let mut args: Vec<String> = Vec::new();
    let where_sql = match q {
        None => String::new(),
        Some(q) => {
            let mut arg = |t: String| {
                args.push(t);
                format!("${}", args.len())
            };
            // One plain select of client keys per kind of match, each driven
            // by its own index, united: conditions joined by OR (or an IN
            // inside one) leave PostgreSQL scanning every booking.
            let sources: Vec<String> = staff_bookings::client_matches(state.store.vault()?, q)
                .into_iter()
                .map(|m| match m {
                    ClientMatch::Email(key) => format!(
                        "SELECT client_phone_bidx FROM bookings WHERE client_email_bidx = {} AND deleted_at IS NULL",
                        arg(key)
                    ),
                    ClientMatch::Phone(key) => format!(
                        "SELECT client_phone_bidx FROM bookings WHERE client_phone_bidx = {} AND deleted_at IS NULL",
                        arg(key)
                    ),
                    ClientMatch::Name(tokens) => {
                        // The index rows carry the client: no booking is
                        // visited (every further word must index the same
                        // booking). A booking's rows are all in the index
                        // or all still in the pending list: one select
                        // for each.
                        let mut tokens = tokens.into_iter().map(&mut arg);
                        let first = tokens.next().unwrap_or_default();
                        let rest: Vec<String> = tokens.collect();
                        let select = |table: &str| {
                            let rest: String = rest
                                .iter()
                                .map(|t| {
                                    format!(
                                        " AND EXISTS (SELECT 1 FROM {table} j WHERE j.token = {t} AND j.booking_id = i.booking_id)"
                                    )
                                })
                                .collect();
                            format!("SELECT i.phone_bidx FROM {table} i WHERE i.token = {first}{rest}")
                        };
                        format!("{} UNION {}", select("client_name_index"), select("client_name_pending"))
                    }
                })
                .collect();
            if sources.is_empty() {
                // Nothing searchable (only punctuation): no client matches.
                "AND 1 = 0".to_owned()
            } else {
                format!("AND c.phone_bidx IN ({})", sources.join(" UNION "))
            }
        }
    };
    let sql = listed(&where_sql);
    let n = args.len();
    let offset = (page - 1) * PER_PAGE;
    let count = || async {
        let count_sql = format!("SELECT COUNT(*) FROM client_stats c WHERE 1 = 1 {where_sql}");
        with_pool!(&state.store, p => bind_all!(sqlx::query_scalar::<_, i64>(&count_sql), &args)
            .fetch_one(p)
            .await)
    };
    // A search finds its matches once: the page's rows carry their count
    // (a window over the matches). Materialised: PostgreSQL would
    // otherwise walk the whole base down the recency index, as if the
    // window let it stop at the page. The whole base is counted apart, so
    // its first page stays that walk.
    let windowed = q.is_some();
    let page_sql = if windowed {
        format!(
            "WITH m AS MATERIALIZED ({sql}) SELECT m.*, COUNT(*) OVER () AS total FROM m \
             ORDER BY m.last_start DESC, m.bidx LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        )
    } else {
        format!(
            "{sql} ORDER BY c.last_start DESC, c.phone_bidx LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        )
    };
    let rows: Vec<Row> = with_pool!(&state.store, p => bind_all!(sqlx::query_as(&page_sql), &args)
    .bind(PER_PAGE)
    .bind(offset)
    .fetch_all(p)
    .await)?;
    let total = match rows.first() {
        Some(r) if windowed => r.total,
        // Past the last page of a search, or no search: count apart.
        _ if windowed && offset == 0 => 0,
        _ => count().await?,
    };
    Ok(ClientList {
        items: summaries(state, rows, zone).await?,
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
    let bidx = state.store.vault()?.phone_index(&phone);
    let zone = zone(state).await?;
    let row: Option<Row> = with_pool!(&state.store, p => sqlx::query_as(&listed("AND c.phone_bidx = $1"))
        .bind(&bidx)
        .fetch_optional(p)
        .await)?;
    let row = row.ok_or_else(|| AppError::not_found("client"))?;
    let history = staff_bookings::list(
        state,
        &BookingQuery {
            q: Some(phone.clone()),
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
        summary: summaries(state, vec![row], zone)
            .await?
            .pop()
            .ok_or(AppError::Internal)?,
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
    let vault = state.store.vault()?;
    let bidx = vault.phone_index(&phone);
    let mut tx = state.store.begin().await?;
    with_tx!(tx, t => sqlx::query(
        "INSERT INTO client_profiles (phone_bidx, notes, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (phone_bidx) DO UPDATE SET notes = $2, updated_at = $3, updated_by = $4"
    )
    .bind(&bidx)
    .bind(vault.seal(notes))
    .bind(now_epoch())
    .bind(&me.employee_id)
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    // The client is named by the phone's blind index: the audit log holds
    // no phone numbers.
    audit::append(
        &mut tx,
        &actor_of(me, origin),
        Entry {
            action: "client_notes_changed",
            target_type: "client",
            target_id: &bidx,
            details: serde_json::json!({ "length": notes.chars().count() }),
        },
    )
    .await?;
    tx.commit().await?;
    detail(state, &phone).await
}
