//! UI flows driven like a user: by labels, clicks and typing, then checked on the app's
//! state and on what was stored.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

use segment_builder::app::{App, Loadable, Startup};
use segment_builder::demo::{DemoSpec, create_demo_workspace};
use segment_builder::domain::{RecordTypeName, Value};
use segment_builder::store::Workspace;
use segment_builder::ui::theme::thousands;

mod common;
use common::harness::*;

#[test]
fn demo_workspace_shows_its_segments_and_record_counts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "demo.sqlite");
    let spec = DemoSpec::standard(segment_builder::clock::now());
    create_demo_workspace(&path, &spec, &mut |_, _| true).expect("demo workspace");
    let (segments, counts) = {
        let ws = Workspace::open(&path).expect("open demo");
        let segments = ws.segments(&lead()).expect("segments");
        let counts: Vec<(String, u64)> = ws
            .schema()
            .types
            .iter()
            .map(|t| (t.plural_label.to_lowercase(), ws.count_records(&t.name).expect("count")))
            .collect();
        (segments, counts)
    };
    assert!(segments.len() >= 3, "the demo has lead segments");

    let harness = open_app(&path);
    for segment in &segments {
        harness.get_by_role_and_label(Role::Button, &segment.name);
    }
    // The status bar lists every type's count.
    for (label, count) in &counts {
        assert!(*count > 0, "the demo has {label}");
    }
    let status: Vec<String> = counts.iter().map(|(label, count)| format!("{} {label}", thousands(*count))).collect();
    harness.get_by_label(&status.join(" · "));
}

#[test]
fn records_screen_adds_edits_and_deletes_a_record() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "ws.sqlite");
    drop(Workspace::create(&path).expect("create"));
    let mut harness = open_app(&path);

    harness.get_by_label("Records").click();
    settle(&mut harness);
    harness.get_by_label("No leads yet");

    // Add: a bad score blocks saving and says why; fixing it saves.
    harness.get_by_label("Add lead…").click();
    harness.run_steps(4);
    type_into(&mut harness, "Topic", "Émile's big deal");
    type_into(&mut harness, "Country", "Germany");
    type_into(&mut harness, "Lead score", "high");
    harness.get_by_label_contains("is not a whole number");
    assert!(harness.get_by_label("Save").accesskit_node().is_disabled(), "a field with a problem blocks Save");
    type_into(&mut harness, "Lead score", "75");
    harness.get_by_label("Save").click();
    settle(&mut harness);

    let stored = {
        let ws = harness.state().workspace().expect("workspace");
        ws.all_records(&lead()).expect("records")
    };
    assert_eq!(stored.len(), 1);
    let def = harness.state().state().view.as_ref().and_then(|v| v.record_type(&lead()).cloned()).expect("lead type");
    let record = &stored[0];
    assert_eq!(record.get(&def, "topic"), &Value::Text("Émile's big deal".into()));
    assert_eq!(record.get(&def, "country"), &Value::Text("Germany".into()));
    assert_eq!(record.get(&def, "score"), &Value::WholeNumber(75));
    assert!(matches!(record.get(&def, "created_on"), Value::DateTime(_)), "new records default to now");

    // Edit: select the row, change the topic.
    run_until(&mut harness, "the new row", |app| !app.state().records.rows.is_empty());
    harness.get_by_label("Émile's big deal").click();
    harness.run_steps(4);
    harness.get_by_label("Edit…").click();
    harness.run_steps(4);
    type_into(&mut harness, "Topic", "Renewal");
    harness.get_by_label("Save").click();
    settle(&mut harness);
    let stored = harness.state().workspace().expect("workspace").all_records(&lead()).expect("records");
    assert_eq!(stored[0].get(&def, "topic"), &Value::Text("Renewal".into()));
    assert_eq!(stored[0].get(&def, "score"), &Value::WholeNumber(75), "other fields are kept");

    // Delete: asks first, then deletes.
    run_until(&mut harness, "the edited row", |app| {
        app.state().records.rows.values().any(|r| r.get(&def, "topic") == &Value::Text("Renewal".into()))
    });
    harness.get_by_label("Delete…").click();
    harness.run_steps(4);
    harness.get_by_label_contains("will be deleted");
    harness.get_by_label("Delete").click();
    settle(&mut harness);
    let stored = harness.state().workspace().expect("workspace").all_records(&lead()).expect("records");
    assert!(stored.is_empty(), "the record is gone");
    harness.get_by_label("No leads yet");
}

#[test]
fn a_foreign_file_is_refused_with_a_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "notes.sqlite");
    std::fs::write(&path, "just some notes, not a database\n").expect("write");
    let before = std::fs::read(&path).expect("read");
    let mut harness = harness(App::new(Startup::Open(path.clone()), Vec::new()));
    run_until(&mut harness, "the refusal", |app| !app.state().notices.is_empty());
    harness.get_by_label_contains("not a Segment Builder workspace");
    assert!(harness.state().state().view.is_none());
    assert_eq!(std::fs::read(&path).expect("read"), before, "the file is unchanged");
}

#[test]
fn a_missing_workspace_is_created_after_asking() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "new.sqlite");
    let mut harness = harness(App::new(Startup::Open(path.clone()), Vec::new()));
    harness.run_steps(4);
    harness.get_by_label_contains("There is no workspace at");
    assert!(!path.exists(), "nothing is created before the user agrees");
    harness.get_by_label("Create workspace").click();
    run_until(&mut harness, "the new workspace", |app| app.state().view.is_some());
    assert!(path.is_file());
    let view = harness.state().state().view.as_ref().expect("view");
    let types: Vec<&str> = view.schema.types.iter().map(|t| t.name.as_str()).collect();
    for built_in in ["lead", "opportunity", "contact", "account"] {
        assert!(types.contains(&built_in), "{built_in} is there");
    }
}

#[test]
fn custom_fields_and_record_types_are_added_from_the_window() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "ws.sqlite");
    drop(Workspace::create(&path).expect("create"));
    let mut harness = open_app(&path);
    harness.get_by_label("Records").click();
    settle(&mut harness);

    // A choice field on leads.
    harness.get_by_label("Add field…").click();
    harness.run_steps(4);
    type_into(&mut harness, "Field name", "Preferred region");
    open_combo(&mut harness, "Text");
    harness.get_by_label("Choice").click();
    harness.run_steps(3);
    type_into(&mut harness, "Options", "North, South\nWest");
    harness.get_by_label("Add field").click();
    settle(&mut harness);
    let schema = harness.state().workspace().expect("workspace").schema().clone();
    let field = schema.get(&lead()).and_then(|t| t.field_by_str("preferred_region")).expect("the new field");
    assert_eq!(field.label, "Preferred region");
    assert_eq!(field.choices, ["North", "South", "West"]);
    harness.get_by_label("Add lead…").click();
    harness.run_steps(4);
    harness.get_by_label("Preferred region");
    harness.run_steps(10);
    harness.get_by_label("Cancel").click();
    run_until(&mut harness, "the form to close", |app| app.state().records.editor.is_none());

    // A choice field without options is refused with a reason, and nothing is added.
    harness.get_by_label("Add field…").click();
    harness.run_steps(4);
    type_into(&mut harness, "Field name", "Tier");
    open_combo(&mut harness, "Text");
    harness.get_by_label("Choice").click();
    harness.run_steps(3);
    harness.get_by_label("Add field").click();
    harness.run_steps(3);
    harness.get_by_label("A choice field needs at least one option");
    harness.get_by_label("Cancel").click();
    harness.run_steps(3);
    let schema = harness.state().workspace().expect("workspace").schema().clone();
    assert!(schema.get(&lead()).and_then(|t| t.field_by_str("tier")).is_none());

    // A record type of our own.
    open_combo(&mut harness, "Leads");
    harness.get_by_label("New record type…").click();
    harness.run_steps(4);
    type_into(&mut harness, "Name (singular)", "Project");
    harness.get_by_label("Create record type").click();
    settle(&mut harness);
    let schema = harness.state().workspace().expect("workspace").schema().clone();
    let project = schema.get_by_str("project").expect("the new type");
    assert_eq!(project.plural_label, "Projects");
    assert_eq!(harness.state().state().record_type.as_ref().map(|t| t.as_str()), Some("project"));
    harness.get_by_label("No projects yet");
}

#[test]
fn the_preview_of_a_segment_equals_the_reference_evaluator() {
    use segment_builder::domain::{EvalContext, Status};

    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "demo.sqlite");
    create_demo_workspace(&path, &DemoSpec::standard(segment_builder::clock::now()), &mut |_, _| true).expect("demo");
    let (dataset, time_zone) = reference_dataset(&path);
    let segments = Workspace::open(&path).expect("open").segments(&lead()).expect("segments");

    let mut harness = open_app(&path);
    // The third segment has active segments above it that claim some of its matches.
    let chosen = &segments[2];
    harness.get_by_role_and_label(Role::Button, &chosen.name).click();
    run_until(&mut harness, "the preview", |app| {
        let preview = &app.state().preview;
        preview.segment == Some(chosen.id) && matches!(preview.result, Loadable::Ready(_))
    });

    let ctx = EvalContext::new(segment_builder::clock::now(), time_zone);
    let matching = dataset.matching(&ctx, &lead(), &chosen.conditions);
    let higher: Vec<_> = segments
        .iter()
        .filter(|s| s.priority < chosen.priority && s.status == Status::Active)
        .map(|s| dataset.matching(&ctx, &lead(), &s.conditions))
        .collect();
    let claimed = matching.iter().filter(|id| higher.iter().any(|h| h.contains(id))).count();
    assert!(!matching.is_empty() && claimed > 0, "the case exercises both counts");

    let outcome = harness.state().state().preview.result.latest().cloned().expect("outcome");
    assert_eq!(outcome.matches, matching.len());
    assert_eq!(outcome.claimed_by_higher, claimed);
    assert_eq!(outcome.would_join, matching.len() - claimed);
    assert!(outcome.rows.iter().all(|row| matching.contains(&row.record.id)), "listed records match");
    let claimed_rows = outcome.rows.iter().filter(|row| row.claimed_by.is_some()).count();
    assert!(
        outcome.rows.iter().all(|row| row.claimed_by.is_some() == higher.iter().any(|h| h.contains(&row.record.id))),
        "rows name their claiming segment exactly when a higher one matches ({claimed_rows} claimed)"
    );
    assert!(harness.get_all_by_label(&thousands(matching.len() as u64)).next().is_some(), "the count is on screen");
}

#[test]
fn records_sort_by_a_column_and_filter_by_text() {
    use segment_builder::domain::RecordId;

    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "ws.sqlite");
    let ids: Vec<RecordId> = {
        let mut ws = Workspace::create(&path).expect("create");
        let def = ws.schema().get(&lead()).cloned().expect("lead");
        let mut add = |topic: &str, country: Option<&str>| {
            let mut record = segment_builder::domain::Record::empty(RecordId(0), &def);
            record.set(&def, "topic", Value::Text(topic.into()));
            if let Some(country) = country {
                record.set(&def, "country", Value::Text(country.into()));
            }
            ws.insert_record(&lead(), record.values).expect("insert")
        };
        vec![add("Beta deal", Some("Belgium")), add("Alpha deal", Some("austria")), add("No country", None)]
    };
    let mut harness = open_app(&path);
    harness.get_by_label("Records").click();
    settle(&mut harness);
    let shown = |harness: &Harness<'_, App>| harness.state().state().records.ids.latest().cloned().unwrap_or_default();
    assert_eq!(shown(&harness), ids, "by id until sorted");

    harness.get_by_label("Country").click();
    settle(&mut harness);
    assert_eq!(shown(&harness), [ids[1], ids[0], ids[2]], "ascending, case ignored, empty last");
    harness.get_by_label("Country ⏶").click();
    settle(&mut harness);
    assert_eq!(shown(&harness), [ids[0], ids[1], ids[2]], "descending, empty still last");

    type_into(&mut harness, "Filter", "ALPHA");
    settle(&mut harness);
    assert_eq!(shown(&harness), [ids[1]]);
    harness.get_by_label_contains("1 of 3 records");
}

#[test]
fn every_text_of_the_demo_has_glyphs_in_the_bundled_fonts() {
    use std::collections::BTreeSet;

    let spec = DemoSpec::standard(segment_builder::clock::now());
    let schema = segment_builder::domain::Schema::built_in();
    let sellers = segment_builder::demo::sellers(&spec);
    let seller_ids: Vec<_> = (1..=sellers.len() as i64).map(segment_builder::domain::SellerId).collect();
    let mut texts = BTreeSet::new();
    for def in &schema.types {
        let rows: Box<dyn Iterator<Item = Vec<Value>>> = match def.name.as_str() {
            "lead" => Box::new(segment_builder::demo::leads(&spec, def, &seller_ids)),
            "account" => Box::new(segment_builder::demo::accounts(&spec, def, &seller_ids)),
            "contact" => Box::new(segment_builder::demo::contacts(&spec, def, &seller_ids)),
            _ => Box::new(segment_builder::demo::opportunities(&spec, def, &seller_ids)),
        };
        for value in rows.flatten() {
            if let Value::Text(text) | Value::Choice(text) = value {
                texts.insert(text);
            }
        }
    }
    texts.extend(sellers.iter().map(|s| s.name.clone()));
    // Every distinct character once: laying it out panics on a glyph the fonts lack.
    let characters: String = texts.iter().flat_map(|t| t.chars()).collect::<BTreeSet<char>>().into_iter().collect();
    let mut harness = Harness::new_ui(|ui| {
        ui.label(&characters);
    });
    harness.run();
}

#[test]
fn undo_takes_back_adding_editing_and_deleting_a_record() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "ws.sqlite");
    drop(Workspace::create(&path).expect("create"));
    let mut harness = open_app(&path);
    harness.get_by_label("Records").click();
    settle(&mut harness);
    let def = harness.state().state().view.as_ref().and_then(|v| v.record_type(&lead()).cloned()).expect("lead");
    let stored =
        |harness: &Harness<'_, App>| harness.state().workspace().expect("ws").all_records(&lead()).expect("all");

    harness.get_by_label("Add lead…").click();
    harness.run_steps(4);
    type_into(&mut harness, "Topic", "Keep me");
    harness.get_by_label("Save").click();
    settle(&mut harness);
    let kept = stored(&harness)[0].clone();

    // Edit, then undo the edit: the old values are back.
    run_until(&mut harness, "the row", |app| !app.state().records.rows.is_empty());
    harness.get_by_label("Keep me").click();
    harness.run_steps(3);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(6);
    type_into(&mut harness, "Topic", "Changed");
    harness.get_by_label("Save").click();
    settle(&mut harness);
    assert_eq!(stored(&harness)[0].get(&def, "topic"), &Value::Text("Changed".into()));
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(stored(&harness), std::slice::from_ref(&kept), "Ctrl+Z restored the values");

    // Delete, then undo: the record is back with its id.
    run_until(&mut harness, "the row", |app| app.state().records.rows.contains_key(&kept.id));
    harness.get_by_label("Keep me").click();
    harness.run_steps(3);
    harness.get_by_label("Delete…").click();
    harness.run_steps(6);
    harness.get_by_label("Delete").click();
    settle(&mut harness);
    assert!(stored(&harness).is_empty());
    harness.get_by_label("Undo").click();
    settle(&mut harness);
    assert_eq!(stored(&harness), std::slice::from_ref(&kept), "the deleted record is back, same id");

    // What is left to undo is the add: undoing it removes the record.
    harness.get_by_label("Undo").click();
    settle(&mut harness);
    assert!(stored(&harness).is_empty(), "undoing the add removes the record");
    assert!(harness.get_by_label("Undo").accesskit_node().is_disabled(), "nothing left to undo");
}

#[test]
fn dragging_a_segment_to_the_top_saves_the_new_priority_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, segments) = open_demo(&dir);
    let names: Vec<String> = segments.iter().map(|s| s.name.clone()).collect();
    // Select the third: active segments above it claim some of its matches.
    harness.get_by_role_and_label(Role::Button, &names[2]).click();
    let claimed = |app: &App| {
        let preview = &app.state().preview;
        match &preview.result {
            Loadable::Ready(outcome) if preview.segment == Some(segments[2].id) => Some(outcome.claimed_by_higher),
            _ => None,
        }
    };
    run_until(&mut harness, "the preview of the third segment", |app| claimed(app).is_some());
    assert!(claimed(harness.state()).is_some_and(|n| n > 0), "higher segments claim some of its matches");
    let third = harness.get_by_role_and_label(Role::Button, &names[2]).rect().center();
    let first = harness.get_by_role_and_label(Role::Button, &names[0]).rect();

    harness.hover_at(third);
    harness.step();
    harness.drag_at(third);
    harness.step();
    // Move in small steps, as a hand would, to above the middle of the first row.
    let target = egui::pos2(third.x, first.top() - 4.0);
    for i in 1..=20 {
        let t = i as f32 / 20.0;
        harness.hover_at(third + (target - third) * t);
        harness.step();
    }
    harness.drop_at(target);
    harness.run_steps(60);
    // Active segments trade places: the impact shows first.
    apply_impact(&mut harness);

    let mut expected = names.clone();
    let moved = expected.remove(2);
    expected.insert(0, moved);
    assert_eq!(stored_names(&harness), expected, "the stored order has the third segment on top");
    let view = harness.state().state().view.as_ref().expect("view");
    let shown: Vec<&str> = view.segments_of(&lead()).iter().map(|s| s.name.as_str()).collect();
    assert_eq!(shown, expected, "the list shows the stored order");
    assert_eq!(view.segments_of(&lead())[0].priority, 0);
    run_until(&mut harness, "the new preview", |app| claimed(app) == Some(0));
}

#[test]
fn alt_up_and_the_move_buttons_change_the_stored_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, segments) = open_demo(&dir);
    let names: Vec<String> = segments.iter().map(|s| s.name.clone()).collect();
    harness.get_by_role_and_label(Role::Button, &names[2]).click();
    settle(&mut harness);
    assert_eq!(harness.state().state().selected_segment, Some(segments[2].id));

    harness.key_press_modifiers(egui::Modifiers::ALT, egui::Key::ArrowUp);
    // Both are active: the impact of the new order shows before it is stored.
    apply_impact(&mut harness);
    let mut expected = names.clone();
    expected.swap(1, 2);
    assert_eq!(stored_names(&harness), expected, "Alt+Up moved the selected segment one place up");
    assert_eq!(harness.state().state().selected_segment, Some(segments[2].id), "it stays selected");

    harness.get_by_label("Move selected down").click();
    apply_impact(&mut harness);
    assert_eq!(stored_names(&harness), names, "Move down put it back");

    // The row's context menu moves that row, selected or not.
    harness.get_by_role_and_label(Role::Button, &names[1]).click_secondary();
    harness.run_steps(4);
    harness.get_by_label("Move up").click();
    apply_impact(&mut harness);
    let mut expected = names.clone();
    expected.swap(0, 1);
    assert_eq!(stored_names(&harness), expected, "the context menu moved the second segment up");
    harness.get_by_role_and_label(Role::Button, &names[1]).click_secondary();
    harness.run_steps(4);
    harness.get_by_label("Move down").click();
    apply_impact(&mut harness);
    assert_eq!(stored_names(&harness), names);

    // While the search filters the list, the keyboard does not reorder.
    type_into(&mut harness, "Search", &names[2]);
    harness.get_by_label_contains("Clear the search to reorder");
    harness.key_press_modifiers(egui::Modifiers::ALT, egui::Key::ArrowUp);
    settle(&mut harness);
    assert_eq!(stored_names(&harness), names, "no reordering while filtered");
}

#[test]
fn new_segment_is_stored_as_a_draft_at_the_bottom_and_selected() {
    use segment_builder::domain::{Group, NodeId, Status};

    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, segments) = open_demo(&dir);

    harness.get_by_label("New segment…").click();
    harness.run_steps(4);
    assert!(harness.get_by_role_and_label(Role::TextInput, "Segment name").is_focused(), "ready to type the name");
    type_into(&mut harness, "Segment name", "Fresh leads");
    type_into(&mut harness, "Description", "Made in a test");
    harness.get_by_label("Create segment").click();
    settle(&mut harness);
    let stored = stored_segments(&harness);
    assert_eq!(stored.len(), segments.len() + 1);
    let created = stored.last().expect("the new segment");
    assert_eq!(created.name, "Fresh leads");
    assert_eq!(created.description, "Made in a test");
    assert_eq!(created.status, Status::Draft);
    assert_eq!(created.conditions, Group::all(NodeId(0)));
    assert_eq!(harness.state().state().selected_segment, Some(created.id), "the new segment is selected");
    assert!(harness.state().state().dialog.is_none());

    // A name in use (ignoring case) is refused in the form; nothing is created.
    harness.get_by_label("New segment…").click();
    harness.run_steps(4);
    type_into(&mut harness, "Segment name", &segments[0].name.to_uppercase());
    harness.get_by_label_contains("There is already a segment named");
    assert!(harness.get_by_label("Create segment").accesskit_node().is_disabled());
    harness.get_by_label("Create segment").click();
    harness.run_steps(4);
    assert_eq!(stored_segments(&harness).len(), segments.len() + 1, "nothing more was created");
    harness.get_by_label("Cancel").click();
    harness.run_steps(4);
    assert!(harness.state().state().dialog.is_none());
}

#[test]
fn copy_creates_a_draft_with_the_same_conditions() {
    use segment_builder::domain::Status;

    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, segments) = open_demo(&dir);
    let source = &segments[1];
    harness.get_by_role_and_label(Role::Button, &source.name).click();
    settle(&mut harness);
    harness.get_by_label("Copy…").click();
    harness.run_steps(4);
    // The modal fades in; clicks count once it is fully there.
    harness.run_steps(10);
    harness.get_by_label("Create copy").click();
    settle(&mut harness);
    assert!(harness.state().state().dialog.is_none(), "{:?}", harness.state().state().dialog);

    let stored = stored_segments(&harness);
    assert_eq!(stored.len(), segments.len() + 1);
    let copy = stored.last().expect("the copy");
    assert_eq!(copy.name, format!("Copy of {}", source.name));
    assert_eq!(copy.conditions, source.conditions);
    assert_eq!(copy.description, source.description);
    assert_eq!(copy.accept_from_other_segments, source.accept_from_other_segments);
    assert_eq!(copy.status, Status::Draft);
    assert_eq!(harness.state().state().selected_segment, Some(copy.id));
    assert_eq!(stored[..segments.len()], segments[..], "the others are unchanged");
}

#[test]
fn the_empty_list_offers_the_first_segment_of_any_record_type() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "ws.sqlite");
    drop(Workspace::create(&path).expect("create"));
    let mut harness = open_app(&path);
    harness.get_by_label("No lead segments yet");
    harness.get_by_label("Create the first segment…").click();
    harness.run_steps(10);
    type_into(&mut harness, "Segment name", "Every contact");
    // The top bar's record type combo shows "Leads" too: pick the form's by its label.
    harness.get_by_role_and_label(Role::ComboBox, "Applies to").click();
    harness.run_steps(3);
    harness.get_by_label("Contacts").click();
    harness.run_steps(3);
    harness.get_by_label("Create segment").click();
    settle(&mut harness);

    let contact = RecordTypeName::new("contact");
    let ws = harness.state().workspace().expect("workspace");
    assert!(ws.segments(&lead()).expect("leads").is_empty(), "nothing was added to leads");
    let stored = ws.segments(&contact).expect("contacts");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].name, "Every contact");
    let state = harness.state().state();
    assert_eq!(state.record_type.as_ref(), Some(&contact), "the list switched to contacts");
    assert_eq!(state.selected_segment, Some(stored[0].id));
}

#[test]
fn a_refused_reorder_becomes_a_notice_and_the_list_shows_what_is_stored() {
    use segment_builder::app::NoticeLevel;

    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "demo.sqlite");
    create_demo_workspace(&path, &DemoSpec::standard(segment_builder::clock::now()), &mut |_, _| true).expect("demo");
    let mut harness = open_app(&path);
    let names = stored_names(&harness);

    // Another window adds a segment the list does not know of, so the list's order no
    // longer names every stored segment and the store refuses it.
    let mut other = Workspace::open(&path).expect("second connection");
    let mut extra = other.segments(&lead()).expect("segments")[0].clone();
    extra.name = "Added elsewhere".into();
    other.insert_segment(&extra).expect("insert");
    drop(other);

    harness.get_by_role_and_label(Role::Button, &names[1]).click();
    settle(&mut harness);
    harness.key_press_modifiers(egui::Modifiers::ALT, egui::Key::ArrowUp);
    apply_impact(&mut harness);

    let notices = &harness.state().state().notices;
    assert!(
        notices.iter().any(|n| n.level == NoticeLevel::Error && n.text.contains("The new order was not saved")),
        "{notices:?}"
    );
    let mut expected = names.clone();
    expected.push("Added elsewhere".into());
    assert_eq!(stored_names(&harness), expected, "the stored order is unchanged");
    let view = harness.state().state().view.as_ref().expect("view");
    let shown: Vec<&str> = view.segments_of(&lead()).iter().map(|s| s.name.as_str()).collect();
    assert_eq!(shown, expected, "the list shows what is stored, including the new segment");
}

/// Every screen of the registry (`state/features.rs`) has its tab, and the tab shows it.
#[test]
fn every_screen_in_the_registry_opens_from_its_tab() {
    use segment_builder::state::Screen;

    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, _) = open_demo(&dir);
    let labels: Vec<&str> = Screen::ALL.iter().map(|s| s.label()).collect();
    assert_eq!(
        labels,
        ["Segments", "Records", "Sequences", "Work list", "Sellers & teams", "Monitor", "Overlap"],
        "the tabs, in order"
    );
    // Away from the first screen and back, so every tab is clicked from another screen.
    for &screen in Screen::ALL.iter().skip(1).chain(Screen::ALL.iter().take(1)) {
        harness.query_all_by_label(screen.label()).next().expect("the screen's tab").click();
        settle(&mut harness);
        assert_eq!(harness.state().state().screen, screen, "{} opens", screen.label());
    }
}

/// A clock the test moves on by hand.
#[derive(Debug)]
struct StepClock(std::sync::Mutex<jiff::Timestamp>);

impl segment_builder::clock::Clock for StepClock {
    fn now(&self) -> jiff::Timestamp {
        *self.0.lock().expect("clock")
    }
}

impl StepClock {
    fn advance(&self, seconds: i64) {
        let mut now = self.0.lock().expect("clock");
        *now = now.checked_add(jiff::SignedDuration::from_secs(seconds)).expect("a time");
    }
}

/// Creates a draft segment through the form, as the New segment dialog would.
fn create_segment(harness: &mut Harness<'_, App>, name: &str) {
    use segment_builder::state::{Command, Dialog, SegmentsCommand};
    harness.state_mut().apply(Command::Segments(SegmentsCommand::ShowNew));
    let Some(Dialog::SegmentForm(mut form)) = harness.state().state().dialog.clone() else { panic!("the form") };
    name.clone_into(&mut form.name);
    harness.state_mut().apply(Command::UpdateDialog(Dialog::SegmentForm(form)));
    harness.state_mut().apply(Command::Segments(SegmentsCommand::SubmitForm));
    harness.run_steps(2);
}

#[test]
fn notices_go_away_by_themselves_three_at_a_time_and_an_export_offers_its_folder() {
    use segment_builder::state::{Command, Dialog, SegmentsCommand};

    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "work.sqlite");
    drop(Workspace::create(&path).expect("create"));
    let clock = std::sync::Arc::new(StepClock(std::sync::Mutex::new(segment_builder::clock::now())));
    let app = App::with_clock(Startup::Open(path.clone()), Vec::new(), clock.clone());
    let mut harness = harness(app);
    run_until(&mut harness, "the workspace to open", |app| app.state().view.is_some());
    settle(&mut harness);

    for name in ["One", "Two", "Three", "Four"] {
        create_segment(&mut harness, name);
    }
    assert!(harness.query_by_label_contains("\"Four\" created as a draft").is_some(), "the newest shows");
    assert!(harness.query_by_label_contains("\"One\" created").is_none(), "only three show");
    assert!(harness.query_by_label("1 more").is_some(), "the others wait behind a line");

    clock.advance(7);
    harness.run_steps(2);
    assert!(harness.state().state().notices.is_empty(), "{:?}", harness.state().state().notices);
    assert!(harness.query_by_label_contains("created as a draft").is_none());

    // An export names its file and offers its folder.
    harness.state_mut().set_export_folder(Some(std::path::PathBuf::from("/somewhere/else")));
    harness.state_mut().apply(Command::Segments(SegmentsCommand::ShowExportRecords));
    let Some(Dialog::ExportRecords { text, .. }) = harness.state().state().dialog.clone() else { panic!("the dialog") };
    assert!(text.starts_with("/somewhere/else"), "the remembered folder is offered: {text}");
    let target = temp_path(&dir, "leads out.csv");
    let Some(Dialog::ExportRecords { record_type, .. }) = harness.state().state().dialog.clone() else {
        panic!("the export dialog")
    };
    let dialog = Dialog::ExportRecords { record_type, text: target.display().to_string(), error: None, replace: None };
    harness.state_mut().apply(Command::UpdateDialog(dialog));
    harness.state_mut().apply(Command::Segments(SegmentsCommand::SubmitExport));
    run_until(&mut harness, "the export", |app| app.state().notices.iter().any(|n| n.folder.is_some()));
    let notice = harness.state().state().notices.last().cloned().expect("a notice");
    assert!(notice.text.contains(&target.display().to_string()), "{}", notice.text);
    assert_eq!(notice.folder.as_deref(), Some(dir.path()));
    assert!(harness.query_by_label("Open folder").is_some());
    assert!(target.exists());

    // The next export starts in the folder of this one.
    harness.state_mut().apply(Command::Segments(SegmentsCommand::ShowExportRecords));
    let Some(Dialog::ExportRecords { text, .. }) = harness.state().state().dialog.clone() else { panic!("the dialog") };
    assert!(std::path::Path::new(&text).starts_with(dir.path()), "{text}");
}

/// View › Light and View › Dark switch the theme (it follows the system at first), and
/// View › Zoom in makes everything larger.
#[test]
fn the_view_menu_switches_theme_and_zoom() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, _) = open_demo(&dir);
    for (choice, dark) in [("Light", false), ("Dark", true)] {
        harness.get_by_label("View").click();
        harness.run_steps(2);
        harness.get_by_label(choice).click();
        harness.run_steps(2);
        assert_eq!(harness.ctx.theme() == egui::Theme::Dark, dark, "{choice}");
    }
    let before = harness.ctx.zoom_factor();
    harness.get_by_label("View").click();
    harness.run_steps(2);
    harness.get_by_label_contains("Zoom In").click();
    harness.run_steps(2);
    assert!(harness.ctx.zoom_factor() > before, "zoomed in");

    // The keyboard does the same: Ctrl+= and Ctrl+- step the zoom, Ctrl+0 resets it.
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    let menu_zoom = harness.ctx.zoom_factor();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Equals);
    harness.run_steps(2);
    let larger = harness.ctx.zoom_factor();
    assert!(larger > menu_zoom, "Ctrl+= zooms in: {menu_zoom} → {larger}");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Minus);
    harness.run_steps(2);
    assert!(harness.ctx.zoom_factor() < larger, "Ctrl+- zooms out");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num0);
    harness.run_steps(2);
    assert!((harness.ctx.zoom_factor() - 1.0).abs() < f32::EPSILON, "Ctrl+0 resets");
}
