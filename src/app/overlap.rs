//! The Overlap screen and the lint: the analysis of the current record type's segments is
//! computed by the engine worker from its snapshot (off the UI thread), asked for again
//! whenever what the window shows changed since (`state::overlap::refresh_if_stale`), and
//! a clicked cell's shared records are read the same way.
//!
//! Commands are handled by the pure [`apply`] in `state::overlap`; this file carries out
//! its [`OverlapEffect`]s.

pub use crate::state::overlap::*;

use super::App;
use super::features::Runner;
use super::lifecycle::finished;
use crate::domain::overlap::{Analysis, SharedRecords};
use crate::state::{EngineStatus, Loadable};
use crate::worker::WorkerError;
use crate::worker::engine::SharedAsked;
use crate::worker::jobs::Job;

/// The analysis and the shared records being computed.
#[derive(Default)]
pub(super) struct OverlapJobs {
    analysis: Option<Job<Result<Analysis, WorkerError>>>,
    shared: Option<Job<Result<SharedRecords, WorkerError>>>,
}

impl Runner<OverlapEffect> for App {
    fn run(&mut self, effect: OverlapEffect) {
        let Some(worker) = &self.engine_worker else { return };
        match effect {
            OverlapEffect::Analyse { record_type, segments, now } => {
                self.jobs.overlap.analysis = Some(worker.analyse(record_type, segments, now));
            }
            OverlapEffect::Shared { record_type, first, second, now } => {
                let asked = SharedAsked { record_type, first, second, now, limit: SHARED_ROWS };
                self.jobs.overlap.shared = Some(worker.shared(asked));
            }
        }
    }

    fn poll(&mut self) {
        if let Some(job) = &self.jobs.overlap.analysis
            && let Some(outcome) = finished(job.poll(), "the comparison of segments")
        {
            self.jobs.overlap.analysis = None;
            let analysis = &mut self.state.overlap.analysis;
            match outcome {
                // An answer for a record type no longer shown is dropped; a new one is asked.
                Ok(found) if self.state.record_type.as_ref() == Some(&found.record_type) => {
                    *analysis = Loadable::Ready(found);
                }
                Ok(_) => {}
                Err(error) => analysis.fail(format!("Could not compare the segments: {error}")),
            }
        }
        if let Some(job) = &self.jobs.overlap.shared
            && let Some(outcome) = finished(job.poll(), "reading the shared records")
        {
            self.jobs.overlap.shared = None;
            let shared = &mut self.state.overlap.shared;
            match outcome {
                Ok(found) if self.state.overlap.cell == Some((found.first, found.second)) => {
                    *shared = Loadable::Ready(found);
                }
                Ok(_) => {}
                Err(error) => shared.fail(format!("Could not read the shared records: {error}")),
            }
        }
        // Asked again only once the engine has the records, and one at a time.
        let ready = matches!(self.state.engine, EngineStatus::Ready { .. });
        if ready && self.jobs.overlap.analysis.is_none() && self.engine_worker.is_some() {
            let effects = refresh_if_stale(&mut self.state, self.clock.now());
            self.run_effects(effects);
        }
    }

    fn busy(&self) -> bool {
        self.jobs.overlap.analysis.is_some() || self.jobs.overlap.shared.is_some()
    }
}
