//! Time passing: which conditions read the clock, when the next evaluation is due, the
//! workspace settings, and the evaluation itself — advancing the clock day by day moves
//! records into and out of a date-based segment exactly as the reference evaluator says.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

mod common;

use std::sync::Arc;

use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan as _};
use proptest::prelude::*;

use segment_builder::domain::condition::{Condition, FieldPath, Group, Node, NodeId, Operand, Operator};
use segment_builder::domain::timing::{WorkspaceSettings, depends_on_clock, next_evaluation};
use segment_builder::domain::{
    DateUnit, EvalContext, LifecyclePlan, MembershipReason, MemoryDataset, Record, RecordId, RecordTypeName, Segment,
    SegmentId, Status, Value,
};
use segment_builder::store::{StoreError, Workspace};
use segment_builder::worker::NoWaker;
use segment_builder::worker::engine::{Lifecycle, load_memberships, load_snapshot};
use segment_builder::worker::jobs::Job;

fn lead() -> RecordTypeName {
    RecordTypeName::new("lead")
}

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn on(field: &str, operator: Operator, value: Operand) -> Node {
    Node::Condition(Condition { id: NodeId(1), path: FieldPath::own(field), operator, value })
}

fn root(children: Vec<Node>) -> Group {
    Group { children, ..Group::all(NodeId(0)) }
}

fn days(amount: u32) -> Operand {
    Operand::Relative { amount, unit: DateUnit::Days }
}

#[test]
fn a_tree_depends_on_the_clock_when_any_condition_reads_it() {
    let check = |tree: Group, expected: bool| assert_eq!(depends_on_clock(&tree), expected, "{tree:?}");
    check(root(vec![]), false);
    check(root(vec![on("country", Operator::Equals, Operand::Text("UK".into()))]), false);
    check(root(vec![on("last_activity_on", Operator::OlderThan, days(30))]), true);
    check(root(vec![on("created_on", Operator::ThisQuarter, Operand::None)]), true);
    // A fixed date does not move with the clock.
    check(root(vec![on("created_on", Operator::IsEmpty, Operand::None)]), false);
    // Nested, negated, and inside a related-record block.
    let mut negated = root(vec![on("created_on", Operator::Today, Operand::None)]);
    negated.negated = true;
    check(root(vec![on("country", Operator::Equals, Operand::Text("UK".into())), Node::Group(negated)]), true);
    let related = segment_builder::domain::RelatedBlock {
        id: NodeId(3),
        quantifier: segment_builder::domain::Quantifier::AtLeastOne,
        record_type: RecordTypeName::new("opportunity"),
        via: segment_builder::domain::FieldName::new("parent_lead"),
        group: root(vec![on("created_on", Operator::InLast, days(7))]),
    };
    check(root(vec![Node::Related(related)]), true);
    // Every operator says whether it reads the clock; the relative ones do.
    let reading: Vec<Operator> = Operator::ALL.into_iter().filter(|o| o.reads_the_clock()).collect();
    assert_eq!(reading.len(), 18);
    assert!(reading.contains(&Operator::InNext) && !reading.contains(&Operator::Before));
}

/// "Matches the conditions of" a segment that reads the clock reads it too (through the
/// segments it names, a cycle stopping); "is in segment" reads only stored memberships.
#[test]
fn matching_the_conditions_of_a_date_based_segment_depends_on_the_clock() {
    use segment_builder::domain::timing::depends_on_clock_in;
    use segment_builder::domain::{Definition, Definitions, SegmentCondition, SegmentTest};
    let node =
        |test, id| Node::Segment(SegmentCondition { id: NodeId(2), via: Vec::new(), test, segment: SegmentId(id) });
    let mut definitions = Definitions::default();
    let mut add = |id: i64, conditions: Group| {
        definitions.insert(SegmentId(id), Definition { name: format!("S{id}"), record_type: lead(), conditions });
    };
    add(1, root(vec![on("created_on", Operator::InLast, days(7))]));
    add(2, root(vec![node(SegmentTest::MatchesConditions, 1)]));
    add(3, root(vec![node(SegmentTest::MatchesConditions, 4)]));
    add(4, root(vec![node(SegmentTest::MatchesConditions, 3)]));
    let check =
        |tree: Group, expected: bool| assert_eq!(depends_on_clock_in(&tree, &definitions), expected, "{tree:?}");
    check(root(vec![node(SegmentTest::MatchesConditions, 1)]), true);
    check(root(vec![node(SegmentTest::MatchesConditions, 2)]), true);
    check(root(vec![node(SegmentTest::InSegment, 1)]), false);
    check(root(vec![node(SegmentTest::NotInSegment, 1)]), false);
    check(root(vec![node(SegmentTest::MatchesConditions, 3)]), false);
    check(root(vec![node(SegmentTest::MatchesConditions, 99)]), false);
    assert!(!depends_on_clock(&root(vec![node(SegmentTest::MatchesConditions, 1)])), "without the definitions");
}

#[test]
fn the_next_evaluation_is_after_the_interval_or_at_midnight_in_the_workspace_zone() {
    let berlin = TimeZone::get("Europe/Berlin").unwrap();
    let check = |last: &str, minutes: u32, expected: &str| {
        assert_eq!(next_evaluation(ts(last), minutes, &berlin), ts(expected), "after {last} every {minutes} min");
    };
    check("2026-03-10T10:00:00Z", 15, "2026-03-10T10:15:00Z");
    // 23:50 in Berlin: midnight there comes before the interval ends.
    check("2026-03-10T22:50:00Z", 15, "2026-03-10T23:00:00Z");
    check("2026-03-10T22:50:00Z", 5, "2026-03-10T22:55:00Z");
    // Summer time: midnight is 22:00 UTC.
    check("2026-07-01T21:00:00Z", 1440, "2026-07-01T22:00:00Z");
    // The day the clocks go forward is 23 hours long.
    check("2026-03-28T23:00:00Z", 1440, "2026-03-29T22:00:00Z");
}

#[test]
fn settings_are_stored_checked_and_a_wrong_one_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws.sqlite");
    let mut ws = Workspace::create(&path).unwrap();
    let defaults = ws.settings().unwrap();
    assert_eq!(defaults, WorkspaceSettings { time_zone: "UTC".into(), interval_minutes: 15, nesting_limit: 10 });
    let wanted = WorkspaceSettings { time_zone: "Europe/Berlin".into(), interval_minutes: 60, nesting_limit: 6 };
    ws.set_settings(&wanted).unwrap();
    drop(ws);
    let mut ws = Workspace::open(&path).unwrap();
    assert_eq!(ws.settings().unwrap(), wanted);
    assert_eq!(ws.time_zone(), "Europe/Berlin");
    for (wrong, says) in [
        (WorkspaceSettings { time_zone: "Mars/Olympus".into(), ..wanted.clone() }, "Mars/Olympus"),
        (WorkspaceSettings { interval_minutes: 0, ..wanted.clone() }, "interval"),
        (WorkspaceSettings { nesting_limit: 0, ..wanted.clone() }, "nesting limit"),
    ] {
        match ws.set_settings(&wrong) {
            Err(StoreError::Invalid(message)) => assert!(message.contains(says), "{message}"),
            other => panic!("{wrong:?} was not refused: {other:?}"),
        }
        assert_eq!(ws.settings().unwrap(), wanted, "a refused setting changes nothing");
    }
    drop(ws);
    // Another program stores settings out of range: reading them says which, and where.
    for (key, value, says) in
        [("nesting_limit", "0", "nesting_limit is 0"), ("evaluation_interval_minutes", "99999", "99999")]
    {
        let sql = rusqlite::Connection::open(&path).unwrap();
        sql.execute("UPDATE setting SET value = ?2 WHERE key = ?1", [key, value]).unwrap();
        drop(sql);
        let ws = Workspace::open(&path).unwrap();
        let error = ws.settings().expect_err("out of range").to_string();
        assert!(error.contains(says) && error.contains("ws.sqlite"), "{error}");
        drop(ws);
        let sql = rusqlite::Connection::open(&path).unwrap();
        let good = if key == "nesting_limit" { "6" } else { "60" };
        sql.execute("UPDATE setting SET value = ?2 WHERE key = ?1", [key, good]).unwrap();
    }
}

/// The operators that read the clock, with an operand each takes.
fn arb_relative_condition() -> BoxedStrategy<(Operator, Operand)> {
    let operators: Vec<Operator> = Operator::ALL.into_iter().filter(|o| o.reads_the_clock()).collect();
    (
        proptest::sample::select(operators),
        0u32..40,
        proptest::sample::select(vec![DateUnit::Days, DateUnit::Weeks, DateUnit::Months]),
    )
        .prop_map(|(operator, amount, unit)| {
            let operand = match operator {
                Operator::InLast | Operator::InNext | Operator::OlderThan => Operand::Relative { amount, unit },
                _ => Operand::None,
            };
            (operator, operand)
        })
        .boxed()
}

/// The reference answer: the leads `tree` matches at `now`.
fn expected(ws: &Workspace, tree: &Group, now: Timestamp, zone: &TimeZone) -> Vec<RecordId> {
    let mut dataset = MemoryDataset::new(ws.schema().clone());
    for record in ws.all_records(&lead()).unwrap() {
        dataset.insert(&lead(), record);
    }
    dataset.matching(&EvalContext::new(now, zone.clone()), &lead(), tree)
}

fn members(ws: &Workspace, segment: SegmentId) -> Vec<RecordId> {
    ws.memberships(&lead()).unwrap().into_iter().filter(|(_, s)| *s == segment).map(|(r, _)| r).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn advancing_the_clock_day_by_day_moves_records_as_the_reference_says(
        (operator, operand) in arb_relative_condition(),
        offsets in proptest::collection::vec(proptest::option::weighted(0.9, -2_400i64..2_400), 1..25),
        start_hours in 0i64..24 * 400,
        zone in proptest::sample::select(vec!["UTC", "Europe/Berlin", "America/New_York", "Pacific/Auckland"]),
        steps in 1usize..9,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ws.sqlite");
        let mut ws = Workspace::create(&path).unwrap();
        ws.set_time_zone(zone).unwrap();
        let time_zone = TimeZone::get(zone).unwrap();
        let start = ts("2025-01-01T00:00:00Z").checked_add(start_hours.hours()).unwrap();
        let def = ws.schema().get(&lead()).unwrap().clone();
        for offset in &offsets {
            let mut record = Record::empty(RecordId(0), &def);
            let at = offset.map(|hours| Value::DateTime(start.checked_add(hours.hours()).unwrap()));
            if let Some(at) = at {
                prop_assert!(record.set(&def, "last_activity_on", at));
            }
            ws.insert_record(&lead(), record.values).unwrap();
        }
        let tree = root(vec![on("last_activity_on", operator, operand)]);
        let segment = Segment {
            id: SegmentId(0),
            record_type: lead(),
            name: "Dated".into(),
            description: String::new(),
            status: Status::Draft,
            priority: 0,
            conditions: tree.clone(),
            accept_from_other_segments: false,
            rerun_assignment_on_move: false,
            sequence: None,
            created_on: start,
            modified_on: start,
        };
        let id = ws.insert_segment(&segment).unwrap();

        let (reader, mut snapshot) = load_snapshot(&path, &|_| {}).unwrap();
        let mut memberships = load_memberships(&reader, &mut snapshot).unwrap();
        let mut writer = None;
        let mut lifecycle = Lifecycle { path: &path, snapshot: &mut snapshot, memberships: &mut memberships, writer: &mut writer };
        // Activated with "apply to existing records" at the start; the first evaluation as
        // time passes only notes the time.
        let plan = LifecyclePlan::activate(lead(), ws.segments(&lead()).unwrap(), id, start).unwrap();
        let (_job, completion) = Job::<()>::pending("activate", Arc::new(NoWaker));
        lifecycle.apply(&plan, completion.reporter()).unwrap();
        let segments = vec![(lead(), ws.segments(&lead()).unwrap())];
        for step in 0..=steps {
            let now = start.checked_add((24 * step as i64).hours()).unwrap();
            let before = members(&ws, id);
            let (_job, completion) = Job::<()>::pending("time", Arc::new(NoWaker));
            lifecycle.time_passed(&segments, now, false, completion.reporter()).unwrap();
            let after = members(&ws, id);
            prop_assert_eq!(&after, &expected(&ws, &tree, now, &time_zone), "day {} at {}", step, now);
            // Only the records whose answer changed got a history entry, each "time passed".
            for record in after.iter().filter(|r| !before.contains(r)).chain(before.iter().filter(|r| !after.contains(r))) {
                let history = ws.membership_history(&lead(), *record).unwrap();
                let last = history.last().unwrap();
                prop_assert_eq!(last.reason, MembershipReason::TimePassed);
                prop_assert_eq!(last.at, now);
            }
        }
    }
}

fn binary() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_segment-builder"))
}

fn run_ok(command: &mut std::process::Command) -> String {
    let output = command.output().unwrap();
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn small_demo(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("demo.sqlite");
    run_ok(binary().arg("demo").arg(&path).args(["--records", "1500"]));
    path
}

#[test]
fn apply_dry_run_lists_what_would_change_and_leaves_the_file_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_demo(&dir);
    let now = "2026-11-24T12:00:00Z";
    let before = std::fs::read(&path).unwrap();
    let text = run_ok(binary().arg("apply").arg(&path).args(["--dry-run", "--json", "--now", now]));
    assert_eq!(std::fs::read(&path).unwrap(), before, "a dry run writes nothing");
    let dry: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(dry["dry_run"], true);
    let changes = dry["changes"].as_array().unwrap();
    let counted: u64 = dry["record_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["joined"].as_u64().unwrap() + t["moved"].as_u64().unwrap() + t["left"].as_u64().unwrap())
        .sum();
    assert!(counted > 0, "the demo's active segments have records to take: {text}");
    assert_eq!(changes.len() as u64, counted, "one listed change per counted one");
    let first = &changes[0];
    assert!(first["record"].as_i64().is_some() && first["record_type"].is_string(), "{first}");
    assert!(matches!(first["change"].as_str(), Some("join" | "leave" | "move")), "{first}");

    // The real apply at the same time makes exactly the changes listed.
    let text = run_ok(binary().arg("apply").arg(&path).args(["--json", "--now", now]));
    let applied: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(applied["dry_run"], false);
    let ws = Workspace::open(&path).unwrap();
    for change in changes.iter().take(50) {
        let ty = RecordTypeName::new(change["record_type"].as_str().unwrap());
        let member = ws.membership_of(&ty, RecordId(change["record"].as_i64().unwrap())).unwrap();
        let name = member.map(|id| ws.segment(id).unwrap().name);
        assert_eq!(name.as_deref(), change["to"].as_str(), "{change}");
    }
    for (dry, real) in dry["record_types"].as_array().unwrap().iter().zip(applied["record_types"].as_array().unwrap()) {
        assert_eq!((&dry["joined"], &dry["moved"], &dry["left"]), (&real["joined"], &real["moved"], &real["left"]));
    }
}

#[test]
fn the_settings_command_reads_and_writes_the_settings_and_refuses_a_wrong_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws.sqlite");
    drop(Workspace::create(&path).unwrap());
    let read = |json: bool| {
        let mut command = binary();
        command.arg("settings").arg(&path);
        if json {
            command.arg("--json");
        }
        run_ok(&mut command)
    };
    let shown: serde_json::Value = serde_json::from_str(&read(true)).unwrap();
    assert_eq!(shown, serde_json::json!({"time_zone": "UTC", "interval_minutes": 15, "nesting_limit": 10}));
    run_ok(binary().arg("settings").arg(&path).args(["--time-zone", "Europe/Berlin", "--interval-minutes", "30"]));
    let shown: serde_json::Value = serde_json::from_str(&read(true)).unwrap();
    assert_eq!(shown, serde_json::json!({"time_zone": "Europe/Berlin", "interval_minutes": 30, "nesting_limit": 10}));
    assert!(read(false).contains("evaluation interval  30 minutes"));

    let before = std::fs::read(&path).unwrap();
    let output = binary()
        .arg("settings")
        .arg(&path)
        .args(["--time-zone", "Europe/Atlantis", "--interval-minutes", "5"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("Europe/Atlantis") && error.contains("nothing was changed"), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "a refused setting changes nothing");
}

#[test]
fn the_definitions_bundle_carries_the_settings_and_an_import_sets_them() {
    use segment_builder::cli::{export_definitions_command, import_definitions_command};
    use segment_builder::worker::export::Overwrite;

    let dir = tempfile::tempdir().unwrap();
    let from = dir.path().join("from.sqlite");
    let into = dir.path().join("into.sqlite");
    let file = dir.path().join("definitions.ron");
    let wanted = WorkspaceSettings { time_zone: "America/New_York".into(), interval_minutes: 45, nesting_limit: 7 };
    Workspace::create(&from).unwrap().set_settings(&wanted).unwrap();
    drop(Workspace::create(&into).unwrap());
    export_definitions_command(&from, &file, Overwrite::Refuse).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("America/New_York") && text.contains("interval_minutes: 45"), "{text}");

    let report = import_definitions_command(&into, &file, None, ts("2026-03-10T12:00:00Z")).unwrap();
    assert!(report.to_text().contains("replaced settings of the workspace"), "{}", report.to_text());
    assert_eq!(Workspace::open(&into).unwrap().settings().unwrap(), wanted);

    // A wrong setting is a problem at its place, and nothing is imported.
    std::fs::write(&file, text.replace("interval_minutes: 45", "interval_minutes: 0")).unwrap();
    let fresh = dir.path().join("fresh.sqlite");
    drop(Workspace::create(&fresh).unwrap());
    let error = import_definitions_command(&fresh, &file, None, ts("2026-03-10T12:00:00Z")).unwrap_err().to_string();
    assert!(error.contains("settings: the evaluation interval must be between 1 and 1440 minutes"), "{error}");
    assert_eq!(Workspace::open(&fresh).unwrap().settings().unwrap().interval_minutes, 15);
}

#[test]
fn a_segment_nested_deeper_than_the_workspace_limit_is_not_activated() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = Workspace::create(&dir.path().join("ws.sqlite")).unwrap();
    let leaf = on("country", Operator::Equals, Operand::Text("UK".into()));
    let inner = Group { id: NodeId(2), ..root(vec![leaf]) };
    let middle = Group { id: NodeId(3), ..root(vec![Node::Group(inner)]) };
    let now = ts("2026-03-10T12:00:00Z");
    let segment = Segment {
        id: SegmentId(0),
        record_type: lead(),
        name: "Deep".into(),
        description: String::new(),
        status: Status::Draft,
        priority: 0,
        conditions: root(vec![Node::Group(middle)]),
        accept_from_other_segments: false,
        rerun_assignment_on_move: false,
        sequence: None,
        created_on: now,
        modified_on: now,
    };
    let id = ws.insert_segment(&segment).unwrap();
    let limited = |nesting_limit| WorkspaceSettings { time_zone: "UTC".into(), interval_minutes: 15, nesting_limit };
    ws.set_settings(&limited(2)).unwrap();
    match ws.set_segment_status(id, Status::Active, now) {
        Err(StoreError::Invalid(message)) => assert!(message.contains("at most 2 levels"), "{message}"),
        other => panic!("a tree three levels deep was activated under a limit of 2: {other:?}"),
    }
    assert_eq!(ws.segment(id).unwrap().status, Status::Draft);
    ws.set_settings(&limited(3)).unwrap();
    ws.set_segment_status(id, Status::Active, now).unwrap();
}

#[test]
fn a_time_zone_set_by_another_program_is_noticed_by_the_next_evaluation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws.sqlite");
    // 01:00 UTC on 10 March is still 9 March in Los Angeles, where noon UTC is 10 March.
    let noon = ts("2026-03-10T12:00:00Z");
    let mut ws = Workspace::create(&path).unwrap();
    let def = ws.schema().get(&lead()).unwrap().clone();
    let mut record = Record::empty(RecordId(0), &def);
    assert!(record.set(&def, "last_activity_on", Value::DateTime(ts("2026-03-10T01:00:00Z"))));
    let lead_id = ws.insert_record(&lead(), record.values).unwrap();
    let segment = Segment {
        id: SegmentId(0),
        record_type: lead(),
        name: "Active today".into(),
        description: String::new(),
        status: Status::Draft,
        priority: 0,
        conditions: root(vec![on("last_activity_on", Operator::Today, Operand::None)]),
        accept_from_other_segments: false,
        rerun_assignment_on_move: false,
        sequence: None,
        created_on: noon,
        modified_on: noon,
    };
    let id = ws.insert_segment(&segment).unwrap();
    let evaluate = |ws: &Workspace, activate: bool, at: Timestamp| {
        let (reader, mut snapshot) = load_snapshot(&path, &|_| {}).unwrap();
        let mut memberships = load_memberships(&reader, &mut snapshot).unwrap();
        let mut writer = None;
        let mut lifecycle =
            Lifecycle { path: &path, snapshot: &mut snapshot, memberships: &mut memberships, writer: &mut writer };
        let (_job, completion) = Job::<()>::pending("time", Arc::new(NoWaker));
        if activate {
            let plan = LifecyclePlan::activate(lead(), ws.segments(&lead()).unwrap(), id, noon).unwrap();
            lifecycle.apply(&plan, completion.reporter()).unwrap();
        }
        let segments = vec![(lead(), ws.segments(&lead()).unwrap())];
        lifecycle.time_passed(&segments, at, false, completion.reporter()).unwrap();
    };
    evaluate(&ws, true, noon);
    assert_eq!(ws.membership_of(&lead(), lead_id).unwrap(), Some(id), "today in UTC");
    // Later the same day nothing can have changed: the evaluation writes nothing, not even
    // its time.
    evaluate(&ws, false, ts("2026-03-10T15:00:00Z"));
    assert_eq!(ws.last_time_evaluation().unwrap(), Some((noon, "UTC".to_owned())));
    // `segment-builder settings --time-zone America/Los_Angeles`, then a window opens.
    let mut other = Workspace::open(&path).unwrap();
    let settings = WorkspaceSettings { time_zone: "America/Los_Angeles".into(), ..other.settings().unwrap() };
    other.set_settings(&settings).unwrap();
    drop(other);
    evaluate(&ws, false, noon);
    assert_eq!(ws.membership_of(&lead(), lead_id).unwrap(), None, "yesterday in Los Angeles");
    let last = ws.membership_history(&lead(), lead_id).unwrap().pop().unwrap();
    assert_eq!(last.reason, MembershipReason::TimePassed);
}

#[test]
fn the_scheduled_run_places_stranded_records_once_a_seller_is_free() {
    use segment_builder::domain::Seller;
    use segment_builder::domain::assignment::{AssignmentRule, Distribution, RuleId, Target};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws.sqlite");
    let noon = ts("2026-03-10T12:00:00Z");
    let mut ws = Workspace::create(&path).unwrap();
    let def = ws.schema().get(&lead()).unwrap().clone();
    let mut seller = Seller {
        id: segment_builder::domain::SellerId(0),
        name: "Ana".into(),
        email: "ana@example.com".into(),
        time_zone: "UTC".into(),
        attributes: std::collections::BTreeMap::new(),
        capacity: Some(0),
        work_hours: Vec::new(),
        time_off: Vec::new(),
        assign_records: true,
    };
    seller.id = ws.insert_seller(&seller).unwrap();
    let lead_id = ws.insert_record(&lead(), Record::empty(RecordId(0), &def).values).unwrap();
    // A segment that takes every lead (no clock in it), with a capacity-honouring rule.
    let segment = Segment {
        id: SegmentId(0),
        record_type: lead(),
        name: "Everyone".into(),
        description: String::new(),
        status: Status::Draft,
        priority: 0,
        conditions: Group::all(NodeId(0)),
        accept_from_other_segments: false,
        rerun_assignment_on_move: false,
        sequence: None,
        created_on: noon,
        modified_on: noon,
    };
    let id = ws.insert_segment(&segment).unwrap();
    let rule = AssignmentRule {
        id: RuleId(0),
        name: "Ana".into(),
        active: true,
        conditions: Group::all(NodeId(0)),
        created_within_hours: None,
        target: Target::AnySeller,
        distribution: Distribution::RoundRobin,
        honour_capacity: true,
        available_within_hours: None,
    };
    ws.insert_rule(id, &rule, noon).unwrap();
    let (reader, mut snapshot) = load_snapshot(&path, &|_| {}).unwrap();
    let mut memberships = load_memberships(&reader, &mut snapshot).unwrap();
    let mut writer = None;
    let mut lifecycle =
        Lifecycle { path: &path, snapshot: &mut snapshot, memberships: &mut memberships, writer: &mut writer };
    let (_job, completion) = Job::<()>::pending("time", Arc::new(NoWaker));
    let plan = LifecyclePlan::activate(lead(), ws.segments(&lead()).unwrap(), id, noon).unwrap();
    lifecycle.apply(&plan, completion.reporter()).unwrap();
    let owner = |ws: &Workspace| ws.record(&lead(), lead_id).unwrap().unwrap().get(&def, "owner").clone();
    assert_eq!(owner(&ws), Value::Empty, "stranded: Ana has no capacity");
    let segments = vec![(lead(), ws.segments(&lead()).unwrap())];
    let evaluated = lifecycle.time_passed(&segments, noon, false, completion.reporter()).unwrap();
    assert!(evaluated.placed.is_empty(), "still no capacity");
    // Ana's capacity frees up; the next scheduled run (no clock segment at all) places it.
    seller.capacity = Some(5);
    ws.update_seller(&seller).unwrap();
    let later = ts("2026-03-10T12:15:00Z");
    let evaluated = lifecycle.time_passed(&segments, later, false, completion.reporter()).unwrap();
    assert_eq!(evaluated.placed, vec![(lead(), 1)]);
    assert_eq!(owner(&ws), Value::Owner(seller.id));
}
