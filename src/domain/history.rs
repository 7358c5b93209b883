//! The history of a segment: every change (conditions as readable text before and after,
//! name, description, options, status, priority, sequence), its creation and deletion.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::describe::{NoNames, describe};
use super::schema::Schema;
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
    Deleted,
}

impl SegmentHistoryKind {
    pub const ALL: [SegmentHistoryKind; 9] = [
        SegmentHistoryKind::Created,
        SegmentHistoryKind::Name,
        SegmentHistoryKind::Description,
        SegmentHistoryKind::Conditions,
        SegmentHistoryKind::Options,
        SegmentHistoryKind::Status,
        SegmentHistoryKind::Priority,
        SegmentHistoryKind::Sequence,
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
    fn keys_round_trip() {
        for kind in SegmentHistoryKind::ALL {
            assert_eq!(SegmentHistoryKind::from_key(kind.key()), Some(kind));
        }
    }
}
