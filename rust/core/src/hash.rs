//! Chunk digests: xxh3-128 in its canonical (big-endian) byte order, the
//! same 16 bytes Python's `xxhash.xxh3_128(data).digest()` returns.
use twox_hash::XxHash3_128;

/// A 16-byte canonical xxh3-128 digest.
pub type Digest = [u8; 16];

/// Digest of one chunk.
pub fn digest(data: &[u8]) -> Digest {
    XxHash3_128::oneshot(data).to_be_bytes()
}

/// Digest of `len` zero bytes without allocating `len` bytes: holes are
/// never read, but their manifest entry is still the real digest.
pub fn zero_digest(len: u64) -> Digest {
    static BLOCK: [u8; 64 * 1024] = [0; 64 * 1024];
    let mut h = XxHash3_128::new();
    let mut left = len;
    while left > 0 {
        let n = left.min(BLOCK.len() as u64) as usize;
        h.write(&BLOCK[..n]);
        left -= n as u64;
    }
    h.finish_128().to_be_bytes()
}

/// Lower-case hex, for reports.
pub fn to_hex(d: &Digest) -> String {
    use std::fmt::Write;
    d.iter().fold(String::with_capacity(32), |mut s, b| {
        let _ = write!(s, "{b:02x}"); // writing to a String cannot fail
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_order_is_big_endian_of_the_u128() {
        // Known answer: XXH3_128("") = 99aa06d3014798d86001c324468d497f.
        assert_eq!(to_hex(&digest(b"")), "99aa06d3014798d86001c324468d497f");
    }

    #[test]
    fn zero_digest_matches_hashing_real_zeros() {
        for len in [0u64, 1, 512, 65_536, 65_537, 300_000] {
            assert_eq!(
                zero_digest(len),
                digest(&vec![0u8; len as usize]),
                "len {len}"
            );
        }
    }

    #[test]
    fn digests_equal_an_independent_xxh3_128_at_every_size_class() {
        // Small inputs, the mid-size paths and the SIMD stripe loop (the
        // AVX2 or SSE2 one, whichever this CPU runs), plus the streaming one.
        let data: Vec<u8> = (0..5_000_000u32)
            .map(|i| (i * 2_654_435_761).to_le_bytes()[3])
            .collect();
        for len in [
            0,
            1,
            3,
            16,
            17,
            128,
            129,
            240,
            241,
            1024,
            65_537,
            4 << 20,
            5_000_000,
        ] {
            let want = xxhash_rust::xxh3::xxh3_128(&data[..len]).to_be_bytes();
            assert_eq!(digest(&data[..len]), want, "len {len}");
        }
    }
}
