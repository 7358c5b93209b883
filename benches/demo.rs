//! The lived-in demo at a million leads (issue 15: `demo --records 1000000` under 30 s).
//!
//! Runs the binary as a newcomer would, `segment-builder demo FILE --records N`, into a
//! fresh file under the target folder, `DEMO_ROUNDS` times (default 3), and reports each
//! run's wall time from process start to exit, its peak resident memory (read from
//! `/proc` while it runs, so the last reading before exit) and the median against the
//! target.
//!
//! Run: `cargo bench --bench demo` (`DEMO_RECORDS`, default 1,000,000).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark fails loudly")]

#[path = "shared/child.rs"]
mod child;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const TARGET: Duration = Duration::from_secs(30);

fn main() {
    let records: u64 = env_or("DEMO_RECORDS", 1_000_000);
    let rounds: usize = env_or("DEMO_ROUNDS", 3);
    let target = option_env!("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"), PathBuf::from);
    let path = target.join(format!("bench-demo-{records}.sqlite"));
    let mut times = Vec::with_capacity(rounds);
    for round in 1..=rounds {
        remove(&path);
        let (took, peak_mb) = demo(&path, records);
        eprintln!("round {round}: {:.1} s, peak {peak_mb:.0} MB", took.as_secs_f64());
        times.push(took);
    }
    remove(&path);
    times.sort();
    let median = times[times.len() / 2];
    let verdict = if median < TARGET { "under" } else { "OVER" };
    println!(
        "demo --records {records}: median {:.1} s of {rounds} runs ({verdict} the target of {} s)",
        median.as_secs_f64(),
        TARGET.as_secs()
    );
}

/// One run of the demo generator: its wall time and peak resident memory in MB.
fn demo(path: &Path, records: u64) -> (Duration, f64) {
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_segment-builder"))
        .arg("demo")
        .arg(path)
        .args(["--records", &records.to_string()])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run the demo generator");
    let (status, took, peak_mb) = child::wait_sampling_peak(child, started);
    assert!(status.success(), "the demo generator failed");
    (took, peak_mb)
}

/// Removes a workspace file and the files SQLite keeps beside it; missing files are fine.
fn remove(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal", ".partial", ".partial-journal"] {
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        // Nothing to remove when the file was never made.
        std::fs::remove_file(PathBuf::from(name)).ok();
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
