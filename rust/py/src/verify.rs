//! verify / repair (and their awaitables): check a replica against its
//! manifest, rewrite only its bad chunks from a good copy.
use std::path::PathBuf;

use imgrepl_core::repair::{repair as repair_replica, RepairReport};
use imgrepl_core::verify::{verify as verify_replica, ManifestArg, VerifyReport};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::copy::path_arg;
use crate::errors::PyEngineError;
use crate::runtime::blocking_into_py;

#[pyclass(name = "VerifyReport", module = "imgrepl._core", frozen, get_all)]
#[derive(Clone)]
pub struct PyVerifyReport {
    path: String,
    manifest_path: String,
    ok: bool,
    chunks_checked: u64,
    bad_ranges: Vec<(u64, u64)>,
    size_ok: bool,
    size: u64,
    expected_size: u64,
    seconds: f64,
}

impl From<VerifyReport> for PyVerifyReport {
    fn from(r: VerifyReport) -> Self {
        PyVerifyReport {
            path: r.path,
            manifest_path: r.manifest_path,
            ok: r.ok,
            chunks_checked: r.chunks_checked,
            bad_ranges: r.bad_ranges,
            size_ok: r.size_ok,
            size: r.size,
            expected_size: r.expected_size,
            seconds: r.seconds,
        }
    }
}

#[pymethods]
impl PyVerifyReport {
    fn __repr__(&self) -> String {
        let ok = if self.ok { "True" } else { "False" };
        format!(
            "VerifyReport(path={:?}, ok={ok}, bad_ranges={:?})",
            self.path, self.bad_ranges
        )
    }
}

#[pyclass(name = "RepairReport", module = "imgrepl._core", frozen, get_all)]
pub struct PyRepairReport {
    path: String,
    chunks_repaired: u64,
    bytes_repaired: u64,
    verify: PyVerifyReport,
}

impl From<RepairReport> for PyRepairReport {
    fn from(r: RepairReport) -> Self {
        PyRepairReport {
            path: r.path,
            chunks_repaired: r.chunks_repaired,
            bytes_repaired: r.bytes_repaired,
            verify: r.verify.into(),
        }
    }
}

#[pymethods]
impl PyRepairReport {
    fn __repr__(&self) -> String {
        format!(
            "RepairReport(path={:?}, chunks_repaired={}, ok={})",
            self.path,
            self.chunks_repaired,
            if self.verify.ok { "True" } else { "False" }
        )
    }
}

/// A manifest as Python gives it: its bytes, or a path or URL.
#[derive(FromPyObject)]
pub enum ManifestInput<'py> {
    Bytes(Bound<'py, PyBytes>),
    Path(PathBuf),
}

/// The same, owned, so the GIL can be released (None: the one beside the replica).
pub enum OwnedManifest {
    Beside,
    At(String),
    Bytes(Vec<u8>),
}

impl OwnedManifest {
    fn from_input(m: Option<ManifestInput<'_>>) -> PyResult<Self> {
        Ok(match m {
            None => OwnedManifest::Beside,
            Some(ManifestInput::Bytes(b)) => OwnedManifest::Bytes(b.as_bytes().to_vec()),
            Some(ManifestInput::Path(p)) => OwnedManifest::At(path_arg(p)?),
        })
    }

    fn arg(&self) -> ManifestArg<'_> {
        match self {
            OwnedManifest::Beside => ManifestArg::Beside,
            OwnedManifest::At(at) => ManifestArg::At(at),
            OwnedManifest::Bytes(b) => ManifestArg::Bytes(b),
        }
    }
}

fn verify_inner(
    path: String,
    manifest: OwnedManifest,
    threads: Option<usize>,
) -> PyResult<PyVerifyReport> {
    let r = verify_replica(&path, manifest.arg(), threads).map_err(PyEngineError)?;
    Ok(r.into())
}

fn repair_inner(path: String, good: String, manifest: OwnedManifest) -> PyResult<PyRepairReport> {
    let r = repair_replica(&path, &good, manifest.arg()).map_err(PyEngineError)?;
    Ok(r.into())
}

/// Re-reads `path` and checks it against its manifest (the one beside it,
/// or `manifest`: a path, a URL, or the manifest's bytes).  Mismatches are
/// in the report, not raised.
#[pyfunction]
#[pyo3(signature = (path, manifest = None, threads = None))]
pub fn verify(
    py: Python<'_>,
    path: PathBuf,
    manifest: Option<ManifestInput<'_>>,
    threads: Option<usize>,
) -> PyResult<PyVerifyReport> {
    let (path, manifest) = (path_arg(path)?, OwnedManifest::from_input(manifest)?);
    py.detach(move || verify_inner(path, manifest, threads))
}

#[pyfunction]
#[pyo3(signature = (path, manifest = None, threads = None))]
pub fn verify_async<'py>(
    py: Python<'py>,
    path: PathBuf,
    manifest: Option<ManifestInput<'py>>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let (path, manifest) = (path_arg(path)?, OwnedManifest::from_input(manifest)?);
    blocking_into_py(py, move || verify_inner(path, manifest, threads))
}

/// Rewrites the chunks of `path` that fail verification from `good`
/// (which must pass the same manifest), then verifies again.
#[pyfunction]
#[pyo3(signature = (path, good, manifest = None))]
pub fn repair(
    py: Python<'_>,
    path: PathBuf,
    good: PathBuf,
    manifest: Option<ManifestInput<'_>>,
) -> PyResult<PyRepairReport> {
    let (path, good) = (path_arg(path)?, path_arg(good)?);
    let manifest = OwnedManifest::from_input(manifest)?;
    py.detach(move || repair_inner(path, good, manifest))
}

#[pyfunction]
#[pyo3(signature = (path, good, manifest = None))]
pub fn repair_async<'py>(
    py: Python<'py>,
    path: PathBuf,
    good: PathBuf,
    manifest: Option<ManifestInput<'py>>,
) -> PyResult<Bound<'py, PyAny>> {
    let (path, good) = (path_arg(path)?, path_arg(good)?);
    let manifest = OwnedManifest::from_input(manifest)?;
    blocking_into_py(py, move || repair_inner(path, good, manifest))
}
