//! The segment's Assignment rules tab (the rules in order, drag to reorder, active or not)
//! and the rule editor, a modal window over the segments screen: name, conditions (the
//! segment builder's panel on the rule's own [`Builder`](crate::state::builder::Builder)),
//! created-within limit, target, distribution and options, problems next to their part.

use egui::{PopupCloseBehavior, RichText};

use crate::domain::assignment::{
    AssignmentRule, AttributeValue, DefaultRoute, Distribution, MAX_AVAILABILITY_HOURS, Routing, Target,
};
use crate::domain::{FieldKind, RecordTypeDef, Segment, describe};
use crate::state::BuilderTarget;
use crate::state::WorkspaceView;
use crate::state::rules::{AttributeForm, RuleEditor, RuleForm, RulePart, RulesCommand, TargetKind};
use crate::state::{AppState, Command, Screen};

use super::theme;

fn rules(command: RulesCommand) -> Command {
    Command::Rules(command)
}

pub fn rules_tab_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    segment: &Segment,
    commands: &mut Vec<Command>,
) {
    let loaded = state.rules.loaded.as_ref().is_some_and(|(path, id)| *path == view.path && *id == segment.id);
    if !loaded {
        commands.push(rules(RulesCommand::Load(segment.id)));
        ui.spinner();
        return;
    }
    if let Some(error) = &state.rules.error {
        ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
    }
    let list = &state.rules.rules;
    if list.is_empty() {
        ui.add_space(12.0);
        ui.vertical_centered(|ui| {
            ui.label(RichText::new("No assignment rules yet").strong());
            ui.label(RichText::new("Records that join this segment stay unassigned until a rule routes them").weak());
            ui.add_space(6.0);
            if ui.button("New rule…").clicked() {
                commands.push(rules(RulesCommand::NewRule));
            }
        });
        ui.add_space(12.0);
        routing_ui(ui, state, view, commands);
        super::simulate::simulate_ui(ui, state, view, segment, commands);
        return;
    }
    // The button first, at the right; the explanation wraps in what is left (it was cut
    // under the button when it had to share one line).
    ui.horizontal(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Min), |ui| {
            if ui.button("New rule…").clicked() {
                commands.push(rules(RulesCommand::NewRule));
            }
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Min).with_main_wrap(true), |ui| {
                let intro =
                    "Tried top-down when a record joins: the first active rule whose conditions match assigns it";
                ui.add(egui::Label::new(RichText::new(intro).weak()).wrap());
            });
        });
    });
    ui.add_space(4.0);
    let def = view.record_type(&segment.record_type);
    let drop_colour = ui.visuals().selection.stroke.color;
    let response = egui_dnd::dnd(ui, ui.scope_id().with("rule_order")).show_custom(|ui, iter| {
        for (position, rule) in list.iter().enumerate() {
            let drop_indicator =
                |ui: &mut egui::Ui, space: egui::Vec2| theme::drop_indicator(ui, space, drop_colour, true);
            let item_id = egui::Id::unique(("rule", rule.id));
            iter.space_before(ui, item_id, drop_indicator);
            iter.next(ui, item_id, position, false, |ui, item| {
                item.ui(ui, |ui, handle, item_state| {
                    let frame = if item_state.dragged {
                        egui::Frame::new().fill(ui.visuals().window_fill).stroke(ui.visuals().selection.stroke)
                    } else {
                        egui::Frame::new()
                    };
                    frame.corner_radius(4.0).inner_margin(egui::Margin::symmetric(4, 3)).show(ui, |ui| {
                        rule_row_ui(ui, view, def, rule, position, handle, commands);
                    });
                })
            });
            iter.space_after(ui, item_id, drop_indicator);
        }
    });
    if let Some((from, to_index)) = response.final_update().as_ref().and_then(theme::dnd_move)
        && let Some(rule) = list.get(from)
    {
        commands.push(rules(RulesCommand::MoveRule { rule: rule.id, to_index }));
    }
    ui.add_space(6.0);
    routing_ui(ui, state, view, commands);
    super::simulate::simulate_ui(ui, state, view, segment, commands);
}

/// The fallback chain after the rules: "try the next matching rule" and the default route.
fn routing_ui(ui: &mut egui::Ui, state: &AppState, view: &WorkspaceView, commands: &mut Vec<Command>) {
    let routing = state.rules.routing;
    ui.separator();
    ui.label(RichText::new("When the rules place no seller").strong());
    let mut next = routing.try_next_rule;
    let hint = "Without it, the first rule whose conditions match decides, even when it finds no seller";
    if ui.checkbox(&mut next, "Try the next matching rule when a rule finds no seller").on_hover_text(hint).changed() {
        commands.push(rules(RulesCommand::SetRouting(Routing { try_next_rule: next, ..routing })));
    }
    let route_text = |route: DefaultRoute| match route {
        DefaultRoute::LeaveUnassigned => "Leave the record unassigned".to_owned(),
        DefaultRoute::Seller(id) => {
            let name = view.sellers.iter().find(|s| s.id == id).map_or("(deleted seller)", |s| s.name.as_str());
            format!("Seller {name}")
        }
        DefaultRoute::Team(id) => {
            let name = view.teams.iter().find(|t| t.id == id).map_or("(deleted team)", |t| t.name.as_str());
            format!("Team {name}, round robin")
        }
    };
    ui.horizontal(|ui| {
        let label = ui.label("Then");
        egui::ComboBox::from_id_salt("default_route")
            .selected_text(route_text(routing.default))
            .width(240.0)
            .show_ui(ui, |ui| {
                let routes = std::iter::once(DefaultRoute::LeaveUnassigned)
                    .chain(view.teams.iter().map(|t| DefaultRoute::Team(t.id)))
                    .chain(view.sellers.iter().map(|s| DefaultRoute::Seller(s.id)));
                for route in routes {
                    if ui.selectable_label(route == routing.default, route_text(route)).clicked() {
                        commands.push(rules(RulesCommand::SetRouting(Routing { default: route, ..routing })));
                    }
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text("The last link of the chain: capacity and availability are not asked");
    });
}

fn rule_row_ui(
    ui: &mut egui::Ui,
    view: &WorkspaceView,
    def: Option<&RecordTypeDef>,
    rule: &AssignmentRule,
    position: usize,
    handle: egui_dnd::Handle<'_>,
    commands: &mut Vec<Command>,
) {
    ui.set_width(ui.available_width());
    ui.horizontal(|ui| {
        handle.ui(ui, |ui| {
            ui.label(RichText::new("☰").weak()).on_hover_text("Drag to change the order");
        });
        ui.add_sized([22.0, 18.0], egui::Label::new(RichText::new(format!("{}.", position + 1)).weak()));
        let mut active = rule.active;
        let check = ui.checkbox(&mut active, "").on_hover_text("Only active rules assign records");
        let label = format!("{} active", rule.name);
        check.widget_info(|| egui::WidgetInfo::selected(egui::Role::CheckBox, true, active, &label));
        if check.changed() {
            commands.push(rules(RulesCommand::SetActive { rule: rule.id, active }));
        }
        let room = (ui.available_width() - 190.0).max(60.0);
        ui.scope(|ui| {
            ui.set_max_width(room);
            let text = RichText::new(&rule.name).strong();
            let text = if rule.active { text } else { text.weak() };
            ui.add(egui::Label::new(text).truncate()).on_hover_text(&rule.name);
        });
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let named = |ui: &mut egui::Ui, text: &str, what: String, hover: &str| {
                let response = ui.small_button(text).on_hover_text(hover);
                response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &what));
                response.clicked()
            };
            if named(ui, "Delete…", format!("Delete rule {}", rule.name), "Delete this rule (asks first)") {
                commands.push(rules(RulesCommand::AskDeleteRule(rule.id)));
            }
            if named(ui, "Copy", format!("Copy rule {}", rule.name), "A new rule with these settings") {
                commands.push(rules(RulesCommand::CopyRule(rule.id)));
            }
            if named(ui, "Edit…", format!("Edit rule {}", rule.name), "Change this rule") {
                commands.push(rules(RulesCommand::EditRule(rule.id)));
            }
        });
    });
    ui.indent("summary", |ui| {
        let distribution = rule.distribution.to_string().to_lowercase();
        let mut summary = format!("{}, {distribution}", target_summary(view, &rule.target));
        if !rule.active {
            summary.push_str(" (inactive)");
        }
        ui.add(egui::Label::new(RichText::new(summary).small()).truncate());
        let mut limits = Vec::new();
        if let Some(hours) = rule.created_within_hours {
            limits.push(format!("created in the last {hours} h"));
        }
        if rule.honour_capacity {
            limits.push("honours capacity".to_owned());
        }
        if let Some(hours) = rule.available_within_hours {
            limits.push(format!("available within {hours} h"));
        }
        let when = def.map(|def| conditions_summary(view, def, rule)).unwrap_or_default();
        let mut line = format!("When {when}");
        if !limits.is_empty() {
            line.push_str(&format!(" · {}", limits.join(" · ")));
        }
        ui.add(egui::Label::new(RichText::new(line).small().weak()).truncate());
    });
}

/// "To any seller", "To Ann, Bob", "To sellers whose Language is German", "To team Benelux".
fn target_summary(view: &WorkspaceView, target: &Target) -> String {
    match target {
        Target::AnySeller => "To any seller".to_owned(),
        Target::Sellers(ids) => {
            let names: Vec<String> = ids
                .iter()
                .map(|id| view.seller(*id).map_or_else(|| format!("seller #{}", id.0), |s| s.name.clone()))
                .collect();
            format!("To {}", names.join(", "))
        }
        Target::SellersMatching(conditions) => {
            let parts: Vec<String> = conditions
                .iter()
                .map(|c| match &c.values {
                    AttributeValue::Fixed(values) => format!("{} is {}", c.attribute, values.join(" or ")),
                    AttributeValue::FromRecord(field) => format!("{} is the record's {field}", c.attribute),
                })
                .collect();
            format!("To sellers whose {}", parts.join(" and "))
        }
        Target::Team(team) => {
            let name = view.teams.iter().find(|t| t.id == *team).map_or("(deleted team)", |t| t.name.as_str());
            format!("To team {name}")
        }
    }
}

fn conditions_summary(view: &WorkspaceView, def: &RecordTypeDef, rule: &AssignmentRule) -> String {
    let names = describe::PeopleNames { sellers: &view.sellers, teams: &view.teams };
    let lines = describe::describe(&rule.conditions, def, &view.schema, &names);
    let parts: Vec<String> = lines.into_iter().skip(1).filter(|l| l.depth == 1).map(|l| l.text).collect();
    if parts.is_empty() { "any record joins".to_owned() } else { parts.join("; ") }
}

/// The rule editor and the delete confirmation, over the segments screen.
pub fn rule_overlays_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let Some(view) = &state.view else { return };
    if state.screen != Screen::Segments {
        return;
    }
    if let Some((id, name)) = &state.rules.confirm_delete {
        let modal = egui::Modal::new(egui::Id::unique("confirm_delete_rule")).show(ui.ctx(), |ui| {
            ui.set_width(420.0);
            ui.heading("Delete rule?");
            ui.label(format!("\"{name}\" will be deleted. Records it assigned keep their seller."));
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.button("Delete rule").clicked() {
                    commands.push(rules(RulesCommand::DeleteRule(*id)));
                }
                if ui.button("Cancel").clicked() {
                    commands.push(rules(RulesCommand::CancelDeleteRule));
                }
            });
        });
        if modal.should_close() {
            commands.push(rules(RulesCommand::CancelDeleteRule));
        }
    }
    let Some(editor) = &state.rules.editor else { return };
    if state.selected_segment != Some(editor.segment) {
        return;
    }
    let Some(def) = view.record_type(&editor.record_type) else { return };
    let max_height = (ui.ctx().content_rect().height() - 140.0).max(240.0);
    egui::Modal::new(egui::Id::unique("rule_editor")).show(ui.ctx(), |ui| {
        ui.set_width(760.0);
        editor_ui(ui, state, view, def, editor, max_height, commands);
    });
}

fn problems_ui(ui: &mut egui::Ui, editor: &RuleEditor, part: RulePart) {
    for problem in editor.problems_of(part) {
        ui.label(RichText::new(format!("⚠ {problem}")).small().color(theme::error_colour(ui.visuals())));
    }
}

fn editor_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    def: &RecordTypeDef,
    editor: &RuleEditor,
    max_height: f32,
    commands: &mut Vec<Command>,
) {
    let segment = view.segment(editor.segment).map(|s| s.name.as_str()).unwrap_or_default();
    ui.horizontal(|ui| {
        ui.heading(if editor.rule.is_some() { "Edit assignment rule" } else { "New assignment rule" });
        ui.label(RichText::new(format!("of {segment}")).weak());
    });
    let mut form = editor.form.clone();
    egui::ScrollArea::vertical().id_salt("rule_editor_scroll").max_height(max_height).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            let label = ui.label("Rule name");
            ui.add(egui::TextEdit::singleline(&mut form.name).desired_width(320.0)).labelled_by(label.id);
            ui.checkbox(&mut form.active, "Active").on_hover_text("Only active rules assign records");
        });
        problems_ui(ui, editor, RulePart::Name);
        ui.add_space(6.0);
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.push_id("rule_conditions", |ui| {
                super::builder::builder_for_ui(ui, state, view, def, &editor.builder, BuilderTarget::Rule, commands);
            });
        });
        ui.horizontal(|ui| {
            ui.checkbox(&mut form.created_within, "Only records created in the last");
            let hours = ui.add_enabled(
                form.created_within,
                egui::DragValue::new(&mut form.created_within_hours).range(1..=10_000).suffix(" h"),
            );
            hours.widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "Created within hours"));
        });
        problems_ui(ui, editor, RulePart::CreatedWithin);
        ui.add_space(6.0);
        ui.label(RichText::new("Assign to").strong());
        ui.horizontal_wrapped(|ui| {
            for kind in TargetKind::ALL {
                ui.radio_value(&mut form.target, kind, kind.label());
            }
        });
        ui.indent("target", |ui| target_ui(ui, state, view, def, &mut form));
        problems_ui(ui, editor, RulePart::Target);
        ui.add_space(6.0);
        ui.label(RichText::new("Distribution").strong());
        ui.horizontal(|ui| {
            ui.radio_value(&mut form.distribution, Distribution::RoundRobin, "Round robin")
                .on_hover_text("The eligible seller assigned least recently gets the record");
            ui.radio_value(&mut form.distribution, Distribution::LoadBalancing, "Load balancing")
                .on_hover_text("The eligible seller with the most free capacity gets the record");
        });
        ui.checkbox(&mut form.honour_capacity, "Honour capacity")
            .on_hover_text("Skip sellers who already hold as many open records as their capacity");
        ui.horizontal(|ui| {
            ui.checkbox(&mut form.available_within, "Only sellers available within");
            let hours = ui.add_enabled(
                form.available_within,
                egui::DragValue::new(&mut form.available_within_hours).range(1..=MAX_AVAILABILITY_HOURS).suffix(" h"),
            );
            hours.widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "Available within hours"));
            ui.label(
                RichText::new(format!("(1 to {MAX_AVAILABILITY_HOURS} hours, by work hours and time off)")).weak(),
            );
        });
        problems_ui(ui, editor, RulePart::Availability);
    });
    if form != editor.form {
        commands.push(rules(RulesCommand::UpdateForm(form)));
    }
    ui.separator();
    if let Some(error) = &editor.save_error {
        ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
    }
    ui.horizontal(|ui| {
        let count = editor.problem_count();
        let save = ui.button("Save rule").on_hover_text("Store the rule (Ctrl+S)");
        if save.clicked() {
            commands.push(rules(RulesCommand::Save));
        }
        let close = if editor.is_dirty() { "Discard" } else { "Close" };
        if ui.button(close).on_hover_text("Close without saving").clicked() {
            commands.push(rules(RulesCommand::Close));
        }
        super::simulate::simulate_edit_ui(ui, state, editor, commands);
        if count > 0 {
            let text = if count == 1 { "1 problem to fix".to_owned() } else { format!("{count} problems to fix") };
            ui.label(RichText::new(text).color(theme::error_colour(ui.visuals())));
        } else if editor.is_dirty() {
            ui.label(RichText::new("• Unsaved changes").color(ui.visuals().warn_fg_color));
        }
    });
}

fn target_ui(ui: &mut egui::Ui, state: &AppState, view: &WorkspaceView, def: &RecordTypeDef, form: &mut RuleForm) {
    match form.target {
        TargetKind::AnySeller => {
            ui.label(RichText::new("Every seller whose \"assign records\" switch is on").weak());
        }
        TargetKind::SellersMatching => attributes_ui(ui, state, def, form),
        TargetKind::Sellers => {
            if view.sellers.is_empty() {
                ui.label(RichText::new("No sellers yet — add them on the Sellers & teams screen").weak());
                return;
            }
            egui::ScrollArea::vertical().id_salt("rule_sellers").max_height(150.0).show(ui, |ui| {
                for seller in &view.sellers {
                    let mut on = form.sellers.contains(&seller.id);
                    let text = format!("{} <{}>", seller.name, seller.email);
                    if ui.checkbox(&mut on, text).changed() {
                        if on {
                            form.sellers.push(seller.id);
                        } else {
                            form.sellers.retain(|s| *s != seller.id);
                        }
                    }
                }
            });
        }
        TargetKind::Team => {
            if view.teams.is_empty() {
                ui.label(RichText::new("No teams yet — add them on the Sellers & teams screen").weak());
                return;
            }
            let shown = form
                .team
                .and_then(|id| view.teams.iter().find(|t| t.id == id))
                .map_or("Choose a team", |t| t.name.as_str());
            egui::ComboBox::from_id_salt("rule_team").selected_text(shown).width(220.0).show_ui(ui, |ui| {
                for team in &view.teams {
                    let text = format!("{} ({} sellers)", team.name, team.members.len());
                    ui.selectable_value(&mut form.team, Some(team.id), text);
                }
            });
        }
    }
}

/// The fields of the record a seller attribute can be compared with: text and choices.
fn text_fields(def: &RecordTypeDef) -> impl Iterator<Item = &crate::domain::FieldDef> {
    def.fields.iter().filter(|f| matches!(f.kind, FieldKind::Text | FieldKind::Choice))
}

fn attributes_ui(ui: &mut egui::Ui, state: &AppState, def: &RecordTypeDef, form: &mut RuleForm) {
    let definitions = &state.rules.attribute_definitions;
    if definitions.is_empty() {
        ui.label(RichText::new("No seller attributes yet — define them on the Sellers & teams screen").weak());
    }
    let mut remove = None;
    for (index, condition) in form.attributes.iter_mut().enumerate() {
        ui.push_id(index, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label("Seller");
                let shown = if condition.attribute.is_empty() { "Choose an attribute" } else { &condition.attribute };
                egui::ComboBox::from_id_salt("attribute").selected_text(shown).show_ui(ui, |ui| {
                    for definition in definitions {
                        if ui.selectable_label(condition.attribute == definition.name, &definition.name).clicked() {
                            if condition.attribute != definition.name {
                                condition.values.clear();
                            }
                            condition.attribute.clone_from(&definition.name);
                        }
                    }
                });
                let mode = if condition.from_record { "equals the record's" } else { "is any of" };
                egui::ComboBox::from_id_salt("mode").selected_text(mode).show_ui(ui, |ui| {
                    ui.selectable_value(&mut condition.from_record, false, "is any of");
                    ui.selectable_value(&mut condition.from_record, true, "equals the record's");
                });
                if condition.from_record {
                    let shown = condition
                        .field
                        .as_ref()
                        .and_then(|f| def.field(f))
                        .map_or("Choose a field", |f| f.label.as_str());
                    egui::ComboBox::from_id_salt("field").selected_text(shown).show_ui(ui, |ui| {
                        for field in text_fields(def) {
                            ui.selectable_value(&mut condition.field, Some(field.name.clone()), &field.label);
                        }
                    });
                } else {
                    values_ui(ui, state, condition);
                }
                let remove_button = ui.small_button("🗑").on_hover_text("Remove this condition");
                remove_button.widget_info(|| {
                    egui::WidgetInfo::labeled(
                        egui::Role::Button,
                        true,
                        format!("Remove attribute condition {}", index + 1),
                    )
                });
                if remove_button.clicked() {
                    remove = Some(index);
                }
            });
        });
    }
    if let Some(index) = remove {
        form.attributes.remove(index);
    }
    if ui.small_button("+ Seller attribute condition").clicked() {
        let attribute = definitions.first().map(|d| d.name.clone()).unwrap_or_default();
        form.attributes.push(AttributeForm { attribute, from_record: false, values: Vec::new(), field: None });
    }
}

/// The attribute's known values as chips to toggle.
fn values_ui(ui: &mut egui::Ui, state: &AppState, condition: &mut AttributeForm) {
    let folded = crate::domain::eval::fold(&condition.attribute);
    let Some(definition) =
        state.rules.attribute_definitions.iter().find(|d| crate::domain::eval::fold(&d.name) == folded)
    else {
        return;
    };
    if definition.values.is_empty() {
        ui.label(RichText::new("(this attribute has no values yet)").weak());
        return;
    }
    let mut toggled: Option<String> = None;
    if definition.values.len() <= 6 {
        for value in &definition.values {
            let on = condition.values.contains(value);
            if ui.add(egui::Button::selectable(on, value.as_str()).corner_radius(8.0)).clicked() {
                toggled = Some(value.clone());
            }
        }
    } else {
        let shown =
            if condition.values.is_empty() { "Choose values…".to_owned() } else { condition.values.join(", ") };
        egui::ComboBox::from_id_salt("values")
            .selected_text(shown)
            .width(200.0)
            .close_behavior(PopupCloseBehavior::CloseOnClickOutside)
            .show_ui(ui, |ui| {
                for value in &definition.values {
                    let mut on = condition.values.contains(value);
                    if ui.checkbox(&mut on, value.as_str()).changed() {
                        toggled = Some(value.clone());
                    }
                }
            });
    }
    if let Some(value) = toggled {
        if let Some(at) = condition.values.iter().position(|v| *v == value) {
            condition.values.remove(at);
        } else {
            condition.values.push(value);
        }
    }
}
