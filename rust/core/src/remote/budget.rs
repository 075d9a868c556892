//! A process-wide cap on the bytes of multipart parts in flight.  Each
//! streamed replica may keep `concurrency` parts uploading, but a job with
//! many remote replicas (a region of 100 on Azure, say) would then hold
//! `replicas x concurrency x part_size` in memory; this budget bounds the
//! sum.  (Parts made of the pipeline's shared buffers hold no memory of
//! their own, see `crate::buffers`; for them the budget bounds the uploads
//! in flight.)  A part's permit lives in its upload task and returns when the task
//! ends (done, failed or aborted), so a sink waiting for budget waits only
//! on uploads already running, which never wait on anything: no deadlock.
use std::sync::{Condvar, Mutex};

/// Bytes of parts in flight across all remote sinks of the process.
pub const IN_FLIGHT_BYTES: u64 = 256 << 20;

pub struct Budget {
    total: u64,
    free: Mutex<u64>,
    returned: Condvar,
}

/// Bytes held by one part until it is dropped.
pub struct Permit<'a> {
    budget: &'a Budget,
    bytes: u64,
}

impl Budget {
    pub const fn new(total: u64) -> Budget {
        Budget {
            total,
            free: Mutex::new(total),
            returned: Condvar::new(),
        }
    }

    /// `bytes` now, if free; a part larger than the whole budget may go
    /// when nothing else is in flight.
    pub fn try_take(&self, bytes: u64) -> Option<Permit<'_>> {
        let mut free = self
            .free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let want = bytes.min(self.total);
        (*free >= want).then(|| {
            *free -= want;
            Permit {
                budget: self,
                bytes: want,
            }
        })
    }

    /// `bytes`, waiting for parts in flight elsewhere to finish.
    pub fn take(&self, bytes: u64) -> Permit<'_> {
        let want = bytes.min(self.total);
        let mut free = self
            .free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while *free < want {
            free = self
                .returned
                .wait(free)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        *free -= want;
        Permit {
            budget: self,
            bytes: want,
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *self
            .budget
            .free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) += self.bytes;
        self.budget.returned.notify_all();
    }
}

/// The budget every remote sink shares.
pub static PARTS: Budget = Budget::new(IN_FLIGHT_BYTES);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_return_their_bytes_and_waiters_wake() {
        static B: Budget = Budget::new(10);
        let a = B.try_take(6).unwrap();
        assert!(B.try_take(6).is_none());
        let big = std::thread::spawn(|| drop(B.take(100))); // capped at the total
        let b = B.try_take(4).unwrap();
        drop((a, b));
        big.join().unwrap();
        assert!(B.try_take(10).is_some());
    }
}
