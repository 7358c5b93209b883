//! Records another program changed, taken into the engine's snapshot: read back by id,
//! then evaluated like saved records (new ones join, changed ones move or leave), and
//! deleted ones leave their segment (the other program left their membership behind).

use std::collections::HashSet;

use jiff::Timestamp;

use crate::domain::{RecordId, RecordTypeName, Segment};
use crate::store::Workspace;
use crate::worker::WorkerError;

use super::engine::{Applied, Lifecycle};
use super::jobs::Reporter;

/// Ids read back from the workspace per query.
const IDS_PER_READ: usize = 10_000;

/// What another program did to records of `ty` with these ids, taken into `lifecycle`'s
/// snapshot and memberships: each id is read from the workspace through `reader`; a record
/// that is there is upserted (and evaluated against the active `segments` of the type as
/// created when the snapshot did not hold it, as updated otherwise); one that is not is
/// removed, and its membership ends in the workspace too.
pub fn take_changed_elsewhere(
    reader: &Workspace,
    lifecycle: &mut Lifecycle<'_>,
    ty: &RecordTypeName,
    ids: &[RecordId],
    segments: &[Segment],
    now: Timestamp,
    reporter: &Reporter,
) -> Result<Applied, WorkerError> {
    reporter.report(None, format!("Reading {} records changed by another program", ids.len()));
    let mut found = HashSet::with_capacity(ids.len());
    let mut created = Vec::new();
    let mut updated = Vec::new();
    for chunk in ids.chunks(IDS_PER_READ) {
        for record in reader.records_by_id(ty, chunk)? {
            let known = lifecycle.snapshot.type_snapshot(ty).and_then(|t| t.row_of(record.id)).is_some();
            if known { &mut updated } else { &mut created }.push(record.id);
            found.insert(record.id);
            // A record the snapshot cannot take is left out of previews until reload.
            lifecycle.snapshot.upsert(ty, &record).ok();
        }
    }
    let gone: Vec<RecordId> = ids.iter().copied().filter(|id| !found.contains(id)).collect();
    for id in &gone {
        if let Some(row) = lifecycle.snapshot.type_snapshot(ty).and_then(|t| t.row_of(*id)) {
            lifecycle.memberships.column_mut(ty).set(row, None);
        }
        lifecycle.snapshot.remove(ty, *id).ok();
    }
    if !gone.is_empty() {
        lifecycle.writer()?.forget_deleted_records(ty, &gone)?;
    }
    lifecycle.records_written(ty, &created, &updated, segments, now, reporter)
}
