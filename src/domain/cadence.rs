//! How an enrolment moves through its sequence: where it goes when a step is done or
//! skipped, and when that next step is due.
//!
//! A wait step is never a step to do. Finishing the step before it moves the enrolment past
//! the wait (or waits) to the next step, which becomes due once the waits have passed,
//! counted from the moment the previous step was finished. A wait is calendar time in the
//! owner's time zone (so "1 d" from 10:00 is 10:00 the next day, 23 or 25 hours across a
//! daylight-saving change), or, when the sequence says so, only the owner's working hours
//! outside their time off (an owner without a schedule counts calendar time). Finishing the
//! last step completes the enrolment.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp};

use super::people::{Seller, TimeOff, WorkPeriod};
use super::segment::{Step, StepKind};

/// How far a wait in working hours looks ahead for work periods before it gives up and
/// counts calendar time (a schedule of a minute a week would otherwise take years).
const MAX_WORKING_DAYS: i64 = 3 * 366;

/// The clock a wait is counted on: a time zone, and the work periods and time off that
/// count when waits are in working hours (none: calendar time).
#[derive(Clone, Debug)]
pub struct WaitClock<'a> {
    zone: TimeZone,
    work_hours: &'a [WorkPeriod],
    time_off: &'a [TimeOff],
}

impl<'a> WaitClock<'a> {
    /// Calendar time in `zone`.
    pub fn calendar(zone: TimeZone) -> Self {
        Self { zone, work_hours: &[], time_off: &[] }
    }

    /// The clock of an enrolment owned by `seller`: their time zone (`fallback` when its
    /// name is unknown), and their schedule when `working_hours` is asked for.
    pub fn of_seller(seller: &'a Seller, fallback: &TimeZone, working_hours: bool) -> Self {
        let zone = TimeZone::get(&seller.time_zone).unwrap_or_else(|_| fallback.clone());
        if working_hours {
            Self { zone, work_hours: &seller.work_hours, time_off: &seller.time_off }
        } else {
            Self::calendar(zone)
        }
    }

    /// When a wait of `minutes` that starts at `from` is over.
    pub fn wait_end(&self, from: Timestamp, minutes: u32) -> Timestamp {
        if self.work_hours.is_empty() {
            self.calendar_end(from, minutes)
        } else {
            self.working_end(from, minutes).unwrap_or_else(|| self.calendar_end(from, minutes))
        }
    }

    /// Whole days are calendar days in the zone, the rest exact minutes.
    fn calendar_end(&self, from: Timestamp, minutes: u32) -> Timestamp {
        let span = Span::new().days(i64::from(minutes / 1440)).minutes(i64::from(minutes % 1440));
        from.to_zoned(self.zone.clone())
            .checked_add(span)
            .map(|z| z.timestamp())
            .or_else(|_| from.checked_add(SignedDuration::from_mins(i64::from(minutes))))
            .unwrap_or(from)
    }

    /// The instant `minutes` of working time after `from`, or `None` when the schedule
    /// does not hold that much time within [`MAX_WORKING_DAYS`].
    fn working_end(&self, from: Timestamp, minutes: u32) -> Option<Timestamp> {
        let mut remaining = SignedDuration::from_mins(i64::from(minutes));
        if remaining.is_zero() {
            return Some(from);
        }
        let instant = |wall: DateTime| self.zone.to_ambiguous_timestamp(wall).compatible().ok();
        let off: Vec<(Timestamp, Timestamp)> = self
            .time_off
            .iter()
            .filter_map(|t| Some((instant(t.start)?, instant(t.end)?)))
            .filter(|(start, end)| start < end)
            .collect();
        let first_day = self.zone.to_datetime(from).date();
        let mut cursor = from;
        for offset in 0..MAX_WORKING_DAYS {
            let day = first_day.checked_add(Span::new().days(offset)).ok()?;
            let weekday = day.weekday().to_monday_one_offset();
            let mut periods: Vec<(Timestamp, Timestamp)> = self
                .work_hours
                .iter()
                .filter(|p| i8::try_from(p.weekday).ok() == Some(weekday))
                .filter(|p| p.start_minute < p.end_minute && p.end_minute <= 1440)
                .filter_map(|p| {
                    Some((wall_instant(&instant, day, p.start_minute)?, wall_instant(&instant, day, p.end_minute)?))
                })
                .collect();
            periods.sort();
            for (start, end) in periods {
                let mut t = start.max(cursor);
                while t < end {
                    if let Some(&(_, off_end)) = off.iter().find(|(s, e)| *s <= t && t < *e) {
                        t = off_end;
                        continue;
                    }
                    let piece_end = off.iter().map(|(s, _)| *s).filter(|s| *s > t && *s < end).min().unwrap_or(end);
                    let piece = t.duration_until(piece_end);
                    if remaining <= piece {
                        return t.checked_add(remaining).ok();
                    }
                    remaining -= piece;
                    t = piece_end;
                }
                cursor = cursor.max(end);
            }
        }
        None
    }
}

fn wall_instant(instant: &impl Fn(DateTime) -> Option<Timestamp>, day: Date, minute: u16) -> Option<Timestamp> {
    if minute >= 1440 {
        return instant(day.tomorrow().ok()?.to_datetime(Time::midnight()));
    }
    let time = Time::new(i8::try_from(minute / 60).ok()?, i8::try_from(minute % 60).ok()?, 0, 0).ok()?;
    instant(day.to_datetime(time))
}

/// Where an enrolment goes next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// On the step at `position` (never a wait), due at `due_at`.
    Step { position: u32, due_at: Timestamp },
    /// Past the last step: the enrolment is completed.
    Completed,
}

/// Where an enrolment that arrives at the step at `position` at `at` goes: that step, or
/// past the waits from there to the step after them, due when the waits are over.
pub fn arrive(steps: &[Step], position: usize, at: Timestamp, clock: &WaitClock<'_>) -> Next {
    let mut due = at;
    for (index, step) in steps.iter().enumerate().skip(position) {
        if step.kind == StepKind::Wait {
            due = clock.wait_end(due, step.wait_minutes.unwrap_or(0));
            continue;
        }
        let Ok(position) = u32::try_from(index) else { break };
        return Next::Step { position, due_at: whole_second(due) };
    }
    Next::Completed
}

/// `t` without its fraction of a second: stored due times are whole seconds, so their text
/// sorts as they do.
pub fn whole_second(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second()).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn step(kind: StepKind, wait_minutes: Option<u32>) -> Step {
        Step { kind, name: kind.to_string(), description: String::new(), wait_minutes }
    }

    fn berlin() -> TimeZone {
        TimeZone::get("Europe/Berlin").unwrap_or(TimeZone::UTC)
    }

    #[test]
    fn a_day_is_a_calendar_day_across_daylight_saving() {
        let clock = WaitClock::calendar(berlin());
        // Saturday 10:00 CET → Sunday 10:00 CEST: 23 hours.
        assert_eq!(clock.wait_end(at("2026-03-28T09:00:00Z"), 1440), at("2026-03-29T08:00:00Z"));
        // Minutes are exact: 2 h from 01:30 CET is 04:30 CEST.
        assert_eq!(clock.wait_end(at("2026-03-29T00:30:00Z"), 120), at("2026-03-29T02:30:00Z"));
    }

    #[test]
    fn working_hours_skip_nights_weekends_and_time_off() {
        let work_hours: Vec<WorkPeriod> =
            (1..=5).map(|weekday| WorkPeriod { weekday, start_minute: 9 * 60, end_minute: 17 * 60 }).collect();
        let time_off = vec![TimeOff {
            start: "2026-03-30T00:00".parse().unwrap_or_default(),
            end: "2026-03-31T00:00".parse().unwrap_or_default(),
            reason: "Off".into(),
        }];
        let clock = WaitClock { zone: berlin(), work_hours: &work_hours, time_off: &[] };
        // Friday 16:00 CET + 2 working hours: 1 h on Friday, 1 h from Monday 09:00 CEST.
        assert_eq!(clock.wait_end(at("2026-03-27T15:00:00Z"), 120), at("2026-03-30T08:00:00Z"));
        let clock = WaitClock { time_off: &time_off, ..clock };
        assert_eq!(clock.wait_end(at("2026-03-27T15:00:00Z"), 120), at("2026-03-31T08:00:00Z"));
        // Started at night: counting starts at the next period.
        assert_eq!(clock.wait_end(at("2026-03-25T22:00:00Z"), 30), at("2026-03-26T08:30:00Z"));
    }

    #[test]
    fn arriving_passes_waits_and_the_end_completes() {
        let steps = [
            step(StepKind::Wait, Some(60)),
            step(StepKind::Wait, Some(30)),
            step(StepKind::Task, None),
            step(StepKind::PhoneCall, None),
        ];
        let clock = WaitClock::calendar(TimeZone::UTC);
        let start = at("2026-01-05T09:00:00.750Z");
        assert_eq!(arrive(&steps, 0, start, &clock), Next::Step { position: 2, due_at: at("2026-01-05T10:30:00Z") });
        assert_eq!(arrive(&steps, 3, start, &clock), Next::Step { position: 3, due_at: at("2026-01-05T09:00:00Z") });
        assert_eq!(arrive(&steps, 4, start, &clock), Next::Completed);
    }
}
