//! The condition builder: the selected segment's tree as nested, indented groups with a
//! row per condition (field, operator, value editor), problems inline, undo / redo, Save
//! and Discard. Every change is a [`BuilderEdit`]; this panel never edits the tree itself.

use crate::state::ConditionsCommand;
use egui::{Key, Modifiers, PopupCloseBehavior, RichText};

use crate::domain::describe;
use crate::domain::edit::can_ungroup;
use crate::domain::eval::resolve_path;
use crate::domain::{
    Condition, DateUnit, DateValue, FieldDef, FieldKind, FieldPath, Group, GroupMode, Node, NodeId, Operand, Operator,
    RecordId, RecordTypeDef, RelatedBlock, Schema, SellerId, operators_for,
};
use crate::state::BuilderTarget;
use crate::state::WorkspaceView;
use crate::state::builder::{Builder, BuilderEdit, InputSlot};
use crate::state::{AppState, Command};

use super::theme;

mod funnel;
mod quantity;
mod segment;
mod values;

use quantity::quantity_ui;
use segment::{segment_options_ui, segment_ui};
use values::value_ui;

/// The node being dragged by its handle, and the builder it belongs to.
#[derive(Clone, Copy, Debug)]
struct DraggedNode(BuilderTarget, NodeId);

/// Where a node sits, for its menu: its group and index, and how many siblings it has.
#[derive(Clone, Copy)]
struct Place {
    parent: NodeId,
    index: usize,
    siblings: usize,
}

/// What every row needs to draw itself.
struct Ctx<'a> {
    state: &'a AppState,
    view: &'a WorkspaceView,
    builder: &'a Builder,
    target: BuilderTarget,
}

impl Ctx<'_> {
    fn edit(&self, edit: BuilderEdit) -> Command {
        self.target.edit(edit)
    }
}

pub fn builder_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    def: &RecordTypeDef,
    builder: &Builder,
    commands: &mut Vec<Command>,
) {
    builder_for_ui(ui, state, view, def, builder, BuilderTarget::Segment, commands);
}

/// The builder of `target`: the selected segment's, or the edited rule's (which has no
/// Save / Discard of its own: the rule editor saves the whole rule).
pub fn builder_for_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    def: &RecordTypeDef,
    builder: &Builder,
    target: BuilderTarget,
    commands: &mut Vec<Command>,
) {
    shortcuts(ui, state, target, commands);
    let ctx = Ctx { state, view, builder, target };
    toolbar_ui(ui, builder, target, commands);
    if target == BuilderTarget::Rule {
        if builder.matches_everything {
            ui.label(RichText::new("No conditions: the rule takes every record that joins the segment").weak());
        }
    } else if builder.matches_everything {
        ui.label(
            RichText::new(format!(
                "⚠ No conditions narrow this segment: it matches every {}",
                def.label.to_lowercase()
            ))
            .color(ui.visuals().warn_fg_color),
        );
    }
    if target == BuilderTarget::Segment {
        super::lint::builder_lint_ui(ui, state, view, def, builder);
        funnel::top_gain_ui(ui, &ctx, def);
    }
    if let Some(error) = &builder.save_error {
        ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
    }
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        egui::ScrollArea::vertical().id_salt("builder").max_height(ui.available_height() * 0.55).show(ui, |ui| {
            group_ui(ui, &ctx, def, &builder.draft, None, commands);
        });
    });
    if builder.has_problems() {
        let count = builder.problem_count();
        let text = if count == 1 { "1 problem to fix".to_owned() } else { format!("{count} problems to fix") };
        ui.label(RichText::new(text).color(theme::error_colour(ui.visuals())));
    }
}

fn shortcuts(ui: &egui::Ui, state: &AppState, target: BuilderTarget, commands: &mut Vec<Command>) {
    // The rule editor, when open, takes the keys.
    let rule_editor_open = state.rules.editor.is_some();
    if state.dialog.is_some() || rule_editor_open != (target == BuilderTarget::Rule) {
        return;
    }
    ui.input_mut(|input| {
        // Shift first: a plain Ctrl+Z would also match Ctrl+Shift+Z.
        if input.consume_key(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z)
            || input.consume_key(Modifiers::COMMAND, Key::Y)
        {
            commands.push(target.redo());
        } else if input.consume_key(Modifiers::COMMAND, Key::Z) {
            commands.push(target.undo());
        }
        if input.consume_key(Modifiers::COMMAND, Key::S) {
            commands.push(target.save());
        }
    });
}

fn toolbar_ui(ui: &mut egui::Ui, builder: &Builder, target: BuilderTarget, commands: &mut Vec<Command>) {
    // The buttons take their place from the right first; the heading gets what is left.
    ui.horizontal(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if target == BuilderTarget::Segment {
                segment_save_ui(ui, builder, commands);
            }
            if ui.add_enabled(builder.can_redo(), egui::Button::new("Redo")).on_hover_text("Ctrl+Shift+Z").clicked() {
                commands.push(target.redo());
            }
            if ui.add_enabled(builder.can_undo(), egui::Button::new("Undo")).on_hover_text("Ctrl+Z").clicked() {
                commands.push(target.undo());
            }
            ui.separator();
            let wrap = ui
                .add_enabled(!builder.selection.is_empty(), egui::Button::new("Wrap in group"))
                .on_hover_text("Put the ticked conditions into a new group")
                .on_disabled_hover_text("Tick conditions of one group to wrap them");
            if wrap.clicked() {
                commands.push(target.edit(BuilderEdit::WrapSelection));
            }
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                ui.add(egui::Label::new(RichText::new("Conditions").strong()).truncate());
                if target == BuilderTarget::Segment && builder.is_dirty() {
                    let unsaved = RichText::new("• Unsaved changes").color(ui.visuals().warn_fg_color);
                    ui.add(egui::Label::new(unsaved).truncate()).on_hover_text("Save (Ctrl+S) or discard them");
                }
            });
        });
    });
}

/// The segment builder's Save and Discard.
fn segment_save_ui(ui: &mut egui::Ui, builder: &Builder, commands: &mut Vec<Command>) {
    let save =
        ui.add_enabled(builder.is_dirty(), egui::Button::new("Save")).on_hover_text("Store these conditions (Ctrl+S)");
    if save.clicked() {
        commands.push(Command::Conditions(ConditionsCommand::Save));
    }
    if ui
        .add_enabled(builder.is_dirty(), egui::Button::new("Discard"))
        .on_hover_text("Back to the stored conditions")
        .clicked()
    {
        commands.push(Command::Conditions(ConditionsCommand::Discard));
    }
    ui.separator();
}

/// A group: its header (All / Any, not, collapse, add buttons, menu) and its children,
/// indented under a line. `place` is `None` for the root.
fn group_ui(
    ui: &mut egui::Ui,
    ctx: &Ctx<'_>,
    def: &RecordTypeDef,
    group: &Group,
    place: Option<Place>,
    commands: &mut Vec<Command>,
) {
    ui.push_id(group.id, |ui| {
        let collapsed = ctx.builder.collapsed.contains(&group.id);
        let header = ui.horizontal(|ui| {
            let arrow = if collapsed { "⏵" } else { "⏷" };
            let toggle = ui.small_button(arrow).on_hover_text(if collapsed { "Expand" } else { "Collapse" });
            toggle.widget_info(|| {
                egui::WidgetInfo::labeled(
                    egui::Role::Button,
                    true,
                    if collapsed { "Expand group" } else { "Collapse group" },
                )
            });
            if toggle.clicked() {
                commands.push(ctx.edit(BuilderEdit::ToggleCollapsed(group.id)));
            }
            if place.is_some() {
                drag_handle_ui(ui, ctx.target, group.id);
            }
            for mode in GroupMode::ALL {
                let label = match mode {
                    GroupMode::All => "All",
                    GroupMode::Any => "Any",
                };
                let response = ui.selectable_label(group.mode == mode, label).on_hover_text(match mode {
                    GroupMode::All => "Every condition must hold",
                    GroupMode::Any => "At least one condition must hold",
                });
                if response.clicked() && group.mode != mode {
                    commands.push(ctx.edit(BuilderEdit::SetMode { group: group.id, mode }));
                }
            }
            let mut negated = group.negated;
            if ui.checkbox(&mut negated, "not").on_hover_text("Match the records this group does not match").changed() {
                commands.push(ctx.edit(BuilderEdit::SetNegated { group: group.id, negated }));
            }
            if collapsed {
                let summary = group_summary(ctx, def, group);
                ui.add(egui::Label::new(RichText::new(summary).weak()).truncate());
                return;
            }
            // The add buttons keep their room at the right; the words give way (at a large
            // zoom they ran under "+ Condition").
            let has_related = ctx.view.schema.lookups_into(&def.name).next().is_some();
            let buttons = if has_related { 300.0 } else { 170.0 }
                + if place.is_some() { 60.0 } else { 0.0 }
                + funnel::figures_width(ui, ctx, def, group.id);
            let room = ui.available_width() - buttons;
            if room > 24.0 {
                let words = if group.mode == GroupMode::All { "of these hold" } else { "of these holds" };
                ui.scope(|ui| {
                    ui.set_max_width(room);
                    ui.add(egui::Label::new(RichText::new(words).weak()).truncate());
                });
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if let Some(place) = place {
                    node_menu_ui(ui, ctx, group.id, place, Some(group), commands);
                }
                add_menu_ui(ui, ctx, def, group.id, commands);
                funnel::figures_ui(ui, ctx, def, group.id);
            });
        });
        problems_ui(ui, ctx.builder, group.id);
        // Dropping on the header puts the node first in this group.
        drop_target(ui, ctx.target, &header.response, group.id, 0, commands);
        if collapsed {
            return;
        }
        let stroke = ui.visuals().widgets.noninteractive.bg_stroke;
        let inner = egui::Frame::new()
            .inner_margin(egui::Margin { left: theme::INDENT as i8, ..Default::default() })
            .show(ui, |ui| {
                if group.children.is_empty() {
                    ui.label(
                        RichText::new(match group.mode {
                            GroupMode::All => "No conditions: every record matches",
                            GroupMode::Any => "No conditions: no record matches",
                        })
                        .weak()
                        .italics(),
                    );
                }
                for (index, child) in group.children.iter().enumerate() {
                    let place = Place { parent: group.id, index, siblings: group.children.len() };
                    match child {
                        Node::Condition(condition) => condition_ui(ui, ctx, def, condition, place, commands),
                        Node::Group(inner) => group_ui(ui, ctx, def, inner, Some(place), commands),
                        Node::Related(block) => related_ui(ui, ctx, def, block, place, commands),
                        Node::Segment(node) => segment_ui(ui, ctx, def, node, place, commands),
                    }
                }
            });
        let rect = inner.response.rect;
        let x = rect.left() + theme::INDENT * 0.4;
        ui.painter().vline(x, rect.y_range(), stroke);
    });
}

/// "+ Condition", "+ Group", "+ Related records".
fn add_menu_ui(ui: &mut egui::Ui, ctx: &Ctx<'_>, def: &RecordTypeDef, group: NodeId, commands: &mut Vec<Command>) {
    let has_related = ctx.view.schema.lookups_into(&def.name).next().is_some();
    if has_related
        && ui
            .small_button("+ Related records")
            .on_hover_text(format!("Test the records that point at this {}", def.label.to_lowercase()))
            .clicked()
    {
        commands.push(ctx.edit(BuilderEdit::AddRelated { parent: group }));
    }
    if ui.small_button("+ Group").on_hover_text("A nested group with its own All / Any").clicked() {
        commands.push(ctx.edit(BuilderEdit::AddGroup { parent: group }));
    }
    if ui.small_button("+ Condition").clicked() {
        commands.push(ctx.edit(BuilderEdit::AddCondition { parent: group }));
    }
}

/// The "…" menu of a node and its remove button.
fn node_menu_ui(
    ui: &mut egui::Ui,
    ctx: &Ctx<'_>,
    id: NodeId,
    place: Place,
    group: Option<&Group>,
    commands: &mut Vec<Command>,
) {
    let edit = |e: BuilderEdit| ctx.edit(e);
    let remove = ui.small_button("🗑").on_hover_text("Remove");
    remove.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, "Remove"));
    if remove.clicked() {
        commands.push(edit(BuilderEdit::Remove(id)));
    }
    let menu = ui.menu_button("…", |ui| {
        if ui.button("Duplicate").clicked() {
            commands.push(edit(BuilderEdit::Duplicate(id)));
            ui.close();
        }
        if ui.add_enabled(place.index > 0, egui::Button::new("Move up")).clicked() {
            commands.push(edit(BuilderEdit::Shift { id, up: true }));
            ui.close();
        }
        if ui.add_enabled(place.index + 1 < place.siblings, egui::Button::new("Move down")).clicked() {
            commands.push(edit(BuilderEdit::Shift { id, up: false }));
            ui.close();
        }
        if let Some(group) = group {
            let parent_mode = crate::domain::edit::group(&ctx.builder.draft, place.parent).map(|g| g.mode);
            let allowed = parent_mode.is_some_and(|mode| can_ungroup(mode, group));
            if ui
                .add_enabled(allowed, egui::Button::new("Ungroup"))
                .on_disabled_hover_text(
                    "A negated group, or an Any inside an All (or the reverse), would change meaning",
                )
                .clicked()
            {
                commands.push(edit(BuilderEdit::Ungroup(id)));
                ui.close();
            }
        }
        ui.separator();
        if ui.button("Remove").clicked() {
            commands.push(edit(BuilderEdit::Remove(id)));
            ui.close();
        }
    });
    menu.response.on_hover_text("More: duplicate, move, ungroup");
}

fn drag_handle_ui(ui: &mut egui::Ui, target: BuilderTarget, id: NodeId) {
    let handle_id = egui::Id::unique(("drag_node", target, id));
    let response = ui
        .dnd_drag_source(handle_id, DraggedNode(target, id), |ui| {
            ui.label(RichText::new("☰").weak());
        })
        .response;
    response.on_hover_cursor(egui::CursorIcon::Grab).on_hover_text("Drag to move");
}

/// Takes a dragged node dropped on `response`: into `parent` before `index`, or after it
/// when the pointer is in the lower half of a row.
fn drop_target(
    ui: &egui::Ui,
    target: BuilderTarget,
    response: &egui::Response,
    parent: NodeId,
    index: usize,
    commands: &mut Vec<Command>,
) {
    // Nodes move only within their own builder.
    if response.dnd_hover_payload::<DraggedNode>().is_none_or(|dragged| dragged.0 != target) {
        return;
    }
    let Some(pointer) = ui.ctx().pointer_interact_pos() else { return };
    let rect = response.rect;
    let below = pointer.y > rect.center().y;
    let y = if below { rect.bottom() } else { rect.top() };
    let colour = ui.visuals().selection.stroke.color;
    ui.painter().hline(rect.x_range(), y, egui::Stroke::new(2.0, colour));
    if let Some(dropped) = response.dnd_release_payload::<DraggedNode>() {
        let index = if below { index + 1 } else { index };
        commands.push(target.edit(BuilderEdit::MoveTo { id: dropped.1, parent, index }));
    }
}

/// A text box's accessibility info, named so tests and screen readers find it.
fn text_info(text: &str, label: &str) -> egui::WidgetInfo {
    let mut info = egui::WidgetInfo::text_edit(true, text, text, label);
    info.label = Some(label.to_owned());
    info
}

fn problems_ui(ui: &mut egui::Ui, builder: &Builder, id: NodeId) {
    if let Some(problems) = builder.shown_problems(id) {
        for problem in problems {
            ui.label(RichText::new(format!("⚠ {problem}")).small().color(theme::error_colour(ui.visuals())));
        }
    }
}

/// The least width a condition's value starts in; with less it goes to the next line.
const MIN_VALUE_WIDTH: f32 = 110.0;

fn condition_ui(
    ui: &mut egui::Ui,
    ctx: &Ctx<'_>,
    def: &RecordTypeDef,
    condition: &Condition,
    place: Place,
    commands: &mut Vec<Command>,
) {
    ui.push_id(condition.id, |ui| {
        let schema = &ctx.view.schema;
        let field = resolve_path(schema, def, &condition.path);
        // Three columns that never overlap: the tick, handle and pickers; the value, which
        // wraps within its own column; and the row's buttons, in a column of their own.
        let fill = funnel::top_gain_fill(ui, ctx, condition.id);
        let row = egui::Frame::new()
            .fill(fill)
            .show(ui, |ui| {
                let row = ui.horizontal(|ui| {
                    let mut ticked = ctx.builder.selection.contains(&condition.id);
                    let tick = ui.checkbox(&mut ticked, "").on_hover_text("Tick to wrap in a group");
                    tick.widget_info(|| {
                        egui::WidgetInfo::selected(egui::Role::CheckBox, true, ticked, "Select condition")
                    });
                    if tick.changed() {
                        commands.push(ctx.edit(BuilderEdit::ToggleSelected(condition.id)));
                    }
                    drag_handle_ui(ui, ctx.target, condition.id);
                    // The buttons first, from the right edge; the pickers and the value then wrap in
                    // what is left, the value as one block that keeps its chips together.
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        node_menu_ui(ui, ctx, condition.id, place, None, commands);
                        let wrapping = egui::Layout::left_to_right(egui::Align::Center).with_main_wrap(true);
                        ui.with_layout(wrapping, |ui| {
                            field_picker_ui(ui, ctx, def, condition, commands);
                            if let Some(field) = field {
                                operator_picker_ui(ui, ctx.target, condition, field.kind, commands);
                            }
                            // What is left of this line, not the width the line would have after wrapping.
                            if ui.available_size_before_wrap().x < MIN_VALUE_WIDTH {
                                ui.end_row();
                            }
                            ui.with_layout(wrapping, |ui| {
                                // A chip or a value that does not fit moves down whole, never letter by letter.
                                ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
                                match field {
                                    Some(field) => value_ui(ui, ctx, condition, field, commands),
                                    None => {
                                        ui.label(
                                            RichText::new(format!("{} (unknown field)", condition.path))
                                                .color(theme::error_colour(ui.visuals())),
                                        );
                                    }
                                }
                            });
                        });
                    });
                });
                // Under the row, at its right: the row itself has no room to spare.
                funnel::figures_line_ui(ui, ctx, def, condition.id);
                row
            })
            .inner;
        drop_target(ui, ctx.target, &row.response, place.parent, place.index, commands);
        problems_ui(ui, ctx.builder, condition.id);
        if ctx.target == BuilderTarget::Segment {
            super::lint::condition_lint_ui(ui, ctx.state, ctx.view, def, ctx.builder, condition.id);
        }
    });
}

/// One field the picker offers: a path and how it reads.
struct FieldOption {
    path: FieldPath,
    label: String,
    /// The heading it is listed under: the type's own fields, or a lookup's.
    heading: String,
}

/// The record type's own fields, then the fields reached through each lookup (and one more
/// lookup from there), grouped by the lookup.
fn field_options(schema: &Schema, def: &RecordTypeDef) -> Vec<FieldOption> {
    let mut options = Vec::new();
    let own = format!("{} fields", def.label);
    for field in &def.fields {
        options.push(FieldOption {
            path: FieldPath::own(field.name.as_str()),
            label: field.label.clone(),
            heading: own.clone(),
        });
    }
    for first in def.fields.iter().filter(|f| f.kind == FieldKind::Lookup) {
        let Some(target) = first.lookup_target.as_ref().and_then(|t| schema.get(t)) else { continue };
        let heading = format!("{} ({})", first.label, target.label);
        for field in &target.fields {
            options.push(FieldOption {
                path: FieldPath { via: vec![first.name.clone()], field: field.name.clone() },
                label: format!("{} › {}", first.label, field.label),
                heading: heading.clone(),
            });
        }
        for second in target.fields.iter().filter(|f| f.kind == FieldKind::Lookup) {
            let Some(far) = second.lookup_target.as_ref().and_then(|t| schema.get(t)) else { continue };
            let heading = format!("{} › {} ({})", first.label, second.label, far.label);
            for field in &far.fields {
                options.push(FieldOption {
                    path: FieldPath { via: vec![first.name.clone(), second.name.clone()], field: field.name.clone() },
                    label: format!("{} › {} › {}", first.label, second.label, field.label),
                    heading: heading.clone(),
                });
            }
        }
    }
    options
}

fn field_picker_ui(
    ui: &mut egui::Ui,
    ctx: &Ctx<'_>,
    def: &RecordTypeDef,
    condition: &Condition,
    commands: &mut Vec<Command>,
) {
    let (target, schema) = (ctx.target, &ctx.view.schema);
    let (label, _) = describe::path_label(&condition.path, def, schema);
    let search_id = ui.scope_id().with("field_search");
    egui::ComboBox::from_id_salt("field")
        .selected_text(label)
        .width(170.0)
        // Tall enough for the search box and the list's own scroll area (whose bar shows).
        .height(400.0)
        .close_behavior(PopupCloseBehavior::CloseOnClickOutside)
        .show_ui(ui, |ui| {
            let mut search = ui.data_mut(|d| d.get_temp::<String>(search_id)).unwrap_or_default();
            let edit = ui.add(egui::TextEdit::singleline(&mut search).hint_text("Search fields").desired_width(220.0));
            edit.widget_info(|| text_info(&search, "Search fields"));
            if !edit.has_focus() && search.is_empty() {
                edit.request_focus();
            }
            if edit.changed() {
                ui.data_mut(|d| d.insert_temp(search_id, search.clone()));
            }
            let needle = crate::domain::eval::fold(search.trim());
            let matches =
                |option: &FieldOption| needle.is_empty() || crate::domain::eval::fold(&option.label).contains(&needle);
            // Enter takes the first field that matches what was typed (the only one, usually).
            let entered = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if entered
                && !needle.is_empty()
                && let Some(first) = field_options(schema, def).into_iter().find(|o| matches(o))
            {
                if first.path != condition.path {
                    commands.push(target.edit(BuilderEdit::SetField { id: condition.id, path: first.path }));
                }
                ui.data_mut(|d| d.remove::<String>(search_id));
                ui.close();
                return;
            }
            // A solid bar, always drawn, shows that the list goes on below (egui's default
            // floating bar is invisible until the pointer is over it).
            ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
            let bar = egui::scroll_area::ScrollBarVisibility::AlwaysVisible;
            egui::ScrollArea::vertical().max_height(320.0).scroll_bar_visibility(bar).show(ui, |ui| {
                let mut heading = None;
                let mut shown = 0;
                for option in field_options(schema, def) {
                    if !matches(&option) {
                        continue;
                    }
                    if heading.as_ref() != Some(&option.heading) {
                        ui.label(RichText::new(&option.heading).small().strong());
                        heading = Some(option.heading.clone());
                    }
                    shown += 1;
                    let selected = option.path == condition.path;
                    if ui.selectable_label(selected, &option.label).clicked() {
                        if !selected {
                            commands.push(target.edit(BuilderEdit::SetField { id: condition.id, path: option.path }));
                        }
                        ui.data_mut(|d| d.remove::<String>(search_id));
                        ui.close();
                    }
                }
                if shown == 0 {
                    ui.label(RichText::new("No field matches").weak());
                }
                // Rules are evaluated as a record joins, without the segments' memberships.
                if target == BuilderTarget::Segment {
                    let shows = |label: &str| needle.is_empty() || crate::domain::eval::fold(label).contains(&needle);
                    segment_options_ui(ui, target, ctx.view, def, condition.id, &shows, commands);
                }
            });
        });
}

fn operator_picker_ui(
    ui: &mut egui::Ui,
    target: BuilderTarget,
    condition: &Condition,
    kind: FieldKind,
    commands: &mut Vec<Command>,
) {
    egui::ComboBox::from_id_salt("operator").selected_text(condition.operator.label(kind)).show_ui(ui, |ui| {
        for operator in operators_for(kind) {
            if ui.selectable_label(*operator == condition.operator, operator.label(kind)).clicked()
                && *operator != condition.operator
            {
                commands.push(target.edit(BuilderEdit::SetOperator { id: condition.id, operator: *operator }));
            }
        }
    });
}

/// "has at least one / has no / has at least N / sum of … <type> whose <lookup> is this
/// record, where" and its group.
fn related_ui(
    ui: &mut egui::Ui,
    ctx: &Ctx<'_>,
    def: &RecordTypeDef,
    block: &RelatedBlock,
    place: Place,
    commands: &mut Vec<Command>,
) {
    ui.push_id(block.id, |ui| {
        let schema = &ctx.view.schema;
        let related = schema.get(&block.record_type);
        let row = ui.horizontal(|ui| {
            drag_handle_ui(ui, ctx.target, block.id);
            quantity_ui(ui, ctx, block, related, commands);
            let way = |t: &RecordTypeDef, f: &FieldDef| {
                format!(
                    "{} whose {} is this {}",
                    t.label.to_lowercase(),
                    f.label.to_lowercase(),
                    def.label.to_lowercase()
                )
            };
            let current = related
                .and_then(|t| t.field(&block.via).map(|f| way(t, f)))
                .unwrap_or_else(|| format!("{} via {}", block.record_type, block.via));
            egui::ComboBox::from_id_salt("via").selected_text(current).show_ui(ui, |ui| {
                for (t, f) in schema.lookups_into(&def.name) {
                    let on = t.name == block.record_type && f.name == block.via;
                    if ui.selectable_label(on, way(t, f)).clicked() && !on {
                        commands.push(ctx.edit(BuilderEdit::SetRelatedVia {
                            id: block.id,
                            record_type: t.name.clone(),
                            via: f.name.clone(),
                        }));
                    }
                }
            });
            ui.label("where");
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                node_menu_ui(ui, ctx, block.id, place, None, commands);
            });
        });
        funnel::figures_line_ui(ui, ctx, def, block.id);
        drop_target(ui, ctx.target, &row.response, place.parent, place.index, commands);
        problems_ui(ui, ctx.builder, block.id);
        if let Some(related) = related {
            ui.indent("related_group", |ui| group_ui(ui, ctx, related, &block.group, None, commands));
        }
    });
}

/// A collapsed group in one line: "Country equals "France"; Rating is any of Hot".
fn group_summary(ctx: &Ctx<'_>, def: &RecordTypeDef, group: &Group) -> String {
    let lines = describe::describe(
        group,
        def,
        &ctx.view.schema,
        &describe::WithSegments {
            names: &describe::PeopleNames { sellers: &ctx.view.sellers, teams: &ctx.view.teams },
            segments: &ctx.view.segments.values().flatten().cloned().collect::<Vec<_>>(),
        },
    );
    let parts: Vec<String> = lines.into_iter().skip(1).filter(|l| l.depth == 1).map(|l| l.text).collect();
    if parts.is_empty() { "(empty)".to_owned() } else { parts.join("; ") }
}
