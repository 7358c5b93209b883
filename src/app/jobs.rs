//! What the runner waits for: the background jobs in flight, the generation counters that
//! tell a current answer from a stale one, and the pages asked for and not answered yet.

use std::collections::HashSet;

use crate::domain::{RecordId, RecordTypeName};
use crate::state::ImpactOutcome;
use crate::worker::WorkerError;
use crate::worker::engine::Applied;
use crate::worker::export::{ExportError, ExportOutcome};
use crate::worker::jobs::Job;

use super::OpenJob;
use super::check::CheckSlot;
use super::import::ImportJob;
use super::monitor::MonitorJobs;

/// The background jobs in flight; each slot is emptied when its answer is taken.
#[derive(Default)]
pub(super) struct Jobs {
    pub open: Option<OpenJob>,
    /// The impact the open impact dialog waits for.
    pub impact: Option<Job<Result<ImpactOutcome, WorkerError>>>,
    /// The lifecycle change being applied to existing records.
    pub apply: Option<Job<Result<Applied, WorkerError>>>,
    /// Saved records being evaluated against the active segments, per record type.
    pub saved: Vec<(RecordTypeName, Job<Result<Applied, WorkerError>>)>,
    /// The engine rereading memberships after a segment was deleted.
    pub reload: Vec<Job<Result<(), WorkerError>>>,
    pub export: Option<Job<Result<ExportOutcome, ExportError>>>,
    pub import: Option<ImportJob>,
    pub monitor: MonitorJobs,
    /// The check of the whole workspace file.
    pub check: CheckSlot,
    /// The evaluation of date-based segments as time passes.
    pub time: Option<Job<Result<crate::worker::engine::TimeEvaluated, WorkerError>>>,
    /// What a new time zone would move, shown before it is stored.
    pub zone_impact: Option<Job<Result<crate::worker::engine::ZoneImpacts, WorkerError>>>,
    /// The overlap and lint of the current record type, and a cell's shared records.
    pub overlap: super::overlap::OverlapJobs,
    /// The record the Explain panel shows, being explained.
    pub explain: Option<Job<Result<crate::state::explain::Explained, crate::store::StoreError>>>,
    /// The distribution simulator's run.
    pub simulate: Option<super::simulate::SimulateJob>,
    /// The Work list being read.
    pub work_list: Option<Job<Result<crate::domain::sequence::WorkList, crate::store::StoreError>>>,
}

impl Jobs {
    /// Whether any job is still running.
    pub fn is_busy(&self) -> bool {
        self.engine_busy()
            || self.open.is_some()
            || self.export.is_some()
            || self.zone_impact.is_some()
            || self.monitor.is_busy()
            || self.check.is_busy()
    }

    /// Whether a job waits for the engine (or, an import, will hand it records): restarting
    /// the engine now would lose its answer or make it stale.
    pub fn engine_busy(&self) -> bool {
        self.impact.is_some()
            || self.apply.is_some()
            || !self.saved.is_empty()
            || !self.reload.is_empty()
            || self.import.is_some()
            || self.time.is_some()
    }
}

/// Per kind of request, the newest generation asked for: an answer of an older one is
/// dropped.
#[derive(Default)]
pub(super) struct Generations {
    pub records: u64,
    pub preview: u64,
    /// The builder's funnel ([`crate::state::builder::FunnelState`]), asked after the preview.
    pub funnel: u64,
    pub search: u64,
    pub members: u64,
    pub history: u64,
    pub sizes: u64,
    pub sellers_open: u64,
    /// Member counts may have changed since the size charts were read.
    pub sizes_due: bool,
}

/// Pages asked of the records worker that have not been answered yet.
#[derive(Default)]
pub(super) struct Pages {
    /// Records screen rows asked for in the current generation.
    pub rows_requested: HashSet<RecordId>,
    /// Member pages (by offset) asked for in this generation, and those not answered yet.
    pub members_requested: HashSet<u64>,
    pub members_pending: HashSet<u64>,
    /// The day the size charts asked for end on.
    pub sizes_today: Option<jiff::civil::Date>,
}
