//! Server-rendered pages: the shell, languages and the friendly 404.

mod common;

both_backends! {
    async fn guest_pages_are_complete_server_pages_without_the_staff_app(app) {
        for path in ["/", "/book/studio_a", "/no/such/page"] {
            let res = app.get(path).await;
            assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
            let html = res.text().await.unwrap();
            assert!(!html.contains("/pkg/studio.js") && !html.contains(".wasm"), "{path} loads the staff app");
            assert!(!html.contains("modulepreload"), "{path}");
            assert!(html.contains("/pkg/studio.css"), "no stylesheet on {path}");
            let script = app::server::assets::guest_script();
            assert!(html.contains(&format!("<script src=\"{}\" defer", script.path)), "{path} lacks the guest script");
        }
        let html = app.get("/").await.text().await.unwrap();
        assert!(html.contains("data-space=\"studio_a\""), "spaces are not rendered into the HTML");
        assert!(html.contains("Studio A"));
    }

    async fn staff_pages_load_the_staff_app(app) {
        let html = app.get("/staff/login").await.text().await.unwrap();
        assert!(html.contains("/pkg/studio.js"), "no hydration script");
        assert!(html.contains("/pkg/studio.css"));
        assert!(!html.contains("/assets/guest."));
    }

    async fn the_guest_script_is_served_compressed_and_cached_for_a_year(app) {
        let path = &app::server::assets::guest_script().path;
        let plain = app.client.get(app.url(path)).header("accept-encoding", "identity").send().await.unwrap();
        assert_eq!(plain.status(), 200);
        assert_eq!(plain.headers()["cache-control"], "public, max-age=31536000, immutable");
        assert!(plain.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
        let text = plain.text().await.unwrap();
        assert!(text.contains("/api/v1/public/quote"));
        let br = app.client.get(app.url(path)).header("accept-encoding", "gzip, br").send().await.unwrap();
        assert_eq!(br.headers()["content-encoding"], "br");
        let bytes = br.bytes().await.unwrap();
        assert!(bytes.len() < text.len() / 2 && bytes.len() < 20_000, "{} bytes", bytes.len());
        let gz = app.client.get(app.url(path)).header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(gz.headers()["content-encoding"], "gzip");
        assert_eq!(app.get("/assets/guest.0000000000000000.js").await.status(), 404);
    }

    async fn html_and_json_are_compressed_for_clients_that_accept_it(app) {
        for path in ["/", "/api/v1/openapi.json"] {
            let res = app.client.get(app.url(path)).header("accept-encoding", "br").send().await.unwrap();
            assert_eq!(res.status(), 200);
            assert_eq!(res.headers()["content-encoding"], "br", "{path}");
        }
    }

    async fn a_visitor_without_preferences_gets_russian(app) {
        let html = app.get("/").await.text().await.unwrap();
        assert!(html.contains("<html lang=\"ru\""));
        assert!(html.contains("Наши залы"));
        assert!(html.contains("2\u{202f}500\u{a0}₽"), "the price is not formatted in Russian");
    }

    async fn the_browser_language_chooses_english(app) {
        let res = app.client.get(app.url("/")).header("accept-language", "en-GB,en;q=0.9,ru;q=0.3").send().await.unwrap();
        let html = res.text().await.unwrap();
        assert!(html.contains("<html lang=\"en\""));
        assert!(html.contains("Our spaces"));
        assert!(html.contains("₽2,500"));
    }

    async fn the_language_cookie_wins_over_the_browser_language(app) {
        let res = app
            .client
            .get(app.url("/"))
            .header("accept-language", "en")
            .header("cookie", "studio_locale=ru")
            .send()
            .await
            .unwrap();
        assert!(res.text().await.unwrap().contains("<html lang=\"ru\""));
    }

    async fn switching_the_language_remembers_it_and_returns_to_the_page(app) {
        let res = app.client.post(app.url("/locale")).form(&[("lang", "en"), ("next", "/staff")]).send().await.unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], "/staff");
        let cookie = res.headers()["set-cookie"].to_str().unwrap();
        assert!(cookie.starts_with("studio_locale=en;"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"));

        let res = app.client.post(app.url("/locale")).form(&[("lang", "ru"), ("next", "https://evil.example/")]).send().await.unwrap();
        assert_eq!(res.headers()["location"], "/", "an open redirect");
    }

    async fn every_page_offers_the_language_switcher(app) {
        for path in ["/", "/staff/login"] {
            let html = app.get(path).await.text().await.unwrap();
            assert!(html.contains("action=\"/locale\""), "{path} has no switcher");
            assert!(html.contains("English") && html.contains("Русский"), "{path}");
        }
    }

    async fn the_staff_side_asks_for_a_sign_in_first(app) {
        for path in ["/staff", "/staff/profile", "/staff/audit"] {
            // As a browser navigates: accepting HTML.
            let res = app.client.get(app.url(path)).header("accept", "text/html").send().await.unwrap();
            let status = res.status();
            assert!(status.is_redirection(), "{path}: {status} {}", res.text().await.unwrap());
            assert_eq!(res.headers()["location"], "/staff/login", "{path}");
        }
        let res = app.client.get(app.url("/staff/login")).header("accept-language", "en").send().await.unwrap();
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("Sign in to the studio"));
        assert!(html.contains("name=\"username\"") && html.contains("name=\"password\""));
        assert!(html.contains("autocomplete=\"current-password\""));
    }

    async fn pages_render_while_other_servers_of_the_process_start(app) {
        // Building a router once generated Leptos's route list, which stops
        // every resource of the process from loading while it runs: a page
        // of another server rendering at that moment never answered.
        let state = app.state.clone();
        let building = tokio::task::spawn_blocking(move || {
            let options = server::http::HttpOptions {
                limits: server::http::RateLimits { per_minute: 1000, burst: 100 },
                trusted_proxies: Default::default(),
                metrics_token: None,
            };
            for _ in 0..60 {
                drop(server::http::router(state.clone(), options.clone()));
            }
        });
        let mut rendered = 0;
        while !building.is_finished() || rendered < 10 {
            for path in ["/", "/staff/login"] {
                let res = tokio::time::timeout(std::time::Duration::from_secs(5), app.get(path))
                    .await
                    .unwrap_or_else(|_| panic!("{path} did not answer while routers were built"));
                assert_eq!(res.status(), 200, "{path}");
                rendered += 1;
            }
        }
        building.await.unwrap();
    }

    async fn an_unknown_page_is_a_friendly_404(app) {
        let res = app.client.get(app.url("/no/such/page")).header("accept-language", "en").send().await.unwrap();
        assert_eq!(res.status(), 404);
        let html = res.text().await.unwrap();
        assert!(html.contains("Page not found"));
        assert!(html.contains("href=\"/\""), "no way back home");
    }
}
