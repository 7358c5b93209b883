//! The values a positive condition lets through, as far as the tree alone tells, and the
//! two questions the contradiction check asks of them: can no value pass both, and does
//! every value one lets through also pass the other.
//!
//! Everything here errs on the side of "cannot tell" ([`Values::Unknown`]): a verdict of
//! "can never match" must hold for every record at every time.

use jiff::civil::Date;

use super::super::condition::DateValue;
use super::super::eval::fold;
use super::super::number::{IntTest, Number, exact_places, int_test};
use super::super::predicate::{Comparison, DateTest, LookupTest, NumberTest, OwnerTest, Period, Predicate, TextTest};
use super::super::schema::FieldKind;

/// What a positive predicate lets through. Every kind but [`Values::Empty`] holds on
/// non-empty values only (a positive operator is false on an empty value).
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Values {
    /// Only an empty value ("is empty").
    Empty,
    /// Texts and options, folded: exactly these.
    Texts(Vec<String>),
    /// Folded texts that begin with / end with / contain this folded part.
    Begins(String),
    Ends(String),
    Contains(String),
    /// Whole numbers and money, as the exact integers they are compared as.
    Ints(IntTest),
    /// Decimals in a range (each end: value and whether it is included) or among a list.
    Reals {
        low: Option<(f64, bool)>,
        high: Option<(f64, bool)>,
    },
    RealList(Vec<f64>),
    /// Calendar days, inclusive; `None` when the range holds no day.
    Days(Option<(Date, Date)>),
    /// A calendar period relative to today (today, last week…): periods of one unit at
    /// different offsets never share a day, whatever the day.
    Period(Period),
    YesNo(bool),
    /// Lookup targets or owners, by id.
    Ids(Vec<i64>),
    /// Some non-empty values the check does not reason about (patterns, relative ranges,
    /// instants, teams).
    Unknown,
}

impl Values {
    /// What `predicate` lets through on a field of `kind`; `None` for a predicate that
    /// holds nowhere because it does not fit (validation reports those).
    pub(super) fn of(kind: FieldKind, predicate: &Predicate<'_>) -> Option<Values> {
        Some(match predicate {
            Predicate::IsEmpty => Values::Empty,
            Predicate::Never => return None,
            Predicate::Text(test) => match test {
                TextTest::Equals(text) => Values::Texts(vec![fold(text)]),
                TextTest::AnyOf(options) => {
                    let mut folded: Vec<String> = options.iter().map(|o| fold(o)).collect();
                    folded.sort();
                    folded.dedup();
                    Values::Texts(folded)
                }
                TextTest::BeginsWith(part) => Values::Begins(fold(part)),
                TextTest::EndsWith(part) => Values::Ends(fold(part)),
                TextTest::Contains(part) => Values::Contains(fold(part)),
                TextTest::Pattern(_) => Values::Unknown,
            },
            Predicate::Number(test) => match exact_places(kind) {
                Some(places) => Values::Ints(int_test(*test, places)),
                None => reals(*test).unwrap_or(Values::Unknown),
            },
            Predicate::Date(test) => days(kind, *test),
            Predicate::YesNo(yes) => Values::YesNo(*yes),
            Predicate::Lookup(LookupTest::Is(id)) => Values::Ids(vec![id.0]),
            Predicate::Lookup(LookupTest::AnyOf(ids)) => Values::Ids(ids.iter().map(|id| id.0).collect()),
            Predicate::Owner(OwnerTest::Is(id)) => Values::Ids(vec![id.0]),
            Predicate::Owner(OwnerTest::AnyOf(ids)) => Values::Ids(ids.iter().map(|id| id.0).collect()),
            Predicate::Owner(OwnerTest::MemberOfTeam(_)) => Values::Unknown,
        })
    }

    /// Whether it lets nothing through at all (`between 10 and 5`, `= 2.5` on a whole
    /// number, an empty list).
    pub(super) fn is_nothing(&self) -> bool {
        match self {
            Values::Texts(options) => options.is_empty(),
            Values::Ints(test) => test.is_nothing(),
            Values::Reals { low, high } => !range_has_reals(*low, *high),
            Values::RealList(options) => options.is_empty(),
            Values::Days(range) => range.is_none(),
            Values::Ids(ids) => ids.is_empty(),
            _ => false,
        }
    }

    /// Whether no value passes both.
    pub(super) fn disjoint(&self, other: &Values) -> bool {
        use Values as V;
        match (self, other) {
            (V::Empty, V::Empty) => false,
            (V::Empty, _) | (_, V::Empty) => true,
            (V::Texts(a), V::Texts(b)) => !a.iter().any(|x| b.contains(x)),
            (V::Texts(a), test) | (test, V::Texts(a)) if test.is_text_test() => !a.iter().any(|x| test.text_passes(x)),
            (V::Begins(a), V::Begins(b)) => !a.starts_with(b.as_str()) && !b.starts_with(a.as_str()),
            (V::Ends(a), V::Ends(b)) => !a.ends_with(b.as_str()) && !b.ends_with(a.as_str()),
            (V::Ints(a), V::Ints(b)) => ints_disjoint(a, b),
            (V::Reals { .. } | V::RealList(_), V::Reals { .. } | V::RealList(_)) => reals_disjoint(self, other),
            (V::Days(Some((a_low, a_high))), V::Days(Some((b_low, b_high)))) => a_high < b_low || b_high < a_low,
            (V::Period(a), V::Period(b)) => a.unit == b.unit && a.offset != b.offset,
            (V::YesNo(a), V::YesNo(b)) => a != b,
            (V::Ids(a), V::Ids(b)) => !a.iter().any(|x| b.contains(x)),
            _ => false,
        }
    }

    /// Whether every value `self` lets through, `other` lets through too.
    pub(super) fn within(&self, other: &Values) -> bool {
        use Values as V;
        // Two unknowns are not alike: "member of team 7" is not within "member of team 8".
        if self == other && *self != V::Unknown {
            return true;
        }
        match (self, other) {
            (V::Texts(a), V::Texts(b)) => a.iter().all(|x| b.contains(x)),
            (V::Texts(a), test) if test.is_text_test() => a.iter().all(|x| test.text_passes(x)),
            (V::Begins(a), V::Begins(b)) => a.starts_with(b.as_str()),
            (V::Ends(a), V::Ends(b)) => a.ends_with(b.as_str()),
            (V::Begins(a) | V::Ends(a) | V::Contains(a), V::Contains(b)) => a.contains(b.as_str()),
            (V::Ints(a), V::Ints(b)) => ints_within(a, b),
            (V::RealList(a), V::Reals { low, high }) => a.iter().all(|x| real_in(*x, *low, *high)),
            (V::RealList(a), V::RealList(b)) => a.iter().all(|x| b.contains(x)),
            (V::Reals { low: a_low, high: a_high }, V::Reals { low: b_low, high: b_high }) => {
                lower_within(*a_low, *b_low) && upper_within(*a_high, *b_high)
            }
            (V::Days(Some((a_low, a_high))), V::Days(Some((b_low, b_high)))) => b_low <= a_low && a_high <= b_high,
            (V::Ids(a), V::Ids(b)) => a.iter().all(|x| b.contains(x)),
            _ => false,
        }
    }

    fn is_text_test(&self) -> bool {
        matches!(self, Values::Begins(_) | Values::Ends(_) | Values::Contains(_))
    }

    /// Whether the folded text `value` passes this text test.
    fn text_passes(&self, value: &str) -> bool {
        match self {
            Values::Begins(part) => value.starts_with(part.as_str()),
            Values::Ends(part) => value.ends_with(part.as_str()),
            Values::Contains(part) => value.contains(part.as_str()),
            _ => true,
        }
    }
}

/// A decimal test as a range or list, when every number in it is an exact `f64`.
fn reals(test: NumberTest<'_>) -> Option<Values> {
    let exact = |n: Number| match n {
        Number::Whole(w) if w.unsigned_abs() <= 1 << 53 => Some(w as f64),
        Number::Real(x) if x.is_finite() => Some(x),
        Number::Whole(_) | Number::Real(_) => None,
    };
    Some(match test {
        NumberTest::Equals(x) => {
            let x = exact(x)?;
            Values::Reals { low: Some((x, true)), high: Some((x, true)) }
        }
        NumberTest::Compare(comparison, x) => {
            let x = exact(x)?;
            let end = Some((x, comparison.inclusive()));
            if comparison.upward() {
                Values::Reals { low: end, high: None }
            } else {
                Values::Reals { low: None, high: end }
            }
        }
        NumberTest::Between(low, high) => {
            Values::Reals { low: Some((exact(low)?, true)), high: Some((exact(high)?, true)) }
        }
        NumberTest::AnyOf(options) => Values::RealList(options.iter().map(|x| exact(*x)).collect::<Option<Vec<_>>>()?),
    })
}

fn real_in(x: f64, low: Option<(f64, bool)>, high: Option<(f64, bool)>) -> bool {
    let above = low.is_none_or(|(l, inclusive)| if inclusive { x >= l } else { x > l });
    let below = high.is_none_or(|(h, inclusive)| if inclusive { x <= h } else { x < h });
    above && below
}

/// Whether some real lies in the range (the reals are dense: `(1, 2)` has some).
fn range_has_reals(low: Option<(f64, bool)>, high: Option<(f64, bool)>) -> bool {
    match (low, high) {
        (Some((l, l_in)), Some((h, h_in))) => l < h || (l == h && l_in && h_in),
        _ => true,
    }
}

fn reals_disjoint(a: &Values, b: &Values) -> bool {
    match (a, b) {
        (Values::Reals { low: a_low, high: a_high }, Values::Reals { low: b_low, high: b_high }) => {
            let low = tighter(*a_low, *b_low, true);
            let high = tighter(*a_high, *b_high, false);
            !range_has_reals(low, high)
        }
        (Values::RealList(list), Values::Reals { low, high })
        | (Values::Reals { low, high }, Values::RealList(list)) => !list.iter().any(|x| real_in(*x, *low, *high)),
        (Values::RealList(a), Values::RealList(b)) => !a.iter().any(|x| b.contains(x)),
        _ => false,
    }
}

/// The tighter of two lower (`lower`) or upper ends.
fn tighter(a: Option<(f64, bool)>, b: Option<(f64, bool)>, lower: bool) -> Option<(f64, bool)> {
    match (a, b) {
        (None, end) | (end, None) => end,
        (Some((x, x_in)), Some((y, y_in))) => {
            if x == y {
                Some((x, x_in && y_in))
            } else if (x > y) == lower {
                Some((x, x_in))
            } else {
                Some((y, y_in))
            }
        }
    }
}

/// Whether the lower end `a` keeps out at least what `b` keeps out.
fn lower_within(a: Option<(f64, bool)>, b: Option<(f64, bool)>) -> bool {
    match (a, b) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some((x, x_in)), Some((y, y_in))) => x > y || (x == y && (y_in || !x_in)),
    }
}

fn upper_within(a: Option<(f64, bool)>, b: Option<(f64, bool)>) -> bool {
    match (a, b) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some((x, x_in)), Some((y, y_in))) => x < y || (x == y && (y_in || !x_in)),
    }
}

fn ints_disjoint(a: &IntTest, b: &IntTest) -> bool {
    match (a, b) {
        (IntTest::Range(a_low, a_high), IntTest::Range(b_low, b_high)) => a_high.min(b_high) < a_low.max(b_low),
        (IntTest::AnyOf(list), range @ IntTest::Range(..)) | (range @ IntTest::Range(..), IntTest::AnyOf(list)) => {
            !list.iter().any(|x| range.holds(*x))
        }
        (IntTest::AnyOf(a), IntTest::AnyOf(b)) => !a.iter().any(|x| b.contains(x)),
    }
}

fn ints_within(a: &IntTest, b: &IntTest) -> bool {
    match (a, b) {
        (IntTest::Range(a_low, a_high), IntTest::Range(b_low, b_high)) => b_low <= a_low && a_high <= b_high,
        (IntTest::AnyOf(list), other) => list.iter().all(|x| other.holds(*x)),
        (IntTest::Range(low, high), IntTest::AnyOf(list)) => {
            // A small range can be listed value by value.
            high.checked_sub(*low).is_some_and(|span| span < 64) && (*low..=*high).all(|x| list.contains(&x))
        }
    }
}

/// The days a date test lets through: fixed days as a range; "today", "last week"… as a
/// period; relative ranges and instants on date-time fields are not reasoned about.
fn days(kind: FieldKind, test: DateTest) -> Values {
    let day = |value: DateValue| match value {
        DateValue::Day(day) => Some(day),
        // A typed time is compared by its day, except before / after on a date-time field.
        DateValue::At(wall) => Some(wall.date()),
    };
    match test {
        DateTest::On(value) => Values::Days(day(value).map(|d| (d, d))),
        DateTest::Compare(comparison, value) => {
            if matches!(value, DateValue::At(_)) && kind == FieldKind::DateTime {
                return Values::Unknown;
            }
            let Some(d) = day(value) else { return Values::Unknown };
            let range = match comparison {
                Comparison::Less => d.yesterday().ok().map(|end| (Date::MIN, end)),
                Comparison::LessOrEqual => Some((Date::MIN, d)),
                Comparison::Greater => d.tomorrow().ok().map(|start| (start, Date::MAX)),
                Comparison::GreaterOrEqual => Some((d, Date::MAX)),
            };
            Values::Days(range)
        }
        DateTest::Between(low, high) => Values::Days((low <= high).then_some((low, high))),
        DateTest::Calendar(period) => Values::Period(period),
        DateTest::InLast(..) | DateTest::InNext(..) | DateTest::OlderThan(..) => Values::Unknown,
    }
}
