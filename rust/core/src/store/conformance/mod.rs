//! The conformance suite every backend passes, through the `Store` trait
//! only: local files in a temporary directory, and each object service on
//! object_store's in-memory store (installed where `Bucket::connect` finds
//! it, so addresses parse from URLs as in production).  Every registered
//! object service is a subject on its own; a backend of another kind adds
//! itself to `subjects`.
//!
//! This file is the harness (subjects, images, sinks); `cases` holds the
//! tests.
use std::sync::atomic::{AtomicU64, Ordering};

use crate::chunk::{is_zero, ChunkLayout};
use crate::hash::digest;
use crate::location::Location;
use crate::manifest::{Manifest, MANIFEST_SUFFIX};
use crate::runtime::block_on;
use crate::sink::{ChunkRef, Sink, SinkOptions};

mod cases;

const CHUNK: u64 = 1 << 20;

/// One backend under test: `at(name)` is a fresh address there, `prefix`
/// the "directory" all of them are below.
struct Subject {
    name: &'static str,
    root: String,
    _dir: Option<TempDir>,
}

impl Subject {
    /// A fresh address; for files, its directory is made first, as the
    /// gallery does before a copy (objects need none).
    fn at(&self, name: &str) -> Location {
        let loc = Location::parse(&format!("{}/{name}", self.root)).unwrap();
        if let Some(dir) = loc.local_path().and_then(|p| p.parent()) {
            std::fs::create_dir_all(dir).unwrap();
        }
        loc
    }

    fn prefix(&self) -> Location {
        Location::parse(&self.root).unwrap()
    }
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unique() -> u64 {
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

fn subjects() -> Vec<Subject> {
    let dir = std::env::temp_dir().join(format!(
        "imgrepl-conformance-{}-{}",
        std::process::id(),
        unique()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    #[allow(unused_mut)]
    let mut all = vec![Subject {
        name: "local",
        root: dir.display().to_string(),
        _dir: Some(TempDir(dir)),
    }];
    #[cfg(feature = "object")]
    all.extend(
        crate::store::registry::backends()
            .filter_map(|b| b.as_any().downcast_ref::<crate::remote::ObjectBackend>())
            .map(|b| in_memory(b.0)),
    );
    all
}

/// A fresh in-memory bucket of an object service.
#[cfg(feature = "object")]
fn in_memory(service: crate::remote::Service) -> Subject {
    use crate::remote::{registry, Bucket, StoreUrl};
    let (name, scheme) = (service.name(), service.scheme());
    let root = format!("{scheme}://conformance-{}-{}", std::process::id(), unique());
    let url = StoreUrl::parse(&root).unwrap();
    Bucket::install_in_memory(&url, &registry::options_for(&url));
    Subject {
        name,
        root: format!("{root}/region"),
        _dir: None,
    }
}

/// `len` bytes of noise with chunk 2 all zeros.
fn image(len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len as u64)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8)
        .collect();
    let zero = (2 * CHUNK) as usize..((3 * CHUNK) as usize).min(len);
    if zero.start < len {
        v[zero].fill(0);
    }
    v
}

fn manifest(bytes: &[u8], layout: ChunkLayout) -> Manifest {
    let chunk = |i: u64| &bytes[layout.range(i).start as usize..layout.range(i).end as usize];
    Manifest::new(
        layout,
        true,
        (0..layout.count()).map(|i| digest(chunk(i))).collect(),
        (0..layout.count()).map(|i| is_zero(chunk(i))).collect(),
    )
}

/// A sink at `loc` with the chunks `upto` of `bytes` written (as the
/// writer threads do: zero chunks as `zero_chunk`).
fn written(loc: &Location, bytes: &[u8], overwrite: bool, upto: u64) -> Box<dyn Sink> {
    let layout = ChunkLayout::new(CHUNK, bytes.len() as u64).unwrap();
    let opts = SinkOptions {
        layout,
        overwrite,
        fsync: true,
        resume: None,
    };
    let mut sink = loc.open_sink(&opts).unwrap();
    for i in 0..upto.min(layout.count()) {
        let r = layout.range(i);
        let data = &bytes[r.start as usize..r.end as usize];
        let zero = is_zero(data);
        let c = ChunkRef {
            index: i,
            offset: r.start,
            data: if zero { &[] } else { data },
            digest: digest(data),
            shared: None,
        };
        if zero {
            sink.zero_chunk(&c, data.len() as u64).unwrap();
        } else {
            sink.write_chunk(&c).unwrap();
        }
    }
    sink.flush().unwrap();
    sink
}

/// Commits a whole replica of `bytes` at `loc`; returns its manifest.
fn replica(loc: &Location, bytes: &[u8]) -> Manifest {
    let m = manifest(bytes, ChunkLayout::new(CHUNK, bytes.len() as u64).unwrap());
    written(loc, bytes, false, u64::MAX).commit(&m).unwrap();
    m
}

fn stat(loc: &Location) -> Option<u64> {
    block_on(loc.store().stat()).unwrap()
}

fn read_back(loc: &Location) -> Vec<u8> {
    let src = loc.open_source().unwrap();
    let mut buf = vec![0u8; src.size() as usize];
    src.read_at(0, &mut buf).unwrap();
    buf
}

fn kind(err: &crate::Error) -> Option<std::io::ErrorKind> {
    match err {
        crate::Error::Io { source, .. } => Some(source.kind()),
        _ => None,
    }
}
