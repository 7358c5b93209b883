//! The lint where segments are edited: a line under each segment of the list, the
//! segment's verdicts above its conditions in the builder, and a mark under a condition
//! that changes nothing or cannot hold with another.
//!
//! The verdicts that need records come from the background analysis of the segments as
//! stored (`state::overlap`); while the conditions have unsaved edits, the builder shows
//! what the tree alone says of the draft, computed here as it is drawn.

use egui::RichText;

use crate::domain::lint::{Contradiction, SegmentLint, Verdict, contradiction};
use crate::domain::{NodeId, RecordTypeDef, SegmentId};
use crate::state::builder::Builder;
use crate::state::{AppState, WorkspaceView};

/// The order verdicts are told in: the most telling first (a copy of a higher segment is
/// shadowed by it too; being a copy says why).
fn rank(verdict: &Verdict) -> u8 {
    match verdict {
        Verdict::CanNeverMatch { .. } => 0,
        Verdict::SameDefinition { .. } => 1,
        Verdict::Shadowed { .. } => 2,
        Verdict::SameRecords { .. } => 3,
        Verdict::MatchesNoRecord => 4,
        Verdict::ChangesNothing { .. } => 5,
    }
}

fn lint_of(state: &AppState, segment: SegmentId) -> Option<&SegmentLint> {
    let analysis = state.overlap.analysis.latest()?;
    if state.record_type.as_ref() != Some(&analysis.record_type) {
        return None;
    }
    analysis.lint_of(segment).filter(|l| !l.verdicts.is_empty())
}

/// One line under a segment in the list: its most serious verdict, and how many more (all
/// of them on hover). Nothing when the segment has none.
pub fn segment_lint_ui(ui: &mut egui::Ui, state: &AppState, segment: SegmentId) {
    let Some(lint) = lint_of(state, segment) else { return };
    let mut verdicts: Vec<&Verdict> = lint.verdicts.iter().collect();
    verdicts.sort_by_key(|v| rank(v));
    let Some(first) = verdicts.first() else { return };
    let more = verdicts.len() - 1;
    let text =
        if more == 0 { format!("⚠ {}", first.message()) } else { format!("⚠ {} (+{more})", first.message()) };
    let all: Vec<String> = verdicts.iter().map(|v| v.message()).collect();
    ui.add(egui::Label::new(RichText::new(text).small().color(ui.visuals().warn_fg_color)).truncate())
        .on_hover_text(all.join("\n"));
}

/// The contradiction of the builder's draft, when it has unsaved edits (the analysis is of
/// the stored conditions).
fn draft_contradiction(view: &WorkspaceView, def: &RecordTypeDef, builder: &Builder) -> Option<Contradiction> {
    if builder.is_dirty() { contradiction(&view.schema, def, &builder.draft) } else { None }
}

/// Above the conditions: what is wrong with the segment as a whole.
pub fn builder_lint_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    def: &RecordTypeDef,
    builder: &Builder,
) {
    let warn = ui.visuals().warn_fg_color;
    if builder.is_dirty() {
        if let Some(found) = draft_contradiction(view, def, builder) {
            ui.label(RichText::new(format!("⚠ Can never match: {}", found.reason)).color(warn));
        }
        return;
    }
    let Some(lint) = lint_of(state, builder.segment) else { return };
    let mut verdicts: Vec<&Verdict> = lint.verdicts.iter().filter(|v| v.node().is_none()).collect();
    verdicts.sort_by_key(|v| rank(v));
    for verdict in verdicts {
        let text = format!("⚠ {}", verdict.message());
        ui.add(egui::Label::new(RichText::new(text).color(warn)).wrap());
    }
}

/// Under a condition: that removing it changes nothing (as stored), or that it cannot
/// hold with another.
pub fn condition_lint_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    def: &RecordTypeDef,
    builder: &Builder,
    id: NodeId,
) {
    let warn = ui.visuals().warn_fg_color;
    let text = if builder.is_dirty() {
        draft_contradiction(view, def, builder)
            .filter(|found| found.nodes.contains(&id))
            .map(|found| contradiction_mark(found.nodes.len()))
    } else {
        let lint = lint_of(state, builder.segment);
        let never = lint.and_then(|l| {
            l.verdicts.iter().find_map(|v| match v {
                Verdict::CanNeverMatch { nodes, .. } if nodes.contains(&id) => Some(nodes.len()),
                _ => None,
            })
        });
        let idle = lint.and_then(|l| l.verdicts.iter().find(|v| v.node() == Some(id)));
        match (never, idle) {
            (Some(count), _) => Some(contradiction_mark(count)),
            (None, Some(_)) => {
                Some("⚠ Changes nothing: without it this segment matches the same records today".to_owned())
            }
            (None, None) => None,
        }
    };
    if let Some(text) = text {
        ui.add(egui::Label::new(RichText::new(text).small().color(warn)).wrap());
    }
}

/// The mark of a condition in a contradiction of `count` conditions.
fn contradiction_mark(count: usize) -> String {
    if count == 1 {
        "⚠ This condition can never hold".to_owned()
    } else {
        "⚠ Cannot hold together with the other marked condition".to_owned()
    }
}
