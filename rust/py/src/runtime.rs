//! How engine work tells Python it is done, with no engine thread ever
//! touching the interpreter.
//!
//! Every job and task owns a `Notifier`: a non-blocking socket pair.  The
//! engine side publishes its state in Rust, then writes one byte; the event
//! loop watches the read end (`fileno()`) with `loop.add_reader`, and when
//! woken polls that state through the pyclass (python/imgrepl/_aio.py).
//! Any number of jobs can be awaited at once, and no executor thread is
//! held per awaiting coroutine.
//!
//! Why not pyo3-async-runtimes' `future_into_py`: it completes the asyncio
//! future from a tokio worker that attaches to the interpreter.  When the
//! main thread finalizes meanwhile (`asyncio.run(...)`, then exit), CPython
//! 3.11 aborts ("PyGILState_Release: thread state ... must be current") or
//! segfaults: about one run in three of a short script.
//!
//! Fork guard: a forked child inherits a job's socket and state but not the
//! threads that would finish it, so waiting on it there would hang forever.
//! Every wait checks the pid that started the work and raises instead.
//! Work started in the child itself runs on fresh threads and just works.
use std::future::Future;
use std::io::Write;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::task;

/// The wake-up socket of one job or task, and the process that owns it.
pub struct Notifier {
    read: UnixStream,
    write: UnixStream,
    pid: u32,
}

impl Notifier {
    pub fn new(what: &str) -> PyResult<Notifier> {
        let fail = |e: std::io::Error| {
            PyRuntimeError::new_err(format!("cannot create the wake-up socket of {what}: {e}"))
        };
        let (read, write) = UnixStream::pair().map_err(fail)?;
        read.set_nonblocking(true).map_err(fail)?;
        write.set_nonblocking(true).map_err(fail)?;
        Ok(Notifier {
            read,
            write,
            pid: std::process::id(),
        })
    }

    /// Wakes the loop watching `fileno`.  Call after publishing the state.
    /// A full socket (WouldBlock) already holds a pending wake-up, and the
    /// read end lives as long as this, so errors are safe to ignore.
    pub fn signal(&self) {
        let _ = (&self.write).write(&[1]);
    }

    /// The read end, for `loop.add_reader`; the reader drains it.
    pub fn fileno(&self, what: &str) -> PyResult<RawFd> {
        self.check_owner(what)?;
        Ok(self.read.as_raw_fd())
    }

    /// Refuses to wait, in a forked child, on work its parent started.
    pub fn check_owner(&self, what: &str) -> PyResult<()> {
        let pid = std::process::id();
        if pid == self.pid {
            return Ok(());
        }
        Err(PyRuntimeError::new_err(format!(
            "this {what} was started in process {} and this process ({pid}) is a fork of \
             it: the engine threads running it do not survive fork(), so it would never \
             finish here.  Start the work again in this process, or use multiprocessing's \
             'spawn' or 'forkserver' start method.",
            self.pid
        )))
    }
}

/// Runs blocking `work` on its own engine thread; returns the awaitable
/// (the async half of a sync/async pair that shares `work`'s function).
pub fn blocking_into_py<'py, W, T>(py: Python<'py>, work: W) -> PyResult<Bound<'py, PyAny>>
where
    W: FnOnce() -> PyResult<T> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    task::spawn_blocking(py, work)
}

/// Runs `fut` on the engine's shared tokio runtime (the object-store one);
/// returns the awaitable.  Cancelling the awaitable aborts the future.
pub fn future_into_py<F, T>(py: Python<'_>, fut: F) -> PyResult<Bound<'_, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    task::spawn_future(py, fut)
}
