//! The history of a segment: every change (conditions as readable text before and after,
//! name, description, options, status, priority, sequence), its creation and deletion.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::assignment::{AssignmentRule, AttributeValue, Target};
use super::describe::{Names, NoNames, describe};
use super::membership::{Impact, MembershipReason};
use super::schema::{RecordTypeDef, Schema};
use super::segment::{Segment, SegmentId};

/// What a history entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SegmentHistoryKind {
    Created,
    Name,
    Description,
    Conditions,
    /// "Accept records from other segments" and "re-run assignment when a record moves in".
    Options,
    Status,
    Priority,
    Sequence,
    /// The segment's assignment rules: added, changed, deleted or reordered.
    Rules,
    /// A re-evaluation (by hand, on activation, or as time passed) moved records in or out.
    Evaluated,
    Deleted,
}

impl SegmentHistoryKind {
    pub const ALL: [SegmentHistoryKind; 11] = [
        SegmentHistoryKind::Created,
        SegmentHistoryKind::Name,
        SegmentHistoryKind::Description,
        SegmentHistoryKind::Conditions,
        SegmentHistoryKind::Options,
        SegmentHistoryKind::Status,
        SegmentHistoryKind::Priority,
        SegmentHistoryKind::Sequence,
        SegmentHistoryKind::Rules,
        SegmentHistoryKind::Evaluated,
        SegmentHistoryKind::Deleted,
    ];

    /// The stable key stored in the workspace.
    pub fn key(self) -> &'static str {
        match self {
            SegmentHistoryKind::Created => "created",
            SegmentHistoryKind::Name => "name",
            SegmentHistoryKind::Description => "description",
            SegmentHistoryKind::Conditions => "conditions",
            SegmentHistoryKind::Options => "options",
            SegmentHistoryKind::Status => "status",
            SegmentHistoryKind::Priority => "priority",
            SegmentHistoryKind::Sequence => "sequence",
            SegmentHistoryKind::Rules => "rules",
            SegmentHistoryKind::Evaluated => "evaluated",
            SegmentHistoryKind::Deleted => "deleted",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }
}

impl fmt::Display for SegmentHistoryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SegmentHistoryKind::Created => "Created",
            SegmentHistoryKind::Name => "Name",
            SegmentHistoryKind::Description => "Description",
            SegmentHistoryKind::Conditions => "Conditions",
            SegmentHistoryKind::Options => "Options",
            SegmentHistoryKind::Status => "Status",
            SegmentHistoryKind::Priority => "Priority",
            SegmentHistoryKind::Sequence => "Sequence",
            SegmentHistoryKind::Rules => "Assignment rules",
            SegmentHistoryKind::Evaluated => "Evaluated",
            SegmentHistoryKind::Deleted => "Deleted",
        })
    }
}

/// One change of a segment, as readable text: `before` is empty for a creation, `after`
/// for a deletion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentChange {
    pub kind: SegmentHistoryKind,
    pub before: String,
    pub after: String,
}

impl SegmentChange {
    pub fn new(kind: SegmentHistoryKind, before: impl Into<String>, after: impl Into<String>) -> Self {
        Self { kind, before: before.into(), after: after.into() }
    }
}

/// A stored history entry: when, which segment (its name at that time), what changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentHistoryEntry {
    pub at: Timestamp,
    pub segment: SegmentId,
    pub segment_name: String,
    pub change: SegmentChange,
}

/// The readable text of a segment's conditions: one line per node, two spaces of indent
/// per level (`describe`); sellers and teams by id.
pub fn conditions_text(segment: &Segment, schema: &Schema) -> String {
    let Some(def) = schema.get(&segment.record_type) else {
        return format!("(conditions on the unknown record type {})", segment.record_type);
    };
    describe(&segment.conditions, def, schema, &NoNames)
        .into_iter()
        .map(|line| format!("{}{}", "  ".repeat(line.depth), line.text))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The options as text: "Accept records from other segments: yes; re-run assignment when a
/// record moves in: no".
pub fn options_text(segment: &Segment) -> String {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    format!(
        "Accept records from other segments: {}; re-run assignment when a record moves in: {}",
        yes_no(segment.accept_from_other_segments),
        yes_no(segment.rerun_assignment_on_move)
    )
}

/// The priority as people count it: 1 is the top.
pub fn priority_text(priority: u32) -> String {
    format!("{}", u64::from(priority) + 1)
}

fn sequence_text(segment: &Segment) -> String {
    segment.sequence.map_or_else(|| "none".to_owned(), |s| format!("sequence #{}", s.0))
}

/// Everything that differs between two versions of a segment, in a fixed order (name,
/// description, conditions, options, status, priority, sequence). Conditions compare by
/// their readable text, so renumbered node ids alone are not a change.
pub fn segment_changes(before: &Segment, after: &Segment, schema: &Schema) -> Vec<SegmentChange> {
    let mut changes = Vec::new();
    let mut push = |kind, b: String, a: String| {
        if b != a {
            changes.push(SegmentChange::new(kind, b, a));
        }
    };
    push(SegmentHistoryKind::Name, before.name.clone(), after.name.clone());
    push(SegmentHistoryKind::Description, before.description.clone(), after.description.clone());
    push(SegmentHistoryKind::Conditions, conditions_text(before, schema), conditions_text(after, schema));
    push(SegmentHistoryKind::Options, options_text(before), options_text(after));
    push(SegmentHistoryKind::Status, before.status.to_string(), after.status.to_string());
    push(SegmentHistoryKind::Priority, priority_text(before.priority), priority_text(after.priority));
    push(SegmentHistoryKind::Sequence, sequence_text(before), sequence_text(after));
    changes
}

/// A summary of a segment for its creation and deletion entries: status, priority,
/// options and conditions.
pub fn summary_text(segment: &Segment, schema: &Schema) -> String {
    format!(
        "Status: {}; priority: {}; {}\n{}",
        segment.status,
        priority_text(segment.priority),
        options_text(segment),
        conditions_text(segment, schema)
    )
}

/// A segment's assignment rules as readable text, in order: one line per rule ("1. Name:
/// team North, round robin, honours capacity"), its conditions indented below; "No rules"
/// when there are none. Before and after of a [`SegmentHistoryKind::Rules`] entry.
pub fn rules_text(rules: &[AssignmentRule], def: &RecordTypeDef, schema: &Schema, names: &dyn Names) -> String {
    if rules.is_empty() {
        return "No rules".to_owned();
    }
    let mut lines = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let mut parts = vec![target_text(&rule.target, names), rule.distribution.to_string().to_lowercase()];
        if rule.honour_capacity {
            parts.push("honours capacity".to_owned());
        }
        if let Some(hours) = rule.created_within_hours {
            parts.push(format!("created in the last {hours} h"));
        }
        if let Some(hours) = rule.available_within_hours {
            parts.push(format!("available within {hours} h"));
        }
        if !rule.active {
            parts.push("inactive".to_owned());
        }
        lines.push(format!("{}. {}: {}", index + 1, rule.name, parts.join(", ")));
        if !rule.conditions.children.is_empty() {
            for line in describe(&rule.conditions, def, schema, names) {
                lines.push(format!("   {}{}", "  ".repeat(line.depth), line.text));
            }
        }
    }
    lines.join("\n")
}

fn target_text(target: &Target, names: &dyn Names) -> String {
    match target {
        Target::AnySeller => "any seller".to_owned(),
        Target::SellersMatching(conditions) => {
            let each: Vec<String> = conditions
                .iter()
                .map(|c| match &c.values {
                    AttributeValue::Fixed(values) => format!("{} is any of {}", c.attribute, values.join(", ")),
                    AttributeValue::FromRecord(field) => format!("{} = the record's {field}", c.attribute),
                })
                .collect();
            format!("sellers whose {}", each.join(" and "))
        }
        Target::Sellers(sellers) => {
            let each: Vec<String> =
                sellers.iter().map(|s| names.seller(s.0).unwrap_or_else(|| format!("#{}", s.0))).collect();
            format!("sellers {}", each.join(", "))
        }
        Target::Team(team) => format!("team {}", names.team(team.0).unwrap_or_else(|| format!("#{}", team.0))),
    }
}

/// Whether changes for `reason` are recorded in the history of the segments they touch: a
/// re-evaluation or time passing (one record's edit is the record's history, not the
/// segment's; an activation and a deletion have entries of their own).
pub fn is_evaluation(reason: MembershipReason) -> bool {
    matches!(reason, MembershipReason::Reevaluation | MembershipReason::TimePassed)
}

/// What one evaluation did to `segment`, as the after text of an
/// [`SegmentHistoryKind::Evaluated`] entry ("412 members: 12 joined, 3 left, 2 moved in from
/// other segments (re-evaluation)"); `None` when it did nothing to it.
pub fn evaluation_text(
    impact: &Impact,
    segment: SegmentId,
    members_after: u64,
    reason: MembershipReason,
) -> Option<String> {
    let joined = impact.joins.get(&segment).copied().unwrap_or(0);
    let left = impact.leaves.get(&segment).copied().unwrap_or(0);
    let moved_in: u64 = impact.moves.iter().filter(|((_, to), _)| *to == segment).map(|(_, n)| n).sum();
    let moved_out: u64 = impact.moves.iter().filter(|((from, _), _)| *from == segment).map(|(_, n)| n).sum();
    let mut parts = Vec::new();
    for (count, what) in [
        (joined, "joined"),
        (left, "left"),
        (moved_in, "moved in from other segments"),
        (moved_out, "moved to other segments"),
    ] {
        if count > 0 {
            parts.push(format!("{count} {what}"));
        }
    }
    if parts.is_empty() {
        return None;
    }
    let why = match reason {
        MembershipReason::TimePassed => "time passed",
        _ => "re-evaluation",
    };
    let noun = if members_after == 1 { "member" } else { "members" };
    Some(format!("{members_after} {noun}: {} ({why})", parts.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::condition::{Condition, FieldPath, Group, Node, NodeId, Operand, Operator};
    use crate::domain::schema::RecordTypeName;
    use crate::domain::segment::Status;

    fn segment(country: &str) -> Segment {
        Segment {
            id: SegmentId(1),
            record_type: RecordTypeName::new("lead"),
            name: "Germany".into(),
            description: String::new(),
            status: Status::Draft,
            priority: 0,
            conditions: Group {
                children: vec![Node::Condition(Condition {
                    id: NodeId(1),
                    path: FieldPath::own("country"),
                    operator: Operator::Equals,
                    value: Operand::Text(country.into()),
                })],
                ..Group::all(NodeId(0))
            },
            accept_from_other_segments: false,
            rerun_assignment_on_move: false,
            sequence: None,
            created_on: Timestamp::UNIX_EPOCH,
            modified_on: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn changes_are_readable() {
        let schema = Schema::built_in();
        let before = segment("Germany");
        let mut after = segment("Austria");
        after.status = Status::Active;
        after.accept_from_other_segments = true;
        let changes = segment_changes(&before, &after, &schema);
        let kinds: Vec<_> = changes.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [SegmentHistoryKind::Conditions, SegmentHistoryKind::Options, SegmentHistoryKind::Status]);
        assert_eq!(changes[0].before, "All of\n  Country equals \"Germany\"");
        assert_eq!(changes[0].after, "All of\n  Country equals \"Austria\"");
        assert_eq!((changes[2].before.as_str(), changes[2].after.as_str()), ("Draft", "Active"));
        assert!(segment_changes(&before, &before.clone(), &schema).is_empty());
    }

    #[test]
    fn evaluations_say_what_moved() {
        let mut impact = Impact::default();
        impact.joins.insert(SegmentId(1), 12);
        impact.leaves.insert(SegmentId(1), 3);
        impact.moves.insert((SegmentId(2), SegmentId(1)), 2);
        impact.moves.insert((SegmentId(1), SegmentId(3)), 1);
        assert_eq!(
            evaluation_text(&impact, SegmentId(1), 410, MembershipReason::Reevaluation).as_deref(),
            Some(
                "410 members: 12 joined, 3 left, 2 moved in from other segments, 1 moved to other segments (re-evaluation)"
            )
        );
        assert_eq!(
            evaluation_text(&impact, SegmentId(3), 1, MembershipReason::TimePassed).as_deref(),
            Some("1 member: 1 moved in from other segments (time passed)")
        );
        assert_eq!(evaluation_text(&impact, SegmentId(4), 0, MembershipReason::Reevaluation), None);
    }

    #[test]
    fn keys_round_trip() {
        for kind in SegmentHistoryKind::ALL {
            assert_eq!(SegmentHistoryKind::from_key(kind.key()), Some(kind));
        }
    }
}
