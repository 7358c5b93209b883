//! The condition builder's state: the draft tree of the selected segment, what the user is
//! typing into value boxes, the problems of every node, and undo / redo of every edit.
//!
//! Pure: no egui, no store. `App` creates a [`Builder`] when a segment is selected, feeds it
//! [`BuilderEdit`]s from the panels and saves its draft through the store.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::civil::Date;

use crate::domain::Definitions;
use crate::domain::edit;
use crate::domain::eval::resolve_path;
use crate::domain::validate::validate_segment;
use crate::domain::{
    DateValue, FieldDef, FieldName, FieldPath, Group, GroupMode, Node, NodeId, NodeIds, Operand, Operator, Quantifier,
    RecordId, RecordTypeDef, RecordTypeName, RelatedBlock, Schema, SegmentCondition, SegmentId, SegmentTest, SellerId,
    TeamId, matches_everything,
};

/// How many builder edits Undo remembers.
const UNDO_LIMIT: usize = 200;

/// A value box whose text is kept as typed (so "12." or a half-written list survive) and
/// parsed into the condition's value on every change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InputSlot {
    Number,
    Low,
    High,
    /// "is any of" lists: one item per line or separated by commas.
    List,
    /// The optional time of a date ("14:30"), making before / after compare instants.
    Time,
    /// The N of a related block's "at least / at most / exactly N".
    Count,
}

/// One change the user makes in the builder. Nodes are named by id, never by position.
#[derive(Clone, Debug, PartialEq)]
pub enum BuilderEdit {
    SetMode {
        group: NodeId,
        mode: GroupMode,
    },
    SetNegated {
        group: NodeId,
        negated: bool,
    },
    AddCondition {
        parent: NodeId,
    },
    AddGroup {
        parent: NodeId,
    },
    /// A related-record block using the first lookup that points at the group's type.
    AddRelated {
        parent: NodeId,
    },
    Remove(NodeId),
    Duplicate(NodeId),
    /// One place up or down among its siblings.
    Shift {
        id: NodeId,
        up: bool,
    },
    /// Into `parent` at `index` (counted before the move), as a drop between rows does.
    MoveTo {
        id: NodeId,
        parent: NodeId,
        index: usize,
    },
    /// Put the selected sibling nodes into a new `All` group.
    WrapSelection,
    Ungroup(NodeId),
    SetField {
        id: NodeId,
        path: FieldPath,
    },
    SetOperator {
        id: NodeId,
        operator: Operator,
    },
    /// A value set by a picker, a date button or chips.
    SetOperand {
        id: NodeId,
        operand: Operand,
    },
    /// Text typed into a value box.
    SetInput {
        id: NodeId,
        slot: InputSlot,
        text: String,
    },
    SetQuantifier {
        id: NodeId,
        quantifier: Quantifier,
    },
    /// The related type and the lookup of it that points here.
    SetRelatedVia {
        id: NodeId,
        record_type: RecordTypeName,
        via: FieldName,
    },
    /// Makes the node (a condition or a segment condition) "is in / is not in / matches
    /// the conditions of segment X" of the record `via` reaches.
    SetSegmentCondition {
        id: NodeId,
        via: Vec<FieldName>,
        test: SegmentTest,
        segment: SegmentId,
    },
    ToggleCollapsed(NodeId),
    ToggleSelected(NodeId),
}

/// The tree and the typed texts, as Undo restores them.
#[derive(Clone, Debug, PartialEq)]
struct Version {
    tree: Group,
    inputs: HashMap<(NodeId, InputSlot), String>,
}

#[derive(Clone, Debug)]
pub struct Builder {
    pub segment: SegmentId,
    pub record_type: RecordTypeName,
    /// The conditions as stored.
    pub saved: Group,
    /// The conditions as edited.
    pub draft: Group,
    /// Texts of value boxes, as typed.
    pub inputs: HashMap<(NodeId, InputSlot), String>,
    /// What is wrong, per node (validation and unparsable input), in tree order per node.
    pub problems: BTreeMap<NodeId, Vec<String>>,
    /// An un-negated `All` of nothing, or only such groups: every record matches.
    pub matches_everything: bool,
    pub collapsed: BTreeSet<NodeId>,
    /// Nodes ticked for "Wrap in group".
    pub selection: BTreeSet<NodeId>,
    /// Why the last save failed, if it did.
    pub save_error: Option<String>,
    /// Conditions just added and not touched yet: their problems (an empty value) are not
    /// shown until the user edits them or tries to save; they still block Save and the
    /// preview like any other.
    pub fresh: BTreeSet<NodeId>,
    /// How deep groups may nest: the workspace's setting (activation refuses deeper trees).
    pub nesting_limit: usize,
    /// The segments segment conditions may name (for validation: unknown ones, cycles).
    pub definitions: Definitions,
    /// What each node matches and what the tree gains without it (segments only).
    pub funnel: FunnelState,
    undo: Vec<Version>,
    redo: Vec<Version>,
    /// The value box the newest undo step is for: more typing there joins that step.
    typing: Option<(NodeId, InputSlot)>,
    ids: NodeIds,
}

/// What edits need besides the tree: the schema, for field kinds, and today, for new dates.
pub struct EditContext<'a> {
    pub schema: &'a Schema,
    pub today: Date,
}

impl Builder {
    pub fn new(segment: SegmentId, record_type: RecordTypeName, conditions: Group, schema: &Schema) -> Self {
        let mut builder = Self {
            segment,
            record_type,
            ids: NodeIds::after(&conditions),
            saved: conditions.clone(),
            draft: conditions,
            inputs: HashMap::new(),
            problems: BTreeMap::new(),
            matches_everything: false,
            collapsed: BTreeSet::new(),
            selection: BTreeSet::new(),
            save_error: None,
            fresh: BTreeSet::new(),
            nesting_limit: crate::domain::DEFAULT_MAX_DEPTH,
            definitions: Definitions::default(),
            funnel: FunnelState::default(),
            undo: Vec::new(),
            redo: Vec::new(),
            typing: None,
        };
        builder.check(schema);
        builder
    }

    /// The builder checking nesting against the workspace's limit instead of the default.
    #[must_use]
    pub fn with_nesting_limit(mut self, limit: usize, schema: &Schema) -> Self {
        self.set_nesting_limit(limit, schema);
        self
    }

    /// The builder knowing the workspace's segments (segment conditions name them).
    #[must_use]
    pub fn with_definitions(mut self, definitions: Definitions, schema: &Schema) -> Self {
        self.definitions = definitions;
        self.check(schema);
        self
    }

    /// Checks nesting against `limit` from now on (the setting changed).
    pub fn set_nesting_limit(&mut self, limit: usize, schema: &Schema) {
        self.nesting_limit = limit;
        self.check(schema);
    }

    /// Whether the draft differs from what is stored.
    pub fn is_dirty(&self) -> bool {
        self.draft != self.saved
    }

    pub fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// The problems in tree order, for a summary under the tree.
    pub fn problem_count(&self) -> usize {
        self.problems.values().map(Vec::len).sum()
    }

    /// "the problem" or "the 3 problems", for messages asking to fix them.
    pub fn problems_phrase(&self) -> String {
        match self.problem_count() {
            1 => "the problem".to_owned(),
            count => format!("the {count} problems"),
        }
    }

    /// The text a related block's box shows: what was typed, or its count or aggregate
    /// value formatted.
    pub fn quantity_text(&self, id: NodeId, slot: InputSlot, quantifier: &Quantifier) -> String {
        if let Some(text) = self.inputs.get(&(id, slot)) {
            return text.clone();
        }
        match (slot, quantifier) {
            (InputSlot::Count, Quantifier::AtLeast(n) | Quantifier::AtMost(n) | Quantifier::Exactly(n)) => {
                n.to_string()
            }
            (InputSlot::Number, Quantifier::Aggregate(test)) => number_text(test.value),
            _ => String::new(),
        }
    }

    /// The text a value box shows: what was typed, or the value formatted.
    pub fn input_text(&self, id: NodeId, slot: InputSlot, operand: &Operand) -> String {
        if let Some(text) = self.inputs.get(&(id, slot)) {
            return text.clone();
        }
        match (slot, operand) {
            (InputSlot::Number, Operand::Number(x)) => number_text(*x),
            (InputSlot::Low, Operand::NumberRange { low, .. }) => number_text(*low),
            (InputSlot::High, Operand::NumberRange { high, .. }) => number_text(*high),
            (InputSlot::List, Operand::TextList(items)) => items.join("\n"),
            (InputSlot::List, Operand::NumberList(items)) => {
                items.iter().map(|x| number_text(*x)).collect::<Vec<_>>().join("\n")
            }
            (InputSlot::Time, Operand::Date(DateValue::At(wall))) => {
                format!("{:02}:{:02}", wall.hour(), wall.minute())
            }
            _ => String::new(),
        }
    }

    /// Applies one edit. Returns whether the tree changed (so the preview is asked again).
    pub fn apply(&mut self, edit: BuilderEdit, ctx: &EditContext<'_>) -> bool {
        match edit {
            BuilderEdit::ToggleCollapsed(id) => {
                if !self.collapsed.remove(&id) {
                    self.collapsed.insert(id);
                }
                return false;
            }
            BuilderEdit::ToggleSelected(id) => {
                if !self.selection.remove(&id) {
                    self.selection.insert(id);
                }
                return false;
            }
            _ => {}
        }
        let before = self.version();
        let typing = match &edit {
            BuilderEdit::SetInput { id, slot, .. } => Some((*id, *slot)),
            _ => None,
        };
        let adds = matches!(edit, BuilderEdit::AddCondition { .. } | BuilderEdit::AddGroup { .. });
        let touched = match &edit {
            BuilderEdit::SetField { id, .. }
            | BuilderEdit::SetOperator { id, .. }
            | BuilderEdit::SetOperand { id, .. }
            | BuilderEdit::SetInput { id, .. } => Some(*id),
            _ => None,
        };
        // Ids only grow: what an add creates is numbered from here on.
        let first_new = self.ids.peek();
        let changed = self.change(edit, ctx);
        if !changed || self.version() == before {
            self.version_restore(before);
            return false;
        }
        // Typing on in the same box extends the step Undo takes back.
        if typing.is_none() || typing != self.typing {
            self.undo.push(before);
            if self.undo.len() > UNDO_LIMIT {
                self.undo.remove(0);
            }
        }
        self.typing = typing;
        self.redo.clear();
        self.save_error = None;
        if adds {
            self.fresh.extend((first_new.0..self.ids.peek().0).map(NodeId));
        }
        if let Some(id) = touched {
            self.fresh.remove(&id);
        }
        self.check(ctx.schema);
        true
    }

    /// Shows every problem, the new conditions' too (a save was tried).
    pub fn reveal_problems(&mut self) {
        self.fresh.clear();
    }

    /// The problems of `id` the user should see now.
    pub fn shown_problems(&self, id: NodeId) -> Option<&Vec<String>> {
        if self.fresh.contains(&id) { None } else { self.problems.get(&id) }
    }

    pub fn undo(&mut self, schema: &Schema) -> bool {
        let Some(previous) = self.undo.pop() else { return false };
        let current = self.version();
        self.redo.push(current);
        self.version_restore(previous);
        self.typing = None;
        self.check(schema);
        true
    }

    pub fn redo(&mut self, schema: &Schema) -> bool {
        let Some(next) = self.redo.pop() else { return false };
        let current = self.version();
        self.undo.push(current);
        self.version_restore(next);
        self.typing = None;
        self.check(schema);
        true
    }

    /// Back to the stored conditions (itself an edit Undo can take back).
    pub fn discard(&mut self, schema: &Schema) {
        if !self.is_dirty() && self.inputs.is_empty() {
            return;
        }
        self.undo.push(self.version());
        self.redo.clear();
        self.draft = self.saved.clone();
        self.inputs.clear();
        self.typing = None;
        self.save_error = None;
        self.check(schema);
    }

    /// The draft was stored.
    pub fn saved(&mut self) {
        self.saved = self.draft.clone();
        self.save_error = None;
        self.typing = None;
    }

    fn version(&self) -> Version {
        Version { tree: self.draft.clone(), inputs: self.inputs.clone() }
    }

    fn version_restore(&mut self, version: Version) {
        self.draft = version.tree;
        self.inputs = version.inputs;
        // Ids stay unique even across undo: never hand out one that existed before.
        let after = NodeIds::after(&self.draft);
        if after.clone().next_id() > self.ids.clone().next_id() {
            self.ids = after;
        }
        self.selection.retain(|id| edit::node(&self.draft, *id).is_some());
    }

    fn change(&mut self, edit: BuilderEdit, ctx: &EditContext<'_>) -> bool {
        let schema = ctx.schema;
        match edit {
            BuilderEdit::SetMode { group, mode } => match edit::group_mut(&mut self.draft, group) {
                Some(g) => {
                    g.mode = mode;
                    true
                }
                None => false,
            },
            BuilderEdit::SetNegated { group, negated } => match edit::group_mut(&mut self.draft, group) {
                Some(g) => {
                    g.negated = negated;
                    true
                }
                None => false,
            },
            BuilderEdit::AddCondition { parent } => {
                let Some(def) = self.group_type(schema, parent) else { return false };
                let Some(condition) = new_condition(def, self.ids.next_id(), ctx.today) else { return false };
                edit::push(&mut self.draft, parent, Node::Condition(condition))
            }
            BuilderEdit::AddGroup { parent } => {
                let mut group =
                    Group { id: self.ids.next_id(), mode: GroupMode::Any, negated: false, children: vec![] };
                if let Some(def) = self.group_type(schema, parent)
                    && let Some(condition) = new_condition(def, self.ids.next_id(), ctx.today)
                {
                    group.children.push(Node::Condition(condition));
                }
                edit::push(&mut self.draft, parent, Node::Group(group))
            }
            BuilderEdit::AddRelated { parent } => {
                let Some(def) = self.group_type(schema, parent) else { return false };
                let Some((related, via)) = schema.lookups_into(&def.name).next() else { return false };
                let block = RelatedBlock {
                    id: self.ids.next_id(),
                    quantifier: Quantifier::AtLeastOne,
                    record_type: related.name.clone(),
                    via: via.name.clone(),
                    group: Group::all(self.ids.next_id()),
                };
                edit::push(&mut self.draft, parent, Node::Related(block))
            }
            BuilderEdit::Remove(id) => {
                let removed = edit::remove(&mut self.draft, id).is_some();
                self.inputs.retain(|(node, _), _| edit::node(&self.draft, *node).is_some());
                removed
            }
            BuilderEdit::Duplicate(id) => {
                let Some(copy) = edit::duplicate(&mut self.draft, id, &mut self.ids) else { return false };
                // A half-typed value is copied as typed.
                let typed: Vec<_> = self
                    .inputs
                    .iter()
                    .filter(|((node, _), _)| *node == id)
                    .map(|((_, s), t)| (*s, t.clone()))
                    .collect();
                for (slot, text) in typed {
                    self.inputs.insert((copy, slot), text);
                }
                true
            }
            BuilderEdit::Shift { id, up } => edit::shift(&mut self.draft, id, up),
            BuilderEdit::MoveTo { id, parent, index } => {
                // A condition keeps its field only within the same record type.
                let same_type =
                    self.parent_type(schema, id).map(|d| &d.name) == self.group_type(schema, parent).map(|d| &d.name);
                same_type && edit::move_to(&mut self.draft, id, parent, index)
            }
            BuilderEdit::WrapSelection => {
                let ids: Vec<NodeId> = self.selection.iter().copied().collect();
                let wrapped = edit::wrap(&mut self.draft, &ids, self.ids.next_id());
                if wrapped {
                    self.selection.clear();
                }
                wrapped
            }
            BuilderEdit::Ungroup(id) => {
                self.collapsed.remove(&id);
                edit::ungroup(&mut self.draft, id)
            }
            edit @ (BuilderEdit::SetField { .. }
            | BuilderEdit::SetOperator { .. }
            | BuilderEdit::SetOperand { .. }
            | BuilderEdit::SetInput { .. }) => self.change_condition(edit, ctx),
            BuilderEdit::SetQuantifier { id, quantifier } => match edit::node_mut(&mut self.draft, id) {
                Some(Node::Related(block)) => {
                    block.quantifier = quantifier;
                    // What was typed belonged to the previous quantity.
                    self.inputs.retain(|(node, _), _| *node != id);
                    true
                }
                _ => false,
            },
            BuilderEdit::SetRelatedVia { id, record_type, via } => match edit::node_mut(&mut self.draft, id) {
                Some(Node::Related(block)) => {
                    if block.record_type != record_type {
                        // The conditions were about the other type's fields.
                        block.group.children.clear();
                    }
                    block.record_type = record_type;
                    block.via = via;
                    true
                }
                _ => false,
            },
            BuilderEdit::SetSegmentCondition { id, via, test, segment } => match edit::node_mut(&mut self.draft, id) {
                Some(node @ (Node::Condition(_) | Node::Segment(_))) => {
                    *node = Node::Segment(SegmentCondition { id, via, test, segment });
                    self.inputs.retain(|(node, _), _| *node != id);
                    true
                }
                _ => false,
            },
            BuilderEdit::ToggleCollapsed(_) | BuilderEdit::ToggleSelected(_) => false,
        }
    }

    /// Recomputes the problems of every node and the matches-everything warning.
    fn check(&mut self, schema: &Schema) {
        let mut problems: BTreeMap<NodeId, Vec<String>> = BTreeMap::new();
        if let Some(def) = schema.get(&self.record_type) {
            let this = Some(self.segment).filter(|id| id.0 > 0);
            let found = validate_segment(schema, def, &self.draft, self.nesting_limit, &self.definitions, this);
            for problem in found {
                problems.entry(problem.node).or_default().push(problem.kind.to_string());
            }
        } else {
            let message = format!("The record type \"{}\" no longer exists", self.record_type);
            problems.entry(self.draft.id).or_default().push(message);
        }
        for ((id, slot), text) in &self.inputs {
            let Some(field) = self.condition_field(schema, *id) else { continue };
            let Some(Node::Condition(condition)) = edit::node(&self.draft, *id) else { continue };
            if let Err(message) = parse_input(*slot, text, &condition.value, &field) {
                problems.entry(*id).or_default().push(message);
            }
        }
        let mut unchosen = Vec::new();
        collect_unchosen(&self.draft, &mut unchosen);
        for (id, what) in unchosen {
            problems.entry(id).or_default().push(format!("Choose {what}"));
        }
        for messages in problems.values_mut() {
            messages.dedup();
        }
        self.problems = problems;
        self.matches_everything = matches_everything(&self.draft);
    }

    /// The record type whose fields the group `id` tests.
    pub fn group_type<'s>(&self, schema: &'s Schema, id: NodeId) -> Option<&'s RecordTypeDef> {
        let root_type = schema.get(&self.record_type)?;
        type_of_group(schema, root_type, &self.draft, id)
    }

    /// The record type whose fields the node `id` (a child of some group) tests.
    pub fn parent_type<'s>(&self, schema: &'s Schema, id: NodeId) -> Option<&'s RecordTypeDef> {
        let (parent, _) = edit::parent_of(&self.draft, id)?;
        self.group_type(schema, parent)
    }

    /// The field a condition tests, when its path resolves.
    pub fn condition_field(&self, schema: &Schema, id: NodeId) -> Option<FieldDef> {
        let def = self.parent_type(schema, id)?;
        let Some(Node::Condition(condition)) = edit::node(&self.draft, id) else { return None };
        resolve_path(schema, def, &condition.path).cloned()
    }
}

/// The record type whose fields the group `id` inside `group` (testing `def`) tests.
fn type_of_group<'s>(
    schema: &'s Schema,
    def: &'s RecordTypeDef,
    group: &Group,
    id: NodeId,
) -> Option<&'s RecordTypeDef> {
    if group.id == id {
        return Some(def);
    }
    group.children.iter().find_map(|child| match child {
        Node::Group(inner) => type_of_group(schema, def, inner, id),
        Node::Related(block) => {
            let related = schema.get(&block.record_type)?;
            type_of_group(schema, related, &block.group, id)
        }
        Node::Condition(_) | Node::Segment(_) => None,
    })
}

/// The records each lookup condition of `group` (testing `def`) names, by record type.
pub fn records_named(
    schema: &Schema,
    def: &RecordTypeDef,
    group: &Group,
    out: &mut std::collections::BTreeMap<RecordTypeName, Vec<RecordId>>,
) {
    for child in &group.children {
        match child {
            Node::Condition(c) => {
                let ids: Vec<RecordId> = match &c.value {
                    Operand::Record(id) => vec![*id],
                    Operand::Records(ids) => ids.clone(),
                    _ => continue,
                };
                let target = resolve_path(schema, def, &c.path).and_then(|f| f.lookup_target.clone());
                if let Some(target) = target {
                    out.entry(target).or_default().extend(ids);
                }
            }
            Node::Group(g) => records_named(schema, def, g, out),
            Node::Related(r) => {
                if let Some(related) = schema.get(&r.record_type) {
                    records_named(schema, related, &r.group, out);
                }
            }
            Node::Segment(_) => {}
        }
    }
}

/// Record, seller and team values not chosen yet (id 0, as a new condition starts).
fn collect_unchosen(group: &Group, out: &mut Vec<(NodeId, &'static str)>) {
    for child in &group.children {
        match child {
            Node::Condition(c) => match &c.value {
                Operand::Record(RecordId(0)) => out.push((c.id, "a record")),
                Operand::Seller(SellerId(0)) => out.push((c.id, "a seller")),
                Operand::Team(TeamId(0)) => out.push((c.id, "a team")),
                _ => {}
            },
            Node::Group(g) => collect_unchosen(g, out),
            Node::Related(r) => collect_unchosen(&r.group, out),
            Node::Segment(_) => {}
        }
    }
}

mod funnel;
mod operand;
#[cfg(test)]
mod tests;

pub use funnel::{FunnelAnswer, FunnelState, NodeFigures};
pub use operand::{convert_operand, default_operand, number_text, parse_number, split_list};
use operand::{new_condition, parse_input};
