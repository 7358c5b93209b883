//! Edits of a condition tree by node id: what the builder does when a user adds, removes,
//! duplicates, moves, wraps or ungroups nodes. Every function leaves the tree unchanged and
//! returns `false` (or `None`) when the edit does not apply (an unknown id, the root, a move
//! into the node's own subtree), so a stale click can never corrupt a tree.
//!
//! "Groups" here are the root, nested groups and the groups of related-record blocks: every
//! place children can live. A node's parent is the group whose `children` hold it.

use super::condition::{Group, Node, NodeId, NodeIds};

/// The group with this id (the root, a nested group or a related block's group).
pub fn group(root: &Group, id: NodeId) -> Option<&Group> {
    if root.id == id {
        return Some(root);
    }
    root.children.iter().find_map(|child| match child {
        Node::Group(g) => group(g, id),
        Node::Related(r) => group(&r.group, id),
        Node::Condition(_) | Node::Segment(_) => None,
    })
}

pub fn group_mut(root: &mut Group, id: NodeId) -> Option<&mut Group> {
    if root.id == id {
        return Some(root);
    }
    root.children.iter_mut().find_map(|child| match child {
        Node::Group(g) => group_mut(g, id),
        Node::Related(r) => group_mut(&mut r.group, id),
        Node::Condition(_) | Node::Segment(_) => None,
    })
}

/// The node with this id, anywhere below the root.
pub fn node(root: &Group, id: NodeId) -> Option<&Node> {
    root.children.iter().find_map(|child| {
        if child.id() == id {
            return Some(child);
        }
        match child {
            Node::Group(g) => node(g, id),
            Node::Related(r) => node(&r.group, id),
            Node::Condition(_) | Node::Segment(_) => None,
        }
    })
}

pub fn node_mut(root: &mut Group, id: NodeId) -> Option<&mut Node> {
    let index = root.children.iter().position(|c| c.id() == id);
    if let Some(index) = index {
        return root.children.get_mut(index);
    }
    root.children.iter_mut().find_map(|child| match child {
        Node::Group(g) => node_mut(g, id),
        Node::Related(r) => node_mut(&mut r.group, id),
        Node::Condition(_) | Node::Segment(_) => None,
    })
}

/// The group holding `id` and the node's index in it.
pub fn parent_of(root: &Group, id: NodeId) -> Option<(NodeId, usize)> {
    if let Some(index) = root.children.iter().position(|c| c.id() == id) {
        return Some((root.id, index));
    }
    root.children.iter().find_map(|child| match child {
        Node::Group(g) => parent_of(g, id),
        Node::Related(r) => parent_of(&r.group, id),
        Node::Condition(_) | Node::Segment(_) => None,
    })
}

/// Whether `inner` is `outer` itself or lies anywhere inside it.
pub fn contains(root: &Group, outer: NodeId, inner: NodeId) -> bool {
    if outer == inner {
        return true;
    }
    match node(root, outer) {
        Some(Node::Group(g)) => g.id == inner || node(g, inner).is_some(),
        Some(Node::Related(r)) => r.group.id == inner || node(&r.group, inner).is_some(),
        _ => root.id == outer && node(root, inner).is_some(),
    }
}

/// Appends `child` to the group `parent`.
pub fn push(root: &mut Group, parent: NodeId, child: Node) -> bool {
    match group_mut(root, parent) {
        Some(group) => {
            group.children.push(child);
            true
        }
        None => false,
    }
}

/// Takes the node out of the tree.
pub fn remove(root: &mut Group, id: NodeId) -> Option<Node> {
    let (parent, index) = parent_of(root, id)?;
    Some(group_mut(root, parent)?.children.remove(index))
}

/// Puts a copy of the node (fresh ids throughout) right after it; returns the copy's id.
pub fn duplicate(root: &mut Group, id: NodeId, ids: &mut NodeIds) -> Option<NodeId> {
    let (parent, index) = parent_of(root, id)?;
    let mut copy = node(root, id)?.clone();
    renumber(&mut copy, ids);
    let copy_id = copy.id();
    group_mut(root, parent)?.children.insert(index + 1, copy);
    Some(copy_id)
}

/// Gives the node and everything inside it fresh ids.
pub fn renumber(node: &mut Node, ids: &mut NodeIds) {
    match node {
        Node::Condition(c) => c.id = ids.next_id(),
        Node::Segment(s) => s.id = ids.next_id(),
        Node::Group(g) => g.renumber(ids),
        Node::Related(r) => {
            r.id = ids.next_id();
            r.group.renumber(ids);
        }
    }
}

/// Moves the node one place up (`-1`) or down (`+1`) among its siblings.
pub fn shift(root: &mut Group, id: NodeId, up: bool) -> bool {
    let Some((parent, index)) = parent_of(root, id) else { return false };
    let Some(group) = group_mut(root, parent) else { return false };
    let other = if up { index.checked_sub(1) } else { Some(index + 1) };
    match other {
        Some(other) if other < group.children.len() => {
            group.children.swap(index, other);
            true
        }
        _ => false,
    }
}

/// Moves the node into the group `parent` so that it ends up at `index` there (an index
/// counted among the group's children before the move, as a drop position between rows is).
/// Refused when `parent` is the node itself or lies inside it.
pub fn move_to(root: &mut Group, id: NodeId, parent: NodeId, index: usize) -> bool {
    if contains(root, id, parent) || group(root, parent).is_none() {
        return false;
    }
    let Some((old_parent, old_index)) = parent_of(root, id) else { return false };
    let mut index = index;
    if old_parent == parent && old_index < index {
        index -= 1;
    }
    let Some(moved) = remove(root, id) else { return false };
    let Some(group) = group_mut(root, parent) else { return false };
    let index = index.min(group.children.len());
    group.children.insert(index, moved);
    true
}

/// Puts the sibling nodes `ids` (children of one group, in any order) into a new `All`
/// group with id `group_id`, placed where the first of them was. Refused when the nodes
/// are not all children of the same group.
pub fn wrap(root: &mut Group, ids: &[NodeId], group_id: NodeId) -> bool {
    let Some(first) = ids.first() else { return false };
    let Some((parent, _)) = parent_of(root, *first) else { return false };
    let Some(group) = group_mut(root, parent) else { return false };
    if !ids.iter().all(|id| group.children.iter().any(|c| c.id() == *id)) {
        return false;
    }
    let Some(at) = group.children.iter().position(|c| ids.contains(&c.id())) else { return false };
    let mut wrapped = Group::all(group_id);
    let mut kept = Vec::with_capacity(group.children.len());
    for child in std::mem::take(&mut group.children) {
        if ids.contains(&child.id()) {
            wrapped.children.push(child);
        } else {
            kept.push(child);
        }
    }
    kept.insert(at.min(kept.len()), Node::Group(wrapped));
    group.children = kept;
    true
}

/// Replaces the nested group `id` by its children. A negated group cannot be ungrouped
/// without changing what the tree means, and neither can an `Any` group inside an `All`
/// group (or the reverse) with more than one child; those are refused.
pub fn ungroup(root: &mut Group, id: NodeId) -> bool {
    let Some((parent, index)) = parent_of(root, id) else { return false };
    let Some(parent_group) = group_mut(root, parent) else { return false };
    let Some(Node::Group(inner)) = parent_group.children.get(index) else { return false };
    if !can_ungroup(parent_group.mode, inner) {
        return false;
    }
    let Node::Group(inner) = parent_group.children.remove(index) else { return false };
    for (offset, child) in inner.children.into_iter().enumerate() {
        parent_group.children.insert(index + offset, child);
    }
    true
}

/// Whether ungrouping `inner` inside a group of `parent_mode` keeps the meaning.
pub fn can_ungroup(parent_mode: super::condition::GroupMode, inner: &Group) -> bool {
    !inner.negated && (inner.mode == parent_mode || inner.children.len() <= 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::condition::{Condition, FieldPath, GroupMode, Operand, Operator};

    fn cond(id: u32) -> Node {
        Node::Condition(Condition {
            id: NodeId(id),
            path: FieldPath::own("country"),
            operator: Operator::IsEmpty,
            value: Operand::None,
        })
    }

    fn grp(id: u32, mode: GroupMode, children: Vec<Node>) -> Group {
        Group { id: NodeId(id), mode, negated: false, children }
    }

    /// root(0): [c1, g2(Any): [c3, c4], c5]
    fn sample() -> Group {
        grp(0, GroupMode::All, vec![cond(1), Node::Group(grp(2, GroupMode::Any, vec![cond(3), cond(4)])), cond(5)])
    }

    /// The ids of the tree in pre-order, groups marked with their children in brackets.
    fn shape(group: &Group) -> String {
        let inner: Vec<String> = group
            .children
            .iter()
            .map(|c| match c {
                Node::Condition(c) => c.id.0.to_string(),
                Node::Segment(s) => s.id.0.to_string(),
                Node::Group(g) => shape(g),
                Node::Related(r) => format!("r{}", shape(&r.group)),
            })
            .collect();
        format!("{}[{}]", group.id.0, inner.join(" "))
    }

    #[test]
    fn finds_nodes_and_parents() {
        let root = sample();
        assert_eq!(parent_of(&root, NodeId(4)), Some((NodeId(2), 1)));
        assert_eq!(parent_of(&root, NodeId(5)), Some((NodeId(0), 2)));
        assert_eq!(parent_of(&root, NodeId(0)), None);
        assert!(contains(&root, NodeId(2), NodeId(3)));
        assert!(!contains(&root, NodeId(2), NodeId(5)));
        assert!(group(&root, NodeId(2)).is_some());
        assert!(node(&root, NodeId(9)).is_none());
    }

    #[test]
    fn moves_within_and_between_groups() {
        let mut root = sample();
        assert!(move_to(&mut root, NodeId(5), NodeId(2), 0));
        assert_eq!(shape(&root), "0[1 2[5 3 4]]");
        assert!(move_to(&mut root, NodeId(1), NodeId(0), 2), "to the end of its own group");
        assert_eq!(shape(&root), "0[2[5 3 4] 1]");
        assert!(!move_to(&mut root, NodeId(2), NodeId(2), 0), "into itself");
        assert!(!move_to(&mut root, NodeId(0), NodeId(2), 0), "the root");
        assert!(shift(&mut root, NodeId(1), true));
        assert_eq!(shape(&root), "0[1 2[5 3 4]]");
        assert!(!shift(&mut root, NodeId(1), true), "already first");
        assert!(shift(&mut root, NodeId(3), false));
        assert_eq!(shape(&root), "0[1 2[5 4 3]]");
    }

    #[test]
    fn wraps_and_ungroups() {
        let mut root = sample();
        assert!(wrap(&mut root, &[NodeId(5), NodeId(1)], NodeId(9)));
        assert_eq!(shape(&root), "0[9[1 5] 2[3 4]]");
        assert!(!wrap(&mut root, &[NodeId(1), NodeId(3)], NodeId(10)), "not siblings");
        assert!(!ungroup(&mut root, NodeId(2)), "an Any of two inside an All");
        assert!(ungroup(&mut root, NodeId(9)));
        assert_eq!(shape(&root), "0[1 5 2[3 4]]");
    }

    #[test]
    fn duplicates_with_fresh_ids_and_removes() {
        let mut root = sample();
        let mut ids = NodeIds::after(&root);
        assert_eq!(duplicate(&mut root, NodeId(2), &mut ids), Some(NodeId(6)));
        assert_eq!(shape(&root), "0[1 2[3 4] 6[7 8] 5]");
        assert!(remove(&mut root, NodeId(2)).is_some());
        assert!(remove(&mut root, NodeId(0)).is_none());
        assert_eq!(shape(&root), "0[1 6[7 8] 5]");
    }
}
