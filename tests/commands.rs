//! Command handling without SQLite, threads or sleeps: a screen's pure `apply` changes an
//! `AppState` and returns the effects the runner would carry out. The state here is built
//! by hand; nothing opens a workspace.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use segment_builder::domain::assignment::{AssignmentRule, RuleId};
use segment_builder::domain::query::SortDirection;
use segment_builder::domain::sequence::{StepOutcome, WorkFilter, WorkItem, WorkList, default_step};
use segment_builder::domain::{FieldKind, FieldName, Record, RecordId, Value};
use segment_builder::domain::{
    Group, NodeId, RecordTypeName, Schema, Segment, SegmentId, Sequence, SequenceId, Status, StepKind,
};
use segment_builder::domain::{Seller, SellerId, Team, TeamId};
use segment_builder::interchange::definitions_plan::OnClash;
use segment_builder::state::builder::{Builder, BuilderEdit};
use segment_builder::state::conditions::{self, ConditionsCommand, ConditionsEffect};
use segment_builder::state::definitions::{self, DefinitionsCommand, DefinitionsEffect, DefinitionsMode};
use segment_builder::state::effect::{Context, Effect};
use segment_builder::state::import::{self, ImportCommand, ImportEffect};
use segment_builder::state::monitor::{self, ExplainFor, MonitorCommand, MonitorEffect};
use segment_builder::state::records::{self, RecordsCommand, RecordsEffect};
use segment_builder::state::rules::{self, RuleForm, RulesCommand, RulesEffect};
use segment_builder::state::segments::{self, SegmentsCommand, SegmentsEffect};
use segment_builder::state::sellers::{self, SellersCommand, SellersConfirm, SellersEffect, SellersTab};
use segment_builder::state::sequences::{DraftEdit, SequencesCommand, SequencesEffect, apply};
use segment_builder::state::window::{self, WindowEffect};
use segment_builder::state::worklist::{self, DueWithin, WorkListCommand, WorkListEffect};
use segment_builder::state::{AppState, DetailTab, Screen, WorkspaceView};
use segment_builder::state::{
    Command, Dialog, ImpactDialog, ImportForm, LifecycleAction, Loadable, Notice, NoticeLevel, PathPurpose,
};

/// The effects of one screen's kind; any other kind fails the test.
macro_rules! effects_of {
    ($variant:path, $effects:expr) => {
        $effects
            .into_iter()
            .map(|effect| match effect {
                $variant(effect) => effect,
                other => panic!("expected {} effects, got {other:?}", stringify!($variant)),
            })
            .collect::<Vec<_>>()
    };
}

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
        options: segment_builder::domain::SequenceOptions::default(),
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

#[test]
fn selecting_a_sequence_opens_it_unedited_and_asks_for_its_enrolments() {
    let mut state = state_with(vec![sequence(1, "Welcome", Status::Draft)]);
    let effects = apply(&mut state, SequencesCommand::Select(SequenceId(1)), &ctx());
    assert_eq!(effects_of!(Effect::Sequences, effects), vec![SequencesEffect::LoadEnrolments { more: false }]);
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
    assert_eq!(effects_of!(Effect::Sequences, effects), vec![expected]);
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
    let effects = effects_of!(Effect::Sequences, apply(&mut state, SequencesCommand::Save, &ctx()));
    let [SequencesEffect::Save { sequence: saved, new: true, origins }] = effects.as_slice() else {
        panic!("expected one new sequence, got {effects:?}")
    };
    assert_eq!((saved.name.as_str(), saved.status, saved.steps.len()), ("Follow up", Status::Draft, 1));
    assert_eq!(saved.modified_on, ctx().now);
    assert_eq!(origins, &[None]);
}

#[test]
fn saving_an_edited_sequence_says_where_each_step_came_from_and_keeps_its_options() {
    let stored = Sequence {
        steps: vec![
            default_step(StepKind::PhoneCall),
            default_step(StepKind::Task),
            default_step(StepKind::ManualEmail),
        ],
        ..sequence(1, "Welcome", Status::Inactive)
    };
    let mut state = state_with(vec![stored]);
    apply(&mut state, SequencesCommand::Select(SequenceId(1)), &ctx());
    let keys: Vec<u64> = state.sequences.draft.as_ref().unwrap().steps.iter().map(|s| s.key).collect();
    for edit in [
        DraftEdit::RemoveStep(keys[1]),
        DraftEdit::AddStep(StepKind::TextMessage),
        DraftEdit::MoveStep { key: keys[2], to_index: 0 },
        DraftEdit::SetStopWhenLeaving(true),
    ] {
        apply(&mut state, SequencesCommand::Edit(edit), &ctx());
    }
    let effects = effects_of!(Effect::Sequences, apply(&mut state, SequencesCommand::Save, &ctx()));
    let [SequencesEffect::Save { sequence: saved, new: false, origins }] = effects.as_slice() else {
        panic!("expected one update, got {effects:?}")
    };
    assert_eq!(origins, &[Some(2), Some(0), None]);
    assert!(saved.options.stop_when_leaving && !saved.options.working_hours);
}

fn work_item(enrolment: i64, title: &str) -> WorkItem {
    WorkItem {
        enrolment,
        record_type: lead(),
        record: RecordId(enrolment),
        title: title.to_owned(),
        owner: None,
        sequence: SequenceId(1),
        sequence_name: "Welcome".to_owned(),
        position: 0,
        steps: 1,
        kind: StepKind::PhoneCall,
        step_name: "Call".to_owned(),
        due_at: at("2026-12-05T09:00:00Z"),
        overdue: false,
    }
}

#[test]
fn the_work_list_reads_with_its_filters_and_finishing_takes_the_row_off_and_selects_the_next() {
    let mut state = state_with(Vec::new());
    let effects = worklist::apply(&mut state, WorkListCommand::SetDue(DueWithin::Today), &ctx());
    let expected = WorkListEffect::Read {
        filter: WorkFilter { due_before: Some(at("2026-12-05T23:59:59Z")), ..WorkFilter::default() },
        now: ctx().now,
    };
    assert_eq!(effects_of!(Effect::WorkList, effects), vec![expected]);
    let effects = worklist::apply(&mut state, WorkListCommand::SetSeller(Some(SellerId(3))), &ctx());
    let effects = effects_of!(Effect::WorkList, effects);
    let [WorkListEffect::Read { filter, .. }] = effects.as_slice() else { panic!("expected a read, got {effects:?}") };
    assert_eq!(filter.seller, Some(SellerId(3)));
    assert_eq!(DueWithin::ThisWeek.bound(ctx().now, &TimeZone::UTC), Some(at("2026-12-06T23:59:59Z")), "Saturday");
    assert_eq!(DueWithin::Any.bound(ctx().now, &TimeZone::UTC), None);

    state.work_list.list =
        Loadable::Ready(WorkList { items: vec![work_item(1, "A"), work_item(2, "B"), work_item(3, "C")], total: 3 });
    worklist::apply(&mut state, WorkListCommand::MoveSelection(1), &ctx());
    assert_eq!(state.work_list.selected, Some(1), "the first arrow selects the first row");
    worklist::apply(&mut state, WorkListCommand::MoveSelection(5), &ctx());
    assert_eq!(state.work_list.selected, Some(3));
    worklist::apply(&mut state, WorkListCommand::MoveSelection(-1), &ctx());
    assert_eq!(state.work_list.selected, Some(2));
    let effects =
        worklist::apply(&mut state, WorkListCommand::Finish { enrolment: 2, outcome: StepOutcome::Skipped }, &ctx());
    assert_eq!(
        effects_of!(Effect::WorkList, effects),
        vec![WorkListEffect::Finish { enrolment: 2, outcome: StepOutcome::Skipped, now: ctx().now }]
    );
    let left: Vec<i64> = state.work_list.list.latest().unwrap().items.iter().map(|i| i.enrolment).collect();
    assert_eq!((left, state.work_list.selected), (vec![1, 3], Some(3)));
}

#[test]
fn discarding_edits_shows_the_stored_sequence_again() {
    let mut state = state_with(vec![sequence(1, "Welcome", Status::Draft)]);
    apply(&mut state, SequencesCommand::Select(SequenceId(1)), &ctx());
    apply(&mut state, SequencesCommand::Edit(DraftEdit::SetName("Renamed".into())), &ctx());
    let effects = apply(&mut state, SequencesCommand::Discard, &ctx());
    assert_eq!(effects_of!(Effect::Sequences, effects), vec![SequencesEffect::LoadEnrolments { more: false }]);
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
    let effects: Vec<SequencesEffect> =
        effects.into_iter().flat_map(|effects| effects_of!(Effect::Sequences, effects)).collect();
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
    assert_eq!(effects_of!(Effect::Sequences, effects), vec![SequencesEffect::LoadEnrolments { more: true }]);
}

// ----------------------------------------------------------------------------------------
// The Assignment rules tab

const SEGMENT: SegmentId = SegmentId(4);

fn stored_rule(id: i64, name: &str) -> AssignmentRule {
    RuleForm::new(name.to_owned()).to_rule(RuleId(id), Group::all(NodeId(0)))
}

/// A state with segment 4 selected and its rules read.
fn rules_state(stored: Vec<AssignmentRule>) -> AppState {
    let mut state = state_with(Vec::new());
    let segment = Segment {
        id: SEGMENT,
        record_type: lead(),
        name: "Hot leads".to_owned(),
        description: String::new(),
        status: Status::Active,
        priority: 1,
        conditions: Group::all(NodeId(0)),
        accept_from_other_segments: false,
        rerun_assignment_on_move: false,
        sequence: None,
        created_on: at("2026-01-01T00:00:00Z"),
        modified_on: at("2026-01-01T00:00:00Z"),
    };
    if let Some(view) = &mut state.view {
        view.segments.insert(lead(), vec![segment]);
    }
    state.selected_segment = Some(SEGMENT);
    state.rules.loaded = Some((PathBuf::from("in-memory.sqlite"), SEGMENT));
    state.rules.rules = stored;
    state
}

#[test]
fn a_new_rule_opens_the_editor_with_the_next_number_and_stores_nothing() {
    let mut state = rules_state(vec![stored_rule(1, "Rule 1")]);
    assert!(rules::apply(&mut state, RulesCommand::NewRule, &ctx()).is_empty());
    let editor = state.rules.editor.as_ref().unwrap_or_else(|| panic!("no editor"));
    assert_eq!((editor.form.name.as_str(), editor.rule, editor.segment), ("Rule 2", None, SEGMENT));
}

#[test]
fn a_valid_new_rule_is_saved_with_the_clock_time() {
    let mut state = rules_state(Vec::new());
    rules::apply(&mut state, RulesCommand::NewRule, &ctx());
    let effects = effects_of!(Effect::Rules, rules::apply(&mut state, RulesCommand::Save, &ctx()));
    let [RulesEffect::Save { segment, rule, new, now }] = effects.as_slice() else {
        panic!("expected one save, got {effects:?}")
    };
    assert_eq!((*segment, rule.name.as_str(), *new, *now), (SEGMENT, "Rule 1", true, ctx().now));
    assert!(state.rules.editor.is_some(), "the editor closes only once the rule is stored");
}

#[test]
fn a_rule_with_problems_is_not_saved_and_says_what_to_fix() {
    let mut state = rules_state(Vec::new());
    rules::apply(&mut state, RulesCommand::NewRule, &ctx());
    let mut form = state.rules.editor.as_ref().map_or_else(|| panic!("no editor"), |e| e.form.clone());
    form.name = "   ".to_owned();
    rules::apply(&mut state, RulesCommand::UpdateForm(form), &ctx());
    assert!(rules::apply(&mut state, RulesCommand::Save, &ctx()).is_empty());
    let editor = state.rules.editor.as_ref().unwrap_or_else(|| panic!("no editor"));
    assert_eq!(editor.save_error.as_deref(), Some("Fix the problem marked below, then save again"));
}

#[test]
fn a_copy_opens_as_a_new_rule_named_after_the_original() {
    let mut state = rules_state(vec![stored_rule(7, "Germany")]);
    rules::apply(&mut state, RulesCommand::CopyRule(RuleId(7)), &ctx());
    let editor = state.rules.editor.as_ref().unwrap_or_else(|| panic!("no editor"));
    assert_eq!((editor.form.name.as_str(), editor.rule), ("Copy of Germany", None));
}

#[test]
fn editing_a_stored_rule_saves_it_as_an_update() {
    let mut state = rules_state(vec![stored_rule(7, "Germany")]);
    rules::apply(&mut state, RulesCommand::EditRule(RuleId(7)), &ctx());
    let effects = effects_of!(Effect::Rules, rules::apply(&mut state, RulesCommand::Save, &ctx()));
    let [RulesEffect::Save { rule, new: false, .. }] = effects.as_slice() else {
        panic!("expected an update, got {effects:?}")
    };
    assert_eq!(rule.id, RuleId(7));
}

#[test]
fn moving_a_rule_asks_to_store_the_whole_new_order() {
    let mut state = rules_state(vec![stored_rule(1, "A"), stored_rule(2, "B"), stored_rule(3, "C")]);
    let effects = rules::apply(&mut state, RulesCommand::MoveRule { rule: RuleId(3), to_index: 0 }, &ctx());
    let order = vec![RuleId(3), RuleId(1), RuleId(2)];
    assert_eq!(
        effects_of!(Effect::Rules, effects),
        vec![RulesEffect::Reorder { segment: SEGMENT, order, now: ctx().now }]
    );
}

#[test]
fn deactivating_asks_to_store_the_rule_inactive() {
    let mut state = rules_state(vec![stored_rule(1, "A")]);
    let effects = rules::apply(&mut state, RulesCommand::SetActive { rule: RuleId(1), active: false }, &ctx());
    let effects = effects_of!(Effect::Rules, effects);
    let [RulesEffect::SetActive { rule, now }] = effects.as_slice() else { panic!("got {effects:?}") };
    assert_eq!((rule.id, rule.active, *now), (RuleId(1), false, ctx().now));
}

#[test]
fn deleting_asks_first_and_names_the_rule() {
    let mut state = rules_state(vec![stored_rule(1, "Germany")]);
    assert!(rules::apply(&mut state, RulesCommand::AskDeleteRule(RuleId(1)), &ctx()).is_empty());
    assert_eq!(state.rules.confirm_delete, Some((RuleId(1), "Germany".to_owned())));
    let effects = rules::apply(&mut state, RulesCommand::DeleteRule(RuleId(1)), &ctx());
    assert_eq!(
        effects_of!(Effect::Rules, effects),
        vec![RulesEffect::Delete { id: RuleId(1), name: "Germany".to_owned(), now: ctx().now }]
    );
    assert_eq!(state.rules.confirm_delete, None);
}

// ----------------------------------------------------------------------------------------
// The Sellers & teams screen

fn seller(id: i64, name: &str) -> Seller {
    Seller {
        id: SellerId(id),
        name: name.to_owned(),
        email: format!("{}@example.com", name.to_lowercase()),
        time_zone: "Europe/Berlin".to_owned(),
        attributes: BTreeMap::new(),
        capacity: None,
        work_hours: Vec::new(),
        time_off: Vec::new(),
        assign_records: true,
    }
}

fn people_state() -> AppState {
    let mut state = state_with(Vec::new());
    if let Some(view) = &mut state.view {
        view.sellers = vec![seller(1, "Ada"), seller(2, "Grace")];
        view.teams = vec![Team { id: TeamId(5), name: "North".to_owned(), members: vec![SellerId(1)] }];
    }
    state
}

#[test]
fn one_selected_seller_opens_in_the_editor_and_several_open_the_bulk_form() {
    let mut state = people_state();
    let one = SellersCommand::SelectSellers { ids: vec![SellerId(2)], anchor: Some(SellerId(2)) };
    assert!(sellers::apply(&mut state, one, &ctx()).is_empty());
    let editor = state.sellers.editor.as_ref().unwrap_or_else(|| panic!("no editor"));
    assert_eq!(editor.name, "Grace");
    let both = SellersCommand::SelectSellers { ids: vec![SellerId(1), SellerId(2)], anchor: Some(SellerId(2)) };
    sellers::apply(&mut state, both, &ctx());
    assert!(state.sellers.editor.is_none());
    assert_eq!(state.sellers.selected.len(), 2);
}

#[test]
fn another_form_is_refused_while_the_open_one_has_unsaved_edits() {
    let mut state = people_state();
    sellers::apply(&mut state, SellersCommand::SelectSellers { ids: vec![SellerId(1)], anchor: None }, &ctx());
    let mut edited = state.sellers.editor.clone().unwrap_or_else(|| panic!("no editor"));
    edited.name = "Ada Lovelace".to_owned();
    sellers::apply(&mut state, SellersCommand::EditSeller(edited), &ctx());
    let effects = sellers::apply(&mut state, SellersCommand::StartNewTeam, &ctx());
    let notice = Effect::Notify(
        segment_builder::state::NoticeLevel::Info,
        "Save or discard the changes in the form first".to_owned(),
    );
    assert_eq!(effects, vec![notice]);
    assert!(state.sellers.team.is_none());
    assert_eq!(state.sellers.editor.as_ref().map(|e| e.name.as_str()), Some("Ada Lovelace"));
}

#[test]
fn a_new_seller_with_problems_shows_them_and_a_valid_one_is_stored() {
    let mut state = people_state();
    sellers::apply(&mut state, SellersCommand::StartAddSeller, &ctx());
    assert_eq!(state.sellers.tab, SellersTab::Sellers);
    let mut editor = state.sellers.editor.clone().unwrap_or_else(|| panic!("no editor"));
    editor.unlimited = false;
    editor.capacity = "many".to_owned();
    sellers::apply(&mut state, SellersCommand::EditSeller(editor), &ctx());
    assert!(sellers::apply(&mut state, SellersCommand::SaveSeller, &ctx()).is_empty());
    let error = state.sellers.editor.as_ref().and_then(|e| e.error.clone()).unwrap_or_default();
    assert!(error.contains("Capacity \"many\""), "{error}");
    let mut editor = state.sellers.editor.clone().unwrap_or_else(|| panic!("no editor"));
    editor.capacity = "12".to_owned();
    editor.name = "Linus".to_owned();
    editor.email = "linus@example.com".to_owned();
    sellers::apply(&mut state, SellersCommand::EditSeller(editor), &ctx());
    let effects = effects_of!(Effect::Sellers, sellers::apply(&mut state, SellersCommand::SaveSeller, &ctx()));
    let [SellersEffect::SaveSeller { seller, adding: true }] = effects.as_slice() else {
        panic!("expected one new seller, got {effects:?}")
    };
    assert_eq!((seller.name.as_str(), seller.time_zone.as_str(), seller.capacity), ("Linus", "UTC", Some(12)));
}

#[test]
fn deleting_a_team_asks_first_with_its_size() {
    let mut state = people_state();
    sellers::apply(&mut state, SellersCommand::AskDeleteTeam(TeamId(5)), &ctx());
    let asked = SellersConfirm::DeleteTeam { id: TeamId(5), name: "North".to_owned(), members: 1 };
    assert_eq!(state.sellers.confirm, Some(asked));
    let effects = sellers::apply(&mut state, SellersCommand::DeleteTeam(TeamId(5)), &ctx());
    assert_eq!(effects_of!(Effect::Sellers, effects), vec![SellersEffect::DeleteTeam(TeamId(5))]);
    assert_eq!(state.sellers.confirm, None);
}

#[test]
fn opening_the_screen_on_another_workspace_starts_afresh_on_the_same_tab() {
    let mut state = people_state();
    state.sellers.tab = SellersTab::Teams;
    state.sellers.loaded_for = Some(PathBuf::from("other.sqlite"));
    state.sellers.search = "old search".to_owned();
    let effects = sellers::apply(&mut state, SellersCommand::Load, &ctx());
    assert_eq!(effects_of!(Effect::Sellers, effects), vec![SellersEffect::LoadPeople]);
    assert_eq!((state.sellers.tab, state.sellers.search.as_str()), (SellersTab::Teams, ""));
}

// ----------------------------------------------------------------------------------------
// The definitions dialog

fn dialog_text(state: &AppState) -> (String, Option<String>) {
    match &state.dialog {
        Some(Dialog::Definitions(dialog)) => (dialog.text.clone(), dialog.error.clone()),
        other => panic!("expected the definitions dialog, got {other:?}"),
    }
}

#[test]
fn the_definitions_dialog_offers_a_file_beside_the_workspace() {
    let mut state = state_with(Vec::new());
    if let Some(view) = &mut state.view {
        view.path = PathBuf::from("/home/ada/work/crm.sqlite");
    }
    definitions::apply(&mut state, DefinitionsCommand::Show(DefinitionsMode::Export), &ctx());
    assert_eq!(dialog_text(&state), ("/home/ada/work/definitions.ron".to_owned(), None));
}

#[test]
fn an_empty_path_is_asked_for_and_nothing_is_written() {
    let mut state = state_with(Vec::new());
    definitions::apply(&mut state, DefinitionsCommand::Show(DefinitionsMode::Export), &ctx());
    definitions::apply(&mut state, DefinitionsCommand::SetPath("  ".to_owned()), &ctx());
    assert!(definitions::apply(&mut state, DefinitionsCommand::Submit, &ctx()).is_empty());
    assert_eq!(dialog_text(&state).1.as_deref(), Some("Enter the path of a .ron file"));
}

#[test]
fn export_replaces_a_file_only_when_asked_to() {
    let mut state = state_with(Vec::new());
    definitions::apply(&mut state, DefinitionsCommand::Show(DefinitionsMode::Export), &ctx());
    definitions::apply(&mut state, DefinitionsCommand::SetPath(" out.ron ".to_owned()), &ctx());
    let file = PathBuf::from("out.ron");
    let submit = definitions::apply(&mut state, DefinitionsCommand::Submit, &ctx());
    let replace = definitions::apply(&mut state, DefinitionsCommand::Replace, &ctx());
    let effects: Vec<_> =
        [submit, replace].into_iter().flat_map(|effects| effects_of!(Effect::Definitions, effects)).collect();
    let expected = vec![
        DefinitionsEffect::Export { file: file.clone(), replace: false },
        DefinitionsEffect::Export { file, replace: true },
    ];
    assert_eq!(effects, expected);
}

#[test]
fn import_asks_about_clashes_before_resolving_them() {
    let mut state = state_with(Vec::new());
    definitions::apply(&mut state, DefinitionsCommand::Show(DefinitionsMode::Import), &ctx());
    definitions::apply(&mut state, DefinitionsCommand::SetPath("in.ron".to_owned()), &ctx());
    let file = PathBuf::from("in.ron");
    let now = ctx().now;
    let first = definitions::apply(&mut state, DefinitionsCommand::Submit, &ctx());
    let then = definitions::apply(&mut state, DefinitionsCommand::Import(OnClash::Rename), &ctx());
    let effects: Vec<_> =
        [first, then].into_iter().flat_map(|effects| effects_of!(Effect::Definitions, effects)).collect();
    let expected = vec![
        DefinitionsEffect::Import { file: file.clone(), on_clash: None, now },
        DefinitionsEffect::Import { file, on_clash: Some(OnClash::Rename), now },
    ];
    assert_eq!(effects, expected);
}

// ----------------------------------------------------------------------------------------
// The Monitor

#[test]
fn the_monitor_reads_the_lists_of_the_chosen_type_and_forgets_ticks_of_another() {
    let mut state = state_with(Vec::new());
    state.monitor.record_type = Some(RecordTypeName::new("account"));
    state.monitor.selected.insert(RecordId(3));
    let effects = monitor::apply(&mut state, MonitorCommand::Refresh, &ctx());
    assert_eq!(effects_of!(Effect::Monitor, effects), vec![MonitorEffect::ReadLists(lead())]);
    assert_eq!((state.monitor.record_type, state.monitor.selected.len()), (Some(lead()), 0));
}

#[test]
fn run_now_runs_once_and_only_over_ticked_records_when_asked() {
    let mut state = state_with(Vec::new());
    monitor::apply(&mut state, MonitorCommand::Refresh, &ctx());
    let selected_only = MonitorCommand::RunNow { selected_only: true };
    assert!(monitor::apply(&mut state, selected_only.clone(), &ctx()).is_empty(), "nothing ticked");
    monitor::apply(&mut state, MonitorCommand::ToggleSelected(RecordId(8)), &ctx());
    monitor::apply(&mut state, MonitorCommand::ToggleSelected(RecordId(9)), &ctx());
    let effects = effects_of!(Effect::Monitor, monitor::apply(&mut state, selected_only.clone(), &ctx()));
    let expected = MonitorEffect::Run {
        record_type: lead(),
        records: Some(vec![RecordId(8), RecordId(9)]),
        title: "Assigning 2 selected records".to_owned(),
        now: ctx().now,
    };
    assert_eq!(effects, vec![expected]);
    assert!(state.monitor.running.is_some());
    assert!(monitor::apply(&mut state, selected_only, &ctx()).is_empty(), "one run at a time");
}

#[test]
fn why_this_seller_is_explained_in_the_background_and_forgotten_when_closed() {
    let mut state = state_with(Vec::new());
    let show = MonitorCommand::ShowWhy { record_type: lead(), record: RecordId(5) };
    let effects = effects_of!(Effect::Monitor, monitor::apply(&mut state, show, &ctx()));
    let expected =
        MonitorEffect::Explain { window: ExplainFor::Why, record_type: lead(), record: RecordId(5), now: ctx().now };
    assert_eq!(effects, vec![expected]);
    assert!(state.monitor.why.is_some());
    let effects = effects_of!(Effect::Monitor, monitor::apply(&mut state, MonitorCommand::CloseWhy, &ctx()));
    assert_eq!(effects, vec![MonitorEffect::Forget(ExplainFor::Why)]);
    assert!(state.monitor.why.is_none());
}

#[test]
fn assigning_by_hand_needs_the_assign_window() {
    let mut state = state_with(Vec::new());
    let assign = MonitorCommand::AssignTo { record: RecordId(5), seller: SellerId(1) };
    assert!(monitor::apply(&mut state, assign.clone(), &ctx()).is_empty());
    monitor::apply(&mut state, MonitorCommand::Refresh, &ctx());
    monitor::apply(&mut state, MonitorCommand::ShowAssign(RecordId(5)), &ctx());
    let effects = effects_of!(Effect::Monitor, monitor::apply(&mut state, assign, &ctx()));
    let expected =
        MonitorEffect::Assign { record_type: lead(), record: RecordId(5), seller: SellerId(1), now: ctx().now };
    assert_eq!(effects, vec![expected]);
}

// ----------------------------------------------------------------------------------------
// The import dialog

fn import_form(state: &AppState) -> &ImportForm {
    match &state.dialog {
        Some(Dialog::ImportRecords(form)) => form,
        other => panic!("expected the import dialog, got {other:?}"),
    }
}

#[test]
fn the_file_is_read_before_it_can_be_imported() {
    let mut state = state_with(Vec::new());
    import::apply(&mut state, ImportCommand::Show, &ctx());
    assert!(import::apply(&mut state, ImportCommand::Submit, &ctx()).is_empty());
    assert_eq!(import_form(&state).error.as_deref(), Some("Choose a file and read it first"));
    if let Some(Dialog::ImportRecords(form)) = &mut state.dialog {
        form.path = " leads.csv ".to_owned();
    }
    let effects = effects_of!(Effect::Import, import::apply(&mut state, ImportCommand::ReadFile, &ctx()));
    assert_eq!(effects, vec![ImportEffect::ReadStart(PathBuf::from("leads.csv"))]);
    assert_eq!(import_form(&state).error, None);
}

#[test]
fn the_start_of_the_file_maps_its_columns_to_fields() {
    let mut state = state_with(Vec::new());
    import::apply(&mut state, ImportCommand::Show, &ctx());
    let start = b"Topic,Country\nSecurity renewal,Germany\n".to_vec();
    import::take_start(&mut state, std::path::Path::new("leads.csv"), Ok(start));
    let form = import_form(&state);
    assert_eq!(form.headers, vec!["Topic".to_owned(), "Country".to_owned()]);
    assert_eq!(form.sample.len(), 1);
    assert!(form.mapping.iter().all(|m| m.target.is_some()), "{:?}", form.mapping);
    import::take_start(&mut state, std::path::Path::new("gone.csv"), Err("no such file".to_owned()));
    assert_eq!(import_form(&state).error.as_deref(), Some("gone.csv: no such file"));
}

#[test]
fn one_import_runs_at_a_time() {
    let mut state = state_with(Vec::new());
    import::apply(&mut state, ImportCommand::Show, &ctx());
    let start = b"Topic\nSecurity renewal\n".to_vec();
    if let Some(Dialog::ImportRecords(form)) = &mut state.dialog {
        form.path = "leads.csv".to_owned();
    }
    import::take_start(&mut state, std::path::Path::new("leads.csv"), Ok(start));
    let effects = effects_of!(Effect::Import, import::apply(&mut state, ImportCommand::Submit, &ctx()));
    assert!(matches!(effects.as_slice(), [ImportEffect::Import { file, .. }] if file == &PathBuf::from("leads.csv")));
    assert!(import_form(&state).progress.is_some());
    assert!(import::apply(&mut state, ImportCommand::Submit, &ctx()).is_empty());
}

// ----------------------------------------------------------------------------------------
// The window

#[test]
fn the_path_dialog_asks_for_a_path_then_has_the_disk_checked() {
    let mut state = state_with(Vec::new());
    let text = String::new();
    state.dialog = Some(Dialog::WorkspacePath { purpose: PathPurpose::Open, text, error: None });
    assert!(window::apply(&mut state, Command::SubmitPathDialog).is_empty());
    assert!(
        matches!(&state.dialog, Some(Dialog::WorkspacePath { error: Some(e), .. }) if e == "Type the path of a workspace file")
    );
    window::apply(&mut state, Command::SetDialogText(" crm.sqlite ".to_owned()));
    let effects = effects_of!(Effect::Window, window::apply(&mut state, Command::SubmitPathDialog));
    let expected = WindowEffect::SubmitPath { purpose: PathPurpose::Open, path: PathBuf::from("crm.sqlite") };
    assert_eq!(effects, vec![expected]);
}

#[test]
fn a_dialog_applying_a_change_does_not_close_until_it_ends() {
    let mut state = state_with(Vec::new());
    let dialog = ImpactDialog {
        action: LifecycleAction::Activate(SEGMENT),
        record_type: lead(),
        segment: SEGMENT,
        title: "Activate".to_owned(),
        blocked: None,
        impact: Loadable::default(),
        apply_to_existing: true,
        applying: true,
        then: None,
    };
    state.dialog = Some(Dialog::Impact(Box::new(dialog.clone())));
    assert!(window::apply(&mut state, Command::CloseDialog).is_empty());
    assert!(state.dialog.is_some());
    state.dialog = Some(Dialog::Impact(Box::new(ImpactDialog { applying: false, ..dialog })));
    let effects = effects_of!(Effect::Window, window::apply(&mut state, Command::CloseDialog));
    assert_eq!((effects, state.dialog.is_none()), (vec![WindowEffect::CancelImpact], true));
}

#[test]
fn notices_are_dismissed_one_by_one_and_quitting_is_the_runners() {
    let mut state = state_with(Vec::new());
    for id in 1..=2 {
        window::push_notice(&mut state, notice(id, NoticeLevel::Info), ctx().now);
    }
    window::apply(&mut state, Command::DismissNotice(1));
    assert_eq!(state.notices.iter().map(|n| n.id).collect::<Vec<_>>(), vec![2]);
    assert_eq!(effects_of!(Effect::Window, window::apply(&mut state, Command::Quit)), vec![WindowEffect::Quit]);
}

fn notice(id: u64, level: NoticeLevel) -> Notice {
    Notice { id, level, text: format!("notice {id}"), expires: None, folder: None }
}

#[test]
fn information_goes_away_by_itself_and_errors_stay_until_dismissed() {
    let mut state = state_with(Vec::new());
    let start = ctx().now;
    window::push_notice(&mut state, notice(1, NoticeLevel::Info), start);
    window::push_notice(&mut state, notice(2, NoticeLevel::Error), start);
    let later = |seconds: i64| start.checked_add(jiff::SignedDuration::from_secs(seconds)).expect("a time");
    let next = window::expire_notices(&mut state, later(2));
    assert_eq!(next, Some(std::time::Duration::from_secs(4)), "the info notice is due in 4 s");
    assert_eq!(state.notices.len(), 2);
    let next = window::expire_notices(&mut state, later(6));
    assert_eq!(next, None, "nothing else expires");
    assert_eq!(state.notices.iter().map(|n| n.id).collect::<Vec<_>>(), vec![2], "the error stays");
    window::expire_notices(&mut state, later(3600));
    assert_eq!(state.notices.len(), 1, "an hour later the error is still there");
}

#[test]
fn the_window_keeps_the_newest_twenty_notices() {
    let mut state = state_with(Vec::new());
    for id in 1..=25 {
        window::push_notice(&mut state, notice(id, NoticeLevel::Error), ctx().now);
    }
    let ids: Vec<u64> = state.notices.iter().map(|n| n.id).collect();
    assert_eq!(ids, (6..=25).collect::<Vec<_>>());
}

#[test]
fn open_folder_asks_the_desktop_to_show_it() {
    let mut state = state_with(Vec::new());
    let folder = PathBuf::from("/home/anna/Documents");
    let effects = effects_of!(Effect::Window, window::apply(&mut state, Command::OpenFolder(folder.clone())));
    assert_eq!(effects, [WindowEffect::OpenFolder(folder)]);
}

// The Records screen.

fn lead_field(state: &AppState, kind: FieldKind) -> usize {
    let def = state.current_type().expect("the lead type");
    def.fields.iter().position(|f| f.kind == kind).expect("a field of that kind")
}

#[test]
fn a_new_record_form_is_empty_but_for_created_on_at_the_clock_time() {
    let mut state = state_with(Vec::new());
    let effects = records::apply(&mut state, RecordsCommand::StartAdd, &ctx());
    assert!(effects.is_empty(), "opening a form stores nothing: {effects:?}");
    let editor = state.records.editor.as_ref().expect("the form is open");
    assert_eq!(editor.id, None);
    let created = lead_field(&state, FieldKind::DateTime);
    assert!(editor.inputs[created].starts_with("2026-12-05"), "created on is the clock's day: {:?}", editor.inputs);
    let filled = editor.inputs.iter().filter(|i| !i.is_empty()).count();
    assert_eq!(filled, 1, "only created on is filled: {:?}", editor.inputs);
}

#[test]
fn a_form_with_a_bad_value_is_never_stored_and_says_which_field() {
    let mut state = state_with(Vec::new());
    records::apply(&mut state, RecordsCommand::StartAdd, &ctx());
    let number = lead_field(&state, FieldKind::WholeNumber);
    records::apply(&mut state, RecordsCommand::SetInput { index: number, text: "twelve".into() }, &ctx());
    let effects = records::apply(&mut state, RecordsCommand::Save, &ctx());
    assert!(effects.is_empty(), "nothing is stored: {effects:?}");
    let editor = state.records.editor.as_ref().expect("the form stays open");
    assert!(editor.problems[number].is_some(), "the field is marked: {:?}", editor.problems);
    assert!(editor.save_error.as_deref().is_some_and(|e| e.contains("marked in red")));
}

#[test]
fn saving_a_valid_form_asks_to_store_the_parsed_values() {
    let mut state = state_with(Vec::new());
    records::apply(&mut state, RecordsCommand::StartAdd, &ctx());
    let number = lead_field(&state, FieldKind::WholeNumber);
    records::apply(&mut state, RecordsCommand::SetInput { index: number, text: "12".into() }, &ctx());
    let effects = effects_of!(Effect::Records, records::apply(&mut state, RecordsCommand::Save, &ctx()));
    let [RecordsEffect::Save { record_type, id, values }] = effects.as_slice() else {
        panic!("one save expected: {effects:?}")
    };
    assert_eq!((record_type, *id), (&lead(), None));
    assert_eq!(values[number], Value::WholeNumber(12));
}

#[test]
fn the_same_filter_reads_once_and_sorting_again_flips_the_direction() {
    let mut state = state_with(Vec::new());
    let first =
        effects_of!(Effect::Records, records::apply(&mut state, RecordsCommand::SetFilter("Berlin".into()), &ctx()));
    assert_eq!(first, [RecordsEffect::Refresh]);
    let again = records::apply(&mut state, RecordsCommand::SetFilter("Berlin".into()), &ctx());
    assert!(again.is_empty(), "an unchanged filter reads nothing: {again:?}");
    let city = FieldName::new("city");
    for direction in [SortDirection::Ascending, SortDirection::Descending, SortDirection::Ascending] {
        let effects =
            effects_of!(Effect::Records, records::apply(&mut state, RecordsCommand::SortBy(city.clone()), &ctx()));
        assert_eq!(effects, [RecordsEffect::Refresh]);
        assert_eq!(state.records.query.sort, Some((city.clone(), direction)));
    }
}

#[test]
fn rows_already_fetched_are_not_asked_for_again() {
    let mut state = state_with(Vec::new());
    state.records.rows.insert(RecordId(1), Record { id: RecordId(1), values: Vec::new() });
    let effects = effects_of!(
        Effect::Records,
        records::apply(&mut state, RecordsCommand::FetchRows(vec![RecordId(1), RecordId(2)]), &ctx())
    );
    assert_eq!(effects, [RecordsEffect::FetchRows(vec![RecordId(2)])]);
    let none = records::apply(&mut state, RecordsCommand::FetchRows(vec![RecordId(1)]), &ctx());
    assert!(none.is_empty(), "{none:?}");
}

#[test]
fn editing_a_record_not_loaded_yet_says_so_and_opens_no_form() {
    let mut state = state_with(Vec::new());
    let effects = records::apply(&mut state, RecordsCommand::StartEdit(RecordId(9)), &ctx());
    assert!(
        matches!(effects.as_slice(), [Effect::Notify(NoticeLevel::Error, text)] if text.contains("#9")),
        "{effects:?}"
    );
    assert!(state.records.editor.is_none());
}

#[test]
fn deleting_closes_the_question_and_asks_to_delete_that_record() {
    let mut state = state_with(Vec::new());
    records::apply(&mut state, RecordsCommand::AskDelete(RecordId(3)), &ctx());
    assert!(matches!(&state.dialog, Some(Dialog::ConfirmDeleteRecord { id: RecordId(3), title, .. }) if title == "#3"));
    let delete = RecordsCommand::Delete { record_type: lead(), id: RecordId(3) };
    let effects = effects_of!(Effect::Records, records::apply(&mut state, delete, &ctx()));
    assert_eq!(effects, [RecordsEffect::Delete { record_type: lead(), id: RecordId(3) }]);
    assert!(state.dialog.is_none());
}

#[test]
fn a_new_field_needs_a_name_and_a_choice_field_its_options() {
    let mut state = state_with(Vec::new());
    records::apply(&mut state, RecordsCommand::ShowAddField, &ctx());
    let effects = records::apply(&mut state, RecordsCommand::SubmitAddField, &ctx());
    assert!(effects.is_empty());
    let Some(Dialog::AddField(form)) = &mut state.dialog else { panic!("the field dialog stays open") };
    assert_eq!(form.error.as_deref(), Some("Give the field a name"));
    form.label = "Shoe size".into();
    form.kind = FieldKind::Choice;
    form.choices = " , ".into();
    assert!(records::apply(&mut state, RecordsCommand::SubmitAddField, &ctx()).is_empty());
    let Some(Dialog::AddField(form)) = &mut state.dialog else { panic!("the field dialog stays open") };
    assert_eq!(form.error.as_deref(), Some("A choice field needs at least one option"));
    form.choices = "S, M,L".into();
    let effects = effects_of!(Effect::Records, records::apply(&mut state, RecordsCommand::SubmitAddField, &ctx()));
    let [RecordsEffect::AddField { record_type, field }] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(record_type, &lead());
    assert_eq!((field.name.as_str(), field.choices.clone()), ("shoe_size", vec!["S".into(), "M".into(), "L".into()]));
}

#[test]
fn a_new_record_type_gets_a_name_field_and_a_plural_when_none_is_given() {
    let mut state = state_with(Vec::new());
    records::apply(&mut state, RecordsCommand::ShowAddRecordType, &ctx());
    let Some(Dialog::AddRecordType(form)) = &mut state.dialog else { panic!("the dialog is open") };
    form.label = "Event".into();
    let effects = effects_of!(Effect::Records, records::apply(&mut state, RecordsCommand::SubmitAddRecordType, &ctx()));
    let [RecordsEffect::AddRecordType(def)] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!((def.name.as_str(), def.plural_label.as_str()), ("event", "Events"));
    assert_eq!(def.primary_field.as_str(), "name");
}

// The Segments screen.

fn segment(id: i64, name: &str, status: Status) -> Segment {
    Segment {
        id: SegmentId(id),
        record_type: lead(),
        name: name.to_owned(),
        description: format!("About {name}"),
        status,
        priority: u32::try_from(id).unwrap_or(0),
        conditions: Group::all(NodeId(0)),
        accept_from_other_segments: false,
        rerun_assignment_on_move: false,
        sequence: None,
        created_on: at("2026-01-01T00:00:00Z"),
        modified_on: at("2026-01-01T00:00:00Z"),
    }
}

/// Leads' segments in priority order: Active A, Draft B, Active C, Draft D.
fn segments_state() -> AppState {
    let mut state = state_with(Vec::new());
    let list = vec![
        segment(1, "A", Status::Active),
        segment(2, "B", Status::Draft),
        segment(3, "C", Status::Active),
        segment(4, "D", Status::Draft),
    ];
    if let Some(view) = &mut state.view {
        view.segments.insert(lead(), list);
    }
    state
}

/// What moving segment `id` to `to_index` asks of the runner.
fn moved(state: &mut AppState, id: i64, to_index: usize) -> Vec<SegmentsEffect> {
    let command = SegmentsCommand::Move { id: SegmentId(id), to_index };
    effects_of!(Effect::Segments, segments::apply(state, command, &ctx()))
}

fn ids(list: &[i64]) -> Vec<SegmentId> {
    list.iter().copied().map(SegmentId).collect()
}

#[test]
fn a_move_that_passes_no_other_active_segment_is_stored_at_once() {
    let mut state = segments_state();
    let effects = moved(&mut state, 4, 1);
    assert_eq!(effects, [SegmentsEffect::Reorder { record_type: lead(), order: ids(&[1, 4, 2, 3]) }]);
}

#[test]
fn an_active_segment_passing_another_active_one_shows_the_impact_first() {
    let mut state = segments_state();
    let effects = moved(&mut state, 3, 0);
    let reorder = LifecycleAction::Reorder { record_type: lead(), order: ids(&[3, 1, 2, 4]), moved: SegmentId(3) };
    assert_eq!(effects, [SegmentsEffect::ShowImpact(reorder)]);
}

#[test]
fn a_move_to_where_it_is_or_past_the_end_of_the_list_does_what_it_can() {
    let mut state = segments_state();
    let stay = segments::apply(&mut state, SegmentsCommand::Move { id: SegmentId(2), to_index: 1 }, &ctx());
    assert!(stay.is_empty(), "{stay:?}");
    let effects = moved(&mut state, 2, 99);
    assert_eq!(effects, [SegmentsEffect::Reorder { record_type: lead(), order: ids(&[1, 3, 4, 2]) }]);
}

#[test]
fn a_new_segment_needs_a_name_and_starts_as_a_draft_at_the_clock_time() {
    let mut state = segments_state();
    segments::apply(&mut state, SegmentsCommand::ShowNew, &ctx());
    assert!(segments::apply(&mut state, SegmentsCommand::SubmitForm, &ctx()).is_empty());
    let Some(Dialog::SegmentForm(form)) = &mut state.dialog else { panic!("the form stays open") };
    assert_eq!(form.error.as_deref(), Some("Give the segment a name"));
    form.name = "  Warm leads ".into();
    let effects = effects_of!(Effect::Segments, segments::apply(&mut state, SegmentsCommand::SubmitForm, &ctx()));
    let [SegmentsEffect::Insert { segment, copied: false }] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!((segment.name.as_str(), segment.status, segment.created_on), ("Warm leads", Status::Draft, ctx().now));
    assert_eq!(segment.record_type, lead());
}

#[test]
fn a_copy_keeps_the_conditions_and_options_as_a_new_draft() {
    let mut state = segments_state();
    if let Some(view) = &mut state.view
        && let Some(list) = view.segments.get_mut(&lead())
    {
        list[0].accept_from_other_segments = true;
    }
    segments::apply(&mut state, SegmentsCommand::ShowCopy(SegmentId(1)), &ctx());
    let Some(Dialog::SegmentForm(form)) = &state.dialog else { panic!("the form is open") };
    assert_eq!(form.name, "Copy of A");
    let effects = effects_of!(Effect::Segments, segments::apply(&mut state, SegmentsCommand::SubmitForm, &ctx()));
    let [SegmentsEffect::Insert { segment, copied: true }] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!((segment.name.as_str(), segment.status), ("Copy of A", Status::Draft));
    assert!(segment.accept_from_other_segments);
    assert_eq!(segment.modified_on, ctx().now);
}

#[test]
fn a_copy_of_a_segment_deleted_meanwhile_is_refused_in_the_form() {
    let mut state = segments_state();
    segments::apply(&mut state, SegmentsCommand::ShowCopy(SegmentId(1)), &ctx());
    if let Some(view) = &mut state.view {
        view.segments.insert(lead(), Vec::new());
    }
    assert!(segments::apply(&mut state, SegmentsCommand::SubmitForm, &ctx()).is_empty());
    let Some(Dialog::SegmentForm(form)) = &state.dialog else { panic!("the form stays open") };
    assert_eq!(form.error.as_deref(), Some("The segment to copy no longer exists"));
}

#[test]
fn deleting_asks_first_naming_the_connected_sequence() {
    let mut state = segments_state();
    if let Some(view) = &mut state.view {
        view.sequences.push(sequence(7, "Welcome", Status::Active));
        if let Some(list) = view.segments.get_mut(&lead()) {
            list[1].sequence = Some(SequenceId(7));
        }
    }
    assert!(segments::apply(&mut state, SegmentsCommand::AskDelete(SegmentId(2)), &ctx()).is_empty());
    let Some(Dialog::ConfirmDeleteSegment { name, sequence, .. }) = &state.dialog else { panic!("asks first") };
    assert_eq!((name.as_str(), sequence.as_deref()), ("B", Some("Welcome")));
    let effects =
        effects_of!(Effect::Segments, segments::apply(&mut state, SegmentsCommand::Delete(SegmentId(2)), &ctx()));
    assert_eq!(effects, [SegmentsEffect::Delete(SegmentId(2))]);
    assert!(state.dialog.is_none());
}

#[test]
fn the_export_dialog_offers_a_file_named_after_the_segment_beside_the_workspace() {
    let mut state = segments_state();
    if let Some(view) = &mut state.view {
        view.path = PathBuf::from("/data/work.sqlite");
        if let Some(list) = view.segments.get_mut(&lead()) {
            list[0].name = "EMEA/West: hot".into();
        }
    }
    segments::apply(&mut state, SegmentsCommand::ShowExportMembers(SegmentId(1)), &ctx());
    let Some(Dialog::ExportMembers { text, .. }) = &state.dialog else { panic!("the dialog is open") };
    assert_eq!(text, "/data/EMEA-West- hot members.csv");
    let effects = effects_of!(Effect::Segments, segments::apply(&mut state, SegmentsCommand::SubmitExport, &ctx()));
    assert_eq!(effects, [SegmentsEffect::Export]);
}

#[test]
fn selecting_a_segment_previews_it_and_a_tab_is_read_when_shown() {
    let mut state = segments_state();
    let effects =
        effects_of!(Effect::Segments, segments::apply(&mut state, SegmentsCommand::Select(SegmentId(3)), &ctx()));
    assert_eq!((effects, state.selected_segment), (vec![SegmentsEffect::Preview], Some(SegmentId(3))));
    let effects = effects_of!(
        Effect::Segments,
        segments::apply(&mut state, SegmentsCommand::ShowTab(DetailTab::History), &ctx())
    );
    assert_eq!((effects, state.detail_tab), (vec![SegmentsEffect::ReadTab], DetailTab::History));
}

// The condition builder of the selected segment.

/// Segment 1 selected, with its builder open.
fn builder_state() -> AppState {
    let mut state = segments_state();
    state.selected_segment = Some(SegmentId(1));
    let view = state.view.as_ref().expect("a view");
    state.builder = Some(Builder::new(SegmentId(1), lead(), Group::all(NodeId(0)), &view.schema));
    state
}

fn add_condition() -> ConditionsCommand {
    ConditionsCommand::Edit(BuilderEdit::AddCondition { parent: NodeId(0) })
}

#[test]
fn an_edit_undo_and_redo_each_preview_the_draft_again() {
    let mut state = builder_state();
    let edited = effects_of!(Effect::Conditions, conditions::apply(&mut state, add_condition(), &ctx()));
    assert_eq!(edited, [ConditionsEffect::Preview]);
    assert!(state.builder.as_ref().is_some_and(Builder::is_dirty));
    let undone = effects_of!(Effect::Conditions, conditions::apply(&mut state, ConditionsCommand::Undo, &ctx()));
    assert_eq!(undone, [ConditionsEffect::Preview]);
    assert!(!state.builder.as_ref().is_some_and(Builder::is_dirty));
    let nothing = conditions::apply(&mut state, ConditionsCommand::Undo, &ctx());
    assert!(nothing.is_empty(), "nothing left to undo: {nothing:?}");
    let redone = effects_of!(Effect::Conditions, conditions::apply(&mut state, ConditionsCommand::Redo, &ctx()));
    assert_eq!(redone, [ConditionsEffect::Preview]);
    assert!(state.builder.as_ref().is_some_and(Builder::is_dirty));
}

#[test]
fn save_then_continue_hands_the_held_back_command_to_the_save() {
    let mut state = builder_state();
    conditions::apply(&mut state, add_condition(), &ctx());
    let then = Box::new(Command::Segments(SegmentsCommand::Select(SegmentId(3))));
    state.dialog = Some(Dialog::UnsavedChanges { segment_name: "A".into(), then: then.clone() });
    let effects =
        effects_of!(Effect::Conditions, conditions::apply(&mut state, ConditionsCommand::SaveThenContinue, &ctx()));
    assert_eq!(effects, [ConditionsEffect::Save { then: Some(("A".into(), then)) }]);
    assert!(state.dialog.is_none(), "the question is answered");
}

#[test]
fn discard_then_continue_drops_the_edits_and_carries_on() {
    let mut state = builder_state();
    conditions::apply(&mut state, add_condition(), &ctx());
    let then = Box::new(Command::Quit);
    state.dialog = Some(Dialog::UnsavedChanges { segment_name: "A".into(), then: then.clone() });
    let effects =
        effects_of!(Effect::Conditions, conditions::apply(&mut state, ConditionsCommand::DiscardThenContinue, &ctx()));
    assert_eq!(effects, [ConditionsEffect::Continue(then)]);
    assert!(!state.builder.as_ref().is_some_and(Builder::is_dirty), "the edits are gone");
    let again = conditions::apply(&mut state, ConditionsCommand::DiscardThenContinue, &ctx());
    assert!(again.is_empty(), "without the dialog there is nothing to carry on: {again:?}");
}

#[test]
fn the_preview_sorts_by_a_field_then_flips_and_columns_keep_the_schema_order() {
    let mut state = builder_state();
    let city = FieldName::new("city");
    for descending in [false, true, false] {
        let effects = effects_of!(
            Effect::Conditions,
            conditions::apply(&mut state, ConditionsCommand::SortPreviewBy(city.clone()), &ctx())
        );
        assert_eq!(effects, [ConditionsEffect::Preview]);
        assert_eq!(state.preview.sort, Some((city.clone(), descending)));
    }
    let def = state.current_type().cloned().expect("the lead type");
    let shown = state.preview.columns_for(&def);
    let hidden = def.fields.iter().map(|f| f.name.clone()).find(|f| !shown.contains(f) && *f != def.primary_field);
    let hidden = hidden.expect("a field not shown");
    assert!(conditions::apply(&mut state, ConditionsCommand::TogglePreviewColumn(hidden.clone()), &ctx()).is_empty());
    let columns = state.preview.columns_for(&def);
    assert!(columns.contains(&hidden));
    let positions: Vec<_> = columns.iter().map(|c| def.field_index(c)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "schema order: {columns:?}");
    conditions::apply(&mut state, ConditionsCommand::TogglePreviewColumn(hidden.clone()), &ctx());
    assert_eq!(state.preview.columns_for(&def), shown, "toggling again hides it");
}

mod workspace_settings {
    use super::{Effect, at, ctx, state_with};
    use segment_builder::domain::timing::WorkspaceSettings;
    use segment_builder::state::settings::{self, EvaluationStatus, SettingsCommand, SettingsEffect};

    fn stored() -> WorkspaceSettings {
        WorkspaceSettings { time_zone: "UTC".into(), interval_minutes: 15, nesting_limit: 10 }
    }

    #[test]
    fn opening_the_dialog_reads_the_settings_once_then_shows_them() {
        let mut state = state_with(Vec::new());
        let effects = settings::apply(&mut state, SettingsCommand::Open, &ctx());
        assert_eq!(effects_of!(Effect::Settings, effects), vec![SettingsEffect::ReadThenOpen]);
        assert!(state.settings.form.is_none());
        state.settings.current = Some(("in-memory.sqlite".into(), stored()));
        let effects = settings::apply(&mut state, SettingsCommand::Open, &ctx());
        assert!(effects.is_empty());
        let form = state.settings.form.as_ref().unwrap_or_else(|| panic!("no form"));
        assert_eq!(
            (form.time_zone.as_str(), form.interval_minutes.as_str(), form.nesting_limit.as_str()),
            ("UTC", "15", "10")
        );
    }

    #[test]
    fn a_wrong_setting_is_said_inline_and_nothing_is_written() {
        let check = |interval: &str, nesting: &str, zone: &str, says: &str| {
            let mut state = state_with(Vec::new());
            state.settings.current = Some(("in-memory.sqlite".into(), stored()));
            settings::apply(&mut state, SettingsCommand::Open, &ctx());
            let mut form = state.settings.form.clone().unwrap_or_else(|| panic!("no form"));
            (form.interval_minutes, form.nesting_limit, form.time_zone) =
                (interval.into(), nesting.into(), zone.into());
            settings::apply(&mut state, SettingsCommand::Edit(form), &ctx());
            let effects = settings::apply(&mut state, SettingsCommand::Save, &ctx());
            assert!(effects.is_empty(), "{interval}/{nesting}/{zone} was written");
            let error = state.settings.form.as_ref().and_then(|f| f.error.clone()).unwrap_or_default();
            assert!(error.contains(says), "{error:?} does not say {says:?}");
        };
        check("abc", "10", "UTC", "\"abc\" is not a whole number of minutes");
        check("0", "10", "UTC", "between 1 and 1440 minutes");
        check("15", "0", "UTC", "nesting limit must be between 1 and 64");
        check("15", "10", "Mars/Base", "\"Mars/Base\" is not a known IANA time zone");
    }

    #[test]
    fn saving_writes_the_settings_and_says_whether_the_time_zone_changed() {
        let mut state = state_with(Vec::new());
        state.settings.current = Some(("in-memory.sqlite".into(), stored()));
        for (zone, changed) in [("UTC", false), ("Europe/Berlin", true)] {
            settings::apply(&mut state, SettingsCommand::Open, &ctx());
            let mut form = state.settings.form.clone().unwrap_or_else(|| panic!("no form"));
            form.time_zone = zone.into();
            form.interval_minutes = " 60 ".into();
            settings::apply(&mut state, SettingsCommand::Edit(form), &ctx());
            let effects = settings::apply(&mut state, SettingsCommand::Save, &ctx());
            let wanted = WorkspaceSettings { time_zone: zone.into(), interval_minutes: 60, nesting_limit: 10 };
            assert_eq!(
                effects_of!(Effect::Settings, effects),
                vec![SettingsEffect::Write { settings: wanted, time_zone_changed: changed }]
            );
        }
        settings::apply(&mut state, SettingsCommand::Close, &ctx());
        assert!(state.settings.form.is_none());
    }

    #[test]
    fn a_new_time_zone_shows_what_it_moves_before_it_is_stored() {
        use segment_builder::domain::condition::{Condition, FieldPath, Node, NodeId, Operand, Operator};
        use segment_builder::domain::{Impact, SegmentId, Status};
        use segment_builder::state::Loadable;

        let mut state = state_with(Vec::new());
        state.settings.current = Some(("in-memory.sqlite".into(), stored()));
        // An active segment "last activity today": it reads the clock.
        let mut dated = super::segment(1, "Active today", Status::Active);
        dated.conditions.children.push(Node::Condition(Condition {
            id: NodeId(1),
            path: FieldPath::own("last_activity_on"),
            operator: Operator::Today,
            value: Operand::None,
        }));
        if let Some(view) = &mut state.view {
            view.segments.insert(super::lead(), vec![dated]);
        }
        settings::apply(&mut state, SettingsCommand::Open, &ctx());
        let mut form = state.settings.form.clone().unwrap_or_else(|| panic!("no form"));
        form.time_zone = "America/Los_Angeles".into();
        settings::apply(&mut state, SettingsCommand::Edit(form), &ctx());
        let effects = settings::apply(&mut state, SettingsCommand::Save, &ctx());
        let wanted = WorkspaceSettings { time_zone: "America/Los_Angeles".into(), ..stored() };
        assert_eq!(
            effects_of!(Effect::Settings, effects),
            vec![SettingsEffect::ComputeZoneImpact { settings: wanted.clone(), now: ctx().now }],
            "nothing is stored yet"
        );
        // Not confirmed before the impact is known.
        assert!(settings::apply(&mut state, SettingsCommand::ConfirmZoneChange, &ctx()).is_empty());
        let mut impact = Impact::default();
        impact.leaves.insert(SegmentId(1), 1);
        settings::apply(
            &mut state,
            SettingsCommand::ZoneImpactReady(Ok(vec![(super::lead(), impact.clone())])),
            &ctx(),
        );
        let shown = state.settings.zone_change.as_ref().map(|c| c.impact.clone());
        assert_eq!(shown, Some(Loadable::Ready(vec![(super::lead(), impact)])));
        // Back: nothing stored, the form still open; confirmed: stored with the re-evaluation.
        let mut again = state.settings.zone_change.clone();
        settings::apply(&mut state, SettingsCommand::CancelZoneChange, &ctx());
        assert!(state.settings.zone_change.is_none() && state.settings.form.is_some());
        state.settings.zone_change = again.take();
        let effects = settings::apply(&mut state, SettingsCommand::ConfirmZoneChange, &ctx());
        assert_eq!(
            effects_of!(Effect::Settings, effects),
            vec![SettingsEffect::Write { settings: wanted, time_zone_changed: true }]
        );
    }

    #[test]
    fn an_evaluation_is_due_on_open_then_after_the_interval_or_at_midnight() {
        let path = std::path::Path::new("in-memory.sqlite");
        let zone = jiff::tz::TimeZone::UTC;
        let mut status = EvaluationStatus::default();
        assert!(status.is_due(path, at("2026-12-05T10:00:00Z")), "a workspace just opened is evaluated at once");
        status.started(path.into(), at("2026-12-05T10:00:00Z"));
        assert!(!status.is_due(path, at("2026-12-05T11:00:00Z")), "not while one runs");
        status.finished(at("2026-12-05T10:00:00Z"), Ok(3), 15, &zone);
        assert_eq!(status.last, Some((at("2026-12-05T10:00:00Z"), 3)));
        assert!(!status.is_due(path, at("2026-12-05T10:14:59Z")));
        assert!(status.is_due(path, at("2026-12-05T10:15:00Z")));
        assert!(status.is_due(std::path::Path::new("other.sqlite"), at("2026-12-05T10:01:00Z")), "another workspace");
        status.started(path.into(), at("2026-12-05T23:50:00Z"));
        status.finished(at("2026-12-05T23:50:00Z"), Err("busy".into()), 60, &zone);
        assert_eq!((status.next, status.error.as_deref()), (Some(at("2026-12-06T00:00:00Z")), Some("busy")));
        assert_eq!(status.last, Some((at("2026-12-05T10:00:00Z"), 3)), "a failed evaluation keeps the last good one");
        status.due_now();
        assert!(status.is_due(path, at("2026-12-05T23:51:00Z")));
    }
}

#[test]
fn the_window_is_titled_after_its_workspace() {
    let mut state = AppState::default();
    assert_eq!(state.window_title(), "Segment Builder");
    state = state_with(Vec::new());
    if let Some(view) = &mut state.view {
        view.path = PathBuf::from("/home/anna/Q4 pipeline.sqlite");
    }
    assert_eq!(state.window_title(), "Q4 pipeline — Segment Builder");
}

#[test]
fn exports_are_offered_in_the_last_export_folder() {
    let mut state = segments_state();
    state.export_folder = Some(PathBuf::from("/home/anna/Documents"));
    segments::apply(&mut state, SegmentsCommand::ShowExportRecords, &ctx());
    let Some(Dialog::ExportRecords { text, .. }) = &state.dialog else { panic!("the dialog is open") };
    assert_eq!(text, "/home/anna/Documents/leads.csv");
    segments::apply(&mut state, SegmentsCommand::ShowExportMembers(SegmentId(2)), &ctx());
    let Some(Dialog::ExportMembers { text, .. }) = &state.dialog else { panic!("the dialog is open") };
    assert_eq!(text, "/home/anna/Documents/B members.csv");
}

#[test]
fn a_new_condition_says_nothing_until_touched_or_saved_but_blocks_the_save() {
    let mut state = builder_state();
    conditions::apply(&mut state, add_condition(), &ctx());
    let builder = state.builder.as_ref().expect("builder");
    let new = *builder.fresh.iter().next().expect("the new condition is fresh");
    assert!(builder.problems.contains_key(&new), "it has a problem (no value yet)");
    assert!(builder.shown_problems(new).is_none(), "which is not shown before the user did anything");
    assert!(builder.has_problems(), "it still blocks Save and the preview");

    let effects = conditions::apply(&mut state, ConditionsCommand::Save, &ctx());
    assert!(!effects.is_empty());
    let builder = state.builder.as_ref().expect("builder");
    assert!(builder.shown_problems(new).is_some(), "a save shows it");

    // Another new one, then typed into: its own problems show from then on.
    conditions::apply(&mut state, add_condition(), &ctx());
    let builder = state.builder.as_ref().expect("builder");
    let second = *builder.fresh.iter().next().expect("fresh again");
    let typed =
        BuilderEdit::SetOperand { id: second, operand: segment_builder::domain::Operand::Text("Berlin".into()) };
    conditions::apply(&mut state, ConditionsCommand::Edit(typed), &ctx());
    assert!(!state.builder.as_ref().expect("builder").fresh.contains(&second));
}
