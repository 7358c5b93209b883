//! The command line as a user runs it: the built binary, its exit codes and messages.

use std::process::Command;

use segment_builder::domain::RecordTypeName;
use segment_builder::store::Workspace;

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segment-builder"))
}

#[test]
fn demo_writes_a_workspace_with_the_asked_number_of_leads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("small.sqlite");
    let output = binary().args(["demo"]).arg(&path).args(["--records", "1500", "--seed", "7"]).output().expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("100%"), "progress is shown on the terminal: {stderr}");
    let ws = Workspace::open(&path).expect("the demo opens");
    assert_eq!(ws.count_records(&RecordTypeName::new("lead")).expect("count"), 1500);
    assert!(!ws.segments(&RecordTypeName::new("lead")).expect("segments").is_empty());
    assert!(!dir.path().join("small.sqlite.partial").exists(), "no temporary file is left");
}

#[test]
fn demo_refuses_to_overwrite_and_exits_non_zero() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("taken.sqlite");
    std::fs::write(&path, "mine").expect("write");
    let output = binary().args(["demo"]).arg(&path).output().expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("already exists"), "says why: {stderr}");
    assert_eq!(std::fs::read(&path).expect("read"), b"mine", "the file is untouched");
}

#[test]
fn bad_arguments_exit_non_zero_with_usage() {
    let output = binary().args(["demo", "x.sqlite", "--records", "many"]).output().expect("run");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--records"));
}
