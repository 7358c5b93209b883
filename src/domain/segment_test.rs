//! Segment membership as a condition: "is in segment X", "is not in segment X" (the
//! record's current stored membership) and "matches the conditions of segment X" (X's
//! tree evaluated live, whatever X's status), of the record itself or of the record a
//! lookup path reaches. Segments are named by id, so renaming one keeps every reference.
//!
//! The evaluators read X's definition from [`Definitions`]; the stored memberships come
//! from the dataset (`Dataset::segment_of`), the snapshot, or the `membership` table.
//!
//! Meaning (`docs/conditions.md`): a segment node whose segment is unknown, of another record
//! type than the record the path reaches, or whose path does not fit the schema is false,
//! also "is not in". Through an empty or dangling lookup "is in" and "matches" are false and
//! "is not in" is true (the exact complement). A "matches" that reaches a segment already
//! being expanded (a cycle, which validation refuses) is false.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::condition::{FieldPath, Group, Node, NodeId};
use super::schema::{FieldKind, FieldName, RecordTypeDef, RecordTypeName, Schema};
use super::segment::{Segment, SegmentId};

/// "is in / is not in / matches the conditions of segment X", of the record or through
/// `via` (lookup fields followed from the record, as in a [`FieldPath`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentCondition {
    pub id: NodeId,
    pub via: Vec<FieldName>,
    pub test: SegmentTest,
    pub segment: SegmentId,
}

/// What a [`SegmentCondition`] asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SegmentTest {
    /// The record's stored membership is X.
    InSegment,
    /// The exact complement of [`SegmentTest::InSegment`].
    NotInSegment,
    /// X's conditions hold for the record (evaluated live, whatever X's status).
    MatchesConditions,
}

impl SegmentTest {
    pub const ALL: [SegmentTest; 3] =
        [SegmentTest::InSegment, SegmentTest::NotInSegment, SegmentTest::MatchesConditions];

    pub fn label(self) -> &'static str {
        match self {
            SegmentTest::InSegment => "is in segment",
            SegmentTest::NotInSegment => "is not in segment",
            SegmentTest::MatchesConditions => "matches the conditions of segment",
        }
    }

    /// The word the definitions bundle uses.
    pub fn key(self) -> &'static str {
        match self {
            SegmentTest::InSegment => "in",
            SegmentTest::NotInSegment => "not_in",
            SegmentTest::MatchesConditions => "matches",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|test| test.key() == key)
    }
}

impl fmt::Display for SegmentTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What the evaluators and validation know of a segment a tree may name.
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    pub name: String,
    pub record_type: RecordTypeName,
    pub conditions: Group,
}

/// The segments a tree may name, by id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Definitions {
    by_id: BTreeMap<SegmentId, Definition>,
}

impl Definitions {
    /// The definitions of `segments` (every status).
    pub fn of<'s>(segments: impl IntoIterator<Item = &'s Segment>) -> Self {
        let by_id = segments
            .into_iter()
            .map(|s| {
                let definition = Definition {
                    name: s.name.clone(),
                    record_type: s.record_type.clone(),
                    conditions: s.conditions.clone(),
                };
                (s.id, definition)
            })
            .collect();
        Self { by_id }
    }

    pub fn insert(&mut self, id: SegmentId, definition: Definition) {
        self.by_id.insert(id, definition);
    }

    pub fn get(&self, id: SegmentId) -> Option<&Definition> {
        self.by_id.get(&id)
    }

    pub fn iter(&self) -> impl Iterator<Item = (SegmentId, &Definition)> {
        self.by_id.iter().map(|(id, d)| (*id, d))
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The name of a segment, or "#id" for an unknown one.
    pub fn name_of(&self, id: SegmentId) -> String {
        self.get(id).map_or_else(|| format!("#{}", id.0), |d| d.name.clone())
    }

    /// The segments whose conditions name `target`, directly or through others (by any of
    /// the three tests), ascending by id; `target` itself only when it names itself.
    pub fn users_of(&self, target: SegmentId) -> Vec<SegmentId> {
        let mut found: BTreeSet<SegmentId> = BTreeSet::new();
        let mut frontier = vec![target];
        while let Some(used) = frontier.pop() {
            for (id, definition) in &self.by_id {
                if named(&definition.conditions).contains(&used) && found.insert(*id) {
                    frontier.push(*id);
                }
            }
        }
        found.into_iter().collect()
    }

    /// The segments `from`'s conditions name, directly or through the segments they name
    /// (a cycle stops), ascending; `from` itself only through a cycle.
    pub fn named_from(&self, from: SegmentId) -> Vec<SegmentId> {
        let mut found: BTreeSet<SegmentId> = BTreeSet::new();
        let mut frontier = vec![from];
        while let Some(id) = frontier.pop() {
            let Some(definition) = self.get(id) else { continue };
            for used in named(&definition.conditions) {
                if found.insert(used) {
                    frontier.push(used);
                }
            }
        }
        found.into_iter().collect()
    }

    /// `types` ordered so that a type comes after the types whose segments its segments
    /// name (where they do not name each other round): the order in which evaluating each
    /// type once lets every "is in segment X" read X's new members.
    pub fn type_order(&self, types: &[RecordTypeName]) -> Vec<RecordTypeName> {
        let mut order = Vec::with_capacity(types.len());
        let mut visiting = Vec::new();
        for ty in types {
            self.visit_type(ty, types, &mut visiting, &mut order);
        }
        order
    }

    fn visit_type(
        &self,
        ty: &RecordTypeName,
        types: &[RecordTypeName],
        visiting: &mut Vec<RecordTypeName>,
        order: &mut Vec<RecordTypeName>,
    ) {
        if order.contains(ty) || visiting.contains(ty) || !types.contains(ty) {
            return;
        }
        visiting.push(ty.clone());
        let needed: BTreeSet<RecordTypeName> = self
            .by_id
            .values()
            .filter(|d| d.record_type == *ty)
            .flat_map(|d| named(&d.conditions))
            .filter_map(|id| self.get(id).map(|d| d.record_type.clone()))
            .collect();
        for other in &needed {
            self.visit_type(other, types, visiting, order);
        }
        visiting.pop();
        order.push(ty.clone());
    }

    /// A cycle of segments reachable from a tree `root` (the conditions of `this`, if
    /// saved): the segments from the first one that comes round again to its return,
    /// e.g. `[A, B, A]`. `None` without a cycle.
    pub fn cycle(&self, this: Option<SegmentId>, root: &Group) -> Option<Vec<SegmentId>> {
        let mut stack: Vec<SegmentId> = this.into_iter().collect();
        self.cycle_from(&named(root), &mut stack)
    }

    fn cycle_from(&self, next: &BTreeSet<SegmentId>, stack: &mut Vec<SegmentId>) -> Option<Vec<SegmentId>> {
        for &id in next {
            if let Some(start) = stack.iter().position(|s| *s == id) {
                let mut path = stack[start..].to_vec();
                path.push(id);
                return Some(path);
            }
            let Some(definition) = self.get(id) else { continue };
            stack.push(id);
            let found = self.cycle_from(&named(&definition.conditions), stack);
            stack.pop();
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// How deep X's tree nests, counted as validation counts (its root group is 1),
    /// including the trees its "matches the conditions of" nodes reach (a cycle stops).
    pub fn nesting(&self, id: SegmentId) -> usize {
        let mut seen = vec![id];
        self.get(id).map_or(1, |d| self.group_nesting(&d.conditions, &mut seen))
    }

    fn group_nesting(&self, group: &Group, seen: &mut Vec<SegmentId>) -> usize {
        let deepest = group
            .children
            .iter()
            .map(|child| match child {
                Node::Condition(c) => 1 + c.path.via.len(),
                Node::Group(g) => 1 + self.group_nesting(g, seen),
                Node::Related(r) => 1 + self.group_nesting(&r.group, seen),
                Node::Segment(s) => s.via.len() + self.matched_nesting(s, seen),
            })
            .max()
            .unwrap_or(0);
        deepest.max(1)
    }

    /// What a node adds below its level: 1 for membership, X's nesting for "matches".
    fn matched_nesting(&self, node: &SegmentCondition, seen: &mut Vec<SegmentId>) -> usize {
        if node.test != SegmentTest::MatchesConditions || seen.contains(&node.segment) {
            return 1;
        }
        let Some(definition) = self.get(node.segment) else { return 1 };
        seen.push(node.segment);
        let nesting = self.group_nesting(&definition.conditions, seen);
        seen.pop();
        nesting + 1
    }
}

/// The segments a tree names directly (in segment nodes, also inside groups and related
/// blocks), ascending.
pub fn named(root: &Group) -> BTreeSet<SegmentId> {
    let mut found = BTreeSet::new();
    collect(root, &mut found);
    found
}

fn collect(group: &Group, found: &mut BTreeSet<SegmentId>) {
    for child in &group.children {
        match child {
            Node::Condition(_) => {}
            Node::Group(g) => collect(g, found),
            Node::Related(r) => collect(&r.group, found),
            Node::Segment(s) => {
                found.insert(s.segment);
            }
        }
    }
}

/// The record type the path `via` from `ty` reaches, following lookups; `None` when a hop
/// is unknown, not a lookup, or points at an unknown type.
pub fn reached_type<'s>(schema: &'s Schema, ty: &'s RecordTypeDef, via: &[FieldName]) -> Option<&'s RecordTypeDef> {
    let mut current = ty;
    for hop in via {
        let field = current.field(hop)?;
        if field.kind != FieldKind::Lookup {
            return None;
        }
        current = schema.get(field.lookup_target.as_ref()?)?;
    }
    Some(current)
}

/// The dotted path of the lookups of a segment node ("account"), empty for the record.
pub fn via_text(via: &[FieldName]) -> String {
    via.iter().map(ToString::to_string).collect::<Vec<_>>().join(".")
}

/// The lookups of a segment node as a field path ending at the last one (for labels);
/// `None` for the record itself.
pub fn as_field_path(via: &[FieldName]) -> Option<FieldPath> {
    let (field, hops) = via.split_last()?;
    Some(FieldPath { via: hops.to_vec(), field: field.clone() })
}

/// Calls `visit` with every segment node of `group` (testing records of `ty`), the type
/// whose records it tests, and its place (child indexes from the root as validation
/// counts them: a related block's group adds none).
pub fn visit_segments_mut(
    schema: &Schema,
    ty: &RecordTypeDef,
    group: &mut Group,
    visit: &mut dyn FnMut(&RecordTypeDef, &mut SegmentCondition, &[usize]),
) {
    visit_at(schema, ty, group, visit, &mut Vec::new());
}

fn visit_at(
    schema: &Schema,
    ty: &RecordTypeDef,
    group: &mut Group,
    visit: &mut dyn FnMut(&RecordTypeDef, &mut SegmentCondition, &[usize]),
    path: &mut Vec<usize>,
) {
    for (index, child) in group.children.iter_mut().enumerate() {
        path.push(index);
        match child {
            Node::Condition(_) => {}
            Node::Group(inner) => visit_at(schema, ty, inner, visit, path),
            Node::Related(block) => {
                if let Some(related) = schema.get(&block.record_type) {
                    visit_at(schema, related, &mut block.group, visit, path);
                }
            }
            Node::Segment(node) => visit(ty, node, path),
        }
        path.pop();
    }
}
