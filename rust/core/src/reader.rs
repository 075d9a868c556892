//! A reader thread: claims the next chunk, reads only its data ranges
//! (holes are zero-filled, not read), tests for zeros, hashes it once and
//! hands the same Arc'd chunk to every writer.
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use crossbeam_channel::Sender;

use crate::chunk::is_zero;
use crate::error::Result;
use crate::hash::digest;
use crate::pipeline::{Chunk, Shared};

pub fn run(sh: &Shared, writers: &[Sender<Arc<Chunk>>]) {
    let count = sh.layout.count();
    while !sh.stopped() {
        let index = sh.next_chunk.fetch_add(1, Relaxed);
        if index >= count {
            break;
        }
        let chunk = match read_chunk(sh, index) {
            Ok(Some(c)) => Arc::new(c),
            Ok(None) => break,
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

/// None when the job stopped while waiting for a buffer.
fn read_chunk(sh: &Shared, index: u64) -> Result<Option<Chunk>> {
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
        return Ok(Some(zero_chunk(sh)));
    }
    let Some(mut buf) = sh.pool.get(len as usize, || sh.stopped()) else {
        return Ok(None);
    };
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
    sh.holes_skipped.fetch_add(len - read, Relaxed);
    if let Some(t) = &sh.throttle {
        t.take(read, || sh.stopped());
    }
    sh.progress.bytes_read.fetch_add(read, Relaxed);
    if is_zero(&buf) {
        sh.zero_bytes.fetch_add(len, Relaxed);
        return Ok(Some(zero_chunk(sh)));
    }
    Ok(Some(Chunk {
        index,
        offset: range.start,
        len,
        digest: if sh.hash { digest(&buf) } else { [0; 16] },
        data: Some(buf),
    }))
}
