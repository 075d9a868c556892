//! What every object-store backend shares (S3 and Azure Blob today),
//! through the `object_store` crate.  A service folder (`crate::s3`,
//! `crate::azure`) implements `service::ObjectService` (URL scheme, bucket
//! rules, client builder, part limits, server-copy limit) and registers
//! its `ObjectBackend`; everything here works for any of them.
//!
//! - `service`: the `ObjectService` trait and its registry entry.
//! - `url`: `scheme://bucket/key`, never with credentials.
//! - `options`: `key=value` settings over the service's environment
//!   variables, secrets redacted from reprs and errors.
//! - `bucket`: a connected bucket and its small operations.
//! - `registry`: store options registered by URL prefix (regions).
//! - `location`: an object address with its options; `object`: the same
//!   as the engine's `Store` (source, sink, manifest, repair, server copy).
//! - `sink`: a replica written as a multipart upload, visible only on commit.
//! - `source`: ranged, parallel reads of a replica or source image.
//! - `repair`: a damaged replica rewritten as a whole new object.
//! - `client`, `http`, `retry`, `budget`, `parts`, `error`: building
//!   clients, the HTTP connector, request policy, upload limits, errors.
pub(crate) mod bucket;
mod budget;
pub(crate) mod client;
mod error;
pub(crate) mod http;
pub mod location;
mod object;
pub mod options;
pub mod parts;
pub mod registry;
mod repair;
pub mod retry;
pub mod service;
mod sink;
mod source;
pub mod url;

#[cfg(test)]
mod test_store;
#[cfg(all(test, feature = "s3"))]
mod tests_fanout;
#[cfg(all(test, feature = "s3"))]
mod tests_memory;

pub use bucket::Bucket;
pub use location::{RemoteLocation, StoreConfig};
pub use options::StoreOptions;
pub use service::{ObjectBackend, ObjectService, Service};
pub use url::StoreUrl;
