//! The kanban board (`/staff`, `/staff/board`): one column per state, cards
//! that move by drag and drop or from the keyboard, live updates from
//! `/ws`. A move is shown at once and taken back, with a toast saying why,
//! when the server refuses it; the state machine is the same code on both
//! sides, so most refusals never leave the browser.

use super::owners::{held, suspend};
use super::{
    live::{use_live, LiveStatus},
    locale::{self, t},
    staff::{go_to_login, staff_page_error},
    toast::toasts,
};
use crate::{
    domain::{
        board::{
            next_forward, targets, BoardCard, BoardData, BookingSummary, CardFacts, LiveEvent,
            PaymentStatus, SpaceOption,
        },
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
    let spaces = state.active_spaces().await?;
    let markup = card_markup(locale::current(), spaces);
    let mut board = session::report(staff_bookings::board(&state, me.role, &query, &markup).await)?;
    // Rendering the board page, the markup goes into the page and the
    // hydration data carries none; asked for over HTTP (a filter, the board
    // opened from another page) the answer carries it.
    let over_http = leptos::prelude::use_context::<http::request::Parts>()
        .is_some_and(|parts| parts.uri.path().starts_with("/api/fn/"));
    for column in &mut board.columns {
        column.with_markup = over_http;
    }
    Ok(board)
}

#[server(prefix = "/api/fn", endpoint = "board_card")]
pub async fn one_card(id: String) -> Result<BookingSummary, AppError> {
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

/// "22.11 10:00–11:00": a card's time, short enough for a narrow column,
/// written at the end of `out`.
fn push_card_time(out: &mut String, start: &str, end: &str) {
    // Word joiners keep the range on one line; a narrow column may
    // still wrap it after the date.
    const JOINED_DASH: &str = "\u{2060}–\u{2060}";
    // The server writes RFC 3339 on the studio's clock, so the text holds
    // the local date and time as they are shown: read from it (a board
    // has 2,000 cards), or parsed when it is written otherwise.
    if let (Some(s), Some(e)) = (local_text(start), local_text(end)) {
        for part in [s.day, ".", s.month, " ", s.time, JOINED_DASH, e.time] {
            out.push_str(part);
        }
        return;
    }
    use chrono::Datelike;
    if let (Some(s), Some(e)) = (local(start), local(end)) {
        use std::fmt::Write;
        let _ = write!(
            out,
            "{:02}.{:02} {}{JOINED_DASH}{}",
            s.day(),
            s.month(),
            s.format("%H:%M"),
            e.format("%H:%M")
        );
    }
}

/// The day, month and "HH:MM" of a time written as `YYYY-MM-DDTHH:MM…`
/// (see [`push_card_time`]), as written.
struct LocalText<'a> {
    day: &'a str,
    month: &'a str,
    time: &'a str,
}

fn local_text(rfc3339: &str) -> Option<LocalText<'_>> {
    let b = rfc3339.as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    let shaped = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16);
    shaped.then(|| LocalText {
        day: &rfc3339[8..10],
        month: &rfc3339[5..7],
        time: &rfc3339[11..16],
    })
}

pub(crate) fn column_title(state: BookingState) -> &'static str {
    t(column_msg(state))
}

/// A state as the board's column names it ("New" for pending).
pub(crate) fn column_msg(state: BookingState) -> Msg {
    match state {
        BookingState::Pending => Msg::ColumnNew,
        other => super::book::state_msg(other),
    }
}

pub(crate) fn payment_label(p: PaymentStatus) -> &'static str {
    t(payment_msg(p))
}

pub(crate) fn payment_msg(p: PaymentStatus) -> Msg {
    match p {
        PaymentStatus::Unpaid => Msg::PaymentUnpaid,
        PaymentStatus::PartiallyPaid => Msg::PaymentPartial,
        PaymentStatus::Paid => Msg::PaymentPaid,
        PaymentStatus::Refunded => Msg::PaymentRefunded,
    }
}

pub(crate) fn source_label(s: BookingSource) -> &'static str {
    t(source_msg(s))
}

pub(crate) fn source_msg(s: BookingSource) -> Msg {
    match s {
        BookingSource::Website => Msg::SourceWebsite,
        BookingSource::Phone => Msg::SourcePhone,
        BookingSource::WalkIn => Msg::SourceWalkIn,
        BookingSource::Staff => Msg::SourceStaff,
    }
}

/// What to tell a person whose change the server refused.
pub(crate) fn error_text(locale: Locale, e: &AppError) -> String {
    let msg = match e.code() {
        "invalid_transition" => Msg::ErrInvalidTransition,
        "version_conflict" => Msg::ErrVersionConflict,
        "slot_unavailable" => Msg::ErrSlotBusy,
        "equipment_unavailable" => Msg::ErrEquipmentUnavailable,
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

fn sort_key(card: &BoardCard) -> i64 {
    chrono::DateTime::parse_from_rfc3339(&card.start_time)
        .map(|t| t.timestamp())
        .unwrap_or_default()
}

/// The inside of a card, as one piece of markup: a board holds thousands
/// of cards, and each of them as a tree of views (with their hydration
/// markers and data) would weigh three times as much. Written piece by
/// piece into one string the size of a card.
fn card_html(locale: Locale, card: &CardFacts<'_>, space_name: &str) -> String {
    use crate::html::push_escaped;
    let mut out = String::with_capacity(512);
    out.push_str("<p><time>");
    push_card_time(&mut out, card.start_time, card.end_time);
    out.push_str("</time><i class=\"pay-");
    out.push_str(card.payment_status.as_str());
    out.push_str("\" role=\"img\" aria-label=\"");
    push_escaped(&mut out, locale.t(payment_msg(card.payment_status)));
    out.push_str("\"></i></p><b>");
    push_escaped(&mut out, card.client_name);
    out.push_str("</b><p>");
    push_escaped(&mut out, space_name);
    out.push_str(" · ");
    out.push_str(&locale.count(
        u64::try_from(card.people_count).unwrap_or(0),
        crate::i18n::Noun::Guest,
    ));
    out.push_str(" · <b>");
    out.push_str(&locale.money(card.total_price));
    out.push_str("</b></p><small>");
    push_escaped(&mut out, card.reference);
    out.push_str("</small>");
    out
}

/// How the cards of a board look, in `locale`, with the spaces' names.
pub fn card_markup(
    locale: Locale,
    spaces: Vec<SpaceOption>,
) -> impl Fn(&CardFacts<'_>) -> String + Sync {
    move |card: &CardFacts<'_>| {
        let name = spaces
            .iter()
            .find(|s| s.slug == card.space)
            .map_or(card.space_name, |s| s.name.as_str());
        card_html(locale, card, name)
    }
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
        held(load_board(from, to, space, q, recent))
    });
    view! {
        <Title text=t(Msg::StaffBoard) />
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">{t(Msg::Loading)}</p> }>
            {move || suspend(async move {
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
    // A board rendered by the server has its cards' markup in the page only:
    // read once here, while the page is still as the server sent it.
    if all.iter().any(|c| c.html.is_empty()) {
        let mut in_page = dom::all_card_markup();
        for card in all.iter_mut().filter(|c| c.html.is_empty()) {
            card.html = in_page.remove(&card.id).unwrap_or_default();
        }
    }
    let spaces = StoredValue::new(data.spaces.clone());
    let cards = RwSignal::new(all);
    let totals = RwSignal::new(totals_init);
    let dragging = RwSignal::new(None::<String>);
    let over = RwSignal::new(None::<BookingState>);
    let reopen = RwSignal::new(None::<(String, BookingState)>);
    // The one move menu of the board: which card, and where to show it.
    let menu = RwSignal::new(None::<MenuAt>);
    let held_events = StoredValue::new(Vec::<LiveEvent>::new());
    let range = StoredValue::new((from.clone(), to.clone()));

    // Puts a card in a column (and keeps the counts right). The card is
    // made anew in its new column from the markup it holds.
    let place = move |id: &str, to: BookingState, version: Option<i64>| {
        let mut before = None;
        cards.update(|cs| {
            if let Some(c) = cs.iter_mut().find(|c| c.id == id) {
                if c.html.is_empty() {
                    c.html = dom::card_markup(id).unwrap_or_default();
                }
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
    let upsert = move |card: BoardCard| {
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
            match one_card(id.clone()).await {
                Ok(summary) => {
                    let card = BoardCard {
                        html: spaces.with_value(|list| {
                            card_markup(locale, list.clone())(&summary.card_facts())
                        }),
                        ..BoardCard::of(&summary)
                    };
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
                held_events.update_value(|h| h.push(e));
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
        dom::clear_dragging();
        let waiting = held_events
            .try_update_value(std::mem::take)
            .unwrap_or_default();
        for e in waiting {
            apply(e);
        }
    };

    // `keep_focus`: a move made from the keyboard leaves the focus on the
    // moved card, in its new column.
    let request_move = move |id: String, to: BookingState, why: String, keep_focus: bool| {
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
        // The client's name, for the toast: the card's first bold line.
        let client = dom::card_client(&id).unwrap_or_default();
        place(&id, to, None);
        if keep_focus {
            dom::focus_card(&id);
        }
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
                    if keep_focus {
                        dom::focus_card(&v.id);
                    }
                    toasts.success(format!(
                        "{} «{}»: {}",
                        t(Msg::MovedTo),
                        column_title(to),
                        client
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
                        if keep_focus {
                            dom::focus_card(&id);
                        }
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
    // Opens the move menu of a card (from its id) at a point of the page.
    let open_menu = move |id: String, x: f64, y: f64| {
        let state = cards.with_untracked(|cs| cs.iter().find(|c| c.id == id).map(|c| c.state));
        if let Some(state) = state {
            if targets(state, role).is_empty() {
                toasts.error(t(Msg::NoMoveFromHere));
            } else {
                menu.set(Some(MenuAt { id, state, x, y }));
            }
        }
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
        <p class="muted small" id="board-hint">{t(Msg::MoveHint)}</p>
        <div class="board" aria-describedby="board-hint">
            {BookingState::ALL.into_iter().map(|column| {
                let shown = Memo::new(move |_| {
                    let mut list: Vec<BoardCard> = cards.with(|cs| cs.iter().filter(|c| c.state == column).cloned().collect());
                    if column.is_final() {
                        list.sort_by_cached_key(|c| std::cmp::Reverse(sort_key(c)));
                    } else {
                        list.sort_by_cached_key(sort_key);
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
                                request_move(id, column, String::new(), false);
                            }
                        }>
                        <header class="board-column__head">
                            <h2 id=heading>{column_title(column)}</h2>
                            <span class="board-column__count" data-count>{move || totals.get()[index(column)]}</span>
                        </header>
                        // One set of handlers per column for all its cards.
                        <ol class="board-column__cards"
                            on:dragstart=move |ev| {
                                if let Some(id) = dom::card_id(ev.target()) {
                                    if let Some(dt) = ev.data_transfer() {
                                        let _ = dt.set_data("text/plain", &id);
                                        dt.set_effect_allowed("move");
                                    }
                                    dom::mark_dragging(ev.target());
                                    dragging.set(Some(id));
                                }
                            }
                            on:dragend=move |_| drag_end()
                            on:keydown=move |ev| {
                                let Some(id) = dom::card_id(ev.target()) else { return };
                                let state = cards.with_untracked(|cs| cs.iter().find(|c| c.id == id).map(|c| c.state));
                                match ev.key().as_str() {
                                    "ArrowRight" => {
                                        if let Some(to) = state.and_then(next_forward) {
                                            ev.prevent_default();
                                            request_move(id, to, String::new(), true);
                                        }
                                    }
                                    "m" | "M" | "ContextMenu" => {
                                        ev.prevent_default();
                                        let (x, y) = dom::corner(ev.target());
                                        open_menu(id, x, y);
                                    }
                                    "F10" if ev.shift_key() => {
                                        ev.prevent_default();
                                        let (x, y) = dom::corner(ev.target());
                                        open_menu(id, x, y);
                                    }
                                    _ => {}
                                }
                            }
                            on:contextmenu=move |ev| {
                                if let Some(id) = dom::card_id(ev.target()) {
                                    ev.prevent_default();
                                    open_menu(id, f64::from(ev.page_x()), f64::from(ev.page_y()));
                                }
                            }>
                            <For each=move || shown.get() key=|c| (c.id.clone(), c.state, c.version) let:card>
                                <Card card=card />
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
        {move || menu.get().map(|at| view! {
            <MoveMenu at=at role=role
                on_choose=Callback::new(move |(id, to): (String, BookingState)| {
                    menu.set(None);
                    request_move(id, to, String::new(), true);
                })
                on_close=Callback::new(move |id: String| {
                    menu.set(None);
                    dom::focus_card(&id);
                }) />
        })}
        {move || reopen.get().map(|(id, to)| view! {
            <ReopenDialog to=to
                on_confirm=Callback::new(move |why: String| {
                    reopen.set(None);
                    request_move(id.clone(), to, why, false);
                })
                on_cancel=Callback::new(move |()| reopen.set(None)) />
        })}
    }
}

/// Where the move menu opens: for which card, at which point of the page.
#[derive(Debug, Clone, PartialEq)]
struct MenuAt {
    id: String,
    state: BookingState,
    x: f64,
    y: f64,
}

/// The board's one "Move to…" menu, for the card it was opened on: the
/// columns the state machine allows from there. Arrow keys move between
/// the choices, Enter takes one, Escape closes it and the focus goes back
/// to the card.
#[component]
fn MoveMenu(
    at: MenuAt,
    role: Role,
    on_choose: Callback<(String, BookingState)>,
    on_close: Callback<String>,
) -> impl IntoView {
    let choices = targets(at.state, role);
    let first = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = first.get() {
            let _ = button.focus();
        }
    });
    let close_id = at.id.clone();
    let key_id = at.id.clone();
    view! {
        <div class="move-menu-backdrop" on:click=move |_| on_close.run(close_id.clone())></div>
        <div class="move-menu" role="menu" aria-label=t(Msg::MoveTo)
            style=format!("left: {}px; top: {}px", at.x.max(0.0), at.y.max(0.0))
            on:keydown=move |ev| match ev.key().as_str() {
                "Escape" | "Tab" => {
                    ev.prevent_default();
                    on_close.run(key_id.clone());
                }
                "ArrowDown" | "ArrowUp" => {
                    ev.prevent_default();
                    dom::step_menu(ev.key() == "ArrowDown");
                }
                _ => {}
            }>
            <p class="move-menu__title">{t(Msg::MoveTo)}</p>
            {choices.into_iter().enumerate().map(|(i, to)| {
                let id = at.id.clone();
                let node = if i == 0 { Some(first) } else { None };
                view! {
                    <button type="button" role="menuitem" class="move-menu__item" data-move-to=to.as_str()
                        node_ref=node.unwrap_or_default()
                        on:click=move |_| on_choose.run((id.clone(), to))>
                        {column_title(to)}
                    </button>
                }
            }).collect_view()}
        </div>
    }
}

/// The DOM work of the board that views do not express: which card an
/// event came from, focus after a move, the dragged card's look.
mod dom {
    #[cfg(feature = "hydrate")]
    use wasm_bindgen::JsCast;

    #[cfg(feature = "hydrate")]
    fn card_of(target: Option<web_sys::EventTarget>) -> Option<web_sys::Element> {
        target?
            .dyn_into::<web_sys::Element>()
            .ok()?
            .closest("[data-booking-id]")
            .ok()?
    }

    /// The booking id of the card an event happened on.
    pub fn card_id(target: Option<web_sys::EventTarget>) -> Option<String> {
        #[cfg(feature = "hydrate")]
        {
            card_of(target)?.get_attribute("data-booking-id")
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = target;
            None
        }
    }

    /// The bottom-left corner of the card, on the page (for the menu).
    pub fn corner(target: Option<web_sys::EventTarget>) -> (f64, f64) {
        #[cfg(feature = "hydrate")]
        if let (Some(card), Some(window)) = (card_of(target), web_sys::window()) {
            let r = card.get_bounding_client_rect();
            let (sx, sy) = (
                window.scroll_x().unwrap_or(0.0),
                window.scroll_y().unwrap_or(0.0),
            );
            return (r.left() + sx, r.bottom() + sy);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = target;
        (0.0, 0.0)
    }

    pub fn mark_dragging(target: Option<web_sys::EventTarget>) {
        #[cfg(feature = "hydrate")]
        if let Some(card) = card_of(target) {
            let _ = card.class_list().add_1("card--dragging");
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = target;
    }

    /// Whatever was dragged looks like a card again, wherever it went.
    pub fn clear_dragging() {
        #[cfg(feature = "hydrate")]
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            if let Ok(list) = doc.query_selector_all(".card--dragging") {
                for i in 0..list.length() {
                    if let Some(el) = list
                        .item(i)
                        .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                    {
                        let _ = el.class_list().remove_1("card--dragging");
                    }
                }
            }
        }
    }

    /// Every card's inside as the page shows it, by booking id, read in
    /// one pass (a board holds thousands).
    pub fn all_card_markup() -> std::collections::HashMap<String, String> {
        #[cfg_attr(not(feature = "hydrate"), allow(unused_mut))]
        let mut found = std::collections::HashMap::new();
        #[cfg(feature = "hydrate")]
        if let Some(list) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector_all("[data-booking-id]").ok())
        {
            for i in 0..list.length() {
                if let Some(el) = list
                    .item(i)
                    .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                {
                    if let Some(id) = el.get_attribute("data-booking-id") {
                        found.insert(id, el.inner_html());
                    }
                }
            }
        }
        found
    }

    /// The inside of the card of `id` as the page shows it.
    pub fn card_markup(id: &str) -> Option<String> {
        #[cfg(feature = "hydrate")]
        {
            web_sys::window()?
                .document()?
                .query_selector(&format!("[data-booking-id=\"{id}\"]"))
                .ok()??
                .inner_html()
                .into()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = id;
            None
        }
    }

    /// The client's name on the card of `id`.
    pub fn card_client(id: &str) -> Option<String> {
        #[cfg(feature = "hydrate")]
        {
            web_sys::window()?
                .document()?
                .query_selector(&format!("[data-booking-id=\"{id}\"] b"))
                .ok()??
                .text_content()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = id;
            None
        }
    }

    /// Focuses the card of `id` once the board has re-rendered it.
    pub fn focus_card(id: &str) {
        #[cfg(feature = "hydrate")]
        {
            let selector = format!("[data-booking-id=\"{id}\"]");
            leptos::prelude::request_animation_frame(move || {
                if let Some(el) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.query_selector(&selector).ok().flatten())
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    let _ = el.focus();
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = id;
    }

    /// Moves the focus to the next (or previous) item of the open menu.
    pub fn step_menu(forward: bool) {
        #[cfg(feature = "hydrate")]
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            let Ok(items) = doc.query_selector_all(".move-menu__item") else {
                return;
            };
            let n = items.length();
            if n == 0 {
                return;
            }
            let active = doc.active_element();
            let mut current = None;
            for i in 0..n {
                if items
                    .item(i)
                    .map(|x| x.is_same_node(active.as_ref().map(|a| a.as_ref())))
                    == Some(true)
                {
                    current = Some(i);
                }
            }
            let next = match (current, forward) {
                (Some(i), true) => (i + 1) % n,
                (Some(i), false) => (i + n - 1) % n,
                (None, _) => 0,
            };
            if let Some(el) = items
                .item(next)
                .and_then(|x| x.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = el.focus();
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = forward;
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
        <super::modal::Modal labelled_by="reopen-title" on_close=on_cancel>
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
        </super::modal::Modal>
    }
}

/// One card: a link to the booking, which is also what is dragged (links
/// are draggable), focused and moved from the keyboard (the column handles
/// those events). Its inside comes from the server with the page; while the
/// page hydrates the card keeps it.
#[component]
fn Card(card: BoardCard) -> impl IntoView {
    view! {
        <li>
            <a class="card" href=format!("/staff/bookings/{}", card.id) data-booking-id=card.id.clone()
                inner_html=card.html></a>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Money;

    fn card<'a>(start: &'a str, end: &'a str, client: &'a str) -> CardFacts<'a> {
        CardFacts {
            reference: "SC-7Q2K",
            space: "studio_a",
            space_name: "Studio A",
            start_time: start,
            end_time: end,
            people_count: 3,
            client_name: client,
            total_price: Money::from_minor(1_020_000),
            payment_status: PaymentStatus::PartiallyPaid,
        }
    }

    /// The card's markup, piece by piece: the local date and times as the
    /// server wrote them, everything that came from a person escaped.
    #[test]
    fn a_card_shows_its_local_time_and_escapes_what_people_typed() {
        let facts = card(
            "2026-11-22T10:00:00+03:00",
            "2026-11-22T13:00:00+03:00",
            "Анна <Смирнова> & \"Co\" 'ok'",
        );
        let html = card_html(Locale::Ru, &facts, "Зал <A>");
        assert_eq!(
            html,
            "<p><time>22.11 10:00\u{2060}–\u{2060}13:00</time>\
             <i class=\"pay-partially_paid\" role=\"img\" aria-label=\"Частично оплачено\"></i></p>\
             <b>Анна &lt;Смирнова&gt; &amp; &quot;Co&quot; &#39;ok&#39;</b>\
             <p>Зал &lt;A&gt; · 3 гостя · <b>10\u{202f}200\u{a0}₽</b></p><small>SC-7Q2K</small>"
        );
        let en = card_html(Locale::En, &facts, "Hall");
        assert!(en.contains("aria-label=\"Partly paid\""), "{en}");
        assert!(en.contains("Hall · 3 guests · <b>₽10,200</b>"), "{en}");
    }

    /// A time written another way than the server writes it is still
    /// read by the parser; one that is no time shows no time.
    #[test]
    fn a_time_in_another_form_is_parsed_and_garbage_shows_none() {
        let mut out = String::new();
        push_card_time(&mut out, "2026-11-22t10:00:00Z", "2026-11-22t11:15:00Z");
        assert_eq!(out, "22.11 10:00\u{2060}–\u{2060}11:15");
        let mut out = String::new();
        push_card_time(&mut out, "2026-11-22T10:00", "later");
        assert_eq!(out, "");
        let mut out = String::new();
        push_card_time(&mut out, "", "2026-11-22T11:15:00+03:00");
        assert_eq!(out, "");
    }
}
