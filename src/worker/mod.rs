//! Background threads. Each owns its own workspace connection, takes requests over a
//! bounded channel, coalesces them (the newest wins), and wakes the UI with
//! `request_repaint` when it has an answer. Nothing here draws or holds UI state.
//!
//! - `engine`: builds the snapshot when a workspace opens (per record type a reader
//!   thread feeding a builder thread over a bounded channel, every type at once), applies
//!   record edits to it, answers previews and impacts, holds every record's membership and
//!   writes lifecycle changes through its own writer connection;
//! - `records`: the Records screen's ids and row pages, a segment's members and history;
//! - `jobs`: long work with progress and cancel (`Job`), and `Job::pending` for work an
//!   existing worker finishes;
//! - `import`: a CSV file into a record type in one transaction (the command line uses it
//!   too), keeping only the ids the engine must read back;
//! - `export`: members or records to CSV, written under a temporary name and renamed;
//! - `pending`: finishing the evaluation an interrupted import left;
//! - `watch`: other programs' record changes, taken like saved ones.

pub mod column_cache;
pub mod engine;
pub mod error;
pub mod export;
pub mod export_target;
pub mod import;
pub mod jobs;
pub mod pending;
pub mod records;
pub mod watch;

pub use error::WorkerError;

/// Something that can wake the UI when a worker has news. `egui::Context` in the app; a
/// no-op in tests of the workers themselves.
pub trait Waker: Send + Sync + 'static {
    fn wake(&self);
}

impl Waker for egui::Context {
    fn wake(&self) {
        self.request_repaint();
    }
}

/// A waker that does nothing.
pub struct NoWaker;

impl Waker for NoWaker {
    fn wake(&self) {}
}

/// The next request and every one already waiting behind it, so a worker can keep only the
/// newest of a kind; `None` once the app has gone (no sender left, or gone mid-batch).
fn next_batch<T>(requests: &std::sync::mpsc::Receiver<T>) -> Option<Vec<T>> {
    let mut batch = vec![requests.recv().ok()?];
    loop {
        match requests.try_recv() {
            Ok(request) => batch.push(request),
            Err(std::sync::mpsc::TryRecvError::Empty) => return Some(batch),
            Err(std::sync::mpsc::TryRecvError::Disconnected) => return None,
        }
    }
}
