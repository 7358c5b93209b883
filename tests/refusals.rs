//! What the app refuses, and that a refusal changes nothing: exports never write over the
//! workspace, a SQLite database or (without `--force` / "Replace") an existing file; bad
//! CSV quoting, misplaced thousands separators, unknown bundle keys and conditions nested
//! too deep are refused with their place. Every refusal checks the message (place and
//! reason), that the workspace's bytes are unchanged and that no file appeared beside it.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use segment_builder::state::SegmentsCommand;
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use segment_builder::app::{App, Command as AppCommand, Dialog};
use segment_builder::demo::{DemoSpec, create_demo_workspace};
use segment_builder::domain::Value;
use segment_builder::state::import::ImportCommand;
use segment_builder::store::Workspace;
use segment_builder::worker::export::{ExportError, Overwrite, write_export};

mod common;
use common::harness::*;

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segment-builder"))
}

/// A small demo workspace (300 leads) in `dir`.
fn small_workspace(dir: &Path) -> PathBuf {
    let path = dir.join("work.sqlite");
    let spec = DemoSpec::with_leads(300, 3, segment_builder::clock::now());
    create_demo_workspace(&path, &spec, &mut |_, _| true).expect("demo");
    path
}

/// The names of the files in `dir`.
fn listing(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("list")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read")
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Runs the binary with `args`: it must exit non-zero with every one of `expected` in its
/// message, and leave the workspace's bytes, `kept` (the target, if any) and the list of
/// files in its folder as they were.
fn check_refused(workspace: &Path, kept: Option<&Path>, args: &[&OsStr], expected: &[&str]) {
    let dir = workspace.parent().expect("folder");
    let (files, workspace_bytes) = (listing(dir), bytes(workspace));
    let kept_bytes = kept.filter(|p| p.is_file()).map(bytes);
    let output = binary().args(args).output().expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{args:?} must be refused; stdout: {}", String::from_utf8_lossy(&output.stdout));
    for fragment in expected {
        assert!(stderr.contains(fragment), "{args:?}: the message has {fragment:?}: {stderr}");
    }
    assert_eq!(bytes(workspace), workspace_bytes, "{args:?}: the workspace is unchanged");
    if let (Some(path), Some(before)) = (kept, kept_bytes) {
        assert_eq!(bytes(path), before, "{args:?}: {} is unchanged", path.display());
    }
    assert_eq!(listing(dir), files, "{args:?}: no file appeared or vanished");
}

#[test]
fn export_definitions_never_writes_over_what_it_must_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let workspace = small_workspace(dir.path());
    let other_db = dir.path().join("other.sqlite");
    drop(Workspace::create(&other_db).expect("create"));
    let notes = dir.path().join("notes.ron");
    std::fs::write(&notes, "mine").expect("write");
    let link = dir.path().join("link.sqlite");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&workspace, &link).expect("symlink");
    let hard = dir.path().join("hard.sqlite");
    std::fs::hard_link(&workspace, &hard).expect("hard link");
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder).expect("mkdir");
    let nowhere = dir.path().join("missing").join("x.ron");
    let export = OsStr::new("export-definitions");
    let force = OsStr::new("--force");
    let ws = workspace.as_os_str();

    let shown = |p: &Path| p.display().to_string();
    for (target, with_force, expected) in [
        (&workspace, false, "is the workspace this export reads"),
        (&workspace, true, "is the workspace this export reads"),
        (&hard, true, "is the workspace this export reads"),
        (&other_db, true, "is a SQLite database; an export never writes over one"),
        (&notes, false, "exists already; add --force to replace it"),
        (&folder, true, "is a folder"),
        (&nowhere, true, "no such folder"),
    ] {
        let mut args = vec![export, ws, target.as_os_str()];
        if with_force {
            args.push(force);
        }
        let place = if target == &nowhere { shown(nowhere.parent().expect("parent")) } else { shown(target) };
        check_refused(&workspace, Some(target), &args, &[&place, expected]);
    }
    #[cfg(unix)]
    check_refused(
        &workspace,
        Some(&link),
        &[export, ws, link.as_os_str(), force],
        &["is the workspace this export reads"],
    );

    // With --force an ordinary file is replaced and keeps its mode; a new file is 0600.
    #[cfg(unix)]
    set_mode(&notes, 0o640);
    let output = binary().args([export, ws, notes.as_os_str(), force]).output().expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    assert!(std::fs::read_to_string(&notes).expect("read").contains("version: 2"), "the bundle replaced the file");
    let fresh = dir.path().join("fresh.ron");
    let output = binary().args([export, ws, fresh.as_os_str()]).output().expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    #[cfg(unix)]
    {
        assert_eq!(mode(&notes), 0o640, "a replaced file keeps the mode its owner gave it");
        assert_eq!(mode(&fresh), 0o600, "a new export is readable by its owner only");
    }
    let partials: Vec<String> = listing(dir.path()).into_iter().filter(|n| n.ends_with(".partial")).collect();
    assert!(partials.is_empty(), "no temporary file is left: {partials:?}");
}

#[test]
fn the_move_into_place_never_lands_on_a_refused_target_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let workspace = dir.path().join("work.sqlite");
    drop(Workspace::create(&workspace).expect("create"));
    let target = dir.path().join("out.csv");
    let files = listing(dir.path());

    // A database appears at the target while the export is written: it stays as it is.
    let written = write_export(&target, &workspace, Overwrite::Replace, |file| {
        use std::io::Write as _;
        std::fs::copy(&workspace, &target).expect("a database appears");
        file.write_all(b"a,b\n").map(Some).map_err(|e| ExportError::write(&target, e))
    });
    let error = written.expect_err("refused").to_string();
    assert!(error.contains("is a SQLite database"), "{error}");
    assert_eq!(bytes(&target), bytes(&workspace), "the database is untouched");
    std::fs::remove_file(&target).expect("remove");

    // A file appears at a target that was free (no --force): it is not replaced.
    let written = write_export(&target, &workspace, Overwrite::Refuse, |_| {
        std::fs::write(&target, "someone else's").expect("a file appears");
        Ok(Some(()))
    });
    assert!(written.expect_err("refused").to_string().contains("exists already"));
    assert_eq!(bytes(&target), b"someone else's");
    std::fs::remove_file(&target).expect("remove");

    // A failed or cancelled write leaves neither the target nor the temporary file.
    let failed = write_export::<()>(&target, &workspace, Overwrite::Refuse, |_| {
        Err(ExportError::write(&target, std::io::Error::other("disk on fire")))
    });
    let failed = failed.expect_err("failed").to_string();
    assert_eq!(failed, format!("could not write {}: disk on fire", target.display()));
    let cancelled = write_export::<()>(&target, &workspace, Overwrite::Refuse, |_| Ok(None));
    assert!(matches!(cancelled, Ok(None)), "{cancelled:?}");
    assert_eq!(listing(dir.path()), files, "nothing is left behind");
}

/// `import-records` of `csv` (written as `name`) with `extra` arguments is refused with
/// `expected` in its message, and nothing changes.
fn check_csv(workspace: &Path, name: &str, csv: &str, extra: &[&str], expected: &[&str]) {
    let file = workspace.with_file_name(name);
    std::fs::write(&file, csv).expect("write");
    let mut args: Vec<&OsStr> = vec![OsStr::new("import-records"), workspace.as_os_str(), OsStr::new("--type")];
    args.extend([OsStr::new("lead"), file.as_os_str()]);
    args.extend(extra.iter().map(OsStr::new));
    check_refused(workspace, Some(&file), &args, expected);
    std::fs::remove_file(&file).expect("remove");
}

#[test]
fn broken_csv_quoting_and_misplaced_separators_are_refused_with_line_and_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ws = small_workspace(dir.path());
    let comma = ["--decimal-comma"];
    let point_hint = "a comma only separates thousands";
    let comma_hint = "a point only separates thousands";
    check_csv(
        &ws,
        "unclosed.csv",
        "Topic,Lead score\nA,1\n\"B,2\nC,3\nD,4\n",
        &[],
        &["line 3, column \"Topic\"", "character 1", "never closed"],
    );
    check_csv(
        &ws,
        "after.csv",
        "Topic,Lead score\nA,1\n\"x\"y,2\n",
        &[],
        &["line 3, column \"Topic\"", "character 4", "text follows the closing quote"],
    );
    check_csv(
        &ws,
        "after2.csv",
        "Topic,Lead score\r\n\"A\",\"1\" \r\n",
        &[],
        &["line 2, column \"Lead score\"", "character 8", "text follows the closing quote"],
    );
    check_csv(&ws, "header.csv", "\"Topic,Lead score\nA,1\n", &[], &["line 1", "never closed"]);
    check_csv(
        &ws,
        "money.csv",
        "Topic,Estimated value\nA,\"1,5\"\n",
        &[],
        &["line 2, column \"Estimated value\"", "\"1,5\" is not a number", point_hint],
    );
    check_csv(
        &ws,
        "euro.csv",
        "Topic,Estimated value\nA,\"1.000,50\"\n",
        &[],
        &["line 2, column \"Estimated value\"", point_hint],
    );
    check_csv(&ws, "score.csv", "Topic,Lead score\nA,\"12,34\"\n", &[], &["line 2, column \"Lead score\"", point_hint]);
    check_csv(
        &ws,
        "dot.csv",
        "Topic,Estimated value\nA,1.5\n",
        &comma,
        &["line 2, column \"Estimated value\"", comma_hint],
    );

    // The right places are read: a comma between thousands, or with --decimal-comma.
    let file = dir.path().join("good.csv");
    let leads = segment_builder::domain::RecordTypeName::new("lead");
    for (csv, extra, expected) in [
        ("Topic,Estimated value\nPoint,\"12,345.6\"\n", &[][..], 12_345.6),
        ("Topic,Estimated value\nComma,\"1.234,5\"\n", &comma[..], 1_234.5),
        ("Topic,Estimated value\nSmall,\"1,5\"\n", &comma[..], 1.5),
    ] {
        std::fs::write(&file, csv).expect("write");
        let output = binary()
            .args([OsStr::new("import-records"), ws.as_os_str(), OsStr::new("--type"), OsStr::new("lead")])
            .arg(&file)
            .args(extra)
            .output()
            .expect("run");
        assert!(output.status.success(), "{csv:?}: {}", String::from_utf8_lossy(&output.stderr));
        let topic = csv.lines().nth(1).and_then(|l| l.split(',').next()).expect("topic");
        let store = Workspace::open(&ws).expect("open");
        let def = store.schema().get(&leads).cloned().expect("lead");
        let index = |name: &str| def.field_by_str(name).and_then(|f| def.field_index(&f.name)).expect("field");
        let (topic_at, value_at) = (index("topic"), index("estimated_value"));
        let record = store
            .all_records(&leads)
            .expect("records")
            .into_iter()
            .find(|r| r.values[topic_at] == Value::Text(topic.to_owned()))
            .expect("imported");
        assert_eq!(record.values[value_at], Value::Money(expected), "{csv:?}");
    }
}

/// `import-definitions` of the bundle `text` is refused with `expected` in its message;
/// with `conditions`, `preview --conditions` of it too.
fn check_ron(workspace: &Path, text: &str, expected: &[&str]) {
    let file = workspace.with_file_name("bundle.ron");
    std::fs::write(&file, text).expect("write");
    check_refused(
        workspace,
        Some(&file),
        &[OsStr::new("import-definitions"), workspace.as_os_str(), file.as_os_str()],
        expected,
    );
    std::fs::remove_file(&file).expect("remove");
}

/// A condition tree `depth` groups deep.
fn nested(depth: usize) -> String {
    let mut tree = "Condition(field: \"country\", operator: IsEmpty)".to_owned();
    for _ in 0..depth {
        tree = format!("Group(mode: All, children: [{tree}])");
    }
    format!("(mode: All, children: [{tree}])")
}

#[test]
fn unknown_bundle_keys_and_too_deep_conditions_are_refused_with_their_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ws = small_workspace(dir.path());
    let segment = |extra: &str, conditions: &str| {
        format!(
            "(\n    version: 2,\n    segments: [\n        (record_type: \"lead\", name: \"N\", status: Draft,{extra}\n         conditions: {conditions}),\n    ],\n)\n"
        )
    };
    check_ron(
        &ws,
        "(\n    version: 2,\n    segmnets: [],\n)\n",
        &["line 3, column 5", "unknown key `segmnets`", "`segments`", "`record_types`"],
    );
    check_ron(
        &ws,
        &segment("\n         priority: 3,", "(mode: All)"),
        &["line 5", "unknown key `priority`", "`rerun_assignment_on_move`"],
    );
    check_ron(&ws, &segment("", "(mode: All, childs: [])"), &["unknown key `childs`", "`children`"]);
    check_ron(&ws, &segment("", &nested(200)), &["line 5", "conditions nested deeper than 10 levels"]);
    // Deep, but within what the reader takes: the validation names the place.
    check_ron(&ws, &segment("", &nested(12)), &["at most 10 levels"]);

    let file = dir.path().join("deep.ron");
    std::fs::write(&file, format!("(version: 1, root: {})", nested(200))).expect("write");
    let args = [OsStr::new("preview"), ws.as_os_str(), OsStr::new("--type"), OsStr::new("lead")];
    let mut args = args.to_vec();
    args.extend([OsStr::new("--conditions"), file.as_os_str()]);
    // The file is read before the workspace is opened: nothing appears beside it.
    check_refused(&ws, Some(&file), &args, &["line 1, column", "conditions nested deeper than 10 levels"]);
    let error = segment_builder::domain::condition_format::from_ron(&format!("(version: 1, root: {})", nested(200)))
        .expect_err("too deep");
    assert!(!error.to_string().contains("recursion_limit"), "{error}");
}

/// The window: an export over the workspace or a database is refused in the dialog, over
/// an ordinary file it asks "Replace …?" first; the import dialog offers decimal commas.
#[test]
fn the_window_refuses_or_asks_before_an_export_replaces_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let workspace = small_workspace(dir.path());
    let other_db = dir.path().join("other.sqlite");
    drop(Workspace::create(&other_db).expect("create"));
    let existing = dir.path().join("existing.csv");
    std::fs::write(&existing, "mine").expect("write");
    #[cfg(unix)]
    set_mode(&existing, 0o640);
    let mut harness = open_app(&workspace);
    let segment = stored_segments(&harness)[0].id;
    let files = listing(dir.path());

    let dialog_error = |app: &App| match &app.state().dialog {
        Some(Dialog::ExportMembers { error, .. } | Dialog::ExportRecords { error, .. }) => error.clone(),
        _ => None,
    };
    for (target, expected) in [(&workspace, "is the workspace this export reads"), (&other_db, "is a SQLite database")]
    {
        let before = (bytes(&workspace), bytes(&other_db));
        for show in [
            AppCommand::Segments(SegmentsCommand::ShowExportMembers(segment)),
            AppCommand::Segments(SegmentsCommand::ShowExportRecords),
        ] {
            harness.state_mut().apply(show);
            harness.state_mut().apply(AppCommand::SetDialogText(target.display().to_string()));
            harness.state_mut().apply(AppCommand::Segments(SegmentsCommand::SubmitExport));
            harness.run_steps(3);
            let error = dialog_error(harness.state()).expect("refused in the dialog");
            assert!(error.contains(&target.display().to_string()) && error.contains(expected), "{error}");
            harness.state_mut().apply(AppCommand::CloseDialog);
        }
        assert_eq!((bytes(&workspace), bytes(&other_db)), before, "nothing was written");
    }
    assert_eq!(listing(dir.path()), files, "no file appeared");

    // An ordinary file: "Replace …?"; Cancel goes back, Replace writes.
    harness.state_mut().apply(AppCommand::Segments(SegmentsCommand::ShowExportMembers(segment)));
    harness.state_mut().apply(AppCommand::SetDialogText(existing.display().to_string()));
    harness.state_mut().apply(AppCommand::Segments(SegmentsCommand::SubmitExport));
    harness.run_steps(3);
    let question = format!("Replace {}?", existing.display());
    harness.get_by_label(&question);
    harness.get_by_role_and_label(Role::Button, "Cancel").click();
    harness.run_steps(3);
    assert!(harness.query_by_label(&question).is_none(), "back to the file");
    assert_eq!(bytes(&existing), b"mine");
    harness.get_by_role_and_label(Role::Button, "Export").click();
    harness.run_steps(3);
    harness.get_by_role_and_label(Role::Button, "Replace").click();
    settle(&mut harness);
    let text = std::fs::read_to_string(&existing).expect("read");
    assert!(text.starts_with("Record,Title,Email,Owner"), "the members replaced the file: {text}");
    #[cfg(unix)]
    assert_eq!(mode(&existing), 0o640, "the replaced file keeps its mode");

    // A new records export is readable by its owner only.
    let fresh = dir.path().join("records.csv");
    harness.state_mut().apply(AppCommand::ShowScreen(segment_builder::app::Screen::Records));
    settle(&mut harness);
    harness.state_mut().apply(AppCommand::Segments(SegmentsCommand::ShowExportRecords));
    harness.state_mut().apply(AppCommand::SetDialogText(fresh.display().to_string()));
    harness.state_mut().apply(AppCommand::Segments(SegmentsCommand::SubmitExport));
    settle(&mut harness);
    assert!(std::fs::read_to_string(&fresh).expect("written").starts_with("id,"));
    #[cfg(unix)]
    assert_eq!(mode(&fresh), 0o600);

    // The definitions dialog asks too.
    let bundle = dir.path().join("bundle.ron");
    std::fs::write(&bundle, "old").expect("write");
    harness.state_mut().apply(AppCommand::Definitions(segment_builder::app::definitions::DefinitionsCommand::Show(
        segment_builder::app::definitions::DefinitionsMode::Export,
    )));
    harness.run_steps(3);
    type_into(&mut harness, "Definitions file (.ron)", &bundle.to_string_lossy());
    harness.get_by_role_and_label(Role::Button, "Export").click();
    harness.run_steps(3);
    harness.get_by_label(&format!("Replace {}?", bundle.display()));
    assert_eq!(bytes(&bundle), b"old", "nothing is written before the answer");
    harness.get_by_role_and_label(Role::Button, "Replace").click();
    harness.run_steps(3);
    assert!(std::fs::read_to_string(&bundle).expect("read").contains("version: 2"));

    // The import dialog's decimal comma choice.
    harness.state_mut().apply(AppCommand::Import(ImportCommand::Show));
    harness.run_steps(3);
    let csv = dir.path().join("euro.csv");
    std::fs::write(&csv, "Topic,Estimated value\nEuro,\"1.234,5\"\n").expect("write");
    type_into(&mut harness, "CSV file", &csv.to_string_lossy());
    harness.get_by_label("Read file").click();
    harness.run_steps(4);
    harness.get_by_label("Numbers use a decimal comma (1.234,5)").click();
    harness.run_steps(3);
    let Some(Dialog::ImportRecords(form)) = &harness.state().state().dialog else { panic!("the import dialog") };
    assert!(form.decimal_comma, "the choice is kept");
    harness.get_by_role_and_label(Role::Button, "Import").click();
    settle(&mut harness);
    assert!(harness.state().state().dialog.is_none(), "imported: {:?}", harness.state().state().dialog);
}

// ---- The workspace file itself: read-only, disk full, files refused, modes, old versions.

/// Whether the tests run as root, for whom file modes are not enforced.
fn is_root() -> bool {
    let output = Command::new("id").arg("-u").output().expect("id -u");
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

/// Makes a file or folder unwritable until dropped: by its mode (0444 / 0555), or as root
/// (whom modes do not stop) with the immutable attribute, which stops root too.
struct Unwritable {
    path: PathBuf,
    root: bool,
}

impl Unwritable {
    /// `None` only as root where the file system has no immutable attribute (tmpfs):
    /// nothing can stop root writing there, so the test says so and is skipped.
    fn new(path: &Path) -> Option<Self> {
        let root = is_root();
        if root {
            let status = Command::new("chattr").arg("+i").arg(path).output();
            if !status.is_ok_and(|s| s.status.success()) {
                println!(
                    "skipped: running as root, and {} cannot be made immutable (chattr +i), so nothing stops a write",
                    path.display()
                );
                return None;
            }
        } else {
            #[cfg(unix)]
            set_mode(path, if path.is_dir() { 0o555 } else { 0o444 });
        }
        Some(Self { path: path.to_owned(), root })
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        if self.root {
            // Best effort: the temporary folder cannot be removed otherwise, nothing more.
            Command::new("chattr").arg("-i").arg(&self.path).status().ok();
        } else {
            #[cfg(unix)]
            set_mode(&self.path, if self.path.is_dir() { 0o755 } else { 0o644 });
        }
    }
}

fn read_only_message(path: &Path) -> String {
    format!(
        "{} is read-only (the folder or file cannot be written): opened for viewing; changes cannot be saved",
        path.display()
    )
}

/// What works on a read-only workspace (viewing, exports elsewhere) and what is refused
/// (every change, with the plain message), in-process and through the command line.
fn check_read_only(workspace: &Path, out: &Path) {
    let message = read_only_message(workspace);
    let mut ws = Workspace::open(workspace).expect("opens for viewing");
    assert_eq!(ws.read_only_reason().as_deref(), Some(message.as_str()));
    assert!(ws.segments(&segment_builder::domain::RecordTypeName::new("lead")).expect("segments").len() > 1);
    let refused = ws.atomically(|_| Ok(())).expect_err("a change is refused");
    assert_eq!(refused.to_string(), message);
    let reader = Workspace::open_reader(workspace).expect("a reader opens");
    drop((ws, reader));

    let dir = workspace.parent().expect("folder");
    let (files, before) = (listing(dir), bytes(workspace));
    let bundle = out.join("bundle.ron");
    let conditions = out.join("conditions.ron");
    std::fs::write(&conditions, "(version: 1, root: (mode: All))").expect("write");
    let ws = workspace.as_os_str();
    for args in [
        // Passes, and leaves no receipt beside a file that cannot be written.
        vec![OsStr::new("check"), ws],
        vec![OsStr::new("export-definitions"), ws, bundle.as_os_str(), OsStr::new("--force")],
        vec![
            OsStr::new("preview"),
            ws,
            OsStr::new("--type"),
            OsStr::new("lead"),
            OsStr::new("--conditions"),
            conditions.as_os_str(),
        ],
        vec![
            OsStr::new("explain"),
            ws,
            OsStr::new("--type"),
            OsStr::new("lead"),
            OsStr::new("--record"),
            OsStr::new("1"),
        ],
    ] {
        let output = binary().args(&args).output().expect("run");
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    }
    let csv = out.join("leads.csv");
    std::fs::write(&csv, "Topic\nNew\n").expect("write");
    for args in [
        vec![OsStr::new("apply"), ws],
        vec![OsStr::new("import-records"), ws, OsStr::new("--type"), OsStr::new("lead"), csv.as_os_str()],
    ] {
        let output = binary().args(&args).output().expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} must be refused");
        assert!(stderr.contains(&message), "{args:?}: {stderr}");
    }
    assert_eq!(bytes(workspace), before, "the workspace is unchanged");
    assert_eq!(listing(dir), files, "no file appeared or vanished beside it");
}

#[test]
fn a_workspace_in_a_read_only_folder_opens_for_viewing_and_refuses_changes() {
    if is_root() {
        println!("running as root: the folder is made immutable (chattr +i), since modes do not stop root");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join("locked");
    std::fs::create_dir(&folder).expect("mkdir");
    let workspace = small_workspace(&folder);
    let files = listing(&folder);
    assert_eq!(files, BTreeSet::from(["work.sqlite".to_owned()]), "closed cleanly: no side files");
    let Some(guard) = Unwritable::new(&folder) else { return };
    check_read_only(&workspace, dir.path());

    // The window: opened, with the reason in the status bar.
    let harness = open_app(&workspace);
    let line = harness.state().state().access_line.clone().unwrap_or_default();
    assert_eq!(line, format!("Read-only: {}", read_only_message(&workspace)));
    // A change from the window is refused with the same message, where it was asked for.
    let mut harness = harness;
    harness.state_mut().apply(AppCommand::Segments(SegmentsCommand::ShowNew));
    let Some(Dialog::SegmentForm(mut form)) = harness.state().state().dialog.clone() else { panic!("the form") };
    form.name = "Not saved".to_owned();
    harness.state_mut().apply(AppCommand::UpdateDialog(Dialog::SegmentForm(form)));
    harness.state_mut().apply(AppCommand::Segments(SegmentsCommand::SubmitForm));
    let Some(Dialog::SegmentForm(form)) = &harness.state().state().dialog else { panic!("the form stays") };
    assert_eq!(form.error.as_deref(), Some(read_only_message(&workspace).as_str()));
    drop(harness);
    drop(guard);
}

#[test]
fn a_read_only_workspace_file_opens_for_viewing_and_refuses_changes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join("files");
    std::fs::create_dir(&folder).expect("mkdir");
    let workspace = small_workspace(&folder);
    let Some(guard) = Unwritable::new(&workspace) else { return };
    // A first viewer may leave the read-only file's -wal / -shm; the check starts after it.
    drop(Workspace::open(&workspace).expect("open"));
    check_read_only(&workspace, dir.path());
    drop(guard);
}

#[test]
fn a_full_disk_says_disk_full_and_saves_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let workspace = small_workspace(dir.path());
    let leads = segment_builder::domain::RecordTypeName::new("lead");
    let count = |path: &Path| Workspace::open(path).expect("open").count_records(&leads).expect("count");
    let before = count(&workspace);
    let mut ws = Workspace::open(&workspace).expect("open");
    let fields = ws.schema().get(&leads).expect("lead").fields.len();
    ws.limit_growth_for_tests(4).expect("limit");
    let error = ws
        .atomically(|ws| {
            for n in 0..2_000 {
                let mut values = vec![Value::Empty; fields];
                values[0] = Value::Text(format!("Lead {n} {}", "x".repeat(1_000)));
                ws.insert_record(&leads, values)?;
            }
            Ok(())
        })
        .expect_err("the disk is full");
    assert_eq!(
        error.to_string(),
        format!("{}: disk full — nothing was saved; free some space and try again", workspace.display())
    );
    drop(ws);
    assert_eq!(count(&workspace), before, "nothing was saved");
    let check: String = rusqlite::Connection::open(&workspace)
        .expect("open")
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(check, "ok");
}

/// `Workspace::open`, `preview` and `apply` refuse `path` with `expected` in the message,
/// and leave its bytes and its folder's listing as they were.
fn check_file_refused(path: &Path, expected: &str) {
    let dir = path.parent().expect("folder");
    let (files, before) = (listing(dir), bytes(path));
    let error = Workspace::open(path).err().expect("refused");
    assert!(error.to_string().contains(expected), "{error}");
    assert_eq!(listing(dir), files, "Workspace::open left nothing behind");
    assert_eq!(bytes(path), before);
    let ws = path.as_os_str();
    check_refused(path, None, &[OsStr::new("preview"), ws, OsStr::new("--segment"), OsStr::new("Any")], &[expected]);
    check_refused(path, None, &[OsStr::new("apply"), ws], &[expected]);
}

#[test]
fn refusing_a_foreign_newer_or_damaged_file_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("temp dir");
    let foreign_dir = dir.path().join("foreign");
    std::fs::create_dir(&foreign_dir).expect("mkdir");
    let foreign = foreign_dir.join("other.sqlite");
    {
        let conn = rusqlite::Connection::open(&foreign).expect("open");
        conn.execute_batch("PRAGMA application_id = 42; CREATE TABLE t (x); INSERT INTO t VALUES (1);").expect("fill");
    }
    check_file_refused(&foreign, "an SQLite database of another application");

    // With a WAL of its own, held open by its application while we are refused.
    let wal_dir = dir.path().join("wal");
    std::fs::create_dir(&wal_dir).expect("mkdir");
    let with_wal = wal_dir.join("other.sqlite");
    let holder = rusqlite::Connection::open(&with_wal).expect("open");
    let mode: String = holder.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).expect("wal");
    assert_eq!(mode, "wal");
    holder.execute_batch("PRAGMA application_id = 42; CREATE TABLE t (x); INSERT INTO t VALUES (1);").expect("fill");
    assert!(listing(&wal_dir).contains("other.sqlite-wal"));
    check_file_refused(&with_wal, "an SQLite database of another application");
    drop(holder);

    let newer_dir = dir.path().join("newer");
    std::fs::create_dir(&newer_dir).expect("mkdir");
    let newer = newer_dir.join("work.sqlite");
    drop(Workspace::create(&newer).expect("create"));
    rusqlite::Connection::open(&newer).expect("open").execute_batch("PRAGMA user_version = 99").expect("version");
    assert_eq!(listing(&newer_dir).len(), 1, "closed cleanly");
    check_file_refused(&newer, "written by a newer version of Segment Builder");

    let corrupt_dir = dir.path().join("corrupt");
    std::fs::create_dir(&corrupt_dir).expect("mkdir");
    let corrupt = small_workspace(&corrupt_dir);
    let mut damaged = bytes(&corrupt);
    let page = 4096;
    assert!(damaged.len() > 4 * page);
    damaged[page..3 * page].fill(0xA5);
    std::fs::write(&corrupt, &damaged).expect("damage");
    check_file_refused(&corrupt, "is damaged");
}

/// Overwrites the first leaf page of `table` (the child of its interior root holding the
/// lowest ids) with garbage, as a failing disk or another program might.
fn damage_a_leaf_of(path: &Path, table: &str) {
    let root: u32 = rusqlite::Connection::open(path)
        .expect("plain SQLite")
        .query_row("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?1", [table], |r| r.get(0))
        .expect("the table's root page");
    let mut damaged = bytes(path);
    let page_size = match u16::from_be_bytes([damaged[16], damaged[17]]) {
        1 => 65_536,
        size => usize::from(size),
    };
    let at = |page: u32| (page as usize - 1) * page_size;
    assert_eq!(damaged[at(root)], 0x05, "the root of {table} is an interior page");
    // Its first child (the first cell's pointer): a leaf of the lowest ids.
    let first_cell = usize::from(u16::from_be_bytes([damaged[at(root) + 12], damaged[at(root) + 13]]));
    let cell = at(root) + first_cell;
    let leaf = u32::from_be_bytes(damaged[cell..cell + 4].try_into().expect("four bytes"));
    assert_eq!(damaged[at(leaf)], 0x0D, "a leaf page of {table}");
    damaged[at(leaf) + 8..at(leaf) + page_size].fill(0xA5);
    std::fs::write(path, &damaged).expect("damage");
}

/// `apply` checks the whole file while it reads and evaluates, and writes only once the
/// check passed: a page of records it never reads (the column cache holds them) damaged
/// by another program still refuses it, and nothing is written.
#[test]
fn apply_refuses_a_workspace_damaged_where_it_does_not_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("work.sqlite");
    let spec = DemoSpec::with_leads(3_000, 3, segment_builder::clock::now());
    create_demo_workspace(&path, &spec, &mut |_, _| true).expect("demo");
    // The first apply writes the joins and the column cache; the second reads the records
    // from the cache and writes nothing.
    for _ in 0..2 {
        let output = binary().arg("apply").arg(&path).output().expect("run");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    assert!(segment_builder::engine::cache::cache_path(&path).exists(), "the records are read from the cache");
    damage_a_leaf_of(&path, "lead");
    check_refused(&path, None, &[OsStr::new("apply"), path.as_os_str()], &["is damaged"]);
}

/// `import-records` checks the workspace once, before it writes, trusting a receipt only for
/// the pages it vouches for: a leaf of records it never reads, damaged by another program
/// after a check, refuses it with a message naming the workspace, and nothing is written.
#[test]
fn import_records_refuses_a_workspace_damaged_where_it_does_not_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("work.sqlite");
    let spec = DemoSpec::with_leads(3_000, 3, segment_builder::clock::now());
    create_demo_workspace(&path, &spec, &mut |_, _| true).expect("demo");
    let csv = dir.path().join("new.csv");
    std::fs::write(&csv, "Topic\nNew\n").expect("write");
    // A passed check's receipt: it vouches for the pages before the damage, not after.
    let check = binary().arg("check").arg(&path).output().expect("run");
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    assert!(segment_builder::store::receipt_path(&path).exists(), "the check left its receipt");
    damage_a_leaf_of(&path, "lead");
    // The workspace's own message, not one about the file.
    let shown = format!("error: {}: ", path.display());
    let args =
        [OsStr::new("import-records"), path.as_os_str(), OsStr::new("--type"), OsStr::new("lead"), csv.as_os_str()];
    check_refused(&path, Some(&csv), &args, &[&shown, "is damaged"]);
}

#[test]
fn an_apply_that_changes_no_membership_retries_beside_the_check_and_writes_only_once_it_passed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("work.sqlite");
    // The demo with its rules and sellers: the applies strand members for want of capacity.
    let demo = binary().arg("demo").arg(&path).args(["--records", "3000"]).output().expect("run");
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    for _ in 0..2 {
        let output = binary().arg("apply").arg(&path).output().expect("run");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    // Room and time for every seller: the next apply changes no membership but places the
    // members earlier runs stranded.
    let mut ws = Workspace::open(&path).expect("open");
    for seller in ws.sellers().expect("sellers") {
        let free = segment_builder::domain::Seller {
            capacity: None,
            work_hours: Vec::new(),
            time_off: Vec::new(),
            assign_records: true,
            ..seller
        };
        ws.update_seller(&free).expect("free the seller");
    }
    drop(ws);
    let intact = dir.path().join("intact.sqlite");
    std::fs::copy(&path, &intact).expect("copy");
    let output = binary().arg("apply").arg(&intact).output().expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("no membership changed"), "{stdout}");
    assert!(stdout.contains("stranded lead records placed"), "{stdout}");

    // The same apply on the same file damaged where neither it nor its retry reads.
    damage_a_leaf_of(&path, "contact");
    std::fs::remove_file(&intact).expect("remove the copy");
    check_refused(&path, None, &[OsStr::new("apply"), path.as_os_str()], &["is damaged"]);
}

#[test]
fn an_apply_that_changes_memberships_writes_beside_the_check_and_commits_only_once_it_passed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("work.sqlite");
    let demo = binary().arg("demo").arg(&path).args(["--records", "3000"]).output().expect("run");
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    // The column cache, so the apply reads no record from the file.
    let preview = binary().arg("preview").arg(&path).args(["--segment", "Hot leads in Germany"]).output().expect("run");
    assert!(preview.status.success(), "{}", String::from_utf8_lossy(&preview.stderr));
    let cache = segment_builder::engine::cache::cache_path(&path);
    assert!(cache.exists(), "the preview wrote the column cache");
    // Two months on, records have left and joined the segments that go by dates.
    let later = (segment_builder::clock::now() + jiff::SignedDuration::from_hours(24 * 60)).to_string();
    let apply = |p: &Path| binary().arg("apply").arg(p).args(["--now", &later]).output().expect("run");
    // On an intact copy (with its cache) the same apply changes memberships and writes them.
    let intact = dir.path().join("intact.sqlite");
    std::fs::copy(&path, &intact).expect("copy");
    std::fs::copy(&cache, segment_builder::engine::cache::cache_path(&intact)).expect("copy the cache");
    let history = |p: &Path| -> i64 {
        rusqlite::Connection::open(p)
            .expect("plain SQLite")
            .query_row("SELECT count(*) FROM membership_history", [], |r| r.get(0))
            .expect("count")
    };
    let before = history(&intact);
    let output = apply(&intact);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(!stdout.contains("no membership changed"), "{stdout}");
    assert!(history(&intact) > before, "the apply wrote its changes");
    std::fs::remove_file(&intact).expect("remove the copy");
    std::fs::remove_file(segment_builder::engine::cache::cache_path(&intact)).expect("remove its cache");

    // Damaged where the apply does not read: its writes are made while the file is
    // checked, and never committed.
    damage_a_leaf_of(&path, "contact");
    let args = [OsStr::new("apply"), path.as_os_str(), OsStr::new("--now"), OsStr::new(&later)];
    check_refused(&path, None, &args, &["is damaged"]);
}

#[cfg(unix)]
#[test]
fn new_workspaces_the_demo_and_their_side_files_are_private_and_existing_modes_stay() {
    let dir = tempfile::tempdir().expect("temp dir");
    let leads = segment_builder::domain::RecordTypeName::new("lead");
    let write_one = |ws: &mut Workspace| {
        let fields = ws.schema().get(&leads).expect("lead").fields.len();
        let mut values = vec![Value::Empty; fields];
        values[0] = Value::Text("Private".to_owned());
        ws.insert_record(&leads, values).expect("insert");
    };
    let side = |path: &Path, suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    let check_while_written = |path: &Path, expected: u32| {
        let mut ws = Workspace::open(path).expect("open");
        write_one(&mut ws);
        assert_eq!(mode(path), expected, "{}", path.display());
        for suffix in ["-wal", "-shm"] {
            assert_eq!(mode(&side(path, suffix)), expected, "{}{suffix}", path.display());
        }
    };

    let created = dir.path().join("new.sqlite");
    drop(Workspace::create(&created).expect("create"));
    check_while_written(&created, 0o600);

    // The demo from the command line, into a folder that does not exist yet.
    let data = dir.path().join("data").join("Segment Builder");
    let demo = data.join("demo.sqlite");
    let output = binary().arg("demo").arg(&demo).args(["--records", "200"]).output().expect("run");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(mode(&data), 0o700, "the data folder");
    assert_eq!(mode(data.parent().expect("parent")), 0o700, "its missing parent");
    check_while_written(&demo, 0o600);

    // A mode the user chose stays.
    let shared = dir.path().join("shared.sqlite");
    drop(Workspace::create(&shared).expect("create"));
    set_mode(&shared, 0o644);
    check_while_written(&shared, 0o644);
    assert_eq!(mode(&shared), 0o644);
}

#[test]
fn a_version_4_workspace_is_upgraded_to_the_current_version_with_its_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = small_workspace(dir.path());
    let leads = segment_builder::domain::RecordTypeName::new("lead");
    let (records, segments) = {
        let ws = Workspace::open(&path).expect("open");
        (ws.count_records(&leads).expect("count"), ws.segments(&leads).expect("segments"))
    };
    let tables = |conn: &rusqlite::Connection| -> Vec<String> {
        let mut stmt =
            conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").expect("prepare");
        stmt.query_map([], |r| r.get(0)).expect("query").collect::<Result<_, _>>().expect("tables")
    };
    {
        // What version 4 had: no pending marks (5), no change log and its triggers (6).
        let conn = rusqlite::Connection::open(&path).expect("open");
        let triggers: Vec<String> = {
            let mut stmt = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").expect("prepare");
            stmt.query_map([], |r| r.get(0)).expect("query").collect::<Result<_, _>>().expect("triggers")
        };
        assert!(!triggers.is_empty());
        for trigger in triggers {
            conn.execute_batch(&format!("DROP TRIGGER \"{trigger}\"")).expect("drop trigger");
        }
        conn.execute_batch(
            "DROP TABLE pending_evaluation; DROP TABLE change_log; DROP TABLE change_log_horizon; PRAGMA user_version = 4;",
        )
        .expect("make version 4");
        let names = tables(&conn);
        assert!(!names.iter().any(|t| t == "pending_evaluation" || t == "change_log"), "{names:?}");
    }
    let ws = Workspace::open(&path).expect("upgraded");
    assert_eq!(ws.count_records(&leads).expect("count"), records);
    assert_eq!(ws.segments(&leads).expect("segments"), segments);
    drop(ws);
    let conn = rusqlite::Connection::open(&path).expect("open");
    let names = tables(&conn);
    for table in ["pending_evaluation", "change_log", "change_log_horizon"] {
        assert!(names.iter().any(|t| t == table), "{table} in {names:?}");
    }
    let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
    assert_eq!(version, segment_builder::store::SCHEMA_VERSION);
    let triggers: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'sb_change:%'", [], |r| {
            r.get(0)
        })
        .expect("triggers");
    assert!(triggers > 0, "the change log's triggers are back");
}

/// An export whose writes fail with `ENOSPC` (a real one: `/dev/full` answers every write
/// with it) says "disk full" and leaves no temporary file.
#[cfg(target_os = "linux")]
#[test]
fn an_export_onto_a_full_disk_says_disk_full_and_leaves_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let workspace = dir.path().join("work.sqlite");
    drop(Workspace::create(&workspace).expect("create"));
    let target = dir.path().join("out.csv");
    let files = listing(dir.path());
    let written = write_export::<()>(&target, &workspace, Overwrite::Refuse, |_| {
        use std::io::Write as _;
        let mut full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
        let wrote = full.write_all(b"a,b\n").and_then(|()| full.flush());
        wrote.map(|()| None).map_err(|e| ExportError::write(&target, e))
    });
    assert!(matches!(&written, Err(ExportError::DiskFull(path)) if *path == target), "{written:?}");
    assert_eq!(
        written.map_err(|e| e.to_string()),
        Err(format!("{}: disk full — nothing was written; free some space and try again", target.display()))
    );
    assert_eq!(listing(dir.path()), files, "nothing is left behind");
}
