//! The panels. Each draws from `&AppState` and pushes `Command`s; none holds a connection,
//! a thread or domain data of its own.

mod builder;
mod definitions;
mod dialogs;
mod explain;
mod lint;
mod load;
mod monitor;
mod overlap;
mod preview;
mod records;
mod rules;
mod segments;
mod sellers;
mod sequences;
mod settings;
mod simulate;
mod sizes;
pub mod theme;
mod worklist;

use crate::state::RecordsCommand;
use egui::{Align, Layout, RichText};

use crate::state::{AppState, Command, NOTICES_SHOWN, NoticeLevel, PathPurpose, Screen, WorkspaceView};

/// Declares `screen_ui`: the panel of the current screen, `segments::screen_ui` or the
/// `screen_ui` of the feature's module (`state::features`).
macro_rules! define_screen_ui {
    ($($variant:ident($module:ident, $command:ident, $effect:ident $(, screen $label:literal)?)),* $(,)?) => {
        fn screen_ui(ui: &mut egui::Ui, state: &AppState, view: &WorkspaceView, commands: &mut Vec<Command>) {
            match state.screen {
                Screen::Segments => segments::screen_ui(ui, state, view, commands),
                $($(Screen::$variant => screen_of!($module, $label)(ui, state, view, commands),)?)*
            }
        }
    };
}

/// The `screen_ui` of a feature's module, for a feature with a tab label.
macro_rules! screen_of {
    ($module:ident, $label:literal) => {
        $module::screen_ui
    };
}

crate::state::for_each_feature!(define_screen_ui);

/// The whole window.
pub fn root_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    shortcuts(ui, commands);
    egui::Panel::top("menu_bar").show(ui, |ui| menu_bar_ui(ui, state, commands));
    egui::Panel::bottom("status_bar").show(ui, |ui| status_bar_ui(ui, state, commands));
    match &state.view {
        None => {
            egui::CentralPanel::default().show(ui, |ui| welcome_ui(ui, state, commands));
        }
        Some(view) => {
            explain::panel_ui(ui, state, view, commands);
            screen_ui(ui, state, view, commands);
            records::record_form_ui(ui, state, view, commands);
        }
    }
    rules::rule_overlays_ui(ui, state, commands);
    dialogs::dialog_ui(ui, state, commands);
    settings::dialog_ui(ui.ctx(), state, commands);
    monitor::why_window_ui(ui.ctx(), state, commands);
    notices_ui(ui, state, commands);
}

fn shortcuts(ui: &egui::Ui, commands: &mut Vec<Command>) {
    use egui::{Key, KeyboardShortcut, Modifiers};
    let open = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
    let new = KeyboardShortcut::new(Modifiers::COMMAND, Key::N);
    let quit = KeyboardShortcut::new(Modifiers::COMMAND, Key::Q);
    ui.input_mut(|input| {
        if input.consume_shortcut(&open) {
            commands.push(Command::ShowPathDialog(PathPurpose::Open));
        }
        if input.consume_shortcut(&new) {
            commands.push(Command::ShowPathDialog(PathPurpose::Create));
        }
        if input.consume_shortcut(&quit) {
            commands.push(Command::Quit);
        }
    });
}

/// The theme (the system's by default) and the zoom (Ctrl+= / Ctrl+- / Ctrl+0). Both are
/// egui's own options, kept with the window's memory between sessions.
fn view_menu_ui(ui: &mut egui::Ui) {
    ui.label(RichText::new("Theme").weak());
    let mut preference = ui.options(|o| o.theme_preference);
    let before = preference;
    ui.radio_value(&mut preference, egui::ThemePreference::System, "Follow the system");
    ui.radio_value(&mut preference, egui::ThemePreference::Light, "Light");
    ui.radio_value(&mut preference, egui::ThemePreference::Dark, "Dark");
    if preference != before {
        ui.ctx().set_theme(preference);
    }
    ui.separator();
    egui::gui_zoom::zoom_menu_buttons(ui);
    ui.label(RichText::new(format!("Zoom {:.0} %", ui.ctx().zoom_factor() * 100.0)).weak());
}

fn menu_bar_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| {
            if ui.button("New workspace…").clicked() {
                commands.push(Command::ShowPathDialog(PathPurpose::Create));
            }
            if ui.button("Open…").clicked() {
                commands.push(Command::ShowPathDialog(PathPurpose::Open));
            }
            ui.menu_button("Open recent", |ui| {
                if state.recent.is_empty() {
                    ui.label(RichText::new("No recent workspaces").weak());
                }
                for path in &state.recent {
                    if ui.button(path.display().to_string()).clicked() {
                        commands.push(Command::OpenWorkspace(path.clone()));
                    }
                }
            });
            if ui.add_enabled(state.view.is_some(), egui::Button::new("Check workspace")).clicked() {
                commands.push(Command::CheckWorkspace);
            }
            ui.separator();
            definitions::menu_ui(ui, state, commands);
            settings::menu_ui(ui, state, commands);
            ui.separator();
            if ui.button("Quit").clicked() {
                commands.push(Command::Quit);
            }
        });
        ui.menu_button("View", view_menu_ui);
        ui.separator();
        if let Some(view) = &state.view {
            for &screen in Screen::ALL {
                if ui.selectable_label(state.screen == screen, screen.label()).clicked() {
                    commands.push(Command::ShowScreen(screen));
                }
            }
            ui.separator();
            let current = state.current_type().map_or("None", |t| t.plural_label.as_str());
            let label = ui.label("Record type");
            egui::ComboBox::from_id_salt("record_type_switcher")
                .selected_text(current)
                .show_ui(ui, |ui| {
                    for def in &view.schema.types {
                        let selected = state.record_type.as_ref() == Some(&def.name);
                        if ui.selectable_label(selected, &def.plural_label).clicked() {
                            commands.push(Command::SelectRecordType(def.name.clone()));
                        }
                    }
                    ui.separator();
                    if ui.button("New record type…").clicked() {
                        commands.push(Command::from(RecordsCommand::ShowAddRecordType));
                    }
                })
                .response
                .labelled_by(label.id);
        }
    });
}

fn status_bar_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        if let Some(job) = &state.job {
            ui.spinner();
            ui.label(&job.title);
            if let Some(fraction) = job.fraction {
                ui.add(egui::ProgressBar::new(fraction).desired_width(160.0).show_percentage());
            }
            if !job.message.is_empty() {
                ui.label(RichText::new(&job.message).weak());
            }
            if ui.button("Cancel").clicked() {
                commands.push(Command::CancelJob);
            }
        }
        match &state.view {
            Some(view) => {
                let counts: Vec<String> = view
                    .schema
                    .types
                    .iter()
                    .map(|t| {
                        format!("{} {}", theme::thousands(view.record_count(&t.name)), t.plural_label.to_lowercase())
                    })
                    .collect();
                if let Some(line) = &state.access_line {
                    ui.label(RichText::new(line).color(ui.visuals().warn_fg_color));
                }
                settings::evaluation_status_ui(ui, state);
                if let Some(line) = &state.watch_line {
                    ui.label(RichText::new(line).weak());
                }
                // Shortened rather than drawn over the lines on the left when the bar is narrow.
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    ui.add(egui::Label::new(RichText::new(counts.join(" · ")).weak()).truncate());
                    ui.add(egui::Label::new(view.path.display().to_string()).truncate());
                });
            }
            None if state.job.is_none() => {
                ui.label(RichText::new("No workspace open").weak());
            }
            None => {}
        }
    });
}

fn welcome_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() * 0.3);
        ui.heading("Segment Builder");
        ui.add_space(8.0);
        if let Some(job) = &state.job {
            ui.label(&job.title);
            match job.fraction {
                Some(fraction) => {
                    ui.add(egui::ProgressBar::new(fraction).desired_width(320.0).show_percentage());
                }
                None => {
                    ui.spinner();
                }
            }
            return;
        }
        ui.label("Open a workspace file, or create a new one");
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            let width = 260.0;
            ui.add_space((ui.available_width() - width).max(0.0) / 2.0);
            if ui.button("Open workspace…").clicked() {
                commands.push(Command::ShowPathDialog(PathPurpose::Open));
            }
            if ui.button("Create workspace…").clicked() {
                commands.push(Command::ShowPathDialog(PathPurpose::Create));
            }
        });
    });
}

/// The newest notices in the bottom right corner, the others behind an "n more" line.
fn notices_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    if state.notices.is_empty() {
        return;
    }
    let waiting = state.notices.len().saturating_sub(NOTICES_SHOWN);
    egui::Area::new(egui::Id::unique("notices"))
        .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -36.0))
        .order(egui::Order::Foreground)
        .show(ui.ctx(), |ui| {
            if waiting > 0 {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    ui.weak(format!("{waiting} more"));
                });
            }
            for notice in state.notices.iter().skip(waiting) {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    ui.set_max_width(420.0);
                    ui.horizontal(|ui| {
                        let text = RichText::new(&notice.text);
                        let text = match notice.level {
                            NoticeLevel::Error => text.color(theme::error_colour(ui.visuals())),
                            NoticeLevel::Info => text,
                        };
                        ui.add(egui::Label::new(text).wrap());
                        if let Some(folder) = &notice.folder
                            && ui.small_button("Open folder").clicked()
                        {
                            commands.push(Command::OpenFolder(folder.clone()));
                        }
                        if ui.small_button("Dismiss").clicked() {
                            commands.push(Command::DismissNotice(notice.id));
                        }
                    });
                });
            }
        });
}
