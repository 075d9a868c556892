//! Live job progress: atomics the engine threads bump, snapshots the
//! binding takes, and a change counter a poller can block on.
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct DestProgress {
    pub bytes_written: AtomicU64,
    /// Bytes handled: written, skipped as zero, or resumed.
    pub bytes_done: AtomicU64,
    pub chunks_done: AtomicU64,
    pub done: AtomicBool,
    pub failed: AtomicBool,
}

pub struct Progress {
    pub source_size: u64,
    pub chunks_total: u64,
    pub bytes_read: AtomicU64,
    pub chunks_read: AtomicU64,
    pub dests: Vec<DestProgress>,
    finished: AtomicBool,
    changes: Mutex<u64>,
    changed: Condvar,
}

/// A consistent-enough copy of the counters (each read is atomic; the set
/// is not, which a progress bar does not need).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgressSnapshot {
    pub source_size: u64,
    pub bytes_read: u64,
    pub chunks_total: u64,
    /// Chunks every still-healthy destination has handled.
    pub chunks_done: u64,
    pub bytes_written: Vec<u64>,
    pub bytes_done: Vec<u64>,
    pub done: Vec<bool>,
    pub failed: Vec<bool>,
    pub finished: bool,
}

impl Progress {
    pub fn new(source_size: u64, chunks_total: u64, destinations: usize) -> Progress {
        Progress {
            source_size,
            chunks_total,
            bytes_read: AtomicU64::new(0),
            chunks_read: AtomicU64::new(0),
            dests: (0..destinations).map(|_| DestProgress::default()).collect(),
            finished: AtomicBool::new(false),
            changes: Mutex::new(0),
            changed: Condvar::new(),
        }
    }

    /// Wakes pollers; call after bumping counters.
    pub fn notify(&self) {
        *self
            .changes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) += 1;
        self.changed.notify_all();
    }

    pub fn finish(&self) {
        self.finished.store(true, Relaxed);
        self.notify();
    }

    pub fn is_finished(&self) -> bool {
        self.finished.load(Relaxed)
    }

    fn change_count(&self) -> u64 {
        *self
            .changes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Blocks until the change count differs from `seen` or `deadline`.
    fn wait_change(&self, seen: u64, deadline: Instant) -> u64 {
        let mut count = self
            .changes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while *count == seen {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            count = self
                .changed
                .wait_timeout(count, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        *count
    }

    pub fn snapshot(&self) -> ProgressSnapshot {
        let healthy = self.dests.iter().filter(|d| !d.failed.load(Relaxed));
        let chunks_done = healthy
            .map(|d| d.chunks_done.load(Relaxed))
            .min()
            .unwrap_or_else(|| self.chunks_read.load(Relaxed));
        ProgressSnapshot {
            source_size: self.source_size,
            bytes_read: self.bytes_read.load(Relaxed),
            chunks_total: self.chunks_total,
            chunks_done,
            bytes_written: self
                .dests
                .iter()
                .map(|d| d.bytes_written.load(Relaxed))
                .collect(),
            bytes_done: self
                .dests
                .iter()
                .map(|d| d.bytes_done.load(Relaxed))
                .collect(),
            done: self.dests.iter().map(|d| d.done.load(Relaxed)).collect(),
            failed: self.dests.iter().map(|d| d.failed.load(Relaxed)).collect(),
            finished: self.is_finished(),
        }
    }
}

/// Turns a job's progress into a stream of snapshots: each `next` blocks
/// until something changed (at most ~50 snapshots a second) or 0.1 s
/// passed; the snapshot with `finished` set is the last.
pub struct ProgressStream {
    last_change: u64,
    last_yield: Option<Instant>,
    ended: bool,
}

const MAX_WAIT: Duration = Duration::from_millis(100);
const MIN_GAP: Duration = Duration::from_millis(20);

impl ProgressStream {
    pub fn new() -> Self {
        ProgressStream {
            last_change: u64::MAX,
            last_yield: None,
            ended: false,
        }
    }

    pub fn next(&mut self, progress: &Progress) -> Option<ProgressSnapshot> {
        if self.ended {
            return None;
        }
        if let Some(last) = self.last_yield {
            let deadline = last + MAX_WAIT;
            // Wait for a change, then hold off until MIN_GAP has passed so
            // a fast job does not flood the poller; finishing cuts it short.
            let now = progress.wait_change(self.last_change, deadline);
            let earliest = last + MIN_GAP;
            while !progress.is_finished() && Instant::now() < earliest && now != self.last_change {
                progress.wait_change(progress.change_count(), earliest);
            }
        }
        self.last_change = progress.change_count();
        self.last_yield = Some(Instant::now());
        let snap = progress.snapshot();
        self.ended = snap.finished;
        Some(snap)
    }
}

impl Default for ProgressStream {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn stream_ends_after_the_finished_snapshot() {
        let p = Arc::new(Progress::new(100, 1, 2));
        let mut s = ProgressStream::new();
        assert!(!s.next(&p).unwrap().finished);
        p.dests[1].failed.store(true, Relaxed);
        p.dests[0].chunks_done.store(1, Relaxed);
        let worker = {
            let p = p.clone();
            std::thread::spawn(move || p.finish())
        };
        let mut last = None;
        while let Some(snap) = s.next(&p) {
            last = Some(snap);
        }
        worker.join().unwrap();
        let last = last.unwrap();
        assert!(last.finished);
        // The failed destination does not hold chunks_done back.
        assert_eq!(last.chunks_done, 1);
        assert!(s.next(&p).is_none());
    }
}
