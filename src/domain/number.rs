//! Numbers typed in conditions, and how they compare exactly with stored values.
//!
//! A condition's number is a [`Number`]: a whole number kept exactly as `i64`, or a number
//! with a fraction kept as `f64` and read as the shortest decimal that gives that `f64` back
//! (what the user typed, for up to 15 significant digits: `19.99` is 19.99, not the binary
//! 19.989999…).
//!
//! Whole-number fields and money are compared as integers: a whole number as its `i64`,
//! money as its whole cents ([`cents`]). A number compared with them is first turned into
//! an [`IntTest`] over that integer domain, exactly: `= 2.5` holds nowhere, `> 2.5` is
//! `≥ 3`, `≥ 2^63` holds nowhere on an `i64`. Every evaluator reads the same `IntTest`.
//! Decimal fields compare their `f64` with the number exactly ([`compare_f64`]).

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::predicate::{Comparison, NumberTest};
use super::schema::FieldKind;

/// A number typed in a condition.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "NumberRepr", into = "NumberRepr")]
pub enum Number {
    /// A whole number, exactly.
    Whole(i64),
    /// A number with a fraction (or beyond `i64`), as the shortest decimal of this `f64`.
    Real(f64),
}

/// The serialized form: an integer or a float, whichever the text holds.
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(untagged)]
enum NumberRepr {
    Whole(i64),
    Real(f64),
}

impl From<NumberRepr> for Number {
    fn from(repr: NumberRepr) -> Self {
        match repr {
            NumberRepr::Whole(n) => Number::Whole(n),
            NumberRepr::Real(x) => Number::from(x),
        }
    }
}

impl From<Number> for NumberRepr {
    fn from(number: Number) -> Self {
        match number {
            Number::Whole(n) => NumberRepr::Whole(n),
            Number::Real(x) => NumberRepr::Real(x),
        }
    }
}

/// Below this magnitude every whole `f64` is exact and becomes a [`Number::Whole`].
const EXACT_F64: f64 = 9_007_199_254_740_992.0;

impl From<f64> for Number {
    /// A whole `f64` within ±2^53 is a `Whole` (the same value); anything else a `Real`.
    fn from(x: f64) -> Self {
        if x.fract() == 0.0 && x.abs() < EXACT_F64 { Number::Whole(x as i64) } else { Number::Real(x) }
    }
}

impl From<i64> for Number {
    fn from(n: i64) -> Self {
        Number::Whole(n)
    }
}

impl Default for Number {
    fn default() -> Self {
        Number::Whole(0)
    }
}

/// As a user would type it: `12`, `2.5`, `-0.001`.
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Whole(n) => write!(f, "{n}"),
            Number::Real(x) => write!(f, "{x}"),
        }
    }
}

/// Exact order; NaN is unordered.
impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (*self, *other) {
            (Number::Whole(a), Number::Whole(b)) => Some(a.cmp(&b)),
            (Number::Real(a), Number::Real(b)) => a.partial_cmp(&b),
            (Number::Whole(a), Number::Real(b)) => compare_f64(b, Number::Whole(a)).map(Ordering::reverse),
            (Number::Real(a), b) => compare_f64(a, b),
        }
    }
}

impl Number {
    /// Not NaN nor infinite.
    pub fn is_finite(self) -> bool {
        match self {
            Number::Whole(_) => true,
            Number::Real(x) => x.is_finite(),
        }
    }

    /// The nearest `f64` (for display and sorting only; comparisons are exact).
    pub fn to_f64(self) -> f64 {
        match self {
            Number::Whole(n) => n as f64,
            Number::Real(x) => x,
        }
    }

    /// Reads a number as written: an integer that fits `i64` exactly, else as `f64`.
    /// `None` when it is neither.
    pub fn parse(text: &str) -> Option<Number> {
        let text = text.trim();
        if let Ok(n) = text.parse::<i64>() {
            return Some(Number::Whole(n));
        }
        text.parse::<f64>().ok().map(Number::from)
    }

    /// This number times `10^places`, exactly: its integer part (the floor) and what is
    /// left, read to [`FRACTION_DIGITS`] decimal places; `None` for NaN.
    pub(crate) fn scaled(self, places: u32) -> Option<Scaled> {
        let x = match self {
            Number::Whole(n) => {
                let factor = 10i128.pow(places);
                return Some(Scaled { floor: i128::from(n) * factor, fraction: 0 });
            }
            Number::Real(x) => x,
        };
        if x.is_nan() {
            return None;
        }
        if x.is_infinite() {
            let floor = if x > 0.0 { SATURATED } else { -SATURATED };
            return Some(Scaled { floor, fraction: 0 });
        }
        // The shortest decimal of `x` (Rust never writes an exponent here).
        let text = format!("{}", x.abs());
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        let places = places as usize;
        let mut digits = whole.to_owned();
        digits.extend(fraction.chars().chain(std::iter::repeat('0')).take(places));
        let rest: String =
            fraction.get(places..).unwrap_or("").chars().chain(std::iter::repeat('0')).take(FRACTION_DIGITS).collect();
        let magnitude = if digits.len() > 30 { SATURATED } else { digits.parse::<i128>().unwrap_or(SATURATED) };
        let left = rest.parse::<i128>().unwrap_or(0);
        Some(if x < 0.0 && left > 0 {
            Scaled { floor: -magnitude - 1, fraction: ONE - left }
        } else if x < 0.0 {
            Scaled { floor: -magnitude, fraction: 0 }
        } else {
            Scaled { floor: magnitude, fraction: left }
        })
    }
}

/// Far beyond any `i64`, and any sum of `u32::MAX` of them, yet safe to multiply by a count.
const SATURATED: i128 = 1 << 96;

/// The decimal places of a number's fraction that comparisons read.
const FRACTION_DIGITS: usize = 24;

/// `10^FRACTION_DIGITS`: a fraction of one is `fraction / ONE`.
const ONE: i128 = 1_000_000_000_000_000_000_000_000;

/// A number as `floor + fraction / ONE`, `0 ≤ fraction < ONE`.
#[derive(Clone, Copy, Debug)]
pub struct Scaled {
    floor: i128,
    fraction: i128,
}

impl Scaled {
    fn exact(self) -> bool {
        self.fraction == 0
    }

    fn ceil(self) -> i128 {
        self.floor + i128::from(!self.exact())
    }

    /// `count` times this number (saturated far beyond `i64`; counts beyond `u32` are
    /// read as `u32::MAX`, more records than a workspace holds).
    pub(crate) fn times(self, count: u64) -> Scaled {
        let count = i128::from(count.min(u64::from(u32::MAX)));
        if self.fraction == 0 {
            // Most numbers: no division needed.
            let floor = self.floor.saturating_mul(count).clamp(-SATURATED * 4, SATURATED * 4);
            return Scaled { floor, fraction: 0 };
        }
        let spread = self.fraction * count;
        let floor = self.floor.saturating_mul(count).saturating_add(spread / ONE).clamp(-SATURATED * 4, SATURATED * 4);
        Scaled { floor, fraction: spread % ONE }
    }

    /// Whether the integer `value` equals this number (`comparison` `None`) or compares
    /// with it as `comparison` says.
    pub(crate) fn holds(self, comparison: Option<Comparison>, value: i128) -> bool {
        match comparison {
            None => self.exact() && value == self.floor,
            Some(Comparison::Less) => value < self.ceil(),
            Some(Comparison::LessOrEqual) => value <= self.floor,
            Some(Comparison::Greater) => value > self.floor,
            Some(Comparison::GreaterOrEqual) => value >= self.ceil(),
        }
    }
}

/// A test of an integer value (a whole number, a count, a sum, money in cents): within an
/// inclusive range, or one of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IntTest {
    /// `low ≤ v ≤ high`; empty when `low > high`.
    Range(i128, i128),
    AnyOf(Vec<i128>),
}

impl IntTest {
    /// A test that holds nowhere.
    pub const NOTHING: IntTest = IntTest::Range(1, 0);

    pub fn holds(&self, value: i128) -> bool {
        match self {
            IntTest::Range(low, high) => *low <= value && value <= *high,
            IntTest::AnyOf(options) => options.contains(&value),
        }
    }

    /// Whether it holds for no value at all.
    pub fn is_nothing(&self) -> bool {
        match self {
            IntTest::Range(low, high) => low > high,
            IntTest::AnyOf(options) => options.is_empty(),
        }
    }

    /// The same test over `i64` values: the range clamped to `i64`, list items outside it
    /// dropped; `None` when no `i64` passes.
    pub fn for_i64(&self) -> Option<IntTest> {
        let (min, max) = (i128::from(i64::MIN), i128::from(i64::MAX));
        let test = match self {
            IntTest::Range(low, high) => IntTest::Range((*low).max(min), (*high).min(max)),
            IntTest::AnyOf(options) => {
                let mut kept: Vec<i128> = options.iter().copied().filter(|x| (min..=max).contains(x)).collect();
                kept.sort_unstable();
                kept.dedup();
                IntTest::AnyOf(kept)
            }
        };
        (!test.is_nothing()).then_some(test)
    }
}

/// The integer test a number test makes on integers counted in `10^-places` units (0 for
/// whole numbers and counts, 2 for money in cents).
pub fn int_test(test: NumberTest<'_>, places: u32) -> IntTest {
    let scaled = |x: Number| x.scaled(places);
    let (low, high) = (-SATURATED * 8, SATURATED * 8);
    match test {
        NumberTest::Equals(x) => match scaled(x) {
            Some(s) if s.exact() => IntTest::Range(s.floor, s.floor),
            _ => IntTest::NOTHING,
        },
        NumberTest::Compare(comparison, x) => {
            let Some(s) = scaled(x) else { return IntTest::NOTHING };
            match comparison {
                Comparison::Less => IntTest::Range(low, s.ceil() - 1),
                Comparison::LessOrEqual => IntTest::Range(low, s.floor),
                Comparison::Greater => IntTest::Range(s.floor + 1, high),
                Comparison::GreaterOrEqual => IntTest::Range(s.ceil(), high),
            }
        }
        NumberTest::Between(from, to) => match (scaled(from), scaled(to)) {
            (Some(from), Some(to)) => IntTest::Range(from.ceil(), to.floor),
            _ => IntTest::NOTHING,
        },
        NumberTest::AnyOf(options) => {
            IntTest::AnyOf(options.iter().filter_map(|x| scaled(*x)).filter(|s| s.exact()).map(|s| s.floor).collect())
        }
    }
}

/// The decimal places of the integers a field of `kind` is compared as: 0 for whole
/// numbers, 2 for money (cents); `None` for decimals and every other kind.
pub fn exact_places(kind: FieldKind) -> Option<u32> {
    match kind {
        FieldKind::WholeNumber => Some(0),
        FieldKind::Money => Some(2),
        _ => None,
    }
}

/// A money amount in whole cents: `amount × 100` rounded half away from zero, the way
/// SQLite's `round()` does it (so `CAST(round(v * 100) AS INTEGER)` is the same number),
/// saturated at the ends of `i64`.
pub fn cents(amount: f64) -> i64 {
    let scaled = amount * 100.0;
    // SQLite leaves values beyond 2^52 as they are: they have no fraction.
    let rounded = if scaled.abs() > 4_503_599_627_370_496.0 {
        scaled
    } else {
        (scaled + if scaled < 0.0 { -0.5 } else { 0.5 }).trunc()
    };
    rounded as i64
}

/// How an `f64` compares with a number, exactly; `None` when either is NaN.
pub fn compare_f64(value: f64, number: Number) -> Option<Ordering> {
    match number {
        Number::Real(x) => value.partial_cmp(&x),
        Number::Whole(n) => {
            if value.is_nan() {
                return None;
            }
            // Beyond ±2^63 an f64 is past every i64; inside it, compare whole parts first.
            if value >= 9_223_372_036_854_775_808.0 {
                return Some(Ordering::Greater);
            }
            if value < -9_223_372_036_854_775_808.0 {
                return Some(Ordering::Less);
            }
            let whole = value.trunc();
            match (whole as i64).cmp(&n) {
                Ordering::Equal => value.partial_cmp(&whole),
                other => Some(other),
            }
        }
    }
}

/// Whether an `f64` value (a decimal field) passes a number test, exactly.
pub fn f64_holds(value: f64, test: NumberTest<'_>) -> bool {
    let holds = |comparison: Comparison, x: Number| {
        compare_f64(value, x).is_some_and(|order| match comparison {
            Comparison::Less => order == Ordering::Less,
            Comparison::LessOrEqual => order != Ordering::Greater,
            Comparison::Greater => order == Ordering::Greater,
            Comparison::GreaterOrEqual => order != Ordering::Less,
        })
    };
    match test {
        NumberTest::Equals(x) => compare_f64(value, x) == Some(Ordering::Equal),
        NumberTest::Compare(comparison, x) => holds(comparison, x),
        NumberTest::Between(low, high) => {
            holds(Comparison::GreaterOrEqual, low) && holds(Comparison::LessOrEqual, high)
        }
        NumberTest::AnyOf(options) => options.iter().any(|x| compare_f64(value, *x) == Some(Ordering::Equal)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(test: NumberTest<'_>) -> IntTest {
        int_test(test, 0)
    }

    #[test]
    fn fractions_against_whole_numbers_are_exact() {
        let half = Number::Real(2.5);
        assert!(test(NumberTest::Equals(half)).is_nothing());
        assert_eq!(test(NumberTest::Compare(Comparison::Greater, half)), IntTest::Range(3, SATURATED * 8));
        assert_eq!(test(NumberTest::Compare(Comparison::Less, half)), IntTest::Range(-SATURATED * 8, 2));
        assert_eq!(
            test(NumberTest::Compare(Comparison::LessOrEqual, Number::Real(-2.5))).for_i64().unwrap(),
            IntTest::Range(i128::from(i64::MIN), -3)
        );
        assert_eq!(test(NumberTest::Between(Number::Real(0.5), Number::Real(3.5))), IntTest::Range(1, 3));
        let top = Number::Real(9_223_372_036_854_775_808.0);
        assert_eq!(test(NumberTest::Compare(Comparison::GreaterOrEqual, top)).for_i64(), None);
    }

    #[test]
    fn money_is_counted_in_cents() {
        assert_eq!(int_test(NumberTest::Equals(Number::Real(19.99)), 2), IntTest::Range(1999, 1999));
        assert!(int_test(NumberTest::Equals(Number::Real(1.005)), 2).is_nothing());
        assert_eq!(int_test(NumberTest::Equals(Number::Real(-0.1)), 2), IntTest::Range(-10, -10));
        assert_eq!(cents(19.99), 1999);
        assert_eq!(cents(0.1 + 0.2), 30);
        assert_eq!(cents(-0.125), -13);
        assert_eq!(cents(f64::INFINITY), i64::MAX);
    }

    #[test]
    fn numbers_read_and_order_exactly() {
        assert_eq!(Number::parse("9007199254740993"), Some(Number::Whole(9_007_199_254_740_993)));
        assert_eq!(Number::parse("2.5"), Some(Number::Real(2.5)));
        assert_eq!(Number::parse("60.0"), Some(Number::Whole(60)));
        assert_eq!(Number::from(1e300).to_string().len(), 301);
        assert!(Number::Whole(9_007_199_254_740_993) > Number::Real(9_007_199_254_740_992.0));
        assert_eq!(compare_f64(9_007_199_254_740_992.0, Number::Whole(9_007_199_254_740_993)), Some(Ordering::Less));
        assert_eq!(compare_f64(-0.5, Number::Whole(0)), Some(Ordering::Less));
        assert_eq!(compare_f64(-0.5, Number::Whole(-1)), Some(Ordering::Greater));
        let ron = ron::to_string(&vec![Number::Whole(3), Number::Real(2.5)]).unwrap();
        assert_eq!(ron::from_str::<Vec<Number>>(&ron).unwrap(), vec![Number::Whole(3), Number::Real(2.5)]);
        assert_eq!(ron::from_str::<Number>("60.0").unwrap(), Number::Whole(60));
    }
}
