//! Pure domain rules and value types. No I/O: everything here compiles to
//! WASM as well as to the server, and is unit-tested densely.

pub mod analytics;
pub mod board;
pub mod booking;
pub mod calendar;
pub mod employee;
pub mod money;
pub mod notifications;
pub mod password;
pub mod phone;
pub mod pricing;
pub mod reference;
pub mod schedule;
pub mod settings;
pub mod studio;

pub use employee::{Email, FullName, Role, Username};
pub use money::Money;
pub use password::{Password, PasswordError};
pub use phone::Phone;
pub use pricing::PriceBreakdown;
pub use reference::Reference;
pub use studio::{PublicCatalog, SpaceSummary, StudioInfo};
