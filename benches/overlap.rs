//! The Overlap screen's analysis at 1,000,000 leads with 20 lead segments: every segment
//! evaluated once, the shared count of every pair, and the lint that needs records
//! (shadowed, matches nothing today, same records, conditions that change nothing), as
//! `engine::overlap::analyse` computes them for the window and `segment-builder overlap`.
//! Target: ≤ 300 ms.
//!
//! The segments are the demo's lead segments and, to make twenty, each of them again with
//! one condition fewer (a looser twin that overlaps it heavily), all active.
//!
//! Run: `cargo bench --bench overlap` (`SB_BENCH_RUNS=9` for more runs).

mod shared;

use std::time::Instant;

use segment_builder::domain::{RecordTypeName, Segment, SegmentId, Status};
use segment_builder::engine::overlap::{analyse, match_sets, overlap_counts};
use segment_builder::engine::{Compiled, compile};
use segment_builder::worker::engine::load_snapshot;

fn runs() -> usize {
    std::env::var("SB_BENCH_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(5)
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let path = shared::demo_workspace();
    let lead = RecordTypeName::new("lead");
    let (reader, snapshot) = load_snapshot(&path, &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    let ctx = segment_builder::domain::EvalContext::new(shared::ctx().now, snapshot.time_zone().clone());
    let demo = reader.segments(&lead).unwrap_or_else(|e| panic!("{e}"));
    let mut segments: Vec<Segment> = Vec::new();
    for segment in &demo {
        segments.push(Segment { status: Status::Active, ..segment.clone() });
    }
    let first_id = demo.iter().map(|s| s.id.0).max().unwrap_or(0) + 1;
    let first_priority = u32::try_from(demo.len()).unwrap_or(u32::MAX);
    for (k, segment) in demo.iter().cycle().take(20usize.saturating_sub(demo.len())).enumerate() {
        let mut looser = segment.clone();
        if looser.conditions.children.len() > 1 {
            looser.conditions.children.pop();
        }
        looser.id = SegmentId(first_id + i64::try_from(k).unwrap_or(0));
        looser.name = format!("{} (looser)", segment.name);
        looser.status = Status::Active;
        looser.priority = first_priority + u32::try_from(k).unwrap_or(0);
        segments.push(looser);
    }
    assert_eq!(segments.len(), 20, "twenty segments");

    let (mut whole, mut matrix) = (Vec::new(), Vec::new());
    let mut findings = 0;
    for _ in 0..runs() {
        let t = Instant::now();
        let analysis = analyse(&snapshot, &lead, &segments, &ctx).unwrap_or_else(|e| panic!("{e}"));
        whole.push(t.elapsed().as_secs_f64() * 1e3);
        findings = analysis.lints.len();
        let t = Instant::now();
        let compiled: Vec<Compiled> = segments
            .iter()
            .map(|s| compile(&snapshot, &lead, &s.conditions, &ctx).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        let refs: Vec<&Compiled> = compiled.iter().collect();
        let counts = overlap_counts(&match_sets(&snapshot, &refs));
        matrix.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(counts.len(), 20);
    }
    println!("overlap, 1M leads, 20 segments (median of {}):", runs());
    println!("  matrix only (evaluate 20 + 190 pair counts) {:>8.1} ms", median(matrix));
    println!("  matrix and lint, as the window asks        {:>8.1} ms  ({findings} findings)", median(whole));
}
