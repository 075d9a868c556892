//! The replica manifest: what a copy wrote, chunk by chunk, so a replica can
//! be verified later without its source.
//!
//! Binary layout, integers little-endian:
//!
//! | offset     | size   | field                                             |
//! |------------|--------|---------------------------------------------------|
//! | 0          | 8      | magic `b"IMGRMANI"`                               |
//! | 8          | 4      | format version, `1`                               |
//! | 12         | 4      | flags: bit 0 = chunk digests present (hash on)    |
//! | 16         | 8      | chunk size in bytes (multiple of 512)             |
//! | 24         | 8      | source size in bytes                              |
//! | 32         | 8      | chunk count = ceil(source size / chunk size)      |
//! | 40         | 16     | image digest (see below)                          |
//! | 56         | 16 * n | per-chunk xxh3-128 digests, canonical (big-endian)|
//! | 56 + 16n   | n      | per-chunk zero flag, 0 or 1                       |
//!
//! The last chunk may be short; its digest covers only its real bytes.  A
//! zero chunk's digest is the real xxh3-128 of its zero bytes.
//!
//! Image digest = canonical xxh3-128 of bytes 0..40 of the file (magic
//! through chunk count) followed by the n chunk digests.  It names the
//! image content at this chunk size, and any change to the header or a
//! digest changes it.  Zero flags are checked against the digests instead
//! (a chunk is zero iff its digest is the zero digest of its length), so
//! every single-byte corruption is caught on load.
//!
//! With hashing off (benchmarks only) the digests are all zero, flag bit 0 is
//! clear and verification refuses the manifest.
use std::path::{Path, PathBuf};

use crate::chunk::ChunkLayout;
use crate::error::{Error, Result};
use crate::hash::{digest, zero_digest, Digest};
use crate::location::Location;
use crate::runtime::block_on;
use crate::store::registry;

/// A replica's manifest is stored at its address plus this suffix, on
/// every backend (`disk.vhd` -> `disk.vhd.imgrepl-manifest`).
pub const MANIFEST_SUFFIX: &str = ".imgrepl-manifest";

pub const MAGIC: &[u8; 8] = b"IMGRMANI";
pub const VERSION: u32 = 1;
pub const HEADER_LEN: usize = 56;
const FLAG_HASHED: u32 = 1;
/// The bytes hashed into the image digest before the chunk digests.
const DIGESTED_HEADER: usize = 40;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    pub layout: ChunkLayout,
    /// False when the copy ran with hashing off: digests are all zero.
    pub hashed: bool,
    pub digests: Vec<Digest>,
    pub zero: Vec<bool>,
    pub image_digest: Digest,
}

impl Manifest {
    /// Builds a manifest and computes its image digest.
    pub fn new(layout: ChunkLayout, hashed: bool, digests: Vec<Digest>, zero: Vec<bool>) -> Self {
        let n = layout.count() as usize;
        assert!(
            digests.len() == n && zero.len() == n,
            "one digest and flag per chunk"
        );
        let mut m = Manifest {
            layout,
            hashed,
            digests,
            zero,
            image_digest: [0; 16],
        };
        m.image_digest = m.compute_image_digest();
        m
    }

    pub fn chunk_count(&self) -> u64 {
        self.digests.len() as u64
    }

    fn header_fields(&self) -> [u8; DIGESTED_HEADER] {
        let mut h = [0u8; DIGESTED_HEADER];
        h[0..8].copy_from_slice(MAGIC);
        h[8..12].copy_from_slice(&VERSION.to_le_bytes());
        let flags = if self.hashed { FLAG_HASHED } else { 0 };
        h[12..16].copy_from_slice(&flags.to_le_bytes());
        h[16..24].copy_from_slice(&self.layout.chunk_size.to_le_bytes());
        h[24..32].copy_from_slice(&self.layout.size.to_le_bytes());
        h[32..40].copy_from_slice(&self.chunk_count().to_le_bytes());
        h
    }

    fn compute_image_digest(&self) -> Digest {
        let mut buf = Vec::with_capacity(DIGESTED_HEADER + 16 * self.digests.len());
        buf.extend_from_slice(&self.header_fields());
        for d in &self.digests {
            buf.extend_from_slice(d);
        }
        digest(&buf)
    }

    pub fn encode(&self) -> Vec<u8> {
        let n = self.digests.len();
        let mut out = Vec::with_capacity(HEADER_LEN + 17 * n);
        out.extend_from_slice(&self.header_fields());
        out.extend_from_slice(&self.image_digest);
        for d in &self.digests {
            out.extend_from_slice(d);
        }
        out.extend(self.zero.iter().map(|&z| u8::from(z)));
        out
    }

    /// Parses and checks a manifest; `path` only names it in errors.
    pub fn decode(bytes: &[u8], path: &Path) -> Result<Manifest> {
        let bad = |reason: String| Error::Manifest {
            path: path.to_path_buf(),
            reason,
        };
        if bytes.len() < HEADER_LEN {
            return Err(bad(format!(
                "truncated header: {} bytes, a manifest has at least {HEADER_LEN}",
                bytes.len()
            )));
        }
        if &bytes[0..8] != MAGIC {
            return Err(bad(format!(
                "bad magic {:02x?}, not an imgrepl manifest",
                &bytes[0..8]
            )));
        }
        let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
        let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().expect("8 bytes"));
        let version = u32_at(8);
        if version != VERSION {
            return Err(bad(format!(
                "unsupported format version {version} (this build reads {VERSION})"
            )));
        }
        let flags = u32_at(12);
        if flags & !FLAG_HASHED != 0 {
            return Err(bad(format!("unknown flags {flags:#x}")));
        }
        let layout = ChunkLayout::new(u64_at(16), u64_at(24))
            .map_err(|e| bad(format!("header field chunk_size: {e}")))?;
        let count = u64_at(32);
        if count != layout.count() {
            return Err(bad(format!(
                "header field chunk_count is {count}, but {} bytes in {}-byte chunks make {}",
                layout.size,
                layout.chunk_size,
                layout.count()
            )));
        }
        let expected = count
            .checked_mul(17)
            .and_then(|b| b.checked_add(HEADER_LEN as u64))
            .ok_or_else(|| bad(format!("chunk_count {count} is impossibly large")))?;
        if bytes.len() as u64 != expected {
            return Err(bad(format!(
                "length is {} bytes, expected {expected} for {count} chunks (truncated or trailing data)",
                bytes.len()
            )));
        }
        let n = count as usize;
        let digests: Vec<Digest> = bytes[HEADER_LEN..HEADER_LEN + 16 * n]
            .chunks_exact(16)
            .map(|c| c.try_into().expect("16 bytes"))
            .collect();
        let flag_bytes = &bytes[HEADER_LEN + 16 * n..];
        if let Some(i) = flag_bytes.iter().position(|&f| f > 1) {
            return Err(bad(format!(
                "zero flag of chunk {i} is {}, not 0 or 1",
                flag_bytes[i]
            )));
        }
        let zero: Vec<bool> = flag_bytes.iter().map(|&f| f == 1).collect();
        let stored: Digest = bytes[40..56].try_into().expect("16 bytes");
        let m = Manifest::new(layout, flags & FLAG_HASHED != 0, digests, zero);
        if m.image_digest != stored {
            return Err(bad(
                "image digest does not match the header and chunk digests".into(),
            ));
        }
        if m.hashed {
            m.check_zero_flags().map_err(bad)?;
        }
        Ok(m)
    }

    /// A zero flag must agree with its chunk's digest.
    fn check_zero_flags(&self) -> std::result::Result<(), String> {
        let full = zero_digest(self.layout.chunk_size);
        for (i, (d, &z)) in self.digests.iter().zip(&self.zero).enumerate() {
            let len = self.layout.len(i as u64) as u64;
            let zd = if len == self.layout.chunk_size {
                full
            } else {
                zero_digest(len)
            };
            if (*d == zd) != z {
                return Err(format!("zero flag of chunk {i} disagrees with its digest"));
            }
        }
        Ok(())
    }

    /// Reads and checks the manifest at `path`: a local file, or the URL
    /// of any registered backend (`s3://...`).
    pub fn load(path: &Path) -> Result<Manifest> {
        let url = path.to_str().filter(|t| {
            crate::location::scheme(t).is_some_and(|s| registry::for_scheme(s).is_some())
        });
        if let Some(text) = url {
            Manifest::load_from(&Location::parse(text)?)
        } else {
            let bytes = std::fs::read(path).map_err(|e| Error::io("read manifest", path, e))?;
            Manifest::decode(&bytes, path)
        }
    }

    /// Reads and checks the manifest stored at `location` (the manifest's
    /// own address).  A missing one is NotFound, wherever it lives.
    pub fn load_from(location: &Location) -> Result<Manifest> {
        let bytes = block_on(location.store().read_all())?.ok_or_else(|| {
            let e = std::io::Error::new(std::io::ErrorKind::NotFound, "not found");
            Error::io("read manifest", location.to_string(), e)
        })?;
        Manifest::decode(&bytes, Path::new(&location.to_string()))
    }

    /// Writes the manifest durably (temp file, fsync, rename, dir fsync).
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::fsutil::write_atomic(path, &self.encode())
    }
}

/// `NAME.imgrepl-manifest` beside a local replica.
pub fn manifest_path_for(replica: &Path) -> PathBuf {
    crate::fsutil::sibling(replica, "", MANIFEST_SUFFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        let layout = ChunkLayout::new(1024, 2600).unwrap();
        let data = [vec![7u8; 1024], vec![0u8; 1024], vec![1u8; 552]];
        let digests = data.iter().map(|c| digest(c)).collect();
        Manifest::new(layout, true, digests, vec![false, true, false])
    }

    #[test]
    fn round_trips_through_bytes() {
        let m = sample();
        let bytes = m.encode();
        assert_eq!(bytes.len(), HEADER_LEN + 3 * 17);
        assert_eq!(Manifest::decode(&bytes, Path::new("m")).unwrap(), m);
    }

    #[test]
    fn every_single_byte_corruption_is_refused() {
        let bytes = sample().encode();
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            let err = Manifest::decode(&bad, Path::new("x.imgrepl-manifest"));
            assert!(
                matches!(err, Err(Error::Manifest { .. })),
                "byte {i} flip accepted"
            );
        }
    }

    #[test]
    fn truncation_names_the_problem() {
        let bytes = sample().encode();
        let short = Manifest::decode(&bytes[..20], Path::new("m"))
            .unwrap_err()
            .to_string();
        assert!(short.contains("truncated header"), "{short}");
        let cut = Manifest::decode(&bytes[..bytes.len() - 1], Path::new("m"))
            .unwrap_err()
            .to_string();
        assert!(cut.contains("expected"), "{cut}");
    }

    #[test]
    fn image_digest_covers_header_and_digests() {
        let m = sample();
        let mut buf = m.encode()[..40].to_vec();
        for d in &m.digests {
            buf.extend_from_slice(d);
        }
        assert_eq!(m.image_digest, digest(&buf));
    }
}
