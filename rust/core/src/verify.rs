//! Re-reads a replica and checks it chunk by chunk against a manifest,
//! reporting the exact byte ranges that differ.
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::location::Location;
use crate::manifest::Manifest;
use crate::scan::scan;
use crate::source::Source;

#[derive(Clone, Debug, PartialEq)]
pub struct VerifyReport {
    pub path: String,
    pub manifest_path: String,
    /// True when the size matches and every chunk's digest does.
    pub ok: bool,
    pub chunks_checked: u64,
    /// Byte ranges [start, end) of the chunks that differ, merged where
    /// adjacent; chunks past the end of a short file are included.
    pub bad_ranges: Vec<(u64, u64)>,
    pub size_ok: bool,
    /// The replica's size and the size the manifest expects.
    pub size: u64,
    pub expected_size: u64,
    pub seconds: f64,
}

/// Which manifest a replica is checked against.
#[derive(Clone, Copy, Debug)]
pub enum ManifestArg<'a> {
    /// The one stored beside the replica.
    Beside,
    /// The one at this path or URL.
    At(&'a str),
    /// These manifest bytes (a gallery keeps its versions' manifests itself).
    Bytes(&'a [u8]),
}

/// The manifest to check `replica` against, wherever it lives; the path
/// returned names it in reports (a file path, a URL, or `<manifest bytes>`).
pub fn resolve_manifest(replica: &Location, manifest: ManifestArg) -> Result<(PathBuf, Manifest)> {
    let (path, m) = match manifest {
        ManifestArg::Bytes(bytes) => {
            let path = PathBuf::from("<manifest bytes>");
            let m = Manifest::decode(bytes, &path)?;
            (path, m)
        }
        ManifestArg::At(text) => {
            let at = Location::parse(text)?;
            (PathBuf::from(at.to_string()), Manifest::load_from(&at)?)
        }
        ManifestArg::Beside => {
            let at = replica.manifest_location()?;
            (PathBuf::from(at.to_string()), Manifest::load_from(&at)?)
        }
    };
    if !m.hashed {
        return Err(Error::Verify {
            path,
            reason: "manifest has no chunk digests (the copy ran with hashing off)".into(),
        });
    }
    Ok((path, m))
}

pub fn verify(path: &str, manifest: ManifestArg, threads: Option<usize>) -> Result<VerifyReport> {
    let started = Instant::now();
    let loc = Location::parse(path)?;
    let (manifest_path, m) = resolve_manifest(&loc, manifest)?;
    let replica = loc.open_source()?;
    let bad = bad_chunks(replica.as_ref(), &m, threads)?;
    Ok(report(
        &loc,
        &manifest_path,
        &m,
        replica.size(),
        &bad,
        started,
    ))
}

pub(crate) fn report(
    loc: &Location,
    manifest_path: &Path,
    m: &Manifest,
    size: u64,
    bad: &[u64],
    started: Instant,
) -> VerifyReport {
    let size_ok = size == m.layout.size;
    VerifyReport {
        path: loc.to_string(),
        manifest_path: manifest_path.display().to_string(),
        ok: size_ok && bad.is_empty(),
        chunks_checked: m.chunk_count(),
        bad_ranges: merge_ranges(m, bad),
        size_ok,
        size,
        expected_size: m.layout.size,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Indices of the chunks whose bytes in `replica` do not match `m`, sorted.
pub fn bad_chunks(replica: &dyn Source, m: &Manifest, threads: Option<usize>) -> Result<Vec<u64>> {
    let bad = Mutex::new(Vec::new());
    scan(replica, m.layout, threads, |i, d| {
        if d.map(|(d, _)| d) != Some(m.digests[i as usize]) {
            bad.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(i);
        }
    })?;
    let mut bad = bad
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    bad.sort_unstable();
    Ok(bad)
}

/// Chunk indices -> byte ranges, adjacent chunks merged.
fn merge_ranges(m: &Manifest, bad: &[u64]) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    for &i in bad {
        let r = m.layout.range(i);
        match out.last_mut() {
            Some(last) if last.1 == r.start => last.1 = r.end,
            _ => out.push((r.start, r.end)),
        }
    }
    out
}
