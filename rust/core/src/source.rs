//! What a copy reads from.  A sync trait object shared by the reader
//! threads (`&self` positional reads); an object-store source implements
//! it by blocking on the store runtime inside `read_at`.
use std::ops::Range;

use crate::error::Result;
use crate::location::Location;

pub trait Source: Send + Sync {
    fn location(&self) -> &Location;
    /// Size in bytes, fixed when the source was opened.
    fn size(&self) -> u64;
    /// Fills `buf` from `offset`; a short read is an error.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()>;
    /// Ranges that may hold data; the rest reads as zeros and is never read.
    fn data_ranges(&self) -> Result<Vec<Range<u64>>> {
        Ok(std::iter::once(0..self.size()).collect())
    }
    /// The open file, for a source that is one: a local replica sink can
    /// then copy from it inside the kernel (see `Sink::copy_from_base`).
    fn local_file(&self) -> Option<&std::fs::File> {
        None
    }
}

/// Opens a source by address.
pub fn open_source(location: &Location) -> Result<Box<dyn Source>> {
    location.open_source()
}

/// The data ranges of a source, queried per chunk.
pub struct DataMap {
    ranges: Vec<Range<u64>>,
}

impl DataMap {
    pub fn new(mut ranges: Vec<Range<u64>>) -> Self {
        ranges.sort_by_key(|r| r.start);
        DataMap { ranges }
    }

    /// The parts of `chunk` that may hold data, in order.
    pub fn data_in(&self, chunk: &Range<u64>) -> Vec<Range<u64>> {
        // First range that ends after the chunk starts.
        let first = self.ranges.partition_point(|r| r.end <= chunk.start);
        self.ranges[first..]
            .iter()
            .take_while(|r| r.start < chunk.end)
            .map(|r| r.start.max(chunk.start)..r.end.min(chunk.end))
            .filter(|r| !r.is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_map_clips_ranges_to_the_chunk() {
        let m = DataMap::new(vec![100..200, 0..10, 500..1000]);
        assert_eq!(m.data_in(&(0..50)), vec![0..10]);
        assert_eq!(m.data_in(&(10..100)), Vec::<Range<u64>>::new());
        assert_eq!(m.data_in(&(150..600)), vec![150..200, 500..600]);
        assert_eq!(m.data_in(&(999..2000)), vec![999..1000]);
    }
}
