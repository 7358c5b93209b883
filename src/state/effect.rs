//! What handling a command asks of the world beyond the state.
//!
//! A screen's `apply(&mut AppState, command, &Context) -> Vec<Effect>` (without the context
//! when it needs no time) changes the state and returns effects; the runner (`app`) carries them out against the workspace, the workers
//! and the jobs. So the handling itself is pure: tested without SQLite, threads or sleeps
//! (`tests/commands.rs`), with the clock's time handed in through [`Context`].

use jiff::Timestamp;

use super::NoticeLevel;
use super::definitions::DefinitionsEffect;
use super::import::ImportEffect;
use super::monitor::MonitorEffect;
use super::rules::RulesEffect;
use super::sellers::SellersEffect;
use super::sequences::SequencesEffect;
use super::settings::SettingsEffect;
use super::window::WindowEffect;

/// What a command's handling may know of the world: the time, read once from the clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Context {
    pub now: Timestamp,
}

/// One thing the runner does after a command changed the state.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Show a notice.
    Notify(NoticeLevel, String),
    /// File dialogs, opening workspaces, cancelling jobs and quitting.
    Window(WindowEffect),
    /// Store or read what the Sequences screen asked for.
    Sequences(SequencesEffect),
    /// Store or read what the Assignment rules tab asked for.
    Rules(RulesEffect),
    /// Store or read what the Sellers & teams screen asked for.
    Sellers(SellersEffect),
    /// Write or read the definitions bundle the dialog names.
    Definitions(DefinitionsEffect),
    /// Read, explain or assign what the Monitor asked for.
    Monitor(MonitorEffect),
    /// Pick, read or import the file the import dialog names.
    Import(ImportEffect),
    /// Read or write the workspace settings.
    Settings(SettingsEffect),
}
