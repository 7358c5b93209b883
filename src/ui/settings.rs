//! File → "Workspace settings…" and its dialog (the time zone, the evaluation interval, the
//! nesting limit), the IANA time zone picker it shares with the seller form, and the status
//! bar's line about the evaluation of date-based segments.

use egui::{RichText, TextEdit};

use crate::domain::format::format_timestamp;
use crate::domain::{Impact, SegmentId};
use crate::state::sellers::time_zone_names;
use crate::state::settings::{SettingsCommand, SettingsForm, ZoneChange};
use crate::state::{AppState, Command, Loadable};

use super::theme;

/// The File menu entry (only with a workspace open).
pub fn menu_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    if ui.add_enabled(state.view.is_some(), egui::Button::new("Workspace settings…")).clicked() {
        commands.push(Command::Settings(SettingsCommand::Open));
    }
}

/// The dialog, when open.
pub fn dialog_ui(ctx: &egui::Context, state: &AppState, commands: &mut Vec<Command>) {
    let Some(stored) = &state.settings.form else { return };
    let mut form = stored.clone();
    let modal = egui::Modal::new(egui::Id::unique("workspace_settings_dialog")).show(ctx, |ui| {
        ui.set_width(520.0);
        ui.heading("Workspace settings");
        ui.add_space(4.0);
        egui::Grid::new("workspace_settings").num_columns(2).spacing([12.0, 8.0]).show(ui, |ui| {
            let label = ui.label("Time zone");
            time_zone_picker_ui(ui, "workspace_time_zone", &mut form.time_zone, &mut form.time_zone_search, label.id);
            ui.end_row();
            let label = ui.label("Evaluate date-based segments every");
            ui.horizontal(|ui| {
                ui.add(TextEdit::singleline(&mut form.interval_minutes).desired_width(60.0)).labelled_by(label.id);
                ui.label("minutes");
            });
            ui.end_row();
            let label = ui.label("Nesting limit");
            ui.horizontal(|ui| {
                ui.add(TextEdit::singleline(&mut form.nesting_limit).desired_width(60.0)).labelled_by(label.id);
                ui.label("levels of groups in conditions");
            });
            ui.end_row();
        });
        ui.add_space(4.0);
        ui.label(
            RichText::new(
                "Relative dates (today, this week, in the last 30 days) are resolved in the time zone; a new zone \
                 evaluates the date-based segments again",
            )
            .weak(),
        );
        if let Some(error) = &form.error {
            ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
        }
        ui.separator();
        if let Some(change) = &state.settings.zone_change {
            zone_change_ui(ui, state, change, commands);
            return;
        }
        ui.horizontal(|ui| {
            if ui.button("Save settings").clicked() {
                commands.push(Command::Settings(SettingsCommand::Save));
            }
            if ui.button("Cancel").clicked() {
                commands.push(Command::Settings(SettingsCommand::Close));
            }
        });
    });
    if modal.should_close() {
        commands.push(Command::Settings(SettingsCommand::Close));
        return;
    }
    if &form != stored {
        commands.push(Command::Settings(SettingsCommand::Edit(SettingsForm { error: stored.error.clone(), ..form })));
    }
}

/// What the new time zone moves, before it is stored: per date-based segment, the records
/// that would join, leave or move, then "Change time zone" or "Back".
fn zone_change_ui(ui: &mut egui::Ui, state: &AppState, change: &ZoneChange, commands: &mut Vec<Command>) {
    ui.label(RichText::new(format!("Resolving relative dates in {} instead", change.settings.time_zone)).strong());
    let name = |id: SegmentId| {
        state.view.as_ref().and_then(|v| v.segment(id)).map_or_else(|| format!("segment #{}", id.0), |s| s.name.clone())
    };
    match &change.impact {
        Loadable::Pending { .. } => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Computing which records the new zone moves…");
            });
        }
        Loadable::Failed { error, .. } => {
            let text = format!("What it moves could not be computed: {error}");
            ui.label(RichText::new(text).color(theme::error_colour(ui.visuals())));
        }
        Loadable::Ready(impacts) => {
            let lines: Vec<String> = impacts.iter().flat_map(|(_, impact)| impact_lines(impact, &name)).collect();
            if lines.is_empty() {
                ui.label("No record changes segment: the date-based segments answer the same in the new zone");
            }
            for line in lines {
                ui.label(line);
            }
        }
    }
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        let ready = !matches!(change.impact, Loadable::Pending { .. });
        if ui.add_enabled(ready, egui::Button::new("Change time zone")).clicked() {
            commands.push(Command::Settings(SettingsCommand::ConfirmZoneChange));
        }
        if ui.button("Back").clicked() {
            commands.push(Command::Settings(SettingsCommand::CancelZoneChange));
        }
    });
}

/// One line per segment touched: "Stale leads: 12 join, 3 leave, 1 moves in, 2 move out".
fn impact_lines(impact: &Impact, name: &dyn Fn(SegmentId) -> String) -> Vec<String> {
    let mut per: std::collections::BTreeMap<SegmentId, [u64; 4]> = std::collections::BTreeMap::new();
    for (id, n) in &impact.joins {
        per.entry(*id).or_default()[0] += n;
    }
    for (id, n) in &impact.leaves {
        per.entry(*id).or_default()[1] += n;
    }
    for ((from, to), n) in &impact.moves {
        per.entry(*to).or_default()[2] += n;
        per.entry(*from).or_default()[3] += n;
    }
    per.into_iter()
        .map(|(id, counts)| {
            let parts: Vec<String> = counts
                .iter()
                .zip(["join", "leave", "move in", "move out"])
                .filter(|(n, _)| **n > 0)
                .map(|(n, what)| format!("{} {what}", theme::thousands(*n)))
                .collect();
            format!("{}: {}", name(id), parts.join(", "))
        })
        .collect()
}

/// A searchable combo box of every IANA time zone name, showing and setting `zone`.
pub fn time_zone_picker_ui(ui: &mut egui::Ui, id_salt: &str, zone: &mut String, search: &mut String, label: egui::Id) {
    egui::ComboBox::from_id_salt(id_salt)
        .selected_text(zone.as_str())
        .width(280.0)
        .height(320.0)
        .show_ui(ui, |ui| {
            let search_label = ui.label("Search time zones");
            ui.add(TextEdit::singleline(search).hint_text("Berlin, America/…").desired_width(240.0))
                .labelled_by(search_label.id);
            let wanted = search.trim().to_lowercase();
            let mut shown = 0;
            for name in time_zone_names().iter().filter(|n| wanted.is_empty() || n.to_lowercase().contains(&wanted)) {
                shown += 1;
                if ui.selectable_label(*zone == *name, name).clicked() {
                    zone.clone_from(name);
                    search.clear();
                }
            }
            if shown == 0 {
                ui.label(RichText::new("No time zone matches").weak());
            }
        })
        .response
        .labelled_by(label);
}

/// "Date-based segments evaluated 2026-03-01 14:05 (3 records changed) · next 14:20".
pub fn evaluation_status_ui(ui: &mut egui::Ui, state: &AppState) {
    let Some(view) = &state.view else { return };
    let status = &state.settings.evaluation;
    if status.path.as_ref() != Some(&view.path) {
        return;
    }
    let when = |t| format_timestamp(t, &view.time_zone);
    let mut text = match (&status.last, status.running) {
        (_, true) => "Evaluating date-based segments…".to_owned(),
        (Some((at, changed)), false) => {
            let records = if *changed == 1 { "record" } else { "records" };
            format!("Date-based segments evaluated {} ({} {records} changed)", when(*at), theme::thousands(*changed))
        }
        (None, false) => "Date-based segments not evaluated yet".to_owned(),
    };
    if let (Some(next), false) = (status.next, status.running) {
        text.push_str(&format!(" · next {}", when(next)));
    }
    ui.label(RichText::new(text).weak());
    if let Some(error) = &status.error {
        ui.label(RichText::new("The last evaluation failed").color(ui.visuals().warn_fg_color))
            .on_hover_text(error.as_str());
    }
}
