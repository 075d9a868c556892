//! imgrepl-core: the replication engine, pure Rust (no Python).
#![deny(unsafe_code)]

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
mod pipeline;
pub mod pool;
pub mod progress;
mod reader;
pub mod remote;
pub mod repair;
pub mod report;
pub mod scan;
pub mod sink;
pub mod source;
mod sys;
pub mod throttle;
pub mod verify;
pub mod vhd;
mod writer;

pub use error::{Error, Result};
