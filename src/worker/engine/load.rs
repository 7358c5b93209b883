//! Building the snapshot and the membership columns when the worker starts, and reading
//! imported records into it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use jiff::tz::TimeZone;

use crate::domain::{RecordBatch, RecordId, RecordTypeDef, RecordTypeName};
use crate::engine::EngineError;
use crate::engine::membership::{MemberColumn, Memberships};
use crate::engine::snapshot::{Snapshot, TypeBuilder};
use crate::store::Workspace;
use crate::worker::WorkerError;

use super::set_progress;
use crate::worker::Waker;
use crate::worker::jobs::{Progress, Reporter};

pub(super) fn load(
    path: &std::path::Path,
    shared: &Mutex<Option<Progress>>,
    waker: &dyn Waker,
) -> Result<(Workspace, Snapshot), WorkerError> {
    let report = |fraction: f32| {
        let message = "Loading records".to_owned();
        set_progress(shared, waker, Some(Progress { fraction: Some(fraction), message }));
    };
    load_snapshot(path, &report)
}

/// Reports loading progress after about this many records of a type (the UI wakes for each).
const PROGRESS_EVERY_RECORDS: u64 = 100_000;

/// Records in a batch handed from a type's reader thread to its builder thread.
const RECORDS_PER_BATCH: usize = 1024;

/// Batches queued between a reader and its builder: enough to ride out scheduling hiccups,
/// few enough to stay in cache.
const BATCHES_IN_FLIGHT: usize = 4;

/// Opens a reader on the workspace at `path` and gives the snapshot of its records: from
/// the column cache beside it when that matches the file (`worker::column_cache`), else
/// built by [`load_types`]. `progress` gets the fraction of records built so far. Every
/// column is decoded before it returns (what it loads is kept and read for long).
pub fn load_snapshot(
    path: &std::path::Path,
    progress: &(dyn Fn(f32) + Sync),
) -> Result<(Workspace, Snapshot), WorkerError> {
    let (reader, snapshot, _) = crate::worker::column_cache::load_with_cache(path, progress, &|| Ok(()))?;
    snapshot.settle();
    Ok((reader, snapshot))
}

/// Opens a reader on the workspace at `path` and builds the snapshot of the types in `only`
/// (all types when `None`; the others are left empty, lookups into them pointing at
/// placeholder rows) from SQL: every type read on its own thread, from its own reader
/// connection, in batches that its own builder thread puts straight into columns (no list
/// of records is held). Reading (SQLite, decoding) and building (interning texts) thus
/// overlap, for every type at once. `progress` gets the fraction of records built so far.
pub fn load_types(
    path: &std::path::Path,
    only: Option<&[RecordTypeName]>,
    progress: &(dyn Fn(f32) + Sync),
) -> Result<(Workspace, Snapshot), WorkerError> {
    load_types_in_zone(path, only, None, progress)
}

/// [`load_types`] with relative dates resolved in `zone` (the workspace's when `None`): what
/// a change of time zone would do is computed on such a snapshot.
pub fn load_types_in_zone(
    path: &std::path::Path,
    only: Option<&[RecordTypeName]>,
    zone: Option<TimeZone>,
    progress: &(dyn Fn(f32) + Sync),
) -> Result<(Workspace, Snapshot), WorkerError> {
    let reader = Workspace::open_reader(path)?;
    let schema = reader.schema().clone();
    let time_zone = zone.unwrap_or_else(|| TimeZone::get(reader.time_zone()).unwrap_or(TimeZone::UTC));
    let wanted: Vec<&RecordTypeDef> =
        schema.types.iter().filter(|t| only.is_none_or(|only| only.contains(&t.name))).collect();
    let counts: Vec<u64> = wanted.iter().map(|t| reader.count_records(&t.name).unwrap_or(0)).collect();
    let total = counts.iter().sum::<u64>().max(1);
    let loaded = AtomicU64::new(0);
    let report = |records: u64| {
        let done = loaded.fetch_add(records, Ordering::Relaxed) + records;
        progress(done as f32 / total as f32);
    };
    let builders = std::thread::scope(|scope| {
        let mut started = Vec::with_capacity(wanted.len());
        for (def, &count) in wanted.iter().zip(&counts) {
            let mut builder = TypeBuilder::new(&schema, &def.name, time_zone.clone())
                .ok_or_else(|| EngineError::UnknownType(def.name.clone()))?;
            builder.reserve(usize::try_from(count).unwrap_or_default());
            let (full_tx, full_rx) = sync_channel::<RecordBatch>(BATCHES_IN_FLIGHT);
            let (spare_tx, spare_rx) = sync_channel::<RecordBatch>(BATCHES_IN_FLIGHT);
            let name = &def.name;
            let fields = def.fields.len();
            let reading = std::thread::Builder::new()
                .name(format!("load {name}"))
                .spawn_scoped(scope, move || read_batches(path, name, fields, &full_tx, &spare_rx))
                .map_err(|e| WorkerError::Stopped(format!("could not start reading {name}: {e}")))?;
            let report = &report;
            let building = std::thread::Builder::new()
                .name(format!("build {name}"))
                .spawn_scoped(scope, move || {
                    let mut unreported = 0;
                    for batch in full_rx {
                        builder.push_batch(&batch);
                        unreported += batch.len() as u64;
                        if unreported >= PROGRESS_EVERY_RECORDS {
                            report(unreported);
                            unreported = 0;
                        }
                        // A spare the reader has no room for is simply dropped.
                        spare_tx.try_send(batch).ok();
                    }
                    report(unreported);
                    builder
                })
                .map_err(|e| WorkerError::Stopped(format!("could not start building {name}: {e}")))?;
            started.push((name, reading, building));
        }
        let mut builders = Vec::with_capacity(started.len());
        for (name, reading, building) in started {
            let stopped = || WorkerError::Stopped(format!("loading {name} stopped unexpectedly"));
            reading.join().map_err(|_| stopped())??;
            builders.push(building.join().map_err(|_| stopped())?);
        }
        Ok::<_, WorkerError>(builders)
    })?;
    progress(1.0);
    let teams = reader.teams()?.into_iter().map(|t| (t.id, t.members));
    let snapshot = Snapshot::from_builders(&schema, time_zone, builders, teams);
    Ok((reader, snapshot))
}

/// Reads the records of type `name` from a reader connection of its own and sends them in
/// batches to `full`, reusing the batches that come back on `spare`.
fn read_batches(
    path: &std::path::Path,
    name: &RecordTypeName,
    fields: usize,
    full: &SyncSender<RecordBatch>,
    spare: &Receiver<RecordBatch>,
) -> Result<(), WorkerError> {
    let own = Workspace::open_reader(path)?;
    own.for_each_batch(name, RECORDS_PER_BATCH, &mut |batch| {
        let next = spare.try_recv().unwrap_or_else(|_| RecordBatch::with_capacity(fields, RECORDS_PER_BATCH));
        // Only fails when the builder is gone, and then nobody wants more.
        full.send(std::mem::replace(batch, next)).is_ok()
    })?;
    Ok(())
}

/// Records read back into the snapshot per batch of ids.
const IMPORTED_PER_READ: usize = 10_000;

/// The `created` and `updated` records of `ty` read from the workspace into the snapshot, a
/// batch at a time (an import does not hand over the records themselves).
pub(super) fn read_into_snapshot(
    reader: &Workspace,
    snapshot: &mut Snapshot,
    ty: &RecordTypeName,
    created: &[RecordId],
    updated: &[RecordId],
    reporter: &Reporter,
) -> Result<(), WorkerError> {
    let total = (created.len() + updated.len()).max(1) as f32;
    let mut done = 0;
    for ids in created.chunks(IMPORTED_PER_READ).chain(updated.chunks(IMPORTED_PER_READ)) {
        for record in reader.records_by_id(ty, ids)? {
            snapshot.upsert(ty, &record).map_err(WorkerError::OutOfDate)?;
        }
        done += ids.len();
        reporter.report(Some(done as f32 / total), format!("Reading {done} imported records"));
    }
    Ok(())
}

/// The memberships of every record type, as columns over `snapshot`; the snapshot gets
/// them too, with every segment's definition, for segment conditions ("is in segment X").
pub fn load_memberships(reader: &Workspace, snapshot: &mut Snapshot) -> Result<Memberships, WorkerError> {
    let mut memberships = Memberships::default();
    let types: Vec<_> = snapshot.schema().types.iter().map(|def| def.name.clone()).collect();
    for (ty, pairs) in types.iter().zip(reader.memberships_of_types(&types)?) {
        memberships.set_column(ty.clone(), MemberColumn::load(snapshot, ty, &pairs));
    }
    memberships.share_all(snapshot);
    snapshot.set_definitions(reader.segment_definitions()?);
    Ok(memberships)
}
