//! Time passing: the segments whose conditions read the clock ([`depends_on_clock`]) are
//! evaluated again at a new "now", and only the records whose answer changed since the last
//! such evaluation (its time is kept in the workspace) are written,
//! as joins, leaves and moves with reason "time passed" (history, enrolment and assignment
//! as for any other change). Records of segments that do not read the clock are left
//! alone, even when they would move for reasons of their own (a segment activated "from
//! now on").

use std::collections::HashSet;
use std::time::Instant;

use jiff::Timestamp;

use crate::domain::timing::depends_on_clock;
use crate::domain::{
    EvalContext, MembershipChanges, MembershipReason, RecordTypeName, Scope, Segment, SegmentId, Status,
};
use crate::engine::Bitset;
use crate::engine::EngineError;
use crate::engine::fast::compile;
use crate::engine::membership::{MemberColumn, Memberships, evaluate_memberships};
use crate::engine::snapshot::Snapshot;
use crate::store::ApplyOutcome;
use crate::worker::WorkerError;
use crate::worker::jobs::Reporter;

use super::{Applied, Lifecycle};

/// What one evaluation of date-based segments did, per record type that has one.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeEvaluated {
    /// The "now" it evaluated at.
    pub now: Timestamp,
    pub per_type: Vec<(RecordTypeName, Applied)>,
}

/// The ids of the segments among `segments` whose conditions read the clock.
pub fn clock_segments(segments: &[Segment]) -> HashSet<SegmentId> {
    segments.iter().filter(|s| depends_on_clock(&s.conditions)).map(|s| s.id).collect()
}

/// The changes time passing from `before` to `ctx.now` makes to the records of `ty`: the
/// records whose answer to some active segment that reads the clock differs between the two
/// instants are evaluated with priority against `segments` (every segment of the type), and
/// only their changes into or out of such a segment are kept. Nothing when there was no
/// evaluation `before` (the first one only notes the time) or no segment reads the clock.
pub fn time_changes(
    snapshot: &Snapshot,
    memberships: &Memberships,
    ty: &RecordTypeName,
    segments: &[Segment],
    before: Option<Timestamp>,
    ctx: &EvalContext,
) -> Result<MembershipChanges, EngineError> {
    let dated = clock_segments(segments);
    let Some(before) = before else { return Ok(MembershipChanges::new(ty.clone())) };
    let Some(records) = snapshot.type_snapshot(ty) else { return Ok(MembershipChanges::new(ty.clone())) };
    if dated.is_empty() {
        return Ok(MembershipChanges::new(ty.clone()));
    }
    let then = EvalContext::new(before, ctx.time_zone.clone());
    let mut changed = Bitset::empty(records.rows());
    for segment in segments.iter().filter(|s| s.status == Status::Active && dated.contains(&s.id)) {
        let now = compile(snapshot, ty, &segment.conditions, ctx)?.evaluate(snapshot);
        let was = compile(snapshot, ty, &segment.conditions, &then)?.evaluate(snapshot);
        let mut gained = now.clone();
        gained.and_not_with(&was);
        let mut lost = was;
        lost.and_not_with(&now);
        changed.or_with(&gained);
        changed.or_with(&lost);
    }
    if changed.count() == 0 {
        return Ok(MembershipChanges::new(ty.clone()));
    }
    let empty = MemberColumn::default();
    let members = memberships.column(ty).unwrap_or(&empty);
    let mut evaluated = evaluate_memberships(snapshot, ty, segments, members, Scope::All, Some(&changed), ctx)?;
    evaluated
        .changes
        .changes
        .retain(|c| c.from.is_some_and(|s| dated.contains(&s)) || c.to.is_some_and(|s| dated.contains(&s)));
    Ok(evaluated.changes)
}

impl Lifecycle<'_> {
    /// Evaluates the date-based segments of each record type at `now` (`segments` per
    /// type: every segment of it) and writes what changed, one transaction per type.
    /// Types without a segment that reads the clock are skipped.
    pub fn time_passed(
        &mut self,
        segments: &[(RecordTypeName, Vec<Segment>)],
        now: Timestamp,
        reporter: &Reporter,
    ) -> Result<TimeEvaluated, WorkerError> {
        let ctx = EvalContext::new(now, self.snapshot.time_zone().clone());
        let before = self.writer()?.last_time_evaluation()?;
        let mut per_type = Vec::new();
        for (ty, of_type) in segments {
            if clock_segments(of_type).is_empty() {
                continue;
            }
            let started = Instant::now();
            reporter.report(None, format!("Evaluating date-based {ty} segments"));
            let changes = time_changes(self.snapshot, self.memberships, ty, of_type, before, &ctx)?;
            let outcome = if changes.is_empty() {
                ApplyOutcome::Applied(changes.impact())
            } else if reporter.is_cancelled() {
                ApplyOutcome::Cancelled
            } else {
                self.write(&crate::domain::SegmentEdit::Nothing, &changes, MembershipReason::TimePassed, now, reporter)?
            };
            let cancelled = outcome == ApplyOutcome::Cancelled;
            per_type.push((ty.clone(), self.applied(ty, outcome, started)));
            if cancelled {
                break;
            }
        }
        if !per_type.iter().any(|(_, applied)| applied.outcome == ApplyOutcome::Cancelled) {
            self.writer()?.set_last_time_evaluation(now)?;
        }
        Ok(TimeEvaluated { now, per_type })
    }
}
