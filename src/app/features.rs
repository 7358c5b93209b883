//! The runner's side of the feature registry (`state::features`): each feature's
//! `impl Runner<ItsEffect> for App` carries out its effects, polls its jobs and says when it
//! is busy; the dispatch below is generated from the registry, so a registered feature
//! cannot be left out of any of them.

use super::{App, Command};
use crate::state::effect::Effect;

/// What the app does for one feature: carry out its effects, take what its background
/// work finished, and say whether that work is still running.
pub(super) trait Runner<E> {
    fn run(&mut self, effect: E);

    fn poll(&mut self) {}

    fn busy(&self) -> bool {
        false
    }
}

/// Declares `apply_now`, `run_effects`, `poll_features` and `features_busy` for the
/// features of the registry, beside the commands the app handles itself.
macro_rules! define_dispatch {
    ($($variant:ident($module:ident, $command:ident, $effect:ident $(, screen $label:literal)?)),* $(,)?) => {
        impl App {
            /// Routes one command: a feature's to its pure `apply`, whose effects are then
            /// carried out; the window's, the segments' and the builder's to their files.
            pub(super) fn apply_now(&mut self, command: Command) {
                match command {
                    $(Command::$variant(command) => {
                        let ctx = self.context();
                        let effects = crate::state::$module::apply(&mut self.state, command, &ctx);
                        self.run_effects(effects);
                    })*
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
                    | Command::OpenFolder { .. }
                    | Command::CheckWorkspace
                    | Command::Quit) => self.apply_window(command),
                    Command::ShowScreen(screen) => self.show_screen(screen),
                    Command::SelectRecordType(name) => self.select_record_type(name),
                }
            }

            /// Carries out what pure command handling asked for, in order.
            pub(super) fn run_effects(&mut self, effects: Vec<Effect>) {
                for effect in effects {
                    match effect {
                        Effect::Notify(level, text) => self.notify(level, text),
                        Effect::Window(effect) => self.run_window_effect(effect),
                        $(Effect::$variant(effect) => {
                            <Self as Runner<crate::state::$module::$effect>>::run(self, effect);
                        })*
                    }
                }
            }

            /// Takes what every feature's background work finished.
            pub(super) fn poll_features(&mut self) {
                $(<Self as Runner<crate::state::$module::$effect>>::poll(self);)*
            }

            /// Whether any feature's background work is still running.
            pub(super) fn features_busy(&self) -> bool {
                false $(|| <Self as Runner<crate::state::$module::$effect>>::busy(self))*
            }
        }
    };
}

crate::state::for_each_feature!(define_dispatch);
