//! Answering the Overlap screen and the lint: the overlap matrix and lint of a record
//! type's segments, and the records two segments share, from the engine's snapshot.

use jiff::Timestamp;

use super::{EngineRequest, EngineWorker};
use crate::domain::overlap::{Analysis, SharedRecords};
use crate::domain::{EvalContext, Group, RecordTypeName, Segment, SegmentId};
use crate::engine::overlap::{analyse, shared_rows};
use crate::engine::priority::{SortKey, first_matching};
use crate::engine::snapshot::Snapshot;
use crate::store::Workspace;
use crate::worker::WorkerError;
use crate::worker::jobs::Job;

/// Which records two segments share: their trees as the window shows them.
#[derive(Clone, Debug)]
pub struct SharedAsked {
    pub record_type: RecordTypeName,
    pub first: (SegmentId, Group),
    pub second: (SegmentId, Group),
    pub now: Timestamp,
    /// How many of them to list, newest first.
    pub limit: usize,
}

impl EngineWorker {
    /// The overlap matrix and lint of the segments of `record_type` (every segment of the
    /// type, in priority order) at `now`.
    pub fn analyse(
        &self,
        record_type: RecordTypeName,
        segments: Vec<Segment>,
        now: Timestamp,
    ) -> Job<Result<Analysis, WorkerError>> {
        let (job, reply) = Job::pending("Comparing segments", self.waker.clone());
        self.queue(EngineRequest::Analyse { record_type, segments, now, reply });
        job
    }

    /// How many records two segments share and the first of them, with their titles.
    pub fn shared(&self, asked: SharedAsked) -> Job<Result<SharedRecords, WorkerError>> {
        let (job, reply) = Job::pending("Reading shared records", self.waker.clone());
        self.queue(EngineRequest::Shared { asked, reply });
        job
    }
}

pub(super) fn run_analysis(
    snapshot: &Snapshot,
    record_type: &RecordTypeName,
    segments: &[Segment],
    now: Timestamp,
) -> Result<Analysis, WorkerError> {
    let ctx = EvalContext::new(now, snapshot.time_zone().clone());
    Ok(analyse(snapshot, record_type, segments, &ctx)?)
}

pub(super) fn run_shared(
    snapshot: &Snapshot,
    reader: &Workspace,
    asked: &SharedAsked,
) -> Result<SharedRecords, WorkerError> {
    let ty = &asked.record_type;
    let ctx = EvalContext::new(asked.now, snapshot.time_zone().clone());
    let rows = shared_rows(snapshot, ty, &asked.first.1, &asked.second.1, &ctx)?;
    let first = first_matching(snapshot, ty, &rows, &SortKey::newest_first(), asked.limit);
    let mut titles = reader.record_titles(ty, &first)?;
    Ok(SharedRecords {
        first: asked.first.0,
        second: asked.second.0,
        count: rows.count(),
        rows: first
            .into_iter()
            .map(|id| {
                let title = titles.remove(&id).unwrap_or_else(|| format!("#{}", id.0));
                (id, title)
            })
            .collect(),
    })
}
