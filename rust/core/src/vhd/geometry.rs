//! The footer's CHS disk geometry.
use std::fmt;

/// Cylinders, heads, sectors per track, as the footer stores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub cylinders: u16,
    pub heads: u8,
    pub sectors_per_track: u8,
}

impl Geometry {
    /// The largest geometry the footer can hold.  Tools that store a size
    /// CHS cannot express (qemu's force_size, Hyper-V) write this value, so
    /// it means "use current_size", never 65535*16*255 sectors.
    pub const MAX: Geometry = Geometry {
        cylinders: 65535,
        heads: 16,
        sectors_per_track: 255,
    };

    /// Sectors addressable through this geometry.
    pub fn sectors(&self) -> u64 {
        u64::from(self.cylinders) * u64::from(self.heads) * u64::from(self.sectors_per_track)
    }
}

impl fmt::Display for Geometry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}",
            self.cylinders, self.heads, self.sectors_per_track
        )
    }
}
