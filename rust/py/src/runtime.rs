//! The one tokio runtime behind every awaitable this module returns, and
//! the helpers that turn blocking engine calls into awaitables.
//!
//! It is the engine's shared store runtime, handed to pyo3-async-runtimes
//! once, so object-store I/O and Python awaitables share one thread pool.
//!
//! Fork guard: a process forked (multiprocessing's default "fork" start
//! method on Linux) after the runtime started inherits its state but none
//! of its threads, so a future scheduled there would never run and the
//! caller would hang forever.  pyo3-async-runtimes keeps its runtime in a
//! set-once cell we cannot reset, so instead of hanging we raise, and say
//! how to avoid it.
use std::future::Future;
use std::sync::{Arc, OnceLock};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

/// The pid that gave pyo3-async-runtimes its runtime.
static OWNER_PID: OnceLock<u32> = OnceLock::new();

fn ensure_runtime() -> PyResult<()> {
    let pid = std::process::id();
    let owner = *OWNER_PID.get_or_init(|| {
        // Leaked on purpose: the runtime lives as long as the process, and
        // pyo3-async-runtimes wants a &'static one.
        let rt: &'static Arc<Runtime> =
            Box::leak(Box::new(imgrepl_core::remote::runtime::runtime()));
        // Err only if something already initialised it; its runtime then
        // serves our futures just as well.
        let _ = pyo3_async_runtimes::tokio::init_with_runtime(rt.as_ref());
        pid
    });
    if owner != pid {
        return Err(PyRuntimeError::new_err(format!(
            "imgrepl's async runtime was started in process {owner} and this process \
             ({pid}) is a fork of it; the runtime's threads do not survive fork(). \
             Use multiprocessing with the 'spawn' or 'forkserver' start method, or the \
             synchronous API, in forked children."
        )));
    }
    Ok(())
}

/// `fut` as a Python awaitable on the shared runtime.
pub fn future_into_py<F, T>(py: Python<'_>, fut: F) -> PyResult<Bound<'_, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    ensure_runtime()?;
    pyo3_async_runtimes::tokio::future_into_py(py, fut)
}

/// Runs a blocking engine call on the runtime's blocking pool and awaits
/// it: the async half of a sync/async pair that shares `work`.
pub fn blocking_into_py<'py, W, T>(py: Python<'py>, work: W) -> PyResult<Bound<'py, PyAny>>
where
    W: FnOnce() -> PyResult<T> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    future_into_py(py, async move {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| PyRuntimeError::new_err(format!("imgrepl engine task failed: {e}")))?
    })
}
