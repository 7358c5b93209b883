//! The Overlap screen: the current record type's segments in priority order as a heat map
//! of how many records each pair both match (the diagonal: what each matches), the records
//! of a clicked cell beside it, and every segment's lint below.

use egui::{Align2, FontId, RichText, Sense, Stroke, Vec2};

use super::theme::{self, compact, thousands};
use crate::domain::lint::Verdict;
use crate::domain::overlap::Analysis;
use crate::domain::{RecordTypeDef, Status};
use crate::state::overlap::OverlapCommand;
use crate::state::{AppState, Command, EngineStatus, Loadable, WorkspaceView};

/// The height of a row of the heat map, and the narrowest and widest a cell gets.
const CELL_HEIGHT: f32 = 30.0;
const CELL_LEAST: f32 = 44.0;
const CELL_MOST: f32 = 72.0;
/// The widest the row labels (segment names) get.
const LABEL_MOST: f32 = 240.0;

pub fn screen_ui(ui: &mut egui::Ui, state: &AppState, _view: &WorkspaceView, commands: &mut Vec<Command>) {
    let Some(def) = state.current_type() else {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.label("Choose a record type in the top bar");
        });
        return;
    };
    let overlap = &state.overlap;
    let analysis = overlap.analysis.latest().filter(|a| a.record_type == def.name);
    if let (Some(analysis), Some(_)) = (analysis, overlap.cell) {
        egui::Panel::right("overlap_shared")
            .resizable(true)
            .default_size(320.0)
            .min_size(220.0)
            .show(ui, |ui| shared_ui(ui, state, def, analysis, commands));
    }
    egui::CentralPanel::default().show(ui, |ui| {
        header_ui(ui, state, def, analysis, commands);
        ui.separator();
        let Some(analysis) = analysis else {
            if let EngineStatus::Failed(error) = &state.engine {
                ui.label(
                    RichText::new(format!("The records could not be loaded: {error}"))
                        .color(theme::error_colour(ui.visuals())),
                );
            } else if overlap.analysis.is_pending() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(RichText::new("Comparing the segments…").weak());
                });
            }
            return;
        };
        if analysis.segments.is_empty() {
            ui.label(RichText::new(format!("No {} segments yet", def.label.to_lowercase())).weak());
            return;
        }
        egui::ScrollArea::both().auto_shrink([false, false]).show(ui, |ui| {
            matrix_ui(ui, state, def, analysis, commands);
            ui.add_space(16.0);
            findings_ui(ui, analysis);
        });
    });
}

fn header_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    def: &RecordTypeDef,
    analysis: Option<&Analysis>,
    commands: &mut Vec<Command>,
) {
    let overlap = &state.overlap;
    ui.horizontal(|ui| {
        ui.heading(format!("Overlap · {}", def.plural_label));
        if ui.add_enabled(!overlap.analysis.is_pending(), egui::Button::new("Refresh")).clicked() {
            commands.push(Command::Overlap(OverlapCommand::Refresh));
        }
        if overlap.analysis.is_pending() {
            ui.spinner();
        }
        if let Some(analysis) = analysis {
            ui.label(RichText::new(format!("Computed in {:.0} ms", analysis.elapsed_ms)).small().weak());
        }
        if let Loadable::Failed { error, .. } = &overlap.analysis {
            ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
        }
    });
    let plural = def.plural_label.to_lowercase();
    ui.label(
        RichText::new(format!(
            "How many {plural} each pair of segments both match, highest priority first; the diagonal is what each matches. Click a cell to list them. Grey names are drafts and inactive segments, which claim no records"
        ))
        .weak(),
    );
}

/// The row labels' width: the longest name, within bounds.
fn label_width(ui: &egui::Ui, analysis: &Analysis) -> f32 {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let widest = analysis
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let text = format!("{}. {}", i + 1, s.name);
            ui.painter().layout_no_wrap(text, font.clone(), egui::Color32::WHITE).size().x
        })
        .fold(0.0, f32::max);
    (widest + 12.0).clamp(120.0, LABEL_MOST)
}

fn matrix_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    def: &RecordTypeDef,
    analysis: &Analysis,
    commands: &mut Vec<Command>,
) {
    let count = analysis.segments.len();
    let label = label_width(ui, analysis);
    let body = egui::TextStyle::Body.resolve(ui.style());
    let small = FontId::proportional(body.size * 0.9);
    // As wide as the widest count needs, so more segments fit before the map scrolls.
    let widest = analysis
        .shared
        .iter()
        .flatten()
        .map(|n| ui.painter().layout_no_wrap(compact(*n as u64), small.clone(), egui::Color32::WHITE).size().x)
        .fold(0.0, f32::max);
    let cell_size = Vec2::new((widest + 18.0).clamp(CELL_LEAST, CELL_MOST), CELL_HEIGHT);
    let size = Vec2::new(label + cell_size.x * count as f32, CELL_HEIGHT * (count as f32 + 1.0));
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect);
    let visuals = ui.visuals().clone();
    let largest = analysis.largest_shared().max(1) as f32;
    let plural = def.plural_label.to_lowercase();
    // Column headings: the priority number (the name on hover).
    for (j, segment) in analysis.segments.iter().enumerate() {
        let cell = egui::Rect::from_min_size(rect.min + Vec2::new(label + cell_size.x * j as f32, 0.0), cell_size);
        painter.text(
            cell.center(),
            Align2::CENTER_CENTER,
            format!("{}", j + 1),
            small.clone(),
            visuals.weak_text_color(),
        );
        let response = ui.interact(cell, ui.scope_id().with(("overlap_column", segment.id)), Sense::hover());
        response.on_hover_text(format!("{}. {}", j + 1, segment.name));
    }
    for (i, row) in analysis.segments.iter().enumerate() {
        let top = rect.min.y + CELL_HEIGHT * (i as f32 + 1.0);
        let label_rect = egui::Rect::from_min_size(egui::pos2(rect.min.x, top), Vec2::new(label - 8.0, CELL_HEIGHT));
        let text_colour = if row.status == Status::Active { visuals.text_color() } else { visuals.weak_text_color() };
        let mut job =
            egui::text::LayoutJob::simple_singleline(format!("{}. {}", i + 1, row.name), body.clone(), text_colour);
        job.wrap = egui::text::TextWrapping::truncate_at_width(label_rect.width());
        let galley = painter.layout_job(job);
        let at = egui::pos2(label_rect.min.x, label_rect.center().y - galley.size().y / 2.0);
        painter.galley(at, galley, text_colour);
        ui.interact(label_rect, ui.scope_id().with(("overlap_row", row.id)), Sense::hover()).on_hover_text(format!(
            "{}. {} ({})",
            i + 1,
            row.name,
            row.status
        ));
        for (j, column) in analysis.segments.iter().enumerate() {
            let cell =
                egui::Rect::from_min_size(egui::pos2(rect.min.x + label + cell_size.x * j as f32, top), cell_size);
            let shared = analysis.shared_by(i, j);
            let (fill, ink) = if i == j {
                (theme::heat_diagonal(&visuals), visuals.strong_text_color())
            } else {
                theme::heat_colours((shared as f32 / largest).sqrt(), &visuals)
            };
            let id = ui.scope_id().with(("overlap_cell", row.id, column.id));
            let response = ui.interact(cell, id, Sense::click());
            let chosen =
                state.overlap.cell == Some((row.id, column.id)) || state.overlap.cell == Some((column.id, row.id));
            painter.rect_filled(cell.shrink(1.0), 3.0, fill);
            if chosen || response.hovered() {
                painter.rect_stroke(
                    cell.shrink(1.0),
                    3.0,
                    Stroke::new(2.0, visuals.selection.stroke.color),
                    egui::StrokeKind::Inside,
                );
            }
            painter.text(cell.center(), Align2::CENTER_CENTER, compact(shared as u64), small.clone(), ink);
            let name = if i == j { format!("{} alone", row.name) } else { format!("{} and {}", row.name, column.name) };
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
            let hover = if i == j {
                format!("{}: {} {plural} match its conditions", row.name, thousands(shared as u64))
            } else {
                let of = |whole: usize| if whole == 0 { 0.0 } else { shared as f64 * 100.0 / whole as f64 };
                format!(
                    "{} {plural} match both {} ({:.0} % of it) and {} ({:.0} % of it)",
                    thousands(shared as u64),
                    row.name,
                    of(analysis.shared_by(i, i)),
                    column.name,
                    of(analysis.shared_by(j, j)),
                )
            };
            if response.on_hover_text(hover).clicked() {
                commands.push(Command::Overlap(OverlapCommand::ShowCell { first: row.id, second: column.id }));
            }
        }
    }
}

/// The records of the clicked cell.
fn shared_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    def: &RecordTypeDef,
    analysis: &Analysis,
    commands: &mut Vec<Command>,
) {
    let overlap = &state.overlap;
    let Some((first, second)) = overlap.cell else { return };
    let name = |id| analysis.segments.iter().find(|s| s.id == id).map_or("?", |s| s.name.as_str());
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button("Close").clicked() {
                commands.push(Command::Overlap(OverlapCommand::CloseCell));
            }
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                ui.add(egui::Label::new(RichText::new("Shared records").strong()).truncate());
            });
        });
    });
    let title = if first == second { name(first).to_owned() } else { format!("{} and {}", name(first), name(second)) };
    ui.add(egui::Label::new(RichText::new(title).heading()).wrap());
    let plural = def.plural_label.to_lowercase();
    match &overlap.shared {
        Loadable::Pending { .. } => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(RichText::new("Reading…").weak());
            });
        }
        Loadable::Failed { error, .. } => {
            ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
        }
        Loadable::Ready(shared) => {
            let both = if first == second { "match" } else { "match both" };
            ui.label(format!("{} {plural} {both}", thousands(shared.count as u64)));
            if shared.count > shared.rows.len() {
                ui.label(RichText::new(format!("The newest {} are listed", shared.rows.len())).small().weak());
            }
            ui.separator();
            egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
                for (id, title) in &shared.rows {
                    ui.horizontal(|ui| {
                        ui.add_sized(
                            [56.0, 18.0],
                            egui::Label::new(RichText::new(format!("#{}", id.0)).small().weak()),
                        );
                        ui.add(egui::Label::new(title.as_str()).truncate());
                    });
                }
            });
        }
    }
}

/// Every segment's lint, in priority order: its name, then what is wrong with it.
fn findings_ui(ui: &mut egui::Ui, analysis: &Analysis) {
    ui.label(RichText::new("Findings").strong());
    let mut any = false;
    for (i, lint) in analysis.lints.iter().enumerate().filter(|(_, l)| !l.verdicts.is_empty()) {
        any = true;
        ui.add_space(4.0);
        ui.add(egui::Label::new(RichText::new(format!("{}. {}", i + 1, lint.name)).strong()).truncate());
        for verdict in &lint.verdicts {
            let colour = match verdict {
                Verdict::CanNeverMatch { .. } | Verdict::Shadowed { .. } => ui.visuals().warn_fg_color,
                _ => ui.visuals().text_color(),
            };
            ui.horizontal(|ui| {
                ui.add_space(theme::INDENT);
                ui.add(egui::Label::new(RichText::new(verdict.message()).color(colour)).wrap());
            });
        }
    }
    if !any {
        ui.label(
            RichText::new(
                "Nothing to report: no segment is shadowed, contradictory, a duplicate or has a condition that changes nothing",
            )
            .weak(),
        );
    }
}
