//! The resume journal beside a partial replica (`.NAME.imgrepl-journal`).
//!
//! A record (chunk index, digest) is appended right after the chunk was
//! written to the partial file, without fsync: a SIGKILLed process's writes
//! survive in the page cache, and only a machine crash can lose them.  So a
//! record is a hint, never trusted alone: on resume `keep_matching`
//! re-reads and re-hashes every journaled chunk of the partial and forgets
//! those whose bytes differ, and the re-run skips a chunk only when that
//! verified digest equals the one it computes afresh from the source.
//!
//! Layout, little-endian: a 40-byte header (magic `b"IMGRJRNL"`, version
//! u32, reserved u32, chunk size u64, source size u64, source id u64), then
//! 32-byte records (index u64, digest 16 bytes, check u64).  The check is
//! xxh3-64 of the record's first 24 bytes seeded with the source id, so a
//! torn last record or a record from another journal is never trusted.  A
//! later record for the same index replaces an earlier one.
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use twox_hash::XxHash3_64;

use crate::chunk::ChunkLayout;
use crate::error::{Error, Result};
use crate::hash::{digest, Digest};

const MAGIC: &[u8; 8] = b"IMGRJRNL";
const VERSION: u32 = 1;
const HEADER_LEN: usize = 40;
const RECORD_LEN: usize = 32;
/// Digest recorded to revoke an earlier record (its chunk is being rewritten).
const REVOKED: Digest = [0xff; 16];

/// What a journal must match to be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JournalKey {
    pub chunk_size: u64,
    pub source_size: u64,
    /// xxh3-64 of the source address.
    pub source_id: u64,
}

impl JournalKey {
    pub fn new(chunk_size: u64, source_size: u64, source: &str) -> Self {
        JournalKey {
            chunk_size,
            source_size,
            source_id: XxHash3_64::oneshot(source.as_bytes()),
        }
    }

    fn header(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[0..8].copy_from_slice(MAGIC);
        h[8..12].copy_from_slice(&VERSION.to_le_bytes());
        h[16..24].copy_from_slice(&self.chunk_size.to_le_bytes());
        h[24..32].copy_from_slice(&self.source_size.to_le_bytes());
        h[32..40].copy_from_slice(&self.source_id.to_le_bytes());
        h
    }

    fn record(&self, index: u64, digest: &Digest) -> [u8; RECORD_LEN] {
        let mut r = [0u8; RECORD_LEN];
        r[0..8].copy_from_slice(&index.to_le_bytes());
        r[8..24].copy_from_slice(digest);
        let check = XxHash3_64::oneshot_with_seed(self.source_id, &r[0..24]);
        r[24..32].copy_from_slice(&check.to_le_bytes());
        r
    }
}

pub struct Journal {
    path: PathBuf,
    file: File,
    key: JournalKey,
}

/// Chunks a journal vouches for: `durable[i]` is the digest of chunk i.
pub type Durable = Vec<Option<Digest>>;

impl Journal {
    /// Starts an empty journal (replacing any old one).
    pub fn create(path: &Path, key: JournalKey) -> Result<Journal> {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| Error::io("create journal", path, e))?;
        file.write_all(&key.header())
            .map_err(|e| Error::io("write journal", path, e))?;
        Ok(Journal {
            path: path.to_path_buf(),
            file,
            key,
        })
    }

    /// Reopens a journal left by an interrupted run.  None if it is missing,
    /// unreadable or made for another source or chunk size.  A torn tail is
    /// cut off so new records start on a record boundary.
    pub fn resume(path: &Path, key: JournalKey, chunk_count: u64) -> Option<(Journal, Durable)> {
        let mut bytes = Vec::new();
        File::open(path).ok()?.read_to_end(&mut bytes).ok()?;
        if bytes.len() < HEADER_LEN || bytes[..HEADER_LEN] != key.header() {
            return None;
        }
        let mut durable: Durable = vec![None; chunk_count as usize];
        let mut valid = HEADER_LEN;
        for rec in bytes[HEADER_LEN..].chunks_exact(RECORD_LEN) {
            let index = u64::from_le_bytes(rec[0..8].try_into().expect("8 bytes"));
            let digest: Digest = rec[8..24].try_into().expect("16 bytes");
            if rec != key.record(index, &digest) || index >= chunk_count {
                break;
            }
            durable[index as usize] = (digest != REVOKED).then_some(digest);
            valid += RECORD_LEN;
        }
        let file = OpenOptions::new().write(true).open(path).ok()?;
        file.set_len(valid as u64).ok()?;
        let mut journal = Journal {
            path: path.to_path_buf(),
            file,
            key,
        };
        std::io::Seek::seek(&mut journal.file, std::io::SeekFrom::End(0)).ok()?;
        Some((journal, durable))
    }

    /// Appends records for chunks that are durable in the partial file.
    pub fn append(&mut self, records: &[(u64, Digest)]) -> Result<()> {
        let mut buf = Vec::with_capacity(records.len() * RECORD_LEN);
        for (index, digest) in records {
            buf.extend_from_slice(&self.key.record(*index, digest));
        }
        self.file
            .write_all(&buf)
            .map_err(|e| Error::io("append journal", &self.path, e))
    }

    /// Revokes chunk `index` before its bytes are overwritten, so a later
    /// resume need not re-hash a chunk it knows is stale.
    pub fn revoke(&mut self, index: u64) -> Result<()> {
        self.append(&[(index, REVOKED)])
    }
}

/// Forgets every journaled chunk whose bytes in `partial` no longer hash to
/// the recorded digest (lost in a crash, torn, or changed since).
pub fn keep_matching(
    partial: &File,
    path: &Path,
    layout: &ChunkLayout,
    durable: &mut Durable,
) -> Result<()> {
    use std::os::unix::fs::FileExt;
    let mut buf = Vec::new();
    for (index, slot) in durable.iter_mut().enumerate() {
        let Some(recorded) = *slot else { continue };
        let range = layout.range(index as u64);
        buf.resize((range.end - range.start) as usize, 0);
        partial
            .read_exact_at(&mut buf, range.start)
            .map_err(|e| Error::io("re-read partial replica", path, e))?;
        if digest(&buf) != recorded {
            *slot = None;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("imgrepl-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn records_survive_and_a_torn_tail_is_dropped() {
        let path = tmp("a");
        let key = JournalKey::new(4096, 40960, "/src");
        let mut j = Journal::create(&path, key).unwrap();
        j.append(&[(0, [1; 16]), (3, [3; 16])]).unwrap();
        j.revoke(0).unwrap();
        drop(j);
        // A torn write: half a record at the end.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[9u8; 10]).unwrap();
        let (mut j, durable) = Journal::resume(&path, key, 10).unwrap();
        assert_eq!(durable[0], None);
        assert_eq!(durable[3], Some([3; 16]));
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            (HEADER_LEN + 3 * RECORD_LEN) as u64
        );
        j.append(&[(5, [5; 16])]).unwrap();
        let (_, durable) = Journal::resume(&path, key, 10).unwrap();
        assert_eq!(durable[5], Some([5; 16]));
        assert_eq!(durable[3], Some([3; 16]));
    }

    #[test]
    fn a_journal_for_another_source_or_chunk_size_is_ignored() {
        let path = tmp("b");
        let key = JournalKey::new(4096, 40960, "/src");
        Journal::create(&path, key)
            .unwrap()
            .append(&[(1, [1; 16])])
            .unwrap();
        assert!(Journal::resume(&path, JournalKey::new(8192, 40960, "/src"), 5).is_none());
        assert!(Journal::resume(&path, JournalKey::new(4096, 40960, "/other"), 10).is_none());
        assert!(Journal::resume(&path, JournalKey::new(4096, 4096, "/src"), 1).is_none());
        assert!(Journal::resume(&tmp("missing"), key, 10).is_none());
    }
}
