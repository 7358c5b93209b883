//! The quantity of a related-record block: "has at least one", "has no", "has at least /
//! at most / exactly N", or an aggregate ("sum of Amount ≥ 100000") of a whole-number or
//! money field of the related records.

use super::{BuilderEdit, Command, Ctx, FieldKind, InputSlot, RelatedBlock, text_info};
use crate::domain::quantity::{AGGREGATE_OPERATORS, QuantifierKind, aggregates};
use crate::domain::{Quantifier, RecordTypeDef};

/// The quantity's combo box, and the count or the aggregate's field, comparison and number.
pub(super) fn quantity_ui(
    ui: &mut egui::Ui,
    ctx: &Ctx<'_>,
    block: &RelatedBlock,
    related: Option<&RecordTypeDef>,
    commands: &mut Vec<Command>,
) {
    let id = block.id;
    let set = |quantifier: Quantifier| ctx.edit(BuilderEdit::SetQuantifier { id, quantifier });
    let current = block.quantifier.kind();
    let first_number = related.and_then(|t| t.fields.iter().find(|f| aggregates(f.kind))).map(|f| &f.name);
    egui::ComboBox::from_id_salt("quantifier").selected_text(current.to_string()).show_ui(ui, |ui| {
        for kind in QuantifierKind::ALL {
            // An aggregate needs a number field among the related records'.
            if matches!(kind, QuantifierKind::Aggregate(_)) && first_number.is_none() {
                continue;
            }
            if ui.selectable_label(kind == current, kind.to_string()).clicked() && kind != current {
                commands.push(set(block.quantifier.with_kind(kind, first_number)));
            }
        }
    });
    let text_box = |ui: &mut egui::Ui, slot: InputSlot, label: &str, commands: &mut Vec<Command>| {
        let mut text = ctx.builder.quantity_text(id, slot, &block.quantifier);
        let response = ui.add(egui::TextEdit::singleline(&mut text).desired_width(70.0).hint_text(label));
        response.widget_info(|| text_info(&text, label));
        if response.changed() {
            commands.push(ctx.edit(BuilderEdit::SetInput { id, slot, text }));
        }
    };
    match &block.quantifier {
        Quantifier::AtLeastOne | Quantifier::None => {}
        Quantifier::AtLeast(_) | Quantifier::AtMost(_) | Quantifier::Exactly(_) => {
            text_box(ui, InputSlot::Count, "Count", commands);
        }
        Quantifier::Aggregate(test) => {
            let Some(related) = related else { return };
            let field = related.field(&test.field);
            let shown = field.map_or_else(|| test.field.to_string(), |f| f.label.clone());
            egui::ComboBox::from_id_salt("aggregate_field").selected_text(shown).show_ui(ui, |ui| {
                for candidate in related.fields.iter().filter(|f| aggregates(f.kind)) {
                    let on = candidate.name == test.field;
                    if ui.selectable_label(on, &candidate.label).clicked() && !on {
                        let mut test = test.clone();
                        test.field = candidate.name.clone();
                        commands.push(set(Quantifier::Aggregate(test)));
                    }
                }
            });
            let kind = field.map_or(FieldKind::Decimal, |f| f.kind);
            egui::ComboBox::from_id_salt("aggregate_operator").selected_text(test.operator.label(kind)).show_ui(
                ui,
                |ui| {
                    for operator in AGGREGATE_OPERATORS {
                        let on = operator == test.operator;
                        if ui.selectable_label(on, operator.label(kind)).clicked() && !on {
                            let mut test = test.clone();
                            test.operator = operator;
                            commands.push(set(Quantifier::Aggregate(test)));
                        }
                    }
                },
            );
            text_box(ui, InputSlot::Number, "Total", commands);
        }
    }
}
