//! Long jobs (opening a large workspace, generating the demo) on a thread of their own, or
//! run by a worker ([`Job::pending`]: applying memberships in the engine worker), with
//! progress the UI can show and a cancel flag the job checks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex};

use super::Waker;

/// What a job reports while it runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    /// 0.0 ..= 1.0, or `None` while the amount of work is unknown.
    pub fraction: Option<f32>,
    pub message: String,
}

/// Handed to the job's closure: report progress, learn about cancellation.
pub struct Reporter {
    progress: Arc<Mutex<Progress>>,
    cancel: Arc<AtomicBool>,
    waker: Arc<dyn Waker>,
}

impl Reporter {
    /// Reports progress; returns false once the user has cancelled.
    pub fn report(&self, fraction: Option<f32>, message: impl Into<String>) -> bool {
        if let Ok(mut progress) = self.progress.lock() {
            *progress = Progress { fraction, message: message.into() };
        }
        self.waker.wake();
        !self.is_cancelled()
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// A running job producing a `T`.
pub struct Job<T> {
    pub title: String,
    progress: Arc<Mutex<Progress>>,
    cancel: Arc<AtomicBool>,
    result: Receiver<T>,
}

/// Where a job stands when polled.
pub enum Poll<T> {
    Running(Progress),
    Done(T),
    /// The job's thread ended without an answer (it panicked).
    Lost,
}

/// The other end of a [`Job::pending`]: whoever does the work reports through it and
/// finishes it with the answer. Dropped unfinished, the job polls as [`Poll::Lost`].
pub struct Completion<T> {
    reporter: Reporter,
    result: SyncSender<T>,
}

impl<T> Completion<T> {
    pub fn reporter(&self) -> &Reporter {
        &self.reporter
    }

    /// Hands over the answer and wakes the UI (nobody listens when the job was dropped).
    pub fn finish(self, outcome: T) {
        if self.result.send(outcome).is_ok() {
            self.reporter.waker.wake();
        }
    }
}

impl<T: Send + 'static> Job<T> {
    /// A job run by a worker that already exists (the engine): the worker gets the
    /// [`Completion`] with the request.
    pub fn pending(title: impl Into<String>, waker: Arc<dyn Waker>) -> (Self, Completion<T>) {
        let progress = Arc::new(Mutex::new(Progress::default()));
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = sync_channel(1);
        let reporter = Reporter { progress: progress.clone(), cancel: cancel.clone(), waker };
        (Self { title: title.into(), progress, cancel, result: rx }, Completion { reporter, result: tx })
    }

    pub fn spawn(
        title: impl Into<String>,
        waker: Arc<dyn Waker>,
        work: impl FnOnce(&Reporter) -> T + Send + 'static,
    ) -> Self {
        let (job, completion) = Self::pending(title, waker);
        let progress = job.progress.clone();
        let spawned = std::thread::Builder::new().name("job".into()).spawn(move || {
            let outcome = work(completion.reporter());
            // The receiver is gone only when the app dropped the job; nobody needs the answer.
            completion.finish(outcome);
        });
        if let Err(error) = spawned
            && let Ok(mut p) = progress.lock()
        {
            // The closure (and its sender) is gone, so the job polls as Lost; say why.
            p.message = format!("could not start a thread: {error}");
        }
        job
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn poll(&self) -> Poll<T> {
        match self.result.try_recv() {
            Ok(outcome) => Poll::Done(outcome),
            Err(TryRecvError::Empty) => Poll::Running(self.progress.lock().map(|p| p.clone()).unwrap_or_default()),
            Err(TryRecvError::Disconnected) => Poll::Lost,
        }
    }
}
