//! Guests' personal data under 152-FZ and the GDPR: sealed at rest (the raw
//! SQLite file and WAL, a pg_dump), still searchable through blind
//! indexes, consent for every source, export and erasure, guests'
//! requests, retention, key rotation and the in-place upgrade of a database
//! written in clear.

mod common;
use common::{at, move_through, send, Db, TestApp, TestDb};
use reqwest::Method;
use serde_json::{json, Value};

const PASSWORD: &str = "north light over the river";
const AGENT: &str = "PiiProbe/7.3 (distinctive user agent)";

/// Distinctive values: none of them may appear in the raw database.
struct Person {
    name: &'static str,
    phone: &'static str,
    e164: &'static str,
    email: &'static str,
    wishes: &'static str,
}

const ZINA: Person = Person {
    name: "Зинаида Квазимодова",
    phone: "+7 916 424-24-24",
    e164: "+79164242424",
    email: "zinaida.kvazi@example.org",
    wishes: "Бирюзовый-фон-Секрет",
};
const AURELIO: Person = Person {
    name: "Aurelio Blindindex",
    phone: "8 (903) 987-65-43",
    e164: "+79039876543",
    email: "aurelio.blind@example.net",
    wishes: "Fog machine Xylophone",
};

async fn guest_book(app: &TestApp, day: i64, hour: u32, p: &Person) -> Value {
    let res = app
        .client
        .post(app.url("/api/v1/public/bookings"))
        .header("user-agent", AGENT)
        .json(&json!({
            "space": "studio_a", "start_time": at(day, hour), "end_time": at(day, hour + 1),
            "people_count": 2, "client_name": p.name, "client_phone": p.phone,
            "client_email": p.email, "special_requirements": p.wishes, "consent": true
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

fn staff_booking(day: i64, hour: u32, p: &Person, consent: bool) -> Value {
    json!({
        "space": "studio_b", "start_time": at(day, hour), "end_time": at(day, hour + 2),
        "people_count": 1, "client_name": p.name, "client_phone": p.phone, "client_email": p.email,
        "special_requirements": p.wishes, "internal_notes": "Internal-Note-Quokka",
        "source": "phone", "client_consent": consent
    })
}

/// What an attacker with a copy of the database files would read.
async fn raw_database(app: &TestApp) -> String {
    if app.db.url.starts_with("sqlite:") {
        let mut bytes = Vec::new();
        for file in ["studio.db", "studio.db-wal"] {
            if let Ok(b) = std::fs::read(app.db.dir.path().join(file)) {
                bytes.extend(b);
            }
        }
        assert!(bytes.len() > 10_000, "the database file was read");
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        let out = std::process::Command::new("pg_dump")
            .arg("--data-only")
            .arg(&app.db.url)
            .output()
            .expect("pg_dump (PostgreSQL's client tools)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let dump = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            dump.contains("COPY public.bookings"),
            "a dump of the studio"
        );
        dump
    }
}

fn assert_absent(raw: &str, needles: &[&str]) {
    for n in needles {
        assert!(!raw.contains(n), "{n:?} is readable in the raw database");
        assert!(
            !raw.to_lowercase().contains(&n.to_lowercase()),
            "{n:?} (any case) is readable"
        );
    }
}

fn secrets_of(p: &Person) -> Vec<&'static str> {
    let digits: &'static str =
        Box::leak(p.e164.trim_start_matches('+').to_owned().into_boxed_str());
    let national: &'static str = Box::leak(p.e164[2..].to_owned().into_boxed_str());
    vec![p.name, p.phone, p.e164, digits, national, p.email, p.wishes]
}

/// The client base table (kept by triggers) equals the aggregate of the
/// bookings it is kept from: no client missing, none left over, no figure
/// off.
async fn assert_client_base_kept(app: &TestApp) {
    let fresh = "SELECT client_phone_bidx AS phone_bidx, COUNT(*) AS bookings, \
        SUM(CASE WHEN state = 'completed' THEN 1 ELSE 0 END) AS visits, \
        SUM(CASE WHEN state = 'no_show' THEN 1 ELSE 0 END) AS no_shows, \
        SUM(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END) AS cancellations, \
        SUM(CASE WHEN state = 'completed' THEN price_total ELSE 0 END) AS spent, \
        MAX(CASE WHEN state = 'completed' THEN starts_at END) AS last_visit, MAX(starts_at) AS last_start \
        FROM bookings WHERE client_phone_bidx IS NOT NULL AND deleted_at IS NULL GROUP BY client_phone_bidx";
    let kept = "SELECT phone_bidx, bookings, visits, no_shows, cancellations, spent, last_visit, last_start FROM client_stats";
    for (what, sql) in [
        ("missing or wrong", format!("SELECT COUNT(*) FROM (SELECT * FROM ({fresh}) f EXCEPT SELECT * FROM ({kept}) k) d")),
        ("left over or wrong", format!("SELECT COUNT(*) FROM (SELECT * FROM ({kept}) k EXCEPT SELECT * FROM ({fresh}) f) d")),
    ] {
        assert_eq!(app.scalar(&sql).await, 0, "client base rows {what}");
    }
}

/// Every name-index row, moved into the index or still pending.
const NAME_ROWS: &str = "(SELECT token, booking_id, phone_bidx FROM client_name_index \
    UNION ALL SELECT token, booking_id, phone_bidx FROM client_name_pending)";

/// The name index names each booking's current client, and only live
/// bookings have rows (every booking in these tests has a name); a
/// booking's rows are all in the index or all still pending.
async fn assert_name_index_kept(app: &TestApp) {
    let stale = format!(
        "SELECT COUNT(*) FROM {NAME_ROWS} i JOIN bookings b ON b.id = i.booking_id \
        WHERE b.deleted_at IS NOT NULL OR b.client_phone_bidx IS NULL OR b.client_phone_bidx <> i.phone_bidx"
    );
    assert_eq!(
        app.scalar(&stale).await,
        0,
        "name-index rows of another client or of a deleted booking"
    );
    let unindexed = format!(
        "SELECT COUNT(*) FROM bookings b WHERE b.deleted_at IS NULL AND b.anonymised_at IS NULL \
        AND NOT EXISTS (SELECT 1 FROM {NAME_ROWS} i WHERE i.booking_id = b.id)"
    );
    assert_eq!(
        app.scalar(&unindexed).await,
        0,
        "a live booking without name-index rows"
    );
    let split = "SELECT COUNT(*) FROM client_name_pending p \
        WHERE EXISTS (SELECT 1 FROM client_name_index i WHERE i.booking_id = p.booking_id)";
    assert_eq!(
        app.scalar(split).await,
        0,
        "a booking's rows both in the index and pending"
    );
}

async fn search(app: &TestApp, token: &str, path: &str, q: &str) -> Value {
    let url = format!("{path}?q={}", urlencode(q));
    let (status, body) = send(app, Method::GET, Some(token), &url, None).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

both_backends! {
    async fn personal_data_is_sealed_at_rest_and_staff_still_find_it(app) {
        let token = app.owner(PASSWORD).await;
        let first = guest_book(&app, 3, 12, &ZINA).await;
        // The same client again, her name typed in another case.
        let again = Person { name: "ЗИНАИДА квазимодова", ..ZINA };
        guest_book(&app, 4, 12, &again).await;
        let (status, staff) = send(&app, Method::POST, Some(&token), "/api/v1/bookings", Some(staff_booking(5, 14, &AURELIO, true))).await;
        assert_eq!(status, 201, "{staff}");
        let (status, _) = send(&app, Method::PUT, Some(&token), &format!("/api/v1/clients/{}/notes", ZINA.e164), Some(json!({"notes": "Notes-About-Zina-Wombat"}))).await;
        assert_eq!(status, 200);

        let raw = raw_database(&app).await;
        let mut needles = secrets_of(&ZINA);
        needles.extend(secrets_of(&AURELIO));
        needles.extend(["Notes-About-Zina-Wombat", "Internal-Note-Quokka", AGENT, "Квазимодова", "квази"]);
        assert_absent(&raw, &needles);
        assert!(raw.contains("pii1."), "the values are there, sealed");

        // Staff search: whole phone in any format, whole e-mail in any case,
        // beginnings of name words in any case (Cyrillic too); first with
        // the new name rows still pending, then moved into the index.
        assert!(app.scalar("SELECT COUNT(*) FROM client_name_pending").await > 0);
        for merged in [false, true] {
            if merged {
                let moved = app::server::privacy::merge_name_index(&app.state.store).await.unwrap();
                assert!(moved > 0);
                assert_eq!(app.scalar("SELECT COUNT(*) FROM client_name_pending").await, 0);
                assert_name_index_kept(&app).await;
            }
            for q in [ZINA.e164, "8 916 424 24 24", "ZINAIDA.KVAZI@EXAMPLE.ORG", "квази", "ЗИН КВАЗИМОД"] {
                let found = search(&app, &token, "/api/v1/bookings", q).await;
                assert_eq!(found["total"], 2, "{q}: {found}");
                assert_eq!(found["items"][0]["client_phone"], ZINA.e164);
            }
            for q in ["aurel", "BLINDIN", AURELIO.email, AURELIO.phone] {
                let found = search(&app, &token, "/api/v1/bookings", q).await;
                assert_eq!(found["total"], 1, "{q}: {found}");
                assert_eq!(found["items"][0]["client_name"], AURELIO.name);
            }
            for q in ["квазимодовы", "urelio", "4242", "example.org"] {
                assert_eq!(search(&app, &token, "/api/v1/bookings", q).await["total"], 0, "{q}");
            }
            // The client base groups by phone and finds by name or number.
            let clients = search(&app, &token, "/api/v1/clients", "").await;
            assert_eq!(clients["total"], 2);
            for q in ["ЗИН КВАЗИМОД", "zinaida.kvazi@example.org", "8 916 424 24 24"] {
                let found = search(&app, &token, "/api/v1/clients", q).await;
                assert_eq!((found["total"].as_i64(), found["items"][0]["phone"].as_str()), (Some(1), Some(ZINA.e164)), "{q}");
            }
            for q in ["зин aurel", "квазимодовы", "nobody@example.org"] {
                assert_eq!(search(&app, &token, "/api/v1/clients", q).await["total"], 0, "{q}");
            }
            let zina = search(&app, &token, "/api/v1/clients", "квазимодова").await;
            assert_eq!(zina["total"], 1);
            assert_eq!(zina["items"][0]["bookings"], 2);
            assert_eq!(zina["items"][0]["phone"], ZINA.e164);
            assert_eq!(zina["items"][0]["notes"], "Notes-About-Zina-Wombat");
        }
        // Everything opens for staff.
        let id = first["id"].as_str().unwrap();
        let (_, detail) = send(&app, Method::GET, Some(&token), &format!("/api/v1/bookings/{id}"), None).await;
        assert_eq!(detail["client_email"], ZINA.email);
        assert_eq!(detail["special_requirements"], ZINA.wishes);
        assert_eq!(detail["client_phone_display"], ZINA.phone);
        let (_, sorted) = send(&app, Method::GET, Some(&token), "/api/v1/bookings?sort=client_name", None).await;
        let names: Vec<String> = sorted["items"].as_array().unwrap().iter().map(|b| b["client_name"].as_str().unwrap().to_lowercase()).collect();
        assert_eq!(names, vec![AURELIO.name.to_lowercase(), ZINA.name.to_lowercase(), ZINA.name.to_lowercase()], "by name, in any case");
        let (_, desc) = send(&app, Method::GET, Some(&token), "/api/v1/bookings?sort=-client_name", None).await;
        assert_eq!(desc["items"][2]["client_name"], AURELIO.name);
    }

    async fn the_client_base_follows_every_change_to_a_booking(app) {
        let token = app.owner(PASSWORD).await;
        let a = guest_book(&app, 3, 12, &ZINA).await;
        let b = guest_book(&app, 4, 12, &ZINA).await;
        let (status, c) = send(&app, Method::POST, Some(&token), "/api/v1/bookings", Some(staff_booking(5, 12, &AURELIO, true))).await;
        assert_eq!(status, 201, "{c}");
        assert_client_base_kept(&app).await;
        let figures = |list: &Value, phone: &str| {
            list["items"].as_array().unwrap().iter().find(|i| i["phone"] == phone).cloned().unwrap_or(Value::Null)
        };
        let all = search(&app, &token, "/api/v1/clients", "").await;
        assert_eq!(all["total"], 2);
        // The most recent booking first: Aurelio's is the latest.
        assert_eq!(all["items"][0]["phone"], AURELIO.e164);
        assert_eq!(figures(&all, ZINA.e164)["bookings"], 2);

        // A visit and a cancellation: the figures follow.
        move_through(&app, &token, a["id"].as_str().unwrap(), &["confirmed", "in_progress", "completed"]).await;
        move_through(&app, &token, b["id"].as_str().unwrap(), &["cancelled"]).await;
        assert_client_base_kept(&app).await;
        let all = search(&app, &token, "/api/v1/clients", "").await;
        let zina = figures(&all, ZINA.e164);
        assert_eq!((zina["visits"].as_i64(), zina["cancellations"].as_i64()), (Some(1), Some(1)));
        assert_eq!(zina["total_spent"], a["total_price"]);
        assert_eq!(zina["last_visit"], common::date_ahead(3).to_string());
        assert_eq!(figures(&all, AURELIO.e164)["bookings"], 1);

        // The name rows move into the index (the periodic job's work): the
        // changes below find them there; the renumbered booking's new rows
        // are pending again when Zina's name replaces them.
        app::server::privacy::merge_name_index(&app.state.store).await.unwrap();
        assert_name_index_kept(&app).await;
        // Aurelio gives a new number: his name now finds the new client.
        let id = c["id"].as_str().unwrap();
        let (_, detail) = send(&app, Method::GET, Some(&token), &format!("/api/v1/bookings/{id}"), None).await;
        let (status, renumbered) = send(&app, Method::PUT, Some(&token), &format!("/api/v1/bookings/{id}"),
            Some(json!({"version": detail["version"], "client_phone": "+7 903 111 22 33"}))).await;
        assert_eq!(status, 200, "{renumbered}");
        assert_client_base_kept(&app).await;
        assert_name_index_kept(&app).await;
        let found = search(&app, &token, "/api/v1/clients", "aurel").await;
        assert_eq!((found["total"].as_i64(), found["items"][0]["phone"].as_str()), (Some(1), Some("+79031112233")), "{found}");

        // Aurelio's booking was really for Zina: a phone typed anew moves it
        // from one client to the other, and Aurelio leaves the base.
        let (_, detail) = send(&app, Method::GET, Some(&token), &format!("/api/v1/bookings/{id}"), None).await;
        let (status, moved) = send(&app, Method::PUT, Some(&token), &format!("/api/v1/bookings/{id}"),
            Some(json!({"version": detail["version"], "client_phone": ZINA.phone, "client_name": ZINA.name}))).await;
        assert_eq!(status, 200, "{moved}");
        assert_client_base_kept(&app).await;
        assert_name_index_kept(&app).await;
        let found = search(&app, &token, "/api/v1/clients", "квазимод").await;
        assert_eq!((found["total"].as_i64(), found["items"][0]["bookings"].as_i64()), (Some(1), Some(3)), "{found}");
        move_through(&app, &token, id, &["no_show"]).await;
        assert_client_base_kept(&app).await;
        let all = search(&app, &token, "/api/v1/clients", "").await;
        assert_eq!(all["total"], 1);
        assert_eq!((all["items"][0]["bookings"].as_i64(), all["items"][0]["no_shows"].as_i64()), (Some(3), Some(1)));
        assert_eq!(search(&app, &token, "/api/v1/clients", "aurel").await["total"], 0);

        // A deleted booking no longer counts; the last one gone, so is the
        // client.
        // Three have their rows in the index by then, a fourth still pending.
        app::server::privacy::merge_name_index(&app.state.store).await.unwrap();
        let d = guest_book(&app, 6, 12, &ZINA).await;
        let found = search(&app, &token, "/api/v1/clients", "квазимод").await;
        assert_eq!((found["total"].as_i64(), found["items"][0]["bookings"].as_i64()), (Some(1), Some(4)), "{found}");
        for booking in [&b, &a, &d, &c] {
            let id = booking["id"].as_str().unwrap();
            let (status, body) = send(&app, Method::DELETE, Some(&token), &format!("/api/v1/bookings/{id}"), None).await;
            assert_eq!(status, 204, "{body}");
            assert_client_base_kept(&app).await;
            assert_name_index_kept(&app).await;
        }
        assert_eq!(search(&app, &token, "/api/v1/clients", "квазимод").await["total"], 0, "deleted bookings leave the name search");
        assert_eq!(search(&app, &token, "/api/v1/clients", "").await["total"], 0);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM client_stats").await, 0);
    }

    async fn the_client_base_follows_writes_to_thousands_of_clients_in_one_transaction(app) {
        // A restore or a retention run touches every client in one
        // transaction: the table must keep up without running out of locks.
        let rows: Vec<String> = (0..8_000)
            .map(|i| {
                let start = 1_600_000_000 + i * 3600;
                format!(
                    "('bulk-{i}', 'REF-BULK-{i}', (SELECT id FROM spaces WHERE slug = 'studio_a'), {start}, {end}, {end}, 1, \
                     'sealed', 'sealed', 'sealed', NULL, '', NULL, 100000, 0, 0, 0, 100000, 'website', 'completed', {start}, {start}, 'bulk-client-{i}')",
                    end = start + 3600
                )
            })
            .collect();
        let inserts: Vec<String> = rows
            .chunks(500)
            .map(|c| format!(
                "INSERT INTO bookings (id, reference, space_id, starts_at, ends_at, blocked_until, people_count, \
                 client_name, client_phone, client_phone_display, client_email, special_requirements, promo_code, \
                 price_base, price_equipment, price_extra_people, price_discount, price_total, source, state, \
                 created_at, updated_at, client_phone_bidx) VALUES {};",
                c.join(", ")
            ))
            .collect();
        app.exec(&format!("BEGIN; {} COMMIT;", inserts.join("\n"))).await;
        assert_eq!(app.scalar("SELECT COUNT(*) FROM client_stats").await, 8_000);
        assert_client_base_kept(&app).await;
        app.exec("UPDATE bookings SET deleted_at = 1 WHERE id LIKE 'bulk-%'").await;
        assert_eq!(app.scalar("SELECT COUNT(*) FROM client_stats").await, 0);
    }

    async fn the_client_base_adds_each_inserted_booking_of_a_returning_client(app) {
        // A new booking adds itself to its client's figures (no recount):
        // rows written as a restore writes them, in every state, out of
        // order in time, one inserted already deleted, for one client who
        // already has a row and one who does not.
        guest_book(&app, 3, 12, &ZINA).await;
        let zina: String = app
            .text("SELECT client_phone_bidx FROM bookings WHERE client_phone_bidx IS NOT NULL")
            .await;
        let rows: Vec<String> = [
            ("completed", 1_700_000_000_i64, 150_000_i64, "NULL", zina.as_str()),
            ("no_show", 1_600_000_000, 90_000, "NULL", zina.as_str()),
            ("completed", 1_650_000_000, 70_000, "NULL", zina.as_str()),
            ("cancelled", 1_950_000_000, 50_000, "NULL", zina.as_str()),
            ("completed", 1_800_000_000, 999_000, "1", zina.as_str()),
            ("confirmed", 1_750_000_000, 10_000, "NULL", "returning-elsewhere"),
            ("completed", 1_740_000_000, 20_000, "NULL", "returning-elsewhere"),
        ]
        .iter()
        .enumerate()
        .map(|(i, (state, start, price, deleted, bidx))| {
            format!(
                "('inc-{i}', 'REF-INC-{i}', (SELECT id FROM spaces WHERE slug = 'studio_a'), {start}, {end}, {end}, 1, \
                 'sealed', 'sealed', 'sealed', NULL, '', NULL, {price}, 0, 0, 0, {price}, 'website', '{state}', {start}, {start}, '{bidx}', {deleted})",
                end = start + 3600
            )
        })
        .collect();
        for row in rows {
            app.exec(&format!(
                "INSERT INTO bookings (id, reference, space_id, starts_at, ends_at, blocked_until, people_count, \
                 client_name, client_phone, client_phone_display, client_email, special_requirements, promo_code, \
                 price_base, price_equipment, price_extra_people, price_discount, price_total, source, state, \
                 created_at, updated_at, client_phone_bidx, deleted_at) VALUES {row}"
            ))
            .await;
            assert_client_base_kept(&app).await;
        }
        let figures = format!(
            "SELECT bookings * 1000000 + visits * 10000 + no_shows * 100 + cancellations FROM client_stats WHERE phone_bidx = '{zina}'"
        );
        assert_eq!(app.scalar(&figures).await, 5_000_000 + 2 * 10_000 + 100 + 1, "5 bookings: 2 visits, 1 no-show, 1 cancellation");
        assert_eq!(app.scalar(&format!("SELECT spent FROM client_stats WHERE phone_bidx = '{zina}'")).await, 220_000);
        assert_eq!(app.scalar(&format!("SELECT last_visit FROM client_stats WHERE phone_bidx = '{zina}'")).await, 1_700_000_000);
        assert_eq!(app.scalar(&format!("SELECT last_start FROM client_stats WHERE phone_bidx = '{zina}'")).await, 1_950_000_000);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM client_stats").await, 2);
    }

    async fn a_broad_client_search_pages_with_its_total_on_every_page(app) {
        // 120 clients named alike (clear rows, as an old release wrote them,
        // sealed and name-indexed the way start-up does) and a few others.
        let rows: Vec<String> = (0..123)
            .map(|i| {
                let start = 1_600_000_000 + i * 3600;
                let name = if i < 120 { format!("Paginova Guest {i}") } else { format!("Other Person {i}") };
                format!(
                    "('page-{i}', 'REF-PAGE-{i}', (SELECT id FROM spaces WHERE slug = 'studio_a'), {start}, {end}, {end}, 1, \
                     '{name}', '+7925{i:07}', '+7925{i:07}', NULL, '', NULL, 100000, 0, 0, 0, 100000, 'website', 'completed', {start}, {start})",
                    end = start + 3600
                )
            })
            .collect();
        app.exec(&format!(
            "INSERT INTO bookings (id, reference, space_id, starts_at, ends_at, blocked_until, people_count, \
             client_name, client_phone, client_phone_display, client_email, special_requirements, promo_code, \
             price_base, price_equipment, price_extra_people, price_discount, price_total, source, state, \
             created_at, updated_at) VALUES {};",
            rows.join(", ")
        ))
        .await;
        app::server::privacy::seal_clear_data(&app.state.store).await.unwrap();
        let token = app.owner(PASSWORD).await;
        let mut seen = std::collections::HashSet::new();
        for (page, expect) in [(1, 50), (2, 50), (3, 20), (4, 0)] {
            let (status, found) = send(&app, Method::GET, Some(&token), &format!("/api/v1/clients?q=PAGIN&page={page}"), None).await;
            assert_eq!(status, 200, "{found}");
            assert_eq!(found["total"], 120, "page {page}: {found}");
            let items = found["items"].as_array().unwrap();
            assert_eq!(items.len(), expect, "page {page}");
            for c in items {
                assert!(c["name"].as_str().unwrap().starts_with("Paginova Guest "), "{c}");
                assert!(seen.insert(c["phone"].as_str().unwrap().to_owned()), "no client twice");
            }
            if let Some(first) = items.first() {
                // Most recent first: page 1 starts with the last one booked.
                if page == 1 {
                    assert_eq!(first["phone"], "+79250000119");
                }
            }
        }
        assert_eq!(seen.len(), 120);
        let (_, narrow) = send(&app, Method::GET, Some(&token), "/api/v1/clients?q=paginova%20guest%207", None).await;
        // 7, 70..79: every token a prefix of the name's.
        assert_eq!(narrow["total"], 11, "{narrow}");
        let (_, none) = send(&app, Method::GET, Some(&token), "/api/v1/clients?q=nobody", None).await;
        assert_eq!((none["total"].as_i64(), none["items"].as_array().map(Vec::len)), (Some(0), Some(0)));
        let (_, all) = send(&app, Method::GET, Some(&token), "/api/v1/clients?page=3", None).await;
        assert_eq!((all["total"].as_i64(), all["items"].as_array().map(Vec::len)), (Some(123), Some(23)));
    }

    async fn every_booking_records_consent_and_the_texts_are_versioned(app) {
        let token = app.owner(PASSWORD).await;
        let owner_id = app.text("SELECT id FROM employees WHERE username = 'owner'").await;
        let guest = guest_book(&app, 3, 12, &ZINA).await;
        let (status, refused) = send(&app, Method::POST, Some(&token), "/api/v1/bookings", Some(staff_booking(4, 12, &AURELIO, false))).await;
        assert_eq!(status, 422);
        assert_eq!(refused["error"]["fields"]["client_consent"]["code"], "consent_required");
        let mut walk_in = staff_booking(4, 12, &AURELIO, true);
        walk_in["source"] = json!("walk_in");
        let (status, staff) = send(&app, Method::POST, Some(&token), "/api/v1/bookings", Some(walk_in)).await;
        assert_eq!(status, 201, "{staff}");
        let web = app.text(&format!("SELECT method FROM consent_records WHERE booking_id = '{}'", guest["id"].as_str().unwrap())).await;
        assert_eq!(web, "web_form");
        let staff_id = staff["id"].as_str().unwrap();
        assert_eq!(app.text(&format!("SELECT method FROM consent_records WHERE booking_id = '{staff_id}'")).await, "verbal");
        assert_eq!(app.text(&format!("SELECT recorded_by FROM consent_records WHERE booking_id = '{staff_id}'")).await, owner_id);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM bookings b WHERE NOT EXISTS (SELECT 1 FROM consent_records c WHERE c.booking_id = b.id)").await, 0);
        let version = app.text("SELECT DISTINCT text_version FROM consent_records").await;
        assert_eq!(version, app::server::bookings::CONSENT_TEXT_VERSION);

        // The texts cannot be changed or removed.
        for sql in ["UPDATE consent_texts SET body = 'changed'", "DELETE FROM consent_texts"] {
            let outcome = if app.db.url.starts_with("sqlite:") {
                use sqlx::Connection;
                let mut c = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
                sqlx::query(sql).execute(&mut c).await.map(|_| ())
            } else {
                use sqlx::Connection;
                let mut c = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
                sqlx::query(sql).execute(&mut c).await.map(|_| ())
            };
            assert!(outcome.is_err(), "{sql} must fail");
        }
        // /privacy shows the current text; the booking form links to it.
        for (lang, words) in [("en", "I agree to the processing"), ("ru", "Я согласен(на)")] {
            let page = app.client.get(app.url("/privacy")).header("accept-language", lang).send().await.unwrap();
            assert_eq!(page.status(), 200);
            let html = page.text().await.unwrap();
            assert!(html.contains(words), "{lang}");
            assert!(html.contains(&version));
            assert!(html.contains("2555"));
            assert!(!html.contains(".wasm"), "a guest page");
        }
        let form = app.get(&format!("/book/studio_a?date={}&start={}", common::date_ahead(5), at(5, 12).replace('+', "%2B"))).await.text().await.unwrap();
        assert!(form.contains("href=\"/privacy\""));
    }

    async fn a_client_can_be_exported_and_erased_without_changing_the_books(app) {
        let token = app.owner(PASSWORD).await;
        let a = guest_book(&app, 3, 12, &ZINA).await;
        let b = guest_book(&app, 4, 12, &ZINA).await;
        let (_, other) = send(&app, Method::POST, Some(&token), "/api/v1/bookings", Some(staff_booking(5, 12, &AURELIO, true))).await;
        move_through(&app, &token, a["id"].as_str().unwrap(), &["confirmed", "in_progress", "completed"]).await;
        move_through(&app, &token, other["id"].as_str().unwrap(), &["in_progress", "completed"]).await;
        send(&app, Method::PUT, Some(&token), &format!("/api/v1/clients/{}/notes", ZINA.e164), Some(json!({"notes": "likes tea"}))).await;

        let (status, export) = send(&app, Method::GET, Some(&token), &format!("/api/v1/clients/{}/export?reason=request%20of%2028%20Nov", ZINA.e164), None).await;
        assert_eq!(status, 200, "{export}");
        assert_eq!(export["client_phone"], ZINA.e164);
        assert_eq!(export["bookings"].as_array().unwrap().len(), 2);
        assert_eq!(export["bookings"][0]["client_name"], ZINA.name);
        assert_eq!(export["bookings"][0]["client_email"], ZINA.email);
        assert_eq!(export["bookings"][0]["special_requirements"], ZINA.wishes);
        assert_eq!(export["consents"].as_array().unwrap().len(), 2);
        assert_eq!(export["consents"][0]["user_agent"], AGENT);
        assert_eq!(export["consents"][0]["method"], "web_form");
        assert_eq!(export["staff_notes"], "likes tea");
        assert!(export["state_history"].as_array().unwrap().len() >= 4);
        assert!(export["audit_entries"].as_array().unwrap().iter().any(|e| e["action"] == "client_notes_changed"));
        assert!(!export.to_string().contains(AURELIO.name), "only this client");
        let exported = app.text("SELECT details FROM audit_log WHERE action = 'client_data_exported'").await;
        assert!(exported.contains("request of 28 Nov"));

        let (_, before) = send(&app, Method::GET, Some(&token), &format!("/api/v1/analytics/summary?from={}&to={}", common::date_ahead(0), common::date_ahead(10)), None).await;
        let (status, refused) = send(&app, Method::POST, Some(&token), &format!("/api/v1/clients/{}/erase", ZINA.e164), Some(json!({}))).await;
        assert_eq!((status, refused["error"]["fields"]["reason"]["code"].as_str()), (422, Some("invalid_reason")));
        let (status, erased) = send(&app, Method::POST, Some(&token), &format!("/api/v1/clients/{}/erase", ZINA.e164), Some(json!({"reason": "client's written request"}))).await;
        assert_eq!(status, 200, "{erased}");
        assert_eq!(erased["bookings_anonymised"], 2);

        for q in [ZINA.e164, "квази", ZINA.email] {
            assert_eq!(search(&app, &token, "/api/v1/bookings", q).await["total"], 0, "{q}");
        }
        assert_eq!(send(&app, Method::GET, Some(&token), &format!("/api/v1/clients/{}", ZINA.e164), None).await.0, 404);
        assert_eq!(search(&app, &token, "/api/v1/clients", "").await["total"], 1, "Aurelio stays");
        // The books do not change: the bookings are there, without the person.
        let (_, after) = send(&app, Method::GET, Some(&token), &format!("/api/v1/analytics/summary?from={}&to={}", common::date_ahead(0), common::date_ahead(10)), None).await;
        assert_eq!(before["totals"], after["totals"]);
        let (_, kept) = send(&app, Method::GET, Some(&token), &format!("/api/v1/bookings/{}", b["id"].as_str().unwrap()), None).await;
        assert_eq!((kept["client_name"].as_str(), kept["client_email"].as_str()), (Some(""), None));
        assert_eq!(kept["total_price"], b["total_price"]);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM client_profiles").await, 0);
        assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM {NAME_ROWS} ci JOIN bookings b ON b.id = ci.booking_id WHERE b.anonymised_at IS NOT NULL")).await, 0);
        let details = app.text("SELECT details FROM audit_log WHERE action = 'client_data_erased'").await;
        assert!(details.contains("client's written request"));
        assert!(!details.contains(ZINA.e164));
        assert_absent(&raw_database(&app).await, &secrets_of(&ZINA));
        assert_client_base_kept(&app).await;
        assert!(matches!(app::server::audit::verify(&app.state.store).await.unwrap(), app::server::audit::Verification::Intact { .. }));
    }

    async fn guests_ask_from_their_manage_link_and_staff_answer_by_the_due_date(app) {
        let (token, manager) = {
            let owner = app.owner(PASSWORD).await;
            let (status, body) = send(&app, Method::POST, Some(&owner), "/api/v1/employees", Some(json!({"username": "maria", "email": "maria@studio.ru", "full_name": "Maria", "role": "manager"}))).await;
            assert_eq!(status, 201, "{body}");
            let temporary = body["temporary_password"].as_str().unwrap().to_owned();
            let m = app.access_token("maria", &temporary).await;
            let (status, _) = send(&app, Method::POST, Some(&m), "/api/v1/auth/password", Some(json!({"current_password": temporary, "new_password": "a passphrase of her very own"}))).await;
            assert_eq!(status, 204);
            (owner, m)
        };
        let booking = guest_book(&app, 3, 12, &ZINA).await;
        let manage = booking["manage_url"].as_str().unwrap();
        let path = &manage[manage.find("/booking/").unwrap()..];
        let res = app.client.post(app.url(&format!("{path}/data-request"))).form(&[("kind", "erase")]).send().await.unwrap();
        assert_eq!(res.status(), 303);
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.ends_with("?requested=erase"), "{location}");
        let page = app.client.get(app.url(&location)).header("accept-language", "en").send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Your request to delete your data is registered"));
        // Asking twice makes one request.
        app.client.post(app.url(&format!("{path}/data-request"))).form(&[("kind", "erase")]).send().await.unwrap();
        let bad = app.client.post(app.url("/booking/not-a-token/data-request")).form(&[("kind", "erase")]).send().await.unwrap();
        assert_eq!(bad.status(), 303);

        assert_eq!(send(&app, Method::GET, Some(&manager), "/api/v1/data-requests", None).await.0, 403);
        let (status, list) = send(&app, Method::GET, Some(&token), "/api/v1/data-requests", None).await;
        assert_eq!(status, 200, "{list}");
        let requests = list.as_array().unwrap();
        assert_eq!(requests.len(), 1);
        let r = &requests[0];
        assert_eq!((r["kind"].as_str(), r["status"].as_str(), r["client_phone"].as_str()), (Some("erase"), Some("open"), Some(ZINA.e164)));
        let made = chrono::DateTime::parse_from_rfc3339(r["created_at"].as_str().unwrap()).unwrap().with_timezone(&chrono::Utc);
        let due = chrono::DateTime::parse_from_rfc3339(r["due_at"].as_str().unwrap()).unwrap().with_timezone(&chrono::Utc);
        assert_eq!(due, app::server::privacy::working_days_after(made, 10));
        assert!((12..=14).contains(&(due - made).num_days()), "10 working days are two calendar weeks (less a day from a weekend)");
        let id = r["id"].as_str().unwrap();
        let (status, _) = send(&app, Method::POST, Some(&token), &format!("/api/v1/data-requests/{id}/close"), Some(json!({"resolution": ""}))).await;
        assert_eq!(status, 422);
        let (status, closed) = send(&app, Method::POST, Some(&token), &format!("/api/v1/data-requests/{id}/close"), Some(json!({"resolution": "erased, client told by phone"}))).await;
        assert_eq!(status, 200, "{closed}");
        assert_eq!(closed["status"], "closed");
        assert_eq!(send(&app, Method::POST, Some(&token), &format!("/api/v1/data-requests/{id}/close"), Some(json!({"resolution": "again"}))).await.0, 409);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action IN ('data_request_made', 'data_request_closed')").await, 2);
    }

    async fn retention_anonymises_old_bookings_and_purges_old_audit_entries(app) {
        let token = app.owner(PASSWORD).await;
        let (status, _) = send(&app, Method::GET, Some(&token), "/api/v1/settings", None).await;
        assert_eq!(status, 200);
        app.exec("UPDATE studio_settings SET retention_days = 30").await;
        let old = guest_book(&app, 1, 12, &ZINA).await;
        let recent = guest_book(&app, 60, 12, &AURELIO).await;
        move_through(&app, &token, old["id"].as_str().unwrap(), &["confirmed"]).await;
        let ends = chrono::DateTime::parse_from_rfc3339(old["end_time"].as_str().unwrap()).unwrap().timestamp();
        // The clock of the run: 31 days after the first booking ended.
        let now = ends + 31 * 86_400;
        let store = &app.state.store;
        let audit_before = app.scalar("SELECT COUNT(*) FROM audit_log").await;
        assert!(audit_before >= 2);

        let dry = app::server::privacy::run_retention(store, now, true).await.unwrap();
        assert_eq!((dry.bookings_anonymised, dry.dry_run), (1, true));
        assert_eq!(app.scalar("SELECT COUNT(*) FROM bookings WHERE anonymised_at IS NOT NULL").await, 0, "a dry run changes nothing");
        let run = app::server::privacy::run_retention(store, now, false).await.unwrap();
        assert_eq!(run.retention_days, 30);
        assert_eq!(run.bookings_anonymised, 1);
        assert_eq!(run.audit_entries_purged as i64, audit_before - 1, "all but the chain's head were older");
        let old_id = old["id"].as_str().unwrap();
        assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM bookings WHERE id = '{old_id}' AND anonymised_at IS NOT NULL AND client_phone_bidx IS NULL")).await, 1);
        assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM bookings WHERE id = '{}' AND anonymised_at IS NULL", recent["id"].as_str().unwrap())).await, 1);
        assert_eq!(search(&app, &token, "/api/v1/bookings", ZINA.e164).await["total"], 0);
        assert_eq!(search(&app, &token, "/api/v1/bookings", AURELIO.e164).await["total"], 1);
        assert_client_base_kept(&app).await;
        let entry = app.text("SELECT details FROM audit_log WHERE action = 'retention_run'").await;
        let entry: Value = serde_json::from_str(&entry).unwrap();
        assert_eq!(entry["bookings_anonymised"], 1);
        // The chain that is left verifies, keeps growing, and still shows a
        // deletion.
        use app::server::audit::{verify, Verification};
        assert!(matches!(verify(store).await.unwrap(), Verification::Intact { .. }), "{:?}", verify(store).await);
        move_through(&app, &token, recent["id"].as_str().unwrap(), &["confirmed"]).await;
        assert!(matches!(verify(store).await.unwrap(), Verification::Intact { .. }));
        app.exec("DELETE FROM audit_log WHERE id = (SELECT MIN(id) FROM audit_log)").await;
        assert!(matches!(verify(store).await.unwrap(), Verification::Broken { .. }));
        // The daily job runs it once a day however many instances look.
        app.exec("DELETE FROM studio_meta WHERE key = 'retention_last_run'").await;
        assert!(app::server::privacy::retention_if_due(store).await.unwrap().is_none(), "a new database starts the clock");
        app.exec("UPDATE studio_meta SET value = '0' WHERE key = 'retention_last_run'").await;
        assert!(app::server::privacy::retention_if_due(store).await.unwrap().is_some());
        assert!(app::server::privacy::retention_if_due(store).await.unwrap().is_none());
    }
}

/// A second server (or a tool) on the same database with other settings.
async fn store_with(db: &TestDb, overrides: &[(&str, &str)]) -> app::server::Store {
    let mut env = db.env();
    for (k, v) in overrides {
        env.insert((*k).into(), (*v).into());
    }
    let config = server::config::Config::from_lookup(|k| env.get(k).cloned()).unwrap();
    server::open_store(&config).await.unwrap()
}

fn b64(bytes: [u8; 32]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn rotation(db: Db) {
    let (k1, k2) = (b64([11; 32]), b64([22; 32]));
    let app = TestApp::spawn_with(db, &[("STUDIO_DATA_KEY", &k1)]).await;
    let token = app.owner(PASSWORD).await;
    guest_book(&app, 3, 12, &ZINA).await;
    send(
        &app,
        Method::PUT,
        Some(&token),
        &format!("/api/v1/clients/{}/notes", ZINA.e164),
        Some(json!({"notes": "rotating"})),
    )
    .await;
    let kid = |store: &app::server::Store| store.vault().unwrap().current_key_id().to_owned();
    let old_kid = kid(&app.state.store);
    // An interrupted rotation: an instance on the new key already wrote.
    let new = store_with(
        &app.db,
        &[("STUDIO_DATA_KEY", &k2), ("STUDIO_DATA_KEY_PREVIOUS", &k1)],
    )
    .await;
    let new_kid = kid(&new);
    assert_ne!(old_kid, new_kid);
    let state = app::server::AppState::new(app::server::AppStateInner {
        store: new.clone(),
        ..(*app.state).clone()
    });
    let req = app::domain::booking::GuestBookingRequest {
        space: "studio_a".into(),
        start_time: at(4, 12),
        end_time: at(4, 13),
        people_count: 1,
        client_name: AURELIO.name.into(),
        client_phone: AURELIO.phone.into(),
        client_email: None,
        special_requirements: None,
        equipment: Vec::new(),
        promo_code: None,
        consent: true,
        website: None,
    };
    let meta = app::server::bookings::RequestMeta {
        ip: "198.51.100.7".into(),
        user_agent: AGENT.into(),
        locale: Default::default(),
    };
    app::server::bookings::create_guest_booking(&state, &req, &meta)
        .await
        .unwrap();
    let (status, _) = send(
        &app,
        Method::POST,
        Some(&token),
        "/api/v1/bookings",
        Some(staff_booking(5, 12, &AURELIO, true)),
    )
    .await;
    assert_eq!(status, 201);
    let sealed_with =
        |k: &str| format!("SELECT COUNT(*) FROM bookings WHERE client_name LIKE 'pii1.{k}.%'");
    assert_eq!(app.scalar(&sealed_with(&old_kid)).await, 2);
    assert_eq!(app.scalar(&sealed_with(&new_kid)).await, 1);

    let done = app::server::privacy::rotate(&new).await.unwrap();
    assert_eq!(
        (done.bookings, done.consents, done.client_notes),
        (2, 2, 1),
        "only what the old key sealed"
    );
    for table_column in [
        "bookings WHERE client_name",
        "bookings WHERE client_phone",
        "consent_records WHERE ip",
        "client_profiles WHERE notes",
    ] {
        let stale = app
            .scalar(&format!(
                "SELECT COUNT(*) FROM {table_column} NOT LIKE 'pii1.{new_kid}.%'"
            ))
            .await;
        assert_eq!(stale, 0, "{table_column}");
    }
    // Run again: nothing left to do.
    let again = app::server::privacy::rotate(&new).await.unwrap();
    assert_eq!(
        (again.bookings, again.consents, again.client_notes),
        (0, 0, 0)
    );
    // A server with the new key alone reads everything.
    let only_new = store_with(&app.db, &[("STUDIO_DATA_KEY", &k2)]).await;
    let state = app::server::AppState::new(app::server::AppStateInner {
        store: only_new,
        ..(*app.state).clone()
    });
    let query = app::domain::board::BookingQuery {
        q: Some(ZINA.e164.into()),
        ..Default::default()
    };
    let found = app::server::staff_bookings::list(&state, &query)
        .await
        .unwrap();
    assert_eq!(found.total, 1, "the indexes do not change with the key");
    assert_eq!(found.items[0].client_name, ZINA.name);
    let clients = app::server::clients::list(&state, &Default::default())
        .await
        .unwrap();
    assert_eq!(clients.total, 2);
    assert!(clients
        .items
        .iter()
        .any(|c| c.name == ZINA.name && c.notes == "rotating"));
    let sorted = app::server::staff_bookings::list(
        &state,
        &app::domain::board::BookingQuery {
            sort: Some("client_name".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(sorted.total, 3);
    // And one without it cannot, and says so without leaking anything.
    let wrong = store_with(&app.db, &[("STUDIO_DATA_KEY", &k1)]).await;
    let state = app::server::AppState::new(app::server::AppStateInner {
        store: wrong,
        ..(*app.state).clone()
    });
    assert!(app::server::clients::list(&state, &Default::default())
        .await
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_reseals_everything_resumably_sqlite() {
    common::within_time(rotation(Db::Sqlite)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_reseals_everything_resumably_postgres() {
    common::within_time(rotation(Db::Postgres)).await
}

/// A database as the release before encryption left it: schema 0009, the
/// default studio, and personal data in clear, written with that release's
/// own statements.
async fn clear_database(db: Db) -> TestDb {
    let test_db = TestDb::new(db).await;
    let dir = format!(
        "{}/../migrations/{}",
        env!("CARGO_MANIFEST_DIR"),
        if db == Db::Sqlite {
            "sqlite"
        } else {
            "postgres"
        }
    );
    let mut migrator = sqlx::migrate::Migrator::new(std::path::Path::new(&dir))
        .await
        .unwrap();
    migrator.migrations = migrator
        .migrations
        .iter()
        .filter(|m| m.version <= 9)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    // Creates the SQLite file (no migrations of its own).
    let store = app::server::Store::connect(&test_db.url, 2).await.unwrap();
    match db {
        Db::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&test_db.url).await.unwrap();
            migrator.run(&pool).await.unwrap();
        }
        Db::Postgres => {
            let pool = sqlx::PgPool::connect(&test_db.url).await.unwrap();
            migrator.run(&pool).await.unwrap();
        }
    }
    // The studio as that release seeded it (today's seeding writes today's
    // columns): its spaces had one description, in English.
    test_db
        .exec(
            "INSERT INTO studio_settings (id, name, time_zone, created_at, updated_at) \
             VALUES (1, 'Studio', 'Europe/Moscow', 1, 1)",
        )
        .await;
    for weekday in 1..=7 {
        test_db
            .exec(&format!(
                "INSERT INTO working_hours (weekday, opens_at, closes_at) VALUES ({weekday}, 540, 1260)"
            ))
            .await;
    }
    test_db
        .exec(
            "INSERT INTO spaces (id, slug, name, description, capacity, hourly_price, included_people, \
             extra_person_price, active, sort_order, created_at, updated_at) VALUES \
             ('space-a', 'studio_a', 'Studio A', 'Bright daylight hall with a white cyclorama.', 10, 250000, 4, 30000, TRUE, 1, 1, 1), \
             ('space-b', 'studio_b', 'Studio B', '', 6, 180000, 3, 25000, TRUE, 2, 1, 1)",
        )
        .await;
    store.close().await;
    let space = test_db
        .text("SELECT id FROM spaces WHERE slug = 'studio_a'")
        .await;
    for (i, p) in [&ZINA, &AURELIO].into_iter().enumerate() {
        let start = 1_900_000_000 + i as i64 * 86_400;
        test_db.exec(&format!(
            "INSERT INTO bookings (id, reference, space_id, starts_at, ends_at, blocked_until, people_count, \
             client_name, client_phone, client_phone_display, client_email, special_requirements, promo_code, \
             price_base, price_equipment, price_extra_people, price_discount, price_total, source, state, \
             created_at, updated_at, notes, internal_notes, payment_status, created_by, updated_by, locale) \
             VALUES ('old-{i}', 'REF-OLD-{i}', '{space}', {start}, {end}, {end}, 2, '{name}', '{e164}', '{phone}', '{email}', \
             '{wishes}', NULL, 250000, 0, 0, 0, 250000, 'website', 'pending', {start}, {start}, '', 'Internal-Note-Quokka', \
             'unpaid', NULL, NULL, 'ru')",
            end = start + 7200, name = p.name, e164 = p.e164, phone = p.phone, email = p.email, wishes = p.wishes
        )).await;
        test_db
            .exec(&format!(
            "INSERT INTO consent_records (id, booking_id, text_version, given_at, ip, user_agent) \
             VALUES ('c-{i}', 'old-{i}', '2026-11-21', {start}, '203.0.113.{i}', '{AGENT}')"
        ))
            .await;
    }
    test_db.exec(&format!(
        "INSERT INTO client_notes (phone, notes, updated_at, updated_by) VALUES ('{}', 'Notes-About-Zina-Wombat', 1, NULL)",
        ZINA.e164
    )).await;
    test_db
}

async fn upgrade(db: Db) {
    let test_db = clear_database(db).await;
    assert_eq!(
        test_db
            .scalar(&format!(
                "SELECT COUNT(*) FROM bookings WHERE client_phone = '{}'",
                ZINA.e164
            ))
            .await,
        1
    );
    // A crash half-way through an earlier upgrade: the schema is new and
    // one booking was sealed already.
    let half = store_with(&test_db, &[]).await;
    let vault = half.vault().unwrap();
    let sealed_name = vault.seal(ZINA.name);
    let sealed_row = format!(
        "UPDATE bookings SET client_name = '{sealed_name}', client_phone = '{}', client_phone_display = '{}', client_email = '{}', \
         special_requirements = '{}', notes = '{}', internal_notes = '{}', client_phone_bidx = '{}', client_email_bidx = '{}' WHERE id = 'old-0'",
        vault.seal(ZINA.e164), vault.seal(ZINA.phone), vault.seal(ZINA.email), vault.seal(ZINA.wishes), vault.seal(""),
        vault.seal("Internal-Note-Quokka"), vault.phone_index(ZINA.e164), vault.email_index(ZINA.email)
    );
    half.close().await;
    // `store_with` already upgraded everything: undo it for the second
    // booking, as if the crash came first.
    test_db.exec(&format!(
        "UPDATE bookings SET client_name = '{}', client_phone = '{}', client_phone_display = '{}', client_email = '{}', \
         special_requirements = '{}', client_phone_bidx = NULL, client_email_bidx = NULL WHERE id = 'old-1'",
        AURELIO.name, AURELIO.e164, AURELIO.phone, AURELIO.email, AURELIO.wishes
    )).await;
    test_db.exec(&sealed_row).await;
    test_db.exec(&format!("UPDATE consent_records SET ip = '203.0.113.1', user_agent = '{AGENT}' WHERE id = 'c-1'")).await;
    test_db.exec(&format!(
        "INSERT INTO client_notes (phone, notes, updated_at, updated_by) VALUES ('{}', 'Notes-About-Aurelio-Ibis', 1, NULL)",
        AURELIO.e164
    )).await;
    let app = TestApp::spawn_on(test_db, &[]).await;
    assert_eq!(
        app.text("SELECT client_name FROM bookings WHERE id = 'old-0'")
            .await,
        sealed_name,
        "sealed rows stay as they are"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM bookings WHERE client_phone_bidx IS NULL")
            .await,
        0
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM client_notes").await, 0);
    // The one-language description became the English text of the space.
    let details: Value = serde_json::from_str(
        &app.text("SELECT details FROM spaces WHERE slug = 'studio_a'")
            .await,
    )
    .unwrap();
    assert_eq!(
        details["description"]["en"],
        "Bright daylight hall with a white cyclorama."
    );
    assert_eq!(
        app.text("SELECT details FROM spaces WHERE slug = 'studio_b'")
            .await,
        "{}"
    );
    // The client base counts the rows sealed at start-up too.
    assert_client_base_kept(&app).await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM client_stats").await, 2);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM consent_records WHERE ip NOT LIKE 'pii1.%' OR user_agent NOT LIKE 'pii1.%'").await, 0);
    let mut needles = secrets_of(&ZINA);
    needles.extend(secrets_of(&AURELIO));
    needles.extend([
        "Notes-About-Zina-Wombat",
        "Notes-About-Aurelio-Ibis",
        "Internal-Note-Quokka",
        AGENT,
        "203.0.113.",
    ]);
    assert_absent(&raw_database(&app).await, &needles);
    let token = app.owner(PASSWORD).await;
    let zina = search(&app, &token, "/api/v1/clients", "квазимодова").await;
    assert_eq!(zina["items"][0]["notes"], "Notes-About-Zina-Wombat");
    assert_eq!(
        search(&app, &token, "/api/v1/bookings", AURELIO.email).await["total"],
        1
    );
    let aurelio = search(&app, &token, "/api/v1/clients", "aurelio").await;
    assert_eq!(aurelio["items"][0]["notes"], "Notes-About-Aurelio-Ibis");
    // Starting again finds nothing left to seal.
    assert_eq!(
        app::server::privacy::seal_clear_data(&app.state.store)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clear_database_of_the_previous_release_is_sealed_in_place_sqlite() {
    common::within_time(upgrade(Db::Sqlite)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clear_database_of_the_previous_release_is_sealed_in_place_postgres() {
    common::within_time(upgrade(Db::Postgres)).await
}
