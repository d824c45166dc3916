//! Phone numbers: parsed from whatever a guest types (default region RU) and
//! normalised to E.164, which groups a client's bookings. What the guest
//! typed is kept for display.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Phone {
    e164: String,
}

impl Phone {
    /// Accepts `8 (916) 123-45-67`, `+7 916 123 45 67`, `9161234567`,
    /// `+44 20 7946 0958` and the like; refuses anything that is not a valid
    /// number for its region.
    pub fn parse(raw: &str) -> Result<Phone, FieldError> {
        let invalid = || {
            FieldError::new(
                "invalid_phone",
                "Enter a phone number, e.g. +7 916 123-45-67.",
            )
        };
        let trimmed = raw.trim();
        let digits = trimmed.chars().filter(char::is_ascii_digit).count();
        if !(7..=15).contains(&digits) || trimmed.len() > 40 {
            return Err(invalid());
        }
        let number = phonenumber::parse(Some(phonenumber::country::Id::RU), trimmed)
            .map_err(|_| invalid())?;
        if !phonenumber::is_valid(&number) {
            return Err(invalid());
        }
        Ok(Phone {
            e164: number.format().mode(phonenumber::Mode::E164).to_string(),
        })
    }

    /// Wraps a number already stored in E.164 form.
    pub fn from_e164_unchecked(e164: String) -> Phone {
        Phone { e164 }
    }

    pub fn e164(&self) -> &str {
        &self.e164
    }
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
    fn foreign_numbers_keep_their_country() {
        assert_eq!(
            Phone::parse("+44 20 7946 0958").unwrap().e164(),
            "+442079460958"
        );
        assert_eq!(
            Phone::parse("+49 30 12345678").unwrap().e164(),
            "+493012345678"
        );
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
