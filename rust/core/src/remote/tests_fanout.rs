//! Whole fan-out jobs to many object-store replicas whose sinks keep the
//! pipeline's shared buffers: with parts bigger than the default pool and a
//! slow store the job still finishes (no buffer starvation), and a cancel
//! mid-way leaves nothing at the final keys.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::bucket::Bucket;
use super::options::StoreOptions;
use super::sink::RemoteSink;
use super::url::StoreUrl;
use super::RemoteLocation;
use crate::chunk::ChunkLayout;
use crate::error::{Error, Result};
use crate::fanout::{CancelHandle, CopyOptions};
use crate::location::Location;
use crate::pipeline::{run, Dest, Plan};
use crate::progress::Progress;
use crate::report::CopyReport;
use crate::runtime::block_on;
use crate::sink::{Sink, SinkOptions};
use crate::source::{open_source, DataMap};

const CHUNK: u64 = 128 << 10;
const REPLICAS: usize = 16;

/// A raw image file of `chunks` chunks, every fourth one zeros.
struct Image {
    path: PathBuf,
    bytes: Vec<u8>,
}

impl Image {
    fn new(tag: &str, chunks: u64) -> Image {
        let mut bytes: Vec<u8> = (0..chunks * CHUNK)
            .map(|i| (i.wrapping_mul(0x9E37_79B9) >> 11) as u8 | 1)
            .collect();
        for c in (0..chunks).step_by(4) {
            bytes[(c * CHUNK) as usize..((c + 1) * CHUNK) as usize].fill(0);
        }
        let path = std::env::temp_dir().join(format!("imgrepl-{tag}-{}.raw", std::process::id()));
        std::fs::write(&path, &bytes).unwrap();
        Image { path, bytes }
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn url(i: usize) -> StoreUrl {
    StoreUrl::parse(&format!("s3://bkt/fanout/replica{i}.raw")).unwrap()
}

/// A job from `image` to `REPLICAS` objects of `store`, as `CopyJob`
/// prepares it, but with sinks on the test store.
fn plan(image: &Image, store: &Arc<Bucket>, cancel: CancelHandle) -> Plan {
    let src = open_source(&Location::parse(image.path.to_str().unwrap()).unwrap()).unwrap();
    let layout = ChunkLayout::new(CHUNK, src.size()).unwrap();
    let progress = Arc::new(Progress::new(layout.size, layout.count(), REPLICAS));
    let opts = SinkOptions {
        layout,
        overwrite: false,
        fsync: false,
        resume: None,
    };
    let dests = (0..REPLICAS)
        .map(|i| {
            let location = Location::new(RemoteLocation::parse(&url(i).to_string()).unwrap());
            let sink = RemoteSink::with_store(Arc::clone(store), url(i), location.clone(), &opts);
            Dest {
                index: i,
                location,
                sink: Some(Box::new(sink) as Box<dyn Sink>),
                error: None,
                bytes_written: 0,
                zero_skipped: 0,
                resumed: 0,
                manifest_path: String::new(),
                base: None,
                base_given: None,
                base_use: crate::base::BaseUse::default(),
            }
        })
        .collect();
    Plan {
        data: DataMap::new(src.data_ranges().unwrap()),
        source: src,
        layout,
        opts: CopyOptions {
            chunk_size: CHUNK,
            fsync: false,
            ..CopyOptions::default()
        },
        cancel,
        throttle: std::sync::Arc::new(crate::throttle::Throttle::new(None)),
        progress,
        dests,
    }
}

/// 5 MiB parts of 128 KiB chunks (40 chunks), 2 uploading + 1 filling per
/// replica: 120 chunks kept, more than the default pool of 64 buffers.
fn slow_store(delay_ms: u64) -> Arc<Bucket> {
    let opts = StoreOptions::from_pairs([("concurrency", "2"), ("part_size", "5242880")]).unwrap();
    Bucket::in_memory_slow(crate::s3::SERVICE, &opts, Duration::from_millis(delay_ms))
}

/// Runs the job on its own thread; a hang fails the test instead of
/// blocking it forever.
fn run_guarded(plan: Plan) -> Result<CopyReport> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(run(plan)));
    rx.recv_timeout(Duration::from_secs(600))
        .expect("the job finished instead of starving for buffers")
}

#[test]
fn sixteen_replicas_on_a_slow_store_finish_with_shared_buffers() {
    let image = Image::new("fanout-slow", 100);
    let store = slow_store(30);
    let plan = plan(&image, &store, CancelHandle::default());
    let kept = plan.dests[0].sink.as_ref().unwrap().kept_chunks();
    assert_eq!(kept, 120);
    let pool = crate::buffers::plan(CHUNK, 4, [kept].into_iter());
    assert!(pool.share && pool.buffers > 64, "{pool:?}");

    let report = run_guarded(plan).unwrap();
    for (i, d) in report.destinations.iter().enumerate() {
        assert!(d.ok, "{:?}", d.error);
        assert_eq!(d.bytes_written, image.bytes.len() as u64 * 3 / 4);
        let got = block_on(store.get_all(&url(i))).unwrap().unwrap();
        assert!(got == image.bytes, "replica {i} differs");
    }
}

#[test]
fn a_cancelled_job_leaves_nothing_at_the_final_keys() {
    let image = Image::new("fanout-cancel", 100);
    let store = slow_store(200);
    let cancel = CancelHandle::default();
    let plan = plan(&image, &store, cancel.clone());
    let progress = Arc::clone(&plan.progress);
    let job = std::thread::spawn(move || run(plan));
    // Cancel once parts are uploading (the first part is 40 chunks).
    while progress.dests[0]
        .chunks_done
        .load(std::sync::atomic::Ordering::Relaxed)
        < 45
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    cancel.cancel();
    assert!(matches!(job.join().unwrap(), Err(Error::Cancelled)));
    let prefix = StoreUrl::parse("s3://bkt/fanout").unwrap();
    assert_eq!(block_on(store.list(&prefix)).unwrap(), vec![]);
}
