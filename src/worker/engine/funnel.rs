//! Answering the builder's funnel: what each node of the draft matches on its own and what
//! the tree gains without it ([`crate::engine::funnel`]). Asked with every preview of a
//! draft without problems; of several pending, the newest is answered, and only when no
//! other request waits, so the preview of the next edit never waits behind it. The same
//! idle time keeps the orders previews asked for.

use std::sync::mpsc::{Receiver, TryRecvError};

use jiff::Timestamp;

use super::{Engine, EngineRequest, EngineResponse};
use crate::domain::{EvalContext, Group, RecordTypeName};
use crate::engine::funnel::{Funnel, funnel};
use crate::engine::priority::keep_order;
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

/// The next batch of requests, like [`crate::worker::next_batch`]. While there is idle
/// work (a funnel waiting, then orders to keep), it is done a piece at a time whenever no
/// request waits. `None` once the app has gone.
pub(super) fn next_batch(engine: &mut Engine, requests: &Receiver<EngineRequest>) -> Option<Vec<EngineRequest>> {
    loop {
        if engine.funnel.is_none() && engine.orders.is_empty() {
            return super::super::next_batch(requests);
        }
        match requests.try_recv() {
            Ok(first) => {
                let mut batch = vec![first];
                batch.extend(requests.try_iter());
                return Some(batch);
            }
            Err(TryRecvError::Empty) => {
                if let Some(waiting) = engine.funnel.take() {
                    if let Some(response) = answer(&engine.snapshot, waiting) {
                        engine.send(response).ok()?;
                    }
                } else if let Some((ty, sort)) = engine.orders.pop() {
                    keep_order(&engine.snapshot, &ty, &sort);
                }
            }
            Err(TryRecvError::Disconnected) => return None,
        }
    }
}
