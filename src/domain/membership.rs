//! Membership of records in segments: why a record joined, the priority rule that decides
//! where a record belongs when it is evaluated, which changes an action may make (its
//! [`Scope`]), and the [`Impact`] of a change shown before it is made.
//!
//! The rule (BRIEF.md, "Priority and membership"), per record, given its current membership
//! and its *winner* (the highest-priority active segment it matches):
//!
//! - not a member: it joins its winner, if any;
//! - a member of an active segment it still matches: it stays, unless the winner has a
//!   higher priority and "accepts records from other segments": then it moves there;
//! - a member of an active segment it no longer matches (the segment's conditions were
//!   edited, or the record changed): it leaves; if it has a winner it moves there (the
//!   winner takes a record no segment holds any more, so "accepts" is not needed);
//! - a member of an inactive (or draft) segment: kept, since deactivating keeps members
//!   and an inactive segment is not evaluated; it only moves to a higher-priority winner
//!   that accepts records from other segments, as from an active segment.
//!
//! A move re-runs assignment when the segment moved into says so
//! ([`Segment::rerun_assignment_on_move`]). "Only records created or updated from now on"
//! evaluates nothing: no existing record changes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::schema::{FieldName, RecordTypeDef, RecordTypeName};
use super::segment::{Segment, SegmentId, Status};
use super::value::{Record, RecordId};

/// Why a record's membership changed: what ran the evaluation. A move also names the
/// segment the record came from (see [`Member::moved_from`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MembershipReason {
    /// A segment was activated with "apply to existing records".
    Activation,
    RecordCreated,
    RecordUpdated,
    /// "Re-evaluate", an edit of an active segment applied to existing records, or a
    /// priority change.
    Reevaluation,
    /// The segment was deleted: its members left it.
    SegmentDeleted,
    /// The record was deleted.
    RecordDeleted,
    /// The record did not change, the date did: a segment whose conditions read the clock
    /// gained or lost it.
    TimePassed,
}

impl MembershipReason {
    pub const ALL: [MembershipReason; 7] = [
        MembershipReason::Activation,
        MembershipReason::RecordCreated,
        MembershipReason::RecordUpdated,
        MembershipReason::Reevaluation,
        MembershipReason::SegmentDeleted,
        MembershipReason::RecordDeleted,
        MembershipReason::TimePassed,
    ];

    /// The stable key stored in the workspace.
    pub fn key(self) -> &'static str {
        match self {
            MembershipReason::Activation => "activation",
            MembershipReason::RecordCreated => "record_created",
            MembershipReason::RecordUpdated => "record_updated",
            MembershipReason::Reevaluation => "reevaluation",
            MembershipReason::SegmentDeleted => "segment_deleted",
            MembershipReason::RecordDeleted => "record_deleted",
            MembershipReason::TimePassed => "time_passed",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.key() == key)
    }
}

impl fmt::Display for MembershipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MembershipReason::Activation => "Activation",
            MembershipReason::RecordCreated => "Record created",
            MembershipReason::RecordUpdated => "Record updated",
            MembershipReason::Reevaluation => "Re-evaluation",
            MembershipReason::SegmentDeleted => "Segment deleted",
            MembershipReason::RecordDeleted => "Record deleted",
            MembershipReason::TimePassed => "Time passed",
        })
    }
}

/// What happened to a record's membership.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    /// It joined a segment, coming from none.
    Join,
    /// It left a segment for none.
    Leave,
    /// It left one segment for another.
    Move,
}

impl EventKind {
    pub const ALL: [EventKind; 3] = [EventKind::Join, EventKind::Leave, EventKind::Move];

    pub fn key(self) -> &'static str {
        match self {
            EventKind::Join => "join",
            EventKind::Leave => "leave",
            EventKind::Move => "move",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EventKind::Join => "Joined",
            EventKind::Leave => "Left",
            EventKind::Move => "Moved",
        })
    }
}

/// A segment as history shows it: its id and its name (kept after it is deleted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentRef {
    pub id: SegmentId,
    pub name: String,
}

/// A member of a segment: since when, and why it joined.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub record: RecordId,
    pub since: Timestamp,
    pub reason: MembershipReason,
    /// Set when the record moved here from another segment ("moved from X").
    pub moved_from: Option<SegmentRef>,
}

/// One entry of a record's membership history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MembershipEvent {
    pub at: Timestamp,
    pub record_type: RecordTypeName,
    pub record: RecordId,
    pub kind: EventKind,
    pub from: Option<SegmentRef>,
    pub to: Option<SegmentRef>,
    pub reason: MembershipReason,
}

/// Where a record is now, as [`decide`] needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Current {
    pub segment: SegmentId,
    /// The segment's priority (0 is the highest).
    pub priority: u32,
    /// Whether the segment is active (evaluated); members of other segments are kept.
    pub active: bool,
    /// Whether the record matches the segment's conditions (only read when `active`).
    pub matches: bool,
}

/// The highest-priority active segment a record matches, as [`decide`] needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Winner {
    pub segment: SegmentId,
    pub priority: u32,
    pub accepts_from_other_segments: bool,
    pub rerun_assignment_on_move: bool,
}

impl Winner {
    pub fn of(segment: &Segment) -> Self {
        Self {
            segment: segment.id,
            priority: segment.priority,
            accepts_from_other_segments: segment.accept_from_other_segments,
            rerun_assignment_on_move: segment.rerun_assignment_on_move,
        }
    }
}

/// A change of one record's membership: `from` → `to` (`None` is "no segment").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipChange {
    pub record: RecordId,
    pub from: Option<SegmentId>,
    pub to: Option<SegmentId>,
    /// A move into a segment that re-runs assignment when a record moves in.
    pub rerun_assignment: bool,
}

impl MembershipChange {
    /// Join, leave or move; `None` for a change that changes nothing.
    pub fn kind(&self) -> Option<EventKind> {
        match (self.from, self.to) {
            (None, Some(_)) => Some(EventKind::Join),
            (Some(_), None) => Some(EventKind::Leave),
            (Some(from), Some(to)) if from != to => Some(EventKind::Move),
            _ => None,
        }
    }
}

/// The priority rule (see the module documentation): the change `current` and `winner`
/// call for, or `None` when the record stays where it is.
pub fn decide(record: RecordId, current: Option<Current>, winner: Option<Winner>) -> Option<MembershipChange> {
    let change = |from: Option<SegmentId>, to: Option<&Winner>| MembershipChange {
        record,
        from,
        to: to.map(|w| w.segment),
        rerun_assignment: from.is_some() && to.is_some_and(|w| w.rerun_assignment_on_move),
    };
    match (current, winner) {
        (None, None) => None,
        (None, Some(w)) => Some(change(None, Some(&w))),
        (Some(c), w) if c.active && !c.matches => Some(change(Some(c.segment), w.as_ref())),
        (Some(c), Some(w)) if w.priority < c.priority && w.accepts_from_other_segments && w.segment != c.segment => {
            Some(change(Some(c.segment), Some(&w)))
        }
        (Some(_), _) => None,
    }
}

/// Which of the changes [`decide`] calls for an action makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// Every change: "re-evaluate all records", and records just created or updated.
    All,
    /// Only changes into or out of this segment: activating it, saving an edit of it while
    /// active, "Re-evaluate" on it. Records other segments would gain or lose for reasons
    /// of their own (a segment activated "from now on", relative dates) are left alone.
    Segment(SegmentId),
    /// Only moves: a priority change moves members up into segments that accept records
    /// from others, and adds no one and removes no one.
    MovesOnly,
}

impl Scope {
    pub fn admits(self, change: &MembershipChange) -> bool {
        match self {
            Scope::All => true,
            Scope::Segment(id) => change.from == Some(id) || change.to == Some(id),
            Scope::MovesOnly => change.kind() == Some(EventKind::Move),
        }
    }
}

/// A record joining a segment (from none, or moving in): what enrolment in the segment's
/// sequence and assignment hook into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Joined {
    pub record: RecordId,
    pub segment: SegmentId,
    pub moved_from: Option<SegmentId>,
    /// Assignment runs for every plain join; for a move only when this is set.
    pub rerun_assignment: bool,
}

impl Joined {
    /// Whether assignment runs for this join: always for a plain join, for a move in only
    /// when the segment re-runs assignment on moves.
    pub fn runs_assignment(&self) -> bool {
        self.moved_from.is_none() || self.rerun_assignment
    }
}

/// The changes an evaluation calls for, for records of one type, ascending by record.
#[derive(Clone, Debug, PartialEq)]
pub struct MembershipChanges {
    pub record_type: RecordTypeName,
    pub changes: Vec<MembershipChange>,
}

impl MembershipChanges {
    pub fn new(record_type: RecordTypeName) -> Self {
        Self { record_type, changes: Vec::new() }
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// The joins and moves in: the events enrolment and assignment react to.
    pub fn joined(&self) -> impl Iterator<Item = Joined> + '_ {
        self.changes.iter().filter_map(|c| {
            c.to.map(|segment| Joined {
                record: c.record,
                segment,
                moved_from: c.from,
                rerun_assignment: c.rerun_assignment,
            })
        })
    }

    /// The counts of these changes ([`Impact::claimed_by_higher`] stays 0).
    pub fn impact(&self) -> Impact {
        let mut impact = Impact::default();
        for change in &self.changes {
            impact.add(change);
        }
        impact
    }
}

/// What a change would do to existing records, shown before it is made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Impact {
    /// Records joining each segment from no segment.
    pub joins: BTreeMap<SegmentId, u64>,
    /// Records leaving each segment for no segment.
    pub leaves: BTreeMap<SegmentId, u64>,
    /// Records moving, by (from, to).
    pub moves: BTreeMap<(SegmentId, SegmentId), u64>,
    /// For an action on one segment: of the records it matches, those a higher-priority
    /// active segment wins (and that do not move in).
    pub claimed_by_higher: u64,
}

impl Impact {
    fn add(&mut self, change: &MembershipChange) {
        match (change.kind(), change.from, change.to) {
            (Some(EventKind::Join), _, Some(to)) => *self.joins.entry(to).or_default() += 1,
            (Some(EventKind::Leave), Some(from), _) => *self.leaves.entry(from).or_default() += 1,
            (Some(EventKind::Move), Some(from), Some(to)) => *self.moves.entry((from, to)).or_default() += 1,
            _ => {}
        }
    }

    /// Records joining from no segment, in all.
    pub fn join_count(&self) -> u64 {
        self.joins.values().sum()
    }

    /// Records leaving for no segment, in all.
    pub fn leave_count(&self) -> u64 {
        self.leaves.values().sum()
    }

    /// Records moving between segments, in all.
    pub fn move_count(&self) -> u64 {
        self.moves.values().sum()
    }

    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.joins.is_empty() && self.leaves.is_empty() && self.moves.is_empty()
    }

    /// Records moving into `segment`, per segment they come from.
    pub fn moves_into(&self, segment: SegmentId) -> Vec<(SegmentId, u64)> {
        self.moves.iter().filter(|((_, to), _)| *to == segment).map(|((from, _), n)| (*from, *n)).collect()
    }

    /// Records moving out of `segment`, per segment they go to.
    pub fn moves_out_of(&self, segment: SegmentId) -> Vec<(SegmentId, u64)> {
        self.moves.iter().filter(|((from, _), _)| *from == segment).map(|((_, to), n)| (*to, *n)).collect()
    }

    /// Members `segment` gains: joins and moves in.
    pub fn gained_by(&self, segment: SegmentId) -> u64 {
        self.joins.get(&segment).copied().unwrap_or(0) + self.moves_into(segment).iter().map(|(_, n)| n).sum::<u64>()
    }

    /// Members `segment` loses: leaves and moves out.
    pub fn lost_by(&self, segment: SegmentId) -> u64 {
        self.leaves.get(&segment).copied().unwrap_or(0) + self.moves_out_of(segment).iter().map(|(_, n)| n).sum::<u64>()
    }
}

/// The segment change an apply makes in the same transaction as the memberships, so a
/// cancel leaves both as they were.
#[derive(Clone, Debug, PartialEq)]
pub enum SegmentEdit {
    /// Memberships only ("Re-evaluate").
    Nothing,
    /// Activate or deactivate.
    SetStatus { segment: SegmentId, status: Status },
    /// Save an edited segment (conditions, name, options…).
    Save(Segment),
    /// A new priority order of a record type's segments (each exactly once, highest first).
    Reorder { record_type: RecordTypeName, order: Vec<SegmentId> },
}

/// One lifecycle action applied to existing records: the segment change, the segments of
/// the record type as they will be after it (the evaluation's input), which changes it
/// makes and why. Its impact is computed by the engine before it is applied.
#[derive(Clone, Debug, PartialEq)]
pub struct LifecyclePlan {
    pub record_type: RecordTypeName,
    pub edit: SegmentEdit,
    /// Every segment of the record type, as it will be after `edit`.
    pub segments: Vec<Segment>,
    pub scope: Scope,
    pub reason: MembershipReason,
    pub now: Timestamp,
}

/// Why a plan cannot be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("there is no {record_type} segment with id {id}", id = .segment.0)]
    UnknownSegment { record_type: RecordTypeName, segment: SegmentId },
    #[error("segment {name} is {status} and cannot become {wanted}")]
    Transition { name: String, status: Status, wanted: Status },
    #[error("the new order of the {record_type} segments must name each of its {count} segments exactly once")]
    BadOrder { record_type: RecordTypeName, count: usize },
}

impl LifecyclePlan {
    /// Activate `id` and apply it to existing records: records it wins join, members of
    /// lower segments move in if it accepts records from others.
    pub fn activate(
        record_type: RecordTypeName,
        mut segments: Vec<Segment>,
        id: SegmentId,
        now: Timestamp,
    ) -> Result<Self, PlanError> {
        let segment = find(&record_type, &mut segments, id)?;
        if !segment.status.can_become(Status::Active) {
            return Err(PlanError::Transition {
                name: segment.name.clone(),
                status: segment.status,
                wanted: Status::Active,
            });
        }
        segment.status = Status::Active;
        let edit = SegmentEdit::SetStatus { segment: id, status: Status::Active };
        Ok(Self { record_type, edit, segments, scope: Scope::Segment(id), reason: MembershipReason::Activation, now })
    }

    /// Save `edited` (an active segment) and apply its new conditions and options to
    /// existing records: members it no longer matches leave, records it now wins join.
    pub fn save(
        record_type: RecordTypeName,
        mut segments: Vec<Segment>,
        edited: Segment,
        now: Timestamp,
    ) -> Result<Self, PlanError> {
        let id = edited.id;
        let segment = find(&record_type, &mut segments, id)?;
        if segment.status != edited.status && !segment.status.can_become(edited.status) {
            return Err(PlanError::Transition {
                name: segment.name.clone(),
                status: segment.status,
                wanted: edited.status,
            });
        }
        // The priority is not the editor's to change.
        let priority = segment.priority;
        *segment = Segment { priority, ..edited.clone() };
        let edit = SegmentEdit::Save(Segment { priority, ..edited });
        Ok(Self { record_type, edit, segments, scope: Scope::Segment(id), reason: MembershipReason::Reevaluation, now })
    }

    /// Give the segments a new priority order (highest first) and move members up into
    /// segments that now outrank theirs and accept records from others.
    pub fn reorder(
        record_type: RecordTypeName,
        mut segments: Vec<Segment>,
        order: Vec<SegmentId>,
        now: Timestamp,
    ) -> Result<Self, PlanError> {
        let mut seen = std::collections::HashSet::new();
        let valid = order.len() == segments.len()
            && order.iter().all(|id| seen.insert(*id) && segments.iter().any(|s| s.id == *id));
        if !valid {
            return Err(PlanError::BadOrder { record_type, count: segments.len() });
        }
        for segment in &mut segments {
            let position = order.iter().position(|id| *id == segment.id).unwrap_or_default();
            segment.priority = u32::try_from(position).unwrap_or(u32::MAX);
        }
        segments.sort_by_key(|s| s.priority);
        let edit = SegmentEdit::Reorder { record_type: record_type.clone(), order };
        Ok(Self { record_type, edit, segments, scope: Scope::MovesOnly, reason: MembershipReason::Reevaluation, now })
    }

    /// "Re-evaluate" `id`: the changes into and out of it that its conditions call for now.
    pub fn reevaluate(
        record_type: RecordTypeName,
        mut segments: Vec<Segment>,
        id: SegmentId,
        now: Timestamp,
    ) -> Result<Self, PlanError> {
        find(&record_type, &mut segments, id)?;
        Ok(Self {
            record_type,
            edit: SegmentEdit::Nothing,
            segments,
            scope: Scope::Segment(id),
            reason: MembershipReason::Reevaluation,
            now,
        })
    }

    /// Re-evaluate every record of the type against every active segment.
    pub fn reevaluate_all(record_type: RecordTypeName, segments: Vec<Segment>, now: Timestamp) -> Self {
        Self {
            record_type,
            edit: SegmentEdit::Nothing,
            segments,
            scope: Scope::All,
            reason: MembershipReason::Reevaluation,
            now,
        }
    }
}

/// The fields of the record type that the active segments among `segments` read: an update
/// that changes none of them cannot change any membership.
pub fn fields_used_by_active(segments: &[Segment]) -> BTreeSet<FieldName> {
    let mut used = BTreeSet::new();
    let definitions = super::Definitions::of(segments);
    for segment in segments.iter().filter(|s| s.status == Status::Active) {
        used.extend(segment.conditions.fields_used());
        // "matches the conditions of" another segment of the type reads its fields too.
        for id in definitions.named_from(segment.id) {
            if let Some(definition) = definitions.get(id) {
                used.extend(definition.conditions.fields_used());
            }
        }
    }
    used
}

/// Whether saving `after` (over `before`, `None` for a new record) must evaluate the
/// record: it is new, or a field in `used` changed.
pub fn update_matters(
    def: &RecordTypeDef,
    before: Option<&Record>,
    after: &Record,
    used: &BTreeSet<FieldName>,
) -> bool {
    let Some(before) = before else { return true };
    used.iter().filter_map(|field| def.field_index(field)).any(|i| before.values.get(i) != after.values.get(i))
}

fn find<'s>(
    record_type: &RecordTypeName,
    segments: &'s mut [Segment],
    id: SegmentId,
) -> Result<&'s mut Segment, PlanError> {
    segments
        .iter_mut()
        .find(|s| s.id == id && &s.record_type == record_type)
        .ok_or_else(|| PlanError::UnknownSegment { record_type: record_type.clone(), segment: id })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: SegmentId = SegmentId(1);
    const B: SegmentId = SegmentId(2);
    const R: RecordId = RecordId(7);

    #[allow(clippy::unnecessary_wraps, reason = "reads like the optional current segment it stands for")]
    fn member(segment: SegmentId, priority: u32, active: bool, matches: bool) -> Option<Current> {
        Some(Current { segment, priority, active, matches })
    }

    #[allow(clippy::unnecessary_wraps, reason = "reads like the optional winner it stands for")]
    fn winner(segment: SegmentId, priority: u32, accepts: bool, rerun: bool) -> Option<Winner> {
        Some(Winner { segment, priority, accepts_from_other_segments: accepts, rerun_assignment_on_move: rerun })
    }

    /// One case per line: current membership, winner → (from, to, rerun) or no change.
    fn check(
        current: Option<Current>,
        winner: Option<Winner>,
        expected: Option<(Option<SegmentId>, Option<SegmentId>, bool)>,
    ) {
        let got = decide(R, current, winner).map(|c| (c.from, c.to, c.rerun_assignment));
        assert_eq!(got, expected, "current {current:?}, winner {winner:?}");
    }

    #[test]
    fn the_priority_rule() {
        check(None, None, None);
        check(None, winner(A, 0, false, false), Some((None, Some(A), false)));
        check(None, winner(A, 0, true, true), Some((None, Some(A), false)));
        // A member stays put when a higher segment wins it, unless that one accepts.
        check(member(B, 1, true, true), winner(A, 0, false, true), None);
        check(member(B, 1, true, true), winner(A, 0, true, false), Some((Some(B), Some(A), false)));
        check(member(B, 1, true, true), winner(A, 0, true, true), Some((Some(B), Some(A), true)));
        check(member(B, 1, true, true), winner(B, 1, true, true), None);
        // No longer matching an active segment: leave, or move to the winner.
        check(member(B, 1, true, false), None, Some((Some(B), None, false)));
        check(member(A, 0, true, false), winner(B, 1, false, false), Some((Some(A), Some(B), false)));
        // An inactive segment keeps its members, matching or not.
        check(member(B, 1, false, false), None, None);
        check(member(A, 0, false, false), winner(B, 1, true, true), None);
        check(member(B, 1, false, false), winner(A, 0, false, false), None);
        check(member(B, 1, false, true), winner(A, 0, true, false), Some((Some(B), Some(A), false)));
    }

    #[test]
    fn scopes_and_impact() {
        let join = MembershipChange { record: R, from: None, to: Some(A), rerun_assignment: false };
        let leave = MembershipChange { record: R, from: Some(B), to: None, rerun_assignment: false };
        let moved = MembershipChange { record: R, from: Some(B), to: Some(A), rerun_assignment: true };
        assert!(
            Scope::Segment(A).admits(&join) && !Scope::Segment(A).admits(&leave) && Scope::Segment(A).admits(&moved)
        );
        assert!(!Scope::MovesOnly.admits(&join) && Scope::MovesOnly.admits(&moved));
        let changes = MembershipChanges { record_type: RecordTypeName::new("lead"), changes: vec![join, leave, moved] };
        let impact = changes.impact();
        assert_eq!((impact.join_count(), impact.leave_count(), impact.move_count()), (1, 1, 1));
        assert_eq!(impact.moves_into(A), vec![(B, 1)]);
        assert_eq!((impact.gained_by(A), impact.lost_by(B)), (2, 2));
        let joined: Vec<_> = changes.joined().map(|j| (j.segment, j.moved_from, j.rerun_assignment)).collect();
        assert_eq!(joined, vec![(A, None, false), (A, Some(B), true)]);
    }

    #[test]
    fn keys_round_trip() {
        for reason in MembershipReason::ALL {
            assert_eq!(MembershipReason::from_key(reason.key()), Some(reason));
        }
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_key(kind.key()), Some(kind));
        }
    }
}
