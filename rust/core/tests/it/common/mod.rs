//! Helpers for the engine integration tests: throwaway directories and
//! deterministic image contents.
#![allow(dead_code)] // not every helper is used by every build of the tests

use std::fs;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use imgrepl_core::fanout::{CopyJob, CopyOptions};
use imgrepl_core::report::CopyReport;

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("imgrepl-it-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// `count` fresh subdirectories d0, d1, ...
    pub fn subdirs(&self, count: usize) -> Vec<PathBuf> {
        (0..count)
            .map(|i| {
                let d = self.0.join(format!("d{i}"));
                fs::create_dir_all(&d).unwrap();
                d
            })
            .collect()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Pseudo-random bytes from a seed (xorshift64*): reproducible, incompressible.
pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Writes `data` to a new file.
pub fn write_file(path: &Path, data: &[u8]) {
    fs::write(path, data).unwrap();
}

/// A sparse file of `size` bytes with `data` written at each offset.
pub fn sparse_file(path: &Path, size: u64, pieces: &[(u64, &[u8])]) {
    let f = fs::File::create(path).unwrap();
    f.set_len(size).unwrap();
    for (off, data) in pieces {
        f.write_all_at(data, *off).unwrap();
    }
}

pub fn allocated(path: &Path) -> u64 {
    fs::metadata(path).unwrap().blocks() * 512
}

pub fn s(p: &Path) -> String {
    p.display().to_string()
}

pub fn copy(src: &Path, dsts: &[PathBuf], opts: &CopyOptions) -> imgrepl_core::Result<CopyReport> {
    let dsts: Vec<String> = dsts.iter().map(|p| s(p)).collect();
    CopyJob::start(&s(src), &dsts, opts)?.wait()
}

/// Names in `dir`, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
