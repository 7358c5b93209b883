//! Field values and records.

use std::fmt;

use jiff::{Timestamp, civil::Date};
use serde::{Deserialize, Serialize};

use super::schema::{FieldKind, RecordTypeDef};

/// The id of a record within its record type (its table's `id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordId(pub i64);

/// The id of a seller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SellerId(pub i64);

/// The id of a team.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TeamId(pub i64);

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The value of one field of one record. `Empty` is the absence of a value (SQL NULL);
/// an empty text is normalised to `Empty`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Value {
    #[default]
    Empty,
    Text(String),
    WholeNumber(i64),
    Decimal(f64),
    Money(f64),
    Date(Date),
    /// An instant; shown and compared by its calendar day in the workspace time zone.
    DateTime(Timestamp),
    YesNo(bool),
    /// One of the field's options, by its label.
    Choice(String),
    Lookup(RecordId),
    Owner(SellerId),
}

impl Value {
    pub fn is_empty(&self) -> bool {
        matches!(self, Value::Empty)
    }

    /// Text and choice values that are empty or only whitespace become `Empty`.
    #[must_use]
    pub fn normalized(self) -> Self {
        // A text starting with a visible ASCII character (most) is not blank: no trim.
        let blank = |s: &str| !s.as_bytes().first().is_some_and(u8::is_ascii_graphic) && s.trim().is_empty();
        match self {
            Value::Text(s) | Value::Choice(s) if blank(&s) => Value::Empty,
            Value::Decimal(x) | Value::Money(x) if !x.is_finite() => Value::Empty,
            other => other,
        }
    }

    /// Whether this value may be stored in a field of `kind` (`Empty` fits every kind).
    pub fn fits(&self, kind: FieldKind) -> bool {
        matches!(
            (self, kind),
            (Value::Empty, _)
                | (Value::Text(_), FieldKind::Text)
                | (Value::WholeNumber(_), FieldKind::WholeNumber)
                | (Value::Decimal(_), FieldKind::Decimal)
                | (Value::Money(_), FieldKind::Money)
                | (Value::Date(_), FieldKind::Date)
                | (Value::DateTime(_), FieldKind::DateTime)
                | (Value::YesNo(_), FieldKind::YesNo)
                | (Value::Choice(_), FieldKind::Choice)
                | (Value::Lookup(_), FieldKind::Lookup)
                | (Value::Owner(_), FieldKind::Owner)
        )
    }

    /// The numeric value of a number field, for comparisons.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::WholeNumber(n) => Some(*n as f64),
            Value::Decimal(x) | Value::Money(x) => Some(*x),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) | Value::Choice(s) => Some(s),
            _ => None,
        }
    }
}

/// A [`Value`] borrowed from where it is kept (a [`Value`], a [`RecordBatch`]), so values
/// can be read without allocating their texts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum ValueView<'a> {
    #[default]
    Empty,
    Text(&'a str),
    WholeNumber(i64),
    Decimal(f64),
    Money(f64),
    Date(Date),
    DateTime(Timestamp),
    YesNo(bool),
    Choice(&'a str),
    Lookup(RecordId),
    Owner(SellerId),
}

impl ValueView<'_> {
    pub fn is_empty(self) -> bool {
        matches!(self, ValueView::Empty)
    }

    /// The numeric value of a number field, for comparisons.
    pub fn as_f64(self) -> Option<f64> {
        match self {
            ValueView::WholeNumber(n) => Some(n as f64),
            ValueView::Decimal(x) | ValueView::Money(x) => Some(x),
            _ => None,
        }
    }

    /// [`Value::normalized`] without the copy: blank text and choices, and numbers that are
    /// not finite, are empty.
    #[must_use]
    pub fn normalized(self) -> Self {
        // A text starting with a visible ASCII character (most) is not blank: no trim.
        let blank = |s: &str| !s.as_bytes().first().is_some_and(u8::is_ascii_graphic) && s.trim().is_empty();
        match self {
            ValueView::Text(s) | ValueView::Choice(s) if blank(s) => ValueView::Empty,
            ValueView::Decimal(x) | ValueView::Money(x) if !x.is_finite() => ValueView::Empty,
            other => other,
        }
    }

    pub fn to_value(self) -> Value {
        match self {
            ValueView::Empty => Value::Empty,
            ValueView::Text(s) => Value::Text(s.to_owned()),
            ValueView::WholeNumber(n) => Value::WholeNumber(n),
            ValueView::Decimal(x) => Value::Decimal(x),
            ValueView::Money(x) => Value::Money(x),
            ValueView::Date(d) => Value::Date(d),
            ValueView::DateTime(t) => Value::DateTime(t),
            ValueView::YesNo(b) => Value::YesNo(b),
            ValueView::Choice(s) => Value::Choice(s.to_owned()),
            ValueView::Lookup(id) => Value::Lookup(id),
            ValueView::Owner(id) => Value::Owner(id),
        }
    }
}

impl Value {
    /// This value, borrowed.
    pub fn view(&self) -> ValueView<'_> {
        match self {
            Value::Empty => ValueView::Empty,
            Value::Text(s) => ValueView::Text(s),
            Value::WholeNumber(n) => ValueView::WholeNumber(*n),
            Value::Decimal(x) => ValueView::Decimal(*x),
            Value::Money(x) => ValueView::Money(*x),
            Value::Date(d) => ValueView::Date(*d),
            Value::DateTime(t) => ValueView::DateTime(*t),
            Value::YesNo(b) => ValueView::YesNo(*b),
            Value::Choice(s) => ValueView::Choice(s),
            Value::Lookup(id) => ValueView::Lookup(*id),
            Value::Owner(id) => ValueView::Owner(*id),
        }
    }
}

/// One value of a [`RecordBatch`]: texts are ranges of the batch's text buffer.
#[derive(Clone, Copy, Debug)]
enum Cell {
    Empty,
    Text { start: usize, end: usize },
    WholeNumber(i64),
    Decimal(f64),
    Money(f64),
    Date(Date),
    DateTime(Timestamp),
    YesNo(bool),
    Choice { start: usize, end: usize },
    Lookup(RecordId),
    Owner(SellerId),
}

/// Records of one type in a compact, owned form that can be handed from the thread that
/// reads them to the one that uses them: ids, `fields` values per record, every text in
/// one buffer (no allocation per value; a cleared batch keeps its capacity).
#[derive(Clone, Debug)]
pub struct RecordBatch {
    fields: usize,
    ids: Vec<RecordId>,
    cells: Vec<Cell>,
    text: String,
}

impl RecordBatch {
    /// An empty batch for records of `fields` values, with room for `records` of them.
    pub fn with_capacity(fields: usize, records: usize) -> Self {
        Self {
            fields,
            ids: Vec::with_capacity(records),
            cells: Vec::with_capacity(records * fields),
            text: String::new(),
        }
    }

    /// Values per record.
    pub fn fields(&self) -> usize {
        self.fields
    }

    /// Records in the batch.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Empties the batch, keeping its memory.
    pub fn clear(&mut self) {
        self.ids.clear();
        self.cells.clear();
        self.text.clear();
    }

    /// Starts a record: the values pushed next are its values, in field order (values not
    /// pushed are empty, values past the last field are dropped).
    pub fn start_record(&mut self, id: RecordId) {
        self.finish_record();
        self.ids.push(id);
    }

    /// Adds the next value of the current record (dropped when no record is started).
    #[inline]
    pub fn push_value(&mut self, value: ValueView<'_>) {
        if self.cells.len() >= self.ids.len() * self.fields {
            return;
        }
        let mut text = |s: &str| {
            let start = self.text.len();
            self.text.push_str(s);
            (start, self.text.len())
        };
        let cell = match value {
            ValueView::Empty => Cell::Empty,
            ValueView::Text(s) => {
                let (start, end) = text(s);
                Cell::Text { start, end }
            }
            ValueView::Choice(s) => {
                let (start, end) = text(s);
                Cell::Choice { start, end }
            }
            ValueView::WholeNumber(n) => Cell::WholeNumber(n),
            ValueView::Decimal(x) => Cell::Decimal(x),
            ValueView::Money(x) => Cell::Money(x),
            ValueView::Date(d) => Cell::Date(d),
            ValueView::DateTime(t) => Cell::DateTime(t),
            ValueView::YesNo(b) => Cell::YesNo(b),
            ValueView::Lookup(id) => Cell::Lookup(id),
            ValueView::Owner(id) => Cell::Owner(id),
        };
        self.cells.push(cell);
    }

    /// Text pushed so far, in bytes: a reader may hand a batch on when it grows large.
    pub fn text_bytes(&self) -> usize {
        self.text.len()
    }

    /// Pads the current record with empty values.
    fn finish_record(&mut self) {
        self.cells.resize(self.ids.len() * self.fields, Cell::Empty);
    }

    /// The id of record `record` (0-based, in the order pushed).
    pub fn id(&self, record: usize) -> Option<RecordId> {
        self.ids.get(record).copied()
    }

    /// Value `field` of record `record`; empty past the values pushed.
    #[inline]
    pub fn value(&self, record: usize, field: usize) -> ValueView<'_> {
        if field >= self.fields {
            return ValueView::Empty;
        }
        let text = |start: usize, end: usize| self.text.get(start..end).unwrap_or_default();
        match self.cells.get(record * self.fields + field).copied().unwrap_or(Cell::Empty) {
            Cell::Empty => ValueView::Empty,
            Cell::Text { start, end } => ValueView::Text(text(start, end)),
            Cell::Choice { start, end } => ValueView::Choice(text(start, end)),
            Cell::WholeNumber(n) => ValueView::WholeNumber(n),
            Cell::Decimal(x) => ValueView::Decimal(x),
            Cell::Money(x) => ValueView::Money(x),
            Cell::Date(d) => ValueView::Date(d),
            Cell::DateTime(t) => ValueView::DateTime(t),
            Cell::YesNo(b) => ValueView::YesNo(b),
            Cell::Lookup(id) => ValueView::Lookup(id),
            Cell::Owner(id) => ValueView::Owner(id),
        }
    }
}

/// One record: its id and one value per field of its type, in the type's field order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: RecordId,
    pub values: Vec<Value>,
}

impl Record {
    /// A record with every field empty.
    pub fn empty(id: RecordId, def: &RecordTypeDef) -> Self {
        Self { id, values: vec![Value::Empty; def.fields.len()] }
    }

    pub fn get(&self, def: &RecordTypeDef, field: &str) -> &Value {
        def.fields
            .iter()
            .position(|f| f.name.as_str() == field)
            .and_then(|i| self.values.get(i))
            .unwrap_or(&Value::Empty)
    }

    /// Sets a field by name; returns false when the type has no such field.
    pub fn set(&mut self, def: &RecordTypeDef, field: &str, value: Value) -> bool {
        match def.fields.iter().position(|f| f.name.as_str() == field) {
            Some(i) => {
                if self.values.len() < def.fields.len() {
                    self.values.resize(def.fields.len(), Value::Empty);
                }
                self.values[i] = value.normalized();
                true
            }
            None => false,
        }
    }
}

/// A problem with a value entered for a field.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValueError {
    pub field: String,
    pub message: String,
}

/// Checks a record against its type: one value per field, each of the field's kind, choices
/// among the field's options. Returns every problem.
pub fn check_record(def: &RecordTypeDef, record: &Record) -> Vec<ValueError> {
    let mut problems = Vec::new();
    if record.values.len() != def.fields.len() {
        problems.push(ValueError {
            field: def.label.clone(),
            message: format!("expected {} values, found {}", def.fields.len(), record.values.len()),
        });
        return problems;
    }
    for (field, value) in def.fields.iter().zip(&record.values) {
        if !value.fits(field.kind) {
            problems.push(ValueError {
                field: field.label.clone(),
                message: format!("a {} field cannot hold {value:?}", field.kind),
            });
        } else if let Value::Choice(option) = value
            && !field.choices.iter().any(|c| c == option)
        {
            problems.push(ValueError {
                field: field.label.clone(),
                message: format!("\"{option}\" is not one of the options ({})", field.choices.join(", ")),
            });
        }
    }
    problems
}
