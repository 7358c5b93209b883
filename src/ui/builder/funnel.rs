//! The funnel beside the builder's nodes: how many records each matches on its own and
//! how many the whole segment would gain without it ("12,431 · without: +1,204"), and a
//! "Top gain" line above the tree naming the condition whose removal gains the most.
//!
//! The figures come from the engine ([`crate::state::builder::FunnelState`]); the last ones
//! stay, in italics, until the newest draft is answered. Segments only, and nothing while
//! the draft has problems.

use egui::RichText;

use super::Ctx;
use crate::domain::describe::{self, PeopleNames, WithSegments};
use crate::domain::{Group, Node, NodeId, RecordTypeDef, Schema};
use crate::state::BuilderTarget;
use crate::state::builder::NodeFigures;

use super::theme;

/// "+1,204", "−12", "±0".
fn signed(n: i64) -> String {
    match n.signum() {
        1 => format!("+{}", theme::thousands(n.unsigned_abs())),
        -1 => format!("−{}", theme::thousands(n.unsigned_abs())),
        _ => "±0".to_owned(),
    }
}

/// Whether the builder shows figures: a segment's, without problems, asked of the engine.
fn active(ctx: &Ctx<'_>) -> bool {
    ctx.target == BuilderTarget::Segment && !ctx.builder.has_problems() && ctx.builder.funnel.is_asked()
}

/// The figures of `id` when the builder shows them.
fn shown(ctx: &Ctx<'_>, id: NodeId) -> Option<NodeFigures> {
    if !active(ctx) {
        return None;
    }
    ctx.builder.funnel.figures(id)
}

/// The text beside a node, and what it means on hover; `def` is the type the node tests.
pub(super) fn figures_text(ctx: &Ctx<'_>, def: &RecordTypeDef, id: NodeId) -> Option<(String, String)> {
    let figures = shown(ctx, id)?;
    let plural = def.plural_label.to_lowercase();
    let alone = theme::thousands(figures.alone as u64);
    let segment_type =
        ctx.view.schema.get(&ctx.builder.record_type).map_or(plural.clone(), |t| t.plural_label.to_lowercase());
    let mut hover = format!("{alone} {plural} match this on its own");
    let text = match figures.without {
        Some(gain) => {
            hover.push_str(&match gain.signum() {
                1 => format!(
                    ".\nWithout it the segment would match {} more {segment_type}.",
                    theme::thousands(gain.unsigned_abs())
                ),
                -1 => format!(
                    ".\nWithout it the segment would match {} fewer {segment_type}: it widens the segment.",
                    theme::thousands(gain.unsigned_abs())
                ),
                _ => ".\nWithout it the segment would match the same records: it narrows nothing.".to_owned(),
            });
            format!("{alone} · without: {}", signed(gain))
        }
        None if id == ctx.builder.draft.id => {
            hover = format!("The segment matches {alone} {plural}");
            alone
        }
        None => {
            hover = format!("{alone} {plural} match this group");
            alone
        }
    };
    Some((text, hover))
}

/// The figures beside a node, as a small weak label (italic while a newer draft is being
/// counted).
pub(super) fn figures_ui(ui: &mut egui::Ui, ctx: &Ctx<'_>, def: &RecordTypeDef, id: NodeId) {
    let Some((text, hover)) = figures_text(ctx, def, id) else { return };
    let mut rich = RichText::new(text).small().weak();
    if ctx.builder.funnel.is_pending() {
        rich = rich.italics();
    }
    ui.add(egui::Label::new(rich).selectable(false)).on_hover_text(hover);
}

/// The figures on a line of their own under a row, at its right.
pub(super) fn figures_line_ui(ui: &mut egui::Ui, ctx: &Ctx<'_>, def: &RecordTypeDef, id: NodeId) {
    if !active(ctx) {
        return;
    }
    // The line keeps its room while the figures come, so rows do not jump.
    ui.with_layout(egui::Layout::right_to_left(egui::Align::TOP), |ui| {
        ui.add_space(ui.spacing().item_spacing.x);
        if shown(ctx, id).is_some() {
            figures_ui(ui, ctx, def, id);
        } else {
            ui.label(RichText::new(" ").small());
        }
    });
}

/// How wide [`figures_ui`] draws for `id` (0 when it draws nothing).
pub(super) fn figures_width(ui: &egui::Ui, ctx: &Ctx<'_>, def: &RecordTypeDef, id: NodeId) -> f32 {
    let Some((text, _)) = figures_text(ctx, def, id) else { return 0.0 };
    let font = egui::TextStyle::Small.resolve(ui.style());
    let galley = ui.painter().layout_no_wrap(text, font, egui::Color32::PLACEHOLDER);
    galley.size().x + ui.spacing().item_spacing.x
}

/// The faint fill of the row whose removal gains the most.
pub(super) fn top_gain_fill(ui: &egui::Ui, ctx: &Ctx<'_>, id: NodeId) -> egui::Color32 {
    let top = shown(ctx, id).is_some() && ctx.builder.funnel.top_gain().is_some_and(|(top, _)| top == id);
    if top { ui.visuals().selection.bg_fill.gamma_multiply(0.25) } else { egui::Color32::TRANSPARENT }
}

/// "Top gain: Country equals France (+1,204 without it)" above the tree.
pub(super) fn top_gain_ui(ui: &mut egui::Ui, ctx: &Ctx<'_>, def: &RecordTypeDef) {
    if !active(ctx) {
        return;
    }
    let top = ctx.builder.funnel.top_gain().filter(|(id, _)| shown(ctx, *id).is_some());
    let found = top.and_then(|(id, gain)| Some((node_text(ctx, &ctx.builder.draft, def, id)?, gain)));
    let Some((what, gain)) = found else {
        // The line keeps its room: the tree below does not jump when an answer comes.
        let text = if ctx.builder.funnel.answer().is_some() && !ctx.builder.funnel.is_pending() {
            "Top gain: none (removing any one condition adds no records)"
        } else {
            "Top gain: counting…"
        };
        ui.add(egui::Label::new(RichText::new(text).weak()).truncate());
        return;
    };
    let text = format!("Top gain: {what} ({} without it)", signed(gain));
    let segment_type = def.plural_label.to_lowercase();
    ui.add(egui::Label::new(RichText::new(text).weak()).truncate()).on_hover_text(format!(
        "Of the conditions, removing this one would add the most {segment_type} to the segment"
    ));
}

/// How node `id` reads ("Country equals France"), found under `group` of type `def`.
fn node_text(ctx: &Ctx<'_>, group: &Group, def: &RecordTypeDef, id: NodeId) -> Option<String> {
    let schema: &Schema = &ctx.view.schema;
    let segments: Vec<_> = ctx.view.segments.values().flatten().cloned().collect();
    let names = WithSegments {
        names: &PeopleNames { sellers: &ctx.view.sellers, teams: &ctx.view.teams },
        segments: &segments,
    };
    group.children.iter().find_map(|child| match child {
        Node::Condition(c) if c.id == id => Some(describe::condition_text(c, def, schema, &names)),
        Node::Segment(s) if s.id == id => Some(describe::segment_text(s, def, schema, &names)),
        Node::Related(r) => {
            let related = schema.get(&r.record_type);
            if r.id == id {
                let plural = related.map_or_else(|| r.record_type.to_string(), |t| t.plural_label.to_lowercase());
                return Some(describe::quantity_text(&r.quantifier, related, &plural));
            }
            node_text(ctx, &r.group, related?, id)
        }
        Node::Group(g) => node_text(ctx, g, def, id),
        Node::Condition(_) | Node::Segment(_) => None,
    })
}
