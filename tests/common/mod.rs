//! Shared test fixtures: a small schema with one field of every kind, a dataset over it, a
//! fixed clock, tree builders, and (in `gen`) proptest strategies for random trees and
//! records. Each test crate includes it with `mod common;`; the differential tests of the
//! fast engine and the SQL compiler are meant to reuse it the same way.
#![allow(dead_code)]

pub mod r#gen;
pub mod harness;
pub mod routing;
pub mod workspace;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use segment_builder::domain::{
    Condition, DateUnit, DateValue, EvalContext, FieldDef, FieldKind, FieldName, FieldPath, Group, GroupMode,
    MemoryDataset, Node, NodeId, NodeIds, Number, Operand, Operator, Quantifier, Record, RecordId, RecordTypeDef,
    RecordTypeName, RelatedBlock, Schema, SellerId, TeamId, Value,
};

/// Three types: `thing` has a field of every kind, `company` is what things (and companies)
/// look up, `deal` points at things and companies.
pub fn schema() -> Schema {
    let f = FieldDef::new;
    let ty = |name: &str, fields: Vec<FieldDef>| RecordTypeDef {
        name: RecordTypeName::new(name),
        label: name.to_owned(),
        plural_label: format!("{name}s"),
        primary_field: fields[0].name.clone(),
        fields,
        built_in: false,
    };
    Schema {
        types: vec![
            ty(
                "thing",
                vec![
                    f("name", "Name", FieldKind::Text),
                    f("count", "Count", FieldKind::WholeNumber),
                    f("ratio", "Ratio", FieldKind::Decimal),
                    f("price", "Price", FieldKind::Money),
                    f("due", "Due", FieldKind::Date),
                    f("at", "At", FieldKind::DateTime),
                    f("done", "Done", FieldKind::YesNo),
                    FieldDef::choice("size", "Size", &["Small", "Medium", "Large"]),
                    FieldDef::lookup("company", "Company", "company"),
                    f("owner", "Owner", FieldKind::Owner),
                ],
            ),
            ty(
                "company",
                vec![
                    f("name", "Company name", FieldKind::Text),
                    FieldDef::choice("industry", "Industry", &["Software", "Retail"]),
                    f("country", "Country", FieldKind::Text),
                    f("employees", "Employees", FieldKind::WholeNumber),
                    FieldDef::lookup("parent", "Parent", "company"),
                    f("founded", "Founded", FieldKind::Date),
                ],
            ),
            ty(
                "deal",
                vec![
                    f("title", "Title", FieldKind::Text),
                    FieldDef::lookup("thing", "Thing", "thing"),
                    FieldDef::lookup("company", "Company", "company"),
                    f("amount", "Amount", FieldKind::Money),
                    FieldDef::choice("stage", "Stage", &["Open", "Won", "Lost"]),
                    f("closes", "Closes", FieldKind::DateTime),
                    f("owner", "Owner", FieldKind::Owner),
                ],
            ),
        ],
    }
}

pub fn type_def<'s>(schema: &'s Schema, name: &str) -> &'s RecordTypeDef {
    schema.get_by_str(name).unwrap_or_else(|| panic!("no type {name}"))
}

pub fn name(name: &str) -> RecordTypeName {
    RecordTypeName::new(name)
}

/// A record of `ty` with the given fields set (normalised like the store does).
pub fn record(def: &RecordTypeDef, id: i64, values: &[(&str, Value)]) -> Record {
    let mut record = Record::empty(RecordId(id), def);
    for (field, value) in values {
        assert!(record.set(def, field, value.clone()), "no field {field} in {}", def.name);
    }
    record
}

/// The clock of the table tests: Tuesday 2026-03-31, 12:00 in Berlin (CEST, +02:00).
pub fn ctx() -> EvalContext {
    ctx_at("2026-03-31T10:00:00Z", "Europe/Berlin")
}

pub fn ctx_at(now: &str, zone: &str) -> EvalContext {
    EvalContext::new(instant(now), TimeZone::get(zone).unwrap_or_else(|e| panic!("{zone}: {e}")))
}

pub fn instant(text: &str) -> Timestamp {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

pub fn date(text: &str) -> jiff::civil::Date {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// A small world for lookups, related blocks and teams:
/// - companies 1 "Acme" (Software, UK), 2 "Émile SARL" (Retail, FR, parent 1), 3 (all empty);
/// - things 10 (company 1, owner 1), 11 (company 2, owner 2), 12 (nothing), 13 (company 99,
///   which does not exist);
/// - deals 100 (thing 10, Won, 500), 101 (thing 10, Open, 50), 102 (thing 11, Lost, 5);
/// - team 7 = sellers 1 and 3, team 8 has no members.
pub fn world() -> MemoryDataset {
    let schema = schema();
    let mut ds = MemoryDataset::new(schema.clone());
    let company = type_def(&schema, "company");
    let thing = type_def(&schema, "thing");
    let deal = type_def(&schema, "deal");
    let text = |s: &str| Value::Text(s.to_owned());
    let choice = |s: &str| Value::Choice(s.to_owned());
    for r in [
        record(company, 1, &[("name", text("Acme")), ("industry", choice("Software")), ("country", text("UK"))]),
        record(
            company,
            2,
            &[
                ("name", text("Émile SARL")),
                ("industry", choice("Retail")),
                ("country", text("FR")),
                ("parent", Value::Lookup(RecordId(1))),
            ],
        ),
        record(company, 3, &[]),
    ] {
        ds.insert(&company.name, r);
    }
    for r in [
        record(thing, 10, &[("company", Value::Lookup(RecordId(1))), ("owner", Value::Owner(SellerId(1)))]),
        record(thing, 11, &[("company", Value::Lookup(RecordId(2))), ("owner", Value::Owner(SellerId(2)))]),
        record(thing, 12, &[]),
        record(thing, 13, &[("company", Value::Lookup(RecordId(99)))]),
    ] {
        ds.insert(&thing.name, r);
    }
    for (id, thing_id, stage, amount) in [(100, 10, "Won", 500.0), (101, 10, "Open", 50.0), (102, 11, "Lost", 5.0)] {
        let r = record(
            deal,
            id,
            &[("thing", Value::Lookup(RecordId(thing_id))), ("stage", choice(stage)), ("amount", Value::Money(amount))],
        );
        ds.insert(&deal.name, r);
    }
    ds.set_team(TeamId(7), vec![SellerId(1), SellerId(3)]);
    ds.set_team(TeamId(8), Vec::new());
    ds
}

// Tree builders. Ids are handed out by `tree`, which renumbers the whole tree.

/// Renumbers a tree built with the helpers below (ids in pre-order from 0).
pub fn tree(mut root: Group) -> Group {
    root.renumber(&mut NodeIds::default());
    root
}

pub fn all(children: Vec<Node>) -> Group {
    Group { id: NodeId(0), mode: GroupMode::All, negated: false, children }
}

pub fn any(children: Vec<Node>) -> Group {
    Group { id: NodeId(0), mode: GroupMode::Any, negated: false, children }
}

pub fn not(group: Group) -> Group {
    Group { negated: !group.negated, ..group }
}

pub fn group(group: Group) -> Node {
    Node::Group(group)
}

/// A condition on a dotted path: "company.industry".
pub fn cond(path: &str, operator: Operator, value: Operand) -> Node {
    Node::Condition(Condition { id: NodeId(0), path: path_of(path), operator, value })
}

pub fn path_of(dotted: &str) -> FieldPath {
    let mut parts: Vec<FieldName> = dotted.split('.').map(FieldName::new).collect();
    let field = parts.pop().unwrap_or_else(|| FieldName::new(""));
    FieldPath { via: parts, field }
}

pub fn has(record_type: &str, via: &str, group: Group) -> Node {
    related(Quantifier::AtLeastOne, record_type, via, group)
}

pub fn has_no(record_type: &str, via: &str, group: Group) -> Node {
    related(Quantifier::None, record_type, via, group)
}

/// A block with any quantity: `related_by(Quantifier::AtLeast(2), "deal", "thing", …)`.
pub fn related_by(quantifier: Quantifier, record_type: &str, via: &str, group: Group) -> Node {
    related(quantifier, record_type, via, group)
}

/// "<function> of <field> <operator> <value>" over the related records.
pub fn aggregate(
    function: segment_builder::domain::Aggregate,
    field: &str,
    operator: Operator,
    value: Number,
) -> Quantifier {
    Quantifier::Aggregate(segment_builder::domain::AggregateTest {
        function,
        field: FieldName::new(field),
        operator,
        value,
    })
}

/// "is in / is not in / matches the conditions of segment `id`" of the record the dotted
/// lookups `via` reach ("" for the record itself).
pub fn seg(via: &str, test: segment_builder::domain::SegmentTest, id: i64) -> Node {
    Node::Segment(segment_builder::domain::SegmentCondition {
        id: NodeId(0),
        via: if via.is_empty() { Vec::new() } else { via.split('.').map(FieldName::new).collect() },
        test,
        segment: segment_builder::domain::SegmentId(id),
    })
}

fn related(quantifier: Quantifier, record_type: &str, via: &str, group: Group) -> Node {
    Node::Related(RelatedBlock {
        id: NodeId(0),
        quantifier,
        record_type: RecordTypeName::new(record_type),
        via: FieldName::new(via),
        group,
    })
}

// Operand shorthands.

pub fn t(s: &str) -> Operand {
    Operand::Text(s.to_owned())
}

pub fn tl(items: &[&str]) -> Operand {
    Operand::TextList(items.iter().map(|s| (*s).to_owned()).collect())
}

pub fn n(x: f64) -> Operand {
    Operand::Number(Number::from(x))
}

/// A whole number, exactly.
pub fn w(x: i64) -> Operand {
    Operand::Number(Number::Whole(x))
}

pub fn nl(items: &[f64]) -> Operand {
    Operand::NumberList(items.iter().map(|x| Number::from(*x)).collect())
}

pub fn nr(low: f64, high: f64) -> Operand {
    Operand::NumberRange { low: Number::from(low), high: Number::from(high) }
}

/// A date operand: "2026-03-01" is a day, "2026-03-01T09:30" a typed date and time.
pub fn d(text: &str) -> Operand {
    Operand::Date(if text.contains('T') {
        DateValue::At(text.parse().unwrap_or_else(|e| panic!("{text}: {e}")))
    } else {
        DateValue::Day(date(text))
    })
}

pub fn dr(low: &str, high: &str) -> Operand {
    Operand::DateRange { low: date(low), high: date(high) }
}

pub fn rel(amount: u32, unit: DateUnit) -> Operand {
    Operand::Relative { amount, unit }
}

pub fn choices(items: &[&str]) -> Operand {
    Operand::Choices(items.iter().map(|s| (*s).to_owned()).collect())
}

pub const NONE: Operand = Operand::None;
