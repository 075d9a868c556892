//! Repair of a remote replica.  Objects cannot be patched in place, so the
//! object is rewritten as a new multipart upload that replaces it only on
//! completion: good chunks are read back from the replica itself (no
//! egress from the good copy's region), damaged ones from the good copy.
//! The manifest beside it is the truth and stays as it is.
use std::path::Path;
use std::time::Instant;

use super::location::RemoteLocation;
use super::sink::RemoteSink;
use super::source::RemoteSource;
use crate::chunk::is_zero;
use crate::error::Result;
use crate::location::Location;
use crate::manifest::Manifest;
use crate::repair::RepairReport;
use crate::sink::{ChunkRef, Sink, SinkOptions};
use crate::source::Source;
use crate::verify::{bad_chunks, report};

/// Rewrites `remote` from itself and `good` (which already passed `m`),
/// then verifies it again.
pub fn repair_object(
    remote: &RemoteLocation,
    location: &Location,
    good: &dyn Source,
    m: &Manifest,
    manifest_path: &Path,
) -> Result<RepairReport> {
    let bad = {
        let replica = RemoteSource::open(remote, location.clone())?;
        let bad = bad_chunks(&replica, m, None)?;
        if !bad.is_empty() || replica.size() != m.layout.size {
            rewrite(remote, location, &replica, good, m, &bad)?;
        }
        bad
    };
    let started = Instant::now();
    let replica = RemoteSource::open(remote, location.clone())?;
    let after = bad_chunks(&replica, m, None)?;
    Ok(RepairReport {
        path: location.to_string(),
        chunks_repaired: bad.len() as u64,
        bytes_repaired: bad.iter().map(|&i| m.layout.len(i) as u64).sum(),
        verify: report(location, manifest_path, m, replica.size(), &after, started),
    })
}

fn rewrite(
    remote: &RemoteLocation,
    location: &Location,
    replica: &RemoteSource,
    good: &dyn Source,
    m: &Manifest,
    bad: &[u64],
) -> Result<()> {
    let layout = m.layout;
    let opts = SinkOptions {
        layout,
        overwrite: true,
        fsync: false,
        resume: None,
    };
    let mut sink = RemoteSink::open(remote, location.clone(), &opts)?;
    let mut buf = vec![0u8; layout.chunk_size.min(layout.size) as usize];
    for index in 0..layout.count() {
        let range = layout.range(index);
        let from: &dyn Source = if bad.binary_search(&index).is_ok() || range.end > replica.size() {
            good
        } else {
            replica
        };
        let data = &mut buf[..layout.len(index)];
        from.read_at(range.start, data)?;
        let chunk = ChunkRef {
            index,
            offset: range.start,
            data,
            digest: m.digests[index as usize],
            // One replica, from a buffer reused for the next chunk: copied.
            shared: None,
        };
        if is_zero(chunk.data) {
            sink.zero_chunk(&chunk, chunk.data.len() as u64)?;
        } else {
            sink.write_chunk(&chunk)?;
        }
    }
    sink.replace_object()
}
