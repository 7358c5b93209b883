//! The segment's Assignment rules tab and the rule editor.

use egui::RichText;

use crate::app::state::WorkspaceView;
use crate::app::{AppState, Command};
use crate::domain::Segment;

pub fn rules_tab_ui(
    ui: &mut egui::Ui,
    _state: &AppState,
    _view: &WorkspaceView,
    _segment: &Segment,
    _commands: &mut Vec<Command>,
) {
    ui.label(RichText::new("This segment has no assignment rules yet").weak());
}
