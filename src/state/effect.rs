//! What handling a command asks of the world beyond the state.
//!
//! A screen's `apply(&mut AppState, command, &Context) -> Vec<Effect>` (without the context
//! when it needs no time) changes the state and returns effects; the runner (`app`) carries them out against the workspace, the workers
//! and the jobs. So the handling itself is pure: tested without SQLite, threads or sleeps
//! (`tests/commands.rs`), with the clock's time handed in through [`Context`].

use jiff::Timestamp;

use super::NoticeLevel;
use super::window::WindowEffect;

/// What a command's handling may know of the world: the time, read once from the clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Context {
    pub now: Timestamp,
}

/// Declares [`Effect`]: notices, the window's effects, and one variant per feature of the
/// registry (`super::features`), each with `From`.
macro_rules! define_effect {
    ($($variant:ident($module:ident, $command:ident, $effect:ident $(, screen $label:literal)?)),* $(,)?) => {
        /// One thing the runner does after a command changed the state.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Effect {
            /// Show a notice.
            Notify(NoticeLevel, String),
            /// File dialogs, opening workspaces, cancelling jobs and quitting.
            Window(WindowEffect),
            $($variant(super::$module::$effect),)*
        }

        $(impl From<super::$module::$effect> for Effect {
            fn from(effect: super::$module::$effect) -> Self {
                Effect::$variant(effect)
            }
        })*
    };
}

super::features::for_each_feature!(define_effect);
