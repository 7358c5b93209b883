//! File → "Export definitions…" / "Import definitions…" and their dialog: the file, then
//! for an import either the problems found (nothing was imported) or the names the
//! workspace has already with the choice skip / replace / rename.

use egui::RichText;

use crate::interchange::definitions_plan::OnClash;
use crate::state::definitions::{DefinitionsCommand, DefinitionsDialog, DefinitionsMode, DefinitionsStep};
use crate::state::{AppState, Command};

use super::theme;

/// The two File menu entries (only with a workspace open).
pub fn menu_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let open = state.view.is_some();
    if ui.add_enabled(open, egui::Button::new("Export definitions…")).clicked() {
        commands.push(Command::Definitions(DefinitionsCommand::Show(DefinitionsMode::Export)));
    }
    if ui.add_enabled(open, egui::Button::new("Import definitions…")).clicked() {
        commands.push(Command::Definitions(DefinitionsCommand::Show(DefinitionsMode::Import)));
    }
}

pub fn dialog_ui(ui: &mut egui::Ui, dialog: &DefinitionsDialog, commands: &mut Vec<Command>) {
    let command = Command::Definitions;
    let (title, action) = match dialog.mode {
        DefinitionsMode::Export => ("Export definitions", "Export"),
        DefinitionsMode::Import => ("Import definitions", "Import"),
    };
    ui.heading(title);
    match &dialog.step {
        DefinitionsStep::Path => {
            ui.label(
                RichText::new(
                    "Record types and fields, seller attributes, sellers, teams, sequences, segments and their rules",
                )
                .weak(),
            );
            let label = ui.label("Definitions file (.ron)");
            let mut path = dialog.text.clone();
            let response = ui
                .add(egui::TextEdit::singleline(&mut path).hint_text("/path/to/definitions.ron").desired_width(440.0))
                .labelled_by(label.id);
            if response.changed() {
                commands.push(command(DefinitionsCommand::SetPath(path)));
            }
            if response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                commands.push(command(DefinitionsCommand::Submit));
            }
            super::dialogs::submit_row_ui(
                ui,
                dialog.error.as_deref(),
                action,
                command(DefinitionsCommand::Submit),
                commands,
            );
        }
        DefinitionsStep::Clashes(clashes) => {
            ui.label(format!(
                "{} of the file's definitions have names the workspace has already. What should happen to them?",
                clashes.len()
            ));
            list_ui(ui, clashes, false);
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                for (policy, label) in [
                    (OnClash::Skip, "Skip them"),
                    (OnClash::Replace, "Replace them"),
                    (OnClash::Rename, "Import renamed"),
                ] {
                    if ui.button(label).clicked() {
                        commands.push(command(DefinitionsCommand::Import(policy)));
                    }
                }
                if ui.button("Cancel").clicked() {
                    commands.push(Command::CloseDialog);
                }
            });
            ui.label(
                RichText::new(
                    "Skip keeps the workspace's; replace overwrites them in place; renamed imports \"Name (2)\"",
                )
                .weak(),
            );
        }
        DefinitionsStep::ConfirmReplace(path) => super::dialogs::replace_ui(
            ui,
            path,
            command(DefinitionsCommand::Replace),
            command(DefinitionsCommand::Back),
            commands,
        ),
        DefinitionsStep::Problems(problems) => {
            ui.label(format!("Nothing was imported: {} problem(s) in the file", problems.len()));
            list_ui(ui, problems, true);
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.button("Back").clicked() {
                    commands.push(command(DefinitionsCommand::Back));
                }
                if ui.button("Close").clicked() {
                    commands.push(Command::CloseDialog);
                }
            });
        }
    }
}

fn list_ui(ui: &mut egui::Ui, lines: &[String], errors: bool) {
    egui::ScrollArea::vertical().max_height(240.0).auto_shrink([false, true]).show(ui, |ui| {
        for line in lines {
            let text = RichText::new(format!("• {line}"));
            ui.label(if errors { text.color(theme::error_colour(ui.visuals())) } else { text });
        }
    });
}
