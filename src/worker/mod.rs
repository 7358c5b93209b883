//! Background threads. Each owns its own workspace connection, takes requests over a
//! bounded channel, coalesces them (the newest wins), and wakes the UI with
//! `request_repaint` when it has an answer. Nothing here draws or holds UI state.

pub mod column_cache;
pub mod engine;
pub mod export;
pub mod export_target;
pub mod import;
pub mod jobs;
pub mod pending;
pub mod records;
pub mod watch;

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
