//! The CPU priority of the engine's threads.  A process that also answers
//! people (`imgrepl serve`) runs its copies below its request handling, so
//! a replication that can use every core does not make requests wait for
//! one.  Linux keeps a nice value per thread, and a thread starts with its
//! creator's: lowering the thread that starts a copy or a task lowers all
//! the threads it starts.  Threads that call into Python keep their own
//! priority, so none of them can hold the GIL while descheduled.
use std::sync::atomic::{AtomicI32, Ordering};

use crate::sys;

/// Highest nice value Linux accepts.
pub const MAX_NICE: i32 = 19;

static ENGINE_NICE: AtomicI32 = AtomicI32::new(0);

/// Sets the nice value (0 to 19) for engine threads started from now on.
pub fn set_engine_nice(nice: i32) -> Result<(), String> {
    if !(0..=MAX_NICE).contains(&nice) {
        return Err(format!("nice must be 0 to {MAX_NICE}, not {nice}"));
    }
    ENGINE_NICE.store(nice, Ordering::Relaxed);
    Ok(())
}

/// Called first thing on each engine thread the engine starts.  Raising a
/// nice value needs no privilege; if it fails anyway the copy runs at the
/// normal priority, which is only slower for the requests beside it.
pub fn lower_this_thread() {
    let nice = ENGINE_NICE.load(Ordering::Relaxed);
    if nice > 0 {
        let _ = sys::set_thread_nice(nice);
    }
}
