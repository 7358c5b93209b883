//! The Sequences screen (list, editor with drag-to-reorder steps, connected segments,
//! enrolments), the segment's Sequence tab, and the selected record's enrolment line.

use egui::{RichText, ScrollArea};

use crate::domain::sequence::{EndReason, EnrolmentRow, EnrolmentState, WAIT_MAX_MINUTES, wait_text};
use crate::domain::{RecordTypeDef, Segment, Sequence, Status, StepKind};
use crate::state::WorkspaceView;
use crate::state::sequences::{DraftEdit, EnrolmentList, SequenceDraft, SequencesCommand};
use crate::state::{AppState, Command};

use super::theme::{self, thousands};

fn push(commands: &mut Vec<Command>, command: SequencesCommand) {
    commands.push(Command::Sequences(command));
}

fn edit(commands: &mut Vec<Command>, edit: DraftEdit) {
    push(commands, SequencesCommand::Edit(edit));
}

pub fn screen_ui(ui: &mut egui::Ui, state: &AppState, view: &WorkspaceView, commands: &mut Vec<Command>) {
    let Some(def) = state.current_type() else { return };
    let seq = &state.sequences;
    let draft = seq.draft.as_ref().filter(|d| d.record_type == def.name);
    egui::Panel::left("sequence_list")
        .resizable(true)
        .default_size(theme::SEGMENT_LIST_WIDTH)
        .min_size(220.0)
        .show(ui, |ui| list_ui(ui, state, view, def, draft, commands));
    egui::CentralPanel::default().show(ui, |ui| {
        if let Some(draft) = draft {
            ScrollArea::vertical().id_salt("sequence_editor").auto_shrink(false).show(ui, |ui| {
                let stored = draft.id.and_then(|id| view.sequence(id));
                editor_ui(ui, view, draft, stored, commands);
                if let Some(sequence) = stored {
                    ui.add_space(12.0);
                    connections_ui(ui, view, def, sequence, commands);
                    ui.add_space(12.0);
                    enrolments_ui(ui, state, view, def, sequence, commands);
                }
            });
        } else {
            overview_ui(ui, view, def, commands);
        }
    });
}

/// With no sequence selected: what sequences are, each one at a glance (status, steps, the
/// segments that enrol into it), and the way to the Work list where their steps are done.
fn overview_ui(ui: &mut egui::Ui, view: &WorkspaceView, def: &RecordTypeDef, commands: &mut Vec<Command>) {
    ui.add_space(8.0);
    ui.heading("Sequences");
    ui.label(
        RichText::new(
            "A sequence is the cadence a record follows after it joins a segment: calls, emails and tasks, with waits \
             between them. Select one to edit its steps, or create one.",
        )
        .weak(),
    );
    ui.add_space(6.0);
    ui.horizontal_wrapped(|ui| {
        if ui.button("Create a sequence…").clicked() {
            push(commands, SequencesCommand::New);
        }
        if ui.button("Open the Work list").on_hover_text("The steps that are due, seller by seller").clicked() {
            commands.push(Command::ShowScreen(crate::state::Screen::WorkList));
        }
    });
    let sequences: Vec<&Sequence> = view.sequences.iter().filter(|s| s.record_type == def.name).collect();
    if sequences.is_empty() {
        return;
    }
    ui.add_space(10.0);
    egui::Grid::new("sequence_overview").striped(true).num_columns(4).spacing([16.0, 6.0]).show(ui, |ui| {
        for heading in ["Sequence", "Status", "Steps", "Segments enrolling"] {
            ui.label(RichText::new(heading).strong());
        }
        ui.end_row();
        for sequence in sequences {
            if ui.link(&sequence.name).clicked() {
                push(commands, SequencesCommand::Select(sequence.id));
            }
            theme::status_badge(ui, sequence.status);
            ui.label(sequence.steps.len().to_string());
            let segments: Vec<&str> = view
                .segments
                .get(&def.name)
                .into_iter()
                .flatten()
                .filter(|s| s.sequence == Some(sequence.id))
                .map(|s| s.name.as_str())
                .collect();
            let text = if segments.is_empty() { "none".to_owned() } else { segments.join(", ") };
            ui.add(egui::Label::new(text).truncate());
            ui.end_row();
        }
    });
}

fn list_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    def: &RecordTypeDef,
    draft: Option<&SequenceDraft>,
    commands: &mut Vec<Command>,
) {
    let sequences: Vec<&Sequence> = view.sequences.iter().filter(|s| s.record_type == def.name).collect();
    let dirty = draft.is_some_and(|d| d.dirty);
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.heading(format!("{} sequences", def.label));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let new = ui
                .add_enabled(!dirty, egui::Button::new("New sequence…"))
                .on_disabled_hover_text("Save or discard the changes first");
            if new.clicked() {
                push(commands, SequencesCommand::New);
            }
        });
    });
    ui.separator();
    if sequences.is_empty() {
        ui.add_space(16.0);
        ui.vertical_centered(|ui| {
            ui.label(RichText::new(format!("No {} sequences yet", def.label.to_lowercase())).strong());
            ui.label(RichText::new("A sequence is the cadence of activities records follow").weak());
            ui.label(RichText::new("Use \"New sequence…\" to create one").weak());
        });
        return;
    }
    ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
        for sequence in sequences {
            ui.push_id(sequence.id, |ui| {
                let selected = state.sequences.selected == Some(sequence.id);
                let connected = view.segments_of(&def.name).iter().filter(|s| s.sequence == Some(sequence.id)).count();
                let frame = egui::Frame::new()
                    .inner_margin(egui::Margin::symmetric(6, 4))
                    .corner_radius(4.0)
                    .fill(if selected { ui.visuals().faint_bg_color } else { egui::Color32::TRANSPARENT });
                frame.show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.horizontal(|ui| {
                        let room = (ui.available_width() - 60.0).max(40.0);
                        let name = ui
                            .scope(|ui| {
                                ui.set_max_width(room);
                                ui.add_enabled(
                                    !dirty || selected,
                                    egui::Button::selectable(selected, RichText::new(&sequence.name).strong())
                                        .truncate(),
                                )
                            })
                            .inner
                            .on_hover_text(&sequence.name)
                            .on_disabled_hover_text("Save or discard the changes first");
                        if name.clicked() && !selected {
                            push(commands, SequencesCommand::Select(sequence.id));
                        }
                        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                            theme::status_badge(ui, sequence.status);
                        });
                    });
                    let small = |text: String| RichText::new(text).small().weak();
                    let steps = sequence.steps.len();
                    let segments =
                        if connected == 1 { "1 segment".to_owned() } else { format!("{connected} segments") };
                    ui.label(small(format!("{steps} {} · {segments}", if steps == 1 { "step" } else { "steps" })));
                });
            });
        }
    });
}

fn editor_ui(
    ui: &mut egui::Ui,
    view: &WorkspaceView,
    draft: &SequenceDraft,
    stored: Option<&Sequence>,
    commands: &mut Vec<Command>,
) {
    let error = theme::error_colour(ui.visuals());
    let read_only = stored.is_some_and(|s| s.status == Status::Active);
    ui.horizontal(|ui| {
        let title = match stored {
            Some(s) => s.name.clone(),
            None => "New sequence".to_owned(),
        };
        ui.add(egui::Label::new(RichText::new(title).heading()).truncate());
        if let Some(s) = stored {
            theme::status_badge(ui, s.status);
        }
    });
    if let Some(sequence) = stored {
        ui.horizontal_wrapped(|ui| {
            let status = sequence.status;
            let activate = ui
                .add_enabled(status.can_become(Status::Active) && !draft.dirty, egui::Button::new("Activate"))
                .on_hover_text("Only active sequences can be connected to segments")
                .on_disabled_hover_text(if draft.dirty {
                    "Save or discard the changes first"
                } else {
                    "Already active"
                });
            if activate.clicked() {
                push(commands, SequencesCommand::Activate(sequence.id));
            }
            let deactivate = ui
                .add_enabled(status == Status::Active, egui::Button::new("Deactivate"))
                .on_hover_text("Running enrolments continue; nobody new is enrolled until it is active again");
            if deactivate.clicked() {
                push(commands, SequencesCommand::Deactivate(sequence.id));
            }
            let copy = ui
                .add_enabled(!draft.dirty, egui::Button::new("Copy…"))
                .on_hover_text("Create a draft with the same steps")
                .on_disabled_hover_text("Save or discard the changes first");
            if copy.clicked() {
                push(commands, SequencesCommand::Copy(sequence.id));
            }
            ui.label(
                RichText::new(format!(
                    "Modified {}",
                    crate::domain::format::format_timestamp(sequence.modified_on, &view.time_zone)
                ))
                .small()
                .weak(),
            );
        });
    }
    if read_only {
        ui.label(RichText::new("Active sequences cannot be edited; deactivate it to change its steps").weak());
    }
    ui.add_space(6.0);
    let sequence_problems: Vec<_> = draft.problems.iter().filter(|p| p.step.is_none()).collect();
    ui.add_enabled_ui(!read_only, |ui| {
        egui::Grid::new("sequence_form").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
            let label = ui.label("Name");
            let mut name = draft.name.clone();
            let response = ui.add(egui::TextEdit::singleline(&mut name).desired_width(360.0).hint_text("Required"));
            if response.labelled_by(label.id).accessible_name("Sequence name").changed() {
                edit(commands, DraftEdit::SetName(name));
            }
            ui.end_row();
            let label = ui.label("Description");
            let mut description = draft.description.clone();
            let response = ui.add(egui::TextEdit::multiline(&mut description).desired_width(360.0).desired_rows(2));
            if response.labelled_by(label.id).accessible_name("Sequence description").changed() {
                edit(commands, DraftEdit::SetDescription(description));
            }
            ui.end_row();
        });
        for problem in &sequence_problems {
            ui.label(RichText::new(problem.to_string()).color(error));
        }
        options_ui(ui, draft, commands);
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            ui.strong("Steps");
            ui.label(RichText::new("Drag a step by its number to reorder").small().weak());
        });
        steps_ui(ui, draft, commands);
        ui.menu_button("Add step", |ui| {
            for kind in StepKind::ALL {
                if ui.button(kind.to_string()).clicked() {
                    edit(commands, DraftEdit::AddStep(kind));
                    ui.close();
                }
            }
        });
    });
    ui.add_space(6.0);
    if let Some(save_error) = &draft.save_error {
        ui.label(RichText::new(save_error).color(error));
    }
    if !read_only {
        ui.horizontal(|ui| {
            let can_save = draft.dirty && draft.problems.is_empty();
            let hint = if draft.problems.is_empty() { "Nothing changed" } else { "Fix the problems above first" };
            if ui.add_enabled(can_save, egui::Button::new("Save")).on_disabled_hover_text(hint).clicked() {
                push(commands, SequencesCommand::Save);
            }
            if ui.add_enabled(draft.dirty, egui::Button::new("Discard")).clicked() {
                push(commands, SequencesCommand::Discard);
            }
            if draft.dirty {
                ui.label(RichText::new("Unsaved changes").weak());
            }
        });
    }
}

/// How the sequence's enrolments run: waits in working hours, stopping on leaving.
fn options_ui(ui: &mut egui::Ui, draft: &SequenceDraft, commands: &mut Vec<Command>) {
    let mut working_hours = draft.options.working_hours;
    if ui
        .checkbox(&mut working_hours, "Count waits in the owner's working hours")
        .on_hover_text("Otherwise a wait is calendar time in the owner's time zone")
        .changed()
    {
        edit(commands, DraftEdit::SetWorkingHours(working_hours));
    }
    let mut stop = draft.options.stop_when_leaving;
    if ui
        .checkbox(&mut stop, "Stop when the record leaves its segment")
        .on_hover_text("Otherwise the enrolment keeps running after the record leaves")
        .changed()
    {
        edit(commands, DraftEdit::SetStopWhenLeaving(stop));
    }
}

fn steps_ui(ui: &mut egui::Ui, draft: &SequenceDraft, commands: &mut Vec<Command>) {
    if draft.steps.is_empty() {
        ui.label(RichText::new("No steps yet — Add step").weak());
        return;
    }
    let error = theme::error_colour(ui.visuals());
    let drop_colour = ui.visuals().selection.stroke.color;
    let response = egui_dnd::dnd(ui, ui.scope_id().with("sequence_steps")).show_custom(|ui, iter| {
        for (index, step) in draft.steps.iter().enumerate() {
            let drop_indicator =
                |ui: &mut egui::Ui, space: egui::Vec2| theme::drop_indicator(ui, space, drop_colour, false);
            let item_id = egui::Id::unique(("sequence_step", step.key));
            iter.space_before(ui, item_id, drop_indicator);
            iter.next(ui, item_id, index, false, |ui, item| {
                item.ui(ui, |ui, handle, item_state| {
                    let frame = egui::Frame::group(ui.style()).fill(if item_state.dragged {
                        ui.visuals().window_fill
                    } else {
                        ui.visuals().faint_bg_color
                    });
                    frame.show(ui, |ui| {
                        ui.set_width(ui.available_width().min(640.0));
                        ui.push_id(step.key, |ui| {
                            step_ui(ui, draft, index, handle, commands);
                            for problem in draft.step_problems(index) {
                                ui.label(RichText::new(problem.kind.to_string()).color(error));
                            }
                        });
                    });
                })
            });
            iter.space_after(ui, item_id, drop_indicator);
        }
    });
    if let Some((from, to_index)) = response.final_update().as_ref().and_then(theme::dnd_move)
        && let Some(step) = draft.steps.get(from)
    {
        edit(commands, DraftEdit::MoveStep { key: step.key, to_index });
    }
}

fn step_ui(
    ui: &mut egui::Ui,
    draft: &SequenceDraft,
    index: usize,
    handle: egui_dnd::Handle<'_>,
    commands: &mut Vec<Command>,
) {
    let Some(draft_step) = draft.steps.get(index) else { return };
    let (key, step) = (draft_step.key, &draft_step.step);
    let number = index + 1;
    ui.horizontal(|ui| {
        handle.ui(ui, |ui| {
            ui.label(RichText::new(format!("{number}.")).strong()).on_hover_text("Drag to reorder");
        });
        ui.label("Kind");
        let response = egui::ComboBox::from_id_salt(("step_kind", key))
            .selected_text(step.kind.to_string())
            .show_ui(ui, |ui| {
                for kind in StepKind::ALL {
                    if ui.selectable_label(step.kind == kind, kind.to_string()).clicked() {
                        edit(commands, DraftEdit::SetStepKind { key, kind });
                    }
                }
            })
            .response;
        response.accessible_name(format!("Step {number} kind"));
        ui.label("Name");
        let mut name = step.name.clone();
        let response = ui.add(egui::TextEdit::singleline(&mut name).desired_width(220.0));
        if response.accessible_name(format!("Step {number} name")).changed() {
            edit(commands, DraftEdit::SetStepName { key, name });
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let remove = ui.small_button("Remove").on_hover_text("Remove this step");
            if remove.accessible_name(format!("Remove step {number}")).clicked() {
                edit(commands, DraftEdit::RemoveStep(key));
            }
        });
    });
    if step.kind == StepKind::Wait {
        let minutes = step.wait_minutes.unwrap_or(0);
        let (mut days, mut hours) = (minutes / 1440, (minutes % 1440) / 60);
        ui.horizontal(|ui| {
            ui.label("Wait for");
            let d = ui
                .add(egui::DragValue::new(&mut days).range(0..=WAIT_MAX_MINUTES / 1440).suffix(" days"))
                .accessible_name(format!("Step {number} days"));
            let h = ui
                .add(egui::DragValue::new(&mut hours).range(0..=23).suffix(" hours"))
                .accessible_name(format!("Step {number} hours"));
            if d.changed() || h.changed() {
                edit(commands, DraftEdit::SetStepWait { key, days, hours });
            }
            ui.label(RichText::new("up to 30 days").small().weak());
        });
    }
    ui.horizontal(|ui| {
        ui.label("Description");
        let mut description = step.description.clone();
        let response =
            ui.add(egui::TextEdit::singleline(&mut description).desired_width(420.0).hint_text("What the seller does"));
        if response.accessible_name(format!("Step {number} description")).changed() {
            edit(commands, DraftEdit::SetStepDescription { key, description });
        }
    });
}

/// The segments this sequence serves, and connecting more.
fn connections_ui(
    ui: &mut egui::Ui,
    view: &WorkspaceView,
    def: &RecordTypeDef,
    sequence: &Sequence,
    commands: &mut Vec<Command>,
) {
    ui.strong("Connected segments");
    let segments = view.segments_of(&def.name);
    let connected: Vec<&Segment> = segments.iter().filter(|s| s.sequence == Some(sequence.id)).collect();
    if connected.is_empty() {
        ui.label(
            RichText::new("No segment is connected; records are enrolled when they join a connected segment").weak(),
        );
    }
    for segment in &connected {
        ui.push_id(segment.id, |ui| {
            ui.horizontal(|ui| {
                ui.add(egui::Label::new(&segment.name).truncate());
                theme::status_badge(ui, segment.status);
                let button = ui.small_button("Disconnect").on_hover_text("Running enrolments continue");
                if button.accessible_name(format!("Disconnect {}", segment.name)).clicked() {
                    push(commands, SequencesCommand::Disconnect(segment.id));
                }
            });
        });
    }
    if sequence.status == Status::Inactive && !connected.is_empty() {
        ui.label(RichText::new("Inactive: records joining these segments are not enrolled until it is active").weak());
    }
    let free: Vec<&Segment> = segments.iter().filter(|s| s.sequence.is_none()).collect();
    ui.horizontal(|ui| {
        let active = sequence.status == Status::Active;
        let label = ui.label("Connect a segment");
        ui.add_enabled_ui(active && !free.is_empty(), |ui| {
            egui::ComboBox::from_id_salt("connect_segment")
                .selected_text("Pick a segment")
                .show_ui(ui, |ui| {
                    for segment in &free {
                        if ui.selectable_label(false, &segment.name).clicked() {
                            push(commands, SequencesCommand::Connect { segment: segment.id, sequence: sequence.id });
                        }
                    }
                })
                .response
                .labelled_by(label.id)
        });
        if !active {
            ui.label(RichText::new("Activate the sequence to connect segments").small().weak());
        } else if free.is_empty() {
            ui.label(RichText::new("Every segment has a sequence; disconnect one first").small().weak());
        }
    });
}

fn enrolments_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    def: &RecordTypeDef,
    sequence: &Sequence,
    commands: &mut Vec<Command>,
) {
    use egui_extras::{Column, TableBuilder};

    ui.strong("Enrolments");
    let Some(list) = state.sequences.enrolments.as_ref().filter(|l| l.sequence == sequence.id) else {
        ui.spinner();
        return;
    };
    if let Some(error) = &list.error {
        ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
    }
    let EnrolmentList { counts, rows, .. } = list;
    let per_step = &counts.per_step;
    if counts.running > 0 {
        step_bars_ui(ui, sequence, per_step, counts.running);
    }
    if counts.total == 0 {
        ui.label(
            RichText::new(format!(
                "No {} enrolled yet; records joining a connected segment are",
                def.plural_label.to_lowercase()
            ))
            .weak(),
        );
        return;
    }
    ui.label(format!("{} running, {} in all", thousands(counts.running), thousands(counts.total)));
    let when = |t: jiff::Timestamp| crate::domain::format::format_timestamp(t, &view.time_zone);
    TableBuilder::new(ui)
        .id_salt(("enrolments", sequence.id))
        .striped(true)
        .vscroll(false)
        .column(Column::remainder().at_least(140.0).clip(true))
        .column(Column::auto().at_least(120.0).clip(true))
        .column(Column::auto().at_least(120.0).clip(true))
        .column(Column::auto().at_least(150.0).clip(true))
        .column(Column::auto().at_least(120.0))
        .header(theme::ROW_HEIGHT, |mut header| {
            for title in ["Record", "Segment", "Step", "Status", "Since"] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|mut body| {
            for row in rows {
                body.row(theme::ROW_HEIGHT, |mut cells| {
                    cells.col(|ui| {
                        ui.add(egui::Label::new(&row.title).truncate());
                    });
                    cells.col(|ui| {
                        ui.add(egui::Label::new(&row.segment_name).truncate());
                    });
                    cells.col(|ui| {
                        ui.add(egui::Label::new(step_text(sequence, row)).truncate());
                    });
                    cells.col(|ui| {
                        let text = enrolment_state_text(row, list.read_at, &view.time_zone);
                        ui.add(egui::Label::new(text).truncate());
                    });
                    cells.col(|ui| {
                        ui.label(when(row.enrolment.ended_at.unwrap_or(row.enrolment.started_at)));
                    });
                });
            }
        });
    if (rows.len() as u64) < counts.total
        && ui.button(format!("Show more ({} of {})", thousands(rows.len() as u64), thousands(counts.total))).clicked()
    {
        push(commands, SequencesCommand::MoreEnrolments);
    }
}

fn step_text(sequence: &Sequence, row: &EnrolmentRow) -> String {
    let index = row.enrolment.step as usize;
    match sequence.steps.get(index) {
        Some(step) => format!("{}. {}", index + 1, step.name),
        None => format!("Step {}", index + 1),
    }
}

/// Where an enrolment stands: "step 2 of 3, Call: due since …", "… waiting until …",
/// "completed …", "ended …, moved to another segment"; with the last finished step.
pub fn enrolment_state_text(row: &EnrolmentRow, now: jiff::Timestamp, zone: &jiff::tz::TimeZone) -> String {
    let when = |t: jiff::Timestamp| crate::domain::format::format_timestamp(t, zone);
    let e = &row.enrolment;
    let step = match &row.step {
        Some(step) => format!("step {} of {}, {}", e.step + 1, row.steps, step.name),
        None => format!("step {}", e.step + 1),
    };
    let last =
        row.last_outcome.map(|(position, outcome)| format!("; step {} {outcome}", position + 1)).unwrap_or_default();
    match e.state(now, row.sequence_active) {
        EnrolmentState::Due { since } => format!("{step}: due since {}{last}", when(since)),
        EnrolmentState::Waiting { until } => format!("{step}: waiting until {}{last}", when(until)),
        EnrolmentState::Paused => format!("{step}: paused while the sequence is inactive{last}"),
        EnrolmentState::Ended { reason: EndReason::Completed, at } => format!("completed {}{last}", when(at)),
        EnrolmentState::Ended { reason, at } => format!("ended {}, {reason}", when(at)),
    }
}

/// How many running enrolments are on each step: a small bar per step.
fn step_bars_ui(ui: &mut egui::Ui, sequence: &Sequence, per_step: &[u64], running: u64) {
    egui::Grid::new(("step_bars", sequence.id)).num_columns(3).spacing([8.0, 2.0]).show(ui, |ui| {
        for (index, step) in sequence.steps.iter().enumerate() {
            if step.kind == StepKind::Wait {
                continue;
            }
            let count = per_step.get(index).copied().unwrap_or(0);
            ui.label(RichText::new(format!("{}. {}", index + 1, step.name)).small());
            let fraction = if running == 0 { 0.0 } else { count as f32 / running as f32 };
            ui.add(egui::ProgressBar::new(fraction).desired_width(160.0).desired_height(8.0))
                .on_hover_text(format!("{} on this step", thousands(count)));
            ui.label(RichText::new(thousands(count)).small());
            ui.end_row();
        }
    });
}

/// The segment's Sequence tab: its sequence and steps with Disconnect, or a picker of the
/// active sequences of its record type.
pub fn segment_sequence_ui(ui: &mut egui::Ui, view: &WorkspaceView, segment: &Segment, commands: &mut Vec<Command>) {
    let Some(id) = segment.sequence else {
        let active: Vec<&Sequence> = view
            .sequences
            .iter()
            .filter(|s| s.record_type == segment.record_type && s.status == Status::Active)
            .collect();
        ui.label(RichText::new("No sequence connected").weak());
        if active.is_empty() {
            let label = view.record_type(&segment.record_type).map_or("", |d| d.label.as_str()).to_lowercase();
            ui.label(RichText::new(format!("There is no active {label} sequence to connect")).weak());
            if ui.button("Go to Sequences").clicked() {
                commands.push(Command::ShowScreen(crate::state::Screen::Sequences));
            }
            return;
        }
        ui.horizontal(|ui| {
            let label = ui.label("Connect a sequence");
            egui::ComboBox::from_id_salt(("connect_sequence", segment.id))
                .selected_text("Pick an active sequence")
                .show_ui(ui, |ui| {
                    for sequence in &active {
                        if ui.selectable_label(false, &sequence.name).clicked() {
                            push(commands, SequencesCommand::Connect { segment: segment.id, sequence: sequence.id });
                        }
                    }
                })
                .response
                .labelled_by(label.id);
        });
        ui.label(
            RichText::new("Records joining the segment from then on are enrolled at the first step").small().weak(),
        );
        return;
    };
    let Some(sequence) = view.sequence(id) else {
        ui.label(RichText::new(format!("Connected to sequence #{}, which no longer exists", id.0)).weak());
        return;
    };
    ui.horizontal(|ui| {
        ui.label(RichText::new(&sequence.name).strong());
        theme::status_badge(ui, sequence.status);
        if ui.button("Disconnect").on_hover_text("Running enrolments continue").clicked() {
            push(commands, SequencesCommand::Disconnect(segment.id));
        }
        if ui.button("Open sequence").clicked() {
            push(commands, SequencesCommand::Open(sequence.id));
        }
    });
    if sequence.status != Status::Active {
        ui.label(RichText::new("The sequence is not active: records joining are not enrolled").weak());
    }
    for (index, step) in sequence.steps.iter().enumerate() {
        let wait = step.wait_minutes.map(|m| format!(" ({})", wait_text(m))).unwrap_or_default();
        ui.label(format!("{}. {} — {}{wait}", index + 1, step.kind, step.name));
    }
}

/// One line on the Records screen: the selected record's enrolment.
pub fn record_enrolment_ui(ui: &mut egui::Ui, state: &AppState, view: &WorkspaceView) {
    let Some(found) = &state.sequences.record_enrolment else { return };
    if state.records.selected != Some(found.record) || state.record_type.as_ref() != Some(&found.record_type) {
        return;
    }
    let text = match &found.enrolment {
        Err(error) => {
            ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
            return;
        }
        Ok(None) => "Enrolment: none (the record is not in a segment with a sequence)".to_owned(),
        Ok(Some(row)) => {
            let e = &row.enrolment;
            let name = view.sequence(e.sequence).map_or_else(|| format!("#{}", e.sequence.0), |s| s.name.clone());
            format!(
                "Enrolment: {name}, {} (via segment {})",
                enrolment_state_text(row, found.read_at, &view.time_zone),
                row.segment_name
            )
        }
    };
    ui.add(egui::Label::new(RichText::new(text).small()).truncate());
}
