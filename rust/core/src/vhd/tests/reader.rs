//! VirtualReader on in-memory images: stored blocks read back, holes read
//! as zeros, reads stop at the end of the disk.
use std::path::Path;

use super::{fixed, pattern, Dyn, MIB};
use crate::vhd::VirtualReader;
use crate::Error;

fn expected(d: &Dyn, offset: u64, len: usize) -> Vec<u8> {
    (offset..offset + len as u64)
        .map(|pos| {
            let block = (pos / d.block_size) as usize;
            let stored = d.stored.iter().any(|&(i, _)| i == block);
            if stored {
                pattern(pos)
            } else {
                0
            }
        })
        .collect()
}

#[test]
fn dynamic_reads_across_blocks_and_holes() {
    let d = Dyn::new(5 * MIB + 1536, 1 << 20, &[4, 0, 1, 5]);
    let r = VirtualReader::new(d.bytes.clone(), Path::new("mem.vhd")).unwrap();
    assert_eq!(r.size(), d.virtual_size);
    // Whole disk in odd-sized pieces that straddle block edges.
    let mut offset = 0;
    let mut buf = vec![0u8; 777_777];
    while offset < r.size() {
        let n = r.read_at(offset, &mut buf).unwrap();
        assert!(n > 0);
        assert_eq!(buf[..n], expected(&d, offset, n)[..], "at {offset}");
        offset += n as u64;
    }
    assert_eq!(offset, d.virtual_size);
    assert_eq!(r.read_at(offset, &mut buf).unwrap(), 0);
    assert_eq!(r.read_at(u64::MAX, &mut buf).unwrap(), 0);
    // A hole really is zeros and a stored block really is data.
    let mut one = [9u8; 1];
    r.read_at(3 * MIB, &mut one).unwrap();
    assert_eq!(one, [0]);
    r.read_at(MIB + 5, &mut one).unwrap();
    assert_eq!(one, [pattern(MIB + 5)]);
}

#[test]
fn fixed_and_raw_read_flat_and_stop_before_the_footer() {
    let f = fixed(4096);
    let r = VirtualReader::new(f.clone(), Path::new("mem.vhd")).unwrap();
    assert_eq!(r.size(), 4096);
    let mut buf = vec![0u8; 8192];
    assert_eq!(r.read_at(0, &mut buf).unwrap(), 4096);
    assert_eq!(buf[..4096], f[..4096]);
    let raw = vec![5u8; 1000];
    let r = VirtualReader::new(raw, Path::new("mem.raw")).unwrap();
    assert_eq!(r.size(), 1000);
    assert_eq!(r.read_at(990, &mut buf).unwrap(), 10);
}

#[test]
fn differencing_is_refused_by_the_reader() {
    let mut d = Dyn::new(2 * MIB, 1 << 20, &[0]);
    d.edit_footers(|f| f[63] = 4);
    let err = VirtualReader::new(d.bytes, Path::new("mem.vhd"))
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            Error::InvalidImage {
                field: "footer.disk_type",
                ..
            }
        ),
        "{err}"
    );
}
