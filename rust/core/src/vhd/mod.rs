//! VHD (Microsoft Virtual Hard Disk, "vpc") awareness: the footer, the
//! dynamic-disk header and block allocation table, and a reader of the
//! virtual disk's bytes.
//!
//! Layouts follow the Microsoft VHD Image Format Specification (v1.0,
//! 2006); where the spec leaves room, we do what qemu's block/vpc.c and
//! Windows do, and say so where it happens.  Every multi-byte field is
//! big-endian.
//!
//! ```text
//! fixed:    [ data (current_size bytes) ][ footer 512 ]
//! dynamic:  [ footer copy 512 ][ dynamic header 1024 ][ BAT ][ bitmap+block ]...[ footer 512 ]
//! ```

mod bat;
mod codec;
mod dynamic;
mod footer;
mod geometry;
mod info;
mod layout;
mod reader;
mod source;

pub use bat::Bat;
pub use dynamic::{DynamicHeader, ParentLocator};
pub use footer::{DiskType, Footer, SizeSource};
pub use geometry::Geometry;
pub use info::{ParentInfo, VhdInfo};
pub use layout::{probe, Vhd};
pub use reader::VirtualReader;
pub use source::ReadAt;

use std::path::Path;

use crate::Error;

/// Size of a sector, the footer and the footer copy.
pub const SECTOR: u64 = 512;
/// Size of the dynamic disk header.
pub const DYNAMIC_HEADER_SIZE: u64 = 1024;
/// Footer cookie, at offset 0 of the footer and of its copy.
pub const FOOTER_COOKIE: &[u8; 8] = b"conectix";
/// Dynamic header cookie.
pub const DYNAMIC_COOKIE: &[u8; 8] = b"cxsparse";
/// The only file format / header version the spec defines (1.0).
pub const VERSION_1_0: u32 = 0x0001_0000;
/// A BAT entry for a block that is not stored in the file.
pub const UNALLOCATED: u32 = 0xFFFF_FFFF;
/// VHD timestamps count seconds from 2000-01-01T00:00:00Z.
pub const VHD_EPOCH_UNIX: u64 = 946_684_800;

/// A structure member that is wrong, before we know which file it is in.
/// `field` is the name callers and tests match on (e.g. "footer.checksum").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrupt {
    pub field: &'static str,
    pub reason: String,
}

impl Corrupt {
    pub(crate) fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Corrupt {
            field,
            reason: reason.into(),
        }
    }

    /// The engine error for this fault in the file at `path`.
    pub fn at(self, path: &Path) -> Error {
        Error::InvalidImage {
            path: path.to_path_buf(),
            field: self.field,
            reason: self.reason,
        }
    }
}

#[cfg(test)]
mod tests;
