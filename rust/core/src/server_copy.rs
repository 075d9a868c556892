//! Replicas copied inside their store instead of streamed through this
//! machine, when the destinations' backend has the server-copy capability:
//! the source is a committed replica (its manifest beside it, hashed, at
//! the job's chunk size) and every destination's store says it can copy
//! from it (`Store::can_copy_from`: same service, within its size limit).
//! Each destination then gets the manifest first and the object
//! atomically, as a streamed replica would; a copy that fails fails alone.
//! Anything else is streamed by the normal pipeline.
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use bytes::Bytes;
use futures::stream::{self, StreamExt};

use crate::error::{Error, Result};
use crate::location::Location;
use crate::manifest::Manifest;
use crate::pipeline::Plan;
use crate::progress::Progress;
use crate::report::{CopyReport, DestinationReport};
use crate::runtime::block_on;

/// Server-side copies in flight at once.
const COPIES_IN_FLIGHT: usize = 8;

/// What `copy` did with a plan.
pub enum ServerSide {
    /// Every destination was handled server-side.
    Done(Result<CopyReport>),
    /// Not eligible: stream it.
    Stream(Plan),
}

/// Runs `plan` as server-side copies if it qualifies.
pub fn copy(plan: Plan) -> ServerSide {
    match eligible(&plan) {
        Some(manifest) => ServerSide::Done(run(plan, &manifest)),
        None => ServerSide::Stream(plan),
    }
}

/// The source's manifest, when every destination can be copied from it.
fn eligible(plan: &Plan) -> Option<Manifest> {
    let src = plan.source.location();
    let size = plan.layout.size;
    let capable = |d: &Location| d.capabilities().server_copy && d.store().can_copy_from(src, size);
    let all_capable = plan
        .dests
        .iter()
        .all(|d| d.sink.is_some() && d.base.is_none() && capable(&d.location));
    if !plan.opts.hash || plan.dests.is_empty() || !all_capable {
        return None;
    }
    let manifest = Manifest::load_from(&src.manifest_location().ok()?).ok()?;
    (manifest.hashed && manifest.layout == plan.layout).then_some(manifest)
}

fn run(mut plan: Plan, manifest: &Manifest) -> Result<CopyReport> {
    let started = Instant::now();
    let encoded = Bytes::from(manifest.encode());
    let targets: Vec<(usize, Location)> = plan
        .dests
        .iter()
        .map(|d| (d.index, d.location.clone()))
        .collect();
    // No upload was started: dropping the sinks costs nothing.
    plan.dests.iter_mut().for_each(|d| d.sink = None);
    let results: Vec<(usize, Result<String>)> = block_on(
        stream::iter(targets)
            .map(|(index, dest)| {
                let (source, manifest, cancel) =
                    (plan.source.location(), encoded.clone(), &plan.cancel);
                async move {
                    if cancel.is_cancelled() {
                        return (index, Err(Error::Cancelled));
                    }
                    (index, dest.store().copy_from(source, manifest).await)
                }
            })
            .buffer_unordered(COPIES_IN_FLIGHT)
            .collect(),
    );
    if plan.cancel.is_cancelled() {
        return Err(Error::Cancelled);
    }
    let zero_bytes: u64 = (0..manifest.chunk_count())
        .filter(|&i| manifest.zero[i as usize])
        .map(|i| manifest.layout.len(i) as u64)
        .sum();
    let mut destinations: Vec<Option<DestinationReport>> = vec![None; plan.dests.len()];
    for (index, result) in results {
        let location = plan.dests[index].location.to_string();
        let report = record(
            &plan.progress,
            index,
            location,
            result,
            plan.layout.size,
            zero_bytes,
        );
        destinations[index] = Some(report);
    }
    Ok(CopyReport {
        source: plan.source.location().to_string(),
        source_size: plan.layout.size,
        bytes_read: 0,
        holes_skipped: 0,
        zero_bytes,
        chunk_size: plan.layout.chunk_size,
        digest: Some(manifest.image_digest),
        hashed: true,
        seconds: started.elapsed().as_secs_f64(),
        destinations: destinations
            .into_iter()
            .map(|d| d.expect("one result per destination"))
            .collect(),
    })
}

fn record(
    progress: &Progress,
    index: usize,
    location: String,
    result: Result<String>,
    size: u64,
    zero_bytes: u64,
) -> DestinationReport {
    let p = &progress.dests[index];
    let ok = result.is_ok();
    if ok {
        p.bytes_written.fetch_add(size - zero_bytes, Relaxed);
        p.bytes_done.fetch_add(size, Relaxed);
        p.chunks_done.store(progress.chunks_total, Relaxed);
    } else {
        p.failed.store(true, Relaxed);
    }
    p.done.store(true, Relaxed);
    progress.notify();
    let (manifest_path, error) = match result {
        Ok(path) => (path, None),
        Err(e) => (String::new(), Some(e.to_string())),
    };
    DestinationReport {
        location,
        ok,
        error,
        bytes_written: if ok { size - zero_bytes } else { 0 },
        zero_bytes_skipped: if ok { zero_bytes } else { 0 },
        resumed_bytes: 0,
        manifest_path,
        bytes_from_source: if ok { size - zero_bytes } else { 0 },
        bytes_from_base: 0,
        base: None,
        base_note: None,
    }
}
