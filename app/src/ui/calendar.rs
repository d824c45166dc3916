//! The calendar (`/staff/calendar`): a week or a day, one lane per space,
//! hours of the studio's clock. Click an empty hour to take a booking there;
//! drag a booking to another hour or space to reschedule it (checked by the
//! server, snapped back with a message when refused); blocked periods are
//! shaded and can be added or removed here. Follows `/ws` like the board.
// Form server functions take one argument per field.
#![allow(clippy::too_many_arguments)]

use super::owners::{held, suspend};
use super::{
    board::{column_title, error_text, local, one_card},
    live::{use_live, LiveStatus},
    locale::{self, t},
    staff::{go_to_login, staff_page_error},
    toast::toasts,
};
use crate::{
    domain::{
        board::{BookingSummary, LiveEvent},
        calendar::{Block, CalendarData},
    },
    error::AppError,
    i18n::Msg,
};
use chrono::Timelike;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Pixels per hour of the grid.
const HOUR_PX: i32 = 48;

#[server(prefix = "/api/fn", endpoint = "calendar")]
pub async fn load_calendar(
    date: Option<String>,
    view: Option<String>,
) -> Result<CalendarData, AppError> {
    use super::staff::session;
    let (state, _, me) = session::report(session::settled_staff().await)?;
    session::report(
        crate::server::calendar::calendar(&state, me.role, date.as_deref(), view.as_deref()).await,
    )
}

/// A booking taken from an empty hour of the calendar.
#[server(prefix = "/api/fn", endpoint = "calendar_book")]
pub async fn calendar_book(
    space: String,
    start: String,
    hours: i64,
    people_count: i64,
    client_name: String,
    client_phone: String,
    source: String,
    #[server(default)] client_consent: Option<String>,
    #[server(default)] client_email: String,
    #[server(default)] notes: String,
) -> Result<BookingSummary, AppError> {
    use super::staff::session;
    use crate::{
        domain::{board::StaffBookingRequest, booking::BookingSource},
        server::{staff_bookings, web_session},
    };
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    let end = end_after(&start, hours);
    let req = StaffBookingRequest {
        space,
        start_time: start,
        end_time: end,
        people_count,
        client_name,
        client_phone,
        client_email: Some(client_email.trim().to_owned()).filter(|e| !e.is_empty()),
        special_requirements: None,
        notes: Some(notes.trim().to_owned()).filter(|n| !n.is_empty()),
        internal_notes: None,
        equipment: Vec::new(),
        promo_code: None,
        source: BookingSource::parse(&source).unwrap_or(BookingSource::Phone),
        state: None,
        payment_status: None,
        client_consent: client_consent.is_some(),
    };
    let detail = session::report(
        staff_bookings::create(&state, &me, &web_session::origin(&parts), &req).await,
    )?;
    Ok(detail.summary)
}

/// The end of a booking of `hours` (1 to 24) from `start`; empty when the
/// start is not a time, which the service then refuses field by field.
#[cfg(feature = "ssr")]
fn end_after(start: &str, hours: i64) -> String {
    chrono::DateTime::parse_from_rfc3339(start)
        .map(|s| (s + chrono::Duration::hours(hours.clamp(1, 24))).to_rfc3339())
        .unwrap_or_default()
}

/// The total a booking made from the calendar would cost (the guests'
/// price rules); staff see it before they book.
#[server(prefix = "/api/fn", endpoint = "calendar_quote")]
pub async fn calendar_quote(
    space: String,
    start: String,
    hours: i64,
    people_count: i64,
) -> Result<crate::domain::Money, AppError> {
    use super::staff::session;
    use crate::domain::booking::QuoteRequest;
    let (state, _, _) = session::report(session::settled_staff().await)?;
    let end = end_after(&start, hours);
    let req = QuoteRequest {
        space,
        start_time: start,
        end_time: end,
        people_count,
        equipment: Vec::new(),
        promo_code: None,
    };
    session::report(crate::server::bookings::quote_booking(&state, &req).await).map(|p| p.total)
}

/// A booking dragged to another hour or space.
#[server(prefix = "/api/fn", endpoint = "calendar_move")]
pub async fn calendar_move(
    id: String,
    version: i64,
    space: String,
    start: String,
    end: String,
) -> Result<BookingSummary, AppError> {
    use super::staff::session;
    use crate::{
        domain::board::BookingUpdate,
        server::{staff_bookings, web_session},
    };
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    let changes = BookingUpdate {
        version,
        space: Some(space),
        start_time: Some(start),
        end_time: Some(end),
        ..Default::default()
    };
    let detail = session::report(
        staff_bookings::update(&state, &me, &web_session::origin(&parts), &id, &changes).await,
    )?;
    Ok(detail.summary)
}

/// Blocks a period; times are the studio's wall clock (`datetime-local`).
#[server(prefix = "/api/fn", endpoint = "calendar_block")]
pub async fn calendar_block(
    id: String,
    space: String,
    start: String,
    end: String,
    reason: String,
) -> Result<Block, AppError> {
    use super::staff::session;
    use crate::{
        domain::calendar::BlockRequest,
        server::{blocks, web_session},
    };
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    let zone = session::zone(&state).await;
    let instant = |raw: &str| {
        chrono::NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M")
            .ok()
            .and_then(|t| t.and_local_timezone(zone).earliest())
            .map(|t| t.to_rfc3339())
            .unwrap_or_else(|| raw.to_owned())
    };
    let req = BlockRequest {
        space: Some(space).filter(|s| !s.is_empty()),
        start_time: instant(&start),
        end_time: instant(&end),
        reason: Some(reason),
    };
    let origin = web_session::origin(&parts);
    if id.is_empty() {
        session::report(blocks::create(&state, &me, &origin, &req).await)
    } else {
        session::report(blocks::update(&state, &me, &origin, &id, &req).await)
    }
}

#[server(prefix = "/api/fn", endpoint = "calendar_unblock")]
pub async fn calendar_unblock(id: String) -> Result<(), AppError> {
    use super::staff::session;
    use crate::server::{blocks, web_session};
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    session::report(blocks::delete(&state, &me, &web_session::origin(&parts), &id).await)
}

/// Minutes from local midnight of an RFC 3339 studio time, and its date.
fn minute_of(rfc3339: &str) -> Option<(String, i32)> {
    local(rfc3339).map(|t| {
        (
            t.date().to_string(),
            i32::try_from(t.hour() * 60 + t.minute()).unwrap_or(0),
        )
    })
}

/// The booking's place in a lane: (date, top px, height px).
fn place(start: &str, end: &str, grid_start: i32) -> Option<(String, i32, i32)> {
    let (date, s) = minute_of(start)?;
    let (end_date, e) = minute_of(end)?;
    let e = if end_date > date { 1440 } else { e };
    Some((
        date,
        (s - grid_start) * HOUR_PX / 60,
        ((e - s) * HOUR_PX / 60).max(12),
    ))
}

/// `/staff/calendar`
#[component]
pub fn CalendarPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || query.with(|q| (q.get("date"), q.get("view")));
    let data = Resource::new(params, |(date, view)| held(load_calendar(date, view)));
    let toasts = toasts();
    // The new-booking dialog lives outside the calendar's suspense: inside
    // it, whatever the dialog waits for (its code, the total, the client
    // lookup) would count as the calendar's loading, and a reload of the
    // calendar would build the dialog anew under the field being typed in.
    let new_booking = RwSignal::new(None::<NewBooking>);
    let made = RwSignal::new(None::<BookingSummary>);
    view! {
        <Title text=t(Msg::StaffCalendar) />
        // A transition: another week loading, or the block form's code
        // arriving, keeps the calendar on screen instead of flashing
        // "Loading".
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">{t(Msg::Loading)}</p> }>
            {move || suspend(async move {
                match data.await {
                    Ok(d) => view! { <Calendar data=d new_booking made /> }.into_any(),
                    Err(e) => staff_page_error(e),
                }
            })}
        </Transition>
        {move || new_booking.get().map(|nb| {
            let on_close = Callback::new(move |created: Option<BookingSummary>| {
                if let Some(card) = created {
                    toasts.success(format!("{}: {}", t(Msg::NewBooking), card.client_name));
                    made.set(Some(card));
                }
                new_booking.set(None);
            });
            suspend(async move { new_booking_dialog(nb, on_close).await })
        })}
    }
}

#[derive(Clone, PartialEq, Eq)]
struct NewBooking {
    space: String,
    space_name: String,
    start: String,
}

#[component]
fn Calendar(
    data: CalendarData,
    /// Where an empty hour's click asks for the new-booking dialog.
    new_booking: RwSignal<Option<NewBooking>>,
    /// The booking the dialog made last, put on the grid here.
    made: RwSignal<Option<BookingSummary>>,
) -> impl IntoView {
    let locale = locale::current();
    let toasts = toasts();
    let grid_start = data.grid_start;
    let grid_end = data.grid_end;
    let height = (grid_end - grid_start) * HOUR_PX / 60;
    let bookings = RwSignal::new(data.bookings.clone());
    let blocks = RwSignal::new(data.blocks.clone());
    let dragging = RwSignal::new(None::<String>);
    let drag_class = RwSignal::new(false);
    let block_form = RwSignal::new(false);
    let editing = RwSignal::new(None::<Block>);
    let removing = RwSignal::new(None::<String>);
    let range = StoredValue::new((
        data.days
            .first()
            .map(|d| d.date.clone())
            .unwrap_or_default(),
        data.days.last().map(|d| d.date.clone()).unwrap_or_default(),
    ));

    let upsert = move |card: BookingSummary| {
        let date = card.start_time.get(..10).unwrap_or_default().to_owned();
        let inside = range.with_value(|(f, t)| date >= *f && date <= *t);
        let shown = card.state.holds_slot() && inside;
        bookings.update(|bs| {
            let pos = bs.iter().position(|b| b.id == card.id);
            match (pos, shown) {
                (Some(i), true) if bs[i].version < card.version => bs[i] = card,
                (Some(i), false) => {
                    bs.remove(i);
                }
                (None, true) => bs.push(card),
                _ => {}
            }
        });
    };
    Effect::new(move |_| {
        made.track();
        if let Some(card) = made.try_update_untracked(Option::take).flatten() {
            upsert(card);
        }
    });
    // Blocked time changed elsewhere, or events were missed: the shown
    // range is asked for again and its bookings and blocks replaced in
    // place, so a form or dialog open on this page stays as it is.
    let shown = StoredValue::new((data.date.clone(), data.view.clone()));
    let refresh = move || {
        let (date, view) = shown.get_value();
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = load_calendar(Some(date), Some(view)).await {
                blocks.set(fresh.blocks);
                if dragging.get_untracked().is_none() {
                    bookings.set(fresh.bookings);
                }
            }
        });
    };
    let live = use_live(Some(data.last_event_id), move |e: LiveEvent| {
        if e.kind == "resync" || e.aggregate == "block" {
            refresh();
            return;
        }
        if dragging.get_untracked().as_deref() == Some(e.booking_id.as_str()) {
            return;
        }
        let known = bookings
            .with_untracked(|bs| bs.iter().find(|b| b.id == e.booking_id).map(|b| b.version));
        if known.is_some_and(|v| e.version.is_some_and(|ev| ev <= v)) {
            return;
        }
        let id = e.booking_id.clone();
        leptos::task::spawn_local(async move {
            match one_card(id.clone()).await {
                Ok(card) => upsert(card),
                Err(AppError::NotFound { .. }) => bookings.update(|bs| bs.retain(|b| b.id != id)),
                Err(_) => {}
            }
        });
    });

    let spaces = StoredValue::new(data.spaces.clone());
    fn name_of(spaces: &[crate::domain::board::SpaceOption], slug: &str) -> String {
        spaces
            .iter()
            .find(|s| s.slug == slug)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    }
    let data_space_name = move |slug: &str| spaces.with_value(|s| name_of(s, slug));
    // Drops a booking on the hour `start` of `space`, keeping its length.
    let drop_on = move |id: String, space: String, start: String| {
        let Some(b) = bookings.with_untracked(|bs| bs.iter().find(|b| b.id == id).cloned()) else {
            return;
        };
        let (Ok(old_start), Ok(old_end), Ok(new_start)) = (
            chrono::DateTime::parse_from_rfc3339(&b.start_time),
            chrono::DateTime::parse_from_rfc3339(&b.end_time),
            chrono::DateTime::parse_from_rfc3339(&start),
        ) else {
            return;
        };
        if new_start == old_start && space == b.space {
            return;
        }
        let new_end = (new_start + (old_end - old_start)).to_rfc3339();
        let space_name = data_space_name(&space);
        let before = b.clone();
        bookings.update(|bs| {
            if let Some(x) = bs.iter_mut().find(|x| x.id == id) {
                x.start_time = start.clone();
                x.end_time = new_end.clone();
                x.space = space.clone();
                x.space_name = space_name.clone();
            }
        });
        leptos::task::spawn_local(async move {
            match calendar_move(id.clone(), before.version, space, start, new_end).await {
                Ok(card) => {
                    toasts.success(format!("{}: {}", t(Msg::Saved), card.client_name));
                    bookings.update(|bs| {
                        if let Some(x) = bs.iter_mut().find(|x| x.id == card.id) {
                            *x = card;
                        }
                    });
                }
                Err(e) => {
                    bookings.update(|bs| {
                        if let Some(x) = bs.iter_mut().find(|x| x.id == id) {
                            if x.version == before.version {
                                *x = before.clone();
                            }
                        }
                    });
                    if matches!(e, AppError::Unauthorized { .. }) {
                        go_to_login();
                    } else {
                        toasts.error(error_text(locale, &e));
                    }
                }
            }
        });
    };

    let is_week = data.view == "week";
    let form_spaces = data.spaces.clone();
    let href = |date: &str, view: &str| format!("/staff/calendar?date={date}&view={view}");
    let view_name = data.view.clone();
    let (today_date, now_minute) = minute_of(&format!("{}:00+00:00", data.now)).unwrap_or_default();
    let today_ref = &today_date;
    let lanes = data.days.len() * data.spaces.len().max(1);
    let hours: Vec<i32> = (grid_start / 60..(grid_end + 59) / 60).collect();

    view! {
        <header class="page-head">
            <h1>{t(Msg::StaffCalendar)}</h1>
            <p class="live-status" class:live-status--on=move || live.get() == LiveStatus::Live>
                <span class="live-status__dot" aria-hidden="true"></span>
                {move || if live.get() == LiveStatus::Live { t(Msg::LiveOn) } else { t(Msg::LiveOff) }}
            </p>
        </header>
        <nav class="cal-nav" aria-label=t(Msg::StaffCalendar)>
            <a class="button button--quiet" rel="prev" href=href(&data.prev, &view_name)>"←"</a>
            <a class="button button--quiet" href=href(&data.today, &view_name)>{t(Msg::Today)}</a>
            <a class="button button--quiet" rel="next" href=href(&data.next, &view_name)>"→"</a>
            <form method="get" action="/staff/calendar" class="cal-nav__pick">
                <label class="visually-hidden" for="cal-date">{t(Msg::ChooseDate)}</label>
                <input id="cal-date" type="date" name="date" value=data.date.clone() />
                <input type="hidden" name="view" value=view_name.clone() />
                <button type="submit" class="button button--quiet">{t(Msg::ShowDay)}</button>
            </form>
            <span class="cal-nav__views">
                <a class="button" class:button--quiet=!is_week aria-current=is_week.then_some("page") href=href(&data.date, "week")>{t(Msg::Week)}</a>
                <a class="button" class:button--quiet=is_week aria-current=(!is_week).then_some("page") href=href(&data.date, "day")>{t(Msg::Day)}</a>
            </span>
            <button type="button" class="button button--quiet" on:click=move |_| {
                editing.set(None);
                block_form.update(|v| *v = !*v);
            }>{t(Msg::BlockTime)}</button>
            <a class="button button--quiet" href=format!("/staff/day-sheet?date={}", data.date)>{t(Msg::DaySheet)}</a>
        </nav>
        <p class="chart-legend cal-legend" aria-label=t(Msg::Legend)>
            <span class="legend legend--pending">{t(Msg::ColumnNew)}</span>
            <span class="legend legend--confirmed">{t(Msg::StateConfirmed)}</span>
            <span class="legend legend--in_progress">{t(Msg::StateInProgress)}</span>
            <span class="legend legend--done">{t(Msg::StateCompleted)}</span>
            <span class="legend legend--block">{t(Msg::LegendBlocked)}</span>
        </p>
        {move || block_form.get().then(|| {
            let on_done = Callback::new(move |b: Block| {
                blocks.update(|bs| {
                    bs.retain(|x| x.id != b.id);
                    bs.push(b);
                });
                editing.set(None);
                block_form.set(false);
            });
            let (spaces, block) = (form_spaces.clone(), editing.get());
            suspend(async move { block_form_dialog(spaces, block, on_done).await })
        })}
        <div class="cal" class:cal--dragging=move || drag_class.get() style=format!("--lanes: {lanes}")>
            <div class="cal__head">
                <div class="cal__corner"></div>
                {data.days.iter().map(|d| {
                    let date = chrono::NaiveDate::parse_from_str(&d.date, "%Y-%m-%d").ok();
                    // A week's seven headers must fit a laptop: "сб, 5 дек.".
                    let title = date.map(|x| if is_week { locale.short_date(x) } else { locale.date(x) }).unwrap_or_default();
                    let closed = d.hours.is_none();
                    view! {
                        <div class="cal__day" class:cal__day--today=d.date == data.today style=format!("--span: {}", data.spaces.len().max(1))>
                            <a href=href(&d.date, "day")>{title}</a>
                            {closed.then(|| view! { <span class="muted small">" · " {t(Msg::Closed)}</span> })}
                            <div class="cal__spaces">
                                {data.spaces.iter().map(|s| view! { <span>{s.name.clone()}</span> }).collect_view()}
                            </div>
                        </div>
                    }
                }).collect_view()}
            </div>
            <div class="cal__body" style=format!("height: {height}px")>
                <div class="cal__times">
                    {hours.iter().map(|h| view! {
                        <span style=format!("top: {}px", (h * 60 - grid_start) * HOUR_PX / 60)>{format!("{h:02}:00")}</span>
                    }).collect_view()}
                </div>
                {data.days.iter().flat_map(|d| {
                    let day = d.clone();
                    data.spaces.iter().map(move |s| {
                        let (date, slug) = (day.date.clone(), s.slug.clone());
                        let space_name = s.name.clone();
                        let is_today = date == *today_ref;
                        let slots = day.slots.clone();
                        let (lane_date, lane_slug) = (date.clone(), slug.clone());
                        let (block_date, block_slug) = (date.clone(), slug.clone());
                        view! {
                            <div class="cal-lane" data-date=date.clone() data-space=slug.clone()>
                                {slots.into_iter().map(|start| {
                                    let top = minute_of(&start).map(|(_, m)| (m - grid_start) * HOUR_PX / 60).unwrap_or(0);
                                    let (click_start, drop_start) = (start.clone(), start.clone());
                                    let (click_space, drop_space) = (slug.clone(), slug.clone());
                                    let name = space_name.clone();
                                    view! {
                                        <button type="button" class="cal-slot" data-slot-start=start.clone() data-space=slug.clone()
                                            style=format!("top: {top}px; height: {HOUR_PX}px")
                                            aria-label=format!("{} {}", name, local(&start).map(|t| t.format("%H:%M").to_string()).unwrap_or_default())
                                            on:click=move |_| new_booking.set(Some(NewBooking { space: click_space.clone(), space_name: name.clone(), start: click_start.clone() }))
                                            on:dragover=move |ev| ev.prevent_default()
                                            on:drop=move |ev| {
                                                ev.prevent_default();
                                                let id = ev.data_transfer().and_then(|d| d.get_data("text/plain").ok()).filter(|s| !s.is_empty()).or_else(|| dragging.get_untracked());
                                                if let Some(id) = id {
                                                    drop_on(id, drop_space.clone(), drop_start.clone());
                                                }
                                            }></button>
                                    }
                                }).collect_view()}
                                {move || blocks.get().into_iter().filter(|b| {
                                    b.space.as_deref().is_none_or(|s| s == block_slug)
                                        && b.start_time.get(..10).unwrap_or_default() <= block_date.as_str()
                                        && b.end_time.get(..10).unwrap_or_default() >= block_date.as_str()
                                }).map(|b| {
                                    let day_start_min = if b.start_time.get(..10) == Some(block_date.as_str()) { minute_of(&b.start_time).map_or(0, |x| x.1) } else { 0 };
                                    let day_end_min = if b.end_time.get(..10) == Some(block_date.as_str()) { minute_of(&b.end_time).map_or(1440, |x| x.1) } else { 1440 };
                                    let top = (day_start_min.max(grid_start) - grid_start) * HOUR_PX / 60;
                                    let h = ((day_end_min.min(grid_end) - day_start_min.max(grid_start)) * HOUR_PX / 60).max(8);
                                    let id = b.id.clone();
                                    view! {
                                        <div class="cal-block" data-block-id=b.id.clone() style=format!("top: {top}px; height: {h}px") title=b.reason.clone()>
                                            <button type="button" class="cal-block__edit" title=t(Msg::EditBlock) on:click={
                                                let b = b.clone();
                                                move |_| {
                                                    editing.set(Some(b.clone()));
                                                    block_form.set(true);
                                                }
                                            }>{b.reason.clone()}</button>
                                            <button type="button" class="cal-block__remove" aria-label=t(Msg::RemoveBlock) on:click=move |_| removing.set(Some(id.clone()))>"×"</button>
                                        </div>
                                    }
                                }).collect_view()}
                                {move || bookings.get().into_iter().filter(|b| b.space == lane_slug && b.start_time.get(..10) == Some(lane_date.as_str())).map(|b| {
                                    let (_, top, h) = place(&b.start_time, &b.end_time, grid_start).unwrap_or_default();
                                    let id = b.id.clone();
                                    let drag_id = id.clone();
                                    let label_time = format!("{}–{}", local(&b.start_time).map(|t| t.format("%H:%M").to_string()).unwrap_or_default(), local(&b.end_time).map(|t| t.format("%H:%M").to_string()).unwrap_or_default());
                                    view! {
                                        <a class=format!("cal-booking state--{}", b.state.as_str()) data-booking-id=id.clone() data-state=b.state.as_str()
                                            href=format!("/staff/bookings/{id}") draggable="true"
                                            style=format!("top: {top}px; height: {h}px")
                                            title=format!("{} · {} · {}", b.client_name, label_time, column_title(b.state))
                                            on:dragstart=move |ev| {
                                                if let Some(dt) = ev.data_transfer() {
                                                    let _ = dt.set_data("text/plain", &drag_id);
                                                    dt.set_effect_allowed("move");
                                                }
                                                dragging.set(Some(drag_id.clone()));
                                                // Let the drag begin before the bookings stop catching the pointer.
                                                set_timeout(move || drag_class.set(true), std::time::Duration::from_millis(0));
                                            }
                                            on:dragend=move |_| {
                                                dragging.set(None);
                                                drag_class.set(false);
                                            }>
                                            <strong>{label_time.clone()}</strong> " " {b.client_name.clone()}
                                            // The day view has room for what the front desk asks first.
                                            {(!is_week).then(|| view! {
                                                <span class="cal-booking__more">
                                                    {column_title(b.state)} " · " {locale.count(u64::try_from(b.people_count).unwrap_or(0), crate::i18n::Noun::Person)}
                                                    " · " {locale.money(b.total_price)} " · " {crate::domain::studio::phone_display(&b.client_phone)}
                                                </span>
                                            })}
                                        </a>
                                    }
                                }).collect_view()}
                                {(is_today && now_minute >= grid_start && now_minute <= grid_end).then(|| view! {
                                    <div class="cal-now" style=format!("top: {}px", (now_minute - grid_start) * HOUR_PX / 60) aria-hidden="true"></div>
                                })}
                            </div>
                        }
                    }).collect::<Vec<_>>()
                }).collect_view()}
            </div>
        </div>
        {move || removing.get().map(|id| view! {
            <super::modal::Modal role="alertdialog" labelled_by="unblock-title"
                on_close=Callback::new(move |()| removing.set(None))>
                    <h2 id="unblock-title">{t(Msg::RemoveBlock)}</h2>
                    <div class="dialog__actions">
                        <button type="button" class="button button--quiet" on:click=move |_| removing.set(None)>{t(Msg::NotNow)}</button>
                        <button type="button" class="button button--danger" on:click=move |_| {
                            let id = id.clone();
                            removing.set(None);
                            leptos::task::spawn_local(async move {
                                match calendar_unblock(id.clone()).await {
                                    Ok(()) => blocks.update(|bs| bs.retain(|b| b.id != id)),
                                    Err(e) => toasts.error(error_text(locale, &e)),
                                }
                            });
                        }>{t(Msg::RemoveBlock)}</button>
                    </div>
            </super::modal::Modal>
        })}
    }
}

// The dialogs come with their own WASM chunks (with `--split`): most
// visits of the calendar open neither.

#[leptos::lazy]
fn new_booking_dialog(target: NewBooking, on_close: Callback<Option<BookingSummary>>) -> AnyView {
    view! { <NewBookingDialog target on_close /> }.into_any()
}

#[leptos::lazy]
fn block_form_dialog(
    spaces: Vec<crate::domain::board::SpaceOption>,
    block: Option<Block>,
    on_done: Callback<Block>,
) -> AnyView {
    view! { <BlockForm spaces block on_done /> }.into_any()
}

#[component]
fn NewBookingDialog(
    target: NewBooking,
    on_close: Callback<Option<BookingSummary>>,
) -> impl IntoView {
    let locale = locale::current();
    let toasts = toasts();
    let book = ServerAction::<CalendarBook>::new();
    Effect::new(move |_| match book.value().get() {
        Some(Ok(card)) => on_close.run(Some(card)),
        Some(Err(e)) if e.fields().is_none() => toasts.error(error_text(locale, &e)),
        Some(Err(_)) => toasts.withdraw_successes(),
        None => {}
    });
    let field_error = move |name: &'static str| {
        move || {
            book.value().get().and_then(|r| r.err()).and_then(|e| {
                e.fields().and_then(|f| f.get(name)).map(|fe| {
                    view! { <p class="field__error" role="alert">{super::book::field_message(locale, &fe.code, &fe.message)}</p> }
                })
            })
        }
    };
    let when = local(&target.start)
        .map(|t| format!("{} {}", locale.date(t.date()), t.format("%H:%M")))
        .unwrap_or_default();
    // The total follows hours and people, asked of the server.
    let (hours, people) = (RwSignal::new(1_i64), RwSignal::new(2_i64));
    // A signal filled by requests; an answer for figures the form no longer
    // shows is dropped.
    let price = RwSignal::new(None::<Result<crate::domain::Money, AppError>>);
    {
        let (space, start) = (target.space.clone(), target.start.clone());
        Effect::new(move |_| {
            let (h, p) = (hours.get(), people.get());
            let (space, start) = (space.clone(), start.clone());
            leptos::task::spawn_local(async move {
                let total = calendar_quote(space, start, h, p).await;
                // Only the answer for what the form says now.
                if hours.get_untracked() == h && people.get_untracked() == p {
                    price.set(Some(total));
                }
            });
        });
    }
    let number = |ev: leptos::ev::Event| {
        event_target_value(&ev)
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
    };
    // Clients on file, looked up by what is typed into the name or the
    // phone (a surname in any case, a phone in any spelling): choosing one
    // fills both fields.
    // The inputs stay uncontrolled (the form posts them); a choice is
    // written into them through their nodes.
    let name = NodeRef::<leptos::html::Input>::new();
    let phone = NodeRef::<leptos::html::Input>::new();
    let lookup = RwSignal::new(String::new());
    let known = RwSignal::new(Vec::<crate::domain::calendar::ClientSummary>::new());
    let look_up = move |q: String| {
        lookup.set(q.clone());
        leptos::task::spawn_local(async move {
            let found = if q.trim().chars().count() < 2 {
                Vec::new()
            } else {
                super::clients::load_clients(Some(q.clone()), None)
                    .await
                    .map(|list| list.items.into_iter().take(5).collect())
                    .unwrap_or_default()
            };
            if lookup.get_untracked() == q {
                known.set(found);
            }
        });
    };
    let pick = move |c: crate::domain::calendar::ClientSummary| {
        if let Some(input) = name.get_untracked() {
            input.set_value(&c.name);
        }
        if let Some(input) = phone.get_untracked() {
            input.set_value(&crate::domain::studio::phone_display(&c.phone));
        }
        lookup.set(String::new());
        known.set(Vec::new());
    };
    view! {
        <super::modal::Modal labelled_by="new-booking-title" on_close=Callback::new(move |()| on_close.run(None))>
                <h2 id="new-booking-title">{t(Msg::NewBooking)}</h2>
                <p class="muted">{target.space_name.clone()} " · " {when}</p>
                <ActionForm action=book attr:class="stack">
                    <input type="hidden" name="space" value=target.space.clone() />
                    <input type="hidden" name="start" value=target.start.clone() />
                    <div class="field">
                        <label for="nb-name">{t(Msg::LabelClientName)}</label>
                        <input id="nb-name" name="client_name" required autofocus autocomplete="off" node_ref=name
                            on:input=move |ev| look_up(event_target_value(&ev)) />
                        {field_error("client_name")}
                    </div>
                    <div class="field">
                        <label for="nb-phone">{t(Msg::Phone)}</label>
                        <input id="nb-phone" name="client_phone" type="tel" required autocomplete="off" node_ref=phone
                            on:input=move |ev| look_up(event_target_value(&ev)) />
                        {field_error("client_phone")}
                    </div>
                    {move || {
                        let found = known.get();
                        (!found.is_empty()).then(|| view! {
                            <div class="client-suggest" data-client-suggest>
                                <p class="muted small" id="nb-known">{t(Msg::KnownClients)}</p>
                                <ul aria-labelledby="nb-known">
                                    {found.into_iter().map(|c| {
                                        let label = format!(
                                            "{} · {} · {}{}",
                                            c.name,
                                            crate::domain::studio::phone_display(&c.phone),
                                            locale.count(u64::try_from(c.visits).unwrap_or(0), crate::i18n::Noun::Visit),
                                            if c.no_shows > 0 {
                                                format!(" · {}", locale.count(u64::try_from(c.no_shows).unwrap_or(0), crate::i18n::Noun::NoShow))
                                            } else {
                                                String::new()
                                            },
                                        );
                                        view! {
                                            <li><button type="button" class="button button--quiet button--small"
                                                on:click=move |_| pick(c.clone())>{label}</button></li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </div>
                        })
                    }}
                    <div class="grid-2">
                        <div class="field">
                            <label for="nb-hours">{t(Msg::DurationHours)}</label>
                            <input id="nb-hours" name="hours" type="number" min="1" max="12" value="1"
                                on:input=move |ev| if let Some(n) = number(ev) { hours.set(n) } />
                            {field_error("end_time")}
                        </div>
                        <div class="field">
                            <label for="nb-people">{t(Msg::People)}</label>
                            <input id="nb-people" name="people_count" type="number" min="1" value="2"
                                on:input=move |ev| if let Some(n) = number(ev) { people.set(n) } />
                            {field_error("people_count")}
                        </div>
                    </div>
                    <div class="field">
                        <label for="nb-email">{t(Msg::LabelEmail)}</label>
                        <input id="nb-email" name="client_email" type="email" autocomplete="off" />
                        {field_error("client_email")}
                    </div>
                    <div class="field">
                        <label for="nb-notes">{t(Msg::LabelNotes)}</label>
                        <textarea id="nb-notes" name="notes" rows="2" maxlength="2000"></textarea>
                    </div>
                    <p class="lead-line" aria-live="polite" data-quote>
                        {t(Msg::PriceTotal)} ": "
                        <strong>{move || match price.get() {
                            Some(Ok(total)) => locale.money(total),
                            Some(Err(_)) => "—".to_owned(),
                            None => "…".to_owned(),
                        }}</strong>
                    </p>
                    <div class="field">
                        <label for="nb-source">{t(Msg::ColSource)}</label>
                        <select id="nb-source" name="source">
                            <option value="phone">{t(Msg::SourcePhone)}</option>
                            <option value="walk_in">{t(Msg::SourceWalkIn)}</option>
                            <option value="staff">{t(Msg::SourceStaff)}</option>
                        </select>
                    </div>
                    <div class="field field--check">
                        <input id="nb-consent" name="client_consent" type="checkbox" value="on" required />
                        <label for="nb-consent">{if locale == crate::i18n::Locale::En {
                            "The client agreed to the processing of their personal data (consent text read out; see /privacy)"
                        } else {
                            "Клиент согласился на обработку персональных данных (текст согласия зачитан; см. /privacy)"
                        }}</label>
                        {field_error("client_consent")}
                    </div>
                    {field_error("start_time")}
                    <div class="dialog__actions">
                        <button type="button" class="button button--quiet" on:click=move |_| on_close.run(None)>{t(Msg::NotNow)}</button>
                        <button type="submit" class="button button--primary" disabled=move || book.pending().get()>{t(Msg::SubmitBooking)}</button>
                    </div>
                </ActionForm>
        </super::modal::Modal>
    }
}

#[component]
fn BlockForm(
    spaces: Vec<crate::domain::board::SpaceOption>,
    block: Option<Block>,
    on_done: Callback<Block>,
) -> impl IntoView {
    let wall = |rfc: &str| {
        local(rfc)
            .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
            .unwrap_or_default()
    };
    let id = block.as_ref().map(|b| b.id.clone()).unwrap_or_default();
    let space_now = block
        .as_ref()
        .and_then(|b| b.space.clone())
        .unwrap_or_default();
    let reason = block.as_ref().map(|b| b.reason.clone()).unwrap_or_default();
    let start = block
        .as_ref()
        .map(|b| wall(&b.start_time))
        .unwrap_or_default();
    let end = block
        .as_ref()
        .map(|b| wall(&b.end_time))
        .unwrap_or_default();
    let locale = locale::current();
    let toasts = toasts();
    let block = ServerAction::<CalendarBlock>::new();
    Effect::new(move |_| match block.value().get() {
        Some(Ok(b)) => {
            toasts.success(t(Msg::Saved));
            on_done.run(b);
        }
        Some(Err(e)) => toasts.error(error_text(locale, &e)),
        None => {}
    });
    view! {
        <section class="panel" aria-labelledby="block-title">
            <h2 id="block-title">{t(Msg::BlockTime)}</h2>
            <ActionForm action=block attr:class="grid-2 block-form">
                <input type="hidden" name="id" value=id />
                <div class="field">
                    <label for="bl-space">{t(Msg::Space)}</label>
                    <select id="bl-space" name="space">
                        <option value="">{t(Msg::WholeStudio)}</option>
                        {spaces.into_iter().map(|s| view! { <option value=s.slug.clone() selected=s.slug == space_now>{s.name}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="bl-reason">{t(Msg::BlockReason)}</label>
                    <input id="bl-reason" name="reason" value=reason required />
                </div>
                <div class="field">
                    <label for="bl-start">{t(Msg::LabelStart)}</label>
                    <input id="bl-start" name="start" type="datetime-local" value=start required />
                </div>
                <div class="field">
                    <label for="bl-end">{t(Msg::LabelEnd)}</label>
                    <input id="bl-end" name="end" type="datetime-local" value=end required />
                </div>
                <button type="submit" class="button" disabled=move || block.pending().get()>{t(Msg::BlockTime)}</button>
            </ActionForm>
        </section>
    }
}
