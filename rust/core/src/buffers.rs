//! How many chunk buffers a job's pool holds, and whether sinks may keep
//! them (zero-copy) or must copy what they keep.
//!
//! Object-store sinks keep chunks after `write_chunk` returns: in their
//! reorder buffer, in the part being filled and in the parts uploading.
//! Sharing the pool's buffers makes that memory independent of the number
//! of replicas (every replica holds the same buffer), but a kept chunk is a
//! buffer out of the pool, so the pool must be big enough for it:
//!
//! - Progress: readers take a buffer *before* claiming a chunk index, so a
//!   chunk a sink is waiting for always has its buffer and arrives; what can
//!   stay kept while no buffer is free is one unfinished part per distinct
//!   part size (at most `chunks_per_part - 1` shared chunks, since all
//!   replicas fill the same chunk range), and parts uploading are released
//!   when their requests end.  A pool of at least `kept + readers` buffers
//!   therefore never starves.
//! - Throughput: `kept` counts `concurrency` parts uploading plus the one
//!   being filled, so a replica never waits for buffers its own uploads
//!   hold; `MARGIN` lets readers run a little ahead of the slowest replica.
//!
//! When that pool would be unreasonably large (tiny chunks in big parts),
//! sinks copy instead, as before, bounded by the remote parts budget.

/// Chunk buffers a job gets anyway: about 64 MiB, 2 to 64 buffers.
const POOL_BYTES: u64 = 64 << 20;
/// Buffers beyond what sinks keep and readers fill.
const MARGIN: usize = 4;
/// Above either, sinks copy rather than share.
const MAX_SHARED_BYTES: u64 = 1 << 30;
const MAX_SHARED_BUFFERS: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolPlan {
    pub buffers: usize,
    /// Sinks may keep the pool's buffers (`ChunkRef::shared` is set).
    pub share: bool,
}

/// The pool for chunks of `chunk_size` bytes, `readers` reader threads and
/// sinks that each keep up to `kept` chunks (`Sink::kept_chunks`).
pub fn plan(chunk_size: u64, readers: usize, kept: impl Iterator<Item = usize>) -> PoolPlan {
    let base = (POOL_BYTES / chunk_size.max(1)).clamp(2, 64) as usize;
    let kept = kept.max().unwrap_or(0);
    if kept == 0 {
        // Nothing is kept: sharing costs nothing and changes nothing.
        return PoolPlan {
            buffers: base,
            share: true,
        };
    }
    let buffers = base.max(kept + readers + MARGIN);
    if buffers > MAX_SHARED_BUFFERS || buffers as u64 * chunk_size > MAX_SHARED_BYTES {
        return PoolPlan {
            buffers: base,
            share: false,
        };
    }
    PoolPlan {
        buffers,
        share: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn local_jobs_keep_the_default_pool() {
        let p = plan(4 * MIB, 4, [0, 0].into_iter());
        assert_eq!(p.buffers, 16);
        assert_eq!(plan(64 * MIB, 1, std::iter::empty()).buffers, 2);
        assert_eq!(plan(512, 1, std::iter::empty()).buffers, 64);
    }

    #[test]
    fn the_pool_holds_what_the_greediest_sink_keeps_plus_readers() {
        // 64 MiB parts of 4 MiB chunks, 4 uploading + 1 filling: 80 chunks.
        let p = plan(4 * MIB, 4, [10, 80, 0].into_iter());
        assert_eq!(
            p,
            PoolPlan {
                buffers: 88,
                share: true
            }
        );
        // Small parts fit the default pool.
        assert_eq!(plan(MIB, 2, [40].into_iter()).buffers, 64);
    }

    #[test]
    fn a_pool_too_big_to_share_falls_back_to_copying() {
        // 512 B chunks in 8 MiB parts: 16,384 chunks per part.
        let p = plan(512, 4, [5 * 16384].into_iter());
        assert_eq!(
            p,
            PoolPlan {
                buffers: 64,
                share: false
            }
        );
        // 64 MiB chunks, 20 kept: 1.5 GiB of buffers.
        assert!(!plan(64 * MIB, 4, [20].into_iter()).share);
    }
}
