//! File › "Export definitions…" / "Import definitions…", driven like a user.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use segment_builder::app::App;

mod common;
use common::harness::*;

fn open_dialog(harness: &mut Harness<'_, App>, entry: &str, file: &std::path::Path) {
    harness.get_by_label("File").click();
    harness.run_steps(3);
    harness.get_by_label(entry).click();
    harness.run_steps(10);
    type_into(harness, "Definitions file (.ron)", &file.to_string_lossy());
}

fn segment_names(app: &App) -> Option<Vec<String>> {
    let segments = app.workspace()?.segments(&lead()).ok()?;
    Some(segments.into_iter().map(|s| s.name).collect())
}

#[test]
fn definitions_are_exported_then_imported_with_the_chosen_clash_policy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, segments) = open_demo(&dir);
    let file = temp_path(&dir, "definitions.ron");

    open_dialog(&mut harness, "Export definitions…", &file);
    harness.get_by_role_and_label(Role::Button, "Export").click();
    settle(&mut harness);
    let text = std::fs::read_to_string(&file).expect("the export wrote the file");
    assert!(text.contains(&segments[0].name), "the bundle names the segments");

    // A truncated file: every problem is listed and nothing is imported.
    let broken = temp_path(&dir, "broken.ron");
    std::fs::write(&broken, &text[..text.len() / 2]).expect("write");
    open_dialog(&mut harness, "Import definitions…", &broken);
    harness.get_by_role_and_label(Role::Button, "Import").click();
    settle(&mut harness);
    assert!(
        harness.query_by_label_contains("line ").is_some(),
        "the problem names its line: {:?}",
        harness.state().state().dialog
    );
    assert_eq!(segment_names(harness.state()).expect("names").len(), segments.len(), "nothing was imported");
    // A file that does not parse is named under the path; problems in one that does are listed.
    let close = if harness.query_by_label("Close").is_some() { "Close" } else { "Cancel" };
    harness.get_by_label(close).click();
    harness.run_steps(3);
    assert!(harness.state().state().dialog.is_none(), "the dialog closes");

    // The same definitions again: the clashes are listed and "Import renamed" adds copies.
    open_dialog(&mut harness, "Import definitions…", &file);
    harness.get_by_role_and_label(Role::Button, "Import").click();
    settle(&mut harness);
    harness.run_steps(10); // the clash list replaces the path in the open modal
    harness.get_by_label("Import renamed").click();
    let copy = format!("{} (2)", segments[0].name);
    run_until(&mut harness, "the renamed segments", |app| {
        segment_names(app).is_some_and(|names| names.contains(&copy))
    });
    let names = segment_names(harness.state()).expect("names");
    assert_eq!(names.len(), segments.len() * 2, "every segment imported once more under a free name: {names:?}");
}
