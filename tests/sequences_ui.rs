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
    harness.get_by_label_contains("Enrolment: Welcome, step 1 of 3, Phone call: due since");

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

/// A workspace where two owned leads run a sequence (Call, a day's wait, Task) from
/// `enrolled`, and the app open on it with its clock standing at `now`.
fn work_list_app(dir: &tempfile::TempDir, enrolled: jiff::Timestamp, now: jiff::Timestamp) -> Harness<'static, App> {
    use segment_builder::domain::{MembershipChange, MembershipChanges, MembershipReason, Record, RecordId, Value};

    let (path, segment) = workspace(dir);
    let mut ws = Workspace::open(&path).expect("open");
    let seller = ws
        .insert_seller(&segment_builder::domain::Seller {
            id: segment_builder::domain::SellerId(0),
            name: "Sam".into(),
            email: "sam@example.com".into(),
            time_zone: "UTC".into(),
            attributes: std::collections::BTreeMap::new(),
            capacity: None,
            work_hours: Vec::new(),
            time_off: Vec::new(),
            assign_records: true,
        })
        .expect("seller");
    let step = |kind: StepKind, name: &str, wait_minutes| segment_builder::domain::Step {
        kind,
        name: name.into(),
        description: String::new(),
        wait_minutes,
    };
    let sequence = ws
        .insert_sequence(&Sequence {
            id: segment_builder::domain::SequenceId(0),
            record_type: lead(),
            name: "Follow up".into(),
            description: String::new(),
            status: Status::Draft,
            steps: vec![
                step(StepKind::PhoneCall, "Call", None),
                step(StepKind::Wait, "A day", Some(1440)),
                step(StepKind::Task, "Send the offer", None),
            ],
            options: segment_builder::domain::SequenceOptions::default(),
            created_on: enrolled,
            modified_on: enrolled,
        })
        .expect("sequence");
    ws.set_sequence_status(sequence, Status::Active, enrolled).expect("activate");
    ws.connect_sequence(segment, sequence, enrolled).expect("connect");
    let mut changes = MembershipChanges::new(lead());
    for title in ["Ada's order", "Bea's order"] {
        let def = ws.schema().get(&lead()).expect("lead").clone();
        let mut record = Record::empty(RecordId(0), &def);
        assert!(record.set(&def, "topic", Value::Text(title.into())));
        assert!(record.set(&def, "owner", Value::Owner(seller)));
        let id = ws.insert_record(&lead(), record.values).expect("record");
        changes.changes.push(MembershipChange { record: id, from: None, to: Some(segment), rerun_assignment: false });
    }
    ws.apply_membership_changes(&changes, MembershipReason::RecordCreated, enrolled, &mut |_, _| true).expect("apply");
    drop(ws);
    let clock = std::sync::Arc::new(segment_builder::clock::FixedClock(now));
    let mut harness = harness(App::with_clock(segment_builder::app::Startup::Open(path), Vec::new(), clock));
    run_until(&mut harness, "the workspace to open", |app| app.state().view.is_some());
    settle(&mut harness);
    harness
}

fn work_titles(harness: &Harness<'_, App>) -> Vec<String> {
    let list = harness.state().state().work_list.list.latest().cloned().unwrap_or_default();
    list.items.iter().map(|i| format!("{} {}", i.title, i.step_name)).collect()
}

#[test]
fn the_work_list_marks_done_and_skips_and_the_record_line_follows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let enrolled: jiff::Timestamp = "2026-03-09T09:00:00Z".parse().unwrap();
    let now: jiff::Timestamp = "2026-03-10T09:00:00Z".parse().unwrap();
    let mut harness = work_list_app(&dir, enrolled, now);

    click(&mut harness, "Work list");
    settle(&mut harness);
    assert_eq!(work_titles(&harness), ["Ada's order Call", "Bea's order Call"]);
    harness.get_by_label("2 steps");
    assert_eq!(harness.query_all_by_label_contains("Overdue").count(), 2, "both calls were due yesterday");
    // A row's actions sit side by side on its one line (they were stacked over the next rows).
    let rect = |label: &str| harness.get_by_label(label).rect();
    let (done, skip, open) =
        (rect("Mark done: Ada's order"), rect("Skip: Ada's order"), rect("Open record: Ada's order"));
    assert!((done.center().y - skip.center().y).abs() < 1.0 && (skip.center().y - open.center().y).abs() < 1.0);
    assert!(done.right() <= skip.left() && skip.right() <= open.left(), "{done:?} {skip:?} {open:?}");
    assert!(done.bottom() < rect("Mark done: Bea's order").top(), "within its own row");

    // Mark done with the button: Ada's call is done, her offer waits a day.
    click(&mut harness, "Mark done: Ada's order");
    settle(&mut harness);
    assert_eq!(work_titles(&harness), ["Bea's order Call"]);
    harness.get_by_label("1 step");
    // Skip with the keyboard: the selected row is Bea's.
    assert_eq!(
        harness.state().state().work_list.selected,
        harness.state().state().work_list.list.latest().unwrap().items.first().map(|i| i.enrolment)
    );
    harness.key_press(egui::Key::S);
    harness.run_steps(2);
    settle(&mut harness);
    assert!(work_titles(&harness).is_empty());
    harness.get_by_label("Nothing to do");

    // Everything running, also what waits: both offers, due tomorrow.
    open_combo(&mut harness, "Due now");
    click(&mut harness, "All running");
    settle(&mut harness);
    assert_eq!(work_titles(&harness), ["Ada's order Send the offer", "Bea's order Send the offer"]);
    assert_eq!(harness.query_all_by_label_contains("Waiting").count(), 2);
    // Enter marks the selected (first) one done: the last step, so Ada's enrolment completes.
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    settle(&mut harness);
    assert_eq!(work_titles(&harness), ["Bea's order Send the offer"]);

    // The records' enrolment lines.
    let ws = harness.state().workspace().expect("workspace");
    let ids: Vec<_> = ws.memberships(&lead()).expect("memberships").into_iter().map(|(r, _)| r).collect();
    let ada =
        ids.iter().copied().find(|r| ws.enrolment_of(&lead(), *r).unwrap().unwrap().title == "Ada's order").unwrap();
    let bea = ids.iter().copied().find(|r| *r != ada).unwrap();
    click(&mut harness, "Records");
    settle(&mut harness);
    harness.state_mut().apply(Command::from(RecordsCommand::Select(ada)));
    harness.run_steps(3);
    harness.get_by_label_contains("Enrolment: Follow up, completed");
    harness.state_mut().apply(Command::from(RecordsCommand::Select(bea)));
    harness.run_steps(3);
    harness.get_by_label_contains("Enrolment: Follow up, step 3 of 3, Send the offer: waiting until");
    harness.get_by_label_contains("step 1 skipped");
}

#[test]
fn with_nothing_selected_the_screen_gives_an_overview_and_the_way_to_the_work_list() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, _) = open_demo(&dir);
    harness.get_by_label("Sequences").click();
    harness.run_steps(3);
    settle(&mut harness);
    assert!(harness.state().state().sequences.selected.is_none());
    // Every lead sequence of the demo is listed, with the segments enrolling into it.
    let view = harness.state().state().view.clone().expect("view");
    let lead_sequences: Vec<_> = view.sequences.iter().filter(|s| s.record_type == lead()).collect();
    assert!(!lead_sequences.is_empty(), "the demo has lead sequences");
    harness.get_by_label("Segments enrolling");
    let first = lead_sequences[0];
    let links: Vec<_> = harness.get_all_by_label(&first.name).collect();
    assert!(!links.is_empty());
    harness.get_by_label("Open the Work list").click();
    harness.run_steps(3);
    assert_eq!(harness.state().state().screen, segment_builder::app::Screen::WorkList);
}
