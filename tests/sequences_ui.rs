//! Sequences driven like a user: build a sequence by clicking, activate it, connect it to
//! an active segment from the segment's Sequence tab, add a lead that joins the segment and
//! find its enrolment on the sequence screen, on the Records screen and in the store.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use segment_builder::state::RecordsCommand;
use segment_builder::state::SegmentsCommand;

use segment_builder::app::{App, Command};
use segment_builder::domain::sequence::EnrolmentStatus;
use segment_builder::domain::{Group, NodeId, Segment, SegmentId, Sequence, Status, StepKind};
use segment_builder::store::Workspace;

mod common;
use common::harness::*;

fn click(harness: &mut Harness<'_, App>, label: &str) {
    harness.get_by_label(label).click();
    harness.run_steps(3);
}

/// Opens "Add step" and picks `kind`.
fn add_step(harness: &mut Harness<'_, App>, kind: StepKind) {
    click(harness, "Add step");
    click(harness, &kind.to_string());
}

fn stored_sequences(harness: &Harness<'_, App>) -> Vec<Sequence> {
    harness.state().workspace().expect("workspace").sequences(&lead()).expect("sequences")
}

/// A workspace with one active lead segment that every lead matches, and no leads.
fn workspace(dir: &tempfile::TempDir) -> (std::path::PathBuf, SegmentId) {
    let path = temp_path(dir, "ws.sqlite");
    let mut ws = Workspace::create(&path).expect("create");
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
    let id = ws.insert_segment(&segment).expect("segment");
    ws.set_segment_status(id, Status::Active, now).expect("activate");
    (path, id)
}

#[test]
fn connect_a_sequence_and_see_the_enrolment() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, segment) = workspace(&dir);
    let mut harness = open_app(&path);

    // Build the sequence by clicking.
    click(&mut harness, "Sequences");
    harness.get_by_label_contains("No lead sequences yet");
    click(&mut harness, "New sequence…");
    type_into(&mut harness, "Sequence name", "Welcome");
    add_step(&mut harness, StepKind::PhoneCall);
    add_step(&mut harness, StepKind::Wait);
    add_step(&mut harness, StepKind::Task);
    type_into(&mut harness, "Step 3 name", "Send the brochure");
    click(&mut harness, "Save");
    settle(&mut harness);
    let sequences = stored_sequences(&harness);
    assert_eq!(sequences.len(), 1, "{:?}", harness.state().state().notices);
    let sequence = &sequences[0];
    let kinds: Vec<StepKind> = sequence.steps.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, [StepKind::PhoneCall, StepKind::Wait, StepKind::Task]);
    assert_eq!(sequence.steps[1].wait_minutes, Some(24 * 60), "a new wait waits one day");
    assert_eq!(sequence.steps[2].name, "Send the brochure");
    assert_eq!(sequence.status, Status::Draft);
    let id = sequence.id;

    click(&mut harness, "Activate");
    assert_eq!(stored_sequences(&harness)[0].status, Status::Active);

    // Connect it from the segment's Sequence tab.
    click(&mut harness, "Segments");
    settle(&mut harness);
    harness.state_mut().apply(Command::Segments(SegmentsCommand::Select(segment)));
    harness.run_steps(3);
    click(&mut harness, "Sequence");
    open_combo(&mut harness, "Pick an active sequence");
    click(&mut harness, "Welcome");
    settle(&mut harness);
    let stored = harness.state().workspace().expect("workspace").segment(segment).expect("segment");
    assert_eq!(stored.sequence, Some(id));
    harness.get_by_label("Disconnect");
    harness.get_by_label_contains("Send the brochure");

    // A lead added on the Records screen joins the segment and is enrolled.
    click(&mut harness, "Records");
    settle(&mut harness);
    click(&mut harness, "Add lead…");
    harness.run_steps(4);
    type_into(&mut harness, "Topic", "Ada's order");
    click(&mut harness, "Save");
    settle(&mut harness);
    let ws = harness.state().workspace().expect("workspace");
    let (record, joined) = ws.memberships(&lead()).expect("memberships")[0];
    assert_eq!(joined, segment);
    let enrolment = ws.enrolment_of(&lead(), record).expect("enrolment").expect("enrolled");
    assert_eq!((enrolment.enrolment.sequence, enrolment.enrolment.segment, enrolment.enrolment.step), (id, segment, 0));
    assert_eq!(enrolment.enrolment.status, EnrolmentStatus::Running);
    harness.state_mut().apply(Command::from(RecordsCommand::Select(record)));
    harness.run_steps(3);
    harness.get_by_label_contains("Enrolment: Welcome, at 1. Phone call, running since");

    // The sequence screen lists it.
    click(&mut harness, "Sequences");
    settle(&mut harness);
    let list = harness.state().state().sequences.enrolments.clone().expect("enrolments");
    assert_eq!((list.counts.running, list.counts.total), (1, 1));
    assert_eq!(list.rows[0].title, "Ada's order");
    harness.get_by_label("Ada's order");
    harness.get_by_label("1 running, 1 in all");
    harness.get_by_label("Disconnect Every lead");
}

#[test]
fn a_wait_as_the_last_step_is_refused_inline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, _) = workspace(&dir);
    let mut harness = open_app(&path);
    click(&mut harness, "Sequences");
    click(&mut harness, "New sequence…");
    harness.get_by_label("Give the sequence a name");
    harness.get_by_label("Add at least one step");
    assert!(harness.get_by_label("Save").accesskit_node().is_disabled());
    type_into(&mut harness, "Sequence name", "Slow");
    add_step(&mut harness, StepKind::Task);
    assert!(!harness.get_by_label("Save").accesskit_node().is_disabled(), "a task alone is fine");
    add_step(&mut harness, StepKind::Wait);
    harness.get_by_label("A wait cannot be the last step; add a step after it");
    assert!(harness.get_by_label("Save").accesskit_node().is_disabled());
    click(&mut harness, "Save");
    assert!(stored_sequences(&harness).is_empty(), "nothing is saved");
    // Removing the wait makes it valid again.
    click(&mut harness, "Remove step 2");
    assert!(harness.query_by_label("A wait cannot be the last step; add a step after it").is_none());
    click(&mut harness, "Save");
    settle(&mut harness);
    assert_eq!(stored_sequences(&harness).len(), 1);
}
