//! The Monitor screen: unassigned members with reason and age ("Run now" for all or the
//! ticked ones, "Assign…" by hand), processed records with segment, rule, seller and
//! sequence, and the "Why this seller?" window (also opened from the Records screen).

use crate::domain::format::format_timestamp;
use egui::RichText;
use egui_extras::{Column, TableBuilder};
use jiff::Timestamp;

use super::theme::{self, thousands};
use crate::domain::assignment::DefaultRoute;
use crate::domain::monitor::{Explanation, MonitorLists};
use crate::domain::{SegmentId, SellerId};
use crate::state::WorkspaceView;
use crate::state::monitor::{MONITOR_ROWS, MonitorCommand};
use crate::state::{AppState, Command, Loadable};

pub fn screen_ui(ui: &mut egui::Ui, state: &AppState, view: &WorkspaceView, commands: &mut Vec<Command>) {
    let monitor = &state.monitor;
    let Some(def) = state.current_type() else {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.label("Choose a record type in the top bar");
        });
        return;
    };
    // Read the lists when the screen shows another type than they are for (or none yet).
    let stale = monitor.record_type.as_ref() != Some(&def.name);
    if stale {
        commands.push(Command::Monitor(MonitorCommand::Refresh));
    }
    egui::CentralPanel::default().show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.heading(format!("Monitor · {}", def.plural_label));
            if ui.add_enabled(monitor.running.is_none(), egui::Button::new("Refresh")).clicked() {
                commands.push(Command::Monitor(MonitorCommand::Refresh));
            }
            if monitor.lists.is_pending() {
                ui.spinner();
            }
            if let Loadable::Failed { error, .. } = &monitor.lists {
                ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
            }
        });
        let owner_field = def.fields.iter().any(|f| f.kind == crate::domain::FieldKind::Owner);
        if !owner_field {
            ui.label(
                RichText::new(format!(
                    "{} have no owner field: assignment records the seller, no field is set",
                    def.plural_label
                ))
                .weak(),
            );
        }
        let empty = MonitorLists::default();
        let lists = if stale { &empty } else { monitor.lists.latest().unwrap_or(&empty) };
        ui.separator();
        unassigned_ui(ui, state, view, lists, commands);
        ui.add_space(8.0);
        ui.separator();
        processed_ui(ui, state, view, lists, commands);
    });
    assign_window_ui(ui.ctx(), state, view, commands);
}

fn unassigned_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    lists: &MonitorLists,
    commands: &mut Vec<Command>,
) {
    let monitor = &state.monitor;
    let now = crate::clock::now();
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("Unassigned ({})", thousands(lists.unassigned_total))).strong());
        let idle = monitor.running.is_none();
        let any = lists.unassigned_total > 0;
        if ui
            .add_enabled(idle && any, egui::Button::new("Run now"))
            .on_hover_text("Assign every unassigned member with its segment's rules")
            .clicked()
        {
            commands.push(Command::Monitor(MonitorCommand::RunNow { selected_only: false }));
        }
        let ticked = monitor.selected.len();
        if ui.add_enabled(idle && ticked > 0, egui::Button::new(format!("Run now for {ticked} selected"))).clicked() {
            commands.push(Command::Monitor(MonitorCommand::RunNow { selected_only: true }));
        }
        if ui.add_enabled(any, egui::Button::new("Select all")).clicked() {
            commands.push(Command::Monitor(MonitorCommand::SelectAll(true)));
        }
        if ui.add_enabled(ticked > 0, egui::Button::new("Select none")).clicked() {
            commands.push(Command::Monitor(MonitorCommand::SelectAll(false)));
        }
        if let Some(running) = &monitor.running {
            ui.spinner();
            ui.label(&running.title);
            if let Some(fraction) = running.fraction {
                ui.add(egui::ProgressBar::new(fraction).desired_width(160.0).show_percentage());
            }
            ui.label(RichText::new(&running.message).weak());
            if ui.button("Cancel").clicked() {
                commands.push(Command::Monitor(MonitorCommand::CancelRun));
            }
        }
    });
    if lists.unassigned.is_empty() {
        let text = if monitor.lists.is_pending() && lists.unassigned_total == 0 {
            "Reading…"
        } else {
            "No unassigned records — every member of a segment has a seller"
        };
        ui.label(RichText::new(text).weak());
        return;
    }
    if (lists.unassigned.len() as u64) < lists.unassigned_total {
        ui.label(
            RichText::new(format!("Showing the first {} by id; Run now covers all", thousands(MONITOR_ROWS as u64)))
                .weak(),
        );
    }
    let height = (ui.available_height() / 2.0 - 40.0).max(120.0);
    ui.push_id("unassigned", |ui| {
        TableBuilder::new(ui)
            .striped(true)
            .max_scroll_height(height)
            .auto_shrink([false, true])
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::initial(260.0).at_least(120.0).clip(true).resizable(true))
            .column(Column::initial(180.0).at_least(80.0).clip(true).resizable(true))
            .column(Column::initial(280.0).at_least(120.0).clip(true).resizable(true))
            .column(Column::initial(70.0).at_least(50.0))
            .column(Column::remainder().at_least(130.0))
            .header(theme::ROW_HEIGHT, |mut header| {
                for title in ["Record", "Segment", "Reason", "Waiting", ""] {
                    header.col(|ui| {
                        ui.label(RichText::new(title).strong());
                    });
                }
            })
            .body(|body| {
                body.rows(theme::ROW_HEIGHT, lists.unassigned.len(), |mut row| {
                    let Some(member) = lists.unassigned.get(row.index()) else { return };
                    row.col(|ui| {
                        let mut ticked = monitor.selected.contains(&member.record);
                        let label = record_label(member.record, &member.title);
                        if ui.checkbox(&mut ticked, label).changed() {
                            commands.push(Command::Monitor(MonitorCommand::ToggleSelected(member.record)));
                        }
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(segment_name(view, Some(member.segment))).truncate());
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(member.reason.to_string()).truncate());
                    });
                    row.col(|ui| {
                        ui.label(age_text(now, member.since));
                    });
                    row.col(|ui| {
                        if ui.small_button("Assign…").on_hover_text("Choose a seller by hand").clicked() {
                            commands.push(Command::Monitor(MonitorCommand::ShowAssign(member.record)));
                        }
                        if ui.small_button("Why?").on_hover_text("Why this record has no seller").clicked()
                            && let Some(ty) = &monitor.record_type
                        {
                            commands.push(Command::Monitor(MonitorCommand::ShowWhy {
                                record_type: ty.clone(),
                                record: member.record,
                            }));
                        }
                        if let Some(ty) = &monitor.record_type {
                            super::explain::explain_button(ui, ty, member.record, commands);
                        }
                    });
                });
            });
    });
}

fn processed_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    lists: &MonitorLists,
    commands: &mut Vec<Command>,
) {
    ui.label(RichText::new(format!("Processed ({})", thousands(lists.processed_total))).strong());
    if lists.processed.is_empty() {
        ui.label(
            RichText::new("No record has been assigned yet — add assignment rules to a segment, then Run now").weak(),
        );
        return;
    }
    ui.push_id("processed", |ui| {
        TableBuilder::new(ui)
            .striped(true)
            .auto_shrink([false, false])
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::initial(220.0).at_least(100.0).clip(true).resizable(true))
            .column(Column::initial(150.0).at_least(80.0).clip(true).resizable(true))
            .column(Column::initial(150.0).at_least(80.0).clip(true).resizable(true))
            .column(Column::initial(150.0).at_least(80.0).clip(true).resizable(true))
            .column(Column::initial(150.0).at_least(80.0).clip(true).resizable(true))
            .column(Column::initial(130.0).at_least(90.0))
            .column(Column::remainder().at_least(50.0))
            .header(theme::ROW_HEIGHT, |mut header| {
                for title in ["Record", "Segment", "Rule", "Seller", "Sequence", "When", ""] {
                    header.col(|ui| {
                        ui.label(RichText::new(title).strong());
                    });
                }
            })
            .body(|body| {
                body.rows(theme::ROW_HEIGHT, lists.processed.len(), |mut row| {
                    let Some(done) = lists.processed.get(row.index()) else { return };
                    row.col(|ui| {
                        ui.add(egui::Label::new(record_label(done.record, &done.title)).truncate());
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(segment_name(view, done.segment)).truncate());
                    });
                    row.col(|ui| {
                        let fallback = if done.by_default { "Default route" } else { "By hand" };
                        let text = done.rule.as_ref().map_or(fallback, |(_, name)| name.as_str());
                        ui.add(egui::Label::new(text).truncate());
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(seller_name(view, done.seller)).truncate());
                    });
                    row.col(|ui| {
                        let sequence = done
                            .segment
                            .and_then(|id| view.segment(id))
                            .and_then(|s| s.sequence)
                            .and_then(|id| view.sequence(id))
                            .map_or("—".to_owned(), |s| s.name.clone());
                        ui.add(egui::Label::new(sequence).truncate());
                    });
                    row.col(|ui| {
                        ui.label(format_timestamp(done.at, &view.time_zone));
                    });
                    row.col(|ui| {
                        if ui.small_button("Why?").on_hover_text("Why this seller?").clicked()
                            && let Some(ty) = &state.monitor.record_type
                        {
                            commands.push(Command::Monitor(MonitorCommand::ShowWhy {
                                record_type: ty.clone(),
                                record: done.record,
                            }));
                        }
                        if let Some(ty) = &state.monitor.record_type {
                            super::explain::explain_button(ui, ty, done.record, commands);
                        }
                    });
                });
            });
    });
}

/// "Assign…": sellers the rules would accept first, then the others with why not.
fn assign_window_ui(ctx: &egui::Context, state: &AppState, view: &WorkspaceView, commands: &mut Vec<Command>) {
    let Some(assign) = &state.monitor.assign else { return };
    let mut open = true;
    egui::Window::new("Assign by hand").open(&mut open).collapsible(false).default_width(520.0).show(ctx, |ui| {
        let Some(explanation) = assign.explanation.latest() else {
            if let Loadable::Failed { error, .. } = &assign.explanation {
                ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
            } else {
                ui.spinner();
            }
            return;
        };
        ui.label(RichText::new(record_label(explanation.record, &explanation.title)).strong());
        if let Some(error) = &assign.error {
            ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
        }
        let (eligible, others) = crate::state::monitor::manual_choices(explanation, view);
        if view.sellers.is_empty() {
            ui.label("No sellers yet — add them on the Sellers & teams screen");
            return;
        }
        egui::ScrollArea::vertical().max_height(420.0).show(ui, |ui| {
            ui.label(RichText::new("Eligible sellers").strong());
            if eligible.is_empty() {
                ui.label(RichText::new("None: the rules leave no seller for this record").weak());
            }
            for (seller, text) in &eligible {
                seller_choice_ui(ui, view, assign.record, *seller, text, commands);
            }
            if !others.is_empty() {
                ui.add_space(6.0);
                ui.label(RichText::new("Other sellers").strong());
                for (seller, text) in &others {
                    seller_choice_ui(ui, view, assign.record, *seller, text, commands);
                }
            }
        });
    });
    if !open {
        commands.push(Command::Monitor(MonitorCommand::CloseAssign));
    }
}

fn seller_choice_ui(
    ui: &mut egui::Ui,
    view: &WorkspaceView,
    record: crate::domain::RecordId,
    seller: SellerId,
    text: &str,
    commands: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        if ui.button(format!("Assign to {}", seller_name(view, seller))).clicked() {
            commands.push(Command::Monitor(MonitorCommand::AssignTo { record, seller }));
        }
        ui.label(RichText::new(text).weak());
    });
}

/// "Why this seller?" for a record of any screen.
pub fn why_window_ui(ctx: &egui::Context, state: &AppState, commands: &mut Vec<Command>) {
    let (Some(why), Some(view)) = (&state.monitor.why, &state.view) else { return };
    let mut open = true;
    egui::Window::new("Why this seller?").open(&mut open).collapsible(false).default_width(620.0).show(ctx, |ui| {
        let Some(explanation) = why.explanation.latest() else {
            if let Loadable::Failed { error, .. } = &why.explanation {
                ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
            } else {
                ui.spinner();
            }
            return;
        };
        egui::ScrollArea::vertical().max_height(520.0).show(ui, |ui| explanation_ui(ui, view, explanation));
    });
    if !open {
        commands.push(Command::Monitor(MonitorCommand::CloseWhy));
    }
}

fn explanation_ui(ui: &mut egui::Ui, view: &WorkspaceView, explanation: &Explanation) {
    ui.label(RichText::new(record_label(explanation.record, &explanation.title)).strong());
    let stored = match &explanation.stored {
        Some(row) => match (row.seller, row.rule, row.reason) {
            (Some(seller), None, _) if row.by_default => format!(
                "Assigned to {} by the segment's default route, {}",
                seller_name(view, seller),
                format_timestamp(row.at, &view.time_zone)
            ),
            (Some(seller), Some(_), _) => {
                format!(
                    "Assigned to {} by a rule, {}",
                    seller_name(view, seller),
                    format_timestamp(row.at, &view.time_zone)
                )
            }
            (Some(seller), None, _) => {
                format!(
                    "Assigned to {} by hand, {}",
                    seller_name(view, seller),
                    format_timestamp(row.at, &view.time_zone)
                )
            }
            (None, _, Some(reason)) => format!("Unassigned: {reason}"),
            (None, _, None) => "Unassigned".to_owned(),
        },
        None if explanation.segment.is_some() => "Not assigned yet".to_owned(),
        None => "Never assigned".to_owned(),
    };
    ui.label(stored);
    let Some(segment) = explanation.segment else {
        ui.label("The record is in no segment, so no assignment rules apply to it");
        return;
    };
    ui.label(format!("Segment: {}", segment_name(view, Some(segment))));
    let when = if explanation.replayed {
        format!(
            "As the rules decided at {}, with the sellers' load then",
            format_timestamp(explanation.at, &view.time_zone)
        )
    } else {
        "As the rules would decide now (what Run now does)".to_owned()
    };
    ui.label(RichText::new(when).weak());
    ui.add_space(6.0);
    ui.label(RichText::new("Rules").strong());
    let rules = explanation.rule_lines();
    if rules.is_empty() {
        ui.label("The segment has no assignment rules");
    }
    for (position, line) in rules.iter().enumerate() {
        let text = format!("{}. {} — {}", position + 1, line.name, line.text);
        let text = if line.outcome == "fired" { RichText::new(text).strong() } else { RichText::new(text) };
        ui.label(text);
    }
    if let Some(line) = explanation.default_line(&|route| default_route_name(view, route)) {
        ui.label(line);
    }
    if let Some(reason) = explanation.decision.as_ref().and_then(|d| d.reason()) {
        ui.label(RichText::new(format!("Outcome: unassigned — {reason}")).color(theme::error_colour(ui.visuals())));
    }
    let lines = explanation.candidate_lines(&view.sellers);
    if lines.is_empty() {
        return;
    }
    ui.add_space(6.0);
    ui.label(RichText::new("Sellers").strong());
    egui::Grid::new("why_sellers").striped(true).num_columns(2).show(ui, |ui| {
        for line in &lines {
            let name = if line.chosen { RichText::new(&line.name).strong() } else { RichText::new(&line.name) };
            ui.label(name);
            ui.label(&line.text);
            ui.end_row();
        }
    });
}

fn default_route_name(view: &WorkspaceView, route: DefaultRoute) -> String {
    match route {
        DefaultRoute::LeaveUnassigned => "leave unassigned".to_owned(),
        DefaultRoute::Seller(id) => format!("seller {}", seller_name(view, id)),
        DefaultRoute::Team(id) => {
            let name = view.teams.iter().find(|t| t.id == id).map_or_else(|| format!("#{}", id.0), |t| t.name.clone());
            format!("team {name}")
        }
    }
}

fn record_label(record: crate::domain::RecordId, title: &str) -> String {
    if title.trim().is_empty() { format!("#{record}") } else { format!("{title} (#{record})") }
}

fn segment_name(view: &WorkspaceView, segment: Option<SegmentId>) -> String {
    match segment {
        None => "—".to_owned(),
        Some(id) => view.segment(id).map_or_else(|| format!("Deleted segment #{}", id.0), |s| s.name.clone()),
    }
}

fn seller_name(view: &WorkspaceView, seller: SellerId) -> String {
    view.seller(seller).map_or_else(|| format!("Seller {}", seller.0), |s| s.name.clone())
}

/// How long something has waited: "just now", "12 min", "3 h", "5 d".
pub fn age_text(now: Timestamp, since: Timestamp) -> String {
    let seconds = (now.as_second() - since.as_second()).max(0);
    match seconds {
        s if s < 60 => "just now".to_owned(),
        s if s < 3_600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h", s / 3_600),
        s => format!("{} d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::age_text;

    #[test]
    fn ages_read_in_the_largest_whole_unit() {
        let now: jiff::Timestamp = "2026-03-10T12:00:00Z".parse().unwrap();
        let check =
            |since: &str, expected: &str| assert_eq!(age_text(now, since.parse().unwrap()), expected, "{since}");
        check("2026-03-10T11:59:30Z", "just now");
        check("2026-03-10T11:48:00Z", "12 min");
        check("2026-03-10T09:00:00Z", "3 h");
        check("2026-03-05T11:00:00Z", "5 d");
        check("2026-03-10T12:05:00Z", "just now");
    }
}
