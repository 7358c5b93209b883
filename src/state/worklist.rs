//! The Work list screen's state: the due steps of running enrolments (read in the
//! background, the last good list kept while a new one is read), its filters and the
//! selected row, the commands and their pure handling ([`apply`]), which returns the
//! [`WorkListEffect`]s the app carries out.
//!
//! Mark done and Skip take the row off the list at once and select the row after it, so the
//! keyboard (Enter, S, arrows) can work down the list; the list is then read again.

use std::fmt;

use jiff::{Span, Timestamp};

use super::effect::{Context, Effect};
use super::{AppState, Loadable};
use crate::domain::sequence::{StepOutcome, WorkFilter, WorkList};
use crate::domain::{SellerId, SequenceId, StepKind};

/// How many rows the Work list reads.
pub const WORK_LIST_ROWS: usize = 500;

/// Which steps by their due time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DueWithin {
    /// Due now (and overdue).
    #[default]
    Now,
    /// Due by the end of today.
    Today,
    /// Due by the end of this week (Monday to Sunday).
    ThisWeek,
    /// Every running step, also those waiting.
    Any,
}

impl DueWithin {
    pub const ALL: [DueWithin; 4] = [DueWithin::Now, DueWithin::Today, DueWithin::ThisWeek, DueWithin::Any];

    /// The latest due time kept at `now` in the workspace's `zone` (`None`: no bound).
    pub fn bound(self, now: Timestamp, zone: &jiff::tz::TimeZone) -> Option<Timestamp> {
        let today = zone.to_datetime(now).date();
        let end_of = |days: i64| {
            today
                .checked_add(Span::new().days(days))
                .ok()
                .and_then(|d| d.to_zoned(zone.clone()).ok())
                .map_or(now, |z| z.timestamp() - Span::new().seconds(1))
        };
        match self {
            DueWithin::Now => Some(now),
            DueWithin::Today => Some(end_of(1)),
            DueWithin::ThisWeek => Some(end_of(i64::from(7 - today.weekday().to_monday_zero_offset()))),
            DueWithin::Any => None,
        }
    }
}

impl fmt::Display for DueWithin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DueWithin::Now => "Due now",
            DueWithin::Today => "Due today",
            DueWithin::ThisWeek => "Due this week",
            DueWithin::Any => "All running",
        })
    }
}

/// What the Work list shows beyond the workspace view.
#[derive(Debug, Default)]
pub struct WorkListState {
    pub seller: Option<SellerId>,
    pub sequence: Option<SequenceId>,
    pub kind: Option<StepKind>,
    pub due: DueWithin,
    pub list: Loadable<WorkList>,
    /// When the shown list was asked for (its "now").
    pub read_at: Option<Timestamp>,
    /// The selected row's enrolment.
    pub selected: Option<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum WorkListCommand {
    /// Read the list again.
    Refresh,
    SetSeller(Option<SellerId>),
    SetSequence(Option<SequenceId>),
    SetKind(Option<StepKind>),
    SetDue(DueWithin),
    /// Select the row of this enrolment.
    Select(i64),
    /// Move the selection by this many rows (negative: up).
    MoveSelection(i32),
    /// Finish the current step of this enrolment.
    Finish {
        enrolment: i64,
        outcome: StepOutcome,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum WorkListEffect {
    /// Read the list in the background.
    Read { filter: WorkFilter, now: Timestamp },
    /// Store the step as done or skipped, then read the list again.
    Finish { enrolment: i64, outcome: StepOutcome, now: Timestamp },
}

/// Handles a Work list command: changes the state and says what the runner must do.
pub fn apply(state: &mut AppState, command: WorkListCommand, ctx: &Context) -> Vec<Effect> {
    let work = &mut state.work_list;
    match command {
        WorkListCommand::Refresh => return refresh(state, ctx.now),
        WorkListCommand::SetSeller(seller) => work.seller = seller,
        WorkListCommand::SetSequence(sequence) => work.sequence = sequence,
        WorkListCommand::SetKind(kind) => work.kind = kind,
        WorkListCommand::SetDue(due) => work.due = due,
        WorkListCommand::Select(enrolment) => {
            work.selected = Some(enrolment);
            return Vec::new();
        }
        WorkListCommand::MoveSelection(by) => {
            let Some(list) = work.list.latest().filter(|l| !l.items.is_empty()) else { return Vec::new() };
            let current = work.selected.and_then(|id| list.items.iter().position(|i| i.enrolment == id));
            let step = by.unsigned_abs() as usize;
            let to = match current {
                None => 0,
                Some(at) if by >= 0 => at.saturating_add(step).min(list.items.len() - 1),
                Some(at) => at.saturating_sub(step),
            };
            work.selected = list.items.get(to).map(|i| i.enrolment);
            return Vec::new();
        }
        WorkListCommand::Finish { enrolment, outcome } => {
            take_off(work, enrolment);
            return vec![Effect::WorkList(WorkListEffect::Finish { enrolment, outcome, now: ctx.now })];
        }
    }
    refresh(state, ctx.now)
}

/// Takes a finished row off the shown list and selects the row after it (or before it).
fn take_off(work: &mut WorkListState, enrolment: i64) {
    let list = match &mut work.list {
        Loadable::Ready(list) => Some(list),
        Loadable::Pending { previous } | Loadable::Failed { previous, .. } => previous.as_mut(),
    };
    let Some(list) = list else { return };
    let Some(at) = list.items.iter().position(|i| i.enrolment == enrolment) else { return };
    list.items.remove(at);
    list.total = list.total.saturating_sub(1);
    if work.selected == Some(enrolment) {
        work.selected = list.items.get(at).or_else(|| list.items.last()).map(|i| i.enrolment);
    }
}

/// Asks for the list with the current filters, as of `now`.
pub fn refresh(state: &mut AppState, now: Timestamp) -> Vec<Effect> {
    let Some(view) = &state.view else { return Vec::new() };
    let work = &mut state.work_list;
    let filter = WorkFilter {
        seller: work.seller,
        sequence: work.sequence,
        kind: work.kind,
        due_before: work.due.bound(now, &view.time_zone),
    };
    work.list.start_over();
    work.read_at = Some(now);
    vec![Effect::WorkList(WorkListEffect::Read { filter, now })]
}
