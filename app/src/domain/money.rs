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
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl Mul<i64> for Money {
    type Output = Money;
    fn mul(self, rhs: i64) -> Money {
        Money(self.0 * rhs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
