//! Where a copy writes: the destination trait every store implements.
//!
//! A sink is owned by one writer thread (so `Send`, used through `&mut`).
//! Chunks arrive whole and carry their index, so an object-store sink can
//! map chunk i to multipart part i+1; it may block on the shared runtime
//! inside its methods.  Nothing is visible at the final name until
//! `commit`; dropping an uncommitted sink must remove everything it wrote
//! (temporary file, journal, multipart upload).
use bytes::Bytes;

use crate::chunk::ChunkLayout;
use crate::error::Result;
use crate::hash::Digest;
use crate::journal::JournalKey;
use crate::location::Location;
use crate::manifest::Manifest;

/// One chunk of the source, hashed once, handed to every sink.
pub struct ChunkRef<'a> {
    pub index: u64,
    pub offset: u64,
    pub data: &'a [u8],
    pub digest: Digest,
    /// The pipeline's buffer holding `data`, when sinks may keep it (the
    /// job's pool is sized for what they keep, see `buffers`).
    pub shared: Option<&'a Bytes>,
}

impl ChunkRef<'_> {
    /// The chunk's bytes to keep beyond `write_chunk`: the shared buffer
    /// itself (a reference count, so N replicas hold one copy), else a copy.
    pub fn to_bytes(&self) -> Bytes {
        match self.shared {
            Some(shared) => shared.clone(),
            None => Bytes::copy_from_slice(self.data),
        }
    }
}

#[derive(Clone, Debug)]
pub struct SinkOptions {
    pub layout: ChunkLayout,
    /// Replace an existing replica at commit.
    pub overwrite: bool,
    /// Make data durable before commit (off only for benchmarks).
    pub fsync: bool,
    /// Resume from, and keep, a journal; None when digests are off.
    pub resume: Option<JournalKey>,
}

/// What `Sink::copy_from_base` did with a base chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BaseCopy {
    /// This sink cannot copy from that file: the caller copies the bytes.
    Unsupported,
    /// Copied, and the replica's bytes there hash to the chunk's digest.
    Matched,
    /// Copied, but they do not: the caller writes the source's bytes over.
    Mismatch,
    /// The replica shares the base's blocks there (a reflink); whether they
    /// hash to the digest is found by `Sink::check_shared` at the end.
    Shared,
}

pub trait Sink: Send {
    fn location(&self) -> &Location;

    /// The digest a previous interrupted run made durable for chunk
    /// `index`, if any: the writer skips the chunk when it matches.
    fn resumed_digest(&self, _index: u64) -> Option<Digest> {
        None
    }

    /// How many chunks this sink may keep after `write_chunk` returns
    /// (an object store's part being filled and parts uploading); the job
    /// sizes its buffer pool so that many can be out of it at once.
    fn kept_chunks(&self) -> usize {
        0
    }

    /// Writes a chunk of data at its offset.
    fn write_chunk(&mut self, chunk: &ChunkRef<'_>) -> Result<()>;

    /// Copies chunk `index` (`len` bytes at `offset`) from the same offset
    /// of `base`, a local file, without passing it through memory, then
    /// checks what the replica holds there against `digest`.
    fn copy_from_base(
        &mut self,
        base: &std::fs::File,
        index: u64,
        offset: u64,
        len: u64,
        digest: &Digest,
    ) -> Result<BaseCopy> {
        let _ = (base, index, offset, len, digest);
        Ok(BaseCopy::Unsupported)
    }

    /// Reads back every chunk `copy_from_base` answered `Shared` and returns
    /// the indices of those whose bytes do not hash to their digest (the
    /// caller writes them from the source).  One sequential pass once all
    /// are shared lets readahead work, which a read of each chunk as it is
    /// shared cannot: the range beyond it is not shared yet.
    fn check_shared(&mut self) -> Result<Vec<u64>> {
        Ok(Vec::new())
    }

    /// Records an all-zero chunk; `chunk.data` is empty.  Fresh sinks
    /// write nothing (local files keep a hole).
    fn zero_chunk(&mut self, chunk: &ChunkRef<'_>, len: u64) -> Result<()>;

    /// Makes everything written so far durable.
    fn flush(&mut self) -> Result<()>;

    /// Publishes the replica and its manifest under their final names and
    /// returns where the manifest went.
    fn commit(self: Box<Self>, manifest: &Manifest) -> Result<String>;
}

/// Opens a sink by address.
pub fn open_sink(location: &Location, opts: &SinkOptions) -> Result<Box<dyn Sink>> {
    location.open_sink(opts)
}

/// Refuses, before anything is written, a destination that already holds a
/// replica when `overwrite` is off.
pub fn check_not_existing(location: &Location, overwrite: bool) -> Result<()> {
    location.store().check_not_existing(overwrite)
}
