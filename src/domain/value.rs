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
    pub fn normalized(self) -> Self {
        match self {
            Value::Text(s) | Value::Choice(s) if s.trim().is_empty() => Value::Empty,
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
