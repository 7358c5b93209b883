//! Finishing the evaluation of imported records: the marks "still to evaluate" an import
//! writes in its own transaction (see `store::pending`) are evaluated against the active
//! segments of their type and cleared, joins, moves, the apply's assignment and the marks
//! in ONE transaction. The window's engine does it once its snapshot is built (before
//! answering anything) and after each import; `apply` and `import-records` do it too.

use std::path::Path;
use std::time::Instant;

use jiff::Timestamp;

use crate::domain::{
    EvalContext, Impact, MembershipChanges, MembershipReason, RecordId, RecordTypeName, Scope, Status,
};
use crate::engine::Bitset;
use crate::engine::membership::{MemberColumn, evaluate_memberships};
use crate::store::{ApplyOutcome, PendingMarks, StoreError, Workspace};
use crate::worker::WorkerError;

use super::engine::{Applied, Lifecycle, add_impact, load_memberships, load_snapshot, sync_owners};
use super::jobs::{Job, Reporter};

impl Lifecycle<'_> {
    /// Evaluates the records marked in `marks` (read through `reader`; their records must be
    /// in the snapshot already: read the marks before the records) against the active
    /// segments of their type as stored, and writes what changes with the marks cleared, in
    /// one transaction. Per record type with marks: what was applied. A cancel changes
    /// nothing and keeps the marks. The snapshot and memberships are kept in step, the
    /// owners the assignment set included.
    pub fn finish_pending(
        &mut self,
        reader: &Workspace,
        marks: PendingMarks,
        now: Timestamp,
        reporter: &Reporter,
    ) -> Result<Vec<(RecordTypeName, Applied)>, WorkerError> {
        self.finish_pending_then(reader, marks, now, reporter, Then::KeepAnswering)
    }

    fn finish_pending_then(
        &mut self,
        reader: &Workspace,
        marks: PendingMarks,
        now: Timestamp,
        reporter: &Reporter,
        then: Then,
    ) -> Result<Vec<(RecordTypeName, Applied)>, WorkerError> {
        let started = Instant::now();
        reporter.report(None, "Evaluating imported records");
        let pending = reader.pending_evaluations(marks)?;
        let ctx = EvalContext::new(now, self.snapshot.time_zone().clone());
        let mut writes: Vec<(MembershipChanges, MembershipReason)> = Vec::new();
        for marked in &pending {
            let ty = &marked.record_type;
            let segments = reader.segments(ty)?;
            // A type removed since has nothing to evaluate; its marks are cleared.
            let Some(records) = self.snapshot.type_snapshot(ty) else { continue };
            if !segments.iter().any(|s| s.status == Status::Active) {
                continue;
            }
            let rows_of = |ids: &[RecordId]| {
                let mut rows = Bitset::empty(records.rows());
                // A record deleted since is not in the snapshot: nothing to evaluate.
                for row in ids.iter().filter_map(|id| records.row_of(*id)) {
                    rows.insert(row);
                }
                rows
            };
            let empty = MemberColumn::default();
            let members = self.memberships.column(ty).unwrap_or(&empty);
            for (ids, reason) in
                [(&marked.created, MembershipReason::RecordCreated), (&marked.updated, MembershipReason::RecordUpdated)]
            {
                let rows = rows_of(ids);
                if rows.count() == 0 {
                    continue;
                }
                // Created and updated records are distinct, so both evaluate against the
                // memberships as stored now.
                let evaluated =
                    evaluate_memberships(self.snapshot, ty, &segments, members, Scope::All, Some(&rows), &ctx)?;
                if !evaluated.changes.is_empty() {
                    writes.push((evaluated.changes, reason));
                }
            }
        }

        if self.writer.is_none() {
            *self.writer = Some(Workspace::open_worker_writer(self.path)?);
        }
        let Some(writer) = self.writer.as_mut() else {
            return Err(WorkerError::WriterClosed);
        };
        let total: u64 = writes.iter().map(|(changes, _)| changes.changes.len() as u64).sum();
        let mut cancelled = false;
        let written = writer.atomically(|writer| {
            let mut before = 0;
            for (changes, reason) in &writes {
                let mut progress = |done: u64, _: u64| {
                    let done = before + done;
                    let fraction = if total == 0 { 1.0 } else { done as f32 / total as f32 };
                    reporter.report(Some(fraction), format!("Writing {done} of {total} membership changes"))
                };
                let edit = crate::domain::SegmentEdit::Nothing;
                if let ApplyOutcome::Cancelled = writer.apply_lifecycle(&edit, changes, *reason, now, &mut progress)? {
                    cancelled = true;
                    return Err(StoreError::Invalid("cancelled".to_owned()));
                }
                before += changes.changes.len() as u64;
            }
            writer.clear_pending(marks)
        });
        if cancelled {
            let outcome = |ty: &RecordTypeName| (ty.clone(), self.applied(ty, ApplyOutcome::Cancelled, started));
            return Ok(pending.iter().map(|p| outcome(&p.record_type)).collect());
        }
        written?;

        let mut impacts: Vec<(RecordTypeName, Impact)> =
            pending.iter().map(|p| (p.record_type.clone(), Impact::default())).collect();
        for (changes, _) in &writes {
            self.memberships.column_mut(&changes.record_type).apply(self.snapshot, changes);
            if then == Then::KeepAnswering {
                sync_owners(writer, self.snapshot, changes)?;
            }
            if let Some((_, impact)) = impacts.iter_mut().find(|(ty, _)| *ty == changes.record_type) {
                add_impact(impact, &changes.impact());
            }
        }
        Ok(impacts
            .into_iter()
            .map(|(ty, impact)| {
                let applied = self.applied(&ty, ApplyOutcome::Applied(impact), started);
                (ty, applied)
            })
            .collect())
    }
}

/// What becomes of the snapshot after the marks are finished.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Then {
    /// It goes on answering (the window's engine): the owners the assignment set are read
    /// back into it.
    KeepAnswering,
    /// It is dropped (a command): that read, every assigned record read whole, is skipped;
    /// it took 7 s of a million-lead import.
    Drop,
}

/// The newest mark "still to evaluate" of the workspace at `path`, read through a reader of
/// its own BEFORE the records are (see [`Lifecycle::finish_pending`]).
pub fn pending_upto(path: &Path) -> Result<Option<PendingMarks>, WorkerError> {
    let reader = Workspace::open_reader(path)?;
    Ok(reader.pending_upto()?.map(PendingMarks::up_to))
}

/// How often [`finish_pending_at`] tries again when another process changed the records'
/// memberships (or finished the same marks) between its evaluation and its write.
const FINISH_ATTEMPTS: usize = 3;

/// Without a window: evaluates every record still marked (left by an import that was
/// killed, or the one just made) and clears the marks. How many records joined or moved.
/// Two processes finishing the same marks at once: the second one's write finds the
/// memberships changed and is refused whole, so it evaluates again (and finds the marks
/// gone, or fewer).
pub fn finish_pending_at(path: &Path, now: Timestamp) -> Result<u64, WorkerError> {
    let mut attempt = 1;
    loop {
        match finish_pending_once(path, now) {
            Err(_) if attempt < FINISH_ATTEMPTS => attempt += 1,
            result => return result,
        }
    }
}

fn finish_pending_once(path: &Path, now: Timestamp) -> Result<u64, WorkerError> {
    let Some(marks) = pending_upto(path)? else { return Ok(0) };
    let (reader, mut snapshot) = load_snapshot(path, &|_| {})?;
    let mut memberships = load_memberships(&reader, &mut snapshot)?;
    let (_job, completion) = Job::<()>::pending("Evaluating imported records", std::sync::Arc::new(super::NoWaker));
    let mut writer = None;
    let mut lifecycle = Lifecycle { path, snapshot: &mut snapshot, memberships: &mut memberships, writer: &mut writer };
    let finished = lifecycle.finish_pending_then(&reader, marks, now, completion.reporter(), Then::Drop)?;
    // The reader cannot write: closed after the writer, as the last connection of the
    // process, it would leave the write-ahead log beside the file (`import-records` left a
    // log as large as the import), so a copy of the file alone would miss the import.
    drop(reader);
    if let Some(writer) = &writer {
        // Committed already; a checkpoint that cannot run now is made by the next one.
        writer.checkpoint().ok();
    }
    Ok(finished
        .iter()
        .map(|(_, applied)| match &applied.outcome {
            ApplyOutcome::Applied(impact) => impact.join_count() + impact.move_count(),
            ApplyOutcome::Cancelled => 0,
        })
        .sum())
}
