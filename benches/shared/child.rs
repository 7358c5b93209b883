//! What the benchmarks that run the binary as a child share: its wall time and peak memory.

use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// How often a child's peak memory is read while it runs.
pub const MEMORY_EVERY: Duration = Duration::from_millis(50);

/// Waits for `child`, started at `started`, reading its peak resident memory every
/// [`MEMORY_EVERY`]: how it ended, its wall time (to within that interval) and its peak
/// in MB.
pub fn wait_sampling_peak(mut child: Child, started: Instant) -> (ExitStatus, Duration, f64) {
    let mut peak_mb = 0.0_f64;
    loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            return (status, started.elapsed(), peak_mb);
        }
        peak_mb = peak_mb.max(peak_of(child.id()));
        std::thread::sleep(MEMORY_EVERY);
    }
}

/// The peak resident memory of process `pid` so far, in MB (0 when it cannot be read).
fn peak_of(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap_or("");
    line.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()).map_or(0.0, |kb| kb / 1024.0)
}
