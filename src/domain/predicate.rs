//! What a positive operator with its value tests, typed by the kind of value it compares.
//!
//! This is the one place an [`Operator`] is taken apart. The three evaluators (the reference
//! in `eval`, the fast engine, the SQL compiler) match on [`Predicate`] and its per-kind
//! enums without a catch-all arm, so an operator added to [`Operator`] fails to compile here
//! until it has a meaning, and a new test kind fails to compile in every evaluator until each
//! handles it.

use std::ops::RangeInclusive;

use jiff::Span;
use jiff::civil::Date;

use super::condition::{DateUnit, DateValue, Operand, Operator};
use super::number::Number;
use super::schema::FieldKind;
use super::value::{RecordId, SellerId, TeamId};

/// A positive test of one value. A negative operator is the complement of its positive
/// twin ([`Operator::positive_twin`]) and never reaches a predicate of its own.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Predicate<'a> {
    /// The value is empty; the only test that holds on an empty value.
    IsEmpty,
    /// Text and choice values, compared caselessly (a pattern sees the value as typed).
    Text(TextTest<'a>),
    Number(NumberTest<'a>),
    /// Dates and date-times, by calendar day in the workspace zone (a date-time against a
    /// typed time compares instants).
    Date(DateTest),
    /// Is yes (`true`) / is no (`false`).
    YesNo(bool),
    Lookup(LookupTest<'a>),
    Owner(OwnerTest<'a>),
    /// The operator does not apply to the field, or its value does not fit: holds nowhere.
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TextTest<'a> {
    Equals(&'a str),
    Contains(&'a str),
    BeginsWith(&'a str),
    EndsWith(&'a str),
    AnyOf(&'a [String]),
    /// A regular expression ([`super::eval::compile_pattern`]); an invalid one matches nothing.
    Pattern(&'a str),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NumberTest<'a> {
    Equals(Number),
    Compare(Comparison, Number),
    /// Inclusive at both ends.
    Between(Number, Number),
    AnyOf(&'a [Number]),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DateTest {
    On(DateValue),
    /// Before (`Less`), on or before, after, on or after.
    Compare(Comparison, DateValue),
    /// Inclusive days.
    Between(Date, Date),
    /// today − N ≤ d ≤ today.
    InLast(u32, DateUnit),
    /// today ≤ d ≤ today + N.
    InNext(u32, DateUnit),
    /// d < today − N.
    OlderThan(u32, DateUnit),
    /// Today, this week, last month… ([`Period::days`]).
    Calendar(Period),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LookupTest<'a> {
    Is(RecordId),
    AnyOf(&'a [RecordId]),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OwnerTest<'a> {
    Is(SellerId),
    AnyOf(&'a [SellerId]),
    MemberOfTeam(TeamId),
}

/// An order test of a value against the operand: `value < operand` for `Less`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Comparison {
    /// Whether `value` compares to `operand` this way (false when they do not compare,
    /// e.g. NaN).
    pub fn holds<T: PartialOrd>(self, value: T, operand: T) -> bool {
        match self {
            Comparison::Less => value < operand,
            Comparison::LessOrEqual => value <= operand,
            Comparison::Greater => value > operand,
            Comparison::GreaterOrEqual => value >= operand,
        }
    }

    /// Whether values above the operand pass (greater, greater or equal).
    pub fn upward(self) -> bool {
        match self {
            Comparison::Less | Comparison::LessOrEqual => false,
            Comparison::Greater | Comparison::GreaterOrEqual => true,
        }
    }

    /// Whether a value equal to the operand passes.
    pub fn inclusive(self) -> bool {
        match self {
            Comparison::Less | Comparison::Greater => false,
            Comparison::LessOrEqual | Comparison::GreaterOrEqual => true,
        }
    }
}

/// A calendar period relative to today: this (`offset` 0), last (−1) or next (+1) day,
/// week (Monday to Sunday), month, quarter or year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub unit: PeriodUnit,
    pub offset: i8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodUnit {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Period {
    /// The inclusive calendar days of the period seen from `today`; `None` at the ends of
    /// the calendar.
    pub fn days(self, today: Date) -> Option<RangeInclusive<Date>> {
        let offset = i64::from(self.offset);
        let months = |n: i64| Span::new().months(n);
        match self.unit {
            PeriodUnit::Day => {
                let day = today.checked_add(Span::new().days(offset)).ok()?;
                Some(day..=day)
            }
            PeriodUnit::Week => {
                let monday = today.checked_sub(Span::new().days(today.weekday().to_monday_zero_offset())).ok()?;
                let start = monday.checked_add(Span::new().days(7 * offset)).ok()?;
                Some(start..=start.checked_add(Span::new().days(6)).ok()?)
            }
            PeriodUnit::Month => {
                let start = today.first_of_month().checked_add(months(offset)).ok()?;
                Some(start..=start.last_of_month())
            }
            PeriodUnit::Quarter => {
                let first_month = (today.month() - 1) / 3 * 3 + 1;
                let this_quarter = Date::new(today.year(), first_month, 1).ok()?;
                let start = this_quarter.checked_add(months(3 * offset)).ok()?;
                let end = start.checked_add(months(2)).ok()?.last_of_month();
                Some(start..=end)
            }
            PeriodUnit::Year => {
                let year = today.year().checked_add(i16::from(self.offset))?;
                Some(Date::new(year, 1, 1).ok()?..=Date::new(year, 12, 31).ok()?)
            }
        }
    }
}

/// The test a positive `operator` with `operand` makes on a field of `kind`:
/// [`Predicate::Never`] when the operator is negative, does not apply to the kind, or the
/// operand does not fit it.
pub fn predicate<'a>(kind: FieldKind, operator: Operator, operand: &'a Operand) -> Predicate<'a> {
    use Operator as Op;
    use Predicate as P;
    let calendar = |unit, offset| match operand {
        Operand::None => P::Date(DateTest::Calendar(Period { unit, offset })),
        _ => P::Never,
    };
    let text = |test: fn(&'a str) -> TextTest<'a>| match operand {
        Operand::Text(text) => P::Text(test(text)),
        _ => P::Never,
    };
    let number = |comparison| match operand {
        Operand::Number(x) => P::Number(NumberTest::Compare(comparison, *x)),
        _ => P::Never,
    };
    let date = |test: fn(DateValue) -> DateTest| match operand {
        Operand::Date(date) => P::Date(test(*date)),
        _ => P::Never,
    };
    let relative = |test: fn(u32, DateUnit) -> DateTest| match operand {
        Operand::Relative { amount, unit } => P::Date(test(*amount, *unit)),
        _ => P::Never,
    };
    let tested = match operator {
        Op::IsEmpty => P::IsEmpty,
        Op::Equals => match operand {
            Operand::Text(text) => P::Text(TextTest::Equals(text)),
            Operand::Number(x) => P::Number(NumberTest::Equals(*x)),
            _ => P::Never,
        },
        Op::Contains => text(TextTest::Contains),
        Op::BeginsWith => text(TextTest::BeginsWith),
        Op::EndsWith => text(TextTest::EndsWith),
        Op::MatchesPattern => text(TextTest::Pattern),
        Op::AnyOf => match operand {
            Operand::TextList(options) | Operand::Choices(options) => P::Text(TextTest::AnyOf(options)),
            Operand::NumberList(options) => P::Number(NumberTest::AnyOf(options)),
            Operand::Records(ids) => P::Lookup(LookupTest::AnyOf(ids)),
            Operand::Sellers(ids) => P::Owner(OwnerTest::AnyOf(ids)),
            _ => P::Never,
        },
        Op::LessThan => number(Comparison::Less),
        Op::LessOrEqual => number(Comparison::LessOrEqual),
        Op::GreaterThan => number(Comparison::Greater),
        Op::GreaterOrEqual => number(Comparison::GreaterOrEqual),
        Op::Between => match operand {
            Operand::NumberRange { low, high } => P::Number(NumberTest::Between(*low, *high)),
            Operand::DateRange { low, high } => P::Date(DateTest::Between(*low, *high)),
            _ => P::Never,
        },
        Op::On => date(DateTest::On),
        Op::Before => date(|d| DateTest::Compare(Comparison::Less, d)),
        Op::OnOrBefore => date(|d| DateTest::Compare(Comparison::LessOrEqual, d)),
        Op::After => date(|d| DateTest::Compare(Comparison::Greater, d)),
        Op::OnOrAfter => date(|d| DateTest::Compare(Comparison::GreaterOrEqual, d)),
        Op::InLast => relative(DateTest::InLast),
        Op::InNext => relative(DateTest::InNext),
        Op::OlderThan => relative(DateTest::OlderThan),
        Op::Today => calendar(PeriodUnit::Day, 0),
        Op::Yesterday => calendar(PeriodUnit::Day, -1),
        Op::Tomorrow => calendar(PeriodUnit::Day, 1),
        Op::ThisWeek => calendar(PeriodUnit::Week, 0),
        Op::LastWeek => calendar(PeriodUnit::Week, -1),
        Op::NextWeek => calendar(PeriodUnit::Week, 1),
        Op::ThisMonth => calendar(PeriodUnit::Month, 0),
        Op::LastMonth => calendar(PeriodUnit::Month, -1),
        Op::NextMonth => calendar(PeriodUnit::Month, 1),
        Op::ThisQuarter => calendar(PeriodUnit::Quarter, 0),
        Op::LastQuarter => calendar(PeriodUnit::Quarter, -1),
        Op::NextQuarter => calendar(PeriodUnit::Quarter, 1),
        Op::ThisYear => calendar(PeriodUnit::Year, 0),
        Op::LastYear => calendar(PeriodUnit::Year, -1),
        Op::NextYear => calendar(PeriodUnit::Year, 1),
        // Yes / no take no value.
        Op::IsYes => P::YesNo(true),
        Op::IsNo => P::YesNo(false),
        Op::Is => match operand {
            Operand::Record(id) => P::Lookup(LookupTest::Is(*id)),
            Operand::Seller(id) => P::Owner(OwnerTest::Is(*id)),
            _ => P::Never,
        },
        Op::MemberOfTeam => match operand {
            Operand::Team(team) => P::Owner(OwnerTest::MemberOfTeam(*team)),
            _ => P::Never,
        },
        // Complements of their positive twins: the evaluators negate the twin.
        Op::NotEquals
        | Op::NotContains
        | Op::NotBeginsWith
        | Op::NotEndsWith
        | Op::NoneOf
        | Op::NotOn
        | Op::IsNotEmpty => P::Never,
    };
    if tested.fits(kind) { tested } else { P::Never }
}

impl Predicate<'_> {
    /// Whether a field of `kind` holds the values this predicate compares.
    pub fn fits(&self, kind: FieldKind) -> bool {
        match self {
            Predicate::IsEmpty | Predicate::Never => true,
            Predicate::Text(_) => matches!(kind, FieldKind::Text | FieldKind::Choice),
            Predicate::Number(_) => kind.is_numeric(),
            Predicate::Date(_) => kind.is_temporal(),
            Predicate::YesNo(_) => kind == FieldKind::YesNo,
            Predicate::Lookup(_) => kind == FieldKind::Lookup,
            Predicate::Owner(_) => kind == FieldKind::Owner,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::condition::{OperandKind, operators_for};

    fn day(y: i16, m: i8, d: i8) -> Date {
        Date::new(y, m, d).expect("valid date")
    }

    #[test]
    fn periods_cover_their_calendar_days() {
        let today = day(2026, 12, 5); // a Saturday
        let period = |unit, offset| Period { unit, offset }.days(today).expect("in range");
        assert_eq!(period(PeriodUnit::Day, -1), day(2026, 12, 4)..=day(2026, 12, 4));
        assert_eq!(period(PeriodUnit::Week, 0), day(2026, 11, 30)..=day(2026, 12, 6));
        assert_eq!(period(PeriodUnit::Week, 1), day(2026, 12, 7)..=day(2026, 12, 13));
        assert_eq!(period(PeriodUnit::Month, -1), day(2026, 11, 1)..=day(2026, 11, 30));
        assert_eq!(period(PeriodUnit::Quarter, 1), day(2027, 1, 1)..=day(2027, 3, 31));
        assert_eq!(period(PeriodUnit::Year, -1), day(2025, 1, 1)..=day(2025, 12, 31));
        assert_eq!(Period { unit: PeriodUnit::Day, offset: 1 }.days(Date::MAX), None);
    }

    #[test]
    fn a_predicate_fits_only_its_kinds() {
        let text = Operand::Text("x".into());
        assert_eq!(predicate(FieldKind::Text, Operator::Equals, &text), Predicate::Text(TextTest::Equals("x")));
        assert_eq!(predicate(FieldKind::Money, Operator::Equals, &text), Predicate::Never);
        assert_eq!(predicate(FieldKind::Text, Operator::NotEquals, &text), Predicate::Never);
        assert_eq!(predicate(FieldKind::YesNo, Operator::IsYes, &Operand::None), Predicate::YesNo(true));
        assert_eq!(predicate(FieldKind::Date, Operator::Today, &text), Predicate::Never);
        assert_eq!(
            predicate(FieldKind::DateTime, Operator::LastWeek, &Operand::None),
            Predicate::Date(DateTest::Calendar(Period { unit: PeriodUnit::Week, offset: -1 }))
        );
    }

    /// A value of `kind`.
    fn example(kind: OperandKind) -> Operand {
        match kind {
            OperandKind::None => Operand::None,
            OperandKind::Text => Operand::Text("a".into()),
            OperandKind::TextList => Operand::TextList(vec!["a".into()]),
            OperandKind::Number => Operand::Number(Number::Whole(1)),
            OperandKind::NumberList => Operand::NumberList(vec![Number::Whole(1)]),
            OperandKind::NumberRange => Operand::NumberRange { low: Number::Whole(1), high: Number::Whole(2) },
            OperandKind::Date => Operand::Date(DateValue::Day(day(2026, 1, 1))),
            OperandKind::DateRange => Operand::DateRange { low: day(2026, 1, 1), high: day(2026, 2, 1) },
            OperandKind::Relative => Operand::Relative { amount: 3, unit: DateUnit::Days },
            OperandKind::Choices => Operand::Choices(vec!["a".into()]),
            OperandKind::Record => Operand::Record(RecordId(1)),
            OperandKind::Records => Operand::Records(vec![RecordId(1)]),
            OperandKind::Seller => Operand::Seller(SellerId(1)),
            OperandKind::Sellers => Operand::Sellers(vec![SellerId(1)]),
            OperandKind::Team => Operand::Team(TeamId(1)),
        }
    }

    #[test]
    fn every_operator_a_kind_offers_means_something_there() {
        for kind in FieldKind::ALL {
            for &operator in operators_for(kind) {
                if operator.positive_twin().is_some() {
                    continue;
                }
                let operand = example(operator.operand_kind(kind));
                assert_ne!(predicate(kind, operator, &operand), Predicate::Never, "{kind}: {operator:?}");
            }
        }
    }
}
