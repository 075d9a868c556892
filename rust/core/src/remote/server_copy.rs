//! Intra-region replicas without moving bytes through this machine: when
//! the source is a committed replica (its manifest beside it, at the job's
//! chunk size) and every destination is in the same S3 bucket on the same
//! service, each replica is a server-side CopyObject.  The manifest goes up
//! first and the copy lands atomically, as with a streamed replica; a copy
//! that fails removes its manifest again and fails alone.  Anything else
//! (another bucket or service, Azure, objects over 5 GiB, no manifest) is
//! streamed by the normal pipeline.
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures::stream::{self, StreamExt};

use super::location::RemoteLocation;
use super::runtime::block_on;
use super::store::Store;
use super::url::StoreUrl;
use crate::error::{Error, Result};
use crate::location::Location;
use crate::manifest::Manifest;
use crate::pipeline::Plan;
use crate::progress::Progress;
use crate::report::{CopyReport, DestinationReport};

/// Server-side copies in flight at once.
const COPIES_IN_FLIGHT: usize = 8;

/// What `copy` did with a plan.
pub enum ServerSide {
    /// Every destination was handled server-side.
    Done(Result<CopyReport>),
    /// Not eligible: stream it.
    Stream(Plan),
}

struct Eligible {
    store: Arc<Store>,
    source: StoreUrl,
    manifest: Manifest,
}

/// Runs `plan` as server-side copies if it qualifies.
pub fn copy(plan: Plan) -> ServerSide {
    match eligible(&plan) {
        Some(e) => ServerSide::Done(run(plan, e)),
        None => ServerSide::Stream(plan),
    }
}

fn eligible(plan: &Plan) -> Option<Eligible> {
    let Location::Remote(src) = plan.source.location() else {
        return None;
    };
    let store = src.store().ok()?;
    let size = plan.layout.size;
    let same_store = |d: &Location| match d {
        Location::Remote(r) => same_service(src, r),
        Location::File(_) => false,
    };
    let all_same = plan
        .dests
        .iter()
        .all(|d| d.sink.is_some() && same_store(&d.location));
    if !plan.opts.hash || plan.dests.is_empty() || !all_same || !store.copies_server_side(size) {
        return None;
    }
    let (_, manifest) = super::manifest::load_beside(src).ok()?;
    (manifest.hashed && manifest.layout == plan.layout).then(|| Eligible {
        store,
        source: src.url.clone(),
        manifest,
    })
}

/// Same backend, bucket and options: one service that can copy between them.
fn same_service(a: &RemoteLocation, b: &RemoteLocation) -> bool {
    a.url.backend() == b.url.backend() && a.url.bucket() == b.url.bucket() && a.options == b.options
}

fn run(mut plan: Plan, e: Eligible) -> Result<CopyReport> {
    let started = Instant::now();
    let encoded = Bytes::from(e.manifest.encode());
    let targets: Vec<(usize, StoreUrl)> = plan
        .dests
        .iter()
        .filter_map(|d| match &d.location {
            Location::Remote(r) => Some((d.index, r.url.clone())),
            Location::File(_) => None,
        })
        .collect();
    // No upload was started: dropping the sinks costs nothing.
    plan.dests.iter_mut().for_each(|d| d.sink = None);
    let results: Vec<(usize, Result<String>)> = block_on(
        stream::iter(targets)
            .map(|(index, url)| {
                let (store, source, manifest, cancel) =
                    (&e.store, &e.source, encoded.clone(), &plan.cancel);
                async move {
                    if cancel.is_cancelled() {
                        return (index, Err(Error::Cancelled));
                    }
                    (index, copy_one(store, source, &url, manifest).await)
                }
            })
            .buffer_unordered(COPIES_IN_FLIGHT)
            .collect(),
    );
    if plan.cancel.is_cancelled() {
        return Err(Error::Cancelled);
    }
    let zero_bytes: u64 = (0..e.manifest.chunk_count())
        .filter(|&i| e.manifest.zero[i as usize])
        .map(|i| e.manifest.layout.len(i) as u64)
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
        digest: Some(e.manifest.image_digest),
        hashed: true,
        seconds: started.elapsed().as_secs_f64(),
        destinations: destinations
            .into_iter()
            .map(|d| d.expect("one result per destination"))
            .collect(),
    })
}

/// Manifest first, then the atomic object copy; the manifest goes again if
/// the copy fails, so a replica never shows without one.
async fn copy_one(
    store: &Store,
    source: &StoreUrl,
    dest: &StoreUrl,
    manifest: Bytes,
) -> Result<String> {
    let manifest_url = dest.with_suffix(super::MANIFEST_SUFFIX)?;
    store.put(&manifest_url, manifest).await?;
    if let Err(err) = store.copy(source, dest).await {
        let _ = store.delete(&manifest_url).await;
        return Err(err);
    }
    Ok(manifest_url.to_string())
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
    }
}
