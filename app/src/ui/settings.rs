//! Studio settings (`/staff/settings`, owners and admins): the calendar's
//! rules, spaces, equipment, promo codes and the calendar feed links.
// Form server functions take one argument per field.
#![allow(clippy::too_many_arguments)]

use super::owners::{held, suspend};
use super::{
    board::error_text,
    locale::{self, t},
    staff::{go_to_login, staff_page_error},
    toast::toasts,
};
use crate::{
    domain::{
        notifications::{NotificationSettings, OutboxRow, TELEGRAM_KINDS},
        settings::{EquipmentItem, PromoCode, SpaceAdmin, StudioSettings},
        studio::{phone_display, Photo, StudioContacts},
    },
    error::AppError,
    i18n::Msg,
};
use leptos::prelude::*;
use leptos_meta::Title;

/// Everything the settings page shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SettingsPageData {
    pub settings: StudioSettings,
    pub contacts: StudioContacts,
    pub spaces: Vec<SpaceAdmin>,
    pub equipment: Vec<EquipmentItem>,
    pub promo_codes: Vec<PromoCode>,
    pub feed: Option<(String, Vec<(String, String)>)>,
    pub owner: bool,
    pub notifications: NotificationSettings,
    pub dead: Vec<OutboxRow>,
    /// Each space's gallery, by space id.
    pub galleries: Vec<(String, Vec<Photo>)>,
    pub logo: Option<Photo>,
}

#[server(prefix = "/api/fn", endpoint = "settings_page")]
pub async fn load_settings_page() -> Result<SettingsPageData, AppError> {
    use super::staff::session;
    use crate::server::{feeds, images, settings, webhooks};
    let (state, _, me) = session::report(session::settled_staff().await)?;
    let feed = session::report(feeds::feed_links(&state, &me).await)?;
    Ok(SettingsPageData {
        settings: session::report(settings::get(&state, &me).await)?,
        contacts: session::report(settings::contacts(&state, &me).await)?,
        spaces: session::report(settings::spaces(&state, &me).await)?,
        equipment: session::report(settings::equipment(&state).await)?,
        promo_codes: session::report(settings::promo_codes(&state, &me).await)?,
        feed: Some((
            feed.studio,
            feed.spaces.into_iter().map(|s| (s.name, s.url)).collect(),
        )),
        owner: me.role == crate::domain::Role::Owner,
        notifications: session::report(webhooks::settings(&state, &me).await)?,
        dead: session::report(webhooks::dead(&state, &me).await)?,
        galleries: session::report(images::galleries(&state.store).await)?
            .into_iter()
            .collect(),
        logo: session::report(images::logo(&state.store).await)?,
    })
}

/// Saves the notification settings (one checkbox per Telegram event).
#[server(prefix = "/api/fn", endpoint = "save_notifications")]
pub async fn save_notifications(
    reminder_hours: String,
    unpaid_cancel_hours: String,
    tg_booking_created: Option<String>,
    tg_booking_cancelled: Option<String>,
    tg_booking_rescheduled: Option<String>,
    tg_no_show: Option<String>,
) -> Result<(), AppError> {
    use super::staff::session;
    use crate::{
        error::FieldError,
        server::{web_session, webhooks},
    };
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    // Owners and admins only, before anything of the form is read.
    session::report(crate::server::settings::require_admin(&me))?;
    let number = |field: &str, raw: &str| {
        raw.trim().parse::<i32>().map_err(|_| {
            AppError::field(
                field,
                FieldError::new("invalid", "A whole number of hours."),
            )
        })
    };
    let unpaid = match unpaid_cancel_hours.trim() {
        "" => None,
        raw => Some(number("unpaid_cancel_hours", raw)?),
    };
    let events = [
        ("booking_created", &tg_booking_created),
        ("booking_cancelled", &tg_booking_cancelled),
        ("booking_rescheduled", &tg_booking_rescheduled),
        ("no_show", &tg_no_show),
    ]
    .into_iter()
    .filter(|(_, on)| on.is_some())
    .map(|(k, _)| k.to_owned())
    .collect();
    let input = NotificationSettings {
        reminder_hours: number("reminder_hours", &reminder_hours)?,
        unpaid_cancel_hours: unpaid,
        telegram_events: events,
        telegram_configured: false,
        email_configured: false,
        telegram_last_delivery: None,
        email_last_delivery: None,
    };
    session::report(
        webhooks::update_settings(&state, &me, &web_session::origin(&parts), &input).await,
    )
    .map(|_| ())
}

/// Saves the studio's contacts (the service normalises and checks them).
#[server(prefix = "/api/fn", endpoint = "save_contacts")]
pub async fn save_contacts(
    phone: String,
    whatsapp: String,
    telegram: String,
    email: String,
    address_ru: String,
    address_en: String,
    map_url: String,
    directions_ru: String,
    directions_en: String,
    rules_ru: String,
    rules_en: String,
    payment_ru: String,
    payment_en: String,
) -> Result<(), AppError> {
    use super::staff::session;
    use crate::{
        domain::studio::Localized,
        server::{settings, web_session},
    };
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    let input = StudioContacts {
        phone,
        telegram,
        whatsapp,
        email,
        address: Localized {
            ru: address_ru,
            en: address_en,
        },
        map_url,
        directions: Localized {
            ru: directions_ru,
            en: directions_en,
        },
        rules: Localized {
            ru: rules_ru,
            en: rules_en,
        },
        payment: Localized {
            ru: payment_ru,
            en: payment_en,
        },
    };
    session::report(
        settings::update_contacts(&state, &me, &web_session::origin(&parts), &input).await,
    )
    .map(|_| ())
}

/// Queues a test message to the staff's Telegram chat.
#[server(prefix = "/api/fn", endpoint = "telegram_test")]
pub async fn send_telegram_test() -> Result<(), AppError> {
    use super::staff::session;
    use crate::server::{web_session, webhooks};
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    session::report(webhooks::telegram_test(&state, &me, &web_session::origin(&parts)).await)
        .map(|_| ())
}

/// "Retry now" on a message that could not be delivered.
#[server(prefix = "/api/fn", endpoint = "retry_delivery")]
pub async fn retry_delivery(id: i64) -> Result<(), AppError> {
    use super::staff::session;
    use crate::server::{web_session, webhooks};
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    session::report(
        webhooks::retry(&state, &me, &web_session::origin(&parts), &id.to_string()).await,
    )
}

#[cfg(feature = "ssr")]
fn minutes(raw: &str) -> Result<i64, ()> {
    raw.trim().parse::<i64>().map_err(|_| ())
}

#[server(prefix = "/api/fn", endpoint = "save_settings")]
pub async fn save_settings(
    name: String,
    time_zone: String,
    buffer_minutes: String,
    min_hours: String,
    max_hours: String,
    lead_minutes: String,
    horizon_days: String,
    cancellation_hours: String,
    #[server(default)] retention_days: Option<String>,
    hours: Vec<String>,
    holidays: String,
    confirm: Option<String>,
) -> Result<(), AppError> {
    use super::staff::session;
    use crate::{
        domain::settings::{DayHours, Holiday, SettingsUpdate},
        error::FieldError,
        server::{settings, web_session},
    };
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    // Who may change the settings is decided before their input is read.
    settings::require_admin(&me)?;
    let mut errors = std::collections::BTreeMap::new();
    let mut number = |field: &str, raw: &str, factor: i64| match minutes(raw)
        .ok()
        .and_then(|v| v.checked_mul(factor))
    {
        Some(v) => v,
        None => {
            errors.insert(
                field.to_owned(),
                FieldError::new("not_a_number", "A whole number."),
            );
            0
        }
    };
    let buffer = number("buffer_minutes", &buffer_minutes, 1);
    let min = number("min_booking_minutes", &min_hours, 60);
    let max = number("max_booking_minutes", &max_hours, 60);
    let lead = number("lead_minutes", &lead_minutes, 1);
    let horizon = number("horizon_days", &horizon_days, 1);
    let cancellation = number("cancellation_hours", &cancellation_hours, 1);
    let retention = retention_days
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        .map(|r| number("retention_days", r, 1));
    if !errors.is_empty() {
        return session::report(Err(AppError::Validation { fields: errors }));
    }
    let day_hours = (1..=7)
        .map(|d| {
            let raw = hours.get(d - 1).map(|h| h.trim()).unwrap_or_default();
            let (opens, closes) = raw
                .split_once(['-', '–'])
                .map(|(o, c)| (Some(o.trim().to_owned()), Some(c.trim().to_owned())))
                .unwrap_or((None, None));
            DayHours {
                weekday: i32::try_from(d).unwrap_or(0),
                opens: opens.or_else(|| (!raw.is_empty()).then(|| raw.to_owned())),
                closes,
            }
        })
        .collect();
    let holidays = holidays
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (date, reason) = l.split_once(' ').unwrap_or((l, ""));
            Holiday {
                date: date.to_owned(),
                reason: reason.trim().to_owned(),
            }
        })
        .collect();
    let update = SettingsUpdate {
        settings: crate::domain::settings::StudioSettings {
            name,
            time_zone,
            hours: day_hours,
            holidays,
            buffer_minutes: buffer,
            min_booking_minutes: min,
            max_booking_minutes: max,
            lead_minutes: lead,
            horizon_days: horizon,
            cancellation_hours: cancellation,
            retention_days: retention,
        },
        confirm: confirm.is_some(),
    };
    session::report(settings::update(&state, &me, &web_session::origin(&parts), &update).await)
        .map(|_| ())
}

#[server(prefix = "/api/fn", endpoint = "save_space")]
pub async fn save_space(
    id: String,
    slug: String,
    name: String,
    capacity: String,
    hourly_price: String,
    included_people: String,
    extra_person_price: String,
    sort_order: String,
    active: Option<String>,
) -> Result<(), AppError> {
    use super::staff::session;
    use crate::{
        domain::{settings::SpaceInput, Money},
        server::{settings, web_session},
    };
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    // Not a price: refused by the range check of the service.
    let roubles = |raw: &str| Money::parse_roubles(raw).unwrap_or(Money::from_minor(-1));
    let input = SpaceInput {
        slug: slug.trim().to_owned(),
        name,
        details: Default::default(),
        capacity: capacity.trim().parse().unwrap_or(0),
        hourly_price: roubles(&hourly_price),
        included_people: included_people.trim().parse().unwrap_or(-1),
        extra_person_price: roubles(&extra_person_price),
        active: active.is_some(),
        sort_order: sort_order.trim().parse().unwrap_or(0),
    };
    let id = Some(id).filter(|i| !i.is_empty());
    if let Some(existing) = &id {
        // Keep the details (the space page card edits them).
        let current = session::report(settings::spaces(&state, &me).await)?;
        let details = current
            .into_iter()
            .find(|s| &s.id == existing)
            .map(|s| s.space.details)
            .unwrap_or_default();
        let input = SpaceInput { details, ..input };
        return session::report(
            settings::save_space(
                &state,
                &me,
                &web_session::origin(&parts),
                Some(existing),
                &input,
            )
            .await,
        )
        .map(|_| ());
    }
    session::report(
        settings::save_space(&state, &me, &web_session::origin(&parts), None, &input).await,
    )
    .map(|_| ())
}

/// Saves what guests read about a space (its description and what is
/// included in each language, area, ceiling height); the rest of the space
/// stays as it is.
#[server(prefix = "/api/fn", endpoint = "save_space_page")]
pub async fn save_space_page(
    id: String,
    description_ru: String,
    description_en: String,
    included_ru: String,
    included_en: String,
    area_m2: String,
    ceiling_m: String,
) -> Result<(), AppError> {
    use super::staff::session;
    use crate::{
        domain::studio::{Localized, SpaceDetails},
        error::FieldError,
        server::{settings, web_session},
    };
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    session::report(settings::require_admin(&me))?;
    let bad = |field: &str, text: &str| {
        AppError::field(field, FieldError::new("out_of_range", text.to_owned()))
    };
    let area_m2 = match area_m2.trim() {
        "" => None,
        raw => Some(
            raw.parse::<u32>()
                .map_err(|_| bad("area_m2", "1 to 10000 square metres."))?,
        ),
    };
    let ceiling_cm = match ceiling_m.trim() {
        "" => None,
        raw => {
            let metres: f64 = raw
                .replace(',', ".")
                .parse()
                .map_err(|_| bad("ceiling_cm", "1.5 to 30 metres."))?;
            if !(0.0..=1000.0).contains(&metres) {
                return Err(bad("ceiling_cm", "1.5 to 30 metres."));
            }
            Some((metres * 100.0).round() as u32)
        }
    };
    let current = session::report(settings::spaces(&state, &me).await)?;
    let space = current
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| AppError::not_found("space"))?;
    let input = crate::domain::settings::SpaceInput {
        details: SpaceDetails {
            description: Localized {
                ru: description_ru,
                en: description_en,
            },
            included: Localized {
                ru: included_ru,
                en: included_en,
            },
            area_m2,
            ceiling_cm,
        },
        ..space.space
    };
    session::report(
        settings::save_space(&state, &me, &web_session::origin(&parts), Some(&id), &input).await,
    )
    .map(|_| ())
}

/// Stores an uploaded photo of a space (`target` = its id) or the logo
/// (`target` = `logo`), with its alt texts. Multipart: the browser sends
/// the form as it is.
#[server(prefix = "/api/fn", endpoint = "upload_image", input = leptos::server_fn::codec::MultipartFormData)]
pub async fn upload_image(data: leptos::server_fn::codec::MultipartData) -> Result<(), AppError> {
    use super::staff::session;
    use crate::{
        domain::studio::Localized,
        error::FieldError,
        server::{
            images::{self, ImageTarget, MAX_UPLOAD_BYTES},
            web_session,
        },
    };
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    session::report(crate::server::settings::require_admin(&me))?;
    let mut form = data.into_inner().ok_or_else(|| AppError::BadRequest {
        message: "A multipart form was expected.".into(),
    })?;
    let (mut target, mut alt, mut file) = (String::new(), Localized::default(), Vec::new());
    let unreadable = || AppError::BadRequest {
        message: "The upload could not be read.".into(),
    };
    while let Some(mut field) = form.next_field().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or_default().to_owned();
        // The file up to the upload limit, each text up to a few KB.
        let limit = if name == "file" {
            MAX_UPLOAD_BYTES
        } else {
            4096
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|_| unreadable())? {
            if bytes.len() + chunk.len() > limit {
                return Err(AppError::field(
                    &name,
                    FieldError::new("file_too_large", "The upload is too large."),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "file" => file = bytes,
            "target" => target = text(),
            "alt_ru" => alt.ru = text(),
            "alt_en" => alt.en = text(),
            _ => {}
        }
    }
    let target = match target.as_str() {
        "logo" => ImageTarget::Logo,
        "" => return Err(AppError::not_found("space")),
        space => ImageTarget::Space(space.to_owned()),
    };
    session::report(
        images::add(
            &state,
            &me,
            &web_session::origin(&parts),
            &target,
            &alt,
            file,
        )
        .await,
    )
    .map(|_| ())
}

/// Deletes a photo or the logo.
#[server(prefix = "/api/fn", endpoint = "delete_image")]
pub async fn delete_image(id: String) -> Result<(), AppError> {
    use super::staff::session;
    use crate::server::{images, web_session};
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    session::report(images::remove(&state, &me, &web_session::origin(&parts), &id).await)
}

#[server(prefix = "/api/fn", endpoint = "save_equipment")]
pub async fn save_equipment_item(
    id: String,
    name: String,
    price: String,
    stock: String,
    per_hour: Option<String>,
    active: Option<String>,
) -> Result<(), AppError> {
    use super::staff::session;
    use crate::{
        domain::{settings::EquipmentInput, Money},
        server::{settings, web_session},
    };
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    let input = EquipmentInput {
        name,
        // Not a price: refused by the range check of the service.
        price: Money::parse_roubles(&price).unwrap_or(Money::from_minor(-1)),
        per_hour: per_hour.is_some(),
        stock: stock.trim().parse().unwrap_or(-1),
        active: active.is_some(),
        sort_order: 0,
    };
    let id = Some(id).filter(|i| !i.is_empty());
    session::report(
        settings::save_equipment(
            &state,
            &me,
            &web_session::origin(&parts),
            id.as_deref(),
            &input,
        )
        .await,
    )
    .map(|_| ())
}

#[server(prefix = "/api/fn", endpoint = "save_promo")]
pub async fn save_promo_code(
    code: String,
    percent_off: String,
    max_uses: String,
    valid_until: String,
) -> Result<(), AppError> {
    use super::staff::session;
    use crate::{
        domain::settings::PromoInput,
        server::{settings, web_session},
    };
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    let input = PromoInput {
        code,
        percent_off: percent_off.trim().parse().ok(),
        amount_off: None,
        valid_from: None,
        valid_until: Some(valid_until).filter(|v| !v.trim().is_empty()),
        max_uses: max_uses.trim().parse().ok(),
        active: true,
    };
    session::report(settings::save_promo(&state, &me, &web_session::origin(&parts), &input).await)
        .map(|_| ())
}

#[server(prefix = "/api/fn", endpoint = "rotate_feed")]
pub async fn rotate_feed() -> Result<(), AppError> {
    use super::staff::session;
    use crate::server::{feeds, web_session};
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    session::report(feeds::rotate(&state, &me, &web_session::origin(&parts)).await).map(|_| ())
}

const WEEKDAYS: [(Msg, &str); 7] = [
    (Msg::Monday, "mon"),
    (Msg::Tuesday, "tue"),
    (Msg::Wednesday, "wed"),
    (Msg::Thursday, "thu"),
    (Msg::Friday, "fri"),
    (Msg::Saturday, "sat"),
    (Msg::Sunday, "sun"),
];

fn roubles(m: crate::domain::Money) -> String {
    let (negative, whole, kopecks) = m.parts();
    let sign = if negative { "-" } else { "" };
    if kopecks == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{kopecks:02}")
    }
}

/// Empties an "add" form once what it added is saved: the page re-renders
/// its rows in place, and a browser keeps what was typed into an input.
fn clear_after_success(result: &Option<Result<(), AppError>>, form_id: &str) {
    #[cfg(feature = "hydrate")]
    if matches!(result, Some(Ok(()))) {
        use wasm_bindgen::JsCast;
        if let Some(form) = document()
            .get_element_by_id(form_id)
            .and_then(|f| f.dyn_into::<web_sys::HtmlFormElement>().ok())
        {
            form.reset();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (result, form_id);
}

/// `/staff/settings`
#[component]
pub fn SettingsPage() -> impl IntoView {
    let locale = locale::current();
    let toasts = toasts();
    let rules = ServerAction::<SaveSettings>::new();
    let space = ServerAction::<SaveSpace>::new();
    let item = ServerAction::<SaveEquipmentItem>::new();
    let promo = ServerAction::<SavePromoCode>::new();
    let rotate = ServerAction::<RotateFeed>::new();
    let notify = ServerAction::<SaveNotifications>::new();
    let contacts = ServerAction::<SaveContacts>::new();
    let space_page = ServerAction::<SaveSpacePage>::new();
    let delete_image = ServerAction::<DeleteImage>::new();
    // Uploads go through `upload_image` from the form itself (a browser
    // FormData is not an action input); this counts finished ones.
    let uploads = RwSignal::new(0_u32);
    let tg_test = ServerAction::<SendTelegramTest>::new();
    let retry = ServerAction::<RetryDelivery>::new();
    let data = Resource::new(
        move || {
            (
                rules.version().get(),
                space.version().get(),
                item.version().get(),
                promo.version().get(),
                rotate.version().get(),
                (
                    notify.version().get(),
                    tg_test.version().get(),
                    retry.version().get(),
                    contacts.version().get(),
                ),
                (
                    space_page.version().get(),
                    delete_image.version().get(),
                    uploads.get(),
                ),
            )
        },
        |_| held(load_settings_page()),
    );
    let outcome = move |result: Option<Result<(), AppError>>| match result {
        Some(Ok(())) => toasts.success(t(Msg::Saved)),
        Some(Err(AppError::Unauthorized { .. })) => go_to_login(),
        Some(Err(e)) => toasts.error(error_text(locale, &e)),
        None => {}
    };
    Effect::new(move |_| outcome(rules.value().get()));
    Effect::new(move |_| {
        let result = space.value().get();
        clear_after_success(&result, "space-new");
        outcome(result)
    });
    Effect::new(move |_| {
        let result = item.value().get();
        clear_after_success(&result, "equipment-new");
        outcome(result)
    });
    Effect::new(move |_| {
        let result = promo.value().get();
        clear_after_success(&result, "promo-new");
        outcome(result)
    });
    Effect::new(move |_| outcome(rotate.value().get()));
    Effect::new(move |_| outcome(notify.value().get()));
    Effect::new(move |_| outcome(contacts.value().get()));
    Effect::new(move |_| outcome(space_page.value().get()));
    Effect::new(move |_| outcome(delete_image.value().get()));
    let uploaded = Callback::new(move |result: Result<(), AppError>| {
        if result.is_ok() {
            uploads.update(|n| *n += 1);
        }
        outcome(Some(result));
    });
    Effect::new(move |_| match tg_test.value().get() {
        Some(Ok(())) => toasts.success(t(Msg::TestMessageQueued)),
        other => outcome(other),
    });
    Effect::new(move |_| match retry.value().get() {
        Some(Ok(())) => toasts.success(t(Msg::RetryQueued)),
        other => outcome(other),
    });
    let strands = move || {
        rules
            .value()
            .get()
            .and_then(|r| r.err())
            .filter(|e| e.code() == "strands_bookings")
            .is_some()
    };
    view! {
        <Title text=t(Msg::StaffSettings) />
        <h1>{t(Msg::StaffSettings)}</h1>
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">{t(Msg::Loading)}</p> }>
            {move || suspend(async move {
                let d = match data.await {
                    Ok(d) => d,
                    Err(e) => return staff_page_error(e),
                };
                let s = d.settings.clone();
                let holidays = s.holidays.iter().map(|h| format!("{} {}", h.date, h.reason).trim().to_owned()).collect::<Vec<_>>().join("\n");
                view! {
                    <section class="panel panel--wide" aria-labelledby="rules-title">
                        <h2 id="rules-title">{t(Msg::StudioRules)}</h2>
                        <ActionForm action=rules attr:class="stack stack--wide">
                            <div class="grid-2">
                                <div class="field"><label for="s-name">{t(Msg::StudioName)}</label><input id="s-name" name="name" value=s.name.clone() required /></div>
                                <div class="field"><label for="s-tz">{t(Msg::TimeZone)}</label><input id="s-tz" name="time_zone" value=s.time_zone.clone() required /></div>
                                <div class="field"><label for="s-buffer">{t(Msg::BufferMinutes)}</label><input id="s-buffer" name="buffer_minutes" type="number" min="0" max="240" value=s.buffer_minutes /></div>
                                <div class="field"><label for="s-lead">{t(Msg::LeadMinutes)}</label><input id="s-lead" name="lead_minutes" type="number" min="0" value=s.lead_minutes /></div>
                                <div class="field"><label for="s-min">{t(Msg::MinHours)}</label><input id="s-min" name="min_hours" type="number" min="1" max="24" value=s.min_booking_minutes / 60 /></div>
                                <div class="field"><label for="s-max">{t(Msg::MaxHours)}</label><input id="s-max" name="max_hours" type="number" min="1" max="24" value=s.max_booking_minutes / 60 /></div>
                                <div class="field"><label for="s-horizon">{t(Msg::HorizonDays)}</label><input id="s-horizon" name="horizon_days" type="number" min="1" max="730" value=s.horizon_days /></div>
                                <div class="field"><label for="s-cancel">{t(Msg::CancellationHours)}</label><input id="s-cancel" name="cancellation_hours" type="number" min="0" value=s.cancellation_hours /></div>
                                <div class="field"><label for="s-retention">{if locale::current() == crate::i18n::Locale::En { "Keep personal data (days after a booking)" } else { "Хранить персональные данные (дней после брони)" }}</label><input id="s-retention" name="retention_days" type="number" min="30" max="36500" value=s.retention_days.unwrap_or(2555) /></div>
                            </div>
                            <fieldset class="hours">
                                <legend>{t(Msg::OpeningHours)}</legend>
                                {WEEKDAYS.iter().enumerate().map(|(i, (msg, key))| {
                                    let h = s.hours.get(i);
                                    let value = h.and_then(|h| Some(format!("{}-{}", h.opens.clone()?, h.closes.clone()?))).unwrap_or_default();
                                    view! {
                                        <div class="field field--row">
                                            <label for=format!("s-h-{key}")>{t(*msg)}</label>
                                            <input id=format!("s-h-{key}") name=format!("hours[{i}]") value=value placeholder="09:00-21:00" />
                                        </div>
                                    }
                                }).collect_view()}
                                <p class="field__hint">{t(Msg::HoursHint)}</p>
                            </fieldset>
                            <div class="field">
                                <label for="s-holidays">{t(Msg::Holidays)}</label>
                                <textarea id="s-holidays" name="holidays" rows="3" placeholder="2027-01-01 New Year">{holidays}</textarea>
                            </div>
                            {move || strands().then(|| view! {
                                <div class="notice notice--error" role="alert">
                                    <p>{rules.value().get().and_then(|r| r.err()).map(|e| e.message()).unwrap_or_default()}</p>
                                    <label><input type="checkbox" name="confirm" value="yes" /> " " {t(Msg::SaveAnyway)}</label>
                                </div>
                            })}
                            <button type="submit" class="button" disabled=move || rules.pending().get()>{t(Msg::Save)}</button>
                        </ActionForm>
                    </section>
                    <ContactsCard data=d.contacts.clone() action=contacts />
                    <GuestSiteCard spaces=d.spaces.clone() galleries=d.galleries.clone() logo=d.logo.clone()
                        page=space_page delete=delete_image uploaded />
                    <section class="panel panel--wide" aria-labelledby="spaces-title">
                        <h2 id="spaces-title">{t(Msg::NavSpaces)}</h2>
                        <div class="table-wrap">
                            <table class="table settings-table">
                                <thead><tr>
                                    <th>{t(Msg::Slug)}</th><th>{t(Msg::StudioName)}</th><th>{t(Msg::Capacity)}</th><th>{t(Msg::PricePerHour)}</th>
                                    <th>{t(Msg::IncludedPeople)}</th><th>{t(Msg::ExtraPersonPrice)}</th><th>{t(Msg::SortOrder)}</th><th>{t(Msg::EmpActive)}</th><th></th>
                                </tr></thead>
                                <tbody>
                                    {d.spaces.iter().cloned().map(|sp| view! { <SpaceRow action=space space=Some(sp) /> }).collect_view()}
                                    <SpaceRow action=space space=None />
                                </tbody>
                            </table>
                        </div>
                    </section>
                    <section class="panel panel--wide" aria-labelledby="equipment-title">
                        <h2 id="equipment-title">{t(Msg::ColEquipment)}</h2>
                        <div class="table-wrap">
                            <table class="table settings-table">
                                <thead><tr><th>{t(Msg::StudioName)}</th><th>{t(Msg::UnitPrice)}</th><th>{t(Msg::Stock)}</th><th>{t(Msg::PerHourShort)}</th><th>{t(Msg::EmpActive)}</th><th></th></tr></thead>
                                <tbody>
                                    {d.equipment.iter().cloned().map(|e| view! { <EquipmentRow action=item item=Some(e) /> }).collect_view()}
                                    <EquipmentRow action=item item=None />
                                </tbody>
                            </table>
                        </div>
                    </section>
                    <section class="panel panel--wide" aria-labelledby="promo-title">
                        <h2 id="promo-title">{t(Msg::PromoCodes)}</h2>
                        <ul class="promo-list">
                            {d.promo_codes.iter().map(|p| view! {
                                <li><code>{p.promo.code.clone()}</code> " · "
                                    {p.promo.percent_off.map(|v| format!("−{v}%")).or_else(|| p.promo.amount_off.map(|a| format!("−{}", locale.money(a)))).unwrap_or_default()}
                                    " · " {p.used_count} {p.promo.max_uses.map(|m| format!(" / {m}")).unwrap_or_default()}
                                    {p.promo.valid_until.clone().map(|u| format!(" · ≤ {u}")).unwrap_or_default()}
                                </li>
                            }).collect_view()}
                        </ul>
                        <ActionForm action=promo attr:id="promo-new" attr:class="grid-2 promo-form">
                            <div class="field"><label for="p-code">{t(Msg::PromoCodes)}</label><input id="p-code" name="code" required /></div>
                            <div class="field"><label for="p-pct">{t(Msg::PercentOff)}</label><input id="p-pct" name="percent_off" type="number" min="1" max="100" required /></div>
                            <div class="field"><label for="p-max">{t(Msg::MaxUses)}</label><input id="p-max" name="max_uses" type="number" min="1" /></div>
                            <div class="field"><label for="p-until">{t(Msg::ValidUntil)}</label><input id="p-until" name="valid_until" type="date" /></div>
                            <button type="submit" class="button">{t(Msg::Save)}</button>
                        </ActionForm>
                    </section>
                    <section class="panel panel--wide" aria-labelledby="feeds-title">
                        <h2 id="feeds-title">{t(Msg::CalendarFeeds)}</h2>
                        <p class="muted small">{t(Msg::CalendarFeedsHint)}</p>
                        {d.feed.clone().map(|(studio, spaces)| view! {
                            <ul class="feeds">
                                <li><a href=studio.clone() data-feed="studio">{t(Msg::WholeStudio)}</a></li>
                                {spaces.into_iter().map(|(name, url)| view! { <li><a href=url>{name}</a></li> }).collect_view()}
                            </ul>
                        })}
                        {d.owner.then(|| view! {
                            <ActionForm action=rotate>
                                <button type="submit" class="button button--quiet">{t(Msg::RotateFeed)}</button>
                            </ActionForm>
                        })}
                    </section>
                    <NotificationsCard data=d.notifications.clone() dead=d.dead.clone() notify tg_test retry />
                }
                .into_any()
            })}
        </Transition>
    }
}

#[component]
fn SpaceRow(action: ServerAction<SaveSpace>, space: Option<SpaceAdmin>) -> impl IntoView {
    let id = space.as_ref().map(|s| s.id.clone()).unwrap_or_default();
    let s = space.map(|s| s.space);
    let form = format!("space-{}", if id.is_empty() { "new" } else { &id });
    let v = |f: &dyn Fn(&crate::domain::settings::SpaceInput) -> String| {
        s.as_ref().map(f).unwrap_or_default()
    };
    let slug = v(&|s| s.slug.clone());
    let name = v(&|s| s.name.clone());
    let capacity = v(&|s| s.capacity.to_string());
    let price = v(&|s| roubles(s.hourly_price));
    let included = v(&|s| s.included_people.to_string());
    let extra = v(&|s| roubles(s.extra_person_price));
    let sort = v(&|s| s.sort_order.to_string());
    let active = s.as_ref().is_none_or(|s| s.active);
    let is_new = s.is_none();
    let row_slug = slug.clone();
    view! {
        <tr data-space-row=row_slug>
            <td>
                <ActionForm action=action attr:id=form.clone() attr:class="inline-form">
                    <input type="hidden" name="id" value=id />
                </ActionForm>
                <input form=form.clone() name="slug" value=slug aria-label=t(Msg::Slug) required size="10" />
            </td>
            <td><input form=form.clone() name="name" value=name aria-label=t(Msg::StudioName) required size="14" /></td>
            <td><input form=form.clone() name="capacity" type="number" min="1" value=capacity aria-label=t(Msg::Capacity) class="num-input" /></td>
            <td><input form=form.clone() name="hourly_price" inputmode="decimal" value=price aria-label=t(Msg::PricePerHour) class="num-input" /></td>
            <td><input form=form.clone() name="included_people" type="number" min="0" value=included aria-label=t(Msg::IncludedPeople) class="num-input" /></td>
            <td><input form=form.clone() name="extra_person_price" inputmode="decimal" value=extra aria-label=t(Msg::ExtraPersonPrice) class="num-input" /></td>
            <td><input form=form.clone() name="sort_order" type="number" value=sort aria-label=t(Msg::SortOrder) class="num-input" /></td>
            <td><input form=form.clone() name="active" type="checkbox" value="yes" checked=active aria-label=t(Msg::EmpActive) /></td>
            <td><button form=form type="submit" class="button button--quiet">{if is_new { t(Msg::AddNew) } else { t(Msg::Save) }}</button></td>
        </tr>
    }
}

#[component]
fn EquipmentRow(
    action: ServerAction<SaveEquipmentItem>,
    item: Option<EquipmentItem>,
) -> impl IntoView {
    let id = item.as_ref().map(|s| s.id.clone()).unwrap_or_default();
    let e = item.map(|s| s.item);
    let form = format!("equipment-{}", if id.is_empty() { "new" } else { &id });
    let name = e.as_ref().map(|e| e.name.clone()).unwrap_or_default();
    let price = e.as_ref().map(|e| roubles(e.price)).unwrap_or_default();
    let stock = e.as_ref().map(|e| e.stock.to_string()).unwrap_or_default();
    let per_hour = e.as_ref().is_some_and(|e| e.per_hour);
    let active = e.as_ref().is_none_or(|e| e.active);
    let is_new = e.is_none();
    view! {
        <tr>
            <td>
                <ActionForm action=action attr:id=form.clone() attr:class="inline-form">
                    <input type="hidden" name="id" value=id />
                </ActionForm>
                <input form=form.clone() name="name" value=name aria-label=t(Msg::StudioName) required size="16" />
            </td>
            <td><input form=form.clone() name="price" inputmode="decimal" value=price aria-label=t(Msg::UnitPrice) class="num-input" /></td>
            <td><input form=form.clone() name="stock" type="number" min="0" value=stock aria-label=t(Msg::Stock) class="num-input" /></td>
            <td><input form=form.clone() name="per_hour" type="checkbox" value="yes" checked=per_hour aria-label=t(Msg::PerHourShort) /></td>
            <td><input form=form.clone() name="active" type="checkbox" value="yes" checked=active aria-label=t(Msg::EmpActive) /></td>
            <td><button form=form type="submit" class="button button--quiet">{if is_new { t(Msg::AddNew) } else { t(Msg::Save) }}</button></td>
        </tr>
    }
}

/// The logo and, per space, what guests read and see: description and
/// what is included in both languages, area, ceiling, the gallery.
#[component]
fn GuestSiteCard(
    spaces: Vec<SpaceAdmin>,
    galleries: Vec<(String, Vec<Photo>)>,
    logo: Option<Photo>,
    page: ServerAction<SaveSpacePage>,
    delete: ServerAction<DeleteImage>,
    uploaded: Callback<Result<(), AppError>>,
) -> impl IntoView {
    let ask_then_delete = move |id: String, question: Msg| {
        move |_: leptos::ev::MouseEvent| {
            #[cfg(feature = "hydrate")]
            if !window().confirm_with_message(t(question)).unwrap_or(false) {
                return;
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = question;
            delete.dispatch(DeleteImage { id: id.clone() });
        }
    };
    view! {
        <section class="panel panel--wide" aria-labelledby="site-title" data-guest-site>
            <h2 id="site-title">{t(Msg::GuestSiteTitle)}</h2>
            <p class="muted small">{t(Msg::GuestSiteHint)}</p>
            <h3>{t(Msg::LogoLabel)}</h3>
            <div class="logo-row">
                {match logo {
                    Some(l) => view! {
                        <img class="logo-preview" src=l.url(l.widths.first().copied().unwrap_or(l.width), false) alt=t(Msg::LogoLabel) data-logo-preview />
                        <button type="button" class="button button--quiet" on:click=ask_then_delete(l.id.clone(), Msg::RemoveLogoConfirm)>{t(Msg::RemoveLogo)}</button>
                    }.into_any(),
                    None => view! { <p class="muted">{t(Msg::NoLogo)}</p> }.into_any(),
                }}
            </div>
            <UploadForm target="logo".to_owned() uploaded with_alt=false />
            {spaces.into_iter().map(|sp| {
                let photos = galleries.iter().find(|(id, _)| *id == sp.id).map(|(_, p)| p.clone()).unwrap_or_default();
                let d = sp.space.details.clone();
                let id = sp.id.clone();
                let form_id = sp.id.clone();
                let prefix = format!("sp-{}", sp.space.slug);
                let input = move |suffix: &str, name: &'static str, label: Msg, value: String, kind: &'static str| {
                    let fid = format!("{prefix}-{suffix}");
                    view! {
                        <div class="field">
                            <label for=fid.clone()>{t(label)}</label>
                            <input id=fid name=name type=kind value=value inputmode=if kind == "text" { "decimal" } else { "numeric" } />
                        </div>
                    }
                };
                let text = {
                    let prefix = format!("sp-{}", sp.space.slug);
                    move |suffix: &str, name: &'static str, label: Msg, value: String| {
                        let fid = format!("{prefix}-{suffix}");
                        view! {
                            <div class="field">
                                <label for=fid.clone()>{t(label)}</label>
                                <textarea id=fid name=name rows="4" maxlength="2000">{value}</textarea>
                            </div>
                        }
                    }
                };
                let ceiling = d.ceiling_cm.map(|c| format!("{}", f64::from(c) / 100.0)).unwrap_or_default();
                view! {
                    <details class="space-page" data-space-page=sp.space.slug.clone()>
                        <summary>{sp.space.name.clone()} <span class="muted small">" · " {t(Msg::PhotosLabel)} ": " {photos.len()}</span></summary>
                        <ActionForm action=page attr:class="stack stack--wide">
                            <input type="hidden" name="id" value=form_id />
                            <div class="grid-2">
                                {text("desc-ru", "description_ru", Msg::DescriptionRu, d.description.ru.clone())}
                                {text("desc-en", "description_en", Msg::DescriptionEn, d.description.en.clone())}
                                {text("inc-ru", "included_ru", Msg::IncludedRu, d.included.ru.clone())}
                                {text("inc-en", "included_en", Msg::IncludedEn, d.included.en.clone())}
                                {input("area", "area_m2", Msg::AreaM2, d.area_m2.map(|a| a.to_string()).unwrap_or_default(), "number")}
                                {input("ceiling", "ceiling_m", Msg::CeilingM, ceiling, "text")}
                            </div>
                            <p class="field__hint">{t(Msg::IncludedHint)}</p>
                            <button type="submit" class="button" disabled=move || page.pending().get()>{t(Msg::Save)}</button>
                        </ActionForm>
                        <h4>{t(Msg::PhotosLabel)}</h4>
                        {if photos.is_empty() {
                            view! { <p class="muted small">{t(Msg::NoPhotos)}</p> }.into_any()
                        } else {
                            view! {
                                <ul class="photo-list">
                                    {photos.into_iter().map(|p| {
                                        let alt = if p.alt.ru.is_empty() { p.alt.en.clone() } else { p.alt.ru.clone() };
                                        view! {
                                            <li class="photo-list__item" data-photo=p.id.clone()>
                                                <img src=p.url(p.widths.first().copied().unwrap_or(p.width), false) alt=alt.clone() width="160" height=p.height_at(160).to_string() loading="lazy" />
                                                <span class="small">{alt}</span>
                                                <button type="button" class="button button--quiet button--small" on:click=ask_then_delete(p.id.clone(), Msg::DeletePhotoConfirm)>{t(Msg::DeletePhoto)}</button>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        <UploadForm target=id uploaded with_alt=true />
                    </details>
                }
            }).collect_view()}
        </section>
    }
}

/// An image upload (a space's photo or the logo): sent as the form is, as
/// multipart, to `upload_image`; the button says when it is under way.
#[component]
fn UploadForm(
    target: String,
    uploaded: Callback<Result<(), AppError>>,
    with_alt: bool,
) -> impl IntoView {
    let busy = RwSignal::new(false);
    let prefix = format!("up-{target}");
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(form) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
            else {
                return;
            };
            let Ok(data) = web_sys::FormData::new_with_form(&form) else {
                return;
            };
            busy.set(true);
            leptos::task::spawn_local(async move {
                let result = upload_image(data.into()).await;
                busy.set(false);
                if result.is_ok() {
                    form.reset();
                }
                uploaded.run(result);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (busy, uploaded);
    };
    let field = |suffix: &str, name: &'static str, label: Msg| {
        let id = format!("{prefix}-{suffix}");
        view! {
            <div class="field">
                <label for=id.clone()>{t(label)}</label>
                <input id=id name=name type="text" maxlength="300" />
            </div>
        }
    };
    view! {
        <form class="upload-form" on:submit=on_submit data-upload=target.clone()>
            <input type="hidden" name="target" value=target.clone() />
            <div class="field">
                <label for=format!("{prefix}-file")>{t(Msg::PhotoFile)}</label>
                <input id=format!("{prefix}-file") name="file" type="file" accept="image/jpeg,image/png,image/webp" required />
            </div>
            {with_alt.then(|| view! {
                {field("alt-ru", "alt_ru", Msg::AltRu)}
                {field("alt-en", "alt_en", Msg::AltEn)}
            })}
            <button type="submit" class="button button--quiet" disabled=move || busy.get() aria-busy=move || busy.get().to_string()>
                {move || if busy.get() { t(Msg::Uploading) } else { t(Msg::Upload) }}
            </button>
        </form>
    }
}

/// When a channel last delivered, in words.
fn last_delivery(
    locale: crate::i18n::Locale,
    last: &Option<crate::domain::notifications::LastDelivery>,
) -> String {
    match last {
        None => t(Msg::NeverSent).to_owned(),
        Some(l) => {
            let at = chrono::DateTime::from_timestamp(l.at, 0)
                .map(|d| {
                    format!(
                        "{} {}",
                        locale.short_date(d.date_naive()),
                        locale.time(d.time())
                    )
                })
                .unwrap_or_default();
            match l.status_code {
                Some(code) => format!("{at} UTC · {} ({code})", l.outcome),
                None => format!("{at} UTC · {}", l.outcome),
            }
        }
    }
}

/// The studio's address, phone, messengers and directions as guests see
/// them; a refused field says why beside itself.
#[component]
fn ContactsCard(data: StudioContacts, action: ServerAction<SaveContacts>) -> impl IntoView {
    let locale = locale::current();
    let error = move |field: &'static str| {
        move || {
            action.value().get().and_then(|r| r.err()).and_then(|e| {
                e.fields()
                    .and_then(|f| f.get(field))
                    .map(|fe| match fe.code.as_str() {
                        "invalid_telegram" => t(Msg::ErrTelegram).to_owned(),
                        "invalid_url" => t(Msg::ErrMapUrl).to_owned(),
                        "too_long" => t(Msg::ErrTooLongText).to_owned(),
                        code => super::book::field_message(locale, code, &fe.message),
                    })
            })
        }
    };
    let field = move |id: &'static str,
                      name: &'static str,
                      label: Msg,
                      value: String,
                      kind: &'static str| {
        let message = error(name);
        let err_id = format!("{id}-error");
        view! {
            <div class="field" class:field--error=move || message().is_some()>
                <label for=id>{t(label)}</label>
                <input id=id name=name type=kind value=value
                    aria-invalid=move || message().is_some().to_string()
                    aria-describedby=err_id.clone() />
                <p class="field__error" id=err_id aria-live="polite">{message}</p>
            </div>
        }
    };
    let area = move |id: &'static str, name: &'static str, label: Msg, value: String| {
        let message = error(name);
        view! {
            <div class="field" class:field--error=move || message().is_some()>
                <label for=id>{t(label)}</label>
                <textarea id=id name=name rows="3" maxlength="4000">{value}</textarea>
                <p class="field__error" aria-live="polite">{message}</p>
            </div>
        }
    };
    let phone = if data.phone.is_empty() {
        String::new()
    } else {
        phone_display(&data.phone)
    };
    let whatsapp = if data.whatsapp.is_empty() {
        String::new()
    } else {
        phone_display(&data.whatsapp)
    };
    let telegram = if data.telegram.is_empty() {
        String::new()
    } else {
        format!("@{}", data.telegram)
    };
    view! {
        <section class="panel panel--wide" aria-labelledby="contacts-title" data-contacts>
            <h2 id="contacts-title">{t(Msg::ContactsTitle)}</h2>
            <p class="muted small">{t(Msg::ContactsHint)}</p>
            <ActionForm action=action attr:class="stack stack--wide">
                <div class="grid-2">
                    {field("c-phone", "phone", Msg::StudioPhone, phone, "tel")}
                    {field("c-whatsapp", "whatsapp", Msg::WhatsappNumber, whatsapp, "tel")}
                    {field("c-telegram", "telegram", Msg::TelegramName, telegram, "text")}
                    {field("c-email", "email", Msg::StudioEmail, data.email.clone(), "email")}
                    {field("c-address-ru", "address_ru", Msg::AddressRu, data.address.ru.clone(), "text")}
                    {field("c-address-en", "address_en", Msg::AddressEn, data.address.en.clone(), "text")}
                    {area("c-directions-ru", "directions_ru", Msg::DirectionsRu, data.directions.ru.clone())}
                    {area("c-directions-en", "directions_en", Msg::DirectionsEn, data.directions.en.clone())}
                    {field("c-map", "map_url", Msg::MapLink, data.map_url.clone(), "url")}
                    <span></span>
                    {area("c-rules-ru", "rules_ru", Msg::RulesRu, data.rules.ru.clone())}
                    {area("c-rules-en", "rules_en", Msg::RulesEn, data.rules.en.clone())}
                    {area("c-payment-ru", "payment_ru", Msg::PaymentRu, data.payment.ru.clone())}
                    {area("c-payment-en", "payment_en", Msg::PaymentEn, data.payment.en.clone())}
                </div>
                <button type="submit" class="button" disabled=move || action.pending().get()>{t(Msg::Save)}</button>
            </ActionForm>
        </section>
    }
}

/// Channels, reminders, unpaid auto-cancel and the messages that could not
/// be delivered (with "retry now").
#[component]
fn NotificationsCard(
    data: NotificationSettings,
    dead: Vec<OutboxRow>,
    notify: ServerAction<SaveNotifications>,
    tg_test: ServerAction<SendTelegramTest>,
    retry: ServerAction<RetryDelivery>,
) -> impl IntoView {
    let locale = locale::current();
    let state = |on: bool| {
        if on {
            t(Msg::Configured)
        } else {
            t(Msg::NotConfigured)
        }
    };
    let kinds = [
        (TELEGRAM_KINDS[0], Msg::TgBookingCreated),
        (TELEGRAM_KINDS[1], Msg::TgBookingCancelled),
        (TELEGRAM_KINDS[2], Msg::TgBookingRescheduled),
        (TELEGRAM_KINDS[3], Msg::TgNoShow),
    ];
    view! {
        <section class="panel panel--wide" aria-labelledby="notify-title" data-notifications>
            <h2 id="notify-title">{t(Msg::Notifications)}</h2>
            <dl class="channels">
                <dt>{t(Msg::TelegramChat)}</dt>
                <dd data-channel="telegram" data-configured=data.telegram_configured.to_string()>
                    {state(data.telegram_configured)} " · " {t(Msg::LastDelivery)} ": " {last_delivery(locale, &data.telegram_last_delivery)}
                </dd>
                <dt>{t(Msg::GuestEmail)}</dt>
                <dd data-channel="email" data-configured=data.email_configured.to_string()>
                    {state(data.email_configured)} " · " {t(Msg::LastDelivery)} ": " {last_delivery(locale, &data.email_last_delivery)}
                </dd>
            </dl>
            {data.telegram_configured.then(|| view! {
                <ActionForm action=tg_test>
                    <button type="submit" class="button button--quiet" data-telegram-test disabled=move || tg_test.pending().get()>{t(Msg::SendTestMessage)}</button>
                </ActionForm>
            })}
            <ActionForm action=notify attr:class="stack stack--wide">
                <div class="grid-2">
                    <div class="field"><label for="n-remind">{t(Msg::ReminderHours)}</label><input id="n-remind" name="reminder_hours" type="number" min="0" max="720" value=data.reminder_hours /></div>
                    <div class="field"><label for="n-unpaid">{t(Msg::UnpaidCancelHours)}</label><input id="n-unpaid" name="unpaid_cancel_hours" type="number" min="1" max="720" value=data.unpaid_cancel_hours.map(|h| h.to_string()).unwrap_or_default() /></div>
                </div>
                <fieldset>
                    <legend>{t(Msg::TelegramEvents)}</legend>
                    {kinds.into_iter().map(|(kind, msg)| {
                        let on = data.telegram_events.iter().any(|e| e == kind);
                        view! {
                            <label class="check"><input type="checkbox" name=format!("tg_{kind}") value="on" checked=on /> " " {t(msg)}</label>
                        }
                    }).collect_view()}
                </fieldset>
                <button type="submit" class="button" disabled=move || notify.pending().get()>{t(Msg::Save)}</button>
            </ActionForm>
            <h3>{t(Msg::DeadDeliveries)}</h3>
            {if dead.is_empty() {
                view! { <p class="muted small" data-dead-count="0">{t(Msg::NoDeadDeliveries)}</p> }.into_any()
            } else {
                let count = dead.len();
                view! {
                    <ul class="dead-list" data-dead-count=count>
                        {dead.into_iter().map(|row| view! {
                            <li data-delivery=row.delivery_id.clone()>
                                <code>{row.channel.clone()}</code> " · " {row.kind.clone()} " · " {row.attempts} " × · "
                                {row.last_error.clone().unwrap_or_default()}
                                <ActionForm action=retry attr:class="inline">
                                    <input type="hidden" name="id" value=row.id />
                                    <button type="submit" class="button button--quiet">{t(Msg::RetryNow)}</button>
                                </ActionForm>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
