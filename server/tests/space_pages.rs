//! The studio's own booking site: what guests read about each space (in
//! their language), its photos (resized, served with long cache headers),
//! the logo, and the rules, payment terms and cancellation policy before
//! booking and on the confirmation; on both backends.

mod common;
use chrono::{Duration, Utc};
use common::{send, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

const PASSWORD: &str = "north light over the river";

/// The page as a reader sees it: without the scripts (the resources
/// Leptos serialises hold both languages) and hydration markers.
async fn page(app: &TestApp, path: &str, lang: &str) -> String {
    let html = app.page(path, lang).await;
    let mut shown = String::new();
    let mut rest = html.as_str();
    while let Some(at) = rest.find("<script") {
        shown.push_str(&rest[..at]);
        rest = rest[at..]
            .find("</script>")
            .map_or("", |end| &rest[at + end + 9..]);
    }
    shown.push_str(rest);
    shown.replace("<!>", "")
}

async fn space(app: &TestApp, token: &str, slug: &str) -> Value {
    let (status, spaces) = send(app, Method::GET, Some(token), "/api/v1/spaces", None).await;
    assert_eq!(status, 200, "{spaces}");
    spaces
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["slug"] == slug)
        .cloned()
        .unwrap()
}

/// A photo-like PNG: `w` x `h`, a gradient (so the encoders have work).
fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 128])
    });
    let mut out = Vec::new();
    image::DynamicImage::from(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

async fn upload(
    app: &TestApp,
    token: &str,
    path: &str,
    method: Method,
    body: Vec<u8>,
) -> (u16, Value) {
    let res = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .header("content-type", "image/png")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn day(days: i64) -> String {
    (Utc::now() + Duration::hours(3) + Duration::days(days))
        .date_naive()
        .to_string()
}

both_backends! {
    async fn each_space_page_speaks_the_guests_language(app) {
        let token = app.owner(PASSWORD).await;
        // The seeded spaces have a description in both languages.
        assert!(page(&app, "/", "ru").await.contains("Светлый зал с дневным светом"));
        assert!(page(&app, "/", "en").await.contains("Bright daylight hall"));

        let mut a = space(&app, &token, "studio_a").await;
        let id = a["id"].as_str().unwrap().to_owned();
        a["description"] = json!({"ru": "Циклорама 6 на 4 метра и окна в пол.", "en": "A 6 by 4 metre cyclorama and floor-to-ceiling windows."});
        a["included"] = json!({"ru": "Белая циклорама\n- Два импульсных источника\nСтойки и отражатели", "en": "White cyclorama\nTwo strobes"});
        a["area_m2"] = json!(80);
        a["ceiling_cm"] = json!(450);
        let (status, saved) = send(&app, Method::PUT, Some(&token), &format!("/api/v1/spaces/{id}"), Some(a.clone())).await;
        assert_eq!(status, 200, "{saved}");
        assert_eq!(saved["area_m2"], 80);
        assert_eq!(saved["included"]["en"], "White cyclorama\nTwo strobes");

        let ru = page(&app, "/book/studio_a", "ru").await;
        assert!(ru.contains("Циклорама 6 на 4 метра") && !ru.contains("floor-to-ceiling"), "the Russian text on the Russian page");
        assert!(ru.contains("Входит в стоимость"));
        let included = &ru[ru.find("data-included").unwrap()..];
        let included = &included[..included.find("</ul>").unwrap()];
        assert_eq!(included.matches("<li>").count(), 3, "{included}");
        assert!(included.contains("<li>Два импульсных источника</li>"), "list marks are not shown twice: {included}");
        assert!(ru.contains("80 м²") && ru.contains("4,5 м"), "area and ceiling as people write them");
        let en = page(&app, "/book/studio_a", "en").await;
        assert!(en.contains("floor-to-ceiling windows") && en.contains("4.5 m") && en.contains("80 m²"));
        assert!(page(&app, "/", "ru").await.contains("80 м²"), "the home page card says the area");

        // Bad values are refused by field, and nothing is written.
        let mut bad = a.clone();
        bad["area_m2"] = json!(0);
        bad["ceiling_cm"] = json!(90);
        bad["description"] = json!({"ru": "я".repeat(2001), "en": ""});
        let (status, err) = send(&app, Method::PUT, Some(&token), &format!("/api/v1/spaces/{id}"), Some(bad)).await;
        assert_eq!(status, 422, "{err}");
        for field in ["area_m2", "ceiling_cm", "description_ru"] {
            assert!(err["error"]["fields"][field].is_object(), "{field}: {err}");
        }
        assert_eq!(space(&app, &token, "studio_a").await["area_m2"], 80);

        // A client of the old API sending one plain description: taken as the Russian text.
        let mut old = space(&app, &token, "studio_b").await;
        let b = old["id"].as_str().unwrap().to_owned();
        old["description"] = json!("Кирпичные стены");
        let (status, saved) = send(&app, Method::PUT, Some(&token), &format!("/api/v1/spaces/{b}"), Some(old)).await;
        assert_eq!(status, 200, "{saved}");
        assert_eq!(saved["description"], json!({"ru": "Кирпичные стены", "en": ""}));
        assert!(page(&app, "/", "en").await.contains("Кирпичные стены"), "no English text yet: the Russian one rather than none");
    }

    async fn photos_are_resized_cached_and_shown_with_their_alt_texts(app) {
        let token = app.owner(PASSWORD).await;
        let a = space(&app, &token, "studio_a").await;
        let id = a["id"].as_str().unwrap();
        let path = format!("/api/v1/spaces/{id}/photos?alt_ru=%D0%A6%D0%B8%D0%BA%D0%BB%D0%BE%D1%80%D0%B0%D0%BC%D0%B0&alt_en=The%20cyclorama");
        let (status, photo) = upload(&app, &token, &path, Method::POST, png(2400, 1600)).await;
        assert_eq!(status, 201, "{photo}");
        assert_eq!(photo["widths"], json!([480, 960, 1600]));
        assert_eq!((photo["width"].as_u64(), photo["height"].as_u64()), (Some(1600), Some(1067)));
        let photo_id = photo["id"].as_str().unwrap().to_owned();

        for (file, content_type, format, width) in [
            ("480.webp", "image/webp", image::ImageFormat::WebP, 480),
            ("960.jpg", "image/jpeg", image::ImageFormat::Jpeg, 960),
            ("1600.webp", "image/webp", image::ImageFormat::WebP, 1600),
        ] {
            let res = app.get(&format!("/media/{photo_id}/{file}")).await;
            assert_eq!(res.status(), 200, "{file}");
            assert_eq!(res.headers()["content-type"], content_type);
            assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
            let bytes = res.bytes().await.unwrap();
            assert_eq!(image::guess_format(&bytes).unwrap(), format, "{file}");
            let img = image::load_from_memory(&bytes).unwrap();
            assert_eq!(img.width(), width, "{file}");
        }
        assert!(app.get(&format!("/media/{photo_id}/2400.jpg")).await.status() == 404, "never enlarged, never the original");
        assert_eq!(app.get("/media/nope/480.webp").await.status(), 404);

        let ru = page(&app, "/book/studio_a", "ru").await;
        assert!(ru.contains(&format!("/media/{photo_id}/480.webp 480w")), "a srcset of WebP sizes");
        assert!(ru.contains(&format!("/media/{photo_id}/1600.jpg 1600w")), "and of JPEG sizes");
        assert!(ru.contains("alt=\"Циклорама\""));
        assert!(page(&app, "/book/studio_a", "en").await.contains("alt=\"The cyclorama\""));
        assert!(page(&app, "/", "ru").await.contains(&format!("/media/{photo_id}/")), "the first photo is the card's cover");
        let (_, public) = send(&app, Method::GET, None, "/api/v1/public/spaces", None).await;
        assert_eq!(public[0]["photos"][0]["id"], photo_id.as_str());

        // A small photo is stored at its own width only.
        let (status, small) = upload(&app, &token, &format!("/api/v1/spaces/{id}/photos"), Method::POST, png(300, 200)).await;
        assert_eq!(status, 201, "{small}");
        assert_eq!(small["widths"], json!([300]));

        // What is not a photo, an unknown space, a manager: refused.
        let (status, err) = upload(&app, &token, &format!("/api/v1/spaces/{id}/photos"), Method::POST, b"not an image".to_vec()).await;
        assert_eq!(status, 422);
        assert_eq!(err["error"]["fields"]["file"]["code"], "invalid_image");
        let (status, _) = upload(&app, &token, "/api/v1/spaces/nope/photos", Method::POST, png(10, 10)).await;
        assert_eq!(status, 404);
        let (status, _) = upload(&app, &token, &format!("/api/v1/spaces/{id}/photos"), Method::POST, Vec::new()).await;
        assert_eq!(status, 422);
        // Past 20 MB the body is not read: the same field error, in JSON.
        let (status, err) = upload(&app, &token, &format!("/api/v1/spaces/{id}/photos"), Method::POST, vec![0; 20 * 1024 * 1024 + 1]).await;
        assert_eq!(status, 422, "{err}");
        assert_eq!(err["error"]["fields"]["file"]["code"], "file_too_large");

        // Deleted: gone from the page and from /media.
        let (status, _) = send(&app, Method::DELETE, Some(&token), &format!("/api/v1/photos/{photo_id}"), None).await;
        assert_eq!(status, 204);
        assert_eq!(app.get(&format!("/media/{photo_id}/480.webp")).await.status(), 404);
        assert!(!page(&app, "/book/studio_a", "ru").await.contains(&photo_id));
        assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM image_files WHERE image_id = '{photo_id}'")).await, 0);
        let (status, _) = send(&app, Method::DELETE, Some(&token), &format!("/api/v1/photos/{photo_id}"), None).await;
        assert_eq!(status, 404);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action IN ('photo_added', 'photo_deleted')").await, 3);
    }

    async fn the_logo_replaces_the_mark_in_the_guest_header(app) {
        let token = app.owner(PASSWORD).await;
        assert!(!page(&app, "/", "ru").await.contains("brand__logo"));
        let (status, logo) = upload(&app, &token, "/api/v1/settings/logo", Method::PUT, png(600, 200)).await;
        assert_eq!(status, 200, "{logo}");
        assert_eq!(logo["widths"], json!([160, 320]));
        let (status, second) = upload(&app, &token, "/api/v1/settings/logo", Method::PUT, png(200, 100)).await;
        assert_eq!(status, 200);
        assert_eq!(second["widths"], json!([160, 200]));
        let html = page(&app, "/book/studio_a", "ru").await;
        assert!(html.contains("brand__logo") && html.contains(second["id"].as_str().unwrap()));
        assert!(!html.contains(logo["id"].as_str().unwrap()), "one logo: the new one replaced the old");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM images WHERE kind = 'logo'").await, 1);
        assert_eq!(send(&app, Method::DELETE, Some(&token), "/api/v1/settings/logo", None).await.0, 204);
        assert!(!page(&app, "/", "ru").await.contains("brand__logo"));
    }

    async fn rules_payment_and_cancellation_show_before_booking_and_on_the_confirmation(app) {
        let token = app.owner(PASSWORD).await;
        let contacts = json!({
            "rules": {"ru": "Сменная обувь обязательна.\nБез еды на циклораме.", "en": "Bring clean shoes.\nNo food on the cyclorama."},
            "payment": {"ru": "Картой или наличными на месте, до начала съёмки.", "en": "By card or cash at the studio before the shoot."}
        });
        let (status, saved) = send(&app, Method::PUT, Some(&token), "/api/v1/settings/contacts", Some(contacts)).await;
        assert_eq!(status, 200, "{saved}");
        let (status, err) = send(&app, Method::PUT, Some(&token), "/api/v1/settings/contacts",
            Some(json!({"rules": {"ru": "я".repeat(4001)}}))).await;
        assert_eq!(status, 422);
        assert_eq!(err["error"]["fields"]["rules_ru"]["code"], "too_long");

        let ru = page(&app, "/book/studio_a", "ru").await;
        assert!(ru.contains("Правила студии") && ru.contains("Сменная обувь обязательна.") && ru.contains("<p>Без еды на циклораме.</p>"));
        assert!(ru.contains("Как оплатить") && ru.contains("Картой или наличными"));
        assert!(ru.contains("не позднее чем за 24 часа"), "the cancellation policy with a Russian plural");
        assert!(ru.contains("data-terms=\"cancellation\""));
        let en = page(&app, "/book/studio_a", "en").await;
        assert!(en.contains("Bring clean shoes.") && en.contains("up to 24 hours"));
        assert!(!page(&app, "/", "ru").await.contains("Сменная обувь"), "the footer is for contacts, not rules");

        // The confirmation: how to pay first, then the policy and rules.
        let date = day(3);
        let form = [
            ("date", date.clone()), ("start", format!("{date}T10:00:00+03:00")), ("hours", "1".into()),
            ("people_count", "2".into()), ("client_name", "Ольга Смирнова".into()), ("client_phone", "+7 903 555-12-34".into()),
            ("consent", "on".into()),
        ];
        let res = app.client.post(app.url("/book/studio_a")).form(&form).send().await.unwrap();
        assert_eq!(res.status(), 303);
        let manage = res.headers()["location"].to_str().unwrap().to_owned();
        let html = page(&app, &manage, "ru").await;
        let pay = html.find("data-terms=\"payment\"").expect("how to pay on the confirmation");
        let policy = html.find("data-terms=\"cancellation\"").unwrap();
        assert!(pay < policy, "how to pay comes first after booking");
        assert!(html.contains("Картой или наличными") && html.contains("Сменная обувь"));

        // Add to calendar: the event in the studio's zone, with its reference.
        let token = manage.trim_start_matches("/booking/").trim_end_matches("?new=1").to_owned();
        assert!(html.contains(&format!("href=\"/booking/{token}/calendar.ics\"")));
        let res = app.get(&format!("/booking/{token}/calendar.ics")).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/calendar; charset=utf-8");
        assert_eq!(res.headers()["cache-control"], "private, no-store");
        let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
        let ics = res.text().await.unwrap();
        assert!(ics.contains("BEGIN:VEVENT") && ics.contains(&format!("DTSTART;TZID=Europe/Moscow:{}T100000", date.replace('-', ""))), "{ics}");
        let reference = ics.lines().find(|l| l.starts_with("DESCRIPTION:")).unwrap().trim_start_matches("DESCRIPTION:").split('\\').next().unwrap().to_owned();
        assert!(reference.starts_with("REF-") && disposition.contains(&format!("{reference}.ics")), "{disposition} {reference}");
        assert_eq!(app.get("/booking/not-a-token/calendar.ics").await.status(), 404);
    }

    async fn the_settings_page_uploads_photos_through_its_server_function(app) {
        let token = app.owner(PASSWORD).await;
        let id = space(&app, &token, "studio_b").await["id"].as_str().unwrap().to_owned();
        let login = app.client.post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": "owner", "password": PASSWORD})).send().await.unwrap();
        let pair: Value = login.json().await.unwrap();
        let cookie = format!("studio_access={}; studio_refresh={}", pair["access_token"].as_str().unwrap(), pair["refresh_token"].as_str().unwrap());
        let boundary = "----studio-test-boundary";
        let mut body = Vec::new();
        for (name, value) in [("target", id.as_str()), ("alt_ru", "Лофт"), ("alt_en", "The loft")] {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"loft.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes());
        body.extend_from_slice(&png(1000, 750));
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let post = |cookie: Option<String>, body: Vec<u8>| {
            let mut req = app.client.post(app.url("/api/fn/upload_image"))
                .header("origin", app.url(""))
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .body(body);
            if let Some(c) = cookie {
                req = req.header("cookie", c);
            }
            req.send()
        };
        assert_eq!(post(None, body.clone()).await.unwrap().status(), 401);
        let res = post(Some(cookie.clone()), body).await.unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let html = page(&app, "/book/studio_b", "en").await;
        assert!(html.contains("alt=\"The loft\"") && html.contains(" 960w"), "1000 px wide: 480, 960 and 1000");
        assert!(html.contains(" 1000w"));
    }
}
