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
