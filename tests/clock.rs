//! The clock is injected: what the window stores is stamped with the time of the clock the
//! app was given, not the system's.

use std::sync::Arc;

use egui_kittest::kittest::Queryable;

use segment_builder::app::{App, Startup};
use segment_builder::clock::FixedClock;
use segment_builder::demo::{DemoSpec, create_demo_workspace};
use segment_builder::domain::SegmentHistoryKind;
use segment_builder::store::Workspace;

mod common;
use common::harness::*;

#[test]
fn a_segment_created_in_the_window_carries_the_time_of_the_apps_clock() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "demo.sqlite");
    create_demo_workspace(&path, &DemoSpec::with_leads(50, 7, segment_builder::clock::now()), &mut |_, _| true)
        .expect("demo");
    let before = Workspace::open(&path).expect("open").segments(&lead()).expect("segments").len();
    let at: jiff::Timestamp = "2031-02-03T04:05:06Z".parse().expect("a time");

    let app = App::with_clock(Startup::Open(path.clone()), Vec::new(), Arc::new(FixedClock(at)));
    let mut harness = harness(app);
    run_until(&mut harness, "the workspace to open", |app| app.state().view.is_some());
    settle(&mut harness);
    harness.get_by_label("New segment…").click();
    harness.run_steps(4);
    type_into(&mut harness, "Segment name", "Stamped by the clock");
    harness.get_by_label("Create segment").click();
    settle(&mut harness);

    let stored = stored_segments(&harness);
    assert_eq!(stored.len(), before + 1, "one segment was created");
    let created = stored.iter().find(|s| s.name == "Stamped by the clock").expect("the new segment");
    assert_eq!((created.created_on, created.modified_on), (at, at));
    let history = harness.state().workspace().expect("workspace").segment_history(created.id).expect("history");
    let creation =
        history.iter().find(|e| e.change.kind == SegmentHistoryKind::Created).expect("the creation in the history");
    assert_eq!(creation.at, at);
}
