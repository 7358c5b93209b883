//! Opening a workspace: building the snapshot of the 1M-lead demo workspace
//! (target/bench-1m.sqlite, written once) the way the engine worker does, for the leads
//! alone (the target: ≤ 3 s, ≤ 200 bytes per lead) and for every type (1M leads,
//! 200k accounts, 300k contacts, 150k opportunities: what the app loads).
//!
//! Run: `cargo bench --bench load -- --warm-up-time 1 --measurement-time 20`

mod shared;

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use segment_builder::domain::RecordTypeName;
use segment_builder::worker::engine::{load_snapshot, load_types};

fn load(crit: &mut Criterion) {
    let path = shared::demo_workspace();
    let lead = RecordTypeName::new("lead");
    let leads = [lead.clone()];

    let started = Instant::now();
    let (_, snapshot) = load_types(&path, Some(&leads), &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    let elapsed = started.elapsed();
    let lead_snapshot = snapshot.type_snapshot(&lead);
    let bytes = lead_snapshot.map_or(0, segment_builder::engine::TypeSnapshot::heap_bytes);
    let rows = lead_snapshot.map_or(1, segment_builder::engine::TypeSnapshot::rows).max(1);
    eprintln!("leads alone: {rows} in {elapsed:.1?}, {:.0} bytes per lead", bytes as f64 / rows as f64);
    drop(snapshot);

    let started = Instant::now();
    let (_, snapshot) = load_snapshot(&path, &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    let elapsed = started.elapsed();
    let types = snapshot.schema().types.iter().filter_map(|t| snapshot.type_snapshot(&t.name));
    let records: usize = types.map(segment_builder::engine::TypeSnapshot::rows).sum();
    let lead_snapshot = snapshot.type_snapshot(&lead);
    eprintln!(
        "every type: {records} records in {elapsed:.1?}, {:.0} bytes per record, {:.0} bytes per lead",
        snapshot.heap_bytes() as f64 / records.max(1) as f64,
        lead_snapshot.map_or(0, segment_builder::engine::TypeSnapshot::heap_bytes) as f64
            / lead_snapshot.map_or(1, segment_builder::engine::TypeSnapshot::rows).max(1) as f64
    );
    drop(snapshot);

    let mut group = crit.benchmark_group("load_1m");
    group.sample_size(10);
    group.bench_function("leads_only", |b| {
        b.iter(|| black_box(load_types(&path, Some(&leads), &|_| {}).unwrap_or_else(|e| panic!("{e}"))));
    });
    group.bench_function("all_types", |b| {
        b.iter(|| black_box(load_snapshot(&path, &|_| {}).unwrap_or_else(|e| panic!("{e}"))));
    });
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
