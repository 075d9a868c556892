//! A finished copy's report, per destination, as frozen Python objects.
use imgrepl_core::report::{CopyReport, DestinationReport};
use pyo3::prelude::*;

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
    bytes_from_source: u64,
    bytes_from_base: u64,
    base: Option<String>,
    base_note: Option<String>,
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
            bytes_from_source: d.bytes_from_source,
            bytes_from_base: d.bytes_from_base,
            base: d.base.clone(),
            base_note: d.base_note.clone(),
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
