//! Runs a prepared copy: spawns readers and writers, waits for them, builds
//! the manifest and commits every healthy destination.  Whatever path it
//! returns by, uncommitted sinks are dropped here, which removes their
//! temporaries.
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

use bytes::Bytes;
use crossbeam_channel::bounded;

use crate::base::{Base, BaseUse};
use crate::chunk::ChunkLayout;
use crate::error::{Error, Result};
use crate::fanout::{CancelHandle, CopyOptions};
use crate::hash::{zero_digest, Digest};
use crate::location::Location;
use crate::manifest::Manifest;
use crate::pool::Pool;
use crate::progress::Progress;
use crate::report::{CopyReport, DestinationReport};
use crate::sink::{Sink, SinkOptions};
use crate::source::{DataMap, Source};
use crate::throttle::Throttle;

pub struct Plan {
    pub source: Box<dyn Source>,
    pub layout: ChunkLayout,
    pub data: DataMap,
    pub opts: CopyOptions,
    pub cancel: CancelHandle,
    /// The read cap; the job's owner may change it while it runs.
    pub throttle: Arc<Throttle>,
    pub progress: Arc<Progress>,
    pub dests: Vec<Dest>,
}

/// One destination and what happened to it.
pub struct Dest {
    pub index: usize,
    pub location: Location,
    pub sink: Option<Box<dyn Sink>>,
    pub error: Option<String>,
    pub bytes_written: u64,
    pub zero_skipped: u64,
    pub resumed: u64,
    pub manifest_path: String,
    /// Where unchanged chunks come from (delta copies); None once dropped.
    pub base: Option<Base>,
    /// The base as given, for the report, and what became of it.
    pub base_given: Option<String>,
    pub base_use: BaseUse,
}

impl Dest {
    pub fn open(index: usize, location: Location, opts: &SinkOptions, progress: &Progress) -> Dest {
        // A file's manifest path is known (and reported) even if the copy
        // fails; an object's is reported once committed.
        let manifest_path = (location.local_path())
            .and(location.manifest_location().ok())
            .map(|m| m.to_string())
            .unwrap_or_default();
        let mut dest = Dest {
            index,
            sink: None,
            error: None,
            bytes_written: 0,
            zero_skipped: 0,
            resumed: 0,
            manifest_path,
            location,
            base: None,
            base_given: None,
            base_use: BaseUse::default(),
        };
        // Only a backend that can resume gets the journal key.
        let resumable = dest.location.capabilities().resume;
        let opts = match &opts.resume {
            Some(_) if !resumable => &SinkOptions {
                resume: None,
                ..opts.clone()
            },
            _ => opts,
        };
        match dest.location.open_sink(opts) {
            Ok(sink) => dest.sink = Some(sink),
            Err(e) => dest.fail(&e, progress),
        }
        dest
    }

    /// Fails this destination alone; dropping the sink removes its files.
    pub fn fail(&mut self, err: &Error, progress: &Progress) {
        self.error = Some(err.to_string());
        self.sink = None;
        let p = &progress.dests[self.index];
        p.failed.store(true, Relaxed);
        p.done.store(true, Relaxed);
        progress.notify();
    }

    fn report(&self) -> DestinationReport {
        DestinationReport {
            location: self.location.to_string(),
            ok: self.error.is_none(),
            error: self.error.clone(),
            bytes_written: self.bytes_written,
            zero_bytes_skipped: self.zero_skipped,
            resumed_bytes: self.resumed,
            manifest_path: self.manifest_path.clone(),
            bytes_from_source: self.bytes_written - self.base_use.bytes,
            bytes_from_base: self.base_use.bytes,
            base: self.base_given.clone(),
            base_note: (self.base_given.as_deref()).and_then(|b| self.base_use.note(b)),
        }
    }
}

/// A chunk read and hashed once; `data` (a pool buffer, shared by every
/// sink that keeps it) is None for an all-zero chunk.
pub struct Chunk {
    pub index: u64,
    pub offset: u64,
    pub len: u64,
    pub digest: Digest,
    pub data: Option<Bytes>,
}

/// State every engine thread of one job shares.
pub struct Shared {
    pub source: Box<dyn Source>,
    pub layout: ChunkLayout,
    pub data: DataMap,
    pub hash: bool,
    pub cancel: CancelHandle,
    source_failed: AtomicBool,
    error: Mutex<Option<Error>>,
    pub next_chunk: AtomicU64,
    table: Mutex<(Vec<Digest>, Vec<bool>)>,
    pub progress: Arc<Progress>,
    pub pool: Pool,
    /// Sinks may keep `Chunk::data` instead of copying it (see `buffers`).
    pub share: bool,
    pub throttle: Arc<Throttle>,
    /// Destinations still healthy; reading stops when none is.
    pub live: AtomicUsize,
    zero_full: Digest,
    zero_last: Digest,
    pub holes_skipped: AtomicU64,
    pub zero_bytes: AtomicU64,
}

impl Shared {
    /// True once nothing more should be read or written.
    pub fn stopped(&self) -> bool {
        self.cancel.is_cancelled()
            || self.source_failed.load(Relaxed)
            || self.live.load(Relaxed) == 0
    }

    /// A source error fails the whole job; the first one is kept.
    pub fn fail_source(&self, err: Error) {
        let mut slot = self
            .error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        slot.get_or_insert(err);
        self.source_failed.store(true, Relaxed);
    }

    /// The real digest of chunk `index` if it were all zeros.
    pub fn zero_digest_of(&self, index: u64) -> Digest {
        if self.layout.len(index) as u64 == self.layout.chunk_size {
            self.zero_full
        } else {
            self.zero_last
        }
    }

    pub fn record(&self, index: u64, digest: Digest, zero: bool) {
        let mut t = self
            .table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        t.0[index as usize] = digest;
        t.1[index as usize] = zero;
    }

    /// The digest `record`ed for chunk `index`.
    pub fn digest_of(&self, index: u64) -> Digest {
        self.table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0[index as usize]
    }
}

pub fn run(plan: Plan) -> Result<CopyReport> {
    // Replicas the destinations' store can copy inside itself are copied
    // there, not streamed (the server-copy capability).
    let plan = match crate::server_copy::copy(plan) {
        crate::server_copy::ServerSide::Done(report) => return report,
        crate::server_copy::ServerSide::Stream(plan) => plan,
    };
    let started = Instant::now();
    let Plan {
        source,
        layout,
        data,
        opts,
        cancel,
        throttle,
        progress,
        dests,
    } = plan;
    let n = layout.count() as usize;
    let writers = opts.threads.unwrap_or(8).min(dests.len()).max(1);
    let readers = (opts.threads.unwrap_or(4) / 2).clamp(1, 4);
    let kept = dests
        .iter()
        .filter_map(|d| d.sink.as_ref().map(|s| s.kept_chunks()));
    let pool = crate::buffers::plan(layout.chunk_size, readers, kept);
    let buffers = pool.buffers;
    let last_len = if n == 0 {
        0
    } else {
        layout.len(n as u64 - 1) as u64
    };
    let shared = Shared {
        source,
        data,
        hash: opts.hash,
        cancel,
        source_failed: AtomicBool::new(false),
        error: Mutex::new(None),
        next_chunk: AtomicU64::new(0),
        table: Mutex::new((vec![[0; 16]; n], vec![false; n])),
        progress,
        pool: Pool::new(buffers, layout.chunk_size as usize),
        share: pool.share,
        throttle,
        live: AtomicUsize::new(dests.iter().filter(|d| d.sink.is_some()).count()),
        zero_full: zero_digest(layout.chunk_size),
        zero_last: zero_digest(last_len),
        holes_skipped: AtomicU64::new(0),
        zero_bytes: AtomicU64::new(0),
        layout,
    };
    let mut dests = run_threads(&shared, dests, writers, readers, buffers);
    if shared.cancel.is_cancelled() {
        return Err(Error::Cancelled);
    }
    if let Some(err) = shared
        .error
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
    {
        return Err(err);
    }
    let manifest = (shared.live.load(Relaxed) > 0).then(|| {
        let (digests, zero) = std::mem::take(
            &mut *shared
                .table
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        Manifest::new(layout, opts.hash, digests, zero)
    });
    if let Some(m) = &manifest {
        commit_all(&mut dests, m, writers, &shared.progress);
    }
    Ok(CopyReport {
        source: shared.source.location().to_string(),
        source_size: layout.size,
        bytes_read: shared.progress.bytes_read.load(Relaxed),
        holes_skipped: shared.holes_skipped.load(Relaxed),
        zero_bytes: shared.zero_bytes.load(Relaxed),
        chunk_size: layout.chunk_size,
        digest: manifest.map(|m| m.image_digest),
        hashed: opts.hash,
        seconds: started.elapsed().as_secs_f64(),
        destinations: dests.iter().map(Dest::report).collect(),
    })
}

/// Runs readers and writers to the end and hands the destinations back in
/// order.  A writer that panicked loses its sinks (their Drop cleans up)
/// and its destinations are reported failed.
fn run_threads(
    shared: &Shared,
    dests: Vec<Dest>,
    writers: usize,
    readers: usize,
    buffers: usize,
) -> Vec<Dest> {
    let count = dests.len();
    let mut groups: Vec<Vec<Dest>> = (0..writers).map(|_| Vec::new()).collect();
    for d in dests {
        groups[d.index % writers].push(d);
    }
    let meta: Vec<Vec<(usize, Location, String)>> = groups
        .iter()
        .map(|g| {
            g.iter()
                .map(|d| (d.index, d.location.clone(), d.manifest_path.clone()))
                .collect()
        })
        .collect();
    let mut out: Vec<Option<Dest>> = (0..count).map(|_| None).collect();
    thread::scope(|s| {
        let mut senders = Vec::with_capacity(writers);
        let mut handles = Vec::with_capacity(writers);
        for group in groups {
            let (tx, rx) = bounded::<Arc<Chunk>>(buffers);
            senders.push(tx);
            handles.push(s.spawn(move || crate::writer::run(shared, group, &rx)));
        }
        let reader_handles: Vec<_> = (0..readers)
            .map(|_| {
                let senders = senders.clone();
                s.spawn(move || crate::reader::run(shared, &senders))
            })
            .collect();
        drop(senders);
        for h in reader_handles {
            if h.join().is_err() {
                let e = std::io::Error::other("reader thread panicked");
                shared.fail_source(Error::io(
                    "read source",
                    shared.source.location().to_string(),
                    e,
                ));
            }
        }
        for (h, group_meta) in handles.into_iter().zip(meta) {
            match h.join() {
                Ok(group) => group.into_iter().for_each(|d| {
                    let i = d.index;
                    out[i] = Some(d);
                }),
                Err(_) => {
                    for (index, location, manifest_path) in group_meta {
                        out[index] = Some(panicked_dest(index, location, manifest_path, shared));
                    }
                }
            }
        }
    });
    out.into_iter()
        .map(|d| d.expect("every destination comes back"))
        .collect()
}

fn panicked_dest(index: usize, location: Location, manifest_path: String, shared: &Shared) -> Dest {
    let mut d = Dest {
        index,
        location,
        sink: None,
        error: None,
        bytes_written: 0,
        zero_skipped: 0,
        resumed: 0,
        manifest_path,
        base: None,
        base_given: None,
        base_use: BaseUse::default(),
    };
    let e = Error::io(
        "write replica",
        d.location.to_string(),
        std::io::Error::other("writer thread panicked"),
    );
    d.fail(&e, &shared.progress);
    d
}

/// Commits healthy destinations in parallel, one thread per writer group.
fn commit_all(dests: &mut [Dest], manifest: &Manifest, writers: usize, progress: &Progress) {
    let per = dests.len().div_ceil(writers);
    thread::scope(|s| {
        for group in dests.chunks_mut(per) {
            s.spawn(move || {
                for d in group.iter_mut() {
                    let Some(sink) = d.sink.take() else { continue };
                    match sink.commit(manifest) {
                        Ok(path) => {
                            d.manifest_path = path;
                            progress.dests[d.index].done.store(true, Relaxed);
                            progress.notify();
                        }
                        Err(e) => d.fail(&e, progress),
                    }
                }
            });
        }
    });
}
