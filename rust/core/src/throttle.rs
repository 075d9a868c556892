//! A bandwidth cap on source reads (like rclone's --bwlimit or AzCopy's
//! --cap-mbps), shared by all reader threads of a job, and changeable while
//! the job runs: `disk create` re-divides a replica's read bandwidth among
//! its readers as they come and go.
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How far behind schedule a reader may fall and still catch up at full
/// speed: a short pause is not banked as a long burst afterwards.
const SLACK: Duration = Duration::from_millis(50);

#[derive(Debug)]
pub struct Throttle {
    /// Bytes per second; 0 is no cap.
    rate: AtomicU64,
    /// The moment every byte accounted so far may have been read.
    due: Mutex<Instant>,
}

impl Throttle {
    /// `None` (or 0) reads at full speed until `set` gives a cap.
    pub fn new(bytes_per_sec: Option<u64>) -> Throttle {
        Throttle {
            rate: AtomicU64::new(bytes_per_sec.unwrap_or(0)),
            due: Mutex::new(Instant::now()),
        }
    }

    /// Changes the cap from the next read on; `None` lifts it.
    pub fn set(&self, bytes_per_sec: Option<u64>) {
        self.rate.store(bytes_per_sec.unwrap_or(0), Relaxed);
    }

    pub fn rate(&self) -> Option<u64> {
        Some(self.rate.load(Relaxed)).filter(|&r| r > 0)
    }

    /// Accounts `n` bytes at the current cap and sleeps until they are due.
    /// Sleeps in short steps and returns early when `stop()` turns true.
    pub fn take(&self, n: u64, stop: impl Fn() -> bool) {
        let Some(rate) = self.rate() else { return };
        let due = {
            let mut due = self
                .due
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = Instant::now();
            let from = (*due).max(now.checked_sub(SLACK).unwrap_or(now));
            // byte counts stay far below 2^53, where f64 stops being exact
            #[allow(clippy::cast_precision_loss)]
            let wait = n as f64 / rate as f64;
            *due = from + Duration::from_secs_f64(wait);
            *due
        };
        while let Some(left) = due.checked_duration_since(Instant::now()) {
            if stop() || left.is_zero() {
                return;
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_cap_never_sleeps_and_a_cap_paces() {
        let t = Throttle::new(None);
        let start = Instant::now();
        t.take(1 << 30, || false);
        assert!(start.elapsed() < Duration::from_millis(20));
        t.set(Some(10_000_000)); // 10 MB/s: 1 MB is due in 100 ms
        let start = Instant::now();
        for _ in 0..10 {
            t.take(100_000, || false);
        }
        assert!(
            start.elapsed() >= Duration::from_millis(40),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn a_lower_cap_applies_from_the_next_read() {
        let t = Throttle::new(Some(1_000_000_000));
        t.take(1_000_000, || false);
        t.set(Some(1_000_000)); // 1 MB/s: 100 kB is due in 100 ms
        let start = Instant::now();
        t.take(100_000, || false);
        assert!(
            start.elapsed() >= Duration::from_millis(40),
            "{:?}",
            start.elapsed()
        );
        t.set(None);
        let start = Instant::now();
        t.take(1 << 30, || false);
        assert!(start.elapsed() < Duration::from_millis(20));
    }

    #[test]
    fn stop_ends_the_wait() {
        let t = Throttle::new(Some(1));
        let start = Instant::now();
        t.take(1_000_000, || true);
        assert!(start.elapsed() < Duration::from_millis(100));
    }
}
