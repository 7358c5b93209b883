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
    /// Attribute name → values, e.g. "Language" → `["German", "English"]`.
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

/// One change made to several sellers at once ("Set for N sellers"): values added to and
/// removed from attributes, and optionally a new capacity and "assign records" switch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SellerBulkChange {
    /// Attribute name → values every chosen seller gets (kept once, in definition order).
    pub add_values: BTreeMap<String, Vec<String>>,
    /// Attribute name → values no chosen seller keeps.
    pub remove_values: BTreeMap<String, Vec<String>>,
    /// `Some(None)` is unlimited; `None` leaves each seller's capacity as it is.
    pub capacity: Option<Option<u32>>,
    pub assign_records: Option<bool>,
}

impl SellerBulkChange {
    pub fn is_empty(&self) -> bool {
        self.add_values.values().all(Vec::is_empty)
            && self.remove_values.values().all(Vec::is_empty)
            && self.capacity.is_none()
            && self.assign_records.is_none()
    }

    /// The seller as the change leaves it. Added values keep the order of `order` (the
    /// attribute definitions) where known; attributes left with no value disappear.
    pub fn apply_to(&self, seller: &mut Seller, order: &[AttributeDefinition]) {
        for (name, values) in &self.add_values {
            if values.is_empty() {
                continue;
            }
            let held = seller.attributes.entry(name.clone()).or_default();
            for value in values {
                if !held.contains(value) {
                    held.push(value.clone());
                }
            }
            if let Some(definition) = order.iter().find(|d| &d.name == name) {
                held.sort_by_key(|v| definition.values.iter().position(|d| d == v).unwrap_or(usize::MAX));
            }
        }
        for (name, values) in &self.remove_values {
            if let Some(held) = seller.attributes.get_mut(name) {
                held.retain(|v| !values.contains(v));
            }
        }
        seller.attributes.retain(|_, values| !values.is_empty());
        if let Some(capacity) = self.capacity {
            seller.capacity = capacity;
        }
        if let Some(assign) = self.assign_records {
            seller.assign_records = assign;
        }
    }
}

/// Whether an email address has the shape `local@domain.tld`: one `@`, something before
/// it, a dot inside the part after it, no spaces.
pub fn is_email_shaped(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    !local.is_empty()
        && !domain.contains('@')
        && !email.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|part| !part.is_empty())
}

/// Minutes since midnight as "HH:MM" (1440 is "24:00").
pub fn format_minute(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// "HH:MM" (or "H:MM", "24:00") as minutes since midnight.
pub fn parse_minute(text: &str) -> Option<u16> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let (hours, minutes) = (hours.trim(), minutes.trim());
    if hours.is_empty() || hours.len() > 2 || minutes.len() != 2 {
        return None;
    }
    let hours: u16 = hours.parse().ok()?;
    let minutes: u16 = minutes.parse().ok()?;
    let total = hours * 60 + minutes;
    (minutes < 60 && total <= 1440).then_some(total)
}

/// The weekday names of ISO weekdays 1..=7.
pub const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// What deleting a seller touches, for its confirmation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SellerUsage {
    /// Records whose owner field is the seller, over every record type.
    pub owned_records: u64,
    /// The teams the seller is a member of, by name.
    pub teams: Vec<String>,
    /// Assignment rules that name the seller, as "segment › rule".
    pub rules: Vec<String>,
}
