//! The local backend: plain paths and `file://` URLs.
//!
//! - `path`: address parsing (absolute, lexically normalised).
//! - `source`: pread, with holes skipped.
//! - `sink`: `.NAME.imgrepl-partial`, journal, fsync, atomic rename.
//! - `shared`: base chunks shared by reflink, checked at the end.
//! - `repair`: damaged chunks rewritten in place.
//!
//! `stat` reports regular files only: a missing path is None, and anything
//! else at the name (a directory, a device, a socket) is an error saying
//! what it is, never taken for a replica or for "nothing here".
use std::any::Any;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::future::BoxFuture;

use crate::error::{Error, Result};
use crate::location::Location;
use crate::manifest::{manifest_path_for, Manifest};
use crate::repair::RepairReport;
use crate::sink::{Sink, SinkOptions};
use crate::source::Source;
use crate::store::{Backend, Capabilities, Store};

mod path;
mod repair;
mod shared;
mod sink;
mod source;

pub use sink::{journal_path_for, partial_path_for, LocalSink};
pub use source::LocalSource;

/// The registered local backend.
pub static BACKEND: Local = Local;

pub struct Local;

impl Backend for Local {
    fn name(&self) -> &'static str {
        "local"
    }

    fn schemes(&self) -> &'static [&'static str] {
        &["file"]
    }

    fn shown(&self) -> &'static str {
        "file:///"
    }

    fn takes_plain_paths(&self) -> bool {
        true
    }

    fn parse(&self, text: &str) -> Result<Location> {
        Ok(Location::new(LocalFile::new(path::parse(text)?)))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A local file, always absolute and lexically normalised.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LocalFile {
    path: PathBuf,
}

impl LocalFile {
    pub fn new(path: PathBuf) -> LocalFile {
        LocalFile { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The size of the regular file here; None if nothing is here.
    fn stat_now(&self) -> Result<Option<u64>> {
        let meta = match fs::metadata(&self.path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("stat", &self.path, e)),
        };
        if meta.is_file() {
            return Ok(Some(meta.len()));
        }
        let e = if meta.is_dir() {
            io::Error::new(io::ErrorKind::IsADirectory, "is a directory, not a replica")
        } else {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "is not a regular file, not a replica",
            )
        };
        Err(Error::io("stat", &self.path, e))
    }

    /// A FIFO or a device here is refused at once, never read from.
    fn read_now(&self) -> Result<Option<Bytes>> {
        match crate::fsutil::read_regular(&self.path, "read") {
            Ok(bytes) => Ok(Some(Bytes::from(bytes))),
            Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn delete_now(&self) -> Result<()> {
        match fs::remove_file(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(Error::io("delete", &self.path, e))
            }
            _ => Ok(()),
        }
    }

    /// Regular files below this directory, recursively, sorted.
    fn list_now(&self) -> Result<Vec<(String, u64)>> {
        let mut out = Vec::new();
        let mut dirs = vec![self.path.clone()];
        while let Some(dir) = dirs.pop() {
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == io::ErrorKind::NotFound && dir == self.path => continue,
                Err(e) if e.kind() == io::ErrorKind::NotADirectory && dir == self.path => continue,
                Err(e) => return Err(Error::io("list", &dir, e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| Error::io("list", &dir, e))?;
                let kind = entry.file_type().map_err(|e| Error::io("list", &dir, e))?;
                if kind.is_dir() {
                    dirs.push(entry.path());
                } else if kind.is_file() {
                    let meta = entry
                        .metadata()
                        .map_err(|e| Error::io("stat", entry.path(), e))?;
                    out.push((entry.path().display().to_string(), meta.len()));
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

impl fmt::Display for LocalFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())
    }
}

impl Store for LocalFile {
    fn backend(&self) -> &'static str {
        "local"
    }

    fn key(&self) -> String {
        format!("local {}", self.path.display())
    }

    fn identity(&self) -> Location {
        Location::new(LocalFile::new(path::resolved(&self.path)))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            server_copy: false,
            ranged_read: true,
            multipart: false,
            keeps_holes: true,
            resume: true,
            repair_in_place: true,
        }
    }

    fn local_path(&self) -> Option<&Path> {
        Some(&self.path)
    }

    fn open_source(&self, at: &Location) -> Result<Box<dyn Source>> {
        Ok(Box::new(LocalSource::open(self.path.clone(), at.clone())?))
    }

    fn open_sink(&self, at: &Location, opts: &SinkOptions) -> Result<Box<dyn Sink>> {
        Ok(Box::new(LocalSink::open(
            self.path.clone(),
            at.clone(),
            opts,
        )?))
    }

    fn stat(&self) -> BoxFuture<'_, Result<Option<u64>>> {
        Box::pin(async move { self.stat_now() })
    }

    fn delete(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { self.delete_now() })
    }

    fn read_all(&self) -> BoxFuture<'_, Result<Option<Bytes>>> {
        Box::pin(async move { self.read_now() })
    }

    /// Temp sibling, fsync, rename, directory fsync.
    fn write_all(&self, data: Bytes) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { crate::fsutil::write_atomic(&self.path, &data) })
    }

    fn manifest_location(&self) -> Result<Location> {
        Ok(Location::new(LocalFile::new(manifest_path_for(&self.path))))
    }

    /// A directory in the way is left to the sink so it fails only its own
    /// destination.  Overwrite replaces a regular file only, never a
    /// device, a FIFO, a socket or a symlink.
    fn check_not_existing(&self, overwrite: bool) -> Result<()> {
        match self.path.symlink_metadata() {
            Ok(meta) if meta.is_dir() => Ok(()),
            Ok(meta) if !meta.is_file() => Err(Error::io(
                "replace",
                &self.path,
                crate::fsutil::not_regular(meta.file_type()),
            )),
            Ok(_) if !overwrite => {
                let e = io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "already exists and overwrite is off",
                );
                Err(Error::io("create replica", &self.path, e))
            }
            _ => Ok(()),
        }
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<(String, u64)>>> {
        Box::pin(async move { self.list_now() })
    }

    fn repair(
        &self,
        at: &Location,
        good: &dyn Source,
        m: &Manifest,
        manifest_path: PathBuf,
    ) -> Result<RepairReport> {
        repair::repair(at, &self.path, good, m, &manifest_path)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
