//! The browser entry: hydrates the server-rendered page into the live app.
#![forbid(unsafe_code)]
#![recursion_limit = "512"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Pages are lazy routes (split into their own chunks with --split): the
    // chunk of the page on screen is fetched first, so hydration runs in one
    // go, as it would without splitting.
    let path = current_path();
    // Before hydration Leptos' executor is not set up yet: the browser's.
    wasm_bindgen_futures::spawn_local(async move {
        app::ui::preload_for_path(&path).await;
        leptos::mount::hydrate_lazy(app::App);
    });
}

fn current_path() -> String {
    leptos::prelude::window()
        .location()
        .pathname()
        .unwrap_or_default()
}
