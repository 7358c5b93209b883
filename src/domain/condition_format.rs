//! The persisted, human-readable form of a condition tree (RON), versioned.
//!
//! The file shape is a set of dedicated types (module `v1`), separate from the domain
//! types, so the domain can change while files written by older builds keep loading:
//! a new format version adds a module `v2` and `from_ron` keeps reading `v1`.
//! `tests/data/conditions_v1.ron` is a committed version 1 file that must always load.
//!
//! ```ron
//! (
//!     version: 1,
//!     root: (
//!         mode: All,
//!         children: [
//!             Condition(field: "country", operator: NotEquals, value: Text("UK")),
//!             Condition(field: "account.industry", operator: AnyOf, value: Choices(["Software"])),
//!             Condition(field: "created_on", operator: InLast, value: Relative(amount: 30, unit: Days)),
//!             Condition(field: "email", operator: IsEmpty),
//!             Group(mode: Any, negated: true, children: [...]),
//!             Related(quantifier: HasAtLeastOne, record_type: "opportunity", via: "account", where: (mode: All, children: [...])),
//!             Related(quantifier: HasAtLeast(2), record_type: "opportunity", via: "account", where: (mode: All)),
//!             Related(quantifier: Sum((field: "amount", operator: GreaterOrEqual, value: 100000)), record_type: "opportunity", via: "account", where: (mode: All)),
//!             Segment(via: "account", test: In, segment: Id(3)),
//!             Segment(test: Matches, segment: Id(5)),
//!         ],
//!     ),
//! )
//! ```
//!
//! Field paths are dotted strings ("account.industry": the lookups followed, then the
//! field); dates are ISO strings ("2026-03-31", or "2026-03-31T09:30:00" for a date with a
//! time); `negated`, `children` and a `value` of `None` may be left out. Node ids are not
//! stored: a loaded tree gets fresh ids in pre-order.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::condition::{
    Aggregate, AggregateTest, Condition, DEFAULT_MAX_DEPTH, DateUnit, DateValue, FieldPath, Group, GroupMode, Node,
    NodeId, NodeIds, Operand, Operator, Quantifier, RelatedBlock, SegmentCondition, SegmentTest,
};
use super::number::Number;
use super::schema::{FieldName, RecordTypeName};
use super::segment::SegmentId;
use super::value::{RecordId, SellerId, TeamId};

/// The version written by this build, and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FormatError {
    #[error("conditions, line {line}, column {column}: {message}")]
    Syntax { line: usize, column: usize, message: String },
    #[error("conditions: format version {found} is newer than this app reads ({supported})")]
    Newer { found: u32, supported: u32 },
    #[error("conditions: there is no format version {found}")]
    UnknownVersion { found: u32 },
}

impl From<ron::error::SpannedError> for FormatError {
    fn from(error: ron::error::SpannedError) -> Self {
        FormatError::Syntax {
            line: error.span.start.line,
            column: error.span.start.col,
            message: ron_message(&error.code),
        }
    }
}

/// A RON error as a person reads it: a tree too deep for the reader says so in the terms
/// of the condition nesting limit ([`DEFAULT_MAX_DEPTH`]), instead of RON's advice to
/// raise its recursion limit; an unknown key lists the keys allowed there.
pub fn ron_message(code: &ron::Error) -> String {
    match code {
        ron::Error::ExceededRecursionLimit => {
            format!("conditions nested deeper than {DEFAULT_MAX_DEPTH} levels")
        }
        ron::Error::NoSuchStructField { expected, found, .. } => {
            let allowed: Vec<String> = expected.iter().map(|key| format!("`{key}`")).collect();
            format!("unknown key `{found}`; the keys allowed here are {}", allowed.join(", "))
        }
        other => other.to_string(),
    }
}

/// The tree in the current format version.
pub fn to_ron(root: &Group) -> String {
    let file = v1::File { version: FORMAT_VERSION, root: v1::GroupDto::from(root) };
    let config = ron::ser::PrettyConfig::default().escape_strings(false);
    ron::ser::to_string_pretty(&file, config)
        .unwrap_or_else(|e| unreachable!("the v1 types hold only strings, numbers and enums: {e}"))
}

/// Reads a tree written by this or an older build, with fresh node ids.
pub fn from_ron(text: &str) -> Result<Group, FormatError> {
    #[derive(Deserialize)]
    struct Probe {
        version: u32,
    }
    let probe: Probe = ron::from_str(text)?;
    match probe.version {
        1 => {
            let file: v1::File = ron::from_str(text)?;
            let mut root = Group::from(file.root);
            root.renumber(&mut NodeIds::default());
            Ok(root)
        }
        found if found > FORMAT_VERSION => Err(FormatError::Newer { found, supported: FORMAT_VERSION }),
        found => Err(FormatError::UnknownVersion { found }),
    }
}

/// Defines a file-side enum and its mapping to and from a domain enum, variant by variant,
/// so a variant renamed in the domain keeps its name in files.
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $dto:ident <=> $domain:ident { $($domain_variant:ident => $dto_variant:ident,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $dto {
            $($dto_variant,)*
        }

        impl From<$domain> for $dto {
            fn from(value: $domain) -> Self {
                match value {
                    $($domain::$domain_variant => $dto::$dto_variant,)*
                }
            }
        }

        impl From<$dto> for $domain {
            fn from(value: $dto) -> Self {
                match value {
                    $($dto::$dto_variant => $domain::$domain_variant,)*
                }
            }
        }
    };
}

/// Version 1 of the file: `(version: 1, root: <group>)`.
pub mod v1 {
    use super::{
        Aggregate, AggregateTest, Condition, DateUnit, DateValue, Deserialize, Deserializer, FieldName, FieldPath,
        Group, GroupMode, Node, NodeId, Number, Operand, Operator, Quantifier, RecordId, RecordTypeName, RelatedBlock,
        SegmentCondition, SegmentId, SegmentTest, SellerId, Serialize, Serializer, TeamId,
    };

    #[derive(Debug, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct File {
        pub version: u32,
        pub root: GroupDto,
    }

    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct GroupDto {
        pub mode: ModeDto,
        #[serde(default, skip_serializing_if = "is_false")]
        pub negated: bool,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub children: Vec<NodeDto>,
    }

    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub enum NodeDto {
        Condition {
            field: PathDto,
            operator: OperatorDto,
            #[serde(default, skip_serializing_if = "ValueDto::is_none")]
            value: ValueDto,
        },
        Group {
            mode: ModeDto,
            #[serde(default, skip_serializing_if = "is_false")]
            negated: bool,
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            children: Vec<NodeDto>,
        },
        Related {
            quantifier: QuantifierDto,
            record_type: String,
            via: String,
            #[serde(rename = "where")]
            group: GroupDto,
        },
        /// "is in / is not in / matches the conditions of segment X", through the dotted
        /// lookups `via` (left out for the record itself).
        Segment {
            #[serde(default, skip_serializing_if = "String::is_empty")]
            via: String,
            test: SegmentTestDto,
            segment: SegmentKeyDto,
        },
    }

    mirror_enum!(
        SegmentTestDto <=> SegmentTest {
            InSegment => In,
            NotInSegment => NotIn,
            MatchesConditions => Matches,
        }
    );

    /// How a file names a segment: the workspace stores its id; the definitions bundle,
    /// which moves between workspaces, its name.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub enum SegmentKeyDto {
        Id(i64),
        Name(String),
    }

    impl GroupDto {
        /// Changes how every segment node of the tree names its segment (ids to names for
        /// a bundle, and back); `rename` gets the node's place (child indexes from the
        /// root, as validation's paths) and answers `None` to leave it as it is.
        pub fn rename_segments(&mut self, rename: &mut dyn FnMut(&SegmentKeyDto, &[usize]) -> Option<SegmentKeyDto>) {
            self.rename_at(rename, &mut Vec::new());
        }

        fn rename_at(
            &mut self,
            rename: &mut dyn FnMut(&SegmentKeyDto, &[usize]) -> Option<SegmentKeyDto>,
            path: &mut Vec<usize>,
        ) {
            for (index, child) in self.children.iter_mut().enumerate() {
                path.push(index);
                match child {
                    NodeDto::Condition { .. } => {}
                    NodeDto::Group { children, .. } => {
                        let mut inner =
                            GroupDto { mode: ModeDto::All, negated: false, children: std::mem::take(children) };
                        inner.rename_at(rename, path);
                        *children = inner.children;
                    }
                    NodeDto::Related { group, .. } => group.rename_at(rename, path),
                    NodeDto::Segment { segment, .. } => {
                        if let Some(renamed) = rename(segment, path) {
                            *segment = renamed;
                        }
                    }
                }
                path.pop();
            }
        }
    }

    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub enum ValueDto {
        #[default]
        None,
        Text(String),
        TextList(Vec<String>),
        /// An integer or a float: a whole number is written exactly (`9007199254740993`).
        Number(Number),
        NumberList(Vec<Number>),
        NumberRange {
            low: Number,
            high: Number,
        },
        Date(DateDto),
        DateRange {
            low: jiff::civil::Date,
            high: jiff::civil::Date,
        },
        Relative {
            amount: u32,
            unit: UnitDto,
        },
        Choices(Vec<String>),
        Record(i64),
        Records(Vec<i64>),
        Seller(i64),
        Sellers(Vec<i64>),
        Team(i64),
    }

    impl ValueDto {
        fn is_none(&self) -> bool {
            matches!(self, ValueDto::None)
        }
    }

    #[allow(clippy::trivially_copy_pass_by_ref, reason = "serde's skip_serializing_if passes a reference")]
    fn is_false(value: &bool) -> bool {
        !*value
    }

    /// A field path as a dotted string: "account.industry".
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct PathDto(pub FieldPath);

    impl Serialize for PathDto {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_str(&self.0)
        }
    }

    impl<'de> Deserialize<'de> for PathDto {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let text = String::deserialize(deserializer)?;
            let mut parts: Vec<FieldName> = text.split('.').map(FieldName::new).collect();
            match parts.pop() {
                Some(field) if parts.iter().chain([&field]).all(|part| !part.as_str().is_empty()) => {
                    Ok(PathDto(FieldPath { via: parts, field }))
                }
                _ => Err(serde::de::Error::custom(format!(
                    "\"{text}\" is not a field path (field names joined by dots, like \"account.industry\")"
                ))),
            }
        }
    }

    /// A date ("2026-03-31") or a date with a time ("2026-03-31T09:30:00").
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct DateDto(pub DateValue);

    impl Serialize for DateDto {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            match self.0 {
                DateValue::Day(day) => serializer.collect_str(&day),
                DateValue::At(wall) => serializer.collect_str(&wall),
            }
        }
    }

    impl<'de> Deserialize<'de> for DateDto {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let text = String::deserialize(deserializer)?;
            let parsed = if text.contains('T') {
                text.parse().map(DateValue::At).map_err(|e| e.to_string())
            } else {
                text.parse().map(DateValue::Day).map_err(|e| e.to_string())
            };
            parsed.map(DateDto).map_err(|e| serde::de::Error::custom(format!("\"{text}\" is not a date: {e}")))
        }
    }

    mirror_enum!(ModeDto <=> GroupMode {
        All => All,
        Any => Any,
    });

    /// `HasAtLeastOne`, `HasNone`, `HasAtLeast(2)`, `HasAtMost(0)`, `HasExactly(1)`, or an
    /// aggregate: `Sum(field: "amount", operator: GreaterOrEqual, value: 100000)`.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub enum QuantifierDto {
        HasAtLeastOne,
        HasNone,
        HasAtLeast(u32),
        HasAtMost(u32),
        HasExactly(u32),
        Sum(AggregateDto),
        Minimum(AggregateDto),
        Maximum(AggregateDto),
        Average(AggregateDto),
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct AggregateDto {
        pub field: String,
        pub operator: OperatorDto,
        pub value: Number,
    }

    impl From<&Quantifier> for QuantifierDto {
        fn from(quantifier: &Quantifier) -> Self {
            match quantifier {
                Quantifier::AtLeastOne => QuantifierDto::HasAtLeastOne,
                Quantifier::None => QuantifierDto::HasNone,
                Quantifier::AtLeast(n) => QuantifierDto::HasAtLeast(*n),
                Quantifier::AtMost(n) => QuantifierDto::HasAtMost(*n),
                Quantifier::Exactly(n) => QuantifierDto::HasExactly(*n),
                Quantifier::Aggregate(test) => {
                    let dto = AggregateDto {
                        field: test.field.to_string(),
                        operator: test.operator.into(),
                        value: test.value,
                    };
                    match test.function {
                        Aggregate::Sum => QuantifierDto::Sum(dto),
                        Aggregate::Minimum => QuantifierDto::Minimum(dto),
                        Aggregate::Maximum => QuantifierDto::Maximum(dto),
                        Aggregate::Average => QuantifierDto::Average(dto),
                    }
                }
            }
        }
    }

    impl From<QuantifierDto> for Quantifier {
        fn from(dto: QuantifierDto) -> Self {
            let aggregate = |function, dto: AggregateDto| {
                Quantifier::Aggregate(AggregateTest {
                    function,
                    field: FieldName(dto.field),
                    operator: dto.operator.into(),
                    value: dto.value,
                })
            };
            match dto {
                QuantifierDto::HasAtLeastOne => Quantifier::AtLeastOne,
                QuantifierDto::HasNone => Quantifier::None,
                QuantifierDto::HasAtLeast(n) => Quantifier::AtLeast(n),
                QuantifierDto::HasAtMost(n) => Quantifier::AtMost(n),
                QuantifierDto::HasExactly(n) => Quantifier::Exactly(n),
                QuantifierDto::Sum(dto) => aggregate(Aggregate::Sum, dto),
                QuantifierDto::Minimum(dto) => aggregate(Aggregate::Minimum, dto),
                QuantifierDto::Maximum(dto) => aggregate(Aggregate::Maximum, dto),
                QuantifierDto::Average(dto) => aggregate(Aggregate::Average, dto),
            }
        }
    }

    mirror_enum!(UnitDto <=> DateUnit {
        Days => Days,
        Weeks => Weeks,
        Months => Months,
        Years => Years,
    });

    mirror_enum!(OperatorDto <=> Operator {
        Equals => Equals,
        NotEquals => NotEquals,
        Contains => Contains,
        NotContains => NotContains,
        BeginsWith => BeginsWith,
        NotBeginsWith => NotBeginsWith,
        EndsWith => EndsWith,
        NotEndsWith => NotEndsWith,
        AnyOf => AnyOf,
        NoneOf => NoneOf,
        MatchesPattern => MatchesPattern,
        LessThan => LessThan,
        LessOrEqual => LessOrEqual,
        GreaterThan => GreaterThan,
        GreaterOrEqual => GreaterOrEqual,
        Between => Between,
        On => On,
        NotOn => NotOn,
        Before => Before,
        OnOrBefore => OnOrBefore,
        After => After,
        OnOrAfter => OnOrAfter,
        InLast => InLast,
        InNext => InNext,
        OlderThan => OlderThan,
        Today => Today,
        Yesterday => Yesterday,
        Tomorrow => Tomorrow,
        ThisWeek => ThisWeek,
        LastWeek => LastWeek,
        NextWeek => NextWeek,
        ThisMonth => ThisMonth,
        LastMonth => LastMonth,
        NextMonth => NextMonth,
        ThisQuarter => ThisQuarter,
        LastQuarter => LastQuarter,
        NextQuarter => NextQuarter,
        ThisYear => ThisYear,
        LastYear => LastYear,
        NextYear => NextYear,
        IsYes => IsYes,
        IsNo => IsNo,
        Is => Is,
        MemberOfTeam => MemberOfTeam,
        IsEmpty => IsEmpty,
        IsNotEmpty => IsNotEmpty,
    });

    impl From<&Group> for GroupDto {
        fn from(group: &Group) -> Self {
            GroupDto {
                mode: group.mode.into(),
                negated: group.negated,
                children: group.children.iter().map(NodeDto::from).collect(),
            }
        }
    }

    impl From<&Node> for NodeDto {
        fn from(node: &Node) -> Self {
            match node {
                Node::Condition(c) => NodeDto::Condition {
                    field: PathDto(c.path.clone()),
                    operator: c.operator.into(),
                    value: ValueDto::from(&c.value),
                },
                Node::Group(g) => {
                    let GroupDto { mode, negated, children } = GroupDto::from(g);
                    NodeDto::Group { mode, negated, children }
                }
                Node::Related(r) => NodeDto::Related {
                    quantifier: (&r.quantifier).into(),
                    record_type: r.record_type.to_string(),
                    via: r.via.to_string(),
                    group: GroupDto::from(&r.group),
                },
                Node::Segment(s) => NodeDto::Segment {
                    via: s.via.iter().map(ToString::to_string).collect::<Vec<_>>().join("."),
                    test: s.test.into(),
                    segment: SegmentKeyDto::Id(s.segment.0),
                },
            }
        }
    }

    impl From<&Operand> for ValueDto {
        fn from(operand: &Operand) -> Self {
            let ids = |ids: &[RecordId]| ids.iter().map(|id| id.0).collect();
            match operand {
                Operand::None => ValueDto::None,
                Operand::Text(t) => ValueDto::Text(t.clone()),
                Operand::TextList(t) => ValueDto::TextList(t.clone()),
                Operand::Number(x) => ValueDto::Number(*x),
                Operand::NumberList(x) => ValueDto::NumberList(x.clone()),
                Operand::NumberRange { low, high } => ValueDto::NumberRange { low: *low, high: *high },
                Operand::Date(d) => ValueDto::Date(DateDto(*d)),
                Operand::DateRange { low, high } => ValueDto::DateRange { low: *low, high: *high },
                Operand::Relative { amount, unit } => ValueDto::Relative { amount: *amount, unit: (*unit).into() },
                Operand::Choices(c) => ValueDto::Choices(c.clone()),
                Operand::Record(id) => ValueDto::Record(id.0),
                Operand::Records(r) => ValueDto::Records(ids(r)),
                Operand::Seller(id) => ValueDto::Seller(id.0),
                Operand::Sellers(s) => ValueDto::Sellers(s.iter().map(|id| id.0).collect()),
                Operand::Team(id) => ValueDto::Team(id.0),
            }
        }
    }

    /// Ids are all 0 here; `from_ron` renumbers the whole tree.
    impl From<GroupDto> for Group {
        fn from(group: GroupDto) -> Self {
            Group {
                id: NodeId(0),
                mode: group.mode.into(),
                negated: group.negated,
                children: group.children.into_iter().map(Node::from).collect(),
            }
        }
    }

    impl From<NodeDto> for Node {
        fn from(node: NodeDto) -> Self {
            match node {
                NodeDto::Condition { field, operator, value } => Node::Condition(Condition {
                    id: NodeId(0),
                    path: field.0,
                    operator: operator.into(),
                    value: value.into(),
                }),
                NodeDto::Group { mode, negated, children } => Node::Group(GroupDto { mode, negated, children }.into()),
                NodeDto::Related { quantifier, record_type, via, group } => Node::Related(RelatedBlock {
                    id: NodeId(0),
                    quantifier: quantifier.into(),
                    record_type: RecordTypeName(record_type),
                    via: FieldName(via),
                    group: group.into(),
                }),
                // A name left unresolved names no segment (validation reports it).
                NodeDto::Segment { via, test, segment } => Node::Segment(SegmentCondition {
                    id: NodeId(0),
                    via: if via.is_empty() { Vec::new() } else { via.split('.').map(FieldName::new).collect() },
                    test: test.into(),
                    segment: match segment {
                        SegmentKeyDto::Id(id) => SegmentId(id),
                        SegmentKeyDto::Name(_) => SegmentId(0),
                    },
                }),
            }
        }
    }

    impl From<ValueDto> for Operand {
        fn from(value: ValueDto) -> Self {
            match value {
                ValueDto::None => Operand::None,
                ValueDto::Text(t) => Operand::Text(t),
                ValueDto::TextList(t) => Operand::TextList(t),
                ValueDto::Number(x) => Operand::Number(x),
                ValueDto::NumberList(x) => Operand::NumberList(x),
                ValueDto::NumberRange { low, high } => Operand::NumberRange { low, high },
                ValueDto::Date(d) => Operand::Date(d.0),
                ValueDto::DateRange { low, high } => Operand::DateRange { low, high },
                ValueDto::Relative { amount, unit } => Operand::Relative { amount, unit: unit.into() },
                ValueDto::Choices(c) => Operand::Choices(c),
                ValueDto::Record(id) => Operand::Record(RecordId(id)),
                ValueDto::Records(r) => Operand::Records(r.into_iter().map(RecordId).collect()),
                ValueDto::Seller(id) => Operand::Seller(SellerId(id)),
                ValueDto::Sellers(s) => Operand::Sellers(s.into_iter().map(SellerId).collect()),
                ValueDto::Team(id) => Operand::Team(TeamId(id)),
            }
        }
    }
}
