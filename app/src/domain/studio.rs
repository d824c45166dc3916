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
    /// How guests reach the studio, its rules and how to pay; every part
    /// may be empty.
    #[serde(default)]
    pub contacts: StudioContacts,
    /// Guests may cancel online until this many hours before the start.
    #[serde(default)]
    pub cancellation_hours: i64,
    /// The studio's logo, when uploaded.
    #[serde(default)]
    pub logo: Option<Photo>,
}

/// A text the studio writes once per language. Read from JSON as
/// `{"ru": …, "en": …}` or, as older clients send it, a plain string (taken
/// as the Russian text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "LocalizedRepr")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Localized {
    #[serde(default)]
    pub ru: String,
    #[serde(default)]
    pub en: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum LocalizedRepr {
    Plain(String),
    Both {
        #[serde(default)]
        ru: String,
        #[serde(default)]
        en: String,
    },
}

impl From<LocalizedRepr> for Localized {
    fn from(r: LocalizedRepr) -> Self {
        match r {
            LocalizedRepr::Plain(ru) => Localized {
                ru,
                en: String::new(),
            },
            LocalizedRepr::Both { ru, en } => Localized { ru, en },
        }
    }
}

impl Localized {
    /// Both texts trimmed; a problem (too long) under `{field}_{lang}`.
    pub fn checked(
        &self,
        field: &str,
        max: usize,
        errors: &mut BTreeMap<String, FieldError>,
    ) -> Localized {
        for (lang, v) in [("ru", &self.ru), ("en", &self.en)] {
            if v.trim().chars().count() > max {
                errors.insert(
                    format!("{field}_{lang}"),
                    FieldError::new("too_long", format!("At most {max} characters.")),
                );
            }
        }
        Localized {
            ru: self.ru.trim().to_owned(),
            en: self.en.trim().to_owned(),
        }
    }

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
    /// The studio's rules (shoes, food, smoke machines, pets…), shown
    /// before booking, on the form, the confirmation and the manage page.
    #[serde(default)]
    pub rules: Localized,
    /// How to pay (card on arrival, transfer, deposit…): shown with the
    /// rules and as "how to pay" on the confirmation and in the e-mail.
    #[serde(default)]
    pub payment: Localized,
}

/// Longest address or directions text, in characters.
pub const CONTACT_TEXT_MAX: usize = 1000;
/// Longest rules or payment terms text, in characters.
pub const TERMS_TEXT_MAX: usize = 4000;

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
        let address = self
            .address
            .checked("address", CONTACT_TEXT_MAX, &mut errors);
        let directions = self
            .directions
            .checked("directions", CONTACT_TEXT_MAX, &mut errors);
        let rules = self.rules.checked("rules", TERMS_TEXT_MAX, &mut errors);
        let payment = self.payment.checked("payment", TERMS_TEXT_MAX, &mut errors);
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
            rules,
            payment,
        })
    }

    /// Whether no way to reach the studio is given (rules and payment terms
    /// are not a way to reach it).
    pub fn is_empty(&self) -> bool {
        self == &StudioContacts {
            rules: self.rules.clone(),
            payment: self.payment.clone(),
            ..StudioContacts::default()
        }
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
            rules: Localized {
                ru: " Сменная обувь ".into(),
                en: String::new(),
            },
            payment: Localized::default(),
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
        assert_eq!(c.rules.ru, "Сменная обувь");
        let rules_only = StudioContacts {
            rules: c.rules.clone(),
            ..StudioContacts::default()
        };
        assert!(
            rules_only.is_empty(),
            "rules are not a way to reach the studio"
        );
    }

    #[test]
    fn a_plain_string_is_read_as_the_russian_text() {
        let l: Localized = serde_json::from_str("\"Москва\"").unwrap();
        assert_eq!((l.ru.as_str(), l.en.as_str()), ("Москва", ""));
        let l: Localized = serde_json::from_str(r#"{"en": "Moscow"}"#).unwrap();
        assert_eq!((l.ru.as_str(), l.en.as_str()), ("", "Moscow"));
    }

    #[test]
    fn space_details_are_trimmed_and_checked_by_field() {
        let d = SpaceDetails {
            description: Localized {
                ru: " Светлый зал ".into(),
                en: "e".repeat(SPACE_TEXT_MAX + 1),
            },
            included: Localized {
                ru: "Циклорама\n- Свет\n\n• Реквизит".into(),
                en: String::new(),
            },
            area_m2: Some(0),
            ceiling_cm: Some(100),
        };
        let errors = d.checked().unwrap_err();
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(fields, ["area_m2", "ceiling_cm", "description_en"]);
        let ok = SpaceDetails {
            description: Localized {
                ru: " Светлый зал ".into(),
                en: String::new(),
            },
            area_m2: Some(80),
            ceiling_cm: Some(450),
            ..d
        }
        .checked()
        .unwrap();
        assert_eq!(ok.description.ru, "Светлый зал");
        assert_eq!(
            ok.included_items(Locale::En),
            ["Циклорама", "Свет", "Реквизит"],
            "English falls back to Russian; list marks dropped"
        );
    }

    #[test]
    fn a_photo_lists_its_sizes() {
        let p = Photo {
            id: "abc".into(),
            alt: Localized::default(),
            width: 1600,
            height: 1067,
            widths: vec![480, 960, 1600],
        };
        assert_eq!(p.url(480, true), "/media/abc/480.webp");
        assert_eq!(
            p.srcset(false),
            "/media/abc/480.jpg 480w, /media/abc/960.jpg 960w, /media/abc/1600.jpg 1600w"
        );
        assert_eq!(p.height_at(480), 320);
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
            rules: Localized::default(),
            payment: Localized {
                ru: String::new(),
                en: "p".repeat(TERMS_TEXT_MAX + 1),
            },
        };
        let errors = bad.checked().unwrap_err();
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "address_ru",
                "email",
                "map_url",
                "payment_en",
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

/// What guests read about a space beyond its name and prices; written in
/// settings, each text in Russian and English.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SpaceDetails {
    /// At most 2000 characters per language.
    #[serde(default)]
    pub description: Localized,
    /// What the hourly price includes: backgrounds, light, props; one item
    /// per line, at most 2000 characters per language.
    #[serde(default)]
    pub included: Localized,
    /// Floor area in square metres (1 to 10000), when given.
    #[serde(default)]
    pub area_m2: Option<u32>,
    /// Ceiling height in centimetres (150 to 3000), when given.
    #[serde(default)]
    pub ceiling_cm: Option<u32>,
}

/// Longest space description or list of what is included, per language.
pub const SPACE_TEXT_MAX: usize = 2000;

impl SpaceDetails {
    /// Trimmed and checked; every problem at once, by field
    /// (`description_ru`, `included_en`, `area_m2`, `ceiling_cm`).
    pub fn checked(&self) -> Result<SpaceDetails, BTreeMap<String, FieldError>> {
        let mut errors = BTreeMap::new();
        let description = self
            .description
            .checked("description", SPACE_TEXT_MAX, &mut errors);
        let included = self
            .included
            .checked("included", SPACE_TEXT_MAX, &mut errors);
        if self.area_m2.is_some_and(|a| !(1..=10_000).contains(&a)) {
            errors.insert(
                "area_m2".into(),
                FieldError::new("out_of_range", "1 to 10000 square metres."),
            );
        }
        if self.ceiling_cm.is_some_and(|c| !(150..=3_000).contains(&c)) {
            errors.insert(
                "ceiling_cm".into(),
                FieldError::new("out_of_range", "1.5 to 30 metres."),
            );
        }
        if errors.is_empty() {
            Ok(SpaceDetails {
                description,
                included,
                ..self.clone()
            })
        } else {
            Err(errors)
        }
    }

    /// The lines of what is included, in `locale`, without empty ones.
    pub fn included_items(&self, locale: Locale) -> Vec<String> {
        self.included
            .get(locale)
            .lines()
            .map(|l| l.trim().trim_start_matches(['-', '•', '*']).trim())
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// A photo of a space (or the studio's logo) as pages show it: stored in
/// the sizes of [`IMAGE_WIDTHS`] no wider than the upload, as WebP and JPEG.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Photo {
    pub id: String,
    /// What the photo shows, for screen readers and when it cannot load.
    pub alt: Localized,
    /// Of the largest stored size.
    pub width: u32,
    pub height: u32,
    /// The stored widths, smallest first.
    pub widths: Vec<u32>,
}

/// The widths photos are stored in: a phone, a tablet or laptop column, a
/// wide screen (and twice those for dense screens, up to 1600).
pub const IMAGE_WIDTHS: [u32; 3] = [480, 960, 1600];
/// The widths of the logo (shown about 40 px high).
pub const LOGO_WIDTHS: [u32; 2] = [160, 320];

impl Photo {
    /// The address of one stored size: `/media/{id}/{width}.webp|jpg`.
    pub fn url(&self, width: u32, webp: bool) -> String {
        format!(
            "/media/{}/{width}.{}",
            self.id,
            if webp { "webp" } else { "jpg" }
        )
    }

    /// A `srcset` of every stored size in one format.
    pub fn srcset(&self, webp: bool) -> String {
        self.widths
            .iter()
            .map(|w| format!("{} {w}w", self.url(*w, webp)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The height of the image drawn `width` wide (for `width`/`height`
    /// attributes, so the page does not jump while photos load).
    pub fn height_at(&self, width: u32) -> u32 {
        let h = u64::from(width) * u64::from(self.height) / u64::from(self.width.max(1));
        u32::try_from(h).unwrap_or(u32::MAX).max(1)
    }
}

/// A bookable space (hall) as listed publicly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SpaceSummary {
    /// Stable identifier used in URLs and the API, e.g. `studio_a`.
    pub slug: String,
    pub name: String,
    #[serde(flatten)]
    pub details: SpaceDetails,
    /// The gallery, in the order staff set.
    #[serde(default)]
    pub photos: Vec<Photo>,
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
