//! The board stays light with a busy studio: 2,000 open bookings render in
//! at most 1 MB of HTML (hydration data included).

mod common;
use common::TestApp;

const PASSWORD: &str = "north light over the river";

/// `n` confirmed bookings over the next days, ten a day per space, with
/// ids and names as long as real ones.
async fn seed_open_bookings(app: &TestApp, n: usize) {
    let now = chrono::Utc::now().timestamp();
    let today = (chrono::Utc::now() + chrono::Duration::hours(3)).date_naive();
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let (day, slot) = (i / 20 + 1, i % 20);
        let space = if slot < 10 { "studio_a" } else { "studio_b" };
        let date = today + chrono::Duration::days(day as i64);
        // 09:00 Moscow is 06:00 UTC.
        let start =
            date.and_hms_opt(6, 0, 0).unwrap().and_utc().timestamp() + (slot % 10) as i64 * 3600;
        rows.push(format!(
            "('{:08x}-7c4d-4e8f-9a1b-{:012x}', 'REF-{}-{:04}', (SELECT id FROM spaces WHERE slug = '{space}'), {start}, {end}, {end}, 2, \
             'Гость Номер {i}', '+7916{:07}', '+7916{:07}', NULL, '', NULL, 250000, 0, 0, 0, 250000, 'website', 'confirmed', {now}, {now})",
            i,
            i,
            date.format("%Y%m%d"),
            i,
            i,
            i,
            end = start + 3600,
        ));
    }
    for chunk in rows.chunks(400) {
        app.exec(&format!(
            "INSERT INTO bookings (id, reference, space_id, starts_at, ends_at, blocked_until, people_count, \
             client_name, client_phone, client_phone_display, client_email, special_requirements, promo_code, \
             price_base, price_equipment, price_extra_people, price_discount, price_total, source, state, \
             created_at, updated_at) VALUES {}",
            chunk.join(",\n")
        ))
        .await;
    }
}

both_backends! {
    async fn the_board_with_two_thousand_open_bookings_is_at_most_one_megabyte(app) {
        app.create_owner("owner", PASSWORD).await;
        let token = app.access_token("owner", PASSWORD).await;
        seed_open_bookings(&app, 2000).await;
        // Written in clear, as a release before encryption did: sealed as
        // the start-up upgrade does.
        app::server::privacy::seal_clear_data(&app.state.store).await.unwrap();
        let to = (chrono::Utc::now() + chrono::Duration::hours(3) + chrono::Duration::days(101)).date_naive();
        let res = app.client.get(app.url(&format!("/staff/board?to={to}")))
            .header("cookie", format!("studio_access={token}"))
            .send().await.unwrap();
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert_eq!(html.matches("class=\"card\"").count(), 2000, "every open booking is a card");
        assert!(html.contains("Гость Номер 1999"), "cards carry their contents");
        assert!(html.len() <= 1_000_000, "{} bytes of HTML", html.len());
    }
}
