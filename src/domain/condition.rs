//! The condition tree of a segment or an assignment rule: its shape, operators and values.
//!
//! The meaning of a tree is defined once, by the reference evaluator in `domain::eval`.
//! Every node has a stable [`NodeId`] (unique within its tree) so the builder can keep
//! selection, drag state and egui ids across edits.

use std::fmt;

use jiff::civil::{Date, DateTime};
use serde::{Deserialize, Serialize};

use super::number::Number;
pub use super::quantity::{Aggregate, AggregateTest, Quantifier, QuantifierKind};
use super::schema::{FieldKind, FieldName, RecordTypeName};
pub use super::segment_test::{SegmentCondition, SegmentTest};
use super::value::{RecordId, SellerId, TeamId};

/// The default limit on the nesting depth of groups, lookups and related-record blocks.
pub const DEFAULT_MAX_DEPTH: usize = 10;

/// Identifies a node within one tree. Never reused within a tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(pub u32);

/// How a group combines its children.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GroupMode {
    /// Every child holds. `All` of nothing is true.
    All,
    /// At least one child holds. `Any` of nothing is false.
    Any,
}

impl GroupMode {
    pub const ALL: [GroupMode; 2] = [GroupMode::All, GroupMode::Any];
}

impl fmt::Display for GroupMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GroupMode::All => "All",
            GroupMode::Any => "Any",
        })
    }
}

/// A group of conditions, groups and related-record blocks, optionally negated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub id: NodeId,
    pub mode: GroupMode,
    /// A negated group is the exact complement of the group.
    pub negated: bool,
    pub children: Vec<Node>,
}

impl Group {
    /// An `All` group with no children: matches every record.
    pub fn all(id: NodeId) -> Self {
        Self { id, mode: GroupMode::All, negated: false, children: Vec::new() }
    }

    /// The fields of the record itself whose values the tree reads: the field of every
    /// condition on the record, and the first lookup of every condition reached through
    /// lookups. Related-record blocks read other records only (the lookup `via` belongs to
    /// the related type). A change to any other field cannot change whether it matches.
    pub fn fields_used(&self) -> std::collections::BTreeSet<FieldName> {
        let mut used = std::collections::BTreeSet::new();
        self.collect_fields(&mut used);
        used
    }

    fn collect_fields(&self, used: &mut std::collections::BTreeSet<FieldName>) {
        for child in &self.children {
            match child {
                Node::Condition(c) => {
                    used.insert(c.path.via.first().unwrap_or(&c.path.field).clone());
                }
                Node::Group(g) => g.collect_fields(used),
                Node::Related(_) => {}
                Node::Segment(s) => {
                    if let Some(first) = s.via.first() {
                        used.insert(first.clone());
                    }
                }
            }
        }
    }

    /// Gives every node of the tree a fresh id from `ids`, in pre-order (a related block
    /// before its group).
    pub fn renumber(&mut self, ids: &mut NodeIds) {
        self.id = ids.next_id();
        for child in &mut self.children {
            match child {
                Node::Condition(condition) => condition.id = ids.next_id(),
                Node::Group(group) => group.renumber(ids),
                Node::Related(block) => {
                    block.id = ids.next_id();
                    block.group.renumber(ids);
                }
                Node::Segment(node) => node.id = ids.next_id(),
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Node {
    Condition(Condition),
    Group(Group),
    Related(RelatedBlock),
    /// "is in / is not in / matches the conditions of segment X".
    Segment(SegmentCondition),
}

impl Node {
    pub fn id(&self) -> NodeId {
        match self {
            Node::Condition(c) => c.id,
            Node::Group(g) => g.id,
            Node::Related(r) => r.id,
            Node::Segment(s) => s.id,
        }
    }
}

/// A field of the record type, or a field reached through lookups: `via` lists the lookup
/// fields followed from the record (lead → `account` → `industry` is
/// `via: [account], field: industry`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FieldPath {
    pub via: Vec<FieldName>,
    pub field: FieldName,
}

impl FieldPath {
    pub fn own(field: &str) -> Self {
        Self { via: Vec::new(), field: FieldName::new(field) }
    }

    pub fn through(via: &[&str], field: &str) -> Self {
        Self { via: via.iter().map(|v| FieldName::new(*v)).collect(), field: FieldName::new(field) }
    }
}

/// The dotted form: "account.industry".
impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for hop in &self.via {
            write!(f, "{hop}.")?;
        }
        write!(f, "{}", self.field)
    }
}

/// "field operator value".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub id: NodeId,
    pub path: FieldPath,
    pub operator: Operator,
    pub value: Operand,
}

/// "has at least one / has no / has at least N … <`record_type`> whose <via> points here
/// and where <group>", or "the sum / minimum / maximum / average of <field> of those …"
/// ([`Quantifier`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RelatedBlock {
    pub id: NodeId,
    pub quantifier: Quantifier,
    pub record_type: RecordTypeName,
    /// A lookup field of `record_type` whose target is the record type being tested.
    pub via: FieldName,
    /// Conditions on the related record, over `record_type`'s fields.
    pub group: Group,
}

/// A unit of calendar time for relative dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DateUnit {
    Days,
    Weeks,
    Months,
    Years,
}

impl DateUnit {
    pub const ALL: [DateUnit; 4] = [DateUnit::Days, DateUnit::Weeks, DateUnit::Months, DateUnit::Years];
}

impl fmt::Display for DateUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DateUnit::Days => "days",
            DateUnit::Weeks => "weeks",
            DateUnit::Months => "months",
            DateUnit::Years => "years",
        })
    }
}

/// A date or a date with a time the user typed. With a time, before / after (and their
/// "on or" forms) compare instants instead of calendar days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DateValue {
    Day(Date),
    /// A wall-clock time in the workspace time zone.
    At(DateTime),
}

impl DateValue {
    /// The calendar day of the value (the typed time, if any, dropped).
    pub fn date(self) -> Date {
        match self {
            DateValue::Day(day) => day,
            DateValue::At(wall) => wall.date(),
        }
    }
}

/// The typed value of a condition. Which variant an operator takes is given by
/// [`Operator::operand_kind`] and the field's kind.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Operand {
    /// Operators that take no value (is empty, today, this week, is yes…).
    #[default]
    None,
    Text(String),
    TextList(Vec<String>),
    Number(Number),
    NumberList(Vec<Number>),
    NumberRange {
        low: Number,
        high: Number,
    },
    Date(DateValue),
    DateRange {
        low: Date,
        high: Date,
    },
    Relative {
        amount: u32,
        unit: DateUnit,
    },
    /// Options of a choice field, by label.
    Choices(Vec<String>),
    Record(RecordId),
    Records(Vec<RecordId>),
    Seller(SellerId),
    Sellers(Vec<SellerId>),
    Team(TeamId),
}

impl Operand {
    /// The kind of this value, to compare with [`Operator::operand_kind`].
    pub fn kind(&self) -> OperandKind {
        match self {
            Operand::None => OperandKind::None,
            Operand::Text(_) => OperandKind::Text,
            Operand::TextList(_) => OperandKind::TextList,
            Operand::Number(_) => OperandKind::Number,
            Operand::NumberList(_) => OperandKind::NumberList,
            Operand::NumberRange { .. } => OperandKind::NumberRange,
            Operand::Date(_) => OperandKind::Date,
            Operand::DateRange { .. } => OperandKind::DateRange,
            Operand::Relative { .. } => OperandKind::Relative,
            Operand::Choices(_) => OperandKind::Choices,
            Operand::Record(_) => OperandKind::Record,
            Operand::Records(_) => OperandKind::Records,
            Operand::Seller(_) => OperandKind::Seller,
            Operand::Sellers(_) => OperandKind::Sellers,
            Operand::Team(_) => OperandKind::Team,
        }
    }
}

/// What kind of value an operator needs, given the field kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OperandKind {
    None,
    Text,
    TextList,
    Number,
    NumberList,
    NumberRange,
    Date,
    DateRange,
    Relative,
    Choices,
    Record,
    Records,
    Seller,
    Sellers,
    Team,
}

impl fmt::Display for OperandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OperandKind::None => "no value",
            OperandKind::Text => "a text",
            OperandKind::TextList => "a list of texts",
            OperandKind::Number => "a number",
            OperandKind::NumberList => "a list of numbers",
            OperandKind::NumberRange => "a range of numbers",
            OperandKind::Date => "a date",
            OperandKind::DateRange => "a range of dates",
            OperandKind::Relative => "an amount of days, weeks, months or years",
            OperandKind::Choices => "a list of options",
            OperandKind::Record => "a record",
            OperandKind::Records => "a list of records",
            OperandKind::Seller => "a seller",
            OperandKind::Sellers => "a list of sellers",
            OperandKind::Team => "a team",
        })
    }
}

/// Every operator of every field kind. Which ones a field offers is
/// [`operators_for`]`(kind)`; labels can depend on the kind ([`Operator::label`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(test, derive(enumn::N))]
pub enum Operator {
    // Text (Equals / NotEquals / AnyOf also serve numbers).
    Equals,
    NotEquals,
    Contains,
    NotContains,
    BeginsWith,
    NotBeginsWith,
    EndsWith,
    NotEndsWith,
    AnyOf,
    NoneOf,
    MatchesPattern,
    // Numbers.
    LessThan,
    LessOrEqual,
    GreaterThan,
    GreaterOrEqual,
    Between,
    // Dates and date-times (Between is shared with numbers).
    On,
    NotOn,
    Before,
    OnOrBefore,
    After,
    OnOrAfter,
    InLast,
    InNext,
    OlderThan,
    Today,
    Yesterday,
    Tomorrow,
    ThisWeek,
    LastWeek,
    NextWeek,
    ThisMonth,
    LastMonth,
    NextMonth,
    ThisQuarter,
    LastQuarter,
    NextQuarter,
    ThisYear,
    LastYear,
    NextYear,
    // Yes/No.
    IsYes,
    IsNo,
    // Lookup and owner (AnyOf is shared).
    Is,
    MemberOfTeam,
    // Every kind.
    IsEmpty,
    IsNotEmpty,
}

use Operator as Op;

const TEXT_OPERATORS: &[Operator] = &[
    Op::Equals,
    Op::NotEquals,
    Op::Contains,
    Op::NotContains,
    Op::BeginsWith,
    Op::NotBeginsWith,
    Op::EndsWith,
    Op::NotEndsWith,
    Op::AnyOf,
    Op::NoneOf,
    Op::MatchesPattern,
    Op::IsEmpty,
    Op::IsNotEmpty,
];

const NUMBER_OPERATORS: &[Operator] = &[
    Op::Equals,
    Op::NotEquals,
    Op::LessThan,
    Op::LessOrEqual,
    Op::GreaterThan,
    Op::GreaterOrEqual,
    Op::Between,
    Op::AnyOf,
    Op::IsEmpty,
    Op::IsNotEmpty,
];

const DATE_OPERATORS: &[Operator] = &[
    Op::On,
    Op::NotOn,
    Op::Before,
    Op::OnOrBefore,
    Op::After,
    Op::OnOrAfter,
    Op::Between,
    Op::InLast,
    Op::InNext,
    Op::OlderThan,
    Op::Today,
    Op::Yesterday,
    Op::Tomorrow,
    Op::ThisWeek,
    Op::LastWeek,
    Op::NextWeek,
    Op::ThisMonth,
    Op::LastMonth,
    Op::NextMonth,
    Op::ThisQuarter,
    Op::LastQuarter,
    Op::NextQuarter,
    Op::ThisYear,
    Op::LastYear,
    Op::NextYear,
    Op::IsEmpty,
    Op::IsNotEmpty,
];

const CHOICE_OPERATORS: &[Operator] = &[Op::AnyOf, Op::NoneOf, Op::IsEmpty, Op::IsNotEmpty];

const YES_NO_OPERATORS: &[Operator] = &[Op::IsYes, Op::IsNo, Op::IsEmpty];

const LOOKUP_OPERATORS: &[Operator] = &[Op::Is, Op::AnyOf, Op::IsEmpty, Op::IsNotEmpty];

const OWNER_OPERATORS: &[Operator] = &[Op::Is, Op::AnyOf, Op::MemberOfTeam, Op::IsEmpty, Op::IsNotEmpty];

/// The operators a field of `kind` offers, in the order the builder lists them.
pub fn operators_for(kind: FieldKind) -> &'static [Operator] {
    match kind {
        FieldKind::Text => TEXT_OPERATORS,
        FieldKind::WholeNumber | FieldKind::Decimal | FieldKind::Money => NUMBER_OPERATORS,
        FieldKind::Date | FieldKind::DateTime => DATE_OPERATORS,
        FieldKind::Choice => CHOICE_OPERATORS,
        FieldKind::YesNo => YES_NO_OPERATORS,
        FieldKind::Lookup => LOOKUP_OPERATORS,
        FieldKind::Owner => OWNER_OPERATORS,
    }
}

impl Operator {
    /// Every operator, in declaration order.
    pub const ALL: [Operator; 46] = [
        Op::Equals,
        Op::NotEquals,
        Op::Contains,
        Op::NotContains,
        Op::BeginsWith,
        Op::NotBeginsWith,
        Op::EndsWith,
        Op::NotEndsWith,
        Op::AnyOf,
        Op::NoneOf,
        Op::MatchesPattern,
        Op::LessThan,
        Op::LessOrEqual,
        Op::GreaterThan,
        Op::GreaterOrEqual,
        Op::Between,
        Op::On,
        Op::NotOn,
        Op::Before,
        Op::OnOrBefore,
        Op::After,
        Op::OnOrAfter,
        Op::InLast,
        Op::InNext,
        Op::OlderThan,
        Op::Today,
        Op::Yesterday,
        Op::Tomorrow,
        Op::ThisWeek,
        Op::LastWeek,
        Op::NextWeek,
        Op::ThisMonth,
        Op::LastMonth,
        Op::NextMonth,
        Op::ThisQuarter,
        Op::LastQuarter,
        Op::NextQuarter,
        Op::ThisYear,
        Op::LastYear,
        Op::NextYear,
        Op::IsYes,
        Op::IsNo,
        Op::Is,
        Op::MemberOfTeam,
        Op::IsEmpty,
        Op::IsNotEmpty,
    ];

    /// Whether `kind` offers this operator.
    pub fn applies_to(self, kind: FieldKind) -> bool {
        operators_for(kind).contains(&self)
    }

    /// The value this operator takes on a field of `kind`.
    pub fn operand_kind(self, kind: FieldKind) -> OperandKind {
        match self {
            Op::IsEmpty | Op::IsNotEmpty | Op::IsYes | Op::IsNo => OperandKind::None,
            Op::Today | Op::Yesterday | Op::Tomorrow => OperandKind::None,
            Op::ThisWeek | Op::LastWeek | Op::NextWeek => OperandKind::None,
            Op::ThisMonth | Op::LastMonth | Op::NextMonth => OperandKind::None,
            Op::ThisQuarter | Op::LastQuarter | Op::NextQuarter => OperandKind::None,
            Op::ThisYear | Op::LastYear | Op::NextYear => OperandKind::None,
            Op::InLast | Op::InNext | Op::OlderThan => OperandKind::Relative,
            Op::On | Op::NotOn | Op::Before | Op::OnOrBefore | Op::After | Op::OnOrAfter => OperandKind::Date,
            Op::Contains | Op::NotContains | Op::BeginsWith | Op::NotBeginsWith => OperandKind::Text,
            Op::EndsWith | Op::NotEndsWith | Op::MatchesPattern => OperandKind::Text,
            Op::LessThan | Op::LessOrEqual | Op::GreaterThan | Op::GreaterOrEqual => OperandKind::Number,
            Op::MemberOfTeam => OperandKind::Team,
            Op::Equals | Op::NotEquals => {
                if kind.is_numeric() {
                    OperandKind::Number
                } else {
                    OperandKind::Text
                }
            }
            Op::Between => {
                if kind.is_temporal() {
                    OperandKind::DateRange
                } else {
                    OperandKind::NumberRange
                }
            }
            Op::Is => match kind {
                FieldKind::Owner => OperandKind::Seller,
                _ => OperandKind::Record,
            },
            Op::AnyOf | Op::NoneOf => match kind {
                FieldKind::Choice => OperandKind::Choices,
                FieldKind::Lookup => OperandKind::Records,
                FieldKind::Owner => OperandKind::Sellers,
                k if k.is_numeric() => OperandKind::NumberList,
                _ => OperandKind::TextList,
            },
        }
    }

    /// The positive twin of a negative operator (`NotContains` → `Contains`). Every negative
    /// operator is the exact complement of its twin.
    pub fn positive_twin(self) -> Option<Operator> {
        Some(match self {
            Op::NotEquals => Op::Equals,
            Op::NotContains => Op::Contains,
            Op::NotBeginsWith => Op::BeginsWith,
            Op::NotEndsWith => Op::EndsWith,
            Op::NoneOf => Op::AnyOf,
            Op::NotOn => Op::On,
            Op::IsNotEmpty => Op::IsEmpty,
            Op::Equals
            | Op::Contains
            | Op::BeginsWith
            | Op::EndsWith
            | Op::AnyOf
            | Op::MatchesPattern
            | Op::LessThan
            | Op::LessOrEqual
            | Op::GreaterThan
            | Op::GreaterOrEqual
            | Op::Between
            | Op::On
            | Op::Before
            | Op::OnOrBefore
            | Op::After
            | Op::OnOrAfter
            | Op::InLast
            | Op::InNext
            | Op::OlderThan
            | Op::Today
            | Op::Yesterday
            | Op::Tomorrow
            | Op::ThisWeek
            | Op::LastWeek
            | Op::NextWeek
            | Op::ThisMonth
            | Op::LastMonth
            | Op::NextMonth
            | Op::ThisQuarter
            | Op::LastQuarter
            | Op::NextQuarter
            | Op::ThisYear
            | Op::LastYear
            | Op::NextYear
            | Op::IsYes
            | Op::IsNo
            | Op::Is
            | Op::MemberOfTeam
            | Op::IsEmpty => return None,
        })
    }

    /// The label the builder shows for this operator on a field of `kind`.
    pub fn label(self, kind: FieldKind) -> &'static str {
        let numeric = kind.is_numeric();
        match self {
            Op::Equals if numeric => "=",
            Op::NotEquals if numeric => "≠",
            Op::Equals => "equals",
            Op::NotEquals => "does not equal",
            Op::Contains => "contains",
            Op::NotContains => "does not contain",
            Op::BeginsWith => "begins with",
            Op::NotBeginsWith => "does not begin with",
            Op::EndsWith => "ends with",
            Op::NotEndsWith => "does not end with",
            Op::AnyOf => "is any of",
            Op::NoneOf => "is none of",
            Op::MatchesPattern => "matches pattern",
            Op::LessThan => "<",
            Op::LessOrEqual => "≤",
            Op::GreaterThan => ">",
            Op::GreaterOrEqual => "≥",
            Op::Between => "between",
            Op::On => "on",
            Op::NotOn => "not on",
            Op::Before => "before",
            Op::OnOrBefore => "on or before",
            Op::After => "after",
            Op::OnOrAfter => "on or after",
            Op::InLast => "in the last",
            Op::InNext => "in the next",
            Op::OlderThan => "older than",
            Op::Today => "today",
            Op::Yesterday => "yesterday",
            Op::Tomorrow => "tomorrow",
            Op::ThisWeek => "this week",
            Op::LastWeek => "last week",
            Op::NextWeek => "next week",
            Op::ThisMonth => "this month",
            Op::LastMonth => "last month",
            Op::NextMonth => "next month",
            Op::ThisQuarter => "this quarter",
            Op::LastQuarter => "last quarter",
            Op::NextQuarter => "next quarter",
            Op::ThisYear => "this year",
            Op::LastYear => "last year",
            Op::NextYear => "next year",
            Op::IsYes => "is yes",
            Op::IsNo => "is no",
            Op::Is => "is",
            Op::MemberOfTeam => "is a member of team",
            Op::IsEmpty => match kind {
                FieldKind::Lookup | FieldKind::Owner => "is empty (unassigned)",
                _ => "is empty",
            },
            Op::IsNotEmpty => "is not empty",
        }
    }
}

/// Hands out fresh [`NodeId`]s for one tree.
#[derive(Clone, Debug, Default)]
pub struct NodeIds {
    next: u32,
}

impl NodeIds {
    /// A generator that continues after the largest id already in `root`.
    pub fn after(root: &Group) -> Self {
        fn max_id(group: &Group) -> u32 {
            group
                .children
                .iter()
                .map(|child| match child {
                    Node::Condition(c) => c.id.0,
                    Node::Group(g) => max_id(g),
                    Node::Related(r) => r.id.0.max(max_id(&r.group)),
                    Node::Segment(s) => s.id.0,
                })
                .fold(group.id.0, u32::max)
        }
        Self { next: max_id(root) + 1 }
    }

    /// The id `next_id` gives next: every id given from now on is this one or larger.
    pub fn peek(&self) -> NodeId {
        NodeId(self.next)
    }

    pub fn next_id(&mut self) -> NodeId {
        let id = NodeId(self.next);
        self.next += 1;
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_operator_once_in_declaration_order() {
        for (index, op) in Operator::ALL.iter().enumerate() {
            assert_eq!(Operator::n(index as i64), Some(*op), "Operator::ALL[{index}]");
        }
        let count = Operator::ALL.len() as i64;
        assert_eq!(
            Operator::n(count),
            None,
            "an operator declared after {:?} is missing from Operator::ALL",
            Op::ALL[Op::ALL.len() - 1]
        );
    }

    #[test]
    fn every_operator_is_offered_by_a_field_kind() {
        for op in Operator::ALL {
            assert!(FieldKind::ALL.iter().any(|kind| op.applies_to(*kind)), "no field kind offers {op:?}");
        }
    }

    #[test]
    fn every_offered_operator_has_a_consistent_operand() {
        for kind in FieldKind::ALL {
            let ops = operators_for(kind);
            assert!(ops.contains(&Op::IsEmpty), "{kind} lacks is empty");
            for op in ops {
                if let Some(twin) = op.positive_twin() {
                    assert!(ops.contains(&twin), "{kind}: {op:?} offered without its twin");
                    assert_eq!(op.operand_kind(kind), twin.operand_kind(kind));
                }
                assert!(!op.label(kind).is_empty());
            }
        }
        assert_eq!(Op::AnyOf.operand_kind(FieldKind::Choice), OperandKind::Choices);
        assert_eq!(Op::Between.operand_kind(FieldKind::DateTime), OperandKind::DateRange);
        assert_eq!(Op::Between.operand_kind(FieldKind::Money), OperandKind::NumberRange);
        assert_eq!(Op::Equals.label(FieldKind::WholeNumber), "=");
        assert_eq!(Op::Equals.label(FieldKind::Text), "equals");
    }

    #[test]
    fn all_operators_are_listed_once() {
        for kind in FieldKind::ALL {
            for op in operators_for(kind) {
                assert!(Operator::ALL.contains(op), "{op:?} missing from Operator::ALL");
            }
        }
        let mut sorted = Operator::ALL.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), Operator::ALL.len());
        assert!(Operator::ALL.iter().all(|op| FieldKind::ALL.iter().any(|k| op.applies_to(*k))));
    }

    #[test]
    fn paths_display_dotted() {
        assert_eq!(
            FieldPath::through(&["account", "parent_account"], "industry").to_string(),
            "account.parent_account.industry"
        );
        assert_eq!(FieldPath::own("country").to_string(), "country");
    }

    #[test]
    fn node_ids_continue_after_the_largest() {
        let root = Group {
            id: NodeId(0),
            mode: GroupMode::All,
            negated: false,
            children: vec![Node::Condition(Condition {
                id: NodeId(7),
                path: FieldPath::own("country"),
                operator: Op::IsEmpty,
                value: Operand::None,
            })],
        };
        assert_eq!(NodeIds::after(&root).next_id(), NodeId(8));
    }
}
