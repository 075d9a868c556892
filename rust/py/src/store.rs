//! Region stores on object storage: register options for `s3://` and
//! `az://` prefixes, and the few object operations a gallery needs around
//! the engine's copies (stat, delete, list).  Option values never appear in
//! reprs or errors.
use std::collections::HashMap;

use imgrepl_core::remote::{registry, RemoteLocation, StoreOptions};
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

fn locate(url: &str) -> PyResult<RemoteLocation> {
    Ok(RemoteLocation::parse(url).map_err(PyEngineError)?)
}

async fn stat_inner(url: String) -> PyResult<Option<u64>> {
    let r = locate(&url)?;
    let store = r.bucket().map_err(PyEngineError)?;
    Ok(store.head(&r.url).await.map_err(PyEngineError)?)
}

async fn delete_inner(url: String) -> PyResult<()> {
    let r = locate(&url)?;
    let store = r.bucket().map_err(PyEngineError)?;
    Ok(store.delete(&r.url).await.map_err(PyEngineError)?)
}

async fn list_inner(prefix: String) -> PyResult<Vec<(String, u64)>> {
    let r = locate(&prefix)?;
    let store = r.bucket().map_err(PyEngineError)?;
    let found = store.list(&r.url).await.map_err(PyEngineError)?;
    Ok(found
        .into_iter()
        .map(|(u, size)| (u.to_string(), size))
        .collect())
}

/// Size of the object at `url`, or None if there is none.
#[pyfunction]
pub fn store_stat(py: Python<'_>, url: String) -> PyResult<Option<u64>> {
    py.detach(move || runtime::block_on(stat_inner(url)))
}

#[pyfunction]
pub fn store_stat_async(py: Python<'_>, url: String) -> PyResult<Bound<'_, PyAny>> {
    future_into_py(py, stat_inner(url))
}

/// Deletes the object at `url` (one object: a replica's manifest is its own
/// object); an object that is already gone is not an error.
#[pyfunction]
pub fn store_delete(py: Python<'_>, url: String) -> PyResult<()> {
    py.detach(move || runtime::block_on(delete_inner(url)))
}

#[pyfunction]
pub fn store_delete_async(py: Python<'_>, url: String) -> PyResult<Bound<'_, PyAny>> {
    future_into_py(py, delete_inner(url))
}

/// `(url, size)` of every object below `prefix`, recursively.
#[pyfunction]
pub fn store_list(py: Python<'_>, prefix: String) -> PyResult<Vec<(String, u64)>> {
    py.detach(move || runtime::block_on(list_inner(prefix)))
}

#[pyfunction]
pub fn store_list_async(py: Python<'_>, prefix: String) -> PyResult<Bound<'_, PyAny>> {
    future_into_py(py, list_inner(prefix))
}
