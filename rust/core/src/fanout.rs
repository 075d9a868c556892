//! The fan-out copy job: one source, read once, to N destinations.
//!
//! `CopyJob::start` checks every argument and opens the source and the
//! destinations on the caller's thread (so bad input fails at once and
//! changes nothing), then runs the pipeline on engine threads:
//! readers (pread, zero test, xxh3-128) -> bounded channels of Arc'd
//! chunks -> one writer thread per group of destinations.  A destination
//! given a base (`start_with_bases`, see `base`) takes its unchanged chunks
//! from that earlier replica instead of the source's bytes.
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::base::{self, Base, BaseSpec};
use crate::chunk::{check_chunk_size, ChunkLayout, DEFAULT_CHUNK_SIZE};
use crate::error::{Error, Result};
use crate::journal::JournalKey;
use crate::location::Location;
use crate::pipeline::{self, Dest, Plan};
use crate::progress::Progress;
use crate::report::CopyReport;
use crate::sink::{check_not_existing, SinkOptions};
use crate::source::DataMap;
use crate::throttle::Throttle;

/// More destinations than this is almost surely a mistake (Azure's limit
/// is 100 replicas per region).
pub const MAX_DESTINATIONS: usize = 1024;

#[derive(Clone, Debug)]
pub struct CopyOptions {
    /// Bytes per chunk: a positive multiple of 512.
    pub chunk_size: u64,
    /// Writer threads (destinations are shared out among them); the source
    /// is read by max(1, min(4, threads / 2)) threads.  Default
    /// min(destinations, 8).
    pub threads: Option<usize>,
    /// Hash chunks (off only to measure the hash's cost; then nothing can
    /// be verified or resumed).
    pub hash: bool,
    /// fdatasync replicas before commit (off only for benchmarks).
    pub fsync: bool,
    /// Replace existing replicas.
    pub overwrite: bool,
    /// Cap on source reads, bytes per second.
    pub bwlimit: Option<u64>,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            chunk_size: DEFAULT_CHUNK_SIZE,
            threads: None,
            hash: true,
            fsync: true,
            overwrite: false,
            bwlimit: None,
        }
    }
}

/// Stops a running job from any thread.
#[derive(Clone, Debug, Default)]
pub struct CancelHandle(Arc<AtomicBool>);

impl CancelHandle {
    pub fn cancel(&self) {
        self.0.store(true, Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Relaxed)
    }
}

/// A running copy.  Dropping it without `wait` cancels the job (which
/// still cleans up on its own thread).
pub struct CopyJob {
    progress: Arc<Progress>,
    cancel: CancelHandle,
    throttle: Arc<Throttle>,
    source: String,
    thread: Option<JoinHandle<Result<CopyReport>>>,
}

impl CopyJob {
    pub fn start(source: &str, destinations: &[String], opts: &CopyOptions) -> Result<CopyJob> {
        Self::start_with_bases(source, destinations, &[], opts)
    }

    /// `start`, with a base per destination (empty, or one entry each):
    /// a delta copy for the destinations that have one.
    pub fn start_with_bases(
        source: &str,
        destinations: &[String],
        bases: &[Option<BaseSpec>],
        opts: &CopyOptions,
    ) -> Result<CopyJob> {
        let cancel = CancelHandle::default();
        let throttle = Arc::new(Throttle::new(opts.bwlimit));
        let targets = Targets {
            destinations,
            bases,
        };
        let plan = prepare(source, targets, opts, cancel.clone(), throttle.clone())?;
        let progress = plan.progress.clone();
        let source = plan.source.location().to_string();
        let finish_on_exit = FinishGuard(progress.clone());
        let thread = std::thread::Builder::new()
            .name("imgrepl-copy".into())
            .spawn(move || {
                // Declared first, dropped last: `finished` turns true only
                // after every temporary is gone.
                let _finish = finish_on_exit;
                crate::priority::lower_this_thread();
                pipeline::run(plan)
            })
            .map_err(|e| Error::io("start copy thread for", source.clone(), e))?;
        Ok(CopyJob {
            progress,
            cancel,
            throttle,
            source,
            thread: Some(thread),
        })
    }

    pub fn progress(&self) -> &Arc<Progress> {
        &self.progress
    }

    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    /// The job's read cap, to change while it runs (`Throttle::set`).
    pub fn throttle(&self) -> Arc<Throttle> {
        self.throttle.clone()
    }

    /// Blocks until the job ends.  Per-destination failures are in the
    /// report; a source failure or cancellation is the error.
    pub fn wait(mut self) -> Result<CopyReport> {
        let thread = self.thread.take().expect("wait is called once");
        thread.join().unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(std::string::ToString::to_string)
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let e = std::io::Error::other(format!("engine thread panicked: {what}"));
            Err(Error::io("copy", self.source.clone(), e))
        })
    }
}

impl Drop for CopyJob {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.cancel.cancel();
        }
    }
}

struct FinishGuard(Arc<Progress>);

impl Drop for FinishGuard {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// The destinations of a job and their bases (empty, or one per destination).
#[derive(Clone, Copy)]
struct Targets<'a> {
    destinations: &'a [String],
    bases: &'a [Option<BaseSpec>],
}

/// Checks arguments, opens the source and every destination.  Errors here
/// are the caller's: nothing has been written.  A destination that cannot
/// be opened fails alone and is carried in the plan; one whose base cannot
/// be opened is copied in full.
fn prepare(
    source: &str,
    targets: Targets<'_>,
    opts: &CopyOptions,
    cancel: CancelHandle,
    throttle: Arc<Throttle>,
) -> Result<Plan> {
    let Targets {
        destinations,
        bases,
    } = targets;
    check_chunk_size(opts.chunk_size)?;
    check_counts(destinations.len(), opts)?;
    if !bases.is_empty() && bases.len() != destinations.len() {
        return Err(Error::InvalidArgument(format!(
            "{} bases given for {} destinations (one each, or none)",
            bases.len(),
            destinations.len()
        )));
    }
    if bases.iter().any(Option::is_some) && !opts.hash {
        return Err(Error::InvalidArgument(
            "a base needs hashing on: its chunks are checked by digest".into(),
        ));
    }
    let src_loc = Location::parse(source)?;
    let dst_locs = destinations
        .iter()
        .map(|d| Location::parse(d))
        .collect::<Result<Vec<_>>>()?;
    let src = src_loc.open_source()?;
    check_distinct(&src_loc, &dst_locs)?;
    for loc in &dst_locs {
        check_not_existing(loc, opts.overwrite)?;
    }
    let layout = ChunkLayout::new(opts.chunk_size, src.size())?;
    let parsed = bases
        .iter()
        .map(|b| b.as_ref().map(|b| base::parse(b, &layout)).transpose())
        .collect::<Result<Vec<_>>>()?;
    let data = DataMap::new(src.data_ranges()?);
    let sink_opts = SinkOptions {
        layout,
        overwrite: opts.overwrite,
        fsync: opts.fsync,
        resume: opts.hash.then(|| {
            JournalKey::new(
                layout.chunk_size,
                layout.size,
                &src_loc.identity().to_string(),
            )
        }),
    };
    let progress = Arc::new(Progress::new(layout.size, layout.count(), dst_locs.len()));
    let mut parsed = parsed.into_iter();
    let dests = dst_locs
        .into_iter()
        .enumerate()
        .map(|(index, loc)| {
            let mut dest = Dest::open(index, loc, &sink_opts, &progress);
            if let Some((at, manifest)) = parsed.next().flatten() {
                dest.base_given = Some(at.to_string());
                match Base::open(at, manifest) {
                    Ok(b) => dest.base = Some(b),
                    Err(why) => dest.base_use.dropped = Some(why),
                }
            }
            dest
        })
        .collect();
    Ok(Plan {
        source: src,
        layout,
        data,
        opts: opts.clone(),
        cancel,
        throttle,
        progress,
        dests,
    })
}

fn check_counts(destinations: usize, opts: &CopyOptions) -> Result<()> {
    if destinations == 0 {
        return Err(Error::InvalidArgument("no destinations given".into()));
    }
    if destinations > MAX_DESTINATIONS {
        return Err(Error::InvalidArgument(format!(
            "{destinations} destinations exceed the maximum of {MAX_DESTINATIONS}"
        )));
    }
    if opts.threads == Some(0) {
        return Err(Error::InvalidArgument(
            "threads 0 must be at least 1".into(),
        ));
    }
    if opts.bwlimit == Some(0) {
        return Err(Error::InvalidArgument(
            "bwlimit 0 must be at least 1 byte/s".into(),
        ));
    }
    Ok(())
}

/// No destination may be the source or appear twice (after resolving `..`
/// and symlinked directories).
fn check_distinct(source: &Location, dests: &[Location]) -> Result<()> {
    let src_id = source.identity();
    let mut seen: HashMap<Location, &Location> = HashMap::new();
    for d in dests {
        let id = d.identity();
        if id == src_id {
            return Err(Error::InvalidArgument(format!(
                "destination {d} is the source itself"
            )));
        }
        if let Some(first) = seen.insert(id, d) {
            return Err(Error::InvalidArgument(format!(
                "destination {d} is given twice (also as {first})"
            )));
        }
    }
    Ok(())
}
