//! The Records screen: every record of the chosen type in a virtualized, sortable table
//! with a text filter, and the add / edit form.

use crate::state::RecordsCommand;
use crate::state::SegmentsCommand;
use egui::{RichText, Sense};
use egui_extras::{Column, TableBuilder};

use crate::domain::format::{format_value, parse_date};
use crate::state::import::ImportCommand;
use crate::state::{AppState, Command};
use crate::state::{RecordEditor, WorkspaceView};
use std::collections::HashMap;

use crate::domain::query::SortDirection;
use crate::domain::{FieldDef, FieldKind, RecordId, RecordTypeDef, RecordTypeName, Value};

use super::theme::{self, thousands};

/// Rows fetched beyond the visible ones, so scrolling rarely shows placeholders.
const PREFETCH_ROWS: usize = 60;

pub fn screen_ui(ui: &mut egui::Ui, state: &AppState, view: &WorkspaceView, commands: &mut Vec<Command>) {
    let Some(def) = state.current_type() else { return };
    shortcuts(ui, state, commands);
    egui::CentralPanel::default().show(ui, |ui| {
        toolbar_ui(ui, state, view, def, commands);
        super::sequences::record_enrolment_ui(ui, state, view);
        ui.separator();
        table_ui(ui, state, view, def, commands);
    });
}

/// The record form, over whichever screen opened it.
pub fn record_form_ui(ui: &mut egui::Ui, state: &AppState, view: &WorkspaceView, commands: &mut Vec<Command>) {
    if let Some(editor) = &state.records.editor {
        editor_ui(ui, state, view, editor, commands);
    }
}

fn toolbar_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    def: &RecordTypeDef,
    commands: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        ui.heading(&def.plural_label);
        let mut filter = state.records.query.filter.clone();
        let label = ui.label("Filter");
        let response = ui.add(
            egui::TextEdit::singleline(&mut filter).hint_text("Text in any text or choice field").desired_width(260.0),
        );
        if response.labelled_by(label.id).changed() {
            commands.push(Command::from(RecordsCommand::SetFilter(filter)));
        }
        if ui.button(format!("Add {}…", def.label.to_lowercase())).clicked() {
            commands.push(Command::from(RecordsCommand::StartAdd));
        }
        let undo = egui::Button::new("Undo");
        let response = ui.add_enabled(state.undo.is_some(), undo);
        if let Some(what) = &state.undo {
            let response = response.on_hover_text(format!("{what} (Ctrl+Z)"));
            if response.clicked() {
                commands.push(Command::from(RecordsCommand::Undo));
            }
        }
        if ui.button("Add field…").clicked() {
            commands.push(Command::from(RecordsCommand::ShowAddField));
        }
        if ui.button("Import CSV…").on_hover_text("Add or update records from a CSV file").clicked() {
            commands.push(Command::Import(ImportCommand::Show));
        }
        if ui.button("Export CSV…").on_hover_text("The records passing the filter, in the table's order").clicked() {
            commands.push(Command::Segments(SegmentsCommand::ShowExportRecords));
        }
        let selected = state.records.selected;
        if ui.add_enabled(selected.is_some(), egui::Button::new("Edit…")).clicked()
            && let Some(id) = selected
        {
            commands.push(Command::from(RecordsCommand::StartEdit(id)));
        }
        if ui.add_enabled(selected.is_some(), egui::Button::new("Delete…")).clicked()
            && let Some(id) = selected
        {
            commands.push(Command::from(RecordsCommand::AskDelete(id)));
        }
        if ui
            .add_enabled(selected.is_some(), egui::Button::new("Why this seller?"))
            .on_hover_text("The assignment rules and sellers for the selected record")
            .clicked()
            && let Some(id) = selected
        {
            commands.push(Command::Monitor(crate::state::monitor::MonitorCommand::ShowWhy {
                record_type: def.name.clone(),
                record: id,
            }));
        }
        if ui
            .add_enabled(selected.is_some(), egui::Button::new(super::explain::EXPLAIN))
            .on_hover_text("Why the selected record is or is not in each segment, its seller, and its history")
            .clicked()
            && let Some(id) = selected
        {
            commands.push(Command::Explain(crate::state::explain::ExplainCommand::Open(def.name.clone(), id)));
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let total = view.record_count(&def.name);
            let text = match state.records.ids.latest() {
                Some(ids) if state.records.query.filter.trim().is_empty() => {
                    format!("{} records", thousands(ids.len() as u64))
                }
                Some(ids) => format!("{} of {} records", thousands(ids.len() as u64), thousands(total)),
                None => format!("{} records", thousands(total)),
            };
            ui.label(text);
            if state.records.ids.is_pending() {
                ui.spinner();
            }
            if let crate::state::Loadable::Failed { error, .. } = &state.records.ids {
                ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
            }
        });
    });
}

fn table_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    def: &RecordTypeDef,
    commands: &mut Vec<Command>,
) {
    let empty = Vec::new();
    let ids = state.records.ids.latest().unwrap_or(&empty);
    if ids.is_empty() && !state.records.ids.is_pending() {
        ui.add_space(24.0);
        ui.vertical_centered(|ui| {
            if state.records.query.filter.trim().is_empty() {
                ui.label(RichText::new(format!("No {} yet", def.plural_label.to_lowercase())).strong());
                ui.label(RichText::new(format!("Add one with \"Add {}…\"", def.label.to_lowercase())).weak());
            } else {
                ui.label(RichText::new(format!("No {} match the filter", def.plural_label.to_lowercase())).weak());
            }
        });
        return;
    }
    let dimmed = state.records.ids.is_pending();
    egui::ScrollArea::horizontal().auto_shrink(false).show(ui, |ui| {
        table_body_ui(ui, state, view, def, ids, dimmed, commands);
    });
}

fn table_body_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    def: &RecordTypeDef,
    ids: &[crate::domain::RecordId],
    dimmed: bool,
    commands: &mut Vec<Command>,
) {
    let mut visible = (usize::MAX, 0usize);
    let mut table = TableBuilder::new(ui)
        .id_salt(def.name.as_str())
        .striped(true)
        .sense(Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::exact(64.0));
    for field in &def.fields {
        table = table.column(Column::initial(column_width(field)).at_least(40.0).clip(true).resizable(true));
    }
    table
        .header(theme::ROW_HEIGHT, |mut header| {
            header.col(|ui| {
                ui.label(RichText::new("Id").strong());
            });
            for field in &def.fields {
                header.col(|ui| {
                    let arrow = match &state.records.query.sort {
                        Some((sorted, SortDirection::Ascending)) if sorted == &field.name => " ⏶",
                        Some((sorted, SortDirection::Descending)) if sorted == &field.name => " ⏷",
                        _ => "",
                    };
                    let button =
                        egui::Button::new(RichText::new(format!("{}{arrow}", field.label)).strong()).frame(false);
                    if ui.add(button).on_hover_text("Sort by this column").clicked() {
                        commands.push(Command::from(RecordsCommand::SortBy(field.name.clone())));
                    }
                });
            }
        })
        .body(|body| {
            body.rows(theme::ROW_HEIGHT, ids.len(), |mut row| {
                let index = row.index();
                let Some(&id) = ids.get(index) else { return };
                visible = (visible.0.min(index), visible.1.max(index));
                row.set_selected(state.records.selected == Some(id));
                let record = state.records.rows.get(&id);
                row.col(|ui| {
                    ui.label(RichText::new(id.to_string()).weak());
                });
                for (field_index, field) in def.fields.iter().enumerate() {
                    row.col(|ui| match record {
                        Some(record) => {
                            let text = cell_text(view, &state.records.titles, field, record.values.get(field_index));
                            let text = if dimmed { RichText::new(text).weak() } else { RichText::new(text) };
                            ui.add(egui::Label::new(text).truncate().selectable(false));
                        }
                        None => {
                            ui.label(RichText::new("…").weak());
                        }
                    });
                }
                let response = row.response();
                if response.clicked() {
                    commands.push(Command::from(RecordsCommand::Select(id)));
                }
                if response.double_clicked() {
                    commands.push(Command::from(RecordsCommand::StartEdit(id)));
                }
            });
        });
    if visible.0 <= visible.1 {
        let from = visible.0.saturating_sub(PREFETCH_ROWS);
        let to = (visible.1 + PREFETCH_ROWS).min(ids.len().saturating_sub(1));
        let missing: Vec<_> =
            ids[from..=to].iter().copied().filter(|id| !state.records.rows.contains_key(id)).collect();
        if !missing.is_empty() {
            commands.push(Command::from(RecordsCommand::FetchRows(missing)));
        }
    }
}

pub(super) fn column_width(field: &FieldDef) -> f32 {
    match field.kind {
        FieldKind::YesNo => 70.0,
        FieldKind::WholeNumber | FieldKind::Decimal | FieldKind::Money => 100.0,
        FieldKind::Date => 90.0,
        FieldKind::DateTime => 130.0,
        FieldKind::Choice | FieldKind::Owner => 120.0,
        FieldKind::Lookup => 160.0,
        FieldKind::Text => 150.0,
    }
}

/// What a table cell or a form shows for a value: seller names for owners, titles for
/// lookups, the formatted value otherwise.
pub(super) fn cell_text(
    view: &WorkspaceView,
    titles: &HashMap<(RecordTypeName, RecordId), String>,
    field: &FieldDef,
    value: Option<&Value>,
) -> String {
    match value {
        Some(Value::Owner(id)) => view.seller(*id).map_or_else(|| format!("seller #{}", id.0), |s| s.name.clone()),
        Some(Value::Lookup(id)) => field
            .lookup_target
            .as_ref()
            .and_then(|target| titles.get(&(target.clone(), *id)))
            .cloned()
            .unwrap_or_else(|| format!("#{id}")),
        Some(value) => format_value(value, &view.time_zone),
        None => String::new(),
    }
}

fn editor_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    editor: &RecordEditor,
    commands: &mut Vec<Command>,
) {
    let Some(def) = view.record_type(&editor.record_type) else { return };
    let title = match editor.id {
        Some(id) => format!("Edit {} #{id}", def.label.to_lowercase()),
        None => format!("New {}", def.label.to_lowercase()),
    };
    let modal = egui::Modal::new(egui::Id::unique("record_editor")).show(ui.ctx(), |ui| {
        ui.set_width(560.0);
        ui.heading(&title);
        ui.add_space(4.0);
        let max_height = (ui.ctx().content_rect().height() - 200.0).max(200.0);
        egui::ScrollArea::vertical().max_height(max_height).show(ui, |ui| {
            egui::Grid::new("record_editor_grid").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
                for (index, field) in def.fields.iter().enumerate() {
                    let input = editor.inputs.get(index).map(String::as_str).unwrap_or_default();
                    let label = ui.label(&field.label);
                    ui.push_id(index, |ui| {
                        ui.vertical(|ui| {
                            field_editor_ui(ui, state, view, field, index, input, label.id, commands);
                            if let Some(Some(problem)) = editor.problems.get(index) {
                                ui.label(RichText::new(problem).small().color(theme::error_colour(ui.visuals())));
                            }
                        });
                    });
                    ui.end_row();
                }
            });
        });
        ui.separator();
        if let Some(error) = &editor.save_error {
            ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
        }
        ui.horizontal(|ui| {
            if ui.add_enabled(!editor.has_problems(), egui::Button::new("Save")).clicked() {
                commands.push(Command::from(RecordsCommand::Save));
            }
            if ui.button("Cancel").clicked() {
                commands.push(Command::from(RecordsCommand::CancelEdit));
            }
        });
    });
    if modal.should_close() {
        commands.push(Command::from(RecordsCommand::CancelEdit));
    }
}

#[allow(clippy::too_many_arguments)]
fn field_editor_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    field: &FieldDef,
    index: usize,
    input: &str,
    label: egui::Id,
    commands: &mut Vec<Command>,
) {
    let mut set = |text: String| commands.push(Command::from(RecordsCommand::SetInput { index, text }));
    let width = 300.0;
    match field.kind {
        FieldKind::YesNo | FieldKind::Choice | FieldKind::Owner => {
            let options: Vec<(String, String)> = match field.kind {
                FieldKind::YesNo => vec![("Yes".into(), "Yes".into()), ("No".into(), "No".into())],
                FieldKind::Choice => field.choices.iter().map(|c| (c.clone(), c.clone())).collect(),
                _ => view.sellers.iter().map(|s| (s.id.0.to_string(), s.name.clone())).collect(),
            };
            let shown = options.iter().find(|(value, _)| value == input).map_or(input, |(_, text)| text.as_str());
            egui::ComboBox::from_id_salt(field.name.as_str())
                .selected_text(if shown.is_empty() { "(empty)" } else { shown })
                .width(width)
                .show_ui(ui, |ui| {
                    if ui.selectable_label(input.is_empty(), "(empty)").clicked() {
                        set(String::new());
                    }
                    for (value, text) in &options {
                        if ui.selectable_label(input == value, text).clicked() {
                            set(value.clone());
                        }
                    }
                })
                .response
                .labelled_by(label);
        }
        FieldKind::Date => {
            ui.horizontal(|ui| {
                let mut text = input.to_owned();
                let response =
                    ui.add(egui::TextEdit::singleline(&mut text).hint_text("YYYY-MM-DD").desired_width(width - 40.0));
                if response.labelled_by(label).changed() {
                    set(text);
                }
                let mut date = parse_date(input.trim()).unwrap_or_else(|_| jiff::Zoned::now().date());
                let picker =
                    egui_extras::DatePickerButton::new(&mut date).id_salt(field.name.as_str()).combo_boxes(false);
                if ui.add(picker).changed() {
                    set(date.to_string());
                }
            });
        }
        _ => {
            let hint = match field.kind {
                FieldKind::DateTime => "YYYY-MM-DD HH:MM",
                FieldKind::WholeNumber => "Whole number",
                FieldKind::Decimal | FieldKind::Money => "Number",
                FieldKind::Lookup => "Record id",
                _ => "",
            };
            ui.horizontal(|ui| {
                let mut text = input.to_owned();
                let response = ui.add(egui::TextEdit::singleline(&mut text).hint_text(hint).desired_width(width));
                if response.labelled_by(label).changed() {
                    set(text);
                }
                if field.kind == FieldKind::Lookup
                    && let (Some(target), Ok(id)) =
                        (&field.lookup_target, input.trim().trim_start_matches('#').parse::<i64>())
                    && let Some(title) = state.records.titles.get(&(target.clone(), crate::domain::RecordId(id)))
                {
                    ui.label(RichText::new(title).weak());
                }
            });
        }
    }
}

/// Ctrl+Z undoes the last record edit, Enter edits the selected record and Delete asks to
/// delete it; only while no text field or dialog has the keyboard.
fn shortcuts(ui: &egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    use egui::{Key, KeyboardShortcut, Modifiers};
    if state.dialog.is_some() || state.records.editor.is_some() || ui.memory(|m| m.focused().is_some()) {
        return;
    }
    let undo = KeyboardShortcut::new(Modifiers::COMMAND, Key::Z);
    ui.input_mut(|input| {
        if input.consume_shortcut(&undo) && state.undo.is_some() {
            commands.push(Command::from(RecordsCommand::Undo));
        }
        if let Some(id) = state.records.selected {
            if input.consume_key(Modifiers::NONE, Key::Enter) {
                commands.push(Command::from(RecordsCommand::StartEdit(id)));
            }
            if input.consume_key(Modifiers::NONE, Key::Delete) {
                commands.push(Command::from(RecordsCommand::AskDelete(id)));
            }
        }
    });
}
