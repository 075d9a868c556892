//! The local source: a regular file read with pread, its holes found with
//! SEEK_DATA/SEEK_HOLE so they are never read.  Anything else at the path
//! (a FIFO, a device, a socket, a directory) is refused when it is opened.
use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::location::Location;
use crate::source::Source;

/// A local regular file.
pub struct LocalSource {
    path: PathBuf,
    location: Location,
    file: File,
    size: u64,
}

impl LocalSource {
    pub fn open(path: PathBuf, location: Location) -> Result<Self> {
        let file = crate::fsutil::open_read(&path, "open source")?;
        let size = crate::fsutil::regular_size(&file, &path, "open source")?;
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

    fn local_file(&self) -> Option<&File> {
        Some(&self.file)
    }

    fn data_ranges(&self) -> Result<Vec<Range<u64>>> {
        crate::sys::data_ranges(&self.file, self.size)
            .map_err(|e| Error::io("find holes in source", &self.path, e))
    }
}
