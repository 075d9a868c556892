//! A summary of a checked VHD, for callers that do not want its tables.
use super::codec::{code_string, uuid_string};
use super::{Bat, DiskType, Geometry, SizeSource, Vhd, VHD_EPOCH_UNIX};

/// A differencing disk's parent, as its dynamic header names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentInfo {
    pub name: String,
    pub uuid: String,
    /// Parent's modification time the child was made against, Unix seconds.
    pub timestamp: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VhdInfo {
    pub disk_type: DiskType,
    /// Four-character code, trailing spaces/NULs trimmed ("qemu", "win").
    pub creator_app: String,
    pub creator_version: (u16, u16),
    pub creator_host_os: String,
    pub geometry: Geometry,
    pub unique_id: String,
    /// Creation time, Unix seconds.
    pub timestamp: u64,
    pub original_size: u64,
    pub current_size: u64,
    pub size_source: SizeSource,
    pub saved_state: bool,
    /// Dynamic and differencing disks only.
    pub block_size: Option<u32>,
    pub max_table_entries: Option<u32>,
    pub allocated_blocks: Option<u64>,
    pub parent: Option<ParentInfo>,
}

impl Vhd {
    pub fn info(&self) -> VhdInfo {
        let f = &self.footer;
        let parent = match (&self.header, f.disk_type) {
            (Some(h), DiskType::Differencing) => Some(ParentInfo {
                name: h.parent_name.clone(),
                uuid: uuid_string(&h.parent_uuid),
                timestamp: VHD_EPOCH_UNIX + u64::from(h.parent_timestamp),
            }),
            _ => None,
        };
        VhdInfo {
            disk_type: f.disk_type,
            creator_app: code_string(f.creator_app),
            creator_version: f.creator_version,
            creator_host_os: code_string(f.creator_host_os),
            geometry: f.geometry,
            unique_id: uuid_string(&f.unique_id),
            timestamp: VHD_EPOCH_UNIX + u64::from(f.timestamp),
            original_size: f.original_size,
            current_size: f.current_size,
            size_source: self.size_source,
            saved_state: f.saved_state,
            block_size: self.header.as_ref().map(|h| h.block_size),
            max_table_entries: self.header.as_ref().map(|h| h.max_table_entries),
            allocated_blocks: self.bat.as_ref().map(Bat::allocated_blocks),
            parent,
        }
    }

    /// Bytes of the virtual disk held in the file's data blocks (dynamic and
    /// differencing), or None for a fixed disk, whose data is stored whole.
    pub fn stored_bytes(&self) -> Option<u64> {
        self.bat
            .as_ref()
            .map(|b| b.allocated_bytes(self.virtual_size))
    }
}
