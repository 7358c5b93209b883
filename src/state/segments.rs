//! The Segments screen's commands: choosing a segment and its tab, the list's search and
//! priority order, the new segment form, a segment's lifecycle (activate, re-evaluate,
//! deactivate, delete, options) and its exports. Their pure handling ([`apply`]) returns
//! the [`SegmentsEffect`]s the app carries out; the condition builder of the selected
//! segment has its own commands (`state::conditions`).

use std::path::PathBuf;

use super::effect::{Context, Effect};
use super::{AppState, DetailTab, Dialog, LifecycleAction, SegmentForm};
use crate::domain::{Group, NodeId, RecordTypeName, Segment, SegmentId, Status};

/// What the segment list, the detail tabs and the lifecycle dialogs ask for.
#[derive(Clone, Debug, PartialEq)]
pub enum SegmentsCommand {
    Select(SegmentId),
    ShowTab(DetailTab),
    SetSearch(String),
    /// Give a segment a new place in its record type's priority order (0 is the top).
    Move {
        id: SegmentId,
        to_index: usize,
    },
    /// Open "New segment…" for the current record type.
    ShowNew,
    /// Open "Copy…" for this segment.
    ShowCopy(SegmentId),
    /// Create the segment the open segment form describes.
    SubmitForm,
    /// Open the impact dialog of activating this segment.
    ShowActivate(SegmentId),
    /// Open the impact dialog of re-evaluating this segment's records.
    ShowReevaluate(SegmentId),
    /// Make the segment inactive: it keeps its members and adds none.
    Deactivate(SegmentId),
    /// Choose, in the impact dialog, between applying to existing records now (true) and
    /// only to records created or updated from now on.
    ChooseApplyToExisting(bool),
    /// Carry out the impact dialog's action as chosen.
    ApplyLifecycle,
    AskDelete(SegmentId),
    Delete(SegmentId),
    SetOptions {
        id: SegmentId,
        accept_from_other_segments: bool,
        rerun_assignment_on_move: bool,
    },
    /// Pages (by first position) of the selected segment's members the table wants to show.
    FetchMembers(Vec<u64>),
    /// Open "Export CSV…" for this segment's members.
    ShowExportMembers(SegmentId),
    /// Write the members or records to the file the export dialog names.
    SubmitExport,
    /// Open "Export CSV…" for the Records table as filtered.
    ShowExportRecords,
}

/// What the runner does for the Segments screen.
#[derive(Clone, Debug, PartialEq)]
pub enum SegmentsEffect {
    /// Preview the selected segment (or its draft) again.
    Preview,
    /// Read the Members or History tab of the selected segment again.
    ReadTab,
    /// Store a new priority order that moves no member.
    Reorder {
        record_type: RecordTypeName,
        order: Vec<SegmentId>,
    },
    /// Work out an action's impact and show it before anything is stored.
    ShowImpact(LifecycleAction),
    /// Store a new draft segment and select it.
    Insert {
        segment: Segment,
        copied: bool,
    },
    Deactivate(SegmentId),
    /// Carry out the impact dialog's action as chosen.
    ApplyLifecycle,
    Delete(SegmentId),
    SetOptions {
        id: SegmentId,
        accept_from_other_segments: bool,
        rerun_assignment_on_move: bool,
    },
    FetchMembers(Vec<u64>),
    /// Check the export dialog's file and start writing it.
    Export,
}

/// Handles one Segments command.
pub fn apply(state: &mut AppState, command: SegmentsCommand, ctx: &Context) -> Vec<Effect> {
    let effect = |effect: SegmentsEffect| vec![Effect::Segments(effect)];
    match command {
        SegmentsCommand::Select(id) => {
            state.selected_segment = Some(id);
            effect(SegmentsEffect::Preview)
        }
        SegmentsCommand::ShowTab(tab) => {
            state.detail_tab = tab;
            effect(SegmentsEffect::ReadTab)
        }
        SegmentsCommand::SetSearch(text) => {
            state.segment_search = text;
            Vec::new()
        }
        SegmentsCommand::Move { id, to_index } => move_segment(state, id, to_index).map_or_else(Vec::new, effect),
        SegmentsCommand::ShowNew => {
            if let Some(record_type) = state.record_type.clone() {
                let form = SegmentForm {
                    copy_of: None,
                    record_type,
                    name: String::new(),
                    description: String::new(),
                    error: None,
                };
                state.dialog = Some(Dialog::SegmentForm(form));
            }
            Vec::new()
        }
        SegmentsCommand::ShowCopy(id) => {
            if let Some(source) = state.view.as_ref().and_then(|v| v.segment(id)) {
                state.dialog = Some(Dialog::SegmentForm(SegmentForm {
                    copy_of: Some(id),
                    record_type: source.record_type.clone(),
                    name: format!("Copy of {}", source.name),
                    description: source.description.clone(),
                    error: None,
                }));
            }
            Vec::new()
        }
        SegmentsCommand::SubmitForm => submit_form(state, ctx).map_or_else(Vec::new, effect),
        SegmentsCommand::ShowActivate(id) => effect(SegmentsEffect::ShowImpact(LifecycleAction::Activate(id))),
        SegmentsCommand::ShowReevaluate(id) => effect(SegmentsEffect::ShowImpact(LifecycleAction::Reevaluate(id))),
        SegmentsCommand::Deactivate(id) => effect(SegmentsEffect::Deactivate(id)),
        SegmentsCommand::ChooseApplyToExisting(choice) => {
            if let Some(Dialog::Impact(dialog)) = &mut state.dialog
                && !dialog.applying
            {
                dialog.apply_to_existing = choice;
            }
            Vec::new()
        }
        SegmentsCommand::ApplyLifecycle => effect(SegmentsEffect::ApplyLifecycle),
        SegmentsCommand::AskDelete(id) => {
            let Some(view) = &state.view else { return Vec::new() };
            let Some(segment) = view.segment(id) else { return Vec::new() };
            let sequence = segment.sequence.and_then(|s| view.sequence(s)).map(|s| s.name.clone());
            state.dialog = Some(Dialog::ConfirmDeleteSegment { id, name: segment.name.clone(), sequence });
            Vec::new()
        }
        SegmentsCommand::Delete(id) => {
            state.dialog = None;
            effect(SegmentsEffect::Delete(id))
        }
        SegmentsCommand::SetOptions { id, accept_from_other_segments, rerun_assignment_on_move } => {
            effect(SegmentsEffect::SetOptions { id, accept_from_other_segments, rerun_assignment_on_move })
        }
        SegmentsCommand::FetchMembers(mut offsets) => {
            offsets.retain(|offset| !state.members.rows.contains_key(offset));
            if offsets.is_empty() { Vec::new() } else { effect(SegmentsEffect::FetchMembers(offsets)) }
        }
        SegmentsCommand::ShowExportMembers(segment) => {
            let Some(view) = &state.view else { return Vec::new() };
            let Some(name) = view.segment(segment).map(|s| s.name.clone()) else { return Vec::new() };
            let file = format!("{} members.csv", name.replace(['/', '\\', ':'], "-"));
            let dir = view.path.parent().map(PathBuf::from).unwrap_or_default();
            let text = dir.join(file).display().to_string();
            state.dialog = Some(Dialog::ExportMembers { segment, text, error: None, replace: None });
            Vec::new()
        }
        SegmentsCommand::ShowExportRecords => {
            let Some(view) = &state.view else { return Vec::new() };
            let Some(record_type) = state.record_type.clone() else { return Vec::new() };
            let label =
                view.record_type(&record_type).map_or(record_type.to_string(), |d| d.plural_label.to_lowercase());
            let dir = view.path.parent().map(PathBuf::from).unwrap_or_default();
            let text = dir.join(format!("{label}.csv")).display().to_string();
            state.dialog = Some(Dialog::ExportRecords { record_type, text, error: None, replace: None });
            Vec::new()
        }
        SegmentsCommand::SubmitExport => effect(SegmentsEffect::Export),
    }
}

/// A new priority order: stored at once when no two active segments trade places,
/// otherwise shown with its impact first (members may move).
fn move_segment(state: &AppState, id: SegmentId, to_index: usize) -> Option<SegmentsEffect> {
    let view = state.view.as_ref()?;
    let record_type = view.segment(id)?.record_type.clone();
    let segments = view.segments_of(&record_type);
    let mut order: Vec<SegmentId> = segments.iter().map(|s| s.id).collect();
    let from = order.iter().position(|s| *s == id)?;
    let to = to_index.min(order.len().saturating_sub(1));
    if from == to {
        return None;
    }
    let moved = order.remove(from);
    order.insert(to, moved);
    let passed = segments.get(from.min(to)..=from.max(to)).unwrap_or_default();
    let affects_active = passed.iter().filter(|s| s.status == Status::Active).count() >= 2
        && segments.get(from).is_some_and(|s| s.status == Status::Active);
    Some(if affects_active {
        SegmentsEffect::ShowImpact(LifecycleAction::Reorder { record_type, order, moved: id })
    } else {
        SegmentsEffect::Reorder { record_type, order }
    })
}

/// The draft segment the form describes (empty, or a copy), or `None` after saying in the
/// form what is wrong.
fn submit_form(state: &mut AppState, ctx: &Context) -> Option<SegmentsEffect> {
    let Some(Dialog::SegmentForm(form)) = &state.dialog else { return None };
    let view = state.view.as_ref()?;
    let problem = view.segment_form_problem(&form.record_type, &form.name, &form.description);
    let now = ctx.now;
    let segment = match (problem, form.copy_of) {
        (Some(problem), _) => Err(problem),
        (None, Some(source)) => view
            .segment(source)
            .map(|source| Segment {
                name: form.name.trim().to_owned(),
                description: form.description.clone(),
                status: Status::Draft,
                created_on: now,
                modified_on: now,
                ..source.clone()
            })
            .ok_or_else(|| "The segment to copy no longer exists".to_owned()),
        (None, None) => Ok(Segment {
            id: SegmentId(0),
            record_type: form.record_type.clone(),
            name: form.name.trim().to_owned(),
            description: form.description.clone(),
            status: Status::Draft,
            priority: 0,
            conditions: Group::all(NodeId(0)),
            accept_from_other_segments: false,
            rerun_assignment_on_move: false,
            sequence: None,
            created_on: now,
            modified_on: now,
        }),
    };
    let copied = form.copy_of.is_some();
    match segment {
        Ok(segment) => Some(SegmentsEffect::Insert { segment, copied }),
        Err(problem) => {
            if let Some(Dialog::SegmentForm(form)) = &mut state.dialog {
                form.error = Some(problem);
            }
            None
        }
    }
}
