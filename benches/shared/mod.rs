//! What the benchmarks share: the fixed clock and the cached 1M-lead demo workspace.

use std::path::PathBuf;
use std::time::Instant;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use segment_builder::demo::{DemoSpec, create_demo_workspace};
use segment_builder::domain::EvalContext;

/// The clock of the benchmarks: Tuesday 2026-03-31, 12:00 in Berlin.
pub fn ctx() -> EvalContext {
    let zone = TimeZone::get("Europe/Berlin").unwrap_or(TimeZone::UTC);
    EvalContext::new(Timestamp::constant(1_774_951_200, 0), zone)
}

/// The demo workspace with 1M leads (and 200k accounts, 300k contacts, 150k
/// opportunities), written once and kept at target/bench-1m.sqlite.
pub fn demo_workspace() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-1m.sqlite");
    if !path.exists() {
        let started = Instant::now();
        let spec = DemoSpec::with_leads(1_000_000, DemoSpec::STANDARD_SEED, ctx().now);
        create_demo_workspace(&path, &spec, &mut |_, _| true).unwrap_or_else(|e| panic!("{e}"));
        eprintln!("wrote the 1M-lead demo workspace in {:.1?}", started.elapsed());
    }
    // A workspace written by an older build is upgraded once (readers need a current one).
    drop(segment_builder::store::Workspace::open(&path).unwrap_or_else(|e| panic!("{e}")));
    path
}
