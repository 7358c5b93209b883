//! The Monitor screen's state: its lists, "Why this seller?", manual assignment and Run
//! now's progress, the commands and their pure handling ([`apply`]), which returns the
//! [`MonitorEffect`]s the app carries out.

use std::collections::BTreeSet;

use jiff::Timestamp;

use super::effect::{Context, Effect};
use super::{AppState, Loadable, WorkspaceView};
use crate::domain::monitor::{Explanation, MonitorLists};
use crate::domain::{RecordId, RecordTypeName, SellerId};

/// How many rows of each list the Monitor reads.
pub const MONITOR_ROWS: usize = 10_000;

/// What the monitor panels show beyond the workspace view.
#[derive(Debug, Default)]
pub struct MonitorState {
    /// The record type `lists` are for.
    pub record_type: Option<RecordTypeName>,
    pub lists: Loadable<MonitorLists>,
    /// Ticked unassigned records.
    pub selected: BTreeSet<RecordId>,
    /// While "Run now" runs: its progress.
    pub running: Option<RunProgress>,
    /// The open "Why this seller?" window.
    pub why: Option<WhyState>,
    /// The open manual assignment window.
    pub assign: Option<AssignState>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RunProgress {
    pub title: String,
    pub fraction: Option<f32>,
    pub message: String,
}

/// "Why this seller?" for one record.
#[derive(Clone, Debug)]
pub struct WhyState {
    pub record_type: RecordTypeName,
    pub record: RecordId,
    pub explanation: Loadable<Explanation>,
}

/// "Assign…": the record, its explanation (eligible sellers first) and the last error.
#[derive(Clone, Debug)]
pub struct AssignState {
    pub record_type: RecordTypeName,
    pub record: RecordId,
    pub explanation: Loadable<Explanation>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum MonitorCommand {
    /// Read the lists of the chosen record type again.
    Refresh,
    ToggleSelected(RecordId),
    /// Tick every listed unassigned record (true) or none.
    SelectAll(bool),
    /// "Run now" for every unassigned member, or only the ticked ones.
    RunNow {
        selected_only: bool,
    },
    CancelRun,
    ShowWhy {
        record_type: RecordTypeName,
        record: RecordId,
    },
    CloseWhy,
    ShowAssign(RecordId),
    AssignTo {
        record: RecordId,
        seller: SellerId,
    },
    CloseAssign,
}

/// Sellers with a line saying why they are (or are not) eligible.
pub type SellerChoices = Vec<(SellerId, String)>;

/// The sellers of a manual assignment: those no filter of the fired rule removed (or, when
/// no rule fired, those with "Assign records" on), then the others with why not.
pub fn manual_choices(explanation: &Explanation, view: &WorkspaceView) -> (SellerChoices, SellerChoices) {
    let lines = explanation.candidate_lines(&view.sellers);
    let mut eligible = Vec::new();
    let mut others = Vec::new();
    if lines.is_empty() {
        for seller in &view.sellers {
            if seller.assign_records {
                eligible.push((seller.id, "No rule fired; \"Assign records\" is on".to_owned()));
            } else {
                others.push((seller.id, "\"Assign records\" is off".to_owned()));
            }
        }
    } else {
        for line in lines {
            let entry = (SellerId(line.seller), line.text);
            if line.eligible { eligible.push(entry) } else { others.push(entry) }
        }
    }
    (eligible, others)
}

/// Which window an explanation is read for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExplainFor {
    /// "Why this seller?"
    Why,
    /// The manual assignment window.
    Assign,
}

/// What the Monitor asks the runner to read or write, in the background or at once.
#[derive(Clone, Debug, PartialEq)]
pub enum MonitorEffect {
    /// Read the lists of this record type.
    ReadLists(RecordTypeName),
    /// Explain the record's assignment for a window.
    Explain {
        window: ExplainFor,
        record_type: RecordTypeName,
        record: RecordId,
        now: Timestamp,
    },
    /// Forget the explanation a window was waiting for (it closed).
    Forget(ExplainFor),
    /// Run the assignment for every unassigned member of the type, or only `records`.
    Run {
        record_type: RecordTypeName,
        records: Option<Vec<RecordId>>,
        title: String,
        now: Timestamp,
    },
    CancelRun,
    /// Assign the record to the seller by hand.
    Assign {
        record_type: RecordTypeName,
        record: RecordId,
        seller: SellerId,
        now: Timestamp,
    },
}

/// Handles a Monitor command: changes the state and says what the runner must do.
pub fn apply(state: &mut AppState, command: MonitorCommand, ctx: &Context) -> Vec<Effect> {
    let effect = |effect: MonitorEffect| vec![Effect::Monitor(effect)];
    let now = ctx.now;
    let monitor = &mut state.monitor;
    match command {
        MonitorCommand::Refresh => refresh(state),
        MonitorCommand::ToggleSelected(id) => {
            if !monitor.selected.remove(&id) {
                monitor.selected.insert(id);
            }
            Vec::new()
        }
        MonitorCommand::SelectAll(all) => {
            monitor.selected.clear();
            if all && let Some(lists) = monitor.lists.latest() {
                monitor.selected.extend(lists.unassigned.iter().map(|u| u.record));
            }
            Vec::new()
        }
        MonitorCommand::RunNow { selected_only } => {
            // One run at a time, on an open workspace.
            let (None, Some(record_type), Some(_)) = (&monitor.running, monitor.record_type.clone(), &state.view)
            else {
                return Vec::new();
            };
            let records: Option<Vec<RecordId>> = selected_only.then(|| monitor.selected.iter().copied().collect());
            let title = match &records {
                Some(ids) if ids.is_empty() => return Vec::new(),
                Some(ids) => format!("Assigning {} selected records", ids.len()),
                None => "Assigning every unassigned record".to_owned(),
            };
            monitor.running =
                Some(RunProgress { title: title.clone(), fraction: None, message: "Starting".to_owned() });
            effect(MonitorEffect::Run { record_type, records, title, now })
        }
        MonitorCommand::CancelRun => effect(MonitorEffect::CancelRun),
        MonitorCommand::ShowWhy { record_type, record } => {
            monitor.why = Some(WhyState { record_type: record_type.clone(), record, explanation: Loadable::default() });
            effect(MonitorEffect::Explain { window: ExplainFor::Why, record_type, record, now })
        }
        MonitorCommand::CloseWhy => {
            monitor.why = None;
            effect(MonitorEffect::Forget(ExplainFor::Why))
        }
        MonitorCommand::ShowAssign(record) => {
            let Some(record_type) = monitor.record_type.clone() else { return Vec::new() };
            let explanation = Loadable::default();
            monitor.assign = Some(AssignState { record_type: record_type.clone(), record, explanation, error: None });
            effect(MonitorEffect::Explain { window: ExplainFor::Assign, record_type, record, now })
        }
        MonitorCommand::AssignTo { record, seller } => match &monitor.assign {
            Some(assign) => {
                effect(MonitorEffect::Assign { record_type: assign.record_type.clone(), record, seller, now })
            }
            None => Vec::new(),
        },
        MonitorCommand::CloseAssign => {
            monitor.assign = None;
            effect(MonitorEffect::Forget(ExplainFor::Assign))
        }
    }
}

/// Reads the lists of the chosen record type again; another type starts with nothing
/// ticked and nothing shown.
pub fn refresh(state: &mut AppState) -> Vec<Effect> {
    let (Some(_), Some(record_type)) = (&state.view, state.record_type.clone()) else { return Vec::new() };
    let monitor = &mut state.monitor;
    if monitor.record_type.as_ref() != Some(&record_type) {
        monitor.lists = Loadable::default();
        monitor.selected.clear();
    }
    monitor.record_type = Some(record_type.clone());
    monitor.lists.start_over();
    vec![Effect::Monitor(MonitorEffect::ReadLists(record_type))]
}
