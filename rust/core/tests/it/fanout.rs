//! Fan-out copies on real files: bytes, manifests, holes, failures.

use std::fs;
use std::io::ErrorKind;
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;

use crate::common::*;
use imgrepl_core::fanout::{CopyJob, CopyOptions};
use imgrepl_core::manifest::{manifest_path_for, Manifest};
use imgrepl_core::verify::ManifestArg::At;
use imgrepl_core::Error;
use xxhash_rust::xxh3::xxh3_128;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

fn opts(chunk_size: u64) -> CopyOptions {
    CopyOptions {
        chunk_size,
        ..CopyOptions::default()
    }
}

/// 5 MiB + 123 bytes of noise with 1 MiB of written zeros in the middle.
fn sample(dir: &TempDir) -> (PathBuf, Vec<u8>) {
    let mut data = noise(7, (5 * MIB + 123) as usize);
    data[(2 * MIB) as usize..(3 * MIB) as usize].fill(0);
    let src = dir.join("src.raw");
    write_file(&src, &data);
    (src, data)
}

#[test]
fn copies_are_byte_identical_for_1_to_64_destinations() {
    for n in [1usize, 4, 64] {
        let dir = TempDir::new("n");
        let (src, data) = sample(&dir);
        let dsts: Vec<PathBuf> = dir.subdirs(n).iter().map(|d| d.join("img.raw")).collect();
        let report = copy(&src, &dsts, &opts(256 * KIB)).unwrap();
        assert!(report.ok(), "{report:?}");
        assert_eq!(report.bytes_read, data.len() as u64);
        assert_eq!(report.zero_bytes, MIB);
        for (d, r) in dsts.iter().zip(&report.destinations) {
            assert_eq!(fs::read(d).unwrap(), data, "{}", d.display());
            assert_eq!(r.bytes_written, data.len() as u64 - MIB);
            assert_eq!(r.zero_bytes_skipped, MIB);
            let parent = d.parent().unwrap();
            assert_eq!(listing(parent), ["img.raw", "img.raw.imgrepl-manifest"]);
            assert_eq!(r.manifest_path, s(&manifest_path_for(d)));
        }
    }
}

#[test]
fn manifest_digests_are_xxh3_128_of_each_chunk() {
    let dir = TempDir::new("m");
    let (src, data) = sample(&dir);
    let dst = dir.join("copy.raw");
    let report = copy(&src, std::slice::from_ref(&dst), &opts(512 * KIB)).unwrap();
    let m = Manifest::load(&manifest_path_for(&dst)).unwrap();
    assert_eq!(m.chunk_count(), 11);
    for (i, chunk) in data.chunks(512 * KIB as usize).enumerate() {
        assert_eq!(m.digests[i], xxh3_128(chunk).to_be_bytes(), "chunk {i}");
        assert_eq!(m.zero[i], chunk.iter().all(|&b| b == 0), "chunk {i}");
    }
    assert_eq!(report.digest, Some(m.image_digest));
    assert_eq!(m.zero.iter().filter(|&&z| z).count(), 2);
}

#[test]
fn zero_chunks_are_left_as_holes() {
    let dir = TempDir::new("z");
    // Written zeros (not a sparse source) with data only in the first
    // chunk; the last chunk is zero too, so the size must come from set_len.
    let mut data = vec![0u8; (8 * MIB) as usize];
    data[..MIB as usize].copy_from_slice(&noise(1, MIB as usize));
    let src = dir.join("src.raw");
    write_file(&src, &data);
    assert!(allocated(&src) >= 8 * MIB);
    let dst = dir.join("dst.raw");
    let report = copy(&src, std::slice::from_ref(&dst), &opts(MIB)).unwrap();
    assert_eq!(fs::read(&dst).unwrap(), data);
    assert_eq!(report.destinations[0].zero_bytes_skipped, 7 * MIB);
    assert!(allocated(&dst) < 2 * MIB, "allocated {}", allocated(&dst));
}

#[test]
fn source_holes_are_not_read() {
    let dir = TempDir::new("h");
    let src = dir.join("sparse.raw");
    let (a, b) = (noise(2, 4096), noise(3, 4096));
    sparse_file(&src, 1 << 30, &[(5 * MIB, &a), ((1 << 30) - 4096, &b)]);
    let dst = dir.join("dst.raw");
    let report = copy(&src, std::slice::from_ref(&dst), &opts(4 * MIB)).unwrap();
    assert!(
        report.bytes_read <= 2 * 64 * KIB,
        "read {}",
        report.bytes_read
    );
    assert_eq!(report.holes_skipped + report.bytes_read, 1 << 30);
    assert_eq!(fs::metadata(&dst).unwrap().len(), 1 << 30);
    // Two data chunks are written whole; the rest of the GiB stays a hole.
    assert!(
        allocated(&dst) <= 8 * MIB + 64 * KIB,
        "allocated {}",
        allocated(&dst)
    );
    let v = imgrepl_core::verify::verify(&s(&dst), At(&s(&manifest_path_for(&dst))), None).unwrap();
    assert!(v.ok, "{v:?}");
    let copied = fs::read(&dst).unwrap();
    assert_eq!(&copied[5 * MIB as usize..5 * MIB as usize + 4096], &a[..]);
    assert_eq!(&copied[(1 << 30) - 4096..], &b[..]);
}

#[test]
fn a_failing_destination_does_not_stop_the_others() {
    let dir = TempDir::new("f");
    let (src, data) = sample(&dir);
    let blocker = dir.join("not-a-dir");
    write_file(&blocker, b"x");
    let is_dir = dir.join("is-a-dir");
    fs::create_dir(&is_dir).unwrap();
    let good: Vec<PathBuf> = dir.subdirs(2).iter().map(|d| d.join("ok.raw")).collect();
    let bad_parent = blocker.join("img.raw");
    let dsts = vec![
        good[0].clone(),
        bad_parent.clone(),
        is_dir.clone(),
        good[1].clone(),
    ];
    let report = copy(&src, &dsts, &opts(MIB)).unwrap();
    assert!(!report.ok());
    let oks: Vec<bool> = report.destinations.iter().map(|d| d.ok).collect();
    assert_eq!(oks, [true, false, false, true]);
    let err1 = report.destinations[1].error.as_deref().unwrap();
    assert!(err1.contains("not-a-dir"), "{err1}");
    let err2 = report.destinations[2].error.as_deref().unwrap();
    assert!(
        err2.contains("is-a-dir") && err2.contains("directory"),
        "{err2}"
    );
    for g in &good {
        assert_eq!(fs::read(g).unwrap(), data);
    }
    assert!(is_dir.read_dir().unwrap().next().is_none());
    assert_eq!(
        listing(&dir.0),
        ["d0", "d1", "is-a-dir", "not-a-dir", "src.raw"]
    );
}

#[test]
fn cancel_leaves_no_replica_and_no_temporaries() {
    let dir = TempDir::new("c");
    let src = dir.join("src.raw");
    write_file(&src, &noise(9, (64 * MIB) as usize));
    let dirs = dir.subdirs(3);
    let dsts: Vec<String> = dirs.iter().map(|d| s(&d.join("img.raw"))).collect();
    let o = CopyOptions {
        chunk_size: MIB,
        bwlimit: Some(16 * MIB),
        ..CopyOptions::default()
    };
    let job = CopyJob::start(&s(&src), &dsts, &o).unwrap();
    let progress = job.progress().clone();
    while progress.dests[0].bytes_done.load(Relaxed) < 4 * MIB {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // Mid-copy, the partial exists under its temporary name.
    assert!(listing(&dirs[0]).contains(&".img.raw.imgrepl-partial".to_string()));
    job.cancel_handle().cancel();
    assert!(matches!(job.wait(), Err(Error::Cancelled)));
    assert!(progress.is_finished());
    for d in &dirs {
        assert!(listing(d).is_empty(), "{:?}", listing(d));
    }
}

#[test]
fn bad_arguments_are_refused_and_change_nothing() {
    let dir = TempDir::new("a");
    let (src, _) = sample(&dir);
    let dst = dir.join("out.raw");
    let msg =
        |r: imgrepl_core::Result<_>| r.map(|_: imgrepl_core::report::CopyReport| ()).unwrap_err();

    let e = msg(copy(&src, std::slice::from_ref(&dst), &opts(1000)));
    assert!(
        matches!(&e, Error::InvalidArgument(m) if m.contains("1000")),
        "{e}"
    );
    let e = msg(copy(&src, &[], &opts(MIB)));
    assert!(e.to_string().contains("no destinations"), "{e}");
    let twice = dir.join("sub/../out.raw");
    fs::create_dir(dir.join("sub")).unwrap();
    let e = msg(copy(&src, &[dst.clone(), twice], &opts(MIB)));
    assert!(e.to_string().contains("twice"), "{e}");
    let e = msg(copy(&src, std::slice::from_ref(&src), &opts(MIB)));
    assert!(e.to_string().contains("is the source"), "{e}");
    let missing = dir.join("missing.raw");
    let e = msg(copy(&missing, std::slice::from_ref(&dst), &opts(MIB)));
    assert!(matches!(&e, Error::Io { source, .. } if source.kind() == ErrorKind::NotFound));
    assert!(e.to_string().contains("missing.raw"), "{e}");

    let existing = dir.join("existing.raw");
    write_file(&existing, b"keep me");
    let e = msg(copy(&src, &[dst.clone(), existing.clone()], &opts(MIB)));
    assert!(matches!(&e, Error::Io { source, .. } if source.kind() == ErrorKind::AlreadyExists));
    assert!(e.to_string().contains("existing.raw"), "{e}");
    assert_eq!(fs::read(&existing).unwrap(), b"keep me");
    assert_eq!(listing(&dir.0), ["existing.raw", "src.raw", "sub"]);
}

#[test]
fn overwrite_replaces_an_existing_replica() {
    let dir = TempDir::new("o");
    let (src, data) = sample(&dir);
    let dst = dir.join("dst.raw");
    write_file(&dst, b"old contents");
    let o = CopyOptions {
        overwrite: true,
        ..opts(MIB)
    };
    assert!(copy(&src, std::slice::from_ref(&dst), &o).unwrap().ok());
    assert_eq!(fs::read(&dst).unwrap(), data);
}

#[test]
fn an_empty_source_copies_to_an_empty_replica() {
    let dir = TempDir::new("e");
    let src = dir.join("empty.raw");
    write_file(&src, b"");
    let dst = dir.join("dst.raw");
    let report = copy(&src, std::slice::from_ref(&dst), &opts(MIB)).unwrap();
    assert!(report.ok());
    assert_eq!(fs::metadata(&dst).unwrap().len(), 0);
    assert_eq!(
        Manifest::load(&manifest_path_for(&dst))
            .unwrap()
            .chunk_count(),
        0
    );
}

#[test]
fn progress_reaches_the_end_and_is_finished() {
    let dir = TempDir::new("p");
    let (src, data) = sample(&dir);
    let dsts: Vec<String> = dir.subdirs(2).iter().map(|d| s(&d.join("x"))).collect();
    let job = CopyJob::start(&s(&src), &dsts, &opts(256 * KIB)).unwrap();
    let progress = job.progress().clone();
    job.wait().unwrap();
    let snap = progress.snapshot();
    assert!(snap.finished);
    assert_eq!(snap.bytes_done, vec![data.len() as u64; 2]);
    assert_eq!(snap.chunks_done, snap.chunks_total);
    assert_eq!(snap.done, vec![true, true]);
}
