//! Property tests of the manifest reader, the file every verification
//! trusts: no input panics it; every single-byte change and every
//! truncation of a valid manifest is refused; what it writes it reads back.
//! Cases per property: IMGREPL_FUZZ_CASES (default 10,000; more by hand).
use std::path::Path;

use imgrepl_core::chunk::ChunkLayout;
use imgrepl_core::hash::{digest, zero_digest};
use imgrepl_core::manifest::Manifest;
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("IMGREPL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// A valid manifest: chunks of random content, some of them zero.
fn manifest() -> impl Strategy<Value = Manifest> {
    (1u64..=8, 0u64..=20_000, any::<u64>()).prop_map(|(sectors, size, seed)| {
        let layout = ChunkLayout::new(sectors * 512, size).expect("valid chunk size");
        let n = layout.count();
        let mut digests = Vec::new();
        let mut zero = Vec::new();
        for i in 0..n {
            let len = layout.len(i) as u64;
            if (seed >> (i % 64)) & 1 == 1 {
                digests.push(zero_digest(len));
                zero.push(true);
            } else {
                digests.push(digest(&(seed ^ i).to_le_bytes()));
                zero.push(false);
            }
        }
        Manifest::new(layout, true, digests, zero)
    })
}

fn decode(bytes: &[u8]) -> imgrepl_core::Result<Manifest> {
    Manifest::decode(bytes, Path::new("fuzz.imgrepl-manifest"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn any_bytes_are_read_or_refused_never_a_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn any_bytes_behind_a_valid_header_never_panic(
        m in manifest(), tail in prop::collection::vec(any::<u8>(), 0..200)
    ) {
        let mut bytes = m.encode();
        bytes.truncate(56);
        bytes.extend(tail);
        let _ = decode(&bytes);
    }

    #[test]
    fn what_is_written_reads_back(m in manifest()) {
        prop_assert_eq!(decode(&m.encode()).expect("valid"), m);
    }

    #[test]
    fn every_single_byte_change_is_refused(m in manifest(), at in any::<usize>(), flip in 1u8..=255) {
        let mut bytes = m.encode();
        let i = at % bytes.len();
        bytes[i] ^= flip;
        prop_assert!(decode(&bytes).is_err(), "byte {} changed by {:#x} was accepted", i, flip);
    }

    #[test]
    fn every_truncation_and_extension_is_refused(m in manifest(), cut in any::<usize>(), extra in 1usize..64) {
        let bytes = m.encode();
        prop_assert!(decode(&bytes[..cut % bytes.len()]).is_err());
        let mut longer = bytes.clone();
        longer.extend(std::iter::repeat_n(0u8, extra));
        prop_assert!(decode(&longer).is_err());
    }
}
