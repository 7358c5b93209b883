//! The condition builder of the selected segment and its preview: edits, undo, the
//! preview's order and columns, and Save / Discard (also from the unsaved-changes dialog).
//! Their pure handling ([`apply`]) returns the [`ConditionsEffect`]s the app carries out.

use super::builder::{BuilderEdit, EditContext};
use super::effect::{Context, Effect};
use super::{AppState, Command, Dialog};
use crate::domain::{EvalContext, FieldName, NodeId, RecordId, RecordTypeName};

/// What the builder and the preview ask for.
#[derive(Clone, Debug, PartialEq)]
pub enum ConditionsCommand {
    Edit(BuilderEdit),
    /// Order the preview's records by this field; again flips the direction.
    SortPreviewBy(FieldName),
    /// Show or hide a column of the preview table.
    TogglePreviewColumn(FieldName),
    /// Open a previewed record on the Records screen.
    OpenPreviewRecord(RecordId),
    /// Look for records of `record_type` whose title contains `text`, for a condition's picker.
    SearchRecords {
        node: NodeId,
        record_type: RecordTypeName,
        text: String,
    },
    Undo,
    Redo,
    /// Store the builder's draft as the segment's conditions.
    Save,
    Discard,
    /// From the unsaved-changes dialog: save (or discard), then carry on.
    SaveThenContinue,
    DiscardThenContinue,
}

/// What the runner does for the builder.
#[derive(Clone, Debug, PartialEq)]
pub enum ConditionsEffect {
    /// Preview the draft (or the stored conditions) again.
    Preview,
    OpenRecord(RecordId),
    SearchRecords {
        node: NodeId,
        record_type: RecordTypeName,
        text: String,
    },
    /// Store the draft: at once, or through the impact dialog for an active segment; then
    /// carry out `then`, if any (or put the unsaved-changes dialog back when it failed).
    Save {
        then: Option<(String, Box<Command>)>,
    },
    /// Carry out what the unsaved-changes dialog held back.
    Continue(Box<Command>),
}

/// Handles one builder command.
pub fn apply(state: &mut AppState, command: ConditionsCommand, ctx: &Context) -> Vec<Effect> {
    let preview = || vec![Effect::Conditions(ConditionsEffect::Preview)];
    match command {
        ConditionsCommand::Edit(edit) => {
            let (Some(builder), Some(view)) = (&mut state.builder, &state.view) else { return Vec::new() };
            let today = EvalContext::new(ctx.now, view.time_zone.clone()).today();
            if builder.apply(edit, &EditContext { schema: &view.schema, today }) { preview() } else { Vec::new() }
        }
        ConditionsCommand::SortPreviewBy(field) => {
            let sort = &mut state.preview.sort;
            *sort = match sort.take() {
                Some((current, descending)) if current == field => Some((field, !descending)),
                _ => Some((field, false)),
            };
            preview()
        }
        ConditionsCommand::TogglePreviewColumn(field) => {
            if let Some(def) = state.current_type().cloned() {
                let mut columns = state.preview.columns_for(&def);
                if let Some(at) = columns.iter().position(|c| *c == field) {
                    columns.remove(at);
                } else {
                    columns.push(field);
                    // Keep the schema's order.
                    columns.sort_by_key(|c| def.field_index(c));
                }
                state.preview.columns.insert(def.name.clone(), columns);
            }
            Vec::new()
        }
        ConditionsCommand::OpenPreviewRecord(id) => vec![Effect::Conditions(ConditionsEffect::OpenRecord(id))],
        ConditionsCommand::SearchRecords { node, record_type, text } => {
            vec![Effect::Conditions(ConditionsEffect::SearchRecords { node, record_type, text })]
        }
        ConditionsCommand::Undo => {
            let (Some(builder), Some(view)) = (&mut state.builder, &state.view) else { return Vec::new() };
            if builder.undo(&view.schema) { preview() } else { Vec::new() }
        }
        ConditionsCommand::Redo => {
            let (Some(builder), Some(view)) = (&mut state.builder, &state.view) else { return Vec::new() };
            if builder.redo(&view.schema) { preview() } else { Vec::new() }
        }
        ConditionsCommand::Save => {
            if let Some(builder) = &mut state.builder {
                builder.reveal_problems();
            }
            vec![Effect::Conditions(ConditionsEffect::Save { then: None })]
        }
        ConditionsCommand::Discard => {
            let (Some(builder), Some(view)) = (&mut state.builder, &state.view) else { return Vec::new() };
            builder.discard(&view.schema);
            preview()
        }
        ConditionsCommand::SaveThenContinue => {
            let Some(Dialog::UnsavedChanges { segment_name, then }) = state.dialog.take() else { return Vec::new() };
            if let Some(builder) = &mut state.builder {
                builder.reveal_problems();
            }
            vec![Effect::Conditions(ConditionsEffect::Save { then: Some((segment_name, then)) })]
        }
        ConditionsCommand::DiscardThenContinue => {
            let Some(Dialog::UnsavedChanges { then, .. }) = state.dialog.take() else { return Vec::new() };
            if let (Some(builder), Some(view)) = (&mut state.builder, &state.view) {
                builder.discard(&view.schema);
            }
            vec![Effect::Conditions(ConditionsEffect::Continue(then))]
        }
    }
}
