//! The guest booking flow, rendered completely on the server so it works
//! without JavaScript: pick a date and a free start, fill the form, get the
//! confirmation and a private manage link. With JavaScript the price
//! follows the form live.

use super::owners::{held, suspend};
use super::{
    guest_info::{Gallery, SpaceFacts, StudioTerms},
    locale::{self, t},
    pages::{respond_with, ErrorNotice},
};
use crate::{
    domain::{
        booking::{BookPageData, BookingState, GuestBookingView},
        pricing::{quote, PriceBreakdown, SpacePrices},
        studio::phone_display,
    },
    error::AppError,
    i18n::{Locale, Msg, Noun},
};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

/// The booking form's fields as posted (`application/x-www-form-urlencoded`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingForm {
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub start: String,
    #[serde(default)]
    pub hours: i64,
    #[serde(default)]
    pub people_count: i64,
    #[serde(default)]
    pub client_name: String,
    #[serde(default)]
    pub client_phone: String,
    #[serde(default)]
    pub client_email: String,
    #[serde(default)]
    pub special_requirements: String,
    #[serde(default)]
    pub promo_code: String,
    #[serde(default)]
    pub consent: Option<String>,
    #[serde(default)]
    pub website: String,
}

/// A refused form submission, rendered back with what the guest typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormOutcome {
    pub values: BookingForm,
    pub error: AppError,
}

#[server(prefix = "/api/fn", endpoint = "book_page")]
pub async fn load_book_page(space: String, date: Option<String>) -> Result<BookPageData, AppError> {
    let state = crate::server::state::from_context()?;
    crate::server::bookings::book_page(&state, &space, date.as_deref()).await
}

#[server(prefix = "/api/fn", endpoint = "guest_booking")]
pub async fn guest_booking(token: String) -> Result<GuestBookingView, AppError> {
    let state = crate::server::state::from_context()?;
    crate::server::bookings::guest_booking(&state, &token).await
}

/// The submission outcome the server put in context for this render; the
/// resource carries it to the browser so hydration sees the same page.
fn form_outcome() -> Resource<Option<FormOutcome>> {
    Resource::new(|| (), |_| held(async { use_context::<FormOutcome>() }))
}

fn parse_time(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok()
}

fn hh_mm(s: &str) -> String {
    parse_time(s)
        .map(|t| t.format("%H:%M").to_string())
        .unwrap_or_default()
}

/// The localized text of a field error code; the server's English message
/// when the code has no translation.
pub fn field_message(locale: Locale, code: &str, fallback: &str) -> String {
    let msg = match code {
        "invalid_phone" => Msg::ErrInvalidPhone,
        "invalid_full_name" => Msg::ErrName,
        "invalid_email" => Msg::ErrEmail,
        "consent_required" => Msg::ErrConsent,
        "over_capacity" => Msg::ErrCapacity,
        "too_few_people" => Msg::ErrTooFew,
        "invalid_promo_code" => Msg::ErrPromo,
        "too_short" | "too_long" | "end_before_start" => Msg::ErrDuration,
        "not_full_hour" | "in_past" | "too_soon" | "beyond_horizon" | "outside_hours"
        | "closed" | "invalid_time" => Msg::ErrTime,
        _ if locale == Locale::En => return fallback.to_owned(),
        _ => Msg::FixErrors,
    };
    locale.t(msg).to_owned()
}

pub(crate) fn state_label(state: BookingState) -> &'static str {
    t(state_msg(state))
}

pub(crate) fn state_msg(state: BookingState) -> Msg {
    match state {
        BookingState::Pending => Msg::StatePending,
        BookingState::Confirmed => Msg::StateConfirmed,
        BookingState::InProgress => Msg::StateInProgress,
        BookingState::Completed => Msg::StateCompleted,
        BookingState::Cancelled => Msg::StateCancelled,
        BookingState::NoShow => Msg::StateNoShow,
    }
}

/// `/book/:space?date=YYYY-MM-DD&start=RFC3339`
#[component]
pub fn BookPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let space = move || params.read().get("space").unwrap_or_default();
    let date = move || query.read().get("date");
    let data = Resource::new(
        move || (space(), date()),
        |(s, d)| held(load_book_page(s, d)),
    );
    let outcome = form_outcome();
    let catalog = use_context::<super::layout::CatalogResource>();
    view! {
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">{t(Msg::Loading)}</p> }>
            {move || {
                // Tracked: choosing another start re-renders without a refetch.
                let chosen = query.read().get("start");
                suspend(async move {
                    let outcome = outcome.await;
                    let studio = match catalog {
                        Some(c) => c.0.await.ok().map(|c| c.studio),
                        None => None,
                    };
                    match data.await {
                        Ok(d) => {
                            let start = outcome.as_ref().map(|o| o.values.start.clone()).or(chosen);
                            view! { <BookView data=d start=start outcome=outcome studio /> }.into_any()
                        }
                        Err(AppError::NotFound { .. }) => {
                            respond_with(404);
                            view! { <super::pages::NotFound /> }.into_any()
                        }
                        Err(e) => {
                            respond_with(e.status_code());
                            view! { <ErrorNotice error=e /> }.into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn BookView(
    data: BookPageData,
    start: Option<String>,
    outcome: Option<FormOutcome>,
    studio: Option<crate::domain::StudioInfo>,
) -> impl IntoView {
    let locale = locale::current();
    let slug = data.space.slug.clone();
    let date = data.date.parse::<NaiveDate>().ok();
    let prev = date
        .map(|d| (d - Duration::days(1)).to_string())
        .filter(|d| *d >= data.today);
    let next = date
        .map(|d| (d + Duration::days(1)).to_string())
        .filter(|d| *d <= data.last_date);
    let slots = data.availability.slots.clone();
    let next_free = data.next_free.clone();
    // The day's grid in time order: free starts (links) and taken ones.
    let mut day: Vec<(String, bool)> = slots
        .iter()
        .map(|s| (s.start_time.clone(), true))
        .chain(data.busy.iter().map(|s| (s.start_time.clone(), false)))
        .collect();
    day.sort_by_key(|(start, _)| parse_time(start));
    let selected = start.filter(|s| slots.iter().any(|slot| &slot.start_time == s));
    // Hours bookable from the chosen start: consecutive free one-hour slots.
    let max_hours = selected
        .as_ref()
        .map(|s| {
            let mut n = 0;
            let mut at = s.clone();
            while let Some(slot) = slots.iter().find(|slot| slot.start_time == at) {
                n += 1;
                at = slot.end_time.clone();
            }
            n.min(data.max_hours).max(1)
        })
        .unwrap_or(1);
    let conflict = outcome.as_ref().and_then(|o| match &o.error {
        AppError::Conflict { details, .. } => Some(
            details
                .as_ref()
                .and_then(|d| d.get("alternatives"))
                .and_then(|a| {
                    serde_json::from_value::<Vec<crate::domain::booking::Slot>>(a.clone()).ok()
                })
                .unwrap_or_default(),
        ),
        _ => None,
    });
    let page_title = format!("{} — {}", t(Msg::BookTitle), data.space.name);
    let description = data.space.details.description.get(locale).to_owned();
    let day_heading = date.map(|d| locale.date(d)).unwrap_or_default();
    // A start's own day: an offered alternative may be on another date.
    let slot_link = {
        let slug = slug.clone();
        let date = data.date.clone();
        move |start: &str| {
            let day =
                parse_time(start).map_or_else(|| date.clone(), |t| t.date_naive().to_string());
            format!("/book/{slug}?date={day}&start={}#form", urlencode(start))
        }
    };
    view! {
        <Title text=page_title />
        <nav class="breadcrumbs" aria-label="breadcrumbs">
            <a href="/#spaces">{t(Msg::NavSpaces)}</a>
            " / "
            <span>{data.space.name.clone()}</span>
        </nav>
        <h1>{t(Msg::BookTitle)} " — " {data.space.name.clone()}</h1>
        <p class="muted">
            {locale.money(data.space.hourly_price)} " " {t(Msg::PerHour)} " · " {t(Msg::UpTo)} " "
            {locale.count(u64::try_from(data.space.capacity).unwrap_or(0), Noun::Person)}
            {(data.space.extra_person_price.minor() > 0).then(|| view! {
                " · +" {locale.money(data.space.extra_person_price)} " — " {t(Msg::ExtraPerson)}
                " (" {locale.count(u64::try_from(data.space.included_people).unwrap_or(0), Noun::Person)} " " {t(Msg::IncludedInPrice)} ")"
            })}
        </p>
        <section class="space-about" aria-label=data.space.name.clone()>
            <Gallery space=data.space.clone() />
            {(!description.is_empty()).then(|| view! { <p class="space-about__desc" data-description>{description.clone()}</p> })}
            <SpaceFacts space=data.space.clone() />
        </section>
        {conflict.map(|alternatives| {
            let link = slot_link.clone();
            view! {
                <div class="notice notice--error" role="alert" id="conflict">
                    <strong>{t(Msg::SlotTaken)}</strong>
                    <ul class="slots slots--inline">
                        {alternatives.into_iter().map(|a| {
                            let d = parse_time(&a.start_time).map(|t| locale.short_date(t.date_naive())).unwrap_or_default();
                            view! { <li><a class="slot" href=link(&a.start_time)>{d} " " {hh_mm(&a.start_time)}</a></li> }
                        }).collect_view()}
                    </ul>
                </div>
            }
        })}
        <section class="day-picker" aria-labelledby="day-title">
            <div class="day-picker__nav">
                {prev.map(|d| view! { <a class="button button--quiet" href=format!("/book/{slug}?date={d}") rel="nofollow">"← " {t(Msg::PrevDay)}</a> })}
                <form method="get" action=format!("/book/{slug}") class="day-picker__form">
                    <label for="date">{t(Msg::ChooseDate)}</label>
                    <input id="date" type="date" name="date" value=data.date.clone() min=data.today.clone() max=data.last_date.clone() required />
                    <button type="submit">{t(Msg::ShowDay)}</button>
                </form>
                {next.map(|d| view! { <a class="button button--quiet" href=format!("/book/{slug}?date={d}") rel="nofollow">{t(Msg::NextDay)} " →"</a> })}
            </div>
            <h2 id="day-title">{t(Msg::FreeTimes)} ": " {day_heading}</h2>
            {(!day.is_empty()).then(|| {
                let link = slot_link.clone();
                let sel = selected.clone();
                let taken = t(Msg::SlotBusy);
                view! {
                    <ul class="slots">
                        {day.into_iter().map(|(start, free)| {
                            if !free {
                                return view! {
                                    <li>
                                        <s class="slot slot--busy" title=taken>
                                            {hh_mm(&start)}
                                            <span class="visually-hidden">" — " {taken}</span>
                                        </s>
                                    </li>
                                }.into_any();
                            }
                            let current = sel.as_deref() == Some(start.as_str());
                            view! {
                                <li>
                                    <a class="slot" class:slot--selected=current href=link(&start)
                                        aria-current=if current { Some("true") } else { None }
                                        data-slot-start=start.clone()>
                                        {hh_mm(&start)}
                                    </a>
                                </li>
                            }.into_any()
                        }).collect_view()}
                    </ul>
                }
            })}
            {if slots.is_empty() {
                view! {
                    <p class="muted">{t(Msg::NoFreeTimes)}</p>
                    <NextFreeDay slug=slug.clone() next=next_free.clone() />
                }.into_any()
            } else {
                selected.is_none().then(|| view! { <p class="muted">{t(Msg::ChooseTime)}</p> }).into_any()
            }}
        </section>
        {selected.map(|start| view! {
            <BookingFormView data=data.clone() start=start max_hours=max_hours outcome=outcome.clone() />
        })}
        {studio.map(|studio| view! { <StudioTerms studio /> })}
    }
}

/// "The next day with free time: Monday, 7 December", when there is one.
#[component]
fn NextFreeDay(slug: String, next: Option<String>) -> impl IntoView {
    let locale = locale::current();
    next.and_then(|d| d.parse::<NaiveDate>().ok()).map(|d| {
        view! {
            <p>
                {t(Msg::NextFreeDay)} " "
                <a href=format!("/book/{slug}?date={d}") data-next-free>{locale.date(d)}</a>
            </p>
        }
    })
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
fn BookingFormView(
    data: BookPageData,
    start: String,
    max_hours: i64,
    outcome: Option<FormOutcome>,
) -> impl IntoView {
    let locale = locale::current();
    let values = outcome
        .as_ref()
        .map(|o| o.values.clone())
        .unwrap_or_default();
    let fields = outcome
        .as_ref()
        .and_then(|o| o.error.fields().cloned())
        .unwrap_or_default();
    let has_field_errors = !fields.is_empty();
    let err = move |name: &str| {
        fields
            .get(name)
            .map(|e| field_message(locale, &e.code, &e.message))
    };
    let hours = values.hours.clamp(1, max_hours);
    let people = values
        .people_count
        .clamp(1, i64::from(data.space.capacity).max(1));
    let prices = SpacePrices {
        hourly_price: data.space.hourly_price,
        included_people: i64::from(data.space.included_people),
        extra_person_price: data.space.extra_person_price,
    };
    // The first price on the page; the guest script asks the server again
    // whenever the form changes.
    let price = quote(prices, hours * 60, people, &[], None);
    let end_label = parse_time(&start)
        .map(|t| (t + Duration::hours(hours)).format("%H:%M").to_string())
        .unwrap_or_default();
    let when = parse_time(&start)
        .map(|t| locale.date(t.date_naive()))
        .unwrap_or_default();
    let time_from = hh_mm(&start);
    let name_err = err("client_name");
    let phone_err = err("client_phone");
    let email_err = err("client_email");
    let people_err = err("people_count");
    let consent_err = err("consent");
    let promo_err = err("promo_code");
    let time_err = err("start_time").or_else(|| err("end_time"));
    let (time_err_bad, people_err_bad, name_err_bad, phone_err_bad) = (
        time_err.is_some(),
        people_err.is_some(),
        name_err.is_some(),
        phone_err.is_some(),
    );
    let (email_err_bad, promo_err_bad, consent_err_bad) = (
        email_err.is_some(),
        promo_err.is_some(),
        consent_err.is_some(),
    );
    let other_error = outcome.as_ref().and_then(|o| match &o.error {
        AppError::Validation { .. } | AppError::Conflict { .. } => None,
        e => Some(e.clone()),
    });
    view! {
        <section class="booking-form-section" aria-labelledby="form-title">
            <h2 id="form-title">{t(Msg::YourBooking)}</h2>
            <p class="lead-line">
                <strong>{when}</strong> ", " {time_from} "–" <span data-end-label>{end_label}</span>
            </p>
            {has_field_errors.then(|| view! { <div class="notice notice--error" role="alert">{t(Msg::FixErrors)}</div> })}
            {other_error.map(|e| view! { <ErrorNotice error=e /> })}
            <form id="form" class="booking-form" method="post" data-space=data.space.slug.clone()
                action=format!("/book/{}?date={}#form", data.space.slug, data.date)>
                <input type="hidden" name="date" value=data.date.clone() />
                <input type="hidden" name="start" value=start.clone() />
                <div class="field" class:field--error=time_err_bad>
                    <label for="hours">{t(Msg::Duration)}</label>
                    <select id="hours" name="hours">
                        {(1..=max_hours).map(|h| view! {
                            <option value=h.to_string() selected=hours == h>
                                {locale.count(u64::try_from(h).unwrap_or(1), Noun::Hour)}
                            </option>
                        }).collect_view()}
                    </select>
                    {time_err.map(|m| view! { <p class="field__error" id="hours-error">{m}</p> })}
                </div>
                <div class="field" class:field--error=people_err_bad>
                    <label for="people_count">{t(Msg::People)}</label>
                    <input id="people_count" name="people_count" type="number" inputmode="numeric" min="1"
                        max=data.space.capacity.to_string() value=people.to_string() required
                        aria-invalid=people_err_bad.to_string() />
                    {people_err.map(|m| view! { <p class="field__error">{m}</p> })}
                </div>
                <div class="field" class:field--error=name_err_bad>
                    <label for="client_name">{t(Msg::YourName)}</label>
                    <input id="client_name" name="client_name" type="text" autocomplete="name" maxlength="200"
                        value=values.client_name.clone() required aria-invalid=name_err_bad.to_string() />
                    {name_err.map(|m| view! { <p class="field__error">{m}</p> })}
                </div>
                <div class="field" class:field--error=phone_err_bad>
                    <label for="client_phone">{t(Msg::Phone)}</label>
                    <input id="client_phone" name="client_phone" type="tel" autocomplete="tel" inputmode="tel"
                        maxlength="40" value=values.client_phone.clone() required
                        aria-invalid=phone_err_bad.to_string() aria-describedby="phone-hint" />
                    <p class="field__hint" id="phone-hint">{t(Msg::PhoneHint)}</p>
                    {phone_err.map(|m| view! { <p class="field__error">{m}</p> })}
                </div>
                <div class="field" class:field--error=email_err_bad>
                    <label for="client_email">{t(Msg::EmailOptional)}</label>
                    <input id="client_email" name="client_email" type="email" autocomplete="email"
                        value=values.client_email.clone() aria-invalid=email_err_bad.to_string() />
                    {email_err.map(|m| view! { <p class="field__error">{m}</p> })}
                </div>
                <div class="field">
                    <label for="special_requirements">{t(Msg::Requirements)}</label>
                    <textarea id="special_requirements" name="special_requirements" rows="3" maxlength="2000">
                        {values.special_requirements.clone()}
                    </textarea>
                </div>
                <div class="field" class:field--error=promo_err_bad>
                    <label for="promo_code">{t(Msg::PromoCode)}</label>
                    <input id="promo_code" name="promo_code" type="text" autocomplete="off" maxlength="40"
                        value=values.promo_code.clone() />
                    {promo_err.map(|m| view! { <p class="field__error">{m}</p> })}
                </div>
                <div class="hp" aria-hidden="true">
                    <label for="website">{t(Msg::HoneypotLabel)}</label>
                    <input id="website" name="website" type="text" tabindex="-1" autocomplete="off" />
                </div>
                <div class="field field--check" class:field--error=consent_err_bad>
                    <input id="consent" name="consent" type="checkbox" value="on" required
                        checked=values.consent.is_some() aria-invalid=consent_err_bad.to_string() />
                    <label for="consent">
                        {t(Msg::ConsentLabel)}
                        <span class="muted small">" (" {t(Msg::ConsentVersion)} " " {data.consent_version.clone()} ", "
                            <a href="/privacy" target="_blank">{super::privacy::tr(super::privacy::Text::PrivacyLink)}</a> ")"</span>
                    </label>
                    {consent_err.map(|m| view! { <p class="field__error">{m}</p> })}
                </div>
                <PriceSummary price=price />
                <noscript><p class="muted small">{t(Msg::PriceOnSubmit)}</p></noscript>
                <button type="submit" class="button button--primary">{t(Msg::SubmitBooking)}</button>
            </form>
        </section>
    }
}

/// A price line by line. Lines of zero are in the page but hidden, so the
/// guest script can show them when the form changes.
#[component]
fn PriceSummary(price: PriceBreakdown) -> impl IntoView {
    let locale = locale::current();
    let line = move |key: &'static str, label: Msg, amount: crate::domain::Money| {
        let hidden = key != "base" && amount.minor() == 0;
        let sign = if key == "discount" { "−" } else { "" };
        view! {
            <dt hidden=hidden>{t(label)}</dt>
            <dd data-line=key hidden=hidden>{sign}{locale.money(amount)}</dd>
        }
    };
    view! {
        <dl class="price" data-price aria-live="polite">
            {line("base", Msg::PriceBase, price.base)}
            {line("extra_people", Msg::PriceExtraPeople, price.extra_people)}
            {line("equipment", Msg::PriceEquipment, price.equipment)}
            {line("discount", Msg::PriceDiscount, price.discount)}
            <dt class="price__total">{t(Msg::PriceTotal)}</dt>
            <dd class="price__total" data-line="total" data-total>{locale.money(price.total)}</dd>
        </dl>
    }
}

/// `/booking/:token` — the guest's private page for one booking.
#[component]
pub fn ManagePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let booking = Resource::new(token, |t| held(guest_booking(t)));
    let catalog = use_context::<super::layout::CatalogResource>();
    view! {
        <Title text=t(Msg::YourBooking) />
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">{t(Msg::Loading)}</p> }>
            {move || {
                let (is_new, cancelled, confirm, error, requested) = query.with(|q| {
                    (q.get("new").is_some(), q.get("cancelled").is_some(), q.get("confirm_cancel").is_some(), q.get("error"),
                     q.get("requested").filter(|k| k == "export" || k == "erase"))
                });
                suspend(async move {
                    let studio = match catalog {
                        Some(c) => c.0.await.ok().map(|c| c.studio),
                        None => None,
                    };
                    match booking.await {
                    Ok(b) => view! { <ManageView booking=b token=token() studio is_new cancelled confirm error requested /> }.into_any(),
                    Err(AppError::NotFound { .. }) => { respond_with(404); view! {
                        <section class="empty-state">
                            <h1>{t(Msg::BookingNotFound)}</h1>
                            <a class="button" href="/">{t(Msg::BackHome)}</a>
                        </section>
                    }.into_any() }
                    Err(e) => {
                        respond_with(e.status_code());
                        view! { <ErrorNotice error=e /> }.into_any()
                    }
                } })
            }}
        </Suspense>
    }
}

#[component]
fn ManageView(
    booking: GuestBookingView,
    token: String,
    studio: Option<crate::domain::StudioInfo>,
    is_new: bool,
    cancelled: bool,
    confirm: bool,
    error: Option<String>,
    requested: Option<String>,
) -> impl IntoView {
    let locale = locale::current();
    let start = parse_time(&booking.start_time);
    let when = start
        .map(|t| locale.date(t.date_naive()))
        .unwrap_or_default();
    let cancel_until = parse_time(&booking.cancel_until)
        .map(|t| format!("{} {}", locale.date(t.date_naive()), t.format("%H:%M")))
        .unwrap_or_default();
    let b = booking.price_breakdown;
    let contacts = studio
        .as_ref()
        .map(|s| s.contacts.clone())
        .unwrap_or_default();
    let address = contacts.address.get(locale).to_owned();
    // A booking still ahead (not cancelled, finished or missed).
    let open = matches!(
        booking.state,
        BookingState::Pending | BookingState::Confirmed
    );
    let state_class = format!("badge badge--{}", booking.state.as_str());
    view! {
        {is_new.then(|| view! {
            <div class="notice notice--success" role="status">
                <strong>{t(Msg::Booked)}</strong>
                <p>{t(Msg::BookedNext)}</p>
            </div>
        })}
        {cancelled.then(|| view! { <div class="notice notice--success" role="status">{t(Msg::CancelledNotice)}</div> })}
        {error.map(|_| view! { <div class="notice notice--error" role="alert">{t(Msg::CancelTooLate)}</div> })}
        <article class="booking-card">
            <p class="muted">{t(Msg::Reference)}</p>
            <p class="reference" data-reference>{booking.reference.clone()}</p>
            <dl class="facts">
                <dt>{t(Msg::Status)}</dt>
                <dd><span class=state_class>{state_label(booking.state)}</span></dd>
                <dt>{t(Msg::Space)}</dt>
                <dd>{booking.space_name.clone()}</dd>
                {(!address.is_empty()).then(|| view! {
                    <dt>{t(Msg::WhereLabel)}</dt>
                    <dd>{address.clone()}
                        {(!contacts.map_url.is_empty()).then(|| view! {
                            " · " <a href=contacts.map_url.clone() target="_blank" rel="noopener noreferrer">{t(Msg::OnTheMap)}</a>
                        })}
                    </dd>
                })}
                <dt>{t(Msg::When)}</dt>
                <dd>{when} ", " {hh_mm(&booking.start_time)} "–" {hh_mm(&booking.end_time)}
                    <span class="muted small">" (" {booking.time_zone.clone()} ")"</span></dd>
                <dt>{t(Msg::People)}</dt>
                <dd>{booking.people_count}</dd>
                <dt>{t(Msg::YourName)}</dt>
                <dd>{booking.client_name.clone()}</dd>
            </dl>
            <PriceSummary price=b />
            {open.then(|| view! {
                <p>
                    <a class="button button--quiet" href=format!("/booking/{token}/calendar.ics") download data-add-to-calendar>
                        {super::guest_info::word(super::guest_info::Word::AddToCalendar)}
                    </a>
                </p>
            })}
            {if booking.can_cancel {
                if confirm {
                    view! {
                        <form method="post" action=format!("/booking/{token}/cancel") class="confirm">
                            <p><strong>{t(Msg::CancelConfirm)}</strong></p>
                            <button type="submit" class="button button--danger">{t(Msg::CancelYes)}</button>
                            " "
                            <a class="button button--quiet" href=format!("/booking/{token}")>{t(Msg::CancelNo)}</a>
                        </form>
                    }.into_any()
                } else {
                    view! {
                        <p class="muted small">{t(Msg::CancelUntil)} " " {cancel_until}</p>
                        <a class="button button--quiet" href=format!("/booking/{token}?confirm_cancel=1")>{t(Msg::CancelBooking)}</a>
                    }.into_any()
                }
            } else if open {
                // Too close to the start to cancel online: say why and how
                // to reach someone who can.
                view! {
                    <div class="notice contacts-note" data-cancel-closed>
                        <p>{t(Msg::CancelClosedAt)} " " {cancel_until.clone()}.</p>
                        {if contacts.phone.is_empty() {
                            view! { <p>{t(Msg::CancelWriteStudio)}</p> }.into_any()
                        } else {
                            view! {
                                <p>{t(Msg::CancelCallStudio)} " "
                                    <a href=format!("tel:{}", contacts.phone) data-studio-phone>
                                        <strong>{phone_display(&contacts.phone)}</strong>
                                    </a>
                                </p>
                            }.into_any()
                        }}
                    </div>
                }.into_any()
            } else {
                ().into_any()
            }}
        </article>
        {open.then(|| studio.clone().map(|studio| view! { <StudioTerms studio pay_first=true /> }))}
        <super::privacy::DataRequests token=token.clone() requested />
    }
}
