//! Manifest: the per-chunk digests and zero flags stored beside a replica.
use std::path::PathBuf;
use std::sync::Arc;

use imgrepl_core::hash::to_hex;
use imgrepl_core::location::Location;
use imgrepl_core::manifest::Manifest;
use imgrepl_core::scan::compute_manifest;
use imgrepl_core::source::open_source;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::copy::path_arg;
use crate::errors::PyEngineError;
use crate::runtime::blocking_into_py;

#[pyclass(name = "Manifest", module = "imgrepl._core", frozen, eq)]
#[derive(PartialEq)]
pub struct PyManifest {
    inner: Arc<Manifest>,
}

/// Hashes a whole file into the manifest a copy of it would write.
fn compute(path: String, chunk_size: u64, threads: Option<usize>) -> PyResult<PyManifest> {
    let src =
        open_source(&Location::parse(&path).map_err(PyEngineError)?).map_err(PyEngineError)?;
    let m = compute_manifest(src.as_ref(), chunk_size, threads).map_err(PyEngineError)?;
    Ok(PyManifest { inner: Arc::new(m) })
}

#[pymethods]
impl PyManifest {
    /// Reads and checks a manifest file.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let m = py.detach(|| Manifest::load(&path)).map_err(PyEngineError)?;
        Ok(PyManifest { inner: Arc::new(m) })
    }

    /// Parses manifest bytes (as stored on disk).
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Self> {
        let m = Manifest::decode(data, std::path::Path::new("<bytes>")).map_err(PyEngineError)?;
        Ok(PyManifest { inner: Arc::new(m) })
    }

    /// Hashes the file at `path` (GIL released, several threads).
    #[staticmethod]
    #[pyo3(signature = (path, chunk_size = 4_194_304, threads = None))]
    fn compute(
        py: Python<'_>,
        path: PathBuf,
        chunk_size: u64,
        threads: Option<usize>,
    ) -> PyResult<Self> {
        let path = path_arg(path)?;
        py.detach(move || compute(path, chunk_size, threads))
    }

    /// `compute` as an awaitable.
    #[staticmethod]
    #[pyo3(signature = (path, chunk_size = 4_194_304, threads = None))]
    fn compute_async(
        py: Python<'_>,
        path: PathBuf,
        chunk_size: u64,
        threads: Option<usize>,
    ) -> PyResult<Bound<'_, PyAny>> {
        let path = path_arg(path)?;
        blocking_into_py(py, move || compute(path, chunk_size, threads))
    }

    #[getter]
    fn chunk_size(&self) -> u64 {
        self.inner.layout.chunk_size
    }

    #[getter]
    fn source_size(&self) -> u64 {
        self.inner.layout.size
    }

    #[getter]
    fn chunk_count(&self) -> u64 {
        self.inner.chunk_count()
    }

    /// Whole-image digest, 32 hex characters.
    #[getter]
    fn digest(&self) -> String {
        to_hex(&self.inner.image_digest)
    }

    /// False if the copy ran with hashing off (digests are all zero).
    #[getter]
    fn hashed(&self) -> bool {
        self.inner.hashed
    }

    /// chunk_count * 16 bytes: canonical xxh3-128 digests in chunk order.
    fn digest_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let flat: Vec<u8> = self.inner.digests.iter().flatten().copied().collect();
        PyBytes::new(py, &flat)
    }

    /// chunk_count bytes, 1 for an all-zero chunk.
    fn zero_flags<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let flags: Vec<u8> = self.inner.zero.iter().map(|&z| u8::from(z)).collect();
        PyBytes::new(py, &flags)
    }

    /// [start, end) of chunk `index`.
    fn chunk_range(&self, index: u64) -> PyResult<(u64, u64)> {
        if index >= self.inner.chunk_count() {
            return Err(pyo3::exceptions::PyIndexError::new_err(format!(
                "chunk {index} out of range (manifest has {})",
                self.inner.chunk_count()
            )));
        }
        let r = self.inner.layout.range(index);
        Ok((r.start, r.end))
    }

    /// The manifest as stored on disk.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.encode())
    }

    /// Writes the manifest durably (temp file, fsync, rename).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let m = self.inner.clone();
        py.detach(move || m.save(&path)).map_err(PyEngineError)?;
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!(
            "Manifest(source_size={}, chunk_size={}, chunk_count={}, digest='{}')",
            self.source_size(),
            self.chunk_size(),
            self.chunk_count(),
            self.digest()
        )
    }
}
