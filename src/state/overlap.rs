//! The Overlap screen and the lint of the segment list and the builder: the analysis of the
//! current record type's segments (how many records each pair shares, each segment's
//! lint), computed in the background and asked for again whenever the segments, the
//! record count or the member counts the window shows change; the cell the user clicked
//! and the records those two segments share.
//!
//! Commands are handled by the pure [`apply`]; the runner (`app::overlap`) carries out the
//! [`OverlapEffect`]s against the engine worker.

use jiff::Timestamp;

use super::effect::{Context, Effect};
use super::{AppState, Loadable};
use crate::domain::lint::SegmentLint;
use crate::domain::overlap::{Analysis, SharedRecords};
use crate::domain::{Group, RecordTypeName, Segment, SegmentId};

/// How many shared records a clicked cell lists.
pub const SHARED_ROWS: usize = 100;

/// What an analysis was asked for: when the window shows something else, it is stale.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalysisKey {
    pub record_type: RecordTypeName,
    pub segments: Vec<Segment>,
    pub records: u64,
    pub members: Vec<u64>,
}

#[derive(Debug, Default)]
pub struct OverlapState {
    /// The analysis of the current record type; the last good one stays while a new one
    /// is computed.
    pub analysis: Loadable<Analysis>,
    /// What the newest analysis was asked for.
    pub asked: Option<AnalysisKey>,
    /// The clicked cell: two segments, higher priority first.
    pub cell: Option<(SegmentId, SegmentId)>,
    pub shared: Loadable<SharedRecords>,
}

impl OverlapState {
    /// The lint of a segment, from the newest analysis there is (while its record type is
    /// the one it was computed for).
    pub fn lint_of(&self, segment: SegmentId) -> Option<&SegmentLint> {
        self.analysis.latest()?.lint_of(segment)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum OverlapCommand {
    /// Compute the overlap and lint again.
    Refresh,
    /// Show the records two segments share.
    ShowCell {
        first: SegmentId,
        second: SegmentId,
    },
    CloseCell,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OverlapEffect {
    /// Compute the overlap matrix and lint of these segments (every segment of the type).
    Analyse { record_type: RecordTypeName, segments: Vec<Segment>, now: Timestamp },
    /// Read how many records two segments share and the first of them.
    Shared { record_type: RecordTypeName, first: (SegmentId, Group), second: (SegmentId, Group), now: Timestamp },
}

/// Handles an Overlap command.
pub fn apply(state: &mut AppState, command: OverlapCommand, ctx: &Context) -> Vec<Effect> {
    match command {
        OverlapCommand::Refresh => {
            state.overlap.asked = None;
            let mut effects = refresh_if_stale(state, ctx.now);
            if let Some((first, second)) = state.overlap.cell {
                effects.extend(show_cell(state, first, second, ctx.now));
            }
            effects
        }
        OverlapCommand::ShowCell { first, second } => show_cell(state, first, second, ctx.now),
        OverlapCommand::CloseCell => {
            state.overlap.cell = None;
            state.overlap.shared = Loadable::default();
            Vec::new()
        }
    }
}

fn show_cell(state: &mut AppState, first: SegmentId, second: SegmentId, now: Timestamp) -> Vec<Effect> {
    let Some(view) = &state.view else { return Vec::new() };
    let (Some(a), Some(b)) = (view.segment(first), view.segment(second)) else { return Vec::new() };
    if a.record_type != b.record_type {
        return Vec::new();
    }
    let (a, b) = if b.priority < a.priority { (b, a) } else { (a, b) };
    let effect = OverlapEffect::Shared {
        record_type: a.record_type.clone(),
        first: (a.id, a.conditions.clone()),
        second: (b.id, b.conditions.clone()),
        now,
    };
    state.overlap.cell = Some((a.id, b.id));
    state.overlap.shared.start_over();
    vec![Effect::Overlap(effect)]
}

/// What the analysis of the current record type would be asked for now.
pub fn wanted(state: &AppState) -> Option<AnalysisKey> {
    let view = state.view.as_ref()?;
    let record_type = state.record_type.clone()?;
    let (segments, members) = view.segments_with_members(&record_type);
    Some(AnalysisKey { records: view.record_count(&record_type), record_type, segments, members })
}

/// Asks for the analysis again when what the window shows changed since it was asked
/// for (the runner calls this when no analysis is running). A clicked cell whose segments
/// are gone is closed.
pub fn refresh_if_stale(state: &mut AppState, now: Timestamp) -> Vec<Effect> {
    let Some(key) = wanted(state) else { return Vec::new() };
    if state.overlap.asked.as_ref() == Some(&key) {
        return Vec::new();
    }
    let overlap = &mut state.overlap;
    let same_type = overlap.asked.as_ref().is_some_and(|k| k.record_type == key.record_type);
    if same_type {
        overlap.analysis.start_over();
    } else {
        overlap.analysis = Loadable::default();
    }
    let present = |id: SegmentId| key.segments.iter().any(|s| s.id == id);
    if overlap.cell.is_some_and(|(a, b)| !same_type || !present(a) || !present(b)) {
        overlap.cell = None;
        overlap.shared = Loadable::default();
    }
    let effect = OverlapEffect::Analyse { record_type: key.record_type.clone(), segments: key.segments.clone(), now };
    overlap.asked = Some(key);
    vec![Effect::Overlap(effect)]
}
