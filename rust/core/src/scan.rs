//! Parallel chunked hashing of a whole source: the read side of verify,
//! repair and `Manifest` computation.  Holes are not read; they hash as
//! the zeros they contain.
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

use crate::chunk::{is_zero, ChunkLayout};
use crate::error::{Error, Result};
use crate::hash::{digest, zero_digest, Digest};
use crate::manifest::Manifest;
use crate::pagebuf::PageBuf;
use crate::source::{DataMap, Source};

/// Default reader threads for a scan.
pub const DEFAULT_THREADS: usize = 4;

/// Calls `visit(i, digest)` for every chunk of `layout` on `threads`
/// threads, in no particular order; `digest` is None for a chunk that
/// reaches past the end of `src`.  Stops at the first read error.
pub fn scan(
    src: &dyn Source,
    layout: ChunkLayout,
    threads: Option<usize>,
    visit: impl Fn(u64, Option<(Digest, bool)>) + Sync,
) -> Result<()> {
    if threads == Some(0) {
        return Err(Error::InvalidArgument(
            "threads 0 must be at least 1".into(),
        ));
    }
    let size = src.size();
    let data = DataMap::new(src.data_ranges()?);
    let next = AtomicU64::new(0);
    let failed = AtomicBool::new(false);
    let error = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads.unwrap_or(DEFAULT_THREADS).clamp(1, 64) {
            s.spawn(|| {
                let mut buf = PageBuf::new(layout.chunk_size.min(layout.size) as usize);
                while !failed.load(Relaxed) {
                    let i = next.fetch_add(1, Relaxed);
                    if i >= layout.count() {
                        break;
                    }
                    let range = layout.range(i);
                    if range.end > size {
                        visit(i, None);
                        continue;
                    }
                    match chunk_digest(src, &data, range, &mut buf[..layout.len(i)]) {
                        Ok(d) => visit(i, Some(d)),
                        Err(e) => {
                            failed.store(true, Relaxed);
                            error
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .get_or_insert(e);
                        }
                    }
                }
            });
        }
    });
    match error
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// (digest, is_zero) of one chunk, reading only its data ranges.
fn chunk_digest(
    src: &dyn Source,
    data: &DataMap,
    range: Range<u64>,
    buf: &mut [u8],
) -> Result<(Digest, bool)> {
    let parts = data.data_in(&range);
    if parts.is_empty() {
        return Ok((zero_digest(range.end - range.start), true));
    }
    buf.fill(0);
    for p in parts {
        let at = |o: u64| (o - range.start) as usize;
        src.read_at(p.start, &mut buf[at(p.start)..at(p.end)])?;
    }
    Ok((digest(buf), is_zero(buf)))
}

/// The manifest a copy of `src` in `chunk_size` chunks would write.
pub fn compute_manifest(
    src: &dyn Source,
    chunk_size: u64,
    threads: Option<usize>,
) -> Result<Manifest> {
    let layout = ChunkLayout::new(chunk_size, src.size())?;
    let n = layout.count() as usize;
    let table = Mutex::new((vec![[0u8; 16]; n], vec![false; n]));
    scan(src, layout, threads, |i, d| {
        let (d, zero) = d.expect("a source covers its own size");
        let mut t = table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        t.0[i as usize] = d;
        t.1[i as usize] = zero;
    })?;
    let (digests, zero) = table
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Ok(Manifest::new(layout, true, digests, zero))
}
