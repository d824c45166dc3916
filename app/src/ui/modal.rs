//! The staff side's modal dialogs share one frame: focus moves into the
//! dialog when it opens (to the field marked `autofocus`, else the first
//! control), Tab and Shift+Tab stay inside it, Escape closes it, and focus
//! goes back to what had it before (the card, the cell, the button).

use leptos::prelude::*;

/// The controls Tab can reach inside a dialog.
#[cfg(feature = "hydrate")]
const FOCUSABLE: &str =
    "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), \
     select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

/// Marks the element focus returns to. An attribute, not a kept handle:
/// DOM nodes cannot live in the reactive system's cleanups.
#[cfg(feature = "hydrate")]
const RETURN_MARK: &str = "data-dialog-return";

/// A modal dialog (`role` is `dialog` or `alertdialog`) titled by the
/// element with id `labelled_by`; `on_close` runs on Escape.
#[component]
pub fn Modal(
    #[prop(default = "dialog")] role: &'static str,
    labelled_by: &'static str,
    on_close: Callback<()>,
    children: Children,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    {
        if let Some(previous) = document().active_element() {
            let _ = previous.set_attribute(RETURN_MARK, "");
        }
        Effect::new(move |_| {
            if let Some(dialog) = node.get() {
                focus_first(&dialog);
            }
        });
        on_cleanup(|| {
            use wasm_bindgen::JsCast;
            let marked = document()
                .query_selector(&format!("[{RETURN_MARK}]"))
                .ok()
                .flatten();
            if let Some(el) = marked {
                let _ = el.remove_attribute(RETURN_MARK);
                if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                    let _ = el.focus();
                }
            }
        });
    }
    let keydown = move |ev: web_sys::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            ev.stop_propagation();
            on_close.run(());
        }
        "Tab" =>
        {
            #[cfg(feature = "hydrate")]
            if let Some(dialog) = node.get_untracked() {
                if keep_tab_inside(&dialog, ev.shift_key()) {
                    ev.prevent_default();
                }
            }
        }
        _ => {}
    };
    view! {
        <div class="dialog-backdrop">
            <div class="dialog" role=role aria-modal="true" aria-labelledby=labelled_by
                node_ref=node on:keydown=keydown>
                {children()}
            </div>
        </div>
    }
}

#[cfg(feature = "hydrate")]
fn focusables(dialog: &web_sys::Element) -> Vec<web_sys::HtmlElement> {
    use wasm_bindgen::JsCast;
    let Ok(list) = dialog.query_selector_all(FOCUSABLE) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .collect()
}

#[cfg(feature = "hydrate")]
fn focus_first(dialog: &web_sys::Element) {
    use wasm_bindgen::JsCast;
    let wanted = dialog
        .query_selector("[autofocus]")
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        .or_else(|| focusables(dialog).into_iter().next());
    if let Some(el) = wanted {
        let _ = el.focus();
    }
}

/// Wraps Tab from the last control to the first (and Shift+Tab from the
/// first to the last); true when it did, so the browser's own move is
/// cancelled.
#[cfg(feature = "hydrate")]
fn keep_tab_inside(dialog: &web_sys::Element, backwards: bool) -> bool {
    let all = focusables(dialog);
    let (Some(first), Some(last)) = (all.first(), all.last()) else {
        return true;
    };
    let active = document().active_element();
    let is = |el: &web_sys::HtmlElement| {
        active
            .as_ref()
            .is_some_and(|a| a.is_same_node(Some(el.as_ref())))
    };
    let inside = active
        .as_ref()
        .is_some_and(|a| dialog.contains(Some(a.as_ref())));
    let target = match (backwards, inside) {
        (true, true) if is(first) => last,
        (false, true) if is(last) => first,
        (_, false) => first,
        _ => return false,
    };
    let _ = target.focus();
    true
}
