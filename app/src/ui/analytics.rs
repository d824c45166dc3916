//! `/staff/analytics`: the owner's view of a period — figures with their
//! change against the previous period and the same one a year before,
//! charts drawn as SVG on the server (readable without JavaScript and in
//! print, each with a table alternative), and the exports.
//!
//! Charts are a few rectangles each: drawn here as SVG strings rather than
//! with a chart crate, which would add hundreds of kilobytes to the staff
//! WASM for the same bars (see issue 11's budget).

use super::locale::{self, t};
use super::owners::{held, suspend};
use crate::html::escape as esc;
use crate::{
    domain::analytics::{AnalyticsPage as PageData, DailyFigures, PeriodKind, Summary},
    error::AppError,
    i18n::{Locale, Msg},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[server(prefix = "/api/fn", endpoint = "analytics")]
pub async fn load_analytics(
    period: Option<String>,
    at: Option<String>,
    from: Option<String>,
    to: Option<String>,
    space: Option<String>,
) -> Result<PageData, AppError> {
    use super::staff::session;
    let (state, _, me) = session::report(session::settled_staff().await)?;
    let zone = session::zone(&state).await;
    let today = chrono::Utc::now().with_timezone(&zone).date_naive();
    let kind = period
        .as_deref()
        .and_then(PeriodKind::parse)
        .unwrap_or(PeriodKind::Month);
    let query = kind.query(at.as_deref(), from, to, space, today);
    session::report(crate::server::analytics::page(&state, &me, &query, kind).await)
}

/// A bar of a chart: label, the stacked parts (value, CSS class) and its
/// hover text.
struct Bar {
    label: String,
    parts: Vec<(i64, &'static str)>,
    tip: String,
}

/// A bar chart as SVG, with a title for screen readers and a tooltip per
/// bar. Scales to its container (viewBox).
fn bar_chart(title: &str, bars: &[Bar]) -> String {
    let (w, h, pad) = (720.0f64, 200.0f64, 24.0f64);
    let max = bars
        .iter()
        .map(|b| b.parts.iter().map(|p| p.0).sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = bars.len().max(1) as f64;
    let slot = (w - 2.0 * pad) / n;
    let width = (slot * 0.8).max(1.0);
    let mut out = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" preserveAspectRatio=\"none\" \
         aria-label=\"{}\"><title>{}</title>",
        esc(title),
        esc(title)
    );
    out.push_str(&format!(
        "<line class=\"chart__axis\" x1=\"{pad}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\"/>",
        y = h - pad,
        x2 = w - pad
    ));
    let label_every = (bars.len() / 12).max(1);
    for (i, bar) in bars.iter().enumerate() {
        let x = pad + slot * i as f64 + (slot - width) / 2.0;
        let mut y = h - pad;
        out.push_str(&format!("<g><title>{}</title>", esc(&bar.tip)));
        for (value, class) in &bar.parts {
            if *value <= 0 {
                continue;
            }
            let height = (*value as f64 / max) * (h - 2.0 * pad);
            y -= height;
            out.push_str(&format!(
                "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{height:.1}\"/>"
            ));
        }
        // An invisible full-height target, so thin bars still show the tip.
        out.push_str(&format!(
            "<rect class=\"chart__hit\" x=\"{x:.1}\" y=\"{pad}\" width=\"{width:.1}\" height=\"{:.1}\"/></g>",
            h - 2.0 * pad
        ));
        if i % label_every == 0 {
            out.push_str(&format!(
                "<text class=\"chart__label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x + width / 2.0,
                h - 6.0,
                esc(&bar.label)
            ));
        }
    }
    out.push_str("</svg>");
    out
}

/// Days of a long period are summed by month, so bars stay readable.
fn buckets(daily: &[DailyFigures]) -> Vec<(String, DailyFigures)> {
    if daily.len() <= 62 {
        return daily
            .iter()
            .map(|d| (d.date[5..].to_owned(), d.clone()))
            .collect();
    }
    let mut out: Vec<(String, DailyFigures)> = Vec::new();
    for d in daily {
        let month = d.date[..7].to_owned();
        match out.last_mut() {
            Some((m, sum)) if *m == month => {
                sum.bookings += d.bookings;
                sum.completed += d.completed;
                sum.cancelled += d.cancelled;
                sum.no_show += d.no_show;
                sum.revenue = sum.revenue.zip(d.revenue).map(|(a, b)| a + b);
            }
            _ => out.push((month, d.clone())),
        }
    }
    out
}

/// The change of `now` against `before`, as "+12 %" (none when before is 0).
fn change(now: f64, before: f64) -> Option<String> {
    if before == 0.0 {
        return None;
    }
    let pct = ((now - before) / before * 100.0).round();
    Some(format!("{}{pct} %", if pct > 0.0 { "+" } else { "" }))
}

fn percent(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

/// One figure with its comparisons.
fn figure(l: Locale, label: Msg, now: String, values: (f64, f64, f64)) -> impl IntoView {
    let (cur, prev, year) = values;
    let vs = |other: f64, msg: Msg| {
        change(cur, other)
            .map(|c| view! { <span class="figure__vs">{format!("{c} {}", l.t(msg))}</span> })
    };
    view! {
        <div class="figure">
            <dt class="figure__label">{l.t(label)}</dt>
            <dd class="figure__value">{now}</dd>
            <dd class="figure__compare">{vs(prev, Msg::AnVsPrevious)}{vs(year, Msg::AnVsYear)}</dd>
        </div>
    }
}

fn money(l: Locale, kopecks: i64) -> String {
    l.money(crate::domain::Money::from_minor(kopecks))
}

fn figures(l: Locale, p: &PageData) -> impl IntoView {
    let (s, a, b) = (&p.summary, &p.previous, &p.year_before);
    let tri = |f: fn(&Summary) -> f64| (f(s), f(a), f(b));
    let mut items = vec![
        figure(
            l,
            Msg::AnBookings,
            s.bookings.to_string(),
            tri(|x| x.bookings as f64),
        )
        .into_any(),
        figure(
            l,
            Msg::StateCompleted,
            s.completed.to_string(),
            tri(|x| x.completed as f64),
        )
        .into_any(),
        figure(
            l,
            Msg::AnCancelled,
            format!("{} · {}", s.cancelled, percent(s.cancellation_rate)),
            tri(|x| x.cancelled as f64),
        )
        .into_any(),
        figure(
            l,
            Msg::StateNoShow,
            format!("{} · {}", s.no_show, percent(s.no_show_rate)),
            tri(|x| x.no_show as f64),
        )
        .into_any(),
    ];
    if let (Some(revenue), Some(booked)) = (s.revenue, s.booked_value) {
        items.push(
            figure(
                l,
                Msg::AnRevenue,
                money(l, revenue),
                tri(|x| x.revenue.unwrap_or(0) as f64),
            )
            .into_any(),
        );
        items.push(
            figure(
                l,
                Msg::AnBookedValue,
                money(l, booked),
                tri(|x| x.booked_value.unwrap_or(0) as f64),
            )
            .into_any(),
        );
    }
    items.push(
        figure(
            l,
            Msg::AnAverageDuration,
            format!(
                "{:.1} {}",
                s.average_duration_minutes / 60.0,
                l.t(Msg::AnHoursShort)
            ),
            tri(|x| x.average_duration_minutes),
        )
        .into_any(),
    );
    items.push(
        figure(
            l,
            Msg::AnAverageLead,
            format!("{:.0} {}", s.average_lead_hours, l.t(Msg::AnHoursShort)),
            tri(|x| x.average_lead_hours),
        )
        .into_any(),
    );
    view! { <dl class="figures" data-figures>{items}</dl> }
}

fn charts(l: Locale, p: &PageData) -> impl IntoView {
    let s = &p.summary;
    let b = buckets(&s.daily);
    let bookings: Vec<Bar> = b
        .iter()
        .map(|(label, d)| {
            let other = d.bookings - d.completed - d.cancelled - d.no_show;
            Bar {
                label: label.clone(),
                parts: vec![
                    (d.completed, "chart__completed"),
                    (other.max(0), "chart__open"),
                    (d.no_show, "chart__no-show"),
                    (d.cancelled, "chart__cancelled"),
                ],
                tip: format!(
                    "{label}: {} {}, {} {}, {} {}, {} {}",
                    d.bookings,
                    l.t(Msg::AnBookings).to_lowercase(),
                    d.completed,
                    l.t(Msg::StateCompleted).to_lowercase(),
                    d.cancelled,
                    l.t(Msg::AnCancelled).to_lowercase(),
                    d.no_show,
                    l.t(Msg::StateNoShow).to_lowercase()
                ),
            }
        })
        .collect();
    let revenue = p.with_money.then(|| {
        let bars: Vec<Bar> = b
            .iter()
            .map(|(label, d)| Bar {
                label: label.clone(),
                parts: vec![(d.revenue.unwrap_or(0), "chart__revenue")],
                tip: format!("{label}: {}", money(l, d.revenue.unwrap_or(0))),
            })
            .collect();
        let svg = bar_chart(l.t(Msg::AnRevenueChart), &bars);
        view! {
            <figure class="chart-card" data-chart="revenue">
                <figcaption>{l.t(Msg::AnRevenueChart)}</figcaption>
                <div inner_html=svg></div>
            </figure>
        }
    });
    let rows = b
        .iter()
        .map(|(label, d)| {
            view! {
                <tr>
                    <th scope="row">{label.clone()}</th>
                    <td>{d.bookings}</td><td>{d.completed}</td><td>{d.cancelled}</td><td>{d.no_show}</td>
                    {d.revenue.map(|r| view! { <td>{money(l, r)}</td> })}
                </tr>
            }
        })
        .collect_view();
    let svg = bar_chart(l.t(Msg::AnBookingsChart), &bookings);
    view! {
        <figure class="chart-card" data-chart="bookings">
            <figcaption>{l.t(Msg::AnBookingsChart)}</figcaption>
            <div inner_html=svg></div>
            <p class="chart-legend">
                <span class="legend legend--completed">{l.t(Msg::StateCompleted)}</span>
                <span class="legend legend--open">{l.t(Msg::AnUpcoming)}</span>
                <span class="legend legend--no-show">{l.t(Msg::StateNoShow)}</span>
                <span class="legend legend--cancelled">{l.t(Msg::AnCancelled)}</span>
            </p>
        </figure>
        {revenue}
        <details class="chart-table">
            <summary>{l.t(Msg::AnAsTable)}</summary>
            <table class="table" data-daily>
                <thead><tr>
                    <th scope="col">{l.t(Msg::AnDate)}</th>
                    <th scope="col">{l.t(Msg::AnBookings)}</th>
                    <th scope="col">{l.t(Msg::StateCompleted)}</th>
                    <th scope="col">{l.t(Msg::AnCancelled)}</th>
                    <th scope="col">{l.t(Msg::StateNoShow)}</th>
                    {p.with_money.then(|| view! { <th scope="col">{l.t(Msg::AnRevenue)}</th> })}
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </details>
    }
}

fn occupancy(l: Locale, p: &PageData) -> impl IntoView {
    let rows = p
        .summary
        .occupancy
        .iter()
        .map(|o| {
            let pct = (o.ratio * 100.0).clamp(0.0, 100.0);
            view! {
                <tr data-space=o.space.clone()>
                    <th scope="row">{o.name.clone()}</th>
                    <td>
                        <meter min="0" max="100" value=format!("{pct:.1}") title=format!("{pct:.1} %")></meter>
                        " " {format!("{pct:.1} %")}
                    </td>
                    <td>{format!("{:.1}", o.booked_hours)}</td>
                    <td>{format!("{:.1}", o.open_hours)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="an-card">
            <h2>{l.t(Msg::AnOccupancy)}</h2>
            <table class="table" data-occupancy>
                <thead><tr>
                    <th scope="col">{l.t(Msg::Space)}</th>
                    <th scope="col">{l.t(Msg::AnOccupancy)}</th>
                    <th scope="col">{l.t(Msg::AnBookedHours)}</th>
                    <th scope="col">{l.t(Msg::AnOpenHours)}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

fn heat_map(l: Locale, p: &PageData) -> impl IntoView {
    let (first, last) = {
        let used: Vec<usize> = (0..24)
            .filter(|h| p.heat.iter().any(|row| row[*h] > 0))
            .collect();
        // At least the usual working day, wider when bookings were outside it.
        match (used.first(), used.last()) {
            (Some(a), Some(b)) => ((*a).min(9), (*b).max(20)),
            _ => (9, 20),
        }
    };
    let max = p.heat.iter().flatten().copied().max().unwrap_or(0).max(1) as f64;
    let (cell, left, top) = (32.0f64, 40.0f64, 20.0f64);
    let cols = last - first + 1;
    let (w, h) = (left + cell * cols as f64, top + cell * 7.0);
    let days = match l {
        Locale::Ru => ["пн", "вт", "ср", "чт", "пт", "сб", "вс"],
        Locale::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    };
    let title = l.t(Msg::AnHeatMap);
    let mut svg = format!(
        "<svg class=\"heat\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" \
         aria-label=\"{t}\"><title>{t}</title>",
        t = esc(title)
    );
    for (c, hour) in (first..=last).enumerate() {
        svg.push_str(&format!(
            "<text class=\"chart__label\" x=\"{:.0}\" y=\"14\" text-anchor=\"middle\">{hour:02}</text>",
            left + cell * c as f64 + cell / 2.0
        ));
    }
    for (r, row) in p.heat.iter().enumerate() {
        let y = top + cell * r as f64;
        svg.push_str(&format!(
            "<text class=\"chart__label\" x=\"4\" y=\"{:.0}\">{}</text>",
            y + cell * 0.65,
            days[r]
        ));
        for (c, hour) in (first..=last).enumerate() {
            let minutes = row[hour];
            let level = (minutes as f64 / max * 5.0).ceil() as i64;
            svg.push_str(&format!(
                "<rect class=\"heat__cell heat__cell--{level}\" x=\"{:.0}\" y=\"{y:.0}\" width=\"{:.0}\" height=\"{:.0}\">\
                 <title>{} {hour:02}:00 — {:.1} {}</title></rect>",
                left + cell * c as f64,
                cell - 2.0,
                cell - 2.0,
                days[r],
                minutes as f64 / 60.0,
                l.t(Msg::AnHoursShort)
            ));
        }
    }
    svg.push_str("</svg>");
    // The same figures as a table (hours booked), for screen readers and print.
    let head = (first..=last)
        .map(|hour| view! { <th scope="col">{format!("{hour:02}")}</th> })
        .collect_view();
    let rows = p
        .heat
        .iter()
        .zip(days)
        .map(|(row, day)| {
            let cells = (first..=last)
                .map(|hour| view! { <td>{format!("{:.1}", row[hour] as f64 / 60.0)}</td> })
                .collect_view();
            view! { <tr><th scope="row">{day}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <section class="an-card" data-chart="heat">
            <h2>{title}</h2>
            <p class="muted">{l.t(Msg::AnHeatMapHint)}</p>
            <div inner_html=svg></div>
            <details class="chart-table">
                <summary>{l.t(Msg::AnAsTable)}</summary>
                <table class="table" data-heat-table>
                    <thead><tr><td></td>{head}</tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </details>
        </section>
    }
}

fn lists(l: Locale, p: &PageData) -> impl IntoView {
    let s = &p.summary;
    let pairs = |items: Vec<(String, i64)>| {
        items
            .into_iter()
            .map(|(k, v)| view! { <tr><th scope="row">{k}</th><td>{v}</td></tr> })
            .collect_view()
    };
    let sources = pairs(vec![
        (l.t(Msg::SourceWebsite).into(), s.by_source.website),
        (l.t(Msg::SourcePhone).into(), s.by_source.phone),
        (l.t(Msg::SourceWalkIn).into(), s.by_source.walk_in),
        (l.t(Msg::SourceStaff).into(), s.by_source.staff),
    ]);
    let cancels = pairs(vec![
        (l.t(Msg::AnByGuest).into(), s.cancelled_by.guest),
        (l.t(Msg::AnByStaff).into(), s.cancelled_by.staff),
        (l.t(Msg::AnBySystem).into(), s.cancelled_by.system),
    ]);
    let uses = |items: &[crate::domain::analytics::UseCount], money_amount: bool| {
        if items.is_empty() {
            // A row, not a paragraph: a <p> inside <tbody> is moved out by
            // the HTML parser, and hydration would not find it.
            return view! { <tr><td class="muted" colspan="3">{l.t(Msg::AnNone)}</td></tr> }
                .into_any();
        }
        items
            .iter()
            .map(|u| {
                let amount = if money_amount {
                    p.with_money.then(|| money(l, u.amount))
                } else {
                    Some(u.amount.to_string())
                };
                view! { <tr><th scope="row">{u.name.clone()}</th><td>{u.bookings}</td><td>{amount}</td></tr> }
            })
            .collect_view()
            .into_any()
    };
    let top = p.with_money.then(|| {
        let rows = p
            .top_clients
            .iter()
            .map(|c| {
                view! {
                    <tr>
                        <th scope="row"><a href=format!("/staff/clients/{}", c.phone)>{c.name.clone()}</a></th>
                        <td>{c.completed}</td><td>{money(l, c.value)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <section class="an-card" data-top-clients>
                <h2>{l.t(Msg::AnTopClients)}</h2>
                <table class="table"><tbody>{rows}</tbody></table>
            </section>
        }
    });
    view! {
        <div class="analytics-grid">
            <section class="an-card"><h2>{l.t(Msg::AnBySource)}</h2><table class="table" data-sources><tbody>{sources}</tbody></table></section>
            <section class="an-card"><h2>{l.t(Msg::AnCancellations)}</h2><table class="table" data-cancellations><tbody>{cancels}</tbody></table></section>
            <section class="an-card"><h2>{l.t(Msg::AnPromoCodes)}</h2><table class="table"><tbody>{uses(&p.promo_codes, true)}</tbody></table></section>
            <section class="an-card"><h2>{l.t(Msg::ColEquipment)}</h2><table class="table"><tbody>{uses(&p.equipment, false)}</tbody></table></section>
            {top}
        </div>
    }
}

/// `/staff/analytics`
#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let l = locale::current();
    let query = use_query_map();
    let get = move |k: &str| query.with(|q| q.get(k)).filter(|v| !v.is_empty());
    let data = Resource::new(
        move || {
            (
                get("period"),
                get("at"),
                get("from"),
                get("to"),
                get("space"),
            )
        },
        |(period, at, from, to, space)| held(load_analytics(period, at, from, to, space)),
    );
    let period_names = move |k: PeriodKind| match k {
        PeriodKind::Day => l.t(Msg::AnDay),
        PeriodKind::Week => l.t(Msg::AnWeek),
        PeriodKind::Month => l.t(Msg::AnMonth),
        PeriodKind::Quarter => l.t(Msg::AnQuarter),
        PeriodKind::Year => l.t(Msg::AnYear),
        PeriodKind::Custom => l.t(Msg::AnCustom),
    };
    view! {
        <Title text=t(Msg::StaffAnalytics) />
        <h1>{t(Msg::StaffAnalytics)}</h1>
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">{t(Msg::Loading)}</p> }>
            {move || suspend(async move {
                match data.await {
                    Ok(p) => {
                        let s = &p.summary;
                        let space = s.space.clone().unwrap_or_default();
                        let link = |(from, to): (chrono::NaiveDate, chrono::NaiveDate)| {
                            let mut href = if p.kind == PeriodKind::Custom {
                                format!("/staff/analytics?period=custom&from={from}&to={to}")
                            } else {
                                format!("/staff/analytics?period={}&at={from}", p.kind.as_str())
                            };
                            if !space.is_empty() {
                                href.push_str(&format!("&space={space}"));
                            }
                            href
                        };
                        let (from, to) = (
                            s.from.parse().unwrap_or_default(),
                            s.to.parse().unwrap_or_default(),
                        );
                        use crate::domain::analytics::{next, previous};
                        let prev_href = link(previous(p.kind, from, to));
                        let next_href = link(next(p.kind, from, to));
                        let export = |ext: &str| {
                            let mut href = format!("/api/v1/analytics/export.{ext}?from={}&to={}", s.from, s.to);
                            if !space.is_empty() {
                                href.push_str(&format!("&space={space}"));
                            }
                            href
                        };
                        let kinds = PeriodKind::ALL
                            .into_iter()
                            .map(|k| view! {
                                <option value=k.as_str() selected={k == p.kind}>{period_names(k)}</option>
                            })
                            .collect_view();
                        let spaces = p
                            .spaces
                            .iter()
                            .map(|(slug, name)| view! {
                                <option value=slug.clone() selected={*slug == space}>{name.clone()}</option>
                            })
                            .collect_view();
                        let when = if s.from == s.to {
                            l.date(from)
                        } else {
                            format!("{} — {}", l.date(from), l.date(to))
                        };
                        view! {
                            <form class="filters analytics-period" method="get" action="/staff/analytics">
                                <div class="field">
                                    <label for="an-period">{t(Msg::AnPeriod)}</label>
                                    <select id="an-period" name="period">{kinds}</select>
                                </div>
                                <div class="field">
                                    <label for="an-at">{t(Msg::AnAnyDayIn)}</label>
                                    <input id="an-at" type="date" name="at" value=s.from.clone() />
                                </div>
                                <div class="field">
                                    <label for="an-from">{t(Msg::AnFrom)}</label>
                                    <input id="an-from" type="date" name="from" value=s.from.clone() />
                                </div>
                                <div class="field">
                                    <label for="an-to">{t(Msg::AnTo)}</label>
                                    <input id="an-to" type="date" name="to" value=s.to.clone() />
                                </div>
                                <div class="field">
                                    <label for="an-space">{t(Msg::Space)}</label>
                                    <select id="an-space" name="space">
                                        <option value="">{t(Msg::AllSpaces)}</option>
                                        {spaces}
                                    </select>
                                </div>
                                <div class="filters__actions"><button type="submit" class="button">{t(Msg::ApplyFilters)}</button></div>
                            </form>
                            <nav class="analytics-nav" aria-label=t(Msg::AnPeriod)>
                                <a class="button button--ghost" rel="prev" href=prev_href>"← " {t(Msg::AnPrevious)}</a>
                                <h2 class="analytics-nav__title" data-period>{when}</h2>
                                <a class="button button--ghost" rel="next" href=next_href>{t(Msg::AnNext)} " →"</a>
                                <span class="analytics-nav__exports">
                                    <a class="button" href=export("csv") download="" data-export="csv">{t(Msg::AnExportCsv)}</a>
                                    <a class="button" href=export("xlsx") download="" data-export="xlsx">{t(Msg::AnExportXlsx)}</a>
                                </span>
                            </nav>
                            {(p.summary.bookings == 0).then(|| view! {
                                <p class="notice an-empty" data-empty>{t(Msg::AnEmpty)}</p>
                            })}
                            {figures(l, &p)}
                            {charts(l, &p)}
                            {occupancy(l, &p)}
                            {heat_map(l, &p)}
                            {lists(l, &p)}
                            <details class="an-card an-definitions">
                                <summary>{t(Msg::AnDefinitionsTitle)}</summary>
                                <p>{t(Msg::AnDefinitions)}</p>
                            </details>
                        }
                        .into_any()
                    }
                    Err(e) => super::staff::staff_page_error(e),
                }
            })}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_escapes_its_text_and_scales_to_the_tallest_bar() {
        let svg = bar_chart(
            "A <b> & c",
            &[
                Bar {
                    label: "01".into(),
                    parts: vec![(2, "x")],
                    tip: "two \"bars\"".into(),
                },
                Bar {
                    label: "02".into(),
                    parts: vec![(4, "x")],
                    tip: "four".into(),
                },
            ],
        );
        assert!(svg.contains("<title>A &lt;b&gt; &amp; c</title>"));
        assert!(svg.contains("two &quot;bars&quot;"));
        assert!(svg.contains("height=\"152.0\""), "{svg}");
        assert!(svg.contains("height=\"76.0\""));
    }

    #[test]
    fn long_periods_are_summed_by_month() {
        let day = |date: &str, n| DailyFigures {
            date: date.into(),
            bookings: n,
            completed: n,
            cancelled: 0,
            no_show: 0,
            revenue: Some(100 * n),
        };
        let mut days: Vec<_> = (1..=31)
            .map(|d| day(&format!("2026-01-{d:02}"), 1))
            .collect();
        days.extend((1..=28).map(|d| day(&format!("2026-02-{d:02}"), 2)));
        days.extend((1..=31).map(|d| day(&format!("2026-03-{d:02}"), 3)));
        let b = buckets(&days);
        assert_eq!(b.len(), 3);
        assert_eq!(
            (b[1].0.as_str(), b[1].1.bookings, b[1].1.revenue),
            ("2026-02", 56, Some(5600))
        );
        assert_eq!(buckets(&days[..31]).len(), 31);
        assert_eq!(change(120.0, 100.0).as_deref(), Some("+20 %"));
        assert_eq!(change(1.0, 0.0), None);
    }
}
