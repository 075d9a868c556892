//! The virtual disk's bytes, whatever the container: raw and fixed VHD map
//! straight onto the file, dynamic VHD goes through the BAT.
use std::fs::File;
use std::path::{Path, PathBuf};

use super::{probe, Bat, Corrupt, DiskType, ReadAt};
use crate::{Error, Result};

enum Map {
    /// Virtual byte i is file byte i (raw, fixed VHD).
    Flat,
    /// Block-wise through the table; blocks not stored read as zeros.
    Blocks(Bat),
}

/// Reads the virtual disk of a raw file or a fixed or dynamic VHD.  Reads
/// are positioned (`&self`), so one reader can serve several threads.
///
/// Like Windows and qemu, a dynamic disk's sector bitmaps are not
/// consulted: a stored block is read as stored.  Differencing disks are
/// refused, since their unmarked sectors live in the parent.
pub struct VirtualReader<S: ReadAt = File> {
    src: S,
    path: PathBuf,
    size: u64,
    map: Map,
}

impl VirtualReader<File> {
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        Self::new(crate::image::open_image(path)?, path)
    }
}

impl<S: ReadAt> VirtualReader<S> {
    /// `path` names `src` in errors.
    pub fn new(src: S, path: &Path) -> Result<Self> {
        let (size, map) = match probe(&src, path)? {
            None => (
                src.size().map_err(|e| Error::io("stat", path, e))?,
                Map::Flat,
            ),
            Some(vhd) => match (vhd.footer.disk_type, vhd.bat) {
                (DiskType::Fixed, _) => (vhd.virtual_size, Map::Flat),
                (DiskType::Dynamic, Some(bat)) => (vhd.virtual_size, Map::Blocks(bat)),
                _ => {
                    let reason = "differencing disk: its data needs the parent, \
                                  which this reader does not follow";
                    return Err(Corrupt::new("footer.disk_type", reason).at(path));
                }
            },
        };
        Ok(VirtualReader {
            src,
            path: path.to_path_buf(),
            size,
            map,
        })
    }

    /// Size of the virtual disk in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Fills `buf` from virtual offset `offset`, stopping at the end of the
    /// disk; returns the bytes filled (0 at or past the end).
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let n = self.size.saturating_sub(offset).min(buf.len() as u64) as usize;
        let buf = &mut buf[..n];
        match &self.map {
            Map::Flat => self.read_file(buf, offset)?,
            Map::Blocks(bat) => self.read_blocks(bat, buf, offset)?,
        }
        Ok(n)
    }

    fn read_blocks(&self, bat: &Bat, mut buf: &mut [u8], mut offset: u64) -> Result<()> {
        let block_size = bat.block_size();
        while !buf.is_empty() {
            let index = (offset / block_size) as usize;
            let within = offset % block_size;
            let take = (block_size - within).min(buf.len() as u64) as usize;
            let (part, rest) = buf.split_at_mut(take);
            match bat.data_offset(index) {
                Some(data) => self.read_file(part, data + within)?,
                None => part.fill(0),
            }
            buf = rest;
            offset += take as u64;
        }
        Ok(())
    }

    fn read_file(&self, buf: &mut [u8], at: u64) -> Result<()> {
        self.src
            .read_exact_at(buf, at)
            .map_err(|e| Error::io("read", &self.path, e))
    }
}
