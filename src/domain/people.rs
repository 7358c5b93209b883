//! Sellers and teams: who records are assigned to.

use std::collections::BTreeMap;

use jiff::civil::DateTime;
use serde::{Deserialize, Serialize};

use super::value::{SellerId, TeamId};

/// A working period on one weekday, in the seller's own time zone, as minutes since midnight
/// (`start_minute < end_minute <= 1440`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkPeriod {
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    pub weekday: u8,
    pub start_minute: u16,
    pub end_minute: u16,
}

/// An absence, in the seller's own time zone, `start` inclusive and `end` exclusive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeOff {
    pub start: DateTime,
    pub end: DateTime,
    pub reason: String,
}

/// A person records can be assigned to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Seller {
    pub id: SellerId,
    pub name: String,
    pub email: String,
    /// IANA time zone name, e.g. "Europe/Berlin".
    pub time_zone: String,
    /// Attribute name → values, e.g. "Language" → ["German", "English"].
    pub attributes: BTreeMap<String, Vec<String>>,
    /// How many open records the seller can hold; `None` is unlimited.
    pub capacity: Option<u32>,
    /// Weekly work hours. Empty means no schedule: always available.
    pub work_hours: Vec<WorkPeriod>,
    pub time_off: Vec<TimeOff>,
    /// The "assign records" switch: when off, assignment rules skip the seller.
    pub assign_records: bool,
}

/// A named group of sellers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub members: Vec<SellerId>,
}

/// An attribute sellers can have, with the values it may take ("Language": German, French…).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttributeDefinition {
    pub name: String,
    pub values: Vec<String>,
}
