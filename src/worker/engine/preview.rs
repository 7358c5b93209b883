//! Answering a preview: what the segment matches, what higher segments claim, and its
//! first rows in the chosen order.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;

use crate::domain::{EvalContext, Group, RecordId, RecordTypeName, SegmentId};
use crate::engine::Bitset;
use crate::engine::fast::{Compiled, compile};
use crate::engine::priority::{SortKey, claims, ordered_rows};
use crate::engine::snapshot::Snapshot;
use crate::store::Workspace;
use crate::worker::WorkerError;

use super::{PreviewOutcome, PreviewRow};

/// One preview request's question.
pub(super) struct Asked<'a> {
    pub(super) record_type: &'a RecordTypeName,
    pub(super) conditions: &'a Group,
    pub(super) higher: &'a [(SegmentId, Group)],
    pub(super) sort: &'a SortKey,
    pub(super) now: Timestamp,
    pub(super) limit: usize,
}

pub(super) fn run_preview(
    snapshot: &Snapshot,
    reader: &Workspace,
    asked: &Asked<'_>,
) -> Result<PreviewOutcome, WorkerError> {
    let started = Instant::now();
    let ty = asked.record_type;
    let ctx = EvalContext::new(asked.now, snapshot.time_zone().clone());
    let edited = compile(snapshot, ty, asked.conditions, &ctx)?;
    let higher: Vec<(SegmentId, Compiled)> = asked
        .higher
        .iter()
        .map(|(id, g)| compile(snapshot, ty, g, &ctx).map(|c| (*id, c)))
        .collect::<Result<_, _>>()?;
    // The rows each higher segment wins, kept to name the claiming segment of listed rows.
    let compiled: Vec<&Compiled> = higher.iter().map(|(_, c)| c).collect();
    let won = claims(snapshot, ty, &compiled);
    let mut claimed = Bitset::empty(snapshot.type_snapshot(ty).map_or(0, |t| t.rows()));
    for set in &won {
        claimed.or_with(set);
    }
    let higher_sets: Vec<(SegmentId, Bitset)> = higher.iter().map(|(id, _)| *id).zip(won).collect();
    let matching = edited.evaluate(snapshot);
    let matches = matching.count();
    let claimed_by_higher = matching.count_and(&claimed);
    let order: Vec<(RecordId, Option<SegmentId>)> = match snapshot.type_snapshot(ty) {
        Some(records) => ordered_rows(snapshot, ty, &matching, asked.sort)
            .into_iter()
            .filter_map(|row| {
                let id = records.id_of(row as usize)?;
                let claimer = if claimed.contains(row as usize) {
                    higher_sets.iter().find(|(_, set)| set.contains(row as usize)).map(|(segment, _)| *segment)
                } else {
                    None
                };
                Some((id, claimer))
            })
            .collect(),
        None => Vec::new(),
    };
    let elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
    let first: Vec<RecordId> = order.iter().take(asked.limit).map(|(id, _)| *id).collect();
    let page = crate::worker::records::fetch(reader, ty, &first)?;
    // By id: a record deleted since the snapshot was taken is missing from the page.
    let claimers: HashMap<RecordId, Option<SegmentId>> = order.iter().take(asked.limit).copied().collect();
    let rows = page
        .rows
        .into_iter()
        .map(|record| PreviewRow { claimed_by: claimers.get(&record.id).copied().flatten(), record })
        .collect();
    Ok(PreviewOutcome {
        matches,
        claimed_by_higher,
        would_join: matches - claimed_by_higher,
        rows,
        order: Arc::new(order),
        titles: page.titles,
        elapsed_ms,
    })
}
