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

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const TARGET: Duration = Duration::from_secs(30);
/// How often the child's peak memory is read while it runs.
const MEMORY_EVERY: Duration = Duration::from_millis(100);

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
    let mut child = Command::new(env!("CARGO_BIN_EXE_segment-builder"))
        .arg("demo")
        .arg(path)
        .args(["--records", &records.to_string()])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run the demo generator");
    let mut peak_mb = 0.0_f64;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the demo generator") {
            break status;
        }
        peak_mb = peak_mb.max(peak_of(child.id()));
        std::thread::sleep(MEMORY_EVERY);
    };
    let took = started.elapsed();
    assert!(status.success(), "the demo generator failed");
    (took, peak_mb)
}

/// The peak resident memory of process `pid` so far, in MB (0 when it cannot be read).
fn peak_of(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap_or("");
    line.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()).map_or(0.0, |kb| kb / 1024.0)
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
