//! Segments, rules and joins in a real workspace, for the tests of assignment, the Monitor
//! and the command line: a "field equals text" segment activated from now on, the rule that
//! routes every record to any seller by round robin, and records joining as if created.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use jiff::Timestamp;
use segment_builder::domain::assignment::{AssignmentRule, Distribution, RuleId, Target};
use segment_builder::domain::{
    Condition, FieldPath, Group, MembershipChange, MembershipChanges, MembershipReason, Node, NodeId, Operand,
    Operator, RecordId, RecordTypeName, Segment, SegmentId, Status,
};
use segment_builder::store::{ApplyOutcome, Workspace};

/// All of: `field` (of the record itself) equals `value`.
pub fn text_equals(field: &str, value: &str) -> Group {
    Group {
        children: vec![Node::Condition(Condition {
            id: NodeId(1),
            path: FieldPath::own(field),
            operator: Operator::Equals,
            value: Operand::Text(value.to_owned()),
        })],
        ..Group::all(NodeId(0))
    }
}

/// An active rule without conditions: any seller, round robin, no capacity or availability
/// filter.
pub fn any_seller_rule(name: &str) -> AssignmentRule {
    AssignmentRule {
        id: RuleId(0),
        name: name.to_owned(),
        active: true,
        conditions: Group::all(NodeId(0)),
        created_within_hours: None,
        target: Target::AnySeller,
        distribution: Distribution::RoundRobin,
        honour_capacity: false,
        available_within_hours: None,
    }
}

/// A segment of `ty` with `conditions`, made active from now on (nobody joins yet).
pub fn active_segment(
    ws: &mut Workspace,
    ty: &RecordTypeName,
    name: &str,
    conditions: Group,
    now: Timestamp,
) -> SegmentId {
    let segment = Segment {
        id: SegmentId(0),
        record_type: ty.clone(),
        name: name.to_owned(),
        description: String::new(),
        status: Status::Draft,
        priority: 0,
        conditions,
        accept_from_other_segments: false,
        rerun_assignment_on_move: false,
        sequence: None,
        created_on: now,
        modified_on: now,
    };
    let id = ws.insert_segment(&segment).expect("segment");
    ws.set_segment_status(id, Status::Active, now).expect("activate");
    id
}

/// The changes of `records` joining `segment` from no segment.
pub fn joins(ty: &RecordTypeName, segment: SegmentId, records: &[RecordId]) -> MembershipChanges {
    MembershipChanges {
        record_type: ty.clone(),
        changes: records
            .iter()
            .map(|&record| MembershipChange { record, from: None, to: Some(segment), rerun_assignment: false })
            .collect(),
    }
}

/// `records` join `segment` as if just created (assigned by its active rules).
pub fn join(ws: &mut Workspace, ty: &RecordTypeName, segment: SegmentId, records: &[RecordId], now: Timestamp) {
    let changes = joins(ty, segment, records);
    let outcome =
        ws.apply_membership_changes(&changes, MembershipReason::RecordCreated, now, &mut |_, _| true).expect("join");
    assert!(matches!(outcome, ApplyOutcome::Applied(_)));
}
