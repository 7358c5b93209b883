//! The workspace shared between real processes: the app's connections (a writer and two
//! readers, as the window holds them) in one process, the command line in others, kills
//! without a clean close. Every write must survive and the file must stay sound.
//!
//! Roles that must live in a process of their own (the "app" that is killed) run this test
//! binary again with one `#[test]` selected and an environment variable naming the role;
//! without it, that test does nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use segment_builder::domain::Seller;
use segment_builder::store::Workspace;

mod common;

use common::harness::lead;

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segment-builder"))
}

/// A demo workspace of `records` leads written by the binary.
fn demo(dir: &tempfile::TempDir, records: u32) -> PathBuf {
    let path = dir.path().join("shared.sqlite");
    let output =
        binary().arg("demo").arg(&path).args(["--records", &records.to_string(), "--seed", "5"]).output().expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    path
}

/// The fixtures' seller, under a name of its own.
fn seller(name: &str) -> Seller {
    Seller {
        name: name.to_owned(),
        email: format!("{}@example.com", name.to_lowercase()),
        ..common::workspace::seller(0)
    }
}

fn seller_names(path: &Path) -> Vec<String> {
    let ws = Workspace::open(path).expect("open");
    ws.sellers().expect("sellers").into_iter().map(|s| s.name).collect()
}

fn integrity(path: &Path) -> String {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open");
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("integrity_check")
}

fn run_ok(command: &mut Command) -> String {
    let output = command.output().expect("run");
    assert!(output.status.success(), "{command:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The app's side in a process of its own: this test binary again, running [`holder_role`].
struct Holder {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl Holder {
    const ROLE: &str = "SHARING_HOLDER";

    fn start(path: &Path) -> Self {
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", "holder_role", "--nocapture", "--test-threads=1"])
            .env(Self::ROLE, path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the holder");
        let input = child.stdin.take().expect("stdin");
        let output = BufReader::new(child.stdout.take().expect("stdout"));
        let mut holder = Self { child, input, output };
        holder.expect_line("ready");
        holder
    }

    /// Waits for the role's answer, `<<wanted>>` (the test harness prints text of its own
    /// around it, on the same line too).
    fn expect_line(&mut self, wanted: &str) {
        let mut line = String::new();
        loop {
            line.clear();
            let read = self.output.read_line(&mut line).expect("read the holder");
            assert!(read > 0, "the holder ended before saying {wanted:?}");
            if line.contains(&format!("<<{wanted}>>")) {
                return;
            }
            assert!(!line.contains("<<error"), "the holder failed: {line}");
        }
    }

    fn add_seller(&mut self, name: &str) {
        writeln!(self.input, "seller {name}").expect("ask the holder");
        self.expect_line("written");
    }

    /// SIGKILL: no destructor runs, no connection is closed.
    fn kill(mut self) {
        self.child.kill().expect("kill the holder");
        self.child.wait().expect("reap the holder");
    }
}

impl Drop for Holder {
    /// A failing test does not leave the holder behind (it has usually ended already).
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}

/// The holder's process: opens the workspace as the app does (the writer, then two readers
/// as the engine's workers), then adds a seller for each `seller NAME` line it reads.
#[test]
fn holder_role() {
    let Some(path) = std::env::var_os(Holder::ROLE) else { return };
    let path = PathBuf::from(path);
    let mut writer = Workspace::open(&path).expect("open the writer");
    let readers = [Workspace::open_reader(&path).expect("reader"), Workspace::open_reader(&path).expect("reader")];
    println!("<<ready>>");
    for line in std::io::stdin().lines() {
        let line = line.expect("read a command");
        let Some(name) = line.strip_prefix("seller ") else { continue };
        match writer.add_seller(&seller(name)) {
            Ok(_) => println!("<<written>>"),
            Err(e) => println!("<<error: {e}>>"),
        }
        std::io::stdout().flush().expect("flush");
    }
    drop(readers);
}

#[test]
fn every_write_survives_other_processes_and_a_kill_of_the_app() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo(&dir, 300);
    let leads_before = Workspace::open(&path).expect("open").count_records(&lead()).expect("count");

    let mut app = Holder::start(&path);
    app.add_seller("Before");
    // A reader and a writer in other processes, each running to its end.
    run_ok(binary().arg("preview").arg(&path).args(["--segment", "Hot leads in Germany"]));
    let csv = dir.path().join("more.csv");
    std::fs::write(&csv, "Topic,Rating,Country\nShared one,Hot,Germany\nShared two,Cold,\n").expect("write");
    run_ok(binary().arg("import-records").arg(&path).args(["--type", "lead"]).arg(&csv));
    run_ok(binary().arg("apply").arg(&path));
    // The app's log is still there: nobody else may delete it while the app holds the file.
    for side in ["-wal", "-shm"] {
        assert!(Path::new(&format!("{}{side}", path.display())).exists(), "{side} is still beside the workspace");
    }
    // A program that takes the file for itself (`locking_mode=EXCLUSIVE`; or an SQLite
    // before 3.4x closing its last connection, which then deletes the -wal and -shm) must
    // find it in use: the app's locks are all still held.
    let outsider = rusqlite::Connection::open(&path).expect("open");
    outsider.busy_timeout(std::time::Duration::ZERO).expect("no waiting");
    outsider.pragma_update(None, "locking_mode", "EXCLUSIVE").expect("exclusive");
    let taken = outsider.query_row("SELECT count(*) FROM seller", [], |r| r.get::<_, i64>(0));
    drop(outsider);
    assert!(taken.is_err(), "another program took the workspace while the app holds it");
    app.add_seller("After");
    app.kill();

    let names = seller_names(&path);
    for name in ["Before", "After"] {
        assert!(names.iter().any(|n| n == name), "the app's seller {name} is kept: {names:?}");
    }
    let ws = Workspace::open(&path).expect("open");
    assert_eq!(ws.count_records(&lead()).expect("count"), leads_before + 2, "the command line's import is kept");
    drop(ws);
    assert_eq!(integrity(&path), "ok");
}

/// The memberships as stored: (record type, record id, segment id, reason), in order.
fn memberships(path: &Path) -> Vec<(String, i64, i64, String)> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open");
    let mut stmt = conn
        .prepare("SELECT record_type, record_id, segment_id, reason FROM membership ORDER BY record_type, record_id")
        .expect("prepare");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn count(path: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open");
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

/// A CSV of `rows` leads, a third of them hot and German (they join the top segment).
fn leads_csv(dir: &tempfile::TempDir, name: &str, rows: usize) -> PathBuf {
    let mut text = String::from("Topic,Rating,Country\n");
    for i in 0..rows {
        let (rating, country) = if i % 3 == 0 { ("Hot", "Germany") } else { ("Cold", "France") };
        text.push_str(&format!("{name} {i},{rating},{country}\n"));
    }
    let path = dir.path().join(format!("{name}.csv"));
    std::fs::write(&path, text).expect("write the CSV");
    path
}

fn copy_of(dir: &tempfile::TempDir, path: &Path, name: &str) -> PathBuf {
    let copy = dir.path().join(name);
    std::fs::copy(path, &copy).expect("copy the workspace");
    copy
}

const NOW: &str = "2026-11-24T12:00:00Z";

fn import(path: &Path, csv: &Path) -> Command {
    let mut command = binary();
    command.arg("import-records").arg(path).args(["--type", "lead", "--now", NOW]).arg(csv);
    command
}

#[test]
fn two_writers_in_two_processes_both_keep_their_changes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo(&dir, 300);
    let before = count(&path, "SELECT count(*) FROM lead");
    let (one, two) = (leads_csv(&dir, "One", 2000), leads_csv(&dir, "Two", 2000));
    let reference = copy_of(&dir, &path, "reference.sqlite");
    run_ok(&mut import(&reference, &one));
    run_ok(&mut import(&reference, &two));
    // Both read (ids, existing records) and write in one transaction each, at once.
    let first = import(&path, &one).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start one");
    let second = import(&path, &two).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start two");
    for child in [first, second] {
        let output = child.wait_with_output().expect("wait");
        assert!(output.status.success(), "an import failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    assert_eq!(count(&path, "SELECT count(*) FROM lead"), before + 4000, "both imports are kept");
    // Both imports' leads joined their segments as when imported one after the other.
    assert_eq!(members_per_segment(&path), members_per_segment(&reference));
    assert_eq!(count(&path, "SELECT count(*) FROM pending_evaluation"), 0);
    assert_eq!(integrity(&path), "ok");
}

/// Per segment, how many of the imported leads ("One …", "Two …") are members.
fn members_per_segment(path: &Path) -> Vec<(i64, i64)> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open");
    let mut stmt = conn
        .prepare(
            "SELECT m.segment_id, count(*) FROM lead l JOIN membership m ON m.record_type = 'lead' AND m.record_id = l.id
             WHERE l.topic LIKE 'One %' OR l.topic LIKE 'Two %' GROUP BY m.segment_id ORDER BY m.segment_id",
        )
        .expect("prepare");
    let rows: Vec<(i64, i64)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).expect("query").collect::<Result<_, _>>().expect("rows");
    assert!(!rows.is_empty(), "some imported leads joined");
    rows
}

#[test]
fn a_reader_starting_and_stopping_during_an_apply_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo(&dir, 3000);
    let quiet = copy_of(&dir, &path, "quiet.sqlite");
    let now = "2027-06-01T12:00:00Z";
    let mut apply =
        binary().arg("apply").arg(&path).args(["--now", now]).stdout(Stdio::piped()).spawn().expect("apply");
    for round in 0..100 {
        let output =
            binary().arg("preview").arg(&path).args(["--segment", "Hot leads in Germany"]).output().expect("preview");
        assert!(output.status.success(), "reader {round}: {}", String::from_utf8_lossy(&output.stderr));
    }
    let applied = apply.wait().expect("wait for the apply");
    assert!(applied.success());
    run_ok(binary().arg("apply").arg(&quiet).args(["--now", now]));
    assert_eq!(memberships(&path), memberships(&quiet), "the same apply without readers");
    assert_eq!(integrity(&path), "ok");
}

/// Kills `import-records` when `moment` first holds (polled; `None` when it never did
/// before the import ended), on a copy of `original`. Afterwards the records and their
/// memberships are both there or both absent, or the marks are there and the next apply
/// evaluates them as the import would have.
fn kill_import_when(
    dir: &tempfile::TempDir,
    original: &Path,
    csv: &Path,
    name: &str,
    moment: &dyn Fn(&Path) -> bool,
) -> &'static str {
    let path = copy_of(dir, original, name);
    let leads = count(&path, "SELECT count(*) FROM lead");
    let mut child = import(&path, csv).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start");
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(2);
    loop {
        if moment(&path) || matches!(child.try_wait(), Ok(Some(_))) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the import neither reached the moment nor ended");
        std::thread::yield_now();
    }
    child.kill().ok();
    child.wait().expect("reap");
    let imported = count(&path, "SELECT count(*) FROM lead") - leads;
    let marks = count(&path, "SELECT count(*) FROM pending_evaluation");
    if imported == 0 {
        assert_eq!(marks, 0, "{name}: no records, no marks");
        assert_eq!(memberships(&path), memberships(original), "{name}: nothing changed");
        return "nothing";
    }
    let state = if marks > 0 { "marked" } else { "evaluated" };
    // The next apply finishes the evaluation first, as the import would have (the joins say
    // "record created", not "re-evaluation").
    run_ok(binary().arg("apply").arg(&path).args(["--now", NOW]));
    assert_eq!(count(&path, "SELECT count(*) FROM pending_evaluation"), 0);
    assert_eq!(integrity(&path), "ok");
    let reference = copy_of(dir, original, &format!("{name}-reference.sqlite"));
    run_ok(&mut import(&reference, csv));
    run_ok(binary().arg("apply").arg(&reference).args(["--now", NOW]));
    assert_eq!(memberships(&path), memberships(&reference), "{name}: evaluated as without the kill");
    state
}

#[test]
fn killing_import_records_leaves_records_and_memberships_together() {
    let dir = tempfile::tempdir().expect("temp dir");
    let original = demo(&dir, 300);
    let csv = leads_csv(&dir, "Killed", 20_000);
    let wal = |path: &Path| std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len());
    let marked = |path: &Path| {
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|conn| conn.query_row("SELECT count(*) FROM pending_evaluation", [], |r| r.get::<_, i64>(0)))
            .is_ok_and(|n| n > 0)
    };
    let states = vec![
        kill_import_when(&dir, &original, &csv, "at-once.sqlite", &|_| true),
        kill_import_when(&dir, &original, &csv, "writing.sqlite", &|p| wal(p) > 64 * 1024),
        kill_import_when(&dir, &original, &csv, "committed.sqlite", &marked),
        kill_import_when(&dir, &original, &csv, "ended.sqlite", &|_| false),
    ];
    // Which states the kills hit depends on timing; every one of them was checked above.
    eprintln!("kill -9 of import-records left: {states:?}");
    assert_eq!(states.last().copied(), Some("evaluated"), "an import left alone evaluates: {states:?}");
}

#[test]
fn an_import_evaluated_by_nobody_is_evaluated_when_the_window_opens() {
    use segment_builder::worker::engine::{EngineResponse, EngineWorker};

    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo(&dir, 300);
    let csv = leads_csv(&dir, "Later", 900);
    let reference = copy_of(&dir, &path, "reference.sqlite");
    // Evaluated at the clock's now, as the window does.
    run_ok(binary().arg("import-records").arg(&reference).args(["--type", "lead"]).arg(&csv));
    // The import's transaction as `import-records` writes it, and no evaluation: as if it
    // had been killed right after its commit.
    {
        use segment_builder::interchange::csv_records::{auto_map, headers};
        use segment_builder::worker::import::{ImportRequest, import_csv};
        let ws = Workspace::open(&path).expect("open");
        let def = ws.schema().get(&lead()).expect("lead").clone();
        let segments = ws.segments(&lead()).expect("segments");
        drop(ws);
        let bytes = std::fs::read(&csv).expect("read");
        let mapping = auto_map(&def, &headers(&bytes).expect("headers"));
        let used = segment_builder::domain::membership::fields_used_by_active(&segments);
        let request = ImportRequest {
            workspace: &path,
            file: &csv,
            def: &def,
            mapping: &mapping,
            on_existing: segment_builder::store::OnExisting::Update,
            only_valid: false,
            time_zone: &jiff::tz::TimeZone::UTC,
            decimal_mark: segment_builder::domain::format::DecimalMark::Point,
            used_fields: &used,
        };
        let imported = import_csv(&request, &mut |_, _| true).expect("import");
        assert!(imported.pending.is_some(), "the import marked its records");
    }
    assert_eq!(count(&path, "SELECT count(*) FROM pending_evaluation"), 900);

    let engine = EngineWorker::start(path.clone(), std::sync::Arc::new(segment_builder::worker::NoWaker));
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(2);
    let mut evaluated = None;
    loop {
        match engine.try_recv() {
            Some(EngineResponse::Ready { .. }) => break,
            Some(EngineResponse::Failed(error)) => panic!("the engine failed: {error}"),
            Some(EngineResponse::Evaluated(result)) => evaluated = Some(result.expect("evaluated")),
            _ => {
                assert!(std::time::Instant::now() < deadline, "the engine does not start");
                std::thread::yield_now();
            }
        }
    }
    let evaluated = evaluated.expect("the engine evaluated the marked records before it was ready");
    assert_eq!(evaluated.len(), 1);
    drop(engine);
    assert_eq!(count(&path, "SELECT count(*) FROM pending_evaluation"), 0, "the marks are cleared");
    assert_eq!(memberships(&path), memberships(&reference), "joined as `import-records` joins them");
}
