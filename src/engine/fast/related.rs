//! Related-record blocks in the fast engine: "has at least one / has no" as the set of
//! rows the matching related records point at, and every other quantity (at least /
//! at most / exactly N, aggregates) as one pass over the matching related rows that
//! tallies them per target row, then the domain's [`QuantityTest`] per row.

use crate::domain::number::IntTest;
use crate::domain::quantity::{Measured, QuantityTest, Tally};
use crate::domain::{Quantifier, RecordTypeDef};
use crate::engine::bitset::Bitset;
use crate::engine::snapshot::{Column, Ints, LINK_INVALID, LookupColumn, TypeSnapshot};

/// What a related block asks of the related rows that match it.
#[derive(Debug)]
pub(super) enum Measure {
    /// At least one.
    Any,
    /// None.
    No,
    /// Counts or an aggregate of the field at `column` of the related type.
    Tally { test: QuantityTest, column: Option<usize> },
}

impl Measure {
    pub(super) fn new(related: &RecordTypeDef, quantifier: &Quantifier) -> Self {
        match quantifier {
            Quantifier::AtLeastOne => Measure::Any,
            Quantifier::None => Measure::No,
            Quantifier::Aggregate(aggregate) => {
                let column = related.field_index(&aggregate.field);
                let kind = column.map(|index| related.fields[index].kind);
                Measure::Tally { test: QuantityTest::new(quantifier, kind), column }
            }
            Quantifier::AtLeast(_) | Quantifier::AtMost(_) | Quantifier::Exactly(_) => {
                Measure::Tally { test: QuantityTest::new(quantifier, None), column: None }
            }
        }
    }

    /// Whether a record no matching related record points at passes.
    pub(super) fn holds_for_none(&self) -> bool {
        match self {
            Measure::Any => false,
            Measure::No => true,
            Measure::Tally { test, .. } => test.holds(&Tally::default()),
        }
    }

    /// The rows of the tested type (of `rows` rows) that pass, given the related rows that
    /// match (`matching`, live ones only) and the related type's lookup to this one.
    pub(super) fn rows(&self, related: &TypeSnapshot, links: &LookupColumn, matching: &Bitset, rows: usize) -> Bitset {
        let (test, column) = match self {
            Measure::Any | Measure::No => {
                let mut result = Bitset::empty(rows);
                for row in matching.ones() {
                    let target = links.rows[row];
                    if target < LINK_INVALID {
                        result.insert(target as usize);
                    }
                }
                if matches!(self, Measure::No) {
                    result.negate();
                }
                return result;
            }
            Measure::Tally { test, column } => (test, *column),
        };
        if !test.reads_values() {
            return counted_rows(test, links, matching, rows);
        }
        let values = match column.and_then(|c| related.columns.get(c)) {
            Some(Column::Number(c)) => c.exact.as_ref().map(|exact| (&c.none, exact)),
            _ => None,
        };
        let Some((none, exact)) = values else {
            // No such column: every related value is empty.
            return if test.holds(&Tally::default()) { Bitset::full(rows) } else { Bitset::empty(rows) };
        };
        aggregated_rows(test, links, matching, none, exact, rows)
    }
}

/// [`Measure::rows`] for an aggregate: per target row, how many values and their sum (or
/// minimum, or maximum), 16 bytes instead of a whole tally; sums that leave `i64` are
/// gathered again as exact tallies.
fn aggregated_rows(
    test: &QuantityTest,
    links: &LookupColumn,
    matching: &Bitset,
    none: &Bitset,
    exact: &Ints,
    rows: usize,
) -> Bitset {
    let kind = match test {
        QuantityTest::Aggregate { test, .. } => test,
        QuantityTest::Records(..) | QuantityTest::Never => {
            return if test.holds(&Tally::default()) { Bitset::full(rows) } else { Bitset::empty(rows) };
        }
    };
    // The figure and the number of values side by side: one cache line per related row.
    let mut gathered = vec![(0i64, 0u32); rows];
    let mut overflow = false;
    for row in matching.ones() {
        let target = links.rows[row] as usize;
        let Some((slot, count)) = gathered.get_mut(target) else { continue };
        if none.contains(row) {
            continue;
        }
        let value = exact.get(row);
        *slot = match kind {
            Measured::Sum(_) | Measured::Average(..) => slot.checked_add(value).unwrap_or_else(|| {
                overflow = true;
                0
            }),
            Measured::Minimum(_) if *count > 0 => (*slot).min(value),
            Measured::Maximum(_) if *count > 0 => (*slot).max(value),
            Measured::Minimum(_) | Measured::Maximum(_) => value,
        };
        *count = count.saturating_add(1);
    }
    if overflow {
        return tallied_rows(test, links, matching, none, exact, rows);
    }
    let empty = test.holds(&Tally::default());
    // A sum, minimum or maximum tested by a range of `i64`: compared directly.
    let range = match kind {
        Measured::Sum(int) | Measured::Minimum(int) | Measured::Maximum(int) => match int.for_i64() {
            Some(IntTest::Range(low, high)) => Some((low as i64, high as i64)),
            None => Some((1, 0)),
            Some(IntTest::AnyOf(_)) => None,
        },
        Measured::Average(..) => None,
    };
    let negate = matches!(test, QuantityTest::Aggregate { negate: true, .. });
    Bitset::from_words(rows, |w| {
        let base = w * 64;
        let end = (base + 64).min(rows);
        let mut bits = 0u64;
        for (i, &(acc, values)) in gathered[base..end].iter().enumerate() {
            let holds = match (values, range) {
                (0, _) => empty,
                (_, Some((low, high))) => ((low <= acc) && (acc <= high)) != negate,
                _ => {
                    // The one figure gathered stands for the sum, the minimum or the
                    // maximum, whichever the test reads.
                    let values = u64::from(values);
                    test.holds(&Tally { records: values, values, sum: i128::from(acc), min: acc, max: acc })
                }
            };
            bits |= u64::from(holds) << i;
        }
        bits
    })
}

/// Exact tallies per target row (sums in 128 bits).
fn tallied_rows(
    test: &QuantityTest,
    links: &LookupColumn,
    matching: &Bitset,
    none: &Bitset,
    exact: &Ints,
    rows: usize,
) -> Bitset {
    let mut tallies = vec![Tally::default(); rows];
    for row in matching.ones() {
        if let Some(tally) = tallies.get_mut(links.rows[row] as usize) {
            tally.add((!none.contains(row)).then(|| exact.get(row)));
        }
    }
    let empty = test.holds(&Tally::default());
    Bitset::from_words(rows, |w| {
        let base = w * 64;
        let end = (base + 64).min(rows);
        let mut bits = 0u64;
        for (i, tally) in tallies[base..end].iter().enumerate() {
            let holds = if tally.records == 0 { empty } else { test.holds(tally) };
            bits |= u64::from(holds) << i;
        }
        bits
    })
}

/// [`Measure::rows`] for a test of the number of matching records only: a count per
/// target row (4 bytes, not a whole tally).
fn counted_rows(test: &QuantityTest, links: &LookupColumn, matching: &Bitset, rows: usize) -> Bitset {
    let mut counts = vec![0u32; rows];
    for row in matching.ones() {
        if let Some(count) = counts.get_mut(links.rows[row] as usize) {
            *count = count.saturating_add(1);
        }
    }
    Bitset::from_words(rows, |w| {
        let base = w * 64;
        let end = (base + 64).min(rows);
        let mut bits = 0u64;
        for (i, &records) in counts[base..end].iter().enumerate() {
            let tally = Tally { records: u64::from(records), ..Tally::default() };
            bits |= u64::from(test.holds(&tally)) << i;
        }
        bits
    })
}
