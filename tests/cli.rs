//! The command line as a user runs it: the built binary, its exit codes and messages.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use std::process::Command;

use segment_builder::domain::RecordTypeName;
use segment_builder::store::Workspace;

mod common;
use common::routing::{active_segment, any_seller_rule, join, text_equals};

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segment-builder"))
}

#[test]
fn demo_writes_a_workspace_with_the_asked_number_of_leads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("small.sqlite");
    let output = binary().args(["demo"]).arg(&path).args(["--records", "1500", "--seed", "7"]).output().expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("100%"), "progress is shown on the terminal: {stderr}");
    let ws = Workspace::open(&path).expect("the demo opens");
    assert_eq!(ws.count_records(&RecordTypeName::new("lead")).expect("count"), 1500);
    assert!(!ws.segments(&RecordTypeName::new("lead")).expect("segments").is_empty());
    assert!(!dir.path().join("small.sqlite.partial").exists(), "no temporary file is left");
}

#[test]
fn demo_refuses_to_overwrite_and_exits_non_zero() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("taken.sqlite");
    std::fs::write(&path, "mine").expect("write");
    let output = binary().args(["demo"]).arg(&path).output().expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("already exists"), "says why: {stderr}");
    assert_eq!(std::fs::read(&path).expect("read"), b"mine", "the file is untouched");
}

#[test]
fn bad_arguments_exit_non_zero_with_usage() {
    let output = binary().args(["demo", "x.sqlite", "--records", "many"]).output().expect("run");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--records"));
}

/// A 1,500-lead demo workspace written by the binary, and its path.
/// A demo as generated, before any evaluation: active segments without members.
fn plain_demo(dir: &tempfile::TempDir) -> std::path::PathBuf {
    use segment_builder::demo::{DemoSpec, create_demo_workspace};
    let path = dir.path().join("plain.sqlite");
    let spec = DemoSpec::with_leads(1500, DemoSpec::STANDARD_SEED, segment_builder::clock::now());
    create_demo_workspace(&path, &spec, &mut |_, _| true).expect("demo");
    path
}

/// The demo the `demo` command writes: 90 days lived in.
fn small_demo(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("demo.sqlite");
    let output = binary().args(["demo"]).arg(&path).args(["--records", "1500"]).output().expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    path
}

#[test]
fn preview_reports_a_segment_as_the_reference_evaluator_counts_it() {
    use segment_builder::domain::{EvalContext, Status};

    let dir = tempfile::tempdir().expect("temp dir");
    let path = small_demo(&dir);
    let now = "2026-11-24T12:00:00Z";
    let lead = RecordTypeName::new("lead");
    let segments = Workspace::open(&path).expect("open").segments(&lead).expect("segments");
    let (dataset, time_zone) = common::harness::reference_dataset(&path);
    let ctx = EvalContext::new(now.parse().expect("time"), time_zone);
    // The third segment has active segments above it.
    let chosen = &segments[2];
    let matching = dataset.matching(&ctx, &lead, &chosen.conditions);
    let higher: Vec<_> = segments
        .iter()
        .filter(|s| s.priority < chosen.priority && s.status == Status::Active)
        .map(|s| dataset.matching(&ctx, &lead, &s.conditions))
        .collect();
    let claimed = matching.iter().filter(|id| higher.iter().any(|h| h.contains(id))).count();

    let output = binary()
        .args(["preview"])
        .arg(&path)
        .args(["--segment", &chosen.name, "--json", "--limit", "5", "--now", now])
        .output()
        .expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    assert_eq!(json["matches"], matching.len());
    assert_eq!(json["claimed_by_higher"], claimed);
    assert_eq!(json["would_join"], matching.len() - claimed);
    let ids = json["ids"].as_array().expect("ids");
    assert_eq!(ids.len(), 5.min(matching.len()));
    assert!(ids.iter().all(|id| matching.iter().any(|m| Some(m.0) == id.as_i64())), "listed ids match");

    // The same tree from a file previews as a new bottom segment: every active one is above.
    let file = dir.path().join("tree.ron");
    std::fs::write(&file, segment_builder::domain::condition_format::to_ron(&chosen.conditions)).expect("write");
    let output = binary()
        .args(["preview"])
        .arg(&path)
        .args(["--type", "lead", "--conditions"])
        .arg(&file)
        .args(["--now", now])
        .output()
        .expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains(&format!("matches            {}", matching.len())), "{text}");
}

#[test]
fn preview_names_what_is_wrong() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = small_demo(&dir);
    let run = |args: &[&str]| {
        let output = binary().arg("preview").arg(&path).args(args).output().expect("run");
        assert!(!output.status.success(), "{args:?} must fail");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    assert!(run(&["--segment", "No such segment"]).contains("no segment named \"No such segment\""));
    let broken = dir.path().join("broken.ron");
    std::fs::write(&broken, "(version: 1, root: (").expect("write");
    let broken_arg = broken.to_string_lossy().into_owned();
    let message = run(&["--type", "lead", "--conditions", &broken_arg]);
    assert!(message.contains("broken.ron"), "names the file: {message}");
    // The file is read before the workspace is opened: a broken one is named first.
    assert!(run(&["--type", "planet", "--conditions", &broken_arg]).contains("broken.ron"));
    let fine = dir.path().join("fine.ron");
    std::fs::write(&fine, "(version: 1, root: (mode: All))").expect("write");
    let fine_arg = fine.to_string_lossy().into_owned();
    assert!(run(&["--type", "planet", "--conditions", &fine_arg]).contains("no record type \"planet\""));
    let bad_field = dir.path().join("bad.ron");
    let tree = segment_builder::domain::Group {
        children: vec![segment_builder::domain::Node::Condition(segment_builder::domain::Condition {
            id: segment_builder::domain::NodeId(1),
            path: segment_builder::domain::FieldPath::own("shoe_size"),
            operator: segment_builder::domain::Operator::IsEmpty,
            value: segment_builder::domain::Operand::None,
        })],
        ..segment_builder::domain::Group::all(segment_builder::domain::NodeId(0))
    };
    std::fs::write(&bad_field, segment_builder::domain::condition_format::to_ron(&tree)).expect("write");
    let message = run(&["--type", "lead", "--conditions", &bad_field.to_string_lossy()]);
    assert!(message.contains("at 1:") && message.contains("shoe_size"), "names the place: {message}");
}

fn file_hash(path: &std::path::Path) -> Vec<u8> {
    // WAL and SHM too: a change could sit in the log.
    let mut all = std::fs::read(path).expect("read");
    for suffix in ["-wal", "-shm"] {
        all.extend(std::fs::read(format!("{}{suffix}", path.display())).unwrap_or_default());
    }
    all
}

fn import(path: &std::path::Path, csv: &std::path::Path, extra: &[&str]) -> std::process::Output {
    binary().arg("import-records").arg(path).args(["--type", "lead"]).arg(csv).args(extra).output().expect("run")
}

#[test]
fn import_records_adds_updates_and_skips_all_or_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = small_demo(&dir);
    let lead = RecordTypeName::new("lead");
    let before = Workspace::open(&path).expect("open").count_records(&lead).expect("count");
    let csv = dir.path().join("leads.csv");
    std::fs::write(&csv, "Topic,Lead score,Rating,Country\nImported one,\"1,200\",hot,Germany\nImported two,,Cold,\n")
        .expect("write");
    let output = import(&path, &csv, &[]);
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    // The hot German lead joins the top segment ("Hot leads in Germany") at once.
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "added 2, updated 0, skipped 0; 1 joined a segment");
    // Its last connection wrote: the log went back into the file and is gone, not left
    // beside it as large as the import until the next open.
    for side in ["-wal", "-shm"] {
        assert!(!std::path::Path::new(&format!("{}{side}", path.display())).exists(), "{side} left beside the file");
    }
    let ws = Workspace::open(&path).expect("open");
    assert_eq!(ws.count_records(&lead).expect("count"), before + 2);
    let def = ws.schema().get(&lead).expect("lead").clone();
    let records = ws.all_records(&lead).expect("records");
    let one = records.iter().find(|r| r.get(&def, "topic").as_text() == Some("Imported one")).expect("imported");
    assert_eq!(one.get(&def, "score"), &segment_builder::domain::Value::WholeNumber(1200));
    assert_eq!(one.get(&def, "rating"), &segment_builder::domain::Value::Choice("Hot".into()));
    let id = one.id;
    let top = ws.segments(&lead).expect("segments").into_iter().next().expect("a top segment");
    assert_eq!(top.name, "Hot leads in Germany");
    assert_eq!(ws.membership_of(&lead, id).expect("membership"), Some(top.id), "imported records are evaluated");
    drop(ws);

    // By id: update only the given fields, or skip.
    std::fs::write(&csv, format!("id,Country\n{},Norway\n", id.0)).expect("write");
    assert!(import(&path, &csv, &["--on-existing", "skip"]).status.success());
    let ws = Workspace::open(&path).expect("open");
    assert_eq!(ws.record(&lead, id).expect("read").expect("record").get(&def, "country").as_text(), Some("Germany"));
    drop(ws);
    let output = import(&path, &csv, &[]);
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("added 0, updated 1, skipped 0"));
    let ws = Workspace::open(&path).expect("open");
    let updated = ws.record(&lead, id).expect("read").expect("record");
    assert_eq!(updated.get(&def, "country").as_text(), Some("Norway"));
    assert_eq!(updated.get(&def, "topic").as_text(), Some("Imported one"), "fields not in the file are kept");
    assert_ne!(ws.membership_of(&lead, id).expect("membership"), Some(top.id), "no longer German: it left");
}

#[test]
fn a_bad_csv_is_reported_with_its_place_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = small_demo(&dir);
    // Settle the workspace (checkpoint) so only a real change would alter its bytes.
    drop(Workspace::open(&path).expect("open"));
    let cases: &[(&str, &[u8], &str)] = &[
        ("bad utf-8", b"Topic,Country\nfine,ok\n\xff\xfe,x\n", "line 3, column \"Topic\": is not valid UTF-8"),
        ("ragged", b"Topic,Country\na,b\nc\n", "line 3: has 1 cells but the header has 2"),
        ("wrong type", b"Topic,Lead score\na,many\n", "line 2, column \"Lead score\": \"many\" is not a whole number"),
        ("unknown field", b"Topic,Shoe size\na,44\n", "column \"Shoe size\": Lead has no such field"),
        ("dangling lookup", b"Topic,Account\na,999999999\n", "line 2"),
        ("empty file", b"", "line 1: the file has no header row"),
    ];
    for (name, bytes, expected) in cases {
        let csv = dir.path().join(format!("{}.csv", name.replace(' ', "_")));
        std::fs::write(&csv, bytes).expect("write");
        let before = file_hash(&path);
        let output = import(&path, &csv, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{name} must fail");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(stderr.contains(&*csv.file_name().expect("name").to_string_lossy()), "{name} names the file");
        assert_eq!(file_hash(&path), before, "{name} leaves the workspace byte-for-byte unchanged");
    }
}

#[test]
fn explain_shows_each_condition_with_the_records_value() {
    use segment_builder::domain::{EvalContext, Status, matches};

    let dir = tempfile::tempdir().expect("temp dir");
    let path = small_demo(&dir);
    let now = "2026-11-24T12:00:00Z";
    let lead = RecordTypeName::new("lead");
    let (dataset, time_zone) = common::harness::reference_dataset(&path);
    let ws = Workspace::open(&path).expect("open");
    let def = ws.schema().get(&lead).expect("lead").clone();
    let segments = ws.segments(&lead).expect("segments");
    let ctx = EvalContext::new(now.parse().expect("time"), time_zone);
    // A lead the first segment matches.
    let first = &segments[0];
    let chosen = dataset.matching(&ctx, &lead, &first.conditions)[0];
    let record = ws.record(&lead, chosen).expect("read").expect("record");
    drop(ws);

    let output = binary()
        .arg("explain")
        .arg(&path)
        .args(["--type", "lead", "--record", &chosen.0.to_string(), "--json", "--now", now])
        .output()
        .expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let listed = json["segments"].as_array().expect("segments");
    assert_eq!(listed.len(), segments.len(), "every segment in priority order");
    for (shown, segment) in listed.iter().zip(&segments) {
        assert_eq!(shown["segment"], segment.name.as_str());
        let expected = matches(&dataset, &ctx, &def, &record, &segment.conditions);
        assert_eq!(shown["matches"], expected, "{}", segment.name);
    }
    let winner = segments
        .iter()
        .find(|s| s.status == Status::Active && matches(&dataset, &ctx, &def, &record, &s.conditions))
        .map(|s| s.name.clone());
    assert_eq!(json["winner"].as_str().map(str::to_owned), winner);
    let country = record.get(&def, "country").as_text().unwrap_or_default().to_owned();
    let country_line = listed[0]["conditions"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["text"].as_str().is_some_and(|t| t.starts_with("Country")))
        .expect("the country condition");
    assert_eq!(country_line["value"], country.as_str(), "the record's value is shown");

    let text =
        binary().arg("explain").arg(&path).args(["--type", "lead", "--record", "99999999"]).output().expect("run");
    assert!(!text.status.success());
    assert!(String::from_utf8_lossy(&text.stderr).contains("there is no lead #99999999"));
}

#[test]
fn export_definitions_writes_a_bundle_that_reads_back() {
    use segment_builder::domain::Group;
    use segment_builder::domain::condition_format::to_ron;
    use segment_builder::interchange::definitions::from_ron;

    let dir = tempfile::tempdir().expect("temp dir");
    let path = small_demo(&dir);
    let file = dir.path().join("definitions.ron");
    let output = binary().arg("export-definitions").arg(&path).arg(&file).output().expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let bundle = from_ron(&std::fs::read_to_string(&file).expect("read")).expect("the bundle reads back");
    let ws = Workspace::open(&path).expect("open");
    assert_eq!(bundle.sellers.len(), ws.sellers().expect("sellers").len());
    assert_eq!(bundle.teams.len(), ws.teams().expect("teams").len());
    assert_eq!(bundle.attributes.len(), ws.attribute_definitions().expect("attributes").len());
    let lead = RecordTypeName::new("lead");
    let stored = ws.segments(&lead).expect("segments");
    let exported: Vec<_> = bundle.segments.into_iter().filter(|s| s.record_type == "lead").collect();
    assert_eq!(
        exported.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        stored.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        "in priority order"
    );
    for (entry, segment) in exported.into_iter().zip(&stored) {
        assert_eq!(to_ron(&Group::from(entry.conditions)), to_ron(&segment.conditions), "{}", segment.name);
    }
    assert!(!dir.path().join(".definitions.ron.partial").exists());

    // A bundle from a newer build, or a broken one, is refused with the reason and place.
    assert!(from_ron("(version: 9)").expect_err("newer").contains("newer than this app reads"));
    assert!(from_ron("(version: 1, sellers: [(name: 3)])").expect_err("broken").starts_with("line 1, column"));
}

fn apply(path: &std::path::Path, extra: &[&str]) -> std::process::Output {
    binary().arg("apply").arg(path).args(extra).output().expect("run")
}

#[test]
fn apply_puts_every_record_in_its_reference_winner_assigns_and_a_second_run_changes_nothing() {
    use segment_builder::domain::assignment::{AssignmentRule, Distribution, RuleId, Target};
    use segment_builder::domain::{EvalContext, Group, NodeId, Status, matches};
    use segment_builder::store::AssignmentFilter;

    let dir = tempfile::tempdir().expect("temp dir");
    let path = plain_demo(&dir);
    let now = "2026-11-24T12:00:00Z";
    let lead = RecordTypeName::new("lead");
    // The top lead segment routes its records to any seller; the others have no rules.
    let mut ws = Workspace::open(&path).expect("open");
    let top = ws.segments(&lead).expect("segments").into_iter().find(|s| s.status == Status::Active).expect("active");
    let rule = AssignmentRule {
        id: RuleId(0),
        name: "Everyone".to_owned(),
        active: true,
        conditions: Group::all(NodeId(0)),
        created_within_hours: None,
        target: Target::AnySeller,
        distribution: Distribution::RoundRobin,
        honour_capacity: false,
        available_within_hours: None,
    };
    ws.insert_rule(top.id, &rule, now.parse().expect("time")).expect("rule");
    drop(ws);

    // What the reference evaluator says: each record's highest-priority active match.
    let (dataset, time_zone) = common::harness::reference_dataset(&path);
    let ctx = EvalContext::new(now.parse().expect("time"), time_zone);
    let ws = Workspace::open(&path).expect("open");
    let schema = ws.schema().clone();
    let mut expected = Vec::new();
    for def in &schema.types {
        let segments = ws.segments(&def.name).expect("segments");
        if !segments.iter().any(|s| s.status == Status::Active) {
            continue;
        }
        let winners: Vec<_> = ws
            .all_records(&def.name)
            .expect("records")
            .iter()
            .map(|record| {
                let won = segments
                    .iter()
                    .find(|s| s.status == Status::Active && matches(&dataset, &ctx, def, record, &s.conditions));
                (record.id, won.map(|s| s.id))
            })
            .collect();
        expected.push((def.name.clone(), winners));
    }
    drop(ws);
    assert!(!expected.is_empty(), "the demo has active segments");

    let output = apply(&path, &["--json", "--now", now]);
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    let reported = json["record_types"].as_array().expect("record_types");
    assert_eq!(reported.len(), expected.len(), "one entry per record type with active segments: {json}");
    let ws = Workspace::open(&path).expect("open");
    for ((ty, winners), shown) in expected.iter().zip(reported) {
        let keys: Vec<&str> = shown.as_object().expect("an object").keys().map(String::as_str).collect();
        for key in ["record_type", "evaluated", "joined", "moved", "left", "unchanged", "assigned", "unassigned"] {
            assert!(keys.contains(&key), "{key} in {shown}");
        }
        assert_eq!(shown["record_type"], ty.as_str());
        let joining = winners.iter().filter(|(_, won)| won.is_some()).count();
        assert_eq!(shown["evaluated"], winners.len(), "{ty}");
        assert_eq!(shown["joined"], joining, "{ty}: the demo starts without members");
        assert_eq!((shown["moved"].as_u64(), shown["left"].as_u64()), (Some(0), Some(0)), "{ty}");
        assert_eq!(shown["unchanged"], winners.len() - joining, "{ty}");
        for (record, won) in winners {
            assert_eq!(ws.membership_of(ty, *record).expect("membership"), *won, "{ty} {record}");
        }
        let assigned = ws.assignments(ty, AssignmentFilter::Assigned).expect("assignments").len();
        assert_eq!(shown["assigned"], assigned, "{ty}");
        assert_eq!(shown["assigned"].as_u64().unwrap_or(0) + shown["unassigned"].as_u64().unwrap_or(0), joining as u64);
    }
    let into_top = expected[0].1.iter().filter(|(_, won)| *won == Some(top.id)).count();
    assert!(into_top > 0, "some leads join the top segment");
    assert_eq!(reported[0]["assigned"], into_top, "every lead joining the top segment gets a seller");
    drop(ws);

    // Nothing changed since: nothing to do, and the file stays as it is.
    drop(Workspace::open(&path).expect("settle"));
    let before = file_hash(&path);
    let output = apply(&path, &["--now", now]);
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("no membership changed"), "{text}");
    let output = apply(&path, &["--json", "--now", now]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    for shown in json["record_types"].as_array().expect("record_types") {
        let changed: Vec<u64> =
            ["joined", "moved", "left", "assigned"].iter().map(|k| shown[k].as_u64().unwrap_or(99)).collect();
        assert_eq!(changed, [0, 0, 0, 0], "{shown}");
    }
    assert_eq!(file_hash(&path), before, "a run with nothing to do writes nothing");
}

#[test]
fn apply_refuses_what_it_cannot_open_and_leaves_it_unchanged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing.sqlite");
    let output = apply(&missing, &[]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no such workspace"));
    assert!(!missing.exists(), "no file is created");

    let foreign = dir.path().join("notes.sqlite");
    std::fs::write(&foreign, "not a workspace at all, just text that is long enough").expect("write");
    let before = std::fs::read(&foreign).expect("read");
    let output = apply(&foreign, &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("error: ") && stderr.contains("notes.sqlite"), "{stderr}");
    assert_eq!(std::fs::read(&foreign).expect("read"), before, "a foreign file is untouched");

    let path = small_demo(&dir);
    let conn = rusqlite::Connection::open(&path).expect("raw");
    conn.pragma_update(None, "user_version", segment_builder::store::SCHEMA_VERSION + 1).expect("version");
    drop(conn);
    let before = file_hash(&path);
    let output = apply(&path, &["--now", "2026-11-24T12:00:00Z"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("newer version"), "{stderr}");
    assert_eq!(file_hash(&path), before, "a newer workspace is untouched");

    let output = apply(&path, &["--now", "yesterday"]);
    assert!(!output.status.success(), "a --now that is not RFC 3339 is refused");
    assert!(String::from_utf8_lossy(&output.stderr).contains("--now"));
}

/// A CSV file `name` in `dir`: `header`, then 40,000 rows, each `row(its line number)`
/// (the first is line 2): far more than the converting thread of an import runs ahead.
fn lines_csv(dir: &tempfile::TempDir, name: &str, header: &str, row: impl Fn(usize) -> String) -> std::path::PathBuf {
    let mut text = format!("{header}\n");
    for line in 2..40_002 {
        text.push_str(&row(line));
        text.push('\n');
    }
    let csv = dir.path().join(name);
    std::fs::write(&csv, text).expect("write");
    csv
}

/// A CSV of `rows` leads (every fifth one hot and German), and the lead type of `path`.
fn leads_csv(dir: &tempfile::TempDir, rows: usize, bad_every: Option<usize>) -> std::path::PathBuf {
    use std::fmt::Write as _;
    let mut text = String::from("Topic,Lead score,Rating,Country\n");
    for n in 0..rows {
        let score = if bad_every.is_some_and(|every| n % every == 0) { "lots".to_owned() } else { n.to_string() };
        let (rating, country) = if n % 5 == 0 { ("Hot", "Germany") } else { ("Cold", "Chile") };
        writeln!(text, "Streamed lead {n},{score},{rating},{country}").expect("write");
    }
    let path = dir.path().join(format!("stream-{rows}.csv"));
    std::fs::write(&path, text).expect("write");
    path
}

/// [`small_demo`] with its lead type and how many leads it holds.
fn small_demo_leads(dir: &tempfile::TempDir) -> (std::path::PathBuf, segment_builder::domain::RecordTypeDef, u64) {
    let path = small_demo(dir);
    let lead = RecordTypeName::new("lead");
    let ws = Workspace::open(&path).expect("open");
    let def = ws.schema().get(&lead).expect("lead").clone();
    let count = ws.count_records(&lead).expect("count");
    drop(ws);
    (path, def, count)
}

fn import_request<'a>(
    path: &'a std::path::Path,
    csv: &'a std::path::Path,
    def: &'a segment_builder::domain::RecordTypeDef,
    mapping: &'a [segment_builder::interchange::csv_records::ColumnMapping],
    only_valid: bool,
    used_fields: &'a std::collections::BTreeSet<segment_builder::domain::FieldName>,
    time_zone: &'a jiff::tz::TimeZone,
) -> segment_builder::worker::import::ImportRequest<'a> {
    segment_builder::worker::import::ImportRequest {
        workspace: path,
        file: csv,
        def,
        mapping,
        on_existing: segment_builder::store::OnExisting::Update,
        only_valid,
        time_zone,
        decimal_mark: segment_builder::domain::format::DecimalMark::Point,
        used_fields,
    }
}

#[test]
fn a_big_csv_streams_in_with_progress_and_a_cancel_changes_nothing() {
    use segment_builder::interchange::csv_records::{auto_map, headers};
    use segment_builder::worker::import::import_csv;

    let dir = tempfile::tempdir().expect("temp dir");
    let (path, def, before_count) = small_demo_leads(&dir);
    let lead = RecordTypeName::new("lead");
    let rows = 50_000;
    let csv = leads_csv(&dir, rows, None);
    let start = std::fs::read(&csv).expect("read");
    let mapping = auto_map(&def, &headers(&start[..1024]).expect("headers"));
    let used = std::collections::BTreeSet::new();
    let utc = jiff::tz::TimeZone::UTC;
    let request = import_request(&path, &csv, &def, &mapping, false, &used, &utc);

    // Cancelled early (the converting runs ahead on its own thread, and stops).
    let before = file_hash(&path);
    let (mut refused, mut asked_after) = (false, 0);
    let outcome = import_csv(&request, &mut |fraction, _| {
        asked_after += usize::from(refused);
        refused = fraction.is_some_and(|f| f >= 0.2);
        !refused
    })
    .expect("no problems");
    assert!(outcome.summary.cancelled && outcome.created.is_empty(), "{outcome:?}");
    assert_eq!(asked_after, 0, "the import stopped at the cancel");
    assert_eq!(file_hash(&path), before, "a cancelled import writes nothing");

    // Cancelled while writing: the workspace is byte-for-byte as before.
    let mut calls = 0;
    let outcome = import_csv(&request, &mut |fraction, _| {
        calls += 1;
        fraction.is_none_or(|f| f < 0.7)
    })
    .expect("no problems");
    assert!(outcome.summary.cancelled, "{outcome:?}");
    assert!(outcome.created.is_empty());
    assert!(calls > 3, "progress was reported while writing");
    assert_eq!(file_hash(&path), before, "a cancelled import leaves the workspace as it was");

    // Then for real: progress grows with the file read, and every row is there.
    let mut seen: Vec<f32> = Vec::new();
    let mut messages = Vec::new();
    let outcome = import_csv(&request, &mut |fraction, message| {
        seen.push(fraction.unwrap_or(0.0));
        messages.push(message);
        true
    })
    .expect("imported");
    assert!(!outcome.summary.cancelled);
    assert_eq!(outcome.summary.inserted, rows as u64);
    assert_eq!(outcome.created.len(), rows, "the ids of the added records, for evaluation");
    assert!(seen.len() >= 5, "every 10,000 rows: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "progress never goes back: {seen:?}");
    assert!(seen[0] < 0.5 && *seen.last().expect("last") > 0.99, "{seen:?}");
    assert!(messages.iter().any(|m| m.starts_with("Importing row")), "{messages:?}");
    let ws = Workspace::open(&path).expect("open");
    assert_eq!(ws.count_records(&lead).expect("count"), before_count + rows as u64);
}

#[test]
fn a_row_the_store_refuses_early_in_a_big_file_stops_the_import_and_names_its_line() {
    use segment_builder::interchange::csv_records::{auto_map, headers};
    use segment_builder::worker::import::import_csv;
    use std::fmt::Write as _;

    let dir = tempfile::tempdir().expect("temp dir");
    let (path, def, _) = small_demo_leads(&dir);
    // Line 4 points at an account that does not exist; tens of thousands of rows follow,
    // far more than the converting thread may run ahead.
    let mut text = String::from("Topic,Account\n");
    for n in 0..40_000 {
        let account = if n == 2 { "999999" } else { "" };
        writeln!(text, "Lead {n},{account}").expect("write");
    }
    let csv = dir.path().join("refused.csv");
    std::fs::write(&csv, text).expect("write");
    let mapping = auto_map(&def, &headers(b"Topic,Account\n").expect("headers"));
    let used = std::collections::BTreeSet::new();
    let utc = jiff::tz::TimeZone::UTC;
    let request = import_request(&path, &csv, &def, &mapping, false, &used, &utc);
    let before = file_hash(&path);
    let failure = import_csv(&request, &mut |_, _| true).expect_err("refused");
    assert!(
        failure.len() == 1 && failure[0].contains("nothing was imported") && failure[0].contains("line 4"),
        "{failure:?}"
    );
    assert_eq!(file_hash(&path), before, "nothing was written");
}

#[test]
fn a_problem_late_in_a_big_file_undoes_the_rows_written_before_it_and_the_rest_is_still_listed() {
    use segment_builder::interchange::csv_records::{auto_map, headers};
    use segment_builder::worker::import::import_csv;

    let dir = tempfile::tempdir().expect("temp dir");
    let (path, def, before_count) = small_demo_leads(&dir);
    let lead = RecordTypeName::new("lead");
    // 40,000 rows, far more than the converting thread runs ahead of the writing: the rows
    // before a bad score on the last line are written (uncommitted) before it is read.
    let csv_with_bad_lines = |name: &str, bad: &[usize]| {
        lines_csv(&dir, name, "Topic,Lead score", |line| {
            let n = line - 2;
            format!("Lead {n},{}", if bad.contains(&n) { "lots" } else { "5" })
        })
    };
    let mapping = auto_map(&def, &headers(b"Topic,Lead score\n").expect("headers"));
    let used = std::collections::BTreeSet::new();
    let utc = jiff::tz::TimeZone::UTC;
    let before = file_hash(&path);

    let last = csv_with_bad_lines("last.csv", &[39_999]);
    let request = import_request(&path, &last, &def, &mapping, false, &used, &utc);
    let mut written_before = false;
    let problems = import_csv(&request, &mut |_, message| {
        written_before |= message.starts_with("Importing row 30000");
        true
    })
    .expect_err("problems");
    assert!(written_before, "rows were written before the problem was read");
    assert_eq!(problems, ["line 40001, column \"Lead score\": \"lots\" is not a whole number"]);
    assert_eq!(file_hash(&path), before, "the rows written before it were rolled back");

    // A problem on the first row stops the writing; the rest is converted to list its own.
    let first_and_last = csv_with_bad_lines("both.csv", &[0, 39_999]);
    let request = import_request(&path, &first_and_last, &def, &mapping, false, &used, &utc);
    let problems = import_csv(&request, &mut |_, _| true).expect_err("problems");
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("line 2,") && problems[1].starts_with("line 40001,"), "{problems:?}");
    // …and that listing can be cancelled.
    let outcome =
        import_csv(&request, &mut |_, message| !message.starts_with("Checking row")).expect("cancelled, not refused");
    assert!(outcome.summary.cancelled, "{outcome:?}");
    assert_eq!(file_hash(&path), before, "nothing was written");
    let ws = Workspace::open(&path).expect("open");
    assert_eq!(ws.count_records(&lead).expect("count"), before_count);
}

#[test]
fn an_import_lists_the_files_problems_before_what_the_store_refuses_and_a_bad_start_before_the_workspace() {
    use segment_builder::interchange::csv_records::{auto_map, headers};
    use segment_builder::worker::import::import_csv;

    let dir = tempfile::tempdir().expect("temp dir");
    let (path, def, before_count) = small_demo_leads(&dir);
    let lead = RecordTypeName::new("lead");
    // 40,000 rows: `account` on line `missing_account` points nowhere (the store refuses
    // it), the score on line `bad_score` is no number (a problem of the file).
    let csv = |name: &str, missing_account: Option<usize>, bad_score: &[usize]| {
        lines_csv(&dir, name, "Topic,Account,Lead score", |line| {
            let account = if missing_account == Some(line) { "999999" } else { "" };
            let score = if bad_score.contains(&line) { "lots" } else { "5" };
            format!("Lead {line},{account},{score}")
        })
    };
    let mapping = auto_map(&def, &headers(b"Topic,Account,Lead score\n").expect("headers"));
    let used = std::collections::BTreeSet::new();
    let utc = jiff::tz::TimeZone::UTC;
    let before = file_hash(&path);

    // The store refuses line 4, the file has a problem on line 30,000: as when the whole
    // file was checked first, the file's problem is what the user sees.
    let both = csv("both.csv", Some(4), &[30_000]);
    let request = import_request(&path, &both, &def, &mapping, false, &used, &utc);
    let failure = import_csv(&request, &mut |_, _| true).expect_err("refused");
    assert_eq!(failure, ["line 30000, column \"Lead score\": \"lots\" is not a whole number"]);
    // Without it, the store's refusal.
    let refused = csv("refused.csv", Some(4), &[]);
    let request = import_request(&path, &refused, &def, &mapping, false, &used, &utc);
    let failure = import_csv(&request, &mut |_, _| true).expect_err("refused");
    assert!(failure.len() == 1 && failure[0].contains("line 4"), "{failure:?}");
    assert_eq!(file_hash(&path), before, "nothing was written");

    // A file whose first row is bad is listed without the workspace being opened: even
    // where there is no workspace at all.
    let not_a_workspace = dir.path().join("garbage.sqlite");
    std::fs::write(&not_a_workspace, vec![7_u8; 8192]).expect("write");
    let starts_badly = csv("starts-badly.csv", None, &[2]);
    let request = import_request(&not_a_workspace, &starts_badly, &def, &mapping, false, &used, &utc);
    let failure = import_csv(&request, &mut |_, _| true).expect_err("refused");
    assert_eq!(failure, ["line 2, column \"Lead score\": \"lots\" is not a whole number"]);

    // With "only the valid rows", rows left out still report progress and can be cancelled.
    let all_bad: Vec<usize> = (3..40_002).collect();
    let mostly_bad = csv("mostly-bad.csv", None, &all_bad);
    let request = import_request(&path, &mostly_bad, &def, &mapping, true, &used, &utc);
    let mut asked = 0;
    let outcome = import_csv(&request, &mut |_, _| {
        asked += 1;
        asked < 3
    })
    .expect("cancelled");
    assert!(outcome.summary.cancelled && asked == 3, "{outcome:?}, asked {asked} times");
    assert_eq!(file_hash(&path), before, "a cancel writes nothing");
    let ws = Workspace::open(&path).expect("open");
    assert_eq!(ws.count_records(&lead).expect("count"), before_count);
}

#[test]
fn a_csv_with_many_problems_lists_the_first_and_counts_the_rest_or_imports_its_valid_rows() {
    use segment_builder::interchange::csv_records::{PROBLEM_LIMIT, auto_map, headers};
    use segment_builder::worker::import::import_csv;

    let dir = tempfile::tempdir().expect("temp dir");
    let (path, def, before_count) = small_demo_leads(&dir);
    let lead = RecordTypeName::new("lead");
    // Every second row of 1,000 has a bad score: 500 problems.
    let csv = leads_csv(&dir, 1_000, Some(2));
    let mapping = auto_map(&def, &headers(&std::fs::read(&csv).expect("read")).expect("headers"));
    let used = std::collections::BTreeSet::new();
    let utc = jiff::tz::TimeZone::UTC;
    let before = file_hash(&path);
    let all_or_nothing = import_request(&path, &csv, &def, &mapping, false, &used, &utc);
    let problems = import_csv(&all_or_nothing, &mut |_, _| true).expect_err("problems");
    assert_eq!(problems.len(), PROBLEM_LIMIT + 1);
    assert_eq!(problems[0], "line 2, column \"Lead score\": \"lots\" is not a whole number");
    assert_eq!(problems[PROBLEM_LIMIT], format!("and {} more problems", 500 - PROBLEM_LIMIT));
    assert_eq!(file_hash(&path), before, "nothing was written");

    let only_valid = import_request(&path, &csv, &def, &mapping, true, &used, &utc);
    let outcome = import_csv(&only_valid, &mut |_, _| true).expect("the valid rows");
    assert_eq!((outcome.summary.inserted, outcome.left_out_problems), (500, 500));
    let ws = Workspace::open(&path).expect("open");
    assert_eq!(ws.count_records(&lead).expect("count"), before_count + 500);
}

#[test]
fn explain_shows_the_rule_and_seller_choice() {
    use std::collections::BTreeMap;

    use segment_builder::domain::{Record, RecordId, Seller, SellerId, Value};

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rules.sqlite");
    let lead = RecordTypeName::new("lead");
    let now: jiff::Timestamp = "2026-03-10T12:00:00Z".parse().expect("time");
    let record = {
        let mut ws = Workspace::create(&path).expect("create");
        for (name, on) in [("Ana", true), ("Otto", false)] {
            let seller = Seller {
                id: SellerId(0),
                name: name.to_owned(),
                email: format!("{name}@example.com"),
                time_zone: "UTC".to_owned(),
                attributes: BTreeMap::new(),
                capacity: None,
                work_hours: Vec::new(),
                time_off: Vec::new(),
                assign_records: on,
            };
            ws.insert_seller(&seller).expect("seller");
        }
        let def = ws.schema().get(&lead).expect("lead").clone();
        let mut values = Record::empty(RecordId(0), &def);
        assert!(values.set(&def, "country", Value::Text("Germany".to_owned())));
        let record = ws.insert_record(&lead, values.values).expect("lead");
        let segment = active_segment(&mut ws, &lead, "Germany", text_equals("country", "Germany"), now);
        join(&mut ws, &lead, segment, &[record], now);
        ws.insert_rule(segment, &any_seller_rule("Everyone"), now).expect("rule");
        record
    };
    let run = |json: bool| {
        let mut command = binary();
        command.arg("explain").arg(&path).args(["--type", "lead", "--record", &record.0.to_string()]);
        command.args(["--now", "2026-03-10T13:00:00Z"]);
        if json {
            command.arg("--json");
        }
        let output = command.output().expect("run");
        assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let json: serde_json::Value = serde_json::from_str(&run(true)).expect("JSON");
    let assignment = &json["assignment"];
    assert_eq!(assignment["segment"], "Germany");
    assert_eq!(assignment["rule"], "Everyone");
    assert_eq!(assignment["seller"], "Ana");
    assert_eq!(assignment["reason"], serde_json::Value::Null);
    assert_eq!(assignment["rules"][0]["outcome"], "fired");
    let candidates = assignment["candidates"].as_array().expect("candidates");
    let otto = candidates.iter().find(|c| c["name"] == "Otto").expect("Otto is listed");
    assert_eq!(otto["filter"], "switch");
    assert_eq!(candidates[0]["name"], "Ana");
    assert_eq!(candidates[0]["chosen"], true);

    let text = run(false);
    assert!(text.contains("1. Everyone: Fired"), "{text}");
    assert!(text.contains("seller: Ana"), "{text}");
    assert!(text.contains("Otto: Removed by the switch"), "{text}");
}

#[test]
fn import_definitions_as_a_user_runs_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = small_demo(&dir);
    let file = dir.path().join("definitions.ron");
    let output = binary().arg("export-definitions").arg(&source).arg(&file).output().expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let target = dir.path().join("empty.sqlite");
    drop(Workspace::create(&target).expect("create"));

    // Into an empty workspace: everything created, exit 0.
    let output = binary().arg("import-definitions").arg(&target).arg(&file).output().expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("created segment"), "{stdout}");
    let lead = RecordTypeName::new("lead");
    let names = |path: &std::path::Path| -> Vec<String> {
        Workspace::open(path).expect("open").segments(&lead).expect("segments").into_iter().map(|s| s.name).collect()
    };
    assert_eq!(names(&target), names(&source));

    // Again: every name clashes; without --on-clash nothing changes and the exit is 1.
    let before = std::fs::read(&target).expect("read");
    let output = binary().arg("import-definitions").arg(&target).arg(&file).output().expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--on-clash") && stderr.contains("segments[0]"), "{stderr}");
    assert_eq!(std::fs::read(&target).expect("read"), before, "byte-for-byte unchanged");

    // With --on-clash rename: a second copy, JSON report.
    let output = binary()
        .arg("import-definitions")
        .arg(&target)
        .arg(&file)
        .args(["--on-clash", "rename", "--json"])
        .output()
        .expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert!(json["lines"].as_array().is_some_and(|l| l.iter().any(|l| l["outcome"]["renamed"].is_object())));
    assert_eq!(names(&target).len(), names(&source).len() * 2);

    // A truncated file: line and column, exit 1, nothing changed.
    let text = std::fs::read_to_string(&file).expect("read");
    let truncated = dir.path().join("truncated.ron");
    std::fs::write(&truncated, &text[..text.len() / 2]).expect("write");
    let before = std::fs::read(&target).expect("read");
    let output = binary().arg("import-definitions").arg(&target).arg(&truncated).output().expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("truncated.ron: line ") && stderr.contains("column"), "{stderr}");
    assert_eq!(std::fs::read(&target).expect("read"), before);

    // An unknown version, and a bad --on-clash value (a usage error: exit 2).
    let newer = dir.path().join("newer.ron");
    std::fs::write(&newer, "(version: 99)").expect("write");
    let output = binary().arg("import-definitions").arg(&target).arg(&newer).output().expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("version 99 is newer"));
    let output =
        binary().arg("import-definitions").arg(&target).arg(&file).args(["--on-clash", "merge"]).output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(std::fs::read(&target).expect("read"), before);
}

/// A workspace where a lead Sam owns and an unowned one run a sequence (Call, a day's
/// wait, Task) since `enrolled`; the enrolment ids, Sam's first.
fn running_sequence(path: &std::path::Path, enrolled: jiff::Timestamp) -> (i64, i64) {
    use segment_builder::domain::{
        MembershipChange, MembershipChanges, MembershipReason, Record, RecordId, Seller, SellerId, Sequence,
        SequenceId, SequenceOptions, Status, Step, StepKind, Value,
    };
    let mut ws = Workspace::create(path).expect("create");
    let lead = RecordTypeName::new("lead");
    let every = segment_builder::domain::Group::all(segment_builder::domain::NodeId(0));
    let segment = active_segment(&mut ws, &lead, "Every lead", every, enrolled);
    let sam = ws
        .insert_seller(&Seller {
            id: SellerId(0),
            name: "Sam".into(),
            email: "sam@example.com".into(),
            time_zone: "UTC".into(),
            attributes: std::collections::BTreeMap::new(),
            capacity: None,
            work_hours: Vec::new(),
            time_off: Vec::new(),
            assign_records: true,
        })
        .expect("seller");
    let step =
        |kind, name: &str, wait_minutes| Step { kind, name: name.into(), description: String::new(), wait_minutes };
    let sequence = ws
        .insert_sequence(&Sequence {
            id: SequenceId(0),
            record_type: lead.clone(),
            name: "Follow up".into(),
            description: String::new(),
            status: Status::Draft,
            steps: vec![
                step(StepKind::PhoneCall, "Call", None),
                step(StepKind::Wait, "A day", Some(1440)),
                step(StepKind::Task, "Send the offer", None),
            ],
            options: SequenceOptions::default(),
            created_on: enrolled,
            modified_on: enrolled,
        })
        .expect("sequence");
    ws.set_sequence_status(sequence, Status::Active, enrolled).expect("activate");
    ws.connect_sequence(segment, sequence, enrolled).expect("connect");
    let def = ws.schema().get(&lead).expect("lead").clone();
    let mut changes = MembershipChanges::new(lead.clone());
    for (title, owner) in [("Ada's order", Some(sam)), ("Nobody's order", None)] {
        let mut record = Record::empty(RecordId(0), &def);
        assert!(record.set(&def, "topic", Value::Text(title.into())));
        if let Some(owner) = owner {
            assert!(record.set(&def, "owner", Value::Owner(owner)));
        }
        let id = ws.insert_record(&lead, record.values).expect("record");
        changes.changes.push(MembershipChange { record: id, from: None, to: Some(segment), rerun_assignment: false });
    }
    ws.apply_membership_changes(&changes, MembershipReason::RecordCreated, enrolled, &mut |_, _| true).expect("apply");
    let ids: Vec<i64> = changes
        .changes
        .iter()
        .map(|c| ws.enrolment_of(&lead, c.record).expect("read").expect("enrolled").enrolment.id)
        .collect();
    (ids[0], ids[1])
}

fn run_json(args: &[&str], path: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let output = binary().args(args).arg(path).args(extra).output().expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON")
}

#[test]
fn work_list_and_complete_step_drive_a_sequence_from_scripts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ws.sqlite");
    let (sams, nobodys) = running_sequence(&path, "2026-03-09T09:00:00Z".parse().unwrap());

    let all = run_json(&["work-list"], &path, &["--due-before", "2026-03-10T09:00:00Z", "--json"]);
    assert_eq!(all["total"], 2);
    let mine = run_json(
        &["work-list"],
        &path,
        &["--seller", "SAM@example.com", "--due-before", "2026-03-10T09:00:00Z", "--json"],
    );
    assert_eq!(mine["total"], 1, "{mine}");
    let row = &mine["items"][0];
    assert_eq!(
        (row["enrolment"].as_i64(), row["title"].as_str(), row["owner"].as_str()),
        (Some(sams), Some("Ada's order"), Some("sam@example.com"))
    );
    assert_eq!(
        (row["step"].as_u64(), row["kind"].as_str(), row["due_at"].as_str()),
        (Some(1), Some("phone_call"), Some("2026-03-09T09:00:00Z"))
    );

    let done = run_json(
        &["complete-step"],
        &path,
        &["--enrolment", &sams.to_string(), "--now", "2026-03-10T09:00:00Z", "--json"],
    );
    assert_eq!((done["next_step"].as_u64(), done["due_at"].as_str()), (Some(3), Some("2026-03-11T09:00:00Z")));
    let text =
        binary().args(["work-list"]).arg(&path).args(["--due-before", "2026-03-10T09:00:00Z"]).output().expect("run");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Nobody's order") && !text.contains("Ada's order"), "{text}");
    assert!(text.contains("1 due steps"), "{text}");

    let skipped = run_json(&["complete-step"], &path, &["--enrolment", &sams.to_string(), "--skip", "--json"]);
    assert_eq!((skipped["outcome"].as_str(), skipped["completed"].as_bool()), (Some("skipped"), Some(true)));
    let ws = Workspace::open(&path).expect("open");
    assert_eq!(
        ws.enrolment_by_id(sams).expect("read").end_reason,
        Some(segment_builder::domain::sequence::EndReason::Completed)
    );
    assert_eq!(ws.enrolment_by_id(nobodys).expect("read").step, 0);
    drop(ws);

    // Refusals name what is wrong and exit non-zero.
    for (args, says) in [
        (vec!["complete-step", "--enrolment", &sams.to_string()], "has ended"),
        (vec!["complete-step", "--enrolment", "999"], "no enrolment with id 999"),
        (vec!["work-list", "--seller", "nobody@example.com"], "no seller with email nobody@example.com"),
    ] {
        let (command, rest) = args.split_first().unwrap();
        let output = binary().arg(command).arg(&path).args(rest).output().expect("run");
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says) && stderr.contains("ws.sqlite"), "{args:?}: {stderr}");
    }
    let output = binary().args(["work-list"]).arg(dir.path().join("missing.sqlite")).output().expect("run");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no such workspace"));
}
