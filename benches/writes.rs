//! The two commands that write at scale, end to end (issue 13: `apply` at 1M ≤ 3 s,
//! `import-records` of 1M leads ≤ 5 s including evaluation, peak memory stated), each
//! beside what `sqlite3` needs for the nearest work on the same machine in the same run:
//! - `segment-builder apply COPY --now …` on a fresh copy of a demo workspace (with its
//!   column cache and the receipt of its last check, as every apply after the first finds
//!   them), paired with `sqlite3 COPY "PRAGMA quick_check"` on the same copy: the
//!   whole-file check an apply ran beside its work and waited for before it committed,
//!   which the receipt now spares it;
//! - `segment-builder import-records --type lead SMALL CSV` of every lead of that workspace
//!   (all fields but id, owner and account) into a fresh copy of a demo of 1,000 records,
//!   paired with `sqlite3 SMALL ".import --csv CSV new_table"` (rows only: no evaluation,
//!   no memberships, no assignment).
//!
//! Each run's wall time from process start to exit (to within the 50 ms its memory is
//! read at) and its peak resident memory (read from `/proc` while it runs); then the
//! medians, their ratio and the targets. The workspace, its cache and the CSV are made
//! once and kept under the target folder.
//!
//! Run: `cargo bench --bench writes` (`WRITES_RECORDS`, default 1,000,000; `WRITES_ROUNDS`,
//! default 3).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark fails loudly")]

#[path = "shared/child.rs"]
mod child;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use segment_builder::engine::cache::cache_path;
use segment_builder::store::{Workspace, receipt_path};

/// Every apply and import evaluates at this instant (`--now`).
const NOW: &str = "2026-12-17T02:00:00Z";
const APPLY_TARGET: Duration = Duration::from_secs(3);
const IMPORT_TARGET: Duration = Duration::from_secs(5);

fn main() {
    let records: u64 = env_or("WRITES_RECORDS", 1_000_000);
    let rounds: usize = env_or("WRITES_ROUNDS", 3);
    let dir = target_dir();
    let base = demo(&dir.join(format!("writes-{records}.sqlite")), records);
    // The column cache, as the first preview leaves it, and the receipt of a whole check.
    run(Command::new(exe()).arg("preview").arg(&base).args(["--segment", "Hot leads in Germany", "--now", NOW]));
    run(Command::new(exe()).arg("check").arg(&base));
    let small = demo(&dir.join("writes-small.sqlite"), 1_000);
    let csv = leads_csv(&base, &dir.join(format!("writes-{records}-leads.csv")));
    let copy = dir.join("writes-copy.sqlite");

    let (mut apply, mut check, mut import, mut dot_import) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 1..=rounds {
        copy_workspace(&base, &copy);
        let ours = timed(Command::new(exe()).arg("apply").arg(&copy).args(["--now", NOW]));
        copy_workspace(&base, &copy);
        let theirs = timed(Command::new("sqlite3").arg(&copy).arg("PRAGMA quick_check"));
        eprintln!("round {round}: apply {} | sqlite3 quick_check {}", ours.show(), theirs.show());
        apply.push(ours);
        check.push(theirs);

        copy_workspace(&small, &copy);
        let ours = timed(
            Command::new(exe()).arg("import-records").arg(&copy).args(["--type", "lead", "--now", NOW]).arg(&csv),
        );
        copy_workspace(&small, &copy);
        let theirs = timed(Command::new("sqlite3").arg(&copy).arg(format!(".import --csv {} imported", csv.display())));
        eprintln!("round {round}: import-records {} | sqlite3 .import {}", ours.show(), theirs.show());
        import.push(ours);
        dot_import.push(theirs);
    }
    remove(&copy);
    report(&format!("apply, {records} leads"), &apply, "sqlite3 quick_check", &check, APPLY_TARGET);
    report(&format!("import-records of {records} leads"), &import, "sqlite3 .import", &dot_import, IMPORT_TARGET);
}

/// A run of a command: its wall time and peak resident memory.
#[derive(Clone, Copy)]
struct Run {
    took: Duration,
    peak_mb: f64,
}

impl Run {
    fn show(self) -> String {
        format!("{:.2} s, peak {:.0} MB", self.took.as_secs_f64(), self.peak_mb)
    }
}

/// Runs `command` to its end (it must succeed), reading its peak memory while it runs.
fn timed(command: &mut Command) -> Run {
    // Its messages go to a file: a pipe nobody reads while it runs could fill and stop it.
    let messages = target_dir().join("writes-messages.txt");
    let started = Instant::now();
    let child = command
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&messages).expect("create the messages file"))
        .spawn()
        .expect("run the command");
    let (status, took, peak_mb) = child::wait_sampling_peak(child, started);
    let said = std::fs::read_to_string(&messages).unwrap_or_default();
    assert!(status.success(), "{command:?} failed: {said}");
    Run { took, peak_mb }
}

/// The medians of both sides, their ratio and ours against the target.
fn report(what: &str, ours: &[Run], other: &str, theirs: &[Run], target: Duration) {
    let (ours, theirs) = (median(ours), median(theirs));
    let verdict = if ours.took <= target { "within" } else { "OVER" };
    println!(
        "{what}: median {} ({verdict} the target of {} s) | {other}: median {} | ratio {:.2}",
        ours.show(),
        target.as_secs(),
        theirs.show(),
        ours.took.as_secs_f64() / theirs.took.as_secs_f64()
    );
}

fn median(runs: &[Run]) -> Run {
    let mut sorted = runs.to_vec();
    sorted.sort_by_key(|r| r.took);
    sorted[sorted.len() / 2]
}

/// The demo workspace of `records` leads at `path`, written once by the binary (and
/// upgraded once when an older build wrote it: every copy would be upgraded otherwise).
fn demo(path: &Path, records: u64) -> PathBuf {
    if !path.exists() {
        remove(path);
        run(Command::new(exe()).arg("demo").arg(path).args(["--records", &records.to_string()]));
    }
    drop(Workspace::open(path).expect("open the workspace"));
    path.to_owned()
}

/// Every lead of `workspace` but its id, owner and account as a CSV file at `path`, made
/// once by `sqlite3`.
fn leads_csv(workspace: &Path, path: &Path) -> PathBuf {
    if !path.exists() {
        let columns = sqlite3_text(
            workspace,
            "SELECT group_concat('\"' || name || '\"', ',') FROM pragma_table_info('lead')
             WHERE name NOT IN ('id', 'owner', 'account')",
        );
        let partial = path.with_extension("partial");
        let file = std::fs::File::create(&partial).expect("create the CSV");
        let status = Command::new("sqlite3")
            .args(["-readonly", "-csv", "-header"])
            .arg(workspace)
            .arg(format!("SELECT {columns} FROM lead"))
            .stdout(file)
            .status()
            .expect("run sqlite3");
        assert!(status.success(), "sqlite3 could not write the CSV");
        std::fs::rename(&partial, path).expect("move the CSV into place");
    }
    path.to_owned()
}

/// A fresh copy of `from`, its column cache and its receipt at `to`, nothing else beside it,
/// on the disk before the timed command starts: a user's workspace has long been written,
/// while a copy just made would still be in the page cache, and the command's first
/// `fsync` would then write the whole copy (0.6 s of a 700 MB workspace here).
fn copy_workspace(from: &Path, to: &Path) {
    remove(to);
    std::fs::copy(from, to).expect("copy the workspace");
    for beside in [cache_path, receipt_path] {
        if beside(from).exists() {
            std::fs::copy(beside(from), beside(to)).expect("copy what is kept beside the workspace");
        }
    }
    for written in [to.to_owned(), cache_path(to), receipt_path(to)] {
        if let Ok(file) = std::fs::File::open(&written) {
            file.sync_all().expect("write the copy to the disk");
        }
    }
}

fn sqlite3_text(path: &Path, sql: &str) -> String {
    let output = Command::new("sqlite3").arg("-readonly").arg(path).arg(sql).output().expect("run sqlite3");
    assert!(output.status.success(), "sqlite3 failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn run(command: &mut Command) {
    let output = command.stdout(Stdio::null()).output().expect("run the command");
    assert!(output.status.success(), "{command:?} failed: {}", String::from_utf8_lossy(&output.stderr));
}

/// Removes a workspace file, its column cache, its receipt and the files SQLite keeps
/// beside it.
fn remove(path: &Path) {
    std::fs::remove_file(cache_path(path)).ok();
    std::fs::remove_file(receipt_path(path)).ok();
    for suffix in ["", "-wal", "-shm", "-journal", ".partial", ".partial-journal"] {
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        // Nothing to remove when the file was never made.
        std::fs::remove_file(PathBuf::from(name)).ok();
    }
}

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_segment-builder")
}

fn target_dir() -> PathBuf {
    option_env!("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"), PathBuf::from)
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
