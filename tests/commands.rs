//! Command handling without SQLite, threads or sleeps: a screen's pure `apply` changes an
//! `AppState` and returns the effects the runner would carry out. The state here is built
//! by hand; nothing opens a workspace.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use segment_builder::domain::RecordId;
use segment_builder::domain::assignment::{AssignmentRule, RuleId};
use segment_builder::domain::sequence::default_step;
use segment_builder::domain::{
    Group, NodeId, RecordTypeName, Schema, Segment, SegmentId, Sequence, SequenceId, Status, StepKind,
};
use segment_builder::domain::{Seller, SellerId, Team, TeamId};
use segment_builder::interchange::definitions_plan::OnClash;
use segment_builder::state::definitions::{self, DefinitionsCommand, DefinitionsEffect, DefinitionsMode};
use segment_builder::state::effect::{Context, Effect};
use segment_builder::state::import::{self, ImportCommand, ImportEffect};
use segment_builder::state::monitor::{self, ExplainFor, MonitorCommand, MonitorEffect};
use segment_builder::state::rules::{self, RuleForm, RulesCommand, RulesEffect};
use segment_builder::state::sellers::{self, SellersCommand, SellersConfirm, SellersEffect, SellersTab};
use segment_builder::state::sequences::{DraftEdit, SequencesCommand, SequencesEffect, apply};
use segment_builder::state::window::{self, WindowEffect};
use segment_builder::state::{AppState, Screen, WorkspaceView};
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
    let [SequencesEffect::Save { sequence: saved, new: true }] = effects.as_slice() else {
        panic!("expected one new sequence, got {effects:?}")
    };
    assert_eq!((saved.name.as_str(), saved.status, saved.steps.len()), ("Follow up", Status::Draft, 1));
    assert_eq!(saved.modified_on, ctx().now);
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
    assert_eq!(effects_of!(Effect::Rules, effects), vec![RulesEffect::Reorder { segment: SEGMENT, order }]);
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
        vec![RulesEffect::Delete { id: RuleId(1), name: "Germany".to_owned() }]
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
    assert!(sellers::apply(&mut state, one).is_empty());
    let editor = state.sellers.editor.as_ref().unwrap_or_else(|| panic!("no editor"));
    assert_eq!(editor.name, "Grace");
    let both = SellersCommand::SelectSellers { ids: vec![SellerId(1), SellerId(2)], anchor: Some(SellerId(2)) };
    sellers::apply(&mut state, both);
    assert!(state.sellers.editor.is_none());
    assert_eq!(state.sellers.selected.len(), 2);
}

#[test]
fn another_form_is_refused_while_the_open_one_has_unsaved_edits() {
    let mut state = people_state();
    sellers::apply(&mut state, SellersCommand::SelectSellers { ids: vec![SellerId(1)], anchor: None });
    let mut edited = state.sellers.editor.clone().unwrap_or_else(|| panic!("no editor"));
    edited.name = "Ada Lovelace".to_owned();
    sellers::apply(&mut state, SellersCommand::EditSeller(edited));
    let effects = sellers::apply(&mut state, SellersCommand::StartNewTeam);
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
    sellers::apply(&mut state, SellersCommand::StartAddSeller);
    assert_eq!(state.sellers.tab, SellersTab::Sellers);
    let mut editor = state.sellers.editor.clone().unwrap_or_else(|| panic!("no editor"));
    editor.unlimited = false;
    editor.capacity = "many".to_owned();
    sellers::apply(&mut state, SellersCommand::EditSeller(editor));
    assert!(sellers::apply(&mut state, SellersCommand::SaveSeller).is_empty());
    let error = state.sellers.editor.as_ref().and_then(|e| e.error.clone()).unwrap_or_default();
    assert!(error.contains("Capacity \"many\""), "{error}");
    let mut editor = state.sellers.editor.clone().unwrap_or_else(|| panic!("no editor"));
    editor.capacity = "12".to_owned();
    editor.name = "Linus".to_owned();
    editor.email = "linus@example.com".to_owned();
    sellers::apply(&mut state, SellersCommand::EditSeller(editor));
    let effects = effects_of!(Effect::Sellers, sellers::apply(&mut state, SellersCommand::SaveSeller));
    let [SellersEffect::SaveSeller { seller, adding: true }] = effects.as_slice() else {
        panic!("expected one new seller, got {effects:?}")
    };
    assert_eq!((seller.name.as_str(), seller.time_zone.as_str(), seller.capacity), ("Linus", "UTC", Some(12)));
}

#[test]
fn deleting_a_team_asks_first_with_its_size() {
    let mut state = people_state();
    sellers::apply(&mut state, SellersCommand::AskDeleteTeam(TeamId(5)));
    let asked = SellersConfirm::DeleteTeam { id: TeamId(5), name: "North".to_owned(), members: 1 };
    assert_eq!(state.sellers.confirm, Some(asked));
    let effects = sellers::apply(&mut state, SellersCommand::DeleteTeam(TeamId(5)));
    assert_eq!(effects_of!(Effect::Sellers, effects), vec![SellersEffect::DeleteTeam(TeamId(5))]);
    assert_eq!(state.sellers.confirm, None);
}

#[test]
fn opening_the_screen_on_another_workspace_starts_afresh_on_the_same_tab() {
    let mut state = people_state();
    state.sellers.tab = SellersTab::Teams;
    state.sellers.loaded_for = Some(PathBuf::from("other.sqlite"));
    state.sellers.search = "old search".to_owned();
    let effects = sellers::apply(&mut state, SellersCommand::Load);
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
    import::apply(&mut state, ImportCommand::Show);
    assert!(import::apply(&mut state, ImportCommand::Submit).is_empty());
    assert_eq!(import_form(&state).error.as_deref(), Some("Choose a file and read it first"));
    if let Some(Dialog::ImportRecords(form)) = &mut state.dialog {
        form.path = " leads.csv ".to_owned();
    }
    let effects = effects_of!(Effect::Import, import::apply(&mut state, ImportCommand::ReadFile));
    assert_eq!(effects, vec![ImportEffect::ReadStart(PathBuf::from("leads.csv"))]);
    assert_eq!(import_form(&state).error, None);
}

#[test]
fn the_start_of_the_file_maps_its_columns_to_fields() {
    let mut state = state_with(Vec::new());
    import::apply(&mut state, ImportCommand::Show);
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
    import::apply(&mut state, ImportCommand::Show);
    let start = b"Topic\nSecurity renewal\n".to_vec();
    if let Some(Dialog::ImportRecords(form)) = &mut state.dialog {
        form.path = "leads.csv".to_owned();
    }
    import::take_start(&mut state, std::path::Path::new("leads.csv"), Ok(start));
    let effects = effects_of!(Effect::Import, import::apply(&mut state, ImportCommand::Submit));
    assert!(matches!(effects.as_slice(), [ImportEffect::Import { file, .. }] if file == &PathBuf::from("leads.csv")));
    assert!(import_form(&state).progress.is_some());
    assert!(import::apply(&mut state, ImportCommand::Submit).is_empty());
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
        state.notices.push(Notice { id, level: NoticeLevel::Info, text: format!("notice {id}") });
    }
    window::apply(&mut state, Command::DismissNotice(1));
    assert_eq!(state.notices.iter().map(|n| n.id).collect::<Vec<_>>(), vec![2]);
    assert_eq!(effects_of!(Effect::Window, window::apply(&mut state, Command::Quit)), vec![WindowEffect::Quit]);
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
