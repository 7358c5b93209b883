//! Which condition costs what: for every node of a tree, how many records it matches on
//! its own and how many more (or fewer) the whole tree matches without it.
//!
//! Each node of the record type's own tree is evaluated once into a bitset (leaves by the
//! fast evaluator, groups recombined from their children); the tree without a node is then
//! recombined along the node's ancestors only, its siblings' sets reused. A node inside a
//! related-record block changes the block's answer: the block without it is evaluated
//! once, and recombined in the block's place.
//!
//! "Without a node" means the tree with that node taken out of its parent group, nothing
//! else changed: an `All` group left empty matches every record, an `Any` group left empty
//! none, and a negated group stays the complement of what is left (`domain::eval`). The
//! root and a related block's own group cannot be removed: they have no figure "without".
//! The reference is that tree evaluated record by record (`tests/funnel.rs`).

use std::collections::BTreeMap;
use std::time::Instant;

use super::EngineError;
use super::bitset::Bitset;
use super::fast::compile;
use super::snapshot::Snapshot;
use crate::domain::edit::remove;
use crate::domain::{EvalContext, Group, GroupMode, Node, NodeId, RecordTypeName, RelatedBlock};

pub use crate::domain::funnel::NodeFigures;

/// The figures of every node of a tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Funnel {
    pub record_type: RecordTypeName,
    /// The records the whole tree matches.
    pub total: usize,
    pub nodes: BTreeMap<NodeId, NodeFigures>,
    /// The node that is not a group whose removal gains the most records (the first in
    /// tree order of equals); `None` when no removal gains any.
    pub top_gain: Option<NodeId>,
    pub elapsed_ms: f64,
}

/// The funnel of `root` over the records of `ty`, at `ctx`.
pub fn funnel(
    snapshot: &Snapshot,
    ty: &RecordTypeName,
    root: &Group,
    ctx: &EvalContext,
) -> Result<Funnel, EngineError> {
    let started = Instant::now();
    let records = snapshot.type_snapshot(ty).ok_or_else(|| EngineError::UnknownType(ty.clone()))?;
    let mut walk = Walk {
        snapshot,
        ty,
        ctx,
        root,
        rows: records.rows(),
        live: records.live(),
        total: 0,
        sets: BTreeMap::new(),
        nodes: BTreeMap::new(),
        order: Vec::new(),
    };
    let whole = walk.group_set(root)?;
    walk.total = whole.count_and(walk.live);
    walk.nodes.insert(root.id, NodeFigures { alone: walk.total, without: None });
    for child in &root.children {
        walk.figures(child)?;
    }
    let mut top_gain: Option<(NodeId, i64)> = None;
    for id in &walk.order {
        let Some(gain) = walk.nodes.get(id).and_then(|f| f.without).filter(|g| *g > 0) else { continue };
        if top_gain.is_none_or(|(_, best)| gain > best) {
            top_gain = Some((*id, gain));
        }
    }
    Ok(Funnel {
        record_type: ty.clone(),
        total: walk.total,
        nodes: walk.nodes,
        top_gain: top_gain.map(|(id, _)| id),
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
    })
}

/// The evaluation in progress: the sets of the nodes of the segment's own tree, the
/// figures found so far, and the nodes that are not groups in tree order.
struct Walk<'a> {
    snapshot: &'a Snapshot,
    ty: &'a RecordTypeName,
    ctx: &'a EvalContext,
    root: &'a Group,
    rows: usize,
    live: &'a Bitset,
    /// What the whole tree matches.
    total: usize,
    sets: BTreeMap<NodeId, Bitset>,
    nodes: BTreeMap<NodeId, NodeFigures>,
    order: Vec<NodeId>,
}

/// A group holding only `node`: it matches what the node matches.
fn alone(node: Node) -> Group {
    Group { id: NodeId(u32::MAX), mode: GroupMode::All, negated: false, children: vec![node] }
}

impl Walk<'_> {
    /// Evaluates `node` on its own over the segment's type.
    fn leaf_set(&self, node: &Node) -> Result<Bitset, EngineError> {
        Ok(compile(self.snapshot, self.ty, &alone(node.clone()), self.ctx)?.evaluate(self.snapshot))
    }

    /// How many more records than the whole tree `set` holds.
    fn gain(&self, set: &Bitset) -> i64 {
        set.count_and(self.live) as i64 - self.total as i64
    }

    /// The set of `group` from its children's, every node of the segment's own tree
    /// evaluated once and kept.
    fn group_set(&mut self, group: &Group) -> Result<Bitset, EngineError> {
        let mut sets = Vec::with_capacity(group.children.len());
        for child in &group.children {
            let set = match child {
                Node::Group(inner) => self.group_set(inner)?,
                Node::Condition(_) | Node::Segment(_) | Node::Related(_) => self.leaf_set(child)?,
            };
            self.sets.insert(child.id(), set.clone());
            sets.push(set);
        }
        Ok(combine(group, sets.iter(), self.rows))
    }

    /// The figures of `node` (of the segment's own tree) and of what it holds, in tree order.
    fn figures(&mut self, node: &Node) -> Result<(), EngineError> {
        let Some(own) = self.sets.get(&node.id()) else { return Ok(()) };
        let alone = own.count_and(self.live);
        let without = self.without_root(node.id(), None).map(|set| self.gain(&set));
        self.nodes.insert(node.id(), NodeFigures { alone, without });
        match node {
            Node::Group(group) => {
                for child in &group.children {
                    self.figures(child)?;
                }
            }
            Node::Related(block) => {
                self.order.push(node.id());
                self.inside_block(block)?;
            }
            Node::Condition(_) | Node::Segment(_) => self.order.push(node.id()),
        }
        Ok(())
    }

    /// The figures of the nodes inside a related block of the segment's own tree: each
    /// counted on its own over its type, and the block evaluated again without it.
    fn inside_block(&mut self, block: &RelatedBlock) -> Result<(), EngineError> {
        let mut inner = Vec::new();
        inside(&block.group, &block.record_type, false, &mut inner);
        for Inner { id, tree, record_type, removable, group } in inner {
            let counted = compile(self.snapshot, &record_type, &tree, self.ctx)?.evaluate(self.snapshot).count();
            let without = if removable {
                let mut changed = block.clone();
                remove(&mut changed.group, id);
                let set = self.leaf_set(&Node::Related(changed))?;
                self.without_root(block.id, Some(&set)).map(|set| self.gain(&set))
            } else {
                None
            };
            if removable && !group {
                self.order.push(id);
            }
            self.nodes.insert(id, NodeFigures { alone: counted, without });
        }
        Ok(())
    }

    /// The set of the whole tree with node `id` replaced by `replacement`, or taken out
    /// when `None`. `None` when `id` is not below the root of the segment's own tree.
    fn without_root(&self, id: NodeId, replacement: Option<&Bitset>) -> Option<Bitset> {
        self.without_in(self.root, id, replacement)
    }

    fn without_in(&self, group: &Group, id: NodeId, replacement: Option<&Bitset>) -> Option<Bitset> {
        let mut changed = None;
        for (index, child) in group.children.iter().enumerate() {
            if child.id() == id {
                changed = Some((index, replacement.cloned()));
                break;
            }
            if let Node::Group(inner) = child
                && let Some(set) = self.without_in(inner, id, replacement)
            {
                changed = Some((index, Some(set)));
                break;
            }
        }
        let (index, set) = changed?;
        let mut sets = Vec::with_capacity(group.children.len());
        for (i, child) in group.children.iter().enumerate() {
            if i == index {
                sets.extend(set.as_ref());
            } else {
                sets.push(self.sets.get(&child.id())?);
            }
        }
        Some(combine(group, sets.into_iter(), self.rows))
    }
}

/// `group` over its children's sets: `All` of nothing is every row, `Any` of nothing none,
/// negated the complement. Rows that are not live may be set: callers count with the live
/// rows.
fn combine<'s>(group: &Group, sets: impl Iterator<Item = &'s Bitset>, rows: usize) -> Bitset {
    let mut result = match group.mode {
        GroupMode::All => Bitset::full(rows),
        GroupMode::Any => Bitset::empty(rows),
    };
    for set in sets {
        match group.mode {
            GroupMode::All => result.and_with(set),
            GroupMode::Any => result.or_with(set),
        }
    }
    if group.negated {
        result.negate();
    }
    result
}

/// A node inside a related block: the tree that is it on its own, over `record_type`.
struct Inner {
    id: NodeId,
    tree: Group,
    record_type: RecordTypeName,
    /// False for the group of a block, which cannot be taken out of it.
    removable: bool,
    group: bool,
}

/// `group` (over `record_type`) and every node inside it, in tree order; nested blocks'
/// nodes over their own type.
fn inside(group: &Group, record_type: &RecordTypeName, removable: bool, out: &mut Vec<Inner>) {
    let tree = alone(Node::Group(group.clone()));
    out.push(Inner { id: group.id, tree, record_type: record_type.clone(), removable, group: true });
    for child in &group.children {
        match child {
            Node::Group(inner) => inside(inner, record_type, true, out),
            Node::Related(block) => {
                let tree = alone(child.clone());
                out.push(Inner {
                    id: child.id(),
                    tree,
                    record_type: record_type.clone(),
                    removable: true,
                    group: false,
                });
                inside(&block.group, &block.record_type, false, out);
            }
            Node::Condition(_) | Node::Segment(_) => {
                let tree = alone(child.clone());
                out.push(Inner {
                    id: child.id(),
                    tree,
                    record_type: record_type.clone(),
                    removable: true,
                    group: false,
                });
            }
        }
    }
}
