//! The booking flow as a guest without JavaScript sees it: plain HTML
//! pages and form posts.

mod common;
use chrono::{Duration, Utc};
use common::{date_ahead, send};
use reqwest::Method;
use serde_json::{json, Value};

const PASSWORD: &str = "north light over the river";

/// The `href`s of the free-time links in a piece of the page.
fn slot_hrefs(html: &str) -> Vec<String> {
    html.split("href=\"/book/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|h| h.contains("start="))
        .map(|h| h.replace("&amp;", "&"))
        .collect()
}

fn day(days: i64) -> String {
    (Utc::now() + Duration::hours(3) + Duration::days(days))
        .date_naive()
        .to_string()
}

fn form(date: &str, start: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = vec![
        ("date".into(), date.into()),
        ("start".into(), start.into()),
        ("hours".into(), "2".into()),
        ("people_count".into(), "3".into()),
        ("client_name".into(), "Ольга Смирнова".into()),
        ("client_phone".into(), "+7 (903) 555-12-34".into()),
        ("client_email".into(), "".into()),
        ("special_requirements".into(), "Белый фон".into()),
        ("promo_code".into(), "".into()),
        ("website".into(), "".into()),
        ("consent".into(), "on".into()),
    ];
    for (k, v) in extra {
        f.retain(|(key, _)| key != k);
        if !v.is_empty() || *k == "client_phone" {
            f.push(((*k).into(), (*v).into()));
        }
    }
    f
}

both_backends! {
    async fn the_booking_page_lists_free_times_of_the_day(app) {
        let date = day(3);
        let res = app.get(&format!("/book/studio_a?date={date}")).await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("Studio A"));
        assert_eq!(html.matches("data-slot-start=").count(), 12, "09:00–21:00");
        assert!(html.contains(&format!("data-slot-start=\"{date}T09:00:00+03:00\"")));
        assert!(!html.contains("id=\"form\""), "no form before a time is chosen");
    }

    async fn choosing_a_time_shows_the_form_with_consent_and_price(app) {
        let date = day(3);
        let start = format!("{date}T10:00:00+03:00");
        let res = app.client.get(app.url(&format!("/book/studio_a?date={date}&start={}", start.replace('+', "%2B"))))
            .header("accept-language", "en").send().await.unwrap();
        let html = res.text().await.unwrap();
        assert!(html.contains("id=\"form\""), "{html}");
        assert!(html.contains("name=\"consent\""));
        assert!(html.contains("processing of my personal data"));
        assert!(html.contains("data-total"));
        assert!(html.contains("₽2,500"), "the price of one hour is shown");
    }

    async fn a_posted_booking_redirects_to_the_confirmation_with_its_reference(app) {
        let date = day(4);
        let start = format!("{date}T12:00:00+03:00");
        let res = app.client.post(app.url("/book/studio_a")).form(&form(&date, &start, &[])).send().await.unwrap();
        assert_eq!(res.status(), 303);
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("/booking/") && location.ends_with("?new=1"), "{location}");
        let page = app.client.get(app.url(&location)).header("accept-language", "ru").send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("Спасибо! Бронирование принято."));
        assert!(html.contains(&format!("REF-{}-", date.replace('-', ""))));
        assert!(html.contains("Ожидает подтверждения"));
        let bidx = app.state.store.vault().unwrap().phone_index("+79035551234");
        assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM bookings WHERE client_phone_bidx = '{bidx}'")).await, 1);
    }

    async fn a_refused_form_comes_back_with_field_errors_and_what_was_typed(app) {
        let date = day(5);
        let start = format!("{date}T12:00:00+03:00");
        let bad = form(&date, &start, &[("client_phone", "12"), ("consent", "")]);
        let res = app.client.post(app.url("/book/studio_a")).header("accept-language", "en").form(&bad).send().await.unwrap();
        assert_eq!(res.status(), 422);
        let html = res.text().await.unwrap();
        assert!(html.contains("Please correct the highlighted fields."), "{html}");
        assert!(html.contains("Enter a phone number"), "phone error next to the field");
        assert!(html.contains("We need your consent"));
        assert!(html.contains("value=\"Ольга Смирнова\""), "the name typed is kept");
        assert!(html.contains("Белый фон"), "the requirements typed are kept");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM bookings").await, 0);
    }

    async fn a_taken_time_comes_back_with_free_alternatives(app) {
        let date = day(6);
        let start = format!("{date}T12:00:00+03:00");
        let first = app.client.post(app.url("/book/studio_a")).form(&form(&date, &start, &[])).send().await.unwrap();
        assert_eq!(first.status(), 303);
        let res = app.client.post(app.url("/book/studio_a")).header("accept-language", "en").form(&form(&date, &start, &[])).send().await.unwrap();
        assert_eq!(res.status(), 409);
        let html = res.text().await.unwrap();
        assert!(html.contains("this time has just been taken"));
        assert!(html.contains("id=\"conflict\""));
    }

    async fn the_guest_cancels_after_confirming(app) {
        let date = day(7);
        let start = format!("{date}T15:00:00+03:00");
        let res = app.client.post(app.url("/book/studio_b")).form(&form(&date, &start, &[])).send().await.unwrap();
        let location = res.headers()["location"].to_str().unwrap().trim_end_matches("?new=1").to_owned();
        let html = app.client.get(app.url(&format!("{location}?confirm_cancel=1"))).header("accept-language", "en")
            .send().await.unwrap().text().await.unwrap();
        assert!(html.contains("Cancel this booking?"), "a confirmation step before cancelling");
        let res = app.client.post(app.url(&format!("{location}/cancel"))).send().await.unwrap();
        assert_eq!(res.status(), 303);
        let html = app.client.get(app.url(res.headers()["location"].to_str().unwrap())).header("accept-language", "en")
            .send().await.unwrap().text().await.unwrap();
        assert!(html.contains("The booking is cancelled."));
        assert!(html.contains("badge--cancelled"));
    }

    async fn an_unknown_space_or_link_is_a_friendly_page(app) {
        let res = app.client.get(app.url("/book/nope")).header("accept-language", "en").send().await.unwrap();
        assert_eq!(res.status(), 404);
        let html = res.text().await.unwrap();
        assert!(html.contains("not found"), "{html}");
        let res = app.client.get(app.url("/booking/0123")).header("accept-language", "en").send().await.unwrap();
        assert_eq!(res.status(), 404);
        assert!(res.text().await.unwrap().contains("This link does not lead to a booking."));
    }

    async fn the_page_opens_on_the_first_day_with_free_time_and_greys_out_taken_hours(app) {
        let token = app.owner(PASSWORD).await;
        // Today and tomorrow are closed for maintenance.
        let block = json!({"space": "studio_a", "start_time": format!("{}T00:00:00+03:00", date_ahead(0)),
            "end_time": format!("{}T00:00:00+03:00", date_ahead(2)), "reason": "maintenance"});
        let (status, body) = send(&app, Method::POST, Some(&token), "/api/v1/blocks", Some(block)).await;
        assert_eq!(status, 201, "{body}");
        let html = app.page("/book/studio_a", "ru").await;
        let first = date_ahead(2);
        assert!(html.contains(&format!("value=\"{first}\"")), "opens on {first}, not on an empty today");
        assert_eq!(html.matches("data-slot-start=").count(), 12, "the free day's hours");

        // A chosen day that is full says so and links to the next free one.
        let html = app.page(&format!("/book/studio_a?date={}", date_ahead(1)), "ru").await;
        assert!(html.contains("На этот день свободного времени нет"), "{html}");
        assert!(html.contains(&format!("href=\"/book/studio_a?date={first}\" data-next-free")), "{html}");
        assert_eq!(html.matches("slot--busy").count(), 12, "the blocked hours are there, greyed");

        // Booked hours stay on the grid, struck through and not links.
        let date = day(3);
        let start = format!("{date}T12:00:00+03:00");
        let res = app.client.post(app.url("/book/studio_a")).form(&form(&date, &start, &[])).send().await.unwrap();
        assert_eq!(res.status(), 303);
        let html = app.page(&format!("/book/studio_a?date={date}"), "ru").await;
        assert_eq!(html.matches("data-slot-start=").count(), 10, "two hours are taken");
        assert_eq!(html.matches("class=\"slot slot--busy\"").count(), 2, "{html}");
        let busy = html.find("class=\"slot slot--busy\">").expect("a busy mark");
        let mark = html[busy..busy + html[busy..].find("</s>").expect("closed")].replace("<!>", "");
        assert!(mark.contains(">12:00<span class=\"visually-hidden\"> — занято"), "said in words, not only in colour: {mark}");
        assert!(!mark.contains("href"), "a taken hour is not a link");
        assert!(!html.contains("data-next-free"), "a day with free time needs no pointer");
    }

    async fn an_offered_alternative_opens_its_own_day_and_the_language_switch_keeps_the_slot(app) {
        let date = day(6);
        let start = format!("{date}T20:00:00+03:00");
        let first = app.client.post(app.url("/book/studio_a")).form(&form(&date, &start, &[("hours", "1")])).send().await.unwrap();
        assert_eq!(first.status(), 303);
        let res = app.client.post(app.url("/book/studio_a")).header("accept-language", "en")
            .form(&form(&date, &start, &[("hours", "1")])).send().await.unwrap();
        assert_eq!(res.status(), 409);
        let html = res.text().await.unwrap();
        let conflict = &html[html.find("id=\"conflict\"").expect("alternatives")..];
        let conflict = &conflict[..conflict.find("</div>").unwrap()];
        let links = slot_hrefs(conflict);
        assert!(!links.is_empty(), "{conflict}");
        for link in &links {
            let day_of = link.split("date=").nth(1).unwrap().get(..10).unwrap();
            let start_day = link.split("start=").nth(1).unwrap().get(..10).unwrap();
            assert_eq!(day_of, start_day, "an alternative links to its own day: {link}");
            let html = app.page(&format!("/book/{link}"), "en").await;
            assert!(html.contains("id=\"form\""), "choosing {link} opens the form at once");
            // The language switcher sends the guest back to this very slot.
            let here = link.split('#').next().unwrap().replace('&', "&amp;");
            assert!(html.contains(&format!("name=\"next\" value=\"/book/{here}#form\"")), "{here}");
        }
    }

    async fn the_studio_contacts_are_on_every_guest_page_and_help_when_it_is_too_late_to_cancel(app) {
        let token = app.owner(PASSWORD).await;
        let contacts = json!({
            "phone": "8 (495) 123-45-67", "telegram": "https://t.me/light_studio", "whatsapp": "+7 916 123 45 67",
            "email": "hello@studio.example", "map_url": "https://yandex.ru/maps/-/CDabc",
            "address": {"ru": "Москва, ул. Лесная, 5, 3 этаж", "en": "5 Lesnaya St, 3rd floor, Moscow"},
            "directions": {"ru": "От метро Белорусская 5 минут пешком", "en": ""}
        });
        let (status, saved) = send(&app, Method::PUT, Some(&token), "/api/v1/settings/contacts", Some(contacts)).await;
        assert_eq!(status, 200, "{saved}");
        assert_eq!((saved["phone"].as_str(), saved["telegram"].as_str()), (Some("+74951234567"), Some("light_studio")));
        let (status, err) = send(&app, Method::PUT, Some(&token), "/api/v1/settings/contacts",
            Some(json!({"phone": "12", "map_url": "http://maps.example", "telegram": "a b"}))).await;
        assert_eq!(status, 422);
        for field in ["phone", "map_url", "telegram"] {
            assert!(err["error"]["fields"][field].is_object(), "{field}: {err}");
        }
        let (_, kept) = send(&app, Method::GET, Some(&token), "/api/v1/settings/contacts", None).await;
        assert_eq!(kept, saved, "a refused save changes nothing");

        for path in ["/", "/book/studio_a", "/privacy"] {
            let html = app.page(path, "ru").await;
            assert!(html.contains("Москва, ул. Лесная, 5, 3 этаж"), "{path}");
            assert!(html.contains("href=\"tel:+74951234567\""), "{path}");
            assert!(html.contains("+7 495 123-45-67"), "{path}: one readable format");
            assert!(html.contains("https://t.me/light_studio") && html.contains("https://wa.me/79161234567"), "{path}");
            assert!(html.contains("От метро Белорусская"), "{path}");
        }
        let html = app.page("/", "en").await;
        let shown = &html[html.find("data-studio-address").expect("the address")..];
        let shown = &shown[..shown.find("</p>").unwrap()];
        assert!(shown.contains("5 Lesnaya St, 3rd floor, Moscow") && !shown.contains("Лесная"), "the English address in English: {shown}");
        assert!(html.contains("От метро Белорусская"), "directions only in Russian are shown rather than none");

        // Online cancellation closes 30 days before: the page says until when and whom to call.
        let (_, mut rules) = send(&app, Method::GET, Some(&token), "/api/v1/settings", None).await;
        rules["cancellation_hours"] = json!(720);
        let (status, body) = send(&app, Method::PUT, Some(&token), "/api/v1/settings", Some(rules)).await;
        assert_eq!(status, 200, "{body}");
        let date = day(3);
        let res = app.client.post(app.url("/book/studio_b")).form(&form(&date, &format!("{date}T10:00:00+03:00"), &[])).send().await.unwrap();
        assert_eq!(res.status(), 303);
        let manage = res.headers()["location"].to_str().unwrap().trim_end_matches("?new=1").to_owned();
        let html = app.page(&manage, "ru").await;
        assert!(html.contains("data-cancel-closed"), "{html}");
        assert!(html.contains("Отменить онлайн можно было до"));
        assert!(html.contains("позвоните в студию"));
        assert!(html.matches("href=\"tel:+74951234567\"").count() >= 2, "the phone beside the reason, not only in the footer");
        assert!(html.contains("Москва, ул. Лесная") && html.contains("https://yandex.ru/maps/-/CDabc"), "where, with the map");
        assert!(!html.contains("confirm_cancel"), "no cancel button that would only fail");
        let trail = app.text("SELECT details FROM audit_log WHERE action = 'contacts_changed'").await;
        let trail: Value = serde_json::from_str(&trail).unwrap();
        assert_eq!(trail["changed"].as_array().map(Vec::len), Some(7), "{trail}");
    }
}
