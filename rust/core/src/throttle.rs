//! A bandwidth cap on source reads (like rclone's --bwlimit or AzCopy's
//! --cap-mbps), shared by all reader threads of a job.
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Throttle {
    bytes_per_sec: u64,
    state: Mutex<(Instant, u64)>,
}

impl Throttle {
    pub fn new(bytes_per_sec: u64) -> Throttle {
        Throttle {
            bytes_per_sec: bytes_per_sec.max(1),
            state: Mutex::new((Instant::now(), 0)),
        }
    }

    /// Accounts `n` bytes and sleeps until the average rate since the
    /// start is back under the cap.  Sleeps in short steps and returns
    /// early when `stop()` turns true.
    pub fn take(&self, n: u64, stop: impl Fn() -> bool) {
        let due = {
            let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            st.1 += n;
            st.0 + Duration::from_secs_f64(st.1 as f64 / self.bytes_per_sec as f64)
        };
        while let Some(left) = due.checked_duration_since(Instant::now()) {
            if stop() || left.is_zero() {
                return;
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
    }
}
