//! The block allocation table: one big-endian u32 per block, the sector
//! where the block's bitmap starts (its data follows the bitmap), or
//! 0xFFFFFFFF for a block that is not stored.
use std::ops::Range;

use super::{Corrupt, SECTOR, UNALLOCATED};

/// A region of the file that blocks must not overlap, with its name.
pub(crate) type Reserved = (Range<u64>, &'static str);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bat {
    entries: Vec<u32>,
    block_size: u64,
    bitmap_size: u64,
}

impl Bat {
    /// `bytes` is the table as stored, 4 bytes per entry.
    pub fn from_bytes(bytes: &[u8], block_size: u32, bitmap_size: u64) -> Bat {
        let entries = bytes
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Bat {
            entries,
            block_size: u64::from(block_size),
            bitmap_size,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn block_size(&self) -> u64 {
        self.block_size
    }

    /// File offset of block `index`'s data, or None if it is not stored.
    pub fn data_offset(&self, index: usize) -> Option<u64> {
        match self.entries.get(index) {
            Some(&e) if e != UNALLOCATED => Some(u64::from(e) * SECTOR + self.bitmap_size),
            _ => None,
        }
    }

    /// Number of blocks stored in the file.
    pub fn allocated_blocks(&self) -> u64 {
        self.entries.iter().filter(|&&e| e != UNALLOCATED).count() as u64
    }

    /// Bytes of the virtual disk's first `virtual_size` bytes that lie in
    /// stored blocks.  A last block that straddles the end counts only its
    /// part inside the disk, so the result never exceeds `virtual_size`.
    pub fn allocated_bytes(&self, virtual_size: u64) -> u64 {
        (0..self.entries.len())
            .filter(|&i| self.entries[i] != UNALLOCATED)
            .map(|i| {
                let start = (i as u64).saturating_mul(self.block_size);
                virtual_size.saturating_sub(start).min(self.block_size)
            })
            .sum()
    }

    /// Every stored block (bitmap + data) must end by `data_end`, stay
    /// clear of the `reserved` metadata regions, and not share bytes with
    /// another block: a block that aliases metadata or another block would
    /// silently read or corrupt the wrong bytes.
    pub(crate) fn validate(&self, data_end: u64, reserved: &[Reserved]) -> Result<(), Corrupt> {
        let span = self.bitmap_size + self.block_size;
        let mut stored: Vec<(u64, usize)> = Vec::new();
        for (i, &e) in self.entries.iter().enumerate() {
            if e == UNALLOCATED {
                continue;
            }
            let start = u64::from(e) * SECTOR;
            let end = start + span; // < 2^41 + 2^33: cannot overflow
            if end > data_end {
                return Err(Corrupt::new(
                    "bat",
                    format!(
                        "entry {i}: block at bytes {start}..{end} runs past the data area, \
                         which ends at {data_end} (file truncated?)"
                    ),
                ));
            }
            if let Some((_, name)) = reserved
                .iter()
                .find(|(r, _)| start < r.end && r.start < end)
            {
                return Err(Corrupt::new(
                    "bat",
                    format!("entry {i}: block at bytes {start}..{end} overlaps the {name}"),
                ));
            }
            stored.push((start, i));
        }
        stored.sort_unstable();
        for pair in stored.windows(2) {
            let ((a, ia), (b, ib)) = (pair[0], pair[1]);
            if b < a + span {
                return Err(Corrupt::new(
                    "bat",
                    format!("entries {ia} and {ib}: blocks at bytes {a} and {b} overlap"),
                ));
            }
        }
        Ok(())
    }
}
