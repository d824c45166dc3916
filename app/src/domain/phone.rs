//! Phone numbers: parsed from whatever a guest types (default region RU) and
//! normalised to E.164, which groups a client's bookings. What the guest
//! typed is kept for display.

use crate::error::FieldError;
use phonenumber::metadata::Database;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Phone {
    e164: String,
}

impl Phone {
    /// Accepts `8 (916) 123-45-67`, `+7 916 123 45 67`, `9161234567`,
    /// `8 (812) 314-15-92`, `+44 20 7946 0958` and the like; refuses
    /// anything that is not a valid number for its region.
    pub fn parse(raw: &str) -> Result<Phone, FieldError> {
        let invalid = || {
            FieldError::new(
                "invalid_phone",
                "Enter a phone number, e.g. +7 916 123-45-67.",
            )
        };
        let trimmed = raw.trim();
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        if !(7..=15).contains(&digits.len()) || trimmed.len() > 40 {
            return Err(invalid());
        }
        if let Some(national) = seven_national(trimmed, &digits) {
            return seven_valid(national)
                .then(|| Phone {
                    e164: format!("+7{national}"),
                })
                .ok_or_else(invalid);
        }
        other_country(trimmed).ok_or_else(invalid)
    }

    /// Wraps a number already stored in E.164 form.
    pub fn from_e164_unchecked(e164: String) -> Phone {
        Phone { e164 }
    }

    pub fn e164(&self) -> &str {
        &self.e164
    }
}

/// The metadata of country code 7 (Russia, Kazakhstan) alone: the numbers
/// of nearly every guest. The crate's whole database (every country,
/// about 2.3 MB once loaded, and more while it loads) is loaded only when
/// a number of another country comes. `phone_seven.xml` holds the two
/// territories of the crate's own metadata file, unchanged.
static SEVEN: LazyLock<Option<Database>> = LazyLock::new(|| {
    // Loads (a test proves it); were it ever not to, no +7 number would
    // be valid, and the tests say so.
    Database::parse(include_str!("phone_seven.xml")).ok()
});

/// The ten digits of a +7 number written in one of the usual ways: `+7`
/// and ten digits; or, without `+`, the trunk prefix 8 (or a 7) and ten
/// digits, or the ten alone. Anything else goes to [`other_country`].
///
/// Read here, not by the crate's parser: that strips a leading 8 from the
/// national number whether or not it is a trunk prefix (phonenumber
/// 0.3.10), so it refused every number whose area code begins with 8 (St
/// Petersburg's 812, Kazan's 843, toll-free 800), however written.
fn seven_national<'a>(trimmed: &str, digits: &'a str) -> Option<&'a str> {
    let plain = trimmed
        .char_indices()
        .all(|(i, c)| c.is_ascii_digit() || " -().".contains(c) || (c == '+' && i == 0));
    if !plain {
        return None;
    }
    match (trimmed.starts_with('+'), digits.len()) {
        (true, 11) if digits.starts_with('7') => Some(&digits[1..]),
        (false, 11) if digits.starts_with(['7', '8']) => Some(&digits[1..]),
        (false, 10) => Some(digits),
        _ => None,
    }
}

/// The kinds of number a valid one is of, in the order the crate's
/// validator asks.
const KINDS: [phonenumber::Type; 10] = [
    phonenumber::Type::PremiumRate,
    phonenumber::Type::TollFree,
    phonenumber::Type::SharedCost,
    phonenumber::Type::Voip,
    phonenumber::Type::PersonalNumber,
    phonenumber::Type::Pager,
    phonenumber::Type::Uan,
    phonenumber::Type::Voicemail,
    phonenumber::Type::FixedLine,
    phonenumber::Type::Mobile,
];

/// Whether a +7 national number is valid, as the crate's `is_valid` judges
/// it: the territory whose leading digits it starts with, then its general
/// pattern and the pattern of some kind of number.
fn seven_valid(national: &str) -> bool {
    let Some(db) = SEVEN.as_ref() else {
        return false;
    };
    let starts = |meta: &&phonenumber::Metadata| {
        meta.leading_digits()
            .and_then(|p| p.find(national))
            .is_some_and(|m| m.start() == 0)
    };
    let Some(meta) = db
        .region(&7)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|region| db.by_id(region))
        .find(starts)
    else {
        return false;
    };
    let kinds = meta.descriptors();
    kinds.general().is_match(national)
        && KINDS
            .iter()
            .any(|kind| kinds.get(*kind).is_some_and(|d| d.is_match(national)))
}

/// A valid number of another country (or a +7 one written some other
/// way), read by the crate against its whole database, in E.164: `+`, the
/// country code and the national number with its leading zeros, as the
/// crate's formatter writes it (without the formatter, which compiles every
/// layout pattern of the country). With `+` the number's own country
/// applies; without, Russia's dialling rules (`810 44 …`).
fn other_country(raw: &str) -> Option<Phone> {
    let region = (!raw.starts_with('+')).then_some(phonenumber::country::Id::RU);
    let db: &Database = &phonenumber::metadata::DATABASE;
    let number = phonenumber::parse_with(db, region, raw).ok()?;
    phonenumber::is_valid_with(db, &number).then(|| Phone {
        e164: format!("+{}{}", number.code().value(), number.national()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_numbers_in_any_common_spelling_become_e164() {
        for raw in [
            "8 (916) 123-45-67",
            "+7 916 123 45 67",
            "89161234567",
            "+79161234567",
            "9161234567",
            " 7-916-123-45-67 ",
        ] {
            assert_eq!(Phone::parse(raw).unwrap().e164(), "+79161234567", "{raw}");
        }
    }

    #[test]
    fn numbers_whose_area_code_begins_with_eight_are_read_in_any_spelling() {
        for (raw, e164) in [
            ("8 (812) 314-15-92", "+78123141592"),
            ("8 800 555-35-35", "+78005553535"),
            ("8-843-231-23-45", "+78432312345"),
            ("+7 (812) 314-15-92", "+78123141592"),
            ("88123141592", "+78123141592"),
            ("+7 800 555 35 35", "+78005553535"),
        ] {
            let phone = Phone::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e:?}"));
            assert_eq!(phone.e164(), e164, "{raw}");
        }
        // No such country code, no such area code: refused.
        assert!(Phone::parse("+8 812 314 15 92").is_err());
        assert!(Phone::parse("8 (212) 314-15-92").is_err());
    }

    #[test]
    fn plus_seven_numbers_are_judged_as_the_crate_judges_them() {
        assert!(SEVEN.is_some(), "phone_seven.xml loads");
        // Where the crate reads the number right (its national number does
        // not begin with 8), the same verdict and the same E.164.
        for raw in [
            "+7 916 123 45 67",
            "8 (495) 123-45-67",
            "9161234567",
            "79161234567",
            "+7 727 258 1234",
            "+7 701 123 4567",
            "87012345678",
            "+7 940 123 45 67",
            "+7 000 000 00 00",
            "+7 600 123 45 67",
            "+7 916 123 45 6",
            "+7 916 123 45 678",
            "8 (351) 123-45-67",
            "+7 (3952) 12-34-56",
        ] {
            let crate_says = phonenumber::parse(Some(phonenumber::country::Id::RU), raw)
                .ok()
                .filter(phonenumber::is_valid)
                .map(|n| n.format().mode(phonenumber::Mode::E164).to_string());
            let ours = Phone::parse(raw).ok().map(|p| p.e164().to_owned());
            assert_eq!(ours, crate_says, "{raw}");
        }
        // A number with words in it is not read by the quick path.
        assert!(seven_national("916 123 45 67 Ivan", "9161234567").is_none());
    }

    #[test]
    fn foreign_numbers_keep_their_country() {
        for (raw, e164) in [
            ("+44 20 7946 0958", "+442079460958"),
            ("+49 30 12345678", "+493012345678"),
            // Dialled from Russia: 810, then the country.
            ("810 44 20 7946 0958", "+442079460958"),
            ("+1 202 555 0143", "+12025550143"),
        ] {
            assert_eq!(Phone::parse(raw).unwrap().e164(), e164, "{raw}");
        }
    }

    #[test]
    fn garbage_and_impossible_numbers_are_refused() {
        for raw in [
            "",
            "abc",
            "123",
            "+7 000 000 00 00",
            "8 (916) 123-45-67-89-00-11",
            "+7 916 123 45 6",
        ] {
            assert!(Phone::parse(raw).is_err(), "{raw} accepted");
        }
    }
}
