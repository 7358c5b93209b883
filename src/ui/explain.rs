//! The Explain side panel: why one record is or is not in each segment, which seller the
//! rules give it, and its timeline, beside whatever screen is shown. Rows of record lists
//! open it with [`explain_button`].

use egui::{Color32, RichText};

use crate::domain::explain::{
    AssignmentExplained, ExplainReport, SegmentExplained, TimelineKind, membership_verdict, segment_verdict,
};
use crate::domain::format::format_timestamp;
use crate::domain::{RecordId, RecordTypeName};
use crate::state::explain::{ExplainCommand, Explained};
use crate::state::{AppState, Command, Loadable, WorkspaceView};

use super::theme;

/// The label of the buttons that open the panel.
pub const EXPLAIN: &str = "Explain";

/// A small "Explain" button for a row of a record list.
pub fn explain_button(ui: &mut egui::Ui, record_type: &RecordTypeName, record: RecordId, commands: &mut Vec<Command>) {
    let hover = "Why this record is or is not in each segment, its seller, and its history";
    if ui.small_button(EXPLAIN).on_hover_text(hover).clicked() {
        commands.push(Command::Explain(ExplainCommand::Open(record_type.clone(), record)));
    }
}

/// The panel at the right of the window, while a record is explained.
pub fn panel_ui(ui: &mut egui::Ui, state: &AppState, view: &WorkspaceView, commands: &mut Vec<Command>) {
    let Some(target) = &state.explain.target else { return };
    egui::Panel::right("explain_panel").resizable(true).default_size(380.0).min_size(300.0).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.heading(EXPLAIN);
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("×").on_hover_text("Close the Explain panel").clicked() {
                    commands.push(Command::Explain(ExplainCommand::Close));
                }
                if ui.button("⟳").on_hover_text("Explain the record again").clicked() {
                    commands.push(Command::Explain(ExplainCommand::Refresh));
                }
                if state.explain.result.is_pending() {
                    ui.spinner();
                }
            });
        });
        ui.separator();
        let label =
            view.record_type(&target.record_type).map_or_else(|| target.record_type.to_string(), |t| t.label.clone());
        let Some(explained) = state.explain.result.latest() else {
            match &state.explain.result {
                Loadable::Failed { error, .. } => {
                    ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
                }
                _ => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(format!("Explaining {label} #{}…", target.record));
                    });
                }
            }
            return;
        };
        if let Loadable::Failed { error, .. } = &state.explain.result {
            ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
        }
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            explained_ui(ui, state, view, &label, explained);
        });
    });
}

fn explained_ui(ui: &mut egui::Ui, state: &AppState, view: &WorkspaceView, label: &str, explained: &Explained) {
    let report = &explained.report;
    let title = if report.title.is_empty() { String::new() } else { format!(" · {}", report.title) };
    ui.label(RichText::new(format!("{label} #{}{title}", report.record)).strong());
    ui.label(membership_verdict(report));
    ui.add_space(6.0);

    // The segment the user looks at: the selected one, else the one it is in, else its match.
    let focus = state
        .selected_segment
        .filter(|id| report.segments.iter().any(|s| s.id == *id))
        .or_else(|| report.current().map(|s| s.id))
        .or_else(|| report.winning().map(|s| s.id));
    if let Some(segment) = focus.and_then(|id| report.segments.iter().find(|s| s.id == id)) {
        focus_ui(ui, report, segment);
    }
    let others: Vec<&SegmentExplained> = report.segments.iter().filter(|s| Some(s.id) != focus).collect();
    if !others.is_empty() {
        egui::CollapsingHeader::new(format!("Other segments ({})", others.len())).id_salt("explain_others").show(
            ui,
            |ui| {
                for segment in others {
                    egui::CollapsingHeader::new(segment_heading(segment))
                        .id_salt(("explain_segment", segment.id.0))
                        .show(ui, |ui| conditions_ui(ui, segment));
                }
            },
        );
    }
    ui.add_space(6.0);
    ui.separator();
    assignment_ui(ui, &report.assignment);
    ui.add_space(6.0);
    ui.separator();
    timeline_ui(ui, view, explained);
}

fn segment_heading(segment: &SegmentExplained) -> String {
    let mark = if segment.matches { "✔" } else { "✖" };
    let draft = if segment.draft { ", unsaved draft" } else { "" };
    format!("{mark} {}. {} ({}{draft})", segment.priority + 1, segment.segment, segment.status.to_lowercase())
}

fn focus_ui(ui: &mut egui::Ui, report: &ExplainReport, segment: &SegmentExplained) {
    ui.label(RichText::new(segment_heading(segment)).strong());
    if segment.draft {
        ui.label(RichText::new("Explained with the conditions being edited, not yet saved").weak());
    }
    if let Some(verdict) = segment_verdict(report, segment.id) {
        ui.label(verdict);
    }
    conditions_ui(ui, segment);
}

fn mark_colour(holds: bool, visuals: &egui::Visuals) -> Color32 {
    if holds {
        if visuals.dark_mode { Color32::from_rgb(0x7f, 0xd0, 0x8c) } else { Color32::from_rgb(0x1b, 0x7a, 0x2e) }
    } else {
        theme::error_colour(visuals)
    }
}

/// Every node of the segment's tree with ✔/✖ and, for a condition, the record's value.
fn conditions_ui(ui: &mut egui::Ui, segment: &SegmentExplained) {
    for line in &segment.conditions {
        ui.horizontal_wrapped(|ui| {
            #[allow(clippy::cast_precision_loss, reason = "a tree's depth is small")]
            ui.add_space(line.depth as f32 * theme::INDENT);
            let mark = if line.holds { "✔" } else { "✖" };
            ui.label(RichText::new(mark).strong().color(mark_colour(line.holds, ui.visuals())));
            ui.label(&line.text);
            if let Some(value) = &line.value {
                ui.label(RichText::new(format!("— {value}")).weak());
            }
        });
    }
}

fn assignment_ui(ui: &mut egui::Ui, a: &AssignmentExplained) {
    ui.label(RichText::new("Seller").strong());
    ui.label(a.stored.as_ref().map_or_else(|| "Never assigned".to_owned(), |s| capitalised(s)));
    let Some(segment) = &a.segment else {
        ui.label(RichText::new("In no segment, so no assignment rules apply").weak());
        return;
    };
    let when = if a.decided == "replayed" { "as decided then" } else { "as the rules would decide now" };
    ui.label(RichText::new(format!("Rules of {segment}, {when}")).weak());
    if a.rules.is_empty() {
        ui.label("The segment has no assignment rules");
    }
    for (position, line) in a.rules.iter().enumerate() {
        let text = format!("{}. {} — {}", position + 1, line.name, line.text);
        ui.label(if line.outcome == "fired" { RichText::new(text).strong() } else { RichText::new(text) });
    }
    if let Some(line) = &a.default_route {
        ui.label(line);
    }
    match (&a.seller, &a.reason) {
        (Some(seller), _) => {
            ui.label(format!("Seller: {seller}"));
        }
        (None, Some(reason)) => {
            ui.label(RichText::new(format!("Unassigned: {reason}")).color(theme::error_colour(ui.visuals())));
        }
        (None, None) => {}
    }
    if !a.candidates.is_empty() {
        egui::CollapsingHeader::new(format!("Sellers considered ({})", a.candidates.len()))
            .id_salt("explain_candidates")
            .show(ui, |ui| {
                for line in &a.candidates {
                    let name = if line.chosen { RichText::new(&line.name).strong() } else { RichText::new(&line.name) };
                    ui.horizontal_wrapped(|ui| {
                        ui.label(name);
                        ui.label(RichText::new(&line.text).weak());
                    });
                }
            });
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

/// The record's history, newest first.
fn timeline_ui(ui: &mut egui::Ui, view: &WorkspaceView, explained: &Explained) {
    ui.label(RichText::new(format!("Timeline ({})", explained.timeline.len())).strong());
    if explained.timeline.is_empty() {
        ui.label(RichText::new("Nothing has happened to this record yet: no joins, assignments or steps").weak());
        return;
    }
    for entry in explained.timeline.iter().rev() {
        let icon = match entry.kind {
            TimelineKind::Membership => "🔀",
            TimelineKind::Assignment => "👤",
            TimelineKind::Sequence => "➡",
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format_timestamp(entry.at, &view.time_zone)).weak().small());
            ui.label(format!("{icon} {}", entry.text));
        });
    }
}
