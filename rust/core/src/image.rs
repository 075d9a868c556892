//! What a disk image file is: its format, virtual size and how much of it
//! is stored.  Reads only metadata (at most the footer, its copy, the
//! dynamic header and the BAT), never the data.
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::vhd::{self, VhdInfo, SECTOR};
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Raw,
    Vhd,
}

impl ImageFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageFormat::Raw => "raw",
            ImageFormat::Vhd => "vhd",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    pub format: ImageFormat,
    /// Bytes a guest sees.  Raw: the file size.  VHD: see
    /// `vhd::Footer::virtual_size` (CHS geometry or current_size).
    pub virtual_size: u64,
    /// Bytes of the file itself, metadata included.
    pub file_size: u64,
    /// Bytes of the virtual disk backed by storage, never above
    /// `virtual_size`.  Dynamic/differencing VHD: the stored blocks (the
    /// format's own allocation; a block straddling the end counts its part
    /// inside the disk).  Raw and fixed VHD, whose container stores every
    /// byte: the host's allocation (st_blocks * 512, which counts holes as
    /// free and includes the footer's filesystem block), capped at
    /// `virtual_size`, so a sparse fixed disk is not reported as full.
    pub allocated_bytes: u64,
    /// VHD details; None for raw.
    pub vhd: Option<VhdInfo>,
    /// Oddities that do not stop the image being used: a raw size that is
    /// not a whole number of 512-byte sectors, a differing footer copy, ...
    pub warnings: Vec<String>,
}

/// Inspects the image at `path`.  A file whose last (or, for a dynamic
/// disk's copy, first) 512 bytes start with "conectix" is a VHD and must be
/// a sound one, or this fails with Error::InvalidImage naming the field;
/// anything else is raw.  Nothing is written.
pub fn inspect(path: impl AsRef<Path>) -> Result<ImageInfo> {
    let path = path.as_ref();
    let file = open_image(path)?;
    let meta = file.metadata().map_err(|e| Error::io("stat", path, e))?;
    let file_size = crate::fsutil::regular_size(&file, path, "open")?;
    let host_allocated = meta.blocks().saturating_mul(512);
    let Some(vhd) = vhd::probe(&file, path)? else {
        return Ok(raw_info(file_size, host_allocated));
    };
    let allocated_bytes = vhd
        .stored_bytes()
        .unwrap_or(host_allocated.min(vhd.virtual_size));
    Ok(ImageInfo {
        format: ImageFormat::Vhd,
        virtual_size: vhd.virtual_size,
        file_size,
        allocated_bytes,
        vhd: Some(vhd.info()),
        warnings: vhd.warnings,
    })
}

/// A raw file is accepted at any size, but one that is not whole sectors
/// cannot be attached as a disk as is, so it is flagged.
fn raw_info(file_size: u64, host_allocated: u64) -> ImageInfo {
    let mut warnings = Vec::new();
    if file_size % SECTOR != 0 {
        warnings.push(format!(
            "raw size {file_size} is not a multiple of 512-byte sectors"
        ));
    }
    ImageInfo {
        format: ImageFormat::Raw,
        virtual_size: file_size,
        file_size,
        allocated_bytes: host_allocated.min(file_size),
        vhd: None,
        warnings,
    }
}

/// Opens an image for reading: a regular file, or refused by what it is
/// (a FIFO is refused at once, never waited on).
pub(crate) fn open_image(path: &Path) -> Result<File> {
    crate::fsutil::open_read(path, "open")
}
