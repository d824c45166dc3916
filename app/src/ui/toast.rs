//! Toasts: short messages about the outcome of an action, in one polite
//! live region so screen readers announce them; errors stay longer.

use super::locale::t;
use crate::i18n::Msg;
use leptos::prelude::*;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Success,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Toast {
    id: u64,
    tone: Tone,
    text: String,
}

/// The toasts of the staff side (provided by the staff layout).
#[derive(Clone, Copy)]
pub struct Toasts {
    list: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
}

impl Toasts {
    pub fn provide() -> Toasts {
        let toasts = Toasts {
            list: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
        };
        provide_context(toasts);
        toasts
    }

    pub fn show(&self, tone: Tone, text: impl Into<String>) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        let text = text.into();
        self.list.update(|l| {
            // An error outdates any success shown before it: the two never
            // stand side by side.
            if tone == Tone::Error {
                l.retain(|t| t.tone != Tone::Success);
            }
            l.push(Toast { id, tone, text });
            if l.len() > 4 {
                l.remove(0);
            }
        });
        let list = self.list;
        let ttl = if tone == Tone::Error { 9 } else { 4 };
        set_timeout(
            move || list.update(|l| l.retain(|t| t.id != id)),
            Duration::from_secs(ttl),
        );
    }

    pub fn success(&self, text: impl Into<String>) {
        self.show(Tone::Success, text)
    }

    pub fn error(&self, text: impl Into<String>) {
        self.show(Tone::Error, text)
    }

    /// Takes back the success messages, when a later attempt failed and
    /// says so elsewhere (beside its fields).
    pub fn withdraw_successes(&self) {
        self.list.update(|l| l.retain(|t| t.tone != Tone::Success));
    }
}

/// The toasts of the current page; a detached one when none is provided.
pub fn toasts() -> Toasts {
    use_context::<Toasts>().unwrap_or_else(Toasts::provide)
}

#[component]
pub fn ToastRegion() -> impl IntoView {
    let toasts = toasts();
    view! {
        <div class="toasts" aria-live="polite">
            <For each=move || toasts.list.get() key=|t| t.id let:toast>
                {
                    let id = toast.id;
                    let error = toast.tone == Tone::Error;
                    view! {
                        <div class="toast" class:toast--error=error class:toast--success=!error
                            role=if error { "alert" } else { "status" } data-toast>
                            <span>{toast.text}</span>
                            <button type="button" class="toast__close" aria-label=t(Msg::Dismiss)
                                on:click=move |_| toasts.list.update(|l| l.retain(|t| t.id != id))>"×"</button>
                        </div>
                    }
                }
            </For>
        </div>
    }
}
