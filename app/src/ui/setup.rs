//! `/setup`: the first-run page that creates the studio's owner. Rendered
//! on the server only (like the guest pages, no WASM): a plain form posted
//! to the server, which answers with the page again (field errors, what was
//! typed except the passwords) or a redirect to the sign-in page. A 404
//! once the studio has an employee.

use super::owners::{held, suspend};
use super::{
    locale::{self, t},
    pages::{respond_with, ErrorNotice, NotFound},
};
use crate::{
    error::AppError,
    i18n::{Locale, Msg},
};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// The setup form as posted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    pub setup_token: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password_repeat: String,
}

/// A refused setup, rendered back with what was typed (never the
/// passwords).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupOutcome {
    pub values: SetupForm,
    pub error: AppError,
}

#[server(prefix = "/api/fn", endpoint = "setup_open")]
pub async fn setup_open() -> Result<bool, AppError> {
    let state = crate::server::state::from_context()?;
    crate::server::setup::is_open(&state.store).await
}

/// The page's own words. They live here, in the guest pages' chunk, not in
/// the shared message table: the staff app never shows them, so its first
/// download does not carry them.
#[derive(Debug, Clone, Copy)]
enum Text {
    Title,
    Lead,
    Token,
    FullName,
    PasswordRepeat,
    PasswordRules,
    Submit,
    ErrToken,
    ErrMismatch,
    ErrUsername,
    ErrEmail,
    ErrShort,
    ErrLong,
    ErrCommon,
    ErrContainsUsername,
}

fn tr(text: Text) -> &'static str {
    let en = locale::current() == Locale::En;
    match text {
        Text::Title => {
            if en {
                "Set up the studio"
            } else {
                "Настройка студии"
            }
        }
        Text::Lead => {
            if en {
                "Create the studio's owner account. The setup token is in the server's output from its last start."
            } else {
                "Создайте учётную запись владельца студии. Код настройки сервер вывел при последнем запуске."
            }
        }
        Text::Token => {
            if en {
                "Setup token"
            } else {
                "Код настройки"
            }
        }
        Text::FullName => {
            if en {
                "Full name"
            } else {
                "Имя и фамилия"
            }
        }
        Text::PasswordRepeat => {
            if en {
                "Password again"
            } else {
                "Пароль ещё раз"
            }
        }
        Text::PasswordRules => {
            if en {
                "At least 12 characters; a phrase of several words is best."
            } else {
                "Не короче 12 символов; лучше всего фраза из нескольких слов."
            }
        }
        Text::Submit => {
            if en {
                "Create the owner"
            } else {
                "Создать владельца"
            }
        }
        Text::ErrToken => {
            if en {
                "This is not the token the server printed at its last start."
            } else {
                "Это не тот код, который сервер вывел при последнем запуске."
            }
        }
        Text::ErrMismatch => {
            if en {
                "The two passwords differ."
            } else {
                "Пароли не совпадают."
            }
        }
        Text::ErrUsername => {
            if en {
                "Use 3–32 latin letters, digits, '.', '_' or '-', starting with a letter."
            } else {
                "3–32 латинские буквы, цифры, «.», «_» или «-», первая — буква."
            }
        }
        Text::ErrEmail => {
            if en {
                "Enter an e-mail address like name@example.com."
            } else {
                "Введите адрес вида name@example.com."
            }
        }
        Text::ErrShort => {
            if en {
                "At least 12 characters."
            } else {
                "Не короче 12 символов."
            }
        }
        Text::ErrLong => {
            if en {
                "At most 128 characters."
            } else {
                "Не длиннее 128 символов."
            }
        }
        Text::ErrCommon => {
            if en {
                "This password is too common; choose a phrase of your own."
            } else {
                "Этот пароль слишком распространён; придумайте свою фразу."
            }
        }
        Text::ErrContainsUsername => {
            if en {
                "The password must not contain the username."
            } else {
                "Пароль не должен содержать имя пользователя."
            }
        }
    }
}

fn message(code: &str, fallback: &str) -> String {
    let text = match code {
        "invalid_setup_token" => Text::ErrToken,
        "password_mismatch" => Text::ErrMismatch,
        "invalid_username" | "username_taken" => Text::ErrUsername,
        "invalid_email" => Text::ErrEmail,
        "invalid_full_name" => return t(Msg::ErrName).to_owned(),
        "password_empty" | "password_too_short" => Text::ErrShort,
        "password_too_long" => Text::ErrLong,
        "password_too_common" => Text::ErrCommon,
        "password_contains_username" => Text::ErrContainsUsername,
        _ => return fallback.to_owned(),
    };
    tr(text).to_owned()
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let open = Resource::new(|| (), |_| held(setup_open()));
    let outcome = Resource::new(|| (), |_| held(async { use_context::<SetupOutcome>() }));
    view! {
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">{t(Msg::Loading)}</p> }>
            {move || suspend(async move {
                let outcome = outcome.await;
                match open.await {
                    Ok(true) => view! { <SetupView outcome=outcome /> }.into_any(),
                    Ok(false) => {
                        respond_with(404);
                        view! { <NotFound /> }.into_any()
                    }
                    Err(e) => {
                        respond_with(e.status_code());
                        view! { <ErrorNotice error=e /> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn SetupView(outcome: Option<SetupOutcome>) -> impl IntoView {
    let values = outcome
        .as_ref()
        .map(|o| o.values.clone())
        .unwrap_or_default();
    let fields = outcome
        .as_ref()
        .and_then(|o| o.error.fields().cloned())
        .unwrap_or_default();
    let err = |name: &str| fields.get(name).map(|e| message(&e.code, &e.message));
    let other_error = outcome.as_ref().and_then(|o| match &o.error {
        AppError::Validation { .. } => None,
        e => Some(e.clone()),
    });
    let field = move |id: &'static str,
                      label: &'static str,
                      kind: &'static str,
                      autocomplete: &'static str,
                      value: String,
                      error: Option<String>,
                      hint: Option<&'static str>| {
        let bad = error.is_some();
        let hint_id = format!("{id}-hint");
        view! {
            <div class="field" class:field--error=bad>
                <label for=id>{label}</label>
                <input id=id name=id type=kind autocomplete=autocomplete value=value required
                    aria-invalid=bad.to_string()
                    aria-describedby=hint.map(|_| hint_id.clone()) />
                {hint.map(|h| view! { <p class="field__hint" id=hint_id.clone()>{h}</p> })}
                {error.map(|m| view! { <p class="field__error">{m}</p> })}
            </div>
        }
    };
    view! {
        <Title text=tr(Text::Title) />
        <section class="setup" aria-labelledby="setup-title">
            <h1 id="setup-title">{tr(Text::Title)}</h1>
            <p class="lead-line">{tr(Text::Lead)}</p>
            {(!fields.is_empty()).then(|| view! { <div class="notice notice--error" role="alert">{t(Msg::FixErrors)}</div> })}
            {other_error.map(|e| view! { <ErrorNotice error=e /> })}
            <form class="setup-form" method="post" action="/setup">
                {field("setup_token", tr(Text::Token), "text", "off", values.setup_token.clone(), err("setup_token"), None)}
                {field("username", t(Msg::Username), "text", "username", values.username.clone(), err("username"), None)}
                {field("full_name", tr(Text::FullName), "text", "name", values.full_name.clone(), err("full_name"), None)}
                {field("email", t(Msg::EmpEmail), "email", "email", values.email.clone(), err("email"), None)}
                {field("password", t(Msg::Password), "password", "new-password", String::new(), err("password"), Some(tr(Text::PasswordRules)))}
                {field("password_repeat", tr(Text::PasswordRepeat), "password", "new-password", String::new(), err("password_repeat"), None)}
                <button type="submit" class="button button--primary">{tr(Text::Submit)}</button>
            </form>
        </section>
    }
}
