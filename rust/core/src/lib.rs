//! imgrepl-core: the replication engine, pure Rust (no Python).
#![deny(unsafe_code)]

pub mod error;
pub mod image;
pub mod remote;
pub mod vhd;

pub use error::{Error, Result};
