//! The value editors of a condition row: text and number boxes, dates, choices, record
//! and seller pickers.

use super::{
    BuilderEdit, BuilderTarget, Command, Condition, Ctx, DateUnit, DateValue, FieldDef, FieldKind, InputSlot, NodeId,
    Operand, Operator, PopupCloseBehavior, RecordId, RichText, SellerId, text_info, theme,
};
use crate::state::ConditionsCommand;

/// The editor that fits the operator's value.
pub(super) fn value_ui(
    ui: &mut egui::Ui,
    ctx: &Ctx<'_>,
    condition: &Condition,
    field: &FieldDef,
    commands: &mut Vec<Command>,
) {
    let id = condition.id;
    let builder = ctx.builder;
    let set = |operand: Operand| ctx.edit(BuilderEdit::SetOperand { id, operand });
    let typed = |slot: InputSlot, text: String| ctx.edit(BuilderEdit::SetInput { id, slot, text });
    let text_box = |ui: &mut egui::Ui, slot: InputSlot, label: &str, width: f32, commands: &mut Vec<Command>| {
        let mut text = builder.input_text(id, slot, &condition.value);
        let response = ui.add(egui::TextEdit::singleline(&mut text).desired_width(width).hint_text(label));
        response.widget_info(|| text_info(&text, label));
        if response.changed() {
            commands.push(typed(slot, text));
        }
    };
    match &condition.value {
        Operand::None => {}
        Operand::Text(text) => {
            let mut text = text.clone();
            let hint = if condition.operator == Operator::MatchesPattern { "Pattern" } else { "Value" };
            let response = ui.add(egui::TextEdit::singleline(&mut text).desired_width(180.0).hint_text(hint));
            response.widget_info(|| text_info(&text, hint));
            if response.changed() {
                commands.push(set(Operand::Text(text)));
            }
        }
        Operand::TextList(_) | Operand::NumberList(_) => {
            let mut text = builder.input_text(id, InputSlot::List, &condition.value);
            let response = ui.add(
                egui::TextEdit::multiline(&mut text)
                    .desired_rows(2)
                    .desired_width(200.0)
                    .hint_text("One per line, or separated by commas"),
            );
            let count = match &condition.value {
                Operand::TextList(items) => items.len(),
                Operand::NumberList(items) => items.len(),
                _ => 0,
            };
            let response = response.on_hover_text(format!("{count} value{}", if count == 1 { "" } else { "s" }));
            response.widget_info(|| text_info(&text, "Values"));
            if response.changed() {
                commands.push(typed(InputSlot::List, text));
            }
        }
        Operand::Number(_) => text_box(ui, InputSlot::Number, "Number", 90.0, commands),
        Operand::NumberRange { .. } => {
            text_box(ui, InputSlot::Low, "From", 80.0, commands);
            ui.label("and");
            text_box(ui, InputSlot::High, "To", 80.0, commands);
        }
        Operand::Date(value) => {
            let mut day = value.date();
            let salt = format!("date_{}", id.0);
            if ui.add(egui_extras::DatePickerButton::new(&mut day).id_salt(&salt).combo_boxes(false)).changed() {
                commands.push(set(Operand::Date(DateValue::Day(day))));
            }
            if field.kind == FieldKind::DateTime
                && matches!(
                    condition.operator,
                    Operator::Before | Operator::After | Operator::OnOrBefore | Operator::OnOrAfter
                )
            {
                text_box(ui, InputSlot::Time, "Time (optional)", 70.0, commands);
            }
        }
        Operand::DateRange { low, high } => {
            let (mut from, mut to) = (*low, *high);
            let (low_salt, high_salt) = (format!("from_{}", id.0), format!("to_{}", id.0));
            let changed_low =
                ui.add(egui_extras::DatePickerButton::new(&mut from).id_salt(&low_salt).combo_boxes(false)).changed();
            ui.label("and");
            let changed_high =
                ui.add(egui_extras::DatePickerButton::new(&mut to).id_salt(&high_salt).combo_boxes(false)).changed();
            if changed_low || changed_high {
                commands.push(set(Operand::DateRange { low: from, high: to }));
            }
        }
        Operand::Relative { amount, unit } => {
            let mut amount = *amount;
            let response = ui.add(egui::DragValue::new(&mut amount).range(0..=10_000));
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "Amount"));
            if response.changed() {
                commands.push(set(Operand::Relative { amount, unit: *unit }));
            }
            egui::ComboBox::from_id_salt("unit").selected_text(unit.to_string()).show_ui(ui, |ui| {
                for choice in DateUnit::ALL {
                    if ui.selectable_label(choice == *unit, choice.to_string()).clicked() && choice != *unit {
                        commands.push(set(Operand::Relative { amount, unit: choice }));
                    }
                }
            });
        }
        Operand::Choices(chosen) => choices_ui(ui, ctx.target, id, field, chosen, commands),
        Operand::Record(record) => {
            let chosen: Vec<RecordId> = if record.0 == 0 { Vec::new() } else { vec![*record] };
            record_picker_ui(ui, ctx, condition, field, &chosen, false, commands);
        }
        Operand::Records(records) => record_picker_ui(ui, ctx, condition, field, records, true, commands),
        Operand::Seller(seller) => {
            let chosen: Vec<SellerId> = if seller.0 == 0 { Vec::new() } else { vec![*seller] };
            seller_picker_ui(ui, ctx, condition, &chosen, false, commands);
        }
        Operand::Sellers(sellers) => seller_picker_ui(ui, ctx, condition, sellers, true, commands),
        Operand::Team(team) => {
            let name = ctx.view.teams.iter().find(|t| t.id == *team).map_or("Choose a team", |t| t.name.as_str());
            egui::ComboBox::from_id_salt("team").selected_text(name).show_ui(ui, |ui| {
                for t in &ctx.view.teams {
                    if ui.selectable_label(t.id == *team, &t.name).clicked() {
                        commands.push(set(Operand::Team(t.id)));
                    }
                }
            });
        }
    }
}

/// The most options shown as chips in the row; longer lists get a drop-down of checkboxes.
const INLINE_CHOICES: usize = 5;

/// Multi-select of a choice field's options: chips to toggle, or for long lists the chosen
/// ones as removable chips and a drop-down to tick more.
fn choices_ui(
    ui: &mut egui::Ui,
    target: BuilderTarget,
    id: NodeId,
    field: &FieldDef,
    chosen: &[String],
    commands: &mut Vec<Command>,
) {
    let set = |next: Vec<String>| target.edit(BuilderEdit::SetOperand { id, operand: Operand::Choices(next) });
    // In the field's order, whatever order they were ticked in.
    let toggled = |option: &String| -> Vec<String> {
        field.choices.iter().filter(|o| chosen.contains(o) != (*o == option)).cloned().collect()
    };
    if field.choices.len() <= INLINE_CHOICES {
        for option in &field.choices {
            // Framed whether chosen or not, so an unchosen option still reads as a button.
            let chip = egui::Button::new(option.as_str()).selected(chosen.contains(option)).corner_radius(8.0);
            if ui.add(chip).clicked() {
                commands.push(set(toggled(option)));
            }
        }
        return;
    }
    for option in chosen {
        let chip = egui::Button::selectable(true, format!("{option} ×")).corner_radius(8.0);
        if ui.add(chip).on_hover_text("Remove").clicked() {
            commands.push(set(toggled(option)));
        }
    }
    let label = if chosen.is_empty() { "Choose options…" } else { "More…" };
    egui::ComboBox::from_id_salt("choices")
        .selected_text(label)
        .close_behavior(PopupCloseBehavior::CloseOnClickOutside)
        .show_ui(ui, |ui| {
            for option in &field.choices {
                let mut on = chosen.contains(option);
                if ui.checkbox(&mut on, option.as_str()).changed() {
                    commands.push(set(toggled(option)));
                }
            }
        });
}

/// Chips of the chosen records and a searchable picker that asks the worker for titles.
fn record_picker_ui(
    ui: &mut egui::Ui,
    ctx: &Ctx<'_>,
    condition: &Condition,
    field: &FieldDef,
    chosen: &[RecordId],
    many: bool,
    commands: &mut Vec<Command>,
) {
    let Some(target) = field.lookup_target.clone() else { return };
    let id = condition.id;
    let set = |operand: Operand| ctx.edit(BuilderEdit::SetOperand { id, operand });
    let title = |record: RecordId| {
        ctx.state.known_titles.get(&(target.clone(), record)).cloned().unwrap_or_else(|| format!("#{record}"))
    };
    if many {
        for record in chosen {
            let chip =
                ui.add(egui::Button::new(format!("{} ×", title(*record))).corner_radius(8.0)).on_hover_text("Remove");
            if chip.clicked() {
                commands.push(set(Operand::Records(chosen.iter().copied().filter(|r| r != record).collect())));
            }
        }
    }
    let label = match (many, chosen.first()) {
        (false, Some(record)) => title(*record),
        (false, None) => "Choose a record…".to_owned(),
        (true, _) => "Add a record…".to_owned(),
    };
    let plural = ctx.view.schema.get(&target).map_or_else(|| target.to_string(), |t| t.plural_label.to_lowercase());
    egui::ComboBox::from_id_salt("record")
        .selected_text(label)
        .width(170.0)
        .close_behavior(PopupCloseBehavior::CloseOnClickOutside)
        .show_ui(ui, |ui| {
            let picker = ctx.state.record_picker.as_ref().filter(|p| p.node == id);
            if picker.is_none() {
                // Just opened: list the first records.
                commands.push(Command::Conditions(ConditionsCommand::SearchRecords {
                    node: id,
                    record_type: target.clone(),
                    text: String::new(),
                }));
            }
            let mut text = picker.map(|p| p.text.clone()).unwrap_or_default();
            let hint = format!("Search {plural}");
            let edit = ui.add(egui::TextEdit::singleline(&mut text).hint_text(hint.as_str()).desired_width(220.0));
            edit.widget_info(|| text_info(&text, &hint));
            if picker.is_none() {
                edit.request_focus();
            }
            if edit.changed() {
                commands.push(Command::Conditions(ConditionsCommand::SearchRecords {
                    node: id,
                    record_type: target.clone(),
                    text: text.clone(),
                }));
            }
            let Some(picker) = picker else { return };
            if let crate::state::Loadable::Failed { error, .. } = &picker.results {
                ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
            }
            let Some(results) = picker.results.latest() else {
                ui.spinner();
                return;
            };
            if results.is_empty() {
                ui.label(RichText::new(format!("No {plural} match")).weak());
            }
            egui::ScrollArea::vertical().max_height(280.0).show(ui, |ui| {
                for (record, name) in results {
                    let on = chosen.contains(record);
                    if ui.selectable_label(on, format!("{name}  #{record}")).clicked() {
                        let operand = if many {
                            let mut next = chosen.to_vec();
                            if on {
                                next.retain(|r| r != record);
                            } else {
                                next.push(*record);
                            }
                            Operand::Records(next)
                        } else {
                            Operand::Record(*record)
                        };
                        commands.push(set(operand));
                        if !many {
                            ui.close();
                        }
                    }
                }
            });
        });
}

fn seller_picker_ui(
    ui: &mut egui::Ui,
    ctx: &Ctx<'_>,
    condition: &Condition,
    chosen: &[SellerId],
    many: bool,
    commands: &mut Vec<Command>,
) {
    let id = condition.id;
    let set = |operand: Operand| ctx.edit(BuilderEdit::SetOperand { id, operand });
    let name =
        |seller: SellerId| ctx.view.seller(seller).map_or_else(|| format!("seller #{}", seller.0), |s| s.name.clone());
    if many {
        for seller in chosen {
            if ui
                .add(egui::Button::new(format!("{} ×", name(*seller))).corner_radius(8.0))
                .on_hover_text("Remove")
                .clicked()
            {
                commands.push(set(Operand::Sellers(chosen.iter().copied().filter(|s| s != seller).collect())));
            }
        }
    }
    let label = match (many, chosen.first()) {
        (false, Some(seller)) => name(*seller),
        (false, None) => "Choose a seller…".to_owned(),
        (true, _) => "Add a seller…".to_owned(),
    };
    let search_id = ui.scope_id().with("seller_search");
    egui::ComboBox::from_id_salt("seller")
        .selected_text(label)
        .width(170.0)
        .close_behavior(PopupCloseBehavior::CloseOnClickOutside)
        .show_ui(ui, |ui| {
            let mut search = ui.data_mut(|d| d.get_temp::<String>(search_id)).unwrap_or_default();
            let edit = ui.add(egui::TextEdit::singleline(&mut search).hint_text("Search sellers").desired_width(220.0));
            edit.widget_info(|| text_info(&search, "Search sellers"));
            if edit.changed() {
                ui.data_mut(|d| d.insert_temp(search_id, search.clone()));
            }
            let needle = crate::domain::eval::fold(search.trim());
            egui::ScrollArea::vertical().max_height(280.0).show(ui, |ui| {
                for seller in &ctx.view.sellers {
                    let text = format!("{} <{}>", seller.name, seller.email);
                    if !needle.is_empty() && !crate::domain::eval::fold(&text).contains(&needle) {
                        continue;
                    }
                    let on = chosen.contains(&seller.id);
                    if ui.selectable_label(on, text).clicked() {
                        let operand = if many {
                            let mut next = chosen.to_vec();
                            if on {
                                next.retain(|s| *s != seller.id);
                            } else {
                                next.push(seller.id);
                            }
                            Operand::Sellers(next)
                        } else {
                            Operand::Seller(seller.id)
                        };
                        commands.push(set(operand));
                        if !many {
                            ui.close();
                        }
                    }
                }
            });
        });
}
