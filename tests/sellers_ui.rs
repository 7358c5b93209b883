//! The Sellers & teams screen driven like a user (issue 6): add and edit sellers, change
//! several at once, make a team, refuse a bad email, and ask before deleting.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use egui::Modifiers;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use segment_builder::app::App;
use segment_builder::domain::{AttributeDefinition, Record, RecordId, Seller, SellerId, Team, Value};
use segment_builder::store::Workspace;

use common::harness::*;

fn seller(name: &str) -> Seller {
    Seller {
        id: SellerId(0),
        name: name.to_owned(),
        email: format!("{}@example.com", name.to_lowercase()),
        time_zone: "Europe/Berlin".into(),
        attributes: BTreeMap::new(),
        capacity: None,
        work_hours: Vec::new(),
        time_off: Vec::new(),
        assign_records: true,
    }
}

/// A workspace with Language (German, English) and the sellers named; Ana owns two leads.
fn workspace(dir: &tempfile::TempDir, sellers: &[&str]) -> std::path::PathBuf {
    let path = temp_path(dir, "ws.sqlite");
    let mut ws = Workspace::create(&path).expect("create");
    ws.insert_attribute_definition(&AttributeDefinition {
        name: "Language".into(),
        values: vec!["German".into(), "English".into()],
    })
    .expect("definition");
    for name in sellers {
        let id = ws.add_seller(&seller(name)).expect("seller");
        if *name == "Ana" {
            let def = ws.schema().get(&lead()).expect("lead").clone();
            for _ in 0..2 {
                let mut record = Record::empty(RecordId(0), &def);
                assert!(record.set(&def, "owner", Value::Owner(id)));
                ws.insert_record(&lead(), record.values).expect("lead");
            }
        }
    }
    path
}

fn open_sellers(path: &Path) -> Harness<'static, App> {
    let mut harness = open_app(path);
    click(&mut harness, "Sellers & teams");
    harness
}

fn click(harness: &mut Harness<'_, App>, label: &str) {
    harness.get_by_label(label).click();
    harness.run_steps(3);
}

fn stored(harness: &Harness<'_, App>) -> Vec<Seller> {
    harness.state().workspace().expect("workspace").sellers().expect("sellers")
}

fn stored_named(harness: &Harness<'_, App>, name: &str) -> Seller {
    stored(harness).into_iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no seller {name} stored"))
}

#[test]
fn a_seller_is_added_by_clicking_and_typing() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = open_sellers(&workspace(&dir, &[]));
    harness.get_by_label("No sellers yet — Add seller…");
    click(&mut harness, "Add seller…");
    type_into(&mut harness, "Name", "Dana Scully");
    type_into(&mut harness, "Email", "dana@example.com");
    click(&mut harness, "German");
    click(&mut harness, "Add seller");

    let dana = stored_named(&harness, "Dana Scully");
    assert_eq!(dana.email, "dana@example.com");
    assert_eq!(dana.attributes.get("Language"), Some(&vec!["German".to_owned()]));
    assert_eq!(dana.capacity, None, "unlimited by default");
    assert!(dana.assign_records);
    let view = harness.state().state().view.as_ref().expect("view");
    assert_eq!(view.sellers.len(), 1, "the view is refreshed");
}

#[test]
fn capacity_and_attributes_are_edited_and_saved() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = open_sellers(&workspace(&dir, &["Ana", "Bo"]));
    click(&mut harness, "Ana");
    click(&mut harness, "At most");
    type_into(&mut harness, "Open records at most", "7");
    click(&mut harness, "English");
    click(&mut harness, "Assign records");
    click(&mut harness, "Save");

    let ana = stored_named(&harness, "Ana");
    assert_eq!(ana.capacity, Some(7));
    assert_eq!(ana.attributes.get("Language"), Some(&vec!["English".to_owned()]));
    assert!(!ana.assign_records);
    assert_eq!(stored_named(&harness, "Bo").capacity, None);
}

#[test]
fn two_sellers_get_a_capacity_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = open_sellers(&workspace(&dir, &["Ana", "Bo", "Cy"]));
    click(&mut harness, "Ana");
    harness.get_by_label("Bo").click_modifiers(Modifiers::COMMAND);
    harness.run_steps(3);
    harness.get_by_label("Set for 2 sellers");
    click(&mut harness, "Change capacity");
    click(&mut harness, "At most");
    type_into(&mut harness, "Capacity for all", "5");
    click(&mut harness, "Apply to 2 sellers");

    assert_eq!(stored_named(&harness, "Ana").capacity, Some(5));
    assert_eq!(stored_named(&harness, "Bo").capacity, Some(5));
    assert_eq!(stored_named(&harness, "Cy").capacity, None);

    // Tick boxes select too: Shift-click makes a range.
    click(&mut harness, "Clear selection");
    click(&mut harness, "Select Cy");
    harness.get_by_label("Ana").click_modifiers(Modifiers::SHIFT);
    harness.run_steps(3);
    harness.get_by_label("Set for 3 sellers");
}

#[test]
fn a_team_is_created_with_two_members() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = open_sellers(&workspace(&dir, &["Ana", "Bo", "Cy"]));
    click(&mut harness, "Teams (0)");
    harness.get_by_label("No teams yet — New team…");
    click(&mut harness, "New team…");
    type_into(&mut harness, "Team name", "Inside sales");
    click(&mut harness, "Ana");
    click(&mut harness, "Cy");
    click(&mut harness, "Create team");

    let teams: Vec<Team> = harness.state().workspace().expect("workspace").teams().expect("teams");
    assert_eq!(teams.len(), 1);
    assert_eq!(teams[0].name, "Inside sales");
    let names: Vec<String> = teams[0]
        .members
        .iter()
        .map(|id| stored(&harness).into_iter().find(|s| s.id == *id).expect("member").name)
        .collect();
    assert_eq!(names, vec!["Ana".to_owned(), "Cy".to_owned()]);
    assert_eq!(harness.state().state().view.as_ref().expect("view").teams.len(), 1);
}

#[test]
fn a_bad_email_shows_the_problem_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = open_sellers(&workspace(&dir, &["Ana"]));
    let before = stored(&harness);
    click(&mut harness, "Add seller…");
    type_into(&mut harness, "Name", "Eve");
    type_into(&mut harness, "Email", "eve@nowhere");
    harness.get_by_label_contains("\"eve@nowhere\" is not an email address");
    click(&mut harness, "Add seller");
    harness.get_by_label_contains("seller Eve: the email \"eve@nowhere\" is not an address like name@example.com");
    assert_eq!(stored(&harness), before);

    // Editing an existing seller: the same, and the stored one stays.
    click(&mut harness, "Cancel");
    click(&mut harness, "Ana");
    type_into(&mut harness, "Email", "ana at example");
    click(&mut harness, "Save");
    harness.get_by_label_contains("the email \"ana at example\" is not an address");
    assert_eq!(stored(&harness), before);
}

#[test]
fn deleting_a_seller_asks_first_and_names_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = open_sellers(&workspace(&dir, &["Ana", "Bo"]));
    click(&mut harness, "Ana");
    click(&mut harness, "Delete…");
    harness.run_steps(10);
    harness.get_by_label("Delete seller?");
    harness.get_by_label_contains("They own 2 records");
    click(&mut harness, "Cancel");
    harness.run_steps(5);
    assert_eq!(stored(&harness).len(), 2, "Cancel deletes nothing");

    click(&mut harness, "Delete…");
    harness.run_steps(10);
    click(&mut harness, "Delete seller");
    settle(&mut harness);
    let names: Vec<String> = stored(&harness).into_iter().map(|s| s.name).collect();
    assert_eq!(names, vec!["Bo".to_owned()]);
    assert_eq!(harness.state().state().view.as_ref().expect("view").sellers.len(), 1);
}

/// The demo on the Sellers & teams screen with its first seller in the editor.
fn demo_seller_open(dir: &tempfile::TempDir) -> (Harness<'static, App>, Seller) {
    let (mut harness, _) = open_demo(dir);
    click(&mut harness, "Sellers & teams");
    settle(&mut harness);
    let first = stored(&harness).into_iter().next().expect("the demo has sellers");
    click(&mut harness, &first.name);
    (harness, first)
}

/// Editing a seller never moves the editor's buttons (a click on Save must not land on
/// Discard), attribute values wrap whole, and work hours show whole times.
#[test]
fn the_seller_editor_stays_put_while_editing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, first) = demo_seller_open(&dir);
    let place = |harness: &Harness<'_, App>| {
        let save = harness.get_by_role_and_label(Role::Button, "Save").rect();
        let discard = harness.get_by_role_and_label(Role::Button, "Discard").rect();
        let name = harness.get_by_role_and_label(Role::TextInput, "Name").rect();
        (save, discard, name)
    };
    let before = place(&harness);
    type_into(&mut harness, "Name", &format!("{} Longname-Hyphenated", first.name));
    harness.run_steps(4);
    assert!(harness.state().state().sellers.has_unsaved_edits(), "the edit was taken");
    assert_eq!(place(&harness), before, "Save, Discard and the fields stay where they were");

    let japanese = harness.get_by_label("Japanese").rect();
    assert!(japanese.height() < 30.0 && japanese.width() > japanese.height(), "one line: {japanese:?}");
    let monday = harness.get_by_label("Monday from").rect();
    let needed = harness.ctx.fonts_mut(|f| {
        f.layout_no_wrap("09:00".into(), egui::FontId::proportional(14.0), egui::Color32::WHITE).size().x
    });
    assert!(monday.width() >= needed + 8.0, "\"09:00\" fits in {monday:?} (needs {needed})");
}

/// The seller editor keeps the width it opened with: its attribute values wrap inside it
/// instead of widening the panel over the list.
#[test]
fn the_seller_editor_wraps_inside_its_panel() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, _) = demo_seller_open(&dir);
    harness.run_steps(4);
    let name = harness.get_by_role_and_label(Role::TextInput, "Name").rect();
    let japanese = harness.get_by_label("Japanese").rect();
    // The panel opens 480 px wide at the right edge of the 1280 px window.
    assert!(name.left() > 1280.0 - 480.0 - 20.0, "the editor did not widen: {name:?}");
    assert!(japanese.right() <= 1280.0, "{japanese:?}");
    assert!(japanese.top() > name.bottom(), "{japanese:?}");
}
