//! The frozen progress snapshot a running copy job yields.
use imgrepl_core::progress::ProgressSnapshot;
use pyo3::prelude::*;

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
