//! Other writers: `segment-builder apply` or `import-records`, a second window, `sqlite3`
//! or pandas changing the workspace while the window shows it.
//!
//! Every frame (at least once a second while a workspace is open) the UI connection asks
//! the store what other programs changed (`Workspace::other_changes`: one `PRAGMA
//! data_version` unless something did). Records changed by another program are read again
//! by the engine and evaluated like saved records; anything else (segments, sellers, the
//! schema, an import or apply by another Segment Builder) reloads everything the window
//! holds. Drafts (the builder, the record editor) are kept; saving one whose stored version
//! changed meanwhile is refused once, with a message to look again. One line in the status
//! bar says what was updated.

use std::time::Duration;

use crate::domain::{RecordId, RecordTypeName, SegmentId};
use crate::store::{OtherChanges, STALE_MESSAGE, Workspace};
use crate::worker::engine::EngineWorker;
use crate::worker::records::RecordsWorker;

use super::{App, Command, EngineStatus, NoticeLevel, load_view};
use crate::state::WorkspaceView;
use crate::state::{ConditionsCommand, RecordsState};

/// How often the window looks for other writers while a workspace is open.
pub(super) const WATCH_INTERVAL: Duration = Duration::from_secs(1);
/// How long a write from the window waits for another program's lock before it is refused
/// as busy: the window must not freeze behind a long import.
const UI_BUSY_TIMEOUT: Duration = Duration::from_millis(250);
/// Rows of the change log kept when the window opens a workspace.
const CHANGE_LOG_KEEP: u64 = 100_000;

/// What the window remembers about other writers between frames.
#[derive(Debug, Default)]
pub(super) struct WatchState {
    /// Everything must be read again, and the engine restarted once its jobs are done.
    engine_restart_due: bool,
    /// The builder's segment was changed by another program while its draft had unsaved
    /// edits: the next save is refused once.
    stale_draft: Option<SegmentId>,
    /// The record in the editor was changed by another program: the next save is refused
    /// once.
    stale_record: Option<(RecordTypeName, RecordId)>,
}

/// Sets the window's connection up to watch (in the opening job, before the view is read).
pub(super) fn start_watching(workspace: &mut Workspace) -> Result<(), crate::store::StoreError> {
    // Trimming is housekeeping: a busy or read-only file keeps its log as it is.
    workspace.trim_change_log(CHANGE_LOG_KEEP).ok();
    workspace.watch_other_writers(UI_BUSY_TIMEOUT)
}

impl App {
    /// Takes what other programs changed since the last look and reloads it.
    pub(super) fn watch_other_writers(&mut self) {
        let Some(workspace) = &mut self.workspace else { return };
        match workspace.other_changes() {
            Ok(Some(changes)) => self.take_other_changes(changes),
            Ok(None) => {}
            Err(error) => {
                self.state.watch_line = Some(format!("Could not look for changes by other programs: {error}"));
            }
        }
        self.restart_engine_when_idle();
    }

    /// Refuses, once, to save a draft whose stored version another program changed since
    /// the draft began; true when `command` was refused.
    pub(super) fn refuse_stale_save(&mut self, command: &Command) -> bool {
        let message = stale_message();
        match command {
            Command::Conditions(ConditionsCommand::Save | ConditionsCommand::SaveThenContinue) => {
                let Some(builder) = &mut self.state.builder else { return false };
                if self.watch.stale_draft.take() != Some(builder.segment) {
                    return false;
                }
                builder.save_error = Some(message);
                if let Some(super::Dialog::UnsavedChanges { .. }) = self.state.dialog {
                    self.state.dialog = None;
                }
                true
            }
            Command::Records(crate::state::RecordsCommand::Save) => {
                let Some(editor) = &mut self.state.records.editor else { return false };
                let Some(id) = editor.id else { return false };
                if self.watch.stale_record.take() != Some((editor.record_type.clone(), id)) {
                    return false;
                }
                editor.save_error = Some(message);
                true
            }
            _ => false,
        }
    }

    fn take_other_changes(&mut self, changes: OtherChanges) {
        let Some(workspace) = &mut self.workspace else { return };
        let reloaded = if changes.reload_all { workspace.reload_schema() } else { Ok(()) };
        let view = match reloaded.and_then(|()| load_view(workspace)) {
            Ok(view) => view,
            Err(error) => {
                self.notify(
                    NoticeLevel::Error,
                    format!("Another program changed the workspace; reading it failed: {error}"),
                );
                return;
            }
        };
        self.replace_view(view);
        self.sizes_due();
        let line = if changes.reload_all {
            self.reload_everything();
            "Updated: the workspace was changed by another program and has been reloaded".to_owned()
        } else {
            self.reload_records(&changes);
            format!("Updated: {} changed by another program", self.describe_records(&changes))
        };
        self.refresh_records();
        self.request_preview();
        self.sync_detail_tab(true);
        self.sync_sequences();
        self.refresh_other_screens();
        self.state.watch_line = Some(line);
    }

    /// The screens that keep their own copy of what they show read it again: the sellers'
    /// attributes, teams and forms, the segment's assignment rules, the Monitor's lists
    /// (each only when it was loaded).
    fn refresh_other_screens(&mut self) {
        if self.state.sellers.loaded_for.is_some() {
            self.load_people();
        }
        self.reload_rules();
        if self.state.monitor.record_type.is_some() {
            self.refresh_monitor();
        }
    }

    /// Puts a view read again in place, keeping what the user was looking at where it still
    /// exists, and the builder's draft.
    fn replace_view(&mut self, view: WorkspaceView) {
        let old = self.state.view.replace(view);
        let Some(view) = &self.state.view else { return };
        if self.state.record_type.as_ref().is_some_and(|ty| view.schema.get(ty).is_none()) {
            self.state.record_type = view.schema.types.first().map(|t| t.name.clone());
            self.state.records = RecordsState::default();
            self.pages.rows_requested.clear();
        }
        if self.state.selected_segment.is_some_and(|id| view.segment(id).is_none()) {
            self.select_first_segment();
        }
        let Some(builder) = &self.state.builder else { return };
        let stored =
            |v: Option<&WorkspaceView>| v.and_then(|v| v.segment(builder.segment)).map(|s| s.conditions.clone());
        if stored(old.as_ref()) != stored(self.state.view.as_ref()) {
            if builder.is_dirty() {
                self.watch.stale_draft = Some(builder.segment);
            } else {
                // Nothing of the user's to keep: the builder starts again from what is stored.
                self.state.builder = None;
            }
        }
    }

    /// After a change the log does not describe record by record: the records reader and
    /// the engine start again from the workspace (the engine once its running jobs end).
    fn reload_everything(&mut self) {
        if let Some(path) = self.state.view.as_ref().map(|v| v.path.clone()) {
            self.records_worker = Some(RecordsWorker::start(path, self.waker()));
        }
        self.forget_record_rows();
        if let Some(editor) = &self.state.records.editor
            && let Some(id) = editor.id
        {
            self.watch.stale_record = Some((editor.record_type.clone(), id));
        }
        self.watch.engine_restart_due = true;
    }

    /// Records changed by another program: the engine reads and evaluates them, the
    /// Records screen reads them again.
    fn reload_records(&mut self, changes: &OtherChanges) {
        let now = self.clock.now();
        for (record_type, ids) in &changes.records {
            for id in ids {
                self.state.records.rows.remove(id);
                self.pages.rows_requested.remove(id);
            }
            if let Some(editor) = &self.state.records.editor
                && let Some(id) = editor.id
                && editor.record_type == *record_type
                && ids.contains(&id)
            {
                self.watch.stale_record = Some((record_type.clone(), id));
            }
            let (Some(worker), Some(view)) = (&self.engine_worker, &self.state.view) else { continue };
            let segments = view.segments_of(record_type).to_vec();
            let job = worker.changed_elsewhere(record_type.clone(), ids.iter().copied().collect(), segments, now);
            self.jobs.saved.push((record_type.clone(), job));
        }
    }

    /// "1,204 leads", "1 lead and 3 accounts".
    fn describe_records(&self, changes: &OtherChanges) -> String {
        let parts: Vec<String> = changes
            .records
            .iter()
            .map(|(ty, ids)| {
                let def = self.state.view.as_ref().and_then(|v| v.record_type(ty));
                let noun = match def {
                    Some(def) if ids.len() == 1 => def.label.to_lowercase(),
                    Some(def) => def.plural_label.to_lowercase(),
                    None => ty.to_string(),
                };
                format!("{} {noun}", crate::ui::theme::thousands(ids.len() as u64))
            })
            .collect();
        match parts.as_slice() {
            [] => "records".to_owned(),
            [one] => one.clone(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        }
    }

    /// Whether the engine is to start again: until it has, it answers from the old snapshot.
    pub(super) fn engine_restart_due(&self) -> bool {
        self.watch.engine_restart_due
    }

    /// Has the engine start again from the workspace once its jobs are done.
    pub(super) fn restart_engine_soon(&mut self) {
        self.watch.engine_restart_due = true;
    }

    /// Starts the engine again from the workspace when a reload is due and none of its
    /// jobs is running (their answers would be lost, or stale under the new snapshot).
    fn restart_engine_when_idle(&mut self) {
        if !self.watch.engine_restart_due || self.jobs.engine_busy() {
            return;
        }
        self.watch.engine_restart_due = false;
        let Some(path) = self.state.view.as_ref().map(|v| v.path.clone()) else { return };
        self.engine_worker = Some(EngineWorker::start(path, self.waker()));
        self.state.engine = EngineStatus::Loading { fraction: None, message: "Loading records".into() };
    }
}

/// [`STALE_MESSAGE`] as a sentence on its own.
fn stale_message() -> String {
    let mut chars = STALE_MESSAGE.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
