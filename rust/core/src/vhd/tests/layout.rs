//! Whole-file checks: every corrupted field is refused by name; sound
//! images parse; only metadata is read.
use std::cell::Cell;
use std::io;
use std::path::Path;

use super::{field_of, fixed, put32, put64, run, Dyn, BAT_AT, MIB};
use crate::vhd::{probe, DiskType, ReadAt, SizeSource};

fn sample() -> Dyn {
    // 5 MiB + 3 sectors: 3 blocks of 2 MiB, the last one partly outside.
    Dyn::new(5 * MIB + 1536, 2 << 20, &[2, 0])
}

#[test]
fn sound_dynamic_disk() {
    let d = sample();
    let vhd = run(&d.bytes).unwrap().expect("a VHD");
    assert_eq!(vhd.footer.disk_type, DiskType::Dynamic);
    assert_eq!(vhd.virtual_size, 5 * MIB + 1536);
    assert_eq!(vhd.size_source, SizeSource::CurrentSize);
    let bat = vhd.bat.as_ref().unwrap();
    assert_eq!(bat.len(), 3);
    assert_eq!(bat.allocated_blocks(), 2);
    // block 0 whole, block 2 only its 1 MiB + 1536 inside the disk
    assert_eq!(vhd.stored_bytes(), Some(2 * MIB + MIB + 1536));
    assert!(vhd.warnings.is_empty(), "{:?}", vhd.warnings);
    let info = vhd.info();
    assert_eq!(info.block_size, Some(2 << 20));
    assert_eq!(info.max_table_entries, Some(3));
    assert_eq!(info.unique_id, "10111213-1415-1617-1819-1a1b1c1d1e1f");
    assert_eq!(info.parent, None);
}

#[test]
fn sound_fixed_disk_and_raw() {
    let f = fixed(64 * 512);
    let vhd = run(&f).unwrap().expect("a VHD");
    assert_eq!(vhd.footer.disk_type, DiskType::Fixed);
    assert_eq!(vhd.virtual_size, 64 * 512);
    assert_eq!(vhd.stored_bytes(), None);
    // The same bytes without the footer are raw; so is nothing at all.
    assert!(run(&f[..64 * 512]).unwrap().is_none());
    assert!(run(&[]).unwrap().is_none());
    assert!(run(&[7u8; 100]).unwrap().is_none());
}

#[test]
fn corrupt_footer_is_refused_not_taken_for_raw() {
    let mut f = fixed(8192);
    let n = f.len();
    f[n - 512 + 300] ^= 0x40;
    assert_eq!(field_of(&f), "footer.checksum");
    let mut f = fixed(8192);
    put64(&mut f[n - 512..], 48, 4096);
    super::seal(&mut f[n - 512..], 64);
    assert_eq!(field_of(&f), "footer.current_size");
    let mut f = fixed(8192);
    put64(&mut f[n - 512..], 48, 16384);
    super::seal(&mut f[n - 512..], 64);
    assert_eq!(field_of(&f), "footer.current_size");
}

#[test]
fn fixed_geometry_beyond_the_data_is_refused() {
    let mut f = fixed(8192);
    let n = f.len();
    let foot = &mut f[n - 512..];
    foot[28..32].copy_from_slice(b"vpc ");
    foot[56..60].copy_from_slice(&[0, 1, 1, 17]); // 17 sectors > 16 stored
    super::seal(foot, 64);
    assert_eq!(field_of(&f), "footer.disk_geometry");
}

#[test]
fn each_dynamic_field_is_named() {
    type Edit = fn(&mut Dyn);
    let cases: [(Edit, &str); 10] = [
        (
            |d| d.edit_footers(|f| put64(f, 16, u64::MAX)),
            "footer.data_offset",
        ),
        (
            |d| d.edit_footers(|f| put64(f, 16, 0)),
            "footer.data_offset",
        ),
        (
            |d| d.edit_footers(|f| put64(f, 16, 1 << 40)),
            "footer.data_offset",
        ),
        (|d| d.edit_header(|h| h[0] = b'C'), "dynamic_header.cookie"),
        (|d| d.bytes[512 + 900] ^= 1, "dynamic_header.checksum"),
        (
            |d| d.edit_header(|h| put32(h, 32, 3 << 20)),
            "dynamic_header.block_size",
        ),
        (
            |d| d.edit_header(|h| put32(h, 28, 2)),
            "dynamic_header.max_table_entries",
        ),
        (
            |d| d.edit_header(|h| put64(h, 16, 1 << 33)),
            "dynamic_header.table_offset",
        ),
        (
            |d| d.edit_header(|h| put64(h, 16, 1024)),
            "dynamic_header.table_offset",
        ),
        (
            |d| d.edit_header(|h| put32(h, 28, u32::MAX)),
            "dynamic_header.table_offset",
        ),
    ];
    for (edit, field) in cases {
        let mut d = sample();
        edit(&mut d);
        assert_eq!(field_of(&d.bytes), field);
    }
}

#[test]
fn bat_entries_past_eof_or_overlapping_are_refused() {
    let entry = |i: usize| BAT_AT + 4 * i;
    let d = sample();
    let (block0_at, block2_at) = (d.stored[1].1, d.stored[0].1);
    let sector = |at: usize| (at / 512) as u32;
    let edits: [(usize, u32); 5] = [
        (entry(1), sector(d.bytes.len())),       // past EOF
        (entry(1), sector(d.bytes.len() - 512)), // runs into the footer
        (entry(1), 1),                           // onto the dynamic header
        (entry(1), sector(BAT_AT)),              // onto the BAT
        (entry(1), sector(block0_at) + 1),       // into block 0
    ];
    for (at, value) in edits {
        let mut bytes = d.bytes.clone();
        put32(&mut bytes, at, value);
        assert_eq!(field_of(&bytes), "bat", "entry = {value}");
    }
    // Two entries naming the same block alias each other's data.
    let mut bytes = d.bytes.clone();
    put32(&mut bytes, entry(1), sector(block2_at));
    assert_eq!(field_of(&bytes), "bat");
}

#[test]
fn truncation_anywhere_is_refused() {
    let d = sample();
    let n = d.bytes.len();
    let expect = [
        (100, "footer"),
        (700, "footer.data_offset"),
        (BAT_AT + 512 + 4, "dynamic_header.table_offset"),
        (BAT_AT + 512 + 600, "bat"),
        (n - 512 - 7, "bat"),
        (n - 512, "bat"),
        (n - 1, "bat"),
    ];
    for (len, field) in expect {
        assert_eq!(field_of(&d.bytes[..len]), field, "truncated to {len}");
    }
}

#[test]
fn lost_trailing_footer_with_intact_copy_is_refused() {
    let mut d = sample();
    let n = d.bytes.len();
    d.bytes[n - 512] = b'x';
    assert_eq!(field_of(&d.bytes), "footer.cookie");
    // Appending data hides the footer the same way.
    let mut d = sample();
    d.bytes.extend_from_slice(&[0u8; 1024]);
    assert_eq!(field_of(&d.bytes), "footer.cookie");
}

#[test]
fn differing_copy_and_missing_copy_are_warnings() {
    let mut d = sample();
    d.bytes[300] = 1; // reserved byte of the copy only: its checksum breaks
    let vhd = run(&d.bytes).unwrap().unwrap();
    assert_eq!(vhd.warnings.len(), 1, "{:?}", vhd.warnings);
    assert!(vhd.warnings[0].contains("differs"));
    let mut d = sample();
    d.bytes[..8].copy_from_slice(b"zzzzzzzz");
    let vhd = run(&d.bytes).unwrap().unwrap();
    assert!(
        vhd.warnings[0].contains("no footer copy"),
        "{:?}",
        vhd.warnings
    );
}

/// A source that counts the bytes read from it.
struct Counting<'a> {
    bytes: &'a [u8],
    read: Cell<u64>,
}

impl ReadAt for Counting<'_> {
    fn size(&self) -> io::Result<u64> {
        self.bytes.size()
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.read.set(self.read.get() + buf.len() as u64);
        self.bytes.read_exact_at(buf, offset)
    }
}

#[test]
fn probe_reads_metadata_only() {
    let d = Dyn::new(64 * MIB, 2 << 20, &(0..32).collect::<Vec<_>>());
    let src = Counting {
        bytes: &d.bytes,
        read: Cell::new(0),
    };
    probe(&src, Path::new("mem.vhd")).unwrap().unwrap();
    // footer + copy + header + BAT (32 entries), against a 64 MiB file
    assert_eq!(src.read.get(), 512 + 512 + 1024 + 32 * 4);
    let f = fixed(8 * MIB);
    let src = Counting {
        bytes: &f,
        read: Cell::new(0),
    };
    probe(&src, Path::new("mem.vhd")).unwrap().unwrap();
    assert_eq!(src.read.get(), 1024);
}
