//! Segment lifecycle and membership, one scenario per rule of BRIEF.md ("Priority and
//! membership", "Lifecycle"), through the engine worker and the store on real files.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use segment_builder::domain::condition::{Condition, FieldPath, Group, Node, NodeId, Operand, Operator};
use segment_builder::domain::{
    EventKind, Impact, LifecyclePlan, MembershipChange, MembershipChanges, MembershipReason, Record, RecordId,
    RecordTypeName, Segment, SegmentEdit, SegmentHistoryKind, SegmentId, Status, Value,
};
use segment_builder::engine::EngineError;
use segment_builder::store::{APPLICATION_ID, ApplyOutcome, SCHEMA_VERSION, SegmentOptions, StoreError, Workspace};
use segment_builder::worker::NoWaker;
use segment_builder::worker::engine::{
    Applied, EngineRequest, EngineResponse, EngineWorker, Lifecycle, SavedRecord, load_memberships, load_snapshot,
};
use segment_builder::worker::jobs::{Job, Poll};

fn lead_type() -> RecordTypeName {
    RecordTypeName::new("lead")
}

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn now() -> Timestamp {
    ts("2026-03-10T12:00:00Z")
}

fn country_is(country: &str) -> Group {
    Group {
        children: vec![Node::Condition(Condition {
            id: NodeId(1),
            path: FieldPath::own("country"),
            operator: Operator::Equals,
            value: Operand::Text(country.to_owned()),
        })],
        ..Group::all(NodeId(0))
    }
}

/// Waits for a job's answer.
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

/// A workspace file with a writer connection, and the engine worker once started.
struct World {
    _dir: tempfile::TempDir,
    path: PathBuf,
    ws: Workspace,
    engine: Option<EngineWorker>,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ws.sqlite");
        let ws = Workspace::create(&path).unwrap();
        Self { _dir: dir, path, ws, engine: None }
    }

    fn values(&self, country: &str, topic: &str) -> Vec<Value> {
        let def = self.ws.schema().get(&lead_type()).unwrap();
        let mut record = Record::empty(RecordId(0), def);
        assert!(record.set(def, "country", Value::Text(country.to_owned())));
        assert!(record.set(def, "topic", Value::Text(topic.to_owned())));
        record.values
    }

    /// A lead stored before the engine starts (the engine loads it).
    fn lead(&mut self, country: &str) -> RecordId {
        let values = self.values(country, "a topic");
        self.ws.insert_record(&lead_type(), values).unwrap()
    }

    /// A draft segment "country equals …" at the bottom of the priority order.
    fn segment(&mut self, name: &str, country: &str, accepts: bool) -> SegmentId {
        let segment = Segment {
            id: SegmentId(0),
            record_type: lead_type(),
            name: name.to_owned(),
            description: String::new(),
            status: Status::Draft,
            priority: 0,
            conditions: country_is(country),
            accept_from_other_segments: accepts,
            rerun_assignment_on_move: accepts,
            sequence: None,
            created_on: now(),
            modified_on: now(),
        };
        self.ws.insert_segment(&segment).unwrap()
    }

    fn start(&mut self) {
        let engine = EngineWorker::start(self.path.clone(), Arc::new(NoWaker));
        let started = Instant::now();
        loop {
            match engine.try_recv() {
                Some(EngineResponse::Ready { .. }) => break,
                Some(EngineResponse::Failed(error)) => panic!("the engine failed: {error}"),
                _ => {
                    assert!(started.elapsed() < Duration::from_mins(1), "the engine does not start");
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        }
        self.engine = Some(engine);
    }

    fn engine(&self) -> &EngineWorker {
        self.engine.as_ref().expect("the engine is started")
    }

    fn segments(&self) -> Vec<Segment> {
        self.ws.segments(&lead_type()).unwrap()
    }

    fn apply(&self, plan: LifecyclePlan) -> Applied {
        wait(self.engine().apply(plan)).unwrap_or_else(|e| panic!("apply failed: {e}"))
    }

    fn impact(&self, plan: LifecyclePlan) -> Impact {
        wait(self.engine().impact(plan)).unwrap_or_else(|e| panic!("impact failed: {e}")).impact
    }

    fn activate(&self, id: SegmentId) -> Applied {
        self.apply(LifecyclePlan::activate(lead_type(), self.segments(), id, now()).unwrap())
    }

    fn member_of(&self, record: RecordId) -> Option<SegmentId> {
        self.ws.membership_of(&lead_type(), record).unwrap()
    }

    /// Creates a lead through the store and tells the engine, as the Records screen does.
    fn create_lead(&mut self, country: &str) -> (RecordId, Applied) {
        let values = self.values(country, "new");
        let id = self.ws.insert_record(&lead_type(), values.clone()).unwrap();
        let saved = SavedRecord { before: None, after: Record { id, values } };
        let applied = wait(self.engine().records_saved(lead_type(), vec![saved], self.segments(), now())).unwrap();
        (id, applied)
    }

    /// Updates a lead through the store and tells the engine, with `segments` as the app
    /// knows them.
    fn update_lead(&mut self, id: RecordId, country: &str, topic: &str, segments: Vec<Segment>) -> Applied {
        let before = self.ws.record(&lead_type(), id).unwrap().unwrap();
        let after = Record { id, values: self.values(country, topic) };
        self.ws.update_record(&lead_type(), &after).unwrap();
        let saved = SavedRecord { before: Some(before), after };
        wait(self.engine().records_saved(lead_type(), vec![saved], segments, now())).unwrap()
    }

    fn history_kinds(&self, record: RecordId) -> Vec<(EventKind, Option<String>, Option<String>, MembershipReason)> {
        self.ws
            .membership_history(&lead_type(), record)
            .unwrap()
            .into_iter()
            .map(|e| (e.kind, e.from.map(|s| s.name), e.to.map(|s| s.name), e.reason))
            .collect()
    }
}

fn applied_impact(applied: &Applied) -> &Impact {
    match &applied.outcome {
        ApplyOutcome::Applied(impact) => impact,
        ApplyOutcome::Cancelled => panic!("the apply was cancelled"),
    }
}

#[test]
fn a_record_matching_two_active_segments_joins_the_higher_one() {
    let mut world = World::new();
    let high = world.segment("Germany first", "Germany", false);
    let low = world.segment("Germany too", "Germany", false);
    let german = world.lead("Germany");
    world.start();
    // Activating the lower one first puts the lead there…
    world.ws.set_segment_status(high, Status::Active, now()).unwrap();
    let applied = world.activate(low);
    assert_eq!(applied_impact(&applied).join_count(), 0, "the higher segment wins the lead, it does not join");
    assert_eq!(applied_impact(&applied).claimed_by_higher, 1);
    assert_eq!(world.member_of(german), None, "the higher segment was activated from now on only");
    // …and a new record matching both joins the higher one.
    let (created, applied) = world.create_lead("Germany");
    assert_eq!(world.member_of(created), Some(high));
    assert_eq!(applied_impact(&applied).joins.get(&high), Some(&1));
    assert_eq!(
        world.history_kinds(created),
        [(EventKind::Join, None, Some("Germany first".into()), MembershipReason::RecordCreated)]
    );
}

#[test]
fn a_member_stays_put_when_a_higher_segment_appears() {
    let mut world = World::new();
    let low = world.segment("Low", "Germany", false);
    let german = world.lead("Germany");
    world.start();
    world.activate(low);
    assert_eq!(world.member_of(german), Some(low));
    let high = world.segment("High", "Germany", false);
    let order = vec![high, low];
    world.apply(LifecyclePlan::reorder(lead_type(), world.segments(), order, now()).unwrap());
    let impact = world.impact(LifecyclePlan::activate(lead_type(), world.segments(), high, now()).unwrap());
    assert!(impact.is_empty(), "{impact:?}");
    assert_eq!(impact.claimed_by_higher, 0);
    world.activate(high);
    assert_eq!(world.member_of(german), Some(low), "a segment that does not accept records from others takes none");
}

#[test]
fn a_member_moves_to_a_higher_segment_that_accepts_records_from_others() {
    let mut world = World::new();
    let low = world.segment("Low", "Germany", false);
    let german = world.lead("Germany");
    let french = world.lead("France");
    world.start();
    world.activate(low);
    let high = world.segment("High", "Germany", true);
    world.apply(LifecyclePlan::reorder(lead_type(), world.segments(), vec![high, low], now()).unwrap());
    let impact = world.impact(LifecyclePlan::activate(lead_type(), world.segments(), high, now()).unwrap());
    assert_eq!(impact.moves_into(high), vec![(low, 1)]);
    assert_eq!((impact.join_count(), impact.leave_count()), (0, 0));
    let applied = world.activate(high);
    assert_eq!(applied_impact(&applied).moves_into(high), vec![(low, 1)]);
    assert_eq!(applied.member_counts.get(&high), Some(&1));
    assert_eq!((world.member_of(german), world.member_of(french)), (Some(high), None));
    let members = world.ws.members(high, 0, 10).unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].moved_from.as_ref().map(|s| s.name.as_str()), Some("Low"));
    assert_eq!((members[0].since, members[0].reason), (now(), MembershipReason::Activation));
    assert_eq!(
        world.history_kinds(german),
        [
            (EventKind::Join, None, Some("Low".into()), MembershipReason::Activation),
            (EventKind::Move, Some("Low".into()), Some("High".into()), MembershipReason::Activation),
        ]
    );
}

#[test]
fn a_priority_change_moves_members_up_into_accepting_segments_only() {
    let mut world = World::new();
    let first = world.segment("First", "Germany", false);
    let second = world.segment("Second", "Germany", true);
    let german = world.lead("Germany");
    let stray = world.lead("Spain");
    world.start();
    world.activate(first);
    world.activate(second);
    assert_eq!(world.member_of(german), Some(first));
    let spain = world.segment("Spain", "Spain", false);
    world.ws.set_segment_status(spain, Status::Active, now()).unwrap();
    let plan = LifecyclePlan::reorder(lead_type(), world.segments(), vec![second, first, spain], now()).unwrap();
    let impact = world.impact(plan.clone());
    assert_eq!(impact.moves_into(second), vec![(first, 1)]);
    assert_eq!(impact.join_count(), 0, "a priority change adds no one, even a record that matches");
    world.apply(plan);
    assert_eq!((world.member_of(german), world.member_of(stray)), (Some(second), None));
    let history = world.ws.segment_history(second).unwrap();
    // Newest first: what the move did, then the priority change itself.
    assert_eq!(history[0].change.kind, SegmentHistoryKind::Evaluated);
    assert_eq!(history[0].change.after, "1 member: 1 moved in from other segments (re-evaluation)");
    assert_eq!(history[1].change.kind, SegmentHistoryKind::Priority);
    assert_eq!((history[1].change.before.as_str(), history[1].change.after.as_str()), ("2", "1"));
    let first_history = world.ws.segment_history(first).unwrap();
    assert_eq!(first_history[0].change.after, "0 members: 1 moved to other segments (re-evaluation)");
}

#[test]
fn deactivating_keeps_members_and_adds_none() {
    let mut world = World::new();
    let germany = world.segment("Germany", "Germany", false);
    let german = world.lead("Germany");
    world.start();
    world.activate(germany);
    world.ws.set_segment_status(germany, Status::Inactive, now()).unwrap();
    assert_eq!(world.member_of(german), Some(germany));
    let (created, applied) = world.create_lead("Germany");
    assert_eq!(world.member_of(created), None);
    assert!(applied_impact(&applied).is_empty());
    // A member that no longer matches an inactive segment is kept too.
    let segments = world.segments();
    world.update_lead(german, "France", "a topic", segments);
    assert_eq!(world.member_of(german), Some(germany));
    let applied = world.apply(LifecyclePlan::reevaluate_all(lead_type(), world.segments(), now()));
    assert!(applied_impact(&applied).is_empty());
    assert_eq!(world.ws.member_count(germany).unwrap(), 1);
}

#[test]
fn only_from_now_on_touches_no_existing_record() {
    let mut world = World::new();
    let germany = world.segment("Germany", "Germany", false);
    let german = world.lead("Germany");
    world.start();
    world.ws.set_segment_status(germany, Status::Active, now()).unwrap();
    assert_eq!(world.member_of(german), None);
    assert!(world.history_kinds(german).is_empty());
    let (created, _) = world.create_lead("Germany");
    assert_eq!(world.member_of(created), Some(germany));
    // Updating the old record evaluates it (its country is used and changed).
    let segments = world.segments();
    world.update_lead(german, "germany", "a topic", segments);
    assert_eq!(world.member_of(german), Some(germany));
}

#[test]
fn an_update_of_an_unused_field_changes_nothing() {
    let mut world = World::new();
    let germany = world.segment("Germany", "Germany", false);
    let german = world.lead("Germany");
    world.start();
    world.activate(germany);
    let history = world.history_kinds(german);
    // The app's copy of the segments says "France" now: a used field change would make the
    // lead leave; the topic is not used, so the lead is not even evaluated.
    let mut stale = world.segments();
    stale[0].conditions = country_is("France");
    let applied = world.update_lead(german, "Germany", "another topic", stale.clone());
    assert!(applied_impact(&applied).is_empty());
    assert_eq!(world.member_of(german), Some(germany));
    assert_eq!(world.history_kinds(german), history);
    // A used field: evaluated at once.
    let france = world.segment("France", "France", false);
    world.activate(france);
    let applied = world.update_lead(german, "France", "another topic", world.segments());
    assert_eq!(applied_impact(&applied).moves_into(france), vec![(germany, 1)]);
    assert_eq!(world.member_of(german), Some(france));
    assert_eq!(
        world.history_kinds(german).last(),
        Some(&(EventKind::Move, Some("Germany".into()), Some("France".into()), MembershipReason::RecordUpdated))
    );
}

#[test]
fn saving_an_active_segment_shows_and_applies_leaves_and_joins() {
    let mut world = World::new();
    let segment = world.segment("Europe", "Germany", false);
    let german = world.lead("Germany");
    let french = world.lead("France");
    world.start();
    world.activate(segment);
    let mut edited = world.ws.segment(segment).unwrap();
    edited.conditions = country_is("France");
    edited.modified_on = now();
    let plan = LifecyclePlan::save(lead_type(), world.segments(), edited, now()).unwrap();
    let impact = world.impact(plan.clone());
    assert_eq!((impact.leaves.get(&segment), impact.joins.get(&segment)), (Some(&1), Some(&1)));
    world.apply(plan);
    assert_eq!((world.member_of(german), world.member_of(french)), (None, Some(segment)));
    assert_eq!(
        world.history_kinds(german).last(),
        Some(&(EventKind::Leave, Some("Europe".into()), None, MembershipReason::Reevaluation))
    );
    // The segment's history says what the re-evaluation did, after the conditions' change.
    let history = world.ws.segment_history(segment).unwrap();
    let kinds: Vec<_> = history.iter().map(|e| e.change.kind).collect();
    assert_eq!(kinds[..2], [SegmentHistoryKind::Evaluated, SegmentHistoryKind::Conditions], "newest first: {kinds:?}");
    assert_eq!(history[0].change.after, "1 member: 1 joined, 1 left (re-evaluation)");
}

#[test]
fn history_records_conditions_before_and_after_readably() {
    let mut world = World::new();
    let id = world.segment("Germany", "Germany", false);
    let mut edited = world.ws.segment(id).unwrap();
    edited.conditions = country_is("Austria");
    edited.name = "Austria".into();
    edited.modified_on = ts("2026-03-11T09:00:00Z");
    world.ws.update_segment(&edited).unwrap();
    world
        .ws
        .set_segment_options(
            id,
            SegmentOptions { accept_from_other_segments: true, rerun_assignment_on_move: false },
            now(),
        )
        .unwrap();
    let history = world.ws.segment_history(id).unwrap();
    let kinds: Vec<_> = history.iter().map(|h| h.change.kind).collect();
    assert_eq!(
        kinds,
        [
            SegmentHistoryKind::Options,
            SegmentHistoryKind::Conditions,
            SegmentHistoryKind::Name,
            SegmentHistoryKind::Created
        ]
    );
    let conditions = &history[1];
    assert_eq!(conditions.at, ts("2026-03-11T09:00:00Z"));
    assert_eq!(conditions.change.before, "All of\n  Country equals \"Germany\"");
    assert_eq!(conditions.change.after, "All of\n  Country equals \"Austria\"");
    assert_eq!((history[2].change.before.as_str(), history[2].change.after.as_str()), ("Germany", "Austria"));
    assert!(history[0].change.after.contains("Accept records from other segments: yes"), "{}", history[0].change.after);
    // A status that skips the lifecycle is refused.
    let error = world.ws.set_segment_status(id, Status::Inactive, now()).unwrap_err();
    assert!(error.to_string().contains("Draft and cannot become Inactive"), "{error}");
}

#[test]
fn delete_is_refused_while_active_and_keeps_history() {
    let mut world = World::new();
    let id = world.segment("Germany", "Germany", false);
    let german = world.lead("Germany");
    world.start();
    world.activate(id);
    match world.ws.delete_segment(id, now()) {
        Err(StoreError::Invalid(message)) => assert!(message.contains("deactivate it"), "{message}"),
        other => panic!("deleting an active segment: {other:?}"),
    }
    world.ws.set_segment_status(id, Status::Inactive, now()).unwrap();
    world.ws.delete_segment(id, ts("2026-03-12T00:00:00Z")).unwrap();
    assert!(world.segments().is_empty());
    assert_eq!(world.member_of(german), None);
    let history = world.ws.segment_history(id).unwrap();
    assert_eq!(history[0].change.kind, SegmentHistoryKind::Deleted);
    assert_eq!(history[0].segment_name, "Germany");
    assert!(history[0].change.before.contains("Country equals \"Germany\""), "{}", history[0].change.before);
    assert_eq!(
        world.history_kinds(german),
        [
            (EventKind::Join, None, Some("Germany".into()), MembershipReason::Activation),
            (EventKind::Leave, Some("Germany".into()), None, MembershipReason::SegmentDeleted),
        ]
    );
    // The engine learns of the deletion and the lead is free to join another segment.
    wait(world.engine().reload_memberships(lead_type())).unwrap();
    let other = world.segment("Germany again", "Germany", false);
    assert_ne!(other, id, "a deleted segment's id is not given again");
    world.activate(other);
    assert_eq!(world.member_of(german), Some(other));
    assert_eq!(world.ws.segment_history(id).unwrap().len(), history.len());
}

/// Every membership, history row and segment, to compare a workspace before and after.
fn state(ws: &Workspace, records: &[RecordId]) -> String {
    let mut text = format!("{:?}\n{:?}\n", ws.segments(&lead_type()).unwrap(), ws.memberships(&lead_type()).unwrap());
    for segment in ws.segments(&lead_type()).unwrap() {
        text += &format!("{:?}\n", ws.segment_history(segment.id).unwrap());
    }
    for record in records {
        text += &format!("{:?}\n", ws.membership_history(&lead_type(), *record).unwrap());
    }
    text
}

#[test]
fn cancel_or_error_midway_rolls_everything_back() {
    let mut world = World::new();
    let def = world.ws.schema().get(&lead_type()).unwrap().clone();
    let rows: Vec<Vec<Value>> = (0..50_000)
        .map(|_| {
            let mut record = Record::empty(RecordId(0), &def);
            record.set(&def, "country", Value::Text("Germany".into()));
            record.values
        })
        .collect();
    world.ws.insert_records(&lead_type(), &mut rows.into_iter(), &mut |_| true).unwrap();
    let germany = world.segment("Germany", "Germany", false);
    let changes = MembershipChanges {
        record_type: lead_type(),
        changes: (1..=50_000)
            .map(|n| MembershipChange { record: RecordId(n), from: None, to: Some(germany), rerun_assignment: false })
            .collect(),
    };
    let sample = [RecordId(1), RecordId(25_000), RecordId(50_000)];
    let before = state(&world.ws, &sample);
    let edit = SegmentEdit::SetStatus { segment: germany, status: Status::Active };
    // Cancelled after the first 20,000 rows are written.
    let mut calls = 0;
    let outcome = world
        .ws
        .apply_lifecycle(&edit, &changes, MembershipReason::Activation, now(), &mut |done, total| {
            calls += 1;
            assert_eq!(total, 50_000);
            done < 20_000
        })
        .unwrap();
    assert_eq!((outcome, calls), (ApplyOutcome::Cancelled, 1));
    assert_eq!(state(&world.ws, &sample), before);
    assert_eq!(world.ws.segment(germany).unwrap().status, Status::Draft);
    // An error on the last change (a record that is already a member) undoes the rest.
    let mut failing = changes.clone();
    failing.changes.push(MembershipChange {
        record: RecordId(1),
        from: None,
        to: Some(germany),
        rerun_assignment: false,
    });
    let error =
        world.ws.apply_lifecycle(&edit, &failing, MembershipReason::Activation, now(), &mut |_, _| true).unwrap_err();
    assert!(error.to_string().contains("changed since it was evaluated"), "{error}");
    assert_eq!(state(&world.ws, &sample), before);
    // And without either, all of it is written.
    let outcome =
        world.ws.apply_lifecycle(&edit, &changes, MembershipReason::Activation, now(), &mut |_, _| true).unwrap();
    assert!(matches!(outcome, ApplyOutcome::Applied(ref impact) if impact.join_count() == 50_000));
    assert_eq!(world.ws.member_count(germany).unwrap(), 50_000);
}

#[test]
fn a_cancelled_job_writes_nothing() {
    let mut world = World::new();
    let germany = world.segment("Germany", "Germany", false);
    for _ in 0..10 {
        world.lead("Germany");
    }
    let before = state(&world.ws, &[RecordId(1)]);
    let (reader, mut snapshot) = load_snapshot(&world.path, &|_| {}).unwrap();
    let mut memberships = load_memberships(&reader, &mut snapshot).unwrap();
    let mut writer = None;
    let mut lifecycle =
        Lifecycle { path: &world.path, snapshot: &mut snapshot, memberships: &mut memberships, writer: &mut writer };
    let plan = LifecyclePlan::activate(lead_type(), world.segments(), germany, now()).unwrap();
    let (job, completion) = Job::<()>::pending("apply", Arc::new(NoWaker));
    job.cancel();
    let applied = lifecycle.apply(&plan, completion.reporter()).unwrap();
    assert_eq!(applied.outcome, ApplyOutcome::Cancelled);
    assert_eq!(state(&world.ws, &[RecordId(1)]), before);
    // The same plan, not cancelled, through the same lifecycle.
    let (_job, completion) = Job::<()>::pending("apply", Arc::new(NoWaker));
    let applied = lifecycle.apply(&plan, completion.reporter()).unwrap();
    assert_eq!(applied.member_counts.get(&germany), Some(&10));
    assert_eq!(world.ws.member_count(germany).unwrap(), 10);
}

#[test]
fn joins_only_into_active_segments_and_refuses_stale_changes() {
    let mut world = World::new();
    let draft = world.segment("Draft", "Germany", false);
    let german = world.lead("Germany");
    let join = MembershipChanges {
        record_type: lead_type(),
        changes: vec![MembershipChange { record: german, from: None, to: Some(draft), rerun_assignment: false }],
    };
    let error =
        world.ws.apply_membership_changes(&join, MembershipReason::Reevaluation, now(), &mut |_, _| true).unwrap_err();
    assert!(error.to_string().contains("only join active segments"), "{error}");
    let leave = MembershipChanges {
        record_type: lead_type(),
        changes: vec![MembershipChange { record: german, from: Some(draft), to: None, rerun_assignment: false }],
    };
    let error =
        world.ws.apply_membership_changes(&leave, MembershipReason::Reevaluation, now(), &mut |_, _| true).unwrap_err();
    assert!(error.to_string().contains("changed since it was evaluated"), "{error}");
}

#[test]
fn members_are_listed_by_page_with_since_and_reason() {
    let mut world = World::new();
    let germany = world.segment("Germany", "Germany", false);
    let leads: Vec<RecordId> = (0..5).map(|_| world.lead("Germany")).collect();
    world.start();
    world.activate(germany);
    let page = world.ws.members(germany, 2, 2).unwrap();
    assert_eq!(page.iter().map(|m| m.record).collect::<Vec<_>>(), leads[2..4]);
    assert!(
        page.iter().all(|m| m.reason == MembershipReason::Activation && m.since == now() && m.moved_from.is_none())
    );
    assert_eq!(world.ws.member_counts(&lead_type()).unwrap()[&germany], 5);
}

#[test]
fn a_record_the_snapshot_cannot_take_says_the_previews_are_out_of_date() {
    let mut world = World::new();
    world.lead("Germany");
    world.start();
    // A record type created after the snapshot was loaded (by another program, say).
    let def = world.ws.schema().get(&lead_type()).unwrap();
    let record = Record::empty(RecordId(7), def);
    let unknown = RecordTypeName::new("unicorn");
    assert!(world.engine().send(EngineRequest::Upsert { record_type: unknown.clone(), record }));
    let started = Instant::now();
    loop {
        if let Some(EngineResponse::OutOfDate(EngineError::UnknownType(name))) = world.engine().try_recv() {
            assert_eq!(name, unknown);
            break;
        }
        assert!(started.elapsed() < Duration::from_mins(1), "the engine never said so");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A raw connection, as `sqlite3` would open the file.
fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[test]
fn a_version_1_workspace_upgrades_and_a_newer_one_is_refused() {
    let mut world = World::new();
    let path = world.path.clone();
    let old = world.segment("Old", "Germany", false);
    let record = world.lead("Germany");
    drop(world.ws);
    // Version 1 as it was: membership with ON DELETE CASCADE, no history tables.
    {
        let conn = raw(&path);
        conn.execute_batch(
            r#"DROP TABLE assignment_history; DROP TABLE assignment; DROP TABLE assignment_rule;
            DROP TABLE membership_history; DROP TABLE segment_history; DROP TABLE membership;
            CREATE TABLE membership (
                record_type TEXT NOT NULL REFERENCES record_type (name),
                record_id INTEGER NOT NULL,
                segment_id INTEGER NOT NULL REFERENCES segment (id) ON DELETE CASCADE,
                since TEXT NOT NULL,
                reason TEXT NOT NULL,
                PRIMARY KEY (record_type, record_id)
            );
            CREATE INDEX "ix:membership:segment_id" ON membership (segment_id);
            UPDATE segment SET status = 'active';
            PRAGMA user_version = 1;"#,
        )
        .unwrap();
        conn.execute(
            "INSERT INTO membership VALUES ('lead', ?1, ?2, '2026-01-02T00:00:00Z', 'activation')",
            [record.0, old.0],
        )
        .unwrap();
    }
    assert!(matches!(Workspace::open_reader(&path), Err(StoreError::Invalid(_))), "a reader needs the upgrade");
    let ws = Workspace::open(&path).unwrap();
    assert_eq!(ws.memberships(&lead_type()).unwrap(), [(record, old)]);
    let members = ws.members(old, 0, 10).unwrap();
    assert_eq!((members[0].since, members[0].reason), (ts("2026-01-02T00:00:00Z"), MembershipReason::Activation));
    assert!(ws.membership_history(&lead_type(), record).unwrap().is_empty());
    drop(ws);
    let conn = raw(&path);
    let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%history' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(tables, ["assignment_history", "membership_history", "segment_history"]);
    let cascade: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_list('membership') WHERE on_delete = 'CASCADE'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(cascade, 0);
    // A newer workspace is refused untouched.
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    let application_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).unwrap();
    assert_eq!(application_id, APPLICATION_ID);
    drop(conn);
    let bytes = std::fs::read(&path).unwrap();
    assert!(matches!(Workspace::open(&path), Err(StoreError::Newer { .. })));
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

/// splitmix64, for the differential test below.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The engine's evaluation equals the domain's rule applied record by record with the
/// reference evaluator, for random segments (status, options, order), records, current
/// memberships and scopes.
#[test]
fn the_engine_applies_the_domain_rule_record_by_record() {
    use jiff::tz::TimeZone;
    use segment_builder::domain::membership::{Current, Winner, decide};
    use segment_builder::domain::{EvalContext, MemoryDataset, Schema, Scope, matches};
    use segment_builder::engine::{MemberColumn, Snapshot, evaluate_memberships};

    let schema = Schema::built_in();
    let ty = lead_type();
    let def = schema.get(&ty).unwrap().clone();
    let ctx = EvalContext::new(now(), TimeZone::UTC);
    let countries = ["Germany", "France", "Spain", ""];
    let mut kinds = std::collections::HashMap::new();
    for seed in 0..60 {
        let mut rng = Rng(seed);
        let records: Vec<Record> = (1..=40)
            .map(|id| {
                let mut record = Record::empty(RecordId(id), &def);
                let country = countries[rng.below(4) as usize];
                if !country.is_empty() {
                    record.set(&def, "country", Value::Text(country.to_owned()));
                }
                record
            })
            .collect();
        let statuses = [Status::Draft, Status::Active, Status::Active, Status::Inactive];
        let segments: Vec<Segment> = (0..5)
            .map(|n| {
                let condition = if rng.below(5) == 0 {
                    Group::all(NodeId(0))
                } else {
                    country_is(countries[rng.below(3) as usize])
                };
                Segment {
                    id: SegmentId(n + 1),
                    record_type: ty.clone(),
                    name: format!("s{n}"),
                    description: String::new(),
                    status: statuses[rng.below(4) as usize],
                    priority: (4 - n) as u32,
                    conditions: condition,
                    accept_from_other_segments: rng.below(2) == 0,
                    rerun_assignment_on_move: rng.below(2) == 0,
                    sequence: None,
                    created_on: now(),
                    modified_on: now(),
                }
            })
            .collect();
        let mut pairs: Vec<(RecordId, SegmentId)> = Vec::new();
        for record in &records {
            if rng.below(2) == 0 {
                pairs.push((record.id, SegmentId(1 + rng.below(5) as i64)));
            }
        }
        let scope = match rng.below(3) {
            0 => Scope::All,
            1 => Scope::MovesOnly,
            _ => Scope::Segment(SegmentId(1 + rng.below(5) as i64)),
        };

        let snapshot = Snapshot::build(&schema, TimeZone::UTC, [(&ty, records.iter())], Vec::new());
        let members = MemberColumn::load(&snapshot, &ty, &pairs);
        let engine = evaluate_memberships(&snapshot, &ty, &segments, &members, scope, None, &ctx).unwrap();

        let mut ds = MemoryDataset::new(schema.clone());
        for record in &records {
            ds.insert(&ty, record.clone());
        }
        let mut by_priority: Vec<&Segment> = segments.iter().collect();
        by_priority.sort_by_key(|s| s.priority);
        let reference: Vec<MembershipChange> = records
            .iter()
            .filter_map(|record| {
                let winner = by_priority
                    .iter()
                    .find(|s| s.status == Status::Active && matches(&ds, &ctx, &def, record, &s.conditions))
                    .map(|s| Winner::of(s));
                let current = pairs.iter().find(|(id, _)| *id == record.id).map(|(_, segment)| {
                    let s = segments.iter().find(|s| s.id == *segment).unwrap();
                    Current {
                        segment: s.id,
                        priority: s.priority,
                        active: s.status == Status::Active,
                        matches: matches(&ds, &ctx, &def, record, &s.conditions),
                    }
                });
                decide(record.id, current, winner).filter(|c| scope.admits(c))
            })
            .collect();
        assert_eq!(engine.changes.changes, reference, "seed {seed}");
        for change in &reference {
            *kinds.entry(change.kind()).or_insert(0) += 1;
        }
        assert_eq!(
            engine.impact.join_count(),
            reference.iter().filter(|c| c.kind() == Some(EventKind::Join)).count() as u64
        );
    }
    // Every kind of change came up.
    for kind in EventKind::ALL {
        assert!(kinds.get(&Some(kind)).copied().unwrap_or(0) > 5, "{kinds:?}");
    }
}

/// A members export carries each member's owner and where it stands in its sequence.
#[test]
fn a_members_export_names_owners_and_sequence_steps() {
    use segment_builder::demo::{DemoSpec, create_demo_workspace};
    use segment_builder::worker::export::{ExportOutcome, MembersExport, Overwrite, export_members};

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("demo.sqlite");
    let now = segment_builder::clock::now();
    create_demo_workspace(&path, &DemoSpec::standard(now), &mut |_, _| true).expect("demo");
    segment_builder::cli::apply_command(&path, now, false).expect("apply");
    let ws = Workspace::open(&path).expect("open");
    let lead = RecordTypeName::new("lead");
    let segment = ws
        .segments(&lead)
        .expect("segments")
        .into_iter()
        .find(|s| s.sequence.is_some() && ws.member_count(s.id).unwrap_or(0) > 0)
        .expect("a segment with members and a sequence");
    let expected = ws.member_count(segment.id).expect("count");
    drop(ws);
    let target = dir.path().join("members.csv");
    let export = MembersExport {
        workspace: path.clone(),
        segment: segment.id,
        record_type: lead,
        expected,
        target: target.clone(),
        overwrite: Overwrite::Refuse,
        time_zone: jiff::tz::TimeZone::UTC,
    };
    let (_job, completion) = Job::<()>::pending("export", Arc::new(NoWaker));
    let outcome = export_members(&export, completion.reporter()).expect("exported");
    assert!(matches!(outcome, ExportOutcome::Written { rows, .. } if rows == expected), "{outcome:?}");
    let mut reader = csv::Reader::from_path(&target).expect("the file");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    assert!(rows.iter().all(|r| r.get(4) == Some(segment.name.as_str())), "the segment column");
    assert!(rows.iter().any(|r| !r.get(3).unwrap_or_default().is_empty()), "some members have an owner");
    let step = rows.iter().filter_map(|r| r.get(9)).find(|s| !s.is_empty()).expect("a running enrolment");
    assert!(step.starts_with("1 of "), "{step}");
}
