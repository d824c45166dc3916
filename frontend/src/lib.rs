//! The browser entry: hydrates the server-rendered page into the live app.
#![forbid(unsafe_code)]
#![recursion_limit = "512"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
