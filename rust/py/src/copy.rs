//! CopyJob: a fan-out copy running on engine threads, with its progress
//! stream (sync and async iteration) and its final report.
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use imgrepl_core::fanout::{CancelHandle, CopyJob, CopyOptions};
use imgrepl_core::progress::{Progress, ProgressSnapshot, ProgressStream};
use imgrepl_core::report::{CopyReport, DestinationReport};
use pyo3::exceptions::{PyStopAsyncIteration, PyValueError};
use pyo3::prelude::*;

use crate::errors::PyEngineError;
use crate::runtime::blocking_into_py;

// Python signatures show literal defaults only; keep them equal to the engine's.
const _: () = assert!(imgrepl_core::chunk::DEFAULT_CHUNK_SIZE == 4194304);

/// A path argument as the engine's address string.
pub fn path_arg(p: PathBuf) -> PyResult<String> {
    p.into_os_string()
        .into_string()
        .map_err(|p| PyValueError::new_err(format!("path {p:?} is not valid UTF-8")))
}

/// A frozen snapshot of a running job.
#[pyclass(name = "Progress", module = "imgrepl._core", frozen, get_all)]
pub struct PyProgress {
    source_size: u64,
    bytes_read: u64,
    chunks_total: u64,
    chunks_done: u64,
    bytes_written: Vec<u64>,
    bytes_done: Vec<u64>,
    done: Vec<bool>,
    failed: Vec<bool>,
    finished: bool,
}

impl From<ProgressSnapshot> for PyProgress {
    fn from(s: ProgressSnapshot) -> Self {
        PyProgress {
            source_size: s.source_size,
            bytes_read: s.bytes_read,
            chunks_total: s.chunks_total,
            chunks_done: s.chunks_done,
            bytes_written: s.bytes_written,
            bytes_done: s.bytes_done,
            done: s.done,
            failed: s.failed,
            finished: s.finished,
        }
    }
}

#[pymethods]
impl PyProgress {
    fn __repr__(&self) -> String {
        format!(
            "Progress(bytes_read={}, source_size={}, chunks_done={}/{}, finished={})",
            self.bytes_read,
            self.source_size,
            self.chunks_done,
            self.chunks_total,
            if self.finished { "True" } else { "False" }
        )
    }
}

#[pyclass(name = "DestinationReport", module = "imgrepl._core", frozen, get_all)]
#[derive(Clone)]
pub struct PyDestinationReport {
    path: String,
    ok: bool,
    error: Option<String>,
    bytes_written: u64,
    zero_bytes_skipped: u64,
    resumed_bytes: u64,
    manifest_path: String,
}

impl From<&DestinationReport> for PyDestinationReport {
    fn from(d: &DestinationReport) -> Self {
        PyDestinationReport {
            path: d.location.clone(),
            ok: d.ok,
            error: d.error.clone(),
            bytes_written: d.bytes_written,
            zero_bytes_skipped: d.zero_bytes_skipped,
            resumed_bytes: d.resumed_bytes,
            manifest_path: d.manifest_path.clone(),
        }
    }
}

#[pymethods]
impl PyDestinationReport {
    fn __repr__(&self) -> String {
        let ok = if self.ok { "True" } else { "False" };
        format!("DestinationReport(path={:?}, ok={ok})", self.path)
    }
}

#[pyclass(name = "CopyReport", module = "imgrepl._core", frozen, get_all)]
pub struct PyCopyReport {
    source: String,
    source_size: u64,
    bytes_read: u64,
    holes_skipped: u64,
    zero_bytes: u64,
    chunk_size: u64,
    digest: String,
    hashed: bool,
    seconds: f64,
    destinations: Vec<PyDestinationReport>,
}

impl From<&CopyReport> for PyCopyReport {
    fn from(r: &CopyReport) -> Self {
        PyCopyReport {
            source: r.source.clone(),
            source_size: r.source_size,
            bytes_read: r.bytes_read,
            holes_skipped: r.holes_skipped,
            zero_bytes: r.zero_bytes,
            chunk_size: r.chunk_size,
            digest: r
                .digest
                .map(|d| imgrepl_core::hash::to_hex(&d))
                .unwrap_or_default(),
            hashed: r.hashed,
            seconds: r.seconds,
            destinations: r.destinations.iter().map(Into::into).collect(),
        }
    }
}

#[pymethods]
impl PyCopyReport {
    /// True when every destination was committed.
    #[getter]
    fn ok(&self) -> bool {
        self.destinations.iter().all(|d| d.ok)
    }

    fn __repr__(&self) -> String {
        let ok = if self.ok() { "True" } else { "False" };
        format!(
            "CopyReport(source={:?}, destinations={}, ok={ok}, digest={:?})",
            self.source,
            self.destinations.len(),
            self.digest
        )
    }
}

/// State shared by the Python object and any futures awaiting it.
struct JobState {
    progress: Arc<Progress>,
    cancel: CancelHandle,
    /// Taken by the first waiter; dropping it unwaited cancels the job.
    job: Mutex<Option<CopyJob>>,
    outcome: OnceLock<Result<CopyReport, PyErr>>,
    stream: Mutex<ProgressStream>,
}

impl JobState {
    /// Blocks until the job ended; every waiter sees the same outcome.
    fn finish(&self) -> &Result<CopyReport, PyErr> {
        let mut slot = self.job.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(job) = slot.take() {
            let outcome = job.wait().map_err(|e| PyErr::from(PyEngineError(e)));
            let _ = self.outcome.set(outcome);
        }
        drop(slot);
        self.outcome
            .get()
            .expect("the first waiter stored the outcome")
    }

    fn report(&self, py: Python<'_>) -> PyResult<PyCopyReport> {
        match self.finish() {
            Ok(r) => Ok(r.into()),
            Err(e) => Err(e.clone_ref(py)),
        }
    }

    /// The next progress snapshot (blocking); None after the final one.
    fn next_progress(&self) -> Option<ProgressSnapshot> {
        let mut stream = self.stream.lock().unwrap_or_else(|p| p.into_inner());
        stream.next(&self.progress)
    }
}

/// A fan-out copy, started on engine threads when constructed.
#[pyclass(name = "CopyJob", module = "imgrepl._core", frozen)]
pub struct PyCopyJob {
    state: Arc<JobState>,
}

#[pymethods]
impl PyCopyJob {
    #[new]
    #[pyo3(signature = (source, destinations, *, chunk_size = 4194304,
        threads = None, hash = true, fsync = true, overwrite = false, bwlimit = None))]
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
    ) -> PyResult<Self> {
        let source = path_arg(source)?;
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
        let job = py
            .detach(|| CopyJob::start(&source, &destinations, &opts))
            .map_err(PyEngineError)?;
        Ok(PyCopyJob {
            state: Arc::new(JobState {
                progress: job.progress().clone(),
                cancel: job.cancel_handle(),
                job: Mutex::new(Some(job)),
                outcome: OnceLock::new(),
                stream: Mutex::new(ProgressStream::new()),
            }),
        })
    }

    /// A snapshot now, without waiting.
    fn progress(&self) -> PyProgress {
        self.state.progress.snapshot().into()
    }

    /// Asks the job to stop; `wait` then raises CopyCancelledError once
    /// every temporary file is gone.
    fn cancel(&self) {
        self.state.cancel.cancel();
    }

    /// Blocks (GIL released) until the job ends.  Raises on a job-level
    /// failure; per-destination failures are in the report.
    fn wait(&self, py: Python<'_>) -> PyResult<PyCopyReport> {
        let state = self.state.clone();
        py.detach(move || {
            state.finish();
        });
        self.state.report(py)
    }

    /// `wait` as an awaitable.
    fn wait_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let state = self.state.clone();
        blocking_into_py(py, move || {
            state.finish();
            Python::attach(|py| state.report(py))
        })
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The next snapshot: waits (GIL released) for a change or ~0.1 s.
    fn __next__(&self, py: Python<'_>) -> Option<PyProgress> {
        let state = self.state.clone();
        py.detach(move || state.next_progress()).map(Into::into)
    }

    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let state = self.state.clone();
        blocking_into_py(py, move || match state.next_progress() {
            Some(s) => Ok(PyProgress::from(s)),
            None => Err(PyStopAsyncIteration::new_err(())),
        })
    }

    fn __repr__(&self) -> String {
        let p = self.state.progress.snapshot();
        format!(
            "CopyJob(destinations={}, bytes_read={}/{}, finished={})",
            p.done.len(),
            p.bytes_read,
            p.source_size,
            if p.finished { "True" } else { "False" }
        )
    }
}
