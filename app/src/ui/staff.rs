//! The staff side: sign-in (with the two-factor step), the gate around
//! every staff page, the profile (password, two-factor set-up, sessions)
//! and the audit log viewer. Server functions here are thin: read the
//! cookie session, call the service, set renewed cookies.

use super::owners::{held, suspend};
use super::{
    layout::LocaleSwitcher,
    locale::{self, t},
    pages::ErrorNotice,
};
use crate::{
    domain::employee::EmployeeProfile,
    error::AppError,
    i18n::{Locale, Msg},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Outlet, hooks::use_query_map};

#[cfg(feature = "ssr")]
pub(crate) mod session {
    //! The server half: the cookie session of the current request.
    use crate::{
        error::AppError,
        server::{credentials::Principal, state::from_context, web_session, AppState},
    };
    use axum::http::{header, request::Parts, HeaderValue};
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;

    pub fn request() -> Result<(AppState, Parts), AppError> {
        let state = from_context()?;
        let parts = use_context::<Parts>().ok_or(AppError::Internal)?;
        if parts.method != axum::http::Method::GET && !web_session::same_origin(&parts) {
            return Err(AppError::Forbidden);
        }
        Ok((state, parts))
    }

    pub fn set_cookies(values: Vec<HeaderValue>) {
        if let Some(res) = use_context::<ResponseOptions>() {
            for v in values {
                res.append_header(header::SET_COOKIE, v);
            }
        }
    }

    /// The signed-in employee, renewing the cookies when needed.
    pub async fn staff() -> Result<(AppState, Parts, Principal), AppError> {
        let (state, parts) = request()?;
        let me = web_session::principal(&state, &parts).await?;
        Ok((state, parts, me))
    }

    /// Gives a failed server function the error's own HTTP status (401,
    /// 422, ...) instead of a blanket 500, for clients and for the logs.
    pub fn report<T>(result: Result<T, AppError>) -> Result<T, AppError> {
        if let Err(e) = &result {
            if let (Some(res), Ok(status)) = (
                use_context::<ResponseOptions>(),
                axum::http::StatusCode::from_u16(e.status_code()),
            ) {
                res.set_status(status);
            }
        }
        result
    }

    /// The studio's time zone (UTC if the rules cannot be read).
    pub async fn zone(state: &AppState) -> chrono_tz::Tz {
        crate::server::rules::studio_config(&state.store, &state.rules_cache)
            .await
            .map(|c| c.rules.time_zone)
            .unwrap_or(chrono_tz::Tz::UTC)
    }

    /// An instant on the studio's clock, for display.
    pub fn local(zone: chrono_tz::Tz, epoch: i64) -> String {
        chrono::DateTime::from_timestamp(epoch, 0)
            .map(|t| {
                t.with_timezone(&zone)
                    .naive_local()
                    .format("%Y-%m-%dT%H:%M:%S")
                    .to_string()
            })
            .unwrap_or_default()
    }

    /// Like [`staff`], but only once the temporary password is replaced.
    pub async fn enrolling_staff() -> Result<(AppState, Parts, Principal), AppError> {
        let (state, parts, me) = staff().await?;
        if me.must_change_password {
            return Err(AppError::Conflict {
                code: "password_change_required".into(),
                message: "Change the temporary password first.".into(),
                details: None,
            });
        }
        Ok((state, parts, me))
    }

    /// Like [`enrolling_staff`], and with two-factor sign-in set up when
    /// the studio requires it.
    pub async fn settled_staff() -> Result<(AppState, Parts, Principal), AppError> {
        let (state, parts, me) = enrolling_staff().await?;
        if me.must_enrol_mfa {
            return Err(AppError::Conflict {
                code: "mfa_enrolment_required".into(),
                message: "The studio requires two-factor sign-in: set it up first.".into(),
                details: None,
            });
        }
        Ok((state, parts, me))
    }
}

#[server(prefix = "/api/fn", endpoint = "staff_login")]
pub async fn staff_login(
    username: String,
    password: String,
    mfa_code: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{auth, web_session};
    let (state, parts) = session::request()?;
    let code = mfa_code.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let pair = session::report(
        auth::login(
            &state,
            &username,
            &password,
            code,
            &web_session::origin(&parts),
        )
        .await,
    )?;
    session::set_cookies(web_session::set_cookies(&state, &pair));
    leptos_axum::redirect("/staff");
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "staff_logout")]
pub async fn staff_logout() -> Result<(), AppError> {
    use crate::server::{auth, web_session};
    let (state, parts) = session::request()?;
    if let Some(token) = web_session::refresh_token(&state, &parts) {
        auth::logout(&state, &token, &web_session::origin(&parts)).await?;
    }
    session::set_cookies(web_session::clear_cookies(&state));
    leptos_axum::redirect("/staff/login");
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "me")]
pub async fn get_me() -> Result<EmployeeProfile, AppError> {
    let (state, _, me) = session::report(session::staff().await)?;
    crate::server::employees::profile(&state.store, &me.employee_id).await
}

#[server(prefix = "/api/fn", endpoint = "change_password")]
pub async fn change_my_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use crate::server::{auth, web_session};
    let (state, parts, me) = session::staff().await?;
    auth::change_password(
        &state,
        &me,
        &current_password,
        &new_password,
        &web_session::origin(&parts),
    )
    .await
}

#[server(prefix = "/api/fn", endpoint = "mfa_start")]
pub async fn mfa_start(password: String) -> Result<crate::server_types::MfaSetupView, AppError> {
    use crate::server::{mfa, web_session};
    let (state, parts, me) = session::enrolling_staff().await?;
    let s = mfa::setup(&state, &me, &password, &web_session::origin(&parts)).await?;
    Ok(crate::server_types::MfaSetupView {
        secret: s.secret,
        qr_svg: s.qr_svg,
    })
}

#[server(prefix = "/api/fn", endpoint = "mfa_confirm")]
pub async fn mfa_confirm(code: String) -> Result<Vec<String>, AppError> {
    use crate::server::{mfa, web_session};
    let (state, parts, me) = session::enrolling_staff().await?;
    Ok(
        mfa::enable(&state, &me, &code, &web_session::origin(&parts))
            .await?
            .backup_codes,
    )
}

#[server(prefix = "/api/fn", endpoint = "my_sessions")]
pub async fn my_sessions() -> Result<Vec<crate::server_types::SessionView>, AppError> {
    let (state, _, me) = session::settled_staff().await?;
    let list =
        crate::server::auth::sessions(&state.store, &me.employee_id, &me.session_family).await?;
    let zone = session::zone(&state).await;
    Ok(list
        .into_iter()
        .map(|s| crate::server_types::SessionView {
            id: s.id,
            last_used_local: session::local(zone, s.last_used_at),
            ip: s.ip,
            user_agent: s.user_agent,
            current: s.current,
        })
        .collect())
}

#[server(prefix = "/api/fn", endpoint = "end_session")]
pub async fn end_session(id: String) -> Result<(), AppError> {
    use crate::server::{auth, credentials, web_session};
    let (state, parts, me) = session::settled_staff().await?;
    let who = credentials::actor_of(&me, &web_session::origin(&parts));
    auth::revoke_sessions(&state.store, &who, &me.employee_id, Some(&id), None).await?;
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "audit_entries")]
pub async fn audit_entries(
    action: Option<String>,
) -> Result<crate::server_types::AuditRows, AppError> {
    use crate::server::audit;
    let (state, _, me) = session::settled_staff().await?;
    if !me.role.manages_staff() {
        return Err(AppError::Forbidden);
    }
    let filter = audit::AuditFilter {
        action: action.filter(|a| !a.is_empty()),
        ..Default::default()
    };
    let page = audit::search(&state.store, &filter, Some(100)).await?;
    let zone = session::zone(&state).await;
    let names = audit::names(&state.store, &page.entries).await?;
    let locale = locale::current();
    let space_name = |slug: &str| names.spaces.get(slug).cloned();
    let facts = crate::ui::audit_words::Facts {
        locale,
        zone,
        space_name: &space_name,
    };
    let rows = page
        .entries
        .into_iter()
        .map(|e| {
            let (target, target_href) =
                crate::ui::audit_words::target(locale, &names, &e.target_type, &e.target_id);
            let who = audit::actor_label(&names.employees, &e);
            crate::server_types::AuditRow {
                id: e.id,
                local: session::local(zone, e.at),
                who,
                summary: crate::ui::audit_words::describe(&facts, &e.action, &e.details),
                action: e.action,
                target,
                target_href,
                ip: e.ip,
            }
        })
        .collect();
    Ok(crate::server_types::AuditRows {
        total: page.total,
        rows,
    })
}

fn sign_in_error(locale: Locale, e: &AppError) -> String {
    let msg = match e.code() {
        "invalid_credentials" => Msg::ErrCredentials,
        "mfa_required" => Msg::ErrMfaRequired,
        "invalid_mfa_code" => Msg::ErrMfaInvalid,
        "account_locked" => Msg::ErrLocked,
        "rate_limited" => Msg::ThrottledTitle,
        _ => return e.message(),
    };
    locale.t(msg).to_owned()
}

/// A studio-local time sent by the server, in the reader's language.
fn when(locale: Locale, local: &str) -> String {
    chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S")
        .map(|t| format!("{} {}", locale.date(t.date()), locale.time(t.time())))
        .unwrap_or_default()
}

/// `/staff/login`
#[component]
pub fn LoginPage() -> impl IntoView {
    let locale = locale::current();
    let login = ServerAction::<StaffLogin>::new();
    let error = move || login.value().get().and_then(|r| r.err());
    let needs_code =
        move || error().is_some_and(|e| matches!(e.code(), "mfa_required" | "invalid_mfa_code"));
    // Set once the page is hydrated (effects run only in the browser): a
    // submit before that posts the form natively, which signs in but cannot
    // ask for the second factor on the same page. Tests wait for it.
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    view! {
        <Title text=t(Msg::SignInTitle) />
        <main class="login" data-ready=move || ready.get().then_some("true")>
            <section class="login__card">
                <p class="brand"><span class="brand__mark" aria-hidden="true">"◐"</span> "Studio"</p>
                <h1>{t(Msg::SignInTitle)}</h1>
                {move || error().map(|e| view! { <div class="notice notice--error" role="alert">{sign_in_error(locale, &e)}</div> })}
                <ActionForm action=login attr:class="login__form">
                    <div class="field">
                        <label for="username">{t(Msg::Username)}</label>
                        <input id="username" name="username" type="text" autocomplete="username" required />
                    </div>
                    <div class="field">
                        <label for="password">{t(Msg::Password)}</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" required />
                    </div>
                    <Show when=needs_code>
                        <div class="field">
                            <label for="mfa_code">{t(Msg::MfaCode)}</label>
                            <input id="mfa_code" name="mfa_code" type="text" inputmode="numeric" autocomplete="one-time-code" autofocus />
                        </div>
                    </Show>
                    <button type="submit" class="button button--primary" disabled=move || login.pending().get()>
                        {move || if login.pending().get() { t(Msg::SigningIn) } else { t(Msg::SignIn) }}
                    </button>
                </ActionForm>
                <LocaleSwitcher />
            </section>
        </main>
    }
}

/// What a staff page shows when its data cannot be had: the sign-in page
/// for an expired session, a plain refusal, or a friendly error.
pub(crate) fn staff_page_error(e: AppError) -> AnyView {
    match e {
        AppError::Unauthorized { .. } => {
            go_to_login();
            view! { <p class="muted">{t(Msg::SignInTitle)}</p> }.into_any()
        }
        AppError::Forbidden => {
            view! { <div class="notice notice--error" role="alert">{t(Msg::NotAllowed)}</div> }
                .into_any()
        }
        e => view! { <ErrorNotice error=e /> }.into_any(),
    }
}

pub(crate) fn go_to_login() {
    #[cfg(feature = "ssr")]
    leptos_axum::redirect("/staff/login");
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        let _ = window().location().set_href("/staff/login");
    }
}

/// The staff side's layout: only for signed-in employees. The page itself
/// (the outlet) is outside the suspense that waits for the profile: a page
/// created inside it would be created twice while the server renders, its
/// data read and sent twice.
#[component]
pub fn StaffLayout() -> impl IntoView {
    let me = Resource::new(|| (), |_| held(get_me()));
    provide_context(me);
    super::toast::Toasts::provide();
    let collapsed = RwSignal::new(false);
    let logout = ServerAction::<StaffLogout>::new();
    view! {
        <a class="skip-link" href="#work">{t(Msg::SkipToContent)}</a>
        <div class="staff" class:staff--collapsed=move || collapsed.get()>
            <aside class="staff-sidebar" aria-label=t(Msg::StaffArea)>
                <div class="staff-sidebar__top">
                    <a class="brand" href="/staff">
                        <span class="brand__mark" aria-hidden="true">"◐"</span>
                        <span class="staff-sidebar__label">{t(Msg::StaffArea)}</span>
                    </a>
                    <button type="button" class="sidebar-toggle" aria-controls="staff-nav"
                        aria-expanded=move || (!collapsed.get()).to_string()
                        title=move || t(if collapsed.get() { Msg::ExpandSidebar } else { Msg::CollapseSidebar })
                        on:click=move |_| collapsed.update(|c| *c = !*c)>
                        <span aria-hidden="true">{move || if collapsed.get() { "»" } else { "«" }}</span>
                        <span class="visually-hidden">{move || t(if collapsed.get() { Msg::ExpandSidebar } else { Msg::CollapseSidebar })}</span>
                    </button>
                </div>
                <Suspense fallback=|| view! { <p class="muted" aria-busy="true">{t(Msg::Loading)}</p> }>
                    {move || suspend(async move {
                        match me.await {
                            Err(AppError::Unauthorized { .. }) => {
                                go_to_login();
                                view! { <p class="muted">{t(Msg::SignInTitle)}</p> }.into_any()
                            }
                            Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                            Ok(profile) => view! {
                                <StaffNav manages=profile.role != crate::domain::Role::Manager />
                                <div class="staff-sidebar__bottom">
                                    <p class="staff-sidebar__who">{profile.full_name.clone()}</p>
                                    <ActionForm action=logout>
                                        <button type="submit" class="sidebar-toggle sign-out">{t(Msg::SignOut)}</button>
                                    </ActionForm>
                                    <LocaleSwitcher />
                                </div>
                            }
                            .into_any(),
                        }
                    })}
                </Suspense>
            </aside>
            <main id="work" class="staff-main">
                <Suspense fallback=|| ()>
                    {move || suspend(async move {
                        me.await.ok().map(|profile| view! {
                            {profile.must_change_password.then(|| view! {
                                <div class="notice notice--error" role="alert">{t(Msg::MustChangePassword)}</div>
                            })}
                            {(profile.must_enrol_mfa && !profile.must_change_password).then(|| view! {
                                <div class="notice notice--error" role="alert">{t(Msg::MustEnrolMfa)}</div>
                            })}
                        })
                    })}
                </Suspense>
                <Outlet />
            </main>
            <super::toast::ToastRegion />
        </div>
    }
}

/// The staff navigation; settings, employees and the audit log for owners
/// and admins only.
#[component]
fn StaffNav(manages: bool) -> impl IntoView {
    let item = |msg: Msg, href: &'static str| {
        view! {
            <li><a class="staff-nav__item staff-nav__link" href=href title=t(msg)>
                <span class="staff-nav__dot" aria-hidden="true"></span>
                <span class="staff-sidebar__label">{t(msg)}</span>
            </a></li>
        }
    };
    view! {
        <nav id="staff-nav" class="staff-nav">
            <ul>
                {item(Msg::StaffBoard, "/staff/board")}
                {item(Msg::StaffCalendar, "/staff/calendar")}
                {item(Msg::StaffBookings, "/staff/bookings")}
                {item(Msg::StaffClients, "/staff/clients")}
                {item(Msg::StaffAnalytics, "/staff/analytics")}
                {manages.then(|| view! {
                    {item(Msg::StaffSettings, "/staff/settings")}
                    {item(Msg::StaffEmployees, "/staff/employees")}
                    {item(Msg::StaffAudit, "/staff/audit")}
                    {item(Msg::StaffRequests, "/staff/requests")}
                })}
                {item(Msg::StaffProfile, "/staff/profile")}
            </ul>
        </nav>
    }
}

/// `/staff/profile`
#[component]
pub fn ProfilePage() -> impl IntoView {
    let me = expect_context::<Resource<Result<EmployeeProfile, AppError>>>();
    let locale = locale::current();
    let change = ServerAction::<ChangeMyPassword>::new();
    let start = ServerAction::<MfaStart>::new();
    let confirm = ServerAction::<MfaConfirm>::new();
    let end = ServerAction::<EndSession>::new();
    let sessions = Resource::new(move || end.version().get(), |_| held(my_sessions()));
    let field_error = |e: &AppError| {
        e.fields()
            .and_then(|f| {
                f.values()
                    .next()
                    .map(|fe| super::book::field_message(locale::current(), &fe.code, &fe.message))
            })
            .unwrap_or_else(|| e.message())
    };
    view! {
        <Title text=t(Msg::StaffProfile) />
        <h1>{t(Msg::StaffProfile)}</h1>
        <Suspense fallback=|| ()>
            {move || suspend(async move {
                me.await.ok().map(|p| view! {
                    <p class="muted">{p.full_name.clone()} " · " {p.username.clone()} " · " {p.role.as_str()}</p>
                })
            })}
        </Suspense>
        <section class="panel" aria-labelledby="pw-title">
            <h2 id="pw-title">{t(Msg::ChangePassword)}</h2>
            {move || change.value().get().map(|r| match r {
                Ok(()) => view! { <div class="notice notice--success" role="status">{t(Msg::PasswordChanged)}</div> }.into_any(),
                Err(e) => view! { <div class="notice notice--error" role="alert">{field_error(&e)}</div> }.into_any(),
            })}
            <ActionForm action=change attr:class="stack">
                <div class="field">
                    <label for="current_password">{t(Msg::CurrentPassword)}</label>
                    <input id="current_password" name="current_password" type="password" autocomplete="current-password" required />
                </div>
                <div class="field">
                    <label for="new_password">{t(Msg::NewPassword)}</label>
                    <input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="12" required />
                </div>
                <button type="submit" class="button">{t(Msg::Save)}</button>
            </ActionForm>
        </section>
        <section class="panel" aria-labelledby="mfa-title">
            <h2 id="mfa-title">{t(Msg::MfaTitle)}</h2>
            <Suspense fallback=|| ()>
                {move || suspend(async move {
                    let on = me.await.map(|p| p.mfa_enabled).unwrap_or(false) || confirm.value().get().is_some_and(|r| r.is_ok());
                    if on {
                        return view! { <p class="notice notice--success">{t(Msg::MfaOn)}</p> }.into_any();
                    }
                    view! {
                        <p class="muted">{t(Msg::MfaOff)}</p>
                        {move || start.value().get().and_then(|r| r.err()).map(|e| view! { <div class="notice notice--error" role="alert">{field_error(&e)}</div> })}
                        <ActionForm action=start attr:class="stack">
                            <div class="field">
                                <label for="mfa_password">{t(Msg::Password)}</label>
                                <input id="mfa_password" name="password" type="password" autocomplete="current-password" required />
                            </div>
                            <button type="submit" class="button">{t(Msg::MfaStart)}</button>
                        </ActionForm>
                    }
                    .into_any()
                })}
            </Suspense>
            {move || start.value().get().and_then(|r| r.ok()).filter(|_| confirm.value().get().is_none_or(|r| r.is_err())).map(|setup| view! {
                <div class="mfa-setup">
                    <p>{t(Msg::MfaScan)}</p>
                    <div class="mfa-setup__qr" inner_html=setup.qr_svg.clone()></div>
                    <p><code data-mfa-secret>{setup.secret.clone()}</code></p>
                    {move || confirm.value().get().and_then(|r| r.err()).map(|e| view! { <div class="notice notice--error" role="alert">{field_error(&e)}</div> })}
                    <ActionForm action=confirm attr:class="stack">
                        <div class="field">
                            <label for="mfa_confirm_code">{t(Msg::MfaCode)}</label>
                            <input id="mfa_confirm_code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required />
                        </div>
                        <button type="submit" class="button">{t(Msg::MfaConfirm)}</button>
                    </ActionForm>
                </div>
            })}
            {move || confirm.value().get().and_then(|r| r.ok()).map(|codes| view! {
                <div class="backup-codes">
                    <h3>{t(Msg::BackupCodesTitle)}</h3>
                    <p class="muted">{t(Msg::BackupCodesHint)}</p>
                    <ul data-backup-codes>{codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}</ul>
                </div>
            })}
        </section>
        <section class="panel" aria-labelledby="sessions-title">
            <h2 id="sessions-title">{t(Msg::Sessions)}</h2>
            <Suspense fallback=|| ()>
                {move || suspend(async move {
                    sessions.await.ok().map(|list| view! {
                        <ul class="sessions">
                            {list.into_iter().map(|s| view! {
                                <li>
                                    <span>{when(locale, &s.last_used_local)} " · " {s.ip.clone()} " · " <span class="muted small">{s.user_agent.chars().take(60).collect::<String>()}</span></span>
                                    {if s.current {
                                        view! { <strong>" (" {t(Msg::ThisDevice)} ")"</strong> }.into_any()
                                    } else {
                                        view! {
                                            <ActionForm action=end>
                                                <input type="hidden" name="id" value=s.id.clone() />
                                                <button type="submit" class="button button--quiet">{t(Msg::EndSession)}</button>
                                            </ActionForm>
                                        }.into_any()
                                    }}
                                </li>
                            }).collect_view()}
                        </ul>
                    })
                })}
            </Suspense>
        </section>
    }
}

/// `/staff/audit`
#[component]
pub fn AuditPage() -> impl IntoView {
    let locale = locale::current();
    let query = use_query_map();
    let action = move || query.read().get("action");
    let rows = Resource::new(action, |a| held(audit_entries(a)));
    view! {
        <Title text=t(Msg::StaffAudit) />
        <h1>{t(Msg::StaffAudit)}</h1>
        <form method="get" class="filters">
            <label for="action">{t(Msg::AuditAction)}</label>
            <select id="action" name="action">
                <option value="">{t(Msg::AuditAll)}</option>
                {crate::ui::audit_words::ACTIONS.map(|(a, _)| view! {
                    <option value=a selected=move || action().as_deref() == Some(a)>{crate::ui::audit_words::filter_label(locale, a)}</option>
                }).collect_view()}
            </select>
            <button type="submit" class="button button--quiet">{t(Msg::AuditFilter)}</button>
            <a class="button button--quiet" href=move || format!("/api/v1/audit/export?action={}", action().unwrap_or_default())>{t(Msg::AuditExport)}</a>
        </form>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">{t(Msg::Loading)}</p> }>
            {move || suspend(async move {
                match rows.await {
                    Err(AppError::Forbidden) => view! { <p class="notice notice--error">{t(Msg::NotAllowed)}</p> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    Ok(r) if r.rows.is_empty() => view! { <p class="muted">{t(Msg::AuditEmpty)}</p> }.into_any(),
                    Ok(r) => view! {
                        <table class="table" data-audit>
                            <thead><tr>
                                <th>{t(Msg::AuditWhen)}</th><th>{t(Msg::AuditWho)}</th><th>{t(Msg::AuditAction)}</th><th>{t(Msg::AwTarget)}</th><th>{t(Msg::AuditFrom)}</th>
                            </tr></thead>
                            <tbody>
                                {r.rows.into_iter().map(|row| { let action = row.action.clone(); view! {
                                    <tr data-action=action>
                                        <td>{when(locale, &row.local)}</td><td>{row.who}</td><td>{row.summary}</td>
                                        <td class="small">{match row.target_href {
                                            Some(href) => view! { <a href=href>{row.target}</a> }.into_any(),
                                            None => view! { <span class="muted">{row.target}</span> }.into_any(),
                                        }}</td>
                                        <td class="muted small">{row.ip}</td>
                                    </tr>
                                }}).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[server(prefix = "/api/fn", endpoint = "employees")]
pub async fn list_employees() -> Result<Vec<crate::domain::employee::EmployeeSummary>, AppError> {
    use crate::server::{employees, web_session};
    let (state, parts, me) = session::settled_staff().await?;
    employees::list(&state.store, &me, &web_session::origin(&parts)).await
}

#[server(prefix = "/api/fn", endpoint = "employee_create")]
pub async fn create_employee(
    username: String,
    email: String,
    full_name: String,
    role: String,
) -> Result<crate::domain::employee::TemporaryPassword, AppError> {
    use crate::{
        domain::{employee::NewEmployee, Role},
        server::{employees, web_session},
    };
    let (state, parts, me) = session::settled_staff().await?;
    let role = Role::parse(&role).ok_or_else(|| AppError::BadRequest {
        message: "Unknown role.".into(),
    })?;
    let input = NewEmployee {
        username,
        email,
        full_name,
        role,
        phone: None,
        position: None,
        department: None,
    };
    session::report(
        employees::create(&state.store, &me, &input, &web_session::origin(&parts)).await,
    )
}

#[server(prefix = "/api/fn", endpoint = "employee_action")]
pub async fn employee_action(id: String, action: String) -> Result<Option<String>, AppError> {
    use crate::{
        domain::employee::EmployeeUpdate,
        server::{employees, web_session},
    };
    let (state, parts, me) = session::settled_staff().await?;
    let origin = web_session::origin(&parts);
    let store = &state.store;
    let result = match action.as_str() {
        "disable" | "enable" => {
            let change = EmployeeUpdate {
                active: Some(action == "enable"),
                ..Default::default()
            };
            employees::update(store, &me, &id, &change, &origin)
                .await
                .map(|_| None)
        }
        "reset" => employees::reset_password(store, &me, &id, &origin)
            .await
            .map(|t| Some(t.temporary_password)),
        "end_sessions" => employees::revoke_employee_sessions(store, &me, &id, &origin)
            .await
            .map(|_| None),
        _ => Err(AppError::BadRequest {
            message: "Unknown action.".into(),
        }),
    };
    session::report(result)
}

fn role_label(role: crate::domain::Role) -> &'static str {
    t(role_msg(role))
}

pub(crate) fn role_msg(role: crate::domain::Role) -> Msg {
    match role {
        crate::domain::Role::Owner => Msg::RoleOwner,
        crate::domain::Role::Admin => Msg::RoleAdmin,
        crate::domain::Role::Manager => Msg::RoleManager,
    }
}

/// `/staff/employees` (owner and admin).
#[component]
pub fn EmployeesPage() -> impl IntoView {
    let me = expect_context::<Resource<Result<EmployeeProfile, AppError>>>();
    let create = ServerAction::<CreateEmployee>::new();
    let act = ServerAction::<EmployeeAction>::new();
    let list = Resource::new(
        move || (create.version().get(), act.version().get()),
        |_| held(list_employees()),
    );
    // The row whose action waits for a confirmation: (employee id, action).
    let confirming = RwSignal::new(None::<(String, String)>);
    // A finished action closes its confirmation.
    Effect::new(move |_| {
        act.version().get();
        confirming.set(None);
    });
    let error_text = |e: &AppError| {
        e.fields()
            .and_then(|f| f.values().next().map(|fe| fe.message.clone()))
            .unwrap_or_else(|| e.message())
    };
    view! {
        <Title text=t(Msg::StaffEmployees) />
        <h1>{t(Msg::StaffEmployees)}</h1>
        {move || act.value().get().map(|r| match r {
            Ok(Some(password)) => view! {
                <div class="notice notice--success" role="status">{t(Msg::EmpTemporary)} " " <code data-temporary-password>{password}</code></div>
            }.into_any(),
            Ok(None) => ().into_any(),
            Err(e) => view! { <div class="notice notice--error" role="alert">{error_text(&e)}</div> }.into_any(),
        })}
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">{t(Msg::Loading)}</p> }>
            {move || suspend(async move {
                let locale = locale::current();
                match list.await {
                    Err(AppError::Forbidden) => view! { <p class="notice notice--error">{t(Msg::NotAllowed)}</p> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    Ok(rows) => view! {
                        <table class="table" data-employees>
                            <thead><tr>
                                <th>{t(Msg::EmpName)}</th><th>{t(Msg::Username)}</th><th>{t(Msg::EmpRole)}</th>
                                <th>{t(Msg::EmpStatus)}</th><th>{t(Msg::EmpLastLogin)}</th><th></th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|e| {
                                    let id = e.id.clone();
                                    let username = e.username.clone();
                                    let last = e.last_login_at
                                        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                                        .map(|t| locale.date(t.date_naive()))
                                        .unwrap_or_else(|| t(Msg::EmpNever).to_owned());
                                    let actions: Vec<(&'static str, Msg)> = vec![
                                        if e.active { ("disable", Msg::EmpDisable) } else { ("enable", Msg::EmpEnable) },
                                        ("reset", Msg::EmpReset),
                                        ("end_sessions", Msg::EmpEndSessions),
                                    ];
                                    view! {
                                        <tr data-username=username class:muted=!e.active>
                                            <td>{e.full_name.clone()}</td>
                                            <td><code>{e.username.clone()}</code></td>
                                            <td>{role_label(e.role)}</td>
                                            <td>{if e.active { t(Msg::EmpActive) } else { t(Msg::EmpDisabled) }}</td>
                                            <td>{last}</td>
                                            <td class="row-actions">
                                                {actions.into_iter().map(|(action, label)| {
                                                    let (id_a, id_c) = (id.clone(), id.clone());
                                                    let pending = move || confirming.get().is_some_and(|(i, a)| i == id_a && a == action);
                                                    move || {
                                                        let id = id_c.clone();
                                                        if pending() {
                                                            view! {
                                                                <ActionForm action=act attr:class="confirm-inline">
                                                                    <input type="hidden" name="id" value=id />
                                                                    <input type="hidden" name="action" value=action />
                                                                    <span>{t(Msg::EmpConfirm)}</span>
                                                                    <button type="submit" class="button button--danger">{t(Msg::Yes)}</button>
                                                                    <button type="button" class="button button--quiet" on:click=move |_| confirming.set(None)>{t(Msg::No)}</button>
                                                                </ActionForm>
                                                            }
                                                            .into_any()
                                                        } else {
                                                            view! {
                                                                <button type="button" class="button button--quiet" data-action=action
                                                                    on:click=move |_| confirming.set(Some((id.clone(), action.to_owned())))>
                                                                    {t(label)}
                                                                </button>
                                                            }
                                                            .into_any()
                                                        }
                                                    }
                                                }).collect_view()}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || suspend(async move {
                me.await.ok().filter(|p| p.role == crate::domain::Role::Owner).map(|_| view! { <RequireMfaSwitch /> })
            })}
        </Suspense>
        <section class="panel" aria-labelledby="add-title">
            <h2 id="add-title">{t(Msg::EmpAdd)}</h2>
            {move || create.value().get().map(|r| match r {
                Ok(created) => view! {
                    <div class="notice notice--success" role="status">
                        {t(Msg::EmpTemporary)} " " <code data-temporary-password>{created.temporary_password}</code>
                    </div>
                }.into_any(),
                Err(e) => view! { <div class="notice notice--error" role="alert">{error_text(&e)}</div> }.into_any(),
            })}
            <ActionForm action=create attr:class="stack">
                <div class="field"><label for="new_username">{t(Msg::Username)}</label>
                    <input id="new_username" name="username" type="text" autocomplete="off" required /></div>
                <div class="field"><label for="new_full_name">{t(Msg::EmpName)}</label>
                    <input id="new_full_name" name="full_name" type="text" required /></div>
                <div class="field"><label for="new_email">{t(Msg::EmpEmail)}</label>
                    <input id="new_email" name="email" type="email" required /></div>
                <div class="field"><label for="new_role">{t(Msg::EmpRole)}</label>
                    <select id="new_role" name="role">
                        <option value="manager">{t(Msg::RoleManager)}</option>
                        <Suspense fallback=|| ()>
                            {move || suspend(async move {
                                me.await.ok().filter(|p| p.role == crate::domain::Role::Owner).map(|_| view! {
                                    <option value="admin">{t(Msg::RoleAdmin)}</option>
                                })
                            })}
                        </Suspense>
                    </select></div>
                <button type="submit" class="button">{t(Msg::EmpCreate)}</button>
            </ActionForm>
        </section>
    }
}

#[server(prefix = "/api/fn", endpoint = "require_mfa")]
pub async fn require_mfa(require: Option<String>) -> Result<bool, AppError> {
    use crate::server::{security, web_session};
    let (state, parts, me) = session::settled_staff().await?;
    match require {
        None => Ok(security::get(&state.store).await?.require_mfa),
        Some(value) => {
            let new = security::SecuritySettings {
                require_mfa: value == "on",
            };
            let origin = web_session::origin(&parts);
            session::report(security::set(&state.store, &me, new, &origin).await)
                .map(|s| s.require_mfa)
        }
    }
}

/// The owner's switch for studio-wide two-factor sign-in.
#[component]
fn RequireMfaSwitch() -> impl IntoView {
    let set = ServerAction::<RequireMfa>::new();
    let current = Resource::new(move || set.version().get(), |_| held(require_mfa(None)));
    view! {
        <section class="panel" aria-labelledby="mfa-policy-title">
            <h2 id="mfa-policy-title">{t(Msg::MfaTitle)}</h2>
            <Suspense fallback=|| ()>
                {move || suspend(async move {
                    current.await.ok().map(|on| view! {
                        <p data-require-mfa=on.to_string()>{t(if on { Msg::RequireMfaOn } else { Msg::RequireMfaOff })}</p>
                        <ActionForm action=set>
                            <input type="hidden" name="require" value=if on { "off" } else { "on" } />
                            <button type="submit" class="button button--quiet">
                                {t(if on { Msg::StopRequiringMfa } else { Msg::RequireMfa })}
                            </button>
                        </ActionForm>
                    })
                })}
            </Suspense>
        </section>
    }
}
