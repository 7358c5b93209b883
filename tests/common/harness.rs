//! Driving the window in tests: a kittest harness around [`App`], waiting for background
//! work, typing into labelled inputs, opening combo boxes by what they show.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

use segment_builder::app::{App, Startup};
use segment_builder::demo::{DemoSpec, create_demo_workspace};
use segment_builder::domain::{RecordTypeName, Segment};
use segment_builder::store::Workspace;

pub fn harness(app: App) -> Harness<'static, App> {
    Harness::builder().with_size([1280.0, 800.0]).build_ui_state(|ui, app: &mut App| app.ui(ui), app)
}

/// How long a test waits for background work before it fails. Generous on purpose: the
/// condition is what ends the wait, and a machine busy with builds can be 20× slower than a
/// quiet one; only a hang should ever reach it.
pub const WAIT_LIMIT: Duration = Duration::from_mins(3);

/// Steps frames (letting workers finish) until `done` holds.
pub fn run_until(harness: &mut Harness<'_, App>, what: &str, done: impl Fn(&App) -> bool) {
    let started = Instant::now();
    while started.elapsed() < WAIT_LIMIT {
        harness.step();
        if done(harness.state()) {
            harness.run_steps(3);
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("timed out waiting for {what}; notices: {:?}", harness.state().state().notices);
}

/// Steps frames until a widget labelled `label` is on screen: for what arrives in more than
/// one answer (ids first, then the rows a table shows), which `settle` cannot see whole.
pub fn wait_for_label(harness: &mut Harness<'_, App>, label: &str) {
    let started = Instant::now();
    while harness.query_by_label(label).is_none() {
        assert!(started.elapsed() < WAIT_LIMIT, "timed out waiting for {label:?} to show");
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Types into the text input labelled `label`, replacing what it held.
pub fn type_into(harness: &mut Harness<'_, App>, label: &str, text: &str) {
    let role = if harness.query_by_role_and_label(Role::MultilineTextInput, label).is_some() {
        Role::MultilineTextInput
    } else {
        Role::TextInput
    };
    harness.get_by_role_and_label(role, label).focus();
    harness.run_steps(2);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.run_steps(1);
    harness.get_by_role_and_label(role, label).type_text(text);
    harness.run_steps(2);
}

/// Opens the combo box currently showing `shown`.
pub fn open_combo(harness: &mut Harness<'_, App>, shown: &str) {
    let combo = harness
        .get_all_by_role(Role::ComboBox)
        .find(|node| node.accesskit_node().value().as_deref() == Some(shown))
        .unwrap_or_else(|| panic!("no combo box shows {shown:?}"));
    combo.click();
    harness.run_steps(3);
}

pub fn settle(harness: &mut Harness<'_, App>) {
    run_until(harness, "background work", |app| !app.is_busy());
}

pub fn temp_path(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

pub fn lead() -> RecordTypeName {
    RecordTypeName::new("lead")
}

pub fn open_app(path: &Path) -> Harness<'static, App> {
    let mut harness = harness(App::new(Startup::Open(path.to_path_buf()), Vec::new()));
    run_until(&mut harness, "the workspace to open", |app| app.state().view.is_some());
    settle(&mut harness);
    harness
}

/// The demo workspace open in the window, with its lead segments as stored.
pub fn open_demo(dir: &tempfile::TempDir) -> (Harness<'static, App>, Vec<Segment>) {
    let path = temp_path(dir, "demo.sqlite");
    create_demo_workspace(&path, &DemoSpec::standard(segment_builder::clock::now()), &mut |_, _| true).expect("demo");
    let segments = Workspace::open(&path).expect("open").segments(&lead()).expect("segments");
    assert!(segments.len() >= 3, "the demo has at least three lead segments");
    (open_app(&path), segments)
}

pub fn stored_segments(harness: &Harness<'_, App>) -> Vec<Segment> {
    harness.state().workspace().expect("workspace").segments(&lead()).expect("segments")
}

pub fn stored_names(harness: &Harness<'_, App>) -> Vec<String> {
    stored_segments(harness).into_iter().map(|s| s.name).collect()
}

/// Every record and team of the workspace at `path` in the reference evaluator's dataset,
/// with the workspace's time zone: what previews are checked against.
pub fn reference_dataset(path: &Path) -> (segment_builder::domain::MemoryDataset, jiff::tz::TimeZone) {
    let ws = Workspace::open(path).expect("open");
    let mut dataset = segment_builder::domain::MemoryDataset::new(ws.schema().clone());
    for def in &ws.schema().types {
        for record in ws.all_records(&def.name).expect("records") {
            dataset.insert(&def.name, record);
        }
    }
    for team in ws.teams().expect("teams") {
        dataset.set_team(team.id, team.members);
    }
    let time_zone = jiff::tz::TimeZone::get(ws.time_zone()).expect("zone");
    (dataset, time_zone)
}

/// Whether the impact dialog is open with the engine's impact computed.
pub fn impact_ready(app: &App) -> bool {
    matches!(
        &app.state().dialog,
        Some(segment_builder::app::Dialog::Impact(d)) if matches!(d.impact, segment_builder::app::Loadable::Ready(_))
    )
}

/// Waits for the open impact dialog's numbers, clicks Apply and waits for the change to be
/// stored (applied to existing records, or only from now on, as chosen).
pub fn apply_impact(harness: &mut Harness<'_, App>) {
    run_until(harness, "the impact dialog's numbers", impact_ready);
    harness.get_by_label("Apply").click();
    harness.run_steps(2);
    run_until(harness, "the change to be applied", |app| app.state().dialog.is_none() && !app.is_busy());
}
