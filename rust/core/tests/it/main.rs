//! The engine's integration tests, as one binary: each test binary links
//! the whole engine and its dependencies with LTO, so one link instead of
//! four takes minutes off every CI run.
mod common;
mod fanout;
mod fuzz_manifest;
mod resume;
mod verify;
