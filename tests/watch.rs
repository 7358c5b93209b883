//! Other writers: changes by another connection (as `sqlite3` or pandas make them) and by
//! another Segment Builder process are seen, with the records they changed; this process's
//! own writers are not reported; a write over a change not yet seen is refused; and the
//! window shows another program's change within a few frames, without a click.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use segment_builder::state::SegmentsCommand;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use segment_builder::app::{App, Loadable};
use segment_builder::domain::{RecordId, RecordTypeName, SegmentId, Status, Value};
use segment_builder::store::{OtherChanges, STALE_MESSAGE, StoreError, Workspace};

mod common;
use common::harness::{lead, open_demo, run_until};

const WATCH_BUSY_TIMEOUT: Duration = Duration::from_millis(100);

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segment-builder"))
}

/// A connection as `sqlite3` or pandas opens one: triggers on, nothing of ours.
fn raw(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).expect("open raw");
    conn.busy_timeout(Duration::from_secs(5)).expect("busy timeout");
    conn
}

/// A small workspace with three leads, its path, and the leads' ids.
fn small_workspace(dir: &tempfile::TempDir) -> (PathBuf, Vec<RecordId>) {
    let path = dir.path().join("w.sqlite");
    let mut ws = Workspace::create(&path).expect("create");
    let fields = ws.schema().get(&lead()).expect("lead").fields.len();
    let ids = (0..3)
        .map(|n| {
            let mut values = vec![Value::Empty; fields];
            values[0] = Value::Text(format!("Lead {n}"));
            ws.insert_record(&lead(), values).expect("insert")
        })
        .collect();
    (path, ids)
}

fn watching(path: &Path) -> Workspace {
    let mut ws = Workspace::open(path).expect("open");
    ws.watch_other_writers(WATCH_BUSY_TIMEOUT).expect("watch");
    ws
}

fn records(ty: &RecordTypeName, ids: &[RecordId]) -> OtherChanges {
    OtherChanges { records: [(ty.clone(), ids.iter().copied().collect())].into(), reload_all: false }
}

#[test]
fn another_connection_s_record_changes_are_reported_with_their_ids() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, ids) = small_workspace(&dir);
    let mut watcher = watching(&path);
    assert_eq!(watcher.other_changes().expect("look"), None, "nothing changed yet");

    let other = raw(&path);
    other.execute("INSERT INTO lead (topic) VALUES ('From sqlite3')", []).expect("insert");
    let added = RecordId(other.last_insert_rowid());
    other.execute("UPDATE lead SET city = 'Oslo' WHERE id = ?1", [ids[0].0]).expect("update");
    other.execute("DELETE FROM lead WHERE id = ?1", [ids[1].0]).expect("delete");
    assert_eq!(watcher.other_changes().expect("look"), Some(records(&lead(), &[ids[0], ids[1], added])));
    assert_eq!(watcher.other_changes().expect("look"), None, "each change is reported once");

    // A custom record type added later is watched too.
    let mut own = Workspace::open(&path).expect("open");
    let mut def = own.schema().get(&lead()).expect("lead").clone();
    def.name = RecordTypeName::new("project");
    def.label = "Project".into();
    def.plural_label = "Projects".into();
    def.fields.retain(|f| f.name.as_str() == "topic");
    def.primary_field = def.fields[0].name.clone();
    own.add_record_type(def).expect("add type");
    assert_eq!(watcher.other_changes().expect("look"), None, "this process's own change is not another's");
    watcher.reload_schema().expect("reload schema");
    other.execute("INSERT INTO project (topic) VALUES ('Pandas row')", []).expect("insert project");
    let project = RecordId(other.last_insert_rowid());
    assert_eq!(watcher.other_changes().expect("look"), Some(records(&RecordTypeName::new("project"), &[project])));

    // Anything that is not a record (here a segment) reloads everything.
    other.execute("UPDATE setting SET value = 'Europe/Oslo' WHERE key = 'time_zone'", []).expect("setting");
    let changes = watcher.other_changes().expect("look").expect("a change");
    assert!(changes.reload_all, "{changes:?}");
}

#[test]
fn this_process_s_own_writers_are_not_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, ids) = small_workspace(&dir);
    let mut watcher = watching(&path);
    // The engine worker's writer connection and any other of this process.
    let mut worker = Workspace::open_worker_writer(&path).expect("worker writer");
    let def = worker.schema().get(&lead()).expect("lead").clone();
    let mut record = worker.record(&lead(), ids[0]).expect("read").expect("record");
    record.values[def.field_index(&segment_builder::domain::FieldName::new("city")).expect("city")] =
        Value::Text("Bergen".into());
    worker.update_record(&lead(), &record).expect("update");
    worker.delete_record(&lead(), ids[2]).expect("delete");
    let segment = common::routing::active_segment(
        &mut worker,
        &lead(),
        "Everyone",
        common::routing::text_equals("topic", "Lead 0"),
        segment_builder::clock::now(),
    );
    worker.set_segment_status(segment, Status::Inactive, segment_builder::clock::now()).expect("deactivate");
    assert_eq!(watcher.other_changes().expect("look"), None);
    // And the watcher may write: nothing it has not seen came from elsewhere.
    watcher.delete_record(&lead(), ids[1]).expect("a write after own changes is accepted");
}

#[test]
fn another_segment_builder_process_is_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, _) = small_workspace(&dir);
    let mut watcher = watching(&path);
    let csv = dir.path().join("leads.csv");
    std::fs::write(&csv, "Topic,Country\nImported,Germany\n").expect("write csv");
    let output =
        binary().arg("import-records").arg(&path).args(["--type", "lead"]).arg(&csv).output().expect("run import");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let changes = watcher.other_changes().expect("look").expect("the import is seen");
    assert!(changes.reload_all, "an import by another process reloads everything: {changes:?}");
}

#[test]
fn a_stale_write_is_refused_with_the_message_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, _) = small_workspace(&dir);
    let mut setup = Workspace::open(&path).expect("open");
    let segment_id = common::routing::active_segment(
        &mut setup,
        &lead(),
        "Everyone",
        common::routing::text_equals("topic", "Lead 0"),
        segment_builder::clock::now(),
    );
    drop(setup);
    let mut watcher = watching(&path);
    let mine = segment_segment(&watcher, segment_id);

    raw(&path).execute("UPDATE segment SET description = 'Theirs' WHERE id = ?1", [segment_id.0]).expect("theirs");
    let edited = segment_builder::domain::Segment { description: "Mine".into(), ..mine.clone() };
    let refused = watcher.update_segment(&edited).expect_err("a stale write is refused");
    assert!(matches!(refused, StoreError::Stale), "{refused:?}");
    assert_eq!(refused.to_string(), STALE_MESSAGE);
    assert_eq!(segment_segment(&watcher, segment_id).description, "Theirs", "nothing was written over theirs");

    // Once the change is taken (and the view reloaded), writing is possible again.
    assert!(watcher.other_changes().expect("look").expect("the change").reload_all);
    watcher.update_segment(&edited).expect("saved after looking again");
    assert_eq!(segment_segment(&watcher, segment_id).description, "Mine");
}

#[test]
fn a_write_behind_another_program_s_lock_is_refused_as_busy_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, ids) = small_workspace(&dir);
    let mut watcher = watching(&path);
    let other = raw(&path);
    other.execute_batch("BEGIN IMMEDIATE; UPDATE lead SET city = 'Oslo' WHERE id = 1;").expect("hold the lock");
    let started = Instant::now();
    let busy = watcher.delete_record(&lead(), ids[2]).expect_err("refused while another program writes");
    assert!(matches!(busy, StoreError::Busy { .. }), "{busy:?}");
    assert!(busy.to_string().contains("another program is writing"), "{busy}");
    // Not the 5 s of a background writer: the window must not freeze (a generous bound).
    assert!(started.elapsed() < Duration::from_secs(4), "took {:?}", started.elapsed());
    other.execute_batch("ROLLBACK").expect("release");
    watcher.delete_record(&lead(), ids[2]).expect("accepted once the lock is free");
}

#[test]
fn a_watcher_behind_the_trimmed_log_reloads_everything() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, _) = small_workspace(&dir);
    let mut watcher = watching(&path);
    let other = raw(&path);
    for n in 0..5 {
        other.execute("INSERT INTO lead (topic) VALUES (?1)", [format!("Row {n}")]).expect("insert");
    }
    let mut trimmer = Workspace::open(&path).expect("open");
    assert!(trimmer.trim_change_log(2).expect("trim") > 0);
    let changes = watcher.other_changes().expect("look").expect("changes");
    assert!(changes.reload_all, "the watcher missed trimmed rows: {changes:?}");
}

fn segment_segment(ws: &Workspace, id: SegmentId) -> segment_builder::domain::Segment {
    ws.segment(id).expect("segment")
}

fn member_count(app: &App, segment: SegmentId) -> u64 {
    app.state().view.as_ref().and_then(|v| v.member_counts.get(&segment).copied()).unwrap_or(0)
}

fn preview_matches(app: &App) -> Option<usize> {
    match &app.state().preview.result {
        Loadable::Ready(outcome) => Some(outcome.matches),
        _ => None,
    }
}

fn watch_line(app: &App) -> String {
    app.state().watch_line.clone().unwrap_or_default()
}

/// The top active lead segment, selected, with its preview shown.
fn select_top(
    harness: &mut egui_kittest::Harness<'static, App>,
    segments: &[segment_builder::domain::Segment],
) -> SegmentId {
    let top = segments.iter().find(|s| s.status == Status::Active).expect("an active segment").id;
    harness.state_mut().apply(segment_builder::app::Command::Segments(SegmentsCommand::Select(top)));
    run_until(harness, "the preview", |app| app.state().preview.segment == Some(top) && preview_matches(app).is_some());
    top
}

#[test]
fn the_window_shows_a_lead_another_connection_adds_without_a_click() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, segments) = open_demo(&dir);
    let top = select_top(&mut harness, &segments);
    let members = member_count(harness.state(), top);
    let matches = preview_matches(harness.state()).expect("matches");
    let path = dir.path().join("demo.sqlite");

    // A hot German lead: it joins the top segment ("Hot leads in Germany"), as sqlite3 adds it.
    let other = raw(&path);
    other
        .execute("INSERT INTO lead (topic, score, rating, country) VALUES ('From sqlite3', 1200, 'Hot', 'Germany')", [])
        .expect("insert");
    let added = RecordId(other.last_insert_rowid());
    run_until(&mut harness, "the window to show the new lead", |app| {
        member_count(app, top) == members + 1
            && preview_matches(app) == Some(matches + 1)
            && app.state().preview.result.latest().is_some_and(|p| p.order.iter().any(|(id, _)| *id == added))
    });
    assert_eq!(watch_line(harness.state()), "Updated: 1 lead changed by another program");
    let stored = Workspace::open(&path).expect("open").membership_of(&lead(), added).expect("membership");
    assert_eq!(stored, Some(top), "the window evaluated it and stored its membership");

    // Deleted by another program: it leaves again.
    raw(&path).execute("DELETE FROM lead WHERE id = ?1", [added.0]).expect("delete");
    run_until(&mut harness, "the window to drop the deleted lead", |app| {
        member_count(app, top) == members && preview_matches(app) == Some(matches)
    });
    let stored = Workspace::open(&path).expect("open").membership_of(&lead(), added).expect("membership");
    assert_eq!(stored, None, "its membership ended");
}

#[test]
fn the_window_shows_the_counts_after_an_import_by_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, segments) = open_demo(&dir);
    let top = select_top(&mut harness, &segments);
    let path = dir.path().join("demo.sqlite");
    let members = member_count(harness.state(), top);
    let matches = preview_matches(harness.state()).expect("matches");
    let leads = harness.state().state().view.as_ref().expect("view").record_count(&lead());
    let csv = dir.path().join("leads.csv");
    // The hot German lead joins the top segment ("Hot leads in Germany").
    std::fs::write(&csv, "Topic,Lead score,Rating,Country\nImported one,1200,Hot,Germany\nImported two,,Cold,\n")
        .expect("write csv");

    let output =
        binary().arg("import-records").arg(&path).args(["--type", "lead"]).arg(&csv).output().expect("run import");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    run_until(&mut harness, "the window to show the imported leads", |app| {
        let view = app.state().view.as_ref();
        view.is_some_and(|v| v.record_count(&lead()) == leads + 2) && member_count(app, top) == members + 1
    });
    assert!(watch_line(harness.state()).contains("changed by another program"), "{}", watch_line(harness.state()));
    run_until(&mut harness, "the preview to follow", |app| preview_matches(app) == Some(matches + 1));
}

#[test]
fn the_sellers_screen_shows_a_seller_and_an_attribute_another_connection_adds_without_a_click() {
    use egui_kittest::kittest::Queryable as _;
    use segment_builder::app::{Command, Screen};
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, _) = small_workspace(&dir);
    let mut harness = common::harness::open_app(&path);
    harness.state_mut().apply(Command::ShowScreen(Screen::Sellers));
    run_until(&mut harness, "the Sellers screen to load", |app| app.state().sellers.loaded_for.is_some());

    let other = raw(&path);
    other
        .execute_batch(
            "INSERT INTO attribute_definition (name, position) VALUES ('Language', 0);
             INSERT INTO seller (name, email, time_zone, capacity, assign_records)
             VALUES ('Zoe from sqlite', 'zoe@example.com', 'UTC', NULL, 1);",
        )
        .expect("insert");
    run_until(&mut harness, "the Sellers screen to show them", |app| {
        let state = app.state();
        state.sellers.definitions.iter().any(|d| d.name == "Language")
            && state.view.as_ref().is_some_and(|v| v.sellers.iter().any(|s| s.name == "Zoe from sqlite"))
    });
    harness.run_steps(2);
    assert!(harness.query_all_by_label_contains("Zoe from sqlite").next().is_some(), "the list shows the new seller");
}
