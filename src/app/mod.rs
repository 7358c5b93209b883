//! The runner: `App` applies commands and owns everything that is not plain state.
//!
//! `App` owns the open [`Workspace`] (the UI thread's connection, used for small writes),
//! the background workers, the jobs and the [`Clock`], and the [`AppState`] panels draw
//! from. A frame is: take what workers finished, draw from `&AppState` collecting
//! [`Command`]s, apply them. A feature's command goes to its pure `apply` in `state`
//! (dispatch generated from the registry in `state/features.rs`, see `features`); the
//! effects it returns are carried out by the feature's `impl Runner<Effect> for App` in
//! the file of the same name here. The window's own commands go through `state::window`.
//!
//! Rules the handling keeps: the preview follows a draft only while it has no problems; a
//! draft with problems is never saved; a command that would replace a dirty builder first
//! asks Save / Discard / Cancel; nothing that changes the memberships of existing records
//! is stored before the user saw its impact.

mod access;
mod check;
mod conditions;
pub mod definitions;
mod explain;
mod features;
mod import;
mod jobs;
mod lifecycle;
pub mod monitor;
mod open;
mod overlap;
mod records;
pub mod rules;
mod segments;
pub mod sellers;
pub mod sequences;
pub mod settings;
mod simulate;
mod sizes;
mod view;
mod watch;
pub mod worklist;

use std::path::PathBuf;
use std::sync::Arc;

use crate::state::WorkspaceView;
pub use crate::state::builder;
pub use crate::state::{
    AppState, Command, DetailTab, Dialog, EngineStatus, JobStatus, Loadable, Notice, NoticeLevel, PathPurpose, Screen,
};

use crate::clock::{Clock, SystemClock};
use crate::state::effect::Context;
use crate::store::Workspace;
use crate::worker::engine::EngineWorker;
use crate::worker::jobs::{Job, Poll};
use crate::worker::records::RecordsWorker;
use crate::worker::{NoWaker, Waker};

pub use crate::state::record_title;
use jobs::{Generations, Jobs, Pages};
pub use open::default_demo_path;
use records::UndoStep;
pub use view::load_view;

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
    /// The engine, started as soon as the file was open so its load overlaps the reading
    /// of segments and counts.
    pub engine: EngineWorker,
}

type OpenJob = Job<Result<Opened, crate::store::StoreError>>;

pub struct App {
    state: AppState,
    workspace: Option<Workspace>,
    startup: Option<Startup>,
    waker: Option<Arc<dyn Waker>>,
    records_worker: Option<RecordsWorker>,
    engine_worker: Option<EngineWorker>,
    jobs: Jobs,
    generations: Generations,
    pages: Pages,
    /// Record edits that Undo takes back, newest last.
    undo: Vec<UndoStep>,
    next_notice_id: u64,
    quit_requested: bool,
    /// Changes by other programs: what is due and which drafts they made stale.
    watch: watch::WatchState,
    /// The window title last sent, so it is sent only when it changes.
    title: Option<String>,
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
            records_worker: None,
            engine_worker: None,
            jobs: Jobs::default(),
            generations: Generations::default(),
            pages: Pages::default(),
            undo: Vec::new(),
            next_notice_id: 0,
            quit_requested: false,
            watch: watch::WatchState::default(),
            title: None,
            clock,
        }
    }

    /// Where the export dialogs start: a remembered folder, or else the user's documents.
    pub fn set_export_folder(&mut self, folder: Option<PathBuf>) {
        self.state.export_folder = folder.or_else(|| {
            directories::UserDirs::new().and_then(|dirs| dirs.document_dir().map(std::path::Path::to_path_buf))
        });
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
        self.jobs.is_busy()
            || self.features_busy()
            || matches!(self.state.engine, EngineStatus::Loading { .. })
            || self.state.preview.segment.is_some() && self.state.preview.result.is_pending()
            || self.state.builder.as_ref().is_some_and(|b| b.funnel.is_pending())
            || !self.pages.members_pending.is_empty()
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
        if let Some(next) = crate::state::window::expire_notices(&mut self.state, self.clock.now()) {
            ui.ctx().request_repaint_after(next);
        }
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
        let title = self.state.window_title();
        if self.title.as_ref() != Some(&title) {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = Some(title);
        }
        if self.quit_requested {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    /// A frame's background work without a window: starts what the app was started with and
    /// collects what its jobs and workers finished, as [`App::ui`] does before drawing. For
    /// tools that drive the app without egui (the benchmarks).
    pub fn step_without_window(&mut self) {
        if let Some(startup) = self.startup.take() {
            self.start(startup);
        }
        self.poll_background();
    }

    fn waker(&self) -> Arc<dyn Waker> {
        self.waker.clone().unwrap_or_else(|| Arc::new(NoWaker))
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

    /// Opening workspaces, the path and other dialogs, notices, jobs and quitting.
    fn apply_window(&mut self, command: Command) {
        let effects = crate::state::window::apply(&mut self.state, command);
        self.run_effects(effects);
    }

    fn poll_background(&mut self) {
        self.poll_features();
        self.poll_check();
        if let Some(job) = &self.jobs.open {
            match job.poll() {
                Poll::Running(progress) => {
                    self.state.job = Some(JobStatus {
                        title: job.title.clone(),
                        fraction: progress.fraction,
                        message: progress.message,
                    });
                }
                Poll::Done(outcome) => {
                    self.jobs.open = None;
                    self.state.job = None;
                    match outcome {
                        Ok(opened) => self.install(opened),
                        Err(error) => self.notify(NoticeLevel::Error, error.to_string()),
                    }
                }
                Poll::Lost => {
                    self.jobs.open = None;
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
        self.request_sizes();
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

    /// What command handling may know of the world: the clock's now.
    fn context(&self) -> Context {
        Context { now: self.clock.now() }
    }

    fn notify(&mut self, level: NoticeLevel, text: impl Into<String>) {
        self.notify_about(level, text, None);
    }

    /// A notice about a file: it names the file and offers to open its folder.
    fn notify_about(&mut self, level: NoticeLevel, text: impl Into<String>, file: Option<&std::path::Path>) {
        self.next_notice_id += 1;
        let folder = file.and_then(std::path::Path::parent).map(std::path::Path::to_path_buf);
        let notice = Notice { id: self.next_notice_id, level, text: text.into(), expires: None, folder };
        crate::state::window::push_notice(&mut self.state, notice, self.clock.now());
    }
}
