//! The 1024-byte dynamic disk header of dynamic and differencing disks.
use super::codec::{array, be32, be64, checksum, utf16be_name};
use super::{Corrupt, DYNAMIC_COOKIE, SECTOR, VERSION_1_0};

mod at {
    pub const COOKIE: usize = 0;
    pub const TABLE_OFFSET: usize = 16;
    pub const VERSION: usize = 24;
    pub const MAX_TABLE_ENTRIES: usize = 28;
    pub const BLOCK_SIZE: usize = 32;
    pub const CHECKSUM: usize = 36;
    pub const PARENT_UUID: usize = 40;
    pub const PARENT_TIMESTAMP: usize = 56;
    pub const PARENT_NAME: usize = 64;
    pub const PARENT_NAME_LEN: usize = 512;
    pub const LOCATORS: usize = 576;
    pub const LOCATOR_LEN: usize = 24;
    pub const LOCATOR_COUNT: usize = 8;
}

/// Where a differencing disk may find its parent (an absolute or relative
/// path, in the encoding `platform_code` names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentLocator {
    pub platform_code: [u8; 4],
    pub data_space: u32,
    pub data_length: u32,
    pub data_offset: u64,
}

/// A parsed, checksum-verified dynamic disk header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamicHeader {
    pub table_offset: u64,
    pub header_version: u32,
    pub max_table_entries: u32,
    pub block_size: u32,
    pub checksum: u32,
    pub parent_uuid: [u8; 16],
    /// Seconds since 2000-01-01T00:00:00Z.
    pub parent_timestamp: u32,
    pub parent_name: String,
    /// Locator entries whose platform code is not zero.
    pub parent_locators: Vec<ParentLocator>,
}

impl DynamicHeader {
    /// Parses and checks the fields the header can be judged on alone.
    /// Offsets and table sizes are checked against the file by the layout.
    pub fn parse(buf: &[u8; 1024]) -> Result<DynamicHeader, Corrupt> {
        if &buf[at::COOKIE..at::COOKIE + 8] != DYNAMIC_COOKIE {
            return Err(Corrupt::new(
                "dynamic_header.cookie",
                format!("expected \"cxsparse\", found {:02x?}", &buf[..8]),
            ));
        }
        let stored = be32(buf, at::CHECKSUM);
        let computed = checksum(buf, at::CHECKSUM);
        if stored != computed {
            return Err(Corrupt::new(
                "dynamic_header.checksum",
                format!("stored {stored:#010x}, computed {computed:#010x}"),
            ));
        }
        let header_version = be32(buf, at::VERSION);
        if header_version != VERSION_1_0 {
            return Err(Corrupt::new(
                "dynamic_header.header_version",
                format!("expected 0x00010000 (1.0), found {header_version:#010x}"),
            ));
        }
        let block_size = be32(buf, at::BLOCK_SIZE);
        if !block_size.is_power_of_two() || u64::from(block_size) < SECTOR {
            return Err(Corrupt::new(
                "dynamic_header.block_size",
                format!("{block_size} is not a power of two of at least 512"),
            ));
        }
        Ok(DynamicHeader {
            table_offset: be64(buf, at::TABLE_OFFSET),
            header_version,
            max_table_entries: be32(buf, at::MAX_TABLE_ENTRIES),
            block_size,
            checksum: stored,
            parent_uuid: array(buf, at::PARENT_UUID),
            parent_timestamp: be32(buf, at::PARENT_TIMESTAMP),
            parent_name: utf16be_name(&buf[at::PARENT_NAME..at::PARENT_NAME + at::PARENT_NAME_LEN]),
            parent_locators: parse_locators(buf),
        })
    }

    /// Bytes of the sector bitmap that precedes every stored block: one bit
    /// per sector, padded to whole sectors (so at least one sector).
    pub fn bitmap_size(&self) -> u64 {
        let sectors = u64::from(self.block_size) / SECTOR;
        sectors.div_ceil(8).div_ceil(SECTOR) * SECTOR
    }
}

fn parse_locators(buf: &[u8; 1024]) -> Vec<ParentLocator> {
    (0..at::LOCATOR_COUNT)
        .map(|i| at::LOCATORS + i * at::LOCATOR_LEN)
        .map(|o| ParentLocator {
            platform_code: array(buf, o),
            data_space: be32(buf, o + 4),
            data_length: be32(buf, o + 8),
            data_offset: be64(buf, o + 16),
        })
        .filter(|l| l.platform_code != [0; 4])
        .collect()
}
