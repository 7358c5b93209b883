//! The live preview: how many records the selected segment (as edited) matches, how many
//! of those higher segments claim, and a table of the first matching records, sortable,
//! with columns the user picks and the claiming segment of claimed rows. The last result
//! stays visible, dimmed, while a newer one is computed.

use crate::state::ConditionsCommand;
use crate::state::RecordsCommand;
use egui::{RichText, Sense};
use egui_extras::{Column, TableBuilder};

use crate::domain::{RecordId, RecordTypeDef, Segment};
use crate::state::PreviewOutcome;
use crate::state::WorkspaceView;
use crate::state::{AppState, Command, EngineStatus, Loadable};

use super::records::{cell_text, column_width};
use super::theme::{self, thousands};

pub fn preview_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    def: &RecordTypeDef,
    selected: Option<&Segment>,
    commands: &mut Vec<Command>,
) {
    ui.add_space(4.0);
    ui.heading("Preview");
    ui.separator();
    let total = view.record_count(&def.name);
    ui.label(
        RichText::new(format!("{} {} in the workspace", thousands(total), def.plural_label.to_lowercase())).weak(),
    );
    let Some(segment) = selected else { return };
    match &state.engine {
        EngineStatus::Off => return,
        EngineStatus::Loading { fraction, message } => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(message);
            });
            if let Some(fraction) = fraction {
                ui.add(egui::ProgressBar::new(*fraction).show_percentage());
            }
            return;
        }
        EngineStatus::Failed(error) => {
            ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
            return;
        }
        EngineStatus::Ready { .. } => {}
    }
    let preview = &state.preview;
    if preview.segment != Some(segment.id) {
        return;
    }
    if let Loadable::Failed { error, .. } = &preview.result {
        ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
    }
    if let Some(reason) = &preview.stale_because {
        ui.label(RichText::new(reason).color(ui.visuals().warn_fg_color));
    }
    let Some(outcome) = preview.result.latest() else {
        ui.spinner();
        return;
    };
    let dimmed = preview.result.is_pending() || preview.stale_because.is_some();
    let text = |s: String| if dimmed { RichText::new(s).weak() } else { RichText::new(s) };
    ui.add_space(4.0);
    egui::Grid::new("preview_counts").num_columns(2).spacing([12.0, 4.0]).show(ui, |ui| {
        ui.label("Match the conditions");
        ui.label(text(thousands(outcome.matches as u64)).strong());
        ui.end_row();
        ui.label("Claimed by higher segments");
        ui.label(text(thousands(outcome.claimed_by_higher as u64)));
        ui.end_row();
        ui.label("Would join");
        ui.label(text(thousands(outcome.would_join as u64)).strong());
        ui.end_row();
    });
    ui.horizontal(|ui| {
        let busy = if preview.result.is_pending() { " · updating…" } else { "" };
        ui.label(RichText::new(format!("Computed in {:.1} ms{busy}", outcome.elapsed_ms)).small().weak());
    });
    ui.separator();
    ui.horizontal(|ui| {
        let heading = format!("{} matching {}", thousands(outcome.matches as u64), def.plural_label.to_lowercase());
        ui.label(RichText::new(heading).strong());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            columns_menu_ui(ui, state, def, commands);
        });
    });
    if outcome.order.is_empty() {
        ui.label(RichText::new("No records match").weak());
        return;
    }
    egui::ScrollArea::horizontal().auto_shrink(false).show(ui, |ui| {
        table_ui(ui, state, view, def, outcome, dimmed, commands);
    });
}

fn columns_menu_ui(ui: &mut egui::Ui, state: &AppState, def: &RecordTypeDef, commands: &mut Vec<Command>) {
    let columns = state.preview.columns_for(def);
    ui.menu_button("Columns…", |ui| {
        egui::ScrollArea::vertical().max_height(360.0).show(ui, |ui| {
            for field in def.fields.iter().filter(|f| f.name != def.primary_field) {
                let mut shown = columns.contains(&field.name);
                if ui.checkbox(&mut shown, &field.label).changed() {
                    commands.push(Command::Conditions(ConditionsCommand::TogglePreviewColumn(field.name.clone())));
                }
            }
        });
    });
}

fn claimed_header(header: &mut egui_extras::TableRow<'_, '_>) {
    header.col(|ui| {
        ui.label(RichText::new("Claimed by").strong()).on_hover_text("The higher segment these records join instead");
    });
}

fn table_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    def: &RecordTypeDef,
    outcome: &PreviewOutcome,
    dimmed: bool,
    commands: &mut Vec<Command>,
) {
    let columns = state.preview.columns_for(def);
    let fields: Vec<(usize, &crate::domain::FieldDef)> = std::iter::once(&def.primary_field)
        .chain(columns.iter())
        .filter_map(|name| def.field_index(name).map(|i| (i, &def.fields[i])))
        .collect();
    let claims = outcome.claimed_by_higher > 0;
    let mut visible = (usize::MAX, 0usize);
    let mut table = TableBuilder::new(ui)
        .id_salt(("preview_table", def.name.as_str()))
        .striped(true)
        .sense(Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center));
    // "Claimed by" comes right after the title, so it is seen without scrolling sideways.
    for (position, (_, field)) in fields.iter().enumerate() {
        table = table.column(Column::initial(column_width(field)).at_least(40.0).clip(true).resizable(true));
        if claims && position == 0 {
            table = table.column(Column::initial(140.0).at_least(60.0).clip(true).resizable(true));
        }
    }
    table
        .header(theme::ROW_HEIGHT, |mut header| {
            for (position, (_, field)) in fields.iter().enumerate() {
                if claims && position == 1 {
                    claimed_header(&mut header);
                }
                header.col(|ui| {
                    let arrow = match &state.preview.sort {
                        Some((sorted, false)) if *sorted == field.name => " ⏶",
                        Some((sorted, true)) if *sorted == field.name => " ⏷",
                        None if field.name.as_str() == "created_on" => " ⏷",
                        _ => "",
                    };
                    let button =
                        egui::Button::new(RichText::new(format!("{}{arrow}", field.label)).strong()).frame(false);
                    if ui.add(button).on_hover_text("Sort by this column").clicked() {
                        commands.push(Command::Conditions(ConditionsCommand::SortPreviewBy(field.name.clone())));
                    }
                });
            }
            if claims && fields.len() == 1 {
                claimed_header(&mut header);
            }
        })
        .body(|body| {
            body.rows(theme::ROW_HEIGHT, outcome.order.len(), |mut row| {
                let index = row.index();
                let Some(&(id, claimed_by)) = outcome.order.get(index) else { return };
                visible = (visible.0.min(index), visible.1.max(index));
                // The first rows came with the answer; the rest are read as they scroll in.
                let record = outcome
                    .rows
                    .get(index)
                    .map(|r| &r.record)
                    .filter(|r| r.id == id)
                    .or_else(|| state.records.rows.get(&id));
                let claimed = claimed_by.is_some();
                let claimed_cell = |row: &mut egui_extras::TableRow<'_, '_>| {
                    row.col(|ui| {
                        if let Some(segment) = claimed_by.and_then(|id| view.segment(id)) {
                            ui.add(egui::Label::new(RichText::new(&segment.name).weak()).truncate().selectable(false));
                        }
                    });
                };
                for (position, (field_index, field)) in fields.iter().enumerate() {
                    if claims && position == 1 {
                        claimed_cell(&mut row);
                    }
                    row.col(|ui| match record {
                        Some(record) => {
                            // Lookup titles came with the answer, or with the rows read later.
                            let mut value = cell_text(view, &outcome.titles, field, record.values.get(*field_index));
                            if value.starts_with('#') && field.lookup_target.is_some() {
                                value = cell_text(view, &state.records.titles, field, record.values.get(*field_index));
                            }
                            let value =
                                if dimmed || claimed { RichText::new(value).weak() } else { RichText::new(value) };
                            ui.add(egui::Label::new(value).truncate().selectable(false));
                        }
                        None => {
                            ui.label(RichText::new("…").weak());
                        }
                    });
                }
                if claims && fields.len() == 1 {
                    claimed_cell(&mut row);
                }
                row_actions(&row.response(), state, id, commands);
            });
        });
    if visible.0 <= visible.1 {
        let missing: Vec<RecordId> = outcome.order[visible.0..=visible.1.min(outcome.order.len() - 1)]
            .iter()
            .enumerate()
            .filter(|(offset, (id, _))| {
                let index = visible.0 + offset;
                outcome.rows.get(index).is_none_or(|r| r.record.id != *id) && !state.records.rows.contains_key(id)
            })
            .map(|(_, (id, _))| *id)
            .collect();
        if !missing.is_empty() {
            commands.push(Command::from(RecordsCommand::FetchRows(missing)));
        }
    }
}

/// A preview row opens its record on a click; its context menu also explains it.
fn row_actions(response: &egui::Response, state: &AppState, id: RecordId, commands: &mut Vec<Command>) {
    let response = response.clone().on_hover_text(format!("#{id} · click to open · right-click to explain"));
    if response.clicked() {
        commands.push(Command::Conditions(ConditionsCommand::OpenPreviewRecord(id)));
    }
    response.context_menu(|ui| {
        if ui.button("Open").clicked() {
            commands.push(Command::Conditions(ConditionsCommand::OpenPreviewRecord(id)));
        }
        if let Some(record_type) = &state.record_type {
            super::explain::explain_button(ui, record_type, id, commands);
        }
    });
}
