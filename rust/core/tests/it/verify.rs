//! Verify and repair against manifests, on real files.
// chunk indices a..e read best as the letters the tests draw them with
#![allow(clippy::many_single_char_names)]

use std::fs::{self, OpenOptions};
use std::os::unix::fs::FileExt;

use crate::common::*;
use imgrepl_core::fanout::CopyOptions;
use imgrepl_core::manifest::manifest_path_for;
use imgrepl_core::repair::repair;
use imgrepl_core::verify::verify;
use imgrepl_core::verify::ManifestArg::{At, Beside};
use imgrepl_core::Error;

const MIB: u64 = 1024 * 1024;

fn flip(path: &std::path::Path, offset: u64) {
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut b = [0u8];
    f.read_exact_at(&mut b, offset).unwrap();
    f.write_all_at(&[b[0] ^ 0x40], offset).unwrap();
}

fn two_replicas(dir: &TempDir) -> (Vec<u8>, std::path::PathBuf, std::path::PathBuf) {
    let mut data = noise(5, (6 * MIB + 1000) as usize);
    data[(2 * MIB) as usize..(3 * MIB) as usize].fill(0);
    let src = dir.join("src.raw");
    write_file(&src, &data);
    let dirs = dir.subdirs(2);
    let (a, b) = (dirs[0].join("img"), dirs[1].join("img"));
    let o = CopyOptions {
        chunk_size: MIB,
        ..CopyOptions::default()
    };
    assert!(copy(&src, &[a.clone(), b.clone()], &o).unwrap().ok());
    (data, a, b)
}

#[test]
fn verify_names_the_exact_bad_chunk_and_repair_fixes_it() {
    let dir = TempDir::new("v");
    let (data, a, b) = two_replicas(&dir);
    assert!(verify(&s(&a), Beside, None).unwrap().ok);
    flip(&a, 3 * MIB + 17);
    flip(&a, 4 * MIB + 1);
    flip(&a, 6 * MIB + 999); // the short last chunk
    let v = verify(&s(&a), Beside, Some(3)).unwrap();
    assert!(!v.ok && v.size_ok);
    assert_eq!(v.chunks_checked, 7);
    assert_eq!(
        v.bad_ranges,
        [(3 * MIB, 5 * MIB), (6 * MIB, 6 * MIB + 1000)]
    );

    let r = repair(&s(&a), &s(&b), Beside).unwrap();
    assert_eq!(r.chunks_repaired, 3);
    assert_eq!(r.bytes_repaired, 2 * MIB + 1000);
    assert!(r.verify.ok, "{:?}", r.verify);
    assert_eq!(fs::read(&a).unwrap(), data);
}

#[test]
fn a_short_replica_fails_size_and_its_missing_chunks() {
    let dir = TempDir::new("t");
    let (data, a, b) = two_replicas(&dir);
    let f = OpenOptions::new().write(true).open(&a).unwrap();
    f.set_len(4 * MIB + 10).unwrap();
    let v = verify(&s(&a), Beside, None).unwrap();
    assert!(!v.ok && !v.size_ok);
    assert_eq!((v.size, v.expected_size), (4 * MIB + 10, data.len() as u64));
    assert_eq!(v.bad_ranges, [(4 * MIB, data.len() as u64)]);
    let r = repair(&s(&a), &s(&b), Beside).unwrap();
    assert!(r.verify.ok);
    assert_eq!(fs::read(&a).unwrap(), data);
}

#[test]
fn repair_refuses_a_damaged_good_copy() {
    let dir = TempDir::new("g");
    let (_, a, b) = two_replicas(&dir);
    flip(&a, 10);
    flip(&b, 10);
    let e = repair(&s(&a), &s(&b), Beside).unwrap_err();
    assert!(matches!(e, Error::Verify { .. }), "{e}");
    assert!(e.to_string().contains("good copy"), "{e}");
}

#[test]
fn verify_accepts_another_replicas_manifest_and_refuses_unhashed_ones() {
    let dir = TempDir::new("u");
    let (_, a, b) = two_replicas(&dir);
    let other = s(&manifest_path_for(&b));
    assert!(verify(&s(&a), At(&other), None).unwrap().ok);

    let src = dir.join("src.raw");
    let c = dir.join("nohash.raw");
    let o = CopyOptions {
        hash: false,
        ..CopyOptions::default()
    };
    assert!(copy(&src, std::slice::from_ref(&c), &o).unwrap().ok());
    let e = verify(&s(&c), Beside, None).unwrap_err();
    assert!(
        matches!(e, Error::Verify { .. }) && e.to_string().contains("hashing off"),
        "{e}"
    );

    fs::write(manifest_path_for(&a), b"IMGRMANI garbage").unwrap();
    let e = verify(&s(&a), Beside, None).unwrap_err();
    assert!(matches!(e, Error::Manifest { .. }), "{e}");
}
