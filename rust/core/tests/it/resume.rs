//! Resume after a hard kill: a child process copies with a bandwidth cap
//! and aborts itself (no destructors run, as with SIGKILL) once enough is
//! durable; the re-run continues from the journal.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use crate::common::*;
use imgrepl_core::fanout::{CopyJob, CopyOptions};

const MIB: u64 = 1024 * 1024;
const SIZE: u64 = 160 * MIB;
const CHILD: &str = "IMGREPL_TEST_RESUME_CHILD";

fn opts(chunk_size: u64) -> CopyOptions {
    CopyOptions {
        chunk_size,
        ..CopyOptions::default()
    }
}

/// In the child: copy slowly and abort once 96 MiB are done (the journal
/// names every chunk written by then).
fn child(spec: &str) -> ! {
    let (src, dst) = spec.split_once('|').unwrap();
    let o = CopyOptions {
        bwlimit: Some(64 * MIB),
        ..opts(MIB)
    };
    let job = CopyJob::start(src, &[dst.to_string()], &o).unwrap();
    while job.progress().dests[0].bytes_done.load(Relaxed) < 96 * MIB {
        assert!(!job.progress().is_finished(), "copy ended before the kill");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::process::abort();
}

fn killed_copy(src: &Path, dst: &Path) {
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "resume::resume_continues_after_a_hard_kill",
            "--nocapture",
        ])
        .env(CHILD, format!("{}|{}", s(src), s(dst)))
        .status()
        .unwrap();
    assert!(!status.success(), "the child must die mid-copy");
}

fn setup(tag: &str) -> (TempDir, PathBuf, PathBuf, Vec<u8>) {
    let dir = TempDir::new(tag);
    let mut data = noise(11, SIZE as usize);
    data[(100 * MIB) as usize..(110 * MIB) as usize].fill(0);
    let src = dir.join("src.raw");
    write_file(&src, &data);
    let dst = dir.join("out").join("img.raw");
    fs::create_dir(dst.parent().unwrap()).unwrap();
    (dir, src, dst, data)
}

#[test]
fn resume_continues_after_a_hard_kill() {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
    }
    let (_dir, src, dst, data) = setup("r");
    killed_copy(&src, &dst);
    let out = dst.parent().unwrap();
    assert_eq!(
        listing(out),
        [".img.raw.imgrepl-journal", ".img.raw.imgrepl-partial"]
    );
    let report = copy(&src, std::slice::from_ref(&dst), &opts(MIB)).unwrap();
    let d = &report.destinations[0];
    assert!(d.ok, "{d:?}");
    assert!(d.resumed_bytes >= 64 * MIB, "resumed {}", d.resumed_bytes);
    assert_eq!(
        d.resumed_bytes + d.bytes_written + d.zero_bytes_skipped,
        SIZE
    );
    assert_eq!(
        report.bytes_read, SIZE,
        "the source is still read once, whole"
    );
    assert_eq!(fs::read(&dst).unwrap(), data);
    assert_eq!(listing(out), ["img.raw", "img.raw.imgrepl-manifest"]);
}

#[test]
fn a_journal_for_another_chunk_size_is_discarded() {
    if std::env::var(CHILD).is_ok() {
        return;
    }
    let (_dir, src, dst, data) = setup("k");
    killed_copy(&src, &dst);
    let report = copy(&src, std::slice::from_ref(&dst), &opts(2 * MIB)).unwrap();
    assert_eq!(report.destinations[0].resumed_bytes, 0);
    assert_eq!(fs::read(&dst).unwrap(), data);
}

#[test]
fn a_changed_source_is_rewritten_not_trusted() {
    if std::env::var(CHILD).is_ok() {
        return;
    }
    let (_dir, src, dst, mut data) = setup("s");
    killed_copy(&src, &dst);
    // Same size, new bytes in the first (journaled) chunks.
    data[..(8 * MIB) as usize].copy_from_slice(&noise(99, (8 * MIB) as usize));
    write_file(&src, &data);
    let report = copy(&src, std::slice::from_ref(&dst), &opts(MIB)).unwrap();
    let d = &report.destinations[0];
    assert!(
        d.resumed_bytes >= 56 * MIB && d.resumed_bytes <= SIZE - 8 * MIB,
        "{d:?}"
    );
    assert_eq!(fs::read(&dst).unwrap(), data);
}

#[test]
fn a_journaled_chunk_whose_bytes_differ_is_rewritten() {
    if std::env::var(CHILD).is_ok() {
        return;
    }
    let (_dir, src, dst, data) = setup("c");
    killed_copy(&src, &dst);
    // As if a crash lost (or something changed) a chunk the journal names:
    // the journal is a hint, the partial's bytes decide.
    let partial = dst.parent().unwrap().join(".img.raw.imgrepl-partial");
    let mut bytes = fs::read(&partial).unwrap();
    bytes[(3 * MIB) as usize..(3 * MIB + 4096) as usize].fill(0x5a);
    fs::write(&partial, &bytes).unwrap();
    let report = copy(&src, std::slice::from_ref(&dst), &opts(MIB)).unwrap();
    let d = &report.destinations[0];
    assert!(d.ok, "{d:?}");
    assert!(d.resumed_bytes >= 63 * MIB, "resumed {}", d.resumed_bytes);
    assert!(
        d.resumed_bytes <= SIZE - 11 * MIB,
        "resumed {}",
        d.resumed_bytes
    );
    assert_eq!(fs::read(&dst).unwrap(), data);
}
