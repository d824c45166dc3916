//! Delivering outbox rows: Telegram messages to the studio's staff chat
//! (Bot API `sendMessage`, HTML parse mode), e-mails to guests over SMTP
//! (lettre; multipart text and HTML in the guest's language, with an
//! `.ics` for the session) and signed webhook POSTs. Messages are rendered
//! from the booking at the moment they are sent. Nothing of a message body,
//! a token or an address goes to the logs.

use super::{
    outbox::{Claimed, Outcome, RetryPolicy, Wiring},
    store::{placeholders, with_pool},
    AppState,
};
use crate::{domain::Money, i18n::Locale};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use lettre::{
    message::{header::ContentType, Attachment, Mailbox, MultiPart},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use serde_json::{json, Value};
use sha2::Sha256;
use std::{
    collections::HashMap,
    fmt,
    time::{Duration, Instant},
};

/// The Bot API endpoint, token and chat of the staff chat.
#[derive(Clone)]
pub struct Telegram {
    /// `https://api.telegram.org` unless configured (tests use a fake).
    pub api_url: String,
    pub token: String,
    pub chat_id: String,
}

impl fmt::Debug for Telegram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Telegram")
            .field("api_url", &self.api_url)
            .field("token", &"<redacted>")
            .field("chat_id", &self.chat_id)
            .finish()
    }
}

/// An SMTP relay and the sender address, checked (the configuration).
#[derive(Clone)]
pub struct Smtp {
    url: String,
    from: Mailbox,
}

impl fmt::Debug for Smtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Smtp").field("from", &self.from).finish()
    }
}

impl Smtp {
    /// From lettre's URL form (`smtp://user:pass@host:port`,
    /// `smtps://…`, `smtp://…?tls=required`) and a sender such as
    /// `Studio <studio@example.com>`. The error names what is wrong, never
    /// the password.
    pub fn parse(url: &str, from: &str) -> Result<Smtp, (&'static str, String)> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url.trim())
            .map_err(|e| ("STUDIO_SMTP_URL", without_secrets(&e.to_string(), url)))?;
        let from: Mailbox = from
            .trim()
            .parse()
            .map_err(|e| ("STUDIO_MAIL_FROM", format!("not an address: {e}")))?;
        Ok(Smtp {
            url: url.trim().to_owned(),
            from,
        })
    }

    /// The transport (its connection pool runs on the tokio runtime).
    fn connect(&self) -> Option<Mailer> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&self.url)
            .ok()?
            .timeout(Some(Duration::from_secs(15)))
            .build();
        Some(Mailer {
            transport,
            from: self.from.clone(),
        })
    }
}

/// A connected SMTP relay.
struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

/// `text` with the URL's password and user removed, in case an error
/// message repeats them.
fn without_secrets(text: &str, url: &str) -> String {
    let mut out = text.to_owned();
    if let Some(userinfo) = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .map(|(u, _)| u)
    {
        for part in userinfo.split(':').filter(|p| !p.is_empty()) {
            out = out.replace(part, "***");
        }
    }
    out
}

/// Everything the delivery worker needs besides the database.
#[derive(Debug)]
pub struct Notifier {
    pub telegram: Option<Telegram>,
    smtp: Option<Mailer>,
    /// The studio's external base URL, without a trailing slash: every
    /// link that leaves the server starts with it.
    pub public_url: String,
    pub retry: RetryPolicy,
    /// `/health/outbox` fails once the oldest due row is older than this.
    pub alert_after_secs: i64,
    http: reqwest::Client,
}

impl Notifier {
    /// Needs a tokio runtime (the SMTP pool is spawned on it).
    pub fn new(
        telegram: Option<Telegram>,
        smtp: Option<Smtp>,
        public_url: &str,
        retry: RetryPolicy,
    ) -> Notifier {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("studio-crm")
            .build()
            .unwrap_or_default();
        Notifier {
            telegram,
            smtp: smtp.as_ref().and_then(Smtp::connect),
            public_url: public_url.trim_end_matches('/').to_owned(),
            retry,
            alert_after_secs: 900,
            http,
        }
    }

    /// Whether guest e-mail is configured.
    pub fn email_configured(&self) -> bool {
        self.smtp.is_some()
    }

    /// Which channels get outbox rows.
    pub fn wiring(&self) -> Wiring {
        Wiring {
            telegram: self.telegram.is_some(),
            email: self.smtp.is_some(),
            wake: Default::default(),
        }
    }

    /// The absolute link a guest manages their booking with.
    pub fn manage_url(&self, signing_key: &[u8], booking_id: &str) -> String {
        format!(
            "{}/booking/{}",
            self.public_url,
            super::tokens::manage_token(signing_key, booking_id)
        )
    }
}

/// Delivers a claimed batch, concurrently: each row with its outcome and
/// how long it took (ms). What the messages read from the database is read
/// once for the batch ([`Lookups`]); when that fails every row fails and
/// is tried again later.
pub async fn deliver_all(state: &AppState, rows: Vec<Claimed>) -> Vec<(Claimed, Outcome, i64)> {
    let lookups = Lookups::load(state, &rows).await;
    let deliveries = rows.into_iter().map(|row| {
        let lookups = &lookups;
        async move {
            let started = Instant::now();
            let outcome = match lookups {
                Ok(found) => deliver(state, &row, found).await,
                Err(e) => cannot_prepare(e),
            };
            let ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
            (row, outcome, ms)
        }
    });
    futures_util::future::join_all(deliveries).await
}

fn cannot_prepare(e: &crate::error::AppError) -> Outcome {
    Outcome::Failed {
        status: None,
        error: format!("cannot prepare the message: {}", e.code()),
        after: None,
    }
}

/// Delivers one claimed row.
async fn deliver(state: &AppState, row: &Claimed, found: &Lookups) -> Outcome {
    let result = match row.channel.as_str() {
        "telegram" => telegram(state, row, found).await,
        "email" => email(state, row, found).await,
        "webhook" => webhook(state, row, found).await,
        other => Ok(Outcome::Dropped {
            error: format!("unknown channel {other}"),
        }),
    };
    result.unwrap_or_else(|e| cannot_prepare(&e))
}

/// What the messages of one batch read: their bookings and webhooks, in
/// one query each. A busy hour's batch holds three messages per booking
/// (e-mail, Telegram, webhook); read one by one, each was its own query and
/// its own decryption, on the database the bookings are written to.
#[derive(Debug, Default)]
struct Lookups {
    bookings: HashMap<String, BookingFacts>,
    hooks: HashMap<String, Hook>,
}

/// Where a webhook delivery goes.
#[derive(Debug, sqlx::FromRow)]
struct Hook {
    id: String,
    url: String,
    secret: String,
    active: bool,
    deleted_at: Option<i64>,
}

impl Lookups {
    async fn load(state: &AppState, rows: &[Claimed]) -> Result<Lookups, crate::error::AppError> {
        let ids = |channels: &[&str], pick: fn(&Claimed) -> Option<&str>| {
            let mut ids: Vec<&str> = rows
                .iter()
                .filter(|r| channels.contains(&r.channel.as_str()) && r.kind != "test")
                .filter_map(pick)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let booking_ids = ids(&["email", "telegram"], |r| r.booking_id.as_deref());
        let hook_ids = ids(&["webhook"], |r| r.webhook_id.as_deref());
        let bookings = facts_of(state, &booking_ids)
            .await?
            .into_iter()
            .map(|b| (b.id.clone(), b))
            .collect();
        let hooks = if hook_ids.is_empty() {
            HashMap::new()
        } else {
            let sql = format!(
                "SELECT id, url, secret, active, deleted_at FROM webhooks WHERE id IN ({})",
                placeholders(1, hook_ids.len())
            );
            let found: Vec<Hook> = with_pool!(&state.store, p => {
                let mut q = sqlx::query_as(&sql);
                for id in &hook_ids {
                    q = q.bind(*id);
                }
                q.fetch_all(p).await
            })?;
            found.into_iter().map(|h| (h.id.clone(), h)).collect()
        };
        Ok(Lookups { bookings, hooks })
    }

    fn booking(&self, row: &Claimed) -> Option<&BookingFacts> {
        row.booking_id
            .as_deref()
            .and_then(|id| self.bookings.get(id))
    }
}

/// The booking as a message shows it.
#[derive(Debug, sqlx::FromRow)]
struct BookingFacts {
    id: String,
    reference: String,
    space_name: String,
    starts_at: i64,
    ends_at: i64,
    people_count: i32,
    price_base: i64,
    price_equipment: i64,
    price_extra_people: i64,
    price_discount: i64,
    price_total: i64,
    client_name: String,
    client_phone_display: String,
    client_email: Option<String>,
    state: String,
    locale: String,
    deleted_at: Option<i64>,
}

const FACTS: &str = "SELECT b.id, b.reference, s.name AS space_name, b.starts_at, b.ends_at, \
     b.people_count, b.price_base, b.price_equipment, b.price_extra_people, b.price_discount, \
     b.price_total, b.client_name, b.client_phone_display, b.client_email, b.state, b.locale, \
     b.deleted_at FROM bookings b JOIN spaces s ON s.id = b.space_id WHERE b.id IN";

/// The bookings with these ids that exist, opened.
async fn facts_of(
    state: &AppState,
    ids: &[&str],
) -> Result<Vec<BookingFacts>, crate::error::AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("{FACTS} ({})", placeholders(1, ids.len()));
    let rows: Vec<BookingFacts> = with_pool!(&state.store, p => {
        let mut q = sqlx::query_as(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(p).await
    })?;
    let vault = state.store.vault()?;
    rows.into_iter()
        .map(|mut b| {
            b.client_name = vault.open(&b.client_name)?;
            b.client_phone_display = vault.open(&b.client_phone_display)?;
            b.client_email = vault.open_opt(b.client_email.as_deref())?;
            Ok(b)
        })
        .collect()
}

// Text for Telegram's HTML parse mode and the e-mails' HTML: a guest's name
// cannot inject markup (Telegram reads the numeric `&#39;` too).
use crate::html::escape as escape_html;

struct When {
    date: String,
    start: String,
    end: String,
    zone: String,
}

fn when(zone: chrono_tz::Tz, locale: Locale, starts_at: i64, ends_at: i64) -> When {
    let at = |t: i64| {
        DateTime::<Utc>::from_timestamp(t, 0)
            .unwrap_or_default()
            .with_timezone(&zone)
    };
    let (s, e) = (at(starts_at), at(ends_at));
    When {
        date: locale.date(s.date_naive()),
        start: locale.time(s.time()),
        end: locale.time(e.time()),
        zone: zone.name().to_owned(),
    }
}

fn telegram_title(kind: &str, by: Option<&str>) -> &'static str {
    match (kind, by) {
        ("booking_created", _) => "🆕 Новая бронь",
        ("booking_cancelled", Some("system")) => "⌛ Отменена системой: не оплачена",
        ("booking_cancelled", _) => "❌ Гость отменил бронь",
        ("booking_rescheduled", _) => "🔁 Бронь перенесена",
        ("no_show", _) => "🚫 Неявка",
        _ => "Studio CRM",
    }
}

async fn telegram(
    state: &AppState,
    row: &Claimed,
    found: &Lookups,
) -> Result<Outcome, crate::error::AppError> {
    let notifier = &state.notifier;
    let Some(tg) = &notifier.telegram else {
        return Ok(Outcome::Failed {
            status: None,
            error: "Telegram is not configured".into(),
            after: None,
        });
    };
    let payload: Value = serde_json::from_str(&row.payload).unwrap_or(Value::Null);
    let text = if row.kind == "test" {
        "✅ Studio CRM: тестовое сообщение. Уведомления в этот чат работают.".to_owned()
    } else {
        if row.booking_id.is_none() {
            return Ok(Outcome::Dropped {
                error: "no booking".into(),
            });
        }
        let Some(b) = found.booking(row) else {
            return Ok(Outcome::Dropped {
                error: "the booking does not exist".into(),
            });
        };
        let config = super::rules::studio_config(&state.store, &state.rules_cache).await?;
        let w = when(config.rules.time_zone, Locale::Ru, b.starts_at, b.ends_at);
        let by = payload.get("by").and_then(Value::as_str);
        format!(
            "<b>{title}</b> · <code>{reference}</code>\n\
             Зал: {space}\n\
             Когда: {date}, {start}–{end}\n\
             Гостей: {people}\n\
             Сумма: {total}\n\
             Клиент: {name}, {phone}\n\
             <a href=\"{link}\">Открыть бронь</a>",
            title = telegram_title(&row.kind, by),
            reference = escape_html(&b.reference),
            space = escape_html(&b.space_name),
            date = w.date,
            start = w.start,
            end = w.end,
            people = b.people_count,
            total = Locale::Ru.money(Money::from_minor(b.price_total)),
            name = escape_html(&b.client_name),
            phone = escape_html(&b.client_phone_display),
            link = escape_html(&format!("{}/staff/bookings/{}", notifier.public_url, b.id)),
        )
    };
    let url = format!(
        "{}/bot{}/sendMessage",
        tg.api_url.trim_end_matches('/'),
        tg.token
    );
    let body = json!({
        "chat_id": tg.chat_id,
        "text": text,
        "parse_mode": "HTML",
        "disable_web_page_preview": true,
    });
    let sent = notifier.http.post(url).json(&body).send().await;
    Ok(match sent {
        // The URL holds the bot token: errors are reported without it.
        Err(e) => Outcome::Failed {
            status: None,
            error: e.without_url().to_string(),
            after: None,
        },
        Ok(res) => {
            let status = res.status().as_u16();
            if res.status().is_success() {
                Outcome::Delivered {
                    status: Some(status),
                }
            } else {
                let answer: Value = res.json().await.unwrap_or(Value::Null);
                let after = answer
                    .pointer("/parameters/retry_after")
                    .and_then(Value::as_i64);
                let description = answer
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .chars()
                    .take(200)
                    .collect::<String>();
                Outcome::Failed {
                    status: Some(status),
                    error: format!("Telegram answered {status} {description}")
                        .trim()
                        .to_owned(),
                    after,
                }
            }
        }
    })
}

/// The words of a guest e-mail in one language.
struct Words {
    subject: String,
    lead: &'static str,
    reference: &'static str,
    space: &'static str,
    when: &'static str,
    people: &'static str,
    base: &'static str,
    equipment: &'static str,
    extra_people: &'static str,
    discount: &'static str,
    total: &'static str,
    policy: String,
    manage: &'static str,
}

fn words(
    locale: Locale,
    kind: &str,
    b: &BookingFacts,
    studio: &str,
    w: &When,
    cancellation_hours: i64,
) -> Words {
    match locale {
        Locale::Ru => Words {
            subject: match kind {
                "confirmation" => format!("Бронирование {} — {studio}", b.reference),
                "rescheduled" => format!("Бронирование {} перенесено", b.reference),
                "cancelled" => format!("Бронирование {} отменено", b.reference),
                _ => format!("Напоминание: {} {}, {}", w.date, w.start, b.space_name),
            },
            lead: match kind {
                "confirmation" => "Спасибо! Ваше бронирование принято.",
                "rescheduled" => "Время вашего бронирования изменено. Новое время ниже.",
                "cancelled" => "Ваше бронирование отменено.",
                _ => "Напоминаем о вашей съёмке.",
            },
            reference: "Номер брони",
            space: "Зал",
            when: "Когда",
            people: "Гостей",
            base: "Аренда",
            equipment: "Оборудование",
            extra_people: "Дополнительные гости",
            discount: "Скидка",
            total: "Итого",
            policy: format!(
                "Бесплатная отмена — не позднее чем за {cancellation_hours} ч до начала."
            ),
            manage: "Посмотреть или отменить бронь",
        },
        Locale::En => Words {
            subject: match kind {
                "confirmation" => format!("Booking {} — {studio}", b.reference),
                "rescheduled" => format!("Booking {} rescheduled", b.reference),
                "cancelled" => format!("Booking {} cancelled", b.reference),
                _ => format!("Reminder: {} {}, {}", w.date, w.start, b.space_name),
            },
            lead: match kind {
                "confirmation" => "Thank you! Your booking is received.",
                "rescheduled" => "Your booking has a new time, shown below.",
                "cancelled" => "Your booking has been cancelled.",
                _ => "A reminder of your session.",
            },
            reference: "Reference",
            space: "Space",
            when: "When",
            people: "People",
            base: "Rent",
            equipment: "Equipment",
            extra_people: "Extra people",
            discount: "Discount",
            total: "Total",
            policy: format!("Free cancellation up to {cancellation_hours} hours before the start."),
            manage: "View or cancel your booking",
        },
    }
}

/// The `.ics` of the session, in the studio's zone.
fn session_ics(
    b: &BookingFacts,
    studio: &str,
    zone: chrono_tz::Tz,
    link: &str,
    address: &str,
) -> String {
    use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike};
    let local = |t: i64| CalendarDateTime::WithTimezone {
        date_time: DateTime::<Utc>::from_timestamp(t, 0)
            .unwrap_or_default()
            .with_timezone(&zone)
            .naive_local(),
        tzid: zone.name().to_owned(),
    };
    let text = super::feeds::ics_text;
    let mut calendar = Calendar::new();
    calendar.push(
        Event::new()
            .uid(&format!("{}@studio-crm", b.id))
            .summary(&text(&format!("{studio}: {}", b.space_name)))
            .description(&text(&format!("{}\n{link}", b.reference)))
            .location(&text(&if address.is_empty() {
                b.space_name.clone()
            } else {
                format!("{}, {address}", b.space_name)
            }))
            .starts(local(b.starts_at))
            .ends(local(b.ends_at))
            .done(),
    );
    calendar.done().to_string()
}

/// The booking of a guest's manage link as an `.ics` file (the event the
/// confirmation e-mail attaches): its file name and content. A link that
/// is not the studio's, or a deleted booking, is not found.
pub async fn guest_calendar(
    state: &AppState,
    token: &str,
) -> Result<(String, String), crate::error::AppError> {
    let id = super::bookings::manage_token_booking(state, token)?;
    let b = facts_of(state, &[id.as_str()])
        .await?
        .pop()
        .filter(|b| b.deleted_at.is_none())
        .ok_or_else(|| crate::error::AppError::not_found("booking"))?;
    let config = super::rules::studio_config(&state.store, &state.rules_cache).await?;
    let locale = Locale::from_tag(&b.locale).unwrap_or_default();
    let address = super::catalog::public_catalog(&state.store, &state.catalog_cache)
        .await?
        .studio
        .contacts
        .address
        .get(locale)
        .to_owned();
    let link = state.notifier.manage_url(&state.signing_key, &b.id);
    let ics = session_ics(&b, &config.name, config.rules.time_zone, &link, &address);
    Ok((format!("{}.ics", b.reference), ics))
}

async fn email(
    state: &AppState,
    row: &Claimed,
    found: &Lookups,
) -> Result<Outcome, crate::error::AppError> {
    let notifier = &state.notifier;
    let Some(smtp) = &notifier.smtp else {
        return Ok(Outcome::Failed {
            status: None,
            error: "SMTP is not configured".into(),
            after: None,
        });
    };
    let Some(b) = found.booking(row) else {
        return Ok(Outcome::Dropped {
            error: "the booking does not exist".into(),
        });
    };
    let Some(address) = b.client_email.as_deref().filter(|e| !e.is_empty()) else {
        return Ok(Outcome::Skipped {
            reason: "the guest has no e-mail address".into(),
        });
    };
    if row.kind == "reminder"
        && (b.deleted_at.is_some()
            || !matches!(b.state.as_str(), "pending" | "confirmed")
            || b.starts_at <= super::now_epoch())
    {
        return Ok(Outcome::Skipped {
            reason: "the booking no longer takes place".into(),
        });
    }
    let to: Mailbox = match address.parse() {
        Ok(m) => m,
        Err(_) => {
            return Ok(Outcome::Dropped {
                error: "the guest's address cannot receive mail".into(),
            })
        }
    };
    let config = super::rules::studio_config(&state.store, &state.rules_cache).await?;
    let locale = Locale::from_tag(&b.locale).unwrap_or_default();
    let zone = config.rules.time_zone;
    let w = when(zone, locale, b.starts_at, b.ends_at);
    let link = notifier.manage_url(&state.signing_key, &b.id);
    let t = words(
        locale,
        &row.kind,
        b,
        &config.name,
        &w,
        config.cancellation_hours,
    );
    let money = |m: i64| locale.money(Money::from_minor(m));
    let mut lines: Vec<(&str, String)> = vec![
        (t.reference, b.reference.clone()),
        (t.space, b.space_name.clone()),
        (
            t.when,
            format!("{}, {}–{} ({})", w.date, w.start, w.end, w.zone),
        ),
        (t.people, b.people_count.to_string()),
        (t.base, money(b.price_base)),
    ];
    if b.price_equipment != 0 {
        lines.push((t.equipment, money(b.price_equipment)));
    }
    if b.price_extra_people != 0 {
        lines.push((t.extra_people, money(b.price_extra_people)));
    }
    if b.price_discount != 0 {
        lines.push((t.discount, format!("−{}", money(b.price_discount.abs()))));
    }
    lines.push((t.total, money(b.price_total)));
    // Where the studio is and whom to call: the settings' contacts, in the
    // guest's language.
    let contacts = super::catalog::public_catalog(&state.store, &state.catalog_cache)
        .await?
        .studio
        .contacts
        .clone();
    let address = contacts.address.get(locale).to_owned();
    let (address_label, phone_label, map_label, pay_label, rules_label) = match locale {
        Locale::Ru => (
            "Адрес",
            "Телефон студии",
            "На карте",
            "Как оплатить",
            "Правила студии",
        ),
        Locale::En => (
            "Address",
            "Studio phone",
            "Map",
            "How to pay",
            "Studio rules",
        ),
    };
    // How to pay (and, with the confirmation, the rules): for a booking
    // still to come.
    let mut terms: Vec<(&str, String)> = Vec::new();
    if row.kind != "cancelled" {
        let payment = contacts.payment.get(locale).trim().to_owned();
        if !payment.is_empty() {
            terms.push((pay_label, payment));
        }
    }
    if row.kind == "confirmation" {
        let rules = contacts.rules.get(locale).trim().to_owned();
        if !rules.is_empty() {
            terms.push((rules_label, rules));
        }
    }
    let mut place: Vec<(&str, String)> = Vec::new();
    if !address.is_empty() {
        place.push((address_label, address.clone()));
    }
    if !contacts.map_url.is_empty() {
        place.push((map_label, contacts.map_url.clone()));
    }
    if !contacts.phone.is_empty() {
        place.push((
            phone_label,
            crate::domain::studio::phone_display(&contacts.phone),
        ));
    }
    // After what and when, before the money.
    lines.splice(3..3, place);
    let show_policy = row.kind != "cancelled";
    let mut text = format!("{}\n\n", t.lead);
    for (k, v) in &lines {
        text.push_str(&format!("{k}: {v}\n"));
    }
    if show_policy {
        text.push_str(&format!("\n{}\n", t.policy));
    }
    for (title, body) in &terms {
        text.push_str(&format!("\n{title}:\n{body}\n"));
    }
    text.push_str(&format!("\n{}: {link}\n\n— {}\n", t.manage, config.name));
    let mut html = format!(
        "<!doctype html><html lang=\"{}\"><body style=\"font-family:sans-serif\"><p>{}</p><table>",
        locale.tag(),
        escape_html(t.lead)
    );
    for (k, v) in &lines {
        html.push_str(&format!(
            "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
            escape_html(k),
            escape_html(v)
        ));
    }
    html.push_str("</table>");
    if show_policy {
        html.push_str(&format!("<p>{}</p>", escape_html(&t.policy)));
    }
    for (title, body) in &terms {
        html.push_str(&format!("<h3>{}</h3>", escape_html(title)));
        for line in body.lines().filter(|l| !l.trim().is_empty()) {
            html.push_str(&format!("<p>{}</p>", escape_html(line)));
        }
    }
    html.push_str(&format!(
        "<p><a href=\"{}\">{}</a></p><p>— {}</p></body></html>",
        escape_html(&link),
        escape_html(t.manage),
        escape_html(&config.name)
    ));
    let alternative = MultiPart::alternative_plain_html(text, html);
    let body = if matches!(row.kind.as_str(), "confirmation" | "rescheduled") {
        let ics = session_ics(b, &config.name, zone, &link, &address);
        let calendar = ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
            .unwrap_or(ContentType::TEXT_PLAIN);
        MultiPart::mixed()
            .multipart(alternative)
            .singlepart(Attachment::new(format!("{}.ics", b.reference)).body(ics, calendar))
    } else {
        alternative
    };
    let message = Message::builder()
        .from(smtp.from.clone())
        .to(to)
        .subject(t.subject)
        .message_id(Some(format!("<{}@studio-crm>", row.delivery_id)))
        .multipart(body);
    let message = match message {
        Ok(m) => m,
        Err(e) => {
            return Ok(Outcome::Dropped {
                error: format!("cannot build the message: {e}"),
            })
        }
    };
    Ok(match smtp.transport.send(message).await {
        Ok(response) => Outcome::Delivered {
            status: format!("{}", response.code()).parse().ok(),
        },
        Err(e) if e.is_permanent() => Outcome::Dropped {
            error: format!(
                "the mail server refused the message: {}",
                e.status().map(|c| c.to_string()).unwrap_or_default()
            ),
        },
        Err(e) => Outcome::Failed {
            status: e.status().and_then(|c| c.to_string().parse().ok()),
            error: if e.is_timeout() {
                "the mail server did not answer in time".into()
            } else {
                "the mail server could not be reached or refused for now".into()
            },
            after: None,
        },
    })
}

/// `sha256=<hex>` of the body under the webhook's secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts a key of any length");
    mac.update(body);
    format!(
        "sha256={}",
        super::tokens::hex(&mac.finalize().into_bytes())
    )
}

async fn webhook(
    state: &AppState,
    row: &Claimed,
    found: &Lookups,
) -> Result<Outcome, crate::error::AppError> {
    let hook = row.webhook_id.as_deref().and_then(|id| found.hooks.get(id));
    let Some(Hook {
        url,
        secret,
        active: true,
        deleted_at: None,
        ..
    }) = hook
    else {
        return Ok(Outcome::Dropped {
            error: "the webhook was removed or switched off".into(),
        });
    };
    let sent = state
        .notifier
        .http
        .post(url)
        .header("Content-Type", "application/json")
        .header("X-Studio-Event", &row.kind)
        .header("X-Studio-Delivery", &row.delivery_id)
        .header(
            "X-Studio-Signature",
            signature(secret, row.payload.as_bytes()),
        )
        .body(row.payload.clone())
        .send()
        .await;
    Ok(match sent {
        Err(e) => Outcome::Failed {
            status: None,
            error: if e.is_timeout() {
                "the receiver did not answer in time".into()
            } else {
                "the receiver could not be reached".into()
            },
            after: None,
        },
        Ok(res) if res.status().is_success() => Outcome::Delivered {
            status: Some(res.status().as_u16()),
        },
        Ok(res) => {
            let after = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<i64>().ok());
            Outcome::Failed {
                status: Some(res.status().as_u16()),
                error: format!("the receiver answered {}", res.status().as_u16()),
                after,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_for_telegram() {
        assert_eq!(
            escape_html("<b>Анна & \"Ко\"</b>"),
            "&lt;b&gt;Анна &amp; &quot;Ко&quot;&lt;/b&gt;"
        );
    }

    #[test]
    fn smtp_settings_are_checked_and_errors_hide_the_password() {
        assert!(Smtp::parse("smtp://127.0.0.1:2525", "Studio <studio@example.com>").is_ok());
        let (var, _) = Smtp::parse("smtp://127.0.0.1:2525", "not an address").unwrap_err();
        assert_eq!(var, "STUDIO_MAIL_FROM");
        let (var, why) = Smtp::parse("ftp://user:hunter22@host", "a@b.c").unwrap_err();
        assert_eq!(var, "STUDIO_SMTP_URL");
        assert!(!why.contains("hunter22"), "{why}");
    }

    #[test]
    fn the_signature_is_an_hmac_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
