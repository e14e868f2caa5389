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
a pool, once for each set of arguments while it stays among the newest kept. Answers have a pool
of their own: a client waits for an answer with a timeout, and queued behind a big seller's
files (minutes of work) they outlived it; a file is waited for by polling, which has none.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Generic, Literal, TypeVar

_lock = threading.Lock()
_pools: dict[str, ProcessPoolExecutor] = {}


def submit(build: Callable[..., Any], *args: Any, pool: Literal["files", "answers"] = "files") -> Future:
    """Start `build(*args)` (a module-level function, picklable, as are its arguments) in that
    pool, started at first use: a process per core (spawned, so no serving thread's lock is
    copied into it half-held)."""
    with _lock:
        if pool not in _pools:
            spawn = multiprocessing.get_context("spawn")
            _pools[pool] = ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=spawn)
        return _pools[pool].submit(build, *args)


R = TypeVar("R")


class Pooled(Generic[R]):
    """`make(*args)` made in the answers' pool once for each set of (hashable) arguments and
    kept, the newest `maxsize` of them, like `functools.lru_cache`: a caller asking while it is
    being made waits for the same result, so a client that gave up and asked again adds no work.
    What failed is not kept. `make` must stay importable under its own name (the pool's processes
    call it), so this wraps it under another: `_order = Pooled(_make_order, 64, apart)`. Where
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
                future = self._made[args] = Future() if here else submit(self._make, *args, pool="answers")
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
