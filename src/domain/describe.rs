//! Condition trees as readable text: one line per node, indented by depth. Used for the
//! read-only summary, and for before/after in history.

use super::condition::{
    Condition, DateValue, FieldPath, Group, GroupMode, Node, Operand, Quantifier, SegmentCondition,
};
use super::number::Number;
use super::schema::{FieldKind, RecordTypeDef, Schema};

/// One line of a described tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub depth: usize,
    pub text: String,
}

/// Names for ids that appear in conditions (sellers, teams, records), when known.
pub trait Names {
    fn seller(&self, id: i64) -> Option<String>;
    fn team(&self, id: i64) -> Option<String>;
    /// The name of a segment a condition names.
    fn segment(&self, _id: i64) -> Option<String> {
        None
    }
}

/// Other names, and the names of segments from a list of them.
pub struct WithSegments<'a> {
    pub names: &'a dyn Names,
    pub segments: &'a [super::segment::Segment],
}

impl Names for WithSegments<'_> {
    fn seller(&self, id: i64) -> Option<String> {
        self.names.seller(id)
    }
    fn team(&self, id: i64) -> Option<String> {
        self.names.team(id)
    }
    fn segment(&self, id: i64) -> Option<String> {
        self.segments.iter().find(|s| s.id.0 == id).map(|s| s.name.clone())
    }
}

/// The names of the segments in [`Definitions`](super::segment_test::Definitions).
impl Names for super::segment_test::Definitions {
    fn seller(&self, _id: i64) -> Option<String> {
        None
    }
    fn team(&self, _id: i64) -> Option<String> {
        None
    }
    fn segment(&self, id: i64) -> Option<String> {
        self.get(super::segment::SegmentId(id)).map(|d| d.name.clone())
    }
}

/// Knows no names: ids are shown as `#id`.
pub struct NoNames;

impl Names for NoNames {
    fn seller(&self, _id: i64) -> Option<String> {
        None
    }
    fn team(&self, _id: i64) -> Option<String> {
        None
    }
}

/// Names from a workspace's sellers and teams.
pub struct PeopleNames<'a> {
    pub sellers: &'a [super::people::Seller],
    pub teams: &'a [super::people::Team],
}

impl Names for PeopleNames<'_> {
    fn seller(&self, id: i64) -> Option<String> {
        self.sellers.iter().find(|s| s.id.0 == id).map(|s| s.name.clone())
    }
    fn team(&self, id: i64) -> Option<String> {
        self.teams.iter().find(|t| t.id.0 == id).map(|t| t.name.clone())
    }
}

/// Describes `root` (conditions on records of `def`) line by line.
pub fn describe(root: &Group, def: &RecordTypeDef, schema: &Schema, names: &dyn Names) -> Vec<Line> {
    let mut lines = Vec::new();
    group_lines(root, def, schema, names, 0, &mut lines);
    lines
}

fn group_lines(
    group: &Group,
    def: &RecordTypeDef,
    schema: &Schema,
    names: &dyn Names,
    depth: usize,
    out: &mut Vec<Line>,
) {
    let head = match (group.mode, group.negated, group.children.is_empty()) {
        (GroupMode::All, false, true) => "All records (no conditions)".to_owned(),
        (GroupMode::Any, false, true) => "No records (an empty Any group)".to_owned(),
        (GroupMode::All, false, false) => "All of".to_owned(),
        (GroupMode::Any, false, false) => "Any of".to_owned(),
        (GroupMode::All, true, _) => "Not all of".to_owned(),
        (GroupMode::Any, true, _) => "None of".to_owned(),
    };
    out.push(Line { depth, text: head });
    for child in &group.children {
        match child {
            Node::Condition(c) => out.push(Line { depth: depth + 1, text: condition_text(c, def, schema, names) }),
            Node::Group(g) => group_lines(g, def, schema, names, depth + 1, out),
            Node::Related(r) => {
                let related = schema.get(&r.record_type);
                let type_label = related.map_or_else(|| r.record_type.to_string(), |t| t.plural_label.to_lowercase());
                let via =
                    related.and_then(|t| t.field(&r.via)).map_or_else(|| r.via.to_string(), |f| f.label.to_lowercase());
                let text =
                    format!("{} whose {via} is this record, where", quantity_text(&r.quantifier, related, &type_label));
                out.push(Line { depth: depth + 1, text });
                match related {
                    Some(related) => group_lines(&r.group, related, schema, names, depth + 2, out),
                    None => out.push(Line { depth: depth + 2, text: "(unknown record type)".to_owned() }),
                }
            }
            Node::Segment(node) => out.push(Line { depth: depth + 1, text: segment_text(node, def, schema, names) }),
        }
    }
}

/// "Has at least 2 of the opportunities", "The sum of estimated value ≥ 100000 over the
/// opportunities".
pub fn quantity_text(quantifier: &Quantifier, related: Option<&RecordTypeDef>, plural: &str) -> String {
    match quantifier {
        Quantifier::AtLeastOne => format!("Has at least one of the {plural}"),
        Quantifier::None => format!("Has none of the {plural}"),
        Quantifier::AtLeast(n) => format!("Has at least {n} of the {plural}"),
        Quantifier::AtMost(n) => format!("Has at most {n} of the {plural}"),
        Quantifier::Exactly(n) => format!("Has exactly {n} of the {plural}"),
        Quantifier::Aggregate(test) => {
            let field = related.and_then(|t| t.field(&test.field));
            let label = field.map_or_else(|| format!("{} (unknown)", test.field), |f| f.label.to_lowercase());
            let operator = field.map_or("?", |f| test.operator.label(f.kind));
            format!("The {} of {label} {operator} {} over the {plural}", test.function, test.value)
        }
    }
}

/// "Account › Industry is any of Software, Retail".
pub fn condition_text(condition: &Condition, def: &RecordTypeDef, schema: &Schema, names: &dyn Names) -> String {
    let (label, kind) = path_label(&condition.path, def, schema);
    let operator = kind.map_or("?", |k| condition.operator.label(k));
    let value = operand_text(&condition.value, names);
    if value.is_empty() { format!("{label} {operator}") } else { format!("{label} {operator} {value}") }
}

/// "Account is in segment \"Strategic accounts\"", "This record matches the conditions of
/// segment \"Hot leads\"".
pub fn segment_text(node: &SegmentCondition, def: &RecordTypeDef, schema: &Schema, names: &dyn Names) -> String {
    let who = match super::segment_test::as_field_path(&node.via) {
        Some(path) => path_label(&path, def, schema).0,
        None => "This record".to_owned(),
    };
    let id = node.segment.0;
    let segment = names.segment(id).map_or_else(|| format!("#{id}"), |name| format!("\"{name}\""));
    format!("{who} {} {segment}", node.test.label())
}

/// The readable name of a field path and the kind of the field it ends at.
pub fn path_label(path: &FieldPath, def: &RecordTypeDef, schema: &Schema) -> (String, Option<FieldKind>) {
    let mut parts = Vec::new();
    let mut current = Some(def);
    for hop in &path.via {
        let field = current.and_then(|t| t.field(hop));
        parts.push(field.map_or_else(|| format!("{hop} (unknown)"), |f| f.label.clone()));
        current = field.and_then(|f| f.lookup_target.as_ref()).and_then(|target| schema.get(target));
    }
    let field = current.and_then(|t| t.field(&path.field));
    parts.push(field.map_or_else(|| format!("{} (unknown)", path.field), |f| f.label.clone()));
    (parts.join(" › "), field.map(|f| f.kind))
}

fn operand_text(operand: &Operand, names: &dyn Names) -> String {
    let number = |x: Number| x.to_string();
    let seller = |id: i64| names.seller(id).unwrap_or_else(|| format!("seller #{id}"));
    match operand {
        Operand::None => String::new(),
        Operand::Text(s) => format!("\"{s}\""),
        Operand::TextList(items) | Operand::Choices(items) => items.join(", "),
        Operand::Number(x) => number(*x),
        Operand::NumberList(xs) => xs.iter().map(|x| number(*x)).collect::<Vec<_>>().join(", "),
        Operand::NumberRange { low, high } => format!("{} and {}", number(*low), number(*high)),
        Operand::Date(DateValue::Day(d)) => d.to_string(),
        Operand::Date(DateValue::At(dt)) => dt.strftime("%Y-%m-%d %H:%M").to_string(),
        Operand::DateRange { low, high } => format!("{low} and {high}"),
        Operand::Relative { amount, unit } => format!("{amount} {unit}"),
        Operand::Record(id) => format!("#{id}"),
        Operand::Records(ids) => ids.iter().map(|id| format!("#{id}")).collect::<Vec<_>>().join(", "),
        Operand::Seller(id) => seller(id.0),
        Operand::Sellers(ids) => ids.iter().map(|id| seller(id.0)).collect::<Vec<_>>().join(", "),
        Operand::Team(id) => names.team(id.0).unwrap_or_else(|| format!("team #{}", id.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::condition::{NodeId, Operator};

    #[test]
    fn describes_nested_tree() {
        let schema = Schema::built_in();
        let Some(lead) = schema.get_by_str("lead") else { panic!("built-in lead") };
        let tree = Group {
            id: NodeId(0),
            mode: GroupMode::All,
            negated: false,
            children: vec![
                Node::Condition(Condition {
                    id: NodeId(1),
                    path: FieldPath::own("country"),
                    operator: Operator::Equals,
                    value: Operand::Text("Germany".into()),
                }),
                Node::Group(Group {
                    id: NodeId(2),
                    mode: GroupMode::Any,
                    negated: true,
                    children: vec![Node::Condition(Condition {
                        id: NodeId(3),
                        path: FieldPath::through(&["account"], "industry"),
                        operator: Operator::AnyOf,
                        value: Operand::Choices(vec!["Software".into(), "Retail".into()]),
                    })],
                }),
                Node::Condition(Condition {
                    id: NodeId(4),
                    path: FieldPath::own("score"),
                    operator: Operator::Between,
                    value: Operand::NumberRange { low: Number::Whole(10), high: Number::Real(20.5) },
                }),
            ],
        };
        let text: Vec<String> = describe(&tree, lead, &schema, &NoNames)
            .into_iter()
            .map(|l| format!("{}{}", "  ".repeat(l.depth), l.text))
            .collect();
        assert_eq!(
            text,
            [
                "All of",
                "  Country equals \"Germany\"",
                "  None of",
                "    Account › Industry is any of Software, Retail",
                "  Lead score between 10 and 20.5",
            ]
        );
    }
}
