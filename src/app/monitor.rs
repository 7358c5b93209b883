//! The Monitor screen: unassigned and processed records, Run now, manual assignment and
//! "Why this seller?".

use super::App;

/// What the monitor panels show beyond the workspace view.
#[derive(Debug, Default)]
pub struct MonitorState {}

#[derive(Clone, Debug, PartialEq)]
pub enum MonitorCommand {}

impl App {
    pub(super) fn apply_monitor(&mut self, command: MonitorCommand) {
        match command {}
    }
}
