//! A replica or image in an object store, read by ranged GETs.  Large
//! sequential reads (the copy's chunks) prefetch the next few ranges on the
//! store runtime, so a single reader thread still keeps `concurrency`
//! requests in flight; small reads (VHD footers, headers) go straight out.
use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::task::JoinHandle;

use super::bucket::Bucket;
use super::error::store_failure;
use super::location::RemoteLocation;
use super::url::StoreUrl;
use crate::error::{Error, Result};
use crate::location::Location;
use crate::runtime::{block_on, spawn};
use crate::source::Source;

/// Reads at least this large are treated as a sequential scan.
const PREFETCH_MIN: usize = 1 << 20;

type RangeTask = JoinHandle<Result<Bytes>>;

pub struct RemoteSource {
    location: Location,
    url: StoreUrl,
    store: Arc<Bucket>,
    size: u64,
    /// Ranges requested ahead of the reader, by start offset.
    ahead: Mutex<BTreeMap<u64, (u64, RangeTask)>>,
}

impl RemoteSource {
    /// Opens the object: one HEAD for its size; a missing object is a
    /// NotFound error like a missing local file.
    pub fn open(remote: &RemoteLocation, location: Location) -> Result<RemoteSource> {
        Self::with_store(remote.bucket()?, remote.url.clone(), location)
    }

    pub(crate) fn with_store(
        store: Arc<Bucket>,
        url: StoreUrl,
        location: Location,
    ) -> Result<Self> {
        let size = block_on(store.head(&url))?.ok_or_else(|| not_found(&url))?;
        Ok(RemoteSource {
            location,
            url,
            store,
            size,
            ahead: Mutex::new(BTreeMap::new()),
        })
    }

    fn fetch(&self, range: Range<u64>) -> RangeTask {
        let (store, url) = (Arc::clone(&self.store), self.url.clone());
        spawn(async move { store.get_range(&url, range).await })
    }

    /// The task for `start..start+len`: prefetched if it was, else new; and
    /// requests for the ranges after it, up to the concurrency limit.
    fn task_for(&self, start: u64, len: u64) -> RangeTask {
        let mut ahead = self
            .ahead
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let depth = self.store.tuning().concurrency as u64;
        // Ranges well behind the readers (several threads read slightly out
        // of order) will never be asked for: drop them.
        let floor = start.saturating_sub(depth.saturating_mul(len));
        let stale: Vec<u64> = ahead.range(..floor).map(|(k, _)| *k).collect();
        for k in stale {
            if let Some((_, task)) = ahead.remove(&k) {
                task.abort();
            }
        }
        let task = match ahead.remove(&start) {
            Some((l, task)) if l == len => task,
            Some((_, task)) => {
                task.abort();
                self.fetch(start..start + len)
            }
            None => self.fetch(start..start + len),
        };
        if len as usize >= PREFETCH_MIN {
            for i in 1..=depth {
                let next = start + i * len;
                if next >= self.size || ahead.len() as u64 >= depth {
                    break;
                }
                if let Entry::Vacant(slot) = ahead.entry(next) {
                    let end = (next + len).min(self.size);
                    slot.insert((end - next, self.fetch(next..end)));
                }
            }
        }
        task
    }
}

fn not_found(url: &StoreUrl) -> Error {
    let e = std::io::Error::new(std::io::ErrorKind::NotFound, "no such object");
    Error::io("open source", url.to_string(), e)
}

impl Source for RemoteSource {
    fn location(&self) -> &Location {
        &self.location
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let end = offset.saturating_add(buf.len() as u64);
        if end > self.size {
            return Err(store_failure(
                "read",
                &self.url,
                format!(
                    "bytes {offset}..{end} are past the end ({} bytes)",
                    self.size
                ),
            ));
        }
        if buf.is_empty() {
            return Ok(());
        }
        let got = block_on(self.task_for(offset, buf.len() as u64))
            .map_err(|lost| store_failure("read", &self.url, lost.to_string()))??;
        buf.copy_from_slice(&got);
        Ok(())
    }
}

impl Drop for RemoteSource {
    fn drop(&mut self) {
        let ahead = self.ahead.get_mut().unwrap_or_else(|e| e.into_inner());
        for (_, (_, task)) in std::mem::take(ahead) {
            task.abort();
        }
    }
}
