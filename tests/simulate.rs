//! The distribution simulator (issue 14): what it says a set of members would get is what
//! the real assignment writes at the same clock — for the unassigned members ("Run now",
//! the scheduled retry), for records that joined (from scratch), with what-ifs and an
//! unsaved rule set equal to the same change made for real — and it writes nothing; the
//! `simulate` subcommand; the Assignment rules tab's section driven like a user.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use jiff::{SignedDuration, Timestamp};
use segment_builder::domain::assignment::simulate::{Simulation, SimulationRequest, SimulationSet};
use segment_builder::domain::assignment::{AssignmentRule, Distribution, Target, UnassignedReason};
use segment_builder::domain::{Record, RecordId, RecordTypeName, SegmentId, Seller, SellerId, Value};
use segment_builder::store::{AssignmentFilter, AssignmentRow, Workspace};

mod common;
use common::harness::{open_app, run_until, settle};
use common::routing::{active_segment, any_seller_rule, join, text_equals};

fn lead() -> RecordTypeName {
    RecordTypeName::new("lead")
}

fn t0() -> Timestamp {
    "2026-03-10T12:00:00Z".parse().unwrap()
}

fn t1() -> Timestamp {
    t0() + SignedDuration::from_hours(1)
}

fn seller(ws: &mut Workspace, name: &str, capacity: Option<u32>, on: bool) -> SellerId {
    ws.insert_seller(&Seller {
        id: SellerId(0),
        name: name.to_owned(),
        email: format!("{}@example.com", name.to_lowercase()),
        time_zone: "UTC".to_owned(),
        attributes: BTreeMap::new(),
        capacity,
        work_hours: Vec::new(),
        time_off: Vec::new(),
        assign_records: on,
    })
    .unwrap()
}

fn set_capacity(ws: &mut Workspace, id: SellerId, capacity: Option<u32>) {
    let mut stored = ws.sellers().unwrap().into_iter().find(|s| s.id == id).unwrap();
    stored.capacity = capacity;
    ws.update_seller(&stored).unwrap();
}

fn new_lead(ws: &mut Workspace, country: &str, created: Timestamp) -> RecordId {
    let def = ws.schema().get(&lead()).unwrap().clone();
    let mut record = Record::empty(RecordId(0), &def);
    assert!(record.set(&def, "country", Value::Text(country.to_owned())));
    assert!(record.set(&def, "topic", Value::Text(format!("{country} lead"))));
    assert!(record.set(&def, "created_on", Value::DateTime(created)));
    ws.insert_record(&lead(), record.values).unwrap()
}

fn capped_rule(name: &str) -> AssignmentRule {
    AssignmentRule { distribution: Distribution::LoadBalancing, honour_capacity: true, ..any_seller_rule(name) }
}

/// Sellers Ana (capacity 2), Ben (3), Cleo (1) and Dan (assign records off); "France"
/// (round robin to anyone) got 2 leads at `t0` (Ana and Ben one each); "Germany" (load
/// balancing, capacity honoured) got 8 at `t0`: 4 placed, 4 stranded with "no capacity".
struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    ws: Workspace,
    germany: SegmentId,
    ana: SellerId,
    ben: SellerId,
    cleo: SellerId,
    dan: SellerId,
}

fn fixture(at: Timestamp) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim.sqlite");
    let mut ws = Workspace::create(&path).unwrap();
    let ana = seller(&mut ws, "Ana", Some(2), true);
    let ben = seller(&mut ws, "Ben", Some(3), true);
    let cleo = seller(&mut ws, "Cleo", Some(1), true);
    let dan = seller(&mut ws, "Dan", None, false);
    let france = active_segment(&mut ws, &lead(), "France", text_equals("country", "France"), at);
    ws.insert_rule(france, &any_seller_rule("Anyone"), at).unwrap();
    let germany = active_segment(&mut ws, &lead(), "Germany", text_equals("country", "Germany"), at);
    ws.insert_rule(germany, &capped_rule("Capped"), at).unwrap();
    let created = at - SignedDuration::from_hours(24 * 30);
    let french: Vec<RecordId> = (0..2).map(|_| new_lead(&mut ws, "France", created)).collect();
    join(&mut ws, &lead(), france, &french, at);
    let german: Vec<RecordId> = (0..8).map(|_| new_lead(&mut ws, "Germany", created)).collect();
    join(&mut ws, &lead(), germany, &german, at);
    Fixture { _dir: dir, path, ws, germany, ana, ben, cleo, dan }
}

fn simulate(ws: &Workspace, request: &SimulationRequest, now: Timestamp) -> Simulation {
    ws.simulate_assignment(request, now, &mut |_, _| true).unwrap().expect("not cancelled")
}

fn rows(ws: &Workspace) -> HashMap<RecordId, AssignmentRow> {
    ws.assignments(&lead(), AssignmentFilter::All).unwrap().into_iter().map(|r| (r.record, r)).collect()
}

/// Every simulated record is what the store now holds for it: the seller and the rule, or
/// the reason (a record the run left unassigned without writing has no assignment row and
/// must be one the simulation left unassigned); every seller's open count is the
/// simulation's "after".
fn assert_simulation_was_written(ws: &Workspace, sim: &Simulation) {
    let stored = rows(ws);
    for record in &sim.records {
        match (record.outcome, stored.get(&record.record)) {
            (Ok(seller), Some(row)) => {
                assert_eq!(row.seller, Some(seller), "record {:?}", record.record);
                assert_eq!(row.rule, record.rule, "record {:?}", record.record);
            }
            (Err(reason), Some(row)) => {
                assert_eq!(row.seller, None, "record {:?}", record.record);
                if row.at == sim.at {
                    assert_eq!(row.reason, Some(reason), "record {:?}", record.record);
                }
            }
            (Ok(seller), None) => panic!("record {:?}: simulated to {seller:?}, nothing written", record.record),
            (Err(_), None) => {}
        }
    }
    let open = ws.open_records_by_seller().unwrap();
    for load in &sim.sellers {
        assert_eq!(
            u64::from(load.open_after()),
            open.get(&load.seller).copied().unwrap_or(0),
            "open records of {}",
            load.name
        );
    }
}

#[test]
fn the_unassigned_simulated_are_what_run_now_writes_and_nothing_is_written_before() {
    let mut f = fixture(t0());
    set_capacity(&mut f.ws, f.ben, Some(5));
    let before = rows(&f.ws);
    let mark = f.ws.assignment_mark().unwrap();
    let sim = simulate(&f.ws, &SimulationRequest::new(f.germany, SimulationSet::Unassigned), t1());
    assert_eq!(rows(&f.ws).len(), before.len(), "the simulation wrote no assignment");
    assert_eq!(f.ws.assignment_mark().unwrap(), mark, "nor any history");

    assert_eq!(sim.records.len(), 4, "the four stranded members");
    assert_eq!(sim.assigned(), 2, "Ben's two new places");
    assert_eq!(sim.unassigned, vec![(UnassignedReason::NoCapacity, 2)]);
    let load = |id: SellerId| sim.sellers.iter().find(|s| s.seller == id).unwrap().clone();
    let ben = load(f.ben);
    assert_eq!((ben.open_before, ben.given, ben.open_after(), ben.capacity), (3, 2, 5, Some(5)));
    assert_eq!((load(f.ana).open_before, load(f.ana).given), (2, 0));
    assert_eq!((load(f.cleo).open_before, load(f.cleo).given), (1, 0));
    assert!(!load(f.dan).eligible, "assign records off");
    let fairness = sim.fairness.expect("eligible sellers");
    assert_eq!((fairness.eligible, fairness.min, fairness.max), (3, 0, 2));
    assert!((fairness.gini - 2.0 / 3.0).abs() < 1e-9, "one of three got all: {}", fairness.gini);
    assert_eq!(fairness.ratio(), None);

    let ids: Vec<RecordId> = sim.records.iter().map(|r| r.record).collect();
    let run = f.ws.run_assignment(&lead(), Some(&ids), t1(), &mut |_, _| true).unwrap();
    assert_eq!((run.assigned, run.unassigned), (2, 2));
    assert_simulation_was_written(&f.ws, &sim);
}

#[test]
fn what_ifs_and_an_unsaved_rule_set_are_what_the_same_change_made_for_real_writes() {
    // A capacity what-if, a seller away: then the same change stored, and Run now.
    let mut f = fixture(t0());
    let mut request = SimulationRequest::new(f.germany, SimulationSet::Unassigned);
    let base = simulate(&f.ws, &request, t1());
    assert_eq!(base.assigned(), 0, "every capped seller is full");
    request.what_if.capacity.insert(f.cleo, Some(3));
    request.what_if.capacity.insert(f.ana, Some(4));
    request.what_if.away.insert(f.ben);
    let sim = simulate(&f.ws, &request, t1());
    assert_eq!(sim.assigned(), 4, "Ana and Cleo with two more places each take all four");
    let load = |id: SellerId| sim.sellers.iter().find(|s| s.seller == id).unwrap().clone();
    assert_eq!(load(f.ben).given, 0, "away");
    assert!(load(f.ben).away && !load(f.ben).eligible);
    assert!(load(f.cleo).capacity_changed);
    assert_eq!(load(f.cleo).capacity, Some(3));
    assert_eq!((load(f.ana).given, load(f.cleo).given), (2, 2));
    assert_eq!(f.ws.sellers().unwrap().iter().find(|s| s.id == f.cleo).unwrap().capacity, Some(1), "not stored");

    set_capacity(&mut f.ws, f.cleo, Some(3));
    set_capacity(&mut f.ws, f.ana, Some(4));
    let mut ben = f.ws.sellers().unwrap().into_iter().find(|s| s.id == f.ben).unwrap();
    ben.assign_records = false;
    f.ws.update_seller(&ben).unwrap();
    let ids: Vec<RecordId> = sim.records.iter().map(|r| r.record).collect();
    f.ws.run_assignment(&lead(), Some(&ids), t1(), &mut |_, _| true).unwrap();
    assert_simulation_was_written(&f.ws, &sim);

    // An unsaved rule set: only Cleo, capacity not honoured; then stored, and Run now on a
    // fresh copy of the same world.
    let mut g = fixture(t0());
    let mut rule = g.ws.rules(g.germany).unwrap().remove(0);
    rule.target = Target::Sellers(vec![g.cleo]);
    rule.honour_capacity = false;
    let request = SimulationRequest {
        rules: Some(vec![rule.clone()]),
        ..SimulationRequest::new(g.germany, SimulationSet::Unassigned)
    };
    let sim = simulate(&g.ws, &request, t1());
    assert!(sim.edited_rules);
    assert_eq!(sim.assigned(), 4);
    assert!(sim.records.iter().all(|r| r.outcome == Ok(g.cleo)));
    assert_eq!(g.ws.rules(g.germany).unwrap()[0].target, Target::AnySeller, "the stored rule is unchanged");
    g.ws.update_rule(&rule, t1()).unwrap();
    let ids: Vec<RecordId> = sim.records.iter().map(|r| r.record).collect();
    g.ws.run_assignment(&lead(), Some(&ids), t1(), &mut |_, _| true).unwrap();
    assert_simulation_was_written(&g.ws, &sim);
}

#[test]
fn records_that_joined_simulated_from_scratch_are_what_the_join_wrote() {
    // Round robin without limits, so the order of the sellers' last assignments decides.
    let dir = tempfile::tempdir().unwrap();
    let mut ws = Workspace::create(&dir.path().join("joined.sqlite")).unwrap();
    let sellers: Vec<SellerId> = ["Ana", "Ben", "Cleo"].iter().map(|n| seller(&mut ws, n, None, true)).collect();
    let segment = active_segment(&mut ws, &lead(), "Germany", text_equals("country", "Germany"), t0());
    ws.insert_rule(segment, &any_seller_rule("Anyone"), t0()).unwrap();
    let old: Vec<RecordId> =
        (0..4).map(|_| new_lead(&mut ws, "Germany", t0() - SignedDuration::from_hours(24 * 30))).collect();
    join(&mut ws, &lead(), segment, &old, t0());
    let open_before = ws.open_records_by_seller().unwrap();

    let fresh: Vec<RecordId> =
        (0..5).map(|_| new_lead(&mut ws, "Germany", t1() - SignedDuration::from_hours(2))).collect();
    join(&mut ws, &lead(), segment, &fresh, t1());
    let sim = simulate(&ws, &SimulationRequest::new(segment, SimulationSet::CreatedWithin { days: 1 }), t1());
    assert_eq!(sim.records.iter().map(|r| r.record).collect::<Vec<_>>(), fresh, "only the records created lately");
    for load in &sim.sellers {
        assert_eq!(u64::from(load.open_before), open_before.get(&load.seller).copied().unwrap_or(0), "{}", load.name);
    }
    assert_eq!(sim.assigned(), 5);
    // The old four went Ana, Ben, Cleo, Ana: Ben is next.
    assert_eq!(sim.records[0].outcome, Ok(sellers[1]));
    assert_simulation_was_written(&ws, &sim);
    let fairness = sim.fairness.unwrap();
    assert_eq!((fairness.min, fairness.max), (1, 2));
}

#[test]
fn records_joined_before_a_rule_simulated_then_placed_by_the_apply_at_the_same_clock() {
    // They joined while the only rule was inactive; the rule is then switched on. Simulate
    // "created in the last 7 days" at t1, then `apply` at t1 retries them for real.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("forward.sqlite");
    let mut ws = Workspace::create(&path).unwrap();
    seller(&mut ws, "Ana", Some(2), true);
    seller(&mut ws, "Ben", Some(1), true);
    let segment = active_segment(&mut ws, &lead(), "Germany", text_equals("country", "Germany"), t0());
    let rule = AssignmentRule { active: false, ..capped_rule("Capped") };
    let id = ws.insert_rule(segment, &rule, t0()).unwrap();
    let leads: Vec<RecordId> =
        (0..5).map(|_| new_lead(&mut ws, "Germany", t0() - SignedDuration::from_hours(3))).collect();
    join(&mut ws, &lead(), segment, &leads, t0());
    assert!(rows(&ws).is_empty(), "no rules: nothing written on join");
    ws.update_rule(&AssignmentRule { id, active: true, ..rule }, t0()).unwrap();

    let sim = simulate(&ws, &SimulationRequest::new(segment, SimulationSet::CreatedWithin { days: 7 }), t1());
    assert_eq!(sim.records.len(), 5);
    assert_eq!(sim.assigned(), 3, "the three places there are");
    assert_eq!(sim.unassigned, vec![(UnassignedReason::NoCapacity, 2)]);
    drop(ws);
    let report = segment_builder::cli::apply_command(&path, t1(), false).unwrap();
    assert_eq!(report.record_types[0].retried, 3);
    let ws = Workspace::open(&path).unwrap();
    assert_simulation_was_written(&ws, &sim);
}

fn binary() -> Process {
    Process::new(env!("CARGO_BIN_EXE_segment-builder"))
}

fn run(args: &[&str], path: &Path) -> (bool, String, String) {
    let output = binary().arg("simulate").arg(path).args(args).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_simulate_subcommand_prints_the_same_figures_as_json_and_text() {
    let mut f = fixture(t0());
    set_capacity(&mut f.ws, f.ben, Some(5));
    let expected = simulate(&f.ws, &SimulationRequest::new(f.germany, SimulationSet::Unassigned), t1());
    let path = f.path.clone();
    let now = t1().to_string();
    let (ok, out, err) = run(&["--segment", "Germany", "--now", &now, "--json"], &path);
    assert!(ok, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["set"], "unassigned");
    assert_eq!(json["records"], 4);
    assert_eq!(json["assigned"], expected.assigned());
    assert_eq!(json["unassigned_by_reason"][0]["reason"], "no_capacity");
    assert_eq!(json["unassigned_by_reason"][0]["records"], 2);
    let ben = json["sellers"].as_array().unwrap().iter().find(|s| s["name"] == "Ben").unwrap().clone();
    assert_eq!(
        (ben["records"].as_u64(), ben["open_before"].as_u64(), ben["open_after"].as_u64()),
        (Some(2), Some(3), Some(5))
    );
    assert_eq!(json["fairness"]["eligible_sellers"], 3);
    assert!(json["fairness"]["max_min_ratio"].is_null(), "a seller got none");

    // A what-if capacity by name, a seller away; the whole set from scratch.
    let (ok, out, err) =
        run(&["--segment", "Germany", "--now", &now, "--capacity", "Cleo=3", "--away", "Ana", "--json"], &path);
    assert!(ok, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["assigned"], 4, "Ben's two and Cleo's two");
    let (ok, out, _) = run(&["--segment", "Germany", "--now", &now, "--set", "members", "--json"], &path);
    assert!(ok);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["records"], 8);

    let (ok, out, err) = run(&["--segment", "Germany", "--now", &now], &path);
    assert!(ok, "{err}");
    assert!(out.contains("Germany: 4 records (unassigned members)"), "{out}");
    assert!(out.contains("nothing was written"), "{out}");
    assert!(out.contains("unassigned: 2 (Eligible sellers have no capacity)"), "{out}");
    assert!(out.contains("fairness: Gini 0.667"), "{out}");

    let (ok, _, err) = run(&["--segment", "Spain"], &path);
    assert!(!ok);
    assert!(err.contains("there is no segment \"Spain\""), "{err}");
    let (ok, _, err) = run(&["--segment", "Germany", "--set", "recent"], &path);
    assert!(!ok);
    assert!(err.contains("--days"), "{err}");
    assert_eq!(rows(&f.ws).len(), 10, "nothing written: the 2 French and 8 German rows of the joins");
}

#[test]
fn simulate_on_the_rules_tab_then_change_a_capacity_and_see_the_result_follow() {
    use egui_kittest::kittest::Queryable;
    use segment_builder::app::Command;
    use segment_builder::state::SegmentsCommand;

    let f = fixture(segment_builder::clock::now());
    let (path, germany, cleo) = (f.path.clone(), f.germany, f.cleo);
    drop(f.ws);
    let mut harness = open_app(&path);
    harness.state_mut().apply(Command::Segments(SegmentsCommand::Select(germany)));
    harness.run_steps(3);
    harness.get_by_label("Assignment rules").click();
    harness.run_steps(3);
    settle(&mut harness);
    harness.get_by_label("Distribution simulator");
    harness.get_by_label("Simulate").click();
    let result = |app: &segment_builder::app::App| app.state().rules.simulate.result.clone();
    run_until(&mut harness, "the simulation", |app| {
        result(app).is_some() && app.state().rules.simulate.running.is_none()
    });
    let first = result(harness.state()).unwrap();
    assert_eq!((first.records.len(), first.assigned()), (4, 0), "every capped seller is full");
    harness.get_by_label("4 records (unassigned members): 0 would be assigned, 4 stay unassigned");

    // Two more places for Cleo: her capacity set to 3 (as typing it, or a screen reader,
    // does).
    harness.get_by_label("Capacity of Cleo").set_value_accesskit(3.0);
    harness.run_steps(2);
    run_until(&mut harness, "the simulation again", |app| {
        app.state().rules.simulate.running.is_none()
            && result(app).is_some_and(|r| r.what_if.capacity.get(&cleo) == Some(&Some(3)))
    });
    let second = result(harness.state()).unwrap();
    assert_eq!(second.assigned(), 2, "Cleo takes two");
    assert!(second.records.iter().filter_map(|r| r.outcome.ok()).all(|s| s == cleo));
    harness.get_by_label("4 records (unassigned members): 2 would be assigned, 2 stay unassigned");
    let stored = harness.state().workspace().unwrap().sellers().unwrap();
    assert_eq!(stored.iter().find(|s| s.id == cleo).unwrap().capacity, Some(1), "the seller is not changed");
}

#[test]
fn a_what_if_simulates_again_only_while_a_result_of_the_segment_is_shown() {
    use segment_builder::domain::assignment::simulate::WhatIf;
    use segment_builder::state::AppState;
    use segment_builder::state::effect::{Context, Effect};
    use segment_builder::state::simulate::{SimulateCommand, SimulateEffect, apply};

    let ctx = Context { now: t1() };
    let mut state = AppState { selected_segment: Some(SegmentId(4)), ..AppState::default() };
    let capacity = SimulateCommand::SetCapacity { seller: SellerId(2), capacity: Some(Some(7)) };
    assert!(apply(&mut state, capacity.clone(), &ctx).is_empty(), "nothing shown: nothing to run");
    assert_eq!(state.rules.simulate.what_if.capacity.get(&SellerId(2)), Some(&Some(7)), "kept for the next run");

    let effects = apply(&mut state, SimulateCommand::Run, &ctx);
    let [Effect::Simulate(SimulateEffect::Run { request, now })] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!((request.segment, request.set, *now), (SegmentId(4), SimulationSet::Unassigned, t1()));
    assert_eq!(request.what_if.capacity.get(&SellerId(2)), Some(&Some(7)));
    assert!(request.rules.is_none(), "the stored rules");
    state.rules.simulate.result = Some(Simulation {
        segment: SegmentId(4),
        set: SimulationSet::Unassigned,
        at: t1(),
        edited_rules: false,
        what_if: request.what_if.clone(),
        records: Vec::new(),
        sellers: Vec::new(),
        unassigned: Vec::new(),
        fairness: None,
    });
    state.rules.simulate.running = None;

    let away = SimulateCommand::SetAway { seller: SellerId(3), away: true };
    let effects = apply(&mut state, away, &ctx);
    let [Effect::Simulate(SimulateEffect::Run { request, .. })] = effects.as_slice() else { panic!("{effects:?}") };
    assert!(request.what_if.away.contains(&SellerId(3)));
    let effects = apply(&mut state, SimulateCommand::ResetWhatIfs, &ctx);
    let [Effect::Simulate(SimulateEffect::Run { request, .. })] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(request.what_if, WhatIf::default());

    // Another segment selected: its result is not shown, so nothing runs.
    state.selected_segment = Some(SegmentId(5));
    assert!(apply(&mut state, capacity, &ctx).is_empty());
    state.selected_segment = Some(SegmentId(4));
    let effects = apply(&mut state, SimulateCommand::Cancel, &ctx);
    assert_eq!(effects, vec![Effect::Simulate(SimulateEffect::Cancel)]);
}
