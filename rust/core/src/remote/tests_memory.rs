//! The multipart sink and the prefetching source against object_store's
//! in-memory backend: chunk order, zero chunks, part boundaries, commit
//! order and failures, where no real server can force them; and what the
//! sinks of many replicas hold in memory.
use std::collections::HashSet;
use std::sync::Arc;

use bytes::Bytes;

use super::bucket::Bucket;
use super::options::StoreOptions;
use super::sink::RemoteSink;
use super::source::RemoteSource;
use super::url::StoreUrl;
use crate::chunk::{is_zero, ChunkLayout};
use crate::hash::digest;
use crate::location::Location;
use crate::manifest::Manifest;
use crate::manifest::MANIFEST_SUFFIX;
use crate::pool::Pool;
use crate::runtime::block_on;
use crate::sink::{ChunkRef, Sink, SinkOptions};
use crate::source::Source;

const CHUNK: u64 = 1 << 20;

fn data(len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len as u64)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8)
        .collect();
    v[(2 * CHUNK) as usize..(3 * CHUNK) as usize].fill(0); // one zero chunk
    v
}

fn url() -> StoreUrl {
    StoreUrl::parse("s3://bkt/region/img.raw").unwrap()
}

fn location() -> Location {
    Location::new(super::RemoteLocation::parse("s3://bkt/region/img.raw").unwrap())
}

fn store(opts: &[(&str, &str)]) -> Arc<Bucket> {
    Bucket::in_memory(
        crate::s3::SERVICE,
        &StoreOptions::from_pairs(opts.iter().copied()).unwrap(),
    )
}

fn sink(store: &Arc<Bucket>, layout: ChunkLayout) -> Box<RemoteSink> {
    let opts = SinkOptions {
        layout,
        overwrite: false,
        fsync: false,
        resume: None,
    };
    Box::new(RemoteSink::with_store(
        Arc::clone(store),
        url(),
        location(),
        &opts,
    ))
}

fn manifest(bytes: &[u8], layout: ChunkLayout) -> Manifest {
    let chunks: Vec<&[u8]> = (0..layout.count())
        .map(|i| &bytes[layout.range(i).start as usize..layout.range(i).end as usize])
        .collect();
    Manifest::new(
        layout,
        true,
        chunks.iter().map(|c| digest(c)).collect(),
        chunks.iter().map(|c| is_zero(c)).collect(),
    )
}

/// Writes every chunk of `bytes` in `order` (zero chunks as zero_chunk).
fn write_all(sink: &mut RemoteSink, bytes: &[u8], layout: ChunkLayout, order: &[u64]) {
    for &i in order {
        let r = layout.range(i);
        let chunk = &bytes[r.start as usize..r.end as usize];
        let c = ChunkRef {
            index: i,
            offset: r.start,
            data: if is_zero(chunk) { &[] } else { chunk },
            digest: digest(chunk),
            shared: None,
        };
        if is_zero(chunk) {
            sink.zero_chunk(&c, chunk.len() as u64).unwrap();
        } else {
            sink.write_chunk(&c).unwrap();
        }
    }
}

fn stored(store: &Bucket, url: &StoreUrl) -> Option<Bytes> {
    block_on(store.get_all(url)).unwrap()
}

#[test]
fn out_of_order_chunks_make_the_same_object_with_zeros_filled_in() {
    let bytes = data((19 * CHUNK + 777) as usize);
    let layout = ChunkLayout::new(CHUNK, bytes.len() as u64).unwrap();
    let store = store(&[("concurrency", "2")]);
    let mut s = sink(&store, layout);
    // Neighbours swapped, as several reader threads deliver them.
    let mut order: Vec<u64> = (0..layout.count()).collect();
    for pair in order.chunks_mut(2) {
        pair.reverse();
    }
    write_all(&mut s, &bytes, layout, &order);
    assert!(stored(&store, &url()).is_none(), "visible before commit");
    let m = manifest(&bytes, layout);
    let where_ = s.commit(&m).unwrap();
    assert_eq!(where_, format!("{}{MANIFEST_SUFFIX}", url()));
    assert_eq!(stored(&store, &url()).unwrap(), bytes);
    let saved = stored(&store, &url().with_suffix(MANIFEST_SUFFIX).unwrap()).unwrap();
    assert_eq!(saved, m.encode());
}

#[test]
fn an_object_smaller_than_a_part_and_an_empty_one_are_single_puts() {
    for len in [0usize, 5, CHUNK as usize + 3] {
        let bytes = data(len.max(3 * CHUNK as usize))[..len].to_vec();
        let layout = ChunkLayout::new(CHUNK, len as u64).unwrap();
        let store = store(&[]);
        let mut s = sink(&store, layout);
        write_all(
            &mut s,
            &bytes,
            layout,
            &(0..layout.count()).collect::<Vec<_>>(),
        );
        s.commit(&manifest(&bytes, layout)).unwrap();
        assert_eq!(stored(&store, &url()).unwrap(), bytes, "len {len}");
    }
}

#[test]
fn a_missing_or_repeated_chunk_fails_and_nothing_appears() {
    let bytes = data((10 * CHUNK) as usize);
    let layout = ChunkLayout::new(CHUNK, bytes.len() as u64).unwrap();
    let store = store(&[]);
    let mut s = sink(&store, layout);
    write_all(&mut s, &bytes, layout, &[0, 1, 2, 3, 4, 5, 6, 7, 8]);
    let err = s.commit(&manifest(&bytes, layout)).unwrap_err().to_string();
    assert!(err.contains("only 9 of 10 chunks"), "{err}");
    assert!(stored(&store, &url()).is_none());
    assert!(stored(&store, &url().with_suffix(MANIFEST_SUFFIX).unwrap()).is_none());

    let mut s = sink(&store, layout);
    write_all(&mut s, &bytes, layout, &[0]);
    let c = ChunkRef {
        index: 0,
        offset: 0,
        data: &bytes[..CHUNK as usize],
        digest: [0; 16],
        shared: None,
    };
    let err = s.write_chunk(&c).unwrap_err().to_string();
    assert!(err.contains("chunk 0 delivered twice"), "{err}");
}

#[test]
fn an_existing_object_is_kept_unless_overwrite() {
    let bytes = data((3 * CHUNK) as usize);
    let layout = ChunkLayout::new(CHUNK, bytes.len() as u64).unwrap();
    let store = store(&[]);
    block_on(store.put(&url(), Bytes::from_static(b"old"))).unwrap();
    let mut s = sink(&store, layout);
    write_all(&mut s, &bytes, layout, &[0, 1, 2]);
    let err = s.commit(&manifest(&bytes, layout)).unwrap_err();
    assert!(
        matches!(&err, crate::Error::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists),
        "{err}"
    );
    assert_eq!(stored(&store, &url()).unwrap(), &b"old"[..]);
}

#[test]
fn the_source_reads_ranges_in_any_order_and_refuses_past_the_end() {
    let bytes = data((9 * CHUNK + 11) as usize);
    let store = store(&[("concurrency", "3")]);
    block_on(store.put(&url(), Bytes::from(bytes.clone()))).unwrap();
    let src = RemoteSource::with_store(Arc::clone(&store), url(), location()).unwrap();
    assert_eq!(src.size(), bytes.len() as u64);
    let layout = ChunkLayout::new(CHUNK, bytes.len() as u64).unwrap();
    // Sequential (prefetching), then backwards, then small reads.
    let order: Vec<u64> = (0..layout.count())
        .chain((0..layout.count()).rev())
        .collect();
    for i in order {
        let r = layout.range(i);
        let mut buf = vec![0u8; layout.len(i)];
        src.read_at(r.start, &mut buf).unwrap();
        assert_eq!(buf, &bytes[r.start as usize..r.end as usize], "chunk {i}");
    }
    let mut small = [0u8; 7];
    src.read_at(5 * CHUNK - 3, &mut small).unwrap();
    assert_eq!(
        small,
        bytes[(5 * CHUNK - 3) as usize..(5 * CHUNK + 4) as usize]
    );
    let err = src
        .read_at(bytes.len() as u64 - 2, &mut small)
        .unwrap_err()
        .to_string();
    assert!(err.contains("past the end"), "{err}");
}

/// Chunk `i` of `bytes` read into a buffer of `pool`, shared as the
/// pipeline shares it.
fn pooled(pool: &Pool, bytes: &[u8], layout: ChunkLayout, i: u64) -> Bytes {
    let r = layout.range(i);
    let mut buf = pool.get(layout.len(i), || false).unwrap();
    buf.copy_from_slice(&bytes[r.start as usize..r.end as usize]);
    buf.into_shared()
}

fn write_shared(sink: &mut RemoteSink, bytes: &[u8], layout: ChunkLayout, i: u64, b: &Bytes) {
    let r = layout.range(i);
    let chunk = &bytes[r.start as usize..r.end as usize];
    let c = ChunkRef {
        index: i,
        offset: r.start,
        data: b,
        digest: digest(chunk),
        shared: Some(b),
    };
    if is_zero(chunk) {
        sink.zero_chunk(&c, chunk.len() as u64).unwrap();
    } else {
        sink.write_chunk(&c).unwrap();
    }
}

#[test]
fn replicas_keep_one_shared_copy_of_each_chunk_whatever_their_number() {
    let bytes = data((20 * CHUNK) as usize);
    let layout = ChunkLayout::new(CHUNK, bytes.len() as u64).unwrap();
    let count = layout.count() as usize;
    let pool = Pool::new(count, CHUNK as usize);
    let stores: Vec<_> = (0..16).map(|_| store(&[("concurrency", "2")])).collect();
    let mut sinks: Vec<_> = stores.iter().map(|s| sink(s, layout)).collect();
    // Less than a part (8 chunks of 1 MiB), with chunk 2 (zeros) and 5
    // late: 0 and 1 fill the part, 3 and 4 wait in the reorder buffer.
    let early = [0u64, 1, 3, 4];
    let shared: Vec<Bytes> = early
        .iter()
        .map(|&i| pooled(&pool, &bytes, layout, i))
        .collect();
    for s in &mut sinks {
        for (&i, b) in early.iter().zip(&shared) {
            write_shared(s, &bytes, layout, i, b);
        }
    }
    let buffers: HashSet<*const u8> = shared.iter().map(|b| b.as_ptr()).collect();
    let held: Vec<*const u8> = sinks
        .iter()
        .flat_map(|s| s.held())
        .map(|b| b.as_ptr())
        .collect();
    assert_eq!(held.len(), 16 * early.len());
    // Copying sinks would hold 16 x 4 MiB of their own; these hold the
    // 4 pool buffers and nothing else.
    let distinct: HashSet<*const u8> = held.into_iter().collect();
    assert_eq!(
        distinct, buffers,
        "sinks hold copies, not the shared buffers"
    );
    drop(shared);
    assert_eq!(
        pool.free(),
        count - early.len(),
        "sinks keep the buffers out"
    );

    for i in (0..layout.count()).filter(|i| !early.contains(i)) {
        let b = pooled(&pool, &bytes, layout, i);
        for s in &mut sinks {
            write_shared(s, &bytes, layout, i, &b);
        }
    }
    let m = manifest(&bytes, layout);
    for (s, store) in sinks.into_iter().zip(&stores) {
        s.commit(&m).unwrap();
        assert_eq!(stored(store, &url()).unwrap(), bytes);
    }
    assert_eq!(pool.free(), count, "every buffer is back once uploaded");
}

#[test]
fn a_sink_without_a_shared_buffer_copies_and_keeps_nothing_of_the_callers() {
    let bytes = data((3 * CHUNK) as usize);
    let layout = ChunkLayout::new(CHUNK, bytes.len() as u64).unwrap();
    let store = store(&[]);
    let mut s = sink(&store, layout);
    write_all(&mut s, &bytes, layout, &[1]);
    let held: Vec<&Bytes> = s.held().collect();
    assert_eq!(held.len(), 1);
    assert_ne!(held[0].as_ptr(), bytes[CHUNK as usize..].as_ptr());
    assert_eq!(held[0], &bytes[CHUNK as usize..2 * CHUNK as usize]);
}
