//! Columns by kind of value, and the codes coded columns are made of.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::dictionary::Dictionary;
use super::ints::Ints;
use crate::domain::number::cents;
use crate::domain::{FieldKind, RecordId, SellerId, ValueView};
use crate::engine::bitset::Bitset;

/// Code of an empty value in a coded column.
pub(crate) const CODE_EMPTY: u32 = 0;
/// Code of a value of the wrong kind for the field (a number in a text field…).
pub(crate) const CODE_INVALID: u32 = 1;
/// Code of the first dictionary entry.
pub(crate) const CODE_FIRST: u32 = 2;

/// Lookup row of an empty lookup.
pub(crate) const LINK_EMPTY: u32 = u32::MAX;
/// Lookup row of a value that is not a lookup.
pub(crate) const LINK_INVALID: u32 = u32::MAX - 1;

/// Day number of an empty (or not a date) value; below every real day.
pub(crate) const DAY_NONE: i32 = i32::MIN;
/// The lowest day number a range may start at (above [`DAY_NONE`]).
pub(crate) const DAY_LOWEST: i32 = i32::MIN + 1;
/// Instant of a value without one (a date, an empty value).
pub(crate) const INSTANT_NONE: i64 = i64::MIN;
/// The lowest stored instant (above [`INSTANT_NONE`]).
pub(crate) const INSTANT_LOWEST: i64 = i64::MIN + 1;

/// Days since 1970-01-01 (proleptic Gregorian), ordered like the dates.
pub(crate) fn day_number(date: Date) -> i32 {
    let month = i32::from(date.month());
    let year = i32::from(date.year()) - i32::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + i32::from(date.day()) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Nanoseconds since the Unix epoch, saturated to the stored range (years 1678 to 2262
/// are exact; instants beyond compare equal to the ends of that range).
pub(crate) fn instant_number(instant: Timestamp) -> i64 {
    let ns = instant.as_nanosecond();
    i64::try_from(ns).unwrap_or(if ns < 0 { INSTANT_LOWEST } else { i64::MAX }).max(INSTANT_LOWEST)
}

/// Codes of a coded column, as narrow as the dictionary allows.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Codes {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Codes {
    pub(super) fn with_len(len: usize) -> Self {
        Codes::U8(vec![0; len])
    }

    pub(crate) fn get(&self, row: usize) -> u32 {
        match self {
            Codes::U8(v) => u32::from(v[row]),
            Codes::U16(v) => u32::from(v[row]),
            Codes::U32(v) => v[row],
        }
    }

    pub(super) fn set(&mut self, row: usize, code: u32) {
        self.widen_for(code);
        match self {
            Codes::U8(v) => v[row] = code as u8,
            Codes::U16(v) => v[row] = code as u16,
            Codes::U32(v) => v[row] = code,
        }
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Codes::U8(v) => v.len(),
            Codes::U16(v) => v.len(),
            Codes::U32(v) => v.len(),
        }
    }

    pub(super) fn push(&mut self, code: u32) {
        self.widen_for(code);
        match self {
            Codes::U8(v) => v.push(code as u8),
            Codes::U16(v) => v.push(code as u16),
            Codes::U32(v) => v.push(code),
        }
    }

    pub(super) fn push_empty(&mut self) {
        match self {
            Codes::U8(v) => v.push(0),
            Codes::U16(v) => v.push(0),
            Codes::U32(v) => v.push(0),
        }
    }

    pub(super) fn widen_for(&mut self, code: u32) {
        match self {
            Codes::U8(v) if code > u32::from(u8::MAX) => {
                *self = if code > u32::from(u16::MAX) {
                    Codes::U32(v.iter().map(|&c| u32::from(c)).collect())
                } else {
                    Codes::U16(v.iter().map(|&c| u16::from(c)).collect())
                };
            }
            Codes::U16(v) if code > u32::from(u16::MAX) => {
                *self = Codes::U32(v.iter().map(|&c| u32::from(c)).collect());
            }
            _ => {}
        }
    }

    pub(super) fn reserve(&mut self, additional: usize) {
        match self {
            Codes::U8(v) => v.reserve(additional),
            Codes::U16(v) => v.reserve(additional),
            Codes::U32(v) => v.reserve(additional),
        }
    }

    pub(super) fn shrink(&mut self) {
        match self {
            Codes::U8(v) => v.shrink_to_fit(),
            Codes::U16(v) => v.shrink_to_fit(),
            Codes::U32(v) => v.shrink_to_fit(),
        }
    }

    pub(super) fn heap_bytes(&self) -> usize {
        match self {
            Codes::U8(v) => v.capacity(),
            Codes::U16(v) => v.capacity() * 2,
            Codes::U32(v) => v.capacity() * 4,
        }
    }
}

/// A text or choice column.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct TextColumn {
    pub(crate) dictionary: Dictionary,
    pub(crate) codes: Codes,
}

impl Default for Codes {
    fn default() -> Self {
        Codes::U8(Vec::new())
    }
}

/// An owner column: codes into the sellers seen.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct OwnerColumn {
    pub(crate) sellers: Vec<SellerId>,
    pub(super) index: HashMap<SellerId, u32>,
    pub(crate) codes: Codes,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct NumberColumn {
    /// A decimal column's values, NaN where a row holds no decimal. Empty for whole numbers
    /// and money: their `f64` is their exact integer's ([`NumberColumn::float`]), so they
    /// are not kept twice.
    pub(crate) values: Vec<f64>,
    /// Whole numbers as they are and money in cents ([`cents`]), 0 where a row holds no
    /// number of the column's kind: what their conditions compare. `None` for a decimal
    /// column.
    pub(crate) exact: Option<Ints>,
    /// Money amounts their cents do not give back (a fraction of a cent, `-0`): their
    /// `f64` by row, which their order follows.
    pub(crate) off_cent: HashMap<usize, f64>,
    /// The rows of `off_cent`: a sort reads every row's value, and one amount off the cent
    /// must not make each of them a hash lookup.
    pub(crate) off_cent_rows: Bitset,
    /// Whether the column holds money (its `exact` values are cents).
    pub(crate) money: bool,
    /// Rows holding no number of the column's kind: empty, or a value of another kind.
    pub(crate) none: Bitset,
    pub(crate) empty: Bitset,
}

impl NumberColumn {
    fn new(kind: FieldKind, len: usize) -> Self {
        let decimal = kind == FieldKind::Decimal;
        NumberColumn {
            values: if decimal { vec![f64::NAN; len] } else { Vec::new() },
            exact: (!decimal).then(|| Ints::with_len(len)),
            off_cent: HashMap::new(),
            off_cent_rows: Bitset::empty(len),
            money: kind == FieldKind::Money,
            none: Bitset::full(len),
            empty: Bitset::full(len),
        }
    }

    /// The value as this column keeps it: its `f64` (NaN unless it is a number of the
    /// column's kind) and its exact integer.
    fn of(&self, value: ValueView<'_>) -> (f64, i64) {
        match (value, &self.exact, self.money) {
            (ValueView::Decimal(x), None, _) => (x, 0),
            (ValueView::WholeNumber(n), Some(_), false) => (n as f64, n),
            (ValueView::Money(x), Some(_), true) if !x.is_nan() => (x, cents(x)),
            _ => (f64::NAN, 0),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.none.len()
    }

    /// Stores `value` at `row`, or appends it when `row` is the length.
    fn put(&mut self, row: usize, value: ValueView<'_>) {
        let (x, exact_value) = self.of(value);
        let append = row == self.len();
        let off = self.money && !x.is_nan() && (exact_value as f64 / 100.0).to_bits() != x.to_bits();
        match &mut self.exact {
            None if append => self.values.push(x),
            None => self.values[row] = x,
            Some(exact) => {
                if append {
                    exact.push(exact_value);
                } else {
                    exact.set(row, exact_value);
                    self.off_cent.remove(&row);
                }
                if off {
                    self.off_cent.insert(row, x);
                }
            }
        }
        if append {
            push_bit(&mut self.none, x.is_nan());
            push_bit(&mut self.empty, value.is_empty());
            push_bit(&mut self.off_cent_rows, off);
        } else {
            set_bit(&mut self.none, row, x.is_nan());
            set_bit(&mut self.empty, row, value.is_empty());
            set_bit(&mut self.off_cent_rows, row, off);
        }
    }

    /// The `f64` of `row`'s value (NaN where it holds none): a decimal's value, and the
    /// order of every kind.
    pub(crate) fn float(&self, row: usize) -> f64 {
        match &self.exact {
            None => self.values[row],
            Some(_) if self.none.contains(row) => f64::NAN,
            Some(_) if self.off_cent_rows.contains(row) => self.off_cent.get(&row).copied().unwrap_or(f64::NAN),
            Some(exact) if self.money => exact.get(row) as f64 / 100.0,
            Some(exact) => exact.get(row) as f64,
        }
    }
}

/// The same values (any NaN equal to any NaN) and the same empty rows.
impl PartialEq for NumberColumn {
    fn eq(&self, other: &Self) -> bool {
        self.empty == other.empty
            && self.none == other.none
            && self.exact == other.exact
            && self.off_cent.len() == other.off_cent.len()
            && self.off_cent.iter().all(|(row, x)| other.off_cent.get(row).is_some_and(|y| x.to_bits() == y.to_bits()))
            && self.values.len() == other.values.len()
            && self.values.iter().zip(&other.values).all(|(a, b)| a == b || (a.is_nan() && b.is_nan()))
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct TemporalColumn {
    /// Calendar day numbers ([`day_number`]); [`DAY_NONE`] where empty or not a date.
    pub(crate) days: Vec<i32>,
    /// Instants ([`instant_number`]) of date-time values, [`INSTANT_NONE`] for others;
    /// absent while the column holds no date-time value.
    pub(crate) instants: Option<Vec<i64>>,
    pub(crate) empty: Bitset,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct YesNoColumn {
    pub(crate) yes: Bitset,
    pub(crate) no: Bitset,
    pub(crate) empty: Bitset,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LookupColumn {
    /// The type the lookup points at (its index in the snapshot), if the schema knows it.
    pub(crate) target: Option<usize>,
    /// Row in the target type, or [`LINK_EMPTY`] / [`LINK_INVALID`].
    pub(crate) rows: Vec<u32>,
    /// The ids held when the target type is unknown (rows are then [`LINK_INVALID`]): "is"
    /// still compares them.
    pub(crate) untargeted: HashMap<usize, RecordId>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Column {
    Text(TextColumn),
    Number(NumberColumn),
    Temporal(TemporalColumn),
    YesNo(YesNoColumn),
    Lookup(LookupColumn),
    Owner(OwnerColumn),
}

impl Column {
    pub(super) fn new(kind: FieldKind, target: Option<usize>, len: usize) -> Self {
        match kind {
            FieldKind::Text | FieldKind::Choice => {
                Column::Text(TextColumn { dictionary: Dictionary::default(), codes: Codes::with_len(len) })
            }
            FieldKind::WholeNumber | FieldKind::Decimal | FieldKind::Money => {
                Column::Number(NumberColumn::new(kind, len))
            }
            FieldKind::Date | FieldKind::DateTime => {
                Column::Temporal(TemporalColumn { days: vec![DAY_NONE; len], instants: None, empty: Bitset::full(len) })
            }
            FieldKind::YesNo => {
                Column::YesNo(YesNoColumn { yes: Bitset::empty(len), no: Bitset::empty(len), empty: Bitset::full(len) })
            }
            FieldKind::Lookup => {
                Column::Lookup(LookupColumn { target, rows: vec![LINK_EMPTY; len], untargeted: HashMap::new() })
            }
            FieldKind::Owner => Column::Owner(OwnerColumn { codes: Codes::with_len(len), ..OwnerColumn::default() }),
        }
    }

    pub(super) fn push_empty(&mut self) {
        match self {
            Column::Text(c) => c.codes.push_empty(),
            Column::Owner(c) => c.codes.push_empty(),
            Column::Number(c) => c.put(c.len(), ValueView::Empty),
            Column::Temporal(c) => {
                c.days.push(DAY_NONE);
                if let Some(instants) = &mut c.instants {
                    instants.push(INSTANT_NONE);
                }
                c.empty.resize(c.days.len());
                c.empty.insert(c.days.len() - 1);
            }
            Column::YesNo(c) => {
                let len = c.empty.len() + 1;
                c.yes.resize(len);
                c.no.resize(len);
                c.empty.resize(len);
                c.empty.insert(len - 1);
            }
            Column::Lookup(c) => c.rows.push(LINK_EMPTY),
        }
    }

    /// Appends a row holding `value`: what [`Column::push_empty`] then [`Column::set`]
    /// store, in one step for the kinds a load fills most.
    pub(super) fn push(&mut self, value: ValueView<'_>, zone: &TimeZone) {
        match self {
            Column::Text(c) => {
                let code = c.code_of(value);
                c.codes.push(code);
            }
            Column::Owner(c) => {
                let code = c.code_of(value);
                c.codes.push(code);
            }
            Column::Number(c) => c.put(c.len(), value),
            Column::Temporal(c) => {
                let (day, instant) = temporal_of(value, zone);
                c.days.push(day);
                if instant != INSTANT_NONE || c.instants.is_some() {
                    let len = c.days.len();
                    c.instants.get_or_insert_with(|| vec![INSTANT_NONE; len - 1]).push(instant);
                }
                push_bit(&mut c.empty, value.is_empty());
            }
            Column::YesNo(_) | Column::Lookup(_) => {
                self.push_empty();
                let row = self.len() - 1;
                self.set(row, value, zone);
            }
        }
    }

    /// Rows in the column.
    pub(super) fn len(&self) -> usize {
        match self {
            Column::Text(c) => c.codes.len(),
            Column::Owner(c) => c.codes.len(),
            Column::Number(c) => c.len(),
            Column::Temporal(c) => c.days.len(),
            Column::YesNo(c) => c.empty.len(),
            Column::Lookup(c) => c.rows.len(),
        }
    }

    /// Stores `value` at `row`. Lookups are stored by [`Snapshot`], which resolves rows.
    pub(super) fn set(&mut self, row: usize, value: ValueView<'_>, zone: &TimeZone) {
        match self {
            Column::Text(c) => {
                let code = c.code_of(value);
                c.codes.set(row, code);
            }
            Column::Owner(c) => {
                let code = c.code_of(value);
                c.codes.set(row, code);
            }
            Column::Number(c) => c.put(row, value),
            Column::Temporal(c) => {
                let (day, instant) = temporal_of(value, zone);
                c.days[row] = day;
                if instant != INSTANT_NONE || c.instants.is_some() {
                    let len = c.days.len();
                    c.instants.get_or_insert_with(|| vec![INSTANT_NONE; len])[row] = instant;
                }
                set_bit(&mut c.empty, row, value.is_empty());
            }
            Column::YesNo(c) => {
                set_bit(&mut c.yes, row, value == ValueView::YesNo(true));
                set_bit(&mut c.no, row, value == ValueView::YesNo(false));
                set_bit(&mut c.empty, row, value.is_empty());
            }
            Column::Lookup(c) => {
                // A lookup's row is stored by `Snapshot::store_link` once targets have rows.
                c.rows[row] = if value.is_empty() { LINK_EMPTY } else { LINK_INVALID };
                if c.target.is_none() {
                    match value {
                        ValueView::Lookup(id) => c.untargeted.insert(row, id),
                        _ => c.untargeted.remove(&row),
                    };
                }
            }
        }
    }

    pub(super) fn shrink(&mut self) {
        match self {
            Column::Text(c) => {
                c.dictionary.shrink();
                c.codes.shrink();
            }
            Column::Owner(c) => {
                c.sellers.shrink_to_fit();
                c.codes.shrink();
            }
            Column::Number(c) => {
                c.values.shrink_to_fit();
                if let Some(exact) = &mut c.exact {
                    exact.shrink();
                }
                c.off_cent.shrink_to_fit();
                c.off_cent_rows.shrink_to_fit();
                c.none.shrink_to_fit();
                c.empty.shrink_to_fit();
            }
            Column::Temporal(c) => {
                c.days.shrink_to_fit();
                if let Some(instants) = &mut c.instants {
                    instants.shrink_to_fit();
                }
                c.empty.shrink_to_fit();
            }
            Column::YesNo(c) => {
                c.yes.shrink_to_fit();
                c.no.shrink_to_fit();
                c.empty.shrink_to_fit();
            }
            Column::Lookup(c) => c.rows.shrink_to_fit(),
        }
    }

    /// Room for `additional` more rows.
    pub(super) fn reserve(&mut self, additional: usize) {
        match self {
            Column::Text(c) => c.codes.reserve(additional),
            Column::Owner(c) => c.codes.reserve(additional),
            Column::Number(c) => {
                match &mut c.exact {
                    None => c.values.reserve(additional),
                    Some(exact) => exact.reserve(additional),
                }
                c.none.reserve(additional);
                c.empty.reserve(additional);
                c.off_cent_rows.reserve(additional);
            }
            Column::Temporal(c) => {
                c.days.reserve(additional);
                if let Some(instants) = &mut c.instants {
                    instants.reserve(additional);
                }
                c.empty.reserve(additional);
            }
            Column::YesNo(c) => {
                c.yes.reserve(additional);
                c.no.reserve(additional);
                c.empty.reserve(additional);
            }
            Column::Lookup(c) => c.rows.reserve(additional),
        }
    }

    pub(super) fn heap_bytes(&self) -> usize {
        match self {
            Column::Text(c) => c.dictionary.heap_bytes() + c.codes.heap_bytes(),
            Column::Owner(c) => c.codes.heap_bytes() + c.sellers.capacity() * 8 + c.index.capacity() * (8 + 4 + 1),
            Column::Number(c) => {
                c.values.capacity() * 8
                    + c.exact.as_ref().map_or(0, Ints::heap_bytes)
                    + c.off_cent.capacity() * 17
                    + c.off_cent_rows.heap_bytes()
                    + c.none.heap_bytes()
                    + c.empty.heap_bytes()
            }
            Column::Temporal(c) => {
                c.days.capacity() * 4 + c.instants.as_ref().map_or(0, |i| i.capacity() * 8) + c.empty.heap_bytes()
            }
            Column::YesNo(c) => c.yes.heap_bytes() + c.no.heap_bytes() + c.empty.heap_bytes(),
            Column::Lookup(c) => c.rows.capacity() * 4 + c.untargeted.capacity() * 17,
        }
    }
}

pub(super) fn set_bit(set: &mut Bitset, row: usize, on: bool) {
    if on { set.insert(row) } else { set.remove(row) }
}

/// Appends a row to `set`, in the set when `on`.
pub(super) fn push_bit(set: &mut Bitset, on: bool) {
    let row = set.len();
    set.resize(row + 1);
    if on {
        set.insert(row);
    }
}

/// The day number and instant stored for a date or date-time value; none for others.
pub(super) fn temporal_of(value: ValueView<'_>, zone: &TimeZone) -> (i32, i64) {
    match value {
        ValueView::Date(day) => (day_number(day), INSTANT_NONE),
        ValueView::DateTime(instant) => (day_number(zone.to_datetime(instant).date()), instant_number(instant)),
        _ => (DAY_NONE, INSTANT_NONE),
    }
}

impl TextColumn {
    /// The code of `value`, interned if new.
    pub(super) fn code_of(&mut self, value: ValueView<'_>) -> u32 {
        match value {
            ValueView::Empty => CODE_EMPTY,
            ValueView::Text(text) | ValueView::Choice(text) => self.dictionary.intern(text) + CODE_FIRST,
            _ => CODE_INVALID,
        }
    }

    /// [`TextColumn::code_of`] of a value whose tag ([`tag_of`], 0 for a value that is not
    /// text) is already computed.
    pub(super) fn code_of_tagged(&mut self, value: ValueView<'_>, tag: u64) -> u32 {
        match value {
            ValueView::Empty => CODE_EMPTY,
            ValueView::Text(text) | ValueView::Choice(text) => self.dictionary.intern_tagged(text, tag) + CODE_FIRST,
            _ => CODE_INVALID,
        }
    }
}

impl OwnerColumn {
    /// The code of `value`, the seller added if new.
    pub(super) fn code_of(&mut self, value: ValueView<'_>) -> u32 {
        match value {
            ValueView::Empty => CODE_EMPTY,
            ValueView::Owner(seller) => {
                let next = self.sellers.len() as u32;
                let entry = *self.index.entry(seller).or_insert(next);
                if entry == next {
                    self.sellers.push(seller);
                }
                entry + CODE_FIRST
            }
            _ => CODE_INVALID,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_off_the_cent_keeps_its_amount_until_it_is_overwritten() {
        let zone = TimeZone::UTC;
        let mut column = Column::new(FieldKind::Money, None, 0);
        for amount in [1.004, 2.0, -0.0] {
            column.push(ValueView::Money(amount), &zone);
        }
        column.push_empty();
        let floats = |column: &Column| match column {
            Column::Number(c) => (0..c.len()).map(|row| c.float(row).to_bits()).collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        assert_eq!(floats(&column), [1.004f64, 2.0, -0.0, f64::NAN].map(f64::to_bits));
        column.set(0, ValueView::Money(3.0), &zone);
        column.set(1, ValueView::Money(0.1 + 0.2), &zone);
        column.set(3, ValueView::Money(7.25), &zone);
        assert_eq!(floats(&column), [3.0f64, 0.1 + 0.2, -0.0, 7.25].map(f64::to_bits));
        let Column::Number(c) = &column else { panic!("a number column") };
        assert_eq!(c.off_cent.len(), 2, "0.1 + 0.2 and -0 only");
    }
}
