//! The engine's one error type.  Every message names the operation, the
//! path or URL, and the cause.
use std::io;
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O call failed; `op` names what we were doing, `path` where.
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Bad argument from the caller (chunk size, destination list, ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A disk image that is not what it claims (bad VHD footer, BAT, ...).
    /// `field` names the structure member that is wrong.
    #[error("invalid image {path}: {field}: {reason}")]
    InvalidImage {
        path: PathBuf,
        field: &'static str,
        reason: String,
    },
    /// A manifest that cannot be read or does not fit its replica.
    #[error("manifest {path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    /// A replica whose bytes differ from its manifest.
    #[error("verify {path}: {reason}")]
    Verify { path: PathBuf, reason: String },
    /// A remote store refused or failed (URL never carries credentials).
    #[error("{op} {url} ({backend}): {reason}")]
    Store {
        op: &'static str,
        url: String,
        backend: &'static str,
        reason: String,
    },
    /// The job was cancelled by its caller.
    #[error("cancelled")]
    Cancelled,
}

impl Error {
    /// Wraps an io::Error with the operation and path it happened on.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }
}
