//! Proptest strategies over [`super::schema`]: random valid condition trees (every operator
//! with a fitting operand, empty groups, negation, lookups, related blocks), random possibly
//! invalid trees, and random worlds of records to evaluate them on.
//!
//! Meant for every test that compares evaluators (the fast engine and the SQL compiler are
//! checked against `domain::eval` with these): include `mod common;` in the test crate and
//! use `common::r#gen::*`. Texts stress case and SQL (`ÉMILE`/`émile`, `% _ \ '`, blanks),
//! numbers hit 0, −0, negatives and range edges, dates sit around the table clock
//! (2026-03-31) and month ends.

use std::sync::Arc;

use jiff::civil::{Date, DateTime};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use segment_builder::domain::quantity::{AGGREGATE_OPERATORS, Aggregate, AggregateTest, aggregates};
use segment_builder::domain::{
    Condition, DateUnit, DateValue, FieldDef, FieldKind, FieldName, FieldPath, Group, GroupMode, MemoryDataset, Node,
    NodeId, NodeIds, Number, Operand, OperandKind, Operator, Quantifier, Record, RecordId, RecordTypeName,
    RelatedBlock, Schema, SegmentCondition, SegmentId, SegmentTest, SellerId, TeamId, Value, operators_for,
};
use segment_builder::domain::{Definition, Definitions};

/// How many records of each type a generated world holds (ids 1..=RECORDS).
pub const RECORDS: i64 = 6;

/// Texts that stress case folding and SQL quoting.
pub fn arb_text() -> BoxedStrategy<String> {
    prop_oneof![
        select(vec![
            "ÉMILE", "émile", "Émile", "a%b", "a_b", r"a\b", "O'Brien", "o'", "uk", "UK", " UK", "%", "_", r"\", "'"
        ])
        .prop_map(str::to_owned),
        "[a-cA-CéÉ%_\\\\' ]{1,5}".prop_filter("not blank", |s: &String| !s.trim().is_empty()),
    ]
    .boxed()
}

/// Valid patterns (case-insensitive in the evaluator).
pub fn arb_pattern() -> BoxedStrategy<String> {
    select(vec!["^a", "b$", "é", "^émile$", r"a\\b", "a.b", r"\d", "%", "_", "^o'", "u|f"])
        .prop_map(str::to_owned)
        .boxed()
}

/// Numbers at the edges: 0, −0, small negatives, halves, and a wide spread.
pub fn arb_real() -> BoxedStrategy<f64> {
    prop_oneof![
        select(vec![0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, 10.0, 100.0, 0.01, 19.99, 9_007_199_254_740_992.0]),
        (-100i64..100).prop_map(|n| n as f64),
        (-100_000i64..100_000).prop_map(|cents| cents as f64 / 100.0),
        (-1.0e6..1.0e6f64),
    ]
    .boxed()
}

/// Whole numbers at the edges of `i64` and of `f64`'s exact integers, and small ones.
pub fn arb_whole() -> BoxedStrategy<i64> {
    prop_oneof![
        (-3i64..3),
        any::<i64>().prop_map(|n| n % 1_000_000),
        select(vec![
            i64::MAX,
            i64::MAX - 1,
            i64::MIN,
            i64::MIN + 1,
            9_007_199_254_740_991,
            9_007_199_254_740_992,
            9_007_199_254_740_993,
            -9_007_199_254_740_993,
        ]),
    ]
    .boxed()
}

/// A number typed in a condition: whole (also beyond 2^53) or with a fraction.
pub fn arb_number() -> BoxedStrategy<Number> {
    prop_oneof![
        3 => arb_real().prop_map(Number::from),
        1 => arb_whole().prop_map(Number::Whole),
        1 => select(vec![9_223_372_036_854_775_808.0, -9_223_372_036_854_777_856.0, 9_007_199_254_740_994.0])
            .prop_map(Number::Real),
    ]
    .boxed()
}

/// Days from 2025-01-01 to 2027-12-31: around the table clock and across month ends.
pub fn arb_date() -> BoxedStrategy<Date> {
    (0i64..365 * 3)
        .prop_map(|offset| {
            let start = Date::constant(2025, 1, 1);
            start.checked_add(jiff::Span::new().days(offset)).unwrap_or(start)
        })
        .boxed()
}

/// A wall-clock time a user could type (minute precision).
pub fn arb_wall() -> BoxedStrategy<DateTime> {
    (arb_date(), 0i8..24, 0i8..60).prop_map(|(day, hour, minute)| day.at(hour, minute, 0, 0)).boxed()
}

pub fn arb_instant() -> BoxedStrategy<jiff::Timestamp> {
    let start = jiff::Timestamp::constant(1_735_689_600, 0); // 2025-01-01T00:00Z
    (0i64..3 * 365 * 24 * 3600)
        .prop_map(move |s| start.checked_add(jiff::SignedDuration::from_secs(s)).unwrap_or(start))
        .boxed()
}

fn sorted<T: PartialOrd>(a: T, b: T) -> (T, T) {
    if b < a { (b, a) } else { (a, b) }
}

/// A value that fits `operator` on `field`.
pub fn arb_operand(field: &FieldDef, operator: Operator) -> BoxedStrategy<Operand> {
    let ids = || (1..=RECORDS + 1).prop_map(RecordId);
    let sellers = || (1i64..5).prop_map(SellerId);
    match operator.operand_kind(field.kind) {
        OperandKind::None => Just(Operand::None).boxed(),
        OperandKind::Text if operator == Operator::MatchesPattern => arb_pattern().prop_map(Operand::Text).boxed(),
        OperandKind::Text => arb_text().prop_map(Operand::Text).boxed(),
        OperandKind::TextList => prop::collection::vec(arb_text(), 1..4).prop_map(Operand::TextList).boxed(),
        OperandKind::Number => arb_number().prop_map(Operand::Number).boxed(),
        OperandKind::NumberList => prop::collection::vec(arb_number(), 1..4).prop_map(Operand::NumberList).boxed(),
        OperandKind::NumberRange => (arb_number(), arb_number())
            .prop_map(|(a, b)| {
                let (low, high) = sorted(a, b);
                Operand::NumberRange { low, high }
            })
            .boxed(),
        OperandKind::Date => prop_oneof![
            arb_date().prop_map(|d| Operand::Date(DateValue::Day(d))),
            arb_wall().prop_map(|w| Operand::Date(DateValue::At(w))),
        ]
        .boxed(),
        OperandKind::DateRange => (arb_date(), arb_date())
            .prop_map(|(a, b)| {
                let (low, high) = sorted(a, b);
                Operand::DateRange { low, high }
            })
            .boxed(),
        OperandKind::Relative => (0u32..40, select(DateUnit::ALL.to_vec()))
            .prop_map(|(amount, unit)| Operand::Relative { amount, unit })
            .boxed(),
        OperandKind::Choices => {
            let options = if field.choices.is_empty() { vec!["x".to_owned()] } else { field.choices.clone() };
            let len = options.len();
            subsequence(options, 1..=len)
                .prop_flat_map(|picked| {
                    // Some in another case: labels compare case-insensitively.
                    let n = picked.len();
                    (Just(picked), prop::collection::vec(any::<bool>(), n))
                })
                .prop_map(|(picked, upper)| {
                    let labels = picked.into_iter().zip(upper).map(|(p, u)| if u { p.to_uppercase() } else { p });
                    Operand::Choices(labels.collect())
                })
                .boxed()
        }
        OperandKind::Record => ids().prop_map(Operand::Record).boxed(),
        OperandKind::Records => prop::collection::vec(ids(), 1..4).prop_map(Operand::Records).boxed(),
        OperandKind::Seller => sellers().prop_map(Operand::Seller).boxed(),
        OperandKind::Sellers => prop::collection::vec(sellers(), 1..4).prop_map(Operand::Sellers).boxed(),
        OperandKind::Team => (6i64..10).prop_map(|t| Operand::Team(TeamId(t))).boxed(),
    }
}

/// The fields a condition on `ty` can name: its own, and one or two lookup hops away.
pub fn reachable_fields(schema: &Schema, ty: &RecordTypeName) -> Vec<(FieldPath, FieldDef)> {
    fn walk(
        schema: &Schema,
        ty: &RecordTypeName,
        via: Vec<FieldName>,
        hops_left: usize,
        out: &mut Vec<(FieldPath, FieldDef)>,
    ) {
        let Some(def) = schema.get(ty) else { return };
        for field in &def.fields {
            out.push((FieldPath { via: via.clone(), field: field.name.clone() }, field.clone()));
            if let (FieldKind::Lookup, Some(target), true) = (field.kind, &field.lookup_target, hops_left > 0) {
                let mut next = via.clone();
                next.push(field.name.clone());
                walk(schema, target, next, hops_left - 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(schema, ty, Vec::new(), 2, &mut out);
    out
}

/// A valid condition on a record of `ty`.
pub fn arb_condition(schema: &Schema, ty: &RecordTypeName) -> BoxedStrategy<Node> {
    select(reachable_fields(schema, ty))
        .prop_flat_map(|(path, field)| {
            select(operators_for(field.kind).to_vec()).prop_flat_map(move |operator| {
                let path = path.clone();
                arb_operand(&field, operator).prop_map(move |value| {
                    Node::Condition(Condition { id: NodeId(0), path: path.clone(), operator, value })
                })
            })
        })
        .boxed()
}

fn arb_mode() -> impl Strategy<Value = (GroupMode, bool)> {
    (select(GroupMode::ALL.to_vec()), prop::bool::weighted(0.25))
}

/// Every quantity of a related block: at least one, none, at least / at most / exactly
/// 0–3, and aggregates of the related type's whole-number and money `fields`; with
/// `misfits`, also aggregates of a field that is no number and by an operator aggregates
/// do not offer.
pub fn arb_quantifier(fields: Vec<FieldName>, misfits: bool) -> BoxedStrategy<Quantifier> {
    let counts = prop_oneof![
        Just(Quantifier::AtLeastOne),
        Just(Quantifier::None),
        (0u32..4).prop_map(Quantifier::AtLeast),
        (0u32..4).prop_map(Quantifier::AtMost),
        (0u32..4).prop_map(Quantifier::Exactly),
    ];
    let mut fields = fields;
    let mut operators = AGGREGATE_OPERATORS.to_vec();
    if misfits || fields.is_empty() {
        fields.push(FieldName::new("title")); // not a number: holds nowhere
    }
    if misfits {
        operators.push(Operator::Between);
    }
    let operators = select(operators);
    if !misfits && fields.iter().all(|f| f.as_str() == "title") {
        return counts.boxed();
    }
    let aggregate = (select(Aggregate::ALL.to_vec()), select(fields), operators, arb_number()).prop_map(
        |(function, field, operator, value)| Quantifier::Aggregate(AggregateTest { function, field, operator, value }),
    );
    prop_oneof![2 => counts, 3 => aggregate].boxed()
}

/// A valid group over `ty`, nested at most `depth` more levels (groups and related blocks),
/// with 0 to 4 children. Ids are all 0: see [`arb_tree`].
pub fn arb_group(schema: Arc<Schema>, ty: RecordTypeName, depth: u32) -> BoxedStrategy<Group> {
    arb_group_with(schema, ty, depth, false)
}

/// [`arb_group`], with segment conditions among the leaves when `segments` ([`arb_segment_node`]).
fn arb_group_with(schema: Arc<Schema>, ty: RecordTypeName, depth: u32, segments: bool) -> BoxedStrategy<Group> {
    let leaf = if segments {
        prop_oneof![3 => arb_condition(&schema, &ty), 1 => arb_segment_node(&schema, &ty)].boxed()
    } else {
        arb_condition(&schema, &ty)
    };
    let node = if depth == 0 {
        leaf
    } else {
        let inner = arb_group_with(schema.clone(), ty.clone(), depth - 1, segments).prop_map(Node::Group);
        let blocks: Vec<(RecordTypeName, FieldName)> =
            schema.lookups_into(&ty).map(|(t, f)| (t.name.clone(), f.name.clone())).collect();
        let related = blocks
            .into_iter()
            .map(|(record_type, via)| {
                let group = arb_group_with(schema.clone(), record_type.clone(), depth - 1, segments);
                let numbers: Vec<FieldName> = schema
                    .get(&record_type)
                    .map(|t| t.fields.iter().filter(|f| aggregates(f.kind)).map(|f| f.name.clone()).collect())
                    .unwrap_or_default();
                (arb_quantifier(numbers, false), group)
                    .prop_map(move |(quantifier, group)| {
                        Node::Related(RelatedBlock {
                            id: NodeId(0),
                            quantifier,
                            record_type: record_type.clone(),
                            via: via.clone(),
                            group,
                        })
                    })
                    .boxed()
            })
            .collect::<Vec<_>>();
        if related.is_empty() {
            prop_oneof![4 => leaf, 1 => inner].boxed()
        } else {
            prop_oneof![4 => leaf, 2 => inner, 1 => proptest::strategy::Union::new(related)].boxed()
        }
    };
    (arb_mode(), prop::collection::vec(node, 0..5))
        .prop_map(|((mode, negated), children)| Group { id: NodeId(0), mode, negated, children })
        .boxed()
}

/// A valid tree over `ty`, at most 4 levels deep, with fresh ids in pre-order.
pub fn arb_tree(schema: &Schema, ty: &str) -> BoxedStrategy<Group> {
    arb_group(Arc::new(schema.clone()), RecordTypeName::new(ty), 3)
        .prop_map(|mut root| {
            root.renumber(&mut NodeIds::default());
            root
        })
        .boxed()
}

/// Segments 1..=SEGMENTS exist in a world made with [`arb_segments`]; SEGMENTS + 1 does not.
pub const SEGMENTS: i64 = 6;

/// The record type of segment `k` of [`arb_segments`]: two segments per type, in order.
pub fn segment_type(schema: &Schema, k: i64) -> RecordTypeName {
    schema.types[usize::try_from((k - 1) / 2).unwrap_or(0) % schema.types.len()].name.clone()
}

/// "is in / is not in / matches the conditions of segment k" of the record, or of the
/// record one or two lookups away; k may be of another type, or not exist.
pub fn arb_segment_node(schema: &Schema, ty: &RecordTypeName) -> BoxedStrategy<Node> {
    let mut ways: Vec<Vec<FieldName>> = vec![Vec::new()];
    for (path, field) in reachable_fields(schema, ty) {
        if field.kind == FieldKind::Lookup && path.via.len() < 2 {
            let mut via = path.via.clone();
            via.push(path.field.clone());
            ways.push(via);
        }
    }
    (select(ways), select(SegmentTest::ALL.to_vec()), 1..=SEGMENTS + 1)
        .prop_map(|(via, test, k)| Node::Segment(SegmentCondition { id: NodeId(0), via, test, segment: SegmentId(k) }))
        .boxed()
}

/// A valid tree over `ty` as [`arb_tree`], with segment conditions among its leaves.
pub fn arb_segment_tree(schema: &Schema, ty: &str) -> BoxedStrategy<Group> {
    arb_group_with(Arc::new(schema.clone()), RecordTypeName::new(ty), 3, true)
        .prop_map(|mut root| {
            root.renumber(&mut NodeIds::default());
            root
        })
        .boxed()
}

/// The segments' definitions, and the stored members as (type, record, segment).
pub type Segments = (Definitions, Vec<(RecordTypeName, RecordId, SegmentId)>);

/// Segments 1..=SEGMENTS (named "S1"…, of [`segment_type`], with random valid conditions
/// without segment conditions) and their stored members: every record of each type is in
/// one of its type's two segments, or in none.
pub fn arb_segments(schema: &Schema) -> BoxedStrategy<Segments> {
    let schema = Arc::new(schema.clone());
    let trees: Vec<_> = (1..=SEGMENTS)
        .map(|k| {
            arb_group(schema.clone(), segment_type(&schema, k), 1).prop_map(|mut root| {
                root.renumber(&mut NodeIds::default());
                root
            })
        })
        .collect();
    let members = prop::collection::vec(prop::collection::vec(0u8..3, RECORDS as usize), schema.types.len());
    (trees, members)
        .prop_map(move |(trees, members)| {
            let mut definitions = Definitions::default();
            for (k, conditions) in (1..=SEGMENTS).zip(trees) {
                let record_type = segment_type(&schema, k);
                definitions.insert(SegmentId(k), Definition { name: format!("S{k}"), record_type, conditions });
            }
            let mut pairs = Vec::new();
            for (def, picks) in schema.types.iter().zip(members) {
                let of_type: Vec<i64> = (1..=SEGMENTS).filter(|k| segment_type(&schema, *k) == def.name).collect();
                for (index, pick) in picks.into_iter().enumerate() {
                    if let Some(k) = of_type.get(usize::from(pick)) {
                        pairs.push((def.name.clone(), RecordId(index as i64 + 1), SegmentId(*k)));
                    }
                }
            }
            (definitions, pairs)
        })
        .boxed()
}

/// A value for `field` (often empty); lookups point at ids 1..=RECORDS + 1 (the last one
/// dangling).
pub fn arb_value(field: &FieldDef) -> BoxedStrategy<Value> {
    let value = match field.kind {
        FieldKind::Text => arb_text().prop_map(Value::Text).boxed(),
        FieldKind::WholeNumber => arb_whole().prop_map(Value::WholeNumber).boxed(),
        FieldKind::Decimal => arb_real().prop_map(Value::Decimal).boxed(),
        FieldKind::Money => arb_real().prop_map(Value::Money).boxed(),
        FieldKind::Date => arb_date().prop_map(Value::Date).boxed(),
        FieldKind::DateTime => arb_instant().prop_map(Value::DateTime).boxed(),
        FieldKind::YesNo => any::<bool>().prop_map(Value::YesNo).boxed(),
        FieldKind::Choice if !field.choices.is_empty() => select(field.choices.clone()).prop_map(Value::Choice).boxed(),
        FieldKind::Choice => Just(Value::Empty).boxed(),
        FieldKind::Lookup => (1..=RECORDS + 1).prop_map(|id| Value::Lookup(RecordId(id))).boxed(),
        FieldKind::Owner => (1i64..5).prop_map(|id| Value::Owner(SellerId(id))).boxed(),
    };
    prop_oneof![1 => Just(Value::Empty), 3 => value].boxed()
}

/// A world over `schema`: RECORDS records of every type with random values, and teams
/// 6 (sellers 1, 2), 7 (seller 3), 8 (nobody); team 9 does not exist.
pub fn arb_world(schema: &Schema) -> BoxedStrategy<MemoryDataset> {
    let per_type: Vec<_> = schema
        .types
        .iter()
        .map(|def| {
            let fields: Vec<_> = def.fields.iter().map(arb_value).collect();
            let name = def.name.clone();
            (Just(name), prop::collection::vec(fields, RECORDS as usize))
        })
        .collect();
    let schema = schema.clone();
    per_type
        .prop_map(move |types| {
            let mut ds = MemoryDataset::new(schema.clone());
            for (name, records) in types {
                for (index, values) in records.into_iter().enumerate() {
                    let values = values.into_iter().map(Value::normalized).collect();
                    ds.insert(&name, Record { id: RecordId(index as i64 + 1), values });
                }
            }
            ds.set_team(TeamId(6), vec![SellerId(1), SellerId(2)]);
            ds.set_team(TeamId(7), vec![SellerId(3)]);
            ds.set_team(TeamId(8), Vec::new());
            ds
        })
        .boxed()
}

/// Any operand at all, including the ones validation must refuse: NaN, infinities, empty
/// lists, reversed ranges, invalid patterns, blank texts, the ends of the calendar.
pub fn arb_any_operand() -> BoxedStrategy<Operand> {
    let wild_number = prop_oneof![
        arb_number(),
        Just(Number::Real(f64::NAN)),
        Just(Number::Real(f64::INFINITY)),
        Just(Number::Real(f64::NEG_INFINITY))
    ];
    let wild_date = prop_oneof![arb_date(), Just(Date::MIN), Just(Date::MAX)];
    let wild_text = prop_oneof![
        arb_text(),
        arb_pattern(),
        select(vec!["", " ", "(", "[a", "a{99999}{99999}"]).prop_map(str::to_owned)
    ];
    prop_oneof![
        Just(Operand::None),
        wild_text.clone().prop_map(Operand::Text),
        prop::collection::vec(wild_text, 0..3).prop_map(Operand::TextList),
        wild_number.clone().prop_map(Operand::Number),
        prop::collection::vec(wild_number.clone(), 0..3).prop_map(Operand::NumberList),
        (wild_number.clone(), wild_number).prop_map(|(low, high)| Operand::NumberRange { low, high }),
        wild_date.clone().prop_map(|d| Operand::Date(DateValue::Day(d))),
        arb_wall().prop_map(|w| Operand::Date(DateValue::At(w))),
        Just(Operand::Date(DateValue::At(DateTime::MAX))),
        (wild_date.clone(), wild_date).prop_map(|(low, high)| Operand::DateRange { low, high }),
        (prop_oneof![0u32..40, Just(u32::MAX)], select(DateUnit::ALL.to_vec()))
            .prop_map(|(amount, unit)| Operand::Relative { amount, unit }),
        prop::collection::vec(select(vec!["Small", "small", "Huge", "Software", ""]).prop_map(str::to_owned), 0..3)
            .prop_map(Operand::Choices),
        (0i64..9).prop_map(|id| Operand::Record(RecordId(id))),
        prop::collection::vec((0i64..9).prop_map(RecordId), 0..3).prop_map(Operand::Records),
        (0i64..5).prop_map(|id| Operand::Seller(SellerId(id))),
        prop::collection::vec((0i64..5).prop_map(SellerId), 0..3).prop_map(Operand::Sellers),
        (0i64..10).prop_map(|id| Operand::Team(TeamId(id))),
    ]
    .boxed()
}

/// Any tree at all over names from `schema` plus unknown ones: unknown fields and types,
/// hops through non-lookups, operators of other kinds, operands of any kind. Ids are fresh.
pub fn arb_any_tree(schema: &Schema) -> BoxedStrategy<Group> {
    let mut field_names: Vec<String> =
        schema.types.iter().flat_map(|t| t.fields.iter().map(|f| f.name.to_string())).collect();
    field_names.sort();
    field_names.dedup();
    field_names.extend(["nope".to_owned(), String::new()]);
    let mut type_names: Vec<String> = schema.types.iter().map(|t| t.name.to_string()).collect();
    type_names.push("nothing".to_owned());
    let name = select(field_names).prop_map(FieldName);
    let leaf =
        (prop::collection::vec(name.clone(), 0..3), name.clone(), select(Operator::ALL.to_vec()), arb_any_operand())
            .prop_map(|(via, field, operator, value)| {
                Node::Condition(Condition { id: NodeId(0), path: FieldPath { via, field }, operator, value })
            });
    let tree = leaf.prop_recursive(4, 48, 4, move |node| {
        let group = (arb_mode(), prop::collection::vec(node, 0..4))
            .prop_map(|((mode, negated), children)| Group { id: NodeId(0), mode, negated, children })
            .boxed();
        prop_oneof![
            group.clone().prop_map(Node::Group),
            (
                arb_quantifier(
                    vec![FieldName::new("count"), FieldName::new("amount"), FieldName::new("employees")],
                    true
                ),
                select(type_names.clone()),
                name.clone(),
                group
            )
                .prop_map(|(quantifier, record_type, via, group)| {
                    Node::Related(RelatedBlock {
                        id: NodeId(0),
                        quantifier,
                        record_type: RecordTypeName(record_type),
                        via,
                        group,
                    })
                }),
        ]
    });
    (arb_mode(), prop::collection::vec(tree, 0..4))
        .prop_map(|((mode, negated), children)| {
            let mut root = Group { id: NodeId(0), mode, negated, children };
            root.renumber(&mut NodeIds::default());
            root
        })
        .boxed()
}
