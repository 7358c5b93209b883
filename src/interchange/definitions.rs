//! The definitions bundle: everything an admin defines (custom record types and fields,
//! seller attributes, sellers, teams, sequences, segments with their conditions and
//! priority) as one human-readable, versioned RON file — for version control and for moving
//! definitions between workspaces. Records, memberships and history are not in it.
//!
//! The file shape is its own set of types, separate from the domain types, like the
//! condition format it embeds; `docs/definitions-format.md` documents it field by field.
//! Version 2 adds each segment's assignment rules to version 1; both are read. Everything
//! refers to everything else by name (sellers by email), never by database id, so a bundle
//! moves between workspaces. Importing is planned in [`plan`](super::definitions_plan).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::assignment::{AssignmentRule, AttributeValue, Distribution, Target};
use crate::domain::condition_format::ron_message;
use crate::domain::condition_format::v1::{GroupDto, SegmentKeyDto};
use crate::domain::{
    AttributeDefinition, FieldKind, RecordTypeDef, Schema, Segment, SegmentId, Seller, SellerId, Sequence, Status,
    StepKind, Team,
};

/// The version this build writes (and the newest it reads).
pub const BUNDLE_VERSION: u32 = 2;
/// The oldest version this build reads.
pub const OLDEST_BUNDLE_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    pub version: u32,
    /// Custom record types with all their fields, and the custom fields of built-in types.
    #[serde(default)]
    pub record_types: Vec<RecordTypeEntry>,
    #[serde(default)]
    pub attributes: Vec<AttributeEntry>,
    #[serde(default)]
    pub sellers: Vec<SellerEntry>,
    #[serde(default)]
    pub teams: Vec<TeamEntry>,
    #[serde(default)]
    pub sequences: Vec<SequenceEntry>,
    /// Per record type in priority order (the first of a type is its highest).
    #[serde(default)]
    pub segments: Vec<SegmentEntry>,
    /// The workspace settings (time zone, evaluation interval, nesting limit); an import
    /// sets them. Absent in bundles written before they were carried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<crate::domain::timing::WorkspaceSettings>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordTypeEntry {
    pub name: String,
    pub label: String,
    pub plural_label: String,
    /// Built-in types are listed only to carry their custom fields.
    #[serde(default)]
    pub built_in: bool,
    pub primary_field: String,
    pub fields: Vec<FieldEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldEntry {
    pub name: String,
    pub label: String,
    /// text, `whole_number`, decimal, money, date, `date_time`, `yes_no`, choice, lookup, owner.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup_target: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeEntry {
    pub name: String,
    pub values: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SellerEntry {
    pub name: String,
    /// Sellers are matched by email between workspaces.
    pub email: String,
    pub time_zone: String,
    #[serde(default)]
    pub attributes: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    /// (weekday 1 = Monday … 7, start "HH:MM", end "HH:MM") in the seller's time zone.
    #[serde(default)]
    pub work_hours: Vec<(u8, String, String)>,
    /// (start, end, reason), wall-clock times in the seller's time zone.
    #[serde(default)]
    pub time_off: Vec<(String, String, String)>,
    pub assign_records: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamEntry {
    pub name: String,
    /// Members by email.
    pub members: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequenceEntry {
    pub record_type: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub status: Status,
    pub steps: Vec<StepEntry>,
    /// Waits count the owner's working hours (`SequenceOptions`); false when absent.
    #[serde(default)]
    pub working_hours: bool,
    /// A record leaving its segment ends its enrolment; false when absent.
    #[serde(default)]
    pub stop_when_leaving: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepEntry {
    pub kind: StepKind,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_minutes: Option<u32>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentEntry {
    pub record_type: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub status: Status,
    #[serde(default)]
    pub accept_from_other_segments: bool,
    #[serde(default)]
    pub rerun_assignment_on_move: bool,
    /// The connected sequence, by name (of the same record type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
    pub conditions: GroupDto,
    /// The segment's assignment rules in order (version 2).
    #[serde(default)]
    pub rules: Vec<RuleEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleEntry {
    pub name: String,
    pub active: bool,
    pub conditions: GroupDto,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_within_hours: Option<u32>,
    pub target: TargetEntry,
    pub distribution: DistributionEntry,
    #[serde(default)]
    pub honour_capacity: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_within_hours: Option<u32>,
}

/// Who a rule assigns to; sellers by email (by name when they have none), a team by name.
#[derive(Debug, Serialize, Deserialize)]
pub enum TargetEntry {
    AnySeller,
    SellersMatching(Vec<AttributeConditionEntry>),
    Sellers(Vec<String>),
    Team(String),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeConditionEntry {
    pub attribute: String,
    pub values: AttributeValueEntry,
}

#[derive(Debug, Serialize, Deserialize)]
pub enum AttributeValueEntry {
    /// Sellers with one of these values.
    Fixed(Vec<String>),
    /// Sellers whose value is the record's value of this field (logical name).
    FromRecord(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DistributionEntry {
    RoundRobin,
    LoadBalancing,
}

impl From<Distribution> for DistributionEntry {
    fn from(value: Distribution) -> Self {
        match value {
            Distribution::RoundRobin => DistributionEntry::RoundRobin,
            Distribution::LoadBalancing => DistributionEntry::LoadBalancing,
        }
    }
}

impl From<DistributionEntry> for Distribution {
    fn from(value: DistributionEntry) -> Self {
        match value {
            DistributionEntry::RoundRobin => Distribution::RoundRobin,
            DistributionEntry::LoadBalancing => Distribution::LoadBalancing,
        }
    }
}

/// How a bundle refers to a seller: the email, or the name when the email is blank.
pub fn seller_key(seller: &Seller) -> String {
    if seller.email.trim().is_empty() { seller.name.clone() } else { seller.email.clone() }
}

/// Everything a bundle is made from, as the store reads it.
pub struct Definitions<'a> {
    pub schema: &'a Schema,
    pub attributes: &'a [AttributeDefinition],
    pub sellers: &'a [Seller],
    pub teams: &'a [Team],
    pub sequences: &'a [Sequence],
    /// Per record type, in priority order.
    pub segments: &'a [Segment],
    /// The assignment rules of each segment, in order (a segment without rules may be
    /// missing).
    pub rules: &'a BTreeMap<SegmentId, Vec<AssignmentRule>>,
    /// The workspace settings, when known.
    pub settings: Option<&'a crate::domain::timing::WorkspaceSettings>,
}

/// The bundle of `definitions`.
pub fn bundle(definitions: &Definitions<'_>) -> Bundle {
    let record_types = definitions
        .schema
        .types
        .iter()
        .filter_map(|def| {
            let fields: Vec<FieldEntry> =
                def.fields.iter().filter(|f| !def.built_in || !f.built_in).map(field_entry).collect();
            (!def.built_in || !fields.is_empty()).then(|| type_entry(def, fields))
        })
        .collect();
    let email_of = |id: SellerId| definitions.sellers.iter().find(|s| s.id == id).map(seller_key).unwrap_or_default();
    let time = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
    Bundle {
        version: BUNDLE_VERSION,
        settings: definitions.settings.cloned(),
        record_types,
        attributes: definitions
            .attributes
            .iter()
            .map(|a| AttributeEntry { name: a.name.clone(), values: a.values.clone() })
            .collect(),
        sellers: definitions
            .sellers
            .iter()
            .map(|s| SellerEntry {
                name: s.name.clone(),
                email: s.email.clone(),
                time_zone: s.time_zone.clone(),
                attributes: s.attributes.clone(),
                capacity: s.capacity,
                work_hours: s
                    .work_hours
                    .iter()
                    .map(|w| (w.weekday, time(w.start_minute), time(w.end_minute)))
                    .collect(),
                time_off: s
                    .time_off
                    .iter()
                    .map(|t| (t.start.to_string(), t.end.to_string(), t.reason.clone()))
                    .collect(),
                assign_records: s.assign_records,
            })
            .collect(),
        teams: definitions
            .teams
            .iter()
            .map(|t| TeamEntry { name: t.name.clone(), members: t.members.iter().map(|m| email_of(*m)).collect() })
            .collect(),
        sequences: definitions
            .sequences
            .iter()
            .map(|s| SequenceEntry {
                record_type: s.record_type.to_string(),
                name: s.name.clone(),
                description: s.description.clone(),
                status: s.status,
                steps: s
                    .steps
                    .iter()
                    .map(|step| StepEntry {
                        kind: step.kind,
                        name: step.name.clone(),
                        description: step.description.clone(),
                        wait_minutes: step.wait_minutes,
                    })
                    .collect(),
                working_hours: s.options.working_hours,
                stop_when_leaving: s.options.stop_when_leaving,
            })
            .collect(),
        segments: definitions
            .segments
            .iter()
            .map(|s| SegmentEntry {
                record_type: s.record_type.to_string(),
                name: s.name.clone(),
                description: s.description.clone(),
                status: s.status,
                accept_from_other_segments: s.accept_from_other_segments,
                rerun_assignment_on_move: s.rerun_assignment_on_move,
                sequence: s
                    .sequence
                    .and_then(|id| definitions.sequences.iter().find(|q| q.id == id))
                    .map(|q| q.name.clone()),
                conditions: named_conditions(&s.conditions, definitions.segments),
                rules: definitions
                    .rules
                    .get(&s.id)
                    .map(|rules| rules.iter().map(|r| rule_entry(r, definitions)).collect())
                    .unwrap_or_default(),
            })
            .collect(),
    }
}

/// The conditions as the bundle writes them: segments by name, not by id ("#id" for one
/// the workspace does not have).
fn named_conditions(conditions: &crate::domain::Group, segments: &[Segment]) -> GroupDto {
    let mut dto = GroupDto::from(conditions);
    dto.rename_segments(&mut |key, _| match key {
        SegmentKeyDto::Id(id) => Some(SegmentKeyDto::Name(
            segments.iter().find(|s| s.id.0 == *id).map_or_else(|| format!("#{id}"), |s| s.name.clone()),
        )),
        SegmentKeyDto::Name(_) => None,
    });
    dto
}

fn rule_entry(rule: &AssignmentRule, definitions: &Definitions<'_>) -> RuleEntry {
    let seller = |id: &SellerId| {
        definitions.sellers.iter().find(|s| s.id == *id).map_or_else(|| format!("#{}", id.0), seller_key)
    };
    let target = match &rule.target {
        Target::AnySeller => TargetEntry::AnySeller,
        Target::SellersMatching(conditions) => TargetEntry::SellersMatching(
            conditions
                .iter()
                .map(|c| AttributeConditionEntry {
                    attribute: c.attribute.clone(),
                    values: match &c.values {
                        AttributeValue::Fixed(values) => AttributeValueEntry::Fixed(values.clone()),
                        AttributeValue::FromRecord(field) => AttributeValueEntry::FromRecord(field.to_string()),
                    },
                })
                .collect(),
        ),
        Target::Sellers(ids) => TargetEntry::Sellers(ids.iter().map(seller).collect()),
        Target::Team(id) => TargetEntry::Team(
            definitions.teams.iter().find(|t| t.id == *id).map_or_else(|| format!("#{}", id.0), |t| t.name.clone()),
        ),
    };
    RuleEntry {
        name: rule.name.clone(),
        active: rule.active,
        conditions: GroupDto::from(&rule.conditions),
        created_within_hours: rule.created_within_hours,
        target,
        distribution: rule.distribution.into(),
        honour_capacity: rule.honour_capacity,
        available_within_hours: rule.available_within_hours,
    }
}

fn type_entry(def: &RecordTypeDef, fields: Vec<FieldEntry>) -> RecordTypeEntry {
    RecordTypeEntry {
        name: def.name.to_string(),
        label: def.label.clone(),
        plural_label: def.plural_label.clone(),
        built_in: def.built_in,
        primary_field: def.primary_field.to_string(),
        fields,
    }
}

fn field_entry(field: &crate::domain::FieldDef) -> FieldEntry {
    FieldEntry {
        name: field.name.to_string(),
        label: field.label.clone(),
        kind: field.kind.key().to_owned(),
        choices: if field.kind == FieldKind::Choice { field.choices.clone() } else { Vec::new() },
        lookup_target: field.lookup_target.as_ref().map(|t| t.to_string()),
    }
}

/// The bundle as RON text.
pub fn to_ron(bundle: &Bundle) -> Result<String, String> {
    let config = ron::ser::PrettyConfig::default().escape_strings(false).struct_names(false);
    ron::ser::to_string_pretty(bundle, config).map_err(|e| e.to_string())
}

/// Reads a bundle (version 1 or 2), or says where it is wrong (line and column) or that its
/// version is not one this build reads. A key the format does not have (a misspelt
/// `segmnets`) is an error naming the keys allowed there, not silently left out.
pub fn from_ron(text: &str) -> Result<Bundle, String> {
    #[derive(Deserialize)]
    struct Probe {
        version: u32,
    }
    let at = |e: ron::error::SpannedError| {
        format!("line {}, column {}: {}", e.span.start.line, e.span.start.col, ron_message(&e.code))
    };
    // The version is read first, so a newer file is refused as newer, not as malformed; a
    // file too broken to find it in is reported where it breaks.
    let version = match ron::from_str::<Probe>(text) {
        Ok(probe) => probe.version,
        Err(error) => {
            ron::from_str::<Bundle>(text).map_err(at)?;
            return Err(at(error));
        }
    };
    let line = text.lines().position(|l| l.contains("version")).map_or(1, |i| i + 1);
    match version {
        OLDEST_BUNDLE_VERSION..=BUNDLE_VERSION => ron::from_str(text).map_err(at),
        newer if newer > BUNDLE_VERSION => Err(format!(
            "line {line}: bundle version {newer} is newer than this app reads (up to {BUNDLE_VERSION}); update the app"
        )),
        other => Err(format!(
            "line {line}: there is no bundle version {other} (this app reads {OLDEST_BUNDLE_VERSION} to {BUNDLE_VERSION})"
        )),
    }
}
