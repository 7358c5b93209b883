//! Lint of segments: what is wrong with a definition that the priority list does not show.
//!
//! Decided here, on the tree alone (pure): conditions that can never hold together
//! ([`contradiction`]: `score > 10 and score < 5`, `country equals UK and country equals FR`,
//! `created on 2026-01-01 and created after 2026-02-01`, in an `All` group — and an `Any`
//! group none of whose children can ever hold), and the normal form two definitions are
//! compared by ([`normal_form`]). The verdicts that need records — shadowed, matches no
//! record today, the same records as another segment, a condition that changes nothing —
//! are computed by the engine (`engine::lint`) and carried here as plain data ([`Verdict`]).
//!
//! "Can never match" holds for every record at every time; when in doubt the check says
//! nothing (see [`sets`]).

use serde::Serialize;

use super::condition::{Condition, Group, GroupMode, Node, NodeId, Operand, Quantifier};
use super::describe::{NoNames, condition_text};
use super::eval::{HARD_DEPTH_LIMIT, fold, resolve_path};
use super::predicate::predicate;
use super::schema::{RecordTypeDef, Schema};
use super::segment::SegmentId;

mod sets;

use sets::Values;

/// Why a tree can never match: the nodes that cannot hold together, and in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Contradiction {
    pub nodes: Vec<NodeId>,
    pub reason: String,
}

/// What is wrong with a segment. The first two are decided on the tree, the others by
/// evaluating every record now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// Its conditions contradict each other: no record can ever match.
    CanNeverMatch { reason: String, nodes: Vec<NodeId> },
    /// Its definition is the same as a higher one's, after normalising (order of
    /// conditions, nesting of like groups, case of texts, order of lists).
    SameDefinition { segment: String },
    /// It matches no record today (the tree allows some).
    MatchesNoRecord,
    /// Every record it matches is claimed by these higher-priority active segments.
    Shadowed { by: Vec<String> },
    /// It matches exactly the same records as a higher one today (the definitions differ).
    SameRecords { segment: String },
    /// Removing this condition leaves the same records matching today.
    ChangesNothing { node: NodeId, condition: String },
}

impl Verdict {
    /// The message the segment list, the builder and the command line show.
    pub fn message(&self) -> String {
        match self {
            Verdict::CanNeverMatch { reason, .. } => format!("Can never match: {reason}"),
            Verdict::SameDefinition { segment } => format!("Same definition as {segment}"),
            Verdict::MatchesNoRecord => "Matches no record today".to_owned(),
            Verdict::Shadowed { by } => format!("Shadowed by {}: no record can reach it", and_list(by)),
            Verdict::SameRecords { segment } => format!("Matches the same records as {segment} today"),
            Verdict::ChangesNothing { condition, .. } => format!("\"{condition}\" changes nothing"),
        }
    }

    /// The condition a verdict is about, if it is about one.
    pub fn node(&self) -> Option<NodeId> {
        match self {
            Verdict::ChangesNothing { node, .. } => Some(*node),
            _ => None,
        }
    }
}

/// "A", "A and B", "A, B and C".
pub fn and_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The lint of one segment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SegmentLint {
    pub segment: SegmentId,
    pub name: String,
    pub verdicts: Vec<Verdict>,
}

/// Why `root` (conditions on records of `def`) can never match, if the tree says so.
pub fn contradiction(schema: &Schema, def: &RecordTypeDef, root: &Group) -> Option<Contradiction> {
    Checker { schema, def }.group(root, 0)
}

struct Checker<'a> {
    schema: &'a Schema,
    def: &'a RecordTypeDef,
}

/// A condition that must hold (or, `negated`, must not) for its group to hold.
struct Required<'a> {
    condition: &'a Condition,
    negated: bool,
}

impl Checker<'_> {
    fn group(&self, group: &Group, depth: usize) -> Option<Contradiction> {
        if depth > HARD_DEPTH_LIMIT {
            return None;
        }
        match (group.mode, group.negated) {
            (GroupMode::All, false) => {
                for child in &group.children {
                    if let Some(found) = self.node(child, depth) {
                        return Some(found);
                    }
                }
                let mut required = Vec::new();
                collect(group, false, &mut required, depth);
                self.clash(&required)
            }
            (GroupMode::Any, false) => {
                if group.children.is_empty() {
                    let reason = "an Any group with nothing in it matches no record".to_owned();
                    return Some(Contradiction { nodes: vec![group.id], reason });
                }
                let mut found = Vec::new();
                for child in &group.children {
                    found.push(self.node(child, depth)?);
                }
                let reason = found.iter().map(|c| c.reason.as_str()).collect::<Vec<_>>().join("; and ");
                Some(Contradiction { nodes: found.into_iter().flat_map(|c| c.nodes).collect(), reason })
            }
            // A negated group can never hold only when the group always holds: not
            // reasoned about.
            _ => None,
        }
    }

    fn node(&self, node: &Node, depth: usize) -> Option<Contradiction> {
        if let Node::Group(inner) = node {
            return self.group(inner, depth + 1);
        }
        if let Node::Condition(condition) = node {
            let required = Required { condition, negated: false };
            return self.clash(std::slice::from_ref(&required));
        }
        if let Node::Related(block) = node {
            let needs_one = match block.quantifier {
                Quantifier::AtLeastOne => true,
                Quantifier::AtLeast(n) | Quantifier::Exactly(n) => n > 0,
                _ => false,
            };
            if !needs_one {
                return None;
            }
            let related = self.schema.get(&block.record_type)?;
            let inner = Checker { schema: self.schema, def: related }.group(&block.group, depth + 1)?;
            let reason = format!("no related {} can match: {}", related.plural_label.to_lowercase(), inner.reason);
            let mut nodes = vec![block.id];
            nodes.extend(inner.nodes);
            return Some(Contradiction { nodes, reason });
        }
        None
    }

    /// A condition that holds nowhere by itself, or the first two on one field that cannot
    /// hold together.
    fn clash(&self, required: &[Required<'_>]) -> Option<Contradiction> {
        let values: Vec<Option<Values>> = required.iter().map(|r| self.values(r.condition)).collect();
        for (r, v) in required.iter().zip(&values) {
            if let Some(v) = v
                && !outside(r)
                && v.is_nothing()
            {
                let reason = format!("\"{}\" can never hold", self.text(r));
                return Some(Contradiction { nodes: vec![r.condition.id], reason });
            }
        }
        for (i, (a, a_values)) in required.iter().zip(&values).enumerate() {
            for (b, b_values) in required.iter().zip(&values).skip(i + 1) {
                let (Some(a_values), Some(b_values)) = (a_values, b_values) else { continue };
                if a.condition.path != b.condition.path {
                    continue;
                }
                let clash = match (outside(a), outside(b)) {
                    (false, false) => a_values.disjoint(b_values),
                    (false, true) => a_values.within(b_values),
                    (true, false) => b_values.within(a_values),
                    (true, true) => false,
                };
                if clash {
                    let reason = format!("\"{}\" and \"{}\" cannot both hold", self.text(a), self.text(b));
                    return Some(Contradiction { nodes: vec![a.condition.id, b.condition.id], reason });
                }
            }
        }
        None
    }

    /// What the condition's positive operator (its twin, for a negative one) lets through;
    /// `None` for a condition that does not fit the schema (false everywhere, even under a
    /// "None of", so it is left out rather than reasoned about).
    fn values(&self, condition: &Condition) -> Option<Values> {
        let field = resolve_path(self.schema, self.def, &condition.path)?;
        let operator = condition.operator;
        if !operator.applies_to(field.kind) || condition.value.kind() != operator.operand_kind(field.kind) {
            return None;
        }
        let positive = operator.positive_twin().unwrap_or(operator);
        Values::of(field.kind, &predicate(field.kind, positive, &condition.value))
    }

    fn text(&self, required: &Required<'_>) -> String {
        let text = condition_text(required.condition, self.def, self.schema, &NoNames);
        if required.negated { format!("not {text}") } else { text }
    }
}

/// Whether the requirement holds where its positive operator does not: a negative operator
/// (the complement of its twin), or a condition that must fail, but not both.
fn outside(required: &Required<'_>) -> bool {
    required.negated != required.condition.operator.positive_twin().is_some()
}

/// The conditions that must hold for `group` to hold, when it is a conjunction: an `All`
/// group, or (`negated`) a "None of" group whose children must all fail. Like groups nested
/// in it are gathered too.
fn collect<'a>(group: &'a Group, negated: bool, out: &mut Vec<Required<'a>>, depth: usize) {
    if depth > HARD_DEPTH_LIMIT {
        return;
    }
    for child in &group.children {
        if let Node::Condition(condition) = child {
            out.push(Required { condition, negated });
        } else if let Node::Group(inner) = child {
            // The inner group must hold (or, under `negated`, must fail).
            let fails = inner.negated != negated;
            match (inner.mode, fails) {
                (GroupMode::All, false) => collect(inner, false, out, depth + 1),
                (GroupMode::Any, true) => collect(inner, true, out, depth + 1),
                _ => {}
            }
        }
    }
}

/// The definition of a tree in a normal form: two trees with the same normal form match
/// the same records. Children of a group are sorted and deduplicated, like groups nested in
/// one another and one-child groups are flattened, texts are folded as comparisons fold
/// them, lists sorted; node ids play no part.
pub fn normal_form(root: &Group) -> String {
    group_form(root, 0)
}

fn group_form(group: &Group, depth: usize) -> String {
    let mut parts = Vec::new();
    flatten_into(group, &mut parts, depth);
    parts.sort();
    parts.dedup();
    if !group.negated && parts.len() == 1 {
        return parts.remove(0);
    }
    let mode = match group.mode {
        GroupMode::All => "all",
        GroupMode::Any => "any",
    };
    format!("{}{mode}({})", if group.negated { "not " } else { "" }, parts.join(", "))
}

/// The forms of `group`'s children, with those of un-negated child groups of the same mode
/// in their place.
fn flatten_into(group: &Group, parts: &mut Vec<String>, depth: usize) {
    if depth > HARD_DEPTH_LIMIT {
        parts.push(format!("{group:?}"));
        return;
    }
    for child in &group.children {
        if let Node::Group(inner) = child
            && !inner.negated
            && (inner.mode == group.mode || inner.children.len() == 1)
        {
            flatten_into(inner, parts, depth + 1);
        } else {
            parts.push(node_form(child, depth + 1));
        }
    }
}

fn node_form(node: &Node, depth: usize) -> String {
    if let Node::Condition(condition) = node {
        return format!("{}|{:?}|{}", condition.path, condition.operator, operand_form(condition));
    }
    if let Node::Group(group) = node {
        return group_form(group, depth);
    }
    if let Node::Related(block) = node {
        return format!(
            "related({:?}|{}|{}|{})",
            block.quantifier,
            block.record_type,
            block.via,
            group_form(&block.group, depth + 1)
        );
    }
    // A kind of node this form does not know: its whole text, ids and all, so it is never
    // taken for another.
    format!("{node:?}")
}

fn operand_form(condition: &Condition) -> String {
    let pattern = condition.operator == super::condition::Operator::MatchesPattern;
    match &condition.value {
        Operand::Text(text) if !pattern => format!("{:?}", fold(text)),
        Operand::TextList(items) | Operand::Choices(items) => {
            let mut folded: Vec<String> = items.iter().map(|i| fold(i)).collect();
            folded.sort();
            folded.dedup();
            format!("{folded:?}")
        }
        Operand::NumberList(items) => {
            let mut sorted: Vec<String> = items.iter().map(|n| format!("{n:?}")).collect();
            sorted.sort();
            sorted.dedup();
            format!("{sorted:?}")
        }
        Operand::Records(ids) => {
            let mut sorted: Vec<i64> = ids.iter().map(|id| id.0).collect();
            sorted.sort_unstable();
            sorted.dedup();
            format!("records{sorted:?}")
        }
        Operand::Sellers(ids) => {
            let mut sorted: Vec<i64> = ids.iter().map(|id| id.0).collect();
            sorted.sort_unstable();
            sorted.dedup();
            format!("sellers{sorted:?}")
        }
        other => format!("{other:?}"),
    }
}
