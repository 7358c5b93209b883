//! What the engine answers about how a record type's segments overlap: per pair of
//! segments, how many records match both (the heat map of the Overlap screen and of
//! `segment-builder overlap`), each segment's lint ([`super::lint`]), and the records two
//! segments share. Plain data: the engine fills it, the screens and the command line show it.

use serde::Serialize;

use super::lint::SegmentLint;
use super::schema::RecordTypeName;
use super::segment::{SegmentId, Status};
use super::value::RecordId;

/// A segment of the matrix, in priority order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OverlapSegment {
    pub id: SegmentId,
    pub name: String,
    pub status: Status,
    /// Records its conditions match now (claimed by a higher segment or not).
    pub matches: usize,
}

/// The overlap and lint of one record type's segments.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Analysis {
    pub record_type: RecordTypeName,
    /// Every segment of the type, highest priority first.
    pub segments: Vec<OverlapSegment>,
    /// `shared[i][j]`: the records segments `i` and `j` both match; `shared[i][i]` is what
    /// segment `i` matches.
    pub shared: Vec<Vec<usize>>,
    /// Per segment, in the same order.
    pub lints: Vec<SegmentLint>,
    /// How long the engine took.
    pub elapsed_ms: f64,
}

impl Analysis {
    pub fn lint_of(&self, segment: SegmentId) -> Option<&SegmentLint> {
        self.lints.iter().find(|l| l.segment == segment)
    }

    /// The records two segments (by position) share; 0 outside the matrix.
    pub fn shared_by(&self, first: usize, second: usize) -> usize {
        self.shared.get(first).and_then(|row| row.get(second)).copied().unwrap_or(0)
    }

    /// The largest count between two different segments (what the heat map's colours scale to).
    pub fn largest_shared(&self) -> usize {
        let mut largest = 0;
        for (i, row) in self.shared.iter().enumerate() {
            for (j, count) in row.iter().enumerate() {
                if i != j {
                    largest = largest.max(*count);
                }
            }
        }
        largest
    }
}

/// How many records two segments share, and the first of them with their titles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedRecords {
    pub first: SegmentId,
    pub second: SegmentId,
    pub count: usize,
    /// The first shared records, newest first: id and title.
    pub rows: Vec<(RecordId, String)>,
}
