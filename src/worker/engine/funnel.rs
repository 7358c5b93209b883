//! Answering the builder's funnel: what each node of the draft matches on its own and what
//! the tree gains without it ([`crate::engine::funnel`]). Asked with every preview of a
//! draft without problems, answered after the preview; of several pending, the newest.

use jiff::Timestamp;

use super::{EngineRequest, EngineResponse};
use crate::domain::{EvalContext, Group, RecordTypeName};
use crate::engine::funnel::{Funnel, funnel};
use crate::engine::snapshot::Snapshot;
use crate::worker::WorkerError;

/// The figures of `conditions` over `record_type` at `now`.
pub(super) fn run_funnel(
    snapshot: &Snapshot,
    record_type: &RecordTypeName,
    conditions: &Group,
    now: Timestamp,
) -> Result<Funnel, WorkerError> {
    let ctx = EvalContext::new(now, snapshot.time_zone().clone());
    Ok(funnel(snapshot, record_type, conditions, &ctx)?)
}

/// The answer to a [`EngineRequest::Funnel`]; `None` for any other request.
pub(super) fn answer(snapshot: &Snapshot, request: EngineRequest) -> Option<EngineResponse> {
    let EngineRequest::Funnel { generation, record_type, conditions, now } = request else { return None };
    Some(EngineResponse::Funnel { generation, result: run_funnel(snapshot, &record_type, &conditions, now) })
}
