//! The Monitor screen driven like a user (issue 6): Run now for all and for the ticked
//! records, manual assignment with the eligible sellers first, and "Why this seller?".

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use std::collections::BTreeMap;
use std::path::Path;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use segment_builder::app::App;
use segment_builder::app::Command;
use segment_builder::app::monitor::MonitorCommand;
use segment_builder::domain::assignment::AssignmentRule;
use segment_builder::domain::{Record, RecordId, SegmentId, Seller, SellerId, Value};
use segment_builder::state::RecordsCommand;
use segment_builder::state::rules::RulesCommand;
use segment_builder::store::Workspace;

mod common;
use common::harness::*;
use common::routing::{active_segment, any_seller_rule, join, text_equals};

struct Fixture {
    segment: SegmentId,
    leads: Vec<RecordId>,
    ana: SellerId,
    ben: SellerId,
    otto: SellerId,
}

/// A workspace with sellers Ana and Ben (assign records on) and Otto (off), and three leads
/// "Lead A/B/C" that joined "Germany" before it had a rule, then the rule "Everyone",
/// inactive: an active one would place them as soon as the window opens (the scheduled run
/// retries stranded records), so the tests switch it on once the window is open.
fn workspace(path: &Path) -> Fixture {
    let now = segment_builder::clock::now();
    let mut ws = Workspace::create(path).expect("create");
    let mut seller = |name: &str, on: bool| {
        ws.insert_seller(&Seller {
            id: SellerId(0),
            name: name.to_owned(),
            email: format!("{name}@example.com"),
            time_zone: "UTC".to_owned(),
            attributes: BTreeMap::new(),
            capacity: None,
            work_hours: Vec::new(),
            time_off: Vec::new(),
            assign_records: on,
        })
        .expect("seller")
    };
    let (ana, ben, otto) = (seller("Ana", true), seller("Ben", true), seller("Otto", false));
    let def = ws.schema().get(&lead()).expect("lead").clone();
    let leads: Vec<RecordId> = ["Lead A", "Lead B", "Lead C"]
        .iter()
        .map(|topic| {
            let mut record = Record::empty(RecordId(0), &def);
            assert!(record.set(&def, "topic", Value::Text((*topic).to_owned())));
            assert!(record.set(&def, "country", Value::Text("Germany".to_owned())));
            ws.insert_record(&lead(), record.values).expect("lead")
        })
        .collect();
    let segment = active_segment(&mut ws, &lead(), "Germany", text_equals("country", "Germany"), now);
    join(&mut ws, &lead(), segment, &leads, now);
    let inactive = AssignmentRule { active: false, ..any_seller_rule("Everyone") };
    ws.insert_rule(segment, &inactive, now).expect("rule");
    Fixture { segment, leads, ana, ben, otto }
}

fn owner(harness: &Harness<'_, App>, record: RecordId) -> Value {
    let ws = harness.state().workspace().expect("workspace");
    let def = ws.schema().get(&lead()).expect("lead");
    ws.record(&lead(), record).expect("read").expect("record").get(def, "owner").clone()
}

/// Switches the rule "Everyone" on, as its box on the rules tab does.
fn activate_rule(harness: &mut Harness<'_, App>, segment: SegmentId) {
    harness.state_mut().apply(Command::Rules(RulesCommand::Load(segment)));
    harness.run_steps(2);
    let rule = harness.state().state().rules.rules.first().expect("the rule").id;
    harness.state_mut().apply(Command::Rules(RulesCommand::SetActive { rule, active: true }));
    harness.run_steps(2);
    settle(harness);
}

fn open_monitor(path: &Path) -> Harness<'static, App> {
    let mut harness = open_app(path);
    harness.get_by_label("Monitor").click();
    harness.run_steps(3);
    settle(&mut harness);
    harness
}

#[test]
fn run_now_from_the_monitor_assigns_every_unassigned_member() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "monitor.sqlite");
    let fixture = workspace(&path);
    let mut harness = open_monitor(&path);
    harness.get_by_label("Unassigned (3)");
    harness.get_by_label(&format!("Lead A (#{})", fixture.leads[0].0));
    assert_eq!(harness.get_all_by_label("No assignment rules on the segment").count(), 3);
    let view = harness.state().state().view.as_ref().expect("view");
    assert_eq!(view.unassigned_counts.get(&fixture.segment), Some(&3));

    activate_rule(&mut harness, fixture.segment);
    harness.get_by_label("Run now").click();
    harness.run_steps(2);
    settle(&mut harness);
    assert_eq!(
        fixture.leads.iter().map(|&l| owner(&harness, l)).collect::<Vec<_>>(),
        [Value::Owner(fixture.ana), Value::Owner(fixture.ben), Value::Owner(fixture.ana)]
    );
    harness.get_by_label("Unassigned (0)");
    harness.get_by_label("Processed (3)");
    assert_eq!(harness.get_all_by_label("Everyone").count(), 3, "the rule shows on each processed row");
    assert_eq!(harness.get_all_by_label("Ana").count(), 2);
    // The engine took the owners: the segment's unassigned count follows.
    let view = harness.state().state().view.as_ref().expect("view");
    assert_eq!(view.unassigned_counts.get(&fixture.segment).copied().unwrap_or(0), 0);

    // "Why?" on a processed row names the filter that removed Otto.
    harness.get_all_by_label("Why?").next().expect("a Why? button").click();
    harness.run_steps(2);
    settle(&mut harness);
    harness.get_by_label_contains("Removed by the switch: \"Assign records\" is off");
    harness.get_by_label_contains("Fired: its conditions are met");
}

#[test]
fn run_now_for_the_ticked_record_then_assign_another_by_hand() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "monitor.sqlite");
    let fixture = workspace(&path);
    let mut harness = open_monitor(&path);
    activate_rule(&mut harness, fixture.segment);

    harness.get_by_label(&format!("Lead B (#{})", fixture.leads[1].0)).click();
    harness.run_steps(2);
    harness.get_by_label("Run now for 1 selected").click();
    harness.run_steps(2);
    settle(&mut harness);
    assert_eq!(owner(&harness, fixture.leads[1]), Value::Owner(fixture.ana));
    assert_eq!(owner(&harness, fixture.leads[0]), Value::Empty);
    assert_eq!(owner(&harness, fixture.leads[2]), Value::Empty);
    harness.get_by_label("Unassigned (2)");

    // Assign… for Lead A: eligible sellers (Ana, Ben) before Otto, whose switch is off.
    harness.get_all_by_label("Assign…").next().expect("an Assign… button").click();
    harness.run_steps(2);
    settle(&mut harness);
    harness.run_steps(10);
    let app = harness.state().state();
    let assign = app.monitor.assign.as_ref().expect("the assign window is open");
    let explanation = assign.explanation.latest().expect("explained");
    let (eligible, others) =
        segment_builder::app::monitor::manual_choices(explanation, app.view.as_ref().expect("view"));
    assert_eq!(eligible.iter().map(|(s, _)| *s).collect::<Vec<_>>(), [fixture.ben, fixture.ana]);
    assert_eq!(others.iter().map(|(s, _)| *s).collect::<Vec<_>>(), [fixture.otto]);
    harness.get_by_label("Eligible sellers");
    harness.get_by_label("Other sellers");
    harness.get_by_label("Assign to Otto");
    harness.get_by_label("Assign to Ben").click();
    harness.run_steps(2);
    settle(&mut harness);
    assert_eq!(owner(&harness, fixture.leads[0]), Value::Owner(fixture.ben));
    let row = harness
        .state()
        .workspace()
        .expect("workspace")
        .assignment_of(&lead(), fixture.leads[0])
        .expect("read")
        .expect("stored");
    assert_eq!((row.seller, row.rule), (Some(fixture.ben), None), "assigned by hand, no rule");
    assert!(harness.state().state().monitor.assign.is_none(), "the window closed");
    harness.get_by_label("Unassigned (1)");
    harness.get_by_label("By hand");
}

#[test]
fn why_this_seller_opens_from_the_records_screen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "monitor.sqlite");
    let fixture = workspace(&path);
    let mut harness = open_app(&path);
    activate_rule(&mut harness, fixture.segment);
    harness.get_by_label("Records").click();
    harness.run_steps(3);
    settle(&mut harness);
    harness.state_mut().apply(segment_builder::app::Command::from(RecordsCommand::Select(fixture.leads[2])));
    harness.run_steps(2);
    harness.get_by_label("Why this seller?").click();
    harness.run_steps(2);
    settle(&mut harness);
    harness.run_steps(5);
    // Not assigned yet: what Run now would do, with Otto removed by his switch.
    harness.get_by_label_contains("As the rules would decide now");
    harness.get_by_label_contains("Removed by the switch");
    harness.get_by_label_contains("Chosen by round robin");
    harness.state_mut().apply(segment_builder::app::Command::Monitor(MonitorCommand::CloseWhy));
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("Removed by the switch").is_none());
}
