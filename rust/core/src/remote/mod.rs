//! Region stores on object storage: S3 (and S3-compatible services) and
//! Azure Blob, through the `object_store` crate.
//!
//! - `url`: `s3://bucket/key` and `az://container/key`, never with credentials.
//! - `options`: `key=value` settings over AWS_*/AZURE_* environment variables,
//!   secrets redacted from reprs and errors.
//! - `store`: a connected bucket and its small operations.
//! - `sink`: a replica written as a multipart upload, visible only on commit.
//! - `source`: ranged, parallel reads of a replica or source image.
//! - `retry`, `error`, `runtime`: request policy, error mapping, the runtime.
mod azure;
mod error;
pub mod options;
pub mod parts;
pub mod retry;
pub mod runtime;
mod s3;
pub mod store;
pub mod url;

pub use options::StoreOptions;
pub use store::Store;
pub use url::{Backend, StoreUrl};
