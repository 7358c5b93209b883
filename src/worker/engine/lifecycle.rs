//! Evaluating and writing memberships: the impact of a plan, applying it, and evaluating
//! saved records against the active segments.

use std::collections::HashMap;
use std::time::Instant;

use jiff::Timestamp;

use crate::domain::membership::{fields_used_by_active, update_matters};
use crate::domain::{
    EvalContext, Group, Impact, LifecyclePlan, MembershipReason, RecordId, RecordTypeName, Scope, Segment, SegmentId,
};
use crate::engine::Bitset;
use crate::engine::EngineError;
use crate::engine::fast::compile;
use crate::engine::membership::{MemberColumn, Memberships, evaluate_memberships, share_members};
use crate::engine::snapshot::Snapshot;
use crate::store::{ApplyOutcome, Workspace};
use crate::worker::WorkerError;

use super::{Applied, ImpactOutcome, SavedRecord};
use crate::worker::jobs::Reporter;

/// The impact of `plan` on the records in `snapshot` with the current `memberships`.
pub fn run_impact(
    snapshot: &Snapshot,
    memberships: &Memberships,
    plan: &LifecyclePlan,
) -> Result<ImpactOutcome, WorkerError> {
    let started = Instant::now();
    let ctx = EvalContext::new(plan.now, snapshot.time_zone().clone());
    let empty = MemberColumn::default();
    let members = memberships.column(&plan.record_type).unwrap_or(&empty);
    let evaluated = evaluate_memberships(snapshot, &plan.record_type, &plan.segments, members, plan.scope, None, &ctx)?;
    Ok(ImpactOutcome { impact: evaluated.impact, elapsed_ms: started.elapsed().as_secs_f64() * 1e3 })
}

/// Evaluating and writing memberships: the snapshot, the membership columns, and a writer
/// connection opened on first use.
pub struct Lifecycle<'a> {
    pub path: &'a std::path::Path,
    /// Mutable so owners the apply's assignment set reach it (`sync_owners`).
    pub snapshot: &'a mut Snapshot,
    pub memberships: &'a mut Memberships,
    /// The writer connection (opened on `path` when `None`).
    pub writer: &'a mut Option<Workspace>,
}

impl Lifecycle<'_> {
    /// Evaluates `plan` and writes it (segment change, memberships, history) in one
    /// transaction; `reporter` shows progress and carries the cancel.
    pub fn apply(&mut self, plan: &LifecyclePlan, reporter: &Reporter) -> Result<Applied, WorkerError> {
        let started = Instant::now();
        reporter.report(None, "Evaluating records");
        let ctx = EvalContext::new(plan.now, self.snapshot.time_zone().clone());
        let empty = MemberColumn::default();
        let members = self.memberships.column(&plan.record_type).unwrap_or(&empty);
        let evaluated =
            evaluate_memberships(self.snapshot, &plan.record_type, &plan.segments, members, plan.scope, None, &ctx)?;
        let outcome = if reporter.is_cancelled() {
            ApplyOutcome::Cancelled
        } else {
            self.write(&plan.edit, &evaluated.changes, plan.reason, plan.now, reporter)?
        };
        let mut outcome = outcome;
        if let ApplyOutcome::Applied(impact) = &mut outcome {
            impact.claimed_by_higher = evaluated.impact.claimed_by_higher;
        }
        Ok(self.applied(&plan.record_type, outcome, started))
    }

    /// Evaluates the saved records that are new or changed a field an active segment uses
    /// (all active segments, every change), and writes the changes.
    pub fn records_saved(
        &mut self,
        record_type: &RecordTypeName,
        records: &[SavedRecord],
        segments: &[Segment],
        now: Timestamp,
        reporter: &Reporter,
    ) -> Result<Applied, WorkerError> {
        let started = Instant::now();
        let def =
            self.snapshot.schema().get(record_type).ok_or_else(|| EngineError::UnknownType(record_type.clone()))?;
        let used = fields_used_by_active(segments);
        let rows = self.snapshot.type_snapshot(record_type).map_or(0, |t| t.rows());
        let mut created = Bitset::empty(rows);
        let mut updated = Bitset::empty(rows);
        for saved in records {
            let Some(row) = self.snapshot.type_snapshot(record_type).and_then(|t| t.row_of(saved.after.id)) else {
                continue;
            };
            match &saved.before {
                None => created.insert(row),
                Some(before) if update_matters(def, Some(before), &saved.after, &used) => updated.insert(row),
                Some(_) => {}
            }
        }
        self.evaluate_saved(record_type, created, updated, segments, now, reporter, started)
    }

    /// [`Lifecycle::records_saved`] for records already in the snapshot, by id: the ones
    /// `created`, and the updated ones whose change touches a field an active segment uses
    /// (an import keeps only these ids, not every record before and after).
    pub fn records_written(
        &mut self,
        record_type: &RecordTypeName,
        created: &[RecordId],
        changed: &[RecordId],
        segments: &[Segment],
        now: Timestamp,
        reporter: &Reporter,
    ) -> Result<Applied, WorkerError> {
        let started = Instant::now();
        let records =
            self.snapshot.type_snapshot(record_type).ok_or_else(|| EngineError::UnknownType(record_type.clone()))?;
        let rows_of = |ids: &[RecordId]| {
            let mut rows = Bitset::empty(records.rows());
            for row in ids.iter().filter_map(|id| records.row_of(*id)) {
                rows.insert(row);
            }
            rows
        };
        let (created, updated) = (rows_of(created), rows_of(changed));
        self.evaluate_saved(record_type, created, updated, segments, now, reporter, started)
    }

    /// Evaluates the `created` rows, then the `updated` ones, and writes their changes.
    #[allow(clippy::too_many_arguments)]
    fn evaluate_saved(
        &mut self,
        record_type: &RecordTypeName,
        created: Bitset,
        updated: Bitset,
        segments: &[Segment],
        now: Timestamp,
        reporter: &Reporter,
        started: Instant,
    ) -> Result<Applied, WorkerError> {
        let ctx = EvalContext::new(now, self.snapshot.time_zone().clone());
        let mut total = Impact::default();
        for (rows, reason) in [(created, MembershipReason::RecordCreated), (updated, MembershipReason::RecordUpdated)] {
            if rows.count() == 0 {
                continue;
            }
            let empty = MemberColumn::default();
            let members = self.memberships.column(record_type).unwrap_or(&empty);
            let evaluated =
                evaluate_memberships(self.snapshot, record_type, segments, members, Scope::All, Some(&rows), &ctx)?;
            if evaluated.changes.is_empty() {
                continue;
            }
            match self.write(&crate::domain::SegmentEdit::Nothing, &evaluated.changes, reason, now, reporter)? {
                ApplyOutcome::Applied(impact) => add_impact(&mut total, &impact),
                ApplyOutcome::Cancelled => {
                    return Ok(self.applied(record_type, ApplyOutcome::Cancelled, started));
                }
            }
        }
        Ok(self.applied(record_type, ApplyOutcome::Applied(total), started))
    }

    /// Writes `edit` and `changes`, then evaluates again the active segments that name a
    /// segment the edit or the changes touched ([`Lifecycle::dependents`]), in the same run.
    pub(super) fn write(
        &mut self,
        edit: &crate::domain::SegmentEdit,
        changes: &crate::domain::MembershipChanges,
        reason: MembershipReason,
        now: Timestamp,
        reporter: &Reporter,
    ) -> Result<ApplyOutcome, WorkerError> {
        let outcome = self.write_one(edit, changes, reason, now, reporter)?;
        if let ApplyOutcome::Applied(_) = outcome {
            self.dependents(super::dependents::touched(edit, changes), now, reporter)?;
        }
        Ok(outcome)
    }

    /// Writes `edit` and `changes` in one transaction and takes them into the memberships
    /// and the snapshot.
    pub(super) fn write_one(
        &mut self,
        edit: &crate::domain::SegmentEdit,
        changes: &crate::domain::MembershipChanges,
        reason: MembershipReason,
        now: Timestamp,
        reporter: &Reporter,
    ) -> Result<ApplyOutcome, WorkerError> {
        let writer = self.writer()?;
        let mut progress = |done: u64, total: u64| {
            let fraction = if total == 0 { 1.0 } else { done as f32 / total as f32 };
            reporter.report(Some(fraction), format!("Writing {done} of {total} membership changes"))
        };
        let outcome = writer.apply_lifecycle(edit, changes, reason, now, &mut progress)?;
        if let ApplyOutcome::Applied(_) = outcome {
            let column = self.memberships.column_mut(&changes.record_type);
            column.apply(self.snapshot, changes);
            share_members(self.snapshot, &changes.record_type, column);
            reporter.report(None, "Reading the owners assignment set");
            let Some(writer) = self.writer.as_ref() else { return Err(WorkerError::WriterClosed) };
            sync_owners(writer, self.snapshot, changes)?;
        }
        Ok(outcome)
    }

    /// The writer connection, opened on first use.
    pub fn writer(&mut self) -> Result<&mut Workspace, WorkerError> {
        if self.writer.is_none() {
            *self.writer = Some(Workspace::open_worker_writer(self.path)?);
        }
        self.writer.as_mut().ok_or(WorkerError::WriterClosed)
    }

    pub(in crate::worker) fn applied(
        &self,
        record_type: &RecordTypeName,
        outcome: ApplyOutcome,
        started: Instant,
    ) -> Applied {
        let column = self.memberships.column(record_type);
        Applied {
            outcome,
            member_counts: column.map(|c| c.counts()).unwrap_or_default(),
            unassigned_counts: column.map(|c| unassigned_counts(self.snapshot, record_type, c)).unwrap_or_default(),
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        }
    }
}

/// Takes the owner field of the records that joined segments with active rules (which the
/// apply's assignment may have set) from the workspace into the snapshot, so previews,
/// conditions on the owner and unassigned counts see it.
pub(in crate::worker) fn sync_owners(
    writer: &Workspace,
    snapshot: &mut Snapshot,
    changes: &crate::domain::MembershipChanges,
) -> Result<(), WorkerError> {
    let ty = &changes.record_type;
    let has_owner = snapshot
        .schema()
        .get(ty)
        .is_some_and(|def| def.fields.iter().any(|f| f.kind == crate::domain::FieldKind::Owner));
    if !has_owner {
        return Ok(());
    }
    let mut by_segment: HashMap<SegmentId, Vec<RecordId>> = HashMap::new();
    for joined in changes.joined().filter(|j| j.runs_assignment()) {
        by_segment.entry(joined.segment).or_default().push(joined.record);
    }
    for (segment, ids) in by_segment {
        let routed = writer.routing(segment)?.default != crate::domain::assignment::DefaultRoute::LeaveUnassigned;
        let ruled = routed || writer.rules(segment)?.iter().any(|r| r.active);
        if ruled {
            read_into_snapshot(writer, snapshot, ty, &ids)?;
        }
    }
    Ok(())
}

/// Reads `ids` of `ty` from the workspace into the snapshot (after their owner was set).
pub(in crate::worker) fn read_into_snapshot(
    writer: &Workspace,
    snapshot: &mut Snapshot,
    ty: &crate::domain::RecordTypeName,
    ids: &[RecordId],
) -> Result<(), WorkerError> {
    for chunk in ids.chunks(10_000) {
        for record in writer.records_by_id(ty, chunk)? {
            snapshot.upsert(ty, &record).map_err(WorkerError::OutOfDate)?;
        }
    }
    Ok(())
}

/// Per segment, its members whose owner field is empty (as `Workspace::unassigned_counts`
/// counts them), from the snapshot: the rows "owner is empty" matches, by member column.
pub(super) fn unassigned_counts(
    snapshot: &Snapshot,
    ty: &RecordTypeName,
    members: &MemberColumn,
) -> HashMap<SegmentId, u64> {
    use crate::domain::{Condition, FieldKind, FieldPath, Node, NodeId, Operand, Operator};
    let mut counts = HashMap::new();
    let Some(def) = snapshot.schema().get(ty) else { return counts };
    let Some(owner) = def.fields.iter().find(|f| f.kind == FieldKind::Owner) else { return counts };
    let tree = Group {
        children: vec![Node::Condition(Condition {
            id: NodeId(1),
            path: FieldPath::own(owner.name.as_str()),
            operator: Operator::IsEmpty,
            value: Operand::None,
        })],
        ..Group::all(NodeId(0))
    };
    // The clock does not matter to "is empty".
    let ctx = EvalContext::new(Timestamp::UNIX_EPOCH, snapshot.time_zone().clone());
    let Ok(compiled) = compile(snapshot, ty, &tree, &ctx) else { return counts };
    for row in compiled.evaluate(snapshot).ones() {
        if let Some(segment) = members.segment_of(row) {
            *counts.entry(segment).or_insert(0) += 1;
        }
    }
    counts
}

pub(in crate::worker) fn add_impact(total: &mut Impact, more: &Impact) {
    for (segment, n) in &more.joins {
        *total.joins.entry(*segment).or_default() += n;
    }
    for (segment, n) in &more.leaves {
        *total.leaves.entry(*segment).or_default() += n;
    }
    for (pair, n) in &more.moves {
        *total.moves.entry(*pair).or_default() += n;
    }
    total.claimed_by_higher += more.claimed_by_higher;
}
