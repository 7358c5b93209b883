//! The condition builder driven like a user: create a segment, click conditions together,
//! undo, save, and check the preview against the reference evaluator.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

use segment_builder::app::{App, Dialog, Loadable};
use segment_builder::domain::{Aggregate, EvalContext, Group, GroupMode, Node, Number, Operand, Operator, Quantifier};

mod common;
use common::harness::*;

fn draft(harness: &Harness<'_, App>) -> Group {
    harness.state().state().builder.as_ref().expect("a builder").draft.clone()
}

/// Creates a draft segment by clicking "New segment…" and returns the window.
fn new_segment(harness: &mut Harness<'_, App>, name: &str) {
    harness.get_by_label("New segment…").click();
    harness.run_steps(4);
    type_into(harness, "Segment name", name);
    harness.get_by_label("Create segment").click();
    settle(harness);
    assert_eq!(harness.state().state().selected_segment().map(|s| s.name.as_str()), Some(name));
}

/// Clicks an item of the open combo box or popup by its text.
fn pick(harness: &mut Harness<'_, App>, label: &str) {
    harness.get_by_label(label).click();
    harness.run_steps(3);
}

#[test]
fn a_segment_is_clicked_together_and_its_preview_equals_the_reference() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, _) = open_demo(&dir);
    let path = harness.state().state().view.as_ref().expect("view").path.clone();
    new_segment(&mut harness, "German leads by hand");
    harness.get_by_label_contains("it matches every lead");

    // Add a condition; it starts on the title field with no value, which blocks Save.
    harness.get_all_by_label("+ Condition").next().expect("add condition").click();
    harness.run_steps(3);
    assert!(harness.state().state().builder.as_ref().expect("builder").has_problems());
    assert!(harness.query_by_label_contains("⚠").is_none(), "nothing is flagged before the user did anything");
    harness.get_by_label("Save").click();
    harness.run_steps(3);
    harness.get_by_label_contains("before saving");
    assert!(harness.query_by_label_contains("⚠").is_some(), "a save shows what is missing");
    let stored = stored_segments(&harness).into_iter().find(|s| s.name == "German leads by hand").expect("stored");
    assert!(stored.conditions.children.is_empty(), "a tree with problems is not saved");

    // Field, operator and value, chosen by clicking and typing.
    open_combo(&mut harness, "Topic");
    type_into(&mut harness, "Search fields", "countr");
    // Enter takes the first match (the lead's own Country, listed before the lookups' fields).
    harness.key_press(egui::Key::Enter);
    harness.run_steps(3);
    open_combo(&mut harness, "equals");
    pick(&mut harness, "is any of");
    type_into(&mut harness, "Values", "Germany, Austria");
    let tree = draft(&harness);
    let Some(Node::Condition(condition)) = tree.children.first() else { panic!("a condition: {tree:?}") };
    assert_eq!(condition.path.to_string(), "country");
    assert_eq!(condition.operator, Operator::AnyOf);
    assert_eq!(condition.value, Operand::TextList(vec!["Germany".into(), "Austria".into()]));
    harness.get_by_label_contains("Unsaved changes");

    // The preview follows the draft and agrees with the reference evaluator.
    let segment_id = harness.state().state().selected_segment.expect("selected");
    run_until(&mut harness, "the preview of the draft", |app| {
        let preview = &app.state().preview;
        preview.segment == Some(segment_id) && matches!(preview.result, Loadable::Ready(_))
    });
    let (dataset, time_zone) = reference_dataset(&path);
    let expected = dataset.matching(&EvalContext::new(segment_builder::clock::now(), time_zone), &lead(), &tree);
    assert!(!expected.is_empty());
    let outcome = harness.state().state().preview.result.latest().cloned().expect("outcome");
    assert_eq!(outcome.matches, expected.len());
    let mut listed: Vec<_> = outcome.order.iter().map(|(id, _)| *id).collect();
    listed.sort();
    let mut reference = expected.clone();
    reference.sort();
    assert_eq!(listed, reference, "the table holds every match, not just the first page");

    // A nested Any group, then undo and redo of it.
    let before_group = draft(&harness);
    harness.get_all_by_label("+ Group").next().expect("add group").click();
    harness.run_steps(3);
    let with_group = draft(&harness);
    assert!(
        matches!(with_group.children.last(), Some(Node::Group(g)) if g.mode == GroupMode::Any && g.children.len() == 1),
        "a nested Any group with a first condition: {with_group:?}"
    );
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run_steps(3);
    assert_eq!(draft(&harness), before_group, "undo restores the previous tree");
    harness.key_press_modifiers(egui::Modifiers::COMMAND | egui::Modifiers::SHIFT, egui::Key::Z);
    harness.run_steps(3);
    assert_eq!(draft(&harness), with_group, "redo brings the group back");
    harness.get_by_label("Undo").click();
    harness.run_steps(3);

    // Ctrl+S stores the draft; the unsaved marker goes.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    settle(&mut harness);
    let stored = stored_segments(&harness).into_iter().find(|s| s.id == segment_id).expect("stored");
    assert_eq!(stored.conditions, before_group);
    assert!(harness.query_by_label_contains("Unsaved changes").is_none());
}

#[test]
fn switching_segment_with_unsaved_edits_asks_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, segments) = open_demo(&dir);
    let first = &segments[0];
    let second = &segments[1];
    assert_eq!(harness.state().state().selected_segment, Some(first.id));
    harness.get_all_by_label("Any").next().expect("the root's Any").click();
    harness.run_steps(3);
    assert_eq!(draft(&harness).mode, GroupMode::Any);

    // Cancel stays on the edited segment with its edits.
    harness.get_by_role_and_label(Role::Button, &second.name).click();
    harness.run_steps(10);
    assert!(matches!(harness.state().state().dialog, Some(Dialog::UnsavedChanges { .. })));
    pick(&mut harness, "Cancel");
    assert_eq!(harness.state().state().selected_segment, Some(first.id));
    assert_eq!(draft(&harness).mode, GroupMode::Any);

    // Discard switches and leaves the stored segment as it was.
    harness.get_by_role_and_label(Role::Button, &second.name).click();
    harness.run_steps(10);
    pick(&mut harness, "Discard changes");
    settle(&mut harness);
    assert_eq!(harness.state().state().selected_segment, Some(second.id));
    let stored = stored_segments(&harness);
    assert_eq!(stored[0].conditions, first.conditions);

    // Save switches after storing.
    harness.get_all_by_label("Any").next().expect("the root's Any").click();
    harness.run_steps(3);
    let edited = draft(&harness);
    harness.get_by_role_and_label(Role::Button, &first.name).click();
    harness.run_steps(10);
    pick(&mut harness, "Save changes");
    // The second segment is active: its new conditions' impact shows before they are stored.
    apply_impact(&mut harness);
    settle(&mut harness);
    assert_eq!(harness.state().state().selected_segment, Some(first.id));
    assert_eq!(stored_segments(&harness)[1].conditions, edited);
}

#[test]
fn the_preview_table_sorts_picks_columns_and_opens_a_record() {
    use segment_builder::app::Screen;
    use segment_builder::domain::eval::fold;

    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, _) = open_demo(&dir);
    let ready = |app: &App| matches!(app.state().preview.result, Loadable::Ready(_));
    run_until(&mut harness, "the preview", ready);
    let outcome = harness.state().state().preview.result.latest().cloned().expect("outcome");
    assert!(!outcome.rows.is_empty() && outcome.rows.len() <= outcome.matches);

    // Sort by the title column, ascending then descending.
    harness.get_by_label("Topic").click();
    harness.run_steps(2);
    run_until(&mut harness, "the sorted preview", ready);
    let titles = |harness: &Harness<'_, App>| -> Vec<String> {
        let outcome = harness.state().state().preview.result.latest().cloned().expect("outcome");
        outcome.rows.iter().map(|r| r.record.values[0].as_text().unwrap_or_default().to_owned()).collect()
    };
    let ascending = titles(&harness);
    assert!(ascending.len() > 1);
    assert!(ascending.windows(2).all(|w| fold(&w[0]) <= fold(&w[1])), "ascending by topic: {ascending:?}");
    harness.get_by_label("Topic ⏶").click();
    harness.run_steps(2);
    run_until(&mut harness, "the reversed preview", ready);
    let descending = titles(&harness);
    assert!(descending.windows(2).all(|w| fold(&w[0]) >= fold(&w[1])), "descending by topic");

    // Pick a column.
    harness.get_by_label("Columns…").click();
    harness.run_steps(3);
    harness.get_by_label("Email").click();
    harness.run_steps(3);
    let def = harness.state().state().current_type().cloned().expect("lead type");
    assert!(harness.state().state().preview.columns_for(&def).iter().any(|c| c.as_str() == "email"));
    harness.key_press(egui::Key::Escape);
    harness.run_steps(3);

    // A click on a row opens that record where the user is, and Cancel leaves them there.
    let first = descending[0].clone();
    let first_id = harness.state().state().preview.result.latest().expect("outcome").rows[0].record.id;
    harness.get_all_by_label(&first).next().expect("the first row").click();
    harness.run_steps(4);
    let state = harness.state().state();
    assert_eq!(state.screen, Screen::Segments, "the record opens over the segment");
    assert_eq!(state.records.editor.as_ref().and_then(|e| e.id), Some(first_id));
    // The form grows into place over a few frames; click where it settled.
    harness.run_steps(10);
    harness.get_by_label("Cancel").click();
    harness.run_steps(4);
    let state = harness.state().state();
    assert!(state.records.editor.is_none());
    assert_eq!(state.screen, Screen::Segments, "still on the segment");
    assert!(harness.query_by_label("Conditions").is_some(), "the builder is still there");
}

/// Drags from one point to another in small steps, as a hand would.
fn drag(harness: &mut Harness<'_, App>, from: egui::Pos2, to: egui::Pos2) {
    harness.hover_at(from);
    harness.step();
    harness.drag_at(from);
    harness.step();
    for i in 1..=20 {
        let t = i as f32 / 20.0;
        harness.hover_at(from + (to - from) * t);
        harness.step();
    }
    harness.drop_at(to);
    harness.run_steps(5);
}

fn child_ids(group: &Group) -> Vec<u32> {
    group.children.iter().map(|c| c.id().0).collect()
}

#[test]
fn conditions_are_dragged_within_and_between_groups() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, _) = open_demo(&dir);
    let start = draft(&harness);
    assert_eq!(start.children.len(), 2, "the first demo segment has two conditions");
    let [first, second] = [start.children[0].id().0, start.children[1].id().0];

    // The second row's handle, dropped on the upper half of the first row.
    let handles: Vec<egui::Rect> = harness.get_all_by_label("☰").map(|n| n.rect()).collect();
    assert_eq!(handles.len(), 2);
    drag(&mut harness, handles[1].center(), egui::pos2(handles[0].center().x + 200.0, handles[0].top() + 2.0));
    assert_eq!(child_ids(&draft(&harness)), vec![second, first], "swapped within the group");

    // A nested group, then the (now) second condition dropped onto the group's row.
    harness.get_all_by_label("+ Group").next().expect("add group").click();
    harness.run_steps(3);
    let tree = draft(&harness);
    let Some(Node::Group(nested)) = tree.children.last() else { panic!("a nested group") };
    let nested_id = nested.id.0;
    let inner = nested.children[0].id().0;
    let handles: Vec<egui::Rect> = harness.get_all_by_label("☰").map(|n| n.rect()).collect();
    // Handles in tree order: second, first, the group, its condition.
    assert_eq!(handles.len(), 4);
    // The lower half of the nested condition's row (its value may sit on a second line).
    let nested_row = condition_rows(&harness).last().cloned().expect("the nested condition's row");
    let row_bottom = nested_row.iter().map(|(_, r)| r.bottom()).fold(handles[3].bottom(), f32::max);
    drag(&mut harness, handles[1].center(), egui::pos2(handles[3].center().x + 200.0, row_bottom - 2.0));
    let tree = draft(&harness);
    assert_eq!(child_ids(&tree), vec![second, nested_id]);
    let Some(Node::Group(nested)) = tree.children.last() else { panic!("the nested group") };
    assert_eq!(child_ids(nested), vec![inner, first], "moved into the nested group, after its condition");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run_steps(3);
    assert_eq!(child_ids(&draft(&harness)), vec![second, first, nested_id], "undo takes the move back");
}

#[test]
fn quitting_with_unsaved_edits_asks_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, _) = open_demo(&dir);
    harness.get_all_by_label("Any").next().expect("the root's Any").click();
    harness.run_steps(3);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Q);
    harness.run_steps(10);
    assert!(matches!(harness.state().state().dialog, Some(Dialog::UnsavedChanges { .. })));
    assert!(!harness.state().quit_requested());
    pick(&mut harness, "Discard changes");
    assert!(harness.state().quit_requested());
}

#[test]
fn record_pickers_and_related_blocks_are_built_by_clicking() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, _) = open_demo(&dir);

    // A lookup condition: Account is <a record chosen by searching>.
    harness.get_all_by_label("+ Condition").next().expect("add condition").click();
    harness.run_steps(3);
    open_combo(&mut harness, "Topic");
    type_into(&mut harness, "Search fields", "account");
    pick(&mut harness, "Account");
    open_combo(&mut harness, "Choose a record…");
    run_until(&mut harness, "the first accounts", |app| {
        app.state().record_picker.as_ref().is_some_and(|p| matches!(p.results, Loadable::Ready(ref r) if !r.is_empty()))
    });
    type_into(&mut harness, "Search accounts", "a");
    run_until(&mut harness, "the search", |app| {
        app.state().record_picker.as_ref().is_some_and(|p| p.text == "a" && matches!(p.results, Loadable::Ready(_)))
    });
    let (id, title) = match &harness.state().state().record_picker.as_ref().expect("picker").results {
        Loadable::Ready(found) => found[0].clone(),
        _ => unreachable!(),
    };
    assert!(title.to_lowercase().contains('a'), "{title}");
    harness.get_by_label(&format!("{title}  #{id}")).click();
    harness.run_steps(3);
    let tree = draft(&harness);
    let Some(Node::Condition(condition)) = tree.children.last() else { panic!("a condition") };
    assert_eq!(condition.path.to_string(), "account");
    assert_eq!(condition.value, Operand::Record(id));
    open_combo(&mut harness, &title);
    harness.key_press(egui::Key::Escape);
    harness.run_steps(3);

    // Accounts can test the records that point at them.
    open_combo(&mut harness, "Leads");
    pick(&mut harness, "Accounts");
    harness.run_steps(10);
    assert!(matches!(harness.state().state().dialog, Some(Dialog::UnsavedChanges { .. })), "the lead edit is unsaved");
    pick(&mut harness, "Discard changes");
    settle(&mut harness);
    let before = draft(&harness).children.len();
    harness.get_all_by_label("+ Related records").next().expect("add related").click();
    harness.run_steps(3);
    let tree = draft(&harness);
    assert_eq!(tree.children.len(), before + 1);
    let Some(Node::Related(block)) = tree.children.last() else { panic!("a related block: {tree:?}") };
    assert_eq!(block.quantifier, segment_builder::domain::Quantifier::AtLeastOne);
    // The new block's quantifier: the last combo showing it (the demo segment has a block too).
    harness
        .get_all_by_role(Role::ComboBox)
        .rfind(|n| n.accesskit_node().value().as_deref() == Some("has at least one"))
        .expect("the new block's quantifier")
        .click();
    harness.run_steps(3);
    pick(&mut harness, "has no");
    let Some(Node::Related(block)) = draft(&harness).children.last().cloned() else { panic!("the block") };
    assert_eq!(block.quantifier, segment_builder::domain::Quantifier::None);

    // "has at least 2", typed.
    let last_combo = |harness: &mut Harness<'_, App>, shown: &str| {
        harness
            .get_all_by_role(Role::ComboBox)
            .rfind(|n| n.accesskit_node().value().as_deref() == Some(shown))
            .unwrap_or_else(|| panic!("no combo box shows {shown:?}"))
            .click();
        harness.run_steps(3);
    };
    last_combo(&mut harness, "has no");
    pick(&mut harness, "has at least");
    type_into(&mut harness, "Count", "2");
    let Some(Node::Related(block)) = draft(&harness).children.last().cloned() else { panic!("the block") };
    assert_eq!(block.quantifier, Quantifier::AtLeast(2));

    // A sum of a number field of the related records, compared with a typed number.
    last_combo(&mut harness, "has at least");
    pick(&mut harness, "sum of");
    type_into(&mut harness, "Total", "100,000");
    let tree = draft(&harness);
    let Some(Node::Related(block)) = tree.children.last().cloned() else { panic!("the block") };
    let Quantifier::Aggregate(test) = &block.quantifier else { panic!("an aggregate: {:?}", block.quantifier) };
    assert_eq!(
        (test.function, test.operator, test.value),
        (Aggregate::Sum, Operator::GreaterOrEqual, Number::Whole(100_000))
    );
    assert!(!harness.state().state().builder.as_ref().expect("builder").has_problems());

    // The preview of the draft equals the reference evaluator's answer.
    let path = harness.state().state().view.as_ref().expect("view").path.clone();
    let segment_id = harness.state().state().selected_segment.expect("selected");
    settle(&mut harness);
    run_until(&mut harness, "the preview of the sum", |app| {
        let preview = &app.state().preview;
        preview.segment == Some(segment_id) && matches!(preview.result, Loadable::Ready(_))
    });
    let (dataset, time_zone) = reference_dataset(&path);
    let account = segment_builder::domain::RecordTypeName::new("account");
    let expected = dataset.matching(&EvalContext::new(segment_builder::clock::now(), time_zone), &account, &tree);
    let outcome = harness.state().state().preview.result.latest().cloned().expect("outcome");
    assert_eq!(outcome.matches, expected.len(), "the preview counts what the reference matches");
}

#[test]
fn ticked_conditions_are_wrapped_collapsed_and_ungrouped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, _) = open_demo(&dir);
    let start = draft(&harness);
    let ids = child_ids(&start);
    assert!(harness.get_by_label("Wrap in group").accesskit_node().is_disabled(), "nothing ticked yet");
    for row in 0..2 {
        harness.get_all_by_label("Select condition").nth(row).expect("a condition's tick box").click();
        harness.run_steps(3);
    }
    let selection = harness.state().state().builder.as_ref().map(|b| b.selection.len());
    assert_eq!(selection, Some(2), "both rows ticked");
    harness.get_by_label("Wrap in group").click();
    harness.run_steps(3);
    let wrapped = draft(&harness);
    let [Node::Group(group)] = wrapped.children.as_slice() else { panic!("one group: {wrapped:?}") };
    assert_eq!(child_ids(group), ids);

    // Collapsed, the group reads as one line.
    harness.get_all_by_label("Collapse group").nth(1).expect("the new group's toggle").click();
    harness.run_steps(3);
    harness.get_by_label_contains("Country equals \"Germany\"; Rating is any of Hot");
    harness.get_by_label("Expand group").click();
    harness.run_steps(3);

    // Ungrouping an All inside an All gives the rows back.
    harness.get_all_by_label("…").next().expect("the group's menu").click();
    harness.run_steps(3);
    pick(&mut harness, "Ungroup");
    assert_eq!(draft(&harness), start);
}

/// The widgets of each condition row (ticks, pickers, value boxes, chips, buttons), found
/// by their rectangles: from a row's tick down to the next row's, left of the preview.
fn condition_rows(harness: &Harness<'_, App>) -> Vec<Vec<(String, egui::Rect)>> {
    let mut ticks: Vec<egui::Rect> = harness.get_all_by_label("Select condition").map(|n| n.rect()).collect();
    ticks.sort_by(|a, b| a.top().total_cmp(&b.top()));
    let preview_left = harness.get_by_label("Preview").rect().left();
    let widgets: Vec<(String, Role, egui::Rect)> = harness
        .get_all(egui_kittest::kittest::By::new().predicate(|n| {
            matches!(
                n.role(),
                Role::Button | Role::CheckBox | Role::ComboBox | Role::TextInput | Role::MultilineTextInput
            )
        }))
        .map(|n| (n.accesskit_node().label().unwrap_or_default(), n.accesskit_node().role(), n.rect()))
        .collect();
    ticks
        .iter()
        .enumerate()
        .map(|(i, tick)| {
            let bottom = ticks.get(i + 1).map_or(tick.bottom() + 24.0, |next| next.top());
            widgets
                .iter()
                .filter(|(_, _, r)| r.center().y >= tick.top() - 1.0 && r.center().y < bottom - 1.0)
                .filter(|(_, _, r)| r.left() >= tick.left() - 1.0 && r.right() <= preview_left)
                .map(|(label, role, r)| (format!("{role:?} {label:?}"), *r))
                .collect()
        })
        .collect()
}

fn assert_no_overlaps(rows: &[Vec<(String, egui::Rect)>], what: &str) {
    for row in rows {
        for (i, (a, ra)) in row.iter().enumerate() {
            for (b, rb) in &row[i + 1..] {
                let overlap = ra.intersect(*rb);
                let area = overlap.width().max(0.0) * overlap.height().max(0.0);
                assert!(area < 1.0, "{what}: {a} at {ra:?} overlaps {b} at {rb:?}");
            }
        }
    }
}

#[test]
fn no_widget_of_a_condition_row_overlaps_another_wide_or_narrow() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, segments) = open_demo(&dir);
    // The demo's first segment: Country equals Germany, Rating is any of Hot (chips).
    assert_eq!(harness.state().state().selected_segment, Some(segments[0].id));
    let rows = condition_rows(&harness);
    assert!(rows.len() >= 2, "{rows:?}");
    assert!(rows.iter().any(|r| r.iter().any(|(l, _)| l.contains("\"Warm\""))), "the chips are in a row: {rows:?}");
    assert!(rows.iter().all(|r| r.iter().any(|(l, _)| l.contains("\"…\""))), "each row has its menu: {rows:?}");
    assert_no_overlaps(&rows, "1280×800");

    harness.set_size(egui::vec2(960.0, 600.0));
    harness.run_steps(4);
    assert_no_overlaps(&condition_rows(&harness), "960×600");

    // At 1.5 zoom the value moves to its own line rather than breaking its chips.
    harness.set_size(egui::vec2(1280.0, 800.0));
    harness.ctx.set_zoom_factor(1.5);
    harness.run_steps(6);
    for chip in ["Hot", "Warm", "Cold"] {
        let rect = harness.get_all_by_label(chip).map(|n| n.rect()).min_by(|a, b| a.left().total_cmp(&b.left()));
        let rect = rect.expect("the chip");
        assert!(rect.width() > rect.height(), "{chip} is on one line: {rect:?}");
    }
    // The group's words give way to its add buttons instead of running under them.
    let add = harness.get_by_label("+ Condition").rect();
    if let Some(words) = harness.query_by_label("of these hold") {
        assert!(words.rect().right() <= add.left(), "{:?} runs under {add:?}", words.rect());
    }
}

#[test]
fn the_claiming_segment_is_seen_without_scrolling_sideways() {
    use segment_builder::state::SegmentsCommand;

    let dir = tempfile::tempdir().expect("temp dir");
    let (mut harness, segments) = open_demo(&dir);
    let ready = |app: &App| matches!(app.state().preview.result, Loadable::Ready(_));
    // A lower segment whose matches a higher one claims: the demo has one.
    let mut claimed = None;
    for segment in segments.iter().rev() {
        harness.state_mut().apply(segment_builder::app::Command::Segments(SegmentsCommand::Select(segment.id)));
        run_until(&mut harness, "the preview", |app| app.state().preview.segment == Some(segment.id) && ready(app));
        if harness.state().state().preview.result.latest().is_some_and(|o| o.claimed_by_higher > 0) {
            claimed = Some(segment.name.clone());
            break;
        }
    }
    let name = claimed.expect("a demo segment with claimed matches");
    harness.run_steps(4);
    // Pick three more columns: the claiming segment stays in view, next to the title.
    for column in ["Email", "City", "Lead source"] {
        harness.get_by_label("Columns…").click();
        harness.run_steps(3);
        harness.get_by_label(column).click();
        harness.run_steps(3);
        harness.key_press(egui::Key::Escape);
        harness.run_steps(3);
    }
    let header = harness.get_by_label("Claimed by").rect();
    let preview = harness.get_by_label("Preview").rect();
    assert!(header.left() >= preview.left() && header.right() <= 1280.0, "{name}: Claimed by at {header:?}");
    let topic = harness.get_by_label("Topic").rect();
    assert!(header.left() > topic.left() && header.left() < topic.right() + 200.0, "right after the title: {topic:?}");
}

/// "is in segment" is picked from the field list by typing, the segment by name; the
/// preview of the draft then equals the reference evaluator given the stored memberships.
#[test]
fn is_in_segment_is_picked_and_its_preview_equals_the_reference() {
    use segment_builder::domain::{
        Definitions, MembershipChange, MembershipChanges, MembershipReason, SegmentTest, Status,
    };
    use segment_builder::store::Workspace;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_path(&dir, "demo.sqlite");
    let now = segment_builder::clock::now();
    segment_builder::demo::create_demo_workspace(
        &path,
        &segment_builder::demo::DemoSpec::standard(now),
        &mut |_, _| true,
    )
    .expect("demo");
    // Forty leads are stored as members of an active segment that is not the first.
    let mut ws = Workspace::open(&path).expect("open");
    let segments = ws.segments(&lead()).expect("segments");
    let wanted = segments[1..].iter().find(|s| s.status == Status::Active).expect("an active segment").clone();
    let changes = MembershipChanges {
        record_type: lead(),
        changes: ws.all_records(&lead()).expect("leads")[..40]
            .iter()
            .map(|r| MembershipChange { record: r.id, from: None, to: Some(wanted.id), rerun_assignment: false })
            .collect(),
    };
    ws.apply_membership_changes(&changes, MembershipReason::Reevaluation, now, &mut |_, _| true).expect("members");
    let memberships = ws.memberships(&lead()).expect("members");
    drop(ws);
    let mut harness = open_app(&path);
    new_segment(&mut harness, "Leads of another segment");
    harness.get_all_by_label("+ Condition").next().expect("add condition").click();
    harness.run_steps(3);
    open_combo(&mut harness, "Topic");
    type_into(&mut harness, "Search fields", "segment");
    pick(&mut harness, "This lead › segment membership");
    let tree = draft(&harness);
    let Some(Node::Segment(node)) = tree.children.first() else { panic!("a segment condition: {tree:?}") };
    assert_eq!((node.test, node.segment, node.via.len()), (SegmentTest::InSegment, segments[0].id, 0));
    // The segment by name, from the combo of the lead segments (the list on the left
    // shows the names too: the popup's item is the last one).
    open_combo(&mut harness, &segments[0].name);
    harness.get_all_by_label(&wanted.name).last().expect("the segment in the popup").click();
    harness.run_steps(3);
    let tree = draft(&harness);
    let Some(Node::Segment(node)) = tree.children.first() else { panic!("a segment condition: {tree:?}") };
    assert_eq!(node.segment, wanted.id);
    assert!(!harness.state().state().builder.as_ref().expect("builder").has_problems());

    let segment_id = harness.state().state().selected_segment.expect("selected");
    run_until(&mut harness, "the preview of the draft", |app| {
        let preview = &app.state().preview;
        preview.segment == Some(segment_id)
            && matches!(&preview.result, Loadable::Ready(outcome) if !outcome.order.is_empty())
    });
    let (mut dataset, time_zone) = reference_dataset(&path);
    for (record, segment) in &memberships {
        dataset.set_membership(&lead(), *record, Some(*segment));
    }
    let all = segment_builder::store::Workspace::open(&path).expect("open").all_segments().expect("segments");
    dataset.set_definitions(Definitions::of(&all));
    let expected = dataset.matching(&EvalContext::new(segment_builder::clock::now(), time_zone), &lead(), &tree);
    assert!(!expected.is_empty());
    let outcome = harness.state().state().preview.result.latest().cloned().expect("outcome");
    let mut listed: Vec<_> = outcome.order.iter().map(|(id, _)| *id).collect();
    listed.sort();
    assert_eq!(outcome.matches, 40);
    assert_eq!(listed, expected, "the preview lists exactly the members of {}", wanted.name);
}
