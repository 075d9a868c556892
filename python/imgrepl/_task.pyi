# Stubs for rust/py/src/task.rs, re-exported by imgrepl._core.
from typing import Any, final

def set_engine_nice(nice: int) -> None:
    """Engine threads started from now on (copies, tasks) run at this nice
    value, 0 to 19; ValueError outside that."""

@final
class Task:
    """One engine call running off the Python thread; the *_async
    functions return a coroutine (imgrepl._aio.task_result) awaiting it."""

    def fileno(self) -> int:
        """Wake-up socket, readable once the call may have ended."""
    def done(self) -> bool: ...
    def result(self) -> Any:
        """The call's value, or raises its error; RuntimeError while running."""
    def cancel(self) -> None:
        """Stops an object-store call; verify, repair and inspect run to their
        end unseen."""
