//! The Segments screen: the priority list (left), the selected segment's conditions and
//! detail tabs (centre), and the preview (right).

use crate::state::ConditionsCommand;
use crate::state::SegmentsCommand;
use egui::{RichText, ScrollArea};

use crate::domain::{RecordTypeDef, Segment, Status};
use crate::state::WorkspaceView;
use crate::state::{AppState, Command, DetailTab};

use super::theme::{self, thousands};

pub fn screen_ui(ui: &mut egui::Ui, state: &AppState, view: &WorkspaceView, commands: &mut Vec<Command>) {
    let Some(def) = state.current_type() else { return };
    // The side panels give way when the window is narrow or zoomed in: the builder in the
    // middle keeps at least about half of the width.
    let width = ui.available_width();
    let list_most = (width * 0.24).max(180.0);
    egui::Panel::left("segment_list")
        .resizable(true)
        .default_size(theme::SEGMENT_LIST_WIDTH.min(list_most))
        .min_size(180.0)
        .max_size(list_most)
        .show(ui, |ui| segment_list_ui(ui, state, view, def, commands));
    let selected = state.selected_segment();
    let preview_most = (width * 0.3).max(200.0);
    egui::Panel::right("preview")
        .resizable(true)
        .default_size(theme::PREVIEW_WIDTH.min(preview_most))
        .min_size(200.0)
        .max_size(preview_most)
        .show(ui, |ui| super::preview::preview_ui(ui, state, view, def, selected, commands));
    egui::CentralPanel::default().show(ui, |ui| {
        if let Some(segment) = selected {
            segment_ui(ui, state, view, def, segment, commands);
        } else {
            ui.add_space(24.0);
            ui.vertical_centered(|ui| {
                let label = def.label.to_lowercase();
                if view.segments_of(&def.name).is_empty() {
                    ui.label(RichText::new("The condition builder opens here").weak());
                    ui.label(RichText::new(format!("Create a {label} segment on the left to start")).weak());
                } else {
                    ui.label(RichText::new(format!("Select a {label} segment to edit its conditions")).weak());
                }
            });
        }
    });
}

fn segment_list_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    def: &RecordTypeDef,
    commands: &mut Vec<Command>,
) {
    let segments = view.segments_of(&def.name);
    let needle = state.segment_search.trim().to_lowercase();
    let filtering = !needle.is_empty();
    let selected_position = state.selected_segment.and_then(|id| segments.iter().position(|s| s.id == id));
    let unsaved = state.builder.as_ref().filter(|b| b.is_dirty()).map(|b| b.segment);
    list_header_ui(ui, state, def, segments.len(), selected_position, commands);
    ui.separator();
    if segments.is_empty() {
        ui.add_space(16.0);
        ui.vertical_centered(|ui| {
            ui.label(RichText::new(format!("No {} segments yet", def.label.to_lowercase())).strong());
            ui.label(RichText::new("Segments group records by conditions and route them to sellers").weak());
            ui.add_space(8.0);
            if ui.button("Create the first segment…").clicked() {
                commands.push(Command::Segments(SegmentsCommand::ShowNew));
            }
        });
        return;
    }
    reorder_shortcuts(ui, state, selected_position, segments.len(), filtering, commands);
    ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
        if filtering {
            let mut shown = 0;
            for (position, segment) in segments.iter().enumerate() {
                if !segment.name.to_lowercase().contains(&needle) {
                    continue;
                }
                shown += 1;
                ui.push_id(segment.id, |ui| {
                    let row = RowContext { state, view, unsaved, position, count: segments.len(), reorderable: false };
                    segment_row_ui(ui, &row, segment, state.selected_segment == Some(segment.id), commands);
                });
            }
            if shown == 0 {
                ui.label(RichText::new(format!("No segment name contains \"{}\"", state.segment_search.trim())).weak());
            }
            return;
        }
        let drop_colour = ui.visuals().selection.stroke.color;
        let response = egui_dnd::dnd(ui, ui.scope_id().with("segment_order")).show_custom(|ui, iter| {
            for (position, segment) in segments.iter().enumerate() {
                // The gap where the dragged segment would land: a bar across the list.
                let drop_indicator =
                    |ui: &mut egui::Ui, space: egui::Vec2| theme::drop_indicator(ui, space, drop_colour, true);
                let item_id = egui::Id::unique(("segment", segment.id));
                iter.space_before(ui, item_id, drop_indicator);
                iter.next(ui, item_id, position, false, |ui, item| {
                    item.ui(ui, |ui, handle, item_state| {
                        handle.ui(ui, |ui| {
                            let row =
                                RowContext { state, view, unsaved, position, count: segments.len(), reorderable: true };
                            if item_state.dragged {
                                // Floating over the other rows: opaque, outlined.
                                egui::Frame::new()
                                    .fill(ui.visuals().window_fill)
                                    .stroke(ui.visuals().selection.stroke)
                                    .corner_radius(4.0)
                                    .show(ui, |ui| segment_row_ui(ui, &row, segment, true, commands));
                            } else {
                                let selected = state.selected_segment == Some(segment.id);
                                segment_row_ui(ui, &row, segment, selected, commands);
                            }
                        });
                    })
                });
                iter.space_after(ui, item_id, drop_indicator);
            }
        });
        if let Some((from, to_index)) = response.final_update().as_ref().and_then(theme::dnd_move)
            && let Some(segment) = segments.get(from)
        {
            commands.push(Command::Segments(SegmentsCommand::Move { id: segment.id, to_index }));
        }
    });
}

/// The list's heading, New segment, the move buttons of the selected segment and the search.
fn list_header_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    def: &RecordTypeDef,
    count: usize,
    selected_position: Option<usize>,
    commands: &mut Vec<Command>,
) {
    let filtering = !state.segment_search.trim().is_empty();
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button("New segment…").clicked() {
                commands.push(Command::Segments(SegmentsCommand::ShowNew));
            }
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                let heading = RichText::new(format!("{} segments", def.label)).heading();
                ui.add(egui::Label::new(heading).truncate());
            });
        });
    });
    ui.horizontal(|ui| {
        ui.label(RichText::new("Top = highest priority").small().weak());
        if let (Some(position), Some(id)) = (selected_position, state.selected_segment) {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let hint = if filtering { "Clear the search to reorder" } else { "" };
                let down = ui
                    .add_enabled(!filtering && position + 1 < count, egui::Button::new("⏷").small())
                    .on_hover_text("Move the selected segment down (Alt+Down)")
                    .on_disabled_hover_text(hint);
                down.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::Button, down.enabled(), "Move selected down")
                });
                if down.clicked() {
                    commands.push(Command::Segments(SegmentsCommand::Move { id, to_index: position + 1 }));
                }
                let up = ui
                    .add_enabled(!filtering && position > 0, egui::Button::new("⏶").small())
                    .on_hover_text("Move the selected segment up (Alt+Up)")
                    .on_disabled_hover_text(hint);
                up.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, up.enabled(), "Move selected up"));
                if up.clicked() {
                    commands.push(Command::Segments(SegmentsCommand::Move { id, to_index: position - 1 }));
                }
            });
        }
    });
    let mut search = state.segment_search.clone();
    ui.horizontal(|ui| {
        let label = ui.label("Search");
        let edit = egui::TextEdit::singleline(&mut search).hint_text("Segment name").desired_width(f32::INFINITY);
        if ui.add(edit).labelled_by(label.id).changed() {
            commands.push(Command::Segments(SegmentsCommand::SetSearch(search)));
        }
    });
    if filtering {
        ui.label(RichText::new("Clear the search to reorder").small().weak());
    }
}

/// Alt+Up and Alt+Down move the selected segment while nothing else takes the keys.
fn reorder_shortcuts(
    ui: &egui::Ui,
    state: &AppState,
    selected_position: Option<usize>,
    count: usize,
    filtering: bool,
    commands: &mut Vec<Command>,
) {
    if let (Some(position), Some(id)) = (selected_position, state.selected_segment)
        && !filtering
        && state.dialog.is_none()
        && !ui.ctx().text_edit_focused()
    {
        let (up, down) = ui.input_mut(|i| {
            (
                i.consume_key(egui::Modifiers::ALT, egui::Key::ArrowUp),
                i.consume_key(egui::Modifiers::ALT, egui::Key::ArrowDown),
            )
        });
        if up && position > 0 {
            commands.push(Command::Segments(SegmentsCommand::Move { id, to_index: position - 1 }));
        } else if down && position + 1 < count {
            commands.push(Command::Segments(SegmentsCommand::Move { id, to_index: position + 1 }));
        }
    }
}

/// Where a row sits in the list, for its context menu.
struct RowContext<'a> {
    state: &'a AppState,
    view: &'a WorkspaceView,
    /// The segment whose conditions have unsaved edits, if any.
    unsaved: Option<crate::domain::SegmentId>,
    position: usize,
    count: usize,
    reorderable: bool,
}

fn segment_row_ui(
    ui: &mut egui::Ui,
    row: &RowContext<'_>,
    segment: &Segment,
    selected: bool,
    commands: &mut Vec<Command>,
) {
    let view = row.view;
    let members = view.member_counts.get(&segment.id).copied().unwrap_or(0);
    let sequence = segment.sequence.and_then(|id| view.sequence(id)).map(|s| s.name.as_str());
    let frame = egui::Frame::new().inner_margin(egui::Margin::symmetric(6, 4)).corner_radius(4.0).fill(if selected {
        ui.visuals().faint_bg_color
    } else {
        egui::Color32::TRANSPARENT
    });
    frame.show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            // A fixed-width priority number keeps the names aligned past 9.
            ui.add_sized([22.0, 18.0], egui::Label::new(RichText::new(format!("{}.", row.position + 1)).weak()));
            let unsaved = row.unsaved == Some(segment.id);
            let title = if unsaved { format!("{} •", segment.name) } else { segment.name.clone() };
            // Long names are cut to the row, leaving room for the badge; the tooltip has it all.
            let room = (ui.available_width() - 60.0).max(40.0);
            let name = ui
                .scope(|ui| {
                    ui.set_max_width(room);
                    ui.add(egui::Button::selectable(selected, RichText::new(title).strong()).truncate())
                })
                .inner;
            let name = if unsaved {
                name.on_hover_text(format!("{} (unsaved changes to the conditions)", segment.name))
            } else {
                name.on_hover_text(&segment.name)
            };
            if name.clicked() {
                commands.push(Command::Segments(SegmentsCommand::Select(segment.id)));
            }
            name.context_menu(|ui| row_menu_ui(ui, row, segment, commands));
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                theme::status_badge(ui, segment.status);
            });
        });
        ui.horizontal(|ui| {
            let small = |text: String| RichText::new(text).small().weak();
            ui.label(small(format!("{} members", thousands(members))));
            if let Some(sizes) = row.state.sizes.latest() {
                super::sizes::sparkline_ui(ui, &sizes.series(segment.id, members), egui::vec2(36.0, 10.0));
            }
            if let Some(unassigned) = view.unassigned_counts.get(&segment.id).filter(|n| **n > 0) {
                ui.label(small("·".into()));
                ui.label(small(format!("{} unassigned", thousands(*unassigned))))
                    .on_hover_text("Members no seller owns yet");
            }
            ui.label(small("·".into()));
            ui.add(egui::Label::new(small(sequence.map_or("No sequence".into(), str::to_owned))).truncate());
        });
        super::lint::segment_lint_ui(ui, row.state, segment.id);
    });
}

fn row_menu_ui(ui: &mut egui::Ui, row: &RowContext<'_>, segment: &Segment, commands: &mut Vec<Command>) {
    let hint = "Clear the search to reorder";
    if ui
        .add_enabled(row.reorderable && row.position > 0, egui::Button::new("Move up"))
        .on_disabled_hover_text(hint)
        .clicked()
    {
        commands.push(Command::Segments(SegmentsCommand::Move { id: segment.id, to_index: row.position - 1 }));
        ui.close();
    }
    if ui
        .add_enabled(row.reorderable && row.position + 1 < row.count, egui::Button::new("Move down"))
        .on_disabled_hover_text(hint)
        .clicked()
    {
        commands.push(Command::Segments(SegmentsCommand::Move { id: segment.id, to_index: row.position + 1 }));
        ui.close();
    }
    ui.separator();
    if ui.button("Copy this segment…").clicked() {
        commands.push(Command::Segments(SegmentsCommand::ShowCopy(segment.id)));
        ui.close();
    }
    ui.separator();
    if lifecycle_buttons_ui(ui, segment, commands) {
        ui.close();
    }
}

/// Activate…, Deactivate, Re-evaluate… and Delete…, each enabled where the lifecycle
/// (Draft → Active ⇄ Inactive; delete when not active) allows. True when one was clicked.
fn lifecycle_buttons_ui(ui: &mut egui::Ui, segment: &Segment, commands: &mut Vec<Command>) -> bool {
    let status = segment.status;
    let mut clicked = false;
    let mut button = |ui: &mut egui::Ui, enabled: bool, label: &str, hint: &str, command: Command| {
        if ui.add_enabled(enabled, egui::Button::new(label)).on_hover_text(hint).clicked() {
            commands.push(command);
            clicked = true;
        }
    };
    button(
        ui,
        status.can_become(Status::Active),
        "Activate…",
        "Show the impact on existing records, then activate",
        Command::Segments(SegmentsCommand::ShowActivate(segment.id)),
    );
    button(
        ui,
        status == Status::Active,
        "Deactivate",
        "Keep the members but add no more",
        Command::Segments(SegmentsCommand::Deactivate(segment.id)),
    );
    button(
        ui,
        status == Status::Active,
        "Re-evaluate…",
        "Evaluate the existing records against this segment again",
        Command::Segments(SegmentsCommand::ShowReevaluate(segment.id)),
    );
    button(
        ui,
        status != Status::Active,
        "Delete…",
        "Delete this segment (deactivate it first if it is active)",
        Command::Segments(SegmentsCommand::AskDelete(segment.id)),
    );
    clicked
}

fn segment_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    def: &RecordTypeDef,
    segment: &Segment,
    commands: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        // The name is cut so the badge still fits: past the edge it would widen the whole
        // panel under the preview, and the builder's buttons with it.
        let room = (ui.available_width() - 80.0).max(60.0);
        ui.scope(|ui| {
            ui.set_max_width(room);
            ui.add(egui::Label::new(RichText::new(&segment.name).heading()).truncate()).on_hover_text(&segment.name);
        });
        theme::status_badge(ui, segment.status);
    });
    // The actions on their own row: a long name never pushes them off the panel.
    ui.horizontal_wrapped(|ui| {
        lifecycle_buttons_ui(ui, segment, commands);
        if ui.button("Copy…").on_hover_text("Create a draft with the same conditions").clicked() {
            commands.push(Command::Segments(SegmentsCommand::ShowCopy(segment.id)));
        }
    });
    if !segment.description.is_empty() {
        ui.label(RichText::new(&segment.description).weak());
    }
    ui.add_space(6.0);
    match state.builder.as_ref().filter(|b| b.segment == segment.id) {
        Some(builder) => super::builder::builder_ui(ui, state, view, def, builder, commands),
        None => {
            ui.spinner();
        }
    }
    ui.add_space(8.0);
    // Wrapped: at a large zoom the last tabs go to a second line instead of off the panel.
    ui.horizontal_wrapped(|ui| {
        for tab in DetailTab::ALL {
            if ui.selectable_label(state.detail_tab == tab, tab.label()).clicked() {
                commands.push(Command::Segments(SegmentsCommand::ShowTab(tab)));
            }
        }
    });
    ui.separator();
    match state.detail_tab {
        // The members table scrolls itself (only the visible rows are drawn).
        DetailTab::Members => members_ui(ui, state, view, def, segment, commands),
        tab => {
            ScrollArea::vertical().id_salt("detail_tab").show(ui, |ui| match tab {
                DetailTab::Details => {
                    details_ui(ui, view, segment, commands);
                    ui.add_space(12.0);
                    let members = view.member_counts.get(&segment.id).copied().unwrap_or(0);
                    super::sizes::size_chart_ui(ui, state, segment.id, members);
                }
                DetailTab::Sequence => super::sequences::segment_sequence_ui(ui, view, segment, commands),
                DetailTab::AssignmentRules => super::rules::rules_tab_ui(ui, state, view, segment, commands),
                _ => history_ui(ui, state, view, segment),
            });
        }
    }
}

/// The members of the segment: a table that asks for the pages it shows.
fn members_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    def: &RecordTypeDef,
    segment: &Segment,
    commands: &mut Vec<Command>,
) {
    use egui_extras::{Column, TableBuilder};

    let total = view.member_counts.get(&segment.id).copied().unwrap_or(0);
    ui.horizontal(|ui| {
        ui.label(format!("{} {} in this segment", thousands(total), def.plural_label.to_lowercase()));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.add_enabled(total > 0, egui::Button::new("Export CSV…")).clicked() {
                commands.push(Command::Segments(SegmentsCommand::ShowExportMembers(segment.id)));
            }
        });
    });
    if let Some(error) = &state.members.error {
        ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
    }
    if total == 0 || state.members.segment != Some(segment.id) {
        return;
    }
    let page = crate::state::MEMBER_PAGE;
    let mut wanted = std::collections::BTreeSet::new();
    let when = |t: jiff::Timestamp| crate::domain::format::format_timestamp(t, &view.time_zone);
    TableBuilder::new(ui)
        .id_salt(("members", segment.id))
        .striped(true)
        // The Explain button first: it stays in view when the Explain panel narrows the table.
        .column(Column::auto())
        .column(Column::remainder().at_least(160.0).clip(true))
        .column(Column::auto().at_least(120.0))
        .column(Column::remainder().at_least(160.0).clip(true))
        .header(theme::ROW_HEIGHT, |mut header| {
            for title in ["", "Title", "Member since", "Reason"] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            let rows = usize::try_from(total).unwrap_or(usize::MAX);
            body.rows(theme::ROW_HEIGHT, rows, |mut row| {
                let position = row.index() as u64;
                if let Some(member) = state.members.rows.get(&position) {
                    row.col(|ui| super::explain::explain_button(ui, &def.name, member.member.record, commands));
                    row.col(|ui| {
                        let title = ui.add(egui::Label::new(&member.title).truncate().sense(egui::Sense::click()));
                        if title
                            .on_hover_cursor(egui::CursorIcon::PointingHand)
                            .on_hover_text("Open this record")
                            .clicked()
                        {
                            commands.push(ConditionsCommand::OpenPreviewRecord(member.member.record).into());
                        }
                    });
                    row.col(|ui| {
                        ui.label(when(member.member.since));
                    });
                    row.col(|ui| {
                        let reason = match &member.member.moved_from {
                            Some(from) => format!("Moved from {}", from.name),
                            None => member.member.reason.to_string(),
                        };
                        ui.add(egui::Label::new(reason).truncate());
                    });
                } else {
                    wanted.insert(position / page * page);
                    row.col(|_| {});
                    row.col(|ui| {
                        ui.label(RichText::new("Loading").weak());
                    });
                    row.col(|_| {});
                    row.col(|_| {});
                }
            });
        });
    if !wanted.is_empty() {
        commands.push(Command::Segments(SegmentsCommand::FetchMembers(wanted.into_iter().collect())));
    }
}

/// The segment's history, newest first: when, what changed, before and after.
fn history_ui(ui: &mut egui::Ui, state: &AppState, view: &WorkspaceView, segment: &Segment) {
    let history = &state.history;
    if history.segment != Some(segment.id) {
        ui.spinner();
        return;
    }
    if let crate::state::Loadable::Failed { error, .. } = &history.entries {
        ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
    }
    let Some(entries) = history.entries.latest() else {
        ui.spinner();
        return;
    };
    if entries.is_empty() {
        ui.label(RichText::new("No changes recorded yet").weak());
        return;
    }
    let when = |t: jiff::Timestamp| crate::domain::format::format_timestamp(t, &view.time_zone);
    for (index, entry) in entries.iter().enumerate() {
        ui.push_id(index, |ui| {
            let change = &entry.change;
            ui.horizontal(|ui| {
                ui.label(RichText::new(when(entry.at)).weak());
                ui.label(RichText::new(change.kind.to_string()).strong());
            });
            let (before, after) = (change.before.trim(), change.after.trim());
            let single_line = !before.contains('\n') && !after.contains('\n');
            if single_line && !before.is_empty() && !after.is_empty() {
                ui.label(format!("From {before} to {after}"));
            } else if single_line && before.is_empty() {
                ui.label(after);
            } else {
                if !before.is_empty() {
                    ui.label(RichText::new("Before").small().weak());
                    ui.label(RichText::new(before).monospace());
                }
                if !after.is_empty() {
                    ui.label(RichText::new("After").small().weak());
                    ui.label(RichText::new(after).monospace());
                }
            }
            ui.separator();
        });
    }
}

fn details_ui(ui: &mut egui::Ui, view: &WorkspaceView, segment: &Segment, commands: &mut Vec<Command>) {
    let when = |t: jiff::Timestamp| crate::domain::format::format_timestamp(t, &view.time_zone);
    // A long name is cut to the panel (whole on hover) instead of widening it under the preview.
    let name_room = (ui.available_width() - 160.0).max(80.0);
    egui::Grid::new("segment_details").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
        ui.label("Name");
        ui.scope(|ui| {
            ui.set_max_width(name_room);
            ui.add(egui::Label::new(&segment.name).truncate()).on_hover_text(&segment.name);
        });
        ui.end_row();
        ui.label("Status");
        ui.label(segment.status.to_string());
        ui.end_row();
        ui.label("Priority");
        ui.label(format!("{} of {}", segment.priority + 1, view.segments_of(&segment.record_type).len()));
        ui.end_row();
        ui.label("Members");
        ui.label(thousands(view.member_counts.get(&segment.id).copied().unwrap_or(0)));
        ui.end_row();
        ui.label("Unassigned members");
        ui.label(thousands(view.unassigned_counts.get(&segment.id).copied().unwrap_or(0)))
            .on_hover_text("Members no seller owns yet");
        ui.end_row();
        ui.label("Created on");
        ui.label(when(segment.created_on));
        ui.end_row();
        ui.label("Modified on");
        ui.label(when(segment.modified_on));
        ui.end_row();
        if crate::domain::timing::depends_on_clock(&segment.conditions) {
            ui.label("Evaluation");
            ui.label("Depends on the date: re-evaluated daily").on_hover_text(
                "Its conditions use relative dates: records join and leave as days pass, when the workspace opens, \
                 at midnight in the workspace's time zone and at the interval in Workspace settings",
            );
            ui.end_row();
        }
    });
    ui.add_space(8.0);
    let mut accept = segment.accept_from_other_segments;
    let mut rerun = segment.rerun_assignment_on_move;
    let accept_changed = ui
        .checkbox(&mut accept, "Accept records from other segments")
        .on_hover_text("A member of a lower segment moves here when it matches")
        .changed();
    let rerun_changed = ui
        .indent("rerun_option", |ui| {
            ui.add_enabled(accept, egui::Checkbox::new(&mut rerun, "Re-run assignment when a record moves in"))
                .changed()
        })
        .inner;
    if accept_changed || rerun_changed {
        commands.push(Command::Segments(SegmentsCommand::SetOptions {
            id: segment.id,
            accept_from_other_segments: accept,
            rerun_assignment_on_move: accept && rerun,
        }));
    }
}
