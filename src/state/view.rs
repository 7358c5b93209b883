//! The open workspace as the screens see it.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use jiff::tz::TimeZone;

use crate::domain::eval::fold;
use crate::domain::segment::{DESCRIPTION_MAX_CHARS, NAME_MAX_CHARS};
use crate::domain::{
    RecordTypeDef, RecordTypeName, Schema, Segment, SegmentId, Seller, SellerId, Sequence, SequenceId, Team,
};

/// Everything loaded from the open workspace that the screens show. Small: records are
/// not in here, they are fetched page by page.
#[derive(Clone, Debug)]
pub struct WorkspaceView {
    pub path: PathBuf,
    pub schema: Schema,
    pub time_zone: TimeZone,
    pub time_zone_name: String,
    /// Per record type, in priority order.
    pub segments: BTreeMap<RecordTypeName, Vec<Segment>>,
    pub member_counts: HashMap<SegmentId, u64>,
    /// Members no seller owns yet, per segment (absent means none).
    pub unassigned_counts: HashMap<SegmentId, u64>,
    pub sequences: Vec<Sequence>,
    pub sellers: Vec<Seller>,
    pub teams: Vec<Team>,
    pub record_counts: BTreeMap<RecordTypeName, u64>,
}

impl WorkspaceView {
    pub fn record_type(&self, name: &RecordTypeName) -> Option<&RecordTypeDef> {
        self.schema.get(name)
    }

    pub fn segments_of(&self, name: &RecordTypeName) -> &[Segment] {
        self.segments.get(name).map(Vec::as_slice).unwrap_or_default()
    }

    pub fn segment(&self, id: SegmentId) -> Option<&Segment> {
        self.segments.values().flatten().find(|s| s.id == id)
    }

    pub fn sequence(&self, id: SequenceId) -> Option<&Sequence> {
        self.sequences.iter().find(|s| s.id == id)
    }

    pub fn seller(&self, id: SellerId) -> Option<&Seller> {
        self.sellers.iter().find(|s| s.id == id)
    }

    /// What is wrong with a new segment's name and description, checked as the store does:
    /// a name is required, at most [`NAME_MAX_CHARS`] characters and unique per record type
    /// ignoring case; a description has at most [`DESCRIPTION_MAX_CHARS`] characters.
    pub fn segment_form_problem(&self, ty: &RecordTypeName, name: &str, description: &str) -> Option<String> {
        let name = name.trim();
        if name.is_empty() {
            return Some("Give the segment a name".to_owned());
        }
        if name.chars().count() > NAME_MAX_CHARS {
            return Some(format!("A name has at most {NAME_MAX_CHARS} characters"));
        }
        let folded = fold(name);
        if self.segments_of(ty).iter().any(|s| fold(&s.name) == folded) {
            return Some(format!("There is already a segment named \"{name}\""));
        }
        if description.chars().count() > DESCRIPTION_MAX_CHARS {
            return Some(format!("A description has at most {DESCRIPTION_MAX_CHARS} characters"));
        }
        None
    }

    pub fn record_count(&self, name: &RecordTypeName) -> u64 {
        self.record_counts.get(name).copied().unwrap_or(0)
    }

    /// The segments of a type in priority order with their member counts: what an
    /// analysis of them depends on, besides the record count.
    pub fn segments_with_members(&self, name: &RecordTypeName) -> (Vec<Segment>, Vec<u64>) {
        let segments = self.segments_of(name).to_vec();
        let members = segments.iter().map(|s| self.member_counts.get(&s.id).copied().unwrap_or(0)).collect();
        (segments, members)
    }
}
