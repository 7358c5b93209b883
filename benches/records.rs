//! The Records screen at 1,000,000 leads: the list for a text filter and a sort, from the
//! snapshot (`engine::records::query_ids`, what the window uses once the engine is loaded)
//! next to SQL scanning the same workspace (`Workspace::query_record_ids`, what it used
//! before and still uses while the engine loads), pair by pair in one run.
//!
//! A sort's first use builds the column's order (kept until the snapshot changes): shown
//! as "first", the later ones as "again".
//!
//! Run: `cargo bench --bench records` (`SB_BENCH_RUNS=5` for more pairs).

mod shared;

use std::time::Instant;

use segment_builder::domain::query::{RecordQuery, SortDirection};
use segment_builder::domain::{FieldName, RecordTypeName};
use segment_builder::engine::records::query_ids;
use segment_builder::worker::engine::load_snapshot;

fn runs() -> usize {
    std::env::var("SB_BENCH_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(3)
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let path = shared::demo_workspace();
    let lead = RecordTypeName::new("lead");
    let started = Instant::now();
    let (reader, snapshot) = load_snapshot(&path, &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("snapshot of {} loaded in {:.1?}", path.display(), started.elapsed());
    let ctx = shared::ctx();
    let ctx = segment_builder::domain::EvalContext::new(ctx.now, snapshot.time_zone().clone());
    let sort = |field: &str, direction| Some((FieldName::new(field), direction));
    let cases: [(&str, RecordQuery); 5] = [
        ("filter \"Berlin\"", RecordQuery { filter: "Berlin".into(), sort: None }),
        ("filter \"gmbh\"", RecordQuery { filter: "gmbh".into(), sort: None }),
        ("sort by last name", RecordQuery { filter: String::new(), sort: sort("last_name", SortDirection::Ascending) }),
        ("sort by score, desc", RecordQuery { filter: String::new(), sort: sort("score", SortDirection::Descending) }),
        (
            "\"Berlin\" by last name",
            RecordQuery { filter: "Berlin".into(), sort: sort("last_name", SortDirection::Ascending) },
        ),
    ];
    println!("{:<26} {:>8} {:>12} {:>12} {:>10}", "records, 1M leads", "rows", "engine ms", "sql ms", "sql/engine");
    for (name, query) in &cases {
        let first = Instant::now();
        let ids = query_ids(&snapshot, &lead, query, &ctx).unwrap_or_else(|e| panic!("{e}"));
        let first_ms = first.elapsed().as_secs_f64() * 1e3;
        let (mut engine, mut sql) = (Vec::new(), Vec::new());
        for _ in 0..runs() {
            let t = Instant::now();
            let again = query_ids(&snapshot, &lead, query, &ctx).unwrap_or_else(|e| panic!("{e}"));
            engine.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            let by_sql = reader.query_record_ids(&lead, query).unwrap_or_else(|e| panic!("{e}"));
            sql.push(t.elapsed().as_secs_f64() * 1e3);
            assert_eq!(again.len(), by_sql.len(), "{name}: the same records");
        }
        let (engine, sql) = (median(engine), median(sql));
        println!("{name:<26} {:>8} {engine:>12.1} {sql:>12.1} {:>9.0}×", ids.len(), sql / engine);
        if query.sort.is_some() {
            println!("{:<26} {:>8} {first_ms:>12.1}", "  (first, building the order)", "");
        }
    }
}
