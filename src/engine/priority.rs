//! Priority resolution over compiled segments: which segment wins each record, and the
//! live preview of a segment being edited (how many match, how many a higher-priority
//! segment claims, the first records in a chosen order).

use super::bitset::Bitset;
use super::fast::Compiled;
use super::snapshot::Snapshot;
use crate::domain::{FieldName, RecordId, RecordTypeName};

/// "No segment" in [`winners`].
pub const NO_SEGMENT: u32 = u32::MAX;

/// For every row of `ty`, the index in `segments` (highest priority first) of the first
/// segment the record matches, or [`NO_SEGMENT`] (also for rows of removed records).
/// Segments compiled for another type are skipped.
pub fn winners(snapshot: &Snapshot, ty: &RecordTypeName, segments: &[&Compiled]) -> Vec<u32> {
    let mut result = vec![NO_SEGMENT; snapshot.type_snapshot(ty).map_or(0, |t| t.rows())];
    for (segment, won) in claims(snapshot, ty, segments).iter().enumerate() {
        for row in won.ones() {
            result[row] = segment as u32;
        }
    }
    result
}

/// For each segment (highest priority first), the rows it wins: those it matches that no
/// earlier segment matches. Segments compiled for another type win nothing.
pub fn claims(snapshot: &Snapshot, ty: &RecordTypeName, segments: &[&Compiled]) -> Vec<Bitset> {
    let Some(records) = snapshot.type_snapshot(ty) else { return segments.iter().map(|_| Bitset::empty(0)).collect() };
    let mut unclaimed = records.live().clone();
    segments
        .iter()
        .map(|segment| {
            if segment.record_type() != ty {
                return Bitset::empty(records.rows());
            }
            let won = segment.evaluate_within(snapshot, &unclaimed);
            unclaimed.and_not_with(&won);
            won
        })
        .collect()
}

/// The rows of `ty` that match at least one of `segments`.
pub fn union(snapshot: &Snapshot, ty: &RecordTypeName, segments: &[&Compiled]) -> Bitset {
    let Some(records) = snapshot.type_snapshot(ty) else { return Bitset::empty(0) };
    let mut unclaimed = records.live().clone();
    let mut all = Bitset::empty(records.rows());
    for segment in segments.iter().filter(|s| s.record_type() == ty) {
        let won = segment.evaluate_within(snapshot, &unclaimed);
        unclaimed.and_not_with(&won);
        all.or_with(&won);
    }
    all
}

/// The order of the preview's records: a field, ascending or descending; empty values
/// come last either way, ties in row order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortKey {
    pub field: FieldName,
    pub descending: bool,
}

impl SortKey {
    /// Newest first: `created_on` descending.
    pub fn newest_first() -> Self {
        Self { field: FieldName::new("created_on"), descending: true }
    }
}

impl Default for SortKey {
    fn default() -> Self {
        Self::newest_first()
    }
}

/// What the live preview shows for the segment being edited.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreviewResult {
    /// Records the edited segment's conditions match.
    pub matches: usize,
    /// Of those, the ones a higher-priority active segment claims.
    pub claimed_by_higher: usize,
    /// `matches - claimed_by_higher`: the ones that would join it.
    pub would_join: usize,
    /// The first matching records in the sort order (at most the number asked for).
    pub first: Vec<RecordId>,
}

/// The preview of `edited` given the rows the higher-priority active segments claim
/// (their [`union`], which does not change while the segment is edited).
pub fn preview(snapshot: &Snapshot, edited: &Compiled, higher: &Bitset, sort: &SortKey, n: usize) -> PreviewResult {
    let matching = edited.evaluate(snapshot);
    let matches = matching.count();
    let claimed_by_higher = matching.count_and(higher);
    PreviewResult {
        matches,
        claimed_by_higher,
        would_join: matches - claimed_by_higher,
        first: first_matching(snapshot, edited.record_type(), &matching, sort, n),
    }
}

/// [`preview`] with the higher-priority segments given as compiled trees.
pub fn preview_against(
    snapshot: &Snapshot,
    edited: &Compiled,
    higher: &[&Compiled],
    sort: &SortKey,
    n: usize,
) -> PreviewResult {
    preview(snapshot, edited, &union(snapshot, edited.record_type(), higher), sort, n)
}

/// The ids of the first `n` set rows of `rows` in the order `sort` (an unknown field sorts
/// by row, which is load order). The order of a field is computed once and kept until the
/// snapshot changes.
pub fn first_matching(
    snapshot: &Snapshot,
    ty: &RecordTypeName,
    rows: &Bitset,
    sort: &SortKey,
    n: usize,
) -> Vec<RecordId> {
    let Some(records) = snapshot.type_snapshot(ty) else { return Vec::new() };
    if n == 0 {
        return Vec::new();
    }
    let field = snapshot.schema().get(ty).and_then(|def| def.field_index(&sort.field));
    let first = records.first_rows(rows, field, sort.descending, n);
    first.into_iter().filter_map(|row| records.id_of(row as usize)).collect()
}

/// Every set row of `rows` in the order `sort` (see [`first_matching`]), as row indexes.
pub fn ordered_rows(snapshot: &Snapshot, ty: &RecordTypeName, rows: &Bitset, sort: &SortKey) -> Vec<u32> {
    let Some(records) = snapshot.type_snapshot(ty) else { return Vec::new() };
    let field = snapshot.schema().get(ty).and_then(|def| def.field_index(&sort.field));
    records.ordered_rows(rows, field, sort.descending)
}

/// Keeps the whole order `sort` of `ty`'s records, so that later previews of any segment
/// filter it instead of sorting their matches; `true` when that took work (it was not kept).
pub fn keep_order(snapshot: &Snapshot, ty: &RecordTypeName, sort: &SortKey) -> bool {
    let Some(records) = snapshot.type_snapshot(ty) else { return false };
    let field = snapshot.schema().get(ty).and_then(|def| def.field_index(&sort.field));
    if records.has_order(field, sort.descending) {
        return false;
    }
    records.sorted_rows(field, sort.descending);
    true
}
