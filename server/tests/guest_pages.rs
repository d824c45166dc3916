//! The booking flow as a guest without JavaScript sees it: plain HTML
//! pages and form posts.

mod common;
use chrono::{Duration, Utc};

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
}
