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
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use jiff::Timestamp;

use crate::domain::query::RecordQuery;
use crate::domain::{EvalContext, Group, Impact, LifecyclePlan, Record, RecordId, RecordTypeName, Segment, SegmentId};
use crate::engine::EngineError;
use crate::engine::membership::{MemberColumn, Memberships, share_members};
use crate::engine::priority::SortKey;
use crate::engine::snapshot::Snapshot;
use crate::store::{ApplyOutcome, PendingMarks, Workspace};
use crate::worker::WorkerError;

use super::Waker;
use super::jobs::{Completion, Job, Progress};
use super::pending::pending_upto;

mod analysis;
mod dependents;
mod funnel;
mod lifecycle;
mod load;
mod preview;
mod time;

pub use analysis::SharedAsked;
pub use lifecycle::{Lifecycle, run_impact};
pub(super) use lifecycle::{add_impact, sync_owners};
use load::read_into_snapshot;
pub use load::{load_memberships, load_snapshot, load_types};
use preview::{Asked, run_preview};
pub use time::{Since, TimeEvaluated, clock_segments, time_changes, zone_impact};

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
    /// What each node of `conditions` matches alone and what the tree gains without it
    /// ([`crate::engine::funnel`]); of several pending, only the newest is answered, after
    /// the preview.
    Funnel { generation: u64, record_type: RecordTypeName, conditions: Group, now: Timestamp },
    /// The ids of the records of `record_type` that pass the Records screen's `query`, in
    /// its order ([`crate::engine::records::query_ids`]). Of several pending, only the newest
    /// is answered, after the record changes that came before it.
    RecordIds { generation: u64, record_type: RecordTypeName, query: RecordQuery },
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
        reply: Completion<Result<Applied, WorkerError>>,
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
        reply: Completion<Result<Applied, WorkerError>>,
    },
    /// The impact of a plan. Sent by [`EngineWorker::impact`]; of several pending, only
    /// the newest is computed.
    Impact { plan: LifecyclePlan, reply: Completion<Result<ImpactOutcome, WorkerError>> },
    /// Evaluate a plan and write it. Sent by [`EngineWorker::apply`].
    Apply { plan: LifecyclePlan, reply: Completion<Result<Applied, WorkerError>> },
    /// Another program added, changed or deleted these records: read them again from the
    /// workspace into the snapshot and evaluate them like saved records (deleted ones
    /// leave). Sent by [`EngineWorker::changed_elsewhere`].
    ChangedElsewhere {
        record_type: RecordTypeName,
        ids: Vec<RecordId>,
        /// Every segment of the record type.
        segments: Vec<Segment>,
        now: Timestamp,
        reply: Completion<Result<Applied, WorkerError>>,
    },
    /// Read the memberships of a type again from the workspace: after a change made
    /// elsewhere (a segment deleted). Sent by [`EngineWorker::reload_memberships`].
    ReloadMemberships { record_type: RecordTypeName, reply: Completion<Result<(), WorkerError>> },
    /// The overlap matrix and lint of a record type's segments. Sent by
    /// [`EngineWorker::analyse`].
    Analyse {
        record_type: RecordTypeName,
        segments: Vec<Segment>,
        now: Timestamp,
        reply: Completion<Result<crate::domain::overlap::Analysis, WorkerError>>,
    },
    /// The records two segments share. Sent by [`EngineWorker::shared`].
    Shared { asked: SharedAsked, reply: Completion<Result<crate::domain::overlap::SharedRecords, WorkerError>> },
    /// Time passed: evaluate the segments that read the clock again at `now` and write what
    /// changed. `segments` are every segment of each record type. Sent by
    /// [`EngineWorker::time_passed`].
    TimePassed {
        segments: Vec<(RecordTypeName, Vec<Segment>)>,
        now: Timestamp,
        /// The time zone changed: every record's answer is looked at again.
        zone_changed: bool,
        reply: Completion<Result<TimeEvaluated, WorkerError>>,
    },
}

/// Per record type with a date-based segment, what a change of time zone would do.
pub type ZoneImpacts = Vec<(RecordTypeName, crate::domain::Impact)>;

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
    Failed(WorkerError),
    /// The snapshot could not take a record change (a record type it does not know: the
    /// schema changed under it); previews are out of date until the engine starts again.
    OutOfDate(EngineError),
    /// Before `Ready`: records an interrupted import left marked "still to evaluate" were
    /// evaluated (see [`crate::worker::pending`]); per record type, what was applied.
    Evaluated(Result<Vec<(RecordTypeName, Applied)>, WorkerError>),
    Preview {
        generation: u64,
        result: Result<PreviewOutcome, WorkerError>,
    },
    RecordIds {
        generation: u64,
        result: Result<Vec<RecordId>, WorkerError>,
    },
    Funnel {
        generation: u64,
        result: Result<crate::engine::funnel::Funnel, WorkerError>,
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
                let failed =
                    EngineResponse::Failed(WorkerError::Stopped(format!("could not start the engine thread: {error}")));
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
    pub fn impact(&self, plan: LifecyclePlan) -> Job<Result<ImpactOutcome, WorkerError>> {
        let (job, reply) = Job::pending("Computing the impact", self.waker.clone());
        self.queue(EngineRequest::Impact { plan, reply });
        job
    }

    /// Evaluates `plan` and writes its segment change, memberships and history in one
    /// transaction, with progress; cancelling the job rolls everything back.
    pub fn apply(&self, plan: LifecyclePlan) -> Job<Result<Applied, WorkerError>> {
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
    ) -> Job<Result<Applied, WorkerError>> {
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
    ) -> Job<Result<Applied, WorkerError>> {
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
    ) -> Job<Result<Applied, WorkerError>> {
        let (job, reply) = Job::pending("Reading records changed by another program", self.waker.clone());
        self.queue(EngineRequest::ChangedElsewhere { record_type, ids, segments, now, reply });
        job
    }

    /// Reads the memberships of `record_type` again from the workspace, after a change the
    /// engine did not make (deleting a segment through the store).
    pub fn reload_memberships(&self, record_type: RecordTypeName) -> Job<Result<(), WorkerError>> {
        let (job, reply) = Job::pending("Reloading memberships", self.waker.clone());
        self.queue(EngineRequest::ReloadMemberships { record_type, reply });
        job
    }

    /// Evaluates the date-based segments again at `now` and writes the records whose answer
    /// changed (reason "time passed").
    pub fn time_passed(
        &self,
        segments: Vec<(RecordTypeName, Vec<Segment>)>,
        now: Timestamp,
        zone_changed: bool,
    ) -> Job<Result<TimeEvaluated, WorkerError>> {
        let (job, reply) = Job::pending("Evaluating date-based segments", self.waker.clone());
        self.queue(EngineRequest::TimePassed { segments, now, zone_changed, reply });
        job
    }

    /// Sends a request that carries a [`Completion`]; a full queue or a stopped worker
    /// finishes it at once with an error.
    fn queue(&self, request: EngineRequest) {
        let busy =
            |what: &str| WorkerError::Stopped(format!("the engine could not take the {what}: it is busy or stopped"));
        match self.requests.try_send(request) {
            Ok(()) => {}
            Err(TrySendError::Full(request) | TrySendError::Disconnected(request)) => match request {
                EngineRequest::Impact { reply, .. } => reply.finish(Err(busy("impact request"))),
                EngineRequest::Apply { reply, .. } => reply.finish(Err(busy("change"))),
                EngineRequest::RecordsSaved { reply, .. } => reply.finish(Err(busy("saved records"))),
                EngineRequest::RecordsImported { reply, .. } => reply.finish(Err(busy("imported records"))),
                EngineRequest::ChangedElsewhere { reply, .. } => reply.finish(Err(busy("changed records"))),
                EngineRequest::ReloadMemberships { reply, .. } => reply.finish(Err(busy("membership reload"))),
                EngineRequest::TimePassed { reply, .. } => reply.finish(Err(busy("evaluation of date-based segments"))),
                EngineRequest::Analyse { reply, .. } => reply.finish(Err(busy("comparison of segments"))),
                EngineRequest::Shared { reply, .. } => reply.finish(Err(busy("shared records"))),
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

fn run(
    path: PathBuf,
    requests: Receiver<EngineRequest>,
    responses: SyncSender<EngineResponse>,
    shared: Arc<Mutex<Option<Progress>>>,
    waker: Arc<dyn Waker>,
) {
    let Some(mut engine) = Engine::start(path, responses, &shared, waker) else { return };
    while let Some(batch) = funnel::next_batch(&mut engine, &requests) {
        if engine.answer(batch).is_err() {
            return;
        }
    }
}

/// The app stopped listening: the worker ends.
struct Gone;

/// What the worker holds while it serves: the snapshot, every record's membership, the
/// reader it was built from and the writer of applies.
struct Engine {
    path: PathBuf,
    reader: Workspace,
    snapshot: Snapshot,
    memberships: Memberships,
    /// Opened on the first apply: most sessions only preview.
    writer: Option<Workspace>,
    responses: SyncSender<EngineResponse>,
    waker: Arc<dyn Waker>,
    /// The newest funnel asked, answered once no other request waits.
    funnel: Option<EngineRequest>,
    /// Orders a preview or the Records list asked for and may not be kept yet: kept once no
    /// other request waits (see [`crate::engine::priority::keep_order`]).
    orders: Vec<(RecordTypeName, SortKey)>,
}

impl Engine {
    /// Loads the snapshot and the memberships, finishes what an interrupted import left, and
    /// tells the app it is ready (or why it failed: then there is nothing to serve).
    fn start(
        path: PathBuf,
        responses: SyncSender<EngineResponse>,
        shared: &Mutex<Option<Progress>>,
        waker: Arc<dyn Waker>,
    ) -> Option<Engine> {
        let started = Instant::now();
        // The marks first: every record they name is then in the snapshot.
        let loaded = pending_upto(&path).and_then(|marks| Ok((marks, load::load(&path, shared, waker.as_ref())?)));
        let loaded = loaded.and_then(|(marks, (reader, mut snapshot))| {
            let memberships = load_memberships(&reader, &mut snapshot)?;
            Ok((marks, reader, snapshot, memberships))
        });
        let (marks, reader, snapshot, memberships) = match loaded {
            Ok(loaded) => loaded,
            Err(error) => {
                set_progress(shared, waker.as_ref(), None);
                if responses.send(EngineResponse::Failed(error)).is_ok() {
                    waker.wake();
                }
                return None;
            }
        };
        let mut engine = Engine {
            path,
            reader,
            snapshot,
            memberships,
            writer: None,
            responses,
            waker,
            funnel: None,
            orders: Vec::new(),
        };
        // Before anything else: the records an interrupted import left unevaluated.
        if let Some(marks) = marks {
            let message = "Evaluating imported records".to_owned();
            set_progress(shared, engine.waker.as_ref(), Some(Progress { fraction: None, message }));
            let (_job, completion) = Job::<()>::pending("Evaluating imported records", engine.waker.clone());
            let (mut lifecycle, reader) = engine.lifecycle();
            let finished = lifecycle.finish_pending(reader, marks, crate::clock::now(), completion.reporter());
            engine.checkpoint();
            engine.send(EngineResponse::Evaluated(finished)).ok()?;
        }
        set_progress(shared, engine.waker.as_ref(), None);
        let snapshot = &engine.snapshot;
        let records = snapshot
            .schema()
            .types
            .iter()
            .filter_map(|t| snapshot.type_snapshot(&t.name))
            .map(|t| t.live_count())
            .sum();
        let ready = EngineResponse::Ready {
            records,
            heap_bytes: snapshot.heap_bytes(),
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        };
        engine.send(ready).ok()?;
        Some(engine)
    }

    /// Asks for `sort` of `ty` to be kept once the worker is idle.
    fn keep_order_later(&mut self, ty: RecordTypeName, sort: SortKey) {
        if !self.orders.iter().any(|(t, s)| *t == ty && *s == sort) {
            self.orders.push((ty, sort));
        }
    }

    fn send(&self, response: EngineResponse) -> Result<(), Gone> {
        self.responses.send(response).map_err(|_| Gone)?;
        self.waker.wake();
        Ok(())
    }

    /// The lifecycle over this engine's snapshot, memberships and writer, and its reader.
    fn lifecycle(&mut self) -> (Lifecycle<'_>, &Workspace) {
        let Engine { path, reader, snapshot, memberships, writer, .. } = self;
        (Lifecycle { path: path.as_path(), snapshot, memberships, writer }, reader)
    }

    /// After answering an apply: copy the writer's commits back into the file (its commits
    /// do not). A checkpoint that cannot run now loses nothing: the changes are committed in
    /// the WAL, and the next one (or the app's connection) copies them.
    fn checkpoint(&self) {
        if let Some(writer) = &self.writer {
            writer.checkpoint().ok();
        }
    }

    /// Answers the requests that arrived together. Record changes and applies run in order;
    /// of the previews and of the impacts only the newest is answered, after them.
    fn answer(&mut self, batch: Vec<EngineRequest>) -> Result<(), Gone> {
        // Segment conditions read the stored segments as they are now (unchanged ones keep
        // the snapshot's version). A failed read keeps the last ones.
        if let Ok(definitions) = self.reader.segment_definitions() {
            self.snapshot.set_definitions(definitions);
        }
        let newest_preview = batch.iter().rposition(|r| matches!(r, EngineRequest::Preview { .. }));
        let newest_impact = batch.iter().rposition(|r| matches!(r, EngineRequest::Impact { .. }));
        let newest_ids = batch.iter().rposition(|r| matches!(r, EngineRequest::RecordIds { .. }));
        let newest_funnel = batch.iter().rposition(|r| matches!(r, EngineRequest::Funnel { .. }));
        let mut funnel = None;
        let mut preview = None;
        let mut impact = None;
        let mut ids = None;
        for (index, request) in batch.into_iter().enumerate() {
            match request {
                request @ EngineRequest::Preview { .. } if Some(index) == newest_preview => preview = Some(request),
                request @ EngineRequest::RecordIds { .. } if Some(index) == newest_ids => ids = Some(request),
                request @ EngineRequest::Funnel { .. } if Some(index) == newest_funnel => funnel = Some(request),
                EngineRequest::Preview { .. } | EngineRequest::RecordIds { .. } | EngineRequest::Funnel { .. } => {}
                EngineRequest::Impact { plan, reply } if Some(index) == newest_impact => impact = Some((plan, reply)),
                EngineRequest::Impact { reply, .. } => {
                    reply.finish(Err(WorkerError::Replaced("impact")));
                }
                request => self.take(request)?,
            }
        }
        if let Some((plan, reply)) = impact
            && !reply.reporter().is_cancelled()
        {
            reply.finish(run_impact(&self.snapshot, &self.memberships, &plan));
        }
        if let Some(EngineRequest::Preview { generation, record_type, conditions, higher, sort, now, limit }) = preview
        {
            let asked =
                Asked { record_type: &record_type, conditions: &conditions, higher: &higher, sort: &sort, now, limit };
            let result = run_preview(&self.snapshot, &self.reader, &asked);
            self.send(EngineResponse::Preview { generation, result })?;
            self.keep_order_later(record_type, sort);
        }
        if funnel.is_some() {
            self.funnel = funnel;
        }
        if let Some(EngineRequest::RecordIds { generation, record_type, query }) = ids {
            let ctx = EvalContext::new(crate::clock::now(), self.snapshot.time_zone().clone());
            let result = crate::engine::records::query_ids(&self.snapshot, &record_type, &query, &ctx)
                .map_err(|e| WorkerError::Message(e.to_string()));
            self.send(EngineResponse::RecordIds { generation, result })?;
            if let Some((field, direction)) = query.sort {
                let sort = SortKey { field, descending: direction == crate::domain::query::SortDirection::Descending };
                self.keep_order_later(record_type, sort);
            }
        }
        Ok(())
    }

    /// A record change or a lifecycle request, carried out at once.
    fn take(&mut self, request: EngineRequest) -> Result<(), Gone> {
        match request {
            EngineRequest::Upsert { record_type, record } => {
                if let Err(error) = self.snapshot.upsert(&record_type, &record) {
                    self.send(EngineResponse::OutOfDate(error))?;
                }
            }
            EngineRequest::Remove { record_type, id } => {
                let row = self.snapshot.type_snapshot(&record_type).and_then(|t| t.row_of(id));
                if let Some(row) = row {
                    self.memberships.column_mut(&record_type).set(row, None);
                    share_members(&mut self.snapshot, &record_type, self.memberships.column_mut(&record_type));
                }
                if let Err(error) = self.snapshot.remove(&record_type, id) {
                    self.send(EngineResponse::OutOfDate(error))?;
                }
            }
            // Answered by `answer`, newest only.
            EngineRequest::Preview { .. }
            | EngineRequest::Impact { .. }
            | EngineRequest::RecordIds { .. }
            | EngineRequest::Funnel { .. } => {}
            EngineRequest::Apply { plan, reply } => {
                let result = self.lifecycle().0.apply(&plan, reply.reporter());
                reply.finish(result);
                self.checkpoint();
            }
            EngineRequest::RecordsSaved { record_type, records, segments, now, reply } => {
                let taken = records.iter().try_for_each(|saved| self.snapshot.upsert(&record_type, &saved.after));
                if let Err(error) = taken {
                    reply.finish(Err(WorkerError::OutOfDate(error)));
                    return Ok(());
                }
                let result = self.lifecycle().0.records_saved(&record_type, &records, &segments, now, reply.reporter());
                reply.finish(result);
                self.checkpoint();
            }
            EngineRequest::RecordsImported { record_type, created, updated, pending, now, reply } => {
                let read = read_into_snapshot(
                    &self.reader,
                    &mut self.snapshot,
                    &record_type,
                    &created,
                    &updated,
                    reply.reporter(),
                );
                let result = read.and_then(|()| {
                    let (mut lifecycle, reader) = self.lifecycle();
                    let nothing = || ApplyOutcome::Applied(Impact::default());
                    let Some(marks) = pending else {
                        return Ok(lifecycle.applied(&record_type, nothing(), Instant::now()));
                    };
                    let finished = lifecycle.finish_pending(reader, marks, now, reply.reporter())?;
                    Ok(match finished.into_iter().find(|(ty, _)| *ty == record_type) {
                        Some((_, applied)) => applied,
                        None => lifecycle.applied(&record_type, nothing(), Instant::now()),
                    })
                });
                reply.finish(result);
                self.checkpoint();
            }
            EngineRequest::ChangedElsewhere { record_type, ids, segments, now, reply } => {
                let (mut lifecycle, reader) = self.lifecycle();
                let result = super::watch::take_changed_elsewhere(
                    reader,
                    &mut lifecycle,
                    &record_type,
                    &ids,
                    &segments,
                    now,
                    reply.reporter(),
                );
                reply.finish(result);
                self.checkpoint();
            }
            EngineRequest::TimePassed { segments, now, zone_changed, reply } => {
                let result = self.lifecycle().0.time_passed(&segments, now, zone_changed, reply.reporter());
                reply.finish(result);
                self.checkpoint();
            }
            EngineRequest::Analyse { record_type, segments, now, reply } => {
                reply.finish(analysis::run_analysis(&self.snapshot, &record_type, &segments, now));
            }
            EngineRequest::Shared { asked, reply } => {
                reply.finish(analysis::run_shared(&self.snapshot, &self.reader, &asked));
            }
            EngineRequest::ReloadMemberships { record_type, reply } => {
                let result = self.reader.memberships(&record_type).map_err(WorkerError::from).map(|pairs| {
                    let column = MemberColumn::load(&self.snapshot, &record_type, &pairs);
                    share_members(&mut self.snapshot, &record_type, &column);
                    self.memberships.set_column(record_type.clone(), column);
                });
                reply.finish(result);
            }
        }
        Ok(())
    }
}
