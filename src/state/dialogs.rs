//! The modal dialogs (at most one is open) and the forms they hold.

use std::path::PathBuf;

use super::definitions::DefinitionsDialog;
use super::{Command, ImpactOutcome, Loadable};
use crate::domain::{FieldKind, RecordId, RecordTypeName, Segment, SegmentId};

/// A modal dialog. At most one is open.
#[derive(Clone, Debug, PartialEq)]
pub enum Dialog {
    /// Open or create a workspace by path, with a "Browse…" button where a file dialog works.
    WorkspacePath {
        purpose: PathPurpose,
        text: String,
        error: Option<String>,
    },
    /// The path given on the command line does not exist yet.
    ConfirmCreate {
        path: PathBuf,
    },
    ConfirmDeleteRecord {
        record_type: RecordTypeName,
        id: RecordId,
        title: String,
    },
    AddField(FieldForm),
    AddRecordType(RecordTypeForm),
    /// "New segment…" or "Copy…": name, description and record type of a new Draft segment.
    SegmentForm(SegmentForm),
    /// "Import CSV…" on the Records screen.
    ImportRecords(ImportForm),
    /// The builder has unsaved edits and the user asked for something that would drop them:
    /// save, discard or stay. `then` is carried out after saving or discarding.
    UnsavedChanges {
        segment_name: String,
        then: Box<Command>,
    },
    /// Activate, save an active segment, reorder, re-evaluate: the engine's impact on
    /// existing records and the choice of applying it now or only from now on.
    Impact(Box<ImpactDialog>),
    /// Delete a segment that is not active, naming its sequence and rules.
    ConfirmDeleteSegment {
        id: SegmentId,
        name: String,
        sequence: Option<String>,
    },
    /// "Export CSV…" of a segment's members: where to write the file. `replace` is the
    /// existing file the user is asked about ("Replace …?"); submitting again while it
    /// names the typed path replaces that file.
    ExportMembers {
        segment: SegmentId,
        text: String,
        error: Option<String>,
        replace: Option<std::path::PathBuf>,
    },
    /// "Export CSV…" on the Records screen: the records passing the filter, in its order.
    ExportRecords {
        record_type: RecordTypeName,
        text: String,
        error: Option<String>,
        replace: Option<std::path::PathBuf>,
    },
    /// File → "Export definitions…" / "Import definitions…".
    Definitions(Box<DefinitionsDialog>),
}

/// What an impact dialog is about.
#[derive(Clone, Debug, PartialEq)]
pub enum LifecycleAction {
    Activate(SegmentId),
    /// Store `edited` (an active segment with new conditions).
    Save(Segment),
    /// A new priority order of a record type's segments, highest first.
    /// `moved` is the segment the user moved.
    Reorder {
        record_type: RecordTypeName,
        order: Vec<SegmentId>,
        moved: SegmentId,
    },
    Reevaluate(SegmentId),
}

impl LifecycleAction {
    /// Whether "only records created or updated from now on" is offered (Re-evaluate is
    /// about existing records only).
    pub fn offers_from_now_on(&self) -> bool {
        !matches!(self, LifecycleAction::Reevaluate(_))
    }
}

/// The impact dialog: the action, the engine's answer and the user's choice.
#[derive(Clone, Debug, PartialEq)]
pub struct ImpactDialog {
    pub action: LifecycleAction,
    pub record_type: RecordTypeName,
    /// The segment the action is about (the moved one for a reorder).
    pub segment: SegmentId,
    pub title: String,
    /// Why the action cannot be carried out (unsaved or invalid conditions); no impact is
    /// computed then.
    pub blocked: Option<String>,
    pub impact: Loadable<ImpactOutcome>,
    /// "Apply to existing records now" (true) or "only records created or updated from now on".
    pub apply_to_existing: bool,
    /// True while the apply job runs (its progress is `AppState::job`).
    pub applying: bool,
    /// Carried out after the action succeeded (the unsaved-changes dialog's next step).
    pub then: Option<Box<Command>>,
}

/// A CSV import being set up: the file, how its columns map to fields, what to do with
/// existing ids, and what went wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportForm {
    pub record_type: RecordTypeName,
    pub path: String,
    /// The file's header and first rows, once read.
    pub headers: Vec<String>,
    pub sample: Vec<Vec<String>>,
    pub mapping: Vec<crate::interchange::csv_records::ColumnMapping>,
    pub on_existing: crate::domain::query::OnExisting,
    /// Import the rows without problems and leave out the others.
    pub only_valid: bool,
    /// The file writes numbers with a decimal comma (`1.234,5`).
    pub decimal_comma: bool,
    /// Every problem found, with its line and column.
    pub problems: Vec<String>,
    pub error: Option<String>,
    /// While the import runs: how far it is.
    pub progress: Option<(Option<f32>, String)>,
}

/// A new segment, empty or copied from another one.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentForm {
    /// The segment whose conditions, description and options the new one copies.
    pub copy_of: Option<SegmentId>,
    pub record_type: RecordTypeName,
    pub name: String,
    pub description: String,
    /// Why the store refused the last Create, if it did.
    pub error: Option<String>,
}

/// "Add field…": a custom field for an existing record type.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldForm {
    pub record_type: RecordTypeName,
    pub label: String,
    pub kind: FieldKind,
    /// Options of a choice field, one per line or separated by commas.
    pub choices: String,
    pub lookup_target: Option<RecordTypeName>,
    pub error: Option<String>,
}

/// "New record type…": a custom type, created with a text "Name" field as its title.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RecordTypeForm {
    pub label: String,
    pub plural_label: String,
    pub error: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathPurpose {
    Open,
    Create,
}
