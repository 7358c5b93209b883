//! The evaluation of date-based segments as the window sees it (the status bar's last and
//! next evaluation, with an injected clock that the test moves on) and File › "Workspace
//! settings…", driven like a user.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use std::sync::{Arc, Mutex};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use jiff::{Timestamp, ToSpan as _};

use segment_builder::app::{App, Loadable, Startup};
use segment_builder::clock::Clock;
use segment_builder::demo::{DemoSpec, create_demo_workspace};
use segment_builder::domain::format::format_timestamp;
use segment_builder::domain::timing::{depends_on_clock, next_evaluation};
use segment_builder::domain::{EvalContext, MembershipReason};
use segment_builder::store::Workspace;

mod common;
use common::harness::*;

/// A clock the test moves on.
#[derive(Debug)]
struct MovingClock(Mutex<Timestamp>);

impl MovingClock {
    fn set(&self, at: Timestamp) {
        *self.0.lock().unwrap() = at;
    }
}

impl Clock for MovingClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

fn start() -> Timestamp {
    "2026-03-10T09:00:00Z".parse().unwrap()
}

/// The demo (generated at `start`) open in a window whose clock the test holds.
fn open_demo_at(dir: &tempfile::TempDir) -> (Harness<'static, App>, Arc<MovingClock>, std::path::PathBuf) {
    let path = temp_path(dir, "demo.sqlite");
    create_demo_workspace(&path, &DemoSpec::standard(start()), &mut |_, _| true).unwrap();
    let clock = Arc::new(MovingClock(Mutex::new(start())));
    let app = App::with_clock(Startup::Open(path.clone()), Vec::new(), clock.clone());
    let mut harness = harness(app);
    run_until(&mut harness, "the first evaluation", |app| evaluated_at(app) == Some(start()));
    settle(&mut harness);
    (harness, clock, path)
}

fn evaluated_at(app: &App) -> Option<Timestamp> {
    let status = &app.state().settings.evaluation;
    if status.running { None } else { status.last.map(|(at, _)| at) }
}

#[test]
fn the_status_bar_shows_the_last_and_next_evaluation_and_days_passing_move_records() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, clock, path) = open_demo_at(&dir);
    let zone = harness.state().state().view.as_ref().unwrap().time_zone.clone();
    let shown = |at: Timestamp, changed: &str| {
        format!(
            "Date-based segments evaluated {} ({changed}) · next {}",
            format_timestamp(at, &zone),
            format_timestamp(next_evaluation(at, 15, &zone), &zone)
        )
    };
    harness.get_by_label(&shown(start(), "0 records changed"));

    // Ten days on: the date-based segments gain and lose exactly what the reference says.
    let later = start().checked_add(240.hours()).unwrap();
    clock.set(later);
    run_until(&mut harness, "the evaluation ten days on", |app| evaluated_at(app) == Some(later));
    settle(&mut harness);
    let changed = harness.state().state().settings.evaluation.last.unwrap().1;
    assert!(changed > 0, "ten days move some demo leads into or out of a date-based segment");
    let records = if changed == 1 { "record" } else { "records" };
    harness.get_by_label(&shown(later, &format!("{changed} {records} changed")));

    let (dataset, time_zone) = reference_dataset(&path);
    let ctx = EvalContext::new(later, time_zone);
    let ws = Workspace::open(&path).unwrap();
    let segments = ws.segments(&lead()).unwrap();
    let dated: Vec<_> = segments.iter().filter(|s| depends_on_clock(&s.conditions)).collect();
    assert!(!dated.is_empty(), "the demo has a date-based lead segment");
    let members = ws.memberships(&lead()).unwrap();
    let mut time_passed = 0;
    for segment in dated {
        let matching = dataset.matching(&ctx, &lead(), &segment.conditions);
        for (record, _) in members.iter().filter(|(_, s)| *s == segment.id) {
            assert!(matching.contains(record), "lead {record:?} stays in {} though it no longer matches", segment.name);
        }
        for record in members.iter().filter(|(_, s)| *s == segment.id).map(|(r, _)| r) {
            let history = ws.membership_history(&lead(), *record).unwrap();
            time_passed += history.iter().filter(|e| e.reason == MembershipReason::TimePassed).count();
        }
    }
    assert!(time_passed > 0, "the joins are recorded with reason \"time passed\"");
}

#[test]
fn workspace_settings_are_saved_from_the_dialog_and_a_new_time_zone_evaluates_again() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, _clock, path) = open_demo_at(&dir);
    let zone_before = Workspace::open(&path).unwrap().time_zone().to_owned();
    harness.get_by_label("File").click();
    harness.run_steps(3);
    harness.get_by_label("Workspace settings…").click();
    harness.run_steps(5);

    // A wrong interval is said inline and nothing is stored.
    type_into(&mut harness, "Evaluate date-based segments every", "0");
    harness.get_by_label("Save settings").click();
    harness.run_steps(3);
    harness.get_by_label("The evaluation interval must be between 1 and 1440 minutes, not 0");
    assert_eq!(Workspace::open(&path).unwrap().settings().unwrap().interval_minutes, 15);

    type_into(&mut harness, "Evaluate date-based segments every", "60");
    let target = if zone_before == "Asia/Tokyo" { "America/Chicago" } else { "Asia/Tokyo" };
    open_combo(&mut harness, &zone_before);
    type_into(&mut harness, "Search time zones", target.split('/').nth(1).unwrap());
    harness.get_by_label(target).click();
    harness.run_steps(3);
    harness.get_by_label("Save settings").click();
    // The demo has date-based segments: what the new zone moves is shown first.
    run_until(&mut harness, "what the new zone moves", |app| {
        app.state().settings.zone_change.as_ref().is_some_and(|c| !matches!(c.impact, Loadable::Pending { .. }))
    });
    harness.run_steps(3);
    assert_eq!(
        Workspace::open(&path).unwrap().time_zone(),
        zone_before,
        "nothing stored before the change is confirmed"
    );
    harness.get_by_label("Change time zone").click();
    run_until(&mut harness, "the settings to be saved", |app| app.state().settings.form.is_none());
    let stored = Workspace::open(&path).unwrap().settings().unwrap();
    assert_eq!((stored.time_zone.as_str(), stored.interval_minutes), (target, 60));

    // The engine starts again in the new zone and the date-based segments are evaluated.
    run_until(&mut harness, "the evaluation in the new zone", |app| {
        let status = &app.state().settings.evaluation;
        !status.running && status.next.is_some() && app.state().view.as_ref().unwrap().time_zone_name == target
    });
    settle(&mut harness);
    let view_zone = harness.state().state().view.as_ref().unwrap().time_zone.clone();
    let next = harness.state().state().settings.evaluation.next.unwrap();
    assert_eq!(next, next_evaluation(start(), 60, &view_zone), "the next evaluation follows the new interval");
}

#[test]
fn a_new_time_zone_moves_today_and_the_records_that_depend_on_it() {
    use segment_builder::domain::condition::{Condition, FieldPath, Group, Node, NodeId, Operand, Operator};
    use segment_builder::domain::{Record, RecordId, Segment, SegmentId, Status, Value};

    let dir = tempfile::tempdir().unwrap();
    let path = temp_path(&dir, "ws.sqlite");
    // 01:00 UTC on 10 March is still 9 March in Los Angeles, where noon UTC is 10 March.
    let noon: Timestamp = "2026-03-10T12:00:00Z".parse().unwrap();
    let mut ws = Workspace::create(&path).unwrap();
    let def = ws.schema().get(&lead()).unwrap().clone();
    let mut record = Record::empty(RecordId(0), &def);
    assert!(record.set(&def, "last_activity_on", Value::DateTime("2026-03-10T01:00:00Z".parse().unwrap())));
    let lead_id = ws.insert_record(&lead(), record.values).unwrap();
    let today = Node::Condition(Condition {
        id: NodeId(1),
        path: FieldPath::own("last_activity_on"),
        operator: Operator::Today,
        value: Operand::None,
    });
    let segment = Segment {
        id: SegmentId(0),
        record_type: lead(),
        name: "Active today".into(),
        description: String::new(),
        status: Status::Draft,
        priority: 0,
        conditions: Group { children: vec![today], ..Group::all(NodeId(0)) },
        accept_from_other_segments: false,
        rerun_assignment_on_move: false,
        sequence: None,
        created_on: noon,
        modified_on: noon,
    };
    let id = ws.insert_segment(&segment).unwrap();
    ws.set_segment_status(id, Status::Active, noon).unwrap();
    drop(ws);
    segment_builder::cli::apply_command(&path, noon, false).unwrap();
    assert_eq!(Workspace::open(&path).unwrap().membership_of(&lead(), lead_id).unwrap(), Some(id));

    let clock = Arc::new(MovingClock(Mutex::new(noon)));
    let mut harness = harness(App::with_clock(Startup::Open(path.clone()), Vec::new(), clock));
    run_until(&mut harness, "the first evaluation", |app| evaluated_at(app) == Some(noon));
    harness.get_by_label("File").click();
    harness.run_steps(3);
    harness.get_by_label("Workspace settings…").click();
    harness.run_steps(5);
    open_combo(&mut harness, "UTC");
    type_into(&mut harness, "Search time zones", "Los_Angeles");
    harness.get_by_label("America/Los_Angeles").click();
    harness.run_steps(3);
    harness.get_by_label("Save settings").click();
    // First what it moves: the lead would leave "Active today"; nothing is stored yet.
    wait_for_label(&mut harness, "Active today: 1 leave");
    assert_eq!(Workspace::open(&path).unwrap().time_zone(), "UTC");
    // The dialog settles into its new size before the click.
    harness.run_steps(3);
    harness.get_by_label("Change time zone").click();
    run_until(&mut harness, "the lead to leave the segment", |app| {
        app.workspace().and_then(|ws| ws.membership_of(&lead(), lead_id).ok()).is_some_and(|m| m.is_none())
    });
    settle(&mut harness);
    let ws = Workspace::open(&path).unwrap();
    let last = ws.membership_history(&lead(), lead_id).unwrap().pop().unwrap();
    assert_eq!(last.reason, MembershipReason::TimePassed);
    assert_eq!(harness.state().state().settings.evaluation.last.map(|(_, changed)| changed), Some(1));
}
