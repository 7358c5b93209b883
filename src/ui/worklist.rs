//! The Work list screen: the due steps of running enrolments, overdue first, filtered by
//! seller, sequence, step kind and due time, with Mark done, Skip and Open record per row.
//! Keyboard: Enter marks the selected step done, S skips it, the arrows move the selection.

use egui::{Key, RichText};

use crate::domain::format::format_timestamp;
use crate::domain::sequence::{StepOutcome, WorkItem};
use crate::domain::{Status, StepKind};
use crate::state::worklist::{DueWithin, WorkListCommand};
use crate::state::{AppState, Command, ConditionsCommand, WorkspaceView};

use super::theme::{self, thousands};

fn push(commands: &mut Vec<Command>, command: WorkListCommand) {
    commands.push(Command::WorkList(command));
}

pub fn screen_ui(ui: &mut egui::Ui, state: &AppState, view: &WorkspaceView, commands: &mut Vec<Command>) {
    // In a panel, with the margins the other screens have.
    egui::CentralPanel::default().show(ui, |ui| screen_body_ui(ui, state, view, commands));
}

fn screen_body_ui(ui: &mut egui::Ui, state: &AppState, view: &WorkspaceView, commands: &mut Vec<Command>) {
    let work = &state.work_list;
    ui.add_space(4.0);
    ui.heading("Work list");
    ui.label(RichText::new("The steps sellers have to do now, overdue first").weak());
    ui.add_space(4.0);
    filters_ui(ui, state, view, commands);
    ui.separator();
    if let crate::state::Loadable::Failed { error, .. } = &work.list {
        ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
    }
    let Some(list) = work.list.latest() else {
        ui.spinner();
        return;
    };
    ui.horizontal(|ui| {
        let shown = list.items.len() as u64;
        let text = match list.total {
            0 => "Nothing to do".to_owned(),
            1 => "1 step".to_owned(),
            n if n == shown => format!("{} steps", thousands(n)),
            n => format!("The first {} of {} steps", thousands(shown), thousands(n)),
        };
        ui.label(RichText::new(text).strong());
        if work.list.is_pending() {
            ui.spinner();
        }
        ui.label(RichText::new("Enter: done · S: skip · arrows: move").small().weak());
    });
    if list.items.is_empty() {
        ui.add_space(16.0);
        ui.vertical_centered(|ui| {
            ui.label(RichText::new("No step is due with these filters").weak());
        });
        return;
    }
    keys_ui(ui, state, commands);
    table_ui(ui, state, view, &list.items, commands);
}

fn filters_ui(ui: &mut egui::Ui, state: &AppState, view: &WorkspaceView, commands: &mut Vec<Command>) {
    let work = &state.work_list;
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Seller");
        let seller_name =
            work.seller.and_then(|id| view.seller(id)).map_or_else(|| "Any seller".to_owned(), |s| s.name.clone());
        egui::ComboBox::from_id_salt("work_seller")
            .selected_text(seller_name)
            .show_ui(ui, |ui| {
                if ui.selectable_label(work.seller.is_none(), "Any seller").clicked() {
                    push(commands, WorkListCommand::SetSeller(None));
                }
                for seller in &view.sellers {
                    if ui.selectable_label(work.seller == Some(seller.id), &seller.name).clicked() {
                        push(commands, WorkListCommand::SetSeller(Some(seller.id)));
                    }
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Sequence");
        let sequence_name = work
            .sequence
            .and_then(|id| view.sequence(id))
            .map_or_else(|| "Any sequence".to_owned(), |s| s.name.clone());
        egui::ComboBox::from_id_salt("work_sequence")
            .selected_text(sequence_name)
            .show_ui(ui, |ui| {
                if ui.selectable_label(work.sequence.is_none(), "Any sequence").clicked() {
                    push(commands, WorkListCommand::SetSequence(None));
                }
                for sequence in view.sequences.iter().filter(|s| s.status == Status::Active) {
                    if ui.selectable_label(work.sequence == Some(sequence.id), &sequence.name).clicked() {
                        push(commands, WorkListCommand::SetSequence(Some(sequence.id)));
                    }
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Step");
        egui::ComboBox::from_id_salt("work_kind")
            .selected_text(work.kind.map_or_else(|| "Any step".to_owned(), |k| k.to_string()))
            .show_ui(ui, |ui| {
                if ui.selectable_label(work.kind.is_none(), "Any step").clicked() {
                    push(commands, WorkListCommand::SetKind(None));
                }
                for kind in StepKind::ALL.into_iter().filter(|k| *k != StepKind::Wait) {
                    if ui.selectable_label(work.kind == Some(kind), kind.to_string()).clicked() {
                        push(commands, WorkListCommand::SetKind(Some(kind)));
                    }
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Due");
        egui::ComboBox::from_id_salt("work_due")
            .selected_text(work.due.to_string())
            .show_ui(ui, |ui| {
                for due in DueWithin::ALL {
                    if ui.selectable_label(work.due == due, due.to_string()).clicked() {
                        push(commands, WorkListCommand::SetDue(due));
                    }
                }
            })
            .response
            .labelled_by(label.id);
        if ui.button("Refresh").clicked() {
            push(commands, WorkListCommand::Refresh);
        }
    });
}

/// Enter, S and the arrows, unless a text field has the keyboard.
fn keys_ui(ui: &egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    if ui.memory(|m| m.focused().is_some()) || state.dialog.is_some() {
        return;
    }
    let (enter, skip, down, up) = ui.input(|i| {
        (i.key_pressed(Key::Enter), i.key_pressed(Key::S), i.key_pressed(Key::ArrowDown), i.key_pressed(Key::ArrowUp))
    });
    if down {
        push(commands, WorkListCommand::MoveSelection(1));
    }
    if up {
        push(commands, WorkListCommand::MoveSelection(-1));
    }
    if let Some(enrolment) = state.work_list.selected {
        if enter {
            push(commands, WorkListCommand::Finish { enrolment, outcome: StepOutcome::Done });
        } else if skip {
            push(commands, WorkListCommand::Finish { enrolment, outcome: StepOutcome::Skipped });
        }
    }
}

fn table_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    items: &[WorkItem],
    commands: &mut Vec<Command>,
) {
    use egui_extras::{Column, TableBuilder};

    let now = state.work_list.read_at;
    let error = theme::error_colour(ui.visuals());
    TableBuilder::new(ui)
        .id_salt("work_list")
        .striped(true)
        .sense(egui::Sense::click())
        // One line per row: the actions side by side, the due time never wrapped.
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::auto().at_least(190.0).clip(true))
        .column(Column::remainder().at_least(160.0).clip(true))
        .column(Column::auto().at_least(170.0).clip(true))
        .column(Column::auto().at_least(130.0).clip(true))
        .column(Column::auto().at_least(110.0).clip(true))
        .column(Column::auto().at_least(230.0))
        .header(theme::ROW_HEIGHT, |mut header| {
            for title in ["Due", "Record", "Step", "Sequence", "Owner", ""] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(theme::ROW_HEIGHT + 4.0, items.len(), |mut row| {
                let Some(item) = items.get(row.index()) else { return };
                row.set_selected(state.work_list.selected == Some(item.enrolment));
                row.col(|ui| {
                    let when = format_timestamp(item.due_at, &view.time_zone);
                    let text = if item.overdue {
                        RichText::new(format!("Overdue · {when}")).color(error)
                    } else if now.is_some_and(|n| item.due_at > n) {
                        RichText::new(format!("Waiting · {when}")).weak()
                    } else {
                        RichText::new(when)
                    };
                    ui.add(egui::Label::new(text).truncate());
                });
                row.col(|ui| {
                    ui.add(egui::Label::new(&item.title).truncate());
                });
                row.col(|ui| {
                    let text = format!("{}/{} {} — {}", item.position + 1, item.steps, item.kind, item.step_name);
                    ui.add(egui::Label::new(text).truncate());
                });
                row.col(|ui| {
                    ui.add(egui::Label::new(&item.sequence_name).truncate());
                });
                row.col(|ui| {
                    let owner = item.owner.and_then(|o| view.seller(o)).map_or("Unassigned", |s| s.name.as_str());
                    ui.add(egui::Label::new(owner).truncate());
                });
                row.col(|ui| actions_ui(ui, state, item, commands));
                if row.response().clicked() {
                    push(commands, WorkListCommand::Select(item.enrolment));
                }
            });
        });
}

fn actions_ui(ui: &mut egui::Ui, state: &AppState, item: &WorkItem, commands: &mut Vec<Command>) {
    let finish = |outcome| WorkListCommand::Finish { enrolment: item.enrolment, outcome };
    let title = &item.title;
    if ui.small_button("Mark done").accessible_name(format!("Mark done: {title}")).clicked() {
        push(commands, finish(StepOutcome::Done));
    }
    if ui.small_button("Skip").accessible_name(format!("Skip: {title}")).clicked() {
        push(commands, finish(StepOutcome::Skipped));
    }
    if ui.small_button("Open record").accessible_name(format!("Open record: {title}")).clicked() {
        if state.record_type.as_ref() != Some(&item.record_type) {
            commands.push(Command::SelectRecordType(item.record_type.clone()));
        }
        commands.push(Command::Conditions(ConditionsCommand::OpenPreviewRecord(item.record)));
    }
    super::explain::explain_button(ui, &item.record_type, item.record, commands);
}
