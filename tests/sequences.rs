//! The store side of sequences (issue 6): saving, copying and activating sequences,
//! connecting them to segments, and the enrolments the apply of memberships writes.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;
use segment_builder::domain::condition::{Condition, FieldPath, Group, Node, NodeId, Operand, Operator};
use segment_builder::domain::sequence::{EndReason, EnrolmentState, EnrolmentStatus, StepOutcome, WorkFilter};
use segment_builder::domain::{
    MembershipChange, MembershipChanges, MembershipReason, Record, RecordId, RecordTypeName, Segment, SegmentId,
    Seller, SellerId, Sequence, SequenceId, SequenceOptions, Status, Step, StepKind, Value, WorkPeriod,
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
        options: SequenceOptions::default(),
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

// ----- sequences that run (issue 17) -----

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn seller(name: &str, zone: &str, work_hours: Vec<WorkPeriod>) -> Seller {
    Seller {
        id: SellerId(0),
        name: name.to_owned(),
        email: format!("{}@example.com", name.to_lowercase()),
        time_zone: zone.to_owned(),
        attributes: BTreeMap::new(),
        capacity: None,
        work_hours,
        time_off: Vec::new(),
        assign_records: true,
    }
}

fn office_hours() -> Vec<WorkPeriod> {
    (1..=5).map(|weekday| WorkPeriod { weekday, start_minute: 9 * 60, end_minute: 17 * 60 }).collect()
}

impl World {
    fn owned_lead(&mut self, country: &str, owner: SellerId) -> RecordId {
        let def = self.ws.schema().get(&lead()).unwrap();
        let mut record = Record::empty(RecordId(0), def);
        assert!(record.set(def, "country", Value::Text(country.to_owned())));
        assert!(record.set(def, "topic", Value::Text(format!("Lead of {}", owner.0))));
        assert!(record.set(def, "owner", Value::Owner(owner)));
        self.ws.insert_record(&lead(), record.values).unwrap()
    }

    /// The running enrolment of `record` (its id, step and due time).
    fn running(&self, record: RecordId) -> (i64, u32, Option<Timestamp>) {
        let row = self.ws.enrolment_of(&lead(), record).unwrap().unwrap();
        assert_eq!(row.enrolment.status, EnrolmentStatus::Running, "{row:?}");
        (row.enrolment.id, row.enrolment.step, row.enrolment.due_at)
    }

    fn ended(&self, record: RecordId) -> Option<EndReason> {
        self.ws.enrolment_of(&lead(), record).unwrap().and_then(|r| r.enrolment.end_reason)
    }

    fn due_ids(&self, filter: &WorkFilter, now: Timestamp) -> Vec<i64> {
        self.ws.work_list(filter, now, 100).unwrap().items.iter().map(|i| i.enrolment).collect()
    }
}

fn intro_wait_call(wait_minutes: u32, options: SequenceOptions) -> Sequence {
    Sequence {
        options,
        ..sequence(
            "lead",
            "Intro",
            vec![
                step(StepKind::Task, "Intro", None),
                step(StepKind::Wait, "Pause", Some(wait_minutes)),
                step(StepKind::PhoneCall, "Call", None),
            ],
        )
    }
}

#[test]
fn a_wait_becomes_due_at_the_right_instant_across_a_daylight_saving_change() {
    let mut w = World::new();
    let germany = w.segment("Germany", "Germany");
    let berlin = w.ws.insert_seller(&seller("Berta", "Europe/Berlin", office_hours())).unwrap();
    let calendar = w.active_sequence(intro_wait_call(1440, SequenceOptions::default()));
    w.ws.connect_sequence(germany, calendar, now()).unwrap();
    let a = w.owned_lead("Germany", berlin);
    // Saturday 28 March 2026, 10:00 in Berlin (CET); the clocks go forward that night.
    let saturday = at("2026-03-28T09:00:00Z");
    w.apply(vec![(a, None, Some(germany))], saturday);
    let (id, step, due) = w.running(a);
    assert_eq!((step, due), (0, Some(saturday)), "the first step is due when the record joins");
    w.ws.complete_step(id, StepOutcome::Done, saturday).unwrap();
    // One day later is 10:00 on Sunday in Berlin, now CEST: 23 hours.
    assert_eq!(w.running(a), (id, 2, Some(at("2026-03-29T08:00:00Z"))));
    let filter = WorkFilter { due_before: None, ..WorkFilter::default() };
    assert!(
        w.due_ids(&WorkFilter { due_before: Some(at("2026-03-29T07:59:59Z")), ..filter.clone() }, saturday).is_empty()
    );
    assert_eq!(w.due_ids(&WorkFilter { due_before: Some(at("2026-03-29T08:00:00Z")), ..filter }, saturday), [id]);

    // Counted in working hours: Friday 16:00 CET plus two hours is Monday 10:00 CEST.
    let vip = w.segment("VIP", "VIP");
    let working = w.active_sequence(Sequence {
        name: "Working".into(),
        ..intro_wait_call(120, SequenceOptions { working_hours: true, stop_when_leaving: false })
    });
    w.ws.connect_sequence(vip, working, now()).unwrap();
    let b = w.owned_lead("VIP", berlin);
    let friday = at("2026-03-27T15:00:00Z");
    w.apply(vec![(b, None, Some(vip))], friday);
    let (id, ..) = w.running(b);
    w.ws.complete_step(id, StepOutcome::Done, friday).unwrap();
    assert_eq!(w.running(b), (id, 2, Some(at("2026-03-30T08:00:00Z"))));
}

#[test]
fn completing_and_skipping_advance_and_the_last_step_completes() {
    let mut w = World::new();
    let germany = w.segment("Germany", "Germany");
    let welcome = w.active_sequence(welcome());
    w.ws.connect_sequence(germany, welcome, now()).unwrap();
    let a = w.lead("Germany");
    w.apply(vec![(a, None, Some(germany))], now());
    let (id, ..) = w.running(a);
    w.ws.complete_step(id, StepOutcome::Done, later()).unwrap();
    // Past the two-day wait, from the moment the step was done (no owner: the workspace's zone).
    assert_eq!(w.running(a), (id, 2, Some(at("2026-03-13T09:30:00Z"))));
    let row = w.ws.enrolment_of(&lead(), a).unwrap().unwrap();
    assert_eq!((row.last_outcome, row.step.map(|s| s.name)), (Some((0, StepOutcome::Done)), Some("Call".to_owned())));
    assert!(matches!(row.enrolment.state(later(), true), EnrolmentState::Waiting { .. }));

    let ended = w.ws.complete_step(id, StepOutcome::Skipped, later()).unwrap();
    assert_eq!(
        (ended.status, ended.end_reason, ended.ended_at),
        (EnrolmentStatus::Ended, Some(EndReason::Completed), Some(later()))
    );
    let row = w.ws.enrolment_of(&lead(), a).unwrap().unwrap();
    assert_eq!(row.last_outcome, Some((2, StepOutcome::Skipped)));
    assert_eq!(row.enrolment.state(later(), true), EnrolmentState::Ended { reason: EndReason::Completed, at: later() });
    assert!(invalid(w.ws.complete_step(id, StepOutcome::Done, later())).contains("has ended"));
    assert!(invalid(w.ws.complete_step(9999, StepOutcome::Done, later())).contains("no enrolment with id 9999"));
    let counts = w.ws.enrolment_counts(welcome).unwrap();
    assert_eq!((counts.running, counts.per_step), (0, vec![0, 0, 0]));
}

#[test]
fn leaving_a_segment_stops_or_continues_per_setting() {
    let mut w = World::new();
    let germany = w.segment("Germany", "Germany");
    let france = w.segment("France", "France");
    let stops = w.active_sequence(Sequence {
        name: "Stops".into(),
        options: SequenceOptions { working_hours: false, stop_when_leaving: true },
        ..welcome()
    });
    let keeps = w.active_sequence(welcome());
    w.ws.connect_sequence(germany, stops, now()).unwrap();
    w.ws.connect_sequence(france, keeps, now()).unwrap();
    let a = w.lead("Germany");
    let b = w.lead("France");
    w.apply(vec![(a, None, Some(germany)), (b, None, Some(france))], now());
    w.apply(vec![(a, Some(germany), None), (b, Some(france), None)], later());
    assert_eq!(w.ended(a), Some(EndReason::Left));
    assert_eq!(w.ws.enrolment_of(&lead(), a).unwrap().unwrap().enrolment.ended_at, Some(later()));
    assert_eq!(w.running(b).1, 0, "keeps running after leaving");
    assert_eq!(
        w.due_ids(&WorkFilter { due_before: Some(later()), ..WorkFilter::default() }, later()),
        [w.running(b).0]
    );
}

#[test]
fn an_edited_sequence_carries_its_enrolments_by_step_and_continues_when_reactivated() {
    let mut w = World::new();
    let germany = w.segment("Germany", "Germany");
    let four = sequence(
        "lead",
        "Four",
        vec![
            step(StepKind::Task, "A", None),
            step(StepKind::PhoneCall, "B", None),
            step(StepKind::ManualEmail, "C", None),
            step(StepKind::Task, "D", None),
        ],
    );
    let id = w.active_sequence(four.clone());
    w.ws.connect_sequence(germany, id, now()).unwrap();
    let records: Vec<RecordId> = (0..4).map(|_| w.lead("Germany")).collect();
    w.apply(records.iter().map(|r| (*r, None, Some(germany))).collect(), now());
    // Record i stands on step i.
    for (i, record) in records.iter().enumerate() {
        for _ in 0..i {
            w.ws.complete_step(w.running(*record).0, StepOutcome::Done, now()).unwrap();
        }
    }
    assert_eq!(w.ws.enrolment_counts(id).unwrap().per_step, [1, 1, 1, 1]);

    assert!(invalid(w.ws.update_sequence(&Sequence { id, ..four.clone() })).contains("deactivate"));
    w.ws.set_sequence_status(id, Status::Inactive, later()).unwrap();
    let paused = w.running(records[0]).0;
    assert!(invalid(w.ws.complete_step(paused, StepOutcome::Done, later())).contains("inactive"));
    assert!(w.due_ids(&WorkFilter::default(), later()).is_empty(), "paused enrolments are not on the work list");
    let row = w.ws.enrolment_of(&lead(), records[0]).unwrap().unwrap();
    assert_eq!(row.enrolment.state(later(), row.sequence_active), EnrolmentState::Paused);

    // A new first step X; B removed; C kept; D removed.
    let edited = Sequence {
        id,
        steps: vec![
            step(StepKind::Task, "X", None),
            step(StepKind::Task, "A", None),
            step(StepKind::ManualEmail, "C", None),
        ],
        modified_on: later(),
        ..four
    };
    w.ws.update_sequence_mapped(&edited, &[None, Some(0), Some(2)]).unwrap();
    w.ws.set_sequence_status(id, Status::Active, later()).unwrap();
    let step_name = |w: &World, r: RecordId| w.ws.enrolment_of(&lead(), r).unwrap().unwrap().step.map(|s| s.name);
    assert_eq!(w.running(records[0]).1, 1, "A is followed to its new place");
    assert_eq!(step_name(&w, records[0]).as_deref(), Some("A"));
    assert_eq!(w.running(records[1]).1, 2, "B was removed: skipped to C");
    assert_eq!(w.running(records[2]).1, 2, "C stays C");
    assert_eq!(w.ended(records[3]), Some(EndReason::Completed), "D was removed and nothing follows it");
    assert_eq!(w.ws.enrolment_counts(id).unwrap().per_step, [0, 1, 2]);
    // Running again: due since before, so on the work list; finishing C completes.
    assert_eq!(w.due_ids(&WorkFilter { due_before: Some(later()), ..WorkFilter::default() }, later()).len(), 3);
    let done = w.ws.complete_step(w.running(records[2]).0, StepOutcome::Done, later()).unwrap();
    assert_eq!(done.end_reason, Some(EndReason::Completed));
}

#[test]
fn the_work_list_filters_and_puts_overdue_first() {
    let mut w = World::new();
    let germany = w.segment("Germany", "Germany");
    let one = w.ws.insert_seller(&seller("One", "UTC", Vec::new())).unwrap();
    let two = w.ws.insert_seller(&seller("Two", "UTC", Vec::new())).unwrap();
    let welcome = w.active_sequence(welcome());
    w.ws.connect_sequence(germany, welcome, now()).unwrap();
    let a = w.owned_lead("Germany", one);
    let b = w.owned_lead("Germany", two);
    let c = w.owned_lead("Germany", one);
    w.apply(vec![(a, None, Some(germany))], at("2026-03-08T10:00:00Z"));
    w.apply(vec![(b, None, Some(germany))], now());
    w.apply(vec![(c, None, Some(germany))], later());
    let (ea, eb, ec) = (w.running(a).0, w.running(b).0, w.running(c).0);
    let list = w.ws.work_list(&WorkFilter { due_before: Some(later()), ..WorkFilter::default() }, later(), 10).unwrap();
    assert_eq!(list.total, 3);
    let rows: Vec<(i64, bool, &str, u32)> =
        list.items.iter().map(|i| (i.enrolment, i.overdue, i.step_name.as_str(), i.position)).collect();
    assert_eq!(rows, [(ea, true, "Hello", 0), (eb, true, "Hello", 0), (ec, false, "Hello", 0)]);
    assert_eq!(list.items[0].title, format!("Lead of {}", one.0));
    assert_eq!((list.items[0].owner, list.items[0].steps), (Some(one), 3));
    let by_one = WorkFilter { seller: Some(one), due_before: Some(later()), ..WorkFilter::default() };
    assert_eq!(w.due_ids(&by_one, later()), [ea, ec]);
    let calls = WorkFilter { kind: Some(StepKind::PhoneCall), due_before: None, ..WorkFilter::default() };
    assert!(w.due_ids(&calls, later()).is_empty());
    w.ws.complete_step(ea, StepOutcome::Done, now()).unwrap();
    assert_eq!(w.due_ids(&calls, later()), [ea], "waiting steps show without a due bound");
    assert_eq!(
        w.due_ids(&WorkFilter { sequence: Some(SequenceId(99)), ..WorkFilter::default() }, later()),
        Vec::<i64>::new()
    );
    let limited = w.ws.work_list(&WorkFilter::default(), later(), 1).unwrap();
    assert_eq!((limited.total, limited.items.len()), (3, 1));
}

#[test]
fn an_older_workspace_gets_due_times_and_moves_past_a_leading_wait() {
    let mut w = World::new();
    let germany = w.segment("Germany", "Germany");
    let waits_first = w.active_sequence(sequence(
        "lead",
        "Waits first",
        vec![step(StepKind::Wait, "An hour", Some(60)), step(StepKind::PhoneCall, "Call", None)],
    ));
    w.ws.connect_sequence(germany, waits_first, now()).unwrap();
    let a = w.lead("Germany");
    w.apply(vec![(a, None, Some(germany))], now());
    assert_eq!(w.running(a).1, 1, "enrolled past the leading wait");
    assert_eq!(w.running(a).2, Some(at("2026-03-10T13:00:00Z")));
    // Back to version 7: the enrolment on its first step, without a due time.
    let path = w.path().to_owned();
    drop(w.ws);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        r#"DROP INDEX "ix:enrolment:due_at";
           DROP TABLE enrolment_step;
           ALTER TABLE enrolment DROP COLUMN due_at;
           ALTER TABLE sequence DROP COLUMN working_hours;
           ALTER TABLE sequence DROP COLUMN stop_when_leaving;
           UPDATE enrolment SET step = 0;
           PRAGMA user_version = 7;"#,
    )
    .unwrap();
    drop(conn);
    let ws = Workspace::open(&path).unwrap();
    let row = ws.enrolment_of(&lead(), a).unwrap().unwrap();
    assert_eq!((row.enrolment.step, row.enrolment.due_at), (1, Some(at("2026-03-10T13:00:00Z"))));
    assert_eq!(ws.sequences(&lead()).unwrap()[0].options, SequenceOptions::default());
    let version: i32 =
        rusqlite::Connection::open(&path).unwrap().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}
