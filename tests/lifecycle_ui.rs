//! The segment lifecycle driven like a user: activate (applied to existing records or only
//! from now on), deactivate, delete, save an active segment, options, members, export and
//! history; checked against what was stored and against the reference evaluator.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use std::collections::BTreeSet;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

use segment_builder::app::{App, Dialog};
use segment_builder::domain::{
    EvalContext, Group, NodeId, RecordId, Segment, SegmentHistoryKind, SegmentId, Status, Value,
};
use segment_builder::store::Workspace;
use segment_builder::ui::theme::thousands;

mod common;
use common::harness::*;

/// Creates a draft segment with no conditions (it matches every lead) by clicking.
fn new_segment(harness: &mut Harness<'_, App>, name: &str) -> SegmentId {
    harness.get_by_label("New segment…").click();
    harness.run_steps(4);
    type_into(harness, "Segment name", name);
    harness.get_by_label("Create segment").click();
    settle(harness);
    let selected = harness.state().state().selected_segment().expect("selected");
    assert_eq!(selected.name, name);
    selected.id
}

fn stored(harness: &Harness<'_, App>, id: SegmentId) -> Option<Segment> {
    stored_segments(harness).into_iter().find(|s| s.id == id)
}

fn members_of(harness: &Harness<'_, App>, id: SegmentId) -> BTreeSet<RecordId> {
    let ws = harness.state().workspace().expect("workspace");
    ws.memberships(&lead()).expect("memberships").into_iter().filter(|(_, s)| *s == id).map(|(r, _)| r).collect()
}

fn click(harness: &mut Harness<'_, App>, label: &str) {
    harness.get_by_label(label).click();
    harness.run_steps(3);
}

/// The leads `segment` matches that no active segment above it matches, by the reference
/// evaluator over the stored workspace.
fn reference_joins(harness: &Harness<'_, App>, segment: &Segment) -> BTreeSet<RecordId> {
    let path = harness.state().state().view.as_ref().expect("view").path.clone();
    let (dataset, time_zone) = reference_dataset(&path);
    let ctx = EvalContext::new(segment_builder::clock::now(), time_zone);
    let claimed: BTreeSet<RecordId> = stored_segments(harness)
        .iter()
        .filter(|s| s.priority < segment.priority && s.status == Status::Active)
        .flat_map(|s| dataset.matching(&ctx, &lead(), &s.conditions))
        .collect();
    dataset.matching(&ctx, &lead(), &segment.conditions).into_iter().filter(|r| !claimed.contains(r)).collect()
}

#[test]
fn activating_a_draft_applies_to_existing_records_then_deactivate_keeps_and_delete_asks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, _) = open_demo(&dir);
    let id = new_segment(&mut harness, "Everyone else");
    let segment = stored(&harness, id).expect("stored");
    assert_eq!(segment.status, Status::Draft);
    let expected = reference_joins(&harness, &segment);
    assert!(!expected.is_empty(), "some leads match no active segment");

    // Activate…: the impact dialog reads the engine's numbers, then applies them.
    click(&mut harness, "Activate…");
    run_until(&mut harness, "the impact", impact_ready);
    harness.get_by_label(&format!("{} leads would join", thousands(expected.len() as u64)));
    harness.get_by_label_contains("are claimed by higher-priority segments");
    assert!(harness.get_by_label("Apply to existing records now").accesskit_node().is_selected().unwrap_or(true));
    apply_impact(&mut harness);
    assert_eq!(stored(&harness, id).expect("stored").status, Status::Active);
    assert_eq!(members_of(&harness, id), expected, "the stored members are the reference's");
    let count = harness.state().workspace().expect("workspace").member_count(id).expect("count");
    assert_eq!(count, expected.len() as u64);
    harness.get_by_label(&format!("{} members", thousands(count)));
    // Members no seller owns yet: counted by the engine after the apply, as the store counts.
    let workspace = harness.state().workspace().expect("workspace");
    let def = workspace.schema().get(&lead()).expect("lead").clone();
    let unowned = workspace
        .records_by_id(&lead(), &expected.iter().copied().collect::<Vec<_>>())
        .expect("records")
        .iter()
        .filter(|r| r.get(&def, "owner").is_empty())
        .count() as u64;
    assert!(unowned > 0, "the demo leaves some leads without an owner");
    assert_eq!(workspace.unassigned_counts(&lead()).expect("counts").get(&id).copied(), Some(unowned));
    assert_eq!(harness.state().state().view.as_ref().expect("view").unassigned_counts.get(&id).copied(), Some(unowned));
    harness.get_by_label(&format!("{} unassigned", thousands(unowned)));

    // The History tab shows the status change.
    harness.get_by_label("History").click();
    settle(&mut harness);
    harness.get_by_label("From Draft to Active");

    // Deactivate is immediate and keeps the members; Delete is then offered and asks.
    assert!(harness.get_by_label("Delete…").accesskit_node().is_disabled(), "an active segment cannot be deleted");
    click(&mut harness, "Deactivate");
    settle(&mut harness);
    assert_eq!(stored(&harness, id).expect("stored").status, Status::Inactive);
    assert_eq!(members_of(&harness, id), expected, "deactivating keeps the members");
    harness.get_by_label("From Active to Inactive");
    click(&mut harness, "Delete…");
    harness.get_by_label_contains("\"Everyone else\" will be deleted");
    harness.get_by_label("Connected sequence: none");
    harness.get_by_label_contains("0 assignment rules");
    click(&mut harness, "Delete segment");
    settle(&mut harness);
    assert!(stored(&harness, id).is_none(), "the segment is gone");
    assert!(members_of(&harness, id).is_empty(), "its members left it");
    let history = harness.state().workspace().expect("workspace").segment_history(id).expect("history");
    assert_eq!(history.first().map(|e| e.change.kind), Some(SegmentHistoryKind::Deleted), "{history:?}");
    assert!(harness.query_by_role_and_label(Role::Button, "Everyone else").is_none(), "the list dropped it");
}

#[test]
fn activating_only_from_now_on_touches_no_existing_record() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, _) = open_demo(&dir);
    let id = new_segment(&mut harness, "From now on");
    let before = harness.state().workspace().expect("workspace").memberships(&lead()).expect("memberships");
    click(&mut harness, "Activate…");
    // The numbers move the choice down when they arrive: wait for them first.
    run_until(&mut harness, "the impact", impact_ready);
    click(&mut harness, "Only records created or updated from now on");
    let chosen = match &harness.state().state().dialog {
        Some(Dialog::Impact(dialog)) => dialog.apply_to_existing,
        other => panic!("the impact dialog is open, not {other:?}"),
    };
    assert!(!chosen, "\"from now on\" is chosen");
    apply_impact(&mut harness);
    assert_eq!(stored(&harness, id).expect("stored").status, Status::Active);
    let after = harness.state().workspace().expect("workspace").memberships(&lead()).expect("memberships");
    assert!(after == before, "no membership was written ({} before, {} after)", before.len(), after.len());
}

#[test]
fn a_segment_with_unsaved_conditions_cannot_be_activated() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, _) = open_demo(&dir);
    new_segment(&mut harness, "Half done");
    harness.get_all_by_label("Any").next().expect("the root's Any").click();
    harness.run_steps(3);
    click(&mut harness, "Activate…");
    harness.get_by_label_contains("unsaved changes: save or discard them before activating");
    assert!(harness.query_by_label("Apply").is_none());
    click(&mut harness, "Close");
    assert!(harness.state().state().dialog.is_none());
}

#[test]
fn saving_an_active_segment_shows_the_impact_and_applies_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, segments) = open_demo(&dir);
    let first = &segments[0];
    assert_eq!(first.status, Status::Active);
    harness.get_all_by_label("Any").next().expect("the root's Any").click();
    harness.run_steps(3);
    let edited = harness.state().state().builder.as_ref().expect("builder").draft.clone();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    run_until(&mut harness, "the impact", impact_ready);
    assert!(matches!(harness.state().state().dialog, Some(Dialog::Impact(_))));
    assert_ne!(stored(&harness, first.id).expect("stored").conditions, edited, "nothing is stored before Apply");
    harness.get_by_label_contains("In all:");
    apply_impact(&mut harness);
    let saved = stored(&harness, first.id).expect("stored");
    assert_eq!(saved.conditions, edited);
    assert!(!harness.state().state().builder.as_ref().expect("builder").is_dirty());
    // The top segment wins every lead it matches.
    assert_eq!(members_of(&harness, first.id), reference_joins(&harness, &saved));
}

#[test]
fn the_options_are_checkboxes_that_persist() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, _) = open_demo(&dir);
    let id = new_segment(&mut harness, "Options");
    assert!(harness.get_by_label("Re-run assignment when a record moves in").accesskit_node().is_disabled());
    click(&mut harness, "Accept records from other segments");
    settle(&mut harness);
    let segment = stored(&harness, id).expect("stored");
    assert!(segment.accept_from_other_segments && !segment.rerun_assignment_on_move);
    click(&mut harness, "Re-run assignment when a record moves in");
    settle(&mut harness);
    assert!(stored(&harness, id).expect("stored").rerun_assignment_on_move);
    click(&mut harness, "Accept records from other segments");
    settle(&mut harness);
    let segment = stored(&harness, id).expect("stored");
    assert!(!segment.accept_from_other_segments && !segment.rerun_assignment_on_move);
    harness.get_by_label("History").click();
    settle(&mut harness);
    harness.get_all_by_label_contains("Accept records from other segments: yes").next().expect("an options entry");
}

/// A lead with these values, the others empty.
fn lead_values(ws: &Workspace, values: &[(&str, Value)]) -> Vec<Value> {
    let def = ws.schema().get(&lead()).expect("lead type");
    def.fields
        .iter()
        .map(|f| values.iter().find(|(n, _)| f.name.as_str() == *n).map_or(Value::Empty, |(_, v)| v.clone()))
        .collect()
}

#[test]
fn members_are_listed_saved_records_join_and_export_neutralises_formulas() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "ws.sqlite");
    {
        let mut ws = Workspace::create(&path).expect("create");
        for topic in ["=1+2", "Plain deal"] {
            let values = lead_values(&ws, &[("topic", Value::Text(topic.into()))]);
            ws.insert_record(&lead(), values).expect("insert");
        }
        let now = segment_builder::clock::now();
        let segment = Segment {
            id: SegmentId(0),
            record_type: lead(),
            name: "Every lead".into(),
            description: String::new(),
            status: Status::Draft,
            priority: 0,
            conditions: Group::all(NodeId(0)),
            accept_from_other_segments: false,
            rerun_assignment_on_move: false,
            sequence: None,
            created_on: now,
            modified_on: now,
        };
        ws.insert_segment(&segment).expect("segment");
    }
    let mut harness = open_app(&path);
    let id = harness.state().state().selected_segment.expect("selected");
    click(&mut harness, "Activate…");
    apply_impact(&mut harness);
    assert_eq!(members_of(&harness, id).len(), 2);

    // A lead added on the Records screen joins at once.
    harness.get_by_label("Records").click();
    settle(&mut harness);
    harness.get_by_label("Add lead…").click();
    harness.run_steps(4);
    type_into(&mut harness, "Topic", "@evil");
    harness.get_by_label("Save").click();
    settle(&mut harness);
    assert_eq!(members_of(&harness, id).len(), 3, "the new lead joined");
    assert_eq!(harness.state().state().view.as_ref().expect("view").member_counts.get(&id), Some(&3));

    // The Members tab lists them with why they joined.
    harness.get_by_label("Segments").click();
    settle(&mut harness);
    // The tab (the Details grid also has a "Members" row, drawn after it).
    harness.get_all_by_label("Members").next().expect("the Members tab").click();
    settle(&mut harness);
    // The preview lists the same leads, so the titles show twice.
    let rows = &harness.state().state().members.rows;
    let titles: Vec<&str> = rows.values().map(|r| r.title.as_str()).collect();
    assert_eq!(titles, ["=1+2", "Plain deal", "@evil"]);
    assert!(harness.get_all_by_label("@evil").count() >= 2, "the table shows the new member");
    harness.get_by_label("Record created");
    assert_eq!(harness.get_all_by_label("Activation").count(), 2);

    // Export CSV…: formula cells get a leading quote; no partial file stays behind.
    click(&mut harness, "Export CSV…");
    let target = temp_path(&dir, "members.csv");
    type_into(&mut harness, "CSV file", &target.display().to_string());
    click(&mut harness, "Export");
    settle(&mut harness);
    let text = std::fs::read_to_string(&target).expect("the CSV was written");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().expect("a header").iter().map(str::to_owned).collect();
    let wanted =
        ["Record", "Title", "Email", "Owner", "Segment", "Member since", "Reason", "Moved from", "Sequence", "Step"];
    assert_eq!(header, wanted, "the record's title and email, owner, segment, reason and sequence step");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a CSV row")).collect();
    let titles: Vec<&str> = rows.iter().map(|r| r.get(1).unwrap_or_default()).collect();
    assert_eq!(titles, ["'=1+2", "Plain deal", "'@evil"]);
    let segment_name = harness.state().state().selected_segment().map(|s| s.name.clone()).expect("selected");
    assert!(rows.iter().all(|r| r.get(4) == Some(segment_name.as_str())), "{rows:?}");
    let left: Vec<_> =
        std::fs::read_dir(dir.path()).expect("dir").filter_map(Result::ok).map(|e| e.file_name()).collect();
    assert!(!left.iter().any(|n| n.to_string_lossy().ends_with(".partial")), "{left:?}");

    // A member row opens its record over the segment (the preview's copy is further right).
    let member = harness.get_all_by_label("Plain deal").min_by(|a, b| a.rect().left().total_cmp(&b.rect().left()));
    member.expect("the member row").click();
    harness.run_steps(10);
    let state = harness.state().state();
    assert_eq!(state.screen, segment_builder::state::Screen::Segments);
    let editor = state.records.editor.as_ref().expect("the record form is open");
    let title = editor.inputs.iter().any(|i| i == "Plain deal");
    assert!(title, "the form holds the member: {:?}", editor.inputs);
    click(&mut harness, "Cancel");
    assert!(harness.state().state().records.editor.is_none());
}

#[test]
fn re_evaluate_shows_the_impact_without_the_from_now_on_choice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, segments) = open_demo(&dir);
    let first = &segments[0];
    assert_eq!(harness.state().state().selected_segment, Some(first.id));
    // The demo stores no memberships: re-evaluating the top segment fills it.
    click(&mut harness, "Re-evaluate…");
    run_until(&mut harness, "the impact", impact_ready);
    assert!(harness.query_by_label("Only records created or updated from now on").is_none());
    harness.get_by_label_contains("In all:");
    apply_impact(&mut harness);
    let expected = reference_joins(&harness, first);
    assert_eq!(members_of(&harness, first.id), expected);
    let shown = harness.state().state().view.as_ref().expect("view").member_counts.get(&first.id).copied();
    assert_eq!(shown, Some(expected.len() as u64), "the list's count follows the apply");
}

#[test]
fn a_failed_export_leaves_no_file_behind() {
    use segment_builder::worker::export::{MembersExport, export_members};
    use segment_builder::worker::jobs::Job;

    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "ws.sqlite");
    drop(Workspace::create(&path).expect("create"));
    // The target is a folder: writing succeeds under the temporary name, the rename fails.
    let target = temp_path(&dir, "taken");
    std::fs::create_dir(&target).expect("folder");
    let export = MembersExport {
        workspace: path,
        segment: SegmentId(1),
        record_type: lead(),
        expected: 0,
        target: target.clone(),
        overwrite: segment_builder::worker::export::Overwrite::Replace,
        time_zone: jiff::tz::TimeZone::UTC,
    };
    let (_job, completion) = Job::<()>::pending("export", std::sync::Arc::new(segment_builder::worker::NoWaker));
    let result = export_members(&export, completion.reporter());
    assert!(result.is_err(), "{result:?}");
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.iter().all(|n| !n.ends_with(".partial")), "{names:?}");
    assert!(target.is_dir(), "the target is untouched");
}

/// A segment whose conditions name the top one ("is not in segment <top>") is listed in
/// the impact of re-evaluating the top one, and evaluated again in the same apply: it gets
/// the leads outside the top segment that no other active segment takes.
#[test]
fn re_evaluating_a_segment_re_evaluates_the_segments_that_use_it() {
    use segment_builder::domain::{Node, SegmentCondition, SegmentTest};
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "demo.sqlite");
    let now = segment_builder::clock::now();
    segment_builder::demo::create_demo_workspace(
        &path,
        &segment_builder::demo::DemoSpec::standard(now),
        &mut |_, _| true,
    )
    .expect("demo");
    let mut ws = Workspace::open(&path).expect("open");
    let segments = ws.segments(&lead()).expect("segments");
    let top = segments[0].clone();
    let mut conditions = Group::all(NodeId(0));
    conditions.children.push(Node::Segment(SegmentCondition {
        id: NodeId(1),
        via: Vec::new(),
        test: SegmentTest::NotInSegment,
        segment: top.id,
    }));
    let outside = Segment { id: SegmentId(0), name: "Outside the top".into(), conditions, ..top.clone() };
    let outside = ws.insert_segment(&Segment { status: Status::Draft, ..outside }).expect("segment");
    ws.set_segment_status(outside, Status::Active, now).expect("activate");
    drop(ws);
    let mut harness = open_app(&path);
    assert_eq!(harness.state().state().selected_segment, Some(top.id));

    click(&mut harness, "Re-evaluate…");
    run_until(&mut harness, "the impact", impact_ready);
    harness.get_by_label("Segments that use it are evaluated again in the same run: Outside the top");
    apply_impact(&mut harness);
    let in_top = members_of(&harness, top.id);
    assert_eq!(in_top, reference_joins(&harness, &top));
    let (dataset, time_zone) = reference_dataset(&path);
    let ctx = EvalContext::new(segment_builder::clock::now(), time_zone);
    let others: BTreeSet<RecordId> = stored_segments(&harness)
        .iter()
        .filter(|s| s.status == Status::Active && s.id != top.id && s.id != outside)
        .flat_map(|s| dataset.matching(&ctx, &lead(), &s.conditions))
        .collect();
    let expected: BTreeSet<RecordId> =
        dataset.records(&lead()).map(|r| r.id).filter(|id| !in_top.contains(id) && !others.contains(id)).collect();
    assert!(!expected.is_empty());
    assert_eq!(members_of(&harness, outside), expected);
}

/// Saving new conditions of a draft that an active segment "matches the conditions of"
/// changes who belongs to the active one: the impact is shown first (naming it), and the
/// apply evaluates it again with the draft's new conditions.
#[test]
fn saving_a_draft_that_an_active_segment_matches_shows_and_applies_the_impact() {
    use segment_builder::app::Command;
    use segment_builder::domain::{Node, SegmentCondition, SegmentTest};
    use segment_builder::state::builder::BuilderEdit;
    use segment_builder::state::{ConditionsCommand, SegmentsCommand};
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "demo.sqlite");
    let now = segment_builder::clock::now();
    let spec = segment_builder::demo::DemoSpec::standard(now);
    segment_builder::demo::create_demo_workspace(&path, &spec, &mut |_, _| true).expect("demo");
    let mut ws = Workspace::open(&path).expect("open");
    let segments = ws.segments(&lead()).expect("segments");
    let draft = segments.iter().find(|s| s.status == Status::Draft).expect("a draft in the demo").clone();
    assert!(draft.conditions.children.len() >= 2, "a condition can be removed and one stays");
    let mut conditions = Group::all(NodeId(0));
    conditions.children.push(Node::Segment(SegmentCondition {
        id: NodeId(1),
        via: Vec::new(),
        test: SegmentTest::MatchesConditions,
        segment: draft.id,
    }));
    let user = Segment { id: SegmentId(0), name: "Like the pipeline".into(), conditions, ..draft.clone() };
    let user = ws.insert_segment(&Segment { status: Status::Draft, ..user }).expect("segment");
    ws.set_segment_status(user, Status::Active, now).expect("activate");
    drop(ws);

    let mut harness = open_app(&path);
    harness.state_mut().apply(Command::Segments(SegmentsCommand::Select(draft.id)));
    harness.run_steps(3);
    let removed = draft.conditions.children[0].id();
    harness.state_mut().apply(Command::Conditions(ConditionsCommand::Edit(BuilderEdit::Remove(removed))));
    harness.run_steps(3);
    click(&mut harness, "Save");
    run_until(&mut harness, "the impact", impact_ready);
    harness.get_by_label("Segments that use it are evaluated again in the same run: Like the pipeline");
    apply_impact(&mut harness);

    let stored = stored_segments(&harness);
    let saved = stored.iter().find(|s| s.id == draft.id).expect("the draft");
    assert_eq!(saved.status, Status::Draft);
    assert_eq!(saved.conditions.children.len(), draft.conditions.children.len() - 1, "saved without the condition");
    let (dataset, time_zone) = reference_dataset(&path);
    let ctx = EvalContext::new(segment_builder::clock::now(), time_zone);
    let higher: BTreeSet<RecordId> = stored
        .iter()
        .filter(|s| s.status == Status::Active && s.id != user)
        .flat_map(|s| dataset.matching(&ctx, &lead(), &s.conditions))
        .collect();
    let expected: BTreeSet<RecordId> =
        dataset.matching(&ctx, &lead(), &saved.conditions).into_iter().filter(|id| !higher.contains(id)).collect();
    assert!(!expected.is_empty());
    assert_eq!(members_of(&harness, user), expected, "the active segment follows the draft's new conditions");
}
