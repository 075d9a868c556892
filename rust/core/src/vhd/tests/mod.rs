//! Unit tests on VHDs built byte by byte in memory (independent of the
//! parser: offsets and checksums are written out here by hand), plus a
//! check of the reader against qemu-img on real files.
mod fuzz;
mod layout;
mod parse;
mod qemu;
mod reader;

use std::path::Path;

use super::{probe, Vhd};
use crate::{Error, Result};

pub(super) const MIB: u64 = 1 << 20;

/// A deterministic, never-zero byte for virtual offset `pos`.
pub(super) fn pattern(pos: u64) -> u8 {
    ((pos.wrapping_mul(0x9E37_79B9) >> 11) as u8) | 1
}

pub(super) fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_be_bytes());
}
pub(super) fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}
pub(super) fn put64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_be_bytes());
}

/// One's complement of the byte sum with the checksum field zeroed.
pub(super) fn seal(b: &mut [u8], field: usize) {
    put32(b, field, 0);
    let sum: u32 = b.iter().map(|&x| u32::from(x)).sum();
    put32(b, field, !sum);
}

/// A footer as qemu force_size writes it ("qem2", maximum geometry).
pub(super) fn footer(disk_type: u32, current_size: u64, data_offset: u64) -> [u8; 512] {
    let mut f = [0u8; 512];
    f[..8].copy_from_slice(b"conectix");
    put32(&mut f, 8, 2);
    put32(&mut f, 12, 0x0001_0000);
    put64(&mut f, 16, data_offset);
    put32(&mut f, 24, 0x3299_ed4e);
    f[28..32].copy_from_slice(b"qem2");
    put16(&mut f, 32, 5);
    put16(&mut f, 34, 3);
    f[36..40].copy_from_slice(b"Wi2k");
    put64(&mut f, 40, current_size);
    put64(&mut f, 48, current_size);
    put16(&mut f, 56, 65535);
    f[58] = 16;
    f[59] = 255;
    put32(&mut f, 60, disk_type);
    for (i, b) in f[68..84].iter_mut().enumerate() {
        *b = 0x10 + i as u8;
    }
    seal(&mut f, 64);
    f
}

/// An in-memory dynamic VHD laid out like qemu's: footer copy, header at
/// 512, BAT at 1536 padded to a sector, then bitmap+block pairs, footer.
pub(super) struct Dyn {
    pub bytes: Vec<u8>,
    pub block_size: u64,
    pub virtual_size: u64,
    /// Block index -> file offset of its bitmap, in storage order.
    pub stored: Vec<(usize, usize)>,
}

pub(super) const HEADER_AT: usize = 512;
pub(super) const BAT_AT: usize = 1536;

impl Dyn {
    pub fn new(virtual_size: u64, block_size: u32, stored: &[usize]) -> Dyn {
        let bs = u64::from(block_size);
        let entries = virtual_size.div_ceil(bs) as usize;
        let bat_len = (entries * 4).div_ceil(512) * 512;
        let bitmap = ((bs / 512).div_ceil(8)).div_ceil(512) as usize * 512;
        let mut bytes = vec![0u8; BAT_AT + bat_len];
        let mut header = [0u8; 1024];
        header[..8].copy_from_slice(b"cxsparse");
        put64(&mut header, 8, u64::MAX);
        put64(&mut header, 16, BAT_AT as u64);
        put32(&mut header, 24, 0x0001_0000);
        put32(&mut header, 28, entries as u32);
        put32(&mut header, 32, block_size);
        seal(&mut header, 36);
        bytes[HEADER_AT..HEADER_AT + 1024].copy_from_slice(&header);
        bytes[BAT_AT..].fill(0xFF);
        let mut placed = Vec::new();
        for &i in stored {
            let at = bytes.len();
            put32(&mut bytes, BAT_AT + 4 * i, (at / 512) as u32);
            bytes.extend(std::iter::repeat_n(0xFF, bitmap));
            let start = i as u64 * bs;
            bytes.extend((start..start + bs).map(pattern));
            placed.push((i, at));
        }
        let f = footer(3, virtual_size, HEADER_AT as u64);
        bytes[..512].copy_from_slice(&f);
        bytes.extend_from_slice(&f);
        Dyn {
            bytes,
            block_size: bs,
            virtual_size,
            stored: placed,
        }
    }

    /// Re-seals both footers and the header after a test edits them.
    pub fn reseal(&mut self) {
        let tail = self.bytes.len() - 512;
        seal(&mut self.bytes[..512], 64);
        seal(&mut self.bytes[tail..], 64);
        seal(&mut self.bytes[HEADER_AT..HEADER_AT + 1024], 36);
    }

    /// Applies `edit` to both footers (they must stay identical).
    pub fn edit_footers(&mut self, edit: impl Fn(&mut [u8])) {
        let tail = self.bytes.len() - 512;
        edit(&mut self.bytes[..512]);
        edit(&mut self.bytes[tail..]);
        self.reseal();
    }

    pub fn edit_header(&mut self, edit: impl Fn(&mut [u8])) {
        edit(&mut self.bytes[HEADER_AT..HEADER_AT + 1024]);
        self.reseal();
    }
}

/// A fixed VHD of `size` pattern bytes.
pub(super) fn fixed(size: u64) -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..size).map(pattern).collect();
    bytes.extend_from_slice(&footer(2, size, u64::MAX));
    bytes
}

pub(super) fn run(bytes: &[u8]) -> Result<Option<Vhd>> {
    probe(bytes, Path::new("mem.vhd"))
}

/// The field of the InvalidImage error `bytes` must produce.
pub(super) fn field_of(bytes: &[u8]) -> &'static str {
    match run(bytes) {
        Err(Error::InvalidImage { field, .. }) => field,
        other => panic!("expected InvalidImage, got {other:?}"),
    }
}
