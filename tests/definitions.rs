//! The definitions bundle: export then import into an empty workspace gives the same
//! definitions; each clash policy; every malformed input reported with its place and the
//! workspace byte-for-byte unchanged after each failure.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use segment_builder::cli::{export_definitions_command, import_definitions_command};
use segment_builder::demo::{DemoSpec, create_demo_workspace};
use segment_builder::domain::assignment::{
    AssignmentRule, AttributeCondition, AttributeValue, Distribution, RuleId, Target,
};
use segment_builder::domain::{
    FieldDef, FieldKind, FieldName, Group, NodeId, RecordTypeDef, RecordTypeName, Segment, SegmentId, Status,
};
use segment_builder::interchange::definitions::{bundle, from_ron, to_ron};
use segment_builder::interchange::definitions_plan::{OnClash, PlanError, plan};
use segment_builder::store::{StoreError, Workspace};

fn now() -> Timestamp {
    "2026-11-24T12:00:00Z".parse().expect("time")
}

fn field(name: &str, kind: FieldKind) -> FieldDef {
    FieldDef {
        name: FieldName::new(name),
        label: name.to_uppercase(),
        kind,
        choices: Vec::new(),
        lookup_target: None,
        built_in: false,
    }
}

/// A small demo workspace plus what the demo lacks: a custom type with a lookup and a
/// choice, a custom lead field, and assignment rules targeting attributes, a team and
/// specific sellers.
fn rich_workspace(dir: &tempfile::TempDir) -> PathBuf {
    let path = dir.path().join("source.sqlite");
    create_demo_workspace(&path, &DemoSpec::with_leads(200, 7, now()), &mut |_, _| true).expect("demo");
    let mut ws = Workspace::open(&path).expect("open");
    let mut stage = field("stage", FieldKind::Choice);
    stage.choices = vec!["Idea".into(), "Running".into(), "Done".into()];
    let mut account = field("account", FieldKind::Lookup);
    account.lookup_target = Some(RecordTypeName::new("account"));
    ws.add_record_type(RecordTypeDef {
        name: RecordTypeName::new("project"),
        label: "Project".into(),
        plural_label: "Projects".into(),
        primary_field: FieldName::new("title"),
        fields: vec![field("title", FieldKind::Text), field("budget", FieldKind::Money), stage, account],
        built_in: false,
    })
    .expect("custom type");
    let mut region = field("region", FieldKind::Choice);
    region.choices = vec!["North".into(), "South".into()];
    ws.add_field(&RecordTypeName::new("lead"), region).expect("custom field");

    let lead = RecordTypeName::new("lead");
    let segments = ws.segments(&lead).expect("segments");
    let attributes = ws.attribute_definitions().expect("attributes");
    let sellers = ws.sellers().expect("sellers");
    let teams = ws.teams().expect("teams");
    let attribute = &attributes[0];
    let rule = |name: &str, target: Target| AssignmentRule {
        id: RuleId(0),
        name: name.into(),
        active: true,
        conditions: Group::all(NodeId(0)),
        created_within_hours: None,
        target,
        distribution: Distribution::RoundRobin,
        honour_capacity: false,
        available_within_hours: None,
    };
    let first = segments[0].id;
    ws.insert_rule(
        first,
        &AssignmentRule {
            created_within_hours: Some(48),
            honour_capacity: true,
            available_within_hours: Some(24),
            ..rule(
                "By attribute",
                Target::SellersMatching(vec![AttributeCondition {
                    attribute: attribute.name.clone(),
                    values: AttributeValue::Fixed(vec![attribute.values[0].clone()]),
                }]),
            )
        },
        now(),
    )
    .expect("rule");
    ws.insert_rule(first, &rule("Team", Target::Team(teams[0].id)), now()).expect("rule");
    ws.insert_rule(
        first,
        &AssignmentRule {
            active: false,
            distribution: Distribution::LoadBalancing,
            ..rule("Two sellers", Target::Sellers(vec![sellers[1].id, sellers[0].id]))
        },
        now(),
    )
    .expect("rule");
    ws.insert_rule(segments[1].id, &rule("Anyone", Target::AnySeller), now()).expect("rule");
    path
}

/// The workspace's definitions as bundle text: the normalised form compared.
fn definitions_text(path: &Path) -> String {
    let ws = Workspace::open(path).expect("open");
    let all = ws.all_definitions().expect("definitions");
    to_ron(&bundle(&all.view())).expect("ron")
}

fn export(path: &Path, dir: &tempfile::TempDir) -> PathBuf {
    let file = dir.path().join("definitions.ron");
    export_definitions_command(path, &file, segment_builder::worker::export::Overwrite::Replace).expect("export");
    file
}

fn empty_workspace(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    let path = dir.path().join(name);
    drop(Workspace::create(&path).expect("create"));
    path
}

/// The workspace files' bytes: the database and its WAL (an absent WAL as empty).
fn bytes(path: &Path) -> Vec<Vec<u8>> {
    ["", "-wal"].iter().map(|suffix| std::fs::read(format!("{}{suffix}", path.display())).unwrap_or_default()).collect()
}

#[test]
fn export_then_import_into_an_empty_workspace_gives_the_same_definitions() {
    let dir = tempfile::tempdir().expect("dir");
    let source = rich_workspace(&dir);
    let file = export(&source, &dir);
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(text.contains("version: 2"), "written as version 2");
    assert!(text.contains("Team(") && text.contains("SellersMatching("), "rules are in the bundle");

    let target = empty_workspace(&dir, "target.sqlite");
    let report = import_definitions_command(&target, &file, None, now()).expect("import");
    assert!(report.lines.iter().any(|l| l.kind == "record type" && l.name == "project"));
    assert_eq!(definitions_text(&target), definitions_text(&source), "the same definitions, by name");

    // The rules reference the target's own sellers and team.
    let ws = Workspace::open(&target).expect("open");
    let first = &ws.segments(&RecordTypeName::new("lead")).expect("segments")[0];
    let rules = ws.rules(first.id).expect("rules");
    assert_eq!(rules.len(), 3);
    let teams = ws.teams().expect("teams");
    assert!(matches!(rules[1].target, Target::Team(id) if teams.iter().any(|t| t.id == id)));
    let schema = ws.schema();
    assert!(schema.get(&RecordTypeName::new("project")).is_some());
    assert!(schema.get(&RecordTypeName::new("lead")).and_then(|t| t.field(&FieldName::new("region"))).is_some());
}

#[test]
fn a_version_1_bundle_still_reads() {
    let text = r#"(version: 1, segments: [(record_type: "lead", name: "Old", status: Draft,
        conditions: (mode: All))])"#;
    let bundle = from_ron(text).expect("version 1 reads");
    assert_eq!(bundle.segments[0].name, "Old");
    assert!(bundle.segments[0].rules.is_empty());
}

#[test]
fn without_a_choice_clashes_are_listed_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("dir");
    let source = rich_workspace(&dir);
    let file = export(&source, &dir);
    let before = bytes(&source);
    let error = import_definitions_command(&source, &file, None, now()).expect_err("clashes").to_string();
    assert!(error.contains("--on-clash"), "{error}");
    assert!(error.contains("segments[0]"), "names the place: {error}");
    assert!(bytes(&source) == before, "the workspace is unchanged");
}

#[test]
fn skip_keeps_the_workspace_definitions() {
    let dir = tempfile::tempdir().expect("dir");
    let source = rich_workspace(&dir);
    let file = export(&source, &dir);
    let before = definitions_text(&source);
    let report = import_definitions_command(&source, &file, Some(OnClash::Skip), now()).expect("skip");
    assert!(
        report
            .lines
            .iter()
            .all(|l| !matches!(l.outcome, segment_builder::interchange::definitions_plan::Outcome::Created))
    );
    assert_eq!(definitions_text(&source), before);
}

#[test]
fn replace_overwrites_in_place_keeping_ids() {
    let dir = tempfile::tempdir().expect("dir");
    let source = rich_workspace(&dir);
    let file = export(&source, &dir);
    let lead = RecordTypeName::new("lead");
    let (segment_id, seller_id, rules_before) = {
        let ws = Workspace::open(&source).expect("open");
        let segment = ws.segments(&lead).expect("segments")[0].clone();
        let rules = ws.rules(segment.id).expect("rules").len();
        (segment.id, ws.sellers().expect("sellers")[0].id, rules)
    };
    // Edit the file: another description, one rule fewer, another seller capacity.
    let mut bundle = from_ron(&std::fs::read_to_string(&file).expect("read")).expect("parse");
    bundle.segments[0].description = "From the bundle".into();
    bundle.segments[0].rules.pop();
    bundle.sellers[0].capacity = Some(77);
    std::fs::write(&file, to_ron(&bundle).expect("ron")).expect("write");

    import_definitions_command(&source, &file, Some(OnClash::Replace), now()).expect("replace");
    let ws = Workspace::open(&source).expect("open");
    let segment = ws.segment(segment_id).expect("the same id");
    assert_eq!(segment.description, "From the bundle");
    assert_eq!(ws.rules(segment_id).expect("rules").len(), rules_before - 1);
    let seller = ws.sellers().expect("sellers").into_iter().find(|s| s.id == seller_id).expect("same id");
    assert_eq!(seller.capacity, Some(77));
    assert_eq!(
        ws.segments(&lead).expect("segments").len(),
        bundle.segments.iter().filter(|s| s.record_type == "lead").count()
    );
}

#[test]
fn rename_imports_a_second_copy_under_free_names() {
    let dir = tempfile::tempdir().expect("dir");
    let source = rich_workspace(&dir);
    let file = export(&source, &dir);
    let lead = RecordTypeName::new("lead");
    let (segments_before, teams_before) = {
        let ws = Workspace::open(&source).expect("open");
        (ws.segments(&lead).expect("segments"), ws.teams().expect("teams"))
    };
    import_definitions_command(&source, &file, Some(OnClash::Rename), now()).expect("rename");
    let ws = Workspace::open(&source).expect("open");
    let segments = ws.segments(&lead).expect("segments");
    assert_eq!(segments.len(), segments_before.len() * 2);
    let copy = segments.iter().find(|s| s.name == format!("{} (2)", segments_before[0].name)).expect("renamed copy");
    // The copy's team rule targets the renamed team, not the original.
    let teams = ws.teams().expect("teams");
    let renamed_team = teams.iter().find(|t| t.name == format!("{} (2)", teams_before[0].name)).expect("team copy");
    let rules = ws.rules(copy.id).expect("rules");
    assert_eq!(rules[1].target, Target::Team(renamed_team.id));
}

/// Runs an import of `text` expected to fail, checks the message holds each of `expected`
/// and that the workspace did not change by a byte.
fn check_refused(text: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().expect("dir");
    let target = empty_workspace(&dir, "target.sqlite");
    let file = dir.path().join("bundle.ron");
    std::fs::write(&file, text).expect("write");
    let before = bytes(&target);
    let error =
        import_definitions_command(&target, &file, Some(OnClash::Skip), now()).expect_err("refused").to_string();
    for part in expected {
        assert!(error.contains(part), "expected {part:?} in: {error}");
    }
    assert!(bytes(&target) == before, "byte-for-byte unchanged after: {error}");
}

const SEGMENT: &str = r#"(record_type: "lead", name: "Hot", status: Draft, conditions: (mode: All))"#;

#[test]
fn every_malformed_input_is_reported_with_its_place() {
    check_refused("(version: 7)", &["line 1", "newer than this app reads"]);
    check_refused("(version: 0)", &["there is no bundle version 0"]);
    check_refused("(\n    version: 2,\n    segments: [\n        (record_type: \"lead\",", &["line 4, column"]);
    check_refused("not ron at all", &["line 1, column 1"]);
    check_refused("(version: 2, sellers: [(name: 3)])", &["line 1, column"]);
    check_refused(
        r#"(version: 2, segments: [(record_type: "lead", name: "Hot", status: Draft, sequence: Some("Nope"), conditions: (mode: All))])"#,
        &["segments[0] \"Hot\": sequence \"Nope\""],
    );
    check_refused(
        r#"(version: 2, segments: [(record_type: "lead", name: "Hot", status: Draft,
            conditions: (mode: All, children: [Condition(field: "budgett", operator: IsEmpty)]))])"#,
        &["segments[0] \"Hot\": condition 1:"],
    );
    check_refused(&format!("(version: 2, segments: [{SEGMENT}, {SEGMENT}])"), &["segments[1] \"Hot\"", "twice"]);
    check_refused(
        r#"(version: 2, segments: [(record_type: "lead", name: "Hot", status: Draft, conditions: (mode: All),
            rules: [(name: "R", active: true, conditions: (mode: All), target: Team("Ghosts"), distribution: RoundRobin)])])"#,
        &["segments[0] \"Hot\" rules[0] \"R\": team \"Ghosts\""],
    );
    check_refused(
        r#"(version: 2, teams: [(name: "T", members: ["nobody@example.com"])])"#,
        &["teams[0] \"T\": member \"nobody@example.com\""],
    );
    check_refused(
        r#"(version: 2, sellers: [(name: "S", email: "s@x", time_zone: "Mars/Base", work_hours: [(8, "09:00", "17:00")], assign_records: true)])"#,
        &["sellers[0] \"S\": time zone \"Mars/Base\"", "sellers[0] \"S\" work_hours[0]: weekday 8"],
    );
    check_refused(
        r#"(version: 2, record_types: [(name: "Bad Name", label: "B", plural_label: "Bs", primary_field: "t",
            fields: [(name: "t", label: "T", kind: "texty")])])"#,
        &["record_types[0] \"Bad Name\" fields[0] \"t\": unknown kind \"texty\""],
    );
    check_refused(
        r#"(version: 2, sequences: [(record_type: "lead", name: "Q", status: Active,
            steps: [(kind: Task, name: "Call"), (kind: Wait, name: "Pause", wait_minutes: Some(60))])])"#,
        &["sequences[0] \"Q\" steps[1] \"Pause\": a wait step cannot be the last step"],
    );
}

#[test]
fn a_failure_while_writing_rolls_everything_back() {
    let dir = tempfile::tempdir().expect("dir");
    let source = rich_workspace(&dir);
    let file = export(&source, &dir);
    let target = empty_workspace(&dir, "target.sqlite");
    let before = bytes(&target);
    let bundle = from_ron(&std::fs::read_to_string(&file).expect("read")).expect("parse");
    let mut ws = Workspace::open(&target).expect("open");
    let all = ws.all_definitions().expect("definitions");
    let mut planned = plan(&bundle, &all.view(), None, now()).expect("plan");
    // Sabotage the last segment so the write fails after types, sellers… were written.
    let last = planned.segments.last_mut().expect("segments");
    last.segment = Segment { sequence: Some(segment_builder::domain::SequenceId(-999)), ..last.segment.clone() };
    let error = ws.import_definitions(&planned, now()).expect_err("fails part-way");
    assert!(matches!(error, StoreError::Invalid(_)), "{error}");
    assert!(ws.schema().get(&RecordTypeName::new("project")).is_none(), "the schema held is read again");
    assert!(ws.sellers().expect("sellers").is_empty());
    drop(ws);
    assert!(bytes(&target) == before, "byte-for-byte unchanged");
}

#[test]
fn atomically_nests_store_writes_and_undoes_them_on_error() {
    let dir = tempfile::tempdir().expect("dir");
    let path = empty_workspace(&dir, "w.sqlite");
    let before = bytes(&path);
    let mut ws = Workspace::open(&path).expect("open");
    let result: Result<(), StoreError> = ws.atomically(|ws| {
        ws.add_record_type(RecordTypeDef {
            name: RecordTypeName::new("thing"),
            label: "Thing".into(),
            plural_label: "Things".into(),
            primary_field: FieldName::new("title"),
            fields: vec![field("title", FieldKind::Text)],
            built_in: false,
        })?;
        let segment = Segment {
            id: SegmentId(0),
            record_type: RecordTypeName::new("thing"),
            name: "All things".into(),
            description: String::new(),
            status: Status::Draft,
            priority: 0,
            conditions: Group::all(NodeId(0)),
            accept_from_other_segments: false,
            rerun_assignment_on_move: false,
            sequence: None,
            created_on: now(),
            modified_on: now(),
        };
        ws.insert_segment(&segment)?;
        Err(StoreError::Invalid("changed my mind".into()))
    });
    assert!(result.is_err());
    assert!(ws.schema().get(&RecordTypeName::new("thing")).is_none());
    drop(ws);
    let after = bytes(&path);
    let differs: Vec<usize> =
        (0..before[0].len().min(after[0].len())).filter(|&i| before[0][i] != after[0][i]).collect();
    assert!(
        after == before,
        "byte-for-byte unchanged: lengths {} {} {} {}, differing at {:?}",
        before[0].len(),
        after[0].len(),
        before[1].len(),
        after[1].len(),
        &differs[..differs.len().min(20)]
    );

    // And kept when the change succeeds.
    let mut ws = Workspace::open(&path).expect("open");
    ws.atomically(|ws| ws.add_field(&RecordTypeName::new("lead"), field("extra", FieldKind::Text))).expect("kept");
    drop(ws);
    let ws = Workspace::open(&path).expect("open");
    assert!(ws.schema().get(&RecordTypeName::new("lead")).and_then(|t| t.field(&FieldName::new("extra"))).is_some());
}

#[test]
fn the_plan_lists_clashes_when_no_policy_is_given() {
    let dir = tempfile::tempdir().expect("dir");
    let source = rich_workspace(&dir);
    let file = export(&source, &dir);
    let bundle = from_ron(&std::fs::read_to_string(&file).expect("read")).expect("parse");
    let ws = Workspace::open(&source).expect("open");
    let all = ws.all_definitions().expect("definitions");
    let Err(PlanError::Clashes(clashes)) = plan(&bundle, &all.view(), None, now()) else {
        panic!("clashes expected");
    };
    assert_eq!(clashes.iter().filter(|c| c.kind == "segment").count(), all.segments.len());
    assert_eq!(clashes.iter().filter(|c| c.kind == "seller").count(), all.sellers.len());
}

#[test]
fn a_sequences_options_travel_in_the_bundle() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("in.ron");
    std::fs::write(
        &file,
        r#"(version: 2, sequences: [(record_type: "lead", name: "Q", status: Draft,
            steps: [(kind: Task, name: "Call")], working_hours: true, stop_when_leaving: true),
            (record_type: "lead", name: "Plain", status: Draft, steps: [(kind: Task, name: "Call")])])"#,
    )
    .expect("write");
    let target = empty_workspace(&dir, "target.sqlite");
    import_definitions_command(&target, &file, None, now()).expect("import");
    let ws = Workspace::open(&target).expect("open");
    let options: Vec<_> = ws
        .sequences(&RecordTypeName::new("lead"))
        .expect("sequences")
        .into_iter()
        .map(|s| (s.name, s.options.working_hours, s.options.stop_when_leaving))
        .collect();
    assert!(options.contains(&("Q".to_owned(), true, true)), "{options:?}");
    assert!(options.contains(&("Plain".to_owned(), false, false)), "absent means off: {options:?}");
    drop(ws);
    // And back out: the export carries them.
    let text = std::fs::read_to_string(export(&target, &dir)).expect("read");
    assert!(text.contains("working_hours: true") && text.contains("stop_when_leaving: true"), "{text}");
}

/// Segment conditions travel by segment name: a lead segment matching the conditions of a
/// lead segment listed after it in the bundle, and naming an account segment, reads back
/// naming the target workspace's segments (whose ids differ); a name no segment has is
/// refused at its place.
#[test]
fn segment_conditions_travel_by_name() {
    use segment_builder::domain::{FieldPath, Node, Operand, Operator, SegmentCondition, SegmentTest};
    let dir = tempfile::tempdir().expect("dir");
    let source = empty_workspace(&dir, "source.sqlite");
    let mut ws = Workspace::open(&source).expect("open");
    let segment = |record_type: &str, name: &str, children: Vec<Node>| Segment {
        id: SegmentId(0),
        record_type: RecordTypeName::new(record_type),
        name: name.to_owned(),
        description: String::new(),
        status: Status::Draft,
        priority: 0,
        conditions: Group { children, ..Group::all(NodeId(0)) },
        accept_from_other_segments: false,
        rerun_assignment_on_move: false,
        sequence: None,
        created_on: now(),
        modified_on: now(),
    };
    let german = Node::Condition(segment_builder::domain::Condition {
        id: NodeId(1),
        path: FieldPath::own("country"),
        operator: Operator::Equals,
        value: Operand::Text("Germany".into()),
    });
    let node = |via: &[&str], test, segment| {
        Node::Segment(SegmentCondition {
            id: NodeId(0),
            via: via.iter().map(|v| FieldName::new(*v)).collect(),
            test,
            segment,
        })
    };
    // A deleted segment's id is not given again: the source's ids are not the target's.
    let gone = ws.insert_segment(&segment("contact", "Gone", vec![])).expect("segment");
    ws.delete_segment(gone, now()).expect("delete");
    let hot = ws.insert_segment(&segment("lead", "Hot", vec![])).expect("segment");
    let germans = ws.insert_segment(&segment("lead", "Germans", vec![german.clone()])).expect("segment");
    let key = ws.insert_segment(&segment("account", "Key accounts", vec![german])).expect("segment");
    let mut hot = ws.segment(hot).expect("segment");
    hot.conditions.children =
        vec![node(&[], SegmentTest::MatchesConditions, germans), node(&["account"], SegmentTest::NotInSegment, key)];
    hot.conditions.renumber(&mut segment_builder::domain::NodeIds::default());
    ws.update_segment(&hot).expect("save");
    drop(ws);
    let file = export(&source, &dir);
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(text.contains(r#"segment: Name("Key accounts")"#), "{text}");
    assert!(text.contains(r#"segment: Name("Germans")"#), "{text}");
    assert!(!text.contains("segment: Id("), "{text}");

    let target = empty_workspace(&dir, "target.sqlite");
    import_definitions_command(&target, &file, None, now()).expect("import");
    assert_eq!(definitions_text(&target), definitions_text(&source), "the same definitions, by name");
    let ws = Workspace::open(&target).expect("open");
    let leads = ws.segments(&RecordTypeName::new("lead")).expect("segments");
    let accounts = ws.segments(&RecordTypeName::new("account")).expect("segments");
    let named: Vec<SegmentId> = leads[0]
        .conditions
        .children
        .iter()
        .filter_map(|n| match n {
            Node::Segment(s) => Some(s.segment),
            _ => None,
        })
        .collect();
    assert_eq!(named, [leads[1].id, accounts[0].id], "the target's own ids");
    assert_ne!(named, [germans, key], "ids differ between the workspaces");

    // A name no segment of the reached type has: refused with the segment and condition.
    check_refused(
        r#"(version: 2, segments: [(record_type: "lead", name: "Hot", status: Draft,
            conditions: (mode: All, children: [Condition(field: "country", operator: IsEmpty),
                Segment(via: "account", test: In, segment: Name("Nobody"))]))])"#,
        &[
            "segments[0] \"Hot\": condition 2: there is no segment \"Nobody\" of the account segments in the bundle or the workspace",
        ],
    );
}

/// Segments of a bundle that name each other in a cycle, even as drafts, are refused with
/// the path of the cycle, and nothing is imported.
#[test]
fn a_bundle_whose_segments_name_each_other_in_a_cycle_is_refused() {
    check_refused(
        r#"(version: 2, segments: [
            (record_type: "lead", name: "Alpha", status: Draft,
                conditions: (mode: All, children: [Segment(test: Matches, segment: Name("Beta"))])),
            (record_type: "lead", name: "Beta", status: Draft,
                conditions: (mode: All, children: [Segment(test: In, segment: Name("Alpha"))]))])"#,
        &["segments[1] \"Beta\"", "Beta → Alpha → Beta"],
    );
}
