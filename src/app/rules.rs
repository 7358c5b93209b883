//! The segment's Assignment rules tab and the rule editor.

use super::App;

/// What the rules panels show beyond the workspace view.
#[derive(Debug, Default)]
pub struct RulesState {}

#[derive(Clone, Debug, PartialEq)]
pub enum RulesCommand {}

impl App {
    pub(super) fn apply_rules(&mut self, command: RulesCommand) {
        match command {}
    }
}
