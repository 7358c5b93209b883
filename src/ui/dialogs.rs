//! Modal dialogs: workspace path (open / create), confirmations.

use egui::RichText;

use crate::app::{AppState, Command, Dialog, PathPurpose};

use super::theme;

pub fn dialog_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let Some(dialog) = &state.dialog else { return };
    let modal = egui::Modal::new(egui::Id::unique("dialog")).show(ui.ctx(), |ui| {
        ui.set_width(480.0);
        match dialog {
            Dialog::WorkspacePath { purpose, text, error } => {
                path_dialog_ui(ui, *purpose, text, error.as_deref(), commands)
            }
            Dialog::ConfirmCreate { path } => {
                ui.heading("Create workspace?");
                ui.label(format!("There is no workspace at {}.", path.display()));
                ui.label("Create a new, empty workspace there?");
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    if ui.button("Create workspace").clicked() {
                        commands.push(Command::CreateWorkspace(path.clone()));
                    }
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::CloseDialog);
                    }
                });
            }
            Dialog::ConfirmDeleteRecord { record_type, id, title } => {
                ui.heading("Delete record?");
                ui.label(format!("\"{title}\" (#{id}) will be deleted. This cannot be undone."));
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    if ui.button("Delete").clicked() {
                        commands.push(Command::DeleteRecord { record_type: record_type.clone(), id: *id });
                    }
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::CloseDialog);
                    }
                });
            }
        }
    });
    if modal.should_close() {
        commands.push(Command::CloseDialog);
    }
}

fn path_dialog_ui(
    ui: &mut egui::Ui,
    purpose: PathPurpose,
    text: &str,
    error: Option<&str>,
    commands: &mut Vec<Command>,
) {
    let (title, action) = match purpose {
        PathPurpose::Open => ("Open workspace", "Open"),
        PathPurpose::Create => ("New workspace", "Create"),
    };
    ui.heading(title);
    ui.label("Workspace file");
    ui.horizontal(|ui| {
        let mut path = text.to_owned();
        let response =
            ui.add(egui::TextEdit::singleline(&mut path).hint_text("/path/to/workspace.sqlite").desired_width(360.0));
        if response.changed() {
            commands.push(Command::SetDialogText(path));
        }
        if response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            commands.push(Command::SubmitPathDialog);
        }
        if ui.button("Browse…").clicked() {
            commands.push(Command::BrowseForPath);
        }
    });
    if let Some(error) = error {
        ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
    }
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        if ui.button(action).clicked() {
            commands.push(Command::SubmitPathDialog);
        }
        if ui.button("Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}
