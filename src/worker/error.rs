//! Why background work failed: one error type for every worker, which the app and the
//! command line show once, as a notice, an inline line or a message.

use crate::engine::EngineError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The workspace refused or failed a read or a write.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The engine cannot evaluate what was asked (an unknown type, another time zone).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The snapshot could not take a record: the previews no longer match the workspace.
    #[error("the previews are out of date: {0}")]
    OutOfDate(EngineError),
    /// A newer request of the same kind replaced this one.
    #[error("a newer {0} request replaced this one")]
    Replaced(&'static str),
    /// The writer connection an apply needs is not open.
    #[error("the workspace writer is not open")]
    WriterClosed,
    /// A worker thread could not start, or stopped before it answered.
    #[error("{0}")]
    Stopped(String),
    /// Anything else, already phrased for the user (a file's problem, a plan's).
    #[error("{0}")]
    Message(String),
}

/// The result of background work.
pub type Result<T, E = WorkerError> = std::result::Result<T, E>;
