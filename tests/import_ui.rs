//! "Import CSV…" on the Records screen, driven like a user.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use segment_builder::app::{App, Dialog};

mod common;
use common::harness::*;

fn lead_count(harness: &Harness<'_, App>) -> u64 {
    harness.state().workspace().expect("workspace").count_records(&lead()).expect("count")
}

fn open_import(harness: &mut Harness<'_, App>, csv: &std::path::Path) {
    harness.get_by_label("Records").click();
    settle(harness);
    harness.get_by_label("Import CSV…").click();
    harness.run_steps(10);
    type_into(harness, "CSV file", &csv.to_string_lossy());
    harness.get_by_label("Read file").click();
    harness.run_steps(4);
}

#[test]
fn a_csv_is_imported_all_or_nothing_or_only_its_valid_rows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, _) = open_demo(&dir);
    let before = lead_count(&harness);

    // A file with one bad row: nothing is written, the problem is named by line and column.
    let csv = temp_path(&dir, "leads.csv");
    std::fs::write(&csv, "Topic,Lead score,Country\nFirst import,10,Iceland\nSecond import,lots,Norway\n")
        .expect("write");
    open_import(&mut harness, &csv);
    let Some(Dialog::ImportRecords(form)) = &harness.state().state().dialog else { panic!("the import dialog") };
    assert_eq!(form.headers, ["Topic", "Lead score", "Country"]);
    assert!(form.mapping.iter().all(|m| m.target.is_some()), "columns matched by label: {:?}", form.mapping);
    harness.get_by_role_and_label(Role::Button, "Import").click();
    settle(&mut harness);
    harness.get_by_label("Nothing was imported");
    harness.get_by_label("line 3, column \"Lead score\": \"lots\" is not a whole number");
    assert_eq!(lead_count(&harness), before, "a failed import writes nothing");

    // Only the valid rows.
    harness.get_by_label("Import only the valid rows (leave out rows with problems)").click();
    harness.run_steps(3);
    harness.get_by_role_and_label(Role::Button, "Import").click();
    settle(&mut harness);
    assert!(harness.state().state().dialog.is_none(), "the dialog closes after importing");
    assert_eq!(lead_count(&harness), before + 1);
    harness.get_by_label("Imported: 1 added, 0 updated, 0 skipped");

    // A clean file imports everything and the table shows it.
    std::fs::write(&csv, "Topic,Country\nThird import,Iceland\nFourth import,Norway\n=SUM(A1) import,Chile\n")
        .expect("write");
    open_import(&mut harness, &csv);
    harness.get_by_role_and_label(Role::Button, "Import").click();
    settle(&mut harness);
    assert_eq!(lead_count(&harness), before + 4);
    type_into(&mut harness, "Filter", "import");
    settle(&mut harness);
    // The ids come first, the rows the table shows in a second answer.
    wait_for_label(&mut harness, "Fourth import");

    // Export CSV… writes the filtered table; a formula-like cell is neutralised.
    harness.get_by_label("Export CSV…").click();
    harness.run_steps(10);
    let exported = temp_path(&dir, "exported.csv");
    type_into(&mut harness, "CSV file", &exported.to_string_lossy());
    harness.get_by_role_and_label(Role::Button, "Export").click();
    settle(&mut harness);
    let text = std::fs::read_to_string(&exported).expect("the export");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("id,Topic"), "{}", lines[0]);
    assert_eq!(lines.len(), 1 + 4, "the header and the four imported leads the filter shows");
    assert!(text.contains("'=SUM(A1) import"), "{text}");
    assert!(text.contains("Fourth import"));
}
