//! Time as a segment sees it: whether its conditions read the clock (relative dates), the
//! workspace settings that say how often such segments are evaluated again, and when the
//! next evaluation is due.
//!
//! A segment "depends on the date" when any condition in its tree, at any depth and in
//! related-record blocks, uses an operator resolved against today ("in the last 30 days",
//! "this week", "older than 2 months"). Only those segments gain or lose records as days
//! pass; the others change only when a record or a segment does.

use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, ToSpan as _};

use super::condition::{Group, Node, Operator};

/// How often, by default, the window evaluates date-based segments again while it is open.
pub const DEFAULT_INTERVAL_MINUTES: u32 = 15;
/// The shortest and longest evaluation interval a workspace may set.
pub const INTERVAL_MINUTES_RANGE: std::ops::RangeInclusive<u32> = 1..=1440;
/// The deepest nesting limit a workspace may set (the default is `DEFAULT_MAX_DEPTH`).
pub const NESTING_LIMIT_RANGE: std::ops::RangeInclusive<usize> = 1..=64;

impl Operator {
    /// Whether the operator is resolved against the clock's today.
    pub fn reads_the_clock(self) -> bool {
        match self {
            Operator::InLast
            | Operator::InNext
            | Operator::OlderThan
            | Operator::Today
            | Operator::Yesterday
            | Operator::Tomorrow
            | Operator::ThisWeek
            | Operator::LastWeek
            | Operator::NextWeek
            | Operator::ThisMonth
            | Operator::LastMonth
            | Operator::NextMonth
            | Operator::ThisQuarter
            | Operator::LastQuarter
            | Operator::NextQuarter
            | Operator::ThisYear
            | Operator::LastYear
            | Operator::NextYear => true,
            Operator::Equals
            | Operator::NotEquals
            | Operator::Contains
            | Operator::NotContains
            | Operator::BeginsWith
            | Operator::NotBeginsWith
            | Operator::EndsWith
            | Operator::NotEndsWith
            | Operator::AnyOf
            | Operator::NoneOf
            | Operator::MatchesPattern
            | Operator::LessThan
            | Operator::LessOrEqual
            | Operator::GreaterThan
            | Operator::GreaterOrEqual
            | Operator::Between
            | Operator::On
            | Operator::NotOn
            | Operator::Before
            | Operator::OnOrBefore
            | Operator::After
            | Operator::OnOrAfter
            | Operator::IsYes
            | Operator::IsNo
            | Operator::Is
            | Operator::MemberOfTeam
            | Operator::IsEmpty
            | Operator::IsNotEmpty => false,
        }
    }
}

/// Whether a condition tree reads the clock anywhere: its answer for an unchanged record can
/// change as time passes.
/// A "matches the conditions of" another segment counts only with [`depends_on_clock_in`].
pub fn depends_on_clock(group: &Group) -> bool {
    depends_on_clock_in(group, &super::Definitions::default())
}

/// [`depends_on_clock`], also through the trees of the segments a "matches the conditions
/// of" names (from `definitions`; a cycle stops).
pub fn depends_on_clock_in(group: &Group, definitions: &super::Definitions) -> bool {
    reads_clock(group, definitions, &mut Vec::new())
}

fn reads_clock(group: &Group, definitions: &super::Definitions, seen: &mut Vec<super::SegmentId>) -> bool {
    group.children.iter().any(|node| match node {
        Node::Condition(condition) => condition.operator.reads_the_clock(),
        Node::Group(inner) => reads_clock(inner, definitions, seen),
        Node::Related(block) => reads_clock(&block.group, definitions, seen),
        Node::Segment(s) => {
            if s.test != super::SegmentTest::MatchesConditions || seen.contains(&s.segment) {
                return false;
            }
            let Some(definition) = definitions.get(s.segment) else { return false };
            seen.push(s.segment);
            let reads = reads_clock(&definition.conditions, definitions, seen);
            seen.pop();
            reads
        }
    })
}

/// The settings a workspace keeps besides its definitions.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorkspaceSettings {
    /// The IANA time zone relative dates are resolved in ("Europe/Berlin").
    pub time_zone: String,
    /// How often the open window evaluates date-based segments again.
    pub interval_minutes: u32,
    /// How deeply condition groups may nest.
    pub nesting_limit: usize,
}

/// What is wrong with a settings value, named.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("time zone \"{0}\" is not a known IANA time zone")]
    UnknownTimeZone(String),
    #[error("the evaluation interval must be between {low} and {high} minutes, not {0}", low = INTERVAL_MINUTES_RANGE.start(), high = INTERVAL_MINUTES_RANGE.end())]
    Interval(u32),
    #[error("the nesting limit must be between {low} and {high} levels, not {0}", low = NESTING_LIMIT_RANGE.start(), high = NESTING_LIMIT_RANGE.end())]
    NestingLimit(usize),
}

impl WorkspaceSettings {
    /// Every problem of these settings, in field order.
    pub fn check(&self) -> Result<(), SettingsError> {
        if TimeZone::get(&self.time_zone).is_err() {
            return Err(SettingsError::UnknownTimeZone(self.time_zone.clone()));
        }
        if !INTERVAL_MINUTES_RANGE.contains(&self.interval_minutes) {
            return Err(SettingsError::Interval(self.interval_minutes));
        }
        if !NESTING_LIMIT_RANGE.contains(&self.nesting_limit) {
            return Err(SettingsError::NestingLimit(self.nesting_limit));
        }
        Ok(())
    }
}

/// When the evaluation after one at `last` is due: `interval_minutes` later, or at the next
/// midnight in `time_zone` if that comes first (a day boundary changes "today").
pub fn next_evaluation(last: Timestamp, interval_minutes: u32, time_zone: &TimeZone) -> Timestamp {
    let interval = last.checked_add(Span::new().minutes(i64::from(interval_minutes.max(1)))).unwrap_or(last);
    let local = last.to_zoned(time_zone.clone());
    let midnight = local
        .date()
        .checked_add(1.day())
        .ok()
        .and_then(|tomorrow| tomorrow.to_zoned(time_zone.clone()).ok())
        .map(|zoned| zoned.timestamp());
    match midnight {
        Some(midnight) if midnight > last && midnight < interval => midnight,
        _ => interval,
    }
}
