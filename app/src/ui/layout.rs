//! Page chrome: the guest header and footer, the staff sidebar, and the
//! language switcher shown on every page.

use super::locale::{self, t};
use super::owners::{held, suspend};
use crate::{
    domain::{
        studio::{phone_display, StudioContacts},
        PublicCatalog,
    },
    error::AppError,
    i18n::Msg,
};
use leptos::prelude::*;
use leptos_router::{components::Outlet, hooks::use_location};

/// The studio and its spaces, for the header and the public pages.
#[server(prefix = "/api/fn", endpoint = "catalog")]
pub async fn get_catalog() -> Result<PublicCatalog, AppError> {
    let state = crate::server::state::from_context()?;
    let catalog =
        crate::server::catalog::public_catalog(&state.store, &state.catalog_cache).await?;
    Ok((*catalog).clone())
}

/// The catalog resource shared by the guest chrome and the pages inside it.
#[derive(Clone, Copy)]
pub struct CatalogResource(pub Resource<Result<PublicCatalog, AppError>>);

/// A language switcher that works without JavaScript: a form posting to
/// `/locale`, which sets the cookie and sends the guest back here.
#[component]
pub fn LocaleSwitcher() -> impl IntoView {
    let current = locale::current();
    // The whole address, query included: a guest who switches language
    // with a date and a time chosen comes back to the same form.
    let location = use_location();
    let path = location.pathname.get_untracked();
    let search = location.search.get_untracked();
    let search = search.trim_start_matches('?');
    let here = if search.is_empty() {
        path
    } else if location.query.with_untracked(|q| q.get("start").is_some()) {
        format!("{path}?{search}#form")
    } else {
        format!("{path}?{search}")
    };
    view! {
        <form class="locale-switcher" method="post" action="/locale" aria-label=t(Msg::Language)>
            <input type="hidden" name="next" value=here />
            {crate::i18n::Locale::ALL
                .into_iter()
                .map(|l| {
                    view! {
                        <button
                            type="submit"
                            name="lang"
                            value=l.tag()
                            lang=l.tag()
                            aria-pressed=(l == current).to_string()
                        >
                            {l.native_name()}
                        </button>
                    }
                })
                .collect_view()}
        </form>
    }
}

/// Header, footer and main area of the guest side around `children`.
/// Guest pages are not hydrated: the menu button is worked by `guest.js`.
#[component]
pub fn GuestChrome(children: Children) -> impl IntoView {
    let catalog = CatalogResource(Resource::new(|| (), |_| held(get_catalog())));
    provide_context(catalog);
    let brand = move || {
        suspend(async move {
            let (name, logo) = catalog
                .0
                .await
                .map(|c| (c.studio.name, c.studio.logo))
                .unwrap_or_else(|_| ("Studio".to_owned(), None));
            view! {
                {match logo {
                    Some(logo) => view! { <super::guest_info::Logo logo /> }.into_any(),
                    None => view! { <span class="brand__mark" aria-hidden="true">"◐"</span> }.into_any(),
                }}
                <span class="brand__name">{name}</span>
            }
        })
    };
    view! {
        <a class="skip-link" href="#main">{t(Msg::SkipToContent)}</a>
        <header class="site-header">
            <div class="site-header__inner">
                <a class="brand" href="/">
                    <Suspense fallback=|| "Studio">{brand}</Suspense>
                </a>
                <button
                    type="button"
                    class="menu-toggle"
                    aria-controls="site-nav"
                    aria-expanded="false"
                >
                    {t(Msg::NavMenu)}
                </button>
                <nav id="site-nav" class="site-nav">
                    <a href="/#spaces">{t(Msg::NavSpaces)}</a>
                    <a href="/staff">{t(Msg::NavStaff)}</a>
                    <LocaleSwitcher />
                </nav>
            </div>
        </header>
        <main id="main" class="site-main">{children()}</main>
        <footer class="site-footer">
            <Suspense fallback=|| ()>
                {move || suspend(async move {
                    catalog.0.await.ok().filter(|c| !c.studio.contacts.is_empty()).map(|c| view! {
                        <section class="site-footer__contacts" aria-labelledby="footer-contacts">
                            <h2 id="footer-contacts" class="site-footer__title">{t(Msg::ContactsLabel)}</h2>
                            <StudioContactsView contacts=c.studio.contacts />
                        </section>
                    })
                })}
            </Suspense>
            <p>{t(Msg::FooterPrivacy)}</p>
        </footer>
    }
}

/// How to reach the studio: the address with its map link and directions
/// in the reader's language, then phone, messengers and e-mail as links
/// a phone can act on. Parts left empty in settings are not shown.
#[component]
pub fn StudioContactsView(contacts: StudioContacts) -> impl IntoView {
    let locale = locale::current();
    let address = contacts.address.get(locale).to_owned();
    let directions = contacts.directions.get(locale).to_owned();
    let map = contacts.map_url.clone();
    let phone = contacts.phone.clone();
    let whatsapp: String = contacts
        .whatsapp
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let telegram = contacts.telegram.clone();
    let email = contacts.email.clone();
    view! {
        <address class="contacts">
            {(!address.is_empty()).then(|| view! {
                <p data-studio-address>
                    <span class="contacts__label">{t(Msg::AddressLabel)} ": "</span>
                    {address}
                    {(!map.is_empty()).then(|| view! {
                        " · " <a href=map.clone() target="_blank" rel="noopener noreferrer">{t(Msg::OnTheMap)}</a>
                    })}
                </p>
            })}
            {(!directions.is_empty()).then(|| view! {
                <p class="contacts__directions">
                    <span class="contacts__label">{t(Msg::HowToGetThere)} ": "</span>
                    {directions}
                </p>
            })}
            <ul class="contacts__links">
                {(!phone.is_empty()).then(|| view! {
                    <li><a href=format!("tel:{phone}") data-studio-phone>{phone_display(&phone)}</a></li>
                })}
                {(!telegram.is_empty()).then(|| view! {
                    <li><a href=format!("https://t.me/{telegram}") target="_blank" rel="noopener noreferrer">{t(Msg::WriteTelegram)}</a></li>
                })}
                {(!whatsapp.is_empty()).then(|| view! {
                    <li><a href=format!("https://wa.me/{whatsapp}") target="_blank" rel="noopener noreferrer">{t(Msg::WriteWhatsapp)}</a></li>
                })}
                {(!email.is_empty()).then(|| view! {
                    <li><a href=format!("mailto:{email}")>{email.clone()}</a></li>
                })}
            </ul>
        </address>
    }
}

/// The guest side's layout route.
#[component]
pub fn GuestLayout() -> impl IntoView {
    view! {
        <GuestChrome>
            <Outlet />
        </GuestChrome>
    }
}
