//! imgrepl-core: the replication engine, pure Rust (no Python).
//!
//! The engine (`fanout`, `pipeline`, `reader`, `writer`, `server_copy`,
//! `verify`, `repair`, `manifest`) reaches stores only through the backend
//! seam in `store` (traits, capabilities, the scheme registry) and
//! `location`.  Backends: `local` (always), `s3` and `azure` (features),
//! the last two sharing the object-store code in `remote`.
#![deny(unsafe_code)]

// Offsets and sizes are u64 and are cast to usize for buffers (the clippy
// table in Cargo.toml allows those casts on this promise).
#[cfg(not(target_pointer_width = "64"))]
compile_error!("imgrepl-core needs a 64-bit target: it casts u64 offsets to usize");

#[cfg(feature = "azure")]
pub mod azure;
pub mod base;
pub mod buffers;
pub mod chunk;
pub mod error;
pub mod fanout;
pub mod fsutil;
pub mod hash;
pub mod image;
pub mod journal;
pub mod local;
pub mod location;
pub mod manifest;
pub mod pagebuf;
mod pipeline;
pub mod pool;
pub mod priority;
pub mod progress;
mod reader;
#[cfg(feature = "object")]
pub mod remote;
pub mod repair;
pub mod report;
pub mod runtime;
#[cfg(feature = "s3")]
pub mod s3;
pub mod scan;
mod server_copy;
pub mod sink;
pub mod source;
pub mod store;
mod sys;
pub mod throttle;
pub mod verify;
pub mod vhd;
mod writer;

pub use error::{Error, Result};
