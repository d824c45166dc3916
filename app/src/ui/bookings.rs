//! The booking list (`/staff/bookings`: sortable, filterable, paged) and
//! one booking's page (`/staff/bookings/:id`: edit, reschedule, payment,
//! state buttons allowed by the machine, history and audit trail). Both
//! follow `/ws`: what a colleague changes shows up without a reload.
// The edit form's server function takes one argument per field; the
// `#[server]` macro does not carry an item-level allow to its client half.
#![allow(clippy::too_many_arguments)]

use super::owners::{held, suspend};
use super::{
    board::{
        column_title, encode, error_text, local, move_booking, payment_label, source_label, when,
        ReopenDialog,
    },
    live::{use_live, LiveStatus},
    locale::{self, t},
    staff::{go_to_login, staff_page_error},
    toast::toasts,
};
use crate::domain::studio::phone_display;
use crate::{
    domain::{
        board::{targets, BookingDetail, BookingList, PaymentStatus, SpaceOption},
        booking::{BookingState, TransitionError},
        Role,
    },
    error::AppError,
    i18n::Msg,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[server(prefix = "/api/fn", endpoint = "bookings_list")]
pub async fn bookings_list(
    from: Option<String>,
    to: Option<String>,
    state: Option<String>,
    space: Option<String>,
    q: Option<String>,
    page: Option<i64>,
    sort: Option<String>,
) -> Result<(BookingList, Vec<SpaceOption>, i64), AppError> {
    use super::staff::session;
    use crate::{domain::board::BookingQuery, server::staff_bookings};
    let (app, _, _) = session::report(session::settled_staff().await)?;
    let query = BookingQuery {
        date: None,
        from,
        to,
        state,
        space,
        q,
        page,
        per_page: Some(25),
        sort,
    };
    let list = session::report(staff_bookings::list(&app, &query).await)?;
    let spaces = session::report(app.active_spaces().await)?;
    let seen = session::report(crate::server::live::last_event_id(&app.store).await)?;
    Ok((list, spaces, seen))
}

#[server(prefix = "/api/fn", endpoint = "booking_detail")]
pub async fn load_booking(id: String) -> Result<BookingPage, AppError> {
    // A tuple, as the page's other loaders return. With a struct here the
    // page showed an error after a client-side navigation (the call in the
    // lazily loaded chunk failed although the same JSON decodes natively
    // and on a full page load); not understood yet.
    use super::staff::session;
    let (app, _, me) = session::report(session::settled_staff().await)?;
    let detail = session::report(crate::server::staff_bookings::detail(&app, &id).await)?;
    let spaces = session::report(app.active_spaces().await)?;
    let seen = session::report(crate::server::live::last_event_id(&app.store).await)?;
    let spaces_by_slug = session::report(crate::server::audit::space_names(&app.store).await)?;
    let space_name = |slug: &str| spaces_by_slug.get(slug).cloned();
    let facts = super::audit_words::Facts {
        locale: locale::current(),
        zone: session::zone(&app).await,
        space_name: &space_name,
    };
    let audit_words = detail
        .audit
        .iter()
        .map(|a| {
            let details = serde_json::from_str(&a.details).unwrap_or_default();
            super::audit_words::describe(&facts, &a.action, &details)
        })
        .collect();
    Ok((detail, me.role, spaces, seen, audit_words))
}

/// What the booking page loads: the booking, the reader's role, the
/// spaces, the last event seen and the audit trail's entries as sentences
/// (in the trail's order).
pub type BookingPage = (BookingDetail, Role, Vec<SpaceOption>, i64, Vec<String>);

/// The edit form of the booking page. Times are the studio's wall clock
/// (`YYYY-MM-DDTHH:MM`, as `datetime-local` inputs give them).
/// Whether any booking (or this one) changed after event `since`.
#[server(prefix = "/api/fn", endpoint = "changed_since")]
pub async fn changed_since(since: i64, booking: Option<String>) -> Result<bool, AppError> {
    use super::staff::session;
    let (app, _, _) = session::report(session::settled_staff().await)?;
    let events = session::report(crate::server::live::events_since(&app.store, since, 1000).await)?;
    Ok(events
        .iter()
        .any(|e| booking.as_deref().is_none_or(|b| e.booking_id == b)))
}

#[server(prefix = "/api/fn", endpoint = "save_booking")]
pub async fn save_booking(
    id: String,
    version: i64,
    space: String,
    start: String,
    end: String,
    people_count: String,
    client_name: String,
    client_phone: String,
    client_email: String,
    special_requirements: String,
    notes: String,
    internal_notes: String,
    payment_status: String,
) -> Result<i64, AppError> {
    use super::staff::session;
    use crate::{
        domain::board::BookingUpdate,
        error::FieldError,
        server::{staff_bookings, web_session},
    };
    let (app, parts, me) = session::report(session::settled_staff().await)?;
    let zone = session::zone(&app).await;
    let mut errors = std::collections::BTreeMap::new();
    let mut instant = |field: &str, raw: &str| {
        let parsed = chrono::NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M")
            .ok()
            .and_then(|t| t.and_local_timezone(zone).earliest())
            .map(|t| t.to_rfc3339());
        if parsed.is_none() {
            errors.insert(
                field.to_owned(),
                FieldError::new("invalid_time", "Pick a date and time."),
            );
        }
        parsed
    };
    let start_time = instant("start_time", &start);
    let end_time = instant("end_time", &end);
    let people = people_count.trim().parse::<i64>().ok();
    if people.is_none() {
        errors.insert(
            "people_count".into(),
            FieldError::new("too_few_people", "How many people?"),
        );
    }
    let payment = PaymentStatus::parse(&payment_status);
    if !errors.is_empty() {
        return session::report(Err(AppError::Validation { fields: errors }));
    }
    let changes = BookingUpdate {
        version,
        space: Some(space),
        start_time,
        end_time,
        people_count: people,
        client_name: Some(client_name),
        client_phone: Some(client_phone),
        client_email: Some(client_email),
        special_requirements: Some(special_requirements),
        notes: Some(notes),
        internal_notes: Some(internal_notes),
        payment_status: payment,
    };
    let detail = session::report(
        staff_bookings::update(&app, &me, &web_session::origin(&parts), &id, &changes).await,
    )?;
    Ok(detail.summary.version)
}

#[server(prefix = "/api/fn", endpoint = "delete_booking")]
pub async fn delete_booking(id: String, version: i64) -> Result<(), AppError> {
    use super::staff::session;
    use crate::server::{staff_bookings, web_session};
    let (app, parts, me) = session::report(session::settled_staff().await)?;
    session::report(
        staff_bookings::delete(&app, &me, &web_session::origin(&parts), &id, Some(version)).await,
    )?;
    leptos_axum::redirect("/staff/bookings");
    Ok(())
}

const SORTS: [(&str, Msg); 4] = [
    ("start_time", Msg::When),
    ("client_name", Msg::ColClient),
    ("state", Msg::Status),
    ("total_price", Msg::PriceTotal),
];

/// `/staff/bookings`
#[component]
pub fn BookingsPage() -> impl IntoView {
    let locale = locale::current();
    let query = use_query_map();
    let get = move |k: &str| query.with(|q| q.get(k));
    let params = move || {
        (
            get("from"),
            get("to"),
            get("state"),
            get("space"),
            get("q"),
            get("page").and_then(|p| p.parse::<i64>().ok()),
            get("sort"),
        )
    };
    let data = Resource::new(params, |(from, to, state, space, q, page, sort)| {
        held(bookings_list(from, to, state, space, q, page, sort))
    });
    // Any change anywhere may change this page: read it again.
    let live = use_live(None, move |_| data.refetch());
    // Changes made before the socket was (re)connected are not pushed:
    // when it connects, read the page again if anything changed meanwhile.
    let last_seen = StoredValue::new(i64::MAX);
    Effect::new(move |_| {
        if live.get() == LiveStatus::Live {
            let since = last_seen.get_value();
            leptos::task::spawn_local(async move {
                if changed_since(since, None).await.unwrap_or(false) {
                    data.refetch();
                }
            });
        }
    });
    let href = move |changes: &[(&str, String)]| {
        let keys = ["from", "to", "state", "space", "q", "sort", "page"];
        let parts: Vec<String> = keys
            .iter()
            .filter_map(|k| {
                let v = changes
                    .iter()
                    .find(|(ck, _)| ck == k)
                    .map(|(_, v)| v.clone())
                    .or_else(|| query.with_untracked(|q| q.get(k)))?;
                (!v.is_empty()).then(|| format!("{k}={}", encode(&v)))
            })
            .collect();
        format!("/staff/bookings?{}", parts.join("&"))
    };
    view! {
        <Title text=t(Msg::StaffBookings) />
        <header class="page-head">
            <h1>{t(Msg::StaffBookings)}</h1>
            <p class="live-status" class:live-status--on=move || live.get() == LiveStatus::Live>
                <span class="live-status__dot" aria-hidden="true"></span>
                {move || if live.get() == LiveStatus::Live { t(Msg::LiveOn) } else { t(Msg::LiveOff) }}
            </p>
        </header>
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">{t(Msg::Loading)}</p> }>
            {move || suspend(async move {
                let (list, spaces, seen) = match data.await {
                    Ok(d) => d,
                    Err(e) => return staff_page_error(e),
                };
                last_seen.set_value(seen);
                let q = |k: &str| query.with_untracked(|q| q.get(k)).unwrap_or_default();
                let (state_now, space_now, sort_now) = (q("state"), q("space"), q("sort"));
                let pages = ((list.total + list.per_page - 1) / list.per_page).max(1);
                let page = list.page;
                view! {
                    <form class="filters" method="get" action="/staff/bookings">
                        <div class="field">
                            <label for="l-from">{t(Msg::FilterFrom)}</label>
                            <input id="l-from" type="date" name="from" value=q("from") />
                        </div>
                        <div class="field">
                            <label for="l-to">{t(Msg::FilterTo)}</label>
                            <input id="l-to" type="date" name="to" value=q("to") />
                        </div>
                        <div class="field">
                            <label for="l-state">{t(Msg::Status)}</label>
                            <select id="l-state" name="state">
                                <option value="">{t(Msg::AllStates)}</option>
                                {BookingState::ALL.into_iter().map(|s| view! {
                                    <option value=s.as_str() selected=state_now == s.as_str()>{column_title(s)}</option>
                                }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for="l-space">{t(Msg::Space)}</label>
                            <select id="l-space" name="space">
                                <option value="">{t(Msg::AllSpaces)}</option>
                                {spaces.iter().map(|s| view! {
                                    <option value=s.slug.clone() selected=space_now == s.slug>{s.name.clone()}</option>
                                }).collect_view()}
                            </select>
                        </div>
                        <div class="field field--grow">
                            <label for="l-q">{t(Msg::SearchLabel)}</label>
                            <input id="l-q" type="search" name="q" placeholder=t(Msg::SearchHint) value=q("q") />
                        </div>
                        <input type="hidden" name="sort" value=sort_now.clone() />
                        <div class="filters__actions">
                            <button type="submit" class="button">{t(Msg::ApplyFilters)}</button>
                            <a class="button button--quiet" href="/staff/bookings">{t(Msg::ResetFilters)}</a>
                        </div>
                    </form>
                    <p class="muted small" data-total=list.total>{t(Msg::BookingsFound)} " " {list.total}</p>
                    <div class="table-wrap">
                        <table class="table">
                            <thead>
                                <tr>
                                    <th scope="col">{t(Msg::Reference)}</th>
                                    {SORTS.into_iter().map(|(key, msg)| {
                                        let active = sort_now.trim_start_matches('-') == key || (sort_now.is_empty() && key == "start_time");
                                        let desc = sort_now.starts_with('-');
                                        let next = if active && !desc { format!("-{key}") } else { key.to_owned() };
                                        let aria = if active { if desc { "descending" } else { "ascending" } } else { "none" };
                                        view! {
                                            <th scope="col" aria-sort=aria>
                                                <a href=href(&[("sort", next), ("page", String::new())])>
                                                    {t(msg)} {active.then_some(if desc { " ↓" } else { " ↑" })}
                                                </a>
                                            </th>
                                        }
                                    }).collect_view()}
                                    <th scope="col">{t(Msg::ColSource)}</th>
                                    <th scope="col">{t(Msg::Space)}</th>
                                    <th scope="col">{t(Msg::ColPayment)}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.items.into_iter().map(|b| view! {
                                    <tr data-booking-id=b.id.clone() data-state=b.state.as_str()>
                                        <td><a href=format!("/staff/bookings/{}", b.id)>{b.reference.clone()}</a></td>
                                        <td>{when(locale, &b.start_time, &b.end_time)}</td>
                                        <td>{b.client_name.clone()} <span class="muted small">" " {phone_display(&b.client_phone)}</span></td>
                                        <td><span class=format!("state state--{}", b.state.as_str())>{column_title(b.state)}</span></td>
                                        <td class="num">{locale.money(b.total_price)}</td>
                                        <td>{source_label(b.source)}</td>
                                        <td>{b.space_name.clone()}</td>
                                        <td><span class=format!("badge badge--{}", b.payment_status.as_str())>{payment_label(b.payment_status)}</span></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <nav class="pager" aria-label=t(Msg::PageOf)>
                        {(page > 1).then(|| view! { <a class="button button--quiet" rel="prev" href=href(&[("page", (page - 1).to_string())])>{t(Msg::PrevPage)}</a> })}
                        <span class="muted">{t(Msg::PageOf)} " " {page} " / " {pages}</span>
                        {(page < pages).then(|| view! { <a class="button button--quiet" rel="next" href=href(&[("page", (page + 1).to_string())])>{t(Msg::NextPage)}</a> })}
                    </nav>
                }
                .into_any()
            })}
        </Transition>
    }
}

/// `/staff/bookings/:id`
/// A move as the button says it: a verb, not the state it leads to.
fn verb_msg(to: BookingState) -> Msg {
    match to {
        BookingState::Pending => Msg::VerbBackToNew,
        BookingState::Confirmed => Msg::VerbConfirm,
        BookingState::InProgress => Msg::VerbStart,
        BookingState::Completed => Msg::VerbComplete,
        BookingState::Cancelled => Msg::VerbCancel,
        BookingState::NoShow => Msg::VerbNoShow,
    }
}

/// Coloured by consequence: forward moves green, the ones that end a
/// booking badly red-outlined, a step back quiet.
fn verb_class(to: BookingState) -> &'static str {
    match to {
        BookingState::Confirmed | BookingState::InProgress | BookingState::Completed => {
            "button button--go"
        }
        BookingState::Cancelled | BookingState::NoShow => "button button--warn",
        BookingState::Pending => "button button--quiet",
    }
}

#[component]
pub fn BookingDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id")).unwrap_or_default();
    let data = Resource::new(id, |id| held(load_booking(id)));
    let known_version = StoredValue::new(0i64);
    let last_seen = StoredValue::new(i64::MAX);
    let toasts = toasts();
    let me = use_context::<Resource<Result<crate::domain::employee::EmployeeProfile, AppError>>>();
    let locale = locale::current();
    // The page's own actions outlive the form they belong to: a reload can
    // re-render the form while a save is on its way.
    let save = ServerAction::<SaveBooking>::new();
    let remove = ServerAction::<DeleteBooking>::new();
    let reload = Callback::new(move |()| data.refetch());
    Effect::new(move |_| {
        if let Some(result) = save.value().get() {
            match result {
                Ok(v) => {
                    known_version.set_value(v);
                    toasts.success(t(Msg::Saved));
                    data.refetch();
                }
                Err(AppError::Unauthorized { .. }) => go_to_login(),
                Err(e) if e.fields().is_none() => toasts.error(error_text(locale, &e)),
                Err(_) => toasts.withdraw_successes(),
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Err(e)) = remove.value().get() {
            toasts.error(error_text(locale, &e));
        }
    });
    let live = use_live(None, move |e| {
        let this = params.with_untracked(|p| p.get("id")).unwrap_or_default();
        if save.pending().get_untracked() {
            return; // our own save: its answer reloads the page
        }
        if e.booking_id == this && e.version.unwrap_or(i64::MAX) > known_version.get_value() {
            let mine = me
                .and_then(|r| r.get_untracked())
                .and_then(|r| r.ok())
                .is_some_and(|p| p.id == e.by);
            if !mine {
                toasts.success(t(Msg::ChangedElsewhere));
            }
            data.refetch();
        }
    });
    // What changed between the page's rendering and the socket's opening.
    Effect::new(move |_| {
        if live.get() == LiveStatus::Live {
            let since = last_seen.get_value();
            let this = params.with_untracked(|p| p.get("id"));
            leptos::task::spawn_local(async move {
                if changed_since(since, this).await.unwrap_or(false) {
                    data.refetch();
                }
            });
        }
    });
    view! {
        <Title text=t(Msg::StaffBookings) />
        <p class="crumbs"><a href="/staff/board">{t(Msg::BackToBoard)}</a> " · " <a href="/staff/bookings">{t(Msg::BackToList)}</a></p>
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">{t(Msg::Loading)}</p> }>
            {move || suspend(async move {
                match data.await {
                    Ok((detail, role, spaces, seen, audit_words)) => {
                        last_seen.set_value(seen);
                        known_version.set_value(detail.summary.version);
                        view! { <Detail detail=detail audit_words=audit_words role=role spaces=spaces live=live reload=reload known_version=known_version save=save remove=remove /> }.into_any()
                    }
                    Err(AppError::NotFound { .. }) => view! {
                        <div class="notice notice--error" role="alert">{t(Msg::BookingNotFound)}</div>
                    }.into_any(),
                    Err(e) => staff_page_error(e),
                }
            })}
        </Transition>
    }
}

#[component]
fn Detail(
    detail: BookingDetail,
    audit_words: Vec<String>,
    role: Role,
    spaces: Vec<SpaceOption>,
    live: ReadSignal<LiveStatus>,
    reload: Callback<()>,
    known_version: StoredValue<i64>,
    save: ServerAction<SaveBooking>,
    remove: ServerAction<DeleteBooking>,
) -> impl IntoView {
    let locale = locale::current();
    let toasts = toasts();
    let b = detail.summary.clone();
    let id = b.id.clone();
    let version = b.version;
    let confirm_delete = RwSignal::new(false);
    let reopen = RwSignal::new(None::<BookingState>);
    let busy = RwSignal::new(false);
    let field_error = move |name: &'static str| {
        move || {
            save.value().get().and_then(|r| r.err()).and_then(|e| {
                e.fields().and_then(|f| f.get(name)).map(|fe| {
                    view! { <p class="field__error" role="alert">{super::book::field_message(locale, &fe.code, &fe.message)}</p> }
                })
            })
        }
    };
    let state = b.state;
    let change_state = {
        let id = id.clone();
        move |to: BookingState, why: String| {
            let from = state;
            if let Err(TransitionError::ReasonRequired) = from.can_transition(to, role, &why) {
                reopen.set(Some(to));
                return;
            }
            let id = id.clone();
            busy.set(true);
            leptos::task::spawn_local(async move {
                let why = Some(why).filter(|r| !r.trim().is_empty());
                match move_booking(id, to, version, why).await {
                    Ok(v) => {
                        known_version.set_value(v.version);
                        toasts.success(format!("{} «{}»", t(Msg::MovedTo), column_title(to)));
                        reload.run(());
                    }
                    Err(AppError::Unauthorized { .. }) => go_to_login(),
                    Err(e) => {
                        toasts.error(error_text(locale, &e));
                        if e.code() == "version_conflict" {
                            reload.run(());
                        }
                    }
                }
                busy.set(false);
            });
        }
    };
    let local_input = |rfc: &str| {
        local(rfc)
            .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
            .unwrap_or_default()
    };
    let p = detail.price_breakdown;
    let change_for_dialog = change_state.clone();
    let delete_id = id.clone();
    let (detail_id, form_id) = (id.clone(), id.clone());
    view! {
        <header class="page-head">
            <div>
                <h1>{b.client_name.clone()} " · " <span class="muted">{b.reference.clone()}</span></h1>
                <p>
                    <span class=format!("state state--{}", b.state.as_str()) data-state=b.state.as_str()>{column_title(b.state)}</span>
                    " " {when(locale, &b.start_time, &b.end_time)} " · " {b.space_name.clone()}
                </p>
            </div>
            <p class="live-status" class:live-status--on=move || live.get() == LiveStatus::Live>
                <span class="live-status__dot" aria-hidden="true"></span>
                {move || if live.get() == LiveStatus::Live { t(Msg::LiveOn) } else { t(Msg::LiveOff) }}
            </p>
        </header>
        <div class="detail" data-booking-id=detail_id>
            <section class="panel" aria-labelledby="moves-title">
                <h2 id="moves-title">{t(Msg::MoveButtons)}</h2>
                <div class="button-row">
                    {targets(b.state, role).into_iter().map(|to| {
                        let change_state = change_state.clone();
                        view! {
                            <button type="button" class=verb_class(to) data-target=to.as_str() disabled=move || busy.get()
                                on:click=move |_| change_state(to, String::new())>{t(verb_msg(to))}</button>
                        }
                    }).collect_view()}
                </div>
                <dl class="facts">
                    <dt>{t(Msg::Phone)}</dt><dd><a href=format!("tel:{}", b.client_phone)>{phone_display(&b.client_phone)}</a></dd>
                    <dt>{t(Msg::LabelEmail)}</dt><dd>{detail.client_email.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>{t(Msg::People)}</dt><dd>{b.people_count}</dd>
                    <dt>{t(Msg::ColSource)}</dt><dd>{source_label(b.source)}</dd>
                    <dt>{t(Msg::ColPayment)}</dt><dd>{payment_label(b.payment_status)}</dd>
                    <dt>{t(Msg::CreatedAt)}</dt><dd>{local(&detail.created_at).map(|t| format!("{} {}", locale.date(t.date()), locale.time(t.time()))).unwrap_or_default()}</dd>
                </dl>
                <h3>{t(Msg::PriceTotal)}</h3>
                <dl class="facts">
                    <dt>{t(Msg::PriceBase)}</dt><dd class="num">{locale.money(p.base)}</dd>
                    <dt>{t(Msg::PriceEquipment)}</dt><dd class="num">{locale.money(p.equipment)}</dd>
                    <dt>{t(Msg::PriceExtraPeople)}</dt><dd class="num">{locale.money(p.extra_people)}</dd>
                    <dt>{t(Msg::PriceDiscount)}</dt><dd class="num">{locale.money(p.discount)}</dd>
                    <dt><strong>{t(Msg::PriceTotal)}</strong></dt><dd class="num"><strong>{locale.money(p.total)}</strong></dd>
                </dl>
                {role.manages_staff().then(|| view! {
                    <div class="danger-zone">
                        <p class="muted small">{t(Msg::DeleteHint)}</p>
                        <button type="button" class="button button--danger" on:click=move |_| confirm_delete.set(true)>{t(Msg::DeleteBooking)}</button>
                    </div>
                })}
            </section>
            <section class="panel" aria-labelledby="edit-title">
                <h2 id="edit-title">{t(Msg::EditBooking)}</h2>
                <ActionForm action=save attr:class="stack edit-form">
                    <input type="hidden" name="id" value=form_id />
                    <input type="hidden" name="version" value=version />
                    <div class="grid-2">
                        <div class="field">
                            <label for="e-space">{t(Msg::Space)}</label>
                            <select id="e-space" name="space">
                                {spaces.iter().map(|s| view! { <option value=s.slug.clone() selected=s.slug == b.space>{s.name.clone()}</option> }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for="e-people">{t(Msg::People)}</label>
                            <input id="e-people" name="people_count" type="number" min="1" value=b.people_count />
                            {field_error("people_count")}
                        </div>
                        <div class="field">
                            <label for="e-start">{t(Msg::LabelStart)}</label>
                            <input id="e-start" name="start" type="datetime-local" step="3600" value=local_input(&b.start_time) />
                            {field_error("start_time")}
                        </div>
                        <div class="field">
                            <label for="e-end">{t(Msg::LabelEnd)}</label>
                            <input id="e-end" name="end" type="datetime-local" step="3600" value=local_input(&b.end_time) />
                            {field_error("end_time")}
                        </div>
                        <div class="field">
                            <label for="e-name">{t(Msg::LabelClientName)}</label>
                            <input id="e-name" name="client_name" value=b.client_name.clone() required />
                            {field_error("client_name")}
                        </div>
                        <div class="field">
                            <label for="e-phone">{t(Msg::Phone)}</label>
                            <input id="e-phone" name="client_phone" type="tel" value=detail.client_phone_display.clone() required />
                            {field_error("client_phone")}
                        </div>
                        <div class="field">
                            <label for="e-email">{t(Msg::LabelEmail)}</label>
                            <input id="e-email" name="client_email" type="email" value=detail.client_email.clone().unwrap_or_default() />
                            {field_error("client_email")}
                        </div>
                        <div class="field">
                            <label for="e-payment">{t(Msg::ColPayment)}</label>
                            <select id="e-payment" name="payment_status">
                                {PaymentStatus::ALL.into_iter().map(|ps| view! {
                                    <option value=ps.as_str() selected=ps == b.payment_status>{payment_label(ps)}</option>
                                }).collect_view()}
                            </select>
                        </div>
                    </div>
                    <div class="field">
                        <label for="e-req">{t(Msg::Requirements)}</label>
                        <textarea id="e-req" name="special_requirements">{detail.special_requirements.clone()}</textarea>
                        {field_error("special_requirements")}
                    </div>
                    <div class="field">
                        <label for="e-notes">{t(Msg::LabelNotes)}</label>
                        <textarea id="e-notes" name="notes">{detail.notes.clone()}</textarea>
                    </div>
                    <div class="field">
                        <label for="e-internal">{t(Msg::LabelInternalNotes)}</label>
                        <textarea id="e-internal" name="internal_notes">{detail.internal_notes.clone()}</textarea>
                    </div>
                    {move || save.value().get().and_then(|r| r.err()).filter(|e| e.fields().is_some()).map(|_| view! {
                        <div class="notice notice--error" role="alert">{t(Msg::FixErrors)}</div>
                    })}
                    <button type="submit" class="button button--primary" disabled=move || save.pending().get()>
                        {move || if save.pending().get() { t(Msg::Loading) } else { t(Msg::Save) }}
                    </button>
                </ActionForm>
            </section>
            <section class="panel" aria-labelledby="history-title">
                <h2 id="history-title">{t(Msg::HistoryTitle)}</h2>
                <ol class="timeline">
                    {detail.history.iter().map(|h| view! {
                        <li>
                            <span class="muted small">{local(&h.at).map(|t| format!("{} {}", locale.date(t.date()), locale.time(t.time()))).unwrap_or_default()}</span>
                            " " {match h.from {
                                Some(from) => t(Msg::AwStateChanged).replace("{from}", column_title(from)).replace("{to}", column_title(h.to)),
                                None => t(Msg::AwCreatedAs).replace("{to}", column_title(h.to)),
                            }}
                            {super::audit_words::reason_words(locale, &h.reason).map(|r| view! { <span class="muted">" — " {r}</span> })}
                            " · " <span class="muted">{if h.by.is_empty() { t(Msg::ByGuest).to_owned() } else { h.by.clone() }}</span>
                        </li>
                    }).collect_view()}
                </ol>
                <h2>{t(Msg::AuditTrail)}</h2>
                <ol class="timeline">
                    {detail.audit.iter().zip(audit_words).map(|(a, words)| view! {
                        <li data-action=a.action.clone()>
                            <span class="muted small">{local(&a.at).map(|t| format!("{} {}", locale.date(t.date()), locale.time(t.time()))).unwrap_or_default()}</span>
                            " " {words} " · " <span class="muted">{a.by.clone()}</span>
                        </li>
                    }).collect_view()}
                </ol>
            </section>
        </div>
        {move || confirm_delete.get().then(|| {
            let delete_id = delete_id.clone();
            view! {
            <super::modal::Modal role="alertdialog" labelled_by="delete-title"
                on_close=Callback::new(move |()| confirm_delete.set(false))>
                    <h2 id="delete-title">{t(Msg::DeleteBooking)}</h2>
                    <p>{t(Msg::DeleteConfirm)}</p>
                    <ActionForm action=remove>
                        <input type="hidden" name="id" value=delete_id.clone() />
                        <input type="hidden" name="version" value=version />
                        <div class="dialog__actions">
                            <button type="button" class="button button--quiet" on:click=move |_| confirm_delete.set(false)>{t(Msg::NotNow)}</button>
                            <button type="submit" class="button button--danger">{t(Msg::DeleteBooking)}</button>
                        </div>
                    </ActionForm>
            </super::modal::Modal>
            }
        })}
        {move || reopen.get().map(|to| {
            let change_state = change_for_dialog.clone();
            view! {
                <ReopenDialog to=to
                    on_confirm=Callback::new(move |why: String| {
                        reopen.set(None);
                        change_state(to, why);
                    })
                    on_cancel=Callback::new(move |()| reopen.set(None)) />
            }
        })}
    }
}
