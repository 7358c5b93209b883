//! What a related-record block asks of the related records that match its conditions:
//! that there is one, none, at least / at most / exactly N, or that an aggregate of a
//! number field (sum, minimum, maximum, average) compares with a number.
//!
//! [`QuantityTest`] is the one meaning every evaluator reads: the reference evaluator and
//! the fast engine gather a [`Tally`] of the matching related records and ask it; the SQL
//! compiler counts with `COUNT(*)`, and hands aggregates to the store's SQL aggregate
//! `sb_aggregate`, which gathers the same tally and asks the same test.
//!
//! Aggregates read whole-number fields as `i64` and money as whole cents, exactly (a sum in
//! 128 bits, an average compared without dividing: `S / n ≥ x` as `S ≥ n·x`). Related
//! records whose field is empty count for the quantity but not for the aggregate. Over no
//! values the sum is 0, and minimum, maximum and average are empty: every comparison with
//! them is false, and "≠" (the complement of "=") is true.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::condition::Operator;
use super::number::{IntTest, Number, Scaled, exact_places, int_test};
use super::predicate::{Comparison, NumberTest};
use super::schema::{FieldKind, FieldName};

/// What a related-record block asks of the related records that match it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Quantifier {
    /// At least one.
    AtLeastOne,
    /// None.
    None,
    AtLeast(u32),
    AtMost(u32),
    Exactly(u32),
    /// An aggregate of a number field compared with a number.
    Aggregate(AggregateTest),
}

/// "<function> of <field> <operator> <value>", e.g. sum of amount ≥ 100,000.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AggregateTest {
    pub function: Aggregate,
    /// A whole-number or money field of the related record type.
    pub field: FieldName,
    /// One of [`AGGREGATE_OPERATORS`].
    pub operator: Operator,
    pub value: Number,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Aggregate {
    Sum,
    Minimum,
    Maximum,
    Average,
}

impl Aggregate {
    pub const ALL: [Aggregate; 4] = [Aggregate::Sum, Aggregate::Minimum, Aggregate::Maximum, Aggregate::Average];
}

impl fmt::Display for Aggregate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Aggregate::Sum => "sum",
            Aggregate::Minimum => "minimum",
            Aggregate::Maximum => "maximum",
            Aggregate::Average => "average",
        })
    }
}

/// The comparisons an aggregate offers.
pub const AGGREGATE_OPERATORS: [Operator; 6] = [
    Operator::Equals,
    Operator::NotEquals,
    Operator::LessThan,
    Operator::LessOrEqual,
    Operator::GreaterThan,
    Operator::GreaterOrEqual,
];

/// The kinds of field an aggregate reads.
pub fn aggregates(kind: FieldKind) -> bool {
    exact_places(kind).is_some()
}

/// The kind of a [`Quantifier`], for the builder's list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QuantifierKind {
    AtLeastOne,
    None,
    AtLeast,
    AtMost,
    Exactly,
    Aggregate(Aggregate),
}

impl QuantifierKind {
    pub const ALL: [QuantifierKind; 9] = [
        QuantifierKind::AtLeastOne,
        QuantifierKind::None,
        QuantifierKind::AtLeast,
        QuantifierKind::AtMost,
        QuantifierKind::Exactly,
        QuantifierKind::Aggregate(Aggregate::Sum),
        QuantifierKind::Aggregate(Aggregate::Minimum),
        QuantifierKind::Aggregate(Aggregate::Maximum),
        QuantifierKind::Aggregate(Aggregate::Average),
    ];
}

impl fmt::Display for QuantifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuantifierKind::AtLeastOne => f.write_str("has at least one"),
            QuantifierKind::None => f.write_str("has no"),
            QuantifierKind::AtLeast => f.write_str("has at least"),
            QuantifierKind::AtMost => f.write_str("has at most"),
            QuantifierKind::Exactly => f.write_str("has exactly"),
            QuantifierKind::Aggregate(function) => write!(f, "{function} of"),
        }
    }
}

impl Quantifier {
    pub fn kind(&self) -> QuantifierKind {
        match self {
            Quantifier::AtLeastOne => QuantifierKind::AtLeastOne,
            Quantifier::None => QuantifierKind::None,
            Quantifier::AtLeast(_) => QuantifierKind::AtLeast,
            Quantifier::AtMost(_) => QuantifierKind::AtMost,
            Quantifier::Exactly(_) => QuantifierKind::Exactly,
            Quantifier::Aggregate(test) => QuantifierKind::Aggregate(test.function),
        }
    }

    /// The quantifier of `kind` that keeps what fits from this one (the amount, the
    /// aggregate's field, operator and value); `field` is the first aggregatable field of
    /// the related type, for an aggregate that had none.
    #[must_use]
    pub fn with_kind(&self, kind: QuantifierKind, field: Option<&FieldName>) -> Quantifier {
        let amount = match self {
            Quantifier::AtLeast(n) | Quantifier::AtMost(n) | Quantifier::Exactly(n) => *n,
            _ => 1,
        };
        match kind {
            QuantifierKind::AtLeastOne => Quantifier::AtLeastOne,
            QuantifierKind::None => Quantifier::None,
            QuantifierKind::AtLeast => Quantifier::AtLeast(amount),
            QuantifierKind::AtMost => Quantifier::AtMost(amount),
            QuantifierKind::Exactly => Quantifier::Exactly(amount),
            QuantifierKind::Aggregate(function) => Quantifier::Aggregate(match self {
                Quantifier::Aggregate(test) => AggregateTest { function, ..test.clone() },
                _ => AggregateTest {
                    function,
                    field: field.cloned().unwrap_or_else(|| FieldName::new("")),
                    operator: Operator::GreaterOrEqual,
                    value: Number::Whole(0),
                },
            }),
        }
    }
}

impl fmt::Display for Quantifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quantifier::AtLeast(n) | Quantifier::AtMost(n) | Quantifier::Exactly(n) => write!(f, "{} {n}", self.kind()),
            other => write!(f, "{}", other.kind()),
        }
    }
}

/// The text that carries an aggregate's test to the store's SQL aggregate `sb_aggregate`
/// (JSON: function, operator, number and the field's kind); [`read_aggregate_spec`] reads it.
pub fn aggregate_spec(test: &AggregateTest, kind: FieldKind) -> String {
    let spec = Spec { function: test.function, operator: test.operator, value: test.value, kind };
    serde_json::to_string(&spec).unwrap_or_default()
}

/// The test an [`aggregate_spec`] carries, and the kind of the field it reads; `None` for
/// a text that is not one.
pub fn read_aggregate_spec(text: &str) -> Option<(QuantityTest, FieldKind)> {
    let spec: Spec = serde_json::from_str(text).ok()?;
    let test = AggregateTest {
        function: spec.function,
        field: FieldName::new(""),
        operator: spec.operator,
        value: spec.value,
    };
    Some((QuantityTest::new(&Quantifier::Aggregate(test), Some(spec.kind)), spec.kind))
}

#[derive(Serialize, Deserialize)]
struct Spec {
    function: Aggregate,
    operator: Operator,
    value: Number,
    kind: FieldKind,
}

/// What the matching related records of one record add up to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Matching related records.
    pub records: u64,
    /// Those with a value in the aggregated field.
    pub values: u64,
    pub sum: i128,
    pub min: i64,
    pub max: i64,
}

impl Tally {
    /// Adds a matching related record and its value (whole number, or cents), if any.
    pub fn add(&mut self, value: Option<i64>) {
        self.records += 1;
        if let Some(value) = value {
            if self.values == 0 {
                self.min = value;
                self.max = value;
            } else {
                self.min = self.min.min(value);
                self.max = self.max.max(value);
            }
            self.values += 1;
            self.sum += i128::from(value);
        }
    }
}

/// A quantifier made ready to ask many tallies.
#[derive(Clone, Debug)]
pub enum QuantityTest {
    /// The number of matching records within `low ..= high`.
    Records(u64, u64),
    /// An aggregate; `negate` for "≠" (the complement of "=").
    Aggregate { test: Measured, negate: bool },
    /// Holds nowhere: an aggregate of a field that is not a whole number or money, or
    /// an operator aggregates do not offer.
    Never,
}

/// The test of an aggregate's value.
#[derive(Clone, Debug)]
pub enum Measured {
    Sum(IntTest),
    Minimum(IntTest),
    Maximum(IntTest),
    /// The number in the field's units, and the comparison (`None` for equals).
    Average(Option<Comparison>, Option<Scaled>),
}

impl QuantityTest {
    /// The test of `quantifier`, whose aggregate (if any) reads a field of `kind`.
    pub fn new(quantifier: &Quantifier, kind: Option<FieldKind>) -> Self {
        let test = match quantifier {
            Quantifier::AtLeastOne => return QuantityTest::Records(1, u64::MAX),
            Quantifier::None => return QuantityTest::Records(0, 0),
            Quantifier::AtLeast(n) => return QuantityTest::Records(u64::from(*n), u64::MAX),
            Quantifier::AtMost(n) => return QuantityTest::Records(0, u64::from(*n)),
            Quantifier::Exactly(n) => return QuantityTest::Records(u64::from(*n), u64::from(*n)),
            Quantifier::Aggregate(test) => test,
        };
        let Some(places) = kind.and_then(exact_places) else { return QuantityTest::Never };
        let (comparison, negate) = match test.operator {
            Operator::Equals => (None, false),
            Operator::NotEquals => (None, true),
            Operator::LessThan => (Some(Comparison::Less), false),
            Operator::LessOrEqual => (Some(Comparison::LessOrEqual), false),
            Operator::GreaterThan => (Some(Comparison::Greater), false),
            Operator::GreaterOrEqual => (Some(Comparison::GreaterOrEqual), false),
            _ => return QuantityTest::Never,
        };
        let number_test = match comparison {
            None => NumberTest::Equals(test.value),
            Some(comparison) => NumberTest::Compare(comparison, test.value),
        };
        let measured = match test.function {
            Aggregate::Sum => Measured::Sum(int_test(number_test, places)),
            Aggregate::Minimum => Measured::Minimum(int_test(number_test, places)),
            Aggregate::Maximum => Measured::Maximum(int_test(number_test, places)),
            Aggregate::Average => Measured::Average(comparison, test.value.scaled(places)),
        };
        QuantityTest::Aggregate { test: measured, negate }
    }

    /// Whether the records a tally counted pass.
    pub fn holds(&self, tally: &Tally) -> bool {
        match self {
            QuantityTest::Records(low, high) => *low <= tally.records && tally.records <= *high,
            QuantityTest::Never => false,
            QuantityTest::Aggregate { test, negate } => {
                let holds = match test {
                    Measured::Sum(test) => test.holds(tally.sum),
                    Measured::Minimum(test) => tally.values > 0 && test.holds(i128::from(tally.min)),
                    Measured::Maximum(test) => tally.values > 0 && test.holds(i128::from(tally.max)),
                    Measured::Average(comparison, scaled) => {
                        tally.values > 0 && scaled.is_some_and(|x| x.times(tally.values).holds(*comparison, tally.sum))
                    }
                };
                holds != *negate
            }
        }
    }

    /// Whether the test reads the aggregated field's values (not only counts records).
    pub fn reads_values(&self) -> bool {
        matches!(self, QuantityTest::Aggregate { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(values: &[Option<i64>]) -> Tally {
        let mut tally = Tally::default();
        for value in values {
            tally.add(*value);
        }
        tally
    }

    fn aggregate(function: Aggregate, operator: Operator, value: Number) -> QuantityTest {
        let test = AggregateTest { function, field: FieldName::new("amount"), operator, value };
        QuantityTest::new(&Quantifier::Aggregate(test), Some(FieldKind::WholeNumber))
    }

    #[test]
    fn empty_sets_sum_to_zero_and_have_no_average() {
        let none = tally(&[]);
        assert!(aggregate(Aggregate::Sum, Operator::Equals, Number::Whole(0)).holds(&none));
        assert!(!aggregate(Aggregate::Average, Operator::GreaterOrEqual, Number::Whole(0)).holds(&none));
        assert!(!aggregate(Aggregate::Average, Operator::LessThan, Number::Whole(0)).holds(&none));
        assert!(aggregate(Aggregate::Average, Operator::NotEquals, Number::Whole(0)).holds(&none));
        assert!(!aggregate(Aggregate::Minimum, Operator::Equals, Number::Whole(0)).holds(&tally(&[None])));
        assert!(QuantityTest::new(&Quantifier::Exactly(1), None).holds(&tally(&[None])));
    }

    #[test]
    fn averages_compare_exactly() {
        let two_three = tally(&[Some(2), Some(3)]);
        assert!(aggregate(Aggregate::Average, Operator::Equals, Number::Real(2.5)).holds(&two_three));
        assert!(!aggregate(Aggregate::Average, Operator::GreaterThan, Number::Real(2.5)).holds(&two_three));
        assert!(aggregate(Aggregate::Average, Operator::LessThan, Number::Real(2.51)).holds(&two_three));
        let thirds = tally(&[Some(1), Some(0), Some(0)]);
        assert!(!aggregate(Aggregate::Average, Operator::Equals, Number::Real(0.333_333_333_333_333_3)).holds(&thirds));
        assert!(
            aggregate(Aggregate::Average, Operator::GreaterThan, Number::Real(0.333_333_333_333_333_3)).holds(&thirds)
        );
        let big = tally(&[Some(i64::MAX), Some(i64::MAX)]);
        assert!(aggregate(Aggregate::Sum, Operator::GreaterThan, Number::Whole(i64::MAX)).holds(&big));
        assert!(aggregate(Aggregate::Average, Operator::Equals, Number::Whole(i64::MAX)).holds(&big));
    }
}
