//! What the UI draws from, and what it asks for: [`AppState`] and [`Command`], the state
//! types of every screen and dialog, and the pure edits on them (the condition builder, the
//! forms and drafts and their checks). Panels get `&AppState` and never change it; they emit
//! [`Command`]s that `app::App` carries out after the frame.
//!
//! A leaf: it depends on `domain` (and `interchange`'s plain types) only, never on `app`,
//! `ui`, `store`, `worker` or `engine`, nor on egui (enforced by `tests/architecture.rs`).

pub mod builder;
mod command;
pub mod definitions;
mod dialogs;
pub mod effect;
pub mod import;
pub mod monitor;
mod records;
pub mod rules;
mod segment;
pub mod sellers;
pub mod sequences;
pub mod settings;
mod view;
pub mod window;

use std::collections::HashMap;
use std::path::PathBuf;

pub use command::{BuilderTarget, Command};
pub use dialogs::{
    Dialog, FieldForm, ImpactDialog, ImportForm, LifecycleAction, PathPurpose, RecordTypeForm, SegmentForm,
};
pub use records::{RecordEditor, RecordsState};
pub use segment::{HistoryState, MEMBER_PAGE, MembersState, PreviewState, RecordPicker};
pub use view::WorkspaceView;

pub use crate::domain::preview::{ImpactOutcome, MemberRow, PreviewOutcome, PreviewRow};
pub use crate::domain::query::RecordQuery;
use crate::domain::{RecordId, RecordTypeDef, RecordTypeName, Segment, SegmentId};

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
    /// The Sequences screen and the segment's Sequence tab.
    pub sequences: sequences::SequencesState,
    /// The Sellers & teams screen.
    pub sellers: sellers::SellersState,
    /// The segment's Assignment rules tab and the rule editor.
    pub rules: rules::RulesState,
    /// The Monitor screen and "Why this seller?".
    pub monitor: monitor::MonitorState,
    /// The workspace settings, their dialog, and the evaluation of date-based segments.
    pub settings: settings::SettingsState,
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
