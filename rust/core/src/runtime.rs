//! The tokio runtime store I/O runs on (object-store clients, server-side
//! copies, the small async store operations).  The engine's reader
//! and writer threads are plain OS threads, so its sync calls into a remote
//! store `block_on` a future here; async callers `.await` the same futures.
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::runtime::{Builder, Handle, Runtime};

struct Shared {
    pid: u32,
    runtime: Arc<Runtime>,
}

static RUNTIME: Mutex<Option<Shared>> = Mutex::new(None);

/// The process-wide runtime, created on first use.  A forked child (Python
/// multiprocessing) inherits the parent's runtime without its worker
/// threads, so it would hang on first use: a new pid gets a new runtime,
/// and the dead one is leaked because dropping it would try to join threads
/// that do not exist in this process.
pub fn runtime() -> Arc<Runtime> {
    let mut guard = RUNTIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let pid = std::process::id();
    if let Some(shared) = guard.as_ref() {
        if shared.pid == pid {
            return Arc::clone(&shared.runtime);
        }
    }
    let runtime = Arc::new(
        Builder::new_multi_thread()
            .thread_name("imgrepl-store")
            .enable_all()
            .build()
            .expect("cannot start the object-store runtime (out of threads?)"),
    );
    if let Some(stale) = guard.replace(Shared {
        pid,
        runtime: Arc::clone(&runtime),
    }) {
        std::mem::forget(stale);
    }
    runtime
}

/// Runs `fut` to completion on the store runtime from sync code.  Off any
/// runtime (the engine's threads) this is a plain `block_on`; on a
/// multi-thread runtime worker it first hands the worker's other tasks
/// elsewhere, since blocking a worker in place would stall them.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let rt = runtime();
    match Handle::try_current() {
        Ok(_) => tokio::task::block_in_place(|| rt.block_on(fut)),
        Err(_) => rt.block_on(fut),
    }
}

/// Starts `fut` on the shared runtime; the handle resolves to its output.
pub fn spawn<F>(fut: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    runtime().spawn(fut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_on_works_from_plain_threads_and_runtime_workers() {
        assert_eq!(block_on(async { 7 }), 7);
        let from_thread = std::thread::spawn(|| block_on(async { 8 })).join().unwrap();
        assert_eq!(from_thread, 8);
        // From inside a task on the shared runtime: must not panic.
        let nested = runtime().block_on(spawn(async { block_on(async { 9 }) }));
        assert_eq!(nested.unwrap(), 9);
    }

    #[test]
    fn the_runtime_is_shared() {
        assert!(Arc::ptr_eq(&runtime(), &runtime()));
    }
}
