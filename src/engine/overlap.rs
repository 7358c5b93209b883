//! How a record type's segments overlap: every segment's match set evaluated once into a
//! bitset, then the records each pair shares counted word by word, and the lint that
//! needs records ([`super::lint`]) from the same sets.
//!
//! The meaning is the reference evaluator's: a cell is the number of records both trees
//! match (`tests/overlap.rs` checks every cell against `domain::eval`).

use std::time::Instant;

use super::EngineError;
use super::bitset::Bitset;
use super::fast::{Compiled, compile};
use super::snapshot::Snapshot;
use crate::domain::overlap::{Analysis, OverlapSegment};
use crate::domain::{EvalContext, Group, RecordTypeName, Segment};

/// What each compiled tree matches, in order.
pub fn match_sets(snapshot: &Snapshot, compiled: &[&Compiled]) -> Vec<Bitset> {
    compiled.iter().map(|c| c.evaluate(snapshot)).collect()
}

/// `counts[i][j]`: how many rows sets `i` and `j` both hold (`counts[i][i]`: the rows of `i`).
pub fn overlap_counts(sets: &[Bitset]) -> Vec<Vec<usize>> {
    let mut counts = vec![vec![0; sets.len()]; sets.len()];
    for (i, first) in sets.iter().enumerate() {
        counts[i][i] = first.count();
        for (j, second) in sets.iter().enumerate().skip(i + 1) {
            let shared = first.count_and(second);
            counts[i][j] = shared;
            counts[j][i] = shared;
        }
    }
    counts
}

/// The segments of `ty` among `segments`, highest priority first.
pub fn in_priority_order<'s>(segments: &'s [Segment], ty: &RecordTypeName) -> Vec<&'s Segment> {
    let mut ordered: Vec<&Segment> = segments.iter().filter(|s| s.record_type == *ty).collect();
    ordered.sort_by_key(|s| s.priority);
    ordered
}

/// The overlap matrix and the lint of the segments of `ty` (the others among `segments`
/// are left out), evaluated at `ctx`.
pub fn analyse(
    snapshot: &Snapshot,
    ty: &RecordTypeName,
    segments: &[Segment],
    ctx: &EvalContext,
) -> Result<Analysis, EngineError> {
    let started = Instant::now();
    let ordered = in_priority_order(segments, ty);
    let compiled = ordered.iter().map(|s| compile(snapshot, ty, &s.conditions, ctx)).collect::<Result<Vec<_>, _>>()?;
    let refs: Vec<&Compiled> = compiled.iter().collect();
    let sets = match_sets(snapshot, &refs);
    let shared = overlap_counts(&sets);
    let lints = super::lint::lint(snapshot, ty, &ordered, &sets, ctx)?;
    Ok(Analysis {
        record_type: ty.clone(),
        segments: ordered
            .iter()
            .zip(&sets)
            .map(|(s, set)| OverlapSegment { id: s.id, name: s.name.clone(), status: s.status, matches: set.count() })
            .collect(),
        shared,
        lints,
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
    })
}

/// The rows of `ty` both trees match.
pub fn shared_rows(
    snapshot: &Snapshot,
    ty: &RecordTypeName,
    first: &Group,
    second: &Group,
    ctx: &EvalContext,
) -> Result<Bitset, EngineError> {
    let mut rows = compile(snapshot, ty, first, ctx)?.evaluate(snapshot);
    let other = compile(snapshot, ty, second, ctx)?;
    rows = other.evaluate_within(snapshot, &rows);
    Ok(rows)
}
