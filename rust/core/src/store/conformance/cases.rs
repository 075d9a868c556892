//! The conformance cases, each run on every subject (see the harness in
//! `mod.rs`): commit visibility, cleanup of dropped sinks, missing
//! objects, manifest bytes, ranged reads, zero chunks and empty images,
//! overwrite, addresses and capabilities, server-side copy, repair.
use bytes::Bytes;

use super::*;

#[test]
fn a_replica_appears_only_on_commit_with_its_manifest() {
    for s in subjects() {
        let loc = s.at("img.raw");
        let bytes = image((19 * CHUNK + 777) as usize);
        let m = manifest(&bytes, ChunkLayout::new(CHUNK, bytes.len() as u64).unwrap());
        let sink = written(&loc, &bytes, false, u64::MAX);
        assert_eq!(stat(&loc), None, "{}: visible before commit", s.name);
        assert!(block_on(loc.store().read_manifest()).unwrap().is_none());
        let at = sink.commit(&m).unwrap();
        assert_eq!(
            at,
            loc.manifest_location().unwrap().to_string(),
            "{}",
            s.name
        );
        assert!(at.ends_with(MANIFEST_SUFFIX), "{at}");
        assert_eq!(stat(&loc), Some(bytes.len() as u64), "{}", s.name);
        assert!(read_back(&loc) == bytes, "{}: bytes differ", s.name);
        let saved = block_on(loc.store().read_manifest()).unwrap().unwrap();
        assert_eq!(saved, m.encode(), "{}", s.name);
        assert_eq!(
            Manifest::load_from(&loc.manifest_location().unwrap()).unwrap(),
            m
        );
    }
}

#[test]
fn a_dropped_sink_leaves_nothing_behind() {
    for s in subjects() {
        let loc = s.at("gone/img.raw");
        let bytes = image((12 * CHUNK) as usize);
        drop(written(&loc, &bytes, false, 10));
        assert_eq!(stat(&loc), None, "{}", s.name);
        assert!(block_on(loc.store().read_manifest()).unwrap().is_none());
        let left = block_on(s.prefix().store().list()).unwrap();
        assert!(left.is_empty(), "{}: left {left:?}", s.name);
    }
}

#[test]
fn stat_delete_and_whole_objects_treat_missing_as_nothing() {
    for s in subjects() {
        let loc = s.at("small.bin");
        assert_eq!(stat(&loc), None, "{}", s.name);
        block_on(loc.store().delete()).unwrap();
        assert!(block_on(loc.store().read_all()).unwrap().is_none());
        block_on(loc.store().write_all(Bytes::from_static(b"hello"))).unwrap();
        assert_eq!(stat(&loc), Some(5), "{}", s.name);
        let got = block_on(loc.store().read_all()).unwrap().unwrap();
        assert_eq!(&got[..], b"hello", "{}", s.name);
        block_on(loc.store().delete()).unwrap();
        assert_eq!(stat(&loc), None, "{}", s.name);
        block_on(loc.store().delete()).unwrap();
    }
}

#[test]
fn manifest_bytes_round_trip_beside_the_replica() {
    for s in subjects() {
        let loc = s.at("m/img.raw");
        let bytes = image((3 * CHUNK + 5) as usize);
        let m = manifest(&bytes, ChunkLayout::new(CHUNK, bytes.len() as u64).unwrap());
        let encoded = Bytes::from(m.encode());
        block_on(loc.store().write_manifest(encoded.clone())).unwrap();
        assert_eq!(
            block_on(loc.store().read_manifest()).unwrap(),
            Some(encoded)
        );
        let beside = loc.manifest_location().unwrap();
        assert_eq!(
            beside.to_string(),
            format!("{loc}{MANIFEST_SUFFIX}"),
            "{}",
            s.name
        );
        assert_eq!(Manifest::load_from(&beside).unwrap(), m, "{}", s.name);
        assert_eq!(stat(&loc), None, "{}: a manifest is not a replica", s.name);
    }
}

#[test]
fn ranged_reads_return_exact_bytes_and_refuse_the_end() {
    for s in subjects()
        .into_iter()
        .filter(|s| s.prefix().capabilities().ranged_read)
    {
        let loc = s.at("ranged.bin");
        let bytes = image((5 * CHUNK + 11) as usize);
        block_on(loc.store().write_all(Bytes::from(bytes.clone()))).unwrap();
        let src = loc.open_source().unwrap();
        assert_eq!(src.size(), bytes.len() as u64, "{}", s.name);
        for (at, len) in [
            (0, 7),
            (CHUNK - 3, 9),
            (4 * CHUNK + 1, CHUNK as usize),
            (5 * CHUNK, 11),
        ] {
            let mut buf = vec![0u8; len];
            src.read_at(at, &mut buf).unwrap();
            assert!(
                buf == bytes[at as usize..at as usize + len],
                "{} at {at}",
                s.name
            );
        }
        let mut past = [0u8; 12];
        assert!(src.read_at(5 * CHUNK, &mut past).is_err(), "{}", s.name);
    }
}

#[test]
fn zero_chunks_and_empty_images_commit() {
    for s in subjects() {
        let zeros = vec![0u8; (3 * CHUNK) as usize];
        let loc = s.at("zeros.raw");
        let m = replica(&loc, &zeros);
        assert!(m.zero.iter().all(|&z| z));
        assert_eq!(stat(&loc), Some(zeros.len() as u64), "{}", s.name);
        assert!(read_back(&loc) == zeros, "{}", s.name);
        if let (true, Some(path)) = (loc.capabilities().keeps_holes, loc.local_path()) {
            use std::os::unix::fs::MetadataExt;
            let allocated = std::fs::metadata(path).unwrap().blocks() * 512;
            assert!(allocated < zeros.len() as u64, "{}: holes filled", s.name);
        }
        let empty = s.at("empty.raw");
        let m = replica(&empty, &[]);
        assert_eq!((m.chunk_count(), stat(&empty)), (0, Some(0)), "{}", s.name);
    }
}

#[test]
fn an_existing_replica_is_kept_unless_overwrite() {
    for s in subjects() {
        let loc = s.at("old.raw");
        block_on(loc.store().write_all(Bytes::from_static(b"old"))).unwrap();
        let refused = loc.store().check_not_existing(false).unwrap_err();
        assert_eq!(
            kind(&refused),
            Some(std::io::ErrorKind::AlreadyExists),
            "{}",
            s.name
        );
        loc.store().check_not_existing(true).unwrap();
        let bytes = image((3 * CHUNK) as usize);
        let m = manifest(&bytes, ChunkLayout::new(CHUNK, bytes.len() as u64).unwrap());
        let err = written(&loc, &bytes, false, u64::MAX)
            .commit(&m)
            .unwrap_err();
        assert_eq!(
            kind(&err),
            Some(std::io::ErrorKind::AlreadyExists),
            "{}: {err}",
            s.name
        );
        assert_eq!(
            &block_on(loc.store().read_all()).unwrap().unwrap()[..],
            b"old"
        );
        assert!(
            block_on(loc.store().read_manifest()).unwrap().is_none(),
            "{}",
            s.name
        );
        written(&loc, &bytes, true, u64::MAX).commit(&m).unwrap();
        assert!(read_back(&loc) == bytes, "{}", s.name);
    }
}

#[test]
fn addresses_parse_back_to_themselves_and_sinks_match_their_capabilities() {
    for s in subjects() {
        let loc = s.at("x/y.raw");
        assert_eq!(
            Location::parse(&loc.to_string()).unwrap(),
            loc,
            "{}",
            s.name
        );
        assert_eq!(loc.identity(), loc.identity().identity(), "{}", s.name);
        assert_eq!(loc.backend(), s.name);
        let sink = written(&loc, &image(CHUNK as usize), false, 0);
        let caps = loc.capabilities();
        assert_eq!(caps.multipart, sink.kept_chunks() > 0, "{}", s.name);
    }
}

#[test]
fn server_side_copy_when_capable_else_refused() {
    for s in subjects() {
        let (from, to) = (s.at("src.raw"), s.at("copy.raw"));
        let bytes = image((3 * CHUNK + 9) as usize);
        let m = replica(&from, &bytes);
        let size = bytes.len() as u64;
        let copied = block_on(to.store().copy_from(&from, Bytes::from(m.encode())));
        if !to.capabilities().server_copy {
            assert!(!to.store().can_copy_from(&from, size), "{}", s.name);
            assert!(copied.is_err(), "{}", s.name);
            continue;
        }
        assert!(to.store().can_copy_from(&from, size), "{}", s.name);
        assert_eq!(copied.unwrap(), to.manifest_location().unwrap().to_string());
        assert!(read_back(&to) == bytes, "{}", s.name);
        assert_eq!(
            Manifest::load_from(&to.manifest_location().unwrap()).unwrap(),
            m
        );
    }
}

#[test]
fn repair_rewrites_a_damaged_replica_from_a_good_one() {
    for s in subjects() {
        let (bad, good) = (s.at("bad.raw"), s.at("good.raw"));
        let bytes = image((4 * CHUNK + 100) as usize);
        replica(&good, &bytes);
        replica(&bad, &bytes);
        let mut damaged = bytes.clone();
        damaged[(CHUNK + 5) as usize] ^= 0xff;
        block_on(bad.store().write_all(Bytes::from(damaged))).unwrap();
        let beside = crate::verify::ManifestArg::Beside;
        let report = crate::repair::repair(&bad.to_string(), &good.to_string(), beside).unwrap();
        assert_eq!(report.chunks_repaired, 1, "{}", s.name);
        assert!(report.verify.ok, "{}: {report:?}", s.name);
        assert!(read_back(&bad) == bytes, "{}", s.name);
    }
}
