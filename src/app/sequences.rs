//! The Sequences screen and the segment's Sequence tab: sequences, their steps, connections
//! to segments and enrolments.
//!
//! The editor works on a [`SequenceDraft`] (a new sequence, or a copy of the selected one);
//! problems are recomputed on every edit and a draft with problems is never saved. An active
//! sequence is read-only: deactivate it to edit it. Enrolment lists are small indexed reads
//! (a page and two counts), refreshed when the screen shows, the selection changes, or a
//! saved record's evaluation finishes ([`App::sync_sequences`]).

use jiff::Timestamp;

use super::App;
use super::state::Screen;
use crate::app::NoticeLevel;
use crate::domain::sequence::{SequenceProblem, default_step, validate_sequence};
use crate::domain::{RecordId, RecordTypeName, SegmentId, Sequence, SequenceId, Status, Step, StepKind};
use crate::store::{EnrolmentCounts, EnrolmentRow};

/// Enrolments read per page on the Sequences screen.
pub const ENROLMENT_PAGE: u64 = 100;

/// What the sequences panels show beyond the workspace view.
#[derive(Debug, Default)]
pub struct SequencesState {
    /// The sequence shown on the Sequences screen.
    pub selected: Option<SequenceId>,
    /// The editor's form: a new sequence or the selected one.
    pub draft: Option<SequenceDraft>,
    /// The selected sequence's enrolments, newest first.
    pub enrolments: Option<EnrolmentList>,
    /// The enrolment of the record selected on the Records screen.
    pub record_enrolment: Option<RecordEnrolment>,
}

/// A page (or a few) of a sequence's enrolments.
#[derive(Clone, Debug, PartialEq)]
pub struct EnrolmentList {
    pub sequence: SequenceId,
    pub counts: EnrolmentCounts,
    pub rows: Vec<EnrolmentRow>,
    pub error: Option<String>,
}

/// The enrolment of one record (none when it never joined a segment with a sequence).
#[derive(Clone, Debug, PartialEq)]
pub struct RecordEnrolment {
    pub record_type: RecordTypeName,
    pub record: RecordId,
    pub enrolment: Result<Option<EnrolmentRow>, String>,
}

/// One step being edited; `key` identifies it across reorders (drag and drop).
#[derive(Clone, Debug, PartialEq)]
pub struct DraftStep {
    pub key: u64,
    pub step: Step,
}

/// The sequence editor's form.
#[derive(Clone, Debug, PartialEq)]
pub struct SequenceDraft {
    /// `None` for a sequence not stored yet.
    pub id: Option<SequenceId>,
    pub record_type: RecordTypeName,
    pub name: String,
    pub description: String,
    pub steps: Vec<DraftStep>,
    /// Every problem of the draft, recomputed on each edit.
    pub problems: Vec<SequenceProblem>,
    /// Edited since loaded (or new).
    pub dirty: bool,
    /// Why the last save failed.
    pub save_error: Option<String>,
    next_key: u64,
}

impl SequenceDraft {
    fn new(record_type: RecordTypeName) -> Self {
        let mut draft = Self {
            id: None,
            record_type,
            name: String::new(),
            description: String::new(),
            steps: Vec::new(),
            problems: Vec::new(),
            dirty: true,
            save_error: None,
            next_key: 0,
        };
        draft.check();
        draft
    }

    fn of(sequence: &Sequence) -> Self {
        let mut draft = Self {
            id: Some(sequence.id),
            record_type: sequence.record_type.clone(),
            name: sequence.name.clone(),
            description: sequence.description.clone(),
            steps: Vec::new(),
            problems: Vec::new(),
            dirty: false,
            save_error: None,
            next_key: 0,
        };
        for step in &sequence.steps {
            draft.push(step.clone());
        }
        draft.check();
        draft
    }

    fn push(&mut self, step: Step) {
        self.next_key += 1;
        self.steps.push(DraftStep { key: self.next_key, step });
    }

    /// The sequence this draft describes (status Draft for a new one).
    pub fn to_sequence(&self, now: Timestamp) -> Sequence {
        Sequence {
            id: self.id.unwrap_or(SequenceId(0)),
            record_type: self.record_type.clone(),
            name: self.name.trim().to_owned(),
            description: self.description.clone(),
            status: Status::Draft,
            steps: self.steps.iter().map(|s| s.step.clone()).collect(),
            created_on: now,
            modified_on: now,
        }
    }

    fn check(&mut self) {
        self.problems = validate_sequence(&self.to_sequence(Timestamp::UNIX_EPOCH));
    }

    /// The problems of the step at `index`.
    pub fn step_problems(&self, index: usize) -> impl Iterator<Item = &SequenceProblem> {
        self.problems.iter().filter(move |p| p.step == Some(index))
    }

    pub fn step_index(&self, key: u64) -> Option<usize> {
        self.steps.iter().position(|s| s.key == key)
    }
}

/// An edit of the open draft.
#[derive(Clone, Debug, PartialEq)]
pub enum DraftEdit {
    SetName(String),
    SetDescription(String),
    AddStep(StepKind),
    RemoveStep(u64),
    SetStepKind {
        key: u64,
        kind: StepKind,
    },
    SetStepName {
        key: u64,
        name: String,
    },
    SetStepDescription {
        key: u64,
        description: String,
    },
    /// A wait of `days` and `hours`.
    SetStepWait {
        key: u64,
        days: u32,
        hours: u32,
    },
    /// Move a step to a new place (0 is the first).
    MoveStep {
        key: u64,
        to_index: usize,
    },
}

impl DraftEdit {
    /// Applies the edit; false when it names no step.
    pub fn apply(self, draft: &mut SequenceDraft) -> bool {
        fn step(draft: &mut SequenceDraft, key: u64) -> Option<&mut DraftStep> {
            draft.steps.iter_mut().find(|s| s.key == key)
        }
        match self {
            DraftEdit::SetName(name) => draft.name = name,
            DraftEdit::SetDescription(description) => draft.description = description,
            DraftEdit::AddStep(kind) => draft.push(default_step(kind)),
            DraftEdit::RemoveStep(key) => {
                let Some(index) = draft.step_index(key) else { return false };
                draft.steps.remove(index);
            }
            DraftEdit::SetStepKind { key, kind } => {
                let Some(s) = step(draft, key) else { return false };
                if s.step.kind != kind {
                    let default = default_step(kind);
                    // A name that was the old kind's default follows the kind.
                    if s.step.name == s.step.kind.to_string() {
                        s.step.name = default.name;
                    }
                    s.step.kind = kind;
                    s.step.wait_minutes = default.wait_minutes;
                }
            }
            DraftEdit::SetStepName { key, name } => {
                let Some(s) = step(draft, key) else { return false };
                s.step.name = name;
            }
            DraftEdit::SetStepDescription { key, description } => {
                let Some(s) = step(draft, key) else { return false };
                s.step.description = description;
            }
            DraftEdit::SetStepWait { key, days, hours } => {
                let Some(s) = step(draft, key) else { return false };
                if s.step.kind == StepKind::Wait {
                    s.step.wait_minutes = Some(days.saturating_mul(1440).saturating_add(hours.saturating_mul(60)));
                }
            }
            DraftEdit::MoveStep { key, to_index } => {
                let Some(from) = draft.step_index(key) else { return false };
                let moved = draft.steps.remove(from);
                let to = to_index.min(draft.steps.len());
                draft.steps.insert(to, moved);
            }
        }
        draft.dirty = true;
        draft.save_error = None;
        draft.check();
        true
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum SequencesCommand {
    /// Show this sequence in the editor.
    Select(SequenceId),
    /// Open an empty draft for the current record type.
    New,
    /// Store a draft copy of this sequence and select it.
    Copy(SequenceId),
    Activate(SequenceId),
    Deactivate(SequenceId),
    Edit(DraftEdit),
    Save,
    Discard,
    Connect {
        segment: SegmentId,
        sequence: SequenceId,
    },
    Disconnect(SegmentId),
    /// Read the next page of the selected sequence's enrolments.
    MoreEnrolments,
    /// Open a sequence on the Sequences screen.
    Open(SequenceId),
}

impl App {
    pub(super) fn apply_sequences(&mut self, command: SequencesCommand) {
        match command {
            SequencesCommand::Select(id) => self.select_sequence(id),
            SequencesCommand::Open(id) => {
                self.state.screen = Screen::Sequences;
                self.select_sequence(id);
            }
            SequencesCommand::New => {
                let Some(ty) = self.state.record_type.clone() else { return };
                self.state.sequences.selected = None;
                self.state.sequences.enrolments = None;
                self.state.sequences.draft = Some(SequenceDraft::new(ty));
            }
            SequencesCommand::Copy(id) => self.copy_sequence(id),
            SequencesCommand::Activate(id) => self.set_sequence_status(id, Status::Active),
            SequencesCommand::Deactivate(id) => self.set_sequence_status(id, Status::Inactive),
            SequencesCommand::Edit(edit) => {
                if let Some(draft) = &mut self.state.sequences.draft {
                    edit.apply(draft);
                }
            }
            SequencesCommand::Save => self.save_sequence(),
            SequencesCommand::Discard => {
                let draft = self.state.sequences.draft.take();
                match draft.and_then(|d| d.id) {
                    Some(id) => self.select_sequence(id),
                    None => self.state.sequences.selected = None,
                }
            }
            SequencesCommand::Connect { segment, sequence } => {
                let now = Timestamp::now();
                let result = self.workspace.as_mut().map(|ws| ws.connect_sequence(segment, sequence, now));
                self.after_connection(segment, result, "connected");
            }
            SequencesCommand::Disconnect(segment) => {
                let now = Timestamp::now();
                let result = self.workspace.as_mut().map(|ws| ws.disconnect_sequence(segment, now));
                self.after_connection(segment, result, "disconnected");
            }
            SequencesCommand::MoreEnrolments => self.load_enrolments(true),
        }
    }

    /// Refreshes what the sequence panels read from the store for the screen on show: the
    /// selected sequence's enrolments, or the selected record's enrolment.
    pub(super) fn sync_sequences(&mut self) {
        match self.state.screen {
            Screen::Sequences => self.load_enrolments(false),
            Screen::Records => self.load_record_enrolment(),
            _ => {}
        }
    }

    fn select_sequence(&mut self, id: SequenceId) {
        let Some(sequence) = self.state.view.as_ref().and_then(|v| v.sequence(id)).cloned() else { return };
        self.state.sequences.selected = Some(id);
        self.state.sequences.draft = Some(SequenceDraft::of(&sequence));
        self.load_enrolments(false);
    }

    fn copy_sequence(&mut self, id: SequenceId) {
        let Some(view) = &self.state.view else { return };
        let Some(source) = view.sequence(id) else { return };
        let taken = |name: &str| view.sequences.iter().any(|s| s.record_type == source.record_type && s.name == name);
        let mut name = format!("Copy of {}", source.name);
        let mut n = 2;
        while taken(&name) {
            name = format!("Copy of {} ({n})", source.name);
            n += 1;
        }
        let name: String = name.chars().take(crate::domain::segment::NAME_MAX_CHARS).collect();
        let Some(workspace) = &mut self.workspace else { return };
        match workspace.copy_sequence(id, &name, Timestamp::now()) {
            Ok(copy) => {
                self.reload_sequences();
                self.select_sequence(copy);
                self.notify(NoticeLevel::Info, format!("Created the draft \"{name}\""));
            }
            Err(error) => self.notify(NoticeLevel::Error, format!("The sequence was not copied: {error}")),
        }
    }

    fn set_sequence_status(&mut self, id: SequenceId, status: Status) {
        let Some(workspace) = &mut self.workspace else { return };
        let result = workspace.set_sequence_status(id, status, Timestamp::now());
        let name = self.state.view.as_ref().and_then(|v| v.sequence(id)).map(|s| s.name.clone()).unwrap_or_default();
        match result {
            Ok(()) => {
                let text = match status {
                    Status::Active => format!("\"{name}\" is active; connect it to segments"),
                    _ => format!("\"{name}\" is inactive; running enrolments continue, nobody new is enrolled"),
                };
                self.notify(NoticeLevel::Info, text);
            }
            Err(error) => {
                let verb = if status == Status::Active { "activated" } else { "deactivated" };
                self.notify(NoticeLevel::Error, format!("The sequence was not {verb}: {error}"));
            }
        }
        self.reload_sequences();
        if self.state.sequences.selected == Some(id) && !self.state.sequences.draft.as_ref().is_some_and(|d| d.dirty) {
            self.select_sequence(id);
        }
    }

    fn save_sequence(&mut self) {
        let Some(draft) = self.state.sequences.draft.clone() else { return };
        if !draft.problems.is_empty() {
            return;
        }
        let Some(workspace) = &mut self.workspace else { return };
        let now = Timestamp::now();
        let sequence = draft.to_sequence(now);
        let result = match draft.id {
            Some(_) => workspace.update_sequence(&sequence).map(|()| sequence.id),
            None => workspace.insert_sequence(&sequence),
        };
        match result {
            Ok(id) => {
                self.reload_sequences();
                self.select_sequence(id);
                self.notify(NoticeLevel::Info, format!("Saved \"{}\"", sequence.name));
            }
            Err(error) => {
                if let Some(draft) = &mut self.state.sequences.draft {
                    draft.save_error = Some(format!("Not saved: {error}"));
                }
            }
        }
    }

    fn after_connection(&mut self, segment: SegmentId, result: Option<crate::store::Result<()>>, what: &str) {
        let Some(ty) = self.state.view.as_ref().and_then(|v| v.segment(segment)).map(|s| s.record_type.clone()) else {
            return;
        };
        match result {
            Some(Ok(())) => {
                self.reload_segments(&ty);
                let name = self.state.view.as_ref().and_then(|v| v.segment(segment)).map(|s| s.name.clone());
                let text = match what {
                    "connected" => format!(
                        "\"{}\" is connected; records joining it from now on are enrolled",
                        name.unwrap_or_default()
                    ),
                    _ => format!("\"{}\" is disconnected; running enrolments continue", name.unwrap_or_default()),
                };
                self.notify(NoticeLevel::Info, text);
            }
            Some(Err(error)) => self.notify(NoticeLevel::Error, format!("Not {what}: {error}")),
            None => {}
        }
    }

    /// Reads every record type's sequences again into the view.
    pub(super) fn reload_sequences(&mut self) {
        let (Some(workspace), Some(view)) = (&self.workspace, &self.state.view) else { return };
        let read: Result<Vec<Vec<Sequence>>, _> =
            view.schema.types.iter().map(|def| workspace.sequences(&def.name)).collect();
        match read {
            Ok(found) => {
                if let Some(view) = &mut self.state.view {
                    view.sequences = found.into_iter().flatten().collect();
                }
            }
            Err(error) => self.notify(NoticeLevel::Error, format!("Could not read the sequences again: {error}")),
        }
    }

    /// The first page of the selected sequence's enrolments, or (`more`) one page more.
    fn load_enrolments(&mut self, more: bool) {
        let Some(id) = self.state.sequences.selected else {
            self.state.sequences.enrolments = None;
            return;
        };
        let Some(workspace) = &self.workspace else { return };
        let shown = match &self.state.sequences.enrolments {
            Some(list) if more && list.sequence == id => list.rows.len() as u64,
            _ => 0,
        };
        let limit = shown + ENROLMENT_PAGE;
        let read = workspace.enrolment_counts(id).and_then(|counts| Ok((counts, workspace.enrolments(id, 0, limit)?)));
        let list = match read {
            Ok((counts, rows)) => EnrolmentList { sequence: id, counts, rows, error: None },
            Err(error) => EnrolmentList {
                sequence: id,
                counts: EnrolmentCounts::default(),
                rows: Vec::new(),
                error: Some(format!("Could not read the enrolments: {error}")),
            },
        };
        self.state.sequences.enrolments = Some(list);
    }

    fn load_record_enrolment(&mut self) {
        let (Some(ty), Some(record)) = (self.state.record_type.clone(), self.state.records.selected) else {
            self.state.sequences.record_enrolment = None;
            return;
        };
        let Some(workspace) = &self.workspace else { return };
        let enrolment = workspace.enrolment_of(&ty, record).map_err(|e| e.to_string());
        self.state.sequences.record_enrolment = Some(RecordEnrolment { record_type: ty, record, enrolment });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> SequenceDraft {
        let mut draft = SequenceDraft::new(RecordTypeName::new("lead"));
        DraftEdit::SetName("Welcome".into()).apply(&mut draft);
        draft
    }

    #[test]
    fn a_new_draft_needs_a_step_and_a_wait_is_never_last() {
        let mut draft = draft();
        assert_eq!(draft.problems.len(), 1, "no steps: {:?}", draft.problems);
        DraftEdit::AddStep(StepKind::PhoneCall).apply(&mut draft);
        assert!(draft.problems.is_empty());
        DraftEdit::AddStep(StepKind::Wait).apply(&mut draft);
        assert_eq!(draft.problems.len(), 1);
        assert_eq!(draft.problems[0].step, Some(1));
        let wait = draft.steps[1].key;
        DraftEdit::MoveStep { key: wait, to_index: 0 }.apply(&mut draft);
        assert!(draft.problems.is_empty());
        assert_eq!(draft.steps[0].step.kind, StepKind::Wait);
    }

    #[test]
    fn kind_changes_keep_typed_names_and_fix_the_wait() {
        let mut draft = draft();
        DraftEdit::AddStep(StepKind::Task).apply(&mut draft);
        let key = draft.steps[0].key;
        DraftEdit::SetStepKind { key, kind: StepKind::Wait }.apply(&mut draft);
        assert_eq!(draft.steps[0].step.name, "Wait");
        assert_eq!(draft.steps[0].step.wait_minutes, Some(1440));
        DraftEdit::SetStepWait { key, days: 2, hours: 3 }.apply(&mut draft);
        assert_eq!(draft.steps[0].step.wait_minutes, Some(2 * 1440 + 180));
        DraftEdit::SetStepName { key, name: "Pause".into() }.apply(&mut draft);
        DraftEdit::SetStepKind { key, kind: StepKind::Task }.apply(&mut draft);
        assert_eq!((draft.steps[0].step.name.as_str(), draft.steps[0].step.wait_minutes), ("Pause", None));
        assert!(!DraftEdit::RemoveStep(999).apply(&mut draft));
    }
}
