//! The engine worker: keeps the columnar snapshot of the open workspace in memory, built
//! in the background when the workspace opens and updated record by record as the user
//! edits, and answers previews (how many records a segment matches, how many of those a
//! higher-priority segment claims, the first ones newest first). Newest request wins.
//!
//! It also holds every record's membership (a column per type) and runs the lifecycle:
//! the impact of a plan (activate, save an active segment, reorder, re-evaluate), applying
//! it through its own writer connection in one transaction with progress and cancel
//! (answers come back as [`Job`]s), and evaluating records as they are saved.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::domain::membership::{fields_used_by_active, update_matters};
use crate::domain::{
    EvalContext, Group, Impact, LifecyclePlan, MembershipReason, Record, RecordBatch, RecordId, RecordTypeDef,
    RecordTypeName, Scope, Segment, SegmentId,
};
use crate::engine::fast::{Compiled, compile};
use crate::engine::membership::{MemberColumn, Memberships, evaluate_memberships};
use crate::engine::priority::{SortKey, claims, ordered_rows};
use crate::engine::snapshot::{Snapshot, TypeBuilder};
use crate::engine::{Bitset, EngineError};
use crate::store::{ApplyOutcome, PendingMarks, Workspace};

use super::Waker;
use super::jobs::{Completion, Job, Progress, Reporter};
use super::pending::pending_upto;

pub enum EngineRequest {
    /// Preview `conditions` for `record_type` below the active segments `higher`.
    Preview {
        generation: u64,
        record_type: RecordTypeName,
        conditions: Group,
        /// The active segments above it, highest first.
        higher: Vec<(SegmentId, Group)>,
        sort: SortKey,
        now: Timestamp,
        limit: usize,
    },
    /// A record was created or changed.
    Upsert { record_type: RecordTypeName, record: Record },
    /// A record was deleted (the store removed its membership).
    Remove { record_type: RecordTypeName, id: RecordId },
    /// Records were created or updated (in the app or by import): take them into the
    /// snapshot and evaluate those that are new or changed a field some active segment
    /// uses. Sent by [`EngineWorker::records_saved`].
    RecordsSaved {
        record_type: RecordTypeName,
        records: Vec<SavedRecord>,
        /// Every segment of the record type.
        segments: Vec<Segment>,
        now: Timestamp,
        reply: Completion<Result<Applied, String>>,
    },
    /// Records were imported: read back from the workspace into the snapshot in batches,
    /// then the records the import marked "still to evaluate" (the `created` ones and the
    /// updated ones that matter) evaluated against the stored active segments, the marks
    /// cleared in the same transaction ([`Lifecycle::finish_pending`]). Sent by
    /// [`EngineWorker::records_imported`].
    RecordsImported {
        record_type: RecordTypeName,
        created: Vec<RecordId>,
        updated: Vec<RecordId>,
        pending: Option<PendingMarks>,
        now: Timestamp,
        reply: Completion<Result<Applied, String>>,
    },
    /// The impact of a plan. Sent by [`EngineWorker::impact`]; of several pending, only
    /// the newest is computed.
    Impact { plan: LifecyclePlan, reply: Completion<Result<ImpactOutcome, String>> },
    /// Evaluate a plan and write it. Sent by [`EngineWorker::apply`].
    Apply { plan: LifecyclePlan, reply: Completion<Result<Applied, String>> },
    /// Another program added, changed or deleted these records: read them again from the
    /// workspace into the snapshot and evaluate them like saved records (deleted ones
    /// leave). Sent by [`EngineWorker::changed_elsewhere`].
    ChangedElsewhere {
        record_type: RecordTypeName,
        ids: Vec<RecordId>,
        /// Every segment of the record type.
        segments: Vec<Segment>,
        now: Timestamp,
        reply: Completion<Result<Applied, String>>,
    },
    /// Read the memberships of a type again from the workspace: after a change made
    /// elsewhere (a segment deleted). Sent by [`EngineWorker::reload_memberships`].
    ReloadMemberships { record_type: RecordTypeName, reply: Completion<Result<(), String>> },
}

/// A record as saved, with its values before (`None` when it was created).
#[derive(Clone, Debug, PartialEq)]
pub struct SavedRecord {
    pub before: Option<Record>,
    pub after: Record,
}

pub use crate::domain::preview::{ImpactOutcome, PreviewOutcome, PreviewRow};

/// What an apply did.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    /// Committed with what changed, or cancelled (nothing written).
    pub outcome: ApplyOutcome,
    /// Members per segment of the record type afterwards (segments with none are absent).
    pub member_counts: HashMap<SegmentId, u64>,
    /// Of those, the ones no seller owns yet (absent means none).
    pub unassigned_counts: HashMap<SegmentId, u64>,
    pub elapsed_ms: f64,
}

pub enum EngineResponse {
    /// The snapshot is built: how many records, how much memory, how long it took.
    Ready {
        records: usize,
        heap_bytes: usize,
        elapsed_ms: f64,
    },
    Failed(String),
    /// The snapshot could not take a record change (a record type it does not know: the
    /// schema changed under it); previews are out of date until the engine starts again.
    OutOfDate(EngineError),
    /// Before `Ready`: records an interrupted import left marked "still to evaluate" were
    /// evaluated (see [`crate::worker::pending`]); per record type, what was applied.
    Evaluated(Result<Vec<(RecordTypeName, Applied)>, String>),
    Preview {
        generation: u64,
        result: Result<PreviewOutcome, String>,
    },
}

pub struct EngineWorker {
    requests: SyncSender<EngineRequest>,
    waker: Arc<dyn Waker>,
    responses: Receiver<EngineResponse>,
    progress: Arc<Mutex<Option<Progress>>>,
    /// Never joined: dropping the worker drops its request sender, and the thread ends
    /// after its current work when it sees the hang-up. Joining would hold the UI thread for
    /// as long as that work takes (a snapshot load, a million-row sort).
    _thread: Option<JoinHandle<()>>,
}

impl EngineWorker {
    /// Starts building the snapshot of the workspace at `path` through a reader connection.
    pub fn start(path: PathBuf, waker: Arc<dyn Waker>) -> Self {
        let (request_tx, request_rx) = sync_channel::<EngineRequest>(256);
        let (response_tx, response_rx) = sync_channel::<EngineResponse>(16);
        let progress = Arc::new(Mutex::new(Some(Progress { fraction: None, message: "Loading records".into() })));
        let shared = progress.clone();
        let thread_waker = waker.clone();
        let failed_tx = response_tx.clone();
        let thread = match std::thread::Builder::new()
            .name("engine".into())
            .spawn(move || run(path, request_rx, response_tx, shared, thread_waker))
        {
            Ok(thread) => Some(thread),
            Err(error) => {
                // Said once, like a failed load: the worker has nothing to serve.
                let failed = EngineResponse::Failed(format!("could not start the engine thread: {error}"));
                if failed_tx.try_send(failed).is_ok() {
                    waker.wake();
                }
                None
            }
        };
        Self { requests: request_tx, waker, responses: response_rx, progress, _thread: thread }
    }

    /// Queues a request; false when the worker is gone or its queue is full.
    pub fn send(&self, request: EngineRequest) -> bool {
        self.requests.try_send(request).is_ok()
    }

    /// Computes the impact of `plan` (joins, leaves, moves per segment, claimed by higher)
    /// without changing anything. Drop or cancel the job when the dialog closes.
    pub fn impact(&self, plan: LifecyclePlan) -> Job<Result<ImpactOutcome, String>> {
        let (job, reply) = Job::pending("Computing the impact", self.waker.clone());
        self.queue(EngineRequest::Impact { plan, reply });
        job
    }

    /// Evaluates `plan` and writes its segment change, memberships and history in one
    /// transaction, with progress; cancelling the job rolls everything back.
    pub fn apply(&self, plan: LifecyclePlan) -> Job<Result<Applied, String>> {
        let (job, reply) = Job::pending("Applying to existing records", self.waker.clone());
        self.queue(EngineRequest::Apply { plan, reply });
        job
    }

    /// Tells the engine about created or updated records (instead of `Upsert`) and
    /// evaluates the ones that matter against the active `segments` of the type.
    pub fn records_saved(
        &self,
        record_type: RecordTypeName,
        records: Vec<SavedRecord>,
        segments: Vec<Segment>,
        now: Timestamp,
    ) -> Job<Result<Applied, String>> {
        let (job, reply) = Job::pending("Evaluating saved records", self.waker.clone());
        self.queue(EngineRequest::RecordsSaved { record_type, records, segments, now, reply });
        job
    }

    /// Tells the engine about imported records by id (see [`crate::worker::import`]): it
    /// reads them from the workspace and evaluates the ones the import marked. The active
    /// segments are read from the workspace with the marks; `_segments` is what the window
    /// shows, the same.
    pub fn records_imported(
        &self,
        record_type: RecordTypeName,
        imported: &crate::worker::import::Imported,
        _segments: Vec<Segment>,
        now: Timestamp,
    ) -> Job<Result<Applied, String>> {
        let (job, reply) = Job::pending("Evaluating imported records", self.waker.clone());
        self.queue(EngineRequest::RecordsImported {
            record_type,
            created: imported.created.clone(),
            updated: imported.updated.clone(),
            pending: imported.pending,
            now,
            reply,
        });
        job
    }

    /// Tells the engine about records another program changed (see
    /// [`crate::worker::watch`]): it reads them again and evaluates them.
    pub fn changed_elsewhere(
        &self,
        record_type: RecordTypeName,
        ids: Vec<RecordId>,
        segments: Vec<Segment>,
        now: Timestamp,
    ) -> Job<Result<Applied, String>> {
        let (job, reply) = Job::pending("Reading records changed by another program", self.waker.clone());
        self.queue(EngineRequest::ChangedElsewhere { record_type, ids, segments, now, reply });
        job
    }

    /// Reads the memberships of `record_type` again from the workspace, after a change the
    /// engine did not make (deleting a segment through the store).
    pub fn reload_memberships(&self, record_type: RecordTypeName) -> Job<Result<(), String>> {
        let (job, reply) = Job::pending("Reloading memberships", self.waker.clone());
        self.queue(EngineRequest::ReloadMemberships { record_type, reply });
        job
    }

    /// Sends a request that carries a [`Completion`]; a full queue or a stopped worker
    /// finishes it at once with an error.
    fn queue(&self, request: EngineRequest) {
        let busy = |what: &str| format!("the engine could not take the {what}: it is busy or stopped");
        match self.requests.try_send(request) {
            Ok(()) => {}
            Err(TrySendError::Full(request) | TrySendError::Disconnected(request)) => match request {
                EngineRequest::Impact { reply, .. } => reply.finish(Err(busy("impact request"))),
                EngineRequest::Apply { reply, .. } => reply.finish(Err(busy("change"))),
                EngineRequest::RecordsSaved { reply, .. } => reply.finish(Err(busy("saved records"))),
                EngineRequest::RecordsImported { reply, .. } => reply.finish(Err(busy("imported records"))),
                EngineRequest::ChangedElsewhere { reply, .. } => reply.finish(Err(busy("changed records"))),
                EngineRequest::ReloadMemberships { reply, .. } => reply.finish(Err(busy("membership reload"))),
                _ => {}
            },
        }
    }

    pub fn try_recv(&self) -> Option<EngineResponse> {
        self.responses.try_recv().ok()
    }

    /// Progress of the initial load; `None` once it is done.
    pub fn progress(&self) -> Option<Progress> {
        self.progress.lock().ok().and_then(|p| p.clone())
    }
}

fn set_progress(shared: &Mutex<Option<Progress>>, waker: &dyn Waker, progress: Option<Progress>) {
    if let Ok(mut slot) = shared.lock() {
        *slot = progress;
    }
    waker.wake();
}

fn load(
    path: &std::path::Path,
    shared: &Mutex<Option<Progress>>,
    waker: &dyn Waker,
) -> Result<(Workspace, Snapshot), String> {
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
/// built by [`load_types`]. `progress` gets the fraction of records built so far.
pub fn load_snapshot(path: &std::path::Path, progress: &(dyn Fn(f32) + Sync)) -> Result<(Workspace, Snapshot), String> {
    super::column_cache::load_with_cache(path, progress, &|| Ok(())).map(|(reader, snapshot, _)| (reader, snapshot))
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
) -> Result<(Workspace, Snapshot), String> {
    let reader = Workspace::open_reader(path).map_err(|e| e.to_string())?;
    let schema = reader.schema().clone();
    let time_zone = TimeZone::get(reader.time_zone()).unwrap_or(TimeZone::UTC);
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
                .ok_or_else(|| format!("the workspace has no record type \"{}\"", def.name))?;
            builder.reserve(usize::try_from(count).unwrap_or_default());
            let (full_tx, full_rx) = sync_channel::<RecordBatch>(BATCHES_IN_FLIGHT);
            let (spare_tx, spare_rx) = sync_channel::<RecordBatch>(BATCHES_IN_FLIGHT);
            let name = &def.name;
            let fields = def.fields.len();
            let reading = std::thread::Builder::new()
                .name(format!("load {name}"))
                .spawn_scoped(scope, move || read_batches(path, name, fields, &full_tx, &spare_rx))
                .map_err(|e| format!("could not start reading {name}: {e}"))?;
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
                .map_err(|e| format!("could not start building {name}: {e}"))?;
            started.push((name, reading, building));
        }
        let mut builders = Vec::with_capacity(started.len());
        for (name, reading, building) in started {
            let stopped = || format!("loading {name} stopped unexpectedly");
            reading.join().map_err(|_| stopped())??;
            builders.push(building.join().map_err(|_| stopped())?);
        }
        Ok::<_, String>(builders)
    })?;
    progress(1.0);
    let teams = reader.teams().map_err(|e| e.to_string())?.into_iter().map(|t| (t.id, t.members));
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
) -> Result<(), String> {
    let own = Workspace::open_reader(path).map_err(|e| e.to_string())?;
    own.for_each_batch(name, RECORDS_PER_BATCH, &mut |batch| {
        let next = spare.try_recv().unwrap_or_else(|_| RecordBatch::with_capacity(fields, RECORDS_PER_BATCH));
        // Only fails when the builder is gone, and then nobody wants more.
        full.send(std::mem::replace(batch, next)).is_ok()
    })
    .map_err(|e| e.to_string())?;
    Ok(())
}

fn run(
    path: PathBuf,
    requests: Receiver<EngineRequest>,
    responses: SyncSender<EngineResponse>,
    shared: Arc<Mutex<Option<Progress>>>,
    waker: Arc<dyn Waker>,
) {
    let started = Instant::now();
    // The marks first: every record they name is then in the snapshot.
    let loaded = pending_upto(&path).and_then(|marks| Ok((marks, load(&path, &shared, waker.as_ref())?)));
    let loaded = loaded.and_then(|(marks, (reader, snapshot))| {
        let memberships = load_memberships(&reader, &snapshot)?;
        Ok((marks, reader, snapshot, memberships))
    });
    // Opened on the first apply: most sessions only preview.
    let mut writer: Option<Workspace> = None;
    let (marks, reader, mut snapshot, mut memberships) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => {
            set_progress(&shared, waker.as_ref(), None);
            // The app learns why; the worker has nothing to serve.
            if responses.send(EngineResponse::Failed(error)).is_ok() {
                waker.wake();
            }
            return;
        }
    };
    // Before anything else: the records an interrupted import left unevaluated.
    if let Some(marks) = marks {
        let message = "Evaluating imported records".to_owned();
        set_progress(&shared, waker.as_ref(), Some(Progress { fraction: None, message }));
        let (_job, completion) = Job::<()>::pending("Evaluating imported records", waker.clone());
        let mut lifecycle =
            Lifecycle { path: &path, snapshot: &mut snapshot, memberships: &mut memberships, writer: &mut writer };
        let finished = lifecycle.finish_pending(&reader, marks, crate::clock::now(), completion.reporter());
        checkpoint(&writer);
        if responses.send(EngineResponse::Evaluated(finished)).is_err() {
            return;
        }
    }
    set_progress(&shared, waker.as_ref(), None);
    let records =
        snapshot.schema().types.iter().filter_map(|t| snapshot.type_snapshot(&t.name)).map(|t| t.live_count()).sum();
    let ready = EngineResponse::Ready {
        records,
        heap_bytes: snapshot.heap_bytes(),
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
    };
    if responses.send(ready).is_err() {
        return;
    }
    waker.wake();

    while let Ok(first) = requests.recv() {
        let mut batch = vec![first];
        loop {
            match requests.try_recv() {
                Ok(request) => batch.push(request),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        // Record changes and applies run in order; of the previews and of the impacts only
        // the newest is answered, after them.
        let newest_preview = batch.iter().rposition(|r| matches!(r, EngineRequest::Preview { .. }));
        let newest_impact = batch.iter().rposition(|r| matches!(r, EngineRequest::Impact { .. }));
        let mut preview = None;
        let mut impact = None;
        for (index, request) in batch.into_iter().enumerate() {
            match request {
                EngineRequest::Upsert { record_type, record } => {
                    if let Err(error) = snapshot.upsert(&record_type, &record) {
                        if responses.send(EngineResponse::OutOfDate(error)).is_err() {
                            return;
                        }
                        waker.wake();
                    }
                }
                EngineRequest::Remove { record_type, id } => {
                    let row = snapshot.type_snapshot(&record_type).and_then(|t| t.row_of(id));
                    if let Some(row) = row {
                        memberships.column_mut(&record_type).set(row, None);
                    }
                    if let Err(error) = snapshot.remove(&record_type, id) {
                        if responses.send(EngineResponse::OutOfDate(error)).is_err() {
                            return;
                        }
                        waker.wake();
                    }
                }
                request @ EngineRequest::Preview { .. } if Some(index) == newest_preview => preview = Some(request),
                EngineRequest::Preview { .. } => {}
                EngineRequest::Impact { plan, reply } if Some(index) == newest_impact => impact = Some((plan, reply)),
                EngineRequest::Impact { reply, .. } => {
                    reply.finish(Err("a newer impact request replaced this one".to_owned()));
                }
                EngineRequest::Apply { plan, reply } => {
                    let mut lifecycle = Lifecycle {
                        path: &path,
                        snapshot: &mut snapshot,
                        memberships: &mut memberships,
                        writer: &mut writer,
                    };
                    let result = lifecycle.apply(&plan, reply.reporter());
                    reply.finish(result);
                    checkpoint(&writer);
                }
                EngineRequest::RecordsSaved { record_type, records, segments, now, reply } => {
                    let taken = records.iter().try_for_each(|saved| snapshot.upsert(&record_type, &saved.after));
                    if let Err(error) = taken {
                        reply.finish(Err(format!("the previews are out of date: {error}")));
                        continue;
                    }
                    let mut lifecycle = Lifecycle {
                        path: &path,
                        snapshot: &mut snapshot,
                        memberships: &mut memberships,
                        writer: &mut writer,
                    };
                    let result = lifecycle.records_saved(&record_type, &records, &segments, now, reply.reporter());
                    reply.finish(result);
                    checkpoint(&writer);
                }
                EngineRequest::RecordsImported { record_type, created, updated, pending, now, reply } => {
                    let result =
                        read_into_snapshot(&reader, &mut snapshot, &record_type, &created, &updated, reply.reporter())
                            .and_then(|()| {
                                let mut lifecycle = Lifecycle {
                                    path: &path,
                                    snapshot: &mut snapshot,
                                    memberships: &mut memberships,
                                    writer: &mut writer,
                                };
                                let Some(marks) = pending else {
                                    let nothing = ApplyOutcome::Applied(Impact::default());
                                    return Ok(lifecycle.applied(&record_type, nothing, Instant::now()));
                                };
                                let finished = lifecycle.finish_pending(&reader, marks, now, reply.reporter())?;
                                Ok(match finished.into_iter().find(|(ty, _)| *ty == record_type) {
                                    Some((_, applied)) => applied,
                                    None => lifecycle.applied(
                                        &record_type,
                                        ApplyOutcome::Applied(Impact::default()),
                                        Instant::now(),
                                    ),
                                })
                            });
                    reply.finish(result);
                    checkpoint(&writer);
                }
                EngineRequest::ChangedElsewhere { record_type, ids, segments, now, reply } => {
                    let mut lifecycle = Lifecycle {
                        path: &path,
                        snapshot: &mut snapshot,
                        memberships: &mut memberships,
                        writer: &mut writer,
                    };
                    let result = super::watch::take_changed_elsewhere(
                        &reader,
                        &mut lifecycle,
                        &record_type,
                        &ids,
                        &segments,
                        now,
                        reply.reporter(),
                    );
                    reply.finish(result);
                    checkpoint(&writer);
                }
                EngineRequest::ReloadMemberships { record_type, reply } => {
                    let result = reader.memberships(&record_type).map_err(|e| e.to_string()).map(|pairs| {
                        let column = MemberColumn::load(&snapshot, &record_type, &pairs);
                        memberships.set_column(record_type.clone(), column);
                    });
                    reply.finish(result);
                }
            }
        }
        if let Some((plan, reply)) = impact
            && !reply.reporter().is_cancelled()
        {
            reply.finish(run_impact(&snapshot, &memberships, &plan));
        }
        if let Some(EngineRequest::Preview { generation, record_type, conditions, higher, sort, now, limit }) = preview
        {
            let asked =
                Asked { record_type: &record_type, conditions: &conditions, higher: &higher, sort: &sort, now, limit };
            let result = run_preview(&snapshot, &reader, &asked);
            if responses.send(EngineResponse::Preview { generation, result }).is_err() {
                return;
            }
            waker.wake();
        }
    }
}

/// Records read back into the snapshot per batch of ids.
const IMPORTED_PER_READ: usize = 10_000;

/// The `created` and `updated` records of `ty` read from the workspace into the snapshot, a
/// batch at a time (an import does not hand over the records themselves).
fn read_into_snapshot(
    reader: &Workspace,
    snapshot: &mut Snapshot,
    ty: &RecordTypeName,
    created: &[RecordId],
    updated: &[RecordId],
    reporter: &Reporter,
) -> Result<(), String> {
    let total = (created.len() + updated.len()).max(1) as f32;
    let mut done = 0;
    for ids in created.chunks(IMPORTED_PER_READ).chain(updated.chunks(IMPORTED_PER_READ)) {
        for record in reader.records_by_id(ty, ids).map_err(|e| e.to_string())? {
            snapshot.upsert(ty, &record).map_err(|e| format!("the previews are out of date: {e}"))?;
        }
        done += ids.len();
        reporter.report(Some(done as f32 / total), format!("Reading {done} imported records"));
    }
    Ok(())
}

/// After answering an apply: copy the writer's commits back into the file (its commits do
/// not). A checkpoint that cannot run now loses nothing: the changes are committed in the
/// WAL, and the next one (or the app's connection) copies them.
fn checkpoint(writer: &Option<Workspace>) {
    if let Some(writer) = writer {
        writer.checkpoint().ok();
    }
}

/// The memberships of every record type, as columns over `snapshot`.
pub fn load_memberships(reader: &Workspace, snapshot: &Snapshot) -> Result<Memberships, String> {
    let mut memberships = Memberships::default();
    for def in &snapshot.schema().types {
        let pairs = reader.memberships(&def.name).map_err(|e| e.to_string())?;
        memberships.set_column(def.name.clone(), MemberColumn::load(snapshot, &def.name, &pairs));
    }
    Ok(memberships)
}

/// The impact of `plan` on the records in `snapshot` with the current `memberships`.
pub fn run_impact(
    snapshot: &Snapshot,
    memberships: &Memberships,
    plan: &LifecyclePlan,
) -> Result<ImpactOutcome, String> {
    let started = Instant::now();
    let ctx = EvalContext::new(plan.now, snapshot.time_zone().clone());
    let empty = MemberColumn::default();
    let members = memberships.column(&plan.record_type).unwrap_or(&empty);
    let evaluated = evaluate_memberships(snapshot, &plan.record_type, &plan.segments, members, plan.scope, None, &ctx)
        .map_err(|e| e.to_string())?;
    Ok(ImpactOutcome { impact: evaluated.impact, elapsed_ms: started.elapsed().as_secs_f64() * 1e3 })
}

/// Evaluating and writing memberships: the snapshot, the membership columns, and a writer
/// connection opened on first use.
pub struct Lifecycle<'a> {
    pub path: &'a std::path::Path,
    /// Mutable so owners the apply's assignment set reach it (`sync_owners`).
    pub snapshot: &'a mut Snapshot,
    pub memberships: &'a mut Memberships,
    /// The writer connection (opened on `path` when `None`).
    pub writer: &'a mut Option<Workspace>,
}

impl Lifecycle<'_> {
    /// Evaluates `plan` and writes it (segment change, memberships, history) in one
    /// transaction; `reporter` shows progress and carries the cancel.
    pub fn apply(&mut self, plan: &LifecyclePlan, reporter: &Reporter) -> Result<Applied, String> {
        let started = Instant::now();
        reporter.report(None, "Evaluating records");
        let ctx = EvalContext::new(plan.now, self.snapshot.time_zone().clone());
        let empty = MemberColumn::default();
        let members = self.memberships.column(&plan.record_type).unwrap_or(&empty);
        let evaluated =
            evaluate_memberships(self.snapshot, &plan.record_type, &plan.segments, members, plan.scope, None, &ctx)
                .map_err(|e| e.to_string())?;
        let outcome = if reporter.is_cancelled() {
            ApplyOutcome::Cancelled
        } else {
            self.write(&plan.edit, &evaluated.changes, plan.reason, plan.now, reporter)?
        };
        let mut outcome = outcome;
        if let ApplyOutcome::Applied(impact) = &mut outcome {
            impact.claimed_by_higher = evaluated.impact.claimed_by_higher;
        }
        Ok(self.applied(&plan.record_type, outcome, started))
    }

    /// Evaluates the saved records that are new or changed a field an active segment uses
    /// (all active segments, every change), and writes the changes.
    pub fn records_saved(
        &mut self,
        record_type: &RecordTypeName,
        records: &[SavedRecord],
        segments: &[Segment],
        now: Timestamp,
        reporter: &Reporter,
    ) -> Result<Applied, String> {
        let started = Instant::now();
        let def = self
            .snapshot
            .schema()
            .get(record_type)
            .ok_or_else(|| format!("the workspace has no record type \"{record_type}\""))?;
        let used = fields_used_by_active(segments);
        let rows = self.snapshot.type_snapshot(record_type).map_or(0, |t| t.rows());
        let mut created = Bitset::empty(rows);
        let mut updated = Bitset::empty(rows);
        for saved in records {
            let Some(row) = self.snapshot.type_snapshot(record_type).and_then(|t| t.row_of(saved.after.id)) else {
                continue;
            };
            match &saved.before {
                None => created.insert(row),
                Some(before) if update_matters(def, Some(before), &saved.after, &used) => updated.insert(row),
                Some(_) => {}
            }
        }
        self.evaluate_saved(record_type, created, updated, segments, now, reporter, started)
    }

    /// [`Lifecycle::records_saved`] for records already in the snapshot, by id: the ones
    /// `created`, and the updated ones whose change touches a field an active segment uses
    /// (an import keeps only these ids, not every record before and after).
    pub fn records_written(
        &mut self,
        record_type: &RecordTypeName,
        created: &[RecordId],
        changed: &[RecordId],
        segments: &[Segment],
        now: Timestamp,
        reporter: &Reporter,
    ) -> Result<Applied, String> {
        let started = Instant::now();
        let records = self
            .snapshot
            .type_snapshot(record_type)
            .ok_or_else(|| format!("the workspace has no record type \"{record_type}\""))?;
        let rows_of = |ids: &[RecordId]| {
            let mut rows = Bitset::empty(records.rows());
            for row in ids.iter().filter_map(|id| records.row_of(*id)) {
                rows.insert(row);
            }
            rows
        };
        let (created, updated) = (rows_of(created), rows_of(changed));
        self.evaluate_saved(record_type, created, updated, segments, now, reporter, started)
    }

    /// Evaluates the `created` rows, then the `updated` ones, and writes their changes.
    #[allow(clippy::too_many_arguments)]
    fn evaluate_saved(
        &mut self,
        record_type: &RecordTypeName,
        created: Bitset,
        updated: Bitset,
        segments: &[Segment],
        now: Timestamp,
        reporter: &Reporter,
        started: Instant,
    ) -> Result<Applied, String> {
        let ctx = EvalContext::new(now, self.snapshot.time_zone().clone());
        let mut total = Impact::default();
        for (rows, reason) in [(created, MembershipReason::RecordCreated), (updated, MembershipReason::RecordUpdated)] {
            if rows.count() == 0 {
                continue;
            }
            let empty = MemberColumn::default();
            let members = self.memberships.column(record_type).unwrap_or(&empty);
            let evaluated =
                evaluate_memberships(self.snapshot, record_type, segments, members, Scope::All, Some(&rows), &ctx)
                    .map_err(|e| e.to_string())?;
            if evaluated.changes.is_empty() {
                continue;
            }
            match self.write(&crate::domain::SegmentEdit::Nothing, &evaluated.changes, reason, now, reporter)? {
                ApplyOutcome::Applied(impact) => add_impact(&mut total, &impact),
                ApplyOutcome::Cancelled => {
                    return Ok(self.applied(record_type, ApplyOutcome::Cancelled, started));
                }
            }
        }
        Ok(self.applied(record_type, ApplyOutcome::Applied(total), started))
    }

    fn write(
        &mut self,
        edit: &crate::domain::SegmentEdit,
        changes: &crate::domain::MembershipChanges,
        reason: MembershipReason,
        now: Timestamp,
        reporter: &Reporter,
    ) -> Result<ApplyOutcome, String> {
        let writer = self.writer()?;
        let mut progress = |done: u64, total: u64| {
            let fraction = if total == 0 { 1.0 } else { done as f32 / total as f32 };
            reporter.report(Some(fraction), format!("Writing {done} of {total} membership changes"))
        };
        let outcome = writer.apply_lifecycle(edit, changes, reason, now, &mut progress).map_err(|e| e.to_string())?;
        if let ApplyOutcome::Applied(_) = outcome {
            self.memberships.column_mut(&changes.record_type).apply(self.snapshot, changes);
            reporter.report(None, "Reading the owners assignment set");
            let Some(writer) = self.writer.as_ref() else { return Err("the workspace writer is not open".to_owned()) };
            sync_owners(writer, self.snapshot, changes)?;
        }
        Ok(outcome)
    }

    /// The writer connection, opened on first use.
    pub fn writer(&mut self) -> Result<&mut Workspace, String> {
        if self.writer.is_none() {
            *self.writer = Some(Workspace::open_worker_writer(self.path).map_err(|e| e.to_string())?);
        }
        self.writer.as_mut().ok_or_else(|| "the workspace writer is not open".to_owned())
    }

    pub(super) fn applied(&self, record_type: &RecordTypeName, outcome: ApplyOutcome, started: Instant) -> Applied {
        let column = self.memberships.column(record_type);
        Applied {
            outcome,
            member_counts: column.map(|c| c.counts()).unwrap_or_default(),
            unassigned_counts: column.map(|c| unassigned_counts(self.snapshot, record_type, c)).unwrap_or_default(),
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        }
    }
}

/// Takes the owner field of the records that joined segments with active rules (which the
/// apply's assignment may have set) from the workspace into the snapshot, so previews,
/// conditions on the owner and unassigned counts see it.
pub(super) fn sync_owners(
    writer: &Workspace,
    snapshot: &mut Snapshot,
    changes: &crate::domain::MembershipChanges,
) -> Result<(), String> {
    let ty = &changes.record_type;
    let has_owner = snapshot
        .schema()
        .get(ty)
        .is_some_and(|def| def.fields.iter().any(|f| f.kind == crate::domain::FieldKind::Owner));
    if !has_owner {
        return Ok(());
    }
    let mut by_segment: HashMap<SegmentId, Vec<RecordId>> = HashMap::new();
    for joined in changes.joined().filter(|j| j.runs_assignment()) {
        by_segment.entry(joined.segment).or_default().push(joined.record);
    }
    for (segment, ids) in by_segment {
        let ruled = writer.rules(segment).map_err(|e| e.to_string())?.iter().any(|r| r.active);
        if !ruled {
            continue;
        }
        for chunk in ids.chunks(10_000) {
            for record in writer.records_by_id(ty, chunk).map_err(|e| e.to_string())? {
                snapshot.upsert(ty, &record).map_err(|e| format!("the previews are out of date: {e}"))?;
            }
        }
    }
    Ok(())
}

/// Per segment, its members whose owner field is empty (as `Workspace::unassigned_counts`
/// counts them), from the snapshot: the rows "owner is empty" matches, by member column.
fn unassigned_counts(snapshot: &Snapshot, ty: &RecordTypeName, members: &MemberColumn) -> HashMap<SegmentId, u64> {
    use crate::domain::{Condition, FieldKind, FieldPath, Node, NodeId, Operand, Operator};
    let mut counts = HashMap::new();
    let Some(def) = snapshot.schema().get(ty) else { return counts };
    let Some(owner) = def.fields.iter().find(|f| f.kind == FieldKind::Owner) else { return counts };
    let tree = Group {
        children: vec![Node::Condition(Condition {
            id: NodeId(1),
            path: FieldPath::own(owner.name.as_str()),
            operator: Operator::IsEmpty,
            value: Operand::None,
        })],
        ..Group::all(NodeId(0))
    };
    // The clock does not matter to "is empty".
    let ctx = EvalContext::new(Timestamp::UNIX_EPOCH, snapshot.time_zone().clone());
    let Ok(compiled) = compile(snapshot, ty, &tree, &ctx) else { return counts };
    for row in compiled.evaluate(snapshot).ones() {
        if let Some(segment) = members.segment_of(row) {
            *counts.entry(segment).or_insert(0) += 1;
        }
    }
    counts
}

pub(super) fn add_impact(total: &mut Impact, more: &Impact) {
    for (segment, n) in &more.joins {
        *total.joins.entry(*segment).or_default() += n;
    }
    for (segment, n) in &more.leaves {
        *total.leaves.entry(*segment).or_default() += n;
    }
    for (pair, n) in &more.moves {
        *total.moves.entry(*pair).or_default() += n;
    }
    total.claimed_by_higher += more.claimed_by_higher;
}

/// One preview request's question.
struct Asked<'a> {
    record_type: &'a RecordTypeName,
    conditions: &'a Group,
    higher: &'a [(SegmentId, Group)],
    sort: &'a SortKey,
    now: Timestamp,
    limit: usize,
}

fn run_preview(snapshot: &Snapshot, reader: &Workspace, asked: &Asked<'_>) -> Result<PreviewOutcome, String> {
    let started = Instant::now();
    let ty = asked.record_type;
    let ctx = EvalContext::new(asked.now, snapshot.time_zone().clone());
    let edited = compile(snapshot, ty, asked.conditions, &ctx).map_err(|e| e.to_string())?;
    let higher: Vec<(SegmentId, Compiled)> = asked
        .higher
        .iter()
        .map(|(id, g)| compile(snapshot, ty, g, &ctx).map(|c| (*id, c)))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
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
