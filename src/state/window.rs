//! The window's own commands: the workspace path dialog, closing and updating dialogs,
//! notices, cancelling jobs and quitting; their pure handling ([`apply`]) returns the
//! [`WindowEffect`]s the app carries out (file dialogs, the disk, jobs).

use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};

use super::effect::Effect;
use super::{AppState, Command, Dialog, NOTICE_SECONDS, Notice, NoticeLevel, PathPurpose};

/// What the window's commands ask the runner to do.
#[derive(Clone, Debug, PartialEq)]
pub enum WindowEffect {
    /// Show the workspace path dialog; a new workspace is offered a file in the data folder.
    ShowPathDialog(PathPurpose),
    /// Ask the desktop for a file for the path or export dialog; the typed path stays when
    /// there is none.
    BrowseForPath,
    /// Check the typed path on the disk (an existing file to open, a free name to create),
    /// then open or create it, or say what is wrong in the dialog.
    SubmitPath {
        purpose: PathPurpose,
        path: PathBuf,
    },
    /// Open (or create) the workspace at `path` in the background.
    Open {
        path: PathBuf,
        create: bool,
    },
    /// Cancel the impact the closed dialog waited for.
    CancelImpact,
    /// Cancel the running open, apply and export jobs.
    CancelJobs,
    /// Show a folder in the desktop's file manager.
    OpenFolder(PathBuf),
    /// Check the whole workspace file in the background; the result comes as a notice.
    CheckWorkspace,
    Quit,
}

/// Handles one of the window's commands (the others are not the window's: nothing happens).
pub fn apply(state: &mut AppState, command: Command) -> Vec<Effect> {
    let effect = |effect: WindowEffect| vec![Effect::Window(effect)];
    match command {
        Command::ShowPathDialog(purpose) => effect(WindowEffect::ShowPathDialog(purpose)),
        Command::SetDialogText(new_text) => {
            if let Some(
                Dialog::WorkspacePath { text, error, .. }
                | Dialog::ExportMembers { text, error, .. }
                | Dialog::ExportRecords { text, error, .. },
            ) = &mut state.dialog
            {
                *text = new_text;
                *error = None;
            }
            Vec::new()
        }
        Command::BrowseForPath => effect(WindowEffect::BrowseForPath),
        Command::SubmitPathDialog => {
            let Some(Dialog::WorkspacePath { purpose, text, error }) = &mut state.dialog else { return Vec::new() };
            if text.trim().is_empty() {
                *error = Some("Type the path of a workspace file".to_owned());
                return Vec::new();
            }
            effect(WindowEffect::SubmitPath { purpose: *purpose, path: PathBuf::from(text.trim()) })
        }
        // An apply runs to its end or its cancel; the dialog shows its progress.
        Command::CloseDialog if !matches!(&state.dialog, Some(Dialog::Impact(d)) if d.applying) => {
            state.dialog = None;
            effect(WindowEffect::CancelImpact)
        }
        Command::OpenWorkspace(path) => {
            state.dialog = None;
            effect(WindowEffect::Open { path, create: false })
        }
        Command::CreateWorkspace(path) => {
            state.dialog = None;
            effect(WindowEffect::Open { path, create: true })
        }
        Command::CancelJob => effect(WindowEffect::CancelJobs),
        Command::UpdateDialog(dialog) if state.dialog.is_some() => {
            state.dialog = Some(dialog);
            Vec::new()
        }
        Command::DismissNotice(id) => {
            state.notices.retain(|n| n.id != id);
            Vec::new()
        }
        Command::OpenFolder(folder) => effect(WindowEffect::OpenFolder(folder)),
        Command::CheckWorkspace if state.view.is_some() => effect(WindowEffect::CheckWorkspace),
        Command::Quit => effect(WindowEffect::Quit),
        // Not the window's (or refused above): `app` routes only the window's commands here.
        _ => Vec::new(),
    }
}

/// How many notices the window keeps; the oldest go first.
const NOTICES_KEPT: usize = 20;

/// Adds a notice: information expires after a few seconds, an error stays.
pub fn push_notice(state: &mut AppState, notice: Notice, now: Timestamp) {
    let expires = match notice.level {
        NoticeLevel::Info => now.checked_add(SignedDuration::from_secs(NOTICE_SECONDS)).ok(),
        NoticeLevel::Error => None,
    };
    state.notices.push(Notice { expires, ..notice });
    let excess = state.notices.len().saturating_sub(NOTICES_KEPT);
    state.notices.drain(..excess);
}

/// Drops the notices whose time is up; returns how long until the next one expires.
pub fn expire_notices(state: &mut AppState, now: Timestamp) -> Option<std::time::Duration> {
    state.notices.retain(|n| n.expires.is_none_or(|at| at > now));
    let next = state.notices.iter().filter_map(|n| n.expires).min()?;
    std::time::Duration::try_from(now.duration_until(next)).ok()
}
