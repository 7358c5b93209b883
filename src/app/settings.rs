//! The workspace settings dialog and the evaluation of date-based segments as time passes.
//!
//! The dialog's commands are handled by the pure [`apply`] in `state::settings`; this file
//! reads and writes the settings. Every frame, its `Runner::poll` takes the finished
//! evaluation and starts the next when it is due: when a workspace opens (once its engine is
//! ready), at the start of each day in the workspace's time zone, every
//! `interval_minutes` while the window is open, and at once after the time zone changed.
//! The engine writes only the records whose answer changed (reason "time passed").

pub use crate::state::settings::*;

use super::App;
use super::features::Runner;
use super::lifecycle::finished;
use crate::domain::timing::WorkspaceSettings;
use crate::state::{Command, EngineStatus, NoticeLevel};
use crate::store::ApplyOutcome;
use crate::worker::engine::{TimeEvaluated, zone_impact};

impl Runner<SettingsEffect> for App {
    fn run(&mut self, effect: SettingsEffect) {
        match effect {
            SettingsEffect::ReadThenOpen => {
                if let Some(settings) = self.read_settings() {
                    self.state.settings.form = Some(SettingsForm::of(&settings));
                }
            }
            SettingsEffect::Write { settings, time_zone_changed } => self.write_settings(settings, time_zone_changed),
            SettingsEffect::ComputeZoneImpact { settings, now } => {
                let zone = match jiff::tz::TimeZone::get(&settings.time_zone) {
                    Ok(zone) => zone,
                    Err(error) => {
                        let error = format!("The time zone {} is unknown: {error}", settings.time_zone);
                        self.apply(Command::Settings(SettingsCommand::ZoneImpactReady(Err(error))));
                        return;
                    }
                };
                let Some(view) = &self.state.view else { return };
                let (segments, path) = (segments_by_type(view), view.path.clone());
                let job = crate::worker::jobs::Job::spawn(
                    "Computing what the new time zone changes",
                    self.waker(),
                    move |reporter| zone_impact(&path, &segments, now, &zone, reporter),
                );
                self.jobs.zone_impact = Some(job);
            }
        }
    }

    /// Takes the finished evaluation of date-based segments, and starts the next when due.
    fn poll(&mut self) {
        if let Some(job) = &self.jobs.zone_impact
            && let Some(outcome) = finished(job.poll(), "Computing what the new time zone changes")
        {
            self.jobs.zone_impact = None;
            self.apply(Command::Settings(SettingsCommand::ZoneImpactReady(outcome)));
        }
        if let Some(job) = &self.jobs.time
            && let Some(outcome) = finished(job.poll(), "Evaluating date-based segments")
        {
            self.jobs.time = None;
            self.time_evaluated(outcome);
        }
        self.notice_time_zone_changed_elsewhere();
        let now = self.clock.now();
        // A restarting engine would answer from the old snapshot (the old time zone).
        let ready = matches!(self.state.engine, EngineStatus::Ready { .. }) && !self.engine_restart_due();
        let Some(path) = self.state.view.as_ref().map(|v| v.path.clone()) else { return };
        if !ready || self.jobs.time.is_some() || !self.state.settings.evaluation.is_due(&path, now) {
            return;
        }
        if self.read_settings().is_none() {
            return;
        }
        let (Some(worker), Some(view)) = (&self.engine_worker, &self.state.view) else { return };
        let segments = segments_by_type(view);
        let zone_changed = self.state.settings.evaluation.zone_changed;
        self.jobs.time = Some(worker.time_passed(segments, now, zone_changed));
        self.state.settings.evaluation.started(path, now);
    }
}

impl App {
    fn write_settings(&mut self, settings: WorkspaceSettings, time_zone_changed: bool) {
        let (Some(workspace), Some(view)) = (&mut self.workspace, &mut self.state.view) else { return };
        if let Err(error) = workspace.set_settings(&settings) {
            if let Some(form) = &mut self.state.settings.form {
                form.error = Some(format!("The settings were not saved: {error}"));
            }
            return;
        }
        if let Ok(zone) = jiff::tz::TimeZone::get(&settings.time_zone) {
            view.time_zone = zone;
        }
        view.time_zone_name.clone_from(&settings.time_zone);
        if let Some(builder) = &mut self.state.builder {
            builder.set_nesting_limit(settings.nesting_limit, &view.schema);
        }
        self.state.settings.current = Some((view.path.clone(), settings));
        self.state.settings.form = None;
        if time_zone_changed {
            // The engine resolves relative dates in the zone it was loaded with.
            self.restart_engine_soon();
            self.state.settings.evaluation.zone_changed();
            self.notify(
                NoticeLevel::Info,
                "Settings saved; date-based segments are evaluated again in the new time zone",
            );
        } else {
            self.state.settings.evaluation.due_now();
            self.notify(NoticeLevel::Info, "Settings saved");
        }
    }

    /// The open workspace's settings, read once per workspace (a failure is said once, and
    /// the defaults with the workspace's time zone are used).
    pub(super) fn read_settings(&mut self) -> Option<WorkspaceSettings> {
        let (workspace, view) = (self.workspace.as_ref()?, self.state.view.as_ref()?);
        if let Some(settings) = self.state.settings.of(&view.path) {
            return Some(settings.clone());
        }
        let path = view.path.clone();
        let read = workspace.settings();
        let defaults = WorkspaceSettings {
            time_zone: workspace.time_zone().to_owned(),
            interval_minutes: crate::domain::timing::DEFAULT_INTERVAL_MINUTES,
            nesting_limit: crate::domain::DEFAULT_MAX_DEPTH,
        };
        let settings = match read {
            Ok(settings) => settings,
            Err(error) => {
                self.notify(NoticeLevel::Error, format!("Could not read the workspace settings: {error}"));
                defaults
            }
        };
        self.state.settings.current = Some((path, settings.clone()));
        Some(settings)
    }

    /// Another program set another time zone (the view was read again with it): the
    /// settings are read again and date-based segments evaluated once the engine restarted.
    fn notice_time_zone_changed_elsewhere(&mut self) {
        let Some(view) = &self.state.view else { return };
        let stale = self.state.settings.of(&view.path).is_some_and(|s| s.time_zone != view.time_zone_name);
        if stale {
            self.state.settings.current = None;
            self.state.settings.evaluation.zone_changed();
        }
    }

    /// The scheduled retry placed stranded records: their rows, the unassigned counts and
    /// the Monitor are read again.
    fn stranded_placed(&mut self, placed: u64) {
        self.forget_record_rows();
        self.reread_unassigned_counts();
        self.refresh_monitor();
        let noun = if placed == 1 { "record" } else { "records" };
        self.notify(NoticeLevel::Info, format!("{placed} unassigned {noun} placed with a seller by the scheduled run"));
    }

    fn time_evaluated(&mut self, outcome: Result<TimeEvaluated, String>) {
        let Some(settings) = self.read_settings() else { return };
        let Some(view) = &self.state.view else { return };
        let zone = view.time_zone.clone();
        // A failed evaluation counts from when it started.
        let started = self.state.settings.evaluation.next.unwrap_or_else(|| self.clock.now());
        let (at, changed) = match outcome {
            Ok(evaluated) => {
                let mut changed = 0;
                for (record_type, applied) in &evaluated.per_type {
                    if let ApplyOutcome::Applied(impact) = &applied.outcome {
                        changed += impact.join_count() + impact.move_count() + impact.leave_count();
                    }
                    self.set_member_counts(record_type, applied);
                }
                let placed: u64 = evaluated.placed.iter().map(|(_, n)| n).sum();
                if placed > 0 {
                    self.stranded_placed(placed);
                }
                if changed > 0 {
                    self.sync_detail_tab(true);
                    self.sync_sequences();
                    self.forget_record_rows();
                    self.request_preview();
                }
                (evaluated.now, Ok(changed))
            }
            Err(error) => (started, Err(error)),
        };
        self.state.settings.evaluation.finished(at, changed, settings.interval_minutes, &zone);
    }
}

/// Every record type's segments, as the evaluations of date-based segments take them.
fn segments_by_type(
    view: &crate::state::WorkspaceView,
) -> Vec<(crate::domain::RecordTypeName, Vec<crate::domain::Segment>)> {
    view.segments.iter().map(|(ty, segments)| (ty.clone(), segments.clone())).collect()
}
