//! A condition's value: what a new condition and a new operator start with, what carries
//! over to another operator, and reading what the user types into value boxes.

use jiff::civil::Date;

use crate::domain::AggregateTest;
use crate::domain::edit;
use crate::domain::eval::resolve_path;
use crate::domain::{
    Condition, DateUnit, DateValue, FieldDef, FieldKind, FieldPath, Node, NodeId, Number, Operand, OperandKind,
    Operator, Quantifier, RecordId, RecordTypeDef, SellerId, TeamId, operators_for,
};

use super::{Builder, BuilderEdit, EditContext, InputSlot};

impl Builder {
    /// A condition's field, operator and value, and what is typed into its value boxes.
    pub(super) fn change_condition(&mut self, edit: BuilderEdit, ctx: &EditContext<'_>) -> bool {
        let schema = ctx.schema;
        match edit {
            BuilderEdit::SetField { id, path } => {
                let Some(def) = self.parent_type(schema, id) else { return false };
                let Some(field) = resolve_path(schema, def, &path) else { return false };
                let field = field.clone();
                let today = ctx.today;
                // A segment condition becomes a condition on the field.
                if let Some(node @ Node::Segment(_)) = edit::node_mut(&mut self.draft, id) {
                    let operator = operators_for(field.kind).first().copied().unwrap_or(Operator::IsEmpty);
                    let value = default_operand(operator, &field, today);
                    *node = Node::Condition(Condition { id, path: path.clone(), operator, value });
                }
                let Some(Node::Condition(condition)) = edit::node_mut(&mut self.draft, id) else { return false };
                let old_kind = condition.operator.operand_kind(field.kind) == condition.value.kind() && {
                    // Keep operator and value when the new field offers both.
                    condition.operator.applies_to(field.kind)
                };
                condition.path = path;
                if !old_kind {
                    let operator = operators_for(field.kind).first().copied().unwrap_or(Operator::IsEmpty);
                    condition.operator = operator;
                    condition.value = default_operand(operator, &field, today);
                }
                if let Operand::Choices(options) = &mut condition.value {
                    options.retain(|o| field.choices.contains(o));
                }
                self.inputs.retain(|(node, _), _| *node != id);
                true
            }
            BuilderEdit::SetOperator { id, operator } => {
                let Some(field) = self.condition_field(schema, id) else { return false };
                let today = ctx.today;
                let Some(Node::Condition(condition)) = edit::node_mut(&mut self.draft, id) else { return false };
                if !operator.applies_to(field.kind) {
                    return false;
                }
                let value = std::mem::take(&mut condition.value);
                condition.value = convert_operand(value, operator.operand_kind(field.kind), &field, today);
                condition.operator = operator;
                self.inputs.retain(|(node, _), _| *node != id);
                true
            }
            BuilderEdit::SetOperand { id, operand } => {
                let Some(Node::Condition(condition)) = edit::node_mut(&mut self.draft, id) else { return false };
                // A new date keeps a typed time.
                let operand = match (&condition.value, operand) {
                    (Operand::Date(DateValue::At(old)), Operand::Date(DateValue::Day(day))) => {
                        Operand::Date(DateValue::At(day.to_datetime(old.time())))
                    }
                    (_, operand) => operand,
                };
                condition.value = operand;
                true
            }
            BuilderEdit::SetInput { id, slot, text } => {
                if let Some(Node::Related(block)) = edit::node_mut(&mut self.draft, id) {
                    if let Some(quantifier) = typed_quantity(&block.quantifier, slot, &text) {
                        block.quantifier = quantifier;
                    }
                    self.inputs.insert((id, slot), text);
                    return true;
                }
                let Some(field) = self.condition_field(schema, id) else { return false };
                let Some(Node::Condition(condition)) = edit::node_mut(&mut self.draft, id) else { return false };
                if let Ok(value) = parse_input(slot, &text, &condition.value, &field) {
                    condition.value = value;
                }
                self.inputs.insert((id, slot), text);
                true
            }
            // Tree edits are `change`'s.
            _ => false,
        }
    }
}

/// A new condition on the type's title field (or its first field).
pub(super) fn new_condition(def: &RecordTypeDef, id: NodeId, today: Date) -> Option<Condition> {
    let field = def.primary_index().and_then(|i| def.fields.get(i)).or_else(|| def.fields.first())?;
    let operator = operators_for(field.kind).first().copied().unwrap_or(Operator::IsEmpty);
    Some(Condition {
        id,
        path: FieldPath::own(field.name.as_str()),
        operator,
        value: default_operand(operator, field, today),
    })
}

/// The value an operator starts with on `field`.
pub fn default_operand(operator: Operator, field: &FieldDef, today: Date) -> Operand {
    match operator.operand_kind(field.kind) {
        OperandKind::None => Operand::None,
        OperandKind::Text => Operand::Text(String::new()),
        OperandKind::TextList => Operand::TextList(Vec::new()),
        OperandKind::Number => Operand::Number(Number::Whole(0)),
        OperandKind::NumberList => Operand::NumberList(Vec::new()),
        OperandKind::NumberRange => Operand::NumberRange { low: Number::Whole(0), high: Number::Whole(0) },
        OperandKind::Date => Operand::Date(DateValue::Day(today)),
        OperandKind::DateRange => Operand::DateRange { low: today, high: today },
        OperandKind::Relative => Operand::Relative { amount: 30, unit: DateUnit::Days },
        OperandKind::Choices => Operand::Choices(Vec::new()),
        OperandKind::Record => Operand::Record(RecordId(0)),
        OperandKind::Records => Operand::Records(Vec::new()),
        OperandKind::Seller => Operand::Seller(SellerId(0)),
        OperandKind::Sellers => Operand::Sellers(Vec::new()),
        OperandKind::Team => Operand::Team(TeamId(0)),
    }
}

/// The value carried over to an operator that takes `kind`: what fits is kept (a text
/// becomes a one-item list, a number a range from it to itself), the rest starts afresh.
pub fn convert_operand(value: Operand, kind: OperandKind, field: &FieldDef, today: Date) -> Operand {
    if value.kind() == kind {
        return value;
    }
    match (value, kind) {
        (Operand::Text(text), OperandKind::TextList) if !text.trim().is_empty() => Operand::TextList(vec![text]),
        (Operand::TextList(items), OperandKind::Text) if !items.is_empty() => {
            Operand::Text(items.into_iter().next().unwrap_or_default())
        }
        (Operand::Number(x), OperandKind::NumberRange) => Operand::NumberRange { low: x, high: x },
        (Operand::Number(x), OperandKind::NumberList) => Operand::NumberList(vec![x]),
        (Operand::NumberRange { low, .. }, OperandKind::Number) => Operand::Number(low),
        (Operand::NumberList(items), OperandKind::Number) if !items.is_empty() => Operand::Number(items[0]),
        (Operand::Date(day), OperandKind::DateRange) => Operand::DateRange { low: day.date(), high: day.date() },
        (Operand::DateRange { low, .. }, OperandKind::Date) => Operand::Date(DateValue::Day(low)),
        (Operand::Record(id), OperandKind::Records) if id.0 != 0 => Operand::Records(vec![id]),
        (Operand::Records(ids), OperandKind::Record) if !ids.is_empty() => Operand::Record(ids[0]),
        (Operand::Seller(id), OperandKind::Sellers) if id.0 != 0 => Operand::Sellers(vec![id]),
        (Operand::Sellers(ids), OperandKind::Seller) if !ids.is_empty() => Operand::Seller(ids[0]),
        _ => {
            let operator = Operator::ALL
                .into_iter()
                .find(|op| op.applies_to(field.kind) && op.operand_kind(field.kind) == kind)
                .unwrap_or(Operator::IsEmpty);
            default_operand(operator, field, today)
        }
    }
}

/// A number as a user would type it: no trailing ".0", whole numbers exactly.
pub fn number_text(x: Number) -> String {
    x.to_string()
}

/// Reads a number as typed, by the one rule of [`crate::domain::format::parse_number`]:
/// spaces and underscores are ignored, a comma only separates thousands (`10,000`). A whole
/// number is kept exactly (`9007199254740993`), one with a fraction as the nearest `f64`.
pub fn parse_number(text: &str) -> Result<Number, String> {
    if text.trim().is_empty() {
        return Err("Enter a number".to_owned());
    }
    if let Ok(crate::domain::Value::WholeNumber(n)) =
        crate::domain::format::parse_value(&whole_field(), text, &jiff::tz::TimeZone::UTC)
    {
        return Ok(Number::Whole(n));
    }
    crate::domain::format::parse_number(text, crate::domain::format::DecimalMark::Point).map(Number::from)
}

/// A whole-number field, to read a typed number by the whole-number rule first.
fn whole_field() -> FieldDef {
    FieldDef::new("number", "Number", FieldKind::WholeNumber)
}

/// A related block's quantity after typing `text` into `slot` (its N, or its aggregate's
/// number); `None` while the text is not one.
fn typed_quantity(quantifier: &Quantifier, slot: InputSlot, text: &str) -> Option<Quantifier> {
    let count = || text.trim().parse::<u32>().ok();
    match (slot, quantifier) {
        (InputSlot::Count, Quantifier::AtLeast(_)) => count().map(Quantifier::AtLeast),
        (InputSlot::Count, Quantifier::AtMost(_)) => count().map(Quantifier::AtMost),
        (InputSlot::Count, Quantifier::Exactly(_)) => count().map(Quantifier::Exactly),
        (InputSlot::Number, Quantifier::Aggregate(test)) => {
            let value = parse_number(text).ok()?;
            Some(Quantifier::Aggregate(AggregateTest { value, ..test.clone() }))
        }
        _ => None,
    }
}

/// The items of a pasted or typed list: lines, or comma-separated items, trimmed, blanks
/// dropped. Texts may contain commas when the list has one item per line.
pub fn split_list(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let items: Vec<&str> = if lines.len() > 1 { lines } else { text.split(',').map(str::trim).collect() };
    items.into_iter().filter(|i| !i.is_empty()).map(str::to_owned).collect()
}

/// The value after typing `text` into `slot` of a condition whose value is `current`.
pub(super) fn parse_input(slot: InputSlot, text: &str, current: &Operand, field: &FieldDef) -> Result<Operand, String> {
    match (slot, current) {
        (InputSlot::Number, Operand::Number(_)) => parse_number(text).map(Operand::Number),
        (InputSlot::Low, Operand::NumberRange { high, .. }) => {
            parse_number(text).map(|low| Operand::NumberRange { low, high: *high })
        }
        (InputSlot::High, Operand::NumberRange { low, .. }) => {
            parse_number(text).map(|high| Operand::NumberRange { low: *low, high })
        }
        (InputSlot::List, Operand::TextList(_)) => Ok(Operand::TextList(split_list(text))),
        (InputSlot::List, Operand::NumberList(_)) => {
            let items = split_list(text);
            let mut numbers = Vec::with_capacity(items.len());
            for item in &items {
                numbers.push(parse_number(item).map_err(|_| format!("\"{item}\" is not a number"))?);
            }
            Ok(Operand::NumberList(numbers))
        }
        (InputSlot::Time, Operand::Date(value)) => {
            let day = value.date();
            let text = text.trim();
            if text.is_empty() {
                return Ok(Operand::Date(DateValue::Day(day)));
            }
            let time = jiff::civil::Time::strptime("%H:%M", text)
                .map_err(|_| format!("\"{text}\" is not a time like 14:30"))?;
            if field.kind != FieldKind::DateTime {
                return Err(format!("{} is a date without a time", field.label));
            }
            Ok(Operand::Date(DateValue::At(day.to_datetime(time))))
        }
        _ => Err("This value cannot be typed here".to_owned()),
    }
}
