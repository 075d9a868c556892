//! What a copy reads from.  A sync trait object shared by the reader
//! threads (`&self` positional reads); a remote source later implements it
//! by blocking on the shared runtime inside `read_at`.
use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use crate::error::{Error, Result};
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
}

/// Opens a source by address.
pub fn open_source(location: &Location) -> Result<Box<dyn Source>> {
    match location {
        Location::File(path) => Ok(Box::new(LocalSource::open(path.clone(), location.clone())?)),
        Location::Remote(r) => crate::remote::open_source(r),
    }
}

/// A local regular file or block device.
pub struct LocalSource {
    path: PathBuf,
    location: Location,
    file: File,
    size: u64,
}

impl LocalSource {
    fn open(path: PathBuf, location: Location) -> Result<Self> {
        let file = File::open(&path).map_err(|e| Error::io("open source", &path, e))?;
        let meta = file
            .metadata()
            .map_err(|e| Error::io("stat source", &path, e))?;
        if meta.is_dir() {
            let e = io::Error::new(io::ErrorKind::IsADirectory, "is a directory, not an image");
            return Err(Error::io("open source", &path, e));
        }
        let size = if meta.is_file() {
            meta.len()
        } else {
            // Block devices report 0 in st_size; their end is their size.
            use std::io::Seek;
            (&file)
                .seek(io::SeekFrom::End(0))
                .map_err(|e| Error::io("size source", &path, e))?
        };
        Ok(LocalSource {
            path,
            location,
            file,
            size,
        })
    }
}

impl Source for LocalSource {
    fn location(&self) -> &Location {
        &self.location
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.file.read_exact_at(buf, offset).map_err(|e| {
            let e = if e.kind() == io::ErrorKind::UnexpectedEof {
                io::Error::new(
                    e.kind(),
                    "source ended early (did it shrink during the copy?)",
                )
            } else {
                e
            };
            Error::io("read source", &self.path, e)
        })
    }

    fn data_ranges(&self) -> Result<Vec<Range<u64>>> {
        crate::sys::data_ranges(&self.file, self.size)
            .map_err(|e| Error::io("find holes in source", &self.path, e))
    }
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
