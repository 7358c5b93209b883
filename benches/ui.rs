//! The window while a 1M-lead preview recomputes: how long one frame takes (the UI thread
//! must never wait for the engine; target under 16 ms), and how long from an edit in the
//! builder until its preview is on screen (target 100 ms). Uses the 1M-lead demo workspace
//! kept at target/bench-1m.sqlite (written on first use, like the engine benches).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;

use segment_builder::app::builder::BuilderEdit;
use segment_builder::app::{App, Command, EngineStatus, Loadable, Startup};
use segment_builder::domain::GroupMode;
use segment_builder::state::ConditionsCommand;

mod shared;

fn open(path: &std::path::Path) -> Harness<'static, App> {
    let app = App::new(Startup::Open(path.to_path_buf()), Vec::new());
    let mut harness = Harness::builder().with_size([1280.0, 800.0]).build_ui_state(|ui, app: &mut App| app.ui(ui), app);
    let deadline = Instant::now() + Duration::from_mins(2);
    while Instant::now() < deadline {
        harness.step();
        let state = harness.state().state();
        if matches!(state.engine, EngineStatus::Ready { .. }) && matches!(state.preview.result, Loadable::Ready(_)) {
            return harness;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the 1M workspace did not load within two minutes");
}

/// Flips the root group of the selected segment between All and Any: an edit that changes
/// the matches, so the preview is recomputed.
fn flip_root(harness: &mut Harness<'static, App>) {
    let Some(builder) = harness.state().state().builder.as_ref() else { panic!("a segment is selected") };
    let group = builder.draft.id;
    let mode = if builder.draft.mode == GroupMode::All { GroupMode::Any } else { GroupMode::All };
    harness.state_mut().apply(Command::Conditions(ConditionsCommand::Edit(BuilderEdit::SetMode { group, mode })));
}

fn pending(harness: &Harness<'static, App>) -> bool {
    harness.state().state().preview.result.is_pending()
}

fn ui_benches(crit: &mut Criterion) {
    let mut harness = open(&shared::demo_workspace());
    let mut group = crit.benchmark_group("ui_1m");
    group.sample_size(30);
    // One frame drawn right after an edit, while the engine works on the new preview.
    group.bench_function("frame_while_preview_recomputes", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                flip_root(&mut harness);
                let started = Instant::now();
                harness.step();
                total += started.elapsed();
                black_box(pending(&harness));
                while pending(&harness) {
                    harness.step();
                }
            }
            total
        });
    });
    // From the edit until the frame that shows its preview.
    group.bench_function("edit_to_preview_on_screen", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let started = Instant::now();
                flip_root(&mut harness);
                harness.step();
                while pending(&harness) {
                    harness.step();
                }
                total += started.elapsed();
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, ui_benches);
criterion_main!(benches);
