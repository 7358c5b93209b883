//! Assignment rules and the choice of a seller: the reference algorithm of BRIEF.md
//! ("Assignment rules") and sections 3–4 of the Dynamics study, written once.
//!
//! A segment's rules are tried top-down and the first whose conditions match fires; the
//! fired rule's target gives the candidate sellers, which pass the filters in this order:
//! target and attributes → the "assign records" switch → capacity (when honoured) →
//! availability within N hours (when set). Then round robin (least recently assigned wins)
//! or load balancing (most free capacity wins) picks one.
//!
//! Decisions where the brief and the study are silent:
//! - A rule whose conditions match but whose seller choice fails still fires: the record is
//!   unassigned with that rule's reason (no seller matched, no capacity, no availability);
//!   later rules are not tried — unless the segment's [`Routing`] says "try the next
//!   matching rule", when the chain goes on to the next rule whose conditions match. When no
//!   rule placed the record, the segment's default route (a seller, or a team by round robin;
//!   capacity and availability not asked) places it; when that fails too, the default's
//!   reason is the record's. A rule whose conditions match but whose "created in the last
//!   N hours" excludes the record is skipped; when no later rule fires the reason is "too
//!   old". A record with no creation time is never too old.
//! - "No rules on the segment" means no *active* rule.
//! - Availability buckets follow the study's six: bucket 0 is "working now", bucket k ≥ 1
//!   holds first available moments in `((k−1)·24 h, k·24 h]` from now. A seller whose first
//!   available moment is more than N hours away is not available. With load balancing,
//!   bucket 0 is load balanced; any later bucket is round robin (the study's example 3).
//! - Work hours and time off are read in the seller's time zone; an unknown zone name falls
//!   back to the workspace zone. Invalid work periods (start ≥ end, end > 1440, weekday
//!   outside 1–7) are ignored. A time skipped or repeated by DST resolves as jiff's
//!   "compatible" rule.
//! - Attribute conditions compare case-insensitively with [`fold`] (as text conditions do);
//!   a seller matches a condition when one of its values for the attribute is one of the
//!   condition's values. A value taken from the record uses the record's field as text (text
//!   and choice fields); an empty record field matches no seller.
//! - A team target distributes among the team's members like specific sellers.
//! - Round robin order is the last assignment's [`Stamp`]: its instant, then its order
//!   number (several assignments in one instant, e.g. a batch), never assigned = oldest,
//!   then the seller id. Load balancing: most free capacity (no capacity = unlimited), then
//!   round robin order.

mod assigner;
mod placeable;
pub mod simulate;

pub use assigner::*;
use placeable::merged;
pub use placeable::{Placeable, Way};

use std::fmt;

use super::condition::Group;
use super::eval::fold;
use super::people::{AttributeDefinition, Seller, Team};
use super::schema::{FieldKind, FieldName, RecordTypeDef, Schema};
use super::validate::{Problem, validate};
use super::value::{SellerId, TeamId};

/// The most hours "available within" may span (five 24-hour buckets).
pub const MAX_AVAILABILITY_HOURS: u32 = 120;

const NANOS_PER_HOUR: i128 = 3_600_000_000_000;

/// The id of an assignment rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub i64);

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What a segment does when its rules place no seller: the fallback chain after its rules.
/// The default (no fall-through, leave unassigned) is the behaviour without a chain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Routing {
    /// When the rule whose conditions matched finds no seller, try the next matching rule.
    pub try_next_rule: bool,
    /// Where a record goes when no rule placed it.
    pub default: DefaultRoute,
}

/// The last link of a segment's fallback chain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DefaultRoute {
    #[default]
    LeaveUnassigned,
    /// This seller (when its "assign records" switch is on).
    Seller(SellerId),
    /// The team's members by round robin.
    Team(TeamId),
}

/// Whether a segment with these rules and routing could place a record at all, whoever
/// the sellers are: an active rule, or a default route other than "leave unassigned".
pub fn places_any(rules: &[AssignmentRule], routing: Routing) -> bool {
    rules.iter().any(|rule| rule.active) || routing.default != DefaultRoute::LeaveUnassigned
}

impl Routing {
    /// A rule-shaped stand-in for the default route: the target, round robin, no capacity
    /// or availability asked; `None` for "leave unassigned".
    pub fn default_rule(&self) -> Option<AssignmentRule> {
        let target = match self.default {
            DefaultRoute::LeaveUnassigned => return None,
            DefaultRoute::Seller(seller) => Target::Sellers(vec![seller]),
            DefaultRoute::Team(team) => Target::Team(team),
        };
        Some(AssignmentRule {
            id: RuleId(0),
            name: "Default route".to_owned(),
            active: true,
            conditions: Group::all(super::condition::NodeId(0)),
            created_within_hours: None,
            target,
            distribution: Distribution::RoundRobin,
            honour_capacity: false,
            available_within_hours: None,
        })
    }
}

/// One rule of a segment.
#[derive(Clone, Debug, PartialEq)]
pub struct AssignmentRule {
    pub id: RuleId,
    pub name: String,
    pub active: bool,
    /// The rule's own conditions, on top of segment membership.
    pub conditions: Group,
    /// Only records created in the last N hours.
    pub created_within_hours: Option<u32>,
    pub target: Target,
    pub distribution: Distribution,
    pub honour_capacity: bool,
    /// Only sellers available within N hours (at most [`MAX_AVAILABILITY_HOURS`]).
    pub available_within_hours: Option<u32>,
}

impl AssignmentRule {
    /// The fields of the record being assigned that deciding by this rule reads: those
    /// of its conditions ([`Group::fields_used`]) and those its seller attributes take
    /// their values from. The record's creation time is read besides, when it has one.
    pub fn fields_read(&self) -> std::collections::BTreeSet<FieldName> {
        let mut fields = self.conditions.fields_used();
        if let Target::SellersMatching(conditions) = &self.target {
            for condition in conditions {
                if let AttributeValue::FromRecord(field) = &condition.values {
                    fields.insert(field.clone());
                }
            }
        }
        fields
    }
}

/// Who a rule may assign to.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    AnySeller,
    /// Sellers meeting every attribute condition.
    SellersMatching(Vec<AttributeCondition>),
    Sellers(Vec<SellerId>),
    Team(TeamId),
}

/// "Seller <attribute> is any of <values>".
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeCondition {
    pub attribute: String,
    pub values: AttributeValue,
}

/// The values an attribute condition accepts.
#[derive(Clone, Debug, PartialEq)]
pub enum AttributeValue {
    Fixed(Vec<String>),
    /// The value of a field of the record being assigned (seller language = lead language).
    FromRecord(FieldName),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Distribution {
    RoundRobin,
    LoadBalancing,
}

impl Distribution {
    pub const ALL: [Distribution; 2] = [Distribution::RoundRobin, Distribution::LoadBalancing];
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Distribution::RoundRobin => "Round robin",
            Distribution::LoadBalancing => "Load balancing",
        })
    }
}

/// What is wrong with a rule, shown inline in the rule editor.
#[derive(Clone, Debug, PartialEq)]
pub enum RuleProblem {
    EmptyName,
    /// A problem of the rule's condition tree.
    Condition(Problem),
    ZeroCreatedWithin,
    AvailabilityTooLong {
        hours: u32,
    },
    NoAttributeConditions,
    UnknownAttribute {
        attribute: String,
    },
    NoValues {
        attribute: String,
    },
    UnknownAttributeValue {
        attribute: String,
        value: String,
    },
    UnknownRecordField {
        field: String,
    },
    /// A value taken from the record must come from a text or choice field.
    RecordFieldNotText {
        field: String,
        kind: FieldKind,
    },
    EmptySellerList,
    UnknownSeller {
        seller: SellerId,
    },
    UnknownTeam {
        team: TeamId,
    },
}

impl fmt::Display for RuleProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleProblem::EmptyName => f.write_str("The rule needs a name"),
            RuleProblem::Condition(problem) => problem.fmt(f),
            RuleProblem::ZeroCreatedWithin => f.write_str("\"Created in the last\" needs at least 1 hour"),
            RuleProblem::AvailabilityTooLong { hours } => {
                write!(f, "Availability within {hours} hours is more than {MAX_AVAILABILITY_HOURS} hours")
            }
            RuleProblem::NoAttributeConditions => f.write_str("Add at least one seller attribute condition"),
            RuleProblem::UnknownAttribute { attribute } => write!(f, "No seller attribute is named \"{attribute}\""),
            RuleProblem::NoValues { attribute } => write!(f, "Choose at least one value of {attribute}"),
            RuleProblem::UnknownAttributeValue { attribute, value } => {
                write!(f, "{attribute} has no value \"{value}\"")
            }
            RuleProblem::UnknownRecordField { field } => write!(f, "The record type has no field \"{field}\""),
            RuleProblem::RecordFieldNotText { field, kind } => {
                write!(f, "{field} is a {kind:?} field; seller attributes compare with text or choice fields")
            }
            RuleProblem::EmptySellerList => f.write_str("Choose at least one seller"),
            RuleProblem::UnknownSeller { seller } => write!(f, "Seller {} does not exist", seller.0),
            RuleProblem::UnknownTeam { team } => write!(f, "Team {} does not exist", team.0),
        }
    }
}

/// Every problem of `rule` for records of `ty`, given the workspace's attribute definitions,
/// sellers and teams. Empty when the rule can be saved.
pub fn validate_rule(
    schema: &Schema,
    ty: &RecordTypeDef,
    definitions: &[AttributeDefinition],
    sellers: &[Seller],
    teams: &[Team],
    rule: &AssignmentRule,
) -> Vec<RuleProblem> {
    let mut problems = Vec::new();
    if rule.name.trim().is_empty() {
        problems.push(RuleProblem::EmptyName);
    }
    problems.extend(validate(schema, ty, &rule.conditions).into_iter().map(RuleProblem::Condition));
    if rule.created_within_hours == Some(0) {
        problems.push(RuleProblem::ZeroCreatedWithin);
    }
    if let Some(hours) = rule.available_within_hours.filter(|&h| h > MAX_AVAILABILITY_HOURS) {
        problems.push(RuleProblem::AvailabilityTooLong { hours });
    }
    match &rule.target {
        Target::AnySeller => {}
        Target::SellersMatching(conditions) => {
            if conditions.is_empty() {
                problems.push(RuleProblem::NoAttributeConditions);
            }
            for condition in conditions {
                let folded = fold(&condition.attribute);
                let Some(definition) = definitions.iter().find(|d| fold(&d.name) == folded) else {
                    problems.push(RuleProblem::UnknownAttribute { attribute: condition.attribute.clone() });
                    continue;
                };
                match &condition.values {
                    AttributeValue::Fixed(values) => {
                        if values.iter().all(|v| v.trim().is_empty()) {
                            problems.push(RuleProblem::NoValues { attribute: definition.name.clone() });
                        }
                        for value in values.iter().filter(|v| !v.trim().is_empty()) {
                            let value_folded = fold(value);
                            if !definition.values.iter().any(|known| fold(known) == value_folded) {
                                problems.push(RuleProblem::UnknownAttributeValue {
                                    attribute: definition.name.clone(),
                                    value: value.clone(),
                                });
                            }
                        }
                    }
                    AttributeValue::FromRecord(field) => match ty.field(field) {
                        None => problems.push(RuleProblem::UnknownRecordField { field: field.as_str().to_owned() }),
                        Some(def) if !matches!(def.kind, FieldKind::Text | FieldKind::Choice) => {
                            problems.push(RuleProblem::RecordFieldNotText { field: def.label.clone(), kind: def.kind });
                        }
                        Some(_) => {}
                    },
                }
            }
        }
        Target::Sellers(ids) => {
            if ids.is_empty() {
                problems.push(RuleProblem::EmptySellerList);
            }
            for &seller in ids {
                if !sellers.iter().any(|s| s.id == seller) {
                    problems.push(RuleProblem::UnknownSeller { seller });
                }
            }
        }
        Target::Team(team) => {
            if !teams.iter().any(|t| t.id == *team) {
                problems.push(RuleProblem::UnknownTeam { team: *team });
            }
        }
    }
    problems
}
