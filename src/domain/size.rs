//! A segment's size over time, from its membership history: members at the end of each day
//! of a window of days, with the joins and leaves of each day. A move counts as a leave of
//! the segment it left and a join of the one it entered.
//!
//! The history only says what changed, so the sizes are counted back from today's size:
//! the members at the end of a day are those at the end of the next day, less that day's
//! joins, plus its leaves.

use std::collections::HashMap;

use jiff::ToSpan;
use jiff::civil::Date;

use super::SegmentId;

/// How many days the charts show, today included.
pub const SIZE_DAYS: usize = 90;

/// The joins and leaves of one segment on one day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayChanges {
    pub joins: u64,
    pub leaves: u64,
}

/// Per segment and day (in the workspace's time zone), the changes of that day.
pub type ChangesByDay = HashMap<(SegmentId, Date), DayChanges>;

/// One segment's sizes over [`SizeSeries::first_day`] and the days after it, one entry a day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SizeSeries {
    pub first_day: Option<Date>,
    /// Members at the end of each day (the last entry is today's size).
    pub members: Vec<u64>,
    pub joins: Vec<u64>,
    pub leaves: Vec<u64>,
}

impl SizeSeries {
    /// Whether anything joined or left in the window.
    pub fn changed(&self) -> bool {
        self.joins.iter().chain(&self.leaves).any(|&n| n > 0)
    }

    /// The day of entry `index`.
    pub fn day(&self, index: usize) -> Option<Date> {
        let first = self.first_day?;
        first.checked_add(i64::try_from(index).ok()?.days()).ok()
    }
}

/// The sizes of `segment` over the `days` days ending `today`, counted back from `current`
/// members with `changes`. Counts never go below zero (a history trimmed or written by an
/// older version may say less than happened).
pub fn size_series(segment: SegmentId, current: u64, changes: &ChangesByDay, today: Date, days: usize) -> SizeSeries {
    let days = days.max(1);
    let Ok(first) = today.checked_sub(i64::try_from(days - 1).unwrap_or(0).days()) else {
        return SizeSeries::default();
    };
    let mut series =
        SizeSeries { first_day: Some(first), members: vec![0; days], joins: vec![0; days], leaves: vec![0; days] };
    let mut members = current;
    for index in (0..days).rev() {
        let Some(day) = series.day(index) else { continue };
        let change = changes.get(&(segment, day)).copied().unwrap_or_default();
        series.members[index] = members;
        series.joins[index] = change.joins;
        series.leaves[index] = change.leaves;
        members = (members + change.leaves).saturating_sub(change.joins);
    }
    series
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Date {
        text.parse().expect("a date")
    }

    #[test]
    fn sizes_count_back_from_today() {
        let s = SegmentId(3);
        let mut changes = ChangesByDay::new();
        changes.insert((s, day("2026-12-01")), DayChanges { joins: 10, leaves: 0 });
        changes.insert((s, day("2026-12-03")), DayChanges { joins: 2, leaves: 5 });
        // Another segment's changes do not count.
        changes.insert((SegmentId(4), day("2026-12-03")), DayChanges { joins: 100, leaves: 0 });
        let series = size_series(s, 7, &changes, day("2026-12-04"), 5);
        assert_eq!(series.first_day, Some(day("2026-11-30")));
        assert_eq!(series.members, [0, 10, 10, 7, 7]);
        assert_eq!(series.joins, [0, 10, 0, 2, 0]);
        assert_eq!(series.leaves, [0, 0, 0, 5, 0]);
        assert!(series.changed());
        assert_eq!(series.day(4), Some(day("2026-12-04")));
    }

    #[test]
    fn a_short_history_never_counts_below_zero() {
        let s = SegmentId(1);
        let mut changes = ChangesByDay::new();
        changes.insert((s, day("2026-12-04")), DayChanges { joins: 50, leaves: 0 });
        let series = size_series(s, 20, &changes, day("2026-12-04"), 3);
        assert_eq!(series.members, [0, 0, 20]);
        let quiet = size_series(s, 20, &ChangesByDay::new(), day("2026-12-04"), 3);
        assert_eq!(quiet.members, [20, 20, 20]);
        assert!(!quiet.changed());
    }
}
