//! The builder's funnel: every node's figures (what it matches on its own, what the whole
//! tree gains without it) against the reference evaluator, and the figures beside the
//! builder's conditions.
//!
//! The reference of "without": the tree with that node taken out of its parent, evaluated
//! record by record with `domain::eval` (an `All` group left empty matches everything, an
//! `Any` group nothing, a negated group the complement of what is left).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

mod common;

use std::collections::BTreeMap;

use common::any;
use common::r#gen::{arb_segment_tree, arb_segments, arb_tree, arb_world};
use common::*;
use jiff::tz::TimeZone;
use proptest::prelude::*;
use segment_builder::domain::edit::remove;
use segment_builder::domain::{
    Dataset, EvalContext, Group, GroupMode, MemoryDataset, Node, NodeId, Operator, RecordTypeName, Schema, SellerId,
    TeamId,
};
use segment_builder::engine::Snapshot;
use segment_builder::engine::funnel::{Funnel, NodeFigures, funnel};

fn snapshot_of(ds: &MemoryDataset, zone: &TimeZone) -> Snapshot {
    let schema = ds.schema().clone();
    let by_type = schema.types.iter().map(|t| (&t.name, ds.records(&t.name)));
    let teams: Vec<(TeamId, Vec<SellerId>)> =
        (0..9).map(|t| (TeamId(t), ds.team_members(TeamId(t)).to_vec())).collect();
    Snapshot::build(&schema, zone.clone(), by_type, teams)
}

fn alone(node: Node) -> Group {
    Group { id: NodeId(9_999), mode: GroupMode::All, negated: false, children: vec![node] }
}

/// The reference figures of every node of `root` over `ty`, and the top gain.
struct Reference {
    total: usize,
    nodes: BTreeMap<NodeId, NodeFigures>,
    top_gain: Option<NodeId>,
}

struct Walk<'a> {
    ds: &'a MemoryDataset,
    ctx: &'a EvalContext,
    ty: &'a RecordTypeName,
    root: &'a Group,
    total: usize,
    nodes: BTreeMap<NodeId, NodeFigures>,
    /// Nodes that are not groups, in tree order, with their gain.
    order: Vec<(NodeId, Option<i64>)>,
}

impl Walk<'_> {
    fn without(&self, id: NodeId) -> i64 {
        let mut tree = self.root.clone();
        remove(&mut tree, id).expect("the node is in the tree");
        self.ds.matching(self.ctx, self.ty, &tree).len() as i64 - self.total as i64
    }

    /// `group` over `ty`: removable unless it is the root or a related block's group.
    fn group(&mut self, group: &Group, ty: &RecordTypeName, removable: bool) {
        let count = self.ds.matching(self.ctx, ty, &alone(Node::Group(group.clone()))).len();
        let without = removable.then(|| self.without(group.id));
        self.nodes.insert(group.id, NodeFigures { alone: count, without });
        for child in &group.children {
            match child {
                Node::Group(inner) => self.group(inner, ty, true),
                Node::Related(block) => {
                    self.leaf(child, ty);
                    self.group(&block.group, &block.record_type, false);
                }
                Node::Condition(_) | Node::Segment(_) => self.leaf(child, ty),
            }
        }
    }

    fn leaf(&mut self, node: &Node, ty: &RecordTypeName) {
        let count = self.ds.matching(self.ctx, ty, &alone(node.clone())).len();
        let without = Some(self.without(node.id()));
        self.nodes.insert(node.id(), NodeFigures { alone: count, without });
        self.order.push((node.id(), without));
    }
}

fn reference(ds: &MemoryDataset, ctx: &EvalContext, ty: &RecordTypeName, root: &Group) -> Reference {
    let total = ds.matching(ctx, ty, root).len();
    let mut walk = Walk { ds, ctx, ty, root, total, nodes: BTreeMap::new(), order: Vec::new() };
    walk.group(root, ty, false);
    let mut top_gain: Option<(NodeId, i64)> = None;
    for (id, gain) in &walk.order {
        if let Some(gain) = gain.filter(|g| *g > 0)
            && top_gain.is_none_or(|(_, best)| gain > best)
        {
            top_gain = Some((*id, gain));
        }
    }
    Reference { total, nodes: walk.nodes, top_gain: top_gain.map(|(id, _)| id) }
}

fn fast(snapshot: &Snapshot, ctx: &EvalContext, ty: &RecordTypeName, root: &Group) -> Funnel {
    funnel(snapshot, ty, root, ctx).unwrap_or_else(|e| panic!("{e}"))
}

/// The engine's figures equal the reference's, node for node.
fn check(ds: &MemoryDataset, snapshot: &Snapshot, ctx: &EvalContext, ty: &str, root: &Group) -> Funnel {
    let ty = name(ty);
    let expected = reference(ds, ctx, &ty, root);
    let found = fast(snapshot, ctx, &ty, root);
    assert_eq!(found.total, expected.total, "total of {root:#?}");
    assert_eq!(found.nodes, expected.nodes, "figures of {root:#?}");
    assert_eq!(found.top_gain, expected.top_gain, "top gain of {root:#?}");
    found
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(96))]

    /// Random trees (nested, negated, Any and empty groups, related blocks with groups of
    /// their own) over random worlds.
    #[test]
    fn every_node_equals_the_reference(case in (arb_world(&schema()), arb_tree(&schema(), "thing"))) {
        let (ds, root) = case;
        let ctx = ctx();
        let snapshot = snapshot_of(&ds, &ctx.time_zone);
        check(&ds, &snapshot, &ctx, "thing", &root);
    }

    #[test]
    fn every_node_equals_the_reference_on_the_built_in_leads(
        case in (arb_world(&Schema::built_in()), arb_tree(&Schema::built_in(), "lead"))
    ) {
        let (ds, root) = case;
        let ctx = ctx();
        let snapshot = snapshot_of(&ds, &ctx.time_zone);
        check(&ds, &snapshot, &ctx, "lead", &root);
    }

    /// With segment conditions among the leaves, reading stored members and definitions.
    #[test]
    fn every_node_equals_the_reference_with_segment_conditions(
        case in (arb_world(&schema()), arb_segments(&schema()), arb_segment_tree(&schema(), "thing"))
    ) {
        let (mut ds, (definitions, pairs), root) = case;
        let ctx = ctx();
        for (ty, record, segment) in &pairs {
            ds.set_membership(ty, *record, Some(*segment));
        }
        ds.set_definitions(definitions.clone());
        let mut snapshot = snapshot_of(&ds, &ctx.time_zone);
        snapshot.set_definitions(definitions);
        for def in &ds.schema().types {
            let of_type = pairs.iter().filter(|(ty, ..)| *ty == def.name).map(|(_, record, segment)| (*record, *segment));
            snapshot.set_memberships(&def.name, of_type).unwrap_or_else(|e| panic!("{e}"));
        }
        check(&ds, &snapshot, &ctx, "thing", &root);
    }
}

/// The figures of the node at `path` (child indexes from the root).
fn at(found: &Funnel, root: &Group, path: &[usize]) -> NodeFigures {
    let mut node = Node::Group(root.clone());
    for index in path {
        node = match node {
            Node::Group(g) => g.children[*index].clone(),
            Node::Related(r) => r.group.children[*index].clone(),
            other => panic!("no children: {other:?}"),
        };
    }
    found.nodes[&node.id()]
}

/// The small world: things 10 (company UK, deals Won and Open), 11 (company FR, deal
/// Lost), 12 (nothing), 13 (a missing company).
#[test]
fn edge_cases_of_removal() {
    let ds = world();
    let ctx = ctx();
    let snapshot = snapshot_of(&ds, &ctx.time_zone);
    let uk = || cond("company.country", Operator::Equals, t("UK"));
    let fr = || cond("company.country", Operator::Equals, t("FR"));
    let won = || cond("stage", Operator::AnyOf, choices(&["Won"]));
    let figures = |alone, without| NodeFigures { alone, without };

    // A narrowing condition: without it, every thing.
    let root = tree(all(vec![uk()]));
    let found = check(&ds, &snapshot, &ctx, "thing", &root);
    assert_eq!((found.total, at(&found, &root, &[0])), (1, figures(1, Some(3))));
    assert_eq!(found.top_gain, Some(root.children[0].id()));

    // A child of an Any loses records when removed: a negative gain, and no top gain.
    let root = tree(any(vec![uk(), fr()]));
    let found = check(&ds, &snapshot, &ctx, "thing", &root);
    assert_eq!(at(&found, &root, &[0]), figures(1, Some(-1)));
    assert_eq!(found.top_gain, None, "nothing narrows");

    // The only child of an Any: the group left empty matches nothing.
    let root = tree(all(vec![group(any(vec![uk()]))]));
    let found = check(&ds, &snapshot, &ctx, "thing", &root);
    assert_eq!(at(&found, &root, &[0, 0]), figures(1, Some(-1)));
    // … and of a negated Any: the complement of nothing, every record.
    let root = tree(all(vec![group(not(any(vec![uk()])))]));
    let found = check(&ds, &snapshot, &ctx, "thing", &root);
    assert_eq!(found.total, 3);
    assert_eq!(at(&found, &root, &[0, 0]), figures(1, Some(1)));
    assert_eq!(at(&found, &root, &[0]), figures(3, Some(1)), "the group itself");

    // Inside a related block: counted over deals; without it the block asks for any deal.
    let root = tree(all(vec![has("deal", "thing", all(vec![won()]))]));
    let found = check(&ds, &snapshot, &ctx, "thing", &root);
    assert_eq!(found.total, 1);
    assert_eq!(at(&found, &root, &[0]), figures(1, Some(3)));
    assert_eq!(at(&found, &root, &[0, 0]), figures(1, Some(1)));
    let Node::Related(block) = &root.children[0] else { panic!("a block") };
    assert_eq!(found.nodes[&block.group.id], figures(1, None), "a block's group is not removable");
    assert_eq!(found.nodes[&root.id], figures(1, None), "nor is the root");
    assert_eq!(found.top_gain, Some(block.id), "the block gains more than the condition inside it");
}

mod window {
    use egui::accesskit::Role;
    use egui_kittest::Harness;
    use egui_kittest::kittest::{By, NodeT, Queryable};
    use segment_builder::app::App;

    use super::common::harness::*;
    use super::*;

    /// The texts of the funnel labels beside the builder's nodes, top to bottom.
    fn figures(harness: &Harness<'_, App>) -> Vec<(String, egui::Rect)> {
        let mut found: Vec<(String, egui::Rect)> = harness
            .query_all_by_label_contains(" · without: ")
            .map(|n| {
                let node = n.accesskit_node();
                (node.label().or_else(|| node.value()).unwrap_or_default(), n.rect())
            })
            .collect();
        found.sort_by(|a, b| a.1.top().total_cmp(&b.1.top()));
        found
    }

    /// Until the builder's newest draft is answered.
    fn wait_for_funnel(harness: &mut Harness<'_, App>) {
        run_until(harness, "the funnel of the draft", |app| {
            app.state().builder.as_ref().is_some_and(|b| b.funnel.answer().is_some() && !b.funnel.is_pending())
        });
        harness.run_steps(2);
    }

    #[test]
    fn the_figures_show_beside_the_conditions_and_follow_an_edit() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (mut harness, segments) = open_demo(&dir);
        let path = harness.state().state().view.as_ref().expect("view").path.clone();
        // The demo's first segment: Country equals Germany, Rating is any of Hot.
        assert_eq!(harness.state().state().selected_segment, Some(segments[0].id));
        wait_for_funnel(&mut harness);
        let before = figures(&harness);
        assert_eq!(before.len(), 2, "one label per condition: {before:?}");
        harness.get_by_label_contains("Top gain: ");

        // What they say is the reference's.
        let (dataset, time_zone) = reference_dataset(&path);
        let ctx = EvalContext::new(segment_builder::clock::now(), time_zone);
        let draft = harness.state().state().builder.as_ref().expect("builder").draft.clone();
        let expected = reference(&dataset, &ctx, &lead(), &draft);
        for (child, (text, _)) in draft.children.iter().zip(&before) {
            let f = expected.nodes[&child.id()];
            let alone = thousands(f.alone as u64);
            let gain = f.without.expect("removable");
            assert!(text.starts_with(&format!("{alone} · without: ")), "{text} vs {f:?}");
            assert!(text.ends_with(&thousands(gain.unsigned_abs())), "{text} vs {f:?}");
        }

        // Beside the row's widgets, never over them.
        let widgets: Vec<egui::Rect> = harness
            .get_all(By::new().predicate(|n| matches!(n.role(), Role::Button | Role::ComboBox | Role::TextInput)))
            .map(|n| n.rect())
            .collect();
        for (text, rect) in &before {
            for widget in &widgets {
                assert!(
                    rect.intersect(*widget).area() < 1.0 || !rect.intersects(*widget),
                    "{text} at {rect:?} overlaps {widget:?}"
                );
            }
        }

        // An edit of a value: the figures follow.
        type_into(&mut harness, "Value", "France");
        wait_for_funnel(&mut harness);
        let after = figures(&harness);
        assert_eq!(after.len(), 2, "{after:?}");
        assert_ne!(before.iter().map(|f| &f.0).collect::<Vec<_>>(), after.iter().map(|f| &f.0).collect::<Vec<_>>());
        let draft = harness.state().state().builder.as_ref().expect("builder").draft.clone();
        let expected = reference(&dataset, &ctx, &lead(), &draft);
        let first = expected.nodes[&draft.children[0].id()];
        assert!(after[0].0.starts_with(&thousands(first.alone as u64)), "{after:?} vs {first:?}");
        harness.get_by_label_contains("Top gain: ");

        // Another segment, selected after the edit is discarded, gets its own figures.
        harness.get_by_label("Discard").click();
        harness.run_steps(3);
        harness.get_by_role_and_label(Role::Button, &segments[1].name).click();
        harness.run_steps(3);
        assert_eq!(harness.state().state().selected_segment, Some(segments[1].id));
        wait_for_funnel(&mut harness);
        let other = figures(&harness);
        assert_eq!(other.len(), segments[1].conditions.children.len(), "{other:?}");
    }

    /// "1,234,567".
    fn thousands(n: u64) -> String {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }
}
