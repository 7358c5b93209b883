//! Dependent segments: a segment whose conditions name another ("is in segment X",
//! "matches the conditions of X") is evaluated again when X's memberships or conditions
//! change, in the same run as the change (an apply, a saved record, time passing), so
//! memberships never wait for the next re-evaluation to follow X.

use std::collections::BTreeSet;

use jiff::Timestamp;

use super::Lifecycle;
use crate::domain::segment_test::named;
use crate::domain::{
    EvalContext, MembershipChanges, MembershipReason, RecordTypeName, Scope, SegmentEdit, SegmentId, Status,
};
use crate::engine::membership::{MemberColumn, evaluate_memberships};
use crate::store::ApplyOutcome;
use crate::worker::WorkerError;
use crate::worker::jobs::Reporter;

/// Chains of segments naming segments are followed this many levels deep (validation
/// refuses cycles; this only bounds a workspace edited elsewhere).
const MAX_LEVELS: usize = 16;

/// The segments whose memberships or conditions `edit` and `changes` change.
pub(super) fn touched(edit: &SegmentEdit, changes: &MembershipChanges) -> BTreeSet<SegmentId> {
    let mut touched: BTreeSet<SegmentId> = changes.changes.iter().flat_map(|c| [c.from, c.to]).flatten().collect();
    match edit {
        SegmentEdit::Nothing | SegmentEdit::Reorder { .. } => {}
        SegmentEdit::SetStatus { segment, .. } => {
            touched.insert(*segment);
        }
        SegmentEdit::Save(segment) => {
            touched.insert(segment.id);
        }
    }
    touched
}

impl Lifecycle<'_> {
    /// Evaluates again, for every record, the record types with an active segment that
    /// names one of `touched`, and writes what changed (reason "re-evaluated"); then the
    /// segments naming those that changed, and so on.
    pub(super) fn dependents(
        &mut self,
        mut touched: BTreeSet<SegmentId>,
        now: Timestamp,
        reporter: &Reporter,
    ) -> Result<(), WorkerError> {
        for _ in 0..MAX_LEVELS {
            if touched.is_empty() {
                return Ok(());
            }
            let all = self.writer()?.all_segments()?;
            self.snapshot.set_definitions(crate::domain::Definitions::of(&all));
            let types: BTreeSet<RecordTypeName> = all
                .iter()
                .filter(|s| s.status == Status::Active && named(&s.conditions).iter().any(|id| touched.contains(id)))
                .map(|s| s.record_type.clone())
                .collect();
            let mut next = BTreeSet::new();
            let ctx = EvalContext::new(now, self.snapshot.time_zone().clone());
            for ty in types {
                let segments: Vec<_> = all.iter().filter(|s| s.record_type == ty).cloned().collect();
                let empty = MemberColumn::default();
                let members = self.memberships.column(&ty).unwrap_or(&empty);
                let evaluated = evaluate_memberships(self.snapshot, &ty, &segments, members, Scope::All, None, &ctx)?;
                if evaluated.changes.is_empty() {
                    continue;
                }
                reporter.report(None, format!("Evaluating the {ty} segments that use changed segments"));
                let outcome = self.write_one(
                    &SegmentEdit::Nothing,
                    &evaluated.changes,
                    MembershipReason::Reevaluation,
                    now,
                    reporter,
                )?;
                if outcome == ApplyOutcome::Cancelled {
                    return Ok(());
                }
                next.extend(touched_by(&evaluated.changes));
            }
            touched = next;
        }
        Ok(())
    }
}

fn touched_by(changes: &MembershipChanges) -> BTreeSet<SegmentId> {
    touched(&SegmentEdit::Nothing, changes)
}
