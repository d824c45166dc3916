//! What a guest reads about a space and the studio before and after
//! booking: the gallery, the space's facts and what is included, the
//! cancellation policy, the studio's rules and how to pay. Server-rendered
//! guest pages only (their words are here, not in the shared message table
//! the staff app carries).

use super::locale;
use crate::{
    domain::{
        studio::{Localized, Photo, StudioInfo},
        SpaceSummary,
    },
    i18n::{Locale, Noun},
};
use leptos::prelude::*;

#[derive(Debug, Clone, Copy)]
pub(super) enum Word {
    Area,
    Ceiling,
    SquareMetres,
    Metres,
    Included,
    BeforeYouBook,
    Cancellation,
    CancelPolicyBefore,
    CancelPolicyAfter,
    Rules,
    HowToPay,
    Photos,
    PhotoOf,
    AddToCalendar,
}

pub(super) fn word(w: Word) -> &'static str {
    let en = locale::current() == Locale::En;
    let (e, r) = match w {
        Word::Area => ("Area", "Площадь"),
        Word::Ceiling => ("Ceiling", "Потолки"),
        Word::SquareMetres => ("m²", "м²"),
        Word::Metres => ("m", "м"),
        Word::Included => ("Included in the price", "Входит в стоимость"),
        Word::BeforeYouBook => ("Before you book", "Перед бронированием"),
        Word::Cancellation => ("Cancellation", "Отмена"),
        Word::CancelPolicyBefore => (
            "Free cancellation online up to",
            "Бесплатная отмена онлайн — не позднее чем за",
        ),
        Word::CancelPolicyAfter => (
            "before the start, from the link in your confirmation. Later, call the studio.",
            "до начала, по ссылке из подтверждения. Позже — по телефону студии.",
        ),
        Word::Rules => ("Studio rules", "Правила студии"),
        Word::HowToPay => ("How to pay", "Как оплатить"),
        Word::Photos => ("Photos", "Фотографии"),
        Word::PhotoOf => ("Photo of", "Фото зала"),
        Word::AddToCalendar => ("Add to calendar (.ics)", "Добавить в календарь (.ics)"),
    };
    if en {
        e
    } else {
        r
    }
}

/// Metres from centimetres as people write them: `3,5 м`, `4 m`.
fn metres(cm: u32, locale: Locale) -> String {
    let whole = cm / 100;
    let tenths = (cm % 100 + 5) / 10;
    let (whole, tenths) = if tenths == 10 {
        (whole + 1, 0)
    } else {
        (whole, tenths)
    };
    let sep = if locale == Locale::En { '.' } else { ',' };
    if tenths == 0 {
        whole.to_string()
    } else {
        format!("{whole}{sep}{tenths}")
    }
}

/// One photo in every stored size: WebP where the browser takes it, JPEG
/// otherwise; `sizes` says how wide it is drawn so the phone picks the
/// smallest file that fills it.
#[component]
pub fn Picture(
    photo: Photo,
    /// Used when the photo has no alt text of its own.
    fallback_alt: String,
    sizes: &'static str,
    #[prop(optional)] eager: bool,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    let locale = locale::current();
    let alt = match photo.alt.get(locale) {
        "" => fallback_alt,
        a => a.to_owned(),
    };
    let smallest = photo.widths.first().copied().unwrap_or(photo.width);
    let (width, height) = (photo.width, photo.height);
    view! {
        <picture class=class>
            <source type="image/webp" srcset=photo.srcset(true) sizes=sizes />
            <img src=photo.url(smallest, false) srcset=photo.srcset(false) sizes=sizes alt=alt
                width=width.to_string() height=height.to_string()
                loading=if eager { "eager" } else { "lazy" } decoding="async" />
        </picture>
    }
}

/// The space's photos as a row a thumb scrolls through (snapping to each).
#[component]
pub fn Gallery(space: SpaceSummary) -> impl IntoView {
    let name = space.name.clone();
    (!space.photos.is_empty()).then(|| {
        let label = format!("{} — {}", word(Word::Photos), name);
        view! {
            <ul class="gallery" aria-label=label data-gallery>
                {space.photos.into_iter().enumerate().map(|(i, p)| {
                    let alt = format!("{} {} ({})", word(Word::PhotoOf), name, i + 1);
                    view! {
                        <li class="gallery__item">
                            <Picture photo=p fallback_alt=alt sizes="(min-width: 900px) 640px, 88vw" eager=i == 0 />
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
    })
}

/// Area, ceiling height and what the price includes; nothing for what
/// staff left empty.
#[component]
pub fn SpaceFacts(space: SpaceSummary) -> impl IntoView {
    let locale = locale::current();
    let d = space.details;
    let items = d.included_items(locale);
    let area = d
        .area_m2
        .map(|a| format!("{a} {}", word(Word::SquareMetres)));
    let ceiling = d
        .ceiling_cm
        .map(|c| format!("{} {}", metres(c, locale), word(Word::Metres)));
    let capacity = locale.count(u64::try_from(space.capacity).unwrap_or(0), Noun::Person);
    view! {
        <dl class="space-facts">
            {area.map(|a| view! { <div><dt>{word(Word::Area)}</dt><dd data-area>{a}</dd></div> })}
            {ceiling.map(|c| view! { <div><dt>{word(Word::Ceiling)}</dt><dd data-ceiling>{c}</dd></div> })}
            <div><dt>{crate::ui::locale::t(crate::i18n::Msg::People)}</dt><dd>{crate::ui::locale::t(crate::i18n::Msg::UpTo)} " " {capacity}</dd></div>
        </dl>
        {(!items.is_empty()).then(|| view! {
            <section class="included" aria-label=word(Word::Included)>
                <h3 class="included__title">{word(Word::Included)}</h3>
                <ul class="included__list" data-included>
                    {items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}
                </ul>
            </section>
        })}
    }
}

/// A studio text as paragraphs (staff write one per line).
fn paragraphs(text: &Localized, locale: Locale) -> Vec<String> {
    text.get(locale)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The cancellation policy, the studio's rules and how to pay: what a
/// guest should know before booking, shown again on the confirmation.
/// `pay_first` puts "how to pay" first (the confirmation's question).
#[component]
pub fn StudioTerms(studio: StudioInfo, #[prop(optional)] pay_first: bool) -> impl IntoView {
    let locale = locale::current();
    let rules = paragraphs(&studio.contacts.rules, locale);
    let payment = paragraphs(&studio.contacts.payment, locale);
    let hours = locale.count(
        u64::try_from(studio.cancellation_hours).unwrap_or(0),
        Noun::Hour,
    );
    let block = |title: Word, key: &'static str, lines: Vec<String>| {
        (!lines.is_empty()).then(|| {
            view! {
                <section class="terms__block" data-terms=key>
                    <h3>{word(title)}</h3>
                    {lines.into_iter().map(|l| view! { <p>{l}</p> }).collect_view()}
                </section>
            }
        })
    };
    let pay = block(Word::HowToPay, "payment", payment);
    let (first, last) = if pay_first { (pay, None) } else { (None, pay) };
    view! {
        <aside class="terms" aria-label=word(Word::BeforeYouBook)>
            {first}
            <section class="terms__block" data-terms="cancellation">
                <h3>{word(Word::Cancellation)}</h3>
                <p>{word(Word::CancelPolicyBefore)} " " {hours} " " {word(Word::CancelPolicyAfter)}</p>
            </section>
            {block(Word::Rules, "rules", rules)}
            {last}
        </aside>
    }
}

/// The logo in the guest header, when the studio uploaded one. The
/// studio's name is written beside it, so the image itself is decorative.
#[component]
pub fn Logo(logo: Photo) -> impl IntoView {
    let logo = Photo {
        alt: Localized::default(),
        ..logo
    };
    view! {
        <Picture photo=logo fallback_alt=String::new() sizes="120px" eager=true class="brand__logo" />
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_read_as_metres() {
        assert_eq!(metres(350, Locale::Ru), "3,5");
        assert_eq!(metres(350, Locale::En), "3.5");
        assert_eq!(metres(400, Locale::Ru), "4");
        assert_eq!(metres(298, Locale::Ru), "3");
        assert_eq!(metres(275, Locale::En), "2.8");
    }
}
