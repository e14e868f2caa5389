"""Report files, and answers that need a whole catalogue, made in processes of their own, not
on the thread serving the request.

One day's CSV reports of a 20,000-product seller take half a minute of CPU (its search texts
alone about 10 s). Built on a serving thread, a file held the interpreter's lock all that time:
every other answer of the emulator waited, some past the client's 60 s timeout, and the
emulator could use one core at most. Here a report
starts building at its first listing while it is still under way; whoever needs the file waits
for it without holding the lock. The files are pure functions of their arguments, so one pool
serves every emulator of the process, and a process of the pool builds the same bytes. Its
processes are spawned, so they import the program that started the emulator as a module, as
multiprocessing does (its `__main__` guarded, as every entry point here is).

The same holds for the answers WB computes over a whole catalogue (a big seller's sort orders,
sums and search-report main page, 6 to 30 s each for 100,000 products): `Pooled` makes one in
the pool, once for each set of arguments while it stays among the newest kept. Answers share
the pool with files: a pool of their own was tried (3d07104), and on a 2-core machine its extra
processes only competed for the same cores; a simulated agency served 17 % fewer requests, and
more answers outlived the client's timeout (22 against 13).

A process of the pool that dies (killed, out of memory) breaks the whole pool for good
(`BrokenProcessPool`); the next job then starts a new one, and what the old one was making
fails once and is made again when next asked for.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Generic, TypeVar

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
R = TypeVar("R")


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
    """Start `build(*args)` (a module-level function, picklable, as are its arguments), in a new
    pool if a process of the last one died."""
    global _pool
    pool = _executor()
    try:
        return pool.submit(build, *args)
    except BrokenProcessPool:
        with _lock:
            if _pool is pool:
                _pool = None
        pool.shutdown(wait=False, cancel_futures=True)
        return _executor().submit(build, *args)


class Pooled(Generic[R]):
    """`make(*args)` made in the pool once for each set of (hashable) arguments and kept, the
    newest `maxsize` of them, like `functools.lru_cache`: a caller asking while it is being made
    waits for the same result, so a client that gave up and asked again adds no work. What failed
    is not kept. `make` must stay importable under its own name (the pool's processes call it),
    so this wraps it under another: `_order = Pooled(_make_order, 64, apart)`. Where
    `apart(*args)` is false (a small job, which should not wait behind big ones in the pool's
    queue) it is made here, and kept alike."""

    def __init__(self, make: Callable[..., R], maxsize: int, apart: Callable[..., bool]) -> None:
        self._make, self._maxsize, self._apart = make, maxsize, apart
        self._made: OrderedDict[tuple[Hashable, ...], Future] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, *args: Hashable) -> R:
        here = False
        with self._lock:
            future = self._made.get(args)
            if future is None:
                here = not self._apart(*args)
                future = self._made[args] = Future() if here else submit(self._make, *args)
                while len(self._made) > self._maxsize:
                    self._made.popitem(last=False)
            else:
                self._made.move_to_end(args)
        if here:  # outside the lock: whoever asks meanwhile waits for this future
            try:
                future.set_result(self._make(*args))
            except BaseException as exc:
                future.set_exception(exc)
        try:
            return future.result()
        except BaseException:
            with self._lock:
                if self._made.get(args) is future:
                    del self._made[args]
            raise

    def cache_clear(self) -> None:
        with self._lock:
            self._made.clear()
