//! Segment membership as a condition through the store and the engine worker on a real
//! file: a segment that others use cannot be deleted (their names say why), renaming keeps
//! the reference, and a change of a segment's members re-evaluates the active segments that
//! name it in the same run.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use segment_builder::cli::PreviewTarget;
use segment_builder::domain::condition::{Condition, FieldPath, Group, Node, NodeId, Operand, Operator};
use segment_builder::domain::describe::{NoNames, WithSegments, describe};
use segment_builder::domain::{
    FieldName, LifecyclePlan, Record, RecordId, RecordTypeName, Segment, SegmentCondition, SegmentId, SegmentTest,
    Status, Value,
};
use segment_builder::store::{StoreError, Workspace};
use segment_builder::worker::NoWaker;
use segment_builder::worker::engine::{EngineResponse, EngineWorker, SavedRecord};
use segment_builder::worker::jobs::{Job, Poll};

fn ty(name: &str) -> RecordTypeName {
    RecordTypeName::new(name)
}

fn now() -> Timestamp {
    "2026-03-10T09:00:00Z".parse().unwrap()
}

fn wait<T: Send + 'static>(job: Job<T>) -> T {
    let started = Instant::now();
    loop {
        match job.poll() {
            Poll::Done(outcome) => return outcome,
            Poll::Lost => panic!("the job {} was lost", job.title),
            Poll::Running(_) => {
                assert!(started.elapsed() < Duration::from_mins(2), "the job {} takes too long", job.title);
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
}

fn one(node: Node) -> Group {
    Group { children: vec![node], ..Group::all(NodeId(0)) }
}

fn country_is(country: &str) -> Group {
    one(Node::Condition(Condition {
        id: NodeId(1),
        path: FieldPath::own("country"),
        operator: Operator::Equals,
        value: Operand::Text(country.to_owned()),
    }))
}

fn account_in(segment: SegmentId) -> Group {
    one(Node::Segment(SegmentCondition {
        id: NodeId(1),
        via: vec![FieldName::new("account")],
        test: SegmentTest::InSegment,
        segment,
    }))
}

/// Accounts Acme (Germany) and Other (France); leads of Acme, of Other, and of none. Draft
/// segments "Strategic accounts" (accounts in Germany) and "Strategic leads" (the account
/// is in segment "Strategic accounts").
struct World {
    _dir: tempfile::TempDir,
    path: PathBuf,
    ws: Workspace,
    leads: [RecordId; 3],
    accounts: [RecordId; 2],
    strategic_accounts: SegmentId,
    strategic_leads: SegmentId,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ws.sqlite");
        let mut ws = Workspace::create(&path).unwrap();
        let record = |ws: &Workspace, type_name: &str, values: &[(&str, Value)]| {
            let def = ws.schema().get(&ty(type_name)).unwrap();
            let mut record = Record::empty(RecordId(0), def);
            for (field, value) in values {
                assert!(record.set(def, field, value.clone()), "{field}");
            }
            record.values
        };
        let text = |s: &str| Value::Text(s.to_owned());
        let acme = record(&ws, "account", &[("name", text("Acme")), ("country", text("Germany"))]);
        let acme = ws.insert_record(&ty("account"), acme).unwrap();
        let other = record(&ws, "account", &[("name", text("Other")), ("country", text("France"))]);
        let other = ws.insert_record(&ty("account"), other).unwrap();
        let mut leads = Vec::new();
        for account in [Some(acme), Some(other), None] {
            let mut values = vec![("topic", text("a topic"))];
            if let Some(account) = account {
                values.push(("account", Value::Lookup(account)));
            }
            let values = record(&ws, "lead", &values);
            leads.push(ws.insert_record(&ty("lead"), values).unwrap());
        }
        let segment = |record_type: &str, name: &str, conditions: Group| Segment {
            id: SegmentId(0),
            record_type: ty(record_type),
            name: name.to_owned(),
            description: String::new(),
            status: Status::Draft,
            priority: 0,
            conditions,
            accept_from_other_segments: false,
            rerun_assignment_on_move: false,
            sequence: None,
            created_on: now(),
            modified_on: now(),
        };
        let strategic_accounts = ws.insert_segment(&segment("account", "Strategic accounts", country_is("Germany")));
        let strategic_accounts = strategic_accounts.unwrap();
        let strategic_leads = segment("lead", "Strategic leads", account_in(strategic_accounts));
        let strategic_leads = ws.insert_segment(&strategic_leads).unwrap();
        Self {
            _dir: dir,
            path,
            ws,
            leads: [leads[0], leads[1], leads[2]],
            accounts: [acme, other],
            strategic_accounts,
            strategic_leads,
        }
    }

    fn start(&self) -> EngineWorker {
        let engine = EngineWorker::start(self.path.clone(), Arc::new(NoWaker));
        let started = Instant::now();
        loop {
            match engine.try_recv() {
                Some(EngineResponse::Ready { .. }) => return engine,
                Some(EngineResponse::Failed(error)) => panic!("the engine failed: {error}"),
                _ => {
                    assert!(started.elapsed() < Duration::from_mins(1), "the engine does not start");
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        }
    }

    fn activate(&self, engine: &EngineWorker, record_type: &str, id: SegmentId) {
        let segments = self.ws.segments(&ty(record_type)).unwrap();
        let plan = LifecyclePlan::activate(ty(record_type), segments, id, now()).unwrap();
        wait(engine.apply(plan)).unwrap();
    }

    fn member_of(&self, record_type: &str, record: RecordId) -> Option<SegmentId> {
        self.ws.membership_of(&ty(record_type), record).unwrap()
    }
}

#[test]
fn activating_a_segment_re_evaluates_the_segments_that_use_it() {
    let world = World::new();
    let engine = world.start();
    world.activate(&engine, "lead", world.strategic_leads);
    assert_eq!(world.member_of("lead", world.leads[0]), None, "no account is a member yet");
    // The accounts join, and in the same run the lead of Acme follows.
    world.activate(&engine, "account", world.strategic_accounts);
    assert_eq!(world.member_of("account", world.accounts[0]), Some(world.strategic_accounts));
    assert_eq!(world.member_of("account", world.accounts[1]), None);
    assert_eq!(world.member_of("lead", world.leads[0]), Some(world.strategic_leads));
    assert_eq!(world.member_of("lead", world.leads[1]), None);
    assert_eq!(world.member_of("lead", world.leads[2]), None);
    // An account saved into the segment: its lead follows in the same run.
    let mut ws = Workspace::open(&world.path).unwrap();
    let before = ws.record(&ty("account"), world.accounts[1]).unwrap().unwrap();
    let def = ws.schema().get(&ty("account")).unwrap().clone();
    let mut after = before.clone();
    assert!(after.set(&def, "country", Value::Text("Germany".into())));
    ws.update_record(&ty("account"), &after).unwrap();
    let saved = SavedRecord { before: Some(before), after };
    let segments = ws.segments(&ty("account")).unwrap();
    wait(engine.records_saved(ty("account"), vec![saved], segments, now())).unwrap();
    assert_eq!(world.member_of("account", world.accounts[1]), Some(world.strategic_accounts));
    assert_eq!(world.member_of("lead", world.leads[1]), Some(world.strategic_leads));
    assert_eq!(world.member_of("lead", world.leads[2]), None);
}

#[test]
fn a_segment_others_use_cannot_be_deleted_and_renaming_keeps_the_reference() {
    let mut world = World::new();
    world.ws.set_segment_status(world.strategic_accounts, Status::Active, now()).unwrap();
    world.ws.set_segment_status(world.strategic_accounts, Status::Inactive, now()).unwrap();
    let before = world.ws.all_segments().unwrap();
    match world.ws.delete_segment(world.strategic_accounts, now()) {
        Err(StoreError::Invalid(message)) => {
            assert!(message.contains("\"Strategic leads\""), "{message}");
            assert!(message.contains("Strategic accounts"), "{message}");
        }
        other => panic!("deleting a used segment: {other:?}"),
    }
    assert_eq!(world.ws.all_segments().unwrap(), before, "nothing changed");
    // Renamed, it is still the one the lead segment names (by id), under its new name.
    let mut renamed = world.ws.segment(world.strategic_accounts).unwrap();
    renamed.name = "Key accounts".to_owned();
    world.ws.update_segment(&renamed).unwrap();
    let leads = world.ws.segment(world.strategic_leads).unwrap();
    assert_eq!(leads.conditions, account_in(world.strategic_accounts));
    let schema = world.ws.schema().clone();
    let segments = world.ws.all_segments().unwrap();
    let names = WithSegments { names: &NoNames, segments: &segments };
    let lines = describe(&leads.conditions, schema.get(&ty("lead")).unwrap(), &schema, &names);
    assert_eq!(lines[1].text, "Account is in segment \"Key accounts\"");
    // Once no segment uses it, it can go.
    let mut leads = leads;
    leads.conditions = Group::all(NodeId(0));
    world.ws.update_segment(&leads).unwrap();
    world.ws.delete_segment(world.strategic_accounts, now()).unwrap();
}

/// `segment-builder apply` evaluates the account segments before the lead segments that
/// name them, so one run settles both.
#[test]
fn one_apply_run_settles_a_segment_and_the_segments_that_use_it() {
    let world = World::new();
    let mut ws = Workspace::open(&world.path).unwrap();
    ws.set_segment_status(world.strategic_accounts, Status::Active, now()).unwrap();
    ws.set_segment_status(world.strategic_leads, Status::Active, now()).unwrap();
    drop(ws);
    segment_builder::cli::apply_command(&world.path, now(), false).unwrap();
    assert_eq!(world.member_of("account", world.accounts[0]), Some(world.strategic_accounts));
    assert_eq!(world.member_of("lead", world.leads[0]), Some(world.strategic_leads));
    assert_eq!(world.member_of("lead", world.leads[1]), None);
}

#[test]
fn a_preview_reads_the_stored_memberships_its_conditions_name_directly_or_through_others() {
    let world = World::new();
    let mut ws = Workspace::open(&world.path).unwrap();
    ws.set_segment_status(world.strategic_accounts, Status::Active, now()).unwrap();
    drop(ws);
    segment_builder::cli::apply_command(&world.path, now(), false).unwrap();
    // Acme moves to France; until the next apply its stored membership stays.
    let mut ws = Workspace::open(&world.path).unwrap();
    let def = ws.schema().get(&ty("account")).unwrap().clone();
    let mut acme = ws.record(&ty("account"), world.accounts[0]).unwrap().unwrap();
    assert!(acme.set(&def, "country", Value::Text("France".to_owned())));
    ws.update_record(&ty("account"), &acme).unwrap();
    drop(ws);
    let preview = |target| segment_builder::cli::preview_command(&world.path, target, now(), 10).unwrap().ids;
    // "The account is in segment Strategic accounts": the stored member, Acme's lead.
    assert_eq!(preview(PreviewTarget::Segment("Strategic leads")), [world.leads[0].0]);
    // A tree that only "matches the conditions of" Strategic leads reads the same memberships.
    let matches = one(Node::Segment(SegmentCondition {
        id: NodeId(1),
        via: Vec::new(),
        test: SegmentTest::MatchesConditions,
        segment: world.strategic_leads,
    }));
    let file = world.path.with_file_name("matches.ron");
    std::fs::write(&file, segment_builder::domain::condition_format::to_ron(&matches)).unwrap();
    assert_eq!(preview(PreviewTarget::Conditions { record_type: "lead", file: &file }), [world.leads[0].0]);
    // Live conditions see the move: no lead's account is in Germany now.
    let live = one(Node::Condition(Condition {
        id: NodeId(1),
        path: FieldPath { via: vec![FieldName::new("account")], field: FieldName::new("country") },
        operator: Operator::Equals,
        value: Operand::Text("Germany".to_owned()),
    }));
    std::fs::write(&file, segment_builder::domain::condition_format::to_ron(&live)).unwrap();
    assert!(preview(PreviewTarget::Conditions { record_type: "lead", file: &file }).is_empty());
}
