//! The store side of sequences (issue 6): saving, copying and activating sequences,
//! connecting them to segments, and the enrolments the apply of memberships writes.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use std::path::Path;

use jiff::Timestamp;
use segment_builder::domain::condition::{Condition, FieldPath, Group, Node, NodeId, Operand, Operator};
use segment_builder::domain::sequence::{EndReason, EnrolmentStatus};
use segment_builder::domain::{
    MembershipChange, MembershipChanges, MembershipReason, Record, RecordId, RecordTypeName, Segment, SegmentId,
    Sequence, SequenceId, Status, Step, StepKind, Value,
};
use segment_builder::store::{ApplyOutcome, SCHEMA_VERSION, StoreError, Workspace};

fn lead() -> RecordTypeName {
    RecordTypeName::new("lead")
}

fn now() -> Timestamp {
    "2026-03-10T12:00:00Z".parse().unwrap()
}

fn later() -> Timestamp {
    "2026-03-11T09:30:00Z".parse().unwrap()
}

fn step(kind: StepKind, name: &str, wait_minutes: Option<u32>) -> Step {
    Step { kind, name: name.to_owned(), description: String::new(), wait_minutes }
}

fn sequence(ty: &str, name: &str, steps: Vec<Step>) -> Sequence {
    Sequence {
        id: SequenceId(0),
        record_type: RecordTypeName::new(ty),
        name: name.to_owned(),
        description: String::new(),
        status: Status::Draft,
        steps,
        created_on: now(),
        modified_on: now(),
    }
}

fn welcome() -> Sequence {
    sequence(
        "lead",
        "Welcome",
        vec![
            step(StepKind::ManualEmail, "Hello", None),
            step(StepKind::Wait, "Two days", Some(2 * 1440)),
            step(StepKind::PhoneCall, "Call", None),
        ],
    )
}

fn invalid(result: Result<impl std::fmt::Debug, StoreError>) -> String {
    match result {
        Err(StoreError::Invalid(message)) => message,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

struct World {
    _dir: tempfile::TempDir,
    ws: Workspace,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::create(&dir.path().join("ws.sqlite")).unwrap();
        Self { _dir: dir, ws }
    }

    fn path(&self) -> &Path {
        self.ws.path().unwrap()
    }

    fn lead(&mut self, country: &str) -> RecordId {
        let def = self.ws.schema().get(&lead()).unwrap();
        let mut record = Record::empty(RecordId(0), def);
        assert!(record.set(def, "country", Value::Text(country.to_owned())));
        assert!(record.set(def, "topic", Value::Text(format!("Lead from {country}"))));
        self.ws.insert_record(&lead(), record.values).unwrap()
    }

    /// An active lead segment "country equals …".
    fn segment(&mut self, name: &str, country: &str) -> SegmentId {
        let conditions = Group {
            children: vec![Node::Condition(Condition {
                id: NodeId(1),
                path: FieldPath::own("country"),
                operator: Operator::Equals,
                value: Operand::Text(country.to_owned()),
            })],
            ..Group::all(NodeId(0))
        };
        let segment = Segment {
            id: SegmentId(0),
            record_type: lead(),
            name: name.to_owned(),
            description: String::new(),
            status: Status::Draft,
            priority: 0,
            conditions,
            accept_from_other_segments: true,
            rerun_assignment_on_move: false,
            sequence: None,
            created_on: now(),
            modified_on: now(),
        };
        let id = self.ws.insert_segment(&segment).unwrap();
        self.ws.set_segment_status(id, Status::Active, now()).unwrap();
        id
    }

    fn active_sequence(&mut self, s: Sequence) -> SequenceId {
        let id = self.ws.insert_sequence(&s).unwrap();
        self.ws.set_sequence_status(id, Status::Active, now()).unwrap();
        id
    }

    fn apply(&mut self, changes: Vec<(RecordId, Option<SegmentId>, Option<SegmentId>)>, at: Timestamp) {
        let changes = MembershipChanges {
            record_type: lead(),
            changes: changes
                .into_iter()
                .map(|(record, from, to)| MembershipChange { record, from, to, rerun_assignment: false })
                .collect(),
        };
        let outcome =
            self.ws.apply_membership_changes(&changes, MembershipReason::RecordCreated, at, &mut |_, _| true).unwrap();
        assert!(matches!(outcome, ApplyOutcome::Applied(_)));
    }

    /// (record, sequence, segment, step, status, end reason) of every enrolment of `sequence`,
    /// oldest first.
    fn enrolments(&self, sequence: SequenceId) -> Vec<(RecordId, SegmentId, u32, EnrolmentStatus, Option<EndReason>)> {
        let mut rows: Vec<_> = self
            .ws
            .enrolments(sequence, 0, 1000)
            .unwrap()
            .into_iter()
            .map(|r| {
                let e = r.enrolment;
                (e.record, e.segment, e.step, e.status, e.end_reason)
            })
            .collect();
        rows.reverse();
        rows
    }
}

#[test]
fn joining_a_segment_with_an_active_sequence_enrols_at_the_first_step() {
    let mut w = World::new();
    let germany = w.segment("Germany", "Germany");
    let plain = w.segment("France", "France");
    let welcome = w.active_sequence(welcome());
    w.ws.connect_sequence(germany, welcome, now()).unwrap();
    let a = w.lead("Germany");
    let b = w.lead("France");
    w.apply(vec![(a, None, Some(germany)), (b, None, Some(plain))], now());

    assert_eq!(w.enrolments(welcome), [(a, germany, 0, EnrolmentStatus::Running, None)]);
    let row = w.ws.enrolment_of(&lead(), a).unwrap().unwrap();
    assert_eq!((row.title.as_str(), row.segment_name.as_str()), ("Lead from Germany", "Germany"));
    assert_eq!(row.enrolment.started_at, now());
    assert_eq!(w.ws.enrolment_of(&lead(), b).unwrap(), None);
    let counts = w.ws.enrolment_counts(welcome).unwrap();
    assert_eq!((counts.running, counts.total), (1, 1));
}

#[test]
fn a_move_ends_the_old_enrolment_as_moved_and_starts_the_new_one() {
    let mut w = World::new();
    let germany = w.segment("Germany", "Germany");
    let vip = w.segment("VIP", "VIP");
    let plain = w.segment("Plain", "Plain");
    let welcome = w.active_sequence(welcome());
    let vip_sequence = w.active_sequence(sequence("lead", "VIP care", vec![step(StepKind::PhoneCall, "Call", None)]));
    w.ws.connect_sequence(germany, welcome, now()).unwrap();
    w.ws.connect_sequence(vip, vip_sequence, now()).unwrap();
    let a = w.lead("Germany");
    let b = w.lead("Germany");
    w.apply(vec![(a, None, Some(germany)), (b, None, Some(germany))], now());
    w.apply(vec![(a, Some(germany), Some(vip)), (b, Some(germany), Some(plain))], later());

    assert_eq!(
        w.enrolments(welcome),
        [
            (a, germany, 0, EnrolmentStatus::Ended, Some(EndReason::Moved)),
            (b, germany, 0, EnrolmentStatus::Ended, Some(EndReason::Moved)),
        ],
        "a move ends the enrolment, also into a segment without a sequence"
    );
    assert_eq!(w.enrolments(vip_sequence), [(a, vip, 0, EnrolmentStatus::Running, None)]);
    let current = w.ws.enrolment_of(&lead(), a).unwrap().unwrap().enrolment;
    assert_eq!(
        (current.sequence, current.status, current.started_at),
        (vip_sequence, EnrolmentStatus::Running, later())
    );
    let ended = w.ws.enrolment_of(&lead(), b).unwrap().unwrap().enrolment;
    assert_eq!((ended.status, ended.ended_at), (EnrolmentStatus::Ended, Some(later())));
}

#[test]
fn disconnecting_and_leaving_keep_running_enrolments_and_deactivating_enrols_nobody_new() {
    let mut w = World::new();
    let germany = w.segment("Germany", "Germany");
    let welcome = w.active_sequence(welcome());
    w.ws.connect_sequence(germany, welcome, now()).unwrap();
    let a = w.lead("Germany");
    let b = w.lead("Germany");
    w.apply(vec![(a, None, Some(germany))], now());
    w.ws.disconnect_sequence(germany, now()).unwrap();
    assert_eq!(w.ws.segment(germany).unwrap().sequence, None);
    w.apply(vec![(b, None, Some(germany))], now());
    assert_eq!(w.enrolments(welcome), [(a, germany, 0, EnrolmentStatus::Running, None)]);
    // Leaving the segment leaves the enrolment alone too.
    w.apply(vec![(a, Some(germany), None)], later());
    assert_eq!(w.enrolments(welcome), [(a, germany, 0, EnrolmentStatus::Running, None)]);

    // Connected but inactive: nobody new; the running one stays.
    w.ws.connect_sequence(germany, welcome, now()).unwrap();
    w.ws.set_sequence_status(welcome, Status::Inactive, now()).unwrap();
    w.apply(vec![(b, Some(germany), None)], later());
    w.apply(vec![(b, None, Some(germany))], later());
    assert_eq!(w.enrolments(welcome), [(a, germany, 0, EnrolmentStatus::Running, None)]);
    // Active again: a record joining again is enrolled once more, its old run ended.
    w.ws.set_sequence_status(welcome, Status::Active, now()).unwrap();
    w.apply(vec![(a, None, Some(germany))], later());
    assert_eq!(
        w.enrolments(welcome),
        [
            (a, germany, 0, EnrolmentStatus::Ended, Some(EndReason::Reenrolled)),
            (a, germany, 0, EnrolmentStatus::Running, None),
        ]
    );
}

#[test]
fn a_cancelled_apply_writes_no_enrolment() {
    let mut w = World::new();
    let germany = w.segment("Germany", "Germany");
    let welcome = w.active_sequence(welcome());
    w.ws.connect_sequence(germany, welcome, now()).unwrap();
    let a = w.lead("Germany");
    let changes = MembershipChanges {
        record_type: lead(),
        changes: vec![MembershipChange { record: a, from: None, to: Some(germany), rerun_assignment: false }],
    };
    let outcome =
        w.ws.apply_membership_changes(&changes, MembershipReason::RecordCreated, now(), &mut |_, _| false).unwrap();
    assert_eq!(outcome, ApplyOutcome::Cancelled);
    assert!(w.enrolments(welcome).is_empty());
    assert_eq!(w.ws.membership_of(&lead(), a).unwrap(), None);
}

#[test]
fn refusals_name_what_is_wrong() {
    let mut w = World::new();
    let germany = w.segment("Germany", "Germany");
    let draft = w.ws.insert_sequence(&welcome()).unwrap();
    // Only active sequences connect.
    assert!(invalid(w.ws.connect_sequence(germany, draft, now())).contains("only active sequences can be connected"));
    // A wait is never last; every problem is named with its step.
    let bad = sequence("lead", "Bad", vec![step(StepKind::Task, "", None), step(StepKind::Wait, "Wait", Some(60))]);
    let message = invalid(w.ws.insert_sequence(&bad));
    assert!(message.contains("step 1: Give the step a name"), "{message}");
    assert!(message.contains("step 2: A wait cannot be the last step"), "{message}");
    let long =
        sequence("lead", "Long", vec![step(StepKind::Wait, "Long", Some(31 * 1440)), step(StepKind::Task, "T", None)]);
    assert!(invalid(w.ws.insert_sequence(&long)).contains("at most 30 days"));
    assert!(invalid(w.ws.insert_sequence(&sequence("lead", "Empty", vec![]))).contains("at least one step"));

    w.ws.set_sequence_status(draft, Status::Active, now()).unwrap();
    // An active sequence is not edited.
    let edited = Sequence { id: draft, name: "Renamed".into(), ..welcome() };
    assert!(invalid(w.ws.update_sequence(&edited)).contains("deactivate it"));
    // The lifecycle: an active sequence does not become a draft.
    assert!(invalid(w.ws.set_sequence_status(draft, Status::Draft, now())).contains("cannot become draft"));
    // Another record type.
    let contacts = w.active_sequence(sequence("contact", "Contacts", vec![step(StepKind::Task, "T", None)]));
    assert!(invalid(w.ws.connect_sequence(germany, contacts, now())).contains("contact records"));
    // One sequence per segment.
    w.ws.connect_sequence(germany, draft, now()).unwrap();
    let other = w.active_sequence(sequence("lead", "Other", vec![step(StepKind::Task, "T", None)]));
    assert!(invalid(w.ws.connect_sequence(germany, other, now())).contains("disconnect it first"));
    assert!(invalid(w.ws.connect_sequence(germany, draft, now())).contains("already"));
    w.ws.disconnect_sequence(germany, now()).unwrap();
    assert!(invalid(w.ws.disconnect_sequence(germany, now())).contains("no sequence"));
    assert!(invalid(w.ws.set_sequence_status(SequenceId(999), Status::Active, now())).contains("999"));
}

#[test]
fn sequences_save_copy_and_keep_their_steps_in_order() {
    let mut w = World::new();
    let id = w.ws.insert_sequence(&welcome()).unwrap();
    let mut edited = Sequence { id, name: "Welcome back".into(), description: "Second try".into(), ..welcome() };
    edited.steps.reverse();
    edited.steps.swap(0, 1); // Call, Wait, Hello: the wait is not last.
    edited.modified_on = later();
    w.ws.update_sequence(&edited).unwrap();
    let stored = w.ws.sequences(&lead()).unwrap();
    assert_eq!(stored, [Sequence { created_on: now(), ..edited.clone() }]);
    // A failed save changes nothing.
    let broken = Sequence { steps: vec![step(StepKind::Wait, "Only", Some(5))], ..edited.clone() };
    assert!(w.ws.update_sequence(&broken).is_err());
    assert_eq!(w.ws.sequences(&lead()).unwrap()[0].steps, edited.steps);

    let copy = w.ws.copy_sequence(id, "Copy of Welcome back", later()).unwrap();
    let copied = w.ws.sequences(&lead()).unwrap().into_iter().find(|s| s.id == copy).unwrap();
    assert_eq!((copied.name.as_str(), copied.status), ("Copy of Welcome back", Status::Draft));
    assert_eq!(copied.steps, edited.steps);
}

#[test]
fn a_version_3_workspace_upgrades_to_enrolments() {
    let mut w = World::new();
    let germany = w.segment("Germany", "Germany");
    let welcome = w.active_sequence(welcome());
    w.ws.connect_sequence(germany, welcome, now()).unwrap();
    let path = w.path().to_path_buf();
    let World { _dir, ws } = w;
    drop(ws);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("DROP TABLE enrolment; PRAGMA user_version = 3;").unwrap();
    drop(conn);
    assert!(Workspace::open_reader(&path).is_err(), "a reader needs the upgrade");
    let mut ws = Workspace::open(&path).unwrap();
    let version: i32 = ws_version(&path);
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(ws.segment(germany).unwrap().sequence, Some(welcome));
    let def = ws.schema().get(&lead()).unwrap();
    let mut record = Record::empty(RecordId(0), def);
    assert!(record.set(def, "country", Value::Text("Germany".into())));
    let a = ws.insert_record(&lead(), record.values).unwrap();
    let changes = MembershipChanges {
        record_type: lead(),
        changes: vec![MembershipChange { record: a, from: None, to: Some(germany), rerun_assignment: false }],
    };
    ws.apply_membership_changes(&changes, MembershipReason::RecordCreated, now(), &mut |_, _| true).unwrap();
    assert_eq!(ws.enrolment_counts(welcome).unwrap().running, 1);
}

fn ws_version(path: &Path) -> i32 {
    rusqlite::Connection::open(path).unwrap().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap()
}
