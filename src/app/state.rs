//! What the UI draws from. Panels get `&AppState` and never change it; they emit
//! [`Command`](super::Command)s that `App::apply` carries out after the frame.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use jiff::tz::TimeZone;

use crate::domain::eval::fold;
use crate::domain::segment::{DESCRIPTION_MAX_CHARS, NAME_MAX_CHARS};
use crate::domain::{
    FieldKind, Record, RecordId, RecordTypeDef, RecordTypeName, Schema, Segment, SegmentId, Seller, SellerId, Sequence,
    SequenceId, Team,
};
use crate::store::RecordQuery;
pub use crate::worker::engine::{ImpactOutcome, PreviewOutcome, PreviewRow};
pub use crate::worker::records::MemberRow;

/// The main screens, picked in the top bar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Screen {
    #[default]
    Segments,
    Records,
    Sequences,
    Sellers,
    Monitor,
}

impl Screen {
    pub const ALL: [Screen; 5] =
        [Screen::Segments, Screen::Records, Screen::Sequences, Screen::Sellers, Screen::Monitor];

    pub fn label(self) -> &'static str {
        match self {
            Screen::Segments => "Segments",
            Screen::Records => "Records",
            Screen::Sequences => "Sequences",
            Screen::Sellers => "Sellers & teams",
            Screen::Monitor => "Monitor",
        }
    }
}

/// The detail tabs of the selected segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DetailTab {
    #[default]
    Details,
    Sequence,
    AssignmentRules,
    Members,
    History,
}

impl DetailTab {
    pub const ALL: [DetailTab; 5] =
        [DetailTab::Details, DetailTab::Sequence, DetailTab::AssignmentRules, DetailTab::Members, DetailTab::History];

    pub fn label(self) -> &'static str {
        match self {
            DetailTab::Details => "Details",
            DetailTab::Sequence => "Sequence",
            DetailTab::AssignmentRules => "Assignment rules",
            DetailTab::Members => "Members",
            DetailTab::History => "History",
        }
    }
}

/// Everything loaded from the open workspace that the screens show. Small: records are
/// not in here, they are fetched page by page.
#[derive(Clone, Debug)]
pub struct WorkspaceView {
    pub path: PathBuf,
    pub schema: Schema,
    pub time_zone: TimeZone,
    pub time_zone_name: String,
    /// Per record type, in priority order.
    pub segments: BTreeMap<RecordTypeName, Vec<Segment>>,
    pub member_counts: HashMap<SegmentId, u64>,
    /// Members no seller owns yet, per segment (absent means none).
    pub unassigned_counts: HashMap<SegmentId, u64>,
    pub sequences: Vec<Sequence>,
    pub sellers: Vec<Seller>,
    pub teams: Vec<Team>,
    pub record_counts: BTreeMap<RecordTypeName, u64>,
}

impl WorkspaceView {
    pub fn record_type(&self, name: &RecordTypeName) -> Option<&RecordTypeDef> {
        self.schema.get(name)
    }

    pub fn segments_of(&self, name: &RecordTypeName) -> &[Segment] {
        self.segments.get(name).map(Vec::as_slice).unwrap_or_default()
    }

    pub fn segment(&self, id: SegmentId) -> Option<&Segment> {
        self.segments.values().flatten().find(|s| s.id == id)
    }

    pub fn sequence(&self, id: SequenceId) -> Option<&Sequence> {
        self.sequences.iter().find(|s| s.id == id)
    }

    pub fn seller(&self, id: SellerId) -> Option<&Seller> {
        self.sellers.iter().find(|s| s.id == id)
    }

    /// What is wrong with a new segment's name and description, checked as the store does:
    /// a name is required, at most [`NAME_MAX_CHARS`] characters and unique per record type
    /// ignoring case; a description has at most [`DESCRIPTION_MAX_CHARS`] characters.
    pub fn segment_form_problem(&self, ty: &RecordTypeName, name: &str, description: &str) -> Option<String> {
        let name = name.trim();
        if name.is_empty() {
            return Some("Give the segment a name".to_owned());
        }
        if name.chars().count() > NAME_MAX_CHARS {
            return Some(format!("A name has at most {NAME_MAX_CHARS} characters"));
        }
        let folded = fold(name);
        if self.segments_of(ty).iter().any(|s| fold(&s.name) == folded) {
            return Some(format!("There is already a segment named \"{name}\""));
        }
        if description.chars().count() > DESCRIPTION_MAX_CHARS {
            return Some(format!("A description has at most {DESCRIPTION_MAX_CHARS} characters"));
        }
        None
    }

    pub fn record_count(&self, name: &RecordTypeName) -> u64 {
        self.record_counts.get(name).copied().unwrap_or(0)
    }
}

/// A value that is computed in the background. The last good value stays visible while a
/// newer one is pending, so screens never blank or flicker.
#[derive(Clone, Debug, PartialEq)]
pub enum Loadable<T> {
    Pending { previous: Option<T> },
    Ready(T),
    Failed { error: String, previous: Option<T> },
}

impl<T> Default for Loadable<T> {
    fn default() -> Self {
        Loadable::Pending { previous: None }
    }
}

impl<T> Loadable<T> {
    /// The newest value there is, fresh or not.
    pub fn latest(&self) -> Option<&T> {
        match self {
            Loadable::Ready(value) => Some(value),
            Loadable::Pending { previous } | Loadable::Failed { previous, .. } => previous.as_ref(),
        }
    }

    pub fn is_pending(&self) -> bool {
        matches!(self, Loadable::Pending { .. })
    }

    /// Marks the value as being recomputed, keeping it as the previous one.
    pub fn start_over(&mut self) {
        let previous = match std::mem::take(self) {
            Loadable::Ready(value) => Some(value),
            Loadable::Pending { previous } | Loadable::Failed { previous, .. } => previous,
        };
        *self = Loadable::Pending { previous };
    }

    pub fn fail(&mut self, error: String) {
        let previous = match std::mem::take(self) {
            Loadable::Ready(value) => Some(value),
            Loadable::Pending { previous } | Loadable::Failed { previous, .. } => previous,
        };
        *self = Loadable::Failed { error, previous };
    }
}

/// The Records screen.
#[derive(Clone, Debug, Default)]
pub struct RecordsState {
    pub query: RecordQuery,
    /// The ids passing the filter, in the chosen order.
    pub ids: Loadable<Vec<RecordId>>,
    /// Rows fetched so far for the current query.
    pub rows: HashMap<RecordId, Record>,
    /// Titles of records that lookups point at, by type and id.
    pub titles: HashMap<(RecordTypeName, RecordId), String>,
    pub selected: Option<RecordId>,
    pub editor: Option<RecordEditor>,
}

/// The add / edit record form: one text input per field, parsed on every change.
#[derive(Clone, Debug)]
pub struct RecordEditor {
    pub record_type: RecordTypeName,
    /// `None` while adding a new record.
    pub id: Option<RecordId>,
    pub inputs: Vec<String>,
    /// A parse problem per field, shown under its input.
    pub problems: Vec<Option<String>>,
    /// Why the last save failed, if it did.
    pub save_error: Option<String>,
}

impl RecordEditor {
    pub fn has_problems(&self) -> bool {
        self.problems.iter().any(Option::is_some)
    }
}

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
        then: Box<super::Command>,
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
    Definitions(Box<super::definitions::DefinitionsDialog>),
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
    pub then: Option<Box<super::Command>>,
}

/// Members read per page for the Members tab.
pub const MEMBER_PAGE: u64 = 200;

/// The Members tab of the selected segment: pages of members read in the background.
#[derive(Clone, Debug, Default)]
pub struct MembersState {
    pub segment: Option<SegmentId>,
    /// Rows by position in the segment's member list (by record id).
    pub rows: BTreeMap<u64, MemberRow>,
    pub error: Option<String>,
}

/// The History tab of the selected segment.
#[derive(Clone, Debug, Default)]
pub struct HistoryState {
    pub segment: Option<SegmentId>,
    pub entries: Loadable<Vec<crate::domain::SegmentHistoryEntry>>,
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
    pub on_existing: crate::store::OnExisting,
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

/// A message shown until dismissed.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub id: u64,
    pub level: NoticeLevel,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeLevel {
    Info,
    Error,
}

/// A long job the UI shows with a progress bar.
#[derive(Clone, Debug, PartialEq)]
pub struct JobStatus {
    pub title: String,
    pub fraction: Option<f32>,
    pub message: String,
}

/// Where the in-memory engine of the open workspace stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum EngineStatus {
    #[default]
    Off,
    Loading {
        fraction: Option<f32>,
        message: String,
    },
    Ready {
        records: usize,
        heap_bytes: usize,
        elapsed_ms: f64,
    },
    Failed(String),
}

/// A search for records to put in a condition.
#[derive(Clone, Debug)]
pub struct RecordPicker {
    pub node: crate::domain::NodeId,
    pub record_type: RecordTypeName,
    pub text: String,
    pub results: Loadable<Vec<(RecordId, String)>>,
}

/// The preview of the selected segment.
#[derive(Clone, Debug, Default)]
pub struct PreviewState {
    /// The segment the newest request was for.
    pub segment: Option<SegmentId>,
    pub result: Loadable<PreviewOutcome>,
    /// Why the shown result is not for the conditions on screen (they have problems).
    pub stale_because: Option<String>,
    /// The order of the listed records: a field and whether descending; newest first when
    /// not chosen.
    pub sort: Option<(crate::domain::FieldName, bool)>,
    /// The columns the user chose per record type (the title always shows).
    pub columns: BTreeMap<RecordTypeName, Vec<crate::domain::FieldName>>,
}

impl PreviewState {
    /// The columns shown for `def`: the chosen ones, or the next fields after the title and
    /// the creation date.
    pub fn columns_for(&self, def: &RecordTypeDef) -> Vec<crate::domain::FieldName> {
        if let Some(chosen) = self.columns.get(&def.name) {
            return chosen.clone();
        }
        let mut columns: Vec<_> =
            def.fields.iter().filter(|f| f.name != def.primary_field).take(2).map(|f| f.name.clone()).collect();
        if let Some(created) = def.field_by_str("created_on")
            && !columns.contains(&created.name)
        {
            columns.push(created.name.clone());
        }
        columns
    }
}

#[derive(Debug, Default)]
pub struct AppState {
    pub view: Option<WorkspaceView>,
    pub screen: Screen,
    pub record_type: Option<RecordTypeName>,
    pub selected_segment: Option<SegmentId>,
    pub detail_tab: DetailTab,
    pub segment_search: String,
    pub records: RecordsState,
    /// What Undo would take back ("Undo adding lead #5"), if anything.
    pub undo: Option<String>,
    pub engine: EngineStatus,
    pub preview: PreviewState,
    /// The condition builder of the selected segment.
    pub builder: Option<super::builder::Builder>,
    /// The open record picker of a builder condition.
    pub record_picker: Option<RecordPicker>,
    /// Titles of records conditions point at, as far as known.
    pub known_titles: HashMap<(RecordTypeName, RecordId), String>,
    pub members: MembersState,
    pub history: HistoryState,
    /// The Sequences screen and the segment's Sequence tab.
    pub sequences: super::sequences::SequencesState,
    /// The Sellers & teams screen.
    pub sellers: super::sellers::SellersState,
    /// The segment's Assignment rules tab and the rule editor.
    pub rules: super::rules::RulesState,
    /// The Monitor screen and "Why this seller?".
    pub monitor: super::monitor::MonitorState,
    pub dialog: Option<Dialog>,
    pub notices: Vec<Notice>,
    pub job: Option<JobStatus>,
    pub recent: Vec<PathBuf>,
    /// What was last reloaded after another program changed the workspace (one line in
    /// the status bar).
    pub watch_line: Option<String>,
    /// What limits the use of the workspace file: "Read-only: …" when it was opened for
    /// viewing only, or the warning for a network share (one line in the status bar).
    pub access_line: Option<String>,
}

impl AppState {
    /// The record type the screens show and its definition.
    pub fn current_type(&self) -> Option<&RecordTypeDef> {
        let view = self.view.as_ref()?;
        view.record_type(self.record_type.as_ref()?)
    }

    pub fn selected_segment(&self) -> Option<&Segment> {
        self.view.as_ref()?.segment(self.selected_segment?)
    }
}
