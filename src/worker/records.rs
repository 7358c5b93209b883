//! The Records screen's worker: finds the ordered ids of the records that pass the filter
//! (which can take a second on a million rows) and fetches the rows the table shows.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use crate::domain::{FieldKind, Record, RecordId, RecordTypeName, SegmentHistoryEntry, SegmentId};
use crate::store::{RecordQuery, Workspace};
use crate::worker::WorkerError;

use super::Waker;

pub enum Request {
    /// Find the ids of `record_type` matching `query`, in order.
    Query { generation: u64, record_type: RecordTypeName, query: RecordQuery },
    /// Load these rows (and the titles of the records their lookups point at).
    Fetch { generation: u64, record_type: RecordTypeName, ids: Vec<RecordId> },
    /// Records whose title contains `text`, for a record picker. Only the newest is answered.
    Search { generation: u64, record_type: RecordTypeName, text: String, limit: usize },
    /// A page of a segment's members with their titles. Pages of older generations are
    /// skipped.
    Members { generation: u64, segment: SegmentId, record_type: RecordTypeName, offset: u64, limit: u64 },
    /// A segment's history, newest first. Only the newest is answered.
    History { generation: u64, segment: SegmentId },
    /// Every segment's joins and leaves per day since `since`, on the days of `zone`, for
    /// the size charts. Only the newest is answered.
    Sizes { generation: u64, since: jiff::Timestamp, zone: jiff::tz::TimeZone },
    /// Each seller's open records (by assignment), for the load chart.
    OpenBySeller { generation: u64 },
}

pub enum Response {
    Ids { generation: u64, result: Result<Vec<RecordId>, WorkerError> },
    Rows { generation: u64, result: Result<RowPage, WorkerError> },
    Found { generation: u64, result: Result<Vec<(RecordId, String)>, WorkerError> },
    Members { generation: u64, offset: u64, result: Result<Vec<MemberRow>, WorkerError> },
    History { generation: u64, result: Result<Vec<SegmentHistoryEntry>, WorkerError> },
    Sizes { generation: u64, result: Result<crate::domain::size::ChangesByDay, WorkerError> },
    OpenBySeller { generation: u64, result: Result<HashMap<crate::domain::SellerId, u64>, WorkerError> },
}

pub use crate::domain::preview::MemberRow;

/// Fetched rows, with the titles of the records their lookup fields point at.
#[derive(Default)]
pub struct RowPage {
    pub rows: Vec<Record>,
    pub titles: HashMap<(RecordTypeName, RecordId), String>,
}

pub struct RecordsWorker {
    requests: SyncSender<Request>,
    responses: Receiver<Response>,
    /// Never joined: dropping the worker drops its request sender, and the thread ends
    /// after its current work when it sees the hang-up. Joining would hold the UI thread for
    /// as long as that work takes (a snapshot load, a million-row sort).
    _thread: Option<JoinHandle<()>>,
}

impl RecordsWorker {
    /// Starts a worker reading the workspace at `path` through its own connection.
    pub fn start(path: PathBuf, waker: Arc<dyn Waker>) -> Self {
        let (request_tx, request_rx) = sync_channel::<Request>(64);
        let (response_tx, response_rx) = sync_channel::<Response>(64);
        let thread = std::thread::Builder::new()
            .name("records".into())
            .spawn(move || run(path, request_rx, response_tx, waker))
            .ok();
        Self { requests: request_tx, responses: response_rx, _thread: thread }
    }

    /// Queues a request. Returns false when the worker is gone or its queue is full (the
    /// caller asks again on a later frame).
    pub fn send(&self, request: Request) -> bool {
        self.requests.try_send(request).is_ok()
    }

    pub fn try_recv(&self) -> Option<Response> {
        self.responses.try_recv().ok()
    }
}

fn run(path: PathBuf, requests: Receiver<Request>, responses: SyncSender<Response>, waker: Arc<dyn Waker>) {
    // Kept as text: every request answers with the same failure.
    let workspace = Workspace::open_reader(&path).map_err(|e| e.to_string());
    let opening_failed = |error: &String| WorkerError::Message(error.clone());
    // Coalesce: of all waiting queries keep only the newest; keep fetches of its generation.
    while let Some(batch) = super::next_batch(&requests) {
        let newest_query = batch.iter().rposition(|r| matches!(r, Request::Query { .. }));
        let newest_search = batch.iter().rposition(|r| matches!(r, Request::Search { .. }));
        let newest_history = batch.iter().rposition(|r| matches!(r, Request::History { .. }));
        let newest_sizes = batch.iter().rposition(|r| matches!(r, Request::Sizes { .. }));
        let newest_generation = batch
            .iter()
            .filter_map(|r| match r {
                Request::Query { generation, .. } | Request::Fetch { generation, .. } => Some(*generation),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let newest_members = batch
            .iter()
            .filter_map(|r| match r {
                Request::Members { generation, .. } => Some(*generation),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        for (index, request) in batch.into_iter().enumerate() {
            let response = match request {
                Request::Query { generation, record_type, query } => {
                    if Some(index) != newest_query {
                        continue;
                    }
                    let result = workspace
                        .as_ref()
                        .map_err(opening_failed)
                        .and_then(|ws| ws.query_record_ids(&record_type, &query).map_err(WorkerError::from));
                    Response::Ids { generation, result }
                }
                Request::Fetch { generation, record_type, ids } => {
                    if generation < newest_generation {
                        continue;
                    }
                    let result =
                        workspace.as_ref().map_err(opening_failed).and_then(|ws| fetch(ws, &record_type, &ids));
                    Response::Rows { generation, result }
                }
                Request::Search { generation, record_type, text, limit } => {
                    if Some(index) != newest_search {
                        continue;
                    }
                    let result = workspace
                        .as_ref()
                        .map_err(opening_failed)
                        .and_then(|ws| ws.search_titles(&record_type, &text, limit).map_err(WorkerError::from));
                    Response::Found { generation, result }
                }
                Request::Members { generation, segment, record_type, offset, limit } => {
                    if generation < newest_members {
                        continue;
                    }
                    let result = workspace
                        .as_ref()
                        .map_err(opening_failed)
                        .and_then(|ws| member_rows(ws, segment, &record_type, offset, limit));
                    Response::Members { generation, offset, result }
                }
                Request::History { generation, segment } => {
                    if Some(index) != newest_history {
                        continue;
                    }
                    let result = workspace
                        .as_ref()
                        .map_err(opening_failed)
                        .and_then(|ws| ws.segment_history(segment).map_err(WorkerError::from));
                    Response::History { generation, result }
                }
                Request::Sizes { generation, since, zone } => {
                    if Some(index) != newest_sizes {
                        continue;
                    }
                    let result = workspace
                        .as_ref()
                        .map_err(opening_failed)
                        .and_then(|ws| ws.membership_changes_by_day(since, &zone).map_err(WorkerError::from));
                    Response::Sizes { generation, result }
                }
                Request::OpenBySeller { generation } => {
                    let result = workspace
                        .as_ref()
                        .map_err(opening_failed)
                        .and_then(|ws| ws.open_records_by_seller().map_err(WorkerError::from));
                    Response::OpenBySeller { generation, result }
                }
            };
            if responses.send(response).is_err() {
                return;
            }
            waker.wake();
        }
    }
}

/// A page of a segment's members (by record id) with their records' titles.
pub fn member_rows(
    ws: &Workspace,
    segment: SegmentId,
    record_type: &RecordTypeName,
    offset: u64,
    limit: u64,
) -> Result<Vec<MemberRow>, WorkerError> {
    let members = ws.members(segment, offset, limit)?;
    let ids: Vec<RecordId> = members.iter().map(|m| m.record).collect();
    let titles: HashMap<RecordId, String> = ws.record_titles(record_type, &ids)?.into_iter().collect();
    Ok(members
        .into_iter()
        .map(|member| {
            let title = titles.get(&member.record).cloned().unwrap_or_else(|| format!("#{}", member.record));
            MemberRow { member, title }
        })
        .collect())
}

pub(crate) fn fetch(ws: &Workspace, record_type: &RecordTypeName, ids: &[RecordId]) -> Result<RowPage, WorkerError> {
    let rows = ws.records_by_id(record_type, ids)?;
    let mut titles = HashMap::new();
    if let Some(def) = ws.schema().get(record_type) {
        for (index, field) in def.fields.iter().enumerate() {
            let (FieldKind::Lookup, Some(target)) = (field.kind, &field.lookup_target) else { continue };
            let mut targets: Vec<RecordId> = rows
                .iter()
                .filter_map(|r| match r.values.get(index) {
                    Some(crate::domain::Value::Lookup(id)) => Some(*id),
                    _ => None,
                })
                .collect();
            targets.sort_unstable();
            targets.dedup();
            for (id, title) in ws.record_titles(target, &targets)? {
                titles.insert((target.clone(), id), title);
            }
        }
    }
    Ok(RowPage { rows, titles })
}
