//! Page chrome: the guest header and footer, the staff sidebar, and the
//! language switcher shown on every page.

use super::locale::{self, t};
use crate::{domain::PublicCatalog, error::AppError, i18n::Msg};
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
    let here = use_location().pathname.get_untracked();
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
    let catalog = CatalogResource(Resource::new(|| (), |_| get_catalog()));
    provide_context(catalog);
    let studio_name = move || {
        Suspend::new(async move {
            catalog
                .0
                .await
                .map(|c| c.studio.name)
                .unwrap_or_else(|_| "Studio".to_owned())
        })
    };
    view! {
        <a class="skip-link" href="#main">{t(Msg::SkipToContent)}</a>
        <header class="site-header">
            <div class="site-header__inner">
                <a class="brand" href="/">
                    <span class="brand__mark" aria-hidden="true">"◐"</span>
                    <Suspense fallback=|| "Studio">{studio_name}</Suspense>
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
            <p>{t(Msg::FooterPrivacy)}</p>
        </footer>
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
