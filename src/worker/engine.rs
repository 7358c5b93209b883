//! The engine worker: keeps the columnar snapshot of the open workspace in memory, built
//! in the background when the workspace opens and updated record by record as the user
//! edits, and answers previews (how many records a segment matches, how many of those a
//! higher-priority segment claims, the first ones newest first). Newest request wins.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::domain::{EvalContext, Group, Record, RecordBatch, RecordId, RecordTypeDef, RecordTypeName};
use crate::engine::fast::{Compiled, compile};
use crate::engine::priority::{SortKey, preview_against};
use crate::engine::snapshot::{Snapshot, TypeBuilder};
use crate::store::Workspace;

use super::Waker;
use super::jobs::Progress;

pub enum EngineRequest {
    /// Preview `conditions` for `record_type` below the active segments `higher`.
    Preview {
        generation: u64,
        record_type: RecordTypeName,
        conditions: Group,
        higher: Vec<Group>,
        now: Timestamp,
        limit: usize,
    },
    /// A record was created or changed.
    Upsert { record_type: RecordTypeName, record: Record },
    /// A record was deleted.
    Remove { record_type: RecordTypeName, id: RecordId },
}

/// What a preview found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PreviewOutcome {
    pub matches: usize,
    pub claimed_by_higher: usize,
    pub would_join: usize,
    /// The first matching records, newest first, with their titles.
    pub first: Vec<(RecordId, String)>,
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
    Preview {
        generation: u64,
        result: Result<PreviewOutcome, String>,
    },
}

pub struct EngineWorker {
    requests: SyncSender<EngineRequest>,
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
        let thread = std::thread::Builder::new()
            .name("engine".into())
            .spawn(move || run(path, request_rx, response_tx, shared, waker))
            .ok();
        Self { requests: request_tx, responses: response_rx, progress, _thread: thread }
    }

    /// Queues a request; false when the worker is gone or its queue is full.
    pub fn send(&self, request: EngineRequest) -> bool {
        self.requests.try_send(request).is_ok()
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

/// Opens a reader on the workspace at `path` and builds the snapshot of its records: every
/// type read on its own thread, from its own reader connection, in batches that its own
/// builder thread puts straight into columns (no list of records is held). Reading (SQLite,
/// decoding) and building (interning texts) thus overlap, for every type at once.
/// `progress` gets the fraction of records built so far.
pub fn load_snapshot(path: &std::path::Path, progress: &(dyn Fn(f32) + Sync)) -> Result<(Workspace, Snapshot), String> {
    load_types(path, None, progress)
}

/// [`load_snapshot`] of the types in `only` (all types when `None`); the others are left
/// empty, lookups into them pointing at placeholder rows. For measuring one type's load.
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
    let loaded = load(&path, &shared, waker.as_ref());
    set_progress(&shared, waker.as_ref(), None);
    let (reader, mut snapshot) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => {
            // The app learns why; the worker has nothing to serve.
            if responses.send(EngineResponse::Failed(error)).is_ok() {
                waker.wake();
            }
            return;
        }
    };
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
        // Record changes all apply, in order; of the previews only the newest is answered.
        let newest_preview = batch.iter().rposition(|r| matches!(r, EngineRequest::Preview { .. }));
        let mut preview = None;
        for (index, request) in batch.into_iter().enumerate() {
            match request {
                EngineRequest::Upsert { record_type, record } => {
                    // A record the snapshot cannot take is left out of previews until reload.
                    snapshot.upsert(&record_type, &record).ok();
                }
                EngineRequest::Remove { record_type, id } => {
                    snapshot.remove(&record_type, id).ok();
                }
                request @ EngineRequest::Preview { .. } if Some(index) == newest_preview => preview = Some(request),
                EngineRequest::Preview { .. } => {}
            }
        }
        if let Some(EngineRequest::Preview { generation, record_type, conditions, higher, now, limit }) = preview {
            let result = run_preview(&snapshot, &reader, &record_type, &conditions, &higher, now, limit);
            if responses.send(EngineResponse::Preview { generation, result }).is_err() {
                return;
            }
            waker.wake();
        }
    }
}

fn run_preview(
    snapshot: &Snapshot,
    reader: &Workspace,
    record_type: &RecordTypeName,
    conditions: &Group,
    higher: &[Group],
    now: Timestamp,
    limit: usize,
) -> Result<PreviewOutcome, String> {
    let started = Instant::now();
    let ctx = EvalContext::new(now, snapshot.time_zone().clone());
    let edited = compile(snapshot, record_type, conditions, &ctx).map_err(|e| e.to_string())?;
    let higher: Vec<Compiled> = higher
        .iter()
        .map(|g| compile(snapshot, record_type, g, &ctx))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let higher_refs: Vec<&Compiled> = higher.iter().collect();
    let result = preview_against(snapshot, &edited, &higher_refs, &SortKey::newest_first(), limit);
    let elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
    let titles = reader.record_titles(record_type, &result.first).map_err(|e| e.to_string())?;
    let first =
        result.first.iter().map(|id| (*id, titles.get(id).cloned().unwrap_or_else(|| format!("#{id}")))).collect();
    Ok(PreviewOutcome {
        matches: result.matches,
        claimed_by_higher: result.claimed_by_higher,
        would_join: result.would_join,
        first,
        elapsed_ms,
    })
}
