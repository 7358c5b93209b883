//! The engine worker: keeps the columnar snapshot of the open workspace in memory, built
//! in the background when the workspace opens and updated record by record as the user
//! edits, and answers previews (how many records a segment matches, how many of those a
//! higher-priority segment claims, the first ones newest first). Newest request wins.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use rayon::prelude::*;

use crate::domain::{EvalContext, Group, Record, RecordId, RecordTypeName, SegmentId};
use crate::engine::bitset::Bitset;
use crate::engine::fast::{Compiled, compile};
use crate::engine::priority::{SortKey, claims, preview};
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
        /// The active segments above it, highest first.
        higher: Vec<(SegmentId, Group)>,
        sort: SortKey,
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
    /// The first matching records in the asked order.
    pub rows: Vec<PreviewRow>,
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

/// Reports loading progress after this many records of a type.
const PROGRESS_EVERY_RECORDS: u64 = 100_000;

/// Opens a reader on the workspace at `path` and builds the snapshot of its records: every
/// type streamed from its own reader connection straight into its columns (no list of
/// records is held), types in parallel, the biggest first. `progress` gets the fraction of
/// records read so far.
pub fn load_snapshot(path: &std::path::Path, progress: &(dyn Fn(f32) + Sync)) -> Result<(Workspace, Snapshot), String> {
    let reader = Workspace::open_reader(path).map_err(|e| e.to_string())?;
    let schema = reader.schema().clone();
    let time_zone = TimeZone::get(reader.time_zone()).unwrap_or(TimeZone::UTC);
    let counts: Vec<u64> = schema.types.iter().map(|t| reader.count_records(&t.name).unwrap_or(0)).collect();
    let total = counts.iter().sum::<u64>().max(1);
    let loaded = AtomicU64::new(0);
    let mut order: Vec<usize> = (0..schema.types.len()).collect();
    order.sort_by_key(|&t| std::cmp::Reverse(counts[t]));
    let builders = order
        .par_iter()
        .map(|&t| {
            let name = &schema.types[t].name;
            let own = Workspace::open_reader(path).map_err(|e| e.to_string())?;
            let mut builder = TypeBuilder::new(&schema, name, time_zone.clone())
                .ok_or_else(|| format!("the workspace has no record type \"{name}\""))?;
            builder.reserve(usize::try_from(counts[t]).unwrap_or_default());
            let mut unreported = 0;
            own.for_each_record(name, &mut |record| {
                builder.push(record);
                unreported += 1;
                if unreported == PROGRESS_EVERY_RECORDS {
                    let done = loaded.fetch_add(unreported, Ordering::Relaxed) + unreported;
                    progress(done as f32 / total as f32);
                    unreported = 0;
                }
            })
            .map_err(|e| e.to_string())?;
            Ok(builder)
        })
        .collect::<Result<Vec<TypeBuilder>, String>>()?;
    progress(1.0);
    let teams = reader.teams().map_err(|e| e.to_string())?.into_iter().map(|t| (t.id, t.members));
    let snapshot = Snapshot::from_builders(&schema, time_zone, builders, teams);
    Ok((reader, snapshot))
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
    let result = preview(snapshot, &edited, &claimed, asked.sort, asked.limit);
    let elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
    let page = crate::worker::records::fetch(reader, ty, &result.first)?;
    let claimer = |id: RecordId| {
        let row = snapshot.type_snapshot(ty)?.row_of(id)?;
        higher_sets.iter().find(|(_, set)| set.contains(row)).map(|(segment, _)| *segment)
    };
    let rows = page.rows.into_iter().map(|record| PreviewRow { claimed_by: claimer(record.id), record }).collect();
    Ok(PreviewOutcome {
        matches: result.matches,
        claimed_by_higher: result.claimed_by_higher,
        would_join: result.would_join,
        rows,
        titles: page.titles,
        elapsed_ms,
    })
}
