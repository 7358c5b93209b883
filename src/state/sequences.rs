//! The Sequences screen's state: the selected sequence, the [`SequenceDraft`] being edited
//! (its problems recomputed on every [`DraftEdit`]), the enrolment lists, the commands and
//! their pure handling ([`apply`]), which returns the [`SequencesEffect`]s the app carries out.

use jiff::Timestamp;

use crate::domain::sequence::{EnrolmentCounts, EnrolmentRow};
use crate::domain::sequence::{SequenceProblem, default_step, validate_sequence};
use crate::domain::{
    RecordId, RecordTypeName, SegmentId, Sequence, SequenceId, SequenceOptions, Status, Step, StepKind,
};

use super::effect::{Context, Effect};
use super::{AppState, Screen};

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
    /// When it was read (due steps are due as of then).
    pub read_at: Timestamp,
}

/// The enrolment of one record (none when it never joined a segment with a sequence).
#[derive(Clone, Debug, PartialEq)]
pub struct RecordEnrolment {
    pub record_type: RecordTypeName,
    pub record: RecordId,
    pub enrolment: Result<Option<EnrolmentRow>, String>,
    /// When it was read (due steps are due as of then).
    pub read_at: Timestamp,
}

/// One step being edited; `key` identifies it across reorders (drag and drop), `origin`
/// is its position in the stored sequence (`None`: added in this draft), so running
/// enrolments follow their step when the edit is saved.
#[derive(Clone, Debug, PartialEq)]
pub struct DraftStep {
    pub key: u64,
    pub step: Step,
    pub origin: Option<u32>,
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
    pub options: SequenceOptions,
    /// Every problem of the draft, recomputed on each edit.
    pub problems: Vec<SequenceProblem>,
    /// Edited since loaded (or new).
    pub dirty: bool,
    /// Why the last save failed.
    pub save_error: Option<String>,
    next_key: u64,
}

impl SequenceDraft {
    pub fn new(record_type: RecordTypeName) -> Self {
        let mut draft = Self {
            id: None,
            record_type,
            name: String::new(),
            description: String::new(),
            steps: Vec::new(),
            options: SequenceOptions::default(),
            problems: Vec::new(),
            dirty: true,
            save_error: None,
            next_key: 0,
        };
        draft.check();
        draft
    }

    pub fn of(sequence: &Sequence) -> Self {
        let mut draft = Self {
            id: Some(sequence.id),
            record_type: sequence.record_type.clone(),
            name: sequence.name.clone(),
            description: sequence.description.clone(),
            steps: Vec::new(),
            options: sequence.options,
            problems: Vec::new(),
            dirty: false,
            save_error: None,
            next_key: 0,
        };
        for (position, step) in sequence.steps.iter().enumerate() {
            draft.push(step.clone(), u32::try_from(position).ok());
        }
        draft.check();
        draft
    }

    fn push(&mut self, step: Step, origin: Option<u32>) {
        self.next_key += 1;
        self.steps.push(DraftStep { key: self.next_key, step, origin });
    }

    /// Where each step came from in the stored sequence (see [`DraftStep::origin`]).
    pub fn origins(&self) -> Vec<Option<u32>> {
        self.steps.iter().map(|s| s.origin).collect()
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
            options: self.options,
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
    /// Count waits in the owner's working hours.
    SetWorkingHours(bool),
    /// End an enrolment when its record leaves the segment.
    SetStopWhenLeaving(bool),
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
            DraftEdit::AddStep(kind) => draft.push(default_step(kind), None),
            DraftEdit::SetWorkingHours(on) => draft.options.working_hours = on,
            DraftEdit::SetStopWhenLeaving(on) => draft.options.stop_when_leaving = on,
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

/// What the Sequences screen asks the runner to store or read. Times come from the
/// [`Context`] of the command, so the runner needs no clock.
#[derive(Clone, Debug, PartialEq)]
pub enum SequencesEffect {
    /// Read the selected sequence's enrolments: the first page, or (`more`) one page more.
    LoadEnrolments {
        more: bool,
    },
    /// Store a draft copy of `id` named `name`, then select it.
    Copy {
        id: SequenceId,
        name: String,
        now: Timestamp,
    },
    /// Store the new status, then show the sequence as stored.
    SetStatus {
        id: SequenceId,
        status: Status,
        now: Timestamp,
    },
    /// Insert (`new`) or update the sequence, then select it; `origins` says where each
    /// step was in the stored sequence, for its running enrolments.
    Save {
        sequence: Sequence,
        new: bool,
        origins: Vec<Option<u32>>,
    },
    Connect {
        segment: SegmentId,
        sequence: SequenceId,
        now: Timestamp,
    },
    Disconnect {
        segment: SegmentId,
        now: Timestamp,
    },
}

/// Handles a Sequences command: changes the state and says what the runner must do.
pub fn apply(state: &mut AppState, command: SequencesCommand, ctx: &Context) -> Vec<Effect> {
    let effect = |effect: SequencesEffect| vec![Effect::Sequences(effect)];
    let now = ctx.now;
    match command {
        SequencesCommand::Select(id) => select(state, id),
        SequencesCommand::Open(id) => {
            state.screen = Screen::Sequences;
            select(state, id)
        }
        SequencesCommand::New => {
            let Some(ty) = state.record_type.clone() else { return Vec::new() };
            let sequences = &mut state.sequences;
            sequences.selected = None;
            sequences.enrolments = None;
            sequences.draft = Some(SequenceDraft::new(ty));
            Vec::new()
        }
        SequencesCommand::Copy(id) => match copy_name(state, id) {
            Some(name) => effect(SequencesEffect::Copy { id, name, now }),
            None => Vec::new(),
        },
        SequencesCommand::Activate(id) => effect(SequencesEffect::SetStatus { id, status: Status::Active, now }),
        SequencesCommand::Deactivate(id) => effect(SequencesEffect::SetStatus { id, status: Status::Inactive, now }),
        SequencesCommand::Edit(edit) => {
            if let Some(draft) = &mut state.sequences.draft {
                edit.apply(draft);
            }
            Vec::new()
        }
        // A draft with problems is never saved.
        SequencesCommand::Save => match &state.sequences.draft {
            Some(draft) if draft.problems.is_empty() => effect(SequencesEffect::Save {
                sequence: draft.to_sequence(now),
                new: draft.id.is_none(),
                origins: draft.origins(),
            }),
            _ => Vec::new(),
        },
        SequencesCommand::Discard => {
            if let Some(id) = state.sequences.draft.take().and_then(|d| d.id) {
                select(state, id)
            } else {
                state.sequences.selected = None;
                Vec::new()
            }
        }
        SequencesCommand::Connect { segment, sequence } => effect(SequencesEffect::Connect { segment, sequence, now }),
        SequencesCommand::Disconnect(segment) => effect(SequencesEffect::Disconnect { segment, now }),
        SequencesCommand::MoreEnrolments => load_enrolments(state, true),
    }
}

/// Shows stored sequence `id` in the editor and asks for its enrolments.
pub fn select(state: &mut AppState, id: SequenceId) -> Vec<Effect> {
    let Some(sequence) = state.view.as_ref().and_then(|v| v.sequence(id)).cloned() else { return Vec::new() };
    state.sequences.selected = Some(id);
    state.sequences.draft = Some(SequenceDraft::of(&sequence));
    load_enrolments(state, false)
}

/// Asks for the selected sequence's enrolments; with none selected there are none to show.
fn load_enrolments(state: &mut AppState, more: bool) -> Vec<Effect> {
    if state.sequences.selected.is_none() {
        state.sequences.enrolments = None;
        return Vec::new();
    }
    vec![Effect::Sequences(SequencesEffect::LoadEnrolments { more })]
}

/// "Copy of X", or "Copy of X (2)", (3)… when taken by a sequence of the same type; cut to
/// the longest name allowed.
fn copy_name(state: &AppState, id: SequenceId) -> Option<String> {
    let view = state.view.as_ref()?;
    let source = view.sequence(id)?;
    let taken = |name: &str| view.sequences.iter().any(|s| s.record_type == source.record_type && s.name == name);
    let mut name = format!("Copy of {}", source.name);
    let mut n = 2;
    while taken(&name) {
        name = format!("Copy of {} ({n})", source.name);
        n += 1;
    }
    Some(name.chars().take(crate::domain::segment::NAME_MAX_CHARS).collect())
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
