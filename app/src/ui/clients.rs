//! The client base (`/staff/clients`, one client at `/staff/clients/:phone`)
//! and the printable day sheet for the front desk (`/staff/day-sheet`).

use super::owners::{held, suspend};
use super::{
    board::{column_title, error_text, local, payment_label, when},
    locale::{self, t},
    staff::staff_page_error,
    toast::toasts,
};
use crate::domain::studio::phone_display;
use crate::{
    domain::{
        board::{BookingDetail, SpaceOption},
        calendar::{ClientDetail, ClientList},
    },
    error::AppError,
    i18n::Msg,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[server(prefix = "/api/fn", endpoint = "clients")]
pub async fn load_clients(q: Option<String>, page: Option<i64>) -> Result<ClientList, AppError> {
    use super::staff::session;
    use crate::{domain::calendar::ClientQuery, server::clients};
    let (state, _, _) = session::report(session::settled_staff().await)?;
    session::report(clients::list(&state, &ClientQuery { q, page }).await)
}

#[server(prefix = "/api/fn", endpoint = "client")]
pub async fn load_client(phone: String) -> Result<ClientDetail, AppError> {
    use super::staff::session;
    let (state, _, _) = session::report(session::settled_staff().await)?;
    session::report(crate::server::clients::detail(&state, &phone).await)
}

#[server(prefix = "/api/fn", endpoint = "client_notes")]
pub async fn save_client_notes(phone: String, notes: String) -> Result<(), AppError> {
    use super::staff::session;
    use crate::server::{clients, web_session};
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    session::report(
        clients::set_notes(&state, &me, &web_session::origin(&parts), &phone, &notes).await,
    )
    .map(|_| ())
}

/// Erases (anonymises) a client: owners and admins, with a reason.
#[server(prefix = "/api/fn", endpoint = "client_erase")]
pub async fn erase_client(phone: String, reason: String) -> Result<u64, AppError> {
    use super::staff::session;
    use crate::server::{privacy, web_session};
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    session::report(
        privacy::erase(
            &state,
            &me,
            &web_session::origin(&parts),
            &phone,
            &privacy::SubjectRequest {
                reason: Some(reason),
            },
        )
        .await,
    )
    .map(|e| e.bookings_anonymised)
}

/// Guests' data requests (owners and admins).
#[server(prefix = "/api/fn", endpoint = "data_requests")]
pub async fn load_requests() -> Result<Vec<crate::domain::calendar::DataRequest>, AppError> {
    use super::staff::session;
    let (state, _, me) = session::report(session::settled_staff().await)?;
    session::report(crate::server::privacy::requests(&state, &me).await)
}

/// Closes a guest's request with what was done.
#[server(prefix = "/api/fn", endpoint = "data_request_close")]
pub async fn close_request(id: String, resolution: String) -> Result<(), AppError> {
    use super::staff::session;
    use crate::server::{privacy, web_session};
    let (state, parts, me) = session::report(session::settled_staff().await)?;
    session::report(
        privacy::close_request(
            &state,
            &me,
            &web_session::origin(&parts),
            &id,
            &privacy::CloseRequest { resolution },
        )
        .await,
    )
    .map(|_| ())
}

/// The front desk's sheet of one day: every space with its bookings in
/// full (contact, people, requirements, equipment).
#[server(prefix = "/api/fn", endpoint = "day_sheet")]
pub async fn load_day_sheet(
    date: Option<String>,
) -> Result<(String, Vec<(SpaceOption, Vec<BookingDetail>)>), AppError> {
    use super::staff::session;
    use crate::{domain::board::BookingQuery, server::staff_bookings};
    let (state, _, _) = session::report(session::settled_staff().await)?;
    let zone = session::zone(&state).await;
    let date = date.filter(|d| !d.trim().is_empty()).unwrap_or_else(|| {
        chrono::Utc::now()
            .with_timezone(&zone)
            .date_naive()
            .to_string()
    });
    let list = session::report(
        staff_bookings::list(
            &state,
            &BookingQuery {
                date: Some(date.clone()),
                state: Some("pending,confirmed,in_progress,completed".into()),
                per_page: Some(200),
                ..Default::default()
            },
        )
        .await,
    )?;
    let mut sheet = Vec::new();
    for space in session::report(state.active_spaces().await)? {
        let mut rows = Vec::new();
        for b in list.items.iter().filter(|b| b.space == space.slug) {
            rows.push(session::report(
                staff_bookings::detail(&state, &b.id).await,
            )?);
        }
        sheet.push((space, rows));
    }
    Ok((date, sheet))
}

/// `/staff/clients`
#[component]
pub fn ClientsPage() -> impl IntoView {
    let locale = locale::current();
    let query = use_query_map();
    let data = Resource::new(
        move || {
            query.with(|q| {
                (
                    q.get("q"),
                    q.get("page").and_then(|p| p.parse::<i64>().ok()),
                )
            })
        },
        |(q, page)| held(load_clients(q, page)),
    );
    view! {
        <Title text=t(Msg::StaffClients) />
        <h1>{t(Msg::StaffClients)}</h1>
        <form class="filters" method="get" action="/staff/clients">
            <div class="field field--grow">
                <label for="c-q">{t(Msg::SearchLabel)}</label>
                <input id="c-q" type="search" name="q" value=move || query.with(|q| q.get("q")).unwrap_or_default() />
            </div>
            <div class="filters__actions"><button type="submit" class="button">{t(Msg::ApplyFilters)}</button></div>
        </form>
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">{t(Msg::Loading)}</p> }>
            {move || suspend(async move {
                match data.await {
                    Ok(list) => {
                        let page = list.page;
                        let pages = ((list.total + list.per_page - 1) / list.per_page).max(1);
                        let q = query.with_untracked(|q| q.get("q")).unwrap_or_default();
                        view! {
                            <p class="muted small">{t(Msg::ClientsFound)} " " {list.total}</p>
                            <div class="table-wrap">
                                <table class="table" data-clients>
                                    <thead><tr>
                                        <th scope="col">{t(Msg::ColClient)}</th>
                                        <th scope="col">{t(Msg::Phone)}</th>
                                        <th scope="col" class="num">{t(Msg::ColBookings)}</th>
                                        <th scope="col" class="num">{t(Msg::ColVisits)}</th>
                                        <th scope="col" class="num">{t(Msg::ColNoShows)}</th>
                                        <th scope="col" class="num">{t(Msg::ColCancellations)}</th>
                                        <th scope="col" class="num">{t(Msg::ColSpent)}</th>
                                        <th scope="col">{t(Msg::ColLastVisit)}</th>
                                    </tr></thead>
                                    <tbody>
                                        {list.items.into_iter().map(|c| view! {
                                            <tr data-phone=c.phone.clone()>
                                                <td><a href=format!("/staff/clients/{}", super::board::encode(&c.phone))>{c.name.clone()}</a></td>
                                                <td>{phone_display(&c.phone)}</td>
                                                <td class="num">{c.bookings}</td>
                                                <td class="num">{c.visits}</td>
                                                <td class="num">{c.no_shows}</td>
                                                <td class="num">{c.cancellations}</td>
                                                <td class="num">{locale.money(c.total_spent)}</td>
                                                <td>{c.last_visit.as_deref().and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()).map(|d| locale.date(d)).unwrap_or_else(|| "—".into())}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <nav class="pager" aria-label=t(Msg::PageOf)>
                                {(page > 1).then(|| view! { <a class="button button--quiet" rel="prev" href=format!("/staff/clients?q={}&page={}", super::board::encode(&q), page - 1)>{t(Msg::PrevPage)}</a> })}
                                <span class="muted">{t(Msg::PageOf)} " " {page} " / " {pages}</span>
                                {(page < pages).then(|| view! { <a class="button button--quiet" rel="next" href=format!("/staff/clients?q={}&page={}", super::board::encode(&q), page + 1)>{t(Msg::NextPage)}</a> })}
                            </nav>
                        }.into_any()
                    }
                    Err(e) => staff_page_error(e),
                }
            })}
        </Transition>
    }
}

/// `/staff/clients/:phone`
#[component]
pub fn ClientPage() -> impl IntoView {
    let locale = locale::current();
    let toasts = toasts();
    let params = use_params_map();
    let save = ServerAction::<SaveClientNotes>::new();
    let data = Resource::new(
        move || {
            (
                params.with(|p| p.get("phone")).unwrap_or_default(),
                save.version().get(),
            )
        },
        |(phone, _)| held(load_client(phone)),
    );
    Effect::new(move |_| match save.value().get() {
        Some(Ok(())) => toasts.success(t(Msg::Saved)),
        Some(Err(e)) => toasts.error(error_text(locale, &e)),
        None => {}
    });
    let erase = ServerAction::<EraseClient>::new();
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| match erase.value().get() {
        Some(Ok(n)) => {
            toasts.success(if en() {
                format!("Personal data erased from {n} booking(s).")
            } else {
                format!("Персональные данные удалены из броней: {n}.")
            });
            navigate("/staff/clients", Default::default());
        }
        Some(Err(e)) => toasts.error(error_text(locale, &e)),
        None => {}
    });
    let confirming = RwSignal::new(false);
    view! {
        <Title text=t(Msg::StaffClients) />
        <p class="crumbs"><a href="/staff/clients">{t(Msg::StaffClients)}</a></p>
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">{t(Msg::Loading)}</p> }>
            {move || suspend(async move {
                match data.await {
                    Ok(c) => {
                        let s = c.summary;
                        let phone = s.phone.clone();
                        view! {
                            <h1>{s.name.clone()} " · " <span class="muted">{phone_display(&s.phone)}</span></h1>
                            <dl class="facts">
                                <dt>{t(Msg::ColBookings)}</dt><dd>{s.bookings}</dd>
                                <dt>{t(Msg::ColVisits)}</dt><dd>{s.visits}</dd>
                                <dt>{t(Msg::ColNoShows)}</dt><dd>{s.no_shows}</dd>
                                <dt>{t(Msg::ColCancellations)}</dt><dd>{s.cancellations}</dd>
                                <dt>{t(Msg::ColSpent)}</dt><dd>{locale.money(s.total_spent)}</dd>
                            </dl>
                            <section class="panel" aria-labelledby="notes-title">
                                <h2 id="notes-title">{t(Msg::ClientNotesTitle)}</h2>
                                <ActionForm action=save attr:class="stack">
                                    <input type="hidden" name="phone" value=s.phone.clone() />
                                    <label class="visually-hidden" for="client-notes">{t(Msg::ClientNotesTitle)}</label>
                                    <textarea id="client-notes" name="notes" rows="4">{s.notes.clone()}</textarea>
                                    <button type="submit" class="button">{t(Msg::Save)}</button>
                                </ActionForm>
                            </section>
                            <PersonalData phone erase confirming />
                            <h2>{t(Msg::StaffBookings)}</h2>
                            <table class="table">
                                <tbody>
                                    {c.history.into_iter().map(|b| view! {
                                        <tr data-booking-id=b.id.clone()>
                                            <td><a href=format!("/staff/bookings/{}", b.id)>{b.reference.clone()}</a></td>
                                            <td>{when(locale, &b.start_time, &b.end_time)}</td>
                                            <td>{b.space_name.clone()}</td>
                                            <td><span class=format!("state state--{}", b.state.as_str())>{column_title(b.state)}</span></td>
                                            <td class="num">{locale.money(b.total_price)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }
                    Err(e) => staff_page_error(e),
                }
            })}
        </Transition>
    }
}

fn en() -> bool {
    locale::current() == crate::i18n::Locale::En
}

/// A client's personal data: export (JSON, with a reason) and erasure
/// (after a confirmation, with a reason). Owners and admins; the server
/// refuses others.
#[component]
fn PersonalData(
    phone: String,
    erase: ServerAction<EraseClient>,
    confirming: RwSignal<bool>,
) -> impl IntoView {
    let (
        title,
        export_label,
        reason_label,
        export_button,
        erase_button,
        erase_warn,
        erase_yes,
        cancel,
    ) = if en() {
        ("Personal data", "Export everything held about this client (JSON)", "Reason (recorded in the audit log)",
         "Export", "Erase personal data…", "Name, phone, e-mail, wishes and notes are removed from every booking of this client; times, amounts and states stay for the books. This cannot be undone.",
         "Erase permanently", "Cancel")
    } else {
        ("Персональные данные", "Выгрузить всё, что хранится об этом клиенте (JSON)", "Основание (попадает в журнал аудита)",
         "Выгрузить", "Удалить персональные данные…", "Имя, телефон, e-mail, пожелания и заметки будут удалены из всех броней клиента; время, суммы и статусы останутся для учёта. Отменить нельзя.",
         "Удалить безвозвратно", "Отмена")
    };
    let export = format!("/api/v1/clients/{phone}/export");
    let phone = StoredValue::new(phone);
    view! {
        <section class="panel" aria-labelledby="pd-title">
            <h2 id="pd-title">{title}</h2>
            <form method="get" action=export class="stack personal-data__export">
                <label for="pd-export-reason">{export_label}</label>
                <input id="pd-export-reason" name="reason" minlength="3" maxlength="500" required placeholder=reason_label />
                <div><button type="submit" class="button">{export_button}</button></div>
            </form>
            <Show when=move || confirming.get() fallback=move || view! {
                <button type="button" class="button button--danger" on:click=move |_| confirming.set(true)>{erase_button}</button>
            }>
                <ActionForm action=erase attr:class="stack confirm">
                    <p role="alert"><strong>{erase_warn}</strong></p>
                    <input type="hidden" name="phone" value=phone.get_value() />
                    <label for="pd-erase-reason">{reason_label}</label>
                    <input id="pd-erase-reason" name="reason" minlength="3" maxlength="500" required />
                    <div>
                        <button type="submit" class="button button--danger" disabled=move || erase.pending().get()>{erase_yes}</button>
                        " "
                        <button type="button" class="button button--quiet" on:click=move |_| confirming.set(false)>{cancel}</button>
                    </div>
                </ActionForm>
            </Show>
        </section>
    }
}

/// `/staff/requests`: guests' requests for their data, with the legal due
/// date (10 working days); closing one records what was done.
#[component]
pub fn RequestsPage() -> impl IntoView {
    let locale = locale::current();
    let toasts = toasts();
    let close = ServerAction::<CloseRequest>::new();
    let data = Resource::new(move || close.version().get(), |_| held(load_requests()));
    Effect::new(move |_| match close.value().get() {
        Some(Ok(())) => toasts.success(t(Msg::Saved)),
        Some(Err(e)) => toasts.error(error_text(locale, &e)),
        None => {}
    });
    let (title, empty, due, kind_export, kind_erase, resolution, close_label, overdue) = if en() {
        (
            "Data requests",
            "No requests from guests.",
            "Due",
            "Copy of data",
            "Deletion",
            "What was done",
            "Close",
            "overdue",
        )
    } else {
        (
            "Запросы о данных",
            "Запросов от гостей нет.",
            "Срок",
            "Копия данных",
            "Удаление",
            "Что сделано",
            "Закрыть",
            "просрочен",
        )
    };
    let day = |iso: &str| iso.get(..10).unwrap_or_default().to_owned();
    view! {
        <Title text=title />
        <h1>{title}</h1>
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">{t(Msg::Loading)}</p> }>
            {move || suspend(async move {
                match data.await {
                    Ok(list) if list.is_empty() => view! { <p class="muted">{empty}</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="table">
                            <tbody>
                                {list.into_iter().map(|r| {
                                    let open = r.status == "open";
                                    let (id, row_id, status) = (r.id.clone(), r.id.clone(), r.status.clone());
                                    view! {
                                        <tr data-request-id=row_id data-status=status>
                                            <td>{if r.kind == "erase" { kind_erase } else { kind_export }}</td>
                                            <td>{r.booking_reference.clone()}</td>
                                            <td>{r.client_name.clone()} " " <span class="muted">{phone_display(&r.client_phone)}</span></td>
                                            <td>{due} " " <span data-due>{day(&r.due_at)}</span>
                                                {r.overdue.then(|| view! { " " <span class="badge badge--cancelled">{overdue}</span> })}</td>
                                            <td>{if open {
                                                view! {
                                                    <ActionForm action=close attr:class="inline-form">
                                                        <input type="hidden" name="id" value=id />
                                                        <input name="resolution" minlength="3" maxlength="500" required placeholder=resolution aria-label=resolution />
                                                        <button type="submit" class="button">{close_label}</button>
                                                    </ActionForm>
                                                }.into_any()
                                            } else {
                                                view! { <span class="muted">{r.resolution.clone().unwrap_or_default()}</span> }.into_any()
                                            }}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => staff_page_error(e),
                }
            })}
        </Transition>
    }
}

/// `/staff/day-sheet`
#[component]
pub fn DaySheetPage() -> impl IntoView {
    let locale = locale::current();
    let query = use_query_map();
    let data = Resource::new(
        move || query.with(|q| q.get("date")),
        |d| held(load_day_sheet(d)),
    );
    view! {
        <Title text=t(Msg::DaySheet) />
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">{t(Msg::Loading)}</p> }>
            {move || suspend(async move {
                match data.await {
                    Ok((date, spaces)) => {
                        let title = chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").map(|d| locale.date(d)).unwrap_or_default();
                        let empty = spaces.iter().all(|(_, rows)| rows.is_empty());
                        view! {
                            <header class="page-head no-print">
                                <form method="get" action="/staff/day-sheet" class="cal-nav__pick">
                                    <label class="visually-hidden" for="ds-date">{t(Msg::ChooseDate)}</label>
                                    <input id="ds-date" type="date" name="date" value=date.clone() />
                                    <button type="submit" class="button button--quiet">{t(Msg::ShowDay)}</button>
                                </form>
                                <button type="button" class="button" on:click=move |_| { let _ = window().print(); }>{t(Msg::PrintSheet)}</button>
                            </header>
                            <article class="day-sheet">
                                <h1>{t(Msg::DaySheet)} " · " {title}</h1>
                                {empty.then(|| view! { <p>{t(Msg::NoBookingsToday)}</p> })}
                                {spaces.into_iter().filter(|(_, rows)| !rows.is_empty()).map(|(space, rows)| view! {
                                    <section class="day-sheet__space">
                                        <h2>{space.name.clone()}</h2>
                                        <table class="table">
                                            <thead><tr>
                                                <th scope="col">{t(Msg::When)}</th>
                                                <th scope="col">{t(Msg::ColClient)}</th>
                                                <th scope="col">{t(Msg::Phone)}</th>
                                                <th scope="col" class="num">{t(Msg::ColPeople)}</th>
                                                <th scope="col">{t(Msg::Requirements)}</th>
                                                <th scope="col">{t(Msg::ColEquipment)}</th>
                                                <th scope="col">{t(Msg::Status)}</th>
                                                <th scope="col">{t(Msg::ColPayment)}</th>
                                            </tr></thead>
                                            <tbody>
                                                {rows.into_iter().map(|d| {
                                                    let b = &d.summary;
                                                    let time = format!("{}–{}", local(&b.start_time).map(|t| t.format("%H:%M").to_string()).unwrap_or_default(), local(&b.end_time).map(|t| t.format("%H:%M").to_string()).unwrap_or_default());
                                                    let equipment = d.equipment.iter().map(|e| format!("{} × {}", e.name, e.quantity)).collect::<Vec<_>>().join(", ");
                                                    let notes = [d.special_requirements.clone(), d.internal_notes.clone()].into_iter().filter(|n| !n.is_empty()).collect::<Vec<_>>().join(" · ");
                                                    view! {
                                                        <tr data-booking-id=b.id.clone()>
                                                            <td><strong>{time}</strong><br /><span class="muted small">{b.reference.clone()}</span></td>
                                                            <td>{b.client_name.clone()}</td>
                                                            <td><a href=format!("tel:{}", b.client_phone)>{phone_display(&b.client_phone)}</a></td>
                                                            <td class="num">{b.people_count}</td>
                                                            <td>{notes}</td>
                                                            <td>{equipment}</td>
                                                            <td>{column_title(b.state)}</td>
                                                            <td>{payment_label(b.payment_status)} " · " {locale.money(b.total_price)}</td>
                                                        </tr>
                                                    }
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    </section>
                                }).collect_view()}
                            </article>
                        }.into_any()
                    }
                    Err(e) => staff_page_error(e),
                }
            })}
        </Suspense>
    }
}
