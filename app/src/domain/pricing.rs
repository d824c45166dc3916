//! Prices: base (hours × hourly price) + equipment + extra people − discount.
//! Integer kopecks throughout; a discount never makes a total negative.

use super::Money;
use serde::{Deserialize, Serialize};

/// A discount from a promo code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Discount {
    /// 1–100 percent of the subtotal, rounded down to the kopeck.
    Percent(i64),
    /// A fixed amount, at most the subtotal.
    Fixed(Money),
}

/// One piece of equipment on a booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EquipmentCharge {
    pub unit_price: Money,
    /// Charged per hour of the booking rather than once.
    pub per_hour: bool,
    pub quantity: i64,
}

/// What a booking costs, line by line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PriceBreakdown {
    pub hours: i64,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub base: Money,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub equipment: Money,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub extra_people: Money,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub discount: Money,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub total: Money,
}

/// The space's prices that a quote needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpacePrices {
    pub hourly_price: Money,
    pub included_people: i64,
    pub extra_person_price: Money,
}

pub fn quote(
    space: SpacePrices,
    minutes: i64,
    people: i64,
    equipment: &[EquipmentCharge],
    discount: Option<Discount>,
) -> PriceBreakdown {
    // Bookings are on the full-hour grid; a part hour would be charged whole.
    let hours = (minutes.max(0) + 59) / 60;
    let base = space.hourly_price * hours;
    let extra_people = space.extra_person_price * ((people - space.included_people).max(0) * hours);
    let equipment = equipment.iter().fold(Money::ZERO, |sum, e| {
        let units = if e.per_hour {
            e.quantity * hours
        } else {
            e.quantity
        };
        sum + e.unit_price * units.max(0)
    });
    let subtotal = base + equipment + extra_people;
    let discount = match discount {
        None => Money::ZERO,
        Some(Discount::Percent(p)) => Money::from_minor(subtotal.minor() * p.clamp(0, 100) / 100),
        Some(Discount::Fixed(amount)) => {
            Money::from_minor(amount.minor().clamp(0, subtotal.minor()))
        }
    };
    PriceBreakdown {
        hours,
        base,
        equipment,
        extra_people,
        discount,
        total: Money::from_minor(subtotal.minor() - discount.minor()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPACE: SpacePrices = SpacePrices {
        hourly_price: Money::from_major(2500),
        included_people: 4,
        extra_person_price: Money::from_major(300),
    };

    #[test]
    fn the_base_price_is_hours_times_the_hourly_price() {
        let p = quote(SPACE, 180, 2, &[], None);
        assert_eq!(
            (p.hours, p.base, p.total),
            (3, Money::from_major(7500), Money::from_major(7500))
        );
    }

    #[test]
    fn people_beyond_the_included_ones_pay_per_hour() {
        let p = quote(SPACE, 120, 6, &[], None);
        assert_eq!(p.extra_people, Money::from_major(2 * 300 * 2));
        assert_eq!(p.total, Money::from_major(5000 + 1200));
    }

    #[test]
    fn equipment_is_charged_once_or_per_hour() {
        let kit = [
            EquipmentCharge {
                unit_price: Money::from_major(500),
                per_hour: false,
                quantity: 2,
            },
            EquipmentCharge {
                unit_price: Money::from_major(100),
                per_hour: true,
                quantity: 1,
            },
        ];
        let p = quote(SPACE, 120, 1, &kit, None);
        assert_eq!(p.equipment, Money::from_major(1000 + 200));
    }

    #[test]
    fn a_percent_discount_rounds_down_to_the_kopeck() {
        let space = SpacePrices {
            hourly_price: Money::from_minor(333),
            ..SPACE
        };
        let p = quote(space, 60, 1, &[], Some(Discount::Percent(10)));
        assert_eq!(
            (p.discount, p.total),
            (Money::from_minor(33), Money::from_minor(300))
        );
    }

    #[test]
    fn a_fixed_discount_never_makes_the_total_negative() {
        let p = quote(
            SPACE,
            60,
            1,
            &[],
            Some(Discount::Fixed(Money::from_major(10_000))),
        );
        assert_eq!(
            (p.discount, p.total),
            (Money::from_major(2500), Money::ZERO)
        );
    }

    #[test]
    fn the_breakdown_always_adds_up() {
        for minutes in [60, 120, 600] {
            for people in [1, 4, 9] {
                let p = quote(SPACE, minutes, people, &[], Some(Discount::Percent(15)));
                assert_eq!(p.base + p.equipment + p.extra_people, p.total + p.discount);
            }
        }
    }
}
