//! The Explain side panel: one record explained (`Workspace::explain_record`) with its
//! timeline (`Workspace::record_timeline`), read as a [`Job`] on its own connection, and
//! read again whenever what the panel should show changes (`state::explain::wanted`: the
//! record, the draft being edited, the segments and their member counts).
//!
//! Commands are handled by the pure [`apply`] in `state::explain`; this file carries out its
//! [`ExplainEffect`]s.

pub use crate::state::explain::*;

use super::App;
use super::features::Runner;
use super::lifecycle::finished;
use crate::state::Loadable;
use crate::store::{StoreError, Workspace};
use crate::worker::jobs::Job;

impl Runner<ExplainEffect> for App {
    fn run(&mut self, effect: ExplainEffect) {
        let Some(path) = self.state.view.as_ref().map(|v| v.path.clone()) else { return };
        let ExplainEffect::Explain { target, draft, now } = effect;
        self.jobs.explain = Some(Job::spawn("Explaining a record", self.waker(), move |_| {
            let ws = Workspace::open_reader(&path)?;
            let def = ws.schema().get(&target.record_type).cloned().ok_or_else(|| {
                StoreError::Invalid(format!("the workspace has no record type \"{}\" any more", target.record_type))
            })?;
            let draft = draft.as_ref().map(|(segment, tree)| (*segment, tree));
            let report = ws
                .explain_record(&def, target.record, now, draft)?
                .ok_or_else(|| StoreError::Invalid(format!("{} #{} no longer exists", def.label, target.record)))?;
            let timeline = ws.record_timeline(&def.name, target.record)?;
            Ok(Explained { report, timeline })
        }));
    }

    fn poll(&mut self) {
        if let Some(job) = &self.jobs.explain
            && let Some(outcome) = finished(job.poll(), "explaining a record")
        {
            self.jobs.explain = None;
            let asked = self.state.explain.asked.as_ref().map(|key| key.target.record);
            match outcome {
                Ok(found) if asked == Some(crate::domain::RecordId(found.report.record)) => {
                    self.state.explain.result = Loadable::Ready(found);
                }
                Ok(_) => {}
                Err(error) => self.state.explain.result.fail(format!("Could not explain the record: {error}")),
            }
        }
        // One read at a time; the newest wish is asked for once the last read is back.
        if self.jobs.explain.is_none() {
            let effects = refresh_if_stale(&mut self.state, self.clock.now());
            self.run_effects(effects);
        }
    }

    fn busy(&self) -> bool {
        self.jobs.explain.is_some()
    }
}
