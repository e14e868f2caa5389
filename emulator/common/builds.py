"""Report files built in processes of their own, not on the thread serving the request.

One day's CSV reports of a 20,000-product seller take half a minute of CPU (its search texts
alone about 10 s). Built on a serving thread, a file held the interpreter's lock all that time:
every other answer of the emulator waited, some past the client's 60 s timeout, and the
emulator could use one core at most. Here a report
starts building at its first listing while it is still under way; whoever needs the file waits
for it without holding the lock. The files are pure functions of their arguments, so one pool
serves every emulator of the process, and a process of the pool builds the same bytes. Its
processes are spawned, so they import the program that started the emulator as a module, as
multiprocessing does (its `__main__` guarded, as every entry point here is).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def _executor() -> ProcessPoolExecutor:
    """The pool, started at first use: a process per core (spawned, so no serving thread's lock
    is copied into it half-held)."""
    global _pool
    with _lock:
        if _pool is None:
            spawn = multiprocessing.get_context("spawn")
            _pool = ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=spawn)
        return _pool


def submit(build: Callable[..., Any], *args: Any) -> Future:
    """Start `build(*args)` (a module-level function, picklable, as are its arguments)."""
    return _executor().submit(build, *args)
