//! Delta copies: a destination may be given a base, an existing replica of
//! an earlier image in the destination's own store, with that replica's
//! manifest.  A chunk whose new digest equals the base's digest at the same
//! index is taken from the base instead of from the source (inside the
//! destination's region, so it crosses no region), and only changed chunks
//! come from the source.
//!
//! The base is never trusted: every chunk taken from it is hashed against
//! the new digest, and one that does not match comes from the source
//! instead.  A local replica takes a local base's chunk inside the kernel
//! (copy_file_range: shared blocks on XFS or btrfs, no bytes through
//! memory) and hashes what it then holds there; other sinks read the
//! base's bytes and hash them before writing.  A base that cannot be read
//! any more (deleted, truncated, its store down) is dropped and the rest of
//! that destination comes from the source.  The replica is still checked
//! against the new manifest by whoever verifies it, so a bad base can never
//! make a wrong replica.
use crate::chunk::ChunkLayout;
use crate::error::{Error, Result};
use crate::hash::{digest, Digest};
use crate::location::Location;
use crate::manifest::Manifest;
use crate::source::Source;

/// A base as the caller gives it: where the earlier replica is and its
/// manifest's bytes (the gallery keeps manifests itself).
#[derive(Clone, Debug)]
pub struct BaseSpec {
    pub location: String,
    pub manifest: Vec<u8>,
}

/// A base ready to read from.
pub struct Base {
    pub location: Location,
    source: Box<dyn Source>,
    manifest: Manifest,
}

/// What became of a destination's base, for its report.
#[derive(Default)]
pub struct BaseUse {
    /// Data bytes taken from the base.
    pub bytes: u64,
    /// Chunks whose base bytes did not match and came from the source.
    pub bad_chunks: u64,
    pub first_bad: Option<u64>,
    /// Why the base was dropped (unreadable) or never used.
    pub dropped: Option<String>,
}

impl BaseUse {
    /// A chunk of the base did not hash to its digest.
    pub fn note_bad(&mut self, index: u64) {
        self.bad_chunks += 1;
        self.first_bad.get_or_insert(index);
    }

    /// One line for the report; None when the base served as planned.
    pub fn note(&self, base: &str) -> Option<String> {
        let bad = self.first_bad.map(|first| {
            format!(
                "{} chunks of base {base} did not match their digests (first: chunk {first}) \
                 and were taken from the source",
                self.bad_chunks
            )
        });
        match (bad, &self.dropped) {
            (Some(b), Some(d)) => Some(format!("{b}; {d}")),
            (b, d) => b.or_else(|| d.clone()),
        }
    }
}

/// Checks a base given for a copy of `layout`: a bad address or manifest
/// is the caller's error (nothing has been written).
pub fn parse(spec: &BaseSpec, layout: &ChunkLayout) -> Result<(Location, Manifest)> {
    let location = Location::parse(&spec.location)?;
    let named = format!("base manifest of {location}");
    let manifest = Manifest::decode(&spec.manifest, std::path::Path::new(&named))?;
    if !manifest.hashed {
        return Err(Error::InvalidArgument(format!(
            "base {location}: its manifest has no chunk digests"
        )));
    }
    if manifest.layout.chunk_size != layout.chunk_size {
        return Err(Error::InvalidArgument(format!(
            "base {location}: its chunk size {} is not the copy's {}",
            manifest.layout.chunk_size, layout.chunk_size
        )));
    }
    Ok((location, manifest))
}

impl Base {
    /// Opens the base replica; Err is the reason it cannot serve (the
    /// destination is then copied in full, not failed).
    pub fn open(location: Location, manifest: Manifest) -> std::result::Result<Base, String> {
        // A replica is a regular file or an object: anything else (a FIFO
        // would block the open, a device never ends) is refused unopened.
        match crate::runtime::block_on(location.store().stat()) {
            Ok(Some(_)) => {}
            Ok(None) => return Err(format!("base {location} not used: not found")),
            Err(e) => return Err(format!("base {location} not used: {e}")),
        }
        let source = location
            .open_source()
            .map_err(|e| format!("base {location} not used: {e}"))?;
        if source.size() != manifest.layout.size {
            return Err(format!(
                "base {location} not used: its size {} is not its manifest's {}",
                source.size(),
                manifest.layout.size
            ));
        }
        Ok(Base {
            location,
            source,
            manifest,
        })
    }

    /// Whether chunk `index` of `len` bytes with `digest` is in the base.
    pub fn holds(&self, index: u64, len: u64, digest: &Digest) -> bool {
        let i = index as usize;
        index < self.manifest.chunk_count()
            && !self.manifest.zero[i]
            && self.manifest.layout.len(index) as u64 == len
            && self.manifest.digests[i] == *digest
    }

    /// The base's open file, when it is a local one.
    pub fn file(&self) -> Option<&std::fs::File> {
        self.source.local_file()
    }

    /// Reads the chunk at `offset` into `buf` and says whether it hashes to
    /// `expected`; Err when the base cannot be read.
    pub fn read_checked(&self, offset: u64, buf: &mut [u8], expected: &Digest) -> Result<bool> {
        self.source.read_at(offset, buf)?;
        Ok(digest(buf) == *expected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::digest;

    fn scratch(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("imgrepl-base-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn manifest(chunks: &[&[u8]], chunk_size: u64) -> Manifest {
        let size = chunks.iter().map(|c| c.len() as u64).sum();
        let layout = ChunkLayout::new(chunk_size, size).unwrap();
        let zero = chunks.iter().map(|c| c.iter().all(|&b| b == 0)).collect();
        Manifest::new(
            layout,
            true,
            chunks.iter().map(|c| digest(c)).collect(),
            zero,
        )
    }

    #[test]
    fn a_bad_base_argument_is_refused_by_name() {
        let layout = ChunkLayout::new(512, 1024).unwrap();
        let m = manifest(&[&[1; 512], &[2; 512]], 512);
        let spec = |manifest: Vec<u8>| BaseSpec {
            location: "/tmp/old.raw".into(),
            manifest,
        };
        let other = ChunkLayout::new(1024, 1024).unwrap();
        let err = parse(&spec(m.encode()), &other).unwrap_err().to_string();
        assert!(
            err.contains("chunk size 512 is not the copy's 1024"),
            "{err}"
        );
        let err = parse(&spec(b"junk".to_vec()), &layout)
            .unwrap_err()
            .to_string();
        assert!(err.contains("base manifest of /tmp/old.raw"), "{err}");
        assert!(parse(&spec(m.encode()), &layout).is_ok());
    }

    #[test]
    fn only_same_index_same_digest_data_chunks_are_held() {
        let path = scratch("held").join("old.raw");
        let data = [[1u8; 512], [0u8; 512], [3u8; 512]].concat();
        std::fs::write(&path, &data).unwrap();
        let m = manifest(&[&data[..512], &data[512..1024], &data[1024..]], 512);
        let base = Base::open(Location::parse(path.to_str().unwrap()).unwrap(), m).unwrap();
        assert!(base.holds(0, 512, &digest(&[1; 512])));
        assert!(!base.holds(1, 512, &digest(&[1; 512])), "another index");
        assert!(
            !base.holds(1, 512, &digest(&[0; 512])),
            "zero chunks are never read"
        );
        assert!(!base.holds(3, 512, &digest(&[3; 512])), "past its end");
        let mut buf = vec![0; 512];
        assert!(base
            .read_checked(1024, &mut buf, &digest(&[3; 512]))
            .unwrap());
        std::fs::write(&path, [[1u8; 512], [0; 512], [9; 512]].concat()).unwrap();
        assert!(!base
            .read_checked(1024, &mut buf, &digest(&[3; 512]))
            .unwrap());
        std::fs::write(&path, [1u8; 512]).unwrap();
        assert!(base
            .read_checked(1024, &mut buf, &digest(&[3; 512]))
            .is_err());
    }

    #[test]
    fn a_missing_or_resized_base_is_not_used_and_says_why() {
        let path = scratch("missing").join("old.raw");
        let _ = std::fs::remove_file(&path);
        let m = manifest(&[&[1; 512]], 512);
        let loc = Location::parse(path.to_str().unwrap()).unwrap();
        let why = Base::open(loc.clone(), m.clone()).err().unwrap();
        assert!(why.contains("not used") && why.contains("old.raw"), "{why}");
        std::fs::write(&path, [1u8; 1024]).unwrap();
        let why = Base::open(loc, m.clone()).err().unwrap();
        assert!(why.contains("size 1024 is not its manifest's 512"), "{why}");
        let dir = Location::parse(path.parent().unwrap().to_str().unwrap()).unwrap();
        let why = Base::open(dir, m).err().unwrap();
        assert!(
            why.contains("not used") && why.contains("directory"),
            "{why}"
        );
    }
}
