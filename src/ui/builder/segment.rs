//! A segment condition's row: whose membership ("This lead", "Account"), the test ("is in
//! segment", "is not in segment", "matches the conditions of segment") and the segment,
//! picked by name among the segments of the record type that record has. The field picker
//! offers the same as "Segment membership" entries, which turn a condition into one.

use egui::RichText;

use super::{Ctx, Place, drag_handle_ui, drop_target, node_menu_ui, problems_ui};
use crate::domain::{FieldKind, FieldName, RecordTypeDef, Schema, SegmentCondition, SegmentId, SegmentTest};
use crate::state::BuilderTarget;
use crate::state::builder::BuilderEdit;
use crate::state::{Command, WorkspaceView};

/// Whose segment a node can test: the record itself, or a record one lookup away, with
/// the reached type.
pub(super) fn segment_ways<'s>(
    schema: &'s Schema,
    def: &'s RecordTypeDef,
) -> Vec<(Vec<FieldName>, String, &'s RecordTypeDef)> {
    let mut ways = vec![(Vec::new(), format!("This {}", def.label.to_lowercase()), def)];
    for field in def.fields.iter().filter(|f| f.kind == FieldKind::Lookup) {
        if let Some(target) = field.lookup_target.as_ref().and_then(|t| schema.get(t)) {
            ways.push((vec![field.name.clone()], field.label.clone(), target));
        }
    }
    ways
}

/// The picker entries offering segment membership for a condition of `def`: one per way
/// whose type has segments ("Account › segment membership").
pub(super) fn segment_options_ui(
    ui: &mut egui::Ui,
    target: BuilderTarget,
    view: &WorkspaceView,
    def: &RecordTypeDef,
    id: crate::domain::NodeId,
    shows: &dyn Fn(&str) -> bool,
    commands: &mut Vec<Command>,
) {
    let ways: Vec<_> = segment_ways(&view.schema, def)
        .into_iter()
        .map(|(via, label, reached)| (via, format!("{label} › segment membership"), reached))
        .filter(|(_, label, _)| shows(label))
        .filter_map(|(via, label, reached)| Some((via, label, view.segments_of(&reached.name).first()?.id)))
        .collect();
    if ways.is_empty() {
        return;
    }
    ui.label(RichText::new("Segments").small().strong());
    for (via, label, first) in ways {
        if ui.selectable_label(false, label).clicked() {
            let edit = BuilderEdit::SetSegmentCondition { id, via, test: SegmentTest::InSegment, segment: first };
            commands.push(target.edit(edit));
            ui.close();
        }
    }
}

pub(super) fn segment_ui(
    ui: &mut egui::Ui,
    ctx: &Ctx<'_>,
    def: &RecordTypeDef,
    node: &SegmentCondition,
    place: Place,
    commands: &mut Vec<Command>,
) {
    ui.push_id(node.id, |ui| {
        let schema = &ctx.view.schema;
        let ways = segment_ways(schema, def);
        let set = |via: Vec<FieldName>, test: SegmentTest, segment: SegmentId| {
            ctx.edit(BuilderEdit::SetSegmentCondition { id: node.id, via, test, segment })
        };
        let row = ui.horizontal(|ui| {
            drag_handle_ui(ui, ctx.target, node.id);
            let current = ways.iter().find(|(via, ..)| *via == node.via);
            let who = current.map_or_else(|| node.via.iter().map(ToString::to_string).collect(), |w| w.1.clone());
            egui::ComboBox::from_id_salt("whose").selected_text(who).show_ui(ui, |ui| {
                for (via, label, reached) in &ways {
                    let first = ctx.view.segments_of(&reached.name).first().map(|s| s.id);
                    let on = *via == node.via;
                    if ui.add_enabled(first.is_some() || on, egui::Button::selectable(on, label)).clicked()
                        && !on
                        && let Some(first) = first
                    {
                        commands.push(set(via.clone(), node.test, first));
                    }
                }
                ui.separator();
                if ui.selectable_label(false, "A field instead").clicked()
                    && let Some(field) = def.fields.first()
                {
                    let path = crate::domain::FieldPath::own(field.name.as_str());
                    commands.push(ctx.edit(BuilderEdit::SetField { id: node.id, path }));
                }
            });
            egui::ComboBox::from_id_salt("test").selected_text(node.test.label()).show_ui(ui, |ui| {
                for test in SegmentTest::ALL {
                    if ui.selectable_label(test == node.test, test.label()).clicked() && test != node.test {
                        commands.push(set(node.via.clone(), test, node.segment));
                    }
                }
            });
            let reached = current.map(|w| w.2);
            let name = ctx
                .view
                .segments
                .values()
                .flatten()
                .find(|s| s.id == node.segment)
                .map_or_else(|| format!("#{} (unknown)", node.segment.0), |s| s.name.clone());
            egui::ComboBox::from_id_salt("segment").selected_text(name).show_ui(ui, |ui| {
                for segment in reached.map(|t| ctx.view.segments_of(&t.name)).unwrap_or_default() {
                    let on = segment.id == node.segment;
                    if ui.selectable_label(on, &segment.name).clicked() && !on {
                        commands.push(set(node.via.clone(), node.test, segment.id));
                    }
                }
            });
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                node_menu_ui(ui, ctx, node.id, place, None, commands);
            });
        });
        super::funnel::figures_line_ui(ui, ctx, def, node.id);
        drop_target(ui, ctx.target, &row.response, place.parent, place.index, commands);
        problems_ui(ui, ctx.builder, node.id);
    });
}
