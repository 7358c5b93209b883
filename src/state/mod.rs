//! What the UI draws from, and what it asks for: [`AppState`] and [`Command`], the state
//! types of every screen and dialog, and the pure edits on them (the condition builder, the
//! forms and drafts and their checks). Panels get `&AppState` and never change it; they emit
//! [`Command`]s that `app::App` carries out after the frame.
//!
//! A leaf: it depends on `domain` (and `interchange`'s plain types) only, never on `app`,
//! `ui`, `store`, `worker` or `engine`, nor on egui (enforced by `tests/architecture.rs`).

pub mod builder;
mod command;
pub mod conditions;
pub mod definitions;
mod dialogs;
pub mod effect;
pub mod explain;
mod features;
pub mod import;
pub mod monitor;
pub mod overlap;
pub mod records;
pub mod rules;
mod segment;
pub mod segments;
pub mod sellers;
pub mod sequences;
pub mod settings;
pub mod simulate;
mod view;
pub mod window;
pub mod worklist;

use std::collections::HashMap;
use std::path::PathBuf;

pub use command::{BuilderTarget, Command};
pub use conditions::ConditionsCommand;
pub use dialogs::{
    Dialog, FieldForm, ImpactDialog, ImportForm, LifecycleAction, PathPurpose, RecordTypeForm, SegmentForm,
};
pub(crate) use features::for_each_feature;
pub use records::{RecordEditor, RecordsCommand, RecordsState, record_title};
pub use segment::{HistoryState, MEMBER_PAGE, MembersState, PreviewState, RecordPicker};
pub use segments::SegmentsCommand;
pub use view::WorkspaceView;

pub use crate::domain::preview::{ImpactOutcome, MemberRow, PreviewOutcome, PreviewRow};
pub use crate::domain::query::RecordQuery;
use crate::domain::{RecordId, RecordTypeDef, RecordTypeName, Segment, SegmentId};

/// Declares [`Screen`]: the Segments screen and every feature of the registry
/// (`features`) marked `screen "Label"`, in the order of their tabs.
macro_rules! define_screen {
    ($($variant:ident($module:ident, $command:ident, $effect:ident $(, screen $label:literal)?)),* $(,)?) => {
        /// The main screens, picked in the top bar.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub enum Screen {
            #[default]
            Segments,
            $($(#[doc = $label] $variant,)?)*
        }

        impl Screen {
            /// Every screen, in the order of the tabs.
            pub const ALL: &[Screen] = &[Screen::Segments, $($(screen_entry!($variant, $label),)?)*];

            pub fn label(self) -> &'static str {
                match self {
                    Screen::Segments => "Segments",
                    $($(Screen::$variant => $label,)?)*
                }
            }
        }
    };
}

/// `Screen::$variant`, for a feature with a tab label.
macro_rules! screen_entry {
    ($variant:ident, $label:literal) => {
        Screen::$variant
    };
}

features::for_each_feature!(define_screen);

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

/// What the size charts draw from: joins and leaves per segment and day up to `today`
/// (sizes are counted back from the member counts, `domain::size`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SegmentSizes {
    pub changes: crate::domain::size::ChangesByDay,
    pub today: jiff::civil::Date,
}

impl SegmentSizes {
    /// The series of `segment`, which has `members` members today.
    pub fn series(&self, segment: crate::domain::SegmentId, members: u64) -> crate::domain::size::SizeSeries {
        use crate::domain::size::{SIZE_DAYS, size_series};
        size_series(segment, members, &self.changes, self.today, SIZE_DAYS)
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

/// A message in the window's corner: information goes away by itself at `expires`, an
/// error stays until dismissed.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub id: u64,
    pub level: NoticeLevel,
    pub text: String,
    pub expires: Option<jiff::Timestamp>,
    /// The folder of the file the notice is about ("Open folder").
    pub folder: Option<PathBuf>,
}

/// How long an information notice stays.
pub const NOTICE_SECONDS: i64 = 6;
/// How many notices show at once; the others wait behind an "n more" line.
pub const NOTICES_SHOWN: usize = 3;

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
    pub builder: Option<builder::Builder>,
    /// The open record picker of a builder condition.
    pub record_picker: Option<RecordPicker>,
    /// Titles of records conditions point at, as far as known.
    pub known_titles: HashMap<(RecordTypeName, RecordId), String>,
    pub members: MembersState,
    pub history: HistoryState,
    /// Every segment's joins and leaves per day, for the size charts.
    pub sizes: Loadable<SegmentSizes>,
    /// The Sequences screen and the segment's Sequence tab.
    pub sequences: sequences::SequencesState,
    /// The Work list: due steps of running enrolments.
    pub work_list: worklist::WorkListState,
    /// The Sellers & teams screen.
    pub sellers: sellers::SellersState,
    /// The segment's Assignment rules tab and the rule editor.
    pub rules: rules::RulesState,
    /// The Monitor screen and "Why this seller?".
    pub monitor: monitor::MonitorState,
    /// The Overlap screen, and the lint the segment list and the builder show.
    pub overlap: overlap::OverlapState,
    /// The Explain side panel.
    pub explain: explain::ExplainState,
    /// The workspace settings, their dialog, and the evaluation of date-based segments.
    pub settings: settings::SettingsState,
    pub dialog: Option<Dialog>,
    pub notices: Vec<Notice>,
    pub job: Option<JobStatus>,
    pub recent: Vec<PathBuf>,
    /// Where the export dialogs offer to write: the folder of the last export, at first the
    /// user's documents folder (remembered between sessions by the window).
    pub export_folder: Option<PathBuf>,
    /// What was last reloaded after another program changed the workspace (one line in
    /// the status bar).
    pub watch_line: Option<String>,
    /// What limits the use of the workspace file: "Read-only: …" when it was opened for
    /// viewing only, or the warning for a network share (one line in the status bar).
    pub access_line: Option<String>,
}

impl AppState {
    /// The window's title: "<workspace> — Segment Builder", or the product's name alone.
    pub fn window_title(&self) -> String {
        let name = self.view.as_ref().and_then(|v| v.path.file_stem()).map(|n| n.to_string_lossy().into_owned());
        match name {
            Some(name) => format!("{name} — Segment Builder"),
            None => "Segment Builder".to_owned(),
        }
    }

    /// The record type the screens show and its definition.
    pub fn current_type(&self) -> Option<&RecordTypeDef> {
        let view = self.view.as_ref()?;
        view.record_type(self.record_type.as_ref()?)
    }

    pub fn selected_segment(&self) -> Option<&Segment> {
        self.view.as_ref()?.segment(self.selected_segment?)
    }
}
