//! What a guest sees of the studio: its name and its bookable spaces.

use super::Money;
use serde::{Deserialize, Serialize};

/// The studio as shown on every page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StudioInfo {
    pub name: String,
    /// IANA time zone every wall-clock time is shown in, e.g. `Europe/Moscow`.
    pub time_zone: String,
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
