//! Checking the whole workspace file: `segment-builder check` on demand, and the window,
//! which opens without the check so the first answer comes first, then checks in the
//! background (and again from File › "Check workspace").

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use std::path::{Path, PathBuf};
use std::process::Command;

use egui_kittest::kittest::Queryable;
use segment_builder::app::{App, Startup};
use segment_builder::demo::{DemoSpec, create_demo_workspace};
use segment_builder::state::NoticeLevel;
use segment_builder::store::{Checked, Workspace, receipt_path};

mod common;
use common::harness::*;

fn demo(dir: &tempfile::TempDir) -> PathBuf {
    let path = temp_path(dir, "work.sqlite");
    let spec = DemoSpec::with_leads(2_000, 9, segment_builder::clock::now());
    create_demo_workspace(&path, &spec, &mut |_, _| true).expect("demo");
    path
}

/// Overwrites the first page of the membership history's table with garbage: opening the
/// workspace and its first answer never read it, the check of the whole file does.
fn damage_history(path: &Path) {
    let (root, page_size): (i64, i64) = {
        let conn = rusqlite::Connection::open(path).expect("open");
        let root = conn
            .query_row("SELECT rootpage FROM sqlite_schema WHERE name = 'membership_history'", [], |r| r.get(0))
            .expect("the history table");
        (root, conn.query_row("PRAGMA page_size", [], |r| r.get(0)).expect("page size"))
    };
    let mut bytes = std::fs::read(path).expect("read");
    let at = usize::try_from((root - 1) * page_size).expect("offset");
    bytes[at..at + usize::try_from(page_size).expect("size")].fill(0xA5);
    std::fs::write(path, bytes).expect("damage");
}

fn check(path: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_segment-builder")).arg("check").arg(path).output().expect("run")
}

fn error_notices(app: &App) -> Vec<String> {
    let notices = &app.state().notices;
    notices.iter().filter(|n| n.level == NoticeLevel::Error).map(|n| n.text.clone()).collect()
}

#[test]
fn check_says_a_good_workspace_is_fine_and_names_the_damage_of_a_bad_one_without_changing_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo(&dir);
    let output = check(&path);
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("no problems found"));

    damage_history(&path);
    let before = std::fs::read(&path).expect("read");
    let output = check(&path);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is damaged"), "{stderr}");
    assert_eq!(std::fs::read(&path).expect("read"), before, "the file is unchanged");

    let missing = check(&dir.path().join("missing.sqlite"));
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no such workspace"));
}

#[test]
fn the_window_checks_in_the_background_after_opening_and_from_the_file_menu() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo(&dir);
    // `open_app` settles: the check after the first answer is part of the background work.
    let mut harness = open_app(&path);
    assert!(error_notices(harness.state()).is_empty(), "{:?}", harness.state().state().notices);
    harness.get_by_label("File").click();
    harness.run_steps(2);
    harness.get_by_label("Check workspace").click();
    run_until(&mut harness, "the check's answer", |app| {
        app.state().notices.iter().any(|n| n.text.contains("no problems found"))
    });
}

#[test]
fn a_damaged_workspace_opens_and_is_said_damaged_once_the_first_answer_is_in() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo(&dir);
    damage_history(&path);
    let mut harness = harness(App::new(Startup::Open(path.clone()), Vec::new()));
    run_until(&mut harness, "the damage to be said", |app| {
        error_notices(app).iter().any(|n| n.contains("is damaged") && n.contains("restore a copy"))
    });
    let state = harness.state().state();
    assert!(state.view.is_some(), "the workspace opened first");
    assert!(!state.preview.result.is_pending(), "the first answer came first");
}

/// The receipt beside `path`, as text (empty when there is none).
fn receipt(path: &Path) -> String {
    std::fs::read_to_string(receipt_path(path)).unwrap_or_default()
}

fn apply(path: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_segment-builder"))
        .arg("apply")
        .arg(path)
        .args(["--now", "2026-12-17T02:00:00Z"])
        .output()
        .expect("run")
}

/// A lead changed by a plain SQLite connection, as another program would.
fn write_elsewhere(path: &Path) {
    let conn = rusqlite::Connection::open(path).expect("open");
    let changed = conn.execute("UPDATE lead SET city = 'Elsewhere' WHERE id = (SELECT min(id) FROM lead)", []);
    assert_eq!(changed.expect("update"), 1);
}

#[test]
fn a_receipt_vouches_only_for_the_pages_it_was_taken_of() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo(&dir);
    let check = || Workspace::check_unless_unchanged(&path);
    assert_eq!(check().expect("checked"), Checked::Whole, "no receipt yet");
    assert!(receipt(&path).starts_with("Segment Builder check receipt"), "the passed check left one");
    assert_eq!(check().expect("checked"), Checked::Unchanged);

    write_elsewhere(&path);
    assert_eq!(check().expect("checked"), Checked::Whole, "another program's write");
    assert_eq!(check().expect("checked"), Checked::Unchanged, "and its receipt renewed");

    // A receipt of other pages, a cut one, one that is not a receipt: the whole check.
    let good = receipt(&path);
    let last = good.trim_end().chars().last().expect("a digest");
    let other = format!("{}{}\n", &good.trim_end()[..good.trim_end().len() - 1], if last == '0' { '1' } else { '0' });
    for bad in [other, good[..good.len() / 2].to_owned(), "pages 1\ndigest 0\n".to_owned(), String::new()] {
        std::fs::write(receipt_path(&path), &bad).expect("write the receipt");
        assert_eq!(check().expect("checked"), Checked::Whole, "{bad:?}");
        assert_eq!(receipt(&path), good, "the receipt is taken again");
    }

    // Damage made after a receipt was left is found: the pages are no longer the same.
    damage_history(&path);
    let found = check().expect_err("a damaged file");
    assert!(found.to_string().contains("is damaged"), "{found}");
    assert_eq!(receipt(&path), good, "no receipt for a damaged file");
}

/// A receipt vouching for the pages of `path` as they are, made as `store::receipt` makes
/// one, whatever they hold: what a receipt left before damage nobody can see would be.
fn forge_receipt(path: &Path) {
    let conn = rusqlite::Connection::open(path).expect("open");
    let mut stmt = conn.prepare("SELECT data FROM sqlite_dbpage").expect("pages");
    let mut sums = Vec::new();
    let mut rows = stmt.query([]).expect("read");
    while let Some(row) = rows.next().expect("a page") {
        let page: Vec<u8> = row.get(0).expect("bytes");
        sums.extend_from_slice(&segment_builder::checksum::part_checksum(&page).to_le_bytes());
    }
    let (pages, sum) = (sums.len() / 8, segment_builder::checksum::checksum(&sums));
    let text = format!("Segment Builder check receipt 1\npages {pages}\ndigest {sum:016x}\n");
    std::fs::write(receipt_path(path), text).expect("write the receipt");
}

#[test]
fn a_check_asked_for_is_whole_even_when_a_receipt_vouches_for_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo(&dir);
    damage_history(&path);
    forge_receipt(&path);
    assert_eq!(Workspace::check_unless_unchanged(&path).expect("vouched for"), Checked::Unchanged);
    let found = Workspace::check(&path).expect_err("the whole check");
    assert!(found.to_string().contains("is damaged"), "{found}");
    let output = check(&path);
    assert!(String::from_utf8_lossy(&output.stderr).contains("is damaged"), "the check command is whole too");

    let mut harness = open_app(&path);
    assert!(error_notices(harness.state()).is_empty(), "the check after opening trusts the receipt");
    harness.get_by_label("File").click();
    harness.run_steps(2);
    harness.get_by_label("Check workspace").click();
    run_until(&mut harness, "the damage to be said", |app| error_notices(app).iter().any(|n| n.contains("is damaged")));
}

#[test]
fn an_apply_leaves_the_receipt_of_what_it_wrote_and_the_next_one_trusts_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo(&dir);
    assert!(check(&path).status.success());
    let checked = receipt(&path);
    let output = apply(&path);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let applied = receipt(&path);
    assert_ne!(applied, checked, "the apply changed the file and took its receipt");
    assert_eq!(Workspace::check_unless_unchanged(&path).expect("checked"), Checked::Unchanged);

    // Damaged after the apply: the next apply checks the whole file, refuses it and
    // changes nothing.
    damage_history(&path);
    let before = std::fs::read(&path).expect("read");
    let output = apply(&path);
    assert!(!output.status.success(), "a damaged file is refused");
    assert!(String::from_utf8_lossy(&output.stderr).contains("is damaged"));
    assert_eq!(std::fs::read(&path).expect("read"), before, "the file is unchanged");
    assert_eq!(receipt(&path), applied);
}

#[test]
fn no_receipt_is_left_when_another_connection_committed_while_this_one_wrote() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo(&dir);
    let workspace = Workspace::open(&path).expect("open");
    let seen = workspace.commits_seen().expect("version");
    write_elsewhere(&path);
    assert!(!workspace.leave_receipt(seen, None).expect("asked"), "another program wrote meanwhile");
    assert_eq!(receipt(&path), "");

    // Read before the check began, as an apply reads it.
    let seen = workspace.commits_seen().expect("version");
    assert_eq!(Workspace::check_unless_unchanged(&path).expect("checked"), Checked::Whole);
    std::fs::remove_file(receipt_path(&path)).expect("remove the check's receipt");
    assert!(workspace.leave_receipt(seen, None).expect("asked"));
    drop(workspace);
    assert_eq!(Workspace::check_unless_unchanged(&path).expect("checked"), Checked::Unchanged);
}

#[test]
fn a_digest_taken_beside_is_not_the_receipt_once_the_writer_wrote_after_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo(&dir);
    let mut workspace = Workspace::open(&path).expect("open");
    let seen = workspace.commits_seen().expect("version");
    assert_eq!(Workspace::check_unless_unchanged(&path).expect("checked"), Checked::Whole);
    let beside = workspace.digest_beside();
    assert!(beside.is_some());
    let leads = segment_builder::domain::RecordTypeName::new("lead");
    let fields = workspace.schema().get(&leads).expect("lead").fields.len();
    workspace.insert_record(&leads, vec![segment_builder::domain::Value::Empty; fields]).expect("insert");
    assert!(workspace.leave_receipt(seen, beside).expect("asked"));
    drop(workspace);
    assert_eq!(
        Workspace::check_unless_unchanged(&path).expect("checked"),
        Checked::Unchanged,
        "the receipt is of the pages after the write"
    );

    // Nothing written after it: the digest taken beside is the receipt.
    let workspace = Workspace::open(&path).expect("open");
    let seen = workspace.commits_seen().expect("version");
    std::fs::remove_file(receipt_path(&path)).expect("remove the receipt");
    assert!(workspace.leave_receipt(seen, workspace.digest_beside()).expect("asked"));
    drop(workspace);
    assert_eq!(Workspace::check_unless_unchanged(&path).expect("checked"), Checked::Unchanged);
}
