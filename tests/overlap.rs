//! Which segments fight: the overlap matrix against the reference evaluator, the lint's
//! verdicts on crafted trees and data, `overlap` and `lint` on the command line, and the
//! Overlap screen and the list's lint in the window.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

mod common;

use std::process::Command;

use common::r#gen::{arb_tree, arb_world};
use common::harness::{open_app, reference_dataset, run_until, wait_for_label};
use common::*;
use egui_kittest::kittest::Queryable;
use jiff::tz::TimeZone;
use proptest::prelude::{BoxedStrategy, ProptestConfig, Strategy, prop_assert, prop_assert_eq, prop_oneof, proptest};
use segment_builder::domain::lint::{Verdict, contradiction, normal_form};
use segment_builder::domain::{
    Dataset, EvalContext, Group, MemoryDataset, Number, Operator as Op, RecordTypeName, Segment, SegmentId, SellerId,
    Status, TeamId, Value, matches,
};
use segment_builder::engine::Snapshot;
use segment_builder::engine::overlap::analyse;

fn snapshot_of(ds: &MemoryDataset, zone: &TimeZone) -> Snapshot {
    let schema = ds.schema().clone();
    let by_type = schema.types.iter().map(|t| (&t.name, ds.records(&t.name)));
    let teams: Vec<(TeamId, Vec<SellerId>)> =
        (0..9).map(|t| (TeamId(t), ds.team_members(TeamId(t)).to_vec())).collect();
    Snapshot::build(&schema, zone.clone(), by_type, teams)
}

fn segment(id: i64, name: &str, status: Status, conditions: Group) -> Segment {
    let now = instant("2026-03-01T00:00:00Z");
    Segment {
        id: SegmentId(id),
        record_type: RecordTypeName::new("thing"),
        name: name.to_owned(),
        description: String::new(),
        status,
        priority: u32::try_from(id).unwrap(),
        conditions,
        accept_from_other_segments: false,
        rerun_assignment_on_move: false,
        sequence: None,
        created_on: now,
        modified_on: now,
    }
}

/// The records of `thing` that both trees match, by the reference evaluator.
fn reference_shared(ds: &MemoryDataset, ctx: &EvalContext, a: &Group, b: &Group) -> usize {
    let def = ds.schema().get_by_str("thing").unwrap().clone();
    ds.records(&name("thing")).filter(|r| matches(ds, ctx, &def, r, a) && matches(ds, ctx, &def, r, b)).count()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Every cell (and the diagonal) is what the reference evaluator counts.
    #[test]
    fn overlap_cells_are_the_reference_evaluators_counts(
        ds in arb_world(&schema()),
        trees in proptest::collection::vec(arb_tree(&schema(), "thing"), 1..5),
    ) {
        let ctx = ctx();
        let snapshot = snapshot_of(&ds, &ctx.time_zone);
        let segments: Vec<Segment> = trees
            .iter()
            .enumerate()
            .map(|(i, t)| segment(i as i64, &format!("s{i}"), Status::Active, t.clone()))
            .collect();
        let analysis = analyse(&snapshot, &name("thing"), &segments, &ctx).unwrap();
        prop_assert_eq!(analysis.segments.len(), trees.len());
        for (i, a) in trees.iter().enumerate() {
            for (j, b) in trees.iter().enumerate() {
                prop_assert_eq!(analysis.shared[i][j], reference_shared(&ds, &ctx, a, b), "cell {} {}", i, j);
            }
        }
    }

    /// "Can never match" is never said of a tree some record matches: random trees (also
    /// with conditions that do not fit the schema), and two or three conditions on one field
    /// (some of them to fail, in a "None of" group).
    #[test]
    fn a_contradiction_matches_no_record(
        ds in arb_world(&schema()),
        tree in prop_oneof![arb_tree(&schema(), "thing"), arb_same_field(), common::r#gen::arb_any_tree(&schema())],
    ) {
        let schema = schema();
        let def = type_def(&schema, "thing");
        if let Some(found) = contradiction(&schema, def, &tree) {
            let matching = ds.matching(&ctx(), &name("thing"), &tree);
            prop_assert!(matching.is_empty(), "{} but {:?} match", found.reason, matching);
        }
    }
}

/// All of two or three conditions on one field of `thing`, the third in a "None of" group.
fn arb_same_field() -> BoxedStrategy<Group> {
    use proptest::sample::select;
    use segment_builder::domain::{Condition, Node, NodeId, operators_for};
    let fields = common::r#gen::reachable_fields(&schema(), &name("thing"));
    select(fields)
        .prop_flat_map(|(path, field)| {
            let condition = {
                let path = path.clone();
                let field = field.clone();
                select(operators_for(field.kind).to_vec()).prop_flat_map(move |operator| {
                    let path = path.clone();
                    common::r#gen::arb_operand(&field, operator).prop_map(move |value| {
                        Node::Condition(Condition { id: NodeId(0), path: path.clone(), operator, value })
                    })
                })
            };
            (condition.clone(), condition.clone(), proptest::option::of(condition))
        })
        .prop_map(|(a, b, c)| {
            let mut children = vec![a, b];
            if let Some(c) = c {
                children.push(group(not(any(vec![c]))));
            }
            tree(all(children))
        })
        .boxed()
}

/// Overlap on crafted records: five things with counts 1 to 5.
#[test]
fn overlap_counts_crafted_records() {
    let schema = schema();
    let thing = type_def(&schema, "thing");
    let mut ds = MemoryDataset::new(schema.clone());
    for id in 1..=5 {
        ds.insert(&thing.name, record(thing, id, &[("count", Value::WholeNumber(id))]));
    }
    let ctx = ctx();
    let segments = vec![
        segment(0, "low", Status::Active, tree(all(vec![cond("count", Op::LessOrEqual, w(3))]))),
        segment(1, "high", Status::Active, tree(all(vec![cond("count", Op::GreaterOrEqual, w(2))]))),
        segment(2, "none", Status::Draft, tree(all(vec![cond("count", Op::GreaterThan, w(9))]))),
    ];
    let analysis = analyse(&snapshot_of(&ds, &ctx.time_zone), &name("thing"), &segments, &ctx).unwrap();
    assert_eq!(analysis.shared, vec![vec![3, 2, 0], vec![2, 4, 0], vec![0, 0, 0]]);
    assert_eq!(analysis.largest_shared(), 2);
}

/// Whether the tree alone says `root` (on `thing`) can never match.
fn check(root: Group, never: bool) {
    let schema = schema();
    let root = tree(root);
    let found = contradiction(&schema, type_def(&schema, "thing"), &root);
    assert_eq!(found.is_some(), never, "{root:?}: {found:?}");
}

#[test]
fn contradictions_are_found_on_the_tree() {
    let never = true;
    check(all(vec![cond("count", Op::GreaterThan, w(10)), cond("count", Op::LessThan, w(5))]), never);
    check(all(vec![cond("count", Op::GreaterThan, w(10)), cond("count", Op::LessThan, w(12))]), !never);
    check(all(vec![cond("count", Op::GreaterThan, w(10)), cond("count", Op::LessThan, w(11))]), never);
    check(all(vec![cond("count", Op::Between, nr(10.0, 5.0))]), never);
    check(all(vec![cond("count", Op::Equals, n(2.5))]), never);
    check(all(vec![cond("price", Op::Equals, n(2.5)), cond("price", Op::GreaterThan, n(2.0))]), !never);
    check(all(vec![cond("ratio", Op::GreaterThan, n(1.5)), cond("ratio", Op::LessThan, n(1.5))]), never);
    check(all(vec![cond("ratio", Op::GreaterOrEqual, n(1.5)), cond("ratio", Op::LessOrEqual, n(1.5))]), !never);
    check(all(vec![cond("name", Op::Equals, t("a")), cond("name", Op::Equals, t("b"))]), never);
    check(all(vec![cond("name", Op::Equals, t("Straße")), cond("name", Op::Equals, t("STRASSE"))]), !never);
    check(all(vec![cond("name", Op::Equals, t("x")), cond("name", Op::NotEquals, t("X"))]), never);
    check(all(vec![cond("name", Op::BeginsWith, t("ab")), cond("name", Op::BeginsWith, t("ac"))]), never);
    check(all(vec![cond("name", Op::BeginsWith, t("ab")), cond("name", Op::BeginsWith, t("a"))]), !never);
    check(all(vec![cond("name", Op::Equals, t("abc")), cond("name", Op::NotContains, t("B"))]), never);
    check(all(vec![cond("name", Op::IsEmpty, NONE), cond("name", Op::MatchesPattern, t("^$"))]), never);
    check(all(vec![cond("name", Op::MatchesPattern, t("a")), cond("name", Op::MatchesPattern, t("b"))]), !never);
    // What the check cannot reason about is never alike: one pattern or team says nothing of another.
    let none_of = |node| group(not(any(vec![node])));
    let (pattern, team) = (
        |p: &str| cond("name", Op::MatchesPattern, t(p)),
        |id| cond("owner", Op::MemberOfTeam, segment_builder::domain::Operand::Team(TeamId(id))),
    );
    check(all(vec![pattern("a"), none_of(pattern("b"))]), !never);
    check(all(vec![team(7), none_of(team(8))]), !never);
    check(
        all(vec![
            cond("size", Op::AnyOf, choices(&["Small"])),
            cond("size", Op::NoneOf, choices(&["small", "Medium"])),
        ]),
        never,
    );
    check(
        all(vec![cond("size", Op::AnyOf, choices(&["Small", "Large"])), cond("size", Op::NoneOf, choices(&["Small"]))]),
        !never,
    );
    check(all(vec![cond("done", Op::IsYes, NONE), cond("done", Op::IsNo, NONE)]), never);
    check(all(vec![cond("due", Op::On, d("2026-01-01")), cond("due", Op::After, d("2026-02-01"))]), never);
    check(
        all(vec![cond("due", Op::Between, dr("2026-01-01", "2026-03-01")), cond("due", Op::After, d("2026-02-01"))]),
        !never,
    );
    check(all(vec![cond("due", Op::Today, NONE), cond("due", Op::Yesterday, NONE)]), never);
    check(all(vec![cond("due", Op::Today, NONE), cond("due", Op::ThisWeek, NONE)]), !never);
    check(
        all(vec![cond("at", Op::Before, d("2026-01-01T10:00")), cond("at", Op::After, d("2026-01-01T09:00"))]),
        !never,
    );
    check(
        all(vec![
            cond("company.industry", Op::AnyOf, choices(&["Software"])),
            cond("company.industry", Op::AnyOf, choices(&["Retail"])),
        ]),
        never,
    );
    check(
        all(vec![
            cond("company.industry", Op::AnyOf, choices(&["Software"])),
            cond("industry", Op::AnyOf, choices(&["Retail"])),
        ]),
        !never,
    );
    // Groups: nested conjunctions, "None of", an Any whose every branch is impossible.
    check(all(vec![cond("count", Op::GreaterOrEqual, w(1)), group(all(vec![cond("count", Op::Equals, w(0))]))]), never);
    check(all(vec![cond("count", Op::Equals, w(3)), group(not(any(vec![cond("count", Op::Equals, w(3))])))]), never);
    check(all(vec![cond("count", Op::Equals, w(3)), group(not(any(vec![cond("count", Op::Equals, w(4))])))]), !never);
    check(any(vec![]), never);
    check(
        any(vec![
            group(all(vec![cond("count", Op::GreaterThan, w(10)), cond("count", Op::LessThan, w(5))])),
            group(all(vec![cond("done", Op::IsYes, NONE), cond("done", Op::IsEmpty, NONE)])),
        ]),
        never,
    );
    check(
        any(vec![
            group(all(vec![cond("count", Op::GreaterThan, w(10)), cond("count", Op::LessThan, w(5))])),
            cond("count", Op::Equals, w(3)),
        ]),
        !never,
    );
    check(not(all(vec![cond("count", Op::GreaterThan, w(10)), cond("count", Op::LessThan, w(5))])), !never);
    check(all(vec![group(any(vec![cond("count", Op::Equals, w(1))])), cond("count", Op::Equals, w(2))]), !never);
    // Related blocks: at least one impossible related record, or none of them.
    let impossible = all(vec![cond("amount", Op::GreaterThan, n(10.0)), cond("amount", Op::LessThan, n(5.0))]);
    check(all(vec![has("deal", "thing", impossible.clone())]), never);
    check(all(vec![has_no("deal", "thing", impossible)]), !never);
}

#[test]
fn the_reason_names_both_conditions() {
    let schema = schema();
    let root = tree(all(vec![cond("count", Op::GreaterThan, w(10)), cond("count", Op::LessThan, w(5))]));
    let found = contradiction(&schema, type_def(&schema, "thing"), &root).unwrap();
    assert_eq!(found.reason, "\"Count > 10\" and \"Count < 5\" cannot both hold");
    assert_eq!(found.nodes.len(), 2);
}

#[test]
fn normal_forms_ignore_order_nesting_case_and_ids() {
    let plain =
        tree(all(vec![cond("name", Op::Equals, t("Acme")), cond("size", Op::AnyOf, choices(&["Small", "Large"]))]));
    let reworded = tree(all(vec![
        group(all(vec![cond("size", Op::AnyOf, choices(&["large", "SMALL"]))])),
        cond("name", Op::Equals, t("ACME")),
    ]));
    assert_eq!(normal_form(&plain), normal_form(&reworded));
    let either =
        tree(any(vec![cond("name", Op::Equals, t("Acme")), cond("size", Op::AnyOf, choices(&["Small", "Large"]))]));
    assert_ne!(normal_form(&plain), normal_form(&either), "All and Any differ");
    let pattern = tree(all(vec![cond("name", Op::MatchesPattern, t("Acme"))]));
    let shouted = tree(all(vec![cond("name", Op::MatchesPattern, t("ACME"))]));
    assert_ne!(normal_form(&pattern), normal_form(&shouted), "a pattern keeps its case");
}

/// Twenty things with counts 1 to 20, and segments that fight over them.
#[test]
fn lint_verdicts_on_crafted_segments() {
    let schema = schema();
    let thing = type_def(&schema, "thing");
    let mut ds = MemoryDataset::new(schema.clone());
    for id in 1..=20 {
        ds.insert(&thing.name, record(thing, id, &[("count", Value::WholeNumber(id))]));
    }
    let ctx = ctx();
    let count = |op, x| cond("count", op, w(x));
    let segments = vec![
        segment(0, "Small", Status::Active, tree(all(vec![count(Op::LessOrEqual, 10)]))),
        segment(1, "Large", Status::Active, tree(all(vec![count(Op::GreaterThan, 10)]))),
        segment(2, "Middle", Status::Draft, tree(all(vec![count(Op::GreaterOrEqual, 5), count(Op::LessOrEqual, 15)]))),
        segment(3, "Small again", Status::Draft, tree(all(vec![count(Op::LessThan, 11)]))),
        segment(4, "Small copy", Status::Inactive, tree(all(vec![group(all(vec![count(Op::LessOrEqual, 10)]))]))),
        segment(5, "Huge", Status::Active, tree(all(vec![count(Op::GreaterThan, 30)]))),
        segment(6, "Impossible", Status::Draft, tree(all(vec![count(Op::GreaterThan, 10), count(Op::LessThan, 5)]))),
        segment(7, "Tiny", Status::Draft, tree(all(vec![count(Op::GreaterOrEqual, 1), count(Op::LessOrEqual, 3)]))),
        segment(
            8,
            "Middle twin",
            Status::Draft,
            tree(all(vec![count(Op::LessOrEqual, 15), count(Op::GreaterOrEqual, 5)])),
        ),
    ];
    let analysis = analyse(&snapshot_of(&ds, &ctx.time_zone), &name("thing"), &segments, &ctx).unwrap();
    let verdicts = |i: usize| analysis.lints[i].verdicts.clone();
    let shadowed = |by: &[&str]| Verdict::Shadowed { by: by.iter().map(|s| (*s).to_owned()).collect() };
    assert_eq!(verdicts(0), vec![]);
    assert_eq!(verdicts(1), vec![]);
    assert_eq!(verdicts(2), vec![shadowed(&["Small", "Large"])], "drafts and inactive segments claim nothing");
    assert_eq!(
        verdicts(3),
        vec![shadowed(&["Small"]), Verdict::SameRecords { segment: "Small".into() }],
        "the same records, defined otherwise"
    );
    assert_eq!(verdicts(4), vec![Verdict::SameDefinition { segment: "Small".into() }, shadowed(&["Small"])]);
    assert_eq!(verdicts(5), vec![Verdict::MatchesNoRecord]);
    assert!(
        matches!(&verdicts(6)[..], [Verdict::CanNeverMatch { nodes, .. }] if nodes.len() == 2),
        "{:?}",
        verdicts(6)
    );
    let tiny = verdicts(7);
    let first_condition = match &segments[7].conditions.children[0] {
        segment_builder::domain::Node::Condition(c) => c.id,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        tiny,
        vec![shadowed(&["Small"]), Verdict::ChangesNothing { node: first_condition, condition: "Count ≥ 1".into() },],
        "every thing counts at least 1: that condition changes nothing"
    );
    assert_eq!(
        verdicts(8),
        vec![Verdict::SameDefinition { segment: "Middle".into() }, shadowed(&["Small", "Large"])],
        "conditions in another order are the same definition"
    );
    assert_eq!(shadowed(&["Small", "Large"]).message(), "Shadowed by Small and Large: no record can reach it");
}

// ---------------------------------------------------------------------------------------
// The command line and the window, on a demo workspace with two segments added.

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segment-builder"))
}

/// A demo (1,500 leads) with a copy of "Hot leads in Germany" written otherwise, and a
/// segment whose conditions contradict each other.
fn demo_with_findings(dir: &tempfile::TempDir) -> std::path::PathBuf {
    use segment_builder::demo::{DemoSpec, create_demo_workspace};
    use segment_builder::domain::{Condition, FieldPath, Node, NodeId, Operand};
    use segment_builder::store::Workspace;
    let path = dir.path().join("fights.sqlite");
    let now = segment_builder::clock::now();
    create_demo_workspace(&path, &DemoSpec::with_leads(1500, DemoSpec::STANDARD_SEED, now), &mut |_, _| true)
        .expect("demo");
    let mut ws = Workspace::open(&path).expect("open");
    let lead = RecordTypeName::new("lead");
    let hot =
        ws.segments(&lead).expect("segments").into_iter().find(|s| s.name == "Hot leads in Germany").expect("hot");
    let mut copy = hot.conditions.clone();
    copy.children.reverse();
    let employees = |id, operator, value| {
        Node::Condition(Condition {
            id: NodeId(id),
            path: FieldPath::own("employee_count"),
            operator,
            value: Operand::Number(Number::Whole(value)),
        })
    };
    let impossible = Group {
        children: vec![employees(1, Op::GreaterThan, 10), employees(2, Op::LessThan, 5)],
        ..Group::all(NodeId(0))
    };
    for (name, conditions) in [("German hot leads", copy), ("Impossible leads", impossible)] {
        let segment = Segment { name: name.to_owned(), conditions, status: Status::Draft, ..hot.clone() };
        ws.insert_segment(&segment).expect("insert");
    }
    path
}

#[test]
fn overlap_and_lint_on_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo_with_findings(&dir);
    let now = "2026-12-01T12:00:00Z";
    let output =
        binary().arg("overlap").arg(&path).args(["--type", "lead", "--now", now, "--json"]).output().expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["record_type"], "lead");
    // Every cell against the reference evaluator, segments in priority order.
    let (dataset, zone) = reference_dataset(&path);
    let ctx = EvalContext::new(now.parse().unwrap(), zone);
    let ws = segment_builder::store::Workspace::open(&path).expect("open");
    let lead = RecordTypeName::new("lead");
    let segments = ws.segments(&lead).expect("segments");
    let listed: Vec<&str> = json["segments"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(listed, segments.iter().map(|s| s.name.as_str()).collect::<Vec<_>>());
    let def = ws.schema().get(&lead).unwrap().clone();
    let sets: Vec<Vec<bool>> = segments
        .iter()
        .map(|s| dataset.records(&lead).map(|r| matches(&dataset, &ctx, &def, r, &s.conditions)).collect())
        .collect();
    for (i, a) in sets.iter().enumerate() {
        for (j, b) in sets.iter().enumerate() {
            let both = a.iter().zip(b).filter(|(x, y)| **x && **y).count();
            assert_eq!(json["shared"][i][j].as_u64(), Some(both as u64), "cell {i} {j}");
        }
    }
    let text = binary().arg("overlap").arg(&path).args(["--type", "lead", "--now", now]).output().expect("run");
    assert!(String::from_utf8_lossy(&text.stdout).contains("1. Hot leads in Germany"));

    let output = binary().arg("lint").arg(&path).args(["--now", now, "--json"]).output().expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let leads = json["record_types"].as_array().unwrap().iter().find(|t| t["record_type"] == "lead").expect("leads");
    let verdicts_of = |name: &str| {
        let segment = leads["segments"].as_array().unwrap().iter().find(|s| s["segment"] == name).expect(name);
        segment["verdicts"].as_array().unwrap().clone()
    };
    let copy = verdicts_of("German hot leads");
    assert!(copy.iter().any(|v| v["kind"] == "same_definition" && v["segment"] == "Hot leads in Germany"), "{copy:?}");
    assert!(copy.iter().any(|v| v["kind"] == "shadowed" && v["by"][0] == "Hot leads in Germany"), "{copy:?}");
    let impossible = verdicts_of("Impossible leads");
    assert_eq!(impossible.len(), 1, "{impossible:?}");
    assert_eq!(impossible[0]["kind"], "can_never_match");
    assert!(impossible[0]["message"].as_str().unwrap().contains("cannot both hold"));
    let text = binary().arg("lint").arg(&path).args(["--type", "lead", "--now", now]).output().expect("run");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Same definition as Hot leads in Germany"), "{text}");

    let unknown = binary().arg("overlap").arg(&path).args(["--type", "nothing"]).output().expect("run");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no record type \"nothing\""));
}

#[test]
fn the_overlap_screen_lists_a_cells_records_and_the_list_shows_lint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo_with_findings(&dir);
    let mut harness = open_app(&path);
    run_until(&mut harness, "the lint", |app| app.state().overlap.analysis.latest().is_some());
    // The segment list says what is wrong.
    assert!(harness.query_by_label_contains("Can never match").is_some(), "the contradiction is in the list");
    assert!(
        harness.query_by_label_contains("Same definition as Hot leads in Germany").is_some(),
        "said before shadowed"
    );
    harness.get_by_label("Overlap").click();
    harness.run_steps(3);
    let analysis = harness.state().state().overlap.analysis.latest().cloned().expect("analysis");
    let (first, second) = (&analysis.segments[0], &analysis.segments[1]);
    let shared = analysis.shared[0][1];
    harness.get_by_label(&format!("{} and {}", first.name, second.name)).click();
    harness.run_steps(2);
    run_until(&mut harness, "the shared records", |app| {
        matches!(app.state().overlap.shared, segment_builder::app::Loadable::Ready(_))
    });
    let plural = "leads";
    wait_for_label(&mut harness, &format!("{} {plural} match both", thousands(shared)));
    let listed = match &harness.state().state().overlap.shared {
        segment_builder::app::Loadable::Ready(found) => found.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(listed.count, shared);
    assert_eq!(listed.rows.len(), shared.min(100));
    if let Some((_, title)) = listed.rows.first() {
        assert!(harness.query_all_by_label(title).next().is_some(), "the first shared record is listed: {title}");
    }
}

/// 1234567 → "1,234,567", as the window writes counts.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------------------
// The screen's pure command handling.

/// A window state with these lead segments (in priority order) and nothing else.
fn window_with(segments: Vec<Segment>) -> segment_builder::state::AppState {
    use segment_builder::state::{AppState, WorkspaceView};
    let lead = RecordTypeName::new("lead");
    let segments: Vec<Segment> = segments.into_iter().map(|s| Segment { record_type: lead.clone(), ..s }).collect();
    let view = WorkspaceView {
        path: std::path::PathBuf::from("in-memory.sqlite"),
        schema: segment_builder::domain::Schema::built_in(),
        time_zone: TimeZone::UTC,
        time_zone_name: "UTC".to_owned(),
        segments: [(lead.clone(), segments)].into_iter().collect(),
        member_counts: std::collections::HashMap::new(),
        unassigned_counts: std::collections::HashMap::new(),
        sequences: Vec::new(),
        sellers: Vec::new(),
        teams: Vec::new(),
        record_counts: [(lead.clone(), 10)].into_iter().collect(),
    };
    AppState { view: Some(view), record_type: Some(lead), ..AppState::default() }
}

fn overlap_effects(
    effects: Vec<segment_builder::state::effect::Effect>,
) -> Vec<segment_builder::state::overlap::OverlapEffect> {
    effects
        .into_iter()
        .map(|effect| match effect {
            segment_builder::state::effect::Effect::Overlap(effect) => effect,
            other => panic!("expected an Overlap effect, got {other:?}"),
        })
        .collect()
}

#[test]
fn the_analysis_is_asked_again_only_when_what_the_window_shows_changes() {
    use segment_builder::state::effect::Context;
    use segment_builder::state::overlap::{OverlapCommand, OverlapEffect, apply, refresh_if_stale};
    let now = instant("2026-03-01T00:00:00Z");
    let ctx = Context { now };
    let hot =
        Segment { priority: 0, ..segment(1, "Hot", Status::Active, Group::all(segment_builder::domain::NodeId(0))) };
    let cold =
        Segment { priority: 1, ..segment(2, "Cold", Status::Draft, Group::all(segment_builder::domain::NodeId(0))) };
    let mut state = window_with(vec![hot, cold]);
    let asked = overlap_effects(refresh_if_stale(&mut state, now));
    assert!(
        matches!(&asked[..], [OverlapEffect::Analyse { segments, .. }] if segments.len() == 2),
        "the first look asks: {asked:?}"
    );
    assert!(refresh_if_stale(&mut state, now).is_empty(), "nothing changed, nothing asked");
    state.view.as_mut().unwrap().member_counts.insert(SegmentId(1), 4);
    assert_eq!(overlap_effects(refresh_if_stale(&mut state, now)).len(), 1, "new member counts ask again");
    assert!(state.overlap.analysis.is_pending());

    // A cell names its segments higher priority first, whichever way it was clicked.
    let shown = overlap_effects(apply(
        &mut state,
        OverlapCommand::ShowCell { first: SegmentId(2), second: SegmentId(1) },
        &ctx,
    ));
    assert!(
        matches!(&shown[..], [OverlapEffect::Shared { first, second, .. }] if first.0 == SegmentId(1) && second.0 == SegmentId(2)),
        "{shown:?}"
    );
    assert_eq!(state.overlap.cell, Some((SegmentId(1), SegmentId(2))));
    // A segment of the cell deleted: the cell closes with the next analysis.
    state.view.as_mut().unwrap().segments.values_mut().for_each(|s| s.retain(|s| s.id != SegmentId(2)));
    assert_eq!(overlap_effects(refresh_if_stale(&mut state, now)).len(), 1);
    assert_eq!(state.overlap.cell, None);
    // Refresh asks even when nothing changed.
    assert_eq!(overlap_effects(apply(&mut state, OverlapCommand::Refresh, &ctx)).len(), 1);
    assert!(overlap_effects(apply(&mut state, OverlapCommand::CloseCell, &ctx)).is_empty());
}

/// Every pair of many conditions on one field, both held and the second failed (in a
/// "None of" group), on records whose values cover each condition's edges: whatever the
/// tree alone calls contradictory, no record matches.
#[test]
fn contradictions_hold_on_a_dense_world() {
    let schema = schema();
    let thing = type_def(&schema, "thing");
    let mut ds = MemoryDataset::new(schema.clone());
    let ratios = [-1.5, 0.0, 0.5, 1.5, 2.0, 10.0];
    let names = ["alpha", "Alpha", "beta", "gamma", "delta", "ph", ""];
    let sizes = ["Small", "Medium", "Large", ""];
    let base = date("2026-03-01");
    for i in 0..240_i64 {
        let text = |s: &str| if s.is_empty() { Value::Empty } else { Value::Text(s.to_owned()) };
        let size = sizes[(i % 4) as usize];
        let values = [
            ("count", if i % 17 == 16 { Value::Empty } else { Value::WholeNumber(i % 17 - 3) }),
            ("ratio", Value::Decimal(ratios[(i % 6) as usize])),
            ("due", Value::Date(base.checked_add(jiff::Span::new().days(i % 45 - 5)).unwrap())),
            ("name", text(names[(i % 7) as usize])),
            ("size", if size.is_empty() { Value::Empty } else { Value::Choice(size.to_owned()) }),
        ];
        ds.insert(&thing.name, record(thing, i, &values));
    }
    let by_field: Vec<Vec<segment_builder::domain::Node>> = vec![
        vec![
            cond("count", Op::Equals, w(3)),
            cond("count", Op::NotEquals, w(3)),
            cond("count", Op::LessThan, w(0)),
            cond("count", Op::LessOrEqual, w(5)),
            cond("count", Op::GreaterThan, w(5)),
            cond("count", Op::GreaterOrEqual, w(12)),
            cond("count", Op::Between, nr(2.0, 4.0)),
            cond("count", Op::AnyOf, nl(&[1.0, 7.0])),
            cond("count", Op::IsEmpty, NONE),
            cond("count", Op::IsNotEmpty, NONE),
        ],
        vec![
            cond("ratio", Op::Equals, n(1.5)),
            cond("ratio", Op::LessThan, n(1.5)),
            cond("ratio", Op::GreaterThan, n(1.5)),
            cond("ratio", Op::LessOrEqual, n(0.5)),
            cond("ratio", Op::GreaterOrEqual, n(2.0)),
            cond("ratio", Op::Between, nr(0.0, 1.0)),
            cond("ratio", Op::AnyOf, nl(&[0.5, 10.0])),
        ],
        vec![
            cond("due", Op::On, d("2026-03-01")),
            cond("due", Op::Before, d("2026-03-05")),
            cond("due", Op::After, d("2026-03-30")),
            cond("due", Op::OnOrAfter, d("2026-03-30")),
            cond("due", Op::Between, dr("2026-03-01", "2026-03-03")),
            cond("due", Op::Today, NONE),
            cond("due", Op::ThisWeek, NONE),
            cond("due", Op::LastMonth, NONE),
            cond("due", Op::InLast, rel(3, segment_builder::domain::DateUnit::Days)),
        ],
        vec![
            cond("name", Op::Equals, t("alpha")),
            cond("name", Op::Equals, t("BETA")),
            cond("name", Op::BeginsWith, t("al")),
            cond("name", Op::BeginsWith, t("be")),
            cond("name", Op::EndsWith, t("ta")),
            cond("name", Op::Contains, t("ph")),
            cond("name", Op::NotContains, t("a")),
            cond("name", Op::AnyOf, tl(&["beta", "gamma"])),
            cond("name", Op::NoneOf, tl(&["alpha"])),
            cond("name", Op::IsEmpty, NONE),
            cond("name", Op::MatchesPattern, t("^a")),
        ],
        vec![
            cond("size", Op::AnyOf, choices(&["Small"])),
            cond("size", Op::AnyOf, choices(&["Small", "Large"])),
            cond("size", Op::NoneOf, choices(&["Small"])),
            cond("size", Op::IsEmpty, NONE),
            cond("size", Op::IsNotEmpty, NONE),
        ],
    ];
    let ctx = ctx();
    let mut found = 0;
    for conditions in &by_field {
        for a in conditions {
            for b in conditions {
                for root in [all(vec![a.clone(), b.clone()]), all(vec![a.clone(), group(not(any(vec![b.clone()])))])] {
                    let root = tree(root);
                    if let Some(contradiction) = segment_builder::domain::lint::contradiction(&schema, thing, &root) {
                        found += 1;
                        let matching = ds.matching(&ctx, &thing.name, &root);
                        assert!(matching.is_empty(), "{} but {matching:?} match {root:?}", contradiction.reason);
                    }
                }
            }
        }
    }
    assert!(found > 40, "the check finds contradictions among these pairs ({found})");
}
