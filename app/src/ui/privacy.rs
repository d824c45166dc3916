//! `/privacy`: the current consent text and how the studio treats personal
//! data, for guests (server-rendered like every guest page, no WASM), and
//! the words of the guest's data requests on the manage page.

use super::locale;
use super::owners::{held, suspend};
use crate::{error::AppError, i18n::Locale};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// What the privacy page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivacyData {
    pub version: String,
    pub body: String,
    /// Studio date the text was published.
    pub published: String,
    pub retention_days: i64,
}

#[server(prefix = "/api/fn", endpoint = "privacy_page")]
pub async fn privacy_page() -> Result<PrivacyData, AppError> {
    let state = crate::server::state::from_context()?;
    let locale = locale::current();
    let text = crate::server::privacy::current_consent_text(&state.store, locale.tag()).await?;
    Ok(PrivacyData {
        version: text.version,
        body: text.body,
        published: chrono::DateTime::from_timestamp(text.published_at, 0)
            .map(|t| t.date_naive().to_string())
            .unwrap_or_default(),
        retention_days: crate::server::privacy::retention_days(&state.store).await?,
    })
}

/// The words of the privacy page and of the data requests. They live in
/// the guest pages' chunk, not the shared message table (the staff app
/// never shows them).
#[derive(Debug, Clone, Copy)]
pub(super) enum Text {
    Title,
    ConsentHeading,
    Version,
    WhatHeading,
    What,
    HowHeading,
    How,
    KeptHeading,
    RightsHeading,
    Rights,
    DataHeading,
    DataLead,
    AskExport,
    AskErase,
    AskedExport,
    AskedErase,
    PrivacyLink,
}

pub(super) fn tr(text: Text) -> &'static str {
    let en = locale::current() == Locale::En;
    let (e, r) = match text {
        Text::Title => ("Privacy and personal data", "Персональные данные"),
        Text::ConsentHeading => ("The consent you give when booking", "Согласие, которое вы даёте при бронировании"),
        Text::Version => ("Text version", "Версия текста"),
        Text::WhatHeading => ("What we keep", "Что мы храним"),
        Text::What => (
            "Your name, phone number, e-mail (if you give it) and wishes for the booking; when and from which address you gave consent.",
            "Ваши имя, телефон, e-mail (если указан) и пожелания к бронированию; когда и с какого адреса дано согласие.",
        ),
        Text::HowHeading => ("How it is protected", "Как они защищены"),
        Text::How => (
            "Stored encrypted (XChaCha20-Poly1305); searchable only through keyed hashes; seen only by the studio's staff; never in logs.",
            "Хранятся в зашифрованном виде (XChaCha20-Poly1305); поиск — только по ключевым хэшам; доступны только сотрудникам студии; не попадают в журналы.",
        ),
        Text::KeptHeading => ("How long", "Как долго"),
        Text::RightsHeading => ("Your rights", "Ваши права"),
        Text::Rights => (
            "You may ask for a copy of your data or for its deletion from your booking's page (the link in your confirmation); the studio answers within 10 working days.",
            "Вы можете запросить копию своих данных или их удаление на странице бронирования (ссылка в подтверждении); студия ответит в течение 10 рабочих дней.",
        ),
        Text::DataHeading => ("Your personal data", "Ваши персональные данные"),
        Text::DataLead => (
            "Ask the studio for a copy of what it holds about you, or to delete it. The studio answers within 10 working days.",
            "Запросите у студии копию ваших данных или их удаление. Студия ответит в течение 10 рабочих дней.",
        ),
        Text::AskExport => ("Request a copy of my data", "Запросить копию моих данных"),
        Text::AskErase => ("Request deletion of my data", "Запросить удаление моих данных"),
        Text::AskedExport => (
            "Your request for a copy of your data is registered; the studio will contact you.",
            "Запрос копии данных зарегистрирован; студия свяжется с вами.",
        ),
        Text::AskedErase => (
            "Your request to delete your data is registered; the studio will contact you.",
            "Запрос на удаление данных зарегистрирован; студия свяжется с вами.",
        ),
        Text::PrivacyLink => ("How we treat personal data", "Как мы обращаемся с персональными данными"),
    };
    if en {
        e
    } else {
        r
    }
}

#[component]
pub fn PrivacyPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| held(privacy_page()));
    let en = locale::current() == Locale::En;
    view! {
        <Title text=tr(Text::Title) />
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"…"</p> }>
            {move || suspend(async move {
                match data.await {
                    Ok(d) => view! {
                        <article class="prose">
                            <h1>{tr(Text::Title)}</h1>
                            <h2>{tr(Text::ConsentHeading)}</h2>
                            <blockquote data-consent-text>{d.body.clone()}</blockquote>
                            <p class="muted small">{tr(Text::Version)} " " <span data-consent-version>{d.version.clone()}</span> " · " {d.published.clone()}</p>
                            <h2>{tr(Text::WhatHeading)}</h2>
                            <p>{tr(Text::What)}</p>
                            <h2>{tr(Text::HowHeading)}</h2>
                            <p>{tr(Text::How)}</p>
                            <h2>{tr(Text::KeptHeading)}</h2>
                            <p data-retention>{if en {
                                format!("{} days after your booking ends; then your name, phone and e-mail are removed from it.", d.retention_days)
                            } else {
                                format!("{} дней после окончания бронирования; затем имя, телефон и e-mail из него удаляются.", d.retention_days)
                            }}</p>
                            <h2>{tr(Text::RightsHeading)}</h2>
                            <p>{tr(Text::Rights)}</p>
                        </article>
                    }.into_any(),
                    Err(e) => view! { <super::pages::ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The manage page's section for data requests: two plain forms.
#[component]
pub fn DataRequests(token: String, requested: Option<String>) -> impl IntoView {
    let action = format!("/booking/{token}/data-request");
    view! {
        <section class="data-requests" aria-labelledby="data-requests-title">
            <h2 id="data-requests-title">{tr(Text::DataHeading)}</h2>
            {requested.map(|kind| view! {
                <div class="notice notice--success" role="status" data-requested=kind.clone()>
                    {if kind == "erase" { tr(Text::AskedErase) } else { tr(Text::AskedExport) }}
                </div>
            })}
            <p class="muted small">{tr(Text::DataLead)} " " <a href="/privacy">{tr(Text::PrivacyLink)}</a></p>
            <form method="post" action=action.clone() class="inline-form">
                <input type="hidden" name="kind" value="export" />
                <button type="submit" class="button button--quiet">{tr(Text::AskExport)}</button>
            </form>
            " "
            <form method="post" action=action class="inline-form">
                <input type="hidden" name="kind" value="erase" />
                <button type="submit" class="button button--quiet">{tr(Text::AskErase)}</button>
            </form>
        </section>
    }
}
