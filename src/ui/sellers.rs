//! The Sellers & teams screen.

use crate::app::state::WorkspaceView;
use crate::app::{AppState, Command};

pub fn screen_ui(ui: &mut egui::Ui, _state: &AppState, _view: &WorkspaceView, _commands: &mut Vec<Command>) {
    egui::CentralPanel::default().show(ui, |ui| {
        ui.heading("Sellers & teams");
    });
}
