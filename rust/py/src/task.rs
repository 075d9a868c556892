//! Task: one engine call (verify, repair, inspect, a store operation...)
//! running off the Python thread, awaited through its wake-up socket.
//!
//! The engine side only stores a Rust value and writes a byte; the Python
//! object is built on the Python thread when `result()` is called, so the
//! state shared with engine threads never holds a Python object.
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::IntoPyObjectExt;

use crate::runtime::Notifier;

/// A finished call's value, turned into a Python object only when asked.
type Outcome = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

fn outcome<T>(r: PyResult<T>) -> Outcome
where
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    Box::new(move |py| r?.into_py_any(py))
}

fn panicked(what: &str) -> Outcome {
    let msg = format!("imgrepl engine {what} panicked (a bug: please report it)");
    outcome::<()>(Err(PyRuntimeError::new_err(msg)))
}

enum State {
    Running,
    Done(Outcome),
    Taken,
}

/// What the engine side and the Python object share.
struct Shared {
    state: Mutex<State>,
    notifier: Notifier,
}

impl Shared {
    fn complete(&self, result: Outcome) {
        *self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = State::Done(result);
        self.notifier.signal();
    }

    fn is_done(&self) -> bool {
        let state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        !matches!(*state, State::Running)
    }

    fn take(&self) -> Option<Outcome> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match std::mem::replace(&mut *state, State::Taken) {
            State::Done(o) => Some(o),
            State::Running => {
                *state = State::Running;
                None
            }
            State::Taken => None,
        }
    }
}

/// One engine call in flight.  Await it through `imgrepl._aio`, which
/// sleeps on `fileno()` until `done()`, then reads `result()`.
#[pyclass(name = "Task", module = "imgrepl._core", frozen)]
pub struct PyTask {
    shared: Arc<Shared>,
    /// Stops the call if it can be stopped (futures can; threads cannot).
    abort: Mutex<Option<Box<dyn FnOnce() + Send>>>,
    /// The Python result, built once on the Python thread.
    result: PyOnceLock<PyResult<Py<PyAny>>>,
}

impl PyTask {
    fn new(shared: Arc<Shared>, abort: Option<Box<dyn FnOnce() + Send>>) -> Self {
        PyTask {
            shared,
            abort: Mutex::new(abort),
            result: PyOnceLock::new(),
        }
    }
}

#[pymethods]
impl PyTask {
    /// The wake-up socket: readable whenever the state may have changed.
    fn fileno(&self) -> PyResult<i32> {
        self.shared.notifier.fileno("task")
    }

    fn done(&self) -> PyResult<bool> {
        self.shared.notifier.check_owner("task")?;
        Ok(self.shared.is_done())
    }

    /// The call's value, or raises its error; RuntimeError while running.
    fn result(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.shared.notifier.check_owner("task")?;
        let built = self.result.get_or_try_init(py, || {
            self.shared
                .take()
                .map(|o| o(py))
                .ok_or_else(|| PyRuntimeError::new_err("the task is still running"))
        })?;
        match built {
            Ok(v) => Ok(v.clone_ref(py)),
            Err(e) => Err(e.clone_ref(py)),
        }
    }

    /// Stops an object-store call; a call on an engine thread (verify,
    /// repair, inspect) cannot be interrupted and runs to its end unseen.
    fn cancel(&self) {
        let abort = self
            .abort
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(abort) = abort {
            abort();
        }
    }

    fn __repr__(&self) -> String {
        let done = if self.shared.is_done() {
            "True"
        } else {
            "False"
        };
        format!("Task(done={done})")
    }
}

fn new_shared() -> PyResult<Arc<Shared>> {
    Ok(Arc::new(Shared {
        state: Mutex::new(State::Running),
        notifier: Notifier::new("an engine task")?,
    }))
}

/// `task` as a coroutine that awaits it (imgrepl._aio.task_result).
fn awaitable(py: Python<'_>, task: PyTask) -> PyResult<Bound<'_, PyAny>> {
    static TASK_RESULT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let task_result = TASK_RESULT.import(py, "imgrepl._aio", "task_result")?;
    task_result.call1((Bound::new(py, task)?,))
}

/// Engine threads started from now on run at this nice value (0 to 19).
#[pyfunction]
pub fn set_engine_nice(nice: i32) -> PyResult<()> {
    imgrepl_core::priority::set_engine_nice(nice).map_err(PyValueError::new_err)
}

/// Runs `work` on a new engine thread.
pub fn spawn_blocking<'py, W, T>(py: Python<'py>, work: W) -> PyResult<Bound<'py, PyAny>>
where
    W: FnOnce() -> PyResult<T> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let shared = new_shared()?;
    let engine_side = shared.clone();
    std::thread::Builder::new()
        .name("imgrepl-task".into())
        .spawn(move || {
            imgrepl_core::priority::lower_this_thread();
            let done =
                catch_unwind(AssertUnwindSafe(work)).map_or_else(|_| panicked("thread"), outcome);
            engine_side.complete(done);
        })
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start an engine thread: {e}")))?;
    awaitable(py, PyTask::new(shared, None))
}

/// Runs `fut` on the engine's shared tokio runtime.
pub fn spawn_future<F, T>(py: Python<'_>, fut: F) -> PyResult<Bound<'_, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    use imgrepl_core::runtime::spawn;
    let shared = new_shared()?;
    let engine_side = shared.clone();
    let call = spawn(fut);
    let abort = call.abort_handle();
    // A second task reports the first's end, whether it returned,
    // panicked or was aborted, so `done()` always turns true.
    spawn(async move {
        let done = match call.await {
            Ok(r) => outcome(r),
            Err(e) if e.is_panic() => panicked("future"),
            Err(_) => outcome::<()>(Err(PyRuntimeError::new_err("the task was cancelled"))),
        };
        engine_side.complete(done);
    });
    awaitable(
        py,
        PyTask::new(shared, Some(Box::new(move || abort.abort()))),
    )
}
