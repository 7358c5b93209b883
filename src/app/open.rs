//! Opening, creating and installing a workspace: the path dialog, the background open
//! job, and handing the opened workspace to the screens and workers.

use std::path::{Path, PathBuf};

use crate::state::window::WindowEffect;
use crate::store::{StoreError, Workspace};
use crate::worker::engine::EngineWorker;
use crate::worker::jobs::{Job, Reporter};
use crate::worker::records::RecordsWorker;

use super::monitor::MonitorJobs;
use super::{
    App, Dialog, EngineStatus, JobStatus, NoticeLevel, Opened, PathPurpose, RECENT_LIMIT, Startup, view, watch,
};
use crate::state::PreviewState;
use crate::state::RecordsState;
use crate::state::monitor::MonitorState;
use crate::state::sequences::SequencesState;

impl App {
    pub(super) fn start(&mut self, startup: Startup) {
        match startup {
            Startup::Demo(path) if !path.exists() => self.spawn_open(path, OpenMode::CreateDemo),
            Startup::Demo(path) => self.spawn_open(path, OpenMode::Open),
            Startup::Open(path) if !path.exists() => self.state.dialog = Some(Dialog::ConfirmCreate { path }),
            Startup::Open(path) => self.spawn_open(path, OpenMode::Open),
            Startup::Nothing => {}
        }
    }

    fn spawn_open(&mut self, path: PathBuf, mode: OpenMode) {
        if self.jobs.open.is_some() {
            self.notify(NoticeLevel::Error, "Another workspace is still opening; wait for it or cancel it first");
            return;
        }
        let title = match mode {
            OpenMode::Open => format!("Opening {}", path.display()),
            OpenMode::Create => format!("Creating {}", path.display()),
            OpenMode::CreateDemo => "Creating the demo workspace".to_owned(),
        };
        let now = self.clock.now();
        let waker = self.waker();
        let job = Job::spawn(title.clone(), self.waker(), move |reporter| {
            open_in_background(&path, mode, now, waker, reporter)
        });
        self.state.job = Some(JobStatus { title, fraction: None, message: String::new() });
        self.jobs.open = Some(job);
    }

    pub(super) fn install(&mut self, opened: Opened) {
        let Opened { workspace, view, share_warning, engine } = opened;
        let path = view.path.clone();
        self.records_worker = Some(RecordsWorker::start(path.clone(), self.waker()));
        self.engine_worker = Some(engine);
        self.state.engine = EngineStatus::Loading { fraction: None, message: "Loading records".into() };
        self.state.preview = PreviewState::default();
        self.state.builder = None;
        self.state.sequences = SequencesState::default();
        self.state.monitor = MonitorState::default();
        self.jobs.monitor = MonitorJobs::default();
        // Settings are read again, and date-based segments evaluated once the engine is ready.
        self.state.settings = crate::state::settings::SettingsState::default();
        self.undo.clear();
        self.state.undo = None;
        self.watch = watch::WatchState::default();
        self.state.watch_line = None;
        self.workspace = Some(workspace);
        self.show_access(share_warning);
        let first_type = view.schema.types.first().map(|t| t.name.clone());
        let keep_type = self.state.record_type.as_ref().filter(|t| view.schema.get(t).is_some()).cloned();
        self.state.view = Some(view);
        self.state.sizes = crate::state::Loadable::default();
        self.sizes_due();
        self.state.record_type = keep_type.or(first_type);
        self.state.selected_segment = None;
        self.state.records = RecordsState::default();
        self.pages.rows_requested.clear();
        self.select_first_segment();
        self.refresh_records();
        self.request_preview();
        self.state.recent.retain(|p| p != &path);
        self.state.recent.insert(0, path.clone());
        self.state.recent.truncate(RECENT_LIMIT);
        self.check_when_answered(path);
    }

    pub(super) fn browse_for_path(&mut self) {
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

    /// Carries out the window's effects: file dialogs, the disk, jobs and quitting.
    pub(super) fn run_window_effect(&mut self, effect: WindowEffect) {
        match effect {
            WindowEffect::ShowPathDialog(purpose) => {
                let text = match purpose {
                    PathPurpose::Open => String::new(),
                    PathPurpose::Create => default_new_workspace_path().display().to_string(),
                };
                self.state.dialog = Some(Dialog::WorkspacePath { purpose, text, error: None });
            }
            WindowEffect::BrowseForPath => self.browse_for_path(),
            WindowEffect::SubmitPath { purpose, path } => self.submit_path(purpose, path),
            WindowEffect::Open { path, create } => {
                self.spawn_open(path, if create { OpenMode::Create } else { OpenMode::Open });
            }
            WindowEffect::CancelImpact => {
                if let Some(job) = self.jobs.impact.take() {
                    job.cancel();
                }
            }
            WindowEffect::CancelJobs => {
                if let Some(job) = &self.jobs.open {
                    job.cancel();
                }
                if let Some(apply) = &self.jobs.apply {
                    apply.cancel();
                }
                if let Some(job) = &self.jobs.export {
                    job.cancel();
                }
            }
            WindowEffect::OpenFolder(folder) => {
                if let Err(error) = open::that_detached(&folder) {
                    self.notify(NoticeLevel::Error, format!("Could not open {}: {error}", folder.display()));
                }
            }
            WindowEffect::CheckWorkspace => self.check_workspace(),
            WindowEffect::Quit => self.quit_requested = true,
        }
    }

    /// Opens an existing file or creates a workspace at a free name; otherwise the path
    /// dialog says what is wrong.
    fn submit_path(&mut self, purpose: PathPurpose, path: PathBuf) {
        let problem = if purpose == PathPurpose::Open && !path.is_file() {
            Some(format!("{}: no such file", path.display()))
        } else if purpose == PathPurpose::Create && path.exists() {
            Some(format!("{}: a file already exists there; open it instead or pick another name", path.display()))
        } else {
            None
        };
        if let Some(problem) = problem {
            if let Some(Dialog::WorkspacePath { error, .. }) = &mut self.state.dialog {
                *error = Some(problem);
            }
            return;
        }
        self.state.dialog = None;
        match purpose {
            PathPurpose::Open => self.spawn_open(path, OpenMode::Open),
            PathPurpose::Create => self.spawn_open(path, OpenMode::Create),
        }
    }
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
    waker: std::sync::Arc<dyn crate::worker::Waker>,
    reporter: &Reporter,
) -> Result<Opened, StoreError> {
    // The whole file is checked in the background once the first answer is shown.
    let mut workspace = match mode {
        OpenMode::Open => Workspace::open_checked_later(path),
        OpenMode::Create => Workspace::create(path),
        OpenMode::CreateDemo => {
            let spec = crate::demo::DemoSpec::standard(now);
            crate::cli::create_lived_in_demo(path, &spec, &mut |fraction, message| {
                reporter.report(Some(fraction), message)
            })
            .and_then(|()| Workspace::open_checked_later(path))
        }
    }?;
    watch::start_watching(&mut workspace)?;
    // The engine loads while the segments and counts are read (at ten million records
    // the counts alone take seconds); dropped with the job if that fails.
    let engine = EngineWorker::start(path.to_owned(), waker);
    reporter.report(None, "Reading segments and counts");
    let view = view::load_view(&workspace)?;
    let share_warning = crate::store::network_share_warning(path);
    Ok(Opened { workspace, view, share_warning, engine })
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
        .map_or_else(|| PathBuf::from("."), |dirs| dirs.data_dir().to_path_buf())
}
