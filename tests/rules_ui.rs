//! The Assignment rules tab and the rule editor driven like a user: a rule created by
//! clicking assigns a lead that joins the segment; drag reorders the stored rules; a rule
//! with a problem is not stored; the active box and Delete… change what is stored.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use segment_builder::app::App;
use segment_builder::domain::assignment::{AssignmentRule, Distribution, Target};
use segment_builder::domain::{Group, NodeId, Segment, SegmentId, SellerId, Status, Value};
use segment_builder::store::{AssignmentFilter, Workspace};

mod common;
use common::harness::*;
use common::routing::any_seller_rule;
use common::workspace::seller;

/// A workspace with sellers 1–3, one lead and a draft segment of every lead.
fn small_workspace(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = temp_path(dir, "rules.sqlite");
    let mut ws = Workspace::create(&path).expect("create");
    for n in 1..=3 {
        ws.insert_seller(&seller(n)).expect("seller");
    }
    let def = ws.schema().get(&lead()).expect("lead").clone();
    let values = def
        .fields
        .iter()
        .map(|f| if f.name.as_str() == "topic" { Value::Text("First lead".into()) } else { Value::Empty });
    ws.insert_record(&lead(), values.collect()).expect("lead");
    let now = segment_builder::clock::now();
    ws.insert_segment(&Segment {
        id: SegmentId(0),
        record_type: lead(),
        name: "Every lead".into(),
        description: String::new(),
        status: Status::Draft,
        priority: 0,
        conditions: Group::all(NodeId(0)),
        accept_from_other_segments: false,
        rerun_assignment_on_move: false,
        sequence: None,
        created_on: now,
        modified_on: now,
    })
    .expect("segment");
    path
}

fn click(harness: &mut Harness<'_, App>, label: &str) {
    harness.get_by_label(label).click();
    harness.run_steps(10);
}

fn segment_id(harness: &Harness<'_, App>) -> SegmentId {
    harness.state().state().selected_segment.expect("a selected segment")
}

fn stored_rules(harness: &Harness<'_, App>) -> Vec<AssignmentRule> {
    harness.state().workspace().expect("workspace").rules(segment_id(harness)).expect("rules")
}

fn open_rules_tab(harness: &mut Harness<'_, App>) {
    click(harness, "Assignment rules");
    settle(harness);
}

#[test]
fn create_a_rule_and_see_a_joining_record_assigned() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = open_app(&small_workspace(&dir));
    let segment = segment_id(&harness);
    click(&mut harness, "Activate…");
    apply_impact(&mut harness);
    open_rules_tab(&mut harness);
    harness.get_by_label("No assignment rules yet");

    // New rule…: a name, specific sellers (Seller 2), round robin.
    click(&mut harness, "New rule…");
    type_into(&mut harness, "Rule name", "Route to Seller 2");
    click(&mut harness, "Specific sellers");
    click(&mut harness, "Seller 2 <seller2@example.com>");
    click(&mut harness, "Save rule");
    settle(&mut harness);
    let rules = stored_rules(&harness);
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!(rules[0].name, "Route to Seller 2");
    assert_eq!(rules[0].target, Target::Sellers(vec![SellerId(2)]));
    assert_eq!(rules[0].distribution, Distribution::RoundRobin);
    assert!(rules[0].active);
    assert!(harness.state().state().rules.editor.is_none(), "the editor closed");
    harness.get_by_label("To Seller 2, round robin");

    // A lead added on the Records screen joins the segment and is assigned by the rule.
    click(&mut harness, "Records");
    settle(&mut harness);
    click(&mut harness, "Add lead…");
    type_into(&mut harness, "Topic", "Second lead");
    harness.get_by_label("Save").click();
    settle(&mut harness);
    let ws = harness.state().workspace().expect("workspace");
    let def = ws.schema().get(&lead()).expect("lead").clone();
    let assigned = ws.assignments(&lead(), AssignmentFilter::Assigned).expect("assignments");
    assert_eq!(assigned.len(), 1, "{assigned:?}");
    assert_eq!(assigned[0].seller, Some(SellerId(2)));
    assert_eq!(assigned[0].rule, Some(rules[0].id));
    assert_eq!(assigned[0].segment, Some(segment));
    let record = ws.record(&lead(), assigned[0].record).expect("read").expect("the record");
    assert_eq!(record.get(&def, "topic"), &Value::Text("Second lead".into()));
    assert_eq!(record.get(&def, "owner"), &Value::Owner(SellerId(2)), "the owner field is the seller");
    // The first lead joined before there were rules: still the only unassigned member, as
    // the store counts and as the segment list shows.
    assert_eq!(ws.unassigned_counts(&lead()).expect("counts").get(&segment), Some(&1));
    let view = harness.state().state().view.as_ref().expect("view");
    assert_eq!(view.member_counts.get(&segment), Some(&2));
    assert_eq!(view.unassigned_counts.get(&segment), Some(&1), "the engine saw the new owner");
}

#[test]
fn a_rule_with_a_problem_is_not_saved_and_says_why() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = open_app(&small_workspace(&dir));
    open_rules_tab(&mut harness);
    click(&mut harness, "New rule…");
    click(&mut harness, "Specific sellers");
    harness.get_by_label("⚠ Choose at least one seller");
    click(&mut harness, "Save rule");
    harness.get_by_label("Fix the problem marked below, then save again");
    assert!(stored_rules(&harness).is_empty(), "nothing was stored");
    // An empty name is the name's problem; fixing both lets it save.
    type_into(&mut harness, "Rule name", " ");
    harness.get_by_label("⚠ The rule needs a name");
    type_into(&mut harness, "Rule name", "Seller 1 only");
    click(&mut harness, "Seller 1 <seller1@example.com>");
    assert!(harness.query_by_label("⚠ Choose at least one seller").is_none());
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    harness.run_steps(5);
    let rules = stored_rules(&harness);
    assert_eq!(rules.len(), 1, "Ctrl+S saved it");
    assert_eq!(rules[0].target, Target::Sellers(vec![SellerId(1)]));
}

#[test]
fn rules_are_reordered_by_drag_toggled_edited_and_deleted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = small_workspace(&dir);
    {
        let mut ws = Workspace::open(&path).expect("open");
        let segment = ws.segments(&lead()).expect("segments")[0].id;
        for name in ["First", "Second"] {
            ws.insert_rule(segment, &any_seller_rule(name), segment_builder::clock::now()).expect("rule");
        }
    }
    let mut harness = open_app(&path);
    open_rules_tab(&mut harness);
    let names = |h: &Harness<'_, App>| stored_rules(h).into_iter().map(|r| r.name).collect::<Vec<_>>();
    assert_eq!(names(&harness), ["First", "Second"]);

    // Drag the second rule by its handle above the first.
    let handles: Vec<egui::Rect> = harness.get_all_by_label("☰").map(|n| n.rect()).collect();
    assert_eq!(handles.len(), 2, "one handle per rule");
    let from = handles[1].center();
    let to = egui::pos2(from.x, handles[0].top() - 6.0);
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
    harness.run_steps(60);
    assert_eq!(names(&harness), ["Second", "First"], "the stored order follows the drag");

    // The active box stores at once.
    harness.get_by_role_and_label(Role::CheckBox, "First active").click();
    harness.run_steps(5);
    let first = stored_rules(&harness).into_iter().find(|r| r.name == "First").expect("First");
    assert!(!first.active, "unticked is stored inactive");
    harness.get_by_label("To any seller, round robin (inactive)");

    // Edit…: load balancing, honour capacity, available within 48 hours.
    click(&mut harness, "Edit rule Second");
    click(&mut harness, "Load balancing");
    click(&mut harness, "Honour capacity");
    click(&mut harness, "Only sellers available within");
    click(&mut harness, "Save rule");
    let second = stored_rules(&harness).into_iter().find(|r| r.name == "Second").expect("Second");
    assert_eq!(second.distribution, Distribution::LoadBalancing);
    assert!(second.honour_capacity);
    assert_eq!(second.available_within_hours, Some(24));

    // Delete… asks first.
    click(&mut harness, "Delete rule Second");
    harness.get_by_label_contains("\"Second\" will be deleted");
    click(&mut harness, "Cancel");
    assert_eq!(names(&harness), ["Second", "First"], "cancel keeps it");
    click(&mut harness, "Delete rule Second");
    click(&mut harness, "Delete rule");
    assert_eq!(names(&harness), ["First"]);
}

#[test]
fn the_fallback_chain_is_set_on_the_rules_tab_and_places_a_record_no_rule_places() {
    use segment_builder::domain::assignment::{DefaultRoute, Routing};

    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = open_app(&small_workspace(&dir));
    let segment = segment_id(&harness);
    click(&mut harness, "Activate…");
    apply_impact(&mut harness);
    open_rules_tab(&mut harness);
    // With no rules the chain is offered too: a default alone places records.
    click(&mut harness, "Try the next matching rule when a rule finds no seller");
    settle(&mut harness);
    open_combo(&mut harness, "Leave the record unassigned");
    click(&mut harness, "Seller Seller 3");
    settle(&mut harness);
    let routing = harness.state().workspace().expect("workspace").routing(segment).expect("routing");
    assert_eq!(routing, Routing { try_next_rule: true, default: DefaultRoute::Seller(SellerId(3)) });
    let shown = harness.get_all_by_role(Role::ComboBox).any(|node| {
        use egui_kittest::kittest::NodeT;
        node.accesskit_node().value().as_deref() == Some("Seller Seller 3")
    });
    assert!(shown, "the combo box shows the stored default");

    // A lead added now is placed by the default route, and the Monitor's why says so.
    click(&mut harness, "Records");
    settle(&mut harness);
    click(&mut harness, "Add lead…");
    type_into(&mut harness, "Topic", "Routed lead");
    harness.get_by_label("Save").click();
    settle(&mut harness);
    let ws = harness.state().workspace().expect("workspace");
    let assigned = ws.assignments(&lead(), AssignmentFilter::Assigned).expect("assignments");
    assert_eq!(assigned.len(), 1, "{assigned:?}");
    assert_eq!((assigned[0].seller, assigned[0].rule, assigned[0].by_default), (Some(SellerId(3)), None, true));
}
