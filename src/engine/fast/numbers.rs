//! Number tests of the fast engine: decimals as `f64` (exactly, also against whole numbers
//! no `f64` holds), whole numbers and money through their exact `i64` values.

use super::{Comparison, NumberPredicate, flip, masked_words};
use crate::domain::number::{Number, f64_holds};
use crate::domain::predicate::NumberTest;
use crate::engine::bitset::Bitset;
use crate::engine::snapshot::{Ints, each_width};

/// A [`NumberTest`] that owns its numbers.
#[derive(Debug)]
pub(super) enum ExactTest {
    Equals(Number),
    Compare(Comparison, Number),
    Between(Number, Number),
    AnyOf(Vec<Number>),
}

impl ExactTest {
    fn of(test: NumberTest<'_>) -> Self {
        match test {
            NumberTest::Equals(x) => ExactTest::Equals(x),
            NumberTest::Compare(comparison, x) => ExactTest::Compare(comparison, x),
            NumberTest::Between(low, high) => ExactTest::Between(low, high),
            NumberTest::AnyOf(options) => ExactTest::AnyOf(options.to_vec()),
        }
    }

    pub(super) fn holds(&self, value: f64) -> bool {
        f64_holds(
            value,
            match self {
                ExactTest::Equals(x) => NumberTest::Equals(*x),
                ExactTest::Compare(comparison, x) => NumberTest::Compare(*comparison, *x),
                ExactTest::Between(low, high) => NumberTest::Between(*low, *high),
                ExactTest::AnyOf(options) => NumberTest::AnyOf(options),
            },
        )
    }
}

/// The decimal scan of a number test: plain `f64` comparisons when every operand is an
/// `f64` exactly, else the exact comparison.
pub(super) fn decimal_predicate(test: NumberTest<'_>) -> NumberPredicate {
    let f = |x: Number| match x {
        Number::Real(x) => Some(x),
        Number::Whole(n) => {
            let x = n as f64;
            (x < 9_223_372_036_854_775_808.0 && x as i64 == n).then_some(x)
        }
    };
    let plain = match test {
        NumberTest::Equals(x) => f(x).map(NumberPredicate::Equals),
        NumberTest::Compare(Comparison::Less, x) => f(x).map(NumberPredicate::Less),
        NumberTest::Compare(Comparison::LessOrEqual, x) => f(x).map(NumberPredicate::LessOrEqual),
        NumberTest::Compare(Comparison::Greater, x) => f(x).map(NumberPredicate::Greater),
        NumberTest::Compare(Comparison::GreaterOrEqual, x) => f(x).map(NumberPredicate::GreaterOrEqual),
        NumberTest::Between(low, high) => f(low).zip(f(high)).map(|(low, high)| NumberPredicate::Between(low, high)),
        NumberTest::AnyOf(options) => {
            options.iter().map(|x| f(*x)).collect::<Option<Vec<f64>>>().map(NumberPredicate::AnyOf)
        }
    };
    plain.unwrap_or_else(|| NumberPredicate::Exact(ExactTest::of(test)))
}

/// The rows whose exact value passes `holds` (among the rows not in `none`, which hold no
/// number), flipped when `negate`.
pub(super) fn whole_words(
    none: &Bitset,
    exact: &Ints,
    rows: usize,
    mask: Option<&Bitset>,
    negate: bool,
    holds: impl Fn(i64) -> bool + Sync,
) -> Bitset {
    each_width!(exact, values => words_of(none, values, rows, mask, negate, &holds))
}

/// [`whole_words`] over integers of one width.
fn words_of<T: Copy + Into<i64> + Sync>(
    none: &Bitset,
    exact: &[T],
    rows: usize,
    mask: Option<&Bitset>,
    negate: bool,
    holds: &(impl Fn(i64) -> bool + Sync),
) -> Bitset {
    masked_words(rows, mask, |w| {
        let base = w * 64;
        let end = (base + 64).min(rows);
        let mut bits = 0u64;
        for (i, &v) in exact[base..end].iter().enumerate() {
            bits |= u64::from(holds(v.into())) << i;
        }
        flip(bits & !none.words()[w], negate)
    })
}
