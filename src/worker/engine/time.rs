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

use crate::domain::Definitions;
use crate::domain::timing::depends_on_clock_in;
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
    /// Stranded records (unassigned members) the retry placed, per record type.
    pub placed: Vec<(RecordTypeName, u64)>,
}

/// Which records time passing may have changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Since {
    /// There was no evaluation before: this one only notes the time.
    Never,
    /// The last evaluation's time: the records whose answer differs between then and now.
    Evaluated(Timestamp),
    /// The time zone changed: every record, since "today" itself moved.
    ZoneChanged,
}

/// The ids of the segments among `segments` whose conditions read the clock.
/// A segment that matches the conditions of one that reads the clock reads it too (when
/// `definitions` has that one).
pub fn clock_segments(segments: &[Segment], definitions: &Definitions) -> HashSet<SegmentId> {
    segments.iter().filter(|s| depends_on_clock_in(&s.conditions, definitions)).map(|s| s.id).collect()
}

/// The changes time passing `since` the last evaluation makes to the records of `ty` at
/// `ctx.now`: the records whose answer to some active segment that reads the clock differs
/// between the two instants (every record when the zone changed) are evaluated with
/// priority against `segments` (every segment of the type), and only their changes into or
/// out of such a segment are kept. Nothing when there was no evaluation before (the first
/// one only notes the time) or no segment reads the clock.
pub fn time_changes(
    snapshot: &Snapshot,
    memberships: &Memberships,
    ty: &RecordTypeName,
    segments: &[Segment],
    since: Since,
    ctx: &EvalContext,
) -> Result<MembershipChanges, EngineError> {
    let dated = clock_segments(segments, snapshot.definitions());
    let Some(records) = snapshot.type_snapshot(ty) else { return Ok(MembershipChanges::new(ty.clone())) };
    let before = match since {
        _ if dated.is_empty() => return Ok(MembershipChanges::new(ty.clone())),
        Since::Never => return Ok(MembershipChanges::new(ty.clone())),
        Since::ZoneChanged => None,
        Since::Evaluated(before) => Some(before),
    };
    let mut changed = Bitset::empty(records.rows());
    for segment in segments.iter().filter(|s| s.status == Status::Active && dated.contains(&s.id)) {
        let Some(before) = before else {
            changed = records.live().clone();
            break;
        };
        let then = EvalContext::new(before, ctx.time_zone.clone());
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

/// What resolving relative dates in `zone` instead would do at `now`, per record type with a
/// date-based segment: the joins, leaves and moves the next evaluation would write. The
/// engine's snapshot holds dates in the workspace's zone, so the types concerned are loaded
/// again in `zone` on this thread (a few seconds at a million records, shown with progress);
/// nothing is written. Shown before the workspace's time zone changes.
pub fn zone_impact(
    path: &std::path::Path,
    segments: &[(RecordTypeName, Vec<Segment>)],
    now: Timestamp,
    zone: &jiff::tz::TimeZone,
    reporter: &Reporter,
) -> Result<super::ZoneImpacts, WorkerError> {
    let definitions = Definitions::of(segments.iter().flat_map(|(_, of_type)| of_type));
    let dated: Vec<RecordTypeName> = segments
        .iter()
        .filter(|(_, of_type)| !clock_segments(of_type, &definitions).is_empty())
        .map(|(ty, _)| ty.clone())
        .collect();
    if dated.is_empty() {
        return Ok(Vec::new());
    }
    let progress = |fraction: f32| {
        reporter.report(Some(fraction), "Reading the records in the new time zone");
    };
    let (reader, mut snapshot) = super::load::load_types_in_zone(path, Some(&dated), Some(zone.clone()), &progress)?;
    let mut memberships = Memberships::default();
    for (ty, pairs) in dated.iter().zip(reader.memberships_of_types(&dated)?) {
        memberships.set_column(ty.clone(), MemberColumn::load(&snapshot, ty, &pairs));
    }
    memberships.share_all(&mut snapshot);
    snapshot.set_definitions(definitions);
    let ctx = EvalContext::new(now, zone.clone());
    let mut impacts = Vec::new();
    for (ty, of_type) in segments.iter().filter(|(ty, _)| dated.contains(ty)) {
        let changes = time_changes(&snapshot, &memberships, ty, of_type, Since::ZoneChanged, &ctx)?;
        impacts.push((ty.clone(), changes.impact()));
    }
    Ok(impacts)
}

impl Lifecycle<'_> {
    /// Evaluates the date-based segments of each record type at `now` (`segments` per
    /// type: every segment of it) and writes what changed since the last such evaluation
    /// (every record's answer when `zone_changed` or the last one was in another zone), one
    /// transaction per type. Types without a segment that reads the clock are skipped.
    pub fn time_passed(
        &mut self,
        segments: &[(RecordTypeName, Vec<Segment>)],
        now: Timestamp,
        zone_changed: bool,
        reporter: &Reporter,
    ) -> Result<TimeEvaluated, WorkerError> {
        let ctx = EvalContext::new(now, self.snapshot.time_zone().clone());
        let writer = self.writer()?;
        let zone = writer.time_zone().to_owned();
        // A zone set since (here, or by `segment-builder settings`) moved "today" itself.
        let before = match writer.last_time_evaluation()? {
            _ if zone_changed => Since::ZoneChanged,
            Some((_, then)) if then != zone => Since::ZoneChanged,
            Some((at, _)) => Since::Evaluated(at),
            None => Since::Never,
        };
        // What this run decides after here waits for the next run's retry.
        let mark = writer.assignment_mark()?;
        let mut per_type = Vec::new();
        for (ty, of_type) in segments {
            if clock_segments(of_type, self.snapshot.definitions()).is_empty() {
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
        // Relative dates are calendar days: within one day in one zone nothing changes, so an
        // evaluation that wrote nothing keeps the day's first time and writes no byte (other
        // windows would reload everything on each write).
        let day = |at: Timestamp| at.to_zoned(ctx.time_zone.clone()).date();
        let same_day = matches!(before, Since::Evaluated(at) if day(at) == day(now));
        let wrote = per_type.iter().any(|(_, applied)| match &applied.outcome {
            ApplyOutcome::Applied(impact) => impact.join_count() + impact.move_count() + impact.leave_count() > 0,
            ApplyOutcome::Cancelled => false,
        });
        let cancelled = per_type.iter().any(|(_, applied)| applied.outcome == ApplyOutcome::Cancelled);
        if !cancelled && (wrote || !same_day) {
            self.writer()?.set_last_time_evaluation(now)?;
        }
        let mut placed = Vec::new();
        if !cancelled {
            // Stranded records are retried on every scheduled run: capacity frees up and
            // sellers come back, with no edit to tell. Those this run just decided wait for
            // the next one, as in `apply`.
            for (ty, _) in segments {
                reporter.report(None, format!("Retrying unassigned {ty} records"));
                let ids = self.writer()?.retry_stranded_before(ty, now, mark)?;
                if !ids.is_empty() {
                    let Some(writer) = self.writer.as_ref() else { return Err(WorkerError::WriterClosed) };
                    super::lifecycle::read_into_snapshot(writer, self.snapshot, ty, &ids)?;
                    placed.push((ty.clone(), ids.len() as u64));
                }
            }
        }
        Ok(TimeEvaluated { now, per_type, placed })
    }
}
