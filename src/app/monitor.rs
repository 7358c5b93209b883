//! The Monitor screen: unassigned and processed records, Run now, manual assignment and
//! "Why this seller?".
//!
//! Every read (the lists, an explanation) and "Run now" run as [`Job`]s on their own
//! connection; manual assignment is one small write on the app's connection. Owners set by
//! either go to the engine as saved records, so its snapshot (previews, conditions on the
//! owner, unassigned counts) follows.
//!
//! Commands are handled by the pure [`apply`] in `state::monitor`; this file starts the jobs
//! and does the writes its [`MonitorEffect`]s ask for, and takes the jobs' answers.

pub use crate::state::monitor::*;

use super::features::Runner;
use super::lifecycle::finished;
use std::collections::BTreeSet;

use jiff::Timestamp;

use super::App;
use crate::domain::{RecordId, RecordTypeName, SellerId};
use crate::state::{Loadable, NoticeLevel};
use crate::store::{Explanation, MonitorLists, RunOutcome, StoreError, Workspace};
use crate::worker::engine::SavedRecord;
use crate::worker::jobs::{Job, Poll};

/// The Monitor's background jobs (owned by [`App`]).
#[derive(Default)]
pub struct MonitorJobs {
    lists: Option<Job<Result<MonitorLists, StoreError>>>,
    run: Option<(RecordTypeName, Job<Result<RunOutcome, StoreError>>)>,
    why: Option<Job<Result<Explanation, StoreError>>>,
    assign: Option<Job<Result<Explanation, StoreError>>>,
}

impl MonitorJobs {
    pub fn is_busy(&self) -> bool {
        self.lists.is_some() || self.run.is_some() || self.why.is_some() || self.assign.is_some()
    }
}

impl Runner<MonitorEffect> for App {
    /// Starts, cancels or forgets what the Monitor asked for.
    fn run(&mut self, effect: MonitorEffect) {
        let path = self.state.view.as_ref().map(|v| v.path.clone());
        match effect {
            MonitorEffect::ReadLists(ty) => {
                let Some(path) = path else { return };
                self.jobs.monitor.lists = Some(Job::spawn("Reading the Monitor", self.waker(), move |_| {
                    Workspace::open_reader(&path).and_then(|ws| ws.monitor_lists(&ty, MONITOR_ROWS))
                }));
            }
            MonitorEffect::Explain { window, record_type, record, now } => {
                let Some(path) = path else { return };
                let job = Job::spawn("Explaining the assignment", self.waker(), move |_| {
                    Workspace::open_reader(&path).and_then(|ws| ws.explain_assignment(&record_type, record, now))
                });
                match window {
                    ExplainFor::Why => self.jobs.monitor.why = Some(job),
                    ExplainFor::Assign => self.jobs.monitor.assign = Some(job),
                }
            }
            MonitorEffect::Forget(ExplainFor::Why) => self.jobs.monitor.why = None,
            MonitorEffect::Forget(ExplainFor::Assign) => self.jobs.monitor.assign = None,
            MonitorEffect::Run { record_type, records, title, now } => {
                let Some(path) = path else {
                    self.state.monitor.running = None;
                    return;
                };
                let job_type = record_type.clone();
                let job = Job::spawn(title, self.waker(), move |reporter| {
                    let mut ws = Workspace::open(&path)?;
                    let mut progress = |done: u64, total: u64| {
                        let fraction = if total == 0 { 1.0 } else { done as f32 / total as f32 };
                        reporter.report(Some(fraction), format!("{done} of {total} records"))
                    };
                    ws.run_assignment(&job_type, records.as_deref(), now, &mut progress)
                });
                self.jobs.monitor.run = Some((record_type, job));
            }
            MonitorEffect::CancelRun => {
                if let Some((_, job)) = &self.jobs.monitor.run {
                    job.cancel();
                }
            }
            MonitorEffect::Assign { record_type, record, seller, now } => {
                self.assign_by_hand(&record_type, record, seller, now);
            }
        }
    }

    /// Takes what the Monitor's jobs finished.
    fn poll(&mut self) {
        if let Some(job) = &self.jobs.monitor.lists
            && let Some(outcome) = finished(job.poll(), "the background reader")
        {
            self.jobs.monitor.lists = None;
            match outcome {
                Ok(lists) => {
                    let listed: BTreeSet<RecordId> = lists.unassigned.iter().map(|u| u.record).collect();
                    self.state.monitor.selected.retain(|id| listed.contains(id));
                    self.state.monitor.lists = Loadable::Ready(lists);
                }
                Err(error) => self.state.monitor.lists.fail(error),
            }
        }
        if let Some(job) = &self.jobs.monitor.why
            && let Some(outcome) = finished(job.poll(), "the background reader")
        {
            self.jobs.monitor.why = None;
            if let Some(why) = &mut self.state.monitor.why {
                match outcome {
                    Ok(explanation) => why.explanation = Loadable::Ready(explanation),
                    Err(error) => why.explanation.fail(error),
                }
            }
        }
        if let Some(job) = &self.jobs.monitor.assign
            && let Some(outcome) = finished(job.poll(), "the background reader")
        {
            self.jobs.monitor.assign = None;
            if let Some(assign) = &mut self.state.monitor.assign {
                match outcome {
                    Ok(explanation) => assign.explanation = Loadable::Ready(explanation),
                    Err(error) => assign.explanation.fail(error),
                }
            }
        }
        let Some((ty, job)) = &self.jobs.monitor.run else { return };
        let outcome = match job.poll() {
            Poll::Running(progress) => {
                self.state.monitor.running = Some(RunProgress {
                    title: job.title.clone(),
                    fraction: progress.fraction,
                    message: progress.message,
                });
                return;
            }
            Poll::Done(outcome) => outcome.map_err(|e| format!("Nothing was assigned: {e}")),
            Poll::Lost => Err("Run now stopped unexpectedly; nothing was assigned".to_owned()),
        };
        let ty = ty.clone();
        self.jobs.monitor.run = None;
        self.state.monitor.running = None;
        match outcome {
            Ok(run) if run.cancelled => self.notify(NoticeLevel::Info, "Run now cancelled; nothing was assigned"),
            Ok(run) => {
                let mut text = format!("Run now: {} assigned, {} still unassigned", run.assigned, run.unassigned);
                if run.without_rules > 0 {
                    text.push_str(&format!(", {} in segments without active rules", run.without_rules));
                }
                self.notify(NoticeLevel::Info, text);
                let saved: Vec<SavedRecord> = run
                    .owner_changes
                    .into_iter()
                    .map(|(before, after)| SavedRecord { before: Some(before), after })
                    .collect();
                self.owners_changed(&ty, saved);
                self.state.monitor.selected.clear();
            }
            Err(error) => self.notify(NoticeLevel::Error, error),
        }
        self.refresh_monitor();
    }
}

impl App {
    /// Reads the lists of the chosen record type in the background.
    pub(super) fn refresh_monitor(&mut self) {
        let effects = refresh(&mut self.state);
        self.run_effects(effects);
    }

    fn assign_by_hand(&mut self, ty: &RecordTypeName, record: RecordId, seller: SellerId, now: Timestamp) {
        let Some(workspace) = &mut self.workspace else { return };
        let before = workspace.record(ty, record);
        let result = workspace
            .assign_manually(ty, record, seller, now)
            .and_then(|()| Ok((before?, workspace.record(ty, record)?)));
        match result {
            Ok((before, after)) => {
                self.state.monitor.assign = None;
                self.jobs.monitor.assign = None;
                let name = self.state.view.as_ref().and_then(|v| v.seller(seller)).map(|s| s.name.clone());
                self.notify(
                    NoticeLevel::Info,
                    format!("Assigned #{record} to {}", name.unwrap_or_else(|| format!("seller {}", seller.0))),
                );
                if let (Some(before), Some(after)) = (before, after) {
                    self.owners_changed(ty, vec![SavedRecord { before: Some(before), after }]);
                }
                self.state.monitor.selected.remove(&record);
                self.refresh_monitor();
            }
            Err(error) => {
                if let Some(assign) = &mut self.state.monitor.assign {
                    assign.error = Some(format!("Not assigned: {error}"));
                }
            }
        }
    }

    /// Owners set by assignment go to the engine like saved records: its snapshot follows,
    /// records are evaluated again where a segment's conditions use the owner, and the
    /// member and unassigned counts come back with the answer.
    fn owners_changed(&mut self, record_type: &RecordTypeName, saved: Vec<SavedRecord>) {
        if saved.is_empty() {
            return;
        }
        if let Some(worker) = &self.engine_worker {
            let segments = self.state.view.as_ref().map(|v| v.segments_of(record_type).to_vec()).unwrap_or_default();
            let job = worker.records_saved(record_type.clone(), saved, segments, self.clock.now());
            self.jobs.saved.push((record_type.clone(), job));
        }
        self.forget_record_rows();
        if self.state.records.ids.latest().is_some() {
            self.refresh_records();
        }
        self.request_preview();
    }
}
