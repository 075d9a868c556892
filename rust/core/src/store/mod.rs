//! The backend seam: what the engine asks of any place a source or replica
//! lives (a local file, an object in S3 or Azure Blob, ...).
//!
//! - `Backend`: one per kind of store, registered by URL scheme in
//!   `registry` (the one table to edit when adding a backend); it parses
//!   addresses into `Location`s.
//! - `Store`: one address on its backend.  Required: open a source, open a
//!   sink (written under a temporary name, committed atomically), stat,
//!   delete, read and write a whole small object, where the manifest goes;
//!   default methods for the rest.  Optional abilities are `Capabilities`
//!   the engine asks for (server-side copy, in-place repair, ...), never a
//!   match on the backend.
//!
//! The engine (pipeline, fan-out, verify, repair, manifests) sees only
//! these traits; `conformance` is the test suite every backend passes.
use std::any::Any;
use std::fmt;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::future::BoxFuture;

use crate::error::{Error, Result};
use crate::location::Location;
use crate::manifest::Manifest;
use crate::repair::RepairReport;
use crate::sink::{Sink, SinkOptions};
use crate::source::Source;

pub mod registry;

#[cfg(test)]
mod conformance;

pub use crate::manifest::MANIFEST_SUFFIX;

/// Optional abilities of a backend, asked for by the engine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // independent flags, one per ability
pub struct Capabilities {
    /// `copy_from` copies a committed replica inside the service, without
    /// streaming it through this machine (when `can_copy_from` agrees).
    pub server_copy: bool,
    /// `Source::read_at` at any offset is one cheap request (a positional
    /// read, a ranged GET), so a replica can be re-read chunk by chunk.
    pub ranged_read: bool,
    /// The sink uploads in parts and keeps chunks after `write_chunk`
    /// (`Sink::kept_chunks` > 0).
    pub multipart: bool,
    /// All-zero chunks are left as holes: nothing is written for them.
    pub keeps_holes: bool,
    /// An interrupted replica resumes from what it made durable
    /// (`SinkOptions::resume`).
    pub resume: bool,
    /// `repair` rewrites only the damaged chunks in place; otherwise it
    /// writes a whole new object that replaces the old one atomically.
    pub repair_in_place: bool,
}

/// One kind of store, registered by scheme in `registry`.
pub trait Backend: Send + Sync + 'static {
    /// The name used in messages and reports: "local", "s3", "azure".
    fn name(&self) -> &'static str;
    /// URL schemes this backend answers to ("s3"; "az" and "azure").
    fn schemes(&self) -> &'static [&'static str];
    /// How the supported-schemes message shows it: "s3://".
    fn shown(&self) -> &'static str;
    /// True for the backend that takes addresses without a scheme.
    fn takes_plain_paths(&self) -> bool {
        false
    }
    /// Parses an address: a URL with one of `schemes`, or a plain path
    /// when `takes_plain_paths`.
    fn parse(&self, text: &str) -> Result<Location>;
    /// For a backend's own code to find its static data in the registry.
    fn as_any(&self) -> &dyn Any;
}

/// One address on its backend: what a `Location` holds.
///
/// Sources and sinks are used from the engine's plain threads; the small
/// operations are futures (awaited on the store runtime, or run with
/// `crate::runtime::block_on` from sync code).
pub trait Store: Send + Sync + fmt::Display + fmt::Debug + 'static {
    /// The backend's name in messages: "local", "s3", "azure".
    fn backend(&self) -> &'static str;

    /// What makes two addresses equal (also what a `Location` hashes).
    fn key(&self) -> String;

    /// What names the object, for "is this the same image": symlinked
    /// directories resolved, credentials dropped.
    fn identity(&self) -> Location;

    fn capabilities(&self) -> Capabilities;

    /// The local path, for backends whose objects are files.
    fn local_path(&self) -> Option<&Path> {
        None
    }

    /// Opens the image or replica here for reading; `at` is this address.
    fn open_source(&self, at: &Location) -> Result<Box<dyn Source>>;

    /// Opens a replica for writing: nothing appears at this address until
    /// `Sink::commit`; dropping the sink uncommitted leaves nothing behind.
    fn open_sink(&self, at: &Location, opts: &SinkOptions) -> Result<Box<dyn Sink>>;

    /// Size of the replica here, None if there is none.  Something that is
    /// not a replica (a directory, a device) is an error, not None.
    fn stat(&self) -> BoxFuture<'_, Result<Option<u64>>>;

    /// Removes what is here; nothing here already is fine.
    fn delete(&self) -> BoxFuture<'_, Result<()>>;

    /// The whole (small) object here, None if there is none.
    fn read_all(&self) -> BoxFuture<'_, Result<Option<Bytes>>>;

    /// Replaces the object here with `data`, atomically (all or nothing).
    fn write_all(&self, data: Bytes) -> BoxFuture<'_, Result<()>>;

    /// Where the manifest of a replica here lives: this address plus
    /// `MANIFEST_SUFFIX`.
    fn manifest_location(&self) -> Result<Location>;

    /// Refuses, before anything is written, an existing replica when
    /// `overwrite` is off.
    fn check_not_existing(&self, overwrite: bool) -> Result<()> {
        if overwrite {
            return Ok(());
        }
        match crate::runtime::block_on(self.stat()) {
            Ok(Some(_)) => Err(already_exists(&self.to_string())),
            _ => Ok(()),
        }
    }

    /// The manifest bytes beside a replica here, None if there are none.
    fn read_manifest(&self) -> BoxFuture<'_, Result<Option<Bytes>>> {
        Box::pin(async move { self.manifest_location()?.store().read_all().await })
    }

    /// Writes the manifest bytes beside a replica here, atomically.
    fn write_manifest(&self, data: Bytes) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { self.manifest_location()?.store().write_all(data).await })
    }

    /// `(address, size)` of every replica below this prefix, recursively.
    fn list(&self) -> BoxFuture<'_, Result<Vec<(String, u64)>>> {
        let err = unsupported("list", self);
        Box::pin(async move { Err(err) })
    }

    /// Rewrites the damaged chunks of the replica here from `good` (which
    /// already matches `m`), then verifies it again.
    fn repair(
        &self,
        at: &Location,
        good: &dyn Source,
        m: &Manifest,
        manifest_path: PathBuf,
    ) -> Result<RepairReport> {
        let _ = (at, good, m, manifest_path);
        Err(unsupported("repair", self))
    }

    /// Whether `copy_from(from)` can copy `size` bytes here inside the
    /// service (same service and account, within its size limit).
    fn can_copy_from(&self, from: &Location, size: u64) -> bool {
        let _ = (from, size);
        false
    }

    /// Server-side copy of the committed replica at `from` to here, with
    /// `manifest` beside it: manifest first, then the object atomically;
    /// the manifest goes again if the copy fails.  Returns where the
    /// manifest went.
    fn copy_from<'a>(
        &'a self,
        from: &'a Location,
        manifest: Bytes,
    ) -> BoxFuture<'a, Result<String>> {
        let _ = (from, manifest);
        let err = unsupported("server-side copy", self);
        Box::pin(async move { Err(err) })
    }

    /// For a backend's own code: the concrete type behind a `Location`.
    fn as_any(&self) -> &dyn Any;
}

/// `op` is not something `store`'s backend can do.
pub fn unsupported(op: &'static str, store: &(impl Store + ?Sized)) -> Error {
    Error::Store {
        op,
        url: store.to_string(),
        backend: store.backend(),
        reason: format!("not supported by the {} backend", store.backend()),
    }
}

/// The engine's "replica exists" error, the same for every backend so it
/// surfaces as FileExistsError.
pub fn already_exists(address: &str) -> Error {
    let e = std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        "already exists (pass overwrite to replace it)",
    );
    Error::io("create replica", address, e)
}
