//! Chunk arithmetic (how an image of `size` bytes splits into chunks) and
//! the all-zero test that decides which chunks are never written.
use std::ops::Range;

use crate::error::{Error, Result};

/// Sector size: chunk sizes are whole sectors so chunk boundaries never
/// split a VHD sector and direct I/O stays possible later.
pub const SECTOR: u64 = 512;
/// The default chunk size, 4 MiB.
pub const DEFAULT_CHUNK_SIZE: u64 = 4 << 20;
/// Upper bound so a typo (`4G` instead of `4M`) cannot eat all memory.
pub const MAX_CHUNK_SIZE: u64 = 1 << 30;

/// How an image of `size` bytes is cut into `chunk_size` pieces; the last
/// piece may be short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkLayout {
    pub chunk_size: u64,
    pub size: u64,
}

impl ChunkLayout {
    /// Validates the chunk size: a positive multiple of 512, at most 1 GiB.
    pub fn new(chunk_size: u64, size: u64) -> Result<ChunkLayout> {
        check_chunk_size(chunk_size)?;
        Ok(ChunkLayout { chunk_size, size })
    }

    pub fn count(&self) -> u64 {
        self.size.div_ceil(self.chunk_size)
    }

    /// Byte range of chunk `index` (must be < count).
    pub fn range(&self, index: u64) -> Range<u64> {
        let start = index * self.chunk_size;
        start..(start + self.chunk_size).min(self.size)
    }

    /// Length of chunk `index`.
    pub fn len(&self, index: u64) -> usize {
        let r = self.range(index);
        (r.end - r.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.size == 0
    }
}

/// Refuses a chunk size that is zero, not a multiple of 512, or too large;
/// the message names the value.
pub fn check_chunk_size(chunk_size: u64) -> Result<()> {
    if chunk_size == 0 || chunk_size % SECTOR != 0 {
        return Err(Error::InvalidArgument(format!(
            "chunk_size {chunk_size} must be a positive multiple of {SECTOR} bytes"
        )));
    }
    if chunk_size > MAX_CHUNK_SIZE {
        return Err(Error::InvalidArgument(format!(
            "chunk_size {chunk_size} exceeds the maximum of {MAX_CHUNK_SIZE} bytes (1 GiB)"
        )));
    }
    Ok(())
}

/// True if every byte is zero.  ORs 4 KiB blocks as u64 words (the compiler
/// vectorises this) and stops at the first block with data, so a data chunk
/// usually costs one block.
pub fn is_zero(buf: &[u8]) -> bool {
    const BLOCK: usize = 4096;
    let mut blocks = buf.chunks_exact(BLOCK);
    for block in &mut blocks {
        let mut acc = 0u64;
        for word in block.chunks_exact(8) {
            acc |= u64::from_ne_bytes(word.try_into().expect("8-byte word"));
        }
        if acc != 0 {
            return false;
        }
    }
    blocks.remainder().iter().all(|&b| b == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_splits_with_a_short_last_chunk() {
        let l = ChunkLayout::new(1024, 2500).unwrap();
        assert_eq!(l.count(), 3);
        assert_eq!(l.range(0), 0..1024);
        assert_eq!(l.range(2), 2048..2500);
        assert_eq!(l.len(2), 452);
        let exact = ChunkLayout::new(512, 4096).unwrap();
        assert_eq!(exact.count(), 8);
        assert_eq!(exact.len(7), 512);
        assert_eq!(ChunkLayout::new(512, 0).unwrap().count(), 0);
    }

    #[test]
    fn bad_chunk_sizes_are_refused_by_value() {
        for bad in [0u64, 1, 511, 513, 1000, MAX_CHUNK_SIZE + SECTOR] {
            let err = ChunkLayout::new(bad, 10).unwrap_err().to_string();
            assert!(err.contains(&bad.to_string()), "{err}");
        }
        assert!(ChunkLayout::new(MAX_CHUNK_SIZE, 10).is_ok());
    }

    #[test]
    fn zero_detection_sees_any_nonzero_byte() {
        // Sizes around the 4 KiB block and 8-byte word edges.
        for len in [0usize, 1, 7, 8, 4095, 4096, 4097, 3 * 4096 + 5] {
            let mut buf = vec![0u8; len];
            assert!(is_zero(&buf), "len {len}");
            for pos in [0, len / 2, len.saturating_sub(1)] {
                if len == 0 {
                    continue;
                }
                buf[pos] = 0x80;
                assert!(!is_zero(&buf), "len {len} pos {pos}");
                buf[pos] = 0;
            }
        }
    }
}
