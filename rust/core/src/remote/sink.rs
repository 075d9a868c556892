//! A replica written to an object store as one multipart upload.
//!
//! Chunks may arrive out of order (several reader threads feed a writer),
//! so they wait in a small reorder buffer until the next part's chunks are
//! all there; a part is `k` whole chunks (see `parts`).  Up to
//! `concurrency` parts upload at once per replica, on the store runtime, so
//! the writer thread that serves several replicas never waits on one
//! request, within a process-wide byte budget (see `budget`).  Chunks are
//! kept as the pipeline's shared buffers, not copied, so N replicas of a
//! job hold one copy of each chunk (see `crate::buffers`).  Zero chunks
//! are uploaded as zeros (objects have no holes), sliced from one
//! process-wide zero buffer.
//!
//! Commit order mirrors the local sink: the manifest goes up first, beside
//! the final key, and the upload is completed last, which is the moment the
//! object appears.  So a replica is never visible without its manifest; if
//! completing fails, the manifest is removed again.  An object smaller than
//! one part is written by a single PUT at commit instead.  Dropped before
//! commit (failure, cancel), the sink aborts its multipart upload, so
//! nothing appears at the final key.
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use object_store::{MultipartUpload, ObjectStoreExt, PutPayload};
use tokio::task::JoinHandle;

use super::bucket::Bucket;
use super::budget::PARTS;
use super::error::store_failure;
use super::location::RemoteLocation;
use super::parts::chunks_per_part;
use super::url::StoreUrl;
use crate::chunk::ChunkLayout;
use crate::error::{Error, Result};
use crate::location::Location;
use crate::manifest::Manifest;
use crate::runtime::{block_on, spawn};
use crate::sink::{ChunkRef, Sink, SinkOptions};

type PartTask = JoinHandle<object_store::Result<()>>;

pub struct RemoteSink {
    location: Location,
    url: StoreUrl,
    store: Arc<Bucket>,
    layout: ChunkLayout,
    overwrite: bool,
    chunks_per_part: u64,
    /// Chunks that arrived ahead of `next`.
    waiting: BTreeMap<u64, Bytes>,
    /// The next chunk index the current part needs.
    next: u64,
    part: Vec<Bytes>,
    upload: Option<Box<dyn MultipartUpload>>,
    in_flight: VecDeque<PartTask>,
}

impl RemoteSink {
    pub fn open(remote: &RemoteLocation, location: Location, opts: &SinkOptions) -> Result<Self> {
        Ok(Self::with_store(
            remote.bucket()?,
            remote.url.clone(),
            location,
            opts,
        ))
    }

    pub(crate) fn with_store(
        store: Arc<Bucket>,
        url: StoreUrl,
        location: Location,
        opts: &SinkOptions,
    ) -> Self {
        let layout = opts.layout;
        RemoteSink {
            location,
            url,
            chunks_per_part: chunks_per_part(
                store.service(),
                store.tuning().part_size,
                layout.chunk_size,
                layout.count(),
            ),
            store,
            layout,
            overwrite: opts.overwrite,
            waiting: BTreeMap::new(),
            next: 0,
            part: Vec::new(),
            upload: None,
            in_flight: VecDeque::new(),
        }
    }

    fn accept(&mut self, index: u64, data: Bytes) -> Result<()> {
        if index < self.next || index >= self.layout.count() || self.waiting.contains_key(&index) {
            return Err(store_failure(
                "upload",
                &self.url,
                format!("chunk {index} delivered twice or out of range"),
            ));
        }
        self.waiting.insert(index, data);
        while let Some(data) = self.waiting.remove(&self.next) {
            self.part.push(data);
            self.next += 1;
            let last = self.next == self.layout.count();
            if self.part.len() as u64 == self.chunks_per_part && !last {
                self.send_part()?;
            }
        }
        Ok(())
    }

    /// Starts uploading the current part; first waits for the oldest part
    /// if `concurrency` are already in flight.
    fn send_part(&mut self) -> Result<()> {
        let payload: PutPayload = std::mem::take(&mut self.part).into_iter().collect();
        if self.upload.is_none() {
            let started = block_on(self.store.client().put_multipart(self.url.key()));
            self.upload = Some(self.check("start upload", started)?);
        }
        while self.in_flight.len() >= self.store.tuning().concurrency {
            self.wait_oldest()?;
        }
        // Within the process-wide budget: first by waiting for this
        // replica's own parts, then for other replicas'.
        let bytes = payload.content_length() as u64;
        let permit = loop {
            if let Some(permit) = PARTS.try_take(bytes) {
                break permit;
            }
            if self.in_flight.is_empty() {
                break PARTS.take(bytes);
            }
            self.wait_oldest()?;
        };
        let upload = self.upload.as_mut().expect("upload started above");
        let part = upload.put_part(payload);
        self.in_flight.push_back(spawn(async move {
            let _held = permit;
            part.await
        }));
        Ok(())
    }

    fn wait_oldest(&mut self) -> Result<()> {
        if let Some(task) = self.in_flight.pop_front() {
            match block_on(task) {
                Ok(done) => self.check("upload part", done)?,
                Err(lost) => return Err(store_failure("upload part", &self.url, lost.to_string())),
            }
        }
        Ok(())
    }

    fn check<T>(&self, op: &'static str, r: object_store::Result<T>) -> Result<T> {
        r.map_err(|e| self.store.error(op, &self.url, &e))
    }

    /// The chunks this sink holds now (reorder buffer and part being
    /// filled), for tests of what is shared.
    #[cfg(test)]
    pub(crate) fn held(&self) -> impl Iterator<Item = &Bytes> {
        self.waiting.values().chain(&self.part)
    }

    /// Uploads what is left and makes the object appear at its final key.
    fn finish(&mut self) -> Result<()> {
        if self.upload.is_none() {
            let payload: PutPayload = std::mem::take(&mut self.part).into_iter().collect();
            let put = block_on(self.store.client().put(self.url.key(), payload));
            return self.check("upload", put).map(drop);
        }
        if !self.part.is_empty() {
            self.send_part()?;
        }
        while !self.in_flight.is_empty() {
            self.wait_oldest()?;
        }
        let upload = self.upload.as_mut().expect("checked above");
        let done = block_on(upload.complete());
        self.check("complete upload", done)?;
        // Completed: there is nothing left for Drop to abort.
        self.upload = None;
        Ok(())
    }

    /// Replaces the object with what was written, leaving the manifest
    /// beside it alone (repair: the manifest is already the truth).
    pub(crate) fn replace_object(mut self) -> Result<()> {
        self.check_complete()?;
        self.finish()
    }

    fn check_complete(&self) -> Result<()> {
        if self.next == self.layout.count() {
            return Ok(());
        }
        Err(store_failure(
            "commit",
            &self.url,
            format!(
                "only {} of {} chunks were written",
                self.next,
                self.layout.count()
            ),
        ))
    }

    fn check_overwrite(&self) -> Result<()> {
        if self.overwrite {
            return Ok(());
        }
        match block_on(self.store.head(&self.url))? {
            None => Ok(()),
            Some(_) => Err(already_exists(&self.url)),
        }
    }
}

/// The engine's "replica exists" error, the same for every backend.
pub(crate) fn already_exists(url: &StoreUrl) -> Error {
    crate::store::already_exists(&url.to_string())
}

/// `len` zero bytes, sliced from one buffer the whole process shares (it
/// only grows, to the largest chunk asked for).
fn zeros(len: usize) -> Bytes {
    static ZEROS: Mutex<Bytes> = Mutex::new(Bytes::new());
    let mut zeros = ZEROS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if zeros.len() < len {
        *zeros = Bytes::from(vec![0u8; len]);
    }
    zeros.slice(..len)
}

impl Sink for RemoteSink {
    fn location(&self) -> &Location {
        &self.location
    }

    /// The part being filled and `concurrency` parts uploading.
    fn kept_chunks(&self) -> usize {
        let parts = self.store.tuning().concurrency as u64 + 1;
        (self.chunks_per_part * parts) as usize
    }

    fn write_chunk(&mut self, chunk: &ChunkRef<'_>) -> Result<()> {
        self.accept(chunk.index, chunk.to_bytes())
    }

    fn zero_chunk(&mut self, chunk: &ChunkRef<'_>, len: u64) -> Result<()> {
        self.accept(chunk.index, zeros(len as usize))
    }

    /// Waits for the parts in flight: what is flushed is stored remotely.
    fn flush(&mut self) -> Result<()> {
        while !self.in_flight.is_empty() {
            self.wait_oldest()?;
        }
        Ok(())
    }

    fn commit(mut self: Box<Self>, manifest: &Manifest) -> Result<String> {
        self.check_complete()?;
        self.check_overwrite()?;
        let manifest_url = self.url.with_suffix(crate::manifest::MANIFEST_SUFFIX)?;
        block_on(
            self.store
                .put(&manifest_url, Bytes::from(manifest.encode())),
        )?;
        if let Err(e) = self.finish() {
            let _ = block_on(self.store.delete(&manifest_url));
            return Err(e);
        }
        Ok(manifest_url.to_string())
    }
}

impl Drop for RemoteSink {
    fn drop(&mut self) {
        for task in &self.in_flight {
            task.abort();
        }
        if let Some(mut upload) = self.upload.take() {
            // Best effort: a store that is down keeps the parts until its
            // lifecycle rules expire them; nothing is at the final key.
            let _ = block_on(upload.abort());
        }
    }
}
