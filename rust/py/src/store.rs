//! Region stores: register options for object-store prefixes (`s3://`,
//! `az://`), and the few operations a gallery needs around the engine's
//! copies (stat, delete, list, manifest bytes) on any backend, local paths
//! included.  Option values never appear in reprs or errors.
use std::borrow::Cow;
use std::collections::HashMap;

use imgrepl_core::location::Location;
use imgrepl_core::remote::{registry, StoreOptions};
use imgrepl_core::runtime;
use pyo3::prelude::*;

use crate::errors::PyEngineError;
use crate::runtime::future_into_py;

/// Makes `options` (e.g. endpoint, allow_http, region, access_key_id,
/// secret_access_key; account, access_key, use_emulator for Azure) apply to
/// every object below `prefix`.  Bad keys or values raise ValueError now.
#[pyfunction]
pub fn register_store(
    py: Python<'_>,
    prefix: String,
    options: HashMap<String, String>,
) -> PyResult<()> {
    py.detach(move || {
        let opts = StoreOptions::from_pairs(options).map_err(PyEngineError)?;
        registry::register(&prefix, opts).map_err(PyEngineError)?;
        Ok(())
    })
}

/// Forgets what was registered for exactly `prefix`; True if anything was.
#[pyfunction]
pub fn unregister_store(prefix: String) -> PyResult<bool> {
    Ok(registry::unregister(&prefix).map_err(PyEngineError)?)
}

/// The registered prefixes (their options are never returned).
#[pyfunction]
pub fn registered_stores() -> Vec<String> {
    registry::prefixes()
}

fn locate(url: &str) -> PyResult<Location> {
    Ok(Location::parse(url).map_err(PyEngineError)?)
}

async fn stat_inner(url: String) -> PyResult<Option<u64>> {
    let loc = locate(&url)?;
    Ok(loc.store().stat().await.map_err(PyEngineError)?)
}

async fn delete_inner(url: String) -> PyResult<()> {
    let loc = locate(&url)?;
    Ok(loc.store().delete().await.map_err(PyEngineError)?)
}

async fn list_inner(prefix: String) -> PyResult<Vec<(String, u64)>> {
    let loc = locate(&prefix)?;
    Ok(loc.store().list().await.map_err(PyEngineError)?)
}

async fn manifest_inner(url: String) -> PyResult<Option<Cow<'static, [u8]>>> {
    let loc = locate(&url)?;
    let bytes = loc.store().read_manifest().await.map_err(PyEngineError)?;
    Ok(bytes.map(|b| Cow::Owned(b.to_vec())))
}

/// Size of the replica at `url` (a path, `file://`, `s3://` or `az://`
/// URL), or None if there is none.  Something at a local path that is not
/// a regular file (a directory, a device) raises instead of being taken
/// for a replica or for nothing: IsADirectoryError for a directory.
#[pyfunction]
pub fn store_stat(py: Python<'_>, url: String) -> PyResult<Option<u64>> {
    py.detach(move || runtime::block_on(stat_inner(url)))
}

#[pyfunction]
pub fn store_stat_async(py: Python<'_>, url: String) -> PyResult<Bound<'_, PyAny>> {
    future_into_py(py, stat_inner(url))
}

/// Deletes the replica at `url` (one object or file: a replica's manifest
/// is its own); one that is already gone is not an error.
#[pyfunction]
pub fn store_delete(py: Python<'_>, url: String) -> PyResult<()> {
    py.detach(move || runtime::block_on(delete_inner(url)))
}

#[pyfunction]
pub fn store_delete_async(py: Python<'_>, url: String) -> PyResult<Bound<'_, PyAny>> {
    future_into_py(py, delete_inner(url))
}

/// `(url, size)` of every object below `prefix`, recursively (for a local
/// directory: the paths and sizes of the regular files below it).
#[pyfunction]
pub fn store_list(py: Python<'_>, prefix: String) -> PyResult<Vec<(String, u64)>> {
    py.detach(move || runtime::block_on(list_inner(prefix)))
}

#[pyfunction]
pub fn store_list_async(py: Python<'_>, prefix: String) -> PyResult<Bound<'_, PyAny>> {
    future_into_py(py, list_inner(prefix))
}

/// The manifest bytes stored beside the replica at `url` (unchecked; see
/// `Manifest.from_bytes`), or None if there is no manifest.
#[pyfunction]
pub fn read_manifest_bytes(py: Python<'_>, url: String) -> PyResult<Option<Cow<'static, [u8]>>> {
    py.detach(move || runtime::block_on(manifest_inner(url)))
}

#[pyfunction]
pub fn read_manifest_bytes_async(py: Python<'_>, url: String) -> PyResult<Bound<'_, PyAny>> {
    future_into_py(py, manifest_inner(url))
}
