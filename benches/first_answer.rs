//! The first answer at a million records, against `sqlite3` on the same file.
//!
//! Generates (once, kept under the target folder) a demo workspace of 1M leads — 10M when
//! `FIRST_ANSWER_RECORDS=10000000` asks — then, pair by pair in one run so both see the
//! same machine:
//! - a cold process `segment-builder preview WORKSPACE --segment X` (column cache in place:
//!   what every preview after the first one costs), and
//! - a cold process `sqlite3 WORKSPACE "SELECT count(*) …"` counting the same condition
//!   (the store's SQL compiler's `WHERE`, its parameters written in, `sb_fold` read as
//!   `lower`: the demo's texts are ASCII, and the counts are checked equal);
//!
//! and reports each pair, the medians and their ratio. Then `explain` of three leads a rule
//! assigned (replayed against the sellers' load just before: the last decision, one at
//! about 69% of the assignment history, where replaying forward and undoing back cost the
//! most, and one at 10%), each paired the same way with that `sqlite3` count. Then the
//! window: a fresh process opens the workspace as the app does (`App` driven without a
//! window) and waits for the first preview number. Before the pairs, the first preview (which builds the column cache
//! when there is none) is timed once on its own.
//!
//! Run: `cargo bench --bench first_answer` (`FIRST_ANSWER_ROUNDS`, default 7;
//! `FIRST_ANSWER_SEGMENT`, default "Hot leads in Germany").

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark fails loudly")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use segment_builder::app::{App, Startup};
use segment_builder::domain::{EvalContext, RecordTypeName};
use segment_builder::engine::cache::cache_path;
use segment_builder::engine::sql::{ROOT_ALIAS, SqlParam, compile_sql};
use segment_builder::state::{EngineStatus, Loadable};
use segment_builder::store::Workspace;

/// Every answer is computed at this instant (`--now`): the same dates for both sides.
const NOW: &str = "2026-03-31T10:00:00Z";
const WINDOW_ONCE: &str = "--window-once";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == WINDOW_ONCE) {
        let path = PathBuf::from(&args[at + 1]);
        let (took, snapshot) = window_open_to_first_preview(&path);
        println!("{} {}, snapshot {:.0} MB", took.as_secs_f64(), memory(), snapshot as f64 / 1e6);
        return;
    }
    let records: u64 = env_or("FIRST_ANSWER_RECORDS", 1_000_000);
    let rounds: usize = env_or("FIRST_ANSWER_ROUNDS", 7);
    let segment = std::env::var("FIRST_ANSWER_SEGMENT").unwrap_or_else(|_| "Hot leads in Germany".to_owned());
    let path = workspace(records);
    let sql = count_sql(&path, &segment);
    eprintln!("sqlite3 runs: {sql}");

    // Untimed in the pairs: the first preview builds the cache when there is none or it is
    // of an older format (or a change made it stale).
    let had_cache = cache_path(&path).exists();
    let (took, matches) = ours(&path, &segment);
    let cache = if had_cache { "a column cache was there" } else { "no column cache yet" };
    eprintln!("first preview ({cache}): {:.0} ms ({matches} matches)", ms(took));
    let mut pairs = Vec::with_capacity(rounds);
    for round in 1..=rounds {
        let (our_time, matches) = ours(&path, &segment);
        let (their_time, count) = sqlite3(&path, &sql);
        assert_eq!(matches, count, "segment-builder and sqlite3 count differently");
        eprintln!(
            "pair {round}: segment-builder {:>7.1} ms   sqlite3 {:>7.1} ms   ({matches} matches)",
            ms(our_time),
            ms(their_time)
        );
        pairs.push((our_time, their_time));
    }
    let ours_median = median(pairs.iter().map(|p| p.0).collect());
    let theirs_median = median(pairs.iter().map(|p| p.1).collect());
    eprintln!(
        "{records} records, cold process, medians: segment-builder {:.1} ms, sqlite3 {:.1} ms, ratio {:.2}",
        ms(ours_median),
        ms(theirs_median),
        ours_median.as_secs_f64() / theirs_median.as_secs_f64()
    );

    for (label, fraction) in [("the last decision", 1.0), ("a decision at 69%", 0.69), ("a decision at 10%", 0.1)] {
        let (record, row) = replayed_lead(&path, fraction);
        let mut pairs = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            pairs.push((explain(&path, record), sqlite3(&path, &sql).0));
        }
        let ours_median = median(pairs.iter().map(|p| p.0).collect());
        let theirs_median = median(pairs.iter().map(|p| p.1).collect());
        eprintln!(
            "explain of lead #{record}, {label} (history row {row}), pairs: {}; medians: segment-builder {:.1} ms, \
             sqlite3 {:.1} ms, ratio {:.2}",
            pairs.iter().map(|(a, b)| format!("{:.0}/{:.0}", ms(*a), ms(*b))).collect::<Vec<_>>().join(" "),
            ms(ours_median),
            ms(theirs_median),
            ours_median.as_secs_f64() / theirs_median.as_secs_f64()
        );
    }

    let mut window = Vec::with_capacity(rounds);
    for round in 1..=rounds {
        let (inside, whole, memory) = window_in_fresh_process(&path);
        eprintln!(
            "window {round}: open to first preview {:.1} ms ({:.1} ms with the process's start and exit); {memory}",
            ms(inside),
            ms(whole)
        );
        window.push(inside);
    }
    eprintln!(
        "{records} records, window open to first preview (app created to number), median {:.1} ms",
        ms(median(window))
    );
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The demo workspace of `records` leads under the target folder, written once by the
/// binary (and upgraded once when an older build wrote it).
fn workspace(records: u64) -> PathBuf {
    let target = option_env!("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"), PathBuf::from);
    let path = target.join(format!("first-answer-{records}.sqlite"));
    if !path.exists() {
        let started = Instant::now();
        let status = Command::new(env!("CARGO_BIN_EXE_segment-builder"))
            .arg("demo")
            .arg(&path)
            .args(["--records", &records.to_string()])
            .status()
            .expect("run the demo generator");
        assert!(status.success(), "the demo generator failed");
        eprintln!("wrote {} in {:.1?}", path.display(), started.elapsed());
    }
    drop(Workspace::open(&path).expect("open the workspace"));
    path
}

/// `SELECT count(*)` of the records `segment` matches, as `sqlite3` can run it.
fn count_sql(path: &Path, segment: &str) -> String {
    let workspace = Workspace::open_reader(path).expect("open");
    let schema = workspace.schema().clone();
    let found = schema
        .types
        .iter()
        .flat_map(|t| workspace.segments(&t.name).expect("segments"))
        .find(|s| s.name == segment)
        .unwrap_or_else(|| panic!("no segment named {segment:?}"));
    let def = schema.get(&found.record_type).expect("its record type");
    let zone = jiff::tz::TimeZone::get(workspace.time_zone()).unwrap_or(jiff::tz::TimeZone::UTC);
    let ctx = EvalContext::new(NOW.parse().expect("now"), zone);
    let compiled = compile_sql(&schema, def, &found.conditions, &ctx);
    let mut sql = compiled.where_sql.replace("sb_fold(", "lower(");
    // From the highest number down, so ?1 does not match inside ?12.
    for (index, param) in compiled.params.iter().enumerate().rev() {
        let literal = match param {
            SqlParam::Null => "NULL".to_owned(),
            SqlParam::Integer(n) => n.to_string(),
            SqlParam::Real(x) => format!("{x:?}"),
            SqlParam::Text(text) => format!("'{}'", text.replace('\'', "''")),
        };
        sql = sql.replace(&format!("?{}", index + 1), &literal);
    }
    assert!(!sql.contains("sb_"), "the condition needs a function sqlite3 does not have: {sql}");
    let table = record_table(&found.record_type);
    format!("SELECT count(*) FROM {table} AS {ROOT_ALIAS} WHERE {sql};")
}

fn record_table(ty: &RecordTypeName) -> String {
    format!("\"{}\"", ty.as_str().replace('"', "\"\""))
}

/// A cold `segment-builder preview`: its time and the number of matches it printed.
fn ours(path: &Path, segment: &str) -> (Duration, u64) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_segment-builder"))
        .arg("preview")
        .arg(path)
        .args(["--segment", segment, "--now", NOW, "--json"])
        .output()
        .expect("run segment-builder");
    let took = started.elapsed();
    assert!(output.status.success(), "preview failed: {}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    (took, json["matches"].as_u64().expect("matches"))
}

/// A lead a rule assigned, whose newest assignment history row is the first at or after
/// `fraction` of the history (the last row for 1.0) and whose explanation replays it: the
/// lead and that row.
fn replayed_lead(path: &Path, fraction: f64) -> (i64, i64) {
    let sql = format!(
        "SELECT h.record_id, h.id FROM assignment_history h
         WHERE h.record_type = 'lead' AND h.status = 'assigned' AND h.rule_id IS NOT NULL
         AND h.id >= (SELECT CAST(max(id) * {fraction} AS INTEGER) FROM assignment_history) - 100
         AND h.id = (SELECT max(id) FROM assignment_history WHERE record_type = 'lead' AND record_id = h.record_id)
         ORDER BY h.id {} LIMIT 50;",
        if fraction >= 1.0 { "DESC" } else { "ASC" }
    );
    let output = Command::new("sqlite3").arg("-readonly").arg(path).arg(&sql).output().expect("run sqlite3");
    assert!(output.status.success(), "sqlite3 failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_once('|'))
        .filter_map(|(record, row)| Some((record.parse::<i64>().ok()?, row.parse::<i64>().ok()?)))
        .find(|&(record, _)| {
            let output = Command::new(env!("CARGO_BIN_EXE_segment-builder"))
                .arg("explain")
                .arg(path)
                .args(["--type", "lead", "--record", &record.to_string(), "--now", NOW, "--json"])
                .output()
                .expect("run segment-builder");
            let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
            json["assignment"]["decided"] == "replayed"
        })
        .unwrap_or_else(|| panic!("no lead assigned by a rule near {fraction} of the history replays"))
}

/// A cold `segment-builder explain` of a lead: its time.
fn explain(path: &Path, record: i64) -> Duration {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_segment-builder"))
        .arg("explain")
        .arg(path)
        .args(["--type", "lead", "--record", &record.to_string(), "--now", NOW])
        .output()
        .expect("run segment-builder");
    let took = started.elapsed();
    assert!(output.status.success(), "explain failed: {}", String::from_utf8_lossy(&output.stderr));
    took
}

/// A cold `sqlite3` counting with `sql`: its time and the count it printed.
fn sqlite3(path: &Path, sql: &str) -> (Duration, u64) {
    let started = Instant::now();
    let output = Command::new("sqlite3").arg("-readonly").arg(path).arg(sql).output().expect("run sqlite3");
    let took = started.elapsed();
    assert!(output.status.success(), "sqlite3 failed: {}", String::from_utf8_lossy(&output.stderr));
    (took, String::from_utf8_lossy(&output.stdout).trim().parse().expect("a count"))
}

/// The resident and peak memory of this process (Linux), as a phrase.
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap_or("");
        line.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()).map_or(-1.0, |kb| kb / 1024.0)
    };
    format!("resident {:.0} MB, peak {:.0} MB", field("VmRSS:"), field("VmHWM:"))
}

/// This benchmark run again as a fresh process that measures the window once: the time
/// from creating the app to the number, the whole process's time, and its memory when the
/// number is in.
fn window_in_fresh_process(path: &Path) -> (Duration, Duration, String) {
    let exe = std::env::current_exe().expect("this benchmark");
    let started = Instant::now();
    let output = Command::new(exe).arg(WINDOW_ONCE).arg(path).output().expect("run");
    let took = started.elapsed();
    assert!(output.status.success(), "the window run failed: {}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8_lossy(&output.stdout);
    let (seconds, memory) = printed.trim().split_once(' ').expect("seconds and memory");
    let inside: f64 = seconds.parse().expect("seconds");
    (Duration::from_secs_f64(inside), took, memory.to_owned())
}

/// Opens `path` as the window does (the app's open job, its workers) and waits for the
/// first preview number of the segment it selects; with the heap bytes of the engine's
/// snapshot (what the engine reported when it was ready), the bulk of the window's memory.
fn window_open_to_first_preview(path: &Path) -> (Duration, usize) {
    let started = Instant::now();
    let mut app = App::new(Startup::Open(path.to_owned()), Vec::new());
    loop {
        app.step_without_window();
        let state = app.state();
        if let Some(notice) = state.notices.first() {
            panic!("the window said: {}", notice.text);
        }
        if state.preview.segment.is_some()
            && let Loadable::Ready(_) = state.preview.result
        {
            let snapshot = match state.engine {
                EngineStatus::Ready { heap_bytes, .. } => heap_bytes,
                _ => 0,
            };
            return (started.elapsed(), snapshot);
        }
        assert!(started.elapsed() < Duration::from_mins(10), "no preview after ten minutes");
        std::thread::sleep(Duration::from_millis(1));
    }
}
