//! Region stores on object storage: S3 (and S3-compatible services) and
//! Azure Blob, through the `object_store` crate.
//!
//! - `url`: `s3://bucket/key` and `az://container/key`, never with credentials.
//! - `options`: `key=value` settings over AWS_*/AZURE_* environment variables,
//!   secrets redacted from reprs and errors.
//! - `store`: a connected bucket and its small operations.
//! - `registry`: store options registered by URL prefix (regions).
//! - `sink`: a replica written as a multipart upload, visible only on commit.
//! - `source`: ranged, parallel reads of a replica or source image.
//! - `repair`: a damaged replica rewritten as a whole new object.
//! - `server_copy`: intra-region replicas copied inside the service.
//! - `engine`: the hooks the engine's location dispatch calls.
//! - `retry`, `error`, `runtime`: request policy, error mapping, the runtime.
mod azure;
mod budget;
mod client;
mod engine;
mod error;
mod http;
pub mod location;
mod manifest;
pub mod options;
pub mod parts;
pub mod registry;
mod repair;
pub mod retry;
pub mod runtime;
mod s3;
pub mod server_copy;
mod sink;
mod source;
pub mod store;
pub mod url;

#[cfg(test)]
mod test_store;
#[cfg(test)]
mod tests_fanout;
#[cfg(test)]
mod tests_memory;

pub use options::StoreOptions;
pub use store::Store;
pub use url::{Backend, StoreUrl};

/// A remote replica's manifest is stored at its key plus this suffix.
pub const MANIFEST_SUFFIX: &str = ".imgrepl-manifest";

pub use engine::{check_not_existing, find_manifest, load_manifest_at, open_sink, open_source};
pub use location::{RemoteLocation, StoreConfig};
pub use repair::repair_object;
