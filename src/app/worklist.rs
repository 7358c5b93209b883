//! The Work list: its list is read on its own connection in the background (a seller's
//! list of 100,000 running enrolments is a few indexed reads, all of them are not), and a
//! step is finished with one small write on the app's connection, after which the list,
//! the selected record's enrolment line and the sequence's enrolments are read again.
//!
//! Commands are handled by the pure [`apply`] in `state::worklist`; this file carries out
//! its [`WorkListEffect`]s.

pub use crate::state::worklist::*;

use jiff::Timestamp;

use super::App;
use super::features::Runner;
use super::lifecycle::finished;
use crate::domain::sequence::StepOutcome;
use crate::state::{Loadable, NoticeLevel, Screen};
use crate::store::Workspace;
use crate::worker::jobs::Job;

impl Runner<WorkListEffect> for App {
    fn run(&mut self, effect: WorkListEffect) {
        match effect {
            WorkListEffect::Read { filter, now } => {
                let Some(path) = self.state.view.as_ref().map(|v| v.path.clone()) else { return };
                self.jobs.work_list = Some(Job::spawn("Reading the work list", self.waker(), move |_| {
                    Workspace::open_reader(&path).and_then(|ws| ws.work_list(&filter, now, WORK_LIST_ROWS))
                }));
            }
            WorkListEffect::Finish { enrolment, outcome, now } => self.finish_step(enrolment, outcome, now),
        }
    }

    fn poll(&mut self) {
        let Some(job) = &self.jobs.work_list else { return };
        let Some(outcome) = finished(job.poll(), "the background reader") else { return };
        self.jobs.work_list = None;
        let work = &mut self.state.work_list;
        match outcome {
            Ok(list) => {
                if work.selected.is_none_or(|id| !list.items.iter().any(|i| i.enrolment == id)) {
                    work.selected = list.items.first().map(|i| i.enrolment);
                }
                work.list = Loadable::Ready(list);
            }
            Err(error) => work.list.fail(format!("Could not read the work list: {error}")),
        }
    }

    fn busy(&self) -> bool {
        self.jobs.work_list.is_some()
    }
}

impl App {
    /// Reads the Work list again with its filters, as of now.
    pub(super) fn refresh_work_list(&mut self) {
        let effects = refresh(&mut self.state, self.clock.now());
        self.run_effects(effects);
    }

    fn finish_step(&mut self, enrolment: i64, outcome: StepOutcome, now: Timestamp) {
        let Some(workspace) = &mut self.workspace else { return };
        match workspace.complete_step(enrolment, outcome, now) {
            Ok(after) => {
                let what = if outcome == StepOutcome::Done { "Done" } else { "Skipped" };
                let title = self
                    .state
                    .work_list
                    .list
                    .latest()
                    .and_then(|l| l.items.iter().find(|i| i.enrolment == enrolment))
                    .map(|i| i.title.clone());
                let text = match (after.end_reason, title) {
                    (Some(_), Some(title)) => format!("{what}: {title} completed its sequence"),
                    (Some(_), None) => format!("{what}: the enrolment completed its sequence"),
                    (None, _) => format!("{what}: step {} is next", after.step + 1),
                };
                self.notify(NoticeLevel::Info, text);
            }
            Err(error) => self.notify(NoticeLevel::Error, format!("The step was not finished: {error}")),
        }
        self.sync_sequences();
        if self.state.screen != Screen::WorkList {
            self.refresh_work_list();
        }
    }
}
