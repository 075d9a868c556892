//! A reader thread: claims the next chunk, reads only its data ranges
//! (holes are zero-filled, not read), tests for zeros, hashes it once and
//! hands the same Arc'd chunk to every writer.
use std::ops::Range;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use crossbeam_channel::Sender;

use crate::chunk::is_zero;
use crate::error::Result;
use crate::hash::digest;
use crate::pipeline::{Chunk, Shared};
use crate::pool::PoolBuf;

pub fn run(sh: &Shared, writers: &[Sender<Arc<Chunk>>]) {
    let count = sh.layout.count();
    let size = sh.layout.chunk_size as usize;
    while !sh.stopped() {
        // The buffer first, then the index: a claimed chunk never waits for
        // a buffer, so a sink holding later chunks while it waits for this
        // one (its reorder buffer, a part being filled) always gets it.
        let Some(buf) = sh.pool.get(size, || sh.stopped()) else {
            break;
        };
        let index = sh.next_chunk.fetch_add(1, Relaxed);
        if index >= count {
            break;
        }
        let chunk = match read_chunk(sh, index, buf) {
            Ok(c) => Arc::new(c),
            Err(e) => {
                sh.fail_source(e);
                break;
            }
        };
        sh.record(index, chunk.digest, chunk.data.is_none());
        sh.progress.chunks_read.fetch_add(1, Relaxed);
        for tx in writers {
            // Err: that writer has stopped (job cancelled or failed).
            let _ = tx.send(chunk.clone());
        }
    }
}

/// Reads chunk `index` into `buf`, which goes back to the pool at once for
/// a zero chunk.
fn read_chunk(sh: &Shared, index: u64, mut buf: PoolBuf) -> Result<Chunk> {
    let range = sh.layout.range(index);
    let len = range.end - range.start;
    let parts = sh.data.data_in(&range);
    let zero_chunk = |sh: &Shared| Chunk {
        index,
        offset: range.start,
        len,
        digest: if sh.hash {
            sh.zero_digest_of(index)
        } else {
            [0; 16]
        },
        data: None,
    };
    if parts.is_empty() {
        sh.holes_skipped.fetch_add(len, Relaxed);
        sh.zero_bytes.fetch_add(len, Relaxed);
        return Ok(zero_chunk(sh));
    }
    buf.truncate(len as usize);
    let read = fill(sh, &range, &parts, &mut buf)?;
    sh.holes_skipped.fetch_add(len - read, Relaxed);
    sh.throttle.take(read, || sh.stopped());
    sh.progress.bytes_read.fetch_add(read, Relaxed);
    if is_zero(&buf) {
        sh.zero_bytes.fetch_add(len, Relaxed);
        return Ok(zero_chunk(sh));
    }
    Ok(Chunk {
        index,
        offset: range.start,
        len,
        digest: if sh.hash { digest(&buf) } else { [0; 16] },
        data: Some(buf.into_shared()),
    })
}

/// Reads `range` of the source into `buf` (its length): its data `parts`
/// (`DataMap::data_in`) are read, the holes between zero-filled; returns the
/// bytes read.
pub fn fill(sh: &Shared, range: &Range<u64>, parts: &[Range<u64>], buf: &mut [u8]) -> Result<u64> {
    let mut filled = range.start;
    let mut read = 0;
    for part in parts {
        let at = |o: u64| (o - range.start) as usize;
        buf[at(filled)..at(part.start)].fill(0);
        sh.source
            .read_at(part.start, &mut buf[at(part.start)..at(part.end)])?;
        read += part.end - part.start;
        filled = part.end;
    }
    buf[(filled - range.start) as usize..].fill(0);
    Ok(read)
}
