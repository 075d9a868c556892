//! The job's watcher thread and what it publishes: snapshots and the
//! outcome, kept in Rust behind a mutex, with a condvar for sync waiters and
//! the job's wake-up socket for the event loop.  It never touches Python.
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::Poll;

use imgrepl_core::fanout::CopyJob;
use imgrepl_core::progress::{ProgressSnapshot, ProgressStream};
use imgrepl_core::report::CopyReport;
use imgrepl_core::Error;

use crate::runtime::Notifier;

/// What the watcher thread publishes for the Python side to take.
#[derive(Default)]
pub(super) struct Published {
    /// The newest snapshot no iterator has taken yet (older ones are
    /// superseded: a slow consumer skips, it never lags).
    pub(super) pending: Option<ProgressSnapshot>,
    /// An iterator took the `finished` snapshot: the stream has ended.
    pub(super) stream_ended: bool,
    /// The job's end, published once; taken once by the Python object.
    pub(super) outcome: Option<Result<CopyReport, Error>>,
    pub(super) done: bool,
}

/// State shared by the Python object and the job's watcher thread.  It
/// holds no Python object, so the watcher may drop it last.
pub(super) struct JobShared {
    pub(super) published: Mutex<Published>,
    pub(super) changed: Condvar,
    pub(super) notifier: Notifier,
}

impl JobShared {
    pub(super) fn lock(&self) -> MutexGuard<'_, Published> {
        self.published
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Publishes a change, then wakes sync waiters and the event loop.
    pub(super) fn publish(&self, change: impl FnOnce(&mut Published)) {
        change(&mut self.lock());
        self.changed.notify_all();
        self.notifier.signal();
    }

    /// The next snapshot without waiting: Ready(None) once the stream ended.
    pub(super) fn poll_next(p: &mut Published) -> Poll<Option<ProgressSnapshot>> {
        if p.stream_ended {
            return Poll::Ready(None);
        }
        let Some(snap) = p.pending.take() else {
            return Poll::Pending;
        };
        p.stream_ended = snap.finished;
        Poll::Ready(Some(snap))
    }

    /// The next snapshot, blocking until the watcher publishes one.
    pub(super) fn next_blocking(&self) -> Option<ProgressSnapshot> {
        let mut p = self.lock();
        loop {
            if let Poll::Ready(next) = Self::poll_next(&mut p) {
                return next;
            }
            p = self
                .changed
                .wait(p)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    pub(super) fn wait_done(&self) {
        let mut p = self.lock();
        while !p.done {
            p = self
                .changed
                .wait(p)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

/// The job's watcher thread: forwards the engine's paced progress stream
/// (a change, or ~0.1 s) and then its outcome, never touching Python.
pub(super) fn watch(job: CopyJob, shared: Arc<JobShared>) {
    let progress = job.progress().clone();
    let mut stream = ProgressStream::new();
    while let Some(snap) = stream.next(&progress) {
        let last = snap.finished;
        shared.publish(|p| p.pending = Some(snap));
        if last {
            break;
        }
    }
    let outcome = job.wait();
    shared.publish(|p| {
        p.outcome = Some(outcome);
        p.done = true;
    });
}
