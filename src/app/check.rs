//! Checking the whole workspace file (`PRAGMA quick_check`, [`Workspace::check`]) in the
//! background: once after every open, when the first preview has answered (the window
//! opens without it, see [`Workspace::open_checked_later`]; pages a receipt vouches for are
//! not checked again, see [`Workspace::check_unless_unchanged`]), and on demand from the
//! File menu's "Check workspace", always whole. A damaged file is said in an error notice;
//! a check asked for says its result either way.

use std::path::PathBuf;

use crate::store::{StoreError, Workspace};
use crate::worker::jobs::{Job, Poll};

use super::{App, EngineStatus, NoticeLevel};

/// The check of the open workspace: due after an open, or running.
#[derive(Default)]
pub(super) struct CheckSlot {
    /// The workspace opened without its check: it runs once the first answer is shown.
    due: Option<PathBuf>,
    running: Option<Running>,
}

struct Running {
    path: PathBuf,
    /// Asked for from the menu: the result is said also when all is well.
    asked: bool,
    job: Job<Result<(), StoreError>>,
}

impl CheckSlot {
    /// Whether a check is running.
    pub fn is_busy(&self) -> bool {
        self.running.is_some()
    }
}

impl App {
    /// After opening `path` without its check: the check is due.
    pub(super) fn check_when_answered(&mut self, path: PathBuf) {
        self.jobs.check.due = Some(path);
    }

    /// "Check workspace": checks the open workspace now (unless a check already runs).
    pub(super) fn check_workspace(&mut self) {
        let Some(path) = self.state.view.as_ref().map(|v| v.path.clone()) else {
            self.notify(NoticeLevel::Error, "Open a workspace first");
            return;
        };
        if let Some(running) = &mut self.jobs.check.running {
            running.asked = true;
            return;
        }
        self.jobs.check.due = None;
        self.notify(NoticeLevel::Info, format!("Checking {} in the background…", path.display()));
        self.start_check(path, true);
    }

    fn start_check(&mut self, path: PathBuf, asked: bool) {
        let checked = path.clone();
        // The check after opening trusts a receipt of the same pages; one asked for does not.
        let job = Job::spawn("Checking the workspace", self.waker(), move |_| {
            if asked { Workspace::check(&checked) } else { Workspace::check_unless_unchanged(&checked).map(drop) }
        });
        self.jobs.check.running = Some(Running { path, asked, job });
    }

    /// Starts the due check once the engine answered (or failed) and the first preview is
    /// in; takes the result of a running one.
    pub(super) fn poll_check(&mut self) {
        let answered = !matches!(self.state.engine, EngineStatus::Loading { .. })
            && (self.state.preview.segment.is_none() || !self.state.preview.result.is_pending());
        if answered
            && self.jobs.check.running.is_none()
            && let Some(path) = self.jobs.check.due.take()
        {
            self.start_check(path, false);
        }
        let Some(running) = &self.jobs.check.running else { return };
        let outcome = match running.job.poll() {
            Poll::Running(_) => return,
            Poll::Done(outcome) => outcome,
            Poll::Lost => Err(StoreError::Invalid("the check stopped unexpectedly".to_owned())),
        };
        let Some(Running { path, asked, .. }) = self.jobs.check.running.take() else { return };
        // A check of a workspace no longer open says nothing.
        if self.state.view.as_ref().is_none_or(|v| v.path != path) {
            return;
        }
        match outcome {
            Ok(()) if asked => self.notify(NoticeLevel::Info, format!("{}: no problems found", path.display())),
            Ok(()) => {}
            Err(error @ StoreError::Corrupt { .. }) => self.notify(
                NoticeLevel::Error,
                format!("{error}. Changes may fail or be lost: close it and restore a copy"),
            ),
            Err(error) => self.notify(NoticeLevel::Error, format!("The workspace could not be checked: {error}")),
        }
    }
}
