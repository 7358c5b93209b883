//! What the engine answers about a segment before anything is written (the preview of its
//! matches, the impact of a lifecycle change) and the rows of its member list. Plain data:
//! the workers fill it, the screens show it.

use std::collections::HashMap;
use std::sync::Arc;

use crate::domain::{Impact, Member, Record, RecordId, RecordTypeName, SegmentId};

/// The impact of a plan, computed before it is applied.
#[derive(Clone, Debug, PartialEq)]
pub struct ImpactOutcome {
    pub impact: Impact,
    pub elapsed_ms: f64,
}

/// What a preview found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PreviewOutcome {
    pub matches: usize,
    pub claimed_by_higher: usize,
    pub would_join: usize,
    /// The first matching records in the asked order, read with the answer.
    pub rows: Vec<PreviewRow>,
    /// Every matching record in the asked order, with the higher segment that claims it:
    /// the table scrolls through all of them, reading rows as they come into view.
    pub order: Arc<Vec<(RecordId, Option<SegmentId>)>>,
    /// Titles of the records the rows' lookups point at.
    pub titles: HashMap<(RecordTypeName, RecordId), String>,
    /// How long the engine took (evaluation, priority and the order; not reading rows).
    pub elapsed_ms: f64,
}

/// A matching record and the higher-priority segment that claims it, if one does.
#[derive(Clone, Debug, PartialEq)]
pub struct PreviewRow {
    pub record: Record,
    pub claimed_by: Option<SegmentId>,
}

/// A member of a segment with its record's title.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberRow {
    pub member: Member,
    pub title: String,
}
