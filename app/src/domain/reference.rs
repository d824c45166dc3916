//! Booking references, `REF-YYYYMMDD-XXXX`: the date a guest can read and
//! four random characters from an alphabet without look-alikes (no 0/O,
//! 1/I/L), so a reference read out over the phone is unambiguous and the
//! next one cannot be guessed from the last.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

const ALPHABET: &[u8; 32] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789#";

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reference(String);

impl Reference {
    /// Builds a reference from a date and four random bytes.
    pub fn new(date: NaiveDate, random: [u8; 4]) -> Reference {
        // 31 usable characters: '#' is never chosen (modulo 31).
        let suffix: String = random
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % 31] as char)
            .collect();
        Reference(format!("REF-{}-{suffix}", date.format("%Y%m%d")))
    }

    /// Accepts a reference as typed, in any case, with spaces trimmed.
    pub fn parse(raw: &str) -> Option<Reference> {
        let s = raw.trim().to_ascii_uppercase();
        let rest = s.strip_prefix("REF-")?;
        let (date, suffix) = rest.split_once('-')?;
        NaiveDate::parse_from_str(date, "%Y%m%d").ok()?;
        let valid = suffix.len() == 4 && suffix.bytes().all(|b| ALPHABET[..31].contains(&b));
        valid.then_some(Reference(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_carries_the_date_and_four_unambiguous_characters() {
        let r = Reference::new(
            NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
            [0, 1, 30, 255],
        );
        assert_eq!(r.as_str(), "REF-20261121-AB9H");
        assert!(!r.as_str()[13..].contains(['0', 'O', '1', 'I', 'L']));
    }

    #[test]
    fn references_parse_back_whatever_the_case() {
        let r = Reference::parse(" ref-20261121-ab9j ").unwrap();
        assert_eq!(r.as_str(), "REF-20261121-AB9J");
        assert!(Reference::parse("REF-20261321-AB9J").is_none(), "month 13");
        assert!(
            Reference::parse("REF-20261121-AB0J").is_none(),
            "zero is not in the alphabet"
        );
        assert!(Reference::parse("REF-20261121-AB9").is_none());
    }
}
