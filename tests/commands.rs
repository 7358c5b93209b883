//! Command handling without SQLite, threads or sleeps: a screen's pure `apply` changes an
//! `AppState` and returns the effects the runner would carry out. The state here is built
//! by hand; nothing opens a workspace.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use segment_builder::domain::sequence::default_step;
use segment_builder::domain::{RecordTypeName, Schema, SegmentId, Sequence, SequenceId, Status, StepKind};
use segment_builder::state::effect::{Context, Effect};
use segment_builder::state::sequences::{DraftEdit, SequencesCommand, SequencesEffect, apply};
use segment_builder::state::{AppState, Screen, WorkspaceView};

fn lead() -> RecordTypeName {
    RecordTypeName::new("lead")
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn sequence(id: i64, name: &str, status: Status) -> Sequence {
    Sequence {
        id: SequenceId(id),
        record_type: lead(),
        name: name.to_owned(),
        description: String::new(),
        status,
        steps: vec![default_step(StepKind::PhoneCall)],
        created_on: at("2026-01-01T00:00:00Z"),
        modified_on: at("2026-01-01T00:00:00Z"),
    }
}

/// A state as the window has it after opening a workspace with these sequences.
fn state_with(sequences: Vec<Sequence>) -> AppState {
    let view = WorkspaceView {
        path: PathBuf::from("in-memory.sqlite"),
        schema: Schema::built_in(),
        time_zone: TimeZone::UTC,
        time_zone_name: "UTC".to_owned(),
        segments: BTreeMap::new(),
        member_counts: HashMap::new(),
        unassigned_counts: HashMap::new(),
        sequences,
        sellers: Vec::new(),
        teams: Vec::new(),
        record_counts: BTreeMap::new(),
    };
    AppState { view: Some(view), record_type: Some(lead()), ..AppState::default() }
}

fn ctx() -> Context {
    Context { now: at("2026-12-05T10:00:00Z") }
}

fn sequences_effects(effects: Vec<Effect>) -> Vec<SequencesEffect> {
    effects
        .into_iter()
        .map(|effect| match effect {
            Effect::Sequences(effect) => effect,
            other @ Effect::Notify(..) => panic!("expected a Sequences effect, got {other:?}"),
        })
        .collect()
}

#[test]
fn selecting_a_sequence_opens_it_unedited_and_asks_for_its_enrolments() {
    let mut state = state_with(vec![sequence(1, "Welcome", Status::Draft)]);
    let effects = apply(&mut state, SequencesCommand::Select(SequenceId(1)), &ctx());
    assert_eq!(sequences_effects(effects), vec![SequencesEffect::LoadEnrolments { more: false }]);
    assert_eq!(state.sequences.selected, Some(SequenceId(1)));
    let draft = state.sequences.draft.as_ref().unwrap_or_else(|| panic!("no draft"));
    assert_eq!((draft.name.as_str(), draft.dirty, draft.id), ("Welcome", false, Some(SequenceId(1))));
}

#[test]
fn opening_a_sequence_shows_the_sequences_screen() {
    let mut state = state_with(vec![sequence(1, "Welcome", Status::Draft)]);
    apply(&mut state, SequencesCommand::Open(SequenceId(1)), &ctx());
    assert_eq!(state.screen, Screen::Sequences);
    assert_eq!(state.sequences.selected, Some(SequenceId(1)));
}

#[test]
fn a_sequence_that_is_gone_is_not_selected() {
    let mut state = state_with(vec![sequence(1, "Welcome", Status::Draft)]);
    let effects = apply(&mut state, SequencesCommand::Select(SequenceId(9)), &ctx());
    assert!(effects.is_empty());
    assert_eq!(state.sequences.selected, None);
}

#[test]
fn a_copy_takes_the_first_free_copy_name_and_the_clock_time() {
    let mut state = state_with(vec![
        sequence(1, "Welcome", Status::Active),
        sequence(2, "Copy of Welcome", Status::Draft),
        sequence(3, "Copy of Welcome (2)", Status::Draft),
    ]);
    let effects = apply(&mut state, SequencesCommand::Copy(SequenceId(1)), &ctx());
    let expected = SequencesEffect::Copy { id: SequenceId(1), name: "Copy of Welcome (3)".to_owned(), now: ctx().now };
    assert_eq!(sequences_effects(effects), vec![expected]);
}

#[test]
fn a_new_draft_with_problems_is_never_saved() {
    let mut state = state_with(Vec::new());
    assert!(apply(&mut state, SequencesCommand::New, &ctx()).is_empty());
    let draft = state.sequences.draft.as_ref().unwrap_or_else(|| panic!("no draft"));
    assert!(!draft.problems.is_empty(), "a new draft has no name and no step");
    assert!(apply(&mut state, SequencesCommand::Save, &ctx()).is_empty());
}

#[test]
fn saving_a_valid_draft_asks_to_store_it_as_a_new_draft_sequence_at_the_clock_time() {
    let mut state = state_with(Vec::new());
    apply(&mut state, SequencesCommand::New, &ctx());
    apply(&mut state, SequencesCommand::Edit(DraftEdit::SetName("  Follow up ".into())), &ctx());
    apply(&mut state, SequencesCommand::Edit(DraftEdit::AddStep(StepKind::PhoneCall)), &ctx());
    let effects = sequences_effects(apply(&mut state, SequencesCommand::Save, &ctx()));
    let [SequencesEffect::Save(saved)] = effects.as_slice() else { panic!("expected one save, got {effects:?}") };
    assert_eq!(saved.id, SequenceId(0), "id 0: inserted, not updated");
    assert_eq!((saved.name.as_str(), saved.status, saved.steps.len()), ("Follow up", Status::Draft, 1));
    assert_eq!(saved.modified_on, ctx().now);
}

#[test]
fn discarding_edits_shows_the_stored_sequence_again() {
    let mut state = state_with(vec![sequence(1, "Welcome", Status::Draft)]);
    apply(&mut state, SequencesCommand::Select(SequenceId(1)), &ctx());
    apply(&mut state, SequencesCommand::Edit(DraftEdit::SetName("Renamed".into())), &ctx());
    let effects = apply(&mut state, SequencesCommand::Discard, &ctx());
    assert_eq!(sequences_effects(effects), vec![SequencesEffect::LoadEnrolments { more: false }]);
    let draft = state.sequences.draft.as_ref().unwrap_or_else(|| panic!("no draft"));
    assert_eq!((draft.name.as_str(), draft.dirty), ("Welcome", false));
}

#[test]
fn discarding_a_new_draft_leaves_nothing_selected() {
    let mut state = state_with(Vec::new());
    apply(&mut state, SequencesCommand::New, &ctx());
    assert!(apply(&mut state, SequencesCommand::Discard, &ctx()).is_empty());
    assert_eq!((state.sequences.selected, state.sequences.draft.is_none()), (None, true));
}

#[test]
fn status_changes_and_connections_carry_the_clock_time() {
    let mut state = state_with(vec![sequence(1, "Welcome", Status::Draft)]);
    let now = ctx().now;
    let (id, segment) = (SequenceId(1), SegmentId(4));
    let effects = [
        apply(&mut state, SequencesCommand::Activate(id), &ctx()),
        apply(&mut state, SequencesCommand::Deactivate(id), &ctx()),
        apply(&mut state, SequencesCommand::Connect { segment, sequence: id }, &ctx()),
        apply(&mut state, SequencesCommand::Disconnect(segment), &ctx()),
    ];
    let effects: Vec<SequencesEffect> = effects.into_iter().flat_map(sequences_effects).collect();
    assert_eq!(
        effects,
        vec![
            SequencesEffect::SetStatus { id, status: Status::Active, now },
            SequencesEffect::SetStatus { id, status: Status::Inactive, now },
            SequencesEffect::Connect { segment, sequence: id, now },
            SequencesEffect::Disconnect { segment, now },
        ]
    );
}

#[test]
fn more_enrolments_are_asked_for_only_with_a_sequence_selected() {
    let mut state = state_with(vec![sequence(1, "Welcome", Status::Draft)]);
    assert!(apply(&mut state, SequencesCommand::MoreEnrolments, &ctx()).is_empty());
    apply(&mut state, SequencesCommand::Select(SequenceId(1)), &ctx());
    let effects = apply(&mut state, SequencesCommand::MoreEnrolments, &ctx());
    assert_eq!(sequences_effects(effects), vec![SequencesEffect::LoadEnrolments { more: true }]);
}
