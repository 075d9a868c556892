//! The local-file sink.  Writes `.NAME.imgrepl-partial` beside the final
//! name with pwrite, leaves zero chunks as holes, fdatasyncs in batches and
//! journals what is durable, then commits: manifest beside the final name,
//! rename into place, directory fsync.  Dropped uncommitted, it removes the
//! partial and the journal.
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::fsutil::{fsync_dir, parent_dir, sibling};
use crate::hash::Digest;
use crate::journal::{Durable, Journal};
use crate::location::Location;
use crate::manifest::{manifest_path_for, Manifest};
use crate::sink::{ChunkRef, Sink, SinkOptions};

/// fdatasync (and journal) after this many bytes: bounds the work a crash
/// can lose and keeps dirty pages from piling up.
const SYNC_BATCH: u64 = 64 << 20;

pub fn partial_path_for(replica: &Path) -> PathBuf {
    sibling(replica, ".", ".imgrepl-partial")
}

pub fn journal_path_for(replica: &Path) -> PathBuf {
    sibling(replica, ".", ".imgrepl-journal")
}

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
    pending: Vec<(u64, Digest)>,
    unsynced: u64,
    committed: bool,
}

impl LocalSink {
    pub fn open(path: PathBuf, location: Location, opts: &SinkOptions) -> Result<LocalSink> {
        if path.is_dir() {
            let e = io::Error::new(io::ErrorKind::IsADirectory, "is a directory");
            return Err(Error::io("create replica", &path, e));
        }
        let partial = partial_path_for(&path);
        let journal_path = journal_path_for(&path);
        // Never truncate before holding the lock: another job may own it.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&partial)
            .map_err(|e| Error::io("create partial replica", &partial, e))?;
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
            pending: Vec::new(),
            unsynced: 0,
            committed: false,
        };
        // From here on, Drop cleans up the partial if anything fails.
        let journaling = opts.resume.filter(|_| opts.fsync);
        if let Some(key) = journaling {
            let same_size = sink
                .file
                .metadata()
                .map(|m| m.len() == size)
                .unwrap_or(false);
            let resumed = same_size
                .then(|| Journal::resume(&journal_path, key, opts.layout.count()))
                .flatten();
            match resumed {
                Some((journal, durable)) => {
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
                j.revoke(index, self.fsync)?;
            }
        }
        Ok(())
    }

    fn note_written(&mut self, index: u64, digest: Digest, len: u64) -> Result<()> {
        if self.journal.is_some() {
            self.pending.push((index, digest));
        }
        self.unsynced += len;
        if self.unsynced >= SYNC_BATCH {
            self.flush()?;
        }
        Ok(())
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
        self.note_written(chunk.index, chunk.digest, chunk.data.len() as u64)
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
        // A hole costs no write but still needs the size made durable.
        self.note_written(chunk.index, chunk.digest, 0)
    }

    fn flush(&mut self) -> Result<()> {
        if self.fsync {
            self.file
                .sync_data()
                .map_err(|e| Error::io("fdatasync partial replica", &self.partial, e))?;
        }
        if let Some(j) = self.journal.as_mut() {
            j.append(&self.pending)?;
        }
        self.pending.clear();
        self.unsynced = 0;
        Ok(())
    }

    fn commit(mut self: Box<Self>, manifest: &Manifest) -> Result<String> {
        self.flush()?;
        let manifest_path = manifest_path_for(&self.path);
        manifest.save(&manifest_path)?;
        let renamed = if self.overwrite {
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
