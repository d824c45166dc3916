//! Pages of the guest and staff sides.

use super::owners::suspend;
use super::{
    layout::CatalogResource,
    locale::{self, t},
};
use crate::{
    domain::{PublicCatalog, SpaceSummary},
    error::AppError,
    i18n::{Msg, Noun},
};
use leptos::prelude::*;
use leptos_meta::Title;

/// The guest home page: what the studio offers and its spaces.
#[component]
pub fn HomePage() -> impl IntoView {
    let catalog = expect_context::<CatalogResource>().0;
    view! {
        <Title text="" />
        <section class="hero">
            <h1>{t(Msg::HeroTitle)}</h1>
            <p class="hero__lead">{t(Msg::HeroLead)}</p>
        </section>
        <section id="spaces" class="spaces" aria-labelledby="spaces-title">
            <h2 id="spaces-title">{t(Msg::OurSpaces)}</h2>
            <Suspense fallback=|| view! { <p class="muted" aria-busy="true">{t(Msg::Loading)}</p> }>
                {move || suspend(async move { catalog_view(catalog.await) })}
            </Suspense>
        </section>
    }
}

fn catalog_view(catalog: Result<PublicCatalog, AppError>) -> AnyView {
    match catalog {
        Ok(c) if c.spaces.is_empty() => view! { <p class="muted">{t(Msg::NoSpaces)}</p> }.into_any(),
        Ok(c) => view! {
            <ul class="space-grid">
                {c.spaces.into_iter().map(|s| view! { <li><SpaceCard space=s /></li> }).collect_view()}
            </ul>
            <p class="muted small">{t(Msg::TimesShownIn)} " " {c.studio.time_zone}</p>
        }
        .into_any(),
        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
    }
}

#[component]
fn SpaceCard(space: SpaceSummary) -> impl IntoView {
    let locale = locale::current();
    let capacity = locale.count(
        u64::try_from(space.capacity).unwrap_or_default(),
        Noun::Person,
    );
    let included = locale.count(
        u64::try_from(space.included_people).unwrap_or_default(),
        Noun::Person,
    );
    let description = space.details.description.get(locale).to_owned();
    let cover = space.photos.first().cloned();
    let cover_alt = space.name.clone();
    let area = space.details.area_m2;
    view! {
        <article class="space-card" data-space=space.slug.clone()>
            {cover.map(|p| view! {
                <super::guest_info::Picture photo=p fallback_alt=cover_alt sizes="(min-width: 700px) 360px, 92vw" class="space-card__cover" />
            })}
            <h3>{space.name}</h3>
            <p class="space-card__desc">{description}</p>
            <p class="space-card__price">
                <strong>{locale.money(space.hourly_price)}</strong>
                " "
                <span class="muted">{t(Msg::PerHour)}</span>
            </p>
            <ul class="space-card__facts">
                {area.map(|a| view! { <li>{a} " " {super::guest_info::word(super::guest_info::Word::SquareMetres)}</li> })}
                <li>{t(Msg::UpTo)} " " {capacity}</li>
                <li>{included} " " {t(Msg::IncludedInPrice)}</li>
                <li>"+" {locale.money(space.extra_person_price)} " — " {t(Msg::ExtraPerson)}</li>
            </ul>
            <p class="space-card__actions">
                <a class="button" href=format!("/book/{}", space.slug)>{t(Msg::BookThisSpace)}</a>
            </p>
        </article>
    }
}

/// Sets the HTTP status of the page being rendered on the server (a page
/// that explains a missing booking is still a 404 to browsers and robots).
pub fn respond_with(status: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(res), Ok(code)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(status),
    ) {
        res.set_status(code);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}

/// A friendly explanation of a failure, never a stack trace.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    let detail = match error {
        AppError::Unavailable { .. } => t(Msg::ErrorUnavailable),
        _ => t(Msg::ErrorRetry),
    };
    view! {
        <div class="notice notice--error" role="alert">
            <strong>{t(Msg::ErrorTitle)}</strong>
            <p>{detail}</p>
        </div>
    }
}

/// Shown for any address that is not a page.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <Title text=t(Msg::NotFoundTitle) />
        <section class="empty-state">
            <p class="empty-state__code" aria-hidden="true">"404"</p>
            <h1>{t(Msg::NotFoundTitle)}</h1>
            <p>{t(Msg::NotFoundText)}</p>
            <a class="button" href="/">{t(Msg::BackHome)}</a>
        </section>
    }
}
