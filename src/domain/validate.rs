//! Validation of a condition tree against the schema: every problem, with its place.
//!
//! A tree with problems cannot be saved or activated; the builder shows each problem inline
//! at its node. The evaluator treats each problem's piece as false, so validation is what
//! turns a silent non-match into a message.
//!
//! Depth counts the root group as 1; every nested group, every related-record block and
//! every lookup hop of a condition's path adds 1. A related block's own group shares the
//! block's level. A segment condition counts like a condition (its lookups add 1 each);
//! "matches the conditions of X" adds X's own nesting below it. The default limit is
//! [`DEFAULT_MAX_DEPTH`].
//!
//! Paths are child indexes from the root; a related block's group does not add an index of
//! its own (the first condition inside the block at `[2]` is at `[2, 0]`).

use std::fmt;

use super::condition::{
    Condition, DEFAULT_MAX_DEPTH, Group, GroupMode, Node, NodeId, Operand, OperandKind, Operator, RelatedBlock,
};
use super::eval::{compile_pattern, fold};
use super::number::Number;
use super::quantity::{AGGREGATE_OPERATORS, AggregateTest, Quantifier, aggregates};
use super::schema::{FieldDef, FieldKind, RecordTypeDef, RecordTypeName, Schema};
use super::segment::SegmentId;
use super::segment_test::{Definitions, SegmentCondition, SegmentTest, reached_type, via_text};

/// One problem of a tree, at one node.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub node: NodeId,
    /// Child indexes from the root to the node (empty for the root itself).
    pub path: Vec<usize>,
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

/// What is wrong. Fields are named by their label where the schema knows them.
#[derive(Clone, Debug, PartialEq)]
pub enum ProblemKind {
    /// The path names a field (or a lookup hop) the record type does not have, e.g. a
    /// deleted one. `path` is the dotted path as written.
    UnknownField { record_type: String, path: String },
    /// A hop of the path is a field that is not a lookup.
    NotALookup { field: String, path: String },
    /// The field does not offer the operator.
    OperatorNotForField { field: String, kind: FieldKind, operator: Operator },
    /// The value does not fit the operator.
    WrongOperand { field: String, operator: String, expected: OperandKind, found: OperandKind },
    /// A list operator with nothing in its list.
    EmptyList { field: String, operator: String },
    /// A text operator with an empty (or blank) text.
    EmptyText { field: String, operator: String },
    /// An option the choice field does not have (it may have been renamed or removed).
    UnknownChoice { field: String, option: String },
    /// A pattern the regex engine refuses; `message` is its explanation.
    InvalidPattern { field: String, message: String },
    /// A range whose low end is above its high end.
    ReversedRange { field: String, low: String, high: String },
    /// A number that is not a number (NaN) or infinite.
    NotANumber { field: String },
    /// The node lies deeper than the limit.
    TooDeep { depth: usize, limit: usize },
    /// A related block names a record type the schema does not have.
    UnknownRecordType { record_type: String },
    /// A related block's `via` is not a lookup of its record type pointing at the tested type.
    RelatedViaNotALookup { record_type: String, via: String, target: String },
    /// An aggregate of a field that is not a whole number or money.
    NotAggregatable { field: String },
    /// An aggregate compared by an operator aggregates do not offer.
    NotAnAggregateOperator { operator: Operator },
    /// A segment condition names a segment that does not exist (deleted, or never saved).
    UnknownSegment { segment: String },
    /// A segment condition names a segment of another record type than the record it
    /// tests (the record itself, or the one its lookups reach).
    SegmentOfOtherType { segment: String, segment_type: String, tested: String },
    /// Segments that name each other round: their names, first again at the end.
    SegmentCycle { names: Vec<String> },
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProblemKind::UnknownField { record_type, path } => {
                write!(f, "{record_type} has no field \"{path}\" (was it deleted?)")
            }
            ProblemKind::NotALookup { field, path } => {
                write!(f, "\"{path}\": {field} is not a lookup, so no field can be reached through it")
            }
            ProblemKind::OperatorNotForField { field, kind, operator } => {
                write!(f, "{field}: a {kind} field has no operator \"{}\"", operator.label(*kind))
            }
            ProblemKind::WrongOperand { field, operator, expected, found } => {
                write!(f, "{field} {operator}: expected {expected}, found {found}")
            }
            ProblemKind::EmptyList { field, operator } => write!(f, "{field} {operator}: choose at least one value"),
            ProblemKind::EmptyText { field, operator } => write!(f, "{field} {operator}: enter a value"),
            ProblemKind::UnknownChoice { field, option } => {
                write!(f, "{field}: \"{option}\" is not one of its options")
            }
            ProblemKind::InvalidPattern { field, message } => write!(f, "{field}: not a valid pattern: {message}"),
            ProblemKind::ReversedRange { field, low, high } => {
                write!(f, "{field} between: the first value ({low}) is after the second ({high})")
            }
            ProblemKind::NotANumber { field } => write!(f, "{field}: not a number"),
            ProblemKind::TooDeep { depth, limit } => {
                write!(f, "nested {depth} levels deep; at most {limit} levels are allowed")
            }
            ProblemKind::UnknownRecordType { record_type } => write!(f, "there is no record type \"{record_type}\""),
            ProblemKind::RelatedViaNotALookup { record_type, via, target } => {
                write!(f, "{record_type} has no lookup \"{via}\" pointing at {target}")
            }
            ProblemKind::NotAggregatable { field } => {
                write!(f, "{field}: sums, minimums, maximums and averages need a whole number or money field")
            }
            ProblemKind::NotAnAggregateOperator { operator } => {
                write!(f, "an aggregate cannot be compared by {}", operator.label(FieldKind::Decimal))
            }
            ProblemKind::UnknownSegment { segment } => write!(f, "there is no segment {segment} (was it deleted?)"),
            ProblemKind::SegmentOfOtherType { segment, segment_type, tested } => {
                write!(f, "segment \"{segment}\" groups {segment_type}, not {tested}")
            }
            ProblemKind::SegmentCycle { names } => {
                write!(f, "segments use each other in a cycle: {}", names.join(" → "))
            }
        }
    }
}

/// Every problem of `root` for records of `ty`, in tree order, with the default depth limit.
pub fn validate(schema: &Schema, ty: &RecordTypeDef, root: &Group) -> Vec<Problem> {
    validate_with_limit(schema, ty, root, DEFAULT_MAX_DEPTH)
}

/// Every problem of `root` for records of `ty`, in tree order, at most `max_depth` deep.
/// No segment is known, so a segment condition is a problem ([`validate_segment`] knows them).
pub fn validate_with_limit(schema: &Schema, ty: &RecordTypeDef, root: &Group, max_depth: usize) -> Vec<Problem> {
    validate_segment(schema, ty, root, max_depth, &Definitions::default(), None)
}

/// Every problem of `root` (the conditions of segment `this`, `None` for one not saved yet)
/// for records of `ty`, at most `max_depth` deep, naming the segments of `definitions`: a
/// segment condition naming an unknown segment or one of another record type, a cycle of
/// segments naming each other (reported at the node that starts it, with the names round
/// the cycle), and the nesting a "matches the conditions of" adds (the referenced tree's
/// own depth, from the node's level).
pub fn validate_segment(
    schema: &Schema,
    ty: &RecordTypeDef,
    root: &Group,
    max_depth: usize,
    definitions: &Definitions,
    this: Option<SegmentId>,
) -> Vec<Problem> {
    let mut validator = Validator { schema, max_depth, definitions, this, problems: Vec::new() };
    validator.group(ty, root, &mut Vec::new(), 1, false);
    validator.problems
}

/// Whether the tree certainly matches every record (an un-negated `All` of nothing, or
/// groups made only of such): the builder warns about it.
pub fn matches_everything(root: &Group) -> bool {
    always(root, true)
}

/// Whether `group` certainly evaluates to `wanted` whatever the record.
fn always(group: &Group, wanted: bool) -> bool {
    let wanted = wanted != group.negated;
    let child_always = |node: &Node, value: bool| matches!(node, Node::Group(g) if always(g, value));
    match (group.mode, wanted) {
        (GroupMode::All, true) => group.children.iter().all(|c| child_always(c, true)),
        (GroupMode::All, false) => group.children.iter().any(|c| child_always(c, false)),
        (GroupMode::Any, true) => group.children.iter().any(|c| child_always(c, true)),
        (GroupMode::Any, false) => group.children.iter().all(|c| child_always(c, false)),
    }
}

struct Validator<'s> {
    schema: &'s Schema,
    max_depth: usize,
    definitions: &'s Definitions,
    this: Option<SegmentId>,
    problems: Vec<Problem>,
}

impl<'s> Validator<'s> {
    fn report(&mut self, node: NodeId, path: &[usize], kind: ProblemKind) {
        self.problems.push(Problem { node, path: path.to_vec(), kind });
    }

    /// Reports `TooDeep` once, at the first node past the limit on each branch.
    fn check_depth(&mut self, node: NodeId, path: &[usize], depth: usize, reported: bool) -> bool {
        if depth > self.max_depth && !reported {
            self.report(node, path, ProblemKind::TooDeep { depth, limit: self.max_depth });
            return true;
        }
        reported
    }

    fn group(&mut self, ty: &RecordTypeDef, group: &Group, path: &mut Vec<usize>, depth: usize, too_deep: bool) {
        let too_deep = self.check_depth(group.id, path, depth, too_deep);
        for (index, child) in group.children.iter().enumerate() {
            path.push(index);
            match child {
                Node::Condition(condition) => self.condition(ty, condition, path, depth, too_deep),
                Node::Group(inner) => self.group(ty, inner, path, depth + 1, too_deep),
                Node::Related(block) => self.related(ty, block, path, depth + 1, too_deep),
                Node::Segment(node) => self.segment(ty, node, path, depth, too_deep),
            }
            path.pop();
        }
    }

    fn related(
        &mut self,
        ty: &RecordTypeDef,
        block: &RelatedBlock,
        path: &mut Vec<usize>,
        depth: usize,
        too_deep: bool,
    ) {
        let too_deep = self.check_depth(block.id, path, depth, too_deep);
        let Some(related_ty) = self.schema.get(&block.record_type) else {
            let record_type = block.record_type.to_string();
            self.report(block.id, path, ProblemKind::UnknownRecordType { record_type });
            return;
        };
        let points_here = related_ty
            .field(&block.via)
            .is_some_and(|f| f.kind == FieldKind::Lookup && f.lookup_target.as_ref() == Some(&ty.name));
        if !points_here {
            let kind = ProblemKind::RelatedViaNotALookup {
                record_type: related_ty.label.clone(),
                via: block.via.to_string(),
                target: ty.label.clone(),
            };
            self.report(block.id, path, kind);
        }
        if let Quantifier::Aggregate(aggregate) = &block.quantifier {
            self.aggregate(related_ty, block.id, aggregate, path);
        }
        // The block's group is part of the block: same path, same level. Its own id is
        // reported only for problems of the group itself (none besides depth, checked above).
        self.group(related_ty, &block.group, path, depth, too_deep);
    }

    /// A segment node names a known segment of the type its lookups reach, in no cycle,
    /// and is not nested too deep with the tree a "matches" brings.
    fn segment(&mut self, ty: &RecordTypeDef, node: &SegmentCondition, path: &[usize], depth: usize, too_deep: bool) {
        let id = node.id;
        let Some(reached) = reached_type(self.schema, ty, &node.via) else {
            let dotted = via_text(&node.via);
            self.report(id, path, ProblemKind::NotALookup { field: dotted.clone(), path: dotted });
            return;
        };
        let Some(definition) = self.definitions.get(node.segment) else {
            self.report(id, path, ProblemKind::UnknownSegment { segment: format!("#{}", node.segment.0) });
            return;
        };
        if definition.record_type != reached.name {
            let segment_type = self
                .schema
                .get(&definition.record_type)
                .map_or_else(|| definition.record_type.to_string(), |t| t.plural_label.to_lowercase());
            let kind = ProblemKind::SegmentOfOtherType {
                segment: definition.name.clone(),
                segment_type,
                tested: reached.plural_label.to_lowercase(),
            };
            self.report(id, path, kind);
            return;
        }
        let single = Group { id, mode: GroupMode::All, negated: false, children: vec![Node::Segment(node.clone())] };
        if let Some(cycle) = self.definitions.cycle(self.this, &single) {
            let names = cycle.iter().map(|s| self.definitions.name_of(*s)).collect();
            self.report(id, path, ProblemKind::SegmentCycle { names });
            return;
        }
        let below = match node.test {
            SegmentTest::MatchesConditions => self.definitions.nesting(node.segment),
            SegmentTest::InSegment | SegmentTest::NotInSegment => 0,
        };
        self.check_depth(id, path, depth + node.via.len() + below, too_deep);
    }

    /// An aggregate names a whole-number or money field of the related type, compares it
    /// by one of [`AGGREGATE_OPERATORS`], with a number.
    fn aggregate(&mut self, related: &RecordTypeDef, id: NodeId, aggregate: &AggregateTest, path: &[usize]) {
        let Some(field) = related.field(&aggregate.field) else {
            let kind =
                ProblemKind::UnknownField { record_type: related.label.clone(), path: aggregate.field.to_string() };
            self.report(id, path, kind);
            return;
        };
        if !aggregates(field.kind) {
            self.report(id, path, ProblemKind::NotAggregatable { field: field.label.clone() });
        }
        if !AGGREGATE_OPERATORS.contains(&aggregate.operator) {
            self.report(id, path, ProblemKind::NotAnAggregateOperator { operator: aggregate.operator });
        }
        if !aggregate.value.is_finite() {
            self.report(id, path, ProblemKind::NotANumber { field: field.label.clone() });
        }
    }

    fn condition(&mut self, ty: &RecordTypeDef, condition: &Condition, path: &[usize], depth: usize, too_deep: bool) {
        let id = condition.id;
        self.check_depth(id, path, depth + condition.path.via.len(), too_deep);
        let Some(field) = self.resolve(ty, condition, path) else { return };
        let label = field.label.clone();
        let operator = condition.operator;
        if !operator.applies_to(field.kind) {
            self.report(id, path, ProblemKind::OperatorNotForField { field: label, kind: field.kind, operator });
            return;
        }
        let operator_label = operator.label(field.kind).to_owned();
        let expected = operator.operand_kind(field.kind);
        let found = condition.value.kind();
        if expected != found {
            let kind = ProblemKind::WrongOperand { field: label, operator: operator_label, expected, found };
            self.report(id, path, kind);
            return;
        }
        for kind in operand_problems(field, operator, &operator_label, &condition.value) {
            self.report(id, path, kind);
        }
    }

    /// The field at the end of the condition's path, or the problem with the path reported.
    fn resolve<'a>(&mut self, ty: &'a RecordTypeDef, condition: &Condition, path: &[usize]) -> Option<&'a FieldDef>
    where
        's: 'a,
    {
        let dotted = condition.path.to_string();
        let mut current: &RecordTypeDef = ty;
        for hop in &condition.path.via {
            let Some(field) = current.field(hop) else {
                let kind = ProblemKind::UnknownField { record_type: current.label.clone(), path: dotted };
                self.report(condition.id, path, kind);
                return None;
            };
            let target = field.lookup_target.as_ref().and_then(|t| self.schema.get(t));
            match target {
                Some(target) if field.kind == FieldKind::Lookup => current = target,
                _ => {
                    self.report(
                        condition.id,
                        path,
                        ProblemKind::NotALookup { field: field.label.clone(), path: dotted },
                    );
                    return None;
                }
            }
        }
        let found = current.field(&condition.path.field);
        if found.is_none() {
            let kind = ProblemKind::UnknownField { record_type: current.label.clone(), path: dotted };
            self.report(condition.id, path, kind);
        }
        found
    }
}

/// Problems with the value itself, once its kind fits the operator.
fn operand_problems(field: &FieldDef, operator: Operator, operator_label: &str, operand: &Operand) -> Vec<ProblemKind> {
    let name = || field.label.clone();
    let op = || operator_label.to_owned();
    let mut problems = Vec::new();
    let check_number = |x: Number, problems: &mut Vec<ProblemKind>| {
        if !x.is_finite() && !problems.iter().any(|p| matches!(p, ProblemKind::NotANumber { .. })) {
            problems.push(ProblemKind::NotANumber { field: name() });
        }
    };
    let empty_list = || ProblemKind::EmptyList { field: name(), operator: op() };
    let reversed = |low: String, high: String| ProblemKind::ReversedRange { field: name(), low, high };
    match operand {
        Operand::Text(text) if text.trim().is_empty() => {
            problems.push(ProblemKind::EmptyText { field: name(), operator: op() });
        }
        Operand::Text(pattern) if operator == Operator::MatchesPattern => {
            if let Err(error) = compile_pattern(pattern) {
                problems.push(ProblemKind::InvalidPattern { field: name(), message: error.to_string() });
            }
        }
        Operand::TextList(items) if items.is_empty() => problems.push(empty_list()),
        Operand::Records(items) if items.is_empty() => problems.push(empty_list()),
        Operand::Sellers(items) if items.is_empty() => problems.push(empty_list()),
        Operand::Number(x) => check_number(*x, &mut problems),
        Operand::NumberList(items) => {
            if items.is_empty() {
                problems.push(empty_list());
            }
            for x in items {
                check_number(*x, &mut problems);
            }
        }
        Operand::NumberRange { low, high } => {
            check_number(*low, &mut problems);
            check_number(*high, &mut problems);
            if low.partial_cmp(high) == Some(std::cmp::Ordering::Greater) {
                problems.push(reversed(low.to_string(), high.to_string()));
            }
        }
        Operand::DateRange { low, high } if low > high => problems.push(reversed(low.to_string(), high.to_string())),
        Operand::Choices(options) => {
            if options.is_empty() {
                problems.push(empty_list());
            }
            for option in options {
                if !field.choices.iter().any(|choice| fold(choice) == fold(option)) {
                    problems.push(ProblemKind::UnknownChoice { field: name(), option: option.clone() });
                }
            }
        }
        _ => {}
    }
    problems
}

/// The record type a tree is validated for must exist; a convenience for callers holding
/// only the type's name.
pub fn validate_for(schema: &Schema, ty: &RecordTypeName, root: &Group) -> Result<Vec<Problem>, ProblemKind> {
    match schema.get(ty) {
        Some(def) => Ok(validate(schema, def, root)),
        None => Err(ProblemKind::UnknownRecordType { record_type: ty.to_string() }),
    }
}
