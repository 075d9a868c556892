//! The 512-byte hard disk footer: the only metadata of a fixed disk, and
//! the root of a dynamic or differencing one.
use std::fmt;

use super::codec::{array, be16, be32, be64, checksum};
use super::{Corrupt, Geometry, FOOTER_COOKIE, SECTOR, VERSION_1_0};

/// Byte offsets inside the footer.
pub(crate) mod at {
    pub const FEATURES: usize = 8;
    pub const VERSION: usize = 12;
    pub const DATA_OFFSET: usize = 16;
    pub const TIMESTAMP: usize = 24;
    pub const CREATOR_APP: usize = 28;
    pub const CREATOR_VERSION: usize = 32;
    pub const CREATOR_HOST_OS: usize = 36;
    pub const ORIGINAL_SIZE: usize = 40;
    pub const CURRENT_SIZE: usize = 48;
    pub const CYLINDERS: usize = 56;
    pub const HEADS: usize = 58;
    pub const SECTORS: usize = 59;
    pub const DISK_TYPE: usize = 60;
    pub const CHECKSUM: usize = 64;
    pub const UNIQUE_ID: usize = 68;
    pub const SAVED_STATE: usize = 84;
}

/// Footer disk types.  0 (none), 1 and 5 (deprecated) and 6 (reserved)
/// are refused: nothing writes them and no reader maps them to data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskType {
    Fixed,
    Dynamic,
    Differencing,
}

impl DiskType {
    fn from_code(code: u32) -> Option<Self> {
        match code {
            2 => Some(DiskType::Fixed),
            3 => Some(DiskType::Dynamic),
            4 => Some(DiskType::Differencing),
            _ => None,
        }
    }

    /// The spec's numeric code (2, 3 or 4).
    pub fn code(self) -> u32 {
        match self {
            DiskType::Fixed => 2,
            DiskType::Dynamic => 3,
            DiskType::Differencing => 4,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DiskType::Fixed => "fixed",
            DiskType::Dynamic => "dynamic",
            DiskType::Differencing => "differencing",
        }
    }
}

impl fmt::Display for DiskType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which footer field gives the virtual size (see `Footer::virtual_size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeSource {
    Geometry,
    CurrentSize,
}

impl SizeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            SizeSource::Geometry => "geometry",
            SizeSource::CurrentSize => "current_size",
        }
    }
}

/// A parsed, checksum-verified footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footer {
    pub features: u32,
    pub format_version: u32,
    pub data_offset: u64,
    /// Seconds since 2000-01-01T00:00:00Z.
    pub timestamp: u32,
    pub creator_app: [u8; 4],
    pub creator_version: (u16, u16),
    pub creator_host_os: [u8; 4],
    pub original_size: u64,
    pub current_size: u64,
    pub geometry: Geometry,
    pub disk_type: DiskType,
    pub checksum: u32,
    pub unique_id: [u8; 16],
    pub saved_state: bool,
}

/// True when `buf` starts with the footer cookie.
pub fn has_cookie(buf: &[u8]) -> bool {
    buf.len() >= FOOTER_COOKIE.len() && &buf[..FOOTER_COOKIE.len()] == FOOTER_COOKIE
}

impl Footer {
    /// Parses and checks the fields a footer can be judged on alone.  The
    /// caller has already seen the cookie; it is re-checked for callers
    /// that have not.
    pub fn parse(buf: &[u8; 512]) -> Result<Footer, Corrupt> {
        if !has_cookie(buf) {
            return Err(Corrupt::new(
                "footer.cookie",
                format!("expected \"conectix\", found {:02x?}", &buf[..8]),
            ));
        }
        let stored = be32(buf, at::CHECKSUM);
        let computed = checksum(buf, at::CHECKSUM);
        if stored != computed {
            return Err(Corrupt::new(
                "footer.checksum",
                format!("stored {stored:#010x}, computed {computed:#010x}"),
            ));
        }
        let format_version = be32(buf, at::VERSION);
        if format_version != VERSION_1_0 {
            return Err(Corrupt::new(
                "footer.file_format_version",
                format!("expected 0x00010000 (1.0), found {format_version:#010x}"),
            ));
        }
        let code = be32(buf, at::DISK_TYPE);
        let disk_type = DiskType::from_code(code).ok_or_else(|| {
            Corrupt::new(
                "footer.disk_type",
                format!("{code} is not 2 (fixed), 3 (dynamic) or 4 (differencing)"),
            )
        })?;
        let current_size = be64(buf, at::CURRENT_SIZE);
        if current_size % SECTOR != 0 {
            return Err(Corrupt::new(
                "footer.current_size",
                format!("{current_size} is not a multiple of 512-byte sectors"),
            ));
        }
        Ok(Footer {
            features: be32(buf, at::FEATURES),
            format_version,
            data_offset: be64(buf, at::DATA_OFFSET),
            timestamp: be32(buf, at::TIMESTAMP),
            creator_app: array(buf, at::CREATOR_APP),
            creator_version: (
                be16(buf, at::CREATOR_VERSION),
                be16(buf, at::CREATOR_VERSION + 2),
            ),
            creator_host_os: array(buf, at::CREATOR_HOST_OS),
            original_size: be64(buf, at::ORIGINAL_SIZE),
            current_size,
            geometry: Geometry {
                cylinders: be16(buf, at::CYLINDERS),
                heads: buf[at::HEADS],
                sectors_per_track: buf[at::SECTORS],
            },
            disk_type,
            checksum: stored,
            unique_id: array(buf, at::UNIQUE_ID),
            saved_state: buf[at::SAVED_STATE] != 0,
        })
    }

    /// The size of the virtual disk, and where it came from.
    ///
    /// Virtual PC and qemu before force_size ("vpc ", "qemu") size a disk by
    /// its CHS geometry; every other creator (Hyper-V "win ", Azure "wa",
    /// qemu force_size "qem2", disk2vhd, XenServer) by current_size.  The
    /// maximum geometry always means current_size.  This is the rule of
    /// qemu's vpc_ignore_current_size() since 2025; older qemu listed the
    /// current_size creators instead, which agrees for every known creator.
    pub fn virtual_size(&self) -> (u64, SizeSource) {
        let chs_creator = &self.creator_app == b"vpc " || &self.creator_app == b"qemu";
        if chs_creator && self.geometry != Geometry::MAX {
            (self.geometry.sectors() * SECTOR, SizeSource::Geometry)
        } else {
            (self.current_size, SizeSource::CurrentSize)
        }
    }
}
