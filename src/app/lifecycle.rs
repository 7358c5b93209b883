//! The segment lifecycle as the app carries it out: the impact dialog (activate, save an
//! active segment, reorder, re-evaluate) with its background impact and apply jobs,
//! deactivate, delete, options, and the Members and History tabs' background reads.

use std::path::PathBuf;

use crate::domain::{LifecyclePlan, PlanError, RecordTypeName, Segment, SegmentId, Status};
use crate::store::{ApplyOutcome, SegmentOptions};
use crate::worker::WorkerError;
use crate::worker::engine::Applied;
use crate::worker::export::{ExportOutcome, MembersExport, Overwrite, TargetError, check_target, export_members};
use crate::worker::jobs::{Job, Poll};
use crate::worker::records::Request;

use super::{App, Command, Dialog, JobStatus, Loadable, NoticeLevel};
use crate::state::HistoryState;
use crate::state::{DetailTab, ImpactDialog, LifecycleAction, MEMBER_PAGE};

/// What saving the builder's draft did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SaveOutcome {
    Saved,
    /// An active segment: the impact dialog asks before anything is stored.
    Asked,
    Failed,
}

impl App {
    /// Opens the impact dialog of `action` and asks the engine for its impact.
    pub(super) fn show_impact(&mut self, action: LifecycleAction, then: Option<Box<Command>>) {
        if self.jobs.apply.is_some() {
            // A shortcut behind the dialog of a running apply: one change at a time.
            self.notify(NoticeLevel::Error, "Another change is being applied; wait for it or cancel it first");
            return;
        }
        let Some(view) = &self.state.view else { return };
        let (record_type, segment) = match &action {
            LifecycleAction::Activate(id) | LifecycleAction::Reevaluate(id) => {
                let Some(segment) = view.segment(*id) else { return };
                (segment.record_type.clone(), *id)
            }
            LifecycleAction::Save(edited) => (edited.record_type.clone(), edited.id),
            LifecycleAction::Reorder { record_type, moved, .. } => (record_type.clone(), *moved),
        };
        let name = view.segment(segment).map(|s| s.name.clone()).unwrap_or_default();
        let title = match &action {
            LifecycleAction::Activate(_) => format!("Activate \"{name}\""),
            LifecycleAction::Save(_) => format!("Save the conditions of \"{name}\""),
            LifecycleAction::Reorder { .. } => format!("Change the priority of \"{name}\""),
            LifecycleAction::Reevaluate(_) => format!("Re-evaluate \"{name}\""),
        };
        let blocked = match (&action, &self.state.builder) {
            (LifecycleAction::Activate(id), Some(builder)) if builder.segment == *id && builder.has_problems() => {
                Some("Fix the problems in the conditions before activating this segment".to_owned())
            }
            (LifecycleAction::Activate(id), Some(builder)) if builder.segment == *id && builder.is_dirty() => {
                Some("The conditions have unsaved changes: save or discard them before activating".to_owned())
            }
            _ => None,
        };
        let mut impact = Loadable::default();
        self.jobs.impact = None;
        if blocked.is_none() {
            match self.plan(&action, &record_type) {
                Ok(plan) => match &self.engine_worker {
                    Some(worker) => self.jobs.impact = Some(worker.impact(plan)),
                    None => impact.fail("The engine is not running; reopen the workspace".to_owned()),
                },
                Err(error) => impact.fail(error.to_string()),
            }
        }
        self.state.dialog = Some(Dialog::Impact(Box::new(ImpactDialog {
            action,
            record_type,
            segment,
            title,
            blocked,
            impact,
            apply_to_existing: true,
            applying: false,
            then,
        })));
    }

    /// The plan of `action` over the segments of `record_type` as the app holds them.
    fn plan(&self, action: &LifecycleAction, record_type: &RecordTypeName) -> Result<LifecyclePlan, PlanError> {
        let segments = self.state.view.as_ref().map(|v| v.segments_of(record_type).to_vec()).unwrap_or_default();
        let ty = record_type.clone();
        let now = self.clock.now();
        match action {
            LifecycleAction::Activate(id) => LifecyclePlan::activate(ty, segments, *id, now),
            LifecycleAction::Save(edited) => LifecyclePlan::save(ty, segments, edited.clone(), now),
            LifecycleAction::Reorder { order, .. } => LifecyclePlan::reorder(ty, segments, order.clone(), now),
            LifecycleAction::Reevaluate(id) => LifecyclePlan::reevaluate(ty, segments, *id, now),
        }
    }

    /// Carries out the impact dialog's action: through the engine (one transaction with
    /// the memberships) or, "from now on", as a plain segment change.
    pub(super) fn apply_lifecycle(&mut self) {
        let Some(Dialog::Impact(dialog)) = &self.state.dialog else { return };
        if dialog.blocked.is_some() || dialog.applying {
            return;
        }
        let dialog = dialog.clone();
        if dialog.apply_to_existing || !dialog.action.offers_from_now_on() {
            let plan = match self.plan(&dialog.action, &dialog.record_type) {
                Ok(plan) => plan,
                Err(error) => {
                    self.lifecycle_failed(&dialog, error.to_string());
                    return;
                }
            };
            let Some(worker) = &self.engine_worker else { return };
            let job = worker.apply(plan);
            self.state.job = Some(JobStatus { title: job.title.clone(), fraction: None, message: String::new() });
            self.jobs.apply = Some(job);
            if let Some(Dialog::Impact(open)) = &mut self.state.dialog {
                open.applying = true;
            }
            return;
        }
        let now = self.clock.now();
        let Some(workspace) = &mut self.workspace else { return };
        let result = match &dialog.action {
            LifecycleAction::Activate(id) => workspace.set_segment_status(*id, Status::Active, now),
            LifecycleAction::Save(edited) => workspace.update_segment(edited),
            LifecycleAction::Reorder { record_type, order, .. } => workspace.reorder_segments(record_type, order),
            LifecycleAction::Reevaluate(_) => Ok(()),
        };
        match result {
            Ok(()) => self.lifecycle_done(*dialog, None),
            Err(error) => self.lifecycle_failed(&dialog, error.to_string()),
        }
    }

    /// After the action of `dialog` was stored (with what an apply did, if it ran).
    fn lifecycle_done(&mut self, dialog: ImpactDialog, applied: Option<Applied>) {
        self.state.dialog = None;
        self.reload_segments(&dialog.record_type);
        if let Some(applied) = &applied {
            self.set_member_counts(&dialog.record_type, applied);
        }
        let name = self.segment_name(dialog.segment);
        let what = match &dialog.action {
            LifecycleAction::Activate(_) => format!("\"{name}\" is active"),
            LifecycleAction::Save(edited) => {
                if let Some(builder) = &mut self.state.builder
                    && builder.segment == edited.id
                {
                    builder.saved();
                }
                format!("Saved the conditions of \"{name}\"")
            }
            LifecycleAction::Reorder { .. } => format!("Moved \"{name}\""),
            LifecycleAction::Reevaluate(_) => format!("Re-evaluated \"{name}\""),
        };
        let effect = match applied.map(|a| a.outcome) {
            Some(ApplyOutcome::Applied(impact)) if impact.is_empty() => "; no existing record changed".to_owned(),
            Some(ApplyOutcome::Applied(impact)) => format!(
                "; {} joined, {} left, {} moved",
                impact.join_count(),
                impact.leave_count(),
                impact.move_count()
            ),
            _ => String::new(),
        };
        self.notify(NoticeLevel::Info, format!("{what}{effect}"));
        self.request_preview();
        self.sync_detail_tab(true);
        if let Some(then) = dialog.then {
            self.apply(*then);
        }
    }

    fn lifecycle_failed(&mut self, dialog: &ImpactDialog, error: String) {
        self.state.dialog = None;
        let message = match &dialog.action {
            LifecycleAction::Reorder { .. } => format!("The new order was not saved: {error}"),
            LifecycleAction::Save(_) => {
                if let Some(builder) = &mut self.state.builder {
                    builder.save_error = Some(format!("Not saved: {error}"));
                }
                format!("The conditions were not saved: {error}")
            }
            LifecycleAction::Activate(_) => format!("The segment was not activated: {error}"),
            LifecycleAction::Reevaluate(_) => format!("Re-evaluating failed: {error}"),
        };
        self.notify(NoticeLevel::Error, message);
        self.reload_segments(&dialog.record_type);
        self.request_preview();
    }

    fn segment_name(&self, id: SegmentId) -> String {
        self.state.view.as_ref().and_then(|v| v.segment(id)).map(|s| s.name.clone()).unwrap_or_default()
    }

    /// Member counts of a record type's segments after an apply (absent means none).
    pub(super) fn set_member_counts(&mut self, record_type: &RecordTypeName, applied: &Applied) {
        self.sizes_due();
        let Some(view) = &mut self.state.view else { return };
        let ids: Vec<SegmentId> = view.segments_of(record_type).iter().map(|s| s.id).collect();
        for id in ids {
            view.member_counts.insert(id, applied.member_counts.get(&id).copied().unwrap_or(0));
            view.unassigned_counts.insert(id, applied.unassigned_counts.get(&id).copied().unwrap_or(0));
        }
    }

    /// Takes what the lifecycle jobs finished: impact, apply, saved records, reloads, export.
    pub(super) fn poll_lifecycle(&mut self) {
        if let Some(job) = &self.jobs.impact
            && let Some(outcome) = finished(job.poll(), "Computing the impact")
        {
            self.jobs.impact = None;
            if let Some(Dialog::Impact(dialog)) = &mut self.state.dialog {
                match outcome {
                    Ok(impact) => dialog.impact = Loadable::Ready(impact),
                    Err(error) => dialog.impact.fail(error),
                }
            }
        }
        if let Some(apply) = &self.jobs.apply {
            match apply.poll() {
                Poll::Running(progress) => {
                    self.state.job = Some(JobStatus {
                        title: apply.title.clone(),
                        fraction: progress.fraction,
                        message: progress.message,
                    });
                }
                done => {
                    self.jobs.apply = None;
                    self.state.job = None;
                    let outcome = match done {
                        Poll::Done(outcome) => outcome,
                        _ => {
                            Err(WorkerError::Stopped("the engine stopped unexpectedly; nothing was changed".to_owned()))
                        }
                    };
                    let Some(Dialog::Impact(dialog)) = self.state.dialog.clone() else { return };
                    match outcome {
                        Ok(applied) if applied.outcome == ApplyOutcome::Cancelled => {
                            self.state.dialog = None;
                            self.notify(NoticeLevel::Info, "Cancelled; nothing was changed");
                        }
                        Ok(applied) => self.lifecycle_done(*dialog, Some(applied)),
                        Err(error) => self.lifecycle_failed(&dialog, error.to_string()),
                    }
                }
            }
        }
        let mut finished_saves = Vec::new();
        self.jobs.saved.retain(|(record_type, job)| match finished(job.poll(), "Evaluating the saved record") {
            Some(outcome) => {
                finished_saves.push((record_type.clone(), outcome));
                false
            }
            None => true,
        });
        for (record_type, outcome) in finished_saves {
            match outcome {
                Ok(applied) => {
                    self.set_member_counts(&record_type, &applied);
                    self.sync_detail_tab(true);
                    self.sync_sequences();
                    // Assignment may have set owners: the Records rows are read again.
                    self.forget_record_rows();
                }
                Err(error) => self.notify(NoticeLevel::Error, format!("The saved record was not evaluated: {error}")),
            }
        }
        let mut failures = Vec::new();
        self.jobs.reload.retain(|job| match finished(job.poll(), "Reloading memberships") {
            Some(Err(error)) => {
                failures.push(error);
                false
            }
            Some(Ok(())) => false,
            None => true,
        });
        for error in failures {
            self.notify(NoticeLevel::Error, format!("Could not reload memberships: {error}"));
        }
        if let Some(job) = &self.jobs.export {
            match job.poll() {
                Poll::Running(progress) => {
                    if self.jobs.apply.is_none() {
                        self.state.job = Some(JobStatus {
                            title: job.title.clone(),
                            fraction: progress.fraction,
                            message: progress.message,
                        });
                    }
                }
                done => {
                    self.jobs.export = None;
                    self.state.job = None;
                    match done {
                        Poll::Done(Ok(ExportOutcome::Written { rows, file })) => {
                            if let Some(folder) = file.parent() {
                                self.state.export_folder = Some(folder.to_path_buf());
                            }
                            let text = format!("Exported {rows} rows to {}", file.display());
                            self.notify_about(NoticeLevel::Info, text, Some(&file));
                        }
                        Poll::Done(Ok(ExportOutcome::Cancelled)) => {
                            self.notify(NoticeLevel::Info, "Export cancelled; no file was written");
                        }
                        Poll::Done(Err(error)) => self.notify(NoticeLevel::Error, format!("Export failed: {error}")),
                        _ => self.notify(NoticeLevel::Error, "Export stopped unexpectedly; no file was written"),
                    }
                }
            }
        }
    }

    /// Deactivate: the segment keeps its members and adds none (recorded in its history).
    pub(super) fn deactivate_segment(&mut self, id: SegmentId) {
        let Some(record_type) = self.segment_type(id) else { return };
        let Some(workspace) = &mut self.workspace else { return };
        match workspace.set_segment_status(id, Status::Inactive, self.clock.now()) {
            Ok(()) => {
                let name = self.segment_name(id);
                self.notify(NoticeLevel::Info, format!("\"{name}\" is inactive; it keeps its members"));
            }
            Err(error) => self.notify(NoticeLevel::Error, format!("The segment was not deactivated: {error}")),
        }
        self.reload_segments(&record_type);
        self.request_preview();
        self.sync_detail_tab(true);
    }

    fn segment_type(&self, id: SegmentId) -> Option<RecordTypeName> {
        self.state.view.as_ref()?.segment(id).map(|s| s.record_type.clone())
    }

    /// Deletes a segment that is not active; its members leave it and the engine rereads
    /// the memberships of its type.
    pub(super) fn delete_segment(&mut self, id: SegmentId) {
        let Some(record_type) = self.segment_type(id) else { return };
        let name = self.segment_name(id);
        let Some(workspace) = &mut self.workspace else { return };
        match workspace.delete_segment(id, self.clock.now()) {
            Ok(()) => {
                if let Some(worker) = &self.engine_worker {
                    self.jobs.reload.push(worker.reload_memberships(record_type.clone()));
                }
                if let Some(view) = &mut self.state.view {
                    view.member_counts.remove(&id);
                    view.unassigned_counts.remove(&id);
                }
                self.reload_segments(&record_type);
                if self.state.selected_segment == Some(id) {
                    self.select_first_segment();
                }
                self.notify(NoticeLevel::Info, format!("Segment \"{name}\" deleted"));
            }
            Err(error) => {
                self.notify(NoticeLevel::Error, format!("\"{name}\" was not deleted: {error}"));
                self.reload_segments(&record_type);
            }
        }
        self.request_preview();
    }

    pub(super) fn set_segment_options(&mut self, id: SegmentId, options: SegmentOptions) {
        let Some(record_type) = self.segment_type(id) else { return };
        let Some(workspace) = &mut self.workspace else { return };
        if let Err(error) = workspace.set_segment_options(id, options, self.clock.now()) {
            self.notify(NoticeLevel::Error, format!("The options were not saved: {error}"));
        }
        self.reload_segments(&record_type);
        self.sync_detail_tab(true);
    }

    /// Saves the builder's draft: at once for a draft or inactive segment, through the
    /// impact dialog for an active one whose conditions changed.
    pub(super) fn save_conditions(&mut self, then: Option<Box<Command>>) -> SaveOutcome {
        let (Some(builder), Some(view)) = (&mut self.state.builder, &self.state.view) else {
            return SaveOutcome::Failed;
        };
        if builder.has_problems() {
            let problems = builder.problems_phrase();
            builder.save_error = Some(format!("Fix {problems} marked in the conditions before saving"));
            return SaveOutcome::Failed;
        }
        let Some(segment) = view.segment(builder.segment) else {
            builder.save_error = Some("This segment no longer exists".to_owned());
            return SaveOutcome::Failed;
        };
        let updated = Segment { conditions: builder.draft.clone(), modified_on: self.clock.now(), ..segment.clone() };
        // An active segment that uses this one ("matches the conditions of", also through
        // others) changes with it, whatever this one's status: its impact is shown first.
        let all: Vec<Segment> = view.segments.values().flatten().cloned().collect();
        let definitions = crate::domain::Definitions::of(&all);
        let used_by_active =
            all.iter().any(|s| s.status == Status::Active && definitions.named_from(s.id).contains(&segment.id));
        if (segment.status == Status::Active || used_by_active) && segment.conditions != updated.conditions {
            self.show_impact(LifecycleAction::Save(updated), then);
            return SaveOutcome::Asked;
        }
        let Some(workspace) = &mut self.workspace else { return SaveOutcome::Failed };
        if let Err(error) = workspace.update_segment(&updated) {
            builder.save_error = Some(format!("Not saved: {error}"));
            return SaveOutcome::Failed;
        }
        builder.saved();
        let name = updated.name.clone();
        self.reload_segments(&updated.record_type);
        self.notify(NoticeLevel::Info, format!("Saved the conditions of \"{name}\""));
        self.sync_detail_tab(true);
        SaveOutcome::Saved
    }

    /// Points the Members and History tabs at the selected segment, reading again when it
    /// changed (or `force`, after a change to it).
    pub(super) fn sync_detail_tab(&mut self, force: bool) {
        let selected = self.state.selected_segment;
        match self.state.detail_tab {
            DetailTab::Members if force || self.state.members.segment != selected => {
                self.generations.members += 1;
                self.pages.members_requested.clear();
                self.state.members = crate::state::MembersState { segment: selected, ..Default::default() };
                // The first page at once, not a frame later when the table asks: the tab
                // is busy (and shows so) from the moment it opens.
                self.fetch_members(vec![0]);
            }
            DetailTab::History if force || self.state.history.segment != selected => {
                let Some(segment) = selected else {
                    self.state.history = HistoryState::default();
                    return;
                };
                if self.state.history.segment != selected {
                    self.state.history.entries = Loadable::default();
                }
                self.state.history.segment = selected;
                self.state.history.entries.start_over();
                self.generations.history += 1;
                let request = Request::History { generation: self.generations.history, segment };
                if !self.records_worker.as_ref().is_some_and(|w| w.send(request)) {
                    self.state.history.entries.fail("The history reader is busy or stopped; try again".to_owned());
                }
            }
            _ => {}
        }
    }

    /// Asks the records worker for pages of the selected segment's members.
    pub(super) fn fetch_members(&mut self, offsets: Vec<u64>) {
        let Some(segment) = self.state.members.segment else { return };
        let Some(record_type) = self.segment_type(segment) else { return };
        let Some(worker) = &self.records_worker else { return };
        for offset in offsets {
            // Pages already loaded were left out by `state::segments::apply`.
            if self.pages.members_requested.contains(&offset) {
                continue;
            }
            let request = Request::Members {
                generation: self.generations.members,
                segment,
                record_type: record_type.clone(),
                offset,
                limit: MEMBER_PAGE,
            };
            if worker.send(request) {
                self.pages.members_requested.insert(offset);
                self.pages.members_pending.insert(offset);
            }
        }
    }

    pub(super) fn take_members(
        &mut self,
        generation: u64,
        offset: u64,
        result: Result<Vec<crate::state::MemberRow>, WorkerError>,
    ) {
        if generation != self.generations.members {
            return;
        }
        self.pages.members_pending.remove(&offset);
        match result {
            Ok(rows) => {
                for (index, row) in rows.into_iter().enumerate() {
                    self.state.members.rows.insert(offset + index as u64, row);
                }
            }
            Err(error) => self.state.members.error = Some(error.to_string()),
        }
    }

    pub(super) fn submit_export(&mut self) {
        if let Some(Dialog::ExportRecords { .. }) = &self.state.dialog {
            self.submit_export_records();
            return;
        }
        let Some(Dialog::ExportMembers { segment, text, error, replace }) = &mut self.state.dialog else { return };
        let Some(view) = &self.state.view else { return };
        let Some((target, overwrite)) = export_target(text, error, replace, &view.path, self.jobs.export.is_some())
        else {
            return;
        };
        let segment = *segment;
        let Some(record_type) = view.segment(segment).map(|s| s.record_type.clone()) else { return };
        let export = MembersExport {
            workspace: view.path.clone(),
            segment,
            record_type,
            expected: view.member_counts.get(&segment).copied().unwrap_or(0),
            target,
            overwrite,
            time_zone: view.time_zone.clone(),
        };
        self.state.dialog = None;
        let job = Job::spawn("Exporting members", self.waker(), move |reporter| export_members(&export, reporter));
        self.state.job = Some(JobStatus { title: job.title.clone(), fraction: None, message: String::new() });
        self.jobs.export = Some(job);
    }
}

/// The file an export dialog may write and whether it replaces one, or `None` after
/// saying in the dialog what is wrong with it (`error`) or asking whether to replace the
/// ordinary file that is there (`replace`; submitting again with the same path says yes).
/// The workspace, its side files and SQLite databases are refused, replace or not.
fn export_target(
    text: &str,
    error: &mut Option<String>,
    replace: &mut Option<PathBuf>,
    workspace: &std::path::Path,
    busy: bool,
) -> Option<(PathBuf, Overwrite)> {
    let target = PathBuf::from(text.trim());
    let overwrite = if replace.as_ref() == Some(&target) { Overwrite::Replace } else { Overwrite::Refuse };
    *replace = None;
    if text.trim().is_empty() {
        *error = Some("Type the path of the CSV file".to_owned());
        return None;
    }
    if busy {
        *error = Some("Another export is still running".to_owned());
        return None;
    }
    match check_target(&target, workspace, overwrite) {
        Ok(_) => Some((target, overwrite)),
        Err(TargetError::Exists(path)) => {
            *replace = Some(path);
            None
        }
        Err(problem) => {
            *error = Some(problem.to_string());
            None
        }
    }
}

impl App {
    /// Writes the Records table as filtered (its ids, in its order) in the background.
    fn submit_export_records(&mut self) {
        let Some(Dialog::ExportRecords { record_type, text, error, replace }) = &mut self.state.dialog else { return };
        let Some(view) = &self.state.view else { return };
        let Some((target, overwrite)) = export_target(text, error, replace, &view.path, self.jobs.export.is_some())
        else {
            return;
        };
        let Some(def) = view.record_type(record_type).cloned() else { return };
        let Some(ids) = self.state.records.ids.latest().cloned() else {
            *error = Some("The table is still loading; try again in a moment".to_owned());
            return;
        };
        let export = crate::worker::export::RecordsExport {
            workspace: view.path.clone(),
            def,
            ids,
            target,
            overwrite,
            time_zone: view.time_zone.clone(),
        };
        self.state.dialog = None;
        let job = Job::spawn("Exporting records", self.waker(), move |reporter| {
            crate::worker::export::export_records(&export, reporter)
        });
        self.state.job = Some(JobStatus { title: job.title.clone(), fraction: None, message: String::new() });
        self.jobs.export = Some(job);
    }
}

/// The answer of a finished job; a lost one (its worker stopped) as an error.
/// Whatever the job's error type, the answer carries it as the text shown once.
pub(super) fn finished<T, E: std::fmt::Display>(poll: Poll<Result<T, E>>, what: &str) -> Option<Result<T, String>> {
    match poll {
        Poll::Running(_) => None,
        Poll::Done(outcome) => Some(outcome.map_err(|e| e.to_string())),
        Poll::Lost => Some(Err(format!("{what} stopped unexpectedly"))),
    }
}
