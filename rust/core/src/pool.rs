//! A fixed set of chunk buffers, allocated once and recycled: whatever the
//! image size and the number of destinations, a job never holds more than
//! `count * chunk_size` bytes of chunk data.  A filled buffer becomes
//! shared `Bytes` (`into_shared`) that every sink may keep without copying;
//! it comes back when the last holder lets go.
use std::ops::{Deref, DerefMut};
use std::time::Duration;

use bytes::Bytes;
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};

use crate::pagebuf::PageBuf;

pub struct Pool {
    free: Receiver<PageBuf>,
    home: Sender<PageBuf>,
    count: usize,
}

impl Pool {
    pub fn new(count: usize, buf_size: usize) -> Pool {
        let (home, free) = bounded(count);
        for _ in 0..count {
            home.send(PageBuf::new(buf_size))
                .expect("pool has room for its buffers");
        }
        Pool { free, home, count }
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// Buffers in the pool now (not lent out).
    pub fn free(&self) -> usize {
        self.free.len()
    }

    /// Waits for a free buffer, giving up (None) as soon as `stop()` says
    /// so, so a cancelled job never hangs here.
    pub fn get(&self, len: usize, stop: impl Fn() -> bool) -> Option<PoolBuf> {
        loop {
            if stop() {
                return None;
            }
            match self.free.recv_timeout(Duration::from_millis(20)) {
                Ok(mut buf) => {
                    buf.set_len(len);
                    return Some(PoolBuf {
                        buf,
                        home: self.home.clone(),
                    });
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }
}

/// A borrowed buffer of `len` bytes that goes back to its pool on drop.
pub struct PoolBuf {
    buf: PageBuf,
    home: Sender<PageBuf>,
}

impl Deref for PoolBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf
    }
}

impl DerefMut for PoolBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }
}

impl AsRef<[u8]> for PoolBuf {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl PoolBuf {
    /// Shortens the buffer to its first `len` bytes (a short last chunk).
    pub fn truncate(&mut self, len: usize) {
        let len = self.buf.len().min(len);
        self.buf.set_len(len);
    }

    /// The filled buffer as shared, read-only `Bytes`: clones are reference
    /// counts, and the buffer goes back to the pool when the last one drops.
    pub fn into_shared(self) -> Bytes {
        Bytes::from_owner(self)
    }
}

impl Drop for PoolBuf {
    fn drop(&mut self) {
        // Fails only if the pool is gone, and then the buffer may go too.
        let _ = self.home.try_send(std::mem::take(&mut self.buf));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_recycled_not_reallocated() {
        let pool = Pool::new(2, 1024);
        let a = pool.get(1024, || false).unwrap();
        let b = pool.get(512, || false).unwrap();
        assert_eq!(b.len(), 512);
        let a_ptr = a.as_ptr();
        // Exhausted: the wait polls `stop` and gives up instead of blocking.
        let polls = std::cell::Cell::new(0);
        let stop = || {
            polls.set(polls.get() + 1);
            polls.get() > 3
        };
        assert!(pool.get(1024, stop).is_none());
        assert_eq!(polls.get(), 4);
        drop(a);
        let c = pool.get(1024, || false).unwrap();
        assert_eq!(c.as_ptr(), a_ptr);
        drop((b, c));
    }

    #[test]
    fn a_shared_buffer_returns_when_its_last_clone_drops() {
        let pool = Pool::new(1, 1024);
        let mut buf = pool.get(1024, || false).unwrap();
        buf.truncate(100);
        buf.fill(7);
        let ptr = buf.as_ptr();
        let shared = buf.into_shared();
        let kept = [shared.clone(), shared.slice(10..20)];
        assert_eq!((shared.len(), shared.as_ptr()), (100, ptr), "not copied");
        drop(shared);
        assert_eq!(pool.free(), 0, "clones still hold it");
        drop(kept);
        assert_eq!(pool.free(), 1);
        assert_eq!(pool.get(1024, || false).unwrap().as_ptr(), ptr);
    }
}
