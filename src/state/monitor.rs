//! The Monitor screen's state: its lists, "Why this seller?", manual assignment and Run
//! now's progress, and the commands.

use std::collections::BTreeSet;

use super::{Loadable, WorkspaceView};
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
