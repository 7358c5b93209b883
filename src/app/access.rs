//! What the window says about the workspace file itself: opened for viewing only because
//! its file or folder cannot be written, or on a network share where SQLite's locking is
//! not reliable. One line in the status bar; a network share is also said once as a notice.

use super::{App, NoticeLevel};

impl App {
    /// After a workspace was opened: the status line (and the notice) for its file.
    pub(super) fn show_access(&mut self, share_warning: Option<String>) {
        let read_only = self.workspace.as_ref().and_then(|w| w.read_only_reason());
        self.state.access_line = read_only.map(|reason| format!("Read-only: {reason}"));
        if let Some(warning) = share_warning {
            self.notify(NoticeLevel::Info, warning.clone());
            self.state.access_line.get_or_insert(warning);
        }
    }
}
