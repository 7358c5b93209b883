//! The Explain side panel: why one record is or is not in each segment (every condition
//! with the record's value and ✔/✖, the segment it is in and the one it would join, and
//! why), the rule and seller part of "Why this seller?", and the record's timeline. It is
//! opened from any list of records and stays beside the current screen; while the selected
//! segment's conditions are being edited it explains the draft.
//!
//! Commands are handled by the pure [`apply`]; the runner (`app::explain`) reads the
//! explanation in the background and asks again whenever [`wanted`] changes.

use jiff::Timestamp;

use super::effect::{Context, Effect};
use super::{AppState, Loadable};
use crate::domain::explain::{ExplainReport, TimelineEntry};
use crate::domain::{Group, RecordId, RecordTypeName, Segment, SegmentId};

/// The record the panel explains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExplainTarget {
    pub record_type: RecordTypeName,
    pub record: RecordId,
}

/// What an explanation was read for: when the window shows something else, it is asked
/// for again.
#[derive(Clone, Debug, PartialEq)]
pub struct ExplainKey {
    pub target: ExplainTarget,
    /// The selected segment's unsaved conditions, when they are edited and have no problems.
    pub draft: Option<(SegmentId, Group)>,
    /// The segments of the record's type and their member counts, and how many records the
    /// type has: a change to any of them may change the answer.
    pub segments: Vec<Segment>,
    pub members: Vec<u64>,
    pub records: u64,
}

/// One record explained.
#[derive(Clone, Debug, PartialEq)]
pub struct Explained {
    pub report: ExplainReport,
    /// Oldest first.
    pub timeline: Vec<TimelineEntry>,
}

#[derive(Debug, Default)]
pub struct ExplainState {
    /// The record the panel shows; `None` when it is closed.
    pub target: Option<ExplainTarget>,
    pub result: Loadable<Explained>,
    /// What the newest explanation was asked for.
    pub asked: Option<ExplainKey>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExplainCommand {
    /// Open the panel on a record (or switch it to another).
    Open(RecordTypeName, RecordId),
    Close,
    /// Read the explanation again (the record may have changed).
    Refresh,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExplainEffect {
    /// Read why the record is where it is; `draft` stands in for its segment's conditions.
    Explain { target: ExplainTarget, draft: Option<(SegmentId, Group)>, now: Timestamp },
}

/// Handles an Explain command.
pub fn apply(state: &mut AppState, command: ExplainCommand, ctx: &Context) -> Vec<Effect> {
    match command {
        ExplainCommand::Open(record_type, record) => {
            let target = ExplainTarget { record_type, record };
            if state.explain.target.as_ref() != Some(&target) {
                state.explain.result = Loadable::default();
            }
            state.explain.target = Some(target);
            state.explain.asked = None;
            refresh_if_stale(state, ctx.now)
        }
        ExplainCommand::Close => {
            state.explain = ExplainState::default();
            Vec::new()
        }
        ExplainCommand::Refresh => {
            state.explain.asked = None;
            refresh_if_stale(state, ctx.now)
        }
    }
}

/// The selected segment's draft the panel explains: its edited conditions while they
/// differ from the stored ones and have no problems.
pub fn draft(state: &AppState) -> Option<(SegmentId, &Group)> {
    let builder = state.builder.as_ref()?;
    let target = state.explain.target.as_ref()?;
    (builder.record_type == target.record_type && builder.is_dirty() && !builder.has_problems())
        .then_some((builder.segment, &builder.draft))
}

/// What the panel should show now, if it is open.
pub fn wanted(state: &AppState) -> Option<ExplainKey> {
    let target = state.explain.target.clone()?;
    let view = state.view.as_ref()?;
    let (segments, members) = view.segments_with_members(&target.record_type);
    let records = view.record_count(&target.record_type);
    let draft = draft(state).map(|(id, tree)| (id, tree.clone()));
    Some(ExplainKey { target, draft, segments, members, records })
}

/// Asks for the explanation again when what the panel should show changed since it was
/// asked for (the runner calls this when no explanation is being read).
pub fn refresh_if_stale(state: &mut AppState, now: Timestamp) -> Vec<Effect> {
    let Some(key) = wanted(state) else { return Vec::new() };
    if state.explain.asked.as_ref() == Some(&key) {
        return Vec::new();
    }
    state.explain.result.start_over();
    let effect = ExplainEffect::Explain { target: key.target.clone(), draft: key.draft.clone(), now };
    state.explain.asked = Some(key);
    vec![Effect::Explain(effect)]
}
