//! The kanban board (`/staff`, `/staff/board`): one column per state, cards
//! that move by drag and drop or from the keyboard, live updates from
//! `/ws`. A move is shown at once and taken back, with a toast saying why,
//! when the server refuses it; the state machine is the same code on both
//! sides, so most refusals never leave the browser.

use super::{
    book::state_label,
    live::{use_live, LiveStatus},
    locale::{self, t},
    staff::{go_to_login, staff_page_error},
    toast::toasts,
};
use crate::{
    domain::{
        board::{next_forward, targets, BoardData, BookingSummary, LiveEvent, PaymentStatus},
        booking::{BookingSource, BookingState, BookingStateView, TransitionError},
        Role,
    },
    error::AppError,
    i18n::{Locale, Msg},
};
use chrono::NaiveDateTime;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[server(prefix = "/api/fn", endpoint = "board")]
pub async fn load_board(
    from: Option<String>,
    to: Option<String>,
    space: Option<String>,
    q: Option<String>,
    recent: Option<i64>,
) -> Result<BoardData, AppError> {
    use super::staff::session;
    use crate::{domain::board::BoardQuery, server::staff_bookings};
    let (state, _, me) = session::report(session::settled_staff().await)?;
    let query = BoardQuery {
        from,
        to,
        space,
        q,
        recent,
    };
    session::report(staff_bookings::board(&state, me.role, &query).await)
}

#[server(prefix = "/api/fn", endpoint = "board_card")]
pub async fn board_card(id: String) -> Result<BookingSummary, AppError> {
    use super::staff::session;
    let (state, _, _) = session::report(session::settled_staff().await)?;
    session::report(crate::server::staff_bookings::summary(&state, &id).await)
}

#[server(prefix = "/api/fn", endpoint = "move_booking")]
pub async fn move_booking(
    id: String,
    target: BookingState,
    version: i64,
    reason: Option<String>,
) -> Result<BookingStateView, AppError> {
    use super::staff::session;
    use crate::{domain::booking::TransitionRequest, server::web_session};
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    let change = TransitionRequest {
        target_state: target,
        reason,
        version: Some(version),
    };
    session::report(
        crate::server::bookings::transition(
            &state,
            &me,
            &id,
            &change,
            &web_session::origin(&parts),
        )
        .await,
    )
}

/// A studio-local time from the server's RFC 3339.
pub(crate) fn local(rfc3339: &str) -> Option<NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.naive_local())
}

/// "Tue 24 Nov, 10:00–12:00" in the reader's language.
pub(crate) fn when(locale: Locale, start: &str, end: &str) -> String {
    match (local(start), local(end)) {
        (Some(s), Some(e)) => format!(
            "{}, {}–{}",
            locale.date(s.date()),
            locale.time(s.time()),
            locale.time(e.time())
        ),
        _ => String::new(),
    }
}

/// "22.11 10:00–11:00": a card's time, short enough for a narrow column.
fn card_time(start: &str, end: &str) -> String {
    use chrono::Datelike;
    match (local(start), local(end)) {
        (Some(s), Some(e)) => format!(
            "{:02}.{:02} {}–{}",
            s.day(),
            s.month(),
            s.format("%H:%M"),
            e.format("%H:%M")
        ),
        _ => String::new(),
    }
}

pub(crate) fn column_title(state: BookingState) -> &'static str {
    match state {
        BookingState::Pending => t(Msg::ColumnNew),
        other => state_label(other),
    }
}

pub(crate) fn payment_label(p: PaymentStatus) -> &'static str {
    t(match p {
        PaymentStatus::Unpaid => Msg::PaymentUnpaid,
        PaymentStatus::PartiallyPaid => Msg::PaymentPartial,
        PaymentStatus::Paid => Msg::PaymentPaid,
        PaymentStatus::Refunded => Msg::PaymentRefunded,
    })
}

pub(crate) fn source_label(s: BookingSource) -> &'static str {
    t(match s {
        BookingSource::Website => Msg::SourceWebsite,
        BookingSource::Phone => Msg::SourcePhone,
        BookingSource::WalkIn => Msg::SourceWalkIn,
        BookingSource::Staff => Msg::SourceStaff,
    })
}

/// What to tell a person whose change the server refused.
pub(crate) fn error_text(locale: Locale, e: &AppError) -> String {
    let msg = match e.code() {
        "invalid_transition" => Msg::ErrInvalidTransition,
        "version_conflict" => Msg::ErrVersionConflict,
        "slot_unavailable" => Msg::SlotTaken,
        "forbidden" => Msg::ErrForbidden,
        _ => {
            if let Some(fe) = e.fields().and_then(|f| f.values().next()) {
                return super::book::field_message(locale, &fe.code, &fe.message);
            }
            return e.message();
        }
    };
    locale.t(msg).to_owned()
}

fn sort_key(card: &BookingSummary) -> i64 {
    chrono::DateTime::parse_from_rfc3339(&card.start_time)
        .map(|t| t.timestamp())
        .unwrap_or_default()
}

fn index(state: BookingState) -> usize {
    BookingState::ALL
        .iter()
        .position(|s| *s == state)
        .unwrap_or_default()
}

/// A query-string value, percent-encoded.
pub(crate) fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `/staff` and `/staff/board`
#[component]
pub fn BoardPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        let q = query.read();
        (
            q.get("from"),
            q.get("to"),
            q.get("space"),
            q.get("q"),
            q.get("recent").and_then(|r| r.parse::<i64>().ok()),
        )
    };
    let data = Resource::new(params, |(from, to, space, q, recent)| {
        load_board(from, to, space, q, recent)
    });
    view! {
        <Title text=t(Msg::StaffBoard) />
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">{t(Msg::Loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <Board data=d reload=Callback::new(move |()| data.refetch()) /> }.into_any(),
                    Err(e) => staff_page_error(e),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Board(data: BoardData, reload: Callback<()>) -> impl IntoView {
    let locale = locale::current();
    let toasts = toasts();
    let role = data.role;
    let query = use_query_map();
    let (from, to) = (data.from.clone(), data.to.clone());
    let mut totals_init = [0i64; 6];
    let mut all = Vec::new();
    for column in data.columns {
        totals_init[index(column.state)] = column.total;
        all.extend(column.cards);
    }
    let cards = RwSignal::new(all);
    let totals = RwSignal::new(totals_init);
    let dragging = RwSignal::new(None::<String>);
    let over = RwSignal::new(None::<BookingState>);
    let reopen = RwSignal::new(None::<(String, BookingState)>);
    let held = StoredValue::new(Vec::<LiveEvent>::new());
    let range = StoredValue::new((from.clone(), to.clone()));

    // Puts a card in a column (and keeps the counts right).
    let place = move |id: &str, to: BookingState, version: Option<i64>| {
        let mut before = None;
        cards.update(|cs| {
            if let Some(c) = cs.iter_mut().find(|c| c.id == id) {
                before = Some(c.state);
                c.state = to;
                if let Some(v) = version {
                    c.version = v;
                }
            }
        });
        if let Some(from) = before.filter(|f| *f != to) {
            totals.update(|t| {
                t[index(from)] -= 1;
                t[index(to)] += 1;
            });
        }
    };
    // Adds or replaces a card fetched from the server.
    let upsert = move |card: BookingSummary| {
        let mut before = None;
        let mut newer = true;
        cards.update(|cs| match cs.iter_mut().find(|c| c.id == card.id) {
            Some(c) => {
                before = Some(c.state);
                newer = card.version > c.version;
                if newer {
                    *c = card.clone();
                }
            }
            None => cs.push(card.clone()),
        });
        if !newer {
            return;
        }
        totals.update(|t| {
            if let Some(from) = before {
                t[index(from)] -= 1;
            }
            t[index(card.state)] += 1;
        });
    };
    let refresh_card = move |id: String| {
        leptos::task::spawn_local(async move {
            match board_card(id.clone()).await {
                Ok(card) => {
                    // A booking new to this screen shows only inside its dates.
                    let known = cards.with_untracked(|cs| cs.iter().any(|c| c.id == card.id));
                    let date = card.start_time.get(..10).unwrap_or_default().to_owned();
                    let inside = range.with_value(|(f, t)| date >= *f && date <= *t);
                    if known || inside {
                        upsert(card);
                    }
                }
                Err(AppError::NotFound { .. }) => {
                    let mut gone = None;
                    cards.update(|cs| {
                        if let Some(pos) = cs.iter().position(|c| c.id == id) {
                            gone = Some(cs.remove(pos).state);
                        }
                    });
                    if let Some(s) = gone {
                        totals.update(|t| t[index(s)] -= 1);
                    }
                }
                Err(_) => {}
            }
        });
    };
    let apply = move |e: LiveEvent| {
        let known =
            cards.with_untracked(|cs| cs.iter().find(|c| c.id == e.booking_id).map(|c| c.version));
        if let (Some(v), Some(ev)) = (known, e.version) {
            if ev <= v {
                return; // already shown (our own move, or a repeat)
            }
        }
        match (e.kind.as_str(), known, e.state) {
            ("BookingDeleted", Some(_), _) => refresh_card(e.booking_id),
            ("BookingStateChanged", Some(_), Some(s)) => place(&e.booking_id, s, e.version),
            _ => refresh_card(e.booking_id),
        }
    };
    let filtered = query.with_untracked(|q| {
        q.get("q").is_some_and(|v| !v.is_empty()) || q.get("space").is_some_and(|v| !v.is_empty())
    });
    let live = use_live(Some(data.last_event_id), {
        move |e: LiveEvent| {
            if e.kind == "resync" {
                reload.run(());
                return;
            }
            if e.aggregate != "booking" {
                return;
            }
            // A card someone is dragging here stays put until it is dropped.
            if dragging.get_untracked().as_deref() == Some(e.booking_id.as_str()) {
                held.update_value(|h| h.push(e));
                return;
            }
            let known = cards.with_untracked(|cs| cs.iter().any(|c| c.id == e.booking_id));
            if !known && filtered {
                return; // a new booking may not match the search; reload shows it
            }
            apply(e);
        }
    });
    let drag_end = move || {
        dragging.set(None);
        over.set(None);
        let waiting = held.try_update_value(std::mem::take).unwrap_or_default();
        for e in waiting {
            apply(e);
        }
    };

    let request_move = move |id: String, to: BookingState, why: String| {
        let Some(card) = cards.with_untracked(|cs| cs.iter().find(|c| c.id == id).cloned()) else {
            return;
        };
        let from = card.state;
        if from == to {
            return;
        }
        match from.can_transition(to, role, &why) {
            Ok(()) => {}
            Err(TransitionError::ReasonRequired) => {
                reopen.set(Some((id, to)));
                return;
            }
            Err(TransitionError::NotAllowedForRole) => {
                toasts.error(t(Msg::ErrReopenRole));
                return;
            }
            Err(TransitionError::Invalid) => {
                toasts.error(format!(
                    "{}: {} → {}",
                    t(Msg::ErrInvalidTransition),
                    column_title(from),
                    column_title(to)
                ));
                return;
            }
        }
        place(&id, to, None);
        let version = card.version;
        let why = Some(why).filter(|r| !r.trim().is_empty());
        leptos::task::spawn_local(async move {
            match move_booking(id.clone(), to, version, why).await {
                Ok(v) => {
                    cards.update(|cs| {
                        if let Some(c) = cs.iter_mut().find(|c| c.id == v.id) {
                            if c.version < v.version {
                                c.version = v.version;
                            }
                        }
                    });
                    toasts.success(format!(
                        "{} «{}»: {}",
                        t(Msg::MovedTo),
                        column_title(to),
                        card.client_name
                    ));
                }
                Err(e) => {
                    // Snap back, unless a newer change arrived meanwhile.
                    let still_ours = cards.with_untracked(|cs| {
                        cs.iter()
                            .any(|c| c.id == id && c.version == version && c.state == to)
                    });
                    if still_ours {
                        place(&id, from, None);
                    }
                    if matches!(e, AppError::Unauthorized { .. }) {
                        go_to_login();
                        return;
                    }
                    toasts.error(error_text(locale, &e));
                    if e.code() == "version_conflict" {
                        refresh_card(id);
                    }
                }
            }
        });
    };

    let current = move |key: &str| query.with_untracked(|q| q.get(key)).unwrap_or_default();
    let more_href = {
        let (from, to) = (from.clone(), to.clone());
        move |recent: i64| {
            format!(
                "/staff/board?from={}&to={}&space={}&q={}&recent={}",
                encode(&from),
                encode(&to),
                encode(&current("space")),
                encode(&current("q")),
                recent + 20
            )
        }
    };
    let recent = data.recent;
    let space_now = current("space");
    view! {
        <header class="page-head">
            <h1>{t(Msg::StaffBoard)}</h1>
            <p class="live-status" class:live-status--on=move || live.get() == LiveStatus::Live aria-live="polite">
                <span class="live-status__dot" aria-hidden="true"></span>
                {move || if live.get() == LiveStatus::Live { t(Msg::LiveOn) } else { t(Msg::LiveOff) }}
            </p>
        </header>
        <form class="filters" method="get" action="/staff/board">
            <div class="field">
                <label for="f-from">{t(Msg::FilterFrom)}</label>
                <input id="f-from" type="date" name="from" value=from.clone() />
            </div>
            <div class="field">
                <label for="f-to">{t(Msg::FilterTo)}</label>
                <input id="f-to" type="date" name="to" value=to.clone() />
            </div>
            <div class="field">
                <label for="f-space">{t(Msg::Space)}</label>
                <select id="f-space" name="space">
                    <option value="">{t(Msg::AllSpaces)}</option>
                    {data.spaces.iter().map(|s| view! {
                        <option value=s.slug.clone() selected=s.slug == space_now>{s.name.clone()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field field--grow">
                <label for="f-q">{t(Msg::SearchLabel)}</label>
                <input id="f-q" type="search" name="q" placeholder=t(Msg::SearchHint) value=current("q") />
            </div>
            <div class="filters__actions">
                <button type="submit" class="button">{t(Msg::ApplyFilters)}</button>
                <a class="button button--quiet" href="/staff/board">{t(Msg::ResetFilters)}</a>
            </div>
        </form>
        <p class="muted small">{t(Msg::MoveHint)}</p>
        <div class="board">
            {BookingState::ALL.into_iter().map(|column| {
                let shown = Memo::new(move |_| {
                    let mut list: Vec<BookingSummary> = cards.with(|cs| cs.iter().filter(|c| c.state == column).cloned().collect());
                    if column.is_final() {
                        list.sort_by_key(|c| std::cmp::Reverse(sort_key(c)));
                    } else {
                        list.sort_by_key(sort_key);
                    }
                    list
                });
                let heading = format!("column-{}", column.as_str());
                let labelled_by = heading.clone();
                let more_href = more_href.clone();
                view! {
                    <section class="board-column" data-column=column.as_str() aria-labelledby=labelled_by
                        class:board-column--over=move || over.get() == Some(column)
                        on:dragover=move |ev| {
                            ev.prevent_default();
                            if over.get_untracked() != Some(column) {
                                over.set(Some(column));
                            }
                        }
                        on:drop=move |ev| {
                            ev.prevent_default();
                            over.set(None);
                            let id = ev
                                .data_transfer()
                                .and_then(|d| d.get_data("text/plain").ok())
                                .filter(|s| !s.is_empty())
                                .or_else(|| dragging.get_untracked());
                            if let Some(id) = id {
                                request_move(id, column, String::new());
                            }
                        }>
                        <header class="board-column__head">
                            <h2 id=heading>{column_title(column)}</h2>
                            <span class="board-column__count" data-count>{move || totals.get()[index(column)]}</span>
                        </header>
                        <ol class="board-column__cards">
                            <For each=move || shown.get() key=|c| (c.id.clone(), c.state, c.version) let:card>
                                <Card card=card role=role dragging=dragging on_drag_end=Callback::new(move |()| drag_end())
                                    on_move=Callback::new(move |(id, to): (String, BookingState)| request_move(id, to, String::new())) />
                            </For>
                        </ol>
                        <Show when=move || shown.with(|s| s.is_empty())>
                            <p class="board-column__empty muted small">{t(Msg::NoCards)}</p>
                        </Show>
                        {column.is_final().then(|| view! {
                            <Show when=move || { totals.get()[index(column)] > shown.with(|s| s.len() as i64) }>
                                <a class="button button--quiet board-column__more" href=more_href(recent)>{t(Msg::ShowMore)}</a>
                            </Show>
                        })}
                    </section>
                }
            }).collect_view()}
        </div>
        {move || reopen.get().map(|(id, to)| view! {
            <ReopenDialog to=to
                on_confirm=Callback::new(move |why: String| {
                    reopen.set(None);
                    request_move(id.clone(), to, why);
                })
                on_cancel=Callback::new(move |()| reopen.set(None)) />
        })}
    }
}

/// Asks why a finished booking is reopened; the move waits for the answer.
#[component]
pub(crate) fn ReopenDialog(
    to: BookingState,
    on_confirm: Callback<String>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    view! {
        <div class="dialog-backdrop">
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="reopen-title">
                <h2 id="reopen-title">{t(Msg::ReopenTitle)} " → " {column_title(to)}</h2>
                <form class="stack" on:submit=move |ev| {
                    ev.prevent_default();
                    let why = reason.get_untracked();
                    if !why.trim().is_empty() {
                        on_confirm.run(why);
                    }
                }>
                    <div class="field">
                        <label for="reopen-reason">{t(Msg::ReopenReason)}</label>
                        <textarea id="reopen-reason" name="reason" required autofocus
                            on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                    </div>
                    <div class="dialog__actions">
                        <button type="button" class="button button--quiet" on:click=move |_| on_cancel.run(())>{t(Msg::NotNow)}</button>
                        <button type="submit" class="button button--primary">{t(Msg::ConfirmMove)}</button>
                    </div>
                </form>
            </div>
        </div>
    }
}

#[component]
fn Card(
    card: BookingSummary,
    role: Role,
    dragging: RwSignal<Option<String>>,
    on_drag_end: Callback<()>,
    on_move: Callback<(String, BookingState)>,
) -> impl IntoView {
    let locale = locale::current();
    let state = card.state;
    let options = targets(state, role);
    let id = card.id.clone();
    let when_text = when(locale, &card.start_time, &card.end_time);
    let label = format!(
        "{}, {}, {}",
        card.client_name,
        when_text,
        column_title(state)
    );
    let (drag_id, key_id, select_id) = (id.clone(), id.clone(), id.clone());
    view! {
        <li class="card" data-booking-id=id.clone() data-state=state.as_str() draggable="true" tabindex="0"
            aria-label=label
            class:card--dragging=move || dragging.with(|d| d.as_deref() == Some(drag_id.as_str()))
            on:dragstart={
                let id = id.clone();
                move |ev| {
                    if let Some(dt) = ev.data_transfer() {
                        let _ = dt.set_data("text/plain", &id);
                        dt.set_effect_allowed("move");
                    }
                    dragging.set(Some(id.clone()));
                }
            }
            on:dragend=move |_| on_drag_end.run(())
            on:keydown=move |ev| {
                if ev.key() == "ArrowRight" {
                    if let Some(to) = next_forward(state) {
                        ev.prevent_default();
                        on_move.run((key_id.clone(), to));
                    }
                }
            }>
            <div class="card__top">
                <time datetime=card.start_time.clone() title=when_text.clone()>{card_time(&card.start_time, &card.end_time)}</time>
                <span class=format!("badge badge--{}", card.payment_status.as_str())>{payment_label(card.payment_status)}</span>
            </div>
            <p class="card__client">{card.client_name.clone()}</p>
            <p class="card__meta">
                {card.space_name.clone()} " · " {card.people_count} " " {t(Msg::ColPeople).to_lowercase()} " · "
                <strong>{locale.money(card.total_price)}</strong>
            </p>
            <div class="card__foot">
                <a class="card__ref" href=format!("/staff/bookings/{id}")>{card.reference.clone()}</a>
                {(!options.is_empty()).then(|| view! {
                    <select class="card__move" aria-label=t(Msg::MoveTo)
                        on:change=move |ev| {
                            let value = event_target_value(&ev);
                            #[cfg(feature = "hydrate")]
                            {
                                use wasm_bindgen::JsCast;
                                if let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok()) {
                                    el.set_value("");
                                }
                            }
                            if let Some(to) = BookingState::parse(&value) {
                                on_move.run((select_id.clone(), to));
                            }
                        }>
                        <option value="" selected>{t(Msg::MoveTo)}</option>
                        {options.into_iter().map(|to| view! { <option value=to.as_str()>{column_title(to)}</option> }).collect_view()}
                    </select>
                })}
            </div>
        </li>
    }
}
