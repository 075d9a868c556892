//! The local-file sink.  Writes `.NAME.imgrepl-partial` beside the final
//! name with pwrite, leaves zero chunks as holes, starts writeback of each
//! written range at once (so the disk works during the copy, not only in
//! the final fdatasync) and journals what it wrote as a hint for resume,
//! then commits: fdatasync, manifest beside the final name, rename into
//! place, directory fsync.  Dropped uncommitted, it removes the partial and
//! the journal.
use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::fsutil::{check_replaceable, fsync_dir, open_regular, parent_dir, sibling};
use crate::hash::Digest;
use crate::journal::{Durable, Journal};
use crate::location::Location;
use crate::manifest::{manifest_path_for, Manifest};
use crate::pagebuf::PageBuf;
use crate::sink::{BaseCopy, ChunkRef, Sink, SinkOptions};

/// Written bytes whose writeback may still be in flight.  Beyond this the
/// oldest range is waited for and its clean pages dropped: dirty pages stay
/// bounded per replica (no page-cache thrash at 16 replicas) while the disk
/// queue stays full.
const WRITEBACK_WINDOW: u64 = 32 << 20;

pub fn partial_path_for(replica: &Path) -> PathBuf {
    sibling(replica, ".", ".imgrepl-partial")
}

pub fn journal_path_for(replica: &Path) -> PathBuf {
    sibling(replica, ".", ".imgrepl-journal")
}

#[allow(clippy::struct_excessive_bools)] // independent options and states
pub struct LocalSink {
    location: Location,
    path: PathBuf,
    partial: PathBuf,
    file: File,
    fsync: bool,
    overwrite: bool,
    journal: Option<Journal>,
    /// Chunks a previous run made durable (empty when starting fresh).
    durable: Durable,
    /// True when the partial came from an earlier run and may hold stale
    /// bytes where this run has a zero chunk.
    reused: bool,
    /// Ranges handed to writeback and not yet waited for, and whether to
    /// keep their pages cached once written back.
    inflight: VecDeque<(u64, u64, bool)>,
    inflight_bytes: u64,
    /// Base chunks are copied inside the kernel until that fails once.
    kernel_copy: bool,
    /// Base chunks are shared (reflinks) until that fails once; those
    /// shared wait in `shared` for `check_shared`.
    reflink: bool,
    shared: Vec<super::shared::SharedChunk>,
    /// Where a base chunk copied in is read back to be checked.
    check_buf: PageBuf,
    committed: bool,
}

impl LocalSink {
    pub fn open(path: PathBuf, location: Location, opts: &SinkOptions) -> Result<LocalSink> {
        // Only a regular file is ever replaced (a device, a FIFO or a
        // directory at the name is refused before anything is written).
        check_replaceable(&path, "create replica")?;
        let partial = partial_path_for(&path);
        let journal_path = journal_path_for(&path);
        // Never truncate before holding the lock: another job may own it.
        // A symlink planted at the partial's name is not followed.
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        let file = open_regular(&partial, &options, true, "create partial replica")?;
        match crate::sys::try_lock_exclusive(&file) {
            Ok(true) => {}
            Ok(false) => {
                let e =
                    io::Error::new(io::ErrorKind::ResourceBusy, "in use by another imgrepl job");
                return Err(Error::io("lock partial replica", &partial, e));
            }
            Err(e) => return Err(Error::io("lock partial replica", &partial, e)),
        }
        let size = opts.layout.size;
        let mut sink = LocalSink {
            location,
            path,
            partial,
            file,
            fsync: opts.fsync,
            overwrite: opts.overwrite,
            journal: None,
            durable: Vec::new(),
            reused: false,
            inflight: VecDeque::new(),
            inflight_bytes: 0,
            kernel_copy: true,
            reflink: true,
            shared: Vec::new(),
            check_buf: PageBuf::default(),
            committed: false,
        };
        // From here on, Drop cleans up the partial if anything fails.
        let journaling = opts.resume.filter(|_| opts.fsync);
        if let Some(key) = journaling {
            let same_size = sink.file.metadata().is_ok_and(|m| m.len() == size);
            let resumed = same_size
                .then(|| Journal::resume(&journal_path, key, opts.layout.count()))
                .flatten();
            match resumed {
                Some((journal, mut durable)) => {
                    crate::journal::keep_matching(
                        &sink.file,
                        &sink.partial,
                        &opts.layout,
                        &mut durable,
                    )?;
                    sink.journal = Some(journal);
                    sink.durable = durable;
                    sink.reused = true;
                }
                None => sink.journal = Some(Journal::create(&journal_path, key)?),
            }
        } else {
            let _ = fs::remove_file(&journal_path);
        }
        if !sink.reused {
            sink.set_len(0)?;
        }
        sink.set_len(size)?;
        Ok(sink)
    }

    fn set_len(&self, len: u64) -> Result<()> {
        self.file
            .set_len(len)
            .map_err(|e| Error::io("resize partial replica", &self.partial, e))
    }

    /// Before overwriting a chunk a journal vouches for, revoke the record.
    fn forget(&mut self, index: u64) -> Result<()> {
        let slot = self.durable.get_mut(index as usize);
        if let Some(slot @ Some(_)) = slot {
            *slot = None;
            if let Some(j) = self.journal.as_mut() {
                j.revoke(index)?;
            }
        }
        Ok(())
    }

    /// Journals the chunk (a hint: resume re-hashes it) and keeps the
    /// writeback of its bytes going.
    fn note_written(&mut self, index: u64, digest: Digest, offset: u64, len: u64) -> Result<()> {
        self.note(index, digest, offset, len, false)
    }

    /// `note_written`; `keep` leaves the range's pages cached (a base chunk
    /// just read back: the verification that follows the copy reads it).
    fn note(
        &mut self,
        index: u64,
        digest: Digest,
        offset: u64,
        len: u64,
        keep: bool,
    ) -> Result<()> {
        if let Some(j) = self.journal.as_mut() {
            j.append(&[(index, digest)])?;
        }
        if self.fsync && len > 0 {
            self.start_writeback(offset, len, keep);
        }
        Ok(())
    }

    /// Writeback calls are hints: an I/O error they would report surfaces
    /// again in the fdatasync at commit, which is what decides.
    fn start_writeback(&mut self, offset: u64, len: u64, keep: bool) {
        let _ = crate::sys::write_back(&self.file, offset, len, false);
        self.inflight.push_back((offset, len, keep));
        self.inflight_bytes += len;
        while self.inflight_bytes > WRITEBACK_WINDOW {
            let Some((o, l, keep)) = self.inflight.pop_front() else {
                break;
            };
            self.inflight_bytes -= l;
            if crate::sys::write_back(&self.file, o, l, true).is_ok() && !keep {
                crate::sys::drop_cache(&self.file, o, l);
            }
        }
    }
}

impl Sink for LocalSink {
    fn location(&self) -> &Location {
        &self.location
    }

    fn resumed_digest(&self, index: u64) -> Option<Digest> {
        self.durable.get(index as usize).copied().flatten()
    }

    fn write_chunk(&mut self, chunk: &ChunkRef<'_>) -> Result<()> {
        self.forget(chunk.index)?;
        self.file
            .write_all_at(chunk.data, chunk.offset)
            .map_err(|e| Error::io("write partial replica", &self.partial, e))?;
        self.note_written(
            chunk.index,
            chunk.digest,
            chunk.offset,
            chunk.data.len() as u64,
        )
    }

    /// A reflink where the filesystem can (nothing is read or written now;
    /// the chunk is checked in `check_shared`), else copy_file_range, and
    /// then the replica's bytes are read back and hashed: what is checked
    /// is what will be committed, even if the base changes meanwhile.
    fn copy_from_base(
        &mut self,
        base: &File,
        index: u64,
        offset: u64,
        len: u64,
        digest: &Digest,
    ) -> Result<BaseCopy> {
        if !self.kernel_copy {
            return Ok(BaseCopy::Unsupported);
        }
        self.forget(index)?;
        if self.reflink {
            if crate::sys::clone_range(base, &self.file, offset, len).is_ok() {
                self.shared.push((index, offset, len, *digest));
                self.note(index, *digest, offset, len, true)?;
                return Ok(BaseCopy::Shared);
            }
            self.reflink = false; // not this filesystem: copy in the kernel
        }
        if crate::sys::copy_range(base, &self.file, offset, len).is_err() {
            // Another filesystem, or the base failed to read: the caller
            // copies through memory (and drops a base it cannot read).
            self.kernel_copy = false;
            return Ok(BaseCopy::Unsupported);
        }
        self.check_buf.set_len(len as usize);
        self.file
            .read_exact_at(&mut self.check_buf, offset)
            .map_err(|e| Error::io("read back partial replica", &self.partial, e))?;
        if crate::hash::digest(&self.check_buf) != *digest {
            return Ok(BaseCopy::Mismatch);
        }
        self.note(index, *digest, offset, len, true)?;
        Ok(BaseCopy::Matched)
    }

    fn check_shared(&mut self) -> Result<Vec<u64>> {
        let mut chunks = std::mem::take(&mut self.shared);
        super::shared::check(&self.file, &self.partial, &mut chunks, &mut self.check_buf)
    }

    fn zero_chunk(&mut self, chunk: &ChunkRef<'_>, len: u64) -> Result<()> {
        self.forget(chunk.index)?;
        if self.reused {
            // A reused partial may hold stale bytes here: make it a hole.
            if crate::sys::punch_hole(&self.file, chunk.offset, len).is_err() {
                self.file
                    .write_all_at(&vec![0u8; len as usize], chunk.offset)
                    .map_err(|e| Error::io("write partial replica", &self.partial, e))?;
            }
        }
        self.note_written(chunk.index, chunk.digest, chunk.offset, 0)
    }

    fn flush(&mut self) -> Result<()> {
        if self.fsync {
            self.file
                .sync_data()
                .map_err(|e| Error::io("fdatasync partial replica", &self.partial, e))?;
        }
        self.inflight.clear();
        self.inflight_bytes = 0;
        Ok(())
    }

    fn commit(mut self: Box<Self>, manifest: &Manifest) -> Result<String> {
        self.flush()?;
        let manifest_path = manifest_path_for(&self.path);
        manifest.save(&manifest_path)?;
        let renamed = if self.overwrite {
            // Checked again: a device may have been put here since open.
            if let Err(e) = check_replaceable(&self.path, "rename replica into place") {
                let _ = fs::remove_file(&manifest_path);
                return Err(e);
            }
            fs::rename(&self.partial, &self.path)
        } else {
            crate::sys::rename_noreplace(&self.partial, &self.path)
        };
        if let Err(e) = renamed {
            // Someone else's file took the name: our manifest must not stay
            // beside it.
            let _ = fs::remove_file(&manifest_path);
            return Err(Error::io("rename replica into place", &self.path, e));
        }
        self.committed = true;
        let _ = fs::remove_file(journal_path_for(&self.path));
        fsync_dir(parent_dir(&self.path))?;
        Ok(manifest_path.display().to_string())
    }
}

impl Drop for LocalSink {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.partial);
            let _ = fs::remove_file(journal_path_for(&self.path));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::ChunkLayout;
    use crate::hash::digest;

    const C: usize = 4096;

    #[test]
    fn base_chunks_are_copied_in_the_kernel_and_checked_where_they_land() {
        let dir = std::env::temp_dir().join(format!("imgrepl-sink-base-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let chunks: Vec<Vec<u8>> = (1..=3u8).map(|b| vec![b; C]).collect();
        let base_path = dir.join("base.raw");
        fs::write(&base_path, chunks.concat()).unwrap();
        let base = File::open(&base_path).unwrap();
        let path = dir.join("new.raw");
        let location = Location::parse(path.to_str().unwrap()).unwrap();
        let opts = SinkOptions {
            layout: ChunkLayout::new(C as u64, 3 * C as u64).unwrap(),
            overwrite: true,
            fsync: false,
            resume: None,
        };
        let mut sink = LocalSink::open(path.clone(), location, &opts).unwrap();
        let good = sink.copy_from_base(&base, 0, 0, C as u64, &digest(&chunks[0]));
        assert_eq!(good.unwrap(), BaseCopy::Matched);
        // The base lies about chunk 1 (its digest is another's): caught.
        let lie = sink.copy_from_base(&base, 1, C as u64, C as u64, &digest(&chunks[2]));
        assert_eq!(lie.unwrap(), BaseCopy::Mismatch);
        let written = fs::read(partial_path_for(&path)).unwrap();
        assert_eq!(&written[..C], &chunks[0][..]);
        // A base cut short: the caller copies through memory from then on.
        fs::OpenOptions::new()
            .write(true)
            .open(&base_path)
            .unwrap()
            .set_len(C as u64)
            .unwrap();
        let cut = sink.copy_from_base(&base, 2, 2 * C as u64, C as u64, &digest(&chunks[2]));
        assert_eq!(cut.unwrap(), BaseCopy::Unsupported);
        let again = sink.copy_from_base(&base, 0, 0, C as u64, &digest(&chunks[0]));
        assert_eq!(again.unwrap(), BaseCopy::Unsupported);
        drop(sink);
        let _ = fs::remove_dir_all(&dir);
    }
}
