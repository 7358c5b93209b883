//! Everything a user can ask for. Panels push commands while drawing; `App::apply` carries
//! them out after the frame, in order.

use std::path::PathBuf;

use crate::domain::{FieldName, RecordId, RecordTypeName, SegmentId};

use super::builder::BuilderEdit;
use super::rules::RulesCommand;

use super::{DetailTab, Dialog, PathPurpose, Screen};

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    // Workspace files.
    ShowPathDialog(PathPurpose),
    SetDialogText(String),
    /// Pick a path with the platform file dialog (falls back to the typed path).
    BrowseForPath,
    SubmitPathDialog,
    CloseDialog,
    OpenWorkspace(PathBuf),
    CreateWorkspace(PathBuf),
    CancelJob,
    /// Replace the open dialog's form with an edited copy (panels edit a clone).
    UpdateDialog(Dialog),
    DismissNotice(u64),
    Quit,

    // Navigation.
    ShowScreen(Screen),
    SelectRecordType(RecordTypeName),
    SelectSegment(SegmentId),
    ShowDetailTab(DetailTab),
    SetSegmentSearch(String),
    /// Give a segment a new place in its record type's priority order (0 is the top).
    MoveSegment {
        id: SegmentId,
        to_index: usize,
    },
    /// Open "New segment…" for the current record type.
    ShowNewSegment,
    /// Open "Copy…" for this segment.
    ShowCopySegment(SegmentId),
    /// Create the segment the open segment form describes.
    SubmitSegmentForm,

    // Segment lifecycle.
    /// Open the impact dialog of activating this segment.
    ShowActivate(SegmentId),
    /// Open the impact dialog of re-evaluating this segment's records.
    ShowReevaluate(SegmentId),
    /// Make the segment inactive: it keeps its members and adds none.
    DeactivateSegment(SegmentId),
    /// Choose, in the impact dialog, between applying to existing records now (true) and
    /// only to records created or updated from now on.
    ChooseApplyToExisting(bool),
    /// Carry out the impact dialog's action as chosen.
    ApplyLifecycle,
    AskDeleteSegment(SegmentId),
    DeleteSegment(SegmentId),
    SetSegmentOptions {
        id: SegmentId,
        accept_from_other_segments: bool,
        rerun_assignment_on_move: bool,
    },
    /// Pages (by first position) of the selected segment's members the table wants to show.
    FetchMembers(Vec<u64>),
    /// Open "Export CSV…" for this segment's members.
    ShowExportMembers(SegmentId),
    /// Write the members to the file the export dialog names.
    SubmitExport,
    /// Open "Export CSV…" for the Records table as filtered.
    ShowExportRecords,

    // Condition builder.
    EditConditions(BuilderEdit),
    /// Order the preview's records by this field; again flips the direction.
    SortPreviewBy(FieldName),
    /// Show or hide a column of the preview table.
    TogglePreviewColumn(FieldName),
    /// Open a previewed record on the Records screen.
    OpenPreviewRecord(RecordId),
    /// Look for records of `record_type` whose title contains `text`, for a condition's picker.
    SearchRecords {
        node: crate::domain::NodeId,
        record_type: RecordTypeName,
        text: String,
    },
    UndoConditions,
    RedoConditions,
    /// Store the builder's draft as the segment's conditions.
    SaveConditions,
    DiscardConditions,
    /// From the unsaved-changes dialog: save (or discard), then carry on.
    SaveThenContinue,
    DiscardThenContinue,

    // Records screen.
    SetRecordFilter(String),
    /// Sort by this field; asking again for the same field flips the direction.
    SortRecordsBy(FieldName),
    /// Rows the table wants to show but has not got yet.
    FetchRows(Vec<RecordId>),
    SelectRecord(RecordId),
    StartAddRecord,
    StartEditRecord(RecordId),
    SetEditorInput {
        index: usize,
        text: String,
    },
    SaveRecord,
    CancelEdit,
    AskDeleteRecord(RecordId),
    DeleteRecord {
        record_type: RecordTypeName,
        id: RecordId,
    },

    /// "Import CSV…" and its dialog.
    Import(super::import::ImportCommand),

    // Schema.
    ShowAddField,
    ShowAddRecordType,
    SubmitAddField,
    SubmitAddRecordType,
    /// Take back the newest record edit.
    Undo,

    // Screens of their own; each module owns its commands.
    Sequences(super::sequences::SequencesCommand),
    Sellers(super::sellers::SellersCommand),
    /// File → Export / Import definitions.
    Definitions(super::definitions::DefinitionsCommand),
    Rules(super::rules::RulesCommand),
    /// The "Workspace settings" dialog.
    Settings(super::settings::SettingsCommand),
    Monitor(super::monitor::MonitorCommand),
}

/// Which builder a panel's edits are for: the selected segment's conditions, or the
/// conditions of the assignment rule being edited. The same panel draws both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BuilderTarget {
    Segment,
    Rule,
}

impl BuilderTarget {
    /// The command carrying `edit` to this builder.
    pub fn edit(self, edit: BuilderEdit) -> Command {
        match self {
            BuilderTarget::Segment => Command::EditConditions(edit),
            BuilderTarget::Rule => Command::Rules(RulesCommand::EditConditions(edit)),
        }
    }

    pub fn undo(self) -> Command {
        match self {
            BuilderTarget::Segment => Command::UndoConditions,
            BuilderTarget::Rule => Command::Rules(RulesCommand::UndoConditions),
        }
    }

    pub fn redo(self) -> Command {
        match self {
            BuilderTarget::Segment => Command::RedoConditions,
            BuilderTarget::Rule => Command::Rules(RulesCommand::RedoConditions),
        }
    }

    /// Ctrl+S: the segment's conditions, or the whole rule.
    pub fn save(self) -> Command {
        match self {
            BuilderTarget::Segment => Command::SaveConditions,
            BuilderTarget::Rule => Command::Rules(RulesCommand::Save),
        }
    }
}
