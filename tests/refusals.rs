//! What the app refuses, and that a refusal changes nothing: exports never write over the
//! workspace, a SQLite database or (without `--force` / "Replace") an existing file; bad
//! CSV quoting, misplaced thousands separators, unknown bundle keys and conditions nested
//! too deep are refused with their place. Every refusal checks the message (place and
//! reason), that the workspace's bytes are unchanged and that no file appeared beside it.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use segment_builder::app::{App, Command as AppCommand, Dialog};
use segment_builder::demo::{DemoSpec, create_demo_workspace};
use segment_builder::domain::Value;
use segment_builder::store::Workspace;
use segment_builder::worker::export::{Overwrite, write_export};

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
        file.write_all(b"a,b\n").map(Some).map_err(|e| e.to_string())
    });
    let error = written.expect_err("refused");
    assert!(error.contains("is a SQLite database"), "{error}");
    assert_eq!(bytes(&target), bytes(&workspace), "the database is untouched");
    std::fs::remove_file(&target).expect("remove");

    // A file appears at a target that was free (no --force): it is not replaced.
    let written = write_export(&target, &workspace, Overwrite::Refuse, |_| {
        std::fs::write(&target, "someone else's").expect("a file appears");
        Ok(Some(()))
    });
    assert!(written.expect_err("refused").contains("exists already"));
    assert_eq!(bytes(&target), b"someone else's");
    std::fs::remove_file(&target).expect("remove");

    // A failed or cancelled write leaves neither the target nor the temporary file.
    let failed = write_export::<()>(&target, &workspace, Overwrite::Refuse, |_| Err("disk on fire".to_owned()));
    assert_eq!(failed, Err("disk on fire".to_owned()));
    let cancelled = write_export::<()>(&target, &workspace, Overwrite::Refuse, |_| Ok(None));
    assert_eq!(cancelled, Ok(None));
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
    // (A preview opens the workspace for reading before the file; its side files are the
    // store's business, so only the message is checked here.)
    let output = binary().args(&args).output().expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("line 1, column") && stderr.contains("conditions nested deeper than 10 levels"),
        "{stderr}"
    );
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
        for show in [AppCommand::ShowExportMembers(segment), AppCommand::ShowExportRecords] {
            harness.state_mut().apply(show);
            harness.state_mut().apply(AppCommand::SetDialogText(target.display().to_string()));
            harness.state_mut().apply(AppCommand::SubmitExport);
            harness.run_steps(3);
            let error = dialog_error(harness.state()).expect("refused in the dialog");
            assert!(error.contains(&target.display().to_string()) && error.contains(expected), "{error}");
            harness.state_mut().apply(AppCommand::CloseDialog);
        }
        assert_eq!((bytes(&workspace), bytes(&other_db)), before, "nothing was written");
    }
    assert_eq!(listing(dir.path()), files, "no file appeared");

    // An ordinary file: "Replace …?"; Cancel goes back, Replace writes.
    harness.state_mut().apply(AppCommand::ShowExportMembers(segment));
    harness.state_mut().apply(AppCommand::SetDialogText(existing.display().to_string()));
    harness.state_mut().apply(AppCommand::SubmitExport);
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
    assert!(text.starts_with("Record,Title,Member since"), "the members replaced the file: {text}");
    #[cfg(unix)]
    assert_eq!(mode(&existing), 0o640, "the replaced file keeps its mode");

    // A new records export is readable by its owner only.
    let fresh = dir.path().join("records.csv");
    harness.state_mut().apply(AppCommand::ShowScreen(segment_builder::app::Screen::Records));
    settle(&mut harness);
    harness.state_mut().apply(AppCommand::ShowExportRecords);
    harness.state_mut().apply(AppCommand::SetDialogText(fresh.display().to_string()));
    harness.state_mut().apply(AppCommand::SubmitExport);
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
    harness.state_mut().apply(AppCommand::ShowImportRecords);
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
