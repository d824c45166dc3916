//! Money as an integer number of minor units (kopecks). Never a float.

use serde::{Deserialize, Serialize};
use std::ops::{Add, Mul};

/// An amount of roubles in kopecks.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_minor(minor: i64) -> Self {
        Money(minor)
    }

    pub const fn from_major(roubles: i64) -> Self {
        Money(roubles * 100)
    }

    pub const fn minor(self) -> i64 {
        self.0
    }

    /// Whole roubles and the remaining kopecks, both non-negative; the sign is
    /// reported separately so that formatting never prints "-0".
    pub fn parts(self) -> (bool, u64, u64) {
        let negative = self.0 < 0;
        let abs = self.0.unsigned_abs();
        (negative, abs / 100, abs % 100)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// Roubles as typed in a form: `2500`, `2500.50`, `2 500,5`. At most two
    /// decimals, no sign, no exponent, nothing that is not a number; the
    /// value is computed in integers, never through a float.
    pub fn parse_roubles(raw: &str) -> Option<Money> {
        let cleaned: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
            .map(|c| if c == ',' { '.' } else { c })
            .collect();
        let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || (cleaned.contains('.') && !digits(fraction)) || fraction.len() > 2 {
            return None;
        }
        let roubles: i64 = whole.parse().ok()?;
        let kopecks: i64 = match fraction.len() {
            0 => 0,
            1 => fraction.parse::<i64>().ok()? * 10,
            _ => fraction.parse().ok()?,
        };
        roubles.checked_mul(100)?.checked_add(kopecks).map(Money)
    }
}

impl Add for Money {
    type Output = Money;
    /// Saturates instead of wrapping: prices are bounded far below the
    /// limit, and a bug must not turn a huge total into a negative one.
    fn add(self, rhs: Money) -> Money {
        Money(self.0.saturating_add(rhs.0))
    }
}

impl Mul<i64> for Money {
    type Output = Money;
    fn mul(self, rhs: i64) -> Money {
        Money(self.0.saturating_mul(rhs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roubles_are_read_as_typed_without_floats() {
        assert_eq!(
            Money::parse_roubles("2500"),
            Some(Money::from_minor(250_000))
        );
        assert_eq!(
            Money::parse_roubles(" 2 500,5 "),
            Some(Money::from_minor(250_050))
        );
        assert_eq!(Money::parse_roubles("0.07"), Some(Money::from_minor(7)));
        for bad in [
            "",
            "NaN",
            "inf",
            "-5",
            "1e3",
            "2.505",
            "12.",
            ".5",
            "1.2.3",
            "99999999999999999999",
        ] {
            assert_eq!(Money::parse_roubles(bad), None, "{bad}");
        }
    }

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        assert_eq!(Money::from_minor(i64::MAX) * 2, Money::from_minor(i64::MAX));
        assert_eq!(
            Money::from_minor(i64::MAX) + Money::from_minor(1),
            Money::from_minor(i64::MAX)
        );
    }

    #[test]
    fn roubles_are_stored_as_kopecks() {
        assert_eq!(Money::from_major(1500).minor(), 150_000);
    }

    #[test]
    fn parts_split_roubles_and_kopecks_without_a_negative_zero() {
        assert_eq!(Money::from_minor(150_050).parts(), (false, 1500, 50));
        assert_eq!(Money::from_minor(-5).parts(), (true, 0, 5));
        assert_eq!(Money::ZERO.parts(), (false, 0, 0));
    }

    #[test]
    fn arithmetic_stays_in_minor_units() {
        assert_eq!(
            Money::from_major(10) * 3 + Money::from_minor(1),
            Money::from_minor(3001)
        );
        assert_eq!(
            Money::from_minor(i64::MAX).checked_add(Money::from_minor(1)),
            None
        );
    }
}
