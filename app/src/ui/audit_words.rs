//! The audit log and a booking's history as sentences the studio's staff
//! read: "Moved from “New” to “Confirmed”", "Price changed from 2 500 ₽ to
//! 3 000 ₽" — never an event name, raw JSON or an id. States, payments,
//! sources and roles are translated; times are the studio's wall clock.
//!
//! The entries keep their structured details (the REST API and the CSV
//! export give them as recorded); the words are made on the server for the
//! page, in the reader's language.

use crate::i18n::Msg;

/// Every action the audit log records with its label, in the order the
/// filter lists them.
pub const ACTIONS: [(&str, Msg); 45] = [
    ("booking_created", Msg::AwLabelCreated),
    ("booking_state_changed", Msg::AwLabelStateChanged),
    ("booking_updated", Msg::AwLabelUpdated),
    ("booking_rescheduled", Msg::AwLabelRescheduled),
    ("booking_deleted", Msg::AwBookingDeleted),
    ("login_succeeded", Msg::AwLoginSucceeded),
    ("login_failed", Msg::AwLoginFailed),
    ("account_locked", Msg::AwAccountLocked),
    ("logout", Msg::AwLogout),
    ("refresh_token_reused", Msg::AwTokenReused),
    ("sessions_revoked", Msg::AwSessionsRevoked),
    ("password_changed", Msg::AwPasswordChanged),
    ("password_reset", Msg::AwPasswordReset),
    ("credential_check_failed", Msg::AwCredentialCheckFailed),
    ("mfa_enabled", Msg::AwMfaEnabled),
    ("mfa_disabled", Msg::AwMfaDisabled),
    ("employee_created", Msg::AwLabelEmployeeCreated),
    ("employee_updated", Msg::AwEmployeeUpdated),
    ("permission_denied", Msg::AwPermissionDenied),
    ("block_created", Msg::AwBlockCreated),
    ("block_updated", Msg::AwBlockUpdated),
    ("block_deleted", Msg::AwBlockDeleted),
    ("client_notes_changed", Msg::AwClientNotes),
    ("client_data_exported", Msg::AwClientExported),
    ("client_data_erased", Msg::AwClientErased),
    ("data_request_made", Msg::AwRequestMade),
    ("data_request_closed", Msg::AwRequestClosed),
    ("retention_run", Msg::AwRetention),
    ("calendar_feed_rotated", Msg::AwFeedRotated),
    ("settings_changed", Msg::AwSettingsChanged),
    ("contacts_changed", Msg::AwContactsChanged),
    ("space_created", Msg::AwSpaceCreated),
    ("space_updated", Msg::AwSpaceUpdated),
    ("equipment_created", Msg::AwEquipmentCreated),
    ("equipment_updated", Msg::AwEquipmentUpdated),
    ("promo_code_created", Msg::AwPromoCreated),
    ("promo_code_updated", Msg::AwPromoUpdated),
    ("webhook_created", Msg::AwWebhookCreated),
    ("webhook_updated", Msg::AwWebhookUpdated),
    ("webhook_deleted", Msg::AwWebhookDeleted),
    ("notification_settings_changed", Msg::AwNotificationSettings),
    ("telegram_test_sent", Msg::AwTelegramTest),
    ("delivery_retried", Msg::AwDeliveryRetried),
    ("analytics_exported", Msg::AwAnalyticsExported),
    ("backup.restored", Msg::AwBackupRestored),
];

/// What the filter shows for an action.
pub fn filter_label(locale: crate::i18n::Locale, action: &str) -> String {
    label(action).map_or_else(|| action.to_owned(), |m| locale.t(m).to_owned())
}

/// A state change's reason as the reader sees it: the reasons the system
/// writes itself are translated ("created" says nothing the sentence does
/// not), the ones staff typed are shown as typed.
pub fn reason_words(locale: crate::i18n::Locale, reason: &str) -> Option<String> {
    let reason = reason.trim();
    if reason.is_empty() || reason == "created" {
        return None;
    }
    if reason == "cancelled by the guest" {
        return Some(locale.t(Msg::AwReasonGuest).to_owned());
    }
    if let Some(hours) = reason
        .strip_prefix("cancelled by the system: unpaid ")
        .and_then(|rest| rest.strip_suffix(" h after booking"))
    {
        return Some(locale.t(Msg::AwReasonUnpaid).replace("{hours}", hours));
    }
    Some(reason.to_owned())
}

/// The label of a known action.
pub fn label(action: &str) -> Option<Msg> {
    ACTIONS.iter().find(|(a, _)| *a == action).map(|(_, m)| *m)
}

#[cfg(feature = "ssr")]
pub use words::{describe, target, Facts};

#[cfg(feature = "ssr")]
mod words {
    use super::label;
    use crate::{
        domain::{
            board::PaymentStatus,
            booking::{BookingSource, BookingState},
            Money, Role,
        },
        i18n::{Locale, Msg},
        ui::{
            board::{column_msg, payment_msg, source_msg},
            staff::role_msg,
        },
    };
    use chrono_tz::Tz;
    use serde_json::Value;

    /// What a sentence needs besides the entry: the reader's language, the
    /// studio's clock and the names of the spaces by slug.
    pub struct Facts<'a> {
        pub locale: Locale,
        pub zone: Tz,
        pub space_name: &'a dyn Fn(&str) -> Option<String>,
    }

    impl Facts<'_> {
        fn t(&self, m: Msg) -> &'static str {
            self.locale.t(m)
        }

        fn fill(&self, m: Msg, args: &[(&str, &str)]) -> String {
            let mut out = self.t(m).to_owned();
            for (k, v) in args {
                out = out.replace(&format!("{{{k}}}"), v);
            }
            out
        }

        fn space(&self, slug: &str) -> String {
            (self.space_name)(slug).unwrap_or_else(|| slug.to_owned())
        }

        /// "Fri 5 Dec 10:00" on the studio's clock.
        fn instant(&self, epoch: i64) -> Option<String> {
            let local = chrono::DateTime::from_timestamp(epoch, 0)?
                .with_timezone(&self.zone)
                .naive_local();
            Some(format!(
                "{} {}",
                self.locale.date(local.date()),
                self.locale.time(local.time())
            ))
        }

        /// "Fri 5 Dec 10:00–12:00", the day once when both ends share it.
        fn span(&self, start: i64, end: i64) -> Option<String> {
            let s = chrono::DateTime::from_timestamp(start, 0)?
                .with_timezone(&self.zone)
                .naive_local();
            let e = chrono::DateTime::from_timestamp(end, 0)?
                .with_timezone(&self.zone)
                .naive_local();
            Some(if s.date() == e.date() {
                format!(
                    "{} {}–{}",
                    self.locale.date(s.date()),
                    self.locale.time(s.time()),
                    self.locale.time(e.time())
                )
            } else {
                format!("{} – {}", self.instant(start)?, self.instant(end)?)
            })
        }

        fn state(&self, raw: Option<&str>) -> Option<&'static str> {
            raw.and_then(BookingState::parse)
                .map(|s| self.t(column_msg(s)))
        }

        fn payment(&self, raw: Option<&str>) -> Option<&'static str> {
            raw.and_then(PaymentStatus::parse)
                .map(|p| self.t(payment_msg(p)))
        }

        fn role(&self, raw: Option<&str>) -> Option<&'static str> {
            raw.and_then(Role::parse).map(|r| self.t(role_msg(r)))
        }
    }

    /// What an audit entry concerns, in words, and the page to open it on.
    pub fn target(
        locale: Locale,
        names: &crate::server::audit::Names,
        kind: &str,
        id: &str,
    ) -> (String, Option<String>) {
        let plain = |m: Msg| (locale.t(m).to_owned(), None);
        match kind {
            "booking" => match names.bookings.get(id) {
                Some(reference) => (
                    locale.t(Msg::AwBookingRef).replace("{ref}", reference),
                    Some(format!("/staff/bookings/{id}")),
                ),
                None => (locale.t(Msg::AwBookingRef).replace(" {ref}", ""), None),
            },
            "employee" if id.is_empty() => (String::new(), None),
            "employee" => (
                names
                    .employees
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| locale.t(Msg::AwFormerEmployee).to_owned()),
                None,
            ),
            "space" => (
                names
                    .spaces
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| locale.t(Msg::AwTargetSpace).to_owned()),
                None,
            ),
            "promo_code" => (locale.t(Msg::AwTargetPromo).replace("{code}", id), None),
            "settings" if id == "security" => plain(Msg::AwTargetSecurity),
            "settings" | "studio" => plain(Msg::AwTargetSettings),
            "client" => plain(Msg::AwTargetClient),
            "equipment" => plain(Msg::AwTargetEquipment),
            "webhook" => plain(Msg::AwTargetWebhook),
            "block" => plain(Msg::AwTargetBlock),
            "data_request" => plain(Msg::AwTargetRequest),
            "outbox" => plain(Msg::AwTargetMessage),
            "analytics" => plain(Msg::AwTargetAnalytics),
            "audit_log" => plain(Msg::AwTargetAudit),
            _ => (String::new(), None),
        }
    }

    fn before_after<'v>(v: &'v Value, field: &str) -> Option<(&'v Value, &'v Value)> {
        let change = v.get(field)?;
        Some((change.get("before")?, change.get("after")?))
    }

    /// The entry as a sentence (or several, joined by "; ").
    pub fn describe(f: &Facts<'_>, action: &str, details: &Value) -> String {
        let d = details;
        let text = match action {
            "booking_created" => {
                let when = d
                    .get("start_time")
                    .and_then(Value::as_i64)
                    .zip(d.get("end_time").and_then(Value::as_i64))
                    .and_then(|(s, e)| f.span(s, e));
                let space = d.get("space").and_then(Value::as_str).map(|s| f.space(s));
                let source = d
                    .get("source")
                    .and_then(Value::as_str)
                    .and_then(BookingSource::parse)
                    .map(|s| f.t(source_msg(s)));
                match (when, space, source) {
                    (Some(when), Some(space), Some(source)) => f.fill(
                        Msg::AwBookingCreated,
                        &[("when", &when), ("space", &space), ("source", source)],
                    ),
                    _ => f.t(Msg::AwLabelCreated).to_owned(),
                }
            }
            "booking_state_changed" => {
                let from = f.state(d.get("before").and_then(Value::as_str));
                let to = f.state(d.get("after").and_then(Value::as_str));
                let mut s = match (from, to) {
                    (Some(from), Some(to)) => {
                        f.fill(Msg::AwStateChanged, &[("from", from), ("to", to)])
                    }
                    (None, Some(to)) => f.fill(Msg::AwStateSet, &[("to", to)]),
                    _ => f.t(Msg::AwLabelStateChanged).to_owned(),
                };
                if let Some(reason) = d
                    .get("reason")
                    .and_then(Value::as_str)
                    .and_then(|r| super::reason_words(f.locale, r))
                {
                    s.push_str(" — ");
                    s.push_str(&f.fill(Msg::AwReason, &[("reason", &reason)]));
                }
                s
            }
            "booking_updated" | "booking_rescheduled" => booking_changes(f, d),
            "login_failed" => {
                let why = match d.get("reason").and_then(Value::as_str) {
                    Some("unknown_user") => Some(Msg::AwWhyUnknownUser),
                    Some("locked") => Some(Msg::AwWhyLocked),
                    Some("wrong_password") => Some(Msg::AwWhyWrongPassword),
                    Some("disabled") => Some(Msg::AwWhyDisabled),
                    Some("temporary_password_expired") => Some(Msg::AwWhyTemporaryExpired),
                    Some("wrong_mfa_code") => Some(Msg::AwWhyWrongCode),
                    _ => None,
                };
                match why {
                    Some(w) => format!("{}: {}", f.t(Msg::AwLoginFailed), f.t(w)),
                    None => f.t(Msg::AwLoginFailed).to_owned(),
                }
            }
            "employee_created" => match f.role(d.pointer("/after/role").and_then(Value::as_str)) {
                Some(role) => f.fill(Msg::AwEmployeeCreated, &[("role", role)]),
                None => f.t(Msg::AwLabelEmployeeCreated).to_owned(),
            },
            "employee_updated" => {
                let mut parts = Vec::new();
                let role = |p: &str| f.role(d.pointer(p).and_then(Value::as_str));
                if let (Some(from), Some(to)) = (role("/before/role"), role("/after/role")) {
                    if from != to {
                        parts.push(f.fill(Msg::AwRoleChanged, &[("from", from), ("to", to)]));
                    }
                }
                let active = |p: &str| d.pointer(p).and_then(Value::as_bool);
                match (active("/before/active"), active("/after/active")) {
                    (Some(true), Some(false)) => parts.push(f.t(Msg::AwAccessOff).to_owned()),
                    (Some(false), Some(true)) => parts.push(f.t(Msg::AwAccessOn).to_owned()),
                    _ => {}
                }
                if parts.is_empty() {
                    parts.push(f.t(Msg::AwEmployeeUpdated).to_owned());
                }
                parts.join("; ")
            }
            other => label(other)
                .map(|m| f.t(m).to_owned())
                .unwrap_or_else(|| f.t(Msg::AwOtherAction).to_owned()),
        };
        capitalised(text)
    }

    /// The changes of an edit or a reschedule, one clause per field.
    fn booking_changes(f: &Facts<'_>, d: &Value) -> String {
        let mut parts = Vec::new();
        let int = |v: &Value| v.as_i64();
        // Both ends are recorded when either moves; an entry with one end
        // names that end's instants.
        match (before_after(d, "start_time"), before_after(d, "end_time")) {
            (Some((s0, s1)), Some((e0, e1))) => {
                let from = int(s0).zip(int(e0)).and_then(|(s, e)| f.span(s, e));
                let to = int(s1).zip(int(e1)).and_then(|(s, e)| f.span(s, e));
                if let (Some(from), Some(to)) = (from, to) {
                    parts.push(f.fill(Msg::AwTimeChanged, &[("from", &from), ("to", &to)]));
                }
            }
            (Some((a, b)), None) | (None, Some((a, b))) => {
                let from = int(a).and_then(|t| f.instant(t));
                let to = int(b).and_then(|t| f.instant(t));
                if let (Some(from), Some(to)) = (from, to) {
                    parts.push(f.fill(Msg::AwTimeChanged, &[("from", &from), ("to", &to)]));
                }
            }
            (None, None) => {}
        }
        if let Some((a, b)) = before_after(d, "space") {
            let name = |v: &Value| v.as_str().map(|s| f.space(s));
            if let (Some(a), Some(b)) = (name(a), name(b)) {
                parts.push(f.fill(Msg::AwSpaceChanged, &[("from", &a), ("to", &b)]));
            }
        }
        if let Some((a, b)) = before_after(d, "people_count") {
            if let (Some(a), Some(b)) = (int(a), int(b)) {
                parts.push(f.fill(
                    Msg::AwPeopleChanged,
                    &[("from", &a.to_string()), ("to", &b.to_string())],
                ));
            }
        }
        if let Some((a, b)) = before_after(d, "price_total") {
            if let (Some(a), Some(b)) = (int(a), int(b)) {
                let money = |m: i64| f.locale.money(Money::from_minor(m));
                parts.push(f.fill(
                    Msg::AwPriceChanged,
                    &[("from", &money(a)), ("to", &money(b))],
                ));
            }
        }
        if let Some((a, b)) = before_after(d, "payment_status") {
            if let (Some(a), Some(b)) = (f.payment(a.as_str()), f.payment(b.as_str())) {
                parts.push(f.fill(Msg::AwPaymentChanged, &[("from", a), ("to", b)]));
            }
        }
        let named: Vec<&str> = [
            ("client_name", Msg::AwFieldName),
            ("client_phone", Msg::AwFieldPhone),
            ("client_email", Msg::AwFieldEmail),
            ("special_requirements", Msg::AwFieldRequirements),
            ("notes", Msg::AwFieldNotes),
            ("internal_notes", Msg::AwFieldInternal),
        ]
        .into_iter()
        .filter(|(field, _)| d.get(*field).is_some())
        .map(|(_, m)| f.t(m))
        .collect();
        if !named.is_empty() {
            parts.push(f.fill(Msg::AwFieldsChanged, &[("fields", &named.join(", "))]));
        }
        if parts.is_empty() {
            return f.t(Msg::AwNoChange).to_owned();
        }
        parts
            .into_iter()
            .map(capitalised)
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn capitalised(s: String) -> String {
        let mut chars = s.chars();
        match chars.next() {
            Some(c) if c.is_lowercase() => c.to_uppercase().chain(chars).collect(),
            _ => s,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use serde_json::json;

        fn space_name(slug: &str) -> Option<String> {
            (slug == "hall-a").then(|| "Белый зал".to_owned())
        }

        fn facts(locale: Locale) -> Facts<'static> {
            Facts {
                locale,
                zone: chrono_tz::Europe::Moscow,
                space_name: &space_name,
            }
        }

        // 2026-12-05 10:00 and 12:00 in Moscow (UTC+3).
        const TEN: i64 = 1_796_454_000;
        const NOON: i64 = TEN + 7200;

        #[test]
        fn a_state_change_names_both_columns_and_the_reason() {
            let d = json!({ "before": "pending", "after": "confirmed", "reason": "" });
            assert_eq!(
                describe(&facts(Locale::Ru), "booking_state_changed", &d),
                "Бронь переведена из «Новые» в «Подтверждено»"
            );
            let d = json!({ "before": "cancelled", "after": "confirmed", "reason": "guest called back" });
            assert_eq!(
                describe(&facts(Locale::En), "booking_state_changed", &d),
                "Moved from “Cancelled” to “Confirmed” — reason: guest called back"
            );
        }

        #[test]
        fn an_edit_lists_what_changed_in_words() {
            let d = json!({
                "price_total": { "before": 250_000, "after": 300_000 },
                "people_count": { "before": 2, "after": 4 },
                "payment_status": { "before": "unpaid", "after": "paid" },
                "client_phone": "changed",
                "notes": "changed",
            });
            let ru = describe(&facts(Locale::Ru), "booking_updated", &d);
            assert!(ru.contains("Число гостей изменилось с 2 на 4"), "{ru}");
            assert!(
                ru.contains("Цена изменилась с 2\u{202f}500\u{a0}₽ на 3\u{202f}000\u{a0}₽"),
                "{ru}"
            );
            assert!(
                ru.contains("Оплата изменилась с «Не оплачено» на «Оплачено»"),
                "{ru}"
            );
            assert!(ru.contains("Изменено: телефон, заметки"), "{ru}");
            assert!(!ru.contains('{') && !ru.contains('_'), "{ru}");
        }

        #[test]
        fn a_reschedule_shows_studio_times_and_space_names() {
            let d = json!({
                "start_time": { "before": TEN, "after": TEN + 86_400 },
                "end_time": { "before": NOON, "after": NOON + 86_400 },
                "space": { "before": "hall-a", "after": "hall-b" },
            });
            let ru = describe(&facts(Locale::Ru), "booking_rescheduled", &d);
            assert!(ru.starts_with("Время изменилось с "), "{ru}");
            assert!(ru.contains("10:00–12:00"), "{ru}");
            assert!(
                ru.contains("Зал изменился с «Белый зал» на «hall-b»"),
                "{ru}"
            );
            let en = describe(&facts(Locale::En), "booking_rescheduled", &d);
            assert!(en.starts_with("Time changed from "), "{en}");
            assert!(!en.contains(&TEN.to_string()), "{en}");
        }

        #[test]
        fn sign_ins_roles_and_unknown_actions_read_as_words() {
            let d = json!({ "reason": "wrong_password" });
            assert_eq!(
                describe(&facts(Locale::Ru), "login_failed", &d),
                "Неудачная попытка входа: неверный пароль"
            );
            let d = json!({ "before": { "role": "manager", "active": true }, "after": { "role": "admin", "active": true } });
            assert_eq!(
                describe(&facts(Locale::En), "employee_updated", &d),
                "Role changed from “manager” to “admin”"
            );
            assert_eq!(
                describe(&facts(Locale::Ru), "something_new", &json!({})),
                "Другое действие"
            );
        }

        #[test]
        fn reasons_the_system_wrote_are_translated_and_typed_ones_kept() {
            use super::super::reason_words;
            assert_eq!(reason_words(Locale::Ru, "created"), None);
            assert_eq!(
                reason_words(Locale::Ru, "cancelled by the guest").as_deref(),
                Some("отменено гостем")
            );
            assert_eq!(
                reason_words(
                    Locale::Ru,
                    "cancelled by the system: unpaid 24 h after booking"
                )
                .as_deref(),
                Some("отменено автоматически: не оплачено за 24 ч после бронирования")
            );
            assert_eq!(
                reason_words(Locale::En, "guest called back").as_deref(),
                Some("guest called back")
            );
        }

        #[test]
        fn every_action_has_a_label_in_both_languages() {
            for (action, _) in super::super::ACTIONS {
                for locale in Locale::ALL {
                    let l = super::super::filter_label(locale, action);
                    assert!(
                        !l.is_empty() && !l.contains('{') && !l.contains('_'),
                        "{action}: {l}"
                    );
                }
            }
        }
    }
}
