//! CopyJob: a fan-out copy running on engine threads, with its progress
//! stream (sync and async iteration) and its final report.
//!
//! A watcher thread per job publishes snapshots and the outcome in Rust
//! and signals the job's wake-up socket; sync calls block on a condvar,
//! async ones sleep on the socket (imgrepl._aio).  No engine thread ever
//! calls into Python (see runtime.rs for why that matters).
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::task::Poll;

use imgrepl_core::base::BaseSpec;
use imgrepl_core::fanout::{CancelHandle, CopyJob, CopyOptions};
use imgrepl_core::progress::Progress;
use imgrepl_core::throttle::Throttle;
use pyo3::exceptions::{PyRuntimeError, PyStopAsyncIteration, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyBytes;

use crate::errors::PyEngineError;
use crate::runtime::Notifier;

// Python signatures show literal defaults only; keep them equal to the engine's.
const _: () = assert!(imgrepl_core::chunk::DEFAULT_CHUNK_SIZE == 4_194_304);

/// A path argument as the engine's address string.
pub fn path_arg(p: PathBuf) -> PyResult<String> {
    p.into_os_string()
        .into_string()
        .map_err(|p| PyValueError::new_err(format!("path {p:?} is not valid UTF-8")))
}

mod progress;
mod report;
mod watcher;

pub use progress::PyProgress;
pub use report::{PyCopyReport, PyDestinationReport};
use watcher::{watch, JobShared, Published};

/// A destination's base as Python gives it: (address, manifest bytes).
type BaseArg<'py> = (PathBuf, Bound<'py, PyBytes>);

/// A fan-out copy, started on engine threads when constructed.
#[pyclass(name = "CopyJob", module = "imgrepl._core", frozen)]
pub struct PyCopyJob {
    shared: Arc<JobShared>,
    progress: Arc<Progress>,
    cancel: CancelHandle,
    throttle: Arc<Throttle>,
    /// The outcome as Python sees it, built once on the Python thread.
    report: PyOnceLock<PyResult<Py<PyCopyReport>>>,
}

impl PyCopyJob {
    fn check_owner(&self) -> PyResult<()> {
        self.shared.notifier.check_owner("copy job")
    }
}

/// Dropping the job unwaited cancels it; its threads still clean up.
impl Drop for PyCopyJob {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

#[pymethods]
impl PyCopyJob {
    #[new]
    #[pyo3(signature = (source, destinations, *, chunk_size = 4_194_304,
        threads = None, hash = true, fsync = true, overwrite = false, bwlimit = None,
        bases = None))]
    #[allow(clippy::too_many_arguments)] // mirrors the Python keyword API
    fn new(
        py: Python<'_>,
        source: PathBuf,
        destinations: Vec<PathBuf>,
        chunk_size: u64,
        threads: Option<usize>,
        hash: bool,
        fsync: bool,
        overwrite: bool,
        bwlimit: Option<u64>,
        bases: Option<Vec<Option<BaseArg<'_>>>>,
    ) -> PyResult<Self> {
        let source = path_arg(source)?;
        let bases = (bases.unwrap_or_default().into_iter())
            .map(|b| {
                b.map(|(at, manifest)| {
                    Ok(BaseSpec {
                        location: path_arg(at)?,
                        manifest: manifest.as_bytes().to_vec(),
                    })
                })
                .transpose()
            })
            .collect::<PyResult<Vec<_>>>()?;
        let destinations = destinations
            .into_iter()
            .map(path_arg)
            .collect::<PyResult<Vec<_>>>()?;
        let opts = CopyOptions {
            chunk_size,
            threads,
            hash,
            fsync,
            overwrite,
            bwlimit,
        };
        let shared = Arc::new(JobShared {
            published: Mutex::new(Published::default()),
            changed: Condvar::new(),
            notifier: Notifier::new("a copy job")?,
        });
        let job = py
            .detach(|| CopyJob::start_with_bases(&source, &destinations, &bases, &opts))
            .map_err(PyEngineError)?;
        let (progress, cancel) = (job.progress().clone(), job.cancel_handle());
        let throttle = job.throttle();
        let watcher = shared.clone();
        // On failure the closure, and the job in it, is dropped: cancelled.
        std::thread::Builder::new()
            .name("imgrepl-watch".into())
            .spawn(move || watch(job, watcher))
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start a copy watcher: {e}")))?;
        Ok(PyCopyJob {
            shared,
            progress,
            cancel,
            throttle,
            report: PyOnceLock::new(),
        })
    }

    /// A snapshot now, without waiting.
    fn progress(&self) -> PyProgress {
        self.progress.snapshot().into()
    }

    /// Asks the job to stop; `wait` then raises CopyCancelledError once
    /// every temporary file is gone.
    fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Changes the cap on source reads (bytes/s) from the next read on;
    /// None lifts it.  `disk create` shares a replica's read bandwidth
    /// among its readers this way as they come and go.
    #[pyo3(signature = (bwlimit))]
    fn set_bwlimit(&self, bwlimit: Option<u64>) -> PyResult<()> {
        if bwlimit == Some(0) {
            return Err(PyValueError::new_err("bwlimit 0 must be at least 1 byte/s"));
        }
        self.throttle.set(bwlimit);
        Ok(())
    }

    /// The wake-up socket: readable whenever progress or the outcome may
    /// have changed (the event loop drains it).
    fn fileno(&self) -> PyResult<i32> {
        self.shared.notifier.fileno("copy job")
    }

    /// True once the job has ended and cleaned up.
    fn done(&self) -> PyResult<bool> {
        self.check_owner()?;
        Ok(self.shared.lock().done)
    }

    /// The report of an ended job, or its error; RuntimeError while it runs.
    fn result(&self, py: Python<'_>) -> PyResult<Py<PyCopyReport>> {
        self.check_owner()?;
        let built = self.report.get_or_try_init(py, || {
            let mut p = self.shared.lock();
            if !p.done {
                return Err(PyRuntimeError::new_err("the copy job is still running"));
            }
            let outcome = p.outcome.take().expect("published with done, taken once");
            drop(p);
            Ok(match outcome {
                Ok(r) => Py::new(py, PyCopyReport::from(&r)),
                Err(e) => Err(PyEngineError(e).into()),
            })
        })?;
        match built {
            Ok(r) => Ok(r.clone_ref(py)),
            Err(e) => Err(e.clone_ref(py)),
        }
    }

    /// Blocks (GIL released) until the job ends.  Raises on a job-level
    /// failure; per-destination failures are in the report.
    fn wait(&self, py: Python<'_>) -> PyResult<Py<PyCopyReport>> {
        self.check_owner()?;
        py.detach(|| self.shared.wait_done());
        self.result(py)
    }

    /// `wait` as a coroutine: sleeps on `fileno()`, holds no thread.
    fn wait_async<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        static COPY_REPORT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let copy_report = COPY_REPORT.import(slf.py(), "imgrepl._aio", "copy_report")?;
        copy_report.call1((slf,))
    }

    /// The next snapshot if one is waiting, else None; raises
    /// StopAsyncIteration after the `finished` one was taken.
    fn poll_progress(&self) -> PyResult<Option<PyProgress>> {
        self.check_owner()?;
        match JobShared::poll_next(&mut self.shared.lock()) {
            Poll::Ready(Some(s)) => Ok(Some(s.into())),
            Poll::Ready(None) => Err(PyStopAsyncIteration::new_err(())),
            Poll::Pending => Ok(None),
        }
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The next snapshot: waits (GIL released) for a change or ~0.1 s.
    fn __next__(&self, py: Python<'_>) -> PyResult<Option<PyProgress>> {
        self.check_owner()?;
        Ok(py.detach(|| self.shared.next_blocking()).map(Into::into))
    }

    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// A coroutine for the next snapshot (imgrepl._aio.next_progress).
    fn __anext__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        static NEXT_PROGRESS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let next_progress = NEXT_PROGRESS.import(slf.py(), "imgrepl._aio", "next_progress")?;
        next_progress.call1((slf,))
    }

    fn __repr__(&self) -> String {
        let p = self.progress.snapshot();
        format!(
            "CopyJob(destinations={}, bytes_read={}/{}, finished={})",
            p.done.len(),
            p.bytes_read,
            p.source_size,
            if p.finished { "True" } else { "False" }
        )
    }
}
