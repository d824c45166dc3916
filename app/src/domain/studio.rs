//! What a guest sees of the studio: its name, how to reach it, and its
//! bookable spaces.

use super::{Money, Phone};
use crate::{error::FieldError, i18n::Locale};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The studio as shown on every page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StudioInfo {
    pub name: String,
    /// IANA time zone every wall-clock time is shown in, e.g. `Europe/Moscow`.
    pub time_zone: String,
    /// How guests reach the studio; every part may be empty.
    #[serde(default)]
    pub contacts: StudioContacts,
}

/// A text the studio writes once per language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Localized {
    #[serde(default)]
    pub ru: String,
    #[serde(default)]
    pub en: String,
}

impl Localized {
    /// The text in `locale`, or in the other language when this one was
    /// left empty (a Russian address beats no address on the English page).
    pub fn get(&self, locale: Locale) -> &str {
        let (mine, other) = match locale {
            Locale::Ru => (&self.ru, &self.en),
            Locale::En => (&self.en, &self.ru),
        };
        if mine.trim().is_empty() {
            other
        } else {
            mine
        }
    }
}

/// The studio's address and the ways to reach it, shown on every guest
/// page, the confirmation and the manage page. Edited in settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StudioContacts {
    /// E.164, e.g. `+74951234567`; empty when not given.
    #[serde(default)]
    pub phone: String,
    /// A Telegram username without `@`.
    #[serde(default)]
    pub telegram: String,
    /// The WhatsApp number, E.164.
    #[serde(default)]
    pub whatsapp: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub address: Localized,
    /// An `https://` link to the studio on a map (Yandex, Google, 2GIS).
    #[serde(default)]
    pub map_url: String,
    /// How to get there: entrance, floor, parking.
    #[serde(default)]
    pub directions: Localized,
}

/// Longest address or directions text, in characters.
pub const CONTACT_TEXT_MAX: usize = 1000;

impl StudioContacts {
    /// Checks and normalises what staff typed: phones to E.164 from any
    /// common spelling, a Telegram name from `@name` or a `t.me` link, a
    /// map link that is `https`. Every problem at once, by field.
    pub fn checked(&self) -> Result<StudioContacts, BTreeMap<String, FieldError>> {
        let mut errors = BTreeMap::new();
        let phone = |field: &str, raw: &str, errors: &mut BTreeMap<String, FieldError>| {
            if raw.trim().is_empty() {
                return String::new();
            }
            match Phone::parse(raw) {
                Ok(p) => p.e164().to_owned(),
                Err(e) => {
                    errors.insert(field.to_owned(), e);
                    String::new()
                }
            }
        };
        let out_phone = phone("phone", &self.phone, &mut errors);
        let whatsapp = phone("whatsapp", &self.whatsapp, &mut errors);
        let telegram = {
            let raw = self.telegram.trim();
            let name = raw
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .trim_start_matches("t.me/")
                .trim_start_matches("telegram.me/")
                .trim_start_matches('@')
                .trim_end_matches('/');
            let valid = (5..=32).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if raw.is_empty() {
                String::new()
            } else if valid {
                name.to_owned()
            } else {
                errors.insert(
                    "telegram".into(),
                    FieldError::new("invalid_telegram", "A Telegram username like @studio_name."),
                );
                String::new()
            }
        };
        let email = self.email.trim().to_owned();
        if !email.is_empty() && super::Email::parse(&email).is_err() {
            errors.insert(
                "email".into(),
                FieldError::new("invalid_email", "Enter an e-mail address."),
            );
        }
        let map_url = self.map_url.trim().to_owned();
        let url_ok = map_url.strip_prefix("https://").is_some_and(|rest| {
            !rest.is_empty()
                && !rest.starts_with('/')
                && map_url.len() <= 500
                && map_url.bytes().all(|b| b.is_ascii_graphic())
        });
        if !map_url.is_empty() && !url_ok {
            errors.insert(
                "map_url".into(),
                FieldError::new("invalid_url", "A link starting with https://."),
            );
        }
        let text = |field: &str, t: &Localized, errors: &mut BTreeMap<String, FieldError>| {
            for (lang, v) in [("ru", &t.ru), ("en", &t.en)] {
                if v.trim().chars().count() > CONTACT_TEXT_MAX {
                    errors.insert(
                        format!("{field}_{lang}"),
                        FieldError::new(
                            "too_long",
                            format!("At most {CONTACT_TEXT_MAX} characters."),
                        ),
                    );
                }
            }
            Localized {
                ru: t.ru.trim().to_owned(),
                en: t.en.trim().to_owned(),
            }
        };
        let address = text("address", &self.address, &mut errors);
        let directions = text("directions", &self.directions, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(StudioContacts {
            phone: out_phone,
            telegram,
            whatsapp,
            email,
            address,
            map_url,
            directions,
        })
    }

    pub fn is_empty(&self) -> bool {
        self == &StudioContacts::default()
    }
}

/// A stored E.164 number as people read it: `+7 916 123-45-67` (the
/// grouping libphonenumber gives Russian numbers); other countries' numbers
/// as stored. Written out rather than asked of the `phonenumber` crate:
/// staff pages format phones in the browser too, and the crate's metadata
/// would add some 300 KB to the WASM every staff page loads (a test checks
/// that both agree).
pub fn phone_display(e164: &str) -> String {
    match e164.strip_prefix("+7") {
        Some(n) if n.len() == 10 && n.bytes().all(|b| b.is_ascii_digit()) => {
            format!("+7 {} {}-{}-{}", &n[..3], &n[3..6], &n[6..8], &n[8..])
        }
        _ => e164.to_owned(),
    }
}

#[cfg(test)]
mod contact_tests {
    use super::*;

    fn contacts() -> StudioContacts {
        StudioContacts {
            phone: "8 (495) 123-45-67".into(),
            telegram: "https://t.me/light_studio/".into(),
            whatsapp: "+7 916 123 45 67".into(),
            email: " hello@studio.example ".into(),
            address: Localized {
                ru: " Москва, ул. Лесная, 5 ".into(),
                en: String::new(),
            },
            map_url: "https://yandex.ru/maps/-/CDabc".into(),
            directions: Localized::default(),
        }
    }

    #[test]
    fn contacts_are_normalised_from_what_staff_type() {
        let c = contacts().checked().unwrap();
        assert_eq!(c.phone, "+74951234567");
        assert_eq!(c.whatsapp, "+79161234567");
        assert_eq!(c.telegram, "light_studio");
        assert_eq!(c.email, "hello@studio.example");
        assert_eq!(c.address.ru, "Москва, ул. Лесная, 5");
        assert_eq!(phone_display(&c.phone), "+7 495 123-45-67");
        let at = StudioContacts {
            telegram: "@light_studio".into(),
            ..StudioContacts::default()
        };
        assert_eq!(at.checked().unwrap().telegram, "light_studio");
        assert!(StudioContacts::default().checked().unwrap().is_empty());
    }

    #[test]
    fn bad_contacts_are_refused_field_by_field() {
        let bad = StudioContacts {
            phone: "12".into(),
            telegram: "@a b".into(),
            whatsapp: "call me".into(),
            email: "nope".into(),
            map_url: "javascript:alert(1)".into(),
            address: Localized {
                ru: "д".repeat(CONTACT_TEXT_MAX + 1),
                en: String::new(),
            },
            directions: Localized::default(),
        };
        let errors = bad.checked().unwrap_err();
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "address_ru",
                "email",
                "map_url",
                "phone",
                "telegram",
                "whatsapp"
            ]
        );
        for url in [
            "http://maps.example",
            "https://",
            "https:///x",
            "https://a b",
        ] {
            let c = StudioContacts {
                map_url: url.into(),
                ..StudioContacts::default()
            };
            assert!(c.checked().is_err(), "{url}");
        }
    }

    #[test]
    fn phones_read_as_libphonenumber_writes_them() {
        let mut checked = 0;
        for raw in [
            "+79161234567",
            "+74951234567",
            "+79031234567",
            "+78123123456",
            "+79857654321",
        ] {
            let n = phonenumber::parse(None, raw).unwrap();
            if !phonenumber::is_valid(&n) {
                continue;
            }
            let expected = n
                .format()
                .mode(phonenumber::Mode::International)
                .to_string();
            assert_eq!(phone_display(raw), expected, "{raw}");
            checked += 1;
        }
        assert!(checked >= 3, "only {checked} valid numbers compared");
        assert_eq!(phone_display("+442079460958"), "+442079460958", "as stored");
        assert_eq!(phone_display(""), "");
    }

    #[test]
    fn a_text_falls_back_to_the_other_language() {
        let t = Localized {
            ru: "Москва".into(),
            en: String::new(),
        };
        assert_eq!(t.get(Locale::En), "Москва");
        assert_eq!(t.get(Locale::Ru), "Москва");
        let both = Localized {
            ru: "Москва".into(),
            en: "Moscow".into(),
        };
        assert_eq!(both.get(Locale::En), "Moscow");
    }
}

/// A bookable space (hall) as listed publicly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SpaceSummary {
    /// Stable identifier used in URLs and the API, e.g. `studio_a`.
    pub slug: String,
    pub name: String,
    pub description: String,
    /// How many people fit in the space.
    pub capacity: i32,
    /// Price of one hour in kopecks.
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub hourly_price: Money,
    /// People included in the hourly price.
    pub included_people: i32,
    /// Price per extra person per hour in kopecks.
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub extra_person_price: Money,
}

/// Everything the public pages need about the studio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicCatalog {
    pub studio: StudioInfo,
    pub spaces: Vec<SpaceSummary>,
}
