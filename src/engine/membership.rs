//! Membership over the snapshot: the segment every row is in (a column per record type,
//! kept in step with the store), and the evaluation that decides, with the domain's
//! priority rule (`domain::membership::decide`), what an action changes and its impact.

use std::collections::HashMap;

use super::EngineError;
use super::bitset::Bitset;
use super::fast::{Compiled, compile};
use super::snapshot::Snapshot;
use crate::domain::membership::{Current, Winner, decide};
use crate::domain::{
    EvalContext, Impact, MembershipChanges, RecordId, RecordTypeName, Scope, Segment, SegmentId, Status,
};

/// "In no segment" in a [`MemberColumn`].
const NONE: u32 = u32::MAX;

/// The segment of every row of one record type: a code per row into a small table of
/// segment ids (4 bytes per row).
#[derive(Clone, Debug, Default)]
pub struct MemberColumn {
    codes: Vec<u32>,
    segments: Vec<SegmentId>,
    index: HashMap<SegmentId, u32>,
}

impl MemberColumn {
    /// The column of `ty` in `snapshot` from stored (record, segment) pairs; records the
    /// snapshot does not have are skipped.
    pub fn load(snapshot: &Snapshot, ty: &RecordTypeName, pairs: &[(RecordId, SegmentId)]) -> Self {
        let mut column = Self::default();
        let Some(records) = snapshot.type_snapshot(ty) else { return column };
        column.codes = vec![NONE; records.rows()];
        for (record, segment) in pairs {
            if let Some(row) = records.row_of(*record) {
                column.set(row, Some(*segment));
            }
        }
        column
    }

    /// The segment of a row.
    pub fn segment_of(&self, row: usize) -> Option<SegmentId> {
        match self.codes.get(row) {
            Some(&code) if code != NONE => self.segments.get(code as usize).copied(),
            _ => None,
        }
    }

    pub fn set(&mut self, row: usize, segment: Option<SegmentId>) {
        if row >= self.codes.len() {
            self.codes.resize(row + 1, NONE);
        }
        self.codes[row] = match segment {
            None => NONE,
            Some(id) => *self.index.entry(id).or_insert_with(|| {
                self.segments.push(id);
                (self.segments.len() - 1) as u32
            }),
        };
    }

    /// Members per segment.
    pub fn counts(&self) -> HashMap<SegmentId, u64> {
        let mut per_code = vec![0u64; self.segments.len()];
        for &code in &self.codes {
            if code != NONE {
                per_code[code as usize] += 1;
            }
        }
        self.segments.iter().copied().zip(per_code).filter(|(_, n)| *n > 0).collect()
    }

    /// Applies committed changes (rows by record id through `snapshot`).
    pub fn apply(&mut self, snapshot: &Snapshot, changes: &MembershipChanges) {
        let Some(records) = snapshot.type_snapshot(&changes.record_type) else { return };
        for change in &changes.changes {
            if let Some(row) = records.row_of(change.record) {
                self.set(row, change.to);
            }
        }
    }

    /// The rows whose segment is `segment`, `len` long.
    pub fn rows_of(&self, segment: SegmentId, len: usize) -> Bitset {
        let mut rows = Bitset::empty(len);
        if let Some(&code) = self.index.get(&segment) {
            for (row, _) in self.codes.iter().enumerate().filter(|(row, c)| **c == code && *row < len) {
                rows.insert(row);
            }
        }
        rows
    }

    pub fn heap_bytes(&self) -> usize {
        self.codes.capacity() * 4 + self.segments.capacity() * 8
    }

    /// The rows of each segment's members, `len` long.
    fn rows_by_segment(&self, len: usize) -> HashMap<SegmentId, Bitset> {
        let mut by_code: Vec<Option<Bitset>> = vec![None; self.segments.len()];
        for (row, &code) in self.codes.iter().enumerate().take(len) {
            if code != NONE
                && let Some(slot) = by_code.get_mut(code as usize)
            {
                slot.get_or_insert_with(|| Bitset::empty(len)).insert(row);
            }
        }
        self.segments.iter().copied().zip(by_code).filter_map(|(id, rows)| Some((id, rows?))).collect()
    }
}

/// Gives the snapshot the stored memberships of `ty` in `column`, which segment conditions
/// read ("is in segment X"): after loading them and after every change written.
pub fn share_members(snapshot: &mut Snapshot, ty: &RecordTypeName, column: &MemberColumn) {
    if let Ok(t) = snapshot.type_position(ty) {
        let len = snapshot.types()[t].rows();
        snapshot.set_member_rows(t, column.rows_by_segment(len));
    }
}

/// The memberships of every record type.
#[derive(Clone, Debug, Default)]
pub struct Memberships {
    by_type: HashMap<RecordTypeName, MemberColumn>,
}

impl Memberships {
    pub fn column(&self, ty: &RecordTypeName) -> Option<&MemberColumn> {
        self.by_type.get(ty)
    }

    pub fn column_mut(&mut self, ty: &RecordTypeName) -> &mut MemberColumn {
        self.by_type.entry(ty.clone()).or_default()
    }

    pub fn set_column(&mut self, ty: RecordTypeName, column: MemberColumn) {
        self.by_type.insert(ty, column);
    }

    /// Gives the snapshot every type's memberships ([`share_members`]).
    pub fn share_all(&self, snapshot: &mut Snapshot) {
        for (ty, column) in &self.by_type {
            share_members(snapshot, ty, column);
        }
    }
}

/// What an evaluation found: the changes to make and their impact.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluated {
    pub changes: MembershipChanges,
    pub impact: Impact,
}

/// Decides the membership changes of the records of `ty` (only `rows`, or every live row)
/// with `segments` (every segment of the type, as they will be, any order) and the current
/// `members`, keeping those `scope` admits. For [`Scope::Segment`] of an active segment the
/// impact also counts the records it matches that a higher segment keeps.
pub fn evaluate_memberships(
    snapshot: &Snapshot,
    ty: &RecordTypeName,
    segments: &[Segment],
    members: &MemberColumn,
    scope: Scope,
    rows: Option<&Bitset>,
    ctx: &EvalContext,
) -> Result<Evaluated, EngineError> {
    let records = snapshot.type_snapshot(ty).ok_or_else(|| EngineError::UnknownType(ty.clone()))?;
    let len = records.rows();
    let mut ordered: Vec<&Segment> = segments.iter().filter(|s| &s.record_type == ty).collect();
    ordered.sort_by_key(|s| s.priority);
    let active: Vec<&Segment> = ordered.iter().copied().filter(|s| s.status == Status::Active).collect();
    let compiled: Vec<Compiled> =
        active.iter().map(|s| compile(snapshot, ty, &s.conditions, ctx)).collect::<Result<_, _>>()?;

    let mut within = records.live().clone();
    if let Some(rows) = rows {
        within.and_with(rows);
    }
    // The winner of every row: the index in `active` of the first segment it matches.
    let mut winner = vec![NONE; len];
    let mut unclaimed = within.clone();
    for (i, segment) in compiled.iter().enumerate() {
        let won = segment.evaluate_within(snapshot, &unclaimed);
        for row in won.ones() {
            winner[row] = i as u32;
        }
        unclaimed.and_not_with(&won);
    }
    // Members of an active segment that did not win it may still match it (a higher
    // segment won them): evaluate each segment on exactly those rows.
    let position: HashMap<SegmentId, usize> = active.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
    let mut still_matching = Bitset::empty(len);
    for (i, segment) in active.iter().enumerate() {
        let mut check = members.rows_of(segment.id, len);
        check.and_with(&within);
        for row in check.clone().ones() {
            if winner[row] == i as u32 {
                still_matching.insert(row);
                check.remove(row);
            }
        }
        if check.count() > 0 {
            still_matching.or_with(&compiled[i].evaluate_within(snapshot, &check));
        }
    }
    let by_id: HashMap<SegmentId, &Segment> = ordered.iter().map(|s| (s.id, *s)).collect();

    let mut changes = MembershipChanges::new(ty.clone());
    for row in within.ones() {
        let Some(record) = records.id_of(row) else { continue };
        let current = members.segment_of(row).and_then(|id| by_id.get(&id)).map(|s| Current {
            segment: s.id,
            priority: s.priority,
            active: s.status == Status::Active,
            matches: still_matching.contains(row),
        });
        let won = active.get(winner[row] as usize).map(|s| Winner::of(s));
        if let Some(change) = decide(record, current, won)
            && scope.admits(&change)
        {
            changes.changes.push(change);
        }
    }
    if !changes.changes.is_sorted_by_key(|c| c.record) {
        changes.changes.sort_by_key(|c| c.record);
    }
    let mut impact = changes.impact();
    if let Scope::Segment(id) = scope
        && let Some(&i) = position.get(&id)
    {
        // Rows it matches that a higher segment won and that do not move in.
        let higher_won = Bitset::from_fn(len, |row| winner[row] < i as u32);
        let mut claimed = compiled[i].evaluate_within(snapshot, &higher_won);
        for change in changes.changes.iter().filter(|c| c.to == Some(id)) {
            if let Some(row) = records.row_of(change.record) {
                claimed.remove(row);
            }
        }
        impact.claimed_by_higher = claimed.count() as u64;
    }
    Ok(Evaluated { changes, impact })
}
