//! A writer thread: serves a group of destinations, writing each chunk to
//! every healthy one.  A failing destination is dropped from the group
//! (its sink cleans up) and the others carry on; the thread keeps draining
//! its channel so the readers' buffers always come back to the pool.
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use crossbeam_channel::Receiver;

use crate::error::Result;
use crate::pipeline::{Chunk, Dest, Shared};
use crate::sink::{ChunkRef, Sink};

pub fn run(sh: &Shared, mut group: Vec<Dest>, rx: &Receiver<Arc<Chunk>>) -> Vec<Dest> {
    for chunk in rx {
        if sh.stopped() {
            return group;
        }
        for dest in &mut group {
            let Some(sink) = dest.sink.as_mut() else {
                continue;
            };
            match write_one(sh, sink.as_mut(), &chunk) {
                Ok(outcome) => dest_progress(sh, dest, &chunk, outcome),
                Err(e) => {
                    dest.fail(&e, &sh.progress);
                    sh.live.fetch_sub(1, Relaxed);
                }
            }
        }
        sh.progress.notify();
    }
    if !sh.stopped() {
        for dest in &mut group {
            let Some(sink) = dest.sink.as_mut() else {
                continue;
            };
            if let Err(e) = sink.flush() {
                dest.fail(&e, &sh.progress);
                sh.live.fetch_sub(1, Relaxed);
            }
        }
    }
    group
}

#[derive(Clone, Copy)]
enum Outcome {
    Written,
    Zero,
    Resumed,
}

fn write_one(sh: &Shared, sink: &mut dyn Sink, chunk: &Chunk) -> Result<Outcome> {
    if sh.hash && sink.resumed_digest(chunk.index) == Some(chunk.digest) {
        return Ok(Outcome::Resumed);
    }
    let data = chunk.data.as_deref().unwrap_or(&[]);
    let cref = ChunkRef {
        index: chunk.index,
        offset: chunk.offset,
        data,
        digest: chunk.digest,
        shared: chunk.data.as_ref().filter(|_| sh.share),
    };
    if chunk.data.is_none() {
        sink.zero_chunk(&cref, chunk.len)?;
        Ok(Outcome::Zero)
    } else {
        sink.write_chunk(&cref)?;
        Ok(Outcome::Written)
    }
}

fn dest_progress(sh: &Shared, dest: &mut Dest, chunk: &Chunk, outcome: Outcome) {
    let p = &sh.progress.dests[dest.index];
    match outcome {
        Outcome::Written => {
            dest.bytes_written += chunk.len;
            p.bytes_written.fetch_add(chunk.len, Relaxed);
        }
        // A resumed zero chunk is still a zero chunk, not resumed data.
        Outcome::Zero | Outcome::Resumed if chunk.data.is_none() => dest.zero_skipped += chunk.len,
        Outcome::Zero | Outcome::Resumed => dest.resumed += chunk.len,
    }
    p.bytes_done.fetch_add(chunk.len, Relaxed);
    p.chunks_done.fetch_add(1, Relaxed);
}
