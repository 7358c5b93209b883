//! App state, commands and the one place that applies them.
//!
//! `App` owns the open [`Workspace`] (the UI thread's connection, used for small writes),
//! the background workers and the [`AppState`] panels draw from. A frame is: take what
//! workers finished, draw from `&AppState` collecting [`Command`]s, apply them.

mod access;
pub mod definitions;
mod import;
mod lifecycle;
pub mod monitor;
pub mod rules;
pub mod sellers;
pub mod sequences;
mod watch;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::tz::TimeZone;

pub use crate::state::builder;
pub use crate::state::{
    AppState, Command, DetailTab, Dialog, EngineStatus, JobStatus, Loadable, Notice, NoticeLevel, PathPurpose, Screen,
};
use crate::state::{FieldForm, RecordEditor, RecordTypeForm, SegmentForm, WorkspaceView};

use crate::clock::{Clock, SystemClock};
use crate::domain::format::{format_value, parse_value};
use crate::domain::{
    FieldKind, Group, NodeId, Record, RecordId, RecordTypeDef, RecordTypeName, Segment, SegmentId, Status, Value,
};
use crate::engine::priority::SortKey;
use crate::store::{SortDirection, StoreError, Workspace};
use crate::worker::engine::{Applied, EngineRequest, EngineResponse, EngineWorker, SavedRecord};
use crate::worker::export::ExportOutcome;
use crate::worker::jobs::{Job, Poll, Reporter};
use crate::worker::records::{RecordsWorker, Request, Response};
use crate::worker::{NoWaker, Waker};

/// How many fetched rows the Records screen keeps before it starts over.
const ROW_CACHE_LIMIT: usize = 20_000;
/// How many of a segment's matching records the preview lists, in the chosen order.
const PREVIEW_ROWS: usize = 200;
/// How many record edits Undo remembers.
const UNDO_LIMIT: usize = 100;
/// How many recent workspaces the File menu lists.
const RECENT_LIMIT: usize = 8;

/// What to do on the first frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Startup {
    /// Open the demo workspace at this path, generating it first if it does not exist.
    Demo(PathBuf),
    /// Open this workspace; offer to create it when there is no file.
    Open(PathBuf),
    Nothing,
}

/// A workspace opened in the background, with what the screens need from it.
pub struct Opened {
    pub workspace: Workspace,
    pub view: WorkspaceView,
    /// The warning for a workspace on a network share (see `access`).
    pub share_warning: Option<String>,
}

type OpenJob = Job<Result<Opened, String>>;

pub struct App {
    state: AppState,
    workspace: Option<Workspace>,
    startup: Option<Startup>,
    waker: Option<Arc<dyn Waker>>,
    open_job: Option<OpenJob>,
    records_worker: Option<RecordsWorker>,
    records_generation: u64,
    engine_worker: Option<EngineWorker>,
    preview_generation: u64,
    search_generation: u64,
    /// Record edits that Undo takes back, newest last.
    undo: Vec<UndoStep>,
    rows_requested: HashSet<RecordId>,
    next_notice_id: u64,
    quit_requested: bool,
    /// The impact the open impact dialog waits for.
    impact_job: Option<Job<Result<crate::state::ImpactOutcome, String>>>,
    /// The lifecycle change being applied to existing records.
    apply_job: Option<Job<Result<Applied, String>>>,
    /// Saved records being evaluated against the active segments, per record type.
    saved_jobs: Vec<(RecordTypeName, Job<Result<Applied, String>>)>,
    /// The engine rereading memberships after a segment was deleted.
    reload_jobs: Vec<Job<Result<(), String>>>,
    export_job: Option<Job<Result<ExportOutcome, String>>>,
    import_job: Option<import::ImportJob>,
    monitor_jobs: monitor::MonitorJobs,
    members_generation: u64,
    /// Member pages asked for in this generation, and those not answered yet.
    members_requested: HashSet<u64>,
    members_pending: HashSet<u64>,
    history_generation: u64,
    /// Changes by other programs: what is due and which drafts they made stale.
    watch: watch::WatchState,
    /// Every "now" of command handling (tests fix it with [`FixedClock`](crate::clock::FixedClock)).
    clock: Arc<dyn Clock>,
}

impl App {
    pub fn new(startup: Startup, recent: Vec<PathBuf>) -> Self {
        Self::with_clock(startup, recent, Arc::new(SystemClock))
    }

    /// An app whose commands take the time from `clock`.
    pub fn with_clock(startup: Startup, recent: Vec<PathBuf>, clock: Arc<dyn Clock>) -> Self {
        Self {
            state: AppState { recent, ..AppState::default() },
            workspace: None,
            startup: Some(startup),
            waker: None,
            open_job: None,
            records_worker: None,
            records_generation: 0,
            engine_worker: None,
            preview_generation: 0,
            search_generation: 0,
            undo: Vec::new(),
            rows_requested: HashSet::new(),
            next_notice_id: 0,
            quit_requested: false,
            impact_job: None,
            apply_job: None,
            saved_jobs: Vec::new(),
            reload_jobs: Vec::new(),
            export_job: None,
            import_job: None,
            monitor_jobs: monitor::MonitorJobs::default(),
            members_generation: 0,
            members_requested: HashSet::new(),
            members_pending: HashSet::new(),
            history_generation: 0,
            watch: watch::WatchState::default(),
            clock,
        }
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The open workspace, for tests that check what was stored.
    pub fn workspace(&self) -> Option<&Workspace> {
        self.workspace.as_ref()
    }

    /// True while a workspace is being opened or generated.
    pub fn is_busy(&self) -> bool {
        self.open_job.is_some()
            || self.state.records.ids.is_pending() && self.records_worker.is_some()
            || matches!(self.state.engine, EngineStatus::Loading { .. })
            || self.state.preview.segment.is_some() && self.state.preview.result.is_pending()
            || self.impact_job.is_some()
            || self.apply_job.is_some()
            || !self.saved_jobs.is_empty()
            || !self.reload_jobs.is_empty()
            || self.export_job.is_some()
            || self.import_job.is_some()
            || self.monitor_jobs.is_busy()
            || !self.members_pending.is_empty()
            || self.state.history.segment.is_some() && self.state.history.entries.is_pending()
    }

    pub fn quit_requested(&self) -> bool {
        self.quit_requested
    }

    /// One frame: collect finished background work, draw, apply what the user asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        if self.waker.is_none() {
            self.waker = Some(Arc::new(ui.ctx().clone()));
        }
        if let Some(startup) = self.startup.take() {
            self.start(startup);
        }
        self.poll_background();
        if self.workspace.is_some() {
            self.watch_other_writers();
            ui.ctx().request_repaint_after(watch::WATCH_INTERVAL);
        }
        self.sync_builder();
        let closing = ui.ctx().input(|i| i.viewport().close_requested());
        if closing && !self.quit_requested && self.state.builder.as_ref().is_some_and(|b| b.is_dirty()) {
            // Ask first; the dialog's Save or Discard quits afterwards.
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.apply(Command::Quit);
        }
        let mut commands = Vec::new();
        crate::ui::root_ui(ui, &self.state, &mut commands);
        for command in commands {
            self.apply(command);
        }
        if self.quit_requested {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    fn waker(&self) -> Arc<dyn Waker> {
        self.waker.clone().unwrap_or_else(|| Arc::new(NoWaker))
    }

    fn start(&mut self, startup: Startup) {
        match startup {
            Startup::Demo(path) if !path.exists() => self.spawn_open(path, OpenMode::CreateDemo),
            Startup::Demo(path) => self.spawn_open(path, OpenMode::Open),
            Startup::Open(path) if !path.exists() => self.state.dialog = Some(Dialog::ConfirmCreate { path }),
            Startup::Open(path) => self.spawn_open(path, OpenMode::Open),
            Startup::Nothing => {}
        }
    }

    /// Applies one command. Errors become notices or inline messages, never panics.
    pub fn apply(&mut self, command: Command) {
        if self.would_drop_unsaved_edits(&command) {
            let segment_name = self.state.selected_segment().map(|s| s.name.clone()).unwrap_or_default();
            self.state.dialog = Some(Dialog::UnsavedChanges { segment_name, then: Box::new(command) });
            return;
        }
        if self.refuse_stale_save(&command) {
            return;
        }
        self.apply_now(command);
        self.sync_builder();
        self.sync_detail_tab(false);
    }

    fn apply_now(&mut self, command: Command) {
        match command {
            Command::Sequences(command) => self.apply_sequences(command),
            Command::Sellers(command) => self.apply_sellers(command),
            Command::Definitions(command) => self.apply_definitions(command),
            Command::Rules(command) => self.apply_rules(command),
            Command::Monitor(command) => self.apply_monitor(command),
            command @ (Command::ShowImportRecords
            | Command::BrowseImportFile
            | Command::ReadImportFile
            | Command::SubmitImport
            | Command::CancelImport) => self.apply_import(command),
            command @ (Command::ShowPathDialog { .. }
            | Command::SetDialogText { .. }
            | Command::BrowseForPath
            | Command::SubmitPathDialog
            | Command::CloseDialog
            | Command::OpenWorkspace { .. }
            | Command::CreateWorkspace { .. }
            | Command::CancelJob
            | Command::UpdateDialog { .. }
            | Command::DismissNotice { .. }
            | Command::Quit) => self.apply_window(command),
            command @ (Command::ShowScreen { .. }
            | Command::SelectRecordType { .. }
            | Command::SelectSegment { .. }
            | Command::ShowDetailTab { .. }
            | Command::SetSegmentSearch { .. }
            | Command::MoveSegment { .. }
            | Command::ShowNewSegment
            | Command::ShowCopySegment { .. }
            | Command::SubmitSegmentForm
            | Command::ShowActivate { .. }
            | Command::ShowReevaluate { .. }
            | Command::DeactivateSegment { .. }
            | Command::ChooseApplyToExisting { .. }
            | Command::ApplyLifecycle
            | Command::AskDeleteSegment { .. }
            | Command::DeleteSegment { .. }
            | Command::SetSegmentOptions { .. }
            | Command::FetchMembers { .. }
            | Command::ShowExportMembers { .. }
            | Command::SubmitExport
            | Command::ShowExportRecords) => self.apply_segments(command),
            command @ (Command::EditConditions { .. }
            | Command::SortPreviewBy { .. }
            | Command::TogglePreviewColumn { .. }
            | Command::OpenPreviewRecord { .. }
            | Command::SearchRecords { .. }
            | Command::UndoConditions
            | Command::RedoConditions
            | Command::SaveConditions
            | Command::DiscardConditions
            | Command::SaveThenContinue
            | Command::DiscardThenContinue) => self.apply_conditions(command),
            command @ (Command::SetRecordFilter { .. }
            | Command::SortRecordsBy { .. }
            | Command::FetchRows { .. }
            | Command::SelectRecord { .. }
            | Command::StartAddRecord
            | Command::StartEditRecord { .. }
            | Command::SetEditorInput { .. }
            | Command::SaveRecord
            | Command::CancelEdit
            | Command::AskDeleteRecord { .. }
            | Command::DeleteRecord { .. }
            | Command::Undo
            | Command::ShowAddField
            | Command::ShowAddRecordType
            | Command::SubmitAddField
            | Command::SubmitAddRecordType) => self.apply_records(command),
        }
    }

    /// Opening workspaces, the path and other dialogs, notices, jobs and quitting.
    fn apply_window(&mut self, command: Command) {
        match command {
            Command::ShowPathDialog(purpose) => {
                let text = match purpose {
                    PathPurpose::Open => String::new(),
                    PathPurpose::Create => default_new_workspace_path().display().to_string(),
                };
                self.state.dialog = Some(Dialog::WorkspacePath { purpose, text, error: None });
            }
            Command::SetDialogText(new_text) => {
                if let Some(
                    Dialog::WorkspacePath { text, error, .. }
                    | Dialog::ExportMembers { text, error, .. }
                    | Dialog::ExportRecords { text, error, .. },
                ) = &mut self.state.dialog
                {
                    *text = new_text;
                    *error = None;
                }
            }
            Command::BrowseForPath => self.browse_for_path(),
            Command::SubmitPathDialog => self.submit_path_dialog(),
            Command::CloseDialog
                // An apply runs to its end or its cancel; the dialog shows its progress.
                if !matches!(&self.state.dialog, Some(Dialog::Impact(d)) if d.applying) => {
                    self.state.dialog = None;
                    if let Some(job) = self.impact_job.take() {
                        job.cancel();
                    }
                }
            Command::OpenWorkspace(path) => {
                self.state.dialog = None;
                self.spawn_open(path, OpenMode::Open);
            }
            Command::CreateWorkspace(path) => {
                self.state.dialog = None;
                self.spawn_open(path, OpenMode::Create);
            }
            Command::CancelJob => {
                if let Some(job) = &self.open_job {
                    job.cancel();
                }
                if let Some(apply) = &self.apply_job {
                    apply.cancel();
                }
                if let Some(job) = &self.export_job {
                    job.cancel();
                }
            }
            Command::UpdateDialog(dialog)
                if self.state.dialog.is_some() => {
                    self.state.dialog = Some(dialog);
                }
            Command::DismissNotice(id) => self.state.notices.retain(|n| n.id != id),
            Command::Quit => self.quit_requested = true,
            // Routed to the other handlers by `apply_now`.
            _ => {}
        }
    }

    /// Screens, the segment list and a segment's lifecycle, tabs and exports.
    fn apply_segments(&mut self, command: Command) {
        match command {
            Command::ShowScreen(screen) => {
                self.state.screen = screen;
                if screen == Screen::Records && self.state.records.ids.latest().is_none() {
                    self.refresh_records();
                }
                self.sync_sequences();
                if screen == Screen::Monitor {
                    self.apply_monitor(monitor::MonitorCommand::Refresh);
                }
            }
            Command::SelectRecordType(name) => self.select_record_type(name),
            Command::SelectSegment(id) => {
                self.state.selected_segment = Some(id);
                self.request_preview();
            }
            Command::ShowDetailTab(tab) => {
                self.state.detail_tab = tab;
                self.sync_detail_tab(true);
            }
            Command::SetSegmentSearch(text) => self.state.segment_search = text,
            Command::MoveSegment { id, to_index } => self.move_segment(id, to_index),
            Command::ShowNewSegment => {
                if let Some(record_type) = self.state.record_type.clone() {
                    self.state.dialog = Some(Dialog::SegmentForm(SegmentForm {
                        copy_of: None,
                        record_type,
                        name: String::new(),
                        description: String::new(),
                        error: None,
                    }));
                }
            }
            Command::ShowCopySegment(id) => {
                if let Some(source) = self.state.view.as_ref().and_then(|v| v.segment(id)) {
                    self.state.dialog = Some(Dialog::SegmentForm(SegmentForm {
                        copy_of: Some(id),
                        record_type: source.record_type.clone(),
                        name: format!("Copy of {}", source.name),
                        description: source.description.clone(),
                        error: None,
                    }));
                }
            }
            Command::SubmitSegmentForm => self.submit_segment_form(),
            Command::ShowActivate(id) => self.show_impact(crate::state::LifecycleAction::Activate(id), None),
            Command::ShowReevaluate(id) => self.show_impact(crate::state::LifecycleAction::Reevaluate(id), None),
            Command::DeactivateSegment(id) => self.deactivate_segment(id),
            Command::ChooseApplyToExisting(choice) => self.choose_apply_to_existing(choice),
            Command::ApplyLifecycle => self.apply_lifecycle(),
            Command::AskDeleteSegment(id) => self.ask_delete_segment(id),
            Command::DeleteSegment(id) => self.delete_segment(id),
            Command::SetSegmentOptions { id, accept_from_other_segments, rerun_assignment_on_move } => self
                .set_segment_options(
                    id,
                    crate::store::SegmentOptions { accept_from_other_segments, rerun_assignment_on_move },
                ),
            Command::FetchMembers(offsets) => self.fetch_members(offsets),
            Command::ShowExportMembers(id) => self.show_export_members(id),
            Command::SubmitExport => self.submit_export(),
            Command::ShowExportRecords => self.show_export_records(),
            // Routed to the other handlers by `apply_now`.
            _ => {}
        }
    }

    /// The condition builder of the selected segment and its preview.
    fn apply_conditions(&mut self, command: Command) {
        match command {
            Command::EditConditions(edit) => self.edit_conditions(edit),
            Command::SortPreviewBy(field) => {
                let preview = &mut self.state.preview;
                preview.sort = match preview.sort.take() {
                    Some((current, descending)) if current == field => Some((field, !descending)),
                    _ => Some((field, false)),
                };
                self.request_preview();
            }
            Command::TogglePreviewColumn(field) => {
                if let Some(def) = self.state.current_type().cloned() {
                    let mut columns = self.state.preview.columns_for(&def);
                    if let Some(at) = columns.iter().position(|c| *c == field) {
                        columns.remove(at);
                    } else {
                        columns.push(field);
                        // Keep the schema's order.
                        columns.sort_by_key(|c| def.field_index(c));
                    }
                    self.state.preview.columns.insert(def.name.clone(), columns);
                }
            }
            Command::OpenPreviewRecord(id) => self.open_preview_record(id),
            Command::SearchRecords { node, record_type, text } => self.search_records(node, record_type, text),
            Command::UndoConditions => {
                if let (Some(builder), Some(view)) = (&mut self.state.builder, &self.state.view)
                    && builder.undo(&view.schema)
                {
                    self.request_preview();
                }
            }
            Command::RedoConditions => {
                if let (Some(builder), Some(view)) = (&mut self.state.builder, &self.state.view)
                    && builder.redo(&view.schema)
                {
                    self.request_preview();
                }
            }
            Command::SaveConditions => {
                self.save_conditions(None);
            }
            Command::DiscardConditions => {
                if let (Some(builder), Some(view)) = (&mut self.state.builder, &self.state.view) {
                    builder.discard(&view.schema);
                    self.request_preview();
                }
            }
            Command::SaveThenContinue => {
                let Some(Dialog::UnsavedChanges { segment_name, then }) = self.state.dialog.take() else { return };
                match self.save_conditions(Some(then.clone())) {
                    lifecycle::SaveOutcome::Saved => self.apply(*then),
                    // The impact dialog carries `then` out after the change is stored.
                    lifecycle::SaveOutcome::Asked => {}
                    // The dialog stays, showing why the save failed.
                    lifecycle::SaveOutcome::Failed => {
                        self.state.dialog = Some(Dialog::UnsavedChanges { segment_name, then })
                    }
                }
            }
            Command::DiscardThenContinue => {
                let Some(Dialog::UnsavedChanges { then, .. }) = self.state.dialog.take() else { return };
                if let (Some(builder), Some(view)) = (&mut self.state.builder, &self.state.view) {
                    builder.discard(&view.schema);
                }
                self.apply(*then);
            }
            // Routed to the other handlers by `apply_now`.
            _ => {}
        }
    }

    /// The Records screen, its record form, Undo, and new fields and record types.
    fn apply_records(&mut self, command: Command) {
        match command {
            Command::SetRecordFilter(filter) if self.state.records.query.filter != filter => {
                self.state.records.query.filter = filter;
                self.refresh_records();
            }
            Command::SortRecordsBy(field) => {
                let query = &mut self.state.records.query;
                query.sort = match query.sort.take() {
                    Some((current, SortDirection::Ascending)) if current == field => {
                        Some((field, SortDirection::Descending))
                    }
                    _ => Some((field, SortDirection::Ascending)),
                };
                self.refresh_records();
            }
            Command::FetchRows(ids) => self.fetch_rows(ids),
            Command::SelectRecord(id) => {
                self.state.records.selected = Some(id);
                self.sync_sequences();
            }
            Command::StartAddRecord => self.start_add_record(),
            Command::StartEditRecord(id) => self.start_edit_record(id),
            Command::SetEditorInput { index, text } => self.set_editor_input(index, text),
            Command::SaveRecord => self.save_record(),
            Command::CancelEdit => self.state.records.editor = None,
            Command::AskDeleteRecord(id) => {
                if let Some(def) = self.state.current_type() {
                    let title = self
                        .state
                        .records
                        .rows
                        .get(&id)
                        .map(|r| record_title(def, r))
                        .unwrap_or_else(|| format!("#{id}"));
                    self.state.dialog = Some(Dialog::ConfirmDeleteRecord { record_type: def.name.clone(), id, title });
                }
            }
            Command::DeleteRecord { record_type, id } => self.delete_record(&record_type, id),
            Command::Undo => self.undo(),
            Command::ShowAddField => {
                if let Some(record_type) = self.state.record_type.clone() {
                    self.state.dialog = Some(Dialog::AddField(FieldForm {
                        record_type,
                        label: String::new(),
                        kind: FieldKind::Text,
                        choices: String::new(),
                        lookup_target: None,
                        error: None,
                    }));
                }
            }
            Command::ShowAddRecordType => self.state.dialog = Some(Dialog::AddRecordType(RecordTypeForm::default())),
            Command::SubmitAddField => self.submit_add_field(),
            Command::SubmitAddRecordType => self.submit_add_record_type(),
            // Routed to the other handlers by `apply_now`.
            _ => {}
        }
    }

    // ----------------------------------------------------------------------------------
    // Opening workspaces

    fn spawn_open(&mut self, path: PathBuf, mode: OpenMode) {
        if self.open_job.is_some() {
            self.notify(NoticeLevel::Error, "Another workspace is still opening; wait for it or cancel it first");
            return;
        }
        let title = match mode {
            OpenMode::Open => format!("Opening {}", path.display()),
            OpenMode::Create => format!("Creating {}", path.display()),
            OpenMode::CreateDemo => "Creating the demo workspace".to_owned(),
        };
        let now = self.clock.now();
        let job =
            Job::spawn(title.clone(), self.waker(), move |reporter| open_in_background(&path, mode, now, reporter));
        self.state.job = Some(JobStatus { title, fraction: None, message: String::new() });
        self.open_job = Some(job);
    }

    fn poll_background(&mut self) {
        self.poll_import();
        self.poll_monitor();
        if let Some(job) = &self.open_job {
            match job.poll() {
                Poll::Running(progress) => {
                    self.state.job = Some(JobStatus {
                        title: job.title.clone(),
                        fraction: progress.fraction,
                        message: progress.message,
                    });
                }
                Poll::Done(outcome) => {
                    self.open_job = None;
                    self.state.job = None;
                    match outcome {
                        Ok(opened) => self.install(opened),
                        Err(message) => self.notify(NoticeLevel::Error, message),
                    }
                }
                Poll::Lost => {
                    self.open_job = None;
                    self.state.job = None;
                    self.notify(NoticeLevel::Error, "Opening the workspace failed unexpectedly; nothing was changed");
                }
            }
        }
        let mut responses = Vec::new();
        if let Some(worker) = &self.records_worker {
            while let Some(response) = worker.try_recv() {
                responses.push(response);
            }
        }
        for response in responses {
            self.take_records_response(response);
        }
        let mut engine_responses = Vec::new();
        if let Some(worker) = &self.engine_worker {
            if let Some(progress) = worker.progress() {
                self.state.engine = EngineStatus::Loading { fraction: progress.fraction, message: progress.message };
            }
            while let Some(response) = worker.try_recv() {
                engine_responses.push(response);
            }
        }
        for response in engine_responses {
            self.take_engine_response(response);
        }
        self.poll_lifecycle();
    }

    fn take_engine_response(&mut self, response: EngineResponse) {
        match response {
            EngineResponse::Ready { records, heap_bytes, elapsed_ms } => {
                self.state.engine = EngineStatus::Ready { records, heap_bytes, elapsed_ms };
                self.request_preview();
            }
            EngineResponse::Evaluated(Ok(per_type)) => {
                let mut joined = 0;
                for (record_type, applied) in &per_type {
                    if let crate::store::ApplyOutcome::Applied(impact) = &applied.outcome {
                        joined += impact.join_count() + impact.move_count();
                    }
                    self.set_member_counts(record_type, applied);
                }
                let text = format!("Evaluated the records an interrupted import left: {joined} joined a segment");
                self.notify(NoticeLevel::Info, text);
            }
            EngineResponse::Evaluated(Err(error)) => {
                let text = format!("Could not evaluate the records an interrupted import left: {error}");
                self.notify(NoticeLevel::Error, text);
            }
            EngineResponse::Failed(error) => {
                self.notify(NoticeLevel::Error, format!("Could not load the records for previews: {error}"));
                self.state.engine = EngineStatus::Failed(error);
            }
            EngineResponse::OutOfDate(error) => {
                self.notify(
                    NoticeLevel::Error,
                    format!("The previews are out of date ({error}); reloading the records"),
                );
                self.restart_engine_soon();
            }
            EngineResponse::Preview { generation, result } if generation == self.preview_generation => match result {
                Ok(outcome) => self.state.preview.result = Loadable::Ready(outcome),
                Err(error) => self.state.preview.result.fail(error),
            },
            EngineResponse::Preview { .. } => {}
        }
    }

    /// Asks the engine for the preview of the selected segment: its matches, what the active
    /// segments above it claim, and its newest matching records.
    fn request_preview(&mut self) {
        let Some(segment) = self.state.selected_segment().cloned() else {
            self.state.preview = Default::default();
            return;
        };
        if self.state.preview.segment != Some(segment.id) {
            // Another segment's figures must not show under this one, even dimmed.
            self.state.preview.result = Loadable::default();
        }
        self.state.preview.segment = Some(segment.id);
        // While the builder edits this segment, the preview follows its draft.
        let conditions = match &self.state.builder {
            Some(builder) if builder.segment == segment.id && builder.has_problems() => {
                let problems = builder.problems_phrase();
                self.state.preview.stale_because =
                    Some(format!("Fix {problems} in the conditions to update the preview"));
                return;
            }
            Some(builder) if builder.segment == segment.id => builder.draft.clone(),
            _ => segment.conditions.clone(),
        };
        self.state.preview.stale_because = None;
        let Some(worker) = &self.engine_worker else { return };
        if !matches!(self.state.engine, EngineStatus::Ready { .. }) {
            return;
        }
        let higher: Vec<(SegmentId, Group)> = self
            .state
            .view
            .as_ref()
            .map(|view| view.segments_of(&segment.record_type))
            .unwrap_or_default()
            .iter()
            .filter(|s| s.priority < segment.priority && s.status == crate::domain::Status::Active)
            .map(|s| (s.id, s.conditions.clone()))
            .collect();
        let sort = match &self.state.preview.sort {
            Some((field, descending)) => SortKey { field: field.clone(), descending: *descending },
            None => SortKey::newest_first(),
        };
        self.preview_generation += 1;
        self.state.preview.result.start_over();
        let request = EngineRequest::Preview {
            generation: self.preview_generation,
            record_type: segment.record_type.clone(),
            conditions,
            higher,
            sort,
            now: self.clock.now(),
            limit: PREVIEW_ROWS,
        };
        if !worker.send(request) {
            self.state.preview.result.fail("The preview engine is busy or stopped; select the segment again".into());
        }
    }

    /// Tells the engine about a changed or deleted record and refreshes the preview.
    fn record_changed(&mut self, record_type: &RecordTypeName, change: RecordChange) {
        if let Some(worker) = &self.engine_worker {
            let sent = match change {
                RecordChange::Saved { before, after } => {
                    // Evaluated against the active segments at once when it matters.
                    let segments =
                        self.state.view.as_ref().map(|v| v.segments_of(record_type).to_vec()).unwrap_or_default();
                    let saved = vec![SavedRecord { before, after }];
                    let job = worker.records_saved(record_type.clone(), saved, segments, self.clock.now());
                    self.saved_jobs.push((record_type.clone(), job));
                    true
                }
                RecordChange::Deleted(id) => {
                    worker.send(EngineRequest::Remove { record_type: record_type.clone(), id })
                }
            };
            if !sent {
                self.notify(
                    NoticeLevel::Error,
                    "The preview engine missed a change; reopen the workspace to refresh it",
                );
            }
        }
        self.request_preview();
    }

    fn install(&mut self, opened: Opened) {
        let Opened { workspace, view, share_warning } = opened;
        let path = view.path.clone();
        self.records_worker = Some(RecordsWorker::start(path.clone(), self.waker()));
        self.engine_worker = Some(EngineWorker::start(path.clone(), self.waker()));
        self.state.engine = EngineStatus::Loading { fraction: None, message: "Loading records".into() };
        self.state.preview = Default::default();
        self.state.builder = None;
        self.state.sequences = Default::default();
        self.state.monitor = Default::default();
        self.monitor_jobs = Default::default();
        self.undo.clear();
        self.state.undo = None;
        self.watch = watch::WatchState::default();
        self.state.watch_line = None;
        self.workspace = Some(workspace);
        self.show_access(share_warning);
        let first_type = view.schema.types.first().map(|t| t.name.clone());
        let keep_type = self.state.record_type.as_ref().filter(|t| view.schema.get(t).is_some()).cloned();
        self.state.view = Some(view);
        self.state.record_type = keep_type.or(first_type);
        self.state.selected_segment = None;
        self.state.records = Default::default();
        self.rows_requested.clear();
        self.select_first_segment();
        self.refresh_records();
        self.request_preview();
        self.state.recent.retain(|p| p != &path);
        self.state.recent.insert(0, path);
        self.state.recent.truncate(RECENT_LIMIT);
    }

    fn browse_for_path(&mut self) {
        if let Some(Dialog::ExportMembers { text, .. } | Dialog::ExportRecords { text, .. }) = &mut self.state.dialog {
            let picked = rfd::FileDialog::new().add_filter("CSV", &["csv"]).set_file_name(text.as_str()).save_file();
            // No file dialog on this desktop (or the user cancelled): the typed path stays.
            if let Some(path) = picked {
                *text = path.display().to_string();
            }
            return;
        }
        let Some(Dialog::WorkspacePath { purpose, text, .. }) = &mut self.state.dialog else { return };
        let dialog = rfd::FileDialog::new().add_filter("Segment Builder workspace", &["sqlite", "db"]);
        let picked = match purpose {
            PathPurpose::Open => dialog.pick_file(),
            PathPurpose::Create => dialog.set_file_name("workspace.sqlite").save_file(),
        };
        // No file dialog on this desktop (or the user cancelled): the typed path stays.
        if let Some(path) = picked {
            *text = path.display().to_string();
        }
    }

    fn submit_path_dialog(&mut self) {
        let Some(Dialog::WorkspacePath { purpose, text, error }) = &mut self.state.dialog else { return };
        let path = PathBuf::from(text.trim());
        let problem = if text.trim().is_empty() {
            Some("Type the path of a workspace file".to_owned())
        } else if *purpose == PathPurpose::Open && !path.is_file() {
            Some(format!("{}: no such file", path.display()))
        } else if *purpose == PathPurpose::Create && path.exists() {
            Some(format!("{}: a file already exists there; open it instead or pick another name", path.display()))
        } else {
            None
        };
        if let Some(problem) = problem {
            *error = Some(problem);
            return;
        }
        let purpose = *purpose;
        self.state.dialog = None;
        match purpose {
            PathPurpose::Open => self.spawn_open(path, OpenMode::Open),
            PathPurpose::Create => self.spawn_open(path, OpenMode::Create),
        }
    }

    // ----------------------------------------------------------------------------------
    // Navigation

    fn select_record_type(&mut self, name: RecordTypeName) {
        if self.state.record_type.as_ref() == Some(&name) {
            return;
        }
        self.state.record_type = Some(name);
        self.state.records = Default::default();
        self.rows_requested.clear();
        self.select_first_segment();
        self.refresh_records();
        self.request_preview();
    }

    fn select_first_segment(&mut self) {
        let first = self
            .state
            .view
            .as_ref()
            .zip(self.state.record_type.as_ref())
            .and_then(|(view, ty)| view.segments_of(ty).first().map(|s| s.id));
        self.state.selected_segment = first;
    }

    // ----------------------------------------------------------------------------------
    // Segments

    /// Moves a segment to `to_index` of its type's priority order and saves the whole order
    /// in one transaction. Whatever happens, the list then shows what is stored.
    fn move_segment(&mut self, id: SegmentId, to_index: usize) {
        let Some(view) = &self.state.view else { return };
        let Some(record_type) = view.segment(id).map(|s| s.record_type.clone()) else { return };
        let mut order: Vec<SegmentId> = view.segments_of(&record_type).iter().map(|s| s.id).collect();
        let Some(from) = order.iter().position(|s| *s == id) else { return };
        let to = to_index.min(order.len().saturating_sub(1));
        if from == to {
            return;
        }
        let moved = order.remove(from);
        order.insert(to, moved);
        // Active segments trading places may move members: ask first, showing the impact.
        let segments = view.segments_of(&record_type);
        let passed = &segments[from.min(to)..=from.max(to)];
        let affects_active = passed.iter().filter(|s| s.status == Status::Active).count() >= 2
            && segments.get(from).is_some_and(|s| s.status == Status::Active);
        if affects_active {
            self.show_impact(crate::state::LifecycleAction::Reorder { record_type, order, moved: id }, None);
            return;
        }
        let Some(workspace) = &mut self.workspace else { return };
        if let Err(error) = workspace.reorder_segments(&record_type, &order) {
            self.notify(NoticeLevel::Error, format!("The new order was not saved: {error}"));
        }
        self.reload_segments(&record_type);
        // What the segments above the selected one claim has changed.
        self.request_preview();
    }

    /// Reads a record type's segments from the store again. Member counts are not re-read:
    /// nothing that calls this changes them (an apply brings its own counts, a new segment
    /// has none), and counting scans every membership on the UI thread.
    fn reload_segments(&mut self, record_type: &RecordTypeName) {
        let Some(workspace) = &self.workspace else { return };
        match workspace.segments(record_type) {
            Ok(segments) => {
                if let Some(view) = &mut self.state.view {
                    view.segments.insert(record_type.clone(), segments);
                }
            }
            Err(error) => self.notify(NoticeLevel::Error, format!("Could not read the segments again: {error}")),
        }
    }

    /// Creates the Draft segment the segment form describes (empty, or a copy), at the bottom
    /// of its type's order, and selects it.
    fn submit_segment_form(&mut self) {
        let Some(Dialog::SegmentForm(form)) = &self.state.dialog else { return };
        let Some(view) = &self.state.view else { return };
        let form = form.clone();
        if let Some(problem) = view.segment_form_problem(&form.record_type, &form.name, &form.description) {
            self.set_segment_form_error(problem);
            return;
        }
        let now = self.clock.now();
        let segment = match form.copy_of {
            Some(source) => match view.segment(source) {
                Some(source) => Segment {
                    name: form.name.trim().to_owned(),
                    description: form.description.clone(),
                    status: Status::Draft,
                    created_on: now,
                    modified_on: now,
                    ..source.clone()
                },
                None => {
                    self.set_segment_form_error("The segment to copy no longer exists".to_owned());
                    return;
                }
            },
            None => Segment {
                id: SegmentId(0),
                record_type: form.record_type.clone(),
                name: form.name.trim().to_owned(),
                description: form.description.clone(),
                status: Status::Draft,
                priority: 0,
                conditions: Group::all(NodeId(0)),
                accept_from_other_segments: false,
                rerun_assignment_on_move: false,
                sequence: None,
                created_on: now,
                modified_on: now,
            },
        };
        let Some(workspace) = &mut self.workspace else { return };
        match workspace.insert_segment(&segment) {
            Ok(id) => {
                self.state.dialog = None;
                self.reload_segments(&segment.record_type);
                self.select_record_type(segment.record_type.clone());
                self.state.selected_segment = Some(id);
                self.state.segment_search.clear();
                self.request_preview();
                let verb = if form.copy_of.is_some() { "copied" } else { "created" };
                self.notify(NoticeLevel::Info, format!("Segment \"{}\" {verb} as a draft", segment.name));
            }
            Err(error) => self.set_segment_form_error(error.to_string()),
        }
    }

    /// Whether carrying out `command` would replace the builder while it holds unsaved edits.
    fn would_drop_unsaved_edits(&self, command: &Command) -> bool {
        let Some(builder) = self.state.builder.as_ref().filter(|b| b.is_dirty()) else { return false };
        match command {
            Command::SelectSegment(id) => *id != builder.segment,
            Command::SelectRecordType(name) => self.state.record_type.as_ref() != Some(name),
            Command::ShowPathDialog(_)
            | Command::OpenWorkspace(_)
            | Command::CreateWorkspace(_)
            | Command::ShowNewSegment
            | Command::ShowCopySegment(_)
            | Command::Definitions(definitions::DefinitionsCommand::Show(definitions::DefinitionsMode::Import))
            | Command::Quit => true,
            _ => false,
        }
    }

    /// Gives the selected segment its builder (a fresh one when the selection changed).
    fn sync_builder(&mut self) {
        let selected = self.state.selected_segment;
        if self.state.builder.as_ref().map(|b| b.segment) == selected {
            return;
        }
        let Some(view) = &self.state.view else {
            self.state.builder = None;
            return;
        };
        self.state.builder = self.state.selected_segment().map(|segment| {
            builder::Builder::new(segment.id, segment.record_type.clone(), segment.conditions.clone(), &view.schema)
        });
        self.state.record_picker = None;
        self.learn_titles();
    }

    fn edit_conditions(&mut self, edit: builder::BuilderEdit) {
        let (Some(builder), Some(view)) = (&mut self.state.builder, &self.state.view) else { return };
        let today = crate::domain::EvalContext::new(self.clock.now(), view.time_zone.clone()).today();
        let ctx = builder::EditContext { schema: &view.schema, today };
        if builder.apply(edit, &ctx) {
            self.request_preview();
        }
    }

    /// Reads the titles of the records the builder's conditions name (a few rows by id).
    fn learn_titles(&mut self) {
        let (Some(builder), Some(view), Some(workspace)) = (&self.state.builder, &self.state.view, &self.workspace)
        else {
            return;
        };
        let Some(def) = view.schema.get(&builder.record_type) else { return };
        let mut wanted: BTreeMap<RecordTypeName, Vec<RecordId>> = BTreeMap::new();
        builder::records_named(&view.schema, def, &builder.draft, &mut wanted);
        let mut failure = None;
        for (record_type, ids) in wanted {
            match workspace.record_titles(&record_type, &ids) {
                Ok(titles) => {
                    for (id, title) in titles {
                        self.state.known_titles.insert((record_type.clone(), id), title);
                    }
                }
                Err(error) => failure = Some(error),
            }
        }
        if let Some(error) = failure {
            self.notify(NoticeLevel::Error, format!("Could not read record names: {error}"));
        }
    }

    /// Shows a record from the preview on the Records screen, in its editor.
    fn open_preview_record(&mut self, id: RecordId) {
        let from_preview =
            self.state.preview.result.latest().and_then(|o| o.rows.iter().find(|r| r.record.id == id)).cloned();
        let record = from_preview.map(|r| r.record).or_else(|| self.state.records.rows.get(&id).cloned());
        let Some(record) = record else { return };
        self.apply_now(Command::ShowScreen(Screen::Records));
        self.state.records.rows.insert(id, record);
        self.start_edit_record(id);
    }

    /// Asks the records worker for records to offer in a condition's record picker.
    fn search_records(&mut self, node: NodeId, record_type: RecordTypeName, text: String) {
        let picker = self.state.record_picker.get_or_insert_with(|| crate::state::RecordPicker {
            node,
            record_type: record_type.clone(),
            text: String::new(),
            results: Loadable::default(),
        });
        if picker.node != node || picker.record_type != record_type {
            *picker = crate::state::RecordPicker {
                node,
                record_type: record_type.clone(),
                text: String::new(),
                results: Loadable::default(),
            };
        }
        picker.text = text.clone();
        picker.results.start_over();
        self.search_generation += 1;
        let request = Request::Search { generation: self.search_generation, record_type, text, limit: 50 };
        if !self.records_worker.as_ref().is_some_and(|w| w.send(request)) {
            picker.results.fail("The record search is busy or stopped; type again".to_owned());
        }
    }

    fn set_segment_form_error(&mut self, problem: String) {
        if let Some(Dialog::SegmentForm(form)) = &mut self.state.dialog {
            form.error = Some(problem);
        }
    }

    // ----------------------------------------------------------------------------------
    // Records

    /// Asks the worker for the ids of the current query (a new generation).
    /// Forgets the fetched Records rows (their stored values changed, e.g. owners set by
    /// assignment); the table asks for the rows it shows again.
    fn forget_record_rows(&mut self) {
        self.state.records.rows.clear();
        self.rows_requested.clear();
    }

    fn refresh_records(&mut self) {
        let Some(record_type) = self.state.record_type.clone() else { return };
        let Some(worker) = &self.records_worker else { return };
        self.records_generation += 1;
        self.rows_requested.clear();
        self.state.records.ids.start_over();
        let request = Request::Query {
            generation: self.records_generation,
            record_type,
            query: self.state.records.query.clone(),
        };
        if !worker.send(request) {
            self.state.records.ids.fail("The records reader is busy or stopped; try again".to_owned());
        }
    }

    fn fetch_rows(&mut self, ids: Vec<RecordId>) {
        let Some(record_type) = self.state.record_type.clone() else { return };
        let Some(worker) = &self.records_worker else { return };
        let wanted: Vec<RecordId> = ids
            .into_iter()
            .filter(|id| !self.state.records.rows.contains_key(id) && !self.rows_requested.contains(id))
            .collect();
        if wanted.is_empty() {
            return;
        }
        let request = Request::Fetch { generation: self.records_generation, record_type, ids: wanted.clone() };
        if worker.send(request) {
            self.rows_requested.extend(wanted);
        }
    }

    fn take_records_response(&mut self, response: Response) {
        match response {
            Response::Ids { generation, result } if generation == self.records_generation => match result {
                Ok(ids) => self.state.records.ids = Loadable::Ready(ids),
                Err(error) => self.state.records.ids.fail(error),
            },
            Response::Rows { generation, result } if generation == self.records_generation => match result {
                Ok(page) => {
                    let records = &mut self.state.records;
                    if records.rows.len() + page.rows.len() > ROW_CACHE_LIMIT {
                        records.rows.clear();
                        self.rows_requested.clear();
                    }
                    for row in page.rows {
                        self.rows_requested.remove(&row.id);
                        records.rows.insert(row.id, row);
                    }
                    records.titles.extend(page.titles);
                }
                Err(error) => self.notify(NoticeLevel::Error, format!("Could not load records: {error}")),
            },
            Response::Found { generation, result } if generation == self.search_generation => {
                let Some(picker) = &mut self.state.record_picker else { return };
                match result {
                    Ok(found) => {
                        for (id, title) in &found {
                            self.state.known_titles.insert((picker.record_type.clone(), *id), title.clone());
                        }
                        picker.results = Loadable::Ready(found);
                    }
                    Err(error) => picker.results.fail(error),
                }
            }
            Response::Members { generation, offset, result } => self.take_members(generation, offset, result),
            Response::History { generation, result } if generation == self.history_generation => match result {
                Ok(entries) => self.state.history.entries = Loadable::Ready(entries),
                Err(error) => self.state.history.entries.fail(error),
            },
            // An answer to an older question: the user has moved on.
            Response::Ids { .. } | Response::Rows { .. } | Response::Found { .. } | Response::History { .. } => {}
        }
    }

    fn start_add_record(&mut self) {
        let Some(view) = &self.state.view else { return };
        let Some(def) = self.state.current_type() else { return };
        let now = self.clock.now();
        let inputs = def
            .fields
            .iter()
            .map(|f| {
                if f.kind == FieldKind::DateTime && f.name.as_str() == "created_on" {
                    format_value(&Value::DateTime(now), &view.time_zone)
                } else {
                    String::new()
                }
            })
            .collect::<Vec<_>>();
        let problems = vec![None; inputs.len()];
        self.state.records.editor =
            Some(RecordEditor { record_type: def.name.clone(), id: None, inputs, problems, save_error: None });
    }

    fn start_edit_record(&mut self, id: RecordId) {
        let Some(view) = &self.state.view else { return };
        let Some(def) = self.state.current_type() else { return };
        let Some(record) = self.state.records.rows.get(&id) else {
            self.notify(NoticeLevel::Error, format!("Record #{id} is not loaded yet; try again"));
            return;
        };
        let inputs: Vec<String> = def
            .fields
            .iter()
            .enumerate()
            .map(|(i, _)| format_value(record.values.get(i).unwrap_or(&Value::Empty), &view.time_zone))
            .collect();
        let problems = vec![None; inputs.len()];
        let record_type = def.name.clone();
        self.state.records.selected = Some(id);
        self.state.records.editor =
            Some(RecordEditor { record_type, id: Some(id), inputs, problems, save_error: None });
    }

    fn set_editor_input(&mut self, index: usize, text: String) {
        let Some(view) = &self.state.view else { return };
        let Some(editor) = &mut self.state.records.editor else { return };
        let Some(field) = view.schema.get(&editor.record_type).and_then(|d| d.fields.get(index)) else { return };
        let problem = parse_value(field, &text, &view.time_zone).err();
        if let (Some(input), Some(slot)) = (editor.inputs.get_mut(index), editor.problems.get_mut(index)) {
            *input = text;
            *slot = problem;
            editor.save_error = None;
        }
    }

    fn save_record(&mut self) {
        let Some(view) = &self.state.view else { return };
        let Some(editor) = &mut self.state.records.editor else { return };
        let Some(def) = view.schema.get(&editor.record_type) else { return };
        let mut values = Vec::with_capacity(def.fields.len());
        for (index, field) in def.fields.iter().enumerate() {
            let input = editor.inputs.get(index).map(String::as_str).unwrap_or_default();
            match parse_value(field, input, &view.time_zone) {
                Ok(value) => values.push(value),
                Err(problem) => {
                    if let Some(slot) = editor.problems.get_mut(index) {
                        *slot = Some(problem);
                    }
                }
            }
        }
        if editor.has_problems() {
            editor.save_error = Some("Fix the fields marked in red, then save again".to_owned());
            return;
        }
        let Some(workspace) = &mut self.workspace else { return };
        let record_type = editor.record_type.clone();
        let before = match editor.id {
            Some(id) => match workspace.record(&record_type, id) {
                Ok(before) => before,
                Err(error) => {
                    editor.save_error = Some(error.to_string());
                    return;
                }
            },
            None => None,
        };
        let result = match editor.id {
            Some(id) => {
                let record = Record { id, values };
                workspace.update_record(&record_type, &record).map(|()| (record, false))
            }
            None => workspace.insert_record(&record_type, values.clone()).map(|id| (Record { id, values }, true)),
        };
        match result {
            Ok((record, created)) => {
                let id = record.id;
                let label = def.label.clone();
                let before_values = before.clone();
                self.push_undo(match before {
                    Some(before) => UndoStep::Edited { record_type: record_type.clone(), before },
                    None => UndoStep::Added { record_type: record_type.clone(), id },
                });
                self.record_changed(&record_type, RecordChange::Saved { before: before_values, after: record });
                self.state.records.editor = None;
                self.state.records.rows.remove(&id);
                self.rows_requested.remove(&id);
                self.state.records.selected = Some(id);
                if created && let Some(view) = &mut self.state.view {
                    *view.record_counts.entry(record_type).or_default() += 1;
                }
                let verb = if created { "added" } else { "saved" };
                self.notify(NoticeLevel::Info, format!("{label} #{id} {verb}"));
                self.refresh_records();
            }
            Err(error) => editor.save_error = Some(error.to_string()),
        }
    }

    fn delete_record(&mut self, record_type: &RecordTypeName, id: RecordId) {
        self.state.dialog = None;
        let Some(workspace) = &mut self.workspace else { return };
        let before = match workspace.record(record_type, id) {
            Ok(before) => before,
            Err(error) => {
                self.notify(NoticeLevel::Error, error.to_string());
                return;
            }
        };
        // Its membership goes with it (one row by key, read before).
        let segment = workspace.membership_of(record_type, id).ok().flatten();
        match workspace.delete_record(record_type, id) {
            Ok(()) => {
                if let (Some(segment), Some(view)) = (segment, &mut self.state.view)
                    && let Some(count) = view.member_counts.get_mut(&segment)
                {
                    *count = count.saturating_sub(1);
                }
                if let Some(record) = before {
                    self.push_undo(UndoStep::Deleted { record_type: record_type.clone(), record });
                }
                let label = self
                    .state
                    .view
                    .as_ref()
                    .and_then(|v| v.record_type(record_type))
                    .map(|d| d.label.clone())
                    .unwrap_or_else(|| record_type.to_string());
                if let Some(view) = &mut self.state.view
                    && let Some(count) = view.record_counts.get_mut(record_type)
                {
                    *count = count.saturating_sub(1);
                }
                self.state.records.rows.remove(&id);
                self.record_changed(record_type, RecordChange::Deleted(id));
                if self.state.records.selected == Some(id) {
                    self.state.records.selected = None;
                }
                self.notify(NoticeLevel::Info, format!("{label} #{id} deleted"));
                self.refresh_records();
            }
            Err(error) => self.notify(NoticeLevel::Error, error.to_string()),
        }
    }

    fn push_undo(&mut self, step: UndoStep) {
        self.undo.push(step);
        let excess = self.undo.len().saturating_sub(UNDO_LIMIT);
        self.undo.drain(..excess);
        self.state.undo = self.undo.last().map(|s| self.describe_undo(s));
    }

    fn describe_undo(&self, step: &UndoStep) -> String {
        let label = |ty: &RecordTypeName| {
            self.state
                .view
                .as_ref()
                .and_then(|v| v.record_type(ty))
                .map(|d| d.label.to_lowercase())
                .unwrap_or_else(|| ty.to_string())
        };
        match step {
            UndoStep::Added { record_type, id } => format!("Undo adding {} #{id}", label(record_type)),
            UndoStep::Edited { record_type, before } => format!("Undo editing {} #{}", label(record_type), before.id),
            UndoStep::Deleted { record_type, record } => format!("Undo deleting {} #{}", label(record_type), record.id),
        }
    }

    /// Takes back the newest record edit: removes an added record, restores an edited one's
    /// values, puts a deleted one back with its id.
    fn undo(&mut self) {
        let Some(step) = self.undo.pop() else { return };
        let description = self.describe_undo(&step);
        self.state.undo = self.undo.last().map(|s| self.describe_undo(s));
        let Some(workspace) = &mut self.workspace else { return };
        let (record_type, result, change, count_delta) = match step {
            UndoStep::Added { record_type, id } => {
                let result = workspace.delete_record(&record_type, id);
                (record_type, result, RecordChange::Deleted(id), -1)
            }
            UndoStep::Edited { record_type, before } => {
                // What it holds now, so the engine sees which fields change back.
                let current = workspace.record(&record_type, before.id).ok().flatten();
                let result = workspace.update_record(&record_type, &before);
                (record_type, result, RecordChange::Saved { before: current, after: before }, 0)
            }
            UndoStep::Deleted { record_type, record } => {
                let result = workspace.restore_record(&record_type, &record);
                (record_type, result, RecordChange::Saved { before: None, after: record }, 1)
            }
        };
        match result {
            Ok(()) => {
                let id = match &change {
                    RecordChange::Saved { after, .. } => after.id,
                    RecordChange::Deleted(id) => *id,
                };
                if let Some(view) = &mut self.state.view {
                    let count = view.record_counts.entry(record_type.clone()).or_default();
                    *count = count.saturating_add_signed(count_delta);
                }
                self.state.records.rows.remove(&id);
                self.rows_requested.remove(&id);
                self.record_changed(&record_type, change);
                self.notify(NoticeLevel::Info, format!("{description}: done"));
                self.refresh_records();
            }
            Err(error) => self.notify(NoticeLevel::Error, format!("{description} failed: {error}")),
        }
    }

    fn submit_add_field(&mut self) {
        let Some(Dialog::AddField(form)) = &mut self.state.dialog else { return };
        let Some(workspace) = &mut self.workspace else { return };
        let result = field_from_form(form).and_then(|field| {
            let label = field.label.clone();
            workspace.add_field(&form.record_type, field).map(|()| label).map_err(|e| e.to_string())
        });
        match result {
            Ok(label) => {
                self.state.dialog = None;
                self.notify(NoticeLevel::Info, format!("Field \"{label}\" added"));
                self.schema_changed();
            }
            Err(error) => form.error = Some(error),
        }
    }

    fn submit_add_record_type(&mut self) {
        let Some(Dialog::AddRecordType(form)) = &mut self.state.dialog else { return };
        let Some(workspace) = &mut self.workspace else { return };
        let label = form.label.trim().to_owned();
        let plural = match form.plural_label.trim() {
            "" => format!("{label}s"),
            plural => plural.to_owned(),
        };
        let name = crate::domain::schema::logical_name_from_label(&label);
        let def = RecordTypeDef {
            name: RecordTypeName::new(name.clone()),
            label: label.clone(),
            plural_label: plural,
            primary_field: crate::domain::FieldName::new("name"),
            fields: vec![crate::domain::FieldDef::new("name", "Name", FieldKind::Text)],
            built_in: false,
        };
        let result = if label.is_empty() {
            Err("Give the record type a name".to_owned())
        } else {
            workspace.add_record_type(def).map_err(|e| e.to_string())
        };
        match result {
            Ok(()) => {
                self.state.dialog = None;
                self.notify(NoticeLevel::Info, format!("Record type \"{label}\" added"));
                self.schema_changed();
                self.select_record_type(RecordTypeName::new(name));
            }
            Err(error) => form.error = Some(error),
        }
    }

    /// After a type or field was added: the screens and the records reader see the new schema.
    fn schema_changed(&mut self) {
        let Some(workspace) = &self.workspace else { return };
        let schema = workspace.schema().clone();
        if let Some(view) = &mut self.state.view {
            for def in &schema.types {
                view.segments.entry(def.name.clone()).or_default();
                view.record_counts.entry(def.name.clone()).or_default();
            }
            view.schema = schema;
        }
        if let Some(path) = self.state.view.as_ref().map(|v| v.path.clone()) {
            // The readers have their own connections and schema: start fresh ones.
            self.records_worker = Some(RecordsWorker::start(path.clone(), self.waker()));
            self.engine_worker = Some(EngineWorker::start(path, self.waker()));
            self.state.engine = EngineStatus::Loading { fraction: None, message: "Loading records".into() };
        }
        self.state.records.rows.clear();
        self.state.records.editor = None;
        self.rows_requested.clear();
        // Stored records changed shape: old values no longer fit.
        self.undo.clear();
        self.state.undo = None;
        self.refresh_records();
    }

    fn notify(&mut self, level: NoticeLevel, text: impl Into<String>) {
        self.next_notice_id += 1;
        self.state.notices.push(Notice { id: self.next_notice_id, level, text: text.into() });
        // Only the latest few stay on screen.
        let excess = self.state.notices.len().saturating_sub(4);
        self.state.notices.drain(..excess);
    }
}

/// The field a form describes, or what is wrong with it.
fn field_from_form(form: &FieldForm) -> Result<crate::domain::FieldDef, String> {
    let label = form.label.trim();
    if label.is_empty() {
        return Err("Give the field a name".to_owned());
    }
    let name = crate::domain::schema::logical_name_from_label(label);
    let mut field = crate::domain::FieldDef::new(&name, label, form.kind);
    match form.kind {
        FieldKind::Choice => {
            field.choices = form
                .choices
                .split(['\n', ','])
                .map(str::trim)
                .filter(|option| !option.is_empty())
                .map(str::to_owned)
                .collect();
            if field.choices.is_empty() {
                return Err("A choice field needs at least one option".to_owned());
            }
        }
        FieldKind::Lookup => {
            field.lookup_target = Some(form.lookup_target.clone().ok_or("Pick the record type the lookup points at")?);
        }
        _ => {}
    }
    Ok(field)
}

/// The title of a record: its primary field, or its id.
pub fn record_title(def: &crate::domain::RecordTypeDef, record: &Record) -> String {
    def.primary_index()
        .and_then(|i| record.values.get(i))
        .and_then(Value::as_text)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("#{}", record.id))
}

/// A record edit Undo can take back.
enum UndoStep {
    Added { record_type: RecordTypeName, id: RecordId },
    Edited { record_type: RecordTypeName, before: Record },
    Deleted { record_type: RecordTypeName, record: Record },
}

enum RecordChange {
    /// Created (`before` is `None`) or updated.
    Saved {
        before: Option<Record>,
        after: Record,
    },
    Deleted(RecordId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OpenMode {
    Open,
    Create,
    CreateDemo,
}

fn open_in_background(
    path: &Path,
    mode: OpenMode,
    now: jiff::Timestamp,
    reporter: &Reporter,
) -> Result<Opened, String> {
    let mut workspace = match mode {
        OpenMode::Open => Workspace::open(path),
        OpenMode::Create => Workspace::create(path),
        OpenMode::CreateDemo => {
            let spec = crate::demo::DemoSpec::standard(now);
            crate::demo::create_demo_workspace(path, &spec, &mut |fraction, message| {
                reporter.report(Some(fraction), message)
            })
            .and_then(|()| Workspace::open(path))
        }
    }
    .map_err(|e| e.to_string())?;
    watch::start_watching(&mut workspace).map_err(|e| e.to_string())?;
    reporter.report(None, "Reading segments and counts");
    let view = load_view(&workspace).map_err(|e| e.to_string())?;
    let share_warning = crate::store::network_share_warning(path);
    Ok(Opened { workspace, view, share_warning })
}

/// Reads what the screens show from a workspace.
pub fn load_view(workspace: &Workspace) -> Result<WorkspaceView, StoreError> {
    let schema = workspace.schema().clone();
    let time_zone_name = workspace.time_zone().to_owned();
    let time_zone = TimeZone::get(&time_zone_name).unwrap_or(TimeZone::UTC);
    let mut segments = BTreeMap::new();
    let mut member_counts = std::collections::HashMap::new();
    let mut unassigned_counts = std::collections::HashMap::new();
    let mut record_counts = BTreeMap::new();
    let mut sequences = Vec::new();
    for def in &schema.types {
        segments.insert(def.name.clone(), workspace.segments(&def.name)?);
        member_counts.extend(workspace.member_counts(&def.name)?);
        unassigned_counts.extend(workspace.unassigned_counts(&def.name)?);
        record_counts.insert(def.name.clone(), workspace.count_records(&def.name)?);
        sequences.extend(workspace.sequences(&def.name)?);
    }
    Ok(WorkspaceView {
        path: workspace.path().map(Path::to_path_buf).unwrap_or_default(),
        schema,
        time_zone,
        time_zone_name,
        segments,
        member_counts,
        unassigned_counts,
        sequences,
        sellers: workspace.sellers()?,
        teams: workspace.teams()?,
        record_counts,
    })
}

/// Where the demo workspace lives: the user's data directory.
pub fn default_demo_path() -> PathBuf {
    data_dir().join("demo.sqlite")
}

fn default_new_workspace_path() -> PathBuf {
    data_dir().join("workspace.sqlite")
}

fn data_dir() -> PathBuf {
    directories::ProjectDirs::from("", "", "Segment Builder")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from("."))
}
