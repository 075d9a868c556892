//! A writer thread: serves a group of destinations, writing each chunk to
//! every healthy one.  A failing destination is dropped from the group
//! (its sink cleans up) and the others carry on; the thread keeps draining
//! its channel so the readers' buffers always come back to the pool.
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use crossbeam_channel::Receiver;

use crate::base::BaseUse;
use crate::error::Result;
use crate::pagebuf::PageBuf;
use crate::pipeline::{Chunk, Dest, Shared};
use crate::sink::{BaseCopy, ChunkRef, Sink};

pub fn run(sh: &Shared, mut group: Vec<Dest>, rx: &Receiver<Arc<Chunk>>) -> Vec<Dest> {
    // Base chunks are read into this, allocated on first use.
    let mut base_buf = PageBuf::default();
    for chunk in rx {
        if sh.stopped() {
            return group;
        }
        for dest in &mut group {
            if dest.sink.is_none() {
                continue;
            }
            match write_one(sh, dest, &chunk, &mut base_buf) {
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
            let done = check_shared(sh, sink.as_mut(), &mut dest.base_use);
            if let Err(e) = done.and_then(|()| sink.flush()) {
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

fn write_one(
    sh: &Shared,
    dest: &mut Dest,
    chunk: &Chunk,
    base_buf: &mut PageBuf,
) -> Result<Outcome> {
    let sink = dest
        .sink
        .as_mut()
        .expect("only healthy destinations are written");
    if sh.hash && sink.resumed_digest(chunk.index) == Some(chunk.digest) {
        return Ok(Outcome::Resumed);
    }
    let copied = match chunk.data {
        Some(_) => copy_from_base(sh, dest, chunk)?,
        None => BaseCopy::Unsupported,
    };
    if matches!(copied, BaseCopy::Matched | BaseCopy::Shared) {
        dest.base_use.bytes += chunk.len;
        return Ok(Outcome::Written);
    }
    if copied == BaseCopy::Unsupported
        && chunk.data.is_some()
        && from_base(sh, dest, chunk, base_buf)
    {
        let sink = dest.sink.as_mut().expect("checked above");
        sink.write_chunk(&ChunkRef {
            index: chunk.index,
            offset: chunk.offset,
            data: &base_buf[..chunk.len as usize],
            digest: chunk.digest,
            shared: None,
        })?;
        dest.base_use.bytes += chunk.len;
        return Ok(Outcome::Written);
    }
    let sink = dest.sink.as_mut().expect("checked above");
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

/// Has the sink copy `chunk` from a local base inside the kernel (see
/// `Sink::copy_from_base`).  A chunk whose copy did not match is counted
/// bad and then written from the source; Unsupported (no base holding the
/// chunk, not a local file, a sink that cannot) leaves it to `from_base`.
fn copy_from_base(sh: &Shared, dest: &mut Dest, chunk: &Chunk) -> Result<BaseCopy> {
    let (Some(base), Some(sink)) = (dest.base.as_ref(), dest.sink.as_mut()) else {
        return Ok(BaseCopy::Unsupported);
    };
    let Some(file) = base.file() else {
        return Ok(BaseCopy::Unsupported);
    };
    if !sh.hash || !base.holds(chunk.index, chunk.len, &chunk.digest) {
        return Ok(BaseCopy::Unsupported);
    }
    let copied = sink.copy_from_base(file, chunk.index, chunk.offset, chunk.len, &chunk.digest)?;
    if copied == BaseCopy::Mismatch {
        dest.base_use.note_bad(chunk.index);
    }
    Ok(copied)
}

/// Checks the chunks the sink shares with its base (`Sink::check_shared`)
/// and writes those that do not match from the source, read again.
fn check_shared(sh: &Shared, sink: &mut dyn Sink, base_use: &mut BaseUse) -> Result<()> {
    let bad = sink.check_shared()?;
    let mut buf = PageBuf::default();
    for index in bad {
        let range = sh.layout.range(index);
        buf.set_len(sh.layout.len(index));
        crate::reader::fill(sh, &range, &sh.data.data_in(&range), &mut buf)?;
        let want = sh.digest_of(index);
        if crate::hash::digest(&buf) != want {
            let why = format!("chunk {index} changed during the copy");
            let path = sh.source.location().to_string();
            let e = std::io::Error::new(std::io::ErrorKind::InvalidData, why);
            return Err(crate::error::Error::io("read source", path, e));
        }
        sink.write_chunk(&ChunkRef {
            index,
            offset: range.start,
            data: &buf,
            digest: want,
            shared: None,
        })?;
        base_use.bytes -= range.end - range.start;
        base_use.note_bad(index);
    }
    Ok(())
}

/// Whether `chunk` can come from the destination's base: it holds the same
/// digest at the same index and its bytes, read into `buf`, hash to it.  A
/// chunk that does not match comes from the source; a base that cannot be
/// read is dropped and the rest comes from the source.
fn from_base(sh: &Shared, dest: &mut Dest, chunk: &Chunk, buf: &mut PageBuf) -> bool {
    let Some(base) = dest.base.as_ref() else {
        return false;
    };
    if !sh.hash || !base.holds(chunk.index, chunk.len, &chunk.digest) {
        return false;
    }
    buf.set_len(chunk.len as usize);
    match base.read_checked(chunk.offset, buf, &chunk.digest) {
        Ok(true) => true,
        Ok(false) => {
            dest.base_use.note_bad(chunk.index);
            false
        }
        Err(e) => {
            dest.base_use.dropped = Some(format!(
                "base {} dropped at chunk {} ({e}); the rest came from the source",
                base.location, chunk.index
            ));
            dest.base = None;
            false
        }
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
